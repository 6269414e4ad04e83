"""Scenario TOML application keys (issue 8): ``device``, ``[[groups]]``, ``[[bindings]]`` and
``[[traffic]]`` actions parse into plain data; mistakes are named by table, key and problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from zigmesh.scenario.app_config import ActionSpec, BindingSpec, GroupSpec
from zigmesh.scenario.config import Scenario, ScenarioError, parse_scenario
from zigmesh.zcl.devices import DEVICE_TYPES

Doc = dict[str, Any]


def home() -> Doc:
    return {
        "seed": 3,
        "duration": "2m",
        "nodes": [
            {"role": "coordinator", "name": "hub", "position": [0, 0]},
            {
                "role": "router",
                "name": "lamp",
                "device": "dimmable_light",
                "count": 3,
                "grid": {"rows": 1, "cols": 3, "spacing": 8},
            },
            {"role": "router", "name": "plug", "device": "smart_plug", "position": [5, 5]},
            {"role": "end_device", "name": "sw", "device": "dimmer_switch", "position": [2, 6]},
            {
                "role": "end_device",
                "name": "temp",
                "device": "temperature_humidity_sensor",
                "position": [6, 2],
            },
            {"role": "end_device", "name": "door", "device": "contact_sensor", "position": [1, 3]},
            {"role": "end_device", "name": "lock", "device": "door_lock", "position": [3, 3]},
            {"role": "router", "name": "bare", "position": [4, 4]},
        ],
        "groups": [{"id": 0x10, "name": "all-lamps", "members": "lamp"}],
        "bindings": [
            {"from": "sw", "group": "all-lamps"},
            {"from": "sw", "to": "plug", "clusters": ["on_off"]},
        ],
        "traffic": [
            {"action": "toggle", "from": "sw", "every": "10s"},
            {"from": "temp", "to": "coordinator", "every": "20s", "size": 8},
            {"action": "level", "from": "sw", "every": "15s", "name": "dim"},
            {"action": "random_walk", "from": "temp", "every": "20s", "step": 25},
            {
                "action": "daily",
                "from": "temp",
                "every": "10s",
                "cluster": "relative_humidity",
                "min": 3000,
                "max": 6000,
                "cycle": "1m",
            },
            {"action": "open_close", "from": "door", "every": "30s"},
            {"action": "lock", "from": "lock", "every": "40s"},
        ],
    }


def parse(doc: Doc) -> Scenario:
    return parse_scenario(doc, "t.toml")


def test_application_keys_parse() -> None:
    s = parse(home())
    assert s.has_devices
    assert {n.name: n.device for n in s.nodes} == {
        "hub": None,
        "lamp-1": "dimmable_light",
        "lamp-2": "dimmable_light",
        "lamp-3": "dimmable_light",
        "plug": "smart_plug",
        "sw": "dimmer_switch",
        "temp": "temperature_humidity_sensor",
        "door": "contact_sensor",
        "lock": "door_lock",
        "bare": None,
    }
    assert s.groups == (GroupSpec(0x10, "all-lamps", ("lamp-1", "lamp-2", "lamp-3")),)
    assert s.bindings == (
        BindingSpec("sw", (0x0006, 0x0008), None, 0x10),
        BindingSpec("sw", (0x0006,), "plug", None),
    )
    # byte flows keep their own list (flow k -> cluster 0xFC00 + k), actions theirs
    assert [t.name for t in s.traffic] == ["temp->hub"]
    names = [a.name for a in s.actions]
    assert names == [
        "toggle:sw",
        "dim",
        "random_walk:temp",
        "daily:temp",
        "open_close:door",
        "lock:lock",
    ]
    walk, daily = s.actions[2], s.actions[3]
    assert (walk.cluster, walk.attribute, walk.step, walk.low, walk.high) == (
        0x0402,
        "measured_value",
        25,
        1500,
        3000,
    )
    assert (daily.cluster, daily.low, daily.high, daily.cycle_us) == (
        0x0405,
        3000,
        6000,
        60_000_000,
    )
    toggle = s.actions[0]
    assert isinstance(toggle, ActionSpec) and toggle.period_us == 10_000_000
    assert toggle.stop_us == 115_000_000 and toggle.start_us > max(n.join_at_us for n in s.nodes)
    assert list(toggle.times_us(0))[:2] == [toggle.start_us, toggle.start_us + 10_000_000]


def test_a_scenario_without_devices_has_no_application() -> None:
    doc = home()
    for n in doc["nodes"]:
        n.pop("device", None)
    for key in ("groups", "bindings"):
        del doc[key]
    doc["traffic"] = [t for t in doc["traffic"] if "action" not in t]
    s = parse(doc)
    assert not s.has_devices and s.actions == () and s.groups == () and s.bindings == ()


def _set(path: str, value: object) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *head, last = path.split(".")
        target: Any = doc
        for key in head:
            target = target[int(key)] if key.isdigit() else target[key]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _drop(path: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *head, last = path.split(".")
        target: Any = doc
        for key in head:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[last]

    return edit


VALID = ", ".join(sorted(DEVICE_TYPES))

ERRORS: list[tuple[str, Callable[[Doc], None], str]] = [
    (
        "unknown device",
        _set("nodes.1.device", "dimable_light"),
        f"nodes[1].device: must be a device type, one of {VALID}; got 'dimable_light'; did you"
        " mean 'dimmable_light'?",
    ),
    (
        "device not a string",
        _set("nodes.1.device", 3),
        f"nodes[1].device: must be a device type, one of {VALID}; got 3",
    ),
    (
        "device on the coordinator",
        _set("nodes.0.device", "dimmable_light"),
        "nodes[0].device: the coordinator runs the hub (it interviews the devices); device is"
        " for routers and end devices",
    ),
    (
        "group without id",
        _drop("groups.0.id"),
        "groups[0].id: missing (a group needs id and members)",
    ),
    (
        "group id reserved",
        _set("groups.0.id", 0xFFF8),
        "groups[0].id: must be a group id from 1 to 0xFFF7, got 65528",
    ),
    (
        "group member without groups cluster",
        _set("groups.0.members", ["lamp", "temp"]),
        "groups[0].members: temp is a temperature_humidity_sensor, which has no Groups server"
        " cluster",
    ),
    (
        "group member without device",
        _set("groups.0.members", "bare"),
        "groups[0].members: bare has no device (set device = ... on its node); group members"
        " are devices",
    ),
    (
        "group member unknown",
        _set("groups.0.members", ["lamp", "lmp-9"]),
        "groups[0].members[1]: no node or node group named 'lmp-9'; did you mean 'lamp-3'?",
    ),
    (
        "group key typo",
        _set("groups.0.member", "lamp"),
        "groups[0].member: unknown key (allowed: id, members, name); did you mean 'members'?",
    ),
    (
        "binding with both to and group",
        _set("bindings.0.to", "plug"),
        "bindings[0]: needs exactly one of to (a node) and group",
    ),
    (
        "binding to several nodes",
        _set("bindings.1.to", "lamp"),
        "bindings[1].to: must name one node (bind to a [[groups]] group for several), got 'lamp'",
    ),
    (
        "binding to an unknown group",
        _set("bindings.0.group", "bedroom"),
        "bindings[0].group: no [[groups]] entry named or numbered 'bedroom' (all-lamps)",
    ),
    (
        "binding from a light",
        _set("bindings.1.from", "lamp-1"),
        "bindings[1].clusters[0]: lamp-1 (dimmable_light) has no on_off client",
    ),
    (
        "binding cluster the target lacks",
        _set("bindings.1.clusters", ["level_control"]),
        "bindings[1].clusters[0]: the target has no level_control server",
    ),
    (
        "binding with nothing in common",
        _set("bindings.1", {"from": "sw", "to": "temp"}),
        "bindings[1]: sw (dimmer_switch) sends no command the target understands (on_off,"
        " level_control, color_control, door_lock)",
    ),
    (
        "unknown action",
        _set("traffic.0.action", "blink"),
        "traffic[0].action: must be one of toggle, level, random_walk, daily, open_close, lock,"
        " got 'blink'",
    ),
    (
        "action with a byte-flow key",
        _set("traffic.0.size", 8),
        "traffic[0].size: unknown key (allowed: action, cluster, cycle, every, from, max, min,"
        " name, start, step, stop)",
    ),
    (
        "toggle from a sensor",
        _set("traffic.0.from", "temp"),
        "traffic[0].from: temp is a temperature_humidity_sensor: it sends no toggle command",
    ),
    (
        "toggle without a binding",
        _set("bindings", [{"from": "sw", "to": "plug", "clusters": ["on_off"]}]),
        "traffic[2].from: sw has no level_control binding: add a [[bindings]] from it to a light"
        " or group",
    ),
    (
        "action from a node without device",
        _set("traffic.0.from", "bare"),
        "traffic[0].from: bare has no device (set device = ... on its node); actions are done by"
        " devices",
    ),
    (
        "random walk of a switch",
        _set("traffic.3.from", "sw"),
        "traffic[3].from: sw is a dimmer_switch: it measures nothing a random_walk action can"
        " drive (temperature_measurement, relative_humidity, illuminance_measurement,"
        " pressure_measurement, thermostat, electrical_measurement, metering)",
    ),
    (
        "random walk of a cluster the device lacks",
        _set("traffic.3.cluster", "pressure_measurement"),
        "traffic[3].cluster: temp (temperature_humidity_sensor) has no pressure_measurement server",
    ),
    (
        "daily with max below min",
        _set("traffic.4.max", 1000),
        "traffic[4]: max (1000) must be above min (3000)",
    ),
    (
        "cycle on a random walk",
        _set("traffic.3.cycle", "1h"),
        "traffic[3].cycle: only for daily actions",
    ),
    (
        "step on a toggle",
        _set("traffic.0.step", 3),
        "traffic[0].step: only for random_walk and daily actions",
    ),
    (
        "open_close of a light",
        _set("traffic.5.from", "lamp-2"),
        "traffic[5].from: lamp-2 is a dimmable_light, not an IAS zone (contact / motion sensor)",
    ),
    (
        "lock of a plug",
        _set("traffic.6.from", "plug"),
        "traffic[6].from: plug is a smart_plug, not a door lock",
    ),
    (
        "action without every",
        _drop("traffic.6.every"),
        "traffic[6].every: missing (an action needs from and every)",
    ),
    (
        "action name taken",
        _set("traffic.2.name", "toggle:sw"),
        "traffic[2].name: must be a new, non-empty name, got 'toggle:sw'",
    ),
]


@pytest.mark.parametrize(("label", "edit", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_application_validation_errors(
    label: str, edit: Callable[[Doc], None], message: str
) -> None:
    doc = copy.deepcopy(home())
    edit(doc)
    with pytest.raises(ScenarioError) as ei:
        parse(doc)
    assert str(ei.value) == f"t.toml: {message}", label
