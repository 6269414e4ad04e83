"""Where a ZCL frame goes: an APSDE-DATA addressing mode, address and endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from zigmesh.aps.primitives import ApsAddrMode

__all__ = ["Destination"]

_BROADCAST_MIN = 0xFFF8


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a ZCL frame goes: an APSDE-DATA addressing mode, address and endpoint."""

    mode: ApsAddrMode
    address: int | None = None
    endpoint: int | None = None

    @classmethod
    def short(cls, address: int, endpoint: int) -> Destination:
        return cls(ApsAddrMode.SHORT, address, endpoint)

    @classmethod
    def ieee(cls, address: int, endpoint: int) -> Destination:
        return cls(ApsAddrMode.IEEE, address, endpoint)

    @classmethod
    def group(cls, group: int) -> Destination:
        return cls(ApsAddrMode.GROUP, group, None)

    @classmethod
    def bound(cls) -> Destination:
        """Every binding of the source endpoint and cluster (APS indirect)."""
        return cls(ApsAddrMode.INDIRECT, None, None)

    @classmethod
    def broadcast(cls, address: int = 0xFFFF, endpoint: int = 0xFF) -> Destination:
        return cls(ApsAddrMode.SHORT, address, endpoint)

    @property
    def unicast(self) -> bool:
        if self.mode == ApsAddrMode.IEEE:
            return True
        return (
            self.mode == ApsAddrMode.SHORT
            and self.address is not None
            and self.address < _BROADCAST_MIN
        )
