"""Broadcast (Zigbee spec R22 3.6.5): the broadcast transaction table, passive acknowledgement
and rebroadcast retries with jitter.

Destinations (Table 3-69): 0xffff every device, 0xfffd devices with the receiver on when idle,
0xfffc routers and the coordinator (0xfffb low-power routers: treated as routers). An end
device sends its broadcasts to its parent as a MAC unicast; routers send them as MAC
broadcasts, and queue a copy (MAC unicast, indirect) for each sleeping end device child when
the destination is 0xffff.

A received broadcast whose (source, sequence number) is in the BTT is a duplicate: it is not
delivered again, and its MAC sender is noted as having relayed it (passive acknowledgement). A
new one is recorded (dropped if the BTT is full), delivered if the destination covers this
device and, on a router and while the radius allows, rebroadcast after a random jitter of up
to nwkcMaxBroadcastJitter (64 ms). nwkPassiveAckTimeout after each transmission, unless enough router
neighbours were heard relaying it (every one, or :attr:`NwkConfig.passive_ack_quorum` of them:
Z-Stack tracks 8), the broadcast is sent again (after a new jitter), at most
nwkMaxBroadcastRetries times, but not when our BTT turned a broadcast away (full) since it went
out: the neighbours not heard relaying it, in the same flood of broadcasts, most likely
refused it rather than missed it, and would refuse it again (a mass join's announcements: a
3,000-node grid at 8.5 m sent 383,200 retransmissions in its first two minutes without this
rule, 58,511 with it). Broadcasts of radius 1 (link status, leave) are sent once and skip the
BTT. Route requests have their own duplicate handling (:mod:`zigmesh.nwk.routing`).

:class:`BroadcastState` is the life of one broadcast this device transmits.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.constants import NWKC_MAX_BROADCAST_JITTER_US, S
from zigmesh.nwk.frames import NwkFrame, NwkFrameType, one_hop_on
from zigmesh.nwk.primitives import NwkStatus, mac_to_nwk_status
from zigmesh.nwk.tables import DeviceType

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk, TxRecord
    from zigmesh.nwk.tables.btt import RelaySet

__all__ = ["OWN_ECHO_US", "BroadcastState", "Broadcaster", "broadcast_covers"]

_MAC_BROADCAST = 0xFFFF
_NO_ADDRESS = 0xFFFF
_ALL = 0xFFFF
_RX_ON = 0xFFFD
_ROUTERS = 0xFFFC
_LOW_POWER_ROUTERS = 0xFFFB
_DATA = NwkFrameType.DATA
_COORDINATOR = 0x0000
#: a broadcast data frame from our own address with a sequence number we used this recently
#: is taken for a late copy of ours, not another device's
OWN_ECHO_US = 60 * S
_OWN_MAX = 16


class BroadcastState(Enum):
    """One broadcast we transmit: waiting for its jitter, sent and waiting for passive
    acknowledgements, finished."""

    JITTER = 1
    SENT = 2
    DONE = 3


def broadcast_covers(dst: int, *, router: bool, rx_on_when_idle: bool) -> bool:
    """Whether a broadcast to ``dst`` is for a device of this kind (Table 3-69)."""
    if dst == _ALL:
        return True
    if dst == _RX_ON:
        return router or rx_on_when_idle
    if dst in (_ROUTERS, _LOW_POWER_ROUTERS):
        return router
    return False


class _Out:
    __slots__ = ("frame", "data", "retries", "timer", "state", "nsdu_handle", "key", "drops")

    def __init__(self, frame: NwkFrame, data: bytes, nsdu_handle: int) -> None:
        self.frame = frame
        self.data = data
        self.retries = 0
        self.timer: TimerHandle | None = None
        self.state = BroadcastState.JITTER
        #: NLDE-DATA handle to confirm after the first transmission (-1: none)
        self.nsdu_handle = nsdu_handle
        self.key = frame.src << 8 | frame.seq
        #: our BTT's refusals (``drop_btt_full``) when it last went out
        self.drops = 0


class Broadcaster:
    """Originates, relays and deduplicates broadcasts."""

    __slots__ = ("_nwk", "_out", "_own")

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self._out: dict[int, _Out] = {}
        #: sequence number -> when we last originated a broadcast data frame with it: a copy
        #: of ours can come back after its table record expired (a flood slowed by full
        #: queues during a mass join took up to 13 s), and is no sign of an address conflict
        self._own: dict[int, int] = {}

    def stop(self) -> None:
        for o in self._out.values():
            if o.timer is not None:
                o.timer.cancel()
        self._out.clear()

    # -- originating -----------------------------------------------------------------------

    def originate(self, frame: NwkFrame, nsdu_handle: int) -> None:
        """NLDE-DATA to a broadcast address."""
        nwk = self._nwk
        now = nwk.clock.now()
        own = self._own
        own[frame.seq] = now
        if len(own) > _OWN_MAX:
            for seq in [q for q, t in own.items() if now - t >= OWN_ECHO_US]:
                del own[seq]
        if not nwk.btt.add(frame.src, frame.seq, now).admitted:
            nwk.stats.drop_btt_full += 1
            nwk.clock.call_later(
                0, nwk.data_confirm, nsdu_handle, NwkStatus.BT_TABLE_FULL, frame.dst
            )
            return
        if nwk.is_end_device:
            parent = nwk.parent_address
            if parent is None:
                nwk.clock.call_later(
                    0, nwk.data_confirm, nsdu_handle, NwkStatus.ROUTE_ERROR, frame.dst
                )
                return
            rec = nwk.transmit(frame, parent, on_done=self._ed_sent)
            rec.nsdu_handle = nsdu_handle
            return
        self._indirect_copies(frame)
        o = _Out(frame, nwk.encode_for_later(frame), nsdu_handle)
        self._out[o.key] = o
        self._send(o)

    def _ed_sent(self, rec: TxRecord, status: MacStatus) -> None:
        nwk = self._nwk
        nwk.child.on_tx_result(status)
        if rec.nsdu_handle >= 0:
            nwk.data_confirm(rec.nsdu_handle, mac_to_nwk_status(status), rec.frame.dst)

    def originate_command(self, frame: NwkFrame) -> None:
        """A broadcast NWK command of ours (radius 1: sent once, no BTT)."""
        nwk = self._nwk
        if nwk.is_end_device:
            parent = nwk.parent_address
            if parent is not None:
                nwk.transmit(frame, parent)
            return
        if frame.radius <= 1:
            nwk.transmit(frame, _MAC_BROADCAST)
            return
        if not nwk.btt.add(frame.src, frame.seq, nwk.clock.now()).admitted:
            nwk.stats.drop_btt_full += 1
            return
        # a command to 0xffff (a Network Update) reaches our own sleeping children as well
        self._indirect_copies(frame)
        o = _Out(frame, nwk.encode_for_later(frame), -1)
        self._out[o.key] = o
        self._send(o)

    # -- transmitting with passive acknowledgement ----------------------------------------

    def _send(self, o: _Out) -> None:
        nwk = self._nwk
        o.timer = None
        o.state = BroadcastState.SENT
        o.drops = nwk.stats.drop_btt_full
        nwk.transmit(o.frame, _MAC_BROADCAST, data=o.data, on_done=lambda r, s: self._sent(o, s))

    def _sent(self, o: _Out, status: MacStatus) -> None:
        nwk = self._nwk
        if o.nsdu_handle >= 0:
            handle = o.nsdu_handle
            o.nsdu_handle = -1
            nwk.data_confirm(handle, mac_to_nwk_status(status), o.frame.dst)
        if self._out.get(o.key) is not o:
            return
        o.timer = nwk.clock.call_later(nwk.nib.nwk_passive_ack_timeout_us, self._check, o)

    def _check(self, o: _Out) -> None:
        nwk = self._nwk
        o.timer = None
        r = nwk.btt.get(o.frame.src, o.frame.seq, nwk.clock.now())
        if r is None or o.retries >= nwk.nib.nwk_max_broadcast_retries or o.frame.radius <= 1:
            self._done(o)
            return
        if self._acknowledged(o.frame.src, r.relayed_by):
            self._done(o)
            return
        if nwk.stats.drop_btt_full != o.drops:
            # our BTT turned broadcasts away since this one went out: so, in the same flood of
            # broadcasts, do our neighbours', and the ones we did not hear relaying it most
            # likely refused it rather than missed it; a retransmission would be refused again
            nwk.stats.broadcast_retries_skipped += 1
            self._done(o)
            return
        o.retries += 1
        nwk.stats.broadcast_retries += 1
        o.state = BroadcastState.JITTER
        o.timer = nwk.clock.call_later(self._jitter(), self._send, o)

    def _acknowledged(self, src: int, heard: RelaySet) -> bool:
        """Enough router neighbours were heard relaying the broadcast from ``src``: all of
        them, or :attr:`NwkConfig.passive_ack_quorum` of them."""
        nwk = self._nwk
        quorum = nwk.config.passive_ack_quorum
        limit = nwk.neighbors.router_age_limit
        expected = got = 0
        for n in nwk.neighbors.routers():
            a = n.network_address
            if a != src and n.age < limit and n.lqi > 0:
                if a in heard:
                    got += 1
                    if quorum is not None and got >= quorum:
                        return True
                else:
                    expected += 1
                    if quorum is None:
                        return False
        return expected == 0

    def _done(self, o: _Out) -> None:
        o.state = BroadcastState.DONE
        if self._out.get(o.key) is o:
            del self._out[o.key]

    def _jitter(self) -> int:
        return self._nwk.rng.randrange(NWKC_MAX_BROADCAST_JITTER_US + 1)

    def _indirect_copies(self, frame: NwkFrame) -> None:
        """0xffff reaches sleeping end device children through their parent's queue."""
        nwk = self._nwk
        if frame.dst != _ALL:
            return
        data = b""
        for c in nwk.neighbors.children(DeviceType.END_DEVICE):
            if not c.rx_on_when_idle:
                if not data:
                    data = nwk.encode(frame)
                nwk.transmit(frame, c.network_address, indirect=True, data=data)

    # -- receiving -------------------------------------------------------------------------

    def _is_new(self, frame: NwkFrame, prev_hop: int, now: int) -> bool:
        """BTT check (duplicate rejection, passive ack); records a new broadcast."""
        nwk = self._nwk
        btt = nwk.btt
        r = btt.get(frame.src, frame.seq, now)
        if r is not None:
            nwk.stats.broadcast_duplicates += 1
            if prev_hop != _NO_ADDRESS and r.relayed_by.add(prev_hop):
                nwk.stats.passive_acks += 1
            return False
        if frame.src == nwk.address:
            if frame.frame_type == _DATA and frame.src != _COORDINATOR:
                t = self._own.get(frame.seq)
                if t is None or now - t >= OWN_ECHO_US:
                    # none of ours: another device's that uses our network address (its
                    # Device_annce after it joined, typically): an address conflict
                    # (3.6.1.9.2). (0x0000 is never given out.)
                    nwk.stats.broadcast_own_address += 1
                    nwk.addressing.conflict(frame.src)
            return False
        ins = btt.add(frame.src, frame.seq, now)
        if ins.entry is None:
            nwk.stats.drop_btt_full += 1
            return False
        if prev_hop != _NO_ADDRESS:
            ins.entry.relayed_by.add(prev_hop)
        return True

    def _relay(self, frame: NwkFrame) -> None:
        nwk = self._nwk
        if not nwk.is_router or not nwk.router_started:
            return
        if frame.radius <= 1:
            nwk.stats.drop_radius += 1
            return
        out = one_hop_on(frame)
        o = _Out(out, nwk.encode_for_later(out), -1)
        old = self._out.get(o.key)
        if old is not None and old.timer is not None:
            old.timer.cancel()
        self._out[o.key] = o
        nwk.stats.relayed += 1
        o.timer = nwk.clock.call_later(self._jitter(), self._send, o)
        self._indirect_copies(out)

    def on_receive(self, frame: NwkFrame, prev_hop: int, lqi: int, now: int, data: bytes) -> None:
        """A broadcast data frame from the air."""
        nwk = self._nwk
        if not self._is_new(frame, prev_hop, now):
            return
        if broadcast_covers(frame.dst, router=nwk.is_router, rx_on_when_idle=nwk.rx_on_when_idle):
            nwk.deliver(frame, lqi, now, prev_hop, nwk.hops_of(frame))
        self._relay(frame)

    def accept_command(self, frame: NwkFrame, prev_hop: int, now: int, data: bytes) -> bool:
        """A broadcast command from the air: True when it is new and for this device."""
        nwk = self._nwk
        covers = broadcast_covers(
            frame.dst, router=nwk.is_router, rx_on_when_idle=nwk.rx_on_when_idle
        )
        if frame.radius <= 1:
            return covers and frame.src != nwk.address
        if not self._is_new(frame, prev_hop, now):
            return False
        self._relay(frame)
        return covers
