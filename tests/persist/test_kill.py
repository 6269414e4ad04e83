"""A run killed half-way (SIGKILL) leaves a consistent SQLite store: only whole rows, every one
decodable, every acknowledged save still there, and PRAGMA integrity_check ok (WAL with
synchronous=NORMAL; see zigmesh.persist.store)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import zigmesh
from zigmesh.persist import NodeSnapshot, SqliteStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

NODES = 8
READY_SAVES = 50  # the child has made this many saves when the parent starts its kill timer
START_TIMEOUT_S = 15.0  # bounded: give up if the child does not get going
CHILD_LIFETIME_S = 30  # the child stops by itself if never killed

# Save i goes to node{i % NODES}; every field derives from i, and the tables grow and shrink
# with i, so a row mixing two saves, or a torn page, cannot decode to a consistent snapshot.
CHILD = r"""
import dataclasses, os, sys, time
from zigmesh.persist import NodeSnapshot, SqliteStore
from zigmesh.security import KeyStore

path, progress, first, lifetime = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
NODES = int(sys.argv[5])
ks = KeyStore()
ks.set_network_key(bytes(range(16)), 0)
base = ks.persist()

def snapshot(i):
    keys = dataclasses.replace(
        base,
        outgoing=((bytes(range(16)), i),),
        incoming=tuple((0x00124B0000000000 + j, j & 1 or None, i) for j in range(i % 50)),
    )
    return NodeSnapshot(
        eui64=0x00124B0000001000 + i % NODES, role="router", channel=11 + i % 16,
        pan_id=i & 0xFFFF, extended_pan_id=i, network_address=(7 * i) & 0xFFFF,
        parent_address=None, depth=i % 16, device_type=1, nwk_update_id=i & 0xFF, keys=keys,
        bindings=tuple((i, 1, c, 1, c, None) for c in range(i % 20)),
        groups=tuple((g, 1) for g in range(i % 30)),
        aps_counter=i & 0xFF, nwk_sequence_number=(i * 3) & 0xFF, saved_at_us=i,
    )

store = SqliteStore(path)
fd = os.open(progress, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
deadline = time.monotonic() + lifetime
i = first
while time.monotonic() < deadline:
    store.save(f"node{i % NODES}", snapshot(i))
    os.write(fd, b"%d\n" % i)  # acknowledged: save(i) has returned
    i += 1
"""


def _expected_consistent(name: str, s: NodeSnapshot) -> None:
    i = s.saved_at_us
    assert name == f"node{i % NODES}"
    assert s.eui64 == 0x00124B0000001000 + i % NODES
    assert (s.channel, s.pan_id, s.extended_pan_id) == (11 + i % 16, i & 0xFFFF, i)
    assert (s.network_address, s.depth, s.nwk_update_id) == ((7 * i) & 0xFFFF, i % 16, i & 0xFF)
    assert (s.aps_counter, s.nwk_sequence_number) == (i & 0xFF, (i * 3) & 0xFF)
    assert s.keys.outgoing == ((bytes(range(16)), i),)
    assert len(s.keys.incoming) == i % 50
    assert all(c == i for _, _, c in s.keys.incoming)
    assert s.bindings == tuple((i, 1, c, 1, c, None) for c in range(i % 20))
    assert s.groups == tuple((g, 1) for g in range(i % 30))


def _run_and_kill(db: Path, progress: Path, first: int, kill_after_s: float) -> list[int]:
    """Start a child saving in a tight loop from save ``first``, SIGKILL it ``kill_after_s``
    after it reached READY_SAVES saves; return the saves it acknowledged."""
    progress.write_bytes(b"")
    env = dict(os.environ)
    src = str(Path(zigmesh.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    args = [str(db), str(progress), str(first), str(CHILD_LIFETIME_S), str(NODES)]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while progress.read_bytes().count(b"\n") < READY_SAVES:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"child exited early ({proc.returncode}):\n{err}")
            if time.monotonic() > deadline:
                pytest.fail(f"child made fewer than {READY_SAVES} saves in {START_TIMEOUT_S} s")
            time.sleep(0.01)
        time.sleep(kill_after_s)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL  # killed, not finished
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    lines = progress.read_bytes().split(b"\n")[:-1]  # a torn last line is not acknowledged
    return [int(x) for x in lines]


def test_killed_writer_leaves_only_whole_rows(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    progress = tmp_path / "progress"
    first = 0
    for kill_after_s in (0.3, 0.05, 0.5):
        acked = _run_and_kill(db, progress, first, kill_after_s)
        assert acked and acked[0] == first and len(acked) >= READY_SAVES
        # the killed process never checkpointed: its write-ahead log is still there
        assert (tmp_path / "run.db-wal").exists()

        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            rows = conn.execute("SELECT node, eui64, snapshot, saved_at_us FROM node_state")
            for node, eui64, text, saved_at_us in rows:
                s = NodeSnapshot.from_json(text)
                assert (eui64, saved_at_us) == (f"{s.eui64:016x}", s.saved_at_us)
                _expected_consistent(node, s)
        finally:
            conn.close()

        with SqliteStore(db) as store:
            assert store.nodes() == [f"node{k}" for k in range(NODES)]
            last = acked[-1]
            for k in range(NODES):
                loaded = store.load(f"node{k}")
                assert loaded is not None
                _expected_consistent(f"node{k}", loaded)
                # every acknowledged save survived the kill; at most the one in flight is extra
                newest_acked = max(i for i in acked[-NODES:] if i % NODES == k)
                assert loaded.saved_at_us in (newest_acked, newest_acked + NODES)
                assert loaded.saved_at_us <= last + 1
        first = acked[-1] + 2  # the next child goes on where this one stopped
