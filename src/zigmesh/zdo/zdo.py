"""The Zigbee Device Object: the application on endpoint 0 (Zigbee spec R22 2.5).

One :class:`Zdo` per node. It registers endpoint 0 with the APS, installs its
:meth:`Zdo.resolve_address` as the APS address resolver, answers ZDP requests from the
node's real state (:class:`~zigmesh.zdo.server.ZdpServer`), sends requests of its own
(:class:`~zigmesh.zdo.client.ZdoClient`, which it extends: ``zdo.node_desc(0x1234)``...)
and handles device announcements.

Device_annce received (2.4.3.1.11.2): the APS is told of the device
(``note_device``), the NWK address map is updated (the announcement is authoritative), a
neighbour known by IEEE address under another network address gets the new one, and:

    a router that has the announcing device as an **end-device child** removes it (neighbour
    table entry and the frames the MAC holds for it) when the announcement shows that the
    child now has another parent: it announces a network address other than the one our
    table holds, or the announcement did not come straight from the child (its NWK hop
    count is > 1), and either the announcement is newer than the child's last one we saw (its
    APS counter: a replay never is) or the child has not been heard straight from itself
    lately (it no longer polls us: a replayed announcement must not drop a child that does;
    :meth:`~zigmesh.nwk.end_device.EndDeviceParent.suspect_moved`). An end device's broadcast goes first to its parent as a MAC unicast, so
    the Device_annce of a child that (re)joined through us reaches us in one hop; one that
    joined elsewhere reaches us only relayed by its new parent or others.

(``hops`` is the APSDE-DATA.indication extension filled from the NWK indication; 0 means
unknown and counts as one hop.)

Wiring (what the node does): build the APS over the NWK, then ``Zdo(aps, nwk, clock, rng,
config, endpoints)``; call :meth:`Zdo.device_annce` after every join and rejoin,
:meth:`Zdo.parent_annce` on a router that restarted with children; set
:attr:`Zdo.on_leave` to run the node's leave (and rejoin) when a Mgmt_Leave_req asks, and
:attr:`Zdo.tc_permit_joining` on the trust center.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Mapping
from typing import Any, Final

from zigmesh.aps.primitives import ApsdeDataConfirm, ApsdeDataIndication, ApsdeEvent
from zigmesh.clock import Clock
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.primitives import NlmeLeaveConfirm, NlmeLeaveIndication, NwkEvent
from zigmesh.nwk.tables import DeviceType
from zigmesh.pending import Pending
from zigmesh.zdo.aps_port import ApsPort, ResolvedCallback
from zigmesh.zdo.client import ZDO_ENDPOINT, ZdoClient, ZdpResult, is_broadcast
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.descriptors import MacCapability, SimpleDescriptor
from zigmesh.zdo.server import ZdpServer, chunks
from zigmesh.zdo.zdp import (
    ZDP_PROFILE_ID,
    DeviceAnnce,
    IeeeAddrRsp,
    MgmtNwkUpdateReq,
    NwkAddrRsp,
    ParentAnnce,
    ParentAnnceRsp,
    ZdoStatus,
    ZdpMessage,
    decode_zdp,
)

__all__ = ["ALL_CHANNELS_MASK", "CHANNEL_CHANGE_SENDS", "Zdo", "ZdpListener"]

#: apsChannelMask default: every 2.4 GHz channel (11-26)
ALL_CHANNELS_MASK: Final = 0x07FF_F800
_RESPONSE_BIT = 0x8000
_RX_ON_WHEN_IDLE = 0xFFFD
_ALL_ROUTERS = 0xFFFC
_ALL_DEVICES = 0xFFFF
#: Mgmt_NWK_Update_req copies per channel change (zigpy sends 5)
CHANNEL_CHANGE_SENDS: Final = 5
_REANNOUNCE_RETRY_US: Final = 10_000
#: Parent_annce bytes before the children: TSN, NumberOfChildren
_PARENT_ANNCE_HEAD = 2
#: devices whose last Device_annce is remembered (to recognise repeats)
_ANNCE_MEMORY = 256


def _annce_key(tsn: int, aps_counter: int, address: int) -> int:
    """(TSN, APS counter, network address) of a Device_annce as one 32-bit integer."""
    return tsn << 24 | aps_counter << 16 | address


def _annce_counter(key: int) -> int:
    """The APS counter of an :func:`_annce_key`."""
    return key >> 16 & 0xFF


class _AnnceMemory:
    """IEEE address -> :func:`_annce_key` of the last Device_annce acted on, for the
    ``capacity`` devices announced most recently (oldest forgotten first): a dict's behaviour
    in 12 bytes an entry (the IEEE addresses packed little-endian in one ``bytearray``, the
    keys in an ``array``), where a dict of tuples took about 180. In a large network every
    router hears thousands of announcements and keeps ``capacity`` of them."""

    __slots__ = ("_ieee", "_key", "_capacity")

    def __init__(self, capacity: int) -> None:
        self._ieee = bytearray()
        self._key = array("I")
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._key)

    def _find(self, ieee: int) -> int:
        pat = ieee.to_bytes(8, "little")
        buf = self._ieee
        i = buf.find(pat)
        while i > 0 and i & 7:  # a match across two entries
            i = buf.find(pat, i + 1)
        return i >> 3 if i >= 0 else -1

    def get(self, ieee: int) -> int | None:
        i = self._find(ieee)
        return self._key[i] if i >= 0 else None

    def put(self, ieee: int, key: int) -> int | None:
        """Remember ``key`` for ``ieee`` (as the most recent); returns the previous key."""
        keys = self._key
        buf = self._ieee
        i = self._find(ieee)
        prev = None
        if i >= 0:
            prev = keys.pop(i)
            del buf[8 * i : 8 * i + 8]
        buf += ieee.to_bytes(8, "little")
        keys.append(key)
        if len(keys) > self._capacity:
            del keys[0]
            del buf[:8]
        return prev


#: observer of every decoded ZDP message reaching endpoint 0
ZdpListener = Callable[[ApsdeDataIndication, ZdpMessage], None]


class Zdo(ZdoClient):
    """The ZDO of one node: server, client and device announcements (see the module notes).

    ``endpoints()`` returns the node's application endpoints' simple descriptors (endpoint
    0 excluded), read at each request so endpoints may come and go.
    """

    def __init__(
        self,
        aps: ApsPort,
        nwk: Nwk,
        clock: Clock,
        rng: random.Random,
        config: ZdoConfig,
        endpoints: Callable[[], Mapping[int, SimpleDescriptor]],
    ) -> None:
        super().__init__(aps, clock, rng, config)
        self.nwk = nwk
        self.endpoints = endpoints
        #: apsChannelMask, as the last Mgmt_NWK_Update_req (0xFF) set it
        self.channel_mask = ALL_CHANNELS_MASK
        #: Mgmt_Leave_req asks this device to leave: ``on_leave(remove_children, rejoin)``
        #: (None: NLME-LEAVE.request straight away; the node should set it to rejoin)
        self.on_leave: Callable[[bool, bool], None] | None = None
        #: trust center: Mgmt_Permit_Joining_req with TC_Significance (duration in seconds)
        self.tc_permit_joining: Callable[[int], None] | None = None
        #: told after a channel change (Mgmt_NWK_Update_req 0xFE or :meth:`change_channel`)
        self.channel_changed: Callable[[int], None] | None = None
        self._listeners: list[ZdpListener] = []
        self._channel_listeners: list[Callable[[int], None]] = []
        #: IEEE -> (TSN, APS counter, address) of the last Device_annce acted on per device
        self._annce_seen = _AnnceMemory(_ANNCE_MEMORY)
        self.server = ZdpServer(self)
        aps.register_endpoint(ZDO_ENDPOINT, self.on_aps_event)
        aps.set_address_resolver(self.resolve_address)

    def add_listener(self, listener: ZdpListener) -> None:
        """Observe every decoded ZDP message that reaches endpoint 0 (after its handling)."""
        self._listeners.append(listener)

    def stop(self) -> None:
        """Cancel the server's timers (the node is reset or leaves)."""
        self.server.stop()

    def on_nwk_event(self, ev: NwkEvent) -> None:
        """The node passes every NWK event: when this device has left the network, the
        server's pending procedures (end device bind, channel change, leave) stop."""
        if isinstance(ev, NlmeLeaveConfirm | NlmeLeaveIndication) and ev.device_address is None:
            self.stop()

    # -- endpoint 0 ----------------------------------------------------------------------------

    def on_aps_event(self, ev: ApsdeEvent) -> None:
        """The endpoint 0 handler: APSDE-DATA confirms and indications. Bad input from the
        air is dropped and counted, never raised."""
        if isinstance(ev, ApsdeDataConfirm):
            self.on_confirm(ev)
            return
        stats = self.stats
        if ev.profile_id != ZDP_PROFILE_ID:
            stats.wrong_profile += 1
            return
        cluster = ev.cluster_id
        try:
            msg = decode_zdp(cluster, ev.asdu)
        except DecodeError:
            stats.decode_errors += 1
            return
        if cluster & _RESPONSE_BIT:
            self._on_response(ev, msg)
        elif isinstance(msg, DeviceAnnce):
            self._on_device_annce(ev, msg)
        elif is_broadcast(ev.dst_address) and ev.src_address == self.nwk.address:
            pass  # our own broadcast
        else:
            self.server.handle(ev, msg)
        for listener in self._listeners:
            listener(ev, msg)

    def _on_response(self, ind: ApsdeDataIndication, msg: ZdpMessage) -> None:
        nwk = self.nwk
        if (
            isinstance(msg, NwkAddrRsp | IeeeAddrRsp)
            and msg.status == ZdoStatus.SUCCESS
            and msg.nwk_addr_remote_dev < 0xFFF8
            and msg.ieee_addr_remote_dev != nwk.ieee
        ):
            nwk.address_map.update(msg.nwk_addr_remote_dev, msg.ieee_addr_remote_dev)
        answered = self.on_response(ind, msg)
        if answered and isinstance(msg, ParentAnnceRsp):
            # another router claims these children: they left us (2.4.3.1.12)
            for ieee in msg.children:
                e = nwk.neighbors.get_by_ieee(ieee)
                if e is not None and e.is_child and e.device_type == DeviceType.END_DEVICE:
                    self._drop_child(e.network_address)

    # -- device announcement -------------------------------------------------------------------

    def device_annce(self) -> int:
        """Broadcast Device_annce (to 0xFFFD) with our network and IEEE addresses and MAC
        capability: the node calls it after joining and after every rejoin. Returns the
        APS handle."""
        nwk = self.nwk
        if not nwk.joined:
            raise LocalProtocolError("Device_annce before joining a network")
        self.stats.device_annce_sent += 1
        msg = DeviceAnnce(self.next_tsn(), nwk.address, nwk.ieee, self.config.mac_capability)
        return self.send(_RX_ON_WHEN_IDLE, msg)

    def _on_device_annce(self, ind: ApsdeDataIndication, a: DeviceAnnce) -> None:
        self.stats.device_annce_received += 1
        nwk = self.nwk
        short, ieee = a.nwk_addr, a.ieee_addr
        if ieee == nwk.ieee or short >= 0xFFF8:
            return  # our own (looped back), or nonsense
        key = _annce_key(a.tsn, ind.aps_counter, short)
        if self._annce_seen.get(ieee) == key:
            # the announcement acted on already, heard again (a late relayed copy or a
            # replay): no news, and no reason to drop a child that still polls us
            self.stats.device_annce_repeated += 1
            return
        owner = nwk.neighbors.get(short)
        first_hand = owner.extended_address if owner is not None else None
        if (
            owner is not None
            and owner.is_child
            and owner.device_type == DeviceType.END_DEVICE
            and first_hand is not None
            and first_hand != ieee
        ):
            # our end device child's address announced by another device: an address
            # conflict (3.6.1.9.2), found when the second device joins instead of when traffic
            # later carries both IEEE addresses past a router that knows one (our own address
            # announced by another: the NWK layer finds it, Broadcaster)
            self.stats.device_annce_conflicts += 1
            nwk.addressing.conflict(short)
            return
        known = nwk.address_map.ieee_of(short)
        if (first_hand is not None and first_hand != ieee) or (known is not None and known != ieee):
            # the announcement gives another device's network address to this IEEE address.
            # Before, it replaced the pair; that device's next frame (its IEEE address in the
            # NWK header) then looked like an address conflict (3.6.1.9.3) and it had to take a
            # new address, cutting off its sleepy children or losing what was queued for it
            # (issue 9's hostile campaign: announcements forged by a network key holder). The
            # pair we hold stands (first-hand from our neighbour table, or the first heard);
            # a device really using the address shows it with its own frames (its IEEE
            # address in their NWK header: AddressManager.check_frame), and a stale pair of a
            # device that left silently ends in a conflict resolution like any other.
            self.stats.device_annce_refused += 1
            return
        prev = self._annce_seen.put(ieee, key)
        self.aps.note_device(short, ieee, bool(a.capability & MacCapability.RX_ON_WHEN_IDLE))
        nwk.address_map.update(short, ieee, overwrite=True)
        e = nwk.neighbors.get_by_ieee(ieee)
        if e is None:
            return
        if e.is_child and e.device_type == DeviceType.END_DEVICE:
            if e.network_address != short or ind.hops > 1:
                # a replayed announcement passes NWK security from a sender never heard: only
                # one newer than the child's last (its APS counter) or a child that no longer
                # polls us drops it
                fresh = (
                    prev is not None and 0 < (ind.aps_counter - _annce_counter(prev)) & 0xFF < 0x80
                )
                nwk.parent.suspect_moved(e.network_address, self._drop_child, fresh=fresh)
        elif e.network_address != short:
            nwk.routing.neighbor_renamed(ieee, short)

    def _drop_child(self, address: int) -> None:
        nwk = self.nwk
        nwk.neighbors.remove(address)
        nwk.purge_indirect(address)
        nwk.update_beacon()
        self.stats.children_removed += 1

    def parent_annce(self, *, timeout_us: int | None = None) -> list[Pending[ZdpResult[Any]]]:
        """Broadcast Parent_annce (to 0xFFFC) listing our end-device children, in as many
        messages as needed; the routers answer Parent_annce_rsp with those they have as
        children, and we drop those. A router calls it after restarting with a child table.
        Returns one pending per message (none without end-device children)."""
        nwk = self.nwk
        if not nwk.is_router:
            raise LocalProtocolError("Parent_annce is sent by routers")
        kids = [
            e.extended_address
            for e in nwk.neighbors.children(DeviceType.END_DEVICE)
            if e.extended_address is not None
        ]
        if not kids:
            return []
        per = (self.config.max_zdp_payload - _PARENT_ANNCE_HEAD) // 8
        return [
            self.request(_ALL_ROUTERS, ParentAnnce(0, chunk), timeout_us=timeout_us)
            for chunk in chunks(kids, per)
        ]

    # -- address resolution --------------------------------------------------------------------

    def resolve_address(self, ieee: int, callback: ResolvedCallback) -> None:
        """The APS address resolver: the network address of ``ieee`` (our own, a
        neighbour's, else a broadcast NWK_addr_req to 0xFFFD), given to ``callback`` from the
        clock; None when no answer came before the request timeout."""
        nwk = self.nwk
        if ieee == nwk.ieee:
            self.clock.call_later(0, callback, nwk.address)
            return
        e = nwk.neighbors.get_by_ieee(ieee)
        if e is not None:
            self.clock.call_later(0, callback, e.network_address)
            return

        def done(p: Pending[ZdpResult[NwkAddrRsp]]) -> None:
            res = p.result()
            rsp = res.response
            callback(rsp.nwk_addr_remote_dev if res.ok and rsp is not None else None)

        self.nwk_addr(ieee).add_done_callback(done)

    # -- network manager -----------------------------------------------------------------------

    def change_channel(self, channel: int, *, dst: int = _ALL_DEVICES) -> int:
        """As network manager: move the network to ``channel``: nwkUpdateId + 1, a
        Mgmt_NWK_Update_req (ScanDuration 0xFE, 2.4.3.3.9) broadcast to ``dst``
        :data:`CHANNEL_CHANGE_SENDS` times spread over the channel change delay (one
        broadcast under load can be lost by every neighbour; 0xFFFF: sleepy devices hear it
        from their parents), and our own switch after that delay. Returns the first APS
        handle."""
        if not 11 <= channel <= 26:
            raise LocalProtocolError(f"channel {channel} not in 11-26")
        nib = self.nwk.nib
        nib.nwk_update_id = (nib.nwk_update_id + 1) & 0xFF
        self.nwk.update_beacon()
        return self._announce_channel(channel, dst)

    def reannounce_channel(self, old_channel: int) -> None:
        """Part of our network was heard on ``old_channel`` under an older nwkUpdateId (it
        missed our channel change): go back there and send the change again (same channel,
        same nwkUpdateId), then move back with them."""
        nwk = self.nwk
        channel = nwk.nib.nwk_logical_channel
        if old_channel == channel or self.server.mgmt.changing:
            return
        if self.server.mgmt.switch_now(old_channel):
            self._announce_channel(channel, _ALL_DEVICES)
            return
        # the radio is busy: once it is on the old channel, announce from there
        self.clock.call_later(_REANNOUNCE_RETRY_US, self._reannounce_when_there, channel)

    def _reannounce_when_there(self, channel: int) -> None:
        mgmt = self.server.mgmt
        if mgmt.target is not None:
            self.clock.call_later(_REANNOUNCE_RETRY_US, self._reannounce_when_there, channel)
        elif self.nwk.joined and self.nwk.nib.nwk_logical_channel != channel:
            self._announce_channel(channel, _ALL_DEVICES)

    def _announce_channel(self, channel: int, dst: int) -> int:
        nib = self.nwk.nib
        req = MgmtNwkUpdateReq.change_channel(self.next_tsn(), 1 << channel, nib.nwk_update_id)
        handle = self.send(dst, req)
        mgmt = self.server.mgmt
        mgmt.schedule_channel_change(channel)
        delay = mgmt.channel_change_delay_us()
        step = delay // CHANNEL_CHANGE_SENDS
        for k in range(1, CHANNEL_CHANGE_SENDS):
            self.clock.call_later(k * step, self._resend_channel_change, dst, req, channel)
        return handle

    def _resend_channel_change(self, dst: int, req: MgmtNwkUpdateReq, channel: int) -> None:
        if self.nwk.joined and self.server.mgmt.target == channel:
            self.send(dst, req)

    def add_channel_listener(self, listener: Callable[[int], None]) -> None:
        """Be told of every channel change (the node saves the new channel)."""
        self._channel_listeners.append(listener)

    def on_channel_changed(self, channel: int) -> None:
        """The server moved us to ``channel``."""
        for listener in self._channel_listeners:
            listener(channel)
        hook = self.channel_changed
        if hook is not None:
            hook(channel)

    # -- leaving -------------------------------------------------------------------------------

    def leave(self, *, remove_children: bool = False, rejoin: bool = False) -> None:
        """This device leaves the network (a Mgmt_Leave_req asked): :attr:`on_leave` when
        the node set it, else NLME-LEAVE.request."""
        self.stop()
        hook = self.on_leave
        if hook is not None:
            hook(remove_children, rejoin)
        else:
            self.nwk.nlme_leave_request(None, remove_children, rejoin)
