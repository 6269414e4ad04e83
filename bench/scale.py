"""Large networks: do they form, deliver, stay quiet and run fast? (issue 11: networks of
1,000 to 10,000 nodes).

Each size N is a grid scenario built as :class:`Scenario` data and run through the engine of
``zigmesh run`` (the same APSDE traffic, matching and counters; no plot or report, and no
capture unless ``--capture on``: a 10,000-node run writes gigabytes of pcap).

Layout (the same rule at every N, :func:`layout_for`):

* 3/4 of the nodes are routers on a square grid, the coordinator (trust center, concentrator)
  in the middle; 1/4 are sleepy end devices (poll 7.5 s) at random spots of the same area.
  Radio: the default of ``zigmesh run`` (path loss exponent 3, 4 dB shadowing, about 60 m
  nominal range; a good link, cost <= 3, needs -90.4 dBm: about 28 m at the mean path loss).
* Spacing: one coordinator's network must fit nwkMaxDepth (15 hops), or the far routers can
  never join: the network would be impossible rather than slow. The join tree follows good
  links (cost <= 3, 3.6.1.4.1.1), so :func:`router_depths` computes, for the seed's own
  shadowing draws (the medium's, for the EUI-64s the world gives), the fewest good-link hops
  from the coordinator to every router: a lower bound on the tree's depth. The spacing is the
  issue's 18 m where that bound stays within 12 hops (:data:`TARGET_DEPTH`: nwkMaxDepth less
  one for the end devices below their parents and two for the join order), else the largest
  spacing, in 0.5 m steps, where it does (:func:`fit_spacing`). With seed 1: 18 m at 100 and
  1,000 nodes (bound 11 at 1,000), 13 m at 3,000 (at 18 m the bound is 19: the issue's 3,000-
  node run could never join everyone), 8.5 m at 10,000 (87 x 87 routers; 13 hops at 9 m, 15
  at 10 m). ``--spacing`` overrides it.
* every node starts at a random time in the first ``--start-window`` seconds (default 60), all
  at once as a commissioned building powers up, not one by one;
* load: traffic starts at the formation deadline (120 s up to 1,000 nodes, 600 s above):
  every router and every end device sends ``--size`` bytes (20) to the coordinator, APS
  acknowledged, every 60 s up to 1,000 nodes and every 600 s above (``--period`` overrides),
  for ``--steady`` seconds (600). Once a minute from 10,000 nodes would be 167 messages a
  second into one coordinator, more than the 250 kbit/s channel around it carries with the
  relaying, APS ACKs and retries; once per 10 minutes is 17 a second (3,000 nodes: 5 a
  second), what a metering or lighting deployment of that size reports.
* many-to-one route requests: the coordinator (the concentrator) sends one every 60 s up to
  1,000 nodes (the stack's default) and every 120 s above (``--concentrator-period``
  overrides; the scenario's ``concentrator_period``), as Z-Stack's coordinator firmware for
  large networks does: each request floods the network and has every router send a route
  record before its next report, so with reports every 600 s the stack's 60 s made ten floods
  per report (measured forked from one formation, 2026-12-07: 10,000 nodes 425 against 476
  wall-s for the first 6 report minutes, 3,000 nodes 93 against 103 for 8, the same reports
  delivered; at 1,000 nodes with reports every 60 s, 120 s is not cheaper: seeds 1-3 send
  more repair requests).

Per N it prints: the spacing, the report period and the depth bound; formation (simulated time
of the last join) and joined / N; delivery per flow (routers, end devices) over the steady
state; route requests per data frame (unicast route discoveries started anywhere in the steady
state, per APS data message sent); wall-s per sim-s and kernel events per sim-s in the steady
state; peak RSS and RSS per node (peak RSS of the process / N); and what the steady state spends on
broadcasts: NWK broadcast transmissions per sim-s (link statuses, many-to-one requests,
network-wide floods with their relays and passive-ack retries), address changes (address
conflicts resolved: stochastic addresses collide, about N^2 / 131,000 pairs, and each
resolution costs network-wide floods) and rejoins. Each N runs in its own process
(peak RSS is per process). ``--secured`` runs the secured variant (the default of ``zigmesh
run``); without it the network is unsecured, as the issue's first figures were.
``--smoke S`` measures memory only: it builds the network, runs S simulated seconds and
reports RSS (10,000 nodes do not run to completion in a bench's time yet).

``--settle S`` lets the traffic run S simulated seconds before the measured steady state
(formation's address conflicts are found by the first reports and resolved in it: see the
churn columns): wall time, events and churn are then those of the window after it, delivery
still that of every report sent. ``--max-unrelated N`` bounds the router neighbours every node
keeps beside its parent and children (``NwkConfig.max_unrelated_neighbors``; Z-Stack and
EmberZNet keep 16); default: the stack's (16); ``none``: no bound but the 36-entry table.

Run: python3 bench/scale.py [--nodes 100,1000] [--secured] [--spacing M] [--period S]
[--concentrator-period S] [--steady S] [--settle S] [--start-window S] [--seed N]
[--capture off|on] [--out DIR] [--smoke S]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

from zigmesh.node import Node
from zigmesh.nwk.config import NwkConfig
from zigmesh.nwk.link_cost import LINK_COST_TABLE
from zigmesh.scenario.config import (
    DEFAULT_CONCENTRATOR_PERIOD_S,
    NodeSpec,
    RadioSpec,
    Scenario,
    TrafficSpec,
)
from zigmesh.scenario.runner import _Traffic  # the engine of `zigmesh run`
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import Medium
from zigmesh.sim.world import EUI64_BASE, World

S = 1_000_000
ROUTER_SHARE = 0.75
POLL_US = 7_500_000
#: nwkMaxDepth (R22 3.5.2, Table 3-58: 0x0f)
NWK_MAX_DEPTH = 15
#: the deepest router the layout may need, in good-link hops: nwkMaxDepth less one hop for the
#: end devices below their parents and two for the join order (a router joins through the
#: shallowest good parent that has already joined, not always the shallowest there will be)
TARGET_DEPTH = NWK_MAX_DEPTH - 3
#: a good link costs at most this (the join prefers such parents: 3.6.1.4.1.1)
GOOD_LINK_COST = 3
#: the issue's spacing, kept wherever the grid fits TARGET_DEPTH with it
MAX_SPACING_M = 18.0
SPACING_STEP_M = 0.5
#: nodes above which each node reports every LARGE_PERIOD_S and formation gets LARGE_DEADLINE_S
LARGE_N = 1000
LARGE_PERIOD_S = 600.0
SMALL_DEADLINE_S = 120
LARGE_DEADLINE_S = 600
#: many-to-one route request period above LARGE_N (seconds; ``--concentrator-period``): each
#: request floods the network and makes every router send a route record before its next
#: report, so with reports every 600 s the stack's 60 s would send ten per report
LARGE_CONCENTRATOR_PERIOD_S = 120
#: the stack's bound on router neighbours beside parent and children (``--max-unrelated``)
_DEFAULT_BOUND = NwkConfig().max_unrelated_neighbors


def _bound(text: str) -> int | None:
    """``--max-unrelated``: a count, or ``none`` for no bound."""
    return None if text.lower() == "none" else int(text)


def good_link_dbm(radio: RadioSpec) -> float:
    """Weakest received power of a good link (cost <= GOOD_LINK_COST): the smallest LQI of that
    cost, back through the medium's linear SNR -> LQI map, above the noise floor."""
    mc = radio.medium_config()
    lqi = min(q for q in range(256) if LINK_COST_TABLE[q] <= GOOD_LINK_COST)
    snr = mc.lqi_sinr_min_db + (lqi - 0.5) * (mc.lqi_sinr_max_db - mc.lqi_sinr_min_db) / 255
    return mc.noise_floor_dbm + snr


def good_hop_m(radio: RadioSpec, sigmas: float = 1.0) -> float:
    """Length of a good link with ``sigmas`` of favourable shadowing: each router of a dense
    grid has many candidate parents, and the best of them beats the mean path loss."""
    mc = radio.medium_config()
    budget = radio.tx_power_dbm - good_link_dbm(radio) + sigmas * mc.shadowing_sigma_db
    exponent = (budget - mc.reference_loss_db) / (10.0 * mc.path_loss_exponent)
    return float(mc.reference_distance_m * 10.0**exponent)


def grid_shape(n: int) -> tuple[int, int, int]:
    """(routers, columns, rows) of the router grid of an ``n``-node network (coordinator in it)."""
    n_routers = max(1, round((n - 1) * ROUTER_SHARE))
    cols = math.ceil(math.sqrt(n_routers + 1))
    rows = math.ceil((n_routers + 1) / cols)
    return n_routers, cols, rows


def _hops(
    points: list[tuple[float, float]], start: int, link: Callable[[int, int], bool], reach: float
) -> list[int]:
    """Fewest hops from ``points[start]`` to each point over pairs within ``reach`` metres that
    pass ``link`` (symmetric); -1: unreachable. Breadth first over a cell index from which each
    point leaves once reached, so every pair is looked at most once."""
    cells: dict[tuple[int, int], set[int]] = {}
    for i, (x, y) in enumerate(points):
        cells.setdefault((math.floor(x / reach), math.floor(y / reach)), set()).add(i)
    depth = [-1] * len(points)
    depth[start] = 0
    x0, y0 = points[start]
    cells[(math.floor(x0 / reach), math.floor(y0 / reach))].discard(start)
    frontier = [start]
    reach2 = reach * reach
    while frontier:
        nxt: list[int] = []
        for a in frontier:
            ax, ay = points[a]
            kx, ky = math.floor(ax / reach), math.floor(ay / reach)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    cell = cells.get((kx + dx, ky + dy))
                    if not cell:
                        continue
                    for b in list(cell):  # BFS levels do not depend on the order
                        bx, by = points[b]
                        if (bx - ax) ** 2 + (by - ay) ** 2 <= reach2 and link(a, b):
                            depth[b] = depth[a] + 1
                            cell.discard(b)
                            nxt.append(b)
        frontier = nxt
    return depth


def fit_spacing(n: int, radio: RadioSpec, seed: int) -> float:
    """The router grid spacing for ``n`` nodes: the issue's 18 m where the grid then fits
    (its deepest router at most TARGET_DEPTH good hops from the coordinator,
    :func:`router_depths`), else the largest spacing, in 0.5 m steps, that fits."""

    def build(spacing: float) -> Scenario:
        return grid_scenario(
            n,
            spacing=spacing,
            period_us=S,
            steady_us=S,
            start_window_us=S,
            traffic_start_us=S,
            size=20,
            seed=seed,
            secured=False,
            radio=radio,
        )

    return largest_fitting_spacing(build, MAX_SPACING_M)


def fits_target_depth(sc: Scenario) -> bool:
    """Every router of ``sc`` within TARGET_DEPTH good-link hops of the coordinator."""
    depths = router_depths(sc).values()
    return min(depths) >= 0 and max(depths) <= TARGET_DEPTH


def largest_fitting_spacing(build: Callable[[float], Scenario], max_spacing_m: float) -> float:
    """The largest router spacing, at most ``max_spacing_m`` in :data:`SPACING_STEP_M` steps,
    at which the grid ``build(spacing)`` fits TARGET_DEPTH (bisection: a denser grid never
    needs more hops)."""
    hi = round(max_spacing_m / SPACING_STEP_M)
    if fits_target_depth(build(hi * SPACING_STEP_M)):
        return hi * SPACING_STEP_M
    lo = 1  # steps; assumed to fit (0.5 m)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits_target_depth(build(mid * SPACING_STEP_M)):
            lo = mid
        else:
            hi = mid
    return lo * SPACING_STEP_M


def router_depths(sc: Scenario) -> dict[str, int]:
    """Fewest good-link hops (cost <= GOOD_LINK_COST at the mean received power with the
    medium's own shadowing draws for this seed, as the run's beacons would measure them) from
    the coordinator to each router; -1 when none reaches it. A lower bound on the join tree's
    depth: the layout needs it <= TARGET_DEPTH everywhere. Builds the medium's radios only (the
    EUI-64s :class:`World` gives the nodes in scenario order), no nodes, nothing runs."""
    radio = sc.radio
    medium = Medium(Kernel(), sc.seed, radio.medium_config())
    channel = sc.channel if sc.channel is not None else 11
    good = good_link_dbm(radio)
    specs = [(i, s) for i, s in enumerate(sc.nodes) if s.role != "end_device"]
    radios = [
        medium.add_radio(EUI64_BASE + i + 1, s.position, radio.tx_power_dbm, channel)
        for i, s in specs
    ]
    pts = [(s.position[0], s.position[1]) for _i, s in specs]
    start = next(k for k, (_i, s) in enumerate(specs) if s.role == "coordinator")
    rx = medium.rx_power_dbm
    depth = _hops(
        pts,
        start,
        lambda a, b: rx(radios[a], radios[b]) >= good,
        good_hop_m(radio, radio.medium_config().shadowing_clip_sigmas),
    )
    return {s.name: d for (_i, s), d in zip(specs, depth, strict=True)}


@dataclass(slots=True)
class Result:
    """One network size."""

    nodes: int
    secured: bool
    spacing_m: float
    period_s: float
    depth_bound: int
    formation_s: float | None
    joined: int
    delivery: dict[str, float]
    sent: int
    rreq_per_data: float
    wall_per_sim: float
    events_per_sim: float
    formation_wall_s: float
    peak_rss_mb: float
    rss_per_node_kb: float
    #: steady state: NWK broadcast transmissions per sim-s (link status, many-to-one requests,
    #: floods and their relays and passive-ack retries), address changes and rejoins
    bcast_per_sim: float = 0.0
    addr_changes: int = 0
    rejoins: int = 0


#: NwkStats counters summed over the nodes at the start and end of the steady state
CHURN = ("rreq_sent", "tx_broadcasts", "address_changes", "rejoins")


#: NwkStats counters a ``--progress`` line gives per step (the network's health, and what its
#: broadcasts are: route failure statuses, address conflict reports (each a flood), address
#: changes (each announced by a flood), route request relays, many-to-one requests,
#: passive-ack retries)
HEALTH = (
    "link_failures", "route_discoveries", "tx_failures", "network_status_sent",
    "address_conflict_reports", "address_changes", "rejoins", "rreq_relayed", "mtorr_sent",
    "broadcast_retries", "tx_broadcasts",
)  # fmt: skip


def conflicting_pairs(nodes: list[Node]) -> int:
    """Pairs of joined nodes holding the same network address (stochastic addresses collide,
    about N^2 / 131,000 pairs; the ones not yet found and resolved)."""
    holders = Counter(x.nwk.nib.nwk_network_address for x in nodes if x.joined)
    return sum(k * (k - 1) // 2 for k in holders.values() if k > 1)


def churn(nodes: list[Node], keys: tuple[str, ...] = CHURN) -> dict[str, int]:
    """NwkStats counters (default :data:`CHURN`) summed over ``nodes``."""
    return {k: sum(getattr(x.nwk.stats, k) for x in nodes) for k in keys}


@dataclass(frozen=True, slots=True)
class Layout:
    """What one size uses: grid spacing, report period, formation deadline (traffic start)."""

    spacing_m: float
    period_s: float
    deadline_s: int
    #: the coordinator's many-to-one route request period, whole seconds
    concentrator_period_s: int


def layout_for(
    n: int,
    radio: RadioSpec,
    seed: int,
    spacing: float | None = None,
    period: float | None = None,
    concentrator_period: int | None = None,
) -> Layout:
    """The module docstring's layout and load for ``n`` nodes (``spacing`` / ``period`` /
    ``concentrator_period``: the command line's overrides, None for the defaults)."""
    large = n > LARGE_N
    if concentrator_period is None:
        concentrator_period = (
            LARGE_CONCENTRATOR_PERIOD_S if large else DEFAULT_CONCENTRATOR_PERIOD_S
        )
    return Layout(
        spacing if spacing is not None else fit_spacing(n, radio, seed),
        period if period is not None else (LARGE_PERIOD_S if large else 60.0),
        LARGE_DEADLINE_S if large else SMALL_DEADLINE_S,
        concentrator_period,
    )


def grid_scenario(
    n: int,
    *,
    spacing: float,
    period_us: int,
    steady_us: int,
    start_window_us: int,
    traffic_start_us: int,
    size: int,
    seed: int,
    secured: bool,
    radio: RadioSpec | None = None,
    concentrator_period_s: int = DEFAULT_CONCENTRATOR_PERIOD_S,
) -> Scenario:
    """The network of the module docstring as :class:`Scenario` data."""
    rng = random.Random(seed)
    n_routers, cols, rows = grid_shape(n)
    n_eds = n - 1 - n_routers
    width, height = (cols - 1) * spacing, (rows - 1) * spacing
    spots = [(c * spacing, r * spacing, 0.0) for r in range(rows) for c in range(cols)]
    centre = (width / 2, height / 2)
    spots.sort(key=lambda p: (math.hypot(p[0] - centre[0], p[1] - centre[1]), p))
    coord, router_spots = spots[0], spots[1 : n_routers + 1]
    nodes = [NodeSpec("coordinator", "coordinator", coord, None, 0)]
    for i, p in enumerate(router_spots):
        t = rng.randrange(start_window_us)
        nodes.append(NodeSpec(f"router-{i + 1}", "router", p, None, t, 1, "routers"))
    for i in range(n_eds):
        p = (round(rng.uniform(0, width), 2), round(rng.uniform(0, height), 2), 0.0)
        t = rng.randrange(start_window_us)
        nodes.append(NodeSpec(f"sensor-{i + 1}", "end_device", p, POLL_US, t, 2, "sensors"))
    stop = traffic_start_us + steady_us
    routers = tuple(s.name for s in nodes if s.role == "router")
    sensors = tuple(s.name for s in nodes if s.role == "end_device")
    traffic = [
        TrafficSpec("routers", routers, "coordinator", period_us, size, traffic_start_us, stop),
        TrafficSpec("end devices", sensors, "coordinator", period_us, size, traffic_start_us, stop),
    ]
    return Scenario(
        seed=seed,
        duration_us=stop + 5 * S,
        channel=20,
        nodes=tuple(nodes),
        traffic=tuple(t for t in traffic if t.sources),
        radio=radio if radio is not None else RadioSpec(),
        name=f"grid-{n}",
        security=secured,
        concentrator_period_s=concentrator_period_s,
    )


def scenario_for(n: int, args: argparse.Namespace) -> tuple[Scenario, Layout]:
    """The scenario one size runs, from the command line's arguments."""
    radio = RadioSpec()
    lay = layout_for(
        n, radio, args.seed, args.spacing, args.period, getattr(args, "concentrator_period", None)
    )
    sc = grid_scenario(
        n,
        spacing=lay.spacing_m,
        period_us=round(lay.period_s * S),
        steady_us=round((args.settle + args.steady) * S),
        start_window_us=round(args.start_window * S),
        traffic_start_us=lay.deadline_s * S,
        size=args.size,
        seed=args.seed,
        secured=args.secured,
        radio=radio,
        concentrator_period_s=lay.concentrator_period_s,
    )
    return sc, lay


def build(
    sc: Scenario, capture: str | None, max_unrelated: int | None = _DEFAULT_BOUND
) -> tuple[World, _Traffic]:
    """The world of ``sc`` with every node added and the traffic scheduled, as ``zigmesh
    run`` builds it (``capture``: a pcap path, or None for no capture; ``max_unrelated``:
    ``NwkConfig.max_unrelated_neighbors`` of every node, None for no bound)."""
    assert sc.channel is not None
    world = World(
        sc.seed,
        medium=sc.radio.medium_config(),
        channel=sc.channel,
        capture=capture,
        tx_power_dbm=sc.radio.tx_power_dbm,
        security=sc.security,
        nwk=sc.nwk_config(max_unrelated_neighbors=max_unrelated),
    )
    traffic = _Traffic(world, sc)
    for spec in sc.nodes:
        world.add_node(
            spec.name,
            spec.role,
            spec.position,
            poll_interval_us=spec.poll_interval_us,
            join_at_us=spec.join_at_us,
            channels=(sc.channel,),
        )
    traffic.add_endpoints()
    traffic.schedule()
    return world, traffic


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _run_to(
    world: World, until_us: int, every_s: float | None, n: int, nodes: list[Node], t0: float
) -> int:
    """``world.run(until_us)``, in steps of ``every_s`` sim-s with a progress line on stderr
    after each (the same events in the same order: only the wall clock and counters are read
    between them). The line also gives the step's :data:`HEALTH` counters: a congestion
    collapse around the concentrator shows as link failures by the hundred, route
    discoveries and a broadcast rate several times the usual; and the address conflicts
    still in the network (:func:`conflicting_pairs`)."""
    if not every_s:
        return world.run(until_us)
    step = round(every_s * S)
    events = 0
    before = churn(nodes, HEALTH)
    while world.now_us < until_us:
        t_from = world.now_us
        events += world.run(min(world.now_us + step, until_us))
        now = churn(nodes, HEALTH)
        d = {k: now[k] - before[k] for k in HEALTH}
        before = now
        print(
            f"[{n}] sim {world.now_us / S:.0f} s  joined {sum(x.joined for x in nodes)}/{n}"
            f"  wall {time.perf_counter() - t0:.0f} s  RSS {_rss_kb() / 1024:.0f} MB"
            f"  link failures {d['link_failures']}  discoveries {d['route_discoveries']}"
            f"  tx failures {d['tx_failures']}  nwk status {d['network_status_sent']}"
            f"  conflict reports {d['address_conflict_reports']}"
            f"  addr chg {d['address_changes']}  conflicting pairs {conflicting_pairs(nodes)}"
            f"  rejoins {d['rejoins']}"
            f"  rreq relays {d['rreq_relayed']}  mtorr {d['mtorr_sent']}"
            f"  bcast retries {d['broadcast_retries']}"
            f"  bcast/s {d['tx_broadcasts'] / max((world.now_us - t_from) / S, 1e-9):.0f}",
            file=sys.stderr,
            flush=True,
        )
    return events


def run_one(n: int, args: argparse.Namespace) -> Result:
    """Build and run one size in this process."""
    sc, lay = scenario_for(n, args)
    depth = max(router_depths(sc).values())
    capture = f"{args.out}/scale-{n}.pcap" if args.capture == "on" else None
    world, traffic = build(sc, capture, args.max_unrelated)
    deadline_us = lay.deadline_s * S
    t0 = time.perf_counter()
    if args.smoke is not None:  # memory only: the nodes and a short start
        world.run(round(args.smoke * S))
        wall = time.perf_counter() - t0
        nodes = list(world.nodes.values())
        world.close()
        return Result(
            n, args.secured, lay.spacing_m, lay.period_s, depth, None,
            sum(x.joined for x in nodes), {}, 0, 0.0, wall / args.smoke, 0.0, wall,
            _rss_kb() / 1024, _rss_kb() / n,
        )  # fmt: skip
    nodes = list(world.nodes.values())
    _run_to(world, deadline_us, args.progress, n, nodes, t0)
    formation_wall = time.perf_counter() - t0
    # --settle: traffic runs that long before the measured window (address conflicts found
    # by the first reports get resolved there); delivery still counts every report
    start_us = deadline_us + round(args.settle * S)
    if start_us > deadline_us:
        _run_to(world, start_us, args.progress, n, nodes, t0)
    sent0 = sum(f.sent for f in traffic.flows)
    churn0 = churn(nodes)
    t1 = time.perf_counter()
    events = _run_to(world, sc.duration_us, args.progress, n, nodes, t0)
    steady_wall = time.perf_counter() - t1
    world.close()
    steady_sim = (sc.duration_us - start_us) / S
    joined = [x for x in nodes if x.joined]
    times = [x.stats.joined_at_us for x in nodes if x.stats.joined_at_us is not None]
    formation = max(times) / S if len(joined) == len(nodes) and times else None
    # the steady state's counters; rreq_sent: route discoveries started (many-to-one
    # requests are counted apart)
    d = {k: v - churn0[k] for k, v in churn(nodes).items()}
    sent = sum(f.sent for f in traffic.flows)
    rss_kb = _rss_kb()
    return Result(
        nodes=n,
        secured=args.secured,
        spacing_m=lay.spacing_m,
        period_s=lay.period_s,
        depth_bound=depth,
        formation_s=formation,
        joined=len(joined),
        delivery={f.name: (f.delivered / f.sent if f.sent else 0.0) for f in traffic.flows},
        sent=sent,
        rreq_per_data=d["rreq_sent"] / max(sent - sent0, 1),
        wall_per_sim=steady_wall / steady_sim,
        events_per_sim=events / steady_sim,
        formation_wall_s=formation_wall,
        peak_rss_mb=rss_kb / 1024,
        rss_per_node_kb=rss_kb / n,
        bcast_per_sim=d["tx_broadcasts"] / steady_sim,
        addr_changes=d["address_changes"],
        rejoins=d["rejoins"],
    )


HEADER = (
    f"{'N':>6} {'sec':>4} {'spacing':>8} {'period':>7} {'depth>=':>7} {'formation':>10}"
    f" {'joined':>12} {'deliv routers':>14} {'deliv EDs':>10} {'rreq/data':>10}"
    f" {'wall/sim':>9} {'events/sim':>11} {'form wall-s':>12} {'peak RSS MB':>12} {'KB/node':>8}"
    f" {'bcast/sim':>10} {'addr chg':>9} {'rejoins':>8}"
)


def line(r: Result) -> str:
    form = f"{r.formation_s:.1f} s" if r.formation_s is not None else "-"
    d = [f"{x:.2%}" for x in r.delivery.values()] + ["-", "-"]  # none in a --smoke run
    return (
        f"{r.nodes:>6} {'yes' if r.secured else 'no':>4} {f'{r.spacing_m:g} m':>8}"
        f" {f'{r.period_s:g} s':>7} {r.depth_bound:>7} {form:>10}"
        f" {f'{r.joined}/{r.nodes}':>12} {d[0]:>14} {d[1]:>10} {r.rreq_per_data:>10.4f}"
        f" {r.wall_per_sim:>9.4f} {r.events_per_sim:>11.0f} {r.formation_wall_s:>12.1f}"
        f" {r.peak_rss_mb:>12.1f} {r.rss_per_node_kb:>8.1f}"
        f" {r.bcast_per_sim:>10.1f} {r.addr_changes:>9} {r.rejoins:>8}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--nodes", default="100,1000,3000,10000", help="comma-separated sizes")
    ap.add_argument("--secured", action="store_true", help="NWK/APS security on")
    ap.add_argument("--spacing", type=float, default=None, help="router grid spacing, m")
    ap.add_argument("--period", type=float, default=None, help="report period per node, s")
    ap.add_argument("--steady", type=float, default=600.0, help="steady-state sim-s")
    ap.add_argument(
        "--settle",
        type=float,
        default=0.0,
        metavar="S",
        help="traffic runs S sim-s after formation before the measured steady state",
    )
    ap.add_argument("--start-window", type=float, default=60.0, help="nodes start within, s")
    ap.add_argument(
        "--max-unrelated",
        type=_bound,
        default=_DEFAULT_BOUND,
        metavar="N|none",
        help="router neighbours a node keeps beside parent and children (Z-Stack: 16; "
        f"default: {_DEFAULT_BOUND}, the stack's; none: any of the table's entries)",
    )
    ap.add_argument(
        "--concentrator-period",
        type=int,
        default=None,
        metavar="S",
        help="the coordinator's many-to-one route request period, s (default: "
        f"{DEFAULT_CONCENTRATOR_PERIOD_S}, {LARGE_CONCENTRATOR_PERIOD_S} above {LARGE_N} nodes)",
    )
    ap.add_argument("--size", type=int, default=20, help="report payload, bytes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--capture", choices=("off", "on"), default="off", help="write a pcap")
    ap.add_argument("--out", default=".", help="directory of the pcap with --capture on")
    ap.add_argument(
        "--smoke",
        type=float,
        default=None,
        metavar="S",
        help="memory only: build, run S sim-s, report RSS (no steady state)",
    )
    ap.add_argument(
        "--progress",
        type=float,
        default=None,
        metavar="S",
        help="a progress line on stderr every S sim-s (long runs)",
    )
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(asdict(run_one(args.one, args))))
        return
    print(HEADER, flush=True)
    for n in (int(x) for x in args.nodes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n)]
        for k in (
            "spacing",
            "period",
            "steady",
            "settle",
            "start_window",
            "max_unrelated",
            "concentrator_period",
            "size",
            "seed",
            "capture",
            "out",
            "smoke",
            "progress",
        ):
            v = getattr(args, k)
            if k == "max_unrelated":
                cmd += ["--max-unrelated", "none" if v is None else str(v)]
            elif v is not None:
                cmd += [f"--{k.replace('_', '-')}", str(v)]
        if args.secured:
            cmd.append("--secured")
        # (stderr passes through: progress lines, or the traceback of a failed run)
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        if out.returncode != 0:
            print(f"{n:>6} failed (exit status {out.returncode})", flush=True)
            continue
        print(line(Result(**json.loads(out.stdout.strip().splitlines()[-1]))), flush=True)


if __name__ == "__main__":
    main()
