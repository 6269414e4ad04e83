"""ZDP (Zigbee Device Profile, profile 0x0000) message codecs (Zigbee spec R22 2.4.3, 2.4.4).

Every message is the APS payload of a frame to or from endpoint 0: a 1-byte transaction
sequence number then the command fields of its cluster. Responses use the request's cluster id
with bit 15 set. Counts and lengths are derived from the lists on encode; on decode a count
that disagrees with the bytes left is a :class:`DecodeError` naming the count field.
Additional octets after the last known field are ignored, as later revisions append fields
(e.g. R23 TLVs) to existing commands.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Final, Protocol, Self, TypeAlias, TypeVar

from zigmesh.codec import Reader, Writer, enum_or_int
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.types import EUI64, ShortAddr
from zigmesh.zdo.descriptors import (
    MacCapability,
    NodeDescriptor,
    PowerDescriptor,
    SimpleDescriptor,
    read_cluster_list,
    write_cluster_list,
)

__all__ = [
    "ActiveEpReq",
    "ActiveEpRsp",
    "BindAddrMode",
    "BindReq",
    "BindRsp",
    "BindingTableRecord",
    "DeviceAnnce",
    "EndDeviceBindReq",
    "EndDeviceBindRsp",
    "IeeeAddrReq",
    "IeeeAddrRsp",
    "MAX_SCAN_DURATION",
    "MatchDescReq",
    "MatchDescRsp",
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
    "NodeDescReq",
    "NodeDescRsp",
    "NwkAddrReq",
    "NwkAddrRsp",
    "ParentAnnce",
    "ParentAnnceRsp",
    "PermitJoining",
    "PowerDescReq",
    "PowerDescRsp",
    "Relationship",
    "RequestType",
    "RouteStatus",
    "RoutingTableRecord",
    "RxOnWhenIdle",
    "SCAN_DURATION_CHANGE_CHANNEL",
    "SCAN_DURATION_CHANGE_PARAMETERS",
    "SimpleDescReq",
    "SimpleDescRsp",
    "UnbindReq",
    "UnbindRsp",
    "UnknownZdp",
    "ZDP_PROFILE_ID",
    "ZdoStatus",
    "ZdpCluster",
    "ZdpMessage",
    "ZDP_MESSAGE_TYPES",
    "decode_zdp",
    "response_cluster",
]

#: ZDP application profile identifier (2.4.1)
ZDP_PROFILE_ID: Final = 0x0000
_RESPONSE_BIT = 0x8000


class ZdpCluster(IntEnum):
    """ZDP command cluster ids (2.4.3 requests, 2.4.4 responses)."""

    NWK_ADDR_REQ = 0x0000
    IEEE_ADDR_REQ = 0x0001
    NODE_DESC_REQ = 0x0002
    POWER_DESC_REQ = 0x0003
    SIMPLE_DESC_REQ = 0x0004
    ACTIVE_EP_REQ = 0x0005
    MATCH_DESC_REQ = 0x0006
    COMPLEX_DESC_REQ = 0x0010
    USER_DESC_REQ = 0x0011
    DISCOVERY_CACHE_REQ = 0x0012
    DEVICE_ANNCE = 0x0013
    USER_DESC_SET = 0x0014
    SYSTEM_SERVER_DISCOVERY_REQ = 0x0015
    DISCOVERY_STORE_REQ = 0x0016
    NODE_DESC_STORE_REQ = 0x0017
    POWER_DESC_STORE_REQ = 0x0018
    ACTIVE_EP_STORE_REQ = 0x0019
    SIMPLE_DESC_STORE_REQ = 0x001A
    REMOVE_NODE_CACHE_REQ = 0x001B
    FIND_NODE_CACHE_REQ = 0x001C
    EXTENDED_SIMPLE_DESC_REQ = 0x001D
    EXTENDED_ACTIVE_EP_REQ = 0x001E
    PARENT_ANNCE = 0x001F
    END_DEVICE_BIND_REQ = 0x0020
    BIND_REQ = 0x0021
    UNBIND_REQ = 0x0022
    BIND_REGISTER_REQ = 0x0023
    REPLACE_DEVICE_REQ = 0x0024
    STORE_BKUP_BIND_ENTRY_REQ = 0x0025
    REMOVE_BKUP_BIND_ENTRY_REQ = 0x0026
    BACKUP_BIND_TABLE_REQ = 0x0027
    RECOVER_BIND_TABLE_REQ = 0x0028
    BACKUP_SOURCE_BIND_REQ = 0x0029
    RECOVER_SOURCE_BIND_REQ = 0x002A
    MGMT_NWK_DISC_REQ = 0x0030
    MGMT_LQI_REQ = 0x0031
    MGMT_RTG_REQ = 0x0032
    MGMT_BIND_REQ = 0x0033
    MGMT_LEAVE_REQ = 0x0034
    MGMT_DIRECT_JOIN_REQ = 0x0035
    MGMT_PERMIT_JOINING_REQ = 0x0036
    MGMT_CACHE_REQ = 0x0037
    MGMT_NWK_UPDATE_REQ = 0x0038
    MGMT_NWK_ENHANCED_UPDATE_REQ = 0x0039
    MGMT_NWK_IEEE_JOINING_LIST_REQ = 0x003A

    NWK_ADDR_RSP = 0x8000
    IEEE_ADDR_RSP = 0x8001
    NODE_DESC_RSP = 0x8002
    POWER_DESC_RSP = 0x8003
    SIMPLE_DESC_RSP = 0x8004
    ACTIVE_EP_RSP = 0x8005
    MATCH_DESC_RSP = 0x8006
    COMPLEX_DESC_RSP = 0x8010
    USER_DESC_RSP = 0x8011
    DISCOVERY_CACHE_RSP = 0x8012
    USER_DESC_CONF = 0x8014
    SYSTEM_SERVER_DISCOVERY_RSP = 0x8015
    DISCOVERY_STORE_RSP = 0x8016
    NODE_DESC_STORE_RSP = 0x8017
    POWER_DESC_STORE_RSP = 0x8018
    ACTIVE_EP_STORE_RSP = 0x8019
    SIMPLE_DESC_STORE_RSP = 0x801A
    REMOVE_NODE_CACHE_RSP = 0x801B
    FIND_NODE_CACHE_RSP = 0x801C
    EXTENDED_SIMPLE_DESC_RSP = 0x801D
    EXTENDED_ACTIVE_EP_RSP = 0x801E
    PARENT_ANNCE_RSP = 0x801F
    END_DEVICE_BIND_RSP = 0x8020
    BIND_RSP = 0x8021
    UNBIND_RSP = 0x8022
    BIND_REGISTER_RSP = 0x8023
    REPLACE_DEVICE_RSP = 0x8024
    STORE_BKUP_BIND_ENTRY_RSP = 0x8025
    REMOVE_BKUP_BIND_ENTRY_RSP = 0x8026
    BACKUP_BIND_TABLE_RSP = 0x8027
    RECOVER_BIND_TABLE_RSP = 0x8028
    BACKUP_SOURCE_BIND_RSP = 0x8029
    RECOVER_SOURCE_BIND_RSP = 0x802A
    MGMT_NWK_DISC_RSP = 0x8030
    MGMT_LQI_RSP = 0x8031
    MGMT_RTG_RSP = 0x8032
    MGMT_BIND_RSP = 0x8033
    MGMT_LEAVE_RSP = 0x8034
    MGMT_DIRECT_JOIN_RSP = 0x8035
    MGMT_PERMIT_JOINING_RSP = 0x8036
    MGMT_CACHE_RSP = 0x8037
    MGMT_NWK_UPDATE_NOTIFY = 0x8038
    MGMT_NWK_ENHANCED_UPDATE_NOTIFY = 0x8039
    MGMT_NWK_IEEE_JOINING_LIST_RSP = 0x803A
    MGMT_NWK_UNSOLICITED_ENHANCED_UPDATE_NOTIFY = 0x803B


def response_cluster(request_cluster: int) -> int:
    """The response cluster id of a request cluster id (request | 0x8000)."""
    return request_cluster | _RESPONSE_BIT


class ZdoStatus(IntEnum):
    """ZDP enumerated status values (2.4.5)."""

    SUCCESS = 0x00
    INV_REQUESTTYPE = 0x80
    DEVICE_NOT_FOUND = 0x81
    INVALID_EP = 0x82
    NOT_ACTIVE = 0x83
    NOT_SUPPORTED = 0x84
    TIMEOUT = 0x85
    NO_MATCH = 0x86
    NO_ENTRY = 0x88
    NO_DESCRIPTOR = 0x89
    INSUFFICIENT_SPACE = 0x8A
    NOT_PERMITTED = 0x8B
    TABLE_FULL = 0x8C
    NOT_AUTHORIZED = 0x8D
    DEVICE_BINDING_TABLE_FULL = 0x8E
    INVALID_INDEX = 0x8F


class RequestType(IntEnum):
    """NWK_addr_req / IEEE_addr_req RequestType (2.4.3.1.1, 2.4.3.1.2)."""

    SINGLE_DEVICE = 0x00
    EXTENDED = 0x01


class BindAddrMode(IntEnum):
    """Bind_req / binding table DstAddrMode (2.4.3.2.2)."""

    GROUP = 0x01  # 16-bit group address, no destination endpoint
    EXTENDED = 0x03  # 64-bit extended address and destination endpoint


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


def _check(value: int, limit: int, name: str) -> None:
    if not 0 <= value <= limit:
        raise LocalProtocolError(f"{name} out of range 0..{limit}: {value}")


def _status(r: Reader, field: str) -> ZdoStatus | int:
    return enum_or_int(ZdoStatus, r.u8(field))


def _count(r: Reader, field: str, size: int) -> int:
    """A 1-byte count of ``size``-byte items; DecodeError on the count if they cannot fit."""
    at = r.offset()
    n = r.u8(field)
    if n * size > r.remaining():
        raise DecodeError(field, at, f"count {n} needs {n * size} bytes, {r.remaining()} left")
    return n


def _write_count(w: Writer, items: tuple[object, ...], name: str) -> None:
    _check(len(items), 0xFF, f"{name} count")
    w.u8(len(items))


def _read_byte_list(r: Reader, count_field: str, list_field: str) -> tuple[int, ...]:
    """A 1-byte count then that many 1-byte items."""
    n = _count(r, count_field, 1)
    return tuple(r.bytes(n, list_field))


def _write_byte_list(w: Writer, items: tuple[int, ...], name: str) -> None:
    _write_count(w, items, name)
    w.raw(bytes(items))


def _rsp_writer(tsn: int, status: int, nwk_addr_of_interest: int) -> Writer:
    """A writer holding the TSN, Status and NWKAddrOfInterest that start many responses."""
    return Writer().u8(tsn).u8(int(status)).u16(nwk_addr_of_interest)


def _read_rsp_head(r: Reader, name: str) -> tuple[int, ZdoStatus | int, ShortAddr]:
    """TSN, Status and NWKAddrOfInterest of response ``name``."""
    tsn = r.u8(f"{name}.tsn")
    status = _status(r, f"{name}.Status")
    return tsn, status, ShortAddr(r.u16(f"{name}.NWKAddrOfInterest"))


# ---------------------------------------------------------------------------------------------
# Device and service discovery (2.4.3.1, 2.4.4.2)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NwkAddrReq:
    """NWK_addr_req (2.4.3.1.1): look up the network address of an IEEE address."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.NWK_ADDR_REQ
    tsn: int
    ieee_addr: int
    request_type: RequestType | int = RequestType.SINGLE_DEVICE
    start_index: int = 0

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u64(self.ieee_addr)
        return w.u8(int(self.request_type)).u8(self.start_index).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("NWK_addr_req.tsn")
        ieee = EUI64(r.u64("NWK_addr_req.IEEEAddr"))
        rt = r.u8("NWK_addr_req.RequestType")
        return cls(tsn, ieee, enum_or_int(RequestType, rt), r.u8("NWK_addr_req.StartIndex"))


@dataclass(frozen=True, slots=True)
class IeeeAddrReq:
    """IEEE_addr_req (2.4.3.1.2): look up the IEEE address of a network address."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.IEEE_ADDR_REQ
    tsn: int
    nwk_addr_of_interest: int
    request_type: RequestType | int = RequestType.SINGLE_DEVICE
    start_index: int = 0

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u16(self.nwk_addr_of_interest)
        return w.u8(int(self.request_type)).u8(self.start_index).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("IEEE_addr_req.tsn")
        nwk = ShortAddr(r.u16("IEEE_addr_req.NWKAddrOfInterest"))
        rt = r.u8("IEEE_addr_req.RequestType")
        return cls(tsn, nwk, enum_or_int(RequestType, rt), r.u8("IEEE_addr_req.StartIndex"))


@dataclass(frozen=True, slots=True)
class _AddrRsp:
    """NWK_addr_rsp / IEEE_addr_rsp body (2.4.4.2.1, 2.4.4.2.2).

    ``nwk_addr_assoc_dev_list`` is ``None`` for a single-device response; for an extended one it
    is the (possibly empty) list, and NumAssocDev is derived from it. ``start_index`` is sent
    only when the list is non-empty.
    """

    _name: ClassVar[str] = ""
    tsn: int
    status: ZdoStatus | int
    ieee_addr_remote_dev: int
    nwk_addr_remote_dev: int
    start_index: int = 0
    nwk_addr_assoc_dev_list: tuple[int, ...] | None = None

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u8(int(self.status))
        w.u64(self.ieee_addr_remote_dev).u16(self.nwk_addr_remote_dev)
        assoc = self.nwk_addr_assoc_dev_list
        if assoc is not None:
            _write_count(w, assoc, "nwk_addr_assoc_dev_list")
            if assoc:
                w.u8(self.start_index)
                for a in assoc:
                    w.u16(a)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = cls._name
        r = Reader(data)
        tsn = r.u8(f"{n}.tsn")
        status = _status(r, f"{n}.Status")
        ieee = EUI64(r.u64(f"{n}.IEEEAddrRemoteDev"))
        nwk = ShortAddr(r.u16(f"{n}.NWKAddrRemoteDev"))
        if r.at_end():
            return cls(tsn, status, ieee, nwk)
        at = r.offset()
        count = r.u8(f"{n}.NumAssocDev")
        if count == 0:
            return cls(tsn, status, ieee, nwk, 0, ())
        start = r.u8(f"{n}.StartIndex")
        if 2 * count > r.remaining():
            raise DecodeError(f"{n}.NumAssocDev", at, f"count {count} exceeds the bytes left")
        field = f"{n}.NWKAddrAssocDevList"
        assoc = tuple(ShortAddr(r.u16(field)) for _ in range(count))
        return cls(tsn, status, ieee, nwk, start, assoc)


@dataclass(frozen=True, slots=True)
class NwkAddrRsp(_AddrRsp):
    """NWK_addr_rsp (2.4.4.2.1)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.NWK_ADDR_RSP
    _name: ClassVar[str] = "NWK_addr_rsp"


@dataclass(frozen=True, slots=True)
class IeeeAddrRsp(_AddrRsp):
    """IEEE_addr_rsp (2.4.4.2.2)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.IEEE_ADDR_RSP
    _name: ClassVar[str] = "IEEE_addr_rsp"


@dataclass(frozen=True, slots=True)
class _NwkAddrOfInterestReq:
    """A request carrying only NWKAddrOfInterest."""

    _name: ClassVar[str] = ""
    tsn: int
    nwk_addr_of_interest: int

    def encode(self) -> bytes:
        return Writer().u8(self.tsn).u16(self.nwk_addr_of_interest).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8(f"{cls._name}.tsn")
        return cls(tsn, ShortAddr(r.u16(f"{cls._name}.NWKAddrOfInterest")))


@dataclass(frozen=True, slots=True)
class NodeDescReq(_NwkAddrOfInterestReq):
    """Node_Desc_req (2.4.3.1.3)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.NODE_DESC_REQ
    _name: ClassVar[str] = "Node_Desc_req"


@dataclass(frozen=True, slots=True)
class PowerDescReq(_NwkAddrOfInterestReq):
    """Power_Desc_req (2.4.3.1.4)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.POWER_DESC_REQ
    _name: ClassVar[str] = "Power_Desc_req"


@dataclass(frozen=True, slots=True)
class ActiveEpReq(_NwkAddrOfInterestReq):
    """Active_EP_req (2.4.3.1.6)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.ACTIVE_EP_REQ
    _name: ClassVar[str] = "Active_EP_req"


@dataclass(frozen=True, slots=True)
class NodeDescRsp:
    """Node_Desc_rsp (2.4.4.2.3); the descriptor is present on SUCCESS only."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.NODE_DESC_RSP
    tsn: int
    status: ZdoStatus | int
    nwk_addr_of_interest: int
    node_descriptor: NodeDescriptor | None = None

    def encode(self) -> bytes:
        w = _rsp_writer(self.tsn, self.status, self.nwk_addr_of_interest)
        if self.node_descriptor is not None:
            w.raw(self.node_descriptor.encode())
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        head = _read_rsp_head(r, "Node_Desc_rsp")
        return cls(*head, None if r.at_end() else NodeDescriptor.read(r))


@dataclass(frozen=True, slots=True)
class PowerDescRsp:
    """Power_Desc_rsp (2.4.4.2.4); the descriptor is present on SUCCESS only."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.POWER_DESC_RSP
    tsn: int
    status: ZdoStatus | int
    nwk_addr_of_interest: int
    power_descriptor: PowerDescriptor | None = None

    def encode(self) -> bytes:
        w = _rsp_writer(self.tsn, self.status, self.nwk_addr_of_interest)
        if self.power_descriptor is not None:
            w.raw(self.power_descriptor.encode())
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        head = _read_rsp_head(r, "Power_Desc_rsp")
        return cls(*head, None if r.at_end() else PowerDescriptor.read(r))


@dataclass(frozen=True, slots=True)
class SimpleDescReq:
    """Simple_Desc_req (2.4.3.1.5)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.SIMPLE_DESC_REQ
    tsn: int
    nwk_addr_of_interest: int
    endpoint: int

    def encode(self) -> bytes:
        return Writer().u8(self.tsn).u16(self.nwk_addr_of_interest).u8(self.endpoint).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("Simple_Desc_req.tsn")
        nwk = ShortAddr(r.u16("Simple_Desc_req.NWKAddrOfInterest"))
        return cls(tsn, nwk, r.u8("Simple_Desc_req.EndPoint"))


@dataclass(frozen=True, slots=True)
class SimpleDescRsp:
    """Simple_Desc_rsp (2.4.4.2.5): Length (derived; 0 when absent) then the descriptor."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.SIMPLE_DESC_RSP
    tsn: int
    status: ZdoStatus | int
    nwk_addr_of_interest: int
    simple_descriptor: SimpleDescriptor | None = None

    def encode(self) -> bytes:
        w = _rsp_writer(self.tsn, self.status, self.nwk_addr_of_interest)
        if self.simple_descriptor is None:
            return w.u8(0).getvalue()
        desc = self.simple_descriptor.encode()
        _check(len(desc), 0xFF, "simple descriptor length")
        return w.u8(len(desc)).raw(desc).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn, status, nwk = _read_rsp_head(r, "Simple_Desc_rsp")
        at = r.offset()
        length = r.u8("Simple_Desc_rsp.Length")
        if length == 0:
            return cls(tsn, status, nwk)
        if length > r.remaining():
            raise DecodeError("Simple_Desc_rsp.Length", at, f"{length} > {r.remaining()} left")
        sub = Reader(data, r.pos, r.pos + length)
        desc = SimpleDescriptor.read(sub)
        if not sub.at_end():
            raise DecodeError("Simple_Desc_rsp.Length", at, f"{sub.remaining()} unused byte(s)")
        r.pos = sub.pos
        return cls(tsn, status, nwk, desc)


@dataclass(frozen=True, slots=True)
class ActiveEpRsp:
    """Active_EP_rsp (2.4.4.2.6): ActiveEPCount derived from the list."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.ACTIVE_EP_RSP
    tsn: int
    status: ZdoStatus | int
    nwk_addr_of_interest: int
    active_ep_list: tuple[int, ...] = ()

    def encode(self) -> bytes:
        w = _rsp_writer(self.tsn, self.status, self.nwk_addr_of_interest)
        _write_byte_list(w, self.active_ep_list, "active_ep_list")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        head = _read_rsp_head(r, "Active_EP_rsp")
        eps = _read_byte_list(r, "Active_EP_rsp.ActiveEPCount", "Active_EP_rsp.ActiveEPList")
        return cls(*head, eps)


@dataclass(frozen=True, slots=True)
class MatchDescReq:
    """Match_Desc_req (2.4.3.1.7)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MATCH_DESC_REQ
    tsn: int
    nwk_addr_of_interest: int
    profile_id: int
    in_cluster_list: tuple[int, ...] = ()
    out_cluster_list: tuple[int, ...] = ()

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u16(self.nwk_addr_of_interest).u16(self.profile_id)
        write_cluster_list(w, self.in_cluster_list, "in_cluster_list")
        write_cluster_list(w, self.out_cluster_list, "out_cluster_list")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("Match_Desc_req.tsn")
        nwk = ShortAddr(r.u16("Match_Desc_req.NWKAddrOfInterest"))
        profile = r.u16("Match_Desc_req.ProfileID")
        ins = read_cluster_list(r, "Match_Desc_req.NumInClusters", "Match_Desc_req.InClusterList")
        outs = read_cluster_list(
            r, "Match_Desc_req.NumOutClusters", "Match_Desc_req.OutClusterList"
        )
        return cls(tsn, nwk, profile, ins, outs)


@dataclass(frozen=True, slots=True)
class MatchDescRsp:
    """Match_Desc_rsp (2.4.4.2.7): MatchLength derived from the list."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.MATCH_DESC_RSP
    tsn: int
    status: ZdoStatus | int
    nwk_addr_of_interest: int
    match_list: tuple[int, ...] = ()

    def encode(self) -> bytes:
        w = _rsp_writer(self.tsn, self.status, self.nwk_addr_of_interest)
        _write_byte_list(w, self.match_list, "match_list")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        head = _read_rsp_head(r, "Match_Desc_rsp")
        matches = _read_byte_list(r, "Match_Desc_rsp.MatchLength", "Match_Desc_rsp.MatchList")
        return cls(*head, matches)


@dataclass(frozen=True, slots=True)
class DeviceAnnce:
    """Device_annce (2.4.3.1.11): a device announces its addresses after joining."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.DEVICE_ANNCE
    tsn: int
    nwk_addr: int
    ieee_addr: int
    capability: MacCapability = MacCapability(0)

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u16(self.nwk_addr).u64(self.ieee_addr)
        return w.u8(int(self.capability)).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("Device_annce.tsn")
        nwk = ShortAddr(r.u16("Device_annce.NWKAddr"))
        ieee = EUI64(r.u64("Device_annce.IEEEAddr"))
        return cls(tsn, nwk, ieee, MacCapability(r.u8("Device_annce.Capability")))


def _read_children(r: Reader, name: str) -> tuple[int, ...]:
    n = _count(r, f"{name}.NumberOfChildren", 8)
    field = f"{name}.ChildInfo"
    return tuple(EUI64(r.u64(field)) for _ in range(n))


def _write_children(w: Writer, children: tuple[int, ...]) -> None:
    _write_count(w, children, "children")
    for c in children:
        w.u64(c)


@dataclass(frozen=True, slots=True)
class ParentAnnce:
    """Parent_annce (2.4.3.1, R21 and later): a router lists its end-device children (NumberOfChildren
    derived)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.PARENT_ANNCE
    tsn: int
    children: tuple[int, ...] = ()

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn)
        _write_children(w, self.children)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("Parent_annce.tsn")
        return cls(tsn, _read_children(r, "Parent_annce"))


@dataclass(frozen=True, slots=True)
class ParentAnnceRsp:
    """Parent_annce_rsp (2.4.4.2, R21 and later): the children the responder also claims."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.PARENT_ANNCE_RSP
    tsn: int
    status: ZdoStatus | int = ZdoStatus.SUCCESS
    children: tuple[int, ...] = ()

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u8(int(self.status))
        _write_children(w, self.children)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8("Parent_annce_rsp.tsn")
        status = _status(r, "Parent_annce_rsp.Status")
        return cls(tsn, status, _read_children(r, "Parent_annce_rsp"))


# ---------------------------------------------------------------------------------------------
# Binding (2.4.3.2, 2.4.4.3)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _StatusRsp:
    """A response carrying only Status."""

    _name: ClassVar[str] = ""
    tsn: int
    status: ZdoStatus | int = ZdoStatus.SUCCESS

    def encode(self) -> bytes:
        return bytes((self.tsn, int(self.status)))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8(f"{cls._name}.tsn")
        return cls(tsn, _status(r, f"{cls._name}.Status"))


@dataclass(frozen=True, slots=True)
class EndDeviceBindReq:
    """End_Device_Bind_req (2.4.3.2.1)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.END_DEVICE_BIND_REQ
    tsn: int
    binding_target: int
    src_ieee_address: int
    src_endpoint: int
    profile_id: int
    in_cluster_list: tuple[int, ...] = ()
    out_cluster_list: tuple[int, ...] = ()

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn).u16(self.binding_target).u64(self.src_ieee_address)
        w.u8(self.src_endpoint).u16(self.profile_id)
        write_cluster_list(w, self.in_cluster_list, "in_cluster_list")
        write_cluster_list(w, self.out_cluster_list, "out_cluster_list")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = "End_Device_Bind_req"
        r = Reader(data)
        tsn = r.u8(f"{n}.tsn")
        target = ShortAddr(r.u16(f"{n}.BindingTarget"))
        src = EUI64(r.u64(f"{n}.SrcIEEEAddress"))
        ep = r.u8(f"{n}.SrcEndpoint")
        profile = r.u16(f"{n}.ProfileID")
        ins = read_cluster_list(r, f"{n}.NumInClusters", f"{n}.InClusterList")
        outs = read_cluster_list(r, f"{n}.NumOutClusters", f"{n}.OutClusterList")
        return cls(tsn, target, src, ep, profile, ins, outs)


@dataclass(frozen=True, slots=True)
class EndDeviceBindRsp(_StatusRsp):
    """End_Device_Bind_rsp (2.4.4.3.1)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.END_DEVICE_BIND_RSP
    _name: ClassVar[str] = "End_Device_Bind_rsp"


def _write_binding(
    w: Writer, src: int, src_ep: int, cluster: int, dst: int, dst_ep: int | None
) -> None:
    """SrcAddress, SrcEndp, ClusterID, DstAddrMode (derived), DstAddress[, DstEndp]."""
    w.u64(src).u8(src_ep).u16(cluster)
    if dst_ep is None:
        _check(dst, 0xFFFF, "group dst_address")
        w.u8(BindAddrMode.GROUP).u16(dst)
    else:
        w.u8(BindAddrMode.EXTENDED).u64(dst).u8(dst_ep)


def _read_binding(r: Reader, name: str) -> tuple[EUI64, int, int, int, int | None]:
    src = EUI64(r.u64(f"{name}.SrcAddress"))
    src_ep = r.u8(f"{name}.SrcEndp")
    cluster = r.u16(f"{name}.ClusterID")
    at = r.offset()
    mode = r.u8(f"{name}.DstAddrMode")
    if mode == BindAddrMode.GROUP:
        return src, src_ep, cluster, r.u16(f"{name}.DstAddress"), None
    if mode == BindAddrMode.EXTENDED:
        dst = EUI64(r.u64(f"{name}.DstAddress"))
        return src, src_ep, cluster, dst, r.u8(f"{name}.DstEndp")
    raise DecodeError(f"{name}.DstAddrMode", at, f"reserved address mode {mode:#04x}")


@dataclass(frozen=True, slots=True)
class _BindingReq:
    """Bind_req / Unbind_req body (2.4.3.2.2, 2.4.3.2.3).

    ``dst_endp`` is ``None`` for a group destination (DstAddrMode 0x01, ``dst_address`` a
    16-bit group id); otherwise the destination is an extended address (mode 0x03).
    """

    _name: ClassVar[str] = ""
    tsn: int
    src_address: int
    src_endp: int
    cluster_id: int
    dst_address: int
    dst_endp: int | None = None

    @property
    def dst_addr_mode(self) -> BindAddrMode:
        return BindAddrMode.GROUP if self.dst_endp is None else BindAddrMode.EXTENDED

    def encode(self) -> bytes:
        w = Writer().u8(self.tsn)
        _write_binding(
            w, self.src_address, self.src_endp, self.cluster_id, self.dst_address, self.dst_endp
        )
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8(f"{cls._name}.tsn")
        return cls(tsn, *_read_binding(r, cls._name))


@dataclass(frozen=True, slots=True)
class BindReq(_BindingReq):
    """Bind_req (2.4.3.2.2)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.BIND_REQ
    _name: ClassVar[str] = "Bind_req"


@dataclass(frozen=True, slots=True)
class UnbindReq(_BindingReq):
    """Unbind_req (2.4.3.2.3)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.UNBIND_REQ
    _name: ClassVar[str] = "Unbind_req"


@dataclass(frozen=True, slots=True)
class BindRsp(_StatusRsp):
    """Bind_rsp (2.4.4.3.2)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.BIND_RSP
    _name: ClassVar[str] = "Bind_rsp"


@dataclass(frozen=True, slots=True)
class UnbindRsp(_StatusRsp):
    """Unbind_rsp (2.4.4.3.3)."""

    zdp_cluster: ClassVar[ZdpCluster] = ZdpCluster.UNBIND_RSP
    _name: ClassVar[str] = "Unbind_rsp"


# ---------------------------------------------------------------------------------------------
# Network management (2.4.3.3, 2.4.4.4)
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnknownZdp:
    """A ZDP message of a cluster this module does not decode: TSN and the raw rest."""

    cluster_id: int
    tsn: int
    payload: bytes = b""

    @property
    def zdp_cluster(self) -> int:
        return self.cluster_id

    def encode(self) -> bytes:
        return bytes((self.tsn,)) + self.payload

    @classmethod
    def decode(cls, data: bytes, cluster_id: int) -> Self:
        r = Reader(data)
        tsn = r.u8("ZDP.tsn")
        return cls(cluster_id, tsn, r.rest())


ZdpMessage: TypeAlias = (
    NwkAddrReq
    | NwkAddrRsp
    | IeeeAddrReq
    | IeeeAddrRsp
    | NodeDescReq
    | NodeDescRsp
    | PowerDescReq
    | PowerDescRsp
    | SimpleDescReq
    | SimpleDescRsp
    | ActiveEpReq
    | ActiveEpRsp
    | MatchDescReq
    | MatchDescRsp
    | DeviceAnnce
    | ParentAnnce
    | ParentAnnceRsp
    | EndDeviceBindReq
    | EndDeviceBindRsp
    | BindReq
    | BindRsp
    | UnbindReq
    | UnbindRsp
    | MgmtLqiReq
    | MgmtLqiRsp
    | MgmtRtgReq
    | MgmtRtgRsp
    | MgmtBindReq
    | MgmtBindRsp
    | MgmtLeaveReq
    | MgmtLeaveRsp
    | MgmtPermitJoiningReq
    | MgmtPermitJoiningRsp
    | MgmtNwkUpdateReq
    | MgmtNwkUpdateNotify
    | UnknownZdp
)

#: Every message class this module decodes, in cluster id order of appearance above.
ZDP_MESSAGE_TYPES: Final = (
    NwkAddrReq,
    NwkAddrRsp,
    IeeeAddrReq,
    IeeeAddrRsp,
    NodeDescReq,
    NodeDescRsp,
    PowerDescReq,
    PowerDescRsp,
    SimpleDescReq,
    SimpleDescRsp,
    ActiveEpReq,
    ActiveEpRsp,
    MatchDescReq,
    MatchDescRsp,
    DeviceAnnce,
    ParentAnnce,
    ParentAnnceRsp,
    EndDeviceBindReq,
    EndDeviceBindRsp,
    BindReq,
    BindRsp,
    UnbindReq,
    UnbindRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtRtgReq,
    MgmtRtgRsp,
    MgmtBindReq,
    MgmtBindRsp,
    MgmtLeaveReq,
    MgmtLeaveRsp,
    MgmtPermitJoiningReq,
    MgmtPermitJoiningRsp,
    MgmtNwkUpdateReq,
    MgmtNwkUpdateNotify,
)

_DECODERS: Final[dict[int, Callable[[bytes], ZdpMessage]]] = {
    int(t.zdp_cluster): t.decode for t in ZDP_MESSAGE_TYPES
}


def decode_zdp(cluster_id: int, payload: bytes) -> ZdpMessage:
    """Decode the APS payload of a ZDP frame for ``cluster_id``.

    Unknown clusters give :class:`UnknownZdp`; bad bytes raise :class:`DecodeError`.
    """
    dec = _DECODERS.get(cluster_id)
    if dec is None:
        return UnknownZdp.decode(payload, cluster_id)
    return dec(payload)
