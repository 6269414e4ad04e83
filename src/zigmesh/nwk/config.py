"""NWK layer configuration, counters and the security hook (Zigbee spec R22 3.5, 4.3.1).

:class:`NwkConfig` holds implementation choices and table sizes (not NIB attributes),
:class:`NwkStats` every counter of the layer (drops by reason included), :class:`NwkSecurity`
the interface of NWK frame security (:class:`~zigmesh.nwk.security.NwkSecurityContext`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import (
    ADDRESS_MAP_DEFAULT_ENTRIES,
    BTT_DEFAULT_ENTRIES,
    END_DEVICE_TIMEOUT_DEFAULT_INDEX,
    MS,
    NEIGHBOR_TABLE_DEFAULT_ENTRIES,
    NWK_MAX_SOURCE_ROUTE,
    NWK_UNICAST_RETRIES,
    NWK_UNICAST_RETRY_DELAY_US,
    NWKC_INITIAL_RREQ_RETRIES,
    NWKC_RREQ_RETRIES,
    ROUTE_DISCOVERY_TABLE_DEFAULT_ENTRIES,
    ROUTE_RECORD_TABLE_DEFAULT_ENTRIES,
    ROUTING_TABLE_DEFAULT_ENTRIES,
    S,
)
from zigmesh.nwk.frames import NwkFrame

__all__ = ["NwkConfig", "NwkSecurity", "NwkStats"]


class NwkSecurity(Protocol):
    """NWK frame security (Zigbee spec 4.3.1): :class:`~zigmesh.nwk.security.NwkSecurityContext`."""

    @property
    def active(self) -> bool:
        """Outgoing frames are sealed (security on and a network key held)."""
        ...

    @property
    def exhausted(self) -> bool:
        """The outgoing frame counter is spent: nothing may be sent."""
        ...

    def secure(self, frame: NwkFrame) -> bytes:
        """The frame as on the air, auxiliary header and MIC included; raises
        :class:`~zigmesh.errors.SecurityError` when it cannot be sealed."""
        ...

    def unsecure(self, data: bytes, frame: NwkFrame) -> NwkFrame:
        """Open a secured frame (``frame`` is ``data`` decoded); raises
        :class:`~zigmesh.nwk.security.NwkSecurityDrop` (with a ``reason``) on failure."""
        ...


@dataclass(frozen=True, slots=True)
class NwkConfig:
    """Implementation choices and table sizes (not NIB attributes). Times in microseconds."""

    #: table capacities
    neighbor_table_size: int = NEIGHBOR_TABLE_DEFAULT_ENTRIES
    #: of which at most this many neither parent nor child (router neighbours heard; None:
    #: any entry). Z-Stack keeps 16 router neighbours beside 20 children, EmberZNet 16: a
    #: dense mesh's link statuses then fit one frame and its floods need fewer passive-ack
    #: retries; an ordinary route request or reply prices the link to a router outside the
    #: table from the LQI of the frame that crossed it (:meth:`Nwk.link_cost`)
    max_unrelated_neighbors: int | None = 16
    routing_table_size: int = ROUTING_TABLE_DEFAULT_ENTRIES
    route_discovery_table_size: int = ROUTE_DISCOVERY_TABLE_DEFAULT_ENTRIES
    btt_size: int = BTT_DEFAULT_ENTRIES
    address_map_size: int = ADDRESS_MAP_DEFAULT_ENTRIES
    route_record_table_size: int = ROUTE_RECORD_TABLE_DEFAULT_ENTRIES
    #: nwkMaxSourceRoute at start-up: the longest relay list a concentrator stores and
    #: source-routes along (spec default 12; a high-RAM concentrator of a large mesh, whose
    #: cheapest paths are longer, takes more: any relay list that fits a frame is usable)
    max_source_route: int = NWK_MAX_SOURCE_ROUTE
    #: nwkMaxChildren, and the share of it routers and end devices may take
    max_children: int = 20
    max_routers: int = 6
    max_end_devices: int = 20
    #: NWK retransmissions of a unicast after a MAC failure, and the pause before each
    unicast_retries: int = NWK_UNICAST_RETRIES
    unicast_retry_delay_us: int = NWK_UNICAST_RETRY_DELAY_US
    #: route request broadcasts after the first: by the originator / by each relay
    initial_rreq_retries: int = NWKC_INITIAL_RREQ_RETRIES
    rreq_retries: int = NWKC_RREQ_RETRIES
    #: passive acknowledgement (3.6.5): a broadcast we sent or relayed is retransmitted
    #: (at most nwkMaxBroadcastRetries times) while fewer than this many of our router
    #: neighbours, or fewer than all of them when we have fewer, were heard relaying it.
    #: None: until every router neighbour was heard (passive acknowledgement "may" be used,
    #: 3.6.5). 8 is what Z-Stack tracks per broadcast (MAX_PASSIVE_ACK_CNT). In a dense mesh
    #: some neighbour always misses a flood (its broadcast table is full, a collision), so
    #: waiting for all of them made nearly every router send every flood three times (58-65 %
    #: of all broadcast transmissions at 10,000 nodes: the congestion that turns a burst of
    #: address conflicts into a collapse). 1,000 nodes at 8.5 m with addresses drawn from
    #: 1-4,000 (bench/scale.py, seeds 1-3), routers' reports delivered and broadcasts per
    #: sim-s (2026-12-06): no quorum 98.5, 94.3, 96.7 % and 1,900-2,100; 12: 99.97, 93.9,
    #: 99.97 % and 1,373-1,725; 8: 100, 99.97, 100 % and 777-976. The 10,000-node bench
    #: collapsed in its third minute of traffic with 12, not in seven with 8; 3,000 nodes with
    #: addresses from 1-12,000 (seed 1) collapsed with 8 (84.8 %), not with 12 (99.57 %):
    #: neither value prevents every collapse (README). The 100-node bench delivers 100 % on
    #: seeds 1-14 with 8 and with 12
    passive_ack_quorum: int | None = 8
    #: a many-to-one route request is relayed again only for a copy this much cheaper (path
    #: cost) than the copy our last relay of it carried; a copy cheaper by less moves our route
    #: to the concentrator but starts no broadcast (1: every cheaper copy, as 3.6.3.5.2 has
    #: it). Every router hears each request from many neighbours in random order: on the
    #: 1,000-node bench grid 3.3-3.8 relays per router per request with 1, 2.3-2.5 with 3
    #: (bench/scale.py, 2026-12-07), delivery unchanged on seeds 1-7 but for one end device
    #: report (seed 6); with 5, seed 1 delivered 97.3 %. Relaying once (no margin) was tried
    #: and dropped: routes hang on the first copy's poorer links (5-10 times the link
    #: failures, 99.7-99.96 % delivered), and when the concentrator's own copy is lost at its
    #: neighbours (a hidden terminal) the whole tree hangs on the far first wave for a period;
    #: with a margin a much better copy still spreads, so that heals within the flood
    mtorr_relay_margin: int = 3
    #: frames held while their route is discovered (all destinations together)
    route_discovery_buffer: int = 16
    #: children admitted at once that still wait for their network key (0: no limit)
    max_pending_joins: int = 1
    #: route request rate limit (a token bucket per device): at most this many discoveries
    #: back to back, then one per ``rreq_interval_us``; beyond it a frame needing a new
    #: discovery fails at once (ROUTE_DISCOVERY_FAILED) instead of adding to a flood
    rreq_burst: int = 4
    rreq_interval_us: int = 1 * S
    #: link status period jitter: each period is nwkLinkStatusPeriod +/- this
    link_status_jitter_us: int = 1 * S
    #: end device: MAC data poll interval (rx-off end devices), and consecutive poll /
    #: transmit failures that mean the parent is lost
    poll_interval_us: int = 7_500 * MS
    parent_loss_threshold: int = 3
    #: end device: rejoin by itself when the parent is lost; pause between rejoin attempts
    rejoin_on_parent_loss: bool = True
    rejoin_retry_us: int = 5 * S
    #: end device: timeout index it asks for (Zigbee spec Table 3-54)
    end_device_timeout_index: int = END_DEVICE_TIMEOUT_DEFAULT_INDEX
    #: parent: a child's MAC data poll (MLME-POLL.indication) restarts its timeout, and the
    #: End Device Timeout Response says so ("MAC data poll keepalive supported", 3.4.12);
    #: the End Device Timeout Request keepalive is always supported
    mac_data_poll_keepalive: bool = True
    #: concentrator (nwkIsConcentrator), its radius (0: default) and its many-to-one route
    #: request period (nwkConcentratorDiscoveryTime, seconds; 0: on request only)
    concentrator: bool = False
    concentrator_radius: int = 0
    concentrator_discovery_time_s: int = 60
    #: delay of a concentrator's first many-to-one route request after it starts
    concentrator_first_delay_us: int = 2 * S
    #: carry the source IEEE address in data frames too (commands always do)
    src_ieee_in_data: bool = False
    #: scan duration exponent of the rejoin's active scan
    rejoin_scan_duration: int = 3
    #: secured network: a child that joined by association and sends no NWK-secured frame
    #: this long after joining (it never got the network key) is removed by its parent;
    #: unsecured: so is a child whose Association Response ACK was lost and that sends
    #: nothing this long after (it never got the response)
    unauthenticated_child_timeout_us: int = 15 * S

    def __post_init__(self) -> None:
        if not 0 <= self.end_device_timeout_index <= 14:
            raise LocalProtocolError("end_device_timeout_index must be 0-14")
        if self.poll_interval_us <= 0 or self.parent_loss_threshold < 1:
            raise LocalProtocolError("poll interval and parent loss threshold must be positive")
        if self.max_unrelated_neighbors is not None and self.max_unrelated_neighbors < 0:
            raise LocalProtocolError("max_unrelated_neighbors must be >= 0")
        if self.max_children < 0 or self.max_routers < 0 or self.max_end_devices < 0:
            raise LocalProtocolError("child capacities must be >= 0")
        if not 0 <= self.max_source_route <= 0xFF:
            raise LocalProtocolError("max_source_route must be 0-255")


@dataclass(slots=True)
class NwkStats:
    """Per-NWK counters (frames from the air never raise: they end up here)."""

    #: NLDE-DATA requests, their confirms, and the indications delivered
    data_requests: int = 0
    data_confirm_success: int = 0
    data_confirm_failure: int = 0
    data_indications: int = 0
    #: NWK frames handed to the MAC (originated + relayed), relayed frames, MAC failures
    tx_frames: int = 0
    tx_broadcasts: int = 0
    tx_unicast_retries: int = 0
    tx_failures: int = 0
    relayed: int = 0
    #: route discovery
    route_discoveries: int = 0
    route_discovery_failures: int = 0
    rreq_sent: int = 0
    rreq_relayed: int = 0
    rrep_sent: int = 0
    mtorr_sent: int = 0
    route_records_sent: int = 0
    source_routed: int = 0
    #: routes a concentrator found through the parent of a device it held no route record
    #: for (routing._via_parent; counted per lookup: a frame that waited for the device's
    #: record is looked up once more when it goes)
    source_routed_via_parent: int = 0
    network_status_sent: int = 0
    route_repairs: int = 0
    link_failures: int = 0
    #: a many-to-one route that pointed back at the neighbour a frame came from
    route_loops: int = 0
    #: broadcast
    broadcast_retries: int = 0
    #: retransmissions not sent because our BTT turned broadcasts away meanwhile
    broadcast_retries_skipped: int = 0
    broadcast_duplicates: int = 0
    passive_acks: int = 0
    link_status_sent: int = 0
    #: membership
    joins_accepted: int = 0
    joins_refused: int = 0
    rejoins: int = 0
    #: rejoins that scanned the other channels of the mask after their own found nothing
    rejoin_channel_scans: int = 0
    #: networks found again after being lost, by a newer nwkUpdateId elsewhere; stale parts of
    #: ours heard on an older PAN ID or channel, and the updates sent again there
    network_followed: int = 0
    network_reannounced: int = 0
    parent_losses: int = 0
    #: end device: polls of the parent's extended address answered after its short one was
    #: not (it changed it, or that poll was lost), and its short address learnt again from
    #: its notice (new or, the poll having been lost, unchanged)
    parent_address_stale: int = 0
    parent_moved: int = 0
    #: parent: notices of our short address queued for children polling our extended address
    parent_address_notices: int = 0
    children_aged_out: int = 0
    #: end-device children found attached to another parent (their frames came relayed)
    children_moved: int = 0
    #: such evidence refused: a frame not newer than the child's own, or a child still polling
    children_moved_refused: int = 0
    address_conflicts: int = 0
    #: conflicts seen in a route record we relayed to the coordinator: left to it (it maps
    #: every device that reports, and sends its report to the record's sender alone)
    address_conflicts_left: int = 0
    #: broadcast data frames with our own network address as source that are not ours (no
    #: broadcast data frame of ours with that sequence number in the last OWN_ECHO_US):
    #: another device uses the address
    broadcast_own_address: int = 0
    #: network status ADDRESS_CONFLICT reports this device broadcast (each a network-wide flood)
    address_conflict_reports: int = 0
    #: network status ADDRESS_CONFLICT reports this concentrator sent as a source-routed
    #: unicast to the one device to move (address.py: directed report)
    address_conflict_directed: int = 0
    address_changes: int = 0
    #: PAN ID conflicts detected (3.6.1.13), reports and updates sent, PAN ID changes made
    pan_id_conflicts: int = 0
    network_reports_sent: int = 0
    pan_id_updates_sent: int = 0
    pan_id_changes: int = 0
    leaves: int = 0
    #: drops by reason
    rx_frames: int = 0
    rx_decode_error: int = 0
    rx_security_dropped: int = 0
    rx_sec_no_key: int = 0
    rx_sec_key_seq: int = 0
    rx_sec_counter: int = 0
    rx_sec_duplicate: int = 0
    rx_sec_mic: int = 0
    rx_sec_header: int = 0
    #: the auxiliary header's source is not the MAC sender we know (NWK security is hop by
    #: hop: the hop that sent the frame secured it, 4.3.1.1)
    rx_sec_source: int = 0
    rx_unsecured: int = 0
    rx_broadcast_ignored: int = 0
    rx_duplicate_unicast: int = 0
    tx_security_failures: int = 0
    unauthenticated_children_removed: int = 0
    #: association responses whose ACK was lost, the device kept as a child (join_parent)
    association_ack_lost: int = 0
    #: of those (unsecured network), children never heard afterwards, removed
    unheard_children_removed: int = 0
    #: router children silent for nwkRouterAgeLimit link status periods, removed (link_status)
    aged_children_removed: int = 0
    #: Leave (rejoin) requests sent to end devices that polled us but are not our children
    orphan_leaves_sent: int = 0
    rx_bad_version: int = 0
    #: route records refused by the concentrator (a relay twice, a broadcast or reserved
    #: address, or an end of the path among the relays)
    rx_bad_route_record: int = 0
    rx_not_joined: int = 0
    drop_radius: int = 0
    drop_no_route: int = 0
    drop_btt_full: int = 0
    drop_buffer_full: int = 0
    drop_discovery_table_full: int = 0
    #: frames the MAC refused as longer than a PSDU (a relayed route record that grew)
    drop_frame_too_long: int = 0
    #: unicasts a relay gave up on a channel busy through every CSMA-CA attempt (no link failure)
    drop_channel_busy: int = 0
    #: frames failed because a new route discovery would break the rate limit
    drop_rreq_rate_limited: int = 0
    drop_source_route: int = 0
    drop_indirect_expired: int = 0
    #: broadcast data frames that revealed an address conflict, discarded (3.6.1.9)
    drop_address_conflict: int = 0
    drop_other: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
