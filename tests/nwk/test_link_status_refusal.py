"""A router refuses at once the link status of a router it keeps no entry for when its table
is full of better links (``receive_data``'s quick refusal, ``NeighborTable.refuses_stranger``):
most of what a router of a dense network hears. The outcome must be exactly that of the full
path (address conflict check, then ``LinkStatusSender.on_link_status``), whatever the tables,
the address map, our own address and the frame."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.nwk.fakes import make_nwk, nwk_state
from zigmesh.mac.frames import AddrMode
from zigmesh.nwk.commands import LinkStatus, LinkStatusEntry
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.link_status import LinkStatusSender
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.receive import receive_data
from zigmesh.nwk.tables import DeviceType, NeighborEntry, NeighborTable, Relationship
from zigmesh.sim.kernel import Kernel

_NEIGHBOUR_IEEE = 0x00BB000000000000
#: senders: strangers (one the address map knows, by the same or another IEEE address; one
#: using a receiver's own address), a neighbour's address, a broadcast address
SOURCES = (0x7001, 0x7002, 0x7003, 0x7004, 0x6001, 0x0000, 0xFFF8)
IEEES = (0x00CC000000007001, 0x00CC000000007002, 0x00DD000000007001, _NEIGHBOUR_IEEE + 5)


def _full(nwk: Nwk, lqis: list[int]) -> None:
    for j in range(nwk.neighbors.capacity):
        nwk.neighbors.add(
            NeighborEntry(
                network_address=0x6000 + j,
                extended_address=_NEIGHBOUR_IEEE + j,
                device_type=DeviceType.ROUTER,
                relationship=Relationship.PARENT if j == 0 else Relationship.NONE,
                lqi=lqis[j % len(lqis)],
            ),
            0,
        )


def _receivers() -> tuple[Kernel, list[Nwk]]:
    """Routers with full tables (one knowing 0x7001 and 0x7002 in its address map, one using
    0x7003 itself), a coordinator with a full table of mixed links, a router with room, an
    end device."""
    k = Kernel()
    setup: tuple[tuple[int, DeviceType, list[int]], ...] = (
        (0x2345, DeviceType.ROUTER, [250]),
        (0x7003, DeviceType.ROUTER, [200, 240]),
        (0x0000, DeviceType.COORDINATOR, [90, 160, 250]),
        (0x3456, DeviceType.ROUTER, []),
        (0x4567, DeviceType.END_DEVICE, []),
    )
    nwks = []
    for i, (address, dt, lqis) in enumerate(setup):
        nwk, _, _, _ = make_nwk(address, kernel=k, device_type=dt, seed=i)
        if lqis:
            _full(nwk, lqis)
        if i == 0:
            nwk.address_map.update(0x7001, IEEES[0])
            nwk.address_map.update(0x7002, IEEES[1])
        nwks.append(nwk)
    return k, nwks


@contextmanager
def _no_quick_refusal() -> Iterator[None]:
    """Every link status takes the full path."""
    quick = NeighborTable.refuses_stranger
    def never(self: NeighborTable, extended_address: int, lqi: int) -> bool:
        return False

    NeighborTable.refuses_stranger = never  # type: ignore[method-assign]
    try:
        yield
    finally:
        NeighborTable.refuses_stranger = quick  # type: ignore[method-assign]


link_statuses = st.tuples(
    st.sampled_from((0xFFFC, 0x2345)),  # NWK destination: routers, or a receiver alone
    st.sampled_from(SOURCES),
    st.sampled_from((None, *IEEES)),
    st.sampled_from((None, 0x00AA000000002345, 0x00EE000000002345)),  # ours, another's
    st.lists(
        st.builds(
            LinkStatusEntry,
            st.sampled_from((0x2345, 0x7003, 0x0000, 0x6001)),
            st.integers(0, 7),
            st.integers(0, 7),
        ),
        max_size=3,
    ),
    st.integers(0, 255),
    st.booleans(),  # the MAC sender is the NWK source
    st.lists(st.sampled_from((0, 40, 89, 90, 100, 200, 250, 255)), min_size=5, max_size=5),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(link_statuses, min_size=1, max_size=10))
def test_quick_refusal_as_the_full_path(
    frames: list[
        tuple[int, int, int | None, int | None, list[LinkStatusEntry], int, bool, list[int]]
    ],
) -> None:
    k1, full = _receivers()
    k2, quick = _receivers()
    for dst, src, ieee, dst_ieee, entries, seq, direct, lqis in frames:
        data = NwkFrame(
            NwkFrameType.COMMAND,
            dst,
            src,
            1,
            seq,
            LinkStatus(tuple(entries), True, True).encode(),
            src_ieee=ieee,
            dst_ieee=dst_ieee,
        ).encode()
        prev_hop = src if direct else 0x6002
        now = k1.now()
        with _no_quick_refusal():
            receive_data(full, lqis, data, AddrMode.SHORT, prev_hop, 0xFFFF, now, False)
        receive_data(quick, lqis, data, AddrMode.SHORT, prev_hop, 0xFFFF, now, False)
        assert [nwk_state(n) for n in quick] == [nwk_state(n) for n in full]
        k1.run(now + 1_000_000)
        k2.run(now + 1_000_000)
        assert [nwk_state(n) for n in quick] == [nwk_state(n) for n in full]


def test_refuses_stranger() -> None:
    """O(1) and only sure refusals: a full table whose admission floor is known and at or
    above the LQI, for an IEEE address it holds no entry for."""
    nwk, _, _, _ = make_nwk(0x2345)
    t = nwk.neighbors
    stranger = 0x00CC000000000001
    assert not t.refuses_stranger(stranger, 0)  # room left
    _full(nwk, [200, 250])
    worst = min(e.lqi for e in t if e.relationship == Relationship.NONE)
    assert t.refuses_unrelated(worst)  # (the floor is known after it: the worst link)
    assert t.refuses_stranger(stranger, 0)
    assert t.refuses_stranger(stranger, worst)
    assert not t.refuses_stranger(stranger, worst + 1)  # a victim: the full path decides
    assert not t.refuses_unrelated(worst + 1)
    assert not t.refuses_stranger(_NEIGHBOUR_IEEE + 3, 100)  # an entry's address
    entry = next(e for e in t if e.relationship == Relationship.NONE)
    t.set_lqi(entry, 50)  # a worse link now: the floor is looked for again
    assert not t.refuses_stranger(stranger, 100)
    assert not t.refuses_unrelated(100)


def test_quick_refusal_taken() -> None:
    """A full table's router refuses a stranger's link status at once: nothing but the
    frame counted (the full path is not entered)."""
    _, nwks = _receivers()
    nwk = nwks[0]
    assert nwk.neighbors.refuses_unrelated(100)
    before = [asdict(e) for e in nwk.neighbors]
    data = NwkFrame(
        NwkFrameType.COMMAND,
        0xFFFC,
        0x7004,
        1,
        7,
        LinkStatus((), True, True).encode(),
        src_ieee=0x00CC000000007004,
    ).encode()
    calls: list[object] = []
    on_link_status = LinkStatusSender.on_link_status
    LinkStatusSender.on_link_status = lambda *a: calls.append(a)  # type: ignore[method-assign]
    try:
        receive_data([nwk], [100], data, AddrMode.SHORT, 0x7004, 0xFFFF, 0, False)
        assert calls == []
        assert nwk.stats.rx_frames == 1
        assert [asdict(e) for e in nwk.neighbors] == before
        receive_data([nwk], [255], data, AddrMode.SHORT, 0x7004, 0xFFFF, 0, False)
        assert len(calls) == 1  # better than the floor: the full path decides
    finally:
        LinkStatusSender.on_link_status = on_link_status  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("dst", "src", "ieee", "dst_ieee"),
    [
        (0xFFFC, 0x7004, 0x00CC000000007004, None),  # a stranger: refused at once
        (0x2345, 0x7004, 0x00CC000000007004, 0x00EE000000002345),  # our address, not us
        (0xFFFC, 0x7003, 0x00CC000000007003, None),  # a receiver's own address
        (0xFFFC, 0x7001, 0x00DD000000007001, None),  # the address map knows another
        (0xFFFC, 0x7001, 0x00CC000000007001, None),  # the address map agrees
        (0xFFFC, 0x7004, _NEIGHBOUR_IEEE + 5, None),  # a neighbour under a new address
    ],
)
def test_quick_refusal_cases(dst: int, src: int, ieee: int, dst_ieee: int | None) -> None:
    """The cases the quick refusal must tell apart, each as the full path has it."""
    data = NwkFrame(
        NwkFrameType.COMMAND,
        dst,
        src,
        1,
        1,
        LinkStatus((), True, True).encode(),
        src_ieee=ieee,
        dst_ieee=dst_ieee,
    ).encode()
    k1, full = _receivers()
    k2, quick = _receivers()
    for lqi in (100, 250, 255, 100):
        lqis = [lqi] * len(full)
        with _no_quick_refusal():
            receive_data(full, lqis, data, AddrMode.SHORT, src, 0xFFFF, k1.now(), False)
        receive_data(quick, lqis, data, AddrMode.SHORT, src, 0xFFFF, k2.now(), False)
        assert [nwk_state(n) for n in quick] == [nwk_state(n) for n in full]
        k1.run(k1.now() + 1_000_000)
        k2.run(k2.now() + 1_000_000)
        assert [nwk_state(n) for n in quick] == [nwk_state(n) for n in full]
