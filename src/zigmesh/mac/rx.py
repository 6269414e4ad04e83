"""The MAC receive path (802.15.4-2006 7.5.6.2 reception and rejection, 7.5.6.4
acknowledgment, duplicate rejection) and the dispatch of received MAC commands (7.3).

Hot: see the receive-path paragraph of :mod:`zigmesh.mac.mac`.

A mixin of :class:`zigmesh.mac.mac.Mac` (the MAC's state lives there)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import DecodeError
from zigmesh.mac.commands import (
    AssociationRequest,
    AssociationResponse,
    BeaconRequest,
    CoordinatorRealignment,
    DataRequest,
    DisassociationNotification,
    OrphanNotification,
    decode_command,
)
from zigmesh.mac.defs import (
    _ACK_FRAMES,
    _BROADCAST,
    _EXT,
    _FCF_FRAME_PENDING,
    _FT_BEACON,
    _FT_CMD,
    _FT_DATA,
    _NONE,
    _RX,
    _RXW_NONE,
    _RXW_POLL,
    _SHORT,
    _TXK_ACK,
    _TXK_NONE,
    AssocState,
    DataSink,
    MacConfig,
    MacStats,
    PollState,
    UpperCallback,
    _decode_psdu,
    _Scan,
    _Seen,
    _TxJob,
)
from zigmesh.mac.fcs import fcs_ok
from zigmesh.mac.frames import MacFrame
from zigmesh.mac.indirect import EXT_KEY, TransactionQueue
from zigmesh.mac.pib import A_TURNAROUND_TIME_US, MacPib
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    McpsDataIndication,
    MlmeAssociateIndication,
    MlmeDisassociateIndication,
    MlmeOrphanIndication,
    MlmePollConfirm,
    MlmePollIndication,
    ScanType,
)
from zigmesh.phy import Phy
from zigmesh.types import EUI64


class RxMixin:
    """The receive path of :class:`~zigmesh.mac.mac.Mac`."""

    if TYPE_CHECKING:
        _ack_psdu: bytes
        _ack_send_timer: TimerHandle | None
        _ack_dsn: int
        _acking: bool
        _assoc: AssocState
        _clock: Clock
        _dsn_seen: dict[int, _Seen]
        _dup_size: int
        _dup_window: int
        _ext: EUI64
        _in_flight: dict[int, int]
        _indirect: TransactionQueue
        _job: _TxJob | None
        _pan: int
        _pan_coordinator: bool
        _phy: Phy
        _poll: PollState
        _rx_wait: int
        _scan: _Scan | None
        _short: int
        _started: bool
        _tx_kind: int
        _upper: UpperCallback | None
        _data_sink: DataSink | None
        _sink_ctx: object
        config: MacConfig
        pib: MacPib
        stats: MacStats

        def _assoc_response(self, f: MacFrame, cmd: AssociationResponse) -> None: ...
        def _beacon_requested(self) -> None: ...
        def _emit(self, ev: MacEvent) -> None: ...
        def _end_rx_wait(self) -> None: ...
        def _extract(self, key: int) -> None: ...
        def _forget_pan(self) -> None: ...
        def _go_idle(self) -> None: ...
        def _on_ack(self, pending: bool) -> None: ...
        def _on_beacon(self, f: MacFrame, rssi: int, lqi: int, now: int) -> None: ...
        def _realignment(self, f: MacFrame, cmd: CoordinatorRealignment) -> None: ...
        def _start_next(self) -> None: ...

    # ==========================================================================================
    # receive path
    # ==========================================================================================

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        """PD-DATA.indication: a PSDU (FCS included, unchecked) arrived from the PHY
        (``timestamp``: when, us, as the radio stamped it; None: now)."""
        n = len(psdu)
        # the rules of zigmesh.phy.FrameFilter (a radio may have applied them already)
        if n == 5 and psdu[0] & 7 == 2:  # immediate ACK (fcf, seq, FCS)
            if psdu[2] == self._ack_dsn:
                if fcs_ok(psdu):
                    self._on_ack(bool(psdu[0] & _FCF_FRAME_PENDING))
                else:
                    self.stats.rx_bad_fcs += 1
            else:
                self.stats.rx_not_for_us += 1
            return
        stats = self.stats
        # a 2003/2006 frame with a short destination: PAN ID at 3, address at 5 (checked here,
        # before a decode; the third-level filter below then has nothing left to check)
        addressed = n >= 9 and psdu[1] & 0x2C == 0x08
        if addressed:
            to = psdu[5] | psdu[6] << 8
            if to != self._short and to != _BROADCAST:
                stats.rx_not_for_us += 1
                return
            pan = psdu[3] | psdu[4] << 8
            if pan != self._pan and pan != _BROADCAST:
                stats.rx_not_for_us += 1
                return
        # (the rest of the receive path, inline: once per receiver of every frame)
        try:
            f = _decode_psdu(psdu)
        except DecodeError as e:
            if e.field == "fcs":
                stats.rx_bad_fcs += 1
            else:
                stats.rx_decode_error += 1
            return
        ft = f.frame_type
        dm = f.dst_mode
        dst = f.dst_addr
        # third-level filtering (802.15.4-2006 7.5.6.2)
        if addressed:
            pass
        elif (dm == _SHORT and dst != self._short and dst != _BROADCAST) or (
            dm == _EXT and dst != self._ext
        ):
            stats.rx_not_for_us += 1
            return
        elif dm != _NONE:
            dpan = f.dst_pan
            if dpan is not None and dpan != self._pan and dpan != _BROADCAST:
                stats.rx_not_for_us += 1
                return
        elif ft != _FT_BEACON and not (
            self._pan_coordinator and f.src_pan == self._pan and f.src_mode != _NONE
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
        now = self._clock.now() if timestamp is None else timestamp
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
                self._on_data(f, rssi_dbm, lqi, now)
                return
            # (broadcasts, most frames heard, come through pd_data_indication_many)
            self._indicate(f, rssi_dbm, lqi, now)
        elif ft == _FT_CMD:
            self._on_command(f, rssi_dbm, lqi, pending, now)
        else:
            self._on_beacon(f, rssi_dbm, lqi, now)

    @staticmethod
    def pd_data_indication_many(
        macs: Sequence[RxMixin], qualities: Sequence[tuple[int, int]], psdu: bytes, timestamp: int
    ) -> None:
        """PD-DATA.indication of one PSDU at several MACs at ``timestamp`` (the medium's
        receivers of a frame, each with its (RSSI, LQI)): the outcome of
        :meth:`pd_data_indication` at each in turn. A broadcast data frame without an ACK
        request (every link status, NWK broadcast and its relays) is checked and decoded once,
        and the MACs whose data sink is the same get it in one call, in their order (what
        differs per MAC here, its PAN ID filter, scan and counters, cannot be changed by
        another MAC's upper layers); other frames go to each MAC's own receive path."""
        if not (
            len(psdu) >= 9
            and psdu[0] & 0x27 == 0x01  # a data frame, no ACK request
            and psdu[1] & 0x2C == 0x08  # 2003/2006, short destination
            and psdu[5] == 0xFF
            and psdu[6] == 0xFF
        ):
            for m, q in zip(macs, qualities, strict=True):
                m.pd_data_indication(psdu, q[0], q[1], timestamp)
            return
        try:
            f = _decode_psdu(psdu)
        except DecodeError:
            for m, q in zip(macs, qualities, strict=True):
                m.pd_data_indication(psdu, q[0], q[1], timestamp)
            return
        pan = psdu[3] | psdu[4] << 8
        payload = f.payload
        src_mode = f.src_mode
        src = f.src_addr
        pending = f.frame_pending
        # the receivers of the current run of one sink: its contexts and their LQIs
        run: DataSink | None = None
        ctxs: list[object] = []
        lqis: list[int] = []
        for m, q in zip(macs, qualities, strict=True):
            stats = m.stats
            if pan != m._pan and pan != _BROADCAST:
                stats.rx_not_for_us += 1
                continue
            if m._scan is not None:
                stats.rx_ignored += 1
                continue
            stats.rx_frames += 1
            sink = m._data_sink
            if sink is not run:
                if ctxs:
                    assert run is not None
                    run(ctxs, lqis, payload, src_mode, src, _BROADCAST, timestamp, pending)
                    ctxs = []
                    lqis = []
                run = sink
            if sink is None:
                m._indicate(f, q[0], q[1], timestamp)
                continue
            ctxs.append(m._sink_ctx)
            lqis.append(q[1])
        if ctxs:
            assert run is not None
            run(ctxs, lqis, payload, src_mode, src, _BROADCAST, timestamp, pending)

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
        sink = self._data_sink
        if sink is not None:
            sink(
                (self._sink_ctx,),
                (lqi,),
                f.payload,
                f.src_mode,
                f.src_addr,
                f.dst_addr,
                now,
                f.frame_pending,
            )
            return
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
                self._emit(MlmePollIndication(f.src_mode, src, now, f.dst_mode))
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
