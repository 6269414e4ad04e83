"""The IEEE 802.15.4 MAC in operation, non-beacon mode as Zigbee uses it (802.15.4-2006 7.5).

Sans-IO (DESIGN.md 1): the MAC gets a :class:`~zigmesh.phy.Phy`, a :class:`~zigmesh.clock.Clock`
and a ``random.Random``; it registers itself as the PHY's user. Requests come down as method
calls (``mcps_data_request``, ``mlme_scan_request``, ...); confirms and indications go up as the
event dataclasses of :mod:`zigmesh.mac.primitives` through the one callback the upper layer
registered with :meth:`Mac.set_upper`. One exception, for speed: an upper layer may register a
second callback, a :data:`DataSink`, which then gets every MCPS-DATA.indication as the fields a
NWK layer reads, in one call, instead of the dataclass (building and dispatching one per
receiver of every frame was 6.5 % of the instructions of a steady window at the 10,000-node
density: ``bench/instructions.py``); the NWK does. The MACs that registered one sink and hear
one broadcast get it in one call (:meth:`~zigmesh.mac.rx.RxMixin.pd_data_indication_many`, which
a medium calls with all of a frame's receivers). Synchronous MLME primitives (GET, SET,
RESET, PURGE) return their result. Misuse raises :class:`~zigmesh.errors.LocalProtocolError`;
bad frames from the air are dropped and counted in :class:`MacStats`.

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
then dropped (``rx_duplicate``). A Data Request is reported up as MLME-POLL.indication. A
broadcast data frame heard by several MACs at once is checked and decoded once for all of them.

Indirect transmission (7.5.6.3): frames for a sleeping device wait in a bounded
:class:`~zigmesh.mac.indirect.TransactionQueue` until its Data Request (our ACK then has Frame
Pending set) or until macTransactionPersistenceTime (TRANSACTION_EXPIRED). A failed indirect
attempt is not retried; the frame goes back to the queue with its DSN (7.5.6.4.3).

Radio: with ``mac_rx_on_when_idle`` False the radio sleeps between operations and is on only
for CSMA-CA, transmission, the ACK wait, and after a Data Request whose ACK had Frame Pending
set (for up to macMaxFrameTotalWaitTime).

Layout: :class:`Mac` here holds the state, MLME-GET/SET/RESET, MCPS-DATA, MLME-START and the
transmit engine; its procedures are mixins: :mod:`~zigmesh.mac.scan` (scans and beacons,
7.5.2.1), :mod:`~zigmesh.mac.association` (7.5.3), :mod:`~zigmesh.mac.polling` (indirect
transmission and polls, 7.5.6.3), :mod:`~zigmesh.mac.rx` (receive path and command dispatch,
7.5.6.2); shared definitions in :mod:`~zigmesh.mac.defs`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable

from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.association import AssociationMixin
from zigmesh.mac.csma import UnslottedCsmaCa
from zigmesh.mac.defs import (
    _BROADCAST,
    _EXT,
    _FCF_ACK_REQUEST,
    _FCF_DATA_SHORT_SHORT,
    _HDR_SHORT_SHORT,
    _IDLE,
    _K_ASSOC_POLL,
    _K_ASSOC_REQ,
    _K_ASSOC_RESP,
    _K_BEACON,
    _K_DATA,
    _K_DISASSOC,
    _K_INDIRECT,
    _K_POLL,
    _K_REALIGN,
    _NONE,
    _RX,
    _RXW_ASSOC,
    _RXW_NONE,
    _RXW_POLL,
    _SCAN_KINDS,
    _SHORT,
    _SLEEP,
    _TX,
    _TXK_ACK,
    _TXK_FRAME,
    _TXK_NONE,
    DUPLICATE_WINDOW_US,
    AssocState,
    DataSink,
    MacConfig,
    MacStats,
    PollState,
    UpperCallback,
    _addr_mode,
    _check_addr,
    _Scan,
    _Seen,
    _TxJob,
)
from zigmesh.mac.fcs import append_fcs
from zigmesh.mac.frames import AddrMode, MacFrame
from zigmesh.mac.indirect import TransactionQueue
from zigmesh.mac.pib import (
    A_TURNAROUND_TIME_US,
    CCA_DURATION_US,
    MAC_ACK_WAIT_DURATION_US,
    MacPib,
    WatchedPib,
)
from zigmesh.mac.polling import PollingMixin
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    McpsDataConfirm,
    MlmeCommStatusIndication,
    MlmeDisassociateConfirm,
    MlmePollConfirm,
    MlmeStartConfirm,
)
from zigmesh.mac.rx import RxMixin
from zigmesh.mac.scan import ScanMixin
from zigmesh.phy import CHANNELS, MAX_PSDU, Phy
from zigmesh.types import EUI64

__all__ = [
    "DUPLICATE_WINDOW_US",
    "AssocState",
    "DataSink",
    "Mac",
    "MacConfig",
    "MacStats",
    "PollState",
    "UpperCallback",
]


class Mac(ScanMixin, AssociationMixin, PollingMixin, RxMixin):
    """One node's 802.15.4 MAC (non-beacon PAN): MCPS-DATA, MLME and indirect transmission.

    ``Mac(phy, clock, rng, extended_address)``: the MAC registers itself as ``phy``'s user and
    draws ``mac_dsn`` then ``mac_bsn`` from ``rng`` (``getrandbits(8)`` each); after that
    ``rng`` is used only for CSMA-CA backoffs (``getrandbits(BE)``) and beacon jitter.
    """

    #: attributes in slots, not a per-node dict (1.6 KB a node); the mixins' (slot-less) base
    #: still gives a dict, created only when a test replaces a method on one instance. The
    #: fields every received frame reads come first, so that they share a cache line or two
    #: (at 10,000 nodes a reception mostly finds its node's objects out of the caches)
    __slots__ = (
        "_upper",
        "_data_sink",
        "_sink_ctx",
        "_short",
        "_pan",
        "pib",
        "stats",
        "_ack_dsn",
        "_ext",
        "_pan_coordinator",
        "_scan",
        "_clock",
        "_rx_wait",
        "config",
        "_ack_end",
        "_ack_psdu",
        "_ack_send_timer",
        "_ack_timer",
        "_acking",
        "_assoc",
        "_assoc_coord",
        "_assoc_timer",
        "_beacon_queued",
        "_beacon_timer",
        "_csma",
        "_dsn_seen",
        "_dup_size",
        "_dup_window",
        "_gen",
        "_in_flight",
        "_indirect",
        "_job",
        "_phy",
        "_poll",
        "_queue",
        "_rng",
        "_rx_wait_timer",
        "_started",
        "_tx_kind",
        "_tx_timer",
        "_filter_changed",
    )

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
        #: a filtering PHY's copy of ack_dsn and the PIB's addresses (zigmesh.phy.FrameFilter)
        self._filter_changed: Callable[[], None] | None = getattr(phy, "frame_filter_changed", None)
        self.pib: MacPib = self._default_pib()
        #: copies of macShortAddress and macPANId, which every received frame is checked
        #: against (the PIB's watch keeps them: :meth:`_pib_written`)
        self._short = self.pib.mac_short_address
        self._pan = self.pib.mac_pan_id
        self.stats = MacStats()
        self._upper: UpperCallback | None = None
        self._data_sink: DataSink | None = None
        self._sink_ctx: object = None
        self._csma = UnslottedCsmaCa(
            clock, rng, phy, self.pib, self._csma_clear, self._csma_failed, self._csma_blocked
        )
        self._indirect = TransactionQueue(self.config.indirect_capacity)
        self._queue: deque[_TxJob] = deque()
        self._job: _TxJob | None = None
        self._tx_kind = _TXK_NONE
        self._tx_timer: TimerHandle | None = None
        #: DSN of the ACK we wait for (-1: none; ``ack_dsn``) and the ACK-wait timer
        self._ack_dsn = -1
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
        # a radio that filters addresses before indicating frames (zigmesh.phy.FrameFilter)
        set_filter = getattr(phy, "set_frame_filter", None)
        if set_filter is not None:
            set_filter(self)  # (the radio copies the filter's values as it takes it)
        self._go_idle()

    def _default_pib(self) -> MacPib:
        rng = self._rng
        dsn = rng.getrandbits(8)
        bsn = rng.getrandbits(8)
        return WatchedPib(
            self._pib_written, mac_extended_address=self._ext, mac_dsn=dsn, mac_bsn=bsn
        )

    def _pib_written(self) -> None:
        """macShortAddress or macPANId was written: the receive path's copies, and a
        filtering PHY's (:class:`zigmesh.phy.FrameFilter`)."""
        pib = self.pib
        self._short = pib.mac_short_address
        self._pan = pib.mac_pan_id
        self._filter_was_changed()

    @property
    def ack_dsn(self) -> int:
        """DSN of the ACK the MAC waits for (-1: none; :class:`zigmesh.phy.FrameFilter`)."""
        return self._ack_dsn

    def _set_ack_dsn(self, dsn: int) -> None:
        self._ack_dsn = dsn
        self._filter_was_changed()

    def _filter_was_changed(self) -> None:
        changed = self._filter_changed
        if changed is not None:
            changed()

    # ==========================================================================================
    # upper-layer plumbing
    # ==========================================================================================

    def set_upper(
        self, upper: UpperCallback | None, data: tuple[DataSink, object] | None = None
    ) -> None:
        """Register the one callback that receives every confirm and indication; with
        ``data`` (a :data:`DataSink` and this MAC's context for it), MCPS-DATA.indication (the
        event of every frame heard) goes to the sink instead, as the fields a NWK layer reads,
        no primitive built. MACs that registered the same sink and hear one broadcast get it
        in one call (:meth:`pd_data_indication_many`)."""
        self._upper = upper
        self._data_sink, self._sink_ctx = data if data is not None else (None, None)

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
        self._set_ack_dsn(-1)
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
            self._pib_written()
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
                    self._set_ack_dsn(job.seq)
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
        self._set_ack_dsn(-1)
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
        self._set_ack_dsn(-1)
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
            elif t.kind == _K_ASSOC_RESP and status == MacStatus.NO_ACK:
                # the device polls once for its Association Response (7.5.3.1): kept, it would
                # only expire; the outcome is NO_ACK now (7.1.12.1: it may have got the
                # response, its ACK lost: the next higher layer decides)
                if t.timer is not None:
                    t.timer.cancel()
                    t.timer = None
                self._report_transaction(t, status)
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
