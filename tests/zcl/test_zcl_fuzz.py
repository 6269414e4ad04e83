"""Hypothesis drives random ZCL frames at every cluster of the library (every built-in device
type's servers on one endpoint, and a switch's clients): random and truncated payloads,
schema-valid commands with hostile field values, attribute records with wrong or unknown data
types, manufacturer codes, reserved frame types, unicast / broadcast / groupcast.

Invariants: nothing raises (on receipt nor in the timers that follow); a profile-wide frame
other than a write changes no attribute; a write changes only writable attributes, to values
their definition accepts; every stored value still encodes as its attribute's type; the
answers are well-formed ZCL frames (and Default Responses only to unicasts).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.zcl.zclfakes import CONTROLLER, LIGHT, S, pair
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataIndication, SecurityStatus
from zigmesh.errors import DecodeError
from zigmesh.types import EUI64
from zigmesh.zcl.cluster import ServerCluster
from zigmesh.zcl.clusters.ota import OTA_UPGRADE, OtaClient, OtaServer
from zigmesh.zcl.clusters.security import IasCie
from zigmesh.zcl.definitions import ClusterDef, FieldKind, encode_args, type_bounds
from zigmesh.zcl.devices import DEVICE_TYPES, DIMMER_SWITCH
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.frame import ZclFrame
from zigmesh.zcl.types import DataType, encode_value

_SERVERS: dict[int, ClusterDef] = {0x0019: OTA_UPGRADE}
for _d in DEVICE_TYPES.values():
    for _s in _d.servers:
        _c = _s if isinstance(_s, ClusterDef) else _s().definition
        _SERVERS[_c.id] = _c
CLUSTER_IDS = sorted(_SERVERS)
#: clusters with commands drawn three times as often
_WEIGHTED = [c for c in CLUSTER_IDS for _ in range(3 if _SERVERS[c].commands else 1)]
GROUP = 0x0999


def _sink() -> tuple[Any, ZclEndpoint, ZclEndpoint]:
    net, ln, cn = pair()
    servers: list[ServerCluster] = []
    seen: set[int] = set()
    for d in DEVICE_TYPES.values():
        for s in d.servers:
            inst = ServerCluster(s) if isinstance(s, ClusterDef) else s()
            if inst.cluster_id not in seen:
                seen.add(inst.cluster_id)
                servers.append(inst)
    sink = ZclEndpoint(ln, 1, servers)
    ln.aps.apsme_add_group_request(GROUP, 1)
    switch = DIMMER_SWITCH.create(cn, 1)
    # the clusters no device type serves: OTA server, the CIE and OTA client sides
    ZclEndpoint(cn, 2, [OtaServer()], [IasCie(), OtaClient(0x1234, 1, 1)])
    return net, sink, switch


def _value(dtype: DataType) -> st.SearchStrategy[Any]:
    b = type_bounds(dtype)
    if b is not None:
        lo, hi = b
        return st.sampled_from([lo, hi, 0, 1, hi - 1]) | st.integers(lo, hi)
    if dtype == DataType.STRING:
        return st.text(max_size=20)
    if dtype == DataType.BOOL:
        return st.booleans()
    if dtype == DataType.OCTSTR:
        return st.binary(max_size=12)
    if dtype == DataType.EUI64:
        return st.integers(0, 2**64 - 1).map(EUI64)
    return st.just(None)


@st.composite
def _command_payload(draw: st.DrawFn, cluster: ClusterDef, direction: int) -> tuple[int, bytes]:
    cmds = [c for c in cluster.commands if c.direction == direction]
    if not cmds:
        return draw(st.integers(0, 0xFF)), draw(st.binary(max_size=12))
    c = draw(st.sampled_from(cmds))
    args: dict[str, Any] = {}
    for f in c.fields:
        if f.optional and draw(st.booleans()):
            break
        if f.kind is FieldKind.SCALAR:
            args[f.name] = draw(_value(f.type))
        else:
            args[f.name] = tuple(draw(st.lists(_value(f.type), max_size=4)))
    body = encode_args(c, args)
    cut = draw(st.sampled_from([None] * 6 + [0, 1, len(body) - 1]))
    if cut is not None and cut >= 0:
        body = body[:cut]
    return c.id, body + draw(st.binary(max_size=2))


@st.composite
def _records(draw: st.DrawFn, cluster: ClusterDef) -> bytes:
    out = bytearray()
    for _ in range(draw(st.integers(0, 4))):
        a = draw(st.sampled_from(cluster.attributes)) if cluster.attributes else None
        aid = a.id if a is not None and draw(st.booleans()) else draw(st.integers(0, 0xFFFF))
        dt = a.type if a is not None and draw(st.booleans()) else draw(st.integers(0, 0xFF))
        out += aid.to_bytes(2, "little") + bytes((dt,))
        if dt in DataType._value2member_map_ and draw(st.booleans()):
            try:
                out += encode_value(DataType(dt), draw(_value(DataType(dt))))
            except Exception:
                out += draw(st.binary(max_size=4))
        else:
            out += draw(st.binary(max_size=4))
    if draw(st.booleans()):
        out = out[: draw(st.integers(0, len(out)))]
    return bytes(out)


@st.composite
def frames(draw: st.DrawFn) -> tuple[int, bytes, int]:
    """(cluster id, ASDU, APS destination mode: 0 unicast, 1 broadcast, 2 group)."""
    cid = draw(st.sampled_from([*_WEIGHTED, 0x0300, 0xFC00]))
    cluster = _SERVERS.get(cid)
    ftype = draw(st.sampled_from([0, 0, 0, 1, 1, 1, 1, 1, 2, 3]))
    mfr = draw(st.sampled_from([None] * 7 + [0x1234]))
    direction = draw(st.sampled_from([0] * 5 + [1]))
    ddr = draw(st.booleans())
    tsn = draw(st.integers(0, 0xFF))
    if ftype == 1 and cluster is not None:
        cmd, body = draw(_command_payload(cluster, direction))
    elif ftype == 0 and cluster is not None and draw(st.integers(0, 3)) > 0:
        cmd = draw(st.sampled_from([0x00, 0x02, 0x03, 0x05, 0x06, 0x08, 0x0A, 0x0C, 0x11, 0x15]))
        body = draw(_records(cluster))
    else:
        cmd = draw(st.integers(0, 0xFF))
        body = draw(st.binary(max_size=30))
    fc = ftype | (0x04 if mfr is not None else 0) | (direction << 3) | (0x10 if ddr else 0)
    head = bytes((fc,)) + (mfr.to_bytes(2, "little") if mfr is not None else b"")
    asdu = head + bytes((tsn, cmd)) + body
    if draw(st.integers(0, 20)) == 0:
        asdu = asdu[: draw(st.integers(0, 4))]
    return cid, asdu, draw(st.sampled_from([0, 0, 0, 1, 2]))


def _indication(cid: int, asdu: bytes, dst_mode: int, dst_ep: int) -> ApsdeDataIndication:
    mode = ApsAddrMode.GROUP if dst_mode == 2 else ApsAddrMode.SHORT
    addr = {0: LIGHT, 1: 0xFFFD, 2: GROUP}[dst_mode]
    return ApsdeDataIndication(
        mode, addr, dst_ep, ApsAddrMode.SHORT, CONTROLLER, 1, 0x0104, cid, asdu,
        ApsStatus.SUCCESS, SecurityStatus.UNSECURED, 200, 0,
    )  # fmt: skip


def _snapshot(ep: ZclEndpoint) -> dict[tuple[int, int | None, int], Any]:
    return {
        (cid, a.manufacturer_code, a.id): s.value_of(a)
        for cid, s in ep.servers.items()
        for a in s.definition.attributes
    }


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(frames(), min_size=1, max_size=6))
@example([(0x0006, bytes.fromhex("1005780500001003"), 0)])  # WANR, value truncated
@example([(0x0006, bytes.fromhex("1801780900000000"), 0)])  # RRC response, record cut short
@example([(0x0006, bytes.fromhex("1801781200"), 0)])  # Discover Commands Rsp, nothing more
@example([(0x0000, bytes.fromhex("00017802100042ff"), 0)])  # write string with 0xff length
@example([(0x0000, bytes.fromhex("000178021000420541"), 0)])  # string past the end
def test_random_frames_never_raise_nor_corrupt_attributes(
    batch: list[tuple[int, bytes, int]],
) -> None:
    net, sink, switch = _sink()
    rx_sink = sink.aps.handlers[1]
    rx_switch = switch.aps.handlers[1]
    rx_extra = switch.aps.handlers[2]
    for cid, asdu, dst_mode in batch:
        before = _snapshot(sink)
        rx_sink(_indication(cid, asdu, dst_mode, 1))
        rx_switch(_indication(cid, asdu, dst_mode, 1))
        rx_extra(_indication(cid, asdu, dst_mode, 2))
        after = _snapshot(sink)
        try:
            h = ZclFrame.decode(asdu).header
        except DecodeError:
            global_frame = write = False
        else:
            global_frame = h.frame_type == 0
            write = global_frame and h.command_id in (0x02, 0x03, 0x05)
        for key, v in after.items():
            cid2, mfr, aid = key
            server = sink.servers[cid2]
            a = server.definition.attribute(aid, mfr)
            assert a is not None
            encode_value(a.type, v)  # still a value of its type
            if v == before[key] and type(v) is type(before[key]):
                continue
            assert not global_frame or write, (key, before[key], v)
            if global_frame:
                assert a.writable and server.check_write(a, a.type, v) == 0
    net.run(net.clock.now() + 60 * S)  # transitions, countdowns and answers run too
    for s in sink.servers.values():
        for a in s.definition.attributes:
            encode_value(a.type, s.value_of(a))
    sent = [c for call in net.log for c in [call[2]] if call[1] == LIGHT]
    for call in sent:
        f = call.frame
        if f.payload:
            ZclFrame.decode(f.payload)  # every answer is a well-formed ZCL frame
