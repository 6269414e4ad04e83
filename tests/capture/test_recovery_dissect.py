"""Issue 9 item 7: the Dissector reassembles an APS message only from its complete, in-range
block set. It reported "reassembled from 2 block(s)" after block 0 of 2 and a block 7, and
decoded the partial message; now a block index outside the message is set aside and said so,
the missing blocks are named, and a message abandoned by a new first block is reported."""

from __future__ import annotations

from zigmesh.aps.frames import ApsFrame, ApsFrameType, ExtendedHeader, Fragmentation
from zigmesh.capture.dissect import DecodedFrame, Dissector
from zigmesh.mac.frames import MacFrame
from zigmesh.nwk.frames import NwkFrame, NwkFrameType

PAN = 0x1A62
SRC = 0x1234
#: a ZCL Read Attributes (frame control, sequence, command 0x00, attribute 0x0000), in pieces
ZCL = bytes((0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00))


def _fragment(block: int, payload: bytes, *, first: bool, counter: int = 9) -> bytes:
    aps = ApsFrame(
        ApsFrameType.DATA,
        dst_endpoint=1,
        cluster_id=0x0000,
        profile_id=0x0104,
        src_endpoint=1,
        counter=counter,
        extended_header=ExtendedHeader(
            Fragmentation.FIRST if first else Fragmentation.SUBSEQUENT, block
        ),
        payload=payload,
    )
    nwk = NwkFrame(NwkFrameType.DATA, 0x0000, SRC, 30, 1, aps.encode())
    return MacFrame.data(PAN, 0x0000, SRC, nwk.encode(), seq=1).encode()


def _run(*psdus: bytes) -> list[DecodedFrame]:
    d = Dissector()
    return [d.dissect(i, i * 1000, p) for i, p in enumerate(psdus)]


def _notes(f: DecodedFrame) -> str:
    return " | ".join(f.notes)


def test_out_of_range_block_is_not_reassembled() -> None:
    first, stray = _run(
        _fragment(2, ZCL[:3], first=True),  # block 0 of 2
        _fragment(7, ZCL[3:], first=False),  # block 7 of a 2-block message
    )
    assert "zcl" not in first.layers and "missing 1" in _notes(first)
    assert "reassembled" not in _notes(stray)
    assert "zcl" not in stray.layers and stray.error is None
    assert "APS fragment 7 out of range" in _notes(stray) and "2 block(s)" in _notes(stray)


def test_complete_set_in_any_order_is_reassembled_once() -> None:
    frames = _run(
        _fragment(3, ZCL[:2], first=True),
        _fragment(2, ZCL[4:], first=False),
        _fragment(2, ZCL[4:], first=False),  # a retransmission
        _fragment(1, ZCL[2:4], first=False),
    )
    assert [("zcl" in f.layers) for f in frames] == [False, False, False, True]
    assert "missing 1-2" in _notes(frames[0]) and "missing 1" in _notes(frames[1])
    assert "again" in _notes(frames[2])
    assert "reassembled from 3 block(s)" in _notes(frames[3])
    zcl = frames[3].layers["zcl"]
    assert zcl.header.command_id == 0x00 and zcl.payload == ZCL[3:]


def test_abandoned_message_reports_its_gaps() -> None:
    a, b, c = _run(
        _fragment(4, ZCL[:2], first=True),
        _fragment(2, ZCL[2:4], first=False),
        _fragment(1, ZCL, first=True),  # same source and counter: a new message
    )
    assert "missing 1, 3" in _notes(b)
    assert "left incomplete, missing 1, 3" in _notes(c)
    assert "zcl" in c.layers  # a one-block "fragmented" message is whole at once


def test_first_block_announcing_no_blocks_and_orphan_blocks() -> None:
    zero, orphan = _run(_fragment(0, ZCL, first=True), _fragment(1, ZCL, first=False, counter=3))
    assert "announces 0 blocks" in _notes(zero) and "zcl" not in zero.layers
    assert "without its first block" in _notes(orphan) and "zcl" not in orphan.layers
