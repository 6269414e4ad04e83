"""Device_annce and Parent_annce (Zigbee spec R22 2.4.3.1.11, 2.4.3.1.12): sending them,
and what a node does with them (APS note, address map, stale children)."""

from __future__ import annotations

import pytest

from tests.zdo.test_zdo_support import FakeAir, add_child, add_neighbor, make_zdo
from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.end_device import MOVED_QUIET_US
from zigmesh.nwk.tables import DeviceType
from zigmesh.sim.kernel import Kernel
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.descriptors import MacCapability
from zigmesh.zdo.zdp import DeviceAnnce, ParentAnnce, ParentAnnceRsp, ZdoStatus

ME = 0x1234
IEEE = 0x00AA000000001234
CHILD, CHILD_IEEE = 0x3001, 0x00CC0000000000C1


def test_device_annce_is_broadcast_to_rx_on_devices() -> None:
    r = make_zdo(0x6000, ieee=0x00ED, device_type=DeviceType.END_DEVICE)
    r.zdo.device_annce()
    s = r.aps.one()
    assert (s.dst, s.dst_endpoint, s.src_endpoint, s.profile_id) == (0xFFFD, 0, 0, 0)
    assert not s.acked
    msg = s.msg
    assert isinstance(msg, DeviceAnnce)
    assert (msg.nwk_addr, msg.ieee_addr, msg.capability) == (
        0x6000,
        0x00ED,
        MacCapability.ALLOCATE_ADDRESS,
    )
    assert r.zdo.stats.device_annce_sent == 1
    # the TSN advances
    r.zdo.device_annce()
    assert r.aps.one().msg.tsn == (msg.tsn + 1) & 0xFF


def test_device_annce_before_joining_is_a_bug() -> None:
    r = make_zdo(ME)
    r.nwk.device_type = None
    with pytest.raises(LocalProtocolError):
        r.zdo.device_annce()


def test_device_annce_received_notes_the_device_and_maps_its_address() -> None:
    r = make_zdo(ME, ieee=IEEE)
    cap = (
        MacCapability.RX_ON_WHEN_IDLE | MacCapability.MAINS_POWERED | MacCapability.DEVICE_TYPE_FFD
    )
    r.aps.indicate(0x7777, DeviceAnnce(3, 0x7777, 0x77, cap), dst=0xFFFD, hops=3)
    assert r.aps.noted == [(0x7777, 0x77, True)]
    assert r.nwk.address_map.short_of(0x77) == 0x7777
    assert r.aps.take() == []  # no answer
    # a sleepy device; then the first device moves to a new address
    r.aps.indicate(0x7778, DeviceAnnce(4, 0x7778, 0x78, MacCapability.ALLOCATE_ADDRESS), dst=0xFFFD)
    r.aps.indicate(0x1000, DeviceAnnce(5, 0x1000, 0x77, cap), dst=0xFFFD)
    assert r.aps.noted[1:] == [(0x7778, 0x78, False), (0x1000, 0x77, True)]
    assert r.nwk.address_map.short_of(0x77) == 0x1000
    assert r.nwk.address_map.ieee_of(0x7777) is None
    assert r.zdo.stats.device_annce_received == 3


def test_our_child_announcing_through_another_parent_is_dropped() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, CHILD, CHILD_IEEE)
    r.aps.clock.run(until=MOVED_QUIET_US)  # it has not polled us since
    # the child rejoined elsewhere: its announcement reaches us relayed (2 hops)
    r.aps.indicate(CHILD, DeviceAnnce(1, CHILD, CHILD_IEEE), dst=0xFFFD, hops=2)
    assert r.nwk.neighbors.get(CHILD) is None
    assert r.zdo.stats.children_removed == 1


def test_our_child_announcing_a_new_address_is_dropped() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, CHILD, CHILD_IEEE)
    r.aps.clock.run(until=MOVED_QUIET_US)  # it has not polled us since
    r.aps.indicate(0x4444, DeviceAnnce(1, 0x4444, CHILD_IEEE), dst=0xFFFD, hops=1)
    assert r.nwk.neighbors.get(CHILD) is None
    assert r.nwk.neighbors.get_by_ieee(CHILD_IEEE) is None


def test_our_child_announcing_straight_to_us_stays() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, CHILD, CHILD_IEEE)
    r.aps.indicate(CHILD, DeviceAnnce(1, CHILD, CHILD_IEEE), dst=0xFFFD, hops=1)
    assert r.nwk.neighbors.get(CHILD) is not None
    # hops unknown (0) counts as direct
    r.aps.indicate(CHILD, DeviceAnnce(2, CHILD, CHILD_IEEE), dst=0xFFFD, hops=0)
    assert r.nwk.neighbors.get(CHILD) is not None
    # a router child's announcement relayed back to us is no reason to drop it
    add_child(r.nwk, 0x3002, 0xC2, device_type=DeviceType.ROUTER, rx_on_when_idle=True)
    r.aps.indicate(0x3002, DeviceAnnce(3, 0x3002, 0xC2), dst=0xFFFD, hops=3)
    assert r.nwk.neighbors.get(0x3002) is not None
    assert r.zdo.stats.children_removed == 0


def test_dropping_a_child_purges_its_indirect_frames() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, CHILD, CHILD_IEEE)
    r.aps.clock.run(until=MOVED_QUIET_US)  # it has not polled us since
    r.nwk.nlme_leave_request(CHILD_IEEE)  # puts an indirect frame for the child in the MAC
    sent = r.mac.take()
    assert sent and sent[0].indirect
    r.aps.indicate(CHILD, DeviceAnnce(1, CHILD, CHILD_IEEE), dst=0xFFFD, hops=2)
    assert r.mac.purged == [sent[0].handle]


def test_a_neighbor_router_that_changed_address_is_renamed() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_neighbor(r.nwk, 0x2001, 0x21)
    r.aps.indicate(0x2999, DeviceAnnce(1, 0x2999, 0x21), dst=0xFFFD, hops=1)
    e = r.nwk.neighbors.get_by_ieee(0x21)
    assert e is not None and e.network_address == 0x2999
    assert r.nwk.neighbors.get(0x2001) is None


def test_own_announcement_is_ignored() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.aps.indicate(ME, DeviceAnnce(1, ME, IEEE), dst=0xFFFD)
    assert r.aps.noted == []


def test_parent_annce_and_its_response_drop_claimed_children() -> None:
    k = Kernel()
    air = FakeAir(k)
    a = make_zdo(0x1000, ieee=0xA0, kernel=k, air=air)
    b = make_zdo(0x2000, ieee=0xB0, kernel=k, air=air, seed=8)
    c = make_zdo(0x3000, ieee=0xC0, kernel=k, air=air, seed=9)
    for ieee in (0xE1, 0xE2, 0xE3):
        add_child(a.nwk, 0x1100 + ieee, ieee)
    add_child(a.nwk, 0x1200, 0xF1, device_type=DeviceType.ROUTER)  # not announced
    # B has E2 as its child too (E2 moved to B); C has E3 only as a router neighbour
    add_child(b.nwk, 0x2100, 0xE2)
    add_neighbor(c.nwk, 0x3100, 0xE3)
    pending = a.zdo.parent_annce()
    assert len(pending) == 1
    k.run(k.now() + 11_000_000)
    res = pending[0].result()
    assert res.ok and res.src_address == 0x2000
    assert res.responses == (
        (0x2000, ParentAnnceRsp(res.response.tsn, ZdoStatus.SUCCESS, (0xE2,))),
    )
    assert a.nwk.neighbors.get_by_ieee(0xE2) is None
    assert a.nwk.neighbors.get_by_ieee(0xE1) is not None
    assert b.nwk.neighbors.get_by_ieee(0xE2) is not None


def test_parent_annce_is_split_to_fit() -> None:
    r = make_zdo(ME, config=ZdoConfig.router(max_zdp_payload=34))  # 4 children a message
    for i in range(9):
        add_child(r.nwk, 0x3000 + i, 0xE0 + i)
    assert len(r.zdo.parent_annce()) == 3
    msgs = [s.msg for s in r.aps.take()]
    assert [m.children for m in msgs] == [
        (0xE0, 0xE1, 0xE2, 0xE3),
        (0xE4, 0xE5, 0xE6, 0xE7),
        (0xE8,),
    ]
    assert all(isinstance(m, ParentAnnce) for m in msgs)
    ed = make_zdo(0x6000, device_type=DeviceType.END_DEVICE)
    with pytest.raises(LocalProtocolError):
        ed.zdo.parent_annce()


def test_unsolicited_parent_annce_rsp_changes_nothing() -> None:
    r = make_zdo(ME)
    add_child(r.nwk, CHILD, CHILD_IEEE)
    r.aps.indicate(0x2000, ParentAnnceRsp(0x10, ZdoStatus.SUCCESS, (CHILD_IEEE,)))
    assert r.nwk.neighbors.get(CHILD) is not None
    assert r.zdo.stats.unsolicited_responses == 1
