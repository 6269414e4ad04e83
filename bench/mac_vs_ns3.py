"""zigmesh's full 802.15.4 MAC against ns-3's lr-wpan on the same scenario.

Scenario (the peer's /work/shared/peers/ns3-lrwpan/lrwpan_scale.cc, matched exactly):
N nodes on a square grid (side = ceil(sqrt(N)), row first, 30 m spacing), log-distance loss
(exponent 3, 46.6777 dB at 1 m), no shadowing, 0 dBm; short addresses 1..N in grid order on
PAN 0x1a62; each node sends a 20-byte MSDU, ACK requested, to its right-hand grid neighbour
(left-hand on the last column) every 1 s starting at a uniform random phase in [0, 1 s), while
``now + 1 s < stop``; 20 simulated seconds. The ns-3 run prunes receivers beyond 110 dB of
loss (``--maxLossDb=110``); zigmesh's medium ignores signals below sensitivity (-100 dBm)
minus a 10 dB margin, the same 110 dB.

zigmesh runs everything for real: MAC frame encoding, unslotted CSMA-CA with CCA on the
medium, the receiver's address filtering, FCS check and decode, automatic ACKs after
aTurnaroundTime, ACK matching, retries, SINR-based reception of every frame.

Reported per N: wall seconds per simulated second of the event loop (setup excluded, as in the
peer), the ratio ns-3 / zigmesh, requests, confirms with SUCCESS, indications, and kernel
events per request (ns-3: ``Simulator::GetEventCount`` per request).

Usage::

    python bench/mac_vs_ns3.py [N ...] [--no-peer] [--seconds 20] [--seed 1] [--profile]
                               [--phy ns3|default]

``--profile`` runs zigmesh's largest N under cProfile and prints the top functions.
``--phy default`` uses zigmesh's own receiver defaults instead of ns-3's thresholds: its CCA
threshold (-90 dBm) does not hear the diagonal grid neighbours (42 m, -95.5 dBm), which then
act as hidden terminals, and delivery drops by about 0.4 %.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from zigmesh.mac.mac import Mac
from zigmesh.mac.primitives import MacEvent, MacStatus, McpsDataConfirm, McpsDataIndication
from zigmesh.phy import RadioState
from zigmesh.sim.kernel import Kernel, node_rng
from zigmesh.sim.medium import Medium, MediumConfig

PEER = Path("/work/shared/peers/ns3-lrwpan/run.sh")
PAN_ID = 0x1A62
SPACING_M = 30.0
INTERVAL_US = 1_000_000
MSDU = bytes(20)
#: ns-3 lr-wpan's PHY in zigmesh's medium terms (LrWpanPhy, ns-3.37): receiver sensitivity
#: -106.58 dBm; CCA mode 1 busy at sensitivity + 10 dB = -96.58 dBm; signals beyond 110 dB of
#: loss ignored (``MaxLossDb``): floor -110 dBm = sensitivity - 3.42 dB; its O-QPSK error
#: model delivers a 37-byte PPDU with 95 % probability at 0 dB SINR (50 % at -1.5 dB), so the
#: whole-frame SINR threshold is 0 dB.
NS3_PHY = MediumConfig(
    path_loss_exponent=3.0,
    reference_loss_db=46.6777,
    shadowing_sigma_db=0.0,
    sensitivity_dbm=-106.58,
    cca_threshold_dbm=-96.58,
    interference_margin_db=3.42,
    sinr_threshold_db=0.0,
)
#: zigmesh's default receiver (-100 dBm sensitivity, CCA at -90 dBm, 5 dB SINR), same loss
DEFAULT_PHY = MediumConfig(
    path_loss_exponent=3.0,
    reference_loss_db=46.6777,
    shadowing_sigma_db=0.0,
)
PHYS = {"ns3": NS3_PHY, "default": DEFAULT_PHY}


@dataclass
class Result:
    n: int
    wall_per_sim_s: float
    tx: int
    ok: int
    fail: int
    rx: int
    events_per_tx: float


class _Counter:
    """The upper layer of every node: counts confirms and indications."""

    __slots__ = ("ok", "fail", "rx")

    def __init__(self) -> None:
        self.ok = 0
        self.fail = 0
        self.rx = 0

    def __call__(self, ev: MacEvent) -> None:
        if type(ev) is McpsDataIndication:
            self.rx += 1
        elif type(ev) is McpsDataConfirm:
            if ev.status == MacStatus.SUCCESS:
                self.ok += 1
            else:
                self.fail += 1


def run_zigmesh(
    n: int, seconds: int = 20, seed: int = 1, phy: MediumConfig = NS3_PHY
) -> tuple[Result, Kernel]:
    kernel = Kernel()
    medium = Medium(kernel, seed=seed, config=phy)
    side = math.ceil(math.sqrt(n))
    counter = _Counter()
    macs: list[Mac] = []
    for i in range(n):
        eui = 0x00124B0000000000 + i + 1
        radio = medium.add_radio(
            eui, (SPACING_M * (i % side), SPACING_M * (i // side)), state=RadioState.RX
        )
        mac = Mac(radio, kernel, node_rng(seed, eui), eui)
        mac.pib.set("mac_short_address", i + 1)
        mac.pib.set("mac_pan_id", PAN_ID)
        mac.mlme_set("mac_rx_on_when_idle", True)
        mac.set_upper(counter)
        macs.append(mac)
    stop = seconds * 1_000_000
    sent = [0]

    def send(mac: Mac, dst: int) -> None:
        sent[0] += 1
        mac.mcps_data_request(dst, MSDU)
        if kernel.now() + INTERVAL_US < stop:
            kernel.call_later(INTERVAL_US, send, mac, dst)

    phase = random.Random(seed)
    for i, mac in enumerate(macs):
        j = i + 1 if (i % side) + 1 < side and i + 1 < n else i - 1
        kernel.call_at(phase.randrange(INTERVAL_US), send, mac, j + 1)
    for r in medium.radios:  # neighbour lists built before timing (the peer's setup)
        r.neighbours()
    t0 = time.perf_counter()
    kernel.run(until=stop)
    wall = time.perf_counter() - t0
    return (
        Result(
            n,
            wall / seconds,
            sent[0],
            counter.ok,
            counter.fail,
            counter.rx,
            kernel.events_run / max(sent[0], 1),
        ),
        kernel,
    )


def run_peer(ns: list[int]) -> dict[int, Result]:
    out = subprocess.run(
        ["bash", str(PEER), *map(str, ns)], capture_output=True, text=True, check=True
    ).stdout
    res: dict[int, Result] = {}
    for line in out.splitlines():
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        if "n" not in kv:
            continue
        n = int(kv["n"])
        res[n] = Result(
            n,
            float(kv["wall_s_per_sim_s"]),
            int(kv["tx"]),
            int(kv["ack_ok"]),
            int(kv["fail"]),
            int(kv["rx_ind"]),
            float(kv["events_per_tx"]),
        )
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="*", type=int, default=[100, 400, 1000])
    ap.add_argument("--no-peer", action="store_true", help="skip the ns-3 run")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile zigmesh at the largest N")
    ap.add_argument(
        "--phy",
        choices=sorted(PHYS),
        default="ns3",
        help="receiver model: ns-3 lr-wpan's thresholds (default) or zigmesh's defaults",
    )
    args = ap.parse_args(argv)
    phy = PHYS[args.phy]

    ours = {n: run_zigmesh(n, args.seconds, args.seed, phy)[0] for n in args.n}
    peer: dict[int, Result] = {}
    if not args.no_peer:
        if args.seconds != 20:
            print("note: the peer always simulates 20 s", file=sys.stderr)
        peer = run_peer(args.n)

    hdr = (
        f"{'N':>5} | {'zigmesh wall-s/sim-s':>20} {'ns-3':>8} {'ns-3/zig':>8} | "
        f"{'zig tx/ok/rx':>18} {'ns-3 tx/ok/rx':>18} | {'ev/tx zig':>9} {'ns-3':>6}"
    )
    print(hdr)
    print("-" * len(hdr))
    for n in args.n:
        z = ours[n]
        p = peer.get(n)
        zt = f"{z.tx}/{z.ok}/{z.rx}"
        if p is not None:
            pt = f"{p.tx}/{p.ok}/{p.rx}"
            print(
                f"{n:>5} | {z.wall_per_sim_s:>20.4f} {p.wall_per_sim_s:>8.4f} "
                f"{p.wall_per_sim_s / z.wall_per_sim_s:>8.2f} | {zt:>18} {pt:>18} | "
                f"{z.events_per_tx:>9.2f} {p.events_per_tx:>6.1f}"
            )
        else:
            print(
                f"{n:>5} | {z.wall_per_sim_s:>20.4f} {'-':>8} {'-':>8} | {zt:>18} {'-':>18} | "
                f"{z.events_per_tx:>9.2f} {'-':>6}"
            )

    if args.profile:
        n = max(args.n)
        prof = cProfile.Profile()
        prof.enable()
        run_zigmesh(n, min(args.seconds, 5), args.seed, phy)
        prof.disable()
        print(f"\ncProfile, zigmesh N={n}, {min(args.seconds, 5)} simulated s:")
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
