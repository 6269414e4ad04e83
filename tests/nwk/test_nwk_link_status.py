"""Link status and neighbour ageing (Zigbee spec 3.6.3.4) on a fake MAC and in a small
network."""

from __future__ import annotations

from tests.nwk.fakes import command_frame, make_nwk, rx
from tests.nwk.nwkutil import S, line_world
from zigmesh.nwk.commands import LinkStatus, LinkStatusEntry
from zigmesh.nwk.link_cost import LINK_COST_TABLE
from zigmesh.nwk.link_status import LinkState, link_state, link_status_entries
from zigmesh.nwk.nwk import NwkConfig
from zigmesh.nwk.primitives import NlmeLeaveIndication
from zigmesh.nwk.tables import NeighborEntry, Relationship

ME = 0x0100


def test_entries_sorted_with_incoming_and_outgoing_costs() -> None:
    ns = [
        NeighborEntry(network_address=0x0300, lqi=255, outgoing_cost=2),
        NeighborEntry(network_address=0x0200, lqi=170, outgoing_cost=0),
        NeighborEntry(network_address=0x0400, lqi=0),  # never heard: not listed
    ]
    entries = link_status_entries(ns)
    assert entries == [
        LinkStatusEntry(0x0200, LINK_COST_TABLE[170], 0),
        LinkStatusEntry(0x0300, 1, 2),
    ]
    assert [e.incoming_cost for e in link_status_entries(ns, constant_cost=True)] == [7, 7]


def test_periodic_link_status_and_ageing() -> None:
    nwk, mac, k, _ = make_nwk(ME, config=NwkConfig(link_status_jitter_us=0))
    nwk.neighbors.add(NeighborEntry(network_address=0x0200, lqi=240, outgoing_cost=1), 0)
    nwk.link_status.start()
    k.run(16 * S)
    sent = mac.take()
    assert len(sent) == 1
    f = sent[0].frame
    assert (f.dst, f.radius, f.src, f.src_ieee) == (0xFFFC, 1, ME, nwk.ieee)
    cmd = sent[0].command
    assert isinstance(cmd, LinkStatus) and cmd.first_frame and cmd.last_frame
    assert [e.address for e in cmd.entries] == [0x0200]
    e = nwk.neighbors.get(0x0200)
    assert e is not None and e.age == 1
    assert link_state(e, nwk.neighbors.router_age_limit) == LinkState.ACTIVE
    # the neighbour reports: age back to 0, outgoing cost = what it lists for us
    rx(
        nwk,
        command_frame(LinkStatus((LinkStatusEntry(ME, 3, 1),)), 0x0200, 0xFFFC, radius=1),
        0x0200,
    )
    assert e.age == 0 and e.outgoing_cost == 3
    # then silence: nwkRouterAgeLimit (3) periods later it is gone
    k.run(k.now() + 3 * 15 * S + 1)
    assert nwk.neighbors.get(0x0200) is None
    assert nwk.stats.link_status_sent >= 4


def test_silent_router_child_ages_out_as_if_it_had_left() -> None:
    """A router child whose Leave announcement (one radius-1 broadcast) we missed, or that
    lost power, is removed after nwkRouterAgeLimit silent periods and reported as left; our
    parent is kept."""
    nwk, mac, k, events = make_nwk(ME, config=NwkConfig(link_status_jitter_us=0))
    for address, ieee, relationship in (
        (0x0200, 0xB0B, Relationship.CHILD),
        (0x0300, 0xA0A, Relationship.PARENT),
    ):
        nwk.neighbors.add(
            NeighborEntry(
                network_address=address,
                extended_address=ieee,
                lqi=240,
                outgoing_cost=1,
                relationship=relationship,
            ),
            0,
        )
    nwk.address_map.update(0x0200, 0xB0B)
    nwk.link_status.start()
    k.run(2 * 15 * S + 1)
    assert nwk.neighbors.get(0x0200) is not None  # two silent periods: still a child
    k.run(4 * 15 * S + 1)
    assert nwk.neighbors.get(0x0200) is None
    assert nwk.neighbors.get(0x0300) is not None
    assert nwk.stats.aged_children_removed == 1
    assert nwk.address_map.ieee_of(0x0200) is None
    left = [e for e in events if isinstance(e, NlmeLeaveIndication)]
    assert [(e.device_address, e.rejoin) for e in left] == [(0xB0B, False)]


def test_unknown_sender_becomes_neighbour_and_unlisted_means_cost_zero() -> None:
    nwk, mac, k, _ = make_nwk(ME)
    rx(
        nwk,
        command_frame(
            LinkStatus((LinkStatusEntry(0x0999, 1, 1),)), 0x0500, 0xFFFC, radius=1, src_ieee=0x55
        ),
        0x0500,
        lqi=200,
    )
    e = nwk.neighbors.get(0x0500)
    assert e is not None and e.outgoing_cost == 0 and e.extended_address == 0x55 and e.lqi == 200
    assert link_state(e, 3) == LinkState.UNCONFIRMED


def test_full_table_keeps_its_better_links_but_follows_an_address_change() -> None:
    """A full neighbour table refuses a router heard no better than its worst link, takes one
    heard better (the worst goes), and a neighbour that changed its network address (same
    IEEE address in its link status) replaces its old entry whatever the LQI."""
    nwk, mac, k, _ = make_nwk(ME, config=NwkConfig(max_unrelated_neighbors=None))
    cap = nwk.neighbors.capacity
    assert nwk.neighbors.max_unrelated == cap  # no bound of its own: the whole table
    for i in range(cap):
        nwk.neighbors.add(
            NeighborEntry(network_address=0x1000 + i, extended_address=0x7000 + i, lqi=200), 0
        )

    def hear(src: int, ieee: int, lqi: int) -> None:
        frame = command_frame(LinkStatus(()), src, 0xFFFC, radius=1, src_ieee=ieee)
        rx(nwk, frame, src, lqi=lqi)

    hear(0x2000, 0x55, 200)  # no better than the worst: refused
    assert nwk.neighbors.get(0x2000) is None and len(nwk.neighbors) == cap
    hear(0x2001, 0x56, 201)  # better: the worst (first of the equals) goes
    assert nwk.neighbors.get(0x2001) is not None and nwk.neighbors.get(0x1000) is None
    hear(0x3000, 0x7005, 10)  # 0x1005 moved to 0x3000: its entry follows
    e = nwk.neighbors.get(0x3000)
    assert e is not None and e.extended_address == 0x7005
    assert nwk.neighbors.get(0x1005) is None and len(nwk.neighbors) == cap


def test_neighbour_under_a_new_address_keeps_its_entry_and_the_routes_follow_it() -> None:
    """A router neighbour took a new network address (it resolved an address conflict): its
    link status, with its IEEE address, moves its entry (the parent stays the parent) and
    everything we send through it (routes, many-to-one route, the concentrator's alternates,
    source routes) to the new address; nothing goes to the old one any more."""
    nwk, mac, k, _ = make_nwk(ME)
    old, new, other = 0x1001, 0x2002, 0x1003
    nwk.neighbors.add(
        NeighborEntry(
            network_address=old, extended_address=0x7001, lqi=200,
            relationship=Relationship.PARENT, depth=1,
        ),
        0,
    )  # fmt: skip
    nwk.neighbors.add(NeighborEntry(network_address=other, extended_address=0x7003, lqi=200), 0)
    now = k.now()
    assert nwk.routing.set_route(0x0000, old, now, many_to_one=True, path_cost=3)
    assert nwk.routing.set_route(0x0444, old, now, path_cost=5)
    assert nwk.routing.set_route(0x0555, other, now, path_cost=5)
    nwk.mto.note_copy(0x0000, 7, old, 2)
    nwk.mto.note_copy(0x0000, 7, other, 2)
    nwk.route_records.update(0x0666, (0x0777, old), now)
    frame = command_frame(LinkStatus(()), new, 0xFFFC, radius=1, src_ieee=0x7001)
    rx(nwk, frame, new, lqi=150)
    e = nwk.neighbors.get(new)
    assert e is not None and nwk.neighbors.get(old) is None
    assert e.relationship == Relationship.PARENT and e.extended_address == 0x7001
    assert nwk.routes.next_hop(0x0000) == new and nwk.routes.next_hop(0x0444) == new
    assert nwk.routes.next_hop(0x0555) == other
    r = nwk.routes.get(0x0000)
    assert r is not None and r.many_to_one and r.usable
    assert nwk.mto.alternate(0x0000, other, 3) == new
    assert nwk.route_records.relays(0x0666, now) == (0x0777, new)


def test_many_neighbours_split_over_frames() -> None:
    nwk, mac, k, _ = make_nwk(ME, config=NwkConfig(max_unrelated_neighbors=None))
    for i in range(40):
        nwk.neighbors.add(NeighborEntry(network_address=0x1000 + i, lqi=250), 0)
    nwk.link_status.send_now()
    frames = [s.command for s in mac.take()]
    assert len(frames) == 2
    a, b = frames
    assert isinstance(a, LinkStatus) and isinstance(b, LinkStatus)
    assert (a.first_frame, a.last_frame, b.first_frame, b.last_frame) == (True, False, False, True)
    assert len(a.entries) + len(b.entries) == 36  # the neighbour table holds 36


def test_router_neighbours_are_bounded_and_children_keep_their_room() -> None:
    """By default (``max_unrelated_neighbors = 16``) a router keeps at most 16 neighbours
    that are neither parent nor child (as Z-Stack and EmberZNet do): a dense mesh's link
    status fits one frame, and the other 20 entries of the table stay for children."""
    assert NwkConfig().max_unrelated_neighbors == 16
    nwk, mac, k, _ = make_nwk(ME)
    for i in range(40):
        nwk.neighbors.add(NeighborEntry(network_address=0x1000 + i, lqi=100 + i), 0)
    assert len(nwk.neighbors) == 16
    # the better links stayed: each newcomer heard better displaced the worst
    assert sorted(e.network_address for e in nwk.neighbors) == [0x1000 + i for i in range(24, 40)]
    nwk.link_status.send_now()
    frames = [s.command for s in mac.take()]
    assert len(frames) == 1 and isinstance(frames[0], LinkStatus)
    assert len(frames[0].entries) == 16 and frames[0].first_frame and frames[0].last_frame
    for i in range(20):  # children are admitted beside them, up to the capacity
        child = NeighborEntry(network_address=0x2000 + i, relationship=Relationship.CHILD, lqi=50)
        assert nwk.neighbors.add(child, 0).entry is child
    assert len(nwk.neighbors) == 36
    # a full table: a better router neighbour displaces the worst one, a child displaces one
    nwk.neighbors.add(NeighborEntry(network_address=0x3000, lqi=255), 0)
    assert nwk.neighbors.get(0x3000) is not None and len(nwk.neighbors) == 36
    extra = NeighborEntry(network_address=0x2100, relationship=Relationship.CHILD, lqi=10)
    assert nwk.neighbors.add(extra, 0).entry is extra and len(nwk.neighbors) == 36
    assert sum(not e.is_child for e in nwk.neighbors) == 15


def test_powered_off_router_ages_out_of_neighbours() -> None:
    w = line_world(3)
    w.run(40 * S)
    r1, r2, r3 = w["r1"], w["r2"], w["r3"]
    assert r1.nwk.neighbors.get(r2.nwk.address) is not None
    assert r1.nwk.neighbors.get(r2.nwk.address).outgoing_cost > 0  # type: ignore[union-attr]
    w.power_off(r2)
    w.run(w.now_us + 4 * 16 * S)
    # r2 is r1's child and r3's parent: kept (relationship) but the link is stale
    for n in (r1, r3):
        e = n.nwk.neighbors.get(r2.nwk.address)
        assert e is None or (e.age >= 3 and e.outgoing_cost == 0)
