"""ZDP network management server (Zigbee spec R22 2.4.3.3): table reads with paging from the
real NWK tables, leave, permit joining, network update (ED scan, channel change)."""

from __future__ import annotations

from typing import Any

from tests.nwk.fakes import EXT_PAN
from tests.zdo.test_zdo_support import Rig, add_child, add_neighbor, make_zdo
from zigmesh.aps.commands import ApsStatus
from zigmesh.mac.primitives import MacStatus, MlmeScanConfirm, ScanType
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.commands import Leave
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.primitives import NwkStatus
from zigmesh.nwk.tables import DeviceType, Relationship, RouteStatus
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.descriptors import ServerMask
from zigmesh.zdo.zdo import CHANNEL_CHANGE_SENDS
from zigmesh.zdo.zdp import (
    MgmtLeaveReq,
    MgmtLeaveRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtNwkUpdateNotify,
    MgmtNwkUpdateReq,
    MgmtPermitJoiningReq,
    MgmtPermitJoiningRsp,
    MgmtRtgReq,
    MgmtRtgRsp,
    NeighborDeviceType,
    NeighborTableRecord,
    PermitJoining,
    RoutingTableRecord,
    RxOnWhenIdle,
    ZdoStatus,
)
from zigmesh.zdo.zdp import Relationship as ZdpRelationship

ME = 0x1234
IEEE = 0x00AA000000001234
REQ = 0x0000
S = 1_000_000


def _lqi_rig() -> tuple[Rig, list[NeighborTableRecord]]:
    r = make_zdo(ME, ieee=IEEE)
    r.nwk.nib.nwk_depth = 2
    add_neighbor(
        r.nwk,
        0x0000,
        0x01,
        relationship=Relationship.PARENT,
        device_type=DeviceType.COORDINATOR,
        lqi=250,
    )
    add_neighbor(r.nwk, 0x2001, 0x21, depth=2, permit_joining=True, lqi=120)
    add_neighbor(r.nwk, 0x2002, None, depth=3, permit_joining=False, lqi=90)
    # heard during a scan, another network: not listed
    add_neighbor(r.nwk, 0x3333, 0x33, extended_pan_id=0x1111, lqi=10)
    add_child(r.nwk, 0x3001, 0x31, lqi=200)
    add_child(r.nwk, 0x3002, 0x32, device_type=DeviceType.ROUTER, rx_on_when_idle=True, lqi=201)
    add_neighbor(
        r.nwk,
        0x3003,
        0x35,
        relationship=Relationship.PREVIOUS_CHILD,
        device_type=DeviceType.END_DEVICE,
        rx_on_when_idle=False,
        lqi=5,
    )
    ones = 0xFFFF_FFFF_FFFF_FFFF
    R, ED, ZC = (
        NeighborDeviceType.ROUTER,
        NeighborDeviceType.END_DEVICE,
        NeighborDeviceType.COORDINATOR,
    )
    ON, OFF = RxOnWhenIdle.ON, RxOnWhenIdle.OFF
    U, A, N = PermitJoining.UNKNOWN, PermitJoining.ACCEPTING, PermitJoining.NOT_ACCEPTING
    expected = [
        NeighborTableRecord(EXT_PAN, 0x01, 0x0000, ZC, ON, ZdpRelationship.PARENT, U, 1, 250),
        NeighborTableRecord(EXT_PAN, 0x21, 0x2001, R, ON, ZdpRelationship.SIBLING, A, 2, 120),
        NeighborTableRecord(EXT_PAN, ones, 0x2002, R, ON, ZdpRelationship.SIBLING, N, 3, 90),
        NeighborTableRecord(EXT_PAN, 0x31, 0x3001, ED, OFF, ZdpRelationship.CHILD, U, 3, 200),
        NeighborTableRecord(EXT_PAN, 0x32, 0x3002, R, ON, ZdpRelationship.CHILD, U, 3, 201),
        NeighborTableRecord(
            EXT_PAN, 0x35, 0x3003, ED, OFF, ZdpRelationship.PREVIOUS_CHILD, U, 0xFF, 5
        ),
    ]
    return r, expected


def test_mgmt_lqi_pages_the_neighbor_table() -> None:
    r, expected = _lqi_rig()
    got: list[NeighborTableRecord] = []
    for tsn, start in ((1, 0), (2, 3)):
        r.aps.indicate(REQ, MgmtLqiReq(tsn, start))
        s = r.aps.one()
        assert s.acked and s.dst == REQ and len(s.asdu) <= 74
        msg = s.msg
        assert isinstance(msg, MgmtLqiRsp)
        assert (msg.tsn, msg.status, msg.neighbor_table_entries, msg.start_index) == (
            tsn,
            ZdoStatus.SUCCESS,
            6,
            start,
        )
        assert len(msg.neighbor_table_list) == 3  # 5 + 3 x 22 bytes <= 74
        got.extend(msg.neighbor_table_list)
    assert got == expected
    r.aps.indicate(REQ, MgmtLqiReq(3, 6))
    assert r.aps.one().msg == MgmtLqiRsp(3, ZdoStatus.SUCCESS, 6, 6, ())


def test_mgmt_lqi_broadcast_is_ignored() -> None:
    r, _ = _lqi_rig()
    r.aps.indicate(REQ, MgmtLqiReq(1, 0), dst=0xFFFD)
    assert r.aps.take() == []


def test_mgmt_rtg_pages_the_routing_table() -> None:
    r = make_zdo(ME)
    now = r.clock.now()
    routes = []
    for i in range(20):
        dst, nh = 0x4000 + i, 0x2000 + i % 3
        status = RouteStatus.ACTIVE if i % 4 else RouteStatus.DISCOVERY_UNDERWAY
        r.nwk.routes.set_route(
            dst, nh, now, status=status, many_to_one=i == 5, route_record_required=i == 5
        )
        routes.append(RoutingTableRecord(dst, status, nh, False, i == 5, i == 5))
    r.nwk.routes.set_route(0x0042, 0x2000, now, group=True)  # a group route: not listed
    got: list[RoutingTableRecord] = []
    start = 0
    while True:
        r.aps.indicate(REQ, MgmtRtgReq(start, start))
        msg = r.aps.one().msg
        assert isinstance(msg, MgmtRtgRsp)
        assert (msg.routing_table_entries, msg.start_index) == (20, start)
        if not msg.routing_table_list:
            break
        assert len(msg.routing_table_list) <= 13  # (74 - 5) // 5
        got.extend(msg.routing_table_list)
        start += len(msg.routing_table_list)
    assert start == 20 and got == routes
    ed = make_zdo(0x6000, device_type=DeviceType.END_DEVICE)
    ed.aps.indicate(REQ, MgmtRtgReq(9, 0))
    assert ed.aps.one().msg == MgmtRtgRsp(9, ZdoStatus.NOT_SUPPORTED)


# -- leave ----------------------------------------------------------------------------------------


def test_mgmt_leave_answers_then_leaves_once_the_response_is_confirmed() -> None:
    r = make_zdo(ME, ieee=IEEE)
    left: list[tuple[bool, bool]] = []
    r.zdo.on_leave = lambda rc, rj: left.append((rc, rj))
    r.aps.indicate(REQ, MgmtLeaveReq(4, 0, remove_children=True, rejoin=True))
    s = r.aps.one()
    assert s.acked and s.msg == MgmtLeaveRsp(4, ZdoStatus.SUCCESS)
    assert left == []
    r.clock.run(r.clock.now() + 50_000)
    r.aps.confirm(s, ApsStatus.SUCCESS)
    assert left == [(True, True)]
    r.clock.run(r.clock.now() + 10 * S)
    assert left == [(True, True)]  # once


def test_mgmt_leave_without_confirm_leaves_after_the_delay_through_nlme_leave() -> None:
    r = make_zdo(ME, ieee=IEEE)
    t0 = r.clock.now()
    r.aps.indicate(REQ, MgmtLeaveReq(4, IEEE))
    r.aps.one()
    r.mac.take()
    r.clock.run(t0 + 2 * S - 1)
    assert r.mac.take() == []
    r.clock.run(t0 + 2 * S)
    # NLME-LEAVE.request: the leave announcement (request flag clear) is broadcast
    sent = r.mac.take()
    assert len(sent) == 1 and sent[0].dst == 0xFFFF
    cmd = sent[0].command
    assert isinstance(cmd, Leave) and not cmd.request and not cmd.rejoin


def test_mgmt_leave_of_a_child_and_of_a_stranger() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, 0x3001, 0x31)
    r.mac.take()
    r.aps.indicate(REQ, MgmtLeaveReq(1, 0x31, rejoin=True))
    assert r.aps.one().msg == MgmtLeaveRsp(1, ZdoStatus.SUCCESS)
    sent = r.mac.take()
    assert len(sent) == 1 and sent[0].dst == 0x3001 and sent[0].indirect
    f = NwkFrame.decode(sent[0].msdu)
    cmd = sent[0].command
    assert isinstance(cmd, Leave) and cmd.request and cmd.rejoin and f.dst_ieee == 0x31
    r.aps.indicate(REQ, MgmtLeaveReq(2, 0x99))
    assert r.aps.one().msg == MgmtLeaveRsp(2, NwkStatus.UNKNOWN_DEVICE)


def test_mgmt_leave_not_authorized() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.nwk.nib.nwk_leave_request_without_rejoin_allowed = False
    r.aps.indicate(REQ, MgmtLeaveReq(1, 0))
    assert r.aps.one().msg == MgmtLeaveRsp(1, ZdoStatus.NOT_AUTHORIZED)
    r.aps.indicate(REQ, MgmtLeaveReq(2, 0, rejoin=True))
    assert r.aps.one().msg == MgmtLeaveRsp(2, ZdoStatus.SUCCESS)
    r.nwk.nib.nwk_leave_request_allowed = False
    r.aps.indicate(REQ, MgmtLeaveReq(3, 0, rejoin=True))
    assert r.aps.one().msg == MgmtLeaveRsp(3, ZdoStatus.NOT_AUTHORIZED)


# -- permit joining -------------------------------------------------------------------------------


def test_mgmt_permit_joining_opens_for_the_duration() -> None:
    r = make_zdo(ME)
    t0 = r.clock.now()
    r.aps.indicate(REQ, MgmtPermitJoiningReq(5, 60))
    assert r.aps.one().msg == MgmtPermitJoiningRsp(5, ZdoStatus.SUCCESS)
    assert r.nwk.nib.nwk_permit_joining and r.mac.pib.mac_association_permit
    r.clock.run(t0 + 60 * S - 1)
    assert r.nwk.nib.nwk_permit_joining
    r.clock.run(t0 + 60 * S)
    assert not r.nwk.nib.nwk_permit_joining and not r.mac.pib.mac_association_permit
    # broadcast: applied, not answered
    r.aps.indicate(REQ, MgmtPermitJoiningReq(6, 0xFF), dst=0xFFFC)
    assert r.aps.take() == []
    assert r.nwk.nib.nwk_permit_joining
    # 0xFF is taken as 0xFE seconds (R21): closes again
    r.clock.run(r.clock.now() + 254 * S)
    assert not r.nwk.nib.nwk_permit_joining


def test_mgmt_permit_joining_trust_center_hook_and_end_device() -> None:
    cfg = ZdoConfig.coordinator(server_mask=ServerMask.PRIMARY_TRUST_CENTER)
    zc = make_zdo(0x0000, device_type=DeviceType.COORDINATOR, config=cfg)
    calls: list[int] = []
    zc.zdo.tc_permit_joining = calls.append
    zc.aps.indicate(0x1111, MgmtPermitJoiningReq(1, 30, 1))
    zc.aps.indicate(0x1111, MgmtPermitJoiningReq(2, 0, 0))  # TC_Significance 0: no TC policy
    assert calls == [30]
    assert not zc.nwk.nib.nwk_permit_joining
    ed = make_zdo(0x6000, device_type=DeviceType.END_DEVICE)
    ed.aps.indicate(REQ, MgmtPermitJoiningReq(3, 30))
    assert ed.aps.one().msg == MgmtPermitJoiningRsp(3, ZdoStatus.NOT_SUPPORTED)
    ed.aps.indicate(REQ, MgmtPermitJoiningReq(4, 30), dst=0xFFFC)
    assert ed.aps.take() == []


# -- network update -------------------------------------------------------------------------------


def _record_scans(r: Rig) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []

    def scan(scan_type: ScanType, channels: Any, duration: int = 3, page: int = 0) -> None:
        calls.append((scan_type, list(channels), duration))

    r.mac.mlme_scan_request = scan
    return calls


def _scan_confirm(r: Rig, energy: dict[int, int], status: MacStatus = MacStatus.SUCCESS) -> None:
    r.nwk._on_mac(
        MlmeScanConfirm(
            status, ScanType.ED, 0, (), tuple(energy.values()), (), tuple(energy.keys())
        )
    )


def test_mgmt_nwk_update_energy_scan_reports_the_highest_energy() -> None:
    r = make_zdo(ME)
    calls = _record_scans(r)
    r.nwk.stats.tx_frames = 321
    r.nwk.stats.tx_failures = 7
    mask = (1 << 11) | (1 << 15) | (1 << 25)
    r.aps.indicate(REQ, MgmtNwkUpdateReq.energy_scan(8, mask, 2, 2))
    assert calls == [(ScanType.ED, [11, 15, 25], 2)]
    _scan_confirm(r, {11: 40, 15: 200, 25: 90})
    assert r.aps.take() == []  # a second scan follows
    assert len(calls) == 2
    _scan_confirm(r, {11: 60, 15: 100, 25: 90})
    s = r.aps.one()
    assert s.acked and s.dst == REQ
    assert s.msg == MgmtNwkUpdateNotify(8, ZdoStatus.SUCCESS, mask, 321, 7, (60, 200, 90))


def test_mgmt_nwk_update_scan_retries_a_busy_mac_and_ignores_broadcasts() -> None:
    r = make_zdo(ME)
    calls = _record_scans(r)
    r.aps.indicate(REQ, MgmtNwkUpdateReq.energy_scan(1, 1 << 20, 0, 1), dst=0xFFFD)
    assert calls == [] and r.aps.take() == []
    r.aps.indicate(REQ, MgmtNwkUpdateReq.energy_scan(2, 1 << 20, 0, 1))
    _scan_confirm(r, {}, MacStatus.SCAN_IN_PROGRESS)
    t = r.clock.now()
    r.clock.run(t + 100_000)
    assert len(calls) == 2
    _scan_confirm(r, {20: 33})
    assert r.aps.one().msg == MgmtNwkUpdateNotify(2, ZdoStatus.SUCCESS, 1 << 20, 0, 0, (33,))
    # no 2.4 GHz channel, or ScanCount > 5
    r.aps.indicate(REQ, MgmtNwkUpdateReq.energy_scan(3, 1 << 5, 0, 1))
    assert r.aps.one().msg.status == ZdoStatus.INV_REQUESTTYPE
    r.aps.indicate(REQ, MgmtNwkUpdateReq.energy_scan(4, 1 << 20, 0, 6))
    assert r.aps.one().msg.status == ZdoStatus.INV_REQUESTTYPE


def test_mgmt_nwk_update_channel_change_after_the_broadcast_delivery_time() -> None:
    r = make_zdo(ME)
    phy: list[int] = []
    r.mac.mlme_set = lambda a, v: phy.append(v) if a == "phy_current_channel" else None
    r.nwk.nib.nwk_logical_channel = 11
    t0 = r.clock.now()
    r.aps.indicate(REQ, MgmtNwkUpdateReq.change_channel(1, 1 << 20, 7), dst=0xFFFD)
    assert r.aps.take() == []  # never answered
    assert r.nwk.nib.nwk_update_id == 7
    assert ZigbeeBeaconPayload.decode(r.mac.pib.mac_beacon_payload).nwk_update_id == 7
    delay = r.nwk.nib.nwk_network_broadcast_delivery_time * S
    r.clock.run(t0 + delay - 1)
    assert r.nwk.nib.nwk_logical_channel == 11 and phy == []
    r.clock.run(t0 + delay)
    assert r.nwk.nib.nwk_logical_channel == 20 and phy == [20]


def test_mgmt_nwk_update_change_parameters_and_bad_requests() -> None:
    r = make_zdo(ME)
    r.aps.indicate(REQ, MgmtNwkUpdateReq.change_parameters(1, 0x0000_7800, 9, 0x1111), dst=0xFFFD)
    assert r.nwk.nib.nwk_update_id == 9 and r.nwk.nib.nwk_manager_addr == 0x1111
    assert r.zdo.channel_mask == 0x0000_7800
    # two channels in a channel change: refused
    r.aps.indicate(REQ, MgmtNwkUpdateReq.change_channel(2, (1 << 20) | (1 << 21), 10))
    assert r.aps.one().msg.status == ZdoStatus.INV_REQUESTTYPE
    assert r.nwk.nib.nwk_update_id == 9
    r.aps.indicate(REQ, MgmtNwkUpdateReq(3, 1 << 20, 0x10))  # reserved ScanDuration
    assert r.aps.one().msg.status == ZdoStatus.INV_REQUESTTYPE


def test_change_channel_as_network_manager() -> None:
    r = make_zdo(ME)
    changed: list[int] = []
    r.zdo.channel_changed = changed.append
    r.nwk.nib.nwk_update_id = 4
    t0 = r.clock.now()
    r.zdo.change_channel(25)
    s = r.aps.one()
    # to every device (sleepy ones hear it from their parents), as zigpy does
    assert s.dst == 0xFFFF and not s.acked
    assert s.msg == MgmtNwkUpdateReq(s.msg.tsn, 1 << 25, 0xFE, nwk_update_id=5)
    bdt = r.nwk.nib.nwk_network_broadcast_delivery_time * S
    r.clock.run(t0 + bdt)
    assert r.nwk.nib.nwk_logical_channel == 25 and changed == [25]
    # sent CHANNEL_CHANGE_SENDS times over the delay (one broadcast may be lost by everyone)
    copies = r.aps.take()
    assert len(copies) == CHANNEL_CHANGE_SENDS - 1
    assert all(c.msg == s.msg and c.dst == 0xFFFF for c in copies)
    assert [c.time - t0 for c in copies] == [
        k * (bdt // CHANNEL_CHANGE_SENDS) for k in range(1, CHANNEL_CHANGE_SENDS)
    ]
