"""Network discovery, joining and rejoining (Zigbee spec R22 3.6.1.3, 3.6.1.4).

Child side (:class:`Join`):

* NLME-NETWORK-DISCOVERY: an active scan; every Zigbee PRO beacon heard goes into the
  neighbour table with its discovery fields (Table 3-64) and the networks are reported as
  :class:`~zigmesh.nwk.primitives.NetworkDescriptor` values.
* NLME-JOIN by association: the parent is chosen from the neighbour table by
  :func:`select_parent` (same extended PAN ID, permit joining, capacity for our device type,
  depth below nwkMaxDepth; links of cost <= 3 first, then the lowest depth, then the best
  LQI), then MLME-ASSOCIATE. A refusal or failure marks the candidate as no potential parent
  and the next one is tried.
* NLME-JOIN as rejoin: an active scan of the current channel, then a NWK rejoin request
  (unsecured; source IEEE address in the NWK header, MAC source the extended address) to the
  best candidate and the rejoin response, polled for by an rx-off end device after
  macResponseWaitTime. Permit joining is not required. The network is found by its extended
  PAN ID on any PAN ID, and among candidates those with the newest nwkUpdateId win (the
  network moved: 3.6.1.13, channel change); the lost parent is a candidate again if heard
  where the network moved. A ``wide`` rejoin (an end device's retries after parent loss)
  that finds nothing on its channel scans the other channels of :attr:`Join.channel_mask`
  (apsChannelMask: the network may have changed channel while we missed the
  Mgmt_NWK_Update_req; 3.6.1.4.3).

Parent side: :class:`~zigmesh.nwk.join_parent.JoinParent` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import CapabilityInformation as MacCapability
from zigmesh.mac.primitives import (
    MacStatus,
    MlmeAssociateConfirm,
    MlmePollConfirm,
    MlmeScanConfirm,
    PanDescriptor,
    ScanType,
)
from zigmesh.nwk.beacon import STACK_PROFILE_ZIGBEE_PRO, decode_beacon_payload
from zigmesh.nwk.commands import (
    CapabilityInformation,
    RejoinRequest,
    RejoinResponse,
    RejoinStatus,
)
from zigmesh.nwk.constants import MAX_UNICAST_ADDRESS, NWKC_PROTOCOL_VERSION
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.join_parent import JoinParent
from zigmesh.nwk.link_cost import LINK_COST_TABLE
from zigmesh.nwk.primitives import (
    JoinMethod,
    NetworkDescriptor,
    NlmeJoinConfirm,
    NlmeNetworkAddressChangeIndication,
    NlmeNetworkDiscoveryConfirm,
    NwkStatus,
)
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk, TxRecord

__all__ = [
    "ALL_CHANNELS_MASK",
    "Join",
    "JoinParent",
    "JoinState",
    "select_parent",
    "GOOD_LINK_COST",
]

#: every 2.4 GHz channel (11-26): the default channel mask
ALL_CHANNELS_MASK = 0x07FF_F800

#: links of at most this cost are preferred for a parent (Zigbee spec 3.6.1.4.1.1)
GOOD_LINK_COST = 3
_FFD = int(CapabilityInformation.DEVICE_TYPE_FFD)
_RX_ON = int(CapabilityInformation.RX_ON_WHEN_IDLE)
_COORDINATOR = 0x0000
#: a repeated rejoin scan starts up to this long after the first (random)
_RESCAN_PAUSE_US = 50_000


class JoinState(Enum):
    """Child side of discovery / join / rejoin."""

    IDLE = 0
    DISCOVERING = 1
    ASSOCIATING = 2
    REJOIN_SCANNING = 3
    REJOIN_REQUESTING = 4
    REJOIN_WAITING = 5


def select_parent(
    entries: Iterable[NeighborEntry],
    extended_pan_id: int,
    *,
    router: bool,
    max_depth: int,
    exclude: set[int] | frozenset[int] = frozenset(),
    require_permit: bool = True,
    newest: bool = False,
) -> NeighborEntry | None:
    """The best potential parent (Zigbee spec 3.6.1.4.1.1): same network, joining permitted
    (unless ``require_permit`` is False: rejoin), capacity for a router or an end device,
    depth below ``max_depth``; among those, links of cost <= 3 if any, then the lowest depth,
    then the best LQI (then the lowest address, for determinism). ``newest``: only candidates
    with the newest nwkUpdateId heard (a rejoin follows a network that moved)."""
    cands: list[NeighborEntry] = []
    for e in entries:
        if e.extended_pan_id != extended_pan_id or e.network_address in exclude:
            continue
        if e.potential_parent is False or e.device_type == DeviceType.END_DEVICE:
            continue
        if require_permit and not e.permit_joining:
            continue
        if not (e.router_capacity if router else e.end_device_capacity):
            continue
        if e.depth is None or e.depth >= max_depth:
            continue
        cands.append(e)
    if not cands:
        return None
    if newest:
        top = cands[0].update_id or 0
        for e in cands:
            uid = e.update_id or 0
            if 0 < (uid - top) & 0xFF < 0x80:
                top = uid
        cands = [e for e in cands if (e.update_id or 0) == top]
    good = [e for e in cands if LINK_COST_TABLE[e.lqi] <= GOOD_LINK_COST] or cands
    return min(good, key=lambda e: (e.depth or 0, -e.lqi, e.network_address))


class Join:
    """Child side: NLME-NETWORK-DISCOVERY, NLME-JOIN (association and rejoin)."""

    __slots__ = (
        "_nwk",
        "state",
        "_ext_pan",
        "capability",
        "_tried",
        "_pans",
        "_parent",
        "_timer",
        "_poll_timer",
        "polling",
        "_method",
        "_rejoin_scan",
        "_wide",
        "_off_channel",
        "_lost",
        "channel_mask",
    )

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self.state = JoinState.IDLE
        self._ext_pan = 0
        #: capability information of our last join (Table 3-62 bits)
        self.capability = 0
        self._tried: set[int] = set()
        #: PAN ID each potential parent beaconed with
        self._pans: dict[int, int] = {}
        self._parent: NeighborEntry | None = None
        self._timer: TimerHandle | None = None
        self._poll_timer: TimerHandle | None = None
        #: a MAC poll for the rejoin response is in progress
        self.polling = False
        self._method = JoinMethod.ASSOCIATION
        #: the channels and duration of the rejoin's scans, and scans left before giving up
        self._rejoin_scan: tuple[int | list[int], int, int] | None = None
        #: the rejoin may scan the other channels of the mask once its own found nothing
        self._wide = False
        #: the radio is on a rejoin candidate's channel, not nwkLogicalChannel
        self._off_channel = False
        #: the parent whose loss started the rejoin
        self._lost: int | None = None
        #: channels a rejoin may look for the network on (apsChannelMask, set by the ZDO)
        self.channel_mask = ALL_CHANNELS_MASK

    @property
    def in_rejoin(self) -> bool:
        return self.state in (
            JoinState.REJOIN_SCANNING,
            JoinState.REJOIN_REQUESTING,
            JoinState.REJOIN_WAITING,
        )

    def stop(self) -> None:
        self._cancel()
        self.state = JoinState.IDLE
        self._tried.clear()
        self.polling = False  # the MAC reset that follows ends the poll in flight

    def _cancel(self) -> None:
        for h in (self._timer, self._poll_timer):
            if h is not None:
                h.cancel()
        self._timer = self._poll_timer = None

    # -- network discovery -----------------------------------------------------------------

    def discover(self, scan_channels: int | list[int], scan_duration: int) -> None:
        nwk = self._nwk
        if not nwk.joined:
            # a new discovery gives every parent that failed us before another chance (the
            # node backs off before it scans again): a beacon heard now makes it a candidate
            for e in nwk.neighbors:
                if e.potential_parent is False:
                    e.potential_parent = None
        if self.state != JoinState.IDLE or nwk.scan_owner is not None:
            nwk.emit_soon(NlmeNetworkDiscoveryConfirm(NwkStatus.INVALID_REQUEST))
            return
        self.state = JoinState.DISCOVERING
        nwk.scan_owner = self._discovered
        nwk.mac.mlme_scan_request(ScanType.ACTIVE, scan_channels, scan_duration)

    def _discovered(self, c: MlmeScanConfirm) -> None:
        if self.state != JoinState.DISCOVERING:
            return
        self.state = JoinState.IDLE
        descriptors = self.record_beacons(c.pan_descriptor_list)
        status = NwkStatus.SUCCESS if descriptors else NwkStatus.NO_NETWORKS
        self._nwk.emit(NlmeNetworkDiscoveryConfirm(status, descriptors))

    def record_beacons(self, pds: Iterable[PanDescriptor]) -> tuple[NetworkDescriptor, ...]:
        """Put every Zigbee PRO beacon in the neighbour table (Table 3-64 fields); return
        one network descriptor per extended PAN ID (Table 3-8)."""
        nwk = self._nwk
        now = nwk.clock.now()
        nets: dict[int, NetworkDescriptor] = {}
        for pd in pds:
            if pd.coord_addr_mode != 2 or not pd.beacon_payload:
                continue
            try:
                b = decode_beacon_payload(pd.beacon_payload)
            except DecodeError:
                continue
            if (
                b.stack_profile != STACK_PROFILE_ZIGBEE_PRO
                or b.nwkc_protocol_version != NWKC_PROTOCOL_VERSION
            ):
                continue
            ext = int(b.nwk_extended_pan_id)
            permit = pd.superframe_spec.association_permit
            addr = pd.coord_address
            if addr > MAX_UNICAST_ADDRESS or addr == nwk.address:
                continue
            self._pans[addr] = pd.coord_pan_id
            dtype = (
                DeviceType.COORDINATOR if pd.superframe_spec.pan_coordinator else DeviceType.ROUTER
            )
            e = nwk.neighbors.get(addr)
            if e is None:
                e = NeighborEntry(network_address=addr, device_type=dtype, lqi=pd.link_quality)
                if not nwk.neighbors.add(e, now).admitted:
                    e = None
            else:
                nwk.neighbors.set_lqi(e, pd.link_quality)
                e.last_heard_us = now
                if e.relationship == Relationship.NONE:
                    e.device_type = dtype
            if e is not None:
                e.extended_pan_id = ext
                e.logical_channel = pd.channel_number
                e.depth = b.device_depth
                e.beacon_order = pd.superframe_spec.beacon_order
                e.permit_joining = permit
                e.router_capacity = b.router_capacity
                e.end_device_capacity = b.end_device_capacity
                e.update_id = b.nwk_update_id
                if e.potential_parent is None:
                    e.potential_parent = True
            old = nets.get(ext)
            nets[ext] = NetworkDescriptor(
                ext,
                pd.coord_pan_id,
                b.nwk_update_id,
                pd.channel_number,
                b.stack_profile,
                b.nwkc_protocol_version,
                pd.superframe_spec.beacon_order,
                pd.superframe_spec.superframe_order,
                permit or (old is not None and old.permit_joining),
                b.router_capacity or (old is not None and old.router_capacity),
                b.end_device_capacity or (old is not None and old.end_device_capacity),
                max(pd.link_quality, old.lqi if old is not None else 0),
            )
        return tuple(nets[k] for k in sorted(nets))

    # -- NLME-JOIN -------------------------------------------------------------------------

    def request(
        self,
        extended_pan_id: int,
        method: JoinMethod,
        scan_channels: int | list[int] | None,
        scan_duration: int,
        capability: int,
    ) -> None:
        nwk = self._nwk
        if self.state != JoinState.IDLE:
            nwk.emit_soon(NlmeJoinConfirm(NwkStatus.INVALID_REQUEST))
            return
        self._ext_pan = extended_pan_id
        self.capability = capability & 0xFF
        self._tried.clear()
        self._method = method
        if method == JoinMethod.ASSOCIATION:
            if nwk.joined:
                nwk.emit_soon(NlmeJoinConfirm(NwkStatus.INVALID_REQUEST))
                return
            self.state = JoinState.ASSOCIATING
            nwk.clock.call_later(0, self._associate_next)
            return
        channels = scan_channels if scan_channels is not None else [nwk.nib.nwk_logical_channel]
        self.rejoin(channels, scan_duration)

    def _associate_next(self) -> None:
        nwk = self._nwk
        if self.state != JoinState.ASSOCIATING:
            return
        parent = select_parent(
            nwk.neighbors,
            self._ext_pan,
            router=bool(self.capability & _FFD),
            max_depth=nwk.nib.nwk_max_depth,
            exclude=self._tried,
        )
        if parent is None:
            self.state = JoinState.IDLE
            nwk.emit(NlmeJoinConfirm(NwkStatus.NOT_PERMITTED))
            return
        self._parent = parent
        self._tried.add(parent.network_address)
        pan = self._pans.get(parent.network_address, nwk.nib.nwk_pan_id)
        channel = parent.logical_channel or nwk.nib.nwk_logical_channel
        nwk.mac.mlme_associate_request(
            channel, pan, parent.network_address, MacCapability.from_byte(self.capability)
        )

    def on_associate_confirm(self, c: MlmeAssociateConfirm) -> None:
        nwk = self._nwk
        if self.state != JoinState.ASSOCIATING or self._parent is None:
            return
        parent = self._parent
        if c.status != MacStatus.SUCCESS:
            parent.potential_parent = False
            nwk.clock.call_later(0, self._associate_next)
            return
        self._joined(parent, c.assoc_short_address, JoinMethod.ASSOCIATION)

    def _joined(self, parent: NeighborEntry, address: int, method: JoinMethod) -> None:
        nwk = self._nwk
        nib = nwk.nib
        old = nib.nwk_network_address
        self.state = JoinState.IDLE
        self._cancel()
        self._tried.clear()
        self._off_channel = False
        pan = self._pans.get(parent.network_address, nib.nwk_pan_id)
        nib.nwk_extended_pan_id = self._ext_pan
        nib.nwk_pan_id = pan
        nib.nwk_logical_channel = parent.logical_channel or nib.nwk_logical_channel
        nib.nwk_depth = (parent.depth or 0) + 1
        nib.nwk_update_id = parent.update_id or 0
        nib.nwk_capability_information = self.capability
        nwk.set_network_address(address)
        mac = nwk.mac
        pib = mac.pib
        pib.mac_pan_id = pan
        pib.mac_coord_short_address = parent.network_address
        router = bool(self.capability & _FFD)
        nwk.device_type = DeviceType.ROUTER if router else DeviceType.END_DEVICE
        now = nwk.clock.now()
        # the old parent (rejoin) becomes an ordinary neighbour, the new one our parent
        for e in nwk.neighbors:
            if e.relationship == Relationship.PARENT and e is not parent:
                nwk.neighbors.set_relationship(e, Relationship.NONE)
        nwk.neighbors.set_relationship(parent, Relationship.PARENT)
        if nwk.neighbors.get(parent.network_address) is not parent:
            nwk.neighbors.add(parent, now)
        parent_ieee = pib.mac_coord_extended_address
        if method == JoinMethod.ASSOCIATION and parent_ieee:
            nwk.neighbors.set_extended_address(parent.network_address, parent_ieee)
            nwk.address_map.update(parent.network_address, parent_ieee, overwrite=True)
        if router and parent.network_address != _COORDINATOR:
            # provisional many-to-one route to the coordinator (trust center, concentrator)
            # through the parent, which relayed our key from it: our first frames to it go up
            # the join tree behind a route record instead of flooding a route request; the
            # concentrator's next many-to-one route request replaces it (3.6.3.5.1)
            nwk.routing.set_route(
                _COORDINATOR,
                parent.network_address,
                now,
                path_cost=nwk.link_cost(parent.network_address) * max(nib.nwk_depth - 1, 1),
                many_to_one=True,
                route_record_required=True,
            )
        if not router:
            # an end device keeps its parent only
            for e in nwk.neighbors:
                if e is not parent:
                    nwk.neighbors.remove(e.network_address)
        mac.mlme_set("mac_rx_on_when_idle", router or bool(self.capability & _RX_ON))
        if method != JoinMethod.ASSOCIATION:
            nwk.stats.rejoins += 1
        if not router:
            nwk.child.start()
        nwk.emit(
            NlmeJoinConfirm(
                NwkStatus.SUCCESS,
                address,
                self._ext_pan,
                nib.nwk_logical_channel,
                parent.network_address,
                nib.nwk_depth,
            )
        )
        if method != JoinMethod.ASSOCIATION and old != address and old != 0xFFFF:
            nwk.stats.address_changes += 1
            nwk.emit(NlmeNetworkAddressChangeIndication(address, old))

    # -- rejoin ----------------------------------------------------------------------------

    def rejoin(
        self,
        scan_channels: int | list[int] | None = None,
        scan_duration: int | None = None,
        *,
        wide: bool = False,
    ) -> None:
        """Start a NWK rejoin (after parent loss, or NLME-JOIN with REJOIN); ``wide``: if our
        channel has no parent for us, the other channels of :attr:`channel_mask` too."""
        nwk = self._nwk
        if self.in_rejoin:
            return
        if not self._ext_pan:
            self._ext_pan = nwk.nib.nwk_extended_pan_id
        if not self.capability:
            self.capability = nwk.nib.nwk_capability_information
        self._method = JoinMethod.REJOIN
        self.state = JoinState.REJOIN_SCANNING
        self._tried.clear()
        for e in nwk.neighbors:
            if e.potential_parent is False:
                e.potential_parent = None  # a new attempt: every parent gets another chance
        p = nwk.neighbors.parent()
        self._lost = None
        if p is not None:
            # the parent we lost is no candidate, unless the network moved (a PAN ID or channel
            # change we missed) and it is heard where the network went
            self._lost = p.network_address
            nwk.neighbors.remove(p.network_address)
        own = [nwk.nib.nwk_logical_channel]
        channels = scan_channels if scan_channels is not None else own
        duration = nwk.config.rejoin_scan_duration if scan_duration is None else scan_duration
        # one more scan when the first hears no parent (two beacons can collide); then, after
        # parent loss, the other channels of the mask (the network may have moved)
        self._rejoin_scan = (channels, duration, 1)
        self._wide = wide and scan_channels is None
        self._scan(channels, duration)

    def _scan(self, channels: int | list[int], duration: int) -> None:
        nwk = self._nwk
        if self.state != JoinState.REJOIN_SCANNING:
            return
        if self.polling or nwk.child.polling or nwk.scan_owner is not None or nwk.mac.busy:
            # wait for the MAC to finish what it does
            self._timer = nwk.clock.call_later(20_000, self._scan, channels, duration)
            return
        self._timer = None
        nwk.scan_owner = self._rejoin_scanned
        nwk.mac.mlme_scan_request(ScanType.ACTIVE, channels, duration)

    def _rejoin_scanned(self, c: MlmeScanConfirm) -> None:
        if self.state != JoinState.REJOIN_SCANNING:
            return
        self.record_beacons(c.pan_descriptor_list)
        self._rejoin_next()

    def _rejoin_next(self) -> None:
        nwk = self._nwk
        self._cancel()
        exclude = self._tried
        lost = self._lost
        if lost is not None and lost not in exclude:
            e = nwk.neighbors.get(lost)
            nib = nwk.nib
            moved = e is not None and (
                self._pans.get(lost, nib.nwk_pan_id) != nib.nwk_pan_id
                or (e.logical_channel or nib.nwk_logical_channel) != nib.nwk_logical_channel
                or 0 < ((e.update_id or 0) - nib.nwk_update_id) & 0xFF < 0x80
            )
            if not moved:
                exclude = exclude | {lost}
        parent = select_parent(
            nwk.neighbors,
            self._ext_pan,
            router=bool(self.capability & _FFD),
            max_depth=nwk.nib.nwk_max_depth,
            exclude=exclude,
            require_permit=False,
            newest=True,
        )
        if parent is None:
            again = self._rejoin_scan
            if again is not None and again[2] > 0:
                self._rejoin_scan = (again[0], again[1], again[2] - 1)
                self.state = JoinState.REJOIN_SCANNING
                # after a random pause: back to back, the second beacon request went out one
                # scan duration after the first, in the same phase of a periodic interferer
                self._timer = nwk.clock.call_later(
                    nwk.rng.randrange(_RESCAN_PAUSE_US), self._scan, again[0], again[1]
                )
                return
            if self._wide and again is not None:
                self._wide = False
                here = nwk.nib.nwk_logical_channel
                others = [c for c in range(11, 27) if self.channel_mask >> c & 1 and c != here]
                if others:
                    nwk.stats.rejoin_channel_scans += 1
                    self._rejoin_scan = (others, again[1], 0)
                    self.state = JoinState.REJOIN_SCANNING
                    self._scan(others, again[1])
                    return
            self._rejoin_failed()
            return
        self._parent = parent
        self._tried.add(parent.network_address)
        nib = nwk.nib
        pan = self._pans.get(parent.network_address, nib.nwk_pan_id)
        pib = nwk.mac.pib
        pib.mac_pan_id = pan
        pib.mac_short_address = 0xFFFF  # MAC source: our extended address
        pib.mac_coord_short_address = parent.network_address
        if parent.logical_channel:
            nwk.mac.mlme_set("phy_current_channel", parent.logical_channel)
            self._off_channel = parent.logical_channel != nib.nwk_logical_channel
        frame = NwkFrame(
            NwkFrameType.COMMAND,
            parent.network_address,
            nib.nwk_network_address,
            1,
            nwk.next_seq(),
            RejoinRequest(CapabilityInformation(self.capability)).encode(),
            src_ieee=nwk.ieee,
        )
        self.state = JoinState.REJOIN_REQUESTING
        nwk.transmit(frame, parent.network_address, on_done=self._rejoin_sent)

    def _rejoin_sent(self, rec: TxRecord, status: MacStatus) -> None:
        nwk = self._nwk
        if self.state != JoinState.REJOIN_REQUESTING:
            return
        if status != MacStatus.SUCCESS:
            if self._parent is not None:
                self._parent.potential_parent = False
            self.state = JoinState.REJOIN_SCANNING
            self._rejoin_next()
            return
        self.state = JoinState.REJOIN_WAITING
        wait = nwk.mac.pib.response_wait_us
        if not self.capability & _RX_ON:
            self._poll_timer = nwk.clock.call_later(wait, self._poll)
        self._timer = nwk.clock.call_later(3 * wait, self._rejoin_timeout)

    def _poll(self) -> None:
        nwk = self._nwk
        self._poll_timer = None
        if self.state != JoinState.REJOIN_WAITING or self._parent is None:
            return
        self.polling = True
        nwk.mac.mlme_poll_request(self._parent.network_address)

    def on_poll_confirm(self, c: MlmePollConfirm) -> None:
        self.polling = False
        if self.state == JoinState.REJOIN_WAITING and c.status != MacStatus.SUCCESS:
            # the wait timer is still armed: _rejoin_next cancels it (cleared here, it fired
            # later in the next candidate's wait and gave that one up before its poll)
            self._candidate_failed()

    def _rejoin_timeout(self) -> None:
        self._timer = None
        self._candidate_failed()

    def _candidate_failed(self) -> None:
        """No rejoin response from the candidate: try the next one."""
        if self.state != JoinState.REJOIN_WAITING:
            return
        if self._parent is not None:
            self._parent.potential_parent = False
        self.state = JoinState.REJOIN_SCANNING
        self._rejoin_next()

    def on_rejoin_response(
        self, frame: NwkFrame, cmd: RejoinResponse, prev_hop: int, lqi: int
    ) -> None:
        nwk = self._nwk
        if self.state == JoinState.REJOIN_WAITING and self._parent is not None:
            if frame.src != self._parent.network_address:
                return
            parent = self._parent
            if cmd.status != RejoinStatus.SUCCESS:
                parent.potential_parent = False
                self.state = JoinState.REJOIN_SCANNING
                self._rejoin_next()
                return
            if frame.src_ieee is not None:
                parent.extended_address = None
                nwk.neighbors.set_extended_address(parent.network_address, frame.src_ieee)
            self._joined(parent, cmd.network_address, JoinMethod.REJOIN)
            return
        # unsolicited, from our parent at the address we were waiting to learn (it changed
        # its own, or not: our poll was lost; end_device.EndDeviceChild.parent_moved)
        if (
            frame.src == prev_hop
            and frame.src_ieee is not None
            and nwk.is_end_device
            and frame.src_ieee == nwk.child.parent_ieee()
        ):
            nwk.child.parent_moved(frame.src)
        # unsolicited, from our parent: our new address (address conflict resolution)
        if (
            nwk.joined
            and self.state == JoinState.IDLE
            and frame.src == nwk.parent_address
            and cmd.status == RejoinStatus.SUCCESS
            and cmd.network_address != nwk.address
        ):
            old = nwk.address
            nwk.set_network_address(cmd.network_address)
            nwk.stats.address_changes += 1
            nwk.emit(NlmeNetworkAddressChangeIndication(cmd.network_address, old))

    def _back_to_channel(self) -> None:
        """The radio back on nwkLogicalChannel (a little later while it transmits)."""
        nwk = self._nwk
        try:
            nwk.mac.mlme_set("phy_current_channel", nwk.nib.nwk_logical_channel)
        except LocalProtocolError:
            nwk.clock.call_later(1_000, self._back_to_channel)
            return
        self._off_channel = False

    def _rejoin_failed(self) -> None:
        nwk = self._nwk
        self.state = JoinState.IDLE
        self._cancel()
        self._tried.clear()
        nib = nwk.nib
        pib = nwk.mac.pib
        pib.mac_short_address = nib.nwk_network_address
        pib.mac_pan_id = nib.nwk_pan_id
        if self._off_channel:
            self._back_to_channel()  # a candidate on another channel failed us: back to ours
        nwk.emit(NlmeJoinConfirm(NwkStatus.NO_NETWORKS))
        nwk.child.on_rejoin_failed()
