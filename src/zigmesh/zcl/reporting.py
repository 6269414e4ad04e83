"""Attribute reporting (ZCL rev 7/8, 2.5.7 - 2.5.11): configuration, the reporting engine
and the receive side.

Reported attributes (direction 0x00, the server reports): Configure Reporting stores a minimum
and maximum interval (seconds) and, for analog types, a reportable change. The engine sends
Report Attributes, from the endpoint to every binding of its cluster (the APS binding table,
indirect transmission), when

* the value has changed by at least the reportable change since the last report (any change
  for discrete types; "the minimum change to the attribute that will result in a report",
  2.5.7.1.7), but never sooner than the minimum interval after the previous report: a change
  within it is reported when it ends, if it still counts then;
* the maximum interval has elapsed since the last report (or since configuration), whatever
  the value; a maximum of 0 means no periodic report, 0xFFFF stops reporting altogether.

Reports that fall due at the same virtual instant for one cluster share one frame. Timers run
on the node's clock; nothing reads the wall clock.

Received attributes (direction 0x01, this endpoint expects reports): the timeout period is
kept; when no report of the attribute arrives within it, the attribute is noted in
:attr:`Reporting.timeouts` (and the endpoint's ``on_report_timeout`` observers are called).
Every report received is kept in :attr:`Reporting.last_values` with its virtual timestamp.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zigmesh.aps.primitives import ApsdeDataIndication
from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import ClientCluster, ServerCluster
from zigmesh.zcl.definitions import AttributeDef
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.foundation import (
    AttributeRecord,
    FoundationCommand,
    ReadReportingConfigRecord,
    ReceivedAttributeConfig,
    ReportAttributes,
    ReportedAttributeConfig,
    ReportingConfig,
    ReportingDirection,
    ReportingStatusRecord,
    ZclStatus,
)
from zigmesh.zcl.frame import Direction, FrameType, ZclHeader
from zigmesh.zcl.types import ZclValue, encode_value

if TYPE_CHECKING:
    from zigmesh.zcl.engine import ZclEndpoint

__all__ = ["Reporting", "ReceivedReport", "ReportTimeout"]

S = 1_000_000
_STOP = 0xFFFF
_LOG = 10_000

Cluster = ServerCluster | ClientCluster
_Key = tuple[int, int | None, int]  # cluster id, manufacturer code, attribute id


@dataclass(slots=True)
class _Reported:
    cluster: ServerCluster
    attr: AttributeDef
    min_s: int
    max_s: int
    change: ZclValue
    configured_at: int
    last_value: ZclValue
    last_sent: int | None = None
    due: bool = False
    timer: TimerHandle | None = None


@dataclass(slots=True)
class _Expected:
    cluster_id: int
    attr_id: int
    manufacturer_code: int | None
    timeout_s: int
    last_rx: int
    timer: TimerHandle | None = None


@dataclass(frozen=True, slots=True)
class ReceivedReport:
    """One attribute of a Report Attributes this endpoint received."""

    time_us: int
    src_address: int
    src_endpoint: int
    cluster_id: int
    attribute_id: int
    value: ZclValue
    manufacturer_code: int | None = None


@dataclass(frozen=True, slots=True)
class ReportTimeout:
    """An expected report that did not come within its timeout period."""

    time_us: int
    cluster_id: int
    attribute_id: int


def _delta(a: ZclValue, b: ZclValue) -> float | None:
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b))
    return None


class Reporting:
    """The reporting engine and report receiver of one endpoint (module docstring)."""

    def __init__(self, ep: ZclEndpoint) -> None:
        self.ep = ep
        self._reported: dict[_Key, _Reported] = {}
        self._expected: dict[_Key, _Expected] = {}
        #: last reported value per (source address, source endpoint, cluster, attribute)
        self.last_values: dict[tuple[int, int, int, int], tuple[ZclValue, int]] = {}
        #: the most recent reports received, oldest first
        self.log: deque[ReceivedReport] = deque(maxlen=_LOG)
        self.timeouts: list[ReportTimeout] = []
        #: the most recent reports sent: (time, cluster id, attribute ids)
        self.sent: deque[tuple[int, int, tuple[int, ...]]] = deque(maxlen=_LOG)
        self.on_report_timeout: list[Callable[[ReportTimeout], None]] = []

    # -- configuration (2.5.7, 2.5.9) -------------------------------------------------------

    def configure(
        self, cluster: Cluster, mfr: int | None, records: tuple[ReportingConfig, ...]
    ) -> tuple[ReportingStatusRecord, ...]:
        """Apply Configure Reporting records; the failures, one record each."""
        fails = []
        for rec in records:
            st = (
                self._configure_reported(cluster, mfr, rec)
                if isinstance(rec, ReportedAttributeConfig)
                else self._configure_received(cluster, mfr, rec)
            )
            if st != ZclStatus.SUCCESS:
                fails.append(ReportingStatusRecord(st, rec.DIRECTION, rec.attribute_id))
        return tuple(fails)

    def _configure_reported(
        self, cluster: Cluster, mfr: int | None, rec: ReportedAttributeConfig
    ) -> ZclStatus:
        a = cluster.definition.attribute(rec.attribute_id, mfr)
        if a is None or not isinstance(cluster, ServerCluster):
            return ZclStatus.UNSUPPORTED_ATTRIBUTE
        if not a.reportable:
            return ZclStatus.UNREPORTABLE_ATTRIBUTE
        if rec.data_type != a.type:
            return ZclStatus.INVALID_DATA_TYPE
        key = (cluster.cluster_id, mfr, a.id)
        if rec.max_interval == _STOP:
            self._remove(key)
            return ZclStatus.SUCCESS
        if rec.max_interval != 0 and rec.min_interval > rec.max_interval:
            return ZclStatus.INVALID_VALUE
        change = rec.reportable_change
        if a.analog:
            if not isinstance(change, int | float) or isinstance(change, bool):
                return ZclStatus.INVALID_VALUE
            if (isinstance(change, float) and math.isnan(change)) or change < 0:
                return ZclStatus.INVALID_VALUE
        self._remove(key)
        now = self.ep.clock.now()
        r = _Reported(
            cluster,
            a,
            rec.min_interval,
            rec.max_interval,
            change,
            now,
            cluster.value_of(a),
        )
        self._reported[key] = r
        self._arm(r)
        return ZclStatus.SUCCESS

    def _configure_received(
        self, cluster: Cluster, mfr: int | None, rec: ReceivedAttributeConfig
    ) -> ZclStatus:
        a = cluster.definition.attribute(rec.attribute_id, mfr)
        if a is None:
            return ZclStatus.UNSUPPORTED_ATTRIBUTE
        if not a.reportable:
            return ZclStatus.UNREPORTABLE_ATTRIBUTE
        key = (cluster.cluster_id, mfr, a.id)
        old = self._expected.pop(key, None)
        if old is not None and old.timer is not None:
            old.timer.cancel()
        if rec.timeout == 0:
            return ZclStatus.SUCCESS
        e = _Expected(cluster.cluster_id, a.id, mfr, rec.timeout, self.ep.clock.now())
        self._expected[key] = e
        self._arm_timeout(e)
        return ZclStatus.SUCCESS

    def read_configuration(
        self, cluster: Cluster, mfr: int | None, records: tuple[ReadReportingConfigRecord, ...]
    ) -> tuple[ReportingConfig | ReportingStatusRecord, ...]:
        out: list[ReportingConfig | ReportingStatusRecord] = []
        for rec in records:
            a = cluster.definition.attribute(rec.attribute_id, mfr)
            key = (cluster.cluster_id, mfr, rec.attribute_id)

            def fail(st: ZclStatus, rec: ReadReportingConfigRecord = rec) -> None:
                out.append(ReportingStatusRecord(st, rec.direction, rec.attribute_id))

            if rec.direction not in (ReportingDirection.REPORTED, ReportingDirection.RECEIVED):
                fail(ZclStatus.INVALID_FIELD)
            elif a is None or (
                rec.direction == ReportingDirection.REPORTED
                and not isinstance(cluster, ServerCluster)
            ):
                fail(ZclStatus.UNSUPPORTED_ATTRIBUTE)
            elif not a.reportable:
                fail(ZclStatus.UNREPORTABLE_ATTRIBUTE)
            elif rec.direction == ReportingDirection.REPORTED:
                r = self._reported.get(key)
                if r is None:
                    fail(ZclStatus.NOT_FOUND)
                else:
                    ch = r.change if a.analog else None
                    out.append(ReportedAttributeConfig(a.id, a.type, r.min_s, r.max_s, ch))
            else:
                e = self._expected.get(key)
                if e is None:
                    fail(ZclStatus.NOT_FOUND)
                else:
                    out.append(ReceivedAttributeConfig(a.id, e.timeout_s))
        return tuple(out)

    def configuration(
        self, cluster_id: int, attr_id: int, mfr: int | None = None
    ) -> tuple[int, int, ZclValue] | None:
        """(min, max, reportable change) of a reported attribute, None if not configured."""
        r = self._reported.get((cluster_id, mfr, attr_id))
        return None if r is None else (r.min_s, r.max_s, r.change)

    def _remove(self, key: _Key) -> None:
        r = self._reported.pop(key, None)
        if r is not None and r.timer is not None:
            r.timer.cancel()

    # -- the reporting engine ---------------------------------------------------------------

    def changed(self, cluster: ServerCluster, a: AttributeDef, value: ZclValue) -> None:
        """A server attribute changed (locally, by a command or by a write)."""
        r = self._reported.get((cluster.cluster_id, a.manufacturer_code, a.id))
        if r is None:
            return
        if not r.due and not self._significant(r, value):
            return
        r.due = True
        self._arm(r)

    @staticmethod
    def _significant(r: _Reported, value: ZclValue) -> bool:
        if not r.attr.analog:
            return value != r.last_value
        d = _delta(value, r.last_value)
        if d is None:
            return value != r.last_value
        change = r.change
        if not isinstance(change, int | float) or change == 0:
            return d > 0
        return d >= abs(float(change))

    def _deadline(self, r: _Reported) -> int | None:
        times = []
        if r.due:
            times.append(self.ep.clock.now() if r.last_sent is None else r.last_sent + r.min_s * S)
        if r.max_s not in (0, _STOP):
            base = r.configured_at if r.last_sent is None else r.last_sent
            times.append(base + r.max_s * S)
        return min(times) if times else None

    def _arm(self, r: _Reported) -> None:
        if r.timer is not None:
            r.timer.cancel()
            r.timer = None
        t = self._deadline(r)
        if t is not None:
            clock = self.ep.clock
            r.timer = clock.call_at(max(t, clock.now()), self._fire, r)

    def _fire(self, r: _Reported) -> None:
        r.timer = None
        r.cluster.refresh()
        self._flush(r.cluster, r.attr.manufacturer_code)

    def _ready(self, r: _Reported, now: int) -> bool:
        if r.max_s not in (0, _STOP):
            base = r.configured_at if r.last_sent is None else r.last_sent
            if now >= base + r.max_s * S:
                return True
        if not r.due:
            return False
        if r.last_sent is not None and now < r.last_sent + r.min_s * S:
            return False
        if not self._significant(r, r.cluster.value_of(r.attr)):
            r.due = False  # it changed back meanwhile
            return False
        return True

    def _flush(self, cluster: ServerCluster, mfr: int | None) -> None:
        now = self.ep.clock.now()
        mine = [
            r
            for (cid, code, _), r in self._reported.items()
            if cid == cluster.cluster_id and code == mfr
        ]
        batch = [r for r in mine if self._ready(r, now)]
        if batch:
            records = []
            for r in batch:
                v = cluster.value_of(r.attr)
                records.append(AttributeRecord(r.attr.id, r.attr.type, v))
                r.last_value = v
                r.last_sent = now
                r.due = False
            self._send(cluster, mfr, records)
        for r in mine:
            self._arm(r)

    def _send(
        self, cluster: ServerCluster, mfr: int | None, records: list[AttributeRecord]
    ) -> None:
        ep = self.ep
        aps = ep.aps
        if not aps.binding_table.lookup(ep.node.eui64, ep.endpoint_id, cluster.cluster_id):
            return  # reports go to the bindings; none, nobody to tell
        room = ep.max_payload(mfr is not None)
        frames: list[list[AttributeRecord]] = [[]]
        used = 0
        for rec in records:
            size = 3 + len(encode_value(rec.data_type, rec.value))
            if frames[-1] and used + size > room:
                frames.append([])
                used = 0
            frames[-1].append(rec)
            used += size
        now = ep.clock.now()
        for recs in frames:
            ep.stats.reports_sent += 1
            self.sent.append((now, cluster.cluster_id, tuple(r.attribute_id for r in recs)))
            ep.send_frame(
                Destination.bound(),
                cluster.cluster_id,
                FrameType.GLOBAL,
                FoundationCommand.REPORT_ATTRIBUTES,
                ReportAttributes(tuple(recs)).encode(),
                direction=Direction.SERVER_TO_CLIENT,
                manufacturer_code=mfr,
                disable_default_response=True,
                expect_response=False,
            )

    # -- receive side ------------------------------------------------------------------------

    def received(self, ind: ApsdeDataIndication, h: ZclHeader, cmd: ReportAttributes) -> None:
        now = self.ep.clock.now()
        mfr = h.manufacturer_code
        for rec in cmd.records:
            self.last_values[
                (ind.src_address, ind.src_endpoint, ind.cluster_id, rec.attribute_id)
            ] = (
                rec.value,
                now,
            )
            self.log.append(
                ReceivedReport(
                    now,
                    ind.src_address,
                    ind.src_endpoint,
                    ind.cluster_id,
                    rec.attribute_id,
                    rec.value,
                    mfr,
                )
            )
            e = self._expected.get((ind.cluster_id, mfr, rec.attribute_id))
            if e is not None:
                e.last_rx = now
                self._arm_timeout(e)

    def _arm_timeout(self, e: _Expected) -> None:
        if e.timer is not None:
            e.timer.cancel()
        e.timer = self.ep.clock.call_at(e.last_rx + e.timeout_s * S, self._timed_out, e)

    def _timed_out(self, e: _Expected) -> None:
        e.timer = None
        t = ReportTimeout(self.ep.clock.now(), e.cluster_id, e.attr_id)
        self.timeouts.append(t)
        for fn in list(self.on_report_timeout):
            fn(t)
