"""examples/zigpy_house.py runs: zigpy interviews the house and turns a light on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("zigpy")

from tests.zigpy.helpers import ROOT  # noqa: E402


def test_zigpy_house_example_runs() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "zigpy_house.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr
    assert "20 of 20 devices interviewed" in res.stdout
    assert "is on: zigpy reads True, the simulated lamp says True" in res.stdout
