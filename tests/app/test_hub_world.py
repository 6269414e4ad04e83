"""The hub on a secured simulated house: every device that announces itself is interviewed
(Node_Desc, Active_EP, Simple_Desc, Basic), bound to the hub and configured to report; the
IAS contact sensor enrolls; reports and alarms land in the registry with their virtual
timestamps; the registry exports as JSON."""

from __future__ import annotations

import json

from tests.nwk.nwkutil import SMALL_MEDIUM, S
from zigmesh.app import (
    CONTACT_SENSOR,
    DIMMABLE_LIGHT,
    IAS_ZONE,
    SMART_PLUG,
    TEMPERATURE_MEASUREMENT,
    TEMPERATURE_SENSOR,
    IasZone,
)
from zigmesh.app.hub import Hub, InterviewState
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.sim.world import World


def test_hub_interviews_binds_configures_and_records() -> None:
    w = World(seed=21, medium=SMALL_MEDIUM)
    hub = Hub(w.add_node("hub", "coordinator", (0.0, 0.0)))
    light = DIMMABLE_LIGHT.create(
        w.add_node("light", "router", (25.0, 0.0)), 11, {"basic": {"model_identifier": "lamp-1"}}
    )
    SMART_PLUG.create(
        w.add_node("plug", "router", (0.0, 25.0)), 1, {"basic": {"model_identifier": "plug-1"}}
    )
    sensor = TEMPERATURE_SENSOR.create(
        w.add_node("sensor", "end_device", (40.0, 10.0), poll_interval_us=2 * S),
        1,
        {
            "basic": {"model_identifier": "temp-1"},
            TEMPERATURE_MEASUREMENT.id: {"measured_value": 2000},
        },
    )
    door = CONTACT_SENSOR.create(
        w.add_node("door", "end_device", (10.0, 35.0), poll_interval_us=2 * S),
        1,
        {"basic": {"model_identifier": "door-1"}},
    )
    assert w.run_until(lambda: hub.interviews_done == 4, 240 * S), [
        (r.model, r.interview, r.interview_step) for r in hub.devices.values()
    ]
    recs = {r.model: r for r in hub.devices.values()}
    assert set(recs) == {"lamp-1", "plug-1", "temp-1", "door-1"}
    assert all(r.interview == InterviewState.DONE for r in recs.values())
    assert recs["lamp-1"].power_source == 0x01 and recs["temp-1"].power_source == 0x03
    assert recs["lamp-1"].endpoints[11] == light.descriptor
    assert recs["temp-1"].node_descriptor is not None
    for r in recs.values():
        assert r.interview_time_us is not None and 0 < r.interview_time_us < 120 * S
    # the sensor reports to the hub through the binding the hub made
    sn = w["sensor"]
    (b,) = [e for e in sn.aps.binding_table if e.cluster_id == TEMPERATURE_MEASUREMENT.id]
    assert (b.dst_addr_mode, b.dst_addr) == (ApsAddrMode.IEEE, w["hub"].eui64)
    assert sensor.reporting.configuration(TEMPERATURE_MEASUREMENT.id, 0) == (10, 300, 50)
    w.run_for(15 * S)
    changed_at = w.now_us
    sensor.servers[TEMPERATURE_MEASUREMENT.id]["measured_value"] = 2150
    w.run_for(10 * S)
    value, at = recs["temp-1"].values[(1, TEMPERATURE_MEASUREMENT.id, 0x0000)]
    assert value == 2150 and changed_at < at < changed_at + 2 * S
    # the light's on/off and level reports too
    light.servers[6]["on_off"] = True
    w.run_for(5 * S)
    assert recs["lamp-1"].values[(11, 0x0006, 0x0000)][0] is True
    # the contact sensor enrolled with the hub's CIE; its alarm is in the registry
    zone = door.servers[IAS_ZONE.id]
    assert isinstance(zone, IasZone) and zone.enrolled
    zone.set_status(0x0001)
    w.run_for(5 * S)
    assert [z for _, z in recs["door-1"].alarms] == [0x0001]
    summary = hub.summary()
    assert summary["devices"] == summary["interviewed"] == 4
    assert json.loads(json.dumps(summary))["registry"][0]["interview"] == "done"
    print(
        "\ninterview times (s):",
        {
            m: round(r.interview_time_us / S, 2)
            for m, r in sorted(recs.items())
            if r.interview_time_us
        },
    )


def test_interview_fails_for_a_silent_device_and_runs_again_when_it_returns() -> None:
    w = World(seed=22, medium=SMALL_MEDIUM)
    hub = Hub(w.add_node("hub", "coordinator", (0.0, 0.0)), retries=2, retry_us=2 * S)
    plug_node = w.add_node("plug", "router", (20.0, 0.0))
    SMART_PLUG.create(plug_node, 1, {"basic": {"model_identifier": "plug-9"}})
    # the plug loses power right after it announces itself
    assert w.run_until(lambda: len(hub.devices) == 1, 60 * S)
    w.power_off("plug")
    rec = next(iter(hub.devices.values()))
    assert w.run_until(lambda: rec.interview == InterviewState.FAILED, 120 * S)
    assert rec.model is None and rec.interview_done_us is None
    # back on: it joins again, announces itself, and this interview completes
    w.power_on("plug")
    assert w.run_until(lambda: rec.interview == InterviewState.DONE, 120 * S)
    assert rec.model == "plug-9" and rec.nwk == plug_node.network_address
    assert hub.summary()["interviewed"] == 1
