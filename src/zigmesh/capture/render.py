"""Turn decoded frames (dataclasses) into JSON-ready dicts and readable trees.

Used by ``zigmesh decode``: key material and payloads become lowercase hex strings, enums their
names, EUI-64 addresses ``aa:bb:..`` strings, short addresses and PAN IDs ``0x1a2b`` (the formats
``summary.json`` uses too).
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from zigmesh.types import EUI64, _Addr16

__all__ = ["jsonable", "tree_lines"]

#: fields holding IEEE (EUI-64) addresses as plain ints in the codecs: shown as aa:bb:.. strings
_EUI64_FIELDS = frozenset(
    {
        "src_ieee",
        "dst_ieee",
        "source",
        "dest",
        "partner",
        "extended_address",
        "ieee_addr",
        "ieee",
        "device",
        "target",
        "originator_ieee",
        "responder_ieee",
        "nwk_extended_pan_id",
        "extended_pan_id",
        "epid",
        "coord_extended_address",
        "manager",
        "child_ieee",
    }
)


#: fields holding 16-bit network addresses or PAN IDs as plain ints: shown as 0x1a2b strings
_SHORT_FIELDS = frozenset(
    {
        "src",
        "dst",
        "short_address",
        "nwk_addr",
        "nwk_addr_of_interest",
        "network_address",
        "dst_pan",
        "src_pan",
        "pan_id",
        "group_address",
        "relays",
    }
)


def _short(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 0xFFFF:
        return f"0x{v:04x}"
    if isinstance(v, list | tuple) and all(isinstance(x, int) for x in v):
        return [_short(x) for x in v]
    return None


def jsonable(obj: Any) -> Any:
    """Recursively convert a decoded value into JSON-serialisable data."""
    if obj is None or isinstance(obj, (bool, str, float)):
        return obj
    if isinstance(obj, Enum):
        return obj.name
    if isinstance(obj, (EUI64, _Addr16)):
        return str(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).hex()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        if type(obj).__name__:
            out["_type"] = type(obj).__name__
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if f.name in _EUI64_FIELDS and isinstance(v, int) and not isinstance(v, bool):
                out[f.name] = str(EUI64(v))
            elif f.name in _SHORT_FIELDS and _short(v) is not None:
                out[f.name] = _short(v)
            else:
                out[f.name] = jsonable(v)
        # MAC addresses in extended mode
        mode_pairs = (("src_addr", "src_mode"), ("dst_addr", "dst_mode"))
        for addr, mode in mode_pairs:
            m = out.get(mode)
            v = getattr(obj, addr, None)
            if m == "EXTENDED" and isinstance(v, int):
                out[addr] = str(EUI64(v))
            elif m == "SHORT" and isinstance(v, int):
                out[addr] = f"0x{v:04x}"
        return out
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    return repr(obj)


def _fmt_leaf(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v} (0x{v:x})" if v > 9 else str(v)
    return str(v)


def tree_lines(name: str, data: Any, indent: int = 0) -> list[str]:
    """Indented ``key: value`` lines for a :func:`jsonable` value (the ``-v`` view)."""
    pad = "  " * indent
    if isinstance(data, dict):
        title = data.get("_type", "")
        lines = [f"{pad}{name}{': ' + title if title else ''}"]
        for k, v in data.items():
            if k == "_type" or v is None:
                continue
            lines += tree_lines(k, v, indent + 1)
        return lines
    if isinstance(data, list):
        if not data:
            return [f"{pad}{name}: []"]
        if all(not isinstance(v, (dict, list)) for v in data):
            return [f"{pad}{name}: [{', '.join(_fmt_leaf(v) for v in data)}]"]
        lines = [f"{pad}{name}:"]
        for i, v in enumerate(data):
            lines += tree_lines(f"[{i}]", v, indent + 1)
        return lines
    return [f"{pad}{name}: {_fmt_leaf(data)}"]
