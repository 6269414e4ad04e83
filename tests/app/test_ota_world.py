"""OTA Upgrade on a secured simulated network: the hub serves a 50 kB image to a sleepy end
device two hops away (through a router); Image Notify, Query Next Image, every block, Upgrade
End; the device ends up running the new version with exactly the served file. The transfer
time is reported; Wireshark decodes the OTA commands with no malformed frame."""

from __future__ import annotations

import random
from pathlib import Path

from tests.nwk.nwkutil import SMALL_MEDIUM, S
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.app import Basic, Destination, ZclEndpoint
from zigmesh.sim.world import World
from zigmesh.zcl.clusters.ota import OtaClient, OtaServer, ota_image, parse_ota_header

ZBA09 = "5a6967426565416c6c69616e63653039"
ACME, KIND = 0x1234, 0x0042


def test_fifty_kilobytes_to_a_sleepy_device(tmp_path: Path) -> None:
    pcap = tmp_path / "ota.pcap"
    w = World(seed=31, medium=SMALL_MEDIUM, capture=pcap)
    hub_node = w.add_node("hub", "coordinator", (0.0, 0.0))
    w.add_node("router", "router", (25.0, 0.0))
    dev = w.add_node("sensor", "end_device", (48.0, 5.0), poll_interval_us=5 * S)
    assert w.run_until(lambda: dev.has_unique_link_key and w["router"].has_unique_link_key, 90 * S)
    assert w.parent_of(dev) is w["router"]
    server = OtaServer()
    ZclEndpoint(hub_node, 1, [server], [])
    client = OtaClient(ACME, KIND, current_file_version=0x0100_0001)
    ZclEndpoint(dev, 1, [Basic()], [client])
    image = ota_image(ACME, KIND, 0x0100_0002, random.Random(5).randbytes(50_000 - 62), "v2")
    assert len(image) == 50_000 and parse_ota_header(image) == (ACME, KIND, 0x0100_0002, 50_000)
    server.add_image(image)
    server.notify(Destination.short(dev.network_address, 1), server.images[(ACME, KIND)])
    assert w.run_until(lambda: client.status in ("done", "failed"), 1800 * S), client.status
    w.close()
    assert client.status == "done" and client.current_file_version == 0x0100_0002
    assert bytes(client.data) == image
    assert client.started_us is not None and client.finished_us is not None
    took = (client.finished_us - client.started_us) / S
    print(
        f"\nOTA 50,000 B to a sleepy end device (poll 5 s) over 2 hops: {client.blocks} blocks "
        f"in {took:.1f} s ({50_000 / took:.0f} B/s), block retries {client.block_retries}"
    )
    assert server.blocks_served >= client.blocks > 50_000 // 64
    assert server.upgrade_ends == [(dev.network_address, 0)]
    assert took < 1200
    assert_no_malformed(pcap, link_keys=(ZBA09,))
    rx = tshark_fields(
        pcap,
        ["zbee_zcl_general.ota.cmd.srv_rx.id"],
        "zbee_zcl_general.ota.cmd.srv_rx.id",
        link_keys=(ZBA09,),
    )
    tx = tshark_fields(
        pcap,
        ["zbee_zcl_general.ota.cmd.srv_tx.id"],
        "zbee_zcl_general.ota.cmd.srv_tx.id",
        link_keys=(ZBA09,),
    )
    assert {r[0] for r in rx} == {"0x01", "0x03", "0x06"}
    assert {r[0] for r in tx} == {"0x00", "0x02", "0x05", "0x07"}
    offsets = tshark_fields(
        pcap,
        ["zbee_zcl_general.ota.file.offset", "zbee_zcl_general.ota.data_size"],
        "zbee_zcl_general.ota.cmd.srv_tx.id == 0x05 && wpan.src16 == 0x0000",
        link_keys=(ZBA09,),
    )
    # every block once from the hub (its first hop; relays and APS retries aside)
    assert len({int(o) for o, _ in offsets}) == client.blocks
    assert sum(int(n) for _, n in offsets if True) >= 50_000
