"""The Zigbee PRO NWK layer in operation (Zigbee spec R22 3.2, 3.6) on top of the 802.15.4 MAC.

Sans-IO (DESIGN.md 1): :class:`Nwk` gets a :class:`~zigmesh.mac.mac.Mac`, a
:class:`~zigmesh.clock.Clock` and a ``random.Random``; it registers itself as the MAC's upper
layer. Requests come down as method calls named after the spec's primitives
(``nlde_data_request``, ``nlme_join_request``...); confirms and indications go up as the
dataclasses of :mod:`zigmesh.nwk.primitives` through the one callback registered with
:meth:`Nwk.set_upper`. Frames from the air never raise: bad ones are dropped and counted in
:class:`NwkStats`.

This module holds the layer's state (NIB, tables) and the transmit engine (MAC handles, NWK
unicast retries); :mod:`~zigmesh.nwk.receive` the receive dispatch, :mod:`~zigmesh.nwk.config`
the configuration and counters. Each procedure keeps its states and transitions in
its own module: :mod:`~zigmesh.nwk.formation`, :mod:`~zigmesh.nwk.join`,
:mod:`~zigmesh.nwk.address`, :mod:`~zigmesh.nwk.routing`, :mod:`~zigmesh.nwk.broadcast`,
:mod:`~zigmesh.nwk.link_status`, :mod:`~zigmesh.nwk.many_to_one`, :mod:`~zigmesh.nwk.leave`
and :mod:`~zigmesh.nwk.end_device`.

Security (Zigbee spec 4.3.1): with a :class:`NwkSecurity` installed (``Nwk.security``, a
:class:`~zigmesh.nwk.security.NwkSecurityContext` on a secured node) and active (a network key
held), every outgoing frame is sealed as it is encoded (relays re-seal with their own counter),
except the NLDE-DATA requests made with ``security_enable=False`` (the parent's Transport-Key
to a joining child). Incoming secured frames are opened and dropped by reason
(``rx_sec_*``); unsecured frames are dropped while security is active (``rx_unsecured``) and
accepted before (a joined device waiting for its network key). An unauthenticated child that
sends no secured frame within ``unauthenticated_child_timeout_us`` is removed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.mac import Mac
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    McpsDataConfirm,
    McpsDataIndication,
    MlmeAssociateConfirm,
    MlmeAssociateIndication,
    MlmeBeaconNotifyIndication,
    MlmeCommStatusIndication,
    MlmeDisassociateIndication,
    MlmePollConfirm,
    MlmePollIndication,
    MlmeScanConfirm,
    MlmeStartConfirm,
    ScanType,
)
from zigmesh.nwk.address import AddressManager
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.broadcast import Broadcaster
from zigmesh.nwk.commands import (
    NwkCommand,
)
from zigmesh.nwk.config import NwkConfig, NwkSecurity, NwkStats
from zigmesh.nwk.constants import (
    BROADCAST_ADDRESS_MIN,
    NWK_DEFAULT_RADIUS,
    NWKC_MAC_FRAME_OVERHEAD,
    NWKC_PROTOCOL_VERSION,
    UNASSIGNED_ADDRESS,
    S,
)
from zigmesh.nwk.end_device import EndDeviceChild, EndDeviceParent
from zigmesh.nwk.formation import Formation
from zigmesh.nwk.frames import DiscoverRoute, NwkFrame, NwkFrameType
from zigmesh.nwk.join import Join, JoinParent
from zigmesh.nwk.leave import LeaveProcedure
from zigmesh.nwk.link_cost import LINK_COST_TABLE, MAX_LINK_COST, symmetric_link_cost
from zigmesh.nwk.link_status import LinkStatusSender
from zigmesh.nwk.many_to_one import ManyToOne
from zigmesh.nwk.nib import Nib
from zigmesh.nwk.pan_conflict import PanConflict
from zigmesh.nwk.primitives import (
    JoinMethod,
    NldeDataConfirm,
    NldeDataIndication,
    NlmeEdScanConfirm,
    NlmeLeaveIndication,
    NlmePermitJoiningConfirm,
    NlmeResetConfirm,
    NwkAddrMode,
    NwkEvent,
    NwkStatus,
    mac_to_nwk_status,
)
from zigmesh.nwk.receive import receive, receive_data
from zigmesh.nwk.routing import Routing
from zigmesh.nwk.security import NWK_SECURITY_OVERHEAD
from zigmesh.nwk.tables import (
    AddressMap,
    BroadcastTransactionTable,
    DeviceType,
    NeighborTable,
    Relationship,
    RouteDiscoveryTable,
    RouteRecordTable,
    RoutingTable,
)
from zigmesh.nwk.transmit import TransmitEngine, TxDone, TxRecord

__all__ = [
    "Nwk",
    "NwkConfig",
    "NwkSecurity",
    "NwkStats",
    "TxDone",
    "TxRecord",
    "UpperCallback",
]

UpperCallback = Callable[[NwkEvent], None]

_BROADCAST_MIN = BROADCAST_ADDRESS_MIN
_MAC_BROADCAST = 0xFFFF
_DATA = NwkFrameType.DATA
_COMMAND = NwkFrameType.COMMAND
_SUCCESS = MacStatus.SUCCESS
_RETRYABLE = (MacStatus.NO_ACK, MacStatus.CHANNEL_ACCESS_FAILURE)
_UNAUTH_CHILD = Relationship.UNAUTHENTICATED_CHILD


#: unsecured NWK frame room under aMaxPHYPacketSize: 127 - MAC header/FCS
_MAX_NWK_FRAME = 127 - NWKC_MAC_FRAME_OVERHEAD


class Nwk(TransmitEngine):
    """One node's NWK layer: NLDE/NLME primitives, routing, broadcast, membership.

    ``Nwk(mac, clock, rng, config=None)``: registers itself as ``mac``'s upper layer and draws
    the first nwkSequenceNumber from ``rng``. Role (coordinator, router, end device) comes
    from how the network is entered: NLME-NETWORK-FORMATION makes a coordinator, NLME-JOIN
    with a router-capable capability a router (NLME-START-ROUTER then starts it), otherwise an
    end device.
    """

    #: attributes in slots, not a per-node dict (1.6 KB a node); the mixins' (slot-less) base
    #: still gives a dict, created only when a test replaces a method on one instance. The
    #: fields every received frame reads come first, so that they share a cache line or two
    #: (at 10,000 nodes a reception mostly finds its node's objects out of the caches)
    __slots__ = (
        "stats", "security", "device_type", "neighbors", "addressing", "nib", "ieee",
        "link_status", "address_map", "routing", "broadcaster", "_unicast_seen", "mac", "clock",
        "config",
        "_link_tails", "_mac_dispatch", "_next_handle", "_permit_timer", "_tx", "_unsecured",
        "_upper", "btt", "child", "discovery", "formation", "join", "join_parent", "leave", "mto",
        "pan_conflict", "parent", "parent_of", "rng", "route_records", "router_started", "routes",
        "scan_owner", "start_owner"
    )  # fmt: skip

    def __init__(
        self,
        mac: Mac,
        clock: Clock,
        rng: random.Random,
        *,
        config: NwkConfig | None = None,
    ) -> None:
        self.mac = mac
        self.clock = clock
        self.rng = rng
        self.config = cfg = config if config is not None else NwkConfig()
        self.ieee = int(mac.extended_address)
        self.stats = NwkStats()
        self.security: NwkSecurity | None = None
        self._upper: UpperCallback | None = None
        self.nib = self._default_nib()
        self.neighbors = NeighborTable(
            cfg.neighbor_table_size,
            router_age_limit=self.nib.nwk_router_age_limit,
            max_unrelated=cfg.max_unrelated_neighbors,
        )
        self.routes = RoutingTable(cfg.routing_table_size)
        self.discovery = RouteDiscoveryTable(cfg.route_discovery_table_size)
        self.btt = BroadcastTransactionTable(cfg.btt_size)
        self.address_map = AddressMap(cfg.address_map_size)
        self.route_records = RouteRecordTable(
            cfg.route_record_table_size, max_relays=self.nib.nwk_max_source_route
        )
        #: a concentrator's source of the parent of a device it holds no route record for
        #: (the trust center's device table, set by the node): the way to that parent and one
        #: hop on is a source route, not a network-wide route discovery (routing.resolve)
        self.parent_of: Callable[[int], int | None] | None = None
        #: None until the device formed or joined a network
        self.device_type: DeviceType | None = None
        #: the router is started (answers beacon requests, sends link status)
        self.router_started = False
        self._tx: dict[int, TxRecord] = {}
        #: the last direct unicast handed out per neighbour (frames to it leave in order)
        self._link_tails: dict[int, TxRecord] = {}
        #: (source << 8 | NWK sequence number) -> time of unicast data frames seen lately
        self._unicast_seen: dict[int, int] = {}
        #: sequence numbers of our frames that NLDE-DATA asked to send unsecured
        self._unsecured: dict[int, int] = {}
        self._next_handle = 0
        self._permit_timer: TimerHandle | None = None
        #: whom an MLME-SCAN.confirm / MLME-START.confirm belongs to
        self.scan_owner: Callable[[MlmeScanConfirm], None] | None = None
        self.start_owner: Callable[[MlmeStartConfirm], None] | None = None
        # procedures
        self.addressing = AddressManager(self)
        self.routing = Routing(self)
        self.broadcaster = Broadcaster(self)
        self.link_status = LinkStatusSender(self)
        self.mto = ManyToOne(self)
        self.formation = Formation(self)
        self.join = Join(self)
        self.join_parent = JoinParent(self)
        self.leave = LeaveProcedure(self)
        self.child = EndDeviceChild(self)
        self.parent = EndDeviceParent(self)
        self.pan_conflict = PanConflict(self)
        self._mac_dispatch: dict[type, Callable[[MacEvent], None]] = {}
        # (frames heard go straight to receive; a bound method: one object, a partial two)
        mac.set_upper(self._on_mac, data=(receive_data, self))

    def _default_nib(self) -> Nib:
        cfg = self.config
        return Nib(
            nwk_sequence_number=self.rng.getrandbits(8),
            nwk_max_children=cfg.max_children,
            nwk_max_routers=max(1, min(cfg.max_routers, 255)),
            nwk_ieee_address=self.ieee,
            nwk_is_concentrator=cfg.concentrator,
            nwk_concentrator_radius=cfg.concentrator_radius,
            nwk_concentrator_discovery_time=min(cfg.concentrator_discovery_time_s, 255),
            nwk_end_device_timeout_default=cfg.end_device_timeout_index,
            nwk_max_source_route=cfg.max_source_route,
        )

    # ==========================================================================================
    # upper-layer plumbing
    # ==========================================================================================

    def set_upper(self, upper: UpperCallback | None) -> None:
        """Register the one callback that receives every confirm and indication."""
        self._upper = upper

    def emit(self, ev: NwkEvent) -> None:
        upper = self._upper
        if upper is not None:
            upper(ev)

    def emit_soon(self, ev: NwkEvent) -> None:
        """Deliver an event from the clock, never from inside the request that caused it."""
        self.clock.call_later(0, self.emit, ev)

    # -- state -----------------------------------------------------------------------------

    @property
    def address(self) -> int:
        """nwkNetworkAddress (0xFFFF before joining)."""
        return self.nib.nwk_network_address

    @property
    def joined(self) -> bool:
        return self.device_type is not None and self.nib.nwk_network_address != UNASSIGNED_ADDRESS

    @property
    def is_router(self) -> bool:
        """Coordinator or router (relays, routes, sends link status)."""
        dt = self.device_type
        return dt is not None and dt != DeviceType.END_DEVICE

    @property
    def is_end_device(self) -> bool:
        return self.device_type == DeviceType.END_DEVICE

    @property
    def parent_address(self) -> int | None:
        p = self.neighbors.parent()
        return None if p is None else p.network_address

    @property
    def rx_on_when_idle(self) -> bool:
        return bool(self.mac.pib.mac_rx_on_when_idle)

    def next_seq(self) -> int:
        return self.nib.next_sequence_number()

    def max_nsdu_length(self, secured: bool | None = None) -> int:
        """Largest NSDU one NLDE-DATA.request may carry with a plain data header (8 bytes, no
        IEEE addresses, multicast control or source route): 127 - MAC overhead - header, less
        the NWK auxiliary header (14) and MIC (4) when secured (None: as this device sends
        now, i.e. secured once NWK security is active)."""
        if secured is None:
            sec = self.security
            secured = sec is not None and sec.active
        room = _MAX_NWK_FRAME - 8
        return room - NWK_SECURITY_OVERHEAD if secured else room

    def default_radius(self) -> int:
        return 2 * self.nib.nwk_max_depth if self.nib.nwk_max_depth else NWK_DEFAULT_RADIUS

    def link_cost(self, neighbor: int, lqi: int = -1) -> int:
        """Cost of the link to a neighbour (Zigbee spec 3.6.3.1): from the LQI of its frames,
        and with nwkSymLink the larger of that and the cost it reported in its link status.

        A sender outside the neighbour table has no averaged LQI: its link is priced from the
        ``lqi`` of the frame just heard from it (an ordinary route request or a route reply,
        3.6.3.5), or at the maximum cost 7 without one (a many-to-one request passes none)."""
        e = self.neighbors.get(neighbor)
        if e is None:
            if lqi < 0 or self.nib.nwk_report_constant_cost:
                return MAX_LINK_COST
            return LINK_COST_TABLE[lqi]
        if self.nib.nwk_report_constant_cost:
            return MAX_LINK_COST
        incoming = LINK_COST_TABLE[e.lqi]
        if self.nib.nwk_sym_link:
            return symmetric_link_cost(incoming, e.outgoing_cost)
        return incoming

    def update_beacon(self) -> None:
        """Refresh the MAC beacon payload and association permit (Zigbee spec 3.6.7)."""
        if not self.is_router:
            return
        pib = self.mac.pib
        pib.mac_association_permit = bool(self.nib.nwk_permit_joining)
        pib.mac_beacon_payload = ZigbeeBeaconPayload(
            router_capacity=self.join_parent.router_capacity(),
            device_depth=min(self.nib.nwk_depth, 15),
            end_device_capacity=self.join_parent.end_device_capacity(),
            nwk_extended_pan_id=self.nib.nwk_extended_pan_id,
            nwk_update_id=self.nib.nwk_update_id,
        ).encode()

    # ==========================================================================================
    # NLDE-DATA (3.2.1)
    # ==========================================================================================

    def nlde_data_request(
        self,
        dst_addr_mode: NwkAddrMode,
        dst_addr: int,
        nsdu: bytes,
        nsdu_handle: int = 0,
        *,
        radius: int = 0,
        non_member_radius: int = 0,
        discover_route: bool = True,
        security_enable: bool = True,
    ) -> None:
        """NLDE-DATA.request (Zigbee spec 3.2.1.1): send ``nsdu`` (an APS frame) to a network
        address (unicast or a broadcast address) or, with ``MULTICAST``, to a group (sent as
        a broadcast to 0xFFFD: nwkUseMulticast is FALSE in Zigbee PRO). ``radius`` 0 means
        2 x nwkMaxDepth. With NWK security active the frame is secured unless
        ``security_enable`` is False. The outcome comes as :class:`NldeDataConfirm` with
        ``nsdu_handle`` (MAX_FRM_COUNTER when the outgoing frame counter is spent).
        """
        if not isinstance(nsdu, bytes | bytearray):
            raise LocalProtocolError("nsdu must be bytes")
        if not 0 <= nsdu_handle <= 0xFF:
            raise LocalProtocolError(f"nsdu_handle {nsdu_handle} out of range 0-255")
        if not 0 <= radius <= 0xFF or not 0 <= non_member_radius <= 7:
            raise LocalProtocolError("radius 0-255, non_member_radius 0-7")
        if not 0 <= dst_addr <= 0xFFFF:
            raise LocalProtocolError(f"dst_addr {dst_addr:#x} out of range")
        mode = NwkAddrMode(dst_addr_mode)
        self.stats.data_requests += 1
        now = self.clock.now()
        if not self.joined:
            self._data_confirm_soon(nsdu_handle, NwkStatus.INVALID_REQUEST, dst_addr)
            return
        if mode == NwkAddrMode.NONE:
            self._data_confirm_soon(nsdu_handle, NwkStatus.INVALID_PARAMETER, dst_addr)
            return
        if mode == NwkAddrMode.MULTICAST:
            dst_addr = 0xFFFD
        me = self.nib.nwk_network_address
        frame = NwkFrame(
            _DATA,
            dst_addr,
            me,
            radius if radius else self.default_radius(),
            self.next_seq(),
            bytes(nsdu),
            DiscoverRoute.ENABLE if discover_route else DiscoverRoute.SUPPRESS,
            NWKC_PROTOCOL_VERSION,
            self.is_end_device,
            None,
            self.ieee if self.config.src_ieee_in_data else None,
        )
        sec = self.security
        secured = sec is not None and sec.active and security_enable
        overhead = NWK_SECURITY_OVERHEAD if secured else 0
        if len(nsdu) + frame.header_length + overhead > _MAX_NWK_FRAME:
            self._data_confirm_soon(nsdu_handle, NwkStatus.FRAME_TOO_LONG, dst_addr)
            return
        if secured and sec is not None and sec.exhausted:
            self.stats.tx_security_failures += 1
            self._data_confirm_soon(nsdu_handle, NwkStatus.MAX_FRM_COUNTER, dst_addr)
            return
        if not security_enable and sec is not None and sec.active:
            unsecured = self._unsecured
            for seq in [q for q, t in unsecured.items() if now - t > 10 * S]:
                del unsecured[seq]
            unsecured[frame.seq] = now
        if dst_addr == me:
            self.clock.call_later(0, self._loopback, frame, nsdu_handle, now)
            return
        if dst_addr >= _BROADCAST_MIN:
            self.broadcaster.originate(frame, nsdu_handle)
        else:
            self.routing.originate(frame, nsdu_handle)

    def _loopback(self, frame: NwkFrame, nsdu_handle: int, t: int) -> None:
        self.deliver(frame, 255, t, self.address, 1)
        self.data_confirm(nsdu_handle, NwkStatus.SUCCESS, frame.dst)

    def _data_confirm_soon(self, handle: int, status: NwkStatus, dst: int) -> None:
        self.clock.call_later(0, self.data_confirm, handle, status, dst)

    def data_confirm(self, handle: int, status: NwkStatus, dst: int, retries: int = 0) -> None:
        if status == NwkStatus.SUCCESS:
            self.stats.data_confirm_success += 1
        else:
            self.stats.data_confirm_failure += 1
        self.emit(NldeDataConfirm(handle, status, self.clock.now(), dst, retries))

    def deliver(self, frame: NwkFrame, lqi: int, rx_time: int, prev_hop: int, hops: int) -> None:
        """NLDE-DATA.indication of a data frame for this device."""
        self.stats.data_indications += 1
        dst = frame.dst
        self.emit(
            NldeDataIndication(
                NwkAddrMode.NWK,
                dst,
                frame.src,
                frame.payload,
                lqi,
                rx_time,
                frame.aux is not None,
                frame.radius,
                hops,
                frame.seq,
                prev_hop,
                frame.src_ieee,
            )
        )

    def hops_of(self, frame: NwkFrame) -> int:
        """Hops a received frame travelled (see :class:`NldeDataIndication`)."""
        sr = frame.source_route
        if sr is not None:
            return len(sr.relays) + 1
        d = self.default_radius() - frame.radius + 1
        return d if d >= 1 else 1

    # ==========================================================================================
    # NLME primitives (3.2.2) — thin entry points into the procedure modules
    # ==========================================================================================

    def nlme_network_discovery_request(
        self, scan_channels: int | list[int], scan_duration: int = 3
    ) -> None:
        """NLME-NETWORK-DISCOVERY.request (3.2.2.3): active scan; the neighbour table keeps the
        potential parents; :class:`NlmeNetworkDiscoveryConfirm` lists the networks."""
        self.join.discover(scan_channels, scan_duration)

    def nlme_network_formation_request(
        self,
        scan_channels: int | list[int],
        scan_duration: int = 3,
        *,
        pan_id: int | None = None,
        extended_pan_id: int | None = None,
        beacon_order: int = 15,
        superframe_order: int = 15,
    ) -> None:
        """NLME-NETWORK-FORMATION.request (3.2.2.5): ED scan, active scan, then start a PAN on
        the quietest channel with a PAN ID no neighbour network uses."""
        self.formation.start(
            scan_channels,
            scan_duration,
            pan_id=pan_id,
            extended_pan_id=extended_pan_id,
            beacon_order=beacon_order,
            superframe_order=superframe_order,
        )

    def nlme_permit_joining_request(self, permit_duration: int) -> None:
        """NLME-PERMIT-JOINING.request (3.2.2.7): 0x00 off, 0xff on until told otherwise,
        else on for ``permit_duration`` seconds."""
        if not 0 <= permit_duration <= 0xFF:
            raise LocalProtocolError(f"permit_duration {permit_duration} out of range 0-255")
        if not self.is_router:
            self.emit_soon(NlmePermitJoiningConfirm(NwkStatus.INVALID_REQUEST))
            return
        if self._permit_timer is not None:
            self._permit_timer.cancel()
            self._permit_timer = None
        self.nib.nwk_permit_joining = permit_duration != 0
        if 0 < permit_duration < 0xFF:
            self._permit_timer = self.clock.call_later(permit_duration * S, self._permit_off)
        self.update_beacon()
        self.emit_soon(NlmePermitJoiningConfirm(NwkStatus.SUCCESS))

    def _permit_off(self) -> None:
        self._permit_timer = None
        self.nib.nwk_permit_joining = False
        self.update_beacon()

    def nlme_start_router_request(
        self,
        beacon_order: int = 15,
        superframe_order: int = 15,
        battery_life_extension: bool = False,
    ) -> None:
        """NLME-START-ROUTER.request (3.2.2.9): a joined router starts answering beacon
        requests, relaying and sending link status."""
        self.formation.start_router(beacon_order, superframe_order)

    def nlme_ed_scan_request(self, scan_channels: int | list[int], scan_duration: int = 3) -> None:
        """NLME-ED-SCAN.request (3.2.2.11): energy on each channel."""
        if self.scan_owner is not None:
            self.emit_soon(NlmeEdScanConfirm(NwkStatus.INVALID_REQUEST))
            return
        self.scan_owner = self._ed_scan_done
        self.mac.mlme_scan_request(ScanType.ED, scan_channels, scan_duration)

    def _ed_scan_done(self, c: MlmeScanConfirm) -> None:
        self.emit(
            NlmeEdScanConfirm(mac_to_nwk_status(c.status), c.energy_detect_list, c.scanned_channels)
        )

    def nlme_join_request(
        self,
        extended_pan_id: int,
        rejoin_network: JoinMethod = JoinMethod.ASSOCIATION,
        scan_channels: int | list[int] | None = None,
        scan_duration: int = 3,
        capability_information: int = 0,
        security_enable: bool = False,
    ) -> None:
        """NLME-JOIN.request (3.2.2.13): by association (a network discovery must have filled
        the neighbour table) or as a rejoin (NWK rejoin request / response; scans
        ``scan_channels``, default the current channel). ``capability_information`` uses the
        bits of :class:`zigmesh.nwk.commands.CapabilityInformation` (router-capable: 0x02,
        rx on when idle: 0x08)."""
        self.join.request(
            extended_pan_id,
            JoinMethod(rejoin_network),
            scan_channels,
            scan_duration,
            capability_information,
        )

    def nlme_leave_request(
        self, device_address: int | None = None, remove_children: bool = False, rejoin: bool = False
    ) -> None:
        """NLME-LEAVE.request (3.2.2.17): ``device_address`` None: this device leaves;
        otherwise the IEEE address of a child to remove."""
        self.leave.request(device_address, remove_children, rejoin)

    def nlme_reset_request(self, warm_start: bool = False) -> None:
        """NLME-RESET.request (3.2.2.20): cold start clears the NIB, every table and the MAC;
        warm start keeps the NIB and tables but stops every procedure."""
        self.reset(warm_start)
        self.emit_soon(NlmeResetConfirm(NwkStatus.SUCCESS))

    def nlme_route_discovery_request(
        self,
        dst_addr_mode: NwkAddrMode,
        dst_addr: int = 0xFFFF,
        radius: int = 0,
        no_route_cache: bool = False,
    ) -> None:
        """NLME-ROUTE-DISCOVERY.request (3.2.2.33): ``NONE`` = many-to-one route request from
        this concentrator; ``NWK`` = discover a route to ``dst_addr``."""
        self.routing.discovery_request(NwkAddrMode(dst_addr_mode), dst_addr, radius, no_route_cache)

    def refresh_many_to_one(self) -> None:
        """A concentrator refreshes its many-to-one routes soon (rate-limited,
        :meth:`ManyToOne.after_join`): new devices joined and go up their join trees."""
        self.mto.after_join()

    def nlme_sync_request(self, track: bool = False) -> None:
        """NLME-SYNC.request (3.2.2.22): an end device polls its parent now."""
        self.child.sync()

    def nlme_get(self, attribute: str | int) -> int | bool:
        """NLME-GET (3.2.2.26)."""
        return self.nib.get(attribute)

    def nlme_set(self, attribute: str | int, value: int | bool) -> None:
        """NLME-SET (3.2.2.28)."""
        self.nib.set(attribute, value)
        self.neighbors.router_age_limit = self.nib.nwk_router_age_limit
        self.route_records.max_relays = self.nib.nwk_max_source_route
        self.btt.delivery_time_us = self.nib.nwk_network_broadcast_delivery_time_us

    # -- reset / membership changes ----------------------------------------------------------

    def reset(self, warm_start: bool = False) -> None:
        """Stop every procedure and timer; cold start also clears the NIB, tables and MAC."""
        for proc in (
            self.formation,
            self.join,
            self.join_parent,
            self.routing,
            self.broadcaster,
            self.link_status,
            self.mto,
            self.leave,
            self.child,
            self.parent,
            self.pan_conflict,
        ):
            proc.stop()
        if self._permit_timer is not None:
            self._permit_timer.cancel()
            self._permit_timer = None
        self.scan_owner = None
        self.start_owner = None
        self._tx.clear()
        self._link_tails.clear()
        self._unicast_seen.clear()
        self.router_started = False
        if warm_start:
            return
        self.mac.mlme_reset(True)
        self.device_type = None
        self.nib = self._default_nib()
        for table in (
            self.neighbors,
            self.routes,
            self.discovery,
            self.btt,
            self.address_map,
            self.route_records,
        ):
            table.clear()

    def has_audience(self) -> bool:
        """Some neighbour can read our frames: one that is not a child still waiting for its
        network key (a lone coordinator's link status or route request helps nobody)."""
        return any(e.relationship != _UNAUTH_CHILD for e in self.neighbors)

    def child_joined(self, address: int, ieee: int) -> None:
        """A child joined by association (join procedure): with NWK security active it is an
        unauthenticated child until its first NWK-secured frame, and is removed if that does
        not come within ``unauthenticated_child_timeout_us`` (it never got the network key)."""
        sec = self.security
        e = self.neighbors.get(address)
        if sec is None or not sec.active or e is None or e.extended_address != ieee:
            return
        self.neighbors.set_relationship(e, _UNAUTH_CHILD)
        self.clock.call_later(
            self.config.unauthenticated_child_timeout_us, self._check_authenticated, address, ieee
        )

    def _check_authenticated(self, address: int, ieee: int) -> None:
        e = self.neighbors.get(address)
        if e is None or e.extended_address != ieee or e.relationship != _UNAUTH_CHILD:
            return
        self.stats.unauthenticated_children_removed += 1
        self.drop_joined_child(address, ieee)

    def neighbour_left(self, address: int, ieee: int | None, rejoin: bool) -> None:
        """A neighbour left (its Leave, Leave.on_leave) or, a router child, aged out
        (link_status): its routes, route records and address map entry go, the beacon is
        updated and NLME-LEAVE.indication raised. Its neighbour entry and the routes through
        it (Routing.neighbor_gone) are the caller's."""
        self.routes.remove(address)
        self.route_records.remove(address)
        self.address_map.remove_short(address)
        self.update_beacon()
        self.emit(NlmeLeaveIndication(ieee if ieee is not None else 0, rejoin, address))

    def drop_joined_child(self, address: int, ieee: int) -> None:
        """Forget a child that joined by association but never showed up as one."""
        self.purge_indirect(address)
        self.neighbors.remove(address)
        if self.address_map.ieee_of(address) == ieee:
            self.address_map.remove_short(address)
        self.update_beacon()
        self.emit(NlmeLeaveIndication(ieee, False, address))

    def set_network_address(self, address: int) -> None:
        """This device's network address (NIB and MAC)."""
        self.nib.nwk_network_address = address
        self.mac.pib.mac_short_address = address

    def send_command(
        self,
        command: NwkCommand,
        dst: int,
        next_hop: int | None = None,
        *,
        radius: int | None = None,
        src: int | None = None,
        src_ieee: int | None | bool = True,
        dst_ieee: int | None = None,
        on_done: TxDone | None = None,
        indirect: bool = False,
        ext_dst: bool = False,
    ) -> NwkFrame:
        """Build and send a NWK command frame. ``next_hop`` None: routed like a data frame
        (unicast) or broadcast (``dst`` >= 0xFFF8, one hop unless ``radius`` says more)."""
        me = self.nib.nwk_network_address
        frame = NwkFrame(
            _COMMAND,
            dst,
            me if src is None else src,
            (self.default_radius() if radius is None else radius),
            self.next_seq(),
            command.encode(),
            DiscoverRoute.SUPPRESS,
            NWKC_PROTOCOL_VERSION,
            False,
            dst_ieee,
            self.ieee if src_ieee is True else (src_ieee if src_ieee is not False else None),
        )
        if next_hop is not None:
            self.transmit(frame, next_hop, on_done=on_done, indirect=indirect, ext_dst=ext_dst)
        elif dst >= _BROADCAST_MIN:
            self.broadcaster.originate_command(frame)
        else:
            self.routing.send_unicast(frame, on_done=on_done, originated=True)
        return frame

    # ==========================================================================================
    # MAC events
    # ==========================================================================================

    def _on_mac(self, ev: MacEvent) -> None:
        t = type(ev)
        if t is McpsDataIndication:
            assert isinstance(ev, McpsDataIndication)
            receive(self, ev)  # (not through _rx: one call less per frame heard)
        elif t is McpsDataConfirm:
            assert isinstance(ev, McpsDataConfirm)
            self._on_data_confirm(ev)
        elif t is MlmePollConfirm:
            assert isinstance(ev, MlmePollConfirm)
            self.child.on_poll_confirm(ev)
        elif t is MlmePollIndication:
            assert isinstance(ev, MlmePollIndication)
            self.parent.on_poll_indication(ev)
        elif t is MlmeScanConfirm:
            assert isinstance(ev, MlmeScanConfirm)
            owner = self.scan_owner
            self.scan_owner = None
            if owner is not None:
                owner(ev)
        elif t is MlmeStartConfirm:
            assert isinstance(ev, MlmeStartConfirm)
            sowner = self.start_owner
            self.start_owner = None
            if sowner is not None:
                sowner(ev)
        elif t is MlmeAssociateIndication:
            assert isinstance(ev, MlmeAssociateIndication)
            self.join_parent.on_associate_indication(ev)
        elif t is MlmeAssociateConfirm:
            assert isinstance(ev, MlmeAssociateConfirm)
            self.join.on_associate_confirm(ev)
        elif t is MlmeCommStatusIndication:
            assert isinstance(ev, MlmeCommStatusIndication)
            self.join_parent.on_comm_status(ev)
        elif t is MlmeDisassociateIndication:
            assert isinstance(ev, MlmeDisassociateIndication)
            self._on_disassociate(ev)
        elif t is MlmeBeaconNotifyIndication:
            assert isinstance(ev, MlmeBeaconNotifyIndication)
            self.pan_conflict.on_beacon(ev)  # 3.6.1.13.1
        # orphan events are not used by Zigbee PRO's NWK

    def _on_disassociate(self, ind: MlmeDisassociateIndication) -> None:
        """MLME-DISASSOCIATE.indication. The MAC reports one from its coordinator (our
        parent) only, having forgotten the PAN: Zigbee devices leave with the NWK Leave
        command, so to keep the NWK and MAC views consistent it is a parent loss, and the
        device rejoins (3.6.1.4.2). One from a child changes nothing here (children leave by
        NWK Leave; the parent ages out a silent end device)."""
        parent = self.neighbors.parent()
        if not self.joined or parent is None or self.device_type == DeviceType.COORDINATOR:
            return
        ieee = parent.extended_address
        if ieee is not None and int(ieee) != int(ind.device_address):
            return
        if self.mac.pib.mac_pan_id != 0xFFFF:
            return  # the MAC kept its PAN: a child's notification to us, a router
        if self.is_end_device:
            self.child.disassociated()
        elif not self.join.in_rejoin:
            self.stats.parent_losses += 1
            self.join.rejoin()

    # ==========================================================================================
    # receive path (nwk/receive.py)
    # ==========================================================================================

    def _rx(self, ind: McpsDataIndication) -> None:
        receive(self, ind)
