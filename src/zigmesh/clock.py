"""The clock every layer is given (DESIGN.md section 1).

Time is an ``int`` of microseconds. ``call_at`` returns a handle whose ``cancel()`` stops the
callback. The simulator's kernel implements this protocol; a real-time runner would too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Clock", "TimerHandle"]


class TimerHandle(Protocol):
    """A scheduled callback that can be cancelled (idempotent)."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Virtual or real time in integer microseconds."""

    def now(self) -> int: ...

    def call_at(self, t_us: int, fn: Callable[..., Any], *args: Any) -> TimerHandle: ...

    def call_later(self, delay_us: int, fn: Callable[..., Any], *args: Any) -> TimerHandle: ...
