"""Steady application traffic for recovery tests: APS flows between nodes of a World.

A :class:`Flows` registers endpoint 1 on every node it is given and sends, for each flow, one
acknowledged APS unicast (cluster 0xfc00) every ``interval_us``; each ASDU names its flow and
sequence number, so every delivery is recorded once per application indication (duplicates
stay visible). The destination is looked up by node when each message is sent, so a node that
changed its network address is still reached.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from dataclasses import dataclass, field

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    ApsdeEvent,
    TxOptions,
)
from zigmesh.errors import LocalProtocolError
from zigmesh.node import Node
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import SimpleDescriptor

HA = 0x0104
TEST_CLUSTER = 0xFC00
EP = SimpleDescriptor(1, HA, 0x0100, 0, (TEST_CLUSTER,), (TEST_CLUSTER,))
_HDR = struct.Struct("<BBHI")  # ZCL frame control, tsn, flow id, sequence number


@dataclass
class Flow:
    """One stream of messages from ``src`` to ``dst``."""

    fid: int
    src: Node
    dst: Node
    sent: list[tuple[int, int]] = field(default_factory=list)  # (seq, time)
    #: seq -> delivery times (more than one: a duplicate reached the application)
    delivered: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    #: seq -> APSDE-DATA.confirm status
    confirmed: dict[int, ApsStatus | int] = field(default_factory=dict)
    handles: dict[int, int] = field(default_factory=dict)  # ASDU handle -> seq (in flight)

    def delivered_after(self, t_us: int) -> list[int]:
        """Delivery times (first copies) of messages sent at or after ``t_us``."""
        sent_at = dict(self.sent)
        return sorted(
            ts[0] for seq, ts in self.delivered.items() if ts and sent_at.get(seq, -1) >= t_us
        )

    def first_delivery_after(self, t_us: int) -> int | None:
        d = self.delivered_after(t_us)
        return d[0] if d else None

    @property
    def duplicates(self) -> int:
        return sum(len(ts) - 1 for ts in self.delivered.values() if len(ts) > 1)


class Flows:
    """Periodic APS traffic over a World (module docstring)."""

    def __init__(self, world: World, interval_us: int, payload: int = 16) -> None:
        self.world = world
        self.interval_us = interval_us
        self.payload = payload
        self.flows: list[Flow] = []
        self._hooked: set[str] = set()
        self._running = False

    def _hook(self, node: Node) -> None:
        if node.name in self._hooked:
            return
        self._hooked.add(node.name)

        def handler(ev: ApsdeEvent) -> None:
            if isinstance(ev, ApsdeDataConfirm):
                for f in self.flows:
                    if f.src is node and ev.asdu_handle in f.handles:
                        f.confirmed[f.handles.pop(ev.asdu_handle)] = ev.status
                        break
                return
            if isinstance(ev, ApsdeDataIndication) and len(ev.asdu) >= _HDR.size:
                _, _, fid, seq = _HDR.unpack_from(ev.asdu)
                if 0 <= fid < len(self.flows) and self.flows[fid].dst is node:
                    self.flows[fid].delivered[seq].append(self.world.now_us)

        node.add_endpoint(EP, handler)

    def add(self, src: Node, dst: Node) -> Flow:
        self._hook(src)
        self._hook(dst)
        f = Flow(len(self.flows), src, dst)
        self.flows.append(f)
        return f

    def start(self, at_us: int | None = None, stagger_us: int = 97_000) -> None:
        """Start every flow (staggered) at ``at_us`` (default now)."""
        t0 = self.world.now_us if at_us is None else at_us
        self._running = True
        for f in self.flows:
            self.world.kernel.call_at(t0 + f.fid * stagger_us, self._tick, f, 0)

    def stop(self) -> None:
        self._running = False

    def _tick(self, f: Flow, seq: int) -> None:
        if not self._running:
            return
        w = self.world
        if w.is_powered(f.src) and f.src.joined and f.dst.nwk.joined:
            asdu = _HDR.pack(0x01, seq & 0xFF, f.fid, seq) + bytes(self.payload)
            try:
                handle = f.src.aps.apsde_data_request(
                    ApsAddrMode.SHORT,
                    f.dst.network_address,
                    1,
                    HA,
                    TEST_CLUSTER,
                    1,
                    asdu,
                    tx_options=TxOptions.ACK,
                )
                f.sent.append((seq, w.now_us))
                f.handles[handle] = seq
            except LocalProtocolError:
                pass
        w.kernel.call_later(self.interval_us, self._tick, f, seq + 1)
