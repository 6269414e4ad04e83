"""The simulated network a zigpy application drives: a scenario built into a World, no hub.

:func:`parse_device_path` reads zigpy's device path ``zigmesh://SCENARIO.toml?seed=N&speed=X``
(an empty path: the built-in smart home); :func:`build_house` turns a
:class:`~zigmesh.scenario.config.Scenario` into a :class:`SimHouse`: the nodes, the ZCL device on
endpoint 1 of every node with a ``device``, the scenario's groups and bindings. What the
scenario runner would add on top (the hub, the ``[[traffic]]`` flows and actions) is left
out: zigpy is the hub, and a script drives the devices through :attr:`SimHouse.endpoints`.

The coordinator is not started by the World: zigpy starts it (forming the network from the
settings it writes, or resuming the one the state store kept). Devices scan the scenario's
channel, or every channel when the scenario leaves it to the coordinator. A sleepy device
polls fast (:meth:`~zigmesh.aps.aps.Aps.expect_response`) for :data:`FAST_POLL_AFTER_JOIN_US`
after each join, as Zigbee 3.0 end devices do while their hub interviews them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, urlsplit

from zigmesh.aps.binding import BindingEntry
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.errors import LocalProtocolError
from zigmesh.node import Node, Role
from zigmesh.persist.store import StateStore, open_store
from zigmesh.phy import CHANNELS
from zigmesh.scenario.config import Scenario, default_scenario, load_scenario
from zigmesh.sim.world import World
from zigmesh.zcl.clusters.general import GROUPS, Groups
from zigmesh.zcl.devices import DEVICE_TYPES
from zigmesh.zcl.engine import ZclEndpoint

__all__ = [
    "DEVICE_ENDPOINT",
    "FAST_POLL_AFTER_JOIN_US",
    "MANUFACTURER",
    "DevicePath",
    "SimHouse",
    "build_house",
    "parse_device_path",
]

S = 1_000_000
#: the endpoint a scenario's ``device`` lives on
DEVICE_ENDPOINT = 1
#: Basic ManufacturerName of the simulated devices (ModelIdentifier: the device type's name)
MANUFACTURER = "zigmesh"
#: a sleepy device polls fast this long after it (re)joined
FAST_POLL_AFTER_JOIN_US = 90 * S
#: the coordinator's start in the World: never (zigpy starts it)
_NEVER_US = 1 << 60
_TICK_US = 1 * S


@dataclass(frozen=True, slots=True)
class DevicePath:
    """zigpy's ``device: path`` for this radio: ``zigmesh://[SCENARIO.toml][?seed=N][&speed=X]``.

    ``scenario`` None: the built-in smart home. ``seed`` overrides the scenario's; ``speed``
    is the real-time scale (simulated seconds per wall second) when the application runs on
    an ordinary asyncio loop; ``state`` a SQLite state file overriding the scenario's.
    """

    scenario: str | None = None
    seed: int | None = None
    speed: float = 1.0
    state: str | None = None


def parse_device_path(path: str) -> DevicePath:
    """Parse ``zigmesh://...`` (ValueError naming the problem)."""
    prefix = "zigmesh://"
    if not path.startswith(prefix):
        raise ValueError(f"device path {path!r} does not start with {prefix!r}")
    parts = urlsplit("zigmesh:" + path[len("zigmesh:") :])
    name = (parts.netloc + parts.path) or None
    if name in ("default", "smart_home"):
        name = None
    query = parse_qs(parts.query, strict_parsing=bool(parts.query))
    unknown = set(query) - {"seed", "speed", "state"}
    if unknown:
        raise ValueError(f"device path: unknown parameter(s) {sorted(unknown)}")

    def one(key: str) -> str | None:
        vals = query.get(key)
        return vals[-1] if vals else None

    seed = one("seed")
    speed = one("speed")
    try:
        out = DevicePath(
            scenario=name,
            seed=int(seed) if seed is not None else None,
            speed=float(speed) if speed is not None else 1.0,
            state=one("state"),
        )
    except ValueError:
        raise ValueError(f"device path {path!r}: seed must be an integer, speed a number") from None
    if not out.speed > 0:
        raise ValueError(f"device path {path!r}: speed must be positive")
    return out


@dataclass(eq=False)
class SimHouse:
    """A World built from a scenario for zigpy: ``world``, the ``coordinator`` node, the ZCL
    device ``endpoints`` by node name, and the state ``store`` it opened (if any)."""

    world: World
    coordinator: Node
    scenario: Scenario | None = None
    endpoints: dict[str, ZclEndpoint] = field(default_factory=dict)
    store: StateStore | None = None
    _joins_seen: dict[str, int] = field(default_factory=dict)

    def endpoint(self, name: str) -> ZclEndpoint:
        """The device endpoint of node ``name``."""
        return self.endpoints[name]

    def node(self, name: str) -> Node:
        return self.world[name]

    def close(self) -> None:
        """Close the capture and the state store."""
        self.world.close()
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- sleepy devices --------------------------------------------------------------------------

    def start_fast_poll(self) -> None:
        """Watch for (re)joins of sleepy devices (once a second) and make them poll fast."""
        self.world.kernel.call_later(_TICK_US, self._tick)

    def _tick(self) -> None:
        for node in self.world:
            if node.role != Role.END_DEVICE or not node.joined:
                continue
            n = len(node.stats.join_times_us)
            if n != self._joins_seen.get(node.name, 0):
                self._joins_seen[node.name] = n
                node.aps.expect_response(FAST_POLL_AFTER_JOIN_US, self)
        self.world.kernel.call_later(_TICK_US, self._tick)


def load_house(path: DevicePath) -> SimHouse:
    """Build the house a device path names."""
    if path.scenario is None:
        scenario = default_scenario(path.seed)
    else:
        scenario = load_scenario(Path(path.scenario), path.seed)
    return build_house(scenario, state=path.state)


def build_house(
    scenario: Scenario, *, state: str | Path | None = None, store: StateStore | None = None
) -> SimHouse:
    """Build the scenario's network without its hub and traffic (module docstring).
    ``state`` (a SQLite file; default the scenario's ``state``) or ``store`` keeps node state."""
    own_store = None
    if store is None:
        path = state if state is not None else scenario.state
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            store = own_store = open_store(path)
    channels = (scenario.channel,) if scenario.channel is not None else tuple(CHANNELS)
    radio = scenario.radio
    world = World(
        scenario.seed,
        medium=radio.medium_config(),
        channel=channels[0],
        tx_power_dbm=radio.tx_power_dbm,
        security=scenario.security,
        require_install_codes=scenario.require_install_codes,
        store=store,
    )
    coordinator: Node | None = None
    for spec in scenario.nodes:
        is_coord = spec.role == Role.COORDINATOR.value
        node = world.add_node(
            spec.name,
            spec.role,
            spec.position,
            poll_interval_us=spec.poll_interval_us,
            join_at_us=_NEVER_US if is_coord else spec.join_at_us,
            channels=channels,
            install_code=spec.install_code,
            registered_install_code=spec.registered_install_code,
            manufacturer_code=spec.manufacturer_code,
            permit_joining=not is_coord,
        )
        if is_coord:
            coordinator = node
    if coordinator is None:
        raise LocalProtocolError("the scenario has no coordinator")
    house = SimHouse(world, coordinator, scenario, store=own_store)
    for spec in scenario.nodes:
        if spec.device is None:
            continue
        dt = DEVICE_TYPES[spec.device]
        house.endpoints[spec.name] = dt.create(
            world[spec.name],
            DEVICE_ENDPOINT,
            {"basic": {"manufacturer_name": MANUFACTURER, "model_identifier": dt.name}},
        )
    for g in scenario.groups:
        for m in g.members:
            cast(Groups, house.endpoints[m].servers[GROUPS.id]).add(g.id)
    for b in scenario.bindings:
        src = world[b.source]
        for cid in b.clusters:
            if b.group is not None:
                entry = BindingEntry(src.eui64, DEVICE_ENDPOINT, cid, ApsAddrMode.GROUP, b.group)
            else:
                dst = world[cast(str, b.target)]
                entry = BindingEntry(
                    src.eui64, DEVICE_ENDPOINT, cid, ApsAddrMode.IEEE, dst.eui64, DEVICE_ENDPOINT
                )
            src.aps.binding_table.add(entry)
    house.start_fast_poll()
    return house
