"""Bare kernel throughput: scheduled-and-executed callbacks per wall second.

Patterns:
1. steady state: ``chains`` callbacks each rescheduling itself (``call_later``) with its own
   delay, so the heap holds ``chains`` entries, as in a simulation; the callback does nothing
   else, so the figure is the kernel's own cost (schedule + heap + dispatch);
2. the same with one extra timer per event that is cancelled again (MAC ACK-wait pattern);
3. batches of 10,000 ``call_at`` followed by ``run()``.

Usage: ``python bench/kernel.py [n_events]`` (default 300,000; a plain heapq loop with the same
callback does about 1.4 M/s on the 2-core development machine).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from zigmesh.sim.kernel import Kernel


def steady(n_events: int, chains: int = 1000) -> float:
    k = Kernel()
    call_later = k.call_later

    def tick(d: int) -> None:
        call_later(d, tick, d)

    for i in range(chains):
        call_later(i, tick, 1000 + (i * 37) % 1000)
    # mean delay 1500 us: n_events events take about n_events * 1500 / chains us
    t0 = time.perf_counter()
    ran = k.run(until=n_events * 1500 // chains)
    return ran / (time.perf_counter() - t0)


def steady_with_cancel(n_events: int, chains: int = 1000) -> float:
    k = Kernel()
    call_later = k.call_later

    def noop() -> None:
        pass

    def tick(d: int) -> None:
        call_later(864, noop).cancel()
        call_later(d, tick, d)

    for i in range(chains):
        call_later(i, tick, 1000 + (i * 37) % 1000)
    t0 = time.perf_counter()
    ran = k.run(until=n_events * 1500 // chains)
    return ran / (time.perf_counter() - t0)


def batch(n_events: int, size: int = 10_000) -> float:
    k = Kernel()

    def noop() -> None:
        pass

    call_at = k.call_at
    ran = 0
    t0 = time.perf_counter()
    for _ in range(max(1, n_events // size)):
        base = k.now()
        for i in range(size):
            call_at(base + (i * 7919) % 100_000, noop)
        ran += k.run()
    return ran / (time.perf_counter() - t0)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    cases: list[tuple[str, Callable[[int], float]]] = [
        ("steady state, 1000 pending", steady),
        ("steady + 1 cancelled timer/event", steady_with_cancel),
        ("batches of 10,000 then run()", batch),
    ]
    print(f"{'pattern':<36}{'callbacks/s':>14}")
    for name, fn in cases:
        print(f"{name:<36}{fn(n):>14,.0f}")


if __name__ == "__main__":
    main()
