"""Stochastic address assignment and address conflict detection / resolution (Zigbee spec
3.6.1.7, 3.6.1.9.3)."""

from __future__ import annotations

import random
from dataclasses import replace

from tests.nwk.fakes import command_frame, data_frame, make_nwk, rx
from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.nwk.address import REPORT_HOLDOFF_US, REPORT_JITTER_US, allocate_stochastic
from zigmesh.nwk.commands import NetworkStatus, NwkStatusCode
from zigmesh.nwk.primitives import NldeDataIndication, NlmeNetworkAddressChangeIndication
from zigmesh.nwk.tables import NeighborEntry
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
