"""NWK service primitives going up: confirms and indications (Zigbee spec R22 3.2).

Requests go down as method calls on :class:`zigmesh.nwk.nwk.Nwk` (``nlde_data_request``,
``nlme_join_request``...); every confirm and indication comes back up as one of the frozen
dataclasses below, handed to the single callback the upper layer registered with
``Nwk.set_upper``. ``NwkEvent`` is their union, for ``match`` statements.

Field names follow the spec's primitive parameters in snake case; fields the spec does not
list are marked *(extension)*. Times are integer microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TypeAlias

from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.commands import NwkStatusCode

__all__ = [
    "NwkStatus",
    "NwkAddrMode",
    "JoinMethod",
    "NetworkDescriptor",
    "NldeDataConfirm",
    "NldeDataIndication",
    "NlmeNetworkDiscoveryConfirm",
    "NlmeNetworkFormationConfirm",
    "NlmePermitJoiningConfirm",
    "NlmeStartRouterConfirm",
    "NlmeEdScanConfirm",
    "NlmeJoinIndication",
    "NlmeJoinConfirm",
    "NlmeLeaveIndication",
    "NlmeLeaveConfirm",
    "NlmeResetConfirm",
    "NlmeNwkStatusIndication",
    "NlmeRouteDiscoveryConfirm",
    "NlmeNetworkAddressChangeIndication",
    "NlmeSyncConfirm",
    "NwkEvent",
    "mac_to_nwk_status",
]


class NwkStatus(IntEnum):
    """NWK layer status values (Zigbee spec R22 3.7, Table 3-70).

    MAC status values a NWK confirm passes on unchanged (``NO_ACK`` 0xe9,
    ``TRANSACTION_EXPIRED`` 0xf0, ``CHANNEL_ACCESS_FAILURE`` 0xe1...) are listed too so a confirm
    always carries an enum member.
    """

    SUCCESS = 0x00
    INVALID_PARAMETER = 0xC1
    INVALID_REQUEST = 0xC2
    NOT_PERMITTED = 0xC3
    STARTUP_FAILURE = 0xC4
    ALREADY_PRESENT = 0xC5
    SYNC_FAILURE = 0xC6
    NEIGHBOR_TABLE_FULL = 0xC7
    UNKNOWN_DEVICE = 0xC8
    UNSUPPORTED_ATTRIBUTE = 0xC9
    NO_NETWORKS = 0xCA
    MAX_FRM_COUNTER = 0xCC
    NO_KEY = 0xCD
    BAD_CCM_OUTPUT = 0xCE
    ROUTE_DISCOVERY_FAILED = 0xD0
    ROUTE_ERROR = 0xD1
    BT_TABLE_FULL = 0xD2
    FRAME_NOT_BUFFERED = 0xD3
    # MAC statuses passed through (IEEE 802.15.4-2006 Table 78)
    PAN_AT_CAPACITY = 0x01
    PAN_ACCESS_DENIED = 0x02
    CHANNEL_ACCESS_FAILURE = 0xE1
    FRAME_TOO_LONG = 0xE5
    INVALID_ADDRESS = 0xF5
    NO_ACK = 0xE9
    NO_BEACON = 0xEA
    NO_DATA = 0xEB
    TRANSACTION_EXPIRED = 0xF0
    TRANSACTION_OVERFLOW = 0xF1


_MAC_TO_NWK: dict[int, NwkStatus] = {int(s): s for s in NwkStatus}


def mac_to_nwk_status(status: MacStatus | int) -> NwkStatus:
    """A MAC status as a NWK confirm passes it on (one NWK does not list: ROUTE_ERROR)."""
    return _MAC_TO_NWK.get(int(status), NwkStatus.ROUTE_ERROR)


class NwkAddrMode(IntEnum):
    """DstAddrMode of NLDE-DATA (Zigbee spec Table 3-2 / 3.2.1.1.1)."""

    NONE = 0x00
    MULTICAST = 0x01  # 16-bit group address
    NWK = 0x02  # 16-bit network address (unicast or broadcast)


class JoinMethod(IntEnum):
    """RejoinNetwork parameter of NLME-JOIN.request (Zigbee spec 3.2.2.13.1)."""

    ASSOCIATION = 0x00
    REJOIN = 0x01  # NWK rejoin request / response
    CHANGE_CHANNEL = 0x02  # join through NLME-NETWORK-DISCOVERY / orphaning
    SELF = 0x03  # self-rejoin


@dataclass(frozen=True, slots=True)
class NetworkDescriptor:
    """Network descriptor of NLME-NETWORK-DISCOVERY.confirm (Zigbee spec Table 3-8).

    ``pan_id`` *(extension, R22 lists it)*; ``lqi`` *(extension)* is the best beacon LQI seen
    for the network.
    """

    extended_pan_id: int
    pan_id: int
    nwk_update_id: int
    logical_channel: int
    stack_profile: int
    zigbee_version: int
    beacon_order: int
    superframe_order: int
    permit_joining: bool
    router_capacity: bool
    end_device_capacity: bool
    lqi: int = 0


@dataclass(frozen=True, slots=True)
class NldeDataConfirm:
    """NLDE-DATA.confirm (Zigbee spec 3.2.1.2).

    ``retries`` *(extension)* counts NWK-level retransmissions of the first hop; ``dst``
    *(extension)* is the destination address of the request.
    """

    nsdu_handle: int
    status: NwkStatus
    tx_time: int
    dst: int = 0xFFFF
    retries: int = 0


@dataclass(frozen=True, slots=True)
class NldeDataIndication:
    """NLDE-DATA.indication (Zigbee spec 3.2.1.3).

    ``radius`` *(extension)* is the radius left on arrival and ``hops`` *(extension)* the hops
    travelled (initial radius is not carried on the air: ``hops`` counts relays seen through the
    frame's source route or ``nwk default radius - radius``); ``seq`` *(extension)* the NWK
    sequence number; ``prev_hop`` *(extension)* the MAC source; ``src_ieee`` *(extension)* the
    source IEEE address when the frame carried it.
    """

    dst_addr_mode: NwkAddrMode
    dst_addr: int
    src_addr: int
    nsdu: bytes
    link_quality: int
    rx_time: int
    security_use: bool = False
    radius: int = 0
    hops: int = 0
    seq: int = 0
    prev_hop: int = 0xFFFF
    src_ieee: int | None = None


@dataclass(frozen=True, slots=True)
class NlmeNetworkDiscoveryConfirm:
    """NLME-NETWORK-DISCOVERY.confirm (Zigbee spec 3.2.2.4)."""

    status: NwkStatus
    network_descriptors: tuple[NetworkDescriptor, ...] = ()

    @property
    def network_count(self) -> int:
        return len(self.network_descriptors)


@dataclass(frozen=True, slots=True)
class NlmeNetworkFormationConfirm:
    """NLME-NETWORK-FORMATION.confirm (Zigbee spec 3.2.2.6).

    ``pan_id``, ``extended_pan_id`` and ``logical_channel`` *(extension)* describe the network
    formed.
    """

    status: NwkStatus
    pan_id: int = 0xFFFF
    extended_pan_id: int = 0
    logical_channel: int = 0


@dataclass(frozen=True, slots=True)
class NlmePermitJoiningConfirm:
    """NLME-PERMIT-JOINING.confirm (Zigbee spec 3.2.2.8)."""

    status: NwkStatus


@dataclass(frozen=True, slots=True)
class NlmeStartRouterConfirm:
    """NLME-START-ROUTER.confirm (Zigbee spec 3.2.2.10)."""

    status: NwkStatus


@dataclass(frozen=True, slots=True)
class NlmeEdScanConfirm:
    """NLME-ED-SCAN.confirm (Zigbee spec 3.2.2.12): one energy value per scanned channel."""

    status: NwkStatus
    energy_detect_list: tuple[int, ...] = ()
    scanned_channels: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class NlmeJoinIndication:
    """NLME-JOIN.indication (Zigbee spec 3.2.2.14) at the parent: a device joined or rejoined."""

    network_address: int
    extended_address: int
    capability_information: int
    rejoin_network: JoinMethod
    secure_rejoin: bool = False


@dataclass(frozen=True, slots=True)
class NlmeJoinConfirm:
    """NLME-JOIN.confirm (Zigbee spec 3.2.2.15).

    ``parent`` and ``depth`` *(extension)*: the parent's network address and our depth.
    """

    status: NwkStatus
    network_address: int = 0xFFFF
    extended_pan_id: int = 0
    active_channel: int = 0
    parent: int = 0xFFFF
    depth: int = 0


@dataclass(frozen=True, slots=True)
class NlmeLeaveIndication:
    """NLME-LEAVE.indication (Zigbee spec 3.2.2.18).

    ``device_address`` is 0 (``None`` here) when this device itself was removed; ``rejoin``
    tells whether it should rejoin. ``network_address`` *(extension)* is the leaving device's
    network address when known.
    """

    device_address: int | None
    rejoin: bool = False
    network_address: int = 0xFFFF


@dataclass(frozen=True, slots=True)
class NlmeLeaveConfirm:
    """NLME-LEAVE.confirm (Zigbee spec 3.2.2.19); ``device_address`` None for a self leave."""

    status: NwkStatus
    device_address: int | None = None


@dataclass(frozen=True, slots=True)
class NlmeResetConfirm:
    """NLME-RESET.confirm (Zigbee spec 3.2.2.21)."""

    status: NwkStatus


@dataclass(frozen=True, slots=True)
class NlmeNwkStatusIndication:
    """NLME-NWK-STATUS.indication (Zigbee spec 3.2.2.30): a network status about
    ``network_addr`` was received or detected locally. ``unknown_command_id`` is set for
    UNKNOWN_COMMAND."""

    status: NwkStatusCode | int
    network_addr: int
    unknown_command_id: int | None = None


@dataclass(frozen=True, slots=True)
class NlmeRouteDiscoveryConfirm:
    """NLME-ROUTE-DISCOVERY.confirm (Zigbee spec 3.2.2.34).

    ``network_status_code`` holds the network status (NO_ROUTE_AVAILABLE...) when ``status`` is
    ROUTE_ERROR; ``dst_addr`` *(extension)* is the discovered destination (0xFFFC style many-to-
    one discoveries report 0xFFFC).
    """

    status: NwkStatus
    network_status_code: NwkStatusCode | int | None = None
    dst_addr: int = 0xFFFF


@dataclass(frozen=True, slots=True)
class NlmeNetworkAddressChangeIndication:
    """*(extension)* This device's network address changed (address conflict resolution,
    Zigbee spec 3.6.1.9.3, or a rejoin that gave a new address): the upper layer (ZDO) sends a
    device announce."""

    network_address: int
    previous_address: int


@dataclass(frozen=True, slots=True)
class NlmeSyncConfirm:
    """NLME-SYNC.confirm (Zigbee spec 3.2.2.23): outcome of an explicit poll of the parent
    (SUCCESS when data came, NO_DATA, or the MAC failure)."""

    status: NwkStatus


NwkEvent: TypeAlias = (
    NldeDataConfirm
    | NldeDataIndication
    | NlmeNetworkDiscoveryConfirm
    | NlmeNetworkFormationConfirm
    | NlmePermitJoiningConfirm
    | NlmeStartRouterConfirm
    | NlmeEdScanConfirm
    | NlmeJoinIndication
    | NlmeJoinConfirm
    | NlmeLeaveIndication
    | NlmeLeaveConfirm
    | NlmeResetConfirm
    | NlmeNwkStatusIndication
    | NlmeRouteDiscoveryConfirm
    | NlmeNetworkAddressChangeIndication
    | NlmeSyncConfirm
)
