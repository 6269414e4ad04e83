"""NWK information base (Zigbee spec R22 3.5.2, Table 3-58).

:class:`Nib` holds the scalar NIB attributes under their spec names in snake case
(``nwkMaxDepth`` -> ``nwk_max_depth``). The tables the spec also lists as NIB attributes
(nwkNeighborTable, nwkRouteTable, nwkBroadcastTransactionTable, nwkAddressMap,
nwkRouteRecordTable...) are their own classes in :mod:`zigmesh.nwk.tables`.

Attributes are plain slots, read and written directly on hot paths. :meth:`Nib.get` and
:meth:`Nib.set` are the NLME-GET / NLME-SET path: they accept the snake-case name, the spec's
camelCase name or the attribute identifier, and ``set`` validates type and range, raising
:class:`~zigmesh.errors.LocalProtocolError` on an unknown attribute or a bad value.

Units are the spec's (milliseconds, seconds, superframe periods) as noted per attribute; the
``*_us`` properties convert time attributes to microseconds. Defaults are the Zigbee PRO stack
profile's or, where the spec leaves the value open, deployed stacks' (see
:mod:`zigmesh.nwk.constants`). A few attributes the spec keeps elsewhere but a NWK layer needs at
hand (``nwk_depth``, ``nwk_logical_channel``, ``nwk_permit_joining``) have no identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Final

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import (
    END_DEVICE_TIMEOUT_DEFAULT_INDEX,
    END_DEVICE_TIMEOUT_MAX_INDEX,
    MAX_UNICAST_ADDRESS,
    MS,
    NWK_LINK_STATUS_PERIOD_S,
    NWK_MAX_BROADCAST_RETRIES,
    NWK_MAX_DEPTH,
    NWK_MAX_SOURCE_ROUTE,
    NWK_NETWORK_BROADCAST_DELIVERY_TIME_S,
    NWK_PASSIVE_ACK_TIMEOUT_MS,
    NWK_ROUTER_AGE_LIMIT,
    NWK_TRANSACTION_PERSISTENCE_TIME,
    NWKC_DEFAULT_SECURITY_LEVEL,
    STACK_PROFILE_ZIGBEE_PRO,
    SUPERFRAME_PERIOD_US,
    UNASSIGNED_ADDRESS,
    S,
    end_device_timeout_us,
)

__all__ = ["AddrAlloc", "Nib", "NibAttributeId", "NibValue"]

NibValue = int | bool


class AddrAlloc(IntEnum):
    """nwkAddrAlloc values (Zigbee spec Table 3-58); 1 is reserved."""

    DISTRIBUTED = 0
    STOCHASTIC = 2


class NibAttributeId(IntEnum):
    """NIB attribute identifiers (Zigbee spec R22 Table 3-58) of the scalar attributes."""

    NWK_PAN_ID = 0x80
    NWK_SEQUENCE_NUMBER = 0x81
    NWK_PASSIVE_ACK_TIMEOUT = 0x82
    NWK_MAX_BROADCAST_RETRIES = 0x83
    NWK_MAX_CHILDREN = 0x84
    NWK_MAX_DEPTH = 0x85
    NWK_MAX_ROUTERS = 0x86
    NWK_NETWORK_BROADCAST_DELIVERY_TIME = 0x88
    NWK_REPORT_CONSTANT_COST = 0x89
    NWK_TIME_STAMP = 0x8C
    NWK_TX_TOTAL = 0x8D
    NWK_SYM_LINK = 0x8E
    NWK_CAPABILITY_INFORMATION = 0x8F
    NWK_ADDR_ALLOC = 0x90
    NWK_USE_TREE_ROUTING = 0x91
    NWK_MANAGER_ADDR = 0x92
    NWK_MAX_SOURCE_ROUTE = 0x93
    NWK_UPDATE_ID = 0x94
    NWK_TRANSACTION_PERSISTENCE_TIME = 0x95
    NWK_NETWORK_ADDRESS = 0x96
    NWK_STACK_PROFILE = 0x97
    NWK_EXTENDED_PAN_ID = 0x9A
    NWK_USE_MULTICAST = 0x9B
    NWK_IS_CONCENTRATOR = 0x9D
    NWK_CONCENTRATOR_RADIUS = 0x9E
    NWK_CONCENTRATOR_DISCOVERY_TIME = 0x9F
    NWK_SECURITY_LEVEL = 0xA0
    NWK_ACTIVE_KEY_SEQ_NUMBER = 0xA2
    NWK_ALL_FRESH = 0xA3
    NWK_SECURE_ALL_FRAMES = 0xA5
    NWK_LINK_STATUS_PERIOD = 0xA6
    NWK_ROUTER_AGE_LIMIT = 0xA7
    NWK_UNIQUE_ADDR = 0xA8
    NWK_LEAVE_REQUEST_ALLOWED = 0xAA
    NWK_PARENT_INFORMATION = 0xAB
    NWK_END_DEVICE_TIMEOUT_DEFAULT = 0xAC
    NWK_LEAVE_REQUEST_WITHOUT_REJOIN_ALLOWED = 0xAD
    NWK_IEEE_ADDRESS = 0xAE


_U8: Final = 0xFF
_U16: Final = 0xFFFF
_U64: Final = 0xFFFF_FFFF_FFFF_FFFF


@dataclass(slots=True)
class Nib:
    """The scalar NWK information base attributes (Zigbee spec R22 Table 3-58)."""

    #: nwkPANId (0x80): 0x0000-0xffff, 0xffff before joining
    nwk_pan_id: int = 0xFFFF
    #: nwkSequenceNumber (0x81); the spec asks for a random start: seed it from the node's rng
    nwk_sequence_number: int = 0
    #: nwkPassiveAckTimeout (0x82), milliseconds, 0-10,000
    nwk_passive_ack_timeout: int = NWK_PASSIVE_ACK_TIMEOUT_MS
    #: nwkMaxBroadcastRetries (0x83), 0-5
    nwk_max_broadcast_retries: int = NWK_MAX_BROADCAST_RETRIES
    #: nwkMaxChildren (0x84)
    nwk_max_children: int = 20
    #: nwkMaxDepth (0x85): 15 in the Zigbee PRO stack profile
    nwk_max_depth: int = NWK_MAX_DEPTH
    #: nwkMaxRouters (0x86), 1-255 (tree addressing only)
    nwk_max_routers: int = 6
    #: nwkNetworkBroadcastDeliveryTime (0x88), seconds
    nwk_network_broadcast_delivery_time: int = NWK_NETWORK_BROADCAST_DELIVERY_TIME_S
    #: nwkReportConstantCost (0x89): report link cost 7 for every link
    nwk_report_constant_cost: bool = False
    #: nwkTimeStamp (0x8c): time-stamp incoming and outgoing frames
    nwk_time_stamp: bool = False
    #: nwkTxTotal (0x8d), 0-0xffff: transmissions counted for the transmit failure ratio
    nwk_tx_total: int = 0
    #: nwkSymLink (0x8e): routes are symmetric (TRUE in Zigbee PRO)
    nwk_sym_link: bool = True
    #: nwkCapabilityInformation (0x8f): Table 3-62 bits (:class:`CapabilityInformation`)
    nwk_capability_information: int = 0
    #: nwkAddrAlloc (0x90): 0 distributed (tree), 2 stochastic (Zigbee PRO)
    nwk_addr_alloc: int = AddrAlloc.STOCHASTIC
    #: nwkUseTreeRouting (0x91): FALSE in Zigbee PRO
    nwk_use_tree_routing: bool = False
    #: nwkManagerAddr (0x92): network address of the network manager
    nwk_manager_addr: int = 0x0000
    #: nwkMaxSourceRoute (0x93): relays in a source route
    nwk_max_source_route: int = NWK_MAX_SOURCE_ROUTE
    #: nwkUpdateId (0x94)
    nwk_update_id: int = 0
    #: nwkTransactionPersistenceTime (0x95), superframe periods (15.36 ms): 500 = 7.68 s
    nwk_transaction_persistence_time: int = NWK_TRANSACTION_PERSISTENCE_TIME
    #: nwkNetworkAddress (0x96): 0x0000-0xfff7, 0xffff before joining
    nwk_network_address: int = UNASSIGNED_ADDRESS
    #: nwkStackProfile (0x97): 2 = Zigbee PRO
    nwk_stack_profile: int = STACK_PROFILE_ZIGBEE_PRO
    #: nwkExtendedPANID (0x9a): 0 before joining
    nwk_extended_pan_id: int = 0
    #: nwkUseMulticast (0x9b): NWK multicast; Zigbee PRO networks use APS groups (FALSE)
    nwk_use_multicast: bool = False
    #: nwkIsConcentrator (0x9d)
    nwk_is_concentrator: bool = False
    #: nwkConcentratorRadius (0x9e): radius of many-to-one route requests
    nwk_concentrator_radius: int = 0
    #: nwkConcentratorDiscoveryTime (0x9f), seconds between many-to-one route requests
    #: (0 = the application decides)
    nwk_concentrator_discovery_time: int = 0
    #: nwkSecurityLevel (0xa0): 5 = ENC-MIC-32
    nwk_security_level: int = NWKC_DEFAULT_SECURITY_LEVEL
    #: nwkActiveKeySeqNumber (0xa2)
    nwk_active_key_seq_number: int = 0
    #: nwkAllFresh (0xa3): check freshness of every incoming secured frame
    nwk_all_fresh: bool = True
    #: nwkSecureAllFrames (0xa5)
    nwk_secure_all_frames: bool = True
    #: nwkLinkStatusPeriod (0xa6), seconds
    nwk_link_status_period: int = NWK_LINK_STATUS_PERIOD_S
    #: nwkRouterAgeLimit (0xa7): link status periods before a router neighbour is stale
    nwk_router_age_limit: int = NWK_ROUTER_AGE_LIMIT
    #: nwkUniqueAddr (0xa8): FALSE = addresses may collide: detect and resolve conflicts
    #: (stochastic addressing)
    nwk_unique_addr: bool = False
    #: nwkLeaveRequestAllowed (0xaa)
    nwk_leave_request_allowed: bool = True
    #: nwkParentInformation (0xab): parent's keepalive support bits (end device)
    nwk_parent_information: int = 0
    #: nwkEndDeviceTimeoutDefault (0xac): Table 3-54 index, 8 = 256 minutes
    nwk_end_device_timeout_default: int = END_DEVICE_TIMEOUT_DEFAULT_INDEX
    #: nwkLeaveRequestWithoutRejoinAllowed (0xad)
    nwk_leave_request_without_rejoin_allowed: bool = True
    #: nwkIeeeAddress (0xae): this device's EUI-64
    nwk_ieee_address: int = 0
    #: device depth (beacon payload; no identifier)
    nwk_depth: int = 0
    #: current logical channel (no identifier; 0-26 over the channel pages)
    nwk_logical_channel: int = 11
    #: joining permitted (mirrors macAssociationPermit; no identifier)
    nwk_permit_joining: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            _check(f.name, getattr(self, f.name))

    # -- NLME-GET / NLME-SET ---------------------------------------------------------------

    def get(self, attribute: str | int) -> NibValue:
        """NLME-GET: the value of an attribute by snake-case name, camelCase name or
        identifier; unknown -> :class:`LocalProtocolError`."""
        value: NibValue = getattr(self, _resolve(attribute))
        return value

    def set(self, attribute: str | int, value: NibValue) -> None:
        """NLME-SET: validate and store; unknown attribute or bad value ->
        :class:`LocalProtocolError`. Booleans accept ``bool`` (or the ints 0 / 1)."""
        name = _resolve(attribute)
        setattr(self, name, _check(name, value))

    @staticmethod
    def attribute_names() -> tuple[str, ...]:
        """Every attribute name, in table order."""
        return _NAMES

    # -- helpers ---------------------------------------------------------------------------

    def next_sequence_number(self) -> int:
        """The sequence number for a new frame; advances nwkSequenceNumber mod 256."""
        seq = self.nwk_sequence_number
        self.nwk_sequence_number = (seq + 1) & 0xFF
        return seq

    @property
    def nwk_passive_ack_timeout_us(self) -> int:
        return self.nwk_passive_ack_timeout * MS

    @property
    def nwk_network_broadcast_delivery_time_us(self) -> int:
        return self.nwk_network_broadcast_delivery_time * S

    @property
    def nwk_transaction_persistence_time_us(self) -> int:
        return self.nwk_transaction_persistence_time * SUPERFRAME_PERIOD_US

    @property
    def nwk_concentrator_discovery_time_us(self) -> int:
        return self.nwk_concentrator_discovery_time * S

    @property
    def nwk_link_status_period_us(self) -> int:
        return self.nwk_link_status_period * S

    @property
    def nwk_end_device_timeout_default_us(self) -> int:
        return end_device_timeout_us(self.nwk_end_device_timeout_default)


# -- validation tables ---------------------------------------------------------------------------

#: name -> (kind, low, high); kind "b" for bool, "i" for int
_RANGES: Final[dict[str, tuple[str, int, int]]] = {
    "nwk_pan_id": ("i", 0, _U16),
    "nwk_sequence_number": ("i", 0, _U8),
    "nwk_passive_ack_timeout": ("i", 0, 10_000),
    "nwk_max_broadcast_retries": ("i", 0, 5),
    "nwk_max_children": ("i", 0, _U8),
    "nwk_max_depth": ("i", 0, _U8),
    "nwk_max_routers": ("i", 1, _U8),
    "nwk_network_broadcast_delivery_time": ("i", 0, _U8),
    "nwk_report_constant_cost": ("b", 0, 1),
    "nwk_time_stamp": ("b", 0, 1),
    "nwk_tx_total": ("i", 0, _U16),
    "nwk_sym_link": ("b", 0, 1),
    "nwk_capability_information": ("i", 0, _U8),
    "nwk_addr_alloc": ("i", 0, 2),
    "nwk_use_tree_routing": ("b", 0, 1),
    "nwk_manager_addr": ("i", 0, MAX_UNICAST_ADDRESS),
    "nwk_max_source_route": ("i", 0, _U8),
    "nwk_update_id": ("i", 0, _U8),
    "nwk_transaction_persistence_time": ("i", 0, _U16),
    "nwk_network_address": ("i", 0, _U16),
    "nwk_stack_profile": ("i", 0, 0x0F),
    "nwk_extended_pan_id": ("i", 0, _U64 - 1),
    "nwk_use_multicast": ("b", 0, 1),
    "nwk_is_concentrator": ("b", 0, 1),
    "nwk_concentrator_radius": ("i", 0, _U8),
    "nwk_concentrator_discovery_time": ("i", 0, _U8),
    "nwk_security_level": ("i", 0, 7),
    "nwk_active_key_seq_number": ("i", 0, _U8),
    "nwk_all_fresh": ("b", 0, 1),
    "nwk_secure_all_frames": ("b", 0, 1),
    "nwk_link_status_period": ("i", 0, _U8),
    "nwk_router_age_limit": ("i", 0, _U8),
    "nwk_unique_addr": ("b", 0, 1),
    "nwk_leave_request_allowed": ("b", 0, 1),
    "nwk_parent_information": ("i", 0, _U8),
    "nwk_end_device_timeout_default": ("i", 0, END_DEVICE_TIMEOUT_MAX_INDEX),
    "nwk_leave_request_without_rejoin_allowed": ("b", 0, 1),
    "nwk_ieee_address": ("i", 0, _U64),
    "nwk_depth": ("i", 0, _U8),
    "nwk_logical_channel": ("i", 0, 26),
    "nwk_permit_joining": ("b", 0, 1),
}

_NAMES: Final = tuple(f.name for f in fields(Nib))


def _key(attribute: str | int) -> str | int:
    # "nwk_pan_id", "nwkPANId" and "NWK_PAN_ID" name the same attribute
    return attribute.replace("_", "").lower() if isinstance(attribute, str) else attribute


def _build_lookup() -> dict[str | int, str]:
    lookup: dict[str | int, str] = {_key(name): name for name in _NAMES}
    for attr in NibAttributeId:
        lookup[int(attr)] = attr.name.lower()
    return lookup


_LOOKUP: Final = _build_lookup()


def _resolve(attribute: str | int) -> str:
    # bool is an int: reject it rather than read attribute 0 / 1
    if isinstance(attribute, bool) or not isinstance(attribute, str | int):
        raise LocalProtocolError(f"unknown NIB attribute {attribute!r}")
    name = _LOOKUP.get(_key(attribute))
    if name is None:
        shown = f"{attribute:#04x}" if isinstance(attribute, int) else repr(attribute)
        raise LocalProtocolError(f"unknown NIB attribute {shown}")
    return name


def _check(name: str, value: object) -> NibValue:
    kind, lo, hi = _RANGES[name]
    if kind == "b":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise LocalProtocolError(f"{name} takes a boolean, got {value!r}")
    if not isinstance(value, int) or isinstance(value, bool):
        raise LocalProtocolError(f"{name} takes an integer, got {value!r}")
    if not lo <= value <= hi:
        raise LocalProtocolError(f"{name} = {value:#x} out of range {lo:#x}-{hi:#x}")
    if name == "nwk_network_address" and MAX_UNICAST_ADDRESS < value < UNASSIGNED_ADDRESS:
        raise LocalProtocolError(f"nwk_network_address {value:#06x} is a broadcast address")
    if name == "nwk_addr_alloc" and value == 1:
        raise LocalProtocolError("nwk_addr_alloc 1 is reserved")
    return value
