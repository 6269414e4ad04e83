"""Helpers for the NWK behaviour tests: APS payloads, event recorders, small and large worlds."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from zigmesh.aps.frames import ApsFrame, ApsFrameType
from zigmesh.mac.frames import FrameType
from zigmesh.node import Node
from zigmesh.nwk.primitives import (
    NldeDataConfirm,
    NldeDataIndication,
    NwkAddrMode,
    NwkEvent,
)
from zigmesh.sim.medium import MediumConfig, Radio
from zigmesh.sim.world import World

S = 1_000_000
MS = 1_000

#: the 100-node proof network: log-distance exponent 3.3 (range ~41 m at -100 dBm, 0 dBm),
#: 4 dB shadowing, over 150 x 150 m
BIG_MEDIUM = MediumConfig(path_loss_exponent=3.3, shadowing_sigma_db=4.0)
#: small deterministic networks: same propagation, no shadowing
SMALL_MEDIUM = MediumConfig(path_loss_exponent=3.3, shadowing_sigma_db=0.0)


def aps_payload(counter: int = 1, size: int = 8) -> bytes:
    """An APS data frame (profile 0x0104, cluster 0xfc00, endpoints 1 -> 1) whose payload is
    a cluster-specific ZCL frame, so Wireshark decodes it without complaint."""
    zcl = bytes((0x01, counter & 0xFF, 0x00)) + bytes(range(size))
    return ApsFrame(
        ApsFrameType.DATA,
        dst_endpoint=1,
        cluster_id=0xFC00,
        profile_id=0x0104,
        src_endpoint=1,
        counter=counter & 0xFF,
        payload=zcl,
    ).encode()


@dataclass
class Recorder:
    """Every NWK event of every node, by node name."""

    events: dict[str, list[tuple[int, NwkEvent]]] = field(default_factory=lambda: defaultdict(list))
    world: World | None = None

    def attach(self, world: World) -> Recorder:
        self.world = world
        for node in world:
            self.hook(node)
        return self

    def hook(self, node: Node) -> None:
        world = self.world
        assert world is not None

        def cb(ev: NwkEvent) -> None:
            self.events[node.name].append((world.now_us, ev))

        node.set_upper(cb)

    def of(self, name: str, kind: type) -> list[tuple[int, NwkEvent]]:
        return [(t, e) for t, e in self.events[name] if isinstance(e, kind)]

    def indications(self, name: str) -> list[tuple[int, NldeDataIndication]]:
        return [(t, e) for t, e in self.events[name] if isinstance(e, NldeDataIndication)]

    def confirms(self, name: str) -> list[tuple[int, NldeDataConfirm]]:
        return [(t, e) for t, e in self.events[name] if isinstance(e, NldeDataConfirm)]

    def received(self, name: str, nsdu: bytes) -> list[int]:
        """Times ``name`` got an indication carrying ``nsdu``."""
        return [t for t, e in self.indications(name) if e.nsdu == nsdu]


def send(node: Node, dst: int, payload: bytes, handle: int = 0) -> None:
    """NLDE-DATA.request straight to the node's NWK. Tests keep to handles 0x00-0x7f: the
    node's APS takes 0x80-0xff for its own frames, so a test's confirms are its own."""
    if not 0 <= handle < 0x80:
        raise ValueError(f"tests use NLDE handles 0x00-0x7f, not {handle:#x}")
    node.nwk.nlde_data_request(NwkAddrMode.NWK, dst, payload, handle)


def big_world(
    seed: int = 1, capture: str | Path | None = None, **kw: object
) -> tuple[World, list[Node], list[Node]]:
    """1 coordinator (centre), 70 routers and 29 end devices (poll 2 s) at random over
    150 x 150 m; returns the world, the routers and the end devices (not yet run)."""
    w = World(seed=seed, security=False, medium=BIG_MEDIUM, capture=capture, **kw)  # type: ignore[arg-type]
    rng = random.Random(seed)
    w.add_node("c", "coordinator", (75.0, 75.0))
    routers = [
        w.add_node(f"r{i}", "router", (rng.uniform(0, 150), rng.uniform(0, 150))) for i in range(70)
    ]
    eds = [
        w.add_node(
            f"e{i}",
            "end_device",
            (rng.uniform(0, 150), rng.uniform(0, 150)),
            poll_interval_us=2 * S,
        )
        for i in range(29)
    ]
    return w, routers, eds


def line_world(
    n_routers: int,
    spacing: float = 25.0,
    *,
    seed: int = 1,
    capture: str | Path | None = None,
    **kw: object,
) -> World:
    """A coordinator at x = 0 and routers r1..rn every ``spacing`` metres on a line (each
    hears only its direct neighbours at 25 m with :data:`SMALL_MEDIUM`)."""
    w = World(seed=seed, security=False, medium=SMALL_MEDIUM, capture=capture, **kw)  # type: ignore[arg-type]
    w.add_node("c", "coordinator", (0.0, 0.0))
    for i in range(1, n_routers + 1):
        w.add_node(f"r{i}", "router", (i * spacing, 0.0), join_at_us=i * S)
    return w


def drop_first_ack_of(w: World, victim: str) -> list[int]:
    """Drop the first MAC ACK the victim sends (a joining router's first ACK is the one of its
    Association Response)."""
    source = w.radios[victim]
    dropped: list[int] = []

    def drop(sender: Radio, radio: Radio, psdu: bytes) -> bytes | None:
        if sender is source and not dropped and psdu[0] & 7 == FrameType.ACK:
            dropped.append(w.now_us)
            return None
        return psdu

    w.medium.rx_filter = drop
    return dropped
