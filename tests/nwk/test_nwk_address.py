"""Stochastic address assignment and address conflict detection / resolution (Zigbee spec
3.6.1.7, 3.6.1.9.3)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import zigmesh.nwk.address as address_module
from tests.nwk.fakes import command_frame, data_frame, make_nwk, rx
from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload, send
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.mac.frames import FrameType
from zigmesh.node_config import NodeConfig, Role, _nwk_config
from zigmesh.nwk.address import REPORT_HOLDOFF_US, REPORT_JITTER_US, allocate_stochastic
from zigmesh.nwk.commands import LinkStatus, NetworkStatus, NwkStatusCode, RouteRecord
from zigmesh.nwk.constants import NWK_NETWORK_BROADCAST_DELIVERY_TIME_US
from zigmesh.nwk.primitives import (
    NldeDataIndication,
    NlmeNetworkAddressChangeIndication,
    NwkAddrMode,
)
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.radio import Radio
from zigmesh.sim.world import World


def test_allocation_is_random_unicast_and_skips_used() -> None:
    rng = random.Random(1)
    seen = {allocate_stochastic(rng.randrange, lambda a: False) for _ in range(500)}
    assert all(0x0001 <= a <= 0xFFF7 for a in seen)
    assert len(seen) > 490  # spread over the space
    seq = iter([0x1234, 0x1234, 0x0042])
    assert allocate_stochastic(lambda a, b: next(seq), lambda a: a == 0x1234) == 0x0042


def test_in_use_covers_self_neighbours_map_and_reservations() -> None:
    nwk, mac, k, _ = make_nwk(0x0100)
    am = nwk.addressing
    nwk.neighbors.add(NeighborEntry(network_address=0x0200, extended_address=0xB), 0)
    nwk.address_map.update(0x0300, 0xC)
    am.reserved.add(0x0400)
    for a in (0x0100, 0x0200, 0x0300, 0x0400, 0x0000, 0xFFF8):
        assert am.in_use(a)
    assert not am.in_use(0x0500)
    assert not am.in_use(0x0300, 0xC)  # the same device may keep its address
    a = am.allocate()
    assert not am.in_use(a)


def test_conflict_detected_from_source_ieee_is_broadcast() -> None:
    nwk, mac, k, _ = make_nwk(0x0100)
    nwk.address_map.update(0x0777, 0xAAAA)
    rx(nwk, command_frame(NetworkStatus(0, 1), 0x0777, 0x0100, src_ieee=0xBBBB), 0x0777)
    assert [s for s in mac.take() if s.dst == 0xFFFF] == []  # the report waits its jitter
    k.run(REPORT_JITTER_US)
    out = [s for s in mac.take() if s.dst == 0xFFFF]
    assert len(out) == 1
    f = out[0].frame
    cmd = out[0].command
    assert f.dst == 0xFFFD
    assert isinstance(cmd, NetworkStatus)
    assert cmd.status == NwkStatusCode.ADDRESS_CONFLICT and cmd.dst == 0x0777
    assert nwk.stats.address_conflicts == 1
    assert nwk.address_map.ieee_of(0x0777) is None


def test_broadcast_data_frame_that_reveals_a_conflict_is_discarded_not_relayed() -> None:
    """3.6.1.9: a broadcast data frame (an announcement) whose source address is known under
    another IEEE address, or is our own, is not delivered or relayed: the conflict is
    reported instead. Without a conflict the same frame is delivered and relayed."""
    nwk, mac, k, events = make_nwk(0x0100)
    nwk.address_map.update(0x0777, 0xAAAA)

    def annce(src: int, ieee: int, seq: int) -> None:
        f = replace(data_frame(src, 0xFFFD, aps_payload(seq), seq=seq), src_ieee=ieee)
        rx(nwk, f, 0x0202)

    def relayed() -> list[int]:
        k.run(k.now() + 200_000)  # past the broadcast jitter, before any retry
        return [s.frame.src for s in mac.take() if s.dst == 0xFFFF and s.frame.frame_type == 0]

    annce(0x0777, 0xBBBB, 1)  # 0x0777 is 0xAAAA's
    annce(0x0100, 0xCCCC, 2)  # ours
    assert relayed() == []
    assert [e for e in events if isinstance(e, NldeDataIndication)] == []
    assert nwk.stats.drop_address_conflict == 2 and nwk.stats.address_conflicts == 2
    # the conflict is known now (the map entry went with it): a later copy is no news
    annce(0x0777, 0xBBBB, 3)
    annce(0x0888, 0xDDDD, 4)
    assert relayed() == [0x0777, 0x0888]
    assert len([e for e in events if isinstance(e, NldeDataIndication)]) == 2
    assert nwk.stats.drop_address_conflict == 2
    # a unicast that reveals a conflict is still handled (only broadcasts are discarded)
    nwk.address_map.update(0x0999, 0xAAAA, overwrite=True)
    assert nwk.address != 0x0100  # ours was in conflict: we took a new one
    unicast = data_frame(0x0999, nwk.address, aps_payload(5), seq=5)
    rx(nwk, replace(unicast, src_ieee=0xEEEE), 0x0999)
    assert len([e for e in events if isinstance(e, NldeDataIndication)]) == 3
    assert nwk.stats.drop_address_conflict == 2 and nwk.stats.address_conflicts == 3


def test_one_report_per_conflict_however_many_detect_it() -> None:
    """A report heard while ours waits its jitter replaces ours; the same conflict detected
    again within the hold-off is not reported again; after it, it is."""
    nwk, mac, k, _ = make_nwk(0x0100)

    def clash(seq: int) -> None:
        nwk.address_map.update(0x0777, 0xAAAA)
        frame = command_frame(NetworkStatus(0, 1), 0x0777, 0x0100, seq=seq, src_ieee=0xBBBB)
        rx(nwk, frame, 0x0777)

    def reports() -> int:
        return sum(
            isinstance(s.command, NetworkStatus)
            and s.command.status == NwkStatusCode.ADDRESS_CONFLICT
            for s in mac.take()
            if s.dst == 0xFFFF and s.frame.src == 0x0100  # ours, not relays
        )

    clash(1)
    # another router's report on 0x0777 arrives before our jitter ran out
    other = command_frame(
        NetworkStatus(NwkStatusCode.ADDRESS_CONFLICT, 0x0777), 0x0200, 0xFFFD, seq=9
    )
    rx(nwk, other, 0x0200)
    k.run(k.now() + REPORT_JITTER_US + 1)
    assert reports() == 0
    clash(2)  # the frames that revealed it keep coming: nothing new within the hold-off
    k.run(k.now() + REPORT_JITTER_US + 1)
    assert reports() == 0 and nwk.stats.address_conflicts == 1
    assert nwk.stats.address_conflict_reports == 0
    k.run(k.now() + REPORT_HOLDOFF_US)
    clash(3)
    k.run(k.now() + REPORT_JITTER_US + 1)
    assert reports() == 1 and nwk.stats.address_conflicts == 2
    assert nwk.stats.address_conflict_reports == 1


def _conflict_world() -> World:
    w = World(seed=11, security=False, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r1", "router", (15.0, 0.0), join_at_us=1 * S)
    w.add_node("r2", "router", (-15.0, 0.0), join_at_us=2 * S)
    w.add_node("e", "end_device", (0.0, 12.0), join_at_us=3 * S, poll_interval_us=S)
    w.run(6 * S)
    assert w.all_joined()
    return w


def test_two_routers_with_one_address_both_move() -> None:
    w = _conflict_world()
    rec = Recorder().attach(w)
    r1, r2 = w["r1"], w["r2"]
    clash = r1.nwk.address
    r2.nwk.set_network_address(clash)  # as if two parents had drawn the same address
    r2.nwk.link_status.send_now()  # its next frame carries its IEEE address
    w.run(w.now_us + 3 * S)
    assert r1.nwk.address != clash and r2.nwk.address != clash
    assert r1.nwk.address != r2.nwk.address
    for name in ("r1", "r2"):
        ch = [e for _, e in rec.of(name, NlmeNetworkAddressChangeIndication)]
        assert ch and ch[0].previous_address == clash
    # the network still works with the new addresses
    p = aps_payload(1)
    send(w["e"], r2.nwk.address, p)
    w.run(w.now_us + 3 * S)
    assert rec.received("r2", p)


def test_end_device_in_conflict_gets_new_address_from_parent() -> None:
    w = _conflict_world()
    rec = Recorder().attach(w)
    e, r2 = w["e"], w["r2"]
    parent = w.parent_of(e)
    assert parent is not None
    clash = e.nwk.address
    r2.nwk.set_network_address(clash)
    r2.nwk.link_status.send_now()
    w.run(w.now_us + 5 * S)
    assert e.nwk.address != clash and r2.nwk.address != clash
    assert parent.nwk.neighbors.get_by_ieee(e.eui64).network_address == e.nwk.address  # type: ignore[union-attr]
    ch = [x for _, x in rec.of("e", NlmeNetworkAddressChangeIndication)]
    assert ch and ch[0].network_address == e.nwk.address


def test_broadcast_under_our_address_that_is_not_ours_is_a_conflict() -> None:
    """Our own broadcasts stay in the broadcast table while their flood lasts, so a broadcast
    data frame from our network address that is not among them is another device's (its
    Device_annce after joining): a conflict, found with no IEEE address in the NWK header
    (3.6.1.9.2). A copy of our own broadcast that comes back is no conflict, even after its
    table record expired (a mass join slowed floods past 9 s: such copies made routers take
    new addresses for nothing)."""
    nwk, mac, k, events = make_nwk(0x0100)
    # our broadcast, then its copy relayed back to us
    nwk.nlde_data_request(NwkAddrMode.NWK, 0xFFFD, aps_payload(1), 1)
    k.run(k.now() + 200_000)
    own = [s.frame for s in mac.take() if s.dst == 0xFFFF]
    assert own and own[0].src == 0x0100
    rx(nwk, own[0], 0x0202)
    # and a copy slowed by full queues, after our broadcast table record expired
    k.run(k.now() + NWK_NETWORK_BROADCAST_DELIVERY_TIME_US + 4 * S)
    assert not nwk.btt.seen(0x0100, own[0].seq, k.now())
    rx(nwk, own[0], 0x0303)
    assert nwk.stats.broadcast_own_address == 0 and nwk.stats.address_conflicts == 0
    assert nwk.address == 0x0100
    # another device's announcement from 0x0100, with a sequence number we never used
    rx(nwk, data_frame(0x0100, 0xFFFD, aps_payload(2), seq=own[0].seq ^ 0x80), 0x0202)
    assert nwk.stats.broadcast_own_address == 1 and nwk.stats.address_conflicts == 1
    assert nwk.address != 0x0100  # a router in conflict takes a new address at once
    assert [e for e in events if isinstance(e, NldeDataIndication)] == []  # not delivered
    k.run(k.now() + REPORT_JITTER_US + 1)
    reports = [
        s.command
        for s in mac.take()
        if s.dst == 0xFFFF and s.frame.frame_type == 1 and isinstance(s.command, NetworkStatus)
    ]
    assert [(r.status, r.dst) for r in reports] == [(NwkStatusCode.ADDRESS_CONFLICT, 0x0100)]


def _join_with_address(
    w: World, name: str, role: str, pos: tuple[float, float], clash: int, monkeypatch: Any
) -> None:
    """Add a device whose parent gives it the address ``clash`` (as if it had drawn an
    address in use far away), and let it join."""
    orig = address_module.allocate_stochastic
    first = [True]

    def once(randrange: Callable[[int, int], int], in_use: Callable[[int], bool]) -> int:
        if first[0]:
            first[0] = False
            return clash
        return orig(randrange, in_use)

    monkeypatch.setattr(address_module, "allocate_stochastic", once)
    w.add_node(name, role, pos, join_at_us=w.now_us + S)
    assert w.run_until(lambda: w[name].nwk.joined, w.now_us + 10 * S)
    assert not first[0]


def test_conflict_with_a_router_found_at_the_newcomers_announcement(monkeypatch: Any) -> None:
    """A router joins with an address another router uses: the other router hears the
    newcomer's Device_annce from its own address, and both take new addresses (before any
    traffic carries their IEEE addresses)."""
    w = _conflict_world()
    r1 = w["r1"]
    clash = r1.nwk.address
    _join_with_address(w, "r3", "router", (0.0, -15.0), clash, monkeypatch)
    w.run(w.now_us + 3 * S)
    r3 = w["r3"]
    assert r1.nwk.stats.broadcast_own_address >= 1
    assert r1.nwk.address != clash and r3.nwk.address != clash
    assert len({n.nwk.address for n in w}) == len(w.nodes)
    p = aps_payload(7)
    rec = Recorder().attach(w)
    send(w["e"], r3.nwk.address, p)
    w.run(w.now_us + 3 * S)
    assert rec.received("r3", p)


def test_conflict_with_a_sleepy_child_found_by_its_parent_at_the_announcement(
    monkeypatch: Any,
) -> None:
    """A router joins with the address of a sleepy end device elsewhere: the end device
    hears no broadcast, but its parent hears the Device_annce giving its child's address to
    another IEEE address; the child gets a new address, and the newcomer takes one."""
    w = _conflict_world()
    e = w["e"]
    parent = w.parent_of(e)
    assert parent is not None
    clash = e.nwk.address
    _join_with_address(w, "r3", "router", (-30.0, 0.0), clash, monkeypatch)
    assert w.parent_of(w["r3"]) is not parent  # the parent did not give the address twice
    w.run(w.now_us + 5 * S)
    assert parent.zdo.stats.device_annce_conflicts == 1
    assert e.nwk.address != clash and w["r3"].nwk.address != clash
    assert parent.nwk.neighbors.get_by_ieee(e.eui64).network_address == e.nwk.address  # type: ignore[union-attr]
    assert len({n.nwk.address for n in w}) == len(w.nodes)


def test_coordinator_finds_a_conflict_among_ten_thousand_devices() -> None:
    """The coordinator, a high-RAM concentrator, maps every device whose route record reached
    it (a record carries its source's IEEE address): two devices sharing an address are
    found when the second one's record arrives, however many devices reported in between.
    With a map of 2,048 entries the first device had been forgotten by then, and a
    10,000-node network found its conflicts a few dozen a minute (issue 11)."""
    cfg = _nwk_config(NodeConfig(role=Role.COORDINATOR, eui64=0xC0))
    nwk, mac, k, _ = make_nwk(0x0000, config=cfg)
    nwk.nib.nwk_is_concentrator = True
    for i in range(10_000):
        src = 0x0001 + i
        record = command_frame(RouteRecord(()), src, 0x0000, seq=i & 0xFF, src_ieee=0xD000 + i)
        rx(nwk, record, src)
    assert len(nwk.address_map) == 10_000 and nwk.stats.address_conflicts == 0
    # a device that drew the first device's address reports
    rx(nwk, command_frame(RouteRecord(()), 0x0001, 0x0000, seq=7, src_ieee=0xE000), 0x0001)
    assert nwk.stats.address_conflicts == 1


def test_concentrator_reports_a_conflict_it_finds_in_a_route_record_to_its_sender_alone() -> None:
    """The coordinator maps 0x0777 to device A (its route record came through 0x0010); device
    B's record arrives through 0x0020 and 0x0021 under the same address. The report goes as a
    source-routed unicast along B's record, naming B's IEEE address, not as a network-wide
    flood; A keeps the address, its route and its map entry."""
    cfg = _nwk_config(NodeConfig(role=Role.COORDINATOR, eui64=0xC0))
    nwk, mac, k, _ = make_nwk(0x0000, config=cfg)
    nwk.nib.nwk_is_concentrator = True
    rx(nwk, command_frame(RouteRecord((0x0010,)), 0x0777, 0x0000, seq=1, src_ieee=0xAAAA), 0x0010)
    rx(
        nwk,
        command_frame(RouteRecord((0x0021, 0x0020)), 0x0777, 0x0000, seq=2, src_ieee=0xBBBB),
        0x0020,
    )
    assert nwk.stats.address_conflicts == 1
    k.run(k.now() + REPORT_JITTER_US + 1)
    out = [s for s in mac.take() if isinstance(s.command, NetworkStatus)]
    assert len(out) == 1 and out[0].dst == 0x0020  # the first relay of B's record
    f, cmd = out[0].frame, out[0].command
    assert isinstance(cmd, NetworkStatus)
    assert (cmd.status, cmd.dst) == (NwkStatusCode.ADDRESS_CONFLICT, 0x0777)
    assert f.dst == 0x0777 and f.dst_ieee == 0xBBBB
    assert f.source_route is not None and f.source_route.relays == (0x0021, 0x0020)
    assert nwk.stats.address_conflict_directed == 1 and nwk.stats.address_conflict_reports == 0
    assert nwk.route_records.relays(0x0777, k.now()) == (0x0010,)
    assert nwk.address_map.ieee_of(0x0777) == 0xAAAA


def test_a_report_for_two_neighbours_of_the_concentrator_is_broadcast() -> None:
    """B sent its record to us directly and A is our neighbour: a report to the address would
    reach both, so it is broadcast as any other."""
    cfg = _nwk_config(NodeConfig(role=Role.COORDINATOR, eui64=0xC0))
    nwk, mac, k, _ = make_nwk(0x0000, config=cfg)
    nwk.nib.nwk_is_concentrator = True
    nwk.neighbors.add(
        NeighborEntry(
            extended_address=0xAAAA,
            network_address=0x0777,
            device_type=DeviceType.ROUTER,
            rx_on_when_idle=True,
            relationship=Relationship.NONE,
            lqi=200,
        ),
        k.now(),
    )
    rx(nwk, command_frame(RouteRecord(()), 0x0777, 0x0000, seq=2, src_ieee=0xBBBB), 0x0777)
    k.run(k.now() + REPORT_JITTER_US + 1)
    out = [s for s in mac.take() if isinstance(s.command, NetworkStatus)]
    assert len(out) == 1 and out[0].dst == 0xFFFF and out[0].frame.dst == 0xFFFD
    assert nwk.stats.address_conflict_directed == 0 and nwk.stats.address_conflict_reports == 1


def _line_world(last_role: str, *, security: bool = False, capture: str | None = None) -> World:
    """c in the middle, r1 on one side, r2 and then the last device x on the other: r1 and x
    are three hops apart and hear none of each other's frames."""
    w = World(seed=11, security=security, medium=SMALL_MEDIUM, capture=capture)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r1", "router", (40.0, 0.0), join_at_us=1 * S)
    w.add_node("r2", "router", (-40.0, 0.0), join_at_us=2 * S)
    w.add_node("x", last_role, (-80.0, 0.0), join_at_us=4 * S, poll_interval_us=S)
    w.run(20 * S)
    assert w.all_joined() and w.parent_of(w["x"]) is w["r2"]
    return w


def _x_takes_r1s_address(w: World) -> int:
    """r1 reports to the coordinator, then x (an end device: given by its parent r2) takes
    r1's address and reports: the coordinator finds the conflict in x's route record."""
    r1, x = w["r1"], w["x"]
    send(r1, 0x0000, aps_payload(1))
    w.run(w.now_us + 2 * S)
    clash = r1.nwk.address
    if x.role == Role.END_DEVICE:
        w["r2"].nwk.neighbors.change_address(x.eui64, clash)
    x.nwk.set_network_address(clash)
    send(x, 0x0000, aps_payload(2))
    w.run(w.now_us + 4 * S)
    return clash


@pytest.mark.parametrize("role", ["router", "end_device"])
def test_only_the_device_the_concentrator_names_moves(role: str) -> None:
    """Far from r1, x is given r1's address (a router: it took it; an end device: its parent
    gave it). r1 reports first, then x: the coordinator finds the conflict in x's route
    record and reports it along that record. x moves (a router itself; an end device by its
    parent, the record's last relay, which does not pass the report on), r1 keeps its
    address, no report floods the network, and the coordinator reaches both."""
    w = _line_world(role)
    c, r1, x = w["c"], w["r1"], w["x"]
    rec = Recorder().attach(w)
    clash = _x_takes_r1s_address(w)
    assert rec.received("c", aps_payload(2))
    assert c.nwk.stats.address_conflict_directed == 1
    assert sum(n.nwk.stats.address_conflict_reports for n in w) == 0
    assert r1.nwk.address == clash and x.nwk.address != clash
    assert [n.nwk.stats.address_changes for n in w] == [0, 0, int(role == "end_device"), 1]
    assert len({n.nwk.address for n in w}) == len(w.nodes)
    assert c.nwk.address_map.ieee_of(clash) == r1.eui64
    send(c, x.nwk.address, aps_payload(3))
    send(c, clash, aps_payload(4))
    w.run(w.now_us + 4 * S)
    assert rec.received("x", aps_payload(3)) and rec.received("r1", aps_payload(4))


def test_a_relay_leaves_a_conflict_in_a_route_record_to_the_concentrator() -> None:
    """A router that maps 0x0777 to A relays B's route record from 0x0777 to the
    concentrator: no report of its own (the concentrator finds the conflict and reports it
    to B alone), the record goes on, the map still says A. Any other frame revealing the
    same conflict is reported as before."""
    nwk, mac, k, _ = make_nwk(0x0100)
    nwk.neighbors.add(NeighborEntry(network_address=0x0200, extended_address=0x7002, lqi=200), 0)
    assert nwk.routing.set_route(0x0000, 0x0200, k.now(), many_to_one=True, path_cost=3)
    nwk.address_map.update(0x0777, 0xAAAA)
    record = command_frame(RouteRecord(()), 0x0777, 0x0000, seq=3, src_ieee=0xBBBB)
    rx(nwk, record, 0x0777)
    k.run(k.now() + REPORT_JITTER_US + 1)
    sent = mac.take()
    assert nwk.stats.address_conflicts == 0 and nwk.stats.address_conflicts_left == 1
    assert not [s for s in sent if isinstance(s.command, NetworkStatus)]
    relayed = [s.command for s in sent if isinstance(s.command, RouteRecord)]
    assert relayed == [RouteRecord((0x0100,))]
    assert nwk.address_map.ieee_of(0x0777) == 0xAAAA
    rx(nwk, command_frame(NetworkStatus(0, 1), 0x0777, 0x0100, src_ieee=0xBBBB), 0x0777)
    assert nwk.stats.address_conflicts == 1


def test_the_directed_report_on_the_air(tmp_path: Path) -> None:
    """In a secured network, Wireshark (given only the well-known link key, it learns the
    network key from the transport) decodes the coordinator's directed report: a NWK-secured
    network status ADDRESS_CONFLICT (0x0d) to the address, with the sender's IEEE address as
    destination IEEE address and a source route through the sender's relay; nothing
    malformed."""
    pcap = tmp_path / "directed.pcap"
    w = _line_world("router", security=True, capture=str(pcap))
    r2, x = w["r2"], w["x"]
    clash = _x_takes_r1s_address(w)
    w.close()
    assert w["c"].nwk.stats.address_conflict_directed == 1 and x.nwk.address != clash
    keys = ("5a6967426565416c6c69616e63653039",)
    rows = tshark_fields(
        pcap,
        ["wpan.dst16", "zbee_nwk.dst", "zbee_nwk.dst64", "zbee_nwk.relay", "zbee_nwk.cmd.status"],
        "zbee_nwk.cmd.id == 0x03",
        link_keys=keys,
    )
    ieee = ":".join(f"{b:02x}" for b in x.eui64.to_bytes(8, "big"))
    dst, relay = f"{clash:#06x}", f"{r2.nwk.address:#06x}"
    assert [r[0] for r in rows] == [relay, dst]  # the coordinator to r2, r2 to x
    for r in rows:
        assert r[1:3] == [dst, ieee] and int(r[3]) == r2.nwk.address and r[4] == "0x0d"
    assert_no_malformed(pcap, link_keys=keys)


@pytest.mark.parametrize("security", [False, True])
def test_sleepy_child_keeps_a_parent_that_changed_its_address(
    security: bool, tmp_path: Path
) -> None:
    """r2 changes its address (conflict resolution): its sleepy child x, polling r2's old
    short address, gets no ACK, polls r2's extended address instead, is answered, and learns
    the new short address from r2's unsolicited Rejoin Response (its own address unchanged,
    r2's IEEE address in the NWK header): no parent loss, no rejoin, and x's reports reach
    the coordinator through r2 again. Wireshark decodes (and, secured, decrypts) every frame."""
    cap = tmp_path / "moved.pcap"
    w = _line_world("end_device", security=security, capture=str(cap))
    c, r2, x = w["c"], w["r2"], w["x"]
    rec = Recorder().attach(w)
    old = r2.nwk.address
    r2.nwk.addressing.change_own_address()
    new = r2.nwk.address
    assert new != old
    w.run(w.now_us + 4 * S)  # x polls every second
    assert x.nwk.stats.parent_address_stale == 1 and x.nwk.stats.parent_moved == 1
    assert r2.nwk.stats.parent_address_notices == 1
    assert x.nwk.parent_address == new and x.mac.pib.mac_coord_short_address == new
    assert x.nwk.stats.parent_losses == 0 and x.nwk.stats.rejoins == 0
    assert x.nwk.address != 0xFFFE and r2.nwk.neighbors.get(x.nwk.address) is not None
    send(x, 0x0000, aps_payload(7))
    send(c, x.nwk.address, aps_payload(8))
    w.run(w.now_us + 4 * S)
    assert rec.received("c", aps_payload(7)) and rec.received("x", aps_payload(8))
    assert x.nwk.stats.parent_losses == 0 and x.nwk.stats.rejoins == 0
    w.close()
    keys = ("5a6967426565416c6c69616e63653039",) if security else ()
    assert_no_malformed(cap, link_keys=keys)
    rows = tshark_fields(
        cap,
        ["zbee_nwk.src", "zbee_nwk.cmd.addr", "zbee_nwk.src64"],
        "zbee_nwk.cmd.id == 0x07",
        link_keys=keys,
    )
    ieee = ":".join(f"{b:02x}" for b in r2.eui64.to_bytes(8, "big"))
    assert [
        int(r[0], 16) == new and int(r[1], 16) == x.nwk.address and r[2] == ieee for r in rows
    ] == [True], rows


def test_a_parent_gone_for_good_is_still_lost() -> None:
    """The extended-address check does not keep a child on a parent that answers neither
    way: it rejoins elsewhere after ``parent_loss_threshold`` checked failures."""
    w = _line_world("end_device")
    x = w["x"]
    w.power_off("r2")
    w.run(w.now_us + 10 * S)
    assert x.nwk.stats.parent_losses == 1
    assert x.nwk.stats.parent_address_stale == 0 and x.nwk.stats.parent_moved == 0


def test_a_lost_poll_is_not_a_move() -> None:
    """Every ACK of one of x's polls is lost (its parent r2 answered; x did not hear it): x
    checks r2's extended address, is answered, and polls so until r2's notice, which names
    r2's unchanged address; then x polls r2's short address again. Nothing else changes."""
    w = _line_world("end_device")
    r2, x = w["r2"], w["x"]
    source, child = w.radios["r2"], w.radios["x"]
    window: list[int] = []

    def drop(sender: Radio, radio: Radio, psdu: bytes) -> bytes | None:
        if sender is source and radio is child and psdu[0] & 7 == FrameType.ACK and len(window) < 4:
            window.append(w.now_us)  # the four ACKs of one poll (three MAC retries)
            return None
        return psdu

    w.medium.rx_filter = drop
    addr = r2.nwk.address
    w.run(w.now_us + 4 * S)
    assert len(window) == 4
    assert x.nwk.stats.parent_address_stale == 1 and x.nwk.stats.parent_moved == 1
    assert r2.nwk.stats.parent_address_notices == 1
    assert not x.nwk.child.stale and x.nwk.parent_address == addr == r2.nwk.address
    assert x.nwk.stats.parent_losses == 0 and x.nwk.child.failures == 0


def test_link_status_of_a_router_we_keep_no_entry_for_is_checked_not_learnt() -> None:
    """A link status from a router we hold no neighbour entry for: its pair is not learnt
    into the address map (in a dense network such senders churned the 64-entry map), but a
    pair it contradicts is a conflict as before; other frames still teach the map."""
    nwk, mac, k, _ = make_nwk(0x0100)
    nwk.neighbors._capacity = 0  # refuses every new neighbour
    ls = LinkStatus((), first_frame=True, last_frame=True)
    rx(nwk, command_frame(ls, 0x0300, 0xFFFC, radius=1, src_ieee=0xAAAA), 0x0300)
    assert nwk.address_map.ieee_of(0x0300) is None and nwk.neighbors.get(0x0300) is None
    assert nwk.stats.address_conflicts == 0
    nwk.address_map.update(0x0301, 0xBBBB)
    rx(nwk, command_frame(ls, 0x0301, 0xFFFC, radius=1, src_ieee=0xCCCC), 0x0301)
    assert nwk.stats.address_conflicts == 1
    rx(nwk, command_frame(NetworkStatus(0, 1), 0x0302, 0x0100, src_ieee=0xDDDD), 0x0302)
    assert nwk.address_map.ieee_of(0x0302) == 0xDDDD
