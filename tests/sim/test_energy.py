"""Energy model: charge is exactly the sum of state time x current."""

from __future__ import annotations

import math

import pytest

from zigmesh.phy import RadioState
from zigmesh.sim.energy import CC2652R, CR2032_MAH, RadioCurrents, charge_nc, energy_report
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import Medium, MediumConfig


def test_charge_is_sum_of_state_time_times_current() -> None:
    times = {
        RadioState.SLEEP: 9_000_000,
        RadioState.IDLE: 10_000,
        RadioState.RX: 900_000,
        RadioState.TX: 90_000,
    }
    c = RadioCurrents(sleep_ma=0.001, idle_ma=0.5, rx_ma=6.0, tx_ma=8.0, supply_v=3.3)
    expected = 9_000_000 * 0.001 + 10_000 * 0.5 + 900_000 * 6.0 + 90_000 * 8.0
    assert charge_nc(times, c) == expected
    rep = energy_report(times, c, battery_mah=100.0)
    assert rep.elapsed_us == 10_000_000
    assert rep.charge_nc == expected
    assert rep.charge_c == pytest.approx(expected * 1e-9)
    assert rep.charge_mah == pytest.approx(expected * 1e-9 / 3.6)
    assert rep.energy_j == pytest.approx(expected * 1e-9 * 3.3)
    assert rep.average_current_ma == pytest.approx(expected / 10_000_000)
    # 100 mAh at 0.6129 mA
    assert rep.battery_life_s == pytest.approx(100.0 / (expected / 10_000_000) * 3600.0)
    assert rep.battery_life_days == pytest.approx(rep.battery_life_s / 86400.0)


def test_defaults_are_cc2652r_and_cr2032() -> None:
    assert (CC2652R.rx_ma, CC2652R.tx_ma, CC2652R.sleep_ma, CC2652R.supply_v) == (
        6.9,
        7.3,
        0.00094,
        3.0,
    )
    assert CR2032_MAH == 220.0
    # always asleep: 220 mAh / 0.94 uA = 234,042 h
    rep = energy_report({RadioState.SLEEP: 3_600_000_000})
    assert rep.average_current_ma == pytest.approx(0.00094)
    assert rep.battery_life_s / 3600.0 == pytest.approx(220.0 / 0.00094)
    assert energy_report({}).battery_life_s == math.inf


def test_energy_of_a_simulated_radio() -> None:
    k = Kernel()
    m = Medium(k, config=MediumConfig(shadowing_sigma_db=0.0))
    a = m.add_radio(1, (0.0, 0.0), state=RadioState.SLEEP)
    k.call_at(1_000_000, a.set_state, RadioState.RX)
    k.call_at(1_001_000, a.transmit, bytes(20))  # 832 us TX, then RX
    k.call_at(1_003_000, a.set_state, RadioState.SLEEP)
    k.run(until=2_000_000)
    times = a.state_times()
    assert times == {
        RadioState.SLEEP: 1_000_000 + 997_000,
        RadioState.IDLE: 0,
        RadioState.RX: 1_000 + 1_168,
        RadioState.TX: 832,
    }
    rep = energy_report(times)
    assert rep.charge_nc == 1_997_000 * 0.00094 + 0 * 0.96 + 2_168 * 6.9 + 832 * 7.3
