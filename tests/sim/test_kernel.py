"""Discrete-event kernel: ordering, cancellation, run(until), node RNG derivation."""

from __future__ import annotations

import gc

import pytest

from zigmesh.clock import Clock
from zigmesh.errors import LocalProtocolError
from zigmesh.sim.kernel import RUN_GC_THRESHOLDS, Kernel, node_rng


def test_implements_clock_protocol() -> None:
    clock: Clock = Kernel()
    assert clock.now() == 0


def test_events_run_in_time_order_and_fifo_for_equal_times() -> None:
    k = Kernel()
    log: list[tuple[int, str]] = []
    k.call_at(500, lambda: log.append((k.now(), "c")))
    k.call_at(100, lambda: log.append((k.now(), "a1")))
    k.call_at(100, lambda: log.append((k.now(), "a2")))
    k.call_later(300, lambda: log.append((k.now(), "b")))
    k.call_at(100, lambda: log.append((k.now(), "a3")))
    assert k.run() == 5
    assert log == [(100, "a1"), (100, "a2"), (100, "a3"), (300, "b"), (500, "c")]
    assert k.now() == 500  # run to idle stops at the last event


def test_callback_scheduling_at_the_same_time_runs_after_already_due_ones() -> None:
    k = Kernel()
    log: list[str] = []

    def first() -> None:
        log.append("first")
        k.call_later(0, log.append, "nested")

    k.call_at(200, first)
    k.call_at(200, log.append, "second")
    k.run()
    assert log == ["first", "second", "nested"]


def test_args_are_passed() -> None:
    k = Kernel()
    got: list[tuple[int, str]] = []
    k.call_at(7, lambda a, b: got.append((a, b)), 1, "x")
    k.run()
    assert got == [(1, "x")]


def test_cancel() -> None:
    k = Kernel()
    log: list[int] = []
    h1 = k.call_at(100, log.append, 1)
    h2 = k.call_at(200, log.append, 2)
    k.call_at(300, log.append, 3)
    assert h2.active
    h2.cancel()
    h2.cancel()  # idempotent
    assert not h2.active
    assert k.run() == 2
    assert log == [1, 3]
    assert not h1.active  # ran
    h1.cancel()  # cancelling a timer that already ran is a no-op


def test_cancel_from_inside_a_callback_at_the_same_time() -> None:
    k = Kernel()
    log: list[str] = []
    later = k.call_at(1000, log.append, "never")
    k.call_at(1000, later.cancel)  # scheduled after `later`: too late, it runs first
    h = k.call_at(2000, log.append, "cancelled")
    k.call_at(1500, h.cancel)
    k.run()
    assert log == ["never"]


def test_run_until() -> None:
    k = Kernel()
    log: list[int] = []
    for t in (100, 250, 250, 400, 1000):
        k.call_at(t, log.append, t)
    assert k.run(until=250) == 3  # events at exactly `until` run
    assert log == [100, 250, 250]
    assert k.now() == 250
    assert k.run(until=999) == 1
    assert k.now() == 999  # the clock advances to `until` even without an event there
    assert k.next_time() == 1000
    k.call_later(1, log.append, 1000)  # at 1000, after the one already there
    assert k.run(until=5000) == 2
    assert log == [100, 250, 250, 400, 1000, 1000]
    assert k.now() == 5000
    assert k.next_time() is None
    assert k.events_run == 6


def test_next_time_skips_cancelled() -> None:
    k = Kernel()
    k.call_at(10, lambda: None).cancel()
    k.call_at(20, lambda: None)
    assert k.next_time() == 20


def test_past_and_negative_are_rejected() -> None:
    k = Kernel(start_us=1000)
    with pytest.raises(LocalProtocolError):
        k.call_at(999, lambda: None)
    with pytest.raises(LocalProtocolError):
        k.call_later(-1, lambda: None)
    with pytest.raises(LocalProtocolError):
        k.run(until=500)
    k.call_at(1000, lambda: None)  # now is fine
    assert k.run() == 1


def test_stop() -> None:
    k = Kernel()
    log: list[int] = []
    k.call_at(10, log.append, 10)
    k.call_at(20, k.stop)
    k.call_at(30, log.append, 30)
    assert k.run(until=100) == 2
    assert k.now() == 20
    assert log == [10]
    k.run(until=100)
    assert log == [10, 30]
    assert k.now() == 100


def test_exception_in_callback_propagates_and_kernel_stays_usable() -> None:
    k = Kernel()

    def boom() -> None:
        raise RuntimeError("boom")

    k.call_at(5, boom)
    k.call_at(6, lambda: None)
    with pytest.raises(RuntimeError):
        k.run()
    assert k.now() == 5
    assert k.events_run == 1
    assert k.run() == 1


def test_node_rng_is_deterministic_and_independent() -> None:
    a1 = node_rng(42, 0x00124B0001020304)
    a2 = node_rng(42, 0x00124B0001020304)
    assert [a1.random() for _ in range(5)] == [a2.random() for _ in range(5)]
    seqs = {
        tuple(node_rng(seed, eui).getrandbits(64) for _ in range(3))
        for seed, eui in ((42, 1), (42, 2), (43, 1), (0, 0), (-1, 0))
    }
    assert len(seqs) == 5
    # pinned: derivation must not change between versions (scenario reproducibility)
    assert node_rng(1, 0x00124B0001020304).getrandbits(32) == 4089558516


def test_call_at_early_runs_before_ordinary_callbacks_at_the_same_time() -> None:
    k = Kernel()
    log: list[str] = []
    k.call_at(100, log.append, "normal1")
    k.call_at_early(100, log.append, "early1")
    k.call_at(100, log.append, "normal2")
    k.call_at_early(100, log.append, "early2")
    k.call_at_early(50, log.append, "early-at-50")
    k.run()
    assert log == ["early-at-50", "early1", "early2", "normal1", "normal2"]


def test_run_raises_the_collector_thresholds_and_restores_them() -> None:
    k = Kernel()
    seen: list[tuple[int, ...]] = []
    k.call_later(5, lambda: seen.append(gc.get_threshold()))
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        k.run(10)
        assert seen == [RUN_GC_THRESHOLDS]
        assert gc.get_threshold() == (700, 10, 10)

        def boom() -> None:
            raise RuntimeError("callback failed")

        k.call_later(5, boom)
        with pytest.raises(RuntimeError):
            k.run(20)
        assert gc.get_threshold() == (700, 10, 10)  # restored when a callback raises too
        # a host's higher threshold is kept
        high = (RUN_GC_THRESHOLDS[0] * 2, 10, RUN_GC_THRESHOLDS[2] * 3)
        gc.set_threshold(*high)
        k.call_later(5, lambda: seen.append(gc.get_threshold()))
        k.run(30)
        assert seen[-1] == (high[0], RUN_GC_THRESHOLDS[1], high[2])
        assert gc.get_threshold() == high
    finally:
        gc.set_threshold(*before)
