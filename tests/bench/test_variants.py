"""bench/variants.py: one network formed, a forked copy per variant; the stock copy runs the
same events as one uninterrupted run, a variant's code runs in its copy, a failing variant is
reported."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "variants.py"


def test_variants_fork_one_formed_network(tmp_path: Path, scale: ModuleType) -> None:
    (tmp_path / "quorum_all.py").write_text(
        "import dataclasses, sys\n"
        "for x in nodes:\n"
        "    x.nwk.config = dataclasses.replace(x.nwk.config, passive_ack_quorum=None)\n"
        "print('variant ran on', len(nodes), 'nodes', file=sys.stderr)\n"
    )
    (tmp_path / "broken.py").write_text("raise RuntimeError('no such stack')\n")
    logs = tmp_path / "logs"  # made by variants.py (before formation, not after)
    out = subprocess.run(
        [sys.executable, str(BENCH), "--nodes", "12", "--minutes", "1", "--jobs", "2",
         "--out", str(logs), "stock", str(tmp_path / "quorum_all.py"),
         str(tmp_path / "broken.py")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode != 0 and "variants failed" in out.stderr and "broken" in out.stderr
    assert "no such stack" in (logs / "broken.log").read_text()
    assert "variant ran on 12 nodes" in (logs / "quorum_all.log").read_text()
    stock = (logs / "stock.log").read_text().splitlines()
    assert stock[0] == "stock: from 120 s" and "conflicting pairs" in stock[1]
    # the same network run without a fork
    ns = argparse.Namespace(
        spacing=None, period=None, steady=60.0, settle=0.0, start_window=60.0, size=20,
        seed=1, secured=False,
    )  # fmt: skip
    sc, _ = scale.scenario_for(12, ns)
    world, traffic = scale.build(sc, None)
    world.run(180 * scale.S)
    expected = "  ".join(f"{f.name} {f.delivered}/{f.sent}" for f in traffic.flows)
    assert sum(f.sent for f in traffic.flows) > 0
    assert stock[-1] == f"[12] sim 180 s  delivered {expected}"
