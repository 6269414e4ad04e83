"""report.html in a real headless browser (issue 12): it loads without console errors, every
node of the default scenario is in the map, hovering and clicking a node shows its figures,
tables sort, and a screenshot is written.

Skipped only when chromium is missing outside CI (``.ci/run`` installs Debian's ``chromium``).
Set ``ZIGMESH_SCREENSHOT_DIR`` to keep the screenshots."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.scenario.browser import Browser, chromium_path
from zigmesh.scenario.config import default_scenario
from zigmesh.scenario.runner import RunResult, run_scenario

CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium not installed (apt-get install -y chromium; .ci/run does)",
)


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    out = tmp_path_factory.mktemp("house")
    return run_scenario(default_scenario(), out, progress=False)


@pytest.fixture(scope="module")
def page(house: RunResult) -> Any:
    assert CHROMIUM is not None, "CI must have chromium"
    with Browser(CHROMIUM) as b:
        b.open(house.files["report"])
        yield b


def _keep(path: Path) -> None:
    keep = os.environ.get("ZIGMESH_SCREENSHOT_DIR")
    if keep:
        shutil.copy(path, Path(keep) / path.name)


def test_loads_without_errors_and_shows_every_node(house: RunResult, page: Browser) -> None:
    assert page.eval("document.body.dataset.ready") == "1"
    assert page.errors == []
    assert page.eval("document.body.dataset.errors || ''") == ""
    names = page.eval("[...document.querySelectorAll('#map .node')].map(g => g.dataset.name)")
    assert sorted(names) == sorted(n.name for n in default_scenario().nodes)
    assert len(names) == len(set(names)) == 31
    # every node has a row in the node table, every source one in the flow table
    assert page.eval("document.querySelectorAll('#node-table tbody tr').length") == len(names)
    sources = sum(len(f["per_source"]) for f in house.summary["flows"])
    assert page.eval("document.querySelectorAll('#flow-table tbody tr').length") == sources
    # nothing is fetched from the network
    assert (
        page.eval(
            "[...document.querySelectorAll('[src],link[href]')].filter(e => /^https?:/"
            ".test(e.getAttribute('src') || e.getAttribute('href'))).length"
        )
        == 0
    )


def _longest_route_source(summary: dict[str, Any]) -> tuple[str, list[str]]:
    best: tuple[str, list[str]] = ("", [])
    for f in summary["flows"]:
        for s in f["per_source"]:
            if len(s["route"]) > len(best[1]):
                best = (s["source"], s["route"])
    return best


def test_hover_and_click_show_the_figures(house: RunResult, page: Browser, tmp_path: Path) -> None:
    name, route = _longest_route_source(house.summary)
    assert len(route) >= 3, "the house has multi-hop routes"
    row = next(r for r in house.summary["per_node"] if r["name"] == name)
    node_id = page.eval(f"document.querySelector('#map .node[data-name=\\'{name}\\']').id")
    el = f"document.getElementById('{node_id}')"
    page.eval(f"{el}.scrollIntoView({{block: 'center'}})")
    box = page.eval(
        f"(() => {{ const r = {el}.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }})()"
    )
    x, y = box[0] + box[2] / 2, box[1] + box[3] / 2

    page.mouse("mouseMoved", x, y)
    assert page.eval("getComputedStyle(document.getElementById('tip')).display") == "block"
    tip = page.eval("document.getElementById('tip').textContent")
    assert name in tip and row["short_address"] in tip and row["parent"] in tip
    hover = tmp_path / "report-hover.png"
    page.screenshot(hover)
    _keep(hover)

    page.mouse("mousePressed", x, y)
    page.mouse("mouseReleased", x, y)
    assert page.eval("document.getElementById('info-name').textContent") == name
    info = page.eval("document.getElementById('info').textContent")
    assert row["short_address"] in info and row["eui64"] in info
    energy = next(e for e in house.summary["energy"] if e["name"] == name)
    assert f"{energy['battery_life_days']}" in info
    assert " \u2192 ".join(route) in info
    # its route and its neighbours are highlighted on the map
    assert page.eval("document.querySelectorAll('#map .route.hl').length") >= 1
    hl = page.eval("[...document.querySelectorAll('#map .node.hl')].map(g => g.dataset.name)")
    assert set(route) <= set(hl)
    assert page.eval("document.querySelectorAll('#selection line').length") == len(
        [n for n in row["neighbours"] if n["name"]]
    )
    assert page.eval("document.querySelector('#node-table tr.hl td').textContent") == name
    shot = tmp_path / "report.png"
    page.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    _keep(shot)
    assert page.errors == []


def test_tables_sort(house: RunResult, page: Browser) -> None:
    col = page.eval(
        "[...document.querySelectorAll('#energy-table th')].findIndex(t => t.textContent === 'battery days')"
    )
    page.eval(f"document.querySelectorAll('#energy-table th')[{col}].click()")
    first = page.eval("document.querySelector('#energy-table tbody tr td').textContent")
    lives = {e["name"]: e["battery_life_days"] for e in house.summary["energy"]}
    assert lives[first] == min(lives.values())
    page.eval(f"document.querySelectorAll('#energy-table th')[{col}].click()")
    first = page.eval("document.querySelector('#energy-table tbody tr td').textContent")
    assert lives[first] == max(lives.values())
    full = Path(os.environ.get("ZIGMESH_SCREENSHOT_DIR") or house.out_dir) / "report-full.png"
    page.screenshot(full, full_page=True)
    assert page.errors == []
