"""ZDP network management server (Zigbee spec R22 2.4.3.3, 2.4.4.4).

Table reads page through the live tables: a response holds the total entry count, the start
index asked for and as many records as fit :attr:`ZdoConfig.max_zdp_payload` (3 neighbour
records, 13 routes, 3 bindings with 74 bytes). A start index past the end gets SUCCESS with
no records. Neighbour table entries of other networks (heard during a scan) are not listed;
group routes are not listed.

Mgmt_Leave_req answers first, then leaves once the response is confirmed (or after
:attr:`ZdoConfig.leave_delay_us`). Mgmt_Permit_Joining_req sets NLME-PERMIT-JOINING (0xFF,
"for ever" before R21, is taken as 0xFE) and, on the trust center with TC_Significance set,
also calls the ZDO's trust-center hook. Mgmt_NWK_Update_req: ScanDuration 0-5 runs
ScanCount ED scans (unicast requests only) and answers Mgmt_NWK_Update_notify with the
highest energy seen per channel; 0xFE takes the new nwkUpdateId and moves to the one channel
of ScanChannels after the channel change delay, once the radio is free (no frame of ours on
air, no scan in progress; nothing is answered); a copy of a change already taken (the manager
sends it several times) changes nothing, and neither does an older nwkUpdateId; 0xFF takes
nwkUpdateId, nwkManagerAddr and the channel mask (apsChannelMask, kept by the ZDO and given
to the NWK's rejoin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataIndication
from zigmesh.clock import TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.primitives import MacStatus, MlmeScanConfirm, ScanType
from zigmesh.nwk.primitives import NwkStatus
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship, RouteEntry
from zigmesh.zdo.client import is_broadcast
from zigmesh.zdo.descriptors import ServerMask
from zigmesh.zdo.zdp import (
    MAX_SCAN_DURATION,
    SCAN_DURATION_CHANGE_CHANNEL,
    SCAN_DURATION_CHANGE_PARAMETERS,
    BindingTableRecord,
    MgmtBindReq,
    MgmtBindRsp,
    MgmtLeaveReq,
    MgmtLeaveRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtNwkUpdateNotify,
    MgmtNwkUpdateReq,
    MgmtPermitJoiningReq,
    MgmtPermitJoiningRsp,
    MgmtRtgReq,
    MgmtRtgRsp,
    NeighborDeviceType,
    NeighborTableRecord,
    PermitJoining,
    RoutingTableRecord,
    RxOnWhenIdle,
    ZdoStatus,
)

if TYPE_CHECKING:
    from zigmesh.zdo.server import ZdpServer
    from zigmesh.zdo.zdo import Zdo

__all__ = ["MgmtServer", "channels_of", "neighbor_record", "route_record"]

#: TSN, Status, entries, start index, list count
_TABLE_RSP_HEAD: Final = 5
#: the longest binding record (extended destination)
_BINDING_RECORD_MAX: Final = 21
_UNKNOWN_IEEE: Final = 0xFFFF_FFFF_FFFF_FFFF
_UNKNOWN_DEPTH: Final = 0xFF
_CHANNELS: Final = range(11, 27)
#: an ED scan the MAC cannot start now is tried again this often, this many times
_SCAN_RETRY_US: Final = 100_000
_SCAN_RETRIES: Final = 5
#: a channel change the radio cannot take now (a frame of ours on air) is tried again this
#: often: one unit backoff period (20 symbols, 802.15.4 aUnitBackoffPeriod); the longest
#: frame takes 4,256 us on air
_SWITCH_RETRY_US: Final = 320

#: neighbour table device types (Table 3-63) have the Mgmt_Lqi_rsp values
_KNOWN_DEVICE_TYPES: Final = (DeviceType.COORDINATOR, DeviceType.ROUTER, DeviceType.END_DEVICE)


def channels_of(mask: int) -> list[int]:
    """The 2.4 GHz channels (11-26) of a 32-bit channel mask."""
    return [c for c in _CHANNELS if mask >> c & 1]


def neighbor_record(e: NeighborEntry, ext_pan_id: int, my_depth: int) -> NeighborTableRecord:
    """The Mgmt_Lqi_rsp record of a neighbour (2.4.4.4.2). Unknown IEEE address: all ones;
    unknown depth: our depth -1 for the parent, +1 for a child, else 0xFF."""
    ieee = e.extended_address if e.extended_address is not None else _UNKNOWN_IEEE
    depth = e.depth
    if depth is None:
        if e.relationship == Relationship.PARENT:
            depth = max(my_depth - 1, 0)
        elif e.is_child:
            depth = my_depth + 1
        else:
            depth = _UNKNOWN_DEPTH
    pj = e.permit_joining
    return NeighborTableRecord(
        e.extended_pan_id if e.extended_pan_id is not None else ext_pan_id,
        ieee,
        e.network_address,
        NeighborDeviceType(int(e.device_type))
        if e.device_type in _KNOWN_DEVICE_TYPES
        else NeighborDeviceType.UNKNOWN,
        RxOnWhenIdle.ON if e.rx_on_when_idle else RxOnWhenIdle.OFF,
        int(e.relationship) & 0x7,
        PermitJoining.UNKNOWN
        if pj is None
        else (PermitJoining.ACCEPTING if pj else PermitJoining.NOT_ACCEPTING),
        min(depth, 0xFF),
        e.lqi & 0xFF,
    )


def route_record(e: RouteEntry) -> RoutingTableRecord:
    """The Mgmt_Rtg_rsp record of a route (2.4.4.4.3)."""
    return RoutingTableRecord(
        e.destination_address,
        int(e.status) & 0x7,
        e.next_hop_address,
        False,
        e.many_to_one,
        e.route_record_required,
    )


class MgmtServer:
    """The Mgmt_* requests of :class:`~zigmesh.zdo.server.ZdpServer`."""

    def __init__(self, zdo: Zdo, server: ZdpServer) -> None:
        self._zdo = zdo
        self._server = server
        self._channel_timer: TimerHandle | None = None
        self._leave_timer: TimerHandle | None = None
        #: the channel a scheduled change moves to
        self._channel_target: int | None = None

    def stop(self) -> None:
        for t in (self._channel_timer, self._leave_timer):
            if t is not None:
                t.cancel()
        self._channel_timer = None
        self._leave_timer = None
        self._channel_target = None

    def _room(self, record_size: int) -> int:
        return max((self._zdo.config.max_zdp_payload - _TABLE_RSP_HEAD) // record_size, 1)

    # -- table reads -------------------------------------------------------------------------

    def lqi_req(self, ind: ApsdeDataIndication, req: MgmtLqiReq) -> None:
        """Mgmt_Lqi_req (2.4.3.3.2): the neighbour table, one page."""
        nwk = self._zdo.nwk
        epid = nwk.nib.nwk_extended_pan_id
        table = [e for e in nwk.neighbors if e.extended_pan_id is None or e.extended_pan_id == epid]
        start = req.start_index
        page = table[start : start + self._room(NeighborTableRecord.SIZE)]
        depth = nwk.nib.nwk_depth
        recs = tuple(neighbor_record(e, epid, depth) for e in page)
        total = min(len(table), 0xFF)
        self._server.reply(ind, MgmtLqiRsp(req.tsn, ZdoStatus.SUCCESS, total, start, recs))

    def rtg_req(self, ind: ApsdeDataIndication, req: MgmtRtgReq) -> None:
        """Mgmt_Rtg_req (2.4.3.3.3): the routing table, one page; NOT_SUPPORTED on an end
        device (it has no routing table)."""
        nwk = self._zdo.nwk
        if not nwk.is_router:
            self._server.reply(ind, MgmtRtgRsp(req.tsn, ZdoStatus.NOT_SUPPORTED))
            return
        table = [e for e in nwk.routes if not e.group_id_flag]
        start = req.start_index
        page = table[start : start + self._room(RoutingTableRecord.SIZE)]
        recs = tuple(route_record(e) for e in page)
        total = min(len(table), 0xFF)
        self._server.reply(ind, MgmtRtgRsp(req.tsn, ZdoStatus.SUCCESS, total, start, recs))

    def bind_req(self, ind: ApsdeDataIndication, req: MgmtBindReq) -> None:
        """Mgmt_Bind_req (2.4.3.3.4): the binding table, one page."""
        zdo = self._zdo
        if not zdo.config.binding_supported:
            self._server.reply(ind, MgmtBindRsp(req.tsn, ZdoStatus.NOT_SUPPORTED))
            return
        table = list(zdo.aps.binding_table)
        start = req.start_index
        page = table[start : start + self._room(_BINDING_RECORD_MAX)]
        recs = tuple(
            BindingTableRecord(
                b.src_addr,
                b.src_endpoint,
                b.cluster_id,
                b.dst_addr,
                None if b.dst_addr_mode == ApsAddrMode.GROUP else b.dst_endpoint,
            )
            for b in page
        )
        total = min(len(table), 0xFF)
        self._server.reply(ind, MgmtBindRsp(req.tsn, ZdoStatus.SUCCESS, total, start, recs))

    # -- leave -------------------------------------------------------------------------------

    def leave_req(self, ind: ApsdeDataIndication, req: MgmtLeaveReq) -> None:
        """Mgmt_Leave_req (2.4.3.3.5): DeviceAddress 0 or ours: we leave (after answering);
        a child's: NLME-LEAVE for the child; anyone else: the NLME status UNKNOWN_DEVICE.
        NOT_AUTHORIZED when nwkLeaveRequestAllowed is FALSE, or without rejoin when
        nwkLeaveRequestWithoutRejoinAllowed is FALSE."""
        zdo = self._zdo
        nwk = zdo.nwk
        nib = nwk.nib
        reply = self._server.reply
        if not nib.nwk_leave_request_allowed or (
            not req.rejoin and not nib.nwk_leave_request_without_rejoin_allowed
        ):
            reply(ind, MgmtLeaveRsp(req.tsn, ZdoStatus.NOT_AUTHORIZED))
            return
        addr = req.device_address
        if addr in (0, nwk.ieee):
            if self._leave_timer is not None:  # already leaving
                reply(ind, MgmtLeaveRsp(req.tsn, ZdoStatus.SUCCESS))
                return
            rc, rejoin = req.remove_children, req.rejoin
            self._leave_timer = zdo.clock.call_later(
                zdo.config.leave_delay_us, self._leave_now, rc, rejoin
            )
            reply(
                ind,
                MgmtLeaveRsp(req.tsn, ZdoStatus.SUCCESS),
                on_confirm=lambda _c: self._leave_now(rc, rejoin),
            )
            return
        child = nwk.neighbors.get_by_ieee(addr)
        if child is None or not child.is_child:
            reply(ind, MgmtLeaveRsp(req.tsn, NwkStatus.UNKNOWN_DEVICE))
            return
        reply(ind, MgmtLeaveRsp(req.tsn, ZdoStatus.SUCCESS))
        nwk.nlme_leave_request(addr, req.remove_children, req.rejoin)

    def _leave_now(self, remove_children: bool, rejoin: bool) -> None:
        if self._leave_timer is None:
            return
        self._leave_timer.cancel()
        self._leave_timer = None
        self._zdo.leave(remove_children=remove_children, rejoin=rejoin)

    # -- permit joining ----------------------------------------------------------------------

    def permit_joining_req(self, ind: ApsdeDataIndication, req: MgmtPermitJoiningReq) -> None:
        """Mgmt_Permit_Joining_req (2.4.3.3.7): NOT_SUPPORTED on an end device."""
        zdo = self._zdo
        nwk = zdo.nwk
        bcast = is_broadcast(ind.dst_address)
        if not nwk.is_router:
            if bcast:
                self._server.ignore()
            else:
                self._server.reply(ind, MgmtPermitJoiningRsp(req.tsn, ZdoStatus.NOT_SUPPORTED))
            return
        duration = min(req.permit_duration, 0xFE)
        nwk.nlme_permit_joining_request(duration)
        hook = zdo.tc_permit_joining
        if (
            req.tc_significance
            and hook is not None
            and ServerMask.PRIMARY_TRUST_CENTER in zdo.config.server_mask
        ):
            hook(duration)
        if not bcast:
            self._server.reply(ind, MgmtPermitJoiningRsp(req.tsn, ZdoStatus.SUCCESS))

    # -- network update ----------------------------------------------------------------------

    def nwk_update_req(self, ind: ApsdeDataIndication, req: MgmtNwkUpdateReq) -> None:
        """Mgmt_NWK_Update_req (2.4.3.3.9); see the module notes."""
        zdo = self._zdo
        nib = zdo.nwk.nib
        d = req.scan_duration
        bcast = is_broadcast(ind.dst_address)
        if d <= MAX_SCAN_DURATION:
            if bcast:
                self._server.ignore()
                return
            channels = channels_of(req.scan_channels)
            count = req.scan_count if req.scan_count is not None else 1
            if not channels or count > 5:
                self._notify(ind, req.tsn, ZdoStatus.INV_REQUESTTYPE)
                return
            self._scan(ind, req.tsn, channels, d, max(count, 1), {}, _SCAN_RETRIES)
        elif d == SCAN_DURATION_CHANGE_CHANNEL:
            channels = channels_of(req.scan_channels)
            if len(channels) != 1 or req.nwk_update_id is None:
                if not bcast:
                    self._notify(ind, req.tsn, ZdoStatus.INV_REQUESTTYPE)
                return
            uid = req.nwk_update_id
            if 0 < (nib.nwk_update_id - uid) & 0xFF < 0x80:
                return  # an older change (a late copy, or a replay)
            if uid == nib.nwk_update_id and (
                self._channel_target == channels[0]
                or (self._channel_target is None and nib.nwk_logical_channel == channels[0])
            ):
                return  # a copy of the change we took
            nib.nwk_update_id = uid
            zdo.nwk.update_beacon()
            self.schedule_channel_change(channels[0])
        elif d == SCAN_DURATION_CHANGE_PARAMETERS:
            if req.nwk_update_id is None or req.nwk_manager_addr is None:
                return
            nib.nwk_update_id = req.nwk_update_id
            if req.nwk_manager_addr <= 0xFFF7:
                nib.nwk_manager_addr = req.nwk_manager_addr
            zdo.channel_mask = req.scan_channels
            zdo.nwk.join.channel_mask = req.scan_channels
            zdo.nwk.update_beacon()
        elif not bcast:
            self._notify(ind, req.tsn, ZdoStatus.INV_REQUESTTYPE)
        else:
            self._server.ignore()

    def _notify(
        self,
        ind: ApsdeDataIndication,
        tsn: int,
        status: ZdoStatus,
        scanned: int = 0,
        energy: tuple[int, ...] = (),
    ) -> None:
        stats = self._zdo.nwk.stats
        self._server.reply(
            ind,
            MgmtNwkUpdateNotify(
                tsn,
                status,
                scanned,
                stats.tx_frames & 0xFFFF,
                stats.tx_failures & 0xFFFF,
                energy,
            ),
        )

    def _scan(
        self,
        ind: ApsdeDataIndication,
        tsn: int,
        channels: list[int],
        duration: int,
        left: int,
        energy: dict[int, int],
        retries: int,
    ) -> None:
        """One ED scan of ``channels``, ``left`` of them to go; the MAC's confirm comes to
        us through the NWK's scan owner slot (the NLME-ED-SCAN path without its event)."""
        zdo = self._zdo
        nwk = zdo.nwk

        def later() -> None:
            if retries > 0:
                zdo.clock.call_later(
                    _SCAN_RETRY_US,
                    self._scan,
                    ind,
                    tsn,
                    channels,
                    duration,
                    left,
                    energy,
                    retries - 1,
                )
            else:
                self._notify(ind, tsn, ZdoStatus.NOT_PERMITTED)

        def done(c: MlmeScanConfirm) -> None:
            if c.status != MacStatus.SUCCESS:
                later()
                return
            for ch, ed in zip(c.scanned_channels, c.energy_detect_list, strict=False):
                energy[ch] = max(energy.get(ch, 0), ed)
            if left > 1:
                self._scan(ind, tsn, channels, duration, left - 1, energy, _SCAN_RETRIES)
                return
            mask = 0
            for ch in energy:
                mask |= 1 << ch
            values = tuple(energy[ch] for ch in sorted(energy))
            self._notify(ind, tsn, ZdoStatus.SUCCESS, mask, values)

        if nwk.scan_owner is not None:
            later()
            return
        nwk.scan_owner = done
        try:
            nwk.mac.mlme_scan_request(ScanType.ED, channels, duration)
        except LocalProtocolError:  # the MAC is associating or polling: try again shortly
            nwk.scan_owner = None
            later()

    def schedule_channel_change(self, channel: int) -> None:
        """Move to ``channel`` after the channel change delay (a later call replaces it)."""
        zdo = self._zdo
        delay = self.channel_change_delay_us()
        if self._channel_timer is not None:
            self._channel_timer.cancel()
        self._channel_target = channel
        self._channel_timer = zdo.clock.call_later(delay, self._switch_channel, channel)

    @property
    def target(self) -> int | None:
        """The channel a scheduled change moves to (None: none scheduled)."""
        return self._channel_target

    @property
    def changing(self) -> bool:
        return self._channel_target is not None

    def channel_change_delay_us(self) -> int:
        """The channel change delay: the ZDO's, else nwkNetworkBroadcastDeliveryTime."""
        zdo = self._zdo
        delay = zdo.config.channel_change_delay_us
        return zdo.nwk.nib.nwk_network_broadcast_delivery_time_us if delay is None else delay

    def switch_now(self, channel: int) -> bool:
        """Move to ``channel`` as soon as the radio is free (our network was found there);
        True when done at once."""
        if self._channel_timer is not None:
            self._channel_timer.cancel()
        self._channel_target = channel
        self._switch_channel(channel)
        return self._channel_target is None

    def _switch_channel(self, channel: int) -> None:
        """Move to ``channel`` once the radio is free: the MAC refuses a channel change while
        a frame or an ACK of ours is on air (``LocalProtocolError``: try again after
        :data:`_SWITCH_RETRY_US`), and a scan in progress would put its saved channel back
        when it ends (try again after :data:`_SCAN_RETRY_US`). Frames queued meanwhile go out
        on the new channel."""
        self._channel_timer = None
        zdo = self._zdo
        nwk = zdo.nwk
        retry_us = _SCAN_RETRY_US
        if nwk.scan_owner is None:
            try:
                nwk.mac.mlme_set("phy_current_channel", channel)
            except LocalProtocolError:  # mid-transmission: try again when it has ended
                retry_us = _SWITCH_RETRY_US
            else:
                self._channel_target = None
                nwk.nib.nwk_logical_channel = channel
                nwk.update_beacon()
                zdo.on_channel_changed(channel)
                return
        self._channel_timer = zdo.clock.call_later(retry_us, self._switch_channel, channel)
