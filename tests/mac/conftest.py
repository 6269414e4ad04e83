"""Fixtures for MAC behaviour tests: a kernel, a medium, radios and MACs on it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from zigmesh.mac.mac import Mac, MacConfig
from zigmesh.mac.primitives import MacEvent
from zigmesh.phy import RadioState
from zigmesh.sim.kernel import Kernel, node_rng
from zigmesh.sim.medium import CaptureSink, Medium, MediumConfig, Radio

E = TypeVar("E")

PAN = 0x1A62
#: no shadowing: link budgets follow the distance exactly (30 m: -91 dBm; 60 m: -100.03 dBm)
QUIET = MediumConfig(shadowing_sigma_db=0.0)


class ScriptedRandom(random.Random):
    """A Random whose ``getrandbits`` returns scripted values (then falls back to the seed).

    The MAC draws ``mac_dsn`` and ``mac_bsn`` (``getrandbits(8)``) when built and then one
    ``getrandbits(BE)`` per CSMA-CA backoff, so a test can fix every backoff exactly.
    """

    def __init__(self, values: list[int], seed: int = 0) -> None:
        super().__init__(seed)
        self.values = list(values)
        self.calls: list[tuple[int, int]] = []

    def getrandbits(self, k: int) -> int:
        v = self.values.pop(0) if self.values else super().getrandbits(k)
        assert 0 <= v < (1 << k) or k == 0, (v, k)
        self.calls.append((k, v))
        return v


class Node:
    """A radio, its MAC and every event the MAC delivered (with the time)."""

    def __init__(self, net: Net, radio: Radio, mac: Mac) -> None:
        self.net = net
        self.radio = radio
        self.mac = mac
        self.events: list[tuple[int, MacEvent]] = []
        self.on_event: Callable[[Node, MacEvent], None] | None = None
        mac.set_upper(self._upper)

    def _upper(self, ev: MacEvent) -> None:
        self.events.append((self.net.kernel.now(), ev))
        if self.on_event is not None:
            self.on_event(self, ev)

    def of(self, cls: type[E]) -> list[E]:
        return [e for _, e in self.events if isinstance(e, cls)]

    def timed(self, cls: type[E]) -> list[tuple[int, E]]:
        return [(t, e) for t, e in self.events if isinstance(e, cls)]

    @property
    def eui(self) -> int:
        return self.radio.eui64


class Net:
    """A small simulated world: ``add`` nodes, ``run`` the kernel."""

    def __init__(
        self, seed: int = 1, config: MediumConfig = QUIET, capture: CaptureSink | None = None
    ) -> None:
        self.seed = seed
        self.kernel = Kernel()
        self.medium = Medium(self.kernel, seed=seed, config=config, capture=capture)
        self.nodes: list[Node] = []

    def add(
        self,
        pos: tuple[float, float],
        *,
        eui: int | None = None,
        short: int | None = None,
        pan: int | None = PAN,
        rx_on: bool = True,
        rng: random.Random | None = None,
        channel: int = 11,
        config: MacConfig | None = None,
    ) -> Node:
        eui = eui if eui is not None else 0x00124B0000000001 + len(self.nodes)
        radio = self.medium.add_radio(eui, pos, channel=channel, state=RadioState.SLEEP)
        mac = Mac(
            radio,
            self.kernel,
            rng if rng is not None else node_rng(self.seed, eui),
            eui,
            config=config,
        )
        if short is not None:
            mac.mlme_set("mac_short_address", short)
        if pan is not None:
            mac.mlme_set("mac_pan_id", pan)
        mac.mlme_set("mac_rx_on_when_idle", rx_on)
        node = Node(self, radio, mac)
        self.nodes.append(node)
        return node

    def run(self, until: int | None = None) -> None:
        self.kernel.run(until)

    def at(self, t: int, fn: Callable[..., Any], *args: Any) -> None:
        self.kernel.call_at(t, fn, *args)


class Recorder:
    """Capture sink keeping every transmitted PSDU with its start time."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []

    def write(self, time_us: int, data: bytes) -> None:
        self.frames.append((time_us, data))

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        return iter(self.frames)


@pytest.fixture
def net() -> Net:
    return Net()


@pytest.fixture
def rec_net() -> tuple[Net, Recorder]:
    rec = Recorder()
    return Net(capture=rec), rec
