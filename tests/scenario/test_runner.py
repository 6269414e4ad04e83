"""``zigmesh run``: the default house end to end, determinism, outputs, bad scenarios (#4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.cli import main
from zigmesh.scenario.config import default_scenario, parse_scenario
from zigmesh.scenario.runner import run_scenario, trace_route


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("house")
    result = run_scenario(default_scenario(), out, progress=False)
    return out, result.summary


def test_default_house_joins_and_delivers(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, s = house
    assert s["nodes"] == 31 and s["joined"] == 31
    assert 0 < s["formation_time_s"] < 30
    roles = {n["role"] for n in s["per_node"]}
    assert roles == {"coordinator", "router", "end_device"}
    for n in s["per_node"]:
        assert n["short_address"] is not None and n["joined_at_s"] is not None
        assert (n["parent"] is None) == (n["role"] == "coordinator")
    assert len(s["flows"]) == 6
    for f in s["flows"]:
        assert f["sent"] > 0
        assert f["delivery_ratio"] >= 0.95, f
        assert f["latency_ms"]["p50"] > 0 and f["hops"]["max"] >= 1
    assert s["totals"]["mac_frames_sent"] > 0 and s["totals"]["link_status_sent"] > 0
    assert len(s["energy"]) == 20  # every sleepy end device has energy figures
    assert json.loads((out / "summary.json").read_text()) == s


def test_outputs_exist_and_wireshark_reads_the_capture(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, _ = house
    png = (out / "network.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    pcap = out / "capture.pcap"
    assert_no_malformed(pcap)
    rows = tshark_fields(pcap, ["wpan.cmd", "zbee_nwk.cmd.id", "zbee_aps.cluster"])
    assert any(r[0] == "0x01" for r in rows)  # association requests
    assert any(r[1] == "0x08" for r in rows)  # link status
    assert sum(r[2].startswith("0xfc") for r in rows) > 100  # the traffic


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    spec = {
        "seed": 5,
        "duration": "40s",
        "nodes": [
            {"role": "coordinator", "name": "c", "position": [0, 0]},
            {
                "role": "router",
                "name": "r",
                "count": 3,
                "grid": {"rows": 1, "cols": 3, "spacing": 15},
            },
            {"role": "end_device", "name": "e", "position": [20, 5], "poll_interval": "2s"},
        ],
        "traffic": [{"from": "e", "to": "coordinator", "every": "5s", "size": 10}],
    }
    a = run_scenario(parse_scenario(spec, "t"), tmp_path / "a", progress=False, plot=False)
    b = run_scenario(parse_scenario(spec, "t"), tmp_path / "b", progress=False, plot=False)
    c = run_scenario(
        parse_scenario({**spec, "seed": 6}, "t"), tmp_path / "c", progress=False, plot=False
    )
    pa, pb, pc = (
        (p / "capture.pcap").read_bytes() for p in (tmp_path / "a", tmp_path / "b", tmp_path / "c")
    )
    assert pa == pb and pa != pc
    assert (tmp_path / "a" / "summary.json").read_bytes() == (
        tmp_path / "b" / "summary.json"
    ).read_bytes()
    assert a.summary["flows"][0]["delivered"] > 0
    route = trace_route(a.world, "e", "c")
    assert route[0] == "e" and route[-1] == "c"
    del b, c


def test_cli_run_with_seed_and_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = tmp_path / "s.toml"
    scn.write_text(
        'seed = 1\nduration = "30s"\n'
        '[[nodes]]\nrole = "coordinator"\nposition = [0, 0]\n'
        '[[nodes]]\nrole = "router"\nname = "r"\nposition = [10, 0]\n'
        '[[traffic]]\nfrom = "r"\nto = "coordinator"\nevery = "5s"\nsize = 8\n'
    )
    assert main(["run", str(scn), "--out", str(tmp_path / "o"), "--seed", "3", "-q"]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["scenario"]["seed"] == 3 and s["joined"] == 2
    assert "Traffic" in capsys.readouterr().out


def test_cli_rejects_bad_scenarios_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scn = tmp_path / "bad.toml"
    scn.write_text(
        'seed = 1\nduration = "1m"\n[[nodes]]\nrole = "coordinator"\nposition = [0, 0]\ncolour = "red"\n'
    )
    assert main(["run", str(scn), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "nodes[0].colour" in err
    assert not (tmp_path / "o").exists()
    assert main(["run", str(tmp_path / "missing.toml")]) == 2


def test_zigmesh_decode_reads_the_run_capture(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    from zigmesh.capture.dissect import Dissector
    from zigmesh.capture.pcap import read_pcap

    out, _ = house
    dis = Dissector()
    frames = [
        dis.dissect(i, r.time_us, r.data) for i, r in enumerate(read_pcap(out / "capture.pcap"), 1)
    ]
    assert len(frames) > 1000
    assert [f.error for f in frames if f.error] == []
    assert sum("nwk_command" in f.layers for f in frames) > 100
    assert sum("zcl" in f.layers for f in frames) > 100
