"""NWK tables (Zigbee spec R22 3.6): behaviour with literal times (microseconds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.tables import (
    AddressMap,
    AddressMapStatus,
    BroadcastTransactionTable,
    DeviceType,
    Insertion,
    NeighborEntry,
    NeighborTable,
    Relationship,
    RouteDiscoveryTable,
    RouteEntry,
    RouteRecordTable,
    RouteStatus,
    RoutingTable,
)
from zigmesh.nwk.tables.btt import RelaySet

PROPS = settings(max_examples=200, deadline=None)
S = 1_000_000
MS = 1_000


def router(short: int, ieee: int | None = None, **kw: object) -> NeighborEntry:
    return NeighborEntry(
        network_address=short,
        extended_address=ieee,
        device_type=DeviceType.ROUTER,
        **kw,  # type: ignore[arg-type]
    )


def ed_child(short: int, ieee: int | None = None, timeout_s: int | None = 10) -> NeighborEntry:
    return NeighborEntry(
        network_address=short,
        extended_address=ieee,
        device_type=DeviceType.END_DEVICE,
        rx_on_when_idle=False,
        relationship=Relationship.CHILD,
        device_timeout=timeout_s,
    )


# -- neighbour table -----------------------------------------------------------------------------


_T = TypeVar("_T")


def _table_ops(names: list[str]) -> st.SearchStrategy[list[tuple[str, int, Relationship, int]]]:
    """Up to 40 (op, address or entry index, relationship, LQI) steps on a neighbour table."""
    return st.lists(
        st.tuples(
            st.sampled_from(names),
            st.integers(0, 9),
            st.sampled_from([*Relationship, Relationship.NONE, Relationship.NONE]),
            st.sampled_from([0, 60, 61, 200, 255]),
        ),
        max_size=40,
    )


def _walked(t: NeighborTable, fn: Callable[[], _T]) -> _T:
    """``fn()`` with the admission floor forgotten (a fresh walk of the table), then kept."""
    floor = t._floor
    t._floor = -1
    try:
        return fn()
    finally:
        t._floor = floor


def _add_as_the_policy_says(t: NeighborTable, new: NeighborEntry, now: int, needs: bool) -> None:
    """Add ``new``; it takes the place of the policy's victim (when ``needs`` one) or is
    refused only when there is none."""
    want = _walked(t, lambda: t._victim(new)) if needs else None
    r = t.add(new, now)
    if t.get(new.network_address) is not new:
        assert not r.admitted and want is None
    elif r.evicted is not None:
        assert r.evicted is want


def _change(
    t: NeighborTable, op: str, e: NeighborEntry, rel: Relationship, q: int, now: int
) -> None:
    """One change of the property tests' ops other than "add", to entry ``e``, as the NWK
    layer makes it."""
    if op == "lqi":
        t.set_lqi(e, q)
    elif op == "rel":
        t.set_relationship(e, rel)
    elif op == "age":
        t.age_routers(heard_since_us=now - S if q > 100 else None)
    elif op == "ls":
        e.age = 0  # a link status from it (link_status.on_link_status)
    elif op == "remove":
        t.remove(e.network_address)
    else:
        t.heard(e.network_address, now, lqi=q)


def _assert_refusal_is_a_walk(t: NeighborTable, full: Callable[[], bool], at: object) -> None:
    """The O(1) refusal of an unrelated newcomer equals a fresh walk for every probe LQI
    (``full``: an unrelated newcomer needs a victim)."""
    for probe in (0, 60, 61, 200, 255):
        fresh = _walked(t, lambda: full() and t._victim_for(False, probe) is None)  # noqa: B023
        assert t.refuses_unrelated(probe) is fresh, (at, probe)


class TestNeighborTable:
    def test_add_lookup_remove(self) -> None:
        t = NeighborTable()
        r = t.add(router(0x1234, 0xAA, lqi=200), 5 * S)
        assert r.admitted and r.evicted is None
        e = t.get(0x1234)
        assert e is not None and e is t.get_by_ieee(0xAA)
        assert e.last_heard_us == 5 * S and e.age == 0 and e.outgoing_cost == 0
        assert 0x1234 in t and len(t) == 1
        assert t.remove(0x1234) is e
        assert t.get(0x1234) is None and t.get_by_ieee(0xAA) is None and len(t) == 0
        assert t.remove(0x1234) is None

    def test_replace_same_short_and_moved_ieee(self) -> None:
        t = NeighborTable(capacity=2)
        t.add(router(0x0001, 0xA1), 0)
        t.add(router(0x0002, 0xA2), 0)
        # same short, new data: replaced in place (no eviction even though full)
        r = t.add(router(0x0001, 0xA1, lqi=99), 1)
        assert r.admitted and r.evicted is None and t.get(0x0001).lqi == 99  # type: ignore[union-attr]
        # 0xA2 rejoined with a new short: the old entry goes
        r = t.add(router(0x0003, 0xA2), 2)
        assert r.admitted and len(t) == 2
        assert t.get(0x0002) is None and t.get_by_ieee(0xA2) is t.get(0x0003)

    def test_change_address_and_learn_ieee(self) -> None:
        t = NeighborTable()
        t.add(router(0x0001, 0xA1), 0)
        t.add(router(0x0002), 0)
        e = t.change_address(0xA1, 0x0009)
        assert e is not None and e.network_address == 0x0009
        assert t.get(0x0001) is None and t.get(0x0009) is e and t.get_by_ieee(0xA1) is e
        assert t.change_address(0xFF, 0x0005) is None
        assert t.set_extended_address(0x0002, 0xA2)
        assert t.get_by_ieee(0xA2) is t.get(0x0002)
        assert not t.set_extended_address(0x7777, 0xA3)

    def test_full_table_keeps_parent_and_children(self) -> None:
        t = NeighborTable(capacity=3)
        t.add(router(0x0000, 0xC0, relationship=Relationship.PARENT, lqi=250), 0)
        t.add(ed_child(0x0101, 0xE1), 0)
        t.add(router(0x0202, 0xB2, relationship=Relationship.SIBLING, lqi=240), 0)
        assert t.is_full()
        # a new child displaces the unrelated router
        r = t.add(ed_child(0x0303, 0xE3), 1)
        assert r.admitted and r.evicted is not None and r.evicted.network_address == 0x0202
        # only parent and children left: a new child is refused, the table is unchanged
        r = t.add(ed_child(0x0404, 0xE4), 2)
        assert not r.admitted and r.entry is None
        assert sorted(e.network_address for e in t) == [0x0000, 0x0101, 0x0303]
        # and so is an unrelated router
        assert not t.add(router(0x0505, lqi=255), 3).admitted

    def test_unrelated_router_evicts_only_stale_or_worse(self) -> None:
        t = NeighborTable(capacity=2)
        t.add(router(0x0001, lqi=200), 0)
        t.add(router(0x0002, lqi=100), 0)
        # no stale entry, new LQI not better than the worst: refused
        assert not t.add(router(0x0003, lqi=100), 1).admitted
        # better LQI than the worst fresh entry: that one goes
        r = t.add(router(0x0004, lqi=150), 2)
        assert r.evicted is not None and r.evicted.network_address == 0x0002
        # a router that missed a link status or two keeps its place
        t.get(0x0001).age = 2  # type: ignore[union-attr]
        assert not t.add(router(0x0005, lqi=10), 3).admitted
        # a stale link (no link status for nwkRouterAgeLimit periods, still heard) goes first,
        # whatever its LQI
        t.get(0x0001).age = t.router_age_limit  # type: ignore[union-attr]
        t.router_age_limit = t.router_age_limit  # (a direct age write: re-take the floor)
        r = t.add(router(0x0005, lqi=10), 3)
        assert r.evicted is not None and r.evicted.network_address == 0x0001

    def test_eviction_order(self) -> None:
        t = NeighborTable(capacity=4)
        t.add(router(0x0001, lqi=10, age=2), 0)
        t.add(router(0x0002, lqi=200, age=1), 0)
        t.add(router(0x0003, lqi=255, relationship=Relationship.PREVIOUS_CHILD), 0)
        t.add(router(0x0004, lqi=5, age=2), 1)
        order = []
        for i in range(4):
            r = t.add(ed_child(0x0100 + i), 10 + i)
            assert r.evicted is not None
            order.append(r.evicted.network_address)
        # previous child first, then oldest age (lower LQI first on ties), then the rest
        assert order == [0x0003, 0x0004, 0x0001, 0x0002]

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([*Relationship, Relationship.NONE, Relationship.NONE]),
                st.sampled_from([0, 0, 0, 0, 1, 3]),  # age
                st.sampled_from([60, 200]),  # lqi (ties are the hard part)
                st.integers(0, 1),  # last heard
            ),
            min_size=1,
            max_size=12,
        ),
        st.sampled_from(list(Relationship)),
        st.sampled_from([0, 60, 200, 255]),
    )
    @example([(Relationship.NONE, 0, 60, 0), (Relationship.NONE, 0, 60, 0)], Relationship.NONE, 200)
    def test_victim_is_the_policy(
        self, rows: list[tuple[Relationship, int, int, int]], rel: Relationship, lqi: int
    ) -> None:
        """The one-walk victim choice equals the policy written with ``min`` (ties: the
        first in table order)."""
        t = NeighborTable(capacity=len(rows))
        for i, (r, age, q, heard) in enumerate(rows):
            e = router(i + 1, lqi=q, relationship=r, age=age)
            t.add(e, heard)
        new = router(0x7000, lqi=lqi, relationship=rel)
        protected = (Relationship.PARENT, Relationship.CHILD, Relationship.UNAUTHENTICATED_CHILD)
        cands = [e for e in t if e.relationship not in protected]

        def rank(e: NeighborEntry) -> tuple[int, int, int, int]:
            prev = 0 if e.relationship == Relationship.PREVIOUS_CHILD else 1
            return (prev, -e.age, e.lqi, e.last_heard_us)

        want: NeighborEntry | None = None
        if cands:
            stale = [
                e
                for e in cands
                if e.age >= t.router_age_limit or e.relationship == Relationship.PREVIOUS_CHILD
            ]
            if rel in protected:
                want = min(cands, key=rank)
            elif stale:
                want = min(stale, key=rank)
            else:
                worst = min(cands, key=lambda e: (e.lqi, e.last_heard_us))
                want = worst if worst.lqi < lqi else None
        assert t._victim(new) is want

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(st.sampled_from([60, 200, 255]), min_size=3, max_size=3),
        _table_ops(["add", "add", "lqi", "rel", "age", "ls", "remove", "heard"]),
        st.booleans(),
    )
    def test_admission_floor_is_exact(
        self, start: list[int], ops: list[tuple[str, int, Relationship, int]], remove_aged: bool
    ) -> None:
        """The O(1) refusal from the admission floor always equals a fresh walk of the table,
        whatever changed it in between (entries changed through the table's setters; ages by
        ageing and by link statuses, as the NWK layer changes them)."""
        t = NeighborTable(capacity=3, router_age_limit=2, remove_aged_routers=remove_aged)
        for i, q in enumerate(start):  # a full table of unrelated routers
            t.add(router(10 + i, lqi=q), 0)
        for i, (op, a, rel, q) in enumerate(ops):
            now = i * S
            entries = list(t)
            e = entries[a % len(entries)] if entries else None
            if op == "add":
                _add_as_the_policy_says(t, router(a, lqi=q, relationship=rel), now, t.is_full())
            elif e is None:
                continue
            else:
                _change(t, op, e, rel, q, now)
            _assert_refusal_is_a_walk(t, t.is_full, (i, op))

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(st.sampled_from([60, 200, 255]), min_size=2, max_size=2),
        _table_ops(["add", "add", "add", "lqi", "rel", "age", "remove", "heard"]),
    )
    def test_unrelated_bound_admits_as_a_full_table(
        self, start: list[int], ops: list[tuple[str, int, Relationship, int]]
    ) -> None:
        """With ``max_unrelated`` below the capacity, an unrelated newcomer meeting the bound is
        admitted (displacing a worse or stale unrelated entry) or refused exactly as in a full
        table; parents and children still fill the capacity; the O(1) refusal equals a fresh
        walk; a newcomer never takes the unrelated entries above the bound."""
        prot = (Relationship.PARENT, Relationship.CHILD, Relationship.UNAUTHENTICATED_CHILD)
        t = NeighborTable(capacity=4, router_age_limit=2, max_unrelated=2)
        for i, q in enumerate(start):  # the bound of unrelated routers, half the capacity
            t.add(router(10 + i, lqi=q), 0)

        def unrelated() -> int:
            return sum(1 for x in t if x.relationship not in prot)

        for i, (op, a, rel, q) in enumerate(ops):
            now = i * S
            entries = list(t)
            e = entries[a % len(entries)] if entries else None
            if op == "add":
                protected = rel in prot
                before = unrelated()
                newcomer = t.get(a) is None  # (else it replaces the entry of its address)
                needs = newcomer and (t.is_full() or (not protected and before >= 2))
                _add_as_the_policy_says(t, router(a, lqi=q, relationship=rel), now, needs)
                if not protected and newcomer:
                    assert unrelated() <= max(before, 2)
                assert len(t) <= 4
            elif e is None:
                continue
            else:
                _change(t, op, e, rel, q, now)
            _assert_refusal_is_a_walk(t, lambda: t.is_full() or unrelated() >= 2, (i, op))

    def test_link_status_ageing(self) -> None:
        t = NeighborTable(router_age_limit=3)
        t.add(router(0x0001, relationship=Relationship.PARENT), 0)
        t.add(router(0x0002, relationship=Relationship.SIBLING), 0)
        t.add(router(0x0003), 0)
        t.add(ed_child(0x0004), 0)
        t.add(
            NeighborEntry(
                network_address=0x0005,
                device_type=DeviceType.ROUTER,
                relationship=Relationship.CHILD,
            ),
            0,
        )
        for e in t:
            e.outgoing_cost = 3
        assert t.age_routers() == []
        assert t.age_routers() == []
        # 0x0003 keeps sending link statuses
        assert t.link_status_received(0x0003, 1, 30 * S) is not None
        e3 = t.get(0x0003)
        assert e3 is not None and e3.age == 0 and e3.outgoing_cost == 1
        assert t.link_status_received(0x7777, 1, 30 * S) is None
        removed = t.age_routers()  # third period: the limit is reached
        # a silent router child goes too (its Leave missed, or it died); the parent stays
        assert [e.network_address for e in removed] == [0x0002, 0x0005]
        assert removed[0].outgoing_cost == 0
        parent = t.get(0x0001)
        assert parent is not None and parent.age == 3 and parent.outgoing_cost == 0
        assert t.get(0x0005) is None
        child = t.get(0x0004)
        assert child is not None and child.age == 0 and child.outgoing_cost == 3  # not aged
        assert t.get(0x0003).age == 1  # type: ignore[union-attr]

    def test_a_stale_router_still_heard_is_kept(self) -> None:
        """Its link statuses were lost, its frames keep arriving: alive (its cost is stale,
        routes and a concentrator's route records through it stay)."""
        t = NeighborTable(router_age_limit=2)
        t.add(router(0x0002, relationship=Relationship.SIBLING), 0)
        t.add(router(0x0003, relationship=Relationship.SIBLING), 0)
        e2 = t.get(0x0002)
        assert e2 is not None
        e2.last_heard_us = 40 * S  # a data frame it relayed to us
        assert t.age_routers(heard_since_us=20 * S) == []
        removed = t.age_routers(heard_since_us=30 * S)
        assert [e.network_address for e in removed] == [0x0003]
        assert e2.outgoing_cost == 0 and t.get(0x0002) is e2
        removed = t.age_routers(heard_since_us=45 * S)  # silent since: gone
        assert [e.network_address for e in removed] == [0x0002]

    def test_ageing_without_removal(self) -> None:
        t = NeighborTable(router_age_limit=1, remove_aged_routers=False)
        t.add(router(0x0002, outgoing_cost=2), 0)
        assert t.age_routers() == []
        e = t.get(0x0002)
        assert e is not None and e.outgoing_cost == 0 and e.age == 1

    def test_end_device_timeout(self) -> None:
        t = NeighborTable()
        t.add(ed_child(0x0101, timeout_s=10), 0)
        t.add(ed_child(0x0102, timeout_s=60), 0)
        t.add(ed_child(0x0103, timeout_s=None), 0)  # no timeout running
        t.add(router(0x0001), 0)
        e = t.get(0x0101)
        assert e is not None and e.timeout_expiry_us == 10 * S
        assert e.timeout_counter(0) == 10
        assert e.timeout_counter(9 * S + 1) == 1  # rounded up
        assert t.get(0x0103).timeout_counter(0) is None  # type: ignore[union-attr]
        assert t.next_timeout_us() == 10 * S
        # keepalive at 8 s restarts the 10 s timeout
        assert t.keepalive(0x0101, 8 * S)
        assert e.keepalive_received and e.timeout_expiry_us == 18 * S
        assert not t.keepalive(0x7777, 8 * S)
        assert t.expire_end_devices(18 * S - 1) == []
        gone = t.expire_end_devices(18 * S)
        assert [g.network_address for g in gone] == [0x0101]
        assert e.timeout_counter(18 * S) == 0
        assert t.get(0x0101) is None and t.next_timeout_us() == 60 * S
        # End Device Timeout Request: new timeout from now
        assert t.set_device_timeout(0x0102, 120, 30 * S)
        assert t.next_timeout_us() == 150 * S
        assert [g.network_address for g in t.expire_end_devices(10_000 * S)] == [0x0102]
        assert t.next_timeout_us() is None and len(t) == 2

    def test_child_counts_and_views(self) -> None:
        t = NeighborTable()
        t.add(router(0x0000, relationship=Relationship.PARENT), 0)
        t.add(ed_child(0x0101), 0)
        t.add(ed_child(0x0102), 0)
        unauth = ed_child(0x0103)
        unauth.relationship = Relationship.UNAUTHENTICATED_CHILD
        t.add(unauth, 0)
        t.add(router(0x0201, relationship=Relationship.CHILD), 0)
        t.add(router(0x0301, relationship=Relationship.SIBLING), 0)
        t.add(ed_child(0x0401), 0)
        t.get(0x0401).relationship = Relationship.PREVIOUS_CHILD  # type: ignore[union-attr]
        assert t.child_count() == 4
        assert t.child_count(DeviceType.END_DEVICE) == 3
        assert t.child_count(DeviceType.ROUTER) == 1
        assert t.parent() is t.get(0x0000)
        assert [e.network_address for e in t.routers()] == [0x0000, 0x0201, 0x0301]
        assert t.get(0x0103).is_child and not t.get(0x0401).is_child  # type: ignore[union-attr]

    def test_heard_and_tx_counters(self) -> None:
        t = NeighborTable()
        t.add(router(0x0001, lqi=100), 0)
        e = t.heard(0x0001, 7 * S, lqi=180)
        assert e is not None and e.lqi == 180 and e.last_heard_us == 7 * S
        t.heard(0x0001, 8 * S)
        assert e.lqi == 180 and e.last_heard_us == 8 * S
        assert t.heard(0x0002, 8 * S) is None
        assert t.record_tx_failure(0x0001) == 1
        assert t.record_tx_failure(0x0001) == 2
        t.record_tx_success(0x0001)
        assert e.transmit_failure == 0
        assert t.record_tx_failure(0x0002) == 0

    def test_capacity_checked(self) -> None:
        with pytest.raises(LocalProtocolError):
            NeighborTable(capacity=0)

    @PROPS
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["add", "remove", "age", "expire", "keepalive"]),
                st.integers(0, 12),  # short
                st.integers(0, 12),  # ieee
                st.sampled_from(list(Relationship)),
                st.sampled_from(list(DeviceType)),
                st.integers(0, 255),
            ),
            max_size=60,
        )
    )
    def test_bounded_and_consistent(
        self, ops: list[tuple[str, int, int, Relationship, DeviceType, int]]
    ) -> None:
        t = NeighborTable(capacity=5)
        now = 0
        for op, short, ieee, rel, dt, lqi in ops:
            now += 1 * S
            if op == "add":
                before = {e.network_address for e in t}
                r = t.add(
                    NeighborEntry(
                        network_address=short,
                        extended_address=ieee,
                        relationship=rel,
                        device_type=dt,
                        lqi=lqi,
                        device_timeout=3,
                    ),
                    now,
                )
                if r.evicted is not None:
                    assert r.evicted.relationship not in (
                        Relationship.PARENT,
                        Relationship.CHILD,
                        Relationship.UNAUTHENTICATED_CHILD,
                    )
                if not r.admitted:
                    assert {e.network_address for e in t} == before
            elif op == "remove":
                t.remove(short)
            elif op == "age":
                t.age_routers()
            elif op == "expire":
                t.expire_end_devices(now)
            else:
                t.keepalive(short, now)
            assert len(t) <= t.capacity
            entries = list(t)
            assert len({e.network_address for e in entries}) == len(entries)
            for e in entries:
                assert t.get(e.network_address) is e
                if e.extended_address is not None:
                    assert t.get_by_ieee(e.extended_address) is e


# -- routing table -------------------------------------------------------------------------------


class TestRoutingTable:
    def test_set_route_and_next_hop(self) -> None:
        t = RoutingTable()
        r = t.set_route(0x1234, 0x0001, 5 * S, path_cost=4)
        assert isinstance(r, Insertion) and r.admitted
        assert t.next_hop(0x1234) == 0x0001
        e = t.get(0x1234)
        assert e is not None and e.status == RouteStatus.ACTIVE and e.path_cost == 4
        assert e.last_used_us == 5 * S and e.next_hop_address == 0x0001
        assert t.next_hop(0x9999) is None

    def test_status_gates_next_hop(self) -> None:
        t = RoutingTable()
        t.add(RouteEntry(destination_address=0x0010, status=RouteStatus.DISCOVERY_UNDERWAY), 0)
        assert t.next_hop(0x0010) is None
        for status, usable in [
            (RouteStatus.VALIDATION_UNDERWAY, True),
            (RouteStatus.ACTIVE, True),
            (RouteStatus.INACTIVE, False),
            (RouteStatus.DISCOVERY_FAILED, False),
        ]:
            assert t.set_status(0x0010, status)
            assert (t.next_hop(0x0010) is not None) is usable
        assert not t.set_status(0x0011, RouteStatus.ACTIVE)

    def test_update_in_place_resets_failures(self) -> None:
        t = RoutingTable()
        t.set_route(0x0020, 0x0001, 0, many_to_one=True)
        assert t.record_failure(0x0020) == 1
        assert t.record_failure(0x0020) == 2
        e = t.get(0x0020)
        r = t.set_route(0x0020, 0x0002, 10 * S, route_record_required=True)
        assert r.entry is e and e is not None
        assert e.failures == 0 and e.next_hop_address == 0x0002
        assert e.route_record_required and not e.many_to_one and e.last_used_us == 10 * S
        t.record_failure(0x0020)
        t.record_success(0x0020, 11 * S)
        assert e.failures == 0 and e.last_used_us == 11 * S
        assert t.record_failure(0x0999) == 0

    def test_capacity_evicts_inactive_and_failed_lru(self) -> None:
        t = RoutingTable(capacity=3)
        t.set_route(0x0001, 0x00A1, 1 * S)
        t.set_route(0x0002, 0x00A2, 2 * S)
        t.set_route(0x0003, 0x00A3, 3 * S)
        # all ACTIVE: no room
        r = t.set_route(0x0004, 0x00A4, 4 * S)
        assert not r.admitted and 0x0004 not in t and len(t) == 3
        t.set_status(0x0003, RouteStatus.INACTIVE)
        t.set_status(0x0002, RouteStatus.DISCOVERY_FAILED)
        t.touch(0x0002, 3_500 * MS)
        # least recently used evictable first: 0x0003 (3 s) before 0x0002 (3.5 s)
        r = t.set_route(0x0004, 0x00A4, 5 * S)
        assert r.evicted is not None and r.evicted.destination_address == 0x0003
        r = t.set_route(0x0005, 0x00A5, 6 * S)
        assert r.evicted is not None and r.evicted.destination_address == 0x0002
        assert sorted(e.destination_address for e in t) == [0x0001, 0x0004, 0x0005]
        assert not t.set_route(0x0006, 0x00A6, 7 * S).admitted

    def test_invalidate_next_hop(self) -> None:
        t = RoutingTable()
        t.set_route(0x0001, 0x00A1, 0)
        t.set_route(0x0002, 0x00A1, 0)
        t.set_route(0x0003, 0x00A2, 0)
        t.set_route(0x0004, 0x00A1, 0, status=RouteStatus.DISCOVERY_UNDERWAY)
        hit = t.invalidate_next_hop(0x00A1)
        assert sorted(e.destination_address for e in hit) == [0x0001, 0x0002]
        assert t.next_hop(0x0001) is None and t.next_hop(0x0003) == 0x00A2
        assert t.get(0x0004).status == RouteStatus.DISCOVERY_UNDERWAY  # type: ignore[union-attr]

    def test_expire_idle(self) -> None:
        t = RoutingTable()
        t.set_route(0x0001, 0x00A1, 0)
        t.set_route(0x0002, 0x00A1, 0, many_to_one=True)
        t.set_route(0x0003, 0x00A1, 0)
        t.touch(0x0003, 20 * S)
        hit = t.expire_idle(30 * S, 30 * S)
        assert [e.destination_address for e in hit] == [0x0001]
        assert t.get(0x0001).status == RouteStatus.INACTIVE  # type: ignore[union-attr]

    def test_group_ids_separate(self) -> None:
        t = RoutingTable()
        t.set_route(0x1234, 0x00A1, 0)
        t.set_route(0x1234, 0x00B2, 0, group=True)
        assert t.next_hop(0x1234) == 0x00A1
        assert t.next_hop(0x1234, group=True) == 0x00B2
        g = t.get(0x1234, group=True)
        assert g is not None and g.group_id_flag
        assert t.remove(0x1234, group=True) is g and t.next_hop(0x1234) == 0x00A1

    def test_capacity_checked(self) -> None:
        with pytest.raises(LocalProtocolError):
            RoutingTable(capacity=0)


# -- route discovery table -----------------------------------------------------------------------


class TestRouteDiscoveryTable:
    def test_expiry_at_route_discovery_time(self) -> None:
        t = RouteDiscoveryTable()
        r = t.add(0x0001, 7, 0x00A1, 3, 2 * S, destination=0x0099)
        assert r.admitted and r.entry is not None
        e = r.entry
        assert e.expiration_time == 12 * S and e.residual_cost == 0xFF
        assert e.destination_address == 0x0099
        assert t.get(0x0001, 7, 12 * S - 1) is e
        assert t.get(0x0001, 8, 3 * S) is None  # other request ID
        assert t.next_expiry() == 12 * S
        assert t.get(0x0001, 7, 12 * S) is None and len(t) == 0

    def test_update_keeps_expiration(self) -> None:
        t = RouteDiscoveryTable()
        e = t.add(0x0001, 7, 0x00A1, 9, 0).entry
        r = t.add(0x0001, 7, 0x00A2, 4, 3 * S, residual_cost=5)
        assert r.entry is e and e is not None
        assert (e.sender_address, e.forward_cost, e.residual_cost) == (0x00A2, 4, 5)
        assert e.expiration_time == 10 * S

    def test_capacity_and_expire(self) -> None:
        t = RouteDiscoveryTable(capacity=2)
        t.add(0x0001, 1, 0x00A1, 1, 0)
        t.add(0x0002, 1, 0x00A1, 1, 1 * S)
        assert not t.add(0x0003, 1, 0x00A1, 1, 5 * S).admitted
        # the first expires at 10 s: room again
        r = t.add(0x0003, 1, 0x00A1, 1, 10 * S)
        assert r.admitted and len(t) == 2
        gone = t.expire(11 * S)
        assert [(e.source_address, e.route_request_id) for e in gone] == [(0x0002, 1)]
        assert t.remove(0x0003, 1) is not None and len(t) == 0
        assert t.next_expiry() is None

    def test_request_id_range(self) -> None:
        with pytest.raises(LocalProtocolError):
            RouteDiscoveryTable().add(0x0001, 256, 0x00A1, 1, 0)

    def test_a_new_entry_drops_the_expired_ones(self) -> None:
        """Requests that nobody looks up again (a many-to-one request every 60 s) do not pile
        up until the table is full (issue 11); the live ones stay."""
        t = RouteDiscoveryTable()
        for i in range(20):
            t.add(0x0000, i, 0x00A1, 1, i * 60 * S)
            assert len(t) == 1
        t.add(0x0001, 1, 0x00A1, 1, 19 * 60 * S + 5 * S)
        assert len(t) == 2 and t.get(0x0000, 19, 19 * 60 * S + 9 * S) is not None
        t.add(0x0002, 1, 0x00A1, 1, 19 * 60 * S + 10 * S)  # the request of 19 min expired
        assert len(t) == 2 and t.get(0x0001, 1, 19 * 60 * S + 10 * S) is not None

    @PROPS
    @given(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3 * S)),
            max_size=40,
        ),
        st.integers(0, 40 * S),
    )
    def test_expiry_property(self, adds: list[tuple[int, int, int]], probe: int) -> None:
        t = RouteDiscoveryTable(capacity=4)
        now = 0
        first_seen: dict[tuple[int, int], int] = {}
        for src, rid, dt in adds:
            now += dt
            for k, t0 in list(first_seen.items()):
                if now >= t0 + 10 * S:
                    del first_seen[k]
            r = t.add(src, rid, 0x00A1, 1, now)
            if r.admitted:
                first_seen.setdefault((src, rid), now)
            assert len(t) <= 4
        at = now + probe
        for (src, rid), t0 in first_seen.items():
            live = t.get(src, rid, at) is not None
            assert live == (at < t0 + 10 * S)


# -- broadcast transaction table -----------------------------------------------------------------


class TestBroadcastTransactionTable:
    @PROPS
    @given(st.lists(st.integers(0, 0xFFFF), max_size=40))
    def test_relay_set_is_a_set(self, adds: list[int]) -> None:
        """RelaySet (a sorted array) behaves as a set; ``add`` says whether it was new."""
        r, ref = RelaySet(), set[int]()
        for a in adds:
            assert r.add(a) is (a not in ref)
            ref.add(a)
            assert a in r and len(r) == len(ref) and r == ref
        assert list(r) == sorted(ref) and RelaySet(adds) == ref

    def test_duplicate_rejection_and_expiry(self) -> None:
        t = BroadcastTransactionTable()
        assert t.capacity == 15
        assert not t.seen(0x0001, 42, 0)
        r = t.add(0x0001, 42, 1 * S)
        assert r.admitted and r.entry is not None and r.entry.expiration_time == 10 * S
        assert t.seen(0x0001, 42, 1 * S) and t.seen(0x0001, 42, 10 * S - 1)
        assert not t.seen(0x0001, 43, 1 * S) and not t.seen(0x0002, 42, 1 * S)
        assert t.add(0x0001, 42, 2 * S).entry is r.entry  # already there
        assert not t.seen(0x0001, 42, 10 * S)  # nwkNetworkBroadcastDeliveryTime passed
        assert len(t) == 0

    def test_minimum_capacity(self) -> None:
        with pytest.raises(LocalProtocolError):
            BroadcastTransactionTable(capacity=8)
        BroadcastTransactionTable(capacity=9)

    def test_full_refuses_until_expiry(self) -> None:
        t = BroadcastTransactionTable(capacity=9)
        for seq in range(9):
            assert t.add(0x0001, seq, seq * S).admitted
        assert not t.has_room(8 * S)
        r = t.add(0x0002, 0, 8 * S)
        assert not r.admitted and r.evicted is None and len(t) == 9
        assert t.seen(0x0001, 0, 8 * S)  # live records untouched
        # refused again before the first expiry (without scanning the table again), also
        # after a dead record of the same broadcast went
        for seq in (1, 2):
            r = t.add(0x0003, seq, 8 * S + seq * MS)
            assert not r.admitted and r.evicted is None and len(t) == 9
        # at 9 s the first record expires: the new broadcast takes its place
        assert t.has_room(9 * S)
        r = t.add(0x0002, 0, 9 * S)
        assert r.admitted and r.evicted is None and len(t) == 9
        assert not t.seen(0x0001, 0, 9 * S)

    def test_evict_live_drops_oldest(self) -> None:
        t = BroadcastTransactionTable(capacity=9, evict_live=True)
        for seq in range(9):
            t.add(0x0001, seq, seq * MS)
        r = t.add(0x0002, 0, 100 * MS)
        assert r.admitted and r.evicted is not None
        assert (r.evicted.source_address, r.evicted.sequence_number) == (0x0001, 0)
        assert len(t) == 9 and not t.seen(0x0001, 0, 100 * MS) and t.seen(0x0001, 1, 100 * MS)

    def test_passive_ack_bookkeeping(self) -> None:
        t = BroadcastTransactionTable()
        rec = t.add(0x0001, 7, 0).entry
        assert rec is not None
        neighbours = [0x00A1, 0x00A2, 0x00A3]
        assert rec.missing(neighbours) == neighbours
        assert t.record_relay(0x0001, 7, 0x00A2, 100 * MS) is rec
        assert t.record_relay(0x0001, 7, 0x00A2, 110 * MS) is rec  # heard twice: one relay
        assert rec.relayed_by == {0x00A2}
        assert rec.missing(neighbours) == [0x00A1, 0x00A3]
        assert t.record_retry(0x0001, 7, 500 * MS) == 1
        t.record_relay(0x0001, 7, 0x00A1, 600 * MS)
        t.record_relay(0x0001, 7, 0x00A3, 600 * MS)
        assert t.record_retry(0x0001, 7, 1 * S) == 2
        assert rec.missing(neighbours) == [] and rec.retries == 2
        # unknown or expired broadcasts
        assert t.record_relay(0x0009, 7, 0x00A1, 0) is None
        assert t.record_retry(0x0009, 7, 0) is None
        assert t.record_relay(0x0001, 7, 0x00A1, 9 * S) is None

    def test_expire_and_next_expiry(self) -> None:
        t = BroadcastTransactionTable(delivery_time_us=2 * S)
        t.add(0x0001, 1, 0)
        t.add(0x0001, 2, 1 * S)
        assert t.next_expiry() == 2 * S
        assert t.expire(2 * S) == 1 and len(t) == 1
        assert t.remove(0x0001, 2) is not None and t.next_expiry() is None

    def test_expired_records_leave_at_the_next_broadcast(self) -> None:
        t = BroadcastTransactionTable(delivery_time_us=2 * S)
        for seq in range(3):
            t.add(0x0001, seq, seq * S)
        t.add(0x0002, 0, 3 * S)  # the records of 0 and 1 s expired
        assert len(t) == 2 and t.get(0x0001, 2, 3 * S) is not None
        t.add(0x0003, 0, 10 * S)
        assert len(t) == 1

    def test_sequence_range(self) -> None:
        with pytest.raises(LocalProtocolError):
            BroadcastTransactionTable().add(0x0001, 256, 0)

    @PROPS
    @given(
        st.lists(
            st.tuples(st.integers(0, 4), st.integers(0, 255), st.integers(0, 2 * S)),
            max_size=80,
        ),
        st.booleans(),
    )
    def test_never_over_capacity(self, adds: list[tuple[int, int, int]], evict: bool) -> None:
        t = BroadcastTransactionTable(capacity=9, evict_live=evict)
        now = 0
        for src, seq, dt in adds:
            now += dt
            had_room = t.has_room(now)
            live = t.seen(src, seq, now)
            r = t.add(src, seq, now)
            assert len(t) <= 9
            # admitted exactly when it is there already, or there is room, or room is made
            assert r.admitted == (live or had_room or evict)
            if r.entry is not None:
                assert t.seen(src, seq, now)
                assert now < r.entry.expiration_time <= now + 9 * S


# -- address map ---------------------------------------------------------------------------------


class TestAddressMap:
    def test_update_outcomes(self) -> None:
        m = AddressMap()
        assert m.update(0x1234, 0xAA) == AddressMapStatus.ADDED
        assert m.update(0x1234, 0xAA) == AddressMapStatus.UNCHANGED
        # 0xAA rejoined with a new short address
        assert m.update(0x5678, 0xAA) == AddressMapStatus.UPDATED
        assert m.ieee_of(0x1234) is None and m.short_of(0xAA) == 0x5678
        # another device claims 0x5678: conflict, map unchanged
        assert m.update(0x5678, 0xBB) == AddressMapStatus.CONFLICT
        assert m.ieee_of(0x5678) == 0xAA and m.short_of(0xBB) is None and len(m) == 1

    def test_conflict_overwrite(self) -> None:
        m = AddressMap()
        m.update(0x0001, 0xAA)
        m.update(0x0002, 0xBB)
        # 0xBB announces 0x0001 (authoritative): 0xAA's pair goes, 0xBB's old pair too
        assert m.update(0x0001, 0xBB, overwrite=True) == AddressMapStatus.CONFLICT
        assert m.ieee_of(0x0001) == 0xBB and m.short_of(0xAA) is None
        assert m.ieee_of(0x0002) is None and len(m) == 1

    def test_lru_eviction(self) -> None:
        m = AddressMap(capacity=2)
        m.update(0x0001, 0xA1)
        m.update(0x0002, 0xA2)
        m.update(0x0001, 0xA1)  # refresh: 0x0002 is now the oldest
        m.update(0x0003, 0xA3)
        assert m.ieee_of(0x0002) is None and m.short_of(0xA2) is None
        assert list(m) == [(0x0001, 0xA1), (0x0003, 0xA3)]

    def test_remove(self) -> None:
        m = AddressMap()
        m.update(0x0001, 0xA1)
        m.update(0x0002, 0xA2)
        assert m.remove_short(0x0001) == 0xA1 and m.short_of(0xA1) is None
        assert m.remove_ieee(0xA2) == 0x0002 and m.ieee_of(0x0002) is None
        assert m.remove_short(0x0001) is None and m.remove_ieee(0xA2) is None and len(m) == 0

    @PROPS
    @given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.booleans()), max_size=60))
    def test_bijection(self, ops: list[tuple[int, int, bool]]) -> None:
        m = AddressMap(capacity=4)
        for short, ieee, ow in ops:
            before = list(m)
            status = m.update(short, ieee, overwrite=ow)
            if status == AddressMapStatus.CONFLICT and not ow:
                assert list(m) == before
            else:
                assert m.ieee_of(short) == ieee and m.short_of(ieee) == short
            assert len(m) <= 4
            pairs = list(m)
            assert len({s for s, _ in pairs}) == len({i for _, i in pairs}) == len(pairs)
            for s, i in pairs:
                assert m.ieee_of(s) == i and m.short_of(i) == s


# -- route record table --------------------------------------------------------------------------


class TestRouteRecordTable:
    def test_update_lookup_and_age(self) -> None:
        t = RouteRecordTable(lifetime_us=60 * S)
        r = t.update(0x1234, [0x0011, 0x0022], 5 * S)
        assert r.admitted
        assert t.relays(0x1234, 5 * S) == (0x0011, 0x0022)
        assert t.relays(0x1234, 65 * S - 1) == (0x0011, 0x0022)
        # refreshed at 60 s: lives until 120 s
        t.update(0x1234, [0x0033], 60 * S)
        assert t.relays(0x1234, 119 * S) == (0x0033,)
        assert t.relays(0x1234, 120 * S) is None and len(t) == 0
        t.update(0x0042, [], 0)  # a direct neighbour
        assert t.relays(0x0042, 1) == ()
        assert t.relays(0x9999, 1) is None

    def test_max_relays(self) -> None:
        t = RouteRecordTable(max_relays=12)
        assert t.update(0x0001, range(12), 0).admitted
        assert not t.update(0x0002, range(13), 0).admitted and t.relays(0x0002, 0) is None

    def test_lru_eviction_and_relay_removal(self) -> None:
        t = RouteRecordTable(capacity=2)
        t.update(0x0001, [0x00A1], 0)
        t.update(0x0002, [0x00A2, 0x00A1], 1)
        t.update(0x0001, [0x00A1], 2)  # refresh: 0x0002 is the oldest now
        r = t.update(0x0003, [0x00A3], 3)
        assert r.evicted is not None and r.evicted.destination_address == 0x0002
        t.update(0x0002, [0x00A2, 0x00A1], 4)  # evicts 0x0001
        hit = t.remove_relay(0x00A1)
        assert [e.destination_address for e in hit] == [0x0002]
        assert [e.destination_address for e in t] == [0x0003]

    def test_expire(self) -> None:
        t = RouteRecordTable(lifetime_us=10 * S)
        t.update(0x0001, [0x00A1], 0)
        t.update(0x0002, [0x00A1], 5 * S)
        assert [e.destination_address for e in t.expire(10 * S)] == [0x0001]
        assert t.remove(0x0002) is not None and len(t) == 0
