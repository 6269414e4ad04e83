"""Association and disassociation (802.15.4-2006 7.5.3): MLME-ASSOCIATE (7.1.3, 7.5.3.1) on
both sides and MLME-DISASSOCIATE (7.1.4, 7.5.3.2).

A mixin of :class:`zigmesh.mac.mac.Mac` (the MAC's state lives there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.commands import (
    AssociationRequest,
    AssociationResponse,
    CapabilityInformation,
    DisassociationNotification,
    DisassociationReason,
)
from zigmesh.mac.defs import (
    _ASSOC_STATUS,
    _BROADCAST,
    _EXT,
    _K_ASSOC_POLL,
    _K_ASSOC_REQ,
    _K_ASSOC_RESP,
    _K_DISASSOC,
    _RXW_ASSOC,
    AssocState,
    PollState,
    _addr_mode,
    _check_addr,
    _Scan,
    _TxJob,
)
from zigmesh.mac.frames import AddrMode, MacFrame
from zigmesh.mac.pib import MacPib
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    MlmeAssociateConfirm,
    MlmeCommStatusIndication,
    MlmeDisassociateConfirm,
)
from zigmesh.phy import CHANNELS
from zigmesh.types import EUI64


class AssociationMixin:
    """The association procedures of :class:`~zigmesh.mac.mac.Mac`."""

    if TYPE_CHECKING:
        _assoc: AssocState
        _assoc_coord: tuple[int, AddrMode]
        _assoc_timer: TimerHandle | None
        _ext: EUI64
        _poll: PollState
        _rx_wait: int
        _scan: _Scan | None
        pib: MacPib

        def _data_request_job(
            self, coord: int, cm: AddrMode, pan: int, kind: int, *, extended_src: bool
        ) -> _TxJob: ...
        def _emit(self, ev: MacEvent) -> None: ...
        def _emit_soon(self, ev: MacEvent) -> None: ...
        def _end_rx_wait(self) -> None: ...
        def _enqueue(self, job: _TxJob, front: bool = False) -> None: ...
        def _next_dsn(self) -> int: ...
        def _queue_indirect(
            self, psdu: bytes, seq: int, kind: int, handle: int, ext: bool, addr: int
        ) -> bool: ...
        def _set_channel(self, channel: int) -> None: ...

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
