"""Address map, nwkAddressMap (Zigbee spec R22 Table 3-58, 3.6.1.9.3).

Maps IEEE addresses to network addresses both ways in O(1), and detects address conflicts
(3.6.1.9.3): :meth:`AddressMap.update` reports ``CONFLICT`` when the network address is already
mapped to another IEEE address. A bounded cache: when full, the least recently updated pair
goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.constants import ADDRESS_MAP_DEFAULT_ENTRIES

__all__ = ["AddressMapStatus", "AddressMap"]


class AddressMapStatus(IntEnum):
    """Outcome of :meth:`AddressMap.update`."""

    ADDED = 0  # a new pair
    UNCHANGED = 1  # the pair was already there
    UPDATED = 2  # the IEEE address moved to a new network address
    CONFLICT = 3  # the network address belongs to another IEEE address


class AddressMap:
    """Bounded two-way IEEE <-> network address map."""

    __slots__ = ("_by_short", "_by_ieee", "_capacity")

    def __init__(self, capacity: int = ADDRESS_MAP_DEFAULT_ENTRIES) -> None:
        if capacity < 1:
            raise LocalProtocolError(f"address map capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        #: insertion order = least recently updated first (a plain dict: half an OrderedDict's
        #: memory per entry)
        self._by_short: dict[int, int] = {}
        self._by_ieee: dict[int, int] = {}

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._by_short)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        """``(network address, IEEE address)`` pairs, least recently updated first."""
        return iter(list(self._by_short.items()))

    def ieee_of(self, network_address: int) -> int | None:
        return self._by_short.get(network_address)

    def short_of(self, extended_address: int) -> int | None:
        return self._by_ieee.get(extended_address)

    def update(
        self, network_address: int, extended_address: int, *, overwrite: bool = False
    ) -> AddressMapStatus:
        """Learn that ``extended_address`` uses ``network_address``.

        ``CONFLICT`` leaves the map unchanged unless ``overwrite`` (an authoritative source
        such as a device announcement), which replaces the other device's pair.
        """
        known = self._by_short.get(network_address)
        if known == extended_address:
            by_short = self._by_short
            del by_short[network_address]  # to the end: most recently updated
            by_short[network_address] = extended_address
            return AddressMapStatus.UNCHANGED
        status = AddressMapStatus.ADDED
        if known is not None:
            if not overwrite:
                return AddressMapStatus.CONFLICT
            status = AddressMapStatus.CONFLICT
            del self._by_short[network_address]
            del self._by_ieee[known]
        old_short = self._by_ieee.get(extended_address)
        if old_short is not None:
            del self._by_short[old_short]
            if status == AddressMapStatus.ADDED:
                status = AddressMapStatus.UPDATED
        elif len(self._by_short) >= self._capacity:
            lru_ieee = self._by_short.pop(next(iter(self._by_short)))
            del self._by_ieee[lru_ieee]
        self._by_short[network_address] = extended_address
        self._by_ieee[extended_address] = network_address
        return status

    def remove_short(self, network_address: int) -> int | None:
        """Forget a network address; returns the IEEE address it was mapped to."""
        ieee = self._by_short.pop(network_address, None)
        if ieee is not None:
            del self._by_ieee[ieee]
        return ieee

    def remove_ieee(self, extended_address: int) -> int | None:
        """Forget an IEEE address; returns the network address it was mapped to."""
        short = self._by_ieee.pop(extended_address, None)
        if short is not None:
            del self._by_short[short]
        return short

    def clear(self) -> None:
        self._by_short.clear()
        self._by_ieee.clear()
