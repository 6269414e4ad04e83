"""A simulated Zigbee network (DESIGN.md section 5): kernel + medium + capture + nodes.

``World(seed)`` owns the virtual clock (:class:`~zigmesh.sim.kernel.Kernel`), the radio medium
and an optional capture sink (a pcap path or any object with ``write(time_us, psdu)``).
``add_node`` places a device and schedules its start-up (:class:`~zigmesh.node.Node`): the
coordinator forms the network at once, routers and end devices discover and join at their
``join_at_us`` (staggered over the first seconds by default) while every router permits
joining. ``run(until_us)`` advances virtual time. Everything is deterministic from the seed:
each node's ``random.Random`` comes from :func:`~zigmesh.sim.kernel.node_rng` (seed, EUI-64),
the medium's shadowing from the seed.

Security (``security=True``, the default): every network is a secured Zigbee 3.0 network with
the coordinator as trust center; ``require_install_codes`` makes the trust center accept only
devices whose install code it was given (``add_node(install_code=...)`` registers it, or
``registered_install_code`` to register another one: a device with a wrong code). ``store``
(a :class:`~zigmesh.persist.store.StateStore`) keeps each node's keys, frame counters, network
parameters and children; the default, ``MemoryStore(volatile=False)``, models the devices'
flash in memory.

``power_off`` silences a node at once (its timers stop firing, its radio sleeps and hears
nothing); ``power_on`` restarts it with what the store kept: the coordinator and routers
resume their network (same PAN ID, channel, keys, children; frame counters jumped forward),
end devices rejoin secured. A volatile store (``MemoryStore()``, RAM) is lost with the power,
and the node starts afresh.

Topology accessors (``parent_of``, ``depth``, ``neighbor_lqis``, ``routing_table``...) read the
nodes' NWK tables; ``node_stats`` gives per-node counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from zigmesh.capture.pcap import PcapWriter
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.mac import MacConfig
from zigmesh.node import Node, NodeConfig, NodeState, Role
from zigmesh.nwk.nwk import NwkConfig
from zigmesh.pending import Pending
from zigmesh.persist.store import MemoryStore, StateStore
from zigmesh.phy import RadioState
from zigmesh.sim.kernel import Kernel, Timer, node_rng
from zigmesh.sim.medium import CaptureSink, Medium, MediumConfig, Position, Radio
from zigmesh.zdo.trust_center import TrustCenterConfig

__all__ = ["World", "NodeClock", "EUI64_BASE", "DEFAULT_STAGGER_US"]

#: EUI-64 of the n-th node added without one: EUI64_BASE + n (a TI-style OUI)
EUI64_BASE = 0x00124B0000000000
#: default join time of the n-th joining node: 1 s + n x this
DEFAULT_STAGGER_US = 250_000
_FIRST_JOIN_US = 1_000_000


class NodeClock:
    """A node's view of the kernel: callbacks scheduled before a power-off never run.

    Implements :class:`zigmesh.clock.Clock`; ``gate()`` invalidates every pending callback.
    """

    __slots__ = ("_kernel", "_gen")

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel
        self._gen = 0

    def now(self) -> int:
        return self._kernel._now

    def call_at(self, t_us: int, fn: Callable[..., Any], *args: Any) -> Timer:
        return self._kernel.call_at(t_us, self._run, self._gen, fn, args)

    def call_later(self, delay_us: int, fn: Callable[..., Any], *args: Any) -> Timer:
        return self._kernel.call_later(delay_us, self._run, self._gen, fn, args)

    def _run(self, gen: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        if gen == self._gen:
            fn(*args)

    def gate(self) -> None:
        """Drop every callback scheduled so far."""
        self._gen += 1


class World:
    """A network in virtual time.

    ``World(seed=0, *, medium=None, channel=11, capture=None, tx_power_dbm=0.0, nwk=None,
    mac=None)``: ``medium`` is the :class:`MediumConfig`; ``capture`` a pcap path (the world
    writes and closes it) or a :class:`CaptureSink`; ``nwk`` / ``mac`` the default layer
    configurations of every node.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        medium: MediumConfig | None = None,
        channel: int = 11,
        capture: str | Path | CaptureSink | None = None,
        tx_power_dbm: float = 0.0,
        nwk: NwkConfig | None = None,
        mac: MacConfig | None = None,
        security: bool = True,
        require_install_codes: bool = False,
        store: StateStore | None = None,
    ) -> None:
        if not 11 <= channel <= 26:
            raise LocalProtocolError(f"channel {channel} not in 11-26")
        self.seed = seed
        self.channel = channel
        self.tx_power_dbm = tx_power_dbm
        self.nwk_config = nwk if nwk is not None else NwkConfig()
        self.mac_config = mac if mac is not None else MacConfig()
        self.kernel = Kernel()
        self._writer: PcapWriter | None = None
        sink: CaptureSink | None
        if isinstance(capture, str | Path):
            self._writer = PcapWriter(capture)
            sink = self._writer
        else:
            sink = capture
        self.medium = Medium(self.kernel, seed, medium, sink)
        self.nodes: dict[str, Node] = {}
        self.radios: dict[str, Radio] = {}
        self._clocks: dict[str, NodeClock] = {}
        self._powered: dict[str, bool] = {}
        #: lookups by IEEE address (fixed per node) and by network address (a cache checked
        #: on every hit and rebuilt on a miss: addresses change with joins and conflicts)
        self._by_eui64: dict[int, Node] = {}
        self._by_address: dict[int, Node] = {}
        self._joiners = 0
        self.security = security
        self.require_install_codes = require_install_codes
        self.store: StateStore = store if store is not None else MemoryStore(volatile=False)
        #: install codes the trust center is given: (EUI-64, code with CRC)
        self._install_codes: list[tuple[int, bytes]] = []

    # -- building --------------------------------------------------------------------------

    def add_node(
        self,
        name: str,
        role: Role | str,
        position: Position,
        eui64: int | None = None,
        poll_interval_us: int | None = None,
        join_at_us: int | None = None,
        *,
        rx_on_when_idle: bool = False,
        tx_power_dbm: float | None = None,
        nwk: NwkConfig | None = None,
        concentrator: bool | None = None,
        permit_joining: bool = True,
        channels: tuple[int, ...] | None = None,
        install_code: bytes | None = None,
        registered_install_code: bytes | None = None,
        manufacturer_code: int = 0x0000,
    ) -> Node:
        """Place a node and schedule its start-up at ``join_at_us`` (default: the coordinator
        at once, other nodes 1 s + 250 ms x their rank among joiners). ``channels`` (default:
        the world's channel) is the mask it forms on or scans. ``install_code`` (with CRC)
        is the device's own; the trust center is given ``registered_install_code`` (default:
        the same code) for it."""
        if name in self.nodes:
            raise LocalProtocolError(f"node {name!r} already exists")
        r = Role(role)
        if eui64 is None:
            eui64 = EUI64_BASE + len(self.nodes) + 1
        if join_at_us is None:
            if r == Role.COORDINATOR:
                join_at_us = 0
            else:
                join_at_us = _FIRST_JOIN_US + self._joiners * DEFAULT_STAGGER_US
                self._joiners += 1
        if join_at_us < self.kernel.now():
            raise LocalProtocolError(f"join_at_us {join_at_us} is in the past")
        chans = channels if channels else (self.channel,)
        radio = self.medium.add_radio(
            eui64,
            position,
            self.tx_power_dbm if tx_power_dbm is None else tx_power_dbm,
            chans[0],
            RadioState.SLEEP,
        )
        clock = NodeClock(self.kernel)
        config = NodeConfig(
            role=r,
            eui64=eui64,
            name=name,
            channels=chans,
            poll_interval_us=poll_interval_us,
            rx_on_when_idle=rx_on_when_idle,
            concentrator=concentrator,
            permit_joining=permit_joining,
            nwk=nwk if nwk is not None else self.nwk_config,
            mac=self.mac_config,
            security=self.security,
            install_code=install_code,
            trust_center=TrustCenterConfig(require_install_codes=self.require_install_codes),
            install_codes=tuple(self._install_codes) if r == Role.COORDINATOR else (),
            manufacturer_code=manufacturer_code,
        )
        node = Node(radio, clock, node_rng(self.seed, eui64), config, self.store)
        registered = registered_install_code if registered_install_code else install_code
        if registered is not None and r != Role.COORDINATOR:
            self._install_codes.append((eui64, registered))
            for n in self.nodes.values():
                if n.trust_center is not None:
                    n.trust_center.add_install_code(eui64, registered)
        self.nodes[name] = node
        self._by_eui64.setdefault(eui64, node)
        self.radios[name] = radio
        self._clocks[name] = clock
        self._powered[name] = True
        clock.call_at(join_at_us, self._start, name)
        return node

    def _start(self, name: str) -> None:
        node = self.nodes[name]
        if node.state in (NodeState.OFF, NodeState.LEFT):
            node.start()

    # -- running ---------------------------------------------------------------------------

    @property
    def now_us(self) -> int:
        return self.kernel.now()

    def run(self, until_us: int) -> int:
        """Advance virtual time to ``until_us``; returns the number of events run."""
        return self.kernel.run(until_us)

    def run_for(self, duration_us: int) -> int:
        return self.kernel.run(self.kernel.now() + duration_us)

    def run_until(
        self, pending: Pending[Any] | Callable[[], bool], timeout_us: int = 60_000_000
    ) -> bool:
        """Advance virtual time until ``pending`` is resolved (a :class:`Pending`) or the
        condition returns True (checked after every event), at most ``timeout_us``; returns
        whether it happened. The clock stops at that event, or at now + ``timeout_us``.
        """
        kernel = self.kernel
        deadline = kernel.now() + timeout_us
        if isinstance(pending, Pending):
            if pending.done():
                return True
            pending.add_done_callback(lambda _p: kernel.stop())
            kernel.run(deadline)
            return pending.done()
        cond = pending
        while not cond():
            t = kernel.next_time()
            if t is None or t > deadline:
                kernel.run(deadline)
                return cond()
            kernel.run(t)
        return True

    def close(self) -> None:
        """Flush and close the capture file the world opened."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- faults ----------------------------------------------------------------------------

    def power_off(self, node: Node | str) -> None:
        """Switch a node off now: no more timers, no reception, radio asleep."""
        name = self._name(node)
        if not self._powered[name]:
            return
        self._powered[name] = False
        self._clocks[name].gate()
        radio = self.radios[name]
        radio.set_user(None)
        self._sleep(radio)
        self.nodes[name].state = NodeState.OFF
        if self.store.volatile:
            self.store.delete(name)  # RAM is lost with the power

    def _sleep(self, radio: Radio) -> None:
        if radio.state == RadioState.TX:
            # finish the frame on air first
            self.kernel.call_later(100, self._sleep, radio)
            return
        if radio.user is None:
            radio.set_state(RadioState.SLEEP)

    def power_on(self, node: Node | str) -> None:
        """Switch a node back on: it reloads what a non-volatile store kept and rejoins
        secured, or (nothing kept) starts afresh and joins."""
        name = self._name(node)
        if self._powered[name]:
            return
        self._powered[name] = True
        self.nodes[name].restart()

    def is_powered(self, node: Node | str) -> bool:
        return self._powered[self._name(node)]

    def _name(self, node: Node | str) -> str:
        name = node if isinstance(node, str) else node.name
        if name not in self.nodes:
            raise LocalProtocolError(f"no node {name!r}")
        return name

    # -- topology --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    @property
    def coordinator(self) -> Node:
        for n in self.nodes.values():
            if n.role == Role.COORDINATOR:
                return n
        raise LocalProtocolError("no coordinator in this world")

    def joined(self) -> list[Node]:
        """Nodes in the network now (powered and joined)."""
        return [n for n in self.nodes.values() if self._powered[n.name] and n.joined]

    def all_joined(self) -> bool:
        return all(n.joined for n in self.nodes.values() if self._powered[n.name])

    def by_address(self, address: int) -> Node | None:
        """The powered, joined node using this network address (the first added, if two do)."""
        n = self._by_address.get(address)
        if n is not None and self._has_address(n, address):
            return n
        index: dict[int, Node] = {}
        for n in reversed(self.nodes.values()):
            if self._powered[n.name] and n.nwk.joined:
                index[n.nwk.address] = n
        self._by_address = index
        return index.get(address)

    def _has_address(self, n: Node, address: int) -> bool:
        return self._powered[n.name] and n.nwk.joined and n.nwk.address == address

    def by_eui64(self, eui64: int) -> Node | None:
        return self._by_eui64.get(eui64)

    def parent_of(self, node: Node | str) -> Node | None:
        """The node's parent (None for the coordinator or a node not joined)."""
        n = self.nodes[self._name(node)]
        p = n.nwk.neighbors.parent()
        if p is None:
            return None
        if p.extended_address is not None:
            found = self.by_eui64(p.extended_address)
            if found is not None:
                return found
        return self.by_address(p.network_address)

    def depth(self, node: Node | str) -> int:
        """nwkDepth of the node (0 for the coordinator)."""
        return self.nodes[self._name(node)].nwk.nib.nwk_depth

    def parent_links(self) -> list[tuple[str, str]]:
        """(child, parent) names of every joined node that has a parent."""
        out = []
        for n in self.joined():
            p = self.parent_of(n)
            if p is not None:
                out.append((n.name, p.name))
        return out

    def neighbor_lqis(self, node: Node | str) -> dict[str, int]:
        """The node's neighbour table as {neighbour name: LQI} (unknown addresses as hex)."""
        n = self.nodes[self._name(node)]
        out: dict[str, int] = {}
        for e in n.nwk.neighbors:
            other = None
            if e.extended_address is not None:
                other = self.by_eui64(e.extended_address)
            if other is None:
                other = self.by_address(e.network_address)
            out[other.name if other is not None else f"0x{e.network_address:04x}"] = e.lqi
        return out

    def routing_table(self, node: Node | str) -> list[tuple[int, int, str]]:
        """(destination, next hop, status name) of every routing table entry."""
        n = self.nodes[self._name(node)]
        return [
            (e.destination_address, e.next_hop_address, getattr(e.status, "name", str(e.status)))
            for e in n.nwk.routes
        ]

    def node_stats(self, node: Node | str) -> dict[str, object]:
        return self.nodes[self._name(node)].stats.as_dict()

    def stats(self) -> dict[str, dict[str, object]]:
        """Per-node counters, by name."""
        return {name: n.stats.as_dict() for name, n in self.nodes.items()}
