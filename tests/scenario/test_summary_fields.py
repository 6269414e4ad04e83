"""summary.json per node, per source and per minute (issue 12), on the default house and on a
network with a node that cannot reach anyone; the report beside it is self-contained and
deterministic, and stays small for a thousand nodes."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from zigmesh.scenario.config import NodeSpec, default_scenario, parse_scenario
from zigmesh.scenario.plot import PlotNode
from zigmesh.scenario.report import render_report
from zigmesh.scenario.runner import RunResult, run_scenario

SHORT = re.compile(r"^0x[0-9a-f]{4}$")
IEEE = re.compile(r"^([0-9a-f]{2}:){7}[0-9a-f]{2}$")


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_scenario(default_scenario(), tmp_path_factory.mktemp("a"), progress=False)


def test_per_node_figures(house: RunResult) -> None:
    s = house.summary
    assert IEEE.match(s["scenario"]["extended_pan_id"]) and SHORT.match(s["scenario"]["pan_id"])
    names = {n["name"] for n in s["per_node"]}
    world = house.world
    for n in s["per_node"]:
        assert SHORT.match(n["short_address"]) and IEEE.match(n["eui64"])
        assert n["not_joined_reason"] is None and n["state"] == "JOINED"
        node = world[n["name"]]
        assert n["frames"]["mac_sent"] == node.mac.stats.tx_frames > 0
        assert n["frames"]["nwk_relayed"] == node.nwk.stats.relayed
        assert n["mac"]["retries"] == node.mac.stats.tx_retries
        assert n["nwk"]["route_discoveries"] == node.nwk.stats.route_discoveries
        assert n["neighbours"], n["name"]
        for nb in n["neighbours"]:
            assert nb["name"] in names and SHORT.match(nb["short_address"])
            assert 0 <= nb["lqi"] <= 255 and 1 <= nb["incoming_cost"] <= 7
        assert n["radio_energy"]["average_current_ma"] > 0
        assert n["power"] == ("battery" if n["role"] == "end_device" else "mains")
    by = {n["name"]: n for n in s["per_node"]}
    # children come from the parent's neighbour table: every node reporting a parent is
    # there (the table may also still hold a child that moved on and has not aged out yet)
    for name, n in by.items():
        kids = {m["name"] for m in by.values() if m["parent"] == name}
        table = {e["name"] for e in n["neighbours"] if e["relationship"] == "child"}
        assert kids <= table and n["children"] == len(table), name
    assert by["hub"]["routing_table"]["entries"] >= 0
    assert sum(n["frames"]["nwk_relayed"] for n in by.values()) > 0


def test_per_source_results_and_routes(house: RunResult) -> None:
    s = house.summary
    multi = 0
    for f in s["flows"]:
        rows = f["per_source"]
        assert [r["source"] for r in rows] == f["from"]
        assert sum(r["sent"] for r in rows) == f["sent"]
        assert sum(r["delivered"] for r in rows) == f["delivered"]
        for r in rows:
            assert r["latency_ms"]["p50"] <= r["latency_ms"]["p99"]
            # the route taken starts at the source, ends at the destination, and its hop
            # count is the one the messages arrived with
            assert r["route"][0] == r["source"] and r["route"][-1] == f["to"]
            assert len(r["route"]) - 1 == r["hops"]["max"] or r["route_share"] < 1.0
            multi += len(r["route"]) > 2
    assert multi >= 3  # the house has multi-hop routes


def test_time_series(house: RunResult) -> None:
    s = house.summary
    ts = s["timeseries"]
    assert [(m["start_s"], m["end_s"]) for m in ts] == [
        (60.0 * k, 60.0 * (k + 1)) for k in range(5)
    ]
    assert sum(m["sent"] for m in ts) == s["delivery"]["sent"]
    assert sum(m["delivered"] for m in ts) == s["delivery"]["delivered"]
    assert ts[-1]["joined"] == s["joined"] == 31
    assert sum(m["mac_retries"] for m in ts) == s["totals"]["mac_retries"]
    assert sum(m["rejoins"] for m in ts) == s["totals"]["rejoins"]
    # formation in the first minute: most frames and the highest channel use
    assert ts[0]["frames"] == max(m["frames"] for m in ts)
    assert 0 < ts[-1]["channel_utilisation"] < ts[0]["channel_utilisation"] < 1
    for m in ts:
        if m["sent"]:
            assert m["latency_ms"]["p50"] <= m["latency_ms"]["p99"]


def test_same_seed_same_bytes(house: RunResult, tmp_path: Path) -> None:
    again = run_scenario(default_scenario(), tmp_path, progress=False)
    for name in ("summary.json", "report.html", "network.png"):
        assert (house.out_dir / name).read_bytes() == (tmp_path / name).read_bytes(), name
    html = (tmp_path / "report.html").read_text()
    # self-contained: nothing to fetch
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    assert again.files["report"].name == "report.html"


def test_unreachable_node_is_reported_with_its_reason(tmp_path: Path) -> None:
    sc = parse_scenario(
        {
            "seed": 2,
            "duration": "2m",
            "channel": 20,
            "nodes": [
                {"role": "coordinator", "name": "hub", "position": [0, 0]},
                {"role": "router", "name": "r", "position": [10, 0]},
                {"role": "end_device", "name": "s", "position": [12, 3]},
            ],
            "traffic": [{"from": "s", "to": "hub", "every": "20s", "size": 8}],
        }
    )
    # 5 km away: the scenario loader would refuse it, so it is added past validation
    far = NodeSpec("far", "end_device", (5000.0, 0.0, 0.0), 7_500_000, 2_000_000)
    sc = dataclasses.replace(sc, nodes=(*sc.nodes, far))
    s = run_scenario(sc, tmp_path, progress=False).summary
    assert (s["nodes"], s["joined"], s["formation_time_s"]) == (4, 3, None)
    row = next(n for n in s["per_node"] if n["name"] == "far")
    assert row["joined_at_s"] is None and row["short_address"] is None and row["parent"] is None
    assert row["state"] in ("OFF", "DISCOVERING")  # between discovery attempts, or in one
    assert row["not_joined_reason"].startswith("out of range: heard no frame")
    assert row["neighbours"] == [] and row["frames"]["mac_received"] == 0
    assert row["frames"]["mac_sent"] > 0  # it kept scanning
    assert all(m["joined"] == 3 for m in s["timeseries"][1:])
    # no steady state for it: no battery life, the whole run is start-up
    e = next(x for x in s["energy"] if x["name"] == "far")
    assert e["battery_life_days"] is None and e["steady"]["duration_s"] == 0.0
    assert e["startup"]["until_s"] == 120.0
    ok = next(x for x in s["energy"] if x["name"] == "s")
    assert ok["battery_life_days"] > 100
    html = (tmp_path / "report.html").read_text()
    assert "heard no frame from any device" in html


def _big(n: int) -> tuple[dict[str, Any], list[PlotNode]]:
    """A made-up 1,000-node summary: a grid of routers and end devices, ten neighbours each."""
    nodes = [PlotNode("hub", "coordinator", 0.0, 0.0)]
    per: list[dict[str, Any]] = [{"name": "hub", "role": "coordinator", "neighbours": []}]
    for i in range(1, n):
        role = "router" if i % 3 == 0 else "end_device"
        x, y = float(i % 40) * 10.0, float(i // 40) * 10.0
        parent = "hub" if i < 40 else f"n{i - 40 if i - 40 > 0 else 1}"
        nodes.append(PlotNode(f"n{i}", role, x, y, parent, 200, 0.0, True))
        per.append(
            {
                "name": f"n{i}",
                "role": role,
                "short_address": f"0x{i:04x}",
                "eui64": f"00:12:4b:00:00:00:{i >> 8:02x}:{i & 255:02x}",
                "parent": parent,
                "depth": i // 40,
                "joined_at_s": 1.0 + i,
                "frames": {"mac_sent": 100, "mac_received": 200, "nwk_relayed": 3},
                "mac": {"retries": 1, "no_ack": 0, "channel_access_failures": 0},
                "nwk": {"route_discoveries": 0},
                "drops": {},
                "neighbours": [
                    {"name": f"n{(i + k) % n or 1}", "lqi": 180, "incoming_cost": 2}
                    for k in range(1, 11)
                ],
                "radio_energy": {"average_current_ma": 0.01},
            }
        )
    summary: dict[str, Any] = {
        "scenario": {"name": "big"},
        "nodes": n,
        "joined": n,
        "per_node": per,
        "flows": [],
        "energy": [],
        "timeseries": [
            {"start_s": 60.0 * k, "end_s": 60.0 * (k + 1), "frames": 10} for k in range(10)
        ],
    }
    return summary, nodes


def test_report_for_a_thousand_nodes_stays_small() -> None:
    summary, nodes = _big(1000)
    html = render_report(summary, nodes, [], [["n41", "n1", "hub"]])
    assert len(html.encode()) < 3_000_000
    assert html.count('class="node ') == 1000
