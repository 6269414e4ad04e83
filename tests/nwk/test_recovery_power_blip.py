"""Issue 9 item 5: a coordinator power blip split the network. After even a 3 ms power-off the
coordinator lost its network state (the World's in-memory store modelled RAM) and tried to form
a network again: its formation scan heard its own extended PAN ID from its routers, so it never
came back (or, with another PAN ID, formed a second PAN of the same extended PAN ID), while
every other node stayed JOINED on the old PAN and all traffic to the hub stopped for good.

Now the World's default store models the devices' flash, and a coordinator or router that
powers back on resumes its network from it (:mod:`zigmesh.nwk.resume`): same PAN ID, channel,
extended PAN ID, nwkUpdateId and keys, outgoing frame counters jumped forward, its end-device
children kept (end devices polling it stay its children), router neighbours relearned from
link status (its own first link status waits a whole period, so it leaves none out). Both
stores (in memory and SQLite) behave the same. Fixed seeds; the line is multi-hop (30 m apart,
each router hears only its neighbours).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nwk.flows import Flows
from tests.nwk.nwkutil import MS, SMALL_MEDIUM, S
from zigmesh.node import Node
from zigmesh.nwk.tables import DeviceType, Relationship
from zigmesh.persist.store import MemoryStore, SqliteStore, StateStore
from zigmesh.sim.world import World


@pytest.fixture(params=["default", "memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore | None]:
    """The World's default store (the issue's reproduction), an explicit non-volatile
    in-memory store, and SQLite."""
    if request.param == "default":
        yield None
        return
    s: StateStore = (
        MemoryStore(volatile=False) if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    )
    yield s
    s.close()


def _house(store: StateStore | None) -> tuple[World, Flows]:
    """hub - r1 - r2 - r3 on a line, ed1 a child of the hub, ed2 at the far end (poll 1 s);
    flows both ways between the hub and r1, r3, ed1, ed2 every 2 s, running for 20 s."""
    w = World(seed=7, medium=SMALL_MEDIUM, store=store)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for i in (1, 2, 3):
        w.add_node(f"r{i}", "router", (30.0 * i, 0.0))
    w.add_node("ed1", "end_device", (5.0, 8.0), poll_interval_us=S)
    w.add_node("ed2", "end_device", (100.0, 5.0), poll_interval_us=S)
    assert w.run_until(lambda: w.all_joined() and all(n.authenticated for n in w), 60 * S)
    w.run_for(10 * S)
    hub = w["hub"]
    flows = Flows(w, 2 * S)
    for name in ("r1", "r3", "ed1", "ed2"):
        flows.add(w[name], hub)
        flows.add(hub, w[name])
    flows.start()
    w.run_for(20 * S)
    assert all(f.delivered for f in flows.flows)
    return w, flows


def _children(w: World, name: str) -> set[int]:
    """The node's end-device children (what a parent keeps in non-volatile memory)."""
    return {
        int(e.extended_address)
        for e in w[name].nwk.neighbors
        if e.relationship == Relationship.CHILD
        and e.extended_address is not None
        and e.device_type == DeviceType.END_DEVICE
    }


def _blip(w: World, name: str) -> int:
    w.power_off(name)
    w.run_for(3 * MS)
    w.power_on(name)
    return w.now_us


def test_coordinator_power_blip_resumes_the_same_network(store: StateStore | None) -> None:
    w, flows = _house(store)
    hub = w["hub"]
    nib = hub.nwk.nib
    before = (nib.nwk_pan_id, nib.nwk_extended_pan_id, nib.nwk_logical_channel, nib.nwk_update_id)
    key = hub.keys.active_network_key
    assert key is not None
    counter = hub.keys.network_outgoing_counter(key.seq)
    children = _children(w, "hub")
    assert w["ed1"].eui64 in children
    on = _blip(w, "hub")
    # straight from the store: the children are known before any of them polls
    assert _children(w, "hub") == children
    ed1 = hub.nwk.neighbors.get_by_ieee(w["ed1"].eui64)
    assert ed1 is not None and ed1.device_type == DeviceType.END_DEVICE
    w.run_for(30 * S)
    nib = hub.nwk.nib
    assert hub.joined and hub.stats.restores == 1
    assert (
        nib.nwk_pan_id,
        nib.nwk_extended_pan_id,
        nib.nwk_logical_channel,
        nib.nwk_update_id,
    ) == before
    assert hub.keys.active_network_key == key
    assert hub.keys.network_outgoing_counter(key.seq) > counter  # jumped, never reused
    # one network: every node on the hub's PAN, nobody had to join again
    assert all(n.joined and n.nwk.nib.nwk_pan_id == before[0] for n in w)
    assert all(len(n.stats.join_times_us) == 1 for n in w if n.name != "hub")
    # every flow delivers again within 30 s of the power coming back
    for f in flows.flows:
        first = f.first_delivery_after(on)
        assert first is not None and first - on <= 30 * S, (f.src.name, f.dst.name)
        assert f.duplicates == 0


def test_router_power_blip_resumes_with_its_children(store: StateStore | None) -> None:
    w, flows = _house(store)
    r2, ed2 = w["r2"], w["ed2"]
    assert w.parent_of(ed2) is r2
    addr, children = r2.network_address, _children(w, "r2")
    assert ed2.eui64 in children
    on = _blip(w, "r2")
    assert _children(w, "r2") == children
    w.run_for(30 * S)
    # resumed, not rejoined: same address, same PAN, no new join; its child stayed
    assert r2.joined and r2.stats.restores == 1 and r2.network_address == addr
    assert r2.nwk.stats.rejoins == 0 and len(r2.stats.join_times_us) == 2
    assert r2.nwk.nib.nwk_pan_id == w["hub"].nwk.nib.nwk_pan_id
    assert w.parent_of(ed2) is r2 and len(ed2.stats.join_times_us) == 1
    # its neighbours are relearned from link status
    assert {"r1", "r3"} <= set(w.neighbor_lqis("r2"))
    for f in flows.flows:
        first = f.first_delivery_after(on)
        assert first is not None and first - on <= 30 * S, (f.src.name, f.dst.name)


def test_volatile_store_is_lost_with_the_power() -> None:
    """``MemoryStore()`` still models RAM: nothing is left to resume from."""
    w = World(seed=7, medium=SMALL_MEDIUM, store=MemoryStore())
    w.add_node("hub", "coordinator", (0.0, 0.0))
    w.add_node("r1", "router", (20.0, 0.0))
    w.run(20 * S)
    assert w.all_joined() and w.store.load("r1") is not None
    w.power_off("r1")
    assert w.store.load("r1") is None
    w.power_on("r1")
    w.run_for(30 * S)
    assert w["r1"].stats.restores == 0 and w["r1"].joined


def test_resumed_coordinator_waits_a_period_before_its_first_link_status() -> None:
    """A resumed coordinator knows no router neighbour yet (only its end-device children are
    kept). Had it sent a link status at once, each router left out would set its outgoing
    cost to it to 0 (3.6.3.4.2) and take the link as broken; it waits one whole
    nwkLinkStatusPeriod instead, hears every neighbour's link status first, and lists them."""
    w = World(seed=7, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for i in (1, 2, 3):
        w.add_node(f"r{i}", "router", (20.0 * i, 0.0))
    assert w.run_until(lambda: w.all_joined() and all(n.authenticated for n in w), 60 * S)
    w.run_for(20 * S)
    hub = w["hub"]
    period = hub.nwk.nib.nwk_link_status_period_us
    near = [n for n in w if n.name != "hub" and hub.nwk.neighbors.get(n.network_address)]
    assert len(near) >= 2
    on = _blip(w, "hub")
    assert hub.nwk.neighbors.routers() == []  # nothing but end devices was kept
    costs: list[int] = []
    first: int | None = None
    while w.now_us < on + 3 * period:
        w.run_for(100 * MS)
        if first is None and hub.nwk.stats.link_status_sent:
            first = w.now_us
            # every router neighbour is known by then
            assert {n.network_address for n in near} <= {
                e.network_address for e in hub.nwk.neighbors.routers()
            }
        for n in near:
            e = n.nwk.neighbors.get(0x0000)
            assert e is not None
            costs.append(e.outgoing_cost)
    assert first is not None and first - on >= period
    # no router ever saw itself left out of the hub's link status
    assert min(costs) > 0
    assert {n.name for n in near} <= set(w.neighbor_lqis("hub"))


def _trust_center_key(n: Node) -> bytes | None:
    partners = n.keys.link_key_partners()
    return n.keys.link_key(partners[0]) if partners else None


def test_end_device_whose_parent_is_not_back_yet_keeps_trying_its_network() -> None:
    """A house-wide power cut: an end device reloads its state before its parent is back. Its
    first NWK rejoin finds no parent; it tries its saved network again (``join_retry_us``
    apart) instead of forgetting its keys at once and associating afresh, and comes back
    with its address and unique trust center link key."""
    w = World(seed=3, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    w.add_node("r1", "router", (30.0, 0.0))
    e = w.add_node("e", "end_device", (60.0, 5.0), poll_interval_us=S)
    assert w.run_until(lambda: w.all_joined() and e.has_unique_link_key, 60 * S)
    w.run_for(5 * S)
    assert w.parent_of(e) is w["r1"]
    addr, key = e.network_address, _trust_center_key(e)
    w.power_off("r1")
    w.power_off(e)
    w.run_for(1 * S)
    w.power_on(e)  # before its parent: the first rejoin cannot succeed
    w.run_for(3 * S)
    w.power_on("r1")
    w.run_for(20 * S)
    assert e.joined and e.stats.restores == 1 and w.parent_of(e) is w["r1"]
    assert e.network_address == addr and _trust_center_key(e) == key


def test_rebooted_trust_center_gives_a_reassociating_device_the_network_key() -> None:
    """The trust center reloads its keys (a device's unique link key among them) but not its
    device table. A device that then joins afresh by association (it lost its own state)
    starts from the preconfigured link key, so the trust center must send it the network key
    under that key, not under the unique key it still held: before, it never got the key."""
    w = World(seed=3, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    e = w.add_node("e", "end_device", (10.0, 5.0), poll_interval_us=S)
    assert w.run_until(lambda: w.all_joined() and e.has_unique_link_key, 60 * S)
    w.run_for(5 * S)
    _blip(w, "hub")
    w.run_for(5 * S)
    w.power_off(e)
    w.store.delete("e")  # the end device was reset: it remembers nothing
    w.power_on(e)
    assert w.run_until(lambda: e.joined and e.authenticated and e.has_unique_link_key, 30 * S)
    assert e.stats.restores == 0 and e.stats.authentication_failures == 0
