"""ZDP device and service discovery commands (Zigbee spec R22 2.4.3.1 requests, 2.4.4.2
responses): NWK_addr / IEEE_addr, Node / Power / Simple descriptors, Active_EP, Match_Desc,
Device_annce and Parent_annce.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from zigmesh.codec import Reader, Writer, enum_or_int, interned
from zigmesh.errors import DecodeError
from zigmesh.types import EUI64, ShortAddr
from zigmesh.zdo.descriptors import (
    MacCapability,
    NodeDescriptor,
    PowerDescriptor,
    SimpleDescriptor,
    read_cluster_list,
    write_cluster_list,
)
from zigmesh.zdo.zdp_common import (
    ZdoStatus,
    ZdpCluster,
    _check,
    _count,
    _read_byte_list,
    _read_rsp_head,
    _rsp_writer,
    _status,
    _write_byte_list,
    _write_count,
)

__all__ = [
    "ActiveEpReq",
    "ActiveEpRsp",
    "DeviceAnnce",
    "IeeeAddrReq",
    "IeeeAddrRsp",
    "MatchDescReq",
    "MatchDescRsp",
    "NodeDescReq",
    "NodeDescRsp",
    "NwkAddrReq",
    "NwkAddrRsp",
    "ParentAnnce",
    "ParentAnnceRsp",
    "PowerDescReq",
    "PowerDescRsp",
    "RequestType",
    "SimpleDescReq",
    "SimpleDescRsp",
]


class RequestType(IntEnum):
    """NWK_addr_req / IEEE_addr_req RequestType (2.4.3.1.1, 2.4.3.1.2)."""

    SINGLE_DEVICE = 0x00
    EXTENDED = 0x01


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
        nwk = interned(ShortAddr(r.u16("Device_annce.NWKAddr")))
        ieee = interned(EUI64(r.u64("Device_annce.IEEEAddr")))
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
