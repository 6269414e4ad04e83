"""Issue 9, command-line robustness of ``zigmesh run`` and scenario loading: durations have an
upper bound (``1e308`` raised OverflowError, ``100000000h`` ran forever), deeply nested TOML
is a scenario error (not RecursionError), a bad ``--out`` is refused before the run, and
``--seed -1`` blames the flag."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from zigmesh.cli import main
from zigmesh.scenario.config import load_scenario
from zigmesh.scenario.durations import ScenarioError, parse_duration

A_YEAR_US = 365 * 24 * 3600 * 1_000_000

DEFAULT = resources.files("zigmesh.scenario").joinpath("default.toml").read_text("utf-8")


def _scenario(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    "value",
    [1e308, "100000000h", 31_536_001, "8760h1us", 1e16, 2**62, 10**5000],
    ids=["1e308", "100000000h", "a year and 1s", "a year and 1us", "1e16", "2**62", "10**5000"],
)
def test_durations_have_an_upper_bound(value: object) -> None:
    with pytest.raises(ScenarioError, match=r"must be at most 8760h \(365 days\)"):
        parse_duration(value, "duration")


def test_a_year_is_the_longest_duration() -> None:
    assert parse_duration("8760h", "duration") == A_YEAR_US
    assert parse_duration(365 * 24 * 3600, "duration") == A_YEAR_US


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('duration = "5m"', "duration = 1e308", "duration"),
        ('duration = "5m"', 'duration = "100000000h"', "duration"),
        ('poll_interval = "30s"', "poll_interval = 1e308", "poll_interval"),
        ('every = "20s"', 'every = "100000000h"', "every"),
    ],
)
def test_run_refuses_an_endless_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, where: str
) -> None:
    assert old in DEFAULT
    p = _scenario(tmp_path, DEFAULT.replace(old, new, 1))
    rc, out, err = _run(capsys, "run", str(p), "--out", str(tmp_path / "o"), "-q")
    assert rc == 2 and out == ""
    assert re.search(rf"{where}: must be at most 8760h", err), err
    assert "Traceback" not in err and "OverflowError" not in err


def test_deeply_nested_toml_is_a_scenario_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _scenario(tmp_path, "x = " + "[" * 3000 + "]" * 3000 + "\n" + DEFAULT)
    with pytest.raises(ScenarioError, match="nested more than 32 levels"):
        load_scenario(p)
    p = _scenario(tmp_path, DEFAULT + "\n[deep]\nx = " + "[" * 40 + "]" * 40 + "\n")
    with pytest.raises(ScenarioError, match="nested more than 32 levels"):
        load_scenario(p)
    rc, _, err = _run(capsys, "run", str(p), "--out", str(tmp_path / "o"), "-q")
    assert rc == 2 and "nested more than 32 levels" in err and "RecursionError" not in err


def test_out_naming_a_file_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "taken"
    f.write_text("not a directory")
    rc, out, err = _run(capsys, "run", "--out", str(f), "-q")
    assert rc == 2 and out == ""
    assert err == f"zigmesh run: --out {f}: exists and is not a directory\n"
    under = f / "sub" / "dir"
    rc, out, err = _run(capsys, "run", "--out", str(under), "-q")
    assert rc == 2 and out == ""
    assert err == f"zigmesh run: --out {under}: {f} is a file, not a directory\n"
    assert f.read_text() == "not a directory"


@pytest.mark.parametrize("seed", ["-1", "x"])
def test_negative_seed_blames_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--seed", seed, "--out", str(tmp_path / "o"), "-q"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed" in err and "default.toml" not in err
    assert not (tmp_path / "o").exists()
