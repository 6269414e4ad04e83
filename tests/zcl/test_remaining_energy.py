"""Smart plug metering on the fake APS network, literal virtual times: Electrical
Measurement follows the On/Off relay (load when on, standby when off) with values consistent
with its multiplier / divisor attributes; Metering integrates the power over the node's clock
(CurrentSummationDelivered) and InstantaneousDemand follows; both read over the air and
reported by the reporting engine on change and at the maximum interval; the reports as
Wireshark dissects them."""

from __future__ import annotations

from pathlib import Path

from tests.framing import over_air_zcl
from tests.tshark import assert_no_malformed, tshark_fields
from tests.zcl.zclfakes import CONTROLLER_IEEE, LIGHT, LIGHT_IEEE, MS, AppNode, S, pair
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.capture.pcap import write_pcap
from zigmesh.zcl.cluster import ClientCluster
from zigmesh.zcl.clusters.control import ON_OFF, OnOff
from zigmesh.zcl.clusters.energy import (
    ELECTRICAL_MEASUREMENT,
    METERING,
    ElectricalMeasurement,
    Metering,
)
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import SMART_PLUG
from zigmesh.zcl.engine import ZclEndpoint, ZclEvent
from zigmesh.zcl.foundation import (
    AttributeRecord,
    ReadAttributesResponse,
    ReportAttributes,
    foundation_frame,
)
from zigmesh.zcl.frame import Direction

PLUG = Destination.short(LIGHT, 1)
EM = ELECTRICAL_MEASUREMENT.id
MT = METERING.id
OO = ON_OFF.id
HOP = 5 * MS
MIN = 60 * S
#: mW x us in one Wh
WH = 1_000 * 3_600 * S


def _at(net: object, t: int) -> None:
    net.run(t)  # type: ignore[attr-defined]


def _hub(hn: AppNode) -> ZclEndpoint:
    clients = [
        ClientCluster(ON_OFF),
        ClientCluster(METERING),
        ClientCluster(ELECTRICAL_MEASUREMENT),
    ]
    return ZclEndpoint(hn, 1, [], clients)


def _custom(em: ElectricalMeasurement, meter: Metering) -> tuple[object, ZclEndpoint, ZclEndpoint]:
    net, pn, hn = pair()
    plug = ZclEndpoint(pn, 1, [OnOff({"on_off": True}), meter, em])
    return net, plug, _hub(hn)


def _read(net: object, hub: ZclEndpoint, cid: int, attrs: list[str], t: int) -> dict[int, object]:
    p = hub.clients[cid].read(PLUG, list(attrs))
    _at(net, t)
    resp = p.result().response
    assert isinstance(resp, ReadAttributesResponse)
    return {r.attribute_id: r.value for r in resp.records}


def test_smart_plug_measurement_follows_the_relay() -> None:
    net, pn, hn = pair()
    plug = SMART_PLUG.create(pn, 1)
    hub = _hub(hn)
    em = plug.servers[EM]
    assert isinstance(em, ElectricalMeasurement) and isinstance(plug.servers[MT], Metering)
    # plugged in and on: 60 W at 230 V, power factor 1 -> 0.261 A (mA: divisor 1000)
    got = _read(net, hub, EM, ["rms_voltage", "rms_current", "active_power", "power_factor"], S)
    assert got == {0x0505: 230, 0x0508: 261, 0x050B: 60, 0x0510: 100}
    hub.clients[OO].command(PLUG, "off")
    _at(net, 2 * S)
    assert (em["active_power"], em["apparent_power"], em["rms_current"]) == (1, 1, 4)
    assert plug.servers[MT]["instantaneous_demand"] == 1  # W (kW / 1000)
    hub.clients[OO].command(PLUG, "toggle")
    _at(net, 3 * S)
    assert (em["active_power"], em["rms_current"]) == (60, 261)
    em.set_load(1500.0)  # a kettle
    assert (em["active_power"], em["rms_current"], plug.servers[MT]["instantaneous_demand"]) == (
        1500,
        6522,
        1500,
    )
    # an application (the scenario's random_walk) setting ActivePower sets the load
    em["active_power"] = 2300
    assert em.load_w == 2300.0 and em["rms_current"] == 10000
    assert plug.servers[MT]["instantaneous_demand"] == 2300
    # not a writable attribute over the air
    p = hub.clients[EM].write(PLUG, {"active_power": 5})
    _at(net, 4 * S)
    assert em["active_power"] == 2300 and p.result().response is not None


def test_multiplier_and_divisor_are_honoured() -> None:
    em = ElectricalMeasurement(
        load_w=2345.6,
        power_factor=0.9,
        values={"ac_power_divisor": 10, "ac_voltage_divisor": 10, "ac_current_divisor": 100},
    )
    net, plug, hub = _custom(em, Metering())
    p_w, s_va = 2345.6, 2345.6 / 0.9
    assert em["active_power"] == round(p_w * 10) == 23456
    assert em["apparent_power"] == round(s_va * 10)
    assert em["rms_voltage"] == 2300
    assert em["rms_current"] == round(s_va / 230 * 100)
    assert em["power_factor"] == 90
    # each value times multiplier / divisor is the quantity, within half a step
    for attr, mul, div, amount in (
        ("active_power", "ac_power_multiplier", "ac_power_divisor", p_w),
        ("rms_current", "ac_current_multiplier", "ac_current_divisor", s_va / 230),
        ("rms_voltage", "ac_voltage_multiplier", "ac_voltage_divisor", 230.0),
    ):
        step = em.int_value(mul) / em.int_value(div)
        assert abs(em.int_value(attr) * step - amount) <= step / 2
    # a new divisor (set by the application) rescales at once; clamped to int16
    em["ac_power_divisor"] = 100
    assert em["active_power"] == 0x7FFF
    em["ac_power_divisor"] = 1
    em["ac_power_multiplier"] = 2
    assert em["active_power"] == round(p_w / 2)
    # Metering with Wh multiplier/divisor 1/1000 (kWh) and kWh x 10 (1/100)
    meter = plug.servers[MT]
    assert isinstance(meter, Metering)
    assert meter["instantaneous_demand"] == round(p_w)
    meter["divisor"] = 100  # demand in units of 10 W
    assert meter["instantaneous_demand"] == round(p_w / 10)


def test_summation_integrates_power_over_virtual_time() -> None:
    em = ElectricalMeasurement(load_w=2000.0, standby_w=1.0)
    meter = Metering(update_s=60)
    net, plug, hub = _custom(em, meter)
    oo = plug.servers[OO]
    _at(net, 3_600 * S)  # one hour at 2 kW
    assert meter["current_summation_delivered"] == 2000  # Wh (kWh / 1000)
    assert meter["instantaneous_demand"] == 2000
    oo["on_off"] = False
    assert meter["instantaneous_demand"] == 1
    _at(net, 3 * 3_600 * S)  # two hours at 1 W standby
    assert meter["current_summation_delivered"] == 2002
    assert meter.energy_mw_us == 2000 * 1000 * 3_600 * S + 1000 * 7_200 * S
    assert abs(meter.energy_kwh - 2.002) < 1e-12
    # a read between two updates is exact: brought up to date first
    oo["on_off"] = True
    _at(net, 3 * 3_600 * S + 90 * S)
    got = _read(net, hub, MT, ["current_summation_delivered"], 3 * 3_600 * S + 91 * S)
    assert got == {0x0000: 2002 + 2_000_000 * (90 * S + HOP) // WH}
    # a summation the application sets (a meter replaced) counts on from there
    meter["current_summation_delivered"] = 10_000
    _at(net, 4 * 3_600 * S + 91 * S)
    meter.refresh()  # between two minute updates: up to date now
    assert meter["current_summation_delivered"] == 12_000


def test_summation_without_a_timer_and_without_electrical_measurement() -> None:
    net, pn, hn = pair()
    meter = Metering(load_w=120.0, standby_w=0.0, update_s=0)
    plug = ZclEndpoint(pn, 1, [OnOff(), meter])
    hub = _hub(hn)
    assert meter["instantaneous_demand"] == 0  # off
    hub.clients[OO].command(PLUG, "on")
    _at(net, 30 * MIN)
    assert meter["current_summation_delivered"] == 0  # nothing ran it since
    got = _read(net, hub, MT, ["current_summation_delivered", "instantaneous_demand"], 31 * MIN)
    # on since the command arrived (one hop), read when the request arrived (one hop after 30 min)
    assert got == {0x0000: 120_000 * (30 * MIN) // WH, 0x0400: 120}
    assert plug.servers[MT] is meter
    powered: list[float] = [5.0]
    fixed = Metering(power_w=lambda: powered[0], update_s=0)
    ZclEndpoint(pn, 2, [fixed])
    _at(net, 31 * MIN + 3_600 * S)
    powered[0] = 0.0
    fixed.update()
    assert fixed["current_summation_delivered"] == 5


def test_metering_and_power_are_reported_on_change_and_at_max_interval() -> None:
    em = ElectricalMeasurement(load_w=2000.0, standby_w=1.0)
    meter = Metering(update_s=60)
    net, plug, hub = _custom(em, meter)
    pn = plug.node
    for cid in (MT, EM):
        assert (
            pn.aps.apsme_bind_request(LIGHT_IEEE, 1, cid, ApsAddrMode.IEEE, CONTROLLER_IEEE, 1) == 0
        )
    reports: list[tuple[int, int, int, int]] = []

    def seen(ev: ZclEvent) -> None:
        if isinstance(ev.command, ReportAttributes):
            for r in ev.command.records:
                assert isinstance(r.value, int)
                ind = ev.indication
                reports.append((ind.rx_time - HOP, ind.cluster_id, r.attribute_id, r.value))

    hub.listeners.append(seen)
    mt, emc = hub.clients[MT], hub.clients[EM]
    mt.configure_reporting(PLUG, "current_summation_delivered", 10, 600, 100)  # every 100 Wh
    mt.configure_reporting(PLUG, "instantaneous_demand", 1, 300, 10)
    emc.configure_reporting(PLUG, "active_power", 1, 300, 5)
    _at(net, 3_600 * S)
    summ = [(t, v) for t, c, a, v in reports if (c, a) == (MT, 0x0000)]
    # 2 kW: 100 Wh every 3 minutes, reported at the minute update that crosses it
    assert len(summ) >= 18
    for (t0, v0), (t1, v1) in zip(summ, summ[1:], strict=False):
        assert t1 - t0 >= 10 * S
        assert v1 - v0 >= 100
    for t, v in summ:
        assert v == 2_000_000 * t // WH  # the value at the instant it was sent
    demand = [(t, v) for t, c, a, v in reports if (c, a) == (MT, 0x0400)]
    power = [(t, v) for t, c, a, v in reports if (c, a) == (EM, 0x050B)]
    # no change: the maximum interval only (300 s)
    # (from the configuration's arrival, one hop after 0)
    assert [t for t, _ in demand] == [HOP + 300 * S * k for k in range(1, 12)]
    assert {v for _, v in power} == {2000}
    # switched off: demand and power reported at once (change 1999 > 10)
    t_off = 3_600 * S + 1 * S
    _at(net, t_off)
    plug.servers[OO]["on_off"] = False
    _at(net, t_off + S)
    assert demand[-1] != [(t, v) for t, c, a, v in reports if (c, a) == (MT, 0x0400)][-1]
    last = [(c, a, v) for t, c, a, v in reports if t_off <= t <= t_off + 2 * HOP]
    assert (MT, 0x0400, 1) in last and (EM, 0x050B, 1) in last
    # standby 1 W: 1 Wh an hour, below the reportable change: the maximum interval (600 s)
    n = len([1 for _, c, a, _ in reports if (c, a) == (MT, 0x0000)])
    _at(net, t_off + 3_600 * S)
    late = [(t, v) for t, c, a, v in reports if (c, a) == (MT, 0x0000)][n:]
    assert len(late) == 6
    assert all(b[0] - a[0] == 600 * S for a, b in zip(late, late[1:], strict=False))


def test_plug_reports_as_wireshark_dissects_them(tmp_path: Path) -> None:
    em = ElectricalMeasurement(load_w=2000.0, standby_w=1.0)
    meter = Metering(values={"current_summation_delivered": 0x0123_4567_89AB})
    net, plug, _ = _custom(em, meter)
    _at(net, 3_600 * S)
    meter.refresh()
    reports = (
        (MT, ("current_summation_delivered", "instantaneous_demand")),
        (EM, ("rms_voltage", "rms_current", "active_power")),
    )
    frames, sent = [], []
    for n, (cid, names) in enumerate(reports):
        server = plug.servers[cid]
        recs = []
        for name in names:
            a = server.definition.resolve(name)
            recs.append(AttributeRecord(a.id, a.type, server.value_of(a)))
            sent.append((a.id, server.value_of(a)))
        z = foundation_frame(ReportAttributes(tuple(recs)), n, Direction.SERVER_TO_CLIENT)
        frames.append((n * 1000, over_air_zcl(z.encode(), cid, seq=n)))
    pcap = tmp_path / "plug.pcap"
    write_pcap(pcap, frames)
    assert_no_malformed(pcap)
    assert sent == [
        (0x0000, 0x0123_4567_89AB + 2000),
        (0x0400, 2000),
        (0x0505, 230),
        (0x0508, 8696),
        (0x050B, 2000),
    ]
    fields = [
        "zbee_zcl_se.met.attr_id",
        "zbee_zcl_meas_sensing.elecmes.attr_id",
        "zbee_zcl.attr.uint48",
        "zbee_zcl.attr.int24",
        "zbee_zcl.attr.uint16",
        "zbee_zcl.attr.int16",
    ]
    met, elec = tshark_fields(pcap, fields)
    assert [int(x, 0) for x in met[0].split(",")] == [0x0000, 0x0400]
    assert (int(met[2], 0), int(met[3], 0)) == (0x0123_4567_89AB + 2000, 2000)
    assert [int(x, 0) for x in elec[1].split(",")] == [0x0505, 0x0508, 0x050B]
    assert [int(x, 0) for x in elec[4].split(",")] == [230, 8696]
    assert int(elec[5], 0) == 2000
