"""The report's charts as inline SVG, drawn by matplotlib (issue 12).

matplotlib's SVG backend with text kept as text (``svg.fonttype = none``), a fixed id salt per
chart and no date metadata: the same rows give the same bytes, and several charts can share a
page without clashing ids.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

__all__ = ["energy_svg", "timeseries_svg"]

_ACTIVITY_COLOURS = {
    "polls": "#1565c0",
    "data": "#8e24aa",
    "nwk_commands": "#00838f",
    "joins": "#d81b60",
    "sleep": "#9e9e9e",
}


def _svg(fig: Figure, salt: str) -> str:
    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan


def timeseries_svg(rows: Sequence[Mapping[str, Any]]) -> str:
    """Four panels over the run, one point per minute: delivery ratio and joined nodes,
    latency p50 / p99, frames and channel utilisation, rejoins / route discoveries / retries."""
    t = [(_num(r.get("start_s")) + _num(r.get("end_s"))) / 120.0 for r in rows]
    fig = Figure(figsize=(9.0, 7.2), dpi=100)
    axes = fig.subplots(4, 1, sharex=True)
    fig.subplots_adjust(left=0.08, right=0.9, top=0.97, bottom=0.07, hspace=0.28)
    a, b, c, d = axes
    a.plot(t, [100.0 * _num(r.get("delivery_ratio")) for r in rows], "o-", color="#1565c0", ms=3)
    a.set_ylabel("delivered %", fontsize=8)
    a.set_ylim(-2, 102)
    a2 = a.twinx()
    a2.step(t, [_num(r.get("joined")) for r in rows], where="mid", color="#ef6c00", lw=1.2)
    a2.set_ylabel("joined", fontsize=8, color="#ef6c00")
    a2.set_ylim(bottom=0)
    b.plot(t, [_num((r.get("latency_ms") or {}).get("p50")) for r in rows], "o-", ms=3, label="p50")
    b.plot(
        t,
        [_num((r.get("latency_ms") or {}).get("p99")) for r in rows],
        "s--",
        ms=3,
        color="#8e24aa",
        label="p99",
    )
    b.set_ylabel("latency ms", fontsize=8)
    b.legend(fontsize=7, loc="upper right", frameon=False)
    c.bar(t, [_num(r.get("frames")) for r in rows], width=0.8, color="#90a4ae")
    c.set_ylabel("frames / min", fontsize=8)
    c2 = c.twinx()
    c2.plot(
        t, [100.0 * _num(r.get("channel_utilisation")) for r in rows], "o-", ms=3, color="#d81b60"
    )
    c2.set_ylabel("channel %", fontsize=8, color="#d81b60")
    c2.set_ylim(bottom=0)
    for key, colour in (
        ("rejoins", "#d81b60"),
        ("route_discoveries", "#1565c0"),
        ("mac_retries", "#9e9e9e"),
    ):
        d.plot(
            t,
            [_num(r.get(key)) for r in rows],
            "o-",
            ms=3,
            color=colour,
            label=key.replace("_", " "),
        )
    d.set_ylabel("per minute", fontsize=8)
    d.set_xlabel("minute of the run", fontsize=8)
    d.legend(fontsize=7, loc="upper right", frameon=False, ncols=3)
    for ax in (a, a2, b, c, c2, d):
        ax.tick_params(labelsize=7)
    for ax in (a, b, c, d):
        ax.grid(True, color="#eeeeee", lw=0.5)
    return _svg(fig, "zigmesh-timeseries")


def energy_svg(rows: Sequence[Mapping[str, Any]], limit: int = 25) -> str:
    """Battery devices ranked by steady-state current (highest first, up to ``limit``), each
    bar split by activity (microamps)."""
    ranked = [
        r
        for r in rows
        if isinstance((r.get("steady") or {}).get("average_current_ua"), float | int)
    ]
    ranked.sort(key=lambda r: (-_num(r["steady"]["average_current_ua"]), str(r.get("name"))))
    ranked = ranked[:limit]
    fig = Figure(figsize=(9.0, 0.9 + 0.24 * max(len(ranked), 1)), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    fig.subplots_adjust(
        left=0.16, right=0.98, top=0.92, bottom=0.6 / (0.9 + 0.24 * max(len(ranked), 1)) + 0.02
    )
    names = [str(r.get("name")) for r in ranked]
    y = list(range(len(ranked)))
    left = [0.0] * len(ranked)
    for act, colour in _ACTIVITY_COLOURS.items():
        vals = [_num((r["steady"].get("by_activity_ua") or {}).get(act, 0.0)) for r in ranked]
        ax.barh(y, vals, left=left, color=colour, label=act.replace("_", " "), height=0.7)
        left = [a + (v if math.isfinite(v) else 0.0) for a, v in zip(left, vals, strict=True)]
    ax.set_yticks(y, names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("steady-state current (\u00b5A)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, ncols=5, loc="lower right", frameon=False, bbox_to_anchor=(1.0, 1.0))
    ax.grid(True, axis="x", color="#eeeeee", lw=0.5)
    return _svg(fig, "zigmesh-energy")
