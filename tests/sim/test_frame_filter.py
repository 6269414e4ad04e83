"""The radio's address filter (zigmesh.phy.FrameFilter) changes nothing but the cost: a network
with it and the same network with every radio indicating every frame to its MAC end in the
same state, counters included (what the MACs counted as not for them, the filtering radios
counted instead)."""

from __future__ import annotations

import random
from typing import Any

from tests.nwk.nwkutil import S, aps_payload, big_world, send
from zigmesh.mac.mac import Mac
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import Medium
from zigmesh.sim.world import World


def _run(
    filtering: bool,
) -> tuple[World, dict[str, dict[str, object]], list[tuple[int, int, int]], int]:
    w, routers, eds = big_world(5)
    indicated = [0]
    for node in w:
        radio = w.radios[node.name]
        if not filtering:
            radio.set_frame_filter(None)
        mac = node.mac
        inner = mac.pd_data_indication

        def counted(
            psdu: bytes, rssi: int, lqi: int, ts: int | None = None, inner: Any = inner
        ) -> None:
            indicated[0] += 1
            inner(psdu, rssi, lqi, ts)

        radio.set_user(None)
        mac.pd_data_indication = counted  # type: ignore[method-assign]
        radio.set_user(mac)
    w.run(30 * S)
    for i, src in enumerate((*routers[:10], *eds[:5])):
        w.kernel.call_at(w.now_us + i * S // 3, send, src, 0x0000, aps_payload(i))
    w.run(w.now_us + 10 * S)
    radios = [(r.rx_frames, r.rx_lost, r.tx_frames) for r in w.medium.radios]
    stats = w.stats()
    for node in w:  # the frames the radio's filter kept from the MAC, as the MAC counts them
        mac = stats[node.name]["mac"]
        assert isinstance(mac, dict)
        mac["rx_not_for_us"] += w.radios[node.name].rx_filtered
    return w, stats, radios, indicated[0]


def test_filtering_radios_change_no_counter() -> None:
    w1, stats1, radios1, indicated1 = _run(True)
    w2, stats2, radios2, indicated2 = _run(False)
    assert stats1 == stats2
    assert radios1 == radios2
    assert w1.kernel.events_run == w2.kernel.events_run
    assert sum(w1.radios[n.name].rx_filtered for n in w1) > 1000
    assert sum(w2.radios[n.name].rx_filtered for n in w2) == 0
    # frames for someone else never reached the filtering MACs
    assert indicated1 < indicated2 - 1000


def test_radio_copies_of_the_filter_follow_the_mac() -> None:
    """Every way the MAC's filter values change reaches the medium's copies
    (``Radio.frame_filter_changed``): MLME-SET, a direct PIB write, the awaited ACK, the user
    changing, MLME-RESET."""
    k = Kernel()
    m = Medium(k, seed=1)
    r = m.add_radio(0x11, (0.0, 0.0))
    mac = Mac(r, k, random.Random(1), 0x11)
    i = r.index

    def copies() -> tuple[bool, int, int, int]:
        key = int(m._fkey[i])
        return bool(m._fnone[i]), key & 0xFFFF, key >> 16, int(m._fack[i])

    assert copies() == (False, 0xFFFF, 0xFFFF, -1)
    mac.mlme_set("mac_short_address", 0x1234)
    mac.pib.mac_pan_id = 0x1A62
    assert copies() == (False, 0x1234, 0x1A62, -1)
    mac._set_ack_dsn(7)
    assert copies() == (False, 0x1234, 0x1A62, 7)
    r.set_user(None)
    assert copies()[0] is True and m._unfiltered == 1
    r.set_user(mac)
    assert m._unfiltered == 0
    assert copies() == (False, 0x1234, 0x1A62, 7)
    mac.mlme_reset()
    assert copies() == (False, 0xFFFF, 0xFFFF, -1)
    assert mac.pib.mac_short_address == 0xFFFF
