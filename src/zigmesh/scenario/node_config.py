"""Scenario ``[[nodes]]`` and ``[radio]`` tables (split out of :mod:`zigmesh.scenario.config`,
which documents the keys and re-exports the public names): :class:`NodeSpec`, :class:`RadioSpec`
and the parser that expands ``count`` / ``grid`` / ``random`` tables into nodes, names them,
gives them join times and checks that every node can reach the coordinator."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from zigmesh.scenario.app_config import device_type
from zigmesh.scenario.durations import ScenarioError, format_duration, parse_duration
from zigmesh.scenario.values import (
    MAX_COORDINATE_M,
    Point,
    _check_keys,
    _got,
    _install_code,
    _int,
    _placement_rng,
    _point,
    _positive,
    _ranged,
    _str,
    _table,
)
from zigmesh.sim.medium import MediumConfig

__all__ = [
    "DEFAULT_POLL_INTERVAL_US",
    "MAX_NODES",
    "MIN_POLL_INTERVAL_US",
    "ROLES",
    "NodeParser",
    "NodeSpec",
    "RadioSpec",
    "Role",
    "node_groups",
    "parse_radio",
]

Role = Literal["coordinator", "router", "end_device"]
ROLES: tuple[Role, ...] = ("coordinator", "router", "end_device")

#: Shortest end device poll interval accepted (fast-poll rates are around 250 ms).
MIN_POLL_INTERVAL_US = 100_000
#: Poll interval of an end device that does not set one.
DEFAULT_POLL_INTERVAL_US = 7_500_000
#: Most nodes one scenario may declare.
MAX_NODES = 10_000

ROUTER_JOIN_START_US = 1_000_000
ROUTER_JOIN_STEP_US = 500_000
END_DEVICE_JOIN_GAP_US = 1_000_000
END_DEVICE_JOIN_STEP_US = 250_000

_JOIN_STEP_US: dict[Role, int] = {
    "coordinator": 0,
    "router": ROUTER_JOIN_STEP_US,
    "end_device": END_DEVICE_JOIN_STEP_US,
}
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
_ROUTER_WORDS = ("all_routers", "router", "routers")
_END_DEVICE_WORDS = ("all_end_devices", "end_device", "end_devices")
_RESERVED = frozenset(("coordinator", *_ROUTER_WORDS, *_END_DEVICE_WORDS))

_NODE_KEYS = (
    "count",
    "device",
    "grid",
    "install_code",
    "join_at",
    "manufacturer_code",
    "name",
    "poll_interval",
    "position",
    "positions",
    "random",
    "registered_install_code",
    "role",
)
_PLACEMENTS = ("position", "positions", "grid", "random")
_GRID_KEYS = ("cols", "origin", "rows", "spacing")
_RANDOM_KEYS = ("height", "origin", "seed", "width")
_RADIO_KEYS = ("path_loss_exponent", "sensitivity_dbm", "shadowing_sigma_db", "tx_power_dbm")

_MC = MediumConfig()


@dataclass(frozen=True, slots=True)
class RadioSpec:
    """The optional ``[radio]`` table: propagation and transmit settings for every node.

    Defaults are :class:`zigmesh.sim.medium.MediumConfig`'s and 0 dBm transmit power.
    """

    path_loss_exponent: float = _MC.path_loss_exponent
    shadowing_sigma_db: float = _MC.shadowing_sigma_db
    tx_power_dbm: float = 0.0
    sensitivity_dbm: float = _MC.sensitivity_dbm

    def medium_config(self) -> MediumConfig:
        """The simulator's medium configuration with these settings applied."""
        return replace(
            _MC,
            path_loss_exponent=self.path_loss_exponent,
            shadowing_sigma_db=self.shadowing_sigma_db,
            sensitivity_dbm=self.sensitivity_dbm,
        )

    def nominal_range_m(self) -> float:
        """Distance at which the mean received power (no shadowing) falls to the weakest
        receivable level (max of sensitivity and noise floor + SINR threshold); 0 if none."""
        mc = self.medium_config()
        floor = max(mc.sensitivity_dbm, mc.noise_floor_dbm + mc.sinr_threshold_db)
        budget = self.tx_power_dbm - floor
        if budget < mc.reference_loss_db:
            return 0.0
        exponent = (budget - mc.reference_loss_db) / (10.0 * mc.path_loss_exponent)
        return float(mc.reference_distance_m * 10.0**exponent)


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node after expansion of ``count``/``grid``/``random``.

    ``table`` is the index of the ``[[nodes]]`` table it came from, ``group`` that table's name
    when it yields several nodes (else None). ``install_code`` is the device's install code
    with its CRC (None: it joins with the default TC link key); ``registered_install_code`` the
    one the trust center is told for it (None: the same as ``install_code``).
    """

    name: str
    role: Role
    position: Point
    poll_interval_us: int | None
    join_at_us: int
    table: int = 0
    group: str | None = None
    install_code: bytes | None = None
    registered_install_code: bytes | None = None
    manufacturer_code: int = 0x0000
    #: the device type on its endpoint 1 (a :data:`zigmesh.zcl.devices.DEVICE_TYPES` name)
    device: str | None = None

    @property
    def is_end_device(self) -> bool:
        """End devices are the sleepy, battery-powered ones (they poll their parent)."""
        return self.role == "end_device"


@dataclass(slots=True)
class _Table:
    """One ``[[nodes]]`` table after its own checks."""

    index: int
    role: Role
    name: str | None
    placement: str
    points: list[Point]
    poll_interval_us: int | None
    join_at_us: int | None
    #: per node of the table: install code, registered install code (None: none / the same)
    install_codes: list[bytes | None] = field(default_factory=list)
    registered_codes: list[bytes | None] = field(default_factory=list)
    manufacturer_code: int = 0x0000
    device: str | None = None


def parse_radio(value: object) -> RadioSpec:
    if value is None:
        return RadioSpec()
    t = _table(value, "radio")
    _check_keys(t, _RADIO_KEYS, "radio")
    spec = RadioSpec()
    if "path_loss_exponent" in t:
        spec = replace(
            spec,
            path_loss_exponent=_ranged(
                t["path_loss_exponent"], "radio.path_loss_exponent", 1.5, 6.0
            ),
        )
    if "shadowing_sigma_db" in t:
        spec = replace(
            spec,
            shadowing_sigma_db=_ranged(
                t["shadowing_sigma_db"], "radio.shadowing_sigma_db", 0.0, 20.0, " dB"
            ),
        )
    if "tx_power_dbm" in t:
        spec = replace(
            spec,
            tx_power_dbm=_ranged(t["tx_power_dbm"], "radio.tx_power_dbm", -40.0, 20.0, " dBm"),
        )
    if "sensitivity_dbm" in t:
        spec = replace(
            spec,
            sensitivity_dbm=_ranged(
                t["sensitivity_dbm"], "radio.sensitivity_dbm", -120.0, -50.0, " dBm"
            ),
        )
    return spec


class NodeParser:
    """Parses ``[[nodes]]`` for a scenario of ``seed`` lasting ``duration_us`` (``data`` is the
    whole document, for error messages naming a table's placement key)."""

    def __init__(self, data: Mapping[str, object], seed: int, duration_us: int) -> None:
        self.data = data
        self.seed = seed
        self.duration_us = duration_us

    def nodes(self, value: object) -> tuple[NodeSpec, ...]:
        if value is None:
            raise ScenarioError(
                "nodes", "missing: a scenario needs [[nodes]] tables, at least the coordinator"
            )
        if not isinstance(value, list) or not value:
            raise ScenarioError(
                "nodes", f"must be a non-empty array of tables ([[nodes]]), {_got(value)}"
            )
        tables: list[_Table] = []
        total = 0
        coordinator_at: int | None = None
        for i, item in enumerate(value):
            t = self._node_table(item, i)
            if t.role == "coordinator":
                if coordinator_at is not None:
                    raise ScenarioError(
                        f"nodes[{i}].role",
                        f"a second coordinator (the first is nodes[{coordinator_at}]); a network has exactly one",
                    )
                coordinator_at = i
            total += len(t.points)
            if total > MAX_NODES:
                raise ScenarioError(
                    f"nodes[{i}]", f"too many nodes: more than {MAX_NODES} in the scenario"
                )
            tables.append(t)
        if coordinator_at is None:
            raise ScenarioError(
                "nodes", 'needs exactly one coordinator (role = "coordinator"), found none'
            )
        return self._expand(tables)

    def _node_table(self, item: object, i: int) -> _Table:
        where = f"nodes[{i}]"
        t = _table(item, where)
        _check_keys(t, _NODE_KEYS, where)
        if "role" not in t:
            raise ScenarioError(f"{where}.role", f"missing (one of {', '.join(ROLES)})")
        role_value = t["role"]
        if role_value not in ROLES:
            raise ScenarioError(
                f"{where}.role", f"must be one of {', '.join(ROLES)}, {_got(role_value)}"
            )
        role: Role = role_value
        name: str | None = None
        if "name" in t:
            name = _str(t["name"], f"{where}.name")
            if not _NAME_RE.fullmatch(name):
                raise ScenarioError(
                    f"{where}.name",
                    "must be 1-32 characters: letters, digits, '_', '.', '-' (not first), "
                    + _got(name),
                )
            if name in _RESERVED and not (role == "coordinator" and name == "coordinator"):
                raise ScenarioError(f"{where}.name", f"{name!r} is reserved for traffic selectors")
        count: int | None = None
        if "count" in t:
            count = _int(
                t["count"],
                f"{where}.count",
                1,
                MAX_NODES,
                f"a positive integer (at most {MAX_NODES})",
            )
        given = [k for k in _PLACEMENTS if k in t]
        if not given:
            raise ScenarioError(
                where, "needs a placement: one of position, positions, grid, random"
            )
        if len(given) > 1:
            raise ScenarioError(
                where, f"has both {given[0]} and {given[1]}; give exactly one placement"
            )
        placement = given[0]
        points = self._placement(t, placement, where, i, count)
        if role == "coordinator" and len(points) != 1:
            key = "count" if count is not None else placement
            raise ScenarioError(
                f"{where}.{key}", f"a network has exactly one coordinator, got {len(points)}"
            )
        poll: int | None = None
        if "poll_interval" in t:
            if role != "end_device":
                raise ScenarioError(
                    f"{where}.poll_interval", f"only end devices poll; this table's role is {role}"
                )
            poll = parse_duration(t["poll_interval"], f"{where}.poll_interval")
            if poll < MIN_POLL_INTERVAL_US:
                raise ScenarioError(
                    f"{where}.poll_interval",
                    f"must be at least {format_duration(MIN_POLL_INTERVAL_US)}, {_got(t['poll_interval'])}",
                )
        elif role == "end_device":
            poll = DEFAULT_POLL_INTERVAL_US
        join_at: int | None = None
        if "join_at" in t:
            join_at = parse_duration(t["join_at"], f"{where}.join_at")
            last = join_at + (len(points) - 1) * _JOIN_STEP_US[role]
            if last >= self.duration_us:
                what = f"must be before the end of the run ({format_duration(self.duration_us)})"
                if last != join_at:
                    what += f"; staggered by {format_duration(_JOIN_STEP_US[role])} the last joins at {format_duration(last)}"
                raise ScenarioError(f"{where}.join_at", f"{what}, {_got(t['join_at'])}")
        codes = self._codes(t, "install_code", where, role, len(points))
        registered = self._codes(t, "registered_install_code", where, role, len(points))
        manufacturer = 0x0000
        if "manufacturer_code" in t:
            manufacturer = _int(
                t["manufacturer_code"],
                f"{where}.manufacturer_code",
                0,
                0xFFFF,
                "an integer from 0 to 0xFFFF (65535)",
            )
        device: str | None = None
        if "device" in t:
            if role == "coordinator":
                raise ScenarioError(
                    f"{where}.device",
                    "the coordinator runs the hub (it interviews the devices); device is for"
                    " routers and end devices",
                )
            device = device_type(t["device"], f"{where}.device").name
        return _Table(
            i,
            role,
            name,
            placement,
            points,
            poll,
            join_at,
            codes,
            registered,
            manufacturer,
            device,
        )

    @staticmethod
    def _codes(
        t: Mapping[str, object], key: str, where: str, role: Role, n: int
    ) -> list[bytes | None]:
        """``install_code`` / ``registered_install_code``: one hex string for every node of the
        table, or an array of them, one per node."""
        if key not in t:
            return [None] * n
        kw = f"{where}.{key}"
        if role == "coordinator":
            raise ScenarioError(
                kw,
                "the coordinator is the trust center and does not join; install codes are for"
                " routers and end devices",
            )
        value = t[key]
        if isinstance(value, list):
            if len(value) != n:
                raise ScenarioError(
                    kw,
                    f"an array needs one install code per node of the table ({n}), got"
                    f" {len(value)}",
                )
            return [_install_code(v, f"{kw}[{k}]") for k, v in enumerate(value)]
        return [_install_code(value, kw)] * n

    def _placement(
        self, t: Mapping[str, object], placement: str, where: str, index: int, count: int | None
    ) -> list[Point]:
        pw = f"{where}.{placement}"
        value = t[placement]
        if placement == "position":
            point = _point(value, pw)
            if count is not None and count != 1:
                raise ScenarioError(
                    f"{where}.count",
                    f"`position` places one node; use positions, grid or random for several, got {count}",
                )
            return [point]
        if placement == "positions":
            if isinstance(value, str) or not isinstance(value, Sequence) or not value:
                raise ScenarioError(
                    pw, f"must be a non-empty array of [x, y] or [x, y, z], {_got(value)}"
                )
            points = [_point(p, f"{pw}[{k}]") for k, p in enumerate(value)]
            if count is not None and count != len(points):
                raise ScenarioError(
                    f"{where}.count",
                    f"must match the {len(points)} positions or be omitted, got {count}",
                )
            return points
        if placement == "grid":
            g = _table(value, pw)
            _check_keys(g, _GRID_KEYS, pw)
            for key in ("rows", "cols", "spacing"):
                if key not in g:
                    raise ScenarioError(
                        f"{pw}.{key}", "missing (grid needs rows, cols and spacing)"
                    )
            rows = _int(g["rows"], f"{pw}.rows", 1, MAX_NODES, "a positive integer")
            cols = _int(g["cols"], f"{pw}.cols", 1, MAX_NODES, "a positive integer")
            if rows * cols > MAX_NODES:
                raise ScenarioError(pw, f"too many nodes: {rows} x {cols} is more than {MAX_NODES}")
            sp = g["spacing"]
            if isinstance(sp, list):
                if len(sp) != 2:
                    raise ScenarioError(
                        f"{pw}.spacing", f"must be a number or [dx, dy] in metres, {_got(sp)}"
                    )
                dx = _positive(sp[0], f"{pw}.spacing[0]")
                dy = _positive(sp[1], f"{pw}.spacing[1]")
            else:
                dx = dy = _positive(sp, f"{pw}.spacing")
            ox, oy, oz = _point(g["origin"], f"{pw}.origin") if "origin" in g else (0.0, 0.0, 0.0)
            if count is not None and count != rows * cols:
                raise ScenarioError(
                    f"{where}.count",
                    f"must match grid rows x cols ({rows} x {cols} = {rows * cols}) or be omitted, got {count}",
                )
            points = [(ox + c * dx, oy + r * dy, oz) for r in range(rows) for c in range(cols)]
            for k, p in enumerate(points):
                if max(abs(p[0]), abs(p[1])) > MAX_COORDINATE_M:
                    raise ScenarioError(pw, f"node {k + 1} falls outside +/-{MAX_COORDINATE_M:g} m")
            return points
        # random
        r = _table(value, pw)
        _check_keys(r, _RANDOM_KEYS, pw)
        for key in ("width", "height"):
            if key not in r:
                raise ScenarioError(f"{pw}.{key}", "missing (random needs width and height)")
        width = _positive(r["width"], f"{pw}.width")
        height = _positive(r["height"], f"{pw}.height")
        ox, oy, oz = _point(r["origin"], f"{pw}.origin") if "origin" in r else (0.0, 0.0, 0.0)
        if max(abs(ox) + width, abs(oy) + height) > MAX_COORDINATE_M:
            raise ScenarioError(pw, f"area falls outside +/-{MAX_COORDINATE_M:g} m")
        own_seed = (
            _int(r["seed"], f"{pw}.seed", 0, None, "a non-negative integer")
            if "seed" in r
            else None
        )
        rng = _placement_rng(self.seed, index, own_seed)
        n = 1 if count is None else count
        return [
            (round(ox + rng.random() * width, 2), round(oy + rng.random() * height, 2), oz)
            for _ in range(n)
        ]

    def _expand(self, tables: list[_Table]) -> tuple[NodeSpec, ...]:
        default_routers = sum(
            len(t.points) for t in tables if t.role == "router" and t.join_at_us is None
        )
        ed_base = (
            ROUTER_JOIN_START_US + default_routers * ROUTER_JOIN_STEP_US + END_DEVICE_JOIN_GAP_US
        )
        next_default = {"router": ROUTER_JOIN_START_US, "end_device": ed_base}
        unnamed = {"router": 0, "end_device": 0}
        auto_prefix = {"router": "router", "end_device": "end-device"}
        seen: dict[str, str] = {}  # name -> where it was defined
        out: list[NodeSpec] = []
        for t in tables:
            where = f"nodes[{t.index}]"
            several = len(t.points) > 1
            group = t.name if several else None
            if group is not None:
                self._claim(seen, group, f"{where}.name", f"{where} (group)")
            for k, pos in enumerate(t.points):
                if t.name is not None:
                    name = f"{t.name}-{k + 1}" if several else t.name
                elif t.role == "coordinator":
                    name = "coordinator"
                else:
                    unnamed[t.role] += 1
                    name = f"{auto_prefix[t.role]}-{unnamed[t.role]}"
                self._claim(seen, name, f"{where}.name", where)
                if t.join_at_us is not None:
                    join_at = t.join_at_us + k * _JOIN_STEP_US[t.role]
                elif t.role == "coordinator":
                    join_at = 0
                else:
                    join_at = next_default[t.role]
                    next_default[t.role] += _JOIN_STEP_US[t.role]
                    if join_at >= self.duration_us:
                        raise ScenarioError(
                            where,
                            f"default join time of {name} ({format_duration(join_at)}) is after the end of "
                            f"the run ({format_duration(self.duration_us)}); set join_at or a longer duration",
                        )
                out.append(
                    NodeSpec(
                        name,
                        t.role,
                        pos,
                        t.poll_interval_us,
                        join_at,
                        t.index,
                        group,
                        t.install_codes[k] if t.install_codes else None,
                        t.registered_codes[k] if t.registered_codes else None,
                        t.manufacturer_code,
                        t.device,
                    )
                )
        return tuple(out)

    @staticmethod
    def _claim(seen: dict[str, str], name: str, where: str, origin: str) -> None:
        if name in seen:
            raise ScenarioError(
                where, f"name {name!r} is already used by {seen[name]}; names must be unique"
            )
        seen[name] = origin

    # reachability --------------------------------------------------------------------------

    def check_reachable(self, nodes: tuple[NodeSpec, ...], radio: RadioSpec) -> None:
        if len(nodes) < 2:
            return
        rng_m = radio.nominal_range_m()
        budget = (
            f"nominal range {rng_m:.1f} m with [radio] tx_power_dbm = {radio.tx_power_dbm:g}, "
            f"path_loss_exponent = {radio.path_loss_exponent:g}"
        )
        if rng_m <= 0.0:
            raise ScenarioError("radio", f"no two nodes can hear each other: {budget}")
        cell = max(rng_m, 1.0)
        range2 = rng_m * rng_m
        parents = [n for n in nodes if n.role != "end_device"]
        grid: dict[tuple[int, int, int], list[NodeSpec]] = {}

        def key(p: Point) -> tuple[int, int, int]:
            return (math.floor(p[0] / cell), math.floor(p[1] / cell), math.floor(p[2] / cell))

        def near(p: Point) -> Iterator[NodeSpec]:
            kx, ky, kz = key(p)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for dz in (-1, 0, 1):
                        yield from grid.get((kx + dx, ky + dy, kz + dz), ())

        for n in parents:
            grid.setdefault(key(n.position), []).append(n)
        coordinator = next(n for n in nodes if n.role == "coordinator")
        reached = {coordinator.name}
        stack = [coordinator]
        while stack:
            a = stack.pop()
            for b in near(a.position):
                if b.name not in reached and _dist2(a.position, b.position) <= range2:
                    reached.add(b.name)
                    stack.append(b)
        connected = [n for n in parents if n.name in reached]
        for n in nodes:
            if n.name in reached:
                continue
            if n.role == "end_device" and any(
                b.name in reached and _dist2(n.position, b.position) <= range2
                for b in near(n.position)
            ):
                continue
            nearest = min(math.sqrt(_dist2(n.position, b.position)) for b in connected)
            x, y, z = n.position
            kind = "router" if n.role == "router" else "end device"
            raise ScenarioError(
                f"nodes[{n.table}].{self._placement_key(n.table)}",
                f"{kind} {n.name} at ({x:g}, {y:g}, {z:g}) is out of radio range of the network: the "
                f"nearest connected coordinator/router is {nearest:.1f} m away, beyond the {budget}",
            )

    def _placement_key(self, index: int) -> str:
        nodes = self.data.get("nodes")
        assert isinstance(nodes, list)
        table = nodes[index]
        assert isinstance(table, Mapping)
        return next(k for k in _PLACEMENTS if k in table)


def node_groups(nodes: tuple[NodeSpec, ...]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for n in nodes:
        if n.group is not None:
            groups.setdefault(n.group, []).append(n.name)
    return groups


def _dist2(a: Point, b: Point) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2
