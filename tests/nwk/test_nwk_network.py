"""The 100-node proof (issue #4): 1 coordinator, 70 routers and 29 end devices at random over
150 x 150 m (path loss exponent 3.3, 4 dB shadowing: radio range ~40 m, several hops), fixed
seed. Joining, unicast and broadcast delivery, many-to-one routing, route repair and leave,
checked in the simulator and in the pcap with tshark."""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

from tests.nwk.nwkutil import Recorder, S, aps_payload, big_world, send
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.node import Node, NodeState, Role
from zigmesh.nwk.primitives import NwkAddrMode, NwkStatus
from zigmesh.sim.world import World

SEED = 1
JOIN_US = 40 * S


def _joined_world(capture: Path | None = None) -> tuple[World, list[Node], list[Node]]:
    w, routers, eds = big_world(SEED, capture=capture)
    w.run(JOIN_US)
    return w, routers, eds


def test_hundred_nodes_join_and_deliver_unicast(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    pcap = tmp_path / "hundred.pcap"
    w, routers, eds = _joined_world(pcap)
    # everyone joined, in a multi-hop tree
    assert len(w.joined()) == 100
    depths = [w.depth(n) for n in w]
    assert max(depths) >= 5
    join_s = [
        (n.stats.joined_at_us - n.stats.started_at_us) / S for n in w if n.role != Role.COORDINATOR
    ]  # type: ignore[operator]
    # a router that starts before any neighbour of its joined retries discovery until one
    # has (r4 here scans for 12 s until r17, started 3 s after it, joined)
    assert max(join_s) < 15.0
    assert sorted(join_s)[len(join_s) // 2] < 2.0  # most join at once
    assert all(w.parent_of(n) is not None for n in w if n.role != Role.COORDINATOR)
    rec = Recorder().attach(w)
    rng = random.Random(SEED)
    flows: list[tuple[Node, Node, bytes]] = []
    start = w.now_us
    # 100 router pairs, one new pair every 2 s; then every end device twice to the coordinator
    for i in range(100):
        a, b = rng.sample(routers, 2)
        p = aps_payload(i, 10)
        flows.append((a, b, p))
        w.kernel.call_at(start + i * 2 * S, send, a, b.nwk.address, p, i)
    t1 = start + 200 * S
    for i, e in enumerate(eds):
        for j in range(2):
            p = aps_payload(1000 + 2 * i + j, 10)
            flows.append((e, w.coordinator, p))
            w.kernel.call_at(t1 + (2 * i + j) * 300 * 1000, send, e, 0x0000, p, 2 * i + j)
    w.run(t1 + 40 * S)
    w.close()
    router_ok = sum(1 for a, b, p in flows[:100] if rec.received(b.name, p))
    ed_ok = sum(1 for a, b, p in flows[100:] if rec.received(b.name, p))
    # NWK unicasts with no APS retry: a frame relayed over a hop within ~1 dB of the SINR
    # threshold while a route request flood passes is lost after its 16 MAC/NWK tries. Seeds
    # 1-10 of this world lose 0-2 of 100 per seed (5 of 1,000 with the passive-ack quorum of
    # 8, 2 with 12; seed 1: 2 with 8, over -99.5 / -99.8 / -98.3 dBm hops); with no broadcast
    # retry after a BTT refusal (2026-12-06) 0-3 (6 of 1,000, 5 without; seed 1: 3, seed 8:
    # 1 instead of 0): 97 is the floor
    assert router_ok >= 97, router_ok
    assert ed_ok >= 0.99 * 58, ed_ok
    hops = [e.hops for _, e in rec.indications("c")]
    assert max(hops) >= 4
    discoveries = sum(n.nwk.stats.route_discoveries for n in w)
    assert discoveries > 0
    wall = time.perf_counter() - t0
    # the pcap: route discovery visible, nothing malformed
    rows = tshark_fields(
        pcap, ["zbee_nwk.cmd.id"], "zbee_nwk.cmd.id == 0x01 || zbee_nwk.cmd.id == 0x02"
    )
    ids = [r[0] for r in rows]
    assert ids.count("0x01") > 100 and ids.count("0x02") > 50
    assert_no_malformed(pcap)
    print(
        f"\n100 nodes: joined by {max(n.stats.joined_at_us for n in w) / S:.1f} s "  # type: ignore[type-var]
        f"(join latency max {max(join_s):.2f} s, mean {sum(join_s) / len(join_s):.2f} s), "
        f"max depth {max(depths)}, routers {router_ok}/100, end devices {ed_ok}/58, "
        f"wall {wall:.1f} s"
    )


def test_broadcast_reaches_every_router_exactly_once(tmp_path: Path) -> None:
    pcap = tmp_path / "bcast.pcap"
    w, routers, eds = _joined_world(pcap)
    # the joiners' Device_annce floods die down first (the last one ends at ~44 s: with 99
    # devices joining in 25 s the broadcast transaction tables overflow and floods crawl), so
    # that every broadcast retry the NWK counts from t0 on is also on air from t0 on
    w.run(w.now_us + 5 * S)
    rec = Recorder().attach(w)
    src = routers[10]
    p = aps_payload(77, 10)
    seq = src.nwk.nib.nwk_sequence_number
    dups0 = sum(n.nwk.stats.broadcast_duplicates for n in w)
    retries0 = sum(n.nwk.stats.broadcast_retries for n in w)
    src.nwk.nlde_data_request(NwkAddrMode.NWK, 0xFFFC, p, 1)
    w.run(w.now_us + 12 * S)
    w.close()
    for n in [w.coordinator, *routers]:
        if n is not src:
            assert len(rec.received(n.name, p)) == 1, n.name
    assert not rec.received(src.name, p)
    assert all(not rec.received(e.name, p) for e in eds)  # 0xfffc: routers only
    dups = sum(n.nwk.stats.broadcast_duplicates for n in w) - dups0
    # passive ack retries the NWK made since t0: ours, and those of any other broadcast on air
    # meanwhile (say a Device_annce after a rejoin), which the capture shows as repeated copies
    retries = sum(n.nwk.stats.broadcast_retries for n in w) - retries0
    assert dups > 100
    rows = tshark_fields(
        pcap,
        ["wpan.src16", "zbee_nwk.seqno"],
        f"zbee_nwk.dst == 0xfffc && zbee_nwk.src == {src.nwk.address:#06x} && zbee_aps",
    )
    senders = [r[0] for r in rows if int(r[1]) == seq]
    # the source and every router rebroadcast it; each extra copy is a passive-ack retry the
    # NWK counted (other broadcasts on air meanwhile, e.g. a Device_annce, retry too)
    assert len(set(senders)) == 71
    assert 0 < len(senders) - 71 <= retries
    assert_no_malformed(pcap)


def test_many_to_one_source_routing_reaches_50_devices(tmp_path: Path) -> None:
    pcap = tmp_path / "mto.pcap"
    w, routers, eds = _joined_world(pcap)
    rec = Recorder().attach(w)
    c = w.coordinator
    c.nwk.nlme_route_discovery_request(NwkAddrMode.NONE)
    w.run(w.now_us + 3 * S)
    devices = routers[:35] + eds[:15]
    for i, d in enumerate(devices):
        w.kernel.call_at(w.now_us + i * 200_000, send, d, 0x0000, aps_payload(i, 4), i)
    w.run(w.now_us + 15 * S)
    far = [d for d in devices if c.nwk.neighbors.get(d.nwk.address) is None]

    def orphan(d: Node) -> bool:
        # an end device whose parent lost the Association Response's ACK holds no child
        # entry there (the parent then relays for it but cannot record a route for it:
        # the unknown-child case of the recovery issue); every other device must have one
        p = w.parent_of(d)
        e = None if p is None else p.nwk.neighbors.get_by_ieee(d.eui64)
        return d.role == Role.END_DEVICE and (e is None or not e.is_child)

    assert sum(orphan(d) for d in far) <= 1
    # a record with no relay (a device that reaches the concentrator directly though the
    # concentrator's bounded neighbour table holds no entry for it) is a route too
    assert all(
        c.nwk.route_records.relays(d.nwk.address, w.now_us) is not None
        for d in far
        if not orphan(d)
    )
    direct = {d.name for d in far if c.nwk.route_records.relays(d.nwk.address, w.now_us) == ()}
    before = c.nwk.stats.route_discoveries
    sent = []
    t = w.now_us
    for i, d in enumerate(devices):
        p = aps_payload(100 + i, 4)
        sent.append((d, p))
        w.kernel.call_at(t + i * 200_000, send, c, d.nwk.address, p, i)
    w.run(w.now_us + 20 * S)
    w.close()
    assert all(rec.received(d.name, p) for d, p in sent if not orphan(d))
    # source routes for everyone; only an orphaned end device needs a discovery
    assert c.nwk.stats.route_discoveries - before <= sum(orphan(d) for d in devices)
    # no route request from the coordinator for any of them, source routes on the air
    rreq = tshark_fields(
        pcap,
        ["zbee_nwk.cmd.route.dest", "frame.time_relative"],
        "zbee_nwk.src == 0x0000 && zbee_nwk.cmd.id == 0x01 && !zbee_nwk.cmd.route.opts.many2one",
    )
    addresses = {d.nwk.address for d in devices if not orphan(d)}
    assert [r for r in rreq if int(r[0], 16) in addresses] == []
    sr = tshark_fields(
        pcap,
        ["zbee_nwk.dst", "zbee_nwk.relay.count", "zbee_nwk.relay.index"],
        "zbee_nwk.src == 0x0000 && zbee_nwk.src_route == 1 && zbee_aps",
    )
    dsts = {int(r[0], 16) for r in sr}
    reached = [d for d in far if not orphan(d) and d.name not in direct]
    assert len(dsts & {d.nwk.address for d in reached}) == len(reached) and len(reached) >= 30
    assert max(int(r[1]) for r in sr) >= 3
    records = tshark_fields(
        pcap, ["zbee_nwk.src"], "zbee_nwk.cmd.id == 0x05 && zbee_nwk.dst == 0x0000"
    )
    assert {int(r[0], 16) for r in records} >= {d.nwk.address for d in reached}
    assert_no_malformed(pcap)


def _dist(w: World, a: Node, b: Node) -> float:
    return math.dist(w.radios[a.name].position, w.radios[b.name].position)


def test_route_repair_after_relay_power_off() -> None:
    w, routers, eds = _joined_world()
    rec = Recorder().attach(w)
    a, b = max(((x, y) for x in routers for y in routers), key=lambda p: _dist(w, *p))
    sent: list[tuple[int, bytes]] = []

    def flow(i: int) -> None:
        p = aps_payload(i, 4)
        sent.append((w.now_us, p))
        send(a, b.nwk.address, p, i)
        if i < 100:
            w.kernel.call_later(250_000, flow, i + 1)

    flow(0)
    w.run(w.now_us + 5 * S)
    path = []
    cur = a
    while cur is not b and len(path) < 20:
        hop = cur.nwk.routing.resolve(b.nwk.address)
        assert hop is not None
        nxt = w.by_address(hop[0])
        assert nxt is not None
        path.append(nxt)
        cur = nxt
    assert len(path) >= 4
    relay = path[len(path) // 2]
    t_off = w.now_us
    w.power_off(relay)
    w.run(w.now_us + 25 * S)
    lost = [t for t, p in sent if not rec.received(b.name, p)]
    after = sorted(
        rec.received(b.name, p)[0] for t, p in sent if t >= t_off and rec.received(b.name, p)
    )
    resume = after[0] - t_off
    # measured ~0.4-0.6 s (link failure after the MAC + NWK retries, new discovery)
    assert resume < 3 * S, resume
    assert len(lost) <= 3
    assert sum(n.nwk.stats.route_repairs + n.nwk.stats.network_status_sent for n in w) >= 1
    assert a.nwk.routing.resolve(b.nwk.address) is not None
    new_path = []
    cur = a
    while cur is not b and len(new_path) < 20:
        hop = cur.nwk.routing.resolve(b.nwk.address)
        assert hop is not None
        nxt = w.by_address(hop[0])
        assert nxt is not None and nxt is not relay
        new_path.append(nxt)
        cur = nxt


def test_router_leave_with_children_and_network_routes_around(tmp_path: Path) -> None:
    pcap = tmp_path / "leave.pcap"
    w, routers, eds = _joined_world(pcap)
    rec = Recorder().attach(w)
    rng = random.Random(5)
    pairs = [tuple(rng.sample(routers, 2)) for _ in range(30)]
    for i, (a, b) in enumerate(pairs):
        w.kernel.call_at(w.now_us + i * 2 * S, send, a, b.nwk.address, aps_payload(i), i)
    w.run(w.now_us + 65 * S)

    def kids(n: Node) -> list[Node]:
        return [x for x in w if w.parent_of(x) is n]

    def subtree(n: Node) -> list[Node]:
        out = []
        for k in kids(n):
            out += [k, *subtree(k)]
        return out

    use: dict[str, int] = {}
    for n in routers:
        for e in n.nwk.routes:
            nh = w.by_address(e.next_hop_address)
            if nh is not None:
                use[nh.name] = use.get(nh.name, 0) + 1
    # a router relaying traffic, with children of both kinds, and a small subtree
    cands = [
        r
        for r in routers
        if any(k.role == Role.ROUTER for k in kids(r))
        and any(k.role == Role.END_DEVICE for k in kids(r))
        and len(subtree(r)) <= 6
    ]
    leaver = max(cands, key=lambda r: use.get(r.name, 0))
    gone = [leaver, *subtree(leaver)]
    leaver.nwk.nlme_leave_request(None, remove_children=True, rejoin=False)
    w.run(w.now_us + 60 * S)  # children leave; link status ageing clears stragglers
    for g in gone:
        assert not g.nwk.joined and g.state == NodeState.LEFT, g.name
    remaining = [n for n in w if n not in gone]
    assert all(n.nwk.joined for n in remaining)
    for n in remaining:
        assert n.nwk.neighbors.get_by_ieee(leaver.eui64) is None, n.name
        assert all(e.next_hop_address != leaver.nwk.address or e.status != 0 for e in n.nwk.routes)
    sent = []
    for i, (a, b) in enumerate(pairs):
        if a in remaining and b in remaining:
            p = aps_payload(200 + i)
            sent.append((a, b, p))
            w.kernel.call_at(w.now_us + i * 2 * S, send, a, b.nwk.address, p, i)
    w.run(w.now_us + 70 * S)
    w.close()
    ok = sum(1 for a, b, p in sent if rec.received(b.name, p))
    assert ok == len(sent) and len(sent) >= 20
    confirms = [c.status for n in remaining for _, c in rec.confirms(n.name)]
    assert confirms.count(NwkStatus.SUCCESS) >= len(sent)
    assert_no_malformed(pcap)
