"""The APS and ZDO on a whole secured network in the simulator (real MAC, NWK, APS, ZDO, trust
center), with frame loss injected on the medium (``Medium.rx_filter``, seeded) once the
network has formed:

1. 1,500 bytes cross three hops at 10 % loss, fragmented, APS-secured and reassembled intact:
   one indication, one SUCCESS confirm; Wireshark sees the blocks and reassembles them too.
2. 1,000 acknowledged unicasts between several pairs (a sleepy end device among them) at 20 %
   loss: one confirm per request, every SUCCESS delivered, nothing lost silently, no duplicate
   ever reaches an application; a delivered message confirmed as failed never had its ACK
   reach its sender in time.
3. A switch bound to a light with ZDP Bind_req sends through the binding table; Unbind_req
   stops it (NO_BOUND_DEVICE).
4. One groupcast reaches the five lights of the group and no other application.
5. Mgmt_Lqi / Mgmt_Rtg / Mgmt_Bind, read over several pages, give the queried node's
   neighbour table, routing table and binding table.

Small worlds use the deterministic medium (no shadowing, range ~41 m): nodes 30 m apart hear
only their neighbours, so routes are really multi-hop. Fixed seeds.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.nwk.nwkutil import MS, SMALL_MEDIUM, S
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.data import status_name
from zigmesh.aps.frames import ApsFrame, ApsFrameType
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    ApsdeEvent,
    SecurityStatus,
    TxOptions,
)
from zigmesh.errors import DecodeError
from zigmesh.node import Node
from zigmesh.nwk.primitives import NldeDataIndication, NwkEvent
from zigmesh.sim.medium import Radio
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import SimpleDescriptor
from zigmesh.zdo.zdp import (
    MgmtBindReq,
    MgmtBindRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtRtgReq,
    MgmtRtgRsp,
    ZdoStatus,
    ZdpMessage,
)

ZBA09 = "5a6967426565416c6c69616e63653039"  # ZigBeeAlliance09
HA = 0x0104
ON_OFF = 0x0006
TEST_CLUSTER = 0xFC00  # manufacturer specific: Wireshark shows its payload as data
GROUP = 0x0ABC
ANY_EP = SimpleDescriptor(1, HA, 0x0100, 0, (ON_OFF, TEST_CLUSTER), (ON_OFF, TEST_CLUSTER))
LIGHT_EP = SimpleDescriptor(11, HA, 0x0100, 1, (ON_OFF,), ())
SWITCH_EP = SimpleDescriptor(12, HA, 0x0000, 0, (), (ON_OFF,))
#: the ZCL On command (cluster specific, client to server) with transaction number 1
ZCL_ON = b"\x01\x01\x01"


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


class Loss:
    """``Medium.rx_filter``: each frame is lost for each receiver with probability ``p``."""

    def __init__(self, p: float, seed: int) -> None:
        self.p = p
        self.rng = random.Random(seed)
        self.frames = 0
        self.dropped = 0

    def __call__(self, sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        self.frames += 1
        if self.rng.random() < self.p:
            self.dropped += 1
            return None
        return psdu


@dataclass
class Recorder:
    """An endpoint handler keeping what it receives."""

    events: list[ApsdeEvent] = field(default_factory=list)

    def __call__(self, ev: ApsdeEvent) -> None:
        self.events.append(ev)

    @property
    def confirms(self) -> list[ApsdeDataConfirm]:
        return [e for e in self.events if isinstance(e, ApsdeDataConfirm)]

    @property
    def indications(self) -> list[ApsdeDataIndication]:
        return [e for e in self.events if isinstance(e, ApsdeDataIndication)]


def _line(seed: int, *, capture: Path | None = None, ed: bool = False) -> World:
    """hub - r1 - r2 - r3, 30 m apart (each hears only its neighbours); ``ed``: a sleepy end
    device beyond r3 (polls every second)."""
    w = World(seed=seed, medium=SMALL_MEDIUM, capture=capture)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for i in (1, 2, 3):
        w.add_node(f"r{i}", "router", (30.0 * i, 0.0))
    if ed:
        w.add_node("ed", "end_device", (105.0, 0.0), poll_interval_us=S)
    return w


def _formed(w: World) -> bool:
    """Every node joined, holds the network key and (but the trust center) a unique link
    key."""
    return all(
        n.joined and n.authenticated and (n.trust_center is not None or n.has_unique_link_key)
        for n in w
    )


def _form(w: World, timeout_us: int = 120 * S) -> None:
    assert w.run_until(lambda: _formed(w), timeout_us), [n for n in w if not n.joined]
    w.run_for(5 * S)  # the last Device_annce and Confirm-Key settle
    assert _formed(w)


def _send(
    src: Node,
    dst: Node,
    asdu: bytes,
    opts: TxOptions = TxOptions.ACK,
    *,
    cluster: int = TEST_CLUSTER,
    src_ep: int = 1,
    dst_ep: int = 1,
) -> int:
    return src.aps.apsde_data_request(
        ApsAddrMode.SHORT, dst.network_address, dst_ep, HA, cluster, src_ep, asdu, tx_options=opts
    )


def _result(w: World, pending: Any, timeout_us: int = 30 * S) -> Any:
    assert w.run_until(pending, timeout_us)
    return pending.result()


# ------------------------------------------------------------------------------------------
# 1. fragmentation over three lossy hops
# ------------------------------------------------------------------------------------------


def test_1500_bytes_fragmented_over_three_lossy_hops(tmp_path: Path) -> None:
    pcap = tmp_path / "fragments.pcap"
    w = _line(11, capture=pcap)
    _form(w)
    hub, r1, r2, r3 = (w[n] for n in ("hub", "r1", "r2", "r3"))
    # the line is really multi-hop: the hub hears r1 only, r3 hears r2 only
    assert set(w.neighbor_lqis("hub")) == {"r1"} and set(w.neighbor_lqis("r3")) == {"r2"}
    src, dst = Recorder(), Recorder()
    hub.add_endpoint(ANY_EP, src)
    r3.add_endpoint(ANY_EP, dst)
    loss = Loss(0.10, seed=1011)
    w.medium.rx_filter = loss
    payload = b"\x01\x2a\x00" + random.Random(1500).randbytes(1497)  # ZCL header + data
    opts = TxOptions.ACK | TxOptions.FRAGMENTATION | TxOptions.SECURITY
    handle = _send(hub, r3, payload, opts)
    sent_at = w.now_us
    assert w.run_until(lambda: bool(src.confirms), 120 * S)
    w.run_for(30 * S)  # late retransmissions would show now
    w.close()
    (c,) = src.confirms
    assert (c.asdu_handle, c.status) == (handle, ApsStatus.SUCCESS)
    (ind,) = dst.indications
    assert ind.asdu == payload
    assert (ind.src_address, ind.src_endpoint, ind.dst_endpoint) == (hub.network_address, 1, 1)
    assert ind.security_status == SecurityStatus.SECURED_LINK_KEY
    assert ind.hops == 3
    # hop by hop: the hub routes through r1, r1 through r2, r2 delivers to r3
    path = [hub]
    while path[-1] is not r3:
        nxt = path[-1].nwk.routes.next_hop(r3.network_address)
        assert nxt is not None and len(path) < 4
        node = w.by_address(nxt)
        assert node is not None
        path.append(node)
    assert [n.name for n in path] == ["hub", "r1", "r2", "r3"]
    # it was fragmented, the loss was real, and the sender recovered from it
    blocks = -(-len(payload) // (hub.aps.max_asdu_length(opts) - 2))
    assert hub.aps.stats.fragmented_sent == 1 and hub.aps.stats.fragments_sent >= blocks > 15
    assert r3.aps.stats.fragments_reassembled == 1
    assert loss.dropped > 0.05 * loss.frames
    assert sum(n.mac.stats.tx_retries for n in (hub, r1, r2)) > 0
    st = hub.aps.stats
    print(
        f"\n1,500 bytes over 3 hops at 10 % loss ({loss.dropped}/{loss.frames} frames dropped): "
        f"{blocks} blocks, {st.fragments_sent} sent ({st.fragments_retransmitted} again), "
        f"APS retries {c.retries}, confirmed after {(c.tx_time - sent_at) / S:.2f} s"
    )
    # Wireshark: no malformed frame; it decrypts the blocks, sees them all and reassembles
    assert_no_malformed(pcap, link_keys=(ZBA09,))
    seen = tshark_fields(
        pcap,
        ["zbee_aps.block"],
        "zbee_aps.type == 0 && zbee_aps.fragmentation > 0 && wpan.src16 == 0x0000",
        link_keys=(ZBA09,),
    )
    first = tshark_fields(
        pcap,
        ["zbee_aps.block"],
        "zbee_aps.type == 0 && zbee_aps.fragmentation == 1",
        link_keys=(ZBA09,),
    )
    assert {int(r[0]) for r in first} == {blocks}  # the first block carries the block count
    assert {int(r[0]) for r in seen} == set(range(1, blocks + 1))  # ... the others their index
    rows = tshark_fields(
        pcap,
        ["zbee_aps.reassembled.length", "data.data"],
        "zbee_aps.reassembled.length",
        link_keys=(ZBA09,),
    )
    assert rows, "Wireshark did not reassemble the message"
    assert {r[0] for r in rows} == {"1500"}
    assert {r[1].replace(":", "") for r in rows} == {payload[3:].hex()}


# ------------------------------------------------------------------------------------------
# 2. 1,000 acknowledged unicasts at 20 % loss
# ------------------------------------------------------------------------------------------


@dataclass
class Message:
    mid: int
    src: str
    dst: str
    handle: int
    sent_us: int
    confirm: ApsdeDataConfirm | None = None
    delivered: list[tuple[str, ApsdeDataIndication]] = field(default_factory=list)


def _ack_observer(node: Node, acks: list[tuple[int, int, int]]) -> Callable[[NwkEvent], None]:
    """Every APS ACK reaching ``node``'s NWK: (time, NWK source, APS counter)."""

    def upper(ev: NwkEvent) -> None:
        if isinstance(ev, NldeDataIndication) and ev.nsdu and ev.nsdu[0] & 0x03 == 2:
            try:
                f = ApsFrame.decode(ev.nsdu)
            except DecodeError:
                return  # the APS dropped it too
            if f.frame_type == ApsFrameType.ACK and f.counter is not None:
                acks.append((ev.rx_time, ev.src_addr, f.counter))

    return upper


def test_thousand_acked_unicasts_at_twenty_percent_loss() -> None:
    w = _line(21, ed=True)
    _form(w)
    assert w.parent_of("ed") is w["r3"] and not w["ed"].config.rx_on_when_idle
    pairs = [("hub", "r3"), ("r3", "hub"), ("r1", "ed"), ("ed", "hub"), ("r2", "ed"), ("hub", "r2")]
    msgs: dict[int, Message] = {}
    by_handle: dict[tuple[str, int], int] = {}
    stray: list[tuple[str, ApsdeEvent]] = []
    acks: dict[str, list[tuple[int, int, int]]] = {}

    def handler(name: str) -> Callable[[ApsdeEvent], None]:
        def on(ev: ApsdeEvent) -> None:
            if isinstance(ev, ApsdeDataConfirm):
                mid = by_handle.pop((name, ev.asdu_handle), None)
                if mid is None or msgs[mid].confirm is not None:
                    stray.append((name, ev))
                else:
                    msgs[mid].confirm = ev
            elif len(ev.asdu) == 7 and ev.asdu[:1] == b"\x01":
                msgs[int.from_bytes(ev.asdu[3:], "little")].delivered.append((name, ev))
            else:
                stray.append((name, ev))

        return on

    for n in w:
        n.add_endpoint(ANY_EP, handler(n.name))
        acks[n.name] = []
        n.set_upper(_ack_observer(n, acks[n.name]))
    loss = Loss(0.20, seed=2020)
    w.medium.rx_filter = loss
    for mid in range(1000):
        s, d = pairs[mid % len(pairs)]
        asdu = bytes((0x01, mid & 0xFF, 0x00)) + mid.to_bytes(4, "little")  # ZCL + unique id
        h = _send(w[s], w[d], asdu)
        assert (s, h) not in by_handle  # handles of outstanding requests never clash
        by_handle[(s, h)] = mid
        msgs[mid] = Message(mid, s, d, h, w.now_us)
        w.run_for(250 * MS)  # four messages a second
    w.run_for(60 * S)

    # every request got exactly one confirm; nothing else came up
    assert stray == [] and by_handle == {}
    assert all(m.confirm is not None for m in msgs.values())
    # no duplicate ever reached an application, and only the right one
    for m in msgs.values():
        assert len(m.delivered) <= 1, (m.mid, m.src, m.dst, m.delivered)
        for name, ind in m.delivered:
            assert name == m.dst and ind.src_address == w[m.src].network_address
    ok = {m.mid for m in msgs.values() if m.confirm and m.confirm.status == ApsStatus.SUCCESS}
    delivered = {m.mid for m in msgs.values() if m.delivered}
    # SUCCESS means delivered; not delivered means a failure confirm: nothing lost silently
    assert ok <= delivered
    # a delivered message confirmed as failed: its ACKs never reached the sender in time
    late = lost = 0
    for mid in sorted(delivered - ok):
        m = msgs[mid]
        assert m.confirm is not None
        counter = m.delivered[0][1].aps_counter
        dst_addr = w[m.dst].network_address
        times = [t for t, a, c in acks[m.src] if a == dst_addr and c == counter and t >= m.sent_us]
        assert not [t for t in times if t < m.confirm.tx_time], (mid, m.src, m.dst)
        late += bool(times)
        lost += not times
    statuses = Counter(status_name(m.confirm.status) for m in msgs.values() if m.confirm)
    retries = sum(m.confirm.retries for m in msgs.values() if m.confirm is not None)
    print(
        f"\n1000 acked unicasts at 20 % loss ({loss.dropped}/{loss.frames} frames dropped): "
        f"delivered {len(delivered)}, SUCCESS {len(ok)}, confirms {dict(statuses)}, "
        f"APS retries {retries}, delivered but confirmed failed {len(delivered - ok)} "
        f"(ACK late {late}, ACK never arrived {lost})"
    )
    for s, d in pairs:
        mine = [m for m in msgs.values() if (m.src, m.dst) == (s, d)]
        print(
            f"  {s}->{d}: delivered {sum(1 for m in mine if m.delivered)}, "
            f"SUCCESS {sum(1 for m in mine if m.mid in ok)} of {len(mine)}"
        )
    # the loss was what was asked, and the network still carried most of the traffic
    assert 0.18 < loss.dropped / loss.frames < 0.22
    assert len(delivered) >= 600 and len(ok) >= 500
    assert all(any(m.mid in ok for m in msgs.values() if (m.src, m.dst) == p) for p in pairs)
    # some messages were lost for good, and their confirms said so (none silently)
    assert retries > 0 and sum(n for st, n in statuses.items() if st != "SUCCESS") > 0


# ------------------------------------------------------------------------------------------
# 3. binding: a switch bound to a light
# ------------------------------------------------------------------------------------------


def test_switch_bound_with_bind_req_reaches_the_light_until_unbound() -> None:
    w = _line(31, ed=True)
    _form(w)
    hub, light, switch = w["hub"], w["r1"], w["ed"]  # a sleepy switch, three hops from the light
    lamp, sw = Recorder(), Recorder()
    light.add_endpoint(LIGHT_EP, lamp)
    switch.add_endpoint(SWITCH_EP, sw)
    # the commissioning tool (the coordinator) binds the switch's On/Off client to the light
    args = (switch.eui64, SWITCH_EP.endpoint, ON_OFF, light.eui64, LIGHT_EP.endpoint)
    res = _result(w, hub.zdo.bind(switch.network_address, *args))
    assert res.status == ZdoStatus.SUCCESS and res.src_address == switch.network_address
    (b,) = switch.aps.binding_table
    assert (b.src_addr, b.src_endpoint, b.cluster_id, b.dst_addr_mode, b.dst_addr) == (
        switch.eui64,
        SWITCH_EP.endpoint,
        ON_OFF,
        ApsAddrMode.IEEE,
        light.eui64,
    )

    def press() -> ApsdeDataConfirm:
        n = len(sw.confirms)
        switch.aps.apsde_data_request(
            ApsAddrMode.INDIRECT, None, None, HA, ON_OFF, SWITCH_EP.endpoint, ZCL_ON
        )
        assert w.run_until(lambda: len(sw.confirms) > n, 30 * S)
        w.run_for(5 * S)
        return sw.confirms[-1]

    assert press().status == ApsStatus.SUCCESS
    (ind,) = lamp.indications
    assert (ind.asdu, ind.cluster_id, ind.dst_endpoint) == (ZCL_ON, ON_OFF, LIGHT_EP.endpoint)
    assert (ind.src_address, ind.src_endpoint) == (switch.network_address, SWITCH_EP.endpoint)
    # unbound: the switch has nowhere to send
    res = _result(w, hub.zdo.unbind(switch.network_address, *args))
    assert res.status == ZdoStatus.SUCCESS and len(switch.aps.binding_table) == 0
    assert press().status == ApsStatus.NO_BOUND_DEVICE
    assert len(lamp.indications) == 1
    res = _result(w, hub.zdo.unbind(switch.network_address, *args))
    assert res.status == ZdoStatus.NO_ENTRY


# ------------------------------------------------------------------------------------------
# 4. groupcast
# ------------------------------------------------------------------------------------------


def test_groupcast_reaches_the_group_and_no_other_application() -> None:
    w = World(seed=41, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    lights = [f"light{i}" for i in range(5)]
    spots = [(30.0, 0.0), (60.0, 0.0), (90.0, 0.0), (30.0, 30.0), (90.0, 30.0)]
    for name, pos in zip(lights, spots, strict=True):
        w.add_node(name, "router", pos)
    w.add_node("other1", "router", (60.0, 30.0))
    w.add_node("other2", "router", (120.0, 0.0))
    w.add_node("sleepy", "end_device", (135.0, 10.0), poll_interval_us=S)
    w.add_node("awake", "end_device", (50.0, 45.0), rx_on_when_idle=True)
    _form(w)
    rec: dict[tuple[str, int], Recorder] = {}
    for n in w:
        for desc in (ANY_EP, LIGHT_EP):
            rec[(n.name, desc.endpoint)] = Recorder()
            n.add_endpoint(desc, rec[(n.name, desc.endpoint)])
    for name in lights:
        assert w[name].aps.apsme_add_group_request(GROUP, LIGHT_EP.endpoint) == ApsStatus.SUCCESS
    sender = w["other2"]  # a switch at the edge: the lights are up to 4 hops away
    sender.aps.apsde_data_request(
        ApsAddrMode.GROUP, GROUP, None, HA, ON_OFF, 1, ZCL_ON, tx_options=TxOptions.NONE
    )
    w.run_for(15 * S)
    hops = []
    for (name, ep), r in rec.items():
        if name in lights and ep == LIGHT_EP.endpoint:
            (ind,) = r.indications
            hops.append(ind.hops)
            assert (ind.dst_addr_mode, ind.dst_address, ind.asdu) == (
                ApsAddrMode.GROUP,
                GROUP,
                ZCL_ON,
            )
            assert ind.src_address == sender.network_address
        else:
            assert r.indications == [], (name, ep)
    assert len(hops) == 5 and max(hops) >= 3  # relayed through the mesh
    (c,) = rec[("other2", 1)].confirms
    assert c.status == ApsStatus.SUCCESS
    # the frame did reach the other rx-on devices: their APS turned it away
    for name in ("hub", "other1", "awake"):
        assert w[name].aps.stats.drops.get("not_in_group", 0) >= 1, name


# ------------------------------------------------------------------------------------------
# 5. management tables over several pages
# ------------------------------------------------------------------------------------------


def _grid(seed: int) -> World:
    """5 x 4 routers 30 m apart (each hears its 2-4 grid neighbours), the coordinator in a
    corner, two end devices beside r21 (a sleepy one and an rx-on one)."""
    w = World(seed=seed, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for y in range(4):
        for x in range(5):
            if (x, y) != (0, 0):
                w.add_node(f"r{x}{y}", "router", (30.0 * x, 30.0 * y))
    w.add_node("ed", "end_device", (63.0, 33.0), poll_interval_us=S)
    w.add_node("ed2", "end_device", (57.0, 27.0), rx_on_when_idle=True)
    return w


def _neighbor_row(e: Any) -> tuple[int, ...]:
    ieee = e.extended_address if e.extended_address is not None else 0xFFFF_FFFF_FFFF_FFFF
    return (
        ieee,
        e.network_address,
        int(e.device_type),
        int(e.rx_on_when_idle),
        int(e.relationship),
        e.lqi,
    )


def _route_row(e: Any) -> tuple[int, ...]:
    return (
        e.destination_address,
        int(e.status),
        e.next_hop_address,
        int(e.many_to_one),
        int(e.route_record_required),
    )


def _binding_row(b: Any) -> tuple[int, ...]:
    return (
        b.src_addr,
        b.src_endpoint,
        b.cluster_id,
        b.dst_addr,
        -1 if b.dst_endpoint is None else b.dst_endpoint,
    )


class TableSnapshots:
    """The queried node's table at each page it answers (a ZDO listener runs right after
    the server built and sent the page), and the records the pages must then hold."""

    def __init__(self, kind: type, table: Callable[[], list[tuple[int, ...]]]) -> None:
        self.kind = kind
        self.table = table
        self.pages: list[tuple[int, list[tuple[int, ...]]]] = []

    def __call__(self, ind: ApsdeDataIndication, msg: ZdpMessage) -> None:
        if isinstance(msg, MgmtLqiReq | MgmtRtgReq | MgmtBindReq) and isinstance(msg, self.kind):
            self.pages.append((msg.start_index, self.table()))

    def expected(self) -> list[tuple[int, ...]]:
        """Page after page: the slice of the table as it was when that page was answered."""
        assert len(self.pages) >= 2, f"{self.kind.__name__}: a single page"
        out: list[tuple[int, ...]] = []
        for i, (start, rows) in enumerate(self.pages):
            end = self.pages[i + 1][0] if i + 1 < len(self.pages) else len(rows)
            assert start == len(out)
            out += rows[start:end]
        return out


def test_mgmt_lqi_rtg_bind_pages_match_the_tables() -> None:
    w = _grid(51)
    _form(w, 180 * S)
    w.run_for(60 * S)  # four link status rounds: neighbour tables complete
    hub, node = w["hub"], w["r21"]  # an inner router
    for n in w:
        n.add_endpoint(ANY_EP, Recorder())
    rtg_pages = TableSnapshots(
        MgmtRtgReq, lambda: [_route_row(e) for e in node.nwk.routes if not e.group_id_flag]
    )
    lqi_pages = TableSnapshots(MgmtLqiReq, lambda: [_neighbor_row(e) for e in node.nwk.neighbors])
    bind_pages = TableSnapshots(
        MgmtBindReq, lambda: [_binding_row(b) for b in node.aps.binding_table]
    )
    for listener in (rtg_pages, lqi_pages, bind_pages):
        node.zdo.add_listener(listener)

    # routing table: the node talks to everyone, route discovery fills it (13 routes a page;
    # one new discovery a second, the NWK's route request rate limit)
    for other in w:
        if other is not node:
            _send(node, other, b"\x01\x00\x00")
            w.run_for(1_100 * MS)
    rtg = _result(w, hub.zdo.mgmt_rtg(node.network_address))
    assert rtg.ok
    rr: MgmtRtgRsp = rtg.response
    got = [
        (
            r.destination_address,
            int(r.status),
            r.next_hop_address,
            int(r.many_to_one),
            int(r.route_record_required),
        )
        for r in rr.routing_table_list
    ]
    assert got == rtg_pages.expected()
    assert rr.routing_table_entries == len(rtg_pages.pages[-1][1]) == len(got) > 13

    # neighbour table (3 records a page)
    lqi = _result(w, hub.zdo.mgmt_lqi(node.network_address))
    assert lqi.ok
    lr: MgmtLqiRsp = lqi.response
    got = [
        (
            r.extended_address,
            r.network_address,
            int(r.device_type),
            int(r.rx_on_when_idle),
            int(r.relationship),
            r.lqi,
        )
        for r in lr.neighbor_table_list
    ]
    assert got == lqi_pages.expected()
    assert lr.neighbor_table_entries == len(lqi_pages.pages[-1][1]) == len(got) >= 4
    assert {r[1] for r in got} == {e.network_address for e in node.nwk.neighbors}

    # binding table (3 records a page): four through Bind_req, one group binding locally
    for i, t in enumerate((w["r10"], w["r43"], w["ed"], hub)):
        req = hub.zdo.bind(node.network_address, node.eui64, 1, 0x0300 + i, t.eui64, 1)
        assert _result(w, req).status == ZdoStatus.SUCCESS
    assert node.aps.apsme_bind_request(node.eui64, 1, ON_OFF, ApsAddrMode.GROUP, GROUP) == 0
    bnd = _result(w, hub.zdo.mgmt_bind(node.network_address))
    assert bnd.ok
    br: MgmtBindRsp = bnd.response
    got = [
        (
            r.src_address,
            r.src_endp,
            r.cluster_id,
            r.dst_address,
            -1 if r.dst_endp is None else r.dst_endp,
        )
        for r in br.binding_table_list
    ]
    assert got == bind_pages.expected() == [_binding_row(b) for b in node.aps.binding_table]
    assert br.binding_table_entries == len(got) == 5
    assert got[-1] == (node.eui64, 1, ON_OFF, GROUP, -1)
