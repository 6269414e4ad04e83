"""How a ZCL request ended (:class:`ZclResult`)."""

from __future__ import annotations

from dataclasses import dataclass

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import ApsConfirmStatus
from zigmesh.zcl.definitions import Args
from zigmesh.zcl.foundation import (
    DefaultResponse,
    FoundationPayload,
    ReadAttributesResponse,
    ZclStatus,
)
from zigmesh.zcl.frame import ZclHeader
from zigmesh.zcl.types import ZclValue

__all__ = ["ZclResult"]


@dataclass(frozen=True, slots=True)
class ZclResult:
    """How a request ended. ``response`` is the decoded answer (a foundation payload, or the
    arguments of a cluster-specific response), None when none came."""

    aps_status: ApsConfirmStatus | None = None
    header: ZclHeader | None = None
    response: FoundationPayload | Args | None = None
    src_address: int | None = None
    src_endpoint: int | None = None
    timed_out: bool = False

    @property
    def status(self) -> ZclStatus | int | None:
        """The Default Response's status; SUCCESS for any other response; None without one."""
        r = self.response
        if isinstance(r, DefaultResponse):
            return r.status
        return None if self.header is None else ZclStatus.SUCCESS

    @property
    def ok(self) -> bool:
        if self.timed_out:
            return False
        if self.aps_status is not None and self.aps_status != ApsStatus.SUCCESS:
            return False
        st = self.status
        return st is None or st == ZclStatus.SUCCESS

    def attributes(self) -> dict[int, ZclValue]:
        """Read Attributes Response: attribute id -> value of each SUCCESS record."""
        r = self.response
        if not isinstance(r, ReadAttributesResponse):
            return {}
        return {rec.attribute_id: rec.value for rec in r.records if rec.status == 0}
