"""Link status (Zigbee spec R22 3.6.3.4): routers tell their neighbours how well they hear
them, every nwkLinkStatusPeriod (15 s), and age the neighbours that stop doing so.

Every period (plus or minus a random jitter, so neighbours do not stay in step) a started
router or coordinator:

1. ages its router neighbours (:meth:`NeighborTable.age_routers`): one that has not sent a link
   status for nwkRouterAgeLimit periods has a stale link (outgoing cost 0) and, unless it is our
   parent or was heard lately, leaves the table (a router child as if it had left); routes
   through it are dropped;
2. broadcasts a link status command (NWK destination 0xfffc, radius 1) listing its router
   neighbours in ascending address order with the incoming cost (from the LQI of their frames)
   and the outgoing cost (what they last reported), 31 entries per frame at most (first / last
   frame flags when more frames are needed).

On receipt the sender becomes (or stays) a neighbour, its age returns to 0 and our outgoing
cost to it is the incoming cost it lists for us (0 if we are not listed). :class:`LinkState`
names where a neighbour link stands.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.nwk.commands import LINK_STATUS_MAX_ENTRIES, LinkStatus, LinkStatusEntry
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.link_cost import LINK_COST_TABLE, MAX_LINK_COST
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk

__all__ = ["LinkState", "LinkStatusSender", "link_state", "link_status_entries"]

_ROUTERS = 0xFFFC
_END_DEVICE = DeviceType.END_DEVICE
#: payload of a link status -> {listed address: its incoming cost} (the first entry of an
#: address wins, as a scan of the entries finds it): every receiver of one link status looks
#: itself up in the same list (a pure function of the bytes; emptied when it reaches the bound)
_COSTS: dict[bytes, dict[int, int]] = {}
_COSTS_MAX = 256


def _costs_of(payload: bytes, cmd: LinkStatus) -> dict[int, int]:
    try:
        costs = _COSTS.get(payload)
    except TypeError:  # unhashable: a bytearray
        return {e.address: e.incoming_cost for e in reversed(cmd.entries)}
    if costs is None:
        costs = {e.address: e.incoming_cost for e in reversed(cmd.entries)}
        if len(_COSTS) >= _COSTS_MAX:
            _COSTS.clear()
        _COSTS[payload] = costs
    return costs


class LinkState(Enum):
    """A router neighbour's link as link status sees it."""

    UNCONFIRMED = 1  # heard, no link status from it yet (outgoing cost 0)
    ACTIVE = 2  # link status received within nwkRouterAgeLimit periods
    STALE = 3  # nwkRouterAgeLimit periods without one


def link_state(e: NeighborEntry, age_limit: int) -> LinkState:
    if e.age >= age_limit:
        return LinkState.STALE
    return LinkState.ACTIVE if e.outgoing_cost else LinkState.UNCONFIRMED


def link_status_entries(
    neighbors: list[NeighborEntry], *, constant_cost: bool = False
) -> list[LinkStatusEntry]:
    """Entries for the router neighbours we hear, ascending by address (3.6.3.4.1)."""
    out = []
    for e in sorted(neighbors, key=lambda n: n.network_address):
        if e.lqi <= 0:
            continue
        incoming = MAX_LINK_COST if constant_cost else LINK_COST_TABLE[e.lqi]
        out.append(LinkStatusEntry(e.network_address, incoming, e.outgoing_cost & 0x07))
    return out


class LinkStatusSender:
    """Periodic link status and router neighbour ageing."""

    __slots__ = ("_nwk", "_timer")

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self._timer: TimerHandle | None = None

    def start(self, first_us: int | None = None) -> None:
        """Begin the periodic link status (first one within one period, or after
        ``first_us``)."""
        nwk = self._nwk
        if self._timer is not None:
            self._timer.cancel()
        period = nwk.nib.nwk_link_status_period_us
        first = nwk.rng.randrange(period // 4, period + 1) if period else 0
        if first_us is not None:
            first = first_us
        self._timer = nwk.clock.call_later(first, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        nwk = self._nwk
        self._timer = None
        if not nwk.is_router or not nwk.router_started:
            return
        period = nwk.nib.nwk_link_status_period_us
        # heard (any frame) within the periods before the limit: alive
        heard_since = nwk.clock.now() - max(nwk.neighbors.router_age_limit - 1, 1) * period
        for gone in nwk.neighbors.age_routers(heard_since):
            nwk.routing.neighbor_gone(gone.network_address)
            if gone.relationship == Relationship.CHILD:
                # a router child silent for nwkRouterAgeLimit periods left (its Leave missed)
                # or died: gone as if we had heard its Leave (NLME-LEAVE.indication)
                nwk.stats.aged_children_removed += 1
                nwk.neighbour_left(gone.network_address, gone.extended_address, False)
        self.send_now()
        period = nwk.nib.nwk_link_status_period_us
        j = nwk.config.link_status_jitter_us
        delay = period + (nwk.rng.randrange(-j, j + 1) if j else 0)
        self._timer = nwk.clock.call_later(max(delay, 1), self._tick)

    def send_now(self) -> None:
        """Broadcast our link status (one or more frames)."""
        nwk = self._nwk
        if not nwk.is_router or not nwk.router_started:
            return
        if nwk.device_type == DeviceType.COORDINATOR and not nwk.has_audience():
            return  # nobody to hear it: a coordinator alone (before the first join)
        entries = link_status_entries(
            nwk.neighbors.routers(), constant_cost=bool(nwk.nib.nwk_report_constant_cost)
        )
        chunks = [
            entries[i : i + LINK_STATUS_MAX_ENTRIES]
            for i in range(0, len(entries), LINK_STATUS_MAX_ENTRIES)
        ] or [[]]
        last = len(chunks) - 1
        for i, chunk in enumerate(chunks):
            nwk.send_command(
                LinkStatus(tuple(chunk), first_frame=i == 0, last_frame=i == last),
                _ROUTERS,
                radius=1,
            )
            nwk.stats.link_status_sent += 1

    def on_link_status(
        self,
        frame: NwkFrame,
        cmd: LinkStatus,
        prev_hop: int,
        lqi: int,
        now: int,
        sender: NeighborEntry | None,
    ) -> None:
        """A neighbour's link status (3.6.3.4.2). ``sender``: our neighbour table entry of
        ``prev_hop`` (None: none), which the caller holds."""
        nwk = self._nwk
        src = frame.src
        me = nwk.nib.nwk_network_address
        if src != prev_hop or src == me or src > 0xFFF7:
            return
        nbrs = nwk.neighbors
        e = sender
        ieee = frame.src_ieee
        known_ieee: NeighborEntry | None = None
        if e is None and ieee is not None:
            known_ieee = nbrs.get_by_ieee(ieee)
            if known_ieee is not None and known_ieee.device_type != _END_DEVICE:
                # a router neighbour under a new address (address conflict resolved, rejoin):
                # the same entry (parent, child or other) and the routes through it follow it
                e = nwk.routing.neighbor_renamed(ieee, src)
                known_ieee = nbrs.get_by_ieee(ieee)
        if e is None:
            if known_ieee is None and nbrs.refuses_unrelated(lqi):
                return  # a full table with better links (most link statuses in a dense grid)
            outgoing = _costs_of(frame.payload, cmd).get(me, 0)
            e = NeighborEntry(
                network_address=src,
                extended_address=ieee,
                device_type=DeviceType.COORDINATOR if src == 0 else DeviceType.ROUTER,
                relationship=Relationship.NONE,
                lqi=lqi,
                outgoing_cost=outgoing,
            )
            if not nbrs.add(e, now).admitted:
                return
        elif e.device_type == _END_DEVICE:
            return
        else:
            outgoing = _costs_of(frame.payload, cmd).get(me, 0)
        if e.extended_address is None and frame.src_ieee is not None:
            nbrs.set_extended_address(src, frame.src_ieee)
        # NeighborTable.link_status_received, on the entry in hand (the table's entry of src)
        e.age = 0
        e.outgoing_cost = outgoing
        e.last_heard_us = now
