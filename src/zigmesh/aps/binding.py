"""Binding table, apsBindingTable (Zigbee spec R22 2.2.8.2.1, Table 2-24 / 2-25).

One :class:`BindingEntry` per (source IEEE, source endpoint, cluster, destination): the
destination is a group (``ApsAddrMode.GROUP``, no endpoint) or a device (``ApsAddrMode.IEEE``
with an endpoint). APSME-BIND / APSME-UNBIND (2.2.4.3) add and remove entries; an
APSDE-DATA.request in indirect mode (no destination) goes to every entry of its source endpoint
and cluster; ZDO's Mgmt_Bind_req reads the table in order.

Bounded (``capacity`` entries, the way deployed stacks size it at build time) and kept in
insertion order so Mgmt_Bind_rsp lists are stable. Lookups by (source, endpoint, cluster) are
O(1) through an index.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.errors import LocalProtocolError

__all__ = ["BindingEntry", "BindingTable"]

_GROUP = ApsAddrMode.GROUP
_IEEE = ApsAddrMode.IEEE


@dataclass(frozen=True, slots=True)
class BindingEntry:
    """One binding (Zigbee spec R22 Table 2-25): source and destination addressing.

    ``dst_addr_mode`` is GROUP (``dst_addr`` a 16-bit group, ``dst_endpoint`` None) or IEEE
    (``dst_addr`` a 64-bit address, ``dst_endpoint`` 0x01-0xFF).
    """

    src_addr: int
    src_endpoint: int
    cluster_id: int
    dst_addr_mode: ApsAddrMode
    dst_addr: int
    dst_endpoint: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.src_addr <= 0xFFFF_FFFF_FFFF_FFFF:
            raise LocalProtocolError(f"src_addr {self.src_addr:#x} is not an IEEE address")
        if not 0x01 <= self.src_endpoint <= 0xFE:
            raise LocalProtocolError(f"src_endpoint {self.src_endpoint} not in 0x01-0xFE")
        if not 0 <= self.cluster_id <= 0xFFFF:
            raise LocalProtocolError(f"cluster_id {self.cluster_id:#x} out of range")
        if self.dst_addr_mode == _GROUP:
            if not 0 <= self.dst_addr <= 0xFFFF or self.dst_endpoint is not None:
                raise LocalProtocolError("a group binding has a 16-bit group and no endpoint")
        elif self.dst_addr_mode == _IEEE:
            if not 0 <= self.dst_addr <= 0xFFFF_FFFF_FFFF_FFFF:
                raise LocalProtocolError(f"dst_addr {self.dst_addr:#x} is not an IEEE address")
            if self.dst_endpoint is None or not 0x01 <= self.dst_endpoint <= 0xFF:
                raise LocalProtocolError("a unicast binding needs a dst_endpoint 0x01-0xFF")
        else:
            raise LocalProtocolError(
                f"binding dst_addr_mode must be GROUP or IEEE, not {self.dst_addr_mode!r}"
            )

    @property
    def is_group(self) -> bool:
        return self.dst_addr_mode == _GROUP


class BindingTable:
    """Bounded binding table in insertion order, indexed by (source, endpoint, cluster)."""

    __slots__ = ("_entries", "_index", "_capacity")

    def __init__(self, capacity: int = 32) -> None:
        if capacity < 1:
            raise LocalProtocolError(f"binding table capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        # dict as an ordered set: entry -> None
        self._entries: dict[BindingEntry, None] = {}
        self._index: dict[tuple[int, int, int], list[BindingEntry]] = {}

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[BindingEntry]:
        """Entries in the order they were added (a snapshot: safe to modify while iterating)."""
        return iter(list(self._entries))

    def __contains__(self, entry: object) -> bool:
        return entry in self._entries

    def is_full(self) -> bool:
        return len(self._entries) >= self._capacity

    def add(self, entry: BindingEntry) -> ApsStatus:
        """APSME-BIND: SUCCESS (also when the entry exists already) or TABLE_FULL."""
        if entry in self._entries:
            return ApsStatus.SUCCESS
        if len(self._entries) >= self._capacity:
            return ApsStatus.TABLE_FULL
        self._entries[entry] = None
        key = (entry.src_addr, entry.src_endpoint, entry.cluster_id)
        self._index.setdefault(key, []).append(entry)
        return ApsStatus.SUCCESS

    def remove(self, entry: BindingEntry) -> ApsStatus:
        """APSME-UNBIND: SUCCESS or INVALID_BINDING when there is no such entry."""
        if entry not in self._entries:
            return ApsStatus.INVALID_BINDING
        del self._entries[entry]
        key = (entry.src_addr, entry.src_endpoint, entry.cluster_id)
        lst = self._index[key]
        lst.remove(entry)
        if not lst:
            del self._index[key]
        return ApsStatus.SUCCESS

    def lookup(self, src_addr: int, src_endpoint: int, cluster_id: int) -> tuple[BindingEntry, ...]:
        """The destinations of an indirect transmission, in the order they were bound."""
        lst = self._index.get((src_addr, src_endpoint, cluster_id))
        return tuple(lst) if lst else ()

    def remove_endpoint(self, src_endpoint: int) -> int:
        """Drop every entry of a source endpoint (the endpoint went away); returns how many."""
        gone = [e for e in self._entries if e.src_endpoint == src_endpoint]
        for e in gone:
            self.remove(e)
        return len(gone)

    def clear(self) -> None:
        self._entries.clear()
        self._index.clear()
