"""A busy channel is no failure of a link (like a frame too long, issue 9 item 4): a unicast
given up after every CSMA-CA attempt with CHANNEL_ACCESS_FAILURE leaves the routes and the
neighbour alone, and a sleepy device's poll that found the channel busy counts toward parent
loss only as one in BUSY_LOSS_FACTOR. Under load both turned congestion into route repairs, rejoins and
Device_annce floods that fed the congestion (1,000-node grid)."""

from __future__ import annotations

from tests.nwk.fakes import data_frame, make_nwk, rx
from tests.nwk.nwkutil import MS, S, aps_payload
from zigmesh.mac.primitives import MacStatus, MlmePollConfirm
from zigmesh.nwk.end_device import BUSY_LOSS_FACTOR, ChildState
from zigmesh.nwk.nwk import NwkConfig
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship

CHILD = 0x0ED1
PARENT = 0x0100
ME = 0x0200
NEXT = 0x0201
DST = 0x0900


def test_polls_on_a_busy_channel_are_no_parent_loss() -> None:
    nwk, mac, k, _ = make_nwk(
        CHILD,
        device_type=DeviceType.END_DEVICE,
        config=NwkConfig(poll_interval_us=1 * S, parent_loss_threshold=3),
    )
    nwk.neighbors.add(
        NeighborEntry(network_address=PARENT, relationship=Relationship.PARENT, lqi=200), 0
    )
    nwk.child.start()
    mac.confirm(mac.take()[0])
    for i in range(8):
        k.run(500 * MS + i * S)
        nwk._on_mac(MlmePollConfirm(MacStatus.CHANNEL_ACCESS_FAILURE))
    assert nwk.child.state == ChildState.ATTACHED and nwk.child.failures == 0
    assert nwk.stats.parent_losses == 0
    # a poll through: the count starts again
    k.run(500 * MS + 8 * S)
    nwk._on_mac(MlmePollConfirm(MacStatus.NO_DATA))
    assert nwk.child.busy == 0
    for i in range(9, 12):
        k.run(500 * MS + i * S)
        nwk._on_mac(MlmePollConfirm(MacStatus.NO_ACK))
    assert nwk.stats.parent_losses == 1


def test_a_channel_busy_for_good_still_moves_the_device() -> None:
    """A jammer around the parent: after BUSY_LOSS_FACTOR x the threshold polls on a busy
    channel in a row the parent is lost (a rejoin may find one out of the jammer's reach)."""
    nwk, mac, k, _ = make_nwk(
        CHILD,
        device_type=DeviceType.END_DEVICE,
        config=NwkConfig(poll_interval_us=1 * S, parent_loss_threshold=3),
    )
    nwk.neighbors.add(
        NeighborEntry(network_address=PARENT, relationship=Relationship.PARENT, lqi=200), 0
    )
    nwk.child.start()
    mac.confirm(mac.take()[0])
    for i in range(BUSY_LOSS_FACTOR * 3):
        k.run(500 * MS + i * S)
        nwk._on_mac(MlmePollConfirm(MacStatus.CHANNEL_ACCESS_FAILURE))
    assert nwk.stats.parent_losses == 1


def test_a_relayed_unicast_lost_to_a_busy_channel_keeps_routes_and_neighbour() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=NEXT,
            device_type=DeviceType.ROUTER,
            relationship=Relationship.SIBLING,
            lqi=255,
            outgoing_cost=1,
        ),
        0,
    )
    assert nwk.routing.set_route(DST, NEXT, 0, path_cost=3)
    rx(nwk, data_frame(0x0300, DST, aps_payload(1), seq=4), 0x0301)
    for _ in range(10):  # the NWK retries too
        sent = mac.take()
        if not sent:
            k.run(k.now() + 100 * MS)
            continue
        for s in sent:
            assert s.dst == NEXT
            mac.confirm(s, MacStatus.CHANNEL_ACCESS_FAILURE)
    assert nwk.stats.drop_channel_busy == 1 and nwk.stats.link_failures == 0
    r = nwk.routes.get(DST)
    assert r is not None and r.next_hop_address == NEXT
    assert nwk.neighbors.get(NEXT) is not None
    assert nwk.stats.network_status_sent == 0
