"""Fault primitives on the medium: seeded frame loss, composable with other delivery filters.

:class:`FrameLoss` installs itself as the medium's ``rx_filter`` (passing each frame on to the
filter that was there before, so test filters and several fault sources compose). Each
delivery of a frame (one sender, one receiver) is lost with probability
``1 - (1 - g)(1 - p_tx)(1 - p_rx)``: ``g`` the global probability, ``p_tx`` / ``p_rx`` the
probabilities set for the sending and the receiving radio. The draws come from a
``random.Random`` derived from the seed given (a world passes its own), so runs repeat.
"""

from __future__ import annotations

import hashlib
import random

from zigmesh.errors import LocalProtocolError
from zigmesh.sim.medium import Medium, Radio, RxFilter

__all__ = ["FrameLoss"]


def _check(p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise LocalProtocolError(f"loss probability must be in [0, 1], got {p}")
    return float(p)


class FrameLoss:
    """Random frame loss on ``medium``, global and per radio; counts what it drops."""

    def __init__(self, medium: Medium, seed: int | str = 0) -> None:
        self.medium = medium
        digest = hashlib.sha256(f"zigmesh.frame_loss.{seed}".encode()).digest()
        self.rng = random.Random(digest)
        self.global_p = 0.0
        self._per_radio: dict[int, float] = {}
        #: deliveries seen while some loss was set, and deliveries dropped
        self.frames = 0
        self.dropped = 0
        #: dropped deliveries by receiving radio index
        self.dropped_at: dict[int, int] = {}
        self._inner: RxFilter | None = medium.rx_filter
        medium.rx_filter = self

    def set_global(self, p: float) -> None:
        """Every delivery is lost with probability ``p`` (0 clears it)."""
        self.global_p = _check(p)

    def set_node(self, radio: Radio, p: float) -> None:
        """Frames to and from ``radio`` are lost with probability ``p`` (0 clears it)."""
        if _check(p) == 0.0:
            self._per_radio.pop(radio.index, None)
        else:
            self._per_radio[radio.index] = p

    def node_loss(self, radio: Radio) -> float:
        return self._per_radio.get(radio.index, 0.0)

    def remove(self) -> None:
        """Take this filter off the medium (the one it wrapped goes back)."""
        if self.medium.rx_filter is self:
            self.medium.rx_filter = self._inner

    def __call__(self, sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        per = self._per_radio
        keep = 1.0 - self.global_p
        if per:
            keep *= (1.0 - per.get(sender.index, 0.0)) * (1.0 - per.get(receiver.index, 0.0))
        if keep < 1.0:
            self.frames += 1
            if self.rng.random() >= keep:
                self.dropped += 1
                i = receiver.index
                self.dropped_at[i] = self.dropped_at.get(i, 0) + 1
                return None
        inner = self._inner
        return psdu if inner is None else inner(sender, receiver, psdu)
