"""zigmesh: a complete Zigbee PRO stack in pure Python on a simulated IEEE 802.15.4 radio.

The most used names are re-exported here; each layer's package has the rest
(``zigmesh.mac``, ``zigmesh.nwk``, ``zigmesh.aps``, ``zigmesh.zdo``, ``zigmesh.zcl``,
``zigmesh.security``, ``zigmesh.sim``, ``zigmesh.capture``).
"""

from __future__ import annotations

from zigmesh.app import ClusterDef, Destination, DeviceType, ServerCluster, ZclEndpoint
from zigmesh.aps.aps import Aps, ApsConfig
from zigmesh.aps.frames import ApsFrame
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    TxOptions,
)
from zigmesh.capture.dissect import DecodedFrame, Dissector
from zigmesh.capture.pcap import PcapRecord, PcapWriter, read_pcap, write_pcap
from zigmesh.errors import DecodeError, LocalProtocolError, SecurityError, ZigmeshError
from zigmesh.mac.frames import MacFrame
from zigmesh.mac.mac import Mac
from zigmesh.node import Node, NodeConfig, Role
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.nwk import Nwk, NwkConfig
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.pending import Pending
from zigmesh.persist.store import MemoryStore, SqliteStore, StateStore, open_store
from zigmesh.sim.kernel import Kernel, node_rng
from zigmesh.sim.medium import Medium, MediumConfig, Radio
from zigmesh.sim.world import World
from zigmesh.types import EUI64, ExtPanId, PanId, ShortAddr
from zigmesh.zcl.frame import ZclFrame
from zigmesh.zdo.security_manager import SecurityManager
from zigmesh.zdo.trust_center import TrustCenter, TrustCenterConfig
from zigmesh.zdo.zdo import Zdo

__version__ = "0.1.0"

__all__ = [
    "Aps",
    "ApsAddrMode",
    "ApsConfig",
    "ApsdeDataConfirm",
    "ApsdeDataIndication",
    "MemoryStore",
    "NwkSecurityContext",
    "Pending",
    "SecurityManager",
    "SqliteStore",
    "StateStore",
    "TrustCenter",
    "TrustCenterConfig",
    "TxOptions",
    "Zdo",
    "open_store",
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
    "ZclEndpoint",
    "ClusterDef",
    "ServerCluster",
    "DeviceType",
    "Destination",
    "ZigmeshError",
    "__version__",
    "node_rng",
    "read_pcap",
    "write_pcap",
]
