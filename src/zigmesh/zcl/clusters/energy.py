"""Energy: Metering (0x0702, Smart Energy / ZCL 10.4) and Electrical Measurement (0x0B04,
ZCL 4.9).

Ids and types follow the specifications and Wireshark's ``packet-zbee-zcl-se.c`` /
``packet-zbee-zcl-meas-sensing.c``.

Behaviour (a smart plug's meter), all in the node's virtual time:

* :class:`ElectricalMeasurement` models the load behind the plug's relay: ``load_w`` while the
  endpoint's On/Off is on (or when there is no On/Off), ``standby_w`` while it is off, at
  ``voltage_v`` and ``power_factor``. ActivePower, ApparentPower, RMSVoltage, RMSCurrent and
  PowerFactor follow every change of the relay or of the load (:meth:`set_load`), each
  expressed with the cluster's own multiplier / divisor attributes (value x multiplier /
  divisor = V, A, W), rounded and clamped to the attribute's type. An application that sets
  ActivePower itself while the relay is on sets the load (the scenario's ``random_walk``).
* :class:`Metering` integrates the power over virtual time: CurrentSummationDelivered is the
  energy since the start (plus any summation it started with) and InstantaneousDemand the
  power now, both in kW / kWh (UnitOfMeasure 0) scaled by Multiplier / Divisor (defaults
  1 / 1000: Wh and W, SummationFormatting 5 digits left and 3 right of the point). The power
  comes from an explicit callable, else the Electrical Measurement of the same endpoint, else
  its own ``load_w`` / ``standby_w`` by the On/Off state. The energy is exact integer
  arithmetic (mW x us); the summation is brought up to date on every change of power, every
  ``update_s`` seconds and before every read or report, so reporting (on change, max interval)
  works as for any attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import ServerCluster
from zigmesh.zcl.clusters.control import ON_OFF, OnOff
from zigmesh.zcl.definitions import Access, AttributeDef, ClusterDef, type_bounds
from zigmesh.zcl.types import DataType, ZclValue

__all__ = ["METERING", "ELECTRICAL_MEASUREMENT", "Metering", "ElectricalMeasurement", "scaled"]

T = DataType
A = Access
S = 1_000_000
#: mW x us in one kWh
_MW_US_PER_KWH = 1_000 * 1_000 * 3_600 * S

METERING = ClusterDef(
    0x0702,
    "metering",
    (
        AttributeDef(0x0000, "current_summation_delivered", T.UINT48, A.RP),
        AttributeDef(0x0200, "status", T.MAP8, A.RP),
        AttributeDef(0x0300, "unit_of_measure", T.ENUM8),  # 0: kW / kWh
        AttributeDef(0x0301, "multiplier", T.UINT24, default=1),
        AttributeDef(0x0302, "divisor", T.UINT24, default=1000),
        AttributeDef(0x0303, "summation_formatting", T.MAP8, default=0x2B),
        AttributeDef(0x0304, "demand_formatting", T.MAP8, default=0x28),
        AttributeDef(0x0306, "metering_device_type", T.MAP8),
        AttributeDef(0x0400, "instantaneous_demand", T.INT24, A.RP),
    ),
)

ELECTRICAL_MEASUREMENT = ClusterDef(
    0x0B04,
    "electrical_measurement",
    (
        # active measurement (AC) + phase A measurement
        AttributeDef(0x0000, "measurement_type", T.MAP32, default=0x00000009),
        AttributeDef(0x0505, "rms_voltage", T.UINT16, A.RP, 230),
        AttributeDef(0x0508, "rms_current", T.UINT16, A.RP),
        AttributeDef(0x050B, "active_power", T.INT16, A.RP),
        AttributeDef(0x050F, "apparent_power", T.UINT16, A.RP),
        AttributeDef(0x0510, "power_factor", T.INT8, A.RP, 100),
        AttributeDef(0x0600, "ac_voltage_multiplier", T.UINT16, default=1),
        AttributeDef(0x0601, "ac_voltage_divisor", T.UINT16, default=1),
        AttributeDef(0x0602, "ac_current_multiplier", T.UINT16, default=1),
        AttributeDef(0x0603, "ac_current_divisor", T.UINT16, default=1000),
        AttributeDef(0x0604, "ac_power_multiplier", T.UINT16, default=1),
        AttributeDef(0x0605, "ac_power_divisor", T.UINT16, default=1),
    ),
)


def scaled(a: AttributeDef, amount: float, multiplier: int, divisor: int) -> int:
    """The value of attribute ``a`` that shows ``amount`` (V, A, W...) when multiplied by
    ``multiplier`` and divided by ``divisor`` (0 read as 1), rounded, clamped to its type."""
    v = round(amount * max(1, divisor) / max(1, multiplier))
    bounds = type_bounds(a.type)
    if bounds is not None:
        lo, hi = bounds
        v = max(lo, min(hi, v))
    return v


def _relay_on(cluster: ServerCluster) -> bool:
    oo = cluster.endpoint.server(ON_OFF.id)
    return not isinstance(oo, OnOff) or oo.is_on


class ElectricalMeasurement(ServerCluster):
    """Electrical Measurement server of a load behind a relay (module docstring)."""

    DEFINITION = ELECTRICAL_MEASUREMENT

    def __init__(
        self,
        load_w: float = 60.0,
        standby_w: float = 1.0,
        voltage_v: float = 230.0,
        power_factor: float = 1.0,
        values: Mapping[str, ZclValue] | None = None,
    ) -> None:
        super().__init__(None, values)
        self.load_w = load_w
        self.standby_w = standby_w
        self.voltage_v = voltage_v
        self.power_factor_value = max(0.01, min(1.0, power_factor))
        self._updating = False

    def attached(self) -> None:
        oo = self.endpoint.server(ON_OFF.id)
        if isinstance(oo, OnOff):
            oo.watch(self._relay_changed)
        self.watch(self._own_changed)
        self.update()

    @property
    def relay_on(self) -> bool:
        return _relay_on(self)

    def power_w(self) -> float:
        """The active power drawn now (W)."""
        return self.load_w if self.relay_on else self.standby_w

    def set_load(self, watts: float) -> None:
        """The appliance behind the relay now draws ``watts`` while on."""
        self.load_w = max(0.0, watts)
        self.update()

    def _relay_changed(self, a: AttributeDef, value: ZclValue) -> None:
        if a.id == 0x0000:
            self.update()

    def _own_changed(self, a: AttributeDef, value: ZclValue) -> None:
        if self._updating:
            return
        if a.name == "active_power" and isinstance(value, int) and self.relay_on:
            mult = self.int_value("ac_power_multiplier")
            div = max(1, self.int_value("ac_power_divisor"))
            self.load_w = max(0.0, value * max(1, mult) / div)
        self.update()

    def update(self) -> None:
        """Set the measurement attributes from the load model, then update the meter of the
        same endpoint (it integrates up to now at the power it had)."""
        p = self.power_w()
        pf = self.power_factor_value
        v = self.voltage_v
        s = p / pf
        i = s / v if v > 0 else 0.0
        d = self.definition
        iv = self.int_value
        self._updating = True
        try:
            for name, amount, kind in (
                ("rms_voltage", v, "voltage"),
                ("rms_current", i, "current"),
                ("active_power", p, "power"),
                ("apparent_power", s, "power"),
            ):
                a = d.resolve(name)
                self.set(
                    a, scaled(a, amount, iv(f"ac_{kind}_multiplier"), iv(f"ac_{kind}_divisor"))
                )
            self.set("power_factor", round(pf * 100))
        finally:
            self._updating = False
        meter = self.endpoint.server(METERING.id)
        if isinstance(meter, Metering):
            meter.update()


class Metering(ServerCluster):
    """Metering server integrating power over virtual time (module docstring)."""

    DEFINITION = METERING

    def __init__(
        self,
        power_w: Callable[[], float] | None = None,
        load_w: float = 60.0,
        standby_w: float = 1.0,
        update_s: int = 60,
        values: Mapping[str, ZclValue] | None = None,
    ) -> None:
        super().__init__(None, values)
        self.power_source = power_w
        self.load_w = load_w
        self.standby_w = standby_w
        self.update_s = update_s
        #: energy delivered since ``_base`` was taken (mW x us)
        self.energy_mw_us = 0
        self._base = 0
        self._power_mw = 0
        self._since = 0
        self._started = False
        self._updating = False
        self._timer: TimerHandle | None = None

    def attached(self) -> None:
        oo = self.endpoint.server(ON_OFF.id)
        if isinstance(oo, OnOff):
            oo.watch(self._relay_changed)
        self.watch(self._own_changed)
        self._base = self.int_value("current_summation_delivered")
        self._since = self.endpoint.clock.now()
        self._started = True
        self.update()

    def power_w(self) -> float:
        """The power the meter sees now (W)."""
        if self.power_source is not None:
            return self.power_source()
        em = self.endpoint.server(ELECTRICAL_MEASUREMENT.id)
        load, standby = (
            (em.load_w, em.standby_w)
            if isinstance(em, ElectricalMeasurement)
            else (
                self.load_w,
                self.standby_w,
            )
        )
        return load if _relay_on(self) else standby

    @property
    def energy_kwh(self) -> float:
        """Energy delivered since the start (kWh, not rounded to the summation's unit)."""
        return self.energy_mw_us / _MW_US_PER_KWH

    def _relay_changed(self, a: AttributeDef, value: ZclValue) -> None:
        if a.id == 0x0000:
            self.update()

    def _own_changed(self, a: AttributeDef, value: ZclValue) -> None:
        if self._updating:
            return
        if a.name == "current_summation_delivered" and isinstance(value, int):
            self._base = value  # set locally (or reset): the count goes on from there
            self.energy_mw_us = 0
        self.update()

    def refresh(self) -> None:
        if self._started:
            self.update()

    def update(self) -> None:
        """Integrate the last power up to now, take the power now, set the attributes."""
        if not self._started:
            return
        clock = self.endpoint.clock
        now = clock.now()
        self.energy_mw_us += self._power_mw * max(0, now - self._since)
        self._since = now
        self._power_mw = max(0, round(self.power_w() * 1000))
        mult = max(1, self.int_value("multiplier"))
        div = max(1, self.int_value("divisor"))
        summation = self._base + self.energy_mw_us * div // (mult * _MW_US_PER_KWH)
        demand_a = self.definition.resolve("instantaneous_demand")
        demand = scaled(demand_a, self._power_mw / 1_000_000, mult, div)
        self._updating = True
        try:
            self.set("current_summation_delivered", min(summation, (1 << 48) - 1))
            self.set(demand_a, demand)
        finally:
            self._updating = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.update_s > 0:
            self._timer = clock.call_later(self.update_s * S, self.update)
