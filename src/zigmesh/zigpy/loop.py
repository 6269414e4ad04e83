"""asyncio on the simulation's clock: virtual time and real time (DESIGN.md section 6).

:class:`SimEventLoop` is an asyncio event loop whose ``time()`` is the simulation's virtual time.
When asyncio has nothing ready to run, where an ordinary loop would sleep in ``select()``
until its next timer, this loop runs the attached :class:`~zigmesh.sim.kernel.Kernel` instead:
up to the next asyncio timer, or until a simulation event hands asyncio some work (a future
resolved, a timer scheduled: any ``call_soon`` / ``call_at`` made while the kernel runs stops
it there). So zigpy's timers, timeouts and sleeps elapse in simulated time, nothing ever waits
on the wall clock, and a run is as deterministic as the simulation itself. Real file
descriptors are still polled (without blocking) at each step; threads are not waited for
(a thread's result arrives when it arrives, in wall time, which breaks determinism: avoid
executors and databases in virtual time).

Before a kernel is attached (and after :meth:`SimEventLoop.detach`) time is virtual too: a
timer's wait is skipped at once. Attaching keeps time monotonic: the kernel's clock is mapped
onto the loop's with an offset.

:class:`RealtimeDriver` is the other runner: a task on any asyncio loop (Home Assistant's, a
plain ``asyncio.run``) that paces the kernel against the loop's wall clock, ``scale`` simulated
seconds per wall-clock second.

:func:`run` is ``asyncio.run`` on a :class:`SimEventLoop`.

Only this integration package imports asyncio; the stack stays sans-IO.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import time
from collections.abc import Callable, Coroutine, Mapping
from contextvars import Context
from typing import Any, TypeVar, TypeVarTuple, Unpack

from zigmesh.errors import LocalProtocolError
from zigmesh.sim.kernel import Kernel

__all__ = ["SimEventLoop", "RealtimeDriver", "run"]

T = TypeVar("T")
_Ts = TypeVarTuple("_Ts")

_US = 1_000_000
#: the real-time driver never sleeps longer than this (wall seconds): work zigpy hands the
#: stack between two simulation events is picked up within it
_MAX_SLEEP_S = 0.005


class _SimSelector(selectors.BaseSelector):
    """The loop's selector: real file descriptors are polled without blocking; where the
    loop would block, virtual time advances instead (:meth:`SimEventLoop._advance`)."""

    def __init__(self, loop: SimEventLoop) -> None:
        self._inner = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._inner.select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if not self._loop._advance(timeout):
            return self._inner.select(None)  # nothing simulated left: wait for real I/O
        return self._inner.select(0)

    def close(self) -> None:
        self._inner.close()

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()


class SimEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop in virtual time (module docstring). ``attach(kernel)`` drives a
    simulation; ``detach()`` lets it go."""

    def __init__(self) -> None:
        super().__init__(_SimSelector(self))
        self._clock_resolution = 1e-6
        self._kernel: Kernel | None = None
        #: virtual loop time (us) = kernel time + offset; without a kernel: _base_us
        self._offset_us = 0
        self._base_us = 0
        self._advancing = False

    @property
    def kernel(self) -> Kernel | None:
        """The simulation the loop drives (None: free virtual time)."""
        return self._kernel

    def now_us(self) -> int:
        """Virtual time in integer microseconds."""
        k = self._kernel
        return self._base_us if k is None else k.now() + self._offset_us

    def time(self) -> float:
        return self.now_us() / _US

    def attach(self, kernel: Kernel) -> None:
        """Drive ``kernel`` from now on (time stays monotonic). Attaching the kernel already
        attached does nothing; another one while one is attached raises."""
        if self._kernel is kernel:
            return
        if self._kernel is not None:
            raise LocalProtocolError("the loop drives another simulation: detach() it first")
        self._offset_us = self._base_us - kernel.now()
        self._kernel = kernel

    def detach(self) -> None:
        """Stop driving the simulation; virtual time goes on from where it was."""
        if self._kernel is not None:
            self._base_us = self.now_us()
            self._kernel = None

    # -- waking up ------------------------------------------------------------------------------

    def call_soon(
        self,
        callback: Callable[[Unpack[_Ts]], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.Handle:
        if self._advancing:
            self._wake()
        return super().call_soon(callback, *args, context=context)

    def call_at(
        self,
        when: float,
        callback: Callable[[Unpack[_Ts]], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.TimerHandle:
        if self._advancing:
            self._wake()
        return super().call_at(when, callback, *args, context=context)

    def _wake(self) -> None:
        k = self._kernel
        if k is not None:
            k.stop()

    def _advance(self, timeout: float | None) -> bool:
        """Advance virtual time by up to ``timeout`` seconds (None: until something happens),
        running the simulation meanwhile. False when there is nothing to advance to."""
        k = self._kernel
        if k is None:
            if timeout is None:
                return False
            self._base_us += max(1, math.ceil(timeout * _US))
            return True
        self._advancing = True
        try:
            if timeout is None:
                if k.next_time() is None:
                    return False
                k.run()  # until asyncio is handed some work (or nothing is left)
                return True
            k.run(k.now() + max(1, math.ceil(timeout * _US)))
            return True
        finally:
            self._advancing = False


class RealtimeDriver:
    """Paces a simulation against the wall clock of an ordinary asyncio loop.

    ``RealtimeDriver(kernel, scale=1.0, on_error=None)``; ``start()`` (inside the running
    loop) creates the pacing task, ``stop()`` cancels it. ``scale`` is simulated seconds per
    wall second. ``lag_us()`` tells how far the simulation is behind the wall clock (CPU-bound
    runs). An exception out of the simulation ends the task; ``on_error`` is told of it.
    """

    def __init__(
        self,
        kernel: Kernel,
        scale: float = 1.0,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        if not scale > 0:
            raise LocalProtocolError(f"scale must be positive, got {scale}")
        self.kernel = kernel
        self.scale = scale
        self.on_error = on_error
        self._task: asyncio.Task[None] | None = None
        self._wall0 = 0.0
        self._sim0 = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        loop = asyncio.get_running_loop()
        self._wall0 = loop.time()
        self._sim0 = self.kernel.now()
        self._task = loop.create_task(self._run(loop), name="zigmesh-realtime")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def target_us(self, wall: float) -> int:
        """Simulated time due at loop time ``wall``."""
        return self._sim0 + int((wall - self._wall0) * self.scale * _US)

    def lag_us(self) -> int:
        loop = asyncio.get_running_loop()
        return max(0, self.target_us(loop.time()) - self.kernel.now())

    async def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        k = self.kernel
        while True:
            target = self.target_us(loop.time())
            if target > k.now():
                try:
                    k.run(target)
                except Exception as exc:
                    if self.on_error is not None:
                        self.on_error(exc)
                    raise
            nxt = k.next_time()
            delay = _MAX_SLEEP_S
            if nxt is not None:
                delay = min(delay, max(0.0, (nxt - k.now()) / self.scale / _US))
            await asyncio.sleep(delay)


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """Run ``main`` to completion on a fresh :class:`SimEventLoop` (``asyncio.run``'s
    semantics: the loop is closed afterwards)."""
    with asyncio.Runner(debug=debug, loop_factory=SimEventLoop) as runner:
        return runner.run(main)


def wall_time() -> float:
    """The wall clock (seconds, monotonic): for measuring a run, never read by the stack."""
    return time.monotonic()
