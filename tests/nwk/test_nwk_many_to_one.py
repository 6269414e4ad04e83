"""Many-to-one route requests, route records and source routing (Zigbee spec 3.6.3.5.1,
3.6.3.5.4, 3.6.3.3.2) on a line of routers."""

from __future__ import annotations

from tests.nwk.nwkutil import Recorder, S, aps_payload, line_world, send
from zigmesh.mac.frames import FrameType, MacFrame
from zigmesh.nwk.commands import ManyToOne, RouteRecord, RouteRequest, decode_command
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.many_to_one import RecordState
from zigmesh.nwk.primitives import NwkAddrMode


class _Sink:
    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []

    def write(self, time_us: int, data: bytes) -> None:
        self.frames.append((time_us, data))

    def nwk(self) -> list[tuple[MacFrame, NwkFrame]]:
        out = []
        for _, d in self.frames:
            m = MacFrame.decode(d)
            if m.frame_type == FrameType.DATA and m.payload:
                out.append((m, NwkFrame.decode(m.payload)))
        return out


def test_route_record_then_source_routed_reply() -> None:
    sink = _Sink()
    w = line_world(4, capture=sink)
    # 18 m from r4 and 43 m from r3: e hears r4 alone (a beacon from r3, hidden from r4, could
    # collide with r4's and leave e without a parent on its first scan)
    w.add_node("e", "end_device", (118.0, 0.0), join_at_us=6 * S, poll_interval_us=S)
    w.run(10 * S)
    assert w.all_joined()
    assert w.parent_of("e") is w["r4"]
    rec = Recorder().attach(w)
    c = w["c"]
    r = [w[f"r{i}"] for i in range(1, 5)]
    c.nwk.nlme_route_discovery_request(NwkAddrMode.NONE)
    w.run(w.now_us + 2 * S)
    for i, node in enumerate(r):
        route = node.nwk.routes.get(0x0000)
        assert route is not None and route.many_to_one and route.route_record_required
        expect_next = 0x0000 if i == 0 else r[i - 1].nwk.address
        assert route.next_hop_address == expect_next
    mtorr = [f for _, f in sink.nwk() if f.frame_type == NwkFrameType.COMMAND and f.payload[0] == 1]
    cmd = decode_command(mtorr[0].payload)
    assert isinstance(cmd, RouteRequest) and cmd.many_to_one == ManyToOne.WITH_ROUTE_RECORD
    assert cmd.dst == 0xFFFC and mtorr[0].src == 0x0000
    # r4 and the end device talk to the concentrator: route records first
    send(r[3], 0x0000, aps_payload(1))
    w.run(w.now_us + S)
    send(w["e"], 0x0000, aps_payload(2))
    w.run(w.now_us + 3 * S)
    assert r[3].nwk.mto.record_state(0x0000, r[3].nwk.address) == RecordState.SENT
    relays4 = c.nwk.route_records.relays(r[3].nwk.address, w.now_us)
    assert relays4 == (r[2].nwk.address, r[1].nwk.address, r[0].nwk.address)
    relays_e = c.nwk.route_records.relays(w["e"].nwk.address, w.now_us)
    assert relays_e == (r[3].nwk.address, *relays4)
    records = [
        decode_command(f.payload)
        for _, f in sink.nwk()
        if f.frame_type == NwkFrameType.COMMAND and f.payload[0] == 5
    ]
    assert all(isinstance(x, RouteRecord) for x in records)
    # the concentrator answers by source routing, with no route discovery
    before = c.nwk.stats.rreq_sent
    start = len(sink.frames)
    p, q = aps_payload(3), aps_payload(4)
    send(c, r[3].nwk.address, p)
    send(c, w["e"].nwk.address, q)
    w.run(w.now_us + 3 * S)
    assert rec.received("r4", p) and rec.received("e", q)
    assert c.nwk.stats.rreq_sent == before and c.nwk.stats.source_routed == 2
    hops = [
        (m.src_addr, f.source_route.relay_index)
        for m, f in _Sink.nwk(_slice(sink, start))
        if f.source_route is not None and f.payload == p
    ]
    # one entry per hop: a retransmission (lost ACK) repeats the same sender and relay index
    hops = list(dict.fromkeys(hops))
    # relay list consumed from the concentrator's end: index 2 to r3, 1 to r2, 0 to r1, then r4
    assert hops == [
        (0x0000, 2),
        (r[0].nwk.address, 1),
        (r[1].nwk.address, 0),
        (r[2].nwk.address, 0),
    ]
    ind = rec.indications("r4")[-1][1]
    assert ind.hops == 4


def _slice(sink: _Sink, start: int) -> _Sink:
    s = _Sink()
    s.frames = sink.frames[start:]
    return s
