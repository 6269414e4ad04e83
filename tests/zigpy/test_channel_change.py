"""zigpy's ``move_network_to_channel`` on the simulated 20-device house: zigpy broadcasts
Mgmt_NWK_Update_req (channel change) to all devices, the coordinator moves itself
(``_move_network_to_channel``), and every device, the sleepy ones through their parents, ends
up on the new channel; zigpy still reaches the devices. Before the ZDO waited for a free radio,
a device whose switch fell due mid-transmission raised LocalProtocolError out of the
simulation."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("zigpy")

from tests.zigpy.helpers import device_of, house_app  # noqa: E402
from zigmesh.zcl.clusters.control import ON_OFF  # noqa: E402
from zigmesh.zigpy import run  # noqa: E402

NEW_CHANNEL = 25


def test_move_network_to_channel_moves_every_device() -> None:
    async def main() -> None:
        app = await house_app()
        world = app.world
        old_update_id = app.state.network_info.nwk_update_id
        assert app.state.network_info.channel != NEW_CHANNEL
        await app.move_network_to_channel(NEW_CHANNEL)
        assert app.state.network_info.channel == NEW_CHANNEL
        assert app.state.network_info.nwk_update_id == old_update_id + 1
        channels = {n.name: n.mac.mlme_get("phy_current_channel") for n in world}
        assert channels == {n.name: NEW_CHANNEL for n in world}
        assert all(n.nwk.nib.nwk_update_id == old_update_id + 1 for n in world)
        light = app.house.endpoint("light-3")
        on_off: Any = device_of(app, app.house.node("light-3")).endpoints[1].on_off
        await on_off.on()
        assert light.servers[ON_OFF.id]["on_off"] is True
        ok, _ = await on_off.read_attributes(["on_off"], allow_cache=False)
        assert ok == {"on_off": True}
        await app.shutdown()

    run(main())
