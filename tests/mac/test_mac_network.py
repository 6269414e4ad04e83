"""Network behaviour: hidden terminals, energy of a sleepy poller, determinism."""

from __future__ import annotations

import io
import random

from zigmesh.capture.pcap import PcapWriter
from zigmesh.mac.frames import FrameType, MacFrame
from zigmesh.mac.primitives import MacStatus, McpsDataConfirm, McpsDataIndication, MlmePollConfirm
from zigmesh.phy import RadioState
from zigmesh.sim.energy import CC2652R, CR2032_MAH, energy_report

from .conftest import Net, Node, Recorder


def send(node: Node, dst: int, handle: int) -> None:
    node.mac.mcps_data_request(dst, bytes(20), msdu_handle=handle)


def periodic(net: Net, node: Node, dst: int, period: int, count: int, rng: random.Random) -> None:
    t = rng.randrange(period)
    for h in range(count):
        net.at(t, send, node, dst, h & 0xFF)
        t += period - period // 4 + rng.randrange(period // 2)


def test_hidden_terminals_collide_and_retries_recover(rec_net: tuple[Net, Recorder]) -> None:
    net, rec = rec_net
    # A -- 40 m -- B -- 40 m -- C: B hears both (-94.7 dBm); A and C are 80 m apart
    # (-103.8 dBm: below the -100 dBm sensitivity and the -90 dBm CCA threshold)
    a = net.add((0, 0), short=1)
    b = net.add((40, 0), short=2)
    c = net.add((80, 0), short=3)
    assert net.medium.rx_power_dbm(a.radio, c.radio) < -100
    rng = random.Random(5)
    n = 300
    periodic(net, a, 2, 30_000, n, rng)
    periodic(net, c, 2, 30_000, n, rng)
    net.run(n * 40_000)
    # collisions: A's and C's frames overlapping in time on the air
    spans = {1: [], 3: []}  # type: dict[int, list[tuple[int, int]]]
    for t, p in rec.frames:
        f = MacFrame.decode(p)
        if f.frame_type == FrameType.DATA and f.src_addr in spans:
            spans[f.src_addr].append((t, t + (6 + len(p)) * 32))
    collisions = sum(1 for s, e in spans[1] for s2, e2 in spans[3] if s < e2 and s2 < e)
    confs = a.of(McpsDataConfirm) + c.of(McpsDataConfirm)
    ok = sum(x.status == MacStatus.SUCCESS for x in confs)
    retries = a.mac.stats.tx_retries + c.mac.stats.tx_retries
    delivered = len(b.of(McpsDataIndication))
    assert len(confs) == 2 * n
    assert collisions >= 20, collisions
    assert b.radio.rx_lost >= 20  # frames B locked on and lost to the other one
    assert retries >= collisions // 2
    assert ok / (2 * n) >= 0.95, (ok, collisions, retries)
    assert delivered >= ok  # (an ACK can be lost after a good reception)
    print(f"\nhidden terminals: {collisions} collisions, {retries} retries, {ok}/{2 * n} confirmed")


def test_sleepy_poller_energy_for_one_hour() -> None:
    net = Net()
    parent = net.add((0, 0), short=0x0000)
    child = net.add((30, 0), short=0x7777, rx_on=False)
    child.mac.mlme_set("mac_coord_short_address", 0x0000)
    period = 7_500_000
    hour = 3_600_000_000
    t = period // 2
    while t < hour:
        net.at(t, child.mac.mlme_poll_request)
        t += period
    net.run(hour)
    polls = child.of(MlmePollConfirm)
    assert len(polls) == 480 and all(p.status == MacStatus.NO_DATA for p in polls)
    times = child.radio.state_times()
    assert sum(times.values()) == hour
    # each poll: Data Request on air 576 us; RX for the CCA (128), the turnaround (192) and
    # until the ACK ends (192 + 352); IDLE during the backoffs only
    assert times[RadioState.TX] == 480 * 576
    assert times[RadioState.RX] == 480 * (128 + 192 + 192 + 352)
    assert times[RadioState.IDLE] <= 480 * 7 * 320
    report = energy_report(times)
    cur = CC2652R
    charge = (
        times[RadioState.SLEEP] * cur.sleep_ma
        + times[RadioState.IDLE] * cur.idle_ma
        + times[RadioState.RX] * cur.rx_ma
        + times[RadioState.TX] * cur.tx_ma
    )
    assert abs(report.charge_nc - charge) < 1e-6 * charge
    assert abs(report.average_current_ma - charge / hour) < 1e-12
    assert abs(report.battery_life_s - CR2032_MAH / report.average_current_ma * 3600) < 1e-3
    # about 2.4 uA on average: a CR2032 lasts about a decade
    assert 0.002 < report.average_current_ma < 0.003
    assert 8 < report.battery_life_days / 365 < 12
    print(
        f"\nsleepy poller, 7.5 s polls: {report.average_current_ma * 1000:.3f} uA average, "
        f"{report.battery_life_days / 365:.1f} years on a CR2032"
    )
    assert parent.mac.stats.tx_acks == 480


def _traffic_pcap(seed: int) -> bytes:
    buf = io.BytesIO()
    w = PcapWriter(buf)
    net = Net(seed=seed, capture=w)
    nodes = [net.add((20.0 * (i % 4), 20.0 * (i // 4)), short=i + 1) for i in range(12)]
    rng = random.Random(seed)
    for i, node in enumerate(nodes):
        periodic(net, node, (i + 1) % 12 + 1, 50_000, 20, rng)
        periodic(net, node, 0xFFFF, 200_000, 5, rng)
    net.run(2_000_000)
    w.close()
    return buf.getvalue()


def test_same_seed_same_bytes_different_seed_different_bytes() -> None:
    one = _traffic_pcap(3)
    two = _traffic_pcap(3)
    other = _traffic_pcap(4)
    assert len(one) > 10_000
    assert one == two
    assert one != other
