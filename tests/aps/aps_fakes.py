"""Fakes for APS tests: a NWK layer that records NLDE-DATA requests, and a tiny network that
carries them between several APS instances with latency and seeded random loss.

The APS under test sees only what it uses of the NWK (:class:`zigmesh.aps.config.ApsNwk`):
``nlde_data_request``, ``max_nsdu_length``, ``address_map``, ``neighbors``, ``ieee``,
``address``. Time comes from a :class:`~zigmesh.sim.kernel.Kernel` used as the clock, so tests
assert literal times.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from zigmesh.aps.aps import Aps, ApsConfig
from zigmesh.aps.frames import ApsFrame
from zigmesh.aps.primitives import ApsdeDataConfirm, ApsdeDataIndication, ApsdeEvent
from zigmesh.nwk.primitives import (
    NldeDataConfirm,
    NldeDataIndication,
    NwkAddrMode,
    NwkStatus,
)
from zigmesh.nwk.tables.address_map import AddressMap
from zigmesh.nwk.tables.neighbor import NeighborTable
from zigmesh.security.keys import KeyStore
from zigmesh.sim.kernel import Kernel

#: NSDU room of an unsecured NWK frame as the real NWK computes it (127 - 11 - 8)
NSDU_UNSECURED = 108
#: ... and with NWK security (aux header 14 + MIC 4)
NSDU_SECURED = 90


@dataclass
class NldeCall:
    """One NLDE-DATA.request the APS made."""

    mode: NwkAddrMode
    dst: int
    nsdu: bytes
    handle: int
    radius: int
    security: bool
    time: int

    @property
    def frame(self) -> ApsFrame:
        return ApsFrame.decode(self.nsdu)


class FakeNwk:
    """Records requests; confirms them only when told (or through a :class:`FakeNet`)."""

    def __init__(
        self,
        clock: Kernel,
        address: int,
        ieee: int,
        *,
        max_nsdu: int = NSDU_SECURED,
    ) -> None:
        self.clock = clock
        self.address = address
        self.ieee = ieee
        self.address_map = AddressMap()
        self.neighbors = NeighborTable()
        self.sent: list[NldeCall] = []
        self.max_nsdu = max_nsdu
        self.upper: Callable[[object], None] | None = None
        self.net: FakeNet | None = None
        self.rx_on_when_idle = True
        self.polls: list[int] = []  # times of NLME-SYNC.requests
        #: confirm every request this long after it with this status (None: only when told)
        self.auto_confirm: tuple[int, NwkStatus] | None = None

    def max_nsdu_length(self, secured: bool | None = None) -> int:
        return self.max_nsdu

    def nlme_sync_request(self, track: bool = False) -> None:
        self.polls.append(self.clock.now())

    def nlde_data_request(
        self,
        dst_addr_mode: NwkAddrMode,
        dst_addr: int,
        nsdu: bytes,
        nsdu_handle: int = 0,
        *,
        radius: int = 0,
        non_member_radius: int = 0,
        discover_route: bool = True,
        security_enable: bool = False,
    ) -> None:
        assert isinstance(nsdu, bytes)
        call = NldeCall(
            dst_addr_mode, dst_addr, nsdu, nsdu_handle, radius, security_enable, self.clock.now()
        )
        self.sent.append(call)
        if self.net is not None:
            self.net.carry(self, call)
        elif self.auto_confirm is not None:
            delay, status = self.auto_confirm
            self.clock.call_later(delay, self.confirm, call, status)

    # -- test helpers ----------------------------------------------------------------------

    def take(self) -> list[NldeCall]:
        out, self.sent = self.sent, []
        return out

    def confirm(self, call: NldeCall, status: NwkStatus = NwkStatus.SUCCESS) -> None:
        assert self.upper is not None
        self.upper(NldeDataConfirm(call.handle, status, self.clock.now(), call.dst))

    def indicate(
        self,
        nsdu: bytes,
        src: int,
        *,
        dst: int | None = None,
        security_use: bool = True,
        src_ieee: int | None = None,
        lqi: int = 200,
        hops: int = 1,
    ) -> None:
        """Hand the APS an NLDE-DATA.indication."""
        assert self.upper is not None
        self.upper(
            NldeDataIndication(
                NwkAddrMode.NWK,
                self.address if dst is None else dst,
                src,
                nsdu,
                lqi,
                self.clock.now(),
                security_use,
                hops=hops,
                src_ieee=src_ieee,
            )
        )


@dataclass
class Endpoint:
    """Collects what an endpoint handler receives."""

    events: list[ApsdeEvent] = field(default_factory=list)

    def __call__(self, ev: ApsdeEvent) -> None:
        self.events.append(ev)

    @property
    def confirms(self) -> list[ApsdeDataConfirm]:
        return [e for e in self.events if isinstance(e, ApsdeDataConfirm)]

    @property
    def indications(self) -> list[ApsdeDataIndication]:
        return [e for e in self.events if isinstance(e, ApsdeDataIndication)]


def make_aps(
    address: int = 0x1234,
    ieee: int = 0x00AA_0000_0000_1234,
    *,
    clock: Kernel | None = None,
    config: ApsConfig | None = None,
    keys: KeyStore | None = None,
    max_nsdu: int = NSDU_SECURED,
    seed: int = 7,
) -> tuple[Aps, FakeNwk, Kernel]:
    """An APS on a fake NWK (events from the fake go to the APS)."""
    k = clock if clock is not None else Kernel()
    nwk = FakeNwk(k, address, ieee, max_nsdu=max_nsdu)
    aps = Aps(
        nwk,
        k,
        random.Random(seed),
        keys if keys is not None else KeyStore(),
        config=config,
    )
    nwk.upper = aps.on_nwk_event  # type: ignore[assignment]
    return aps, nwk, k


@dataclass
class Node:
    aps: Aps
    nwk: FakeNwk
    endpoints: dict[int, Endpoint]


class FakeNet:
    """Carries NLDE-DATA between fake NWKs: each frame crosses ``hops`` hops of ``hop_us``,
    each hop losing it with probability ``loss`` (seeded). The sender's confirm comes after
    the first hop (SUCCESS, as the MAC ack of the first hop would), unless it is lost there
    (then the NWK reports NO_ACK after ``confirm_us``). ``drop`` can veto chosen frames."""

    def __init__(
        self,
        *,
        seed: int = 1,
        loss: float = 0.0,
        hops: int = 1,
        hop_us: int = 5_000,
        confirm_us: int = 5_000,
        config: ApsConfig | None = None,
        max_nsdu: int = NSDU_SECURED,
    ) -> None:
        self.clock = Kernel()
        self.rng = random.Random(seed)
        self.loss = loss
        self.hops = hops
        self.hop_us = hop_us
        self.confirm_us = confirm_us
        self.config = config
        self.max_nsdu = max_nsdu
        self.nodes: dict[int, Node] = {}
        self.drop: Callable[[FakeNwk, NldeCall], bool] | None = None
        self.log: list[tuple[int, int, NldeCall]] = []  # (time, src, call)
        self.lost = 0

    def add(self, address: int, ieee: int, endpoints: tuple[int, ...] = (1,)) -> Node:
        aps, nwk, _ = make_aps(
            address,
            ieee,
            clock=self.clock,
            config=self.config,
            max_nsdu=self.max_nsdu,
            seed=address,
        )
        nwk.net = self
        node = Node(aps, nwk, {})
        for ep in endpoints:
            h = Endpoint()
            aps.register_endpoint(ep, h)
            node.endpoints[ep] = h
        for other in self.nodes.values():
            other.nwk.address_map.update(address, ieee)
            nwk.address_map.update(other.nwk.address, other.nwk.ieee)
        self.nodes[address] = node
        return node

    def _lost(self) -> bool:
        return self.loss > 0 and self.rng.random() < self.loss

    def carry(self, src: FakeNwk, call: NldeCall) -> None:
        now = self.clock.now()
        self.log.append((now, src.address, call))
        vetoed = self.drop is not None and self.drop(src, call)
        if call.dst >= 0xFFF8 or call.mode == NwkAddrMode.MULTICAST:
            self.clock.call_later(self.confirm_us, src.confirm, call, NwkStatus.SUCCESS)
            if vetoed:
                return
            dst_addr = 0xFFFD if call.mode == NwkAddrMode.MULTICAST else call.dst
            for addr, node in self.nodes.items():
                if addr != src.address and not self._lost():
                    self.clock.call_later(self.hop_us, self._deliver, node, src, call, dst_addr)
            return
        first_hop_lost = vetoed or self._lost()
        status = NwkStatus.NO_ACK if first_hop_lost else NwkStatus.SUCCESS
        self.clock.call_later(self.confirm_us, src.confirm, call, status)
        if first_hop_lost or any(self._lost() for _ in range(self.hops - 1)):
            self.lost += 1
            return
        node = self.nodes.get(call.dst)
        if node is not None:
            self.clock.call_later(self.hop_us * self.hops, self._deliver, node, src, call, call.dst)

    def _deliver(self, node: Node, src: FakeNwk, call: NldeCall, dst: int) -> None:
        node.nwk.indicate(
            call.nsdu, src.address, dst=dst, security_use=call.security, hops=self.hops
        )

    def run(self, until: int | None = None) -> None:
        self.clock.run(until)
