"""Persistent node state (DESIGN.md section 6): what a node remembers across a reboot
(:class:`NodeSnapshot`), where it is kept (:class:`StateStore`: :class:`MemoryStore` or
:class:`SqliteStore`, chosen by :func:`open_store`), and when outgoing frame counters must be
saved (:class:`CounterPersistence`).
"""

from __future__ import annotations

from zigmesh.persist.counters import CounterPersistence
from zigmesh.persist.snapshot import (
    BINDING_GROUP,
    BINDING_IEEE,
    FORMAT_VERSION,
    ROLES,
    Binding,
    NodeSnapshot,
)
from zigmesh.persist.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    MemoryStore,
    SqliteStore,
    StateStore,
    StoreError,
    open_store,
)

__all__ = [
    "APPLICATION_ID",
    "BINDING_GROUP",
    "BINDING_IEEE",
    "FORMAT_VERSION",
    "ROLES",
    "SCHEMA_VERSION",
    "Binding",
    "CounterPersistence",
    "MemoryStore",
    "NodeSnapshot",
    "SqliteStore",
    "StateStore",
    "StoreError",
    "open_store",
]
