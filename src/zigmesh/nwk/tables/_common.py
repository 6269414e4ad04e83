"""What every NWK table returns when asked to take an entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Insertion"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Insertion(Generic[T]):
    """Outcome of adding to a bounded table: ``entry`` is the stored entry (``None`` when the
    table is full and nothing could be evicted); ``evicted`` the entry dropped to make room."""

    entry: T | None
    evicted: T | None = None

    @property
    def admitted(self) -> bool:
        return self.entry is not None
