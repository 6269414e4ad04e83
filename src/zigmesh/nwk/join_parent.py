"""Parent side of joining and rejoining (Zigbee spec R22 3.6.1.4.1.2, 3.6.1.4.3.2).

:class:`JoinParent`: MLME-ASSOCIATE.indication and rejoin requests are answered with a
stochastic address (:mod:`zigmesh.nwk.address`) within the child capacities (nwkMaxChildren,
router and end device shares); NLME-JOIN.indication once the association response was
delivered (MLME-COMM-STATUS) or the rejoin response sent. The child side is
:mod:`zigmesh.nwk.join`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.mac.primitives import MacStatus, MlmeAssociateIndication, MlmeCommStatusIndication
from zigmesh.nwk.commands import (
    CapabilityInformation,
    RejoinRequest,
    RejoinResponse,
    RejoinStatus,
    end_device_timeout_seconds,
)
from zigmesh.nwk.constants import MAX_UNICAST_ADDRESS
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.primitives import JoinMethod, NlmeJoinIndication
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk, TxRecord

__all__ = ["JoinParent"]

_FFD = int(CapabilityInformation.DEVICE_TYPE_FFD)
_RX_ON = int(CapabilityInformation.RX_ON_WHEN_IDLE)


def _is_child(e: NeighborEntry | None) -> bool:
    return e is not None and e.is_child


class JoinParent:
    """Parent side: association and rejoin requests, child capacities (Zigbee spec 3.6.1.4.1.2,
    3.6.1.4.3.2)."""

    __slots__ = ("_nwk", "_pending", "_doubtful")

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        #: IEEE -> (address, capability, new child) of associations awaiting MLME-COMM-STATUS
        self._pending: dict[int, tuple[int, int, bool]] = {}
        #: address -> IEEE of children kept though their Association Response's ACK was lost
        self._doubtful: dict[int, int] = {}

    def stop(self) -> None:
        self._pending.clear()
        self._doubtful.clear()

    # -- capacities ------------------------------------------------------------------------

    def _counts(self) -> tuple[int, int]:
        routers = eds = 0
        for e in self._nwk.neighbors.children():
            if e.device_type == DeviceType.END_DEVICE:
                eds += 1
            else:
                routers += 1
        return routers, eds

    def joins_pending(self) -> bool:
        """As many children as :attr:`NwkConfig.max_pending_joins` still wait for their network
        key: no new one is admitted (nor advertised) until one of them is through. Joins spread
        over the network's parents instead of piling up key deliveries at the trust center."""
        limit = self._nwk.config.max_pending_joins
        if limit <= 0:
            return False
        n = 0
        doubtful = self._doubtful
        for e in self._nwk.neighbors.children():
            if e.relationship == Relationship.UNAUTHENTICATED_CHILD:
                if doubtful and doubtful.get(e.network_address) == e.extended_address:
                    # maybe not there at all: it holds no join slot (if it is there, its
                    # key is on the way; if not, it asks again and finds us open)
                    continue
                n += 1
                if n >= limit:
                    return True
        if doubtful:
            nbrs = self._nwk.neighbors
            for a in [a for a in doubtful if not _is_child(nbrs.get(a))]:
                del doubtful[a]
        return False

    def router_capacity(self) -> bool:
        nwk = self._nwk
        if not nwk.router_started or self.joins_pending():
            return False
        routers, eds = self._counts()
        return routers < nwk.config.max_routers and routers + eds < nwk.nib.nwk_max_children

    def end_device_capacity(self) -> bool:
        nwk = self._nwk
        if not nwk.router_started or self.joins_pending():
            return False
        routers, eds = self._counts()
        return eds < nwk.config.max_end_devices and routers + eds < nwk.nib.nwk_max_children

    def _admit(
        self,
        ieee: int,
        capability: int,
        requested: int | None,
        *,
        secured: bool = True,
        update: bool = True,
    ) -> tuple[int, bool] | None:
        """Find or make the child entry of ``ieee``: (address, new) or None at capacity.
        ``update``: an existing child takes the new capability now (else the caller applies
        it once the device proved it is there: :meth:`_apply_capability`)."""
        nwk = self._nwk
        nbrs = nwk.neighbors
        router = bool(capability & _FFD)
        dtype = DeviceType.ROUTER if router else DeviceType.END_DEVICE
        rx_on = router or bool(capability & _RX_ON)
        existing = nbrs.get_by_ieee(ieee)
        if existing is not None and existing.is_child:
            if update:
                existing.device_type = dtype
                existing.rx_on_when_idle = rx_on
            return existing.network_address, False
        if not (self.router_capacity() if router else self.end_device_capacity()):
            return None
        if existing is not None:
            nbrs.remove(existing.network_address)
        if requested is not None and 0 < requested <= MAX_UNICAST_ADDRESS:
            addr = (
                requested
                if not nwk.addressing.in_use(requested, ieee)
                else nwk.addressing.allocate()
            )
        else:
            addr = nwk.addressing.allocate()
        now = nwk.clock.now()
        timeout = (
            None if router else end_device_timeout_seconds(nwk.nib.nwk_end_device_timeout_default)
        )
        entry = NeighborEntry(
            network_address=addr,
            extended_address=ieee,
            device_type=dtype,
            rx_on_when_idle=rx_on,
            # with NWK security active, a device that associated holds no network key yet
            relationship=Relationship.CHILD if secured else Relationship.UNAUTHENTICATED_CHILD,
            device_timeout=timeout,
        )
        if not nbrs.add(entry, now).admitted:
            return None
        return addr, True

    # -- association -----------------------------------------------------------------------

    def on_associate_indication(self, ind: MlmeAssociateIndication) -> None:
        nwk = self._nwk
        dev = int(ind.device_address)
        if not (nwk.is_router and nwk.router_started and nwk.nib.nwk_permit_joining):
            nwk.stats.joins_refused += 1
            nwk.mac.mlme_associate_response(dev, 0xFFFF, MacStatus.PAN_ACCESS_DENIED)
            return
        cap = ind.capability_information.to_byte()
        sec = nwk.security
        # an existing child's entry changes only once the association completed: an
        # unauthenticated request (forged with its IEEE address) must not turn a sleepy
        # child into an rx-on one the parent then sends to directly, never reaching it
        got = self._admit(dev, cap, None, secured=sec is None or not sec.active, update=False)
        if got is None:
            nwk.stats.joins_refused += 1
            nwk.mac.mlme_associate_response(dev, 0xFFFF, MacStatus.PAN_AT_CAPACITY)
            return
        addr, new = got
        self._pending[dev] = (addr, cap, new)
        nwk.addressing.reserved.add(addr)
        nwk.mac.mlme_associate_response(dev, addr, MacStatus.SUCCESS)
        nwk.update_beacon()

    def on_comm_status(self, ev: MlmeCommStatusIndication) -> None:
        nwk = self._nwk
        dev = int(ev.dst_addr)
        pending = self._pending.pop(dev, None)
        if pending is None:
            return
        addr, cap, new = pending
        nwk.addressing.reserved.discard(addr)
        sec = nwk.security
        lost_ack = ev.status == MacStatus.NO_ACK and new and self._association_heard(addr, dev)
        if lost_ack and sec is not None and sec.active:
            # the response went out but its ACK was lost: the device may well hold it and now
            # wait for its network key. It stays an unauthenticated child, reported to the
            # trust center as joined; if it is not there the entry goes with the
            # unauthenticated-child timeout (NWK child_joined) and meanwhile holds no join
            # slot (joins_pending). Dropping it here left a device that did associate waiting
            # for a key that could never come (1,000-node secured grid: 8 % of the joins
            # through routers). A frame to it that fails proves nothing: its ACK may be lost
            # too (removing it then told the trust center it left while it was joined)
            nwk.stats.association_ack_lost += 1
            self._doubtful[addr] = dev
        elif lost_ack:
            # unsecured, the same lost ACK: the device joined if it sends anything under its
            # new address (its Device_annce comes at once) before
            # ``unauthenticated_child_timeout_us``; else the entry goes (_check_heard).
            # Dropping it at once left a router that did join with a parent that no longer
            # knew it: the parent's leave with remove_children never reached its subtree
            nwk.stats.association_ack_lost += 1
            now = nwk.clock.now()
            nwk.clock.call_later(
                nwk.config.unauthenticated_child_timeout_us, self._check_heard, addr, dev, now
            )
        elif ev.status != MacStatus.SUCCESS:
            e = nwk.neighbors.get(addr)
            if new and e is not None and e.extended_address == dev:
                nwk.neighbors.remove(addr)
            nwk.update_beacon()
            return
        nwk.stats.joins_accepted += 1
        if not new:
            self._apply_capability(addr, dev, cap)
        nwk.address_map.update(addr, dev, overwrite=True)
        nwk.routes.remove(addr)
        nwk.parent.schedule_ageing()
        nwk.child_joined(addr, dev)
        if nwk.security is None or not nwk.security.active:
            nwk.pan_conflict.child_ready(addr)  # secured: once it holds the key (receive)
        nwk.update_beacon()
        nwk.emit(NlmeJoinIndication(addr, dev, cap, JoinMethod.ASSOCIATION))

    def _check_heard(self, addr: int, ieee: int, since_us: int) -> None:
        """An unsecured child whose Association Response ACK was lost, heard since under the
        address we gave it? Else it never got the response (it joined another parent, or asks
        again) and goes."""
        nwk = self._nwk
        e = nwk.neighbors.get_by_ieee(ieee)
        if e is None or not e.is_child:
            return
        if e.network_address == addr and e.last_heard_us > since_us:
            return
        # not heard, or heard under an address another parent gave it (Routing.neighbor_renamed
        # moved the entry): a child of another router, which our leave must not take along
        nwk.stats.unheard_children_removed += 1
        nwk.drop_joined_child(e.network_address, ieee)

    def _association_heard(self, addr: int, ieee: int) -> bool:
        e = self._nwk.neighbors.get(addr)
        return e is not None and e.extended_address == ieee

    def _apply_capability(self, addr: int, ieee: int, capability: int) -> None:
        """An existing child that re-associated: its entry takes the capability it gave."""
        e = self._nwk.neighbors.get(addr)
        if e is not None and e.extended_address == ieee and e.is_child:
            router = bool(capability & _FFD)
            e.device_type = DeviceType.ROUTER if router else DeviceType.END_DEVICE
            e.rx_on_when_idle = router or bool(capability & _RX_ON)

    # -- rejoin ----------------------------------------------------------------------------

    def on_rejoin_request(
        self, frame: NwkFrame, cmd: RejoinRequest, prev_hop: int, lqi: int
    ) -> None:
        nwk = self._nwk
        dev = frame.src_ieee
        if dev is None or not nwk.router_started:
            nwk.stats.drop_other += 1
            return
        cap = int(cmd.capability)
        got = self._admit(dev, cap, frame.src)
        if got is None:
            nwk.stats.joins_refused += 1
            status = RejoinStatus.PAN_AT_CAPACITY
            addr = 0xFFFF
        else:
            status = RejoinStatus.SUCCESS
            addr = got[0]
            e = nwk.neighbors.get(addr)
            if e is not None:
                nwk.neighbors.set_lqi(e, lqi)
        rx_on = bool(cap & (_RX_ON | _FFD))

        def done(rec: TxRecord, st: MacStatus) -> None:
            if status != RejoinStatus.SUCCESS:
                return
            if st != MacStatus.SUCCESS:
                e = nwk.neighbors.get(addr)
                if e is not None and e.extended_address == dev and got is not None and got[1]:
                    nwk.neighbors.remove(addr)
                    nwk.update_beacon()
                return
            nwk.stats.joins_accepted += 1
            nwk.address_map.update(addr, dev, overwrite=True)
            nwk.routes.remove(addr)
            nwk.route_records.remove(addr)
            nwk.parent.schedule_ageing()
            nwk.pan_conflict.child_ready(addr)
            nwk.emit(NlmeJoinIndication(addr, dev, cap, JoinMethod.REJOIN))

        nwk.send_command(
            RejoinResponse(addr, status),
            frame.src,
            dev,
            radius=1,
            dst_ieee=dev,
            indirect=not rx_on,
            ext_dst=True,
            on_done=done,
        )
        nwk.update_beacon()
