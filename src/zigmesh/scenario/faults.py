"""Scenario ``[[faults]]`` and ``[[attackers]]`` tables: parsing into plain specs (issue 9).

A fault happens ``at`` a time, optionally lasts ``until`` a later one, and optionally repeats
``every`` period (each repetition shifted by it, up to the end of the run)::

    [[faults]]
    kind = "power_off"        # power_off | power_on | reboot | link | frame_loss | interference | move
    target = "light-3"        # a node, a group, a role, or an array of them; or
    # region = [x0, y0, x1, y1]   every node inside that rectangle (metres)
    at = "2m"
    until = "3m"              # power_off: back on then; link / frame_loss / interference /
                              # move: undone then; reboot: powered back on then (default 1 s)
    every = "10m"             # optional: repeat

Kinds and their keys: ``power_off`` / ``power_on`` / ``reboot`` (``target`` or ``region``;
a reboot is a power cycle with what the node's store kept), ``link`` (``between = [A, B]``,
each a selector or a region rectangle; ``db`` of extra attenuation on every link between the
two sets, or ``"cut"``), ``frame_loss`` (``probability`` 0-1; with ``target`` / ``region`` the
frames to and from those nodes, without it every frame), ``interference`` (a jammer:
``position``, ``power_dbm`` default 0, ``duty_cycle`` default 1, ``period`` default 10 ms,
``channel`` default the network's), ``move`` (``target`` / ``region`` and ``to = [x, y]`` or
``by = [dx, dy]``; back at ``until``). ``name`` labels any fault.

An attacker is a radio of its own (:mod:`zigmesh.sim.attacker`)::

    [[attackers]]
    kind = "beacon"           # beacon | beacon_request | association_request | data_request |
                              # replay | jam
    position = [8, 5]
    rate = 200                # frames per second (not for jam)
    start = "1m"              # default: 0
    stop = "2m"               # default: the end of the run
    # replay: pcap = "old.pcap" (relative to the scenario file), else what it heard
    # jam: power_dbm, duty_cycle, period, channel as for interference

Every error names the table and key (``faults[2].between[1]: no node, group or role named
'lamp'``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from zigmesh.phy import CHANNELS
from zigmesh.scenario.durations import ScenarioError, parse_duration
from zigmesh.scenario.values import (
    Point,
    _check_keys,
    _got,
    _int,
    _number,
    _path,
    _point,
    _ranged,
    _str,
    _table,
)
from zigmesh.sim.attacker import FLOOD_KINDS

if TYPE_CHECKING:
    from zigmesh.scenario.config import NodeSpec

__all__ = [
    "ATTACKER_KINDS",
    "FAULT_KINDS",
    "AttackerSpec",
    "FaultSpec",
    "parse_attackers",
    "parse_faults",
]

FAULT_KINDS = ("power_off", "power_on", "reboot", "link", "frame_loss", "interference", "move")
ATTACKER_KINDS = (*FLOOD_KINDS, "replay", "jam")
#: a reboot without ``until`` is off this long
DEFAULT_REBOOT_US = 1_000_000
DEFAULT_PERIOD_US = 10_000
MAX_FAULTS = 256
MAX_RATE_HZ = 1000.0

_COMMON = ("at", "every", "kind", "name", "until")
_KEYS: dict[str, tuple[str, ...]] = {
    "power_off": ("region", "target"),
    "power_on": ("region", "target"),
    "reboot": ("region", "target"),
    "link": ("between", "db"),
    "frame_loss": ("probability", "region", "target"),
    "interference": ("channel", "duty_cycle", "period", "position", "power_dbm"),
    "move": ("by", "region", "target", "to"),
}
_JAM_KEYS = ("channel", "duty_cycle", "period", "power_dbm")
_ATTACKER_KEYS = ("kind", "name", "pcap", "position", "rate", "start", "stop", "tx_power_dbm")
_ROUTER_WORDS = ("all_routers", "router", "routers")
_END_DEVICE_WORDS = ("all_end_devices", "end_device", "end_devices")

Region = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One ``[[faults]]`` table. ``targets``: node names (empty for a global frame loss and
    for interference); ``peers``: the other side of a ``link`` fault. Times in us."""

    index: int
    kind: str
    name: str
    at_us: int
    until_us: int | None = None
    every_us: int | None = None
    targets: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    db: float = 0.0
    probability: float = 0.0
    position: Point | None = None
    power_dbm: float = 0.0
    duty_cycle: float = 1.0
    period_us: int = DEFAULT_PERIOD_US
    channel: int | None = None
    to: Point | None = None
    by: Point | None = None

    def windows(self, end_us: int) -> list[tuple[int, int | None]]:
        """(start, end or None) of every occurrence before ``end_us``."""
        out: list[tuple[int, int | None]] = []
        t = self.at_us
        k = 0
        while t < end_us:
            until = None if self.until_us is None else self.until_us + k * (self.every_us or 0)
            out.append((t, until))
            if self.every_us is None:
                break
            k += 1
            t = self.at_us + k * self.every_us
        return out


@dataclass(frozen=True, slots=True)
class AttackerSpec:
    """One ``[[attackers]]`` table (times in us; ``rate_hz`` 0 for a jammer)."""

    index: int
    kind: str
    name: str
    position: Point
    start_us: int
    stop_us: int
    rate_hz: float = 0.0
    tx_power_dbm: float = 0.0
    pcap: str | None = None
    power_dbm: float = 0.0
    duty_cycle: float = 1.0
    period_us: int = DEFAULT_PERIOD_US
    channel: int | None = None


def _list(value: object, where: str, what: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScenarioError(where, f"must be an array of {what} tables, {_got(value)}")
    if len(value) > MAX_FAULTS:
        raise ScenarioError(where, f"at most {MAX_FAULTS} tables, got {len(value)}")
    return value


def _time(t: Mapping[str, object], key: str, where: str, duration_us: int) -> int:
    us = parse_duration(t[key], f"{where}.{key}")
    if not 0 <= us <= duration_us:
        raise ScenarioError(f"{where}.{key}", "must fall within the run (0 to its duration)")
    return us


class _Nodes:
    """Resolves selectors and regions to node names."""

    def __init__(self, nodes: Sequence[NodeSpec]) -> None:
        self.nodes = nodes
        self.names = {n.name for n in nodes}
        self.groups: dict[str, list[str]] = {}
        for n in nodes:
            if n.group is not None:
                self.groups.setdefault(n.group, []).append(n.name)

    def select(self, value: object, where: str) -> tuple[str, ...]:
        items: list[tuple[object, str]]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            items = [(v, f"{where}[{k}]") for k, v in enumerate(value)]
        elif isinstance(value, str):
            items = [(value, where)]
        else:
            raise ScenarioError(
                where, f"must be a node, group or role, or an array of them, {_got(value)}"
            )
        out: dict[str, None] = {}
        for sel, w in items:
            assert isinstance(sel, str)
            if sel in self.names:
                out[sel] = None
            elif sel == "coordinator":
                out.update(dict.fromkeys(n.name for n in self.nodes if n.role == "coordinator"))
            elif sel in _ROUTER_WORDS:
                out.update(dict.fromkeys(n.name for n in self.nodes if n.role == "router"))
            elif sel in _END_DEVICE_WORDS:
                out.update(dict.fromkeys(n.name for n in self.nodes if n.role == "end_device"))
            elif sel in self.groups:
                out.update(dict.fromkeys(self.groups[sel]))
            else:
                raise ScenarioError(w, f"no node, group or role named {sel!r}")
        if not out:
            raise ScenarioError(where, "selects no node")
        return tuple(out)

    def region(self, value: object, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) != 4:
            raise ScenarioError(
                where, f"must be a rectangle [x0, y0, x1, y1] in metres, {_got(value)}"
            )
        x0, y0, x1, y1 = (_number(v, f"{where}[{k}]") for k, v in enumerate(value))
        lo_x, hi_x = min(x0, x1), max(x0, x1)
        lo_y, hi_y = min(y0, y1), max(y0, y1)
        out = tuple(
            n.name
            for n in self.nodes
            if lo_x <= n.position[0] <= hi_x and lo_y <= n.position[1] <= hi_y
        )
        if not out:
            raise ScenarioError(where, "no node lies in that region")
        return out

    def side(self, value: object, where: str) -> tuple[str, ...]:
        """A ``link`` side: a selector or a region rectangle."""
        if (
            isinstance(value, list)
            and len(value) == 4
            and not any(isinstance(v, str) for v in value)
        ):
            return self.region(value, where)
        return self.select(value, where)


def parse_faults(
    value: object, nodes: Sequence[NodeSpec], duration_us: int
) -> tuple[FaultSpec, ...]:
    """The ``[[faults]]`` tables, checked against the scenario's nodes and duration."""
    sel = _Nodes(nodes)
    out: list[FaultSpec] = []
    for i, item in enumerate(_list(value, "faults", "[[faults]]")):
        out.append(_fault(_table(item, f"faults[{i}]"), i, sel, duration_us))
    return tuple(out)


def _fault(t: Mapping[str, object], i: int, sel: _Nodes, duration_us: int) -> FaultSpec:
    where = f"faults[{i}]"
    if "kind" not in t:
        raise ScenarioError(f"{where}.kind", f"missing (one of {', '.join(FAULT_KINDS)})")
    kind = _str(t["kind"], f"{where}.kind")
    if kind not in FAULT_KINDS:
        raise ScenarioError(
            f"{where}.kind", f"must be one of {', '.join(FAULT_KINDS)}, {_got(kind)}"
        )
    _check_keys(t, (*_COMMON, *_KEYS[kind]), where)
    name = _str(t["name"], f"{where}.name") if "name" in t else f"{kind}#{i + 1}"
    if "at" not in t:
        raise ScenarioError(f"{where}.at", "missing (when the fault happens, e.g. '2m')")
    at = _time(t, "at", where, duration_us)
    until = _time(t, "until", where, duration_us) if "until" in t else None
    if until is not None and until <= at:
        raise ScenarioError(f"{where}.until", "must come after 'at'")
    if until is not None and kind == "power_on":
        raise ScenarioError(f"{where}.until", "a power_on has no end (use power_off with until)")
    every = None
    if "every" in t:
        every = parse_duration(t["every"], f"{where}.every")
        if every <= 0:
            raise ScenarioError(f"{where}.every", f"must be positive, {_got(t['every'])}")
        span = (
            until if until is not None else at + (DEFAULT_REBOOT_US if kind == "reboot" else 0)
        ) - at
        if every <= span:
            raise ScenarioError(
                f"{where}.every", "must be longer than the fault lasts (until - at)"
            )
    if kind == "reboot" and until is None:
        until = min(at + DEFAULT_REBOOT_US, duration_us)
    targets: tuple[str, ...] = ()
    if kind in ("power_off", "power_on", "reboot", "frame_loss", "move"):
        if "target" in t and "region" in t:
            raise ScenarioError(where, "give either target or region, not both")
        if "target" in t:
            targets = sel.select(t["target"], f"{where}.target")
        elif "region" in t:
            targets = sel.region(t["region"], f"{where}.region")
        elif kind != "frame_loss":
            raise ScenarioError(f"{where}.target", "missing (a node, group or role; or a region)")
    spec = FaultSpec(i, kind, name, at, until, every, targets)
    if kind == "link":
        return _link(t, where, spec, sel)
    if kind == "frame_loss":
        if "probability" not in t:
            raise ScenarioError(f"{where}.probability", "missing (0 to 1)")
        p = _ranged(t["probability"], f"{where}.probability", 0.0, 1.0)
        return _replace(spec, probability=p)
    if kind == "interference":
        if "position" not in t:
            raise ScenarioError(f"{where}.position", "missing (where the jammer is, [x, y])")
        return _replace(spec, position=_point(t["position"], f"{where}.position"), **_jam(t, where))
    if kind == "move":
        if ("to" in t) == ("by" in t):
            raise ScenarioError(where, "give exactly one of to = [x, y] or by = [dx, dy]")
        if "to" in t:
            return _replace(spec, to=_point(t["to"], f"{where}.to"))
        return _replace(spec, by=_point(t["by"], f"{where}.by"))
    return spec


def _replace(spec: FaultSpec, **kw: object) -> FaultSpec:
    return replace(spec, **kw)  # type: ignore[arg-type]


def _link(t: Mapping[str, object], where: str, spec: FaultSpec, sel: _Nodes) -> FaultSpec:
    between = t.get("between")
    if not isinstance(between, list) or len(between) != 2:
        raise ScenarioError(
            f"{where}.between",
            f"must be [A, B]: two nodes, groups, roles or regions, {_got(between)}",
        )
    a = sel.side(between[0], f"{where}.between[0]")
    b = sel.side(between[1], f"{where}.between[1]")
    if "db" not in t:
        raise ScenarioError(f"{where}.db", 'missing (extra attenuation in dB, or "cut")')
    raw = t["db"]
    if raw == "cut" or (isinstance(raw, float) and math.isinf(raw) and raw > 0):
        db = math.inf
    else:
        db = _ranged(raw, f"{where}.db", 0.0, 1000.0, ' dB (or "cut")')
    if set(a) & set(b) and len(a) == 1 and a == b:
        raise ScenarioError(f"{where}.between", "a link needs two different nodes")
    return _replace(spec, targets=a, peers=b, db=db)


def _jam(t: Mapping[str, object], where: str) -> dict[str, object]:
    out: dict[str, object] = {}
    if "power_dbm" in t:
        out["power_dbm"] = _ranged(t["power_dbm"], f"{where}.power_dbm", -40.0, 30.0, " dBm")
    if "duty_cycle" in t:
        d = _ranged(t["duty_cycle"], f"{where}.duty_cycle", 0.0, 1.0)
        if d <= 0.0:
            raise ScenarioError(f"{where}.duty_cycle", "must be above 0")
        out["duty_cycle"] = d
    if "period" in t:
        p = parse_duration(t["period"], f"{where}.period")
        if not 100 <= p <= 60_000_000:
            raise ScenarioError(f"{where}.period", "must be between 100us and 1m")
        out["period_us"] = p
    if "channel" in t:
        out["channel"] = _int(
            t["channel"],
            f"{where}.channel",
            CHANNELS.start,
            CHANNELS.stop - 1,
            "an integer from 11 to 26",
        )
    return out


def parse_attackers(value: object, duration_us: int, source: str = "") -> tuple[AttackerSpec, ...]:
    """The ``[[attackers]]`` tables; a relative ``pcap`` is taken relative to the scenario
    file's directory (``source``) when that is a file."""
    out: list[AttackerSpec] = []
    for i, item in enumerate(_list(value, "attackers", "[[attackers]]")):
        where = f"attackers[{i}]"
        t = _table(item, where)
        if "kind" not in t:
            raise ScenarioError(f"{where}.kind", f"missing (one of {', '.join(ATTACKER_KINDS)})")
        kind = _str(t["kind"], f"{where}.kind")
        if kind not in ATTACKER_KINDS:
            raise ScenarioError(
                f"{where}.kind", f"must be one of {', '.join(ATTACKER_KINDS)}, {_got(kind)}"
            )
        _check_keys(t, (*_ATTACKER_KEYS, *(_JAM_KEYS if kind == "jam" else ())), where)
        if "position" not in t:
            raise ScenarioError(f"{where}.position", "missing (where the attacker is, [x, y])")
        pos = _point(t["position"], f"{where}.position")
        start = _time(t, "start", where, duration_us) if "start" in t else 0
        stop = _time(t, "stop", where, duration_us) if "stop" in t else duration_us
        if stop <= start:
            raise ScenarioError(f"{where}.stop", "must come after start")
        rate = 0.0
        if kind != "jam":
            if "rate" not in t:
                raise ScenarioError(f"{where}.rate", "missing (frames per second)")
            rate = _ranged(t["rate"], f"{where}.rate", 0.0, MAX_RATE_HZ, " frames/s")
            if rate <= 0.0:
                raise ScenarioError(f"{where}.rate", "must be above 0")
        elif "rate" in t:
            raise ScenarioError(f"{where}.rate", "a jammer has no rate (use duty_cycle)")
        pcap = None
        if "pcap" in t:
            if kind != "replay":
                raise ScenarioError(f"{where}.pcap", "only a replay attacker reads a pcap")
            pcap = _path(t["pcap"], f"{where}.pcap")
            if not os.path.isabs(pcap) and os.path.isfile(source):
                pcap = os.path.join(os.path.dirname(source), pcap)
            if not os.path.isfile(pcap):
                raise ScenarioError(f"{where}.pcap", f"no such file: {pcap}")
        txp = (
            _ranged(t["tx_power_dbm"], f"{where}.tx_power_dbm", -40.0, 30.0, " dBm")
            if "tx_power_dbm" in t
            else 0.0
        )
        name = _str(t["name"], f"{where}.name") if "name" in t else f"{kind}#{i + 1}"
        jam = _jam(t, where) if kind == "jam" else {}
        spec = AttackerSpec(i, kind, name, pos, start, stop, rate, txp, pcap)
        if jam:
            spec = replace(spec, **jam)  # type: ignore[arg-type]
        out.append(spec)
    return tuple(out)
