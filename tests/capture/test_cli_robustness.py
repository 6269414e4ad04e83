"""Issue 9, command-line robustness of ``zigmesh decode`` and the pcap reader: the link type is
checked (195 with FCS and 230 without FCS are decoded, anything else is refused by name),
pcapng files are read, the file is streamed, a missing file gives a plain message, and
``zigmesh decode ... | head`` ends quietly."""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.capture.pcap import PcapRecord, PcapWriter, read_pcap, write_pcap
from zigmesh.capture.sample import sample_join_frames
from zigmesh.cli import main
from zigmesh.errors import DecodeError

EXAMPLE = Path(__file__).parents[2] / "examples" / "join.pcap"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _classic(path: Path, linktype: int, records: list[tuple[int, bytes]]) -> Path:
    with PcapWriter(path, linktype) as w:
        for t, data in records:
            w.write(t, data)
    return path


def _block(endian: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)


def _pcapng(records: list[tuple[int, bytes]], linktype: int = 195, endian: str = "<") -> bytes:
    """SHB, an IDB with nanosecond timestamps, then one EPB per record (and a skipped
    name-resolution block, and an option in the SHB)."""
    shb = struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    shb += struct.pack(endian + "HH", 4, 7) + b"zigmesh\0" + struct.pack(endian + "HH", 0, 0)
    idb = struct.pack(endian + "HHI", linktype, 0, 0)
    idb += struct.pack(endian + "HHB3x", 9, 1, 9) + struct.pack(endian + "HH", 0, 0)
    out = _block(endian, 0x0A0D0D0A, shb) + _block(endian, 1, idb)
    out += _block(endian, 4, struct.pack(endian + "HH", 0, 0))
    for t, data in records:
        ts = t * 1000
        epb = struct.pack(endian + "IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
        out += _block(endian, 6, epb + data)
    return out


# -- link types ----------------------------------------------------------------------------


@pytest.mark.parametrize(("linktype", "name"), [(1, "Ethernet"), (283, "TAP"), (147, "")])
def test_other_link_types_are_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], linktype: int, name: str
) -> None:
    p = _classic(tmp_path / "x.pcap", linktype, sample_join_frames())
    with pytest.raises(DecodeError) as exc:
        next(read_pcap(p))
    assert exc.value.field == "pcap.linktype" and exc.value.offset == 20
    rc, out, err = _run(capsys, "decode", str(p))
    assert rc == 2 and out == ""
    assert f"link type {linktype}" in err and name in err and "not supported" in err
    assert "195" in err and "230" in err


def test_link_type_230_without_fcs_decodes_like_195(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = sample_join_frames()
    nofcs = _classic(tmp_path / "nofcs.pcap", 230, [(t, d[:-2]) for t, d in frames])
    assert [(r.time_us, r.data) for r in read_pcap(nofcs)] == frames
    rc, out, err = _run(capsys, "decode", str(nofcs))
    _, want, _ = _run(capsys, "decode", str(EXAMPLE))
    assert rc == 0 and err == "" and out == want
    assert "0 with decode errors" in out


# -- pcapng --------------------------------------------------------------------------------


@pytest.mark.parametrize("endian", ["<", ">"])
def test_pcapng_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str], endian: str) -> None:
    frames = sample_join_frames()
    p = tmp_path / "join.pcapng"
    p.write_bytes(_pcapng(frames, endian=endian))
    assert [(r.time_us, r.data) for r in read_pcap(p)] == frames
    q = tmp_path / "nofcs.pcapng"
    q.write_bytes(_pcapng([(t, d[:-2]) for t, d in frames], linktype=230, endian=endian))
    assert [(r.time_us, r.data) for r in read_pcap(q)] == frames
    rc, out, _ = _run(capsys, "decode", str(p))
    _, want, _ = _run(capsys, "decode", str(EXAMPLE))
    assert rc == 0 and out == want


def test_pcapng_written_by_editcap_reads_like_the_pcap(tmp_path: Path) -> None:
    from shutil import which

    if which("editcap") is None:
        pytest.skip("editcap (Wireshark) is not installed")
    p = tmp_path / "join.pcapng"
    subprocess.run(["editcap", "-F", "pcapng", str(EXAMPLE), str(p)], check=True)
    assert list(read_pcap(p)) == list(read_pcap(EXAMPLE))


def test_pcapng_errors_name_field_and_offset(tmp_path: Path) -> None:
    good = _pcapng(sample_join_frames()[:2])
    p = tmp_path / "x.pcapng"
    p.write_bytes(_pcapng(sample_join_frames()[:1], linktype=1))
    with pytest.raises(DecodeError) as exc:
        list(read_pcap(p))
    assert exc.value.field == "pcap.linktype"
    p.write_bytes(good[:-3])
    with pytest.raises(DecodeError) as exc:
        list(read_pcap(p))
    assert exc.value.field == "pcapng.block_body"
    broken = bytearray(good)
    broken[-1] ^= 0x40  # trailing length of the last block
    p.write_bytes(bytes(broken))
    with pytest.raises(DecodeError) as exc:
        list(read_pcap(p))
    assert exc.value.field == "pcapng.block_total_length" and exc.value.offset == len(good) - 4


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_any_pcapng_bytes_read_or_decode_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    p = tmp_path_factory.mktemp("ng") / "x.pcapng"
    p.write_bytes(_pcapng(sample_join_frames()[:1])[:28] + data)
    with contextlib.suppress(DecodeError):
        list(read_pcap(p))


# -- streaming, missing files, broken pipes ------------------------------------------------


def test_records_are_streamed_not_read_whole(tmp_path: Path) -> None:
    p = tmp_path / "big.pcap"
    frame = sample_join_frames()[0][1]
    write_pcap(p, [PcapRecord(i, frame) for i in range(20_000)])
    recs = read_pcap(p)
    first = next(recs)
    assert first.data == frame
    # the file shrinks under the reader: a reader that had read it whole would not notice
    with open(p, "r+b") as f:
        f.truncate(24 + 16 + len(frame))
    n = 1
    try:
        for _ in recs:
            n += 1
    except DecodeError:
        pass
    assert n < 20_000


def test_missing_capture_is_a_plain_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.pcap"
    for argv in (["decode", str(missing)], ["decode", "-2", str(missing)]):
        rc, out, err = _run(capsys, *argv)
        assert rc == 2 and out == ""
        assert err == f"zigmesh decode: {missing}: no such file or directory\n"
        assert "Errno" not in err


def test_decode_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    p = tmp_path / "big.pcap"
    frames = sample_join_frames()
    write_pcap(p, [PcapRecord(i * 1000, frames[i % len(frames)][1]) for i in range(5_000)])
    env = dict(os.environ, PYTHONUNBUFFERED="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "zigmesh.cli", "decode", "-v", str(p)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # like `head -1`
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    rc = proc.wait(timeout=60)
    assert err == b"" and rc == 0
