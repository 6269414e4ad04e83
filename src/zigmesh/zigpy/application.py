"""A zigpy radio library whose radio is the coordinator of a simulated zigmesh network.

:class:`ControllerApplication` subclasses zigpy's. The zigmesh coordinator keeps its network
layers (MAC, NWK, APS with security) and its trust center, and answers ZDO requests addressed
to it from its own ZDO server, as a network co-processor does; everything above is zigpy's:
its ZDO requests to devices and all ZCL go out through :meth:`send_packet` (APSDE-DATA), and
what arrives for the coordinator's endpoints comes back through ``packet_received``: ZCL on
the endpoints zigpy registered, and on endpoint 0 the ZDO responses and announcements (not
the requests, which the coordinator answered). Joins and rejoins reach zigpy through the
devices' Device_annce (or, for a device that does not announce itself, from the trust
center's join), leaves through ``handle_leave``, the relays of the coordinator's route records
through ``handle_relays``.

Device path ``zigmesh://SCENARIO.toml?seed=N&speed=X&state=FILE`` (see
:mod:`zigmesh.zigpy.house`), or a ready network: ``ControllerApplication(config,
house=build_house(...))`` / ``world=World(...)``. On a :class:`~zigmesh.zigpy.loop.SimEventLoop`
(``zigmesh.zigpy.run(main())``) the simulation runs in virtual time; on any other loop it is
paced to the wall clock ``speed`` times faster.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import zigpy.application
import zigpy.config as conf
import zigpy.device
import zigpy.exceptions
import zigpy.state
import zigpy.types as t
import zigpy.zdo.types as zdo_t

from zigmesh.aps.aps import Aps
from zigmesh.aps.commands import UpdateDevice, UpdateDeviceStatus
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    ApsdeEvent,
    ApsmeCommandIndication,
    SecurityStatus,
    TxOptions,
)
from zigmesh.node import Node, NodeState
from zigmesh.nwk.primitives import NlmeJoinIndication, NlmeLeaveIndication, NwkEvent
from zigmesh.persist.snapshot import NodeSnapshot
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import SimpleDescriptor
from zigmesh.zigpy.house import SimHouse, load_house, parse_device_path
from zigmesh.zigpy.loop import RealtimeDriver, SimEventLoop
from zigmesh.zigpy.netinfo import (
    MANUFACTURER,
    MODEL,
    UNKNOWN_IEEE,
    eui64,
    eui64_int,
    network_info,
    node_info,
    snapshot_from,
)

__all__ = ["ControllerApplication", "ZigmeshCoordinator"]

LOGGER = logging.getLogger(__name__)

_ZDO_EP = 0
_RESPONSE = 0x8000
_DEVICE_ANNCE = int(zdo_t.ZDOCmd.Device_annce)
#: ZDO notifications zigpy wants although they are not responses
_ZDO_NOTIFICATIONS = frozenset({int(zdo_t.ZDOCmd.Device_annce), int(zdo_t.ZDOCmd.Parent_annce)})
#: how long start-up waits for the coordinator to form / resume (simulated seconds)
_FORM_TIMEOUT_S = 60.0
#: a device the trust center let in that has not announced itself this long after is handed
#: to zigpy's handle_join all the same (seconds; Z-Stack radio libraries wait as long)
JOIN_ANNOUNCE_WAIT_S = 2.0
#: zigpy's Green Power and other endpoints beyond 240 are registered with the APS only
_MAX_DESCRIBED_EP = 240

try:
    _VERSION = version("zigmesh")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    _VERSION = "0"


class ZigmeshCoordinator(zigpy.device.ZigbeeDevice):
    """zigpy's device object for the simulated coordinator."""

    def __init__(
        self, application: zigpy.application.ControllerApplication, ieee: t.EUI64, nwk: t.NWK
    ) -> None:
        super().__init__(application, ieee, nwk)
        self.manufacturer = MANUFACTURER
        self.model = MODEL


class ControllerApplication(zigpy.application.ControllerApplication):
    """zigpy on a simulated coordinator (module docstring)."""

    DISPLAY_NAME = "zigmesh"
    DESCRIPTION = "Simulated Zigbee network (zigmesh)"

    def __init__(
        self,
        config: dict[str, Any],
        *,
        house: SimHouse | None = None,
        world: World | None = None,
    ) -> None:
        super().__init__(config)
        if house is None and world is not None:
            house = SimHouse(world, world.coordinator)
        self._house = house
        self._own_house = False
        self._connected = False
        self._speed = 1.0
        self._driver: RealtimeDriver | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: APS handle -> future of its confirm (for the Aps instance in _aps)
        self._confirms: dict[int, asyncio.Future[ApsdeDataConfirm]] = {}
        self._aps: Aps | None = None
        self._formations = 0
        #: endpoints zigpy added: descriptor (1-240) or None (241-254: APS only)
        self._endpoints: dict[int, SimpleDescriptor | None] = {}
        self._prev_upper: Callable[[NwkEvent], None] | None = None
        self._prev_apsme: Callable[[ApsmeCommandIndication], None] | None = None
        #: the relays last reported to zigpy per device (handle_relays)
        self._relays: dict[int, tuple[int, ...]] = {}
        #: devices that joined and have not announced themselves yet: IEEE -> timer
        self._join_waits: dict[int, asyncio.TimerHandle] = {}

    # -- the simulated radio ----------------------------------------------------------------------

    @property
    def house(self) -> SimHouse:
        """The simulated network (after :meth:`connect`)."""
        if self._house is None:
            raise zigpy.exceptions.ControllerException("not connected")
        return self._house

    @property
    def world(self) -> World:
        return self.house.world

    @property
    def node(self) -> Node:
        """The zigmesh coordinator."""
        return self.house.coordinator

    async def connect(self) -> None:
        path = parse_device_path(self._config[conf.CONF_DEVICE][conf.CONF_DEVICE_PATH])
        self._speed = path.speed
        if self._house is None or self._own_house:
            self._house = load_house(path)
            self._own_house = True
        self._connected = True
        loop = asyncio.get_running_loop()
        self._loop = loop
        kernel = self.world.kernel
        if isinstance(loop, SimEventLoop):
            loop.attach(kernel)
        else:
            # a failure in the simulation is a radio that stopped answering
            self._driver = RealtimeDriver(kernel, self._speed, on_error=self.connection_lost)
            self._driver.start()
        node = self.node
        self._prev_upper = node._upper
        node.set_upper(self._on_nwk_event)
        self._install()

    async def disconnect(self) -> None:
        if self._house is None or not self._connected:
            return
        self._connected = False
        for fut in self._confirms.values():
            if not fut.done():
                fut.cancel()
        self._confirms.clear()
        for timer in self._join_waits.values():
            timer.cancel()
        self._join_waits.clear()
        node = self.node
        if node._upper == self._on_nwk_event:
            node.set_upper(self._prev_upper)
        if self._prev_apsme is not None and node.aps.apsme_user == self._on_apsme:
            node.aps.set_apsme_user(self._prev_apsme)
        self._prev_apsme = None
        aps = node.aps
        for ep, handler in list(aps.handlers.items()):
            if handler == self._on_aps:
                aps.unregister_endpoint(ep)
        if aps.handlers.get(_ZDO_EP) == self._on_zdo:
            aps.unregister_endpoint(_ZDO_EP)
            aps.register_endpoint(_ZDO_EP, node.zdo.on_aps_event)
        if self._driver is not None:
            self._driver.stop()
            self._driver = None
        loop = self._loop
        if isinstance(loop, SimEventLoop) and loop.kernel is self.world.kernel:
            loop.detach()
        if self._own_house:
            self._house.close()

    def _install(self) -> None:
        """Hook the coordinator's APS (again after a reboot rebuilt it): endpoint 0 shared with
        its ZDO, zigpy's other endpoints, the trust center's device updates."""
        node = self.node
        aps = node.aps
        if self._aps is not aps:
            for fut in self._confirms.values():
                if not fut.done():
                    fut.set_exception(zigpy.exceptions.DeliveryError("coordinator restarted"))
            self._confirms.clear()
            self._aps = aps
        if aps.handlers.get(_ZDO_EP) != self._on_zdo:
            aps.unregister_endpoint(_ZDO_EP)
            aps.register_endpoint(_ZDO_EP, self._on_zdo)
        for ep, desc in self._endpoints.items():
            handler = aps.handlers.get(ep)
            if handler == self._on_aps:
                continue
            if handler is not None:  # a previous application's (zigpy restarted)
                aps.unregister_endpoint(ep)
            if desc is not None and ep not in node.endpoints:
                node.add_endpoint(desc, self._on_aps)
            else:
                if desc is not None:
                    node.endpoints[ep] = desc
                aps.register_endpoint(ep, self._on_aps)
        if aps.apsme_user is not None and aps.apsme_user != self._on_apsme:
            self._prev_apsme = aps.apsme_user
            aps.set_apsme_user(self._on_apsme)

    # -- network formation and state ----------------------------------------------------------------

    def _stored(self) -> NodeSnapshot | None:
        """The network the coordinator keeps in its store (its "NVRAM")."""
        return self.world.store.load(self.node.name)

    async def _wait(self, cond: Callable[[], bool], timeout_s: float) -> bool:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while not cond():
            if loop.time() >= end:
                return False
            await asyncio.sleep(0.05)
        return True

    async def start_network(self) -> None:
        node, world = self.node, self.world
        if not node.joined:
            if self._stored() is None:
                raise zigpy.exceptions.NetworkNotFormed("no network stored in the coordinator")
            if not world.is_powered(node):
                world.power_on(node)
            elif node.state in (NodeState.OFF, NodeState.LEFT):
                node.start()
            if not await self._wait(lambda: node.joined, _FORM_TIMEOUT_S):
                raise zigpy.exceptions.NetworkNotFormed("the coordinator did not start")
        self._install()
        await self.load_network_info(load_devices=False)
        await self.register_endpoints()
        ieee = self.state.node_info.ieee
        self.devices[ieee] = ZigmeshCoordinator(self, ieee, self.state.node_info.nwk)
        task = self._device.schedule_initialize()
        if task is not None:
            await task

    async def load_network_info(self, *, load_devices: bool = False) -> None:
        node = self.node
        live = node.joined
        snap = node.snapshot() if live else self._stored()
        if snap is None:
            raise zigpy.exceptions.NetworkNotFormed("no network stored in the coordinator")
        world = self.world
        self.state.network_info = network_info(
            snap, node, security=world.security, tx_power=world.tx_power_dbm, live=live
        )
        if not load_devices:
            self.state.network_info.nwk_addresses = {}
        self.state.node_info = node_info(node, _VERSION)

    async def write_network_info(
        self, *, network_info: zigpy.state.NetworkInfo, node_info: zigpy.state.NodeInfo
    ) -> None:
        node, world = self.node, self.world
        ieee = node_info.ieee
        if ieee not in (UNKNOWN_IEEE, eui64(node.eui64)):
            LOGGER.warning("The simulated coordinator keeps its IEEE address %s", eui64(node.eui64))
        if network_info.security_level not in (0, 5) or bool(network_info.security_level) != (
            world.security
        ):
            LOGGER.warning(
                "Security level %s ignored: the simulated network is %s",
                network_info.security_level,
                "secured (5)" if world.security else "unsecured (0)",
            )
        if world.is_powered(node):
            world.power_off(node)
        world.store.save(node.name, snapshot_from(network_info, node, world.now_us))

    async def reset_network_info(self) -> None:
        node, world = self.node, self.world
        if world.is_powered(node):
            world.power_off(node)
        world.store.delete(node.name)

    async def form_network(self, *, fast: bool = False) -> None:
        """zigpy's formation, with the settings zigpy leaves open drawn from the simulation's
        seeded random generator (deterministic) and the scenario's channel."""
        nwk = dict(self._config[conf.CONF_NWK])
        self._formations += 1
        # a generator of its own (the nodes' are left alone): same seed, same network
        rng = random.Random(f"zigmesh.zigpy.form:{self.world.seed}:{self._formations}")
        scenario = self.house.scenario
        if nwk[conf.CONF_NWK_CHANNEL] is None:
            ch = scenario.channel if scenario is not None else None
            nwk[conf.CONF_NWK_CHANNEL] = ch if ch is not None else self.world.channel
        if nwk[conf.CONF_NWK_PAN_ID] is None:
            nwk[conf.CONF_NWK_PAN_ID] = t.PanId(rng.randrange(0x0001, 0xFFF7))
        if nwk[conf.CONF_NWK_EXTENDED_PAN_ID] is None:
            nwk[conf.CONF_NWK_EXTENDED_PAN_ID] = t.ExtendedPanId(rng.randbytes(8))
        if nwk[conf.CONF_NWK_KEY] is None:
            nwk[conf.CONF_NWK_KEY] = t.KeyData(rng.randbytes(16))
        saved = self._config
        self._config = {**saved, conf.CONF_NWK: nwk}
        try:
            await super().form_network(fast=fast)
        finally:
            self._config = saved

    async def _move_network_to_channel(self, new_channel: int, new_nwk_update_id: int) -> None:
        """The coordinator's own part of zigpy's ``move_network_to_channel`` (zigpy has
        broadcast the Mgmt_NWK_Update_req already): take the new nwkUpdateId and switch after
        the channel change delay, as every device that heard the broadcast does. zigpy's
        default, a Mgmt_NWK_Update_req to ourselves, would wait for a response that a channel
        change never has (Zigbee R22 2.4.3.3.9)."""
        node = self._running_node()
        node.nwk.nib.nwk_update_id = int(new_nwk_update_id) & 0xFF
        node.nwk.update_beacon()
        node.zdo.server.mgmt.schedule_channel_change(int(new_channel))

    # -- joining -----------------------------------------------------------------------------------

    async def permit_ncp(self, time_s: int = 60) -> None:
        self._running_node().nwk.nlme_permit_joining_request(max(0, min(int(time_s), 0xFE)))

    async def permit_with_link_key(
        self, node: t.EUI64, link_key: t.KeyData, time_s: int = 60
    ) -> None:
        tc = self._running_node().trust_center
        if tc is None:
            raise zigpy.exceptions.ControllerException("the network is not secured")
        ieee = eui64_int(node)
        key = bytes(link_key)
        tc.install_codes[ieee] = key
        tc.keys.set_link_key(ieee, key)
        await self.permit(time_s)

    async def force_remove(self, dev: zigpy.device.ZigbeeDevice) -> None:
        node = self._running_node()
        ieee = eui64_int(dev.ieee)
        e = node.nwk.neighbors.get_by_ieee(ieee)
        if e is not None and e.is_child:
            node.nwk.nlme_leave_request(ieee)
        tc = node.trust_center
        if tc is not None:
            tc.devices.pop(ieee, None)
            if ieee not in tc.install_codes and ieee in tc.keys.link_key_partners():
                tc.keys.remove_link_key(ieee)

    async def add_endpoint(self, descriptor: zdo_t.SimpleDescriptor) -> None:
        ep = int(descriptor.endpoint)
        desc: SimpleDescriptor | None = None
        if 1 <= ep <= _MAX_DESCRIBED_EP:
            desc = SimpleDescriptor(
                ep,
                int(descriptor.profile),
                int(descriptor.device_type),
                int(descriptor.device_version),
                tuple(int(c) for c in descriptor.input_clusters),
                tuple(int(c) for c in descriptor.output_clusters),
            )
        self._endpoints[ep] = desc
        self._install()

    def _running_node(self) -> Node:
        node = self.node
        if not node.joined:
            raise zigpy.exceptions.DeliveryError("the coordinator is not in a network")
        self._install()
        return node

    # -- sending -------------------------------------------------------------------------------------

    async def send_packet(self, packet: t.ZigbeePacket) -> None:
        node = self._running_node()
        dst = packet.dst
        if dst is None:
            raise zigpy.exceptions.DeliveryError("packet without destination")
        mode, addr = dst.addr_mode, dst.address
        dst_ep: int | None = None if packet.dst_ep is None else int(packet.dst_ep)
        address: int
        if mode == t.AddrMode.IEEE and isinstance(addr, t.EUI64):
            aps_mode, address = ApsAddrMode.IEEE, eui64_int(addr)
        elif mode == t.AddrMode.Group and isinstance(addr, int):
            aps_mode, address, dst_ep = ApsAddrMode.GROUP, int(addr), None
        elif mode in (t.AddrMode.NWK, t.AddrMode.Broadcast) and isinstance(addr, int):
            aps_mode, address = ApsAddrMode.SHORT, int(addr)
        else:
            raise zigpy.exceptions.DeliveryError(f"unsupported destination {dst!r}")
        if aps_mode != ApsAddrMode.GROUP and dst_ep is None:
            dst_ep = 0xFF if mode == t.AddrMode.Broadcast else _ZDO_EP
        options = TxOptions.NONE
        if t.TransmitOptions.ACK in packet.tx_options:
            options |= TxOptions.ACK
        if t.TransmitOptions.APS_Encryption in packet.tx_options:
            options |= TxOptions.SECURITY
        src_ep = int(packet.src_ep or 0)
        if src_ep not in node.aps.handlers:
            raise zigpy.exceptions.DeliveryError(f"source endpoint {src_ep} is not registered")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[ApsdeDataConfirm] = loop.create_future()
        handle = node.aps.apsde_data_request(
            aps_mode,
            address,
            dst_ep,
            int(packet.profile_id),
            int(packet.cluster_id),
            src_ep,
            packet.data.serialize(),
            tx_options=options,
            radius=int(packet.radius),
        )
        self._confirms[handle] = fut
        try:
            confirm = await fut
        finally:
            self._confirms.pop(handle, None)
        if int(confirm.status) != 0:  # ApsStatus / NwkStatus SUCCESS
            raise zigpy.exceptions.DeliveryError(
                f"delivery to {dst} failed: {confirm.status.name}", status=int(confirm.status)
            )

    # -- receiving -----------------------------------------------------------------------------------

    def _on_zdo(self, ev: ApsdeEvent) -> None:
        """Endpoint 0: our confirms to us, everything else to the coordinator's ZDO; its
        responses and announcements go on to zigpy."""
        if isinstance(ev, ApsdeDataConfirm):
            if not self._confirmed(ev):
                self.node.zdo.on_aps_event(ev)
            return
        self.node.zdo.on_aps_event(ev)
        if ev.cluster_id & _RESPONSE or ev.cluster_id in _ZDO_NOTIFICATIONS:
            if ev.cluster_id == _DEVICE_ANNCE:
                self._announced(ev.asdu)
            self._deliver(ev)

    def _on_aps(self, ev: ApsdeEvent) -> None:
        if isinstance(ev, ApsdeDataConfirm):
            self._confirmed(ev)
        else:
            self._deliver(ev)

    def _confirmed(self, ev: ApsdeDataConfirm) -> bool:
        fut = self._confirms.get(ev.asdu_handle)
        if fut is None:
            return False
        if not fut.done():
            fut.set_result(ev)
        return True

    def _deliver(self, ind: ApsdeDataIndication) -> None:
        loop = self._loop
        if loop is None or not self._connected:
            return
        loop.call_soon(self._packet_received_safe, self._packet(ind))
        src = ind.src_address
        relays = self.node.nwk.route_records.relays(src, self.world.now_us)
        if relays is not None and self._relays.get(src) != relays:
            # the route record the concentrator holds for the sender: zigpy's relays
            self._relays[src] = relays
            loop.call_soon(self._relays_safe, src, relays)

    def _relays_safe(self, src: int, relays: tuple[int, ...]) -> None:
        try:
            self.get_device(nwk=t.NWK(src))
        except KeyError:
            return  # not known yet: zigpy would go and discover it
        self.handle_relays(t.NWK(src), [t.NWK(r) for r in relays])

    def _packet_received_safe(self, packet: t.ZigbeePacket) -> None:
        try:
            self.packet_received(packet)
        except Exception:  # a malformed frame from the air must not stop the radio
            LOGGER.warning("zigpy failed to handle %r", packet, exc_info=True)

    def _packet(self, ind: ApsdeDataIndication) -> t.ZigbeePacket:
        own = self.node.network_address
        if ind.dst_addr_mode == ApsAddrMode.GROUP:
            dst = t.AddrModeAddress(addr_mode=t.AddrMode.Group, address=t.Group(ind.dst_address))
        elif ind.dst_address >= 0xFFF8:
            dst = t.AddrModeAddress(
                addr_mode=t.AddrMode.Broadcast, address=t.BroadcastAddress(ind.dst_address)
            )
        else:
            dst = t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(own))
        data = ind.asdu
        if ind.dst_endpoint == _ZDO_EP:
            tsn = data[0] if data else 0
        else:
            hdr = 3 if data and data[0] & 0x04 else 1  # manufacturer-specific: 2 more bytes
            tsn = data[hdr] if len(data) > hdr else 0
        return t.ZigbeePacket(
            src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(ind.src_address)),
            src_ep=t.uint8_t(ind.src_endpoint),
            dst=dst,
            dst_ep=t.uint8_t(ind.dst_endpoint),
            tsn=t.uint8_t(tsn),
            profile_id=t.uint16_t(ind.profile_id),
            cluster_id=t.uint16_t(ind.cluster_id),
            data=t.SerializableBytes(data),
            tx_options=(
                t.TransmitOptions.APS_Encryption
                if ind.security_status == SecurityStatus.SECURED_LINK_KEY
                else t.TransmitOptions.NONE
            ),
            lqi=t.uint8_t(ind.link_quality),
            rssi=t.int8s(self._rssi(ind.link_quality)),
        )

    def _rssi(self, lqi: int) -> int:
        """An RSSI estimate for an LQI: the medium maps the SINR linearly onto 0-255 between
        its two SINR bounds; the noise floor plus that SINR (interference ignored)."""
        mc = self.world.medium.config
        sinr = mc.lqi_sinr_min_db + lqi / 255 * (mc.lqi_sinr_max_db - mc.lqi_sinr_min_db)
        return max(-128, min(127, round(mc.noise_floor_dbm + sinr)))

    def _on_nwk_event(self, ev: NwkEvent) -> None:
        if isinstance(ev, NlmeLeaveIndication) and ev.device_address is not None:
            self._left(ev.network_address, ev.device_address)
        elif isinstance(ev, NlmeJoinIndication):
            self._joined(ev.network_address, ev.extended_address, self.node.network_address)
        prev = self._prev_upper
        if prev is not None:
            prev(ev)

    def _on_apsme(self, ind: ApsmeCommandIndication) -> None:
        prev = self._prev_apsme
        if prev is not None:
            prev(ind)
        cmd = ind.command
        if not isinstance(cmd, UpdateDevice):
            return
        if cmd.status == UpdateDeviceStatus.DEVICE_LEFT:
            self._left(cmd.short_address, cmd.device)
        else:
            self._joined(cmd.short_address, cmd.device, ind.src_address)

    def _joined(self, nwk: int, ieee: int, parent: int) -> None:
        """The trust center let a device in (or back): zigpy hears of it from its
        Device_annce, or after :data:`JOIN_ANNOUNCE_WAIT_S` without one."""
        loop = self._loop
        if loop is None:
            return
        old = self._join_waits.pop(ieee, None)
        if old is not None:
            old.cancel()
        self._join_waits[ieee] = loop.call_later(
            JOIN_ANNOUNCE_WAIT_S, self._join_unannounced, nwk, ieee, parent
        )

    def _join_unannounced(self, nwk: int, ieee: int, parent: int) -> None:
        self._join_waits.pop(ieee, None)
        LOGGER.debug("Device %016x joined without announcing itself", ieee)
        self.handle_join(t.NWK(nwk), eui64(ieee), t.NWK(parent))

    def _announced(self, data: bytes) -> None:
        if len(data) >= 11:  # TSN, NWK address, IEEE address, capability
            timer = self._join_waits.pop(int.from_bytes(data[3:11], "little"), None)
            if timer is not None:
                timer.cancel()

    def _left(self, nwk: int, ieee: int) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon(self.handle_leave, t.NWK(nwk & 0xFFFF), eui64(ieee))
