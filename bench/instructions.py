"""Instructions executed by a steady window of a grid network, counted by Valgrind's callgrind:
a deterministic A/B measure of the simulator's cost (issue 11) where wall and CPU time are not.

On a shared machine the CPU time of one simulated window varies by 10-40 % from run to run (the
same code, the same state), more than most single changes to a hot path save. The number of
instructions the interpreter executes for it does not vary at all: the same tree, scenario and
window give the same count, so two trees compare to the last instruction. (It does not see cache
misses, which dominate at 10,000 nodes: confirm a change with ``bench/scale.py`` there.)

For each ``--tree`` (a checkout; default: this one) it runs, under ``valgrind --tool=callgrind
--instr-atstart=no``, the ``bench/scale.py`` grid of ``--nodes`` nodes (``--spacing``,
``--period`` as in ``bench/profile_steady.py``) to ``--start`` simulated seconds without counting
(about 10 times slower than without Valgrind), turns the counting on (``callgrind_control -i
on``) for ``--seconds`` simulated seconds, and prints the instructions counted, per simulated
second and per kernel event, and each tree's difference to the first. Needs ``valgrind``.

Run: python3 bench/instructions.py [--nodes 300] [--seconds 10] [--start 120] [--spacing 18]
[--period 60] [--tree PATH ...]
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


def _count(args: argparse.Namespace, tree: str) -> tuple[int, int]:
    """(instructions, kernel events) of the window in ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
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
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    got = re.search(r"Collected : (\d+)", done.stderr)
    events = re.search(r"events (\d+)", done.stdout)
    if done.returncode != 0 or got is None or events is None:
        sys.exit(f"{tree}: valgrind run failed:\n{done.stdout}\n{done.stderr[-2000:]}")
    return int(got.group(1)), int(events.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=10.0, help="counted simulated seconds")
    ap.add_argument("--start", type=float, default=120.0, help="simulated s before counting")
    ap.add_argument("--spacing", type=float, default=18.0, help="router grid spacing, m")
    ap.add_argument("--period", type=float, default=60.0, help="report period per node, s")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tree", action="append", default=None, help="a checkout (repeatable)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    trees = args.tree or [str(HERE.parent)]
    first = 0
    for tree in trees:
        ir, events = _count(args, tree)
        first = first or ir
        print(
            f"{tree}: {ir:,} instructions, {ir / args.seconds:,.0f} per sim-s, "
            f"{ir / max(events, 1):,.0f} per event ({events} events), "
            f"{100.0 * (ir - first) / first:+.2f} %",
            flush=True,
        )


if __name__ == "__main__":
    main()
