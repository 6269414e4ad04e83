"""Route discovery (Zigbee spec R22 3.6.3.5): the originator's route requests, every router's
handling of route requests and replies, and the many-to-one route request of a concentrator.

One :class:`_Discovery` per destination at the originator (:class:`DiscoveryState`): a route
request (RREQ) broadcast to 0xfffc, repeated nwkcInitialRREQRetries times every
nwkcRREQRetryInterval. Each router adds the cost of the link the RREQ arrived on
(:meth:`Nwk.link_cost`), keeps the best (lowest forward cost) sender in its route discovery
table, and rebroadcasts after a jitter of 2-128 ms (then nwkcRREQRetries more times); a better
copy replaces a pending rebroadcast. The destination, or the parent of an end device
destination, answers every better RREQ with a route reply (RREP) along the recorded senders;
each hop adds its link cost, keeps the best residual cost and sets the forward route (and, with
nwkSymLink, the reverse route). The originator's route is ACTIVE from the first RREP (buffered
frames go at once) and improved by later ones; without any RREP in nwkcRouteDiscoveryTime the
discovery fails (ROUTE_DISCOVERY_FAILED).

What keeps floods rare and cheap in large networks (implementation choices, as deployed stacks
bound them; the spec leaves them open):

* **rate limit**: a token bucket per device (:attr:`NwkConfig.rreq_burst` discoveries back to
  back, then one per :attr:`NwkConfig.rreq_interval_us`); a frame that would need a discovery
  beyond it fails at once (ROUTE_DISCOVERY_FAILED, ``drop_rreq_rate_limited``);
* **counter-based suppression**: a route request (ours or relayed, relayed many-to-one ones
  included) is not repeated once :data:`RREQ_QUORUM` neighbours were heard relaying it. A
  concentrator's own many-to-one request still goes 1 + nwkcInitialRREQRetries times
  (3.6.3.5.1): relays heard prove nothing about its near neighbours. The 10,000-node bench
  collapsed in its seventh minute of traffic when one request, lost (most likely) at the
  coordinator's near neighbours by collisions under load, was heard by a router of depth 3 over a
  -95.8 dBm link (cost 7; the coordinator was not even in its neighbour table): it relayed
  first, the routes of its part of the network went through it, and it failed 199, then 412
  frames in 10 s. Sent four times, the request reaches the near neighbours in a later copy,
  much cheaper than the weak router's, which they relay: the tree heals within the flood;
* **a many-to-one request is relayed again only for a much cheaper copy**
  (:attr:`NwkConfig.mtorr_relay_margin`): a copy cheaper by less moves our route to the
  concentrator without a broadcast (3.6.3.5.2 relays every cheaper copy). Loop-free, as
  :meth:`ManyToOne.alternate` explains;
* a concentrator answering a device that just talked to it from several hops away without a
  route record waits up to :data:`RECORD_WAIT_US` for the record (the device's APS retry
  carries one) instead of flooding the network for one device; if none comes, the answer fails
  (ROUTE_DISCOVERY_FAILED) and the device counts as a route error toward a repair many-to-one
  request (:meth:`ManyToOne.on_route_failure`: every router sends its record again), still
  without a discovery: one discovery per such device cost the 10,000-node bench 9-12 network-
  wide floods (250,000-290,000 relays) every 10 s once congestion cost records;
* the route to a concentrator comes from its many-to-one requests, never from a discovery
  (:mod:`zigmesh.nwk.routing`, :mod:`zigmesh.nwk.many_to_one`).
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.nwk.commands import ManyToOne, NwkStatusCode, RouteReply, RouteRequest
from zigmesh.nwk.constants import (
    NWKC_MAX_RREQ_JITTER,
    NWKC_MIN_RREQ_JITTER,
    NWKC_ROUTE_DISCOVERY_TIME_US,
    NWKC_RREQ_RETRY_INTERVAL_US,
    RREQ_JITTER_SLOT_US,
)
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.link_cost import MAX_PATH_COST
from zigmesh.nwk.primitives import NlmeRouteDiscoveryConfirm, NwkAddrMode, NwkStatus
from zigmesh.nwk.tables import DeviceType, RouteStatus

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk, TxDone
    from zigmesh.nwk.routing import Hop

__all__ = ["DiscoveryState", "RouteDiscovery", "RREQ_QUORUM"]

#: a route request is not broadcast again (nwkcInitialRREQRetries / nwkcRREQRetries) once this
#: many neighbours were heard relaying it: they carry it on (counter-based flood suppression)
RREQ_QUORUM = 2
#: a concentrator's answer to a device it holds no route record for waits this long for one
#: (two APS retries of the device), then fails
RECORD_WAIT_US = 3_500_000

_COMMAND = NwkFrameType.COMMAND
_MAC_BROADCAST = 0xFFFF
_NO_ADDRESS = 0xFFFF
_ROUTERS = 0xFFFC
_USABLE = (RouteStatus.ACTIVE, RouteStatus.VALIDATION_UNDERWAY)
_END_DEVICE = DeviceType.END_DEVICE


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
        "heard",
        "sent",
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
        #: neighbours heard relaying it (retries stop at RREQ_QUORUM), broadcasts so far
        self.heard: set[int] = set()
        self.sent = 0

    def cancel(self) -> None:
        for h in (self.timer, self.retry_timer):
            if h is not None:
                h.cancel()
        self.timer = self.retry_timer = None


class _Rebroadcast:
    """A relayed route request waiting for its jitter / retries.

    ``source``: the request as heard (its best copy so far) and the path cost to send on; the
    frame to send (``frame``, ``data``) is built when it first goes out, since a better copy
    heard during the jitter replaces it (most of a flood's relays hear several)."""

    __slots__ = ("source", "frame", "data", "retries_left", "timer", "heard")

    def __init__(self, source: tuple[NwkFrame, RouteRequest, int], retries: int) -> None:
        self.source = source
        self.frame: NwkFrame | None = None
        self.data = b""
        self.retries_left = retries
        self.timer: TimerHandle | None = None
        #: neighbours heard relaying this request (retries stop at RREQ_QUORUM of them)
        self.heard: set[int] = set()


class RouteDiscovery:
    """Route discovery; mixed into :class:`~zigmesh.nwk.routing.Routing`, which holds the
    state declared here and the forwarding the discovered routes serve."""

    __slots__ = (
        "_nwk",
        "_rreq_id",
        "_disc",
        "_buffered",
        "_rebroadcasts",
        "_mto_disc",
        "_tokens",
        "_tokens_at",
        "_awaiting",
        "_via_failed",
    )

    _nwk: Nwk
    _rreq_id: int
    _disc: dict[int, _Discovery]
    _buffered: int
    _rebroadcasts: dict[int, _Rebroadcast]
    _mto_disc: _Discovery | None
    _tokens: float
    _tokens_at: int
    #: concentrator: frames waiting for their destination's route record, by destination
    _awaiting: dict[int, list[_Pending]]
    #: concentrator: when a source route through a device's parent failed, by device
    _via_failed: dict[int, int]

    if TYPE_CHECKING:

        def send_unicast(
            self,
            frame: NwkFrame,
            *,
            on_done: TxDone | None,
            originated: bool,
            nsdu_handle: int = -1,
            repaired: bool = False,
            prev_hop: int = _NO_ADDRESS,
        ) -> None: ...

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
        ) -> None: ...

        def resolve(self, dst: int, records: bool = True) -> Hop | None: ...

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
        ) -> bool: ...

    # ==========================================================================================
    # route discovery: originator
    # ==========================================================================================

    def _next_rreq_id(self) -> int:
        self._rreq_id = (self._rreq_id + 1) & 0xFF
        return self._rreq_id

    def _buffer(self, p: _Pending) -> None:
        nwk = self._nwk
        dst = p.frame.dst
        if (
            dst not in self._disc
            and nwk.nib.nwk_is_concentrator
            and nwk.mto.unreachable_sender(dst)
            and self._await_record(p)
        ):
            return
        self._discover_for(p)

    def _await_record(self, p: _Pending) -> bool:
        """A concentrator holding no route to a device that just talked to it (it answers a
        frame of the device's: an APS ACK, a response): one route discovery would flood the
        whole network for one device, so the frame waits up to :data:`RECORD_WAIT_US` for the
        device's route record (its next frame to us, its APS retry, carries one: its record is
        unconfirmed, or the many-to-one request asked everyone again); then a discovery as
        usual."""
        nwk = self._nwk
        dst = p.frame.dst
        waiting = self._awaiting.get(dst)
        if waiting is None:
            if len(self._awaiting) >= nwk.config.route_discovery_buffer:
                return False
            waiting = self._awaiting[dst] = []
            nwk.clock.call_later(RECORD_WAIT_US, self._record_wait_over, dst)
        waiting.append(p)
        return True

    def _send_pending(self, p: _Pending) -> None:
        """A waiting frame's route is there: send it."""
        self.send_unicast(
            p.frame,
            on_done=p.user,
            originated=p.originated,
            nsdu_handle=p.nsdu_handle,
            repaired=p.repaired,
        )

    def _fail_pending(
        self, p: _Pending, status: NwkStatus, code: NwkStatusCode, *, buffer_full: bool = False
    ) -> None:
        """A waiting frame gets no route (:meth:`Routing._fail`)."""
        self._fail(
            p.frame, p.user, p.originated, p.nsdu_handle, status, code, buffer_full=buffer_full
        )

    def record_arrived(self, dst: int) -> None:
        """A route record for ``dst`` came: the frames waiting for it go (source-routed)."""
        for p in self._awaiting.pop(dst, ()):
            self._send_pending(p)

    def _record_wait_over(self, dst: int) -> None:
        """No record came within :data:`RECORD_WAIT_US`: the frames fail, and the device is a
        route error of the concentrator's (module docstring)."""
        for p in self._awaiting.pop(dst, ()):
            if self.resolve(dst) is not None:
                self._send_pending(p)
            else:
                self._nwk.mto.on_route_failure(dst)
                self._fail_pending(
                    p, NwkStatus.ROUTE_DISCOVERY_FAILED, NwkStatusCode.NO_ROUTE_AVAILABLE
                )

    def _discover_for(self, p: _Pending) -> None:
        nwk = self._nwk
        dst = p.frame.dst
        d = self._disc.get(dst)
        if d is None:
            d = self.start_discovery(dst)
            if d is None:
                self._fail_pending(
                    p, NwkStatus.ROUTE_DISCOVERY_FAILED, NwkStatusCode.NO_ROUTING_CAPACITY
                )
                return
        if self._buffered >= nwk.config.route_discovery_buffer:
            self._fail_pending(
                p, NwkStatus.FRAME_NOT_BUFFERED, NwkStatusCode.NO_ROUTE_AVAILABLE, buffer_full=True
            )
            return
        d.pending.append(p)
        self._buffered += 1

    def _may_discover(self, now: int) -> bool:
        """Take a token of the route request rate limit (:attr:`NwkConfig.rreq_burst`)."""
        cfg = self._nwk.config
        if cfg.rreq_interval_us <= 0:
            return True
        tokens = self._tokens + (now - self._tokens_at) / cfg.rreq_interval_us
        if tokens > cfg.rreq_burst:
            tokens = float(cfg.rreq_burst)
        self._tokens_at = now
        if tokens < 1.0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True

    def start_discovery(self, dst: int, radius: int = 0) -> _Discovery | None:
        """Broadcast a route request for ``dst`` (None when the tables are full or the rate
        limit allows no new discovery yet)."""
        nwk = self._nwk
        now = nwk.clock.now()
        if not self._may_discover(now):
            nwk.stats.drop_rreq_rate_limited += 1
            return None
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
        d = _Discovery(
            dst, rid, frame, nwk.encode_for_later(frame), nwk.config.initial_rreq_retries
        )
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
        if d.sent and len(d.heard) >= RREQ_QUORUM and d.dst != _ROUTERS:
            return  # neighbours relay it already: no retry (see the module docstring)
        d.sent += 1
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
            self._fail_pending(
                p, NwkStatus.ROUTE_DISCOVERY_FAILED, NwkStatusCode.NO_ROUTE_AVAILABLE
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
            self._send_pending(p)
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
        d = _Discovery(
            _ROUTERS, rid, frame, nwk.encode_for_later(frame), nwk.config.initial_rreq_retries
        )
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

    def on_route_request(
        self, frame: NwkFrame, cmd: RouteRequest, prev_hop: int, lqi: int, now: int
    ) -> None:
        """A route request heard (3.6.3.5.2)."""
        nwk = self._nwk
        me = nwk.nib.nwk_network_address
        src = frame.src
        if prev_hop == _NO_ADDRESS:
            return
        rid = cmd.route_request_id
        if src == me:
            d = self._mto_disc if cmd.many_to_one else self._disc.get(cmd.dst)
            if d is not None and d.rreq_id == rid:
                d.heard.add(prev_hop)
            return
        # a router we keep no entry for: an ordinary request prices the link from this
        # frame's LQI; a many-to-one request at the maximum cost, since the concentrator's
        # tree carries all the uplink traffic and is built on links whose outgoing cost is
        # known (link status). Priced from the LQI, the 1,000-node bench lost 0.5 % on seed 6
        lqi_for_cost = -1 if cmd.many_to_one else lqi
        cost = cmd.path_cost + nwk.link_cost(prev_hop, lqi_for_cost)
        if cost > MAX_PATH_COST:
            cost = MAX_PATH_COST
        table = nwk.discovery
        e = table.get(src, rid, now)
        if cmd.many_to_one:
            nwk.mto.note_copy(src, rid, prev_hop, cmd.path_cost, first=e is None)
        if e is not None:
            r = self._rebroadcasts.get(src << 8 | rid)
            if r is not None:
                r.heard.add(prev_hop)
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
            if nwk.mto.worth_relaying(src, rid, cost):
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
        key = frame.src << 8 | cmd.route_request_id
        r = self._rebroadcasts.get(key)
        if r is None:
            r = _Rebroadcast((frame, cmd, cost), nwk.config.rreq_retries)
            self._rebroadcasts[key] = r
        else:
            if r.timer is not None:
                r.timer.cancel()
            r.source = (frame, cmd, cost)
            r.frame = None
            r.retries_left = nwk.config.rreq_retries
        jitter = nwk.rng.randint(NWKC_MIN_RREQ_JITTER, NWKC_MAX_RREQ_JITTER) * RREQ_JITTER_SLOT_US
        r.timer = nwk.clock.call_later(jitter, self._rebroadcast_send, key)

    def _rebroadcast_send(self, key: int) -> None:
        nwk = self._nwk
        r = self._rebroadcasts.get(key)
        if r is None:
            return
        r.timer = None
        if r.retries_left < nwk.config.rreq_retries and len(r.heard) >= RREQ_QUORUM:
            del self._rebroadcasts[key]  # neighbours carry it on: no retry
            return
        out = r.frame
        if out is None:
            frame, cmd, cost = r.source
            payload = replace(cmd, path_cost=cost).encode()
            r.frame = out = replace(frame, radius=frame.radius - 1, payload=payload)
            r.data = nwk.encode_for_later(out)
            if cmd.many_to_one:
                nwk.mto.note_relay(frame.src, cmd.route_request_id, cost)
        nwk.transmit(out, _MAC_BROADCAST, data=r.data)
        nwk.stats.rreq_relayed += 1
        if r.retries_left > 0:
            r.retries_left -= 1
            r.timer = nwk.clock.call_later(NWKC_RREQ_RETRY_INTERVAL_US, self._rebroadcast_send, key)
        else:
            del self._rebroadcasts[key]

    def on_route_reply(
        self, frame: NwkFrame, cmd: RouteReply, prev_hop: int, lqi: int, now: int
    ) -> None:
        """A route reply passing through or arriving (3.6.3.5.3)."""
        nwk = self._nwk
        if prev_hop == _NO_ADDRESS:
            return
        cost = cmd.path_cost + nwk.link_cost(prev_hop, lqi)
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
