"""The network-health view of a run (issue 9): does "every node reports JOINED" hide a broken
network?

Per node (``per_node[].health``): ``joined``, ``parent``, ``rejoins``, ``parent_losses``,
``last_delivery_s`` (the last time a message of a flow it sends or receives was delivered)
and ``since_last_delivery_s`` (from then to the end of the run; null when it takes part in no
flow or nothing of its flows was ever delivered). Network (``health``): ``healthy`` is true
when every node is joined and every flow source that sent in the last
:data:`WINDOW_US` of the run (the last minute, counted back from the end of sending: the
flows' ``stop``, or the run's end) had a message of that window delivered; otherwise
``reasons`` says what is wrong (``"sensor-3 not joined"``, ``"flow sensor->hub from sensor-2:
0 of 6 delivered in the last minute (last delivery at 131.2 s)"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from zigmesh.scenario.metrics import FlowStats
from zigmesh.sim.world import World

__all__ = ["WINDOW_US", "network_health", "print_health", "verdict_text"]

#: the health window: the last minute of the run
WINDOW_US = 60_000_000


def _s(us: int) -> float:
    return round(us / 1_000_000, 3)


def network_health(
    world: World, flows: Sequence[FlowStats], end_us: int, window_us: int = WINDOW_US
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """``(per node name -> health, network health)`` at the end of a run."""
    last: dict[str, int] = {}
    reasons: list[str] = []
    judged = delivering = 0
    for flow in flows:
        msgs = flow.messages()
        if not msgs:
            continue
        last_sent = max(t for _q, _s, t, _l, _h in msgs)
        # the window ends where sending ended (flows stop a little before the run's end)
        w_end = max(min(end_us, last_sent + 1), 1)
        w_start = w_end - window_us
        per_src: dict[str, list[int]] = {}
        for _seq, src, t, lat, _hops in msgs:
            if lat is not None:
                for name in (src, flow.destination):
                    if name is not None and t + lat > last.get(name, -1):
                        last[name] = t + lat
            if src is not None and w_start <= t < w_end:
                row = per_src.setdefault(src, [0, 0, -1])
                row[0] += 1
                row[1] += lat is not None
        for src, (sent, got, _) in per_src.items():
            judged += 1
            if got:
                delivering += 1
                continue
            when = last.get(src)
            seen = "never delivered" if when is None else f"last delivery at {_s(when)} s"
            reasons.append(
                f"flow {flow.name} from {src}: 0 of {sent} delivered in the last minute ({seen})"
            )
    nodes: dict[str, dict[str, Any]] = {}
    joined = 0
    for node in world:
        ok = node.joined and world.is_powered(node)
        joined += ok
        parent = world.parent_of(node) if ok else None
        heard = last.get(node.name)
        nodes[node.name] = {
            "joined": ok,
            "parent": parent.name if parent is not None else None,
            "rejoins": node.nwk.stats.rejoins,
            "parent_losses": node.nwk.stats.parent_losses,
            "last_delivery_s": None if heard is None else _s(heard),
            "since_last_delivery_s": None if heard is None else _s(max(end_us - heard, 0)),
        }
        if not ok:
            state = "powered off" if not world.is_powered(node) else "not joined"
            reasons.insert(0, f"{node.name} {state}")
    health = {
        "healthy": not reasons,
        "reasons": reasons,
        "window_s": _s(window_us),
        "nodes_joined": joined,
        "nodes": len(nodes),
        "flow_sources_delivering": delivering,
        "flow_sources": judged,
    }
    return nodes, health


def verdict_text(health: dict[str, Any], limit: int = 5) -> str:
    """One line (plus up to ``limit`` reasons) for the terminal."""
    if health.get("healthy"):
        return (
            f"healthy: {health.get('nodes_joined')} / {health.get('nodes')} nodes joined, "
            f"{health.get('flow_sources_delivering')} / {health.get('flow_sources')} flow "
            "sources delivered in the last minute"
        )
    reasons: list[str] = list(health.get("reasons") or [])
    more = f" (+{len(reasons) - limit} more)" if len(reasons) > limit else ""
    return "UNHEALTHY: " + "; ".join(reasons[:limit]) + more


def print_health(summary: Mapping[str, Any], console: Console) -> None:
    """The verdict line, then one row per fault occurrence and per attacker (if any)."""
    health: Mapping[str, Any] | None = summary.get("health")
    if health is not None:
        style = "bold green" if health.get("healthy") else "bold red"
        console.print(Text(verdict_text(dict(health)), style=style))
    faults: Sequence[Mapping[str, Any]] = summary.get("faults") or []
    if faults:
        t = Table(title="Faults and the network's response", title_justify="left")
        for col in ("fault", "from", "until", "sent", "lost", "parent losses", "recovered in"):
            t.add_column(col, justify="left" if col == "fault" else "right")
        for f in faults:
            for o in f.get("occurrences") or []:
                rec = o.get("recovery_s")
                t.add_row(
                    str(f.get("name")),
                    _fmt(o.get("start_s"), " s"),
                    _fmt(o.get("end_s"), " s"),
                    str(o.get("messages_sent")),
                    str(o.get("messages_lost")),
                    str(o.get("parent_losses")),
                    Text(f"{rec:g} s", style="green")
                    if o.get("recovered") and rec is not None
                    else Text("not recovered", style="red"),
                )
        console.print(t)
    attackers: Sequence[Mapping[str, Any]] = summary.get("attackers") or []
    if attackers:
        t = Table(title="Attackers", title_justify="left")
        for col in ("attacker", "kind", "from", "until", "frames sent", "heard"):
            t.add_column(col, justify="left" if col in ("attacker", "kind") else "right")
        for a in attackers:
            t.add_row(
                str(a.get("name")),
                str(a.get("kind")),
                _fmt(a.get("start_s"), " s"),
                _fmt(a.get("stop_s"), " s"),
                str(a.get("frames_sent")),
                str(a.get("frames_heard")),
            )
        console.print(t)


def _fmt(v: object, unit: str) -> str:
    return "-" if not isinstance(v, int | float) else f"{v:g}{unit}"
