"""MAC service primitives going up: confirms and indications (802.15.4-2006 7.1, 2015 8.2-8.3).

Requests go down as method calls on :class:`zigmesh.mac.mac.Mac`; every confirm and indication
comes back up as one of the frozen dataclasses below, handed to the single callback the upper
layer registered with ``Mac.set_upper``. ``MacEvent`` is their union, for ``match`` statements.

Field names follow the spec's primitive parameters in snake case; a few fields the spec does
not list are marked *(extension)*. Addresses are ints (extended ones are
:class:`~zigmesh.types.EUI64` when decoded from the air) with their :class:`AddrMode`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TypeAlias

from zigmesh.codec import fast_init
from zigmesh.mac.commands import CapabilityInformation, DisassociationReason
from zigmesh.mac.frames import AddrMode, SuperframeSpec

__all__ = [
    "MacEvent",
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
    "ScanType",
]


class MacStatus(IntEnum):
    """MAC enumerations used as status values (802.15.4-2006 Table 78, 2011 Table 8-?).

    ``PAN_AT_CAPACITY`` and ``PAN_ACCESS_DENIED`` are the Association Status values
    (802.15.4-2006 Table 83) that MLME-ASSOCIATE.confirm passes on.
    """

    SUCCESS = 0x00
    PAN_AT_CAPACITY = 0x01
    PAN_ACCESS_DENIED = 0x02
    COUNTER_ERROR = 0xDB
    IMPROPER_KEY_TYPE = 0xDC
    IMPROPER_SECURITY_LEVEL = 0xDD
    UNSUPPORTED_LEGACY = 0xDE
    UNSUPPORTED_SECURITY = 0xDF
    BEACON_LOSS = 0xE0
    CHANNEL_ACCESS_FAILURE = 0xE1
    DENIED = 0xE2
    DISABLE_TRX_FAILURE = 0xE3
    SECURITY_ERROR = 0xE4
    FRAME_TOO_LONG = 0xE5
    INVALID_GTS = 0xE6
    INVALID_HANDLE = 0xE7
    INVALID_PARAMETER = 0xE8
    NO_ACK = 0xE9
    NO_BEACON = 0xEA
    NO_DATA = 0xEB
    NO_SHORT_ADDRESS = 0xEC
    OUT_OF_CAP = 0xED
    PAN_ID_CONFLICT = 0xEE
    REALIGNMENT = 0xEF
    TRANSACTION_EXPIRED = 0xF0
    TRANSACTION_OVERFLOW = 0xF1
    TX_ACTIVE = 0xF2
    UNAVAILABLE_KEY = 0xF3
    UNSUPPORTED_ATTRIBUTE = 0xF4
    INVALID_ADDRESS = 0xF5
    ON_TIME_TOO_LONG = 0xF6
    PAST_TIME = 0xF7
    TRACKING_OFF = 0xF8
    INVALID_INDEX = 0xF9
    LIMIT_REACHED = 0xFA
    READ_ONLY = 0xFB
    SCAN_IN_PROGRESS = 0xFC
    SUPERFRAME_OVERLAP = 0xFD


class ScanType(IntEnum):
    """ScanType parameter of MLME-SCAN.request (802.15.4-2006 Table 67)."""

    ED = 0
    ACTIVE = 1
    PASSIVE = 2
    ORPHAN = 3


@fast_init
@dataclass(frozen=True, slots=True)
class McpsDataConfirm:
    """MCPS-DATA.confirm (802.15.4-2006 7.1.1.2).

    ``timestamp`` is the time (us) the outcome was known; ``retries`` *(extension)* the number
    of retransmissions made.
    """

    msdu_handle: int
    status: MacStatus
    timestamp: int
    retries: int = 0


@dataclass(slots=True)  # (not frozen: one per receiver of every frame, see below)
class McpsDataIndication:
    """MCPS-DATA.indication (802.15.4-2006 7.1.1.3).

    ``rssi`` *(extension)* is the received power in dBm; ``frame_pending`` *(extension)* the
    Frame Pending bit of the frame (an end device polls again when it is set).

    Read-only by convention, not frozen: each receiver of every frame builds one, and a
    frozen slots class sets its 12 fields through descriptor calls, four times the cost of
    plain slot stores (about 0.9 us a reception, a quarter of the MAC and NWK work for a
    link status at the 10,000-node bench's density).
    """

    src_addr_mode: AddrMode
    src_pan_id: int | None
    src_addr: int | None
    dst_addr_mode: AddrMode
    dst_pan_id: int | None
    dst_addr: int | None
    msdu: bytes
    mpdu_link_quality: int
    dsn: int | None
    timestamp: int
    rssi: int = 0
    frame_pending: bool = False


@dataclass(frozen=True, slots=True)
class MlmeAssociateIndication:
    """MLME-ASSOCIATE.indication (802.15.4-2006 7.1.3.2): a device asks to join."""

    device_address: int
    capability_information: CapabilityInformation


@dataclass(frozen=True, slots=True)
class MlmeAssociateConfirm:
    """MLME-ASSOCIATE.confirm (802.15.4-2006 7.1.3.4).

    ``assoc_short_address`` is 0xFFFF on failure; ``status`` a MAC status or the coordinator's
    association status (``PAN_AT_CAPACITY``, ``PAN_ACCESS_DENIED``).
    """

    assoc_short_address: int
    status: MacStatus


@dataclass(frozen=True, slots=True)
class MlmeDisassociateIndication:
    """MLME-DISASSOCIATE.indication (802.15.4-2006 7.1.4.2)."""

    device_address: int
    disassociate_reason: DisassociationReason | int


@dataclass(frozen=True, slots=True)
class MlmeDisassociateConfirm:
    """MLME-DISASSOCIATE.confirm (802.15.4-2006 7.1.4.3)."""

    status: MacStatus
    device_addr_mode: AddrMode
    device_pan_id: int
    device_address: int


@dataclass(frozen=True, slots=True)
class PanDescriptor:
    """PAN descriptor (802.15.4-2006 Table 55) of one received beacon.

    ``beacon_payload`` *(extension)* is the beacon payload (Zigbee: the NWK beacon payload,
    decoded by the NWK layer); ``rssi`` *(extension)* is in dBm; ``bsn`` *(extension)* is the
    beacon sequence number.
    """

    coord_addr_mode: AddrMode
    coord_pan_id: int
    coord_address: int
    channel_number: int
    channel_page: int
    superframe_spec: SuperframeSpec
    gts_permit: bool
    link_quality: int
    timestamp: int
    rssi: int = 0
    bsn: int = 0
    beacon_payload: bytes = b""


@dataclass(frozen=True, slots=True)
class MlmeBeaconNotifyIndication:
    """MLME-BEACON-NOTIFY.indication (802.15.4-2006 7.1.5.1): a beacon heard during a scan."""

    bsn: int
    pan_descriptor: PanDescriptor
    addr_list: tuple[int, ...]
    sdu: bytes


@dataclass(frozen=True, slots=True)
class MlmeCommStatusIndication:
    """MLME-COMM-STATUS.indication (802.15.4-2006 7.1.12.1): outcome of a response frame
    (association response, coordinator realignment) the upper layer asked for."""

    pan_id: int
    src_addr_mode: AddrMode
    src_addr: int
    dst_addr_mode: AddrMode
    dst_addr: int
    status: MacStatus


@dataclass(frozen=True, slots=True)
class MlmeOrphanIndication:
    """MLME-ORPHAN.indication (802.15.4-2006 7.1.8.1): an orphaned device asks for its parent."""

    orphan_address: int


@dataclass(frozen=True, slots=True)
class MlmeScanConfirm:
    """MLME-SCAN.confirm (802.15.4-2006 7.1.11.2).

    ``energy_detect_list`` holds one ED value per scanned channel (ED scan), in the order of
    ``scanned_channels`` *(extension)*; ``pan_descriptor_list`` the beacons of an active scan
    (``mac_auto_request`` True).
    """

    status: MacStatus
    scan_type: ScanType
    channel_page: int
    unscanned_channels: tuple[int, ...]
    energy_detect_list: tuple[int, ...]
    pan_descriptor_list: tuple[PanDescriptor, ...]
    scanned_channels: tuple[int, ...] = ()

    @property
    def result_list_size(self) -> int:
        return len(self.energy_detect_list) + len(self.pan_descriptor_list)


@dataclass(frozen=True, slots=True)
class MlmeStartConfirm:
    """MLME-START.confirm (802.15.4-2006 7.1.14.2)."""

    status: MacStatus


@dataclass(frozen=True, slots=True)
class MlmePollConfirm:
    """MLME-POLL.confirm (802.15.4-2006 7.1.16.2): SUCCESS when data came, else NO_DATA etc."""

    status: MacStatus


@dataclass(frozen=True, slots=True)
class MlmePollIndication:
    """MLME-POLL.indication (802.15.4-2015 MLME-POLL primitives; 802.15.4-2006 has none): a
    device's Data Request command was received and acknowledged (the transaction it asked for,
    if any, is on its way). Zigbee parents take it as the child's MAC data poll keepalive
    (Zigbee R22 3.6.10). ``timestamp`` is the reception time in microseconds; a retransmitted
    Data Request rejected as a duplicate is not indicated again. ``dst_addr_mode``: which of
    our addresses the Data Request was sent to (zigmesh's addition: EXTENDED from a child
    that no longer knows our short address, see Zigbee ``EndDeviceParent``).
    """

    src_addr_mode: AddrMode
    src_addr: int
    timestamp: int
    dst_addr_mode: AddrMode = AddrMode.SHORT


MacEvent: TypeAlias = (
    McpsDataConfirm
    | McpsDataIndication
    | MlmeAssociateIndication
    | MlmeAssociateConfirm
    | MlmeDisassociateIndication
    | MlmeDisassociateConfirm
    | MlmeBeaconNotifyIndication
    | MlmeCommStatusIndication
    | MlmeOrphanIndication
    | MlmeScanConfirm
    | MlmeStartConfirm
    | MlmePollConfirm
    | MlmePollIndication
)
