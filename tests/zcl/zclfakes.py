"""Fast fixtures for the ZCL engine: application nodes on the APS fake network
(:class:`tests.aps.aps_fakes.FakeNet`: real APS, NWK replaced by a carrier with latency), a
kernel clock, and a raw endpoint that sends arbitrary bytes and records what comes back."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tests.aps.aps_fakes import FakeNet
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    ApsdeEvent,
    EndpointHandler,
    TxOptions,
)
from zigmesh.zcl.engine import HA
from zigmesh.zcl.foundation import DefaultResponse, decode_foundation
from zigmesh.zcl.frame import FrameType, ZclFrame
from zigmesh.zdo.descriptors import SimpleDescriptor

LIGHT = 0x0001
CONTROLLER = 0x0002
LIGHT_IEEE = 0x00AA_0000_0000_0001
CONTROLLER_IEEE = 0x00AA_0000_0000_0002
RAW_EP = 9
MS = 1_000
S = 1_000_000


class AppNode:
    """What a :class:`~zigmesh.zcl.engine.ZclEndpoint` needs of a node, over the fake APS."""

    def __init__(self, net: FakeNet, address: int, ieee: int) -> None:
        n = net.add(address, ieee, endpoints=())
        self.aps = n.aps
        self.nwk = n.nwk
        self.clock = net.clock
        self.rng = random.Random(address)
        self.eui64 = ieee
        self.endpoints: dict[int, SimpleDescriptor] = {}

    @property
    def network_address(self) -> int:
        return self.nwk.address

    def add_endpoint(self, descriptor: SimpleDescriptor, handler: EndpointHandler) -> None:
        self.endpoints[descriptor.endpoint] = descriptor
        self.aps.register_endpoint(descriptor.endpoint, handler)


@dataclass
class Raw:
    """An endpoint that sends raw ZCL bytes and keeps what it receives."""

    node: AppNode
    endpoint: int = RAW_EP
    events: list[ApsdeEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.node.add_endpoint(SimpleDescriptor(self.endpoint, HA, 0), self.events.append)

    def send(
        self,
        asdu: bytes,
        cluster: int,
        dst: int = LIGHT,
        dst_ep: int = 1,
        mode: ApsAddrMode = ApsAddrMode.SHORT,
    ) -> None:
        self.node.aps.apsde_data_request(
            mode,
            dst,
            dst_ep if mode == ApsAddrMode.SHORT else None,
            HA,
            cluster,
            self.endpoint,
            asdu,
            tx_options=TxOptions.NONE,
        )

    @property
    def frames(self) -> list[ZclFrame]:
        return [
            ZclFrame.decode(e.asdu) for e in self.events if isinstance(e, ApsdeDataIndication)
        ]

    def take(self) -> list[ZclFrame]:
        out = self.frames
        self.events.clear()
        return out

    def default_responses(self) -> list[DefaultResponse]:
        out = []
        for f in self.frames:
            if f.header.frame_type == FrameType.GLOBAL and f.header.command_id == 0x0B:
                d = decode_foundation(0x0B, f.payload)
                assert isinstance(d, DefaultResponse)
                out.append(d)
        return out

    @property
    def confirms(self) -> list[ApsdeDataConfirm]:
        return [e for e in self.events if isinstance(e, ApsdeDataConfirm)]


def pair(seed: int = 1) -> tuple[FakeNet, AppNode, AppNode]:
    """A light node (0x0001) and a controller node (0x0002), one 5 ms hop apart."""
    net = FakeNet(seed=seed)
    return net, AppNode(net, LIGHT, LIGHT_IEEE), AppNode(net, CONTROLLER, CONTROLLER_IEEE)
