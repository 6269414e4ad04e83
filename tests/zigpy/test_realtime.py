"""Real time: on an ordinary asyncio loop the simulation is paced to the wall clock (here 4
simulated seconds per wall second); zigpy forms the network, a few devices join and are
interviewed, and the simulated clock keeps to the wall clock within 10 %."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

pytest.importorskip("zigpy")

import zigpy.config as conf  # noqa: E402

from tests.zigpy.helpers import config, interviewed, wait_for  # noqa: E402
from zigmesh.zigpy import ControllerApplication  # noqa: E402

SPEED = 4.0
SMALL_HOUSE = """
name = "small"
seed = 3
duration = "10m"
channel = 15
[[nodes]]
name = "coordinator"
role = "coordinator"
position = [0.0, 0.0]
[[nodes]]
name = "light"
role = "router"
device = "dimmable_light"
position = [6.0, 0.0]
[[nodes]]
name = "plug"
role = "router"
device = "smart_plug"
position = [0.0, 6.0]
[[nodes]]
name = "temp"
role = "end_device"
device = "temperature_sensor"
position = [5.0, 5.0]
poll_interval = "2s"
"""


def test_real_time_pacing_within_ten_percent(tmp_path: Path) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_HOUSE, encoding="utf-8")
    path = f"zigmesh://{scenario}?speed={SPEED}"

    async def main() -> tuple[float, float, list[float]]:
        cfg = config(path)
        cfg[conf.CONF_WATCHDOG_ENABLED] = False
        app = ControllerApplication(cfg)
        kernel_of = lambda: app.world.kernel  # noqa: E731
        wall0 = time.monotonic()
        await app.startup(auto_form=True)
        await app.permit(120)
        sim0 = 0
        errors: list[float] = []

        def pacing() -> float:
            wall = time.monotonic() - wall0
            return (kernel_of().now() - sim0) / 1e6 / (wall * SPEED) - 1.0

        ok = await wait_for(lambda: len(interviewed(app)) == 3, 60, 0.25)
        assert ok, [(d.model, d.is_initialized) for d in app.devices.values()]
        while time.monotonic() - wall0 < 4.0:
            errors.append(pacing())
            await asyncio.sleep(0.25)
        wall = time.monotonic() - wall0
        sim = (kernel_of().now() - sim0) / 1e6
        await app.shutdown()
        return wall, sim, errors

    wall, sim, errors = asyncio.run(main())
    print(f"real time: {sim:.2f} simulated s in {wall:.2f} wall s at x{SPEED}")
    assert abs(sim / (wall * SPEED) - 1.0) < 0.10
    assert errors and max(abs(e) for e in errors) < 0.10
