"""The NWK data sink takes one frame for several receivers at once (every router that hears a
broadcast, zigmesh.mac.rx ``pd_data_indication_many``): the outcome must be that of each
receiver's own call in turn, whatever the frame and whatever each receiver's state."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.nwk.fakes import make_nwk, nwk_state
from tests.nwk.test_nwk_fuzz import addr, nwk_frames, u8
from zigmesh.mac.frames import AddrMode
from zigmesh.nwk.commands import LinkStatus, LinkStatusEntry
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.receive import receive_data
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel

#: the receivers: coordinator, routers (one with a full table of good links), end devices
#: (rx on, rx off), one not in a network
SETUP = (
    (0x0000, DeviceType.COORDINATOR),
    (0x1234, DeviceType.ROUTER),
    (0x2345, DeviceType.ROUTER),
    (0x3456, DeviceType.END_DEVICE),
    (0x4567, DeviceType.END_DEVICE),
    (0x5678, None),
)


def _receivers() -> tuple[Kernel, list[Nwk]]:
    k = Kernel()
    nwks = []
    for i, (address, dt) in enumerate(SETUP):
        nwk, _, _, _ = make_nwk(address, kernel=k, device_type=dt or DeviceType.ROUTER, seed=i)
        if dt is None:
            nwk.device_type = None
        if i == 2:
            for j in range(nwk.neighbors.capacity):
                nwk.neighbors.add(
                    NeighborEntry(
                        network_address=0x6000 + j,
                        extended_address=0x00BB000000000000 + j,
                        device_type=DeviceType.ROUTER,
                        relationship=Relationship.NONE,
                        lqi=250,
                    ),
                    0,
                )
        if i == 4:
            nwk.mac.pib.mac_rx_on_when_idle = False
        nwks.append(nwk)
    return k, nwks


link_statuses = st.builds(
    lambda src, ieee, entries, seq, radius: NwkFrame(
        NwkFrameType.COMMAND,
        0xFFFC,
        src,
        radius,
        seq,
        LinkStatus(tuple(entries), True, True).encode(),
        src_ieee=ieee,
    ).encode(),
    addr,
    st.none() | st.integers(1, 2**64 - 1) | st.sampled_from([0x00BB000000000003]),
    st.lists(
        st.builds(
            LinkStatusEntry,
            st.sampled_from([0x0000, 0x1234, 0x2345]) | addr,
            st.integers(0, 7),
            st.integers(0, 7),
        ),
        max_size=4,
    ),
    u8,
    st.integers(0, 2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            link_statuses | nwk_frames(),
            addr,
            st.lists(u8, min_size=len(SETUP), max_size=len(SETUP)),
            st.sampled_from([0xFFFF, 0x1234]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_receivers_at_once_as_one_by_one(
    frames: list[tuple[bytes, int, list[int], int]],
) -> None:
    k1, one = _receivers()
    k2, many = _receivers()
    for data, prev_hop, lqis, mac_dst in frames:
        now = k1.now()
        for nwk, lqi in zip(one, lqis, strict=True):
            receive_data((nwk,), (lqi,), data, AddrMode.SHORT, prev_hop, mac_dst, now, False)
        receive_data(many, lqis, data, AddrMode.SHORT, prev_hop, mac_dst, now, False)
        assert [nwk_state(n) for n in many] == [nwk_state(n) for n in one]
        k1.run(now + 200_000)
        k2.run(now + 200_000)
        assert [nwk_state(n) for n in many] == [nwk_state(n) for n in one]
