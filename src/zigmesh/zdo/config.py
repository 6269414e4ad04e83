"""ZDO configuration and counters.

:class:`ZdoConfig` holds what the node's descriptors say about it (Zigbee spec R22 2.3.2.3,
2.3.2.4) and the ZDO's implementation choices (timeouts, response size). Times are integer
microseconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import S
from zigmesh.zdo.descriptors import (
    LogicalType,
    MacCapability,
    NodeDescriptor,
    PowerDescriptor,
    PowerMode,
    PowerSource,
    ServerMask,
)

__all__ = ["ZdoConfig", "ZdoStats", "DEFAULT_REQUEST_TIMEOUT_US"]

#: a ZDP request waits this long for its response: a sleeping destination's parent holds the
#: request up to macTransactionPersistenceTime (7.68 s) before the device polls for it
DEFAULT_REQUEST_TIMEOUT_US = 10 * S

_ROUTER_CAPABILITY = (
    MacCapability.DEVICE_TYPE_FFD
    | MacCapability.POWER_SOURCE_MAINS
    | MacCapability.RX_ON_WHEN_IDLE
    | MacCapability.ALLOCATE_ADDRESS
)


@dataclass(frozen=True, slots=True)
class ZdoConfig:
    """What one node's ZDO is: its descriptors' fields, then implementation choices.

    Build one with :meth:`coordinator`, :meth:`router` or :meth:`end_device`, or directly.
    ``server_mask`` is where the trust center sets ``PRIMARY_TRUST_CENTER`` (and a network
    manager ``NETWORK_MANAGER``).
    """

    logical_type: LogicalType = LogicalType.ROUTER
    mac_capability: MacCapability = _ROUTER_CAPABILITY
    manufacturer_code: int = 0x0000
    maximum_buffer_size: int = 82
    maximum_incoming_transfer_size: int = 82
    maximum_outgoing_transfer_size: int = 82
    server_mask: ServerMask = ServerMask(0)
    stack_compliance_revision: int = 22
    power_descriptor: PowerDescriptor = field(default_factory=PowerDescriptor)
    rx_on_when_idle: bool = True
    #: a client request without a response after this long resolves with TIMEOUT
    request_timeout_us: int = DEFAULT_REQUEST_TIMEOUT_US
    #: coordinator: how long the first End_Device_Bind_req waits for its partner
    end_device_bind_timeout_us: int = 10 * S
    #: largest ZDP payload (TSN included) the server puts in one response: 82 bytes is the
    #: unfragmented APS payload under NWK security with a plain NWK header; the margin keeps
    #: room for source IEEE addresses or a source route in the NWK header
    max_zdp_payload: int = 74
    #: Mgmt_NWK_Update_req channel change: the wait before switching (None: the NIB's
    #: nwkNetworkBroadcastDeliveryTime, so that the broadcast reaches everyone first)
    channel_change_delay_us: int | None = None
    #: Mgmt_Leave_req: leave once the response is confirmed, or after this long at most
    leave_delay_us: int = 2 * S
    #: the server answers Bind_req / Unbind_req / Mgmt_Bind_req (else NOT_SUPPORTED)
    binding_supported: bool = True
    #: a router answers NWK_addr_req / IEEE_addr_req for its end-device children
    answer_for_children: bool = True

    def __post_init__(self) -> None:
        if self.max_zdp_payload < 30:
            raise LocalProtocolError("max_zdp_payload must be >= 30 (one table record)")
        for name in ("request_timeout_us", "end_device_bind_timeout_us", "leave_delay_us"):
            if getattr(self, name) <= 0:
                raise LocalProtocolError(f"{name} must be positive")

    # -- role presets ----------------------------------------------------------------------

    @classmethod
    def coordinator(cls, **kw: Any) -> ZdoConfig:
        """A mains-powered coordinator (pass ``server_mask=ServerMask.PRIMARY_TRUST_CENTER``
        for a trust center); ``kw`` sets any other field."""
        return cls(LogicalType.COORDINATOR, _ROUTER_CAPABILITY, **kw)

    @classmethod
    def router(cls, **kw: Any) -> ZdoConfig:
        """A mains-powered router; ``kw`` sets any other field."""
        return cls(LogicalType.ROUTER, _ROUTER_CAPABILITY, **kw)

    @classmethod
    def end_device(cls, *, rx_on_when_idle: bool = False, **kw: Any) -> ZdoConfig:
        """An end device: battery powered and polling unless ``rx_on_when_idle``."""
        cap = MacCapability.ALLOCATE_ADDRESS
        if rx_on_when_idle:
            cap |= MacCapability.RX_ON_WHEN_IDLE | MacCapability.POWER_SOURCE_MAINS
            power = PowerDescriptor()
        else:
            power = PowerDescriptor(
                PowerMode.RX_PERIODIC,
                PowerSource.DISPOSABLE_BATTERY,
                PowerSource.DISPOSABLE_BATTERY,
            )
        kw.setdefault("power_descriptor", power)
        return cls(LogicalType.END_DEVICE, cap, rx_on_when_idle=rx_on_when_idle, **kw)

    def node_descriptor(self) -> NodeDescriptor:
        """The node descriptor these settings describe (2.3.2.3)."""
        return NodeDescriptor(
            self.logical_type,
            mac_capability_flags=self.mac_capability,
            manufacturer_code=self.manufacturer_code,
            maximum_buffer_size=self.maximum_buffer_size,
            maximum_incoming_transfer_size=self.maximum_incoming_transfer_size,
            server_mask=self.server_mask,
            stack_compliance_revision=self.stack_compliance_revision,
            maximum_outgoing_transfer_size=self.maximum_outgoing_transfer_size,
        )


@dataclass(slots=True)
class ZdoStats:
    """What one ZDO did. ``answered`` counts responses sent, by request cluster name."""

    requests_received: int = 0
    answered: Counter[str] = field(default_factory=Counter)
    #: broadcast requests not answered (nothing matched / not for us)
    broadcasts_ignored: int = 0
    #: unicast requests of a cluster this ZDO does not serve (NOT_SUPPORTED sent)
    not_supported: int = 0
    #: client side
    requests_sent: int = 0
    responses_received: int = 0
    unsolicited_responses: int = 0
    timeouts: int = 0
    #: device announcements
    device_annce_sent: int = 0
    device_annce_received: int = 0
    #: Device_annce heard again after it was acted on (same TSN, APS counter, address)
    device_annce_repeated: int = 0
    #: Device_annce giving a network address we know to another IEEE address: the pair we
    #: hold stands and the announcement is not acted on (a forged one made the device look
    #: in conflict with itself)
    device_annce_refused: int = 0
    #: Device_annce of our end device child's address by another IEEE address: an address
    #: conflict detected (3.6.1.9.2) and handed to the NWK layer
    device_annce_conflicts: int = 0
    children_removed: int = 0
    #: bad input from the air (dropped)
    decode_errors: int = 0
    wrong_profile: int = 0

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = dict(v) if isinstance(v, Counter) else v
        return out
