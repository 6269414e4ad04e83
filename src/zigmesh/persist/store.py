"""State stores: where nodes keep their :class:`NodeSnapshot` across reboots (DESIGN.md 6).

One small interface, :class:`StateStore`, with two implementations:

- :class:`MemoryStore` keeps snapshots in a dict. ``MemoryStore()`` models RAM: ``volatile`` is
  True, and the World calls ``delete(node)`` when a simulated node loses power, so it reboots
  with nothing. ``MemoryStore(volatile=False)`` models the devices' flash (the World's default:
  a real Zigbee device keeps its network state in non-volatile memory, so a power blip never
  makes it forget its network) without a file.
- :class:`SqliteStore` models flash: one SQLite file per run, one table keyed by node, each save
  one transaction, so a run killed at any point leaves only whole rows.

Layers never touch a store: the node hands them what it loaded, and saves what they hold.

SQLite layout (schema version 1)
--------------------------------
::

    CREATE TABLE node_state (
        node        TEXT PRIMARY KEY NOT NULL,  -- node name (the World's key)
        eui64       TEXT NOT NULL,              -- 16 lowercase hex digits, = snapshot's eui64
        snapshot    TEXT NOT NULL,              -- NodeSnapshot.to_json()
        saved_at_us INTEGER NOT NULL            -- = snapshot's saved_at_us
    );
    PRAGMA application_id = 0x7A6D5354;  -- "zmST": this file is a zigmesh state store
    PRAGMA user_version = 1;             -- SCHEMA_VERSION

A file without them is initialised only if it holds no schema at all (a new or empty file); a
foreign SQLite database, another schema version or a file that is not SQLite raises
:class:`StoreError` and is left untouched.

Pragmas and transactions: the connection runs in autocommit mode (``isolation_level=None``) and
each write is one explicit ``BEGIN IMMEDIATE`` ... ``COMMIT`` holding one ``INSERT OR REPLACE``
(or ``DELETE``). ``journal_mode=WAL`` with ``synchronous=NORMAL``: a commit appends to the
write-ahead log without an fsync, which keeps frequent saves cheap. A killed process loses
nothing committed (the log is in the OS page cache and is replayed on the next open); an OS
crash or power cut may lose the last commits but never corrupts the database or splits a row.
While the store is open the log lives beside the file (``<path>-wal``, ``<path>-shm``);
:meth:`SqliteStore.close` checkpoints it back, leaving the single database file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Final, Protocol, Self, runtime_checkable

from zigmesh.errors import DecodeError, LocalProtocolError, ZigmeshError
from zigmesh.persist.snapshot import NodeSnapshot

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "MemoryStore",
    "SqliteStore",
    "StateStore",
    "StoreError",
    "open_store",
]

#: ``PRAGMA user_version`` of a state store database this code reads and writes
SCHEMA_VERSION: Final = 1
#: ``PRAGMA application_id`` marking a zigmesh state store ("zmST")
APPLICATION_ID: Final = 0x7A6D5354

_TABLE: Final = "node_state"
_COLUMNS: Final = ("node", "eui64", "snapshot", "saved_at_us")
_CREATE: Final = f"""
CREATE TABLE {_TABLE} (
    node        TEXT PRIMARY KEY NOT NULL,
    eui64       TEXT NOT NULL,
    snapshot    TEXT NOT NULL,
    saved_at_us INTEGER NOT NULL
)
"""
_BUSY_TIMEOUT_MS: Final = 5000
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"


class StoreError(ZigmeshError):
    """A state store that cannot be opened, read or written: not a zigmesh store, another
    schema version, an invalid row, or an SQLite failure (chained as ``__cause__``)."""


@runtime_checkable
class StateStore(Protocol):
    """Non-volatile memory of the nodes of one run, keyed by node name."""

    @property
    def volatile(self) -> bool:
        """True if the contents model RAM: the World deletes a node's entry on power-off."""
        ...

    def load(self, node: str) -> NodeSnapshot | None:
        """The last snapshot saved for ``node``, or None."""
        ...

    def save(self, node: str, snapshot: NodeSnapshot) -> None:
        """Store ``snapshot`` as ``node``'s state, replacing any previous one, atomically."""
        ...

    def delete(self, node: str) -> None:
        """Forget ``node``'s state (no error if there is none)."""
        ...

    def nodes(self) -> list[str]:
        """Names of the nodes with a saved state, sorted."""
        ...

    def close(self) -> None:
        """Release the store; further use raises :class:`LocalProtocolError`. Idempotent."""
        ...


def _check_node(node: str) -> None:
    if not isinstance(node, str) or not node:
        raise LocalProtocolError(f"a node name is a non-empty string, got {node!r}")
    try:
        node.encode("utf-8")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"node name {node!r} is not valid Unicode text") from None


class MemoryStore:
    """In-memory store: a dict of snapshots, lost on power-off unless ``volatile=False`` (then
    it models flash, the World's default)."""

    __slots__ = ("_data", "_closed", "_volatile")

    def __init__(self, volatile: bool = True) -> None:
        self._data: dict[str, NodeSnapshot] = {}
        self._closed = False
        self._volatile = volatile

    @property
    def volatile(self) -> bool:
        return self._volatile

    def _check(self, node: str | None = None) -> None:
        if self._closed:
            raise LocalProtocolError("state store is closed")
        if node is not None:
            _check_node(node)

    def load(self, node: str) -> NodeSnapshot | None:
        self._check(node)
        return self._data.get(node)

    def save(self, node: str, snapshot: NodeSnapshot) -> None:
        self._check(node)
        if not isinstance(snapshot, NodeSnapshot):
            raise LocalProtocolError(f"expected a NodeSnapshot, got {type(snapshot).__name__}")
        self._data[node] = snapshot

    def delete(self, node: str) -> None:
        self._check(node)
        self._data.pop(node, None)

    def nodes(self) -> list[str]:
        self._check()
        return sorted(self._data)

    def close(self) -> None:
        self._closed = True
        self._data.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SqliteStore:
    """SQLite store: one file per run, one row per node (module docstring for the schema and
    pragmas). Opening a file that is not a zigmesh state store of this schema version raises
    :class:`StoreError`."""

    __slots__ = ("_path", "_conn")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        _check_header(self._path)
        try:
            conn = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open state store {self._path}: {e}") from e
        try:
            _open_schema(conn, self._path)
        except sqlite3.Error as e:
            conn.close()
            if getattr(e, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                raise StoreError(
                    f"{self._path} is not a zigmesh state store (not a valid SQLite database: {e})"
                ) from e
            raise StoreError(f"cannot open state store {self._path}: {e}") from e
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn

    @property
    def volatile(self) -> bool:
        return False

    @property
    def path(self) -> str:
        return self._path

    def _db(self, node: str | None = None) -> sqlite3.Connection:
        conn = self._conn
        if conn is None:
            raise LocalProtocolError("state store is closed")
        if node is not None:
            _check_node(node)
        return conn

    @contextmanager
    def _sqlite_errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise StoreError(f"{what} in {self._path}: {e}") from e

    def load(self, node: str) -> NodeSnapshot | None:
        conn = self._db(node)
        with self._sqlite_errors(f"cannot load node {node!r}"):
            row = conn.execute(
                f"SELECT eui64, snapshot, saved_at_us FROM {_TABLE} WHERE node = ?", (node,)
            ).fetchone()
        if row is None:
            return None
        eui64, text, saved_at_us = row
        where = f"state of node {node!r} in {self._path}"
        if not isinstance(text, str):
            raise StoreError(f"{where}: snapshot is a {type(text).__name__}, not text")
        try:
            snap = NodeSnapshot.from_json(text)
        except DecodeError as e:
            raise StoreError(f"{where} is invalid: {e}") from e
        if eui64 != f"{snap.eui64:016x}" or saved_at_us != snap.saved_at_us:
            raise StoreError(
                f"{where} is inconsistent: columns eui64={eui64!r}, saved_at_us={saved_at_us!r}"
                f" but the snapshot has {snap.eui64:016x}, {snap.saved_at_us}"
            )
        return snap

    def save(self, node: str, snapshot: NodeSnapshot) -> None:
        conn = self._db(node)
        if not isinstance(snapshot, NodeSnapshot):
            raise LocalProtocolError(f"expected a NodeSnapshot, got {type(snapshot).__name__}")
        row = (node, f"{snapshot.eui64:016x}", snapshot.to_json(), snapshot.saved_at_us)
        with self._sqlite_errors(f"cannot save node {node!r}"), _transaction(conn):
            conn.execute(
                f"INSERT OR REPLACE INTO {_TABLE} (node, eui64, snapshot, saved_at_us)"
                " VALUES (?, ?, ?, ?)",
                row,
            )

    def delete(self, node: str) -> None:
        conn = self._db(node)
        with self._sqlite_errors(f"cannot delete node {node!r}"), _transaction(conn):
            conn.execute(f"DELETE FROM {_TABLE} WHERE node = ?", (node,))

    def nodes(self) -> list[str]:
        conn = self._db()
        with self._sqlite_errors("cannot list nodes"):
            names = [r[0] for r in conn.execute(f"SELECT node FROM {_TABLE}")]
        if not all(isinstance(n, str) for n in names):
            raise StoreError(f"{self._path}: a node name is not text")
        return sorted(names)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with self._sqlite_errors("cannot close the store"):
                conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (the connection is in autocommit mode)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
            conn.execute("ROLLBACK")
        raise


def _check_header(path: str) -> None:
    """A non-empty file must start with the SQLite magic string: SQLite itself would treat a
    file shorter than its header as an empty database and overwrite it."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError:
        return  # absent (created by connect), a directory, unreadable: connect reports it
    if head and head != _SQLITE_MAGIC:
        raise StoreError(f"{path} is not a zigmesh state store (not a SQLite database)")


def _pragma_int(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute(f"PRAGMA {name}").fetchone()
    value = row[0] if row else 0
    return value if isinstance(value, int) else 0


def _open_schema(conn: sqlite3.Connection, path: str) -> None:
    """Check the file is a zigmesh state store of SCHEMA_VERSION (initialising an empty one)
    and set the connection's pragmas. Raises StoreError, or sqlite3.DatabaseError for a file
    that is not SQLite at all."""
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    app_id = _pragma_int(conn, "application_id")  # reads the header: fails if not SQLite
    version = _pragma_int(conn, "user_version")
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(
            f"{path} is not a zigmesh state store (SQLite application_id {app_id:#x},"
            f" expected {APPLICATION_ID:#x})"
        )
    if version == 0:
        n_objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if n_objects:
            raise StoreError(
                f"{path} is a SQLite database of another application (no zigmesh schema"
                " version); refusing to add a state table to it"
            )
    elif version != SCHEMA_VERSION:
        raise StoreError(
            f"{path} is a zigmesh state store of schema version {version}; this zigmesh"
            f" reads version {SCHEMA_VERSION}"
        )
    # The file is ours (or empty): only now change it.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    if version == 0:
        with _transaction(conn):
            # re-read under the write lock: another connection may have initialised it
            if _pragma_int(conn, "user_version") == 0:
                conn.execute(_CREATE)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    columns = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({_TABLE})"))
    if columns != _COLUMNS:
        raise StoreError(
            f"{path} claims schema version {SCHEMA_VERSION} but table {_TABLE} has columns"
            f" {columns}, expected {_COLUMNS}"
        )


def open_store(path: str | os.PathLike[str] | None) -> StateStore:
    """A :class:`MemoryStore` for ``None``, else a :class:`SqliteStore` on ``path``."""
    return MemoryStore() if path is None else SqliteStore(path)
