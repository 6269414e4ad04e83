"""Cluster behaviour on the fake APS network, literal virtual times (one hop = 5 ms):
On/Off (timed off, effects, global scene), Level Control transitions (with and without
On/Off, execute-if-off), Identify, Groups over the APS group table, Basic reset."""

from __future__ import annotations

from tests.zcl.zclfakes import LIGHT, MS, S, pair
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.zcl.clusters.general import GROUPS, IDENTIFY
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import DIMMABLE_LIGHT, DIMMER_SWITCH
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.foundation import ZclStatus

DST = Destination.short(LIGHT, 1)
HOP = 5 * MS


def _setup() -> tuple[object, ZclEndpoint, ZclEndpoint]:
    net, ln, cn = pair()
    return net, DIMMABLE_LIGHT.create(ln, 1), DIMMER_SWITCH.create(cn, 1)


def _at(net: object, t: int) -> None:
    net.run(t)  # type: ignore[attr-defined]


def test_on_off_toggle_and_on_with_timed_off() -> None:
    net, light, sw = _setup()
    oo = light.servers[6]
    c = sw.clients[6]
    c.command(DST, "toggle")
    _at(net, 1 * S)
    assert oo["on_off"] is True
    c.command(DST, "toggle")
    _at(net, 2 * S)
    assert oo["on_off"] is False
    # accept-only-when-on while off: discarded
    c.command(DST, "on_with_timed_off", {"on_off_control": 1, "on_time": 20, "off_wait_time": 30})
    _at(net, 3 * S)
    assert (oo["on_off"], oo["on_time"]) == (False, 0)
    # on for 2 s, then a 3 s off-wait during which timed-on commands only shorten the wait
    c.command(DST, "on_with_timed_off", {"on_off_control": 0, "on_time": 20, "off_wait_time": 30})
    _at(net, 3 * S + HOP)
    assert (oo["on_off"], oo["on_time"], oo["off_wait_time"]) == (True, 20, 30)
    _at(net, 4 * S + HOP)
    assert oo["on_time"] == 10
    _at(net, 5 * S + HOP)
    assert (oo["on_off"], oo["on_time"], oo["off_wait_time"]) == (False, 0, 0)


def test_on_with_timed_off_off_wait_and_off_resets_on_time() -> None:
    net, light, sw = _setup()
    oo = light.servers[6]
    oo["off_wait_time"] = 50
    sw.clients[6].command(
        DST, "on_with_timed_off", {"on_off_control": 0, "on_time": 5, "off_wait_time": 30}
    )
    _at(net, 1 * S)
    # off with OffWaitTime > 0: only the wait is shortened (min of both), it keeps counting
    assert oo["on_off"] is False and oo["off_wait_time"] == 30 - 10 + 1
    _at(net, 5 * S)
    assert oo["off_wait_time"] == 0
    oo["on_time"] = 100
    sw.clients[6].command(DST, "off")
    _at(net, 6 * S)
    assert oo["on_time"] == 0


def test_off_with_effect_and_on_with_recall_global_scene() -> None:
    net, light, sw = _setup()
    oo, lvl = light.servers[6], light.servers[8]
    c = sw.clients[6]
    c.command(DST, "on")
    sw.clients[8].command(DST, "move_to_level", {"level": 80, "transition_time": 0})
    _at(net, 1 * S)
    p = c.command(DST, "off_with_effect", {"effect_identifier": 0, "effect_variant": 2})
    _at(net, 2 * S)
    assert p.result().status == ZclStatus.SUCCESS
    assert (oo["on_off"], oo["global_scene_control"]) == (False, False)
    lvl["current_level"] = 10
    c.command(DST, "on_with_recall_global_scene")
    _at(net, 3 * S)
    assert (oo["on_off"], oo["global_scene_control"], lvl["current_level"]) == (True, True, 80)
    p = c.command(DST, "off_with_effect", {"effect_identifier": 1, "effect_variant": 1})
    _at(net, 4 * S)
    assert p.result().status == ZclStatus.INVALID_FIELD and oo["on_off"] is True


def test_move_to_level_transition_in_virtual_time() -> None:
    net, light, sw = _setup()
    lvl = light.servers[8]
    sw.clients[6].command(DST, "on")
    lvl["current_level"] = 0x10
    sw.clients[8].command(DST, "move_to_level", {"level": 0x60, "transition_time": 20})  # 2 s
    t0 = 10 * MS + HOP  # sent after the On, one hop
    _at(net, t0)
    assert (lvl["current_level"], lvl["remaining_time"]) == (0x10, 20)
    _at(net, t0 + 1 * S)
    assert (lvl["current_level"], lvl["remaining_time"]) == (0x38, 10)
    _at(net, t0 + 2 * S)
    assert (lvl["current_level"], lvl["remaining_time"]) == (0x60, 0)
    assert not lvl.transitioning  # type: ignore[attr-defined]


def test_move_step_stop_and_rates() -> None:
    net, light, sw = _setup()
    lvl = light.servers[8]
    c = sw.clients[8]
    sw.clients[6].command(DST, "on")
    lvl["current_level"] = 100
    c.command(DST, "move", {"move_mode": 1, "rate": 50})  # down 50 units/s
    _at(net, 1 * S + 10 * MS)
    assert lvl["current_level"] == 50
    c.command(DST, "stop")
    _at(net, 3 * S)
    assert lvl["current_level"] in (49, 50) and lvl["remaining_time"] == 0
    held = lvl["current_level"]
    c.command(DST, "step", {"step_mode": 0, "step_size": 250, "transition_time": 0})
    _at(net, 4 * S)
    assert lvl["current_level"] == 0xFE  # clamped to MaxLevel
    c.command(DST, "step", {"step_mode": 1, "step_size": 0xFE, "transition_time": 10})
    _at(net, 6 * S)
    assert lvl["current_level"] == 1  # MinLevel
    assert held < 0xFE
    # rate 0xff uses DefaultMoveRate (0xff: as fast as possible)
    c.command(DST, "move", {"move_mode": 0, "rate": 0xFF})
    _at(net, 7 * S)
    assert lvl["current_level"] == 0xFE


def test_with_on_off_switches_and_plain_commands_respect_execute_if_off() -> None:
    net, light, sw = _setup()
    oo, lvl = light.servers[6], light.servers[8]
    c = sw.clients[8]
    assert oo["on_off"] is False
    c.command(DST, "move_to_level", {"level": 40, "transition_time": 0})  # off: ignored
    _at(net, 1 * S)
    assert lvl["current_level"] == 0xFE
    c.command(  # ... unless the options override says execute-if-off
        DST,
        "move_to_level",
        {"level": 40, "transition_time": 0, "options_mask": 1, "options_override": 1},
    )
    _at(net, 2 * S)
    assert (lvl["current_level"], oo["on_off"]) == (40, False)
    c.command(DST, "move_to_level_with_on_off", {"level": 90, "transition_time": 10})
    _at(net, 2 * S + 2 * HOP)
    assert oo["on_off"] is True  # on at the start of the rise
    _at(net, 4 * S)
    assert lvl["current_level"] == 90
    c.command(DST, "move_with_on_off", {"move_mode": 1, "rate": 100})
    _at(net, 4 * S + 500 * MS)
    assert oo["on_off"] is True  # off only once it reaches MinLevel
    _at(net, 6 * S)
    assert (lvl["current_level"], oo["on_off"]) == (1, False)


def test_identify_counts_down_and_answers_queries_only_while_identifying() -> None:
    net, light, sw = _setup()
    ident = light.servers[3]
    sw_ident = sw.clients[3]
    p = sw_ident.command(DST, "identify_query", timeout_us=2 * S)
    _at(net, 3 * S)
    assert p.result().timed_out  # not identifying: no response at all
    sw_ident.command(DST, "identify", {"identify_time": 5})
    _at(net, 3 * S + 500 * MS)
    p = sw_ident.command(DST, "identify_query")
    _at(net, 4 * S)
    assert p.result().response == {"timeout": 5}
    _at(net, 6 * S)
    assert ident["identify_time"] == 3
    _at(net, 9 * S)
    assert ident["identify_time"] == 0
    sw.write_attributes(DST, IDENTIFY, {"identify_time": 2})
    _at(net, 9 * S + 500 * MS)
    assert ident["identify_time"] == 2
    _at(net, 12 * S)
    assert ident["identify_time"] == 0


def test_groups_over_the_aps_group_table() -> None:
    net, light, sw = _setup()
    g = sw.clients[4]
    table = light.aps.group_table
    p = g.command(DST, "add_group", {"group_id": 0x0101, "group_name": ""})
    _at(net, 1 * S)
    assert p.result().response == {"status": ZclStatus.SUCCESS, "group_id": 0x0101}
    assert table.is_member(0x0101, 1)
    p = g.command(DST, "add_group", {"group_id": 0x0101, "group_name": "x"})
    p2 = g.command(DST, "add_group", {"group_id": 0xFFF8, "group_name": ""})
    p3 = g.command(DST, "view_group", {"group_id": 0x0202})
    _at(net, 2 * S)
    assert p.result().response["status"] == ZclStatus.DUPLICATE_EXISTS  # type: ignore[index]
    assert p2.result().response["status"] == ZclStatus.INVALID_VALUE  # type: ignore[index]
    assert p3.result().response == {
        "status": ZclStatus.NOT_FOUND,
        "group_id": 0x0202,
        "group_name": "",
    }
    g.command(DST, "add_group", {"group_id": 0x0202, "group_name": ""})
    p = g.command(DST, "get_group_membership", {"group_list": ()})
    p2 = g.command(DST, "get_group_membership", {"group_list": (0x0202, 0x0303)})
    _at(net, 3 * S)
    r = p.result().response
    assert r == {"capacity": table.capacity - 2, "group_list": (0x0101, 0x0202)}
    assert p2.result().response == {"capacity": table.capacity - 2, "group_list": (0x0202,)}
    # a groupcast On reaches the light through the group
    sw.clients[6].command(Destination.group(0x0202), "on")
    _at(net, 4 * S)
    assert light.servers[6]["on_off"] is True
    p = g.command(DST, "remove_group", {"group_id": 0x0101})
    p2 = g.command(DST, "remove_group", {"group_id": 0x0101})
    _at(net, 5 * S)
    assert p.result().response == {"status": ZclStatus.SUCCESS, "group_id": 0x0101}
    assert p2.result().response == {"status": ZclStatus.NOT_FOUND, "group_id": 0x0101}
    # add group if identifying: only while identifying
    g.command(DST, "add_group_if_identifying", {"group_id": 0x0404, "group_name": ""})
    _at(net, 6 * S)
    assert not table.is_member(0x0404, 1)
    light.servers[3]["identify_time"] = 10
    g.command(DST, "add_group_if_identifying", {"group_id": 0x0404, "group_name": ""})
    _at(net, 7 * S)
    assert table.is_member(0x0404, 1)
    p = g.command(DST, "remove_all_groups")
    _at(net, 8 * S)
    assert p.result().ok and table.groups_of(1) == ()
    # a groupcast Add Group is acted on, never answered
    light.aps.apsme_add_group_request(0x0505, 1)
    p = g.command(Destination.group(0x0505), "add_group", {"group_id": 0x0606, "group_name": ""})
    _at(net, 9 * S)
    assert table.is_member(0x0606, 1) and light.stats.responses_sent == 9
    assert GROUPS.id == 0x0004 and ApsAddrMode.GROUP == 1


def test_basic_reset_to_factory_defaults_resets_the_endpoint() -> None:
    net, light, sw = _setup()
    light.servers[0]["location_description"] = "attic"
    light.servers[8]["on_level"] = 5
    light.servers[6]["on_off"] = True
    p = sw.send_command(DST, light.servers[0].definition, "reset_to_factory_defaults")
    _at(net, 1 * S)
    assert p.result().ok
    assert light.servers[0]["location_description"] == ""
    assert light.servers[8]["on_level"] == 0xFF and light.servers[6]["on_off"] is False
