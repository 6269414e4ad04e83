"""Capture filter: frame kinds, MAC source, ACKs kept with the frames they acknowledge."""

from __future__ import annotations

import pytest

from zigmesh.capture.filter import FRAME_KINDS, CaptureFilter, frame_kind, mac_source
from zigmesh.mac.commands import BeaconRequest, DataRequest
from zigmesh.mac.frames import Beacon, MacFrame

PAN = 0x1A2B
EXT = 0x00124B0000000007


def nwk(frame_type: int) -> bytes:
    """A NWK header's frame control (type in bits 0-1) and some bytes after it."""
    return bytes((0x08 | frame_type, 0x00)) + bytes(6)


def test_frame_kinds() -> None:
    beacon = MacFrame.beacon(PAN, 0x0000, Beacon()).encode()
    ack = MacFrame.ack(7).encode()
    request = MacFrame.command(BeaconRequest(), dst_pan=0xFFFF, dst_addr=0xFFFF).encode()
    poll = MacFrame.command(DataRequest(), dst_pan=PAN, dst_addr=0, src_addr=0x1234).encode()
    data = MacFrame.data(PAN, 0x0001, 0x1234, nwk(0)).encode()
    cmd = MacFrame.data(PAN, 0xFFFF, 0x1234, nwk(1)).encode()
    inter = MacFrame.data(PAN, 0xFFFF, 0x1234, nwk(3)).encode()
    assert [frame_kind(f) for f in (beacon, ack, request, poll, data, cmd, inter)] == [
        "beacon",
        "ack",
        "mac_command",
        "mac_command",
        "data",
        "nwk_command",
        "inter_pan",
    ]
    assert frame_kind(b"") == "other"
    assert frame_kind(bytes((0x05, 0x00, 0, 0, 0))) == "other"  # multipurpose (2015)
    assert set(FRAME_KINDS) >= {"beacon", "data", "ack", "mac_command", "nwk_command"}


def test_mac_source() -> None:
    assert mac_source(MacFrame.data(PAN, 0x0001, 0x1234, nwk(0)).encode()) == (2, 0x1234)
    assert mac_source(MacFrame.beacon(PAN, 0x0042, Beacon()).encode()) == (2, 0x0042)
    assoc = MacFrame.command(DataRequest(), dst_pan=PAN, dst_addr=0, src_addr=EXT).encode()
    assert mac_source(assoc) == (3, EXT)
    assert mac_source(MacFrame.ack(1).encode()) is None
    req = MacFrame.command(BeaconRequest(), dst_pan=0xFFFF, dst_addr=0xFFFF).encode()
    assert mac_source(req) is None


class Sink:
    def __init__(self) -> None:
        self.records: list[tuple[int, bytes]] = []

    def write(self, time_us: int, data: bytes) -> None:
        self.records.append((time_us, data))


def test_filter_by_kind() -> None:
    sink = Sink()
    f = CaptureFilter(sink, kinds=["beacon", "nwk_command"])
    frames = [
        MacFrame.beacon(PAN, 0, Beacon()).encode(),
        MacFrame.data(PAN, 1, 0x1234, nwk(0)).encode(),
        MacFrame.data(PAN, 0xFFFF, 0x1234, nwk(1)).encode(),
        MacFrame.ack(3).encode(),
    ]
    for t, fr in enumerate(frames):
        f.write(t, fr)
    assert [t for t, _ in sink.records] == [0, 2]
    assert (f.count, f.seen) == (2, 4)
    with pytest.raises(ValueError, match="unknown frame kinds"):
        CaptureFilter(sink, kinds=["beacons"])


def test_filter_by_sender_keeps_the_acks_of_kept_frames() -> None:
    sink = Sink()
    f = CaptureFilter(sink, sender=lambda mode, addr: mode == 2 and addr == 0x1234)
    mine = MacFrame.data(PAN, 0x0001, 0x1234, nwk(0), seq=9).encode()
    other = MacFrame.data(PAN, 0x0001, 0x4321, nwk(0), seq=10).encode()
    f.write(1_000, mine)
    f.write(1_900, MacFrame.ack(9).encode())  # the ACK of mine: kept
    f.write(3_000, other)
    f.write(3_900, MacFrame.ack(10).encode())  # the ACK of other: not
    f.write(4_000, MacFrame.ack(9).encode())  # a second ACK 9: nothing pending any more
    f.write(10_000, mine)
    f.write(50_000, MacFrame.ack(9).encode())  # too late to be mine's
    assert [t for t, _ in sink.records] == [1_000, 1_900, 10_000]
