"""NWK tables (Zigbee spec R22 3.6): neighbour, routing, route discovery, broadcast
transaction, address map and route record tables.

Each is a small bounded class with O(1) lookups. None reads a clock: every operation that ages
or expires an entry takes ``now_us`` (integer microseconds).
"""

from __future__ import annotations

from zigmesh.nwk.tables._common import Insertion
from zigmesh.nwk.tables.address_map import AddressMap, AddressMapStatus
from zigmesh.nwk.tables.btt import BroadcastTransactionTable, BttRecord
from zigmesh.nwk.tables.neighbor import DeviceType, NeighborEntry, NeighborTable, Relationship
from zigmesh.nwk.tables.route_discovery import (
    MAX_PATH_COST,
    RouteDiscoveryEntry,
    RouteDiscoveryTable,
)
from zigmesh.nwk.tables.route_record import RouteRecordEntry, RouteRecordTable
from zigmesh.nwk.tables.routing_table import RouteEntry, RouteStatus, RoutingTable

__all__ = [
    "AddressMap",
    "AddressMapStatus",
    "BroadcastTransactionTable",
    "BttRecord",
    "DeviceType",
    "Insertion",
    "MAX_PATH_COST",
    "NeighborEntry",
    "NeighborTable",
    "Relationship",
    "RouteDiscoveryEntry",
    "RouteDiscoveryTable",
    "RouteEntry",
    "RouteRecordEntry",
    "RouteRecordTable",
    "RouteStatus",
    "RoutingTable",
]
