"""``zigmesh run`` into a pipe or CI log: the tables keep their columns (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zigmesh.cli import PIPE_WIDTH, main

SCENARIO = """
seed = 1
duration = "40s"
channel = 15
[[nodes]]
role = "coordinator"
name = "hub"
position = [0, 0]
[[nodes]]
role = "end_device"
name = "kitchen-temperature-sensor"
position = [6, 0]
poll_interval = "5s"
[[traffic]]
name = "kitchen-temperature-reports"
from = "kitchen-temperature-sensor"
to = "coordinator"
every = "5s"
size = 10
"""


@pytest.mark.parametrize(
    "env",
    [{}, {"COLUMNS": "80"}, {"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1", "COLUMNS": "80"}],
)
def test_tables_are_not_squeezed_in_a_pipe(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
) -> None:
    # CI runners export some of these; rich then takes the pipe for an 80-column terminal
    for key in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "-q"]) == 0
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "\u2026" not in out  # nothing truncated with an ellipsis
    header = next(line for line in out.splitlines() if "delivered" in line and "sent" in line)
    for word in ("ratio", "APS confirms", "p50 ms", "p99 ms", "hops"):
        assert word in header
    assert "kitchen-temperature-sensor \u2192 hub" in out
    assert 80 < max(len(line) for line in out.splitlines()) <= PIPE_WIDTH
    assert "report.html" in out
