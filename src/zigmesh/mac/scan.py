"""Scanning (802.15.4-2006 7.5.2.1) and beacons: MLME-SCAN (7.1.11) ED, active, passive and orphan
scans; beacons sent in answer to Beacon Requests (7.5.2.1.2, 7.5.2.4) and beacons received
(7.5.2.1.2, 7.1.5.1.3); MLME-ORPHAN.response and the Coordinator Realignment (7.1.8.2,
7.5.2.1.4, 7.3.8).

A mixin of :class:`zigmesh.mac.mac.Mac` (the MAC's state lives there)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TYPE_CHECKING

from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import BeaconRequest, CoordinatorRealignment, OrphanNotification
from zigmesh.mac.defs import (
    _BROADCAST,
    _EXT,
    _K_BEACON,
    _K_BEACON_REQ,
    _K_ORPHAN,
    _K_REALIGN,
    _RX,
    _SHORT,
    _TXK_NONE,
    AssocState,
    MacConfig,
    MacStats,
    PollState,
    _channel_list,
    _check_addr,
    _Scan,
    _TxJob,
)
from zigmesh.mac.frames import Beacon, MacFrame, SuperframeSpec
from zigmesh.mac.indirect import EXT_KEY
from zigmesh.mac.pib import A_BASE_SUPERFRAME_DURATION_US, A_TURNAROUND_TIME_US, MacPib
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    MlmeBeaconNotifyIndication,
    MlmeScanConfirm,
    PanDescriptor,
    ScanType,
)
from zigmesh.phy import Phy
from zigmesh.types import EUI64


class ScanMixin:
    """The scanning and beacon procedures of :class:`~zigmesh.mac.mac.Mac`."""

    if TYPE_CHECKING:
        _acking: bool
        _assoc: AssocState
        _beacon_queued: bool
        _beacon_timer: TimerHandle | None
        _clock: Clock
        _ext: EUI64
        _gen: int
        _job: _TxJob | None
        _pan_coordinator: bool
        _phy: Phy
        _poll: PollState
        _rng: random.Random
        _scan: _Scan | None
        _started: bool
        _tx_kind: int
        config: MacConfig
        pib: MacPib
        stats: MacStats

        def _emit(self, ev: MacEvent) -> None: ...
        def _emit_soon(self, ev: MacEvent) -> None: ...
        def _enqueue(self, job: _TxJob, front: bool = False) -> None: ...
        def _go_idle(self) -> None: ...
        def _next_dsn(self) -> int: ...
        def _start_next(self) -> None: ...

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
