"""Durations in scenario files, and the error every scenario check raises.

A duration is either a string of one or more ``<number><unit>`` parts (``"500ms"``, ``"7.5s"``,
``"10m"``, ``"1h30m"``; units ``us``/``µs``, ``ms``, ``s``, ``m``/``min``, ``h``; spaces between
number and unit allowed) or a plain TOML number of seconds (``90``, ``0.25``). The result is an
``int`` of microseconds (DESIGN.md section 3.6), rounded half-to-even to the nearest microsecond;
string arithmetic is exact (``"0.1s"`` is 100000 us). No duration exceeds
:data:`MAX_DURATION_US` (one year of virtual time): anything longer is a typo or an overflow,
refused with a clear message rather than a run that never ends.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NoReturn

from zigmesh.errors import ZigmeshError

__all__ = ["MAX_DURATION_US", "ScenarioError", "format_duration", "parse_duration"]

#: the longest duration a scenario may give (365 days)
MAX_DURATION_US = 365 * 24 * 3_600_000_000


class ScenarioError(ZigmeshError):
    """A scenario that cannot run: names where (``nodes[2].grid.rows``) and the problem.

    ``str()`` is ``"<source>: <where>: <problem>"`` (the source, usually the file name, only
    when known).
    """

    def __init__(self, where: str, problem: str, source: str | None = None) -> None:
        self.where = where
        self.problem = problem
        self.source = source
        text = f"{where}: {problem}" if where else problem
        super().__init__(f"{source}: {text}" if source else text)

    def with_source(self, source: str) -> ScenarioError:
        """The same error, attributed to ``source`` (kept if already set)."""
        if self.source is not None:
            return self
        return ScenarioError(self.where, self.problem, source)


_UNIT_US: dict[str, int] = {
    "us": 1,
    "µs": 1,
    "μs": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "min": 60_000_000,
    "h": 3_600_000_000,
}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|μs|ms|min|s|m|h)")
_HINT = "a number of seconds or a string with a unit (us, ms, s, m, h), e.g. '500ms', '10m'"


def parse_duration(value: object, where: str) -> int:
    """Microseconds in a duration value (see the module docstring); ``ScenarioError`` if bad.

    Negative, NaN, infinite, boolean and unit-less string values are rejected; zero is allowed
    (callers that need a positive duration check it).
    """
    if isinstance(value, bool):
        raise ScenarioError(where, f"must be a duration, {_HINT}; got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ScenarioError(where, f"must not be negative, got {value!r}")
        return _bounded(value * 1_000_000, value, where)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScenarioError(where, f"must be a finite duration, got {value!r}")
        if value < 0.0:
            raise ScenarioError(where, f"must not be negative, got {value!r}")
        if value > MAX_DURATION_US / 1_000_000:
            _too_long(value, where)
        return _bounded(round(value * 1_000_000), value, where)
    if isinstance(value, str):
        return _bounded(_parse_text(value, where), value, where)
    raise ScenarioError(where, f"must be a duration, {_HINT}; got {value!r}")


def _bounded(us: int, value: object, where: str) -> int:
    if us > MAX_DURATION_US:
        _too_long(value, where)
    return us


def _too_long(value: object, where: str) -> NoReturn:
    try:
        shown = repr(value)
    except ValueError:  # an int too long to print
        shown = "a number too large to print"
    if len(shown) > 40:
        shown = shown[:37] + "..."
    raise ScenarioError(
        where, f"must be at most {format_duration(MAX_DURATION_US)} (365 days), got {shown}"
    )


def _parse_text(text: str, where: str) -> int:
    s = text.strip()
    if s.startswith("-"):
        raise ScenarioError(where, f"must not be negative, got {text!r}")
    pos = 0
    total = Decimal(0)
    seen = False
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None:
            if not seen and _is_number(s):
                raise ScenarioError(where, f"needs a unit (us, ms, s, m, h), got {text!r}")
            raise ScenarioError(where, f"must be a duration, {_HINT}; got {text!r}")
        total += Decimal(m.group(1)) * _UNIT_US[m.group(2)]
        pos = m.end()
        seen = True
        # skip separating whitespace between parts ("1m 30s")
        while pos < len(s) and s[pos].isspace():
            pos += 1
    if not seen:
        raise ScenarioError(where, f"must be a duration, {_HINT}; got {text!r}")
    return int(total.to_integral_value(rounding=ROUND_HALF_EVEN))


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def format_duration(us: int) -> str:
    """Compact human form of a duration: ``"5m"``, ``"1m30s"``, ``"7.5s"``, ``"500ms"``, ``"80us"``."""
    if us < 0:
        return "-" + format_duration(-us)
    if us == 0:
        return "0s"
    if us < 1_000:
        return f"{us}us"
    if us < 1_000_000:
        return f"{_trim(us / 1_000)}ms"
    parts: list[str] = []
    hours, rest = divmod(us, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if rest:
        parts.append(f"{_trim(rest / 1_000_000)}s")
    return "".join(parts)


def _trim(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return text or "0"
