"""Route record table of a concentrator, nwkRouteRecordTable (Zigbee spec R22 3.6.3.5.4,
Table 3-58).

Maps a destination network address to the relay list learnt from its last route record
command (3.4.5), kept in the command's order: ``relays[0]`` is the relay nearest the
destination (the route record's originator), ``relays[-1]`` the one nearest this concentrator.
That is also the source route subframe's relay list (3.3.1.9), sent with relay index
``len(relays) - 1``.

Records age: one not refreshed for ``lifetime_us`` is absent (dropped on sight by lookups that
take ``now_us``, swept by :meth:`RouteRecordTable.expire`). A relay list longer than
nwkMaxSourceRoute is refused. When full, the least recently refreshed record goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import (
    NWK_MAX_SOURCE_ROUTE,
    ROUTE_RECORD_LIFETIME_US,
    ROUTE_RECORD_TABLE_DEFAULT_ENTRIES,
)
from zigmesh.nwk.tables._common import Insertion

__all__ = ["RouteRecordEntry", "RouteRecordTable"]


@dataclass(slots=True, kw_only=True)
class RouteRecordEntry:
    """A route record: the relays to ``destination_address`` (nearest the destination first),
    learnt or refreshed at ``updated_us``."""

    destination_address: int
    relays: tuple[int, ...]
    updated_us: int
    #: source-routed frames along it that failed since it was learnt
    failures: int = 0


class RouteRecordTable:
    """Bounded, ageing route record table."""

    __slots__ = ("_records", "_capacity", "lifetime_us", "max_relays")

    def __init__(
        self,
        capacity: int = ROUTE_RECORD_TABLE_DEFAULT_ENTRIES,
        *,
        lifetime_us: int = ROUTE_RECORD_LIFETIME_US,
        max_relays: int = NWK_MAX_SOURCE_ROUTE,
    ) -> None:
        if capacity < 1:
            raise LocalProtocolError(f"route record capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        #: insertion order = least recently refreshed first (a plain dict: half an
        #: OrderedDict's memory per entry)
        self._records: dict[int, RouteRecordEntry] = {}
        #: a record not refreshed for this long is dropped
        self.lifetime_us = lifetime_us
        #: nwkMaxSourceRoute (keep in step with the NIB)
        self.max_relays = max_relays

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[RouteRecordEntry]:
        return iter(list(self._records.values()))

    def get(self, destination: int, now_us: int) -> RouteRecordEntry | None:
        r = self._records.get(destination)
        if r is not None and now_us - r.updated_us >= self.lifetime_us:
            del self._records[destination]
            return None
        return r

    def relays(self, destination: int, now_us: int) -> tuple[int, ...] | None:
        """The relay list to ``destination`` (``()`` for a direct neighbour), or ``None``."""
        r = self.get(destination, now_us)
        return None if r is None else r.relays

    def update(
        self, destination: int, relays: Iterable[int], now_us: int
    ) -> Insertion[RouteRecordEntry]:
        """Store or refresh the route to ``destination`` from a route record."""
        path = tuple(relays)
        if len(path) > self.max_relays:
            return Insertion(None)
        evicted: RouteRecordEntry | None = None
        r = self._records.get(destination)
        if r is not None:
            r.relays = path
            r.updated_us = now_us
            r.failures = 0
            del self._records[destination]  # to the end: most recently refreshed
            self._records[destination] = r
            return Insertion(r)
        if len(self._records) >= self._capacity:
            evicted = self._records.pop(next(iter(self._records)))
        r = RouteRecordEntry(destination_address=destination, relays=path, updated_us=now_us)
        self._records[destination] = r
        return Insertion(r, evicted)

    def remove(self, destination: int) -> RouteRecordEntry | None:
        return self._records.pop(destination, None)

    def record_failure(self, destination: int, limit: int) -> bool:
        """A source-routed frame to ``destination`` failed: the record goes at the ``limit``-th
        failure since it was learnt (a relay busy for a moment is no broken path). True when
        it was dropped (or there was none)."""
        r = self._records.get(destination)
        if r is None:
            return True
        r.failures += 1
        if r.failures >= limit:
            del self._records[destination]
            return True
        return False

    def remove_relay(self, relay: int) -> list[RouteRecordEntry]:
        """Drop, and return, every record whose path goes through ``relay`` (source route
        failure, or the relay left)."""
        hit = [r for r in self._records.values() if relay in r.relays]
        for r in hit:
            del self._records[r.destination_address]
        return hit

    def rename_relay(self, old: int, new: int) -> None:
        """A relay took a new network address: the paths through it name the new one."""
        for r in self._records.values():
            if old in r.relays:
                r.relays = tuple(new if a == old else a for a in r.relays)

    def clear(self) -> None:
        self._records.clear()

    def expire(self, now_us: int) -> list[RouteRecordEntry]:
        """Drop, and return, records not refreshed for ``lifetime_us``."""
        gone = [r for r in self._records.values() if now_us - r.updated_us >= self.lifetime_us]
        for r in gone:
            del self._records[r.destination_address]
        return gone
