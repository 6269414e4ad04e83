"""``Mac.pd_data_indication_many`` (one frame, several receivers at once) has the outcome of
``pd_data_indication`` at each receiver in turn, and hands a broadcast to the receivers of one
data sink in one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.mac.commands import BeaconRequest
from zigmesh.mac.fcs import append_fcs
from zigmesh.mac.frames import AddrMode, MacFrame
from zigmesh.mac.mac import Mac
from zigmesh.mac.primitives import MacEvent, ScanType

from .conftest import PAN, Net

FRAMES = [
    MacFrame.data(PAN, 0xFFFF, 7, b"bcast", seq=1, ack_request=False).encode(),
    MacFrame.data(0xFFFF, 0xFFFF, 7, b"any pan", seq=2, ack_request=False).encode(),
    MacFrame.data(0x4242, 0xFFFF, 7, b"other pan", seq=3, ack_request=False).encode(),
    MacFrame.data(PAN, 0xFFFF, 7, b"asks an ack", seq=4, ack_request=True).encode(),
    MacFrame.data(PAN, 2, 7, b"unicast", seq=5).encode(),
    MacFrame.data(PAN, 0xFFFF, 7, b"", seq=6, ack_request=False).encode(),
    MacFrame.command(BeaconRequest(), seq=7, dst_pan=0xFFFF, dst_addr=0xFFFF).encode(),
    MacFrame.ack(3).encode(),
]

Log = list[tuple[Any, ...]]


def _sink(name: str, log: Log) -> Any:
    def sink(
        ctxs: Sequence[Any],
        lqis: Sequence[int],
        msdu: bytes,
        mode: AddrMode,
        src: int | None,
        dst: int | None,
        now: int,
        pending: bool,
    ) -> None:
        log.append(("call", name, len(ctxs)))
        for c, q in zip(ctxs, lqis, strict=True):
            log.append(("sink", name, c, q, msdu, mode, src, dst, now, pending))

    return sink


def _macs(log: Log) -> tuple[Net, list[Mac]]:
    """Receivers in every state the fast path tells apart: two sinks, no sink, another PAN,
    scanning, and runs of one sink split by the others."""
    net = Net()
    s1, s2 = _sink("s1", log), _sink("s2", log)
    nodes = [net.add((10.0 * i, 0), short=2 + i) for i in range(8)]
    for i, node in enumerate(nodes):

        def upper(ev: MacEvent, i: int = i) -> None:
            log.append(("upper", i, repr(ev)))

        sink = {0: s1, 1: s1, 3: s2, 4: s1, 5: s1, 7: s1}.get(i)
        node.mac.set_upper(upper, None if sink is None else (sink, f"ctx{i}"))
    nodes[5].mac.mlme_set("mac_pan_id", 0x4242)
    nodes[6].mac.mlme_scan_request(ScanType.ACTIVE, 1 << 11, 3)
    nodes[7].mac.mlme_scan_request(ScanType.ACTIVE, 1 << 11, 3)
    return net, [n.mac for n in nodes]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(FRAMES),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=3),
    st.booleans(),
    st.lists(st.tuples(st.integers(-100, -20), st.integers(0, 255)), min_size=8, max_size=8),
)
def test_many_is_each_in_turn(
    frame: bytes, edits: list[tuple[int, int]], fix_fcs: bool, quals: list[tuple[int, int]]
) -> None:
    psdu = bytearray(frame)
    for i, v in edits:
        psdu[i % len(psdu)] = v
    p = append_fcs(bytes(psdu[:-2])) if fix_fcs else bytes(psdu)
    one: Log = []
    many: Log = []
    net1, macs1 = _macs(one)
    net2, macs2 = _macs(many)
    for m, (rssi, lqi) in zip(macs1, quals, strict=True):
        m.pd_data_indication(p, rssi, lqi, 1_000)
    Mac.pd_data_indication_many(macs2, quals, p, 1_000)
    net1.run(100_000)
    net2.run(100_000)
    assert [e for e in many if e[0] != "call"] == [e for e in one if e[0] != "call"]
    assert [asdict(m.stats) for m in macs2] == [asdict(m.stats) for m in macs1]


def test_a_broadcast_reaches_a_run_of_one_sink_in_one_call() -> None:
    log: Log = []
    _, macs = _macs(log)
    Mac.pd_data_indication_many(macs, [(-60, 200 + i) for i in range(8)], FRAMES[0], 1_000)
    # s1 (0, 1), s2 (3), s1 (4); 2 has no sink (its upper gets the primitive), 5 is on another
    # PAN, 6 and 7 are scanning
    # in the receivers' order: s1's run of two, then 2's primitive, then the others
    assert [e[:2] for e in log if e[0] != "sink"] == [
        ("call", "s1"),
        ("upper", 2),
        ("call", "s2"),
        ("call", "s1"),
    ]
    calls = [e[1:] for e in log if e[0] == "call"]
    assert calls == [("s1", 2), ("s2", 1), ("s1", 1)]
    sinks = [(e[2], e[3]) for e in log if e[0] == "sink"]
    assert sinks == [("ctx0", 200), ("ctx1", 201), ("ctx3", 203), ("ctx4", 204)]
    assert [e[1] for e in log if e[0] == "upper"] == [2]
    assert macs[5].stats.rx_not_for_us == 1
    # (a scanning MAC's own PAN ID filter drops it first; a broadcast PAN ID gets through)
    assert macs[6].stats.rx_not_for_us == macs[7].stats.rx_not_for_us == 1
    Mac.pd_data_indication_many(macs[6:], [(-60, 200)] * 2, FRAMES[1], 2_000)
    assert macs[6].stats.rx_ignored == macs[7].stats.rx_ignored == 1
