"""End devices (Zigbee spec 3.6.10, 3.6.1.4): timeout table, polling, ageing, the 7.68 s
indirect rule, parent loss and rejoin."""

from __future__ import annotations

import pytest

from tests.nwk.fakes import command_frame, data_frame, make_nwk, rx
from tests.nwk.nwkutil import MS, SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.mac.primitives import MacEvent, MacStatus, MlmePollConfirm
from zigmesh.nwk.commands import (
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    EndDeviceTimeoutStatus,
    NwkStatusCode,
    end_device_timeout_seconds,
)
from zigmesh.nwk.end_device import ChildState
from zigmesh.nwk.primitives import (
    NldeDataConfirm,
    NlmeJoinConfirm,
    NlmeNwkStatusIndication,
    NwkStatus,
)
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.world import World

PARENT = 0x0100
CHILD = 0x0ED1


@pytest.mark.parametrize(
    ("index", "seconds"), [(0, 10), (1, 120), (2, 240), (3, 480), (8, 15360), (14, 983040)]
)
def test_timeout_index_table(index: int, seconds: int) -> None:
    assert end_device_timeout_seconds(index) == seconds


def _parent_with_child() -> tuple:  # type: ignore[type-arg]
    nwk, mac, k, events = make_nwk(PARENT)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=CHILD,
            extended_address=0xED,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
            device_timeout=end_device_timeout_seconds(8),
        ),
        0,
    )
    return nwk, mac, k, events


def test_timeout_request_sets_child_timeout_and_answers_indirectly() -> None:
    nwk, mac, k, _ = _parent_with_child()
    k.run(S)
    rx(nwk, command_frame(EndDeviceTimeoutRequest(0), CHILD, PARENT, radius=1), CHILD)
    sent = mac.take()
    assert len(sent) == 1 and sent[0].dst == CHILD and sent[0].indirect
    rsp = sent[0].command
    assert isinstance(rsp, EndDeviceTimeoutResponse)
    assert rsp.status == EndDeviceTimeoutStatus.SUCCESS and rsp.timeout_request_keepalive
    e = nwk.neighbors.get(CHILD)
    assert e is not None and e.device_timeout == 10 and e.timeout_expiry_us == S + 10 * S
    # a bad index is refused
    rx(nwk, command_frame(EndDeviceTimeoutRequest(15), CHILD, PARENT, radius=1), CHILD)
    bad = mac.take()[0].command
    assert isinstance(bad, EndDeviceTimeoutResponse)
    assert bad.status == EndDeviceTimeoutStatus.INCORRECT_VALUE


def test_silent_child_aged_out_and_its_frames_purged() -> None:
    nwk, mac, k, events = _parent_with_child()
    rx(nwk, command_frame(EndDeviceTimeoutRequest(0), CHILD, PARENT, radius=1), CHILD)
    mac.take()
    # a frame for the child waits in the MAC queue
    rx(nwk, data_frame(0x0200, CHILD, aps_payload(1)), 0x0200)
    held = mac.take()
    assert len(held) == 1 and held[0].indirect
    k.run(5 * S)
    rx(nwk, data_frame(CHILD, 0x0200, aps_payload(2)), CHILD)  # any frame is a keepalive
    k.run(14 * S)
    assert nwk.neighbors.get(CHILD) is not None
    k.run(15 * S + 1)
    assert nwk.neighbors.get(CHILD) is None
    assert nwk.stats.children_aged_out == 1
    assert held[0].handle in mac.purged


def test_child_polls_at_interval_and_detects_parent_loss() -> None:
    from zigmesh.nwk.nwk import NwkConfig

    nwk, mac, k, events = make_nwk(
        CHILD,
        device_type=DeviceType.END_DEVICE,
        config=NwkConfig(
            poll_interval_us=1 * S, parent_loss_threshold=3, rejoin_on_parent_loss=False
        ),
    )
    nwk.neighbors.add(
        NeighborEntry(network_address=PARENT, relationship=Relationship.PARENT, lqi=200), 0
    )
    nwk.child.start()
    sent = mac.take()
    assert isinstance(sent[0].command, EndDeviceTimeoutRequest)
    mac.confirm(sent[0])
    k.run(500 * MS)
    assert mac.polls == 1
    nwk._on_mac(MlmePollConfirm(MacStatus.NO_DATA))
    for i in range(1, 4):
        k.run(500 * MS + i * S)
        assert mac.polls == 1 + i
        nwk._on_mac(MlmePollConfirm(MacStatus.NO_ACK))
        assert nwk.child.failures == i
    assert nwk.child.state == ChildState.PARENT_LOST
    ind = [e for e in events if isinstance(e, NlmeNwkStatusIndication)]
    assert ind == [NlmeNwkStatusIndication(NwkStatusCode.PARENT_LINK_FAILURE, PARENT)]
    k.run(k.now() + 5 * S)
    assert mac.polls == 4  # polling stopped


def _ed_world(poll_us: int) -> tuple[World, Recorder]:
    w = World(seed=2, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("e", "end_device", (15.0, 0.0), poll_interval_us=poll_us, join_at_us=1 * S)
    w.run(4 * S)
    assert w.all_joined()
    return w, Recorder().attach(w)


def _after_next_poll(w: World, name: str) -> None:
    """Run until the end device's next MLME-POLL.confirm."""
    node = w[name]
    polled: list[int] = []
    nwk_handler = node.nwk._on_mac

    def spy(ev: MacEvent) -> None:
        if isinstance(ev, MlmePollConfirm):
            polled.append(w.now_us)
            w.kernel.stop()
        nwk_handler(ev)

    node.mac.set_upper(spy)
    w.kernel.run(w.now_us + 60 * S)
    node.mac.set_upper(nwk_handler)
    assert polled


@pytest.mark.parametrize(("poll_s", "delivered"), [(10, False), (5, True)])
def test_indirect_frame_expires_after_7_68_s(poll_s: int, delivered: bool) -> None:
    """macTransactionPersistenceTime: a frame queued just after a poll waits for the next poll;
    with 10 s polling it expires at the parent after 7.68 s, with 5 s polling it goes."""
    w, rec = _ed_world(poll_s * S)
    _after_next_poll(w, "e")
    t0 = w.now_us
    p = aps_payload(42)
    send(w["c"], w["e"].nwk.address, p, 7)
    w.run(t0 + 12 * S)
    confirms = [(t, c) for t, c in rec.confirms("c") if c.nsdu_handle == 7]
    assert len(confirms) == 1
    t, c = confirms[0]
    if delivered:
        assert c.status == NwkStatus.SUCCESS and rec.received("e", p)
        assert t - t0 <= poll_s * S + 100 * MS
    else:
        assert c.status == NwkStatus.TRANSACTION_EXPIRED and not rec.received("e", p)
        assert 7_680 * MS <= t - t0 <= 7_680 * MS + 50 * MS


def test_parent_loss_rejoins_another_parent_and_traffic_resumes() -> None:
    w = World(seed=3, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r1", "router", (20.0, 10.0), join_at_us=1 * S)
    w.add_node("r2", "router", (20.0, -10.0), join_at_us=1_500 * MS)
    e = w.add_node("e", "end_device", (35.0, 0.0), poll_interval_us=1 * S, join_at_us=3 * S)
    w.run(10 * S)
    assert w.all_joined()
    rec = Recorder().attach(w)
    old = w.parent_of(e)
    assert old is not None and old.name in ("r1", "r2")
    address = e.nwk.address
    sent: list[tuple[int, bytes]] = []

    def flow(i: int) -> None:
        p = aps_payload(i, 4)
        sent.append((w.now_us, p))
        send(e, 0x0000, p, i)
        if i < 40:
            w.kernel.call_later(500 * MS, flow, i + 1)

    flow(0)
    w.run(w.now_us + 5 * S)
    t_off = w.now_us
    w.power_off(old)
    w.run(w.now_us + 15 * S)
    new = w.parent_of(e)
    assert new is not None and new is not old and new.name in ("r1", "r2", "c")
    assert e.nwk.address == address  # no conflict: the address is kept
    status = rec.of("e", NlmeNwkStatusIndication)
    assert status and status[0][1].status == NwkStatusCode.PARENT_LINK_FAILURE
    joins = rec.of("e", NlmeJoinConfirm)
    assert joins and joins[0][1].status == NwkStatus.SUCCESS
    rejoin_t = joins[0][0] - t_off
    assert rejoin_t < 5 * S, rejoin_t
    # every frame sent after the rejoin arrived
    late = [p for t, p in sent if t > joins[0][0] and t < w.now_us - S]
    assert late and all(rec.received("c", p) for p in late)
    assert e.nwk.stats.rejoins == 1 and e.nwk.stats.parent_losses == 1
    confirms = [c.status for _, c in rec.confirms("e")]
    assert NwkStatus.SUCCESS in confirms
    assert all(isinstance(c, NldeDataConfirm) for _, c in rec.confirms("e"))


def test_parent_ages_out_powered_off_child_in_a_network() -> None:
    from zigmesh.nwk.nwk import NwkConfig

    w = World(seed=4, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    e = w.add_node(
        "e",
        "end_device",
        (15.0, 0.0),
        poll_interval_us=S,
        join_at_us=1 * S,
        nwk=NwkConfig(end_device_timeout_index=0),
    )
    w.run(5 * S)
    c = w["c"]
    child = c.nwk.neighbors.get(e.nwk.address)
    assert child is not None and child.device_timeout == 10
    w.run(w.now_us + 20 * S)  # keepalives (timeout requests) keep it there
    assert c.nwk.neighbors.get(e.nwk.address) is not None
    t_off = w.now_us
    w.power_off(e)
    w.run(t_off + 11 * S)
    assert c.nwk.neighbors.get(e.nwk.address) is None
    assert c.nwk.stats.children_aged_out == 1
