"""Scenario runs with devices (issue 8): the coordinator's hub interviews them, a switch bound
to a group of lights toggles and dims all of them (acted-on counts and press-to-change
latency in summary.json), sensors' reports and alarms reach the hub's registry, a lock is
operated, byte flows share endpoint 1 with the devices; the default house's interviews all
complete and ``zigmesh run`` shows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zigmesh.cli import main
from zigmesh.scenario.config import parse_scenario
from zigmesh.scenario.runner import FLOW_CLUSTER_BASE, RunResult, run_scenario
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF
from zigmesh.zcl.clusters.measurement import TEMPERATURE_MEASUREMENT

S = 1_000_000


def group_home() -> dict[str, Any]:
    return {
        "seed": 11,
        "duration": "80s",
        "channel": 15,
        "nodes": [
            {"role": "coordinator", "name": "hub", "position": [0, 0]},
            {
                "role": "router",
                "name": "lamp",
                "device": "dimmable_light",
                "positions": [[12, 0], [0, 12], [12, 12]],
            },
            {"role": "router", "name": "switch", "device": "dimmer_switch", "position": [-10, 4]},
            {
                "role": "end_device",
                "name": "temp",
                "device": "temperature_sensor",
                "position": [18, 4],
                "poll_interval": "30s",
            },
            {"role": "end_device", "name": "door", "device": "contact_sensor", "position": [4, 18]},
            {
                "role": "end_device",
                "name": "lock",
                "device": "door_lock",
                "position": [-6, 12],
                "poll_interval": "1s",
            },
        ],
        "groups": [{"id": 0x0042, "name": "living", "members": "lamp"}],
        "bindings": [{"from": "switch", "group": "living"}],
        "traffic": [
            {"action": "toggle", "from": "switch", "every": "5s"},
            {"action": "level", "from": "switch", "every": "7s"},
            {"action": "random_walk", "from": "temp", "every": "6s", "step": 150},
            {"action": "open_close", "from": "door", "every": "10s"},
            {"action": "lock", "from": "lock", "every": "12s"},
            {"from": "temp", "to": "coordinator", "every": "10s", "size": 8},
        ],
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    out = tmp_path_factory.mktemp("app")
    return run_scenario(parse_scenario(group_home(), "t"), out, progress=False, report=False)


def test_switch_bound_to_a_group_changes_every_light(run: RunResult) -> None:
    app = run.summary["app"]
    assert app["interviews"] == {
        "devices": 7,
        "completed": 7,
        "failed": 0,
        "duration_s": app["interviews"]["duration_s"],
    }
    actions = {a["action"]: a for a in app["actions"]}
    for kind in ("toggle", "level"):
        a = actions[kind]
        assert a["sent"] > 5 and a["skipped"] == 0
        assert a["expected"] == 3 * a["sent"]  # a press is meant for each of the 3 lights
        assert a["acted_on"] >= 0.95 * a["expected"], a
        lat = a["latency_ms"]
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"] < 3000, lat
    devices = {d["name"]: d for d in app["devices"]}
    sw = devices["switch"]
    assert sw["commands_sent"] == actions["toggle"]["sent"] + actions["level"]["sent"]
    lamps = [devices[f"lamp-{k}"] for k in (1, 2, 3)]
    assert (
        sum(d["acted_on"] for d in lamps)
        == actions["toggle"]["acted_on"] + actions["level"]["acted_on"]
    )
    for d in lamps:
        assert d["commands_received"] >= d["acted_on"] > 0
        assert d["latency_ms"]["p50"] is not None
        assert d["reports_at_hub"] > 0  # on/off and level reports to the hub
    all_lat = app["commands"]["latency_ms"]
    assert set(all_lat) == {"p50", "p90", "p99", "mean", "max"}
    # the lights agree with each other (as last reported to the hub): every press reached
    # all three
    world = run.world
    states = {_light(run, f"lamp-{k}") for k in (1, 2, 3)}
    assert len(states) == 1 and None not in next(iter(states)), states
    # the switch's binding is to the group: one groupcast per press
    (entry, *_) = [b for b in world["switch"].aps.binding_table if b.cluster_id == ON_OFF.id]
    assert entry.is_group and entry.dst_addr == 0x0042
    assert all(world[f"lamp-{k}"].aps.group_table.is_member(0x0042, 1) for k in (1, 2, 3))


def _light(run: RunResult, name: str) -> tuple[object, object]:
    node = run.world[name]
    hub = run.summary["app"]["hub"]
    rec = next(r for r in hub["registry"] if r["ieee"] == f"{node.eui64:016x}")
    on = rec["values"].get(f"1/0x{ON_OFF.id:04x}/0x0000", {}).get("value")
    level = rec["values"].get(f"1/0x{LEVEL_CONTROL.id:04x}/0x0000", {}).get("value")
    return on, level


def test_sensor_reports_and_alarms_reach_the_hub(run: RunResult) -> None:
    app = run.summary["app"]
    devices = {d["name"]: d for d in app["devices"]}
    temp = devices["temp"]
    assert temp["interview"]["completed"] and temp["changes"] > 3
    assert temp["reports_sent"] >= temp["reports_at_hub"] > 0
    node = run.world["temp"]
    rec = next(r for r in app["hub"]["registry"] if r["ieee"] == f"{node.eui64:016x}")
    assert rec["model"] == "temperature_sensor" and rec["manufacturer"] == "zigmesh"
    key = f"1/0x{TEMPERATURE_MEASUREMENT.id:04x}/0x0000"
    assert key in rec["values"] and 0 < rec["values"][key]["at_s"] <= 80
    assert rec["reports"] == temp["reports_at_hub"]
    door = devices["door"]
    assert door["changes"] > 3 and door["alarms_at_hub"] >= door["changes"] - 1
    lock = {a["action"]: a for a in app["actions"]}["lock"]
    assert lock["sent"] > 2 and lock["acted_on"] == lock["expected"] == lock["sent"]
    assert devices["lock"]["acted_on"] == lock["acted_on"]
    assert app["reports_at_hub"] == sum(r["reports"] for r in app["hub"]["registry"])
    assert app["hub"]["devices"] == app["hub"]["interviewed"] == 7


def test_byte_flow_shares_endpoint_1_with_the_device(run: RunResult) -> None:
    flow = run.summary["flows"][0]
    assert flow["sent"] > 3 and flow["delivery_ratio"] == 1.0
    assert run.summary["totals"]["app_unmatched"] == 0
    desc = run.world["temp"].endpoints[1]
    assert FLOW_CLUSTER_BASE in desc.output_cluster_list
    assert TEMPERATURE_MEASUREMENT.id in desc.input_cluster_list
    assert desc.device_id == 0x0302  # still the temperature sensor
    hub = run.world["hub"].endpoints[1]
    assert FLOW_CLUSTER_BASE in hub.input_cluster_list and hub.device_id == 0x0007


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    doc = group_home()
    doc["duration"] = "40s"
    for k in ("a", "b"):
        run_scenario(
            parse_scenario(doc, "t"), tmp_path / k, progress=False, plot=False, report=False
        )
    for name in ("capture.pcap", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_default_house_interviews_every_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--out", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr().out
    assert "hub interview 30 / 30 complete" in out
    assert "Application actions" in out
    s = json.loads((tmp_path / "summary.json").read_text())
    app = s["app"]
    assert app["interviews"]["completed"] == app["interviews"]["devices"] == 30
    assert app["interviews"]["failed"] == 0
    for d in app["devices"]:
        iv = d["interview"]
        assert iv["completed"] and iv["state"] == "done", d["name"]
        assert 0 < iv["duration_s"] < 60 and iv["done_s"] > iv["started_s"], d["name"]
    assert app["hub"]["interviewed"] == 30 and len(app["hub"]["registry"]) == 30
    kinds = {d["device"] for d in app["devices"]}
    assert {
        "dimmable_light",
        "dimmer_switch",
        "smart_plug",
        "door_lock",
        "thermostat",
        "contact_sensor",
        "motion_sensor",
        "temperature_humidity_sensor",
    } <= kinds
    cmds = app["commands"]
    assert cmds["acted_on"] >= 0.9 * cmds["expected"] > 0
    assert cmds["latency_ms"]["p50"] is not None
    assert app["reports_at_hub"] > 50
