"""Orphaned end devices (commit ed4d148): a router that gets a MAC data poll from a short
address that is not its child asks that device, indirectly, to leave and rejoin (NWK Leave,
request + rejoin, Zigbee spec 3.6.1.10), once at a time; in a network the end device whose
parent forgot it rejoins and is reached again."""

from __future__ import annotations

from tests.nwk.fakes import FakeMac, make_nwk
from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.mac.frames import AddrMode
from zigmesh.mac.primitives import MacStatus, MlmePollIndication
from zigmesh.nwk.commands import Leave
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.world import World

PARENT = 0x0100
STRANGER = 0x0ED7


def _poll(nwk: Nwk, k: Kernel, addr: int, mode: AddrMode = AddrMode.SHORT) -> None:
    nwk._on_mac(MlmePollIndication(mode, addr, k.now()))


def _leaves(mac: FakeMac) -> list[Leave]:
    out = []
    for s in mac.take():
        assert s.dst == STRANGER and s.indirect
        cmd = s.command
        assert isinstance(cmd, Leave)
        out.append(cmd)
    return out


def test_poll_from_a_stranger_queues_one_indirect_leave_with_rejoin() -> None:
    nwk, mac, k, _ = make_nwk(PARENT)
    _poll(nwk, k, STRANGER)
    sent = mac.sent[:]
    [leave] = _leaves(mac)
    assert leave.request and leave.rejoin and not leave.remove_children
    f = sent[0].frame
    assert (f.src, f.dst, f.radius) == (PARENT, STRANGER, 1)
    assert f.src_ieee == nwk.ieee
    assert nwk.stats.orphan_leaves_sent == 1
    # polling again while that Leave waits in the MAC queue: not a second one
    _poll(nwk, k, STRANGER)
    _poll(nwk, k, STRANGER)
    assert mac.take() == [] and nwk.stats.orphan_leaves_sent == 1
    # the Leave expired unasked for: the next poll queues a new one
    mac.confirm(sent[0], MacStatus.TRANSACTION_EXPIRED)
    _poll(nwk, k, STRANGER)
    assert len(_leaves(mac)) == 1 and nwk.stats.orphan_leaves_sent == 2


def test_children_routers_broadcasts_and_non_routers_get_no_leave() -> None:
    nwk, mac, k, _ = make_nwk(PARENT)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=0x0ED1,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
        ),
        0,
    )
    _poll(nwk, k, 0x0ED1)  # our child
    _poll(nwk, k, 0xFFFD)  # not a unicast address
    _poll(nwk, k, 0x00AA000000000ED9, AddrMode.EXTENDED)  # no short address to answer
    assert mac.take() == [] and nwk.stats.orphan_leaves_sent == 0
    # a router not started yet (waiting for its network key) asks nobody to leave
    nwk.router_started = False
    _poll(nwk, k, STRANGER)
    assert mac.take() == [] and nwk.stats.orphan_leaves_sent == 0
    # nor does an end device
    ed, ed_mac, ed_k, _ = make_nwk(0x0ED2, device_type=DeviceType.END_DEVICE)
    _poll(ed, ed_k, STRANGER)
    assert ed_mac.take() == [] and ed.stats.orphan_leaves_sent == 0


def test_forgotten_end_device_rejoins_and_is_reached_again() -> None:
    w = World(seed=3, security=False, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    e = w.add_node("e", "end_device", (12.0, 0.0), join_at_us=1 * S, poll_interval_us=S)
    w.run(4 * S)
    assert w.all_joined() and w.parent_of(e) is c
    rec = Recorder().attach(w)
    # the parent forgets its child (a lost join response, or aged out by mistake)
    assert c.nwk.neighbors.remove(e.nwk.address) is not None
    p = aps_payload(1)
    send(c, e.nwk.address, p)
    w.run(w.now_us + 4 * S)
    assert c.nwk.stats.orphan_leaves_sent >= 1
    assert c.nwk.stats.orphan_leaves_sent <= 2
    assert len(e.stats.join_times_us) >= 2  # it left (told to) and joined again
    child = c.nwk.neighbors.get(e.nwk.address)
    assert child is not None and child.is_child
    q = aps_payload(2)
    send(c, e.nwk.address, q)
    w.run(w.now_us + 3 * S)
    assert rec.received("e", q)
