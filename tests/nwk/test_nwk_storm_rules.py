"""The rules that end the join-time route request storm (commit ed4d148), one by one on a fake
MAC with literal times, and in small simulated networks where a fake is not enough: many-to-one
routes kept, the route to the coordinator up the join tree, loops, the route request rate limit
and its suppression, per-neighbour frame order, route record validation and upkeep, rejoin
scans, poll jitter."""

from __future__ import annotations

from dataclasses import replace

from tests.nwk.fakes import FakeMac, Sent, command_frame, data_frame, make_nwk, rx
from tests.nwk.nwkutil import MS, S, aps_payload, line_world, send
from zigmesh.mac.frames import FrameType, MacFrame
from zigmesh.mac.primitives import MacStatus, MlmePollConfirm, MlmeScanConfirm, ScanType
from zigmesh.nwk.commands import (
    EndDeviceTimeoutRequest,
    NetworkStatus,
    NwkStatusCode,
    RouteRecord,
    RouteRequest,
    decode_command,
)
from zigmesh.nwk.constants import (
    NWKC_INITIAL_RREQ_RETRIES,
    NWKC_MAX_RREQ_JITTER_US,
    NWKC_RREQ_RETRIES,
    NWKC_RREQ_RETRY_INTERVAL_US,
)
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.join import JoinState
from zigmesh.nwk.many_to_one import MTORR_HOLDOFF_US, RecordState
from zigmesh.nwk.nwk import Nwk, NwkConfig
from zigmesh.nwk.primitives import NldeDataConfirm, NlmeJoinConfirm, NwkAddrMode, NwkStatus
from zigmesh.nwk.route_discovery import RECORD_WAIT_US
from zigmesh.nwk.routing import (
    DIRECT_MAX_COST,
    NEIGHBOR_FAILURE_LIMIT,
    SOURCE_ROUTE_FAILURE_LIMIT,
)
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.nwk.transmit import TxRecord
from zigmesh.security.keys import KeyStore
from zigmesh.sim.kernel import Kernel

ME = 0x1111
PARENT = 0x0A0A
ALT = 0x0B0B  # another router neighbour
SRC = 0x2222
DST = 0x3333
COORD = 0x0000


def _router(
    address: int = ME, depth: int = 2, config: NwkConfig | None = None
) -> tuple[Nwk, FakeMac, Kernel, list[object]]:
    nwk, mac, k, events = make_nwk(address, config=config)
    nwk.nib.nwk_depth = depth
    return nwk, mac, k, events


def _nbr(
    nwk: Nwk,
    address: int,
    *,
    depth: int | None = None,
    relationship: Relationship = Relationship.NONE,
    lqi: int = 255,
    device_type: DeviceType = DeviceType.ROUTER,
    rx_on: bool = True,
) -> NeighborEntry:
    e = NeighborEntry(
        network_address=address,
        device_type=device_type,
        relationship=relationship,
        lqi=lqi,
        outgoing_cost=1,
        depth=depth,
        rx_on_when_idle=rx_on,
    )
    nwk.neighbors.add(e, nwk.clock.now())
    got = nwk.neighbors.get(address)
    assert got is not None
    return got


def _mto_route(nwk: Nwk, next_hop: int, record: bool = True, dst: int = COORD) -> None:
    assert nwk.routing.set_route(
        dst, next_hop, nwk.clock.now(), many_to_one=True, route_record_required=record
    )


def _fail_for_good(mac: FakeMac, k: Kernel, dst: int) -> list[Sent]:
    """NO_ACK every attempt to ``dst`` (first try and the NWK retries); returns the attempts."""
    attempts: list[Sent] = []
    for _ in range(1 + NwkConfig().unicast_retries):
        k.run(k.now() + NwkConfig().unicast_retry_delay_us + 1)
        out = [s for s in mac.take() if s.dst == dst]
        assert len(out) == 1, out
        attempts += out
        mac.confirm(out[0], MacStatus.NO_ACK)
    return attempts


def _is_cmd(s: Sent, kind: type) -> bool:
    f = s.frame
    return f.frame_type == NwkFrameType.COMMAND and isinstance(decode_command(f.payload), kind)


# -- 1. a many-to-one route is not replaced by a discovered or reverse route -----------------


def test_set_route_keeps_usable_many_to_one_route() -> None:
    nwk, mac, k, _ = _router()
    _mto_route(nwk, ALT)
    assert nwk.routing.set_route(COORD, PARENT, k.now(), path_cost=1)
    r = nwk.routes.get(COORD)
    assert r is not None and r.many_to_one and r.route_record_required
    assert r.next_hop_address == ALT
    # a many-to-one request (the authority) still moves it
    _mto_route(nwk, PARENT)
    assert nwk.routes.next_hop(COORD) == PARENT
    # an ordinary route is replaced as before
    nwk.routing.set_route(DST, ALT, k.now())
    nwk.routing.set_route(DST, PARENT, k.now())
    assert nwk.routes.next_hop(DST) == PARENT


def test_reverse_route_of_a_route_request_from_the_concentrator_keeps_many_to_one() -> None:
    nwk, mac, k, _ = _router()
    _nbr(nwk, ALT)
    _nbr(nwk, PARENT)
    _mto_route(nwk, ALT)
    # the concentrator looks for us; the request came through PARENT: nwkSymLink would set
    # the route back to it through PARENT
    rx(nwk, command_frame(RouteRequest(4, ME, 2), COORD, 0xFFFC, src_ieee=0xC0), PARENT)
    [rep] = mac.take()
    assert rep.dst == PARENT  # the reply goes along the request's path
    r = nwk.routes.get(COORD)
    assert r is not None and r.many_to_one and r.next_hop_address == ALT


# -- 2. provisional many-to-one route after joining through a router -------------------------


class _Sink:
    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []

    def write(self, time_us: int, data: bytes) -> None:
        self.frames.append((time_us, data))

    def nwk(self, start: int = 0) -> list[tuple[MacFrame, NwkFrame]]:
        out = []
        for _, d in self.frames[start:]:
            m = MacFrame.decode(d)
            if m.frame_type == FrameType.DATA and m.payload:
                out.append((m, NwkFrame.decode(m.payload)))
        return out


def test_router_joining_through_router_gets_provisional_route_and_records_first() -> None:
    sink = _Sink()
    w = line_world(
        2,
        capture=sink,  # type: ignore[arg-type]
        nwk=NwkConfig(concentrator_first_delay_us=300 * S),
    )
    w.run(4 * S)
    assert w.all_joined()
    r1, r2 = w["r1"], w["r2"]
    assert w.parent_of(r2) is r1
    # nothing sent to the coordinator yet: the route comes from the join itself
    r = r2.nwk.routes.get(COORD)
    assert r is not None and r.many_to_one and r.route_record_required
    assert r.next_hop_address == r1.nwk.address
    assert r2.nwk.mto.record_state(COORD, r2.nwk.address) == RecordState.REQUIRED
    # r1 joined the coordinator itself: no provisional route there
    assert w.parent_of(r1) is w["c"] and r1.nwk.routes.get(COORD) is None
    start = len(sink.frames)
    p = aps_payload(7)
    send(r2, COORD, p)
    w.run(w.now_us + S)
    mine = [(m, f) for m, f in sink.nwk(start) if m.src_addr == r2.nwk.address]
    kinds = [
        "record" if f.frame_type == NwkFrameType.COMMAND and f.payload[0] == 5 else "data"
        for _, f in mine
        if f.frame_type == NwkFrameType.DATA or f.payload[0] == 5
    ]
    assert kinds[:2] == ["record", "data"]
    assert r2.nwk.stats.rreq_sent == 0
    assert r2.nwk.mto.record_state(COORD, r2.nwk.address) == RecordState.SENT


# -- 3. uplink, link failure on a many-to-one route, relayed frames going on -----------------


def test_uplink_prefers_parent_else_lowest_depth_router_below_us() -> None:
    nwk, _, _, _ = _router(depth=3)
    _nbr(nwk, 0x0301, depth=2, lqi=120)
    _nbr(nwk, 0x0302, depth=1, lqi=120)
    _nbr(nwk, 0x0303, depth=1, lqi=255)  # same depth, better link: first
    _nbr(nwk, 0x0304, depth=0, lqi=0)  # never heard: no
    _nbr(nwk, 0x0305, depth=3)  # our depth: no
    _nbr(nwk, 0x0306, depth=0, device_type=DeviceType.END_DEVICE)
    failing = _nbr(nwk, 0x0307, depth=0)
    failing.transmit_failure = 1
    assert nwk.routing.uplink(0xFFFF) == 0x0303
    assert nwk.routing.uplink(0x0303) == 0x0302
    # a good link beats depth: routers one depth lower over poor links (cost 7) come after
    # any router below us over a usable link, the parent included
    _nbr(nwk, PARENT, depth=2, relationship=Relationship.PARENT, lqi=255)
    assert nwk.routing.uplink(0xFFFF) == 0x0303  # depth 1, good link
    assert nwk.routing.uplink(0x0303) == PARENT  # depth 2, good link, before depth-1 poor ones
    assert nwk.routing.uplink(PARENT) == 0x0303  # never the avoided one
    poor, _, _, _ = _router(depth=3)
    _nbr(poor, 0x0321, depth=1, lqi=120)
    _nbr(poor, PARENT, depth=2, relationship=Relationship.PARENT, lqi=60)
    assert poor.routing.uplink(0xFFFF) == 0x0321  # both poor: the nearer the coordinator
    # only routers as deep as us or deeper: none
    deep, _, _, _ = _router(depth=3)
    _nbr(deep, 0x0311, depth=3)
    _nbr(deep, 0x0312, depth=4)
    _nbr(deep, 0x0313)  # depth unknown
    assert deep.routing.uplink(0xFFFF) is None
    # an end device has no uplink
    ed, _, _, _ = make_nwk(0x4444, device_type=DeviceType.END_DEVICE)
    _nbr(ed, PARENT, depth=0, relationship=Relationship.PARENT)
    assert ed.routing.uplink(0xFFFF) is None


def test_link_failed_moves_many_to_one_route_up_the_tree_and_wants_a_new_record() -> None:
    nwk, _, k, _ = _router()
    _nbr(nwk, PARENT, depth=1, relationship=Relationship.PARENT)
    _nbr(nwk, ALT, depth=1)
    _mto_route(nwk, ALT)
    nwk.mto.source_routed_from(COORD)  # our record is known to the concentrator
    assert nwk.mto.record_state(COORD, ME) == RecordState.SENT
    nwk.routing.link_failed(ALT, COORD)
    r = nwk.routes.get(COORD)
    assert r is not None and r.many_to_one and r.route_record_required and r.usable
    assert r.next_hop_address == PARENT
    assert nwk.mto.record_state(COORD, ME) == RecordState.REQUIRED


def test_relayed_frame_toward_concentrator_goes_on_via_fallback() -> None:
    nwk, mac, k, _ = _router()
    _nbr(nwk, PARENT, depth=1, relationship=Relationship.PARENT)
    _nbr(nwk, ALT, depth=1)
    _nbr(nwk, SRC, depth=3)
    _mto_route(nwk, ALT, record=False)
    p = aps_payload(3)
    rx(nwk, data_frame(SRC, COORD, p, radius=10), SRC)
    [first] = mac.take()
    assert first.dst == ALT
    mac.confirm(first, MacStatus.NO_ACK)
    for _ in range(NwkConfig().unicast_retries):
        k.run(k.now() + NwkConfig().unicast_retry_delay_us + 1)
        [again] = mac.take()
        assert again.dst == ALT
        mac.confirm(again, MacStatus.NO_ACK)
    out = mac.take()
    assert [s.dst for s in out] == [PARENT]
    assert out[0].frame.payload == p and out[0].frame.src == SRC
    assert nwk.stats.route_repairs == 1
    assert nwk.stats.network_status_sent == 0
    assert nwk.routes.next_hop(COORD) == PARENT


def test_frames_queued_behind_a_failed_one_to_the_concentrator_get_their_own_attempts() -> None:
    """The concentrator itself did not answer one frame (a busy receiver): the route stays,
    and the relayed frames that were queued behind it, never sent, go again (once) instead of
    being dropped with it."""
    nwk, mac, k, _ = _router(depth=1)
    _nbr(nwk, COORD, depth=0, relationship=Relationship.PARENT)
    _nbr(nwk, SRC, depth=2)
    _mto_route(nwk, COORD, record=False)
    payloads = [aps_payload(i) for i in (1, 2, 3)]
    for i, p in enumerate(payloads):
        rx(nwk, data_frame(SRC, COORD, p, radius=10, seq=10 + i), SRC)
    attempts = _fail_for_good(mac, k, COORD)
    assert {s.frame.payload for s in attempts} == {payloads[0]}
    assert nwk.routes.next_hop(COORD) == COORD
    k.run(k.now() + 1)
    [second] = [s for s in mac.take() if s.dst == COORD]
    assert second.frame.payload == payloads[1] and second.frame.src == SRC
    mac.confirm(second)
    [third] = [s for s in mac.take() if s.dst == COORD]
    assert third.frame.payload == payloads[2]
    mac.confirm(third)
    assert nwk.stats.route_repairs == 2
    # the one that failed every attempt is lost as before: its source hears of it
    assert nwk.stats.network_status_sent == 1
    # a re-sent frame that fails again is not sent a third time
    rx(nwk, data_frame(SRC, COORD, aps_payload(4), radius=10, seq=20), SRC)
    rx(nwk, data_frame(SRC, COORD, aps_payload(5), radius=10, seq=21), SRC)
    _fail_for_good(mac, k, COORD)
    k.run(k.now() + 1)
    _fail_for_good(mac, k, COORD)
    k.run(k.now() + S)
    assert [
        s for s in mac.take() if s.dst == COORD and s.frame.frame_type == NwkFrameType.DATA
    ] == []
    assert nwk.stats.route_repairs == 3


# -- 4. no route to the coordinator: up the tree, no route request ---------------------------


def test_router_without_route_to_coordinator_sends_up_the_tree() -> None:
    nwk, mac, k, events = _router()
    _nbr(nwk, PARENT, depth=1, relationship=Relationship.PARENT)
    assert nwk.routes.get(COORD) is None
    nwk.nlde_data_request(NwkAddrMode.NWK, COORD, aps_payload(1), 5)
    k.run(k.now() + 1)
    out = mac.take()
    assert out and all(s.dst == PARENT for s in out)
    assert nwk.stats.route_discoveries == 0 and nwk.stats.rreq_sent == 0
    r = nwk.routes.get(COORD)
    assert r is not None and r.many_to_one and r.route_record_required
    # the route record goes first, the data frame after it (same neighbour, in order)
    assert _is_cmd(out[0], RouteRecord)
    mac.confirm(out[0])
    [data] = mac.take()
    assert data.frame.frame_type == NwkFrameType.DATA and data.dst == PARENT
    mac.confirm(data)
    k.run(k.now() + 1)
    confirms = [e for e in events if isinstance(e, NldeDataConfirm)]
    assert [c.status for c in confirms] == [NwkStatus.SUCCESS]


# -- 5. loops ---------------------------------------------------------------------------------


def test_many_to_one_route_back_to_previous_hop_moves_up_the_tree() -> None:
    nwk, mac, k, _ = _router()
    _nbr(nwk, PARENT, depth=1, relationship=Relationship.PARENT)
    _nbr(nwk, ALT, depth=3)
    _mto_route(nwk, ALT, record=False)
    p = aps_payload(4)
    rx(nwk, data_frame(SRC, COORD, p, radius=10), ALT)  # ALT handed us a frame for it
    out = mac.take()
    assert [s.dst for s in out] == [PARENT]
    assert out[0].frame.payload == p
    assert nwk.stats.route_loops == 1
    r = nwk.routes.get(COORD)
    assert r is not None and r.many_to_one and r.next_hop_address == PARENT


def test_relay_finding_itself_in_a_route_record_drops_it_and_reroutes() -> None:
    nwk, mac, k, _ = _router()
    _nbr(nwk, PARENT, depth=1, relationship=Relationship.PARENT)
    _nbr(nwk, ALT, depth=3)
    _mto_route(nwk, ALT)
    rec = RouteRecord((0x0501, ME, ALT))
    rx(nwk, command_frame(rec, SRC, COORD, radius=10), ALT)
    assert mac.take() == []  # dropped
    assert nwk.stats.route_loops == 1
    assert nwk.routes.next_hop(COORD) == PARENT
    assert nwk.mto.record_state(COORD, ME) == RecordState.REQUIRED
    # a record without us is relayed with our address appended
    rx(nwk, command_frame(RouteRecord((0x0501,)), SRC, COORD, radius=10, seq=2), ALT)
    [fwd] = mac.take()
    cmd = fwd.command
    assert fwd.dst == PARENT and isinstance(cmd, RouteRecord) and cmd.relays == (0x0501, ME)


# -- 6. route request rate limit ---------------------------------------------------------------


def _confirms(events: list[object]) -> list[NldeDataConfirm]:
    return [e for e in events if isinstance(e, NldeDataConfirm)]


def test_route_request_rate_limit_burst_then_one_per_interval() -> None:
    nwk, mac, k, events = _router(config=NwkConfig(rreq_burst=2, rreq_interval_us=S))
    for i in range(3):
        nwk.nlde_data_request(NwkAddrMode.NWK, 0x3000 + i, aps_payload(i), i)
    k.run(1)
    assert nwk.stats.route_discoveries == 2
    assert nwk.stats.drop_rreq_rate_limited == 1
    [c] = _confirms(events)
    assert c.nsdu_handle == 2 and c.status == NwkStatus.ROUTE_DISCOVERY_FAILED
    # half a token later: still none
    k.run(S // 2)
    nwk.nlde_data_request(NwkAddrMode.NWK, 0x3010, aps_payload(9), 9)
    k.run(S // 2 + 1)
    assert nwk.stats.route_discoveries == 2 and nwk.stats.drop_rreq_rate_limited == 2
    # a whole token after the burst: one more discovery, and only one
    k.run(S)
    nwk.nlde_data_request(NwkAddrMode.NWK, 0x3020, aps_payload(10), 10)
    nwk.nlde_data_request(NwkAddrMode.NWK, 0x3021, aps_payload(11), 11)
    k.run(S + 1)
    assert nwk.stats.route_discoveries == 3 and nwk.stats.drop_rreq_rate_limited == 3
    # a frame for a destination already being discovered waits, it takes no token
    nwk.nlde_data_request(NwkAddrMode.NWK, 0x3020, aps_payload(12), 12)
    k.run(S + 2)
    assert nwk.stats.drop_rreq_rate_limited == 3


def test_route_request_rate_limit_off_with_zero_interval() -> None:
    nwk, mac, k, events = _router(config=NwkConfig(rreq_burst=1, rreq_interval_us=0))
    for i in range(6):
        nwk.nlde_data_request(NwkAddrMode.NWK, 0x3000 + i, aps_payload(i), i)
    k.run(1)
    assert nwk.stats.route_discoveries == 6 and nwk.stats.drop_rreq_rate_limited == 0
    assert _confirms(events) == []


# -- 7. route request suppression (RREQ_QUORUM) -------------------------------------------------


def _relay_rreq_hearing(copies: int) -> int:
    nwk, mac, k, _ = _router()
    for a in (0x0601, 0x0602, 0x0603):
        _nbr(nwk, a)
    rx(nwk, command_frame(RouteRequest(7, DST, 1), SRC, 0xFFFC, radius=10), 0x0601)
    k.run(NWKC_MAX_RREQ_JITTER_US + 1)
    assert len(mac.take()) == 1  # the first rebroadcast always goes
    for i in range(copies):
        # neighbours relaying the same request (worse copies: nothing to improve)
        rx(nwk, command_frame(RouteRequest(7, DST, 9), SRC, 0xFFFC, radius=9), 0x0602 + i)
    k.run(k.now() + (NWKC_RREQ_RETRIES + 1) * NWKC_RREQ_RETRY_INTERVAL_US + 1)
    return 1 + len(mac.take())


def test_relay_skips_retries_after_hearing_quorum() -> None:
    assert _relay_rreq_hearing(2) == 1


def test_relay_below_quorum_still_retries() -> None:
    assert _relay_rreq_hearing(1) == 1 + NWKC_RREQ_RETRIES
    assert _relay_rreq_hearing(0) == 1 + NWKC_RREQ_RETRIES


def _originator_hearing(copies: int, same_neighbour: bool = False) -> int:
    nwk, mac, k, _ = _router()
    for a in (0x0601, 0x0602):
        _nbr(nwk, a)
    nwk.nlde_data_request(NwkAddrMode.NWK, DST, aps_payload(1), 1)
    k.run(1)
    [first] = mac.take()
    f = first.frame
    cmd = first.command
    assert isinstance(cmd, RouteRequest) and cmd.dst == DST
    for i in range(copies):
        relayed = NwkFrame(
            f.frame_type, f.dst, f.src, f.radius - 1, f.seq, cmd.encode(), src_ieee=f.src_ieee
        )
        rx(nwk, relayed, 0x0601 if same_neighbour else 0x0601 + i)
    k.run(k.now() + (NWKC_INITIAL_RREQ_RETRIES + 1) * NWKC_RREQ_RETRY_INTERVAL_US + 1)
    return 1 + sum(_is_cmd(s, RouteRequest) for s in mac.take())


def test_originator_skips_retries_once_two_neighbours_relayed() -> None:
    assert _originator_hearing(2) == 1
    assert _originator_hearing(1) == 1 + NWKC_INITIAL_RREQ_RETRIES


def test_originator_still_retries_when_only_one_neighbour_relayed_twice() -> None:
    # the neighbour's first rebroadcast (jitter <= 128 ms) and its first retry (254 ms later)
    # both come before our second retry: one neighbour, not two
    assert _originator_hearing(2, same_neighbour=True) == 1 + NWKC_INITIAL_RREQ_RETRIES


def _concentrator_hearing(copies: int) -> int:
    """Transmissions of one many-to-one route request by the concentrator that heard
    ``copies`` neighbours relay it."""
    nwk, mac, k, _ = _router(COORD, depth=0)
    for a in (0x0601, 0x0602, 0x0603):
        _nbr(nwk, a)
    nwk.routing.discover_many_to_one()
    k.run(k.now() + 1)
    [first] = mac.take()
    f = first.frame
    cmd = first.command
    assert isinstance(cmd, RouteRequest) and cmd.many_to_one
    for i in range(copies):
        relayed = replace(cmd, path_cost=1)
        rx(
            nwk,
            NwkFrame(
                f.frame_type,
                f.dst,
                f.src,
                f.radius - 1,
                f.seq,
                relayed.encode(),
                src_ieee=f.src_ieee,
            ),
            0x0601 + i,
        )
    k.run(k.now() + (NWKC_INITIAL_RREQ_RETRIES + 1) * NWKC_RREQ_RETRY_INTERVAL_US + 1)
    return 1 + sum(_is_cmd(s, RouteRequest) for s in mac.take())


def test_concentrator_sends_its_many_to_one_request_every_time() -> None:
    """3.6.3.5.1: 1 + nwkcInitialRREQRetries broadcasts, however many neighbours were heard
    relaying it (its near neighbours may all have lost one copy at once)."""
    assert _concentrator_hearing(3) == 1 + NWKC_INITIAL_RREQ_RETRIES
    assert _concentrator_hearing(0) == 1 + NWKC_INITIAL_RREQ_RETRIES


# -- 8. frames to one neighbour keep their order ------------------------------------------------


def _secured_router() -> tuple[Nwk, FakeMac, Kernel]:
    nwk, mac, k, _ = _router()
    keys = KeyStore()
    keys.set_network_key(bytes(range(16)), 1)
    nwk.security = NwkSecurityContext(keys, nwk.ieee, k)
    _nbr(nwk, ALT)
    _nbr(nwk, PARENT)
    return nwk, mac, k


def _counter(s: Sent) -> int:
    aux = s.frame.aux
    assert aux is not None
    return aux.frame_counter


def test_second_unicast_to_a_neighbour_waits_and_is_sealed_when_sent() -> None:
    nwk, mac, k = _secured_router()
    done: list[tuple[bytes, MacStatus]] = []

    def on_done(rec: TxRecord, st: MacStatus) -> None:
        done.append((rec.frame.payload, st))

    nwk.transmit(data_frame(ME, DST, b"one", seq=1), ALT, on_done=on_done)
    nwk.transmit(data_frame(ME, DST, b"two", seq=2), ALT, on_done=on_done)
    nwk.transmit(data_frame(ME, DST, b"other", seq=3), PARENT)  # another neighbour: at once
    out = mac.take()
    assert [s.dst for s in out] == [ALT, PARENT]
    first = out[0]
    mac.confirm(first, MacStatus.NO_ACK)
    k.run(k.now() + NwkConfig().unicast_retry_delay_us + 1)
    [retry] = mac.take()  # the NWK retry of the first, not the second
    assert retry.dst == ALT and retry.frame.seq == 1
    assert _counter(retry) > _counter(out[1])  # a retry is sealed again
    mac.confirm(retry)
    [second] = mac.take()
    assert second.dst == ALT and second.frame.seq == 2
    assert _counter(second) > _counter(retry)
    mac.confirm(second)
    assert done == [(b"one", MacStatus.SUCCESS), (b"two", MacStatus.SUCCESS)]


def test_followers_fail_with_the_first_without_transmission() -> None:
    nwk, mac, k = _secured_router()
    done: list[tuple[int, MacStatus]] = []

    def on_done(rec: TxRecord, st: MacStatus) -> None:
        done.append((rec.frame.seq, st))

    for seq in (1, 2, 3):
        nwk.transmit(data_frame(ME, DST, b"x", seq=seq), ALT, on_done=on_done)
    attempts = _fail_for_good(mac, k, ALT)
    assert {s.frame.seq for s in attempts} == {1}
    assert done == [(1, MacStatus.NO_ACK), (2, MacStatus.NO_ACK), (3, MacStatus.NO_ACK)]
    k.run(k.now() + S)
    assert mac.take() == []
    n = nwk.neighbors.get(ALT)
    assert n is not None and n.transmit_failure == 1
    assert nwk.stats.tx_failures == 1
    # the link is free again: the next frame goes at once
    nwk.transmit(data_frame(ME, DST, b"y", seq=4), ALT)
    assert [s.frame.seq for s in mac.take()] == [4]


def test_indirect_and_broadcast_frames_are_not_chained() -> None:
    nwk, mac, k, _ = _router()
    _nbr(
        nwk, 0x0E01, device_type=DeviceType.END_DEVICE, relationship=Relationship.CHILD, rx_on=False
    )
    for seq in (1, 2):
        nwk.transmit(data_frame(ME, 0x0E01, b"i", seq=seq), 0x0E01, indirect=True)
    for seq in (3, 4):
        nwk.transmit(data_frame(ME, 0xFFFF, b"b", seq=seq), 0xFFFF)
    out = mac.take()
    assert [(s.dst, s.indirect) for s in out] == [
        (0x0E01, True),
        (0x0E01, True),
        (0xFFFF, False),
        (0xFFFF, False),
    ]
    # a direct frame to the same address is not held behind the indirect ones either
    nwk.transmit(data_frame(ME, 0x0E01, b"d", seq=5), 0x0E01)
    assert [s.frame.seq for s in mac.take()] == [5]


# -- 9. route record table and validation -------------------------------------------------------


def test_record_failure_drops_only_at_the_limit_and_update_resets() -> None:
    nwk, _, k, _ = _router(COORD, depth=0)
    table = nwk.route_records
    table.update(DST, (0x0101, 0x0102), 0)
    assert not table.record_failure(DST, 3)
    assert not table.record_failure(DST, 3)
    table.update(DST, (0x0101, 0x0102), 1)  # a fresh record: failures start again
    assert not table.record_failure(DST, 3)
    assert not table.record_failure(DST, 3)
    assert table.relays(DST, 1) == (0x0101, 0x0102)
    assert table.record_failure(DST, 3)
    assert table.relays(DST, 1) is None
    assert table.record_failure(0x7777, 3)  # none held: "dropped"


def _concentrator() -> tuple[Nwk, FakeMac, Kernel]:
    nwk, mac, k, _ = _router(COORD, depth=0)
    nwk.nib.nwk_is_concentrator = True
    _nbr(nwk, 0x0101)
    return nwk, mac, k


def test_concentrator_refuses_bad_route_records() -> None:
    nwk, mac, k = _concentrator()
    bad = [
        (0x0102, 0x0103, 0x0102, 0x0101),  # a relay twice
        (0x0102, 0xFFFC, 0x0101),  # a broadcast address
        (0x0102, 0xFFF8, 0x0101),  # reserved
        (SRC, 0x0101),  # the source among the relays
        (0x0102, COORD, 0x0101),  # the concentrator itself
    ]
    for i, relays in enumerate(bad):
        rx(nwk, command_frame(RouteRecord(relays), SRC, COORD, seq=i + 1), 0x0101)
        assert nwk.route_records.relays(SRC, k.now()) is None, relays
    assert nwk.stats.rx_bad_route_record == len(bad)
    rx(nwk, command_frame(RouteRecord((0x0102, 0xFFF7, 0x0101)), SRC, COORD, seq=50), 0x0101)
    assert nwk.route_records.relays(SRC, k.now()) == (0x0102, 0xFFF7, 0x0101)
    assert nwk.stats.rx_bad_route_record == len(bad)


# -- 10. the concentrator keeps its records in step with the way frames come --------------------


def test_learn_from_one_hop_router_not_in_neighbour_table() -> None:
    nwk, _, k = _concentrator()
    rx(nwk, data_frame(SRC, COORD, aps_payload(1)), SRC)
    assert nwk.route_records.relays(SRC, k.now()) == ()
    assert nwk.routing.resolve(SRC) == (SRC, False, None, None)
    # a neighbour in the table needs no record
    rx(nwk, data_frame(0x0101, COORD, aps_payload(2)), 0x0101)
    assert nwk.route_records.relays(0x0101, k.now()) is None


def test_learn_from_keeps_a_record_whatever_way_the_frame_came() -> None:
    """A record is a way to reach the device, whatever way its frames take to us: a frame
    through another last hop changes nothing (a path guessed through that hop could name a
    relay out of the device's range)."""
    nwk, _, k = _concentrator()
    table = nwk.route_records
    table.update(SRC, (0x0301, 0x0302), 0)
    table.update(0x0201, (0x0202,), 0)
    rx(nwk, data_frame(SRC, COORD, aps_payload(1)), 0x0201)
    assert table.relays(SRC, k.now()) == (0x0301, 0x0302)
    rx(nwk, data_frame(SRC, COORD, aps_payload(2), seq=2), 0x0909)
    assert table.relays(SRC, k.now()) == (0x0301, 0x0302)


def test_learn_from_a_sender_without_record_asks_for_records_again() -> None:
    """A frame from a device several hops away the concentrator holds no record for: its
    record was lost (or dropped) while it believes it sent one; a many-to-one route request
    follows (rate-limited), after which every router sends its record again."""
    nwk, _, k = _concentrator()
    before = nwk.stats.mtorr_sent
    rx(nwk, data_frame(SRC, COORD, aps_payload(1)), 0x0909)
    assert nwk.route_records.relays(SRC, k.now()) is None
    k.run(k.now() + 2 * S)
    assert nwk.stats.mtorr_sent > before
    # a sender with a record, or one hop away, asks for nothing
    after = nwk.stats.mtorr_sent
    nwk.route_records.update(DST, (0x0401,), k.now())
    rx(nwk, data_frame(DST, COORD, aps_payload(2), seq=2), 0x0401)
    k.run(k.now() + 30 * S)
    periodic = nwk.nib.nwk_concentrator_discovery_time_us
    assert nwk.stats.mtorr_sent - after <= (1 + 30 * S // periodic if periodic else 0) * 3


# -- 11. a neighbour goes only after NEIGHBOR_FAILURE_LIMIT failures in a row --------------------


def test_neighbour_removed_only_after_consecutive_failures() -> None:
    nwk, _, k, _ = _router(COORD, depth=0)
    nwk.nib.nwk_is_concentrator = True
    _nbr(nwk, ALT)
    nwk.route_records.update(DST, (0x0701, ALT), 0)
    for i in range(1, NEIGHBOR_FAILURE_LIMIT):
        assert nwk.neighbors.record_tx_failure(ALT) == i
        nwk.routing.link_failed(ALT, ALT)
        assert nwk.neighbors.get(ALT) is not None, i
        assert nwk.route_records.relays(DST, k.now()) == (0x0701, ALT)
    # a success in between starts the count again
    nwk.neighbors.record_tx_success(ALT)
    for _ in range(NEIGHBOR_FAILURE_LIMIT - 1):
        nwk.neighbors.record_tx_failure(ALT)
        nwk.routing.link_failed(ALT, ALT)
    assert nwk.neighbors.get(ALT) is not None
    nwk.neighbors.record_tx_failure(ALT)
    nwk.routing.link_failed(ALT, ALT)
    assert nwk.neighbors.get(ALT) is None
    # the source routes through it stay until they fail themselves (or it ages out): near a
    # busy concentrator one neighbour carries the routes to a quarter of the network
    assert nwk.route_records.relays(DST, k.now()) == (0x0701, ALT)
    nwk.routing.neighbor_gone(ALT)
    assert nwk.route_records.relays(DST, k.now()) is None


def test_neighbour_removed_after_frames_failed_through_the_engine() -> None:
    nwk, mac, k, _ = _router()
    _nbr(nwk, ALT)
    for i in range(NEIGHBOR_FAILURE_LIMIT):
        assert nwk.neighbors.get(ALT) is not None, i
        nwk.send_command(NetworkStatus(NwkStatusCode.NO_ROUTE_AVAILABLE, DST), ALT)
        _fail_for_good(mac, k, ALT)
    assert nwk.neighbors.get(ALT) is None


# -- 12. network status about the concentrator; source route failures ---------------------------


def test_route_failure_status_about_concentrator_keeps_many_to_one_route() -> None:
    nwk, _, k, events = _router()
    _nbr(nwk, ALT)
    _mto_route(nwk, ALT)
    nwk.routing.set_route(DST, ALT, k.now())
    for code in (NwkStatusCode.NON_TREE_LINK_FAILURE, NwkStatusCode.MANY_TO_ONE_ROUTE_FAILURE):
        rx(nwk, command_frame(NetworkStatus(code, COORD), 0x0C0C, ME), ALT)
        assert nwk.routes.next_hop(COORD) == ALT
    rx(nwk, command_frame(NetworkStatus(NwkStatusCode.NO_ROUTE_AVAILABLE, DST), 0x0C0C, ME), ALT)
    assert nwk.routes.get(DST) is None


def test_source_route_failure_counts_record_failures() -> None:
    nwk, _, k = _concentrator()
    nwk.route_records.update(DST, (0x0801, 0x0101), 0)
    status = NetworkStatus(NwkStatusCode.SOURCE_ROUTE_FAILURE, DST)
    for i in range(1, SOURCE_ROUTE_FAILURE_LIMIT):
        rx(nwk, command_frame(status, 0x0801, COORD, seq=i), 0x0101)
        assert nwk.route_records.relays(DST, k.now()) == (0x0801, 0x0101), i
    rx(nwk, command_frame(status, 0x0801, COORD, seq=99), 0x0101)
    assert nwk.route_records.relays(DST, k.now()) is None


# -- 14. rejoin scans once more -------------------------------------------------------------------


def test_rejoin_scans_again_when_first_scan_finds_no_parent() -> None:
    nwk, mac, k, events = make_nwk(
        0x0ED1,
        device_type=DeviceType.END_DEVICE,
        config=NwkConfig(rejoin_on_parent_loss=False),
    )
    _nbr(nwk, PARENT, relationship=Relationship.PARENT)
    scans: list[int] = []

    def scan(*args: object, **kw: object) -> None:
        scans.append(k.now())

    mac.mlme_scan_request = scan  # type: ignore[method-assign]
    empty = MlmeScanConfirm(MacStatus.NO_BEACON, ScanType.ACTIVE, 0, (), (), ())
    nwk.join.rejoin()
    k.run(k.now() + 1)
    assert len(scans) == 1
    nwk._on_mac(empty)
    k.run(k.now() + 100 * MS)
    assert len(scans) == 2 and nwk.join.state == JoinState.REJOIN_SCANNING
    assert not [e for e in events if isinstance(e, NlmeJoinConfirm)]
    nwk._on_mac(empty)
    k.run(k.now() + 100 * MS)
    assert len(scans) == 2
    [jc] = [e for e in events if isinstance(e, NlmeJoinConfirm)]
    assert jc.status == NwkStatus.NO_NETWORKS
    # a new rejoin gets its extra scan again
    nwk.join.rejoin()
    k.run(k.now() + 1)
    nwk._on_mac(empty)
    k.run(k.now() + 100 * MS)
    assert len(scans) == 4


# -- 15. poll period jitter ------------------------------------------------------------------------


def test_end_device_poll_period_jitter_within_one_percent() -> None:
    period = S
    nwk, mac, k, _ = make_nwk(
        0x0ED1,
        device_type=DeviceType.END_DEVICE,
        config=NwkConfig(
            poll_interval_us=period, end_device_timeout_index=0, rejoin_on_parent_loss=False
        ),
    )
    _nbr(nwk, PARENT, relationship=Relationship.PARENT, lqi=200)
    polls: list[int] = []

    def poll(*_: object, **__: object) -> None:
        polls.append(k.now())
        k.call_later(5 * MS, nwk._on_mac, MlmePollConfirm(MacStatus.NO_DATA))

    mac.mlme_poll_request = poll  # type: ignore[method-assign]
    nwk.child.start()
    [req] = mac.take()
    assert isinstance(req.command, EndDeviceTimeoutRequest)
    mac.confirm(req)
    for _ in range(400):
        k.run(k.now() + period)
        for s in mac.take():
            mac.confirm(s)
    gaps = [b - a for a, b in zip(polls, polls[1:], strict=False)]
    assert len(gaps) > 300
    spread = period // 100
    assert all(period - spread <= g <= period + spread for g in gaps)
    assert len(set(gaps)) > 50  # it does drift
    mean = sum(gaps) / len(gaps)
    assert abs(mean - period) < spread / 5


# -- frame too long: a property of the frame, not of the link (recovery issue, item 4) ----------


def test_relayed_frame_too_long_is_dropped_and_counted_routes_untouched() -> None:
    nwk, mac, k, _ = _router()
    _nbr(nwk, ALT)
    _mto_route(nwk, ALT)
    nwk.routing.relay(data_frame(SRC, COORD, aps_payload(1)), PARENT)
    k.run(k.now() + 1)
    out = [s for s in mac.take() if s.dst == ALT]
    assert len(out) == 1
    mac.confirm(out[0], MacStatus.FRAME_TOO_LONG)
    k.run(k.now() + 1 * S)
    assert nwk.stats.drop_frame_too_long == 1
    assert nwk.stats.link_failures == 0 and nwk.stats.network_status_sent == 0
    r = nwk.routes.get(COORD)
    assert r is not None and r.usable and r.next_hop_address == ALT
    e = nwk.neighbors.get(ALT)
    assert e is not None and e.transmit_failure == 0
    assert not [s for s in mac.take() if s.dst == ALT]  # not retried either


# -- link quality: poor links last ------------------------------------------------------------


def test_neighbour_over_a_poor_link_is_reached_by_a_route_of_good_links_first() -> None:
    nwk, mac, k, _ = _router()
    _nbr(nwk, DST, lqi=90)  # in range, but cost 7
    _nbr(nwk, ALT)
    assert nwk.link_cost(DST) > DIRECT_MAX_COST
    assert nwk.routing.resolve(DST) == (DST, False, None, None)  # nothing better: direct
    nwk.routing.set_route(DST, ALT, k.now())
    hop = nwk.routing.resolve(DST)
    assert hop is not None and hop[0] == ALT  # a route of good links first
    _nbr(nwk, SRC, lqi=255)
    nwk.routing.set_route(SRC, ALT, k.now())
    assert nwk.routing.resolve(SRC) == (SRC, False, None, None)  # a good neighbour: direct


# -- loop-free alternates of a many-to-one route -----------------------------------------------


def test_many_to_one_fallback_prefers_a_neighbour_nearer_the_concentrator() -> None:
    """A neighbour that advertised a smaller cost than ours in the concentrator's last request
    cannot route back through us: it is the fallback before the join tree; one that
    advertised more (or the failed hop) never is."""
    nwk, _, k, _ = _router(depth=3)
    near, far = 0x0501, 0x0502
    for a in (ALT, near, far):
        _nbr(nwk, a)
    _nbr(nwk, PARENT, depth=2, relationship=Relationship.PARENT)
    nwk.routing.set_route(COORD, ALT, k.now(), path_cost=5, many_to_one=True)
    nwk.mto.note_copy(COORD, 9, ALT, 2)
    nwk.mto.note_copy(COORD, 9, near, 3)
    nwk.mto.note_copy(COORD, 9, far, 9)
    assert nwk.mto.alternate(COORD, ALT, 5) == near
    assert nwk.mto.alternate(COORD, near, 3) == ALT
    assert nwk.mto.alternate(COORD, ALT, 3) is None  # nobody strictly nearer but the failed one
    nwk.routing.link_failed(ALT, COORD)
    r = nwk.routes.get(COORD)
    assert r is not None and r.many_to_one and r.next_hop_address == near
    # a new request starts the alternates afresh
    nwk.mto.note_copy(COORD, 10, far, 1)
    assert nwk.mto.alternate(COORD, ALT, 5) == far


# -- a concentrator answering a device it holds no record for waits for the record -------------


def _answer(nwk: Nwk, dst: int, handle: int) -> None:
    nwk.nlde_data_request(NwkAddrMode.NWK, dst, aps_payload(handle), handle)


def test_concentrator_waits_for_the_record_of_a_device_that_just_talked() -> None:
    nwk, mac, k = _concentrator()
    rx(nwk, data_frame(SRC, COORD, aps_payload(1)), 0x0909)  # several hops out, no record
    assert nwk.mto.unreachable_sender(SRC)
    _answer(nwk, SRC, 5)  # our answer (an APS ACK): no route yet
    k.run(k.now() + 1 * S)
    assert nwk.stats.route_discoveries == 0  # no flood for one device
    assert not [s for s in mac.take() if s.dst == 0x0101]
    # its record arrives (its retry carries it): the answer goes source-routed at once
    rx(nwk, command_frame(RouteRecord((0x0102, 0x0101)), SRC, COORD, seq=7), 0x0101)
    k.run(k.now() + 1)
    out = [s for s in mac.take() if s.dst == 0x0101]
    assert out and NwkFrame.decode(out[0].msdu).source_route is not None
    assert nwk.stats.route_discoveries == 0


def test_concentrator_fails_after_the_record_wait_and_discovers_for_a_silent_device() -> None:
    """No record within the wait: the answer fails (its originator is told), counting as a
    route error toward a repair many-to-one request, with no discovery; a device we did not
    hear from lately gets a discovery at once."""
    nwk, mac, k, events = _router(COORD, depth=0)
    nwk.nib.nwk_is_concentrator = True
    _nbr(nwk, 0x0101)

    def failed() -> list[NwkStatus]:
        return [c.status for c in _confirms(events) if c.nsdu_handle == 5]

    rx(nwk, data_frame(SRC, COORD, aps_payload(1)), 0x0909)
    _answer(nwk, SRC, 5)
    k.run(k.now() + RECORD_WAIT_US - 1)
    assert nwk.stats.route_discoveries == 0 and not failed()
    k.run(k.now() + 2)
    assert nwk.stats.route_discoveries == 0  # no record came: no flood either
    assert failed() == [NwkStatus.ROUTE_DISCOVERY_FAILED]
    # the device is a route error: with one record or none, that is the repair threshold
    k.run(k.now() + MTORR_HOLDOFF_US)
    assert nwk.stats.mtorr_sent >= 1
    # a device we did not hear from lately: a discovery at once
    _answer(nwk, DST, 6)
    k.run(k.now() + 1)
    assert nwk.stats.route_discoveries == 1


def test_rejoin_rescan_waits_for_its_own_poll_to_end() -> None:
    """The rejoin response never came and the poll for it is still running when the wait
    ends: the next scan waits for the poll (the MAC refuses a scan during a poll; it raised
    LocalProtocolError out of the kernel in a 1,000-node run)."""
    nwk, mac, k, events = make_nwk(
        0x0ED1,
        device_type=DeviceType.END_DEVICE,
        config=NwkConfig(rejoin_on_parent_loss=False),
    )
    scans: list[int] = []

    def scan(*args: object, **kw: object) -> None:
        if nwk.join.polling:
            raise AssertionError("scan during the rejoin's poll")
        scans.append(k.now())

    mac.mlme_scan_request = scan  # type: ignore[method-assign]
    nwk.join.rejoin()
    k.run(k.now() + 1)
    assert len(scans) == 1
    nwk.join.polling = True  # its poll for the rejoin response still runs
    nwk._on_mac(MlmeScanConfirm(MacStatus.NO_BEACON, ScanType.ACTIVE, 0, (), (), ()))
    k.run(k.now() + 100 * MS)
    assert len(scans) == 1 and nwk.join.state == JoinState.REJOIN_SCANNING
    nwk.join.polling = False
    k.run(k.now() + 100 * MS)
    assert len(scans) == 2
