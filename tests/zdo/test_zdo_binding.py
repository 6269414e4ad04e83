"""ZDP binding: Bind_req / Unbind_req edit the APS binding table, Mgmt_Bind_req pages it,
End_Device_Bind_req pairs two requests on the coordinator (Zigbee spec R22 2.4.3.2)."""

from __future__ import annotations

from tests.zdo.test_zdo_support import HA, LEVEL, ON_OFF, FakeAir, FakeBinding, make_zdo
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.nwk.tables import DeviceType
from zigmesh.sim.kernel import Kernel
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.zdp import (
    BindingTableRecord,
    BindReq,
    BindRsp,
    EndDeviceBindReq,
    EndDeviceBindRsp,
    MgmtBindReq,
    MgmtBindRsp,
    UnbindReq,
    UnbindRsp,
    ZdoStatus,
)

ME = 0x1234
IEEE = 0x00AA000000001234
PEER = 0x00BB0000000000BB
REQ = 0x0000


def test_bind_and_unbind_edit_the_binding_table() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.aps.indicate(REQ, BindReq(1, IEEE, 11, ON_OFF, PEER, 1))
    s = r.aps.one()
    assert s.acked and s.dst == REQ
    assert s.msg == BindRsp(1, ZdoStatus.SUCCESS)
    r.aps.indicate(REQ, BindReq(2, IEEE, 11, LEVEL, 0x0042))  # group destination
    assert r.aps.one().msg == BindRsp(2, ZdoStatus.SUCCESS)
    assert r.aps.bindings == [
        FakeBinding(IEEE, 11, ON_OFF, ApsAddrMode.IEEE, PEER, 1),
        FakeBinding(IEEE, 11, LEVEL, ApsAddrMode.GROUP, 0x0042, None),
    ]
    r.aps.indicate(REQ, UnbindReq(3, IEEE, 11, ON_OFF, PEER, 1))
    assert r.aps.one().msg == UnbindRsp(3, ZdoStatus.SUCCESS)
    r.aps.indicate(REQ, UnbindReq(4, IEEE, 11, ON_OFF, PEER, 1))
    assert r.aps.one().msg == UnbindRsp(4, ZdoStatus.NO_ENTRY)
    assert r.aps.bindings == [FakeBinding(IEEE, 11, LEVEL, ApsAddrMode.GROUP, 0x0042, None)]


def test_bind_statuses() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.aps.binding_capacity = 1
    # the source is another device: we are not its binding table cache
    r.aps.indicate(REQ, BindReq(1, PEER, 11, ON_OFF, IEEE, 1))
    assert r.aps.one().msg == BindRsp(1, ZdoStatus.NOT_SUPPORTED)
    # endpoints out of range
    r.aps.indicate(REQ, BindReq(2, IEEE, 0, ON_OFF, PEER, 1))
    assert r.aps.one().msg == BindRsp(2, ZdoStatus.INVALID_EP)
    r.aps.indicate(REQ, BindReq(3, IEEE, 0xFF, ON_OFF, PEER, 1))
    assert r.aps.one().msg == BindRsp(3, ZdoStatus.INVALID_EP)
    r.aps.indicate(REQ, BindReq(4, IEEE, 11, ON_OFF, PEER, 0))
    assert r.aps.one().msg == BindRsp(4, ZdoStatus.INVALID_EP)
    # table full
    r.aps.indicate(REQ, BindReq(5, IEEE, 11, ON_OFF, PEER, 1))
    assert r.aps.one().msg == BindRsp(5, ZdoStatus.SUCCESS)
    r.aps.indicate(REQ, BindReq(6, IEEE, 11, LEVEL, PEER, 1))
    assert r.aps.one().msg == BindRsp(6, ZdoStatus.TABLE_FULL)
    # broadcast Bind_req: ignored
    r.aps.indicate(REQ, BindReq(7, IEEE, 11, LEVEL, PEER, 1), dst=0xFFFF)
    assert r.aps.take() == []
    # binding switched off
    off = make_zdo(ME, ieee=IEEE, config=ZdoConfig.router(binding_supported=False))
    off.aps.indicate(REQ, UnbindReq(8, IEEE, 11, ON_OFF, PEER, 1))
    assert off.aps.one().msg == UnbindRsp(8, ZdoStatus.NOT_SUPPORTED)
    off.aps.indicate(REQ, MgmtBindReq(9, 0))
    assert off.aps.one().msg == MgmtBindRsp(9, ZdoStatus.NOT_SUPPORTED)


def test_mgmt_bind_pages_through_the_table() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.aps.binding_capacity = 10
    for c in range(7):
        dst_ep = None if c == 3 else 1
        mode = ApsAddrMode.GROUP if dst_ep is None else ApsAddrMode.IEEE
        r.aps.apsme_bind_request(
            IEEE, 11, 0x0100 + c, mode, 0x77 if dst_ep is None else PEER, dst_ep
        )
    recs = [
        BindingTableRecord(IEEE, 11, 0x0100 + c, 0x77 if c == 3 else PEER, None if c == 3 else 1)
        for c in range(7)
    ]
    # 74-byte responses: 3 records of up to 21 bytes
    for tsn, start in ((1, 0), (2, 3), (3, 6)):
        r.aps.indicate(REQ, MgmtBindReq(tsn, start))
        s = r.aps.one()
        assert s.acked and s.dst == REQ
        assert s.msg == MgmtBindRsp(
            tsn, ZdoStatus.SUCCESS, 7, start, tuple(recs[start : start + 3])
        )
        assert len(s.asdu) <= 74
    r.aps.indicate(REQ, MgmtBindReq(4, 9))
    assert r.aps.one().msg == MgmtBindRsp(4, ZdoStatus.SUCCESS, 7, 9, ())


def _edb(
    tsn: int, ieee: int, ep: int, target: int, ins: tuple[int, ...], outs: tuple[int, ...]
) -> EndDeviceBindReq:
    return EndDeviceBindReq(tsn, target, ieee, ep, HA, ins, outs)


SWITCH, LIGHT = 0x5001, 0x5002
SWITCH_IEEE, LIGHT_IEEE = 0x00CC0000000000C1, 0x00CC0000000000C2


def test_end_device_bind_pairs_two_requests_and_binds_the_sender() -> None:
    r = make_zdo(0x0000, device_type=DeviceType.COORDINATOR)
    t0 = r.clock.now()
    r.aps.indicate(SWITCH, _edb(10, SWITCH_IEEE, 1, SWITCH, (0x0000,), (ON_OFF, LEVEL)))
    assert r.aps.take() == []  # held, waiting for the partner
    r.clock.run(t0 + 3_000_000)
    r.aps.indicate(LIGHT, _edb(20, LIGHT_IEEE, 3, LIGHT, (0x0000, ON_OFF, LEVEL), ()))
    out = r.aps.take()
    rsps = [(s.dst, s.msg) for s in out if isinstance(s.msg, EndDeviceBindRsp)]
    assert rsps == [
        (SWITCH, EndDeviceBindRsp(10, ZdoStatus.SUCCESS)),
        (LIGHT, EndDeviceBindRsp(20, ZdoStatus.SUCCESS)),
    ]
    binds = [s for s in out if isinstance(s.msg, BindReq)]
    assert [s.dst for s in binds] == [SWITCH, SWITCH]
    got = [
        (m.src_address, m.src_endp, m.cluster_id, m.dst_address, m.dst_endp)
        for m in (s.msg for s in binds)
    ]
    assert got == [
        (SWITCH_IEEE, 1, ON_OFF, LIGHT_IEEE, 3),
        (SWITCH_IEEE, 1, LEVEL, LIGHT_IEEE, 3),
    ]
    assert all(s.acked for s in out)
    assert r.zdo.server.end_device_bind.binds_sent == 2
    # the pairing is over: the 10 s timer of the first request does not fire any more
    r.clock.run(t0 + 20_000_000)
    assert r.aps.take() == []


def test_end_device_bind_on_the_air_creates_the_binding_on_the_switch() -> None:
    k = Kernel()
    air = FakeAir(k)
    zc = make_zdo(0x0000, device_type=DeviceType.COORDINATOR, kernel=k, air=air)
    sw = make_zdo(SWITCH, ieee=SWITCH_IEEE, device_type=DeviceType.END_DEVICE, kernel=k, air=air)
    lt = make_zdo(LIGHT, ieee=LIGHT_IEEE, kernel=k, air=air)
    p1 = sw.zdo.request(0x0000, _edb(0, SWITCH_IEEE, 12, SWITCH, (), (ON_OFF,)))
    k.run(1_000_000)
    p2 = lt.zdo.request(0x0000, _edb(0, LIGHT_IEEE, 11, LIGHT, (ON_OFF,), ()))
    k.run(2_000_000)
    assert p1.result().ok and p2.result().ok
    assert sw.aps.bindings == [
        FakeBinding(SWITCH_IEEE, 12, ON_OFF, ApsAddrMode.IEEE, LIGHT_IEEE, 11)
    ]
    assert lt.aps.bindings == []
    assert zc.zdo.outstanding == 0  # the Bind_rsp came back


def test_end_device_bind_no_match_and_timeout() -> None:
    r = make_zdo(0x0000, device_type=DeviceType.COORDINATOR)
    r.aps.indicate(SWITCH, _edb(1, SWITCH_IEEE, 1, SWITCH, (), (ON_OFF,)))
    r.aps.indicate(LIGHT, _edb(2, LIGHT_IEEE, 1, LIGHT, (0x0702,), ()))
    assert [(s.dst, s.msg) for s in r.aps.take()] == [
        (SWITCH, EndDeviceBindRsp(1, ZdoStatus.NO_MATCH)),
        (LIGHT, EndDeviceBindRsp(2, ZdoStatus.NO_MATCH)),
    ]
    # another profile: no match either
    r.aps.indicate(SWITCH, _edb(3, SWITCH_IEEE, 1, SWITCH, (), (ON_OFF,)))
    r.aps.indicate(LIGHT, EndDeviceBindReq(4, LIGHT, LIGHT_IEEE, 1, 0xC05E, (ON_OFF,), ()))
    assert {s.msg.status for s in r.aps.take()} == {ZdoStatus.NO_MATCH}
    # alone: TIMEOUT after exactly 10 s
    t0 = r.clock.now()
    r.aps.indicate(SWITCH, _edb(5, SWITCH_IEEE, 1, SWITCH, (), (ON_OFF,)))
    r.clock.run(t0 + 9_999_999)
    assert r.aps.take() == []
    # the same device asking again restarts the wait (new TSN)
    r.aps.indicate(SWITCH, _edb(6, SWITCH_IEEE, 1, SWITCH, (), (ON_OFF,)))
    r.clock.run(t0 + 19_999_998)
    assert r.aps.take() == []
    r.clock.run(t0 + 19_999_999)
    s = r.aps.one()
    assert (s.dst, s.time, s.msg) == (
        SWITCH,
        t0 + 19_999_999,
        EndDeviceBindRsp(6, ZdoStatus.TIMEOUT),
    )


def test_end_device_bind_only_on_the_coordinator_and_valid_endpoints() -> None:
    r = make_zdo(ME)
    r.aps.indicate(SWITCH, _edb(1, SWITCH_IEEE, 1, SWITCH, (), (ON_OFF,)))
    assert r.aps.one().msg == EndDeviceBindRsp(1, ZdoStatus.NOT_SUPPORTED)
    zc = make_zdo(0x0000, device_type=DeviceType.COORDINATOR)
    zc.aps.indicate(SWITCH, _edb(2, SWITCH_IEEE, 0xF1, SWITCH, (), (ON_OFF,)))
    assert zc.aps.one().msg == EndDeviceBindRsp(2, ZdoStatus.INVALID_EP)


def test_end_device_bind_with_the_coordinator_as_binding_target() -> None:
    zc = make_zdo(0x0000, ieee=0x00AA, device_type=DeviceType.COORDINATOR)
    zc.aps.indicate(SWITCH, _edb(1, SWITCH_IEEE, 1, 0x0000, (), (ON_OFF,)))
    zc.aps.indicate(LIGHT, _edb(2, LIGHT_IEEE, 2, LIGHT, (ON_OFF,), ()))
    out = zc.aps.take()
    assert all(isinstance(s.msg, EndDeviceBindRsp) for s in out)
    assert zc.aps.bindings == [FakeBinding(SWITCH_IEEE, 1, ON_OFF, ApsAddrMode.IEEE, LIGHT_IEEE, 2)]
