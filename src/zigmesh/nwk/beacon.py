"""Zigbee NWK beacon payload (Zigbee spec 3.6.7, Table 3-56).

Carried as the beacon payload of an 802.15.4 beacon frame
(:attr:`zigmesh.mac.frames.Beacon.payload`). 15 bytes::

    | Protocol ID | Stack profile / nwkcProtocolVersion | Reserved / Router capacity /  |
    |      1      |        bits 0-3 / bits 4-7           | Device depth / End device cap |
    |             |                                      | bits 0-1 / 2 / 3-6 / 7        |
    | nwkExtendedPANId (8, LE) | TX offset (3, LE) | nwkUpdateId (1) |

The protocol ID is always 0 for Zigbee; a beacon with another protocol ID (Zigbee IP, Thread)
is not decoded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from zigmesh.codec import Reader, memo_decoder, read_whole
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.types import ExtPanId

__all__ = [
    "BEACON_PAYLOAD_LENGTH",
    "NWKC_PROTOCOL_VERSION",
    "STACK_PROFILE_ZIGBEE_PRO",
    "TX_OFFSET_NONE",
    "ZIGBEE_PROTOCOL_ID",
    "ZigbeeBeaconPayload",
    "decode_beacon_payload",
]

#: Protocol ID of a Zigbee beacon (Zigbee spec 3.6.7)
ZIGBEE_PROTOCOL_ID = 0
#: Stack profile 2 = Zigbee PRO (Zigbee spec Table 3-56 note; 1 = Zigbee 2006 / 2007)
STACK_PROFILE_ZIGBEE_PRO = 2
#: nwkcProtocolVersion of Zigbee 2006 and later (Zigbee spec Table 3-57)
NWKC_PROTOCOL_VERSION = 2
#: TX offset of a non-beacon network (Zigbee spec 3.6.7: all ones)
TX_OFFSET_NONE = 0xFFFFFF
#: length of the Zigbee PRO beacon payload
BEACON_PAYLOAD_LENGTH = 15

_STACK_PROFILE_MASK = 0x0F
_PROTOCOL_VERSION_SHIFT = 4
_ROUTER_CAPACITY = 0x04
_DEVICE_DEPTH_SHIFT = 3
_DEVICE_DEPTH_MASK = 0x0F
_END_DEVICE_CAPACITY = 0x80


@dataclass(frozen=True, slots=True, kw_only=True)
class ZigbeeBeaconPayload:
    """The NWK layer beacon payload (Zigbee spec 3.6.7, Table 3-56), fields in table order."""

    protocol_id: ClassVar[int] = ZIGBEE_PROTOCOL_ID
    stack_profile: int = STACK_PROFILE_ZIGBEE_PRO
    nwkc_protocol_version: int = NWKC_PROTOCOL_VERSION
    router_capacity: bool = True
    device_depth: int = 0
    end_device_capacity: bool = True
    nwk_extended_pan_id: int
    tx_offset: int = TX_OFFSET_NONE
    nwk_update_id: int = 0

    def encode(self) -> bytes:
        if not (0 <= self.stack_profile <= 15 and 0 <= self.nwkc_protocol_version <= 15):
            raise LocalProtocolError("stack profile and protocol version are 4-bit fields")
        if not 0 <= self.device_depth <= _DEVICE_DEPTH_MASK:
            raise LocalProtocolError(f"device depth {self.device_depth} out of range 0-15")
        b2 = self.device_depth << _DEVICE_DEPTH_SHIFT
        if self.router_capacity:
            b2 |= _ROUTER_CAPACITY
        if self.end_device_capacity:
            b2 |= _END_DEVICE_CAPACITY
        return (
            bytes(
                (
                    ZIGBEE_PROTOCOL_ID,
                    self.stack_profile | (self.nwkc_protocol_version << _PROTOCOL_VERSION_SHIFT),
                    b2,
                )
            )
            + self.nwk_extended_pan_id.to_bytes(8, "little")
            + self.tx_offset.to_bytes(3, "little")
            + bytes((self.nwk_update_id,))
        )

    @classmethod
    def read(cls, r: Reader) -> Self:
        at = r.offset()
        pid = r.u8("protocol_id")
        if pid != ZIGBEE_PROTOCOL_ID:
            raise DecodeError("protocol_id", at, f"protocol ID {pid} is not a Zigbee beacon")
        b1 = r.u8("stack_profile")
        b2 = r.u8("device_depth")
        return cls(
            stack_profile=b1 & _STACK_PROFILE_MASK,
            nwkc_protocol_version=b1 >> _PROTOCOL_VERSION_SHIFT,
            router_capacity=bool(b2 & _ROUTER_CAPACITY),
            device_depth=(b2 >> _DEVICE_DEPTH_SHIFT) & _DEVICE_DEPTH_MASK,
            end_device_capacity=bool(b2 & _END_DEVICE_CAPACITY),
            nwk_extended_pan_id=ExtPanId(r.u64("nwk_extended_pan_id")),
            tx_offset=r.u24("tx_offset"),
            nwk_update_id=r.u8("nwk_update_id"),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """Decode exactly one beacon payload: short or over-long input raises DecodeError."""
        return read_whole(data, cls.read, "zigbee_beacon_payload")


#: :meth:`ZigbeeBeaconPayload.decode` memoised by content: the joiners, scanners and PAN ID
#: conflict checks of every router in range read the same beacon payload
decode_beacon_payload = memo_decoder(ZigbeeBeaconPayload.decode)
