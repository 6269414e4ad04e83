"""NWK layer constants (Zigbee spec R22 3.5.1, Table 3-57) and deployed-stack defaults.

Spec constants are given in the spec's unit with the conversion beside them. Time is an ``int``
of microseconds (DESIGN.md 3.6). The spec counts time in *OctetDurations*: at 2.4 GHz O-QPSK
(250 kbit/s) one octet lasts 32 us.

Values the spec leaves to the stack profile or the implementation carry the common default of
deployed stacks (``/work/shared/reference/constants.md``); every one of them is configurable
through the :class:`~zigmesh.nwk.nib.Nib` or a table's constructor.
"""

from __future__ import annotations

from typing import Final

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.commands import end_device_timeout_seconds

__all__ = [
    "OCTET_DURATION_US",
    "MS",
    "S",
    # Table 3-57
    "NWKC_COORDINATOR_CAPABLE",
    "NWKC_DEFAULT_SECURITY_LEVEL",
    "NWKC_MIN_HEADER_OVERHEAD",
    "NWKC_PROTOCOL_VERSION",
    "NWKC_WAIT_BEFORE_VALIDATION_OCTETS",
    "NWKC_WAIT_BEFORE_VALIDATION_US",
    "NWKC_ROUTE_DISCOVERY_TIME_OCTETS",
    "NWKC_ROUTE_DISCOVERY_TIME_US",
    "NWKC_MAX_BROADCAST_JITTER_OCTETS",
    "NWKC_MAX_BROADCAST_JITTER_US",
    "NWKC_INITIAL_RREQ_RETRIES",
    "NWKC_RREQ_RETRIES",
    "NWKC_RREQ_RETRY_INTERVAL_OCTETS",
    "NWKC_RREQ_RETRY_INTERVAL_US",
    "RREQ_JITTER_SLOT_US",
    "NWKC_MIN_RREQ_JITTER",
    "NWKC_MAX_RREQ_JITTER",
    "NWKC_MIN_RREQ_JITTER_US",
    "NWKC_MAX_RREQ_JITTER_US",
    "NWKC_MAC_FRAME_OVERHEAD",
    # stack profile / deployed defaults
    "STACK_PROFILE_ZIGBEE_PRO",
    "NWK_MAX_DEPTH",
    "NWK_DEFAULT_RADIUS",
    "NWK_MAX_PAYLOAD",
    "NWK_PASSIVE_ACK_TIMEOUT_MS",
    "NWK_PASSIVE_ACK_TIMEOUT_US",
    "NWK_MAX_BROADCAST_RETRIES",
    "NWK_NETWORK_BROADCAST_DELIVERY_TIME_S",
    "NWK_NETWORK_BROADCAST_DELIVERY_TIME_US",
    "NWK_UNICAST_RETRIES",
    "NWK_UNICAST_RETRY_DELAY_MS",
    "NWK_UNICAST_RETRY_DELAY_US",
    "NWK_LINK_STATUS_PERIOD_S",
    "NWK_LINK_STATUS_PERIOD_US",
    "NWK_ROUTER_AGE_LIMIT",
    "NWK_MAX_SOURCE_ROUTE",
    "NWK_TRANSACTION_PERSISTENCE_TIME",
    "SUPERFRAME_PERIOD_US",
    "END_DEVICE_TIMEOUT_DEFAULT_INDEX",
    "END_DEVICE_TIMEOUT_MAX_INDEX",
    "end_device_timeout_us",
    # table sizes
    "BTT_MIN_ENTRIES",
    "BTT_DEFAULT_ENTRIES",
    "NEIGHBOR_TABLE_DEFAULT_ENTRIES",
    "ROUTING_TABLE_DEFAULT_ENTRIES",
    "ROUTE_DISCOVERY_TABLE_DEFAULT_ENTRIES",
    "ADDRESS_MAP_DEFAULT_ENTRIES",
    "ROUTE_RECORD_TABLE_DEFAULT_ENTRIES",
    "ROUTE_RECORD_LIFETIME_US",
    # addresses
    "COORDINATOR_ADDRESS",
    "UNASSIGNED_ADDRESS",
    "MAX_UNICAST_ADDRESS",
    "BROADCAST_ADDRESS_MIN",
]

#: One OctetDuration at 2.4 GHz O-QPSK, 250 kbit/s (IEEE 802.15.4 10.2)
OCTET_DURATION_US: Final = 32
#: one millisecond / one second in microseconds
MS: Final = 1_000
S: Final = 1_000_000

# -- Zigbee spec R22 Table 3-57: NWK layer constants ---------------------------------------------

#: nwkcCoordinatorCapable: this implementation can act as coordinator
NWKC_COORDINATOR_CAPABLE: Final = True
#: nwkcDefaultSecurityLevel: ENC-MIC-32 (level 5, Zigbee spec 4.3 / Table 4-38)
NWKC_DEFAULT_SECURITY_LEVEL: Final = 5
#: nwkcMinHeaderOverhead: octets of the smallest NWK header
NWKC_MIN_HEADER_OVERHEAD: Final = 8
#: nwkcProtocolVersion (Zigbee 2006 and later)
NWKC_PROTOCOL_VERSION: Final = 2
#: nwkcWaitBeforeValidation: 0x9c40 OctetDurations = 40,000 x 32 us = 1.28 s
NWKC_WAIT_BEFORE_VALIDATION_OCTETS: Final = 0x9C40
NWKC_WAIT_BEFORE_VALIDATION_US: Final = NWKC_WAIT_BEFORE_VALIDATION_OCTETS * OCTET_DURATION_US
#: nwkcRouteDiscoveryTime: 0x4c4b4 OctetDurations = 312,500 x 32 us = 10 s
NWKC_ROUTE_DISCOVERY_TIME_OCTETS: Final = 0x4C4B4
NWKC_ROUTE_DISCOVERY_TIME_US: Final = NWKC_ROUTE_DISCOVERY_TIME_OCTETS * OCTET_DURATION_US
#: nwkcMaxBroadcastJitter: 0x7d0 OctetDurations = 2,000 x 32 us = 64 ms
NWKC_MAX_BROADCAST_JITTER_OCTETS: Final = 0x7D0
NWKC_MAX_BROADCAST_JITTER_US: Final = NWKC_MAX_BROADCAST_JITTER_OCTETS * OCTET_DURATION_US
#: nwkcInitialRREQRetries: broadcasts of a route request by its originator after the first
NWKC_INITIAL_RREQ_RETRIES: Final = 3
#: nwkcRREQRetries: rebroadcasts of a route request by a relay after the first
NWKC_RREQ_RETRIES: Final = 2
#: nwkcRREQRetryInterval: 0x1f02 OctetDurations = 7,938 x 32 us = 254.016 ms
NWKC_RREQ_RETRY_INTERVAL_OCTETS: Final = 0x1F02
NWKC_RREQ_RETRY_INTERVAL_US: Final = NWKC_RREQ_RETRY_INTERVAL_OCTETS * OCTET_DURATION_US
#: RREQ jitter is drawn in whole slots of 2 ms (nwkcMinRREQJitter 0x3f OctetDurations ~ 2 ms)
RREQ_JITTER_SLOT_US: Final = 2 * MS
#: nwkcMinRREQJitter / nwkcMaxRREQJitter in 2 ms slots: 1 slot = 2 ms, 64 slots = 128 ms
#: (0x3f and 0xfa0 OctetDurations)
NWKC_MIN_RREQ_JITTER: Final = 1
NWKC_MAX_RREQ_JITTER: Final = 64
NWKC_MIN_RREQ_JITTER_US: Final = NWKC_MIN_RREQ_JITTER * RREQ_JITTER_SLOT_US
NWKC_MAX_RREQ_JITTER_US: Final = NWKC_MAX_RREQ_JITTER * RREQ_JITTER_SLOT_US
#: nwkcMACFrameOverhead: octets of MAC header + FCS of a NWK data frame (short addressing)
NWKC_MAC_FRAME_OVERHEAD: Final = 11

# -- Zigbee PRO stack profile and deployed-stack defaults ----------------------------------------

#: nwkStackProfile of Zigbee PRO
STACK_PROFILE_ZIGBEE_PRO: Final = 2
#: nwkMaxDepth of the Zigbee PRO stack profile
NWK_MAX_DEPTH: Final = 15
#: default radius of a NWK frame: 2 x nwkMaxDepth (Zigbee spec 3.2.2.1.3)
NWK_DEFAULT_RADIUS: Final = 2 * NWK_MAX_DEPTH
#: NWK payload of an unsecured frame: aMaxPHYPacketSize 127 - 11 (MAC) - 8 (NWK) = 108 octets
NWK_MAX_PAYLOAD: Final = 127 - NWKC_MAC_FRAME_OVERHEAD - NWKC_MIN_HEADER_OVERHEAD
#: nwkPassiveAckTimeout: 500 ms (ns-3)
NWK_PASSIVE_ACK_TIMEOUT_MS: Final = 500
NWK_PASSIVE_ACK_TIMEOUT_US: Final = NWK_PASSIVE_ACK_TIMEOUT_MS * MS
#: nwkMaxBroadcastRetries: 2 (ZBOSS)
NWK_MAX_BROADCAST_RETRIES: Final = 2
#: nwkNetworkBroadcastDeliveryTime: 9 s (Zigbee PRO deployed stacks)
NWK_NETWORK_BROADCAST_DELIVERY_TIME_S: Final = 9
NWK_NETWORK_BROADCAST_DELIVERY_TIME_US: Final = NWK_NETWORK_BROADCAST_DELIVERY_TIME_S * S
#: NWK unicast retries after a MAC failure, 50 ms apart (ZBOSS)
NWK_UNICAST_RETRIES: Final = 3
NWK_UNICAST_RETRY_DELAY_MS: Final = 50
NWK_UNICAST_RETRY_DELAY_US: Final = NWK_UNICAST_RETRY_DELAY_MS * MS
#: nwkLinkStatusPeriod: 15 s
NWK_LINK_STATUS_PERIOD_S: Final = 15
NWK_LINK_STATUS_PERIOD_US: Final = NWK_LINK_STATUS_PERIOD_S * S
#: nwkRouterAgeLimit: link status periods missed before a router neighbour is stale
NWK_ROUTER_AGE_LIMIT: Final = 3
#: nwkMaxSourceRoute: relays in a source route (Z-Stack MAX_SOURCE_ROUTE)
NWK_MAX_SOURCE_ROUTE: Final = 12
#: aBaseSuperframeDuration = 960 symbols x 16 us
SUPERFRAME_PERIOD_US: Final = 960 * 16
#: nwkTransactionPersistenceTime: 0x01f4 superframe periods = 500 x 15.36 ms = 7.68 s
NWK_TRANSACTION_PERSISTENCE_TIME: Final = 0x01F4
#: nwkEndDeviceTimeoutDefault: index 8 = 2^8 minutes = 256 min (Zigbee spec Table 3-54)
END_DEVICE_TIMEOUT_DEFAULT_INDEX: Final = 8
END_DEVICE_TIMEOUT_MAX_INDEX: Final = 14


def end_device_timeout_us(index: int) -> int:
    """End device timeout enumeration (Zigbee spec Table 3-54) in microseconds:
    0 = 10 s, n = 2^n minutes for n = 1..14; other values raise :class:`LocalProtocolError`."""
    try:
        return end_device_timeout_seconds(index) * S
    except ValueError as e:
        raise LocalProtocolError(str(e)) from None


# -- default table sizes (configurable in each table's constructor) ------------------------------

#: Broadcast transaction table: Zigbee PRO requires at least 9 entries; EmberZNet uses 15
BTT_MIN_ENTRIES: Final = 9
BTT_DEFAULT_ENTRIES: Final = 15
#: Neighbour table: 16 router neighbours + 20 children (Z-Stack defaults)
NEIGHBOR_TABLE_DEFAULT_ENTRIES: Final = 36
#: Routing table (Z-Stack MAX_RTG_ENTRIES)
ROUTING_TABLE_DEFAULT_ENTRIES: Final = 40
#: Route discovery table (Z-Stack MAX_RREQ_ENTRIES)
ROUTE_DISCOVERY_TABLE_DEFAULT_ENTRIES: Final = 32
#: Address map (nwkAddressMap)
ADDRESS_MAP_DEFAULT_ENTRIES: Final = 64
#: Route record table of a concentrator (nwkRouteRecordTable)
ROUTE_RECORD_TABLE_DEFAULT_ENTRIES: Final = 64
#: A route record not refreshed for this long is dropped (implementation choice)
ROUTE_RECORD_LIFETIME_US: Final = 300 * S

# -- addresses (Zigbee spec 3.6.1.9, Table 3-69) -------------------------------------------------

#: network address of the Zigbee coordinator
COORDINATOR_ADDRESS: Final = 0x0000
#: nwkNetworkAddress of a device that has not joined
UNASSIGNED_ADDRESS: Final = 0xFFFF
#: highest assignable unicast network address
MAX_UNICAST_ADDRESS: Final = 0xFFF7
#: 0xfff8 - 0xffff are broadcast (0xfff8 - 0xfffa reserved)
BROADCAST_ADDRESS_MIN: Final = 0xFFF8
