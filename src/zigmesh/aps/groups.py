"""Group table, apsGroupTable (Zigbee spec R22 2.2.8.2.2, Table 2-26).

Maps a 16-bit group address to the local endpoints that are members
(APSME-ADD-GROUP / REMOVE-GROUP / REMOVE-ALL-GROUPS, 2.2.4.5). A groupcast frame is delivered
to every member endpoint; a frame for a group with no member here is dropped.

The capacity counts (group, endpoint) memberships, the unit deployed stacks size their group
table in. Lookups are O(1); member endpoints come back in the order they joined.
"""

from __future__ import annotations

from collections.abc import Iterator

from zigmesh.aps.commands import ApsStatus
from zigmesh.errors import LocalProtocolError

__all__ = ["GroupTable"]


def _valid(group: int, endpoint: int) -> bool:
    return 0 <= group <= 0xFFFF and 0x01 <= endpoint <= 0xFE


class GroupTable:
    """Bounded group address -> member endpoints table."""

    __slots__ = ("_groups", "_count", "_capacity")

    def __init__(self, capacity: int = 16) -> None:
        if capacity < 1:
            raise LocalProtocolError(f"group table capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        self._groups: dict[int, tuple[int, ...]] = {}
        self._count = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        """Number of (group, endpoint) memberships."""
        return self._count

    def __iter__(self) -> Iterator[tuple[int, tuple[int, ...]]]:
        """``(group address, member endpoints)`` pairs (a snapshot)."""
        return iter(list(self._groups.items()))

    def memberships(self) -> list[tuple[int, int]]:
        """Every ``(group, endpoint)`` pair (what a node persists)."""
        return [(g, e) for g, eps in self._groups.items() for e in eps]

    def groups(self) -> tuple[int, ...]:
        return tuple(self._groups)

    def endpoints(self, group: int) -> tuple[int, ...]:
        """Member endpoints of ``group`` (empty when none)."""
        return self._groups.get(group, ())

    def is_member(self, group: int, endpoint: int) -> bool:
        return endpoint in self._groups.get(group, ())

    def groups_of(self, endpoint: int) -> tuple[int, ...]:
        """Groups ``endpoint`` is a member of (Groups cluster: Get Group Membership)."""
        return tuple(g for g, eps in self._groups.items() if endpoint in eps)

    def add(self, group: int, endpoint: int) -> ApsStatus:
        """APSME-ADD-GROUP: SUCCESS (also if already a member), INVALID_PARAMETER or
        TABLE_FULL."""
        if not _valid(group, endpoint):
            return ApsStatus.INVALID_PARAMETER
        eps = self._groups.get(group, ())
        if endpoint in eps:
            return ApsStatus.SUCCESS
        if self._count >= self._capacity:
            return ApsStatus.TABLE_FULL
        self._groups[group] = (*eps, endpoint)
        self._count += 1
        return ApsStatus.SUCCESS

    def remove(self, group: int, endpoint: int) -> ApsStatus:
        """APSME-REMOVE-GROUP: SUCCESS, INVALID_PARAMETER or INVALID_GROUP (not a member)."""
        if not _valid(group, endpoint):
            return ApsStatus.INVALID_PARAMETER
        eps = self._groups.get(group, ())
        if endpoint not in eps:
            return ApsStatus.INVALID_GROUP
        rest = tuple(e for e in eps if e != endpoint)
        if rest:
            self._groups[group] = rest
        else:
            del self._groups[group]
        self._count -= 1
        return ApsStatus.SUCCESS

    def remove_all(self, endpoint: int) -> ApsStatus:
        """APSME-REMOVE-ALL-GROUPS: SUCCESS or INVALID_PARAMETER."""
        if not 0x01 <= endpoint <= 0xFE:
            return ApsStatus.INVALID_PARAMETER
        for g in self.groups_of(endpoint):
            self.remove(g, endpoint)
        return ApsStatus.SUCCESS

    def clear(self) -> None:
        self._groups.clear()
        self._count = 0
