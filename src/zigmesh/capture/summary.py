"""One-line, human-readable summaries of decoded frames (``zigmesh decode`` default output)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from zigmesh.capture.dissect import DecodedFrame
from zigmesh.types import EUI64

__all__ = ["summary_line"]


def _name(v: Any) -> str:
    if isinstance(v, Enum):
        return v.name
    return f"0x{v:x}" if isinstance(v, int) else str(v)


def _addr(v: int | None) -> str:
    if v is None:
        return "-"
    return f"0x{v:04x}" if v <= 0xFFFF else str(EUI64(v))


def _mac(m: Any) -> str:
    s = f"MAC {_name(m.frame_type)}"
    if m.seq is not None:
        s += f" #{m.seq}"
    if m.dst_addr is not None or m.src_addr is not None:
        s += f" {_addr(m.src_addr)}->{_addr(m.dst_addr)}"
    if m.frame_pending:
        s += " pending"
    return s


def _nwk(n: Any) -> str:
    s = f"NWK {_name(n.frame_type)} {_addr(n.src)}->{_addr(n.dst)} r={n.radius} #{n.seq}"
    if n.aux is not None:
        s += " sec"
    if n.source_route is not None:
        s += f" srcroute={','.join(_addr(a) for a in n.source_route.relays)}"
    return s


def _aps(a: Any) -> str:
    s = f"APS {_name(a.frame_type)}"
    if a.cluster_id is not None:
        s += f" cl=0x{a.cluster_id:04x}"
    if a.profile_id is not None:
        s += f" pr=0x{a.profile_id:04x}"
    if a.src_endpoint is not None or a.dst_endpoint is not None:
        s += f" ep {a.src_endpoint}->{a.dst_endpoint if a.dst_endpoint is not None else 'grp'}"
    if a.group_address is not None:
        s += f" group=0x{a.group_address:04x}"
    if a.counter is not None:
        s += f" #{a.counter}"
    if a.aux is not None:
        s += " sec"
    return s


def summary_line(f: DecodedFrame) -> str:
    """``index time len | MAC ... | NWK ... | APS ... | payload`` (errors appended)."""
    parts = [f"{f.index:5d} {f.time_us / 1e6:12.6f} {f.length:3d}B"]
    L = f.layers
    if "mac" in L:
        parts.append(_mac(L["mac"]))
    if "zigbee_beacon" in L:
        z = L["zigbee_beacon"]
        parts.append(f"Beacon epid={EUI64(z.nwk_extended_pan_id)} depth={z.device_depth}")
    elif "beacon" in L:
        parts.append("Beacon")
    if "mac_command" in L:
        parts.append(type(L["mac_command"]).__name__)
    if "nwk" in L:
        parts.append(_nwk(L["nwk"]))
    if "nwk_command" in L:
        parts.append(type(L["nwk_command"]).__name__)
    if "aps" in L:
        parts.append(_aps(L["aps"]))
    if "aps_command" in L:
        parts.append(type(L["aps_command"]).__name__)
    if "zdp" in L:
        parts.append(f"ZDP {type(L['zdp']).__name__}")
    if "zcl" in L:
        h = L["zcl"].header
        cmd = type(L["zcl_command"]).__name__ if "zcl_command" in L else f"cmd 0x{h.command_id:02x}"
        parts.append(f"ZCL {cmd} tsn={h.tsn}")
    if f.encrypted is not None:
        parts.append(f"{f.encrypted.upper()} payload encrypted (no key verified it)")
    line = " | ".join(parts)
    if f.error:
        line += f"  !! {f.error}"
    return line
