"""Profile the steady state of a grid network (issue 11: "profile, and take the biggest remaining
costs down").

Builds the ``bench/scale.py`` grid of ``--nodes`` nodes (same layout, start window and traffic:
every node reports 20 bytes to the coordinator every 60 s from 120 s on; ``--spacing`` and
``--period`` change the grid and the report period, e.g. ``--spacing 8.5 --period 600`` for the
density and load of the 10,000-node bench at 3,000 nodes), runs formation to the 120 s deadline
unprofiled, then runs ``--steady`` simulated seconds under ``cProfile`` and prints
the top entries by internal time and by cumulative time, with CPU-s per simulated second.

``--reps K`` instead runs the same steady state K times unprofiled, each in a process forked from
the one formed network (so formation is paid once), and prints the CPU time of each: the minimum
is the figure to compare between two trees on a busy machine.

Run: PYTHONPATH=src python3 bench/profile_steady.py [--nodes 350] [--steady 60] [--secured]
[--spacing 18] [--period 60] [--top 30] [--out FILE.prof] [--reps K]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

from scale import grid_scenario  # bench/scale.py, beside this file

from zigmesh.scenario.runner import _Traffic  # the engine of `zigmesh run`
from zigmesh.sim.world import World

S = 1_000_000
DEADLINE_US = 120 * S


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=350)
    ap.add_argument("--steady", type=float, default=60.0, help="profiled sim-s after 120 s")
    ap.add_argument("--secured", action="store_true", help="NWK/APS security on")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--spacing", type=float, default=18.0, help="router grid spacing, m")
    ap.add_argument("--period", type=float, default=60.0, help="report period per node, s")
    ap.add_argument("--top", type=int, default=30, help="entries per listing")
    ap.add_argument("--out", default=None, help="also write the raw profile here")
    ap.add_argument("--reps", type=int, default=0, help="K unprofiled forked runs instead")
    args = ap.parse_args()
    sc = grid_scenario(
        args.nodes,
        spacing=args.spacing,
        period_us=round(args.period * S),
        steady_us=600 * S,
        start_window_us=60 * S,
        traffic_start_us=DEADLINE_US,
        size=20,
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
    world.run(DEADLINE_US)
    print(f"formation to 120 s: {time.perf_counter() - t0:.1f} wall-s", flush=True)
    end = DEADLINE_US + round(args.steady * S)
    if args.reps:
        for _ in range(args.reps):
            pid = os.fork()
            if pid == 0:
                c = time.process_time()
                world.run(end)
                cpu = time.process_time() - c
                print(f"steady {args.steady:g} sim-s: {cpu:.3f} CPU-s", flush=True)
                os._exit(0)
            os.waitpid(pid, 0)
        return
    prof = cProfile.Profile()
    c = time.process_time()
    prof.enable()
    events = world.run(end)
    prof.disable()
    cpu = time.process_time() - c
    nodes = list(world.nodes.values())
    print(
        f"N={args.nodes}: {events} events in {args.steady:g} sim-s, {cpu:.2f} CPU-s profiled"
        f" ({cpu / args.steady:.4f} per sim-s); joined {sum(n.joined for n in nodes)};"
        f" sent {sum(f.sent for f in traffic.flows)},"
        f" delivered {sum(f.delivered for f in traffic.flows)}"
    )
    if args.out:
        prof.dump_stats(args.out)
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
