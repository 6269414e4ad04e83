"""zigpy radio library: zigpy drives a simulated zigmesh network (optional extra ``zigpy``).

``pip install 'zigmesh[zigpy]'``. zigpy is GPL-3.0: only this package imports it, never the
core. :class:`ControllerApplication` is the radio library (device path
``zigmesh://SCENARIO.toml``); :func:`run` runs a coroutine in the simulation's virtual time
(:class:`SimEventLoop`); on any other asyncio loop the simulation is paced to the wall clock
(:class:`RealtimeDriver`). :func:`build_house` builds a scenario's network without its hub.
"""

from __future__ import annotations

from zigmesh.zigpy.application import ControllerApplication, ZigmeshCoordinator
from zigmesh.zigpy.house import (
    DevicePath,
    SimHouse,
    build_house,
    load_house,
    parse_device_path,
)
from zigmesh.zigpy.loop import RealtimeDriver, SimEventLoop, run

__all__ = [
    "ControllerApplication",
    "ZigmeshCoordinator",
    "DevicePath",
    "SimHouse",
    "build_house",
    "load_house",
    "parse_device_path",
    "RealtimeDriver",
    "SimEventLoop",
    "run",
]
