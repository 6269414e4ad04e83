"""The attacker API (``zigmesh.sim.attacker``), the jammer and seeded frame loss (issue 9)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from zigmesh.capture.pcap import read_pcap
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.fcs import fcs_ok
from zigmesh.mac.frames import FrameType, MacFrame
from zigmesh.phy import RadioState
from zigmesh.sim.attacker import FLOOD_KINDS, Attacker, SniffedFrame, add_jammer, mutate
from zigmesh.sim.faults import FrameLoss
from zigmesh.sim.jammer import Jammer
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import Medium, MediumConfig
from zigmesh.sim.world import World

S = 1_000_000
SMALL = MediumConfig(path_loss_exponent=3.3, shadowing_sigma_db=0.0)


def _net(tmp_path: Path | None = None) -> World:
    w = World(seed=4, medium=SMALL, capture=None if tmp_path is None else tmp_path / "a.pcap")
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r", "router", (15.0, 0.0), join_at_us=1 * S)
    w.add_node("e", "end_device", (10.0, 8.0), join_at_us=2 * S, poll_interval_us=S)
    return w


def test_sniff_sees_the_network_with_rssi_lqi_and_start_time() -> None:
    w = _net()
    atk = Attacker(w, (5.0, 5.0))
    got: list[SniffedFrame] = []
    atk.sniff(got.append)
    w.run(15 * S)
    assert w.all_joined()
    assert len(got) > 20 and atk.sniffed == len(got)
    assert all(fcs_ok(f.psdu) for f in got)
    assert all(-100 <= f.rssi_dbm <= 0 and 0 <= f.lqi <= 255 for f in got)
    assert all(f.channel == w.channel for f in got)
    times = [f.time_us for f in got]
    assert times == sorted(times)
    kinds = {MacFrame.decode(f.psdu).frame_type for f in got}
    assert {FrameType.BEACON, FrameType.DATA, FrameType.MAC_COMMAND} <= kinds


def test_inject_queues_while_busy_and_frames_reach_the_capture(tmp_path: Path) -> None:
    w = _net(tmp_path)
    w.run(15 * S)
    atk = Attacker(w, (5.0, 5.0))
    frame = MacFrame.data(0x1234, 0xFFFF, 0x0001, b"\x01\x02\x03", seq=9).encode()
    for _ in range(3):
        assert atk.inject(frame)
    assert atk.injected == 1  # one on the air, two waiting
    w.run(w.now_us + 50_000)
    assert atk.injected == 3 and atk.queue_dropped == 0
    atk.inject(b"\x41\x88\x00", add_fcs=True)
    with pytest.raises(LocalProtocolError):
        atk.inject(bytes(200))
    w.run(w.now_us + 10_000)
    w.close()
    psdus = [r.data for r in read_pcap(tmp_path / "a.pcap")]
    assert psdus.count(frame) == 3


def test_replay_sends_a_capture_again_with_its_spacing(tmp_path: Path) -> None:
    w = _net(tmp_path)
    w.run(10 * S)
    w.close()
    records = list(read_pcap(tmp_path / "a.pcap"))[:40]
    w2 = World(seed=4, medium=SMALL)
    atk = Attacker(w2, (0.0, 0.0))
    spy = Attacker(w2, (1.0, 0.0))
    heard: list[SniffedFrame] = []
    spy.sniff(heard.append)
    assert atk.replay(tmp_path / "a.pcap", start_us=S, limit=40) == 40
    w2.run(S + records[-1].time_us - records[0].time_us + 100_000)
    assert atk.injected == 40
    assert [f.psdu for f in heard] == [r.data for r in records]
    assert heard[0].time_us == S


def test_jammer_blocks_reception_and_cca_only_while_on() -> None:
    k = Kernel()
    m = Medium(k, 1, SMALL)
    a = m.add_radio(1, (0.0, 0.0), 0.0, 15, RadioState.RX)
    b = m.add_radio(2, (20.0, 0.0), 0.0, 15, RadioState.RX)
    jam_radio = m.add_radio(3, (20.0, 5.0), 10.0, 15, RadioState.SLEEP)
    jam = Jammer(m, jam_radio, start_us=1_000, stop_us=50_000)
    frame = MacFrame.data(0x1, 0xFFFF, 0x2, b"hello").encode()
    k.run(2_000)
    assert jam.active and not b.cca()
    before = b.rx_frames
    a.transmit(frame)
    k.run(10_000)
    assert b.rx_frames == before  # drowned
    k.run(60_000)
    assert not jam.active and b.cca()
    a.transmit(frame)
    k.run(70_000)
    assert b.rx_frames == before + 1
    assert jam.on_air_us == 49_000
    assert m.on_air == 0


def test_jammer_duty_cycle_and_channel() -> None:
    k = Kernel()
    m = Medium(k, 1, SMALL)
    b = m.add_radio(2, (20.0, 0.0), 0.0, 15, RadioState.RX)
    jr = m.add_radio(3, (20.0, 5.0), 10.0, 15, RadioState.SLEEP)
    jam = Jammer(m, jr, duty_cycle=0.25, period_us=10_000, start_us=0, stop_us=100_000)
    k.run(1_000)
    assert not b.cca()
    k.run(5_000)
    assert b.cca()  # between bursts
    k.run(200_000)
    assert jam.bursts == 10 and jam.on_air_us == 25_000
    other = Jammer(m, jr, channel=20, start_us=k.now())
    k.run(k.now() + 1_000)
    assert b.cca()  # noise on another channel
    other.stop()
    with pytest.raises(LocalProtocolError):
        Jammer(m, jr, duty_cycle=0.0)


def test_attacker_jam_stops_a_network_and_it_recovers() -> None:
    w = _net()
    w.run(15 * S)
    atk = Attacker(w, (8.0, 2.0))
    jam = atk.jam(power_dbm=10.0, start_us=w.now_us, stop_us=w.now_us + 5 * S)
    e = w["e"]
    sent = e.mac.stats.tx_success
    w.run(w.now_us + 5 * S)
    assert e.mac.stats.tx_success == sent  # nothing got through
    assert jam in atk.jammers and not jam.active
    w.run(w.now_us + 30 * S)
    assert e.mac.stats.tx_success > sent and w.all_joined()


def test_frame_loss_global_and_per_node_is_seeded_and_chains() -> None:
    w = _net()
    seen: list[int] = []

    def spy(sender: object, receiver: object, psdu: bytes) -> bytes:
        seen.append(len(psdu))
        return psdu

    w.medium.rx_filter = spy
    loss = FrameLoss(w.medium, seed=1)
    loss.set_node(w.radios["e"], 0.5)
    w.run(20 * S)
    assert loss.frames > 0 and 0.3 < loss.dropped / loss.frames < 0.7
    assert set(loss.dropped_at) <= {w.radios[n].index for n in w.nodes}
    assert seen  # the wrapped filter still sees the frames kept
    loss.set_global(1.0)
    n = loss.dropped
    w.run(36 * S)  # a link status period: routers send whatever else happens
    assert loss.dropped > n
    loss.remove()
    assert w.medium.rx_filter is spy
    with pytest.raises(LocalProtocolError):
        loss.set_global(1.5)


@pytest.mark.parametrize("kind", FLOOD_KINDS)
def test_floods_forge_frames_of_their_kind(kind: str) -> None:
    w = _net()
    w.run(10 * S)
    atk = Attacker(w, (5.0, 5.0))
    flood = atk.flood(kind, 100.0, stop_us=w.now_us + S)
    w.run(w.now_us + 2 * S)
    assert 95 <= flood.sent <= 101
    assert flood.sent == atk.injected
    with pytest.raises(LocalProtocolError):
        atk.flood("nonsense", 1.0)


def test_replay_flood_sends_what_it_heard() -> None:
    w = _net()
    atk = Attacker(w, (5.0, 5.0))
    flood = atk.flood("replay", 20.0, start_us=10 * S, stop_us=12 * S)
    heard = atk.record()
    w.run(13 * S)
    assert heard and flood.sent >= 35


def test_mutate_is_seeded_and_bounded() -> None:
    psdu = MacFrame.data(0x1, 0xFFFF, 0x2, bytes(range(100))).encode()
    a = [mutate(psdu, random.Random(5)) for _ in range(1)]
    b = [mutate(psdu, random.Random(5)) for _ in range(1)]
    assert a == b
    rng = random.Random(6)
    for _ in range(2000):
        m = mutate(psdu, rng, keep_fcs_valid=rng.random() < 0.5)
        assert 5 <= len(m) <= 127


def test_add_jammer_gets_its_own_radio() -> None:
    w = _net()
    n = len(w.medium.radios)
    jam = add_jammer(w, (3.0, 3.0), 5.0, duty_cycle=0.5)
    assert len(w.medium.radios) == n + 1 and jam.radio.tx_power_dbm == 5.0
    assert not jam.active
