"""``network.png``: the topology of a run (issues #4, 12).

What an engineer looks for first: the parent tree (links coloured by LQI, red = poor, green =
good; colour bar), the routes traffic actually took (multi-hop, drawn as arrows in colours that
never read as LQI), and the nodes by role (coordinator: gold star, routers: blue squares, end
devices: purple circles, nodes that never joined: grey crosses). Neighbour links are faded and
drawn only for small networks unless asked (``neighbour_links=True`` colours them by LQI).
Floors are honest: everyone at their true ``(x, y)`` on one plan, a node's floor shown by the
colour of its outline and links between floors dashed (:mod:`~zigmesh.scenario.maplayout`).
Labels are placed where they overlap nothing, else left out.

Rendering uses matplotlib's Agg canvas directly (no pyplot, no global state) at a fixed size and
dpi with the ``Software`` metadata removed, so the same inputs give the same PNG bytes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from zigmesh.errors import LocalProtocolError
from zigmesh.scenario.maplayout import (
    FLOOR_COLOURS,
    ROUTE_COLOURS,
    PlotNode,
    floor_levels,
    level,
    place_labels,
)

__all__ = ["PlotNode", "plot_network"]

#: neighbour link: (name a, name b, LQI 0-255 or None)
Link = tuple[str, str, "int | None"]

_CMAP = colormaps["RdYlGn"]
_NORM = Normalize(vmin=0.0, vmax=255.0)
_NO_LQI = "#9e9e9e"


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
    "end_device": _Style("o", 42.0, "#b39ddb", "#ffffff", 5.0),
}
_LABELS = {"coordinator": "coordinator", "router": "router", "end_device": "end device"}
_FIG_W_IN = 11.0
_DPI = 150
_LABEL_ALL = 120
_LABEL_ROUTERS = 400
_FADED_NEIGHBOURS = 150
_MAX_ROUTES = 6
_FONT_PT = 5.5


def plot_network(
    path: str | os.PathLike[str],
    nodes: Sequence[PlotNode],
    links: Sequence[tuple[str, str, int | None]] = (),
    routes: Sequence[Sequence[str]] = (),
    *,
    title: str = "",
    neighbour_links: bool | None = None,
) -> None:
    """Draw the topology into ``path`` (PNG). Names in links, routes and parents must exist.

    ``routes``: paths traffic took, most interesting first (up to six are drawn).
    ``neighbour_links``: None draws them faded up to 150 nodes, True coloured by LQI, False
    never. Labels: every node up to 120 nodes, then coordinator and routers up to 400.
    """
    if not nodes:
        raise LocalProtocolError("plot_network needs at least one node")
    by_name = {n.name: n for n in nodes}
    if len(by_name) != len(nodes):
        raise LocalProtocolError("plot_network: node names must be unique")
    pos = {n.name: (n.x, n.y) for n in nodes}

    def xy(name: str) -> tuple[float, float]:
        p = pos.get(name)
        if p is None:
            raise LocalProtocolError(f"plot_network: unknown node {name!r}")
        return p

    for a, b, _ in links:
        xy(a), xy(b)
    for route in routes:
        for name in route:
            xy(name)
    for n in nodes:
        if n.parent_name is not None:
            xy(n.parent_name)
    floors = floor_levels([n.z for n in nodes])
    floor_of = {n.name: level(n.z) for n in nodes}

    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    pad = max(1.0, 0.05 * max(max(xs) - min(xs), max(ys) - min(ys), 1.0))
    x0, x1 = min(xs) - pad, max(xs) + pad * 2.0
    y0, y1 = min(ys) - pad, max(ys) + pad
    aspect = (y1 - y0) / (x1 - x0)
    fig_h = min(max(_FIG_W_IN * 0.8 * aspect + 1.8, 4.5), 12.0)

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
        ax.set_title(title, fontsize=9)

    handles: list[Line2D] = []
    # neighbour links: faded grey, or by LQI when asked
    show_nb = neighbour_links if neighbour_links is not None else len(nodes) <= _FADED_NEIGHBOURS
    if links and show_nb:
        segs = [(xy(a), xy(b)) for a, b, _ in links]
        if neighbour_links:
            cols: list[tuple[float, float, float, float] | str] = [
                _lqi_colour(q) for _, _, q in links
            ]
            ax.add_collection(
                LineCollection(segs, colors=cols, linewidths=0.6, alpha=0.45, zorder=2)
            )
        else:
            ax.add_collection(
                LineCollection(segs, colors="#bdbdbd", linewidths=0.5, alpha=0.5, zorder=2)
            )
        handles.append(Line2D([], [], color="#bdbdbd", linewidth=0.8, label="neighbour link"))

    # parent tree, by LQI; dashed between floors
    for cross in (False, True):
        segs = []
        cols = []
        for n in nodes:
            if n.parent_name is None:
                continue
            if (floor_of[n.name] != floor_of[n.parent_name]) != cross:
                continue
            segs.append((pos[n.name], xy(n.parent_name)))
            cols.append(_lqi_colour(n.lqi_to_parent))
        if segs:
            ax.add_collection(
                LineCollection(
                    segs,
                    colors=cols,
                    linewidths=1.3,
                    alpha=0.8,
                    linestyles="--" if cross else "-",
                    zorder=3,
                )
            )
    handles.append(Line2D([], [], color=_CMAP(0.85), linewidth=2.0, label="parent link"))
    if len(floors) > 1:
        handles.append(
            Line2D([], [], color=_CMAP(0.85), linewidth=1.6, linestyle="--", label="between floors")
        )

    # routes traffic took: arrows per hop
    for i, route in enumerate([r for r in routes if len(r) > 1][:_MAX_ROUTES]):
        colour = ROUTE_COLOURS[i % len(ROUTE_COLOURS)]
        pts = [xy(name) for name in route]
        for p0, p1 in zip(pts, pts[1:], strict=False):
            ax.annotate(
                "",
                xy=p1,
                xytext=p0,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": colour,
                    "lw": 2.2,
                    "alpha": 0.9,
                    "shrinkA": 6,
                    "shrinkB": 6,
                    "connectionstyle": f"arc3,rad={0.08 + 0.04 * (i % 3)}",
                },
                zorder=4,
            )
        hops = len(route) - 1
        handles.append(
            Line2D(
                [],
                [],
                color=colour,
                linewidth=1.6,
                label=f"{route[0]} \u2192 {route[-1]} ({hops} hop{'s' if hops != 1 else ''})",
            )
        )

    # nodes by role, outlined by floor
    def edge(n: PlotNode, style: _Style) -> str:
        if len(floors) < 2:
            return style.edge
        return FLOOR_COLOURS[floors.index(floor_of[n.name]) % len(FLOOR_COLOURS)]

    for role in ("coordinator", "router", "end_device"):
        members = [n for n in nodes if n.role == role and n.joined]
        style = _STYLE[role]
        if members:
            ax.scatter(
                [n.x for n in members],
                [n.y for n in members],
                marker=style.marker,
                s=style.size,
                c=style.colour,
                edgecolors=[edge(n, style) for n in members],
                linewidths=1.2 if len(floors) > 1 else 0.8,
                zorder=style.zorder,
            )
            handles.append(_marker_handle(style, _LABELS[role]))
    others = [n for n in nodes if n.role not in _STYLE and n.joined]
    if others:
        ax.scatter([n.x for n in others], [n.y for n in others], marker="D", s=40.0, c="#555555")
        handles.append(Line2D([], [], marker="D", linestyle="", color="#555555", label="other"))
    lost = [n for n in nodes if not n.joined]
    if lost:
        ax.scatter(
            [n.x for n in lost],
            [n.y for n in lost],
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
    if len(floors) > 1:
        for k, z in enumerate(floors):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markersize=6,
                    markerfacecolor="#ffffff",
                    markeredgewidth=1.4,
                    markeredgecolor=FLOOR_COLOURS[k % len(FLOOR_COLOURS)],
                    label=f"floor z = {z:g} m",
                )
            )
    _labels(fig, ax, nodes)

    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.09),
        fontsize=7,
        frameon=False,
        ncols=min(len(handles), 4),
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


def _labels(fig: Figure, ax: object, nodes: Sequence[PlotNode]) -> None:
    """Name labels where they overlap no node and no other label (display pixels)."""
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.apply_aspect()
    many = len(nodes) > _LABEL_ALL
    if len(nodes) > _LABEL_ROUTERS:
        return
    order = sorted(
        range(len(nodes)),
        key=lambda i: ({"coordinator": 0, "router": 1}.get(nodes[i].role, 2), nodes[i].name),
    )
    trans = ax.transData
    px = [tuple(trans.transform((nodes[i].x, nodes[i].y))) for i in order]
    pt = _DPI / 72.0
    sizes: list[tuple[float, float] | None] = [
        None
        if many and nodes[i].role == "end_device"
        else (len(nodes[i].name) * _FONT_PT * 0.58 * pt, _FONT_PT * 1.15 * pt)
        for i in order
    ]
    bbox = ax.get_window_extent()
    spots = place_labels(
        [(float(p[0]), float(p[1])) for p in px],
        sizes,
        radius=4.0 * pt,
        bounds=(bbox.x0, bbox.y0, bbox.x1, bbox.y1),
    )
    inv = trans.inverted()
    for i, spot in zip(order, spots, strict=True):
        if spot is None:
            continue
        x, y = inv.transform(spot)
        ax.text(
            float(x),
            float(y),
            nodes[i].name,
            fontsize=_FONT_PT,
            color="#212121",
            ha="left",
            va="bottom",
            zorder=8,
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
