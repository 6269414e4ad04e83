"""Cluster instances on an endpoint: typed attribute storage plus behaviour.

:class:`ServerCluster` holds the values of its definition's attributes and answers the
commands the server receives through an explicit table (``handlers()``: command id -> bound
method; no ``getattr`` dispatch). A plain ``ServerCluster(definition)`` is a cluster with
storage and no commands; behaviour classes (On/Off, Level Control, ...) subclass it.

A handler gets the decoded arguments and a :class:`Request` and returns:

* ``None`` or a :class:`~zigmesh.zcl.foundation.ZclStatus`: the engine applies the Default
  Response rules (ZCL 2.5.12.2) with that status;
* a :class:`Reply`: a cluster-specific response sent back with the request's sequence number
  (no Default Response then);
* :data:`NO_RESPONSE`: nothing at all (e.g. Identify Query while not identifying).

Local API: ``cluster["on_off"]`` reads, ``cluster["on_off"] = True`` sets (type-checked,
no access control: the application owns its device); every change goes to the reporting
engine. Over the air, Write Attributes goes through :meth:`ServerCluster.check_write`
(access, data type, range, then the :meth:`validate` hook) and :meth:`on_written`.

Siblings on an endpoint follow each other through :meth:`ServerCluster.watch` (a callback
per changed attribute, e.g. a smart plug's Electrical Measurement following its On/Off), and a
cluster whose values run with time (Metering) brings them up to date in :meth:`refresh`, which
the engine calls before it reads attributes for Read Attributes or a report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeAlias

from zigmesh.aps.primitives import ApsdeDataIndication
from zigmesh.errors import LocalProtocolError
from zigmesh.pending import Pending
from zigmesh.zcl.definitions import Access, Args, AttributeDef, ClusterDef, CommandDef
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.frame import ZclHeader
from zigmesh.zcl.result import ZclResult
from zigmesh.zcl.types import ENCODE_ERRORS, DataType, ZclValue, encode_value

if TYPE_CHECKING:
    from zigmesh.zcl.engine import ZclEndpoint

__all__ = [
    "ServerCluster",
    "ClientCluster",
    "Request",
    "Reply",
    "NoResponse",
    "NO_RESPONSE",
    "HandlerResult",
    "Handler",
    "Watcher",
]


@dataclass(frozen=True, slots=True)
class Request:
    """What a command handler knows about the frame it handles."""

    header: ZclHeader
    indication: ApsdeDataIndication
    command: CommandDef

    @property
    def unicast(self) -> bool:
        ind = self.indication
        return ind.dst_addr_mode == 0x02 and ind.dst_address < 0xFFF8

    @property
    def src_address(self) -> int:
        return self.indication.src_address


@dataclass(frozen=True, slots=True)
class Reply:
    """A cluster-specific response (by command name or id) with its arguments."""

    command: str | int
    args: Mapping[str, Any]


class NoResponse:
    """Marker: the handler answered nothing, not even a Default Response."""

    __slots__ = ()


NO_RESPONSE: Final = NoResponse()

HandlerResult: TypeAlias = ZclStatus | Reply | NoResponse | None
Handler: TypeAlias = Callable[[Args, Request], HandlerResult]
#: called with the attribute and its new value after each change of a server attribute
Watcher: TypeAlias = Callable[[AttributeDef, ZclValue], None]


def _check_value(a: AttributeDef, value: ZclValue) -> ZclStatus:
    """Range / length / enum checks of a value that already has the attribute's type."""
    if a.type == DataType.BOOL:
        ok = isinstance(value, bool)
        return ZclStatus.SUCCESS if ok else ZclStatus.INVALID_VALUE
    if value is None:
        return ZclStatus.SUCCESS
    if isinstance(value, int):
        if a.values is not None and value not in a.values:
            return ZclStatus.INVALID_VALUE
        if a.minimum is not None and value < a.minimum:
            return ZclStatus.INVALID_VALUE
        if a.maximum is not None and value > a.maximum:
            return ZclStatus.INVALID_VALUE
        return ZclStatus.SUCCESS
    if isinstance(value, float):
        if math.isnan(value):
            return ZclStatus.INVALID_VALUE
        if a.minimum is not None and value < a.minimum:
            return ZclStatus.INVALID_VALUE
        if a.maximum is not None and value > a.maximum:
            return ZclStatus.INVALID_VALUE
        return ZclStatus.SUCCESS
    limit = a.max_length
    if isinstance(value, (str, bytes)) and limit is not None and len(value) > limit:
        return ZclStatus.INVALID_VALUE
    return ZclStatus.SUCCESS


class _ClusterBase:
    """What servers and clients share: a definition and the endpoint they sit on."""

    #: the class's definition (a subclass sets it; a plain instance takes one)
    DEFINITION: ClassVar[ClusterDef | None] = None

    def __init__(self, definition: ClusterDef | None = None) -> None:
        d = definition if definition is not None else self.DEFINITION
        if d is None:
            raise LocalProtocolError(f"{type(self).__name__} needs a cluster definition")
        self.definition: ClusterDef = d
        self._endpoint: ZclEndpoint | None = None

    @property
    def cluster_id(self) -> int:
        return self.definition.id

    @property
    def endpoint(self) -> ZclEndpoint:
        ep = self._endpoint
        if ep is None:
            raise LocalProtocolError(f"{self.definition.name} is not on an endpoint yet")
        return ep

    def attach(self, endpoint: ZclEndpoint) -> None:
        """Called once by the endpoint that holds the cluster."""
        if self._endpoint is not None:
            raise LocalProtocolError(f"{self.definition.name} is already on an endpoint")
        self._endpoint = endpoint
        self.attached()

    def attached(self) -> None:
        """Hook: the cluster is on its endpoint (clock, node, siblings reachable)."""

    def handlers(self) -> Mapping[int, Handler]:
        """Received cluster-specific commands (standard ones) -> handler."""
        return {}

    def manufacturer_handlers(self) -> Mapping[tuple[int, int], Handler]:
        """Received manufacturer-specific commands: (manufacturer code, id) -> handler."""
        return {}


class ServerCluster(_ClusterBase):
    """The server side of a cluster: attribute values and the commands it receives."""

    def __init__(
        self,
        definition: ClusterDef | None = None,
        values: Mapping[str, ZclValue] | None = None,
    ) -> None:
        super().__init__(definition)
        self._values: dict[tuple[int | None, int], ZclValue] = {}
        self._watchers: list[Watcher] = []
        self.reset()
        for name, v in (values or {}).items():
            self.set(name, v, report=False)

    def reset(self) -> None:
        """Every attribute back to its default (Basic: Reset to Factory Defaults)."""
        for a in self.definition.attributes:
            self._values[a.key] = a.default

    # -- local access ------------------------------------------------------------------------

    def get(self, attr: str | int | AttributeDef) -> ZclValue:
        return self._values[self.definition.resolve(attr).key]

    def value_of(self, a: AttributeDef) -> ZclValue:
        return self._values[a.key]

    def set(self, attr: str | int | AttributeDef, value: ZclValue, *, report: bool = True) -> bool:
        """Set a value locally (type-checked; LocalProtocolError if it does not encode).
        Returns whether it changed; a change goes to the reporting engine."""
        a = self.definition.resolve(attr)
        encode_value(a.type, value)
        old = self._values[a.key]
        if old == value and type(old) is type(value):
            return False
        self._values[a.key] = value
        ep = self._endpoint
        if report and ep is not None:
            ep.reporting.changed(self, a, value)
        for fn in self._watchers:
            fn(a, value)
        return True

    def watch(self, fn: Watcher) -> None:
        """Call ``fn(attribute, value)`` after every change of one of this cluster's
        attributes (local, by a command, by a write; in the order watchers were added)."""
        self._watchers.append(fn)

    def refresh(self) -> None:
        """Hook: bring time-dependent values up to date; the engine calls it before it reads
        this cluster's attributes for Read Attributes or a report (default: nothing)."""

    def __getitem__(self, attr: str | int) -> Any:
        return self.get(attr)

    def __setitem__(self, attr: str | int, value: ZclValue) -> None:
        self.set(attr, value)

    def int_value(self, attr: str | int) -> int:
        v = self.get(attr)
        if not isinstance(v, int):
            raise LocalProtocolError(f"{attr!r} is not an integer attribute")
        return int(v)

    # -- over the air ------------------------------------------------------------------------

    def check_write(self, a: AttributeDef, data_type: int, value: ZclValue) -> ZclStatus:
        """The status a Write Attributes record for ``a`` gets (ZCL 2.5.3.3), before any
        write happens."""
        if data_type != a.type:
            return ZclStatus.INVALID_DATA_TYPE
        if not a.writable:
            return ZclStatus.READ_ONLY
        try:
            encode_value(a.type, value)
        except LocalProtocolError:
            return ZclStatus.INVALID_VALUE
        st = _check_value(a, value)
        if st != ZclStatus.SUCCESS:
            return st
        return self.validate(a, value)

    def validate(self, a: AttributeDef, value: ZclValue) -> ZclStatus:
        """Hook: cluster-specific checks of a written value (SUCCESS to accept)."""
        return ZclStatus.SUCCESS

    def write(self, a: AttributeDef, value: ZclValue) -> None:
        """Store a value accepted by :meth:`check_write`, then run :meth:`on_written`."""
        try:
            changed = self.set(a, value)
        except ENCODE_ERRORS:  # pragma: no cover - check_write encoded it already
            return
        if changed:
            self.on_written(a, value)

    def on_written(self, a: AttributeDef, value: ZclValue) -> None:
        """Hook: an attribute was changed by Write Attributes."""

    def scene_attributes(self) -> list[AttributeDef]:
        """The attributes a scene holds for this cluster, in extension field set order
        (default: those with scene access, by id)."""
        return [a for a in self.definition.attributes_of(None) if a.access & Access.SCENE]

    def apply_scene(self, values: Mapping[AttributeDef, ZclValue], transition_us: int) -> None:
        """Hook: Recall Scene (Scenes cluster) gives this cluster its scene values; the
        default sets them at once (values that do not fit their type are skipped)."""
        for a, v in values.items():
            if a.type == DataType.BOOL and not isinstance(v, bool):
                continue
            self.set(a, v)


class ClientCluster(_ClusterBase):
    """The client side of a cluster: sends its commands and global requests to servers
    (through its endpoint) and receives the commands servers generate."""

    def command(
        self,
        dst: Destination,
        command: str | int,
        args: Mapping[str, Any] | None = None,
        **kw: Any,
    ) -> Pending[ZclResult]:
        """Send a cluster command to ``dst`` (a :class:`~zigmesh.zcl.engine.Destination`);
        returns a ``Pending[ZclResult]`` (see :meth:`ZclEndpoint.send_command`)."""
        return self.endpoint.send_command(dst, self.definition, command, args or {}, **kw)

    def read(self, dst: Destination, attrs: list[str | int], **kw: Any) -> Pending[ZclResult]:
        """Read Attributes of the server at ``dst`` (names or ids)."""
        return self.endpoint.read_attributes(dst, self.definition, attrs, **kw)

    def write(
        self, dst: Destination, values: Mapping[str | int, ZclValue], **kw: Any
    ) -> Pending[ZclResult]:
        """Write Attributes (names or ids -> values) to the server at ``dst``."""
        return self.endpoint.write_attributes(dst, self.definition, values, **kw)

    def configure_reporting(
        self,
        dst: Destination,
        attr: str | int,
        min_interval: int,
        max_interval: int,
        reportable_change: ZclValue = None,
        **kw: Any,
    ) -> Pending[ZclResult]:
        """Configure Reporting of one attribute of the server at ``dst``."""
        return self.endpoint.configure_reporting(
            dst, self.definition, attr, min_interval, max_interval, reportable_change, **kw
        )
