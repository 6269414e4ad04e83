"""Where a large network's memory goes, structure by structure (issue 11: "<= 40 KB of RSS per
node at 10,000 nodes").

Builds the ``bench/scale.py`` grid of ``--nodes`` nodes (same layout, start window and load;
``--spacing`` / ``--period`` as there, e.g. ``--spacing 8.5 --period 600`` for the 10,000-node
bench's density at 3,000), runs it ``--seconds`` simulated seconds, then walks every object
reachable from each node and charges its ``sys.getsizeof`` to the structure that holds it: the
node's own stack objects (its MAC, NWK, tables, ...) are found first, breadth-first from the node
up to four attribute steps deep, and each becomes a bucket named ``Class.attribute``; containers
and plain values below count to their bucket. Objects shared between nodes (the medium's memos,
the kernel's heap) count once, to the first node that reaches them. Prints the process RSS per
node (resident now, over the process at start, and the peak: read before the walk, which
allocates and makes CPython materialise instance dictionaries), the per-node total of the
objects walked (``sys.getsizeof``: an instance's ``__dict__`` counted at its materialised size,
more than the inline values it replaces), the largest buckets and the totals by type.

Run: python3 bench/memory_census.py [--nodes 1000] [--seconds 180] [--spacing M] [--period S]
[--seed N] [--top 40]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import types
from collections import Counter
from collections.abc import Iterator

import scale  # bench/scale.py, beside this file
from scale import S

from zigmesh.sim.world import World

_LEAVES = (int, float, str, bytes, bool, type(None))
_CONTAINERS = (dict, list, tuple, set, frozenset)
#: never walked into: code, classes, modules, the world itself
_SKIP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, World)


def attributes(o: object) -> Iterator[tuple[str, object]]:
    """``o``'s instance attributes, from ``__dict__`` and every class's ``__slots__``."""
    d = getattr(o, "__dict__", None)
    if isinstance(d, dict):
        yield from d.items()
    for cls in type(o).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for s in (slots,) if isinstance(slots, str) else slots:
            if s in ("__dict__", "__weakref__"):
                continue
            try:
                yield s, getattr(o, s)
            except AttributeError:
                continue


def _is_stack_object(o: object) -> bool:
    return not isinstance(o, _LEAVES + _CONTAINERS + _SKIP) and type(o).__module__.startswith(
        "zigmesh"
    )


def census(nodes: list[object]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """(bytes per bucket, objects per bucket, bytes per type) over ``nodes``."""
    owner: dict[int, tuple[int, str]] = {}  # stack object -> (its node, its bucket name)
    for node in nodes:
        frontier: list[tuple[object, str]] = [(node, "Node")]
        for _ in range(4):
            nxt: list[tuple[object, str]] = []
            for o, name in frontier:
                if id(o) in owner:
                    continue
                owner[id(o)] = (id(node), name)
                for attr, v in attributes(o):
                    if _is_stack_object(v) and id(v) not in owner:
                        nxt.append((v, type(v).__name__))
                    elif isinstance(v, _CONTAINERS) and id(v) not in owner and v:
                        owner[id(v)] = (id(node), f"{type(o).__name__}.{attr}")
            frontier = nxt
    seen: set[int] = set()
    size: Counter[str] = Counter()
    count: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    for node in nodes:
        stack: list[tuple[object, str]] = [(node, "Node")]
        while stack:
            o, bucket = stack.pop()
            i = id(o)
            if i in seen or isinstance(o, _SKIP):
                continue
            own = owner.get(i)
            if own is not None:
                if own[0] != id(node):
                    continue  # another node's: counted there
                bucket = own[1]
            seen.add(i)
            n = sys.getsizeof(o)
            size[bucket] += n
            count[bucket] += 1
            by_type[type(o).__name__] += n
            if isinstance(o, dict):
                for k, v in o.items():
                    stack.append((k, bucket))
                    stack.append((v, bucket))
            elif isinstance(o, _CONTAINERS):
                stack.extend((v, bucket) for v in o)
            elif isinstance(o, types.MethodType):
                stack.append((o.__self__, bucket))
            elif not isinstance(o, _LEAVES):
                stack.extend((v, bucket) for _, v in attributes(o))
    return size, count, by_type


def _resident_kb() -> int:
    """The process's resident memory now, KB (``/proc/self/statm``; the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return scale._rss_kb()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=180.0, help="simulated seconds first")
    ap.add_argument("--spacing", type=float, default=None, help="router grid spacing, m")
    ap.add_argument("--period", type=float, default=None, help="report period per node, s")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--top", type=int, default=40, help="buckets printed")
    args = ap.parse_args()
    start_kb = _resident_kb()
    ns = argparse.Namespace(
        spacing=args.spacing, period=args.period, steady=600.0, settle=0.0,
        start_window=60.0, size=20, seed=args.seed, secured=False,
    )  # fmt: skip
    sc, _ = scale.scenario_for(args.nodes, ns)
    world, _traffic = scale.build(sc, None)
    nodes = list(world.nodes.values())
    n = len(nodes)
    scale._run_to(world, int(args.seconds * S), 60.0, n, nodes, time.perf_counter())
    gc.collect()
    # (measured before the walk: it allocates, and reading ``__dict__`` materialises the
    # instance dictionaries CPython 3.11 otherwise keeps as inline values)
    peak_kb, now_kb = scale._rss_kb(), _resident_kb()
    print(
        f"{n} nodes at {args.seconds:.0f} sim-s: RSS {now_kb / n:.1f} KB per node now"
        f" ({(now_kb - start_kb) / n:.1f} over the process at start), peak {peak_kb / n:.1f}"
    )
    size, count, by_type = census(list(nodes))
    print(f"objects walked: {sum(size.values()) / n / 1024:.1f} KB per node")
    print("   KB/node  objects/node  bucket")
    for bucket, b in size.most_common(args.top):
        print(f"{b / n / 1024:10.2f}  {count[bucket] / n:12.1f}  {bucket}")
    print("   KB/node  type")
    for t, b in by_type.most_common(15):
        print(f"{b / n / 1024:10.2f}  {t}")


if __name__ == "__main__":
    main()
