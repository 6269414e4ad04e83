"""APSDE-DATA.request on a fake NWK with literal times (Zigbee spec R22 2.2.4.1.1, 2.2.8.4).

Every address mode, acknowledged transmission (success, NO_ACK after exactly 1 + 3
transmissions apscAckWaitDuration apart, NWK failures retried the same way), the nsdu handle
mapping, the APS counter, ASDU limits and API misuse.
"""

from __future__ import annotations

import random

import pytest

from tests.aps.aps_fakes import NSDU_SECURED, Endpoint, FakeNwk, make_aps
from zigmesh.aps.aps import Aps, ApsConfig
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.frames import ApsFrame, ApsFrameType, DeliveryMode
from zigmesh.aps.primitives import ApsAddrMode, TxOptions
from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.primitives import NwkAddrMode, NwkStatus
from zigmesh.nwk.tables.neighbor import DeviceType, NeighborEntry, Relationship

ME = 0x1234
ME_IEEE = 0x00AA_0000_0000_1234
PEER = 0x5678
PEER_IEEE = 0x00BB_0000_0000_5678
HA = 0x0104
ON_OFF = 0x0006
ACK_WAIT = 1_600_000
CONFIRM = 5_000


def setup(**cfg: object) -> tuple[Aps, FakeNwk, Endpoint]:
    aps, nwk, _ = make_aps(ME, ME_IEEE, config=ApsConfig(**cfg) if cfg else None)  # type: ignore[arg-type]
    ep = Endpoint()
    aps.register_endpoint(1, ep)
    nwk.address_map.update(PEER, PEER_IEEE)
    return aps, nwk, ep


def ack_for(frame: ApsFrame) -> bytes:
    """The APS ACK a destination sends for a data frame."""
    return ApsFrame(
        ApsFrameType.ACK,
        dst_endpoint=frame.src_endpoint,
        cluster_id=frame.cluster_id,
        profile_id=frame.profile_id,
        src_endpoint=frame.dst_endpoint,
        counter=frame.counter,
    ).encode()


def send(
    aps: Aps, dst: int = PEER, opts: TxOptions = TxOptions.ACK, asdu: bytes = b"\x01\x02\x03"
) -> int:
    return aps.apsde_data_request(ApsAddrMode.SHORT, dst, 1, HA, ON_OFF, 1, asdu, tx_options=opts)


# -- acknowledged unicast ------------------------------------------------------------------------


def test_unicast_ack_success() -> None:
    aps, nwk, ep = setup()
    h = send(aps)
    (call,) = nwk.take()
    f = call.frame
    assert (call.mode, call.dst, call.security) == (NwkAddrMode.NWK, PEER, True)
    assert f.frame_type == ApsFrameType.DATA and f.delivery_mode == DeliveryMode.UNICAST
    assert f.ack_request and (f.dst_endpoint, f.src_endpoint) == (1, 1)
    assert (f.cluster_id, f.profile_id, f.payload) == (ON_OFF, HA, b"\x01\x02\x03")
    nwk.clock.run(10_000)
    nwk.confirm(call)
    nwk.clock.run(300_000)
    assert ep.confirms == []  # the NWK sent it, the ACK is still awaited
    nwk.indicate(ack_for(f), PEER)
    nwk.clock.run(300_001)
    (c,) = ep.confirms
    assert (c.asdu_handle, c.status, c.retries, c.tx_time) == (h, ApsStatus.SUCCESS, 0, 300_000)
    assert (c.dst_addr_mode, c.dst_address, c.dst_endpoint, c.src_endpoint) == (
        ApsAddrMode.SHORT,
        PEER,
        1,
        1,
    )
    assert aps.stats.acks_received == 1 and aps.stats.confirms == {"SUCCESS": 1}
    assert not aps.acks


def test_no_ack_after_one_plus_three_transmissions_at_ack_wait_intervals() -> None:
    aps, nwk, ep = setup()
    nwk.auto_confirm = (CONFIRM, NwkStatus.SUCCESS)
    send(aps)
    nwk.clock.run(100_000_000)
    calls = nwk.take()
    # each attempt: NWK confirm after 5 ms, then apscAckWaitDuration (1.6 s)
    assert [c.time for c in calls] == [0, 1_605_000, 3_210_000, 4_815_000]
    assert len({c.frame.counter for c in calls}) == 1  # same APS counter every time
    assert len({c.handle for c in calls}) == 4  # fresh nsdu handle per attempt
    (c,) = ep.confirms
    assert (c.status, c.retries, c.tx_time) == (ApsStatus.NO_ACK, 3, 6_420_000)
    assert aps.stats.retries == 3 and aps.stats.frames_sent == 4


def test_max_frame_retries_configurable() -> None:
    aps, nwk, ep = setup(max_frame_retries=1, ack_wait_us=500_000)
    nwk.auto_confirm = (0, NwkStatus.SUCCESS)
    send(aps)
    nwk.clock.run()
    assert [c.time for c in nwk.take()] == [0, 500_000]
    assert ep.confirms[0].tx_time == 1_000_000 and ep.confirms[0].status == ApsStatus.NO_ACK


def test_ack_for_a_retransmission_succeeds() -> None:
    aps, nwk, ep = setup()
    nwk.auto_confirm = (CONFIRM, NwkStatus.SUCCESS)
    send(aps)
    nwk.clock.run(2_000_000)
    calls = nwk.take()
    assert len(calls) == 2
    nwk.indicate(ack_for(calls[1].frame), PEER)
    nwk.clock.run(50_000_000)
    assert nwk.take() == []
    (c,) = ep.confirms
    assert (c.status, c.retries, c.tx_time) == (ApsStatus.SUCCESS, 1, 2_000_000)


def test_nwk_failure_is_retried_after_the_ack_wait() -> None:
    aps, nwk, ep = setup()
    send(aps)
    (a,) = nwk.take()
    nwk.clock.run(20_000)
    nwk.confirm(a, NwkStatus.ROUTE_ERROR)
    nwk.clock.run(20_000 + ACK_WAIT - 1)
    assert nwk.take() == []
    nwk.clock.run(20_000 + ACK_WAIT)
    (b,) = nwk.take()
    assert b.frame.counter == a.frame.counter
    nwk.confirm(b)
    nwk.indicate(ack_for(b.frame), PEER)
    nwk.clock.run(20_000 + ACK_WAIT + 1)
    (c,) = ep.confirms
    assert (c.status, c.retries) == (ApsStatus.SUCCESS, 1)
    assert aps.stats.nwk_failures == 1


def test_all_nwk_failures_confirm_the_nwk_status() -> None:
    aps, nwk, ep = setup()
    nwk.auto_confirm = (CONFIRM, NwkStatus.ROUTE_DISCOVERY_FAILED)
    send(aps)
    nwk.clock.run()
    assert len(nwk.take()) == 4
    (c,) = ep.confirms
    assert (c.status, c.retries) == (NwkStatus.ROUTE_DISCOVERY_FAILED, 3)
    assert aps.stats.confirms == {"NWK_ROUTE_DISCOVERY_FAILED": 1}


def test_some_attempt_out_means_no_ack() -> None:
    aps, nwk, ep = setup()
    send(aps)
    statuses = [NwkStatus.ROUTE_ERROR, NwkStatus.SUCCESS, NwkStatus.NO_ACK, NwkStatus.NO_ACK]
    for st in statuses:
        nwk.clock.run(nwk.clock.now() + 1)
        (call,) = nwk.take()
        nwk.confirm(call, st)
        nwk.clock.run(nwk.clock.now() + ACK_WAIT)
    nwk.clock.run()
    assert ep.confirms[0].status == ApsStatus.NO_ACK


def test_missing_nwk_confirm_still_ends() -> None:
    aps, nwk, ep = setup(max_frame_retries=0, nwk_confirm_timeout_us=2_000_000)
    send(aps)
    (call,) = nwk.take()
    nwk.clock.run()
    (c,) = ep.confirms
    assert c.status == NwkStatus.TRANSACTION_EXPIRED and c.tx_time == 2_000_000 + ACK_WAIT
    nwk.confirm(call)  # a very late confirm changes nothing
    nwk.clock.run()
    assert len(ep.confirms) == 1


def test_ack_before_nwk_confirm() -> None:
    aps, nwk, ep = setup()
    send(aps)
    (call,) = nwk.take()
    nwk.indicate(ack_for(call.frame), PEER)
    nwk.confirm(call)
    nwk.clock.run()
    assert [c.status for c in ep.confirms] == [ApsStatus.SUCCESS]


def test_ack_with_wrong_counter_or_source_is_ignored() -> None:
    aps, nwk, ep = setup()
    nwk.auto_confirm = (CONFIRM, NwkStatus.SUCCESS)
    send(aps)
    (call,) = nwk.take()
    nwk.indicate(ack_for(call.frame), 0x9999)  # wrong source
    bad = ApsFrame.decode(ack_for(call.frame))
    nwk.indicate(
        ApsFrame(
            ApsFrameType.ACK,
            dst_endpoint=1,
            cluster_id=bad.cluster_id,
            profile_id=HA,
            src_endpoint=1,
            counter=((call.frame.counter or 0) + 1) & 0xFF,
        ).encode(),
        PEER,
    )
    nwk.clock.run(1_000_000)
    assert ep.confirms == [] and aps.stats.drops == {"ack_unmatched": 2}


def test_sleepy_child_gets_the_long_ack_wait() -> None:
    aps, nwk, ep = setup()
    nwk.neighbors.add(
        NeighborEntry(
            network_address=PEER,
            extended_address=PEER_IEEE,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
        ),
        0,
    )
    nwk.auto_confirm = (0, NwkStatus.SUCCESS)
    send(aps)
    nwk.clock.run()
    # 10 s apart; a third attempt would start 20 s after the first, past max_retry_span_us
    assert [c.time for c in nwk.take()] == [0, 10_000_000]
    assert aps.is_sleepy(PEER)
    (c,) = ep.confirms
    assert (c.status, c.retries, c.tx_time) == (ApsStatus.NO_ACK, 1, 20_000_000)


def test_no_retransmission_starts_past_the_retry_span() -> None:
    """A receiver remembers a frame for 21 s (duplicate timeout): a retransmission sent later
    would reach its application a second time, so none starts later than 13 s after the
    first attempt, however slowly the NWK layer confirms."""
    aps, nwk, ep = setup()
    nwk.auto_confirm = (4_000_000, NwkStatus.SUCCESS)
    send(aps)
    nwk.clock.run()
    assert [c.time for c in nwk.take()] == [0, 5_600_000, 11_200_000]
    (c,) = ep.confirms
    assert (c.status, c.retries, c.tx_time) == (ApsStatus.NO_ACK, 2, 16_800_000)
    with pytest.raises(LocalProtocolError):
        ApsConfig(max_retry_span_us=21_000_000)


def test_note_device_marks_sleepy_and_maps_address() -> None:
    aps, nwk, ep = setup()
    aps.note_device(0x4444, 0x00CC, rx_on_when_idle=False)
    assert nwk.address_map.short_of(0x00CC) == 0x4444 and aps.is_sleepy(0x4444)
    aps.note_device(0x4444, 0x00CC, rx_on_when_idle=True)
    assert not aps.is_sleepy(0x4444)


# -- unacknowledged, handles --------------------------------------------------------------------


def test_unacknowledged_confirms_with_nwk_status_and_handles_map_back() -> None:
    aps, nwk, ep = setup()
    handles = [send(aps, opts=TxOptions.NONE, asdu=bytes([i])) for i in range(3)]
    calls = nwk.take()
    assert len({c.handle for c in calls}) == 3
    assert all(not c.frame.ack_request for c in calls)
    statuses = [NwkStatus.SUCCESS, NwkStatus.NO_ACK, NwkStatus.ROUTE_ERROR]
    for c, st in reversed(list(zip(calls, statuses, strict=True))):
        nwk.confirm(c, st)
    nwk.clock.run()
    got = {c.asdu_handle: c.status for c in ep.confirms}
    assert got == {
        handles[0]: ApsStatus.SUCCESS,
        handles[1]: NwkStatus.NO_ACK,
        handles[2]: NwkStatus.ROUTE_ERROR,
    }


def test_confirm_never_inside_the_request() -> None:
    aps, nwk, ep = setup()
    send(aps, asdu=bytes(500))  # too long, no fragmentation
    assert ep.confirms == []
    nwk.clock.run(0)
    assert [c.status for c in ep.confirms] == [ApsStatus.ASDU_TOO_LONG]


def test_aps_counter_one_per_frame_random_start() -> None:
    aps, nwk, ep = setup()
    start = random.Random(7).randrange(256)
    for _ in range(3):
        send(aps, opts=TxOptions.NONE)
    assert [c.frame.counter for c in nwk.take()] == [(start + i) & 0xFF for i in range(3)]
    aps.counter = 0xFF
    send(aps, opts=TxOptions.NONE)
    send(aps, opts=TxOptions.NONE)
    assert [c.frame.counter for c in nwk.take()] == [0xFF, 0x00]


# -- address modes -----------------------------------------------------------------------------


def test_broadcast_is_never_acknowledged() -> None:
    aps, nwk, ep = setup()
    for dst in (0xFFFF, 0xFFFD, 0xFFFC):
        aps.apsde_data_request(ApsAddrMode.SHORT, dst, 0xFF, HA, ON_OFF, 1, b"x")
    calls = nwk.take()
    assert [c.dst for c in calls] == [0xFFFF, 0xFFFD, 0xFFFC]
    for c in calls:
        assert c.frame.delivery_mode == DeliveryMode.BROADCAST and not c.frame.ack_request
        assert c.frame.dst_endpoint == 0xFF
        nwk.confirm(c)
    nwk.clock.run()
    assert [c.status for c in ep.confirms] == [ApsStatus.SUCCESS] * 3


def test_ieee_from_address_map() -> None:
    aps, nwk, ep = setup()
    aps.apsde_data_request(ApsAddrMode.IEEE, PEER_IEEE, 3, HA, ON_OFF, 1, b"x")
    (call,) = nwk.take()
    assert call.dst == PEER and call.frame.dst_endpoint == 3
    nwk.confirm(call)
    nwk.indicate(ack_for(call.frame), PEER)
    nwk.clock.run()
    (c,) = ep.confirms
    assert (c.dst_addr_mode, c.dst_address, c.status) == (
        ApsAddrMode.IEEE,
        PEER_IEEE,
        ApsStatus.SUCCESS,
    )


def test_ieee_unknown_without_resolver_is_no_short_address() -> None:
    aps, nwk, ep = setup()
    aps.apsde_data_request(ApsAddrMode.IEEE, 0x0F0F, 1, HA, ON_OFF, 1, b"x")
    nwk.clock.run()
    assert nwk.take() == [] and ep.confirms[0].status == ApsStatus.NO_SHORT_ADDRESS


def test_ieee_resolver_found_and_not_found() -> None:
    aps, nwk, ep = setup()
    asked: list[int] = []

    def resolver(ieee: int, cb: object) -> None:
        asked.append(ieee)
        nwk.clock.call_later(300_000, cb, 0x2222 if ieee == 0x0F0F else None)

    aps.set_address_resolver(resolver)
    aps.apsde_data_request(
        ApsAddrMode.IEEE, 0x0F0F, 1, HA, ON_OFF, 1, b"x", tx_options=TxOptions.NONE
    )
    aps.apsde_data_request(
        ApsAddrMode.IEEE, 0x0E0E, 1, HA, ON_OFF, 1, b"x", tx_options=TxOptions.NONE
    )
    assert asked == [0x0F0F, 0x0E0E] and nwk.take() == []
    nwk.clock.run(300_000)
    (call,) = nwk.take()
    assert call.dst == 0x2222 and call.time == 300_000
    assert nwk.address_map.short_of(0x0F0F) == 0x2222
    nwk.confirm(call)
    nwk.clock.run()
    assert sorted(c.status for c in ep.confirms) == [ApsStatus.SUCCESS, ApsStatus.NO_SHORT_ADDRESS]


@pytest.mark.parametrize("mode", [ApsAddrMode.SHORT, ApsAddrMode.IEEE])
def test_own_address_loops_back(mode: ApsAddrMode) -> None:
    aps, nwk, ep = setup()
    ep2 = Endpoint()
    aps.register_endpoint(2, ep2)
    dst = ME if mode == ApsAddrMode.SHORT else ME_IEEE
    aps.apsde_data_request(mode, dst, 2, HA, ON_OFF, 1, b"self")
    assert ep2.events == []
    nwk.clock.run()
    assert nwk.take() == []
    (ind,) = ep2.indications
    assert (ind.src_address, ind.src_endpoint, ind.dst_endpoint, ind.asdu) == (ME, 1, 2, b"self")
    assert ind.src_ieee == ME_IEEE
    assert [c.status for c in ep.confirms] == [ApsStatus.SUCCESS]
    assert aps.stats.loopback == 1


def test_groupcast_multicast_and_local_members() -> None:
    aps, nwk, ep = setup()
    ep2, ep3 = Endpoint(), Endpoint()
    aps.register_endpoint(2, ep2)
    aps.register_endpoint(3, ep3)
    assert aps.apsme_add_group_request(0x0BAD, 2) == ApsStatus.SUCCESS
    aps.apsde_data_request(ApsAddrMode.GROUP, 0x0BAD, None, HA, ON_OFF, 1, b"g")
    (call,) = nwk.take()
    f = call.frame
    assert (call.mode, call.dst) == (NwkAddrMode.MULTICAST, 0x0BAD)
    assert f.delivery_mode == DeliveryMode.GROUP and f.group_address == 0x0BAD
    assert not f.ack_request  # the ACK option is ignored for group delivery
    nwk.clock.run(1)
    (ind,) = ep2.indications
    assert (ind.dst_addr_mode, ind.dst_address, ind.dst_endpoint, ind.asdu) == (
        ApsAddrMode.GROUP,
        0x0BAD,
        2,
        b"g",
    )
    assert ep3.events == [] and ep.indications == []
    nwk.confirm(call)
    nwk.clock.run()
    assert [c.status for c in ep.confirms] == [ApsStatus.SUCCESS]


def test_indirect_fans_out_over_bindings() -> None:
    aps, nwk, ep = setup()
    other_ieee, other = 0x00DD, 0x3333
    nwk.address_map.update(other, other_ieee)
    for mode, addr, dep in (
        (ApsAddrMode.IEEE, PEER_IEEE, 1),
        (ApsAddrMode.GROUP, 0x0777, None),
        (ApsAddrMode.IEEE, other_ieee, 5),
    ):
        assert aps.apsme_bind_request(ME_IEEE, 1, ON_OFF, mode, addr, dep) == ApsStatus.SUCCESS
    aps.apsme_bind_request(ME_IEEE, 1, 0x0008, ApsAddrMode.IEEE, 0x00EE, 1)  # other cluster
    aps.apsde_data_request(ApsAddrMode.INDIRECT, None, None, HA, ON_OFF, 1, b"i")
    calls = nwk.take()
    assert [(c.mode, c.dst) for c in calls] == [
        (NwkAddrMode.NWK, PEER),
        (NwkAddrMode.MULTICAST, 0x0777),
        (NwkAddrMode.NWK, other),
    ]
    assert [c.frame.dst_endpoint for c in calls] == [1, None, 5]
    assert len({c.frame.counter for c in calls}) == 3
    for c in calls:
        nwk.confirm(c)
    nwk.indicate(ack_for(calls[0].frame), PEER)
    nwk.clock.run(1_000_000)
    assert ep.confirms == []  # one binding still waits for its ACK
    nwk.indicate(ack_for(calls[2].frame), other)
    nwk.clock.run(1_000_001)
    (c,) = ep.confirms
    assert (c.dst_addr_mode, c.dst_address, c.dst_endpoint, c.status) == (
        ApsAddrMode.INDIRECT,
        None,
        None,
        ApsStatus.SUCCESS,
    )


def test_indirect_reports_first_failure_and_no_bound_device() -> None:
    aps, nwk, ep = setup()
    aps.apsde_data_request(ApsAddrMode.INDIRECT, None, None, HA, ON_OFF, 1, b"i")
    nwk.clock.run()
    assert ep.confirms[-1].status == ApsStatus.NO_BOUND_DEVICE
    aps.apsme_bind_request(ME_IEEE, 1, ON_OFF, ApsAddrMode.IEEE, PEER_IEEE, 1)
    aps.apsme_bind_request(ME_IEEE, 1, ON_OFF, ApsAddrMode.IEEE, 0x00F0, 1)  # no address
    nwk.auto_confirm = (CONFIRM, NwkStatus.SUCCESS)
    aps.apsde_data_request(ApsAddrMode.INDIRECT, None, None, HA, ON_OFF, 1, b"i")
    nwk.clock.run()
    assert ep.confirms[-1].status == ApsStatus.NO_ACK  # the first binding's failure
    assert len(ep.confirms) == 2


# -- limits and misuse --------------------------------------------------------------------------


def test_asdu_limits() -> None:
    aps, nwk, ep = setup()
    room = NSDU_SECURED - 8
    assert aps.max_asdu_length() == room
    assert aps.max_asdu_length(group=True) == room - 1
    assert aps.max_asdu_length(TxOptions.SECURITY) == room - 9
    assert aps.max_asdu_length(TxOptions.SECURITY | TxOptions.INCLUDE_EXTENDED_NONCE) == room - 17
    send(aps, asdu=bytes(room))
    send(aps, asdu=bytes(room + 1))
    send(aps, opts=TxOptions.ACK | TxOptions.SECURITY, asdu=bytes(room - 8))
    aps.apsde_data_request(ApsAddrMode.GROUP, 1, None, HA, 1, 1, bytes(room))
    send(aps, opts=TxOptions.FRAGMENTATION, asdu=bytes(room + 1))  # no ACK: no fragments
    send(aps, opts=TxOptions.ACK | TxOptions.FRAGMENTATION, asdu=bytes(1_601))
    assert [len(c.nsdu) for c in nwk.take()] == [NSDU_SECURED]
    nwk.clock.run(0)
    assert [c.status for c in ep.confirms] == [ApsStatus.ASDU_TOO_LONG] * 5


def test_misuse_raises() -> None:
    aps, nwk, ep = setup()
    with pytest.raises(LocalProtocolError):
        aps.register_endpoint(1, ep)
    with pytest.raises(LocalProtocolError):
        aps.register_endpoint(0xFF, ep)
    with pytest.raises(LocalProtocolError):
        aps.unregister_endpoint(9)
    with pytest.raises(LocalProtocolError):
        aps.apsde_data_request(ApsAddrMode.SHORT, PEER, 1, HA, 1, 9, b"")  # unregistered src
    with pytest.raises(LocalProtocolError):
        aps.apsde_data_request(ApsAddrMode.SHORT, 0x10000, 1, HA, 1, 1, b"")
    with pytest.raises(LocalProtocolError):
        aps.apsde_data_request(ApsAddrMode.SHORT, PEER, None, HA, 1, 1, b"")
    with pytest.raises(LocalProtocolError):
        aps.apsde_data_request(ApsAddrMode.INDIRECT, PEER, None, HA, 1, 1, b"")
    with pytest.raises(LocalProtocolError):
        send(aps, asdu="text")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        ApsConfig(max_window_size=9)
    assert nwk.take() == []


def test_security_without_partner_ieee_fails() -> None:
    aps, nwk, ep = setup()
    send(aps, dst=0x7777, opts=TxOptions.ACK | TxOptions.SECURITY)
    nwk.clock.run()
    assert nwk.take() == [] and ep.confirms[0].status == ApsStatus.SECURITY_FAIL


def test_rx_off_end_device_polls_for_the_ack() -> None:
    aps, nwk, ep = setup()
    nwk.rx_on_when_idle = False
    send(aps)
    (call,) = nwk.take()
    nwk.clock.run(10_000)
    nwk.confirm(call)
    nwk.clock.run(800_000)
    assert nwk.polls == [260_000, 510_000, 760_000]  # every 250 ms after the NWK sent it
    nwk.indicate(ack_for(call.frame), PEER)
    nwk.clock.run(5_000_000)
    assert nwk.polls == [260_000, 510_000, 760_000]  # the next tick finds nothing awaited
    assert ep.confirms[0].status == ApsStatus.SUCCESS


def test_rx_on_device_never_polls() -> None:
    aps, nwk, ep = setup()
    nwk.auto_confirm = (0, NwkStatus.SUCCESS)
    send(aps)
    nwk.clock.run()
    assert nwk.polls == []
