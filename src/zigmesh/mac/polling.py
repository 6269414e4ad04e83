"""Indirect transmission and polling (802.15.4-2006 7.5.6.3): frames queued for a sleeping
device (MCPS-PURGE 7.1.1.4, expiry after macTransactionPersistenceTime, extraction on its
Data Request) and, on the device side, MLME-POLL (7.1.16): the Data Request (7.3.4) and the
wait of up to macMaxFrameTotalWaitTime for the frame.

A mixin of :class:`zigmesh.mac.mac.Mac` (the MAC's state lives there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.commands import DataRequest
from zigmesh.mac.defs import (
    _EXT,
    _K_ASSOC_RESP,
    _K_DATA,
    _K_INDIRECT,
    _K_POLL,
    _RX,
    _RXW_ASSOC,
    _RXW_NONE,
    _RXW_POLL,
    _SHORT,
    _TX,
    AssocState,
    MacStats,
    PollState,
    _addr_mode,
    _check_addr,
    _Scan,
    _TxJob,
    _with_dst_pan,
    _with_pending,
)
from zigmesh.mac.frames import AddrMode, MacFrame
from zigmesh.mac.indirect import Transaction, TransactionQueue, address_key
from zigmesh.mac.pib import MacPib
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    McpsDataConfirm,
    MlmeCommStatusIndication,
    MlmeDisassociateConfirm,
    MlmePollConfirm,
)
from zigmesh.phy import Phy
from zigmesh.types import EUI64


class PollingMixin:
    """Indirect transmission and MLME-POLL of :class:`~zigmesh.mac.mac.Mac`."""

    if TYPE_CHECKING:
        _assoc: AssocState
        _clock: Clock
        _ext: EUI64
        _in_flight: dict[int, int]
        _indirect: TransactionQueue
        _phy: Phy
        _poll: PollState
        _rx_wait: int
        _rx_wait_timer: TimerHandle | None
        _scan: _Scan | None
        pib: MacPib
        stats: MacStats

        def _assoc_fail(self, status: MacStatus) -> None: ...
        def _emit(self, ev: MacEvent) -> None: ...
        def _enqueue(self, job: _TxJob, front: bool = False) -> None: ...
        def _go_idle(self) -> None: ...
        def _next_dsn(self) -> int: ...

    def mcps_purge_request(self, msdu_handle: int) -> MacStatus:
        """MCPS-PURGE (7.1.1.4): drop a queued indirect data frame; SUCCESS or INVALID_HANDLE."""
        for t in self._indirect:
            if t.kind == _K_DATA and t.handle == msdu_handle:
                self._indirect.remove(t)
                if t.timer is not None:
                    t.timer.cancel()
                return MacStatus.SUCCESS
        return MacStatus.INVALID_HANDLE

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

    def _extract(self, key: int) -> None:
        """Send the oldest frame queued for the device whose Data Request we just ACKed."""
        t = self._indirect.pop(key)
        if t is None:
            return
        t.in_flight = True
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        psdu = t.psdu
        pan = self.pib.mac_pan_id
        if pan != 0xFFFF:
            # queued before our PAN ID changed (a PAN ID update, Zigbee 3.6.1.13): the device
            # that just polled us on the new PAN ID drops a frame for the old one, and the frame
            # came back to the head of the queue at every poll until it expired, holding up
            # everything behind it
            psdu = _with_dst_pan(psdu, pan)
        if self._indirect.has(key):
            psdu = _with_pending(psdu)
        job = _TxJob(psdu, t.seq, True, _K_INDIRECT)
        job.trans = t
        self._enqueue(job, front=True)
