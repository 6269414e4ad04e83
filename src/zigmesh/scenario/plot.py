"""``network.png``: the topology of a run (issue #4).

Nodes are drawn by role (coordinator: gold star, routers: blue squares, end devices: purple
circles, nodes that never joined: grey crosses), neighbour links thin and parent links thick,
both coloured by LQI (red = poor, green = good; colour bar), and routes as wide translucent
arrows. Nodes on several floors (distinct ``z``) are laid out side by side, one framed panel per
floor, so nothing overlaps; links between floors cross the gap.

Rendering uses matplotlib's Agg canvas directly (no pyplot, no global state) at a fixed size and
dpi with the ``Software`` metadata removed, so the same inputs give the same PNG bytes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from zigmesh.errors import LocalProtocolError

__all__ = ["PlotNode", "plot_network"]

#: neighbour link: (name a, name b, LQI 0-255 or None)
Link = tuple[str, str, "int | None"]

_CMAP = colormaps["RdYlGn"]
_NORM = Normalize(vmin=0.0, vmax=255.0)
_NO_LQI = "#9e9e9e"
_ROUTE_COLOURS = ("#00a6d6", "#ff7f0e", "#e4007c", "#7f5af0", "#1b9e77", "#a0522d", "#000000")


@dataclass(frozen=True, slots=True)
class _Style:
    marker: str
    size: float  # scatter area, points^2
    colour: str
    edge: str
    zorder: float


_STYLE = {
    "coordinator": _Style("*", 360.0, "#ffc400", "#000000", 7.0),
    "router": _Style("s", 70.0, "#1f4e9c", "#ffffff", 6.0),
    "end_device": _Style("o", 42.0, "#8e44ad", "#ffffff", 5.0),
}
_LABELS = {"coordinator": "coordinator", "router": "router", "end_device": "end device"}
_FIG_W_IN = 11.0
_DPI = 150
_LABEL_ALL = 60
_LABEL_ROUTERS = 400


@dataclass(frozen=True, slots=True)
class PlotNode:
    """One node to draw. ``parent_name`` None: no parent link (coordinator, or not joined)."""

    name: str
    role: str
    x: float
    y: float
    parent_name: str | None = None
    lqi_to_parent: int | None = None
    z: float = 0.0
    joined: bool = True


def plot_network(
    path: str | os.PathLike[str],
    nodes: Sequence[PlotNode],
    links: Sequence[tuple[str, str, int | None]] = (),
    routes: Sequence[Sequence[str]] = (),
    *,
    title: str = "",
    split_floors: bool | None = None,
) -> None:
    """Draw the topology into ``path`` (PNG). Names in links, routes and parents must exist.

    ``split_floors``: one panel per height level (``z`` to 0.5 m); None chooses it when there
    are 2 to 6 levels each holding at least 2 nodes and a tenth of them (a house's floors, not
    a lone node on a mast). Labels: every node up to 60 nodes, then coordinator and routers up
    to 400, then none.
    """
    if not nodes:
        raise LocalProtocolError("plot_network needs at least one node")
    by_name = {n.name: n for n in nodes}
    if len(by_name) != len(nodes):
        raise LocalProtocolError("plot_network: node names must be unique")
    pos, floors = _layout(nodes, split_floors)

    def xy(name: str) -> tuple[float, float]:
        p = pos.get(name)
        if p is None:
            raise LocalProtocolError(f"plot_network: unknown node {name!r}")
        return p

    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    pad = max(1.0, 0.04 * max(max(xs) - min(xs), max(ys) - min(ys), 1.0))
    x0, x1 = min(xs) - pad, max(xs) + pad * 3.0  # room for labels on the right
    y0, y1 = min(ys) - pad, max(ys) + pad * (2.5 if len(floors) > 1 else 1.0)
    aspect = (y1 - y0) / (x1 - x0)
    fig_h = min(max(_FIG_W_IN * 0.82 * aspect + 1.6, 4.5), 12.0)

    fig = Figure(figsize=(_FIG_W_IN, fig_h), dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x (m)", fontsize=8)
    ax.set_ylabel("y (m)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, color="#eeeeee", linewidth=0.5, zorder=0)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize=10)

    if len(floors) > 1:
        _draw_floors(ax, floors, pad)

    # neighbour links (thin), then parent links (thick)
    nb_segs = [(xy(a), xy(b)) for a, b, _ in links]
    nb_cols = [_lqi_colour(q) for _, _, q in links]
    if nb_segs:
        ax.add_collection(
            LineCollection(nb_segs, colors=nb_cols, linewidths=0.6, alpha=0.45, zorder=2)
        )
    par_segs = []
    par_cols = []
    for n in nodes:
        if n.parent_name is not None:
            par_segs.append((pos[n.name], xy(n.parent_name)))
            par_cols.append(_lqi_colour(n.lqi_to_parent))
    if par_segs:
        ax.add_collection(
            LineCollection(par_segs, colors=par_cols, linewidths=2.0, alpha=0.95, zorder=3)
        )

    # routes: wide translucent polylines with an arrowhead per hop
    route_handles: list[Line2D] = []
    for i, route in enumerate(routes):
        if len(route) < 2:
            continue
        colour = _ROUTE_COLOURS[i % len(_ROUTE_COLOURS)]
        pts = [xy(name) for name in route]
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            color=colour,
            linewidth=6.0,
            alpha=0.35,
            solid_capstyle="round",
            solid_joinstyle="round",
            zorder=4,
        )
        for a, b in zip(pts, pts[1:], strict=False):
            ax.annotate(
                "",
                xy=b,
                xytext=a,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": colour,
                    "lw": 1.4,
                    "shrinkA": 7,
                    "shrinkB": 7,
                },
                zorder=4,
            )
        if len(route_handles) < len(_ROUTE_COLOURS):
            route_handles.append(
                Line2D(
                    [],
                    [],
                    color=colour,
                    linewidth=5.0,
                    alpha=0.5,
                    label=f"route {route[0]} \u2192 {route[-1]}",
                )
            )

    # nodes by role
    handles: list[Line2D] = []
    for role in ("coordinator", "router", "end_device"):
        members = [n for n in nodes if n.role == role and n.joined]
        style = _STYLE[role]
        if members:
            ax.scatter(
                [pos[n.name][0] for n in members],
                [pos[n.name][1] for n in members],
                marker=style.marker,
                s=style.size,
                c=style.colour,
                edgecolors=style.edge,
                linewidths=0.8,
                zorder=style.zorder,
            )
            handles.append(_marker_handle(style, _LABELS[role]))
    others = [n for n in nodes if n.role not in _STYLE and n.joined]
    if others:
        ax.scatter(
            [pos[n.name][0] for n in others],
            [pos[n.name][1] for n in others],
            marker="D",
            s=40.0,
            c="#555555",
            zorder=5,
        )
        handles.append(Line2D([], [], marker="D", linestyle="", color="#555555", label="other"))
    lost = [n for n in nodes if not n.joined]
    if lost:
        ax.scatter(
            [pos[n.name][0] for n in lost],
            [pos[n.name][1] for n in lost],
            marker="x",
            s=50.0,
            c="#616161",
            linewidths=1.5,
            zorder=5,
        )
        handles.append(
            Line2D(
                [], [], marker="x", linestyle="", color="#616161", markersize=7, label="not joined"
            )
        )
    labelled = [
        n
        for n in nodes
        if len(nodes) <= _LABEL_ALL or (len(nodes) <= _LABEL_ROUTERS and n.role != "end_device")
    ]
    if labelled:
        for n in labelled:
            ax.annotate(
                n.name,
                pos[n.name],
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=5.5,
                color="#212121",
                zorder=8,
            )

    handles.append(Line2D([], [], color=_CMAP(0.85), linewidth=2.0, label="parent link"))
    if nb_segs:
        handles.append(
            Line2D([], [], color=_CMAP(0.85), linewidth=0.7, alpha=0.6, label="neighbour link")
        )
    handles.extend(route_handles)
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.09),
        fontsize=7,
        frameon=False,
        ncols=min(len(handles), 5),
    )

    sm = ScalarMappable(norm=_NORM, cmap=_CMAP)
    cax = ax.inset_axes((1.015, 0.0, 0.018, 1.0))
    cbar = fig.colorbar(sm, cax=cax)
    cbar.set_label("link quality (LQI)", fontsize=8)
    cbar.ax.tick_params(labelsize=7)
    fig.savefig(
        os.fspath(path),
        format="png",
        dpi=_DPI,
        metadata={"Software": None},
        bbox_inches="tight",
        pad_inches=0.15,
    )


def _lqi_colour(lqi: int | None) -> tuple[float, float, float, float] | str:
    if lqi is None:
        return _NO_LQI
    r, g, b, a = _CMAP(_NORM(min(max(float(lqi), 0.0), 255.0)))
    return (float(r), float(g), float(b), float(a))


def _marker_handle(style: _Style, label: str) -> Line2D:
    size = math.sqrt(style.size)
    return Line2D(
        [],
        [],
        marker=style.marker,
        linestyle="",
        markersize=size * 0.8,
        markerfacecolor=style.colour,
        markeredgecolor=style.edge,
        label=label,
    )


def _tick_step(span: float) -> float:
    """A 1/2/5 x 10^k step giving about 4-8 ticks over ``span``."""
    raw = max(span, 1.0) / 5.0
    mag = 10.0 ** math.floor(math.log10(raw))
    for f in (1.0, 2.0, 5.0, 10.0):
        if raw <= f * mag:
            return f * mag
    return 10.0 * mag


_Floor = tuple[float, float, float, float, float]  # z, x0, y0, x1, y1 (drawn coordinates)


def _level(z: float) -> float:
    return round(z * 2.0) / 2.0


def _layout(
    nodes: Sequence[PlotNode], split: bool | None
) -> tuple[dict[str, tuple[float, float]], list[_Floor]]:
    """Drawn position of each node: floors (``z`` to 0.5 m) side by side, lowest left."""
    counts: dict[float, int] = {}
    for n in nodes:
        counts[_level(n.z)] = counts.get(_level(n.z), 0) + 1
    levels = sorted(counts)
    if split is None:
        least = max(2, math.ceil(0.1 * len(nodes)))
        split = 2 <= len(levels) <= 6 and min(counts.values()) >= least
    if not split or len(levels) == 1:
        return {n.name: (n.x, n.y) for n in nodes}, []
    xmin = min(n.x for n in nodes)
    xmax = max(n.x for n in nodes)
    ymin = min(n.y for n in nodes)
    ymax = max(n.y for n in nodes)
    span = max(xmax - xmin, 1.0)
    gap = max(0.25 * span, 3.0)
    pos: dict[str, tuple[float, float]] = {}
    floors: list[_Floor] = []
    for i, z in enumerate(levels):
        shift = i * (span + gap)
        floors.append((z, xmin + shift, ymin, xmax + shift, ymax))
    index = {z: i for i, z in enumerate(levels)}
    for n in nodes:
        pos[n.name] = (n.x + index[_level(n.z)] * (span + gap), n.y)
    return pos, floors


def _draw_floors(ax: Axes, floors: list[_Floor], pad: float) -> None:
    m = pad * 0.6
    # x ticks in each floor's own coordinates
    ticks: list[float] = []
    labels: list[str] = []
    base = floors[0][1]
    width = floors[0][3] - base
    step = _tick_step(width)
    for _z, fx0, _fy0, _fx1, _fy1 in floors:
        shift = fx0 - base
        t = math.ceil((base - m) / step) * step
        while t <= base + width + m + 1e-9:
            ticks.append(t + shift)
            labels.append(f"{t:g}")
            t += step
    ax.set_xticks(ticks, labels)
    for z, fx0, fy0, fx1, fy1 in floors:
        ax.add_patch(
            Rectangle(
                (fx0 - m, fy0 - m),
                fx1 - fx0 + 2 * m,
                fy1 - fy0 + 2 * m,
                fill=True,
                facecolor="#f7f7f2",
                edgecolor="#9e9e9e",
                linestyle="--",
                linewidth=0.8,
                zorder=1,
            )
        )
        ax.text(
            (fx0 + fx1) / 2,
            fy1 + m * 1.3,
            f"z = {z:g} m",
            ha="center",
            va="bottom",
            fontsize=8,
            color="#424242",
            zorder=1,
        )
