"""network.png: a PNG, deterministic bytes, every input shape drawn without error."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest

from zigmesh.errors import LocalProtocolError
from zigmesh.scenario.config import default_scenario
from zigmesh.scenario.plot import PlotNode, plot_network

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> list[bytes]:
    out = []
    i = 8
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        out.append(data[i + 4 : i + 8])
        i += 12 + n
    return out


def _house() -> tuple[list[PlotNode], list[tuple[str, str, int | None]], list[list[str]]]:
    """The default house with a made-up tree: parents by nearest router, LQI from distance."""
    s = default_scenario()
    parents = [n for n in s.nodes if n.role != "end_device"]
    nodes = []
    for n in s.nodes:
        parent = None
        lqi = None
        if n.role != "coordinator":
            cands = [p for p in parents if p.name != n.name]
            best = min(cands, key=lambda p: (math.dist(p.position, n.position), p.name))
            parent = best.name
            lqi = max(0, 255 - int(12 * math.dist(best.position, n.position)))
        nodes.append(
            PlotNode(
                n.name,
                n.role,
                n.position[0],
                n.position[1],
                parent,
                lqi,
                n.position[2],
                n.name != "leak-2",
            )
        )
    links: list[tuple[str, str, int | None]] = [
        (a.name, b.name, max(0, 255 - int(10 * math.dist(a.position, b.position))))
        for i, a in enumerate(parents)
        for b in parents[i + 1 :]
    ]
    links.append(("plug-1", "plug-2", None))
    routes = [["plug-1", "hub", "light-4"], ["hub", "light-6"]]
    return nodes, links, routes


def test_writes_a_deterministic_png(tmp_path: Path) -> None:
    nodes, links, routes = _house()
    a = tmp_path / "a.png"
    b = tmp_path / "b.png"
    plot_network(a, nodes, links, routes, title="house")
    plot_network(b, nodes, links, routes, title="house")
    data = a.read_bytes()
    assert len(data) > 10_000
    assert data.startswith(PNG_MAGIC)
    assert data == b.read_bytes()
    chunks = _chunks(data)
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    # no text metadata (software version, timestamps)
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(chunks)


def test_flat_network_unknown_role_and_no_links(tmp_path: Path) -> None:
    nodes = [
        PlotNode("c", "coordinator", 0.0, 0.0),
        PlotNode("r", "router", 10.0, 0.0, "c", 200),
        PlotNode("e", "end_device", 10.0, 5.0, "r", 30),
        PlotNode("x", "gateway", 5.0, 5.0),
        PlotNode("lost", "end_device", 20.0, 20.0, joined=False),
        PlotNode("mast", "router", 0.0, 10.0, "c", None, z=12.0),  # a lone height: no floor panels
    ]
    out = tmp_path / "flat.png"
    plot_network(out, nodes)
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_single_node(tmp_path: Path) -> None:
    out = tmp_path / "one.png"
    plot_network(out, [PlotNode("c", "coordinator", 3.0, 4.0)], routes=[["c"]])
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_bad_inputs(tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    c = PlotNode("c", "coordinator", 0.0, 0.0)
    with pytest.raises(LocalProtocolError, match="at least one node"):
        plot_network(out, [])
    with pytest.raises(LocalProtocolError, match="unique"):
        plot_network(out, [c, c])
    with pytest.raises(LocalProtocolError, match="unknown node 'ghost'"):
        plot_network(out, [c], links=[("c", "ghost", 10)])
    with pytest.raises(LocalProtocolError, match="unknown node 'ghost'"):
        plot_network(out, [c], routes=[["c", "ghost"]])
    with pytest.raises(LocalProtocolError, match="unknown node 'ghost'"):
        plot_network(out, [c, PlotNode("r", "router", 1.0, 1.0, "ghost", 1)])
    assert not out.exists()
