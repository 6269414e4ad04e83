"""Broadcast transaction table, passive acknowledgement, rebroadcast retries (Zigbee spec
3.6.5) on a fake MAC with literal times, and in a small network."""

from __future__ import annotations

from tests.nwk.fakes import FakeMac, data_frame, make_nwk, rx
from tests.nwk.nwkutil import Recorder, S, aps_payload, line_world
from zigmesh.nwk.config import NwkConfig
from zigmesh.nwk.constants import (
    NWK_MAX_BROADCAST_RETRIES,
    NWK_PASSIVE_ACK_TIMEOUT_US,
    NWKC_MAX_BROADCAST_JITTER_US,
)
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.primitives import NldeDataConfirm, NldeDataIndication, NwkAddrMode, NwkStatus
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel

ME = 0x1000
SRC = 0x2000
A, B = 0x3000, 0x4000


def _routers(nwk: Nwk, *addrs: int) -> None:
    for a in addrs:
        nwk.neighbors.add(NeighborEntry(network_address=a, lqi=250, outgoing_cost=1), 0)


def test_broadcast_delivered_once_relayed_after_jitter_duplicates_are_passive_acks() -> None:
    nwk, mac, k, events = make_nwk(ME)
    _routers(nwk, A, B)
    f = data_frame(SRC, 0xFFFF, aps_payload(1), radius=5, seq=77)
    rx(nwk, f, A)
    ind = [e for e in events if isinstance(e, NldeDataIndication)]
    assert len(ind) == 1 and ind[0].dst_addr == 0xFFFF and ind[0].src_addr == SRC
    assert mac.take() == []
    k.run(NWKC_MAX_BROADCAST_JITTER_US)
    sent = mac.take()
    assert len(sent) == 1 and sent[0].dst == 0xFFFF and not sent[0].ack
    assert sent[0].frame.radius == 4 and sent[0].frame.seq == 77
    mac.confirm(sent[0])
    # the same broadcast relayed by B: a duplicate, not delivered, counts as B's passive ack
    rx(nwk, f, B)
    assert len([e for e in events if isinstance(e, NldeDataIndication)]) == 1
    r = nwk.btt.get(SRC, 77, k.now())
    assert r is not None and r.relayed_by == {A, B}
    k.run(k.now() + NWK_PASSIVE_ACK_TIMEOUT_US + NWKC_MAX_BROADCAST_JITTER_US)
    assert mac.take() == []  # everyone relayed: no retry
    assert nwk.stats.broadcast_duplicates == 1 and nwk.stats.passive_acks == 1


def _transmissions(mac: FakeMac, k: Kernel) -> int:
    """Our broadcast transmissions (each confirmed) over five passive-ack periods."""
    total = 0
    for _ in range(5):
        k.run(k.now() + NWK_PASSIVE_ACK_TIMEOUT_US + NWKC_MAX_BROADCAST_JITTER_US + 1)
        for s in mac.take():
            total += 1
            mac.confirm(s)
    return total


def test_missing_passive_ack_triggers_retries_up_to_max() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    _routers(nwk, A, B)
    rx(nwk, data_frame(SRC, 0xFFFC, aps_payload(2), radius=5, seq=5), A)
    total = _transmissions(mac, k)
    # one relay + nwkMaxBroadcastRetries retries, B never heard
    assert total == 1 + nwk.nib.nwk_max_broadcast_retries
    assert nwk.stats.broadcast_retries == nwk.nib.nwk_max_broadcast_retries


def _sends_after_relays(quorum: int | None, routers: int, relays: int) -> int:
    """Transmissions of a relayed broadcast (ours: 1 + retries) when ``relays`` of our
    ``routers`` router neighbours (the one it came from included) are heard relaying it."""
    nwk, mac, k, _ = make_nwk(ME, config=NwkConfig(passive_ack_quorum=quorum))
    neighbours = [0x3000 + i for i in range(routers)]
    _routers(nwk, *neighbours)
    f = data_frame(SRC, 0xFFFC, aps_payload(7), radius=5, seq=21)
    rx(nwk, f, neighbours[0])
    for a in neighbours[1:relays]:
        rx(nwk, f, a)
    return _transmissions(mac, k)


def test_retries_stop_once_a_quorum_of_router_neighbours_relayed() -> None:
    """3.6.5 passive acknowledgement with NwkConfig.passive_ack_quorum (default 8, Z-Stack's
    MAX_PASSIVE_ACK_CNT): 8 of 16 router neighbours heard is enough, 7 is not; with fewer
    neighbours than the quorum every one must be heard; None waits for all of them."""
    retries = NWK_MAX_BROADCAST_RETRIES
    q = NwkConfig().passive_ack_quorum
    assert q == 8
    assert _sends_after_relays(q, 16, 8) == 1
    assert _sends_after_relays(q, 16, 7) == 1 + retries
    assert _sends_after_relays(q, 3, 3) == 1
    assert _sends_after_relays(q, 3, 2) == 1 + retries
    assert _sends_after_relays(None, 16, 15) == 1 + retries
    assert _sends_after_relays(None, 16, 16) == 1


def test_no_retry_once_our_btt_turned_broadcasts_away_after_the_relay() -> None:
    """A relay not heard from enough neighbours is retried (above) unless our BTT refused a
    broadcast since it went out: the neighbours, in the same flood of broadcasts, refused it
    too. A refusal before it went out changes nothing."""
    other = 0x5000

    def relay_with_fillers(before: int, after: int) -> tuple[int, Nwk]:
        nwk, mac, k, _ = make_nwk(ME)
        _routers(nwk, A, B)
        cap = nwk.btt.capacity
        seq = iter(range(100, 200))
        for _ in range(cap - 1):  # the table one short of full
            rx(nwk, data_frame(other, 0xFFFF, aps_payload(1), seq=next(seq), radius=1), A)
        rx(nwk, data_frame(SRC, 0xFFFC, aps_payload(2), radius=5, seq=5), A)  # fills it
        for _ in range(before):  # refused during our jitter
            rx(nwk, data_frame(other, 0xFFFF, aps_payload(1), seq=next(seq), radius=1), A)
        k.run(NWKC_MAX_BROADCAST_JITTER_US)
        sent = mac.take()
        assert len(sent) == 1
        mac.confirm(sent[0])
        for _ in range(after):  # refused while we wait for the passive acks
            rx(nwk, data_frame(other, 0xFFFF, aps_payload(1), seq=next(seq), radius=1), A)
        return 1 + _transmissions(mac, k), nwk

    retries = NWK_MAX_BROADCAST_RETRIES
    sends, nwk = relay_with_fillers(0, 1)
    assert sends == 1 and nwk.stats.broadcast_retries_skipped == 1
    assert nwk.stats.broadcast_retries == 0 and nwk.stats.drop_btt_full == 1
    sends, nwk = relay_with_fillers(2, 0)
    assert sends == 1 + retries and nwk.stats.broadcast_retries_skipped == 0
    sends, nwk = relay_with_fillers(0, 0)
    assert sends == 1 + retries


def test_radius_one_not_relayed_and_destination_filtering() -> None:
    nwk, mac, k, events = make_nwk(ME, device_type=DeviceType.END_DEVICE)
    nwk.mac.pib.mac_rx_on_when_idle = False
    # an rx-off end device takes broadcasts from its parent's queue (MAC unicast to it)
    me = nwk.address
    rx(nwk, data_frame(SRC, 0xFFFC, aps_payload(3), seq=1), A, mac_dst=me)  # routers only
    rx(nwk, data_frame(SRC, 0xFFFD, aps_payload(4), seq=2), A, mac_dst=me)  # rx-on only
    rx(nwk, data_frame(SRC, 0xFFFF, aps_payload(5), seq=3, radius=1), A, mac_dst=me)
    got = [e.nsdu for e in events if isinstance(e, NldeDataIndication)]
    assert got == [aps_payload(5)]
    # the same kind of broadcast heard from the air (MAC broadcast) while awake is ignored
    rx(nwk, data_frame(SRC, 0xFFFF, aps_payload(6), seq=4, radius=1), A)
    assert nwk.stats.rx_broadcast_ignored == 1
    assert [e.nsdu for e in events if isinstance(e, NldeDataIndication)] == got
    k.run(S)
    assert mac.take() == []


def test_originated_broadcast_confirmed_and_copied_to_sleeping_children() -> None:
    nwk, mac, k, events = make_nwk(ME)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=0x0ED1,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
        ),
        0,
    )
    nwk.nlde_data_request(NwkAddrMode.NWK, 0xFFFF, aps_payload(6), 12)
    sent = mac.take()
    kinds = sorted((s.dst, s.indirect) for s in sent)
    assert kinds == [(0x0ED1, True), (0xFFFF, False)]
    for s in sent:
        mac.confirm(s)
    c = [e for e in events if isinstance(e, NldeDataConfirm)]
    assert len(c) == 1 and c[0].nsdu_handle == 12 and c[0].status == NwkStatus.SUCCESS
    assert nwk.btt.seen(ME, sent[0].frame.seq, k.now())


def test_originated_command_to_all_is_copied_to_sleeping_children() -> None:
    """A 0xffff NWK command of our own (a Network Update from the network manager) reaches our
    sleeping children through their queue, as relayed broadcasts do."""
    nwk, mac, _k, _ = make_nwk(ME)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=0x0ED1,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
        ),
        0,
    )
    frame = NwkFrame(NwkFrameType.COMMAND, 0xFFFF, ME, 30, 9, b"\x0a\x01")
    nwk.broadcaster.originate_command(frame)
    kinds = sorted((s.dst, s.indirect) for s in mac.take())
    assert kinds == [(0x0ED1, True), (0xFFFF, False)]


def test_btt_full_drops_new_broadcasts() -> None:
    nwk, mac, k, events = make_nwk(ME)
    cap = nwk.btt.capacity
    for seq in range(cap + 3):
        rx(nwk, data_frame(SRC, 0xFFFF, aps_payload(seq), seq=seq, radius=1), A)
    ind = [e for e in events if isinstance(e, NldeDataIndication)]
    assert len(ind) == cap
    assert nwk.stats.drop_btt_full == 3
    # after nwkNetworkBroadcastDeliveryTime the records expire and room comes back
    k.run(nwk.nib.nwk_network_broadcast_delivery_time_us + 1)
    rx(nwk, data_frame(SRC, 0xFFFF, aps_payload(99), seq=200, radius=1), A)
    assert len([e for e in events if isinstance(e, NldeDataIndication)]) == cap + 1


def test_multicast_goes_as_broadcast_to_rx_on_devices() -> None:
    w = line_world(3)
    w.run(6 * S)
    rec = Recorder().attach(w)
    p = aps_payload(8)
    w["r1"].nwk.nlde_data_request(NwkAddrMode.MULTICAST, 0x1234, p, 1)
    w.run(w.now_us + 3 * S)
    for name in ("c", "r2", "r3"):
        got = rec.indications(name)
        assert [e.nsdu for _, e in got] == [p]
        assert got[0][1].dst_addr == 0xFFFD
