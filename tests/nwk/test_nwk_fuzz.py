"""Robustness: whatever arrives from the air, a router's or end device's NWK never raises.

Hypothesis drives a NWK on a fake MAC with sequences of MCPS-DATA indications: random bytes,
truncations, and well-formed NWK frames carrying every command with random field values, from
random sources, with random MAC confirms, then runs the node's timers. Undecodable frames must be
counted (DESIGN.md 3.3), never raised.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.nwk.fakes import PAN, make_nwk
from zigmesh.mac.frames import AddrMode
from zigmesh.mac.primitives import MacStatus, McpsDataIndication
from zigmesh.nwk.commands import (
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    Leave,
    LinkStatus,
    LinkStatusEntry,
    NetworkStatus,
    RejoinRequest,
    RejoinResponse,
    RouteRecord,
    RouteReply,
    RouteRequest,
)
from zigmesh.nwk.frames import NwkFrame, NwkFrameType, SourceRoute
from zigmesh.nwk.tables import DeviceType

ME = 0x1234
addr = st.sampled_from([0x0000, ME, 0x2222, 0x3333, 0x4444, 0xFFFC, 0xFFFD, 0xFFFF]) | st.integers(
    0, 0xFFFF
)
u8 = st.integers(0, 255)
ieee = st.none() | st.integers(1, 2**64 - 1)

commands = st.one_of(
    st.builds(RouteRequest, u8, addr, u8, st.integers(0, 2), ieee),
    st.builds(RouteReply, u8, addr, addr, u8, ieee, ieee),
    st.builds(NetworkStatus, st.integers(0, 0x12), addr),
    st.builds(Leave, st.booleans(), st.booleans(), st.booleans()),
    st.builds(RouteRecord, st.lists(addr, max_size=6).map(tuple)),
    st.builds(RejoinRequest, u8),
    st.builds(RejoinResponse, addr, u8),
    st.builds(
        LinkStatus,
        st.lists(
            st.builds(LinkStatusEntry, addr, st.integers(0, 7), st.integers(0, 7)), max_size=5
        ).map(tuple),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(EndDeviceTimeoutRequest, st.integers(0, 14), st.just(0)),
    st.builds(
        EndDeviceTimeoutResponse, st.integers(0, 1), st.booleans(), st.booleans(), st.booleans()
    ),
)


@st.composite
def nwk_frames(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=60))
    src, dst = draw(addr), draw(addr)
    if kind == 1:
        payload = draw(commands).encode()
        ftype = NwkFrameType.COMMAND
    else:
        payload = draw(st.binary(min_size=1, max_size=30))
        ftype = NwkFrameType.DATA
    sr = None
    if draw(st.booleans()) and kind == 3:
        relays = tuple(draw(st.lists(addr, min_size=1, max_size=4)))
        sr = SourceRoute(draw(st.integers(0, len(relays) - 1)), relays)
    frame = NwkFrame(
        ftype,
        dst,
        src,
        draw(st.integers(0, 30)),
        draw(u8),
        payload,
        src_ieee=draw(ieee),
        dst_ieee=draw(ieee),
        source_route=sr,
    )
    data = frame.encode()
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([DeviceType.COORDINATOR, DeviceType.ROUTER, DeviceType.END_DEVICE]),
    st.lists(
        st.tuples(nwk_frames(), addr, u8, st.sampled_from(list(MacStatus))), min_size=1, max_size=12
    ),
)
def test_any_frame_sequence_never_raises(
    device_type: DeviceType, frames: list[tuple[bytes, int, int, MacStatus]]
) -> None:
    nwk, mac, k, _events = make_nwk(
        0x0000 if device_type == DeviceType.COORDINATOR else ME, device_type=device_type
    )
    for data, prev_hop, lqi, status in frames:
        nwk._on_mac(
            McpsDataIndication(
                AddrMode.SHORT,
                PAN,
                prev_hop,
                AddrMode.SHORT,
                PAN,
                0xFFFF,
                data,
                lqi,
                0,
                k.now(),
                -50,
                False,
            )
        )
        for s in mac.take():
            mac.confirm(s, status)
        k.run(k.now() + 300_000)
    k.run(k.now() + 30_000_000)  # timers: retries, discovery expiry, link status, ageing
    for s in mac.take():
        mac.confirm(s, MacStatus.NO_ACK)
    k.run(k.now() + 30_000_000)
    st_ = nwk.stats
    assert st_.rx_frames >= 0 and st_.rx_decode_error >= 0
