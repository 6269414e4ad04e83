"""Fragmented transmission and reassembly (Zigbee spec R22 2.2.8.4.5) between APS instances on
a fake network with latency and seeded frame loss.

1,500 bytes arrive intact exactly once under 10 % loss; the over-the-air sequence of the
certification test TP/PRO/BV-43 (window of 3, a block missing: ack bitfield 0xFD, the block
resent apsInterframeDelay later); the ack timeout resends the unacknowledged blocks; reassembly
buffers are bounded and time out; APS-secured blocks; late blocks re-acknowledged, never
delivered twice.
"""

from __future__ import annotations

import random

import pytest

from tests.aps.aps_fakes import FakeNet, FakeNwk, NldeCall
from zigmesh.aps.aps import ApsConfig
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.frames import ApsFrame, ApsFrameType, ExtendedHeader, Fragmentation
from zigmesh.aps.primitives import ApsAddrMode, SecurityStatus, TxOptions

A, A_IEEE = 0x0001, 0x00A1
B, B_IEEE = 0x0002, 0x00B2
HA = 0x0104
FRAG = TxOptions.ACK | TxOptions.FRAGMENTATION


def send(net: FakeNet, asdu: bytes, opts: TxOptions = FRAG, src: int = A, dst: int = B) -> None:
    net.nodes[src].aps.apsde_data_request(
        ApsAddrMode.SHORT, dst, 1, HA, 0x0001, 1, asdu, tx_options=opts
    )


def blocks(net: FakeNet, src: int) -> list[tuple[int, int, int]]:
    """(time, fragmentation, block number) of the data frames ``src`` sent."""
    out = []
    for t, s, call in net.log:
        f = ApsFrame.decode(call.nsdu)
        if s == src and f.frame_type == ApsFrameType.DATA:
            ext = f.extended_header
            assert ext is not None and ext.block_number is not None
            out.append((t, int(ext.fragmentation), ext.block_number))
    return out


def acks(net: FakeNet, src: int) -> list[tuple[int, int, int, int]]:
    """(time, fragmentation, first block, bitfield) of the fragment acks ``src`` sent."""
    out = []
    for t, s, call in net.log:
        f = ApsFrame.decode(call.nsdu)
        if s == src and f.frame_type == ApsFrameType.ACK:
            ext = f.extended_header
            assert ext is not None and ext.block_number is not None
            assert ext.ack_bitfield is not None and not f.ack_request
            out.append((t, int(ext.fragmentation), ext.block_number, ext.ack_bitfield))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_1500_bytes_with_ten_percent_loss(seed: int) -> None:
    # three hops of 5 ms; each frame lost with probability 0.1 end to end
    net = FakeNet(seed=seed, loss=0.1, hop_us=15_000)
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    asdu = random.Random(seed).randbytes(1_500)
    send(net, asdu)
    net.run(120_000_000)
    (c,) = a.endpoints[1].confirms
    assert c.status == ApsStatus.SUCCESS
    (ind,) = b.endpoints[1].indications
    assert ind.asdu == asdu and ind.src_address == A and ind.src_endpoint == 1
    assert ind.cluster_id == 0x0001 and ind.profile_id == HA
    assert a.aps.stats.fragmented_sent == 1 and b.aps.stats.fragments_reassembled == 1
    assert not a.aps.frag_tx


@pytest.mark.parametrize("seed", range(6))
def test_1500_bytes_three_lossy_hops(seed: int) -> None:
    # 10 % loss on each of three hops (27 % end to end, no MAC retries in the fake): with a few
    # more retries than apscMaxFrameRetries it still gets through
    net = FakeNet(seed=seed, loss=0.1, hops=3, config=ApsConfig(max_frame_retries=6))
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    asdu = random.Random(seed).randbytes(1_500)
    send(net, asdu)
    net.run(200_000_000)
    assert [c.status for c in a.endpoints[1].confirms] == [ApsStatus.SUCCESS]
    assert [i.asdu for i in b.endpoints[1].indications] == [asdu]
    assert net.lost > 0


@pytest.mark.parametrize("seed", range(10))
def test_heavy_loss_never_corrupts_or_duplicates(seed: int) -> None:
    net = FakeNet(seed=seed, loss=0.25, hops=2)
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    asdu = random.Random(seed).randbytes(1_200)
    send(net, asdu)
    net.run(300_000_000)
    (c,) = a.endpoints[1].confirms
    inds = b.endpoints[1].indications
    assert len(inds) <= 1 and all(i.asdu == asdu for i in inds)
    assert c.status in (ApsStatus.SUCCESS, ApsStatus.NO_ACK)
    if c.status == ApsStatus.SUCCESS:
        assert len(inds) == 1
    assert len(b.aps.reassembler) == 0  # every buffer freed in the end


def test_tp_pro_bv_43_missing_block_retransmitted() -> None:
    """TP/PRO/BV-43: apsMaxWindowSize 3, apsInterframeDelay 100 ms, 8 blocks of 30 bytes, the
    first transmission of block 1 lost."""
    cfg = ApsConfig(max_window_size=3, interframe_delay_us=100_000)
    net = FakeNet(config=cfg, max_nsdu=40)  # 40 - 8 header - 2 extended header = 30 per block
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    first_try = {1}

    def drop(src: FakeNwk, call: NldeCall) -> bool:
        ext = call.frame.extended_header
        if (
            src.address == A
            and ext is not None
            and ext.fragmentation == Fragmentation.SUBSEQUENT
            and ext.block_number in first_try
        ):
            first_try.discard(ext.block_number)
            return True
        return False

    net.drop = drop
    asdu = bytes(range(1, 241))
    send(net, asdu)
    net.run(10_000_000)
    F, S = int(Fragmentation.FIRST), int(Fragmentation.SUBSEQUENT)
    assert blocks(net, A) == [
        (0, F, 8),  # the first block carries the number of blocks
        (100_000, S, 1),  # lost
        (200_000, S, 2),
        (310_000, S, 1),  # resent apsInterframeDelay after the 0xFD ack arrived
        (420_000, S, 3),
        (520_000, S, 4),
        (620_000, S, 5),
        (730_000, S, 6),
        (830_000, S, 7),
    ]
    assert acks(net, B) == [
        (205_000, F, 0, 0xFD),  # block 1 of window 0 missing
        (315_000, F, 0, 0xFF),
        (625_000, S, 3, 0xFF),
        (835_000, S, 6, 0xFF),  # a 2-block last window: the missing bit is set too
    ]
    (ind,) = b.endpoints[1].indications
    assert ind.asdu == asdu and ind.rx_time == 835_000
    (c,) = a.endpoints[1].confirms
    assert (c.status, c.tx_time, c.retries) == (ApsStatus.SUCCESS, 840_000, 1)
    assert a.aps.stats.fragments_retransmitted == 1


def test_ack_timeout_resends_the_unacknowledged_blocks() -> None:
    cfg = ApsConfig(max_window_size=3, interframe_delay_us=100_000)
    net = FakeNet(config=cfg, max_nsdu=40)
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    lost_ack = [True]

    def drop(src: FakeNwk, call: NldeCall) -> bool:
        if src.address == B and lost_ack[0]:
            lost_ack[0] = False
            return True
        return False

    net.drop = drop
    send(net, bytes(90))  # three blocks: one window
    net.run(10_000_000)
    sent = blocks(net, A)
    assert [(t, n) for t, _, n in sent[:3]] == [(0, 3), (100_000, 1), (200_000, 2)]
    # the window's ack was lost: after apscAckWaitDuration the window goes again, and the
    # re-acknowledgement of block 0 (window 0 is complete at B) stops it
    assert sent[3][0] == 200_000 + 1_600_000 and sent[3][2] == 3
    assert len(sent) == 4
    assert [c.status for c in a.endpoints[1].confirms] == [ApsStatus.SUCCESS]
    assert len(b.endpoints[1].indications) == 1
    assert b.aps.stats.duplicates_rejected == 1


def test_no_ack_after_the_window_retries() -> None:
    net = FakeNet(config=ApsConfig(max_window_size=2), max_nsdu=40)
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    net.drop = lambda src, call: src.address == B  # every ack lost
    send(net, bytes(120))  # four blocks
    net.run(60_000_000)
    (c,) = a.endpoints[1].confirms
    assert c.status == ApsStatus.NO_ACK and c.retries == 3
    assert [n for _, _, n in blocks(net, A)] == [4, 1] * 4  # window 0, 1 + 3 times
    assert b.endpoints[1].indications == []  # only window 0 arrived


def test_window_retries_stay_within_the_retry_span() -> None:
    """Towards a sleepy device (10 s ack wait) a window whose acks are all lost is resent
    once: a round 20 s or 30 s after the first would come after the receiver forgot the
    completed message (21 s) and deliver it a second time."""
    net = FakeNet(max_nsdu=40)
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    a.aps.note_device(B, B_IEEE, rx_on_when_idle=False)
    net.drop = lambda src, call: src.address == B  # every ack lost
    send(net, bytes(range(60)))  # two blocks, one window
    net.run(120_000_000)
    (c,) = a.endpoints[1].confirms
    assert (c.status, c.retries) == (ApsStatus.NO_ACK, 1)
    rounds = sorted({t // 1_000_000 for t, _, _ in blocks(net, A)})
    assert rounds == [0, 10]
    assert [i.asdu for i in b.endpoints[1].indications] == [bytes(range(60))]


def test_reassembly_timeout_frees_the_buffer() -> None:
    net = FakeNet(max_nsdu=40)
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)

    def drop(src: FakeNwk, call: NldeCall) -> bool:
        ext = call.frame.extended_header
        return ext is not None and ext.fragmentation == Fragmentation.SUBSEQUENT

    net.drop = drop
    send(net, bytes(200))
    net.run(1_000_000)
    assert len(b.aps.reassembler) == 1 and b.aps.reassembler.receiving == 1
    net.run(200_000_000)
    assert b.aps.stats.fragment_timeouts == 1 and len(b.aps.reassembler) == 0
    assert b.endpoints[1].indications == []
    assert a.endpoints[1].confirms[0].status == ApsStatus.NO_ACK


def test_reassembly_buffers_are_bounded() -> None:
    net = FakeNet(config=ApsConfig(max_reassembly_buffers=1))
    a, b, c = net.add(A, A_IEEE), net.add(B, B_IEEE), net.add(0x0003, 0x00C3)
    send(net, bytes(300), src=A, dst=B)
    send(net, bytes([1]) * 300, src=0x0003, dst=B)
    net.run(60_000_000)
    assert b.aps.stats.drops.get("reassembly_full", 0) > 0
    # the second message gets in once the first is complete (its sender retries)
    assert sorted(i.asdu[0] for i in b.endpoints[1].indications) == [0, 1]
    assert [x.status for x in a.endpoints[1].confirms + c.endpoints[1].confirms] == [
        ApsStatus.SUCCESS
    ] * 2


def test_secured_fragments() -> None:
    net = FakeNet(seed=3, loss=0.1)
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    asdu = random.Random(1).randbytes(1_500)
    send(net, asdu, FRAG | TxOptions.SECURITY)
    net.run(120_000_000)
    (ind,) = b.endpoints[1].indications
    assert ind.asdu == asdu and ind.security_status == SecurityStatus.SECURED_LINK_KEY
    assert a.endpoints[1].confirms[0].status == ApsStatus.SUCCESS
    frames = [ApsFrame.decode(c.nsdu) for _, _, c in net.log]
    assert all(f.aux is not None for f in frames)  # blocks and acks
    sizes = {len(c.nsdu) for _, s, c in net.log if s == A}
    assert max(sizes) == 90  # 71-byte blocks fill the NSDU


def test_late_block_is_acknowledged_not_delivered_again() -> None:
    net = FakeNet(max_nsdu=40)
    net.add(A, A_IEEE)
    b = net.add(B, B_IEEE)
    send(net, bytes(100))
    net.run(10_000_000)
    assert len(b.endpoints[1].indications) == 1
    first = next(c for _, s, c in net.log if s == A)
    n_acks = len(acks(net, B))
    b.nwk.indicate(first.nsdu, A)  # a stray retransmission of block 0
    net.run(11_000_000)
    assert len(b.endpoints[1].indications) == 1 and len(acks(net, B)) == n_acks + 1
    net.run(40_000_000)  # after the entry and the duplicate record are gone
    assert len(b.aps.reassembler) == 0


def test_fragmented_to_ieee_destination() -> None:
    net = FakeNet()
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    a.aps.apsde_data_request(ApsAddrMode.IEEE, B_IEEE, 1, HA, 1, 1, bytes(400), tx_options=FRAG)
    net.run(10_000_000)
    assert [i.asdu for i in b.endpoints[1].indications] == [bytes(400)]


def test_impossible_blocks_are_dropped() -> None:
    net = FakeNet(max_nsdu=40)
    net.add(A, A_IEEE)
    b = net.add(B, B_IEEE)
    base = dict(
        frame_type=ApsFrameType.DATA,
        ack_request=True,
        dst_endpoint=1,
        cluster_id=1,
        profile_id=HA,
        src_endpoint=1,
        counter=5,
        payload=b"x",
    )
    for ext in (
        ExtendedHeader(Fragmentation.FIRST, 0),  # zero blocks
        ExtendedHeader(Fragmentation.SUBSEQUENT, 0),  # subsequent block 0
        ExtendedHeader(3, 1),  # reserved fragmentation value
    ):
        b.nwk.indicate(ApsFrame(**base, extended_header=ext).encode(), A)  # type: ignore[arg-type]
    b.nwk.indicate(
        ApsFrame(
            **{**base, "ack_request": False}, extended_header=ExtendedHeader(Fragmentation.FIRST, 2)
        ).encode(),  # type: ignore[arg-type]
        A,
    )
    assert b.aps.stats.drops == {"bad_fragment": 4}
