"""A unicast that goes round a routing loop is caught where it comes back (issue 7: traced in
the 1,000-node secured grid, where a many-to-one route taken up the join tree after a link
failure met routes from the concentrator's request and Update-Devices circled until the
duplicate filter dropped them; the loop stayed until the next many-to-one request).

Where the frame comes back (to its originator, or to a relay from another neighbour than the
first time) the many-to-one route moves to a neighbour that advertised a smaller cost in the
concentrator's last request, and the frame goes on that way. A frame repeated by the same
neighbour (a lost MAC ACK) is still only a duplicate."""

from __future__ import annotations

from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.sim.world import World


def _looped_world() -> tuple[World, Recorder]:
    """z - y - a, with b and c beside a (out of y's and z's range): a -> b -> c -> a loops;
    d sends by a."""
    w = World(seed=5, security=False, medium=SMALL_MEDIUM)
    w.add_node("z", "coordinator", (0.0, 0.0))
    w.add_node("y", "router", (30.0, 0.0), join_at_us=1 * S)
    w.add_node("a", "router", (55.0, 0.0), join_at_us=4 * S)
    w.add_node("b", "router", (75.0, 12.0), join_at_us=7 * S)
    w.add_node("c", "router", (75.0, -12.0), join_at_us=10 * S)
    w.add_node("d", "router", (60.0, 25.0), join_at_us=13 * S)
    rec = Recorder().attach(w)
    w.run(20 * S)
    assert w.all_joined()
    a, b, c, d, y = (w.nodes[n] for n in "abcdy")
    now = w.now_us
    for node, nh in ((a, b), (b, c), (c, a), (d, a)):
        node.nwk.routing.set_route(
            0x0000, nh.nwk.address, now, path_cost=5, many_to_one=True
        )
    # a heard the concentrator's request from y, one link away from it
    a.nwk.mto.note_copy(0x0000, 77, y.nwk.address, 1)
    return w, rec


def test_own_frame_back_round_a_loop_goes_on_by_a_loop_free_neighbour() -> None:
    w, rec = _looped_world()
    a, y = w.nodes["a"], w.nodes["y"]
    p = aps_payload(1)
    send(a, 0x0000, p)
    w.run(w.now_us + 2 * S)
    assert len(rec.received("z", p)) == 1  # delivered once, the loop left behind
    assert a.nwk.stats.route_loops == 1
    r = a.nwk.routes.get(0x0000)
    assert r is not None and r.next_hop_address == y.nwk.address
    p2 = aps_payload(2)
    send(a, 0x0000, p2)  # and the next frame takes the new way
    w.run(w.now_us + 2 * S)
    assert len(rec.received("z", p2)) == 1
    assert a.nwk.stats.route_loops == 1


def test_relayed_frame_back_round_a_loop_goes_on_by_a_loop_free_neighbour() -> None:
    w, rec = _looped_world()
    a, b, c, d = (w.nodes[n] for n in "abcd")
    # d's frame: d -> a -> b -> c -> a: a relayed it (from d) and sees it again from c: it
    # goes on by y
    p = aps_payload(3)
    send(d, 0x0000, p)
    w.run(w.now_us + 2 * S)
    assert len(rec.received("z", p)) == 1
    assert a.nwk.stats.route_loops == 1
    assert b.nwk.stats.route_loops + c.nwk.stats.route_loops + d.nwk.stats.route_loops == 0


def test_without_a_loop_free_neighbour_the_looping_frame_is_dropped() -> None:
    w, rec = _looped_world()
    a = w.nodes["a"]
    a.nwk.mto._alternates.clear()  # no request heard: nothing known to be nearer
    p = aps_payload(4)
    send(a, 0x0000, p)
    w.run(w.now_us + 2 * S)
    assert rec.received("z", p) == []
    assert a.nwk.stats.route_loops == 1
    r = a.nwk.routes.get(0x0000)
    assert r is not None and r.next_hop_address == w.nodes["b"].nwk.address
