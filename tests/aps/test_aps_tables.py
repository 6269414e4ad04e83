"""Binding, group and duplicate tables and the APSME requests on them (Zigbee spec R22
2.2.4.3, 2.2.4.5, 2.2.8.2, 2.2.8.4.3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.aps.aps_fakes import make_aps
from zigmesh.aps.aps import ApsConfig
from zigmesh.aps.binding import BindingEntry, BindingTable
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.duplicates import DuplicateTable
from zigmesh.aps.groups import GroupTable
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.errors import LocalProtocolError

ME = 0x00AA_0000_0000_1234
OTHER = 0x00BB


def test_bind_unbind_statuses() -> None:
    aps, _, _ = make_aps(ieee=ME, config=ApsConfig(binding_table_size=2))
    bind = aps.apsme_bind_request
    assert bind(ME, 1, 6, ApsAddrMode.IEEE, OTHER, 1) == ApsStatus.SUCCESS
    assert bind(ME, 1, 6, ApsAddrMode.IEEE, OTHER, 1) == ApsStatus.SUCCESS  # exists already
    assert bind(ME, 1, 6, ApsAddrMode.GROUP, 0x0001) == ApsStatus.SUCCESS
    assert bind(ME, 1, 8, ApsAddrMode.GROUP, 0x0001) == ApsStatus.TABLE_FULL
    assert bind(OTHER, 1, 6, ApsAddrMode.GROUP, 2) == ApsStatus.ILLEGAL_REQUEST  # not our source
    assert bind(ME, 1, 6, ApsAddrMode.SHORT, 2, 1) == ApsStatus.ILLEGAL_REQUEST
    assert bind(ME, 0, 6, ApsAddrMode.GROUP, 2) == ApsStatus.ILLEGAL_REQUEST  # endpoint 0
    assert bind(ME, 1, 6, ApsAddrMode.IEEE, OTHER, None) == ApsStatus.ILLEGAL_REQUEST
    assert len(aps.binding_table) == 2
    entries = list(aps.binding_table)
    assert [(e.dst_addr_mode, e.dst_addr, e.dst_endpoint) for e in entries] == [
        (ApsAddrMode.IEEE, OTHER, 1),
        (ApsAddrMode.GROUP, 0x0001, None),
    ]
    unbind = aps.apsme_unbind_request
    assert unbind(ME, 1, 6, ApsAddrMode.IEEE, OTHER, 1) == ApsStatus.SUCCESS
    assert unbind(ME, 1, 6, ApsAddrMode.IEEE, OTHER, 1) == ApsStatus.INVALID_BINDING
    assert unbind(OTHER, 1, 6, ApsAddrMode.IEEE, OTHER, 1) == ApsStatus.ILLEGAL_REQUEST
    assert len(aps.binding_table) == 1


def test_binding_lookup_order_and_endpoint_removal() -> None:
    t = BindingTable(8)
    es = [
        BindingEntry(ME, 1, 6, ApsAddrMode.IEEE, OTHER, 2),
        BindingEntry(ME, 2, 6, ApsAddrMode.GROUP, 5),
        BindingEntry(ME, 1, 6, ApsAddrMode.GROUP, 9),
        BindingEntry(ME, 1, 8, ApsAddrMode.GROUP, 9),
    ]
    for e in es:
        t.add(e)
    assert t.lookup(ME, 1, 6) == (es[0], es[2])
    assert t.lookup(ME, 3, 6) == ()
    assert t.remove_endpoint(1) == 3 and list(t) == [es[1]]
    with pytest.raises(LocalProtocolError):
        BindingEntry(ME, 1, 6, ApsAddrMode.GROUP, 5, 1)  # group bindings have no endpoint
    with pytest.raises(LocalProtocolError):
        BindingTable(0)


def test_group_table() -> None:
    aps, _, _ = make_aps(config=ApsConfig(group_table_size=3))
    add = aps.apsme_add_group_request
    assert add(0x0001, 1) == ApsStatus.SUCCESS
    assert add(0x0001, 1) == ApsStatus.SUCCESS  # already a member
    assert add(0x0001, 2) == ApsStatus.SUCCESS
    assert add(0x0002, 1) == ApsStatus.SUCCESS
    assert add(0x0003, 1) == ApsStatus.TABLE_FULL
    assert add(0x10000, 1) == ApsStatus.INVALID_PARAMETER
    assert add(0x0001, 0) == ApsStatus.INVALID_PARAMETER
    g = aps.group_table
    assert g.endpoints(0x0001) == (1, 2) and g.groups_of(1) == (0x0001, 0x0002)
    assert sorted(g.memberships()) == [(1, 1), (1, 2), (2, 1)]
    assert aps.apsme_remove_group_request(0x0002, 2) == ApsStatus.INVALID_GROUP
    assert aps.apsme_remove_group_request(0x0002, 1) == ApsStatus.SUCCESS
    assert aps.apsme_remove_all_groups_request(1) == ApsStatus.SUCCESS
    assert aps.apsme_remove_all_groups_request(0xFF) == ApsStatus.INVALID_PARAMETER
    assert g.memberships() == [(1, 2)] and len(g) == 1
    assert GroupTable().endpoints(7) == ()


def test_duplicate_table_ageing_and_capacity() -> None:
    d = DuplicateTable(capacity=2, timeout_us=1_000)
    assert not d.check_and_add(1, 5, 0)
    assert d.check_and_add(1, 5, 999)  # a duplicate: its entry now ages from 999
    assert d.contains(1, 5, 1_998)
    assert not d.check_and_add(1, 5, 1_999)  # aged out: new again
    assert not d.check_and_add(2, 5, 2_000)
    assert not d.check_and_add(3, 5, 2_001)  # evicts the oldest
    assert not d.contains(1, 5, 2_002) and d.contains(3, 5, 2_002)
    assert len(d) == 2
    d.clear()
    assert len(d) == 0


def test_duplicate_table_expiry_and_occupied_hook() -> None:
    """The owner hears when an entry goes into the empty table; ``expiry`` is when the
    oldest entry ages out, and ``age`` forgets what has."""
    occupied: list[int] = []
    d = DuplicateTable(capacity=4, timeout_us=1_000, on_occupied=lambda: occupied.append(len(d)))
    assert d.expiry() is None
    assert not d.check_and_add(1, 5, 100)
    assert occupied == [0] and d.expiry() == 1_100
    assert not d.check_and_add(2, 5, 300)
    assert d.check_and_add(1, 5, 400)  # refreshed: 2's entry is now the oldest
    assert occupied == [0] and d.expiry() == 1_300
    d.age(1_299)
    assert len(d) == 2
    d.age(1_300)
    assert len(d) == 1 and d.expiry() == 1_400 and d.ahead(2, 0)
    d.age(1_400)
    assert len(d) == 0 and d.expiry() is None
    d.add(3, 1, 2_000)
    assert occupied == [0, 0]


def test_duplicate_table_forgets_a_sources_latest_counter_with_its_last_entry() -> None:
    """The latest counter per source only judges remembered frames: it goes with the
    source's last entry (aged out or evicted)."""
    d = DuplicateTable(timeout_us=1_000)
    assert not d.check_and_add(1, 5, 0)
    assert not d.check_and_add(2, 9, 500)
    assert not d.ahead(1, 3)  # 3 is behind the latest accepted from 1
    assert not d.check_and_add(2, 10, 1_200)  # 1's entry ages out, 2's stays
    assert d.ahead(1, 3) and not d.ahead(2, 9)  # 1 forgotten, 2 kept while an entry lives
    assert not d.check_and_add(3, 1, 5_000)  # everything aged out first
    assert len(d) == 1 and d.ahead(2, 0) and d.contains(3, 1, 5_001)
    e = DuplicateTable(capacity=2)
    for src, counter in ((1, 5), (1, 6), (2, 1)):  # (1, 5) evicted: 1 keeps an entry
        assert not e.check_and_add(src, counter, 0)
    assert not e.ahead(1, 5)
    assert not e.check_and_add(3, 1, 1)  # (1, 6) evicted: 1's last entry
    assert e.ahead(1, 5) and not e.ahead(2, 1)


def test_duplicate_table_fingerprints() -> None:
    d = DuplicateTable()
    assert not d.check_and_add(1, 5, 0, b"forged")
    assert not d.check_and_add(1, 5, 1, b"real")  # same counter, other frame: new
    assert d.check_and_add(1, 5, 2, b"real")  # the same frame again
    assert not d.contains(1, 5, 3, b"other") and d.contains(1, 5, 3, b"real")
    assert d.contains(1, 5, 3)  # no fingerprint given: the counter alone decides
    d.add(2, 7, 4)  # remembered without one: any frame with the counter matches
    assert d.contains(2, 7, 5, b"anything")


def test_duplicate_table_counter_wrap() -> None:
    d = DuplicateTable()
    assert not d.check_and_add(1, 5, 0)
    assert not d.check_and_add(1, 6, 1)
    assert d.check_and_add(1, 5, 2)  # a retransmission: behind the latest (6)
    for c in (100, 200, 4):  # the sender went round (frames to us now and then)
        assert not d.check_and_add(1, c, 3)
    assert not d.check_and_add(1, 5, 4)  # counter 5 again, ahead of 4: a new frame
    assert d.check_and_add(1, 5, 5)
    assert d.ahead(2, 0) and not d.ahead(1, 5) and d.ahead(1, 6)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 255), st.integers(0, 400), st.booleans()),
        max_size=60,
    )
)
def test_duplicate_table_keeps_a_latest_counter_exactly_for_the_sources_it_remembers(
    ops: list[tuple[int, int, int, bool]],
) -> None:
    """Whatever the arrivals (several sources, repeats, ageing, eviction at capacity), the
    table keeps a source's latest counter while, and only while, it holds an entry of it."""
    d = DuplicateTable(capacity=5, timeout_us=1_000)
    now = 0
    for src, counter, dt, check in ops:
        now += dt
        if check:
            d.check_and_add(src, counter, now)
        else:
            d.contains(src, counter, now)
        sources = {k >> 8 for k in d._seen}
        assert set(d._last) == sources
        assert len(d) <= 5


def test_equal_fingerprints_are_one_object() -> None:
    """Every router that remembers one broadcast holds the same fingerprint object (issue 11:
    a formation's announcements fill every router's duplicate table), and the fingerprint
    still tells frames apart by addressing and payload."""
    from zigmesh.aps.frames import ApsFrame, ApsFrameType
    from zigmesh.aps.receive import _fingerprint

    def frame(cluster: int) -> ApsFrame:
        return ApsFrame(
            ApsFrameType.DATA,
            dst_endpoint=0,
            cluster_id=cluster,
            profile_id=0,
            src_endpoint=0,
            counter=7,
            payload=b"\x01\x02",
        )

    a = _fingerprint(frame(0x0013), bytes([1, 2, 3]))
    b = _fingerprint(frame(0x0013), bytes([1, 2]) + b"\x03")
    assert a == b and a is b
    assert _fingerprint(frame(0x0014), b"\x01\x02\x03") != a
    assert _fingerprint(frame(0x0013), b"\x01\x02\x04") != a


def test_a_full_duplicate_table_keeps_its_size_while_entries_pass_through() -> None:
    """Entries that keep arriving and leaving a full table (a formation's announcements) do
    not grow its dictionaries past what a fresh one of the same entries takes (issue 11)."""
    import sys

    d = DuplicateTable(capacity=32, timeout_us=10**9)
    for i in range(1_000):
        d.check_and_add(i, i & 0xFF, i, b"fp%d" % i)
        if i % 7 == 0:
            assert d.check_and_add(i, i & 0xFF, i, b"fp%d" % i)  # a duplicate
    assert len(d) == 32
    for table in (d._seen, d._fp, d._last):
        assert sys.getsizeof(table) <= sys.getsizeof(dict(table))
    assert list(d._seen) == [i << 8 | (i & 0xFF) for i in range(968, 1_000)]
