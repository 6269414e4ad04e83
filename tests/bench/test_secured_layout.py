"""bench/secured.py's 1,000-node network, built (not run): it fits nwkMaxDepth at its spacing."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def secured() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))  # secured.py imports scale.py from beside it, as when run
    try:
        spec = importlib.util.spec_from_file_location("bench_secured", BENCH / "secured.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_secured"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


def test_grid_fits_nwk_max_depth(secured: ModuleType) -> None:
    scale = sys.modules["scale"]
    spacing = secured.grid_spacing(1000)
    assert spacing == 20.0
    sc = secured.grid_scenario(1000, 1_000_000, spacing=spacing)
    routers = [s for s in sc.nodes if s.role == "router"]
    assert len(routers) == 599 and len(sc.nodes) == 1000
    depths = scale.router_depths(sc)
    assert min(depths.values()) >= 0 and max(depths.values()) <= scale.TARGET_DEPTH
    # the largest such spacing: 0.5 m more and the far routers go too deep; the old 25 m grid
    # had routers 18 good-link hops out, past nwkMaxDepth
    wider = secured.grid_scenario(1000, 1_000_000, spacing=spacing + scale.SPACING_STEP_M)
    assert max(scale.router_depths(wider).values()) > scale.TARGET_DEPTH
    old = secured.grid_scenario(1000, 1_000_000, spacing=25.0)
    assert max(scale.router_depths(old).values()) > scale.NWK_MAX_DEPTH
    # a small network keeps the nominal spacing's neighbourhood (up to 25 m)
    assert 24.0 <= secured.grid_spacing(200) <= secured.MAX_ROUTER_SPACING_M
