"""Discovery, parent selection, association and capacities (Zigbee spec 3.6.1.3, 3.6.1.4)."""

from __future__ import annotations

from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S
from zigmesh.nwk.join import select_parent
from zigmesh.nwk.nwk import NwkConfig
from zigmesh.nwk.primitives import (
    JoinMethod,
    NlmeJoinConfirm,
    NlmeJoinIndication,
    NlmeNetworkDiscoveryConfirm,
    NwkStatus,
)
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.world import World

EXT = 0x1122334455667788


def _cand(addr: int, *, lqi: int, depth: int, **kw: object) -> NeighborEntry:
    fields: dict[str, object] = {
        "extended_pan_id": EXT,
        "permit_joining": True,
        "router_capacity": True,
        "end_device_capacity": True,
        "potential_parent": True,
    }
    fields.update(kw)
    return NeighborEntry(network_address=addr, lqi=lqi, depth=depth, **fields)  # type: ignore[arg-type]


def test_select_parent_prefers_good_links_then_depth_then_lqi() -> None:
    es = [
        _cand(1, lqi=120, depth=0),  # coordinator, but a poor link (cost 7)
        _cand(2, lqi=230, depth=2),
        _cand(3, lqi=210, depth=1),  # good link (cost <= 3), lowest depth among good ones
        _cand(4, lqi=255, depth=1),  # same depth, better LQI: chosen
    ]
    p = select_parent(es, EXT, router=True, max_depth=15)
    assert p is not None and p.network_address == 4
    p = select_parent(es, EXT, router=True, max_depth=15, exclude={4})
    assert p is not None and p.network_address == 3
    # only poor links left: the lowest depth wins
    p = select_parent(es[:1] + [_cand(5, lqi=100, depth=3)], EXT, router=True, max_depth=15)
    assert p is not None and p.network_address == 1


def test_select_parent_filters() -> None:
    es = [
        _cand(1, lqi=255, depth=0, extended_pan_id=EXT + 1),  # other network
        _cand(2, lqi=255, depth=0, permit_joining=False),
        _cand(3, lqi=255, depth=0, router_capacity=False),  # full for routers
        _cand(4, lqi=255, depth=15),  # at nwkMaxDepth
        _cand(5, lqi=255, depth=0, potential_parent=False),  # refused us before
        _cand(6, lqi=255, depth=0, device_type=DeviceType.END_DEVICE),
    ]
    assert select_parent(es, EXT, router=True, max_depth=15) is None
    ed = select_parent(es, EXT, router=False, max_depth=15)
    assert ed is not None and ed.network_address == 3
    rj = select_parent(es, EXT, router=True, max_depth=15, require_permit=False)
    assert rj is not None and rj.network_address == 2


def test_discovery_join_and_indication_at_parent() -> None:
    w = World(seed=4, security=False, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node("r", "router", (10.0, 0.0), join_at_us=1 * S)
    e = w.add_node("e", "end_device", (0.0, 10.0), join_at_us=3 * S)
    rec = Recorder().attach(w)
    w.run(6 * S)
    assert w.all_joined()
    disc = rec.of("r", NlmeNetworkDiscoveryConfirm)[0][1]
    assert disc.status == NwkStatus.SUCCESS and disc.network_count == 1
    nd = disc.network_descriptors[0]
    assert nd.extended_pan_id == c.eui64 == c.nwk.nib.nwk_extended_pan_id
    assert nd.pan_id == c.nwk.nib.nwk_pan_id and nd.permit_joining and nd.stack_profile == 2
    jc = rec.of("r", NlmeJoinConfirm)[0][1]
    assert jc.status == NwkStatus.SUCCESS and jc.parent == 0x0000 and jc.depth == 1
    assert jc.network_address == r.nwk.address and 0 < r.nwk.address <= 0xFFF7
    inds = [i for _, i in rec.of("c", NlmeJoinIndication)]
    assert {(i.network_address, i.extended_address) for i in inds} == {
        (r.nwk.address, r.eui64),
        (e.nwk.address, e.eui64),
    }
    assert all(i.rejoin_network == JoinMethod.ASSOCIATION for i in inds)
    # the parent's tables
    child = c.nwk.neighbors.get(e.nwk.address)
    assert child is not None and child.relationship == Relationship.CHILD
    assert child.device_type == DeviceType.END_DEVICE and not child.rx_on_when_idle
    assert c.nwk.address_map.short_of(e.eui64) == e.nwk.address
    assert e.nwk.device_type == DeviceType.END_DEVICE and not e.mac.pib.mac_rx_on_when_idle
    assert r.nwk.router_started and r.mac.pib.mac_association_permit
    assert len(e.nwk.neighbors) == 1  # an end device keeps only its parent


def test_router_capacity_refusal_makes_joiner_pick_another_parent() -> None:
    cfg = NwkConfig(max_routers=1)
    w = World(seed=5, security=False, medium=SMALL_MEDIUM, nwk=cfg)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r1", "router", (10.0, 0.0), join_at_us=1 * S)
    r2 = w.add_node("r2", "router", (5.0, 8.0), join_at_us=3 * S)
    w.run(8 * S)
    assert w.all_joined()
    assert c.nwk.join_parent.router_capacity() is False
    parent = w.parent_of(r2)
    assert parent is not None and parent.name == "r1"
    assert w.depth(r2) == 2


def test_join_fails_without_permit_and_retries_later() -> None:
    w = World(seed=6, security=False, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0), permit_joining=False)
    r = w.add_node("r", "router", (10.0, 0.0), join_at_us=1 * S)
    w.run(6 * S)
    assert not r.joined and r.stats.join_attempts >= 2
    c.nwk.nlme_permit_joining_request(30)
    w.run(w.now_us + 6 * S)
    assert r.joined
    # the permit ends by itself
    w.run(w.now_us + 30 * S)
    assert not c.nwk.nib.nwk_permit_joining and not c.mac.pib.mac_association_permit


def test_rejoin_request_keeps_address() -> None:
    w = World(seed=7, security=False, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r", "router", (10.0, 0.0), join_at_us=1 * S)
    e = w.add_node("e", "end_device", (10.0, 10.0), join_at_us=3 * S, poll_interval_us=S)
    w.run(6 * S)
    rec = Recorder().attach(w)
    address = e.nwk.address
    e.nwk.nlme_join_request(e.nwk.nib.nwk_extended_pan_id, JoinMethod.REJOIN)
    w.run(w.now_us + 4 * S)
    jc = rec.of("e", NlmeJoinConfirm)
    assert jc and jc[0][1].status == NwkStatus.SUCCESS
    assert e.nwk.address == address
    parent = w.parent_of(e)
    assert parent is not None
    ind = [i for _, i in rec.of(parent.name, NlmeJoinIndication)]
    assert ind and ind[0].rejoin_network == JoinMethod.REJOIN and ind[0].network_address == address
