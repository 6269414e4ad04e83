"""Network formation and router start (Zigbee spec R22 3.6.1.1, 3.6.4.1).

NLME-NETWORK-FORMATION: an energy detection scan over the requested channels keeps the
quietest ones (within :data:`ED_MARGIN` of the quietest), an active scan over those counts the
networks on each; the channel with the fewest networks (then the least energy, then the
lowest number) is chosen. The PAN ID is random in 0x0001-0x3fff and differs from every PAN ID
heard; the extended PAN ID is nwkExtendedPANID, or this device's IEEE address when that is 0.
The coordinator takes network address 0x0000, depth 0, and starts the PAN with MLME-START.

NLME-START-ROUTER: a joined router starts its MAC (MLME-START, not PAN coordinator), fills its
beacon payload and begins sending link status.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.errors import DecodeError
from zigmesh.mac.primitives import MacStatus, MlmeScanConfirm, MlmeStartConfirm, ScanType
from zigmesh.nwk.beacon import decode_beacon_payload
from zigmesh.nwk.constants import COORDINATOR_ADDRESS
from zigmesh.nwk.primitives import (
    NlmeNetworkFormationConfirm,
    NlmeStartRouterConfirm,
    NwkStatus,
)
from zigmesh.nwk.tables import DeviceType

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk

__all__ = ["ED_MARGIN", "Formation", "FormationState", "choose_channel", "choose_pan_id"]

#: channels whose ED value is within this of the quietest one count as quiet (~6 dB)
ED_MARGIN = 40
#: random PAN IDs are drawn from 0x0001-0x3fff (deployed-stack practice)
_PAN_ID_MAX = 0x3FFF


class FormationState(Enum):
    """NLME-NETWORK-FORMATION / NLME-START-ROUTER progress."""

    IDLE = 0
    ED_SCAN = 1
    ACTIVE_SCAN = 2
    STARTING = 3
    FORMED = 4
    STARTING_ROUTER = 5


def choose_channel(
    energy: dict[int, int], networks: dict[int, int], margin: int = ED_MARGIN
) -> int | None:
    """The formation channel: among channels within ``margin`` of the lowest ED value, the one
    with the fewest networks, then the lowest energy, then the lowest number."""
    if not energy:
        return None
    quietest = min(energy.values())
    quiet = [c for c, e in energy.items() if e <= quietest + margin]
    return min(quiet, key=lambda c: (networks.get(c, 0), energy[c], c))


def choose_pan_id(randrange: Callable[[int, int], int], used: set[int]) -> int:
    """A random PAN ID in 0x0001-0x3fff not in ``used``."""
    while True:
        pan = randrange(1, _PAN_ID_MAX + 1)
        if pan not in used:
            return pan


class Formation:
    """NLME-NETWORK-FORMATION and NLME-START-ROUTER."""

    __slots__ = (
        "_nwk",
        "state",
        "_duration",
        "_energy",
        "_pan_id",
        "_ext_pan_id",
        "resuming",
    )

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self.state = FormationState.IDLE
        self._duration = 3
        self._energy: dict[int, int] = {}
        self._pan_id: int | None = None
        self._ext_pan_id: int | None = None
        #: the start resumes a network from non-volatile state (:mod:`zigmesh.nwk.resume`)
        self.resuming = False

    def stop(self) -> None:
        if self.state != FormationState.FORMED:
            self.state = FormationState.IDLE

    # -- formation -------------------------------------------------------------------------

    def start(
        self,
        scan_channels: int | list[int],
        scan_duration: int,
        *,
        pan_id: int | None,
        extended_pan_id: int | None,
        beacon_order: int,
        superframe_order: int,
    ) -> None:
        nwk = self._nwk
        if nwk.joined or self.state not in (FormationState.IDLE, FormationState.FORMED):
            nwk.emit_soon(NlmeNetworkFormationConfirm(NwkStatus.INVALID_REQUEST))
            return
        if beacon_order != 15 or superframe_order != 15:
            nwk.emit_soon(NlmeNetworkFormationConfirm(NwkStatus.INVALID_PARAMETER))
            return
        if nwk.scan_owner is not None:
            nwk.emit_soon(NlmeNetworkFormationConfirm(NwkStatus.INVALID_REQUEST))
            return
        self._duration = scan_duration
        self._pan_id = pan_id
        self._ext_pan_id = extended_pan_id
        self.state = FormationState.ED_SCAN
        nwk.scan_owner = self._ed_done
        nwk.mac.mlme_scan_request(ScanType.ED, scan_channels, scan_duration)

    def _ed_done(self, c: MlmeScanConfirm) -> None:
        nwk = self._nwk
        if self.state != FormationState.ED_SCAN:
            return
        energy = dict(zip(c.scanned_channels, c.energy_detect_list, strict=False))
        if c.status != MacStatus.SUCCESS or not energy:
            self._fail(NwkStatus.STARTUP_FAILURE)
            return
        self._energy = energy
        quietest = min(energy.values())
        quiet = sorted(ch for ch, e in energy.items() if e <= quietest + ED_MARGIN)
        self.state = FormationState.ACTIVE_SCAN
        nwk.scan_owner = self._active_done
        nwk.mac.mlme_scan_request(ScanType.ACTIVE, quiet, self._duration)

    def _active_done(self, c: MlmeScanConfirm) -> None:
        nwk = self._nwk
        if self.state != FormationState.ACTIVE_SCAN:
            return
        networks: dict[int, int] = {}
        seen: set[tuple[int, int]] = set()
        used_pans: set[int] = set()
        used_ext: set[int] = set()
        for pd in c.pan_descriptor_list:
            used_pans.add(pd.coord_pan_id)
            try:
                payload = decode_beacon_payload(pd.beacon_payload)
            except DecodeError:
                continue
            used_ext.add(int(payload.nwk_extended_pan_id))
            key = (pd.channel_number, int(payload.nwk_extended_pan_id))
            if key not in seen:
                seen.add(key)
                networks[pd.channel_number] = networks.get(pd.channel_number, 0) + 1
        energy = {ch: e for ch, e in self._energy.items() if ch in set(c.scanned_channels)}
        channel = choose_channel(energy or self._energy, networks)
        if channel is None:
            self._fail(NwkStatus.STARTUP_FAILURE)
            return
        ext = self._ext_pan_id or nwk.nib.nwk_extended_pan_id or nwk.ieee
        if ext in used_ext:
            self._fail(NwkStatus.STARTUP_FAILURE)
            return
        pan = self._pan_id
        if pan is None or pan in used_pans:
            pan = choose_pan_id(nwk.rng.randrange, used_pans)
        nib = nwk.nib
        nib.nwk_pan_id = pan
        nib.nwk_extended_pan_id = ext
        nib.nwk_logical_channel = channel
        nib.nwk_depth = 0
        nwk.set_network_address(COORDINATOR_ADDRESS)
        self.state = FormationState.STARTING
        nwk.start_owner = self._started
        nwk.mac.mlme_start_request(pan, channel, pan_coordinator=True)

    def resume(self, pan_id: int, extended_pan_id: int, channel: int) -> None:
        """Restart a coordinator on its saved PAN (:mod:`zigmesh.nwk.resume`): MLME-START on
        the saved PAN ID and channel, no scan; confirmed as a formation."""
        nwk = self._nwk
        if nwk.joined or self.state not in (FormationState.IDLE, FormationState.FORMED):
            nwk.emit_soon(NlmeNetworkFormationConfirm(NwkStatus.INVALID_REQUEST))
            return
        nib = nwk.nib
        nib.nwk_pan_id = pan_id
        nib.nwk_extended_pan_id = extended_pan_id
        nib.nwk_logical_channel = channel
        nib.nwk_depth = 0
        nwk.set_network_address(COORDINATOR_ADDRESS)
        self.state = FormationState.STARTING
        self.resuming = True
        nwk.start_owner = self._started
        nwk.mac.mlme_start_request(pan_id, channel, pan_coordinator=True)

    def _first_link_status(self) -> None:
        """Start the periodic link status. After a resume the first one waits a whole
        nwkLinkStatusPeriod (plus jitter): by then every router neighbour's periodic link
        status has been heard, and none is left out of ours (3.6.3.4.2: a neighbour left out
        sets its outgoing cost to us to 0, and its routes through us break)."""
        nwk = self._nwk
        first: int | None = None
        if self.resuming:
            self.resuming = False
            period = nwk.nib.nwk_link_status_period_us
            j = nwk.config.link_status_jitter_us
            first = period + (nwk.rng.randrange(j + 1) if j > 0 else 0) + 1
        nwk.link_status.start(first)

    def _started(self, c: MlmeStartConfirm) -> None:
        nwk = self._nwk
        if self.state != FormationState.STARTING:
            return
        if c.status != MacStatus.SUCCESS:
            nwk.set_network_address(0xFFFF)
            self._fail(NwkStatus.STARTUP_FAILURE)
            return
        self.state = FormationState.FORMED
        nwk.device_type = DeviceType.COORDINATOR
        nwk.router_started = True
        nwk.mac.mlme_set("mac_rx_on_when_idle", True)
        nwk.update_beacon()
        self._first_link_status()
        nwk.mto.start()
        nib = nwk.nib
        nwk.emit(
            NlmeNetworkFormationConfirm(
                NwkStatus.SUCCESS,
                nib.nwk_pan_id,
                nib.nwk_extended_pan_id,
                nib.nwk_logical_channel,
            )
        )

    def _fail(self, status: NwkStatus) -> None:
        self.state = FormationState.IDLE
        self.resuming = False
        self._nwk.emit(NlmeNetworkFormationConfirm(status))

    # -- router start ----------------------------------------------------------------------

    def start_router(self, beacon_order: int, superframe_order: int) -> None:
        nwk = self._nwk
        if nwk.device_type != DeviceType.ROUTER or nwk.router_started:
            nwk.emit_soon(NlmeStartRouterConfirm(NwkStatus.INVALID_REQUEST))
            return
        if beacon_order != 15 or superframe_order != 15:
            nwk.emit_soon(NlmeStartRouterConfirm(NwkStatus.INVALID_PARAMETER))
            return
        self.state = FormationState.STARTING_ROUTER
        nwk.start_owner = self._router_started
        nib = nwk.nib
        nwk.mac.mlme_start_request(nib.nwk_pan_id, nib.nwk_logical_channel, pan_coordinator=False)

    def _router_started(self, c: MlmeStartConfirm) -> None:
        nwk = self._nwk
        self.state = FormationState.IDLE
        if c.status != MacStatus.SUCCESS:
            self.resuming = False
            nwk.emit(NlmeStartRouterConfirm(NwkStatus.STARTUP_FAILURE))
            return
        nwk.router_started = True
        nwk.update_beacon()
        self._first_link_status()
        nwk.mto.start()
        nwk.emit(NlmeStartRouterConfirm(NwkStatus.SUCCESS))
