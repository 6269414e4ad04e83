"""Medium cost per transmission vs network size at constant density.

Nodes on a square grid with 30 m spacing (log-distance n = 3, 46.68 dB at 1 m, 0 dBm, no
shadowing: the MAC benchmark's layout), all listening on one channel with a do-nothing PHY
user. Every node sends 20-byte PSDUs at random intervals averaging 1 s (so the offered load per area
is the same for every N) until about ``n_tx`` frames were sent. Reported per
transmission: wall time of the whole run (start callback + medium start walk + the end event +
deliveries), neighbours walked, and receptions. "medium" is the time spent inside
``transmit`` and the end-of-frame event (deliveries to a do-nothing user included); "total" adds
the kernel and the traffic driver. The neighbour lists are built before timing (their build
cost per node is reported separately). The 100-node grid (270 m wide) has fewer neighbours per
node than the larger ones because of its edges (interference reach is about 129 m).

The last line is the MAC benchmark's load without a MAC: 1,000 nodes, each sending a 33-byte
data frame per second to a grid neighbour that answers with a 5-byte ACK 192 us after it ends
(no CSMA, no retries).

Usage: ``python bench/medium.py [n_tx]`` (default 20,000 transmissions per size; every figure
is the best of 3 runs).
"""

from __future__ import annotations

import math
import random
import sys
import time

from zigmesh.phy import TURNAROUND_US, RadioState
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import Medium, MediumConfig, Radio, Transmission

CONFIG = MediumConfig(shadowing_sigma_db=0.0)
SPACING_M = 30.0


class Sink:
    __slots__ = ("rx",)

    def __init__(self) -> None:
        self.rx = 0

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        self.rx += 1

    def pd_tx_done(self) -> None:
        pass


def grid(n: int, seed: int = 1) -> tuple[Kernel, Medium, list[Sink]]:
    k = Kernel()
    m = Medium(k, seed=seed, config=CONFIG)
    side = math.ceil(math.sqrt(n))
    sinks = []
    for i in range(n):
        r = m.add_radio(
            i + 1, (SPACING_M * (i % side), SPACING_M * (i // side)), state=RadioState.RX
        )
        s = Sink()
        r.set_user(s)
        sinks.append(s)
    return k, m, sinks


def per_tx_cost(n: int, n_tx: int) -> tuple[float, float, float, float, float]:
    """(medium us/tx, total us/tx, neighbours walked/tx, receptions/tx, build us/node)."""
    k, m, sinks = grid(n)
    t0 = time.perf_counter()
    for r in m.radios:
        r.neighbours()
    build_us = (time.perf_counter() - t0) / n * 1e6
    rng = random.Random(n)
    horizon = n_tx * 1_000_000 // n  # 1 frame per node per second
    psdu = bytes(20)
    in_medium = [0.0]
    clock = time.perf_counter
    medium_end = m._end

    def timed_end(tx: Transmission) -> None:
        t = clock()
        medium_end(tx)
        in_medium[0] += clock() - t

    m._end = timed_end  # type: ignore[method-assign]

    def send(r: Radio) -> None:
        if r.state is RadioState.RX:
            t = clock()
            r.transmit(psdu)
            in_medium[0] += clock() - t
        k.call_later(rng.randrange(1, 2_000_000), send, r)  # mean period 1 s

    for r in m.radios:
        k.call_at(rng.randrange(1_000_000), send, r)
    t0 = time.perf_counter()
    k.run(until=horizon)
    wall = time.perf_counter() - t0
    sent = sum(r.tx_frames for r in m.radios)
    walked = sum(len(r.neighbours()) * r.tx_frames for r in m.radios)
    rx = sum(s.rx for s in sinks)
    return in_medium[0] / sent * 1e6, wall / sent * 1e6, walked / sent, rx / sent, build_us


def mac_like_load(n: int = 1000, seconds: int = 5) -> tuple[float, int]:
    """Every node sends a 33-byte frame per second to its right-hand grid neighbour (left on
    the last column), which answers with a 5-byte ACK after the turnaround if it got it."""
    k, m, _ = grid(n)
    for r in m.radios:
        r.neighbours()
    rng = random.Random(7)
    side = math.ceil(math.sqrt(n))
    ack = bytes(5)
    radios = m.radios

    def send_ack(r: Radio) -> None:
        if r.state is RadioState.RX:
            r.transmit(ack)

    class Acker(Sink):
        __slots__ = ("radio", "me")

        def __init__(self, radio: Radio) -> None:
            super().__init__()
            self.radio = radio
            self.me = radio.index.to_bytes(2, "little")

        def pd_data_indication(
            self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
        ) -> None:
            if len(psdu) == 33 and psdu[:2] == self.me:  # addressed to us
                k.call_later(TURNAROUND_US, send_ack, self.radio)

    frames = []
    for i, r in enumerate(radios):
        r.set_user(Acker(r))
        j = i + 1 if (i % side) + 1 < side and i + 1 < n else i - 1
        frames.append(j.to_bytes(2, "little") + bytes(31))

    def send(r: Radio) -> None:
        if r.state is RadioState.RX:
            r.transmit(frames[r.index])
        if k.now() + 1_000_000 < seconds * 1_000_000:
            k.call_later(1_000_000, send, r)

    for r in radios:
        k.call_at(rng.randrange(1_000_000), send, r)
    t0 = time.perf_counter()
    k.run(until=seconds * 1_000_000)
    wall = time.perf_counter() - t0
    return wall / seconds, sum(r.tx_frames for r in radios) // seconds


def main() -> None:
    n_tx = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(
        f"{'nodes':>7}{'medium us/tx':>14}{'ns/nbr':>8}{'total us/tx':>13}"
        f"{'nbrs/tx':>9}{'rx/tx':>7}{'build us/node':>15}"
    )
    rows = []
    for n in (100, 1_000, 10_000):
        # best of 3: the development machine is shared, so single runs are noisy
        cost, total, nbrs, rx, build = min(per_tx_cost(n, n_tx) for _ in range(3))
        rows.append(cost)
        print(
            f"{n:>7}{cost:>14.1f}{cost / nbrs * 1000:>8.0f}{total:>13.1f}"
            f"{nbrs:>9.1f}{rx:>7.2f}{build:>15.0f}"
        )
    print(f"medium per-tx cost max/min: {max(rows) / min(rows):.2f} (target <= 2)")
    wall, tx_per_s = min(mac_like_load() for _ in range(3))
    print(
        f"\nMAC-benchmark load without MAC (1000 nodes, ~{tx_per_s} tx/s): "
        f"{wall:.3f} wall-s per simulated s"
    )


if __name__ == "__main__":
    main()
