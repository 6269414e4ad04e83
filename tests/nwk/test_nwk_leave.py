"""NLME-LEAVE and leave commands (Zigbee spec 3.6.1.10)."""

from __future__ import annotations

from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.node import NodeState
from zigmesh.nwk.commands import Leave
from zigmesh.nwk.primitives import NlmeLeaveConfirm, NlmeLeaveIndication, NwkStatus
from zigmesh.sim.world import World


def _tree() -> World:
    """c <- r1 <- (r2 <- e2, e1); r3 beside c.

    Each joiner hears (range ~41 m) only the parent it is meant to take: r2 is 30 m from r1
    and 42.4 m from c, e1 25 m from r1 and 49-52 m from c and r2, e2 15 m from r2 and 45 m
    from r1, r3 15 m from c only. A joiner that also heard a farther router could lose every
    beacon to hidden-terminal collisions (routers out of each other's CCA range answering the
    same beacon request) and end up under another parent. e1 is also far enough from c not to
    drown, at c, r1's leave broadcast when it sends its own leave at the same moment."""
    w = World(seed=12, security=False, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r1", "router", (30.0, 0.0), join_at_us=1 * S)
    w.add_node("r2", "router", (30.0, 30.0), join_at_us=2 * S)
    w.add_node("e1", "end_device", (50.0, -15.0), join_at_us=3 * S, poll_interval_us=S)
    w.add_node("e2", "end_device", (30.0, 45.0), join_at_us=3_500_000, poll_interval_us=S)
    w.add_node("r3", "router", (-15.0, 0.0), join_at_us=4 * S)
    w.run(8 * S)
    assert w.all_joined()
    assert w.parent_of("r2") is w["r1"] and w.parent_of("e1") is w["r1"]
    assert w.parent_of("e2") is w["r2"] and w.parent_of("r3") is w["c"]
    return w


def test_router_leaves_with_its_children() -> None:
    w = _tree()
    rec = Recorder().attach(w)
    r1 = w["r1"]
    ieee = r1.eui64
    r1.nwk.nlme_leave_request(None, remove_children=True, rejoin=False)
    w.run(w.now_us + 12 * S)
    for name in ("r1", "r2", "e1", "e2"):
        assert not w[name].nwk.joined, name
        assert w[name].state == NodeState.LEFT
    assert [e for _, e in rec.of("r1", NlmeLeaveConfirm)] == [
        NlmeLeaveConfirm(NwkStatus.SUCCESS, None)
    ]
    for name in ("r2", "e1", "e2"):
        ind = [e for _, e in rec.of(name, NlmeLeaveIndication) if e.device_address is None]
        assert ind and not ind[0].rejoin, name
    # the coordinator heard r1 go
    assert w["c"].nwk.neighbors.get_by_ieee(ieee) is None
    gone = [e for _, e in rec.of("c", NlmeLeaveIndication)]
    assert any(g.device_address == ieee for g in gone)
    # the rest still works
    p = aps_payload(1)
    send(w["r3"], 0x0000, p)
    w.run(w.now_us + 2 * S)
    assert rec.received("c", p)


def test_parent_removes_one_child() -> None:
    w = _tree()
    rec = Recorder().attach(w)
    e1 = w["e1"]
    w["r1"].nwk.nlme_leave_request(e1.eui64, remove_children=False, rejoin=False)
    w.run(w.now_us + 3 * S)
    assert not e1.nwk.joined
    assert [c.status for _, c in rec.of("r1", NlmeLeaveConfirm)] == [NwkStatus.SUCCESS]
    assert w["r1"].nwk.neighbors.get_by_ieee(e1.eui64) is None
    assert w["r2"].nwk.joined and w["e2"].nwk.joined


def test_leave_request_with_rejoin_makes_the_device_join_again() -> None:
    w = _tree()
    rec = Recorder().attach(w)
    r3 = w["r3"]
    w["c"].nwk.nlme_leave_request(r3.eui64, rejoin=True)
    w.run(w.now_us + 8 * S)
    ind = [e for _, e in rec.of("r3", NlmeLeaveIndication) if e.device_address is None]
    assert ind and ind[0].rejoin
    assert r3.joined


def test_unknown_child_and_not_joined() -> None:
    w = _tree()
    rec = Recorder().attach(w)
    w["r1"].nwk.nlme_leave_request(0x1234, False, False)
    w.run(w.now_us + S)
    assert [c.status for _, c in rec.of("r1", NlmeLeaveConfirm)] == [NwkStatus.UNKNOWN_DEVICE]


def test_leave_command_codec_flags_used() -> None:
    assert Leave(remove_children=True, request=True, rejoin=False).encode() == b"\x04\xc0"
