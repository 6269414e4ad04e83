"""Battery life from the steady state (issue 12): a sleepy device polling every T seconds lands
within 5 % of the hand calculation with the model's currents and airtimes, and the estimate
does not depend on how long the run was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zigmesh.mac.pib import A_TURNAROUND_TIME_US, A_UNIT_BACKOFF_PERIOD_US, CCA_DURATION_US
from zigmesh.phy import BYTE_US, SHR_PHR_BYTES
from zigmesh.scenario.config import parse_scenario
from zigmesh.scenario.runner import run_scenario
from zigmesh.sim.energy import CC2652R

#: a Data Request with short source and destination, PAN ID compressed: frame control 2,
#: sequence 1, destination PAN 2, destination 2, source 2, command id 1, FCS 2
DATA_REQUEST_PSDU = 12
ACK_PSDU = 5
MIN_BE = 3


def hand_current_ua(poll_s: float) -> float:
    """Sleep current plus one poll's charge per period: CSMA-CA backoff (mean of 0..2^BE-1
    unit periods) in IDLE, CCA + turnaround in RX, the Data Request on air, then RX through
    the coordinator's turnaround and its ACK; no frame pending, back to sleep."""
    c = CC2652R
    idle_us = (2**MIN_BE - 1) / 2 * A_UNIT_BACKOFF_PERIOD_US
    rx_us = CCA_DURATION_US + A_TURNAROUND_TIME_US + A_TURNAROUND_TIME_US
    rx_us += (SHR_PHR_BYTES + ACK_PSDU) * BYTE_US
    tx_us = (SHR_PHR_BYTES + DATA_REQUEST_PSDU) * BYTE_US
    poll_nc = idle_us * c.idle_ma + rx_us * c.rx_ma + tx_us * c.tx_ma
    return float(c.sleep_ma * 1000.0 + poll_nc / (poll_s * 1e6) * 1000.0)


def two_nodes(
    duration: str, poll: str, traffic: bool = False, security: bool = True
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "seed": 3,
        "duration": duration,
        "channel": 15,
        "security": security,
        "nodes": [
            {"role": "coordinator", "name": "hub", "position": [0, 0]},
            {"role": "end_device", "name": "s", "position": [5, 0], "poll_interval": poll},
        ],
    }
    if traffic:
        spec["traffic"] = [{"from": "s", "to": "hub", "every": "60s", "size": 12}]
    return spec


def battery(tmp_path: Path, spec: dict[str, Any]) -> dict[str, Any]:
    res = run_scenario(parse_scenario(spec), tmp_path, progress=False, plot=False, report=False)
    (row,) = res.summary["energy"]
    assert row["name"] == "s" and row["battery_life_basis"] == "steady state"
    return dict(row)


@pytest.mark.parametrize("poll_s", [7.5, 60.0, 300.0])
def test_steady_current_matches_hand_calculation(tmp_path: Path, poll_s: float) -> None:
    # unsecured: after joining, the device does nothing but poll (no key exchange to finish)
    row = battery(tmp_path, two_nodes("10m", f"{poll_s}s", security=False))
    st = row["steady"]
    expected = hand_current_ua(poll_s)
    assert st["average_current_ua"] == pytest.approx(expected, rel=0.05)
    # the one-off start-up is reported apart, not averaged in
    assert row["startup"]["charge_mah"] > 0 and 0 < st["from_s"] < 60
    # battery life follows from the steady current alone
    assert row["battery_life_days"] == pytest.approx(
        220.0 / (st["average_current_ua"] / 1000.0) / 24.0, rel=1e-4
    )
    # the breakdowns both add up to the steady current; this device only polls
    assert sum(st["by_state_ua"].values()) == pytest.approx(st["average_current_ua"], rel=1e-4)
    assert sum(st["by_activity_ua"].values()) == pytest.approx(st["average_current_ua"], rel=1e-4)
    assert st["events"]["polls"] == pytest.approx(st["duration_s"] / poll_s, abs=1.01)
    assert st["events"]["data"] == st["events"]["joins"] == 0


@pytest.mark.parametrize("poll_s", [7.5, 60.0, 300.0])
def test_estimate_does_not_depend_on_run_length(tmp_path: Path, poll_s: float) -> None:
    short = battery(tmp_path / "a", two_nodes("10m", f"{poll_s}s", traffic=True))
    long = battery(tmp_path / "b", two_nodes("1h", f"{poll_s}s", traffic=True))
    assert short["battery_life_days"] == pytest.approx(long["battery_life_days"], rel=0.05)
    # reports cost charge of their own
    assert long["steady"]["events"]["data"] >= 50
    assert long["steady"]["by_activity_ua"]["data"] > 0
    # the whole-run average (start-up included) is what used to move with the run length
    assert short["average_current_ma"] > long["average_current_ma"]
