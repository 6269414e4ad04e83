"""Outgoing frame counters across reboots (Zigbee spec 4.3.1.1): CounterPersistence's rule
"persist every N frames, resume at stored + N", through a real KeyStore and a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.persist import CounterPersistence, MemoryStore, SqliteStore, StateStore
from zigmesh.security import DEFAULT_RESTORE_JUMP, DEFAULT_TC_LINK_KEY, MAX_FRAME_COUNTER, KeyStore

from .strategies import K0, K1, PARTNER, sample_keystore, sample_snapshot


def test_due_when_crossing_a_multiple() -> None:
    cp = CounterPersistence(100)
    assert cp.interval == 100
    assert CounterPersistence().interval == DEFAULT_RESTORE_JUMP == 1024
    assert [c for c in range(350) if cp.due(c)] == list(range(100, 350))
    cp.mark(100)
    assert not cp.due(199)
    assert cp.due(200)
    cp.mark(205)  # persisted off a multiple: the next save is due at the next multiple
    assert cp.last() == 205
    assert not cp.due(299)
    assert cp.due(300)
    assert not cp.due(150)  # never due below the persisted value


def test_counters_are_tracked_per_key() -> None:
    cp = CounterPersistence(10)
    cp.mark(10, K0)
    assert cp.due(10, K1)
    assert not cp.due(10, K0)
    assert cp.due(10)  # the anonymous counter is a third one
    assert (cp.last(K0), cp.last(K1)) == (10, 0)


def test_snapshot_helpers() -> None:
    cp = CounterPersistence(2)
    ks = sample_keystore().persist()  # counters 3 (network key) and 1 (link key)
    assert cp.due_snapshot(ks)
    cp.mark_snapshot(ks)
    assert not cp.due_snapshot(ks)
    assert cp.last(K0) == 3 and cp.last(bytes(16)) == 1


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        CounterPersistence(0)
    cp = CounterPersistence()
    for bad in (-1, MAX_FRAME_COUNTER + 1):
        with pytest.raises(ValueError):
            cp.due(bad)
        with pytest.raises(ValueError):
            cp.mark(bad)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_keystore_through_a_store_resumes_n_ahead(kind: str, tmp_path: Path) -> None:
    """A KeyStore persisted into a snapshot, stored, loaded and restored with jump=N has every
    outgoing counter advanced by N (held keys never used start at N); the rest is unchanged."""
    n = 1000
    ks = sample_keystore()
    for _ in range(40):
        ks.next_network_frame_counter()
    ks.set_link_key(0x42, K1)  # held, never used
    before = ks.persist()
    store: StateStore = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "k.db")
    store.save("n", sample_snapshot(keys=before))
    if kind == "sqlite":
        store.close()
        store = SqliteStore(tmp_path / "k.db")
    loaded = store.load("n")
    store.close()
    assert loaded is not None and loaded.keys == before
    restored = KeyStore.restore(loaded.keys, jump=n)
    after = dict(restored.persist().outgoing)
    held_unused = {K1: n, DEFAULT_TC_LINK_KEY: n}  # the unique link key of 0x42, the TC link key
    assert after == {**{k: c + n for k, c in before.outgoing}, **held_unused}
    assert restored.network_outgoing_counter(0) == 43 + n
    assert restored.link_outgoing_counter(PARTNER) == 1 + n
    assert restored.link_outgoing_counter(0x42) == n
    # keys and incoming counters come back as they were
    r = restored.persist()
    assert (r.active, r.alternate, r.tc_link_key) == (
        before.active,
        before.alternate,
        before.tc_link_key,
    )
    assert set(r.link_keys) == set(before.link_keys)
    assert r.incoming == before.incoming


def test_restore_saturates_at_the_maximum() -> None:
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    snap = ks.persist()
    near_end = type(snap)(snap.active, None, None, (), ((K0, MAX_FRAME_COUNTER - 5),), ())
    loaded = sample_snapshot(keys=near_end)
    assert KeyStore.restore(loaded.keys, jump=1024).network_outgoing_counter(0) == MAX_FRAME_COUNTER


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 64),
    # per boot: frames on the network key, frames on the link key, then power is lost
    boots=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=1, max_size=5),
)
def test_rule_never_reuses_a_counter(n: int, boots: list[tuple[int, int]]) -> None:
    """Follow the documented rule through several unclean reboots (power lost right after a
    frame, without a final save): every frame counter used on a key is greater than every one
    used on it before, i.e. neighbours never see a counter go backwards."""
    store = MemoryStore()  # the persisted copy; a MemoryStore is fine: it is never power-cycled
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    ks.set_link_key(PARTNER, K1)
    cp = CounterPersistence(n)
    store.save("n", sample_snapshot(keys=ks.persist()))  # rule 4: save on key changes
    cp.mark_snapshot(ks.persist())
    used: dict[bytes, list[int]] = {K0: [], K1: []}

    def frame(key: bytes) -> None:
        if key == K0:
            used[K0].append(ks.next_network_frame_counter()[1])
        else:
            used[K1].append(ks.next_link_frame_counter(PARTNER))
        if cp.due(ks.outgoing_counter(key), key):  # rule 1
            snap = ks.persist()
            store.save("n", sample_snapshot(keys=snap))
            cp.mark_snapshot(snap)

    for nwk_frames, aps_frames in boots:
        for i in range(max(nwk_frames, aps_frames)):
            if i < nwk_frames:
                frame(K0)
            if i < aps_frames:
                frame(K1)
        # power lost: RAM (ks, cp) gone; reboot from the store (rule 2), save at once (rule 3)
        loaded = store.load("n")
        assert loaded is not None
        ks = KeyStore.restore(loaded.keys, jump=n)
        cp = CounterPersistence(n)
        store.save("n", sample_snapshot(keys=ks.persist()))
        cp.mark_snapshot(ks.persist())

    for counters in used.values():
        assert counters == sorted(set(counters)), "a counter was reused or went backwards"
