"""Watching a run from outside the stack (DESIGN.md 6, observers): what the summary, the map
and the report show beyond end-of-run counters.

:class:`RunObserver` is the medium's capture sink (it forwards every frame to the real one, the
pcap writer) and a sampler on the kernel. From the frames on the air it counts, per minute,
frames and airtime (channel utilisation); it follows the NWK data frames of every traffic flow
hop by hop, so the route each message actually took is known; and it attributes a sleepy
device's awake charge to the frame each wake-up sent (:class:`~zigmesh.sim.energy.ActivityMeter`).
Every :data:`SAMPLE_US` it opens the steady-state energy window of each end device that has
been in the network for :data:`SETTLE_US` and has started its traffic; every minute it records
the joined count and the cumulative rejoins. Its callbacks only read: the simulation runs the
same with or without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from zigmesh.node import Node, Role
from zigmesh.phy import BYTE_US, SHR_PHR_BYTES, RadioState
from zigmesh.scenario.config import Scenario
from zigmesh.sim.energy import ActivityMeter, SteadyState, charge_nc, energy_report
from zigmesh.sim.medium import CaptureSink
from zigmesh.sim.world import World

__all__ = ["MINUTE_US", "SAMPLE_US", "SETTLE_US", "MinuteRow", "RunObserver"]

#: time series bucket
MINUTE_US = 60_000_000
#: how often the steady-state windows are checked
SAMPLE_US = 5_000_000
#: a device's start-up ends this long after it joined (key exchange, first polls, announce)
SETTLE_US = 30_000_000
_MAC_CMD = 3
_MAC_DATA = 1
_DATA_REQUEST = 0x04
_MAX_OPEN_PATHS = 4096


@dataclass(slots=True)
class MinuteRow:
    """Air and network counters of one minute (``joined`` and ``rejoins`` at its end)."""

    frames: int = 0
    airtime_us: int = 0
    joined: int = 0
    rejoins: int = 0
    route_discoveries: int = 0
    mac_retries: int = 0


@dataclass(slots=True)
class _Battery:
    node: Node
    start_after_us: int
    meter: ActivityMeter | None = None
    start_us: int = 0
    start_times: dict[RadioState, int] = field(default_factory=dict)


class RunObserver:
    """Capture tee + sampler for one run (see the module docstring)."""

    def __init__(self, world: World, scenario: Scenario, sink: CaptureSink | None = None) -> None:
        self.world = world
        self.sink = sink
        self.minutes: list[MinuteRow] = [MinuteRow()]
        #: (source name, destination name) -> Counter of paths (tuples of node names)
        self.paths: dict[tuple[str, str], Counter[tuple[str, ...]]] = {}
        self._open: dict[tuple[int, int, int], list[str]] = {}
        self._pairs: dict[tuple[int, int], tuple[str, str]] = {}
        self._flow_pairs: set[tuple[str, str]] = set()
        first_send: dict[str, int] = {}
        for spec in scenario.traffic:
            for i, src in enumerate(spec.sources):
                self._flow_pairs.add((src, spec.destination))
                t = spec.first_send_us(i)
                first_send[src] = min(first_send.get(src, t), t)
        self._first_send = first_send
        self._short: dict[int, Node] = {}
        self._unknown: set[int] = set()
        self._ext: dict[int, Node] = {}
        self._battery: dict[str, _Battery] = {}
        self._pending: list[_Battery] = []
        self._end_us: int | None = None
        self.steady: dict[str, SteadyState] = {}

    # -- set-up ----------------------------------------------------------------------------

    def attach(self) -> None:
        """Call once the nodes exist, before running: starts the samplers."""
        for node in self.world:
            self._ext[node.eui64] = node
            if node.role == Role.END_DEVICE:
                b = _Battery(node, self._first_send.get(node.name, 0))
                self._battery[node.name] = b
                self._pending.append(b)
        kernel = self.world.kernel
        kernel.call_at(kernel.now() + SAMPLE_US, self._sample)
        kernel.call_at(kernel.now() + MINUTE_US, self._minute)

    # -- capture sink ----------------------------------------------------------------------

    def write(self, time_us: int, data: bytes) -> None:
        """A frame starts on the air (the medium's capture callback)."""
        if self.sink is not None:
            self.sink.write(time_us, data)
        row = self.minutes[-1]
        row.frames += 1
        row.airtime_us += (SHR_PHR_BYTES + len(data)) * BYTE_US
        if len(data) < 5:
            return
        fc = data[0] | data[1] << 8
        ftype = fc & 7
        if ftype != _MAC_DATA and ftype != _MAC_CMD:
            return
        dst_mode = (fc >> 10) & 3
        src_mode = (fc >> 14) & 3
        i = 3
        mac_dst = -1
        if dst_mode:
            i += 2
            if dst_mode == 2:
                mac_dst = data[i] | data[i + 1] << 8
                i += 2
            else:
                i += 8
        sender: Node | None = None
        if src_mode:
            if not fc & 0x40:
                i += 2
            if src_mode == 2:
                sender = self._node_short(data[i] | data[i + 1] << 8)
                i += 2
            else:
                sender = self._ext.get(int.from_bytes(data[i : i + 8], "little"))
                i += 8
        if len(data) < i + 3:
            return
        if sender is not None and sender.role == Role.END_DEVICE:
            self._energy(sender, ftype, data, i)
        if ftype == _MAC_DATA and sender is not None and len(data) >= i + 8 + 2:
            self._hop(sender, mac_dst, data, i)

    def _energy(self, sender: Node, ftype: int, data: bytes, i: int) -> None:
        b = self._battery.get(sender.name)
        if b is None or b.meter is None:
            return
        if not sender.joined:
            activity = "joins"
        elif ftype == _MAC_CMD:
            activity = "polls" if data[i] == _DATA_REQUEST else "nwk_commands"
        elif data[i] & 3 == 1:
            activity = "nwk_commands"
        else:
            activity = "data"
        b.meter.frame(self.world.radios[sender.name].state_times(), activity)

    def _hop(self, sender: Node, mac_dst: int, data: bytes, i: int) -> None:
        """Follow a NWK data frame of a flow one hop (NWK header: fc, dst, src, radius, seq)."""
        if data[i] & 3 != 0:
            return
        nwk_dst = data[i + 2] | data[i + 3] << 8
        nwk_src = data[i + 4] | data[i + 5] << 8
        pair = self._pairs.get((nwk_src, nwk_dst))
        if pair is None:
            return
        key = (nwk_src, nwk_dst, data[i + 7])
        path = self._open.get(key)
        if path is None:
            if sender.name != pair[0]:
                return  # the first hop was missed (or a stale sequence number)
            if len(self._open) >= _MAX_OPEN_PATHS:
                self._open.clear()
            path = [sender.name]
            self._open[key] = path
        nxt = self._node_short(mac_dst) if mac_dst >= 0 else None
        if nxt is None:
            return
        if path[-1] != sender.name or (len(path) > 1 and path[-1] == nxt.name):
            return  # a retransmission, or a hop out of order
        if nxt.name in path:
            return
        path.append(nxt.name)
        if mac_dst == nwk_dst:
            del self._open[key]
            self.paths.setdefault(pair, Counter())[tuple(path)] += 1

    def sent_by(self, names: Collection[str]) -> Callable[[int, int], bool]:
        """A capture filter's sender predicate: true when the MAC source address (mode 2 short,
        3 extended) is that of a node called one of ``names`` (short addresses resolved as the
        run goes, cached like the hop follower's)."""
        wanted = frozenset(names)

        def sender(mode: int, address: int) -> bool:
            node = self._node_short(address) if mode == 2 else self._ext.get(address)
            return node is not None and node.name in wanted

        return sender

    def _node_short(self, address: int) -> Node | None:
        node = self._short.get(address)
        if node is not None and node.nwk.joined and node.nwk.address == address:
            return node
        if address in self._unknown:
            return None
        node = self.world.by_address(address)
        if node is not None:
            self._short[address] = node
        else:
            self._unknown.add(address)  # forgotten at the next sample: no scan per frame
        return node

    # -- samplers --------------------------------------------------------------------------

    def _refresh_pairs(self) -> None:
        pairs: dict[tuple[int, int], tuple[str, str]] = {}
        nodes = self.world.nodes
        for src, dst in self._flow_pairs:
            a, b = nodes[src], nodes[dst]
            if a.joined and b.joined:
                pairs[(a.network_address, b.network_address)] = (src, dst)
        self._pairs = pairs

    def _sample(self) -> None:
        world = self.world
        now = world.kernel.now()
        world.kernel.call_at(now + SAMPLE_US, self._sample)
        self._unknown.clear()
        self._refresh_pairs()
        if not self._pending:
            return
        left = []
        for b in self._pending:
            node = b.node
            joined_at = node.stats.joined_at_us
            if (
                node.joined
                and joined_at is not None
                and now >= joined_at + SETTLE_US
                and now >= b.start_after_us
            ):
                times = world.radios[node.name].state_times()
                b.meter = ActivityMeter(times)
                b.start_us = now
                b.start_times = times
            else:
                left.append(b)
        self._pending = left

    def _minute(self) -> None:
        world = self.world
        now = world.kernel.now()
        world.kernel.call_at(now + MINUTE_US, self._minute)
        self._close_minute()
        self.minutes.append(MinuteRow())

    def _close_minute(self) -> None:
        row = self.minutes[-1]
        row.joined = sum(1 for _ in self.world.joined())
        rejoins = discoveries = retries = 0
        for node in self.world:
            rejoins += node.nwk.stats.rejoins
            discoveries += node.nwk.stats.route_discoveries
            retries += node.mac.stats.tx_retries
        # cumulative now; turned into per-minute deltas in finish()
        row.rejoins = rejoins
        row.route_discoveries = discoveries
        row.mac_retries = retries

    def finish(self) -> None:
        """At the end of the run: close the last minute and the energy windows."""
        now = self.world.kernel.now()
        self._end_us = now
        if (now % MINUTE_US) or len(self.minutes) == 1:
            self._close_minute()
        else:
            self.minutes.pop()  # the run ended on a minute boundary: that row is empty
        prev = (0, 0, 0)
        for row in self.minutes:
            cur = (row.rejoins, row.route_discoveries, row.mac_retries)
            row.rejoins, row.route_discoveries, row.mac_retries = (
                cur[0] - prev[0],
                cur[1] - prev[1],
                cur[2] - prev[2],
            )
            prev = cur
        for name, b in self._battery.items():
            if b.meter is None:
                continue
            end = self.world.radios[name].state_times()
            b.meter.close(end)
            times = {s: end[s] - b.start_times.get(s, 0) for s in RadioState}
            self.steady[name] = SteadyState(
                startup_us=b.start_us,
                startup_nc=charge_nc(b.start_times),
                window_us=now - b.start_us,
                times_us=times,
                activity_nc=dict(b.meter.charge_nc),
                events=dict(b.meter.events),
            )

    # -- results ---------------------------------------------------------------------------

    def route_taken(self, src: str, dst: str) -> tuple[list[str], int, int]:
        """The path most messages from ``src`` to ``dst`` took (names), how many took it, and
        how many complete paths were seen; ``([], 0, 0)`` when none was."""
        paths = self.paths.get((src, dst))
        if not paths:
            return [], 0, 0
        best, count = min(paths.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
        return list(best), count, sum(paths.values())

    def whole_run_energy(self, name: str) -> float:
        """Average radio current (mA) of node ``name`` over the whole run."""
        return energy_report(self.world.radios[name].state_times()).average_current_ma
