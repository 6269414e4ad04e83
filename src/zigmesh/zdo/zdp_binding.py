"""ZDP binding commands (Zigbee spec R22 2.4.3.2 requests, 2.4.4.3 responses):
End_Device_Bind, Bind and Unbind.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from zigmesh.codec import Reader, Writer
from zigmesh.errors import DecodeError
from zigmesh.types import EUI64, ShortAddr
from zigmesh.zdo.descriptors import (
    read_cluster_list,
    write_cluster_list,
)
from zigmesh.zdo.zdp_common import ZdpCluster, _check, _StatusRsp

__all__ = [
    "BindAddrMode",
    "BindReq",
    "BindRsp",
    "EndDeviceBindReq",
    "EndDeviceBindRsp",
    "UnbindReq",
    "UnbindRsp",
]


class BindAddrMode(IntEnum):
    """Bind_req / binding table DstAddrMode (2.4.3.2.2)."""

    GROUP = 0x01  # 16-bit group address, no destination endpoint
    EXTENDED = 0x03  # 64-bit extended address and destination endpoint


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
