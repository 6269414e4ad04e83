"""Route discovery table (Zigbee spec R22 3.6.3.2, Table 3-68).

Entries are keyed by (route request originator, route request ID) and live for
nwkcRouteDiscoveryTime (10 s) from creation. An expired entry is absent: lookups taking
``now_us`` drop it on sight, a new entry drops the expired ones before it (they are the
oldest), and :meth:`RouteDiscoveryTable.expire` sweeps and reports them.
A full table (after dropping expired entries) refuses a new discovery.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import (
    NWKC_ROUTE_DISCOVERY_TIME_US,
    ROUTE_DISCOVERY_TABLE_DEFAULT_ENTRIES,
)
from zigmesh.nwk.link_cost import MAX_PATH_COST
from zigmesh.nwk.tables._common import Insertion, drop_expired_front

__all__ = ["RouteDiscoveryEntry", "RouteDiscoveryTable", "MAX_PATH_COST"]


@dataclass(slots=True, kw_only=True)
class RouteDiscoveryEntry:
    """A route discovery table entry (Zigbee spec Table 3-68); ``expiration_time`` is an
    absolute time in microseconds. ``destination_address`` is an implementation field (the
    route request's destination)."""

    route_request_id: int
    source_address: int
    sender_address: int
    forward_cost: int
    #: 0xff until a route reply reaches the entry (Zigbee spec 3.6.3.5.2)
    residual_cost: int = MAX_PATH_COST
    expiration_time: int
    destination_address: int | None = None


def _key(source: int, rreq_id: int) -> int:
    return source << 8 | rreq_id


class RouteDiscoveryTable:
    """Bounded route discovery table with expiry at nwkcRouteDiscoveryTime."""

    __slots__ = ("_entries", "_capacity", "lifetime_us")

    def __init__(
        self,
        capacity: int = ROUTE_DISCOVERY_TABLE_DEFAULT_ENTRIES,
        *,
        lifetime_us: int = NWKC_ROUTE_DISCOVERY_TIME_US,
    ) -> None:
        if capacity < 1:
            raise LocalProtocolError(f"route discovery capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        self._entries: dict[int, RouteDiscoveryEntry] = {}
        #: lifetime of an entry (nwkcRouteDiscoveryTime)
        self.lifetime_us = lifetime_us

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[RouteDiscoveryEntry]:
        return iter(list(self._entries.values()))

    def get(self, source: int, rreq_id: int, now_us: int) -> RouteDiscoveryEntry | None:
        """The live entry for (originator, route request ID), or ``None``."""
        key = _key(source, rreq_id)
        e = self._entries.get(key)
        if e is not None and e.expiration_time <= now_us:
            del self._entries[key]
            return None
        return e

    def add(
        self,
        source: int,
        rreq_id: int,
        sender: int,
        forward_cost: int,
        now_us: int,
        *,
        residual_cost: int = MAX_PATH_COST,
        destination: int | None = None,
        evict: bool = False,
    ) -> Insertion[RouteDiscoveryEntry]:
        """Record a route request seen for the first time; expires ``lifetime_us`` from now.

        For a live entry already present the sender and costs are updated and the expiration
        time kept (the discovery's lifetime counts from its first request). A full table
        refuses the entry, or with ``evict`` drops the entry closest to expiry for it.
        """
        if not 0 <= rreq_id <= 0xFF:
            raise LocalProtocolError(f"route request ID {rreq_id} out of range 0-255")
        key = _key(source, rreq_id)
        e = self.get(source, rreq_id, now_us)
        if e is not None:
            e.sender_address = sender
            e.forward_cost = forward_cost
            e.residual_cost = residual_cost
            if destination is not None:
                e.destination_address = destination
            return Insertion(e)
        # (entries are added in the order they expire: a router's table kept every many-to-one
        # request it relayed until it was full, 3 KB a router after half an hour)
        drop_expired_front(self._entries, now_us)
        if len(self._entries) >= self._capacity:
            self.expire(now_us)
            if len(self._entries) >= self._capacity:
                if not evict:
                    return Insertion(None)
                oldest = min(self._entries, key=lambda k: self._entries[k].expiration_time)
                del self._entries[oldest]
        e = RouteDiscoveryEntry(
            route_request_id=rreq_id,
            source_address=source,
            sender_address=sender,
            forward_cost=forward_cost,
            residual_cost=residual_cost,
            expiration_time=now_us + self.lifetime_us,
            destination_address=destination,
        )
        self._entries[key] = e
        return Insertion(e)

    def remove(self, source: int, rreq_id: int) -> RouteDiscoveryEntry | None:
        return self._entries.pop(_key(source, rreq_id), None)

    def clear(self) -> None:
        self._entries.clear()

    def expire(self, now_us: int) -> list[RouteDiscoveryEntry]:
        """Remove and return every entry whose expiration time has come."""
        gone = [e for e in self._entries.values() if e.expiration_time <= now_us]
        for e in gone:
            del self._entries[_key(e.source_address, e.route_request_id)]
        return gone

    def next_expiry(self) -> int | None:
        """The earliest expiration time, to schedule one timer for :meth:`expire`."""
        return min((e.expiration_time for e in self._entries.values()), default=None)
