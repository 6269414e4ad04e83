"""The simulated world: building, determinism, power off / on, topology accessors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload, big_world, send
from zigmesh.errors import LocalProtocolError
from zigmesh.node import NodeState, Role
from zigmesh.nwk.tables import DeviceType
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.world import EUI64_BASE, NodeClock, World


def _small(capture: Path | None = None, seed: int = 1) -> World:
    w = World(seed=seed, security=False, medium=SMALL_MEDIUM, capture=capture)
    w.add_node("c", Role.COORDINATOR, (0.0, 0.0))
    w.add_node("r1", "router", (20.0, 0.0))
    w.add_node("r2", "router", (45.0, 0.0))
    w.add_node("e", "end_device", (55.0, 5.0), poll_interval_us=S)
    return w


def _traffic(w: World, src: str = "e") -> None:
    for i in range(5):
        w.kernel.call_at(w.now_us + i * S, send, w[src], 0x0000, aps_payload(i))


def test_same_seed_same_pcap_bytes(tmp_path: Path) -> None:
    paths = []
    for run in range(2):
        p = tmp_path / f"run{run}.pcap"
        w, routers, eds = big_world(7, capture=p)
        w.run(30 * S)
        _traffic(w, "e3")
        _traffic(w, "r40")
        w.run(w.now_us + 6 * S)
        w.close()
        paths.append(p)
    a, b = (p.read_bytes() for p in paths)
    assert len(a) > 100_000 and a == b
    other = tmp_path / "other.pcap"
    w, _, _ = big_world(8, capture=other)
    w.run(30 * S)
    w.close()
    assert other.read_bytes()[:200_000] != a[:200_000]


def test_build_and_topology_accessors() -> None:
    w = _small()
    w.run(20 * S)
    assert w.all_joined() and len(w.joined()) == 4
    c, r1, r2, e = (w[n] for n in ("c", "r1", "r2", "e"))
    assert c.eui64 == EUI64_BASE + 1 and e.eui64 == EUI64_BASE + 4
    assert w.coordinator is c
    assert w.by_address(0x0000) is c and w.by_eui64(r2.eui64) is r2
    assert w.parent_of(c) is None and w.parent_of(r1) is c and w.depth(c) == 0
    assert w.depth(r2) == 2 and w.parent_of(r2) is r1
    links = dict(w.parent_links())
    assert links["r1"] == "c" and links["r2"] == "r1"
    lqis = w.neighbor_lqis(r1)
    assert set(lqis) >= {"c", "r2"} and all(0 < v <= 255 for v in lqis.values())
    assert e.nwk.device_type == DeviceType.END_DEVICE
    st = w.node_stats("e")
    assert st["joined_at_us"] is not None
    # the test sent nothing yet: the one NLDE-DATA request is the APS frame of its Device_annce
    assert st["nwk"]["data_requests"] == st["aps"]["frames_sent"] == 1  # type: ignore[index]
    assert set(w.stats()) == {"c", "r1", "r2", "e"}
    send(r2, 0x0000, aps_payload(1))
    w.run(w.now_us + S)
    assert any(dst == 0x0000 for dst, _, _ in w.routing_table(r2)) or r2.nwk.neighbors.get(0)


def test_lookups_by_address_follow_address_changes_and_power() -> None:
    """by_address is an index (no scan of every node per lookup): it still answers after a
    node changes its address (an address conflict) and ignores powered-off nodes."""
    w = _small()
    w.run(20 * S)
    r1 = w["r1"]
    old = r1.nwk.address
    assert w.by_address(old) is r1 and w.by_eui64(r1.eui64) is r1
    r1.nwk.set_network_address(0x1234)
    assert w.by_address(0x1234) is r1 and w.by_address(old) is None
    w.power_off("r1")
    assert w.by_address(0x1234) is None and w.by_eui64(r1.eui64) is r1
    assert w.by_eui64(12345) is None


def test_default_join_times_are_staggered() -> None:
    w = _small()
    w.run(1 * S - 1)
    assert w["c"].state != NodeState.OFF and w["r1"].state == NodeState.OFF
    w.run(1 * S + 1)
    assert w["r1"].state != NodeState.OFF and w["r2"].state == NodeState.OFF
    assert w["r2"].stats.started_at_us is None
    w.run(2 * S)
    assert w["r2"].stats.started_at_us == 1_250_000


def test_power_off_silences_and_power_on_rejoins() -> None:
    w = _small()
    w.run(8 * S)
    r1 = w["r1"]
    frames = w.radios["r1"].tx_frames
    w.power_off(r1)
    assert not w.is_powered(r1) and r1.state == NodeState.OFF
    w.run(w.now_us + 20 * S)
    assert w.radios["r1"].tx_frames == frames  # no link status, nothing
    assert w.radios["r1"].state.name == "SLEEP"
    assert r1 not in w.joined()
    w.power_on(r1)
    w.run(w.now_us + 5 * S)
    assert r1.joined and w.is_powered(r1)
    assert r1.stats.join_times_us[-1] > 8 * S


def test_node_clock_gate() -> None:
    k = Kernel()
    clock = NodeClock(k)
    ran: list[int] = []
    clock.call_later(10, ran.append, 1)
    clock.call_at(20, ran.append, 2)
    clock.gate()
    clock.call_later(30, ran.append, 3)
    k.run(100)
    assert ran == [3] and clock.now() == 100


def test_bad_arguments() -> None:
    w = _small()
    with pytest.raises(LocalProtocolError):
        w.add_node("c", "router", (1.0, 1.0))
    with pytest.raises(ValueError):
        w.add_node("x", "gateway", (1.0, 1.0))
    with pytest.raises(LocalProtocolError):
        World(channel=10)
    with pytest.raises(LocalProtocolError):
        w.power_off("nobody")


def test_recorder_sees_data_at_the_coordinator() -> None:
    w = _small()
    w.run(8 * S)
    rec = Recorder().attach(w)
    before = w["c"].stats.data_indications  # the Device_annces of the joiners
    _traffic(w)
    w.run(w.now_us + 7 * S)
    # each of the test's five frames once (ZDO traffic, if any, is not counted)
    assert [len(rec.received("c", aps_payload(i))) for i in range(5)] == [1] * 5
    # the node counts every NLDE-DATA.indication the recorder saw
    assert w["c"].stats.data_indications - before == len(rec.indications("c"))
