"""Any bytes reaching endpoint 0 from the air never raise (DESIGN.md 3.3), and whatever the
ZDO sends in answer decodes again."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zdo.test_zdo_support import Rig, add_child, add_neighbor, make_zdo
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.nwk.tables import DeviceType
from zigmesh.zdo.zdp import (
    ActiveEpReq,
    BindReq,
    DeviceAnnce,
    EndDeviceBindReq,
    IeeeAddrReq,
    MatchDescReq,
    MgmtBindReq,
    MgmtLeaveReq,
    MgmtLqiReq,
    MgmtNwkUpdateReq,
    MgmtPermitJoiningReq,
    MgmtRtgReq,
    NodeDescReq,
    NwkAddrReq,
    ParentAnnce,
    PowerDescReq,
    SimpleDescReq,
    UnbindReq,
    ZdpCluster,
    ZdpMessage,
    decode_zdp,
)

_KNOWN = sorted({int(c) for c in ZdpCluster})

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
# addresses and IEEE addresses the rigs know, and any
addr = st.one_of(st.sampled_from([0x0000, 0x1234, 0x6000, 0x3001, 0x3002, 0x4444, 0xFFFD]), u16)
ieee = st.one_of(st.sampled_from([0, 0x00AA, 0x31, 0x32, 0x44]), st.integers(0, 2**64 - 1))
cluster_id = st.one_of(st.sampled_from([0x0000, 0x0006, 0x0008]), u16)
clusters = st.lists(cluster_id, max_size=6).map(tuple)
endpoint = st.one_of(st.sampled_from([0, 1, 11, 12, 0xF0, 0xFF]), u8)
profile = st.sampled_from([0x0104, 0xFFFF, 0xC05E])
# a group (no endpoint) or an IEEE address and endpoint
binding_dst = st.one_of(st.tuples(u16, st.none()), st.tuples(ieee, endpoint))

requests: st.SearchStrategy[ZdpMessage] = st.one_of(
    st.builds(NwkAddrReq, u8, ieee, st.integers(0, 3), u8),
    st.builds(IeeeAddrReq, u8, addr, st.integers(0, 3), u8),
    st.builds(NodeDescReq, u8, addr),
    st.builds(PowerDescReq, u8, addr),
    st.builds(ActiveEpReq, u8, addr),
    st.builds(SimpleDescReq, u8, addr, endpoint),
    st.builds(MatchDescReq, u8, addr, profile, clusters, clusters),
    st.builds(DeviceAnnce, u8, addr, ieee, u8),
    st.builds(ParentAnnce, u8, st.lists(ieee, max_size=5).map(tuple)),
    st.builds(EndDeviceBindReq, u8, addr, ieee, endpoint, profile, clusters, clusters),
    st.builds(
        lambda t, s, ep, c, d, kind: kind(t, s, ep, c, *d),
        u8,
        ieee,
        endpoint,
        cluster_id,
        binding_dst,
        st.sampled_from([BindReq, UnbindReq]),
    ),
    st.builds(MgmtLqiReq, u8, u8),
    st.builds(MgmtRtgReq, u8, u8),
    st.builds(MgmtBindReq, u8, u8),
    st.builds(MgmtLeaveReq, u8, ieee, st.booleans(), st.booleans()),
    st.builds(MgmtPermitJoiningReq, u8, u8, u8),
    st.builds(MgmtNwkUpdateReq.energy_scan, u8, st.integers(0, 2**32 - 1), st.integers(0, 5), u8),
    st.builds(MgmtNwkUpdateReq.change_channel, u8, st.integers(0, 2**32 - 1), u8),
    st.builds(MgmtNwkUpdateReq.change_parameters, u8, st.integers(0, 2**32 - 1), u8, u16),
)
structured = st.tuples(requests, st.integers(0, 3), st.binary(max_size=3)).map(
    # the encoded request, sometimes cut short or with bytes appended
    lambda t: (int(t[0].zdp_cluster), t[0].encode()[: -t[1] or None] + t[2])
)
raw = st.tuples(
    st.one_of(st.sampled_from(_KNOWN), u16),
    st.one_of(
        st.binary(max_size=90),
        st.tuples(u8, st.binary(min_size=1, max_size=24)).map(lambda t: bytes((t[0],)) + t[1]),
    ),
)

frames = st.tuples(
    st.one_of(structured, structured, raw),  # (cluster, asdu)
    st.sampled_from([0x1234, 0x0000, 0x6000, 0xFFFD, 0xFFFC, 0xFFFF]),  # APS dst address
    st.sampled_from([0x0000, 0x1234, 0x3001, 0x4444, 0xFFFF]),  # src
    st.integers(0, 6),  # hops
    st.sampled_from([0x0000, 0x0000, 0x0000, 0x0104]),  # APS profile
    st.integers(0, 3_000_000),  # time until the next frame
)


def _rig(kind: int) -> Rig:
    dt = (DeviceType.COORDINATOR, DeviceType.ROUTER, DeviceType.END_DEVICE)[kind]
    address = {0: 0x0000, 1: 0x1234, 2: 0x6000}[kind]
    r = make_zdo(address, ieee=0x00AA, device_type=dt)
    if dt != DeviceType.END_DEVICE:
        add_child(r.nwk, 0x3001, 0x31)
        add_child(r.nwk, 0x3002, 0x32, device_type=DeviceType.ROUTER, rx_on_when_idle=True)
        add_neighbor(r.nwk, 0x4444, 0x44, depth=3, permit_joining=True)
        r.nwk.routes.set_route(0x5555, 0x4444, 0)
    r.aps.apsme_bind_request(0x00AA, 11, 6, ApsAddrMode.IEEE, 0x44, 1)
    r.aps.apsme_bind_request(0x00AA, 11, 8, ApsAddrMode.GROUP, 0x0042)
    r.zdo.node_desc(0x4444)
    r.zdo.match_desc(0xFFFD, 0x0104, (6,))
    return r


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2), st.lists(frames, max_size=12))
def test_any_bytes_on_endpoint_0_never_raise(
    kind: int, seq: list[tuple[tuple[int, bytes], int, int, int, int, int]]
) -> None:
    r = _rig(kind)
    for (cluster, asdu), dst, src, hops, prof, gap in seq:
        r.aps.indicate(src, cluster=cluster, asdu=asdu, dst=dst, hops=hops, profile=prof)
        for s in r.aps.take():
            decode_zdp(s.cluster_id, s.asdu)  # what we send is well formed
            assert s.dst_endpoint == 0 and s.src_endpoint == 0 and s.profile_id == 0
            r.aps.confirm(s)
        r.clock.run(r.clock.now() + gap)
    r.clock.run(r.clock.now() + 30_000_000)
    for s in r.aps.take():
        decode_zdp(s.cluster_id, s.asdu)
