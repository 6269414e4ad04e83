"""APS duplicate rejection table (Zigbee spec R22 2.2.8.4.3).

Remembers the (source network address, APS counter) of every data and command frame accepted
for ``timeout_us``: a frame seen again within that time is a duplicate (a retransmission whose
APS ACK was lost) and must not be delivered twice; each duplicate seen refreshes the entry's
time (as ZBOSS does), so a sender that keeps retransmitting keeps being recognised. Bounded:
when full, the oldest entry goes. Sizes from ZBOSS (32 entries, 21 s ageing); the sender keeps
its retransmissions within ``ApsConfig.max_retry_span_us`` (13 s) of the first attempt.

The 8-bit APS counter wraps: a busy sender (a coordinator talking to many devices) can reuse a
counter towards us within 21 s. A retransmission never carries a counter *ahead* of the latest
one accepted from its source, so a remembered counter that is ahead of that latest one (modulo
256, by less than half the range) is a new frame, not a duplicate.

Time is passed in; the table never reads a clock. Entries are kept in arrival order (a plain
dict keyed ``source << 8 | counter``: no tuple per entry, half an OrderedDict's memory), so
ageing pops from the front in O(1) amortised.
"""

from __future__ import annotations

from zigmesh.errors import LocalProtocolError

__all__ = ["DuplicateTable"]


def _ahead(counter: int, last: int) -> bool:
    """``counter`` comes after ``last`` in the 8-bit wrapping sequence."""
    return 0 < ((counter - last) & 0xFF) < 0x80


class DuplicateTable:
    """(source, APS counter) pairs seen recently, with ageing."""

    __slots__ = ("_seen", "_last", "_capacity", "timeout_us")

    def __init__(self, capacity: int = 32, timeout_us: int = 21_000_000) -> None:
        if capacity < 1 or timeout_us <= 0:
            raise LocalProtocolError("duplicate table capacity and timeout must be positive")
        self._capacity = capacity
        self.timeout_us = timeout_us
        #: (source << 8 | counter) -> time accepted or last seen again, oldest first
        self._seen: dict[int, int] = {}
        #: latest counter accepted per source (a hint; forgotten in bulk when it grows)
        self._last: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def _age(self, now_us: int) -> None:
        seen = self._seen
        limit = now_us - self.timeout_us
        while seen:
            k, t = next(iter(seen.items()))
            if t > limit:
                break
            del seen[k]

    def contains(self, src: int, counter: int, now_us: int) -> bool:
        """True if (src, counter) is a duplicate now (changes nothing but ageing)."""
        self._age(now_us)
        if (src << 8 | counter) not in self._seen:
            return False
        last = self._last.get(src)
        return last is None or not _ahead(counter, last)

    def ahead(self, src: int, counter: int) -> bool:
        """``counter`` is ahead of the latest one accepted from ``src`` (or none is known)."""
        last = self._last.get(src)
        return last is None or _ahead(counter, last)

    def check_and_add(self, src: int, counter: int, now_us: int) -> bool:
        """True for a duplicate (its entry's time refreshed); otherwise record the frame and
        return False."""
        if self._seen and self.contains(src, counter, now_us):
            seen = self._seen
            key = src << 8 | counter
            del seen[key]  # to the end: seen most recently
            seen[key] = now_us
            return True
        self.add(src, counter, now_us)
        return False

    def add(self, src: int, counter: int, now_us: int) -> None:
        """Record (src, counter) as accepted now."""
        seen = self._seen
        key = src << 8 | counter
        seen.pop(key, None)
        seen[key] = now_us
        if len(seen) > self._capacity:
            del seen[next(iter(seen))]
        lasts = self._last
        last = lasts.get(src)
        if last is None or _ahead(counter, last):
            if last is None and len(lasts) >= 4 * self._capacity:
                lasts.clear()
            lasts[src] = counter

    def clear(self) -> None:
        self._seen.clear()
        self._last.clear()
