"""The ZDP server: answers requests from the node's real state (Zigbee spec R22 2.4.3, 2.4.4).

:class:`ZdpServer` dispatches every decoded ZDP request that reaches endpoint 0 and answers
it. This module holds the dispatch and the device / service discovery and binding requests;
:mod:`zigmesh.zdo.mgmt` the network management ones and :mod:`zigmesh.zdo.end_device_bind`
the coordinator's End_Device_Bind_req pairing.

Rules shared by every request:

* a response carries the request's TSN and goes back to the requester's network address,
  APS acknowledged unless the request was broadcast;
* a unicast request of a cluster the server does not serve gets that cluster's response
  (cluster | 0x8000) carrying only the TSN and Status NOT_SUPPORTED; a broadcast one is
  ignored, as are broadcasts of requests that are unicast-only (binding, management tables,
  Mgmt_Leave_req, End_Device_Bind_req);
* a descriptor request about another device (NWKAddrOfInterest not ours) is answered
  INV_REQUESTTYPE by an end device; by a router NO_DESCRIPTOR when the address is an
  end-device child (this stack does not cache its children's descriptors) and
  DEVICE_NOT_FOUND otherwise (2.4.3.1.3.2 and siblings).

NWK_addr_req / IEEE_addr_req are answered by the device itself and, when
:attr:`ZdoConfig.answer_for_children`, by a router for its end-device children (2.4.3.1.1.2):
a sleeping child never hears the broadcast.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataConfirm, ApsdeDataIndication
from zigmesh.nwk.tables import DeviceType, NeighborEntry
from zigmesh.zdo.client import is_broadcast
from zigmesh.zdo.descriptors import SimpleDescriptor
from zigmesh.zdo.end_device_bind import EndDeviceBind
from zigmesh.zdo.mgmt import MgmtServer
from zigmesh.zdo.zdp import (
    ActiveEpReq,
    ActiveEpRsp,
    BindReq,
    BindRsp,
    EndDeviceBindReq,
    IeeeAddrReq,
    IeeeAddrRsp,
    MatchDescReq,
    MatchDescRsp,
    MgmtBindReq,
    MgmtLeaveReq,
    MgmtLqiReq,
    MgmtNwkUpdateReq,
    MgmtPermitJoiningReq,
    MgmtRtgReq,
    NodeDescReq,
    NodeDescRsp,
    NwkAddrReq,
    NwkAddrRsp,
    ParentAnnce,
    ParentAnnceRsp,
    PowerDescReq,
    PowerDescRsp,
    RequestType,
    SimpleDescReq,
    SimpleDescRsp,
    UnbindReq,
    UnbindRsp,
    UnknownZdp,
    ZdoStatus,
    ZdpCluster,
    ZdpMessage,
    response_cluster,
)

if TYPE_CHECKING:
    from zigmesh.zdo.zdo import Zdo

__all__ = ["ZdpServer", "matches"]

_UNKNOWN_IEEE: Final = 0xFFFF_FFFF_FFFF_FFFF
_NO_ADDRESS: Final = 0xFFFF
#: NWK_addr_rsp / IEEE_addr_rsp bytes before the associated device list: TSN, Status,
#: IEEEAddrRemoteDev, NWKAddrRemoteDev, NumAssocDev, StartIndex
_ADDR_RSP_HEAD: Final = 1 + 1 + 8 + 2 + 1 + 1
#: Parent_annce_rsp bytes before the children: TSN, Status, NumberOfChildren
_PARENT_RSP_HEAD: Final = 3
#: Match_Desc_req ProfileID wildcard
_ANY_PROFILE: Final = 0xFFFF
_SERVER_MASK = struct.Struct("<H")

_BIND_STATUS: Final[dict[int, ZdoStatus]] = {
    ApsStatus.SUCCESS: ZdoStatus.SUCCESS,
    ApsStatus.TABLE_FULL: ZdoStatus.TABLE_FULL,
    ApsStatus.INVALID_BINDING: ZdoStatus.NO_ENTRY,
    ApsStatus.NOT_SUPPORTED: ZdoStatus.NOT_SUPPORTED,
    ApsStatus.ILLEGAL_REQUEST: ZdoStatus.NOT_SUPPORTED,
    ApsStatus.INVALID_PARAMETER: ZdoStatus.INVALID_EP,
}

Handler = Callable[[ApsdeDataIndication, Any], None]


def matches(desc: SimpleDescriptor, req: MatchDescReq) -> bool:
    """An endpoint matches a Match_Desc_req (2.4.4.2.7): same profile (or the 0xFFFF
    wildcard) and one of the requested input clusters among its input clusters or one of the
    requested output clusters among its output clusters."""
    if req.profile_id not in (desc.profile_id, _ANY_PROFILE):
        return False
    return any(c in desc.input_cluster_list for c in req.in_cluster_list) or any(
        c in desc.output_cluster_list for c in req.out_cluster_list
    )


class ZdpServer:
    """Answers the ZDP requests of one node (see the module notes)."""

    def __init__(self, zdo: Zdo) -> None:
        self._zdo = zdo
        self.mgmt = MgmtServer(zdo, self)
        self.end_device_bind = EndDeviceBind(zdo, self)

    def stop(self) -> None:
        """Cancel the timers of pending procedures (end device bind, channel change...)."""
        self.end_device_bind.stop()
        self.mgmt.stop()

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, ind: ApsdeDataIndication, msg: ZdpMessage) -> None:
        """A decoded ZDP request (cluster < 0x8000, not Device_annce) for this device."""
        stats = self._zdo.stats
        stats.requests_received += 1
        entry = _HANDLERS.get(type(msg))
        bcast = is_broadcast(ind.dst_address)
        if entry is None:
            if (
                isinstance(msg, UnknownZdp)
                and msg.cluster_id == ZdpCluster.SYSTEM_SERVER_DISCOVERY_REQ
            ):
                self._system_server_discovery(ind, msg)
            elif bcast:
                stats.broadcasts_ignored += 1
            else:
                stats.not_supported += 1
                self.reply(ind, UnknownZdp(response_cluster(ind.cluster_id), msg.tsn, b"\x84"))
            return
        handler, broadcast_ok = entry
        if bcast and not broadcast_ok:
            stats.broadcasts_ignored += 1
            return
        handler(self, ind, msg)

    def reply(
        self,
        ind: ApsdeDataIndication,
        rsp: ZdpMessage,
        on_confirm: Callable[[ApsdeDataConfirm], None] | None = None,
    ) -> int:
        """Send ``rsp`` back to the requester (APS ACK unless the request was broadcast)."""
        zdo = self._zdo
        try:
            name = ZdpCluster(ind.cluster_id).name
        except ValueError:
            name = f"0x{ind.cluster_id:04x}"
        zdo.stats.answered[name] += 1
        ack = not is_broadcast(ind.dst_address)
        return zdo.send(ind.src_address, rsp, ack=ack, on_confirm=on_confirm)

    def ignore(self) -> None:
        """A broadcast request this device does not answer."""
        self._zdo.stats.broadcasts_ignored += 1

    # -- helpers -----------------------------------------------------------------------------

    def end_device_child(self, address: int) -> NeighborEntry | None:
        """Our end-device child with this network address."""
        e = self._zdo.nwk.neighbors.get(address)
        if e is not None and e.is_child and e.device_type == DeviceType.END_DEVICE:
            return e
        return None

    def _other_device_status(self, address: int) -> ZdoStatus:
        """The status of a descriptor request about ``address``, not this device."""
        nwk = self._zdo.nwk
        if not nwk.is_router:
            return ZdoStatus.INV_REQUESTTYPE
        if self.end_device_child(address) is not None:
            return ZdoStatus.NO_DESCRIPTOR
        return ZdoStatus.DEVICE_NOT_FOUND

    def _for_us(
        self,
        ind: ApsdeDataIndication,
        address: int,
        refuse: Callable[[ZdoStatus], ZdpMessage],
    ) -> bool:
        """Whether a request about ``address`` is about this device; if not, answer
        ``refuse(status)`` (a broadcast about someone else is ignored)."""
        if address == self._zdo.nwk.address:
            return True
        if is_broadcast(ind.dst_address):
            self.ignore()
        else:
            self.reply(ind, refuse(self._other_device_status(address)))
        return False

    def _assoc_page(self, start: int) -> tuple[int, ...]:
        """Our children's network addresses from ``start``, as many as fit a response."""
        children = [e.network_address for e in self._zdo.nwk.neighbors.children()]
        room = (self._zdo.config.max_zdp_payload - _ADDR_RSP_HEAD) // 2
        return tuple(children[start : start + room])

    # -- device and service discovery ----------------------------------------------------

    def _nwk_addr_req(self, ind: ApsdeDataIndication, req: NwkAddrReq) -> None:
        nwk = self._zdo.nwk
        ieee = req.ieee_addr
        rt = req.request_type
        if ieee == nwk.ieee:
            me = nwk.address
            if rt == RequestType.SINGLE_DEVICE:
                self.reply(ind, NwkAddrRsp(req.tsn, ZdoStatus.SUCCESS, ieee, me))
            elif rt == RequestType.EXTENDED:
                assoc = self._assoc_page(req.start_index)
                rsp = NwkAddrRsp(req.tsn, ZdoStatus.SUCCESS, ieee, me, req.start_index, assoc)
                self.reply(ind, rsp)
            else:
                self.reply(ind, NwkAddrRsp(req.tsn, ZdoStatus.INV_REQUESTTYPE, ieee, me))
            return
        child = nwk.neighbors.get_by_ieee(ieee) if self._zdo.config.answer_for_children else None
        if child is not None and child.is_child and child.device_type == DeviceType.END_DEVICE:
            addr = child.network_address
            if rt == RequestType.SINGLE_DEVICE:
                self.reply(ind, NwkAddrRsp(req.tsn, ZdoStatus.SUCCESS, ieee, addr))
            elif rt == RequestType.EXTENDED:
                self.reply(ind, NwkAddrRsp(req.tsn, ZdoStatus.SUCCESS, ieee, addr, 0, ()))
            else:
                self.reply(ind, NwkAddrRsp(req.tsn, ZdoStatus.INV_REQUESTTYPE, ieee, addr))
            return
        if is_broadcast(ind.dst_address):
            self.ignore()
            return
        self.reply(ind, NwkAddrRsp(req.tsn, ZdoStatus.DEVICE_NOT_FOUND, ieee, _NO_ADDRESS))

    def _ieee_addr_req(self, ind: ApsdeDataIndication, req: IeeeAddrReq) -> None:
        zdo = self._zdo
        nwk = zdo.nwk
        addr = req.nwk_addr_of_interest
        rt = req.request_type
        if addr == nwk.address:
            ieee = nwk.ieee
            if rt == RequestType.SINGLE_DEVICE:
                self.reply(ind, IeeeAddrRsp(req.tsn, ZdoStatus.SUCCESS, ieee, addr))
            elif rt == RequestType.EXTENDED:
                assoc = self._assoc_page(req.start_index)
                rsp = IeeeAddrRsp(req.tsn, ZdoStatus.SUCCESS, ieee, addr, req.start_index, assoc)
                self.reply(ind, rsp)
            else:
                self.reply(ind, IeeeAddrRsp(req.tsn, ZdoStatus.INV_REQUESTTYPE, ieee, addr))
            return
        child = self.end_device_child(addr) if zdo.config.answer_for_children else None
        if child is not None:
            cieee = child.extended_address
            if cieee is None:
                cieee = nwk.address_map.ieee_of(addr)
            if cieee is not None:
                if rt == RequestType.SINGLE_DEVICE:
                    self.reply(ind, IeeeAddrRsp(req.tsn, ZdoStatus.SUCCESS, cieee, addr))
                elif rt == RequestType.EXTENDED:
                    self.reply(ind, IeeeAddrRsp(req.tsn, ZdoStatus.SUCCESS, cieee, addr, 0, ()))
                else:
                    self.reply(ind, IeeeAddrRsp(req.tsn, ZdoStatus.INV_REQUESTTYPE, cieee, addr))
                return
        if is_broadcast(ind.dst_address):
            self.ignore()
            return
        self.reply(ind, IeeeAddrRsp(req.tsn, ZdoStatus.DEVICE_NOT_FOUND, _UNKNOWN_IEEE, addr))

    def _node_desc_req(self, ind: ApsdeDataIndication, req: NodeDescReq) -> None:
        addr = req.nwk_addr_of_interest
        if self._for_us(ind, addr, lambda st: NodeDescRsp(req.tsn, st, addr)):
            desc = self._zdo.config.node_descriptor()
            self.reply(ind, NodeDescRsp(req.tsn, ZdoStatus.SUCCESS, addr, desc))

    def _power_desc_req(self, ind: ApsdeDataIndication, req: PowerDescReq) -> None:
        addr = req.nwk_addr_of_interest
        if self._for_us(ind, addr, lambda st: PowerDescRsp(req.tsn, st, addr)):
            desc = self._zdo.config.power_descriptor
            self.reply(ind, PowerDescRsp(req.tsn, ZdoStatus.SUCCESS, addr, desc))

    def _simple_desc_req(self, ind: ApsdeDataIndication, req: SimpleDescReq) -> None:
        """INVALID_EP outside 0x01-0xFE, NOT_ACTIVE for an endpoint we do not have."""
        addr = req.nwk_addr_of_interest
        if not self._for_us(ind, addr, lambda st: SimpleDescRsp(req.tsn, st, addr)):
            return
        ep = req.endpoint
        if not 0x01 <= ep <= 0xFE:
            self.reply(ind, SimpleDescRsp(req.tsn, ZdoStatus.INVALID_EP, addr))
            return
        desc = self._zdo.endpoints().get(ep)
        if desc is None:
            self.reply(ind, SimpleDescRsp(req.tsn, ZdoStatus.NOT_ACTIVE, addr))
            return
        self.reply(ind, SimpleDescRsp(req.tsn, ZdoStatus.SUCCESS, addr, desc))

    def _active_ep_req(self, ind: ApsdeDataIndication, req: ActiveEpReq) -> None:
        addr = req.nwk_addr_of_interest
        if self._for_us(ind, addr, lambda st: ActiveEpRsp(req.tsn, st, addr)):
            eps = tuple(sorted(ep for ep in self._zdo.endpoints() if 0x01 <= ep <= 0xFE))
            self.reply(ind, ActiveEpRsp(req.tsn, ZdoStatus.SUCCESS, addr, eps))

    def _match_desc_req(self, ind: ApsdeDataIndication, req: MatchDescReq) -> None:
        """Unicast about us: SUCCESS with the matching endpoints (maybe none); broadcast, or
        NWKAddrOfInterest a broadcast address: answered only when something matches, with
        our own address as NWKAddrOfInterest (2.4.4.2.7)."""
        nwk = self._zdo.nwk
        addr = req.nwk_addr_of_interest
        any_device = is_broadcast(addr)
        if not any_device and not self._for_us(
            ind, addr, lambda st: MatchDescRsp(req.tsn, st, addr)
        ):
            return
        eps = self._zdo.endpoints()
        found = tuple(ep for ep in sorted(eps) if 0x01 <= ep <= 0xFE and matches(eps[ep], req))
        if (any_device or is_broadcast(ind.dst_address)) and not found:
            self.ignore()
            return
        self.reply(ind, MatchDescRsp(req.tsn, ZdoStatus.SUCCESS, nwk.address, found))

    def _system_server_discovery(self, ind: ApsdeDataIndication, msg: UnknownZdp) -> None:
        """System_Server_Discovery_req (2.4.3.1.13): answered with the requested bits of our
        server mask when any is set; a malformed unicast one gets NOT_SUPPORTED."""
        rsp_cluster = response_cluster(ind.cluster_id)
        if len(msg.payload) < 2:
            if not is_broadcast(ind.dst_address):
                self.reply(ind, UnknownZdp(rsp_cluster, msg.tsn, b"\x84"))
            return
        (wanted,) = _SERVER_MASK.unpack_from(msg.payload)
        have = int(self._zdo.config.server_mask) & wanted
        if not have:
            if is_broadcast(ind.dst_address):
                self.ignore()
            else:
                self.reply(ind, UnknownZdp(rsp_cluster, msg.tsn, b"\x00" + _SERVER_MASK.pack(0)))
            return
        self.reply(ind, UnknownZdp(rsp_cluster, msg.tsn, b"\x00" + _SERVER_MASK.pack(have)))

    # -- parent announcement ---------------------------------------------------------------

    def _parent_annce(self, ind: ApsdeDataIndication, req: ParentAnnce) -> None:
        """Parent_annce (2.4.3.1.12): a router lists the announced devices it has as its own
        end-device children in Parent_annce_rsp (unicast), several if they do not fit one;
        nothing when it has none."""
        nwk = self._zdo.nwk
        if not nwk.is_router or ind.src_address == nwk.address:
            return
        ours: list[int] = []
        for ieee in req.children:
            e = nwk.neighbors.get_by_ieee(ieee)
            if e is not None and e.is_child and e.device_type == DeviceType.END_DEVICE:
                ours.append(ieee)
        if not ours:
            if is_broadcast(ind.dst_address):
                self.ignore()
            return
        for chunk in chunks(ours, (self._zdo.config.max_zdp_payload - _PARENT_RSP_HEAD) // 8):
            self.reply(ind, ParentAnnceRsp(req.tsn, ZdoStatus.SUCCESS, chunk))

    # -- binding -------------------------------------------------------------------------------

    def _bind_req(self, ind: ApsdeDataIndication, req: BindReq | UnbindReq) -> None:
        """Bind_req / Unbind_req (2.4.3.2.2, 2.4.3.2.3): edits our binding table through
        APSME-BIND / APSME-UNBIND. NOT_SUPPORTED when binding is off or the source is not
        this device (we are no binding table cache); INVALID_EP for a source endpoint outside
        0x01-0xFE or a destination endpoint 0x00; then the APSME status (TABLE_FULL, and
        NO_ENTRY for an unbind of a missing entry)."""
        zdo = self._zdo
        rsp_type = BindRsp if isinstance(req, BindReq) else UnbindRsp
        if not zdo.config.binding_supported or req.src_address != zdo.nwk.ieee:
            self.reply(ind, rsp_type(req.tsn, ZdoStatus.NOT_SUPPORTED))
            return
        if not 0x01 <= req.src_endp <= 0xFE or req.dst_endp == 0x00:
            self.reply(ind, rsp_type(req.tsn, ZdoStatus.INVALID_EP))
            return
        mode = ApsAddrMode.GROUP if req.dst_endp is None else ApsAddrMode.IEEE
        apsme = zdo.aps.apsme_bind_request if rsp_type is BindRsp else zdo.aps.apsme_unbind_request
        status = apsme(
            req.src_address, req.src_endp, req.cluster_id, mode, req.dst_address, req.dst_endp
        )
        self.reply(ind, rsp_type(req.tsn, _BIND_STATUS.get(status, ZdoStatus.NOT_SUPPORTED)))


def chunks(items: Sequence[int], size: int) -> list[tuple[int, ...]]:
    """``items`` in tuples of at most ``size`` (at least one, possibly empty, tuple)."""
    size = max(size, 1)
    out = [tuple(items[i : i + size]) for i in range(0, len(items), size)]
    return out or [()]


#: request type -> handler (called with the server); the flag says whether a broadcast is
#: processed. One table for every node (a dict of bound methods per node was 1.6 KB).
_HANDLERS: dict[type, tuple[Callable[[ZdpServer, ApsdeDataIndication, Any], None], bool]] = {
    NwkAddrReq: (ZdpServer._nwk_addr_req, True),
    IeeeAddrReq: (ZdpServer._ieee_addr_req, True),
    NodeDescReq: (ZdpServer._node_desc_req, True),
    PowerDescReq: (ZdpServer._power_desc_req, True),
    SimpleDescReq: (ZdpServer._simple_desc_req, True),
    ActiveEpReq: (ZdpServer._active_ep_req, True),
    MatchDescReq: (ZdpServer._match_desc_req, True),
    ParentAnnce: (ZdpServer._parent_annce, True),
    BindReq: (ZdpServer._bind_req, False),
    UnbindReq: (ZdpServer._bind_req, False),
    EndDeviceBindReq: (lambda s, i, m: s.end_device_bind.on_request(i, m), False),
    MgmtLqiReq: (lambda s, i, m: s.mgmt.lqi_req(i, m), False),
    MgmtRtgReq: (lambda s, i, m: s.mgmt.rtg_req(i, m), False),
    MgmtBindReq: (lambda s, i, m: s.mgmt.bind_req(i, m), False),
    MgmtLeaveReq: (lambda s, i, m: s.mgmt.leave_req(i, m), False),
    MgmtPermitJoiningReq: (lambda s, i, m: s.mgmt.permit_joining_req(i, m), True),
    MgmtNwkUpdateReq: (lambda s, i, m: s.mgmt.nwk_update_req(i, m), True),
}
