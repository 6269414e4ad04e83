"""The ZDP client: requests that resolve when their response arrives (Zigbee spec R22 2.4.3).

:class:`ZdoClient` sends ZDP requests from endpoint 0 and returns a
:class:`~zigmesh.pending.Pending` resolved with a :class:`ZdpResult`:

* a unicast request resolves with the first response of the same cluster (request | 0x8000)
  and TSN from the destination, or with status TIMEOUT after ``timeout_us`` (default
  :attr:`ZdoConfig.request_timeout_us`, 10 s: a sleeping destination's parent holds the
  request up to 7.68 s). A failed APS delivery (e.g. NO_ACK) resolves it at once with status
  TIMEOUT and ``delivery`` set to the APS status;
* a broadcast request collects every response until the timeout and resolves with all of
  them (``responses``; ``response`` is the first), status SUCCESS if any came, else TIMEOUT.

The TSN is 8 bits per ZDO, from a random start. A script reads::

    p = zdo.node_desc(0x1234)
    world.run_until(p)
    desc = p.result().response.node_descriptor

The management table reads (:meth:`ZdoClient.mgmt_lqi`, ``mgmt_rtg``, ``mgmt_bind``) fetch
every page and resolve with one response holding all the records.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsConfirmStatus,
    ApsdeDataConfirm,
    ApsdeDataIndication,
    TxOptions,
)
from zigmesh.clock import Clock, TimerHandle
from zigmesh.pending import Pending
from zigmesh.zdo.aps_port import ApsPort
from zigmesh.zdo.config import ZdoConfig, ZdoStats
from zigmesh.zdo.zdp import (
    ZDP_PROFILE_ID,
    ActiveEpReq,
    ActiveEpRsp,
    BindReq,
    BindRsp,
    IeeeAddrReq,
    IeeeAddrRsp,
    MatchDescReq,
    MatchDescRsp,
    MgmtBindReq,
    MgmtBindRsp,
    MgmtLeaveReq,
    MgmtLeaveRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtNwkUpdateNotify,
    MgmtNwkUpdateReq,
    MgmtPermitJoiningReq,
    MgmtPermitJoiningRsp,
    MgmtRtgReq,
    MgmtRtgRsp,
    NodeDescReq,
    NodeDescRsp,
    NwkAddrReq,
    NwkAddrRsp,
    PowerDescReq,
    PowerDescRsp,
    RequestType,
    SimpleDescReq,
    SimpleDescRsp,
    UnbindReq,
    UnbindRsp,
    UnknownZdp,
    ZdoStatus,
    ZdpMessage,
    response_cluster,
)

__all__ = ["ZDO_ENDPOINT", "ZdoClient", "ZdpResult", "is_broadcast", "status_of"]

R = TypeVar("R")
#: endpoint of the ZDO (Zigbee spec R22 2.1.3.3)
ZDO_ENDPOINT = 0x00
_BROADCAST_MIN = 0xFFF8
_RX_ON_WHEN_IDLE = 0xFFFD


def is_broadcast(address: int) -> bool:
    """A NWK broadcast address (0xFFF8-0xFFFF)."""
    return address >= _BROADCAST_MIN


def status_of(msg: object) -> ZdoStatus | int:
    """The Status field of a ZDP response (SUCCESS for a message without one)."""
    st = getattr(msg, "status", None)
    if isinstance(st, int):
        return st
    if isinstance(msg, UnknownZdp) and msg.payload:
        return msg.payload[0]
    return ZdoStatus.SUCCESS


@dataclass(frozen=True, slots=True)
class ZdpResult(Generic[R]):
    """What a ZDP request came to.

    ``status`` is the response's Status (TIMEOUT when no response came); ``response`` the
    typed response (the first one for a broadcast request), ``src_address`` who sent it;
    ``responses`` every ``(source, response)`` pair a broadcast request collected;
    ``delivery`` the APS confirm status of the request when it is known.
    """

    status: ZdoStatus | int
    response: R | None = None
    src_address: int | None = None
    responses: tuple[tuple[int, R], ...] = ()
    delivery: ApsConfirmStatus | None = None

    @property
    def ok(self) -> bool:
        return self.status == ZdoStatus.SUCCESS


class _Wait:
    """One outstanding request."""

    __slots__ = ("dst", "key", "pending", "broadcast", "got", "timer", "until", "delivery")

    def __init__(
        self,
        dst: int,
        key: tuple[int, int],
        pending: Pending[ZdpResult[Any]],
        until: Callable[[Any], bool] | None,
    ) -> None:
        self.dst = dst
        self.key = key
        self.pending = pending
        self.broadcast = is_broadcast(dst)
        self.got: list[tuple[int, Any]] = []
        self.timer: TimerHandle | None = None
        self.until = until
        self.delivery: ApsConfirmStatus | None = None


class ZdoClient:
    """ZDP requests from endpoint 0 over an APS; the base of :class:`zigmesh.zdo.zdo.Zdo`."""

    def __init__(self, aps: ApsPort, clock: Clock, rng: random.Random, config: ZdoConfig) -> None:
        self.aps = aps
        self.clock = clock
        self.rng = rng
        self.config = config
        self.stats = ZdoStats()
        self._tsn = rng.getrandbits(8)
        self._waits: dict[tuple[int, int], _Wait] = {}
        self._on_confirm: dict[int, Callable[[ApsdeDataConfirm], None]] = {}

    # -- sending ---------------------------------------------------------------------------

    def next_tsn(self) -> int:
        """A new ZDP transaction sequence number (8 bits, wrapping)."""
        tsn = self._tsn
        self._tsn = (tsn + 1) & 0xFF
        return tsn

    def send(
        self,
        dst: int,
        message: ZdpMessage,
        *,
        ack: bool | None = None,
        radius: int = 0,
        on_confirm: Callable[[ApsdeDataConfirm], None] | None = None,
    ) -> int:
        """Send a ZDP message as it is (its TSN included) from endpoint 0 to endpoint 0 of
        ``dst``; APS acknowledged unless ``dst`` is a broadcast (or ``ack`` says otherwise).
        Returns the APS handle; ``on_confirm`` gets the APSDE-DATA.confirm."""
        if ack is None:
            ack = not is_broadcast(dst)
        handle = self.aps.apsde_data_request(
            ApsAddrMode.SHORT,
            dst,
            ZDO_ENDPOINT,
            ZDP_PROFILE_ID,
            int(message.zdp_cluster),
            ZDO_ENDPOINT,
            message.encode(),
            tx_options=TxOptions.ACK if ack else TxOptions.NONE,
            radius=radius,
        )
        if on_confirm is not None:
            self._on_confirm[handle] = on_confirm
        return handle

    def request(
        self, dst: int, message: ZdpMessage, *, timeout_us: int | None = None
    ) -> Pending[ZdpResult[Any]]:
        """Send ``message`` (its TSN replaced by a new one) to ``dst`` and wait for the
        response; see the module notes for unicast and broadcast."""
        return self._request(dst, message, None, timeout_us)

    def _request(
        self,
        dst: int,
        message: ZdpMessage,
        until: Callable[[Any], bool] | None,
        timeout_us: int | None,
    ) -> Pending[ZdpResult[Any]]:
        rsp = response_cluster(int(message.zdp_cluster))
        tsn = self.next_tsn()
        for _ in range(256):
            if (rsp, tsn) not in self._waits:
                break
            tsn = self.next_tsn()
        pending: Pending[ZdpResult[Any]] = Pending()
        old = self._waits.pop((rsp, tsn), None)
        if old is not None:  # 256 requests of one cluster outstanding: this one gives way
            self._finish(old)
        w = _Wait(dst, (rsp, tsn), pending, until)
        self._waits[w.key] = w
        timeout = self.config.request_timeout_us if timeout_us is None else timeout_us
        w.timer = self.clock.call_later(timeout, self._expire, w)
        self.stats.requests_sent += 1
        self.send(dst, replace(message, tsn=tsn), on_confirm=lambda c: self._confirmed(w, c))
        return pending

    # -- APS events --------------------------------------------------------------------------

    def on_confirm(self, c: ApsdeDataConfirm) -> None:
        """An APSDE-DATA.confirm for endpoint 0."""
        cb = self._on_confirm.pop(c.asdu_handle, None)
        if cb is not None:
            cb(c)

    def _confirmed(self, w: _Wait, c: ApsdeDataConfirm) -> None:
        w.delivery = c.status
        if c.status != ApsStatus.SUCCESS and not w.broadcast and self._waits.get(w.key) is w:
            del self._waits[w.key]
            self._finish(w)  # undeliverable: TIMEOUT at once, ``delivery`` says why

    def on_response(self, ind: ApsdeDataIndication, msg: ZdpMessage) -> bool:
        """A ZDP response arrived: resolve the request it answers. Returns whether it
        answered an outstanding request (else it is counted as unsolicited)."""
        self.stats.responses_received += 1
        w = self._waits.get((ind.cluster_id, msg.tsn))
        if w is None or (not w.broadcast and ind.src_address != w.dst):
            self.stats.unsolicited_responses += 1
            return False
        w.got.append((ind.src_address, msg))
        if not w.broadcast or (w.until is not None and w.until(msg)):
            del self._waits[w.key]
            self._finish(w, (ind.src_address, msg))
        return True

    def _expire(self, w: _Wait) -> None:
        if self._waits.get(w.key) is w:
            del self._waits[w.key]
            w.timer = None
            self._finish(w)

    def _finish(self, w: _Wait, answer: tuple[int, Any] | None = None) -> None:
        """Resolve ``w``: with ``answer`` (a unicast response, or the broadcast answer its
        ``until`` accepted), else with what a broadcast collected, else TIMEOUT."""
        if w.timer is not None:
            w.timer.cancel()
            w.timer = None
        got = tuple(w.got)
        if answer is not None:
            src, msg = answer
            w.pending.resolve(ZdpResult(status_of(msg), msg, src, got, w.delivery))
            return
        if not got or w.until is not None:
            self.stats.timeouts += 1
            w.pending.resolve(ZdpResult(ZdoStatus.TIMEOUT, None, None, got, w.delivery))
            return
        src, first = got[0]
        w.pending.resolve(ZdpResult(ZdoStatus.SUCCESS, first, src, got, w.delivery))

    @property
    def outstanding(self) -> int:
        """Requests still waiting for a response."""
        return len(self._waits)

    # -- discovery ---------------------------------------------------------------------------

    def nwk_addr(
        self,
        ieee: int,
        *,
        dst: int = _RX_ON_WHEN_IDLE,
        request_type: RequestType = RequestType.SINGLE_DEVICE,
        start_index: int = 0,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[NwkAddrRsp]]:
        """NWK_addr_req for ``ieee``, broadcast to 0xFFFD by default: resolves with the first
        SUCCESS answer for that IEEE address (or TIMEOUT)."""
        req = NwkAddrReq(0, ieee, request_type, start_index)

        def found(m: Any) -> bool:
            return (
                isinstance(m, NwkAddrRsp)
                and m.status == ZdoStatus.SUCCESS
                and m.ieee_addr_remote_dev == ieee
            )

        return self._request(dst, req, found if is_broadcast(dst) else None, timeout_us)

    def ieee_addr(
        self,
        dst: int,
        nwk_addr_of_interest: int | None = None,
        *,
        request_type: RequestType = RequestType.SINGLE_DEVICE,
        start_index: int = 0,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[IeeeAddrRsp]]:
        """IEEE_addr_req to ``dst`` about ``nwk_addr_of_interest`` (default ``dst``)."""
        addr = dst if nwk_addr_of_interest is None else nwk_addr_of_interest
        return self.request(
            dst, IeeeAddrReq(0, addr, request_type, start_index), timeout_us=timeout_us
        )

    def node_desc(
        self, dst: int, nwk_addr_of_interest: int | None = None, *, timeout_us: int | None = None
    ) -> Pending[ZdpResult[NodeDescRsp]]:
        """Node_Desc_req to ``dst`` about ``nwk_addr_of_interest`` (default ``dst``)."""
        addr = dst if nwk_addr_of_interest is None else nwk_addr_of_interest
        return self.request(dst, NodeDescReq(0, addr), timeout_us=timeout_us)

    def power_desc(
        self, dst: int, nwk_addr_of_interest: int | None = None, *, timeout_us: int | None = None
    ) -> Pending[ZdpResult[PowerDescRsp]]:
        """Power_Desc_req to ``dst`` about ``nwk_addr_of_interest`` (default ``dst``)."""
        addr = dst if nwk_addr_of_interest is None else nwk_addr_of_interest
        return self.request(dst, PowerDescReq(0, addr), timeout_us=timeout_us)

    def active_ep(
        self, dst: int, nwk_addr_of_interest: int | None = None, *, timeout_us: int | None = None
    ) -> Pending[ZdpResult[ActiveEpRsp]]:
        """Active_EP_req to ``dst`` about ``nwk_addr_of_interest`` (default ``dst``)."""
        addr = dst if nwk_addr_of_interest is None else nwk_addr_of_interest
        return self.request(dst, ActiveEpReq(0, addr), timeout_us=timeout_us)

    def simple_desc(
        self,
        dst: int,
        endpoint: int,
        nwk_addr_of_interest: int | None = None,
        *,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[SimpleDescRsp]]:
        """Simple_Desc_req to ``dst`` for ``endpoint``."""
        addr = dst if nwk_addr_of_interest is None else nwk_addr_of_interest
        return self.request(dst, SimpleDescReq(0, addr, endpoint), timeout_us=timeout_us)

    def match_desc(
        self,
        dst: int,
        profile_id: int,
        in_clusters: tuple[int, ...] = (),
        out_clusters: tuple[int, ...] = (),
        nwk_addr_of_interest: int | None = None,
        *,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[MatchDescRsp]]:
        """Match_Desc_req; to a broadcast address (with NWKAddrOfInterest the same
        broadcast address by default) it collects every matching device's answer."""
        addr = dst if nwk_addr_of_interest is None else nwk_addr_of_interest
        req = MatchDescReq(0, addr, profile_id, tuple(in_clusters), tuple(out_clusters))
        return self.request(dst, req, timeout_us=timeout_us)

    # -- binding -----------------------------------------------------------------------------

    def bind(
        self,
        dst: int,
        src_ieee: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr: int,
        dst_endpoint: int | None = None,
        *,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[BindRsp]]:
        """Bind_req to ``dst`` (the device holding the source's binding table): bind
        ``src_ieee``/``src_endpoint``/``cluster_id`` to ``dst_addr`` (an IEEE address with
        ``dst_endpoint``, or a group when ``dst_endpoint`` is None)."""
        req = BindReq(0, src_ieee, src_endpoint, cluster_id, dst_addr, dst_endpoint)
        return self.request(dst, req, timeout_us=timeout_us)

    def unbind(
        self,
        dst: int,
        src_ieee: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr: int,
        dst_endpoint: int | None = None,
        *,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[UnbindRsp]]:
        """Unbind_req to ``dst``; same arguments as :meth:`bind`."""
        req = UnbindReq(0, src_ieee, src_endpoint, cluster_id, dst_addr, dst_endpoint)
        return self.request(dst, req, timeout_us=timeout_us)

    # -- management --------------------------------------------------------------------------

    def mgmt_lqi(
        self,
        dst: int,
        start_index: int = 0,
        *,
        all_pages: bool = True,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[MgmtLqiRsp]]:
        """Mgmt_Lqi_req: ``dst``'s neighbour table (every page unless ``all_pages`` False)."""
        return self._paged(
            dst,
            lambda i: MgmtLqiReq(0, i),
            lambda r: r.neighbor_table_list,
            lambda r: r.neighbor_table_entries,
            lambda r, recs: replace(r, start_index=start_index, neighbor_table_list=recs),
            start_index,
            all_pages,
            timeout_us,
        )

    def mgmt_rtg(
        self,
        dst: int,
        start_index: int = 0,
        *,
        all_pages: bool = True,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[MgmtRtgRsp]]:
        """Mgmt_Rtg_req: ``dst``'s routing table (every page unless ``all_pages`` False)."""
        return self._paged(
            dst,
            lambda i: MgmtRtgReq(0, i),
            lambda r: r.routing_table_list,
            lambda r: r.routing_table_entries,
            lambda r, recs: replace(r, start_index=start_index, routing_table_list=recs),
            start_index,
            all_pages,
            timeout_us,
        )

    def mgmt_bind(
        self,
        dst: int,
        start_index: int = 0,
        *,
        all_pages: bool = True,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[MgmtBindRsp]]:
        """Mgmt_Bind_req: ``dst``'s binding table (every page unless ``all_pages`` False)."""
        return self._paged(
            dst,
            lambda i: MgmtBindReq(0, i),
            lambda r: r.binding_table_list,
            lambda r: r.binding_table_entries,
            lambda r, recs: replace(r, start_index=start_index, binding_table_list=recs),
            start_index,
            all_pages,
            timeout_us,
        )

    def _paged(
        self,
        dst: int,
        make: Callable[[int], ZdpMessage],
        records: Callable[[R], tuple[Any, ...]],
        total: Callable[[R], int],
        merge: Callable[[R, tuple[Any, ...]], R],
        start_index: int,
        all_pages: bool,
        timeout_us: int | None,
    ) -> Pending[ZdpResult[R]]:
        """Ask page after page from ``start_index`` until the table's end; resolve with the
        last response carrying every record gathered (a failing page: its status and the
        records so far)."""
        out: Pending[ZdpResult[R]] = Pending()
        acc: list[Any] = []
        last: list[R] = []

        def ask(start: int) -> None:
            self._request(dst, make(start), None, timeout_us).add_done_callback(
                lambda p: got(start, p.result())
            )

        def got(start: int, res: ZdpResult[Any]) -> None:
            rsp: R | None = res.response
            if rsp is None or not res.ok:
                partial = merge(last[0], tuple(acc)) if last else rsp
                out.resolve(ZdpResult(res.status, partial, res.src_address, (), res.delivery))
                return
            recs = records(rsp)
            acc.extend(recs)
            last[:] = [rsp]
            nxt = start + len(recs)
            if all_pages and recs and nxt < total(rsp) and nxt <= 0xFF:
                ask(nxt)
                return
            out.resolve(
                ZdpResult(
                    ZdoStatus.SUCCESS, merge(rsp, tuple(acc)), res.src_address, (), res.delivery
                )
            )

        ask(start_index)
        return out

    def mgmt_leave(
        self,
        dst: int,
        device_address: int = 0,
        *,
        remove_children: bool = False,
        rejoin: bool = False,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[MgmtLeaveRsp]]:
        """Mgmt_Leave_req: ``dst`` leaves (``device_address`` 0 or its IEEE address) or asks
        its child ``device_address`` to leave."""
        req = MgmtLeaveReq(0, device_address, remove_children, rejoin)
        return self.request(dst, req, timeout_us=timeout_us)

    def mgmt_permit_joining(
        self,
        dst: int,
        permit_duration: int,
        *,
        tc_significance: int = 1,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[MgmtPermitJoiningRsp]]:
        """Mgmt_Permit_Joining_req: ``dst`` permits joining for ``permit_duration`` seconds
        (0 closes). Broadcast (e.g. 0xFFFC) it is not answered: the result is TIMEOUT with no
        responses, by design. It does not change this device's own permit joining."""
        req = MgmtPermitJoiningReq(0, permit_duration, tc_significance)
        return self.request(dst, req, timeout_us=timeout_us)

    def mgmt_nwk_update_scan(
        self,
        dst: int,
        channels: int,
        scan_duration: int = 3,
        scan_count: int = 1,
        *,
        timeout_us: int | None = None,
    ) -> Pending[ZdpResult[MgmtNwkUpdateNotify]]:
        """Mgmt_NWK_Update_req energy scan of ``channels`` (a 32-bit channel mask) on ``dst``;
        resolves with its Mgmt_NWK_Update_notify."""
        req = MgmtNwkUpdateReq.energy_scan(0, channels, scan_duration, scan_count)
        return self.request(dst, req, timeout_us=timeout_us)
