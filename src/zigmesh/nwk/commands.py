"""NWK command frames (Zigbee spec R22 3.4): the payload of a NWK frame of type COMMAND.

Each command is a frozen dataclass whose ``encode()`` gives the whole NWK command payload
(command identifier first) and whose ``decode(payload)`` reads it back; :func:`decode_command`
dispatches on the identifier. Counts and presence bits are derived from the fields. Layouts
checked against Wireshark's packet-zbee-nwk.c. Decoders are strict: a payload with trailing
octets, or whose count disagrees with its length, is a :class:`DecodeError`.

The commands live by purpose: :mod:`~zigmesh.nwk.route_commands` (route request / reply,
network status, route record, link status, link power delta) and
:mod:`~zigmesh.nwk.membership_commands` (leave, rejoin, end device timeout), with the command
identifiers and shared helpers in :mod:`~zigmesh.nwk.commands_common`; Network Report and
Network Update (3.4.9, 3.4.10, the network manager's) are here. This module re-exports them all.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.nwk.commands_common import NwkCommandId, _addr_list, _pack, _start
from zigmesh.nwk.membership_commands import LEAVE_REJOIN as LEAVE_REJOIN
from zigmesh.nwk.membership_commands import LEAVE_REMOVE_CHILDREN as LEAVE_REMOVE_CHILDREN
from zigmesh.nwk.membership_commands import LEAVE_REQUEST as LEAVE_REQUEST
from zigmesh.nwk.membership_commands import (
    PARENT_INFO_MAC_DATA_POLL_KEEPALIVE as PARENT_INFO_MAC_DATA_POLL_KEEPALIVE,
)
from zigmesh.nwk.membership_commands import (
    PARENT_INFO_POWER_NEGOTIATION as PARENT_INFO_POWER_NEGOTIATION,
)
from zigmesh.nwk.membership_commands import (
    PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE as PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE,
)
from zigmesh.nwk.membership_commands import (
    CapabilityInformation,
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    EndDeviceTimeoutStatus,
    Leave,
    RejoinRequest,
    RejoinResponse,
    RejoinStatus,
    end_device_timeout_seconds,
)
from zigmesh.nwk.route_commands import LINK_INCOMING_COST_MASK as LINK_INCOMING_COST_MASK
from zigmesh.nwk.route_commands import LINK_OUTGOING_COST_SHIFT as LINK_OUTGOING_COST_SHIFT
from zigmesh.nwk.route_commands import LINK_POWER_DELTA_TYPE_MASK as LINK_POWER_DELTA_TYPE_MASK
from zigmesh.nwk.route_commands import LINK_STATUS_COUNT_MASK as LINK_STATUS_COUNT_MASK
from zigmesh.nwk.route_commands import LINK_STATUS_FIRST_FRAME as LINK_STATUS_FIRST_FRAME
from zigmesh.nwk.route_commands import LINK_STATUS_LAST_FRAME as LINK_STATUS_LAST_FRAME
from zigmesh.nwk.route_commands import (
    LINK_STATUS_MAX_ENTRIES,
    LinkPowerDelta,
    LinkPowerDeltaEntry,
    LinkPowerDeltaType,
    LinkStatus,
    LinkStatusEntry,
    ManyToOne,
    NetworkStatus,
    NwkStatusCode,
    RouteRecord,
    RouteReply,
    RouteRequest,
)
from zigmesh.nwk.route_commands import RREP_MULTICAST as RREP_MULTICAST
from zigmesh.nwk.route_commands import RREP_ORIGINATOR_IEEE as RREP_ORIGINATOR_IEEE
from zigmesh.nwk.route_commands import RREP_RESPONDER_IEEE as RREP_RESPONDER_IEEE
from zigmesh.nwk.route_commands import RREQ_DST_IEEE as RREQ_DST_IEEE
from zigmesh.nwk.route_commands import RREQ_MANY_TO_ONE_MASK as RREQ_MANY_TO_ONE_MASK
from zigmesh.nwk.route_commands import RREQ_MANY_TO_ONE_SHIFT as RREQ_MANY_TO_ONE_SHIFT
from zigmesh.nwk.route_commands import RREQ_MULTICAST as RREQ_MULTICAST

__all__ = [
    "NwkCommandId",
    "ManyToOne",
    "NwkStatusCode",
    "RejoinStatus",
    "CapabilityInformation",
    "NwkReportType",
    "NwkUpdateType",
    "EndDeviceTimeoutStatus",
    "LinkPowerDeltaType",
    "RouteRequest",
    "RouteReply",
    "NetworkStatus",
    "Leave",
    "RouteRecord",
    "RejoinRequest",
    "RejoinResponse",
    "LinkStatusEntry",
    "LinkStatus",
    "NetworkReport",
    "NetworkUpdate",
    "EndDeviceTimeoutRequest",
    "EndDeviceTimeoutResponse",
    "LinkPowerDeltaEntry",
    "LinkPowerDelta",
    "UnknownNwkCommand",
    "NwkCommand",
    "decode_command",
    "end_device_timeout_seconds",
    "LINK_STATUS_MAX_ENTRIES",
]


class NwkReportType(IntEnum):
    """Network report command types (Zigbee spec Table 3-48); others reserved."""

    PAN_ID_CONFLICT = 0


class NwkUpdateType(IntEnum):
    """Network update command types (Zigbee spec Table 3-50); others reserved."""

    PAN_ID_UPDATE = 0


# -- 3.4.9 Network Report / 3.4.10 Network Update -----------------------------------------------

INFO_COUNT_MASK = 0x1F
INFO_TYPE_SHIFT = 5
_REPORT_HDR = struct.Struct("<BBQ")
_UPDATE = struct.Struct("<BBQBH")


@dataclass(frozen=True, slots=True)
class NetworkReport:
    """Network report (Zigbee spec 3.4.9, Figure 3-28): options (report information count
    bits 0-4, derived; report type bits 5-7) | EPID | report information.

    For a PAN identifier conflict report the information is the list of PAN IDs heard.
    Reserved report types have no known layout and decode to a :class:`DecodeError`.
    """

    command_id: ClassVar[NwkCommandId] = NwkCommandId.NETWORK_REPORT

    epid: int
    pan_ids: tuple[int, ...] = ()
    report_type: NwkReportType | int = NwkReportType.PAN_ID_CONFLICT

    def encode(self) -> bytes:
        n = len(self.pan_ids)
        if n > INFO_COUNT_MASK or self.report_type != NwkReportType.PAN_ID_CONFLICT:
            raise LocalProtocolError(
                f"network report: type {self.report_type} with {n} PAN IDs (type 0, max 31)"
            )
        try:
            return _REPORT_HDR.pack(self.command_id, n, self.epid) + struct.pack(
                f"<{n}H", *self.pan_ids
            )
        except struct.error as e:
            raise LocalProtocolError(f"network report field out of range: {e}") from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        opts = r.u8("network_report.options")
        rtype = opts >> INFO_TYPE_SHIFT
        epid = r.u64("network_report.extended_pan_id")
        if rtype != NwkReportType.PAN_ID_CONFLICT:
            raise DecodeError("network_report.report_type", 1, f"reserved report type {rtype}")
        count = opts & INFO_COUNT_MASK
        pan_ids = _addr_list(r, count, "network_report.report_information", "count")
        return cls(epid, pan_ids, NwkReportType.PAN_ID_CONFLICT)


@dataclass(frozen=True, slots=True)
class NetworkUpdate:
    """Network update (Zigbee spec 3.4.10, Figure 3-30): options (update information count
    bits 0-4, always 1; update type bits 5-7) | EPID | update id | new PAN ID."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.NETWORK_UPDATE

    epid: int
    update_id: int
    new_pan_id: int
    update_type: NwkUpdateType | int = NwkUpdateType.PAN_ID_UPDATE

    def encode(self) -> bytes:
        if self.update_type != NwkUpdateType.PAN_ID_UPDATE:
            raise LocalProtocolError(f"network update type {self.update_type} is reserved")
        return _pack(_UPDATE, self.command_id, 1, self.epid, self.update_id, self.new_pan_id)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        opts = r.u8("network_update.options")
        epid = r.u64("network_update.extended_pan_id")
        uid = r.u8("network_update.update_id")
        if opts >> INFO_TYPE_SHIFT != NwkUpdateType.PAN_ID_UPDATE:
            raise DecodeError(
                "network_update.update_type", 1, f"reserved update type {opts >> INFO_TYPE_SHIFT}"
            )
        if opts & INFO_COUNT_MASK != 1:
            raise DecodeError(
                "network_update.update_information_count",
                1,
                f"count {opts & INFO_COUNT_MASK}, a PAN ID update carries 1",
            )
        pan = r.u16("network_update.new_pan_id")
        r.expect_end("network_update")
        return cls(epid, uid, pan, NwkUpdateType.PAN_ID_UPDATE)


# -- unknown / dispatch -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnknownNwkCommand:
    """A command identifier this codec does not know, with its undecoded fields."""

    command_id: int
    payload: bytes = b""

    def encode(self) -> bytes:
        if not 0 <= self.command_id <= 0xFF or self.command_id in _DECODERS:
            raise LocalProtocolError(
                f"{self.command_id:#x} is not an unknown NWK command identifier"
            )
        return bytes((self.command_id,)) + self.payload

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        cid = r.u8("nwk_cmd.command_id")
        return cls(cid, r.rest())


_KnownNwkCommand = (
    RouteRequest
    | RouteReply
    | NetworkStatus
    | Leave
    | RouteRecord
    | RejoinRequest
    | RejoinResponse
    | LinkStatus
    | NetworkReport
    | NetworkUpdate
    | EndDeviceTimeoutRequest
    | EndDeviceTimeoutResponse
    | LinkPowerDelta
)
NwkCommand = _KnownNwkCommand | UnknownNwkCommand

_COMMAND_CLASSES: tuple[type[_KnownNwkCommand], ...] = (
    RouteRequest,
    RouteReply,
    NetworkStatus,
    Leave,
    RouteRecord,
    RejoinRequest,
    RejoinResponse,
    LinkStatus,
    NetworkReport,
    NetworkUpdate,
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    LinkPowerDelta,
)
_DECODERS: dict[int, type[NwkCommand]] = {int(c.command_id): c for c in _COMMAND_CLASSES}


def decode_command(payload: bytes) -> NwkCommand:
    """Decode a NWK command payload (command identifier first); unknown ids -> UnknownNwkCommand."""
    if not payload:
        raise DecodeError("nwk_cmd.command_id", 0, "empty command payload")
    cls = _DECODERS.get(payload[0], UnknownNwkCommand)
    return cls.decode(payload)
