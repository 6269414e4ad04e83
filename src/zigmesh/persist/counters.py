"""When to persist outgoing frame counters (Zigbee spec 4.3.1.1; DESIGN.md section 6).

Writing a snapshot for every secured frame would be too costly on a real device (flash wear)
and in a simulation that saves often. Deployed stacks instead use this rule, which zigmesh
follows:

    **Persist every N frames, resume at stored + N so neighbours never see a counter go
    backwards.**

Precisely, with ``N = interval``:

1. After every frame secured with a key, ask :meth:`CounterPersistence.due` with that key's
   *next* outgoing counter (``KeyStore.outgoing_counter(key)``). It is true once the counter
   has reached a multiple of N above the last persisted value. Then save the node snapshot at
   once, before the next frame is secured, and :meth:`~CounterPersistence.mark` the counters
   it holds (:meth:`~CounterPersistence.mark_snapshot` marks them all).
2. On reboot, rebuild the key store with ``KeyStore.restore(snapshot, jump=N)``: every counter
   resumes at stored + N.
3. Save the restored state (and mark it) before securing the first frame after the reboot,
   else a second reboot would resume at the same values again.
4. Save on every key change as well (new network key, switch, new link key): a key whose
   counter was never persisted would restart at 0 after a reboot.

Why it is safe: between two saves the next counter ``c`` stays below the next multiple of N
above the stored value ``s``, which is at most ``s + N``; the save happens when ``c`` reaches
that multiple. So every counter used before a reboot is below ``s + N``, where the restored
counter starts.
"""

from __future__ import annotations

from zigmesh.security.keys import DEFAULT_RESTORE_JUMP, MAX_FRAME_COUNTER, KeyStoreSnapshot

__all__ = ["CounterPersistence"]


def _check_counter(counter: int) -> int:
    if not 0 <= counter <= MAX_FRAME_COUNTER:
        raise ValueError(f"frame counter out of range: {counter}")
    return counter


class CounterPersistence:
    """Tracks the last persisted value of each outgoing frame counter (module docstring).

    Counters are told apart by ``key`` (the key material, as :class:`KeyStore` keeps them);
    ``key=None`` is a single anonymous counter. A counter never marked counts as persisted at 0,
    which is what ``KeyStore.restore`` assumes for a held key missing from the snapshot.
    """

    __slots__ = ("_interval", "_last")

    def __init__(self, interval: int = DEFAULT_RESTORE_JUMP) -> None:
        if interval < 1:
            raise ValueError(f"interval must be at least 1, got {interval}")
        self._interval = interval
        self._last: dict[bytes | None, int] = {}

    @property
    def interval(self) -> int:
        """N: persist every N frames; restore with ``KeyStore.restore(jump=N)`` or more."""
        return self._interval

    def last(self, key: bytes | None = None) -> int:
        """The last persisted value of ``key``'s counter (0 if never marked)."""
        return self._last.get(key, 0)

    def due(self, counter: int, key: bytes | None = None) -> bool:
        """True when ``counter`` (the next value to use) has crossed a multiple of N since the
        last persisted value: the snapshot must be saved before the next frame is secured."""
        n = self._interval
        if not 0 <= counter <= MAX_FRAME_COUNTER:  # (_check_counter, inline: once per frame)
            _check_counter(counter)
        return counter // n > self._last.get(key, 0) // n

    def mark(self, counter: int, key: bytes | None = None) -> None:
        """Record that ``counter`` of ``key`` has been persisted."""
        self._last[key] = _check_counter(counter)

    def due_snapshot(self, keys: KeyStoreSnapshot) -> bool:
        """True if any outgoing counter of ``keys`` is :meth:`due`."""
        return any(self.due(c, k) for k, c in keys.outgoing)

    def mark_snapshot(self, keys: KeyStoreSnapshot) -> None:
        """Record every outgoing counter of ``keys`` as persisted (call after saving it)."""
        for k, c in keys.outgoing:
            self.mark(c, k)
