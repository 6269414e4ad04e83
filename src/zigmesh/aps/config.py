"""APS configuration and what the APS needs of the NWK layer.

:class:`ApsConfig` holds the implementation choices (spec constants and AIB defaults where the
spec gives them, deployed-stack values where it does not); :class:`ApsNwk` is the structural
type of the NWK layer below (:class:`zigmesh.nwk.nwk.Nwk` satisfies it; tests use fakes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.primitives import NwkAddrMode, NwkStatus
from zigmesh.nwk.tables.address_map import AddressMap
from zigmesh.nwk.tables.neighbor import NeighborTable

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk

__all__ = ["ApsNwk", "ApsConfig", "AddressResolver", "NldeCallback"]

#: ZDO's IEEE -> network address lookup (NWK_addr_req): calls back with the address or None
AddressResolver = Callable[[int, Callable[[int | None], None]], None]
#: what the APS is told when an NLDE-DATA.request it made is confirmed: (handle, status)
NldeCallback = Callable[[int, NwkStatus], None]


class ApsNwk(Protocol):
    """What the APS uses of the NWK layer (:class:`zigmesh.nwk.nwk.Nwk` provides it)."""

    @property
    def ieee(self) -> int: ...

    @property
    def address(self) -> int: ...

    @property
    def address_map(self) -> AddressMap: ...

    @property
    def neighbors(self) -> NeighborTable: ...

    @property
    def rx_on_when_idle(self) -> bool: ...

    def max_nsdu_length(self, secured: bool | None = None) -> int: ...

    def nlme_sync_request(self, track: bool = False) -> None: ...

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
        security_enable: bool = False,
    ) -> None: ...


if TYPE_CHECKING:

    def _nwk_is_aps_nwk(n: Nwk) -> ApsNwk:  # mypy checks the real NWK fits the protocol
        return n


@dataclass(frozen=True, slots=True)
class ApsConfig:
    """Implementation choices (spec constants and AIB defaults where the spec gives them).
    Times in microseconds."""

    #: apscMaxFrameRetries (Zigbee spec R22 2.2.7.1, APS constants)
    max_frame_retries: int = 3
    #: apscAckWaitDuration = 0.05 s x (2 x nwkcMaxDepth) + security processing; ZBOSS uses
    #: 1,600 ms
    ack_wait_us: int = 1_600_000
    #: the ack wait towards an rx-off end device: its parent holds frames up to 7.68 s
    #: (macTransactionPersistenceTime), so ZBOSS / Z-Stack wait ~10 s for polled devices
    ack_wait_sleepy_us: int = 10_000_000
    #: an attempt the NWK layer never confirms counts as failed after this long (route
    #: discovery + indirect transmission fit well inside)
    nwk_confirm_timeout_us: int = 30_000_000
    #: an rx-off end device polls its parent this often while it awaits an APS ACK or the
    #: blocks of a fragmented message (Z-Stack RESPONSE_POLL_RATE, ZBOSS turbo poll); 0: never
    ack_poll_interval_us: int = 250_000
    #: duplicate rejection table (ZBOSS: 32 entries, 21 s; an entry's time is refreshed
    #: whenever a duplicate of it arrives, as ZBOSS does)
    duplicate_table_size: int = 32
    duplicate_timeout_us: int = 21_000_000
    #: no retransmission (of a frame, or of a fragment window without progress) starts later
    #: than this after the first attempt: a receiver forgets a frame ``duplicate_timeout_us``
    #: after it accepted it (21 s in ZBOSS and here), and a copy may spend up to 7.68 s
    #: (macTransactionPersistenceTime) in a parent's indirect queue, so a retransmission
    #: sent later could be delivered to the application a second time. With the sleepy ack
    #: wait (10 s) this allows one retransmission to an rx-off end device.
    max_retry_span_us: int = 13_000_000
    #: apsBindingTable / apsGroupTable capacities (memberships for the group table)
    binding_table_size: int = 32
    group_table_size: int = 16
    #: apsMaxWindowSize (1-8) and apsInterframeDelay
    max_window_size: int = 8
    interframe_delay_us: int = 50_000
    #: receiver: acknowledge a window with gaps this long after the last retransmitted block
    fragment_ack_delay_us: int = 100_000
    #: receiver: free a reassembly buffer this long after its last block (the sender gives up
    #: after 4 ack waits without progress)
    fragment_reassembly_timeout_us: int = 20_000_000
    #: receiver: messages reassembled at once
    max_reassembly_buffers: int = 4
    #: largest ASDU sent or reassembled (apsMaxSizeASDU-like bound; >= 1,500 must work)
    max_asdu_length: int = 1_600

    def __post_init__(self) -> None:
        if not 1 <= self.max_window_size <= 8:
            raise LocalProtocolError("max_window_size (apsMaxWindowSize) must be 1-8")
        if self.max_frame_retries < 0 or self.max_reassembly_buffers < 1:
            raise LocalProtocolError("max_frame_retries >= 0, max_reassembly_buffers >= 1")
        for name in (
            "ack_wait_us",
            "ack_wait_sleepy_us",
            "nwk_confirm_timeout_us",
            "duplicate_timeout_us",
            "max_retry_span_us",
            "fragment_reassembly_timeout_us",
            "max_asdu_length",
        ):
            if getattr(self, name) <= 0:
                raise LocalProtocolError(f"{name} must be positive")
        if self.max_retry_span_us >= self.duplicate_timeout_us:
            raise LocalProtocolError(
                "max_retry_span_us must be below duplicate_timeout_us (a late retransmission "
                "would be delivered twice)"
            )
        if (
            self.interframe_delay_us < 0
            or self.fragment_ack_delay_us < 0
            or self.ack_poll_interval_us < 0
        ):
            raise LocalProtocolError("delays must not be negative")
