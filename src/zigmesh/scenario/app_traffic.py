"""The application side of a scenario run (issue #8): devices, the hub, bindings, groups and
the ``[[traffic]]`` actions, and their outcomes for ``summary.json``.

When a scenario has devices, :class:`AppRun` puts on the coordinator a
:class:`~zigmesh.app.hub.Hub` (endpoint 1: it interviews each device after its Device_annce,
binds it to itself, configures reporting and enrolls IAS zones) and on every node with a
``device`` that device type's endpoint 1 (Basic ManufacturerName ``zigmesh``, ModelIdentifier
the device type's name). ``[[groups]]`` and ``[[bindings]]`` are installed on the devices as
an installer would have commissioned them: group membership through the device's Groups
cluster (the APS group table), bindings in the source's APS binding table (to the target's
IEEE address and endpoint 1, or to the group).

A device announces itself (Device_annce) when it joins; one the hub has not started to
interview (its ZDO answered no Node_Desc_req) :data:`ANNOUNCE_AGAIN_US` later announces itself
again, up to :data:`MAX_ANNOUNCES` times: the broadcast can be lost (a router's broadcast
transaction table full while the whole house joins), and a device left out of the hub is what
a user would notice. A sleepy device polls its parent fast (the APS response poll rate) from when it joins until
the hub's interview of it is over (at most :data:`INTERVIEW_FAST_POLL_US`), as Zigbee 3.0
end devices do while a hub interviews them; otherwise the hub's requests would wait a whole
poll period in the parent, and expire there past 7.68 s.

Actions (each source every ``every``, sources spread over a period):

* ``toggle`` / ``level``: the switch sends On/Off Toggle / Level Control Move to Level (with
  On/Off; a level drawn from the action's random source, transition 0) through its binding
  (APS indirect: one frame per bound light, or one groupcast).
* ``random_walk``: the measured attribute moves by up to ``step`` (uniform, rounded) within
  [min, max]; ``daily``: it follows ``min + (max - min) (1 - cos 2 pi t / cycle) / 2``. The
  device's reporting engine reports the changes to the hub as configured.
* ``open_close``: the IAS zone's Alarm1 bit flips (a zone status change notification to the
  hub's CIE once enrolled).
* ``lock``: the hub sends Lock Door / Unlock Door in turn to the lock's endpoint 1, with the
  PIN of the lock's user 0 (:data:`LOCK_PIN`, set at the lock's keypad: the lock requires a
  PIN over the air by default).

Outcomes: a command counts as *acted on* by a target when it changes the target's state
(On/Off, current level, lock state); its latency is from the press (the switch's send, or
the hub's for a lock) to that change, matched by source node and cluster to the source's
latest press the target has not acted on yet.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from zigmesh.app.hub import Hub, InterviewState
from zigmesh.aps.binding import BindingEntry
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.node import Role
from zigmesh.scenario.app_config import ActionSpec, action_rng
from zigmesh.scenario.config import Scenario
from zigmesh.scenario.metrics import ieee_text, percentiles
from zigmesh.sim.world import World
from zigmesh.zcl.cluster import ServerCluster
from zigmesh.zcl.clusters.closures import DOOR_LOCK, DoorLock, PinUser
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF
from zigmesh.zcl.clusters.general import GROUPS, Groups
from zigmesh.zcl.clusters.security import IAS_ZONE, IasZone
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import DEVICE_TYPES
from zigmesh.zcl.engine import ZclEndpoint, ZclEvent
from zigmesh.zcl.frame import Direction, FrameType

__all__ = [
    "AppRun",
    "ANNOUNCE_AGAIN_US",
    "DEVICE_ENDPOINT",
    "MAX_ANNOUNCES",
    "HUB_ENDPOINT",
    "INTERVIEW_FAST_POLL_US",
    "LOCK_PIN",
]

#: endpoint of every scenario device, and of the hub on the coordinator
DEVICE_ENDPOINT = 1
HUB_ENDPOINT = 1
#: longest fast-poll window of a sleepy device waiting for its interview
INTERVIEW_FAST_POLL_US = 120_000_000
#: a device the hub has not interviewed announces itself again this long after the last time
ANNOUNCE_AGAIN_US = 15_000_000
MAX_ANNOUNCES = 3
#: how often the runner looks for newly joined sleepy devices / finished interviews
_TICK_US = 500_000
#: state attribute of each cluster a command acts on
_STATE = {ON_OFF.id: "on_off", LEVEL_CONTROL.id: "current_level", DOOR_LOCK.id: "lock_state"}
_MANUFACTURER = "zigmesh"
#: the PIN of user 0 of every door lock, which the hub sends with Lock / Unlock Door
LOCK_PIN = b"1234"


@dataclass(slots=True)
class _Press:
    t_us: int
    source: str
    cluster: int
    targets: tuple[str, ...]
    action: int
    acted: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _ActionStats:
    spec: ActionSpec
    sent: int = 0
    skipped: int = 0
    expected: int = 0
    acted_on: int = 0
    latencies_us: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        s = self.spec
        out: dict[str, Any] = {
            "name": s.name,
            "action": s.action,
            "from": list(s.sources),
            "period_s": round(s.period_us / 1e6, 6),
            "sent": self.sent,
            "skipped": self.skipped,
        }
        if s.action in ("toggle", "level", "lock"):
            out["expected"] = self.expected
            out["acted_on"] = self.acted_on
            out["acted_on_ratio"] = (
                round(self.acted_on / self.expected, 4) if self.expected else None
            )
            out["latency_ms"] = _latency(self.latencies_us)
        return out


@dataclass(slots=True)
class _DeviceStats:
    name: str
    device: str
    endpoint: ZclEndpoint
    commands_sent: int = 0
    commands_received: int = 0
    acted_on: int = 0
    changes: int = 0
    latencies_us: list[int] = field(default_factory=list)
    fast_poll: bool = False
    #: when it joined or last announced itself again; how many times it did
    announced_us: int | None = None
    reannounced: int = 0


def _latency(values_us: list[int]) -> dict[str, float | None]:
    ms = [v / 1000.0 for v in values_us]
    out: dict[str, float | None] = {
        k: None if v is None else round(v, 3) for k, v in percentiles(ms).items()
    }
    out["mean"] = round(sum(ms) / len(ms), 3) if ms else None
    out["max"] = round(max(ms), 3) if ms else None
    return out


class AppRun:
    """Devices, hub, bindings, groups and actions of one run (module docstring)."""

    def __init__(self, world: World, scenario: Scenario) -> None:
        self.world = world
        self.scenario = scenario
        self.hub: Hub | None = None
        self.devices: dict[str, _DeviceStats] = {}
        self.actions = [_ActionStats(a) for a in scenario.actions]
        self._presses: dict[tuple[str, int], list[_Press]] = {}
        #: source -> cluster -> target node names (from the bindings and groups)
        self._targets: dict[str, dict[int, tuple[str, ...]]] = {}
        self._lock_next: dict[str, bool] = {}

    @property
    def enabled(self) -> bool:
        return self.scenario.has_devices

    # -- set-up ------------------------------------------------------------------------------

    def create(self) -> None:
        """The hub and every device endpoint (call after the nodes are added, before running)."""
        if not self.enabled:
            return
        world = self.world
        self.hub = Hub(world.coordinator, HUB_ENDPOINT)
        for spec in self.scenario.nodes:
            if spec.device is None:
                continue
            dt = DEVICE_TYPES[spec.device]
            ep = dt.create(
                world[spec.name],
                DEVICE_ENDPOINT,
                {"basic": {"manufacturer_name": _MANUFACTURER, "model_identifier": dt.name}},
            )
            ep.listeners.append(self._watch(spec.name))
            lock = ep.servers.get(DOOR_LOCK.id)
            if isinstance(lock, DoorLock):  # its owner set a PIN at the keypad
                lock.users[0] = PinUser(1, 0, LOCK_PIN)
            self.devices[spec.name] = _DeviceStats(spec.name, dt.name, ep)
        members: dict[int, tuple[str, ...]] = {}
        for g in self.scenario.groups:
            members[g.id] = g.members
            for m in g.members:
                grp = self.devices[m].endpoint.servers[GROUPS.id]
                cast(Groups, grp).add(g.id)
        for b in self.scenario.bindings:
            src = world[b.source]
            targets = members[b.group] if b.group is not None else (cast(str, b.target),)
            for cid in b.clusters:
                if b.group is not None:
                    entry = BindingEntry(
                        src.eui64, DEVICE_ENDPOINT, cid, ApsAddrMode.GROUP, b.group
                    )
                else:
                    dst = world[cast(str, b.target)]
                    entry = BindingEntry(
                        src.eui64,
                        DEVICE_ENDPOINT,
                        cid,
                        ApsAddrMode.IEEE,
                        dst.eui64,
                        DEVICE_ENDPOINT,
                    )
                src.aps.binding_table.add(entry)
                per = self._targets.setdefault(b.source, {})
                per[cid] = tuple(dict.fromkeys((*per.get(cid, ()), *targets)))

    def schedule(self) -> None:
        if not self.enabled:
            return
        clock = self.world.kernel
        clock.call_at(_TICK_US, self._tick)
        for ai, a in enumerate(self.actions):
            for si, src in enumerate(a.spec.sources):
                rng = action_rng(self.scenario.seed, ai, src)
                first = a.spec.first_time_us(si)
                clock.call_at(first, self._act, ai, src, rng, first)

    def _tick(self) -> None:
        """Device application housekeeping every :data:`_TICK_US`: a sleepy device polls
        fast from its join until the hub's interview of it is over; a device the hub has not
        started to interview (its ZDO answered no Node_Desc_req) :data:`ANNOUNCE_AGAIN_US`
        after it joined or last announced itself announces itself again, at most
        :data:`MAX_ANNOUNCES` times."""
        hub = self.hub
        assert hub is not None
        now = self.world.now_us
        pending = False
        for d in self.devices.values():
            node = self.world[d.name]
            if not node.joined:
                pending = True
                continue
            if d.announced_us is None:
                d.announced_us = now
                if node.role == Role.END_DEVICE:
                    d.fast_poll = True
                    node.aps.expect_response(INTERVIEW_FAST_POLL_US, self)
            if d.fast_poll:
                rec = hub.device(node.eui64)
                if rec is not None and rec.interview in (
                    InterviewState.DONE,
                    InterviewState.FAILED,
                ):
                    node.aps.expect_response(0, self)
                    d.fast_poll = False
            interviewed = node.zdo.stats.answered.get("NODE_DESC_REQ", 0) > 0
            if not interviewed and d.reannounced < MAX_ANNOUNCES:
                pending = True
                if now - d.announced_us >= ANNOUNCE_AGAIN_US:
                    node.zdo.device_annce()
                    d.reannounced += 1
                    d.announced_us = now
            pending = pending or d.fast_poll
        if pending and now + _TICK_US < self.scenario.duration_us:
            self.world.kernel.call_at(now + _TICK_US, self._tick)

    # -- actions -----------------------------------------------------------------------------

    def _act(self, ai: int, src: str, rng: random.Random, t_us: int) -> None:
        stats = self.actions[ai]
        spec = stats.spec
        nxt = t_us + spec.period_us
        if nxt < spec.stop_us:
            self.world.kernel.call_at(nxt, self._act, ai, src, rng, nxt)
        node = self.world[src]
        dev = self.devices[src]
        if not (node.joined and self.world.is_powered(node)):
            stats.skipped += 1
            return
        ep = dev.endpoint
        if spec.action in ("toggle", "level"):
            cid = ON_OFF.id if spec.action == "toggle" else LEVEL_CONTROL.id
            client = ep.clients[cid]
            if spec.action == "toggle":
                client.command(Destination.bound(), "toggle")
            else:
                level = rng.randint(1, 254)
                client.command(
                    Destination.bound(),
                    "move_to_level_with_on_off",
                    {"level": level, "transition_time": 0},
                )
            self._press(ai, src, cid, self._targets.get(src, {}).get(cid, ()), t_us)
            dev.commands_sent += 1
        elif spec.action == "lock":
            hub = self.hub
            assert hub is not None
            lock = self._lock_next.get(src, True)
            self._lock_next[src] = not lock
            hub.endpoint.clients[DOOR_LOCK.id].command(
                Destination.short(node.network_address, DEVICE_ENDPOINT),
                "lock_door" if lock else "unlock_door",
                {"pin_code": LOCK_PIN},
            )
            self._press(ai, self.world.coordinator.name, DOOR_LOCK.id, (src,), t_us)
        elif spec.action == "open_close":
            zone = cast(IasZone, ep.servers[IAS_ZONE.id])
            zone.set_status(zone.int_value("zone_status") ^ 0x0001)
            stats.sent += 1
            dev.changes += 1
        else:
            assert spec.cluster is not None and spec.attribute is not None
            server = ep.servers[spec.cluster]
            value = self._next_value(spec, server, rng, t_us)
            if server.set(spec.attribute, value):
                dev.changes += 1
            stats.sent += 1

    @staticmethod
    def _next_value(spec: ActionSpec, server: ServerCluster, rng: random.Random, t_us: int) -> int:
        assert spec.attribute is not None
        if spec.action == "daily":
            phase = 2.0 * math.pi * (t_us % spec.cycle_us) / spec.cycle_us
            return round(spec.low + (spec.high - spec.low) * (1.0 - math.cos(phase)) / 2.0)
        cur = server.get(spec.attribute)
        base = (
            cur
            if isinstance(cur, int) and spec.low <= cur <= spec.high
            else ((spec.low + spec.high) // 2)
        )
        return min(max(base + round(rng.uniform(-spec.step, spec.step)), spec.low), spec.high)

    def _press(self, ai: int, source: str, cid: int, targets: tuple[str, ...], t_us: int) -> None:
        stats = self.actions[ai]
        stats.sent += 1
        stats.expected += len(targets)
        log = self._presses.setdefault((source, cid), [])
        log.append(_Press(t_us, source, cid, targets, ai))
        if len(log) > 64:
            del log[0]

    # -- observing the targets -----------------------------------------------------------------

    def _watch(self, name: str) -> Callable[[ZclEvent], None]:
        def on_frame(ev: ZclEvent) -> None:
            h = ev.header
            cid = ev.indication.cluster_id
            if (
                h.frame_type != FrameType.CLUSTER_SPECIFIC
                or h.direction != Direction.CLIENT_TO_SERVER
                or cid not in _STATE
            ):
                return
            dev = self.devices[name]
            server = dev.endpoint.servers.get(cid)
            if server is None:
                return
            dev.commands_received += 1
            before = server.get(_STATE[cid])
            # the cluster's handler runs right after the listeners: look once it has
            self.world.kernel.call_at(
                self.world.now_us, self._after, name, cid, ev.indication.src_address, before
            )

        return on_frame

    def _after(self, name: str, cid: int, src_address: int, before: object) -> None:
        dev = self.devices[name]
        server = dev.endpoint.servers[cid]
        if server.get(_STATE[cid]) == before:
            return
        source = self.world.by_address(src_address)
        if source is None:
            return
        log = self._presses.get((source.name, cid), [])
        for press in reversed(log):
            if name in press.targets and name not in press.acted:
                press.acted.add(name)
                latency = self.world.now_us - press.t_us
                dev.acted_on += 1
                dev.latencies_us.append(latency)
                stats = self.actions[press.action]
                stats.acted_on += 1
                stats.latencies_us.append(latency)
                return

    # -- outcomes ------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any] | None:
        """``summary.json`` ``app``: the hub registry, per-device outcomes, per-action
        outcomes (None when the scenario has no device)."""
        if not self.enabled or self.hub is None:
            return None
        hub = self.hub
        devices = []
        times: list[float] = []
        done = failed = 0
        for spec in self.scenario.nodes:
            d = self.devices.get(spec.name)
            if d is None:
                continue
            node = self.world[spec.name]
            rec = hub.device(node.eui64)
            state = "not announced" if rec is None else rec.interview.value
            took = None if rec is None or rec.interview_time_us is None else rec.interview_time_us
            if took is not None:
                times.append(took / 1e6)
            done += state == InterviewState.DONE.value
            failed += state == InterviewState.FAILED.value
            zcl = d.endpoint.stats
            devices.append(
                {
                    "name": d.name,
                    "device": d.device,
                    "ieee": ieee_text(node.eui64),
                    "interview": {
                        "state": state,
                        "completed": state == InterviewState.DONE.value,
                        "started_s": _opt_s(None if rec is None else rec.interview_started_us),
                        "done_s": _opt_s(None if rec is None else rec.interview_done_us),
                        "duration_s": _opt_s(took),
                        "step": None
                        if rec is None or not rec.interview_step
                        else rec.interview_step,
                    },
                    "commands_sent": d.commands_sent,
                    "commands_received": d.commands_received,
                    "acted_on": d.acted_on,
                    "latency_ms": _latency(d.latencies_us),
                    "changes": d.changes,
                    "reports_sent": zcl.reports_sent,
                    "reports_at_hub": 0 if rec is None else rec.reports,
                    "alarms_at_hub": 0 if rec is None else len(rec.alarms),
                }
            )
        all_lat = [v for a in self.actions for v in a.latencies_us]
        return {
            "interviews": {
                "devices": len(devices),
                "completed": done,
                "failed": failed,
                "duration_s": {
                    k: None if v is None else round(v, 6) for k, v in percentiles(times).items()
                }
                | {"max": round(max(times), 6) if times else None},
            },
            "commands": {
                "sent": sum(a.sent for a in self.actions if a.spec.action in _COMMAND_ACTIONS),
                "expected": sum(a.expected for a in self.actions),
                "acted_on": sum(a.acted_on for a in self.actions),
                "latency_ms": _latency(all_lat),
            },
            "reports_at_hub": sum(r.reports for r in hub.devices.values()),
            "devices": devices,
            "actions": [a.to_dict() for a in self.actions],
            # as written to summary.json (endpoint keys as strings)
            "hub": json.loads(json.dumps(hub.summary())),
        }


_COMMAND_ACTIONS = ("toggle", "level", "lock")


def _opt_s(us: int | None) -> float | None:
    return None if us is None else round(us / 1e6, 6)
