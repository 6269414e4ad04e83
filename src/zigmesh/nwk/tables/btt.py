"""Broadcast transaction table (Zigbee spec R22 3.6.5, Table 3-70).

One :class:`BttRecord` per broadcast seen, keyed by (source address, sequence number), living
nwkNetworkBroadcastDeliveryTime (9 s) from when it was first seen. It serves duplicate rejection
(:meth:`BroadcastTransactionTable.seen`) and passive acknowledgement (3.6.5.1): the record keeps
the neighbours heard relaying the broadcast and the retransmissions made, so the NWK layer can
retransmit (up to nwkMaxBroadcastRetries) while some router neighbour has not been heard.

The table holds at least 9 records (Zigbee PRO) and never more than its capacity. When full,
expired records go first; if none has expired the new broadcast is refused (the spec's
behaviour: it is neither relayed nor delivered) unless ``evict_live`` is set, in which case the
oldest record goes.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import (
    BTT_DEFAULT_ENTRIES,
    BTT_MIN_ENTRIES,
    NWK_NETWORK_BROADCAST_DELIVERY_TIME_US,
)
from zigmesh.nwk.tables._common import Insertion, drop_expired_front

__all__ = ["BttRecord", "BroadcastTransactionTable", "RelaySet"]


if TYPE_CHECKING:
    _Int32s = array[int]
else:
    _Int32s = array  # (generic in typeshed only)


class RelaySet(_Int32s):
    """The network addresses of the neighbours heard relaying one broadcast: a set (``add``,
    ``in``, ``len``, iteration in ascending order, equality with sets) kept as a sorted array of
    32-bit integers. In a dense mesh a broadcast is heard relayed by a hundred neighbours or
    more, in each of up to a BTT's worth of records per node: 4 bytes an address here, about 60
    in a ``set`` of ``int`` objects. The array itself (a subclass: no wrapper object, 64 bytes
    a record less)."""

    __slots__ = ()

    def __new__(cls, addresses: Iterable[int] = ()) -> Self:
        # (typeshed's array.__new__ returns array[int], not the subclass it makes)
        return super().__new__(cls, "i", sorted(set(addresses)))  # type: ignore[return-value]

    def add(self, address: int) -> bool:
        """Add ``address``; True when it was not there yet."""
        i = bisect_left(self, address)
        if i == len(self) or self[i] != address:
            self.insert(i, address)
            return True
        return False

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, int):
            return False
        i = bisect_left(self, address)
        return i < len(self) and self[i] == address

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RelaySet):
            return array.__eq__(self, other)
        if isinstance(other, (set, frozenset)):
            return len(other) == len(self) and all(x in other for x in self)
        return NotImplemented

    __hash__ = None  # mutable, like set

    def __repr__(self) -> str:
        return f"RelaySet({list(self)!r})"


@dataclass(slots=True, kw_only=True)
class BttRecord:
    """A broadcast transaction record (Zigbee spec Table 3-70) with passive-ack state:
    ``relayed_by`` the neighbours heard rebroadcasting it, ``retries`` our retransmissions.
    ``expiration_time`` is absolute, in microseconds."""

    source_address: int
    sequence_number: int
    expiration_time: int
    relayed_by: RelaySet = field(default_factory=RelaySet)
    retries: int = 0

    def missing(self, neighbours: Iterable[int]) -> list[int]:
        """The neighbours (in the given order) not yet heard relaying this broadcast."""
        heard = self.relayed_by
        return [n for n in neighbours if n not in heard]


#: the outcome of a refused :meth:`BroadcastTransactionTable.add` (frozen: one for all)
_REFUSED: Insertion[BttRecord] = Insertion(None)


class BroadcastTransactionTable:
    """Bounded BTT with expiry at nwkNetworkBroadcastDeliveryTime."""

    __slots__ = ("_records", "_capacity", "delivery_time_us", "evict_live", "_min_exp")

    def __init__(
        self,
        capacity: int = BTT_DEFAULT_ENTRIES,
        *,
        delivery_time_us: int = NWK_NETWORK_BROADCAST_DELIVERY_TIME_US,
        evict_live: bool = False,
    ) -> None:
        if capacity < BTT_MIN_ENTRIES:
            raise LocalProtocolError(
                f"broadcast transaction table needs >= {BTT_MIN_ENTRIES} entries, got {capacity}"
            )
        self._capacity = capacity
        self._records: dict[int, BttRecord] = {}
        #: no record expires before this (a lower bound: exact after each full expiry scan, so
        #: a full table that nothing has left since is not scanned at every new broadcast)
        self._min_exp = 0
        #: nwkNetworkBroadcastDeliveryTime, microseconds (keep in step with the NIB)
        self.delivery_time_us = delivery_time_us
        #: when full of live records, drop the oldest instead of refusing
        self.evict_live = evict_live

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[BttRecord]:
        return iter(list(self._records.values()))

    def get(self, source: int, sequence_number: int, now_us: int) -> BttRecord | None:
        """The live record of a broadcast, or ``None`` (an expired one is dropped)."""
        key = source << 8 | sequence_number
        r = self._records.get(key)
        if r is not None and r.expiration_time <= now_us:
            del self._records[key]
            return None
        return r

    def seen(self, source: int, sequence_number: int, now_us: int) -> bool:
        """Duplicate rejection: this broadcast has a live record."""
        return self.get(source, sequence_number, now_us) is not None

    def has_room(self, now_us: int) -> bool:
        """A new broadcast would be admitted without dropping a live record."""
        if len(self._records) < self._capacity:
            return True
        if now_us < self._min_exp:
            return False
        return any(r.expiration_time <= now_us for r in self._records.values())

    def add(self, source: int, sequence_number: int, now_us: int) -> Insertion[BttRecord]:
        """Record a new broadcast (or return the live record already there).

        ``Insertion.entry is None`` when the table is full of live records and ``evict_live``
        is off: the broadcast must be dropped.
        """
        if not 0 <= sequence_number <= 0xFF:
            raise LocalProtocolError(f"sequence number {sequence_number} out of range 0-255")
        key = source << 8 | sequence_number
        records = self._records
        r = records.get(key)
        if r is not None:
            if r.expiration_time > now_us:
                return Insertion(r)
            del records[key]
        if now_us >= self._min_exp:  # (before it no record can have expired)
            # so a quiet table holds no dead records (at 10,000 nodes they were 4 KB a node)
            drop_expired_front(records, now_us)
        evicted: BttRecord | None = None
        if len(records) >= self._capacity:
            self.expire(now_us)
            if len(records) >= self._capacity:
                if not self.evict_live:
                    return _REFUSED
                evicted = min(records.values(), key=lambda x: x.expiration_time)
                del records[evicted.source_address << 8 | evicted.sequence_number]
        exp = now_us + self.delivery_time_us
        r = BttRecord(source_address=source, sequence_number=sequence_number, expiration_time=exp)
        if exp < self._min_exp:
            self._min_exp = exp
        records[key] = r
        return Insertion(r, evicted)

    def record_relay(
        self, source: int, sequence_number: int, relayer: int, now_us: int
    ) -> BttRecord | None:
        """Passive ack: ``relayer`` was heard rebroadcasting this broadcast."""
        r = self.get(source, sequence_number, now_us)
        if r is not None:
            r.relayed_by.add(relayer)
        return r

    def record_retry(self, source: int, sequence_number: int, now_us: int) -> int | None:
        """Count one retransmission; returns the retry count (``None``: no live record)."""
        r = self.get(source, sequence_number, now_us)
        if r is None:
            return None
        r.retries += 1
        return r.retries

    def remove(self, source: int, sequence_number: int) -> BttRecord | None:
        return self._records.pop(source << 8 | sequence_number, None)

    def clear(self) -> None:
        self._records.clear()

    def expire(self, now_us: int) -> int:
        """Drop expired records; returns how many."""
        if now_us < self._min_exp:
            return 0
        records = self._records
        gone = [k for k, r in records.items() if r.expiration_time <= now_us]
        for k in gone:
            del records[k]
        self._min_exp = min((r.expiration_time for r in records.values()), default=1 << 62)
        return len(gone)

    def next_expiry(self) -> int | None:
        return min((r.expiration_time for r in self._records.values()), default=None)
