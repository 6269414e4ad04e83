"""Lighting: Color Control (0x0300, ZCL rev 7/8 5.2).

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-lighting.c``.

Hue / saturation (8-bit and enhanced 16-bit hue), CIE xy and color temperature (mireds), each
with Move To / Move / Step, Stop Move Step and Color Loop Set. Transitions run in virtual time
with the attributes updated every 1/10 s (RemainingTime with them); hue moves the way the
Direction field asks (shortest, longest, up, down) and wraps; continuous moves (Move Hue,
Move Saturation, Move Color, Move Color Temperature, an active color loop) run at their rate
until a bound or a stop. ColorMode / EnhancedColorMode follow the last command. Rates of 0
and unknown modes or directions are INVALID_FIELD; color temperatures are clamped to the
physical (or given) limits. The plain commands respect Execute-If-Off like Level Control.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import Handler, HandlerResult, Request, ServerCluster
from zigmesh.zcl.clusters.control import may_run_while_off
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

__all__ = ["COLOR_CONTROL", "ColorControl", "ColorMode"]

T = DataType
A = Access
TENTH = 100_000
S = 1_000_000
HUE_WRAP = 0xFF  # CurrentHue 0x00-0xFE covers the circle
EHUE_WRAP = 0x10000


class ColorMode:
    HUE_SATURATION = 0
    XY = 1
    TEMPERATURE = 2
    ENHANCED_HUE_SATURATION = 3  # EnhancedColorMode only


_OPT = (Field("options_mask", T.MAP8, True), Field("options_override", T.MAP8, True))
_TT = Field("transition_time", T.UINT16)


def _cmd(cid: int, name: str, *fields: Field) -> CommandDef:
    return CommandDef(cid, name, CLIENT_TO_SERVER, (*fields, *_OPT))


COLOR_CONTROL = ClusterDef(
    0x0300,
    "color_control",
    (
        AttributeDef(0x0000, "current_hue", T.UINT8, A.RP, maximum=0xFE),
        AttributeDef(0x0001, "current_saturation", T.UINT8, A.RPS, maximum=0xFE),
        AttributeDef(0x0002, "remaining_time", T.UINT16),
        AttributeDef(0x0003, "current_x", T.UINT16, A.RPS, 0x616B),
        AttributeDef(0x0004, "current_y", T.UINT16, A.RPS, 0x607D),
        AttributeDef(0x0007, "color_temperature_mireds", T.UINT16, A.RPS, 250),
        AttributeDef(0x0008, "color_mode", T.ENUM8, default=ColorMode.XY),
        AttributeDef(0x000F, "options", T.MAP8, A.RW, maximum=0x01),
        AttributeDef(0x4000, "enhanced_current_hue", T.UINT16, A.READ | A.SCENE),
        AttributeDef(0x4001, "enhanced_color_mode", T.ENUM8, default=ColorMode.XY),
        AttributeDef(0x4002, "color_loop_active", T.UINT8, A.READ | A.SCENE),
        AttributeDef(0x4003, "color_loop_direction", T.UINT8, A.READ | A.SCENE),
        AttributeDef(0x4004, "color_loop_time", T.UINT16, A.READ | A.SCENE, 0x0019),
        AttributeDef(0x4005, "color_loop_start_enhanced_hue", T.UINT16, default=0x2300),
        AttributeDef(0x4006, "color_loop_stored_enhanced_hue", T.UINT16),
        AttributeDef(0x400A, "color_capabilities", T.MAP16, default=0x001F),
        AttributeDef(0x400B, "color_temp_physical_min_mireds", T.UINT16, default=153),
        AttributeDef(0x400C, "color_temp_physical_max_mireds", T.UINT16, default=500),
        AttributeDef(0x4010, "start_up_color_temperature_mireds", T.UINT16, A.RW, 0xFFFF),
    ),
    (
        _cmd(0x00, "move_to_hue", Field("hue", T.UINT8), Field("direction", T.ENUM8), _TT),
        _cmd(0x01, "move_hue", Field("move_mode", T.ENUM8), Field("rate", T.UINT8)),
        _cmd(
            0x02,
            "step_hue",
            Field("step_mode", T.ENUM8),
            Field("step_size", T.UINT8),
            Field("transition_time", T.UINT8),
        ),
        _cmd(0x03, "move_to_saturation", Field("saturation", T.UINT8), _TT),
        _cmd(0x04, "move_saturation", Field("move_mode", T.ENUM8), Field("rate", T.UINT8)),
        _cmd(
            0x05,
            "step_saturation",
            Field("step_mode", T.ENUM8),
            Field("step_size", T.UINT8),
            Field("transition_time", T.UINT8),
        ),
        _cmd(
            0x06,
            "move_to_hue_and_saturation",
            Field("hue", T.UINT8),
            Field("saturation", T.UINT8),
            _TT,
        ),
        _cmd(0x07, "move_to_color", Field("color_x", T.UINT16), Field("color_y", T.UINT16), _TT),
        _cmd(0x08, "move_color", Field("rate_x", T.INT16), Field("rate_y", T.INT16)),
        _cmd(0x09, "step_color", Field("step_x", T.INT16), Field("step_y", T.INT16), _TT),
        _cmd(0x0A, "move_to_color_temperature", Field("color_temperature_mireds", T.UINT16), _TT),
        _cmd(
            0x40,
            "enhanced_move_to_hue",
            Field("enhanced_hue", T.UINT16),
            Field("direction", T.ENUM8),
            _TT,
        ),
        _cmd(0x41, "enhanced_move_hue", Field("move_mode", T.ENUM8), Field("rate", T.UINT16)),
        _cmd(
            0x42,
            "enhanced_step_hue",
            Field("step_mode", T.ENUM8),
            Field("step_size", T.UINT16),
            _TT,
        ),
        _cmd(
            0x43,
            "enhanced_move_to_hue_and_saturation",
            Field("enhanced_hue", T.UINT16),
            Field("saturation", T.UINT8),
            _TT,
        ),
        _cmd(
            0x44,
            "color_loop_set",
            Field("update_flags", T.MAP8),
            Field("action", T.ENUM8),
            Field("direction", T.ENUM8),
            Field("time", T.UINT16),
            Field("start_hue", T.UINT16),
        ),
        _cmd(0x47, "stop_move_step"),
        _cmd(
            0x4B,
            "move_color_temperature",
            Field("move_mode", T.ENUM8),
            Field("rate", T.UINT16),
            Field("color_temperature_minimum_mireds", T.UINT16),
            Field("color_temperature_maximum_mireds", T.UINT16),
        ),
        _cmd(
            0x4C,
            "step_color_temperature",
            Field("step_mode", T.ENUM8),
            Field("step_size", T.UINT16),
            _TT,
            Field("color_temperature_minimum_mireds", T.UINT16),
            Field("color_temperature_maximum_mireds", T.UINT16),
        ),
    ),
)


@dataclass(slots=True)
class _Ramp:
    start: float
    target: float
    wrap: int  # 0: clamp to lo..hi
    lo: int
    hi: int


@dataclass(slots=True)
class _Move:
    rate: float  # units per second, signed
    wrap: int
    lo: int
    hi: int
    value: float


def _up_down(mode: int) -> int | None:
    """Move / Step mode: 1 up -> +1, 3 down -> -1, else None (0 stop handled apart)."""
    return {1: 1, 3: -1}.get(mode)


class ColorControl(ServerCluster):
    """Color Control server (module docstring)."""

    DEFINITION = COLOR_CONTROL

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        self._timer: TimerHandle | None = None
        self._ramps: dict[str, _Ramp] = {}
        self._moves: dict[str, _Move] = {}
        self._t0 = 0
        self._last = 0
        self._duration = 0

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.move_to_hue,
            0x01: self.move_hue,
            0x02: self.step_hue,
            0x03: self.move_to_saturation,
            0x04: self.move_saturation,
            0x05: self.step_saturation,
            0x06: self.move_to_hue_and_saturation,
            0x07: self.move_to_color,
            0x08: self.move_color,
            0x09: self.step_color,
            0x0A: self.move_to_color_temperature,
            0x40: self.move_to_hue,
            0x41: self.move_hue,
            0x42: self.step_hue,
            0x43: self.move_to_hue_and_saturation,
            0x44: self.color_loop_set,
            0x47: self.stop_move_step,
            0x4B: self.move_color_temperature,
            0x4C: self.step_color_temperature,
        }

    @property
    def moving(self) -> bool:
        return self._timer is not None

    # -- the animation engine ------------------------------------------------------------------

    def _mode(self, mode: int, enhanced: int | None = None) -> None:
        self.set("color_mode", mode)
        self.set("enhanced_color_mode", mode if enhanced is None else enhanced)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._ramps.clear()
        self._moves.clear()
        self.set("remaining_time", 0)

    def _value(self, name: str) -> float:
        return float(self.int_value(name))

    def ramp(self, targets: Mapping[str, tuple[float, int, int, int]], duration_us: int) -> None:
        """Move attributes to targets (name -> (target, wrap, lo, hi)) over ``duration_us``."""
        self.stop()
        for name, (target, wrap, lo, hi) in targets.items():
            self._ramps[name] = _Ramp(self._value(name), target, wrap, lo, hi)
        self._t0 = self._last = self.endpoint.clock.now()
        self._duration = max(0, duration_us)
        self._tick()

    def move(self, name: str, rate: float, wrap: int, lo: int, hi: int) -> None:
        """Move an attribute continuously at ``rate`` units/s (until a bound or a stop)."""
        if not self._moves:
            self.stop()
        self._moves[name] = _Move(rate, wrap, lo, hi, self._value(name))
        self._t0 = self._last = self.endpoint.clock.now()
        if self._timer is None:
            self._timer = self.endpoint.clock.call_later(TENTH, self._tick)

    def _put(self, name: str, v: float, wrap: int, lo: int, hi: int) -> bool:
        """Set a value (wrapped or clamped); False if it hit a clamp bound."""
        iv = round(v)
        inside = True
        if wrap:
            iv %= wrap
        elif iv <= lo or iv >= hi:
            inside = lo < iv < hi
            iv = max(lo, min(hi, iv))
        self.set(name, iv)
        if name == "enhanced_current_hue":
            self.set("current_hue", min(0xFE, iv >> 8))
        elif name == "current_hue":
            self.set("enhanced_current_hue", iv << 8)
        return inside

    def _tick(self) -> None:
        self._timer = None
        now = self.endpoint.clock.now()
        if self._ramps:
            elapsed = now - self._t0
            frac = 1.0 if elapsed >= self._duration else elapsed / self._duration
            for name, r in self._ramps.items():
                self._put(name, r.start + (r.target - r.start) * frac, r.wrap, r.lo, r.hi)
            if frac >= 1.0:
                self._ramps.clear()
                self.set("remaining_time", 0)
            else:
                self.set("remaining_time", min(0xFFFE, -(-(self._duration - elapsed) // TENTH)))
        if self._moves:
            dt = (now - self._last) / S
            for name, m in list(self._moves.items()):
                m.value += m.rate * dt
                if not self._put(name, m.value, m.wrap, m.lo, m.hi):
                    del self._moves[name]
        self._last = now
        if self._ramps or self._moves:
            left = self._duration - (now - self._t0) if self._ramps else TENTH
            self._timer = self.endpoint.clock.call_later(max(1, min(TENTH, left)), self._tick)

    # -- hue / saturation ----------------------------------------------------------------------

    def _hue_target(self, current: float, target: int, direction: int, wrap: int) -> float | None:
        up = (target - current) % wrap
        down = wrap - up if up else 0
        if direction == 0:
            go_up = up <= wrap / 2
        elif direction == 1:
            go_up = up > wrap / 2
        elif direction in (2, 3):
            go_up = direction == 2
        else:
            return None
        return current + up if go_up else current - down

    def move_to_hue(self, args: Args, req: Request) -> HandlerResult:
        enhanced = req.command.id == 0x40
        name, wrap = ("enhanced_current_hue", EHUE_WRAP) if enhanced else ("current_hue", HUE_WRAP)
        target = args["enhanced_hue" if enhanced else "hue"]
        if not enhanced and target > 0xFE:
            return ZclStatus.INVALID_FIELD
        to = self._hue_target(self._value(name), target, args["direction"], wrap)
        if to is None:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        self._mode(
            ColorMode.HUE_SATURATION, ColorMode.ENHANCED_HUE_SATURATION if enhanced else None
        )
        self.ramp({name: (to, wrap, 0, wrap - 1)}, args["transition_time"] * TENTH)
        return None

    def move_hue(self, args: Args, req: Request) -> HandlerResult:
        enhanced = req.command.id == 0x41
        name, wrap = ("enhanced_current_hue", EHUE_WRAP) if enhanced else ("current_hue", HUE_WRAP)
        mode, rate = args["move_mode"], args["rate"]
        if mode == 0:
            self.stop()
            return None
        sign = _up_down(mode)
        if sign is None or rate == 0:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        self._mode(
            ColorMode.HUE_SATURATION, ColorMode.ENHANCED_HUE_SATURATION if enhanced else None
        )
        self.move(name, sign * rate, wrap, 0, wrap - 1)
        return None

    def step_hue(self, args: Args, req: Request) -> HandlerResult:
        enhanced = req.command.id == 0x42
        name, wrap = ("enhanced_current_hue", EHUE_WRAP) if enhanced else ("current_hue", HUE_WRAP)
        sign = _up_down(args["step_mode"])
        if sign is None:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        self._mode(
            ColorMode.HUE_SATURATION, ColorMode.ENHANCED_HUE_SATURATION if enhanced else None
        )
        to = self._value(name) + sign * args["step_size"]
        self.ramp({name: (to, wrap, 0, wrap - 1)}, args["transition_time"] * TENTH)
        return None

    def move_to_saturation(self, args: Args, req: Request) -> HandlerResult:
        if args["saturation"] > 0xFE:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        self._mode(ColorMode.HUE_SATURATION)
        self.ramp(
            {"current_saturation": (args["saturation"], 0, 0, 0xFE)},
            args["transition_time"] * TENTH,
        )
        return None

    def move_saturation(self, args: Args, req: Request) -> HandlerResult:
        mode, rate = args["move_mode"], args["rate"]
        if mode == 0:
            self.stop()
            return None
        sign = _up_down(mode)
        if sign is None or rate == 0:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        self._mode(ColorMode.HUE_SATURATION)
        self.move("current_saturation", sign * rate, 0, 0, 0xFE)
        return None

    def step_saturation(self, args: Args, req: Request) -> HandlerResult:
        sign = _up_down(args["step_mode"])
        if sign is None:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        self._mode(ColorMode.HUE_SATURATION)
        to = self._value("current_saturation") + sign * args["step_size"]
        self.ramp({"current_saturation": (to, 0, 0, 0xFE)}, args["transition_time"] * TENTH)
        return None

    def move_to_hue_and_saturation(self, args: Args, req: Request) -> HandlerResult:
        enhanced = req.command.id == 0x43
        name, wrap = ("enhanced_current_hue", EHUE_WRAP) if enhanced else ("current_hue", HUE_WRAP)
        hue = args["enhanced_hue" if enhanced else "hue"]
        if (not enhanced and hue > 0xFE) or args["saturation"] > 0xFE:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        to = self._hue_target(self._value(name), hue, 0, wrap)
        assert to is not None
        self._mode(
            ColorMode.HUE_SATURATION, ColorMode.ENHANCED_HUE_SATURATION if enhanced else None
        )
        self.ramp(
            {
                name: (to, wrap, 0, wrap - 1),
                "current_saturation": (args["saturation"], 0, 0, 0xFE),
            },
            args["transition_time"] * TENTH,
        )
        return None

    # -- xy and color temperature --------------------------------------------------------------

    def move_to_color(self, args: Args, req: Request) -> HandlerResult:
        if not may_run_while_off(self, args):
            return None
        self._mode(ColorMode.XY)
        self.ramp(
            {
                "current_x": (args["color_x"], 0, 0, 0xFEFF),
                "current_y": (args["color_y"], 0, 0, 0xFEFF),
            },
            args["transition_time"] * TENTH,
        )
        return None

    def move_color(self, args: Args, req: Request) -> HandlerResult:
        rx, ry = args["rate_x"], args["rate_y"]
        if not may_run_while_off(self, args):
            return None
        if rx == 0 and ry == 0:
            self.stop()
            return None
        self._mode(ColorMode.XY)
        self.stop()
        for name, rate in (("current_x", rx), ("current_y", ry)):
            if rate:
                self.move(name, rate, 0, 0, 0xFEFF)
        return None

    def step_color(self, args: Args, req: Request) -> HandlerResult:
        if not may_run_while_off(self, args):
            return None
        self._mode(ColorMode.XY)
        x = self._value("current_x") + args["step_x"]
        y = self._value("current_y") + args["step_y"]
        self.ramp(
            {"current_x": (x, 0, 0, 0xFEFF), "current_y": (y, 0, 0, 0xFEFF)},
            args["transition_time"] * TENTH,
        )
        return None

    def _ct_bounds(self, args: Args) -> tuple[int, int]:
        lo = self.int_value("color_temp_physical_min_mireds")
        hi = self.int_value("color_temp_physical_max_mireds")
        lo = max(lo, args.get("color_temperature_minimum_mireds", 0))
        given_hi = args.get("color_temperature_maximum_mireds", 0)
        return lo, (min(hi, given_hi) if given_hi else hi)

    def move_to_color_temperature(self, args: Args, req: Request) -> HandlerResult:
        if not may_run_while_off(self, args):
            return None
        lo, hi = self._ct_bounds(args)
        target = max(lo, min(hi, args["color_temperature_mireds"]))
        self._mode(ColorMode.TEMPERATURE)
        self.ramp(
            {"color_temperature_mireds": (target, 0, lo, hi)}, args["transition_time"] * TENTH
        )
        return None

    def move_color_temperature(self, args: Args, req: Request) -> HandlerResult:
        mode, rate = args["move_mode"], args["rate"]
        if mode == 0:
            self.stop()
            return None
        sign = _up_down(mode)
        if sign is None or rate == 0:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        lo, hi = self._ct_bounds(args)
        self._mode(ColorMode.TEMPERATURE)
        self.move("color_temperature_mireds", sign * rate, 0, lo, hi)
        return None

    def step_color_temperature(self, args: Args, req: Request) -> HandlerResult:
        sign = _up_down(args["step_mode"])
        if sign is None:
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        lo, hi = self._ct_bounds(args)
        to = max(lo, min(hi, self.int_value("color_temperature_mireds") + sign * args["step_size"]))
        self._mode(ColorMode.TEMPERATURE)
        self.ramp({"color_temperature_mireds": (to, 0, lo, hi)}, args["transition_time"] * TENTH)
        return None

    def stop_move_step(self, args: Args, req: Request) -> HandlerResult:
        if may_run_while_off(self, args):
            self.stop()
        return None

    # -- color loop ----------------------------------------------------------------------------

    def color_loop_set(self, args: Args, req: Request) -> HandlerResult:
        flags, action, direction = args["update_flags"], args["action"], args["direction"]
        if (flags & 0x01 and action > 2) or (flags & 0x02 and direction > 1):
            return ZclStatus.INVALID_FIELD
        if not may_run_while_off(self, args):
            return None
        if flags & 0x02:
            self.set("color_loop_direction", direction)
        if flags & 0x04:
            self.set("color_loop_time", args["time"])
        if flags & 0x08:
            self.set("color_loop_start_enhanced_hue", args["start_hue"])
        if flags & 0x01:
            if action == 0:
                if self.int_value("color_loop_active"):
                    self.stop()
                    self.set("color_loop_active", 0)
                    self.set(
                        "enhanced_current_hue", self.int_value("color_loop_stored_enhanced_hue")
                    )
                return None
            self.set("color_loop_stored_enhanced_hue", self.int_value("enhanced_current_hue"))
            if action == 1:
                self._put(
                    "enhanced_current_hue",
                    self._value("color_loop_start_enhanced_hue"),
                    EHUE_WRAP,
                    0,
                    0xFFFF,
                )
            self.set("color_loop_active", 1)
        if self.int_value("color_loop_active"):
            period = max(1, self.int_value("color_loop_time"))
            sign = 1 if self.int_value("color_loop_direction") else -1
            self._mode(ColorMode.HUE_SATURATION, ColorMode.ENHANCED_HUE_SATURATION)
            self.stop()
            self.move("enhanced_current_hue", sign * EHUE_WRAP / period, EHUE_WRAP, 0, 0xFFFF)
        return None

    def scene_attributes(self) -> list[AttributeDef]:
        """The Color Control extension field set order (ZCL 8, 5.2.2.5)."""
        d = self.definition
        return [
            d.resolve(i) for i in (0x0003, 0x0004, 0x4000, 0x0001, 0x4002, 0x4003, 0x4004, 0x0007)
        ]

    def apply_scene(self, values: Mapping[AttributeDef, ZclValue], transition_us: int) -> None:
        targets: dict[str, tuple[float, int, int, int]] = {}
        for a, v in values.items():
            if not isinstance(v, int):
                continue
            if a.name in ("current_x", "current_y"):
                targets[a.name] = (v, 0, 0, 0xFEFF)
            elif a.name == "current_saturation":
                targets[a.name] = (min(v, 0xFE), 0, 0, 0xFE)
            elif a.name == "color_temperature_mireds":
                lo, hi = self._ct_bounds({})
                targets[a.name] = (max(lo, min(hi, v)), 0, lo, hi)
            elif a.name == "enhanced_current_hue":
                targets[a.name] = (v, EHUE_WRAP, 0, 0xFFFF)
        if targets:
            self.ramp(targets, transition_us)
