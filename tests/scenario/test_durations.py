"""Scenario durations: strings with a unit or plain seconds, to integer microseconds."""

from __future__ import annotations

import math

import pytest

from zigmesh.errors import ZigmeshError
from zigmesh.scenario.durations import ScenarioError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "us"),
    [
        ("250us", 250),
        ("250µs", 250),
        ("500ms", 500_000),
        ("7s", 7_000_000),
        ("7.5s", 7_500_000),
        ("0.1s", 100_000),
        (".5s", 500_000),
        ("10m", 600_000_000),
        ("5min", 300_000_000),
        ("1h", 3_600_000_000),
        ("1m30s", 90_000_000),
        ("1h 30m", 5_400_000_000),
        (" 2 s ", 2_000_000),
        ("0s", 0),
        ("1.0000005s", 1_000_000),  # half to even
        ("1.5us", 2),
        (90, 90_000_000),
        (0, 0),
        (0.25, 250_000),
        (0.1, 100_000),
        (1e-6, 1),
    ],
)
def test_good_durations(value: object, us: int) -> None:
    assert parse_duration(value, "x") == us


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (-1, "must not be negative, got -1"),
        (-0.5, "must not be negative, got -0.5"),
        ("-5s", "must not be negative, got '-5s'"),
        (math.nan, "must be a finite duration, got nan"),
        (math.inf, "must be a finite duration, got inf"),
        ("10", "needs a unit (us, ms, s, m, h), got '10'"),
        ("1.5", "needs a unit (us, ms, s, m, h), got '1.5'"),
        ("abc", "must be a duration"),
        ("", "must be a duration"),
        ("5 parsecs", "must be a duration"),
        ("1.2.3s", "must be a duration"),
        ("5s junk", "must be a duration"),
        ("s", "must be a duration"),
        (True, "must be a duration"),
        (None, "must be a duration"),
        ([1], "must be a duration"),
    ],
)
def test_bad_durations_name_where(value: object, problem: str) -> None:
    with pytest.raises(ScenarioError) as ei:
        parse_duration(value, "traffic[0].every")
    assert ei.value.where == "traffic[0].every"
    assert problem in ei.value.problem
    assert str(ei.value).startswith("traffic[0].every: ")
    assert isinstance(ei.value, ZigmeshError)


def test_error_message_exact() -> None:
    with pytest.raises(ScenarioError, match=r"^nodes\[1\]\.join_at: must not be negative, got -2$"):
        parse_duration(-2, "nodes[1].join_at")


def test_error_with_source() -> None:
    e = ScenarioError("duration", "must be positive, got 0")
    assert str(e) == "duration: must be positive, got 0"
    e2 = e.with_source("house.toml")
    assert str(e2) == "house.toml: duration: must be positive, got 0"
    assert e2.with_source("other.toml") is e2


@pytest.mark.parametrize(
    ("us", "text"),
    [
        (0, "0s"),
        (80, "80us"),
        (500_000, "500ms"),
        (1_500, "1.5ms"),
        (7_500_000, "7.5s"),
        (300_000_000, "5m"),
        (90_000_000, "1m30s"),
        (3_600_000_000, "1h"),
        (5_430_000_000, "1h30m30s"),
        (-2_000_000, "-2s"),
    ],
)
def test_format_duration(us: int, text: str) -> None:
    assert format_duration(us) == text


@pytest.mark.parametrize("us", [0, 80, 500_000, 7_500_000, 90_000_000, 5_430_000_000])
def test_format_parses_back(us: int) -> None:
    assert parse_duration(format_duration(us), "x") == us
