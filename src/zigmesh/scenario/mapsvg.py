"""The report's network map as inline SVG (issue 12), drawn by hand so that every node is one
addressable element the page's script can hover, click and highlight.

Same conventions as ``network.png`` (:mod:`~zigmesh.scenario.maplayout`): true-scale plan,
floors by outline colour (and a ``data-floor`` the page can filter on), parent links coloured by
LQI (dashed between floors), routes traffic took as arrows, neighbour links in their own layer
(hidden until asked for), labels placed where they overlap nothing. Each node is
``<g class="node" id="n-<index>" data-name=...>``; routes are ``<path class="route"
data-nodes="a b c">``. Output is plain text built in a fixed order: same inputs, same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from zigmesh.scenario.maplayout import (
    FLOOR_COLOURS,
    ROUTE_COLOURS,
    PlotNode,
    floor_levels,
    level,
    lqi_rgb,
    place_labels,
)

__all__ = ["map_svg"]

_WIDTH = 960.0
_MAX_HEIGHT = 640.0
_MARGIN = 24.0
_FONT = 10.0
_LABEL_ALL = 120
_LABEL_ROUTERS = 400
_FILL = {"coordinator": "#ffc400", "router": "#1f4e9c", "end_device": "#b39ddb"}


def _f(x: float) -> str:
    return f"{x:.1f}"


def map_svg(
    nodes: Sequence[PlotNode],
    links: Sequence[tuple[str, str, int | None]] = (),
    routes: Sequence[Sequence[str]] = (),
) -> str:
    """The ``<svg>`` element of the map (see the module docstring)."""
    if not nodes:
        return '<svg class="map" viewBox="0 0 10 10"></svg>'
    xs = [n.x for n in nodes]
    ys = [n.y for n in nodes]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span_x, span_y = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    scale = min((_WIDTH - 2 * _MARGIN) / span_x, (_MAX_HEIGHT - 2 * _MARGIN) / span_y)
    height = span_y * scale + 2 * _MARGIN
    r = 5.0 if len(nodes) <= 200 else 3.5 if len(nodes) <= 600 else 2.5

    def px(n: PlotNode) -> tuple[float, float]:
        return (_MARGIN + (n.x - x0) * scale, height - _MARGIN - (n.y - y0) * scale)

    pos = {n.name: px(n) for n in nodes}
    floors = floor_levels([n.z for n in nodes])
    floor_of = {n.name: level(n.z) for n in nodes}
    index = {n.name: i for i, n in enumerate(nodes)}
    out = [
        f'<svg class="map" id="map" viewBox="0 0 {_f(_WIDTH)} {_f(height)}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="network map">',
        "<defs>",
    ]
    for i, colour in enumerate(ROUTE_COLOURS):
        out.append(
            f'<marker id="arrow{i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
            f'markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
            f'fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    # scale bar: 10^k metres near a fifth of the width
    bar_m = _nice(span_x / 4.0)
    out.append(
        f'<g class="scale"><line x1="{_f(_MARGIN)}" y1="{_f(height - 8)}" '
        f'x2="{_f(_MARGIN + bar_m * scale)}" y2="{_f(height - 8)}"/>'
        f'<text x="{_f(_MARGIN)}" y="{_f(height - 11)}">{bar_m:g} m</text></g>'
    )
    out.append('<g id="neighbours" class="neighbours">')
    for a, b, q in links:
        (ax, ay), (bx, by) = pos[a], pos[b]
        out.append(
            f'<line x1="{_f(ax)}" y1="{_f(ay)}" x2="{_f(bx)}" y2="{_f(by)}" '
            f'stroke="{lqi_rgb(q)}" data-a="{index[a]}" data-b="{index[b]}"/>'
        )
    out.append("</g>")
    out.append('<g id="tree" class="tree">')
    for n in nodes:
        if n.parent_name is None or n.parent_name not in pos:
            continue
        (ax, ay), (bx, by) = pos[n.name], pos[n.parent_name]
        dash = ' stroke-dasharray="5 3"' if floor_of[n.name] != floor_of[n.parent_name] else ""
        out.append(
            f'<line x1="{_f(ax)}" y1="{_f(ay)}" x2="{_f(bx)}" y2="{_f(by)}" '
            f'stroke="{lqi_rgb(n.lqi_to_parent)}"{dash} data-a="{index[n.name]}" '
            f'data-b="{index[n.parent_name]}"/>'
        )
    out.append("</g>")
    out.append('<g id="routes" class="routes">')
    for i, route in enumerate(rt for rt in routes if len(rt) > 1):
        k = i % len(ROUTE_COLOURS)
        pts = [pos[name] for name in route if name in pos]
        d = "M" + "L".join(f"{_f(x)},{_f(y)}" for x, y in pts)
        ids = " ".join(str(index[name]) for name in route if name in index)
        hidden = " hidden" if i >= 6 else ""
        out.append(
            f'<path class="route{hidden}" d="{d}" stroke="{ROUTE_COLOURS[k]}" '
            f'marker-mid="url(#arrow{k})" marker-end="url(#arrow{k})" data-nodes="{ids}">'
            f"<title>{escape(route[0])} \u2192 {escape(route[-1])} "
            f"({len(route) - 1} hop{'' if len(route) == 2 else 's'})</title></path>"
        )
    out.append("</g>")
    out.append('<g id="nodes">')
    # end devices below routers below the coordinator: the infrastructure stays clickable
    rank = {"end_device": 0, "router": 1, "coordinator": 2}
    for i, n in sorted(enumerate(nodes), key=lambda p: (rank.get(p[1].role, 0), p[0])):
        x, y = pos[n.name]
        fl = floors.index(floor_of[n.name])
        edge = FLOOR_COLOURS[fl % len(FLOOR_COLOURS)] if len(floors) > 1 else "#212121"
        shape = _shape(n, x, y, r, edge)
        out.append(
            f'<g class="node {n.role}{"" if n.joined else " lost"}" id="n-{i}" '
            f'data-name="{escape(n.name)}" data-floor="{fl}">{shape}'
            f"<title>{escape(n.name)}</title></g>"
        )
    out.append("</g>")
    out.append(_labels(nodes, pos, r, height))
    out.append("</svg>")
    return "\n".join(out)


def _shape(n: PlotNode, x: float, y: float, r: float, edge: str) -> str:
    if not n.joined:
        return (
            f'<path d="M{_f(x - r)},{_f(y - r)}L{_f(x + r)},{_f(y + r)}M{_f(x - r)},{_f(y + r)}'
            f'L{_f(x + r)},{_f(y - r)}" stroke="#616161" stroke-width="2.2"/>'
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r * 1.6)}" fill="transparent"/>'
        )
    fill = _FILL.get(n.role, "#555555")
    if n.role == "coordinator":
        big = r * 2.0
        pts = []
        for k in range(10):
            rad = big if k % 2 == 0 else big * 0.45
            a = math.pi / 2 + k * math.pi / 5
            pts.append(f"{_f(x + rad * math.cos(a))},{_f(y - rad * math.sin(a))}")
        return f'<polygon points="{" ".join(pts)}" fill="{fill}" stroke="#000" stroke-width="1"/>'
    if n.role == "router":
        s = r * 1.1
        return (
            f'<rect x="{_f(x - s)}" y="{_f(y - s)}" width="{_f(2 * s)}" height="{_f(2 * s)}" '
            f'fill="{fill}" stroke="{edge}" stroke-width="1.6"/>'
        )
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" fill="{fill}" stroke="{edge}" stroke-width="1.6"/>'


def _labels(
    nodes: Sequence[PlotNode], pos: dict[str, tuple[float, float]], r: float, height: float
) -> str:
    if len(nodes) > _LABEL_ROUTERS:
        return '<g class="labels"></g>'
    many = len(nodes) > _LABEL_ALL
    order = sorted(
        range(len(nodes)),
        key=lambda i: ({"coordinator": 0, "router": 1}.get(nodes[i].role, 2), nodes[i].name),
    )
    # place_labels works with y up: flip
    pts = [(pos[nodes[i].name][0], height - pos[nodes[i].name][1]) for i in order]
    sizes: list[tuple[float, float] | None] = [
        None
        if many and nodes[i].role == "end_device"
        else (len(nodes[i].name) * _FONT * 0.6, _FONT * 1.1)
        for i in order
    ]
    spots = place_labels(pts, sizes, radius=r + 1.0, bounds=(0.0, 0.0, _WIDTH, height))
    out = ['<g class="labels">']
    for i, spot in zip(order, spots, strict=True):
        if spot is None:
            continue
        lx, ly = spot
        out.append(
            f'<text x="{_f(lx)}" y="{_f(height - ly - 2.0)}" data-i="{i}">'
            f"{escape(nodes[i].name)}</text>"
        )
    out.append("</g>")
    return "\n".join(out)


def _nice(x: float) -> float:
    """The 1/2/5 x 10^k value at or below ``x`` (at least 1)."""
    if x <= 1.0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(x))
    for f in (5.0, 2.0, 1.0):
        if f * mag <= x:
            return f * mag
    return mag
