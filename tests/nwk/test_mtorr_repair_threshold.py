"""Repair many-to-one route requests scale with the network: a concentrator holding records
for many devices floods a repair request only once route errors about one device in
ROUTE_ERROR_SHARE (distinct devices since its last request) came; a small network still
repairs on the first error (1,000-node grid: a request every 10 s before, each making every
router send a new record, messages lost in bursts after each)."""

from __future__ import annotations

from tests.nwk.fakes import data_frame, make_nwk, rx
from tests.nwk.nwkutil import S, aps_payload
from zigmesh.nwk.config import NwkConfig
from zigmesh.nwk.many_to_one import MTORR_HOLDOFF_US, ROUTE_ERROR_SHARE
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel

HOP = 0x0101


def _concentrator(records: int) -> tuple[Nwk, Kernel]:
    nwk, _mac, k, _ = make_nwk(
        0x0000, config=NwkConfig(concentrator=True, route_record_table_size=2048)
    )
    nwk.nib.nwk_concentrator_discovery_time = 0  # no periodic requests: repairs only
    nwk.neighbors.add(
        NeighborEntry(
            network_address=HOP,
            device_type=DeviceType.ROUTER,
            relationship=Relationship.SIBLING,
            lqi=255,
            outgoing_cost=1,
        ),
        0,
    )
    for i in range(records):
        nwk.route_records.update(0x1000 + i, (HOP,), 0)
    return nwk, k


def _unknown_sender(nwk: Nwk, src: int, seq: int) -> None:
    rx(nwk, data_frame(src, 0x0000, aps_payload(seq), seq=seq), HOP)


def test_one_error_among_hundreds_of_devices_floods_nothing() -> None:
    nwk, k = _concentrator(320)
    need = 320 // ROUTE_ERROR_SHARE
    for i in range(need - 1):
        _unknown_sender(nwk, 0x7000 + i, i + 1)
        _unknown_sender(nwk, 0x7000 + i, i + 100)  # the same device again counts once
    k.run(k.now() + MTORR_HOLDOFF_US + S)
    assert nwk.stats.mtorr_sent == 0
    _unknown_sender(nwk, 0x7100, 200)  # the need-th distinct device
    k.run(k.now() + MTORR_HOLDOFF_US + S)
    assert nwk.stats.mtorr_sent >= 1


def test_a_small_network_repairs_on_the_first_error() -> None:
    nwk, k = _concentrator(20)
    _unknown_sender(nwk, 0x7000, 1)
    k.run(k.now() + MTORR_HOLDOFF_US + S)
    assert nwk.stats.mtorr_sent >= 1
