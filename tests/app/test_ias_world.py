"""An IAS contact sensor (a sleepy end device) enrolls with the hub's CIE over a secured
network and its alarms reach the hub; Wireshark decodes the enrollment and the Zone Status
Change Notifications (decrypted with ZigBeeAlliance09 only), nothing malformed."""

from __future__ import annotations

from pathlib import Path

from tests.nwk.nwkutil import SMALL_MEDIUM, S
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.app import CONTACT_SENSOR, IAS_ZONE, Destination, IasCie, IasZone, ZclEndpoint
from zigmesh.sim.world import World
from zigmesh.types import EUI64

ZBA09 = "5a6967426565416c6c69616e63653039"


def test_contact_sensor_enrolls_and_alarms_reach_the_hub(tmp_path: Path) -> None:
    pcap = tmp_path / "ias.pcap"
    w = World(seed=12, medium=SMALL_MEDIUM, capture=pcap)
    hub_node = w.add_node("hub", "coordinator", (0.0, 0.0))
    w.add_node("router", "router", (25.0, 0.0))
    door = w.add_node("door", "end_device", (45.0, 5.0), poll_interval_us=2 * S)
    assert w.run_until(lambda: door.has_unique_link_key and w["router"].has_unique_link_key, 90 * S)
    sensor = CONTACT_SENSOR.create(door, 1)
    cie = IasCie()
    ZclEndpoint(hub_node, 1, [], [cie], device_id=0x0400)  # IAS Control and Indicating Equipment
    zone = sensor.servers[IAS_ZONE.id]
    assert isinstance(zone, IasZone)
    p = cie.write(
        Destination.short(door.network_address, 1), {"ias_cie_address": EUI64(hub_node.eui64)}
    )
    assert w.run_until(p, 20 * S) and p.result().ok
    assert w.run_until(lambda: zone.enrolled, 20 * S)
    assert cie.zones == {door.eui64: 0} and zone["ias_cie_address"] == hub_node.eui64
    opened = w.now_us
    zone.set_status(0x0001)  # the door opens
    w.run_for(10 * S)
    zone.set_status(0x0000)  # and closes
    w.run_for(10 * S)
    assert [(a.src_address, a.zone_id, a.zone_status) for a in cie.alarms] == [
        (door.network_address, 0, 0x0001),
        (door.network_address, 0, 0x0000),
    ]
    latency = cie.alarms[0].time_us - opened
    assert 0 < latency < 1 * S  # an end device sends at once; only receiving waits for a poll
    w.close()
    assert_no_malformed(pcap, link_keys=(ZBA09,))
    rows = tshark_fields(
        pcap,
        [
            "zbee_nwk.seqno",
            "zbee_zcl_ias.zone.cmd.srv_tx.id",
            "zbee_zcl_ias.zone.type",
            "zbee_zcl_ias.zone.status",
        ],
        "zbee_zcl_ias.zone.cmd.srv_tx.id && zbee_nwk.src == " + f"0x{door.network_address:04x}",
        link_keys=(ZBA09,),
    )
    seen = {r[0]: r[1:] for r in rows}  # one per NWK frame (a relay repeats it)
    assert list(seen.values()) == [
        ["0x01", "0x0015", ""],
        ["0x00", "", "0x0001"],
        ["0x00", "", "0x0000"],
    ]
    rows = tshark_fields(
        pcap,
        ["zbee_zcl_ias.zone.enroll_code", "zbee_zcl_ias.zone.zone_id"],
        "zbee_zcl_ias.zone.cmd.srv_rx.id == 0",
        link_keys=(ZBA09,),
    )
    assert {tuple(r) for r in rows} == {("0x00", "0x00")}
