"""The IEEE 802.15.4 MAC in operation, non-beacon mode as Zigbee uses it (802.15.4-2006 7.5).

Sans-IO (DESIGN.md 1): the MAC gets a :class:`~zigmesh.phy.Phy`, a :class:`~zigmesh.clock.Clock`
and a ``random.Random``; it registers itself as the PHY's user. Requests come down as method
calls (``mcps_data_request``, ``mlme_scan_request``, ...); confirms and indications go up as the
event dataclasses of :mod:`zigmesh.mac.primitives` through the one callback the upper layer
registered with :meth:`Mac.set_upper`. Synchronous MLME primitives (GET, SET, RESET, PURGE)
return their result. Misuse raises :class:`~zigmesh.errors.LocalProtocolError`; bad frames
from the air are dropped and counted in :class:`MacStats`.

Transmit timeline of one acknowledged frame (non-beacon, unslotted CSMA-CA; see csma.py)::

    request ─ backoff b x 320 ─ CCA 128 ─ turnaround 192 ─ frame on air (6 + PSDU) x 32 ─┐
    ┌────────────────────────────────────────────────────────────────────────────────────┘
    └ peer turnaround 192 ─ ACK on air 352 ─ confirm SUCCESS

The peer's ACK (no CSMA) starts aTurnaroundTime after the last symbol of the frame
(7.5.6.4.2); the sender waits macAckWaitDuration (864 us) from the end of its frame, then
retries (full CSMA-CA again) up to macMaxFrameRetries times before NO_ACK (7.5.6.4.3).

Receive path (hot): a 5-byte ACK is matched against the one pending DSN by indexing bytes;
other 2003/2006 frames with a short destination are rejected on the destination address and
PAN ID read straight from the PSDU, before any FCS check or decode. Only frames for us are
decoded (once) and acknowledged with a precomputed ACK PSDU per (DSN, frame pending). An
acknowledged frame repeating the source, DSN and payload of the last one from that source
within ``MacConfig.duplicate_window_us`` is a retransmission whose ACK was lost: ACKed again,
then dropped (``rx_duplicate``). A Data Request is reported up as MLME-POLL.indication.

Indirect transmission (7.5.6.3): frames for a sleeping device wait in a bounded
:class:`~zigmesh.mac.indirect.TransactionQueue` until its Data Request (our ACK then has Frame
Pending set) or until macTransactionPersistenceTime (TRANSACTION_EXPIRED). A failed indirect
attempt is not retried; the frame goes back to the queue with its DSN (7.5.6.4.3).

Radio: with ``mac_rx_on_when_idle`` False the radio sleeps between operations and is on only
for CSMA-CA, transmission, the ACK wait, and after a Data Request whose ACK had Frame Pending
set (for up to macMaxFrameTotalWaitTime).
"""

from __future__ import annotations

import random
import struct
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from zigmesh.clock import Clock, TimerHandle
from zigmesh.codec import memo_decoder
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import (
    AssociationRequest,
    AssociationResponse,
    BeaconRequest,
    CapabilityInformation,
    CoordinatorRealignment,
    DataRequest,
    DisassociationNotification,
    DisassociationReason,
    MacCommandId,
    OrphanNotification,
    decode_command,
)
from zigmesh.mac.csma import UnslottedCsmaCa
from zigmesh.mac.fcs import append_fcs, fcs_ok
from zigmesh.mac.frames import AddrMode, Beacon, FrameType, MacFrame, SuperframeSpec
from zigmesh.mac.indirect import EXT_KEY, Transaction, TransactionQueue, address_key
from zigmesh.mac.pib import (
    A_BASE_SUPERFRAME_DURATION_US,
    A_TURNAROUND_TIME_US,
    CCA_DURATION_US,
    MAC_ACK_WAIT_DURATION_US,
    MacPib,
    max_retransmission_time,
)
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    McpsDataConfirm,
    McpsDataIndication,
    MlmeAssociateConfirm,
    MlmeAssociateIndication,
    MlmeBeaconNotifyIndication,
    MlmeCommStatusIndication,
    MlmeDisassociateConfirm,
    MlmeDisassociateIndication,
    MlmeOrphanIndication,
    MlmePollConfirm,
    MlmePollIndication,
    MlmeScanConfirm,
    MlmeStartConfirm,
    PanDescriptor,
    ScanType,
)
from zigmesh.phy import CHANNELS, MAX_PSDU, SYMBOL_US, Phy, RadioState
from zigmesh.types import EUI64

__all__ = [
    "DUPLICATE_WINDOW_US",
    "AssocState",
    "Mac",
    "MacConfig",
    "MacStats",
    "PollState",
    "UpperCallback",
]

UpperCallback = Callable[[MacEvent], None]

_RX = RadioState.RX
_TX = RadioState.TX
_IDLE = RadioState.IDLE
_SLEEP = RadioState.SLEEP
_SHORT = AddrMode.SHORT
_EXT = AddrMode.EXTENDED
_NONE = AddrMode.NONE
_FT_BEACON = FrameType.BEACON
_FT_DATA = FrameType.DATA
_FT_CMD = FrameType.MAC_COMMAND
_CMD_DATA_REQUEST = int(MacCommandId.DATA_REQUEST)
_BROADCAST = 0xFFFF
#: MacFrame.decode memoised: the receivers of one frame share the decoded (frozen) frame
_decode_psdu = memo_decoder(MacFrame.decode)

#: precomputed ACK PSDUs (802.15.4-2006 7.2.2.3), index ``seq | pending << 8``
_ACK_FRAMES: tuple[bytes, ...] = tuple(
    MacFrame.ack(s, p).encode() for p in (False, True) for s in range(256)
)

#: 2003 data frame, short destination and source, PAN ID compression (intra-PAN)
_FCF_DATA_SHORT_SHORT = 0x0001 | 0x0040 | (2 << 10) | (2 << 14)
_FCF_ACK_REQUEST = 0x0020
_FCF_FRAME_PENDING = 0x10
_HDR_SHORT_SHORT = struct.Struct("<HBHHH")

# what a transmission job is (ints: compared on hot paths)
_K_DATA = 0
_K_INDIRECT = 1
_K_ASSOC_REQ = 2
_K_ASSOC_POLL = 3
_K_POLL = 4
_K_BEACON_REQ = 5
_K_BEACON = 6
_K_DISASSOC = 7
_K_ORPHAN = 8
_K_REALIGN = 9
_K_ASSOC_RESP = 10  # only as a Transaction kind (always indirect)
_SCAN_KINDS = (_K_BEACON_REQ, _K_ORPHAN)

# what the radio is sending
_TXK_NONE = 0
_TXK_ACK = 1
_TXK_FRAME = 2

# what the receiver waits for after a Data Request whose ACK had Frame Pending set
_RXW_NONE = 0
_RXW_POLL = 1
_RXW_ASSOC = 2

_ASSOC_STATUS = {0: MacStatus.SUCCESS, 1: MacStatus.PAN_AT_CAPACITY, 2: MacStatus.PAN_ACCESS_DENIED}

#: default duplicate window: the retransmissions of one frame with the default PIB
#: (macMaxFrameRetries 3, macMinBE 3, macMaxBE 5, macMaxCSMABackoffs 4): 171,008 us
DUPLICATE_WINDOW_US = max_retransmission_time(3, 3, 5, 4) * SYMBOL_US


class AssocState(Enum):
    """Device side of association (802.15.4-2006 7.5.3.1, Figure 74)."""

    IDLE = 0
    #: Association Request being sent (CSMA-CA / ACK wait)
    REQUESTING = 1
    #: ACK received: waiting macResponseWaitTime before polling
    WAITING = 2
    #: Data Request being sent
    POLLING = 3
    #: ACK had Frame Pending: receiver on, waiting for the Association Response
    RECEIVING = 4


class PollState(Enum):
    """MLME-POLL (802.15.4-2006 7.5.6.3)."""

    IDLE = 0
    REQUESTING = 1
    RECEIVING = 2


@dataclass(frozen=True, slots=True)
class MacConfig:
    """Implementation choices the spec leaves open (not PIB attributes)."""

    #: transaction queue capacity (frames for all sleeping children together)
    indirect_capacity: int = 16
    #: a beacon answers a Beacon Request after a random delay in [0, this] us, then CSMA-CA
    beacon_jitter_us: int = 5_000
    #: set Frame Pending in the ACK of any frame from a device we hold data for (802.15.4
    #: allows it), not only of its Data Requests
    ack_pending_for_any_frame: bool = False
    #: duplicate rejection: last DSN remembered for this many source addresses (least
    #: recently heard forgotten first)
    duplicate_table_size: int = 64
    #: duplicate rejection window, us. A retransmission repeats the frame with its DSN
    #: (802.15.4-2006 7.5.6.4.3), so an acknowledged frame whose source, DSN and payload equal
    #: those of the last one from that source is dropped (after being ACKed again) only if
    #: the earlier one came less than this long ago: the span of one frame's first
    #: transmission and macMaxFrameRetries retries with worst-case CSMA-CA and ACK waits
    #: (:func:`~zigmesh.mac.pib.max_retransmission_time`, 171,008 us with the default PIB).
    #: Later, the sender's 8-bit DSN may simply have wrapped. (A frame extracted by our
    #: Data Request is remembered for macTransactionPersistenceTime instead: a coordinator
    #: re-sends an unacknowledged indirect frame, same DSN, at the next poll.) 0 disables it.
    duplicate_window_us: int = DUPLICATE_WINDOW_US
    #: ED scan: the energy is sampled this often over each channel's scan duration
    ed_sample_interval_us: int = 320

    def __post_init__(self) -> None:
        if self.duplicate_table_size < 1:
            raise LocalProtocolError("duplicate_table_size must be >= 1")
        if self.duplicate_window_us < 0:
            raise LocalProtocolError("duplicate_window_us must be >= 0")


@dataclass(slots=True)
class MacStats:
    """Per-MAC counters (frames from the air never raise: they end up here)."""

    #: frames put on air (ACKs excluded), their PSDU bytes, and ACKs sent
    tx_frames: int = 0
    tx_bytes: int = 0
    tx_acks: int = 0
    #: transmissions confirmed (ACK received, or no ACK requested)
    tx_success: int = 0
    #: retransmissions after a missing ACK
    tx_retries: int = 0
    tx_no_ack: int = 0
    tx_channel_access_failures: int = 0
    #: ACKs that could not be sent (our radio was transmitting when they were due)
    tx_acks_skipped: int = 0
    #: frames accepted (for us, FCS good, decoded)
    rx_frames: int = 0
    #: ACKs matching our pending DSN
    rx_acks: int = 0
    rx_bad_fcs: int = 0
    rx_decode_error: int = 0
    rx_not_for_us: int = 0
    rx_duplicate: int = 0
    #: valid frames for us that nothing was expecting (beacons outside a scan, frames during
    #: a scan, responses to no request, association requests while not permitted)
    rx_ignored: int = 0
    indirect_queued: int = 0
    indirect_expired: int = 0
    indirect_overflow: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class _TxJob:
    """One frame to send with CSMA-CA (and ACK/retries when ``ack``)."""

    __slots__ = ("psdu", "seq", "ack", "kind", "handle", "retries", "trans", "ctx")

    def __init__(self, psdu: bytes, seq: int, ack: bool, kind: int, handle: int = 0) -> None:
        self.psdu = psdu
        self.seq = seq
        self.ack = ack
        self.kind = kind
        self.handle = handle
        self.retries = 0
        self.trans: Transaction | None = None
        self.ctx: tuple[Any, ...] = ()


class _Seen:
    """Duplicate table entry: the last acknowledged frame heard from one source."""

    __slots__ = ("dsn", "until", "payload")

    def __init__(self) -> None:
        self.dsn = -1
        #: a repeat received before this time is a retransmission
        self.until = 0
        self.payload = b""


class _Scan:
    """State of one MLME-SCAN."""

    __slots__ = (
        "scan_type",
        "channels",
        "index",
        "duration_us",
        "channel_page",
        "ed",
        "ed_max",
        "ed_end",
        "pans",
        "seen",
        "beacons",
        "unscanned",
        "scanned",
        "saved_pan",
        "saved_channel",
        "timer",
        "started",
        "realigned",
    )

    def __init__(
        self, scan_type: ScanType, channels: list[int], duration_us: int, channel_page: int
    ) -> None:
        self.scan_type = scan_type
        self.channels = channels
        self.index = 0
        self.duration_us = duration_us
        self.channel_page = channel_page
        self.ed: list[int] = []
        self.ed_max = 0
        self.ed_end = 0
        self.pans: list[PanDescriptor] = []
        self.seen: set[tuple[int, int, int]] = set()
        self.beacons = 0
        self.unscanned: list[int] = []
        self.scanned: list[int] = []
        self.saved_pan = 0xFFFF
        self.saved_channel = 11
        self.timer: TimerHandle | None = None
        self.started = False
        self.realigned = False


def _addr_mode(addr: int, mode: AddrMode | None) -> AddrMode:
    """Mode of an address given to a request: explicit, else EUI64 / > 0xFFFF is extended."""
    if mode is not None:
        if mode == _NONE:
            raise LocalProtocolError("an address needs a SHORT or EXTENDED mode")
        return mode
    return _EXT if isinstance(addr, EUI64) or addr > 0xFFFF else _SHORT


def _check_addr(addr: int, mode: AddrMode, what: str) -> None:
    hi = 0xFFFF if mode == _SHORT else 0xFFFF_FFFF_FFFF_FFFF
    if not isinstance(addr, int) or not 0 <= addr <= hi:
        raise LocalProtocolError(f"{what} {addr!r} out of range for {mode.name} addressing")


def _with_pending(psdu: bytes) -> bytes:
    """The same frame with Frame Pending set (FCS recomputed)."""
    return append_fcs(bytes((psdu[0] | _FCF_FRAME_PENDING,)) + psdu[1:-2])


def _channel_list(channels: Iterable[int] | int) -> list[int]:
    if isinstance(channels, int):
        if not 0 <= channels < 1 << 27:
            raise LocalProtocolError(f"channel mask {channels:#x} out of range")
        return [c for c in CHANNELS if channels >> c & 1]
    out = list(channels)
    for c in out:
        if c not in CHANNELS:
            raise LocalProtocolError(f"channel {c} not in 11-26")
    return out


class Mac:
    """One node's 802.15.4 MAC (non-beacon PAN): MCPS-DATA, MLME and indirect transmission.

    ``Mac(phy, clock, rng, extended_address)``: the MAC registers itself as ``phy``'s user and
    draws ``mac_dsn`` then ``mac_bsn`` from ``rng`` (``getrandbits(8)`` each); after that
    ``rng`` is used only for CSMA-CA backoffs (``getrandbits(BE)``) and beacon jitter.
    """

    def __init__(
        self,
        phy: Phy,
        clock: Clock,
        rng: random.Random,
        extended_address: int,
        *,
        config: MacConfig | None = None,
    ) -> None:
        if not 0 <= extended_address <= 0xFFFF_FFFF_FFFF_FFFF:
            raise LocalProtocolError(f"extended address {extended_address:#x} out of range")
        self._phy = phy
        self._clock = clock
        self._rng = rng
        self.config = config if config is not None else MacConfig()
        self._ext = EUI64(extended_address)
        self.pib = self._default_pib()
        self.stats = MacStats()
        self._upper: UpperCallback | None = None
        self._csma = UnslottedCsmaCa(
            clock, rng, phy, self.pib, self._csma_clear, self._csma_failed, self._csma_blocked
        )
        self._indirect = TransactionQueue(self.config.indirect_capacity)
        self._queue: deque[_TxJob] = deque()
        self._job: _TxJob | None = None
        self._tx_kind = _TXK_NONE
        self._tx_timer: TimerHandle | None = None
        #: DSN of the ACK we wait for (-1: none) and the ACK-wait timer
        self._ack_seq = -1
        self._ack_timer: TimerHandle | None = None
        #: an ACK of ours is scheduled or on air; when our last ACK ended
        self._acking = False
        self._ack_psdu = b""
        self._ack_send_timer: TimerHandle | None = None
        self._ack_end = -(1 << 62)
        #: duplicate table: source key -> last acknowledged frame (insertion order = LRU)
        self._dsn_seen: dict[int, _Seen] = {}
        self._dup_window = self.config.duplicate_window_us
        self._dup_size = self.config.duplicate_table_size
        #: extracted indirect frames being sent, per destination key
        self._in_flight: dict[int, int] = {}
        self._rx_wait = _RXW_NONE
        self._rx_wait_timer: TimerHandle | None = None
        self._assoc = AssocState.IDLE
        self._assoc_timer: TimerHandle | None = None
        self._assoc_coord: tuple[int, AddrMode] = (0, _SHORT)
        self._poll = PollState.IDLE
        self._scan: _Scan | None = None
        self._started = False
        self._pan_coordinator = False
        self._beacon_timer: TimerHandle | None = None
        self._beacon_queued = False
        #: bumped by MLME-RESET so confirms scheduled before it are dropped
        self._gen = 0
        phy.set_user(self)
        self._go_idle()

    def _default_pib(self) -> MacPib:
        rng = self._rng
        dsn = rng.getrandbits(8)
        bsn = rng.getrandbits(8)
        return MacPib(mac_extended_address=self._ext, mac_dsn=dsn, mac_bsn=bsn)

    # ==========================================================================================
    # upper-layer plumbing
    # ==========================================================================================

    def set_upper(self, upper: UpperCallback | None) -> None:
        """Register the one callback that receives every confirm and indication."""
        self._upper = upper

    @property
    def phy(self) -> Phy:
        return self._phy

    @property
    def extended_address(self) -> EUI64:
        return self._ext

    @property
    def indirect_queue(self) -> TransactionQueue:
        """The transaction queue (read it; do not modify it)."""
        return self._indirect

    @property
    def busy(self) -> bool:
        """True while a frame is being sent or waits to be sent."""
        return self._job is not None or bool(self._queue)

    @property
    def cca_busy_count(self) -> int:
        """CCAs that found the channel busy so far."""
        return self._csma.busy_count

    def _emit(self, ev: MacEvent) -> None:
        upper = self._upper
        if upper is not None:
            upper(ev)

    def _emit_soon(self, ev: MacEvent) -> None:
        """Deliver a confirm from the clock (never from inside the request call)."""
        self._clock.call_later(0, self._emit_gen, self._gen, ev)

    def _emit_gen(self, gen: int, ev: MacEvent) -> None:
        if gen == self._gen:
            self._emit(ev)

    # ==========================================================================================
    # MLME-GET / SET / RESET (synchronous)
    # ==========================================================================================

    def mlme_get(self, attribute: str) -> object:
        """MLME-GET (7.1.6): a MAC PIB attribute by its name, or ``phy_current_channel`` /
        ``phy_tx_power``."""
        if attribute == "phy_current_channel":
            return self._phy.channel
        if attribute == "phy_tx_power":
            return self._phy.tx_power_dbm
        return self.pib.get(attribute)

    def mlme_set(self, attribute: str, value: object) -> None:
        """MLME-SET (7.1.13) with validation; LocalProtocolError on an unknown or read-only
        attribute or a bad value."""
        if attribute == "phy_current_channel":
            if not isinstance(value, int) or value not in CHANNELS:
                raise LocalProtocolError(f"phy_current_channel {value!r} not in 11-26")
            self._set_channel(value)
            return
        if attribute == "phy_tx_power":
            if not isinstance(value, int | float) or not -40 <= value <= 20:
                raise LocalProtocolError(f"phy_tx_power {value!r} out of range -40..20 dBm")
            self._phy.tx_power_dbm = float(value)
            return
        self.pib.set(attribute, value)
        if attribute == "mac_rx_on_when_idle":
            self._go_idle()

    def mlme_reset(self, set_default_pib: bool = True) -> MacStatus:
        """MLME-RESET (7.1.9): abandon every transaction (no confirms), clear the queues,
        optionally restore the PIB defaults; the radio is switched off. Returns SUCCESS."""
        self._gen += 1
        self._csma.cancel()
        for h in (
            self._tx_timer,
            self._ack_timer,
            self._ack_send_timer,
            self._rx_wait_timer,
            self._assoc_timer,
            self._beacon_timer,
        ):
            if h is not None:
                h.cancel()
        self._tx_timer = self._ack_timer = self._ack_send_timer = None
        self._rx_wait_timer = self._assoc_timer = self._beacon_timer = None
        if self._scan is not None and self._scan.timer is not None:
            self._scan.timer.cancel()
        self._scan = None
        for t in self._indirect.clear():
            if t.timer is not None:
                t.timer.cancel()
        if self._job is not None and self._job.trans is not None:
            tr = self._job.trans
            if tr.timer is not None:
                tr.timer.cancel()
        self._queue.clear()
        self._job = None
        self._tx_kind = _TXK_NONE
        self._ack_seq = -1
        self._acking = False
        self._dsn_seen.clear()
        self._in_flight.clear()
        self._rx_wait = _RXW_NONE
        self._assoc = AssocState.IDLE
        self._poll = PollState.IDLE
        self._started = False
        self._pan_coordinator = False
        self._beacon_queued = False
        if set_default_pib:
            self.pib = self._default_pib()
            self._csma.set_pib(self.pib)
        self._go_idle()
        return MacStatus.SUCCESS

    # ==========================================================================================
    # MCPS-DATA (7.1.1)
    # ==========================================================================================

    def mcps_data_request(
        self,
        dst_addr: int | None,
        msdu: bytes,
        *,
        msdu_handle: int = 0,
        dst_pan_id: int | None = None,
        dst_addr_mode: AddrMode | None = None,
        src_addr_mode: AddrMode | None = None,
        ack_request: bool = True,
        indirect: bool = False,
    ) -> None:
        """MCPS-DATA.request: send ``msdu`` to ``dst_addr`` (None: no destination address).

        ``dst_addr_mode`` defaults from the address (:class:`EUI64` or > 0xFFFF: extended);
        ``dst_pan_id`` to ``mac_pan_id``; ``src_addr_mode`` to SHORT, or EXTENDED while
        ``mac_short_address`` is 0xFFFE / 0xFFFF. TX options: ``ack_request`` (ignored for
        the broadcast address) and ``indirect`` (queue for the device's next Data Request).
        The outcome comes as :class:`McpsDataConfirm` with ``msdu_handle``.
        """
        if not isinstance(msdu, bytes | bytearray):
            raise LocalProtocolError("msdu must be bytes")
        if not 0 <= msdu_handle <= 0xFF:
            raise LocalProtocolError(f"msdu_handle {msdu_handle} out of range 0-255")
        pib = self.pib
        pan = pib.mac_pan_id
        if dst_addr is None:
            dm = _NONE
        else:
            dm = _addr_mode(dst_addr, dst_addr_mode)
            _check_addr(dst_addr, dm, "dst_addr")
        dpan = pan if dst_pan_id is None else dst_pan_id
        if not 0 <= dpan <= 0xFFFF:
            raise LocalProtocolError(f"dst_pan_id {dpan} out of range")
        short = pib.mac_short_address
        if src_addr_mode is None:
            sm = _SHORT if short < 0xFFFE else _EXT
        else:
            sm = src_addr_mode
            if sm == _SHORT and short >= 0xFFFE:
                raise LocalProtocolError(
                    f"no short address to send from (mac_short_address {short:#x})"
                )
        if dm == _NONE and sm == _NONE:
            self._emit_soon(
                McpsDataConfirm(msdu_handle, MacStatus.INVALID_ADDRESS, self._clock.now())
            )
            return
        broadcast = dm == _SHORT and dst_addr == _BROADCAST
        if indirect and (dm == _NONE or broadcast):
            self._emit_soon(
                McpsDataConfirm(msdu_handle, MacStatus.INVALID_ADDRESS, self._clock.now())
            )
            return
        ack = ack_request and dm != _NONE and not broadcast
        seq = pib.mac_dsn
        pib.mac_dsn = (seq + 1) & 0xFF
        if dm == _SHORT and sm == _SHORT and dpan == pan:
            psdu = append_fcs(
                _HDR_SHORT_SHORT.pack(
                    _FCF_DATA_SHORT_SHORT | _FCF_ACK_REQUEST if ack else _FCF_DATA_SHORT_SHORT,
                    seq,
                    pan,
                    dst_addr,
                    short,
                )
                + msdu
            )
        else:
            src = None if sm == _NONE else (short if sm == _SHORT else self._ext)
            psdu = MacFrame.data(
                None if dm == _NONE else dpan,
                dst_addr,
                src,
                bytes(msdu),
                seq=seq,
                src_pan=None if sm == _NONE else pan,
                ack_request=ack,
                dst_mode=dm,
                src_mode=sm,
            ).encode()
        if len(psdu) > MAX_PSDU:
            self._emit_soon(
                McpsDataConfirm(msdu_handle, MacStatus.FRAME_TOO_LONG, self._clock.now())
            )
            return
        if indirect:
            assert dst_addr is not None
            if not self._queue_indirect(psdu, seq, _K_DATA, msdu_handle, dm == _EXT, dst_addr):
                self._emit_soon(
                    McpsDataConfirm(msdu_handle, MacStatus.TRANSACTION_OVERFLOW, self._clock.now())
                )
            return
        job = _TxJob(psdu, seq, ack, _K_DATA, msdu_handle)
        self._queue.append(job)
        if self._job is None:
            self._start_next()

    def mcps_purge_request(self, msdu_handle: int) -> MacStatus:
        """MCPS-PURGE (7.1.1.4): drop a queued indirect data frame; SUCCESS or INVALID_HANDLE."""
        for t in self._indirect:
            if t.kind == _K_DATA and t.handle == msdu_handle:
                self._indirect.remove(t)
                if t.timer is not None:
                    t.timer.cancel()
                return MacStatus.SUCCESS
        return MacStatus.INVALID_HANDLE

    # ==========================================================================================
    # MLME requests
    # ==========================================================================================

    def mlme_start_request(
        self,
        pan_id: int,
        channel: int,
        *,
        pan_coordinator: bool = True,
        beacon_order: int = 15,
        superframe_order: int = 15,
    ) -> None:
        """MLME-START (7.1.14): start a non-beacon PAN as its coordinator, or start answering
        Beacon Requests as a router of the PAN (``pan_coordinator`` False).

        Confirm: SUCCESS; NO_SHORT_ADDRESS while ``mac_short_address`` is 0xFFFF;
        INVALID_PARAMETER for a beacon-enabled order (< 15).
        """
        if not 0 <= pan_id <= 0xFFFE:
            raise LocalProtocolError(f"pan_id {pan_id:#x} out of range")
        if channel not in CHANNELS:
            raise LocalProtocolError(f"channel {channel} not in 11-26")
        if beacon_order != 15 or superframe_order != 15:
            status = MacStatus.INVALID_PARAMETER
        elif self.pib.mac_short_address == 0xFFFF:
            status = MacStatus.NO_SHORT_ADDRESS
        else:
            self.pib.mac_pan_id = pan_id
            self._set_channel(channel)
            self._started = True
            self._pan_coordinator = pan_coordinator
            status = MacStatus.SUCCESS
        self._emit_soon(MlmeStartConfirm(status))
        self._go_idle()

    def mlme_scan_request(
        self,
        scan_type: ScanType,
        channels: Iterable[int] | int,
        scan_duration: int = 3,
        channel_page: int = 0,
    ) -> None:
        """MLME-SCAN (7.1.11, 7.5.2.1): ED, ACTIVE, PASSIVE or ORPHAN scan over ``channels``
        (a list, or a 27-bit channel mask). Each channel is scanned for
        ``aBaseSuperframeDuration x (2^scan_duration + 1)`` symbols (ED / active / passive);
        an orphan scan waits macResponseWaitTime per channel. The PHY channel and
        ``mac_pan_id`` are restored afterwards (unless an orphan scan found its coordinator).
        """
        if not 0 <= scan_duration <= 14:
            raise LocalProtocolError(f"scan_duration {scan_duration} out of range 0-14")
        st = ScanType(scan_type)
        chans = _channel_list(channels)
        if self._scan is not None:
            self._emit_soon(
                MlmeScanConfirm(MacStatus.SCAN_IN_PROGRESS, st, channel_page, tuple(chans), (), ())
            )
            return
        if self._assoc != AssocState.IDLE or self._poll != PollState.IDLE:
            raise LocalProtocolError("cannot scan during an association or a poll")
        duration = A_BASE_SUPERFRAME_DURATION_US * ((1 << scan_duration) + 1)
        scan = _Scan(st, chans, duration, channel_page)
        self._scan = scan
        if self._job is None and not self._acking and self._tx_kind == _TXK_NONE:
            self._scan_begin()

    def mlme_associate_request(
        self,
        channel: int,
        coord_pan_id: int,
        coord_address: int,
        capability_information: CapabilityInformation,
        *,
        coord_addr_mode: AddrMode | None = None,
    ) -> None:
        """MLME-ASSOCIATE.request (7.1.3.1, 7.5.3.1): ask ``coord_address`` to let us join.

        Sends an Association Request, waits macResponseWaitTime, extracts the Association
        Response with a Data Request; :class:`MlmeAssociateConfirm` carries the short address
        (or NO_ACK, CHANNEL_ACCESS_FAILURE, NO_DATA, PAN_AT_CAPACITY, PAN_ACCESS_DENIED).
        """
        if self._assoc != AssocState.IDLE or self._poll != PollState.IDLE:
            raise LocalProtocolError("an association or poll is already in progress")
        if self._scan is not None:
            raise LocalProtocolError("cannot associate during a scan")
        if channel not in CHANNELS:
            raise LocalProtocolError(f"channel {channel} not in 11-26")
        if not 0 <= coord_pan_id <= 0xFFFE:
            raise LocalProtocolError(f"coord_pan_id {coord_pan_id:#x} out of range")
        cm = _addr_mode(coord_address, coord_addr_mode)
        _check_addr(coord_address, cm, "coord_address")
        pib = self.pib
        self._set_channel(channel)
        pib.mac_pan_id = coord_pan_id
        if cm == _EXT:
            pib.mac_coord_extended_address = coord_address
        else:
            pib.mac_coord_short_address = coord_address
        self._assoc_coord = (coord_address, cm)
        seq = self._next_dsn()
        psdu = MacFrame.command(
            AssociationRequest(capability_information),
            seq=seq,
            dst_pan=coord_pan_id,
            dst_addr=coord_address,
            dst_mode=cm,
            src_pan=_BROADCAST,
            src_addr=self._ext,
            src_mode=_EXT,
            ack_request=True,
        ).encode()
        self._assoc = AssocState.REQUESTING
        self._enqueue(_TxJob(psdu, seq, True, _K_ASSOC_REQ))

    def mlme_associate_response(
        self,
        device_address: int,
        assoc_short_address: int,
        status: MacStatus | int = MacStatus.SUCCESS,
    ) -> None:
        """MLME-ASSOCIATE.response (7.1.3.3): answer an :class:`MlmeAssociateIndication`.

        The Association Response is queued for indirect transmission; its fate comes as
        :class:`MlmeCommStatusIndication` (SUCCESS, TRANSACTION_EXPIRED,
        TRANSACTION_OVERFLOW).
        """
        _check_addr(device_address, _EXT, "device_address")
        if not 0 <= assoc_short_address <= 0xFFFF:
            raise LocalProtocolError(f"assoc_short_address {assoc_short_address:#x} out of range")
        if not 0 <= int(status) <= 0xFF:
            raise LocalProtocolError(f"association status {status} out of range")
        pib = self.pib
        seq = self._next_dsn()
        psdu = MacFrame.command(
            AssociationResponse(assoc_short_address, int(status)),
            seq=seq,
            dst_pan=pib.mac_pan_id,
            dst_addr=device_address,
            dst_mode=_EXT,
            src_addr=self._ext,
            src_mode=_EXT,
            ack_request=True,
        ).encode()
        if not self._queue_indirect(psdu, seq, _K_ASSOC_RESP, 0, True, device_address):
            self._emit_soon(
                MlmeCommStatusIndication(
                    pib.mac_pan_id,
                    _EXT,
                    self._ext,
                    _EXT,
                    device_address,
                    MacStatus.TRANSACTION_OVERFLOW,
                )
            )

    def mlme_disassociate_request(
        self,
        device_address: int,
        disassociate_reason: DisassociationReason | int,
        *,
        tx_indirect: bool = False,
        device_pan_id: int | None = None,
        device_addr_mode: AddrMode | None = None,
    ) -> None:
        """MLME-DISASSOCIATE.request (7.1.4.1, 7.5.3.2).

        To our coordinator: we leave (sent directly; the association PIB attributes are
        cleared whatever the outcome). To a child: ``tx_indirect`` queues it for a sleeping
        child. The outcome comes as :class:`MlmeDisassociateConfirm`.
        """
        dm = _addr_mode(device_address, device_addr_mode)
        _check_addr(device_address, dm, "device_address")
        pib = self.pib
        pan = pib.mac_pan_id if device_pan_id is None else device_pan_id
        to_coord = (
            device_address == pib.mac_coord_extended_address
            if dm == _EXT
            else device_address == pib.mac_coord_short_address
        )
        seq = self._next_dsn()
        psdu = MacFrame.command(
            DisassociationNotification(disassociate_reason),
            seq=seq,
            dst_pan=pan,
            dst_addr=device_address,
            dst_mode=dm,
            src_addr=self._ext,
            src_mode=_EXT,
            ack_request=True,
        ).encode()
        if tx_indirect and not to_coord:
            if not self._queue_indirect(psdu, seq, _K_DISASSOC, 0, dm == _EXT, device_address):
                self._emit_soon(
                    MlmeDisassociateConfirm(MacStatus.TRANSACTION_OVERFLOW, dm, pan, device_address)
                )
            return
        job = _TxJob(psdu, seq, True, _K_DISASSOC)
        job.ctx = (dm, pan, device_address, to_coord)
        self._enqueue(job)

    def mlme_poll_request(
        self,
        coord_address: int | None = None,
        coord_pan_id: int | None = None,
        *,
        coord_addr_mode: AddrMode | None = None,
    ) -> None:
        """MLME-POLL.request (7.1.16.1): send a Data Request to the coordinator (default: its
        short address, else its extended one). :class:`MlmePollConfirm`: SUCCESS when a frame
        came, NO_DATA when the ACK had no Frame Pending or nothing came within
        macMaxFrameTotalWaitTime; NO_ACK / CHANNEL_ACCESS_FAILURE."""
        if self._poll != PollState.IDLE or self._assoc != AssocState.IDLE:
            raise LocalProtocolError("a poll or association is already in progress")
        if self._scan is not None:
            raise LocalProtocolError("cannot poll during a scan")
        pib = self.pib
        if coord_address is None:
            if pib.mac_coord_short_address < 0xFFFE:
                coord_address, cm = pib.mac_coord_short_address, _SHORT
            else:
                coord_address, cm = pib.mac_coord_extended_address, _EXT
        else:
            cm = _addr_mode(coord_address, coord_addr_mode)
        _check_addr(coord_address, cm, "coord_address")
        pan = pib.mac_pan_id if coord_pan_id is None else coord_pan_id
        self._poll = PollState.REQUESTING
        self._enqueue(self._data_request_job(coord_address, cm, pan, _K_POLL, extended_src=False))

    def mlme_orphan_response(
        self, orphan_address: int, short_address: int, associated_member: bool = True
    ) -> None:
        """MLME-ORPHAN.response (7.1.8.2): for a member, send it a Coordinator Realignment
        (outcome: :class:`MlmeCommStatusIndication`); for a stranger, do nothing."""
        _check_addr(orphan_address, _EXT, "orphan_address")
        if not associated_member:
            return
        pib = self.pib
        seq = self._next_dsn()
        psdu = MacFrame.command(
            CoordinatorRealignment(
                pib.mac_pan_id, pib.mac_short_address, self._phy.channel, short_address
            ),
            seq=seq,
            dst_pan=_BROADCAST,
            dst_addr=orphan_address,
            dst_mode=_EXT,
            src_pan=pib.mac_pan_id,
            src_addr=self._ext,
            src_mode=_EXT,
            ack_request=True,
        ).encode()
        job = _TxJob(psdu, seq, True, _K_REALIGN)
        job.ctx = (orphan_address,)
        self._enqueue(job)

    # ==========================================================================================
    # helpers for requests
    # ==========================================================================================

    def _next_dsn(self) -> int:
        pib = self.pib
        seq = pib.mac_dsn
        pib.mac_dsn = (seq + 1) & 0xFF
        return seq

    def _set_channel(self, channel: int) -> None:
        if self._tx_kind != _TXK_NONE or self._phy.state == _TX:
            raise LocalProtocolError("cannot change channel while transmitting")
        self._phy.channel = channel

    def _data_request_job(
        self, coord: int, cm: AddrMode, pan: int, kind: int, *, extended_src: bool
    ) -> _TxJob:
        short = self.pib.mac_short_address
        if extended_src or short >= 0xFFFE:
            src: int = self._ext
            sm = _EXT
        else:
            src, sm = short, _SHORT
        seq = self._next_dsn()
        psdu = MacFrame.command(
            DataRequest(),
            seq=seq,
            dst_pan=pan,
            dst_addr=coord,
            dst_mode=cm,
            src_addr=src,
            src_mode=sm,
            ack_request=True,
        ).encode()
        return _TxJob(psdu, seq, True, kind)

    def _queue_indirect(
        self, psdu: bytes, seq: int, kind: int, handle: int, ext: bool, addr: int
    ) -> bool:
        now = self._clock.now()
        t = Transaction(address_key(ext, addr), psdu, seq, kind, handle, ext, addr, now)
        if not self._indirect.add(t):
            self.stats.indirect_overflow += 1
            return False
        t.timer = self._clock.call_later(self.pib.transaction_persistence_us, self._expire, t)
        self.stats.indirect_queued += 1
        return True

    def _expire(self, t: Transaction) -> None:
        t.timer = None
        if t.in_flight:
            t.expired = True
            return
        self._indirect.remove(t)
        self.stats.indirect_expired += 1
        self._report_transaction(t, MacStatus.TRANSACTION_EXPIRED)

    def _report_transaction(self, t: Transaction, status: MacStatus) -> None:
        kind = t.kind
        mode = _EXT if t.dst_extended else _SHORT
        if kind == _K_DATA:
            self._emit(McpsDataConfirm(t.handle, status, self._clock.now()))
        elif kind == _K_ASSOC_RESP:
            self._emit(
                MlmeCommStatusIndication(
                    self.pib.mac_pan_id, _EXT, self._ext, mode, t.dst_addr, status
                )
            )
        else:
            self._emit(MlmeDisassociateConfirm(status, mode, self.pib.mac_pan_id, t.dst_addr))

    # ==========================================================================================
    # transmit engine: one job at a time (CSMA-CA, turnaround, TX, ACK wait, retries)
    # ==========================================================================================

    def _enqueue(self, job: _TxJob, front: bool = False) -> None:
        if front:
            self._queue.appendleft(job)
        else:
            self._queue.append(job)
        if self._job is None:
            self._start_next()

    def _start_next(self) -> None:
        if self._job is not None or self._acking or self._tx_kind != _TXK_NONE:
            return
        scan = self._scan
        if scan is not None and not scan.started:
            self._scan_begin()
            return
        queue = self._queue
        if not queue:
            return
        if scan is not None and queue[0].kind not in _SCAN_KINDS:
            return
        job = queue.popleft()
        self._job = job
        if not self.pib.mac_rx_on_when_idle and self._phy.state == _SLEEP:
            self._phy.set_state(_IDLE)
        self._csma.start()

    def _csma_blocked(self) -> bool:
        # our own ACK is due or on air, or ended inside the CCA window: we could not listen
        if self._acking or self._clock.now() - self._ack_end < CCA_DURATION_US:
            return True
        return self._phy.state != _RX

    def _csma_clear(self) -> None:
        self._tx_timer = self._clock.call_later(A_TURNAROUND_TIME_US, self._tx_go)

    def _csma_failed(self) -> None:
        self._job_done(MacStatus.CHANNEL_ACCESS_FAILURE, False)

    def _tx_go(self) -> None:
        self._tx_timer = None
        if self._acking:  # an ACK of ours took the radio meanwhile
            self._csma.busy()
            return
        job = self._job
        if job is None:
            return
        psdu = job.psdu
        self._phy.transmit(psdu)
        self._tx_kind = _TXK_FRAME
        stats = self.stats
        stats.tx_frames += 1
        stats.tx_bytes += len(psdu)

    def pd_tx_done(self) -> None:
        """PD-DATA.confirm: our frame or ACK has left the antenna (radio now in RX)."""
        kind = self._tx_kind
        self._tx_kind = _TXK_NONE
        if kind == _TXK_FRAME:
            job = self._job
            if job is not None:
                if job.ack:
                    self._ack_seq = job.seq
                    self._ack_timer = self._clock.call_later(
                        MAC_ACK_WAIT_DURATION_US, self._ack_timeout
                    )
                else:
                    self._job_done(MacStatus.SUCCESS, False)
                return
        elif kind == _TXK_ACK:
            self._acking = False
            self._ack_end = self._clock.now()
            if self._job is None:
                self._start_next()
        self._go_idle()

    def _ack_timeout(self) -> None:
        self._ack_timer = None
        self._ack_seq = -1
        job = self._job
        if job is None:
            return
        if job.kind == _K_INDIRECT or job.retries >= self.pib.mac_max_frame_retries:
            self._job_done(MacStatus.NO_ACK, False)
            return
        job.retries += 1
        self.stats.tx_retries += 1
        if not self.pib.mac_rx_on_when_idle and self._phy.state == _RX:
            self._phy.set_state(_IDLE)
        self._csma.start()

    def _on_ack(self, pending: bool) -> None:
        self._ack_seq = -1
        timer = self._ack_timer
        if timer is not None:
            timer.cancel()
            self._ack_timer = None
        self.stats.rx_acks += 1
        self._job_done(MacStatus.SUCCESS, pending)

    def _job_done(self, status: MacStatus, pending: bool) -> None:
        job = self._job
        self._job = None
        if job is None:
            return
        stats = self.stats
        if status == MacStatus.SUCCESS:
            stats.tx_success += 1
        elif status == MacStatus.NO_ACK:
            stats.tx_no_ack += 1
        else:
            stats.tx_channel_access_failures += 1
        kind = job.kind
        if kind == _K_DATA:
            self._emit(McpsDataConfirm(job.handle, status, self._clock.now(), job.retries))
        else:
            self._job_finished(job, status, pending)
        if self._job is None:
            self._start_next()
            if self._job is None:
                self._go_idle()

    def _job_finished(self, job: _TxJob, status: MacStatus, pending: bool) -> None:
        """Completion of everything but direct data frames."""
        kind = job.kind
        ok = status == MacStatus.SUCCESS
        if kind == _K_INDIRECT:
            t = job.trans
            assert t is not None
            t.in_flight = False
            left = self._in_flight.pop(t.key, 1) - 1
            if left:
                self._in_flight[t.key] = left
            if ok:
                if t.timer is not None:
                    t.timer.cancel()
                    t.timer = None
                self._report_transaction(t, status)
            elif t.expired:
                self.stats.indirect_expired += 1
                self._report_transaction(t, MacStatus.TRANSACTION_EXPIRED)
            else:
                self._indirect.put_back(t)
        elif kind == _K_POLL:
            if not ok:
                self._poll = PollState.IDLE
                self._emit(MlmePollConfirm(status))
            elif not pending:
                self._poll = PollState.IDLE
                self._emit(MlmePollConfirm(MacStatus.NO_DATA))
            else:
                self._poll = PollState.RECEIVING
                self._start_rx_wait(_RXW_POLL)
        elif kind == _K_ASSOC_REQ:
            if not ok:
                self._assoc_fail(status)
            else:
                self._assoc = AssocState.WAITING
                self._assoc_timer = self._clock.call_later(
                    self.pib.response_wait_us, self._assoc_poll
                )
        elif kind == _K_ASSOC_POLL:
            if not ok:
                self._assoc_fail(status)
            elif not pending:
                self._assoc_fail(MacStatus.NO_DATA)
            else:
                self._assoc = AssocState.RECEIVING
                self._start_rx_wait(_RXW_ASSOC)
        elif kind in _SCAN_KINDS:
            self._scan_sent(status)
        elif kind == _K_BEACON:
            self._beacon_queued = False
        elif kind == _K_DISASSOC:
            dm, pan, addr, to_coord = job.ctx
            if to_coord:
                self._forget_pan()
            self._emit(MlmeDisassociateConfirm(status, dm, pan, addr))
        elif kind == _K_REALIGN:
            pib = self.pib
            self._emit(
                MlmeCommStatusIndication(pib.mac_pan_id, _EXT, self._ext, _EXT, job.ctx[0], status)
            )

    def _go_idle(self) -> None:
        """Put the radio in its idle state (RX or SLEEP) when nothing is going on."""
        if (
            self._job is not None
            or self._tx_kind != _TXK_NONE
            or self._acking
            or self._rx_wait != _RXW_NONE
            or self._scan is not None
        ):
            return
        phy = self._phy
        st = phy.state
        if st == _TX:
            return
        if self.pib.mac_rx_on_when_idle:
            if st != _RX:
                phy.set_state(_RX)
        elif st != _SLEEP:
            phy.set_state(_SLEEP)

    # -- waiting for an indirect frame ---------------------------------------------------------

    def _start_rx_wait(self, what: int) -> None:
        self._rx_wait = what
        st = self._phy.state
        if st != _RX and st != _TX:
            self._phy.set_state(_RX)
        self._rx_wait_timer = self._clock.call_later(
            self.pib.max_frame_total_wait_us, self._rx_wait_timeout
        )

    def _end_rx_wait(self) -> None:
        self._rx_wait = _RXW_NONE
        timer = self._rx_wait_timer
        if timer is not None:
            timer.cancel()
            self._rx_wait_timer = None

    def _rx_wait_timeout(self) -> None:
        self._rx_wait_timer = None
        what = self._rx_wait
        self._rx_wait = _RXW_NONE
        if what == _RXW_POLL:
            self._poll = PollState.IDLE
            self._emit(MlmePollConfirm(MacStatus.NO_DATA))
        elif what == _RXW_ASSOC:
            self._assoc_fail(MacStatus.NO_DATA)
        self._go_idle()

    # -- association (device side) -----------------------------------------------------------------

    def _assoc_poll(self) -> None:
        self._assoc_timer = None
        coord, cm = self._assoc_coord
        self._assoc = AssocState.POLLING
        self._enqueue(
            self._data_request_job(coord, cm, self.pib.mac_pan_id, _K_ASSOC_POLL, extended_src=True)
        )

    def _assoc_fail(self, status: MacStatus) -> None:
        self._assoc = AssocState.IDLE
        if self._assoc_timer is not None:
            self._assoc_timer.cancel()
            self._assoc_timer = None
        self._forget_pan()
        self._emit(MlmeAssociateConfirm(0xFFFF, status))

    def _forget_pan(self) -> None:
        """Remove every reference to the PAN (7.5.3.2)."""
        pib = self.pib
        pib.mac_pan_id = 0xFFFF
        pib.mac_short_address = 0xFFFF
        pib.mac_associated_pan_coord = False
        pib.mac_coord_short_address = 0xFFFF
        pib.mac_coord_extended_address = 0

    # ==========================================================================================
    # receive path
    # ==========================================================================================

    def pd_data_indication(self, psdu: bytes, rssi_dbm: int, lqi: int) -> None:
        """PD-DATA.indication: a PSDU (FCS included, unchecked) arrived from the PHY."""
        n = len(psdu)
        if n == 5 and psdu[0] & 7 == 2:  # immediate ACK (fcf, seq, FCS)
            if psdu[2] == self._ack_seq:
                if fcs_ok(psdu):
                    self._on_ack(bool(psdu[0] & _FCF_FRAME_PENDING))
                else:
                    self.stats.rx_bad_fcs += 1
            else:
                self.stats.rx_not_for_us += 1
            return
        if n >= 9 and psdu[1] & 0x2C == 0x08:
            # 2003/2006 frame with a short destination: PAN ID at 3, address at 5
            pib = self.pib
            dst = psdu[5] | psdu[6] << 8
            if dst != pib.mac_short_address and dst != _BROADCAST:
                self.stats.rx_not_for_us += 1
                return
            pan = psdu[3] | psdu[4] << 8
            if pan != pib.mac_pan_id and pan != _BROADCAST:
                self.stats.rx_not_for_us += 1
                return
        self._rx_frame(psdu, rssi_dbm, lqi)

    def _rx_frame(self, psdu: bytes, rssi: int, lqi: int) -> None:
        stats = self.stats
        try:
            f = _decode_psdu(psdu)
        except DecodeError as e:
            if e.field == "fcs":
                stats.rx_bad_fcs += 1
            else:
                stats.rx_decode_error += 1
            return
        pib = self.pib
        ft = f.frame_type
        dm = f.dst_mode
        dst = f.dst_addr
        # third-level filtering (802.15.4-2006 7.5.6.2)
        if (dm == _SHORT and dst != pib.mac_short_address and dst != _BROADCAST) or (
            dm == _EXT and dst != self._ext
        ):
            stats.rx_not_for_us += 1
            return
        if dm != _NONE:
            dpan = f.dst_pan
            if dpan is not None and dpan != pib.mac_pan_id and dpan != _BROADCAST:
                stats.rx_not_for_us += 1
                return
        elif ft != _FT_BEACON and not (
            self._pan_coordinator and f.src_pan == pib.mac_pan_id and f.src_mode != _NONE
        ):
            stats.rx_not_for_us += 1
            return
        if ft != _FT_DATA and ft != _FT_CMD and ft != _FT_BEACON:
            stats.rx_not_for_us += 1  # enhanced ACKs and others we do not use
            return
        scan = self._scan
        # during a scan only beacons (active/passive) and realignments (orphan) count
        if (
            scan is not None
            and ft != _FT_BEACON
            and not (
                scan.scan_type == ScanType.ORPHAN
                and ft == _FT_CMD
                and f.payload[:1] == b"\x08"
                and dm == _EXT
            )
        ):
            stats.rx_ignored += 1
            return
        stats.rx_frames += 1
        now = self._clock.now()
        pending = False
        if f.ack_request and dm != _NONE and dst != _BROADCAST and ft != _FT_BEACON:
            sm = f.src_mode
            key = -1
            if sm != _NONE:
                src = f.src_addr
                assert src is not None
                key = src | EXT_KEY if sm == _EXT else src
                if (
                    ft == _FT_CMD and f.payload[:1] == b"\x04"
                ) or self.config.ack_pending_for_any_frame:
                    # Frame Pending: queued here, or extracted and still on its way
                    pending = self._indirect.has(key) or key in self._in_flight
            self._send_ack_later(f.seq or 0, pending)
            seq = f.seq
            if key >= 0 and seq is not None and self._duplicate(key, seq, f.payload, now):
                stats.rx_duplicate += 1
                if self._rx_wait == _RXW_POLL:
                    # the polled frame is one we already have (our ACK of it was lost)
                    self._end_rx_wait()
                    self._poll = PollState.IDLE
                    self._emit(MlmePollConfirm(MacStatus.NO_DATA))
                    self._go_idle()
                return
        if ft == _FT_DATA:
            if self._rx_wait == _RXW_POLL and dst != _BROADCAST:
                self._on_data(f, rssi, lqi, now)
                return
            # == self._indicate(f, rssi, lqi, now), inline: once per receiver of a data frame
            upper = self._upper
            if upper is not None:
                upper(
                    McpsDataIndication(
                        f.src_mode,
                        f.src_pan,
                        f.src_addr,
                        dm,
                        f.dst_pan,
                        dst,
                        f.payload,
                        lqi,
                        f.seq,
                        now,
                        rssi,
                        f.frame_pending,
                    )
                )
        elif ft == _FT_CMD:
            self._on_command(f, rssi, lqi, pending, now)
        else:
            self._on_beacon(f, rssi, lqi, now)

    def _duplicate(self, key: int, seq: int, payload: bytes, now: int) -> bool:
        """Duplicate rejection of acknowledged frames (see ``MacConfig.duplicate_window_us``).

        Only frames that asked for an ACK get here: broadcasts and other unacknowledged
        frames are never retransmitted by a MAC, so they neither count as duplicates nor
        replace the entry of their source.
        """
        seen = self._dsn_seen
        e = seen.pop(key, None)
        if e is None:
            if len(seen) >= self._dup_size:
                del seen[next(iter(seen))]
            e = _Seen()
        elif e.dsn == seq and now < e.until and e.payload == payload:
            seen[key] = e  # the window runs from the first copy: not extended
            return True
        e.dsn = seq
        e.payload = payload
        if self._rx_wait != _RXW_NONE:
            # extracted by our Data Request: an unacknowledged indirect frame comes again,
            # same DSN, at our next poll, as long as the coordinator keeps it
            e.until = now + self.pib.transaction_persistence_us
        else:
            e.until = now + self._dup_window
        seen[key] = e
        return False

    def _send_ack_later(self, seq: int, pending: bool) -> None:
        if self._acking:
            self.stats.tx_acks_skipped += 1
            return
        self._acking = True
        self._ack_psdu = _ACK_FRAMES[seq | 0x100] if pending else _ACK_FRAMES[seq]
        self._ack_send_timer = self._clock.call_later(A_TURNAROUND_TIME_US, self._send_ack)

    def _send_ack(self) -> None:
        self._ack_send_timer = None
        phy = self._phy
        if self._tx_kind != _TXK_NONE or phy.state != _RX:
            # our own frame went on air first (or the radio was switched off): no ACK
            self._acking = False
            self.stats.tx_acks_skipped += 1
            if self._job is None:
                self._start_next()
            self._go_idle()
            return
        phy.transmit(self._ack_psdu)
        self._tx_kind = _TXK_ACK
        self.stats.tx_acks += 1

    def _on_data(self, f: MacFrame, rssi: int, lqi: int, now: int) -> None:
        payload = f.payload
        if self._rx_wait == _RXW_POLL and f.dst_addr != _BROADCAST:
            self._end_rx_wait()
            self._poll = PollState.IDLE
            if payload:
                self._indicate(f, rssi, lqi, now)
            self._emit(MlmePollConfirm(MacStatus.SUCCESS if payload else MacStatus.NO_DATA))
            self._go_idle()
            return
        self._indicate(f, rssi, lqi, now)

    def _indicate(self, f: MacFrame, rssi: int, lqi: int, now: int) -> None:
        upper = self._upper
        if upper is not None:
            upper(
                McpsDataIndication(
                    f.src_mode,
                    f.src_pan,
                    f.src_addr,
                    f.dst_mode,
                    f.dst_pan,
                    f.dst_addr,
                    f.payload,
                    lqi,
                    f.seq,
                    now,
                    rssi,
                    f.frame_pending,
                )
            )

    def _on_command(self, f: MacFrame, rssi: int, lqi: int, pending: bool, now: int) -> None:
        try:
            cmd = decode_command(f.payload)
        except DecodeError:
            self.stats.rx_decode_error += 1
            return
        pib = self.pib
        stats = self.stats
        if isinstance(cmd, DataRequest):
            src = f.src_addr
            if src is not None:
                if pending:
                    self._extract(src | EXT_KEY if f.src_mode == _EXT else src)
                # ACK scheduled, transaction (if any) on its way: tell the upper layer
                self._emit(MlmePollIndication(f.src_mode, src, now))
            return
        if self._rx_wait == _RXW_POLL and f.dst_addr != _BROADCAST:
            # any frame for us ends the wait for the polled data
            self._end_rx_wait()
            self._poll = PollState.IDLE
            self._emit(MlmePollConfirm(MacStatus.SUCCESS))
        if isinstance(cmd, AssociationRequest):
            if not self._started or not pib.mac_association_permit or f.src_mode != _EXT:
                stats.rx_ignored += 1
                return
            assert f.src_addr is not None
            self._emit(MlmeAssociateIndication(f.src_addr, cmd.capability))
        elif isinstance(cmd, AssociationResponse):
            if self._assoc == AssocState.IDLE or self._assoc == AssocState.REQUESTING:
                stats.rx_ignored += 1
                return
            self._assoc_response(f, cmd)
        elif isinstance(cmd, BeaconRequest):
            if not self._started:
                stats.rx_ignored += 1
                return
            self._beacon_requested()
        elif isinstance(cmd, DisassociationNotification):
            src = f.src_addr
            # 802.15.4-2006 7.3.3 / 7.5.3.2 (2015 7.5.4, 6.4.2): a Disassociation Notification
            # is an acknowledged unicast with an extended source address, addressed to us
            # in our PAN. From our coordinator (source = macCoordExtendedAddress, never a
            # short address anybody can claim) we are disassociated; from any other device
            # it only means something to a coordinator: that device leaves us.
            to_us = (
                f.dst_addr == self._ext
                if f.dst_mode == _EXT
                else (
                    f.dst_mode == _SHORT
                    and f.dst_addr == pib.mac_short_address
                    and f.dst_addr < 0xFFFE
                )
            )
            if (
                src is None
                or f.src_mode != _EXT
                or not f.ack_request
                or not to_us
                or f.dst_pan != pib.mac_pan_id
            ):
                stats.rx_ignored += 1
                return
            coord = pib.mac_coord_extended_address
            if coord and src == coord:
                self._forget_pan()
            elif not self._started:
                stats.rx_ignored += 1
                return
            self._emit(MlmeDisassociateIndication(src, cmd.reason))
        elif isinstance(cmd, OrphanNotification):
            if not self._started or f.src_mode != _EXT:
                stats.rx_ignored += 1
                return
            assert f.src_addr is not None
            self._emit(MlmeOrphanIndication(f.src_addr))
        elif isinstance(cmd, CoordinatorRealignment):
            self._realignment(f, cmd)
        else:
            stats.rx_ignored += 1
        self._go_idle()

    def _extract(self, key: int) -> None:
        """Send the oldest frame queued for the device whose Data Request we just ACKed."""
        t = self._indirect.pop(key)
        if t is None:
            return
        t.in_flight = True
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        psdu = t.psdu
        if self._indirect.has(key):
            psdu = _with_pending(psdu)
        job = _TxJob(psdu, t.seq, True, _K_INDIRECT)
        job.trans = t
        self._enqueue(job, front=True)

    def _assoc_response(self, f: MacFrame, cmd: AssociationResponse) -> None:
        if self._rx_wait == _RXW_ASSOC:
            self._end_rx_wait()
        if self._assoc_timer is not None:
            self._assoc_timer.cancel()
            self._assoc_timer = None
        self._assoc = AssocState.IDLE
        status = _ASSOC_STATUS.get(int(cmd.status), MacStatus.DENIED)
        pib = self.pib
        if status == MacStatus.SUCCESS:
            pib.mac_short_address = cmd.short_address
            if f.src_mode == _EXT and f.src_addr is not None:
                pib.mac_coord_extended_address = f.src_addr
            self._emit(MlmeAssociateConfirm(cmd.short_address, status))
        else:
            self._forget_pan()
            self._emit(MlmeAssociateConfirm(0xFFFF, status))

    def _realignment(self, f: MacFrame, cmd: CoordinatorRealignment) -> None:
        scan = self._scan
        if scan is None or scan.scan_type != ScanType.ORPHAN or scan.realigned:
            self.stats.rx_ignored += 1
            return
        pib = self.pib
        scan.realigned = True
        pib.mac_pan_id = cmd.pan_id
        pib.mac_short_address = cmd.short_address
        pib.mac_coord_short_address = cmd.coordinator_short_address
        if f.src_mode == _EXT and f.src_addr is not None:
            pib.mac_coord_extended_address = f.src_addr
        scan.saved_pan = cmd.pan_id
        scan.saved_channel = cmd.channel_number
        if scan.timer is not None:
            scan.timer.cancel()
            scan.timer = None
        # finish (after our ACK of the realignment is out: _scan_finish waits for it)
        self._clock.call_later(0, self._scan_finish_gen, self._gen, scan)

    # -- beacons -----------------------------------------------------------------------------------

    def _beacon_requested(self) -> None:
        if self._beacon_timer is not None or self._beacon_queued:
            return
        jmax = self.config.beacon_jitter_us
        delay = self._rng.randrange(jmax + 1) if jmax > 0 else 0
        self._beacon_timer = self._clock.call_later(delay, self._send_beacon)

    def _send_beacon(self) -> None:
        self._beacon_timer = None
        if not self._started:
            return
        pib = self.pib
        bsn = pib.mac_bsn
        pib.mac_bsn = (bsn + 1) & 0xFF
        short = pib.mac_short_address
        src: int = short if short < 0xFFFE else self._ext
        beacon = Beacon(
            SuperframeSpec(
                15,
                15,
                15,
                False,
                pan_coordinator=self._pan_coordinator,
                association_permit=pib.mac_association_permit,
            ),
            payload=pib.mac_beacon_payload,
        )
        psdu = MacFrame.beacon(
            pib.mac_pan_id, src, beacon, seq=bsn, src_mode=_SHORT if short < 0xFFFE else _EXT
        ).encode()
        self._beacon_queued = True
        self._enqueue(_TxJob(psdu, bsn, False, _K_BEACON))

    def _on_beacon(self, f: MacFrame, rssi: int, lqi: int, now: int) -> None:
        scan = self._scan
        if scan is None:
            # outside a scan: a beacon of our PAN (7.5.6.2) with a payload is still reported
            # (MLME-BEACON-NOTIFY.indication, 7.1.5.1.3): Zigbee's PAN ID conflict detection
            if f.src_pan != self.pib.mac_pan_id or self.pib.mac_pan_id == _BROADCAST:
                self.stats.rx_ignored += 1
                return
            self._beacon_notify(f, rssi, lqi, now)
            return
        if scan.scan_type == ScanType.ED or scan.scan_type == ScanType.ORPHAN:
            self.stats.rx_ignored += 1
            return
        try:
            b = f.as_beacon()
        except DecodeError:
            self.stats.rx_decode_error += 1
            return
        src = f.src_addr
        if src is None or f.src_pan is None:
            self.stats.rx_decode_error += 1
            return
        channel = self._phy.channel
        pd = PanDescriptor(
            f.src_mode,
            f.src_pan,
            src,
            channel,
            scan.channel_page,
            b.superframe,
            b.gts_permit,
            lqi,
            now,
            rssi,
            f.seq or 0,
            b.payload,
        )
        scan.beacons += 1
        auto = self.pib.mac_auto_request
        if auto:
            key = (f.src_pan, src | EXT_KEY if f.src_mode == _EXT else src, channel)
            if key not in scan.seen:
                scan.seen.add(key)
                scan.pans.append(pd)
        if b.payload or not auto:
            self._emit(
                MlmeBeaconNotifyIndication(
                    f.seq or 0, pd, b.pending_short + b.pending_extended, b.payload
                )
            )

    def _beacon_notify(self, f: MacFrame, rssi: int, lqi: int, now: int) -> None:
        """A beacon of our PAN heard outside a scan: reported if it has a payload."""
        try:
            b = f.as_beacon()
        except DecodeError:
            self.stats.rx_decode_error += 1
            return
        src = f.src_addr
        if src is None or f.src_pan is None or not b.payload:
            self.stats.rx_ignored += 1
            return
        pd = PanDescriptor(
            f.src_mode,
            f.src_pan,
            src,
            self._phy.channel,
            0,
            b.superframe,
            b.gts_permit,
            lqi,
            now,
            rssi,
            f.seq or 0,
            b.payload,
        )
        self._emit(
            MlmeBeaconNotifyIndication(
                f.seq or 0, pd, b.pending_short + b.pending_extended, b.payload
            )
        )

    # ==========================================================================================
    # scanning (7.5.2.1)
    # ==========================================================================================

    def _scan_begin(self) -> None:
        scan = self._scan
        assert scan is not None
        scan.started = True
        scan.saved_pan = self.pib.mac_pan_id
        scan.saved_channel = self._phy.channel
        if scan.scan_type != ScanType.ED:
            self.pib.mac_pan_id = _BROADCAST
        self._scan_channel()

    def _scan_channel(self) -> None:
        scan = self._scan
        assert scan is not None
        if scan.index >= len(scan.channels):
            self._scan_finish(scan)
            return
        ch = scan.channels[scan.index]
        self._phy.channel = ch
        if self._phy.state != _RX:
            self._phy.set_state(_RX)
        st = scan.scan_type
        if st == ScanType.ED:
            scan.ed_max = 0
            scan.ed_end = self._clock.now() + scan.duration_us
            self._scan_ed_sample()
        elif st == ScanType.PASSIVE:
            scan.timer = self._clock.call_later(scan.duration_us, self._scan_next)
        elif st == ScanType.ACTIVE:
            seq = self._next_dsn()
            psdu = MacFrame.command(
                BeaconRequest(), seq=seq, dst_pan=_BROADCAST, dst_addr=_BROADCAST
            ).encode()
            self._enqueue(_TxJob(psdu, seq, False, _K_BEACON_REQ), front=True)
        else:
            seq = self._next_dsn()
            psdu = MacFrame.command(
                OrphanNotification(),
                seq=seq,
                dst_pan=_BROADCAST,
                dst_addr=_BROADCAST,
                src_addr=self._ext,
                src_mode=_EXT,
            ).encode()
            self._enqueue(_TxJob(psdu, seq, False, _K_ORPHAN), front=True)

    def _scan_sent(self, status: MacStatus) -> None:
        """The channel's Beacon Request / Orphan Notification went out (or could not)."""
        scan = self._scan
        if scan is None:
            return
        if status != MacStatus.SUCCESS:
            scan.unscanned.append(scan.channels[scan.index])
            scan.index += 1
            self._clock.call_later(0, self._scan_resume, self._gen, scan)
            return
        wait = scan.duration_us if scan.scan_type == ScanType.ACTIVE else self.pib.response_wait_us
        scan.timer = self._clock.call_later(wait, self._scan_next)

    def _scan_resume(self, gen: int, scan: _Scan) -> None:
        if gen == self._gen and self._scan is scan:
            self._scan_channel()

    def _scan_ed_sample(self) -> None:
        scan = self._scan
        assert scan is not None
        scan.timer = None
        level = self._phy.energy_detect()
        if level > scan.ed_max:
            scan.ed_max = level
        now = self._clock.now()
        if now >= scan.ed_end:
            scan.ed.append(scan.ed_max)
            self._scan_next()
            return
        step = self.config.ed_sample_interval_us
        nxt = now + step if now + step < scan.ed_end else scan.ed_end
        scan.timer = self._clock.call_at(nxt, self._scan_ed_sample)

    def _scan_next(self) -> None:
        scan = self._scan
        assert scan is not None
        scan.timer = None
        scan.scanned.append(scan.channels[scan.index])
        scan.index += 1
        if self._job is not None or self._acking or self._tx_kind != _TXK_NONE:
            # a frame of ours is on its way (an ACK); change channel after it
            self._clock.call_later(
                A_TURNAROUND_TIME_US + 352 + 1, self._scan_resume, self._gen, scan
            )
            return
        self._scan_channel()

    def _scan_finish_gen(self, gen: int, scan: _Scan) -> None:
        if gen == self._gen and self._scan is scan:
            scan.scanned.append(scan.channels[scan.index])
            self._scan_finish(scan)

    def _scan_finish(self, scan: _Scan) -> None:
        if scan.timer is not None:
            scan.timer.cancel()
            scan.timer = None
        if self._tx_kind != _TXK_NONE or self._acking:
            self._clock.call_later(
                A_TURNAROUND_TIME_US + 352 + 1, self._scan_finish_gen2, self._gen, scan
            )
            return
        self._scan = None
        pib = self.pib
        st = scan.scan_type
        if st != ScanType.ED:
            pib.mac_pan_id = scan.saved_pan
        self._phy.channel = scan.saved_channel
        if st == ScanType.ED:
            status = MacStatus.SUCCESS
        elif st == ScanType.ORPHAN:
            status = MacStatus.SUCCESS if scan.realigned else MacStatus.NO_BEACON
        else:
            status = MacStatus.SUCCESS if scan.beacons else MacStatus.NO_BEACON
        unscanned = tuple(scan.unscanned)
        if st == ScanType.ORPHAN and scan.realigned:
            done = set(scan.scanned)
            unscanned = tuple(c for c in scan.channels if c not in done)
        self._emit(
            MlmeScanConfirm(
                status,
                st,
                scan.channel_page,
                unscanned,
                tuple(scan.ed),
                tuple(scan.pans),
                tuple(scan.scanned),
            )
        )
        if self._job is None:
            self._start_next()
        self._go_idle()

    def _scan_finish_gen2(self, gen: int, scan: _Scan) -> None:
        if gen == self._gen and self._scan is scan:
            self._scan_finish(scan)
