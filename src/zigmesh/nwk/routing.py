"""Mesh routing (Zigbee spec R22 3.6.3): next hop, route discovery, route errors and repair.

Next hop of a unicast (3.6.3.3), in order: an end device sends everything to its parent; a
router sends directly to a neighbour (an end device child indirectly when it sleeps); a
concentrator source-routes along a recorded route (:mod:`zigmesh.nwk.many_to_one`); otherwise
the routing table's ACTIVE route. With no route and route discovery enabled the frame is
buffered and a route discovery starts.

Route discovery (3.6.3.5), one :class:`_Discovery` per destination at the originator
(:class:`DiscoveryState`): a route request (RREQ) broadcast to 0xfffc, repeated
nwkcInitialRREQRetries times every nwkcRREQRetryInterval. Each router adds the cost of the link
the RREQ arrived on (:meth:`Nwk.link_cost`), keeps the best (lowest forward cost) sender in its
route discovery table, and rebroadcasts after a jitter of 2-128 ms (then nwkcRREQRetries more
times); a better copy replaces a pending rebroadcast. The destination, or the parent of an end
device destination, answers every better RREQ with a route reply (RREP) along the recorded
senders; each hop adds its link cost, keeps the best residual cost and sets the forward route
(and, with nwkSymLink, the reverse route). The originator's route is ACTIVE from the first RREP
(buffered frames go at once) and improved by later ones; without any RREP in
nwkcRouteDiscoveryTime the discovery fails (ROUTE_DISCOVERY_FAILED).

Route errors (3.6.3.7): a unicast that fails at the MAC after every NWK retry is a link
failure: the routes through that next hop are dropped; a relay reports a network status
(NON_TREE_LINK_FAILURE, or SOURCE_ROUTE_FAILURE for a source-routed frame) to the frame's
source; the originator of a data frame repairs the route at once (a new discovery, the frame
resent when it completes). A network status received for a destination drops our route to it,
so the next frame rediscovers it.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.commands import (
    ManyToOne,
    NetworkStatus,
    NwkCommandId,
    NwkStatusCode,
    RouteReply,
    RouteRequest,
)
from zigmesh.nwk.constants import (
    NWKC_MAX_RREQ_JITTER,
    NWKC_MIN_RREQ_JITTER,
    NWKC_ROUTE_DISCOVERY_TIME_US,
    NWKC_RREQ_RETRY_INTERVAL_US,
    RREQ_JITTER_SLOT_US,
)
from zigmesh.nwk.frames import DiscoverRoute, NwkFrame, NwkFrameType, SourceRoute, one_hop_on
from zigmesh.nwk.link_cost import MAX_PATH_COST
from zigmesh.nwk.primitives import (
    NlmeNwkStatusIndication,
    NlmeRouteDiscoveryConfirm,
    NwkAddrMode,
    NwkStatus,
    mac_to_nwk_status,
)
from zigmesh.nwk.tables import DeviceType, Relationship, RouteEntry, RouteStatus

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk, TxDone, TxRecord

__all__ = ["DiscoveryState", "Routing", "Hop", "ROUTE_IDLE_US"]

#: a route unused for this long may be dropped when the routing table is full
ROUTE_IDLE_US = 60_000_000

_DATA = NwkFrameType.DATA
_COMMAND = NwkFrameType.COMMAND
_ENABLE = DiscoverRoute.ENABLE
_MAC_BROADCAST = 0xFFFF
_NO_ADDRESS = 0xFFFF
_ROUTERS = 0xFFFC
_USABLE = (RouteStatus.ACTIVE, RouteStatus.VALIDATION_UNDERWAY)
_END_DEVICE = DeviceType.END_DEVICE
_NETWORK_STATUS_ID = int(NwkCommandId.NETWORK_STATUS)
_ROUTE_FAILURES = (
    NwkStatusCode.NO_ROUTE_AVAILABLE,
    NwkStatusCode.TREE_LINK_FAILURE,
    NwkStatusCode.NON_TREE_LINK_FAILURE,
    NwkStatusCode.MANY_TO_ONE_ROUTE_FAILURE,
    NwkStatusCode.TARGET_DEVICE_UNAVAILABLE,
    NwkStatusCode.INDIRECT_TRANSACTION_EXPIRY,
)

#: next hop, indirect (sleeping child), source route to add, routing table entry used
Hop = tuple[int, bool, SourceRoute | None, RouteEntry | None]


class DiscoveryState(Enum):
    """An originator's route discovery toward one destination."""

    UNDERWAY = 1
    SUCCEEDED = 2
    FAILED = 3


class _Pending:
    """A frame waiting for its route."""

    __slots__ = ("frame", "user", "originated", "nsdu_handle", "repaired")

    def __init__(
        self,
        frame: NwkFrame,
        user: TxDone | None,
        originated: bool,
        nsdu_handle: int,
        repaired: bool,
    ) -> None:
        self.frame = frame
        self.user = user
        self.originated = originated
        self.nsdu_handle = nsdu_handle
        self.repaired = repaired


class _Discovery:
    """Our route request toward ``dst`` (0xfffc for a many-to-one request)."""

    __slots__ = (
        "dst",
        "rreq_id",
        "frame",
        "data",
        "retries_left",
        "timer",
        "retry_timer",
        "state",
        "pending",
        "confirm",
    )

    def __init__(self, dst: int, rreq_id: int, frame: NwkFrame, data: bytes, retries: int) -> None:
        self.dst = dst
        self.rreq_id = rreq_id
        self.frame = frame
        self.data = data
        self.retries_left = retries
        self.timer: TimerHandle | None = None
        self.retry_timer: TimerHandle | None = None
        self.state = DiscoveryState.UNDERWAY
        self.pending: list[_Pending] = []
        #: NLME-ROUTE-DISCOVERY.confirm is owed to the upper layer
        self.confirm = False

    def cancel(self) -> None:
        for h in (self.timer, self.retry_timer):
            if h is not None:
                h.cancel()
        self.timer = self.retry_timer = None


class _Rebroadcast:
    """A relayed route request waiting for its jitter / retries."""

    __slots__ = ("frame", "data", "retries_left", "timer")

    def __init__(self, frame: NwkFrame, data: bytes, retries: int) -> None:
        self.frame = frame
        self.data = data
        self.retries_left = retries
        self.timer: TimerHandle | None = None


class Routing:
    """Unicast forwarding, route discovery and route maintenance of one device."""

    __slots__ = ("_nwk", "_rreq_id", "_disc", "_buffered", "_rebroadcasts", "_mto_disc")

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self._rreq_id = nwk.rng.getrandbits(8)
        self._disc: dict[int, _Discovery] = {}
        self._buffered = 0
        self._rebroadcasts: dict[int, _Rebroadcast] = {}
        self._mto_disc: _Discovery | None = None

    def stop(self) -> None:
        for d in self._disc.values():
            d.cancel()
        self._disc.clear()
        if self._mto_disc is not None:
            self._mto_disc.cancel()
            self._mto_disc = None
        for r in self._rebroadcasts.values():
            if r.timer is not None:
                r.timer.cancel()
        self._rebroadcasts.clear()
        self._buffered = 0

    @property
    def discoveries_underway(self) -> int:
        return len(self._disc)

    # ==========================================================================================
    # next hop
    # ==========================================================================================

    def resolve(self, dst: int) -> Hop | None:
        """The next hop toward ``dst``, or None when there is no route (3.6.3.3)."""
        nwk = self._nwk
        if nwk.device_type == _END_DEVICE:
            p = nwk.parent_address
            return None if p is None else (p, False, None, None)
        nbrs = nwk.neighbors
        e = nbrs.get(dst)
        if e is not None:
            if e.is_child:
                # a child is one hop away, even before we heard a NWK frame from it (a
                # router child waiting for its network key has sent none yet)
                return (dst, not e.rx_on_when_idle, None, None)
            if e.device_type != _END_DEVICE and e.age < nbrs.router_age_limit and e.lqi > 0:
                return (dst, False, None, None)
        if nwk.nib.nwk_is_concentrator:
            relays = nwk.route_records.relays(dst, nwk.clock.now())
            if relays:
                return (relays[-1], False, SourceRoute(len(relays) - 1, relays), None)
        r = nwk.routes.get(dst)
        if r is not None and r.status in _USABLE:
            return (r.next_hop_address, False, None, r)
        return None

    # ==========================================================================================
    # sending
    # ==========================================================================================

    def originate(self, frame: NwkFrame, nsdu_handle: int) -> None:
        """NLDE-DATA of a unicast data frame."""
        self.send_unicast(frame, on_done=None, originated=True, nsdu_handle=nsdu_handle)

    def send_unicast(
        self,
        frame: NwkFrame,
        *,
        on_done: TxDone | None,
        originated: bool,
        nsdu_handle: int = -1,
        repaired: bool = False,
    ) -> None:
        """Route a unicast frame (ours or relayed), discovering the route if allowed."""
        nwk = self._nwk
        hop = self.resolve(frame.dst)
        if hop is None:
            if nwk.is_router and frame.discover_route == _ENABLE and frame.frame_type == _DATA:
                self._buffer(_Pending(frame, on_done, originated, nsdu_handle, repaired))
            else:
                self._fail(
                    frame,
                    on_done,
                    originated,
                    nsdu_handle,
                    NwkStatus.ROUTE_ERROR,
                    NwkStatusCode.NO_ROUTE_AVAILABLE,
                )
            return
        nh, indirect, sr, entry = hop
        if sr is not None:
            frame = replace(frame, source_route=sr)
            nwk.stats.source_routed += 1
        elif frame.frame_type == _DATA and nwk.is_router:
            if entry is None:
                entry = nwk.routes.get(frame.dst)
            if entry is not None:
                entry.last_used_us = nwk.clock.now()
                if entry.many_to_one and entry.route_record_required:
                    # the concentrator learns the path before the frame (3.6.3.5.4)
                    nwk.mto.before_data(frame, nh)
        rec = nwk.transmit(frame, nh, indirect=indirect, on_done=self._unicast_done)
        rec.user = on_done
        rec.originated = originated
        rec.nsdu_handle = nsdu_handle
        rec.repaired = repaired

    def relay(self, frame: NwkFrame, prev_hop: int) -> None:
        """Forward a unicast frame for another device (3.6.3.3)."""
        nwk = self._nwk
        if frame.radius <= 1:
            nwk.stats.drop_radius += 1
            return
        nwk.stats.relayed += 1
        self.send_unicast(one_hop_on(frame), on_done=None, originated=False)

    def on_source_routed(self, frame: NwkFrame, prev_hop: int, lqi: int, now: int) -> None:
        """A source-routed frame for which we may be the next relay (3.6.3.3.2)."""
        nwk = self._nwk
        sr = frame.source_route
        assert sr is not None
        me = nwk.address
        if frame.dst == me:
            nwk.mto.source_routed_from(frame.src)
            if frame.frame_type == _DATA:
                nwk.deliver(frame, lqi, now, prev_hop, nwk.hops_of(frame))
            return
        relays = sr.relays
        idx = sr.relay_index
        if not nwk.is_router or idx >= len(relays) or relays[idx] != me:
            nwk.stats.drop_source_route += 1
            return
        if frame.radius <= 1:
            nwk.stats.drop_radius += 1
            return
        indirect = False
        if idx == 0:
            nh = frame.dst
            e = nwk.neighbors.get(nh)
            if e is not None and e.is_child and e.device_type == _END_DEVICE:
                indirect = not e.rx_on_when_idle
        else:
            idx -= 1
            nh = relays[idx]
        nwk.stats.relayed += 1
        out = replace(frame, radius=frame.radius - 1, source_route=SourceRoute(idx, relays))
        rec = nwk.transmit(out, nh, indirect=indirect, on_done=self._unicast_done)
        rec.originated = False

    def _unicast_done(self, rec: TxRecord, status: MacStatus) -> None:
        nwk = self._nwk
        frame = rec.frame
        if nwk.device_type == _END_DEVICE:
            nwk.child.on_tx_result(status)
        if status == MacStatus.SUCCESS:
            self._report(rec, status)
            return
        if rec.indirect:
            # the sleeping child did not ask for it in time (macTransactionPersistenceTime)
            nwk.stats.drop_indirect_expired += 1
            if not rec.originated and frame.frame_type == _DATA:
                self.send_status(NwkStatusCode.INDIRECT_TRANSACTION_EXPIRY, frame.dst, frame.src)
            self._report(rec, status)
            return
        nwk.stats.link_failures += 1
        self.link_failed(rec.next_hop, frame.dst, frame.source_route is not None)
        if (
            rec.originated
            and frame.frame_type == _DATA
            and frame.discover_route == _ENABLE
            and not rec.repaired
            and nwk.is_router
        ):
            nwk.stats.route_repairs += 1
            again = replace(frame, source_route=None) if frame.source_route is not None else frame
            self._buffer(_Pending(again, rec.user, True, rec.nsdu_handle, True))
            return
        if not rec.originated and not _is_network_status(frame):
            code = (
                NwkStatusCode.SOURCE_ROUTE_FAILURE
                if frame.source_route is not None
                else NwkStatusCode.NON_TREE_LINK_FAILURE
            )
            self.send_status(code, frame.dst, frame.src)
        self._report(rec, status)

    def _report(self, rec: TxRecord, status: MacStatus) -> None:
        nwk = self._nwk
        if rec.user is not None:
            rec.user(rec, status)
        if rec.originated and rec.nsdu_handle >= 0:
            nwk.data_confirm(
                rec.nsdu_handle,
                mac_to_nwk_status(status),
                rec.frame.dst,
                rec.attempts - 1,
            )

    def _fail(
        self,
        frame: NwkFrame,
        user: TxDone | None,
        originated: bool,
        nsdu_handle: int,
        status: NwkStatus,
        code: NwkStatusCode,
    ) -> None:
        """No route: the originator is told, a relay reports to the source."""
        nwk = self._nwk
        nwk.stats.drop_no_route += 1
        if originated:
            if nsdu_handle >= 0:
                nwk.clock.call_later(0, nwk.data_confirm, nsdu_handle, status, frame.dst)
            if user is not None:
                nwk.clock.call_later(0, user, nwk.unsent_record(frame), MacStatus.NO_ACK)
        elif not _is_network_status(frame):
            self.send_status(code, frame.dst, frame.src)

    def send_status(self, code: NwkStatusCode, about: int, to: int) -> None:
        """Send a network status command about ``about`` to ``to`` (3.4.3)."""
        nwk = self._nwk
        if to == nwk.address or to >= 0xFFF8:
            return
        nwk.stats.network_status_sent += 1
        nwk.send_command(NetworkStatus(code, about), to)

    # ==========================================================================================
    # route maintenance
    # ==========================================================================================

    def set_route(
        self,
        dst: int,
        next_hop: int,
        now: int,
        *,
        path_cost: int = 0,
        many_to_one: bool = False,
        route_record_required: bool = False,
        no_route_cache: bool = False,
    ) -> bool:
        """Create or refresh an ACTIVE route; a full table first makes room by ageing idle
        routes (:data:`ROUTE_IDLE_US`), then by dropping the least recently used one."""
        routes = self._nwk.routes
        for attempt in range(3):
            ins = routes.set_route(
                dst,
                next_hop,
                now,
                path_cost=path_cost,
                many_to_one=many_to_one,
                route_record_required=route_record_required,
                no_route_cache=no_route_cache,
            )
            if ins.admitted:
                return True
            if attempt == 0:
                for e in routes.expire_idle(now, ROUTE_IDLE_US):
                    routes.remove(e.destination_address)
            else:
                victims = [e for e in routes if not e.many_to_one]
                if not victims:
                    return False
                lru = min(victims, key=lambda e: e.last_used_us)
                routes.remove(lru.destination_address)
        return False

    def link_failed(self, next_hop: int, dst: int, source_routed: bool = False) -> None:
        """A unicast to ``next_hop`` failed for good: drop what goes through it."""
        nwk = self._nwk
        routes = nwk.routes
        r = routes.get(dst)
        if r is not None and r.next_hop_address == next_hop:
            routes.remove(dst)
        for e in routes.invalidate_next_hop(next_hop):
            routes.remove(e.destination_address)
        if source_routed:
            nwk.route_records.remove(dst)
        nwk.route_records.remove_relay(next_hop)
        n = nwk.neighbors.get(next_hop)
        if n is not None and not n.is_child and n.relationship != Relationship.PARENT:
            nwk.neighbors.remove(next_hop)
        if source_routed or nwk.nib.nwk_is_concentrator:
            nwk.mto.on_route_failure()

    def neighbor_gone(self, address: int) -> None:
        """A neighbour left or aged out: routes through it are no longer valid."""
        nwk = self._nwk
        routes = nwk.routes
        for e in routes.invalidate_next_hop(address):
            routes.remove(e.destination_address)
        nwk.route_records.remove_relay(address)

    def on_network_status(self, frame: NwkFrame, cmd: NetworkStatus, prev_hop: int) -> None:
        """A network status for this device (or broadcast) (3.6.3.7.2)."""
        nwk = self._nwk
        code = cmd.status
        about = cmd.dst
        if code == NwkStatusCode.ADDRESS_CONFLICT:
            nwk.addressing.on_conflict_status(about)
        elif code in _ROUTE_FAILURES:
            r = nwk.routes.get(about)
            if r is not None:
                nwk.routes.remove(about)
            nwk.route_records.remove(about)
        elif code == NwkStatusCode.SOURCE_ROUTE_FAILURE:
            nwk.route_records.remove(about)
            nwk.mto.on_route_failure()
        nwk.emit(NlmeNwkStatusIndication(code, about, cmd.unknown_command_id))

    # ==========================================================================================
    # route discovery: originator
    # ==========================================================================================

    def _next_rreq_id(self) -> int:
        self._rreq_id = (self._rreq_id + 1) & 0xFF
        return self._rreq_id

    def _buffer(self, p: _Pending) -> None:
        nwk = self._nwk
        dst = p.frame.dst
        d = self._disc.get(dst)
        if d is None:
            d = self.start_discovery(dst)
            if d is None:
                self._fail(
                    p.frame,
                    p.user,
                    p.originated,
                    p.nsdu_handle,
                    NwkStatus.ROUTE_DISCOVERY_FAILED,
                    NwkStatusCode.NO_ROUTING_CAPACITY,
                )
                return
        if self._buffered >= nwk.config.route_discovery_buffer:
            nwk.stats.drop_buffer_full += 1
            self._fail(
                p.frame,
                p.user,
                p.originated,
                p.nsdu_handle,
                NwkStatus.FRAME_NOT_BUFFERED,
                NwkStatusCode.NO_ROUTE_AVAILABLE,
            )
            return
        d.pending.append(p)
        self._buffered += 1

    def start_discovery(self, dst: int, radius: int = 0) -> _Discovery | None:
        """Broadcast a route request for ``dst`` (None when the tables are full)."""
        nwk = self._nwk
        now = nwk.clock.now()
        me = nwk.address
        r = nwk.routes.get(dst)
        if r is None or r.status not in _USABLE:
            if not self.set_route(dst, _NO_ADDRESS, now):
                return None
            nwk.routes.set_status(dst, RouteStatus.DISCOVERY_UNDERWAY)
        rid = self._next_rreq_id()
        if not nwk.discovery.add(me, rid, me, 0, now, destination=dst).admitted:
            nwk.routes.set_status(dst, RouteStatus.DISCOVERY_FAILED)
            return None
        cmd = RouteRequest(rid, dst, 0, dst_ieee=nwk.address_map.ieee_of(dst))
        frame = self._rreq_frame(cmd, radius)
        d = _Discovery(dst, rid, frame, nwk.encode_for_later(frame), nwk.config.initial_rreq_retries)
        self._disc[dst] = d
        nwk.stats.route_discoveries += 1
        self._send_rreq(d)
        d.timer = nwk.clock.call_later(NWKC_ROUTE_DISCOVERY_TIME_US, self._discovery_timeout, d)
        return d

    def _rreq_frame(self, cmd: RouteRequest, radius: int) -> NwkFrame:
        nwk = self._nwk
        return NwkFrame(
            _COMMAND,
            _ROUTERS,
            nwk.address,
            radius if radius else nwk.default_radius(),
            nwk.next_seq(),
            cmd.encode(),
            src_ieee=nwk.ieee,
        )

    def _send_rreq(self, d: _Discovery) -> None:
        nwk = self._nwk
        d.retry_timer = None
        if d.state != DiscoveryState.UNDERWAY:
            return
        nwk.transmit(d.frame, _MAC_BROADCAST, data=d.data)
        if d.dst == _ROUTERS:
            nwk.stats.mtorr_sent += 1
        else:
            nwk.stats.rreq_sent += 1
        if d.retries_left > 0:
            d.retries_left -= 1
            d.retry_timer = nwk.clock.call_later(NWKC_RREQ_RETRY_INTERVAL_US, self._send_rreq, d)

    def _discovery_timeout(self, d: _Discovery) -> None:
        nwk = self._nwk
        d.timer = None
        d.cancel()
        if self._disc.get(d.dst) is d:
            del self._disc[d.dst]
        if d.state != DiscoveryState.UNDERWAY:
            return
        d.state = DiscoveryState.FAILED
        nwk.stats.route_discovery_failures += 1
        r = nwk.routes.get(d.dst)
        if r is not None and r.status == RouteStatus.DISCOVERY_UNDERWAY:
            nwk.routes.remove(d.dst)
        pending = d.pending
        d.pending = []
        self._buffered -= len(pending)
        for p in pending:
            self._fail(
                p.frame,
                p.user,
                p.originated,
                p.nsdu_handle,
                NwkStatus.ROUTE_DISCOVERY_FAILED,
                NwkStatusCode.NO_ROUTE_AVAILABLE,
            )
        if d.confirm:
            nwk.emit(
                NlmeRouteDiscoveryConfirm(
                    NwkStatus.ROUTE_DISCOVERY_FAILED, NwkStatusCode.NO_ROUTE_AVAILABLE, d.dst
                )
            )

    def _discovery_done(self, dst: int) -> None:
        nwk = self._nwk
        d = self._disc.pop(dst, None)
        if d is None or d.state != DiscoveryState.UNDERWAY:
            return
        d.state = DiscoveryState.SUCCEEDED
        d.cancel()
        pending = d.pending
        d.pending = []
        self._buffered -= len(pending)
        for p in pending:
            self.send_unicast(
                p.frame,
                on_done=p.user,
                originated=p.originated,
                nsdu_handle=p.nsdu_handle,
                repaired=p.repaired,
            )
        if d.confirm:
            nwk.emit(NlmeRouteDiscoveryConfirm(NwkStatus.SUCCESS, None, dst))

    def discover_many_to_one(self, radius: int = 0, route_record: bool = True) -> None:
        """Broadcast a many-to-one route request from this concentrator (3.6.3.5.1)."""
        nwk = self._nwk
        now = nwk.clock.now()
        rid = self._next_rreq_id()
        nwk.discovery.add(nwk.address, rid, nwk.address, 0, now, destination=_ROUTERS)
        mode = ManyToOne.WITH_ROUTE_RECORD if route_record else ManyToOne.WITHOUT_ROUTE_RECORD
        frame = self._rreq_frame(RouteRequest(rid, _ROUTERS, 0, mode), radius)
        if self._mto_disc is not None:
            self._mto_disc.cancel()
        d = _Discovery(_ROUTERS, rid, frame, nwk.encode_for_later(frame), nwk.config.initial_rreq_retries)
        self._mto_disc = d
        self._send_rreq(d)

    def discovery_request(
        self, mode: NwkAddrMode, dst: int, radius: int, no_route_cache: bool
    ) -> None:
        """NLME-ROUTE-DISCOVERY.request (3.2.2.33)."""
        nwk = self._nwk
        if not nwk.is_router or not nwk.router_started:
            nwk.emit_soon(NlmeRouteDiscoveryConfirm(NwkStatus.INVALID_REQUEST, None, dst))
            return
        if mode == NwkAddrMode.NONE:
            self.discover_many_to_one(radius, not no_route_cache)
            nwk.emit_soon(NlmeRouteDiscoveryConfirm(NwkStatus.SUCCESS, None, _ROUTERS))
            return
        if mode != NwkAddrMode.NWK or dst >= 0xFFF8 or dst == nwk.address:
            nwk.emit_soon(NlmeRouteDiscoveryConfirm(NwkStatus.INVALID_REQUEST, None, dst))
            return
        d = self._disc.get(dst)
        if d is None:
            d = self.start_discovery(dst, radius)
        if d is None:
            nwk.emit_soon(
                NlmeRouteDiscoveryConfirm(
                    NwkStatus.ROUTE_DISCOVERY_FAILED, NwkStatusCode.NO_ROUTING_CAPACITY, dst
                )
            )
            return
        d.confirm = True

    # ==========================================================================================
    # route discovery: every router
    # ==========================================================================================

    def on_route_request(self, frame: NwkFrame, cmd: RouteRequest, prev_hop: int, now: int) -> None:
        """A route request heard (3.6.3.5.2)."""
        nwk = self._nwk
        me = nwk.address
        src = frame.src
        if src == me or prev_hop == _NO_ADDRESS:
            return
        cost = cmd.path_cost + nwk.link_cost(prev_hop)
        if cost > MAX_PATH_COST:
            cost = MAX_PATH_COST
        rid = cmd.route_request_id
        table = nwk.discovery
        e = table.get(src, rid, now)
        if e is not None:
            if cost >= e.forward_cost:
                return
            e.sender_address = prev_hop
            e.forward_cost = cost
        elif not table.add(
            src, rid, prev_hop, cost, now, destination=cmd.dst, evict=bool(cmd.many_to_one)
        ).admitted:
            # a many-to-one request always gets in (it refreshes every route to the
            # concentrator); an ordinary one is dropped when the table is full
            nwk.stats.drop_discovery_table_full += 1
            return
        mto = int(cmd.many_to_one)
        if mto:
            record = mto == ManyToOne.WITH_ROUTE_RECORD
            self.set_route(
                src,
                prev_hop,
                now,
                path_cost=cost,
                many_to_one=True,
                route_record_required=record,
                no_route_cache=not record,
            )
            nwk.mto.on_many_to_one_request(src, record)
            self._rebroadcast(frame, cmd, cost)
            return
        dst = cmd.dst
        responder_ieee: int | None = None
        if dst == me:
            responder_ieee = nwk.ieee
        else:
            c = nwk.neighbors.get(dst)
            if c is not None and c.is_child and c.device_type == _END_DEVICE:
                responder_ieee = c.extended_address if c.extended_address is not None else 0
        if responder_ieee is not None:
            # we are (or are the parent of) the destination: reply along the best sender
            if nwk.nib.nwk_sym_link:
                self.set_route(src, prev_hop, now, path_cost=cost)
            reply = RouteReply(
                rid,
                src,
                dst,
                0,
                originator_ieee=frame.src_ieee,
                responder_ieee=responder_ieee or None,
            )
            nwk.stats.rrep_sent += 1
            nwk.send_command(reply, src, prev_hop)
            return
        self._rebroadcast(frame, cmd, cost)

    def _rebroadcast(self, frame: NwkFrame, cmd: RouteRequest, cost: int) -> None:
        nwk = self._nwk
        if frame.radius <= 1:
            return
        out = replace(frame, radius=frame.radius - 1, payload=replace(cmd, path_cost=cost).encode())
        key = frame.src << 8 | cmd.route_request_id
        r = self._rebroadcasts.get(key)
        if r is None:
            r = _Rebroadcast(out, nwk.encode_for_later(out), nwk.config.rreq_retries)
            self._rebroadcasts[key] = r
        else:
            if r.timer is not None:
                r.timer.cancel()
            r.frame = out
            r.data = nwk.encode_for_later(out)
            r.retries_left = nwk.config.rreq_retries
        jitter = nwk.rng.randint(NWKC_MIN_RREQ_JITTER, NWKC_MAX_RREQ_JITTER) * RREQ_JITTER_SLOT_US
        r.timer = nwk.clock.call_later(jitter, self._rebroadcast_send, key)

    def _rebroadcast_send(self, key: int) -> None:
        nwk = self._nwk
        r = self._rebroadcasts.get(key)
        if r is None:
            return
        r.timer = None
        nwk.transmit(r.frame, _MAC_BROADCAST, data=r.data)
        nwk.stats.rreq_relayed += 1
        if r.retries_left > 0:
            r.retries_left -= 1
            r.timer = nwk.clock.call_later(NWKC_RREQ_RETRY_INTERVAL_US, self._rebroadcast_send, key)
        else:
            del self._rebroadcasts[key]

    def on_route_reply(self, frame: NwkFrame, cmd: RouteReply, prev_hop: int, now: int) -> None:
        """A route reply passing through or arriving (3.6.3.5.3)."""
        nwk = self._nwk
        if prev_hop == _NO_ADDRESS:
            return
        cost = cmd.path_cost + nwk.link_cost(prev_hop)
        if cost > MAX_PATH_COST:
            cost = MAX_PATH_COST
        orig = cmd.originator
        rid = cmd.route_request_id
        e = nwk.discovery.get(orig, rid, now)
        responder = cmd.responder
        if cmd.responder_ieee is not None and responder != nwk.address:
            nwk.address_map.update(responder, cmd.responder_ieee)
        if orig == nwk.address:
            if e is not None:
                if cost >= e.residual_cost:
                    return
                e.residual_cost = cost
            else:
                r = nwk.routes.get(responder)
                if r is not None and r.status in _USABLE:
                    return
            self.set_route(responder, prev_hop, now, path_cost=cost)
            self._discovery_done(responder)
            return
        if e is None or cost >= e.residual_cost:
            return
        e.residual_cost = cost
        self.set_route(responder, prev_hop, now, path_cost=cost)
        if nwk.nib.nwk_sym_link:
            self.set_route(orig, e.sender_address, now, path_cost=e.forward_cost)
        if frame.radius <= 1:
            nwk.stats.drop_radius += 1
            return
        out = replace(frame, radius=frame.radius - 1, payload=replace(cmd, path_cost=cost).encode())
        nwk.stats.relayed += 1
        nwk.transmit(out, e.sender_address)


def _is_network_status(frame: NwkFrame) -> bool:
    p = frame.payload
    return frame.frame_type == _COMMAND and len(p) > 0 and p[0] == _NETWORK_STATUS_ID
