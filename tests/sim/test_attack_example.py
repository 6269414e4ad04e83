"""examples/attack.py runs as a user would run it: the attacker sniffs the network forming,
its replays are dropped by NWK security, a beacon flood leaves the network joined, and after
10 s of jamming the sensor is back in the network; its frames are in the capture."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from zigmesh.capture.pcap import read_pcap

ROOT = Path(__file__).resolve().parent.parent.parent


def test_attack_example_runs(tmp_path: Path) -> None:
    pcap = tmp_path / "attack.pcap"
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "attack.py"), str(pcap)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    heard = re.search(r"heard (\d+) frames", out)
    assert heard is not None and int(heard.group(1)) > 100
    replays = re.search(r"(\d+) frames put on the air; NWK dropped (\d+) as replays", out)
    assert replays is not None and int(replays.group(2)) > 0
    assert "forged beacons; every node joined: True" in out
    assert "jammed 10 s;" in out and "joined again: True" in out
    reports = [int(n) for n in re.findall(r": (\d+) reports delivered", out)]
    assert reports[0] >= 8 and reports[1] >= 5 and reports[2] >= 5 and reports[3] >= 4
    frames = [r.data for r in read_pcap(pcap)]
    assert len(frames) > 4000  # the flood and the replays are on the capture
