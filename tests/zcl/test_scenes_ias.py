"""Scenes and IAS Zone on the fake APS network: store / recall / add / view / remove scenes
(with a transition in virtual time, group checks, capacity, scenes removed with their group);
IAS Zone enrollment with a CIE (trip-to-pair), status change notifications, test mode."""

from __future__ import annotations

from tests.zcl.zclfakes import CONTROLLER_IEEE, LIGHT, LIGHT_IEEE, MS, S, pair
from zigmesh.types import EUI64
from zigmesh.zcl.cluster import ClientCluster
from zigmesh.zcl.clusters.scenes import SCENES, Scenes, encode_extension_sets
from zigmesh.zcl.clusters.security import IAS_WD, IAS_ZONE, IasCie, IasWd, IasZone, ZoneType
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import CONTACT_SENSOR, DIMMABLE_LIGHT, DIMMER_SWITCH, WARNING_DEVICE
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.foundation import ZclStatus

DST = Destination.short(LIGHT, 1)


def _at(net: object, t: int) -> None:
    net.run(t)  # type: ignore[attr-defined]


def test_store_and_recall_scene_with_transition() -> None:
    net, ln, cn = pair()
    light = DIMMABLE_LIGHT.create(ln, 1)
    sw = DIMMER_SWITCH.create(cn, 1)
    sc = sw.clients[SCENES.id]
    ln.aps.apsme_add_group_request(0x0010, 1)
    oo, lvl, scenes = light.servers[6], light.servers[8], light.servers[5]
    assert isinstance(scenes, Scenes)
    oo["on_off"], lvl["current_level"] = True, 200
    p = sc.command(DST, "store_scene", {"group_id": 0x0010, "scene_id": 1})
    _at(net, 1 * S)
    assert p.result().response == {"status": 0, "group_id": 0x0010, "scene_id": 1}
    assert (scenes["scene_count"], scenes["current_scene"], scenes["scene_valid"]) == (1, 1, True)
    oo["on_off"], lvl["current_level"] = False, 20
    # recall over 2 s (transition time field, 1/10 s)
    sc.command(DST, "recall_scene", {"group_id": 0x0010, "scene_id": 1, "transition_time": 20})
    _at(net, 1 * S + 5 * MS + 1 * S)
    assert oo["on_off"] is True and 100 < lvl["current_level"] < 120
    _at(net, 4 * S)
    assert lvl["current_level"] == 200
    # view it: the extension field sets hold On/Off and Level Control
    p = sc.command(DST, "view_scene", {"group_id": 0x0010, "scene_id": 1})
    _at(net, 5 * S)
    r = p.result().response
    assert r["status"] == 0 and r["scene_name"] == ""  # type: ignore[index]
    assert r["extension_field_sets"] == encode_extension_sets({6: b"\x01", 8: b"\xc8"})  # type: ignore[index]


def test_scene_statuses_capacity_and_group_removal() -> None:
    net, ln, cn = pair()
    light = DIMMABLE_LIGHT.create(ln, 1)
    sw = DIMMER_SWITCH.create(cn, 1)
    sc = sw.clients[SCENES.id]
    scenes = light.servers[5]
    assert isinstance(scenes, Scenes)
    scenes.capacity = 2
    ext = encode_extension_sets({6: b"\x00", 8: b"\x10", 0x0300: b"\x01\x02"})
    add = {"group_id": 0, "transition_time": 3, "scene_name": "", "extension_field_sets": ext}
    ps = [sc.command(DST, "add_scene", {**add, "scene_id": i}) for i in (1, 2, 3)]
    p_bad = sc.command(DST, "add_scene", {**add, "group_id": 0x0777, "scene_id": 1})
    p_rm = sc.command(DST, "remove_scene", {"group_id": 0, "scene_id": 9})
    p_mem = sc.command(DST, "get_scene_membership", {"group_id": 0})
    p_mem_bad = sc.command(DST, "get_scene_membership", {"group_id": 0x0777})
    _at(net, 1 * S)
    assert [p.result().response["status"] for p in ps] == [0, 0, ZclStatus.INSUFFICIENT_SPACE]  # type: ignore[index]
    assert p_bad.result().response["status"] == ZclStatus.INVALID_FIELD  # type: ignore[index]
    assert p_rm.result().response["status"] == ZclStatus.NOT_FOUND  # type: ignore[index]
    assert p_mem.result().response == {
        "status": 0,
        "capacity": 0,
        "group_id": 0,
        "scene_list": (1, 2),
    }
    assert p_mem_bad.result().response == {
        "status": ZclStatus.INVALID_FIELD,
        "capacity": 0,
        "group_id": 0x0777,
    }
    # recall: the unknown cluster 0x0300 is ignored, the scene's own 3 s transition applies
    light.servers[6]["on_off"] = True
    p = sc.command(DST, "recall_scene", {"group_id": 0, "scene_id": 2})
    _at(net, 2 * S)
    assert p.result().status == ZclStatus.SUCCESS and light.servers[6]["on_off"] is False
    _at(net, 5 * S)
    assert light.servers[8]["current_level"] == 0x10
    p = sc.command(DST, "recall_scene", {"group_id": 0, "scene_id": 7})
    _at(net, 6 * S)
    assert p.result().status == ZclStatus.NOT_FOUND
    # a group's scenes go when the Groups cluster removes the group
    ln.aps.apsme_add_group_request(0x0020, 1)
    sc.command(DST, "remove_all_scenes", {"group_id": 0})
    sc.command(DST, "store_scene", {"group_id": 0x0020, "scene_id": 5})
    _at(net, 7 * S)
    assert list(scenes.table) == [(0x0020, 5)]
    sw.clients[4].command(DST, "remove_group", {"group_id": 0x0020})
    _at(net, 8 * S)
    assert scenes.table == {} and scenes["scene_count"] == 0


def test_ias_zone_enrolls_with_the_cie_and_notifies_it() -> None:
    net, zn, hn = pair()
    sensor = CONTACT_SENSOR.create(zn, 1)
    cie = IasCie()
    hub = ZclEndpoint(hn, 1, [], [cie])
    zone = sensor.servers[IAS_ZONE.id]
    assert isinstance(zone, IasZone) and zone["zone_type"] == ZoneType.CONTACT_SWITCH
    zone.set_status(0x0001)  # not enrolled: nobody is told
    _at(net, 1 * S)
    assert cie.alarms == []
    # trip-to-pair: the CIE writes its address, the zone asks to enroll, the CIE answers
    p = cie.write(DST, {"ias_cie_address": EUI64(CONTROLLER_IEEE)})
    _at(net, 2 * S)
    assert p.result().ok and zone.enrolled and zone["zone_id"] == 0
    assert cie.zones == {LIGHT_IEEE: 0}  # by the zone's IEEE address
    assert cie.zone_types == {0: ZoneType.CONTACT_SWITCH}
    zone.set_status(0x0000)  # closed
    zone.set_status(0x0001)  # open
    _at(net, 3 * S)
    assert [(a.zone_id, a.zone_status) for a in cie.alarms] == [(0, 0x0000), (0, 0x0001)]
    assert all(a.src_address == LIGHT for a in cie.alarms)
    # test mode for 2 s: the Test bit set, then cleared, each change notified
    p = cie.command(
        DST, "initiate_test_mode", {"test_mode_duration": 2, "current_zone_sensitivity_level": 1}
    )
    p2 = cie.command(
        DST, "initiate_test_mode", {"test_mode_duration": 2, "current_zone_sensitivity_level": 9}
    )
    _at(net, 4 * S)
    assert p.result().ok and p2.result().status == ZclStatus.INVALID_VALUE
    assert zone["zone_status"] == 0x0101
    _at(net, 7 * S)
    assert [a.zone_status for a in cie.alarms] == [0x0000, 0x0001, 0x0101, 0x0001]
    # a refused enrollment
    p = cie.command(DST, "zone_enroll_response", {"enroll_response_code": 1, "zone_id": 5})
    p2 = cie.command(DST, "zone_enroll_response", {"enroll_response_code": 9, "zone_id": 5})
    _at(net, 8 * S)
    assert not zone.enrolled and p2.result().status == ZclStatus.INVALID_FIELD
    assert hub.stats.responses_sent == 1  # the one enroll response


def test_ias_warning_device_sounds_for_the_duration() -> None:
    net, ln, cn = pair()
    siren = WARNING_DEVICE.create(ln, 1)
    hub = ZclEndpoint(cn, 1, [], [ClientCluster(IAS_WD)])
    wd = siren.servers[IAS_WD.id]
    assert isinstance(wd, IasWd) and siren.servers[IAS_ZONE.id]["zone_type"] == 0x0225
    wd["max_duration"] = 4
    c = hub.clients[IAS_WD.id]
    start = {
        "warning_info": 0x14,
        "warning_duration": 60,
        "strobe_duty_cycle": 50,
        "strobe_level": 1,
    }
    p = c.command(DST, "start_warning", start)
    _at(net, 1 * S)
    assert p.result().ok and (wd.warning, wd.strobe) == (1, True)  # burglar, with strobe
    _at(net, 4 * S + 10 * MS)
    assert (wd.warning, wd.strobe) == (0, False)  # capped at MaxDuration
    p = c.command(DST, "squawk", {"squawk_info": 0x08})
    p2 = c.command(DST, "start_warning", {**start, "warning_info": 0x70})
    p3 = c.command(DST, "start_warning", {**start, "strobe_duty_cycle": 101})
    _at(net, 5 * S)
    assert p.result().ok and p2.result().status == p3.result().status == ZclStatus.INVALID_FIELD
    assert [(kind, v) for _, kind, v in wd.history] == [
        ("warning", 1),
        ("warning", 0),
        ("squawk", 0x08),
    ]
