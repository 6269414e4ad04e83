"""Profile-wide requests answered from the cluster definitions (ZCL rev 7/8, clause 2.5).

:func:`handle` takes a decoded foundation request addressed to one cluster of the endpoint
and returns the response payload, a status for the Default Response, or None (nothing to
send). Attributes are seen through the frame's manufacturer code: a frame without one reaches
only standard attributes, a frame with one only that manufacturer's (ZCL 2.4.1.1.2).

Read Attributes (2.5.1.3): one record per identifier, UNSUPPORTED_ATTRIBUTE for an unknown
or unreadable one, the response cut where the next record would not fit one frame. Write
Attributes (2.5.3.3): every record is checked first (UNSUPPORTED_ATTRIBUTE, INVALID_DATA_TYPE,
READ_ONLY, INVALID_VALUE...); the valid ones are written, Undivided (2.5.4.3) writes none if
any fails, No Response (2.5.6.3) answers nothing. Discover Attributes (+ Extended) and
Discover Commands Received / Generated (2.5.13, 2.5.18-2.5.23) list the definitions in id
order from the start identifier. Read / Write Attributes Structured (2.5.15-2.5.17) are
answered by :mod:`zigmesh.zcl.structured` (a client cluster has no attributes to select:
UNSUPPORTED_ATTRIBUTE for each record).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.zcl.cluster import ClientCluster, ServerCluster
from zigmesh.zcl.definitions import AttributeDef
from zigmesh.zcl.foundation import (
    ConfigureReporting,
    ConfigureReportingResponse,
    DiscoverAttributes,
    DiscoverAttributesExtended,
    DiscoverAttributesExtendedResponse,
    DiscoverAttributesResponse,
    DiscoverCommandsGenerated,
    DiscoverCommandsGeneratedResponse,
    DiscoverCommandsReceived,
    DiscoverCommandsReceivedResponse,
    DiscoveredAttribute,
    DiscoveredAttributeExtended,
    FoundationPayload,
    ReadAttributes,
    ReadAttributesResponse,
    ReadAttributesStructured,
    ReadAttributeStatusRecord,
    ReadReportingConfiguration,
    ReadReportingConfigurationResponse,
    WriteAttributes,
    WriteAttributesNoResponse,
    WriteAttributesResponse,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    WriteAttributeStatusRecord,
    WriteAttributesUndivided,
    WriteStructuredStatusRecord,
    ZclStatus,
)
from zigmesh.zcl.frame import Direction, ZclHeader
from zigmesh.zcl.structured import read_structured, write_structured
from zigmesh.zcl.types import encode_value

if TYPE_CHECKING:
    from zigmesh.zcl.engine import ZclEndpoint

__all__ = ["handle"]

Cluster = ServerCluster | ClientCluster


def handle(
    ep: ZclEndpoint, cluster: Cluster, h: ZclHeader, cmd: FoundationPayload
) -> FoundationPayload | ZclStatus | None:
    mfr = h.manufacturer_code
    if isinstance(cmd, ReadAttributes):
        return _read(ep, cluster, mfr, cmd)
    if isinstance(cmd, WriteAttributesNoResponse):
        _write(cluster, mfr, cmd, undivided=False)
        return None
    if isinstance(cmd, WriteAttributesUndivided):
        return _write(cluster, mfr, cmd, undivided=True)
    if isinstance(cmd, WriteAttributes):
        return _write(cluster, mfr, cmd, undivided=False)
    if isinstance(cmd, ConfigureReporting):
        return ConfigureReportingResponse(ep.reporting.configure(cluster, mfr, cmd.records))
    if isinstance(cmd, ReadReportingConfiguration):
        recs = ep.reporting.read_configuration(cluster, mfr, cmd.records)
        return ReadReportingConfigurationResponse(recs)
    if isinstance(cmd, DiscoverAttributesExtended):
        return _discover_attributes(ep, cluster, mfr, cmd, extended=True)
    if isinstance(cmd, DiscoverAttributes):
        return _discover_attributes(ep, cluster, mfr, cmd, extended=False)
    if isinstance(cmd, DiscoverCommandsReceived):
        return _discover_commands(ep, cluster, h, cmd, generated=False)
    if isinstance(cmd, DiscoverCommandsGenerated):
        return _discover_commands(ep, cluster, h, cmd, generated=True)
    if isinstance(cmd, ReadAttributesStructured):
        if isinstance(cluster, ServerCluster):
            return read_structured(ep, cluster, mfr, cmd)
        none = ZclStatus.UNSUPPORTED_ATTRIBUTE
        return ReadAttributesResponse(
            tuple(ReadAttributeStatusRecord(r.attribute_id, none) for r in cmd.records)
        )
    if isinstance(cmd, WriteAttributesStructured):
        if isinstance(cluster, ServerCluster):
            return write_structured(cluster, mfr, cmd)
        return WriteAttributesStructuredResponse(
            tuple(
                WriteStructuredStatusRecord(
                    ZclStatus.UNSUPPORTED_ATTRIBUTE, r.attribute_id, r.selector
                )
                for r in cmd.records
            )
        )
    if mfr is not None:
        return ZclStatus.UNSUP_MANUF_GENERAL_COMMAND
    return ZclStatus.UNSUP_GENERAL_COMMAND


def _attribute(cluster: Cluster, attr_id: int, mfr: int | None) -> AttributeDef | None:
    if not isinstance(cluster, ServerCluster):
        return None  # client clusters hold no attributes here
    return cluster.definition.attribute(attr_id, mfr)


def _read(
    ep: ZclEndpoint, cluster: Cluster, mfr: int | None, cmd: ReadAttributes
) -> ReadAttributesResponse:
    room = ep.max_payload(mfr is not None)
    recs: list[ReadAttributeStatusRecord] = []
    used = 0
    if isinstance(cluster, ServerCluster):
        cluster.refresh()
    for aid in cmd.attribute_ids:
        a = _attribute(cluster, aid, mfr)
        if a is None or not a.readable or not isinstance(cluster, ServerCluster):
            rec = ReadAttributeStatusRecord(aid, ZclStatus.UNSUPPORTED_ATTRIBUTE)
            size = 3
        else:
            v = cluster.value_of(a)
            rec = ReadAttributeStatusRecord(aid, ZclStatus.SUCCESS, a.type, v)
            size = 4 + len(encode_value(a.type, v))
        if used + size > room:
            break  # the requester reads the rest in another request (2.5.2.3)
        used += size
        recs.append(rec)
    return ReadAttributesResponse(tuple(recs))


def _write(
    cluster: Cluster,
    mfr: int | None,
    cmd: WriteAttributes | WriteAttributesUndivided | WriteAttributesNoResponse,
    *,
    undivided: bool,
) -> WriteAttributesResponse:
    fails: list[WriteAttributeStatusRecord] = []
    ok: list[tuple[AttributeDef, object]] = []
    seen: set[int] = set()
    for rec in cmd.records:
        a = _attribute(cluster, rec.attribute_id, mfr)
        if a is None or not isinstance(cluster, ServerCluster):
            fails.append(
                WriteAttributeStatusRecord(ZclStatus.UNSUPPORTED_ATTRIBUTE, rec.attribute_id)
            )
            continue
        st = cluster.check_write(a, rec.data_type, rec.value)
        if st == ZclStatus.SUCCESS and rec.attribute_id in seen and undivided:
            st = ZclStatus.INVALID_VALUE  # the same attribute twice in an all-or-nothing write
        if st != ZclStatus.SUCCESS:
            fails.append(WriteAttributeStatusRecord(st, rec.attribute_id))
            continue
        seen.add(rec.attribute_id)
        ok.append((a, rec.value))
    if isinstance(cluster, ServerCluster) and not (undivided and fails):
        for a, v in ok:
            cluster.write(a, v)  # type: ignore[arg-type]
    return WriteAttributesResponse(tuple(fails))


def _discover_attributes(
    ep: ZclEndpoint,
    cluster: Cluster,
    mfr: int | None,
    cmd: DiscoverAttributes | DiscoverAttributesExtended,
    *,
    extended: bool,
) -> FoundationPayload:
    defs = cluster.definition.attributes_of(mfr) if isinstance(cluster, ServerCluster) else []
    after = [a for a in defs if a.id >= cmd.start_attribute_id]
    per = 4 if extended else 3
    limit = min(cmd.max_attribute_ids, (ep.max_payload(mfr is not None) - 1) // per)
    chosen = after[:limit]
    complete = len(chosen) == len(after)
    if extended:
        return DiscoverAttributesExtendedResponse(
            complete,
            tuple(DiscoveredAttributeExtended(a.id, a.type, a.access.wire()) for a in chosen),
        )
    return DiscoverAttributesResponse(
        complete, tuple(DiscoveredAttribute(a.id, a.type) for a in chosen)
    )


def _discover_commands(
    ep: ZclEndpoint,
    cluster: Cluster,
    h: ZclHeader,
    cmd: DiscoverCommandsReceived | DiscoverCommandsGenerated,
    *,
    generated: bool,
) -> FoundationPayload:
    # the addressed side receives commands of the request's direction and generates the
    # opposite ones; a received command counts only if this side has a handler for it
    is_server = isinstance(cluster, ServerCluster)
    rx_dir = Direction.CLIENT_TO_SERVER if is_server else Direction.SERVER_TO_CLIENT
    want = Direction(1 - rx_dir) if generated else rx_dir
    mfr = h.manufacturer_code
    defs = cluster.definition.commands_in(want, mfr)
    if not generated and is_server:
        table = cluster.handlers() if mfr is None else None
        mtable = cluster.manufacturer_handlers() if mfr is not None else None
        defs = [
            c
            for c in defs
            if (table is not None and c.id in table)
            or (mtable is not None and (mfr, c.id) in mtable)
        ]
    ids = [c.id for c in defs if c.id >= cmd.start_command_id]
    limit = min(cmd.max_command_ids, ep.max_payload(mfr is not None) - 1)
    chosen = tuple(ids[:limit])
    complete = len(chosen) == len(ids)
    if generated:
        return DiscoverCommandsGeneratedResponse(complete, chosen)
    return DiscoverCommandsReceivedResponse(complete, chosen)
