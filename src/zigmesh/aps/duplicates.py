"""APS duplicate rejection table (Zigbee spec R22 2.2.8.4.3).

Remembers the (source network address, APS counter) of every data and command frame accepted
for ``timeout_us``: a frame seen again within that time is a duplicate (a retransmission whose
APS ACK was lost) and must not be delivered twice; each duplicate seen refreshes the entry's
time (as ZBOSS does), so a sender that keeps retransmitting keeps being recognised. Bounded:
when full, the oldest entry goes. Sizes from ZBOSS (32 entries, 21 s ageing); the sender keeps
its retransmissions within ``ApsConfig.max_retry_span_us`` (13 s) of the first attempt.

A duplicate is the same frame again: each entry keeps the frame's content (its APS payload
and addressing, ``fingerprint``), and a frame with a remembered (source, counter) but other
content is a new frame. A retransmission is the same frame (re-sealed under APS security, same
plaintext); a frame forged by a network key holder under a device's address and counter is
not, and before it made that device's own frame with the counter a "duplicate" for 21 s
(acknowledged, never delivered: issue 9's hostile campaign lost commands to a light that way).

The 8-bit APS counter wraps: a busy sender (a coordinator talking to many devices) can reuse a
counter towards us within 21 s. A retransmission never carries a counter *ahead* of the latest
one accepted from its source, so a remembered counter that is ahead of that latest one (modulo
256, by less than half the range) is a new frame, not a duplicate.

Time is passed in; the table never reads a clock. Entries are kept in arrival order (a plain
dict keyed ``source << 8 | counter``: no tuple per entry, half an OrderedDict's memory), so
ageing pops from the front in O(1) amortised. Ageing runs at every lookup and at
:meth:`DuplicateTable.age`: the owner is told when the table stops being empty
(``on_occupied``) and ages it at :meth:`DuplicateTable.expiry` (issue 11: the device
announcements of a network's formation filled every router's table, and with no APS frame
after them the stale entries stayed for the rest of the run, ~6 KB a router).
"""

from __future__ import annotations

from collections.abc import Callable

from zigmesh.errors import LocalProtocolError

__all__ = ["DuplicateTable"]


#: the tables are built afresh after this many insertions (:meth:`DuplicateTable._compact`): a
#: fresh dict of 32 entries has room for 42, so 10 more do not make it grow
_COMPACT_EVERY = 10


def _ahead(counter: int, last: int) -> bool:
    """``counter`` comes after ``last`` in the 8-bit wrapping sequence."""
    return 0 < ((counter - last) & 0xFF) < 0x80


class DuplicateTable:
    """(source, APS counter) pairs seen recently, with ageing."""

    __slots__ = ("_seen", "_fp", "_last", "_capacity", "timeout_us", "_on_occupied", "_writes")

    def __init__(
        self,
        capacity: int = 32,
        timeout_us: int = 21_000_000,
        on_occupied: Callable[[], None] | None = None,
    ) -> None:
        if capacity < 1 or timeout_us <= 0:
            raise LocalProtocolError("duplicate table capacity and timeout must be positive")
        self._capacity = capacity
        self.timeout_us = timeout_us
        #: (source << 8 | counter) -> time accepted or last seen again, oldest first
        self._seen: dict[int, int] = {}
        #: (source << 8 | counter) -> the frame's fingerprint (absent: any frame matches)
        self._fp: dict[int, bytes] = {}
        #: latest counter accepted per source with an entry (it judges remembered frames only:
        #: a source's goes with its last entry, found by a scan of the at most ``capacity``
        #: keys: a count per source was a third dict, 1.5 KB a router at a formation's peak)
        self._last: dict[int, int] = {}
        #: insertions since the tables were last built afresh (:meth:`_compact`)
        self._writes = 0
        #: called when an entry goes into the empty table
        self._on_occupied = on_occupied

    def __len__(self) -> int:
        return len(self._seen)

    def expiry(self) -> int | None:
        """When the oldest entry ages out (None: the table is empty)."""
        seen = self._seen
        return next(iter(seen.values())) + self.timeout_us if seen else None

    def age(self, now_us: int) -> None:
        """Forget the entries older than ``timeout_us`` (all gone: the memory too)."""
        seen = self._seen
        if not seen:
            return
        limit = now_us - self.timeout_us
        if next(reversed(seen.values())) <= limit:
            # (times ascend in the table's order: the newest aged out, so did all)
            self.clear()
            return
        while seen:
            k, t = next(iter(seen.items()))
            if t > limit:
                return
            self._drop(k)
        # all aged out: ``clear`` gives back the tables' memory (a dict keeps its size as it
        # empties; most routers of a large network receive a frame of their own rarely)
        self.clear()

    def _drop(self, key: int) -> None:
        """Forget one entry (and its source's latest counter with the source's last entry)."""
        seen = self._seen
        del seen[key]
        self._fp.pop(key, None)
        lo = key & ~0xFF
        hi = lo | 0xFF
        for k in seen:
            if lo <= k <= hi:
                return
        self._last.pop(key >> 8, None)

    def contains(
        self, src: int, counter: int, now_us: int, fingerprint: bytes | None = None
    ) -> bool:
        """True if (src, counter) is a duplicate now, with the same ``fingerprint`` as the
        frame remembered when both have one (changes nothing but ageing)."""
        self.age(now_us)
        key = src << 8 | counter
        if key not in self._seen:
            return False
        if fingerprint is not None:
            fp = self._fp.get(key)
            if fp is not None and fp != fingerprint:
                return False
        last = self._last.get(src)
        return last is None or not _ahead(counter, last)

    def ahead(self, src: int, counter: int) -> bool:
        """``counter`` is ahead of the latest one accepted from ``src`` (or none is known)."""
        last = self._last.get(src)
        return last is None or _ahead(counter, last)

    def check_and_add(
        self, src: int, counter: int, now_us: int, fingerprint: bytes | None = None
    ) -> bool:
        """True for a duplicate (its entry's time refreshed); otherwise record the frame and
        return False."""
        if self._seen and self.contains(src, counter, now_us, fingerprint):
            seen = self._seen
            key = src << 8 | counter
            del seen[key]  # to the end: seen most recently
            seen[key] = now_us
            self._wrote()
            return True
        self.add(src, counter, now_us, fingerprint)
        return False

    def add(self, src: int, counter: int, now_us: int, fingerprint: bytes | None = None) -> None:
        """Record (src, counter) as accepted now (with the frame's ``fingerprint``)."""
        seen = self._seen
        fps = self._fp
        key = src << 8 | counter
        if not seen and self._on_occupied is not None:
            self._on_occupied()
        seen.pop(key, None)
        seen[key] = now_us
        if fingerprint is None:
            fps.pop(key, None)
        else:
            fps[key] = fingerprint
        lasts = self._last
        last = lasts.get(src)
        if last is None or _ahead(counter, last):
            lasts[src] = counter
        if len(seen) > self._capacity:
            self._drop(next(iter(seen)))
        self._wrote()

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes >= _COMPACT_EVERY:
            self._compact()

    def _compact(self) -> None:
        """Build the tables afresh (same entries, same order). A dict keeps the slots of the
        entries it lost until it must grow, and then grows to three times its entries: a full
        table that entries keep passing through (a formation's device announcements) sat in
        2.3 KB dicts instead of 1.2 KB. Every :data:`_COMPACT_EVERY` insertions, before a
        fresh dict of 32 entries has to grow."""
        self._writes = 0
        self._seen = dict(self._seen)
        self._fp = dict(self._fp)
        self._last = dict(self._last)

    def clear(self) -> None:
        self._seen.clear()
        self._fp.clear()
        self._last.clear()
