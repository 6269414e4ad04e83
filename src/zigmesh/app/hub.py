"""A Home Automation hub on the coordinator: interview, binding and reporting setup, IAS
enrollment, a device registry.

:class:`Hub` puts one ZCL endpoint on its node with the client side of the library's
clusters, and watches the ZDO for Device_annce. For each announced device it runs an
interview, one request at a time, each retried a few times:

1. Node_Desc_req, Active_EP_req, Simple_Desc_req for every endpoint;
2. Read Attributes of Basic: ManufacturerName, ModelIdentifier, PowerSource;
3. for every server cluster the hub has a reporting rule for (:data:`DEFAULT_REPORTING`):
   Bind_req (device cluster -> hub endpoint) then Configure Reporting;
4. IAS Zone servers: write IAS_CIE_Address (the zone then enrolls with the hub's CIE).

The registry (:attr:`Hub.devices`, :class:`DeviceRecord`) holds per device its addresses,
node descriptor, endpoints, Basic information, interview state and timing, the time it was
last heard, every reported / read attribute value with its virtual timestamp, and IAS alarms.
:meth:`Hub.summary` gives it as plain JSON-able data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Any

from zigmesh.aps.primitives import ApsdeDataIndication
from zigmesh.node import Node
from zigmesh.pending import Pending
from zigmesh.types import EUI64
from zigmesh.zcl.cluster import ClientCluster
from zigmesh.zcl.clusters.closures import DOOR_LOCK
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF
from zigmesh.zcl.clusters.device import POLL_CONTROL, TIME
from zigmesh.zcl.clusters.energy import ELECTRICAL_MEASUREMENT, METERING
from zigmesh.zcl.clusters.general import BASIC, GROUPS, IDENTIFY, POWER_CONFIGURATION
from zigmesh.zcl.clusters.hvac import THERMOSTAT
from zigmesh.zcl.clusters.lighting import COLOR_CONTROL
from zigmesh.zcl.clusters.measurement import (
    ILLUMINANCE_MEASUREMENT,
    OCCUPANCY_SENSING,
    PRESSURE_MEASUREMENT,
    RELATIVE_HUMIDITY,
    TEMPERATURE_MEASUREMENT,
)
from zigmesh.zcl.clusters.scenes import SCENES
from zigmesh.zcl.clusters.security import IAS_ZONE, IasCie
from zigmesh.zcl.definitions import ClusterDef
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.engine import ZclEndpoint, ZclEvent
from zigmesh.zcl.foundation import ReadAttributesResponse, ReportAttributes
from zigmesh.zcl.result import ZclResult
from zigmesh.zcl.types import ZclValue
from zigmesh.zdo.client import ZdpResult
from zigmesh.zdo.descriptors import NodeDescriptor, SimpleDescriptor
from zigmesh.zdo.zdp import DeviceAnnce, ZdpMessage

__all__ = ["Hub", "DeviceRecord", "InterviewState", "DEFAULT_REPORTING", "HUB_CLUSTERS"]

S = 1_000_000

#: the clusters whose client side the hub holds
HUB_CLUSTERS: tuple[ClusterDef, ...] = (
    BASIC,
    POWER_CONFIGURATION,
    IDENTIFY,
    GROUPS,
    SCENES,
    ON_OFF,
    LEVEL_CONTROL,
    TIME,
    POLL_CONTROL,
    DOOR_LOCK,
    THERMOSTAT,
    COLOR_CONTROL,
    ILLUMINANCE_MEASUREMENT,
    TEMPERATURE_MEASUREMENT,
    PRESSURE_MEASUREMENT,
    RELATIVE_HUMIDITY,
    OCCUPANCY_SENSING,
    METERING,
    ELECTRICAL_MEASUREMENT,
)

#: reporting the hub configures: cluster id -> (attribute, min s, max s, reportable change)
DEFAULT_REPORTING: Mapping[int, tuple[tuple[str, int, int, ZclValue], ...]] = {
    POWER_CONFIGURATION.id: (("battery_percentage_remaining", 3600, 43200, 2),),
    ON_OFF.id: (("on_off", 0, 600, None),),
    LEVEL_CONTROL.id: (("current_level", 1, 600, 5),),
    TEMPERATURE_MEASUREMENT.id: (("measured_value", 10, 300, 50),),
    RELATIVE_HUMIDITY.id: (("measured_value", 10, 300, 100),),
    ILLUMINANCE_MEASUREMENT.id: (("measured_value", 10, 300, 500),),
    PRESSURE_MEASUREMENT.id: (("measured_value", 10, 300, 10),),
    OCCUPANCY_SENSING.id: (("occupancy", 0, 600, None),),
    METERING.id: (("instantaneous_demand", 5, 300, 10),),
    ELECTRICAL_MEASUREMENT.id: (("active_power", 5, 300, 10),),
    THERMOSTAT.id: (("local_temperature", 10, 300, 50),),
    DOOR_LOCK.id: (("lock_state", 0, 3600, None),),
}


class InterviewState(Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class DeviceRecord:
    """What the hub knows of one device."""

    ieee: int
    nwk: int
    announced_at_us: int
    last_seen_us: int
    node_descriptor: NodeDescriptor | None = None
    endpoints: dict[int, SimpleDescriptor] = field(default_factory=dict)
    manufacturer: str | None = None
    model: str | None = None
    power_source: int | None = None
    interview: InterviewState = InterviewState.PENDING
    interview_started_us: int | None = None
    interview_done_us: int | None = None
    interview_step: str = ""
    #: (endpoint, cluster, attribute) -> (value, virtual time it was reported / read)
    values: dict[tuple[int, int, int], tuple[ZclValue, int]] = field(default_factory=dict)
    reports: int = 0
    #: IAS zone id given by the hub's CIE, and the zone status changes it sent
    zone_id: int | None = None
    alarms: list[tuple[int, int]] = field(default_factory=list)

    @property
    def interview_time_us(self) -> int | None:
        if self.interview_started_us is None or self.interview_done_us is None:
            return None
        return self.interview_done_us - self.interview_started_us

    def as_dict(self) -> dict[str, Any]:
        return {
            "ieee": f"{self.ieee:016x}",
            "nwk": f"0x{self.nwk:04x}",
            "manufacturer": self.manufacturer,
            "model": self.model,
            "power_source": self.power_source,
            "endpoints": {
                ep: {
                    "profile": f"0x{d.profile_id:04x}",
                    "device_id": f"0x{d.device_id:04x}",
                    "in": [f"0x{c:04x}" for c in d.input_cluster_list],
                    "out": [f"0x{c:04x}" for c in d.output_cluster_list],
                }
                for ep, d in sorted(self.endpoints.items())
            },
            "interview": self.interview.value,
            "interview_s": None if self.interview_time_us is None else self.interview_time_us / S,
            "last_seen_s": self.last_seen_us / S,
            "reports": self.reports,
            "values": {
                f"{ep}/0x{c:04x}/0x{a:04x}": {"value": _jsonable(v), "at_s": t / S}
                for (ep, c, a), (v, t) in sorted(self.values.items())
            },
            "zone_id": self.zone_id,
            "alarms": [{"at_s": t / S, "zone_status": z} for t, z in self.alarms],
        }


def _jsonable(v: ZclValue) -> Any:
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, int | float | str | bool) or v is None:
        return v
    return repr(v)


_BASIC_ATTRS: list[str | int] = ["manufacturer_name", "model_identifier", "power_source"]
_Step = tuple[str, Callable[[], Pending[Any]], Callable[[Any], bool]]


class _Interview:
    """The requests of one device's interview, one at a time, each retried."""

    def __init__(self, hub: Hub, rec: DeviceRecord) -> None:
        self.hub = hub
        self.rec = rec
        self.steps: list[_Step] = []
        self.tries = 0

    def start(self) -> None:
        rec = self.rec
        rec.interview = InterviewState.RUNNING
        rec.interview_started_us = self.hub.clock_now()
        zdo = self.hub.node.zdo
        self.steps = [
            ("node_desc", lambda: zdo.node_desc(self.rec.nwk), self._node_desc),
            ("active_ep", lambda: zdo.active_ep(self.rec.nwk), self._active_ep),
        ]
        self._next()

    def _next(self) -> None:
        if not self.steps:
            self.rec.interview = InterviewState.DONE
            self.rec.interview_done_us = self.hub.clock_now()
            self.rec.interview_step = ""
            self.hub._interview_over(self.rec)
            return
        name, start, _ = self.steps[0]
        self.rec.interview_step = name
        start().add_done_callback(self._done)

    def _done(self, p: Pending[Any]) -> None:
        name, _, handle = self.steps[0]
        if handle(p.result()):
            self.steps.pop(0)
            self.tries = 0
            self._next()
            return
        self.tries += 1
        if self.tries >= self.hub.retries:
            self.rec.interview = InterviewState.FAILED
            self.hub._interview_over(self.rec)
            return
        self.hub.node.clock.call_later(self.hub.retry_us, self._next)

    # -- step handlers ---------------------------------------------------------------------------

    def _node_desc(self, r: ZdpResult[Any]) -> bool:
        if not r.ok or r.response is None:
            return False
        self.rec.node_descriptor = r.response.node_descriptor
        return True

    def _active_ep(self, r: ZdpResult[Any]) -> bool:
        if not r.ok or r.response is None:
            return False
        zdo = self.hub.node.zdo
        for ep in r.response.active_ep_list:
            self.steps.append(
                (f"simple_desc {ep}", partial(zdo.simple_desc, self.rec.nwk, ep), self._simple)
            )
        self.steps.append(("configure", self._noop, self._plan))
        return True

    def _simple(self, r: ZdpResult[Any]) -> bool:
        if not r.ok or r.response is None or r.response.simple_descriptor is None:
            return False
        d = r.response.simple_descriptor
        self.rec.endpoints[d.endpoint] = d
        return True

    def _noop(self) -> Pending[Any]:
        p: Pending[Any] = Pending()
        p.resolve(None)
        return p

    def _plan(self, _r: Any) -> bool:
        """Read Basic, bind and configure reporting, enroll IAS zones (in that order)."""
        hub, rec = self.hub, self.rec
        ep = hub.endpoint
        for e, d in sorted(rec.endpoints.items()):
            dst = Destination.short(rec.nwk, e)
            if BASIC.id in d.input_cluster_list and rec.model is None:
                self.steps.append(
                    (
                        f"basic {e}",
                        partial(ep.read_attributes, dst, BASIC, _BASIC_ATTRS),
                        self._basic,
                    )
                )
            for cid in d.input_cluster_list:
                rules = hub.reporting.get(cid)
                if rules:
                    self.steps.append((f"bind {e}/0x{cid:04x}", self._binder(e, cid), self._bound))
                    cdef = hub.clusters[cid]
                    for attr, mn, mx, ch in rules:
                        self.steps.append(
                            (
                                f"report {e}/0x{cid:04x}/{attr}",
                                partial(ep.configure_reporting, dst, cdef, attr, mn, mx, ch),
                                self._zcl_ok,
                            )
                        )
            if IAS_ZONE.id in d.input_cluster_list:
                self.steps.append(
                    (
                        f"enroll {e}",
                        partial(hub.cie.write, dst, {"ias_cie_address": EUI64(hub.node.eui64)}),
                        self._zcl_ok,
                    )
                )
        return True

    def _binder(self, e: int, cid: int) -> Callable[[], Pending[Any]]:
        hub, rec = self.hub, self.rec

        def bind() -> Pending[Any]:
            return hub.node.zdo.bind(
                rec.nwk, rec.ieee, e, cid, hub.node.eui64, hub.endpoint.endpoint_id
            )

        return bind

    def _bound(self, r: ZdpResult[Any]) -> bool:
        return r.ok

    def _basic(self, r: ZclResult) -> bool:
        if not r.ok or not isinstance(r.response, ReadAttributesResponse):
            return False
        vals = r.attributes()
        m, model, ps = vals.get(0x0004), vals.get(0x0005), vals.get(0x0007)
        self.rec.manufacturer = m if isinstance(m, str) else None
        self.rec.model = model if isinstance(model, str) else ""
        self.rec.power_source = ps if isinstance(ps, int) else None
        return True

    @staticmethod
    def _zcl_ok(r: ZclResult) -> bool:
        return r.ok and r.header is not None


class Hub:
    """The coordinator's home automation application (module docstring)."""

    def __init__(
        self,
        node: Node,
        endpoint: int = 1,
        *,
        reporting: Mapping[int, tuple[tuple[str, int, int, ZclValue], ...]] = DEFAULT_REPORTING,
        retries: int = 3,
        retry_us: int = 5 * S,
    ) -> None:
        self.node = node
        self.reporting = reporting
        self.retries = retries
        self.retry_us = retry_us
        self.clusters = {c.id: c for c in HUB_CLUSTERS}
        self.cie = IasCie()
        clients = [ClientCluster(c) for c in HUB_CLUSTERS] + [self.cie]
        #: the hub's endpoint (device id 0x0007: combined interface)
        self.endpoint = ZclEndpoint(node, endpoint, [], clients, device_id=0x0007)
        self.devices: dict[int, DeviceRecord] = {}
        self._running: dict[int, _Interview] = {}
        self.endpoint.listeners.append(self._zcl)
        node.zdo.add_listener(self._zdp)

    def clock_now(self) -> int:
        return self.node.clock.now()

    def device(self, ieee: int) -> DeviceRecord | None:
        return self.devices.get(ieee)

    def by_nwk(self, nwk: int) -> DeviceRecord | None:
        for rec in self.devices.values():
            if rec.nwk == nwk:
                return rec
        return None

    @property
    def interviews_done(self) -> int:
        return sum(1 for r in self.devices.values() if r.interview == InterviewState.DONE)

    # -- ZDO: announcements ------------------------------------------------------------------

    def _zdp(self, ind: ApsdeDataIndication, msg: ZdpMessage) -> None:
        if not isinstance(msg, DeviceAnnce) or msg.ieee_addr == self.node.eui64:
            return
        now = self.clock_now()
        rec = self.devices.get(msg.ieee_addr)
        if rec is None:
            rec = DeviceRecord(msg.ieee_addr, msg.nwk_addr, now, now)
            self.devices[msg.ieee_addr] = rec
        rec.nwk = msg.nwk_addr
        rec.last_seen_us = now
        if rec.interview in (InterviewState.PENDING, InterviewState.FAILED):
            iv = _Interview(self, rec)
            self._running[rec.ieee] = iv
            iv.start()

    def _interview_over(self, rec: DeviceRecord) -> None:
        self._running.pop(rec.ieee, None)

    # -- ZCL: reports and notifications ------------------------------------------------------

    def _zcl(self, ev: ZclEvent) -> None:
        ind = ev.indication
        rec = self._record_of(ind)
        if rec is None:
            return
        now = ind.rx_time
        rec.last_seen_us = now
        cmd = ev.command
        if isinstance(cmd, ReportAttributes):
            rec.reports += 1
            for r in cmd.records:
                rec.values[(ind.src_endpoint, ind.cluster_id, r.attribute_id)] = (r.value, now)
        elif isinstance(cmd, ReadAttributesResponse):
            for rs in cmd.records:
                if rs.status == 0:
                    rec.values[(ind.src_endpoint, ind.cluster_id, rs.attribute_id)] = (
                        rs.value,
                        now,
                    )
        elif (
            ind.cluster_id == IAS_ZONE.id
            and isinstance(cmd, dict)
            and ev.header.command_id == 0x00
            and ev.header.direction == 1
        ):
            rec.alarms.append((now, int(cmd["zone_status"])))
            rec.zone_id = int(cmd["zone_id"])

    def _record_of(self, ind: ApsdeDataIndication) -> DeviceRecord | None:
        if ind.src_ieee is not None and ind.src_ieee in self.devices:
            return self.devices[ind.src_ieee]
        return self.by_nwk(ind.src_address)

    # -- export -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The registry as plain data (for summary.json)."""
        for rec in self.devices.values():
            zid = self.cie.zones.get(rec.ieee)
            if zid is not None:
                rec.zone_id = zid
        times = [r.interview_time_us for r in self.devices.values() if r.interview_time_us]
        return {
            "devices": len(self.devices),
            "interviewed": self.interviews_done,
            "interview_s_max": max(times) / S if times else None,
            "registry": [r.as_dict() for _, r in sorted(self.devices.items())],
        }
