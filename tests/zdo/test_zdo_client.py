"""ZDP client: requests resolve on their response (same cluster, TSN and source) or time out
at literal virtual times; broadcasts collect; table reads fetch every page; the APS address
resolver."""

from __future__ import annotations

import random

from tests.zdo.test_zdo_support import HA, ON_OFF, FakeAir, Rig, add_child, add_neighbor, make_zdo
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import TxOptions
from zigmesh.nwk.tables import DeviceType
from zigmesh.sim.kernel import Kernel
from zigmesh.zdo.client import ZdpResult
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.zdp import (
    MatchDescRsp,
    MgmtLqiRsp,
    NodeDescReq,
    NodeDescRsp,
    NwkAddrReq,
    NwkAddrRsp,
    ZdoStatus,
    ZdpCluster,
)

S = 1_000_000


def test_request_resolves_on_the_matching_response() -> None:
    r = make_zdo(0x0000, device_type=DeviceType.COORDINATOR)
    p = r.zdo.request(0x1234, NodeDescReq(0, 0x1234))
    s = r.aps.one()
    assert (s.dst, s.cluster_id, s.tx_options) == (0x1234, ZdpCluster.NODE_DESC_REQ, TxOptions.ACK)
    tsn = s.msg.tsn
    assert s.msg == NodeDescReq(tsn, 0x1234)
    # wrong TSN, wrong source, wrong cluster: not ours
    r.aps.indicate(0x1234, NodeDescRsp((tsn + 1) & 0xFF, ZdoStatus.SUCCESS, 0x1234))
    r.aps.indicate(0x9999, NodeDescRsp(tsn, ZdoStatus.SUCCESS, 0x1234))
    r.aps.indicate(0x1234, MatchDescRsp(tsn, ZdoStatus.SUCCESS, 0x1234))
    assert not p.done()
    assert r.zdo.stats.unsolicited_responses == 3
    r.aps.indicate(0x1234, NodeDescRsp(tsn, ZdoStatus.DEVICE_NOT_FOUND, 0x1234))
    res = p.result()
    assert res == ZdpResult(
        ZdoStatus.DEVICE_NOT_FOUND,
        NodeDescRsp(tsn, ZdoStatus.DEVICE_NOT_FOUND, 0x1234),
        0x1234,
        ((0x1234, NodeDescRsp(tsn, ZdoStatus.DEVICE_NOT_FOUND, 0x1234)),),
        None,
    )
    assert not res.ok and r.zdo.outstanding == 0


def test_request_times_out_at_exactly_ten_seconds() -> None:
    r = make_zdo(0x0000, device_type=DeviceType.COORDINATOR)
    t0 = r.clock.now()
    p = r.zdo.node_desc(0x1234)
    s = r.aps.one()
    r.aps.confirm(s, ApsStatus.SUCCESS)
    r.clock.run(t0 + 10 * S - 1)
    assert not p.done()
    r.clock.run(t0 + 10 * S)
    assert p.result() == ZdpResult(ZdoStatus.TIMEOUT, delivery=ApsStatus.SUCCESS)
    assert r.zdo.stats.timeouts == 1
    # a late response is unsolicited
    r.aps.indicate(0x1234, NodeDescRsp(s.msg.tsn, ZdoStatus.SUCCESS, 0x1234))
    assert r.zdo.stats.unsolicited_responses == 1


def test_custom_timeout_and_undeliverable_request() -> None:
    r = make_zdo(0x0000, device_type=DeviceType.COORDINATOR)
    t0 = r.clock.now()
    p = r.zdo.active_ep(0x1234, timeout_us=3 * S)
    r.clock.run(t0 + 3 * S)
    assert p.result().status == ZdoStatus.TIMEOUT
    r.aps.take()
    q = r.zdo.power_desc(0x1234)
    r.aps.confirm(r.aps.one(), ApsStatus.NO_ACK)
    assert q.result() == ZdpResult(ZdoStatus.TIMEOUT, delivery=ApsStatus.NO_ACK)


def test_config_timeout_is_the_default() -> None:
    r = make_zdo(0x0000, config=ZdoConfig.coordinator(request_timeout_us=2 * S))
    t0 = r.clock.now()
    p = r.zdo.node_desc(0x1234)
    r.clock.run(t0 + 2 * S)
    assert p.done()


def test_tsn_is_8_bit_from_a_random_start() -> None:
    a = make_zdo(0x0000, seed=1)
    b = make_zdo(0x0000, seed=2)
    assert a.zdo.next_tsn() == random.Random(1).getrandbits(8)
    assert b.zdo.next_tsn() == random.Random(2).getrandbits(8)
    for _ in range(300):
        assert 0 <= a.zdo.next_tsn() <= 0xFF


def _net(n: int = 3) -> tuple[Kernel, FakeAir, list[Rig]]:
    k = Kernel()
    air = FakeAir(k)
    rigs = [
        make_zdo(
            0x0000 if i == 0 else 0x1000 * i,
            ieee=0xA0 + i,
            device_type=DeviceType.COORDINATOR if i == 0 else DeviceType.ROUTER,
            kernel=k,
            air=air,
            seed=i + 1,
        )
        for i in range(n)
    ]
    return k, air, rigs


def test_broadcast_match_desc_collects_every_answer_until_the_timeout() -> None:
    k, _air, (zc, r1, r2) = _net()
    del r2.endpoints[11]  # r2 has no on/off server
    t0 = k.now()
    p = zc.zdo.match_desc(0xFFFD, HA, (ON_OFF,))
    k.run(t0 + 10 * S - 1)
    assert not p.done()
    k.run(t0 + 10 * S)
    res = p.result()
    assert res.ok and res.src_address == 0x1000
    assert [(src, m.match_list) for src, m in res.responses] == [(0x1000, (11,))]
    assert isinstance(res.response, MatchDescRsp)


def test_broadcast_without_answers_times_out() -> None:
    k, _air, (zc, _r1, _r2) = _net()
    p = zc.zdo.match_desc(0xFFFD, HA, (0x0702,))
    k.run(k.now() + 10 * S)
    assert p.result() == ZdpResult(ZdoStatus.TIMEOUT, delivery=ApsStatus.SUCCESS)


def test_nwk_addr_resolves_at_the_first_answer() -> None:
    k, _air, (zc, r1, _r2) = _net()
    t0 = k.now()
    p = zc.zdo.nwk_addr(0xA1)
    k.run(t0 + 2_000)  # FakeAir: 2 ms there, 2 ms back
    assert not p.done()
    k.run(t0 + 4_000)
    res = p.result()
    assert res.ok and res.response == NwkAddrRsp(res.response.tsn, ZdoStatus.SUCCESS, 0xA1, 0x1000)
    # the answer taught the address map
    assert zc.nwk.address_map.short_of(0xA1) == 0x1000


def test_resolve_address_for_the_aps() -> None:
    k, air, (zc, r1, _r2) = _net()
    got: list[int | None] = []
    assert zc.aps.resolver is not None
    zc.aps.resolver(0xA2, got.append)
    k.run(k.now() + 1 * S)
    assert got == [0x2000]
    # unknown IEEE address: None after the request timeout
    t0 = k.now()
    zc.aps.resolver(0xDEAD, got.append)
    k.run(t0 + 10 * S - 1)
    assert got == [0x2000]
    k.run(t0 + 10 * S)
    assert got == [0x2000, None]
    # our own, and a neighbour (a sleeping child never hears the broadcast): no request
    add_child(zc.nwk, 0x7001, 0xED)
    zc.aps.take()
    zc.aps.resolver(0xA0, got.append)
    zc.aps.resolver(0xED, got.append)
    assert zc.aps.take() == []
    k.run(k.now())
    assert got[-2:] == [0x0000, 0x7001]


def test_mgmt_lqi_client_fetches_every_page() -> None:
    k, _air, (zc, r1, _r2) = _net()
    for i in range(8):
        add_neighbor(r1.nwk, 0x5000 + i, 0xB000 + i, lqi=100 + i)
    t0 = k.now()
    p = zc.zdo.mgmt_lqi(0x1000)
    k.run(t0 + 1 * S)
    res = p.result()
    assert res.ok
    msg = res.response
    assert isinstance(msg, MgmtLqiRsp)
    assert msg.neighbor_table_entries == 8 and msg.start_index == 0
    assert [x.network_address for x in msg.neighbor_table_list] == [0x5000 + i for i in range(8)]
    assert r1.zdo.stats.answered["MGMT_LQI_REQ"] == 3  # 3 + 3 + 2
    one = zc.zdo.mgmt_lqi(0x1000, 3, all_pages=False)
    k.run(k.now() + 1 * S)
    page = one.result().response
    assert page is not None and page.start_index == 3
    assert [x.network_address for x in page.neighbor_table_list] == [0x5003, 0x5004, 0x5005]


def test_mgmt_lqi_client_partial_on_a_lost_page() -> None:
    k, air, (zc, r1, _r2) = _net()
    for i in range(5):
        add_neighbor(r1.nwk, 0x5000 + i, 0xB000 + i)
    pages = [0]

    def lose_second_request(src: object, s: object) -> bool:
        if getattr(s, "cluster_id", None) == ZdpCluster.MGMT_LQI_REQ:
            pages[0] += 1
            return pages[0] == 2
        return False

    air.drop = lose_second_request
    p = zc.zdo.mgmt_lqi(0x1000)
    k.run(k.now() + 1 * S)
    res = p.result()
    assert res.status == ZdoStatus.TIMEOUT and res.delivery == ApsStatus.NO_ACK
    assert res.response is not None and len(res.response.neighbor_table_list) == 3


def test_mgmt_rtg_and_bind_clients() -> None:
    k, _air, (zc, r1, _r2) = _net()
    for i in range(30):
        r1.nwk.routes.set_route(0x4000 + i, 0x0000, k.now())
    r1.aps.binding_capacity = 9
    from zigmesh.aps.primitives import ApsAddrMode

    for c in range(9):
        r1.aps.apsme_bind_request(0xA1, 1, c, ApsAddrMode.GROUP, 0x100 + c)
    pr = zc.zdo.mgmt_rtg(0x1000)
    pb = zc.zdo.mgmt_bind(0x1000)
    k.run(k.now() + 1 * S)
    rt = pr.result().response
    bt = pb.result().response
    assert rt is not None and len(rt.routing_table_list) == 30
    assert bt is not None and [b.dst_address for b in bt.binding_table_list] == [
        0x100 + c for c in range(9)
    ]


def test_client_wrappers_against_a_real_server() -> None:
    k, _air, (zc, r1, _r2) = _net()
    ps = [
        zc.zdo.node_desc(0x1000),
        zc.zdo.power_desc(0x1000),
        zc.zdo.active_ep(0x1000),
        zc.zdo.simple_desc(0x1000, 11),
        zc.zdo.ieee_addr(0x1000),
        zc.zdo.match_desc(0x1000, HA, (ON_OFF,)),
        zc.zdo.bind(0x1000, 0xA1, 11, ON_OFF, 0xA0, 1),
        zc.zdo.mgmt_permit_joining(0x1000, 30),
    ]
    k.run(k.now() + 1 * S)
    assert [p.result().status for p in ps] == [ZdoStatus.SUCCESS] * len(ps)
    assert ps[2].result().response.active_ep_list == (11, 12)
    assert ps[4].result().response.ieee_addr_remote_dev == 0xA1
    assert len(r1.aps.bindings) == 1
    u = zc.zdo.unbind(0x1000, 0xA1, 11, ON_OFF, 0xA0, 1)
    lv = zc.zdo.mgmt_leave(0x1000, rejoin=True)
    sc = zc.zdo.mgmt_nwk_update_scan(0x1000, 1 << 15)
    k.run(k.now() + 1 * S)
    assert u.result().ok and lv.result().ok and r1.aps.bindings == []
    assert not sc.done()  # the fake MAC never finishes the scan


def test_nwk_addr_request_sent_unicast_is_a_normal_request() -> None:
    r = make_zdo(0x0000)
    p = r.zdo.nwk_addr(0xA1, dst=0x1000)
    s = r.aps.one()
    assert s.dst == 0x1000 and s.acked
    assert s.msg == NwkAddrReq(s.msg.tsn, 0xA1)
    r.aps.indicate(0x1000, NwkAddrRsp(s.msg.tsn, ZdoStatus.DEVICE_NOT_FOUND, 0xA1, 0xFFFF))
    assert p.result().status == ZdoStatus.DEVICE_NOT_FOUND
    assert r.nwk.address_map.short_of(0xA1) is None
