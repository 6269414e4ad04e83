"""The map shared by network.png and the report (issue 12): labels never overlap, floors stay
at their true positions, the LQI scale and the route colours stay apart."""

from __future__ import annotations

import random
import re

from zigmesh.scenario.maplayout import ROUTE_COLOURS, lqi_rgb, place_labels
from zigmesh.scenario.mapsvg import map_svg
from zigmesh.scenario.plot import PlotNode


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_overlap_neither_each_other_nor_nodes() -> None:
    rng = random.Random(4)
    pts = [(rng.uniform(0, 400), rng.uniform(0, 300)) for _ in range(100)]
    sizes: list[tuple[float, float] | None] = [(rng.uniform(20, 60), 10.0) for _ in pts]
    spots = place_labels(pts, sizes, radius=4.0, bounds=(0, 0, 400, 300))
    boxes = []
    for spot, size in zip(spots, sizes, strict=True):
        if spot is not None and size is not None:
            boxes.append((spot[0], spot[1], spot[0] + size[0], spot[1] + size[1]))
    assert len(boxes) > 60  # most get a place
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= 400 and a[1] >= 0 and a[3] <= 300
        for b in boxes[i + 1 :]:
            assert not _overlap(a, b)
        for x, y in pts:
            assert not _overlap(a, (x - 4, y - 4, x + 4, y + 4))
    # deterministic
    assert place_labels(pts, sizes, radius=4.0, bounds=(0, 0, 400, 300)) == spots


def test_route_colours_are_not_on_the_lqi_scale() -> None:
    def rgb(h: str) -> tuple[int, int, int]:
        return (int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16))

    scale = [rgb(lqi_rgb(q)) for q in range(0, 256, 5)]
    for colour in ROUTE_COLOURS:
        c = rgb(colour)
        nearest = min(sum((a - b) ** 2 for a, b in zip(c, s, strict=True)) for s in scale)
        assert nearest > 60**2, colour
    assert lqi_rgb(0) == "#d73027" and lqi_rgb(255) == "#1a9850" and lqi_rgb(None) == "#9e9e9e"


def test_svg_keeps_floors_at_their_true_positions() -> None:
    nodes = [
        PlotNode("hub", "coordinator", 0.0, 0.0),
        PlotNode("down", "router", 10.0, 0.0, "hub", 200, 0.0),
        PlotNode("up", "router", 10.0, 0.0, "hub", 120, 3.0),
        PlotNode("s", "end_device", 12.0, 4.0, "up", 90, 3.0),
        PlotNode("gone", "end_device", 40.0, 4.0, joined=False),
    ]
    svg = map_svg(nodes, [("down", "up", 180)], [["s", "up", "hub"]])
    rects = re.findall(
        r'<g class="node router" id="n-(\d)" data-name="(\w+)" data-floor="(\d)">'
        r'<rect x="([\d.]+)" y="([\d.]+)"',
        svg,
    )
    pos = {name: (x, y, floor) for _i, name, floor, x, y in rects}
    # same x, y on both floors: drawn at the same place, told apart by data-floor
    assert pos["down"][:2] == pos["up"][:2] and pos["down"][2] != pos["up"][2]
    # the link between floors is dashed, the one on a floor is not
    assert re.search(r'<line [^>]*stroke-dasharray="5 3" data-a="2" data-b="0"', svg)
    assert not re.search(r'stroke-dasharray="5 3" data-a="1" data-b="0"', svg)
    assert 'data-nodes="3 2 0"' in svg and "(2 hops)" in svg
    assert 'class="node end_device lost"' in svg
    assert svg.count('class="node ') == 5
