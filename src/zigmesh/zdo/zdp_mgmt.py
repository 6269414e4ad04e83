"""ZDP network management commands (Zigbee spec R22 2.4.3.3 requests, 2.4.4.4 responses): the
Mgmt_Lqi / Mgmt_Rtg / Mgmt_Bind table reads with their records, Mgmt_Leave,
Mgmt_Permit_Joining and Mgmt_NWK_Update.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Final, Protocol, Self, TypeVar

from zigmesh.codec import Reader, Writer, enum_or_int
from zigmesh.errors import LocalProtocolError
from zigmesh.types import EUI64, ShortAddr
from zigmesh.zdo.zdp_binding import BindAddrMode, _read_binding, _write_binding
from zigmesh.zdo.zdp_common import (
    ZdoStatus,
    ZdpCluster,
    _check,
    _count,
    _read_byte_list,
    _status,
    _StatusRsp,
    _write_byte_list,
    _write_count,
)

__all__ = [
    "BindingTableRecord",
    "MAX_SCAN_DURATION",
    "MgmtBindReq",
    "MgmtBindRsp",
    "MgmtLeaveReq",
    "MgmtLeaveRsp",
    "MgmtLqiReq",
    "MgmtLqiRsp",
    "MgmtNwkUpdateNotify",
    "MgmtNwkUpdateReq",
    "MgmtPermitJoiningReq",
    "MgmtPermitJoiningRsp",
    "MgmtRtgReq",
    "MgmtRtgRsp",
    "NeighborDeviceType",
    "NeighborTableRecord",
    "PermitJoining",
    "Relationship",
    "RouteStatus",
    "RoutingTableRecord",
    "RxOnWhenIdle",
    "SCAN_DURATION_CHANGE_CHANNEL",
    "SCAN_DURATION_CHANGE_PARAMETERS",
]


class NeighborDeviceType(IntEnum):
    """Mgmt_Lqi_rsp neighbor table record device type, bits 0-1 (2.4.4.4.2)."""

    COORDINATOR = 0x0
    ROUTER = 0x1
    END_DEVICE = 0x2
    UNKNOWN = 0x3


class RxOnWhenIdle(IntEnum):
    """Neighbor table record RxOnWhenIdle, bits 2-3 (2.4.4.4.2)."""

    OFF = 0x0
    ON = 0x1
    UNKNOWN = 0x2


class Relationship(IntEnum):
    """Neighbor table record relationship, bits 4-6 (2.4.4.4.2)."""

    PARENT = 0x0
    CHILD = 0x1
    SIBLING = 0x2
    NONE = 0x3
    PREVIOUS_CHILD = 0x4


class PermitJoining(IntEnum):
    """Neighbor table record permit joining, bits 0-1 (2.4.4.4.2)."""

    NOT_ACCEPTING = 0x0
    ACCEPTING = 0x1
    UNKNOWN = 0x2


class RouteStatus(IntEnum):
    """Mgmt_Rtg_rsp routing table record status, bits 0-2 (2.4.4.4.3)."""

    ACTIVE = 0x0
    DISCOVERY_UNDERWAY = 0x1
    DISCOVERY_FAILED = 0x2
    INACTIVE = 0x3
    VALIDATION_UNDERWAY = 0x4


class _TableRecord(Protocol):
    def write(self, w: Writer) -> None: ...


def _encoded(rec: _TableRecord) -> bytes:
    w = Writer()
    rec.write(w)
    return w.getvalue()


_NEIGHBOR = struct.Struct("<QQHBBBB")
_DEVICE_TYPE_MASK = 0x03
_RX_ON_SHIFT = 2
_RELATIONSHIP_SHIFT = 4
_PERMIT_JOINING_MASK = 0x03


@dataclass(frozen=True, slots=True)
class NeighborTableRecord:
    """Mgmt_Lqi_rsp NeighborTableList record, 22 bytes (2.4.4.4.2)."""

    extended_pan_id: int
    extended_address: int
    network_address: int
    device_type: NeighborDeviceType | int
    rx_on_when_idle: RxOnWhenIdle | int
    relationship: Relationship | int
    permit_joining: PermitJoining | int
    depth: int
    lqi: int

    SIZE: ClassVar[int] = 22

    def write(self, w: Writer) -> None:
        _check(int(self.device_type), 0x3, "device_type")
        _check(int(self.rx_on_when_idle), 0x3, "rx_on_when_idle")
        _check(int(self.relationship), 0x7, "relationship")
        _check(int(self.permit_joining), 0x3, "permit_joining")
        bits = (
            int(self.device_type)
            | (int(self.rx_on_when_idle) << _RX_ON_SHIFT)
            | (int(self.relationship) << _RELATIONSHIP_SHIFT)
        )
        w.raw(
            _NEIGHBOR.pack(
                self.extended_pan_id,
                self.extended_address,
                self.network_address,
                bits,
                int(self.permit_joining),
                self.depth,
                self.lqi,
            )
        )

    def encode(self) -> bytes:
        return _encoded(self)

    @classmethod
    def read(cls, r: Reader) -> Self:
        raw = r.bytes(cls.SIZE, "NeighborTableRecord")
        epid, ieee, nwk, bits, pj, depth, lqi = _NEIGHBOR.unpack(raw)
        dt = bits & _DEVICE_TYPE_MASK
        rx = (bits >> _RX_ON_SHIFT) & 0x3
        rel = (bits >> _RELATIONSHIP_SHIFT) & 0x7
        pj &= _PERMIT_JOINING_MASK
        return cls(
            EUI64(epid),
            EUI64(ieee),
            ShortAddr(nwk),
            enum_or_int(NeighborDeviceType, dt),
            enum_or_int(RxOnWhenIdle, rx),
            enum_or_int(Relationship, rel),
            enum_or_int(PermitJoining, pj),
            depth,
            lqi,
        )


_ROUTE = struct.Struct("<HBH")
_ROUTE_STATUS_MASK = 0x07
_MEMORY_CONSTRAINED = 0x08
_MANY_TO_ONE = 0x10
_ROUTE_RECORD_REQUIRED = 0x20


@dataclass(frozen=True, slots=True)
class RoutingTableRecord:
    """Mgmt_Rtg_rsp RoutingTableList record, 5 bytes (2.4.4.4.3)."""

    destination_address: int
    status: RouteStatus | int
    next_hop_address: int
    memory_constrained: bool = False
    many_to_one: bool = False
    route_record_required: bool = False

    SIZE: ClassVar[int] = 5

    def write(self, w: Writer) -> None:
        _check(int(self.status), _ROUTE_STATUS_MASK, "route status")
        bits = int(self.status)
        if self.memory_constrained:
            bits |= _MEMORY_CONSTRAINED
        if self.many_to_one:
            bits |= _MANY_TO_ONE
        if self.route_record_required:
            bits |= _ROUTE_RECORD_REQUIRED
        w.raw(_ROUTE.pack(self.destination_address, bits, self.next_hop_address))

    def encode(self) -> bytes:
        return _encoded(self)

    @classmethod
    def read(cls, r: Reader) -> Self:
        dst, bits, nxt = _ROUTE.unpack(r.bytes(cls.SIZE, "RoutingTableRecord"))
        st = bits & _ROUTE_STATUS_MASK
        return cls(
            ShortAddr(dst),
            enum_or_int(RouteStatus, st),
            ShortAddr(nxt),
            bool(bits & _MEMORY_CONSTRAINED),
            bool(bits & _MANY_TO_ONE),
            bool(bits & _ROUTE_RECORD_REQUIRED),
        )


@dataclass(frozen=True, slots=True)
class BindingTableRecord:
    """Mgmt_Bind_rsp BindingTableList record (2.4.4.4.4); same destination rule
    as Bind_req: ``dst_endp`` ``None`` means a 16-bit group address."""

    src_address: int
    src_endp: int
    cluster_id: int
    dst_address: int
    dst_endp: int | None = None

    MIN_SIZE: ClassVar[int] = 14

    @property
    def dst_addr_mode(self) -> BindAddrMode:
        return BindAddrMode.GROUP if self.dst_endp is None else BindAddrMode.EXTENDED

    def write(self, w: Writer) -> None:
        _write_binding(
            w, self.src_address, self.src_endp, self.cluster_id, self.dst_address, self.dst_endp
        )

    def encode(self) -> bytes:
        return _encoded(self)

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls(*_read_binding(r, "BindingTableRecord"))


_R = TypeVar("_R")


def _encode_table_rsp(
    tsn: int, status: int, total: int, start: int, records: tuple[_TableRecord, ...], name: str
) -> bytes:
    """Mgmt_Lqi_rsp / Mgmt_Rtg_rsp / Mgmt_Bind_rsp (2.4.4.4.2-2.4.4.4.4): TSN, Status, table
    entries, start index, list count (derived from ``records``) and the records.

    A failure with an empty table is Status alone: "all parameter fields after the Status
    field shall be omitted" (e.g. NOT_SUPPORTED). (Wireshark 4.0 flags such bare responses as
    malformed.)
    """
    w = Writer().u8(tsn).u8(int(status))
    if status != ZdoStatus.SUCCESS and not (total or start or records):
        return w.getvalue()
    w.u8(total).u8(start)
    _write_count(w, records, name)
    for rec in records:
        rec.write(w)
    return w.getvalue()


def _decode_table_rsp(
    data: bytes, name: str, table: str, read: Callable[[Reader], _R], min_size: int
) -> tuple[int, ZdoStatus | int, int, int, tuple[_R, ...]]:
    """The fields of :func:`_encode_table_rsp`, named ``{name}.{table}Entries`` etc.;
    ``min_size`` bytes per record at least."""
    r = Reader(data)
    tsn = r.u8(f"{name}.tsn")
    status = _status(r, f"{name}.Status")
    if r.at_end():
        return tsn, status, 0, 0, ()
    total = r.u8(f"{name}.{table}Entries")
    start = r.u8(f"{name}.StartIndex")
    n = _count(r, f"{name}.{table}ListCount", min_size)
    return tsn, status, total, start, tuple(read(r) for _ in range(n))


@dataclass(frozen=True, slots=True)
class _StartIndexReq:
    """A management request carrying only StartIndex."""

    _name: ClassVar[str] = ""
    tsn: int
    start_index: int = 0

    def encode(self) -> bytes:
        return bytes((self.tsn, self.start_index))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8(f"{cls._name}.tsn")
        return cls(tsn, r.u8(f"{cls._name}.StartIndex"))


@dataclass(frozen=True, slots=True)
class MgmtLqiReq(_StartIndexReq):
    """Mgmt_Lqi_req (2.4.3.3.2)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_LQI_REQ
    _name: ClassVar[str] = "Mgmt_Lqi_req"


@dataclass(frozen=True, slots=True)
class MgmtRtgReq(_StartIndexReq):
    """Mgmt_Rtg_req (2.4.3.3.3)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_RTG_REQ
    _name: ClassVar[str] = "Mgmt_Rtg_req"


@dataclass(frozen=True, slots=True)
class MgmtBindReq(_StartIndexReq):
    """Mgmt_Bind_req (2.4.3.3.4)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_BIND_REQ
    _name: ClassVar[str] = "Mgmt_Bind_req"


@dataclass(frozen=True, slots=True)
class MgmtLqiRsp:
    """Mgmt_Lqi_rsp (2.4.4.4.2): NeighborTableListCount derived from the list."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_LQI_RSP
    tsn: int
    status: ZdoStatus | int
    neighbor_table_entries: int = 0
    start_index: int = 0
    neighbor_table_list: tuple[NeighborTableRecord, ...] = ()

    def encode(self) -> bytes:
        total, recs = self.neighbor_table_entries, self.neighbor_table_list
        return _encode_table_rsp(self.tsn, self.status, total, self.start_index, recs, "neighbors")

    @classmethod
    def decode(cls, data: bytes) -> Self:
        read, size = NeighborTableRecord.read, NeighborTableRecord.SIZE
        return cls(*_decode_table_rsp(data, "Mgmt_Lqi_rsp", "NeighborTable", read, size))


@dataclass(frozen=True, slots=True)
class MgmtRtgRsp:
    """Mgmt_Rtg_rsp (2.4.4.4.3): RoutingTableListCount derived from the list."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_RTG_RSP
    tsn: int
    status: ZdoStatus | int
    routing_table_entries: int = 0
    start_index: int = 0
    routing_table_list: tuple[RoutingTableRecord, ...] = ()

    def encode(self) -> bytes:
        total, recs = self.routing_table_entries, self.routing_table_list
        return _encode_table_rsp(self.tsn, self.status, total, self.start_index, recs, "routes")

    @classmethod
    def decode(cls, data: bytes) -> Self:
        read, size = RoutingTableRecord.read, RoutingTableRecord.SIZE
        return cls(*_decode_table_rsp(data, "Mgmt_Rtg_rsp", "RoutingTable", read, size))


@dataclass(frozen=True, slots=True)
class MgmtBindRsp:
    """Mgmt_Bind_rsp (2.4.4.4.4): BindingTableListCount derived from the list."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_BIND_RSP
    tsn: int
    status: ZdoStatus | int
    binding_table_entries: int = 0
    start_index: int = 0
    binding_table_list: tuple[BindingTableRecord, ...] = ()

    def encode(self) -> bytes:
        total, recs = self.binding_table_entries, self.binding_table_list
        return _encode_table_rsp(self.tsn, self.status, total, self.start_index, recs, "bindings")

    @classmethod
    def decode(cls, data: bytes) -> Self:
        read, size = BindingTableRecord.read, BindingTableRecord.MIN_SIZE
        return cls(*_decode_table_rsp(data, "Mgmt_Bind_rsp", "BindingTable", read, size))


_LEAVE_REMOVE_CHILDREN = 0x40
_LEAVE_REJOIN = 0x80


@dataclass(frozen=True, slots=True)
class MgmtLeaveReq:
    """Mgmt_Leave_req (2.4.3.3.5): DeviceAddress, then options (bit 6 remove children,
    bit 7 rejoin)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_LEAVE_REQ
    tsn: int
    device_address: int
    remove_children: bool = False
    rejoin: bool = False

    def encode(self) -> bytes:
        opts = (_LEAVE_REMOVE_CHILDREN if self.remove_children else 0) | (
            _LEAVE_REJOIN if self.rejoin else 0
        )
        return Writer().u8(self.tsn).u64(self.device_address).u8(opts).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("Mgmt_Leave_req.tsn")
        addr = EUI64(r.u64("Mgmt_Leave_req.DeviceAddress"))
        opts = r.u8("Mgmt_Leave_req.Options")
        return cls(tsn, addr, bool(opts & _LEAVE_REMOVE_CHILDREN), bool(opts & _LEAVE_REJOIN))


@dataclass(frozen=True, slots=True)
class MgmtLeaveRsp(_StatusRsp):
    """Mgmt_Leave_rsp (2.4.4.4.5)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_LEAVE_RSP
    _name: ClassVar[str] = "Mgmt_Leave_rsp"


@dataclass(frozen=True, slots=True)
class MgmtPermitJoiningReq:
    """Mgmt_Permit_Joining_req (2.4.3.3.7): PermitDuration in seconds (0 closes joining);
    TC_Significance is always 1 in R22."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_PERMIT_JOINING_REQ
    tsn: int
    permit_duration: int
    tc_significance: int = 1

    def encode(self) -> bytes:
        return bytes((self.tsn, self.permit_duration, self.tc_significance))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("Mgmt_Permit_Joining_req.tsn")
        duration = r.u8("Mgmt_Permit_Joining_req.PermitDuration")
        return cls(tsn, duration, r.u8("Mgmt_Permit_Joining_req.TC_Significance"))


@dataclass(frozen=True, slots=True)
class MgmtPermitJoiningRsp(_StatusRsp):
    """Mgmt_Permit_Joining_rsp (2.4.4.4.7)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_PERMIT_JOINING_RSP
    _name: ClassVar[str] = "Mgmt_Permit_Joining_rsp"


#: Mgmt_NWK_Update_req ScanDuration values (2.4.3.3.9)
MAX_SCAN_DURATION: Final = 0x05
SCAN_DURATION_CHANGE_CHANNEL: Final = 0xFE
SCAN_DURATION_CHANGE_PARAMETERS: Final = 0xFF


@dataclass(frozen=True, slots=True)
class MgmtNwkUpdateReq:
    """Mgmt_NWK_Update_req (2.4.3.3.9).

    ScanDuration selects the trailing fields: 0x00-0x05 an energy scan with ``scan_count``;
    0xFE a channel change with ``nwk_update_id``; 0xFF new channel mask / manager with
    ``nwk_update_id`` and ``nwk_manager_addr``; other values carry none. Use the
    ``energy_scan`` / ``change_channel`` / ``change_parameters`` constructors.
    """

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_NWK_UPDATE_REQ
    tsn: int
    scan_channels: int
    scan_duration: int
    scan_count: int | None = None
    nwk_update_id: int | None = None
    nwk_manager_addr: int | None = None

    @classmethod
    def energy_scan(cls, tsn: int, scan_channels: int, scan_duration: int, scan_count: int) -> Self:
        _check(scan_duration, MAX_SCAN_DURATION, "scan_duration")
        return cls(tsn, scan_channels, scan_duration, scan_count=scan_count)

    @classmethod
    def change_channel(cls, tsn: int, scan_channels: int, nwk_update_id: int) -> Self:
        return cls(tsn, scan_channels, SCAN_DURATION_CHANGE_CHANNEL, nwk_update_id=nwk_update_id)

    @classmethod
    def change_parameters(
        cls, tsn: int, scan_channels: int, nwk_update_id: int, nwk_manager_addr: int
    ) -> Self:
        return cls(
            tsn,
            scan_channels,
            SCAN_DURATION_CHANGE_PARAMETERS,
            None,
            nwk_update_id,
            nwk_manager_addr,
        )

    def encode(self) -> bytes:
        d = self.scan_duration
        want_count = d <= MAX_SCAN_DURATION
        want_id = d in (SCAN_DURATION_CHANGE_CHANNEL, SCAN_DURATION_CHANGE_PARAMETERS)
        want_mgr = d == SCAN_DURATION_CHANGE_PARAMETERS
        if (
            want_count != (self.scan_count is not None)
            or want_id != (self.nwk_update_id is not None)
            or want_mgr != (self.nwk_manager_addr is not None)
        ):
            raise LocalProtocolError(f"Mgmt_NWK_Update_req fields do not match ScanDuration {d:#x}")
        w = Writer().u8(self.tsn).u32(self.scan_channels).u8(d)
        if self.scan_count is not None:
            w.u8(self.scan_count)
        if self.nwk_update_id is not None:
            w.u8(self.nwk_update_id)
        if self.nwk_manager_addr is not None:
            w.u16(self.nwk_manager_addr)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = "Mgmt_NWK_Update_req"
        r = Reader(data)
        tsn = r.u8(f"{n}.tsn")
        channels = r.u32(f"{n}.ScanChannels")
        d = r.u8(f"{n}.ScanDuration")
        if d <= MAX_SCAN_DURATION:
            return cls(tsn, channels, d, scan_count=r.u8(f"{n}.ScanCount"))
        if d == SCAN_DURATION_CHANGE_CHANNEL:
            return cls(tsn, channels, d, nwk_update_id=r.u8(f"{n}.nwkUpdateId"))
        if d == SCAN_DURATION_CHANGE_PARAMETERS:
            uid = r.u8(f"{n}.nwkUpdateId")
            return cls(tsn, channels, d, None, uid, ShortAddr(r.u16(f"{n}.nwkManagerAddr")))
        return cls(tsn, channels, d)


@dataclass(frozen=True, slots=True)
class MgmtNwkUpdateNotify:
    """Mgmt_NWK_Update_notify (2.4.4.4.9): ScannedChannelsListCount derived from
    ``energy_values``."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MGMT_NWK_UPDATE_NOTIFY
    tsn: int
    status: ZdoStatus | int
    scanned_channels: int = 0
    total_transmissions: int = 0
    transmission_failures: int = 0
    energy_values: tuple[int, ...] = ()

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u8(int(self.status)).u32(self.scanned_channels)
        w.u16(self.total_transmissions).u16(self.transmission_failures)
        _write_byte_list(w, self.energy_values, "energy_values")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = "Mgmt_NWK_Update_notify"
        r = Reader(data)
        tsn = r.u8(f"{n}.tsn")
        status = _status(r, f"{n}.Status")
        channels = r.u32(f"{n}.ScannedChannels")
        total = r.u16(f"{n}.TotalTransmissions")
        failures = r.u16(f"{n}.TransmissionFailures")
        energy = _read_byte_list(r, f"{n}.ScannedChannelsListCount", f"{n}.EnergyValues")
        return cls(tsn, status, channels, total, failures, energy)
