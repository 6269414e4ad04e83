"""NWK command frames (Zigbee spec R22 3.4): the payload of a NWK frame of type COMMAND.

Each command is a frozen dataclass whose ``encode()`` gives the whole NWK command payload
(command identifier first) and whose ``decode(payload)`` reads it back; :func:`decode_command`
dispatches on the identifier. Counts and presence bits are derived from the fields. Layouts
checked against Wireshark's packet-zbee-nwk.c. Decoders are strict: a payload with trailing
octets, or whose count disagrees with its length, is a :class:`DecodeError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from zigmesh.codec import Reader, enum_or_int, enum_table
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import CapabilityFlags

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


class NwkCommandId(IntEnum):
    """NWK command identifiers (Zigbee spec R22 Table 3-40)."""

    ROUTE_REQUEST = 0x01
    ROUTE_REPLY = 0x02
    NETWORK_STATUS = 0x03
    LEAVE = 0x04
    ROUTE_RECORD = 0x05
    REJOIN_REQUEST = 0x06
    REJOIN_RESPONSE = 0x07
    LINK_STATUS = 0x08
    NETWORK_REPORT = 0x09
    NETWORK_UPDATE = 0x0A
    END_DEVICE_TIMEOUT_REQUEST = 0x0B
    END_DEVICE_TIMEOUT_RESPONSE = 0x0C
    LINK_POWER_DELTA = 0x0D


class ManyToOne(IntEnum):
    """Many-to-one sub-field of the route request options (Zigbee spec Table 3-41); 3 reserved."""

    NONE = 0
    WITH_ROUTE_RECORD = 1  # concentrator with a route record table
    WITHOUT_ROUTE_RECORD = 2  # concentrator without (no route records wanted)


class NwkStatusCode(IntEnum):
    """Network status codes (Zigbee spec R22 3.4.3.3.1, Table 3-42)."""

    NO_ROUTE_AVAILABLE = 0x00
    TREE_LINK_FAILURE = 0x01
    NON_TREE_LINK_FAILURE = 0x02
    LOW_BATTERY_LEVEL = 0x03
    NO_ROUTING_CAPACITY = 0x04
    NO_INDIRECT_CAPACITY = 0x05
    INDIRECT_TRANSACTION_EXPIRY = 0x06
    TARGET_DEVICE_UNAVAILABLE = 0x07
    TARGET_ADDRESS_UNALLOCATED = 0x08
    PARENT_LINK_FAILURE = 0x09
    VALIDATE_ROUTE = 0x0A
    SOURCE_ROUTE_FAILURE = 0x0B
    MANY_TO_ONE_ROUTE_FAILURE = 0x0C
    ADDRESS_CONFLICT = 0x0D
    VERIFY_ADDRESSES = 0x0E
    PAN_IDENTIFIER_UPDATE = 0x0F
    NETWORK_ADDRESS_UPDATE = 0x10
    BAD_FRAME_COUNTER = 0x11
    BAD_KEY_SEQUENCE_NUMBER = 0x12
    UNKNOWN_COMMAND = 0x13  # followed by the unknown command identifier
    PAN_ID_CONFLICT_REPORT = 0x14  # local notification to the network manager


class RejoinStatus(IntEnum):
    """Rejoin status: the MAC association status values (IEEE 802.15.4 Table 83)."""

    SUCCESS = 0x00
    PAN_AT_CAPACITY = 0x01
    PAN_ACCESS_DENIED = 0x02


#: Capability information bits (Zigbee spec Table 3-62; IEEE 802.15.4 7.3.1.2); 4-5 reserved.
#: The MAC's flags for the same byte, under the NWK's name.
CapabilityInformation = CapabilityFlags


class NwkReportType(IntEnum):
    """Network report command types (Zigbee spec Table 3-48); others reserved."""

    PAN_ID_CONFLICT = 0


class NwkUpdateType(IntEnum):
    """Network update command types (Zigbee spec Table 3-50); others reserved."""

    PAN_ID_UPDATE = 0


class EndDeviceTimeoutStatus(IntEnum):
    """End device timeout response status (Zigbee spec Table 3-52)."""

    SUCCESS = 0
    INCORRECT_VALUE = 1


class LinkPowerDeltaType(IntEnum):
    """Link power delta command type (Zigbee spec R22 3.4.13.3.1); 3 reserved."""

    NOTIFICATION = 0
    REQUEST = 1
    RESPONSE = 2


_M2O = enum_table(ManyToOne, 4)
_LPD_TYPES = enum_table(LinkPowerDeltaType, 4)
_U8x2 = struct.Struct("<BB")
_U8x3 = struct.Struct("<BBB")
_U64 = struct.Struct("<Q")


def _pack(s: struct.Struct, *values: int) -> bytes:
    try:
        return s.pack(*values)
    except struct.error as e:
        raise LocalProtocolError(f"NWK command field out of range: {e}") from None


def _start(data: bytes, expected: NwkCommandId) -> Reader:
    r = Reader(data)
    cid = r.u8("nwk_cmd.command_id")
    if cid != expected:
        raise DecodeError(
            "nwk_cmd.command_id", 0, f"{cid:#04x} is not {expected.name} ({int(expected):#04x})"
        )
    return r


def _check_list(r: Reader, count: int, size: int, field: str, what: str) -> None:
    """The rest of the payload must be ``count`` entries of ``size`` bytes, no more, no less
    (``what`` names the count in the error)."""
    if r.remaining() != size * count:
        raise DecodeError(
            field,
            r.offset(),
            f"{what} {count} needs {size * count} bytes, {r.remaining()} present",
        )


def _addr_list(r: Reader, count: int, field: str, what: str) -> tuple[int, ...]:
    """The rest of the payload: exactly ``count`` 16-bit addresses."""
    _check_list(r, count, 2, field, what)
    p = r.pos
    r.pos = p + 2 * count
    return struct.unpack_from(f"<{count}H", r.data, p)


# -- 3.4.1 Route Request ------------------------------------------------------------------------

RREQ_MANY_TO_ONE_SHIFT = 3
RREQ_MANY_TO_ONE_MASK = 0x18
RREQ_DST_IEEE = 0x20
RREQ_MULTICAST = 0x40
_RREQ = struct.Struct("<BBBHB")


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """Route request (Zigbee spec 3.4.1, Figure 3-12).

    Options: bits 3-4 many-to-one, bit 5 destination IEEE present (derived), bit 6 multicast.
    Then route request identifier, destination address, path cost, destination IEEE (0/8).
    """

    command_id: ClassVar[NwkCommandId] = NwkCommandId.ROUTE_REQUEST

    route_request_id: int
    dst: int
    path_cost: int
    many_to_one: ManyToOne | int = ManyToOne.NONE
    dst_ieee: int | None = None
    multicast: bool = False

    def encode(self) -> bytes:
        if not 0 <= self.many_to_one <= 3:
            raise LocalProtocolError(f"many-to-one out of range: {self.many_to_one}")
        opts = int(self.many_to_one) << RREQ_MANY_TO_ONE_SHIFT
        if self.dst_ieee is not None:
            opts |= RREQ_DST_IEEE
        if self.multicast:
            opts |= RREQ_MULTICAST
        out = _pack(_RREQ, self.command_id, opts, self.route_request_id, self.dst, self.path_cost)
        if self.dst_ieee is not None:
            out += _pack(_U64, self.dst_ieee)
        return out

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        opts = r.u8("route_request.options")
        rid = r.u8("route_request.route_request_id")
        dst = r.u16("route_request.destination_address")
        cost = r.u8("route_request.path_cost")
        ieee = r.u64("route_request.destination_ieee_address") if opts & RREQ_DST_IEEE else None
        r.expect_end("route_request")
        return cls(
            rid,
            dst,
            cost,
            _M2O[(opts & RREQ_MANY_TO_ONE_MASK) >> RREQ_MANY_TO_ONE_SHIFT],
            ieee,
            bool(opts & RREQ_MULTICAST),
        )


# -- 3.4.2 Route Reply --------------------------------------------------------------------------

RREP_ORIGINATOR_IEEE = 0x10
RREP_RESPONDER_IEEE = 0x20
RREP_MULTICAST = 0x40
_RREP = struct.Struct("<BBBHHB")


@dataclass(frozen=True, slots=True)
class RouteReply:
    """Route reply (Zigbee spec 3.4.2, Figure 3-14).

    Options: bit 4 originator IEEE present, bit 5 responder IEEE present (both derived),
    bit 6 multicast. Then route request identifier, originator, responder, path cost,
    originator IEEE (0/8), responder IEEE (0/8).
    """

    command_id: ClassVar[NwkCommandId] = NwkCommandId.ROUTE_REPLY

    route_request_id: int
    originator: int
    responder: int
    path_cost: int
    originator_ieee: int | None = None
    responder_ieee: int | None = None
    multicast: bool = False

    def encode(self) -> bytes:
        opts = 0
        if self.originator_ieee is not None:
            opts |= RREP_ORIGINATOR_IEEE
        if self.responder_ieee is not None:
            opts |= RREP_RESPONDER_IEEE
        if self.multicast:
            opts |= RREP_MULTICAST
        out = _pack(
            _RREP,
            self.command_id,
            opts,
            self.route_request_id,
            self.originator,
            self.responder,
            self.path_cost,
        )
        if self.originator_ieee is not None:
            out += _pack(_U64, self.originator_ieee)
        if self.responder_ieee is not None:
            out += _pack(_U64, self.responder_ieee)
        return out

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        opts = r.u8("route_reply.options")
        rid = r.u8("route_reply.route_request_id")
        orig = r.u16("route_reply.originator_address")
        resp = r.u16("route_reply.responder_address")
        cost = r.u8("route_reply.path_cost")
        orig_ieee = (
            r.u64("route_reply.originator_ieee_address") if opts & RREP_ORIGINATOR_IEEE else None
        )
        resp_ieee = (
            r.u64("route_reply.responder_ieee_address") if opts & RREP_RESPONDER_IEEE else None
        )
        r.expect_end("route_reply")
        return cls(rid, orig, resp, cost, orig_ieee, resp_ieee, bool(opts & RREP_MULTICAST))


# -- 3.4.3 Network Status -----------------------------------------------------------------------

_NWK_STATUS = struct.Struct("<BBH")


@dataclass(frozen=True, slots=True)
class NetworkStatus:
    """Network status (Zigbee spec 3.4.3, Figure 3-16): status code | destination address
    [| unknown command identifier, present exactly when the status is UNKNOWN_COMMAND]."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.NETWORK_STATUS

    status: NwkStatusCode | int
    dst: int
    unknown_command_id: int | None = None

    def encode(self) -> bytes:
        if (self.status == NwkStatusCode.UNKNOWN_COMMAND) != (self.unknown_command_id is not None):
            raise LocalProtocolError(
                "unknown_command_id is present exactly when status is UNKNOWN_COMMAND"
            )
        out = _pack(_NWK_STATUS, self.command_id, self.status, self.dst)
        if self.unknown_command_id is not None:
            out += _pack(_U8, self.unknown_command_id)
        return out

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        code = r.u8("network_status.status_code")
        dst = r.u16("network_status.destination_address")
        unknown = (
            r.u8("network_status.unknown_command_id")
            if code == NwkStatusCode.UNKNOWN_COMMAND
            else None
        )
        r.expect_end("network_status")
        return cls(enum_or_int(NwkStatusCode, code), dst, unknown)


_U8 = struct.Struct("<B")

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


# -- 3.4.5 Route Record -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteRecord:
    """Route record (Zigbee spec 3.4.5, Figure 3-20): relay count (derived) | relay list.

    ``relays`` in the order they were appended, the relay nearest the originator first.
    A relay count that disagrees with the payload length is a :class:`DecodeError` (deployed
    stacks have crashed on such frames).
    """

    command_id: ClassVar[NwkCommandId] = NwkCommandId.ROUTE_RECORD

    relays: tuple[int, ...] = ()

    def encode(self) -> bytes:
        n = len(self.relays)
        if n > 0xFF:
            raise LocalProtocolError(f"route record of {n} relays (max 255)")
        try:
            return bytes((self.command_id, n)) + struct.pack(f"<{n}H", *self.relays)
        except struct.error as e:
            raise LocalProtocolError(f"bad relay address: {e}") from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        count = r.u8("route_record.relay_count")
        return cls(_addr_list(r, count, "route_record.relay_list", "relay count"))


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


# -- 3.4.8 Link Status --------------------------------------------------------------------------

LINK_STATUS_COUNT_MASK = 0x1F
LINK_STATUS_FIRST_FRAME = 0x20
LINK_STATUS_LAST_FRAME = 0x40
#: the entry count is a 5-bit field
LINK_STATUS_MAX_ENTRIES = 31
LINK_INCOMING_COST_MASK = 0x07
LINK_OUTGOING_COST_SHIFT = 4
_LINK_ENTRY = struct.Struct("<HB")


@dataclass(frozen=True, slots=True)
class LinkStatusEntry:
    """One link status entry (Zigbee spec Figure 3-26/3-27): neighbor network address |
    link status (incoming cost bits 0-2, outgoing cost bits 4-6)."""

    address: int
    incoming_cost: int
    outgoing_cost: int


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """Link status (Zigbee spec 3.4.8, Figure 3-25): options (entry count bits 0-4, derived;
    bit 5 first frame; bit 6 last frame) | link status list (3 bytes per entry)."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.LINK_STATUS

    entries: tuple[LinkStatusEntry, ...] = ()
    first_frame: bool = True
    last_frame: bool = True

    def encode(self) -> bytes:
        n = len(self.entries)
        if n > LINK_STATUS_MAX_ENTRIES:
            raise LocalProtocolError(
                f"link status of {n} entries (max {LINK_STATUS_MAX_ENTRIES} per frame)"
            )
        opts = (
            n
            | (LINK_STATUS_FIRST_FRAME if self.first_frame else 0)
            | (LINK_STATUS_LAST_FRAME if self.last_frame else 0)
        )
        out = bytearray((self.command_id, opts))
        for e in self.entries:
            if not (0 <= e.incoming_cost <= 7 and 0 <= e.outgoing_cost <= 7):
                raise LocalProtocolError(f"link cost out of range (0-7): {e}")
            out += _pack(
                _LINK_ENTRY,
                e.address,
                e.incoming_cost | e.outgoing_cost << LINK_OUTGOING_COST_SHIFT,
            )
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        opts = r.u8("link_status.options")
        count = opts & LINK_STATUS_COUNT_MASK
        _check_list(r, count, 3, "link_status.link_status_list", "entry count")
        entries = []
        d, p = r.data, r.pos
        for _ in range(count):
            addr, cost = _LINK_ENTRY.unpack_from(d, p)
            entries.append(
                LinkStatusEntry(
                    addr, cost & LINK_INCOMING_COST_MASK, (cost >> LINK_OUTGOING_COST_SHIFT) & 0x07
                )
            )
            p += 3
        return cls(
            tuple(entries),
            bool(opts & LINK_STATUS_FIRST_FRAME),
            bool(opts & LINK_STATUS_LAST_FRAME),
        )


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


# -- 3.4.13 Link Power Delta --------------------------------------------------------------------

LINK_POWER_DELTA_TYPE_MASK = 0x03
_LPD_ENTRY = struct.Struct("<Hb")


@dataclass(frozen=True, slots=True)
class LinkPowerDeltaEntry:
    """Power delta structure (Zigbee spec R22 Figure 3-35): device address | delta (int8, dB)."""

    address: int
    power_delta: int


@dataclass(frozen=True, slots=True)
class LinkPowerDelta:
    """Link power delta (Zigbee spec R22 3.4.13, Figure 3-34): options (type bits 0-1) |
    list count (derived) | power delta structures (3 bytes each)."""

    command_id: ClassVar[NwkCommandId] = NwkCommandId.LINK_POWER_DELTA

    entries: tuple[LinkPowerDeltaEntry, ...] = ()
    type: LinkPowerDeltaType | int = LinkPowerDeltaType.NOTIFICATION

    def encode(self) -> bytes:
        n = len(self.entries)
        if n > 0xFF or not 0 <= self.type <= LINK_POWER_DELTA_TYPE_MASK:
            raise LocalProtocolError(f"link power delta: type {self.type}, {n} entries")
        out = bytearray((self.command_id, self.type, n))
        for e in self.entries:
            out += _pack(_LPD_ENTRY, e.address, e.power_delta)
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = _start(data, cls.command_id)
        opts = r.u8("link_power_delta.options")
        count = r.u8("link_power_delta.list_count")
        _check_list(r, count, 3, "link_power_delta.power_delta_list", "count")
        d, p = r.data, r.pos
        entries = []
        for _ in range(count):
            addr, delta = _LPD_ENTRY.unpack_from(d, p)
            entries.append(LinkPowerDeltaEntry(addr, delta))
            p += 3
        return cls(tuple(entries), _LPD_TYPES[opts & LINK_POWER_DELTA_TYPE_MASK])


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
