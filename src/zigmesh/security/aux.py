"""Auxiliary security header (Zigbee spec 4.5.1, Figure 4-24/4-25).

Security control: bits 0-2 level, bits 3-4 key identifier, bit 5 extended nonce.
Then a 4-byte frame counter, the source IEEE address if extended nonce is set, and the key
sequence number if the key identifier is the network key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Self

from zigmesh.codec import Reader, fast_init
from zigmesh.errors import DecodeError

__all__ = ["KeyId", "AuxHeader", "MIC_LENGTH", "ZIGBEE_SECURITY_LEVEL"]


class KeyId(IntEnum):
    """Key identifier sub-field (Zigbee spec Table 4-28)."""

    DATA_KEY = 0  # link key
    NETWORK_KEY = 1
    KEY_TRANSPORT_KEY = 2
    KEY_LOAD_KEY = 3


#: MIC length in bytes by security level (Zigbee spec Table 4-27)
MIC_LENGTH = (0, 4, 8, 16, 0, 4, 8, 16)
#: Zigbee PRO always uses ENC-MIC-32
ZIGBEE_SECURITY_LEVEL = 5

_LEVEL_MASK = 0x07
_KEY_ID_SHIFT = 3
_KEY_ID_MASK = 0x18
_EXT_NONCE = 0x20


@fast_init
@dataclass(frozen=True, slots=True)
class AuxHeader:
    """Decoded auxiliary header. ``level`` is as carried on the air (0 in Zigbee PRO)."""

    key_id: KeyId
    frame_counter: int
    source: int | None = None  # EUI-64; present <=> extended nonce
    key_seq: int | None = None  # present <=> key_id == NETWORK_KEY
    level: int = 0

    def __post_init__(self) -> None:
        if (self.key_id == KeyId.NETWORK_KEY) != (self.key_seq is not None):
            raise ValueError("key_seq is present exactly when key_id is NETWORK_KEY")

    @property
    def extended_nonce(self) -> bool:
        return self.source is not None

    def control(self, level: int | None = None) -> int:
        """Security control byte; ``level`` overrides the stored level (for nonce / AAD)."""
        lv = self.level if level is None else level
        c = (lv & _LEVEL_MASK) | (int(self.key_id) << _KEY_ID_SHIFT)
        if self.source is not None:
            c |= _EXT_NONCE
        return c

    def encode(self, level: int | None = None) -> bytes:
        out = bytearray((self.control(level),))
        out += self.frame_counter.to_bytes(4, "little")
        if self.source is not None:
            out += self.source.to_bytes(8, "little")
        if self.key_seq is not None:
            out.append(self.key_seq)
        return bytes(out)

    def __len__(self) -> int:
        return 5 + (8 if self.source is not None else 0) + (1 if self.key_seq is not None else 0)

    @classmethod
    def read(cls, r: Reader) -> Self:
        """Read from a cursor (advances it).

        Reserved bits 6-7 of the security control field are ignored here; they still enter the
        MIC through the on-air bytes (see :func:`zigmesh.security.ccm.unsecure_frame`).
        """
        ctl = r.u8("aux.security_control")
        key_id = KeyId((ctl & _KEY_ID_MASK) >> _KEY_ID_SHIFT)
        fc = r.u32("aux.frame_counter")
        source = r.u64("aux.source_address") if ctl & _EXT_NONCE else None
        key_seq = r.u8("aux.key_sequence_number") if key_id == KeyId.NETWORK_KEY else None
        return cls(key_id, fc, source, key_seq, ctl & _LEVEL_MASK)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        aux = cls.read(r)
        if not r.at_end():
            raise DecodeError("aux", r.offset(), "trailing bytes")
        return aux

    def nonce(self, source: int | None = None, level: int = ZIGBEE_SECURITY_LEVEL) -> bytes:
        """CCM* nonce (Zigbee spec 4.5.2.2): source IEEE | frame counter | security control."""
        src = self.source if self.source is not None else source
        if src is None:
            raise ValueError("nonce needs the source IEEE address (no extended nonce)")
        return (
            src.to_bytes(8, "little")
            + self.frame_counter.to_bytes(4, "little")
            + bytes((self.control(level),))
        )
