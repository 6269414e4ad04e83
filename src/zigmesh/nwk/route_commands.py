"""NWK routing and link commands (Zigbee spec R22 3.4.1 Route Request, 3.4.2 Route Reply, 3.4.3
Network Status, 3.4.5 Route Record, 3.4.8 Link Status, 3.4.13 Link Power Delta).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from zigmesh.codec import enum_or_int, enum_table
from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.commands_common import (
    _U8,
    _U64,
    NwkCommandId,
    _addr_list,
    _check_list,
    _pack,
    _start,
)

__all__ = [
    "LINK_INCOMING_COST_MASK",
    "LINK_OUTGOING_COST_SHIFT",
    "LINK_POWER_DELTA_TYPE_MASK",
    "LINK_STATUS_COUNT_MASK",
    "LINK_STATUS_FIRST_FRAME",
    "LINK_STATUS_LAST_FRAME",
    "LINK_STATUS_MAX_ENTRIES",
    "LinkPowerDelta",
    "LinkPowerDeltaEntry",
    "LinkPowerDeltaType",
    "LinkStatus",
    "LinkStatusEntry",
    "ManyToOne",
    "NetworkStatus",
    "NwkStatusCode",
    "RouteRecord",
    "RouteReply",
    "RouteRequest",
    "RREP_MULTICAST",
    "RREP_ORIGINATOR_IEEE",
    "RREP_RESPONDER_IEEE",
    "RREQ_DST_IEEE",
    "RREQ_MANY_TO_ONE_MASK",
    "RREQ_MANY_TO_ONE_SHIFT",
    "RREQ_MULTICAST",
]


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


class LinkPowerDeltaType(IntEnum):
    """Link power delta command type (Zigbee spec R22 3.4.13.3.1); 3 reserved."""

    NOTIFICATION = 0
    REQUEST = 1
    RESPONSE = 2


_M2O = enum_table(ManyToOne, 4)
_LPD_TYPES = enum_table(LinkPowerDeltaType, 4)


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
