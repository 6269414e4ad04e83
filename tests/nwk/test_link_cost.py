"""Link and path cost (Zigbee spec R22 3.6.3.1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.link_cost import (
    LINK_COST_TABLE,
    MAX_LINK_COST,
    MAX_PATH_COST,
    MIN_LINK_COST,
    build_cost_table,
    cost_from_probability,
    delivery_probability,
    link_cost,
    path_cost,
    symmetric_link_cost,
)

PROPS = settings(max_examples=250, deadline=None)


def test_table_shape_range_and_monotonic() -> None:
    assert len(LINK_COST_TABLE) == 256
    assert all(MIN_LINK_COST <= x <= MAX_LINK_COST for x in LINK_COST_TABLE)
    # better LQI never costs more
    assert all(a >= b for a, b in zip(LINK_COST_TABLE, LINK_COST_TABLE[1:], strict=False))
    assert set(LINK_COST_TABLE) == set(range(1, 8))  # every cost is reachable


def test_table_values() -> None:
    # p = LQI/255, C = min(7, round(1/p^4))
    assert link_cost(255) == 1
    assert link_cost(231) == 1  # p = 0.906, 1/p^4 = 1.48
    assert link_cost(230) == 2  # p = 0.902, 1/p^4 = 1.51
    assert link_cost(204) == 2  # p = 0.8, 1/p^4 = 2.44
    assert link_cost(179) == 4  # p = 0.702, 1/p^4 = 4.12
    assert link_cost(160) == 6  # p = 0.627, 1/p^4 = 6.45
    assert link_cost(159) == 7
    assert link_cost(0) == 7  # p = 0


def test_cost_from_probability() -> None:
    assert cost_from_probability(1.0) == 1
    assert cost_from_probability(0.9) == 2  # 1.52
    assert cost_from_probability(0.5) == 7  # 16 -> capped
    assert cost_from_probability(0.0) == 7
    assert cost_from_probability(-0.1) == 7
    assert cost_from_probability(1.5) == 1  # never below 1
    assert delivery_probability(255) == 1.0 and delivery_probability(0) == 0.0


def test_report_constant_cost() -> None:
    for lqi in (0, 128, 255):
        assert link_cost(lqi, report_constant_cost=True) == 7


def test_lqi_range_checked() -> None:
    for bad in (-1, 256):
        with pytest.raises(LocalProtocolError):
            link_cost(bad)


def test_custom_mapping() -> None:
    perfect = build_cost_table(lambda lqi: 1.0)
    assert perfect == (1,) * 256
    step = build_cost_table(lambda lqi: 1.0 if lqi >= 100 else 0.0)
    assert link_cost(99, table=step) == 7 and link_cost(100, table=step) == 1


def test_path_cost() -> None:
    assert path_cost([]) == 0
    assert path_cost([1, 3, 7]) == 11
    assert path_cost([7] * 30) == 210
    assert path_cost([7] * 40) == MAX_PATH_COST == 0xFF


def test_symmetric_link_cost() -> None:
    assert symmetric_link_cost(3, 0) == 3  # outgoing unknown yet
    assert symmetric_link_cost(3, 5) == 5
    assert symmetric_link_cost(6, 2) == 6


@PROPS
@given(st.integers(0, 255), st.integers(0, 255))
def test_monotonic_property(a: int, b: int) -> None:
    lo, hi = min(a, b), max(a, b)
    assert link_cost(lo) >= link_cost(hi)
    assert 1 <= link_cost(a) <= 7


@PROPS
@given(st.lists(st.integers(1, 7), max_size=64))
def test_path_cost_property(costs: list[int]) -> None:
    assert path_cost(costs) == min(0xFF, sum(costs))
