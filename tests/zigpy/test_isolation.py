"""zigpy is GPL-3.0 and optional: only ``zigmesh.zigpy`` imports it, never the core."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent.parent / "src" / "zigmesh"
_IMPORT = re.compile(r"^\s*(import|from)\s+zigpy\b", re.MULTILINE)
_OURS = re.compile(r"^\s*(import|from)\s+zigmesh\.zigpy\b", re.MULTILINE)


def test_only_the_zigpy_package_imports_zigpy() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "zigpy"):
            continue
        text = path.read_text(encoding="utf-8")
        if _IMPORT.search(text) or _OURS.search(text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
