"""A result that arrives later in (virtual) time: the sans-IO stand-in for a future.

The stack never blocks: a request that needs an answer from the air (a ZDP request, an
acknowledged APS transmission) returns a :class:`Pending` that the layer resolves from its
clock callbacks. A script advances time until it is done, e.g. ``world.run_until(p)``, then
reads ``p.result()``. No threads, no asyncio: an asyncio bridge can wrap it outside the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from zigmesh.errors import LocalProtocolError

__all__ = ["Pending"]

T = TypeVar("T")


class Pending(Generic[T]):
    """A value resolved once; callbacks run when it is (at once if it already is)."""

    __slots__ = ("_done", "_value", "_callbacks")

    def __init__(self) -> None:
        self._done = False
        self._value: T | None = None
        self._callbacks: list[Callable[[Pending[T]], None]] = []

    def done(self) -> bool:
        return self._done

    def result(self) -> T:
        """The value; raises :class:`LocalProtocolError` if it has not arrived yet."""
        if not self._done:
            raise LocalProtocolError("result() of a Pending that is not resolved yet")
        return self._value  # type: ignore[return-value]

    def resolve(self, value: T) -> None:
        """Set the value (first call wins) and run the callbacks."""
        if self._done:
            return
        self._done = True
        self._value = value
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(self)

    def add_done_callback(self, fn: Callable[[Pending[T]], None]) -> None:
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def __repr__(self) -> str:
        return f"Pending({self._value!r})" if self._done else "Pending(<waiting>)"
