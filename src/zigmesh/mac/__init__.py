"""IEEE 802.15.4 MAC: frame codecs and the MAC in operation (non-beacon mode, as Zigbee uses it).

The NWK layer uses :class:`Mac` (requests as method calls) and the event dataclasses of
:mod:`zigmesh.mac.primitives` (confirms and indications, delivered to ``Mac.set_upper``).
"""

from __future__ import annotations

from zigmesh.mac.commands import CapabilityFlags, CapabilityInformation, DisassociationReason
from zigmesh.mac.frames import AddrMode, FrameType, MacFrame, SuperframeSpec
from zigmesh.mac.indirect import Transaction, TransactionQueue
from zigmesh.mac.mac import (
    AssocState,
    DataSink,
    Mac,
    MacConfig,
    MacStats,
    PollState,
    UpperCallback,
)
from zigmesh.mac.pib import MacPib
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    McpsDataConfirm,
    McpsDataIndication,
    MlmeAssociateConfirm,
    MlmeAssociateIndication,
    MlmeBeaconNotifyIndication,
    MlmeCommStatusIndication,
    MlmeDisassociateConfirm,
    MlmeDisassociateIndication,
    MlmeOrphanIndication,
    MlmePollConfirm,
    MlmePollIndication,
    MlmeScanConfirm,
    MlmeStartConfirm,
    PanDescriptor,
    ScanType,
)

__all__ = [
    "AddrMode",
    "AssocState",
    "CapabilityFlags",
    "CapabilityInformation",
    "DisassociationReason",
    "FrameType",
    "Mac",
    "MacConfig",
    "MacEvent",
    "MacFrame",
    "MacPib",
    "MacStats",
    "MacStatus",
    "McpsDataConfirm",
    "McpsDataIndication",
    "MlmeAssociateConfirm",
    "MlmeAssociateIndication",
    "MlmeBeaconNotifyIndication",
    "MlmeCommStatusIndication",
    "MlmeDisassociateConfirm",
    "MlmeDisassociateIndication",
    "MlmeOrphanIndication",
    "MlmePollConfirm",
    "MlmePollIndication",
    "MlmeScanConfirm",
    "MlmeStartConfirm",
    "PanDescriptor",
    "PollState",
    "ScanType",
    "SuperframeSpec",
    "Transaction",
    "TransactionQueue",
    "UpperCallback",
    "DataSink",
]
