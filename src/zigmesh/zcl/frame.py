"""ZCL frame: header and payload (ZCL rev 7/8, clause 2.4.1, Figure 2-2).

Frame control (Figure 2-3): bits 0-1 frame type, bit 2 manufacturer specific, bit 3 direction,
bit 4 disable default response, bits 5-7 reserved. Then the manufacturer code (present only
when manufacturer specific), the transaction sequence number and the command identifier.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Self

from zigmesh.codec import Reader, enum_table, fast_init, read_whole
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.types import _slot_setter

__all__ = [
    "FrameType",
    "Direction",
    "ZclHeader",
    "ZclFrame",
    "FRAME_TYPE_MASK",
    "MANUFACTURER_SPECIFIC",
    "DIRECTION_SERVER_TO_CLIENT",
    "DISABLE_DEFAULT_RESPONSE",
]


class FrameType(IntEnum):
    """Frame type sub-field (ZCL 2.4.1.1.1)."""

    GLOBAL = 0b00  # profile-wide (foundation) command
    CLUSTER_SPECIFIC = 0b01


class Direction(IntEnum):
    """Direction sub-field (ZCL 2.4.1.1.3)."""

    CLIENT_TO_SERVER = 0
    SERVER_TO_CLIENT = 1


FRAME_TYPE_MASK = 0x03
MANUFACTURER_SPECIFIC = 0x04
DIRECTION_SERVER_TO_CLIENT = 0x08
DISABLE_DEFAULT_RESPONSE = 0x10

_FRAME_TYPES = enum_table(FrameType, 4)
_HBB = struct.Struct("<HBB")
_BBB = struct.Struct("<BBB")
_BHBB = struct.Struct("<BHBB")


@fast_init
@dataclass(frozen=True, slots=True)
class ZclHeader:
    """ZCL header (Figure 2-2). ``manufacturer_code`` not ``None`` <=> manufacturer specific.
    ``frame_type`` is a plain int for the reserved values 2 and 3."""

    frame_type: FrameType | int = FrameType.GLOBAL
    direction: Direction = Direction.CLIENT_TO_SERVER
    disable_default_response: bool = False
    manufacturer_code: int | None = None
    tsn: int = 0
    command_id: int = 0

    @property
    def manufacturer_specific(self) -> bool:
        return self.manufacturer_code is not None

    @property
    def frame_control(self) -> int:
        fc = self.frame_type & FRAME_TYPE_MASK
        if self.manufacturer_code is not None:
            fc |= MANUFACTURER_SPECIFIC
        if self.direction:
            fc |= DIRECTION_SERVER_TO_CLIENT
        if self.disable_default_response:
            fc |= DISABLE_DEFAULT_RESPONSE
        return fc

    def __len__(self) -> int:
        return 3 if self.manufacturer_code is None else 5

    def encode(self) -> bytes:
        try:
            if self.manufacturer_code is None:
                return _BBB.pack(self.frame_control, self.tsn, self.command_id)
            return _BHBB.pack(self.frame_control, self.manufacturer_code, self.tsn, self.command_id)
        except struct.error as e:
            raise LocalProtocolError(f"bad ZCL header field: {e}") from None

    @classmethod
    def read(cls, r: Reader) -> Self:
        fc = r.u8("zcl.frame_control")
        mfr = r.u16("zcl.manufacturer_code") if fc & MANUFACTURER_SPECIFIC else None
        tsn = r.u8("zcl.tsn")
        cmd = r.u8("zcl.command_id")
        return cls(
            _FRAME_TYPES[fc & FRAME_TYPE_MASK],
            _DIRECTIONS[(fc >> 3) & 1],
            bool(fc & DISABLE_DEFAULT_RESPONSE),
            mfr,
            tsn,
            cmd,
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "zcl.header")


# Decode fast path: frozen dataclasses refuse ``setattr``, so the hot decoders fill the slots
# through their descriptors (all fields, positional, in declaration order).
_new = object.__new__
_set_ft = _slot_setter(ZclHeader, "frame_type")
_set_dir = _slot_setter(ZclHeader, "direction")
_set_ddr = _slot_setter(ZclHeader, "disable_default_response")
_set_mfr = _slot_setter(ZclHeader, "manufacturer_code")
_set_tsn = _slot_setter(ZclHeader, "tsn")
_set_cmd = _slot_setter(ZclHeader, "command_id")
_DIRECTIONS = (Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT)


def _decode_header(data: bytes) -> tuple[ZclHeader, int]:
    """Header and its length; shared by :meth:`ZclHeader.decode` and :meth:`ZclFrame.decode`."""
    n = len(data)
    if n < 3:
        raise DecodeError("zcl.header", 0, f"needs 3 byte(s), {n} left")
    fc = data[0]
    h = _new(ZclHeader)
    if fc & MANUFACTURER_SPECIFIC:
        if n < 5:
            raise DecodeError("zcl.header", 0, f"manufacturer-specific header needs 5, got {n}")
        mfr, tsn, cmd = _HBB.unpack_from(data, 1)
        hlen = 5
    else:
        mfr = None
        tsn = data[1]
        cmd = data[2]
        hlen = 3
    _set_ft(h, _FRAME_TYPES[fc & FRAME_TYPE_MASK])
    _set_dir(h, _DIRECTIONS[(fc >> 3) & 1])
    _set_ddr(h, bool(fc & DISABLE_DEFAULT_RESPONSE))
    _set_mfr(h, mfr)
    _set_tsn(h, tsn)
    _set_cmd(h, cmd)
    return h, hlen


@fast_init
@dataclass(frozen=True, slots=True)
class ZclFrame:
    """A ZCL frame: header plus the command payload as bytes (decoded by the command layer,
    e.g. :func:`zigmesh.zcl.foundation.decode_foundation` for global frames)."""

    header: ZclHeader
    payload: bytes = b""

    def encode(self) -> bytes:
        return self.header.encode() + self.payload

    @classmethod
    def decode(cls, data: bytes) -> Self:
        h, hlen = _decode_header(data)
        f = _new(cls)
        _set_header(f, h)
        _set_payload(f, data[hlen:])
        return f


_set_header = _slot_setter(ZclFrame, "header")
_set_payload = _slot_setter(ZclFrame, "payload")
