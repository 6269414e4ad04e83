"""bench/scale.py's 10,000-node network, built (not run): it fits nwkMaxDepth at its spacing."""

from __future__ import annotations

import argparse
import math
from types import ModuleType

import pytest

from zigmesh.scenario.config import RadioSpec


def test_good_link_threshold(scale: ModuleType) -> None:
    radio = RadioSpec()
    assert scale.good_link_dbm(radio) == pytest.approx(-90.37, abs=0.01)
    assert 27.0 < scale.good_hop_m(radio, 0.0) < 30.0  # a good link at the mean path loss


def test_small_sizes_keep_the_issue_layout(scale: ModuleType) -> None:
    for n in (100, 1000):
        lay = scale.layout_for(n, RadioSpec(), 1)
        assert (lay.spacing_m, lay.period_s, lay.deadline_s) == (18.0, 60.0, 120)


def test_10000_node_layout_fits_nwk_max_depth(scale: ModuleType) -> None:
    args = argparse.Namespace(
        spacing=None,
        period=None,
        steady=600.0,
        settle=0.0,
        max_unrelated=None,
        start_window=60.0,
        size=20,
        seed=1,
        secured=True,
    )
    sc, lay = scale.scenario_for(10_000, args)
    assert len(sc.nodes) == 10_000
    routers = [s for s in sc.nodes if s.role == "router"]
    sensors = [s for s in sc.nodes if s.role == "end_device"]
    assert (len(routers), len(sensors)) == (7499, 2500)
    # the spacing comes from the radio: dense enough for 15 hops, within the issue's 8-10 m
    assert 8.0 <= lay.spacing_m <= 10.0
    xs = sorted({s.position[0] for s in routers})
    assert xs[1] - xs[0] == pytest.approx(lay.spacing_m)
    assert len(xs) == 87
    depths = scale.router_depths(sc)
    assert min(depths.values()) >= 0  # every router has a good-link path
    assert max(depths.values()) <= scale.TARGET_DEPTH < scale.NWK_MAX_DEPTH
    # it is the largest such spacing: 0.5 m more and the far corners go too deep
    wider = scale.grid_scenario(
        10_000,
        spacing=lay.spacing_m + scale.SPACING_STEP_M,
        period_us=1,
        steady_us=1,
        start_window_us=1,
        traffic_start_us=1,
        size=20,
        seed=1,
        secured=False,
    )
    assert max(scale.router_depths(wider).values()) > scale.TARGET_DEPTH
    # the load: each node once per 10 minutes, ~17 messages a second into the coordinator
    assert lay.period_s == 600.0 and lay.deadline_s == 600
    assert all(t.period_us == 600_000_000 and t.start_us == 600_000_000 for t in sc.traffic)
    rate = sum(len(t.sources) for t in sc.traffic) / lay.period_s
    assert 16.0 < rate < 17.0
    assert sc.security
    # end devices within the grid's area, starts spread over the first minute
    side = (len(xs) - 1) * lay.spacing_m
    assert all(0 <= s.position[0] <= side and 0 <= s.position[1] <= side for s in sensors)
    assert max(s.join_at_us for s in sc.nodes) < 60_000_000
    assert math.isclose(side / 2, sc.coordinator.position[0], abs_tol=lay.spacing_m)


def test_max_unrelated_option_and_progress_health(
    scale: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--max-unrelated`` takes a count or ``none`` (no bound); a ``--progress`` line gives
    the step's link failures, route discoveries, what its broadcasts were and their rate, and
    stepping runs the same events as one run."""
    assert scale._bound("16") == 16 and scale._bound("None") is None
    args = argparse.Namespace(
        spacing=None, period=None, steady=30.0, settle=0.0, max_unrelated=None,
        start_window=5.0, size=20, seed=3, secured=False,
    )  # fmt: skip
    sc, _ = scale.scenario_for(12, args)
    counts = []
    for every in (None, 10.0):
        world, _traffic = scale.build(sc, None, args.max_unrelated)
        nodes = list(world.nodes.values())
        counts.append(scale._run_to(world, 40 * scale.S, every, 12, nodes, 0.0))
        if every is None:
            totals = scale.churn(nodes, scale.HEALTH)
    assert counts[0] == counts[1] > 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4 and all("link failures" in x and "bcast/s" in x for x in lines)
    assert all(" conflicting pairs 0 " in x for x in lines)
    bcast = sum(float(x.rsplit("bcast/s ", 1)[1]) * 10 for x in lines)
    assert bcast == pytest.approx(totals["tx_broadcasts"], abs=4 * 0.5 * 10)
    labels = {
        "link failures": "link_failures", "discoveries": "route_discoveries",
        "tx failures": "tx_failures", "nwk status": "network_status_sent",
        "conflict reports": "address_conflict_reports",
        "addr chg": "address_changes", "rejoins": "rejoins", "rreq relays": "rreq_relayed",
        "mtorr": "mtorr_sent", "bcast retries": "broadcast_retries",
    }  # fmt: skip
    for label, key in labels.items():
        assert sum(int(x.split(f"  {label} ")[1].split()[0]) for x in lines) == totals[key]
    assert totals["mtorr_sent"] > 0 and totals["broadcast_retries"] > 0


def test_conflicting_pairs_counts_shared_addresses(scale: ModuleType) -> None:
    """A progress line's conflicting pairs: joined nodes holding one network address, pairs
    of them (three on one address are three pairs); nodes not joined do not count."""
    args = argparse.Namespace(
        spacing=None, period=None, steady=30.0, settle=0.0, max_unrelated=None,
        start_window=5.0, size=20, seed=3, secured=False,
    )  # fmt: skip
    sc, _ = scale.scenario_for(12, args)
    world, _traffic = scale.build(sc, None, None)
    world.run(40 * scale.S)
    nodes = [x for x in world.nodes.values() if x.joined and x.nwk.nib.nwk_network_address]
    assert len(nodes) >= 5 and scale.conflicting_pairs(nodes) == 0
    shared = nodes[0].nwk.nib.nwk_network_address
    for x in nodes[1:3]:
        x.nwk.nib.nwk_network_address = shared
    assert scale.conflicting_pairs(nodes) == 3
    nodes[3].nwk.nib.nwk_network_address = nodes[4].nwk.nib.nwk_network_address
    assert scale.conflicting_pairs(nodes) == 4
    world.close()
