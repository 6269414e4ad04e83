"""An attacker in a simulated Zigbee network: sniff, replay, flood, jam.

Run: python3 examples/attack.py [capture.pcap]

A secured network (a hub, two routers, a sleepy sensor reporting every 5 s) and an attacker
radio 10 m away. The attacker sniffs from power-up (every frame with its RSSI and LQI), then
replays everything it heard (NWK security drops the replays: the frame counters are old),
floods forged beacons, and jams the channel for 10 s. After each step the script prints what
the network did about it; the capture (with the attacker's frames) opens in Wireshark.
"""

from __future__ import annotations

import sys
from collections import Counter

from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataIndication, ApsdeEvent
from zigmesh.mac.frames import FrameType
from zigmesh.sim.attacker import Attacker, SniffedFrame
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import SimpleDescriptor

S = 1_000_000


def main(capture: str = "attack.pcap") -> None:
    world = World(seed=1, capture=capture)
    hub = world.add_node("hub", "coordinator", (0, 0))
    world.add_node("plug-1", "router", (15, 0))
    world.add_node("plug-2", "router", (0, 15))
    sensor = world.add_node("sensor", "end_device", (20, 8), poll_interval_us=2 * S)

    # the sensor reports to the hub every 5 s on endpoint 1
    delivered: list[int] = []

    def on_hub(ev: ApsdeEvent) -> None:
        if isinstance(ev, ApsdeDataIndication):
            delivered.append(ev.rx_time)

    hub.add_endpoint(SimpleDescriptor(1, 0x0104, 0x0007, 0, (0xFC00,), ()), on_hub)
    sensor.add_endpoint(SimpleDescriptor(1, 0x0104, 0x000C, 0, (), (0xFC00,)), lambda ev: None)

    def report() -> None:
        world.kernel.call_later(5 * S, report)
        if sensor.joined:
            sensor.aps.apsde_data_request(
                ApsAddrMode.SHORT, 0x0000, 1, 0x0104, 0xFC00, 1, b"\x01\x00\x00\x2a"
            )

    world.kernel.call_at(15 * S, report)

    # the attacker: listens from the start and keeps what it hears
    atk = Attacker(world, (10, 5))
    heard = atk.record()
    kinds: Counter[str] = Counter()
    rssi: list[int] = []

    def sniffed(f: SniffedFrame) -> None:
        kinds[FrameType(f.psdu[0] & 7).name] += 1
        rssi.append(f.rssi_dbm)

    atk.sniff(sniffed)

    def phase(title: str, seconds: int) -> None:
        before = len(delivered)
        world.run(world.now_us + seconds * S)
        print(f"{title}: {len(delivered) - before} reports delivered in {seconds} s")

    phase("network forms, attacker sniffs", 60)
    print(f"  heard {atk.sniffed} frames {dict(kinds)}, RSSI {min(rssi)}..{max(rssi)} dBm")

    def nwk_drops(key: str) -> int:
        return sum(getattr(n.nwk.stats, key) for n in world)

    replayed_before = nwk_drops("rx_sec_counter")
    atk.replay(list(heard), interval_us=20_000)  # every frame heard, 50 a second
    phase("replay of everything heard", 30)
    print(
        f"  {atk.injected} frames put on the air; NWK dropped"
        f" {nwk_drops('rx_sec_counter') - replayed_before} as replays (old frame counters)"
    )

    flood = atk.flood("beacon", 200, stop_us=world.now_us + 20 * S)
    phase("beacon flood, 200/s", 30)
    print(f"  {flood.sent} forged beacons; every node joined: {world.all_joined()}")

    jam = atk.jam(power_dbm=10, stop_us=world.now_us + 10 * S)
    phase("jamming 10 s, then quiet", 40)
    print(
        f"  jammed {jam.on_air_us / S:g} s; sensor parent losses"
        f" {sensor.nwk.stats.parent_losses}, rejoins {sensor.nwk.stats.rejoins};"
        f" joined again: {sensor.joined}"
    )
    world.close()
    print(f"capture: {capture}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
