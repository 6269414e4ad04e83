"""Indirect transmission to sleepy children, MLME-POLL (802.15.4-2006 7.5.6.3, 7.1.16)."""

from __future__ import annotations

import pytest

from zigmesh.errors import LocalProtocolError
from zigmesh.mac.commands import CapabilityInformation
from zigmesh.mac.frames import AddrMode, FrameType, MacFrame
from zigmesh.mac.mac import MacConfig
from zigmesh.mac.primitives import (
    MacStatus,
    McpsDataConfirm,
    McpsDataIndication,
    MlmeAssociateConfirm,
    MlmeAssociateIndication,
    MlmePollConfirm,
    MlmePollIndication,
)
from zigmesh.phy import RadioState
from zigmesh.sim.medium import Radio

from .conftest import Net, Node, Recorder

PARENT = 0x0000
CHILD = 0x1234
PERSISTENCE_US = 500 * 960 * 16  # macTransactionPersistenceTime: 500 unit periods


def family(net: Net, config: MacConfig | None = None) -> tuple[Node, Node]:
    parent = net.add((0, 0), short=PARENT, config=config)
    child = net.add((30, 0), short=CHILD, rx_on=False)
    child.mac.mlme_set("mac_coord_short_address", PARENT)
    return parent, child


def poll_every(net: Net, node: Node, period: int, until: int) -> None:
    t = period
    while t <= until:
        net.at(t, node.mac.mlme_poll_request)
        t += period


def test_persistence_constant() -> None:
    assert PERSISTENCE_US == 7_680_000


def test_frame_for_child_polling_every_5s_is_delivered_on_next_poll(
    rec_net: tuple[Net, Recorder],
) -> None:
    net, rec = rec_net
    parent, child = family(net)
    poll_every(net, child, 5_000_000, 20_000_000)
    net.at(
        1_000_000,
        lambda: parent.mac.mcps_data_request(CHILD, b"for-you", msdu_handle=5, indirect=True),
    )
    net.run(21_000_000)
    [(t_ind, ind)] = child.timed(McpsDataIndication)
    assert ind.msdu == b"for-you" and ind.src_addr == PARENT
    assert 5_000_000 < t_ind < 5_000_000 + 40_000  # right after the 5 s poll
    [(t_conf, conf)] = parent.timed(McpsDataConfirm)
    assert conf.msdu_handle == 5 and conf.status == MacStatus.SUCCESS
    assert t_ind < t_conf < t_ind + 1_000  # the child's ACK
    polls = [c.status for c in child.of(MlmePollConfirm)]
    assert polls == [MacStatus.SUCCESS, MacStatus.NO_DATA, MacStatus.NO_DATA, MacStatus.NO_DATA]
    # the parent's ACK to the 5 s Data Request had Frame Pending set, the others not
    acks = [MacFrame.decode(p) for _, p in rec.frames if len(p) == 5]
    pend = [a.frame_pending for a in acks if a.frame_type == FrameType.ACK]
    assert pend.count(True) == 1
    assert parent.mac.stats.indirect_queued == 1 and len(parent.mac.indirect_queue) == 0


def test_frame_for_child_polling_every_10s_expires_at_7_68s() -> None:
    net = Net()
    parent, child = family(net)
    poll_every(net, child, 10_000_000, 20_000_000)
    net.at(
        1_000_000,
        lambda: parent.mac.mcps_data_request(CHILD, b"too-late", msdu_handle=6, indirect=True),
    )
    net.run(21_000_000)
    [(t, conf)] = parent.timed(McpsDataConfirm)
    assert conf == McpsDataConfirm(6, MacStatus.TRANSACTION_EXPIRED, 8_680_000)
    assert t == 1_000_000 + 7_680_000
    assert child.of(McpsDataIndication) == []
    assert [c.status for c in child.of(MlmePollConfirm)] == [MacStatus.NO_DATA] * 2
    assert parent.mac.stats.indirect_expired == 1


def test_two_queued_frames_frame_pending_then_second_poll() -> None:
    net = Net()
    parent, child = family(net)
    parent.mac.mcps_data_request(CHILD, b"one", msdu_handle=1, indirect=True)
    parent.mac.mcps_data_request(CHILD, b"two", msdu_handle=2, indirect=True)
    net.at(100_000, child.mac.mlme_poll_request)
    net.run(200_000)
    [ind] = child.of(McpsDataIndication)
    assert ind.msdu == b"one" and ind.frame_pending  # more data waits
    net.at(300_000, child.mac.mlme_poll_request)
    net.run(400_000)
    ind2 = child.of(McpsDataIndication)[1]
    assert ind2.msdu == b"two" and not ind2.frame_pending
    assert [c.msdu_handle for c in parent.of(McpsDataConfirm)] == [1, 2]


def test_indirect_queue_overflow() -> None:
    net = Net()
    parent, child = family(net, MacConfig(indirect_capacity=2))
    for h in range(3):
        parent.mac.mcps_data_request(CHILD, bytes([h]), msdu_handle=h, indirect=True)
    net.run(1_000)
    assert parent.of(McpsDataConfirm) == [McpsDataConfirm(2, MacStatus.TRANSACTION_OVERFLOW, 0)]
    assert parent.mac.stats.indirect_overflow == 1


def test_purge() -> None:
    net = Net()
    parent, child = family(net)
    parent.mac.mcps_data_request(CHILD, b"a", msdu_handle=7, indirect=True)
    assert parent.mac.mcps_purge_request(7) == MacStatus.SUCCESS
    assert parent.mac.mcps_purge_request(7) == MacStatus.INVALID_HANDLE
    net.run(10_000_000)
    assert parent.of(McpsDataConfirm) == []  # purged: no expiry confirm


def test_poll_without_data_sleeps_right_after_the_ack() -> None:
    net = Net()
    parent, child = family(net)
    assert child.radio.state == RadioState.SLEEP
    net.at(1_000, child.mac.mlme_poll_request)
    net.run(50_000)
    [(t, conf)] = child.timed(MlmePollConfirm)
    assert conf.status == MacStatus.NO_DATA
    assert child.radio.state == RadioState.SLEEP
    # poll: 12-byte Data Request (576 us on air) then the 352 us ACK
    times = child.radio.state_times()
    assert times[RadioState.TX] == 576
    assert times[RadioState.RX] == 128 + 192 + 192 + 352


def test_pending_but_nothing_comes_waits_max_frame_total_wait_time() -> None:
    net = Net()
    parent, child = family(net)

    def drop_data_to_child(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        if receiver is child.radio and psdu[0] & 7 == FrameType.DATA:
            return None
        return psdu

    net.medium.rx_filter = drop_data_to_child
    parent.mac.mcps_data_request(CHILD, b"lost", msdu_handle=1, indirect=True)
    net.at(1_000, child.mac.mlme_poll_request)
    net.run(200_000)
    [(t, conf)] = child.timed(MlmePollConfirm)
    assert conf.status == MacStatus.NO_DATA
    # ACK of the Data Request ends at t_ack_end; the child listens 1,986 symbols = 31,776 us
    assert child.mac.pib.max_frame_total_wait_us == 31_776
    ack_end = t - 31_776
    assert ack_end > 1_000
    assert child.radio.state == RadioState.SLEEP
    # the indirect frame was not acknowledged: no retry, it stays queued (same DSN) ...
    assert parent.of(McpsDataConfirm) == []
    assert len(parent.mac.indirect_queue) == 1
    # ... and goes out on the next poll
    net.medium.rx_filter = None
    net.at(300_000, child.mac.mlme_poll_request)
    net.run(400_000)
    assert [i.msdu for i in child.of(McpsDataIndication)] == [b"lost"]
    assert parent.of(McpsDataConfirm)[0].status == MacStatus.SUCCESS


def test_poll_no_ack_when_parent_gone() -> None:
    net = Net()
    parent, child = family(net)
    net.medium.move(parent.radio, (500, 0))
    child.mac.mlme_poll_request()
    with pytest.raises(LocalProtocolError):
        child.mac.mlme_poll_request()  # one poll at a time
    net.run(1_000_000)
    assert child.of(MlmePollConfirm) == [MlmePollConfirm(MacStatus.NO_ACK)]
    assert child.radio.state == RadioState.SLEEP


def test_sleepy_device_radio_is_off_between_operations() -> None:
    net = Net()
    parent, child = family(net)
    states: list[RadioState] = []
    for t in (500_000, 1_500_000, 2_500_000):
        net.at(t, lambda: states.append(child.radio.state))
    net.at(1_000_000, lambda: child.mac.mcps_data_request(PARENT, b"up", msdu_handle=1))
    net.run(3_000_000)
    assert states == [RadioState.SLEEP] * 3
    assert child.of(McpsDataConfirm)[0].status == MacStatus.SUCCESS
    assert parent.of(McpsDataIndication)[0].msdu == b"up"
    times = child.radio.state_times()
    # on for the CCA, turnaround, the frame and the ACK wait only; idle during the backoff
    assert times[RadioState.TX] == (6 + 9 + 2 + 2) * 32
    assert times[RadioState.RX] == 128 + 192 + 192 + 352
    assert times[RadioState.IDLE] % 320 == 0


# -- MLME-POLL.indication (802.15.4-2015) -----------------------------------------------------


def test_data_request_gives_poll_indication_after_ack_and_extraction() -> None:
    net = Net()
    parent, child = family(net)
    parent.mac.mcps_data_request(CHILD, b"waiting", msdu_handle=1, indirect=True)
    seen: list[tuple[int, bool]] = []

    def at_indication(node: Node, ev: object) -> None:
        if isinstance(ev, MlmePollIndication):
            # the ACK (Frame Pending) is scheduled and the frame already extracted
            seen.append((len(node.mac.indirect_queue), node.mac._acking))

    parent.on_event = at_indication
    net.at(1_000, child.mac.mlme_poll_request)
    net.at(500_000, child.mac.mlme_poll_request)
    net.run(1_000_000)
    polls = parent.timed(MlmePollIndication)
    assert [ev for _, ev in polls] == [
        MlmePollIndication(AddrMode.SHORT, CHILD, polls[0][0]),
        MlmePollIndication(AddrMode.SHORT, CHILD, polls[1][0]),
    ]
    assert 1_000 < polls[0][0] < 20_000 and 500_000 < polls[1][0] < 520_000
    assert seen == [(0, True), (0, True)]
    assert [i.msdu for i in child.of(McpsDataIndication)] == [b"waiting"]
    assert [c.status for c in child.of(MlmePollConfirm)] == [MacStatus.SUCCESS, MacStatus.NO_DATA]
    assert child.of(MlmePollIndication) == []  # only the receiver of the Data Request


def test_retransmitted_data_request_is_indicated_once() -> None:
    net = Net()
    parent, child = family(net)
    lost: list[bytes] = []

    def lose_parents_ack(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        if sender is parent.radio and len(psdu) == 5 and not lost:
            lost.append(psdu)
            return None
        return psdu

    net.medium.rx_filter = lose_parents_ack
    net.at(1_000, child.mac.mlme_poll_request)
    net.run(200_000)
    assert lost
    assert len(parent.of(MlmePollIndication)) == 1
    assert parent.mac.stats.rx_duplicate == 1
    assert child.of(MlmePollConfirm) == [MlmePollConfirm(MacStatus.NO_DATA)]


def test_association_data_request_is_indicated_with_the_extended_address() -> None:
    net = Net()
    coord = net.add((0, 0), short=0x0000, pan=None)
    coord.mac.mlme_set("mac_association_permit", True)
    coord.mac.mlme_start_request(0x1A62, 11)
    dev = net.add((30, 0), pan=None, rx_on=False)

    def answer(node: Node, ev: object) -> None:
        if isinstance(ev, MlmeAssociateIndication):
            node.mac.mlme_associate_response(ev.device_address, 0x0042)

    coord.on_event = answer
    net.at(
        1_000, lambda: dev.mac.mlme_associate_request(11, 0x1A62, 0x0000, CapabilityInformation())
    )
    net.run(2_000_000)
    assert dev.of(MlmeAssociateConfirm) == [MlmeAssociateConfirm(0x0042, MacStatus.SUCCESS)]
    [ind] = coord.of(MlmePollIndication)
    assert ind.src_addr_mode == AddrMode.EXTENDED and ind.src_addr == dev.eui
