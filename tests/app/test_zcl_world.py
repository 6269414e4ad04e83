"""The application framework on a whole secured network in the simulator (real MAC, NWK, APS,
ZDO, trust center; fixed seed), checked by Wireshark:

1. ZDO answers Active_EP / Simple_Desc / Match_Desc from the ZCL endpoints.
2. A dimmer switch bound (ZDP Bind_req) to one light switches and dims it; the same switch,
   through a group the hub set up with the Groups cluster, controls two more lights; then,
   bound to the group of all three, each press (one bound transmission) changes all three
   lights; every state is read back over the air by the hub.
3. A sleepy temperature sensor, bound to the hub and configured by it over the air, reports on
   change (by at least the reportable change) and at the maximum interval, never faster than
   the minimum; the hub keeps each value with its virtual timestamp.
4. tshark decodes the capture (decrypted with ZigBeeAlliance09 only): no malformed frame, and
   the On/Off, Level Control, Groups, Read Attributes and Report Attributes commands carry the
   fields we sent.
"""

from __future__ import annotations

from pathlib import Path

from tests.nwk.nwkutil import SMALL_MEDIUM, S
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.pending import Pending
from zigmesh.sim.world import World
from zigmesh.zcl.cluster import ClientCluster
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF
from zigmesh.zcl.clusters.general import BASIC, GROUPS
from zigmesh.zcl.clusters.measurement import TEMPERATURE_MEASUREMENT
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import DIMMABLE_LIGHT, DIMMER_SWITCH, TEMPERATURE_SENSOR
from zigmesh.zcl.engine import HA, ZclEndpoint, ZclResult
from zigmesh.zcl.foundation import ConfigureReportingResponse
from zigmesh.zdo.zdp import ZdoStatus

ZBA09 = "5a6967426565416c6c69616e63653039"
GROUP = 0x0ABC
TEMP = 0x0402
MIN_S, MAX_S, CHANGE = 10, 60, 50


def _done(w: World, p: Pending[ZclResult], timeout_us: int = 30 * S) -> ZclResult:
    assert w.run_until(p, timeout_us)
    return p.result()


def test_switch_lights_and_reporting_sensor_on_a_secured_network(tmp_path: Path) -> None:
    pcap = tmp_path / "home.pcap"
    w = World(seed=8, medium=SMALL_MEDIUM, capture=pcap)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for name, pos in (("light1", (25.0, 0.0)), ("light2", (25.0, 25.0)), ("light3", (0.0, 25.0))):
        w.add_node(name, "router", pos)
    w.add_node("switch", "router", (-20.0, 10.0))
    w.add_node("sensor", "end_device", (40.0, 12.0), poll_interval_us=S)
    assert w.run_until(
        lambda: all(n.joined and (n.trust_center or n.has_unique_link_key) for n in w), 90 * S
    )
    w.run_for(3 * S)
    hub_node = w["hub"]
    lights = [DIMMABLE_LIGHT.create(w[f"light{i}"], 11) for i in (1, 2, 3)]
    switch = DIMMER_SWITCH.create(w["switch"], 1)
    sensor = TEMPERATURE_SENSOR.create(w["sensor"], 1, {TEMP: {"measured_value": 2100}})
    hub = ZclEndpoint(
        hub_node,
        1,
        [],
        [ClientCluster(c) for c in (BASIC, GROUPS, ON_OFF, LEVEL_CONTROL, TEMPERATURE_MEASUREMENT)],
        device_id=0x0005,  # configuration tool
    )
    l1, l2, l3 = (w[f"light{i}"] for i in (1, 2, 3))

    # -- 1. ZDO discovery answers from the endpoints ------------------------------------------
    p = hub_node.zdo.active_ep(l1.network_address)
    assert w.run_until(p, 10 * S) and p.result().response.active_ep_list == (11,)
    p2 = hub_node.zdo.simple_desc(l1.network_address, 11)
    assert w.run_until(p2, 10 * S)
    assert p2.result().response.simple_descriptor == lights[0].descriptor
    p3 = hub_node.zdo.match_desc(0xFFFD, HA, (LEVEL_CONTROL.id,))
    w.run_until(p3, 12 * S)
    found = {src for src, m in p3.result().responses if m.match_list == (11,)}
    assert found == {l1.network_address, l2.network_address, l3.network_address}

    # -- 2. a bound light and a group of two --------------------------------------------------
    sw = w["switch"]
    for cluster in (ON_OFF.id, LEVEL_CONTROL.id):
        pb = hub_node.zdo.bind(sw.network_address, sw.eui64, 1, cluster, l1.eui64, 11)
        assert w.run_until(pb, 10 * S) and pb.result().status == ZdoStatus.SUCCESS
    for node in (l2, l3):
        r = _done(
            w,
            hub.clients[GROUPS.id].command(
                Destination.short(node.network_address, 11),
                "add_group",
                {"group_id": GROUP, "group_name": ""},
            ),
        )
        assert r.response == {"status": 0, "group_id": GROUP}
    assert all(node.aps.group_table.is_member(GROUP, 11) for node in (l2, l3))

    def state(node_ep: tuple[object, ZclEndpoint]) -> tuple[object, object]:
        node, ep = node_ep
        dst = Destination.short(node.network_address, 11)  # type: ignore[attr-defined]
        a = _done(w, hub.read_attributes(dst, ON_OFF, ["on_off"])).attributes()
        b = _done(w, hub.read_attributes(dst, LEVEL_CONTROL, ["current_level"])).attributes()
        assert (a[0], b[0]) == (ep.servers[6]["on_off"], ep.servers[8]["current_level"])
        return a[0], b[0]

    pairs = list(zip((l1, l2, l3), lights, strict=True))
    bound, grouped = Destination.bound(), Destination.group(GROUP)
    presses = [
        ("on", {}, True, 0xFE),
        ("move_to_level", {"level": 60, "transition_time": 10}, True, 60),
        ("off", {}, False, 60),
    ]
    for cmd, args, on, level in presses:
        cluster = switch.clients[ON_OFF.id if cmd in ("on", "off") else LEVEL_CONTROL.id]
        for dst in (bound, grouped):
            assert _done(w, cluster.command(dst, cmd, args)).ok
        w.run_for(2 * S)  # transitions end, groupcasts spread
        assert [state(p) for p in pairs] == [(on, level)] * 3
    # the bound light answered each command with a Default Response; groupcasts get none
    assert switch.stats.requests_sent == 6 and switch.stats.received == 3
    assert [x.stats.default_responses_sent for x in lights] == [3, 0, 0]

    # -- 2b. the switch bound to the group of all three ------------------------------------------
    r = _done(
        w,
        hub.clients[GROUPS.id].command(
            Destination.short(l1.network_address, 11),
            "add_group",
            {"group_id": GROUP, "group_name": ""},
        ),
    )
    assert r.response == {"status": 0, "group_id": GROUP}
    for cluster in (ON_OFF.id, LEVEL_CONTROL.id):
        pb = hub_node.zdo.unbind(sw.network_address, sw.eui64, 1, cluster, l1.eui64, 11)
        assert w.run_until(pb, 10 * S) and pb.result().status == ZdoStatus.SUCCESS
        pb = hub_node.zdo.bind(sw.network_address, sw.eui64, 1, cluster, GROUP)
        assert w.run_until(pb, 10 * S) and pb.result().status == ZdoStatus.SUCCESS
    (gb, _) = [b for b in sw.aps.binding_table]
    assert (gb.dst_addr_mode, gb.dst_addr) == (ApsAddrMode.GROUP, GROUP)
    group_presses = [
        ("toggle", {}, True, 60),
        ("move_to_level_with_on_off", {"level": 30, "transition_time": 5}, True, 30),
        ("toggle", {}, False, 30),
    ]
    for cmd, args, on, level in group_presses:
        cluster = switch.clients[ON_OFF.id if cmd == "toggle" else LEVEL_CONTROL.id]
        assert _done(w, cluster.command(bound, cmd, args)).ok  # one press, through the binding
        w.run_for(2 * S)
        assert [state(p) for p in pairs] == [(on, level)] * 3

    # -- 3. the sleepy sensor reports to the hub ----------------------------------------------
    sn = w["sensor"]
    pb = hub_node.zdo.bind(sn.network_address, sn.eui64, 1, TEMP, hub_node.eui64, 1)
    assert w.run_until(pb, 15 * S) and pb.result().status == ZdoStatus.SUCCESS
    dst = Destination.short(sn.network_address, 1)
    r = _done(
        w,
        hub.clients[TEMP].configure_reporting(dst, "measured_value", MIN_S, MAX_S, CHANGE),
    )
    assert r.response == ConfigureReportingResponse(())
    start = w.now_us
    temp = sensor.servers[TEMP]
    script = [(5, 2120), (12, 2160), (14, 2300), (16, 2400), (40, 2420), (45, 2390)]
    for t, v in script:
        w.run(start + t * S)
        temp["measured_value"] = v
    w.run(start + 200 * S)
    sent = [t - start for t, c, _ in sensor.reporting.sent if c == TEMP]
    got = [rep for rep in hub.reporting.log if rep.cluster_id == TEMP]
    # change reports: 2160 at 12 s (>= 0.50 from 2100), 2400 held back to 22 s (min 10 s);
    # 2420 / 2390 stay within 0.50 of 2400: only the max interval reports them (82 s, 142 s)
    assert sent == [12 * S, 22 * S, 82 * S, 142 * S]
    assert [rep.value for rep in got] == [2160, 2400, 2390, 2390]
    assert all(b - a >= MIN_S * S for a, b in zip(sent, sent[1:], strict=False))
    assert all(0 < rep.time_us - start - s < 3 * S for rep, s in zip(got, sent, strict=True))
    value, at = hub.reporting.last_values[(sn.network_address, 1, TEMP, 0x0000)]
    assert (value, at) == (2390, got[-1].time_us)
    w.close()

    # -- 4. Wireshark -------------------------------------------------------------------------
    keys = {"link_keys": (ZBA09,)}
    assert_no_malformed(pcap, **keys)  # type: ignore[arg-type]

    def frames(fields: list[str], flt: str) -> list[list[str]]:
        """Each APS frame once (relays, NWK and APS retries dropped): its ``fields``."""
        rows = tshark_fields(pcap, ["zbee_nwk.src", "zbee_aps.counter", *fields], flt, **keys)  # type: ignore[arg-type]
        seen: dict[tuple[str, str], list[str]] = {}
        for r in rows:
            seen.setdefault((r[0], r[1]), r[2:])
        return list(seen.values())

    sw_addr = f"0x{sw.network_address:04x}"
    onoff = frames(
        [
            "zbee_nwk.src",
            "zbee_nwk.dst",
            "zbee_zcl_general.onoff.cmd.srv_rx.id",
            "zbee_aps.group",
        ],
        "zbee_zcl_general.onoff.cmd.srv_rx.id",
    )
    assert [(r[0], r[2]) for r in onoff] == [(sw_addr, "0x01")] * 2 + [(sw_addr, "0x00")] * 2 + [
        (sw_addr, "0x02")
    ] * 2
    # bound: unicast to light1; group (direct or bound): an NWK broadcast with the APS group
    l1_addr, grp = f"0x{l1.network_address:04x}", f"0x{GROUP:04x}"
    assert [(r[1], r[3]) for r in onoff] == [(l1_addr, ""), ("0xfffd", grp)] * 2 + [
        ("0xfffd", grp)
    ] * 2
    level = frames(
        [
            "zbee_zcl_general.level_control.cmd.srv_rx.id",
            "zbee_zcl_general.level_control.level",
            "zbee_zcl_general.level_control.transit_time",
        ],
        "zbee_zcl_general.level_control.cmd.srv_rx.id",
    )
    assert level == [["0x00", "60", "10"]] * 2 + [["0x04", "30", "5"]]
    groups = frames(
        ["zbee_zcl_general.groups.cmd_srv_rx.id", "zbee_zcl_general.groups.group_id"],
        "zbee_zcl_general.groups.cmd_srv_rx.id",
    )
    assert groups == [["0x00", f"0x{GROUP:04x}"]] * 3
    reports = frames(
        ["zbee_zcl.attr.id", "zbee_zcl_meas_sensing.tempmeas.attr.value"],
        "zbee_zcl.cmd.id == 0x0a && zbee_aps.cluster == 0x0402",
    )
    assert len(reports) == 4 and {r[0] for r in reports} <= {"0x0000", ""}
    assert [r[1] for r in reports] == ["2160", "2400", "2390", "2390"]
    reads = frames(
        ["zbee_zcl_general.onoff.attr.onoff"],
        "zbee_zcl.cmd.id == 0x01 && zbee_aps.cluster == 0x0006",
    )
    assert [r[0] for r in reads] == ["0x01"] * 6 + ["0x00"] * 3 + ["0x01"] * 6 + ["0x00"] * 3
