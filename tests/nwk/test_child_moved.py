"""A sleepy child that rejoined another parent while its old parent missed the Device_annce
(a full broadcast transaction table drops it) is dropped by the old parent as soon as one of
its unicast frames arrives relayed by another router: the old parent no longer queues frames
for a child that never polls it again (seen in the default house: the hub's APS ACKs to
door-1 waited in its queue for good and the interview failed)."""

from __future__ import annotations

from tests.nwk.fakes import data_frame, make_nwk, rx
from zigmesh.nwk.end_device import MOVED_QUIET_US
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship

HUB = 0x0000
CHILD = 0x4210
ROUTER = 0x0578


def _with_child_and_router(quiet: bool = True) -> Nwk:
    nwk, _mac, k, _ = make_nwk(HUB)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=CHILD,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
            extended_address=0x00124B0000000005,
        ),
        0,
    )
    nwk.neighbors.add(
        NeighborEntry(
            network_address=ROUTER,
            device_type=DeviceType.ROUTER,
            rx_on_when_idle=True,
            relationship=Relationship.SIBLING,
            lqi=255,
        ),
        0,
    )
    if quiet:
        k.run(until=MOVED_QUIET_US)  # the child has not polled us since it rejoined elsewhere
    return nwk


def test_frame_from_our_child_relayed_by_another_router_drops_the_child() -> None:
    nwk = _with_child_and_router()
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=7, radius=29), ROUTER)
    assert nwk.neighbors.get(CHILD) is None
    assert nwk.stats.children_moved == 1


def test_frames_from_the_child_itself_and_our_own_relayed_copies_keep_it() -> None:
    nwk = _with_child_and_router()
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=7), CHILD)
    # the same frame back from a neighbour (a loop, or a NWK retry's copy): a duplicate
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=7, radius=29), ROUTER)
    # a broadcast of the child's, rebroadcast by a neighbour: normal flooding
    rx(nwk, data_frame(CHILD, 0xFFFD, b"\x00\x02", seq=8, radius=29), ROUTER)
    e = nwk.neighbors.get(CHILD)
    assert e is not None and e.is_child
    assert nwk.stats.children_moved == 0
