"""The ZCL engine of one application endpoint (ZCL rev 7/8 clause 2; Zigbee spec 2.2.4).

:class:`ZclEndpoint` is the application object of an endpoint (1-240): it declares the
endpoint's simple descriptor with the node (``Node.add_endpoint``: ZDO's Simple_Desc,
Active_EP and Match_Desc answer from it) and talks to the network through APSDE only. It
holds server clusters (:class:`~zigmesh.zcl.cluster.ServerCluster`, their input clusters)
and client clusters (:class:`~zigmesh.zcl.cluster.ClientCluster`, output clusters).

Receive path (frames come from the air, so nothing raises): the ZCL header is decoded once;
undecodable or reserved-type frames are dropped and counted; profile-wide requests are
answered from the definitions (:mod:`zigmesh.zcl.profile_wide`), Report Attributes recorded,
responses matched to our requests by sequence number; cluster-specific commands go to the
cluster's handler table. Default Response (ZCL 2.5.12.2): only for a unicast that is not
itself a Default Response and got no other response, when its Disable Default Response bit is
clear or the status is an error.

Send path: requests return a :class:`~zigmesh.pending.Pending` of :class:`ZclResult`,
resolved by the response (or a Default Response), by the APS confirm when no response is
expected (groupcast, broadcast, bound), by an APS failure, or by a timeout in virtual time.

Attribute reporting: :attr:`ZclEndpoint.reporting` (:mod:`zigmesh.zcl.reporting`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from zigmesh.aps.aps import Aps
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    ApsdeEvent,
    EndpointHandler,
    TxOptions,
)
from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.pending import Pending
from zigmesh.zcl import profile_wide
from zigmesh.zcl.cluster import ClientCluster, NoResponse, Reply, Request, ServerCluster
from zigmesh.zcl.definitions import (
    Args,
    ClusterDef,
    check_args,
    encode_args,
)
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.foundation import (
    DefaultResponse,
    FoundationCommand,
    FoundationPayload,
    ReportAttributes,
    ZclStatus,
    decode_foundation,
)
from zigmesh.zcl.frame import Direction, FrameType, ZclFrame, ZclHeader
from zigmesh.zcl.reporting import Reporting
from zigmesh.zcl.requests import ZclRequests
from zigmesh.zcl.result import ZclResult
from zigmesh.zdo.descriptors import SimpleDescriptor

__all__ = ["ZclEndpoint", "Destination", "ZclResult", "ZclStats", "AppNode", "ZclEvent", "HA"]

#: Home Automation profile (Zigbee 3.0 devices use it too)
HA = 0x0104
_WILDCARD_PROFILE = 0xFFFF
_BROADCAST_MIN = 0xFFF8
DEFAULT_TIMEOUT_US = 15_000_000
#: octets kept free in full-size responses for an NWK source route (relay count, index and
#: up to four relays)
SOURCE_ROUTE_MARGIN = 10
_RESPONSES = frozenset(
    {
        FoundationCommand.READ_ATTRIBUTES_RESPONSE,
        FoundationCommand.WRITE_ATTRIBUTES_RESPONSE,
        FoundationCommand.CONFIGURE_REPORTING_RESPONSE,
        FoundationCommand.READ_REPORTING_CONFIGURATION_RESPONSE,
        FoundationCommand.DEFAULT_RESPONSE,
        FoundationCommand.DISCOVER_ATTRIBUTES_RESPONSE,
        FoundationCommand.WRITE_ATTRIBUTES_STRUCTURED_RESPONSE,
        FoundationCommand.DISCOVER_COMMANDS_RECEIVED_RESPONSE,
        FoundationCommand.DISCOVER_COMMANDS_GENERATED_RESPONSE,
        FoundationCommand.DISCOVER_ATTRIBUTES_EXTENDED_RESPONSE,
    }
)
_LAST_FOUNDATION = FoundationCommand.DISCOVER_ATTRIBUTES_EXTENDED_RESPONSE


class AppNode(Protocol):
    """What an application object uses of its node (a :class:`zigmesh.node.Node`)."""

    clock: Clock
    rng: random.Random

    @property
    def aps(self) -> Aps: ...

    @property
    def eui64(self) -> int: ...

    def add_endpoint(self, descriptor: SimpleDescriptor, handler: EndpointHandler) -> None: ...


@dataclass(frozen=True, slots=True)
class ZclEvent:
    """A valid ZCL frame this endpoint received (for observers: hubs, tests, logs)."""

    indication: ApsdeDataIndication
    header: ZclHeader
    #: decoded: a foundation payload, the arguments of a known cluster command, or raw bytes
    command: FoundationPayload | Args | bytes


@dataclass(slots=True)
class ZclStats:
    received: int = 0
    malformed: int = 0
    dropped: int = 0
    default_responses_sent: int = 0
    responses_sent: int = 0
    requests_sent: int = 0
    reports_sent: int = 0
    reports_received: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Wait:
    pending: Pending[ZclResult]
    cluster_id: int
    dst: Destination
    expect: bool
    handle: int | None = None
    timer: TimerHandle | None = None


def _status_name(st: ZclStatus | int) -> str:
    return st.name if isinstance(st, ZclStatus) else f"0x{st:02x}"


class ZclEndpoint(ZclRequests):
    """One application endpoint running ZCL (module docstring).

    ``ZclEndpoint(node, endpoint, servers, clients, profile_id=HA, device_id=0,
    device_version=0)`` registers at once with ``node.add_endpoint``.
    """

    def __init__(
        self,
        node: AppNode,
        endpoint: int,
        servers: Iterable[ServerCluster] = (),
        clients: Iterable[ClientCluster] = (),
        *,
        profile_id: int = HA,
        device_id: int = 0x0000,
        device_version: int = 0,
    ) -> None:
        self.node = node
        self.endpoint_id = endpoint
        self.profile_id = profile_id
        self.device_id = device_id
        self.device_version = device_version
        self.stats = ZclStats()
        self.servers: dict[int, ServerCluster] = {}
        self.clients: dict[int, ClientCluster] = {}
        self._handlers: dict[tuple[Direction, int], Mapping[int, Any]] = {}
        self._mfr_handlers: dict[tuple[Direction, int], Mapping[tuple[int, int], Any]] = {}
        self._waits: dict[int, _Wait] = {}
        self._by_handle: dict[int, int] = {}
        self._tsn = node.rng.randrange(256)
        #: observers of every valid received frame
        self.listeners: list[Callable[[ZclEvent], None]] = []
        #: the indication being handled (None outside a receive), e.g. for a write hook that
        #: needs to know who wrote
        self.current_indication: ApsdeDataIndication | None = None
        self.reporting = Reporting(self)
        for s in servers:
            if s.cluster_id in self.servers:
                raise LocalProtocolError(f"server cluster {s.cluster_id:#06x} given twice")
            self.servers[s.cluster_id] = s
        for c in clients:
            if c.cluster_id in self.clients:
                raise LocalProtocolError(f"client cluster {c.cluster_id:#06x} given twice")
            self.clients[c.cluster_id] = c
        node.add_endpoint(self.descriptor, self._on_aps)
        for s in self.servers.values():
            s.attach(self)
            self._handlers[(Direction.CLIENT_TO_SERVER, s.cluster_id)] = dict(s.handlers())
            self._mfr_handlers[(Direction.CLIENT_TO_SERVER, s.cluster_id)] = dict(
                s.manufacturer_handlers()
            )
        for c in self.clients.values():
            c.attach(self)
            self._handlers[(Direction.SERVER_TO_CLIENT, c.cluster_id)] = dict(c.handlers())
            self._mfr_handlers[(Direction.SERVER_TO_CLIENT, c.cluster_id)] = dict(
                c.manufacturer_handlers()
            )

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def descriptor(self) -> SimpleDescriptor:
        return SimpleDescriptor(
            self.endpoint_id,
            self.profile_id,
            self.device_id,
            self.device_version,
            tuple(sorted(self.servers)),
            tuple(sorted(self.clients)),
        )

    @property
    def clock(self) -> Clock:
        return self.node.clock

    @property
    def aps(self) -> Aps:
        return self.node.aps

    def server(self, cluster_id: int) -> ServerCluster | None:
        return self.servers.get(cluster_id)

    def client(self, cluster_id: int) -> ClientCluster | None:
        return self.clients.get(cluster_id)

    def next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    def _on_aps(self, ev: ApsdeEvent) -> None:
        if isinstance(ev, ApsdeDataConfirm):
            self._confirmed(ev)
        else:
            self._indication(ev)

    # -- receive -----------------------------------------------------------------------------

    def _indication(self, ind: ApsdeDataIndication) -> None:
        self.stats.received += 1
        if ind.profile_id not in (self.profile_id, _WILDCARD_PROFILE):
            self.stats.dropped += 1
            return
        try:
            frame = ZclFrame.decode(ind.asdu)
        except DecodeError:
            self.stats.malformed += 1
            return
        h = frame.header
        self.current_indication = ind
        try:
            if h.frame_type == FrameType.GLOBAL:
                self._global(ind, h, frame.payload)
            elif h.frame_type == FrameType.CLUSTER_SPECIFIC:
                self._cluster_specific(ind, h, frame.payload)
            else:
                self.stats.dropped += 1  # reserved frame type
        finally:
            self.current_indication = None

    def _global(self, ind: ApsdeDataIndication, h: ZclHeader, payload: bytes) -> None:
        cid = h.command_id
        mfr = h.manufacturer_code
        if cid > _LAST_FOUNDATION:
            bad = ZclStatus.UNSUP_GENERAL_COMMAND
            self._finish(ind, h, bad if mfr is None else ZclStatus.UNSUP_MANUF_GENERAL_COMMAND)
            return
        try:
            cmd = decode_foundation(cid, payload)
        except DecodeError:
            self.stats.malformed += 1
            self._finish(ind, h, ZclStatus.MALFORMED_COMMAND)
            return
        if cid in _RESPONSES:
            self._match(ind, h, cmd)
            self._notify(ind, h, cmd)
            self._finish(ind, h, ZclStatus.SUCCESS)
            return
        if isinstance(cmd, ReportAttributes):
            self.stats.reports_received += 1
            self.reporting.received(ind, h, cmd)
            self._notify(ind, h, cmd)
            self._finish(ind, h, ZclStatus.SUCCESS)
            return
        cluster: ServerCluster | ClientCluster | None
        if h.direction == Direction.CLIENT_TO_SERVER:
            cluster = self.servers.get(ind.cluster_id)
        else:
            cluster = self.clients.get(ind.cluster_id)
        if cluster is None:
            self._finish(ind, h, ZclStatus.UNSUPPORTED_CLUSTER)
            return
        if mfr is not None and not cluster.definition.has_manufacturer(mfr):
            self._finish(ind, h, ZclStatus.UNSUP_MANUF_GENERAL_COMMAND)
            return
        self._notify(ind, h, cmd)
        answer = profile_wide.handle(self, cluster, h, cmd)
        if answer is None:
            return  # Write Attributes No Response: nothing at all
        if isinstance(answer, ZclStatus):
            self._finish(ind, h, answer)
            return
        self._respond(ind, h, FrameType.GLOBAL, answer.COMMAND_ID, answer.encode())

    def _cluster_specific(self, ind: ApsdeDataIndication, h: ZclHeader, payload: bytes) -> None:
        mfr = h.manufacturer_code
        cluster: ServerCluster | ClientCluster | None
        if h.direction == Direction.CLIENT_TO_SERVER:
            cluster = self.servers.get(ind.cluster_id)
        else:
            cluster = self.clients.get(ind.cluster_id)
        cdef = (
            None if cluster is None else cluster.definition.command(h.command_id, h.direction, mfr)
        )
        args: Args | bytes = payload
        if cdef is not None:
            decoded = check_args(cdef, payload)
            if isinstance(decoded, DecodeError):
                self.stats.malformed += 1
                self._finish(ind, h, ZclStatus.MALFORMED_COMMAND)
                return
            args = decoded
        matched = self._match(ind, h, args)
        if cluster is None:
            if not matched:
                self._finish(ind, h, ZclStatus.UNSUPPORTED_CLUSTER)
            return
        key = (h.direction, ind.cluster_id)
        if mfr is None:
            handler = self._handlers[key].get(h.command_id)
        else:
            handler = self._mfr_handlers[key].get((mfr, h.command_id))
        if cdef is None or (handler is None and h.direction == Direction.CLIENT_TO_SERVER):
            if not matched:
                bad = ZclStatus.UNSUP_CLUSTER_COMMAND
                self._finish(ind, h, bad if mfr is None else ZclStatus.UNSUP_MANUF_CLUSTER_COMMAND)
            return
        assert isinstance(args, dict)
        self._notify(ind, h, args)
        result = None if handler is None else handler(args, Request(h, ind, cdef))
        if isinstance(result, NoResponse):
            return
        if isinstance(result, Reply):
            direction = Direction(1 - h.direction)
            rdef = (
                cluster.definition.command_named(result.command)
                if isinstance(result.command, str)
                else cluster.definition.command(result.command, direction, mfr)
            )
            if rdef is None or rdef.direction != direction:
                raise LocalProtocolError(f"{cluster.definition.name}: bad reply {result.command}")
            body = encode_args(rdef, result.args)
            self._respond(ind, h, FrameType.CLUSTER_SPECIFIC, rdef.id, body)
            return
        self._finish(ind, h, ZclStatus.SUCCESS if result is None else result)

    def _notify(self, ind: ApsdeDataIndication, h: ZclHeader, cmd: Any) -> None:
        if self.listeners:
            ev = ZclEvent(ind, h, cmd)
            for fn in list(self.listeners):
                fn(ev)

    @staticmethod
    def _unicast(ind: ApsdeDataIndication) -> bool:
        return ind.dst_addr_mode == ApsAddrMode.SHORT and ind.dst_address < _BROADCAST_MIN

    def _finish(self, ind: ApsdeDataIndication, h: ZclHeader, status: ZclStatus | int) -> None:
        """Default Response rules (ZCL 2.5.12.2) for a command that got no other response."""
        if h.frame_type == FrameType.GLOBAL and h.command_id == FoundationCommand.DEFAULT_RESPONSE:
            return
        if not self._unicast(ind):
            return
        if status == ZclStatus.SUCCESS and h.disable_default_response:
            return
        name = _status_name(status)
        self.stats.by_status[name] = self.stats.by_status.get(name, 0) + 1
        self.stats.default_responses_sent += 1
        body = DefaultResponse(h.command_id, status).encode()
        self._respond(ind, h, FrameType.GLOBAL, FoundationCommand.DEFAULT_RESPONSE, body, False)

    def _respond(
        self,
        ind: ApsdeDataIndication,
        h: ZclHeader,
        frame_type: FrameType,
        command_id: int,
        body: bytes,
        count: bool = True,
    ) -> None:
        """Send a response to the requester (same sequence number, opposite direction)."""
        if count:
            self.stats.responses_sent += 1
        header = ZclHeader(
            frame_type,
            Direction(1 - h.direction),
            True,
            h.manufacturer_code,
            h.tsn,
            command_id,
        )
        asdu = header.encode() + body
        opts = TxOptions.ACK if self._unicast(ind) else TxOptions.NONE
        if len(asdu) > self.aps.max_asdu_length(opts):
            opts |= TxOptions.FRAGMENTATION
        try:
            self.aps.apsde_data_request(
                ApsAddrMode.SHORT,
                ind.src_address,
                ind.src_endpoint,
                ind.profile_id if ind.profile_id != _WILDCARD_PROFILE else self.profile_id,
                ind.cluster_id,
                self.endpoint_id,
                asdu,
                tx_options=opts,
            )
        except LocalProtocolError:
            self.stats.dropped += 1  # e.g. a broadcast source endpoint 0xFF

    def max_payload(self, manufacturer_specific: bool = False) -> int:
        """Largest response payload that fits one unfragmented frame, less room for a
        source route of up to :data:`SOURCE_ROUTE_MARGIN` octets: a concentrator's frames to
        a device several hops away carry one, and ``Aps.max_asdu_length`` does not count it
        (without the margin, full-size frames from the coordinator fail and wait for an APS
        retry)."""
        room = self.aps.max_asdu_length(TxOptions.ACK) - SOURCE_ROUTE_MARGIN
        return room - (5 if manufacturer_specific else 3)

    # -- requests and their answers ---------------------------------------------------------

    def _match(self, ind: ApsdeDataIndication, h: ZclHeader, answer: Any) -> bool:
        w = self._waits.get(h.tsn)
        if w is None or w.cluster_id != ind.cluster_id:
            return False
        d = w.dst
        if d.mode == ApsAddrMode.SHORT and d.unicast and ind.src_address != d.address:
            return False
        if d.mode == ApsAddrMode.IEEE and ind.src_ieee not in (None, d.address):
            return False
        self._end(
            h.tsn,
            ZclResult(None, h, answer, ind.src_address, ind.src_endpoint),
        )
        return True

    def _end(self, tsn: int, result: ZclResult) -> None:
        w = self._waits.pop(tsn, None)
        if w is None:
            return
        if w.timer is not None:
            w.timer.cancel()
        if w.handle is not None:
            self._by_handle.pop(w.handle, None)
        if w.expect and not any(x.expect for x in self._waits.values()):
            self.aps.expect_response(0, self)  # nothing more awaited: back to the normal poll rate
        w.pending.resolve(result)

    def _confirmed(self, c: ApsdeDataConfirm) -> None:
        tsn = self._by_handle.pop(c.asdu_handle, None)
        if tsn is None:
            return
        w = self._waits.get(tsn)
        if w is None:
            return
        w.handle = None
        if c.status != ApsStatus.SUCCESS or not w.expect:
            self._end(tsn, ZclResult(aps_status=c.status))

    def _expire(self, tsn: int) -> None:
        w = self._waits.get(tsn)
        if w is not None:
            w.timer = None
            self._end(tsn, ZclResult(timed_out=True))

    def send_frame(
        self,
        dst: Destination,
        cluster_id: int,
        frame_type: FrameType,
        command_id: int,
        body: bytes,
        *,
        direction: Direction = Direction.CLIENT_TO_SERVER,
        manufacturer_code: int | None = None,
        disable_default_response: bool = False,
        expect_response: bool | None = None,
        timeout_us: int = DEFAULT_TIMEOUT_US,
        tx_options: TxOptions | None = None,
    ) -> Pending[ZclResult]:
        """Send one ZCL frame with a fresh sequence number. A response is awaited (by default)
        for unicast destinations; otherwise the APS confirm resolves the result."""
        tsn = self.next_tsn()
        header = ZclHeader(
            frame_type, direction, disable_default_response, manufacturer_code, tsn, command_id
        )
        asdu = header.encode() + body
        expect = dst.unicast if expect_response is None else expect_response
        opts = tx_options
        if opts is None:
            opts = (
                TxOptions.ACK if dst.unicast or dst.mode == ApsAddrMode.INDIRECT else TxOptions.NONE
            )
            if len(asdu) > self.aps.max_asdu_length(opts, group=dst.mode == ApsAddrMode.GROUP):
                opts |= TxOptions.FRAGMENTATION
        old = self._waits.get(tsn)
        if old is not None:
            self._end(tsn, ZclResult(timed_out=True))
        p: Pending[ZclResult] = Pending()
        w = _Wait(p, cluster_id, dst, expect)
        self._waits[tsn] = w
        self.stats.requests_sent += 1
        handle = self.aps.apsde_data_request(
            dst.mode,
            dst.address,
            dst.endpoint,
            self.profile_id,
            cluster_id,
            self.endpoint_id,
            asdu,
            tx_options=opts,
        )
        w.handle = handle
        self._by_handle[handle] = tsn
        w.timer = self.clock.call_later(timeout_us, self._expire, tsn)
        if expect:
            # an rx-off end device polls its parent while it awaits the answer (as Z-Stack's
            # RESPONSE_POLL_RATE), else the answer waits in the parent for a whole poll period
            self.aps.expect_response(timeout_us, self)
        return p

    def request(
        self,
        dst: Destination,
        cluster_id: int,
        command: FoundationPayload,
        *,
        manufacturer_code: int | None = None,
        direction: Direction = Direction.CLIENT_TO_SERVER,
        **kw: Any,
    ) -> Pending[ZclResult]:
        """Send a profile-wide command (a :mod:`zigmesh.zcl.foundation` payload)."""
        return self.send_frame(
            dst,
            cluster_id,
            FrameType.GLOBAL,
            command.COMMAND_ID,
            command.encode(),
            direction=direction,
            manufacturer_code=manufacturer_code,
            **kw,
        )

    def send_command(
        self,
        dst: Destination,
        cluster: ClusterDef,
        command: str | int,
        args: Mapping[str, Any] | None = None,
        **kw: Any,
    ) -> Pending[ZclResult]:
        """Send a cluster-specific command by name (or client-to-server id) with ``args``."""
        cdef = (
            cluster.command_named(command)
            if isinstance(command, str)
            else cluster.command(command, Direction.CLIENT_TO_SERVER)
        )
        if cdef is None:
            raise LocalProtocolError(f"{cluster.name} has no command {command!r}")
        return self.send_frame(
            dst,
            cluster.id,
            FrameType.CLUSTER_SPECIFIC,
            cdef.id,
            encode_args(cdef, args or {}),
            direction=cdef.direction,
            manufacturer_code=cdef.manufacturer_code,
            **kw,
        )
