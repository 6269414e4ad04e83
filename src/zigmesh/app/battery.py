"""Battery attributes from the simulator's energy model.

``PowerConfiguration(used_mah=radio_charge_mah(world.radios["sensor"]), capacity_mah=220)``
makes a device's BatteryPercentageRemaining and BatteryVoltage follow the charge its radio has
drawn (time per radio state x datasheet current, :mod:`zigmesh.sim.energy`).
"""

from __future__ import annotations

from collections.abc import Callable

from zigmesh.sim.energy import CC2652R, RadioCurrents, charge_nc
from zigmesh.sim.medium import Radio

__all__ = ["radio_charge_mah"]

_NC_PER_MAH = 3.6e9  # 1 mAh = 3.6 C


def radio_charge_mah(radio: Radio, currents: RadioCurrents = CC2652R) -> Callable[[], float]:
    """A meter: the charge ``radio`` has drawn so far, in mAh."""

    def used() -> float:
        return charge_nc(radio.state_times(), currents) / _NC_PER_MAH

    return used
