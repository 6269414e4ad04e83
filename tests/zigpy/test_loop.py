"""The virtual-time event loop: asyncio's clock is the simulation's, sleeps and timeouts take
no wall time, simulation events wake asyncio at their exact virtual time."""

from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("zigpy")  # the package zigmesh.zigpy (the loop's home) imports zigpy

from zigmesh.errors import LocalProtocolError  # noqa: E402
from zigmesh.sim.kernel import Kernel  # noqa: E402
from zigmesh.zigpy.loop import RealtimeDriver, SimEventLoop, run  # noqa: E402


def test_virtual_sleep_and_timeout_take_no_wall_time() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, SimEventLoop)
        await asyncio.sleep(3600)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(60):
                await asyncio.Event().wait()
        return loop.time(), loop.now_us() / 1e6

    t0 = time.monotonic()
    assert run(main()) == (3660.0, 3660.0)
    assert time.monotonic() - t0 < 1.0


def test_simulation_events_wake_asyncio_at_their_virtual_time() -> None:
    async def main() -> list[tuple[str, int]]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, SimEventLoop)
        await asyncio.sleep(0.5)  # before attaching: free virtual time
        kernel = Kernel()
        loop.attach(kernel)
        loop.attach(kernel)  # again: nothing changes
        assert loop.time() == 0.5
        seen: list[tuple[str, int]] = []
        fut: asyncio.Future[int] = loop.create_future()

        def tick() -> None:
            kernel.call_later(10_000, tick)  # a busy simulation: an event every 10 ms

        tick()
        kernel.call_at(2_345_678, lambda: fut.set_result(kernel.now()))
        seen.append(("resolved", await fut))
        assert loop.now_us() == 2_345_678 + 500_000  # the loop stopped at that event
        await asyncio.sleep(1)
        seen.append(("slept", kernel.now()))
        with pytest.raises(LocalProtocolError):
            loop.attach(Kernel())
        loop.detach()
        await asyncio.sleep(1)
        assert kernel.now() == 3_345_678  # detached: the simulation stays where it was
        assert loop.time() == pytest.approx(4.845678)
        return seen

    assert run(main()) == [("resolved", 2_345_678), ("slept", 3_345_678)]


def test_realtime_driver_paces_the_kernel() -> None:
    async def main() -> float:
        kernel = Kernel()
        drv = RealtimeDriver(kernel, scale=10.0)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        drv.start()
        await asyncio.sleep(0.3)
        drv.stop()
        return kernel.now() / 1e6 / ((loop.time() - t0) * 10.0)

    assert abs(asyncio.run(main()) - 1.0) < 0.1
    with pytest.raises(LocalProtocolError):
        RealtimeDriver(Kernel(), scale=0)
