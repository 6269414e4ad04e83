"""Fakes for the ZDO tests: an APS that records requests and lets a test inject indications
and confirms, a small "air" joining several fake APSs, and a builder for a ZDO on a real
NWK (on the fake MAC of tests/nwk/fakes.py) with literal virtual times.

(The file is named test_zdo_* because the ZDO tests may only add such files; it holds a few
tests of the fakes themselves.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.nwk.fakes import FakeMac, make_nwk
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsConfirmStatus,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    ApsdeEvent,
    SecurityStatus,
    TxOptions,
)
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel
from zigmesh.zdo.aps_port import AddressResolver, ApsPort
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.descriptors import SimpleDescriptor
from zigmesh.zdo.zdo import Zdo
from zigmesh.zdo.zdp import ZDP_PROFILE_ID, ZdpMessage, decode_zdp

HA = 0x0104
ON_OFF = 0x0006
LEVEL = 0x0008
BASIC = 0x0000
LIGHT_EP = SimpleDescriptor(11, HA, 0x0100, 1, (BASIC, ON_OFF, LEVEL), ())
SWITCH_EP = SimpleDescriptor(12, HA, 0x0000, 0, (BASIC,), (ON_OFF, LEVEL))


@dataclass
class Sent:
    """One APSDE-DATA.request the ZDO made."""

    handle: int
    dst_addr_mode: ApsAddrMode
    dst: int
    dst_endpoint: int
    profile_id: int
    cluster_id: int
    src_endpoint: int
    asdu: bytes
    tx_options: TxOptions
    radius: int
    time: int

    @property
    def msg(self) -> ZdpMessage:
        return decode_zdp(self.cluster_id, self.asdu)

    @property
    def acked(self) -> bool:
        return bool(self.tx_options & TxOptions.ACK)


@dataclass(frozen=True)
class FakeBinding:
    src_addr: int
    src_endpoint: int
    cluster_id: int
    dst_addr_mode: ApsAddrMode
    dst_addr: int
    dst_endpoint: int | None = None


@dataclass
class FakeAps:
    """Records every request; the test injects indications and confirms."""

    clock: Kernel
    binding_capacity: int = 8
    sent: list[Sent] = field(default_factory=list)
    handlers: dict[int, Callable[[ApsdeEvent], None]] = field(default_factory=dict)
    resolver: AddressResolver | None = None
    noted: list[tuple[int, int, bool]] = field(default_factory=list)
    bindings: list[FakeBinding] = field(default_factory=list)
    next_handle: int = 0
    #: set by FakeAir: where requests go
    air: FakeAir | None = None
    address: int = 0

    def register_endpoint(self, endpoint: int, handler: Callable[[ApsdeEvent], None], /) -> None:
        self.handlers[endpoint] = handler

    def apsde_data_request(
        self,
        dst_addr_mode: ApsAddrMode,
        dst_address: int,
        dst_endpoint: int,
        profile_id: int,
        cluster_id: int,
        src_endpoint: int,
        asdu: bytes,
        /,
        *,
        tx_options: TxOptions = TxOptions.ACK,
        radius: int = 0,
    ) -> int:
        h = self.next_handle
        self.next_handle = (h + 1) & 0xFF
        s = Sent(
            h,
            dst_addr_mode,
            dst_address,
            dst_endpoint,
            profile_id,
            cluster_id,
            src_endpoint,
            bytes(asdu),
            tx_options,
            radius,
            self.clock.now(),
        )
        self.sent.append(s)
        if self.air is not None:
            self.air.carry(self, s)
        return h

    def set_address_resolver(self, resolver: AddressResolver, /) -> None:
        self.resolver = resolver

    def note_device(self, short: int, ieee: int, rx_on_when_idle: bool, /) -> None:
        self.noted.append((short, ieee, rx_on_when_idle))

    def apsme_bind_request(
        self,
        src_addr: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr_mode: ApsAddrMode,
        dst_addr: int,
        dst_endpoint: int | None = None,
        /,
    ) -> ApsStatus:
        b = FakeBinding(src_addr, src_endpoint, cluster_id, dst_addr_mode, dst_addr, dst_endpoint)
        if b in self.bindings:
            return ApsStatus.SUCCESS
        if len(self.bindings) >= self.binding_capacity:
            return ApsStatus.TABLE_FULL
        self.bindings.append(b)
        return ApsStatus.SUCCESS

    def apsme_unbind_request(
        self,
        src_addr: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr_mode: ApsAddrMode,
        dst_addr: int,
        dst_endpoint: int | None = None,
        /,
    ) -> ApsStatus:
        b = FakeBinding(src_addr, src_endpoint, cluster_id, dst_addr_mode, dst_addr, dst_endpoint)
        if b not in self.bindings:
            return ApsStatus.INVALID_BINDING
        self.bindings.remove(b)
        return ApsStatus.SUCCESS

    @property
    def binding_table(self) -> Iterator[FakeBinding]:
        return iter(list(self.bindings))

    # -- test helpers ----------------------------------------------------------------------

    def take(self) -> list[Sent]:
        out, self.sent = self.sent, []
        return out

    def one(self) -> Sent:
        out = self.take()
        assert len(out) == 1, out
        return out[0]

    def confirm(self, s: Sent, status: ApsConfirmStatus = ApsStatus.SUCCESS) -> None:
        self.handlers[s.src_endpoint](
            ApsdeDataConfirm(
                s.handle,
                s.dst_addr_mode,
                s.dst,
                s.dst_endpoint,
                s.src_endpoint,
                status,
                self.clock.now(),
            )
        )

    def indicate(
        self,
        src: int,
        msg: ZdpMessage | None = None,
        *,
        cluster: int | None = None,
        asdu: bytes | None = None,
        dst: int | None = None,
        hops: int = 1,
        profile: int = ZDP_PROFILE_ID,
        dst_endpoint: int = 0,
    ) -> None:
        """An APSDE-DATA.indication on endpoint 0 from ``src`` (to us unless ``dst``)."""
        if msg is not None:
            cluster = int(msg.zdp_cluster) if cluster is None else cluster
            asdu = msg.encode() if asdu is None else asdu
        assert cluster is not None and asdu is not None
        self.handlers[dst_endpoint](
            ApsdeDataIndication(
                ApsAddrMode.SHORT,
                self.address if dst is None else dst,
                dst_endpoint,
                ApsAddrMode.SHORT,
                src,
                0,
                profile,
                cluster,
                asdu,
                ApsStatus.SUCCESS,
                SecurityStatus.SECURED_NWK_KEY,
                200,
                self.clock.now(),
                hops=hops,
            )
        )


class FakeAir:
    """Joins fake APSs by network address: a request reaches its destination (every other
    one for a broadcast) ``latency_us`` later and is confirmed SUCCESS then (NO_ACK for an
    unknown unicast destination); ``drop`` filters what is lost."""

    def __init__(self, clock: Kernel, latency_us: int = 2_000) -> None:
        self.clock = clock
        self.latency_us = latency_us
        self.nodes: dict[int, FakeAps] = {}
        self.drop: Callable[[FakeAps, Sent], bool] = lambda _a, _s: False

    def attach(self, aps: FakeAps, address: int) -> None:
        aps.air = self
        aps.address = address
        self.nodes[address] = aps

    def carry(self, src: FakeAps, s: Sent) -> None:
        self.clock.call_later(self.latency_us, self._deliver, src, s)

    def _deliver(self, src: FakeAps, s: Sent) -> None:
        if s.dst >= 0xFFF8:
            targets = [a for a in self.nodes.values() if a is not src]
            status: ApsConfirmStatus = ApsStatus.SUCCESS
        else:
            t = self.nodes.get(s.dst)
            targets = [t] if t is not None else []
            status = ApsStatus.SUCCESS if targets else ApsStatus.NO_ACK
        lost = self.drop(src, s)
        for t in targets:
            if not lost and s.dst_endpoint in t.handlers:
                t.indicate(src.address, cluster=s.cluster_id, asdu=s.asdu, dst=s.dst)
        if lost and s.dst < 0xFFF8:
            status = ApsStatus.NO_ACK
        src.confirm(s, status)


@dataclass
class Rig:
    zdo: Zdo
    aps: FakeAps
    nwk: Nwk
    mac: FakeMac
    clock: Kernel
    endpoints: dict[int, SimpleDescriptor]


def make_zdo(
    address: int = 0x1234,
    *,
    ieee: int | None = None,
    device_type: DeviceType = DeviceType.ROUTER,
    config: ZdoConfig | None = None,
    endpoints: dict[int, SimpleDescriptor] | None = None,
    kernel: Kernel | None = None,
    air: FakeAir | None = None,
    seed: int = 7,
    **nwk_kw: Any,
) -> Rig:
    """A ZDO on a fake APS over a real NWK (fake MAC) that is in a network at ``address``."""
    import random

    nwk, mac, k, _events = make_nwk(
        address, ieee, kernel=kernel, device_type=device_type, seed=seed, **nwk_kw
    )
    aps = FakeAps(k)
    aps.address = address
    if air is not None:
        air.attach(aps, address)
    if config is None:
        if device_type == DeviceType.COORDINATOR:
            config = ZdoConfig.coordinator()
        elif device_type == DeviceType.ROUTER:
            config = ZdoConfig.router()
        else:
            config = ZdoConfig.end_device()
    eps = dict(endpoints) if endpoints is not None else {11: LIGHT_EP, 12: SWITCH_EP}
    port: ApsPort = aps
    zdo = Zdo(port, nwk, k, random.Random(seed), config, lambda: eps)
    return Rig(zdo, aps, nwk, mac, k, eps)


def add_child(
    nwk: Nwk,
    address: int,
    ieee: int,
    *,
    device_type: DeviceType = DeviceType.END_DEVICE,
    rx_on_when_idle: bool = False,
    lqi: int = 180,
) -> NeighborEntry:
    e = NeighborEntry(
        network_address=address,
        extended_address=ieee,
        device_type=device_type,
        rx_on_when_idle=rx_on_when_idle,
        relationship=Relationship.CHILD,
        lqi=lqi,
    )
    ins = nwk.neighbors.add(e, nwk.clock.now())
    assert ins.entry is e
    return e


def add_neighbor(
    nwk: Nwk,
    address: int,
    ieee: int | None,
    *,
    relationship: Relationship = Relationship.SIBLING,
    device_type: DeviceType = DeviceType.ROUTER,
    lqi: int = 200,
    **kw: Any,
) -> NeighborEntry:
    e = NeighborEntry(
        network_address=address,
        extended_address=ieee,
        device_type=device_type,
        relationship=relationship,
        lqi=lqi,
        **kw,
    )
    assert nwk.neighbors.add(e, nwk.clock.now()).entry is e
    return e


# -- tests of the fakes ------------------------------------------------------------------------


def test_zdo_registers_endpoint_0_and_the_resolver() -> None:
    r = make_zdo()
    assert 0 in r.aps.handlers
    assert r.aps.resolver is not None


def test_fake_air_delivers_and_confirms_at_literal_times() -> None:
    k = Kernel()
    air = FakeAir(k, latency_us=1_000)
    a = make_zdo(0x0001, kernel=k, air=air)
    b = make_zdo(0x0002, kernel=k, air=air, ieee=0x00BB)
    p = a.zdo.node_desc(0x0002)
    k.run(999)
    assert not p.done()
    k.run(2_000)
    assert p.done() and p.result().ok
    assert p.result().src_address == 0x0002
    assert b.zdo.stats.answered["NODE_DESC_REQ"] == 1
