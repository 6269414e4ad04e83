"""APS service primitives going up: confirms and indications (Zigbee spec R22 2.2.4).

Requests go down as method calls on :class:`zigmesh.aps.aps.Aps` (``apsde_data_request``,
``apsme_bind_request``, ``apsme_add_group_request``...). APSDE confirms and indications go up
to the endpoint that registered with ``Aps.register_endpoint`` (an application object sees only
its own endpoint's traffic: the sandbox of 2.2.4); APS command indications go to the one
privileged APSME user (the ZDO's security manager) registered with ``Aps.set_apsme_user``.

Field names follow the spec's primitive parameters in snake case; fields the spec does not list
are marked *(extension)*. Times are integer microseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import TypeAlias

from zigmesh.aps.commands import ApsCommand, ApsStatus
from zigmesh.nwk.primitives import NwkStatus
from zigmesh.security.aux import KeyId

__all__ = [
    "ApsAddrMode",
    "TxOptions",
    "SecurityStatus",
    "ApsConfirmStatus",
    "ApsdeDataConfirm",
    "ApsdeDataIndication",
    "ApsdeEvent",
    "EndpointHandler",
    "ApsmeCommandIndication",
    "ApsmeUser",
]


class ApsAddrMode(IntEnum):
    """DstAddrMode / SrcAddrMode of APSDE-DATA (Zigbee spec R22 Table 2-2)."""

    INDIRECT = 0x00  # no address, no endpoint: through the local binding table
    GROUP = 0x01  # 16-bit group address, no endpoint
    SHORT = 0x02  # 16-bit network address + endpoint
    IEEE = 0x03  # 64-bit IEEE address + endpoint


class TxOptions(IntFlag):
    """TxOptions of APSDE-DATA.request (Zigbee spec R22 Table 2-2)."""

    NONE = 0x00
    SECURITY = 0x01  # APS security (link key)
    USE_NWK_KEY = 0x02  # with SECURITY: secure the APS frame with the network key
    ACK = 0x04  # acknowledged transmission
    FRAGMENTATION = 0x08  # fragmentation permitted
    INCLUDE_EXTENDED_NONCE = 0x10


class SecurityStatus(IntEnum):
    """SecurityStatus of APSDE-DATA.indication (Zigbee spec R22 2.2.4.1.3.1)."""

    UNSECURED = 0xAF
    SECURED_NWK_KEY = 0xAC
    SECURED_LINK_KEY = 0xAB


#: the status of an APSDE-DATA.confirm: an APS status or an NLDE-DATA status passed up
ApsConfirmStatus: TypeAlias = ApsStatus | NwkStatus


@dataclass(frozen=True, slots=True)
class ApsdeDataConfirm:
    """APSDE-DATA.confirm (Zigbee spec R22 2.2.4.1.2).

    One per request, always, with the final status: SUCCESS (an acknowledged request: the APS
    ACK arrived; unacknowledged: the NWK layer sent it), NO_ACK, NO_BOUND_DEVICE,
    NO_SHORT_ADDRESS, SECURITY_FAIL, ASDU_TOO_LONG, INVALID_PARAMETER, TABLE_FULL or the NLDE
    status. ``asdu_handle`` *(extension in R22 naming)* matches the request's return value;
    ``retries`` *(extension)* counts APS retransmissions.
    """

    asdu_handle: int
    dst_addr_mode: ApsAddrMode
    dst_address: int | None
    dst_endpoint: int | None
    src_endpoint: int
    status: ApsConfirmStatus
    tx_time: int
    retries: int = 0


@dataclass(frozen=True, slots=True)
class ApsdeDataIndication:
    """APSDE-DATA.indication (Zigbee spec R22 2.2.4.1.3).

    ``dst_addr_mode`` is SHORT for unicast and broadcast, GROUP for groupcast (``dst_address``
    the group). ``src_address`` is the sender's network address; ``src_ieee`` *(extension)* its
    IEEE address when known. ``hops`` *(extension)* from the NWK indication; ``aps_counter``
    *(extension)* the APS counter of the (first block of the) frame.
    """

    dst_addr_mode: ApsAddrMode
    dst_address: int
    dst_endpoint: int
    src_addr_mode: ApsAddrMode
    src_address: int
    src_endpoint: int
    profile_id: int
    cluster_id: int
    asdu: bytes
    status: ApsStatus
    security_status: SecurityStatus
    link_quality: int
    rx_time: int
    src_ieee: int | None = None
    hops: int = 0
    aps_counter: int = 0


ApsdeEvent: TypeAlias = ApsdeDataConfirm | ApsdeDataIndication
#: what an endpoint registers: receives its confirms and indications
EndpointHandler = Callable[[ApsdeEvent], None]


@dataclass(frozen=True, slots=True)
class ApsmeCommandIndication:
    """An APS command for this device, after APS security (Zigbee spec R22 4.4.2-4.4.9:
    APSME-TRANSPORT-KEY / UPDATE-DEVICE / REMOVE-DEVICE / REQUEST-KEY / SWITCH-KEY /
    VERIFY-KEY / CONFIRM-KEY .indication, given as one event carrying the decoded command).

    ``key_id`` is the APS key identifier the frame was secured with (None: no APS security);
    ``nwk_secured`` whether the NWK frame was secured. ``src_address`` is the NWK source,
    ``src_ieee`` the sender's IEEE address when known (from the aux header's extended nonce,
    the NWK header or the address map). ``tunneled`` *(extension)*: it arrived inside a Tunnel.
    """

    command: ApsCommand
    src_address: int
    src_ieee: int | None
    key_id: KeyId | None
    nwk_secured: bool
    link_quality: int
    rx_time: int
    tunneled: bool = False


#: the one privileged APSME user (ZDO security manager / trust center)
ApsmeUser = Callable[[ApsmeCommandIndication], None]
