"""A router or coordinator finds its network again after a PAN ID or channel change it missed,
and brings back the parts of the network that missed one it made (issue 9: the network heals by
itself; Zigbee spec R22 3.6.1.13.2 PAN ID update, 2.4.3.3.9 channel change by
Mgmt_NWK_Update_req, 3.6.1.4.3 rejoin over the channel mask, nwkUpdateId).

A change goes out as broadcasts that under load can all be lost by some devices. End devices
find the network again by their rejoin (:mod:`zigmesh.nwk.join`: any PAN ID, the channel mask,
the newest nwkUpdateId); routers never rejoin, so :class:`NetworkWatch` (one per router or
coordinator, a check every :data:`TICK_US`) does two things:

* **Lost**: no router of our network heard for two link status periods (3.6.3.4: every
  router sends one per period): an active scan of our channel and the other channels of the
  channel mask. Our extended PAN ID heard under a newer nwkUpdateId elsewhere, and not on our
  own channel and PAN ID: we missed its update; follow it (new PAN ID, channel, update id).
  Searches that find nothing repeat, further and further apart (:data:`MAX_BACKOFF`).
* **Left behind**: after we moved (our channel or PAN ID changed), a scan of the old channel
  :data:`CHECK_AFTER` broadcast delivery times later: our network still heard there under an
  older nwkUpdateId missed the change; we go back, send the change again (Network Update or
  Mgmt_NWK_Update_req, same target and update id) and move with them; checked again after, at
  most :data:`MAX_ROUNDS` times per change. A lost router that finds parts of its network
  behind it does the same (the manager alone on the new PAN ID while every router missed it).

Only a newer nwkUpdateId moves a device, and only one that hears none of its network where it
is: a forged beacon cannot move a router that still hears its neighbours.
"""

from __future__ import annotations

import random
from typing import Final

from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.primitives import MlmeScanConfirm, ScanType
from zigmesh.nwk.beacon import decode_beacon_payload
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.pan_conflict import newer_update_id
from zigmesh.nwk.tables import DeviceType
from zigmesh.zdo.zdo import Zdo

__all__ = ["CHECK_AFTER", "MAX_BACKOFF", "MAX_ROUNDS", "TICK_US", "NetworkWatch"]

#: how often the watch looks
TICK_US: Final = 2_000_000
#: the old channel is checked this many broadcast delivery times after we moved (receivers of
#: the last copy of the change switch one delivery time after it)
CHECK_AFTER: Final = 1
#: random spread of the check, so that the routers of a network do not scan at once
_CHECK_SPREAD_US: Final = 3_000_000
#: a scan due while the radio is busy is tried again this soon
_BUSY_RETRY_US: Final = 50_000
#: scans per check when they hear none of our network (beacons collide)
_CHECK_SCANS: Final = 3
#: lost: no router heard for this many link status periods
_LOST_PERIODS: Final = 2
#: lost searches repeat after half the lost time, doubling up to 2**MAX_BACKOFF times that
MAX_BACKOFF: Final = 3
#: changes sent again per change of ours
MAX_ROUNDS: Final = 3
_ROUTERS: Final = (DeviceType.COORDINATOR, DeviceType.ROUTER)


class NetworkWatch:
    """Lost-network search and left-behind check of one router or coordinator (module notes)."""

    __slots__ = (
        "_nwk", "_zdo", "_clock", "_rng", "_place", "_last_seen", "_check", "_check_at",
        "_rounds", "_check_tries", "_quiet_until", "_next_search", "_backoff", "_scanning",
        "_retry", "_timer",
    )  # fmt: skip

    def __init__(self, nwk: Nwk, zdo: Zdo, clock: Clock, rng: random.Random) -> None:
        self._nwk = nwk
        self._zdo = zdo
        self._clock = clock
        self._rng = rng
        #: (channel, PAN ID) at the last tick
        self._place: tuple[int, int] | None = None
        #: newest time a router of our network was heard
        self._last_seen: int | None = None
        #: the old (channel, PAN ID) to check, when, and rounds sent again for this change
        self._check: tuple[int, int] | None = None
        self._check_at = 0
        self._rounds = 0
        self._check_tries = 0
        #: until then our own moves are the watch's going back and forth
        self._quiet_until = 0
        self._next_search = 0
        self._backoff = 0
        self._scanning = False
        self._retry: TimerHandle | None = None
        self._timer: TimerHandle | None = clock.call_later(TICK_US, self._tick)

    def stop(self) -> None:
        for t in (self._timer, self._retry):
            if t is not None:
                t.cancel()
        self._timer = self._retry = None

    # -- the periodic look -----------------------------------------------------------------

    def _tick(self) -> None:
        clock = self._clock
        self._timer = clock.call_later(TICK_US, self._tick)
        nwk = self._nwk
        if not nwk.joined or not nwk.is_router or not nwk.router_started:
            self._place = self._last_seen = self._check = None
            return
        now = clock.now()
        nib = nwk.nib
        place = (nib.nwk_logical_channel, nib.nwk_pan_id)
        prev, self._place = self._place, place
        if prev is not None and prev != place and now >= self._quiet_until:
            self._schedule_check(prev, now, new_change=True)
        last = self._last_seen
        if last is None or now - last + TICK_US >= _LOST_PERIODS * nib.nwk_link_status_period_us:
            # (a router heard less than the lost time before the next tick: no search can be
            # due before it, whatever was heard since; the neighbour table's walk waits)
            heard = self._heard()
            if heard is not None and (last is None or heard > last):
                self._last_seen = heard
                self._backoff = 0
                self._next_search = 0
        self._act()

    def _act(self) -> None:
        """Start the scan that is due (soon again while the radio is busy)."""
        self._retry = None
        nwk = self._nwk
        if self._scanning or not nwk.joined:
            return
        now = self._clock.now()
        nib = nwk.nib
        lost_us = _LOST_PERIODS * nib.nwk_link_status_period_us
        check = self._check is not None and now >= self._check_at
        search = (
            self._last_seen is not None
            and now - self._last_seen >= lost_us
            and now >= self._next_search
        )
        if not (check or search):
            return
        if check and (nib.nwk_logical_channel, nib.nwk_pan_id) != self._place:
            # we moved since the last tick (a check held back while our next PAN ID update
            # was pending runs right after it): the devices switching with us would look left
            # behind and we went back for a whole delivery time; the tick schedules the check
            # of this move
            return
        if self._busy():
            if self._retry is None:
                self._retry = self._clock.call_later(_BUSY_RETRY_US, self._act)
            return
        if check and self._check is not None:
            old = self._check
            self._scan([old[0]], lost=False, old=old)
            return
        if search:
            self._next_search = now + (lost_us // 2 << self._backoff)
            self._backoff = min(self._backoff + 1, MAX_BACKOFF)
            here = nib.nwk_logical_channel
            mask = self._zdo.channel_mask
            others = [c for c in range(11, 27) if mask >> c & 1 and c != here]
            self._scan([here, *others], lost=True)

    def _schedule_check(self, old: tuple[int, int], now: int, *, new_change: bool) -> None:
        if new_change:
            self._rounds = 0
        self._check_tries = 0
        delay = CHECK_AFTER * self._nwk.nib.nwk_network_broadcast_delivery_time_us
        self._check = old
        self._check_at = now + delay + self._rng.randrange(_CHECK_SPREAD_US)

    def _heard(self) -> int | None:
        """The newest time a router or coordinator of our network was heard."""
        nwk = self._nwk
        epid = nwk.nib.nwk_extended_pan_id
        best: int | None = None
        for e in nwk.neighbors:
            if e.device_type not in _ROUTERS:
                continue
            if e.extended_pan_id is not None and e.extended_pan_id != epid:
                continue
            if best is None or e.last_heard_us > best:
                best = e.last_heard_us
        return best

    def _busy(self) -> bool:
        nwk = self._nwk
        return (
            nwk.scan_owner is not None
            or nwk.mac.busy
            or nwk.join.in_rejoin
            or nwk.pan_conflict.updating
            or self._zdo.server.mgmt.changing
        )

    # -- scans -----------------------------------------------------------------------------

    def _scan(self, channels: list[int], *, lost: bool, old: tuple[int, int] | None = None) -> None:
        nwk = self._nwk
        self._scanning = True

        def done(c: MlmeScanConfirm) -> None:
            self._scanning = False
            checking = old is not None and self._check == old
            if checking:
                self._check = None
                self._check_tries += 1
            heard = self._scanned(c, lost, old)  # may schedule a check again (sent again there)
            if checking and not heard and self._check is None and self._check_tries < _CHECK_SCANS:
                # beacons collide: a check that heard none of ours is tried again soon
                self._check = old
                self._check_at = self._clock.now() + TICK_US

        nwk.scan_owner = done
        try:
            nwk.mac.mlme_scan_request(ScanType.ACTIVE, channels, nwk.config.rejoin_scan_duration)
        except LocalProtocolError:  # the MAC is busy after all: next tick
            nwk.scan_owner = None
            self._scanning = False

    def _scanned(
        self, c: MlmeScanConfirm, lost: bool, old: tuple[int, int] | None = None
    ) -> bool:
        """Act on a scan's beacons; True when any of our network's was heard. A check of the
        place we left (``old``) finds the part of the network left behind there only: one
        beacon of our extended PAN ID under an older update id anywhere else (a forged or
        mutated one: issue 9's hostile campaign, seed 11) sent the hub and the routers to a PAN
        ID the network never used, for a delivery time, their sleepy children cut off."""
        nwk = self._nwk
        if not nwk.joined:
            return True
        ours = False
        nib = nwk.nib
        epid = nib.nwk_extended_pan_id
        here = (nib.nwk_logical_channel, nib.nwk_pan_id)
        uid = nib.nwk_update_id
        heard_here = False
        newer: tuple[int, int, int, int] | None = None  # (uid, lqi, channel, pan)
        behind: tuple[int, int] | None = None
        for pd in c.pan_descriptor_list:
            if pd.coord_addr_mode != 2 or not pd.beacon_payload:
                continue
            try:
                b = decode_beacon_payload(pd.beacon_payload)
            except DecodeError:
                continue
            if int(b.nwk_extended_pan_id) != epid:
                continue
            ours = True
            place = (pd.channel_number, pd.coord_pan_id)
            their = b.nwk_update_id
            if place == here:
                heard_here = True
            elif newer_update_id(their, uid):
                best = (their, pd.link_quality, *place)
                if (
                    newer is None
                    or newer_update_id(their, newer[0])
                    or (their == newer[0] and pd.link_quality > newer[1])
                ):
                    newer = best
            elif (
                newer_update_id(uid, their) and behind is None and (old is None or place == old)
            ):
                behind = place
        if lost and newer is not None and not heard_here:
            self._follow(newer[2], newer[3], newer[0])
        elif behind is not None and self._rounds < MAX_ROUNDS:
            self._reannounce(behind)
        return ours

    def _follow(self, channel: int, pan: int, update_id: int) -> None:
        """We missed the change: take it now (3.6.1.13.2 / 2.4.3.3.9)."""
        nwk = self._nwk
        nwk.stats.network_followed += 1
        self._quiet_until = self._clock.now() + TICK_US  # no check of where we were
        if pan != nwk.nib.nwk_pan_id:
            nwk.pan_conflict.follow(pan, update_id)
        nwk.nib.nwk_update_id = update_id
        nwk.update_beacon()
        if channel != nwk.nib.nwk_logical_channel:
            self._zdo.server.mgmt.switch_now(channel)

    def _reannounce(self, behind: tuple[int, int]) -> None:
        """Part of our network missed our change: send it again where it is."""
        nwk = self._nwk
        here = (nwk.nib.nwk_logical_channel, nwk.nib.nwk_pan_id)
        if behind[0] != here[0] and behind[1] == here[1]:
            self._zdo.reannounce_channel(behind[0])
        elif behind[1] != here[1] and behind[0] == here[0]:
            nwk.pan_conflict.reannounce(behind[1])
        else:
            return
        nwk.stats.network_reannounced += 1
        self._rounds += 1
        now = self._clock.now()
        bdt = nwk.nib.nwk_network_broadcast_delivery_time_us
        # going there and back is ours: then check again that they came along
        self._quiet_until = now + 2 * bdt + TICK_US
        self._check = behind
        self._check_tries = 0
        self._check_at = self._quiet_until + self._rng.randrange(_CHECK_SPREAD_US)
