"""PAN identifier conflicts: detection and resolution (Zigbee spec R22 3.6.1.13).

Detection (3.6.1.13.1): a device operating in a network that receives a beacon
(MLME-BEACON-NOTIFY.indication) on its channel carrying its own PAN ID but no Zigbee PRO
payload, or another extended PAN ID, has detected a PAN ID conflict once a second such beacon
of that network (same extended PAN ID; or same source and payload) comes within
:data:`CONFIRM_WINDOW_US`: a single beacon may be one of ours corrupted or forged. It sends a Network Report
(3.4.9, report type PAN identifier conflict, the PAN IDs it heard) to the network manager
(``nwkManagerAddr``, the coordinator by default); the manager handles its own detections
directly. Reports are held off for :data:`REPORT_HOLDOFF_US` after one was sent.

Resolution (3.6.1.13.2): the network manager picks a random PAN ID used by no network it heard
nor any in the report, increments ``nwkUpdateId`` and broadcasts a Network Update (3.4.10,
PAN identifier update) to every device (0xFFFF), :data:`UPDATE_SENDS` times spread over
``nwkNetworkBroadcastDeliveryTime`` (under load one broadcast can be lost by every neighbour,
and the manager went alone to the new PAN ID for good); it and every device receiving the update
(with this extended PAN ID and a newer update id) change their PAN ID after
``nwkNetworkBroadcastDeliveryTime``, and tell the layer above with NLME-NWK-STATUS.indication
(PAN_IDENTIFIER_UPDATE) so the new PAN ID and update id are saved.

Two PANs with one extended PAN ID must not persist. A router resumed from non-volatile state
(:mod:`zigmesh.nwk.resume`) may have missed an update while it was off: it scans its channel
(:meth:`PanConflict.verify`), and if it hears its extended PAN ID only under another PAN ID
with a newer ``nwkUpdateId`` (the beacon payload's update id, 3.6.7), and nothing of its
network on its own PAN ID, it follows, as if the update had reached it; a forged beacon alone
cannot move a router that still hears its network. End devices that missed an update lose
their parent (their polls go unanswered) and find the new PAN ID by their rejoin scan, which
takes the PAN ID of the parent it finds (:mod:`zigmesh.nwk.join`). Routers that missed it
while on are found by :mod:`zigmesh.network_watch`: a router that hears nobody follows its
network (:meth:`PanConflict.follow`), and a device that moved and still hears part of its
network on the old PAN ID goes back there for a while and sends the update again
(:meth:`PanConflict.reannounce`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.errors import DecodeError
from zigmesh.mac.primitives import MlmeBeaconNotifyIndication, MlmeScanConfirm, ScanType
from zigmesh.nwk.beacon import ZigbeeBeaconPayload, decode_beacon_payload
from zigmesh.nwk.commands import NetworkReport, NetworkUpdate, NwkStatusCode
from zigmesh.nwk.constants import S
from zigmesh.nwk.formation import choose_pan_id
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.primitives import NlmeNwkStatusIndication

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk

__all__ = [
    "REPORT_HOLDOFF_US",
    "UPDATE_SENDS",
    "VERIFY_ATTEMPTS",
    "VERIFY_RETRY_US",
    "PanConflict",
    "newer_update_id",
]

#: a device sends at most one Network Report per this time (a burst of conflicting beacons
#: answering one beacon request makes one report)
REPORT_HOLDOFF_US = 10 * S
#: a conflicting network must be heard twice within this to count (one beacon may be one of
#: ours corrupted or forged: issue 9's hostile-input campaign changed the PAN ID every few
#: seconds with single mutated beacons)
CONFIRM_WINDOW_US = 60 * S
#: the PAN IDs remembered as heard (the report carries at most 31)
_MAX_HEARD = 31
#: verification scans of a resumed router, and the pause between them
VERIFY_ATTEMPTS = 4
VERIFY_RETRY_US = 1 * S
#: wait this long for the MAC to be free before a verification scan
_RETRY_US = 50_000
_BROADCAST_PAN = 0xFFFF
#: Network Update broadcasts per PAN ID change, spread over nwkNetworkBroadcastDeliveryTime
UPDATE_SENDS = 3


def newer_update_id(candidate: int, current: int) -> bool:
    """``candidate`` is a later nwkUpdateId than ``current`` (8 bits, wrapping)."""
    return 0 < ((candidate - current) & 0xFF) < 0x80


class PanConflict:
    """PAN ID conflict detection, reporting and the PAN ID update (module docstring)."""

    __slots__ = (
        "_nwk",
        "_heard",
        "_last_report_us",
        "_timer",
        "_verify_timer",
        "_pending",
        "_verify_left",
        "_verify_heard",
        "_verifying",
        "_heard_here",
        "_moved_to",
        "_suspects",
        "_sends",
    )

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        #: PAN IDs heard in beacons on our channel (for the report and the manager's choice)
        self._heard: set[int] = set()
        self._last_report_us: int | None = None
        self._timer: TimerHandle | None = None
        self._verify_timer: TimerHandle | None = None
        #: (new PAN ID, update id) to switch to when the timer fires
        self._pending: tuple[int, int] | None = None
        #: verification scans left, and whether the current one heard our network
        self._verify_left = 0
        self._verify_heard = False
        #: during a verification scan: our network heard on our PAN ID, and the newest
        #: (PAN ID, update id) it was heard on elsewhere
        self._verifying = False
        self._heard_here = False
        self._moved_to: tuple[int, int] | None = None
        #: conflicting networks heard once, awaiting confirmation: key -> time first heard
        self._suspects: dict[tuple[object, ...], int] = {}
        #: the Network Update copies still to go out
        self._sends: list[TimerHandle] = []

    def stop(self) -> None:
        for t in (self._timer, self._verify_timer, *self._sends):
            if t is not None:
                t.cancel()
        self._sends.clear()
        self._timer = self._verify_timer = None
        self._pending = None
        self._heard.clear()
        self._suspects.clear()
        self._last_report_us = None
        self._verify_left = 0
        self._verifying = False
        self._moved_to = None

    @property
    def updating(self) -> bool:
        """A PAN ID update is scheduled."""
        return self._pending is not None

    # -- detection (3.6.1.13.1) ------------------------------------------------------------

    def on_beacon(self, ind: MlmeBeaconNotifyIndication) -> None:
        """A beacon from the MAC (during a scan or, with our PAN ID, while operating)."""
        nwk = self._nwk
        if not nwk.joined:
            return
        nib = nwk.nib
        pd = ind.pan_descriptor
        if pd.channel_number != nib.nwk_logical_channel:
            return
        pan = pd.coord_pan_id
        try:
            payload: ZigbeeBeaconPayload | None = decode_beacon_payload(ind.sdu)
        except DecodeError:
            payload = None
        epid = None if payload is None else int(payload.nwk_extended_pan_id)
        ours = epid == nib.nwk_extended_pan_id
        if ours:
            self._verify_heard = True
        if pan != nib.nwk_pan_id:
            if len(self._heard) < _MAX_HEARD:
                self._heard.add(pan)
            if self._verifying and ours and payload is not None:
                best = self._moved_to
                uid = payload.nwk_update_id
                if newer_update_id(uid, nib.nwk_update_id if best is None else best[1]):
                    self._moved_to = (pan, uid)  # our network, moved on while we were off?
            return
        if ours and self._verifying:
            self._heard_here = True
        if epid == nib.nwk_extended_pan_id or self.updating:
            return
        # one beacon may be one of ours corrupted or forged: a conflict is a network seen
        # twice within CONFIRM_WINDOW_US (its routers answer every beacon request)
        key = (epid,) if epid is not None else (pd.coord_address, ind.sdu)
        if not self._confirmed(key):
            return
        nwk.stats.pan_id_conflicts += 1
        if nib.nwk_manager_addr == nib.nwk_network_address:
            self.resolve(())
        else:
            self._report()

    def _confirmed(self, key: tuple[object, ...]) -> bool:
        """Count a sighting of the conflicting network ``key`` (its extended PAN ID, or
        source and payload of a beacon without Zigbee payload); True at the second within
        :data:`CONFIRM_WINDOW_US`."""
        now = self._nwk.clock.now()
        seen = self._suspects
        for k in [k for k, t in seen.items() if now - t > CONFIRM_WINDOW_US]:
            del seen[k]
        if key in seen:
            del seen[key]
            return True
        if len(seen) >= _MAX_HEARD:
            del seen[next(iter(seen))]
        seen[key] = now
        return False

    def _report(self) -> None:
        nwk = self._nwk
        now = nwk.clock.now()
        last = self._last_report_us
        if last is not None and now - last < REPORT_HOLDOFF_US:
            return
        self._last_report_us = now
        nib = nwk.nib
        pans = tuple(sorted(self._heard | {nib.nwk_pan_id}))[:_MAX_HEARD]
        nwk.stats.network_reports_sent += 1
        nwk.send_command(NetworkReport(nib.nwk_extended_pan_id, pans), nib.nwk_manager_addr)

    # -- resolution (3.6.1.13.2) -----------------------------------------------------------

    def on_network_report(self, frame: NwkFrame, cmd: NetworkReport) -> None:
        """A Network Report for us: the network manager resolves a PAN ID conflict."""
        nib = self._nwk.nib
        if (
            nib.nwk_manager_addr != nib.nwk_network_address
            or cmd.epid != nib.nwk_extended_pan_id
            or nib.nwk_pan_id not in cmd.pan_ids
        ):
            return
        self.resolve(cmd.pan_ids)

    def resolve(self, reported: tuple[int, ...]) -> None:
        """Network manager: choose a new PAN ID, increment nwkUpdateId, broadcast a Network
        Update and switch after nwkNetworkBroadcastDeliveryTime."""
        nwk = self._nwk
        if self.updating:
            return
        nib = nwk.nib
        used = self._heard | set(reported) | {nib.nwk_pan_id}
        new_pan = choose_pan_id(nwk.rng.randrange, used)
        update_id = (nib.nwk_update_id + 1) & 0xFF
        nib.nwk_update_id = update_id
        nwk.update_beacon()
        self._announce(new_pan, update_id)

    def _announce(self, new_pan: int, update_id: int) -> None:
        """Broadcast the Network Update :data:`UPDATE_SENDS` times over the broadcast delivery
        time, then switch (:meth:`_schedule`)."""
        nwk = self._nwk
        for t in self._sends:
            t.cancel()
        self._sends.clear()
        nwk.stats.pan_id_updates_sent += 1
        # pending first: the first copy goes now (it went nowhere while _send_update found no
        # pending update, and every device switched a third of the delivery time after the
        # manager, its children cut off meanwhile)
        self._schedule(new_pan, update_id)
        self._send_update(new_pan, update_id)
        step = nwk.nib.nwk_network_broadcast_delivery_time_us // UPDATE_SENDS
        for k in range(1, UPDATE_SENDS):
            self._sends.append(
                nwk.clock.call_later(k * step, self._send_update, new_pan, update_id)
            )

    def _send_update(self, new_pan: int, update_id: int) -> None:
        nwk = self._nwk
        if not nwk.joined or self._pending != (new_pan, update_id):
            return
        epid = nwk.nib.nwk_extended_pan_id
        nwk.send_command(NetworkUpdate(epid, update_id, new_pan), 0xFFFF)

    def child_ready(self, address: int) -> None:
        """A child joined or rejoined us (and holds the network key) while a PAN ID update is
        pending: it got none of the Network Update copies, and would lose us when we switch.
        Send it one (3.4.10; indirect to a sleeping child)."""
        nwk = self._nwk
        pending = self._pending
        if pending is None or not nwk.is_router:
            return
        e = nwk.neighbors.get(address)
        if e is None or not e.is_child:
            return
        update = NetworkUpdate(nwk.nib.nwk_extended_pan_id, pending[1], pending[0])
        nwk.send_command(update, address, address, radius=1, indirect=not e.rx_on_when_idle)

    def follow(self, pan: int, update_id: int) -> None:
        """Our network was found on ``pan`` under a newer nwkUpdateId while we heard nobody on
        ours (we missed its Network Update): switch to it now."""
        if not _usable_pan(pan):
            return
        self._switch(pan, update_id)

    def reannounce(self, old_pan: int) -> None:
        """Part of our network was heard on ``old_pan`` under an older nwkUpdateId (it missed
        our PAN ID update): go back to ``old_pan`` and send the update there again
        (:meth:`_announce`), then switch back with them."""
        nwk = self._nwk
        nib = nwk.nib
        if self.updating or old_pan == nib.nwk_pan_id or not _usable_pan(old_pan):
            return
        target, update_id = nib.nwk_pan_id, nib.nwk_update_id
        nib.nwk_pan_id = old_pan
        self._apply_mac()
        self._announce(target, update_id)

    def on_network_update(self, frame: NwkFrame, cmd: NetworkUpdate) -> None:
        """A Network Update (PAN identifier update) of our network: switch after
        nwkNetworkBroadcastDeliveryTime."""
        nib = self._nwk.nib
        if (
            cmd.epid != nib.nwk_extended_pan_id
            or not newer_update_id(cmd.update_id, nib.nwk_update_id)
            or not _usable_pan(cmd.new_pan_id)
        ):
            return
        pending = self._pending
        if pending is not None and not newer_update_id(cmd.update_id, pending[1]):
            return
        self._schedule(cmd.new_pan_id, cmd.update_id)

    def _schedule(self, pan: int, update_id: int) -> None:
        nwk = self._nwk
        if self._timer is not None:
            self._timer.cancel()
        self._pending = (pan, update_id)
        self._timer = nwk.clock.call_later(
            nwk.nib.nwk_network_broadcast_delivery_time_us, self._fire
        )

    def _fire(self) -> None:
        self._timer = None
        pending = self._pending
        if pending is not None and self._nwk.joined:
            self._switch(*pending)

    def _switch(self, pan: int, update_id: int) -> None:
        """Change our PAN ID (MLME-SET macPANId) and nwkUpdateId."""
        nwk = self._nwk
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = None
        for t in self._sends:
            t.cancel()
        self._sends.clear()
        nib = nwk.nib
        nib.nwk_pan_id = pan
        nib.nwk_update_id = update_id
        self._heard.discard(pan)
        self._apply_mac()
        nwk.stats.pan_id_changes += 1
        nwk.update_beacon()
        if nwk.is_end_device:
            nwk.child.pan_switched()
        else:
            nwk.parent.pan_switched()
        nwk.emit(
            NlmeNwkStatusIndication(NwkStatusCode.PAN_IDENTIFIER_UPDATE, nib.nwk_network_address)
        )

    def _apply_mac(self) -> None:
        """MLME-SET macPANId to nwkPANId; during a scan (macPANId is the broadcast PAN and
        comes back at its end) a little later."""
        nwk = self._nwk
        if not nwk.joined:
            return
        pib = nwk.mac.pib
        if pib.mac_pan_id == _BROADCAST_PAN and nwk.scan_owner is not None:
            nwk.clock.call_later(_RETRY_US, self._apply_mac)
            return
        pib.mac_pan_id = nwk.nib.nwk_pan_id

    # -- resumed routers -------------------------------------------------------------------

    def verify_later(self, delay_us: int, attempts: int = VERIFY_ATTEMPTS) -> None:
        """:meth:`verify` after ``delay_us`` (once the router has started); a scan that hears
        no beacon of our network (a collision, neighbours busy) is repeated, ``attempts``
        scans at most, :data:`VERIFY_RETRY_US` apart."""
        if self._verify_timer is not None:
            self._verify_timer.cancel()
        self._verify_left = attempts
        self._verify_timer = self._nwk.clock.call_later(delay_us, self.verify)

    def verify(self) -> None:
        """One active scan of our channel: a beacon of our network under a newer update id
        (we missed a PAN ID update while off) makes us follow it (:meth:`on_beacon`)."""
        nwk = self._nwk
        self._verify_timer = None
        if not nwk.joined:
            return
        if nwk.scan_owner is not None or nwk.mac.busy:
            self._verify_timer = nwk.clock.call_later(_RETRY_US, self.verify)
            return
        self._verify_left -= 1
        self._verify_heard = False
        self._verifying = True
        self._heard_here = False
        self._moved_to = None
        nwk.scan_owner = self._verified
        nwk.mac.mlme_scan_request(
            ScanType.ACTIVE, [nwk.nib.nwk_logical_channel], nwk.config.rejoin_scan_duration
        )

    def _verified(self, c: MlmeScanConfirm) -> None:
        """Beacons were handled one by one as they came (:meth:`on_beacon`). Our network heard
        only under another PAN ID with a newer update id: follow it. None of it heard: scan
        again a little later."""
        self._verifying = False
        moved, self._moved_to = self._moved_to, None
        if moved is not None and not self._heard_here and self._nwk.joined:
            self._switch(*moved)
            return
        if not self._verify_heard and self._verify_left > 0:
            self._verify_timer = self._nwk.clock.call_later(VERIFY_RETRY_US, self.verify)


def _usable_pan(pan: int) -> bool:
    """A PAN ID a network can use: 0x0000-0xFFFE (0xFFFF is the broadcast PAN; a forged or
    mutated beacon or update naming it once left the coordinator's MAC on it for good)."""
    return 0 <= pan < _BROADCAST_PAN
