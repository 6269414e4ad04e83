"""examples/custom_cluster.py runs as a user would run it: a manufacturer-specific cluster and
a custom device type in a secured World; every answer as expected, and Wireshark decodes the
capture (manufacturer code in each ZCL header) with no malformed frame."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.tshark import assert_no_malformed, tshark_fields

ROOT = Path(__file__).resolve().parent.parent.parent
ZBA09 = "5a6967426565416c6c69616e63653039"


def test_custom_cluster_example_runs(tmp_path: Path) -> None:
    pcap = tmp_path / "custom.pcap"
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "custom_cluster.py"), str(pcap)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "write: True",
        "write_out_of_range: ['INVALID_VALUE']",
        "bumped: {'count': 6}",
        "read: {0: 6, 1: 3}",
        "reported: [(0, 100)]",
    ]
    assert_no_malformed(pcap, link_keys=(ZBA09,))
    rows = tshark_fields(
        pcap, ["zbee_zcl.cmd.mc", "zbee_aps.cluster"], "zbee_zcl", link_keys=(ZBA09,)
    )
    assert rows and {tuple(r) for r in rows} == {("0x1234", "0xfc01")}
