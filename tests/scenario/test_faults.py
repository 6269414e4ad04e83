"""Scenario ``[[faults]]`` and ``[[attackers]]`` (issue 9): parsing with clear errors, and runs
whose summary shows each fault with its times and the network's response, the attackers, and
the network-health verdict."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from zigmesh.capture.pcap import write_pcap
from zigmesh.mac.frames import MacFrame
from zigmesh.scenario.config import ScenarioError, load_scenario, parse_scenario
from zigmesh.scenario.runner import print_run, run_scenario


def _base(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "seed": 3,
        "duration": "150s",
        "channel": 15,
        "nodes": [
            {"role": "coordinator", "name": "hub", "position": [0, 0]},
            {"role": "router", "name": "r", "positions": [[15, 0], [30, 0], [15, 15]]},
            {
                "role": "end_device",
                "name": "s",
                "positions": [[38, 4], [20, 20]],
                "poll_interval": "2s",
            },
        ],
        "traffic": [
            {"from": "s", "to": "coordinator", "every": "5s", "size": 12},
            {"from": "coordinator", "to": "r-2", "every": "5s", "size": 12},
        ],
    }
    doc.update(extra)
    return doc


def _err(doc: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(doc)
    return str(exc.value)


# -- parsing -----------------------------------------------------------------------------------


def test_every_fault_kind_parses() -> None:
    faults = [
        {"kind": "power_off", "target": "r-2", "at": "60s", "until": "90s", "every": "60s"},
        {"kind": "power_on", "target": ["r-1", "s"], "at": "10s"},
        {"kind": "reboot", "target": "coordinator", "at": "2m"},
        {"kind": "link", "between": ["r-1", [25, -5, 35, 5]], "db": 20, "at": "1m"},
        {"kind": "link", "between": ["hub", "routers"], "db": "cut", "at": "1m", "until": "2m"},
        {"kind": "frame_loss", "probability": 0.1, "at": 30},
        {"kind": "frame_loss", "probability": 1, "region": [0, 0, 20, 20], "at": 30},
        {"kind": "interference", "position": [5, 5], "power_dbm": 3, "duty_cycle": 0.5,
         "period": "20ms", "channel": 15, "at": "1m", "until": "70s", "name": "microwave"},
        {"kind": "move", "target": "s-1", "to": [50, 0], "at": "1m", "until": "2m"},
        {"kind": "move", "target": "s", "by": [1, 2], "at": "1m"},
    ]  # fmt: skip
    sc = parse_scenario(_base(faults=faults))
    f = sc.faults
    assert [x.kind for x in f] == [d["kind"] for d in faults]
    assert f[0].windows(sc.duration_us) == [(60_000_000, 90_000_000), (120_000_000, 150_000_000)]
    assert f[1].targets == ("r-1", "s-1", "s-2")
    assert f[2].targets == ("hub",) and f[2].until_us == 121_000_000  # reboot: 1 s off
    assert f[3].targets == ("r-1",) and f[3].peers == ("r-2",) and f[3].db == 20
    assert f[4].peers == ("r-1", "r-2", "r-3") and math.isinf(f[4].db)
    assert f[5].targets == () and f[5].probability == 0.1
    assert f[6].targets == ("hub", "r-1", "r-3", "s-2")
    assert f[7].name == "microwave" and f[7].period_us == 20_000 and f[7].duty_cycle == 0.5
    assert f[8].to == (50.0, 0.0, 0.0) and f[9].by == (1.0, 2.0, 0.0)
    assert f[0].name == "power_off#1"


@pytest.mark.parametrize(
    ("fault", "where", "problem"),
    [
        ({"at": "1m"}, "faults[0].kind", "missing"),
        ({"kind": "explode", "at": "1m"}, "faults[0].kind", "must be one of"),
        ({"kind": "power_off", "target": "r-1"}, "faults[0].at", "missing"),
        ({"kind": "power_off", "at": "1m"}, "faults[0].target", "missing"),
        ({"kind": "power_off", "target": "lamp", "at": "1m"}, "faults[0].target", "'lamp'"),
        ({"kind": "power_off", "target": "r-1", "at": "10m"}, "faults[0].at", "within the run"),
        ({"kind": "power_off", "target": "r-1", "at": "1m", "until": "30s"}, "faults[0].until",
         "after 'at'"),
        ({"kind": "power_off", "target": "r-1", "at": "1m", "until": "2m", "every": "30s"},
         "faults[0].every", "longer than the fault"),
        ({"kind": "power_off", "target": "r-1", "at": "1m", "db": 3}, "faults[0].db",
         "unknown key"),
        ({"kind": "power_off", "region": [100, 100, 200, 200], "at": "1m"}, "faults[0].region",
         "no node"),
        ({"kind": "link", "between": ["r-1"], "db": 3, "at": "1m"}, "faults[0].between", "[A, B]"),
        ({"kind": "link", "between": ["r-1", "r-2"], "at": "1m"}, "faults[0].db", "missing"),
        ({"kind": "link", "between": ["r-1", "r-2"], "db": -3, "at": "1m"}, "faults[0].db",
         "between 0"),
        ({"kind": "link", "between": ["r-1", "nope"], "db": 3, "at": "1m"},
         "faults[0].between[1]", "'nope'"),
        ({"kind": "frame_loss", "probability": 1.5, "at": "1m"}, "faults[0].probability",
         "between 0 and 1"),
        ({"kind": "frame_loss", "at": "1m"}, "faults[0].probability", "missing"),
        ({"kind": "interference", "at": "1m"}, "faults[0].position", "missing"),
        ({"kind": "interference", "position": [0, 0], "duty_cycle": 0, "at": "1m"},
         "faults[0].duty_cycle", "above 0"),
        ({"kind": "interference", "position": [0, 0], "channel": 27, "at": "1m"},
         "faults[0].channel", "11 to 26"),
        ({"kind": "move", "target": "s-1", "at": "1m"}, "faults[0]", "exactly one of"),
        ({"kind": "power_on", "target": "r-1", "at": "1m", "until": "2m"}, "faults[0].until",
         "no end"),
    ],
)  # fmt: skip
def test_fault_errors_name_the_key(fault: dict[str, Any], where: str, problem: str) -> None:
    text = _err(_base(faults=[fault]))
    assert f"{where}:" in text and problem in text, text


@pytest.mark.parametrize(
    ("attacker", "where", "problem"),
    [
        ({"position": [0, 0], "rate": 5}, "attackers[0].kind", "missing"),
        ({"kind": "bomb", "position": [0, 0]}, "attackers[0].kind", "must be one of"),
        ({"kind": "beacon", "rate": 5}, "attackers[0].position", "missing"),
        ({"kind": "beacon", "position": [0, 0]}, "attackers[0].rate", "missing"),
        ({"kind": "beacon", "position": [0, 0], "rate": 5000}, "attackers[0].rate", "between"),
        ({"kind": "jam", "position": [0, 0], "rate": 5}, "attackers[0].rate", "no rate"),
        ({"kind": "beacon", "position": [0, 0], "rate": 5, "start": "1m", "stop": "30s"},
         "attackers[0].stop", "after start"),
        ({"kind": "replay", "position": [0, 0], "rate": 5, "pcap": "/no/such.pcap"},
         "attackers[0].pcap", "no such file"),
        ({"kind": "beacon", "position": [0, 0], "rate": 5, "pcap": "x.pcap"},
         "attackers[0].pcap", "only a replay"),
        ({"kind": "beacon", "position": [0, 0], "rate": 5, "duty_cycle": 0.5}, "attackers[0]",
         "duty_cycle"),
    ],
)  # fmt: skip
def test_attacker_errors_name_the_key(attacker: dict[str, Any], where: str, problem: str) -> None:
    text = _err(_base(attackers=[attacker]))
    assert f"{where}" in text and problem in text, text


def test_faults_must_be_an_array_of_tables() -> None:
    assert "faults: must be an array" in _err(_base(faults={"kind": "reboot"}))
    assert "faults[0]: must be a table" in _err(_base(faults=[3]))


def test_replay_pcap_is_relative_to_the_scenario_file(tmp_path: Path) -> None:
    write_pcap(tmp_path / "old.pcap", [(0, MacFrame.data(0x1, 0xFFFF, 0x2, b"x").encode())])
    (tmp_path / "s.toml").write_text(
        'seed = 1\nduration = "1m"\n[[nodes]]\nrole = "coordinator"\nposition = [0, 0]\n'
        '[[attackers]]\nkind = "replay"\nposition = [1, 1]\nrate = 2\npcap = "old.pcap"\n'
    )
    sc = load_scenario(tmp_path / "s.toml")
    assert sc.attackers[0].pcap == str(tmp_path / "old.pcap")


# -- runs --------------------------------------------------------------------------------------


def _run(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    sc = parse_scenario(_base(**extra))
    res = run_scenario(sc, tmp_path, progress=False, plot=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == json.loads(json.dumps(res.summary))
    return summary


def test_faults_run_and_show_the_networks_response(tmp_path: Path) -> None:
    faults = [
        {"kind": "power_off", "target": "r-2", "at": "40s", "until": "55s"},
        {"kind": "reboot", "target": "coordinator", "at": "60s"},
        {"kind": "interference", "position": [25, 5], "power_dbm": 5, "at": "70s",
         "until": "80s"},
        {"kind": "frame_loss", "probability": 0.3, "at": "85s", "until": "95s"},
        # r-2 cut from the hub and the other routers: the hub's frames to it fail
        {"kind": "link", "between": ["r-2", [-5, -5, 20, 20]], "db": "cut", "at": "100s",
         "until": "105s"},
        {"kind": "move", "target": "s-2", "by": [5, 0], "at": "110s", "until": "115s"},
    ]  # fmt: skip
    s = _run(tmp_path, faults=faults)
    got = s["faults"]
    assert [f["kind"] for f in got] == [f["kind"] for f in faults]
    for f, spec in zip(got, faults, strict=True):
        (occ,) = f["occurrences"]
        assert occ["start_s"] == f["at_s"] and f["until_s"] is not None
        assert occ["recovered"] is True and 0 <= occ["recovery_s"] <= 15, (spec, occ)
        for key in ("messages_sent", "messages_lost", "mac_no_ack", "parent_losses", "rejoins"):
            assert occ[key] >= 0
    power, reboot, jam, loss, link, _move = got
    assert power["targets"] == ["r-2"] and reboot["until_s"] == 61.0
    assert jam["occurrences"][0]["jammed_s"] == 10.0
    assert jam["occurrences"][0]["mac_channel_access_failures"] > 0
    assert loss["occurrences"][0]["frames_dropped"] > 0
    assert link["cut"] is True and link["occurrences"][0]["mac_no_ack"] > 0
    # every node came back: healthy at the end
    assert s["health"]["healthy"] is True and s["health"]["reasons"] == []
    for row in s["per_node"]:
        h = row["health"]
        assert h["joined"] is True
        assert set(h) == {
            "joined", "parent", "rejoins", "parent_losses", "last_delivery_s",
            "since_last_delivery_s",
        }  # fmt: skip
    html = (tmp_path / "report.html").read_text()
    assert 'id="faults-table"' in html and "interference#3" in html and "Healthy" in html


def test_a_dead_router_makes_the_network_unhealthy(tmp_path: Path) -> None:
    s = _run(tmp_path, faults=[{"kind": "power_off", "target": "r-2", "at": "60s"}])
    h = s["health"]
    assert h["healthy"] is False
    assert "r-2 powered off" in h["reasons"]
    (occ,) = s["faults"][0]["occurrences"]
    assert occ["end_s"] is None
    r2 = next(r for r in s["per_node"] if r["name"] == "r-2")
    assert r2["health"]["joined"] is False and r2["health"]["since_last_delivery_s"] >= 85
    console = Console(record=True, width=160)
    from zigmesh.scenario.runner import RunResult
    from zigmesh.sim.world import World

    print_run(RunResult(World(), s, tmp_path), console)
    text = console.export_text()
    assert "UNHEALTHY: r-2 powered off" in text and "power_off#1" in text


def test_an_isolated_router_still_joined_is_reported_unhealthy(tmp_path: Path) -> None:
    """Every node reports JOINED, yet r-2 is cut off from everyone: the verdict says which
    flow stopped delivering and since when."""
    s = _run(
        tmp_path,
        faults=[
            {
                "kind": "link",
                "between": ["r-2", ["coordinator", "r-1", "r-3", "s"]],
                "db": "cut",
                "at": "80s",
            }
        ],
    )
    h = s["health"]
    assert h["healthy"] is False
    r2 = next(r for r in s["per_node"] if r["name"] == "r-2")
    assert r2["health"]["joined"] is True  # it believes it is fine
    assert any("from hub" in r and "0 of" in r for r in h["reasons"]), h["reasons"]
    (occ,) = s["faults"][0]["occurrences"]
    assert occ["recovered"] is False and occ["recovery_s"] is None
    assert any("r-2" in f for f in occ["not_recovered"])


def test_attackers_flood_replay_and_jam(tmp_path: Path) -> None:
    attackers = [
        {"kind": "beacon", "position": [10, 5], "rate": 100, "start": "30s", "stop": "40s"},
        {"kind": "association_request", "position": [10, 5], "rate": 20, "start": "40s",
         "stop": "50s"},
        {"kind": "data_request", "position": [10, 5], "rate": 20, "start": "50s", "stop": "60s"},
        {"kind": "beacon_request", "position": [10, 5], "rate": 10, "start": "60s",
         "stop": "70s"},
        {"kind": "replay", "position": [10, 5], "rate": 20, "start": "70s", "stop": "80s"},
        {"kind": "jam", "position": [10, 5], "power_dbm": 0, "duty_cycle": 0.2, "start": "80s",
         "stop": "85s", "name": "pulse"},
    ]  # fmt: skip
    s = _run(tmp_path, attackers=attackers)
    got = {a["name"]: a for a in s["attackers"]}
    assert got["beacon#1"]["frames_sent"] == 1000
    assert got["association_request#2"]["frames_sent"] == 200
    assert got["data_request#3"]["frames_sent"] == 200
    assert got["beacon_request#4"]["frames_sent"] == 100
    assert got["replay#5"]["frames_sent"] == 200 and got["replay#5"]["frames_heard"] > 0
    assert got["pulse"]["jammed_s"] == 1.0
    assert s["health"]["healthy"] is True
    assert s["delivery"]["delivery_ratio"] > 0.9


def test_faults_example_runs_and_the_network_heals(tmp_path: Path) -> None:
    """examples/faults.toml: every fault and attack of the example, and a healthy network at
    the end."""
    root = Path(__file__).resolve().parent.parent.parent
    sc = load_scenario(root / "examples" / "faults.toml")
    res = run_scenario(sc, tmp_path, progress=False, plot=False, report=False)
    s = res.summary
    assert [f["kind"] for f in s["faults"]] == [
        "reboot", "power_off", "link", "interference", "frame_loss", "move",
    ]  # fmt: skip
    assert len(s["faults"][1]["occurrences"]) == 2  # every 2m30s
    for f in s["faults"]:
        for occ in f["occurrences"]:
            assert occ["recovered"] is True and occ["recovery_s"] < 15, (f["name"], occ)
    assert [a["frames_sent"] for a in s["attackers"]] == [1500, 400]
    assert s["health"]["healthy"] is True
    assert s["delivery"]["delivery_ratio"] > 0.95
