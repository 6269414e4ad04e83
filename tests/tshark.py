"""Run tshark over pcaps in tests (issue #2: every frame format is checked by Wireshark).

Outside CI a missing tshark skips the test; with CI=true it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

MALFORMED_FILTER = (
    "_ws.malformed || wpan.fcs.bad || wpan.fcs_ok == 0 || _ws.expert.severity == error"
)


def require_tshark() -> str:
    exe = shutil.which("tshark")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required in CI (CI=true) but is not installed")
        pytest.skip("tshark not installed")
    return exe


def key_options(network_keys: tuple[str, ...] = (), link_keys: tuple[str, ...] = ()) -> list[str]:
    """``-o`` preferences that give Wireshark's zbee dissector our keys (hex, no separators)."""
    entries = [f'"{k}","Normal","nwk{i}"' for i, k in enumerate(network_keys)]
    entries += [f'"{k}","Normal","link{i}"' for i, k in enumerate(link_keys)]
    opts = ["-o", "wpan.802154_fcs_ok:TRUE"] if False else []
    for e in entries:
        opts += ["-o", f"uat:zigbee_pc_keys:{e}"]
    return opts


def tshark(
    pcap: Path, *args: str, network_keys: tuple[str, ...] = (), link_keys: tuple[str, ...] = ()
) -> str:
    exe = require_tshark()
    cmd = [exe, "-n", "-r", str(pcap), *key_options(network_keys, link_keys), *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        raise AssertionError(f"tshark failed ({res.returncode}): {res.stderr}")
    return res.stdout


def tshark_json(
    pcap: Path, network_keys: tuple[str, ...] = (), link_keys: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Full dissection as a list of packets (``tshark -T json``), layers under ``_source.layers``."""
    out = tshark(pcap, "-T", "json", network_keys=network_keys, link_keys=link_keys)
    return [p["_source"]["layers"] for p in json.loads(out or "[]")]


def tshark_fields(
    pcap: Path,
    fields: list[str],
    display_filter: str = "",
    network_keys: tuple[str, ...] = (),
    link_keys: tuple[str, ...] = (),
) -> list[list[str]]:
    args = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        args += ["-e", f]
    if display_filter:
        args += ["-Y", display_filter]
    out = tshark(pcap, *args, network_keys=network_keys, link_keys=link_keys)
    return [line.split("\t") for line in out.splitlines()]


def assert_no_malformed(
    pcap: Path, network_keys: tuple[str, ...] = (), link_keys: tuple[str, ...] = ()
) -> None:
    bad = tshark(pcap, "-Y", MALFORMED_FILTER, network_keys=network_keys, link_keys=link_keys)
    assert bad.strip() == "", f"tshark flags malformed / bad-FCS frames:\n{bad}"
