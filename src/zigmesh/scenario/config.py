"""Scenario files: TOML in, validated frozen plain data out (issue #4).

A scenario (see ``examples/house.toml`` for a documented one, ``examples/smart_home.toml`` for
the application keys) has top-level keys ``seed``, ``duration``, optional ``channel``,
``name``, ``description``, ``security``, ``require_install_codes``, ``state``,
``concentrator_period``, ``capture`` (or a ``[capture]`` table), an optional ``[radio]`` table, ``[[nodes]]`` tables, ``[[traffic]]`` tables (byte flows and application
actions), ``[[groups]]``, ``[[bindings]]``, ``[[faults]]`` and ``[[attackers]]``
(:mod:`~zigmesh.scenario.faults`). :func:`parse_scenario` checks everything before a
run and raises :class:`ScenarioError` naming the table, key and problem
(``nodes[2].grid.rows: must be a positive integer, got -1``).

Expansion rules (all deterministic):

* **Names.** A ``[[nodes]]`` table that yields one node gives it its ``name``; one that yields
  several names them ``<name>-1 .. <name>-N`` and ``<name>`` becomes a *group* usable in traffic.
  Without a name: ``coordinator``, ``router-<k>``, ``end-device-<k>`` (``k`` counts unnamed nodes
  of that role over the file, from 1).
* **Placement** (metres; ``z`` defaults to 0): ``position = [x, y(, z)]`` (one node),
  ``positions = [[x, y], ...]`` (one node each), ``grid = {rows, cols, spacing, origin}``
  (row-major; ``spacing`` a number or ``[dx, dy]``), ``random = {width, height, origin, seed}``
  (uniform; drawn from a ``random.Random`` seeded by SHA-256 of the scenario seed and the table
  index, or of the table's own ``seed`` when given, so a layout can be pinned while the run seed
  varies). Random coordinates are rounded to the centimetre.
* **Join times.** The coordinator forms the network at ``join_at`` (default 0). Routers without
  ``join_at`` join at ``1 s + 0.5 s x k`` (``k`` = 0, 1, ... over such routers in file order);
  end devices without ``join_at`` follow at ``1 s + 0.5 s x R + 1 s + 0.25 s x j`` (``R`` = number
  of such routers). A table with ``join_at`` and several nodes staggers them from that time by
  the same per-role step.
* **Traffic.** ``from`` is a node name, a group, ``coordinator``, ``all_routers`` (or
  ``router``/``routers``), ``all_end_devices`` (or ``end_device``/``end_devices``), or an array of
  those; the destination is left out of group selectors. ``to`` names one node (or
  ``coordinator``). Default ``start``: 10 s after the last join time among the flow's sources and
  destination; default ``stop``: 5 s before the end of the run (so the last packets can arrive). Source ``k`` of ``n`` sends at
  ``start + k x every / n``, then every ``every``, while before ``stop``
  (:meth:`TrafficSpec.send_times_us`).
* **Reachability.** Using the ``[radio]`` link budget without shadowing (the *nominal range*),
  every router must reach the coordinator over routers, and every end device must be in range
  of a coordinator or router that does; otherwise the layout is rejected.
* **Security.** ``security`` (default true) makes a secured Zigbee 3.0 network with the
  coordinator as trust center; ``require_install_codes`` (default false, needs security) makes
  the trust center admit only devices whose install code it was given. A router or end device
  table may set ``install_code`` (hex: a 6/8/12/16-byte code and its CRC-16/X.25, checked
  here) and ``registered_install_code`` (what the trust center is told; default the same),
  each one string for every node of the table or an array with one per node, and any table
  ``manufacturer_code`` (0-0xFFFF, the node descriptor's).
* **Many-to-one.** ``concentrator_period`` (default ``"60s"``) is how often the coordinator,
  the network's concentrator, broadcasts a many-to-one route request (nwkConcentratorDiscoveryTime,
  Zigbee spec R22 3.6.3.5.1: whole seconds, at most 255; ``0``: one when the coordinator starts,
  then only to repair routes and for joining devices). Every router sends a route record before its next frame to the coordinator
  after each request, so a network whose devices report rarely wants them rarer (Z-Stack's
  coordinator firmware for large networks: 120 s).
* **Capture.** ``capture = false`` writes no ``capture.pcap``; a ``[capture]`` table with
  ``nodes`` (senders: names, groups, roles) and / or ``frames`` (kinds: ``beacon``, ``data``,
  ``ack``, ``mac_command``, ``nwk_command``, ``inter_pan``, ``other``) writes only those frames
  (:mod:`~zigmesh.scenario.capture_config`).
* **State.** ``state`` names the SQLite state store; :func:`load_scenario` resolves a relative
  path against the scenario file's directory (``zigmesh run --state`` overrides it, relative to
  the working directory).
* **Flows** are APS acknowledged unless they set ``ack = false``; at most :data:`MAX_FLOWS`.

Application keys (issue #8; parsed by :mod:`~zigmesh.scenario.app_config`, run by
:mod:`~zigmesh.scenario.app_traffic`; ``examples/smart_home.toml`` documents each):

* **Devices.** A router or end device table may set ``device = "dimmable_light"`` (any name of
  :data:`zigmesh.zcl.devices.DEVICE_TYPES`; an unknown name is rejected with the list of valid
  ones): every node of the table gets that device type on endpoint 1. Not on the coordinator:
  when any node has a device, the coordinator runs the hub (:class:`zigmesh.app.hub.Hub`,
  endpoint 1), which interviews each device after its Device_annce, binds its reporting
  clusters to itself, configures reporting and enrolls IAS zones.
* **Groups.** ``[[groups]]`` tables: ``id`` (1-0xFFF7), ``name`` (optional, 1-16 characters,
  default ``group-0x<id>``), ``members`` (nodes or node groups whose device has the Groups
  server cluster). The members' endpoint 1 joins the group.
* **Bindings.** ``[[bindings]]`` tables: ``from`` (nodes or node groups with a device) and
  exactly one of ``to`` (one node with a device) or ``group`` (a ``[[groups]]`` name or id);
  ``clusters`` (optional array of ``on_off``, ``level_control``, ``color_control``,
  ``door_lock``; default every one of those the source has as a client and the target, or
  every group member, as a server). The source's endpoint 1 binding table gets one entry per
  cluster (to the target's IEEE address and endpoint 1, or to the group).
* **Actions.** A ``[[traffic]]`` table with ``action`` is an application action instead of a
  byte flow (byte flows keep their own numbering: flow ``k`` is the ``k``-th table without
  ``action``). Keys: ``action``, ``from`` (nodes or node groups with a device), ``every``,
  ``start``, ``stop`` and ``name`` (as for flows; default name ``<action>:<from>``), and for
  ``random_walk`` / ``daily`` ``cluster``, ``step``, ``min``, ``max`` (``daily`` also
  ``cycle``, default ``"24h"``). Actions: ``toggle`` / ``level`` (a switch sends On/Off
  Toggle / Move to Level with On/Off through its binding: it needs an ``on_off`` /
  ``level_control`` binding), ``random_walk`` (the measured attribute moves by up to ``step``
  within [min, max], from a random source seeded by the scenario seed, the action and the
  node), ``daily`` (it follows a day's cosine from ``min`` to ``max``), ``open_close`` (an IAS
  zone flips its alarm bit), ``lock`` (the hub locks / unlocks a door lock in turn).
  ``cluster`` picks the measured value (``temperature_measurement``, ``relative_humidity``,
  ``illuminance_measurement``, ``pressure_measurement``, ``thermostat``,
  ``electrical_measurement``, ``metering``; default the device's first of those).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from zigmesh.nwk.config import NwkConfig
from zigmesh.phy import CHANNELS
from zigmesh.scenario.app_config import (
    ActionSpec,
    AppParser,
    BindingSpec,
    GroupSpec,
)
from zigmesh.scenario.capture_config import CaptureSpec, parse_capture
from zigmesh.scenario.durations import ScenarioError, format_duration, parse_duration
from zigmesh.scenario.faults import AttackerSpec, FaultSpec, parse_attackers, parse_faults
from zigmesh.scenario.node_config import (
    _END_DEVICE_WORDS,
    _ROUTER_WORDS,
    DEFAULT_POLL_INTERVAL_US,
    MAX_NODES,
    MIN_POLL_INTERVAL_US,
    ROLES,
    NodeParser,
    NodeSpec,
    RadioSpec,
    Role,
    node_groups,
    parse_radio,
)
from zigmesh.scenario.values import (
    _bool,
    _check_keys,
    _got,
    _int,
    _path,
    _str,
    _table,
)

__all__ = [
    "DEFAULT_CONCENTRATOR_PERIOD_S",
    "DEFAULT_POLL_INTERVAL_US",
    "MAX_CONCENTRATOR_PERIOD_S",
    "MAX_FLOWS",
    "MAX_NODES",
    "MAX_PAYLOAD_BYTES",
    "MIN_PAYLOAD_BYTES",
    "MIN_PERIOD_US",
    "MIN_POLL_INTERVAL_US",
    "ROLES",
    "ActionSpec",
    "BindingSpec",
    "CaptureSpec",
    "GroupSpec",
    "NodeSpec",
    "RadioSpec",
    "Role",
    "Scenario",
    "ScenarioError",
    "TrafficSpec",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
]

#: Largest traffic payload: one 127-byte PSDU minus MAC header + FCS (11, short addresses, PAN ID
#: compression), NWK header (8), NWK auxiliary security header (14) and MIC (4), and the APS data
#: header (8, unicast to an endpoint): 127 - 11 - 8 - 14 - 4 - 8 = 82 bytes (constants.md).
MAX_PAYLOAD_BYTES = 82
#: traffic payloads are ZCL frames: at least the 3-byte ZCL header
MIN_PAYLOAD_BYTES = 3
#: Shortest traffic period accepted (keeps event counts sane).
MIN_PERIOD_US = 10_000
#: Most traffic flows: flow k uses the manufacturer-specific cluster 0xFC00 + k (up to 0xFFFF).
MAX_FLOWS = 0x400
#: Default traffic start: this long after the last node's join time.
TRAFFIC_SETTLE_US = 10_000_000
#: Default traffic stop: this long before the end of the run.
TRAFFIC_DRAIN_US = 5_000_000

#: the coordinator's many-to-one route request period unless ``concentrator_period`` says
DEFAULT_CONCENTRATOR_PERIOD_S = NwkConfig().concentrator_discovery_time_s
#: nwkConcentratorDiscoveryTime is one octet of seconds (Zigbee spec R22 Table 3-58)
MAX_CONCENTRATOR_PERIOD_S = 255

_TOP_KEYS = (
    "attackers",
    "bindings",
    "capture",
    "channel",
    "concentrator_period",
    "description",
    "duration",
    "faults",
    "groups",
    "name",
    "nodes",
    "radio",
    "require_install_codes",
    "security",
    "seed",
    "state",
    "traffic",
)
_TRAFFIC_KEYS = ("ack", "every", "from", "name", "size", "start", "stop", "to")


@dataclass(frozen=True, slots=True)
class TrafficSpec:
    """One ``[[traffic]]`` flow: each source sends ``size`` bytes to ``destination`` every
    ``period_us`` from its first send time while the time is before ``stop_us``; ``ack``: APS
    acknowledged (with retries) or not."""

    name: str
    sources: tuple[str, ...]
    destination: str
    period_us: int
    size: int
    start_us: int
    stop_us: int
    ack: bool = True

    def first_send_us(self, source_index: int) -> int:
        """First send of ``sources[source_index]``: sources are spread evenly over a period."""
        return self.start_us + source_index * self.period_us // len(self.sources)

    def send_times_us(self, source_index: int) -> range:
        """Every send time of ``sources[source_index]``."""
        return range(self.first_send_us(source_index), self.stop_us, self.period_us)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario: plain data a runner turns into a network.

    ``security``: a secured Zigbee 3.0 network (the coordinator is the trust center);
    ``require_install_codes``: the trust center only admits devices whose install code it was
    given. ``state``: path of the SQLite state store (None: nodes keep their state in memory
    for the run only); :func:`load_scenario` makes a relative path relative to the scenario
    file's directory.
    """

    seed: int
    duration_us: int
    channel: int | None
    nodes: tuple[NodeSpec, ...]
    traffic: tuple[TrafficSpec, ...]
    radio: RadioSpec = field(default_factory=RadioSpec)
    name: str = ""
    description: str = ""
    source: str = ""
    security: bool = True
    require_install_codes: bool = False
    state: str | None = None
    #: application: ``[[groups]]``, ``[[bindings]]`` and the ``[[traffic]]`` actions
    groups: tuple[GroupSpec, ...] = ()
    bindings: tuple[BindingSpec, ...] = ()
    actions: tuple[ActionSpec, ...] = ()
    #: ``[[faults]]`` and ``[[attackers]]`` (:mod:`~zigmesh.scenario.faults`)
    faults: tuple[FaultSpec, ...] = ()
    attackers: tuple[AttackerSpec, ...] = ()
    #: ``capture``: whether and what ``zigmesh run`` writes to ``capture.pcap``
    capture: CaptureSpec = field(default_factory=CaptureSpec)
    #: ``concentrator_period``: the coordinator's many-to-one route request period, whole
    #: seconds (nwkConcentratorDiscoveryTime; 0: the first, then repairs and joins only)
    concentrator_period_s: int = DEFAULT_CONCENTRATOR_PERIOD_S

    def nwk_config(self, **changes: Any) -> NwkConfig:
        """The NWK configuration of the scenario's nodes (``changes``: more fields)."""
        return NwkConfig(concentrator_discovery_time_s=self.concentrator_period_s, **changes)

    @property
    def has_devices(self) -> bool:
        """Some node has a ``device``: the coordinator then runs the hub."""
        return any(n.device is not None for n in self.nodes)

    @property
    def coordinator(self) -> NodeSpec:
        """The one coordinator."""
        for n in self.nodes:
            if n.role == "coordinator":
                return n
        raise ScenarioError("nodes", "no coordinator")  # unreachable after validation

    def node(self, name: str) -> NodeSpec:
        """The node called ``name`` (KeyError if none)."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def by_role(self, role: Role) -> tuple[NodeSpec, ...]:
        """Nodes of ``role`` in file order."""
        return tuple(n for n in self.nodes if n.role == role)


# --- entry points ------------------------------------------------------------------------


def load_scenario(path: str | os.PathLike[str], seed: int | None = None) -> Scenario:
    """Read and validate a scenario file; ``seed`` (e.g. ``--seed``) overrides the file's.

    A relative ``state`` path is taken relative to the directory of the scenario file (so a
    scenario and its state store travel together, whatever the working directory).
    """
    source = os.fspath(path)
    try:
        with open(source, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ScenarioError("", f"cannot read scenario: {exc.strerror or exc}", source) from None
    scenario = _parse_bytes(raw, source, seed)
    if scenario.state is not None and not os.path.isabs(scenario.state):
        base = os.path.dirname(source)
        if base:
            scenario = replace(scenario, state=os.path.join(base, scenario.state))
    return scenario


def default_scenario(seed: int | None = None) -> Scenario:
    """The built-in house (``zigmesh/scenario/default.toml``)."""
    raw = resources.files("zigmesh.scenario").joinpath("default.toml").read_bytes()
    return _parse_bytes(raw, "default.toml (built-in)", seed)


def parse_scenario(
    data: Mapping[str, object], source_name: str = "<scenario>", seed: int | None = None
) -> Scenario:
    """Validate a parsed TOML document (``tomllib`` output); ``seed`` overrides ``data['seed']``.

    ``state`` is kept as written (a relative path is then relative to the working directory).
    """
    try:
        return _Parser(data, source_name, seed).scenario()
    except ScenarioError as exc:
        raise exc.with_source(source_name) from None


def _parse_bytes(raw: bytes, source: str, seed: int | None) -> Scenario:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            "", f"not UTF-8 text ({exc.reason} at byte {exc.start})", source
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("", f"not valid TOML: {exc}", source) from None
    except RecursionError:
        raise ScenarioError("", _TOO_DEEP, source) from None
    if _nesting(data) > MAX_NESTING:
        raise ScenarioError("", _TOO_DEEP, source)
    return parse_scenario(data, source, seed)


#: deepest nesting of tables and arrays in a scenario (the deepest real one is 3 or 4)
MAX_NESTING = 32
_TOO_DEEP = f"tables and arrays nested more than {MAX_NESTING} levels deep"


def _nesting(data: object) -> int:
    """How deep tables and arrays nest in ``data`` (a tomllib document), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = list(value)
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        stack.extend((c, depth + 1) for c in children)
    return deepest


# --- the parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, data: Mapping[str, object], source: str, seed: int | None) -> None:
        self.data = _table(data, "scenario")
        self.source = source
        self.seed_override = seed
        self.seed = 0
        self.duration_us = 0

    def scenario(self) -> Scenario:
        d = self.data
        _check_keys(d, _TOP_KEYS, "")
        if self.seed_override is not None:
            self.seed = _int(self.seed_override, "seed", 0, None, "a non-negative integer")
        elif "seed" in d:
            self.seed = _int(d["seed"], "seed", 0, None, "a non-negative integer")
        if "duration" not in d:
            raise ScenarioError("duration", "missing (how long to simulate, e.g. '5m')")
        self.duration_us = parse_duration(d["duration"], "duration")
        if self.duration_us <= 0:
            raise ScenarioError("duration", f"must be positive, {_got(d['duration'])}")
        channel: int | None = None
        if "channel" in d:
            channel = _int(
                d["channel"],
                "channel",
                CHANNELS.start,
                CHANNELS.stop - 1,
                "an integer from 11 to 26",
            )
        name = _str(d["name"], "name") if "name" in d else ""
        description = _str(d["description"], "description") if "description" in d else ""
        security = _bool(d["security"], "security") if "security" in d else True
        require_codes = (
            _bool(d["require_install_codes"], "require_install_codes")
            if "require_install_codes" in d
            else False
        )
        if require_codes and not security:
            raise ScenarioError(
                "require_install_codes",
                "needs security = true (install codes only matter on a secured network)",
            )
        state = _path(d["state"], "state") if "state" in d else None
        concentrator_period_s = DEFAULT_CONCENTRATOR_PERIOD_S
        if "concentrator_period" in d:
            concentrator_period_s = _concentrator_period(d["concentrator_period"])
        radio = parse_radio(d.get("radio"))
        node_parser = NodeParser(d, self.seed, self.duration_us)
        nodes = node_parser.nodes(d.get("nodes"))
        node_parser.check_reachable(nodes, radio)
        capture = parse_capture(d.get("capture", True), nodes)
        app = AppParser(
            {n.name: n.device for n in nodes if n.device is not None},
            node_groups(nodes),
            [n.name for n in nodes],
            self.duration_us,
        )
        groups = app.parse_groups(d.get("groups"))
        bindings = app.parse_bindings(d.get("bindings"))
        traffic, actions = self._traffic(d.get("traffic"), nodes, app, bindings)
        return Scenario(
            seed=self.seed,
            duration_us=self.duration_us,
            channel=channel,
            nodes=nodes,
            traffic=traffic,
            radio=radio,
            name=name,
            description=description,
            source=self.source,
            security=security,
            require_install_codes=require_codes,
            state=state,
            groups=groups,
            bindings=bindings,
            actions=actions,
            faults=parse_faults(d.get("faults"), nodes, self.duration_us),
            attackers=parse_attackers(d.get("attackers"), self.duration_us, self.source),
            capture=capture,
            concentrator_period_s=concentrator_period_s,
        )

    # [[traffic]] ---------------------------------------------------------------------------

    def _traffic(
        self,
        value: object,
        nodes: tuple[NodeSpec, ...],
        app: AppParser,
        bindings: tuple[BindingSpec, ...],
    ) -> tuple[tuple[TrafficSpec, ...], tuple[ActionSpec, ...]]:
        if value is None:
            return (), ()
        if not isinstance(value, list):
            raise ScenarioError(
                "traffic", f"must be an array of tables ([[traffic]]), {_got(value)}"
            )
        by_name = {n.name: n for n in nodes}
        groups: dict[str, list[str]] = {}
        for n in nodes:
            if n.group is not None:
                groups.setdefault(n.group, []).append(n.name)
        if len(value) > MAX_FLOWS:
            raise ScenarioError(
                "traffic",
                f"too many flows: {len(value)}, at most {MAX_FLOWS} (flow k uses the"
                " manufacturer-specific cluster 0xFC00 + k)",
            )
        flows: list[TrafficSpec] = []
        actions: list[ActionSpec] = []
        used: set[str] = set()
        join_at = {n.name: n.join_at_us for n in nodes}
        for i, item in enumerate(value):
            where = f"traffic[{i}]"
            t = _table(item, where)
            if "action" in t:
                actions.append(
                    app.parse_action(
                        t, where, i, bindings, self._window, join_at, used, MIN_PERIOD_US
                    )
                )
                continue
            _check_keys(t, _TRAFFIC_KEYS, where)
            for key in ("from", "to", "every", "size"):
                if key not in t:
                    raise ScenarioError(
                        f"{where}.{key}", "missing (traffic needs from, to, every and size)"
                    )
            dest = self._destination(t["to"], f"{where}.to", by_name, groups, nodes)
            sources = self._sources(t["from"], f"{where}.from", by_name, groups, nodes, dest)
            period = parse_duration(t["every"], f"{where}.every")
            if period < MIN_PERIOD_US:
                raise ScenarioError(
                    f"{where}.every",
                    f"must be at least {format_duration(MIN_PERIOD_US)}, {_got(t['every'])}",
                )
            size = _int(
                t["size"],
                f"{where}.size",
                MIN_PAYLOAD_BYTES,
                MAX_PAYLOAD_BYTES,
                f"an integer from {MIN_PAYLOAD_BYTES} to {MAX_PAYLOAD_BYTES} bytes (a ZCL frame with"
                " its 3-byte header, up to what one secured NWK frame carries)",
            )
            last_join = max(by_name[n].join_at_us for n in (*sources, dest))
            start, stop = self._window(t, where, last_join)
            if "name" in t:
                name = _str(t["name"], f"{where}.name")
                if not name or name in used:
                    problem = (
                        "must not be empty"
                        if not name
                        else f"{name!r} is already the name of another flow"
                    )
                    raise ScenarioError(f"{where}.name", problem)
            else:
                base = f"{_selector_text(t['from'])}->{dest}"
                name, k = base, 2
                while name in used:
                    name, k = f"{base}#{k}", k + 1
            used.add(name)
            ack = _bool(t["ack"], f"{where}.ack") if "ack" in t else True
            flows.append(TrafficSpec(name, sources, dest, period, size, start, stop, ack))
        return tuple(flows), tuple(actions)

    def _window(self, t: Mapping[str, object], where: str, last_join: int) -> tuple[int, int]:
        end = format_duration(self.duration_us)
        if "start" in t:
            start = parse_duration(t["start"], f"{where}.start")
            if start >= self.duration_us:
                raise ScenarioError(
                    f"{where}.start",
                    f"must be before the end of the run ({end}), {_got(t['start'])}",
                )
        else:
            start = last_join + TRAFFIC_SETTLE_US
        if "stop" in t:
            stop = parse_duration(t["stop"], f"{where}.stop")
            if stop > self.duration_us:
                raise ScenarioError(
                    f"{where}.stop",
                    f"must not be after the end of the run ({end}), {_got(t['stop'])}",
                )
            if stop <= start:
                raise ScenarioError(
                    f"{where}.stop",
                    f"must be after the start ({format_duration(start)}), {_got(t['stop'])}",
                )
        else:
            stop = self.duration_us - TRAFFIC_DRAIN_US
            if stop <= start:
                how = (
                    ""
                    if "start" in t
                    else f" ({format_duration(TRAFFIC_SETTLE_US)} after its nodes' last join)"
                )
                raise ScenarioError(
                    where,
                    f"the flow would start at {format_duration(start)}{how} but stop at {format_duration(stop)} "
                    f"({format_duration(TRAFFIC_DRAIN_US)} before the end of the run); set start/stop or a longer duration",
                )
        return start, stop

    def _destination(
        self,
        value: object,
        where: str,
        by_name: Mapping[str, NodeSpec],
        groups: Mapping[str, list[str]],
        nodes: tuple[NodeSpec, ...],
    ) -> str:
        name = _str(value, where)
        if name == "coordinator":
            return next(n.name for n in nodes if n.role == "coordinator")
        if name in by_name:
            return name
        if name in groups:
            raise ScenarioError(
                where, f"must name one node; {name!r} is a group of {len(groups[name])} nodes"
            )
        raise ScenarioError(
            where, f"no node named {name!r}{_suggest(name, [*by_name, 'coordinator'])}"
        )

    def _sources(
        self,
        value: object,
        where: str,
        by_name: Mapping[str, NodeSpec],
        groups: Mapping[str, list[str]],
        nodes: tuple[NodeSpec, ...],
        dest: str,
    ) -> tuple[str, ...]:
        items: list[tuple[str, str]] = []
        if isinstance(value, str):
            items.append((value, where))
        elif isinstance(value, list) and value:
            items.extend((_str(v, f"{where}[{k}]"), f"{where}[{k}]") for k, v in enumerate(value))
        else:
            raise ScenarioError(
                where, f"must be a node name, group, role or an array of them, {_got(value)}"
            )
        out: dict[str, None] = {}
        for sel, w in items:
            if sel in by_name:
                if sel == dest:
                    raise ScenarioError(
                        w, f"{sel!r} is also the destination; a node cannot send to itself"
                    )
                out[sel] = None
                continue
            if sel == "coordinator":
                chosen = [n.name for n in nodes if n.role == "coordinator"]
            elif sel in _ROUTER_WORDS:
                chosen = [n.name for n in nodes if n.role == "router"]
            elif sel in _END_DEVICE_WORDS:
                chosen = [n.name for n in nodes if n.role == "end_device"]
            elif sel in groups:
                chosen = groups[sel]
            else:
                words = [*by_name, *groups, "coordinator", "all_routers", "all_end_devices"]
                raise ScenarioError(
                    w, f"no node, group or role named {sel!r}{_suggest(sel, words)}"
                )
            chosen = [c for c in chosen if c != dest]
            if not chosen:
                raise ScenarioError(
                    w, f"{sel!r} selects no node other than the destination {dest!r}"
                )
            out.update(dict.fromkeys(chosen))
        return tuple(out)


def _suggest(word: str, choices: Sequence[str]) -> str:
    hint = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


def _selector_text(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _concentrator_period(value: object) -> int:
    """``concentrator_period``: a duration of whole seconds, 0-255."""
    where = "concentrator_period"
    us = parse_duration(value, where)
    if us % 1_000_000 or us > MAX_CONCENTRATOR_PERIOD_S * 1_000_000:
        raise ScenarioError(
            where,
            f"must be whole seconds from 0 to {MAX_CONCENTRATOR_PERIOD_S}"
            f" (nwkConcentratorDiscoveryTime), {_got(value)}",
        )
    return us // 1_000_000
