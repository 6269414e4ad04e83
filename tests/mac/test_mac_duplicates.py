"""Duplicate rejection by DSN (802.15.4-2006 7.5.6.4.3): only retransmissions of one
acknowledged frame, within ``MacConfig.duplicate_window_us`` (or macTransactionPersistenceTime
for an indirect frame), are dropped; the sender's DSN wrapping never loses a new frame."""

from __future__ import annotations

import pytest

from zigmesh.errors import LocalProtocolError
from zigmesh.mac.frames import MacFrame
from zigmesh.mac.mac import DUPLICATE_WINDOW_US, MacConfig
from zigmesh.mac.pib import max_retransmission_time
from zigmesh.mac.primitives import (
    MacStatus,
    McpsDataConfirm,
    McpsDataIndication,
    MlmePollConfirm,
)
from zigmesh.phy import RadioState
from zigmesh.sim.medium import Radio

from .conftest import Net
from .test_mac_csma import Injector

A = 0x0A
B = 0x0B
PAN = 0x1234


def test_default_window_covers_one_frame_and_its_retries() -> None:
    # per attempt: (7 + 15 + 31 x 3) x 20 backoff + 5 x 8 CCA + 12 + 266 + 54 = 2,672 symbols
    assert max_retransmission_time(3, 3, 5, 4) == 4 * 2_672
    assert max_retransmission_time(0, 3, 5, 0) == 7 * 20 + 8 + 12 + 266 + 54
    assert DUPLICATE_WINDOW_US == 171_008
    assert MacConfig().duplicate_window_us == DUPLICATE_WINDOW_US
    # shorter than the fastest DSN wrap: 256 minimum frames (0 backoff, CCA, turnaround,
    # 17 bytes on air) take 256 x 864 us
    assert DUPLICATE_WINDOW_US < 256 * (128 + 192 + 17 * 32)


def test_config_validation() -> None:
    with pytest.raises(LocalProtocolError):
        MacConfig(duplicate_window_us=-1)
    with pytest.raises(LocalProtocolError):
        MacConfig(duplicate_table_size=0)


@pytest.mark.parametrize(("first", "second"), [(b"first", b"second"), (b"same", b"same")])
def test_unicast_after_dsn_wrap_is_delivered(first: bytes, second: bytes) -> None:
    """Regression: 255 broadcasts between two unicasts wrap the sender's DSN; the second
    unicast (same DSN as the first, even with the same payload) was ACKed and dropped."""
    net = Net()
    a = net.add((0, 0), short=A, pan=PAN)
    b = net.add((30, 0), short=B, pan=PAN)
    a.mac.mcps_data_request(B, first)
    for _ in range(255):
        a.mac.mcps_data_request(0xFFFF, b"bcast")
    a.mac.mcps_data_request(B, second)
    net.run(5_000_000)
    unicast = [i for i in b.of(McpsDataIndication) if i.dst_addr == B]
    assert [i.msdu for i in unicast] == [first, second]
    assert unicast[0].dsn == unicast[1].dsn
    assert len(b.of(McpsDataIndication)) == 257
    assert b.mac.stats.rx_duplicate == 0
    assert all(c.status == MacStatus.SUCCESS for c in a.of(McpsDataConfirm))


def test_retransmission_after_lost_ack_is_rejected() -> None:
    net = Net()
    a = net.add((0, 0), short=A, pan=PAN)
    b = net.add((30, 0), short=B, pan=PAN)
    lost: list[bytes] = []

    def lose_first_ack(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        if len(psdu) == 5 and not lost:
            lost.append(psdu)
            return None
        return psdu

    net.medium.rx_filter = lose_first_ack
    a.mac.mcps_data_request(B, b"once", msdu_handle=1)
    net.run(200_000)
    assert lost
    [conf] = a.of(McpsDataConfirm)
    assert conf.status == MacStatus.SUCCESS and conf.retries == 1
    assert [i.msdu for i in b.of(McpsDataIndication)] == [b"once"]
    assert b.mac.stats.rx_duplicate == 1 and b.mac.stats.tx_acks == 2


def _unicast(dsn: int, src: int = A, payload: bytes = b"p") -> bytes:
    return MacFrame.data(PAN, B, src, payload, seq=dsn, ack_request=True).encode()


def _broadcast(dsn: int, payload: bytes = b"p") -> bytes:
    return MacFrame.data(PAN, 0xFFFF, A, payload, seq=dsn, ack_request=False).encode()


def test_window_runs_from_the_first_copy_and_is_configurable() -> None:
    net = Net()
    b = net.add((30, 0), short=B, pan=PAN, config=MacConfig(duplicate_window_us=10_000))
    inj = Injector(net, net.medium.add_radio(0xBEEF, (0, 0)))
    for t in (0, 4_000, 8_000, 12_000):  # duplicates until 10 ms after the first copy
        inj.send_at(t, _unicast(7))
    net.run(20_000)
    assert len(b.of(McpsDataIndication)) == 2
    assert b.mac.stats.rx_duplicate == 2 and b.mac.stats.tx_acks == 4


def test_zero_window_disables_duplicate_rejection() -> None:
    net = Net()
    b = net.add((30, 0), short=B, pan=PAN, config=MacConfig(duplicate_window_us=0))
    inj = Injector(net, net.medium.add_radio(0xBEEF, (0, 0)))
    inj.send_at(0, _unicast(7))
    inj.send_at(4_000, _unicast(7))
    net.run(10_000)
    assert len(b.of(McpsDataIndication)) == 2 and b.mac.stats.rx_duplicate == 0


def test_same_dsn_other_payload_is_a_new_frame() -> None:
    net = Net()
    b = net.add((30, 0), short=B, pan=PAN)
    inj = Injector(net, net.medium.add_radio(0xBEEF, (0, 0)))
    inj.send_at(0, _unicast(7, payload=b"one"))
    inj.send_at(4_000, _unicast(7, payload=b"two"))
    net.run(10_000)
    assert [i.msdu for i in b.of(McpsDataIndication)] == [b"one", b"two"]


def test_broadcasts_are_never_duplicates_and_do_not_poison_the_table() -> None:
    net = Net()
    b = net.add((30, 0), short=B, pan=PAN)
    inj = Injector(net, net.medium.add_radio(0xBEEF, (0, 0)))
    inj.send_at(0, _broadcast(7))
    inj.send_at(4_000, _broadcast(7))  # same DSN and payload: still delivered
    inj.send_at(8_000, _unicast(7))  # not a repeat of a broadcast: delivered
    inj.send_at(12_000, _broadcast(8))  # does not replace the unicast's entry ...
    inj.send_at(16_000, _unicast(7))  # ... so this retransmission is still caught
    net.run(30_000)
    assert [i.dst_addr for i in b.of(McpsDataIndication)] == [0xFFFF, 0xFFFF, B, 0xFFFF]
    assert b.mac.stats.rx_duplicate == 1


def test_table_is_bounded_least_recently_heard_forgotten() -> None:
    net = Net()
    b = net.add((30, 0), short=B, pan=PAN, config=MacConfig(duplicate_table_size=2))
    inj = Injector(net, net.medium.add_radio(0xBEEF, (0, 0)))
    t = 0
    for src in (1, 2, 1, 3):  # 2 is the least recently heard when 3 arrives
        inj.send_at(t, _unicast(5, src))
        t += 4_000
    inj.send_at(t, _unicast(5, 2))  # forgotten: taken as new
    inj.send_at(t + 4_000, _unicast(5, 3))  # remembered: duplicate
    net.run(t + 10_000)
    assert [i.src_addr for i in b.of(McpsDataIndication)] == [1, 2, 3, 2]
    assert b.mac.stats.rx_duplicate == 2
    assert len(b.mac._dsn_seen) == 2


def test_indirect_frame_resent_after_lost_ack_is_rejected_by_the_child() -> None:
    """The child's ACK of an extracted frame is lost: the parent keeps the frame and sends it
    again, same DSN, at the next poll a second later (well after the direct window)."""
    net = Net()
    parent = net.add((0, 0), short=0x0000, pan=PAN)
    child = net.add((30, 0), short=0x1234, pan=PAN, rx_on=False)
    child.mac.mlme_set("mac_coord_short_address", 0x0000)
    lost: list[bytes] = []

    def lose_childs_ack(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        if sender is child.radio and len(psdu) == 5 and not lost:
            lost.append(psdu)
            return None
        return psdu

    parent.mac.mcps_data_request(0x1234, b"for-you", msdu_handle=3, indirect=True)
    net.at(1_000, lambda: setattr(net.medium, "rx_filter", lose_childs_ack))
    net.at(1_000, child.mac.mlme_poll_request)
    net.at(1_001_000, child.mac.mlme_poll_request)
    net.run(2_000_000)
    assert lost  # the ACK of the data frame (the Data Request's ACK comes from the parent)
    assert [i.msdu for i in child.of(McpsDataIndication)] == [b"for-you"]
    assert child.mac.stats.rx_duplicate == 1
    # the second poll ends with the duplicate, without waiting macMaxFrameTotalWaitTime
    [(t1, c1), (t2, c2)] = child.timed(MlmePollConfirm)
    assert c1.status == MacStatus.SUCCESS and c2.status == MacStatus.NO_DATA
    assert 1_001_000 < t2 < 1_001_000 + 20_000
    assert child.radio.state == RadioState.SLEEP
    [conf] = parent.of(McpsDataConfirm)
    assert conf.msdu_handle == 3 and conf.status == MacStatus.SUCCESS
