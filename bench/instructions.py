"""Instructions executed by a steady window of a grid network, counted by Valgrind's callgrind:
a deterministic A/B measure of the simulator's cost (issue 11) where wall and CPU time are not.

On a shared machine the CPU time of one simulated window varies by 10-40 % from run to run (the
same code, the same state), more than most single changes to a hot path save. The number of
instructions the interpreter executes for it hardly varies: the same tree, scenario and window
give the same count to a few parts in 10,000, so two trees compare to that. (Instructions
do not see cache misses, which dominate at 10,000 nodes: see ``--ll``, and confirm a change
with ``bench/scale.py`` there.)

For each ``--tree`` (a checkout; default: this one) it runs, under ``valgrind --tool=callgrind
--instr-atstart=no``, the ``bench/scale.py`` grid of ``--nodes`` nodes (``--spacing``,
``--period`` as in ``bench/profile_steady.py``) to ``--start`` simulated seconds without counting
(about 10 times slower than without Valgrind), turns the counting on (``callgrind_control -i
on``) for ``--seconds`` simulated seconds, and prints the instructions counted, per simulated
second and per kernel event, and each tree's difference to the first. Needs ``valgrind``. The
child runs with a fixed ``PYTHONHASHSEED``; what still moves a count between two runs of one
tree (objects hashed by address) stays within about 0.03 %.

``--ll KB`` adds callgrind's cache simulation and prints the data reads and writes that miss a
last-level cache of KB KiB: the misses a change saves, which instruction counts do not show. A
10,000-node network is some 25 times this machine's 32 MiB L3; ``--nodes 300 --spacing 8.5``
keeps about 20 MiB of node state, so ``--ll 1024`` puts a small network in about that position
(a proxy: it also evicts the interpreter's shared working set, which the real L3 keeps). Two
runs of one tree differ by up to about 0.6 % in misses.

Run: python3 bench/instructions.py [--nodes 300] [--seconds 10] [--start 120] [--spacing 18]
[--period 60] [--ll KB] [--tree PATH ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

S = 1_000_000
HERE = Path(__file__).resolve().parent


def _child(args: argparse.Namespace) -> None:
    """Runs inside Valgrind: the network of ``args`` in the tree ``args.tree``."""
    tree = Path(args.tree[0]).resolve()
    sys.path[:0] = [str(tree / "bench"), str(tree / "src")]
    from scale import build, grid_scenario  # the tree's bench/scale.py

    import zigmesh

    if not Path(zigmesh.__file__).resolve().is_relative_to(tree):
        sys.exit(f"zigmesh imported from {zigmesh.__file__}, not from {tree}")
    sc = grid_scenario(
        args.nodes,
        spacing=args.spacing,
        period_us=round(args.period * S),
        steady_us=600 * S,
        start_window_us=60 * S,
        traffic_start_us=120 * S,
        size=20,
        seed=args.seed,
        secured=False,
    )
    world, _ = build(sc, None)  # as the bench builds it (no capture)
    start = round(args.start * S)
    world.run(start)
    events = world.kernel.events_run
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    world.run(start + round(args.seconds * S))
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)
    print(f"events {world.kernel.events_run - events}", flush=True)


def _count(args: argparse.Namespace, tree: str) -> tuple[int, int, int | None]:
    """(instructions, kernel events, last-level data misses or None) of the window in
    ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = ["--cache-sim=yes", f"--LL={args.ll * 1024},16,64"] if args.ll else []
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            *cache,
            f"--callgrind-out-file={tmp}/callgrind.out",
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--tree",
            tree,
            "--nodes",
            str(args.nodes),
            "--seconds",
            str(args.seconds),
            "--start",
            str(args.start),
            "--spacing",
            str(args.spacing),
            "--period",
            str(args.period),
            "--seed",
            str(args.seed),
        ]
        # (a fixed string hash seed: str hashes, so dict probes and set orders, the same in
        # every run)
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    got = re.search(r"Collected : ([\d ]+)", done.stderr)
    events = re.search(r"events (\d+)", done.stdout)
    if done.returncode != 0 or got is None or events is None:
        sys.exit(f"{tree}: valgrind run failed:\n{done.stdout}\n{done.stderr[-2000:]}")
    counts = [int(c) for c in got.group(1).split()]
    # with the cache simulation: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
    misses = counts[7] + counts[8] if len(counts) == 9 else None
    return counts[0], int(events.group(1)), misses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=10.0, help="counted simulated seconds")
    ap.add_argument("--start", type=float, default=120.0, help="simulated s before counting")
    ap.add_argument("--spacing", type=float, default=18.0, help="router grid spacing, m")
    ap.add_argument("--period", type=float, default=60.0, help="report period per node, s")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tree", action="append", default=None, help="a checkout (repeatable)")
    ap.add_argument(
        "--ll",
        type=int,
        default=0,
        metavar="KB",
        help="also count the data reads and writes that miss a simulated last-level cache of "
        "KB KiB (16-way, 64-B lines); about 2x slower",
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    trees = args.tree or [str(HERE.parent)]
    first = 0
    first_misses = 0
    for tree in trees:
        ir, events, misses = _count(args, tree)
        first = first or ir
        line = (
            f"{tree}: {ir:,} instructions, {ir / args.seconds:,.0f} per sim-s, "
            f"{ir / max(events, 1):,.0f} per event ({events} events), "
            f"{100.0 * (ir - first) / first:+.2f} %"
        )
        if misses is not None:
            first_misses = first_misses or misses
            line += (
                f"; {misses:,} LL data misses ({args.ll} KiB), "
                f"{100.0 * (misses - first_misses) / first_misses:+.2f} %"
            )
        print(line, flush=True)


if __name__ == "__main__":
    main()
