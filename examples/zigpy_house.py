"""zigpy drives a simulated house: form the network, let the devices join, list what zigpy
interviewed, turn a light on.

    python3 -m pip install -e '.[zigpy]'
    python3 examples/zigpy_house.py                 # virtual time: done in about a second
    python3 examples/zigpy_house.py --real-time 4   # paced to the wall clock, 4x faster

The radio is ``zigmesh://examples/zigpy_house.toml``: the coordinator of that scenario's
simulated network. zigpy itself is unmodified; ``zigmesh.zigpy.run`` runs it in the
simulation's virtual time, ``asyncio.run`` on the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import zigpy.config as conf

from zigmesh.zigpy import ControllerApplication, run

HOUSE = Path(__file__).resolve().parent / "zigpy_house.toml"


async def main(speed: float) -> None:
    app = ControllerApplication(
        {
            conf.CONF_DEVICE: {conf.CONF_DEVICE_PATH: f"zigmesh://{HOUSE}?speed={speed}"},
            conf.CONF_DATABASE: None,  # an in-memory zigpy: no database file
            conf.CONF_OTA: {conf.CONF_OTA_ENABLED: False},
        }
    )
    await app.startup(auto_form=True)
    info = app.state.network_info
    print(f"zigpy formed PAN {info.pan_id} on channel {info.channel}")
    await app.permit(254)
    want = len(app.house.endpoints)
    own = app.state.node_info.ieee

    def done() -> list[Any]:
        return [
            d
            for d in app.devices.values()
            if d.ieee != own and d.is_initialized and not d.initializing
        ]

    world = app.world
    while len(done()) < want and world.now_us < 300_000_000:
        await asyncio.sleep(0.5)
    print(
        f"{len(done())} of {want} devices interviewed after {world.now_us / 1e6:.1f} simulated s:"
    )
    for dev in sorted(done(), key=lambda d: d.nwk):
        nd = dev.node_desc
        kind = "end device" if nd is not None and nd.is_end_device else "router"
        clusters = sorted(dev.endpoints[1].in_clusters)
        print(f"  {dev.ieee}  0x{dev.nwk:04x}  {kind:10}  {dev.model:20}  in: {clusters}")
    light = next(d for d in done() if d.model == "dimmable_light")
    await light.endpoints[1].on_off.on()
    ok, _ = await light.endpoints[1].on_off.read_attributes(["on_off"])
    node = app.world.by_eui64(int.from_bytes(bytes(light.ieee), "little"))
    assert node is not None
    sim = app.house.endpoint(node.name).servers[0x0006]["on_off"]
    print(f"{node.name} is on: zigpy reads {bool(ok['on_off'])}, the simulated lamp says {sim}")
    await app.shutdown()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--real-time",
        type=float,
        metavar="SPEED",
        default=None,
        help="pace the simulation to the wall clock, SPEED times faster",
    )
    args = p.parse_args()
    if args.real_time is None:
        run(main(1.0))
    else:
        asyncio.run(main(args.real_time))
