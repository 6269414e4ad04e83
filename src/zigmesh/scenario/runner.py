"""Run a scenario on the simulator: the engine of ``zigmesh run`` (issue #4).

Builds a :class:`~zigmesh.sim.world.World` from a :class:`Scenario` (secured unless
``security = false``; install codes given to the trust center; a SQLite state store when the
scenario has ``state``), schedules the traffic flows, runs virtual time with a progress bar, and
writes ``capture.pcap`` (unless the scenario says ``capture = false``; a ``[capture]`` table
filters it by sender and frame kind, :mod:`~zigmesh.capture.filter`), ``summary.json``,
``network.png`` and ``report.html`` into the output directory. A :class:`~zigmesh.scenario.observe.RunObserver` watches the run from outside the
stack (capture tee and samplers): per-minute series, the routes messages took, steady-state
battery figures.

Traffic goes through APSDE, as an application would send it. Every node that sends or receives
a flow gets application endpoint 1 (:data:`TRAFFIC_ENDPOINT`): Home Automation profile
(0x0104), a device id by role (:data:`DEVICE_IDS`), cluster ``0xFC00 + k`` for flow ``k``
(manufacturer-specific range) among its output clusters where it sends the flow and its input
clusters where it receives it. A message is ``APSDE-DATA.request(SHORT, destination, 1, 0x0104,
0xFC00 + k, 1, payload, tx_options=ACK)`` (no ACK for a flow with ``ack = false``), the payload
a ``size``-byte cluster-specific ZCL frame (see :func:`traffic_payload`) carrying the flow's
message sequence number. The destination endpoint's APSDE-DATA.indication delivers it (matched
by flow and sequence number, and checked against the source); a second delivery of a message
counts as an application duplicate (none expected: APS rejects duplicates). Each
APSDE-DATA.confirm at the source counts in the flow by status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsConfirmStatus,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    ApsdeEvent,
    EndpointHandler,
    TxOptions,
)
from zigmesh.capture.filter import CaptureFilter
from zigmesh.capture.pcap import PcapWriter
from zigmesh.node import Node, Role
from zigmesh.nwk.primitives import NwkStatus
from zigmesh.persist.store import StateStore, open_store
from zigmesh.phy import CHANNELS
from zigmesh.scenario.app_traffic import AppRun
from zigmesh.scenario.chaos import FaultRun, add_sections
from zigmesh.scenario.config import Scenario, TrafficSpec
from zigmesh.scenario.maplayout import PlotNode
from zigmesh.scenario.metrics import (
    FlowStats,
    NodeRow,
    NodeSecurity,
    build_summary,
    ieee_text,
    write_summary,
)
from zigmesh.scenario.nodeinfo import node_detail
from zigmesh.scenario.observe import RunObserver
from zigmesh.scenario.progress import SimProgress, print_summary_table
from zigmesh.scenario.report import render_report, write_report
from zigmesh.scenario.timeseries import build_timeseries
from zigmesh.sim.energy import EnergyReport, SteadyState, charge_nc, energy_report
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import SimpleDescriptor

__all__ = [
    "DEVICE_IDS",
    "FLOW_CLUSTER_BASE",
    "RunResult",
    "TRAFFIC_ENDPOINT",
    "TRAFFIC_PROFILE",
    "message_sequence",
    "run_scenario",
    "trace_route",
    "traffic_payload",
]

#: traffic messages use cluster FLOW_CLUSTER_BASE + flow index (manufacturer-specific range)
FLOW_CLUSTER_BASE = 0xFC00
#: Home Automation profile
TRAFFIC_PROFILE = 0x0104
#: the application endpoint of the traffic, on every node that sends or receives some
TRAFFIC_ENDPOINT = 1
#: HA device id of the traffic endpoint by role: Combined Interface (a hub), Mains Power Outlet
#: (mains powered, routing), Simple Sensor (sleepy, battery powered)
DEVICE_IDS: dict[Role, int] = {
    Role.COORDINATOR: 0x0007,
    Role.ROUTER: 0x0009,
    Role.END_DEVICE: 0x000C,
}
_ZCL_HEADER = 3  # frame control (cluster-specific), TSN, command id
_ZCL_CLUSTER_SPECIFIC = 0x01  # frame type 01, client to server, no manufacturer code
_ZCL_FRAME_TYPE = 0x03
_SEQ_EXTRA = 3  # payload bytes carrying sequence bits 8-31
_MAX_ROUTE_HOPS = 30


def status_name(status: ApsConfirmStatus | int) -> str:
    """A confirm status as the APS layer's stats name it: the APS status name, an NWK status
    passed up prefixed ``NWK_`` (both have e.g. NO_ACK), an unknown value in hex."""
    if isinstance(status, NwkStatus):
        return "NWK_" + status.name
    name = getattr(status, "name", None)
    return name if isinstance(name, str) else f"0x{int(status):02x}"


def traffic_payload(seq: int, size: int) -> bytes:
    """The ``size``-byte ZCL frame of message ``seq``: a cluster-specific frame (client to
    server, command 0x00) whose TSN is bits 0-7 of ``seq``; the payload starts with bits 8-31
    little-endian, as many bytes of them as fit (up to 3), then zeros."""
    extra = min(max(size - _ZCL_HEADER, 0), _SEQ_EXTRA)
    head = bytes((_ZCL_CLUSTER_SPECIFIC, seq & 0xFF, 0x00))
    tail = ((seq >> 8) & ((1 << (8 * extra)) - 1)).to_bytes(extra, "little")
    return head + tail + bytes(max(size - _ZCL_HEADER - extra, 0))


def message_sequence(payload: bytes, last_sent: int) -> int | None:
    """The sequence number a :func:`traffic_payload` carries, given the flow's latest sent one:
    the largest sequence number up to ``last_sent`` with the payload's low bits (8 bits for a
    3-byte frame, 16 for 4 bytes, 24 for 5, 32 from 6 bytes on). None if the payload is not
    such a frame or no such number was sent."""
    if len(payload) < _ZCL_HEADER or payload[0] & _ZCL_FRAME_TYPE != _ZCL_CLUSTER_SPECIFIC:
        return None
    extra = min(len(payload) - _ZCL_HEADER, _SEQ_EXTRA)
    bits = 8 * (1 + extra)
    value = payload[1] | int.from_bytes(payload[_ZCL_HEADER : _ZCL_HEADER + extra], "little") << 8
    seq = last_sent - ((last_sent - value) % (1 << bits))
    return seq if seq >= 0 else None


@dataclass(slots=True)
class RunResult:
    """What a run produced: the world (for inspection), the summary and the files written."""

    world: World
    summary: dict[str, Any]
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)


class _Traffic:
    """Sends the scenario's flows through APSDE and matches deliveries (plain state, driven by
    the kernel)."""

    def __init__(self, world: World, scenario: Scenario) -> None:
        self.world = world
        self.flows = [FlowStats.from_spec(t) for t in scenario.traffic]
        self.specs = list(scenario.traffic)
        #: per flow: the node that sent each sequence number
        self._senders: list[list[Node]] = [[] for _ in self.flows]
        #: (source node name, ASDU handle) -> flow index, for the confirms
        self._pending: dict[tuple[str, int], int] = {}
        #: indications on the traffic endpoint that match no message sent (should stay 0)
        self.unmatched = 0

    def add_endpoints(self) -> None:
        """Endpoint 1 on every node taking part in a flow (see the module docstring)."""
        ins: dict[str, set[int]] = {}
        outs: dict[str, set[int]] = {}
        for fi, spec in enumerate(self.specs):
            cluster = FLOW_CLUSTER_BASE + fi
            ins.setdefault(spec.destination, set()).add(cluster)
            for src in spec.sources:
                outs.setdefault(src, set()).add(cluster)
        for name, node in self.world.nodes.items():
            if name not in ins and name not in outs:
                continue
            existing = node.endpoints.get(TRAFFIC_ENDPOINT)
            if existing is not None:
                self._share_endpoint(node, existing, ins.get(name, set()), outs.get(name, set()))
                continue
            desc = SimpleDescriptor(
                TRAFFIC_ENDPOINT,
                TRAFFIC_PROFILE,
                DEVICE_IDS[node.role],
                0,
                tuple(sorted(ins.get(name, ()))),
                tuple(sorted(outs.get(name, ()))),
            )
            node.add_endpoint(desc, self._handler(node))

    def _share_endpoint(
        self, node: Node, existing: SimpleDescriptor, ins: set[int], outs: set[int]
    ) -> None:
        """The node's endpoint 1 already holds a device (or the hub): the flows' clusters join
        its simple descriptor, as a vendor's manufacturer-specific cluster sits beside the
        standard ones; the flows' frames and confirms come here, the rest goes on to the
        device."""
        device = node.aps.handlers[TRAFFIC_ENDPOINT]
        ours = self._handler(node)
        first, last = FLOW_CLUSTER_BASE, FLOW_CLUSTER_BASE + len(self.flows)

        def on_event(ev: ApsdeEvent) -> None:
            if isinstance(ev, ApsdeDataIndication):
                mine = ev.profile_id == TRAFFIC_PROFILE and first <= ev.cluster_id < last
            else:
                mine = (node.name, ev.asdu_handle) in self._pending
            (ours if mine else device)(ev)

        node.aps.unregister_endpoint(TRAFFIC_ENDPOINT)
        node.aps.register_endpoint(TRAFFIC_ENDPOINT, on_event)
        node.endpoints[TRAFFIC_ENDPOINT] = SimpleDescriptor(
            TRAFFIC_ENDPOINT,
            existing.profile_id,
            existing.device_id,
            existing.device_version,
            tuple(sorted({*existing.input_cluster_list, *ins})),
            tuple(sorted({*existing.output_cluster_list, *outs})),
        )

    def _handler(self, node: Node) -> EndpointHandler:
        def on_event(ev: ApsdeEvent) -> None:
            if isinstance(ev, ApsdeDataIndication):
                self._delivered(ev)
            elif isinstance(ev, ApsdeDataConfirm):
                fi = self._pending.pop((node.name, ev.asdu_handle), None)
                if fi is not None:
                    self.flows[fi].record_confirm(status_name(ev.status))

        return on_event

    def schedule(self) -> None:
        clock = self.world.kernel
        for fi, spec in enumerate(self.specs):
            for si, src in enumerate(spec.sources):
                first = spec.first_send_us(si)
                clock.call_at(first, self._send, fi, si, src, first)

    def _send(self, fi: int, si: int, src_name: str, t_us: int) -> None:
        spec: TrafficSpec = self.specs[fi]
        nxt = t_us + spec.period_us
        if nxt < spec.stop_us:
            self.world.kernel.call_at(nxt, self._send, fi, si, src_name, nxt)
        src = self.world.nodes[src_name]
        dst = self.world.nodes[spec.destination]
        flow = self.flows[fi]
        if not (src.joined and dst.joined and self.world.is_powered(src)):
            flow.record_skipped()
            return
        senders = self._senders[fi]
        seq = len(senders)
        senders.append(src)
        flow.record_sent(seq, t_us, src_name)
        handle = src.aps.apsde_data_request(
            ApsAddrMode.SHORT,
            dst.network_address,
            TRAFFIC_ENDPOINT,
            TRAFFIC_PROFILE,
            FLOW_CLUSTER_BASE + fi,
            TRAFFIC_ENDPOINT,
            traffic_payload(seq, spec.size),
            tx_options=TxOptions.ACK if spec.ack else TxOptions.NONE,
        )
        self._pending[(src_name, handle)] = fi

    def _delivered(self, ev: ApsdeDataIndication) -> None:
        fi = ev.cluster_id - FLOW_CLUSTER_BASE
        if ev.profile_id != TRAFFIC_PROFILE or not 0 <= fi < len(self.flows):
            self.unmatched += 1
            return
        senders = self._senders[fi]
        seq = message_sequence(ev.asdu, len(senders) - 1)
        if seq is None:
            self.unmatched += 1
            return
        sender = senders[seq]
        if (ev.src_ieee is not None and ev.src_ieee != sender.eui64) or (
            ev.src_ieee is None and ev.src_address != sender.network_address
        ):
            self.unmatched += 1
            return
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


#: MAC counters of frames dropped on reception or expiry
_MAC_DROPS = (
    "rx_bad_fcs",
    "rx_decode_error",
    "rx_duplicate",
    "indirect_expired",
    "indirect_overflow",
)


def _node_drops(node: Node) -> dict[str, int]:
    """Frames the node dropped, by layer and reason (zero counts included)."""
    drops: dict[str, int] = {}
    m = node.mac.stats
    for key in _MAC_DROPS:
        drops[f"mac_{key}"] = getattr(m, key)
    n = node.nwk.stats
    sec = 0
    for key, value in n.as_dict().items():
        if key.startswith(("drop_", "rx_decode", "rx_bad")) or key in (
            "rx_unsecured",
            "rx_duplicate_unicast",  # copies of a unicast already seen (issue 9 item 6)
        ):
            drops[f"nwk_{key}"] = value
        elif key.startswith("rx_sec_"):  # one counter per NWK security drop reason
            drops[f"nwk_{key}"] = value
            sec += value
    drops["nwk_rx_sec_other"] = max(n.rx_security_dropped - sec, 0)
    a = node.aps.stats
    for reason, value in a.drops.items():
        drops[f"aps_{reason}"] = value
    drops["aps_duplicates_rejected"] = a.duplicates_rejected
    return drops


def _node_security(node: Node) -> NodeSecurity:
    if not node.config.security:
        return NodeSecurity()
    key = node.keys.active_network_key
    if key is None:
        return NodeSecurity(unique_tclk=node.has_unique_link_key)
    return NodeSecurity(
        network_key=True,
        key_seq=key.seq,
        unique_tclk=node.has_unique_link_key,
        nwk_frame_counter=node.keys.network_outgoing_counter(key.seq),
    )


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
                security=_node_security(node),
                drops=_node_drops(node),
                aps_confirms=dict(node.aps.stats.confirms),
                zdo_answered=dict(node.zdo.stats.answered),
                detail=node_detail(world, node),
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
        "aps_data_requests": 0,
        "aps_frames_sent": 0,
        "aps_retries": 0,
        "aps_acks_sent": 0,
        "aps_commands_sent": 0,
    }
    drops: dict[str, int] = {}
    for node in world:
        m = node.mac.stats
        n = node.nwk.stats
        a = node.aps.stats
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
        totals["aps_data_requests"] += a.data_requests
        totals["aps_frames_sent"] += a.frames_sent
        totals["aps_retries"] += a.retries
        totals["aps_acks_sent"] += a.acks_sent
        totals["aps_commands_sent"] += sum(a.commands_sent.values())
        for key, value in _node_drops(node).items():
            if value:
                drops[key] = drops.get(key, 0) + value
    return totals, drops


def _energy(world: World) -> dict[str, EnergyReport]:
    return {
        node.name: energy_report(world.radios[node.name].state_times())
        for node in world
        if node.role == Role.END_DEVICE
    }


def _steady(world: World, observer: RunObserver) -> dict[str, SteadyState]:
    """Steady-state figures of every end device; one that never reached a steady state gets
    an empty window (its whole run counts as start-up)."""
    out: dict[str, SteadyState] = {}
    for node in world:
        if node.role != Role.END_DEVICE:
            continue
        st = observer.steady.get(node.name)
        if st is None:
            times = world.radios[node.name].state_times()
            st = SteadyState(world.now_us, charge_nc(times), 0, {}, {}, {})
        out[node.name] = st
    return out


def _network_info(world: World) -> dict[str, Any]:
    coord = world.coordinator
    nib = coord.nwk.nib
    if not coord.joined:
        return {"pan_id": None, "extended_pan_id": None}
    return {
        "pan_id": f"0x{nib.nwk_pan_id:04x}",
        "extended_pan_id": ieee_text(nib.nwk_extended_pan_id),
    }


def map_inputs(
    world: World, scenario: Scenario, flows: list[FlowStats]
) -> tuple[list[PlotNode], list[tuple[str, str, int | None]], list[list[str]]]:
    """Nodes, router-to-router neighbour links (weakest LQI of the two directions) and the
    routes traffic took (longest first, one per source) for the map and the report."""
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
    seen: set[tuple[str, ...]] = set()
    ranked: list[tuple[int, int, int, list[str]]] = []
    for fi, flow in enumerate(flows):
        for si, src in enumerate(flow.sources):
            route = flow.routes.get(src, ([], 0, 0))[0]
            if len(route) > 1 and tuple(route) not in seen:
                seen.add(tuple(route))
                ranked.append((-len(route), fi, si, route))
    ranked.sort(key=lambda r: r[:3])
    # the longest route of each flow first, then the rest by length
    firsts: list[list[str]] = []
    rest: list[list[str]] = []
    done: set[int] = set()
    for _n, fi, _si, route in ranked:
        (rest if fi in done else firsts).append(route)
        done.add(fi)
    return nodes, [(a, b, q) for (a, b), q in sorted(links.items())], firsts + rest


def map_title(summary: dict[str, Any]) -> str:
    """``house: 31 nodes (31 joined), channel 15, PAN 0x3bd9, seed 1, 300 s``."""
    sc = summary.get("scenario") or {}
    parts = [f"{summary.get('nodes', 0)} nodes ({summary.get('joined', 0)} joined)"]
    if sc.get("channel") is not None:
        parts.append(f"channel {sc['channel']}")
    if sc.get("pan_id") is not None:
        parts.append(f"PAN {sc['pan_id']}")
    if sc.get("seed") is not None:
        parts.append(f"seed {sc['seed']}")
    if sc.get("duration_s") is not None:
        parts.append(f"{sc['duration_s']:g} s simulated")
    return f"{sc.get('name') or 'zigmesh'}: " + ", ".join(parts)


def run_scenario(
    scenario: Scenario,
    out_dir: str | Path = "zigmesh-out",
    *,
    console: Console | None = None,
    progress: bool = True,
    plot: bool = True,
    report: bool = True,
    state: str | Path | None = None,
) -> RunResult:
    """Run ``scenario`` and write its outputs into ``out_dir`` (created if missing).

    ``state`` (e.g. ``--state``) overrides the scenario's ``state``: the SQLite file where
    nodes keep keys, frame counters and network parameters. A node with a saved state there
    reloads it and rejoins the saved network (frame counters jumped forward) instead of
    joining afresh, so a second run on the same file continues the first one's network.
    """
    out = Path(out_dir)
    path = state if state is not None else scenario.state
    store: StateStore | None = None
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        store = open_store(path)  # first: a file that is not a state store stops the run here
    console = console if console is not None else Console(stderr=True)
    channels = (scenario.channel,) if scenario.channel is not None else tuple(CHANNELS)
    pcap = out / "capture.pcap"
    radio = scenario.radio
    capture = scenario.capture
    writer: PcapWriter | None = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        if capture.enabled:
            writer = PcapWriter(pcap)
        world = World(
            scenario.seed,
            medium=radio.medium_config(),
            channel=channels[0],
            capture=None,
            tx_power_dbm=radio.tx_power_dbm,
            security=scenario.security,
            require_install_codes=scenario.require_install_codes,
            store=store,
            nwk=scenario.nwk_config(),
        )
        observer = RunObserver(world, scenario, writer)
        if writer is not None and capture.filtered:
            observer.sink = CaptureFilter(
                writer,
                kinds=capture.frames,
                sender=observer.sent_by(capture.nodes) if capture.nodes is not None else None,
            )
        world.medium.capture = observer
        traffic = _Traffic(world, scenario)
        app = AppRun(world, scenario)
        try:
            for spec in scenario.nodes:
                world.add_node(
                    spec.name,
                    spec.role,
                    spec.position,
                    poll_interval_us=spec.poll_interval_us,
                    join_at_us=spec.join_at_us,
                    channels=channels,
                    install_code=spec.install_code,
                    registered_install_code=spec.registered_install_code,
                    manufacturer_code=spec.manufacturer_code,
                )
            app.create()
            traffic.add_endpoints()
            traffic.schedule()
            app.schedule()
            observer.attach()
            faults = FaultRun(world, scenario, traffic.flows)
            faults.schedule()
            end = scenario.duration_us
            with SimProgress(end, console=console, enabled=progress) as bar:
                step = max(end // 200, 1)
                t = 0
                while t < end:
                    t = min(t + step, end)
                    world.run(t)
                    bar.update(t)
            observer.finish()
        finally:
            world.close()
    finally:
        if writer is not None:
            writer.close()
        if store is not None:
            store.close()
    totals, drops = _counters(world)
    totals["app_unmatched"] = traffic.unmatched
    rows = _node_rows(world)
    for flow in traffic.flows:
        for src in flow.sources:
            flow.routes[src] = observer.route_taken(src, flow.destination)
    summary = build_summary(
        nodes=rows,
        flows=traffic.flows,
        totals=totals,
        drops=drops,
        energy=_energy(world),
        steady=_steady(world, observer),
        timeseries=build_timeseries(traffic.flows, observer.minutes, scenario.duration_us),
        network=_network_info(world),
        name=scenario.name,
        source=scenario.source,
        seed=scenario.seed,
        duration_us=scenario.duration_us,
        channel=world.coordinator.nwk.nib.nwk_logical_channel if world.coordinator.joined else None,
        security=scenario.security,
        require_install_codes=scenario.require_install_codes,
        authenticated=sum(node.authenticated for node in world),
        app=app.summary(),
    )
    add_sections(summary, faults)
    files: dict[str, Path] = {"capture": pcap} if writer is not None else {}
    files["summary"] = out / "summary.json"
    write_summary(files["summary"], summary)
    map_in = map_inputs(world, scenario, traffic.flows) if plot or report else None
    if plot and map_in is not None:
        from zigmesh.scenario.plot import plot_network  # matplotlib: only when drawing

        files["network"] = out / "network.png"
        plot_network(files["network"], *map_in, title=map_title(summary))
    if report and map_in is not None:
        files["report"] = out / "report.html"
        links = {"summary.json": "summary.json"}
        if writer is not None:
            links["capture.pcap"] = "capture.pcap"
        if plot:
            links["network.png"] = "network.png"
        html = render_report(summary, *map_in, title=map_title(summary), files=links)
        write_report(files["report"], html)
    return RunResult(world, summary, out, files)


def print_run(result: RunResult, console: Console) -> None:
    """The summary tables and the files written."""
    print_summary_table(result.summary, console)
    for kind, path in result.files.items():
        console.print(f"[dim]{kind}:[/dim] {path}")
