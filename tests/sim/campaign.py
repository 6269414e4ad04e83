"""The hostile-input campaign (issue 9): a steady secured network, an attacker that injects
mutated copies of real frames of every type taken from its own capture, and the accounting
of what each receiving node did with each injected frame.

Used by ``tests/sim/test_hostile_campaign.py``; :func:`run_campaign` returns plain figures.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from zigmesh.app import DIMMABLE_LIGHT, TEMPERATURE_SENSOR
from zigmesh.app.hub import Hub
from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataIndication, ApsdeEvent, TxOptions
from zigmesh.capture.dissect import Dissector
from zigmesh.mac.frames import MacFrame
from zigmesh.node import Node, Role
from zigmesh.nwk.frames import NwkFrame, NwkFrameType, secure_nwk
from zigmesh.scenario.runner import _node_drops, message_sequence, traffic_payload
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.sim.attacker import Attacker, mutate, mutate_bytes
from zigmesh.sim.medium import MediumConfig
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import SimpleDescriptor

S = 1_000_000
MEDIUM = MediumConfig(path_loss_exponent=3.3, shadowing_sigma_db=0.0)
FLOW_EP = 2
FLOW_CLUSTER = 0xFC00
PERIOD_US = 5 * S


@dataclass
class Flow:
    """Messages from ``src`` to ``dst`` every :data:`PERIOD_US` (APS acknowledged)."""

    src: str
    dst: str
    index: int
    sent_at: list[int] = field(default_factory=list)
    delivered: set[int] = field(default_factory=set)

    def ratio(self, t0: int, t1: int) -> tuple[int, int]:
        """(sent, delivered) of the messages sent in [t0, t1)."""
        seqs = [k for k, t in enumerate(self.sent_at) if t0 <= t < t1]
        return len(seqs), sum(k in self.delivered for k in seqs)


@dataclass
class Accounting:
    """What receiving nodes did with injected frames: each delivery either moved drop
    counters (by reason) or was accepted by the MAC (an ACK matched, a frame processed)."""

    deliveries: int = 0
    dropped: int = 0
    accepted: int = 0
    unaccounted: int = 0
    #: drop counter deltas caused by injected frames, by reason
    reasons: dict[str, int] = field(default_factory=dict)
    #: deliveries whose drop counters moved by more than one, and the counters that moved
    multi: int = 0
    multi_keys: list[tuple[str, ...]] = field(default_factory=list)
    #: per injection mode (raw, unsecured, insider): deliveries, dropped, accepted
    by_mode: dict[str, list[int]] = field(default_factory=dict)


def _counters(node: Node) -> dict[str, int]:
    """Every counter of a frame dropped or ignored, by layer and reason: the runner's drop
    counters plus MAC address filtering, frames nothing expected, broadcasts an rx-off end
    device ignores, frames before joining and repeated unicasts."""
    d = dict(_node_drops(node))
    m = node.mac.stats
    d["mac_rx_not_for_us"] = m.rx_not_for_us
    d["mac_rx_ignored"] = m.rx_ignored
    n = node.nwk.stats
    d["nwk_rx_broadcast_ignored"] = n.rx_broadcast_ignored
    d["nwk_rx_not_joined"] = n.rx_not_joined
    d["nwk_rx_duplicate_unicast"] = n.rx_duplicate_unicast
    return d


class _Watch:
    """Wraps a node's PHY user: measures the counters around each injected frame."""

    def __init__(self, node: Node, injected: dict[int, str], acc: Accounting) -> None:
        self.node = node
        self.inner = node.mac
        self.injected = injected
        self.acc = acc

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        mode = self.injected.get(id(psdu))
        if mode is None:
            self.inner.pd_data_indication(psdu, rssi_dbm, lqi, timestamp)
            return
        acc = self.acc
        row = acc.by_mode.setdefault(mode, [0, 0, 0])
        row[0] += 1
        m = self.node.mac.stats
        before = _counters(self.node)
        accepted = m.rx_frames + m.rx_acks
        self.inner.pd_data_indication(psdu, rssi_dbm, lqi, timestamp)
        after = _counters(self.node)
        acc.deliveries += 1
        moved = 0
        keys: list[str] = []
        for k, v in after.items():
            d = v - before.get(k, 0)
            if d:
                acc.reasons[k] = acc.reasons.get(k, 0) + d
                moved += d
                keys.append(k)
        if moved:
            acc.dropped += 1
            if moved > 1:
                acc.multi += 1
                acc.multi_keys.append(tuple(keys))
            row[1] += 1
        elif m.rx_frames + m.rx_acks > accepted:
            acc.accepted += 1
            row[2] += 1
        else:
            acc.unaccounted += 1

    def pd_tx_done(self) -> None:
        self.inner.pd_tx_done()


@dataclass
class CampaignResult:
    injected: int
    sources: dict[str, int]
    during: dict[str, tuple[int, int]]
    after: dict[str, tuple[int, int]]
    modes: dict[str, int]
    acc: Accounting
    world: World


def _add_flow(world: World, flows: list[Flow], src: str, dst: str) -> None:
    fl = Flow(src, dst, len(flows))
    flows.append(fl)
    cluster = FLOW_CLUSTER + fl.index
    for name, ins, outs in ((src, (), (cluster,)), (dst, (cluster,), ())):
        node = world[name]
        old = node.endpoints.get(FLOW_EP)
        if old is not None:
            node.endpoints[FLOW_EP] = SimpleDescriptor(
                FLOW_EP,
                0x0104,
                0x0007,
                0,
                (*old.input_cluster_list, *ins),
                (*old.output_cluster_list, *outs),
            )
            continue
        node.add_endpoint(SimpleDescriptor(FLOW_EP, 0x0104, 0x0007, 0, ins, outs), _handler(flows))


def _handler(flows: list[Flow]) -> Callable[[ApsdeEvent], None]:
    def on_event(ev: ApsdeEvent) -> None:
        if not isinstance(ev, ApsdeDataIndication):
            return
        fi = ev.cluster_id - FLOW_CLUSTER
        if not 0 <= fi < len(flows):
            return
        seq = message_sequence(ev.asdu, len(flows[fi].sent_at) - 1)
        if seq is not None:
            flows[fi].delivered.add(seq)

    return on_event


def _send(world: World, fl: Flow) -> None:
    world.kernel.call_later(PERIOD_US, _send, world, fl)
    src, dst = world[fl.src], world[fl.dst]
    if not (src.joined and dst.joined):
        return
    seq = len(fl.sent_at)
    fl.sent_at.append(world.now_us)
    src.aps.apsde_data_request(
        ApsAddrMode.SHORT,
        dst.network_address,
        FLOW_EP,
        0x0104,
        FLOW_CLUSTER + fl.index,
        FLOW_EP,
        traffic_payload(seq, 12),
        tx_options=TxOptions.ACK,
    )


def run_campaign(frames: int = 10_000, rate_hz: float = 100.0, seed: int = 9) -> CampaignResult:
    world = World(seed=seed, medium=MEDIUM, channel=15)
    world.add_node("hub", "coordinator", (0.0, 0.0))
    Hub(world["hub"])
    for k, pos in enumerate(((18.0, 0.0), (0.0, 18.0), (30.0, 14.0))):
        world.add_node(f"light-{k + 1}", "router", pos, join_at_us=(1 + k) * S)
    for k, pos in enumerate(((8.0, -6.0), (34.0, 20.0), (-6.0, 24.0))):
        world.add_node(
            f"sensor-{k + 1}",
            "end_device",
            pos,
            join_at_us=(6 + k) * S,
            poll_interval_us=2 * S,
        )
    for k in range(3):
        DIMMABLE_LIGHT.create(world[f"light-{k + 1}"], 1)
        TEMPERATURE_SENSOR.create(world[f"sensor-{k + 1}"], 1)
    atk = Attacker(world, (14.0, 8.0))
    heard = atk.record()
    flows: list[Flow] = []
    for a, b in (
        ("sensor-1", "hub"),
        ("sensor-2", "hub"),
        ("sensor-3", "light-2"),
        ("light-3", "hub"),
        ("hub", "light-3"),
        ("hub", "sensor-2"),
    ):
        _add_flow(world, flows, a, b)
    for fl in flows:
        world.kernel.call_at(20 * S + fl.index * 700_000, _send, world, fl)
    world.run(60 * S)
    assert world.all_joined()
    # the campaign
    rng = random.Random(seed)
    key = world.coordinator.keys.active_network_key
    assert key is not None
    templates = classify(heard, key.key)
    by_kind: dict[str, list[Template]] = {}
    for t in templates:
        by_kind.setdefault(t.kind, []).append(t)
    kinds = sorted(by_kind)
    injected: dict[int, str] = {}
    keep: list[bytes] = []
    acc = Accounting()
    for node in world:
        world.radios[node.name].set_user(_Watch(node, injected, acc))
    start = world.now_us
    gap = round(S / rate_hz)
    sources: dict[str, int] = {}
    modes: dict[str, int] = {}
    routers = [n.network_address for n in world if n.role != Role.END_DEVICE]
    insider = _Insider(key.key, key.seq, routers)
    old_pan = world.coordinator.mac.pib.mac_pan_id

    def fire() -> None:
        tpl = rng.choice(by_kind[rng.choice(kinds)])  # every kind equally often
        tpl = _retarget(tpl, old_pan, world.coordinator.mac.pib.mac_pan_id)
        mode, psdu = _variant(tpl, rng, insider)
        sources[tpl.kind] = sources.get(tpl.kind, 0) + 1
        modes[mode] = modes.get(mode, 0) + 1
        keep.append(psdu)
        injected[id(psdu)] = mode
        atk.inject(psdu)

    for k in range(frames):
        world.kernel.call_at(start + k * gap, fire)
    end = start + frames * gap
    world.run(end + 10 * S)
    after_start = world.now_us
    world.run(after_start + 60 * S)
    during = {f"{f.src}->{f.dst}": f.ratio(start, end) for f in flows}
    after = {f"{f.src}->{f.dst}": f.ratio(after_start, after_start + 50 * S) for f in flows}
    return CampaignResult(atk.injected, sources, during, after, modes, acc, world)


@dataclass(frozen=True)
class Template:
    """A frame heard on the air, its kind, and (NWK-secured frames) the frames decrypted."""

    kind: str
    psdu: bytes
    mac: MacFrame
    nwk_plain: NwkFrame | None = None


def classify(heard: list[bytes], network_key: bytes) -> list[Template]:
    """The distinct frames heard, each with its kind (``beacon``, ``mac:<command>``,
    ``nwk:<command>``, ``aps:<command>``, ``aps:ack``, ``zdp:<request>``, ``zcl:<command>``,
    ``data``), ``+unsecured`` for NWK frames without NWK security."""
    out: list[Template] = []
    seen: set[bytes] = set()
    dis = Dissector(network_keys=[network_key])
    for i, p in enumerate(heard):
        if p in seen or len(p) <= 5:
            continue
        seen.add(p)
        df = dis.dissect(i, 0, p)
        mac = df.layers.get("mac")
        if df.error is not None or not isinstance(mac, MacFrame):
            continue
        layers = df.layers
        if "beacon" in layers:
            kind = "beacon"
        elif "mac_command" in layers:
            kind = "mac:" + type(layers["mac_command"]).__name__
        elif "nwk" in layers:
            nwk = layers["nwk"]
            if "nwk_command" in layers:
                kind = "nwk:" + type(layers["nwk_command"]).__name__
            elif "zdp" in layers:
                kind = "zdp:" + type(layers["zdp"]).__name__
            elif "zcl_command" in layers:
                kind = "zcl:" + type(layers["zcl_command"]).__name__
            elif "aps_command" in layers:
                kind = "aps:" + type(layers["aps_command"]).__name__
            elif "aps" in layers and layers["aps"].frame_type == 2:
                kind = "aps:ack"
            else:
                kind = "data"
            secured = bool(NwkFrame.decode(mac.payload).security)
            if not secured:
                kind += "+unsecured"
            plain = nwk if secured and df.encrypted is None else None
            out.append(Template(kind, p, mac, plain))
            continue
        else:
            continue
        out.append(Template(kind, p, mac))
    return out


class _Insider:
    """Seals mutated NWK payloads with the network key under a source of its own."""

    def __init__(self, key: bytes, seq: int, targets: list[int]) -> None:
        self.key = key
        self.seq = seq
        self.counter = 0
        #: MAC destinations of its unicasts (the routers, always listening)
        self.targets = targets

    def seal(self, frame: NwkFrame) -> bytes:
        self.counter += 1
        aux = AuxHeader(KeyId.NETWORK_KEY, self.counter, INSIDER_IEEE, self.seq)
        return secure_nwk(replace(frame, aux=aux), self.key)


#: the extended nonce source of the insider's frames (no device of the network)
INSIDER_IEEE = 0xBAD0_0000_0000_00FF


def _variant(tpl: Template, rng: random.Random, insider: _Insider) -> tuple[str, bytes]:
    """One injected frame from ``tpl``: ``raw`` (the PSDU mutated, as an outsider can),
    ``unsecured`` (a secured NWK frame's plaintext sent without NWK security, mutated or
    not) or ``insider`` (the plaintext NWK payload mutated, sealed with the network key)."""
    r = rng.random()
    plain = tpl.nwk_plain
    seq = rng.randrange(256)
    if plain is not None and plain.frame_type == NwkFrameType.DATA and r < 0.35:
        payload = mutate_bytes(plain.payload, rng, 80) or b"\x00"
        frame = replace(plain, payload=payload, seq=rng.randrange(256))
        mac = replace(tpl.mac, payload=insider.seal(frame), seq=seq)
        if mac.dst_addr is not None and mac.dst_addr != 0xFFFF and mac.dst_addr <= 0xFFF7:
            mac = replace(mac, dst_addr=rng.choice(insider.targets))
        return "insider", _encode(mac, tpl.psdu)
    if plain is not None and r < 0.45:
        nwk = replace(plain, aux=None).encode()
        if rng.random() < 0.5:
            nwk = mutate_bytes(nwk, rng, 100)
        return "unsecured", _encode(replace(tpl.mac, payload=nwk, seq=seq), tpl.psdu)
    return "raw", mutate(tpl.psdu, rng, keep_fcs_valid=rng.random() < 0.95)


def _retarget(tpl: Template, old: int, new: int) -> Template:
    """``tpl`` with the PAN ID it was heard under replaced by the network's current one (a
    PAN ID conflict resolution may have changed it during the campaign)."""
    if old == new:
        return tpl
    mac = tpl.mac
    if mac.dst_pan == old:
        mac = replace(mac, dst_pan=new)
    if mac.src_pan == old:
        mac = replace(mac, src_pan=new)
    if mac is tpl.mac:
        return tpl
    return replace(tpl, mac=mac, psdu=_encode(mac, tpl.psdu))


def _encode(mac: MacFrame, fallback: bytes) -> bytes:
    data = mac.encode()
    return data if len(data) <= 127 else fallback
