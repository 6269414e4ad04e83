"""Unicast / broadcast timing, CSMA-CA, ACKs, retries (802.15.4-2006 7.5.1.4, 7.5.6.4).

Every time below is a literal in microseconds. The sequence of one acknowledged unicast,
request at t0 with a backoff of b unit periods (the draw is scripted with ScriptedRandom):

    t0 + b x 320          backoff (aUnitBackoffPeriod = 20 symbols = 320 us)
       + 128              CCA (8 symbols), channel clear
       + 192              RX-to-TX turnaround (aTurnaroundTime = 12 symbols), frame starts
       + (6 + PSDU) x 32  frame on air (SHR + PHR + PSDU at 250 kbit/s)
       + 192              peer's TX turnaround, ACK starts (no CSMA-CA, 7.5.6.4.2)
       + 352              ACK on air ((6 + 5) x 32)
    = confirm SUCCESS

A data frame with short addresses, intra-PAN, carries 9 bytes of MHR and 2 of FCS:
a 20-byte MSDU gives a 31-byte PSDU, 1,184 us on air.
"""

from __future__ import annotations

from zigmesh.mac.frames import FrameType, MacFrame
from zigmesh.mac.primitives import MacStatus, McpsDataConfirm, McpsDataIndication
from zigmesh.phy import RadioState, airtime_us
from zigmesh.sim.medium import Radio

from .conftest import Net, Recorder, ScriptedRandom

DSN_BSN = [0x40, 0x80]  # the MAC draws mac_dsn then mac_bsn first


class Jammer:
    """A bare radio sending the same PSDU back to back (no MAC, no CSMA)."""

    def __init__(self, radio: Radio, psdu: bytes = bytes(125) + b"\x00\x00") -> None:
        self.radio = radio
        self.psdu = psdu
        self.on = False
        radio.set_user(self)
        radio.set_state(RadioState.RX)

    def start(self) -> None:
        self.on = True
        self.radio.transmit(self.psdu)

    def stop(self) -> None:
        self.on = False

    def pd_tx_done(self) -> None:
        if self.on:
            self.radio.transmit(self.psdu)

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        pass


class Injector:
    """A bare radio that sends given PSDUs at given times."""

    def __init__(self, net: Net, radio: Radio) -> None:
        self.net = net
        self.radio = radio
        radio.set_user(self)
        radio.set_state(RadioState.RX)

    def send_at(self, t: int, psdu: bytes) -> None:
        self.net.at(t, self.radio.transmit, psdu)

    def pd_tx_done(self) -> None:
        pass

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        pass


def test_unicast_with_ack_exact_timing(rec_net: tuple[Net, Recorder]) -> None:
    net, rec = rec_net
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN, 5]))
    b = net.add((30, 0), short=2)
    net.at(1_000, lambda: a.mac.mcps_data_request(2, bytes(20), msdu_handle=9))
    net.run(200_000)
    # 1,000 + 5 x 320 + 128 + 192 = 2,920: the frame starts
    (t_data, data), (t_ack, ack) = rec.frames
    assert t_data == 2_920
    assert len(data) == 31 and airtime_us(31) == 1_184
    # frame ends 4,104; ACK 192 us later, 352 us long
    assert t_ack == 4_104 + 192 == 4_296
    assert ack == MacFrame.ack(0x40).encode()
    [(t, conf)] = a.timed(McpsDataConfirm)
    assert conf == McpsDataConfirm(9, MacStatus.SUCCESS, 4_648, 0)
    assert t == 4_648 == 1_000 + 5 * 320 + 128 + 192 + 1_184 + 192 + 352
    [(t_ind, ind)] = b.timed(McpsDataIndication)
    assert t_ind == 4_104
    assert (ind.src_addr, ind.dst_addr, ind.msdu, ind.dsn) == (1, 2, bytes(20), 0x40)
    assert ind.rssi == -91 and 0 < ind.mpdu_link_quality <= 255
    assert a.mac.stats.tx_frames == 1 and a.mac.stats.rx_acks == 1
    assert b.mac.stats.tx_acks == 1 and b.mac.stats.rx_frames == 1


def test_broadcast_has_no_ack(rec_net: tuple[Net, Recorder]) -> None:
    net, rec = rec_net
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN, 0]))
    b = net.add((30, 0), short=2)
    c = net.add((0, 30), short=3)
    net.at(0, lambda: a.mac.mcps_data_request(0xFFFF, b"bcast", msdu_handle=1))
    net.run(100_000)
    [(t0, psdu)] = rec.frames
    assert t0 == 0 + 128 + 192
    assert not MacFrame.decode(psdu).ack_request
    # 16-byte PSDU: 704 us on air; confirmed when it ends
    assert a.timed(McpsDataConfirm) == [(1_024, McpsDataConfirm(1, MacStatus.SUCCESS, 1_024))]
    assert len(b.of(McpsDataIndication)) == len(c.of(McpsDataIndication)) == 1


def test_no_ack_after_exactly_four_transmissions(rec_net: tuple[Net, Recorder]) -> None:
    net, rec = rec_net
    backoffs = [3, 7, 0, 6]
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN, *backoffs]))
    net.add((300, 0), short=2)  # out of range (-121 dBm)
    net.at(0, lambda: a.mac.mcps_data_request(2, bytes(20), msdu_handle=3))
    net.run(1_000_000)
    starts = [t for t, _ in rec.frames]
    assert len(starts) == 1 + 3  # 1 + macMaxFrameRetries
    assert {MacFrame.decode(p).seq for _, p in rec.frames} == {0x40}  # same DSN each time
    # attempt i: backoff + CCA 128 + turnaround 192 + 1,184 on air + macAckWaitDuration 864
    t = 0
    expected = []
    for b in backoffs:
        expected.append(t + b * 320 + 128 + 192)
        t += b * 320 + 128 + 192 + 1_184 + 864
    assert starts == expected == [1_280, 5_888, 8_256, 12_544]
    [(tc, conf)] = a.timed(McpsDataConfirm)
    assert conf.status == MacStatus.NO_ACK and conf.retries == 3
    assert tc == t == 14_592
    s = a.mac.stats
    assert (s.tx_frames, s.tx_retries, s.tx_no_ack) == (4, 3, 1)


def test_channel_access_failure_under_a_jammer() -> None:
    net = Net()
    # BE grows 3, 4, 5, 5, 5: draws must fit 3, 4, 5, 5, 5 bits
    backoffs = [2, 5, 9, 17, 30]
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN, *backoffs]))
    net.add((30, 0), short=2)
    jammer = Jammer(net.medium.add_radio(0xDEAD, (10, 10)))
    net.at(0, jammer.start)
    net.at(500, lambda: a.mac.mcps_data_request(2, b"x", msdu_handle=4))
    net.run(100_000)
    [(t, conf)] = a.timed(McpsDataConfirm)
    assert conf.status == MacStatus.CHANNEL_ACCESS_FAILURE
    # 5 CCAs (NB = 0..4 > macMaxCSMABackoffs = 4), each after its backoff
    assert t == 500 + sum(b * 320 + 128 for b in backoffs) == 21_300
    assert a.mac.stats.tx_frames == 0 and a.mac.cca_busy_count == 5
    assert a.mac.stats.tx_channel_access_failures == 1


def test_backoff_then_busy_then_clear(rec_net: tuple[Net, Recorder]) -> None:
    """The channel is busy at the first CCA only: BE goes 3 -> 4 and the frame goes out."""
    net, rec = rec_net
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN, 0, 15]))
    b = net.add((30, 0), short=2)
    jammer = Jammer(net.medium.add_radio(0xDEAD, (10, 10)))
    net.at(0, jammer.start)  # one 127-byte PSDU: on air 0 .. 4,256
    net.at(100, jammer.stop)
    net.at(1_000, lambda: a.mac.mcps_data_request(2, b"x", msdu_handle=4))
    net.run(100_000)
    # CCA 1,000 .. 1,128 busy; NB = 1, BE = 4, draw 15: CCA 5,928 .. 6,056 clear; TX 6,248
    assert [t for t, _ in rec.frames][1] == 1_000 + 128 + 15 * 320 + 128 + 192 == 6_248
    assert a.mac.cca_busy_count == 1
    assert a.of(McpsDataConfirm)[0].status == MacStatus.SUCCESS
    assert len(b.of(McpsDataIndication)) == 1


def test_ack_is_sent_while_the_receiver_is_in_csma_backoff(rec_net: tuple[Net, Recorder]) -> None:
    net, rec = rec_net
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN, 0]))
    # b starts a long backoff (7 x 320 = 2,240 us) for its own frame to c
    b = net.add((30, 0), short=2, rng=ScriptedRandom([0x10, 0x20, 7]))
    c = net.add((60, 0), short=3)
    net.at(0, lambda: b.mac.mcps_data_request(3, b"from-b", msdu_handle=2))
    net.at(0, lambda: a.mac.mcps_data_request(2, b"from-a", msdu_handle=1))
    net.run(500_000)
    # a's frame (17-byte PSDU, 736 us) starts at 320, ends 1,056; b ACKs at 1,248 although its
    # backoff (ending at 2,368) is still running
    times = [(t, MacFrame.decode(p)) for t, p in rec.frames]
    assert times[0][0] == 320 and times[0][1].src_addr == 1
    assert times[1][0] == 1_056 + 192 and times[1][1].frame_type == FrameType.ACK
    assert times[1][1].seq == 0x40
    assert a.of(McpsDataConfirm)[0].status == MacStatus.SUCCESS
    assert b.of(McpsDataConfirm)[0].status == MacStatus.SUCCESS
    assert [i.msdu for i in b.of(McpsDataIndication)] == [b"from-a"]
    assert [i.msdu for i in c.of(McpsDataIndication)] == [b"from-b"]


def test_ack_only_matches_the_pending_dsn(rec_net: tuple[Net, Recorder]) -> None:
    net, rec = rec_net
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN, 0, 0, 0, 0]))
    inj = Injector(net, net.medium.add_radio(0xBEEF, (30, 0)))
    net.at(0, lambda: a.mac.mcps_data_request(2, b"x", msdu_handle=1))
    # frame: 320 .. 320 + 12 x 32 + 6 x 32 = 320 + 384 = 704 (12-byte PSDU)
    psdu_len = 9 + 1 + 2
    end = 320 + airtime_us(psdu_len)
    inj.send_at(end + 192, MacFrame.ack(0x41).encode())  # wrong DSN: ignored
    net.run(end + 864 + 1)
    assert a.of(McpsDataConfirm) == []
    # the radio's filter dropped it (zigmesh.phy.FrameFilter): the MAC never saw it
    assert a.mac.stats.rx_acks == 0 and a.radio.rx_filtered == 1
    # the retry (backoff 0) ends at end + 864 + 320 + 384; answer it with the right DSN
    end2 = end + 864 + 320 + airtime_us(psdu_len)
    inj.send_at(end2 + 192, MacFrame.ack(0x40, frame_pending=True).encode())
    net.run(100_000)
    [(t, conf)] = a.timed(McpsDataConfirm)
    assert conf.status == MacStatus.SUCCESS and conf.retries == 1
    assert t == end2 + 192 + 352


def test_duplicate_rejected_by_dsn_but_acked() -> None:
    net = Net()
    a = net.add((0, 0), short=1)
    b = net.add((30, 0), short=2)
    dropped: list[bytes] = []

    def drop_first_ack(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        if len(psdu) == 5 and not dropped:
            dropped.append(psdu)
            return None
        return psdu

    net.medium.rx_filter = drop_first_ack
    net.at(0, lambda: a.mac.mcps_data_request(2, b"once", msdu_handle=1))
    net.run(100_000)
    assert dropped
    conf = a.of(McpsDataConfirm)[0]
    assert conf.status == MacStatus.SUCCESS and conf.retries == 1
    assert [i.msdu for i in b.of(McpsDataIndication)] == [b"once"]
    assert b.mac.stats.rx_duplicate == 1 and b.mac.stats.tx_acks == 2


def test_queued_requests_go_in_order_with_increasing_dsn() -> None:
    net = Net()
    a = net.add((0, 0), short=1, rng=ScriptedRandom([*DSN_BSN]))
    b = net.add((30, 0), short=2)
    for h in range(5):
        a.mac.mcps_data_request(2, bytes([h]), msdu_handle=h)
    net.run(1_000_000)
    assert [c.msdu_handle for c in a.of(McpsDataConfirm)] == [0, 1, 2, 3, 4]
    assert all(c.status == MacStatus.SUCCESS for c in a.of(McpsDataConfirm))
    assert [i.dsn for i in b.of(McpsDataIndication)] == [0x40, 0x41, 0x42, 0x43, 0x44]
    assert a.mac.pib.mac_dsn == 0x45


def test_confirm_can_trigger_the_next_request() -> None:
    net = Net()
    a = net.add((0, 0), short=1)
    b = net.add((30, 0), short=2)
    left = [3]

    def again(node: object, ev: object) -> None:
        if isinstance(ev, McpsDataConfirm) and left[0]:
            left[0] -= 1
            a.mac.mcps_data_request(2, b"more", msdu_handle=left[0])

    a.on_event = again
    a.mac.mcps_data_request(2, b"first", msdu_handle=9)
    net.run(1_000_000)
    assert len(b.of(McpsDataIndication)) == 4


def test_request_validation_and_immediate_statuses() -> None:
    import pytest

    from zigmesh.errors import LocalProtocolError

    net = Net()
    a = net.add((0, 0), short=1, config=None)
    with pytest.raises(LocalProtocolError):
        a.mac.mcps_data_request(2, b"x", msdu_handle=256)
    with pytest.raises(LocalProtocolError):
        a.mac.mcps_data_request(0x1_0000_0000_0000_0000, b"x")
    with pytest.raises(LocalProtocolError):
        a.mac.mcps_data_request(2, "text")  # type: ignore[arg-type]
    a.mac.mcps_data_request(2, bytes(120), msdu_handle=1)
    a.mac.mcps_data_request(0xFFFF, b"x", msdu_handle=2, indirect=True)
    from zigmesh.mac.frames import AddrMode

    a.mac.mcps_data_request(None, b"x", msdu_handle=3, src_addr_mode=AddrMode.NONE)
    net.run(10)
    assert [(c.msdu_handle, c.status) for c in a.of(McpsDataConfirm)] == [
        (1, MacStatus.FRAME_TOO_LONG),
        (2, MacStatus.INVALID_ADDRESS),
        (3, MacStatus.INVALID_ADDRESS),
    ]
