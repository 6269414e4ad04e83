"""The NWK transmit engine (Zigbee spec 3.6.2 frame transmission, 4.3.1.1 outgoing security).

:class:`TransmitEngine` is the part of :class:`~zigmesh.nwk.nwk.Nwk` that hands NWK frames to the
MAC: it seals a frame with the installed NWK security as it goes out (never earlier: a frame
sealed early and sent after later ones would carry an older counter), allocates MAC handles,
retries direct unicasts after a MAC failure (each retry sealed again with a fresh counter) and
tells the frame's owner the final status. A :class:`TxRecord` follows one frame.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from zigmesh.clock import Clock
from zigmesh.errors import SecurityError
from zigmesh.mac.frames import AddrMode
from zigmesh.mac.mac import Mac
from zigmesh.mac.primitives import MacStatus, McpsDataConfirm
from zigmesh.nwk.frames import NwkFrame

if TYPE_CHECKING:
    from zigmesh.nwk.config import NwkConfig, NwkSecurity, NwkStats
    from zigmesh.nwk.join import Join
    from zigmesh.nwk.nib import Nib
    from zigmesh.nwk.tables import DeviceType, NeighborTable

__all__ = ["TransmitEngine", "TxDone", "TxRecord"]

_MAC_BROADCAST = 0xFFFF
_SUCCESS = MacStatus.SUCCESS
_RETRYABLE = (MacStatus.NO_ACK, MacStatus.CHANNEL_ACCESS_FAILURE)


def _sealed(data: bytes) -> bool:
    """The encoded NWK frame carries the security bit (frame control bit 9)."""
    return len(data) > 1 and bool(data[1] & 0x02)


#: what a transmission's owner is told when the MAC is done with it
TxDone = Callable[["TxRecord", MacStatus], None]


class TxRecord:
    """One NWK frame in the MAC's hands (or waiting for a NWK retry)."""

    __slots__ = (
        "frame",
        "data",
        "next_hop",
        "indirect",
        "ext_dst",
        "attempts",
        "retries",
        "on_done",
        "user",
        "nsdu_handle",
        "originated",
        "repaired",
        "handle",
        "sealed",
        "followers",
        "done",
    )

    def __init__(
        self,
        frame: NwkFrame,
        data: bytes,
        next_hop: int,
        indirect: bool,
        ext_dst: bool,
        retries: int,
        on_done: TxDone | None,
    ) -> None:
        self.frame = frame
        self.data = data
        self.next_hop = next_hop
        self.indirect = indirect
        self.ext_dst = ext_dst
        self.attempts = 0
        self.retries = retries
        self.on_done = on_done
        #: the callback of whoever asked for the frame (routing keeps ``on_done`` for itself)
        self.user: TxDone | None = None
        #: the NLDE-DATA handle of an originated data frame (-1: none)
        self.nsdu_handle = -1
        self.originated = False
        #: a route repair was already tried for this frame
        self.repaired = False
        self.handle = -1
        #: sealed with NWK security (retries are sealed again)
        self.sealed = False
        #: frames held until this one is done
        self.followers: list[TxRecord] | None = None
        self.done = False


class TransmitEngine:
    """Frames to the MAC (module docstring); mixed into :class:`~zigmesh.nwk.nwk.Nwk`."""

    mac: Mac
    clock: Clock
    rng: random.Random
    config: NwkConfig
    stats: NwkStats
    nib: Nib
    security: NwkSecurity | None
    neighbors: NeighborTable
    device_type: DeviceType | None
    join: Join
    _tx: dict[int, TxRecord]
    _link_tails: dict[int, TxRecord]
    _next_handle: int
    _unsecured: dict[int, int]

    def encode(self, frame: NwkFrame) -> bytes:
        """The frame as on the air: sealed when NWK security is active (b"" when it cannot
        be: the transmit engine then fails it without sending)."""
        sec = self.security
        if sec is None or not sec.active:
            if frame.aux is not None:
                return b""  # a secured frame we can no longer seal: never send it in clear
            return frame.encode()
        unsecured = self._unsecured
        if (
            unsecured
            and frame.src == self.nib.nwk_network_address
            and unsecured.pop(frame.seq, None) is not None
        ):
            return (replace(frame, aux=None) if frame.aux is not None else frame).encode()
        try:
            return sec.secure(frame)
        except SecurityError:
            self.stats.tx_security_failures += 1
            return b""

    def encode_for_later(self, frame: NwkFrame) -> bytes:
        """Bytes a procedure may keep to transmit ``frame`` later (broadcast jitter, route
        request retries): b"" while NWK security is active, so that the frame is sealed when
        it actually goes out (a frame sealed early and sent after later ones would carry an
        older frame counter and be dropped by every neighbour, 4.3.1.2)."""
        sec = self.security
        if sec is not None and sec.active:
            return b""
        return self.encode(frame)

    def transmit(
        self,
        frame: NwkFrame,
        next_hop: int,
        *,
        on_done: TxDone | None = None,
        indirect: bool = False,
        ext_dst: bool = False,
        retries: int | None = None,
        data: bytes | None = None,
    ) -> TxRecord:
        """Hand a NWK frame to the MAC for ``next_hop`` (0xFFFF: MAC broadcast, no ACK).

        Direct unicasts are retried ``retries`` times (default ``unicast_retries``) after a
        MAC NO_ACK / CHANNEL_ACCESS_FAILURE; ``on_done`` gets the final MAC status.
        Direct unicasts to one neighbour leave in order (a frame waits for the previous one).
        """
        direct = not indirect and not ext_dst and next_hop != _MAC_BROADCAST
        if direct:
            # frames to one neighbour leave in order: one waits while an earlier one to the
            # same neighbour is still in the MAC's hands or waiting for a NWK retry (a route
            # record must not be overtaken by the data frame it describes)
            tails = self._link_tails
            tail = tails.get(next_hop)
            tails[next_hop] = rec = TxRecord(
                frame, b"", next_hop, False, False,
                self.config.unicast_retries if retries is None else retries, on_done,
            )
            if tail is not None and not tail.done:
                if tail.followers is None:
                    tail.followers = []
                tail.followers.append(rec)
                return rec
            rec.data = data = self.encode(frame)
            rec.sealed = _sealed(data)
            self._send(rec)
            return rec
        sealed = False
        if not data:
            data = self.encode(frame)
            sealed = _sealed(data)
        if retries is None:
            retries = 0 if indirect or next_hop == _MAC_BROADCAST else self.config.unicast_retries
        rec = TxRecord(frame, data, next_hop, indirect, ext_dst, retries, on_done)
        rec.sealed = sealed
        self._send(rec)
        return rec

    def _send(self, rec: TxRecord) -> None:
        if not rec.data:
            self.clock.call_later(0, self._finish, rec, MacStatus.COUNTER_ERROR)
            return
        handle = self._alloc_handle()
        if handle < 0:
            self.clock.call_later(0, self._finish, rec, MacStatus.TRANSACTION_OVERFLOW)
            return
        rec.handle = handle
        rec.attempts += 1
        self._tx[handle] = rec
        stats = self.stats
        stats.tx_frames += 1
        nh = rec.next_hop
        if nh == _MAC_BROADCAST and not rec.ext_dst:
            stats.tx_broadcasts += 1
            self.mac.mcps_data_request(
                _MAC_BROADCAST, rec.data, msdu_handle=handle, ack_request=False
            )
        elif rec.ext_dst:
            self.mac.mcps_data_request(
                nh,
                rec.data,
                msdu_handle=handle,
                dst_addr_mode=AddrMode.EXTENDED,
                indirect=rec.indirect,
            )
        else:
            self.mac.mcps_data_request(
                nh,
                rec.data,
                msdu_handle=handle,
                dst_addr_mode=AddrMode.SHORT,
                indirect=rec.indirect,
            )

    def _alloc_handle(self) -> int:
        tx = self._tx
        if len(tx) >= 256:
            return -1
        h = self._next_handle
        while h in tx:
            h = (h + 1) & 0xFF
        self._next_handle = (h + 1) & 0xFF
        return h

    def _on_data_confirm(self, c: McpsDataConfirm) -> None:
        rec = self._tx.pop(c.msdu_handle, None)
        if rec is None:
            return
        status = c.status
        if status != _SUCCESS and status in _RETRYABLE and rec.attempts <= rec.retries:
            self.stats.tx_unicast_retries += 1
            delay = self.config.unicast_retry_delay_us
            self.clock.call_later(delay, self._retry, rec)
            return
        self._finish(rec, status)

    def _retry(self, rec: TxRecord) -> None:
        if self.device_type is None and not self.join.in_rejoin:
            # we left the network meanwhile: the frame and those queued behind it are dropped
            rec.done = True
            rec.followers = None
            if self._link_tails.get(rec.next_hop) is rec:
                del self._link_tails[rec.next_hop]
            return
        if rec.sealed:
            # a NWK retransmission is a new frame: sealed again with a fresh counter, so a
            # neighbour that heard newer frames from us since still accepts it
            rec.data = self.encode(rec.frame)
        self._send(rec)

    def _finish(self, rec: TxRecord, status: MacStatus, sent: bool = True) -> None:
        nh = rec.next_hop
        if sent and nh != _MAC_BROADCAST and not rec.ext_dst:
            if status == _SUCCESS:
                self.neighbors.record_tx_success(nh)
            elif not rec.indirect and status != MacStatus.FRAME_TOO_LONG:
                self.stats.tx_failures += 1
                self.neighbors.record_tx_failure(nh)
        rec.done = True
        held = rec.followers
        rec.followers = None
        tails = self._link_tails
        if tails.get(nh) is rec:
            del tails[nh]
        cb = rec.on_done
        if cb is not None:
            cb(rec, status)
        if held:
            if status in _RETRYABLE:
                # the link just failed every retry: the frames queued behind for it fail with
                # it (their owners repair the route) instead of each retrying a dead link. The
                # whole queue is taken off the link first, so that what an owner sends again
                # meanwhile starts a new queue instead of joining this one
                chain: list[TxRecord] = []
                todo = list(held)
                while todo:
                    f = todo.pop(0)
                    chain.append(f)
                    if f.followers:
                        todo[0:0] = f.followers
                        f.followers = None
                    f.done = True
                if tails.get(nh) in chain:
                    del tails[nh]
                for f in chain:
                    self._finish(f, status, False)
                return
            for f in held:
                # sealed now, when it goes out (its counter follows the frames sent before)
                f.data = data = self.encode(f.frame)
                f.sealed = _sealed(data)
                self._send(f)

    def unsent_record(self, frame: NwkFrame) -> TxRecord:
        """A record for a frame that never reached the MAC (no route)."""
        return TxRecord(frame, b"", _MAC_BROADCAST, False, False, 0, None)

    def purge_indirect(self, child: int) -> list[TxRecord]:
        """Drop the frames the MAC holds for a child that went away (MCPS-PURGE)."""
        gone = [r for r in self._tx.values() if r.indirect and r.next_hop == child]
        for r in gone:
            self.mac.mcps_purge_request(r.handle)
            del self._tx[r.handle]
        return gone
