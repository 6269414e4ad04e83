"""HVAC: Thermostat (0x0201, ZCL rev 7/8 6.3).

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-hvac.c``.

Setpoints are kept within their limits (INVALID_VALUE outside) and the heating setpoint at
least MinSetpointDeadBand below the cooling one in Auto mode; Setpoint Raise/Lower moves them
by tenths of a degree (clamped). The ThermostatRunningState follows LocalTemperature against
the setpoints in the current SystemMode (heat / cool / auto / off), recomputed on every change
(the "plant" is the application: it sets LocalTemperature).
"""

from __future__ import annotations

from collections.abc import Mapping

from zigmesh.zcl.cluster import Handler, HandlerResult, Request, ServerCluster
from zigmesh.zcl.definitions import (
    CLIENT_TO_SERVER,
    Access,
    Args,
    AttributeDef,
    ClusterDef,
    CommandDef,
    Field,
)
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.types import DataType, ZclValue

__all__ = ["THERMOSTAT", "Thermostat", "SystemMode"]

T = DataType
A = Access
RWS = A.RW | A.SCENE


class SystemMode:
    OFF = 0
    AUTO = 1
    COOL = 3
    HEAT = 4


_HEAT_ON, _COOL_ON = 0x0001, 0x0002

THERMOSTAT = ClusterDef(
    0x0201,
    "thermostat",
    (
        AttributeDef(0x0000, "local_temperature", T.INT16, A.RP, 2000),
        AttributeDef(0x0003, "abs_min_heat_setpoint_limit", T.INT16, default=700),
        AttributeDef(0x0004, "abs_max_heat_setpoint_limit", T.INT16, default=3000),
        AttributeDef(0x0005, "abs_min_cool_setpoint_limit", T.INT16, default=1600),
        AttributeDef(0x0006, "abs_max_cool_setpoint_limit", T.INT16, default=3200),
        AttributeDef(0x0008, "pi_heating_demand", T.UINT8, A.RP),
        AttributeDef(0x0011, "occupied_cooling_setpoint", T.INT16, RWS | A.REPORT, 2600),
        AttributeDef(0x0012, "occupied_heating_setpoint", T.INT16, RWS | A.REPORT, 2000),
        AttributeDef(0x0015, "min_heat_setpoint_limit", T.INT16, A.RW, 700),
        AttributeDef(0x0016, "max_heat_setpoint_limit", T.INT16, A.RW, 3000),
        AttributeDef(0x0017, "min_cool_setpoint_limit", T.INT16, A.RW, 1600),
        AttributeDef(0x0018, "max_cool_setpoint_limit", T.INT16, A.RW, 3200),
        AttributeDef(0x0019, "min_setpoint_dead_band", T.INT8, A.RW, 25, 0, 25),
        AttributeDef(
            0x001B, "control_sequence_of_operation", T.ENUM8, A.RW, 4, values=frozenset(range(6))
        ),
        AttributeDef(
            0x001C, "system_mode", T.ENUM8, RWS, 1, values=frozenset({0, 1, 3, 4, 5, 6, 7, 8, 9})
        ),
        AttributeDef(0x001E, "thermostat_running_mode", T.ENUM8),
        AttributeDef(0x0029, "thermostat_running_state", T.MAP16, A.RP),
    ),
    (
        CommandDef(
            0x00,
            "setpoint_raise_lower",
            CLIENT_TO_SERVER,
            (Field("mode", T.ENUM8), Field("amount", T.INT8)),
        ),
    ),
)

_RECOMPUTE = frozenset({0x0000, 0x0011, 0x0012, 0x001C})


class Thermostat(ServerCluster):
    """Thermostat server (module docstring)."""

    DEFINITION = THERMOSTAT

    def handlers(self) -> Mapping[int, Handler]:
        return {0x00: self.setpoint_raise_lower}

    def set(self, attr: str | int | AttributeDef, value: ZclValue, *, report: bool = True) -> bool:
        a = self.definition.resolve(attr)
        changed = super().set(a, value, report=report)
        if changed and a.id in _RECOMPUTE:
            self._run()
        return changed

    def _limits(self, heat: bool) -> tuple[int, int]:
        if heat:
            return self.int_value("min_heat_setpoint_limit"), self.int_value(
                "max_heat_setpoint_limit"
            )
        return self.int_value("min_cool_setpoint_limit"), self.int_value("max_cool_setpoint_limit")

    def validate(self, a: AttributeDef, value: ZclValue) -> ZclStatus:
        if a.id in (0x0011, 0x0012) and isinstance(value, int):
            lo, hi = self._limits(a.id == 0x0012)
            if not lo <= value <= hi:
                return ZclStatus.INVALID_VALUE
            band = self.int_value("min_setpoint_dead_band") * 10
            if self.int_value("system_mode") == SystemMode.AUTO:
                heat = value if a.id == 0x0012 else self.int_value("occupied_heating_setpoint")
                cool = value if a.id == 0x0011 else self.int_value("occupied_cooling_setpoint")
                if cool - heat < band:
                    return ZclStatus.INVALID_VALUE
        return ZclStatus.SUCCESS

    def setpoint_raise_lower(self, args: Args, req: Request) -> HandlerResult:
        mode, amount = args["mode"], args["amount"] * 10  # 0.1 degC steps -> 0.01 degC
        if mode not in (0, 1, 2):
            return ZclStatus.INVALID_FIELD
        if mode in (0, 2):
            lo, hi = self._limits(True)
            self.set(
                "occupied_heating_setpoint",
                max(lo, min(hi, self.int_value("occupied_heating_setpoint") + amount)),
            )
        if mode in (1, 2):
            lo, hi = self._limits(False)
            self.set(
                "occupied_cooling_setpoint",
                max(lo, min(hi, self.int_value("occupied_cooling_setpoint") + amount)),
            )
        return None

    def _run(self) -> None:
        t = self.int_value("local_temperature")
        heat, cool = (
            self.int_value("occupied_heating_setpoint"),
            self.int_value("occupied_cooling_setpoint"),
        )
        mode = self.int_value("system_mode")
        state = 0
        if t != -0x8000:
            if mode in (SystemMode.HEAT, SystemMode.AUTO) and t < heat:
                state = _HEAT_ON
            elif mode in (SystemMode.COOL, SystemMode.AUTO) and t > cool:
                state = _COOL_ON
        running = {_HEAT_ON: SystemMode.HEAT, _COOL_ON: SystemMode.COOL}.get(state, SystemMode.OFF)
        super().set("thermostat_running_state", state)
        super().set("thermostat_running_mode", running)
        super().set("pi_heating_demand", 100 if state == _HEAT_ON else 0)
