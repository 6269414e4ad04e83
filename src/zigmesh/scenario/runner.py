"""Run a scenario on the simulator: the engine of ``zigmesh run`` (issue #4).

Builds a :class:`~zigmesh.sim.world.World` from a :class:`Scenario`, schedules the traffic
flows, runs virtual time with a progress bar, and writes ``capture.pcap``, ``summary.json`` and
``network.png`` into the output directory.

Traffic until the APS layer lands: each message is an APS data frame (profile 0x0104, endpoints
1 -> 1, cluster ``0xFC00 + flow index``) whose payload is a ``size``-byte cluster-specific ZCL
frame, handed to NLDE-DATA. A message is identified at its destination by (NWK source, APS
counter); the APS counter runs per source node, so a message is matched even after counters
wrap (a key re-used 256 messages later means the earlier message was lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from zigmesh.aps.frames import ApsFrame, ApsFrameType
from zigmesh.errors import DecodeError
from zigmesh.node import Node, Role
from zigmesh.nwk.primitives import NldeDataIndication, NwkAddrMode, NwkEvent
from zigmesh.phy import CHANNELS
from zigmesh.scenario.config import Scenario, TrafficSpec
from zigmesh.scenario.metrics import FlowStats, NodeRow, build_summary, write_summary
from zigmesh.scenario.plot import PlotNode, plot_network
from zigmesh.scenario.progress import SimProgress, print_summary_table
from zigmesh.sim.energy import EnergyReport, energy_report
from zigmesh.sim.world import World

__all__ = ["RunResult", "run_scenario", "trace_route", "FLOW_CLUSTER_BASE", "TRAFFIC_PROFILE"]

#: traffic messages use cluster FLOW_CLUSTER_BASE + flow index (manufacturer-specific range)
FLOW_CLUSTER_BASE = 0xFC00
TRAFFIC_PROFILE = 0x0104
_ZCL_HEADER = 3  # frame control (cluster-specific), TSN, command id
_MAX_ROUTE_HOPS = 30


@dataclass(slots=True)
class RunResult:
    """What a run produced: the world (for inspection), the summary and the files written."""

    world: World
    summary: dict[str, Any]
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)


class _Traffic:
    """Sends the scenario's flows and matches deliveries (plain state, driven by the kernel)."""

    def __init__(self, world: World, scenario: Scenario) -> None:
        self.world = world
        self.flows = [FlowStats.from_spec(t) for t in scenario.traffic]
        self.specs = list(scenario.traffic)
        self._seq = [0] * len(self.flows)
        #: per source node: next APS counter
        self._counter: dict[str, int] = {}
        #: (source NWK address, APS counter) -> (flow index, flow seq)
        self._in_flight: dict[tuple[int, int], tuple[int, int]] = {}

    def schedule(self) -> None:
        clock = self.world.kernel
        for fi, spec in enumerate(self.specs):
            for si, src in enumerate(spec.sources):
                first = spec.first_send_us(si)
                clock.call_at(first, self._send, fi, si, src, first)

    def _send(self, fi: int, si: int, src_name: str, t_us: int) -> None:
        spec: TrafficSpec = self.specs[fi]
        nxt = t_us + spec.period_us
        stop = spec.stop_us
        if stop is None or nxt <= stop:
            self.world.kernel.call_at(nxt, self._send, fi, si, src_name, nxt)
        src = self.world.nodes[src_name]
        dst = self.world.nodes[spec.destination]
        flow = self.flows[fi]
        if not (src.joined and dst.joined and self.world.is_powered(src)):
            flow.record_skipped()
            return
        counter = self._counter.get(src_name, 0)
        self._counter[src_name] = (counter + 1) & 0xFF
        seq = self._seq[fi]
        self._seq[fi] = seq + 1
        zcl = bytes((0x01, seq & 0xFF, 0x00)) + bytes(max(spec.size - _ZCL_HEADER, 0))
        asdu = ApsFrame(
            ApsFrameType.DATA,
            dst_endpoint=1,
            cluster_id=FLOW_CLUSTER_BASE + fi,
            profile_id=TRAFFIC_PROFILE,
            src_endpoint=1,
            counter=counter,
            payload=zcl,
        ).encode()
        self._in_flight[(src.network_address, counter)] = (fi, seq)
        flow.record_sent(seq, t_us)
        src.nwk.nlde_data_request(NwkAddrMode.NWK, dst.network_address, asdu, seq & 0xFF)

    def upper_for(self, node: Node) -> Any:
        def on_event(ev: NwkEvent) -> None:
            if isinstance(ev, NldeDataIndication) and ev.dst_addr == node.network_address:
                self._delivered(ev)

        return on_event

    def _delivered(self, ev: NldeDataIndication) -> None:
        try:
            aps = ApsFrame.decode(ev.nsdu)
        except DecodeError:
            return
        if aps.profile_id != TRAFFIC_PROFILE or aps.cluster_id is None:
            return
        key = (ev.src_addr, aps.counter or 0)
        hit = self._in_flight.get(key)
        if hit is None or hit[0] != aps.cluster_id - FLOW_CLUSTER_BASE:
            return
        fi, seq = hit
        self.flows[fi].record_delivered(seq, ev.rx_time, ev.hops)


def trace_route(world: World, src: str, dst: str) -> list[str]:
    """The path a unicast from ``src`` to ``dst`` would take now, by walking next hops in the
    routing tables (end devices go through their parent; direct neighbours are one hop)."""
    target = world.nodes[dst]
    path = [src]
    cur = world.nodes[src]
    for _ in range(_MAX_ROUTE_HOPS):
        if cur is target:
            return path
        nxt: Node | None = None
        addr = target.network_address
        if cur.role == Role.END_DEVICE:
            nxt = world.parent_of(cur)
        else:
            hop = cur.nwk.routes.next_hop(addr)
            if hop is not None:
                nxt = world.by_address(hop)
            elif cur.nwk.neighbors.get(addr) is not None:
                nxt = target
            elif target.role == Role.END_DEVICE and world.parent_of(target) is not None:
                parent = world.parent_of(target)
                assert parent is not None
                hop = cur.nwk.routes.next_hop(parent.network_address)
                if parent is cur:
                    nxt = target
                elif hop is not None:
                    nxt = world.by_address(hop)
        if nxt is None or nxt.name in path:
            return path if len(path) > 1 else []
        path.append(nxt.name)
        cur = nxt
    return path


def _node_rows(world: World) -> list[NodeRow]:
    rows = []
    for node in world:
        joined_at = node.stats.joined_at_us
        parent = world.parent_of(node) if node.joined else None
        rows.append(
            NodeRow(
                node.name,
                node.role.value,
                node.network_address if node.joined else None,
                parent.name if parent is not None else None,
                world.depth(node) if node.joined else None,
                joined_at,
                node.config.eui64,
            )
        )
    return rows


def _counters(world: World) -> tuple[dict[str, int], dict[str, int]]:
    totals = {
        "mac_frames_sent": 0,
        "mac_retries": 0,
        "mac_acks_sent": 0,
        "mac_no_ack": 0,
        "mac_channel_access_failures": 0,
        "nwk_frames_sent": 0,
        "nwk_frames_relayed": 0,
        "nwk_broadcasts": 0,
        "nwk_unicast_retries": 0,
        "route_discoveries": 0,
        "route_requests_sent": 0,
        "route_replies_sent": 0,
        "route_records_sent": 0,
        "source_routed": 0,
        "link_status_sent": 0,
        "passive_ack_retries": 0,
        "rejoins": 0,
    }
    drops: dict[str, int] = {}
    for node in world:
        m = node.mac.stats
        n = node.nwk.stats
        totals["mac_frames_sent"] += m.tx_frames
        totals["mac_retries"] += m.tx_retries
        totals["mac_acks_sent"] += m.tx_acks
        totals["mac_no_ack"] += m.tx_no_ack
        totals["mac_channel_access_failures"] += m.tx_channel_access_failures
        totals["nwk_frames_sent"] += n.tx_frames
        totals["nwk_frames_relayed"] += n.relayed
        totals["nwk_broadcasts"] += n.tx_broadcasts
        totals["nwk_unicast_retries"] += n.tx_unicast_retries
        totals["route_discoveries"] += n.route_discoveries
        totals["route_requests_sent"] += n.rreq_sent + n.rreq_relayed
        totals["route_replies_sent"] += n.rrep_sent
        totals["route_records_sent"] += n.route_records_sent
        totals["source_routed"] += n.source_routed
        totals["link_status_sent"] += n.link_status_sent
        totals["passive_ack_retries"] += n.broadcast_retries
        totals["rejoins"] += n.rejoins
        for key, value in n.as_dict().items():
            if key.startswith(("drop_", "rx_decode", "rx_security", "rx_bad")) and value:
                drops[f"nwk_{key}"] = drops.get(f"nwk_{key}", 0) + value
        for key in (
            "rx_bad_fcs",
            "rx_decode_error",
            "rx_duplicate",
            "indirect_expired",
            "indirect_overflow",
        ):
            v = getattr(m, key)
            if v:
                drops[f"mac_{key}"] = drops.get(f"mac_{key}", 0) + v
    return totals, drops


def _energy(world: World) -> dict[str, EnergyReport]:
    return {
        node.name: energy_report(world.radios[node.name].state_times())
        for node in world
        if node.role == Role.END_DEVICE
    }


def _plot(world: World, scenario: Scenario, path: Path) -> None:
    nodes = []
    for spec in scenario.nodes:
        node = world.nodes[spec.name]
        parent = world.parent_of(node) if node.joined else None
        lqi = None
        if parent is not None:
            lqi = world.neighbor_lqis(node).get(parent.name)
        x, y, z = spec.position
        nodes.append(
            PlotNode(
                spec.name, spec.role, x, y, parent.name if parent else None, lqi, z, node.joined
            )
        )
    names = set(world.nodes)
    links: dict[tuple[str, str], int] = {}
    for node in world:
        if node.role == Role.END_DEVICE or not node.joined:
            continue
        for other, lqi in world.neighbor_lqis(node).items():
            if other in names and world.nodes[other].role != Role.END_DEVICE:
                a, b = sorted((node.name, other))
                links[(a, b)] = min(links.get((a, b), 255), lqi) if lqi else links.get((a, b), 0)
    routes = []
    for flow in scenario.traffic:
        if flow.sources:
            route = trace_route(world, flow.sources[0], flow.destination)
            if len(route) > 1:
                routes.append(route)
    plot_network(
        path,
        nodes,
        [(a, b, q) for (a, b), q in sorted(links.items())],
        routes[:4],
        title=f"{scenario.name or 'zigmesh'}: {len(nodes)} nodes",
    )


def run_scenario(
    scenario: Scenario,
    out_dir: str | Path = "zigmesh-out",
    *,
    console: Console | None = None,
    progress: bool = True,
    plot: bool = True,
) -> RunResult:
    """Run ``scenario`` and write its outputs into ``out_dir`` (created if missing)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    console = console if console is not None else Console(stderr=True)
    channels = (scenario.channel,) if scenario.channel is not None else tuple(CHANNELS)
    pcap = out / "capture.pcap"
    radio = scenario.radio
    world = World(
        scenario.seed,
        medium=radio.medium_config(),
        channel=channels[0],
        capture=pcap,
        tx_power_dbm=radio.tx_power_dbm,
    )
    traffic = _Traffic(world, scenario)
    try:
        for spec in scenario.nodes:
            node = world.add_node(
                spec.name,
                spec.role,
                spec.position,
                poll_interval_us=spec.poll_interval_us,
                join_at_us=spec.join_at_us,
                channels=channels,
            )
            node.set_upper(traffic.upper_for(node))
        traffic.schedule()
        end = scenario.duration_us
        with SimProgress(end, console=console, enabled=progress) as bar:
            step = max(end // 200, 1)
            t = 0
            while t < end:
                t = min(t + step, end)
                world.run(t)
                bar.update(t)
    finally:
        world.close()
    totals, drops = _counters(world)
    summary = build_summary(
        nodes=_node_rows(world),
        flows=traffic.flows,
        totals=totals,
        drops=drops,
        energy=_energy(world),
        name=scenario.name,
        source=scenario.source,
        seed=scenario.seed,
        duration_us=scenario.duration_us,
        channel=world.coordinator.nwk.nib.nwk_logical_channel if world.coordinator.joined else None,
    )
    files = {"capture": pcap, "summary": out / "summary.json"}
    write_summary(files["summary"], summary)
    if plot:
        files["network"] = out / "network.png"
        _plot(world, scenario, files["network"])
    return RunResult(world, summary, out, files)


def print_run(result: RunResult, console: Console) -> None:
    """The summary tables and the files written."""
    print_summary_table(result.summary, console)
    for kind, path in result.files.items():
        console.print(f"[dim]{kind}:[/dim] {path}")
