"""Radio energy model (DESIGN.md section 5): time per state x datasheet current.

Charge is accumulated in nanocoulombs as ``sum(time_us x current_mA)`` (1 mA x 1 us = 1 nC), so
it is exactly the sum of each state's time times its current. Only the radio (and the MCU idle
current while the radio is IDLE) is modelled; MCU processing and wake-up overheads are not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.phy import RadioState

__all__ = [
    "CC2652R",
    "CR2032_MAH",
    "EnergyReport",
    "RadioCurrents",
    "charge_nc",
    "energy_report",
]

#: capacity of a CR2032 coin cell
CR2032_MAH = 220.0


@dataclass(frozen=True, slots=True)
class RadioCurrents:
    """Supply current per radio state (mA) and the supply voltage (V).

    Defaults: TI CC2652R datasheet (RX 6.9 mA, TX 0 dBm 7.3 mA, standby 0.94 uA, idle 0.96 mA
    with supply systems and RAM powered), at 3.0 V.
    """

    sleep_ma: float = 0.00094
    idle_ma: float = 0.96
    rx_ma: float = 6.9
    tx_ma: float = 7.3
    supply_v: float = 3.0

    def current_ma(self, state: RadioState) -> float:
        """Current drawn in ``state``."""
        if state == RadioState.SLEEP:
            return self.sleep_ma
        if state == RadioState.IDLE:
            return self.idle_ma
        if state == RadioState.RX:
            return self.rx_ma
        return self.tx_ma


#: TI CC2652R at 0 dBm (the default).
CC2652R = RadioCurrents()


def charge_nc(times_us: Mapping[RadioState, int], currents: RadioCurrents = CC2652R) -> float:
    """Charge used in nanocoulombs: sum over states of time (us) x current (mA)."""
    total = 0.0
    for state in RadioState:
        total += times_us.get(state, 0) * currents.current_ma(state)
    return total


@dataclass(frozen=True, slots=True)
class EnergyReport:
    """Energy figures for one radio over ``elapsed_us``."""

    elapsed_us: int
    charge_nc: float
    supply_v: float
    battery_mah: float

    @property
    def charge_c(self) -> float:
        """Charge in coulombs."""
        return self.charge_nc * 1e-9

    @property
    def charge_mah(self) -> float:
        """Charge in milliamp-hours (1 mAh = 3.6 C)."""
        return self.charge_nc * 1e-9 / 3.6

    @property
    def average_current_ma(self) -> float:
        """Mean current over the elapsed time (0 when no time elapsed)."""
        return self.charge_nc / self.elapsed_us if self.elapsed_us else 0.0

    @property
    def energy_j(self) -> float:
        """Energy in joules at the supply voltage."""
        return self.charge_nc * 1e-9 * self.supply_v

    @property
    def battery_life_s(self) -> float:
        """Estimated battery life in seconds at the average current (inf when it is 0)."""
        avg = self.average_current_ma
        return self.battery_mah / avg * 3600.0 if avg > 0.0 else math.inf

    @property
    def battery_life_days(self) -> float:
        return self.battery_life_s / 86400.0


def energy_report(
    times_us: Mapping[RadioState, int],
    currents: RadioCurrents = CC2652R,
    battery_mah: float = CR2032_MAH,
) -> EnergyReport:
    """Energy of a radio from its per-state times (e.g. ``Radio.state_times()``)."""
    elapsed = sum(times_us.get(s, 0) for s in RadioState)
    return EnergyReport(elapsed, charge_nc(times_us, currents), currents.supply_v, battery_mah)
