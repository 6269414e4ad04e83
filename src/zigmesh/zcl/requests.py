"""Client-side helpers of an endpoint: the profile-wide requests by attribute name
(Read / Write / Configure Reporting / Read Reporting Configuration / Discover), built on
:meth:`ZclEndpoint.request <zigmesh.zcl.engine.ZclEndpoint.request>`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from zigmesh.errors import LocalProtocolError
from zigmesh.pending import Pending
from zigmesh.zcl.definitions import AttributeDef, ClusterDef
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.foundation import AttributeRecord as _AttributeRecord
from zigmesh.zcl.foundation import (
    ConfigureReporting,
    DiscoverAttributes,
    DiscoverAttributesExtended,
    DiscoverCommandsGenerated,
    DiscoverCommandsReceived,
    FoundationPayload,
    ReadAttributes,
    ReadReportingConfigRecord,
    ReadReportingConfiguration,
    ReportedAttributeConfig,
    ReportingDirection,
    WriteAttributes,
    WriteAttributesNoResponse,
    WriteAttributesUndivided,
)
from zigmesh.zcl.frame import Direction
from zigmesh.zcl.result import ZclResult
from zigmesh.zcl.types import ZclValue

__all__ = ["ZclRequests"]


class ZclRequests:
    """Mixin of :class:`~zigmesh.zcl.engine.ZclEndpoint`: profile-wide requests by name."""

    if TYPE_CHECKING:  # provided by ZclEndpoint, which mixes this class in

        def request(
            self,
            dst: Destination,
            cluster_id: int,
            command: FoundationPayload,
            *,
            manufacturer_code: int | None = None,
            direction: Direction = Direction.CLIENT_TO_SERVER,
            **kw: Any,
        ) -> Pending[ZclResult]: ...

    @staticmethod
    def _attrs(
        cluster: ClusterDef, attrs: Iterable[str | int]
    ) -> tuple[list[AttributeDef], int | None]:
        defs = [cluster.resolve(a) for a in attrs]
        codes = {a.manufacturer_code for a in defs}
        if len(codes) > 1:
            raise LocalProtocolError("attributes of different manufacturers in one request")
        return defs, (codes.pop() if codes else None)

    def read_attributes(
        self, dst: Destination, cluster: ClusterDef, attrs: Iterable[str | int], **kw: Any
    ) -> Pending[ZclResult]:
        """Read Attributes: names (their manufacturer code is used) or plain ids (any id, to
        probe a server; with ``manufacturer_code=`` for manufacturer-specific ones)."""
        ids: list[int] = []
        codes: set[int | None] = set()
        for a in attrs:
            if isinstance(a, int):
                ids.append(a)
            else:
                d = cluster.resolve(a)
                ids.append(d.id)
                codes.add(d.manufacturer_code)
        if len(codes) > 1:
            raise LocalProtocolError("attributes of different manufacturers in one request")
        mfr = kw.pop("manufacturer_code", codes.pop() if codes else None)
        return self.request(
            dst, cluster.id, ReadAttributes(tuple(ids)), manufacturer_code=mfr, **kw
        )

    def write_attributes(
        self,
        dst: Destination,
        cluster: ClusterDef,
        values: Mapping[str | int, ZclValue],
        *,
        undivided: bool = False,
        no_response: bool = False,
        **kw: Any,
    ) -> Pending[ZclResult]:
        defs, mfr = self._attrs(cluster, values)
        recs = tuple(
            _AttributeRecord(a.id, a.type, v) for a, v in zip(defs, values.values(), strict=True)
        )
        cmd: FoundationPayload
        if no_response:
            cmd = WriteAttributesNoResponse(recs)
            kw.setdefault("expect_response", False)
        elif undivided:
            cmd = WriteAttributesUndivided(recs)
        else:
            cmd = WriteAttributes(recs)
        return self.request(dst, cluster.id, cmd, manufacturer_code=mfr, **kw)

    def configure_reporting(
        self,
        dst: Destination,
        cluster: ClusterDef,
        attr: str | int,
        min_interval: int,
        max_interval: int,
        reportable_change: ZclValue = None,
        **kw: Any,
    ) -> Pending[ZclResult]:
        (a,), mfr = self._attrs(cluster, [attr])
        change = reportable_change if a.analog else None
        if a.analog and change is None:
            change = 0 if not isinstance(a.default, float) else 0.0
        rec = ReportedAttributeConfig(a.id, a.type, min_interval, max_interval, change)
        return self.request(
            dst, cluster.id, ConfigureReporting((rec,)), manufacturer_code=mfr, **kw
        )

    def read_reporting_configuration(
        self, dst: Destination, cluster: ClusterDef, attrs: Iterable[str | int], **kw: Any
    ) -> Pending[ZclResult]:
        defs, mfr = self._attrs(cluster, attrs)
        recs = tuple(ReadReportingConfigRecord(ReportingDirection.REPORTED, a.id) for a in defs)
        return self.request(
            dst, cluster.id, ReadReportingConfiguration(recs), manufacturer_code=mfr, **kw
        )

    def discover_attributes(
        self,
        dst: Destination,
        cluster_id: int,
        start: int = 0,
        max_count: int = 0xFF,
        *,
        extended: bool = False,
        **kw: Any,
    ) -> Pending[ZclResult]:
        cmd = (
            DiscoverAttributesExtended(start, max_count)
            if extended
            else DiscoverAttributes(start, max_count)
        )
        return self.request(dst, cluster_id, cmd, **kw)

    def discover_commands(
        self,
        dst: Destination,
        cluster_id: int,
        start: int = 0,
        max_count: int = 0xFF,
        *,
        generated: bool = False,
        **kw: Any,
    ) -> Pending[ZclResult]:
        cmd = (
            DiscoverCommandsGenerated(start, max_count)
            if generated
            else DiscoverCommandsReceived(start, max_count)
        )
        return self.request(dst, cluster_id, cmd, **kw)
