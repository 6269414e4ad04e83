"""End devices (Zigbee spec 3.6.10, 3.6.1.4): timeout table, polling, ageing, the 7.68 s
indirect rule, parent loss and rejoin."""

from __future__ import annotations

import pytest

from tests.nwk.fakes import command_frame, data_frame, make_nwk, rx
from tests.nwk.nwkutil import MS, SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.mac.frames import AddrMode
from zigmesh.mac.primitives import MacEvent, MacStatus, MlmePollConfirm, MlmePollIndication
from zigmesh.nwk.commands import (
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    EndDeviceTimeoutStatus,
    NwkStatusCode,
    end_device_timeout_seconds,
)
from zigmesh.nwk.end_device import ChildState
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.primitives import (
    NldeDataConfirm,
    NlmeJoinConfirm,
    NlmeNwkStatusIndication,
    NwkStatus,
)
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel
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
    w = World(seed=2, security=False, medium=SMALL_MEDIUM)
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
    w = World(seed=3, security=False, medium=SMALL_MEDIUM)
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

    w = World(seed=4, security=False, medium=SMALL_MEDIUM)
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


# -- keepalive methods (3.6.10): MAC data poll keepalive -------------------------------------

SILENT = 0x0ED2


def _parent_with_children(**config: object) -> tuple:  # type: ignore[type-arg]
    from zigmesh.nwk.nwk import NwkConfig

    nwk, mac, k, events = make_nwk(PARENT, config=NwkConfig(**config))  # type: ignore[arg-type]
    for addr in (CHILD, SILENT):
        nwk.neighbors.add(
            NeighborEntry(
                network_address=addr,
                extended_address=0xED00 | addr,
                device_type=DeviceType.END_DEVICE,
                rx_on_when_idle=False,
                relationship=Relationship.CHILD,
                device_timeout=10,
            ),
            0,
        )
    nwk.parent.schedule_ageing()
    return nwk, mac, k, events


def _poll_indication(nwk: Nwk, k: Kernel, addr: int, extended: bool = False) -> None:
    mode = AddrMode.EXTENDED if extended else AddrMode.SHORT
    nwk._on_mac(MlmePollIndication(mode, addr, k.now()))


def test_timeout_response_advertises_mac_data_poll_keepalive() -> None:
    for supported in (True, False):
        nwk, mac, k, _ = _parent_with_children(mac_data_poll_keepalive=supported)
        rx(nwk, command_frame(EndDeviceTimeoutRequest(0), CHILD, PARENT, radius=1), CHILD)
        rsp = mac.take()[0].command
        assert isinstance(rsp, EndDeviceTimeoutResponse)
        assert rsp.mac_data_poll_keepalive is supported and rsp.timeout_request_keepalive


def test_polling_child_kept_alive_without_timeout_requests_silent_child_aged_out() -> None:
    nwk, mac, k, _ = _parent_with_children()
    # the child only polls (every 2 s, alternately by short and by extended address)
    for i in range(1, 15):
        k.call_at(
            i * 2 * S, _poll_indication, nwk, k, CHILD if i % 2 else 0xED00 | CHILD, i % 2 == 0
        )
    k.run(10 * S + 1)
    assert nwk.neighbors.get(SILENT) is None  # 10 s without a frame or a poll
    k.run(28 * S + 1)
    child = nwk.neighbors.get(CHILD)
    assert child is not None and child.keepalive_received
    assert child.timeout_expiry_us == 28 * S + 10 * S
    assert nwk.stats.children_aged_out == 1
    assert mac.sent == []  # nobody sent anything: polls alone kept the child
    k.run(38 * S + 1)  # polls stop: aged out 10 s after the last one
    assert nwk.neighbors.get(CHILD) is None and nwk.stats.children_aged_out == 2


def test_polls_are_no_keepalive_when_the_parent_does_not_advertise_it() -> None:
    nwk, mac, k, _ = _parent_with_children(mac_data_poll_keepalive=False)
    for i in range(1, 8):
        k.call_at(i * S, _poll_indication, nwk, k, CHILD)
    k.run(10 * S + 1)
    assert nwk.neighbors.get(CHILD) is None and nwk.neighbors.get(SILENT) is None


def test_poll_from_a_stranger_or_a_router_child_is_ignored() -> None:
    nwk, mac, k, _ = _parent_with_children()
    nwk.neighbors.add(
        NeighborEntry(network_address=0x0202, relationship=Relationship.CHILD, device_timeout=10),
        0,
    )
    _poll_indication(nwk, k, 0x0303)  # unknown
    _poll_indication(nwk, k, 0x0202)  # a router child has no end device timeout to restart
    e = nwk.neighbors.get(0x0202)
    assert e is not None and not e.keepalive_received


def _attached_child(rx_on: bool = False, poll_s: int = 1):  # type: ignore[no-untyped-def]
    from zigmesh.nwk.nwk import NwkConfig

    nwk, mac, k, events = make_nwk(
        CHILD,
        device_type=DeviceType.END_DEVICE,
        config=NwkConfig(
            poll_interval_us=poll_s * S, end_device_timeout_index=0, rejoin_on_parent_loss=False
        ),
    )
    mac.pib.mac_rx_on_when_idle = rx_on
    nwk.neighbors.add(
        NeighborEntry(network_address=PARENT, relationship=Relationship.PARENT, lqi=200), 0
    )
    nwk.child.start()
    [req] = mac.take()
    assert isinstance(req.command, EndDeviceTimeoutRequest)
    mac.confirm(req)
    return nwk, mac, k


def _requests(sent: list) -> int:  # type: ignore[type-arg]
    return sum(isinstance(s.command, EndDeviceTimeoutRequest) for s in sent)


@pytest.mark.parametrize(
    ("mac_poll", "req_keepalive", "rx_on", "poll_s", "requests", "extra_polls"),
    [
        # the parent takes polls as keepalives and ours come often enough: nothing more
        (True, True, False, 1, 0, 0),
        (True, False, False, 2, 0, 0),
        # polls too rare for a 10 s timeout (more than 2.5 s apart): timeout requests too
        (True, True, False, 5, 4, 0),
        # only the timeout request keepalive: a request every 2.5 s
        (False, True, False, 1, 4, 0),
        # an rx-on child does not poll by itself: requests, or polls if that is all there is
        (True, True, True, 1, 4, 0),
        (True, False, True, 1, 0, 4),
    ],
)
def test_child_keepalive_follows_the_parent_information(
    mac_poll: bool,
    req_keepalive: bool,
    rx_on: bool,
    poll_s: int,
    requests: int,
    extra_polls: int,
) -> None:
    nwk, mac, k = _attached_child(rx_on, poll_s)
    nwk.child.on_timeout_response(
        EndDeviceTimeoutResponse(EndDeviceTimeoutStatus.SUCCESS, mac_poll, req_keepalive)
    )
    assert nwk.nib.nwk_parent_information == (1 if mac_poll else 0) | (2 if req_keepalive else 0)
    regular = 0 if rx_on else (10 * S - 500 * MS) // (poll_s * S) + 1
    polls: list[int] = []

    def count_and_answer(*_: object) -> None:
        polls.append(k.now())
        k.call_later(10 * MS, nwk._on_mac, MlmePollConfirm(MacStatus.NO_DATA))

    mac.mlme_poll_request = count_and_answer
    sent: list = []  # type: ignore[type-arg]
    for _ in range(100):
        k.run(k.now() + 100 * MS)
        new = mac.take()
        for s in new:
            mac.confirm(s)
        sent += new
    assert k.now() == 10 * S
    assert _requests(sent) == requests
    assert len(polls) == regular + extra_polls
    assert nwk.child.state == ChildState.ATTACHED


def test_polling_child_stays_with_its_parent_without_timeout_requests_in_a_network() -> None:
    """Simulated network: a sleepy child with a 10 s timeout polls every second and, told by
    its parent that MAC data polls are keepalives, sends no timeout request after its first;
    it stays a child for a minute. Switched off, it is aged out after its timeout."""
    from zigmesh.nwk.nwk import NwkConfig

    w = World(seed=5, security=False, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    e = w.add_node(
        "e",
        "end_device",
        (15.0, 0.0),
        poll_interval_us=S,
        join_at_us=1 * S,
        nwk=NwkConfig(end_device_timeout_index=0),
    )
    requests: list[int] = []
    send_command = e.nwk.send_command

    def spy(command, *args, **kw):  # type: ignore[no-untyped-def]
        if isinstance(command, EndDeviceTimeoutRequest):
            requests.append(w.now_us)
        return send_command(command, *args, **kw)

    e.nwk.send_command = spy  # type: ignore[method-assign]
    w.run(5 * S)
    assert w.all_joined() and len(requests) == 1
    c = w["c"]
    assert e.nwk.nib.nwk_parent_information & 0x01  # MAC data poll keepalive supported
    w.run(65 * S)
    assert len(requests) == 1
    child = c.nwk.neighbors.get(e.nwk.address)
    assert child is not None and child.device_timeout == 10 and child.keepalive_received
    assert c.nwk.stats.children_aged_out == 0
    t_off = w.now_us
    w.power_off(e)
    w.run(t_off + 11 * S)
    assert c.nwk.neighbors.get(e.nwk.address) is None
    assert c.nwk.stats.children_aged_out == 1
