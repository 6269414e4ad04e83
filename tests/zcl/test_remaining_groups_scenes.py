"""Groups with names (NameSupport bit 7: Add Group stores the name, View Group returns it) and
On/Off global scene control through the Scenes table (Off With Effect stores the global scene,
group 0 / scene 0; On With Recall Global Scene recalls it; ZCL 3.6.2.3, 3.8.2.3) on the fake
APS network, literal virtual times."""

from __future__ import annotations

from tests.zcl.zclfakes import LIGHT, MS, S, pair
from zigmesh.zcl.clusters.general import GROUPS, IDENTIFY, Groups
from zigmesh.zcl.clusters.scenes import GLOBAL_SCENE, SCENES, Scenes
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import COLOR_DIMMER_SWITCH, DIMMABLE_LIGHT, EXTENDED_COLOR_LIGHT
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.foundation import ZclStatus

DST = Destination.short(LIGHT, 1)
OO, LVL, COLOR = 0x0006, 0x0008, 0x0300


def _at(net: object, t: int) -> None:
    net.run(t)  # type: ignore[attr-defined]


def _setup(light_type: object = DIMMABLE_LIGHT) -> tuple[object, ZclEndpoint, ZclEndpoint]:
    net, ln, cn = pair()
    light = (
        EXTENDED_COLOR_LIGHT.create(ln, 1)
        if light_type is EXTENDED_COLOR_LIGHT
        else DIMMABLE_LIGHT.create(ln, 1)
    )
    return net, light, COLOR_DIMMER_SWITCH.create(cn, 1)


def test_group_names_stored_and_viewed() -> None:
    net, light, sw = _setup()
    groups = light.servers[GROUPS.id]
    assert isinstance(groups, Groups)
    g = sw.clients[GROUPS.id]
    p = g.read(DST, ["name_support"])
    _at(net, 1 * S)
    assert groups.names_supported and groups["name_support"] == 0x80
    g.command(DST, "add_group", {"group_id": 0x0101, "group_name": "kitchen"})
    g.command(DST, "add_group", {"group_id": 0x0102, "group_name": ""})
    long_name = "a name longer than sixteen"
    g.command(DST, "add_group", {"group_id": 0x0103, "group_name": long_name})
    # a duplicate keeps the first name
    dup = g.command(DST, "add_group", {"group_id": 0x0101, "group_name": "hall"})
    views = [g.command(DST, "view_group", {"group_id": gid}) for gid in (0x0101, 0x0102, 0x0103)]
    missing = g.command(DST, "view_group", {"group_id": 0x0999})
    _at(net, 2 * S)
    assert p.result().ok
    assert dup.result().response == {"status": ZclStatus.DUPLICATE_EXISTS, "group_id": 0x0101}
    assert [v.result().response for v in views] == [
        {"status": ZclStatus.SUCCESS, "group_id": 0x0101, "group_name": "kitchen"},
        {"status": ZclStatus.SUCCESS, "group_id": 0x0102, "group_name": ""},
        {"status": ZclStatus.SUCCESS, "group_id": 0x0103, "group_name": long_name[:16]},
    ]
    assert missing.result().response == {
        "status": ZclStatus.NOT_FOUND,
        "group_id": 0x0999,
        "group_name": "",
    }
    # removed, then added again without a name: the old name is gone
    g.command(DST, "remove_group", {"group_id": 0x0101})
    g.command(DST, "add_group", {"group_id": 0x0101, "group_name": ""})
    v = g.command(DST, "view_group", {"group_id": 0x0101})
    _at(net, 3 * S)
    assert v.result().response == {"status": 0, "group_id": 0x0101, "group_name": ""}
    # Add Group If Identifying stores the name too; Remove All Groups forgets every name
    light.servers[IDENTIFY.id]["identify_time"] = 10
    g.command(DST, "add_group_if_identifying", {"group_id": 0x0104, "group_name": "porch"})
    v = g.command(DST, "view_group", {"group_id": 0x0104})
    _at(net, 4 * S)
    assert v.result().response == {"status": 0, "group_id": 0x0104, "group_name": "porch"}
    g.command(DST, "remove_all_groups")
    _at(net, 5 * S)
    assert groups.names == {}


def test_group_names_not_kept_without_name_support() -> None:
    net, light, sw = _setup()
    groups = light.servers[GROUPS.id]
    assert isinstance(groups, Groups)
    groups["name_support"] = 0
    g = sw.clients[GROUPS.id]
    g.command(DST, "add_group", {"group_id": 0x0201, "group_name": "attic"})
    v = g.command(DST, "view_group", {"group_id": 0x0201})
    _at(net, 1 * S)
    assert v.result().response == {"status": 0, "group_id": 0x0201, "group_name": ""}
    assert groups.names == {}
    # local API: a name given by the application
    groups["name_support"] = 0x80
    assert groups.add(0x0202, "cellar") == ZclStatus.SUCCESS
    assert groups.name_of(0x0202) == "cellar" and groups.name_of(0x0201) == ""


def test_global_scene_stored_in_the_scenes_table_and_recalled() -> None:
    net, light, sw = _setup(EXTENDED_COLOR_LIGHT)
    oo, lvl, color = light.servers[OO], light.servers[LVL], light.servers[COLOR]
    scenes = light.servers[SCENES.id]
    assert isinstance(scenes, Scenes)
    c = sw.clients[OO]
    c.command(DST, "on")
    sw.clients[LVL].command(DST, "move_to_level", {"level": 90, "transition_time": 0})
    sw.clients[COLOR].command(
        DST, "move_to_hue_and_saturation", {"hue": 40, "saturation": 200, "transition_time": 0}
    )
    _at(net, 1 * S)
    assert (color["current_hue"], color["current_saturation"]) == (40, 200)
    c.command(DST, "off_with_effect", {"effect_identifier": 0, "effect_variant": 0})
    _at(net, 2 * S)
    assert (oo["on_off"], oo["global_scene_control"]) == (False, False)
    assert GLOBAL_SCENE in scenes.table and scenes["scene_count"] == 1
    stored = scenes.table[GLOBAL_SCENE].extensions
    assert set(stored) == {OO, LVL, COLOR}
    # a second Off With Effect while GlobalSceneControl is FALSE does not overwrite it
    lvl["current_level"] = 5
    c.command(DST, "off_with_effect", {"effect_identifier": 1, "effect_variant": 0})
    _at(net, 3 * S)
    assert scenes.table[GLOBAL_SCENE].extensions == stored
    color["current_hue"] = 7
    # a View Scene of group 0 / scene 0 shows it
    v = sw.clients[SCENES.id].command(DST, "view_scene", {"group_id": 0, "scene_id": 0})
    c.command(DST, "on_with_recall_global_scene")
    _at(net, 4 * S)
    assert v.result().response is not None
    assert v.result().response["status"] == ZclStatus.SUCCESS
    assert (oo["on_off"], oo["global_scene_control"]) == (True, True)
    assert (lvl["current_level"], color["current_hue"], color["current_saturation"]) == (
        90,
        40,
        200,
    )
    assert (scenes["current_group"], scenes["current_scene"], scenes["scene_valid"]) == (
        0,
        0,
        True,
    )
    # while GlobalSceneControl is TRUE the recall is discarded
    lvl["current_level"] = 33
    c.command(DST, "on_with_recall_global_scene")
    _at(net, 5 * S)
    assert lvl["current_level"] == 33


def test_on_sets_global_scene_control_and_off_with_effect_stores_again() -> None:
    net, light, sw = _setup()
    oo, lvl = light.servers[OO], light.servers[LVL]
    scenes = light.servers[SCENES.id]
    assert isinstance(scenes, Scenes)
    c = sw.clients[OO]
    c.command(DST, "on")
    sw.clients[LVL].command(DST, "move_to_level", {"level": 50, "transition_time": 0})
    _at(net, 1 * S)
    c.command(DST, "off_with_effect", {"effect_identifier": 0, "effect_variant": 1})
    _at(net, 2 * S)
    c.command(DST, "on")  # On: GlobalSceneControl TRUE again, no recall
    sw.clients[LVL].command(DST, "move_to_level", {"level": 120, "transition_time": 0})
    _at(net, 3 * S)
    assert oo["global_scene_control"] is True and lvl["current_level"] == 120
    c.command(DST, "off_with_effect", {"effect_identifier": 0, "effect_variant": 0})
    _at(net, 4 * S)
    lvl["current_level"] = 1
    c.command(DST, "on_with_recall_global_scene")
    _at(net, 5 * S)
    assert (oo["on_off"], lvl["current_level"]) == (True, 120)
    # a full scene table: the On/Off cluster keeps the global scene itself
    scenes.capacity = 0
    scenes.table.clear()
    lvl["current_level"] = 77
    c.command(DST, "off_with_effect", {"effect_identifier": 0, "effect_variant": 0})
    _at(net, 6 * S)
    assert GLOBAL_SCENE not in scenes.table
    lvl["current_level"] = 3
    c.command(DST, "on_with_recall_global_scene")
    _at(net, 6 * S + 100 * MS)
    assert (oo["on_off"], lvl["current_level"]) == (True, 77)
