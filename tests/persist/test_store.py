"""State stores (DESIGN.md section 6): MemoryStore and SqliteStore behave alike; the SQLite file
survives reopening, is ONE file once closed, and refuses what is not a zigmesh store."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from zigmesh.errors import DecodeError, LocalProtocolError, ZigmeshError
from zigmesh.persist import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    MemoryStore,
    NodeSnapshot,
    SqliteStore,
    StateStore,
    StoreError,
    open_store,
)

from .strategies import node_snapshots, sample_snapshot

StoreFactory = Callable[[], StateStore]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory for the store under test (SQLite: all on one file in tmp_path)."""
    opened: list[StateStore] = []

    def make() -> StateStore:
        store: StateStore = (
            MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "run.db")
        )
        opened.append(store)
        return store

    yield make
    for s in opened:
        s.close()


# -- shared behaviour ----------------------------------------------------------------------------


def test_store_behaviour(make_store: StoreFactory) -> None:
    store = make_store()
    assert isinstance(store, StateStore)
    assert store.nodes() == []
    assert store.load("a") is None
    s1, s2, s3 = (sample_snapshot(saved_at_us=t, eui64=0x100 + t) for t in (1, 2, 3))
    store.save("b", s2)
    store.save("a", s1)
    store.save("ä-node 10", s3)
    assert store.nodes() == ["a", "b", "ä-node 10"]
    assert store.load("a") == s1
    assert store.load("b") == s2
    assert store.load("ä-node 10") == s3
    # overwrite
    s1b = dataclasses.replace(s1, aps_counter=99, saved_at_us=50)
    store.save("a", s1b)
    assert store.load("a") == s1b
    assert store.nodes() == ["a", "b", "ä-node 10"]
    # delete, also of an absent node
    store.delete("b")
    store.delete("b")
    store.delete("never-saved")
    assert store.load("b") is None
    assert store.nodes() == ["a", "ä-node 10"]


def test_volatile_flag(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.volatile is isinstance(store, MemoryStore)


@pytest.mark.parametrize("name", ["", "\ud800"])
def test_bad_node_name(make_store: StoreFactory, name: str) -> None:
    store = make_store()
    with pytest.raises(LocalProtocolError):
        store.save(name, sample_snapshot())
    with pytest.raises(LocalProtocolError):
        store.load(name)


def test_closed_store(make_store: StoreFactory) -> None:
    store = make_store()
    store.save("a", sample_snapshot())
    store.close()
    store.close()  # idempotent
    for op in (
        lambda: store.load("a"),
        lambda: store.save("a", sample_snapshot()),
        lambda: store.delete("a"),
        store.nodes,
    ):
        with pytest.raises(LocalProtocolError, match="closed"):
            op()


def test_save_rejects_non_snapshots(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(LocalProtocolError):
        store.save("a", sample_snapshot().to_json())  # type: ignore[arg-type]


def test_open_store(tmp_path: Path) -> None:
    with MemoryStore() as m:
        assert isinstance(open_store(None), MemoryStore)
        assert m.volatile
    for path in (tmp_path / "p.db", str(tmp_path / "s.db")):
        store = open_store(path)
        assert isinstance(store, SqliteStore)
        assert not store.volatile
        store.close()


# -- SQLite specifics ----------------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(node_snapshots)
def test_sqlite_round_trip(tmp_path: Path, s: NodeSnapshot) -> None:
    with SqliteStore(tmp_path / "rt.db") as store:
        store.save("n", s)
        assert store.load("n") == s


def test_sqlite_reopen_reads_back_equal_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    snaps = {f"node{i}": sample_snapshot(saved_at_us=i, eui64=0x1000 + i) for i in range(20)}
    with SqliteStore(path) as store:
        for name, snap in snaps.items():
            store.save(name, snap)
        store.delete("node7")
    del snaps["node7"]
    with SqliteStore(path) as again:
        assert again.nodes() == sorted(snaps)
        for name, snap in snaps.items():
            assert again.load(name) == snap
    # one file per run: closing checkpoints the write-ahead log away
    assert sorted(os.listdir(tmp_path)) == ["run.db"]


def test_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "run.db") as a, SqliteStore(tmp_path / "run.db") as b:
        a.save("x", sample_snapshot())
        assert b.load("x") == sample_snapshot()


def test_sqlite_schema_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    with SqliteStore(path) as store:
        store.save("a", sample_snapshot())
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
            assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            cols = [(r[1], r[2], r[3], r[5]) for r in conn.execute("PRAGMA table_info(node_state)")]
            assert cols == [
                ("node", "TEXT", 1, 1),
                ("eui64", "TEXT", 1, 0),
                ("snapshot", "TEXT", 1, 0),
                ("saved_at_us", "INTEGER", 1, 0),
            ]
            rows = conn.execute(
                "SELECT node, eui64, snapshot, saved_at_us FROM node_state"
            ).fetchall()
            assert rows == [("a", "00124b00000000ff", sample_snapshot().to_json(), 123)]
        finally:
            conn.close()


# -- refusing what is not a zigmesh store ----------------------------------------------------------


def _make_db(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for stmt in sql:
        conn.execute(stmt)
    conn.commit()
    conn.close()


def test_wrong_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    SqliteStore(path).close()
    _make_db(path, "PRAGMA user_version = 2")
    with pytest.raises(StoreError, match="schema version 2; this zigmesh reads version 1"):
        SqliteStore(path)


def test_other_application_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    _make_db(path, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another application"):
        SqliteStore(path)
    assert path.read_bytes() == before  # left untouched
    _make_db(path, "PRAGMA application_id = 1234")
    with pytest.raises(StoreError, match="application_id"):
        SqliteStore(path)


def test_version_without_table(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    _make_db(path, f"PRAGMA application_id = {APPLICATION_ID}", "PRAGMA user_version = 1")
    with pytest.raises(StoreError, match="columns"):
        SqliteStore(path)


@pytest.mark.parametrize(
    "content",
    [
        b"not a database at all\n" * 200,
        bytes(range(256)) * 40,
        b"x",
        b"SQLite format 3\x00" + bytes(84),
    ],
    ids=["text", "binary", "one-byte", "bad-header"],
)
def test_garbage_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a zigmesh state store") as info:
        SqliteStore(path)
    assert isinstance(info.value, ZigmeshError)
    if content.startswith(b"SQLite format 3\x00"):  # got past the magic check: SQLite refused it
        assert isinstance(info.value.__cause__, sqlite3.DatabaseError)
    assert path.read_bytes() == content


def test_empty_file_is_initialised(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with SqliteStore(path) as store:
        assert store.nodes() == []


def test_unopenable_path(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        SqliteStore(tmp_path)  # a directory
    with pytest.raises(StoreError):
        SqliteStore(tmp_path / "missing-dir" / "run.db")


def test_corrupt_row_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    with SqliteStore(path) as store:
        store.save("a", sample_snapshot())
        store.save("b", sample_snapshot(eui64=5))
        store.save("c", sample_snapshot(saved_at_us=9))
        _make_db(
            path,
            "UPDATE node_state SET snapshot = replace(snapshot, '\"channel\":15', "
            "'\"channel\":99') WHERE node = 'a'",
            "UPDATE node_state SET eui64 = '0000000000000006' WHERE node = 'b'",
            "UPDATE node_state SET saved_at_us = 10 WHERE node = 'c'",
        )
        with pytest.raises(StoreError, match="channel") as info:
            store.load("a")
        assert isinstance(info.value.__cause__, DecodeError)
        assert info.value.__cause__.field == "channel"
        with pytest.raises(StoreError, match="inconsistent"):
            store.load("b")
        with pytest.raises(StoreError, match="inconsistent"):
            store.load("c")
        _make_db(path, "UPDATE node_state SET snapshot = x'00ff' WHERE node = 'a'")
        with pytest.raises(StoreError):
            store.load("a")
