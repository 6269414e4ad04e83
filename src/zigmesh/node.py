"""A Zigbee node: the layers of one device composed for a role (DESIGN.md 1).

:class:`Node` builds, on a PHY (a simulated :class:`~zigmesh.sim.medium.Radio` or a real radio
driver), the 802.15.4 MAC, the NWK layer, the APS layer (:class:`~zigmesh.aps.aps.Aps`) and the
ZDO on endpoint 0 (:class:`~zigmesh.zdo.zdo.Zdo`), with centralized security: the coordinator
runs the :class:`~zigmesh.zdo.trust_center.TrustCenter`, every other node a
:class:`~zigmesh.zdo.security_manager.SecurityManager`, over one
:class:`~zigmesh.security.keys.KeyStore` and the NWK's
:class:`~zigmesh.nwk.security.NwkSecurityContext`. It runs the start-up the ZDO runs:

* coordinator: NLME-NETWORK-FORMATION (the trust center draws the network key), then
  NLME-PERMIT-JOINING;
* router: NLME-NETWORK-DISCOVERY, NLME-JOIN (association), wait for the network key
  (AUTHENTICATING), NLME-START-ROUTER, NLME-PERMIT-JOINING, Device_annce, unique TC link key;
* end device: the same without starting a router; the NWK layer polls its parent.

A failed step is retried after ``join_retry_us`` (with jitter); a device that gets no network
key leaves that parent silently and joins again later, waiting twice as long after each such
failure in a row (up to ``join_backoff_max_us``): a congested mesh is not flooded again by the
very joins it could not serve. A leave asked by another device with the
rejoin flag joins again. Application endpoints (1-240) register with ``node.aps``
(APSDE only); ``set_upper`` lets an observer see every NWK event.

Persistence (DESIGN.md 6): with a :class:`~zigmesh.persist.store.StateStore` the node saves its
keys, frame counters, network parameters, bindings and groups after joining, after key changes
and every ``counter_persist_interval`` outgoing frames; :meth:`start` and :meth:`restart` with
a saved state reload it (outgoing counters jumped forward by that interval): the coordinator and
routers resume their network with its children (:mod:`zigmesh.nwk.resume`), end devices rejoin
with a secured NWK rejoin instead of a fresh association.

Sans-IO: the node takes a clock and a ``random.Random`` and never reads the time itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import replace

from zigmesh.aps.aps import Aps
from zigmesh.aps.primitives import ApsmeCommandIndication
from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.mac import Mac
from zigmesh.network_watch import NetworkWatch
from zigmesh.node_config import (
    COORDINATOR_MAX_SOURCE_ROUTE,
    COORDINATOR_TABLE_SIZE,
    NodeConfig,
    NodeState,
    NodeStats,
    Role,
    _nwk_config,
    _zdo_config,
)
from zigmesh.nwk.commands import CapabilityInformation, NwkStatusCode
from zigmesh.nwk.constants import MS
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.primitives import (
    JoinMethod,
    NldeDataIndication,
    NlmeJoinConfirm,
    NlmeJoinIndication,
    NlmeLeaveConfirm,
    NlmeLeaveIndication,
    NlmeNetworkDiscoveryConfirm,
    NlmeNetworkFormationConfirm,
    NlmeNwkStatusIndication,
    NlmeStartRouterConfirm,
    NwkEvent,
    NwkStatus,
)
from zigmesh.nwk.resume import ResumeState, resume_network, saved_children
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.persist.counters import CounterPersistence
from zigmesh.persist.snapshot import NodeSnapshot
from zigmesh.persist.store import StateStore
from zigmesh.phy import Phy
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY, install_code_to_link_key
from zigmesh.security.keys import KeyStore
from zigmesh.zdo.descriptors import SimpleDescriptor
from zigmesh.zdo.security_manager import SecurityManager
from zigmesh.zdo.trust_center import TrustCenter
from zigmesh.zdo.zdo import Zdo

__all__ = [
    "COORDINATOR_MAX_SOURCE_ROUTE",
    "COORDINATOR_TABLE_SIZE",
    "Node",
    "NodeConfig",
    "NodeState",
    "NodeStats",
    "Role",
    "UpperCallback",
]

UpperCallback = Callable[[NwkEvent], None]

#: an end device reloaded from the store tries its saved network this many more times
#: (``join_retry_us`` apart) before it joins from scratch
RESTORE_REJOINS = 3

class Node:
    """One device: MAC, NWK, APS and ZDO on a PHY, secured, started for its role.

    ``Node(phy, clock, rng, config, store=None)``. ``mac``, ``nwk``, ``aps``, ``zdo``,
    ``keys`` and ``stats`` are public; ``trust_center`` (coordinator) or ``security_manager``
    (others) when security is on. ``start()`` runs the role's start-up; endpoints register
    with :meth:`add_endpoint`.
    """

    def __init__(
        self,
        phy: Phy,
        clock: Clock,
        rng: random.Random,
        config: NodeConfig,
        store: StateStore | None = None,
    ) -> None:
        self.phy = phy
        self.clock = clock
        self.rng = rng
        self.config = config
        self.store = store
        self.name = config.name or f"{config.eui64:016x}"
        self.role = config.role
        self.state = NodeState.OFF
        self._upper: UpperCallback | None = None
        self._timer: TimerHandle | None = None
        #: authentication failures since the last success (join back-off exponent)
        self._auth_failures = 0
        #: NWK rejoins of the saved network that failed since the last reload
        self._restore_rejoins = 0
        self._save_timer: TimerHandle | None = None
        #: simple descriptors of the application endpoints (1-240)
        self.endpoints: dict[int, SimpleDescriptor] = {}
        self.mac: Mac
        self.nwk: Nwk
        self.aps: Aps
        self.zdo: Zdo
        self.watch: NetworkWatch | None
        self.keys: KeyStore
        self.nwk_security: NwkSecurityContext | None
        self.trust_center: TrustCenter | None
        self.security_manager: SecurityManager | None
        self.stats: NodeStats
        self._counters = CounterPersistence(config.counter_persist_interval)
        self._build()

    def _build(self) -> None:
        cfg = self.config
        self.mac = Mac(self.phy, self.clock, self.rng, cfg.eui64, config=cfg.mac)
        self.nwk = Nwk(self.mac, self.clock, self.rng, config=_nwk_config(cfg))
        self.nwk.set_upper(self._on_event)
        tclk = (
            install_code_to_link_key(cfg.install_code)
            if cfg.install_code is not None
            else DEFAULT_TC_LINK_KEY
        )
        self.keys = KeyStore(tc_link_key=tclk)
        self.aps = Aps(self.nwk, self.clock, self.rng, self.keys, config=cfg.aps)
        self._wire_security()
        self.zdo = Zdo(
            self.aps, self.nwk, self.clock, self.rng, _zdo_config(cfg), self._endpoint_map
        )
        self.zdo.add_channel_listener(lambda _channel: self._save_soon())  # saved on a move
        #: routers and the coordinator find their network again after a missed PAN ID or
        #: channel change, and bring back the parts that missed one of theirs
        self.watch = (
            NetworkWatch(self.nwk, self.zdo, self.clock, self.rng)
            if cfg.role != Role.END_DEVICE
            else None
        )
        old = getattr(self, "stats", None)
        self.stats = NodeStats(self.mac.stats, self.nwk.stats, self.aps.stats)
        if old is not None:
            self.stats.joined_at_us = old.joined_at_us
            self.stats.join_times_us = old.join_times_us
            self.stats.join_attempts = old.join_attempts
            self.stats.data_indications = old.data_indications
            self.stats.authentication_failures = old.authentication_failures
            self.stats.saves = old.saves
            self.stats.restores = old.restores

    def _wire_security(self) -> None:
        cfg = self.config
        self.trust_center = None
        self.security_manager = None
        self.nwk_security = None
        if not cfg.security:
            return
        sec = NwkSecurityContext(self.keys, cfg.eui64, self.clock)
        self.nwk_security = sec
        self.nwk.security = sec
        self.keys.on_counter = self._counter_used
        nwk = self.nwk
        if cfg.role == Role.COORDINATOR:
            tc = TrustCenter(
                self.aps,
                self.keys,
                sec,
                self.clock,
                self.rng,
                cfg.eui64,
                cfg.trust_center,
                leave_child=self._leave_child,
                is_own_child=self._is_own_child,
            )
            for ieee, code in cfg.install_codes:
                tc.add_install_code(ieee, code)
            tc.on_device_joined = nwk.refresh_many_to_one
            nwk.parent_of = lambda short: tc.parent_of(nwk.address_map.ieee_of(short), short)
            self.trust_center = tc
            self.aps.set_apsme_user(self._apsme(tc.on_command))
        else:
            sm = SecurityManager(
                self.aps,
                self.keys,
                sec,
                self.clock,
                self.rng,
                cfg.eui64,
                cfg.security_manager,
                is_router=lambda: nwk.is_router,
                leave_child=self._leave_child,
            )
            sm.on_authenticated = self._authenticated
            sm.on_failed = self._authentication_failed
            self.aps.on_tunnel_forwarded = sm.tunnel_forwarded
            self.security_manager = sm
            self.aps.set_apsme_user(self._apsme(sm.on_command))

    def _apsme(
        self, user: Callable[[ApsmeCommandIndication], None]
    ) -> Callable[[ApsmeCommandIndication], None]:
        def handle(ind: ApsmeCommandIndication) -> None:
            user(ind)
            self._save_soon()

        return handle

    def _leave_child(self, ieee: int) -> None:
        e = self.nwk.neighbors.get_by_ieee(ieee)
        if e is not None and e.is_child:
            self.nwk.nlme_leave_request(ieee)

    def _is_own_child(self, ieee: int) -> bool:
        e = self.nwk.neighbors.get_by_ieee(ieee)
        return e is not None and e.is_child

    def _endpoint_map(self) -> Mapping[int, SimpleDescriptor]:
        return self.endpoints

    def __repr__(self) -> str:
        return f"Node({self.name!r}, {self.role.value}, {self.state.name})"

    # -- application ---------------------------------------------------------------------------

    def set_upper(self, upper: UpperCallback | None) -> None:
        """Register an observer of every NWK event (after the node, APS and ZDO saw it)."""
        self._upper = upper

    def add_endpoint(self, descriptor: SimpleDescriptor, handler: Callable[..., None]) -> None:
        """Declare an application endpoint (1-240): its simple descriptor answers ZDO's
        Simple_Desc / Active_EP / Match_Desc; ``handler`` receives its APSDE confirms and
        indications (the application object sees only APSDE)."""
        ep = descriptor.endpoint
        if not 1 <= ep <= 240:
            raise LocalProtocolError(f"application endpoint {ep} not in 1-240")
        if ep in self.endpoints:
            raise LocalProtocolError(f"endpoint {ep} already declared")
        self.endpoints[ep] = descriptor
        self.aps.register_endpoint(ep, handler)

    # -- state -----------------------------------------------------------------------------

    @property
    def joined(self) -> bool:
        return self.state == NodeState.JOINED and self.nwk.joined

    @property
    def eui64(self) -> int:
        return self.config.eui64

    @property
    def network_address(self) -> int:
        return self.nwk.address

    @property
    def authenticated(self) -> bool:
        """Holds the network key (always True on an unsecured network once joined)."""
        if not self.config.security:
            return self.joined
        return self.keys.active_network_key is not None

    @property
    def has_unique_link_key(self) -> bool:
        sm = self.security_manager
        return sm is not None and sm.has_unique_link_key

    @property
    def capability(self) -> int:
        """Capability information this node joins with (Zigbee spec Table 3-62)."""
        if self.role == Role.END_DEVICE:
            cap = CapabilityInformation.ALLOCATE_ADDRESS
            if self.config.rx_on_when_idle:
                cap |= CapabilityInformation.RX_ON_WHEN_IDLE
            return int(cap)
        return int(
            CapabilityInformation.DEVICE_TYPE_FFD
            | CapabilityInformation.POWER_SOURCE_MAINS
            | CapabilityInformation.RX_ON_WHEN_IDLE
            | CapabilityInformation.ALLOCATE_ADDRESS
        )

    # -- start-up --------------------------------------------------------------------------

    def start(self) -> None:
        """Run the role's start-up: from the store's saved state if there is one (rejoin),
        else formation, or discovery + join."""
        if self.state not in (NodeState.OFF, NodeState.LEFT):
            raise LocalProtocolError(f"{self.name} is already started ({self.state.name})")
        if self.stats.started_at_us is None:
            self.stats.started_at_us = self.clock.now()
        snap = self.store.load(self.name) if self.store is not None else None
        if snap is not None and snap.eui64 == self.eui64:
            self._restore(snap)
            return
        self._begin()

    def restart(self) -> None:
        """Power cycle: fresh MAC, NWK, APS and ZDO on the same PHY, then :meth:`start` (from
        the store's saved state when there is one, else without memory)."""
        for t in (self._timer, self._save_timer):
            if t is not None:
                t.cancel()
        self._timer = self._save_timer = None
        if self.security_manager is not None:
            self.security_manager.stop()
        self.state = NodeState.OFF
        self._counters = CounterPersistence(self.config.counter_persist_interval)
        if self.watch is not None:
            self.watch.stop()
        handlers = dict(self.aps.handlers)
        self._build()
        for ep, handler in handlers.items():
            if ep in self.endpoints:
                self.aps.register_endpoint(ep, handler)  # the application survives the reboot
        self.start()

    def _begin(self) -> None:
        cfg = self.config
        self.stats.join_attempts += 1
        if self.role == Role.COORDINATOR:
            self.state = NodeState.FORMING
            self.nwk.nlme_network_formation_request(
                list(cfg.channels),
                cfg.scan_duration,
                pan_id=cfg.pan_id,
                extended_pan_id=cfg.extended_pan_id,
            )
        else:
            self.state = NodeState.DISCOVERING
            self.nwk.nlme_network_discovery_request(list(cfg.channels), cfg.scan_duration)

    def _retry(self) -> None:
        cfg = self.config
        delay = cfg.join_retry_us
        if self._auth_failures:
            delay = min(delay << self._auth_failures, max(cfg.join_backoff_max_us, delay))
        delay += self.rng.randrange(delay // 2 + 1) if delay > 1 else 0
        self.state = NodeState.OFF
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.clock.call_later(delay, self._retry_now)

    def _retry_now(self) -> None:
        self._timer = None
        if self.state == NodeState.OFF:
            self._begin()

    def _in_network(self) -> None:
        now = self.clock.now()
        self.state = NodeState.JOINED
        if self.stats.joined_at_us is None:
            self.stats.joined_at_us = now
        self.stats.join_times_us.append(now)
        if self.role != Role.COORDINATOR:
            self.zdo.device_annce()
            if self.security_manager is not None:
                self.security_manager.request_link_key()
        self.save()

    def _started(self, status: NwkStatus) -> None:
        """Formation (coordinator) or NLME-START-ROUTER (router) confirmed with ``status``."""
        if status == NwkStatus.SUCCESS:
            if self.trust_center is not None and self.state == NodeState.FORMING:
                self.trust_center.form()
            if self.config.permit_joining:
                self.nwk.nlme_permit_joining_request(0xFF)
            self._in_network()
        else:
            self._retry()

    # -- security --------------------------------------------------------------------------

    def _authenticated(self) -> None:
        """The network key arrived: finish joining."""
        if self.state != NodeState.AUTHENTICATING:
            return
        self._auth_failures = 0
        self._after_key()

    def _after_key(self) -> None:
        if self.role == Role.ROUTER:
            self.state = NodeState.STARTING_ROUTER
            self.nwk.nlme_start_router_request()
        else:
            if self.security_manager is not None:
                # held back until the key came (the NWK's end device start sends it unsecured)
                self.nwk.child.send_timeout_request()
            self._in_network()

    def _authentication_failed(self) -> None:
        """No network key in time: leave this parent silently and join again later."""
        if self.state != NodeState.AUTHENTICATING:
            return
        self.stats.authentication_failures += 1
        self._auth_failures = min(self._auth_failures + 1, 8)
        self.nwk.nlme_reset_request(False)
        if self.security_manager is not None:
            self.security_manager.reset()
        self._retry()

    # -- persistence -----------------------------------------------------------------------

    def _counter_used(self, key: bytes, counter: int) -> None:
        if self.store is not None and self._counters.due(counter, key):
            # mark first: the save below persists this very counter
            self.save()

    def _save_soon(self) -> None:
        if self.store is None or self._save_timer is not None:
            return
        self._save_timer = self.clock.call_later(0, self._save_now)

    def _save_now(self) -> None:
        self._save_timer = None
        self.save()

    def snapshot(self) -> NodeSnapshot | None:
        """The node's non-volatile state now (None before it is in a network)."""
        nwk = self.nwk
        nib = nwk.nib
        if nwk.device_type is None:
            return None
        bindings = tuple(
            (b.src_addr, b.src_endpoint, b.cluster_id, int(b.dst_addr_mode), b.dst_addr,
             b.dst_endpoint)
            for b in self.aps.binding_table
        )
        groups = tuple(sorted(self.aps.group_table.memberships()))
        return NodeSnapshot(
            eui64=self.eui64,
            role=self.role.value,
            channel=nib.nwk_logical_channel,
            pan_id=nib.nwk_pan_id,
            extended_pan_id=nib.nwk_extended_pan_id,
            network_address=nib.nwk_network_address,
            parent_address=nwk.parent_address,
            depth=nib.nwk_depth,
            device_type=int(nwk.device_type),
            nwk_update_id=nib.nwk_update_id,
            keys=self.keys.persist(),
            bindings=bindings,
            groups=groups,
            aps_counter=self.aps.counter,
            nwk_sequence_number=nib.nwk_sequence_number,
            saved_at_us=self.clock.now(),
            children=saved_children(nwk) if nwk.is_router else (),
        )

    def save(self) -> bool:
        """Write the node's state to its store now; False without a store or a network."""
        store = self.store
        if store is None:
            return False
        snap = self.snapshot()
        if snap is None:
            return False
        store.save(self.name, snap)
        self._counters.mark_snapshot(snap.keys)
        self.stats.saves += 1
        return True

    def _restore(self, snap: NodeSnapshot) -> None:
        """Reload keys (counters jumped), network parameters, bindings and groups, then the
        coordinator and routers resume the saved network with their children
        (:func:`~zigmesh.nwk.resume.resume_network`), end devices NWK-rejoin."""
        cfg = self.config
        self.stats.restores += 1
        self.stats.join_attempts += 1
        keys = KeyStore.restore(snap.keys, jump=cfg.counter_persist_interval)
        keys.on_counter = self.keys.on_counter
        # the new key store replaces the one every layer holds
        self.keys = keys
        self.aps.keys = keys
        if self.nwk_security is not None:
            self.nwk_security.keys = keys
        if self.trust_center is not None:
            self.trust_center.keys = keys
        if self.security_manager is not None:
            self.security_manager.keys = keys
        # the jumped counters are saved before the first frame goes out, so a second power
        # loss before the next save cannot make the node reuse them
        ks = keys.persist()
        if self.store is not None:
            self.store.save(self.name, replace(snap, keys=ks, saved_at_us=self.clock.now()))
        self._counters.mark_snapshot(ks)
        for src, sep, cluster, mode, dst, dep in snap.bindings:
            self.aps.apsme_bind_request(src, sep, cluster, mode, dst, dep)  # type: ignore[arg-type]
        for group, ep in snap.groups:
            self.aps.apsme_add_group_request(group, ep)
        self.aps.counter = snap.aps_counter
        nwk = self.nwk
        nib = nwk.nib
        nib.nwk_sequence_number = snap.nwk_sequence_number
        if self.security_manager is not None:
            tc = self.keys.link_key_partners()
            self.security_manager.restored(tc[0] if tc else None)
        if self.role != Role.END_DEVICE:
            coordinator = self.role == Role.COORDINATOR
            self.state = NodeState.FORMING if coordinator else NodeState.STARTING_ROUTER
            resume_network(
                nwk,
                ResumeState(
                    coordinator=coordinator,
                    pan_id=snap.pan_id,
                    extended_pan_id=snap.extended_pan_id,
                    channel=snap.channel,
                    network_address=snap.network_address,
                    depth=snap.depth,
                    update_id=snap.nwk_update_id,
                    capability=self.capability,
                    parent_address=snap.parent_address,
                    children=snap.children,
                ),
            )
            return
        nib.nwk_extended_pan_id = snap.extended_pan_id
        nib.nwk_pan_id = snap.pan_id
        nib.nwk_logical_channel = snap.channel
        nib.nwk_update_id = snap.nwk_update_id
        nib.nwk_capability_information = self.capability
        nwk.set_network_address(snap.network_address)
        self.mac.pib.mac_pan_id = snap.pan_id
        self.mac.mlme_set("phy_current_channel", snap.channel)
        if self.config.rx_on_when_idle:
            # the Rejoin Response comes unsolicited-fast: listen for it
            self.mac.mlme_set("mac_rx_on_when_idle", True)
        self.state = NodeState.REJOINING
        self._restore_rejoins = 0
        nwk.nlme_join_request(
            snap.extended_pan_id,
            JoinMethod.REJOIN,
            scan_channels=[snap.channel],
            capability_information=self.capability,
        )

    # -- NWK events --------------------------------------------------------------------------

    def _on_event(self, ev: NwkEvent) -> None:
        t = type(ev)
        if t is NldeDataIndication:
            self.stats.data_indications += 1
        elif t is NlmeNetworkFormationConfirm:
            assert isinstance(ev, NlmeNetworkFormationConfirm)
            if self.state == NodeState.FORMING:
                self._started(ev.status)
        elif t is NlmeNetworkDiscoveryConfirm:
            assert isinstance(ev, NlmeNetworkDiscoveryConfirm)
            if self.state == NodeState.DISCOVERING:
                self._discovered(ev)
        elif t is NlmeJoinConfirm:
            assert isinstance(ev, NlmeJoinConfirm)
            self._join_confirmed(ev)
        elif t is NlmeStartRouterConfirm:
            assert isinstance(ev, NlmeStartRouterConfirm)
            if self.state == NodeState.STARTING_ROUTER:
                self._started(ev.status)
        elif t is NlmeLeaveIndication:
            assert isinstance(ev, NlmeLeaveIndication)
            if ev.device_address is None:
                self._left()
                if ev.rejoin:
                    self._timer = self.clock.call_later(100 * MS, self._rejoin_after_leave)
            else:
                self._save_soon()
        elif t is NlmeLeaveConfirm:
            assert isinstance(ev, NlmeLeaveConfirm)
            if ev.device_address is None:
                self._left()
            else:
                self._save_soon()  # a child left: the saved child table follows
        elif t is NlmeJoinIndication or (
            t is NlmeNwkStatusIndication
            and ev.status == NwkStatusCode.PAN_IDENTIFIER_UPDATE  # type: ignore[union-attr]
        ):
            self._save_soon()  # a new child, a new PAN ID (3.6.1.13)
        self.aps.on_nwk_event(ev)
        if self.trust_center is not None:
            self.trust_center.on_nwk_event(ev)
        elif self.security_manager is not None:
            self.security_manager.on_nwk_event(ev)
        self.zdo.on_nwk_event(ev)
        upper = self._upper
        if upper is not None:
            upper(ev)

    def _left(self) -> None:
        self.state = NodeState.LEFT
        if self.security_manager is not None:
            self.security_manager.reset()
        if self.store is not None:
            self.store.delete(self.name)

    def _discovered(self, ev: NlmeNetworkDiscoveryConfirm) -> None:
        want = self.config.extended_pan_id
        nets = [
            n
            for n in ev.network_descriptors
            if n.permit_joining and (want is None or n.extended_pan_id == want)
        ]
        if not nets:
            self._retry()
            return
        best = max(nets, key=lambda n: (n.lqi, -n.extended_pan_id))
        self.state = NodeState.JOINING
        self.nwk.nlme_join_request(
            best.extended_pan_id, JoinMethod.ASSOCIATION, capability_information=self.capability
        )

    def _join_confirmed(self, ev: NlmeJoinConfirm) -> None:
        ok = ev.status == NwkStatus.SUCCESS
        if self.state == NodeState.JOINING:
            if not ok:
                self._retry()
                return
            sm = self.security_manager
            if sm is not None:
                self.state = NodeState.AUTHENTICATING
                sm.joined()
                if sm.authenticated:
                    self._after_key()
                return
            self._after_key()
        elif self.state == NodeState.REJOINING:
            if not ok and self._restore_rejoins < RESTORE_REJOINS:
                # its parents may be rebooting too (a house-wide power cut): try again first
                self._restore_rejoins += 1
                self._timer = self.clock.call_later(self.config.join_retry_us, self._rejoin_saved)
                return
            if not ok:
                # the saved network is not reachable: join from scratch
                if self.security_manager is not None:
                    self.security_manager.reset()
                self.nwk.nlme_reset_request(False)
                self._retry()
                return
            if self.role == Role.ROUTER:
                self.state = NodeState.STARTING_ROUTER
                self.nwk.nlme_start_router_request()
            else:
                self._in_network()
        elif self.state == NodeState.JOINED and ok:
            # a rejoin (parent loss) completed
            self.stats.join_times_us.append(self.clock.now())
            self.zdo.device_annce()
            self._save_soon()  # the parent, or the PAN ID, may be new

    def _rejoin_saved(self) -> None:
        self._timer = None
        if self.state == NodeState.REJOINING:
            nib = self.nwk.nib
            self.nwk.nlme_join_request(
                nib.nwk_extended_pan_id,
                JoinMethod.REJOIN,
                scan_channels=[nib.nwk_logical_channel],
                capability_information=self.capability,
            )

    def _rejoin_after_leave(self) -> None:
        self._timer = None
        if self.state == NodeState.LEFT:
            self._begin()
