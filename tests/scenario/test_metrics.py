"""Run metrics: nearest-rank percentiles, flow counters, summary.json, summary tables."""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from zigmesh.errors import LocalProtocolError
from zigmesh.phy import RadioState
from zigmesh.scenario.config import default_scenario
from zigmesh.scenario.metrics import (
    FlowStats,
    NodeRow,
    NodeSecurity,
    build_summary,
    percentile,
    percentiles,
    summary_json,
    write_summary,
)
from zigmesh.scenario.progress import SimProgress, print_summary_table
from zigmesh.sim.energy import RadioCurrents, energy_report

# --- percentiles (nearest rank: value at rank ceil(p/100 * n)) --------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4], 90, 4),
        ([1, 2, 3, 4], 99, 4),
        ([4, 1, 3, 2], 25, 1),
        ([4, 1, 3, 2], 75, 3),
        (list(range(1, 11)), 50, 5),
        (list(range(1, 11)), 90, 9),
        (list(range(1, 11)), 91, 10),
        (list(range(1, 11)), 99, 10),
        (list(range(1, 101)), 99, 99),
        (list(range(1, 101)), 100, 100),
        (list(range(100, 0, -1)), 50, 50),
        ([7.5], 1, 7.5),
        ([7.5], 99, 7.5),
        ([15, 20, 35, 40, 50], 30, 20),  # the textbook example: rank ceil(1.5) = 2
        ([15, 20, 35, 40, 50], 40, 20),
        ([15, 20, 35, 40, 50], 50, 35),
    ],
)
def test_percentile_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


def test_percentiles_dict() -> None:
    assert percentiles([3.0, 1.0, 2.0]) == {"p50": 2.0, "p90": 3.0, "p99": 3.0}
    assert percentiles([]) == {"p50": None, "p90": None, "p99": None}


def test_percentile_misuse() -> None:
    with pytest.raises(LocalProtocolError):
        percentile([], 50)
    with pytest.raises(LocalProtocolError):
        percentile([1.0], 0)
    with pytest.raises(LocalProtocolError):
        percentile([1.0], 101)


# --- FlowStats ---------------------------------------------------------------------------


def test_flow_stats_counts_and_duplicates() -> None:
    f = FlowStats("temp", ("a", "b"), "hub", 10, 60_000_000)
    f.record_sent(1, 1_000_000)
    f.record_sent(2, 2_000_000)
    f.record_sent(3, 3_000_000)
    f.record_skipped()
    f.record_delivered(1, 1_012_000, 1)
    f.record_delivered(2, 2_030_500, 3)
    f.record_delivered(1, 1_050_000, 2)  # duplicate: not double counted
    f.record_confirm("SUCCESS")
    f.record_confirm("NO_ACK")
    f.record_confirm("SUCCESS")
    assert (f.sent, f.delivered, f.duplicates, f.skipped) == (3, 2, 1, 1)
    assert f.confirms == {"SUCCESS": 2, "NO_ACK": 1}
    assert f.latencies_us == [12_000, 30_500]
    assert f.hops == [1, 3]
    assert f.delivery_ratio == pytest.approx(2 / 3)
    assert f.undelivered() == [3]
    d = f.to_dict()
    # sent without a source: counted for the flow's first source
    assert [(r["source"], r["sent"], r["delivered"]) for r in d.pop("per_source")] == [
        ("a", 3, 2),
        ("b", 0, 0),
    ]
    assert d == {
        "name": "temp",
        "from": ["a", "b"],
        "to": "hub",
        "size": 10,
        "period_s": 60.0,
        "ack": True,
        "sent": 3,
        "delivered": 2,
        "duplicates": 1,
        "skipped": 1,
        "delivery_ratio": 0.6667,
        "aps_confirms": {"NO_ACK": 1, "SUCCESS": 2},
        "latency_ms": {"p50": 12.0, "p90": 30.5, "p99": 30.5, "mean": 21.25, "max": 30.5},
        "hops": {"mean": 2.0, "max": 3},
    }


def test_flow_stats_empty() -> None:
    f = FlowStats("idle")
    assert f.delivery_ratio is None
    d = f.to_dict()
    assert d["delivery_ratio"] is None
    assert d["latency_ms"] == {"p50": None, "p90": None, "p99": None, "mean": None, "max": None}
    assert d["hops"] == {"mean": None, "max": None}
    assert d["aps_confirms"] == {} and d["ack"] is True


def test_flow_stats_misuse() -> None:
    f = FlowStats("x")
    f.record_sent(1, 0)
    with pytest.raises(LocalProtocolError, match="sent twice"):
        f.record_sent(1, 5)
    with pytest.raises(LocalProtocolError, match="never sent"):
        f.record_delivered(2, 5, 1)


def test_flow_stats_from_spec() -> None:
    spec = default_scenario().traffic[0]
    f = FlowStats.from_spec(spec)
    assert (f.name, f.sources, f.destination, f.size, f.period_us, f.ack) == (
        spec.name,
        spec.sources,
        spec.destination,
        spec.size,
        spec.period_us,
        True,
    )
    assert FlowStats.from_spec(replace(spec, ack=False)).to_dict()["ack"] is False


# --- summary -----------------------------------------------------------------------------


def _inputs() -> dict[str, object]:
    flow = FlowStats("motion", ("s-1",), "hub", 8, 30_000_000)
    for seq in range(4):
        flow.record_sent(seq, seq * 30_000_000)
    for seq, lat, hops in ((0, 12_345, 1), (1, 9_000, 1), (3, 40_001, 2)):
        flow.record_delivered(seq, seq * 30_000_000 + lat, hops)
    for status in ("SUCCESS", "SUCCESS", "SUCCESS", "NO_ACK"):
        flow.record_confirm(status)
    flow2 = FlowStats("down", ("hub",), "r-1", 5, 20_000_000, ack=False)
    flow2.record_sent(0, 0)
    flow2.record_delivered(0, 4_000, 1)
    flow2.record_confirm("SUCCESS")
    times = {RadioState.SLEEP: 290_000_000, RadioState.RX: 9_000_000, RadioState.TX: 1_000_000}
    sleeper = energy_report(times)
    mains = energy_report({}, RadioCurrents())  # no time: infinite battery life
    return {
        "nodes": [
            NodeRow(
                "hub",
                "coordinator",
                0x0000,
                None,
                0,
                0,
                0x00124B0001020304,
                security=NodeSecurity(True, 0, False, 1234),
                drops={"nwk_rx_sec_mic": 2, "aps_security_counter": 0, "mac_rx_duplicate": 1},
                aps_confirms={"SUCCESS": 40},
                zdo_answered={"NODE_DESC_REQ": 3, "ACTIVE_EP_REQ": 0},
            ),
            NodeRow(
                "r-1",
                "router",
                0x1A2B,
                "hub",
                1,
                1_500_000,
                security=NodeSecurity(True, 0, True, 77),
            ),
            NodeRow("s-1", "end_device", 0x9F01, "r-1", 2, 4_250_001),
        ],
        "flows": [flow, flow2],
        "totals": {"route_discoveries": 2, "mac_frames_sent": 120, "mac_retries": 7},
        "drops": {"no_route": 1, "mac_no_ack": 3},
        "energy": {"s-1": sleeper, "weird": mains},
        "name": "house",
        "source": "house.toml",
        "seed": 1,
        "duration_us": 300_000_000,
        "channel": 15,
    }


def test_build_summary_structure() -> None:
    s = build_summary(**_inputs())  # type: ignore[arg-type]
    assert list(s) == [
        "scenario",
        "nodes",
        "joined",
        "formation_time_s",
        "security",
        "per_node",
        "flows",
        "delivery",
        "totals",
        "drops",
        "energy",
    ]
    assert s["scenario"] == {
        "name": "house",
        "source": "house.toml",
        "seed": 1,
        "duration_s": 300.0,
        "channel": 15,
    }
    assert (s["nodes"], s["joined"], s["formation_time_s"]) == (3, 3, 4.250001)
    assert s["per_node"][0] == {
        "name": "hub",
        "role": "coordinator",
        "eui64": "00:12:4b:00:01:02:03:04",
        "short_address": "0x0000",
        "parent": None,
        "depth": 0,
        "joined_at_s": 0.0,
        "security": {
            "network_key": True,
            "key_seq": 0,
            "unique_tclk": False,
            "nwk_frame_counter": 1234,
        },
        "drops": {"mac_rx_duplicate": 1, "nwk_rx_sec_mic": 2},
        "aps_confirms": {"SUCCESS": 40},
        "zdo_answered": {"NODE_DESC_REQ": 3},
    }
    assert s["per_node"][2]["security"] == {
        "network_key": False,
        "key_seq": None,
        "unique_tclk": False,
        "nwk_frame_counter": None,
    }
    assert (s["per_node"][2]["drops"], s["per_node"][2]["aps_confirms"]) == ({}, {})
    assert s["security"] == {
        "enabled": True,
        "require_install_codes": False,
        "authenticated": 2,
        "unique_tclk": 1,
    }
    assert s["per_node"][2]["short_address"] == "0x9f01"
    assert s["per_node"][2]["eui64"] is None
    f0 = s["flows"][0]
    assert (f0["sent"], f0["delivered"], f0["delivery_ratio"]) == (4, 3, 0.75)
    assert f0["latency_ms"] == {
        "p50": 12.345,
        "p90": 40.001,
        "p99": 40.001,
        "mean": 20.449,
        "max": 40.001,
    }
    assert f0["hops"] == {"mean": 1.333, "max": 2}
    assert f0["aps_confirms"] == {"NO_ACK": 1, "SUCCESS": 3} and f0["ack"] is True
    assert s["flows"][1]["ack"] is False
    assert s["delivery"] == {
        "sent": 5,
        "delivered": 4,
        "delivery_ratio": 0.8,
        "duplicates": 0,
        "aps_confirms": {"NO_ACK": 1, "SUCCESS": 4},
    }
    assert list(s["totals"]) == ["mac_frames_sent", "mac_retries", "route_discoveries"]
    assert s["drops"] == {"mac_no_ack": 3, "no_route": 1}
    e = s["energy"][0]
    assert e["name"] == "s-1"
    assert e["elapsed_s"] == 300.0
    # 290 s x 0.00094 mA + 9 s x 6.9 mA + 1 s x 7.3 mA = 69.6726 mC
    assert e["charge_mah"] == pytest.approx(69.6726e-3 / 3.6, rel=1e-5)
    assert e["average_current_ma"] == pytest.approx(69.6726 / 300, rel=1e-5)
    assert e["battery_life_days"] == pytest.approx(220 / (69.6726 / 300) / 24, rel=1e-5)
    assert math.isinf(s["energy"][1]["battery_life_days"])


def test_formation_time_null_unless_all_joined() -> None:
    nodes = [NodeRow("hub", "coordinator", 0, None, 0, 0), NodeRow("r", "router")]
    s = build_summary(nodes=nodes, flows=[])
    assert (s["nodes"], s["joined"], s["formation_time_s"]) == (2, 1, None)
    assert s["per_node"][1]["short_address"] is None
    assert s["delivery"] == {
        "sent": 0,
        "delivered": 0,
        "delivery_ratio": None,
        "duplicates": 0,
        "aps_confirms": {},
    }
    assert (s["totals"], s["drops"], s["energy"]) == ({}, {}, [])
    assert s["security"] == {
        "enabled": True,
        "require_install_codes": False,
        "authenticated": 0,
        "unique_tclk": 0,
    }
    off = build_summary(nodes=nodes, flows=[], security=False, authenticated=1)
    assert off["security"] == {
        "enabled": False,
        "require_install_codes": False,
        "authenticated": 1,
        "unique_tclk": 0,
    }


def test_summary_json_is_deterministic(tmp_path: Path) -> None:
    a = summary_json(build_summary(**_inputs()))  # type: ignore[arg-type]
    b = summary_json(build_summary(**_inputs()))  # type: ignore[arg-type]
    assert a == b
    assert a.endswith("}\n")
    doc = json.loads(a)
    assert doc["energy"][1]["battery_life_days"] is None  # inf -> null, valid JSON
    p1 = tmp_path / "one.json"
    p2 = tmp_path / "two.json"
    write_summary(p1, build_summary(**_inputs()))  # type: ignore[arg-type]
    write_summary(p2, build_summary(**_inputs()))  # type: ignore[arg-type]
    assert p1.read_bytes() == p2.read_bytes() == a.encode()
    assert b"\r\n" not in p1.read_bytes()


def test_summary_json_cleans_values() -> None:
    text = summary_json({"a": (1, 2.5, math.nan), "b": {3: -math.inf}})
    assert json.loads(text) == {"a": [1, 2.5, None], "b": {"3": None}}


# --- terminal output -------------------------------------------------------------------------


def test_print_summary_table() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, color_system=None)
    summary = build_summary(**_inputs())  # type: ignore[arg-type]
    print_summary_table(summary, console)
    out = buf.getvalue()
    for text in (
        "Network: house",
        "3 / 3",
        "4.25 s",
        "motion",
        "s-1 → hub",
        "75.0%",
        "12.3",
        "40.0",
        "APS confirms",
        "SUCCESS 3",
        "NO_ACK 1",
        "(no APS ACK)",
        "security",
        "authenticated",
        "2 / 3",
    ):
        assert text in out, text
    assert "mac frames sent" in out and "dropped: mac no ack" in out
    assert "Battery devices" in out


def test_print_summary_table_not_joined_and_many_devices() -> None:
    rows = [NodeRow("hub", "coordinator", 0, None, 0, 0)] + [
        NodeRow(f"s-{i}", "end_device") for i in range(15)
    ]
    energy = {f"s-{i}": energy_report({RadioState.RX: 1_000_000 * (i + 1)}) for i in range(15)}
    buf = io.StringIO()
    console = Console(file=buf, width=140, color_system=None)
    print_summary_table(build_summary(nodes=rows, flows=[], energy=energy), console)
    out = buf.getvalue()
    assert "1 / 16" in out
    assert "not joined" in out and "(+5 more)" in out
    assert "the 5 shortest-lived of 15" in out
    assert "median of 15" in out


def test_sim_progress_quiet_when_not_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False)
    with SimProgress(10_000_000, console=console) as bar:
        assert not bar.active
        for t in range(0, 10_000_001, 1000):
            bar.update(t)
    assert buf.getvalue() == ""


def test_sim_progress_draws_on_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with SimProgress(60_000_000, console=console, steps=10) as bar:
        assert bar.active
        for t in range(0, 60_000_001, 500_000):
            bar.update(t)
    assert not bar.active
    assert "1:00 / 1:00" in buf.getvalue()
    quiet = io.StringIO()
    with SimProgress(1_000, console=Console(file=quiet, force_terminal=True), enabled=False) as bar:
        bar.update(1_000)
    assert quiet.getvalue() == ""
