"""Steady-state energy: the activity split adds up exactly and follows the wake-ups."""

from __future__ import annotations

import math

import pytest

from zigmesh.phy import RadioState
from zigmesh.sim.energy import CC2652R, ActivityMeter, SteadyState, charge_nc

S, IDLE, R, T = RadioState.SLEEP, RadioState.IDLE, RadioState.RX, RadioState.TX


def _t(sleep: int, idle: int, rx: int, tx: int) -> dict[RadioState, int]:
    return {S: sleep, IDLE: idle, R: rx, T: tx}


def test_activity_split_is_exact_and_follows_wake_ups() -> None:
    start = _t(1_000, 0, 0, 0)
    m = ActivityMeter(start)
    # a poll: backoff 1,120 us idle, CCA + turnaround 320 us RX, then the frame on air
    at_poll = _t(7_000_000, 1_120, 320, 0)
    m.frame(at_poll, "polls")
    # its frame (576 us), the ACK wait (544 us RX), sleep; then a report's backoff and CCA
    at_data = _t(9_000_000, 1_120 + 960, 320 + 544 + 320, 576)
    m.frame(at_data, "data")
    end = _t(15_000_000, 2_080, 1_184 + 2_000, 576 + 800)
    m.close(end)
    total = charge_nc({s: end[s] - start[s] for s in RadioState})
    assert sum(m.charge_nc.values()) == pytest.approx(total)
    c = CC2652R
    assert m.charge_nc["polls"] == pytest.approx(
        1_120 * c.idle_ma + 320 * c.rx_ma + 544 * c.rx_ma + 576 * c.tx_ma
    )
    assert m.charge_nc["data"] == pytest.approx(
        960 * c.idle_ma + 320 * c.rx_ma + 2_000 * c.rx_ma + 800 * c.tx_ma
    )
    assert m.charge_nc["sleep"] == pytest.approx((15_000_000 - 1_000) * c.sleep_ma)
    assert m.events == {"polls": 1, "data": 1, "nwk_commands": 0, "joins": 0}


def test_steady_state_figures() -> None:
    times = _t(59_000_000, 100_000, 600_000, 300_000)
    st = SteadyState(5_000_000, 1e6, 60_000_000, times, {"polls": 1.0}, {"polls": 1})
    avg = charge_nc(times) / 60_000_000
    assert st.average_current_ma == pytest.approx(avg)
    assert sum(st.by_state_ua().values()) == pytest.approx(avg * 1000)
    assert st.battery_life_days == pytest.approx(220 / avg / 24)
    empty = SteadyState(0, 0.0, 0, {}, {}, {})
    assert math.isinf(empty.battery_life_days) and empty.by_state_ua() == {}
