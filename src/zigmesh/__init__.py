"""zigmesh: a complete Zigbee PRO stack in pure Python on a simulated IEEE 802.15.4 radio.

The most used names are re-exported here; each layer's package has the rest
(``zigmesh.mac``, ``zigmesh.nwk``, ``zigmesh.aps``, ``zigmesh.zdo``, ``zigmesh.zcl``,
``zigmesh.security``, ``zigmesh.sim``, ``zigmesh.capture``).
"""

from __future__ import annotations

from zigmesh.aps.frames import ApsFrame
from zigmesh.capture.dissect import DecodedFrame, Dissector
from zigmesh.capture.pcap import PcapRecord, PcapWriter, read_pcap, write_pcap
from zigmesh.errors import DecodeError, LocalProtocolError, SecurityError, ZigmeshError
from zigmesh.mac.frames import MacFrame
from zigmesh.mac.mac import Mac
from zigmesh.node import Node, NodeConfig, Role
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.nwk import Nwk, NwkConfig
from zigmesh.sim.kernel import Kernel, node_rng
from zigmesh.sim.medium import Medium, MediumConfig, Radio
from zigmesh.sim.world import World
from zigmesh.types import EUI64, ExtPanId, PanId, ShortAddr
from zigmesh.zcl.frame import ZclFrame

__version__ = "0.1.0"

__all__ = [
    "ApsFrame",
    "DecodeError",
    "DecodedFrame",
    "Dissector",
    "EUI64",
    "ExtPanId",
    "Kernel",
    "LocalProtocolError",
    "Mac",
    "MacFrame",
    "Medium",
    "MediumConfig",
    "NwkFrame",
    "World",
    "Nwk",
    "NwkConfig",
    "Role",
    "NodeConfig",
    "Node",
    "PanId",
    "PcapRecord",
    "PcapWriter",
    "Radio",
    "SecurityError",
    "ShortAddr",
    "ZclFrame",
    "ZigmeshError",
    "__version__",
    "node_rng",
    "read_pcap",
    "write_pcap",
]
