"""Thermostat weekly schedule (ZCL 6.3.2.3.2-6.3.2.3.4) on the fake APS network: Set / Get /
Clear Weekly Schedule with their statuses, the schedule running in virtual time (setpoints at
each transition, manual changes held until the next one, the Time cluster's local time), and
the frames as Wireshark dissects them."""

from __future__ import annotations

from pathlib import Path

from tests.framing import over_air_zcl
from tests.tshark import assert_no_malformed, tshark_fields
from tests.zcl.zclfakes import LIGHT, S, pair
from zigmesh.capture.pcap import write_pcap
from zigmesh.zcl.cluster import ClientCluster
from zigmesh.zcl.clusters.device import TIME
from zigmesh.zcl.clusters.hvac import THERMOSTAT, Thermostat, Transition, encode_transitions
from zigmesh.zcl.definitions import encode_args
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import THERMOSTAT_DEVICE
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.frame import Direction, FrameType, ZclFrame, ZclHeader

DST = Destination.short(LIGHT, 1)
TID = THERMOSTAT.id
MIN = 60 * S
DAY = 1_440 * MIN
HEAT, COOL = 0x01, 0x02
SATURDAY, SUNDAY, MONDAY = 0x40, 0x01, 0x02


def _at(net: object, t: int) -> None:
    net.run(t)


def _setup() -> tuple[object, Thermostat, ClientCluster]:
    net, tn, cn = pair()
    ep = THERMOSTAT_DEVICE.create(tn, 1)
    th = ep.servers[TID]
    assert isinstance(th, Thermostat)
    c = ClientCluster(THERMOSTAT)
    ZclEndpoint(cn, 1, [], [c])
    return net, th, c


def _set_args(days: int, mode: int, transitions: tuple[Transition, ...]) -> dict[str, object]:
    return {
        "number_of_transitions": len(transitions),
        "day_of_week_for_sequence": days,
        "mode_for_sequence": mode,
        "transitions": encode_transitions(transitions, mode),
    }


WORKDAY = (Transition(6 * 60 + 30, 2100, 2600), Transition(22 * 60, 1700, 2800))


def test_set_get_clear_weekly_schedule() -> None:
    net, th, c = _setup()
    p = c.command(DST, "set_weekly_schedule", _set_args(SATURDAY | MONDAY, HEAT | COOL, WORKDAY))
    heat_only = (Transition(8 * 60, 1900),)
    p2 = c.command(DST, "set_weekly_schedule", _set_args(SUNDAY, HEAT, heat_only))
    _at(net, 1 * S)
    assert p.result().status == p2.result().status == ZclStatus.SUCCESS
    assert th.schedule[(1, HEAT)] == (Transition(390, 2100), Transition(1320, 1700))
    assert th.schedule[(6, COOL)] == (Transition(390, None, 2600), Transition(1320, None, 2800))
    g = c.command(
        DST, "get_weekly_schedule", {"days_to_return": MONDAY | 0x04, "mode_to_return": 3}
    )
    g2 = c.command(DST, "get_weekly_schedule", {"days_to_return": SUNDAY, "mode_to_return": 3})
    g3 = c.command(DST, "get_weekly_schedule", {"days_to_return": 0x08, "mode_to_return": 1})
    _at(net, 2 * S)
    assert g.result().response == _set_args(MONDAY, HEAT | COOL, WORKDAY)
    assert g2.result().response == _set_args(SUNDAY, HEAT, heat_only)
    assert g3.result().response == _set_args(0x08, HEAT, ())
    c.command(DST, "clear_weekly_schedule")
    _at(net, 3 * S)
    assert th.schedule == {}


def test_weekly_schedule_statuses() -> None:
    net, th, c = _setup()
    ok = _set_args(MONDAY, HEAT, (Transition(60, 2000),))
    cases = [
        ({**ok, "day_of_week_for_sequence": 0}, ZclStatus.INVALID_FIELD),
        ({**ok, "mode_for_sequence": 0}, ZclStatus.INVALID_FIELD),
        ({**ok, "number_of_transitions": 2}, ZclStatus.MALFORMED_COMMAND),
        (_set_args(MONDAY, HEAT, (Transition(1440, 2000),)), ZclStatus.INVALID_VALUE),
        (_set_args(MONDAY, HEAT, (Transition(60, 3500),)), ZclStatus.INVALID_VALUE),  # > 30 C
        (_set_args(MONDAY, COOL, (Transition(60, None, 1000),)), ZclStatus.INVALID_VALUE),
        (
            _set_args(MONDAY, HEAT, tuple(Transition(m, 2000) for m in range(11))),
            ZclStatus.INSUFFICIENT_SPACE,
        ),
    ]
    ps = [c.command(DST, "set_weekly_schedule", args) for args, _ in cases]
    bad_get = c.command(DST, "get_weekly_schedule", {"days_to_return": 0, "mode_to_return": 1})
    _at(net, 1 * S)
    assert [p.result().status for p in ps] == [st for _, st in cases]
    assert bad_get.result().status == ZclStatus.INVALID_FIELD
    assert th.schedule == {}
    # the weekly capacity: 7 days x 10 transitions x 2 modes > 70
    th["number_of_weekly_transitions"] = 12
    ten = tuple(Transition(m, 2000) for m in range(10))
    p = c.command(DST, "set_weekly_schedule", _set_args(MONDAY, HEAT, ten))
    p2 = c.command(DST, "set_weekly_schedule", _set_args(SUNDAY, HEAT, ten))
    _at(net, 2 * S)
    assert (p.result().status, p2.result().status) == (
        ZclStatus.SUCCESS,
        ZclStatus.INSUFFICIENT_SPACE,
    )
    assert set(th.schedule) == {(1, HEAT)}


def test_schedule_runs_in_virtual_time() -> None:
    net, th, c = _setup()
    # day 0 of the clock is Saturday 2000-01-01; no Time set: the clock is the local time
    c.command(DST, "set_weekly_schedule", _set_args(SATURDAY | SUNDAY, HEAT | COOL, WORKDAY))
    _at(net, 1 * S)
    assert th["occupied_heating_setpoint"] == 2000  # not scheduling yet
    th["thermostat_programming_operation_mode"] = 1
    th._follow()  # the local API: schedule mode on (as a write would)
    # 00:00 Saturday: the latest transition is a week ago, Saturday 22:00 (Friday has none)
    assert th["occupied_heating_setpoint"] == 1700
    _at(net, 6 * 60 * MIN + 31 * MIN)
    assert (th["occupied_heating_setpoint"], th["occupied_cooling_setpoint"]) == (2100, 2600)
    th["occupied_heating_setpoint"] = 2300  # a manual change holds until the next transition
    _at(net, 12 * 60 * MIN)
    assert th["occupied_heating_setpoint"] == 2300
    _at(net, 22 * 60 * MIN + 1 * MIN)
    assert (th["occupied_heating_setpoint"], th["occupied_cooling_setpoint"]) == (1700, 2800)
    # Sunday 06:30 again; Monday (no schedule) keeps Sunday's last transition
    _at(net, DAY + 7 * 60 * MIN)
    assert th["occupied_heating_setpoint"] == 2100
    _at(net, 2 * DAY + 12 * 60 * MIN)
    assert th["occupied_heating_setpoint"] == 1700
    # a Write of ThermostatProgrammingOperationMode 0 stops it
    p = c.write(DST, {"thermostat_programming_operation_mode": 0})
    _at(net, 2 * DAY + 12 * 60 * MIN + S)
    assert p.result().ok and th._timer is None


def test_schedule_follows_the_time_cluster() -> None:
    net, th, c = _setup()
    c.command(DST, "set_weekly_schedule", _set_args(MONDAY, HEAT, (Transition(9 * 60, 2250),)))
    time = th.endpoint.servers[TIME.id]
    # Monday 2000-01-03 08:59:30 UTC, one hour ahead locally: already 09:59 local
    time["time"] = 2 * 86_400 + 8 * 3_600 + 59 * 60 + 30
    time["time_zone"] = 3_600
    _at(net, 1 * S)
    assert th.local_minutes() == (1, 9 * 60 + 59)
    c.write(DST, {"thermostat_programming_operation_mode": 1})
    _at(net, 2 * S)
    assert th["occupied_heating_setpoint"] == 2250


def test_schedule_frames_as_wireshark_dissects_them(tmp_path: Path) -> None:
    frames = []
    for n, (name, direction) in enumerate(
        (
            ("set_weekly_schedule", Direction.CLIENT_TO_SERVER),
            ("get_weekly_schedule_response", Direction.SERVER_TO_CLIENT),
        )
    ):
        cmd = THERMOSTAT.command_named(name)
        h = ZclHeader(FrameType.CLUSTER_SPECIFIC, direction, False, None, n, cmd.id)
        payload = encode_args(cmd, _set_args(SATURDAY | MONDAY, HEAT | COOL, WORKDAY))
        frames.append((n * 1000, over_air_zcl(ZclFrame(h, payload).encode(), TID, seq=n)))
    pcap = tmp_path / "schedule.pcap"
    write_pcap(pcap, frames)
    assert_no_malformed(pcap)
    names = [
        "zbee_zcl_hvac.thermostat.num_trans",
        "zbee_zcl_hvac.thermostat.day_sequence",
        "zbee_zcl_hvac.thermostat.mode_sequence",
        "zbee_zcl_hvac.thermostat.time",
        "zbee_zcl_hvac.thermostat.heat",
        "zbee_zcl_hvac.thermostat.cool",
    ]
    for row in tshark_fields(pcap, names):
        shown = dict(zip(names, row, strict=True))
        assert int(shown[names[0]], 0) == 2
        assert int(shown[names[1]], 0) == SATURDAY | MONDAY
        assert int(shown[names[2]], 0) == HEAT | COOL
        assert len(shown[names[3]].split(",")) == 2
        # setpoints in degrees Celsius (hundredths on the wire)
        assert [round(float(x) * 100) for x in shown[names[4]].split(",")] == [2100, 1700]
        assert [round(float(x) * 100) for x in shown[names[5]].split(",")] == [2600, 2800]
