"""What the NWK tables share: the outcome of adding an entry, and the expiry of entries kept in
the order they expire."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Generic, Protocol, TypeVar

__all__ = ["Insertion", "drop_expired_front"]

T = TypeVar("T")


class _Expiring(Protocol):
    @property
    def expiration_time(self) -> int: ...


_E = TypeVar("_E", bound=_Expiring)


def drop_expired_front(table: dict[int, _E], now_us: int) -> None:
    """Drop the entries at the front of ``table`` whose ``expiration_time`` has come: all the
    expired ones when entries are added in the order they expire (the broadcast transaction and
    route discovery tables: one lifetime for all). A table left empty is cleared, which gives
    its memory back (a dict keeps its size as it empties)."""
    dead = 0
    for e in table.values():
        if e.expiration_time > now_us:
            break
        dead += 1
    if dead == len(table):
        table.clear()
    else:
        for k in list(islice(table, dead)):
            del table[k]


@dataclass(frozen=True, slots=True)
class Insertion(Generic[T]):
    """Outcome of adding to a bounded table: ``entry`` is the stored entry (``None`` when the
    table is full and nothing could be evicted); ``evicted`` the entry dropped to make room."""

    entry: T | None
    evicted: T | None = None

    @property
    def admitted(self) -> bool:
        return self.entry is not None
