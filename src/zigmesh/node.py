"""A Zigbee node: the layers of one device composed for a role (DESIGN.md 1).

:class:`Node` builds the 802.15.4 MAC on a PHY (a simulated :class:`~zigmesh.sim.medium.Radio`
or a real radio driver) and the NWK layer on top, for a :class:`Role` given by a frozen
:class:`NodeConfig`, and runs the start-up a device's application (ZDO) would run:

* coordinator: NLME-NETWORK-FORMATION, then NLME-PERMIT-JOINING;
* router: NLME-NETWORK-DISCOVERY, NLME-JOIN (association, router capability),
  NLME-START-ROUTER, then NLME-PERMIT-JOINING;
* end device: NLME-NETWORK-DISCOVERY, NLME-JOIN (association); the NWK layer then polls.

A failed step is retried after ``join_retry_us`` (with jitter). A leave asked by another device
with the rejoin flag joins again. APS and ZDO come later: :meth:`Node.set_upper` is their slot
(it receives every NWK event after the node's own handling).

Sans-IO: the node takes a clock and a ``random.Random`` and never reads the time itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.mac import Mac, MacConfig, MacStats
from zigmesh.nwk.commands import CapabilityInformation
from zigmesh.nwk.constants import MS, S
from zigmesh.nwk.nwk import Nwk, NwkConfig, NwkStats
from zigmesh.nwk.primitives import (
    JoinMethod,
    NldeDataIndication,
    NlmeJoinConfirm,
    NlmeLeaveConfirm,
    NlmeLeaveIndication,
    NlmeNetworkDiscoveryConfirm,
    NlmeNetworkFormationConfirm,
    NlmeStartRouterConfirm,
    NwkEvent,
    NwkStatus,
)
from zigmesh.phy import Phy

__all__ = ["Node", "NodeConfig", "NodeState", "NodeStats", "Role", "UpperCallback"]

UpperCallback = Callable[[NwkEvent], None]


class Role(Enum):
    """What a node is in the network."""

    COORDINATOR = "coordinator"
    ROUTER = "router"
    END_DEVICE = "end_device"


class NodeState(Enum):
    """The node's start-up progress."""

    OFF = 0
    FORMING = 1
    DISCOVERING = 2
    JOINING = 3
    STARTING_ROUTER = 4
    JOINED = 5
    LEFT = 6


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """Everything a node is built from. Times are microseconds."""

    role: Role
    eui64: int
    name: str = ""
    #: channels to form on / scan (11-26)
    channels: tuple[int, ...] = (11,)
    #: MLME-SCAN duration exponent (each channel: 15.36 ms x (2^n + 1))
    scan_duration: int = 3
    #: coordinator: PAN ID (None: random) and extended PAN ID (None: its EUI-64);
    #: joining devices: the extended PAN ID to join (None: the first network heard)
    pan_id: int | None = None
    extended_pan_id: int | None = None
    #: end device: MAC data poll interval (None: the NWK default) and receiver on when idle
    poll_interval_us: int | None = None
    rx_on_when_idle: bool = False
    #: routers and coordinator permit joining for ever once started
    permit_joining: bool = True
    #: many-to-one concentrator (None: the coordinator is, routers are not)
    concentrator: bool | None = None
    #: pause before retrying a failed formation / discovery / join (plus up to 50 % jitter)
    join_retry_us: int = 2 * S
    nwk: NwkConfig = field(default_factory=NwkConfig)
    mac: MacConfig = field(default_factory=MacConfig)

    def __post_init__(self) -> None:
        if not 0 <= self.eui64 <= 0xFFFF_FFFF_FFFF_FFFF:
            raise LocalProtocolError(f"eui64 {self.eui64:#x} out of range")
        if not self.channels or any(not 11 <= c <= 26 for c in self.channels):
            raise LocalProtocolError(f"channels {self.channels} must be within 11-26")
        if self.poll_interval_us is not None and self.poll_interval_us <= 0:
            raise LocalProtocolError("poll_interval_us must be positive")


@dataclass(slots=True)
class NodeStats:
    """What happened to a node, beside the per-layer counters (``mac``, ``nwk``)."""

    mac: MacStats
    nwk: NwkStats
    started_at_us: int | None = None
    #: first time the node was in the network (formed, joined and started)
    joined_at_us: int | None = None
    #: every time it (re)joined
    join_times_us: list[int] = field(default_factory=list)
    join_attempts: int = 0
    data_indications: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "started_at_us": self.started_at_us,
            "joined_at_us": self.joined_at_us,
            "join_attempts": self.join_attempts,
            "data_indications": self.data_indications,
            "mac": self.mac.as_dict(),
            "nwk": self.nwk.as_dict(),
        }


def _nwk_config(config: NodeConfig) -> NwkConfig:
    cfg = config.nwk
    concentrator = (
        config.role == Role.COORDINATOR if config.concentrator is None else config.concentrator
    )
    changes: dict[str, object] = {}
    if concentrator != cfg.concentrator:
        changes["concentrator"] = concentrator
    if config.poll_interval_us is not None and config.poll_interval_us != cfg.poll_interval_us:
        changes["poll_interval_us"] = config.poll_interval_us
    if not changes:
        return cfg
    return replace(cfg, **changes)  # type: ignore[arg-type]


class Node:
    """One device: MAC + NWK on a PHY, started for its role.

    ``Node(phy, clock, rng, config)``. ``mac``, ``nwk`` and ``stats`` are public; ``start()``
    runs the role's start-up; ``set_upper`` registers the application side (APS later).
    """

    def __init__(self, phy: Phy, clock: Clock, rng: random.Random, config: NodeConfig) -> None:
        self.phy = phy
        self.clock = clock
        self.rng = rng
        self.config = config
        self.name = config.name or f"{config.eui64:016x}"
        self.role = config.role
        self.state = NodeState.OFF
        self._upper: UpperCallback | None = None
        self._timer: TimerHandle | None = None
        self.mac: Mac
        self.nwk: Nwk
        self.stats: NodeStats
        self._build()

    def _build(self) -> None:
        cfg = self.config
        self.mac = Mac(self.phy, self.clock, self.rng, cfg.eui64, config=cfg.mac)
        self.nwk = Nwk(self.mac, self.clock, self.rng, config=_nwk_config(cfg))
        self.nwk.set_upper(self._on_event)
        old = getattr(self, "stats", None)
        self.stats = NodeStats(self.mac.stats, self.nwk.stats)
        if old is not None:
            self.stats.joined_at_us = old.joined_at_us
            self.stats.join_times_us = old.join_times_us
            self.stats.join_attempts = old.join_attempts
            self.stats.data_indications = old.data_indications

    def __repr__(self) -> str:
        return f"Node({self.name!r}, {self.role.value}, {self.state.name})"

    # -- application slot -----------------------------------------------------------------

    def set_upper(self, upper: UpperCallback | None) -> None:
        """Register the layer above the NWK (APS / ZDO later; a test or runner now)."""
        self._upper = upper

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
        """Run the role's start-up (formation, or discovery + join)."""
        if self.state not in (NodeState.OFF, NodeState.LEFT):
            raise LocalProtocolError(f"{self.name} is already started ({self.state.name})")
        if self.stats.started_at_us is None:
            self.stats.started_at_us = self.clock.now()
        self._begin()

    def restart(self) -> None:
        """Power cycle without memory: fresh MAC and NWK on the same PHY, then start."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.state = NodeState.OFF
        self._build()
        self._begin()

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
        delay = self.config.join_retry_us
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

    def _started(self, status: NwkStatus) -> None:
        """Formation (coordinator) or NLME-START-ROUTER (router) confirmed with ``status``."""
        if status == NwkStatus.SUCCESS:
            if self.config.permit_joining:
                self.nwk.nlme_permit_joining_request(0xFF)
            self._in_network()
        else:
            self._retry()

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
                self.state = NodeState.LEFT
                if ev.rejoin:
                    self._timer = self.clock.call_later(100 * MS, self._rejoin_after_leave)
        elif t is NlmeLeaveConfirm:
            assert isinstance(ev, NlmeLeaveConfirm)
            if ev.device_address is None:
                self.state = NodeState.LEFT
        upper = self._upper
        if upper is not None:
            upper(ev)

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
        if self.state == NodeState.JOINING:
            if ev.status != NwkStatus.SUCCESS:
                self._retry()
                return
            if self.role == Role.ROUTER:
                self.state = NodeState.STARTING_ROUTER
                self.nwk.nlme_start_router_request()
            else:
                self._in_network()
        elif self.state == NodeState.JOINED and ev.status == NwkStatus.SUCCESS:
            # a rejoin (parent loss) completed
            self.stats.join_times_us.append(self.clock.now())

    def _rejoin_after_leave(self) -> None:
        self._timer = None
        if self.state == NodeState.LEFT:
            self._begin()
