"""``zigmesh decode`` on the shipped sample capture and on bad input (issue #2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.capture.dissect import Dissector
from zigmesh.capture.pcap import read_pcap, write_pcap
from zigmesh.capture.sample import NETWORK_KEY, sample_join_frames
from zigmesh.cli import main
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY

EXAMPLE = Path(__file__).parents[2] / "examples" / "join.pcap"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_shipped_example_is_what_the_encoder_makes() -> None:
    assert [(r.time_us, r.data) for r in read_pcap(EXAMPLE)] == sample_join_frames()


def test_wireshark_decodes_and_decrypts_the_example() -> None:
    keys = {"network_keys": (NETWORK_KEY.hex(),), "link_keys": (DEFAULT_TC_LINK_KEY.hex(),)}
    assert_no_malformed(EXAMPLE, **keys)
    rows = tshark_fields(
        EXAMPLE, ["frame.protocols", "zbee_aps.cmd.id", "zbee_aps.cmd.key"], **keys
    )
    protos = [r[0] for r in rows]
    assert sum("zbee_zdp" in p for p in protos) == 3  # Device_annce, Node_Desc req/rsp
    assert sum("zbee_zcl" in p for p in protos) == 2  # Read Attributes (+rsp)
    assert [(r[1], r[2]) for r in rows if r[1]] == [
        ("0x05", NETWORK_KEY.hex())
    ]  # Transport-Key decrypted


def test_json_learns_network_key_from_transport_key(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "decode", str(EXAMPLE), "--json")
    assert rc == 0
    frames = [json.loads(line) for line in out.splitlines()]
    assert len(frames) == 21
    assert all(f["error"] is None for f in frames)
    tk = frames[8]
    assert tk["layers"]["aps_command"]["_type"] == "TransportNetworkKey"
    assert tk["layers"]["aps_command"]["key"] == NETWORK_KEY.hex()
    assert "learned network key " + NETWORK_KEY.hex() in tk["notes"]
    annce = frames[10]["layers"]
    assert annce["zdp"]["_type"] == "DeviceAnnce"
    assert annce["zdp"]["ieee_addr"] == "00:12:4b:00:00:00:00:42"
    rsp = frames[17]["layers"]
    assert rsp["zcl_command"]["_type"] == "ReadAttributesResponse"
    assert [r["value"] for r in rsp["zcl_command"]["records"]] == [True, 255]
    assert rsp["nwk"]["aux"]["key_id"] == "NETWORK_KEY"


def test_text_and_verbose_output(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "decode", str(EXAMPLE))
    assert rc == 0
    lines = out.splitlines()
    assert len(lines) == 22 and lines[-1] == "-- 21 frame(s), 0 with decode errors"
    assert "BeaconRequest" in lines[0] and "ZCL ReadAttributesResponse" in lines[17]
    rc, out, _ = run(capsys, "decode", str(EXAMPLE), "-v")
    assert "  zcl_command: ReadAttributesResponse" in out
    assert "NWK decrypted with network key" in out


def test_without_the_transport_key_frame_payloads_stay_encrypted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = [f for i, f in enumerate(sample_join_frames()) if i != 8]
    p = tmp_path / "nokey.pcap"
    write_pcap(p, frames)
    _, out, _ = run(capsys, "decode", str(p), "--json")
    objs = [json.loads(line) for line in out.splitlines()]
    assert "zdp" not in objs[9]["layers"]
    assert any("no network key verified" in n for n in objs[9]["notes"])
    _, out, _ = run(capsys, "decode", str(p), "--json", "--network-key", NETWORK_KEY.hex())
    assert json.loads(out.splitlines()[9])["layers"]["zdp"]["_type"] == "DeviceAnnce"


def test_bad_frames_print_their_error_and_decoding_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = sample_join_frames()
    truncated_beacon = bytes.fromhex("00805600 05FA0722CF00".replace(" ", ""))
    bad_fcs = good[1][1][:-1] + bytes([good[1][1][-1] ^ 0xFF])
    p = tmp_path / "bad.pcap"
    write_pcap(p, [good[0], (2, truncated_beacon), (3, bad_fcs), (4, b""), good[3]])
    rc, out, _ = run(capsys, "decode", str(p))
    assert rc == 0
    lines = out.splitlines()
    assert (
        "!! DecodeError" in lines[1]
        and "!! DecodeError: fcs" in lines[2]
        and "!! DecodeError" in lines[3]
    )
    assert "ACK" in lines[4]
    assert lines[-1] == "-- 5 frame(s), 3 with decode errors"


def test_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["decode", str(EXAMPLE), "--network-key", "1234"])
    assert "16 bytes" in capsys.readouterr().err
    notpcap = tmp_path / "x.pcap"
    notpcap.write_bytes(b"definitely not a pcap file at all")
    rc, _, err = run(capsys, "decode", str(notpcap))
    assert rc == 2 and "pcap.magic" in err
    rc, _, err = run(capsys, "decode", str(tmp_path / "missing.pcap"))
    assert rc == 2


def test_dissector_rejects_bad_key_lengths() -> None:
    with pytest.raises(ValueError):
        Dissector([b"short"])
