"""Run a scenario's ``[[faults]]`` and ``[[attackers]]`` on the simulator, and measure the
network's response to each fault (issue 9).

:class:`FaultRun` schedules every fault occurrence on the world's kernel (power, links,
frame loss, jammers, moves: :mod:`zigmesh.sim.faults`, :mod:`zigmesh.sim.jammer`) and places
the attackers (:mod:`zigmesh.sim.attacker`). At each occurrence's start and end it samples
network counters; after the run :meth:`FaultRun.summary` gives, per occurrence:

* ``messages_sent`` / ``messages_lost``: flow messages sent while the fault lasted (from its
  start to its end; an instantaneous fault, or one that never ends, counts until the end of
  the run or its next occurrence) and those never delivered;
* counters that moved while it lasted: ``mac_no_ack``, ``mac_channel_access_failures``,
  ``rejoins``, ``parent_losses``, ``route_discoveries``, ``frames_dropped`` (by a frame
  loss fault), ``frames_interfered`` (receptions lost to interference or collisions: the
  radios' ``rx_lost``) and ``jammed_s`` (interference);
* ``recovery_s``: from the fault's end (its start when it has none) until every flow that
  sent afterwards has delivered a message sent after it, i.e. the network's time to
  recover; ``recovered`` false (and ``not_recovered`` naming the flows) when some flow never
  delivered again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zigmesh.capture.pcap import read_pcap
from zigmesh.scenario.config import Scenario
from zigmesh.scenario.faults import AttackerSpec, FaultSpec
from zigmesh.scenario.health import network_health
from zigmesh.scenario.metrics import FlowStats
from zigmesh.sim.attacker import Attacker, Flood, add_jammer
from zigmesh.sim.faults import FrameLoss
from zigmesh.sim.jammer import Jammer
from zigmesh.sim.world import World

__all__ = ["FaultRun", "add_sections"]

_COUNTERS = (
    "mac_no_ack",
    "mac_channel_access_failures",
    "rejoins",
    "parent_losses",
    "route_discoveries",
    "frames_dropped",
    "frames_interfered",
)


def _s(us: int | None) -> float | None:
    return None if us is None else round(us / 1_000_000, 6)


class _Occurrence:
    """One occurrence of a fault: its window and the counters sampled at its ends."""

    __slots__ = ("fault", "start", "end", "before", "after", "jammer", "undo")

    def __init__(self, fault: FaultSpec, start: int, end: int | None) -> None:
        self.fault = fault
        self.start = start
        self.end = end
        self.before: dict[str, int] = {}
        self.after: dict[str, int] = {}
        self.jammer: Jammer | None = None
        #: what to restore at the end: (kind, payload)
        self.undo: list[tuple[Any, ...]] = []


class FaultRun:
    """The faults and attackers of ``scenario`` on ``world`` (see the module docstring)."""

    def __init__(self, world: World, scenario: Scenario, flows: Sequence[FlowStats]) -> None:
        self.world = world
        self.scenario = scenario
        self.flows = flows
        self.end_us = scenario.duration_us
        self._loss: FrameLoss | None = None
        self.occurrences: list[_Occurrence] = []
        self.attackers: list[tuple[AttackerSpec, Attacker, Flood | None]] = []
        #: per node: the layers' stats objects last sampled and their values; counts of
        #: the layers a power cycle replaced
        self._layers: dict[str, tuple[tuple[int, int], dict[str, int]]] = {}
        self._base: dict[str, dict[str, int]] = {}

    # -- scheduling ---------------------------------------------------------------------------

    def schedule(self) -> None:
        """Schedule every fault occurrence and place the attackers."""
        kernel = self.world.kernel
        for fault in self.scenario.faults:
            for start, end in fault.windows(self.end_us):
                occ = _Occurrence(fault, start, end)
                self.occurrences.append(occ)
                kernel.call_at(start, self._begin, occ)
                if end is not None and end < self.end_us:
                    kernel.call_at(end, self._finish, occ)
        for spec in self.scenario.attackers:
            self._attacker(spec)

    def _attacker(self, spec: AttackerSpec) -> None:
        world = self.world
        atk = Attacker(world, spec.position, tx_power_dbm=spec.tx_power_dbm, name=spec.name)
        flood: Flood | None = None
        if spec.kind == "jam":
            world.kernel.call_at(spec.start_us, self._start_jam, spec, atk)
        else:
            if spec.kind == "replay" and spec.pcap is not None:
                atk.record().extend(r.data for r in read_pcap(Path(spec.pcap)))
            flood = atk.flood(spec.kind, spec.rate_hz, start_us=spec.start_us, stop_us=spec.stop_us)
            world.kernel.call_at(spec.start_us, self._tune, atk)
        self.attackers.append((spec, atk, flood))

    def _channel(self) -> int:
        coord = self.world.coordinator
        return coord.nwk.nib.nwk_logical_channel if coord.joined else self.world.channel

    def _tune(self, atk: Attacker) -> None:
        """The attacker listens and sends on the network's channel (the coordinator may have
        picked it by energy scan)."""
        ch = self._channel()
        if atk.radio.channel != ch and atk.radio.state.name != "TX":
            atk.radio.channel = ch

    def _start_jam(self, spec: AttackerSpec, atk: Attacker) -> None:
        self._tune(atk)
        atk.jam(
            spec.power_dbm,
            channel=spec.channel if spec.channel is not None else self._channel(),
            duty_cycle=spec.duty_cycle,
            period_us=spec.period_us,
            stop_us=spec.stop_us,
        )

    # -- faults -------------------------------------------------------------------------------

    def _sample(self) -> dict[str, int]:
        """Network counters now, summed over the nodes. A power cycle gives a node fresh
        layers (counters from 0): what the old ones counted when last sampled is kept."""
        out = dict.fromkeys(_COUNTERS, 0)
        for node in self.world:
            m = node.mac.stats
            n = node.nwk.stats
            now = {
                "mac_no_ack": m.tx_no_ack,
                "mac_channel_access_failures": m.tx_channel_access_failures,
                "rejoins": n.rejoins,
                "parent_losses": n.parent_losses,
                "route_discoveries": n.route_discoveries,
            }
            ident = (id(m), id(n))
            seen = self._layers.get(node.name)
            base = self._base.setdefault(node.name, dict.fromkeys(now, 0))
            if seen is not None and seen[0] != ident:
                for k, v in seen[1].items():
                    base[k] += v
            self._layers[node.name] = (ident, now)
            for k, v in now.items():
                out[k] += base[k] + v
        if self._loss is not None:
            out["frames_dropped"] = self._loss.dropped
        out["frames_interfered"] = sum(r.rx_lost for r in self.world.radios.values())
        return out

    def _frame_loss(self) -> FrameLoss:
        if self._loss is None:
            self._loss = FrameLoss(self.world.medium, seed=self.world.seed)
        return self._loss

    def _begin(self, occ: _Occurrence) -> None:
        occ.before = self._sample()
        f = occ.fault
        world = self.world
        kind = f.kind
        if kind in ("power_off", "reboot"):
            for name in f.targets:
                world.power_off(name)
        elif kind == "power_on":
            for name in f.targets:
                world.power_on(name)
        elif kind == "link":
            medium = world.medium
            for a in f.targets:
                for b in f.peers:
                    if a == b:
                        continue
                    ra, rb = world.radios[a], world.radios[b]
                    occ.undo.append(("link", ra, rb, medium.link_attenuation(ra, rb)))
                    medium.set_link_attenuation(ra, rb, f.db)
        elif kind == "frame_loss":
            loss = self._frame_loss()
            if f.targets:
                for name in f.targets:
                    radio = world.radios[name]
                    occ.undo.append(("loss", radio, loss.node_loss(radio)))
                    loss.set_node(radio, f.probability)
            else:
                occ.undo.append(("loss", None, loss.global_p))
                loss.set_global(f.probability)
        elif kind == "interference":
            assert f.position is not None
            occ.jammer = add_jammer(
                world,
                f.position,
                f.power_dbm,
                channel=f.channel if f.channel is not None else self._channel(),
                duty_cycle=f.duty_cycle,
                period_us=f.period_us,
            )
            occ.jammer.start()
        elif kind == "move":
            for name in f.targets:
                radio = world.radios[name]
                old = radio.position
                occ.undo.append(("move", radio, old))
                if f.to is not None:
                    new = f.to
                else:
                    assert f.by is not None
                    new = (old[0] + f.by[0], old[1] + f.by[1], old[2] + f.by[2])
                world.medium.move(radio, new)

    def _finish(self, occ: _Occurrence) -> None:
        f = occ.fault
        world = self.world
        if f.kind in ("power_off", "reboot"):
            for name in f.targets:
                world.power_on(name)
        if occ.jammer is not None:
            occ.jammer.stop()
        for item in reversed(occ.undo):
            if item[0] == "link":
                world.medium.set_link_attenuation(item[1], item[2], item[3])
            elif item[0] == "loss":
                loss = self._frame_loss()
                if item[1] is None:
                    loss.set_global(item[2])
                else:
                    loss.set_node(item[1], item[2])
            elif item[0] == "move":
                world.medium.move(item[1], item[2])
        occ.after = self._sample()

    # -- results ------------------------------------------------------------------------------

    def summary(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``(faults, attackers)`` for ``summary.json`` (call after the run)."""
        now = self.world.now_us
        final = self._sample()
        faults: list[dict[str, Any]] = []
        by_fault: dict[int, list[_Occurrence]] = {}
        for occ in self.occurrences:
            by_fault.setdefault(occ.fault.index, []).append(occ)
        for f in self.scenario.faults:
            occs = by_fault.get(f.index, [])
            faults.append(
                {
                    "name": f.name,
                    "kind": f.kind,
                    "targets": list(f.targets),
                    **({"peers": list(f.peers)} if f.kind == "link" else {}),
                    **_parameters(f),
                    "at_s": _s(f.at_us),
                    "until_s": _s(f.until_us),
                    "every_s": _s(f.every_us),
                    "occurrences": [
                        self._response(o, occs[k + 1].start if k + 1 < len(occs) else now, final)
                        for k, o in enumerate(occs)
                        if o.before
                    ],
                }
            )
        attackers: list[dict[str, Any]] = []
        for spec, atk, flood in self.attackers:
            row: dict[str, Any] = {
                "name": spec.name,
                "kind": spec.kind,
                "position": list(spec.position),
                "start_s": _s(spec.start_us),
                "stop_s": _s(spec.stop_us),
                "rate_hz": spec.rate_hz if spec.kind != "jam" else None,
                "frames_sent": flood.sent if flood is not None else 0,
                "frames_heard": atk.sniffed,
                "queue_dropped": atk.queue_dropped,
            }
            if spec.kind == "jam":
                row["jammed_s"] = _s(sum(j.on_air_us for j in atk.jammers))
            if spec.pcap is not None:
                row["pcap"] = spec.pcap
            attackers.append(row)
        return faults, attackers

    def _response(self, occ: _Occurrence, next_start: int, final: dict[str, int]) -> dict[str, Any]:
        ref = occ.end if occ.end is not None and occ.end < self.end_us else occ.start
        lasted = occ.end is not None and occ.end < self.end_us
        stop = occ.end if lasted and occ.end is not None else next_start
        after = occ.after if occ.after else final
        sent = lost = 0
        recover: list[float] = []
        missing: list[str] = []
        for flow in self.flows:
            first: int | None = None
            any_after = False
            for _seq, _src, t, lat, _hops in flow.messages():
                if occ.start <= t < stop:
                    sent += 1
                    lost += lat is None
                if t >= ref:
                    any_after = True
                    if lat is not None and (first is None or t + lat < first):
                        first = t + lat
            if any_after:
                if first is None:
                    missing.append(flow.name)
                else:
                    recover.append((first - ref) / 1_000_000)
        row: dict[str, Any] = {
            "start_s": _s(occ.start),
            "end_s": _s(occ.end),
            "messages_sent": sent,
            "messages_lost": lost,
        }
        for k in _COUNTERS:
            row[k] = after.get(k, 0) - occ.before.get(k, 0)
        if occ.jammer is not None:
            row["jammed_s"] = _s(occ.jammer.on_air_us)
        row["recovered"] = not missing and bool(recover)
        row["recovery_s"] = round(max(recover), 3) if recover and not missing else None
        if missing:
            row["not_recovered"] = missing
        return row


def _parameters(f: FaultSpec) -> dict[str, Any]:
    if f.kind == "link":
        return {"db": None if math.isinf(f.db) else f.db, "cut": math.isinf(f.db)}
    if f.kind == "frame_loss":
        return {"probability": f.probability}
    if f.kind == "interference":
        return {
            "position": list(f.position or ()),
            "power_dbm": f.power_dbm,
            "duty_cycle": f.duty_cycle,
            "period_s": _s(f.period_us),
            "channel": f.channel,
        }
    if f.kind == "move":
        return {"to": list(f.to) if f.to else None, "by": list(f.by) if f.by else None}
    return {}


def add_sections(summary: dict[str, Any], run: FaultRun) -> None:
    """Add ``health`` (and ``per_node[].health``), ``faults`` and ``attackers`` (when the
    scenario has any) to a run's summary."""
    nodes, health = network_health(run.world, run.flows, run.end_us)
    for row in summary.get("per_node") or []:
        if row.get("name") in nodes:
            row["health"] = nodes[row["name"]]
    summary["health"] = health
    faults, attackers = run.summary()
    if faults:
        summary["faults"] = faults
    if attackers:
        summary["attackers"] = attackers
