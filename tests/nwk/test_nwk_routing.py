"""Route discovery, next hop, route errors (Zigbee spec 3.6.3) on a fake MAC, literal times,
and in small simulated networks."""

from __future__ import annotations

from dataclasses import replace

from tests.nwk.fakes import command_frame, data_frame, make_nwk, rx
from tests.nwk.nwkutil import Recorder, S, aps_payload, line_world, send
from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.commands import (
    ManyToOne,
    NetworkStatus,
    NwkStatusCode,
    RouteReply,
    RouteRequest,
)
from zigmesh.nwk.config import NwkConfig
from zigmesh.nwk.constants import (
    NWKC_INITIAL_RREQ_RETRIES,
    NWKC_MAX_RREQ_JITTER_US,
    NWKC_MIN_RREQ_JITTER_US,
    NWKC_ROUTE_DISCOVERY_TIME_US,
    NWKC_RREQ_RETRIES,
    NWKC_RREQ_RETRY_INTERVAL_US,
)
from zigmesh.nwk.frames import DiscoverRoute, NwkFrame
from zigmesh.nwk.link_cost import LINK_COST_TABLE
from zigmesh.nwk.primitives import NldeDataConfirm, NlmeNwkStatusIndication, NwkAddrMode, NwkStatus
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship, RouteStatus

ME = 0x1111
ORIG = 0x2222
DST = 0x3333
SENDER = 0x4444


def _neighbor(nwk, addr, lqi=255, outgoing=1, dtype=DeviceType.ROUTER):  # type: ignore[no-untyped-def]
    nwk.neighbors.add(
        NeighborEntry(network_address=addr, device_type=dtype, lqi=lqi, outgoing_cost=outgoing),
        nwk.clock.now(),
    )


def test_rreq_relay_adds_link_cost_and_rebroadcasts_after_jitter() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, SENDER, lqi=200, outgoing=2)  # incoming cost of LQI 200 is 3
    link = max(LINK_COST_TABLE[200], 2)
    rx(nwk, command_frame(RouteRequest(7, DST, 4), ORIG, 0xFFFC, radius=10), SENDER, lqi=200)
    e = nwk.discovery.get(ORIG, 7, k.now())
    assert e is not None and e.sender_address == SENDER and e.forward_cost == 4 + link
    assert mac.take() == []  # waits for the RREQ jitter
    k.run(NWKC_MAX_RREQ_JITTER_US)
    sent = mac.take()
    assert len(sent) == 1 and sent[0].dst == 0xFFFF and not sent[0].ack
    f = sent[0].frame
    assert (f.src, f.dst, f.radius) == (ORIG, 0xFFFC, 9)
    cmd = sent[0].command
    assert isinstance(cmd, RouteRequest) and cmd.path_cost == 4 + link and cmd.dst == DST
    assert NWKC_MIN_RREQ_JITTER_US <= sent[0].time <= NWKC_MAX_RREQ_JITTER_US
    # then nwkcRREQRetries more times, nwkcRREQRetryInterval apart
    k.run(k.now() + NWKC_RREQ_RETRIES * NWKC_RREQ_RETRY_INTERVAL_US + 1)
    assert len(mac.take()) == NWKC_RREQ_RETRIES


def test_links_to_routers_outside_the_table_are_priced_from_the_frames_lqi() -> None:
    """A route request or reply relayed by a router we keep no entry for (a full table, or
    beyond ``max_unrelated_neighbors``) costs the link the frame crossed, from that frame's
    LQI (3.6.3.1), not the maximum 7; a many-to-one request, and any with
    nwkReportConstantCost, 7."""
    nwk, mac, k, _ = make_nwk(ME)
    rx(nwk, command_frame(RouteRequest(7, DST, 4), ORIG, 0xFFFC, radius=10), SENDER, lqi=230)
    assert nwk.neighbors.get(SENDER) is None  # hearing it did not add it
    link = LINK_COST_TABLE[230]
    assert link < 7
    e = nwk.discovery.get(ORIG, 7, k.now())
    assert e is not None and e.forward_cost == 4 + link
    k.run(NWKC_MAX_RREQ_JITTER_US)
    assert [s.command.path_cost for s in mac.take()] == [4 + link]  # type: ignore[union-attr]
    rx(nwk, command_frame(RouteReply(7, ORIG, DST, 3), DST, ORIG), 0x6666, lqi=60)
    assert nwk.routes.get(DST).path_cost == 3 + LINK_COST_TABLE[60]  # type: ignore[union-attr]
    assert nwk.link_cost(SENDER) == 7  # no frame at hand: the maximum
    # a many-to-one request: the concentrator's tree rests on links of known two-way cost
    mto = RouteRequest(9, 0xFFFC, 4, many_to_one=ManyToOne.WITH_ROUTE_RECORD)
    rx(nwk, command_frame(mto, 0x0000, 0xFFFC, radius=10), SENDER, lqi=230)
    e = nwk.discovery.get(0x0000, 9, k.now())
    assert e is not None and e.forward_cost == 4 + 7
    nwk.nib.nwk_report_constant_cost = True
    rx(nwk, command_frame(RouteRequest(8, DST, 4), ORIG, 0xFFFC, radius=10), SENDER, lqi=230)
    e = nwk.discovery.get(ORIG, 8, k.now())
    assert e is not None and e.forward_cost == 4 + 7


def test_rreq_worse_copy_dropped_better_copy_replaces() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, SENDER, lqi=255, outgoing=1)
    _neighbor(nwk, 0x5555, lqi=255, outgoing=1)
    rx(nwk, command_frame(RouteRequest(9, DST, 5), ORIG, 0xFFFC), SENDER)
    rx(nwk, command_frame(RouteRequest(9, DST, 8), ORIG, 0xFFFC), 0x5555)  # worse: ignored
    e = nwk.discovery.get(ORIG, 9, k.now())
    assert e is not None and (e.sender_address, e.forward_cost) == (SENDER, 6)
    rx(nwk, command_frame(RouteRequest(9, DST, 1), ORIG, 0xFFFC), 0x5555)  # better
    assert (e.sender_address, e.forward_cost) == (0x5555, 2)
    k.run(NWKC_MAX_RREQ_JITTER_US)
    sent = mac.take()
    assert len(sent) == 1 and sent[0].command.path_cost == 2  # type: ignore[union-attr]


def test_rreq_better_copy_after_the_first_relay_goes_out_next_and_retries_repeat_it() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, SENDER, lqi=255, outgoing=1)
    _neighbor(nwk, 0x5555, lqi=255, outgoing=1)
    rx(nwk, command_frame(RouteRequest(9, DST, 5), ORIG, 0xFFFC, radius=10), SENDER)
    k.run(NWKC_MAX_RREQ_JITTER_US)
    first = mac.take()
    assert [s.command.path_cost for s in first] == [6]  # type: ignore[union-attr]
    # a better copy while the retries wait: the next relay carries it, radius one less
    rx(nwk, command_frame(RouteRequest(9, DST, 1), ORIG, 0xFFFC, radius=7), 0x5555)
    k.run(k.now() + NWKC_MAX_RREQ_JITTER_US)
    better = mac.take()
    assert [(s.command.path_cost, s.frame.radius) for s in better] == [(2, 6)]  # type: ignore[union-attr]
    # its retries repeat the same frame
    k.run(k.now() + NWKC_RREQ_RETRIES * NWKC_RREQ_RETRY_INTERVAL_US + 1)
    retries = mac.take()
    assert len(retries) == NWKC_RREQ_RETRIES
    assert all(s.frame == better[0].frame for s in retries)


def _mto(cost: int, radius: int = 10) -> NwkFrame:
    """Copy of the concentrator 0x0000's many-to-one request 9 carrying ``cost``."""
    req = RouteRequest(9, 0xFFFC, cost, many_to_one=ManyToOne.WITH_ROUTE_RECORD)
    return command_frame(req, 0x0000, 0xFFFC, radius=radius)


def test_many_to_one_request_is_relayed_again_only_for_a_much_cheaper_copy() -> None:
    """Relayed at 9: a copy at 8 (less than NwkConfig.mtorr_relay_margin cheaper) moves our
    route to the concentrator without a broadcast; one at 6 is relayed again."""
    nwk, mac, k, _ = make_nwk(ME)
    assert nwk.config.mtorr_relay_margin == 3
    for a in (SENDER, 0x5555, 0x6666):
        _neighbor(nwk, a, lqi=255, outgoing=1)  # link cost 1
    rx(nwk, _mto(8), SENDER)
    k.run(NWKC_MAX_RREQ_JITTER_US)
    rx(nwk, _mto(7), 0x5555)
    r = nwk.routes.get(0x0000)
    assert r is not None and r.many_to_one and (r.next_hop_address, r.path_cost) == (0x5555, 8)
    k.run(k.now() + NWKC_MAX_RREQ_JITTER_US)
    sent = mac.take()
    assert [s.command.path_cost for s in sent] == [9]  # type: ignore[union-attr]
    rx(nwk, _mto(5), 0x6666)
    r = nwk.routes.get(0x0000)
    assert r is not None and (r.next_hop_address, r.path_cost) == (0x6666, 6)
    k.run(k.now() + NWKC_MAX_RREQ_JITTER_US + NWKC_RREQ_RETRIES * NWKC_RREQ_RETRY_INTERVAL_US)
    costs = [s.command.path_cost for s in mac.take()]  # type: ignore[union-attr]
    assert 6 in costs and set(costs) <= {9, 6}  # relayed again (retries may repeat 9 first)
    # with a margin of 1, every cheaper copy is relayed (3.6.3.5.2)
    nwk, mac, k, _ = make_nwk(ME, config=replace(NwkConfig(), mtorr_relay_margin=1))
    for a in (SENDER, 0x5555):
        _neighbor(nwk, a, lqi=255, outgoing=1)
    rx(nwk, _mto(8), SENDER)
    k.run(NWKC_MAX_RREQ_JITTER_US)
    rx(nwk, _mto(7), 0x5555)
    k.run(k.now() + NWKC_MAX_RREQ_JITTER_US + NWKC_RREQ_RETRIES * NWKC_RREQ_RETRY_INTERVAL_US)
    assert 8 in [s.command.path_cost for s in mac.take()]  # type: ignore[union-attr]


def test_many_to_one_request_whose_id_wrapped_around_starts_afresh() -> None:
    """Request ids wrap at 256: a new request with the id of one we relayed long ago is a new
    flood (relayed whatever its cost) with new alternates, not a copy of the old one."""
    nwk, mac, k, _ = make_nwk(ME)
    for a in (SENDER, 0x5555):
        _neighbor(nwk, a, lqi=255, outgoing=1)
    rx(nwk, _mto(2), 0x5555)
    k.run(NWKC_ROUTE_DISCOVERY_TIME_US + NWKC_RREQ_RETRIES * NWKC_RREQ_RETRY_INTERVAL_US)
    assert {s.command.path_cost for s in mac.take()} == {3}  # type: ignore[union-attr]
    assert nwk.discovery.get(0x0000, 9, k.now()) is None  # that flood is long over
    rx(nwk, _mto(8), SENDER)  # request 9 again, 256 requests later
    k.run(k.now() + NWKC_MAX_RREQ_JITTER_US)
    assert [s.command.path_cost for s in mac.take()] == [9]  # type: ignore[union-attr]
    assert nwk.mto.alternate(0x0000, SENDER, 9) is None  # 0x5555's cost 2 was the old one's


def test_many_to_one_alternates_are_those_cheaper_than_what_our_relay_advertised() -> None:
    """Relayed at 6, we route at 4 (a later copy, too little cheaper to relay): a neighbour
    that advertised 4 or 5 cannot have us on its path (advertised costs decrease along every
    chain of next hops), so it is an alternate when our next hop fails; one that advertised 6
    is not."""
    nwk, mac, k, _ = make_nwk(ME)
    for a in (0x5555, 0x6666, 0x7777, 0x8888):
        _neighbor(nwk, a, lqi=255, outgoing=1)
    rx(nwk, _mto(5), 0x5555)
    k.run(NWKC_MAX_RREQ_JITTER_US)
    assert [s.command.path_cost for s in mac.take()] == [6]  # type: ignore[union-attr]
    rx(nwk, _mto(3), 0x6666)
    rx(nwk, _mto(4), 0x7777)
    rx(nwk, _mto(6), 0x8888)
    r = nwk.routes.get(0x0000)
    assert r is not None and (r.next_hop_address, r.path_cost) == (0x6666, 4)
    assert nwk.mto.alternate(0x0000, 0x6666, r.path_cost) == 0x7777  # 4 + 1 < 5 + 1
    assert nwk.mto.alternate(0x0000, 0x6666, r.path_cost, 0x7777) == 0x5555
    nwk.neighbors.remove(0x7777)
    assert nwk.mto.alternate(0x0000, 0x6666, r.path_cost, 0x5555) is None  # not 0x8888


def test_destination_replies_along_best_sender_and_learns_reverse_route() -> None:
    nwk, mac, k, _ = make_nwk(DST)
    _neighbor(nwk, SENDER, lqi=255, outgoing=1)
    rx(
        nwk,
        command_frame(RouteRequest(3, DST, 6), ORIG, 0xFFFC, src_ieee=0xABCD),
        SENDER,
    )
    sent = mac.take()
    assert len(sent) == 1 and sent[0].dst == SENDER and sent[0].ack
    f = sent[0].frame
    assert (f.src, f.dst) == (DST, ORIG)
    rep = sent[0].command
    assert isinstance(rep, RouteReply)
    assert (rep.route_request_id, rep.originator, rep.responder, rep.path_cost) == (3, ORIG, DST, 0)
    assert rep.responder_ieee == nwk.ieee and rep.originator_ieee == 0xABCD
    # nwkSymLink: the route back to the originator goes through the sender
    assert nwk.routes.next_hop(ORIG) == SENDER


def test_parent_replies_for_end_device_child() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, SENDER)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=DST,
            extended_address=0x77,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
        ),
        0,
    )
    rx(nwk, command_frame(RouteRequest(3, DST, 0), ORIG, 0xFFFC), SENDER)
    rep = mac.take()[0].command
    assert isinstance(rep, RouteReply) and rep.responder == DST and rep.responder_ieee == 0x77


def test_route_reply_relay_sets_both_routes_and_forwards_with_cost() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, SENDER, lqi=255, outgoing=1)
    _neighbor(nwk, 0x6666, lqi=180, outgoing=0)
    rx(nwk, command_frame(RouteRequest(5, DST, 2), ORIG, 0xFFFC), SENDER)
    mac.take()
    rx(nwk, command_frame(RouteReply(5, ORIG, DST, 3), DST, ORIG), 0x6666, lqi=180)
    link = LINK_COST_TABLE[180]
    assert nwk.routes.next_hop(DST) == 0x6666
    assert nwk.routes.get(DST).path_cost == 3 + link  # type: ignore[union-attr]
    assert nwk.routes.next_hop(ORIG) == SENDER
    sent = [s for s in mac.take() if s.dst != 0xFFFF]
    assert len(sent) == 1 and sent[0].dst == SENDER
    fwd = sent[0].command
    assert isinstance(fwd, RouteReply) and fwd.path_cost == 3 + link
    e = nwk.discovery.get(ORIG, 5, k.now())
    assert e is not None and e.residual_cost == 3 + link
    # a worse reply later is not forwarded
    rx(nwk, command_frame(RouteReply(5, ORIG, DST, 30), DST, ORIG), 0x6666, lqi=180)
    assert [s for s in mac.take() if s.dst != 0xFFFF] == []


def test_originator_discovery_retries_then_fails_after_route_discovery_time() -> None:
    nwk, mac, k, events = make_nwk(ME)
    nwk.nlde_data_request(NwkAddrMode.NWK, DST, aps_payload(), 42)
    k.run(1)
    rreqs = mac.take()
    assert len(rreqs) == 1 and isinstance(rreqs[0].command, RouteRequest)
    assert nwk.routes.get(DST).status == RouteStatus.DISCOVERY_UNDERWAY  # type: ignore[union-attr]
    k.run(NWKC_INITIAL_RREQ_RETRIES * NWKC_RREQ_RETRY_INTERVAL_US + 1)
    assert len(mac.take()) == NWKC_INITIAL_RREQ_RETRIES
    k.run(NWKC_ROUTE_DISCOVERY_TIME_US + 1)
    confirms = [e for e in events if isinstance(e, NldeDataConfirm)]
    assert len(confirms) == 1
    assert confirms[0].nsdu_handle == 42
    assert confirms[0].status == NwkStatus.ROUTE_DISCOVERY_FAILED
    assert nwk.stats.route_discovery_failures == 1
    assert nwk.routes.get(DST) is None


def test_originator_sends_buffered_frame_on_first_reply() -> None:
    nwk, mac, k, events = make_nwk(ME)
    _neighbor(nwk, SENDER)
    payload = aps_payload(3)
    nwk.nlde_data_request(NwkAddrMode.NWK, DST, payload, 1)
    k.run(1)
    rreq = mac.take()[0].command
    assert isinstance(rreq, RouteRequest)
    rx(nwk, command_frame(RouteReply(rreq.route_request_id, ME, DST, 4), DST, ME), SENDER)
    out = mac.take()
    assert len(out) == 1 and out[0].dst == SENDER and out[0].frame.payload == payload
    assert out[0].frame.discover_route == DiscoverRoute.ENABLE
    assert nwk.routes.next_hop(DST) == SENDER
    mac.confirm(out[0])
    assert [e.status for e in events if isinstance(e, NldeDataConfirm)] == [NwkStatus.SUCCESS]
    # the originator's remaining retries were cancelled
    k.run(k.now() + 2 * S)
    assert [s for s in mac.take() if isinstance(s.command, RouteRequest)] == []


def test_relay_link_failure_sends_network_status_to_source() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, SENDER)
    _neighbor(nwk, 0x6666)
    nwk.routes.set_route(DST, 0x6666, 0)
    nwk.routes.set_route(ORIG, SENDER, 0)
    rx(nwk, data_frame(ORIG, DST, aps_payload()), SENDER)
    fwd = mac.take()
    assert len(fwd) == 1 and fwd[0].dst == 0x6666 and fwd[0].frame.radius == 29
    # MAC failure, then the NWK retries, then the link is declared broken
    for _ in range(nwk.config.unicast_retries + 1):
        mac.confirm(fwd[-1], MacStatus.NO_ACK)
        k.run(k.now() + nwk.config.unicast_retry_delay_us)
        fwd = mac.take() or fwd
    out = [s for s in mac.sent] + fwd
    status = [s for s in out if s.frame.frame_type == 1 and isinstance(s.command, NetworkStatus)]
    assert status, "a network status goes back to the source"
    ns = status[-1]
    assert ns.dst == SENDER and ns.frame.dst == ORIG
    cmd = ns.command
    assert isinstance(cmd, NetworkStatus)
    assert cmd.status == NwkStatusCode.NON_TREE_LINK_FAILURE and cmd.dst == DST
    assert nwk.routes.get(DST) is None
    assert nwk.stats.link_failures == 1


def test_network_status_drops_route_and_is_indicated() -> None:
    nwk, mac, k, events = make_nwk(ORIG)
    _neighbor(nwk, SENDER)
    nwk.routes.set_route(DST, SENDER, 0)
    rx(
        nwk,
        command_frame(NetworkStatus(NwkStatusCode.NON_TREE_LINK_FAILURE, DST), ME, ORIG),
        SENDER,
    )
    assert nwk.routes.get(DST) is None
    ind = [e for e in events if isinstance(e, NlmeNwkStatusIndication)]
    assert ind == [NlmeNwkStatusIndication(NwkStatusCode.NON_TREE_LINK_FAILURE, DST, None)]


def test_many_to_one_request_sets_route_to_concentrator_without_reply() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, SENDER)
    rx(
        nwk,
        command_frame(RouteRequest(1, 0xFFFC, 2, ManyToOne.WITH_ROUTE_RECORD), 0x0000, 0xFFFC),
        SENDER,
    )
    r = nwk.routes.get(0x0000)
    assert r is not None and r.many_to_one and r.route_record_required
    assert r.next_hop_address == SENDER
    k.run(NWKC_MAX_RREQ_JITTER_US)
    sent = mac.take()
    assert len(sent) == 1 and sent[0].dst == 0xFFFF  # rebroadcast, no reply


def test_unicast_prefers_neighbor_then_route_table() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _neighbor(nwk, DST)
    assert nwk.routing.resolve(DST) == (DST, False, None, None)
    nwk.routes.set_route(0x9999, DST, 0)
    hop = nwk.routing.resolve(0x9999)
    assert hop is not None and hop[0] == DST
    nwk.neighbors.add(
        NeighborEntry(
            network_address=0x7777,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
        ),
        0,
    )
    assert nwk.routing.resolve(0x7777) == (0x7777, True, None, None)  # indirect


def test_chain_route_discovery_path_cost_and_routes() -> None:
    """c - r1 - r2 - r3 - r4 on a line, 25 m apart: r4 -> c discovers a 4-hop route."""
    w = line_world(4)
    w.run(8 * S)
    assert w.all_joined()
    rec = Recorder().attach(w)
    r4 = w["r4"]
    r1, r2, r3 = w["r1"], w["r2"], w["r3"]
    p = aps_payload(1)
    r4.nwk.nlde_data_request(NwkAddrMode.NWK, r1.nwk.address, p, 9)
    w.run(w.now_us + 3 * S)
    assert rec.received("r1", p)
    # the route follows the chain
    assert r4.nwk.routes.next_hop(r1.nwk.address) == r3.nwk.address
    assert r3.nwk.routes.next_hop(r1.nwk.address) == r2.nwk.address
    # symmetric: relays know the way back too
    assert r2.nwk.routes.next_hop(r4.nwk.address) == r3.nwk.address
    cost = r4.nwk.routes.get(r1.nwk.address).path_cost  # type: ignore[union-attr]
    assert 3 <= cost <= 21  # three links of cost 1..7
    ind = rec.indications("r1")[-1][1]
    assert ind.hops == 3 and ind.src_addr == r4.nwk.address
    # and back, without a new discovery
    before = r1.nwk.stats.route_discoveries
    q = aps_payload(2)
    send(r1, r4.nwk.address, q)
    w.run(w.now_us + 2 * S)
    assert rec.received("r4", q)
    assert r1.nwk.stats.route_discoveries == before


def test_discovery_to_unknown_address_fails() -> None:
    w = line_world(2)
    w.run(5 * S)
    rec = Recorder().attach(w)
    send(w["r2"], 0x4321, aps_payload(), 5)
    w.run(w.now_us + NWKC_ROUTE_DISCOVERY_TIME_US + S)
    confirms = [e for _, e in rec.confirms("r2")]
    assert [c.status for c in confirms] == [NwkStatus.ROUTE_DISCOVERY_FAILED]


def test_frame_refused_by_a_full_discovery_buffer_counts_once() -> None:
    """One frame, one drop counter: a frame the route discovery buffer had no room for was
    counted under ``drop_buffer_full`` and ``drop_no_route`` (issue 9's campaign accounting)."""
    nwk, mac, k, events = make_nwk(ME, config=replace(NwkConfig(), route_discovery_buffer=1))
    nwk.nlde_data_request(NwkAddrMode.NWK, DST, aps_payload(1), 1)
    nwk.nlde_data_request(NwkAddrMode.NWK, DST, aps_payload(2), 2)
    k.run(1)
    confirms = [e for e in events if isinstance(e, NldeDataConfirm)]
    assert [(c.nsdu_handle, c.status) for c in confirms] == [(2, NwkStatus.FRAME_NOT_BUFFERED)]
    assert (nwk.stats.drop_buffer_full, nwk.stats.drop_no_route) == (1, 0)
