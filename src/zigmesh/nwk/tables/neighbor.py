"""Neighbour table (Zigbee spec R22 3.6.1.5, Tables 3-63 and 3-64).

One :class:`NeighborEntry` per device in radio range, looked up by network address or IEEE
address in O(1). Time is passed in (``now_us``); the table never reads a clock.

Ageing (3.6.3.4): every nwkLinkStatusPeriod the NWK layer calls :meth:`NeighborTable.age_routers`,
which increments the age of every router neighbour; a link status from the neighbour resets it
(:meth:`NeighborTable.link_status_received`). At nwkRouterAgeLimit the link is stale: its outgoing
cost drops to 0 and, unless it is our parent or child, the entry is removed and reported.

End device timeout (3.6.10): an end-device child's deadline is ``device_timeout`` seconds after
it was added or last sent a keepalive (:meth:`NeighborTable.keepalive`);
:meth:`NeighborTable.expire_end_devices` removes and reports children past their deadline.

The entries that are neither our parent nor our children (router neighbours heard, previous
children) may be bounded below the capacity (``max_unrelated``, from
``NwkConfig.max_unrelated_neighbors``: Z-Stack keeps 16 router neighbours beside its 20
children, EmberZNet 16 in a table of its own), so a router in a dense mesh keeps room for
children and lists a bounded set of links in its link status; reaching that bound, an
unrelated newcomer is admitted as into a full table.

When the table is full, parent and children are never evicted: a new parent or child displaces
the least useful unrelated neighbour (previous child first, then the oldest-aged, then the worst
LQI); a new unrelated neighbour displaces only a previous child, a router whose link is stale
(no link status for nwkRouterAgeLimit periods, yet still heard) or the unrelated neighbour with
the worst LQI when its own is better. So a full table keeps the best links it hears and does not
churn (a router that just missed one link status stays; in a dense grid ~200 routers are in
range of a 36-entry table).

A full table refuses an unrelated newcomer in O(1) when its LQI is at or below the admission
floor: the worst LQI among the unrelated entries, taken at the last walk that refused one, and
never above the true worst (membership changes, ageing that makes a link stale, relationship
changes and an LQI lowered below it clear it; an LQI raised leaves it low, which only costs a
walk). So change an entry's ``lqi`` or ``relationship`` through
:meth:`NeighborTable.set_lqi` / :meth:`NeighborTable.set_relationship` while it is in a table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import NEIGHBOR_TABLE_DEFAULT_ENTRIES, NWK_ROUTER_AGE_LIMIT, S
from zigmesh.nwk.tables._common import Insertion

__all__ = ["DeviceType", "Relationship", "NeighborEntry", "NeighborTable"]


class DeviceType(IntEnum):
    """Neighbour table device type (Zigbee spec Table 3-63)."""

    COORDINATOR = 0
    ROUTER = 1
    END_DEVICE = 2


class Relationship(IntEnum):
    """Neighbour table relationship (Zigbee spec Table 3-63)."""

    PARENT = 0
    CHILD = 1
    SIBLING = 2
    NONE = 3
    PREVIOUS_CHILD = 4
    UNAUTHENTICATED_CHILD = 5


_CHILD = (Relationship.CHILD, Relationship.UNAUTHENTICATED_CHILD)
_PROTECTED = (Relationship.PARENT, Relationship.CHILD, Relationship.UNAUTHENTICATED_CHILD)
#: stale router neighbours that ageing keeps: our parent, and a child still waiting for its
#: network key (it has a timeout of its own, NwkConfig.unauthenticated_child_timeout_us)
_AGED_KEPT = (Relationship.PARENT, Relationship.UNAUTHENTICATED_CHILD)
_AGE_MAX = 0xFF


@dataclass(slots=True, kw_only=True)
class NeighborEntry:
    """A neighbour table entry (Zigbee spec Table 3-63, discovery fields of Table 3-64).

    ``device_timeout`` is in seconds, as in the spec; the spec's timeout counter is kept as the
    absolute deadline ``timeout_expiry_us`` (see :meth:`timeout_counter`). ``last_heard_us`` is
    the time any frame was last received from the neighbour (implementation field).
    """

    # (the fields every frame heard and the eviction choice read come first: with the object
    # header they share one cache line; a dense network walks cold tables)
    network_address: int
    relationship: Relationship | int = Relationship.NONE
    age: int = 0
    lqi: int = 0
    device_type: DeviceType | int = DeviceType.ROUTER
    last_heard_us: int = 0
    extended_address: int | None = None
    rx_on_when_idle: bool = True
    end_device_configuration: int = 0
    device_timeout: int | None = None
    timeout_expiry_us: int | None = None
    transmit_failure: int = 0
    outgoing_cost: int = 0
    incoming_beacon_timestamp: int | None = None
    beacon_transmission_time_offset: int | None = None
    keepalive_received: bool = False
    # Table 3-64: network discovery fields
    extended_pan_id: int | None = None
    logical_channel: int | None = None
    depth: int | None = None
    beacon_order: int | None = None
    permit_joining: bool | None = None
    potential_parent: bool | None = None
    router_capacity: bool | None = None
    end_device_capacity: bool | None = None
    update_id: int | None = None

    @property
    def is_child(self) -> bool:
        """A child (authenticated or not)."""
        return self.relationship in _CHILD

    @property
    def is_router(self) -> bool:
        """A coordinator or router (sends link status, can relay)."""
        return self.device_type != DeviceType.END_DEVICE

    def timeout_counter(self, now_us: int) -> int | None:
        """Seconds left before an end-device child times out (Table 3-63 timeout counter),
        rounded up; 0 once expired; ``None`` when no timeout runs."""
        if self.timeout_expiry_us is None:
            return None
        left = self.timeout_expiry_us - now_us
        return 0 if left <= 0 else -(-left // S)


class NeighborTable:
    """Bounded neighbour table with O(1) lookup by network and by IEEE address."""

    __slots__ = (
        "_by_short",
        "_by_ieee",
        "_capacity",
        "_floor",
        "_age_limit",
        "remove_aged_routers",
        "_max_unrelated",
        "_n_unrelated",
    )

    def __init__(
        self,
        capacity: int = NEIGHBOR_TABLE_DEFAULT_ENTRIES,
        *,
        router_age_limit: int = NWK_ROUTER_AGE_LIMIT,
        remove_aged_routers: bool = True,
        max_unrelated: int | None = None,
    ) -> None:
        if capacity < 1:
            raise LocalProtocolError(f"neighbour table capacity must be >= 1, got {capacity}")
        if max_unrelated is not None and max_unrelated < 0:
            raise LocalProtocolError(f"max_unrelated must be >= 0, got {max_unrelated}")
        self._capacity = capacity
        #: at most this many entries that are neither parent nor child (None: no bound but
        #: the capacity); the rest of the capacity stays for the parent and the children
        self._max_unrelated = capacity if max_unrelated is None else min(max_unrelated, capacity)
        #: entries that are neither parent nor child (-1: count again; see _unrelated)
        self._n_unrelated = -1
        self._by_short: dict[int, NeighborEntry] = {}
        self._by_ieee: dict[int, NeighborEntry] = {}
        #: full table: an unrelated newcomer with an LQI at or below this is refused (a lower
        #: bound of the worst unrelated LQI; -1: not known; 256: no unrelated entry at all)
        self._floor = -1
        self._age_limit = router_age_limit
        #: remove unrelated router neighbours that reach the age limit (else only cost 0)
        self.remove_aged_routers = remove_aged_routers

    # -- container -------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def router_age_limit(self) -> int:
        """nwkRouterAgeLimit (keep in step with the NIB): the age of a stale link."""
        return self._age_limit

    @router_age_limit.setter
    def router_age_limit(self, value: int) -> None:
        self._age_limit = value
        self._floor = -1

    def __len__(self) -> int:
        return len(self._by_short)

    def __iter__(self) -> Iterator[NeighborEntry]:
        return iter(list(self._by_short.values()))

    def __contains__(self, network_address: object) -> bool:
        return network_address in self._by_short

    def is_full(self) -> bool:
        return len(self._by_short) >= self._capacity

    def get(self, network_address: int) -> NeighborEntry | None:
        return self._by_short.get(network_address)

    def get_by_ieee(self, extended_address: int) -> NeighborEntry | None:
        return self._by_ieee.get(extended_address)

    def clear(self) -> None:
        self._by_short.clear()
        self._by_ieee.clear()
        self._floor = -1
        self._n_unrelated = -1

    def set_lqi(self, entry: NeighborEntry, lqi: int) -> None:
        """Set an entry's LQI (keeps the admission floor a lower bound of the worst)."""
        entry.lqi = lqi
        if lqi < self._floor:
            self._floor = -1

    def set_relationship(self, entry: NeighborEntry, relationship: Relationship) -> None:
        """Set an entry's relationship (the admission floor is taken again)."""
        entry.relationship = relationship
        self._floor = -1
        self._n_unrelated = -1

    @property
    def max_unrelated(self) -> int:
        """Most entries that are neither our parent nor our children (the capacity when not
        bounded)."""
        return self._max_unrelated

    def _unrelated(self) -> int:
        """Entries that are neither parent nor child (counted again after a change)."""
        n = self._n_unrelated
        if n < 0:
            prot = _PROTECTED
            n = self._n_unrelated = sum(
                1 for e in self._by_short.values() if e.relationship not in prot
            )
        return n

    def _full_for(self, protected_new: bool) -> bool:
        """A newcomer (a parent or child when ``protected_new``) needs a victim."""
        if len(self._by_short) >= self._capacity:
            return True
        return (
            not protected_new
            and self._max_unrelated < self._capacity
            and self._unrelated() >= self._max_unrelated
        )

    def refuses_unrelated(self, lqi: int) -> bool:
        """Whether :meth:`add` would refuse a new unrelated neighbour with this LQI (a full
        table and no victim for it): O(1) when the admission floor is known. Lets a caller
        skip building the entry for the link statuses a dense network mostly refuses."""
        if len(self._by_short) < self._capacity and (
            self._max_unrelated >= self._capacity or self._unrelated() < self._max_unrelated
        ):
            return False
        if lqi <= self._floor:
            return True
        return self._victim_for(False, lqi) is None

    def refuses_stranger(self, extended_address: int, lqi: int) -> bool:
        """Whether a device we keep no entry for (none by network address: the caller
        looked; none by ``extended_address``: checked here) would be refused at once as a new
        unrelated neighbour with this LQI: a full table whose admission floor is at or above
        it (the O(1) case of :meth:`refuses_unrelated`; False also when only a search for a
        victim would tell)."""
        if lqi > self._floor or extended_address in self._by_ieee:
            return False
        return len(self._by_short) >= self._capacity or (
            self._max_unrelated < self._capacity and self._unrelated() >= self._max_unrelated
        )

    # -- add / remove ----------------------------------------------------------------------

    def add(self, entry: NeighborEntry, now_us: int) -> Insertion[NeighborEntry]:
        """Insert ``entry`` (or replace the entry with its network or IEEE address).

        Sets ``last_heard_us``; starts the timeout of an end-device child that has a
        ``device_timeout`` and no deadline yet. When the table is full, evicts per the module
        policy or refuses (``Insertion.entry is None``).
        """
        short = entry.network_address
        ieee = entry.extended_address
        old = self._by_short.get(short)
        same_ieee = self._by_ieee.get(ieee) if ieee is not None else None
        evicted: NeighborEntry | None = None
        protected_new = entry.relationship in _PROTECTED
        if old is None and same_ieee is None and self._full_for(protected_new):
            if not protected_new and entry.lqi <= self._floor:
                return Insertion(None)
            victim = self._victim_for(protected_new, entry.lqi)
            if victim is None:
                return Insertion(None)
            evicted = self._unlink(victim.network_address)
        self._floor = -1
        self._n_unrelated = -1
        if old is not None:
            self._unlink(short)
        if same_ieee is not None and same_ieee is not old:
            # the device changed its network address: the old entry goes
            self._unlink(same_ieee.network_address)
        entry.last_heard_us = now_us
        if (
            entry.device_timeout is not None
            and entry.timeout_expiry_us is None
            and entry.is_child
            and entry.device_type == DeviceType.END_DEVICE
        ):
            entry.timeout_expiry_us = now_us + entry.device_timeout * S
        self._by_short[short] = entry
        if ieee is not None:
            self._by_ieee[ieee] = entry
        return Insertion(entry, evicted)

    def remove(self, network_address: int) -> NeighborEntry | None:
        return self._unlink(network_address)

    def remove_by_ieee(self, extended_address: int) -> NeighborEntry | None:
        e = self._by_ieee.get(extended_address)
        return None if e is None else self._unlink(e.network_address)

    def change_address(self, extended_address: int, network_address: int) -> NeighborEntry | None:
        """A neighbour known by IEEE address now uses ``network_address`` (rejoin, address
        conflict resolution). Another entry holding that network address is dropped."""
        e = self._by_ieee.get(extended_address)
        if e is None:
            return None
        if e.network_address != network_address:
            other = self._by_short.get(network_address)
            if other is not None:
                self._unlink(network_address)
            del self._by_short[e.network_address]
            e.network_address = network_address
            self._by_short[network_address] = e
        return e

    def set_extended_address(self, network_address: int, extended_address: int) -> bool:
        """Learn the IEEE address of a neighbour known by network address only."""
        e = self._by_short.get(network_address)
        if e is None:
            return False
        other = self._by_ieee.get(extended_address)
        if other is not None and other is not e:
            self._unlink(other.network_address)
        if e.extended_address is not None:
            self._by_ieee.pop(e.extended_address, None)
        e.extended_address = extended_address
        self._by_ieee[extended_address] = e
        return True

    def _unlink(self, network_address: int) -> NeighborEntry | None:
        self._floor = -1
        self._n_unrelated = -1
        e = self._by_short.pop(network_address, None)
        if (
            e is not None
            and e.extended_address is not None
            and self._by_ieee.get(e.extended_address) is e
        ):
            del self._by_ieee[e.extended_address]
        return e

    def _victim(self, new: NeighborEntry) -> NeighborEntry | None:
        """The entry ``new`` displaces in a full table, or None (module docstring)."""
        return self._victim_for(new.relationship in _PROTECTED, new.lqi)

    def _victim_for(self, protected_new: bool, lqi: int) -> NeighborEntry | None:
        """The entry a newcomer (a parent or child when ``protected_new``) with LQI ``lqi``
        displaces in a full table, or None. Rank: previous child first, then the oldest-aged,
        the worst LQI, the least recently heard; ties go to the first in table order (as
        ``min`` picks). One walk with no allocation. A refusal of an unrelated newcomer
        records the admission floor."""
        prot = _PROTECTED
        prev_child = Relationship.PREVIOUS_CHILD
        stale_age = self._age_limit
        best: NeighborEntry | None = None
        bp = ba = bq = bh = 0  # best's rank: previous-child flag, age, LQI, last heard
        worst: NeighborEntry | None = None
        wq = wh = 0  # worst fresh link: LQI, last heard
        for e in self._by_short.values():
            r = e.relationship
            if r in prot:
                continue
            age = e.age
            if protected_new or age >= stale_age or r == prev_child:
                p = 0 if r == prev_child else 1
                if best is None or p < bp:
                    best, bp, ba, bq, bh = e, p, age, e.lqi, e.last_heard_us
                elif p == bp and age >= ba:
                    q = e.lqi
                    if age > ba or q < bq or (q == bq and e.last_heard_us < bh):
                        best, ba, bq, bh = e, age, q, e.last_heard_us
            elif best is None:
                # an unrelated newcomer with no stale entry so far: the worst fresh link
                q = e.lqi
                if worst is None or q < wq or (q == wq and e.last_heard_us < wh):
                    worst, wq, wh = e, q, e.last_heard_us
        if best is not None or protected_new:
            return best
        if worst is not None and wq < lqi:
            return worst
        self._floor = wq if worst is not None else 256
        return None

    # -- reception -------------------------------------------------------------------------

    def heard(
        self, network_address: int, now_us: int, lqi: int | None = None
    ) -> NeighborEntry | None:
        """Any frame received from the neighbour (3.6.1.5): refresh its LQI and last-heard time."""
        e = self._by_short.get(network_address)
        if e is not None:
            e.last_heard_us = now_us
            if lqi is not None:
                e.lqi = lqi
                if lqi < self._floor:
                    self._floor = -1
        return e

    def link_status_received(
        self, network_address: int, outgoing_cost: int, now_us: int
    ) -> NeighborEntry | None:
        """A link status from the neighbour (3.6.3.4.2): age 0 and its outgoing cost (the
        incoming cost it listed for us, 0 when we are not listed)."""
        e = self._by_short.get(network_address)
        if e is not None:
            e.age = 0
            e.outgoing_cost = outgoing_cost
            e.last_heard_us = now_us
        return e

    def age_routers(self, heard_since_us: int | None = None) -> list[NeighborEntry]:
        """One nwkLinkStatusPeriod has passed: age every router neighbour by one.

        At nwkRouterAgeLimit the outgoing cost becomes 0 (stale link); stale routers other
        than our parent (router children too: one whose leave announcement, a single radius-1
        broadcast, we missed, or that lost power, held a child slot for ever) are removed
        (when ``remove_aged_routers``) and returned, except those heard (any
        frame) at or after ``heard_since_us``: a router whose link statuses were lost to a
        busy channel while its frames keep arriving is alive (removing a concentrator's
        relay dropped every route record through it: a 1,000-node grid lost 184 at once and
        flooded route discoveries).
        """
        removed: list[NeighborEntry] = []
        limit = self._age_limit
        for e in list(self._by_short.values()):
            if e.device_type == DeviceType.END_DEVICE:
                continue
            if e.age < _AGE_MAX:
                e.age += 1
            if e.age >= limit:
                e.outgoing_cost = 0
                self._floor = -1  # a stale link: a newcomer may take its place
                if heard_since_us is not None and e.last_heard_us >= heard_since_us:
                    continue
                if self.remove_aged_routers and e.relationship not in _AGED_KEPT:
                    self._unlink(e.network_address)
                    removed.append(e)
        return removed

    # -- end device children ---------------------------------------------------------------

    def set_device_timeout(self, network_address: int, timeout_s: int, now_us: int) -> bool:
        """Set a child's timeout (End Device Timeout Request, 3.6.10) and restart it."""
        e = self._by_short.get(network_address)
        if e is None:
            return False
        e.device_timeout = timeout_s
        e.timeout_expiry_us = now_us + timeout_s * S
        return True

    def keepalive(self, network_address: int, now_us: int) -> bool:
        """A keepalive (data poll or timeout request) from an end-device child restarts its
        timeout. Returns False when the sender is not in the table."""
        e = self._by_short.get(network_address)
        if e is None:
            return False
        e.keepalive_received = True
        e.last_heard_us = now_us
        if e.device_timeout is not None:
            e.timeout_expiry_us = now_us + e.device_timeout * S
        return True

    def expire_end_devices(self, now_us: int) -> list[NeighborEntry]:
        """Remove and return the end-device children whose timeout has run out."""
        gone = [
            e
            for e in self._by_short.values()
            if e.timeout_expiry_us is not None and e.timeout_expiry_us <= now_us and e.is_child
        ]
        for e in gone:
            self._unlink(e.network_address)
        return gone

    def next_timeout_us(self) -> int | None:
        """The earliest child deadline, to schedule one timer for :meth:`expire_end_devices`."""
        deadlines = [
            e.timeout_expiry_us
            for e in self._by_short.values()
            if e.timeout_expiry_us is not None and e.is_child
        ]
        return min(deadlines) if deadlines else None

    # -- transmission bookkeeping ----------------------------------------------------------

    def record_tx_failure(self, network_address: int) -> int:
        """Count a failed transmission to the neighbour; returns the count (0 if unknown)."""
        e = self._by_short.get(network_address)
        if e is None:
            return 0
        e.transmit_failure += 1
        return e.transmit_failure

    def record_tx_success(self, network_address: int) -> None:
        e = self._by_short.get(network_address)
        if e is not None:
            e.transmit_failure = 0

    # -- views -----------------------------------------------------------------------------

    def parent(self) -> NeighborEntry | None:
        for e in self._by_short.values():
            if e.relationship == Relationship.PARENT:
                return e
        return None

    def children(self, device_type: DeviceType | None = None) -> list[NeighborEntry]:
        """Children (authenticated or not), optionally of one device type."""
        return [
            e
            for e in self._by_short.values()
            if e.relationship in _CHILD and (device_type is None or e.device_type == device_type)
        ]

    def child_count(self, device_type: DeviceType | None = None) -> int:
        return len(self.children(device_type))

    def routers(self) -> list[NeighborEntry]:
        """Coordinator and router neighbours, in insertion order (link status candidates)."""
        return [e for e in self._by_short.values() if e.device_type != DeviceType.END_DEVICE]
