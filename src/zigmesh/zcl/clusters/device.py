"""Device management clusters (ZCL rev 7/8 chapter 3): Device Temperature Configuration
(0x0002), Time (0x000A), Poll Control (0x0020).

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-general.c``.

* Time: the Time attribute runs with the node's clock (seconds since 2000-01-01 UTC, from
  what was last written or set); LocalTime / StandardTime follow TimeZone and DST.
* Poll Control: the server sends Check-in to its bindings every CheckInInterval (quarter
  seconds) and, on a Check-in Response asking for fast polling, stays in fast poll mode for
  the timeout (:attr:`PollControl.fast_polling`; the MAC poll rate itself belongs to the NWK
  layer, whose configuration is fixed at start: the cluster records the request).
"""

from __future__ import annotations

from collections.abc import Mapping

from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import Handler, HandlerResult, Request, ServerCluster
from zigmesh.zcl.definitions import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Access,
    Args,
    AttributeDef,
    ClusterDef,
    CommandDef,
    Field,
)
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.types import DataType, ZclValue

__all__ = ["DEVICE_TEMPERATURE", "TIME", "POLL_CONTROL", "Time", "PollControl"]

T = DataType
A = Access
S = 1_000_000
QUARTER = 250_000

DEVICE_TEMPERATURE = ClusterDef(
    0x0002,
    "device_temperature_configuration",
    (
        AttributeDef(0x0000, "current_temperature", T.INT16, default=25),
        AttributeDef(0x0001, "min_temp_experienced", T.INT16, default=25),
        AttributeDef(0x0002, "max_temp_experienced", T.INT16, default=25),
        AttributeDef(0x0003, "over_temp_total_dwell", T.UINT16),
    ),
)

TIME = ClusterDef(
    0x000A,
    "time",
    (
        AttributeDef(0x0000, "time", T.UTC, A.RW),
        AttributeDef(0x0001, "time_status", T.MAP8, A.RW, maximum=0x0F),
        AttributeDef(0x0002, "time_zone", T.INT32, A.RW, minimum=-86400, maximum=86400),
        AttributeDef(0x0003, "dst_start", T.UINT32, A.RW),
        AttributeDef(0x0004, "dst_end", T.UINT32, A.RW),
        AttributeDef(0x0005, "dst_shift", T.INT32, A.RW, minimum=-86400, maximum=86400),
        AttributeDef(0x0006, "standard_time", T.UINT32),
        AttributeDef(0x0007, "local_time", T.UINT32),
        AttributeDef(0x0008, "last_set_time", T.UTC, default=0xFFFF_FFFF),
        AttributeDef(0x0009, "valid_until_time", T.UTC, A.RW, 0xFFFF_FFFF),
    ),
)

POLL_CONTROL = ClusterDef(
    0x0020,
    "poll_control",
    (
        AttributeDef(0x0000, "check_in_interval", T.UINT32, A.RW, 0x3840, maximum=0x6E0000),
        AttributeDef(0x0001, "long_poll_interval", T.UINT32, default=0x14),
        AttributeDef(0x0002, "short_poll_interval", T.UINT16, default=0x02),
        AttributeDef(0x0003, "fast_poll_timeout", T.UINT16, A.RW, 0x28, 1, 0xFFFF),
        AttributeDef(0x0004, "check_in_interval_min", T.UINT32),
        AttributeDef(0x0005, "long_poll_interval_min", T.UINT32),
        AttributeDef(0x0006, "fast_poll_timeout_max", T.UINT16),
    ),
    (
        CommandDef(
            0x00,
            "check_in_response",
            CLIENT_TO_SERVER,
            (Field("start_fast_polling", T.BOOL), Field("fast_poll_timeout", T.UINT16)),
        ),
        CommandDef(0x01, "fast_poll_stop", CLIENT_TO_SERVER),
        CommandDef(
            0x02,
            "set_long_poll_interval",
            CLIENT_TO_SERVER,
            (Field("new_long_poll_interval", T.UINT32),),
        ),
        CommandDef(
            0x03,
            "set_short_poll_interval",
            CLIENT_TO_SERVER,
            (Field("new_short_poll_interval", T.UINT16),),
        ),
        CommandDef(0x00, "check_in", SERVER_TO_CLIENT),
    ),
)

_TIME_ID = 0x0000
_STANDARD = 0x0006
_LOCAL = 0x0007


class Time(ServerCluster):
    """Time server: Time, StandardTime and LocalTime run with the node's clock."""

    DEFINITION = TIME

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        self._set_at: int | None = None
        super().__init__(None, values)

    def attached(self) -> None:
        self._set_at = self.endpoint.clock.now()

    def _elapsed_s(self) -> int:
        if self._set_at is None or self._endpoint is None:
            return 0
        return (self.endpoint.clock.now() - self._set_at) // S

    def value_of(self, a: AttributeDef) -> ZclValue:
        base = super().value_of(self.definition.resolve(_TIME_ID))
        if a.id not in (_TIME_ID, _STANDARD, _LOCAL) or not isinstance(base, int):
            return super().value_of(a)
        if base == 0xFFFF_FFFF:
            return base  # never set
        now = base + self._elapsed_s()
        if a.id == _TIME_ID:
            return now & 0xFFFF_FFFF
        standard = now + self.int_value("time_zone")
        if a.id == _STANDARD:
            return standard & 0xFFFF_FFFF
        in_dst = self.int_value("dst_start") <= now < self.int_value("dst_end")
        return (standard + (self.int_value("dst_shift") if in_dst else 0)) & 0xFFFF_FFFF

    def get(self, attr: str | int | AttributeDef) -> ZclValue:
        return self.value_of(self.definition.resolve(attr))

    def set(self, attr: str | int | AttributeDef, value: ZclValue, *, report: bool = True) -> bool:
        a = self.definition.resolve(attr)
        if a.id == _TIME_ID and self._endpoint is not None:
            self._set_at = self.endpoint.clock.now()
            super().set("last_set_time", value, report=report)
        return super().set(a, value, report=report)

    def validate(self, a: AttributeDef, value: ZclValue) -> ZclStatus:
        # Time is writable only while the device is not its own master (TimeStatus bit 0)
        if a.id == _TIME_ID and self.int_value("time_status") & 0x01:
            return ZclStatus.READ_ONLY
        return ZclStatus.SUCCESS


class PollControl(ServerCluster):
    """Poll Control server (module docstring)."""

    DEFINITION = POLL_CONTROL

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        self._timer: TimerHandle | None = None
        self._fast_timer: TimerHandle | None = None
        self.fast_polling = False
        self.check_ins_sent = 0

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.check_in_response,
            0x01: self.fast_poll_stop,
            0x02: self.set_long_poll_interval,
            0x03: self.set_short_poll_interval,
        }

    def attached(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        interval = self.int_value("check_in_interval")
        if interval and self._endpoint is not None:
            self._timer = self.endpoint.clock.call_later(interval * QUARTER, self._check_in)

    def _check_in(self) -> None:
        self._timer = None
        ep = self.endpoint
        if ep.aps.binding_table.lookup(ep.node.eui64, ep.endpoint_id, POLL_CONTROL.id):
            self.check_ins_sent += 1
            ep.send_command(Destination.bound(), POLL_CONTROL, "check_in")
        self._schedule()

    def on_written(self, a: AttributeDef, value: ZclValue) -> None:
        if a.id == 0x0000:
            self._schedule()

    def validate(self, a: AttributeDef, value: ZclValue) -> ZclStatus:
        if a.id == 0x0000 and isinstance(value, int) and value:
            lo = self.int_value("check_in_interval_min")
            if value < max(lo, self.int_value("long_poll_interval")):
                return ZclStatus.INVALID_VALUE
        return ZclStatus.SUCCESS

    def check_in_response(self, args: Args, req: Request) -> HandlerResult:
        if not args["start_fast_polling"]:
            return None
        timeout = args["fast_poll_timeout"] or self.int_value("fast_poll_timeout")
        limit = self.int_value("fast_poll_timeout_max")
        if limit and timeout > limit:
            return ZclStatus.INVALID_VALUE
        self.fast_polling = True
        if self._fast_timer is not None:
            self._fast_timer.cancel()
        self._fast_timer = self.endpoint.clock.call_later(timeout * QUARTER, self._slow)
        return None

    def _slow(self) -> None:
        self._fast_timer = None
        self.fast_polling = False

    def fast_poll_stop(self, args: Args, req: Request) -> HandlerResult:
        if not self.fast_polling:
            return ZclStatus.ACTION_DENIED
        if self._fast_timer is not None:
            self._fast_timer.cancel()
        self._slow()
        return None

    def set_long_poll_interval(self, args: Args, req: Request) -> HandlerResult:
        v = args["new_long_poll_interval"]
        if not max(0x04, self.int_value("long_poll_interval_min")) <= v <= 0x6E0000:
            return ZclStatus.INVALID_VALUE
        if v < self.int_value("short_poll_interval"):
            return ZclStatus.INVALID_VALUE
        self.set("long_poll_interval", v)
        return None

    def set_short_poll_interval(self, args: Args, req: Request) -> HandlerResult:
        v = args["new_short_poll_interval"]
        if v == 0 or v > self.int_value("long_poll_interval"):
            return ZclStatus.INVALID_VALUE
        self.set("short_poll_interval", v)
        return None
