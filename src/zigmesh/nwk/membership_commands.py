"""NWK membership commands (Zigbee spec R22 3.4.4 Leave, 3.4.6 / 3.4.7 Rejoin Request and
Response, 3.4.11 / 3.4.12 End Device Timeout Request and Response).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from zigmesh.codec import enum_or_int
from zigmesh.mac.commands import CapabilityFlags
from zigmesh.nwk.commands_common import NwkCommandId, _pack, _start, _U8x2, _U8x3

__all__ = [
    "CapabilityInformation",
    "end_device_timeout_seconds",
    "EndDeviceTimeoutRequest",
    "EndDeviceTimeoutResponse",
    "EndDeviceTimeoutStatus",
    "Leave",
    "LEAVE_REJOIN",
    "LEAVE_REMOVE_CHILDREN",
    "LEAVE_REQUEST",
    "PARENT_INFO_MAC_DATA_POLL_KEEPALIVE",
    "PARENT_INFO_POWER_NEGOTIATION",
    "PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE",
    "RejoinRequest",
    "RejoinResponse",
    "RejoinStatus",
]


class RejoinStatus(IntEnum):
    """Rejoin status: the MAC association status values (IEEE 802.15.4 Table 83)."""

    SUCCESS = 0x00
    PAN_AT_CAPACITY = 0x01
    PAN_ACCESS_DENIED = 0x02


#: Capability information bits (Zigbee spec Table 3-62; IEEE 802.15.4 7.3.1.2); 4-5 reserved.
#: The MAC's flags for the same byte, under the NWK's name.
CapabilityInformation = CapabilityFlags


class EndDeviceTimeoutStatus(IntEnum):
    """End device timeout response status (Zigbee spec Table 3-52)."""

    SUCCESS = 0
    INCORRECT_VALUE = 1


# -- 3.4.4 Leave --------------------------------------------------------------------------------

LEAVE_REJOIN = 0x20
LEAVE_REQUEST = 0x40
LEAVE_REMOVE_CHILDREN = 0x80


@dataclass(frozen=True, slots=True)
class Leave:
    """Leave (Zigbee spec 3.4.4, Figure 3-18): options bit 5 rejoin, bit 6 request,
    bit 7 remove children."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.LEAVE

    remove_children: bool = False
    request: bool = False
    rejoin: bool = False

    def encode(self) -> bytes:
        opts = (
            (LEAVE_REJOIN if self.rejoin else 0)
            | (LEAVE_REQUEST if self.request else 0)
            | (LEAVE_REMOVE_CHILDREN if self.remove_children else 0)
        )
        return bytes((self.command_id, opts))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        opts = r.u8("leave.options")
        r.expect_end("leave")
        return cls(
            bool(opts & LEAVE_REMOVE_CHILDREN),
            bool(opts & LEAVE_REQUEST),
            bool(opts & LEAVE_REJOIN),
        )


# -- 3.4.6 / 3.4.7 Rejoin -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RejoinRequest:
    """Rejoin request (Zigbee spec 3.4.6, Figure 3-22): capability information (1 byte)."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.REJOIN_REQUEST

    capability: CapabilityInformation | int

    def encode(self) -> bytes:
        return _pack(_U8x2, self.command_id, self.capability)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        cap = r.u8("rejoin_request.capability_information")
        r.expect_end("rejoin_request")
        return cls(CapabilityInformation(cap))


_REJOIN_RSP = struct.Struct("<BHB")


@dataclass(frozen=True, slots=True)
class RejoinResponse:
    """Rejoin response (Zigbee spec 3.4.7, Figure 3-23): network address | rejoin status."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.REJOIN_RESPONSE

    network_address: int
    status: RejoinStatus | int = RejoinStatus.SUCCESS

    def encode(self) -> bytes:
        return _pack(_REJOIN_RSP, self.command_id, self.network_address, self.status)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        addr = r.u16("rejoin_response.network_address")
        status = r.u8("rejoin_response.rejoin_status")
        r.expect_end("rejoin_response")
        return cls(addr, enum_or_int(RejoinStatus, status))


# -- 3.4.11 / 3.4.12 End Device Timeout ---------------------------------------------------------


def end_device_timeout_seconds(index: int) -> int:
    """Requested timeout enumeration -> seconds (Zigbee spec Table 3-54): 0 = 10 s, n = 2^n min."""
    if not 0 <= index <= 14:
        raise ValueError(f"end device timeout index {index} is reserved (0-14)")
    return 10 if index == 0 else 60 << index


@dataclass(frozen=True, slots=True)
class EndDeviceTimeoutRequest:
    """End device timeout request (Zigbee spec 3.4.11, Figure 3-32): requested timeout
    enumeration (0-14; others reserved but decoded) | end device configuration (reserved, 0)."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.END_DEVICE_TIMEOUT_REQUEST

    requested_timeout: int = 8
    configuration: int = 0

    def encode(self) -> bytes:
        return _pack(_U8x3, self.command_id, self.requested_timeout, self.configuration)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        tmo = r.u8("end_device_timeout_request.requested_timeout")
        cfg = r.u8("end_device_timeout_request.end_device_configuration")
        r.expect_end("end_device_timeout_request")
        return cls(tmo, cfg)


PARENT_INFO_MAC_DATA_POLL_KEEPALIVE = 0x01
PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE = 0x02
PARENT_INFO_POWER_NEGOTIATION = 0x04


@dataclass(frozen=True, slots=True)
class EndDeviceTimeoutResponse:
    """End device timeout response (Zigbee spec 3.4.12, Figure 3-33): status | parent
    information (bit 0 MAC data poll keepalive supported, bit 1 end device timeout request
    keepalive supported, bit 2 power negotiation supported)."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.END_DEVICE_TIMEOUT_RESPONSE

    status: EndDeviceTimeoutStatus | int = EndDeviceTimeoutStatus.SUCCESS
    mac_data_poll_keepalive: bool = False
    timeout_request_keepalive: bool = False
    power_negotiation: bool = False

    def encode(self) -> bytes:
        info = (
            (PARENT_INFO_MAC_DATA_POLL_KEEPALIVE if self.mac_data_poll_keepalive else 0)
            | (PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE if self.timeout_request_keepalive else 0)
            | (PARENT_INFO_POWER_NEGOTIATION if self.power_negotiation else 0)
        )
        return _pack(_U8x3, self.command_id, self.status, info)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        status = r.u8("end_device_timeout_response.status")
        info = r.u8("end_device_timeout_response.parent_information")
        r.expect_end("end_device_timeout_response")
        return cls(
            enum_or_int(EndDeviceTimeoutStatus, status),
            bool(info & PARENT_INFO_MAC_DATA_POLL_KEEPALIVE),
            bool(info & PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE),
            bool(info & PARENT_INFO_POWER_NEGOTIATION),
        )
