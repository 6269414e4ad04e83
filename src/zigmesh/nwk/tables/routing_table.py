"""Routing table (Zigbee spec R22 3.6.3.2, Tables 3-66 and 3-67).

One :class:`RouteEntry` per destination (a network address, or a multicast group ID when
``group_id_flag`` is set: the two live in separate key spaces). Lookups are O(1); the hot path
is :meth:`RoutingTable.next_hop`.

Besides the spec's fields an entry keeps a consecutive-failure counter (route error detection:
the NWK layer decides when a count means a broken route), the path cost it was learnt with and
the time it was last used. When the table is full, a new destination displaces an INACTIVE or
DISCOVERY_FAILED entry (least recently used first); if there is none it is refused, and the NWK
layer answers with NO_ROUTING_CAPACITY.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import ROUTING_TABLE_DEFAULT_ENTRIES, UNASSIGNED_ADDRESS
from zigmesh.nwk.tables._common import Insertion

__all__ = ["RouteStatus", "RouteEntry", "RoutingTable"]


class RouteStatus(IntEnum):
    """Route status (Zigbee spec Table 3-67)."""

    ACTIVE = 0
    DISCOVERY_UNDERWAY = 1
    DISCOVERY_FAILED = 2
    INACTIVE = 3
    VALIDATION_UNDERWAY = 4


_USABLE = (RouteStatus.ACTIVE, RouteStatus.VALIDATION_UNDERWAY)
_EVICTABLE = (RouteStatus.INACTIVE, RouteStatus.DISCOVERY_FAILED)
_GROUP = 0x1_0000


def _key(destination: int, group: bool) -> int:
    return destination | _GROUP if group else destination


@dataclass(slots=True, kw_only=True)
class RouteEntry:
    """A routing table entry (Zigbee spec Table 3-66) plus bookkeeping fields."""

    destination_address: int
    status: RouteStatus | int = RouteStatus.ACTIVE
    no_route_cache: bool = False
    many_to_one: bool = False
    route_record_required: bool = False
    group_id_flag: bool = False
    next_hop_address: int = UNASSIGNED_ADDRESS
    # implementation
    failures: int = 0
    path_cost: int = 0
    last_used_us: int = 0

    @property
    def usable(self) -> bool:
        """Frames may be forwarded on it (ACTIVE or VALIDATION_UNDERWAY)."""
        return self.status in _USABLE


class RoutingTable:
    """Bounded routing table keyed by destination."""

    __slots__ = ("_routes", "_capacity")

    def __init__(self, capacity: int = ROUTING_TABLE_DEFAULT_ENTRIES) -> None:
        if capacity < 1:
            raise LocalProtocolError(f"routing table capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        self._routes: dict[int, RouteEntry] = {}

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[RouteEntry]:
        return iter(list(self._routes.values()))

    def __contains__(self, destination: object) -> bool:
        return destination in self._routes

    def is_full(self) -> bool:
        return len(self._routes) >= self._capacity

    def get(self, destination: int, *, group: bool = False) -> RouteEntry | None:
        return self._routes.get(_key(destination, group))

    def next_hop(self, destination: int, *, group: bool = False) -> int | None:
        """Next hop of a usable (ACTIVE / VALIDATION_UNDERWAY) route, else ``None``."""
        e = self._routes.get(_key(destination, group))
        if e is None or e.status not in _USABLE:
            return None
        return e.next_hop_address

    def add(self, entry: RouteEntry, now_us: int) -> Insertion[RouteEntry]:
        """Insert or replace the entry for ``entry.destination_address``; ``last_used_us``
        becomes ``now_us``. A full table evicts an INACTIVE / DISCOVERY_FAILED entry or refuses.
        """
        key = _key(entry.destination_address, entry.group_id_flag)
        evicted: RouteEntry | None = None
        if key not in self._routes and len(self._routes) >= self._capacity:
            victims = [e for e in self._routes.values() if e.status in _EVICTABLE]
            if not victims:
                return Insertion(None)
            evicted = min(victims, key=lambda e: e.last_used_us)
            del self._routes[_key(evicted.destination_address, evicted.group_id_flag)]
        entry.last_used_us = now_us
        self._routes[key] = entry
        return Insertion(entry, evicted)

    def set_route(
        self,
        destination: int,
        next_hop: int,
        now_us: int,
        *,
        status: RouteStatus = RouteStatus.ACTIVE,
        path_cost: int = 0,
        many_to_one: bool = False,
        no_route_cache: bool = False,
        route_record_required: bool = False,
        group: bool = False,
    ) -> Insertion[RouteEntry]:
        """Create or update the route to ``destination``: the existing entry is updated in place
        (its failure count reset), else a new one is added (see :meth:`add`)."""
        e = self._routes.get(_key(destination, group))
        if e is None:
            return self.add(
                RouteEntry(
                    destination_address=destination,
                    status=status,
                    no_route_cache=no_route_cache,
                    many_to_one=many_to_one,
                    route_record_required=route_record_required,
                    group_id_flag=group,
                    next_hop_address=next_hop,
                    path_cost=path_cost,
                ),
                now_us,
            )
        e.next_hop_address = next_hop
        e.status = status
        e.path_cost = path_cost
        e.many_to_one = many_to_one
        e.no_route_cache = no_route_cache
        e.route_record_required = route_record_required
        e.failures = 0
        e.last_used_us = now_us
        return Insertion(e)

    def set_status(self, destination: int, status: RouteStatus, *, group: bool = False) -> bool:
        e = self._routes.get(_key(destination, group))
        if e is None:
            return False
        e.status = status
        return True

    def remove(self, destination: int, *, group: bool = False) -> RouteEntry | None:
        return self._routes.pop(_key(destination, group), None)

    def clear(self) -> None:
        self._routes.clear()

    def touch(self, destination: int, now_us: int, *, group: bool = False) -> None:
        """The route was used to forward a frame (LRU bookkeeping)."""
        e = self._routes.get(_key(destination, group))
        if e is not None:
            e.last_used_us = now_us

    def record_failure(self, destination: int, *, group: bool = False) -> int:
        """Count a delivery failure on the route; returns the consecutive count (0: no route)."""
        e = self._routes.get(_key(destination, group))
        if e is None:
            return 0
        e.failures += 1
        return e.failures

    def record_success(self, destination: int, now_us: int, *, group: bool = False) -> None:
        e = self._routes.get(_key(destination, group))
        if e is not None:
            e.failures = 0
            e.last_used_us = now_us

    def invalidate_next_hop(self, next_hop: int) -> list[RouteEntry]:
        """Mark INACTIVE, and return, every usable route through ``next_hop`` (a neighbour that
        left or failed)."""
        hit = [e for e in self._routes.values() if e.next_hop_address == next_hop and e.usable]
        for e in hit:
            e.status = RouteStatus.INACTIVE
        return hit

    def expire_idle(self, now_us: int, idle_us: int) -> list[RouteEntry]:
        """Mark INACTIVE, and return, ACTIVE routes not used for ``idle_us`` (many-to-one
        routes excepted: the concentrator refreshes them)."""
        hit = [
            e
            for e in self._routes.values()
            if e.status == RouteStatus.ACTIVE
            and not e.many_to_one
            and now_us - e.last_used_us >= idle_us
        ]
        for e in hit:
            e.status = RouteStatus.INACTIVE
        return hit
