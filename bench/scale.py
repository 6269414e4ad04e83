"""Large networks: do they form, deliver, stay quiet and run fast? (issue: networks of 1,000 to
10,000 nodes).

Each size N is a grid scenario built as :class:`Scenario` data and run through the engine of
``zigmesh run`` (the same APSDE traffic, matching and counters; no capture file, plot or report):

* 3/4 of the nodes are routers on a square grid (``--spacing``, default 18 m), the coordinator
  (trust center, concentrator) in the middle; 1/4 are sleepy end devices (poll 7.5 s) at random
  spots of the same area. Radio: the default of ``zigmesh run`` (path loss exponent 3, 4 dB
  shadowing, about 60 m nominal range). A shorter range does not fit: the join tree follows
  good links (cost <= 3, 3.6.1.4.1.1), and with about 40 m of range only the four grid
  neighbours at 18 m are good links, so the corners of a 1,000-node grid would sit 27 grid
  steps from the coordinator, beyond nwkMaxDepth (15): they could never join.
* every node starts at a random time in the first ``--start-window`` seconds (default 60), all
  at once as a commissioned building powers up, not one by one;
* traffic starts at the formation deadline (120 s up to 1,000 nodes, 600 s above): every router
  and every end device sends ``--size`` bytes (20) to the coordinator, APS acknowledged, every
  ``--period`` (60 s; at 10,000 nodes use 600 s: one coordinator's channel carries about 17 such
  messages a second, not 167), for ``--steady`` seconds (600).

Per N it prints: formation (simulated time of the last join) and joined / N; delivery per flow
(routers, end devices) over the steady state; route requests per data frame (unicast route
discoveries started anywhere in the steady state, per APS data message sent); wall-s per sim-s
and kernel events per sim-s in the steady state; peak RSS and RSS per node. Each N runs in its
own process (peak RSS is per process). ``--secured`` runs the secured variant (the default of
``zigmesh run``); without it the network is unsecured, as the issue's first figures were.

Run: python3 bench/scale.py [--nodes 100,1000] [--secured] [--spacing M] [--period S]
[--steady S] [--start-window S] [--seed N]
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
from dataclasses import asdict, dataclass

from zigmesh.scenario.config import NodeSpec, RadioSpec, Scenario, TrafficSpec
from zigmesh.scenario.runner import _Traffic  # the engine of `zigmesh run`
from zigmesh.sim.world import World

S = 1_000_000
ROUTER_SHARE = 0.75
POLL_US = 7_500_000


@dataclass(slots=True)
class Result:
    """One network size."""

    nodes: int
    secured: bool
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
) -> Scenario:
    """The network of the module docstring as :class:`Scenario` data."""
    rng = random.Random(seed)
    n_routers = max(1, round((n - 1) * ROUTER_SHARE))
    n_eds = n - 1 - n_routers
    cols = math.ceil(math.sqrt(n_routers + 1))
    rows = math.ceil((n_routers + 1) / cols)
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
        radio=RadioSpec(),
        name=f"grid-{n}",
        security=secured,
    )


def run_one(n: int, args: argparse.Namespace) -> Result:
    """Build and run one size in this process."""
    deadline_us = (120 if n <= 1000 else 600) * S
    sc = grid_scenario(
        n,
        spacing=args.spacing,
        period_us=round(args.period * S),
        steady_us=round(args.steady * S),
        start_window_us=round(args.start_window * S),
        traffic_start_us=deadline_us,
        size=args.size,
        seed=args.seed,
        secured=args.secured,
    )
    assert sc.channel is not None
    world = World(
        sc.seed,
        medium=sc.radio.medium_config(),
        channel=sc.channel,
        tx_power_dbm=sc.radio.tx_power_dbm,
        security=args.secured,
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
    t0 = time.perf_counter()
    world.run(deadline_us)
    formation_wall = time.perf_counter() - t0
    nodes = list(world.nodes.values())
    rreq0 = sum(x.nwk.stats.rreq_sent for x in nodes)
    t1 = time.perf_counter()
    events = world.run(sc.duration_us)
    steady_wall = time.perf_counter() - t1
    steady_sim = (sc.duration_us - deadline_us) / S
    joined = [x for x in nodes if x.joined]
    times = [x.stats.joined_at_us for x in nodes if x.stats.joined_at_us is not None]
    formation = max(times) / S if len(joined) == len(nodes) and times else None
    # route discoveries started in the steady state (many-to-one requests are counted apart)
    rreq = sum(x.nwk.stats.rreq_sent for x in nodes) - rreq0
    sent = sum(f.sent for f in traffic.flows)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Result(
        nodes=n,
        secured=args.secured,
        formation_s=formation,
        joined=len(joined),
        delivery={f.name: (f.delivered / f.sent if f.sent else 0.0) for f in traffic.flows},
        sent=sent,
        rreq_per_data=rreq / max(sent, 1),
        wall_per_sim=steady_wall / steady_sim,
        events_per_sim=events / steady_sim,
        formation_wall_s=formation_wall,
        peak_rss_mb=rss_kb / 1024,
        rss_per_node_kb=rss_kb / n,
    )


HEADER = (
    f"{'N':>6} {'sec':>4} {'formation':>10} {'joined':>12} {'deliv routers':>14}"
    f" {'deliv EDs':>10} {'rreq/data':>10} {'wall/sim':>9} {'events/sim':>11}"
    f" {'form wall-s':>12} {'peak RSS MB':>12} {'KB/node':>8}"
)


def line(r: Result) -> str:
    form = f"{r.formation_s:.1f} s" if r.formation_s is not None else "-"
    d = list(r.delivery.values()) + [0.0, 0.0]
    return (
        f"{r.nodes:>6} {'yes' if r.secured else 'no':>4} {form:>10}"
        f" {f'{r.joined}/{r.nodes}':>12} {d[0]:>14.2%} {d[1]:>10.2%} {r.rreq_per_data:>10.4f}"
        f" {r.wall_per_sim:>9.4f} {r.events_per_sim:>11.0f} {r.formation_wall_s:>12.1f}"
        f" {r.peak_rss_mb:>12.1f} {r.rss_per_node_kb:>8.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="100,1000,3000,10000", help="comma-separated sizes")
    ap.add_argument("--secured", action="store_true", help="NWK/APS security on")
    ap.add_argument("--spacing", type=float, default=18.0, help="router grid spacing, m")
    ap.add_argument("--period", type=float, default=60.0, help="report period per node, s")
    ap.add_argument("--steady", type=float, default=600.0, help="steady-state sim-s")
    ap.add_argument("--start-window", type=float, default=60.0, help="nodes start within, s")
    ap.add_argument("--size", type=int, default=20, help="report payload, bytes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(asdict(run_one(args.one, args))))
        return
    print(HEADER, flush=True)
    for n in (int(x) for x in args.nodes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n)]
        for k in ("spacing", "period", "steady", "start_window", "size", "seed"):
            cmd += [f"--{k.replace('_', '-')}", str(getattr(args, k))]
        if args.secured:
            cmd.append("--secured")
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{n:>6} failed: {out.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        print(line(Result(**json.loads(out.stdout.strip().splitlines()[-1]))), flush=True)


if __name__ == "__main__":
    main()
