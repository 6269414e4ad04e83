"""Scenario application keys (issue #8): ``device`` on nodes, ``[[groups]]``, ``[[bindings]]``
and application actions in ``[[traffic]]`` (``action = ...``), validated into plain data.

:mod:`zigmesh.scenario.config` calls these while it parses a scenario (its docstring documents
the keys); :mod:`zigmesh.scenario.app_traffic` runs them.
"""

from __future__ import annotations

import difflib
import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from zigmesh.scenario.durations import ScenarioError, format_duration, parse_duration
from zigmesh.zcl.cluster import ServerCluster
from zigmesh.zcl.clusters.closures import DOOR_LOCK
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF
from zigmesh.zcl.clusters.energy import ELECTRICAL_MEASUREMENT, METERING
from zigmesh.zcl.clusters.general import GROUPS
from zigmesh.zcl.clusters.hvac import THERMOSTAT
from zigmesh.zcl.clusters.lighting import COLOR_CONTROL
from zigmesh.zcl.clusters.measurement import (
    ILLUMINANCE_MEASUREMENT,
    PRESSURE_MEASUREMENT,
    RELATIVE_HUMIDITY,
    TEMPERATURE_MEASUREMENT,
)
from zigmesh.zcl.clusters.security import IAS_ZONE
from zigmesh.zcl.definitions import ClusterDef
from zigmesh.zcl.devices import DEVICE_TYPES, DeviceType

__all__ = [
    "ACTIONS",
    "ActionSpec",
    "BindingSpec",
    "GroupSpec",
    "MEASURED",
    "Measured",
    "action_rng",
    "client_clusters",
    "server_clusters",
]

#: application actions a ``[[traffic]]`` table may name
ACTIONS = ("toggle", "level", "random_walk", "daily", "open_close", "lock")
#: cluster names a binding may carry (commands a switch / controller sends)
BINDABLE: Mapping[str, ClusterDef] = {
    c.name: c for c in (ON_OFF, LEVEL_CONTROL, COLOR_CONTROL, DOOR_LOCK)
}


@dataclass(frozen=True, slots=True)
class Measured:
    """A measured attribute an action drives: its defaults (attribute units)."""

    cluster: ClusterDef
    attribute: str
    start: int
    step: int
    low: int
    high: int


#: clusters a ``random_walk`` / ``daily`` action can drive, in the order one is picked when
#: the table names none (the first server cluster of the device in this list)
MEASURED: tuple[Measured, ...] = (
    Measured(TEMPERATURE_MEASUREMENT, "measured_value", 2100, 40, 1500, 3000),
    Measured(RELATIVE_HUMIDITY, "measured_value", 4500, 150, 2000, 8000),
    Measured(ILLUMINANCE_MEASUREMENT, "measured_value", 5000, 800, 0, 40000),
    Measured(PRESSURE_MEASUREMENT, "measured_value", 1013, 4, 950, 1050),
    Measured(THERMOSTAT, "local_temperature", 2050, 30, 1500, 3000),
    Measured(ELECTRICAL_MEASUREMENT, "active_power", 60, 25, 0, 3000),
    Measured(METERING, "instantaneous_demand", 60, 25, 0, 3000),
)
_MEASURED_BY_NAME = {m.cluster.name: m for m in MEASURED}


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A ``[[groups]]`` table: a ZCL group (id, name) and the nodes whose device endpoint is
    a member."""

    id: int
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """A ``[[bindings]]`` entry for one source node: its device endpoint's ``clusters`` bound
    to the device endpoint of ``target`` (a node) or to ``group`` (a group id)."""

    source: str
    clusters: tuple[int, ...]
    target: str | None = None
    group: int | None = None


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An application action of ``[[traffic]]`` (``action = ...``): each source acts every
    ``period_us`` from its first time while before ``stop_us`` (sources spread evenly over a
    period, as byte flows). ``cluster`` / ``attribute`` / ``step`` / ``low`` / ``high`` /
    ``cycle_us`` are for ``random_walk`` and ``daily``."""

    name: str
    action: str
    sources: tuple[str, ...]
    period_us: int
    start_us: int
    stop_us: int
    cluster: int | None = None
    attribute: str | None = None
    step: int = 0
    low: int = 0
    high: int = 0
    cycle_us: int = 0

    def first_time_us(self, source_index: int) -> int:
        return self.start_us + source_index * self.period_us // len(self.sources)

    def times_us(self, source_index: int) -> range:
        return range(self.first_time_us(source_index), self.stop_us, self.period_us)


def action_rng(seed: int, action_index: int, source: str) -> random.Random:
    """The random source of one action at one node: SHA-256 of the scenario seed, the action's
    index among the actions and the node name (levels, random walks)."""
    data = f"zigmesh.scenario.action:{seed}:{action_index}:{source}".encode()
    return random.Random(int.from_bytes(hashlib.sha256(data).digest(), "little"))


def _server(spec: Callable[[], ServerCluster] | ClusterDef) -> ServerCluster:
    return ServerCluster(spec) if isinstance(spec, ClusterDef) else spec()


@cache
def server_clusters(device: str) -> frozenset[int]:
    """Server (input) cluster ids of a device type."""
    return frozenset(_server(s).cluster_id for s in DEVICE_TYPES[device].servers)


@cache
def client_clusters(device: str) -> frozenset[int]:
    """Client (output) cluster ids of a device type."""
    return frozenset(c.id for c in DEVICE_TYPES[device].clients)


def device_type(value: object, where: str) -> DeviceType:
    """A node's ``device``: one of :data:`~zigmesh.zcl.devices.DEVICE_TYPES`."""
    names = sorted(DEVICE_TYPES)
    if not isinstance(value, str) or value not in DEVICE_TYPES:
        hint = difflib.get_close_matches(str(value), names, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ScenarioError(
            where, f"must be a device type, one of {', '.join(names)}; got {value!r}{extra}"
        )
    return DEVICE_TYPES[value]


# --- the parser of the application tables ------------------------------------------------

_GROUP_KEYS = ("id", "members", "name")
_BINDING_KEYS = ("clusters", "from", "group", "to")
ACTION_KEYS = (
    "action",
    "cluster",
    "cycle",
    "every",
    "from",
    "max",
    "min",
    "name",
    "start",
    "step",
    "stop",
)
#: the group ids a scenario may use (0xFFF8-0xFFFF are reserved)
GROUP_IDS = range(0x0001, 0xFFF8)


def _keys(t: Mapping[str, object], allowed: Sequence[str], where: str) -> None:
    for key in t:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ScenarioError(
                f"{where}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))}){extra}"
            )


def _names(value: object, where: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(value, where)]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [(str(v), f"{where}[{k}]") for k, v in enumerate(value)]
    raise ScenarioError(
        where, f"must be a node name, a node group or an array of them, got {value!r}"
    )


def _int_value(value: object, where: str, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ScenarioError(where, f"must be {what}, got {value!r}")
    return value


class AppParser:
    """Checks the application keys against the expanded nodes (``devices``: node -> device
    type name; ``node_groups``: node-table group name -> node names)."""

    def __init__(
        self,
        devices: Mapping[str, str],
        node_groups: Mapping[str, Sequence[str]],
        all_nodes: Sequence[str],
        duration_us: int,
    ) -> None:
        self.devices = devices
        self.node_groups = node_groups
        self.all_nodes = all_nodes
        self.duration_us = duration_us
        self.groups: list[GroupSpec] = []

    def select(self, value: object, where: str, need: str) -> tuple[str, ...]:
        """Node names (or node-table groups) that all have a device."""
        out: dict[str, None] = {}
        for name, w in _names(value, where):
            chosen = list(self.node_groups.get(name, ()))
            if not chosen:
                if name not in self.all_nodes:
                    words = [*self.all_nodes, *self.node_groups]
                    hint = difflib.get_close_matches(name, words, n=1)
                    extra = f"; did you mean {hint[0]!r}?" if hint else ""
                    raise ScenarioError(w, f"no node or node group named {name!r}{extra}")
                chosen = [name]
            for n in chosen:
                if n not in self.devices:
                    raise ScenarioError(
                        w, f"{n} has no device (set device = ... on its node); {need}"
                    )
                out[n] = None
        return tuple(out)

    # [[groups]] ----------------------------------------------------------------------------

    def parse_groups(self, value: object) -> tuple[GroupSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ScenarioError("groups", f"must be an array of tables ([[groups]]), got {value!r}")
        ids: set[int] = set()
        names: set[str] = set()
        for i, item in enumerate(value):
            where = f"groups[{i}]"
            if not isinstance(item, Mapping):
                raise ScenarioError(where, f"must be a table, got {item!r}")
            _keys(item, _GROUP_KEYS, where)
            for key in ("id", "members"):
                if key not in item:
                    raise ScenarioError(f"{where}.{key}", "missing (a group needs id and members)")
            gid = _int_value(
                item["id"],
                f"{where}.id",
                GROUP_IDS.start,
                GROUP_IDS.stop - 1,
                "a group id from 1 to 0xFFF7",
            )
            if gid in ids:
                raise ScenarioError(f"{where}.id", f"group 0x{gid:04x} is defined twice")
            ids.add(gid)
            name = f"group-0x{gid:04x}"
            if "name" in item:
                raw = item["name"]
                if not isinstance(raw, str) or not 1 <= len(raw) <= 16:
                    raise ScenarioError(f"{where}.name", f"must be 1-16 characters, got {raw!r}")
                name = raw
            if name in names:
                raise ScenarioError(f"{where}.name", f"{name!r} names two groups")
            names.add(name)
            members = self.select(item["members"], f"{where}.members", "group members are devices")
            for m in members:
                if GROUPS.id not in server_clusters(self.devices[m]):
                    raise ScenarioError(
                        f"{where}.members",
                        f"{m} is a {self.devices[m]}, which has no Groups server cluster",
                    )
            self.groups.append(GroupSpec(gid, name, members))
        return tuple(self.groups)

    def _group(self, value: object, where: str) -> GroupSpec:
        for g in self.groups:
            if value == g.name or (not isinstance(value, bool) and value == g.id):
                return g
        known = ", ".join(g.name for g in self.groups) or "none defined"
        raise ScenarioError(where, f"no [[groups]] entry named or numbered {value!r} ({known})")

    # [[bindings]] --------------------------------------------------------------------------

    def parse_bindings(self, value: object) -> tuple[BindingSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ScenarioError(
                "bindings", f"must be an array of tables ([[bindings]]), got {value!r}"
            )
        out: list[BindingSpec] = []
        for i, item in enumerate(value):
            where = f"bindings[{i}]"
            if not isinstance(item, Mapping):
                raise ScenarioError(where, f"must be a table, got {item!r}")
            _keys(item, _BINDING_KEYS, where)
            if "from" not in item:
                raise ScenarioError(f"{where}.from", "missing (the switch or controller bound)")
            if ("to" in item) == ("group" in item):
                raise ScenarioError(where, "needs exactly one of to (a node) and group")
            sources = self.select(item["from"], f"{where}.from", "bindings start at a device")
            target: str | None = None
            group: GroupSpec | None = None
            if "to" in item:
                raw = item["to"]
                if not isinstance(raw, str) or raw in self.node_groups:
                    raise ScenarioError(
                        f"{where}.to",
                        f"must name one node (bind to a [[groups]] group for several), got {raw!r}",
                    )
                (target,) = self.select(raw, f"{where}.to", "bindings end at a device")
                targets: frozenset[int] = server_clusters(self.devices[target])
            else:
                group = self._group(item["group"], f"{where}.group")
                targets = frozenset.intersection(
                    *(server_clusters(self.devices[m]) for m in group.members)
                )
            for src in sources:
                if src == target:
                    raise ScenarioError(f"{where}.to", f"{src} cannot be bound to itself")
                clusters = self._binding_clusters(item, where, src, targets)
                out.append(BindingSpec(src, clusters, target, None if group is None else group.id))
        return tuple(out)

    def _binding_clusters(
        self, item: Mapping[str, object], where: str, src: str, targets: frozenset[int]
    ) -> tuple[int, ...]:
        clients = client_clusters(self.devices[src])
        if "clusters" in item:
            raw = item["clusters"]
            if not isinstance(raw, list) or not raw:
                raise ScenarioError(
                    f"{where}.clusters",
                    f"must be an array of cluster names ({', '.join(BINDABLE)}), got {raw!r}",
                )
            ids: list[int] = []
            for k, c in enumerate(raw):
                w = f"{where}.clusters[{k}]"
                if not isinstance(c, str) or c not in BINDABLE:
                    raise ScenarioError(w, f"must be one of {', '.join(BINDABLE)}, got {c!r}")
                cid = BINDABLE[c].id
                if cid not in clients:
                    raise ScenarioError(w, f"{src} ({self.devices[src]}) has no {c} client")
                if cid not in targets:
                    raise ScenarioError(w, f"the target has no {c} server")
                ids.append(cid)
            return tuple(dict.fromkeys(ids))
        ids = [c.id for c in BINDABLE.values() if c.id in clients and c.id in targets]
        if not ids:
            raise ScenarioError(
                where,
                f"{src} ({self.devices[src]}) sends no command the target understands"
                f" ({', '.join(BINDABLE)})",
            )
        return tuple(ids)

    # [[traffic]] with action -----------------------------------------------------------------

    def parse_action(
        self,
        t: Mapping[str, object],
        where: str,
        index: int,
        bindings: Sequence[BindingSpec],
        window: Callable[[Mapping[str, object], str, int], tuple[int, int]],
        join_at: Mapping[str, int],
        used: set[str],
        min_period_us: int,
    ) -> ActionSpec:
        _keys(t, ACTION_KEYS, where)
        action = t["action"]
        if action not in ACTIONS:
            raise ScenarioError(
                f"{where}.action", f"must be one of {', '.join(ACTIONS)}, got {action!r}"
            )
        assert isinstance(action, str)
        for key in ("from", "every"):
            if key not in t:
                raise ScenarioError(f"{where}.{key}", "missing (an action needs from and every)")
        sources = self.select(t["from"], f"{where}.from", "actions are done by devices")
        period = parse_duration(t["every"], f"{where}.every")
        if period < min_period_us:
            raise ScenarioError(
                f"{where}.every",
                f"must be at least {format_duration(min_period_us)}, got {t['every']!r}",
            )
        picked = {self._check_source(action, src, t, where, bindings) for src in sources}
        if len(picked) > 1:
            raise ScenarioError(
                f"{where}.from",
                "the sources measure different things; set cluster or split the table",
            )
        (measured,) = picked
        if action not in ("random_walk", "daily"):
            for key in ("cluster", "step", "min", "max", "cycle"):
                if key in t:
                    raise ScenarioError(f"{where}.{key}", "only for random_walk and daily actions")
        last_join = max(join_at[s] for s in sources)
        start, stop = window(t, where, last_join)
        if "name" in t:
            given = t["name"]
            if not isinstance(given, str) or not given or given in used:
                raise ScenarioError(
                    f"{where}.name", f"must be a new, non-empty name, got {given!r}"
                )
            name = given
        else:
            raw = t["from"]
            base = f"{action}:{raw if isinstance(raw, str) else ','.join(map(str, raw))}"  # type: ignore[call-overload]
            name, k = base, 2
            while name in used:
                name, k = f"{base}#{k}", k + 1
        used.add(name)
        if measured is None:
            return ActionSpec(name, action, sources, period, start, stop)
        step = measured.step
        low, high = measured.low, measured.high
        if "step" in t:
            step = _int_value(t["step"], f"{where}.step", 1, 1_000_000, "a positive integer")
        if "min" in t:
            low = _int_value(t["min"], f"{where}.min", -1_000_000, 1_000_000, "an integer")
        if "max" in t:
            high = _int_value(t["max"], f"{where}.max", -1_000_000, 1_000_000, "an integer")
        if high <= low:
            raise ScenarioError(where, f"max ({high}) must be above min ({low})")
        cycle = 24 * 3600 * 1_000_000
        if "cycle" in t:
            if action != "daily":
                raise ScenarioError(f"{where}.cycle", "only for daily actions")
            cycle = parse_duration(t["cycle"], f"{where}.cycle")
            if cycle < period:
                raise ScenarioError(f"{where}.cycle", f"must be at least every ({t['every']!r})")
        return ActionSpec(
            name,
            action,
            sources,
            period,
            start,
            stop,
            measured.cluster.id,
            measured.attribute,
            step,
            low,
            high,
            cycle,
        )

    def _check_source(
        self,
        action: str,
        src: str,
        t: Mapping[str, object],
        where: str,
        bindings: Sequence[BindingSpec],
    ) -> Measured | None:
        dev = self.devices[src]
        servers, clients = server_clusters(dev), client_clusters(dev)
        w = f"{where}.from"
        if action in ("toggle", "level"):
            cid = ON_OFF.id if action == "toggle" else LEVEL_CONTROL.id
            if cid not in clients:
                raise ScenarioError(w, f"{src} is a {dev}: it sends no {action} command")
            if not any(b.source == src and cid in b.clusters for b in bindings):
                cname = ON_OFF.name if action == "toggle" else LEVEL_CONTROL.name
                raise ScenarioError(
                    w,
                    f"{src} has no {cname} binding: add a [[bindings]] from it to a light or group",
                )
            return None
        if action == "open_close":
            if IAS_ZONE.id not in servers:
                raise ScenarioError(
                    w, f"{src} is a {dev}, not an IAS zone (contact / motion sensor)"
                )
            return None
        if action == "lock":
            if DOOR_LOCK.id not in servers:
                raise ScenarioError(w, f"{src} is a {dev}, not a door lock")
            return None
        # random_walk / daily
        if "cluster" in t:
            wanted = t["cluster"]
            m = _MEASURED_BY_NAME.get(wanted) if isinstance(wanted, str) else None
            if m is None:
                raise ScenarioError(
                    f"{where}.cluster",
                    f"must be one of {', '.join(_MEASURED_BY_NAME)}, got {wanted!r}",
                )
            if m.cluster.id not in servers:
                raise ScenarioError(f"{where}.cluster", f"{src} ({dev}) has no {wanted} server")
            return m
        for m in MEASURED:
            if m.cluster.id in servers:
                return m
        raise ScenarioError(
            w,
            f"{src} is a {dev}: it measures nothing a {action} action can drive"
            f" ({', '.join(_MEASURED_BY_NAME)})",
        )
