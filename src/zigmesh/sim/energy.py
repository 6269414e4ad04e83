"""Radio energy model (DESIGN.md section 5): time per state x datasheet current.

Charge is accumulated in nanocoulombs as ``sum(time_us x current_mA)`` (1 mA x 1 us = 1 nC), so
it is exactly the sum of each state's time times its current. Only the radio (and the MCU idle
current while the radio is IDLE) is modelled; MCU processing and wake-up overheads are not.

Battery life is estimated from the *steady state* (:class:`SteadyState`): the charge between a
start instant after the device joined and the end of the run, so the one-off start-up (scan,
association, key exchange) is reported on its own and not averaged in as if it repeated.
:class:`ActivityMeter` splits the awake charge of that window by what the radio was doing
(polls, data, NWK commands, joins and rejoins), attributing each wake-up to the frame it sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.phy import RadioState

__all__ = [
    "ACTIVITIES",
    "CC2652R",
    "CR2032_MAH",
    "ActivityMeter",
    "EnergyReport",
    "RadioCurrents",
    "SteadyState",
    "charge_nc",
    "energy_report",
    "state_charge_nc",
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


def state_charge_nc(
    times_us: Mapping[RadioState, int], currents: RadioCurrents = CC2652R
) -> dict[RadioState, float]:
    """Charge per state in nanocoulombs (sums to :func:`charge_nc`)."""
    return {s: times_us.get(s, 0) * currents.current_ma(s) for s in RadioState}


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


#: what a sleepy device's awake charge is spent on (plus ``sleep``, the charge while asleep)
ACTIVITIES = ("polls", "data", "nwk_commands", "joins")
#: radio time before a frame that belongs to that frame's attempt: CCA (128 us) + turnaround
_HEAD_RX_US = 128 + 192


class ActivityMeter:
    """Splits one radio's awake charge by activity, from per-state time snapshots taken when the
    radio starts each frame it sends (:meth:`frame`).

    The IDLE time since the previous frame (CSMA-CA backoffs) and the last CCA + turnaround in
    RX belong to the new frame; the rest of the RX and TX time (the previous frame on air, its
    ACK wait, data received after a poll) to the previous one. Sleep is counted apart. Totals
    are exact; the split is an attribution, not a measurement.
    """

    __slots__ = ("currents", "charge_nc", "events", "_last", "_cls")

    def __init__(self, times_us: Mapping[RadioState, int], currents: RadioCurrents = CC2652R):
        self.currents = currents
        self.charge_nc: dict[str, float] = {a: 0.0 for a in ACTIVITIES}
        self.charge_nc["sleep"] = 0.0
        self.events: dict[str, int] = {a: 0 for a in ACTIVITIES}
        self._last = dict(times_us)
        self._cls: str | None = None

    def frame(self, times_us: Mapping[RadioState, int], activity: str) -> None:
        """The radio starts sending a frame of ``activity`` (one of :data:`ACTIVITIES`)."""
        self.events[activity] += 1
        self._account(times_us, activity)
        self._cls = activity

    def close(self, times_us: Mapping[RadioState, int]) -> None:
        """End of the window: the charge since the last frame goes to that frame."""
        self._account(times_us, None)

    def _account(self, times_us: Mapping[RadioState, int], new: str | None) -> None:
        c = self.currents
        last = self._last
        d = {s: times_us.get(s, 0) - last.get(s, 0) for s in RadioState}
        self._last = dict(times_us)
        prev = self._cls if self._cls is not None else new
        head_rx = min(d[RadioState.RX], _HEAD_RX_US) if new is not None else 0
        q = self.charge_nc
        q["sleep"] += d[RadioState.SLEEP] * c.sleep_ma
        tail = (d[RadioState.RX] - head_rx) * c.rx_ma + d[RadioState.TX] * c.tx_ma
        head = d[RadioState.IDLE] * c.idle_ma + head_rx * c.rx_ma
        if new is None:
            # closing: everything awake goes to the last frame's activity
            q[prev if prev is not None else "data"] += tail + head
            return
        q[new] += head
        q[prev if prev is not None else new] += tail


@dataclass(frozen=True, slots=True)
class SteadyState:
    """A battery device's energy figures with the start-up kept apart.

    ``startup_us`` / ``startup_nc``: from power-on to the start of the steady window (scan,
    join, authentication, first polls); ``window_us`` / ``times_us``: the steady window's
    length and time per state; ``activity_nc`` / ``events``: the window's charge by activity
    (:class:`ActivityMeter`, ``sleep`` included) and the frames that started each activity.
    """

    startup_us: int
    startup_nc: float
    window_us: int
    times_us: Mapping[RadioState, int]
    activity_nc: Mapping[str, float]
    events: Mapping[str, int]
    currents: RadioCurrents = CC2652R
    battery_mah: float = CR2032_MAH

    @property
    def charge_nc(self) -> float:
        """Charge used in the steady window."""
        return charge_nc(self.times_us, self.currents)

    @property
    def average_current_ma(self) -> float:
        """Mean current over the steady window (0 for an empty window)."""
        return self.charge_nc / self.window_us if self.window_us else 0.0

    @property
    def battery_life_days(self) -> float:
        """Battery life at the steady-state current (inf when it is 0)."""
        avg = self.average_current_ma
        return self.battery_mah / avg / 24.0 if avg > 0.0 else math.inf

    def by_state_ua(self) -> dict[str, float]:
        """Each radio state's share of the average current, in microamps."""
        if not self.window_us:
            return {}
        q = state_charge_nc(self.times_us, self.currents)
        return {s.name.lower(): q[s] / self.window_us * 1000.0 for s in _STATE_ORDER}

    def by_activity_ua(self) -> dict[str, float]:
        """Each activity's share of the average current, in microamps."""
        if not self.window_us:
            return {}
        return {k: v / self.window_us * 1000.0 for k, v in self.activity_nc.items()}


_STATE_ORDER = (RadioState.TX, RadioState.RX, RadioState.IDLE, RadioState.SLEEP)
