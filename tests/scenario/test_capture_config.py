"""Scenario ``capture``: off, or filtered by sender and frame kind; the summary does not change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zigmesh.capture.filter import frame_kind, mac_source
from zigmesh.capture.pcap import read_pcap
from zigmesh.scenario.capture_config import CaptureSpec
from zigmesh.scenario.config import ScenarioError, parse_scenario
from zigmesh.scenario.runner import run_scenario


def spec(**top: Any) -> dict[str, Any]:
    return {
        "seed": 5,
        "duration": "30s",
        "security": False,
        "nodes": [
            {"role": "coordinator", "name": "c", "position": [0, 0]},
            {"role": "router", "name": "r", "count": 2, "grid": {"rows": 1, "cols": 2, "spacing": 15}},
            {"role": "end_device", "name": "e", "position": [20, 5], "poll_interval": "2s"},
        ],
        "traffic": [{"from": "e", "to": "coordinator", "every": "5s", "size": 10}],
        **top,
    }


def error(capture: object) -> str:
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(spec(capture=capture), "t.toml")
    return str(ei.value)


def test_parse() -> None:
    assert parse_scenario(spec(), "t").capture == CaptureSpec()
    assert parse_scenario(spec(capture=False), "t").capture == CaptureSpec(enabled=False)
    sc = parse_scenario(spec(capture={"nodes": ["r", "e"], "frames": ["data", "beacon"]}), "t")
    assert sc.capture == CaptureSpec(True, ("e", "r-1", "r-2"), ("beacon", "data"))
    assert sc.capture.filtered
    roles = parse_scenario(spec(capture={"nodes": ["coordinator", "end_devices"]}), "t")
    assert roles.capture.nodes == ("c", "e")
    assert parse_scenario(spec(capture={"enabled": False}), "t").capture.enabled is False


def test_errors() -> None:
    assert "capture: must be true, false or a [capture] table" in error("yes")
    assert "capture.node: unknown key" in error({"node": ["c"]})
    assert "did you mean 'nodes'?" in error({"node": ["c"]})
    assert "capture.nodes[1]: no node, group or role named 'rr'; did you mean 'r'?" in error(
        {"nodes": ["c", "rr"]}
    )
    msg = error({"frames": ["beacons"]})
    assert "capture.frames[0]: unknown frame kind 'beacons' (did you mean 'beacon'?)" in msg
    assert "one of beacon, data, ack, mac_command, nwk_command" in msg
    assert "capture.frames: is empty" in error({"frames": []})
    assert "use capture = false" in error({"nodes": []})
    assert "capture.nodes[0]: must be a string" in error({"nodes": [3]})
    assert "capture.enabled: must be true or false" in error({"enabled": "no"})


def test_capture_off_writes_no_file_and_the_same_summary(tmp_path: Path) -> None:
    on = run_scenario(parse_scenario(spec(), "t"), tmp_path / "on", progress=False, plot=False)
    off = run_scenario(
        parse_scenario(spec(capture=False), "t"), tmp_path / "off", progress=False, plot=False
    )
    assert (tmp_path / "on" / "capture.pcap").exists()
    assert not (tmp_path / "off" / "capture.pcap").exists()
    assert "capture" not in off.files and "capture" in on.files
    assert (tmp_path / "on" / "summary.json").read_bytes() == (
        tmp_path / "off" / "summary.json"
    ).read_bytes()
    html = (tmp_path / "off" / "report.html").read_text()
    assert 'href="capture.pcap"' not in html and "no capture written" in html
    assert 'href="capture.pcap"' in (tmp_path / "on" / "report.html").read_text()


def test_filtered_capture(tmp_path: Path) -> None:
    full = run_scenario(parse_scenario(spec(), "t"), tmp_path / "all", progress=False, plot=False)
    every = list(read_pcap(tmp_path / "all" / "capture.pcap"))
    sc = parse_scenario(spec(capture={"frames": ["beacon", "nwk_command"]}), "t")
    run_scenario(sc, tmp_path / "kinds", progress=False, plot=False, report=False)
    kept = list(read_pcap(tmp_path / "kinds" / "capture.pcap"))
    assert kept == [r for r in every if frame_kind(r.data) in ("beacon", "nwk_command")]
    assert {frame_kind(r.data) for r in kept} == {"beacon", "nwk_command"}

    sc = parse_scenario(spec(capture={"nodes": ["e"]}), "t")
    r = run_scenario(sc, tmp_path / "e", progress=False, plot=False, report=False)
    e = r.world.nodes["e"]
    ours = {(2, e.network_address), (3, e.eui64)}
    kept = list(read_pcap(tmp_path / "e" / "capture.pcap"))
    sent = [x for x in kept if frame_kind(x.data) != "ack"]
    assert sent and all(mac_source(x.data) in ours for x in sent)
    assert [x for x in every if mac_source(x.data) in ours] == sent
    acks = [x for x in kept if frame_kind(x.data) == "ack"]
    assert acks  # its polls and data frames were acknowledged by its parent
    assert r.summary == full.summary
