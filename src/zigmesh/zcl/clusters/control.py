"""On/Off (0x0006) and Level Control (0x0008) (ZCL rev 7/8, 3.8 and 3.10).

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-general.c``.

On/Off: Off, On, Toggle; Off With Effect (effect 0 delayed all off, variants 0-2; effect 1
dying light, variant 0: anything else INVALID_FIELD) stores the global scene when
GlobalSceneControl is TRUE, then sets it FALSE (3.8.2.3.4); On With Recall Global Scene
recalls it and sets GlobalSceneControl TRUE, and is discarded while it is TRUE already
(3.8.2.3.5); On (and Toggle to on) sets GlobalSceneControl TRUE (3.8.2.3.2). With a Scenes
cluster on the endpoint the global scene is its table's entry group 0 / scene 0, holding
every scene attribute of the endpoint (On/Off, level, color...); without one the On/Off
cluster keeps the on/off state and the level itself. On With Timed Off runs OnTime and
OffWaitTime down every 1/10 s in virtual time exactly as 3.8.2.3.6 describes.

Level Control: Move To Level, Move, Step, Stop and their "with On/Off" forms. Transitions run
in virtual time, CurrentLevel updated every 1/10 s (RemainingTime with it). A transition time
of 0xFFFF uses OnOffTransitionTime; a move rate of 0xFF uses DefaultMoveRate (as fast as
possible if that is 0xFF too); a rate of 0 or an unknown mode is INVALID_FIELD. Levels are
clamped to MinLevel..MaxLevel. The "with On/Off" forms switch the On/Off cluster of the same
endpoint on when they raise the level and off when they end at MinLevel; the plain forms do
nothing while it is off unless the Options ExecuteIfOff bit (after OptionsMask /
OptionsOverride) says otherwise (3.10.2.2.8).
"""

from __future__ import annotations

from collections.abc import Mapping

from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import Handler, HandlerResult, Request, ServerCluster
from zigmesh.zcl.clusters.scenes import SCENES, Scenes
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

__all__ = ["ON_OFF", "LEVEL_CONTROL", "OnOff", "LevelControl", "may_run_while_off"]

T = DataType
A = Access
TENTH = 100_000  # 1/10 s in microseconds
FOREVER = 0xFFFF

ON_OFF = ClusterDef(
    0x0006,
    "on_off",
    (
        AttributeDef(0x0000, "on_off", T.BOOL, A.RPS, False),
        AttributeDef(0x4000, "global_scene_control", T.BOOL, A.READ, True),
        AttributeDef(0x4001, "on_time", T.UINT16, A.RW),
        AttributeDef(0x4002, "off_wait_time", T.UINT16, A.RW),
        AttributeDef(
            0x4003, "start_up_on_off", T.ENUM8, A.RW, 0xFF, values=frozenset({0, 1, 2, 0xFF})
        ),
    ),
    (
        CommandDef(0x00, "off", CLIENT_TO_SERVER),
        CommandDef(0x01, "on", CLIENT_TO_SERVER),
        CommandDef(0x02, "toggle", CLIENT_TO_SERVER),
        CommandDef(
            0x40,
            "off_with_effect",
            CLIENT_TO_SERVER,
            (Field("effect_identifier", T.ENUM8), Field("effect_variant", T.ENUM8)),
        ),
        CommandDef(0x41, "on_with_recall_global_scene", CLIENT_TO_SERVER),
        CommandDef(
            0x42,
            "on_with_timed_off",
            CLIENT_TO_SERVER,
            (
                Field("on_off_control", T.MAP8),
                Field("on_time", T.UINT16),
                Field("off_wait_time", T.UINT16),
            ),
        ),
    ),
)

_OPTIONS = (Field("options_mask", T.MAP8, True), Field("options_override", T.MAP8, True))
_MOVE_TO = (Field("level", T.UINT8), Field("transition_time", T.UINT16), *_OPTIONS)
_MOVE = (Field("move_mode", T.ENUM8), Field("rate", T.UINT8), *_OPTIONS)
_STEP = (
    Field("step_mode", T.ENUM8),
    Field("step_size", T.UINT8),
    Field("transition_time", T.UINT16),
    *_OPTIONS,
)

LEVEL_CONTROL = ClusterDef(
    0x0008,
    "level_control",
    (
        AttributeDef(0x0000, "current_level", T.UINT8, A.RPS, 0xFE),
        AttributeDef(0x0001, "remaining_time", T.UINT16),
        AttributeDef(0x0002, "min_level", T.UINT8, default=0x01),
        AttributeDef(0x0003, "max_level", T.UINT8, default=0xFE),
        AttributeDef(0x000F, "options", T.MAP8, A.RW, maximum=0x03),
        AttributeDef(0x0010, "on_off_transition_time", T.UINT16, A.RW),
        AttributeDef(0x0011, "on_level", T.UINT8, A.RW, 0xFF),
        AttributeDef(0x0012, "on_transition_time", T.UINT16, A.RW, 0xFFFF),
        AttributeDef(0x0013, "off_transition_time", T.UINT16, A.RW, 0xFFFF),
        AttributeDef(0x0014, "default_move_rate", T.UINT8, A.RW, 0xFF),
        AttributeDef(0x4000, "start_up_current_level", T.UINT8, A.RW, 0xFF),
    ),
    (
        CommandDef(0x00, "move_to_level", CLIENT_TO_SERVER, _MOVE_TO),
        CommandDef(0x01, "move", CLIENT_TO_SERVER, _MOVE),
        CommandDef(0x02, "step", CLIENT_TO_SERVER, _STEP),
        CommandDef(0x03, "stop", CLIENT_TO_SERVER, _OPTIONS),
        CommandDef(0x04, "move_to_level_with_on_off", CLIENT_TO_SERVER, _MOVE_TO),
        CommandDef(0x05, "move_with_on_off", CLIENT_TO_SERVER, _MOVE),
        CommandDef(0x06, "step_with_on_off", CLIENT_TO_SERVER, _STEP),
        CommandDef(0x07, "stop_with_on_off", CLIENT_TO_SERVER, _OPTIONS),
    ),
)


def may_run_while_off(cluster: ServerCluster, args: Args) -> bool:
    """Execute-if-off rule (ZCL 3.10.2.2.8, 5.2.2.2.1.1): a Level / Color command acts while
    the endpoint's On/Off is off only if the Options ExecuteIfOff bit, after OptionsMask /
    OptionsOverride, is set."""
    oo = cluster.endpoint.server(ON_OFF.id)
    if not isinstance(oo, OnOff) or oo.is_on:
        return True
    options = cluster.int_value("options")
    if "options_mask" in args and "options_override" in args:
        mask = args["options_mask"]
        options = (options & ~mask) | (args["options_override"] & mask)
    return bool(options & 0x01)


class OnOff(ServerCluster):
    """On/Off server (module docstring)."""

    DEFINITION = ON_OFF

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        self._timer: TimerHandle | None = None
        #: (effect identifier, variant) of each Off With Effect
        self.effects: list[tuple[int, int]] = []
        #: the global scene stored by Off With Effect: (on_off, current level or None)
        self.global_scene: tuple[bool, int | None] | None = None

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.off,
            0x01: self.on,
            0x02: self.toggle,
            0x40: self.off_with_effect,
            0x41: self.on_with_recall_global_scene,
            0x42: self.on_with_timed_off,
        }

    @property
    def is_on(self) -> bool:
        return self.get("on_off") is True

    def switch(self, on: bool) -> None:
        """Turn on or off as the On and Off commands do (also used by Level Control)."""
        if on:
            if self.int_value("on_time") == 0:
                self.set("off_wait_time", 0)
            self.set("global_scene_control", True)
        else:
            self.set("on_time", 0)
        self.set("on_off", on)
        self._run()

    def off(self, args: Args, req: Request) -> HandlerResult:
        self.switch(False)
        return None

    def on(self, args: Args, req: Request) -> HandlerResult:
        self.switch(True)
        return None

    def toggle(self, args: Args, req: Request) -> HandlerResult:
        self.switch(not self.is_on)
        return None

    def off_with_effect(self, args: Args, req: Request) -> HandlerResult:
        eff, var = args["effect_identifier"], args["effect_variant"]
        if not ((eff == 0 and var <= 2) or (eff == 1 and var == 0)):
            return ZclStatus.INVALID_FIELD
        self.effects.append((eff, var))
        if self.get("global_scene_control") is True:
            self.store_global_scene()
            self.set("global_scene_control", False)
        self.switch(False)
        return None

    def _scenes(self) -> Scenes | None:
        s = self.endpoint.server(SCENES.id)
        return s if isinstance(s, Scenes) else None

    def store_global_scene(self) -> None:
        """The endpoint's state into the global scene (the Scenes table's group 0 / scene 0
        when there is a Scenes cluster with room, else kept here)."""
        scenes = self._scenes()
        if scenes is not None and scenes.store_global():
            self.global_scene = None
            return
        level = self.endpoint.server(LEVEL_CONTROL.id)
        lv = level.int_value("current_level") if level is not None else None
        self.global_scene = (self.is_on, lv)

    def on_with_recall_global_scene(self, args: Args, req: Request) -> HandlerResult:
        if self.get("global_scene_control") is True:
            return None  # already recalled: discarded (3.8.2.3.5)
        scene = self.global_scene
        self.set("global_scene_control", True)
        scenes = self._scenes()
        if scene is None and scenes is not None and scenes.recall_global():
            return None
        if scene is not None:
            on, lv = scene
            level = self.endpoint.server(LEVEL_CONTROL.id)
            if lv is not None and level is not None:
                level.set("current_level", lv)
            self.switch(on)
        else:
            self.switch(True)
        return None

    def on_with_timed_off(self, args: Args, req: Request) -> HandlerResult:
        accept_only_when_on = args["on_off_control"] & 0x01
        on_time, off_wait = args["on_time"], args["off_wait_time"]
        if accept_only_when_on and not self.is_on:
            return None
        if self.int_value("off_wait_time") > 0 and not self.is_on:
            self.set("off_wait_time", min(self.int_value("off_wait_time"), off_wait))
        else:
            self.set("on_time", max(self.int_value("on_time"), on_time))
            self.set("off_wait_time", off_wait)
            self.set("on_off", True)
        self._run()
        return None

    # -- OnTime / OffWaitTime, every 1/10 s --------------------------------------------------

    def _active(self) -> bool:
        on_t, off_t = self.int_value("on_time"), self.int_value("off_wait_time")
        if on_t == FOREVER or off_t == FOREVER:
            return False
        return (self.is_on and on_t > 0) or (not self.is_on and off_t > 0)

    def _run(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._endpoint is not None and self._active():
            self._timer = self.endpoint.clock.call_later(TENTH, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.is_on:
            t = self.int_value("on_time")
            if t > 0:
                self.set("on_time", t - 1)
                if t - 1 == 0:
                    self.set("off_wait_time", 0)
                    self.set("on_off", False)
        else:
            t = self.int_value("off_wait_time")
            if t > 0:
                self.set("off_wait_time", t - 1)
        self._run()

    def on_written(self, a: AttributeDef, value: ZclValue) -> None:
        self._run()

    def apply_scene(self, values: Mapping[AttributeDef, ZclValue], transition_us: int) -> None:
        for a, v in values.items():
            if a.id == 0x0000 and isinstance(v, bool):
                self.switch(v)


class LevelControl(ServerCluster):
    """Level Control server (module docstring)."""

    DEFINITION = LEVEL_CONTROL

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        self._timer: TimerHandle | None = None
        self._from = 0
        self._to = 0
        self._t0 = 0
        self._duration = 0
        self._off_at_end = False

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.move_to_level,
            0x01: self.move,
            0x02: self.step,
            0x03: self.stop,
            0x04: self.move_to_level,
            0x05: self.move,
            0x06: self.step,
            0x07: self.stop,
        }

    @property
    def level(self) -> int:
        return self.int_value("current_level")

    @property
    def transitioning(self) -> bool:
        return self._timer is not None

    def _on_off(self) -> OnOff | None:
        s = self.endpoint.server(ON_OFF.id)
        return s if isinstance(s, OnOff) else None

    def _may_run(self, args: Args, with_on_off: bool) -> bool:
        return with_on_off or may_run_while_off(self, args)

    def _clamp(self, level: int) -> int:
        lo, hi = self.int_value("min_level"), self.int_value("max_level")
        return max(lo, min(hi, level))

    def _tenths(self, t: int) -> int:
        return self.int_value("on_off_transition_time") if t == FOREVER else t

    def move_to_level(self, args: Args, req: Request) -> HandlerResult:
        with_on_off = req.command.id == 0x04
        if not self._may_run(args, with_on_off):
            return None
        target = self._clamp(args["level"])
        self.go(target, self._tenths(args["transition_time"]) * TENTH, with_on_off)
        return None

    def move(self, args: Args, req: Request) -> HandlerResult:
        with_on_off = req.command.id == 0x05
        mode, rate = args["move_mode"], args["rate"]
        if mode not in (0, 1) or rate == 0:
            return ZclStatus.INVALID_FIELD
        if not self._may_run(args, with_on_off):
            return None
        if rate == 0xFF:
            rate = self.int_value("default_move_rate")
        target = self.int_value("max_level" if mode == 0 else "min_level")
        if rate in (0, 0xFF):
            duration = 0  # as fast as possible
        else:
            duration = abs(target - self.level) * 1_000_000 // rate
        self.go(target, duration, with_on_off)
        return None

    def step(self, args: Args, req: Request) -> HandlerResult:
        with_on_off = req.command.id == 0x06
        mode, size = args["step_mode"], args["step_size"]
        if mode not in (0, 1):
            return ZclStatus.INVALID_FIELD
        if not self._may_run(args, with_on_off):
            return None
        target = self._clamp(self.level + size if mode == 0 else self.level - size)
        t = args["transition_time"]
        self.go(target, 0 if t == FOREVER else t * TENTH, with_on_off)
        return None

    def stop(self, args: Args, req: Request) -> HandlerResult:
        if not self._may_run(args, req.command.id == 0x07):
            return None
        self.halt()
        return None

    # -- transitions ---------------------------------------------------------------------------

    def go(self, target: int, duration_us: int, with_on_off: bool = False) -> None:
        """Move CurrentLevel to ``target`` over ``duration_us`` of virtual time."""
        self.halt()
        oo = self._on_off() if with_on_off else None
        lo = self.int_value("min_level")
        if oo is not None and target > lo and not oo.is_on:
            oo.switch(True)
        self._off_at_end = oo is not None and target <= lo
        self._from, self._to = self.level, target
        self._t0 = self.endpoint.clock.now()
        self._duration = max(0, duration_us)
        self._tick()

    def apply_scene(self, values: Mapping[AttributeDef, ZclValue], transition_us: int) -> None:
        for a, v in values.items():
            if a.id == 0x0000 and isinstance(v, int):
                self.go(self._clamp(v), transition_us)

    def halt(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.set("remaining_time", 0)

    def _tick(self) -> None:
        self._timer = None
        elapsed = self.endpoint.clock.now() - self._t0
        if elapsed >= self._duration:
            self.set("current_level", self._to)
            self.set("remaining_time", 0)
            if self._off_at_end:
                oo = self._on_off()
                if oo is not None:
                    oo.switch(False)
            return
        span = self._to - self._from
        self.set("current_level", self._from + round(span * elapsed / self._duration))
        left = self._duration - elapsed
        self.set("remaining_time", min(0xFFFE, -(-left // TENTH)))
        self._timer = self.endpoint.clock.call_later(min(TENTH, left), self._tick)
