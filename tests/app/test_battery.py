"""Power Configuration driven by the energy model: a sleepy sensor's BatteryPercentageRemaining
and BatteryVoltage follow the charge its simulated radio drew (a tiny battery so that minutes
of virtual time show), and the hub receives them as reports."""

from __future__ import annotations

from tests.nwk.nwkutil import SMALL_MEDIUM, S
from zigmesh.app import TEMPERATURE_SENSOR
from zigmesh.app.battery import radio_charge_mah
from zigmesh.app.hub import Hub
from zigmesh.sim.world import World
from zigmesh.zcl.clusters.general import PowerConfiguration, battery_voltage


def test_battery_attributes_follow_the_radio_charge() -> None:
    w = World(seed=4, medium=SMALL_MEDIUM)
    hub = Hub(w.add_node("hub", "coordinator", (0.0, 0.0)))
    node = w.add_node("sensor", "end_device", (20.0, 0.0), poll_interval_us=2 * S)
    ep = TEMPERATURE_SENSOR.create(node, 1)
    power = ep.servers[0x0001]
    assert isinstance(power, PowerConfiguration) and power["battery_percentage_remaining"] == 200
    meter = radio_charge_mah(w.radios["sensor"])
    power.used_mah, power.capacity_mah, power.update_s = meter, 0.05, 10
    power.update()
    assert w.run_until(lambda: hub.interviews_done == 1, 120 * S)
    seen = []
    for _ in range(12):
        w.run_for(60 * S)
        seen.append(power["battery_percentage_remaining"])
    left = 1 - meter() / 0.05
    assert abs(power["battery_percentage_remaining"] - 200 * left) <= 3  # updated every 10 s
    assert seen == sorted(seen, reverse=True) and seen[0] > seen[-1]
    assert abs(power["battery_voltage"] - 10 * battery_voltage(left)) <= 1  # 100 mV units
    # the hub configured reporting on it (hourly at most, or on a 1 % change): it has values
    rec = next(iter(hub.devices.values()))
    value, _at = rec.values[(1, 0x0001, 0x0021)]
    assert 0 < value < 200
