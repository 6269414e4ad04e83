"""One APS frame on its way out: NLDE-DATA, then (acknowledged transmission) the APS ACK or a
retransmission (Zigbee spec R22 2.2.8.4.4).

States (:class:`TxState`)::

    SENDING ──NLDE-DATA.confirm SUCCESS──> WAITING_ACK ──APS ACK──> DONE (SUCCESS)
       │  (no ACK asked: DONE with the NWK status)  │ ack wait expires
       └──NLDE-DATA.confirm failure──> RETRY_WAIT ──┴──> SENDING again (retries left)
                                                       └──> DONE (NO_ACK / NWK status)

* An acknowledged frame is sent at most ``1 + apscMaxFrameRetries`` times. The ack wait
  (apscAckWaitDuration) starts when the NWK layer confirms the attempt; a NWK failure waits the
  same time before the next attempt (deployed stacks retry NWK failures like missing ACKs: the
  route may be repaired meanwhile). An ACK arriving in any state ends the transmission.
* No retransmission starts later than ``max_retry_span_us`` after the first attempt: a
  receiver remembers a frame for its duplicate timeout only, a later copy would reach its
  application again.
* Final status: SUCCESS; NO_ACK when some attempt left this device; else the NWK status of the
  last attempt (nothing ever got out). Every transmission ends exactly once.
* An APS-secured frame is sealed again for every attempt (fresh security frame counter, same
  APS counter; see :mod:`zigmesh.aps.secure`). An exhausted counter ends it with SECURITY_FAIL.
* If the NWK layer never confirms an attempt, ``nwk_confirm_timeout_us`` counts it as failed:
  no frame that asked for an ACK is ever lost silently.

The owner (:class:`zigmesh.aps.aps.Aps`) matches received ACKs to transmissions by (NWK
destination, APS counter) through its ``acks`` table and calls :meth:`Transmission.acked`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.frames import FC_SECURITY, ApsFrame
from zigmesh.aps.primitives import ApsConfirmStatus
from zigmesh.clock import TimerHandle
from zigmesh.errors import SecurityError
from zigmesh.nwk.primitives import NwkAddrMode, NwkStatus

if TYPE_CHECKING:
    from zigmesh.aps.aps import Aps

__all__ = ["SecSpec", "TxDone", "TxState", "Transmission", "final_status"]

#: the owner's callback: final status and the number of APS retransmissions
TxDone = Callable[[ApsConfirmStatus, int], None]

_SUCCESS = NwkStatus.SUCCESS


class SecSpec(NamedTuple):
    """How to APS-secure a frame: key identifier, the partner whose link key it is (None for
    the network key), and whether the aux header carries our IEEE address."""

    key_id: int
    partner: int | None
    ext_nonce: bool = False


class TxState(Enum):
    SENDING = 1  # NLDE-DATA.request issued, its confirm awaited
    WAITING_ACK = 2  # the NWK layer sent it; APS ACK awaited for the ack wait
    RETRY_WAIT = 3  # the NWK layer failed; next attempt after the ack wait
    DONE = 4


def final_status(nwk_ok: bool, last_nwk: NwkStatus | None) -> ApsConfirmStatus:
    """Status after the last attempt without an ACK (module docstring)."""
    if nwk_ok or last_nwk is None:
        return ApsStatus.NO_ACK
    return last_nwk


class Transmission:
    """One APS frame (data, command) until its confirm."""

    __slots__ = (
        "_aps",
        "dst",
        "counter",
        "nwk_mode",
        "radius",
        "nwk_security",
        "ack",
        "ack_wait",
        "sec",
        "_plain",
        "_header",
        "_payload",
        "on_done",
        "state",
        "retries",
        "timer",
        "handle",
        "nwk_ok",
        "last_nwk",
        "first_us",
    )

    def __init__(
        self,
        aps: Aps,
        frame: ApsFrame,
        dst: int,
        on_done: TxDone,
        *,
        nwk_mode: NwkAddrMode = NwkAddrMode.NWK,
        radius: int = 0,
        nwk_security: bool = True,
        sec: SecSpec | None = None,
        ack_wait: int = 0,
    ) -> None:
        self._aps = aps
        self.dst = dst
        self.counter = frame.counter if frame.counter is not None else 0
        self.nwk_mode = nwk_mode
        self.radius = radius
        self.nwk_security = nwk_security
        self.ack = frame.ack_request
        self.ack_wait = ack_wait
        self.sec = sec
        if sec is None:
            self._plain = frame.encode()
            self._header = b""
        else:
            self._plain = b""
            hdr = frame.header()
            self._header = bytes((hdr[0] | FC_SECURITY,)) + hdr[1:]
        self._payload = frame.payload
        self.on_done = on_done
        self.state = TxState.SENDING
        self.retries = 0
        self.timer: TimerHandle | None = None
        self.handle = -1
        self.nwk_ok = False
        self.last_nwk: NwkStatus | None = None
        self.first_us = 0

    @property
    def key(self) -> tuple[int, int]:
        return (self.dst, self.counter)

    def encode(self) -> bytes:
        """The frame as on the air for the next attempt (sealed afresh when APS-secured)."""
        sec = self.sec
        if sec is None:
            return self._plain
        return self._aps.security.seal(
            self._header, self._payload, sec.key_id, sec.partner, sec.ext_nonce
        )

    def start(self) -> None:
        """First attempt. Never finishes synchronously: a failure here confirms via the clock."""
        aps = self._aps
        self.first_us = aps.clock.now()
        if self.ack:
            aps.acks[(self.dst, self.counter)] = self
        if not self._send():
            self._unregister()
            self.state = TxState.DONE
            aps.clock.call_later(0, self.on_done, ApsStatus.SECURITY_FAIL, 0)

    def _send(self) -> bool:
        aps = self._aps
        try:
            nsdu = self.encode()
        except SecurityError:
            return False
        self.state = TxState.SENDING
        self.handle = aps.nlde(
            self.nwk_mode, self.dst, nsdu, self.radius, self.nwk_security, self._confirmed
        )
        self.timer = aps.clock.call_later(aps.config.nwk_confirm_timeout_us, self._no_confirm)
        return True

    def _confirmed(self, handle: int, status: NwkStatus) -> None:
        if self.state is not TxState.SENDING or handle != self.handle:
            return  # a late confirm of an attempt given up on, or we are done
        timer = self.timer
        if timer is not None:
            timer.cancel()
        aps = self._aps
        if status == _SUCCESS:
            if not self.ack:
                self._finish(ApsStatus.SUCCESS)
                return
            self.nwk_ok = True
            self.state = TxState.WAITING_ACK
            aps.await_response()
        else:
            aps.stats.nwk_failures += 1
            if not self.ack:
                self._finish(status)
                return
            self.last_nwk = status
            self.state = TxState.RETRY_WAIT
        self.timer = aps.clock.call_later(self.ack_wait, self._timeout)

    def _no_confirm(self) -> None:
        """The NWK layer never confirmed the attempt: count it as failed."""
        self.timer = None
        if self.state is TxState.SENDING:
            self.handle = -2  # ignore the confirm if it ever comes
            self._confirmed(-2, NwkStatus.TRANSACTION_EXPIRED)

    def _timeout(self) -> None:
        self.timer = None
        aps = self._aps
        cfg = aps.config
        if (
            self.retries < cfg.max_frame_retries
            and aps.clock.now() - self.first_us <= cfg.max_retry_span_us
        ):
            self.retries += 1
            aps.stats.retries += 1
            if not self._send():
                self._finish(ApsStatus.SECURITY_FAIL)
            return
        self._finish(final_status(self.nwk_ok, self.last_nwk))

    def acked(self) -> None:
        """The APS ACK arrived."""
        if self.state is TxState.DONE:
            return
        self._aps.stats.acks_received += 1
        self._finish(ApsStatus.SUCCESS)

    def cancel(self, status: ApsConfirmStatus) -> None:
        """End now with ``status`` (the owner resets)."""
        if self.state is not TxState.DONE:
            self._finish(status)

    def _unregister(self) -> None:
        if self.ack:
            acks = self._aps.acks
            if acks.get((self.dst, self.counter)) is self:
                del acks[(self.dst, self.counter)]

    def _finish(self, status: ApsConfirmStatus) -> None:
        self.state = TxState.DONE
        timer = self.timer
        if timer is not None:
            timer.cancel()
            self.timer = None
        self._unregister()
        self.on_done(status, self.retries)
