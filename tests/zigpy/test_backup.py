"""zigpy's network backup and restore round-trip through the coordinator's persisted state;
a restarted zigpy application resumes the network instead of forming a new one, on the same
running simulation and, with a SQLite state store, on a new one."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("zigpy")

import zigpy.exceptions  # noqa: E402
import zigpy.state  # noqa: E402
import zigpy.types as t  # noqa: E402

from tests.zigpy.helpers import PATH, config, device_of, house_app, wait_for  # noqa: E402
from zigmesh.node import Role  # noqa: E402
from zigmesh.zcl.clusters.control import ON_OFF  # noqa: E402
from zigmesh.zigpy import ControllerApplication, run  # noqa: E402
from zigmesh.zigpy.netinfo import eui64  # noqa: E402


def _same_network(a: zigpy.state.NetworkInfo, b: zigpy.state.NetworkInfo) -> None:
    assert (a.channel, a.pan_id, a.extended_pan_id, a.nwk_update_id) == (
        b.channel,
        b.pan_id,
        b.extended_pan_id,
        b.nwk_update_id,
    )
    assert (a.network_key.key, a.network_key.seq) == (b.network_key.key, b.network_key.seq)
    assert a.tc_link_key.key == b.tc_link_key.key
    assert a.security_level == b.security_level


def test_write_then_load_gives_the_same_network() -> None:
    async def main() -> None:
        app = await house_app()
        backup = await app.backups.create_backup(load_devices=True)
        info = backup.network_info
        assert info.key_table  # the devices' unique TC link keys
        assert info.children and info.nwk_addresses
        await app.reset_network_info()
        with pytest.raises(zigpy.exceptions.NetworkNotFormed):
            await app.load_network_info()
        await app.write_network_info(network_info=info, node_info=backup.node_info)
        await app.load_network_info(load_devices=True)
        loaded = app.state.network_info
        _same_network(loaded, info)
        assert loaded.network_key.tx_counter >= info.network_key.tx_counter
        assert {k.partner_ieee: k.key for k in loaded.key_table} == {
            k.partner_ieee: k.key for k in info.key_table
        }
        # the coordinator comes back up on the restored network; the devices still talk to it
        await app.start_network()
        lamp = device_of(app, app.house.node("light-2"))
        await lamp.endpoints[1].on_off.on()
        assert app.house.endpoint("light-2").servers[ON_OFF.id]["on_off"] is True
        await app.shutdown()

    run(main())


def test_restart_resumes_the_network_without_forming() -> None:
    async def main() -> None:
        app = await house_app()
        house = app.house
        before = app.state.network_info
        formed = house.coordinator.stats.join_attempts
        await app.shutdown()
        app2 = ControllerApplication(config(), house=house)
        await app2.startup(auto_form=True)
        _same_network(app2.state.network_info, before)
        assert house.coordinator.stats.join_attempts == formed  # not formed again
        # zigpy has no database here: the devices are rediscovered as they talk
        lamp = house.node("light-1")
        app2.handle_join(t.NWK(lamp.network_address), eui64(lamp.eui64), t.NWK(0))
        assert await wait_for(lambda: device_of(app2, lamp).is_initialized, 60)
        await device_of(app2, lamp).endpoints[1].on_off.on()
        assert house.endpoint("light-1").servers[ON_OFF.id]["on_off"] is True
        await app2.shutdown()

    run(main())


def test_restart_on_a_saved_state_resumes_the_network(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    path = f"{PATH}?state={state}"

    async def first() -> zigpy.state.NetworkInfo:
        app = await house_app(path)
        info = app.state.network_info
        await app.shutdown()  # closes the state store
        return info

    async def second() -> zigpy.state.NetworkInfo:
        app = ControllerApplication(config(path))
        await app.startup(auto_form=False)  # nothing to form: the coordinator resumes
        info = app.state.network_info
        await app.permit(60)
        world = app.world
        # the devices reload their state too and rejoin the same network (secured rejoin)
        routers = [n for n in world if n.role != Role.END_DEVICE]
        assert await wait_for(lambda: all(n.joined for n in routers), 60)
        assert all(n.stats.restores == 1 for n in routers)  # the coordinator among them
        lamp = app.house.node("light-3")
        app.handle_join(t.NWK(lamp.network_address), eui64(lamp.eui64), t.NWK(0))
        assert await wait_for(lambda: device_of(app, lamp).is_initialized, 60)
        await device_of(app, lamp).endpoints[1].on_off.on()
        assert app.house.endpoint("light-3").servers[ON_OFF.id]["on_off"] is True
        await app.shutdown()
        return info

    a = run(first())
    b = run(second())
    _same_network(a, b)
    assert b.network_key.tx_counter > a.network_key.tx_counter  # counters jumped forward
