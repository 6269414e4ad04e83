"""Door Lock (PIN users, lock / unlock with and without the right PIN, relock in virtual time,
operation events to the bindings), Thermostat (setpoint limits, raise/lower, running state),
Time (runs with the node's clock), Poll Control (check-in to bindings, fast poll) on the fake
APS network."""

from __future__ import annotations

from tests.zcl.zclfakes import CONTROLLER_IEEE, LIGHT, LIGHT_IEEE, MS, S, pair
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.zcl.cluster import ClientCluster
from zigmesh.zcl.clusters.closures import DOOR_LOCK, DoorLock, LockState
from zigmesh.zcl.clusters.device import POLL_CONTROL, TIME, PollControl
from zigmesh.zcl.clusters.hvac import THERMOSTAT, SystemMode
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import DOOR_LOCK_CONTROLLER, DOOR_LOCK_DEVICE, THERMOSTAT_DEVICE
from zigmesh.zcl.engine import ZclEndpoint, ZclEvent
from zigmesh.zcl.foundation import WriteAttributesResponse, WriteAttributeStatusRecord, ZclStatus

DST = Destination.short(LIGHT, 1)


def _at(net: object, t: int) -> None:
    net.run(t)  # type: ignore[attr-defined]


def test_door_lock_pins_operations_and_events() -> None:
    net, ln, cn = pair()
    lock_ep = DOOR_LOCK_DEVICE.create(ln, 1)
    hub = DOOR_LOCK_CONTROLLER.create(cn, 1)
    ln.aps.apsme_bind_request(LIGHT_IEEE, 1, DOOR_LOCK.id, ApsAddrMode.IEEE, CONTROLLER_IEEE, 1)
    events: list[tuple[str, dict[str, object]]] = []

    def seen(ev: ZclEvent) -> None:
        if isinstance(ev.command, dict) and ev.header.command_id in (0x20, 0x21):
            events.append((hex(ev.header.command_id), ev.command))

    hub.listeners.append(seen)
    lock = lock_ep.servers[DOOR_LOCK.id]
    assert isinstance(lock, DoorLock)
    c = hub.clients[DOOR_LOCK.id]
    p_set = c.command(
        DST, "set_pin_code", {"user_id": 1, "user_status": 1, "user_type": 0, "pin_code": b"4321"}
    )
    p_short = c.command(
        DST, "set_pin_code", {"user_id": 2, "user_status": 1, "user_type": 0, "pin_code": b"12"}
    )
    p_dup = c.command(
        DST, "set_pin_code", {"user_id": 3, "user_status": 1, "user_type": 0, "pin_code": b"4321"}
    )
    _at(net, 1 * S)
    assert [p.result().response for p in (p_set, p_short, p_dup)] == [
        {"status": 0},
        {"status": 1},
        {"status": 3},
    ]
    p_bad = c.command(DST, "lock_door", {"pin_code": b"0000"})
    p_none = c.command(DST, "lock_door")
    _at(net, 2 * S)
    assert p_bad.result().response == p_none.result().response == {"status": 1}
    assert lock["lock_state"] == LockState.UNLOCKED and lock.wrong_codes == 2
    p = c.command(DST, "lock_door", {"pin_code": b"4321"})
    _at(net, 3 * S)
    assert p.result().response == {"status": 0} and lock.locked
    p = c.command(DST, "unlock_with_timeout", {"timeout": 5, "pin_code": b"4321"})
    _at(net, 4 * S)
    assert p.result().response == {"status": 0} and lock["lock_state"] == LockState.UNLOCKED
    _at(net, 8 * S + 10 * MS)
    assert lock.locked  # relocked 5 s after
    p = c.command(DST, "get_pin_code", {"user_id": 1})
    _at(net, 9 * S)
    assert p.result().response == {
        "user_id": 1,
        "user_status": 1,
        "user_type": 0,
        "pin_code": b"4321",
    }
    codes = [
        (cmd, e["operation_event_code"] if cmd == "0x20" else e["program_event_code"])
        for cmd, e in events
    ]
    assert codes == [
        ("0x21", 2),
        ("0x20", 3),
        ("0x20", 3),
        ("0x20", 1),
        ("0x20", 2),
        ("0x20", 0x0A),
    ]
    assert all(e.get("pin") == b"" for _, e in events)  # PINs never go back over the air


def test_thermostat_limits_raise_lower_and_running_state() -> None:
    net, ln, cn = pair()
    th_ep = THERMOSTAT_DEVICE.create(ln, 1)
    ctl = ZclEndpoint(cn, 1, [], [ClientCluster(THERMOSTAT)])
    th = th_ep.servers[THERMOSTAT.id]
    th["local_temperature"] = 1800  # 18 degC, heating setpoint 20: heating
    assert (
        th["thermostat_running_state"] == 0x0001
        and th["thermostat_running_mode"] == SystemMode.HEAT
    )
    p = ctl.write_attributes(DST, THERMOSTAT, {"occupied_heating_setpoint": 3500})
    p2 = ctl.write_attributes(DST, THERMOSTAT, {"occupied_heating_setpoint": 2500})  # dead band
    p3 = ctl.write_attributes(DST, THERMOSTAT, {"occupied_heating_setpoint": 1700})
    _at(net, 1 * S)
    assert p.result().response == WriteAttributesResponse(
        (WriteAttributeStatusRecord(ZclStatus.INVALID_VALUE, 0x0012),)
    )
    assert p2.result().response == p.result().response
    assert p3.result().ok and th["occupied_heating_setpoint"] == 1700
    assert th["thermostat_running_state"] == 0  # 18 > 17: idle
    ctl.clients[THERMOSTAT.id].command(DST, "setpoint_raise_lower", {"mode": 2, "amount": -10})
    _at(net, 2 * S)
    assert (th["occupied_heating_setpoint"], th["occupied_cooling_setpoint"]) == (1600, 2500)
    th["local_temperature"] = 2700
    assert th["thermostat_running_state"] == 0x0002  # cooling
    p = ctl.clients[THERMOSTAT.id].command(DST, "setpoint_raise_lower", {"mode": 7, "amount": 1})
    _at(net, 3 * S)
    assert p.result().status == ZclStatus.INVALID_FIELD


def test_time_runs_with_the_clock_and_poll_control_checks_in() -> None:
    net, ln, cn = pair()
    lock_ep = DOOR_LOCK_DEVICE.create(ln, 1)
    hub = ZclEndpoint(cn, 1, [], [ClientCluster(TIME), ClientCluster(POLL_CONTROL)])
    p = hub.write_attributes(DST, TIME, {"time": 800_000_000, "time_zone": 3600})
    _at(net, 1 * S)
    assert p.result().ok
    _at(net, 61 * S)
    p = hub.read_attributes(DST, TIME, ["time", "standard_time", "last_set_time"])
    _at(net, 62 * S)
    t = p.result().attributes()
    assert t[0x0000] == 800_000_061 and t[0x0006] == 800_003_661 and t[0x0008] == 800_000_000
    # check-in every 10 s (40 quarter seconds) to the bound hub, which asks for fast polling
    poll = lock_ep.servers[POLL_CONTROL.id]
    assert isinstance(poll, PollControl)
    ln.aps.apsme_bind_request(LIGHT_IEEE, 1, POLL_CONTROL.id, ApsAddrMode.IEEE, CONTROLLER_IEEE, 1)
    got: list[int] = []

    def checked_in(ev: ZclEvent) -> None:
        if ev.indication.cluster_id == POLL_CONTROL.id and ev.header.command_id == 0:
            got.append(ev.indication.rx_time)

    hub.listeners.append(checked_in)
    p = hub.write_attributes(DST, POLL_CONTROL, {"check_in_interval": 40})
    _at(net, 63 * S)
    assert p.result().ok
    _at(net, 95 * S)
    assert len(got) == 3 and got[1] - got[0] == 10 * S
    hub.clients[POLL_CONTROL.id].command(
        DST, "check_in_response", {"start_fast_polling": True, "fast_poll_timeout": 8}
    )
    _at(net, 96 * S)
    assert poll.fast_polling
    _at(net, 99 * S)
    assert not poll.fast_polling  # 8 quarter seconds later
    p = hub.write_attributes(DST, POLL_CONTROL, {"check_in_interval": 3})  # below LongPollInterval
    _at(net, 100 * S)
    assert p.result().response == WriteAttributesResponse(
        (WriteAttributeStatusRecord(ZclStatus.INVALID_VALUE, 0x0000),)
    )
