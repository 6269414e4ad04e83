"""Fragmented transmission and reassembly (Zigbee spec R22 2.2.8.4.5).

An ASDU too long for one frame, sent unicast with acknowledgement and fragmentation permitted,
goes as numbered blocks sharing one APS counter. Each block has an extended header: the FIRST
block (index 0) carries the number of blocks, SUBSEQUENT blocks their index.

Sender (:class:`FragmentSender`, states :class:`FragTxState`)::

    SENDING (the unacknowledged blocks of the window, apsInterframeDelay apart)
       └─> WAITING_ACK ──window fully acked──> next window ... ──last window──> DONE (SUCCESS)
              ├─ack with gaps / ack wait expires──> SENDING the missing blocks (a retry)
              └─ more than apscMaxFrameRetries retries without progress, or none left
                 within ``max_retry_span_us`` of the last progress ──> DONE (NO_ACK)

Windows are fixed: window k holds blocks [k*W, (k+1)*W), W = apsMaxWindowSize. A retry round
resends only the blocks the receiver has not acknowledged; an acknowledgement that shows new
blocks received resets the window's retry count (the link works, the message progresses).

Receiver (:class:`Reassembler`, per (source, APS counter), states :class:`FragRxState`):
blocks are stored; when every block of the current window is in, the window is acknowledged
(a data ACK whose extended header carries the window's first block number and a bitfield, bit i
= block first+i received; bits past the window or the message are 1, as the spec asks and as
TP/PRO/BV-43 shows: 0xFD for a 3-block window missing block 1). When the window's last block
arrives with gaps, a partial acknowledgement goes at once; blocks retransmitted after that are
acknowledged once the burst is over (``fragment_ack_delay_us`` after the last one) unless
they complete the window. The whole ASDU is indicated once; the entry then stays COMPLETE for
the duplicate timeout to re-acknowledge late retransmissions without delivering again.
Buffers are bounded (``max_reassembly_buffers``) and freed after ``fragment_reassembly_timeout_us``
without a new block. The ack's fragmentation sub-field is FIRST for window 0, SUBSEQUENT after
(as ZBOSS sends it).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.frames import FC_SECURITY, ApsFrame, ApsFrameType, ExtendedHeader, Fragmentation
from zigmesh.aps.primitives import SecurityStatus
from zigmesh.aps.transmit import SecSpec, TxDone, final_status
from zigmesh.clock import TimerHandle
from zigmesh.errors import SecurityError
from zigmesh.nwk.primitives import NldeDataIndication, NwkAddrMode, NwkStatus

if TYPE_CHECKING:
    from zigmesh.aps.aps import Aps

__all__ = ["FragTxState", "FragRxState", "AckTo", "FragmentSender", "Reassembler"]

_FIRST = Fragmentation.FIRST
_SUBSEQUENT = Fragmentation.SUBSEQUENT
_NWK = NwkAddrMode.NWK
_SUCCESS = NwkStatus.SUCCESS


class FragTxState(Enum):
    SENDING = 1  # blocks of the current window going out, apsInterframeDelay apart
    WAITING_ACK = 2  # the window is out; its acknowledgement awaited
    DONE = 3


class FragRxState(Enum):
    RECEIVING = 1
    COMPLETE = 2  # indicated; kept to acknowledge late retransmissions again


class AckTo(NamedTuple):
    """Everything needed to acknowledge a received frame, from the acknowledger's side:
    the ACK goes to ``dst`` (the frame's NWK source) with the frame's endpoints swapped."""

    dst: int
    dst_endpoint: int | None  # the frame's source endpoint (None: a command ack)
    cluster_id: int | None
    profile_id: int | None
    src_endpoint: int | None  # the frame's destination endpoint
    counter: int
    key_id: int | None  # APS key identifier the frame was secured with
    partner: int | None  # the sender's IEEE address (link key partner)
    ext_nonce: bool
    nwk_security: bool


def ack_bitfield(have: Callable[[int], bool], first: int, window: int, total: int | None) -> int:
    """The ack bitfield for the window starting at ``first``: bit i set when block first+i
    was received, or lies past the window or past the message."""
    bits = 0
    for i in range(8):
        b = first + i
        if i >= window or (total is not None and b >= total) or have(b):
            bits |= 1 << i
    return bits


class FragmentSender:
    """One outgoing fragmented ASDU (module docstring)."""

    __slots__ = (
        "_aps",
        "dst",
        "counter",
        "blocks",
        "n",
        "window",
        "window_start",
        "acked",
        "sent",
        "queue",
        "window_retries",
        "progress_us",
        "retries",
        "state",
        "timer",
        "nwk_ok",
        "last_nwk",
        "on_done",
        "_hdr",
        "_sec",
        "_radius",
        "_ack_wait",
    )

    def __init__(
        self,
        aps: Aps,
        *,
        dst: int,
        dst_endpoint: int,
        cluster_id: int,
        profile_id: int,
        src_endpoint: int,
        counter: int,
        asdu: bytes,
        block_size: int,
        on_done: TxDone,
        sec: SecSpec | None = None,
        radius: int = 0,
        ack_wait: int = 0,
    ) -> None:
        self._aps = aps
        self.dst = dst
        self.counter = counter
        self.blocks = [asdu[i : i + block_size] for i in range(0, len(asdu), block_size)]
        self.n = n = len(self.blocks)
        if not 1 <= n <= 0xFF:
            raise ValueError(f"{n} blocks: a fragmented ASDU has 1-255 blocks")
        self.window = aps.config.max_window_size
        self.window_start = 0
        self.acked = 0  # bit i: block i acknowledged
        self.sent = 0  # bit i: block i sent at least once
        self.queue: list[int] = []
        self.window_retries = 0
        #: when the message last progressed (first send, a new block acknowledged)
        self.progress_us = 0
        self.retries = 0
        self.state = FragTxState.SENDING
        self.timer: TimerHandle | None = None
        self.nwk_ok = False
        self.last_nwk: NwkStatus | None = None
        self.on_done = on_done
        self._sec = sec
        self._radius = radius
        self._ack_wait = ack_wait
        sec_bit = FC_SECURITY if sec is not None else 0

        def header(i: int) -> bytes:
            ext = ExtendedHeader(_FIRST, n) if i == 0 else ExtendedHeader(_SUBSEQUENT, i)
            hdr = ApsFrame(
                ApsFrameType.DATA,
                ack_request=True,
                dst_endpoint=dst_endpoint,
                cluster_id=cluster_id,
                profile_id=profile_id,
                src_endpoint=src_endpoint,
                counter=counter,
                extended_header=ext,
            ).header()
            return bytes((hdr[0] | sec_bit,)) + hdr[1:]

        self._hdr = header

    @property
    def key(self) -> tuple[int, int]:
        return (self.dst, self.counter)

    @property
    def secured(self) -> bool:
        """APS-secured blocks (their acknowledgements must be secured too)."""
        return self._sec is not None

    def start(self) -> None:
        aps = self._aps
        aps.frag_tx[(self.dst, self.counter)] = self
        aps.stats.fragmented_sent += 1
        self.progress_us = aps.clock.now()
        self._round()

    # -- sending ----------------------------------------------------------------------------

    def _window_end(self) -> int:
        return min(self.window_start + self.window, self.n)

    def _round(self) -> None:
        """Send the window's blocks not acknowledged yet."""
        self.timer = None
        if self.state is FragTxState.DONE:
            return
        acked = self.acked
        self.queue = [i for i in range(self.window_start, self._window_end()) if not acked >> i & 1]
        self.state = FragTxState.SENDING
        self._send_next()

    def _send_next(self) -> None:
        self.timer = None
        q = self.queue
        while q and self.acked >> q[0] & 1:
            q.pop(0)
        if not q:
            self._window_sent()
            return
        i = q.pop(0)
        aps = self._aps
        sec = self._sec
        hdr = self._hdr(i)
        try:
            if sec is None:
                nsdu = hdr + self.blocks[i]
            else:
                nsdu = aps.security.seal(
                    hdr, self.blocks[i], sec.key_id, sec.partner, sec.ext_nonce
                )
        except SecurityError:
            self._finish(ApsStatus.SECURITY_FAIL)
            return
        stats = aps.stats
        stats.fragments_sent += 1
        if self.sent >> i & 1:
            stats.fragments_retransmitted += 1
        self.sent |= 1 << i
        aps.nlde(_NWK, self.dst, nsdu, self._radius, True, self._confirmed)
        if q:
            self.timer = aps.clock.call_later(aps.config.interframe_delay_us, self._send_next)
        else:
            self._window_sent()

    def _window_sent(self) -> None:
        self.state = FragTxState.WAITING_ACK
        aps = self._aps
        self.timer = aps.clock.call_later(self._ack_wait, self._timeout)
        aps.await_response()

    def _confirmed(self, handle: int, status: NwkStatus) -> None:
        if self.state is FragTxState.DONE:
            return
        if status == _SUCCESS:
            self.nwk_ok = True
        else:
            self.last_nwk = status
            self._aps.stats.nwk_failures += 1

    # -- acknowledgements -------------------------------------------------------------------

    def on_ack(self, block_number: int, bitfield: int) -> None:
        """A fragment acknowledgement for this message arrived."""
        if self.state is FragTxState.DONE or block_number != self.window_start:
            return  # stale: an earlier window, acknowledged already
        self._aps.stats.acks_received += 1
        first = self.window_start
        end = self._window_end()
        new = 0
        for i in range(end - first):
            if bitfield >> i & 1:
                new |= 1 << (first + i)
        progress = bool(new & ~self.acked)
        if progress:
            self.window_retries = 0
            self.progress_us = self._aps.clock.now()
        self.acked |= new
        mask = ((1 << (end - first)) - 1) << first
        if self.acked & mask == mask:
            self._cancel_timer()
            self.window_start = end
            self.window_retries = 0
            if end >= self.n:
                self._finish(ApsStatus.SUCCESS)
                return
            self.state = FragTxState.SENDING
            self.timer = self._aps.clock.call_later(
                self._aps.config.interframe_delay_us, self._round
            )
            return
        if self.state is FragTxState.WAITING_ACK:
            # gaps reported after the round: resend the missing blocks (a retry unless the
            # acknowledgement showed progress)
            self._cancel_timer()
            self._retry(self._aps.config.interframe_delay_us, not progress)

    def _timeout(self) -> None:
        self.timer = None
        self._retry(0, True)

    def _retry(self, delay: int, counted: bool) -> None:
        aps = self._aps
        if counted:
            cfg = aps.config
            if (
                self.window_retries >= cfg.max_frame_retries
                or aps.clock.now() - self.progress_us > cfg.max_retry_span_us
            ):
                self._finish(final_status(self.nwk_ok, self.last_nwk))
                return
            self.window_retries += 1
        self.retries += 1
        aps.stats.retries += 1
        self.state = FragTxState.SENDING
        if delay:
            self.timer = aps.clock.call_later(delay, self._round)
        else:
            self._round()

    def _cancel_timer(self) -> None:
        t = self.timer
        if t is not None:
            t.cancel()
            self.timer = None

    def cancel(self, status: ApsStatus) -> None:
        if self.state is not FragTxState.DONE:
            self._finish(status)

    def _finish(self, status: ApsStatus | NwkStatus) -> None:
        self.state = FragTxState.DONE
        self._cancel_timer()
        aps = self._aps
        key = (self.dst, self.counter)
        if aps.frag_tx.get(key) is self:
            del aps.frag_tx[key]
        self.on_done(status, self.retries)


# ----------------------------------------------------------------------------------------------
# receiving
# ----------------------------------------------------------------------------------------------


class _Incoming:
    """One message being reassembled."""

    __slots__ = (
        "key",
        "state",
        "total",
        "blocks",
        "size",
        "window_start",
        "timer",
        "ack_timer",
        "ack_to",
        "endpoints",
        "security_status",
        "src_ieee",
        "lqi",
        "hops",
    )

    def __init__(
        self,
        key: tuple[int, int],
        ack_to: AckTo,
        endpoints: tuple[int, ...],
        security_status: SecurityStatus,
        src_ieee: int | None,
    ) -> None:
        self.key = key
        self.state = FragRxState.RECEIVING
        self.total: int | None = None
        self.blocks: dict[int, bytes] = {}
        self.size = 0
        self.window_start = 0
        self.timer: TimerHandle | None = None
        self.ack_timer: TimerHandle | None = None
        self.ack_to = ack_to
        self.endpoints = endpoints
        self.security_status = security_status
        self.src_ieee = src_ieee
        self.lqi = 0
        self.hops = 0

    def cancel_timers(self) -> None:
        for t in (self.timer, self.ack_timer):
            if t is not None:
                t.cancel()
        self.timer = None
        self.ack_timer = None


class Reassembler:
    """Reassembly buffers of one APS (module docstring)."""

    __slots__ = ("_aps", "_entries")

    def __init__(self, aps: Aps) -> None:
        self._aps = aps
        self._entries: dict[tuple[int, int], _Incoming] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def receiving(self) -> int:
        """Buffers holding a message still incomplete."""
        return sum(1 for e in self._entries.values() if e.state is FragRxState.RECEIVING)

    def clear(self) -> None:
        for e in self._entries.values():
            e.cancel_timers()
        self._entries.clear()

    def block(
        self,
        ind: NldeDataIndication,
        frame: ApsFrame,
        payload: bytes,
        ack_to: AckTo,
        endpoints: tuple[int, ...],
        security_status: SecurityStatus,
        src_ieee: int | None,
    ) -> None:
        """A received block (a unicast data frame with a fragmented extended header, already
        past APS security). ``endpoints`` are the local endpoints it is for (non-empty)."""
        aps = self._aps
        stats = aps.stats
        ext = frame.extended_header
        assert ext is not None and ext.block_number is not None
        if ext.fragmentation == _FIRST:
            index = 0
            total: int | None = ext.block_number
            if total == 0:
                stats.drop("bad_fragment")
                return
        elif ext.fragmentation == _SUBSEQUENT and ext.block_number > 0:
            index = ext.block_number
            total = None
        else:
            stats.drop("bad_fragment")
            return
        stats.fragments_received += 1
        key = (ind.src_addr, ack_to.counter)
        now = aps.clock.now()
        window = aps.config.max_window_size
        dups = aps.duplicates
        e = self._entries.get(key)
        if e is not None and e.state is FragRxState.COMPLETE and dups.ahead(key[0], key[1]):
            self._forget(e)  # the counter wrapped: a new message
            e = None
        if e is None:
            if dups.contains(key[0], key[1], now):
                # a late retransmission of a message delivered and forgotten: ack, no delivery
                stats.duplicates_rejected += 1
                first = index // window * window
                aps.rx.send_ack(ack_to, self._ack_header(first, 0xFF))
                return
            if not self._make_room():
                stats.drop("reassembly_full")
                return
            e = _Incoming(key, ack_to, endpoints, security_status, src_ieee)
            self._entries[key] = e
        if e.state is FragRxState.COMPLETE:
            stats.duplicates_rejected += 1
            first = index // window * window
            aps.rx.send_ack(e.ack_to, self._ack_header(first, 0xFF))
            return
        if security_status != e.security_status or ack_to.key_id != e.ack_to.key_id:
            stats.drop("bad_fragment")  # every block of a message is secured the same way
            return
        if total is not None:
            if e.total is None:
                if any(i >= total for i in e.blocks):
                    self._abort(e, "bad_fragment")
                    return
                e.total = total
            elif e.total != total:
                stats.drop("bad_fragment")
                return
        if e.total is not None and index >= e.total:
            stats.drop("bad_fragment")
            return
        first = e.window_start
        if index < first:
            # a block of a window acknowledged already: our ack was lost, say it again
            stats.duplicates_rejected += 1
            aps.rx.send_ack(e.ack_to, self._ack_header(index // window * window, 0xFF))
            return
        e.lqi = ind.link_quality
        e.hops = ind.hops
        if index not in e.blocks:
            e.size += len(payload)
            if e.size > aps.config.max_asdu_length:
                self._abort(e, "asdu_too_long")
                return
            e.blocks[index] = payload
        else:
            stats.duplicates_rejected += 1
        if e.timer is not None:
            e.timer.cancel()
        e.timer = aps.clock.call_later(aps.config.fragment_reassembly_timeout_us, self._expired, e)
        aps.await_response()  # an rx-off receiver fetches the next blocks from its parent
        if index >= first + window:
            return  # ahead of the window: kept, acknowledged with its own window
        self._window_progress(e, index)

    def _window_progress(self, e: _Incoming, index: int) -> None:
        aps = self._aps
        window = aps.config.max_window_size
        first = e.window_start
        end = first + window if e.total is None else min(first + window, e.total)
        blocks = e.blocks
        if all(i in blocks for i in range(first, end)):
            if e.ack_timer is not None:
                e.ack_timer.cancel()
                e.ack_timer = None
            aps.rx.send_ack(e.ack_to, self._ack_header(first, 0xFF))
            e.window_start = end
            if e.total is not None and end >= e.total:
                self._complete(e)
            return
        last = end - 1
        if last not in blocks:
            return  # the sender is still sending this round
        if e.ack_timer is not None:
            e.ack_timer.cancel()
            e.ack_timer = None
        if index == last:
            self._partial_ack(e)  # the round's last block: report the gaps now
        else:
            e.ack_timer = aps.clock.call_later(
                aps.config.fragment_ack_delay_us, self._partial_ack, e
            )

    def _partial_ack(self, e: _Incoming) -> None:
        e.ack_timer = None
        if e.state is not FragRxState.RECEIVING or self._entries.get(e.key) is not e:
            return
        aps = self._aps
        bits = ack_bitfield(
            e.blocks.__contains__, e.window_start, aps.config.max_window_size, e.total
        )
        aps.rx.send_ack(e.ack_to, self._ack_header(e.window_start, bits))

    @staticmethod
    def _ack_header(first: int, bits: int) -> ExtendedHeader:
        return ExtendedHeader(_FIRST if first == 0 else _SUBSEQUENT, first, bits)

    def _complete(self, e: _Incoming) -> None:
        aps = self._aps
        assert e.total is not None
        asdu = b"".join(e.blocks[i] for i in range(e.total))
        e.blocks = {}
        e.state = FragRxState.COMPLETE
        e.cancel_timers()
        now = aps.clock.now()
        aps.duplicates.add(e.key[0], e.key[1], now)
        aps.stats.fragments_reassembled += 1
        # keep the entry to re-acknowledge late retransmissions, as long as a duplicate lives
        e.timer = aps.clock.call_later(aps.config.duplicate_timeout_us, self._forget, e)
        a = e.ack_to
        aps.rx.indicate_unicast(
            e.endpoints,
            a.dst,
            a.dst_endpoint if a.dst_endpoint is not None else 0,
            a.profile_id or 0,
            a.cluster_id or 0,
            asdu,
            e.security_status,
            e.lqi,
            now,
            e.src_ieee,
            e.hops,
            a.counter,
        )

    def _expired(self, e: _Incoming) -> None:
        e.timer = None
        if self._entries.get(e.key) is e and e.state is FragRxState.RECEIVING:
            self._aps.stats.fragment_timeouts += 1
            self._forget(e)

    def _forget(self, e: _Incoming) -> None:
        e.cancel_timers()
        if self._entries.get(e.key) is e:
            del self._entries[e.key]

    def _abort(self, e: _Incoming, reason: str) -> None:
        self._aps.stats.drop(reason)
        self._forget(e)

    def _make_room(self) -> bool:
        """Room for one more buffer: reuse a COMPLETE entry when all are taken."""
        entries = self._entries
        limit = self._aps.config.max_reassembly_buffers
        if len(entries) < limit:
            return True
        for e in list(entries.values()):
            if e.state is FragRxState.COMPLETE:
                self._forget(e)
                if len(entries) < limit:
                    return True
        return len(entries) < limit
