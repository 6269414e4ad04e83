"""pcap reader/writer (LINKTYPE_IEEE802_15_4_WITHFCS = 195, microsecond timestamps)."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.capture.pcap import LINKTYPE_IEEE802_15_4_WITHFCS, PcapRecord, read_pcap, write_pcap
from zigmesh.errors import DecodeError


def test_round_trip_and_header(tmp_path: Path) -> None:
    p = tmp_path / "a.pcap"
    recs = [PcapRecord(0, b"\x02\x00\x01\x00\x00"), PcapRecord(1_234_567_890, bytes(range(127)))]
    write_pcap(p, recs)
    raw = p.read_bytes()
    magic, vmaj, vmin, _tz, _sig, snap, link = struct.unpack_from("<IHHiIII", raw)
    assert (magic, vmaj, vmin, link) == (
        0xA1B2C3D4,
        2,
        4,
        LINKTYPE_IEEE802_15_4_WITHFCS == 195 and 195,
    )
    assert snap >= 127
    # record header: seconds, microseconds, incl, orig
    assert struct.unpack_from("<IIII", raw, 24 + 16 + 5) == (1234, 567_890, 127, 127)
    assert list(read_pcap(p)) == recs


def test_nanosecond_and_big_endian_files_are_read(tmp_path: Path) -> None:
    p = tmp_path / "ns.pcap"
    p.write_bytes(
        struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 195)
        + struct.pack(">IIII", 2, 5_000, 3, 3)
        + b"abc"
    )
    assert list(read_pcap(p)) == [PcapRecord(2_000_005, b"abc")]


@pytest.mark.parametrize("cut", [0, 10, 24 + 8, 24 + 16 + 2])
def test_truncated_files_raise_decode_error(tmp_path: Path, cut: int) -> None:
    good = tmp_path / "g.pcap"
    write_pcap(good, [(5, b"hello")])
    bad = tmp_path / "b.pcap"
    bad.write_bytes(good.read_bytes()[:cut] if cut else b"nope" * 10)
    with pytest.raises(DecodeError):
        list(read_pcap(bad))


@settings(max_examples=200, deadline=None)  # file I/O per example: slow on a loaded machine
@given(st.binary(max_size=200))
def test_any_bytes_read_or_decode_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    p = tmp_path_factory.getbasetemp() / "any-bytes.pcap"  # one file, rewritten per example
    p.write_bytes(data)
    with contextlib.suppress(DecodeError):
        list(read_pcap(p))
