"""What ``network.png`` and the report's SVG map share (issue 12): floors, colours, labels.

* **Floors** are drawn honestly: every node at its true ``(x, y)`` on one plan, whatever its
  height; a node's floor (``z`` to 0.5 m) shows as the colour of its outline, and links
  between floors are dashed, so a drawn link is as long as its horizontal extent.
* **Colours**: link quality uses a red-yellow-green scale (:func:`lqi_rgb`); routes use
  :data:`ROUTE_COLOURS`, blues, purples, magentas and black only, so they never read as LQI.
* **Labels** avoid each other and the nodes: :func:`place_labels` tries eight positions around
  each node, in a fixed order, and leaves a label out when none is free (deterministic, grid
  indexed, fine for a thousand nodes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "FLOOR_COLOURS",
    "ROUTE_COLOURS",
    "PlotNode",
    "floor_levels",
    "level",
    "lqi_rgb",
    "place_labels",
]

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


#: route colours: away from the red-yellow-green LQI scale and from the node fills
ROUTE_COLOURS = ("#1565c0", "#8e24aa", "#000000", "#00acc1", "#4527a0", "#5d4037", "#0277bd")
#: outline colour of the nodes of each floor, lowest first (then repeated)
FLOOR_COLOURS = ("#212121", "#ef6c00", "#00897b", "#5e35b1", "#6d4c41", "#c2185b")

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def level(z: float) -> float:
    """The floor of a height: ``z`` rounded to 0.5 m."""
    return round(z * 2.0) / 2.0


def floor_levels(zs: Sequence[float]) -> list[float]:
    """The distinct floors among heights ``zs``, lowest first."""
    return sorted({level(z) for z in zs})


def lqi_rgb(lqi: int | None) -> str:
    """``#rrggbb`` of an LQI on a red (0) - yellow (128) - green (255) scale; grey for None."""
    if lqi is None:
        return "#9e9e9e"
    t = min(max(lqi, 0), 255) / 255.0
    # RdYlGn end and middle points
    lo, mid, hi = (0xD7, 0x30, 0x27), (0xFF, 0xFF, 0xBF), (0x1A, 0x98, 0x50)
    a, b, u = (lo, mid, t * 2.0) if t < 0.5 else (mid, hi, (t - 0.5) * 2.0)
    r, g, bl = (round(a[i] + (b[i] - a[i]) * u) for i in range(3))
    return f"#{r:02x}{g:02x}{bl:02x}"


_OFFSETS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))


def place_labels(
    points: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float] | None],
    radius: float,
    bounds: Box | None = None,
) -> list[tuple[float, float] | None]:
    """Lower-left corner of each label, or None where it would overlap; display units with
    ``y`` growing *up*. ``points`` are node centres (obstacles of half-size ``radius``),
    ``sizes`` label width and height (None: no label); labels are placed in order."""
    cell = max(radius * 8.0, 1.0)
    grid: dict[tuple[int, int], list[Box]] = {}

    def cells(b: Box) -> list[tuple[int, int]]:
        return [
            (i, j)
            for i in range(int(b[0] // cell), int(b[2] // cell) + 1)
            for j in range(int(b[1] // cell), int(b[3] // cell) + 1)
        ]

    def add(b: Box) -> None:
        for c in cells(b):
            grid.setdefault(c, []).append(b)

    def free(b: Box) -> bool:
        if bounds is not None and (
            b[0] < bounds[0] or b[1] < bounds[1] or b[2] > bounds[2] or b[3] > bounds[3]
        ):
            return False
        for c in cells(b):
            for o in grid.get(c, ()):
                if b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3]:
                    return False
        return True

    for x, y in points:
        add((x - radius, y - radius, x + radius, y + radius))
    out: list[tuple[float, float] | None] = []
    gap = radius * 1.2
    for (x, y), size in zip(points, sizes, strict=True):
        if size is None:
            out.append(None)
            continue
        w, h = size
        placed: tuple[float, float] | None = None
        for dx, dy in _OFFSETS:
            lx = x + gap if dx > 0 else x - gap - w if dx < 0 else x - w / 2
            ly = y + gap if dy > 0 else y - gap - h if dy < 0 else y - h / 2
            b = (lx, ly, lx + w, ly + h)
            if free(b):
                add(b)
                placed = (lx, ly)
                break
        out.append(placed)
    return out
