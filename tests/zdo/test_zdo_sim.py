"""The ZDO on the whole simulated stack (real MAC, NWK, APS, nodes in a World): requests to a
router and to a sleeping end device resolve, the parent answers for its child, broadcast
discovery collects. NWK security is off here so that this file tests the ZDO alone."""

from __future__ import annotations

from tests.nwk.nwkutil import SMALL_MEDIUM, S
from tests.zdo.test_zdo_support import LIGHT_EP, SWITCH_EP
from zigmesh.node import Role
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import LogicalType
from zigmesh.zdo.zdp import MgmtLqiRsp, Relationship, ZdoStatus


def _world() -> World:
    w = World(seed=1, medium=SMALL_MEDIUM, security=False)
    w.add_node("c", Role.COORDINATOR, (0.0, 0.0))
    w.add_node("r1", "router", (20.0, 0.0))
    w.add_node("r2", "router", (45.0, 0.0))
    w.add_node("e", "end_device", (55.0, 5.0), poll_interval_us=S)
    w.run(30 * S)
    assert w.all_joined()
    return w


def test_zdo_requests_on_the_simulated_network() -> None:
    w = _world()
    c, r1, r2, e = (w[n] for n in ("c", "r1", "r2", "e"))
    e.add_endpoint(SWITCH_EP, lambda _ev: None)
    r2.add_endpoint(LIGHT_EP, lambda _ev: None)
    # every joiner announced itself; the coordinator heard them all
    assert c.zdo.stats.device_annce_received == 3
    assert c.nwk.address_map.short_of(e.eui64) == e.nwk.address
    # a sleeping end device answers through its parent's indirect queue (poll: 1 s)
    p = c.zdo.node_desc(e.nwk.address)
    assert w.run_until(p, 10 * S)
    d = p.result().response
    assert d is not None and d.node_descriptor is not None
    assert d.node_descriptor.logical_type == LogicalType.END_DEVICE
    # the broadcast NWK_addr_req for the end device is answered by its parent r2
    p2 = c.zdo.nwk_addr(e.eui64)
    assert w.run_until(p2, 10 * S)
    assert p2.result().ok and p2.result().src_address == r2.nwk.address
    assert p2.result().response.nwk_addr_remote_dev == e.nwk.address
    # r1's neighbour table: its parent (the coordinator) and its child r2
    p3 = c.zdo.mgmt_lqi(r1.nwk.address)
    assert w.run_until(p3, 10 * S)
    lqi = p3.result().response
    assert isinstance(lqi, MgmtLqiRsp)
    rel = {x.network_address: x.relationship for x in lqi.neighbor_table_list}
    assert rel[0x0000] == Relationship.PARENT and rel[r2.nwk.address] == Relationship.CHILD
    # who has an on/off server?  r2's light endpoint
    p4 = c.zdo.match_desc(0xFFFD, 0x0104, (0x0006,))
    w.run_until(p4, 11 * S)
    res = p4.result()
    assert res.status == ZdoStatus.SUCCESS
    assert [(src, m.match_list) for src, m in res.responses] == [(r2.nwk.address, (11,))]
