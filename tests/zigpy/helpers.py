"""Shared set-up of the zigpy tests: a zigpy application on the 20-device house."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zigpy.config as conf
import zigpy.device
import zigpy.types as t

from zigmesh.node import Node
from zigmesh.zigpy import ControllerApplication
from zigmesh.zigpy.netinfo import eui64

ROOT = Path(__file__).resolve().parent.parent.parent
HOUSE = ROOT / "examples" / "zigpy_house.toml"
PATH = f"zigmesh://{HOUSE}"


def config(path: str = PATH, **extra: Any) -> dict[str, Any]:
    """zigpy's configuration for a test: no database, no OTA, no periodic scans/backups."""
    return {
        conf.CONF_DEVICE: {conf.CONF_DEVICE_PATH: path},
        conf.CONF_DATABASE: None,
        conf.CONF_OTA: {conf.CONF_OTA_ENABLED: False},
        conf.CONF_TOPO_SCAN_ENABLED: False,
        conf.CONF_NWK_BACKUP_ENABLED: False,
        **extra,
    }


async def wait_for(cond: Callable[[], bool], timeout_s: float, step_s: float = 0.5) -> bool:
    """Wait (in the loop's time) until ``cond()`` holds; whether it did."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not cond():
        if loop.time() >= end:
            return False
        await asyncio.sleep(step_s)
    return True


def device_of(app: ControllerApplication, node: Node) -> zigpy.device.ZigbeeDevice:
    dev = app.get_device(ieee=eui64(node.eui64))
    assert isinstance(dev, zigpy.device.ZigbeeDevice)
    return dev


def interviewed(app: ControllerApplication) -> list[zigpy.device.ZigbeeDevice]:
    """Devices zigpy finished interviewing (initialized, the interview task over), the
    coordinator excepted."""
    own = app.state.node_info.ieee
    return [
        d
        for d in app.devices.values()
        if isinstance(d, zigpy.device.ZigbeeDevice)
        and d.is_initialized
        and not d.initializing
        and d.ieee != own
    ]


async def house_app(path: str = PATH, timeout_s: float = 300.0) -> ControllerApplication:
    """Start zigpy on the house, permit joining and wait until zigpy interviewed every
    device."""
    app = ControllerApplication(config(path))
    await app.startup(auto_form=True)
    await app.permit(254)
    n = len(app.house.endpoints)
    assert await wait_for(lambda: len(interviewed(app)) == n, timeout_s), [
        (d.model, d.is_initialized) for d in app.devices.values()
    ]
    return app


NWK = t.NWK
