"""Attribute reporting on the fake APS network (ZCL 2.5.7-2.5.11): Configure Reporting and its
statuses, Read Reporting Configuration, reports to the bindings on change (by at least the
reportable change), at the maximum interval, never faster than the minimum; batching; stop
with 0xFFFF; the receive-side timeout. Literal virtual times."""

from __future__ import annotations

from tests.zcl.zclfakes import CONTROLLER, CONTROLLER_IEEE, LIGHT, LIGHT_IEEE, MS, S, pair
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.zcl.cluster import ClientCluster
from zigmesh.zcl.clusters.control import ON_OFF
from zigmesh.zcl.clusters.general import BASIC, POWER_CONFIGURATION
from zigmesh.zcl.clusters.measurement import TEMPERATURE_MEASUREMENT
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import DIMMABLE_LIGHT, TEMPERATURE_SENSOR
from zigmesh.zcl.engine import ZclEndpoint, ZclEvent
from zigmesh.zcl.foundation import (
    ConfigureReporting,
    ConfigureReportingResponse,
    ReadReportingConfigRecord,
    ReadReportingConfigurationResponse,
    ReceivedAttributeConfig,
    ReportAttributes,
    ReportedAttributeConfig,
    ReportingDirection,
    ReportingStatusRecord,
    ZclStatus,
)
from zigmesh.zcl.frame import Direction
from zigmesh.zcl.types import DataType

SENSOR = Destination.short(LIGHT, 1)
TEMP = 0x0402


def _world() -> tuple[object, ZclEndpoint, ZclEndpoint, list[tuple[int, ReportAttributes]]]:
    net, sn, hn = pair()
    sensor = TEMPERATURE_SENSOR.create(sn, 1, {TEMP: {"measured_value": 2000}})
    hub = ZclEndpoint(
        hn,
        1,
        [],
        [ClientCluster(TEMPERATURE_MEASUREMENT), ClientCluster(POWER_CONFIGURATION)],
    )
    for cluster in (TEMP, 0x0001):
        assert (
            sn.aps.apsme_bind_request(LIGHT_IEEE, 1, cluster, ApsAddrMode.IEEE, CONTROLLER_IEEE, 1)
            == 0
        )
    reports: list[tuple[int, ReportAttributes]] = []

    def seen(ev: ZclEvent) -> None:
        if isinstance(ev.command, ReportAttributes):
            reports.append((ev.indication.rx_time, ev.command))

    hub.listeners.append(seen)
    return net, sensor, hub, reports


def _at(net: object, t: int) -> None:
    net.run(t)  # type: ignore[attr-defined]


def test_reports_on_change_at_max_interval_never_faster_than_min() -> None:
    net, sensor, hub, reports = _world()
    temp = sensor.servers[TEMP]
    p = hub.clients[TEMP].configure_reporting(SENSOR, "measured_value", 5, 60, 50)
    _at(net, 1 * S)
    assert p.result().response == ConfigureReportingResponse(())
    assert sensor.reporting.configuration(TEMP, 0) == (5, 60, 50)
    p = hub.read_reporting_configuration(SENSOR, TEMPERATURE_MEASUREMENT, ["measured_value"])
    _at(net, 2 * S)
    assert p.result().response == ReadReportingConfigurationResponse(
        (ReportedAttributeConfig(0, DataType.INT16, 5, 60, 50),)
    )
    temp["measured_value"] = 2030  # +0.30 degC: below the reportable change
    _at(net, 3 * S)
    assert reports == []
    temp["measured_value"] = 2060  # +0.60 since the last report (none yet): report now
    _at(net, 4 * S)
    assert [(t, r.records[0].value) for t, r in reports] == [(3 * S + 5 * MS, 2060)]
    temp["measured_value"] = 2500  # within the minimum interval: held back until 8 s
    _at(net, 5 * S)
    temp["measured_value"] = 2600
    _at(net, 8 * S)
    assert len(reports) == 1
    _at(net, 9 * S)
    assert [(t, r.records[0].value) for t, r in reports][1] == (8 * S + 5 * MS, 2600)
    # a change that goes back before the minimum ends is not reported
    temp["measured_value"] = 2700
    temp["measured_value"] = 2610
    _at(net, 60 * S)
    assert len(reports) == 2
    # nothing changes: the maximum interval brings a report, 60 s after the last one
    _at(net, 68 * S + 10 * MS)
    assert [(t, r.records[0].value) for t, r in reports][2] == (68 * S + 5 * MS, 2610)
    _at(net, 200 * S)
    times = [t for t, _ in reports]
    assert times[3:] == [128 * S + 5 * MS, 188 * S + 5 * MS]
    assert all(b - a >= 5 * S for a, b in zip(times, times[1:], strict=False))
    # the hub kept the values with their timestamps
    assert hub.reporting.last_values[(LIGHT, 1, TEMP, 0)] == (2610, 188 * S + 5 * MS)
    assert sensor.stats.reports_sent == len(reports) == 5
    # max 0xFFFF: reporting stops
    p = hub.clients[TEMP].configure_reporting(SENSOR, "measured_value", 5, 0xFFFF, 50)
    _at(net, 201 * S)
    assert p.result().ok and sensor.reporting.configuration(TEMP, 0) is None
    temp["measured_value"] = -500
    _at(net, 400 * S)
    assert len(reports) == 5


def test_discrete_attribute_reports_every_change_and_max_zero_means_no_periodic_report() -> None:
    net, ln, cn = pair()
    light = DIMMABLE_LIGHT.create(ln, 1)
    hub = ZclEndpoint(cn, 1, [], [ClientCluster(ON_OFF)])
    ln.aps.apsme_bind_request(LIGHT_IEEE, 1, 0x0006, ApsAddrMode.IEEE, CONTROLLER_IEEE, 1)
    got: list[tuple[int, object]] = []
    hub.listeners.append(
        lambda ev: (
            got.append((ev.indication.rx_time, ev.command.records[0].value))  # type: ignore[union-attr]
            if isinstance(ev.command, ReportAttributes)
            else None
        )
    )
    p = hub.clients[6].configure_reporting(SENSOR, "on_off", 0, 0)
    _at(net, 1 * S)
    assert p.result().ok
    for i, t in enumerate((2, 3, 4)):
        light.servers[6]["on_off"] = i % 2 == 0
        _at(net, t * S)
    _at(net, 1000 * S)
    assert got == [(1 * S + 5 * MS, True), (2 * S + 5 * MS, False), (3 * S + 5 * MS, True)]


def test_reports_due_together_share_one_frame_and_go_to_every_binding() -> None:
    net, sensor, hub, reports = _world()
    power = sensor.servers[0x0001]
    for attr in ("battery_voltage", "battery_percentage_remaining"):
        p = hub.clients[0x0001].configure_reporting(SENSOR, attr, 1, 100, 1)
        _at(net, net.clock.now() + S)  # type: ignore[attr-defined]
        assert p.result().ok
    power["battery_voltage"] = 28
    power["battery_percentage_remaining"] = 150
    _at(net, 10 * S)
    (only,) = reports
    assert [(r.attribute_id, r.value) for r in only[1].records] == [(0x0020, 28), (0x0021, 150)]


def test_configure_reporting_statuses() -> None:
    net, sensor, hub, reports = _world()
    recs = (
        ReportedAttributeConfig(0x0000, DataType.UINT16, 1, 10, 5),  # wrong type
        ReportedAttributeConfig(0x0001, DataType.INT16, 1, 10, 5),  # not reportable
        ReportedAttributeConfig(0x0077, DataType.INT16, 1, 10, 5),  # no such attribute
        ReportedAttributeConfig(0x0000, DataType.INT16, 20, 10, 5),  # min > max
        ReportedAttributeConfig(0x0000, DataType.INT16, 1, 10, -5),  # negative change
        ReportedAttributeConfig(0x0003, DataType.UINT16, 1, 10, 5),  # fine
    )
    p = hub.request(SENSOR, TEMP, ConfigureReporting(recs))
    _at(net, 1 * S)
    R = ReportingDirection.REPORTED
    assert p.result().response == ConfigureReportingResponse(
        (
            ReportingStatusRecord(ZclStatus.INVALID_DATA_TYPE, R, 0x0000),
            ReportingStatusRecord(ZclStatus.UNREPORTABLE_ATTRIBUTE, R, 0x0001),
            ReportingStatusRecord(ZclStatus.UNSUPPORTED_ATTRIBUTE, R, 0x0077),
            ReportingStatusRecord(ZclStatus.INVALID_VALUE, R, 0x0000),
            ReportingStatusRecord(ZclStatus.INVALID_VALUE, R, 0x0000),
        )
    )
    assert sensor.reporting.configuration(TEMP, 0x0000) is None
    assert sensor.reporting.configuration(TEMP, 0x0003) == (1, 10, 5)
    p = hub.read_reporting_configuration(
        SENSOR, TEMPERATURE_MEASUREMENT, ["measured_value", "min_measured_value"]
    )
    p2 = hub.read_reporting_configuration(SENSOR, BASIC, [0x0000])
    _at(net, 2 * S)
    assert p.result().response == ReadReportingConfigurationResponse(
        (
            ReportingStatusRecord(ZclStatus.NOT_FOUND, R, 0x0000),
            ReportingStatusRecord(ZclStatus.UNREPORTABLE_ATTRIBUTE, R, 0x0001),
        )
    )
    assert p2.result().response == ReadReportingConfigurationResponse(
        (ReportingStatusRecord(ZclStatus.UNREPORTABLE_ATTRIBUTE, R, 0x0000),)
    )
    assert reports == []


def test_receive_side_timeout() -> None:
    net, sensor, hub, reports = _world()
    # the sensor tells the hub to expect temperature reports at least every 30 s
    p = sensor.request(
        Destination.short(CONTROLLER, 1),
        TEMP,
        ConfigureReporting((ReceivedAttributeConfig(0x0000, 30),)),
        direction=Direction.SERVER_TO_CLIENT,
    )
    _at(net, 1 * S)
    assert p.result().response == ConfigureReportingResponse(())
    rec = ReadReportingConfigRecord(ReportingDirection.RECEIVED, 0x0000)
    assert hub.reporting.read_configuration(hub.clients[TEMP], None, (rec,)) == (
        ReceivedAttributeConfig(0x0000, 30),
    )
    p = hub.clients[TEMP].configure_reporting(SENSOR, "measured_value", 1, 20, 10)
    _at(net, 50 * S)
    assert hub.reporting.timeouts == []  # reports every 20 s keep it alive
    p = hub.clients[TEMP].configure_reporting(SENSOR, "measured_value", 1, 0xFFFF, 10)
    _at(net, 200 * S)
    (to,) = hub.reporting.timeouts
    assert to.cluster_id == TEMP and to.attribute_id == 0
    last = max(t for t, _ in reports)
    assert to.time_us == last + 30 * S
