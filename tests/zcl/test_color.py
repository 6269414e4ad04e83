"""Color Control on the fake APS network, literal virtual times (one hop = 5 ms): hue by the
requested direction (wrapping), saturation, xy and color temperature transitions, continuous
moves to a bound or a stop, color loop, color modes, statuses, scenes."""

from __future__ import annotations

from tests.zcl.zclfakes import LIGHT, MS, S, pair
from zigmesh.zcl.clusters.lighting import COLOR_CONTROL, ColorMode
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import COLOR_DIMMER_SWITCH, COLOR_TEMPERATURE_LIGHT, EXTENDED_COLOR_LIGHT
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.foundation import ZclStatus

DST = Destination.short(LIGHT, 1)
HOP = 5 * MS
CC = COLOR_CONTROL.id


def _setup(ct_only: bool = False) -> tuple[object, ZclEndpoint, ZclEndpoint]:
    net, ln, cn = pair()
    light = (COLOR_TEMPERATURE_LIGHT if ct_only else EXTENDED_COLOR_LIGHT).create(ln, 1)
    sw = COLOR_DIMMER_SWITCH.create(cn, 1)
    light.servers[6]["on_off"] = True
    return net, light, sw


def _at(net: object, t: int) -> None:
    net.run(t)  # type: ignore[attr-defined]


def test_move_to_hue_directions_and_wrap() -> None:
    net, light, sw = _setup()
    cc, c = light.servers[CC], sw.clients[CC]
    cc["current_hue"] = 250
    c.command(
        DST, "move_to_hue", {"hue": 10, "direction": 0, "transition_time": 10}
    )  # shortest: up
    _at(net, HOP + 500 * MS)
    assert cc["current_hue"] in (0, 1, 2, 3, 254)  # across the wrap, half way
    _at(net, 2 * S)
    assert cc["current_hue"] == 10 and cc["enhanced_current_hue"] == 10 << 8
    assert (cc["color_mode"], cc["enhanced_color_mode"]) == (ColorMode.HUE_SATURATION,) * 2
    c.command(DST, "move_to_hue", {"hue": 20, "direction": 3, "transition_time": 10})  # down
    _at(net, 2 * S + HOP + 500 * MS)
    assert 130 < cc["current_hue"] < 145  # 10 -> (255 + 20) going down: half way ~ 142
    _at(net, 4 * S)
    assert cc["current_hue"] == 20
    p = sw.clients[CC].command(
        DST, "move_to_hue", {"hue": 20, "direction": 7, "transition_time": 0}
    )
    p2 = sw.clients[CC].command(
        DST, "move_to_hue", {"hue": 0xFF, "direction": 0, "transition_time": 0}
    )
    _at(net, 5 * S)
    assert p.result().status == p2.result().status == ZclStatus.INVALID_FIELD


def test_move_hue_runs_until_stopped_and_saturation_until_its_bound() -> None:
    net, light, sw = _setup()
    cc, c = light.servers[CC], sw.clients[CC]
    cc["current_hue"], cc["current_saturation"] = 0, 200
    c.command(DST, "move_hue", {"move_mode": 1, "rate": 100})
    _at(net, HOP + 3 * S)
    assert cc["current_hue"] == 300 % 255  # wrapped once
    c.command(DST, "stop_move_step")
    _at(net, 5 * S)
    held = cc["current_hue"]
    _at(net, 6 * S)
    assert cc["current_hue"] == held and not light.servers[CC].moving  # type: ignore[attr-defined]
    c.command(DST, "move_saturation", {"move_mode": 1, "rate": 50})
    _at(net, 8 * S)
    assert cc["current_saturation"] == 0xFE and not light.servers[CC].moving  # type: ignore[attr-defined]
    p = c.command(DST, "move_saturation", {"move_mode": 1, "rate": 0})
    p2 = c.command(DST, "move_hue", {"move_mode": 2, "rate": 5})
    _at(net, 9 * S)
    assert p.result().status == p2.result().status == ZclStatus.INVALID_FIELD


def test_xy_and_color_temperature() -> None:
    net, light, sw = _setup()
    cc, c = light.servers[CC], sw.clients[CC]
    c.command(DST, "move_to_color", {"color_x": 0x1000, "color_y": 0x2000, "transition_time": 20})
    _at(net, 3 * S)
    assert (cc["current_x"], cc["current_y"], cc["color_mode"]) == (0x1000, 0x2000, ColorMode.XY)
    c.command(DST, "step_color", {"step_x": -0x800, "step_y": 0x100, "transition_time": 0})
    _at(net, 4 * S)
    assert (cc["current_x"], cc["current_y"]) == (0x0800, 0x2100)
    c.command(
        DST, "move_to_color_temperature", {"color_temperature_mireds": 600, "transition_time": 5}
    )
    _at(net, 5 * S)
    assert (cc["color_temperature_mireds"], cc["color_mode"]) == (500, ColorMode.TEMPERATURE)
    c.command(
        DST,
        "move_color_temperature",
        {
            "move_mode": 3,
            "rate": 100,
            "color_temperature_minimum_mireds": 300,
            "color_temperature_maximum_mireds": 0,
        },
    )
    _at(net, 6 * S + HOP)
    assert 395 <= cc["color_temperature_mireds"] <= 405
    _at(net, 9 * S)
    assert cc["color_temperature_mireds"] == 300
    c.command(
        DST,
        "step_color_temperature",
        {
            "step_mode": 1,
            "step_size": 1000,
            "transition_time": 0,
            "color_temperature_minimum_mireds": 0,
            "color_temperature_maximum_mireds": 400,
        },
    )
    _at(net, 10 * S)
    assert cc["color_temperature_mireds"] == 400


def test_color_loop_and_execute_if_off() -> None:
    net, light, sw = _setup()
    cc, c = light.servers[CC], sw.clients[CC]
    cc["enhanced_current_hue"] = 0x1234
    args = {"update_flags": 0x0F, "action": 1, "direction": 1, "time": 10, "start_hue": 0x1000}
    c.command(DST, "color_loop_set", args)
    _at(net, HOP + 5 * S)
    assert (
        cc["color_loop_active"] == 1
        and cc["enhanced_color_mode"] == ColorMode.ENHANCED_HUE_SATURATION
    )
    assert abs(cc["enhanced_current_hue"] - (0x1000 + 0x8000)) < 0x0200  # half a loop in 5 s
    c.command(DST, "color_loop_set", {**args, "update_flags": 0x01, "action": 0})
    _at(net, 6 * S)
    assert cc["color_loop_active"] == 0 and cc["enhanced_current_hue"] == 0x1234
    # off: plain commands are ignored unless execute-if-off
    light.servers[6]["on_off"] = False
    c.command(DST, "move_to_saturation", {"saturation": 99, "transition_time": 0})
    _at(net, 7 * S)
    assert cc["current_saturation"] == 0
    c.command(
        DST,
        "move_to_saturation",
        {"saturation": 99, "transition_time": 0, "options_mask": 1, "options_override": 1},
    )
    _at(net, 8 * S)
    assert cc["current_saturation"] == 99


def test_color_scene_store_and_recall() -> None:
    net, light, sw = _setup(ct_only=True)
    cc = light.servers[CC]
    assert cc["color_capabilities"] == 0x0010 and cc["color_mode"] == ColorMode.TEMPERATURE
    cc["color_temperature_mireds"] = 370
    sc = sw.clients[0x0005]
    sc.command(DST, "store_scene", {"group_id": 0, "scene_id": 3})
    _at(net, 1 * S)
    cc["color_temperature_mireds"] = 160
    sc.command(DST, "recall_scene", {"group_id": 0, "scene_id": 3, "transition_time": 10})
    _at(net, 1 * S + HOP + 500 * MS)
    assert 240 < cc["color_temperature_mireds"] < 300
    _at(net, 3 * S)
    assert cc["color_temperature_mireds"] == 370
