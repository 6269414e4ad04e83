"""HVAC: Thermostat (0x0201, ZCL rev 7/8 6.3).

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-hvac.c``.

Setpoints are kept within their limits (INVALID_VALUE outside) and the heating setpoint at
least MinSetpointDeadBand below the cooling one in Auto mode; Setpoint Raise/Lower moves them
by tenths of a degree (clamped). The ThermostatRunningState follows LocalTemperature against
the setpoints in the current SystemMode (heat / cool / auto / off), recomputed on every change
(the "plant" is the application: it sets LocalTemperature).

Weekly schedule (6.3.2.3.2-6.3.2.3.4): Set Weekly Schedule replaces, for each day of its
DayOfWeekForSequence bitmap (bit 0 Sunday .. bit 6 Saturday, bit 7 away / vacation) and each
mode of its ModeForSequence (bit 0 heat, bit 1 cool), that day's transitions (minutes after
midnight, 0-1439, with a setpoint per mode). A day or mode bitmap with nothing in it is
INVALID_FIELD, a transitions field of the wrong length MALFORMED_COMMAND, a time past 1439 or
a setpoint outside its limits INVALID_VALUE, more than NumberOfDailyTransitions in a day or
NumberOfWeeklyTransitions in the week INSUFFICIENT_SPACE. Get Weekly Schedule answers with the
first day asked for (lowest bit) and the asked modes it holds (both modes together only when
their transition times agree, else heat); Clear Weekly Schedule empties it. While
ThermostatProgrammingOperationMode bit 0 is set the schedule runs in virtual time: each
minute the day's latest transition at or before now (the Time cluster's LocalTime when it has
been set, else the clock from 2000-01-01 00:00, a Saturday) sets the setpoints once, so a
manual change holds until the next transition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import Handler, HandlerResult, Reply, Request, ServerCluster
from zigmesh.zcl.clusters.device import TIME
from zigmesh.zcl.definitions import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Access,
    Args,
    AttributeDef,
    ClusterDef,
    CommandDef,
    Field,
    FieldKind,
)
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.types import DataType, ZclValue

__all__ = ["THERMOSTAT", "Thermostat", "SystemMode", "Transition", "encode_transitions"]

T = DataType
A = Access
RWS = A.RW | A.SCENE

_SCHEDULE = (
    Field("number_of_transitions", T.UINT8),
    Field("day_of_week_for_sequence", T.MAP8),
    Field("mode_for_sequence", T.MAP8),
    Field("transitions", T.DATA8, kind=FieldKind.REST),
)


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
        AttributeDef(0x0020, "start_of_week", T.ENUM8),  # 0: Sunday
        AttributeDef(0x0021, "number_of_weekly_transitions", T.UINT8, default=70),
        AttributeDef(0x0022, "number_of_daily_transitions", T.UINT8, default=10),
        AttributeDef(0x0025, "thermostat_programming_operation_mode", T.MAP8, A.RW, maximum=0x07),
        AttributeDef(0x0029, "thermostat_running_state", T.MAP16, A.RP),
    ),
    (
        CommandDef(
            0x00,
            "setpoint_raise_lower",
            CLIENT_TO_SERVER,
            (Field("mode", T.ENUM8), Field("amount", T.INT8)),
        ),
        CommandDef(0x01, "set_weekly_schedule", CLIENT_TO_SERVER, _SCHEDULE),
        CommandDef(
            0x02,
            "get_weekly_schedule",
            CLIENT_TO_SERVER,
            (Field("days_to_return", T.MAP8), Field("mode_to_return", T.MAP8)),
        ),
        CommandDef(0x03, "clear_weekly_schedule", CLIENT_TO_SERVER),
        CommandDef(0x00, "get_weekly_schedule_response", SERVER_TO_CLIENT, _SCHEDULE),
    ),
)

_HEAT_MODE, _COOL_MODE = 0x01, 0x02
_MINUTES_PER_DAY = 1440
S = 1_000_000
#: 2000-01-01 (ZCL time zero) was a Saturday: day index (0 = Sunday) of day 0
_DAY0 = 6


@dataclass(frozen=True, slots=True)
class Transition:
    """One transition of a day's schedule: minutes after midnight and the setpoint(s)."""

    time: int
    heat: int | None = None
    cool: int | None = None


def encode_transitions(transitions: tuple[Transition, ...], mode: int) -> tuple[int, ...]:
    """The octets of a schedule's transitions field for ``mode`` (heat and/or cool)."""
    out = bytearray()
    for t in transitions:
        out += t.time.to_bytes(2, "little")
        if mode & _HEAT_MODE:
            out += (t.heat or 0).to_bytes(2, "little", signed=True)
        if mode & _COOL_MODE:
            out += (t.cool or 0).to_bytes(2, "little", signed=True)
    return tuple(out)


def _parse_transitions(octets: tuple[int, ...], n: int, mode: int) -> list[Transition] | None:
    raw = bytes(octets)
    size = 2 + 2 * bin(mode & 0x03).count("1")
    if len(raw) != n * size:
        return None
    out = []
    for k in range(n):
        rec = raw[k * size : (k + 1) * size]
        pos = 2
        heat = cool = None
        if mode & _HEAT_MODE:
            heat = int.from_bytes(rec[pos : pos + 2], "little", signed=True)
            pos += 2
        if mode & _COOL_MODE:
            cool = int.from_bytes(rec[pos : pos + 2], "little", signed=True)
        out.append(Transition(int.from_bytes(rec[:2], "little"), heat, cool))
    return out


_RECOMPUTE = frozenset({0x0000, 0x0011, 0x0012, 0x001C})


class Thermostat(ServerCluster):
    """Thermostat server (module docstring)."""

    DEFINITION = THERMOSTAT

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        #: (day index 0 = Sunday .. 6, 7 = away; mode bit) -> that day's transitions
        self.schedule: dict[tuple[int, int], tuple[Transition, ...]] = {}
        self._timer: TimerHandle | None = None
        self._applied: tuple[int, int] | None = None
        super().__init__(None, values)

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.setpoint_raise_lower,
            0x01: self.set_weekly_schedule,
            0x02: self.get_weekly_schedule,
            0x03: self.clear_weekly_schedule,
        }

    def attached(self) -> None:
        self._follow()

    # -- weekly schedule -------------------------------------------------------------------

    def set_weekly_schedule(self, args: Args, req: Request) -> HandlerResult:
        n, days, mode = (
            args["number_of_transitions"],
            args["day_of_week_for_sequence"],
            args["mode_for_sequence"],
        )
        mode &= _HEAT_MODE | _COOL_MODE
        if days == 0 or mode == 0:
            return ZclStatus.INVALID_FIELD
        transitions = _parse_transitions(args["transitions"], n, mode)
        if transitions is None:
            return ZclStatus.MALFORMED_COMMAND
        for t in transitions:
            if t.time >= _MINUTES_PER_DAY:
                return ZclStatus.INVALID_VALUE
            for sp, heat in ((t.heat, True), (t.cool, False)):
                lo, hi = self._limits(heat)
                if sp is not None and not lo <= sp <= hi:
                    return ZclStatus.INVALID_VALUE
        if n > self.int_value("number_of_daily_transitions"):
            return ZclStatus.INSUFFICIENT_SPACE
        new = dict(self.schedule)
        ordered = sorted(transitions, key=lambda t: t.time)
        for day in range(8):
            if not days & (1 << day):
                continue
            for bit in (_HEAT_MODE, _COOL_MODE):
                if mode & bit:
                    new[(day, bit)] = tuple(
                        Transition(
                            t.time,
                            t.heat if bit == _HEAT_MODE else None,
                            t.cool if bit == _COOL_MODE else None,
                        )
                        for t in ordered
                    )
        if sum(len(v) for v in new.values()) > self.int_value("number_of_weekly_transitions"):
            return ZclStatus.INSUFFICIENT_SPACE
        self.schedule = {k: v for k, v in new.items() if v}
        self._applied = None
        self._follow()
        return None

    def day_schedule(self, day: int, mode: int) -> tuple[int, tuple[Transition, ...]]:
        """(modes held, transitions) of ``day`` for the asked ``mode`` bits, merged."""
        heat = self.schedule.get((day, _HEAT_MODE), ()) if mode & _HEAT_MODE else ()
        cool = self.schedule.get((day, _COOL_MODE), ()) if mode & _COOL_MODE else ()
        if heat and cool and [t.time for t in heat] == [t.time for t in cool]:
            both = tuple(
                Transition(h.time, h.heat, c.cool) for h, c in zip(heat, cool, strict=True)
            )
            return _HEAT_MODE | _COOL_MODE, both
        if heat:
            return _HEAT_MODE, heat
        if cool:
            return _COOL_MODE, cool
        return mode & (_HEAT_MODE | _COOL_MODE), ()

    def get_weekly_schedule(self, args: Args, req: Request) -> HandlerResult:
        days, mode = args["days_to_return"], args["mode_to_return"] & 0x03
        if days == 0 or mode == 0:
            return ZclStatus.INVALID_FIELD
        day = (days & -days).bit_length() - 1
        held, transitions = self.day_schedule(day, mode)
        return Reply(
            "get_weekly_schedule_response",
            {
                "number_of_transitions": len(transitions),
                "day_of_week_for_sequence": 1 << day,
                "mode_for_sequence": held,
                "transitions": encode_transitions(transitions, held),
            },
        )

    def clear_weekly_schedule(self, args: Args, req: Request) -> HandlerResult:
        self.schedule = {}
        self._applied = None
        self._follow()
        return None

    def local_minutes(self) -> tuple[int, int]:
        """(day index 0 = Sunday .. 6, minute of the day) now."""
        t = self.endpoint.server(TIME.id)
        secs = None
        if t is not None and t.get("time") != 0xFFFF_FFFF:
            v = t.get("local_time")
            secs = v if isinstance(v, int) else None
        if secs is None:
            secs = self.endpoint.clock.now() // S
        days, rest = divmod(secs, 86_400)
        return (days + _DAY0) % 7, rest // 60

    @property
    def scheduling(self) -> bool:
        return bool(self.int_value("thermostat_programming_operation_mode") & 0x01)

    def _follow(self) -> None:
        """Apply the schedule now and come back next minute while it runs."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._endpoint is None or not self.scheduling or not self.schedule:
            return
        day, minute = self.local_minutes()
        for bit, name in (
            (_HEAT_MODE, "occupied_heating_setpoint"),
            (_COOL_MODE, "occupied_cooling_setpoint"),
        ):
            current = None
            key = None
            for back in range(8):
                d = (day - back) % 7
                ts = [t for t in self.schedule.get((d, bit), ()) if back > 0 or t.time <= minute]
                if ts:
                    current, key = ts[-1], (d, ts[-1].time)
                    break
            if current is None or key is None:
                continue
            sp = current.heat if bit == _HEAT_MODE else current.cool
            applied_key = (bit << 16) | (key[0] << 11) | key[1]
            if sp is not None and self._applied_for(bit) != applied_key:
                lo, hi = self._limits(bit == _HEAT_MODE)
                self.set(name, max(lo, min(hi, sp)))
                self._mark(bit, applied_key)
        self._timer = self.endpoint.clock.call_later(
            (60 - (self.endpoint.clock.now() // S) % 60) * S, self._follow
        )

    def _applied_for(self, bit: int) -> int | None:
        if self._applied is None:
            return None
        return self._applied[0] if bit == _HEAT_MODE else self._applied[1]

    def _mark(self, bit: int, key: int) -> None:
        heat, cool = self._applied if self._applied is not None else (-1, -1)
        self._applied = (key, cool) if bit == _HEAT_MODE else (heat, key)

    def on_written(self, a: AttributeDef, value: ZclValue) -> None:
        if a.id == 0x0025:
            self._applied = None
            self._follow()

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
