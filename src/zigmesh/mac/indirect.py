"""Indirect transmission: the coordinator's transaction queue (802.15.4-2006 7.5.6.3).

A frame for a device that sleeps is not sent at once: it waits here, keyed by its destination
address, until the device asks for it with a Data Request command (the coordinator's ACK to
that request has Frame Pending set), or until macTransactionPersistenceTime runs out. The
queue is bounded (``capacity``): a full queue makes the request fail with
TRANSACTION_OVERFLOW. Timers and confirms are the MAC's job; this module only keeps order.

Keys: a short address is its own key; an extended address is ``addr | EXT_KEY`` (bit 64), so
the two spaces never collide and the key is one int (no tuple per received frame).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from zigmesh.clock import TimerHandle

__all__ = ["EXT_KEY", "Transaction", "TransactionQueue", "address_key"]

#: added to an extended address to form its key
EXT_KEY = 1 << 64


def address_key(extended: bool, addr: int) -> int:
    """The queue key of a short (``extended`` False) or extended address."""
    return addr | EXT_KEY if extended else addr


class Transaction:
    """One queued frame: its PSDU (FCS included, DSN fixed), what it is for, its expiry."""

    __slots__ = (
        "key",
        "psdu",
        "seq",
        "kind",
        "handle",
        "dst_extended",
        "dst_addr",
        "queued_at",
        "timer",
        "expired",
        "in_flight",
    )

    def __init__(
        self,
        key: int,
        psdu: bytes,
        seq: int,
        kind: int,
        handle: int,
        dst_extended: bool,
        dst_addr: int,
        queued_at: int,
    ) -> None:
        self.key = key
        self.psdu = psdu
        self.seq = seq
        #: what the frame is (the MAC's own codes: data, association response, ...)
        self.kind = kind
        #: msdu handle for data frames
        self.handle = handle
        self.dst_extended = dst_extended
        self.dst_addr = dst_addr
        self.queued_at = queued_at
        self.timer: TimerHandle | None = None
        #: persistence time ran out while the frame was being sent
        self.expired = False
        #: extracted and being sent (not in the queue)
        self.in_flight = False

    def __repr__(self) -> str:
        return (
            f"Transaction(kind={self.kind}, dst={self.dst_addr:#x}, seq={self.seq}, "
            f"queued_at={self.queued_at})"
        )


class TransactionQueue:
    """Pending indirect frames per destination, FIFO per destination, bounded in total."""

    __slots__ = ("capacity", "_by_key", "_count")

    def __init__(self, capacity: int = 16) -> None:
        if capacity < 1:
            raise ValueError("transaction queue capacity must be >= 1")
        self.capacity = capacity
        self._by_key: dict[int, deque[Transaction]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Transaction]:
        for q in self._by_key.values():
            yield from q

    @property
    def full(self) -> bool:
        return self._count >= self.capacity

    def add(self, t: Transaction) -> bool:
        """Append ``t`` behind the frames for the same device; False when the queue is full."""
        if self._count >= self.capacity:
            return False
        q = self._by_key.get(t.key)
        if q is None:
            q = self._by_key[t.key] = deque()
        q.append(t)
        self._count += 1
        return True

    def put_back(self, t: Transaction) -> None:
        """Return a frame whose indirect transmission failed to the head of its device's
        queue (it keeps its DSN, 7.5.6.4.3), even if the queue has filled meanwhile."""
        q = self._by_key.get(t.key)
        if q is None:
            q = self._by_key[t.key] = deque()
        q.appendleft(t)
        self._count += 1

    def has(self, key: int) -> bool:
        """True if a frame waits for the device with this key."""
        return key in self._by_key

    def count(self, key: int) -> int:
        q = self._by_key.get(key)
        return len(q) if q is not None else 0

    def pop(self, key: int) -> Transaction | None:
        """Take the oldest frame for ``key`` (None if there is none)."""
        q = self._by_key.get(key)
        if q is None:
            return None
        t = q.popleft()
        if not q:
            del self._by_key[key]
        self._count -= 1
        return t

    def remove(self, t: Transaction) -> bool:
        """Remove ``t`` if it is queued (expiry, purge); True if it was."""
        q = self._by_key.get(t.key)
        if q is None:
            return False
        try:
            q.remove(t)
        except ValueError:
            return False
        if not q:
            del self._by_key[t.key]
        self._count -= 1
        return True

    def clear(self) -> list[Transaction]:
        """Empty the queue; return what it held."""
        out = list(self)
        self._by_key.clear()
        self._count = 0
        return out
