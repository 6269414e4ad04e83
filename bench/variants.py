"""Compare stack variants on one large network: form it once, fork a process per variant
(issue 11: a change to the stack has to be measured at 10,000 nodes, whose formation alone
takes about an hour of wall time).

Builds the ``bench/scale.py`` network of ``--nodes`` nodes (same layout, load and options) and
runs it to its formation deadline (120 s up to 1,000 nodes, 600 s above), with a progress line
per simulated minute. Then, for each variant, a forked copy of that process runs the variant's
file and ``--minutes`` simulated minutes of traffic, writing its progress lines (those of
``bench/scale.py --progress 60``, and the reports delivered per flow so far) to
``OUT/NAME.log``; ``--jobs`` copies run at once. A variant file is Python run with ``world``,
``nodes`` and ``traffic`` in scope, e.g. ``for x in nodes: x.nwk.config =
dataclasses.replace(x.nwk.config, passive_ack_quorum=None)``; the name ``stock`` runs the
network as formed. Every copy starts from the same state, so a difference between two logs is
the variants' (the stock copy runs the same events as one uninterrupted run).

With ``--serve DIR`` the formed process stays: every variant file later put into DIR is run
the same way (in name order, as they appear), until a file named ``STOP`` appears there; so
one formation serves variants written after it started.

Run: python3 bench/variants.py --nodes 10000 [--seed N] [--spacing M] [--period S] [--secured]
[--minutes K] [--jobs J] [--out DIR] [--serve DIR] stock VARIANT.py ...
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

import scale  # bench/scale.py, beside this file
from scale import S

from zigmesh.node import Node
from zigmesh.scenario.runner import _Traffic
from zigmesh.sim.world import World


def deliveries(traffic: _Traffic) -> str:
    """Reports delivered / sent so far, per flow."""
    return "  ".join(f"{f.name} {f.delivered}/{f.sent}" for f in traffic.flows)


def run_variant(
    source: str, world: World, nodes: list[Node], traffic: _Traffic, minutes: int
) -> None:
    """In this process: run ``source`` (a variant's code; empty for stock), then ``minutes``
    simulated minutes of traffic with a progress line each (on stderr)."""
    if source:
        exec(
            compile(source, "<variant>", "exec"),
            {"world": world, "nodes": nodes, "traffic": traffic},
        )
    n = len(nodes)
    t0 = time.perf_counter()
    for _ in range(minutes):
        scale._run_to(world, world.now_us + 60 * S, 60.0, n, nodes, t0)
        print(
            f"[{n}] sim {world.now_us / S:.0f} s  delivered {deliveries(traffic)}",
            file=sys.stderr,
            flush=True,
        )


def _reap(running: dict[int, str], failed: list[str], block: bool = True) -> bool:
    """Wait for one copy to end (or, not ``block``ing, take one that has ended; False if
    none has); note its name in ``failed`` if it did not exit cleanly."""
    pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
    if pid == 0:
        return False
    name = running.pop(pid)
    if status:
        failed.append(name)
        print(f"{name} failed (see its log)", flush=True)
    else:
        print(f"{name} done", flush=True)
    return True


def start(
    v: str,
    source: str,
    running: dict[int, str],
    failed: list[str],
    args: argparse.Namespace,
    world: World,
    nodes: list[Node],
    traffic: _Traffic,
) -> None:
    """Fork a copy running variant ``v`` (once fewer than ``--jobs`` run)."""
    while len(running) >= args.jobs:
        _reap(running, failed)
    name = Path(v).stem
    pid = os.fork()
    if pid == 0:  # the copy: its progress lines go to its log
        with open(Path(args.out) / f"{name}.log", "w", buffering=1) as log:
            sys.stderr = log
            print(f"{name}: from {world.now_us / S:.0f} s", file=log)
            status = 0
            try:
                run_variant(source, world, nodes, traffic, args.minutes)
            except BaseException:  # noqa: BLE001 - a copy never returns into the loop
                traceback.print_exc(file=log)
                status = 1
            log.flush()
            os._exit(status)
    running[pid] = name
    print(f"{name}: pid {pid}, log {Path(args.out) / f'{name}.log'}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("variants", nargs="*", help="variant files, or 'stock'")
    ap.add_argument("--nodes", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--spacing", type=float, default=None, help="router grid spacing, m")
    ap.add_argument("--period", type=float, default=None, help="report period per node, s")
    ap.add_argument("--secured", action="store_true", help="NWK/APS security on")
    ap.add_argument("--minutes", type=int, default=5, help="simulated minutes of traffic")
    ap.add_argument("--jobs", type=int, default=2, help="variants run at once")
    ap.add_argument("--out", default=".", help="directory of the variants' logs")
    ap.add_argument("--serve", default=None, help="directory watched for more variant files")
    args = ap.parse_args()
    sources = {
        v: "" if v == "stock" else Path(v).read_text() for v in args.variants
    }  # read before an hour of formation, not after
    Path(args.out).mkdir(parents=True, exist_ok=True)  # so is the logs' directory
    ns = argparse.Namespace(
        spacing=args.spacing, period=args.period, steady=args.minutes * 60.0, settle=0.0,
        start_window=60.0, size=20, seed=args.seed, secured=args.secured,
    )  # fmt: skip
    sc, lay = scale.scenario_for(args.nodes, ns)
    world, traffic = scale.build(sc, None)
    nodes = list(world.nodes.values())
    scale._run_to(world, lay.deadline_s * S, 60.0, args.nodes, nodes, time.perf_counter())
    running: dict[int, str] = {}
    failed: list[str] = []
    for v, source in sources.items():
        start(v, source, running, failed, args, world, nodes, traffic)
    if args.serve:
        queue = Path(args.serve)
        queue.mkdir(parents=True, exist_ok=True)
        seen: set[Path] = set()
        while not (queue / "STOP").exists():
            for f in sorted(set(queue.glob("*.py")) - seen):
                seen.add(f)
                start(str(f), f.read_text(), running, failed, args, world, nodes, traffic)
            while running and _reap(running, failed, block=False):
                pass
            time.sleep(2.0)
    while running:
        _reap(running, failed)
    if failed:
        sys.exit(f"variants failed (see their logs): {', '.join(failed)}")


if __name__ == "__main__":
    main()
