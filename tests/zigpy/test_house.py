"""zigpy drives the simulated 20-device house in virtual time: formation with
``startup(auto_form=True)``, permit joining, zigpy's own interview of every device, a light
switched through zigpy's cluster API, sensor reports as zigpy events, a switch bound to a light
with zigpy's ZDO API, device removal."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("zigpy")

import zigpy.exceptions  # noqa: E402
import zigpy.types as t  # noqa: E402
import zigpy.zdo.types as zdo_t  # noqa: E402

from tests.zigpy.helpers import (  # noqa: E402
    config,
    device_of,
    house_app,
    interviewed,
    wait_for,
)
from zigmesh.node import Role  # noqa: E402
from zigmesh.zcl.clusters.control import ON_OFF  # noqa: E402
from zigmesh.zcl.clusters.measurement import TEMPERATURE_MEASUREMENT  # noqa: E402
from zigmesh.zcl.destination import Destination  # noqa: E402
from zigmesh.zigpy import ControllerApplication, run  # noqa: E402
from zigmesh.zigpy.netinfo import eui64  # noqa: E402


def test_startup_auto_form_forms_the_network() -> None:
    async def main() -> None:
        app = ControllerApplication(config())
        await app.startup(auto_form=True)
        node = app.node
        assert node.joined
        ni = app.state.network_info
        nib = node.nwk.nib
        assert ni.channel == 20 == nib.nwk_logical_channel  # the scenario's channel
        assert ni.pan_id == nib.nwk_pan_id
        assert ni.extended_pan_id == eui64(nib.nwk_extended_pan_id)
        active = node.keys.active_network_key
        assert active is not None and bytes(ni.network_key.key) == active.key
        assert app.state.node_info.ieee == eui64(node.eui64)
        coord = app._device
        assert coord.is_initialized and coord.model == "zigmesh simulated coordinator"
        # zigpy interviewed the coordinator through its own ZDO server: its endpoints
        assert sorted(coord.endpoints) == [0, 1, 2]
        assert node.zdo.stats.answered.get("NODE_DESC_REQ", 0) >= 1
        # an energy scan through the coordinator's ZDO (Mgmt_NWK_Update_req to itself)
        energy = await app.energy_scan(t.Channels.from_channel_list([11, 20, 25]), 2, 1)
        assert sorted(energy) == [11, 20, 25]
        assert node.zdo.stats.answered.get("MGMT_NWK_UPDATE_REQ", 0) == 1
        await app.shutdown()

    run(main())


def test_permit_joining() -> None:
    async def main() -> None:
        app = ControllerApplication(config())
        await app.startup(auto_form=True)
        world = app.world
        await asyncio.sleep(30)  # joining is not permitted: nobody gets in
        assert [n for n in world if n.joined] == [app.node]
        await app.permit(120)
        assert await wait_for(lambda: world.all_joined(), 120)
        await app.shutdown()

    run(main())


def test_house_joins_and_zigpy_interviews_every_device() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        app = await house_app()
        house = app.house
        devs = interviewed(app)
        assert len(devs) == 20
        kinds = {"light": 0, "switch": 0, "plug": 0, "temp": 0, "door": 0, "lock": 0}
        for name, ep in house.endpoints.items():
            node = house.node(name)
            dev = device_of(app, node)
            # the interview as zigpy reports it
            assert dev.is_initialized
            assert dev.nwk == node.network_address
            nd = dev.node_desc
            assert nd is not None
            want = (
                zdo_t.LogicalType.EndDevice
                if node.role == Role.END_DEVICE
                else zdo_t.LogicalType.Router
            )
            assert nd.logical_type == want
            assert sorted(dev.endpoints) == [0, 1]
            zep = dev.endpoints[1]
            d = ep.descriptor
            assert zep.profile_id == d.profile_id and zep.device_type == d.device_id
            assert sorted(zep.in_clusters) == sorted(d.input_cluster_list)
            assert sorted(zep.out_clusters) == sorted(d.output_cluster_list)
            assert dev.manufacturer == "zigmesh"
            assert dev.model == ep.servers[0x0000]["model_identifier"]
            kinds[name.split("-")[0]] += 1
        assert kinds == {"light": 5, "switch": 2, "plug": 3, "temp": 6, "door": 3, "lock": 1}
        print(f"house interviewed in {loop.time() - t0:.1f} s of virtual time")
        assert loop.time() - t0 < 120
        await app.shutdown()

    run(main())


def test_light_on_off_through_zigpy() -> None:
    async def main() -> None:
        app = await house_app()
        light = app.house.endpoint("light-3")
        dev = device_of(app, app.house.node("light-3"))
        on_off: Any = dev.endpoints[1].on_off
        assert light.servers[ON_OFF.id]["on_off"] is False
        await on_off.on()
        assert light.servers[ON_OFF.id]["on_off"] is True  # the simulated lamp
        ok, failed = await on_off.read_attributes(["on_off"])  # and through zigpy
        assert ok == {"on_off": True} and not failed
        await on_off.off()
        assert light.servers[ON_OFF.id]["on_off"] is False
        ok, _ = await on_off.read_attributes(["on_off"], allow_cache=False)
        assert ok == {"on_off": False}
        await app.shutdown()

    run(main())


def test_sensor_reports_arrive_as_zigpy_events() -> None:
    async def main() -> None:
        app = await house_app()
        sensor = app.house.endpoint("temp-2")
        dev = device_of(app, app.house.node("temp-2"))
        temp: Any = dev.endpoints[1].temperature
        await temp.bind()
        await temp.configure_reporting("measured_value", 1, 300, 10)
        reports: list[Any] = []
        temp.on_event("attribute_report", reports.append)
        for value in (2150, 2300):
            sensor.servers[TEMPERATURE_MEASUREMENT.id]["measured_value"] = value
            assert await wait_for(
                lambda v=value: any(r.value == v for r in reports), 30
            ), reports
        assert temp.get("measured_value") == 2300
        assert all(r.attribute_name == "measured_value" for r in reports)
        await app.shutdown()

    run(main())


def test_switch_bound_to_light_with_zigpy_zdo() -> None:
    async def main() -> None:
        app = await house_app()
        house = app.house
        sw, lamp = house.node("switch-2"), house.node("light-5")
        sw_dev, lamp_dev = device_of(app, sw), device_of(app, lamp)
        dst = zdo_t.MultiAddress()
        dst.addrmode = 3
        dst.ieee = lamp_dev.ieee
        dst.endpoint = 1
        status, *_ = await sw_dev.zdo.Bind_req(sw_dev.ieee, 1, ON_OFF.id, dst)
        assert status == zdo_t.Status.SUCCESS
        assert any(
            b.cluster_id == ON_OFF.id and b.dst_addr == lamp.eui64 for b in sw.aps.binding_table
        )
        light = house.endpoint("light-5")
        assert light.servers[ON_OFF.id]["on_off"] is False
        house.endpoint("switch-2").clients[ON_OFF.id].command(Destination.bound(), "toggle")
        assert await wait_for(lambda: light.servers[ON_OFF.id]["on_off"] is True, 20, 0.1)
        await app.shutdown()

    run(main())


def test_remove_device_and_leave() -> None:
    async def main() -> None:
        app = await house_app()
        house = app.house
        plug, lamp = house.node("plug-2"), house.node("light-4")
        removed: list[t.EUI64] = []
        left: list[t.EUI64] = []

        class Listener:
            def device_removed(self, dev: Any) -> None:
                removed.append(dev.ieee)

            def device_left(self, dev: Any) -> None:
                left.append(dev.ieee)

        app.add_listener(Listener())
        # zigpy removes the plug: Mgmt_Leave_req, the plug leaves the simulated network
        ieee = eui64(plug.eui64)
        await app.remove(ieee)
        assert await wait_for(lambda: ieee not in app.devices, 30)
        assert await wait_for(lambda: not plug.joined, 30)
        assert removed == [ieee]
        # a lamp leaves on its own: zigpy hears of it (handle_leave)
        lamp.nwk.nlme_leave_request(None)
        assert await wait_for(lambda: eui64(lamp.eui64) in left, 30)
        # force_remove: the coordinator drops one of its sleepy children at the NWK layer
        world = app.world
        child = next(
            n
            for n in world
            if n.role == Role.END_DEVICE and world.parent_of(n) is world.coordinator
        )
        await app.force_remove(device_of(app, child))
        nbrs = world.coordinator.nwk.neighbors
        assert await wait_for(lambda: nbrs.get_by_ieee(child.eui64) is None, 30)
        await app.shutdown()

    run(main())


def test_delivery_errors_and_address_modes() -> None:
    async def main() -> None:
        app = await house_app()
        house = app.house
        # IEEE addressing
        lamp = device_of(app, house.node("light-1"))
        on_off: Any = lamp.endpoints[1].on_off
        await lamp.request(0x0104, ON_OFF.id, 1, 1, 0x55, b"\x01\x55\x01", expect_reply=False,
                           use_ieee=True)
        assert house.endpoint("light-1").servers[ON_OFF.id]["on_off"] is True
        # broadcast: everybody's lights off
        await app.broadcast(0x0104, ON_OFF.id, 1, 0xFF, 0, 0, 0x56, b"\x01\x56\x00",
                            broadcast_address=t.BroadcastAddress.RX_ON_WHEN_IDLE)
        assert await wait_for(
            lambda: house.endpoint("light-1").servers[ON_OFF.id]["on_off"] is False, 5, 0.1
        )
        # group: lights 2 and 4 join group 0x0101 through zigpy, one groupcast turns them on
        for name in ("light-2", "light-4"):
            await device_of(app, house.node(name)).endpoints[1].add_to_group(0x0101, "front")
        await app.groups[0x0101].endpoint.on_off.on()
        assert await wait_for(
            lambda: all(
                house.endpoint(n).servers[ON_OFF.id]["on_off"] for n in ("light-2", "light-4")
            ),
            5,
            0.1,
        )
        assert house.endpoint("light-3").servers[ON_OFF.id]["on_off"] is False
        # an acknowledged frame to nobody: DeliveryError carrying the APS / NWK status
        packet = t.ZigbeePacket(
            src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=0x0000),
            src_ep=1,
            dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=0x4242),
            dst_ep=1,
            tsn=1,
            profile_id=0x0104,
            cluster_id=ON_OFF.id,
            data=t.SerializableBytes(b"\x01\x01\x01"),
            tx_options=t.TransmitOptions.ACK,
        )
        with pytest.raises(zigpy.exceptions.DeliveryError) as err:
            await app.send_packet(packet)
        assert err.value.status is not None and err.value.status != 0
        assert on_off is not None
        await app.shutdown()

    run(main())


def test_same_seed_same_network() -> None:
    async def once() -> list[tuple[str, int]]:
        app = await house_app()
        out = sorted((str(d.ieee), int(d.nwk)) for d in interviewed(app))
        await app.shutdown()
        return out

    assert run(once()) == run(once())


def test_relays_of_multi_hop_devices_reach_zigpy() -> None:
    async def main() -> None:
        app = await house_app()
        world = app.world
        coord = world.coordinator
        multi_hop = 0
        for name in app.house.endpoints:
            node = world[name]
            dev = device_of(app, node)
            rec = coord.nwk.route_records.relays(node.network_address, world.now_us)
            if rec is not None and dev.relays is not None:
                assert list(dev.relays) == list(rec)
                multi_hop += bool(rec)
        assert multi_hop >= 3  # sleepy devices whose parent is a router
        await app.shutdown()

    run(main())


def test_rejoin_after_power_cycle_reaches_zigpy() -> None:
    async def main() -> None:
        app = await house_app()
        house, world = app.house, app.world
        lamp = house.node("light-5")
        dev = device_of(app, lamp)
        joins: list[tuple[int, t.EUI64]] = []
        handle_join = app.handle_join

        def spy(nwk: t.NWK, ieee: t.EUI64, parent_nwk: t.NWK | None, **kw: Any) -> None:
            joins.append((int(nwk), ieee))
            handle_join(nwk, ieee, parent_nwk, **kw)

        app.handle_join = spy  # type: ignore[method-assign]
        world.power_off(lamp)
        await asyncio.sleep(5)
        world.power_on(lamp)  # RAM lost: it joins again and announces itself
        assert await wait_for(lambda: lamp.joined, 60)
        assert await wait_for(lambda: (lamp.network_address, dev.ieee) in joins, 30)
        assert dev.nwk == lamp.network_address and app.devices[dev.ieee] is dev
        await dev.endpoints[1].on_off.on()
        assert house.endpoint("light-5").servers[ON_OFF.id]["on_off"] is True
        await app.shutdown()

    run(main())
