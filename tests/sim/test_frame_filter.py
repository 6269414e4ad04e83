"""The radio's address filter (zigmesh.phy.FrameFilter) changes nothing but the cost: a network
with it and the same network with every radio indicating every frame to its MAC end in the
same state, counters included."""

from __future__ import annotations

from typing import Any

from tests.nwk.nwkutil import S, aps_payload, big_world, send
from zigmesh.sim.world import World


def _run(filtering: bool) -> tuple[World, dict[str, dict[str, object]], list[tuple[int, int, int]], int]:
    w, routers, eds = big_world(5)
    indicated = [0]
    for node in w:
        radio = w.radios[node.name]
        if not filtering:
            radio.set_frame_filter(None)
        mac = node.mac
        inner = mac.pd_data_indication

        def counted(psdu: bytes, rssi: int, lqi: int, inner: Any = inner) -> None:
            indicated[0] += 1
            inner(psdu, rssi, lqi)

        radio.set_user(None)
        mac.pd_data_indication = counted  # type: ignore[method-assign]
        radio.set_user(mac)
    w.run(30 * S)
    for i, src in enumerate((*routers[:10], *eds[:5])):
        w.kernel.call_at(w.now_us + i * S // 3, send, src, 0x0000, aps_payload(i))
    w.run(w.now_us + 10 * S)
    radios = [(r.rx_frames, r.rx_lost, r.tx_frames) for r in w.medium.radios]
    return w, w.stats(), radios, indicated[0]


def test_filtering_radios_change_no_counter() -> None:
    w1, stats1, radios1, indicated1 = _run(True)
    w2, stats2, radios2, indicated2 = _run(False)
    assert stats1 == stats2
    assert radios1 == radios2
    assert w1.kernel.events_run == w2.kernel.events_run
    assert sum(n.mac.stats.rx_not_for_us for n in w1) > 1000
    # frames for someone else never reached the filtering MACs
    assert indicated1 < indicated2 - 1000
