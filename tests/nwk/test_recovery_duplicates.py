"""Issue 9 item 6: duplicates reached the upper layer. On a 40 m chain, NWK unicast retries
after lost MAC ACKs (the frame got through, its ACK did not, the MAC gave up and the NWK sent
the frame again under the same NWK sequence number) delivered the same frame two or more
times, and every relay multiplied the copies.

What absorbs them now, layer by layer:

- the MAC drops its own retransmissions (same MAC sequence number, ``rx_duplicate``);
- the NWK drops a unicast data frame whose (source, NWK sequence number) it relayed or
  delivered lately, and counts it (``NwkStats.rx_duplicate_unicast``);
- the APS duplicate rejection table (Zigbee spec R22 2.2.8.4.3, ``aps/duplicates.py``) drops an
  APS retransmission (same source and APS counter, its APS ACK was lost or late), acknowledges
  it again and counts it (``ApsStats.duplicates_rejected``).

Here MAC ACKs are lost at random (30 %, seeded) on a secured line of five nodes 40 m apart
(each hears only its neighbours), with traffic both ways: NLDE-DATA indications and, with APS
in operation, application indications each come exactly once, and the duplicates are counted.
"""

from __future__ import annotations

import random
from collections import Counter

from tests.nwk.flows import Flows
from tests.nwk.nwkutil import MS, SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.aps.commands import ApsStatus
from zigmesh.scenario.runner import _node_drops
from zigmesh.sim.medium import Radio
from zigmesh.sim.world import World

ACK_LOSS = 0.3
_FT_ACK = 0x02


class AckLoss:
    """``Medium.rx_filter``: each MAC ACK is lost for its receiver with probability ``p``."""

    def __init__(self, p: float, seed: int) -> None:
        self.p = p
        self.rng = random.Random(seed)
        self.lost = 0

    def __call__(self, sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        if psdu[0] & 0x07 == _FT_ACK and self.rng.random() < self.p:
            self.lost += 1
            return None
        return psdu


def _chain(seed: int) -> tuple[World, AckLoss]:
    w = World(seed=seed, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    for i in range(1, 5):
        w.add_node(f"r{i}", "router", (40.0 * i, 0.0), join_at_us=i * S)
    assert w.run_until(lambda: w.all_joined() and all(n.authenticated for n in w), 120 * S)
    w.run_for(10 * S)
    # a chain: each node hears only its neighbours
    assert set(w.neighbor_lqis("c")) == {"r1"} and set(w.neighbor_lqis("r4")) == {"r3"}
    loss = AckLoss(ACK_LOSS, seed)
    w.medium.rx_filter = loss
    return w, loss


def test_nwk_retries_never_deliver_a_unicast_twice() -> None:
    w, loss = _chain(1)
    c, r4 = w["c"], w["r4"]
    rec = Recorder().attach(w)
    t0 = w.now_us
    n = 150
    payloads = [aps_payload(k, 8) + k.to_bytes(2, "little") for k in range(n)]
    for k, p in enumerate(payloads):
        w.kernel.call_at(t0 + k * S, lambda p=p: send(r4, c.network_address, p))
        w.kernel.call_at(t0 + k * S + 500 * MS, lambda p=p: send(c, r4.network_address, p))
    w.run_for(n * S + 30 * S)
    mine = set(payloads)
    for name in ("c", "r4"):
        got = Counter(e.nsdu for _, e in rec.indications(name) if e.nsdu in mine)
        assert max(got.values()) == 1, f"{name} got a frame twice"
        assert len(got) >= 0.9 * n, (name, len(got))
    nwk_retries = sum(x.nwk.stats.tx_unicast_retries for x in w)
    nwk_dups = sum(x.nwk.stats.rx_duplicate_unicast for x in w)
    # the losses were real, NWK retries made copies, and every copy was caught and counted
    assert loss.lost > 500 and nwk_retries > 100 and nwk_dups > 100
    assert c.stats.as_dict()["nwk"]["rx_duplicate_unicast"] == c.nwk.stats.rx_duplicate_unicast  # type: ignore[index]
    # and zigmesh run's summary.json shows them among each node's drops
    assert sum(_node_drops(x)["nwk_rx_duplicate_unicast"] for x in w) == nwk_dups


def test_aps_delivers_each_message_exactly_once() -> None:
    w, loss = _chain(2)
    c, r4 = w["c"], w["r4"]
    flows = Flows(w, S)
    up = flows.add(r4, c)
    down = flows.add(c, r4)
    flows.start()
    w.run_for(150 * S)
    flows.stop()
    w.run_for(40 * S)  # late retransmissions would show now
    for f in (up, down):
        assert len(f.sent) >= 140
        # each message reaches the application once at most, and nothing unsent arrives
        assert f.duplicates == 0, (f.src.name, f.dst.name)
        assert set(f.delivered) <= {seq for seq, _ in f.sent}
        # one confirm per request; SUCCESS means delivered (once)
        assert len(f.confirmed) == len(f.sent) and not f.handles
        ok = {seq for seq, st in f.confirmed.items() if st == ApsStatus.SUCCESS}
        assert ok <= set(f.delivered)
        assert len(f.delivered) >= 0.85 * len(f.sent), (f.src.name, len(f.delivered))
    # NWK copies were dropped and counted below the APS; APS retransmissions (ACK lost or
    # late) were rejected by the APS duplicate table and counted there
    assert sum(x.nwk.stats.rx_duplicate_unicast for x in w) > 100
    assert sum(x.aps.stats.retries for x in w) > 10
    assert sum(x.aps.stats.duplicates_rejected for x in w) > 10
    assert loss.lost > 500


def test_unicasts_seen_are_forgotten_once_out_of_the_window() -> None:
    """``Nwk._unicast_seen`` keeps what the duplicate check can still use: entries older than
    the window leave from the front as new unicasts come (a quiet table keeps a few), and all
    old ones once it is large (an entry refreshed in place keeps its place)."""
    from zigmesh.nwk.receive import _UNICAST_DUP_WINDOW_US as W
    from zigmesh.nwk.receive import _UNICAST_SEEN_MAX, _forget_unicasts

    seen = {k: (k * MS) << 16 | 7 for k in range(40)}  # heard 0-39 ms
    seen[25] = (W + 30 * MS) << 16 | 7  # heard again later, refreshed in place
    _forget_unicasts(seen, W + 20 * MS)
    assert sorted(seen) == list(range(21, 40))  # the old ones, up to the first live one
    _forget_unicasts(seen, W + 35 * MS)
    assert sorted(seen) == list(range(25, 40))  # stops at 25 (26-35 wait behind it)
    big = {k: (k * MS) << 16 for k in range(_UNICAST_SEEN_MAX + 1)}
    big[0] = (W + 600 * MS) << 16
    _forget_unicasts(big, W + 400 * MS)
    assert sorted(big) == [0, *range(401, _UNICAST_SEEN_MAX + 1)]
