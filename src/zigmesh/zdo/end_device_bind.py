"""End_Device_Bind_req on the coordinator (Zigbee spec R22 2.4.3.2.1).

Two devices ask the coordinator to bind them (typically a button pressed on each). The
coordinator keeps the first request for :attr:`ZdoConfig.end_device_bind_timeout_us`:

* no partner in time: End_Device_Bind_rsp TIMEOUT to it;
* a partner arrives (another device, or the same device on another endpoint): when the
  profiles differ or no output cluster of one is an input cluster of the other, NO_MATCH to
  both; otherwise SUCCESS to both, then for every matched cluster a Bind_req to the binding
  target of the device holding the output cluster (source: that device and endpoint;
  destination: the partner's IEEE address and endpoint). A binding target that is the
  coordinator itself is written straight into its APS binding table.

A repeated request from the same device and endpoint replaces the waiting one (new TSN,
timer restarted). Only the coordinator serves this request; others answer NOT_SUPPORTED.
A source endpoint outside 0x01-0xF0 is INVALID_EP.

Not done: the spec's "toggle" (an Unbind_req first, and unbinding when the devices were
already bound); the bindings are created every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataIndication
from zigmesh.clock import TimerHandle
from zigmesh.zdo.descriptors import LogicalType
from zigmesh.zdo.zdp import BindReq, EndDeviceBindReq, EndDeviceBindRsp, ZdoStatus

if TYPE_CHECKING:
    from zigmesh.zdo.server import ZdpServer
    from zigmesh.zdo.zdo import Zdo

__all__ = ["EndDeviceBind", "EndDeviceBindState", "matched_clusters"]


class EndDeviceBindState(Enum):
    """The coordinator's pairing procedure."""

    IDLE = 0
    WAITING = 1  # one request held, waiting for its partner


@dataclass(frozen=True, slots=True)
class _Held:
    requester: int
    ind: ApsdeDataIndication
    req: EndDeviceBindReq


def matched_clusters(src: EndDeviceBindReq, dst: EndDeviceBindReq) -> tuple[int, ...]:
    """Clusters ``src`` sends (its output clusters) that ``dst`` receives (its input ones),
    in ``src``'s order, without repeats."""
    out: list[int] = []
    for c in src.out_cluster_list:
        if c in dst.in_cluster_list and c not in out:
            out.append(c)
    return tuple(out)


class EndDeviceBind:
    """The coordinator side of End_Device_Bind_req."""

    def __init__(self, zdo: Zdo, server: ZdpServer) -> None:
        self._zdo = zdo
        self._server = server
        self.state = EndDeviceBindState.IDLE
        self._held: _Held | None = None
        self._timer: TimerHandle | None = None
        #: Bind_req sent for matched pairs (counted for tests and reports)
        self.binds_sent = 0

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._held = None
        self.state = EndDeviceBindState.IDLE

    def on_request(self, ind: ApsdeDataIndication, req: EndDeviceBindReq) -> None:
        zdo = self._zdo
        if zdo.config.logical_type != LogicalType.COORDINATOR:
            self._server.reply(ind, EndDeviceBindRsp(req.tsn, ZdoStatus.NOT_SUPPORTED))
            return
        if not 0x01 <= req.src_endpoint <= 0xF0:
            self._server.reply(ind, EndDeviceBindRsp(req.tsn, ZdoStatus.INVALID_EP))
            return
        new = _Held(ind.src_address, ind, req)
        held = self._held
        if held is None or (
            held.req.src_ieee_address == req.src_ieee_address
            and held.req.src_endpoint == req.src_endpoint
        ):
            self._hold(new)
            return
        self.stop()
        self._pair(held, new)

    def _hold(self, held: _Held) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._held = held
        self.state = EndDeviceBindState.WAITING
        self._timer = self._zdo.clock.call_later(
            self._zdo.config.end_device_bind_timeout_us, self._timeout
        )

    def _timeout(self) -> None:
        self._timer = None
        held = self._held
        self.stop()
        if held is not None:
            self._server.reply(held.ind, EndDeviceBindRsp(held.req.tsn, ZdoStatus.TIMEOUT))

    def _pair(self, a: _Held, b: _Held) -> None:
        a_to_b = matched_clusters(a.req, b.req)
        b_to_a = matched_clusters(b.req, a.req)
        same_profile = a.req.profile_id == b.req.profile_id
        status = ZdoStatus.SUCCESS if same_profile and (a_to_b or b_to_a) else ZdoStatus.NO_MATCH
        for h in (a, b):
            self._server.reply(h.ind, EndDeviceBindRsp(h.req.tsn, status))
        if status != ZdoStatus.SUCCESS:
            return
        for src, dst, clusters in ((a, b, a_to_b), (b, a, b_to_a)):
            for cluster in clusters:
                self._bind(src.req, cluster, dst.req)

    def _bind(self, src: EndDeviceBindReq, cluster: int, dst: EndDeviceBindReq) -> None:
        zdo = self._zdo
        self.binds_sent += 1
        target = src.binding_target
        if target == zdo.nwk.address:
            zdo.aps.apsme_bind_request(
                src.src_ieee_address,
                src.src_endpoint,
                cluster,
                ApsAddrMode.IEEE,
                dst.src_ieee_address,
                dst.src_endpoint,
            )
            return
        zdo.request(
            target,
            BindReq(
                0,
                src.src_ieee_address,
                src.src_endpoint,
                cluster,
                dst.src_ieee_address,
                dst.src_endpoint,
            ),
        )
