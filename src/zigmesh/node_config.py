"""A node's configuration and counters (:class:`NodeConfig`, :class:`Role`,
:class:`NodeState`, :class:`NodeStats`) and the layer configurations derived from them: a
coordinator is the trust center and a high-RAM concentrator (3.6.3.5). :mod:`zigmesh.node`
re-exports them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from zigmesh.aps.aps import ApsConfig, ApsStats
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.mac import MacConfig, MacStats
from zigmesh.nwk.constants import S
from zigmesh.nwk.nwk import NwkConfig, NwkStats
from zigmesh.security.hashing import install_code_to_link_key
from zigmesh.security.keys import DEFAULT_RESTORE_JUMP
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.descriptors import ServerMask
from zigmesh.zdo.security_manager import SecurityManagerConfig
from zigmesh.zdo.trust_center import TrustCenterConfig

__all__ = [
    "COORDINATOR_MAX_SOURCE_ROUTE",
    "COORDINATOR_TABLE_SIZE",
    "NodeConfig",
    "NodeState",
    "NodeStats",
    "Role",
]

#: route record and address map entries of a coordinator (high-RAM concentrator): one for
#: every unicast address a network can hold (0x0001-0xfff7; tables grow as devices report).
#: Its map is where most address conflicts are found once traffic flows (every device's
#: route record carries its IEEE address there); with 2,048 entries a 10,000-device network
#: found them a few dozen a minute, as the devices sharing an address rarely both reported
#: within the map's span (issue 11)
COORDINATOR_TABLE_SIZE = 0xFFF7
#: nwkMaxSourceRoute of a coordinator: relay lists up to the default radius (2 x nwkMaxDepth);
#: in a large mesh the cheapest paths (good links only) are longer than the spec's default 12
COORDINATOR_MAX_SOURCE_ROUTE = 30


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
    #: associated, waiting for the network key from the trust center
    AUTHENTICATING = 7
    #: reloaded from the store, NWK rejoin under way
    REJOINING = 8


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
    #: longest pause after authentication failures in a row (the pause doubles each time)
    join_backoff_max_us: int = 60 * S
    #: centralized security (NWK security level 5, trust center, unique TC link keys)
    security: bool = True
    #: this device's install code (with its CRC): its TC link key is derived from it instead
    #: of ZigBeeAlliance09
    install_code: bytes | None = None
    #: coordinator: the trust center's policy and the install codes it expects
    trust_center: TrustCenterConfig = field(default_factory=TrustCenterConfig)
    install_codes: tuple[tuple[int, bytes], ...] = ()
    #: joining devices: authentication and link key exchange
    security_manager: SecurityManagerConfig = field(default_factory=SecurityManagerConfig)
    #: persist the outgoing frame counters every this many frames (and jump that far on reload)
    counter_persist_interval: int = DEFAULT_RESTORE_JUMP
    #: node descriptor manufacturer code
    manufacturer_code: int = 0x0000
    nwk: NwkConfig = field(default_factory=NwkConfig)
    mac: MacConfig = field(default_factory=MacConfig)
    aps: ApsConfig = field(default_factory=ApsConfig)

    def __post_init__(self) -> None:
        if not 0 <= self.eui64 <= 0xFFFF_FFFF_FFFF_FFFF:
            raise LocalProtocolError(f"eui64 {self.eui64:#x} out of range")
        if not self.channels or any(not 11 <= c <= 26 for c in self.channels):
            raise LocalProtocolError(f"channels {self.channels} must be within 11-26")
        if self.poll_interval_us is not None and self.poll_interval_us <= 0:
            raise LocalProtocolError("poll_interval_us must be positive")
        if self.counter_persist_interval < 1:
            raise LocalProtocolError("counter_persist_interval must be >= 1")
        if self.install_code is not None:
            try:
                install_code_to_link_key(self.install_code)
            except ValueError as e:
                raise LocalProtocolError(f"install_code: {e}") from None


@dataclass(slots=True)
class NodeStats:
    """What happened to a node, beside the per-layer counters (``mac``, ``nwk``, ``aps``)."""

    mac: MacStats
    nwk: NwkStats
    aps: ApsStats
    started_at_us: int | None = None
    #: first time the node was in the network (formed, joined and started)
    joined_at_us: int | None = None
    #: every time it (re)joined
    join_times_us: list[int] = field(default_factory=list)
    join_attempts: int = 0
    data_indications: int = 0
    #: secured joins that got no network key (the node left that parent and tried again)
    authentication_failures: int = 0
    #: snapshots written to the store, and reloads from it
    saves: int = 0
    restores: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "started_at_us": self.started_at_us,
            "joined_at_us": self.joined_at_us,
            "join_attempts": self.join_attempts,
            "data_indications": self.data_indications,
            "authentication_failures": self.authentication_failures,
            "saves": self.saves,
            "restores": self.restores,
            "mac": self.mac.as_dict(),
            "nwk": self.nwk.as_dict(),
            "aps": self.aps.as_dict(),
        }


def _nwk_config(config: NodeConfig) -> NwkConfig:
    cfg = config.nwk
    concentrator = (
        config.role == Role.COORDINATOR if config.concentrator is None else config.concentrator
    )
    changes: dict[str, object] = {}
    if concentrator != cfg.concentrator:
        changes["concentrator"] = concentrator
    if config.role == Role.COORDINATOR:
        # the trust center and concentrator is a high-RAM concentrator (3.6.3.5): a source
        # route and an address for every device of the network, not just a few dozen
        for name in ("route_record_table_size", "address_map_size"):
            if getattr(cfg, name) < COORDINATOR_TABLE_SIZE:
                changes[name] = COORDINATOR_TABLE_SIZE
        if cfg.max_source_route < COORDINATOR_MAX_SOURCE_ROUTE:
            changes["max_source_route"] = COORDINATOR_MAX_SOURCE_ROUTE
    if config.poll_interval_us is not None and config.poll_interval_us != cfg.poll_interval_us:
        changes["poll_interval_us"] = config.poll_interval_us
    if not changes:
        return cfg
    return replace(cfg, **changes)  # type: ignore[arg-type]


def _zdo_config(config: NodeConfig) -> ZdoConfig:
    kw: dict[str, object] = {"manufacturer_code": config.manufacturer_code}
    if config.role == Role.COORDINATOR:
        mask = ServerMask.PRIMARY_TRUST_CENTER if config.security else ServerMask(0)
        return ZdoConfig.coordinator(server_mask=mask, **kw)
    if config.role == Role.ROUTER:
        return ZdoConfig.router(**kw)
    return ZdoConfig.end_device(rx_on_when_idle=config.rx_on_when_idle, **kw)
