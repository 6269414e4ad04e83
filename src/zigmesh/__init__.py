"""zigmesh: a complete Zigbee PRO stack in pure Python on a simulated IEEE 802.15.4 radio."""

from __future__ import annotations

from zigmesh.errors import DecodeError, LocalProtocolError, SecurityError, ZigmeshError
from zigmesh.types import EUI64, ExtPanId, PanId, ShortAddr

__version__ = "0.1.0"

__all__ = [
    "DecodeError",
    "EUI64",
    "ExtPanId",
    "LocalProtocolError",
    "PanId",
    "SecurityError",
    "ShortAddr",
    "ZigmeshError",
    "__version__",
]
