"""Value checks of scenario tables: each returns the value in the type wanted or raises
:class:`~zigmesh.scenario.durations.ScenarioError` naming the key (``where``) and the problem
(split out of :mod:`zigmesh.scenario.config`)."""

from __future__ import annotations

import difflib
import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from typing import cast

from zigmesh.errors import DecodeError
from zigmesh.scenario.durations import ScenarioError
from zigmesh.security.hashing import install_code_crc, validate_install_code

__all__: list[str] = []

#: Largest coordinate magnitude accepted (metres).
MAX_COORDINATE_M = 1_000_000.0

Point = tuple[float, float, float]


def _got(value: object) -> str:
    return f"got {value!r}"


def _check_keys(table: Mapping[str, object], allowed: Sequence[str], where: str) -> None:
    for raw_key in table:
        key = str(raw_key)
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            path = f"{where}.{key}" if where else key
            raise ScenarioError(path, f"unknown key (allowed: {', '.join(sorted(allowed))}){extra}")


def _table(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ScenarioError(where, f"must be a table, {_got(value)}")
    return cast(Mapping[str, object], value)


def _int(value: object, where: str, lo: int, hi: int | None, what: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < lo
        or (hi is not None and value > hi)
    ):
        raise ScenarioError(where, f"must be {what}, {_got(value)}")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(where, f"must be a number, {_got(value)}")
    x = float(value)
    if not math.isfinite(x):
        raise ScenarioError(where, f"must be a finite number, {_got(value)}")
    return x


def _ranged(value: object, where: str, lo: float, hi: float, unit: str = "") -> float:
    x = _number(value, where)
    if not lo <= x <= hi:
        raise ScenarioError(where, f"must be between {lo:g} and {hi:g}{unit}, {_got(value)}")
    return x


def _positive(value: object, where: str) -> float:
    x = _number(value, where)
    if x <= 0.0:
        raise ScenarioError(where, f"must be a positive number of metres, {_got(value)}")
    return x


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(where, f"must be a string, {_got(value)}")
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(where, f"must be true or false, {_got(value)}")
    return value


def _path(value: object, where: str) -> str:
    text = _str(value, where)
    if not text.strip() or "\x00" in text:
        raise ScenarioError(where, f"must be a file path, {_got(value)}")
    return text


_HEX_SEPARATORS = str.maketrans("", "", ":- ")


def _install_code(value: object, where: str) -> bytes:
    """An install code with its CRC, as hex (``:``, ``-`` and spaces between digits allowed)."""
    text = _str(value, where)
    try:
        code = bytes.fromhex(text.translate(_HEX_SEPARATORS))
    except ValueError:
        raise ScenarioError(
            where, f"must be hex digits (':', '-' and spaces allowed between bytes), {_got(value)}"
        ) from None
    try:
        validate_install_code(code)
    except DecodeError as exc:
        if exc.field == "install_code.crc":
            crc = install_code_crc(code[:-2]).to_bytes(2, "little")
            raise ScenarioError(
                where,
                f"bad CRC: the last 2 bytes are {code[-2:].hex()} but the CRC-16/X.25 of the"
                f" {len(code) - 2}-byte code is {crc.hex()} (little-endian), {_got(value)}",
            ) from None
        raise ScenarioError(
            where,
            "must be a 6, 8, 12 or 16-byte install code followed by its 2-byte CRC (16, 20, 28"
            f" or 36 hex digits), got {len(code)} bytes: {value!r}",
        ) from None
    return code


def _point(value: object, where: str) -> Point:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) not in (2, 3):
        raise ScenarioError(where, f"must be [x, y] or [x, y, z] in metres, {_got(value)}")
    coords = [_number(v, f"{where}[{i}]") for i, v in enumerate(value)]
    for i, c in enumerate(coords):
        if abs(c) > MAX_COORDINATE_M:
            raise ScenarioError(
                f"{where}[{i}]", f"must be within +/-{MAX_COORDINATE_M:g} m, {_got(value[i])}"
            )
    return (coords[0], coords[1], coords[2] if len(coords) == 3 else 0.0)


def _placement_rng(seed: int, table: int, own_seed: int | None) -> random.Random:
    if own_seed is not None:
        data = b"zigmesh.scenario.random.seed" + str(own_seed).encode()
    else:
        data = b"zigmesh.scenario.random" + f"{seed}:{table}".encode()
    return random.Random(int.from_bytes(hashlib.sha256(data).digest(), "little"))
