"""Many-to-one routing and source routing (Zigbee spec R22 3.6.3.5.1, 3.6.3.5.4, 3.6.3.3.2).

A concentrator (nwkIsConcentrator; the coordinator by default in :mod:`zigmesh.node`)
broadcasts a many-to-one route request every nwkConcentratorDiscoveryTime seconds (and soon
after a source route fails). Routers answer no reply: each keeps a routing table entry toward
the concentrator (many-to-one, route record required when the concentrator keeps a route
record table) through the neighbour with the best path cost, and rebroadcasts it.

Before the first data frame toward the concentrator after each many-to-one route request, a
router sends a route record command (3.4.5) along the route, for itself or for the end device
child whose frame it forwards (the child is then the record's source and the parent its first
relay). Every relay appends its address; the concentrator stores the relay list in its route
record table. A source-routed frame from the concentrator (to us, or to the end device child it
is relayed to) confirms the record; until then, a record lost beyond the first hop leaving no
trace, it goes again before a data frame at most every :data:`RECORD_RESEND_US`, and a record
that failed (our transmission, or a network status about the concentrator) is due at once. A
concentrator that hears from a device several hops away it holds no record for asks every
router for records again with a many-to-one request (rate-limited).

Repair requests are sent for route errors (a source route that failed, a device heard without
a record, a frame of ours that failed) only once errors about distinct devices since the last
request reach one per :data:`ROUTE_ERROR_SHARE` devices with a record (at least one): in a
large network a path always fails somewhere, and a network-wide request for each (every 10 s)
made every router send a new record before its next frame, the flood and the records
colliding with the traffic (1,000-node grid: repair requests every 10 s, messages lost in
bursts after each). One path is repaired by its own device's next record.

The concentrator then reaches those devices by source routing: the frame carries the relay
list (nearest the destination first) and a relay index counting down as it travels
(:meth:`zigmesh.nwk.routing.Routing.on_source_routed`), with no route discovery per
destination.

:class:`RecordState` is a source's route record standing toward one concentrator.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.commands import RouteRecord
from zigmesh.nwk.constants import MAX_UNICAST_ADDRESS, UNASSIGNED_ADDRESS, S
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.tables import DeviceType

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk
    from zigmesh.nwk.transmit import TxRecord

__all__ = ["ManyToOne", "RecordState", "MTORR_HOLDOFF_US", "ROUTE_ERROR_SHARE"]

_NO_ADDRESS = UNASSIGNED_ADDRESS
#: a repair many-to-one route request follows a route failure at most this often
MTORR_HOLDOFF_US = 10 * S
#: a route record the concentrator has not confirmed yet (by source-routing a frame to its
#: source) goes again before a data frame at most this often
RECORD_RESEND_US = 1 * S
#: a device heard with no route record counts as having one on its way this long
UNREACHABLE_US = 2 * S
#: a repair many-to-one request needs route errors about one device in this many of those the
#: concentrator holds a record for (EmberZNet's route error threshold, scaled with the network)
ROUTE_ERROR_SHARE = 32


class RecordState(Enum):
    """Route record standing of one source toward one concentrator."""

    REQUIRED = 1  # a record goes before the next data frame
    SENT = 2  # sent since the last many-to-one route request


class ManyToOne:
    """Concentrator side (periodic many-to-one route requests, route record table) and router
    side (route records)."""

    __slots__ = (
        "_nwk",
        "_timer",
        "_repair_timer",
        "_last_mtorr",
        "_records",
        "_alternates",
        "_advertised",
        "_unreachable",
        "_errors",
    )

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self._timer: TimerHandle | None = None
        self._repair_timer: TimerHandle | None = None
        self._last_mtorr = -(1 << 62)
        #: concentrator -> source -> when its route record went since the concentrator's last
        #: request (None: confirmed, the concentrator source-routed a frame to it since)
        self._records: dict[int, dict[int, int | None]] = {}
        #: concentrator -> (request id, neighbour -> the path cost it advertised in that
        #: request): the loop-free alternates of a many-to-one route
        self._alternates: dict[int, tuple[int, dict[int, int]]] = {}
        #: concentrator -> (request id, the path cost our last relay of that request carried)
        self._advertised: dict[int, tuple[int, int]] = {}
        #: devices heard lately from several hops away with no route record: when
        self._unreachable: dict[int, int] = {}
        #: devices with a route error since our last many-to-one request
        self._errors: set[int] = set()

    def stop(self) -> None:
        for h in (self._timer, self._repair_timer):
            if h is not None:
                h.cancel()
        self._timer = self._repair_timer = None
        self._records.clear()
        self._unreachable.clear()
        self._errors.clear()

    # -- concentrator ----------------------------------------------------------------------

    def start(self) -> None:
        """Begin periodic many-to-one route requests if this device is a concentrator."""
        nwk = self._nwk
        if not nwk.nib.nwk_is_concentrator:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = nwk.clock.call_later(nwk.config.concentrator_first_delay_us, self._tick)

    def _tick(self) -> None:
        nwk = self._nwk
        self._timer = None
        if not nwk.nib.nwk_is_concentrator or not nwk.router_started:
            return
        self.send_request()
        period = nwk.nib.nwk_concentrator_discovery_time_us
        if period > 0:
            self._timer = nwk.clock.call_later(period, self._tick)

    def send_request(self) -> None:
        """Broadcast a many-to-one route request now."""
        nwk = self._nwk
        if not nwk.has_audience():
            return  # nobody joined yet: no route to build, nobody to hear it
        self._last_mtorr = nwk.clock.now()
        self._errors.clear()
        nwk.routing.discover_many_to_one(nwk.nib.nwk_concentrator_radius, True)

    def on_route_failure(self, about: int) -> None:
        """A route of the concentrator (a source route, or one of its own) to ``about`` failed:
        refresh the many-to-one routes soon (rate-limited) once enough devices had errors (see
        the module docstring)."""
        nwk = self._nwk
        if not nwk.nib.nwk_is_concentrator or self._repair_timer is not None:
            return
        errors = self._errors
        errors.add(about)
        if len(errors) < max(1, len(nwk.route_records) // ROUTE_ERROR_SHARE):
            return
        self._repair_soon()

    def after_join(self) -> None:
        """The trust center gave a device the network key. Its frames reach us up its join
        tree on a provisional many-to-one route until our next request; a request soon gives
        it (and the devices joining with it) routes by path cost - but at most once per half
        nwkConcentratorDiscoveryTime: every request floods the network and makes every router
        send a record again (joins 1 s apart drew a request every :data:`MTORR_HOLDOFF_US`: a
        1,000-node secured grid's join phase spent 1.33x the unsecured one's events, 1.21x
        with this limit; devices powered up together still get theirs at once)."""
        nwk = self._nwk
        if not nwk.nib.nwk_is_concentrator or self._repair_timer is not None:
            return
        period = nwk.nib.nwk_concentrator_discovery_time_us
        if period > 0 and nwk.clock.now() - self._last_mtorr < period // 2:
            return
        self._repair_soon()

    def _repair_soon(self) -> None:
        """A repair request once :data:`MTORR_HOLDOFF_US` has passed since the last request."""
        clock = self._nwk.clock
        wait = self._last_mtorr + MTORR_HOLDOFF_US - clock.now()
        self._repair_timer = clock.call_later(max(wait, 0), self._repair)

    def _repair(self) -> None:
        self._repair_timer = None
        if self._nwk.router_started:
            self.send_request()

    def learn_from(self, src: int, prev_hop: int, now: int) -> None:
        """A frame from ``src`` reached us (the concentrator) from neighbour ``prev_hop``. A
        sender one hop away that sent no record (it counts us a neighbour) is reached
        directly; a sender several hops away with no record lost it (or its record was lost on
        the way while it believes it sent one): a many-to-one request soon (rate-limited) makes
        every router send a record again."""
        nwk = self._nwk
        table = nwk.route_records
        if src == prev_hop:
            if nwk.neighbors.get(src) is None and table.relays(src, now) is None:
                table.update(src, (), now)
                nwk.routing.record_arrived(src)
            return
        if prev_hop != _NO_ADDRESS and table.relays(src, now) is None:
            self._unreachable[src] = now
            if len(self._unreachable) > 64:
                for a in [a for a, t in self._unreachable.items() if now - t > UNREACHABLE_US]:
                    del self._unreachable[a]
            self.on_route_failure(src)

    def unreachable_sender(self, address: int) -> bool:
        """The device talked to us lately from several hops away while we hold no route
        record for it (:meth:`learn_from`): its record is on its way."""
        t = self._unreachable.get(address)
        return t is not None and self._nwk.clock.now() - t < UNREACHABLE_US

    # -- routers ---------------------------------------------------------------------------

    def neighbor_renamed(self, old: int, new: int) -> None:
        """A neighbour that advertised a path to a concentrator now uses address ``new``."""
        for _, alt in self._alternates.values():
            cost = alt.pop(old, None)
            if cost is not None:
                alt[new] = cost

    def note_copy(
        self, concentrator: int, rreq_id: int, neighbor: int, cost: int, *, first: bool = False
    ) -> None:
        """A copy of the concentrator's many-to-one request came from ``neighbor``, which is
        ``cost`` away from it. ``first``: the first copy of this request we hear (no route
        discovery table entry for it): what we noted of an earlier request is forgotten even
        when it had the same id (request ids wrap at 256)."""
        alt = self._alternates.get(concentrator)
        if first or alt is None or alt[0] != rreq_id:
            alt = self._alternates[concentrator] = (rreq_id, {})
            self._advertised.pop(concentrator, None)
        old = alt[1].get(neighbor)
        if old is None or cost < old:
            alt[1][neighbor] = cost

    def note_relay(self, concentrator: int, rreq_id: int, cost: int) -> None:
        """Our relay of the concentrator's many-to-one request carries ``cost``."""
        self._advertised[concentrator] = (rreq_id, cost)

    def worth_relaying(self, concentrator: int, rreq_id: int, cost: int) -> bool:
        """Whether a copy of the request at ``cost`` is to be relayed: we have not relayed
        this request yet, or the copy is :attr:`NwkConfig.mtorr_relay_margin` cheaper than
        our last relay of it."""
        adv = self._advertised.get(concentrator)
        return (
            adv is None
            or adv[0] != rreq_id
            or cost <= adv[1] - self._nwk.config.mtorr_relay_margin
        )

    def alternate(
        self, concentrator: int, avoid: int, own_cost: int, avoid2: int = _NO_ADDRESS
    ) -> int | None:
        """A next hop toward ``concentrator`` other than ``avoid`` (and ``avoid2``) that
        cannot loop back: a neighbour that advertised in the last request a smaller cost than
        we did (or than ``own_cost``, our route's, if larger), the cheapest through its link
        first. Loop-free: a router's route only moves to cheaper copies after it relayed
        one, so the costs advertised along any chain of next hops strictly decrease, and a
        neighbour that advertised less than we did cannot have us on its path."""
        alt = self._alternates.get(concentrator)
        if alt is None:
            return None
        adv = self._advertised.get(concentrator)
        if adv is not None and adv[0] == alt[0] and adv[1] > own_cost:
            own_cost = adv[1]
        nwk = self._nwk
        best: tuple[int, int] | None = None
        for n, c in alt[1].items():
            if n in (avoid, avoid2) or c >= own_cost or nwk.neighbors.get(n) is None:
                continue
            key = (c + nwk.link_cost(n), n)
            if best is None or key < best:
                best = key
        return None if best is None else best[1]

    def on_many_to_one_request(self, concentrator: int, record_required: bool) -> None:
        """A many-to-one route request from ``concentrator``: records are due again."""
        self._records.pop(concentrator, None)

    def record_state(self, concentrator: int, source: int) -> RecordState:
        sent = self._records.get(concentrator)
        return RecordState.SENT if sent is not None and source in sent else RecordState.REQUIRED

    def source_routed_from(self, concentrator: int, source: int | None = None) -> None:
        """The concentrator reached ``source`` (us by default, or our end device child we
        relay to) by source routing: it holds that route, no record is due until its next
        request."""
        nwk = self._nwk
        self._records.setdefault(concentrator, {})[
            nwk.address if source is None else source
        ] = None

    def before_data(self, frame: NwkFrame, next_hop: int) -> None:
        """A data frame is about to go along a many-to-one route that wants route records:
        send the record first for its source (us, or our end device child); the data frame
        leaves after it (frames to one neighbour keep their order)."""
        nwk = self._nwk
        src = frame.src
        me = nwk.address
        dst = frame.dst
        if src == me:
            relays: tuple[int, ...] = ()
            src_ieee: int | None = nwk.ieee
        else:
            c = nwk.neighbors.get(src)
            if c is None or not c.is_child or c.device_type != DeviceType.END_DEVICE:
                return
            relays = (me,)
            src_ieee = c.extended_address
        sent = self._records.setdefault(dst, {})
        now = nwk.clock.now()
        if src in sent:
            t = sent[src]
            if t is None or now - t < RECORD_RESEND_US:
                return
            # sent but never confirmed (the concentrator has not source-routed to it yet): a
            # record lost beyond the first hop leaves no trace, so it goes again
        sent[src] = now
        nwk.stats.route_records_sent += 1

        def done(rec: TxRecord, status: MacStatus) -> None:
            if status != MacStatus.SUCCESS:
                self.record_lost(dst, src)

        record = NwkFrame(
            NwkFrameType.COMMAND,
            dst,
            src,
            nwk.default_radius(),
            nwk.next_seq(),
            RouteRecord(relays).encode(),
            src_ieee=src_ieee,
        )
        nwk.transmit(record, next_hop, on_done=done)

    def record_lost(self, concentrator: int, source: int | None = None) -> None:
        """A route record toward ``concentrator`` (for ``source``, or for anyone) did not get
        through: the next data frame carries a new one."""
        sent = self._records.get(concentrator)
        if sent is None:
            return
        if source is None:
            del self._records[concentrator]
        else:
            sent.pop(source, None)

    def on_route_record(self, frame: NwkFrame, cmd: RouteRecord, prev_hop: int, now: int) -> None:
        """A route record for us (we are the concentrator) or to relay (append ourselves)."""
        nwk = self._nwk
        me = nwk.address
        relays = cmd.relays
        if frame.dst == me:
            if nwk.nib.nwk_is_concentrator:
                if _valid_path(frame.src, me, relays):
                    nwk.route_records.update(frame.src, relays, now)
                    self._unreachable.pop(frame.src, None)
                    nwk.routing.record_arrived(frame.src)
                else:
                    nwk.stats.rx_bad_route_record += 1
            return
        if me in relays:
            # the record came back to us: our route to the concentrator loops. Leave that
            # way (up the join tree) and drop the record; the next frame carries a new one
            nwk.stats.route_loops += 1
            r = nwk.routes.get(frame.dst)
            if r is not None and r.many_to_one:
                up = self.alternate(frame.dst, r.next_hop_address, r.path_cost)
                if up is None:
                    up = nwk.routing.uplink(r.next_hop_address)
                if up is None:
                    nwk.routes.remove(frame.dst)
                else:
                    r.next_hop_address = up
                self._records.pop(frame.dst, None)
            return
        nwk.routing.relay(
            NwkFrame(
                frame.frame_type,
                frame.dst,
                frame.src,
                frame.radius,
                frame.seq,
                RouteRecord((*cmd.relays, nwk.address)).encode(),
                frame.discover_route,
                frame.protocol_version,
                frame.end_device_initiator,
                frame.dst_ieee,
                frame.src_ieee,
                frame.multicast,
                frame.source_route,
                frame.aux,
            ),
            prev_hop,
        )


def _valid_path(source: int, concentrator: int, relays: tuple[int, ...]) -> bool:
    """A relay list the concentrator may source-route along: unicast addresses only, neither
    end of the path among them, no relay twice (3.4.5; a forged or looping record is refused,
    never stored)."""
    if len(set(relays)) != len(relays):
        return False
    return not any(a > MAX_UNICAST_ADDRESS or a in (source, concentrator) for a in relays)
