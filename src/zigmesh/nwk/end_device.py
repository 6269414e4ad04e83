"""End devices and their parents (Zigbee spec R22 3.6.10, 3.6.1.4, 3.4.11 / 3.4.12).

Child side (:class:`EndDeviceChild`, :class:`ChildState`):

* an rx-off end device polls its parent (MLME-POLL) every ``poll_interval_us``, and again at
  once while frames keep coming with Frame Pending set;
* after joining it sends an End Device Timeout Request (its timeout index, Table 3-54: 0 = 10 s,
  n = 2^n minutes) and learns from the response's parent information which keepalive methods
  the parent supports (3.6.10): with the MAC data poll keepalive, an rx-off child's regular
  polls keep it alive (when it polls at least every quarter of its timeout) and it sends no
  further timeout requests; otherwise it repeats the request every quarter of its timeout
  (End Device Timeout Request keepalive), or, with a parent supporting only the MAC data poll
  keepalive, polls that often;
* ``parent_loss_threshold`` consecutive failures (polls, or frames to the parent after every
  retry, unanswered: a busy channel is no failure of the parent) mean the parent is lost:
  NLME-NWK-STATUS.indication PARENT_LINK_FAILURE and, if
  configured, a NWK rejoin to a new parent (retried every ``rejoin_retry_us``);
* a failure is first checked by polling the parent at its extended address
  (macCoordExtendedAddress, 802.15.4 7.5.6.3): a parent that changed its short address
  (address conflict resolution, 3.6.1.9.3) answers there, and the child keeps polling it so
  until the parent tells it the new address (below); only an unanswered check counts. A
  router that moved left all its sleepy children rejoining otherwise, each rejoin a
  network-wide Device_annce (issue 11, 10,000 nodes).

Parent side (:class:`EndDeviceParent`): the End Device Timeout Request sets the child's timeout
(neighbour table) and its response advertises both keepalive methods (the MAC data poll one
unless ``NwkConfig.mac_data_poll_keepalive`` is off); any frame from the child, and each of its
MAC data polls (MLME-POLL.indication), restarts it; a child whose timeout runs out is removed
and the frames its MAC still held for it are purged (the MAC itself drops a frame not polled
for within macTransactionPersistenceTime, 7.68 s). A child polling our extended address does
not know our short address (we changed it): it is queued an unsolicited Rejoin Response
carrying its own address unchanged (3.4.7) from our new short address and our IEEE address
(NWK header), from which it learns where we are.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.frames import AddrMode
from zigmesh.mac.primitives import MacStatus, MlmePollConfirm, MlmePollIndication
from zigmesh.nwk.commands import (
    PARENT_INFO_MAC_DATA_POLL_KEEPALIVE,
    PARENT_INFO_POWER_NEGOTIATION,
    PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE,
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    EndDeviceTimeoutStatus,
    Leave,
    NwkCommand,
    NwkStatusCode,
    RejoinResponse,
    RejoinStatus,
    end_device_timeout_seconds,
)
from zigmesh.nwk.constants import MS, S
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.primitives import (
    NlmeNwkStatusIndication,
    NlmeSyncConfirm,
    NwkStatus,
    mac_to_nwk_status,
)
from zigmesh.nwk.tables import DeviceType

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk
    from zigmesh.nwk.transmit import TxRecord

__all__ = ["ChildState", "EndDeviceChild", "EndDeviceParent"]

#: first poll after joining (fetches the timeout response)
_FIRST_POLL_US = 500 * MS
#: quick re-poll while the parent has more frames (Frame Pending)
_REPOLL_US = 10 * MS
#: what counts toward parent loss: the parent did not answer. A channel access failure (the
#: channel was busy, the parent never tried) counts only as one in BUSY_LOSS_FACTOR: under load
#: it made sleepy devices leave working parents, and each rejoin's Device_annce flooded the
#: busy network further; a channel busy for good around the parent (a jammer) still moves us
_FAILURES = (MacStatus.NO_ACK,)
BUSY_LOSS_FACTOR = 3
#: a child heard straight from itself (a frame or a MAC data poll) within this long (or within
#: twice the gap between its last two polls, if longer) still polls us: one relayed frame or
#: Device_annce (a replay passes NWK security from a sender never heard) does not drop it
MOVED_QUIET_US = 10 * S


class ChildState(Enum):
    """An end device's standing with its parent."""

    IDLE = 0  # not an end device in a network
    ATTACHED = 1  # polling / keeping alive
    PARENT_LOST = 2  # rejoining


class EndDeviceChild:
    """Polling, keepalive and parent loss of an end device."""

    __slots__ = (
        "_nwk",
        "state",
        "polling",
        "failures",
        "busy",
        "_poll_timer",
        "_keepalive_timer",
        "_rejoin_timer",
        "_sync",
        "_more",
        "_retries",
        "stale",
        "_probing",
    )

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self.state = ChildState.IDLE
        #: an MLME-POLL is in progress
        self.polling = False
        #: consecutive poll / transmit failures toward the parent, and those on a busy channel
        self.failures = 0
        self.busy = 0
        self._poll_timer: TimerHandle | None = None
        self._keepalive_timer: TimerHandle | None = None
        self._rejoin_timer: TimerHandle | None = None
        self._sync = False
        self._more = False
        #: rejoin retries since the parent was lost
        self._retries = 0
        #: our parent answers at its extended address but not at the short address we know
        #: (it changed it): we poll it by its extended address until it tells us the new one
        self.stale = False
        #: the poll in progress checks a failure by the parent's extended address
        self._probing = False

    def stop(self) -> None:
        for h in (self._poll_timer, self._keepalive_timer, self._rejoin_timer):
            if h is not None:
                h.cancel()
        self._poll_timer = self._keepalive_timer = self._rejoin_timer = None
        self.state = ChildState.IDLE
        self.failures = self.busy = 0
        self._sync = False
        self._more = False
        self.stale = self._probing = False
        # a poll in flight dies with the MAC reset that follows: its confirm never comes, and
        # a flag left set would refuse every later poll (the child never fetched its network
        # key again and failed authentication for ever)
        self.polling = False

    def _cancel_attached(self) -> None:
        for h in (self._poll_timer, self._keepalive_timer):
            if h is not None:
                h.cancel()
        self._poll_timer = self._keepalive_timer = None

    # -- attached --------------------------------------------------------------------------

    def start(self) -> None:
        """Joined (or rejoined) a parent: start polling and keepalive."""
        nwk = self._nwk
        self._cancel_attached()
        if self._rejoin_timer is not None:
            self._rejoin_timer.cancel()
            self._rejoin_timer = None
        self.state = ChildState.ATTACHED
        self.failures = self.busy = 0
        self.stale = self._probing = False
        pib = nwk.mac.pib
        parent = nwk.neighbors.parent()
        if not pib.mac_coord_extended_address and parent is not None and parent.extended_address:
            # after a NWK rejoin too, the MAC knows its coordinator's extended address: the
            # only source of a Disassociation Notification it accepts
            pib.mac_coord_extended_address = int(parent.extended_address)
        sec = nwk.security
        if sec is None or sec.active:
            # a secured network's joining child waits for its network key first
            # (the node sends the request once authenticated)
            self.send_timeout_request()
        if not nwk.rx_on_when_idle:
            self._poll_timer = nwk.clock.call_later(_FIRST_POLL_US, self._poll_tick)

    def _poll_tick(self) -> None:
        nwk = self._nwk
        interval = nwk.config.poll_interval_us
        # +/- 1 % per period, as a sleep clock drifts: devices polling at the same rate never
        # stay locked in phase (their parents' answers would collide at every poll)
        spread = interval // 100
        if spread > 0:
            interval += nwk.rng.randint(-spread, spread)
        self._poll_timer = nwk.clock.call_later(interval, self._poll_tick)
        self.poll()

    def poll(self, extended: bool = False) -> bool:
        """Send a data request to the parent now (False when one is already running): to its
        extended address when ``extended`` or :attr:`stale`."""
        nwk = self._nwk
        if self.polling or self.state != ChildState.ATTACHED:
            return False
        parent = nwk.parent_address
        if parent is None:
            return False
        try:
            if extended or self.stale:
                ieee = self.parent_ieee()
                if ieee is None:
                    return False
                nwk.mac.mlme_poll_request(ieee, coord_addr_mode=AddrMode.EXTENDED)
            else:
                nwk.mac.mlme_poll_request(parent)
        except LocalProtocolError:
            return False
        self.polling = True
        return True

    def parent_ieee(self) -> int | None:
        """Our parent's IEEE address (None: unknown)."""
        p = self._nwk.neighbors.parent()
        if p is not None and p.extended_address is not None:
            return int(p.extended_address)
        return self._nwk.mac.pib.mac_coord_extended_address or None

    def parent_moved(self, address: int) -> bool:
        """A frame from ``address`` carrying our parent's IEEE address while we check or know
        that our parent's short address is stale: it is the parent's short address now (new,
        3.6.1.9.3, or the same: our poll to it was lost). Returns False (nothing learnt) when
        we did not ask."""
        nwk = self._nwk
        ieee = self.parent_ieee()
        if not (self.stale or self._probing) or ieee is None:
            return False
        nwk.neighbors.change_address(ieee, address)
        nwk.address_map.update(address, ieee, overwrite=True)
        nwk.mac.pib.mac_coord_short_address = address
        self.stale = self._probing = False
        self.failures = self.busy = 0
        nwk.stats.parent_moved += 1
        return True

    def sync(self) -> None:
        """NLME-SYNC.request: poll now, confirm with the outcome."""
        nwk = self._nwk
        if self.state != ChildState.ATTACHED:
            nwk.emit_soon(NlmeSyncConfirm(NwkStatus.INVALID_REQUEST))
            return
        self._sync = True
        if not self.polling and not self.poll():
            self._sync = False
            nwk.emit_soon(NlmeSyncConfirm(NwkStatus.INVALID_REQUEST))

    def frame_pending(self) -> None:
        """A frame from the parent said it holds more for us: poll again soon."""
        self._more = True

    def on_poll_confirm(self, c: MlmePollConfirm) -> None:
        nwk = self._nwk
        if nwk.join.polling:
            nwk.join.on_poll_confirm(c)
            return
        self.polling = False
        probing, self._probing = self._probing, False
        status = c.status
        if self._sync:
            self._sync = False
            nwk.emit(NlmeSyncConfirm(mac_to_nwk_status(status)))
        if self.state != ChildState.ATTACHED:
            return
        if status == MacStatus.SUCCESS or status == MacStatus.NO_DATA:
            self.failures = self.busy = 0
            if probing:
                # answered at its extended address, not at its short one: the parent moved
                # (its notice of the new address comes with its next answer)
                self.stale = True
                nwk.stats.parent_address_stale += 1
                if status == MacStatus.NO_DATA:
                    nwk.clock.call_later(_REPOLL_US, self.poll)
            if self._more and status == MacStatus.SUCCESS:
                self._more = False
                nwk.clock.call_later(_REPOLL_US, self.poll)
            return
        if status == MacStatus.CHANNEL_ACCESS_FAILURE:
            self._busy()
        else:
            self._failure(check=not probing)

    def on_tx_result(self, status: MacStatus) -> None:
        """A frame to the parent succeeded or failed (after every retry)."""
        if self.state != ChildState.ATTACHED:
            return
        if status == MacStatus.SUCCESS:
            self.failures = self.busy = 0
        elif status in _FAILURES:
            self._failure()
        elif status == MacStatus.CHANNEL_ACCESS_FAILURE:
            self._busy()

    def _failure(self, check: bool = True) -> None:
        """The parent did not answer: counted unless ``check`` and a poll of its extended
        address (see the module docstring) is now under way to tell a moved parent."""
        nwk = self._nwk
        if nwk.pan_conflict.updating:
            return  # our parent may have switched PAN ID before us (see pan_switched)
        if check and not self.stale and not self.polling and self.poll(extended=True):
            self._probing = True
            return
        self.failures += 1
        if self.failures >= nwk.config.parent_loss_threshold:
            self.parent_lost()

    def _busy(self) -> None:
        nwk = self._nwk
        if nwk.pan_conflict.updating:
            return
        self.busy += 1
        if self.busy >= BUSY_LOSS_FACTOR * nwk.config.parent_loss_threshold:
            self.parent_lost()

    def parent_lost(self) -> None:
        """Parent loss (3.6.1.4.2): report it and rejoin elsewhere if configured."""
        nwk = self._nwk
        if self.state != ChildState.ATTACHED:
            return
        self._cancel_attached()
        self.state = ChildState.PARENT_LOST
        self._retries = 0
        nwk.stats.parent_losses += 1
        parent = nwk.parent_address
        nwk.emit(
            NlmeNwkStatusIndication(
                NwkStatusCode.PARENT_LINK_FAILURE, parent if parent is not None else 0xFFFF
            )
        )
        if nwk.config.rejoin_on_parent_loss:
            nwk.join.rejoin()

    def pan_switched(self) -> None:
        """We moved to the new PAN ID of a Network Update (3.6.1.13.2). Our parent switched
        before us: it heard the update first and kept our copy until we polled, so its answers
        stopped for up to a poll period, and those failures did not count (:meth:`_failure`);
        poll now for what waited meanwhile."""
        if self.state != ChildState.ATTACHED:
            return
        self.failures = self.busy = 0
        if not self._nwk.rx_on_when_idle:
            self.poll()

    def disassociated(self) -> None:
        """The MAC accepted a Disassociation Notification from our parent and forgot the PAN
        (its PAN ID and short address): a parent loss, and a rejoin even when rejoining on
        parent loss is off, since the MAC is no longer in the network."""
        nwk = self._nwk
        if self.state == ChildState.ATTACHED:
            self.parent_lost()
        if not nwk.join.in_rejoin:
            self._cancel_attached()
            self.state = ChildState.PARENT_LOST
            nwk.join.rejoin()

    def on_rejoin_failed(self) -> None:
        """The rejoin found no parent: try again later."""
        nwk = self._nwk
        if self.state != ChildState.PARENT_LOST or not nwk.config.rejoin_on_parent_loss:
            return
        if self._rejoin_timer is not None:
            self._rejoin_timer.cancel()
        # +/- a fifth at random: a fixed period keeps every retry's beacon request in the same
        # phase of a periodic interferer (an attacker sending every 20 ms hid every beacon
        # request of a sleepy device for 25 s, issue 9's hostile campaign, seed 9)
        retry = nwk.config.rejoin_retry_us
        spread = retry // 5
        if spread > 0:
            retry += nwk.rng.randint(-spread, spread)
        self._rejoin_timer = nwk.clock.call_later(retry, self._retry_rejoin)

    def _retry_rejoin(self) -> None:
        """Every other retry also scans the other channels of the channel mask (the network
        may have moved while we missed the change, 3.6.1.4.3)."""
        self._rejoin_timer = None
        if self.state == ChildState.PARENT_LOST:
            self._retries += 1
            self._nwk.join.rejoin(wide=self._retries % 2 == 1)

    # -- timeout request / keepalive -------------------------------------------------------

    def send_timeout_request(self) -> None:
        nwk = self._nwk
        parent = nwk.parent_address
        if parent is None or self.state != ChildState.ATTACHED:
            return
        nwk.send_command(
            EndDeviceTimeoutRequest(nwk.config.end_device_timeout_index, 0),
            parent,
            parent,
            radius=1,
            on_done=lambda rec, st: self.on_tx_result(st),
        )

    def on_timeout_response(self, cmd: EndDeviceTimeoutResponse) -> None:
        nwk = self._nwk
        if self.state != ChildState.ATTACHED:
            return
        info = (
            (PARENT_INFO_MAC_DATA_POLL_KEEPALIVE if cmd.mac_data_poll_keepalive else 0)
            | (PARENT_INFO_TIMEOUT_REQUEST_KEEPALIVE if cmd.timeout_request_keepalive else 0)
            | (PARENT_INFO_POWER_NEGOTIATION if cmd.power_negotiation else 0)
        )
        nwk.nib.nwk_parent_information = info
        if self._keepalive_timer is not None:
            self._keepalive_timer.cancel()
            self._keepalive_timer = None
        if cmd.status != EndDeviceTimeoutStatus.SUCCESS:
            return
        period = self._keepalive_period_us()
        if (
            cmd.mac_data_poll_keepalive
            and not nwk.rx_on_when_idle
            and nwk.config.poll_interval_us <= period
        ):
            return  # our regular polls are the keepalive
        if cmd.timeout_request_keepalive:
            self._keepalive_timer = nwk.clock.call_later(period, self._keepalive)
        elif cmd.mac_data_poll_keepalive:
            self._keepalive_timer = nwk.clock.call_later(period, self._keepalive_poll)

    def _keepalive_period_us(self) -> int:
        """A quarter of our timeout: a few keepalives may be lost before the parent ages us."""
        return end_device_timeout_seconds(self._nwk.config.end_device_timeout_index) * S // 4

    def _keepalive(self) -> None:
        """End Device Timeout Request keepalive."""
        self._keepalive_timer = None
        self.send_timeout_request()
        self._keepalive_timer = self._nwk.clock.call_later(
            self._keepalive_period_us(), self._keepalive
        )

    def _keepalive_poll(self) -> None:
        """MAC data poll keepalive of a child that does not poll often enough by itself."""
        self._keepalive_timer = None
        self.poll()
        self._keepalive_timer = self._nwk.clock.call_later(
            self._keepalive_period_us(), self._keepalive_poll
        )


class EndDeviceParent:
    """A router's end device children: timeouts and ageing."""

    __slots__ = (
        "_nwk",
        "_timer",
        "_at",
        "_orphans",
        "_seqs",
        "_polls",
        "_suspects",
        "_switched",
        "_telling",
    )

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self._timer: TimerHandle | None = None
        self._at = 0
        #: pollers that are not our children, a Leave (rejoin) on its way to each
        self._orphans: set[int] = set()
        #: child -> NWK sequence number of its last unicast frame heard straight from it
        self._seqs: dict[int, int] = {}
        #: child -> (time of its last MAC data poll, its regular poll gap: the largest gap
        #: between two polls, decaying by 1/32 a poll, so bursts of quick polls while it awaits
        #: an APS ACK do not shrink it)
        self._polls: dict[int, tuple[int, int]] = {}
        #: children suspected to have moved, awaiting the check whether they still poll us:
        #: the check's timer and time
        self._suspects: dict[int, tuple[TimerHandle, int]] = {}
        #: when we last changed PAN ID: our children follow up to a poll period later and
        #: cannot reach us meanwhile (their silence before it says nothing)
        self._switched = -1
        #: children polling our extended address, our notice of our short address on its way
        self._telling: set[int] = set()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for h, _ in self._suspects.values():
            h.cancel()
        self._suspects.clear()
        self._seqs.clear()
        self._polls.clear()
        self._telling.clear()

    def pan_switched(self) -> None:
        """We moved to a new PAN ID (3.6.1.13.2)."""
        self._switched = self._nwk.clock.now()

    def on_timeout_request(
        self, frame: NwkFrame, cmd: EndDeviceTimeoutRequest, prev_hop: int, now: int
    ) -> None:
        """End Device Timeout Request from a child (3.6.10.2)."""
        nwk = self._nwk
        child = nwk.neighbors.get(frame.src)
        if child is None or not child.is_child or child.device_type != DeviceType.END_DEVICE:
            nwk.stats.drop_other += 1
            return
        idx = cmd.requested_timeout
        if 0 <= idx <= 14:
            nwk.neighbors.set_device_timeout(frame.src, end_device_timeout_seconds(idx), now)
            child.end_device_configuration = cmd.configuration
            status = EndDeviceTimeoutStatus.SUCCESS
        else:
            status = EndDeviceTimeoutStatus.INCORRECT_VALUE
        nwk.send_command(
            EndDeviceTimeoutResponse(status, nwk.config.mac_data_poll_keepalive, True, False),
            frame.src,
            frame.src,
            radius=1,
            indirect=not child.rx_on_when_idle,
        )
        self.schedule_ageing()

    def on_poll_indication(self, ind: MlmePollIndication) -> None:
        """MLME-POLL.indication: a MAC data poll from an end-device child is its keepalive
        (3.6.10, MAC data poll keepalive), when we advertise that method."""
        nwk = self._nwk
        if not nwk.is_router:
            return
        nbrs = nwk.neighbors
        child = (
            nbrs.get(ind.src_addr)
            if ind.src_addr_mode == AddrMode.SHORT
            else nbrs.get_by_ieee(ind.src_addr)
        )
        if (
            child is None
            and ind.src_addr_mode == AddrMode.SHORT
            and nwk.router_started
            and nwk.config.mac_data_poll_keepalive
        ):
            self._orphan(int(ind.src_addr))
            return
        if child is None or not child.is_child or child.device_type != DeviceType.END_DEVICE:
            return
        addr, now = child.network_address, ind.timestamp
        last = self._polls.get(addr)
        if last is None:
            self._polls[addr] = (now, 0)
        else:
            self._polls[addr] = (now, max(now - last[0], last[1] - (last[1] >> 5)))
        if nwk.config.mac_data_poll_keepalive:
            nbrs.keepalive(addr, now)
        else:
            child.last_heard_us = now
        if ind.dst_addr_mode == AddrMode.EXTENDED:
            self._tell_address(addr, not child.rx_on_when_idle)

    def _tell_address(self, address: int, indirect: bool) -> None:
        """Our end-device child ``address`` polled our extended address: it no longer knows
        our short address (we changed it, 3.6.1.9.3). Send it (``indirect``: queue it, an
        rx-off child) an unsolicited Rejoin Response (3.4.7) with its address unchanged, from
        our short and IEEE addresses."""
        if self._send_once(
            self._telling, RejoinResponse(address, RejoinStatus.SUCCESS), address, indirect
        ):
            self._nwk.stats.parent_address_notices += 1

    def _orphan(self, address: int) -> None:
        """An end device polls us as its parent but is not our child (its join or rejoin
        response was lost, or we aged it out): it would poll for ever and hear nothing. Ask
        it to leave and rejoin (NWK Leave, request + rejoin, 3.6.1.10), as deployed stacks do."""
        if address > 0xFFF7:
            return
        leave = Leave(remove_children=False, request=True, rejoin=True)
        if self._send_once(self._orphans, leave, address, True):
            self._nwk.stats.orphan_leaves_sent += 1

    def _send_once(
        self, inflight: set[int], command: NwkCommand, address: int, indirect: bool
    ) -> bool:
        """Send ``command`` one hop to ``address`` with our IEEE address, unless one in the
        ``inflight`` set is still on its way there (False)."""
        if address in inflight:
            return False
        inflight.add(address)

        def done(rec: TxRecord, status: MacStatus) -> None:
            inflight.discard(address)

        self._nwk.send_command(
            command,
            address,
            address,
            radius=1,
            src_ieee=True,
            indirect=indirect,
            on_done=done,
        )
        return True

    def schedule_ageing(self) -> None:
        """(Re)arm the timer for the earliest child timeout."""
        nwk = self._nwk
        t = nwk.neighbors.next_timeout_us()
        if t is None:
            return
        if self._timer is not None:
            if self._at <= t:
                return
            self._timer.cancel()
        self._at = t
        self._timer = nwk.clock.call_at(max(t, nwk.clock.now()), self._age)

    def _age(self) -> None:
        nwk = self._nwk
        self._timer = None
        now = nwk.clock.now()
        gone = nwk.neighbors.expire_end_devices(now)
        for e in gone:
            nwk.stats.children_aged_out += 1
            for rec in nwk.purge_indirect(e.network_address):
                if rec.on_done is not None:
                    rec.on_done(rec, MacStatus.TRANSACTION_EXPIRED)
            nwk.routes.remove(e.network_address)
        if gone:
            nwk.update_beacon()
        self.schedule_ageing()

    def child_frame(self, address: int, seq: int) -> None:
        """A unicast frame straight from our end-device child ``address`` (NWK sequence
        number ``seq``): the newest the child is known to have sent."""
        if len(self._seqs) > 4 * self._nwk.nib.nwk_max_children + 64:
            self._seqs.clear()
        self._seqs[address] = seq

    def child_moved(self, address: int, seq: int | None = None) -> None:
        """A unicast frame from our end-device child ``address`` came relayed by another router
        (not a copy of one we relayed: those are duplicates): the child rejoined elsewhere and
        we missed its Device_annce (a full broadcast table drops it). It is no longer ours:
        its queued frames fail now instead of waiting for a poll that never comes. A frame
        newer than the child's last one heard straight from it (NWK sequence number ``seq``,
        3.6.2; an attached child sends everything through us, and a replay is never newer) is
        ``fresh`` evidence; any other is weaker (:meth:`suspect_moved`)."""
        last = self._seqs.get(address)
        fresh = seq is not None and last is not None and 0 < (seq - last) & 0xFF < 0x80
        self.suspect_moved(address, self._drop_moved, fresh=fresh)

    def suspect_moved(
        self, address: int, drop: Callable[[int], None], *, fresh: bool = False
    ) -> None:
        """Evidence that our end-device child ``address`` has another parent now (a relayed
        frame of its, or a Device_annce relayed to us, 2.4.3.1.11.2). A child that still polls
        us is ours whatever a frame claims: a replay passes NWK security from a sender never
        heard, and a holder of the network key forges any sequence number (issue 9's hostile
        campaign dropped every sleepy sensor that way, each then associating afresh).
        ``drop(address)`` at once if the child has missed its polls: not heard straight from
        itself for 2.5 regular poll gaps (``fresh`` evidence: newer than anything it sent
        through us; two polls, one may be lost to a collision) or for :data:`MOVED_QUIET_US` /
        twice its poll gap (other evidence); else once it should have polled again, and only
        if it has not."""
        nwk = self._nwk
        e = nwk.neighbors.get(address)
        if e is None or not e.is_child or e.device_type != DeviceType.END_DEVICE:
            return
        now = nwk.clock.now()
        poll = self._polls.get(address)
        gap = poll[1] if poll is not None else 0
        if fresh and gap > 0:
            quiet = 2 * gap + (gap >> 1)  # two polls missed (one may collide)
        else:
            quiet = max(MOVED_QUIET_US, 2 * gap)
        if e.device_timeout is not None:
            quiet = min(quiet, e.device_timeout * S)
        heard = max(e.last_heard_us, self._switched)
        if now - heard >= quiet:
            drop(address)
            return
        nwk.stats.children_moved_refused += 1
        at = heard + quiet
        old = self._suspects.get(address)
        if old is not None:
            if old[1] <= at:
                return
            old[0].cancel()
        self._suspects[address] = (
            nwk.clock.call_at(at, self._recheck, address, heard, drop),
            at,
        )

    def _recheck(self, address: int, heard_us: int, drop: Callable[[int], None]) -> None:
        self._suspects.pop(address, None)
        e = self._nwk.neighbors.get(address)
        if e is None or not e.is_child or e.device_type != DeviceType.END_DEVICE:
            return
        if e.last_heard_us > heard_us:
            return  # it polled us (or sent to us) since: still ours
        drop(address)

    def _drop_moved(self, address: int) -> None:
        nwk = self._nwk
        nwk.stats.children_moved += 1
        self._seqs.pop(address, None)
        self._polls.pop(address, None)
        for rec in nwk.purge_indirect(address):
            if rec.on_done is not None:
                rec.on_done(rec, MacStatus.TRANSACTION_EXPIRED)
        nwk.neighbors.remove(address)
        nwk.routes.remove(address)
        nwk.update_beacon()
