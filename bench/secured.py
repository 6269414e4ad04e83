"""Cost of security: wall-seconds per simulated second, secured vs ``security = false``.

Two networks, each simulated twice in this process (secured, then unsecured), same seed:

(a) ``house``: the built-in default scenario (``src/zigmesh/scenario/default.toml``: a hub, 10
    routers, 20 sleepy sensors, 6 flows, 5 simulated minutes), with its Home Automation devices
    and the hub that interviews, binds and configures them, as ``zigmesh run`` runs it (before
    2026-12-05 this bench left them out: 1.68-1.74x for the flows alone, 1.28x for the house);
(b) ``grid-N``: an N-node network (default 1,000: 1 coordinator in the middle, 60 % routers on a
    grid, 40 % sleepy end devices at random spots of the same area; path loss exponent 3, so
    about 60 m nominal range). The grid's spacing is the largest, up to 25 m, at which every
    router is within 12 good-link hops of the coordinator (bench/scale.py's rule: nwkMaxDepth
    less 3): 20 m at 1,000 nodes with seed 1, about 29 routers in range of a router. At 25 m
    (this bench before 2026-12-05: 18 in range) the far routers sat 13-18 good hops out, past
    nwkMaxDepth. Route records follow the cheapest path (many short links, 3-11 hops more than
    the fewest good ones), so many outer routers' records still hold more than 11 relays, and
    the trust center's Tunnel command to such a parent (65 bytes: room for 11 relays of source
    route in a secured frame) needs a route discovery (issue 7 note). Routers join
    nearest-the-coordinator first, ``--join-gap`` apart (default 1 s), then the end devices as
    far apart, as an installer commissions them. A secured join needs 6-9
    unicasts to and from the trust center, whose receiver serves about 2 joins a second
    (measured, issue 7: a third of the frames sent to it get through at that load); 100 ms
    apart, the unsecured network has all 1,000 in within 100 s and the secured one 427 after
    231 s (360 on the 25 m grid), so the two runs compare different networks. Traffic (APS
    acknowledged, as ``zigmesh run`` sends it), about 1.3 messages a second: every end device
    reports to the coordinator every 10 minutes (16 bytes), every router every 30 minutes (24
    bytes), and the coordinator talks to the 4 corner routers every minute. (Five times that
    load drowns even the unsecured network in route discoveries: 55 % delivery.)

Each network is run like ``zigmesh run`` runs it (the same :class:`Scenario` data, APSDE
traffic and delivery matching, the application devices and hub), minus the capture file, plot
and progress bar. Two phases are
timed: formation (until the traffic starts: 30 s after the last join time for the grid, the
latest flow start for the house) and steady state (traffic on). "ratio" is secured over
unsecured wall time (issue target: <= 1.5); "events ratio" the same for kernel events, so
"ratio / events ratio" ("per event") is the cost of security per event (crypto, key and
counter handling, longer frames) apart from the protocol doing more (key exchange, retries).
"joined" is the count of nodes in the network at the end, "delivery" the share of the messages
sent that the destination application received. When the two runs did not form the same
network (joined counts differ), their wall times compare different work: a line says so.

The house runs ``--repeat`` times per mode (each phase the best of them, as in the other
benchmarks: the development machine is shared); the large network once per mode (minutes).

Run: python3 bench/secured.py [--quick] [--nodes N] [--steady S] [--repeat R] [--join-gap MS]
[--only house|grid]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import time
from dataclasses import dataclass

from scale import largest_fitting_spacing  # bench/scale.py, beside this file: its layout rule

from zigmesh.scenario.app_traffic import AppRun  # the house's devices and hub, as `zigmesh run`
from zigmesh.scenario.config import NodeSpec, RadioSpec, Scenario, TrafficSpec, default_scenario
from zigmesh.scenario.runner import _Traffic  # the engine of `zigmesh run`: same APSDE traffic
from zigmesh.sim.world import World

S = 1_000_000
#: the widest router spacing the grid may take (:func:`grid_spacing`)
MAX_ROUTER_SPACING_M = 25.0
ROUTER_SHARE = 0.6
ROUTER_STAGGER_US = 1_000_000
#: end devices as far apart (0.5 s, the trust center's whole capacity, left a backlog of
#: joins running into the steady state: 8.4x the unsecured run's events there)
END_DEVICE_STAGGER_US = 1_000_000
#: traffic starts this long after the last node's join time (authentication, TCLK exchange)
SETTLE_US = 30 * S


@dataclass(slots=True)
class Phase:
    """One timed stretch of simulated time."""

    sim_s: float
    wall_s: float
    events: int


@dataclass(slots=True)
class Run:
    formation: Phase
    steady: Phase
    nodes: int
    joined: int
    sent: int
    delivered: int

    @property
    def delivery(self) -> float:
        return self.delivered / self.sent if self.sent else float("nan")


def grid_spacing(n: int, seed: int = 1) -> float:
    """The router spacing of the N-node grid: the largest, up to :data:`MAX_ROUTER_SPACING_M`
    in 0.5 m steps, that keeps every router within bench/scale.py's TARGET_DEPTH good-link
    hops of the coordinator."""
    return largest_fitting_spacing(
        lambda spacing: grid_scenario(n, S, seed, spacing=spacing), MAX_ROUTER_SPACING_M
    )


def grid_scenario(
    n: int,
    steady_us: int,
    seed: int = 1,
    router_gap_us: int = ROUTER_STAGGER_US,
    end_device_gap_us: int = END_DEVICE_STAGGER_US,
    spacing: float | None = None,
) -> Scenario:
    """The large network of the module docstring as :class:`Scenario` data (``spacing``: the
    router grid's, default :func:`grid_spacing`)."""
    if spacing is None:
        spacing = grid_spacing(n, seed)
    rng = random.Random(seed)
    n_routers = max(1, round((n - 1) * ROUTER_SHARE))
    n_eds = n - 1 - n_routers
    cols = math.ceil(math.sqrt(n_routers))
    rows = math.ceil(n_routers / cols)
    width, height = (cols - 1) * spacing, (rows - 1) * spacing
    centre = (width / 2, height / 2, 0.0)
    spots = [(c * spacing, r * spacing, 0.0) for r in range(rows) for c in range(cols)][
        :n_routers
    ]

    def dist(p: tuple[float, float, float]) -> float:
        return math.hypot(p[0] - centre[0], p[1] - centre[1])

    # the coordinator sits half a spacing off the middle router; routers join outwards
    coord = (centre[0] + spacing / 2, centre[1] + spacing / 2, 0.0)
    nodes = [NodeSpec("coordinator", "coordinator", coord, None, 0)]
    t = 1 * S
    for i, p in enumerate(sorted(spots, key=dist)):
        nodes.append(NodeSpec(f"router-{i + 1}", "router", p, None, t, 1, "routers"))
        t += router_gap_us
    eds = [(rng.uniform(0, width), rng.uniform(0, height), 0.0) for _ in range(n_eds)]
    for i, p in enumerate(sorted(eds, key=dist)):
        nodes.append(NodeSpec(f"sensor-{i + 1}", "end_device", p, None, t, 2, "sensors"))
        t += end_device_gap_us
    start = t + SETTLE_US
    stop = start + steady_us
    routers = tuple(n.name for n in nodes if n.role == "router")
    sensors = tuple(n.name for n in nodes if n.role == "end_device")
    corners = sorted(
        {
            min(
                (s for s in nodes if s.role == "router"),
                key=lambda s: math.hypot(s.position[0] - x, s.position[1] - y),
            ).name
            for x in (0.0, width)
            for y in (0.0, height)
        }
    )
    traffic = [
        TrafficSpec("reports", sensors, "coordinator", 600 * S, 16, start, stop),
        TrafficSpec("metering", routers, "coordinator", 1800 * S, 24, start, stop),
    ] + [TrafficSpec(f"to-{c}", ("coordinator",), c, 60 * S, 5, start, stop) for c in corners]
    return Scenario(
        seed=seed,
        duration_us=stop,
        channel=20,
        nodes=tuple(nodes),
        traffic=tuple(t for t in traffic if t.sources),
        radio=RadioSpec(path_loss_exponent=3.0),
        name=f"grid-{n}",
    )


def simulate(scenario: Scenario, security: bool, formation_us: int) -> Run:
    """Build ``scenario`` as ``zigmesh run`` would (no capture) and time its two phases."""
    sc = dataclasses.replace(scenario, security=security)
    assert sc.channel is not None
    world = World(
        sc.seed,
        medium=sc.radio.medium_config(),
        channel=sc.channel,
        tx_power_dbm=sc.radio.tx_power_dbm,
        security=security,
    )
    traffic = _Traffic(world, sc)
    app = AppRun(world, sc)
    for spec in sc.nodes:
        world.add_node(
            spec.name,
            spec.role,
            spec.position,
            poll_interval_us=spec.poll_interval_us,
            join_at_us=spec.join_at_us,
            channels=(sc.channel,),
            manufacturer_code=spec.manufacturer_code,
        )
    app.create()
    traffic.add_endpoints()
    traffic.schedule()
    app.schedule()
    phases = []
    for start, end in ((0, formation_us), (formation_us, sc.duration_us)):
        t0 = time.perf_counter()
        events = world.run(end)
        phases.append(Phase((end - start) / S, time.perf_counter() - t0, events))
    return Run(
        phases[0],
        phases[1],
        len(world.nodes),
        len(world.joined()),
        sum(f.sent for f in traffic.flows),
        sum(f.delivered for f in traffic.flows),
    )


def best(runs: list[Run]) -> Run:
    """The runs are the same simulation: keep each phase's fastest wall time."""
    r = runs[0]
    return dataclasses.replace(
        r,
        formation=min((x.formation for x in runs), key=lambda p: p.wall_s),
        steady=min((x.steady for x in runs), key=lambda p: p.wall_s),
    )


def measure(scenario: Scenario, formation_us: int, repeat: int) -> tuple[Run, Run]:
    secured = best([simulate(scenario, True, formation_us) for _ in range(repeat)])
    plain = best([simulate(scenario, False, formation_us) for _ in range(repeat)])
    return secured, plain


HEADER = (
    f"{'network':<11}{'phase':<10}{'nodes':>6}{'sim-s':>6}{'wall-s sec':>11}{'wall-s plain':>13}"
    f"{'ratio':>7}{'events ratio':>13}{'per event':>10}{'wall/sim sec':>13}{'wall/sim plain':>15}"
    f"{'joined sec/plain':>18}{'delivery sec/plain':>20}"
)


def _total(r: Run) -> Phase:
    f, s = r.formation, r.steady
    return Phase(f.sim_s + s.sim_s, f.wall_s + s.wall_s, f.events + s.events)


def rows(name: str, sec: Run, plain: Run) -> list[str]:
    """Table lines of one network: formation, steady state (the headline) and the whole run."""
    out = []
    for phase, a, b in (
        ("formation", sec.formation, plain.formation),
        ("steady", sec.steady, plain.steady),
        ("whole run", _total(sec), _total(plain)),
    ):
        last = phase == "whole run"
        joined = f"{sec.joined}/{plain.joined}" if last else ""
        delivery = f"{sec.delivery:.1%}/{plain.delivery:.1%}" if last else ""
        ratio = a.wall_s / b.wall_s
        events = a.events / max(b.events, 1)
        out.append(
            f"{name:<11}{phase:<10}{sec.nodes:>6}{a.sim_s:>6.0f}{a.wall_s:>11.2f}{b.wall_s:>13.2f}"
            f"{ratio:>7.2f}{events:>13.2f}{ratio / events:>10.2f}"
            f"{a.wall_s / a.sim_s:>13.4f}{b.wall_s / b.sim_s:>15.4f}{joined:>18}{delivery:>20}"
        )
    if sec.joined != plain.joined:
        out.append(
            f"{name:<11}(!) secured: {sec.joined} of {sec.nodes} nodes joined, unsecured: "
            f"{plain.joined}: the wall times above compare different networks"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 nodes, 60 s steady, 1 house run")
    ap.add_argument("--nodes", type=int, default=None, help="large network size (default 1000)")
    ap.add_argument(
        "--steady", type=float, default=None, help="steady-state sim-s of the large network (120)"
    )
    ap.add_argument("--repeat", type=int, default=None, help="house runs per mode (default 3)")
    ap.add_argument(
        "--join-gap",
        type=float,
        default=ROUTER_STAGGER_US / 1000,
        help="ms between the joins in the large network (routers, then end devices)",
    )
    ap.add_argument("--only", choices=("house", "grid"), default=None, help="one network only")
    args = ap.parse_args()
    n = args.nodes if args.nodes is not None else (200 if args.quick else 1000)
    steady_s = args.steady if args.steady is not None else (60.0 if args.quick else 120.0)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    print(HEADER, flush=True)
    if args.only in (None, "house"):
        house = default_scenario()
        # formation: until every flow runs (each starts 10 s after its nodes' join time)
        sec, plain = measure(house, max(t.start_us for t in house.traffic), repeat)
        for line in rows("house", sec, plain):
            print(line, flush=True)
    if args.only in (None, "grid"):
        gap = int(args.join_gap * 1000)
        spacing = grid_spacing(n)
        print(f"grid-{n}: routers {spacing:g} m apart", flush=True)
        sc = grid_scenario(
            n, int(steady_s * S), router_gap_us=gap, end_device_gap_us=gap, spacing=spacing
        )
        sec, plain = measure(sc, min(t.start_us for t in sc.traffic), 1)
        for line in rows(f"grid-{n}", sec, plain):
            print(line, flush=True)


if __name__ == "__main__":
    main()
