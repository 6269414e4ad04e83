"""Mesh routing (Zigbee spec R22 3.6.3): next hop, route discovery, route errors and repair.

Next hop of a unicast (3.6.3.3), in order: an end device sends everything to its parent; a
router sends directly to a neighbour (an end device child indirectly when it sleeps); a
concentrator source-routes along a recorded route (:mod:`zigmesh.nwk.many_to_one`); otherwise
the routing table's ACTIVE route. With no route and route discovery enabled the frame is
buffered and a route discovery starts.

Route discovery (3.6.3.5) is :mod:`zigmesh.nwk.route_discovery` (mixed in).

The route to the coordinator (trust center and concentrator) never needs a discovery: a
many-to-one route from the concentrator's requests is never replaced by a discovered or reverse
route; a router without one (just joined, or its next hop failed) takes a provisional
many-to-one route up the join tree (:meth:`Routing.uplink`: its parent, else a router of smaller
depth), replaced by the concentrator's next request; a many-to-one route pointing back at the
neighbour a frame came from (a loop) moves up the tree too.

Route errors (3.6.3.7): a unicast that fails at the MAC after every NWK retry is a link
failure: the routes through that next hop are dropped (a many-to-one one falls back up the
tree, and a relayed frame toward the concentrator goes on that way); the neighbour itself, and
a route record after :data:`SOURCE_ROUTE_FAILURE_LIMIT` failed frames, the neighbour itself
after :data:`NEIGHBOR_FAILURE_LIMIT` such failures in a row (source routes through it stay
until they fail themselves, or it ages out); a relay reports a network status
(NON_TREE_LINK_FAILURE, or SOURCE_ROUTE_FAILURE for a source-routed frame) to the frame's
source; the originator of a data frame repairs the route at once (a new discovery, the frame
resent when it completes). A network status received for a destination drops our route to it,
so the next frame rediscovers it (a many-to-one route stays).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.commands import NetworkStatus, NwkCommandId, NwkStatusCode
from zigmesh.nwk.constants import S
from zigmesh.nwk.frames import DiscoverRoute, NwkFrame, NwkFrameType, SourceRoute, one_hop_on
from zigmesh.nwk.link_cost import MAX_PATH_COST
from zigmesh.nwk.primitives import NlmeNwkStatusIndication, NwkStatus, mac_to_nwk_status
from zigmesh.nwk.route_discovery import (
    DiscoveryState,
    RouteDiscovery,
    _Discovery,
    _Pending,
    _Rebroadcast,
)
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship, RouteEntry, RouteStatus

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk, TxDone, TxRecord

__all__ = ["DiscoveryState", "Routing", "Hop", "ROUTE_IDLE_US"]

#: a route unused for this long may be dropped when the routing table is full
ROUTE_IDLE_US = 60_000_000
#: a router neighbour is sent to directly when the link costs at most this (else a route of
#: better links goes first: a frame over a poor link fails at the first interference)
DIRECT_MAX_COST = 3
#: a route record goes after this many failed source-routed frames along it
SOURCE_ROUTE_FAILURE_LIMIT = 6
#: after a source route through a device's parent failed, the concentrator finds the device
#: by route discovery (its parent may be gone, or the device moved) for this long
VIA_PARENT_HOLDOFF_US = 60 * S
#: a router neighbour is dropped after this many frames to it failed in a row
NEIGHBOR_FAILURE_LIMIT = 3

_DATA = NwkFrameType.DATA
_COMMAND = NwkFrameType.COMMAND
_ENABLE = DiscoverRoute.ENABLE
_MAC_BROADCAST = 0xFFFF
_NO_ADDRESS = 0xFFFF
_ROUTERS = 0xFFFC
_USABLE = (RouteStatus.ACTIVE, RouteStatus.VALIDATION_UNDERWAY)
_COORDINATOR = 0x0000
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


class Routing(RouteDiscovery):
    """Unicast forwarding, route discovery and route maintenance of one device."""

    __slots__ = ()

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        #: route request rate limit: tokens left, and when they were last counted
        self._tokens = float(nwk.config.rreq_burst)
        self._tokens_at = 0
        self._rreq_id = nwk.rng.getrandbits(8)
        self._disc: dict[int, _Discovery] = {}
        self._buffered = 0
        self._rebroadcasts: dict[int, _Rebroadcast] = {}
        self._mto_disc: _Discovery | None = None
        self._awaiting: dict[int, list[_Pending]] = {}
        self._via_failed: dict[int, int] = {}

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
        self._awaiting.clear()
        self._via_failed.clear()

    @property
    def discoveries_underway(self) -> int:
        return len(self._disc)

    # ==========================================================================================
    # next hop
    # ==========================================================================================

    def resolve(self, dst: int, records: bool = True) -> Hop | None:
        """The next hop toward ``dst``, or None when there is no route (3.6.3.3)."""
        nwk = self._nwk
        if nwk.device_type == _END_DEVICE:
            p = nwk.parent_address
            return None if p is None else (p, False, None, None)
        nbrs = nwk.neighbors
        e = nbrs.get(dst)
        weak = False
        if e is not None:
            if e.is_child:
                # a child is one hop away, even before we heard a NWK frame from it (a
                # router child waiting for its network key has sent none yet)
                return (dst, not e.rx_on_when_idle, None, None)
            if e.device_type != _END_DEVICE and e.age < nbrs.router_age_limit and e.lqi > 0:
                if nwk.link_cost(dst) <= DIRECT_MAX_COST:
                    return (dst, False, None, None)
                # a neighbour over a poor link: a route of good links first, if we have one
                weak = True
        if records and nwk.nib.nwk_is_concentrator:
            relays = nwk.route_records.relays(dst, nwk.clock.now())
            if relays:
                return (relays[-1], False, SourceRoute(len(relays) - 1, relays), None)
            if relays is not None:
                return (dst, False, None, None)  # its route record had no relay: a neighbour
        r = nwk.routes.get(dst)
        if r is not None and r.status in _USABLE:
            return (r.next_hop_address, False, None, r)
        if weak:
            return (dst, False, None, None)
        if records and nwk.nib.nwk_is_concentrator and nwk.parent_of is not None:
            return self._via_parent(dst, nwk.parent_of(dst))
        return None

    def _via_parent(self, dst: int, parent: int | None) -> Hop | None:
        """A concentrator with no record for ``dst`` but one for its parent (a device that
        just joined, or whose record was lost): a source route to the parent and one hop on.
        A route discovery instead floods the whole network, and under the load of many
        joins half of them failed (1,000-node secured grid: 654 discoveries in 600 s, 849,058
        route request relays). The route is not stored: the device's own record replaces it
        (and the device confirms its record only when such a frame came in through its own
        next hop, :meth:`on_source_routed`). After such a route failed (a source route
        failure reported, or our first hop), the device is left to a route discovery for
        :data:`VIA_PARENT_HOLDOFF_US`: its parent may be gone, or the device moved."""
        nwk = self._nwk
        if parent is None or parent in (dst, nwk.address):
            return None
        now = nwk.clock.now()
        failed = self._via_failed.get(dst)
        if failed is not None and now - failed < VIA_PARENT_HOLDOFF_US:
            return None  # that way failed lately: a route discovery finds another
        relays = nwk.route_records.relays(parent, now)
        if relays is None:
            e = nwk.neighbors.get(parent)
            if e is None or e.device_type == _END_DEVICE:
                return None
            relays = ()
        path = (parent, *relays)
        if len(path) > nwk.route_records.max_relays:
            return None
        nwk.stats.source_routed_via_parent += 1
        return (path[-1], False, SourceRoute(len(path) - 1, path), None)

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
        prev_hop: int = _NO_ADDRESS,
        records: bool = True,
    ) -> None:
        """Route a unicast frame (ours or relayed from ``prev_hop``), discovering the route if
        allowed; ``records`` False: not by a source route."""
        nwk = self._nwk
        hop = self.resolve(frame.dst, records)
        if hop is not None and hop[0] == prev_hop and hop[3] is not None and hop[3].many_to_one:
            hop = self._loop_on_many_to_one(hop[3], prev_hop)
        if hop is None and frame.dst == _COORDINATOR:
            hop = self._toward_coordinator(prev_hop)
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
        if sr is not None and len(frame.payload) + 2 + 2 * len(sr.relays) > nwk.max_nsdu_length(
            frame.aux is not None or None
        ):
            # the source route would push a full-size frame past the PSDU: a route without
            # one (the routing table, else a discovery)
            hop = self.resolve(frame.dst, False)
            if hop is None:
                if nwk.is_router and frame.discover_route == _ENABLE and frame.frame_type == _DATA:
                    self._buffer(_Pending(frame, on_done, originated, nsdu_handle, repaired))
                else:
                    self._fail(
                        frame,
                        on_done,
                        originated,
                        nsdu_handle,
                        NwkStatus.FRAME_NOT_BUFFERED,
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
        self.send_unicast(one_hop_on(frame), on_done=None, originated=False, prev_hop=prev_hop)

    def uplink(self, avoid: int) -> int | None:
        """A router neighbour toward the coordinator other than ``avoid``: of our parent and
        the routers heard in beacons with a depth below ours, the nearest the coordinator over
        a good link (cost <= :data:`DIRECT_MAX_COST`), else the best link of them."""
        nwk = self._nwk
        if not nwk.is_router:
            return None
        best: tuple[bool, int, int, int] | None = None
        my_depth = nwk.nib.nwk_depth
        for e in nwk.neighbors:
            a = e.network_address
            if a == avoid or e.device_type == _END_DEVICE or e.lqi == 0:
                continue
            parent = e.relationship == Relationship.PARENT
            d = my_depth - 1 if parent and e.depth is None else e.depth
            if d is None or d >= my_depth or (e.transmit_failure > 0 and not parent):
                continue
            cost = nwk.link_cost(a)
            key = (cost > DIRECT_MAX_COST, d, cost, a)
            if best is None or key < best:
                best = key
        return None if best is None else best[3]

    def _toward_coordinator(self, prev_hop: int) -> Hop | None:
        """No route to the coordinator (the trust center and concentrator): a neighbour that
        advertised a path in the concentrator's last request, else up the join tree
        (:meth:`uplink`), as a provisional many-to-one route the concentrator's next request
        replaces, instead of a network-wide route discovery."""
        nwk = self._nwk
        up = nwk.mto.alternate(_COORDINATOR, prev_hop, MAX_PATH_COST)
        if up is None:
            up = self.uplink(prev_hop)
        if up is None:
            return None
        if not self.set_route(
            _COORDINATOR,
            up,
            nwk.clock.now(),
            path_cost=nwk.link_cost(up),
            many_to_one=True,
            route_record_required=True,
        ):
            return None
        nwk.mto.on_many_to_one_request(_COORDINATOR, True)
        return (up, False, None, nwk.routes.get(_COORDINATOR))

    def _loop_on_many_to_one(self, entry: RouteEntry, prev_hop: int) -> Hop | None:
        """Our many-to-one route points back at the neighbour that just handed us a frame for
        the concentrator (a route taken from the join tree meets one from the concentrator's
        request): a loop-free alternate from that request, else up the join tree, else fail
        and let the route be found again."""
        nwk = self._nwk
        nwk.stats.route_loops += 1
        up = nwk.mto.alternate(entry.destination_address, prev_hop, entry.path_cost)
        if up is None:
            up = self.uplink(prev_hop)
        if up is None:
            nwk.routes.remove(entry.destination_address)
            return None
        entry.next_hop_address = up
        nwk.mto.on_many_to_one_request(entry.destination_address, entry.route_record_required)
        return (up, False, None, entry)

    def on_loop(self, frame: NwkFrame, prev_hop: int) -> bool:
        """A unicast we relayed came back from another neighbour, ``prev_hop``: the route to
        its destination loops (a many-to-one route taken up the join tree after a link failure
        met one from the concentrator's request). Our many-to-one route moves to a neighbour
        that advertised a smaller cost than ours in the concentrator's last request (that way
        cannot lead back) and the frame goes on that way; without one the frame is dropped.
        True if the frame was sent on."""
        nwk = self._nwk
        nwk.stats.route_loops += 1
        r = nwk.routes.get(frame.dst)
        if r is None or not r.many_to_one or not nwk.is_router or frame.radius <= 1:
            return False
        up = nwk.mto.alternate(frame.dst, r.next_hop_address, r.path_cost, prev_hop)
        if up is None:
            return False
        r.next_hop_address = up
        nwk.mto.on_many_to_one_request(frame.dst, r.route_record_required)
        self.relay(frame, prev_hop)
        return True

    def on_source_routed(self, frame: NwkFrame, prev_hop: int, lqi: int, now: int) -> None:
        """A source-routed frame for which we may be the next relay (3.6.3.3.2)."""
        nwk = self._nwk
        sr = frame.source_route
        assert sr is not None
        me = nwk.address
        if frame.dst == me:
            # the concentrator holds our record if the frame came in through our own next hop
            # toward it (a route it made from our parent's record may come another way)
            r = nwk.routes.get(frame.src)
            if r is None or r.next_hop_address == (sr.relays[0] if sr.relays else frame.src):
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
                nwk.mto.source_routed_from(frame.src, nh)
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
        if status == MacStatus.FRAME_TOO_LONG:
            # a property of the frame (a route record grown by a relay past the PSDU), not of
            # the link: dropped and counted, the routes stay
            nwk.stats.drop_frame_too_long += 1
            self._report(rec, status)
            return
        if status == MacStatus.CHANNEL_ACCESS_FAILURE and not rec.originated:
            # a relay found the channel busy through every CSMA-CA attempt and NWK retry: a
            # property of the channel, not of the link. The frame is lost (its source's APS
            # retry recovers it); the routes, the neighbour and the source's path stay, and no
            # network status goes out: under load that turned congestion into route repairs,
            # status frames, loops and repair floods (1,000-node grid). Our own frames still
            # get a route repair (another attempt, another way)
            nwk.stats.drop_channel_busy += 1
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
            # route repair: another route if we hold one now, else a route discovery
            nwk.stats.route_repairs += 1
            again = replace(frame, source_route=None) if frame.source_route is not None else frame
            self.send_unicast(
                again,
                on_done=rec.user,
                originated=True,
                nsdu_handle=rec.nsdu_handle,
                repaired=True,
            )
            return
        if not rec.originated and not rec.repaired and frame.source_route is None:
            r = nwk.routes.get(frame.dst)
            if (
                r is not None
                and r.many_to_one
                and r.usable
                and (r.next_hop_address != rec.next_hop or rec.attempts == 0)
            ):
                # relayed toward a concentrator: the many-to-one route fell back to our parent
                # (link_failed), so the frame goes on that way instead of being lost. A frame
                # queued behind the failed one, never sent, is sent again even when the route
                # stayed (the concentrator itself did not answer: a busy receiver): dropping
                # such a queue with its head turned one NO_ACK into dozens of lost frames, and
                # their statuses and repairs spread a collapse around the coordinator
                # (1,000-node grid, 16 router neighbours, seed 6: 78.5 % delivered; 100 % with
                # this and the queue taken off the link first, TransmitEngine._finish). It is
                # sent once more only (repaired)
                nwk.stats.route_repairs += 1
                self.send_unicast(frame, on_done=None, originated=False, repaired=True)
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
        *,
        buffer_full: bool = False,
    ) -> None:
        """No route: the originator is told, a relay reports to the source. The frame is
        counted once: ``drop_buffer_full`` when the route discovery buffer had no room for it
        (it was counted under both), else ``drop_no_route``."""
        nwk = self._nwk
        if buffer_full:
            nwk.stats.drop_buffer_full += 1
        else:
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
        if not many_to_one:
            old = routes.get(dst)
            if old is not None and old.many_to_one and old.status in _USABLE:
                # the concentrator's many-to-one route request is the authority on the route
                # to it (3.6.3.5.1): a reply or reverse path toward it does not replace it,
                # or the route records it asks for would stop (3.6.3.5.4)
                return True
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
        if r is not None and r.next_hop_address == next_hop and not r.many_to_one:
            routes.remove(dst)
        now = nwk.clock.now()
        for e in routes.invalidate_next_hop(next_hop):
            routes.remove(e.destination_address)
            up = None
            if e.many_to_one:
                up = nwk.mto.alternate(e.destination_address, next_hop, e.path_cost)
                if up is None and next_hop == e.destination_address:
                    # the concentrator itself did not answer (a busy receiver: it hears the
                    # whole network): stay its neighbour. Up the join tree would be a longer
                    # way whose routers may well lead back through us (a loop)
                    up = next_hop
                elif up is None:
                    up = self.uplink(next_hop)
            if up is not None:
                # a many-to-one route falls back to the join tree (our parent, or another
                # router nearer the coordinator) until the concentrator's next request, not to
                # a network-wide route discovery; the path changed, so a new record goes first
                self.set_route(
                    e.destination_address,
                    up,
                    now,
                    path_cost=e.path_cost,
                    many_to_one=True,
                    route_record_required=e.route_record_required,
                    no_route_cache=e.no_route_cache,
                )
                if up != next_hop:
                    nwk.mto.on_many_to_one_request(e.destination_address, e.route_record_required)
        if source_routed:
            nwk.route_records.record_failure(dst, SOURCE_ROUTE_FAILURE_LIMIT)
            self._via_route_failed(dst)
        n = nwk.neighbors.get(next_hop)
        if (
            n is not None
            and not n.is_child
            and n.relationship != Relationship.PARENT
            and n.transmit_failure >= NEIGHBOR_FAILURE_LIMIT
        ):
            # a neighbour that failed several frames in a row is dropped (one lost frame, a
            # busy receiver, is not enough); source routes through it stay until they fail
            # themselves (SOURCE_ROUTE_FAILURE_LIMIT) or it ages out (neighbor_gone): near a
            # busy concentrator one neighbour carries the routes to a quarter of the network
            nwk.neighbors.remove(next_hop)
        if source_routed or nwk.nib.nwk_is_concentrator:
            nwk.mto.on_route_failure(dst)

    def neighbor_gone(self, address: int) -> None:
        """A neighbour left or aged out: routes through it are no longer valid."""
        nwk = self._nwk
        routes = nwk.routes
        for e in routes.invalidate_next_hop(address):
            routes.remove(e.destination_address)
        nwk.route_records.remove_relay(address)

    def neighbor_renamed(self, ieee: int, new: int) -> NeighborEntry | None:
        """The neighbour with IEEE address ``ieee`` took network address ``new`` (it resolved
        an address conflict, 3.6.1.9.3, or rejoined): its entry (a parent stays the parent),
        the routes through it, the concentrator's alternates it advertised and the source
        routes it relays follow it, instead of failing on the old address (at 3,000 nodes
        with many conflicts, each renamed router's neighbours sent on to its old address until
        every retry failed: hundreds of link failures, route failure statuses and repairs per
        simulated minute). Returns the entry (None: not a neighbour)."""
        nwk = self._nwk
        e = nwk.neighbors.get_by_ieee(ieee)
        if e is None or e.network_address == new:
            return e
        old = e.network_address
        nwk.neighbors.change_address(ieee, new)
        for e2 in nwk.routes:
            if e2.next_hop_address == old:
                e2.next_hop_address = new
        nwk.mto.neighbor_renamed(old, new)
        nwk.route_records.rename_relay(old, new)
        return e

    def _via_route_failed(self, dst: int) -> None:
        """A source route to ``dst`` failed: if we held no record for it, the route went
        through its parent (:meth:`_via_parent`), which is not tried again for a while."""
        nwk = self._nwk
        now = nwk.clock.now()
        if nwk.route_records.relays(dst, now) is not None:
            return
        failed = self._via_failed
        if len(failed) >= 64:
            for a in [a for a, t in failed.items() if now - t >= VIA_PARENT_HOLDOFF_US]:
                del failed[a]
        failed[dst] = now

    def on_network_status(self, frame: NwkFrame, cmd: NetworkStatus, prev_hop: int) -> None:
        """A network status for this device (or broadcast) (3.6.3.7.2)."""
        nwk = self._nwk
        code = cmd.status
        about = cmd.dst
        if code == NwkStatusCode.ADDRESS_CONFLICT:
            nwk.addressing.on_conflict_status(about)
        elif code in _ROUTE_FAILURES:
            r = nwk.routes.get(about)
            if r is not None and not r.many_to_one:
                nwk.routes.remove(about)
            elif r is not None:
                # a many-to-one route stays: the relay that failed took another way itself
                # (link_failed), and the concentrator's requests keep the route current; what
                # failed may have been our route record, so the next frame carries a new one
                nwk.mto.record_lost(about)
            nwk.route_records.remove(about)
        elif code == NwkStatusCode.SOURCE_ROUTE_FAILURE:
            nwk.route_records.record_failure(about, SOURCE_ROUTE_FAILURE_LIMIT)
            self._via_route_failed(about)
            nwk.mto.on_route_failure(about)
        nwk.emit(NlmeNwkStatusIndication(code, about, cmd.unknown_command_id))


def _is_network_status(frame: NwkFrame) -> bool:
    p = frame.payload
    return frame.frame_type == _COMMAND and len(p) > 0 and p[0] == _NETWORK_STATUS_ID
