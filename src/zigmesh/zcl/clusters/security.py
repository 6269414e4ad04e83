"""Security and safety: IAS Zone (0x0500, ZCL rev 7/8 8.2) with its CIE client side.

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-ias.c``.

Enrollment ("trip-to-pair", 8.2.2.2.3): the CIE writes its IEEE address into IAS_CIE_Address;
the zone answers with a Zone Enroll Request to that CIE (the writer's address and endpoint);
the CIE's Zone Enroll Response (code 0 success) enrolls the zone with the zone id it gives.
An enrolled zone sends a Zone Status Change Notification to the CIE on every ZoneStatus
change (:meth:`IasZone.set_status`). Initiate Test Mode sets the Test bit for the duration.

:class:`IasCie` is the client side a hub puts on its endpoint: it answers enroll requests
(zone ids handed out in order) and records every notification in :attr:`IasCie.alarms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import ClientCluster, Handler, HandlerResult, Reply, Request, ServerCluster
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

__all__ = ["IAS_ZONE", "IAS_WD", "IasZone", "IasCie", "IasWd", "ZoneType", "ZoneAlarm"]

T = DataType
A = Access
S = 1_000_000

ZONE_STATUS_TEST = 0x0100


class ZoneType:
    """Zone types (ZCL Table 8-5), as plain ints."""

    STANDARD_CIE = 0x0000
    MOTION_SENSOR = 0x000D
    CONTACT_SWITCH = 0x0015
    FIRE_SENSOR = 0x0028
    WATER_SENSOR = 0x002A
    CO_SENSOR = 0x002B
    VIBRATION_SENSOR = 0x002D
    KEY_FOB = 0x0115
    KEYPAD = 0x021D
    STANDARD_WARNING_DEVICE = 0x0225


IAS_ZONE = ClusterDef(
    0x0500,
    "ias_zone",
    (
        AttributeDef(0x0000, "zone_state", T.ENUM8),
        AttributeDef(0x0001, "zone_type", T.ENUM16, default=ZoneType.CONTACT_SWITCH),
        AttributeDef(0x0002, "zone_status", T.MAP16, A.RP),
        AttributeDef(0x0010, "ias_cie_address", T.EUI64, A.RW),
        AttributeDef(0x0011, "zone_id", T.UINT8, default=0xFF),
        AttributeDef(0x0012, "number_of_zone_sensitivity_levels_supported", T.UINT8, default=2),
        AttributeDef(0x0013, "current_zone_sensitivity_level", T.UINT8, A.RW),
    ),
    (
        CommandDef(
            0x00,
            "zone_enroll_response",
            CLIENT_TO_SERVER,
            (Field("enroll_response_code", T.ENUM8), Field("zone_id", T.UINT8)),
        ),
        CommandDef(0x01, "initiate_normal_operation_mode", CLIENT_TO_SERVER),
        CommandDef(
            0x02,
            "initiate_test_mode",
            CLIENT_TO_SERVER,
            (
                Field("test_mode_duration", T.UINT8),
                Field("current_zone_sensitivity_level", T.UINT8),
            ),
        ),
        CommandDef(
            0x00,
            "zone_status_change_notification",
            SERVER_TO_CLIENT,
            (
                Field("zone_status", T.MAP16),
                Field("extended_status", T.MAP8),
                Field("zone_id", T.UINT8),
                Field("delay", T.UINT16),
            ),
        ),
        CommandDef(
            0x01,
            "zone_enroll_request",
            SERVER_TO_CLIENT,
            (Field("zone_type", T.ENUM16), Field("manufacturer_code", T.UINT16)),
        ),
    ),
)


class IasZone(ServerCluster):
    """IAS Zone server (module docstring)."""

    DEFINITION = IAS_ZONE

    def __init__(
        self, values: Mapping[str, ZclValue] | None = None, manufacturer_code: int = 0x0000
    ) -> None:
        super().__init__(None, values)
        self.manufacturer_code = manufacturer_code
        self._cie: Destination | None = None
        self._test_timer: TimerHandle | None = None

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.zone_enroll_response,
            0x01: self.initiate_normal_operation_mode,
            0x02: self.initiate_test_mode,
        }

    @property
    def enrolled(self) -> bool:
        return self.get("zone_state") == 1

    def on_written(self, a: AttributeDef, value: ZclValue) -> None:
        if a.id != 0x0010:
            return
        ind = self.endpoint.current_indication
        if ind is not None:
            self._cie = Destination.short(ind.src_address, ind.src_endpoint)
        self.enroll()

    def enroll(self) -> None:
        """Send a Zone Enroll Request to the CIE (after it wrote its address)."""
        if self._cie is None:
            return
        self.endpoint.send_command(
            self._cie,
            IAS_ZONE,
            "zone_enroll_request",
            {"zone_type": self.get("zone_type"), "manufacturer_code": self.manufacturer_code},
        )

    def zone_enroll_response(self, args: Args, req: Request) -> HandlerResult:
        code = args["enroll_response_code"]
        if code > 0x03:
            return ZclStatus.INVALID_FIELD
        if code == 0:
            self.set("zone_id", args["zone_id"])
            self.set("zone_state", 1)
            if self._cie is None:
                self._cie = Destination.short(req.src_address, req.indication.src_endpoint)
        else:
            self.set("zone_state", 0)
        return None

    def set_status(self, zone_status: int, extended_status: int = 0) -> None:
        """The zone's sensors changed (alarm 1 = bit 0, tamper = bit 2, battery = bit 3...):
        store it and, once enrolled, notify the CIE."""
        if not self.set("zone_status", zone_status & 0xFFFF):
            return
        if self.enrolled and self._cie is not None:
            self.endpoint.send_command(
                self._cie,
                IAS_ZONE,
                "zone_status_change_notification",
                {
                    "zone_status": zone_status & 0xFFFF,
                    "extended_status": extended_status,
                    "zone_id": self.get("zone_id"),
                    "delay": 0,
                },
            )

    def initiate_normal_operation_mode(self, args: Args, req: Request) -> HandlerResult:
        if self._test_timer is not None:
            self._test_timer.cancel()
            self._test_timer = None
        self.set_status(self.int_value("zone_status") & ~ZONE_STATUS_TEST)
        return None

    def initiate_test_mode(self, args: Args, req: Request) -> HandlerResult:
        levels = self.int_value("number_of_zone_sensitivity_levels_supported")
        if args["current_zone_sensitivity_level"] >= max(levels, 1):
            return ZclStatus.INVALID_VALUE
        self.set("current_zone_sensitivity_level", args["current_zone_sensitivity_level"])
        self.set_status(self.int_value("zone_status") | ZONE_STATUS_TEST)
        if self._test_timer is not None:
            self._test_timer.cancel()
        self._test_timer = self.endpoint.clock.call_later(
            args["test_mode_duration"] * S, self._end_test
        )
        return None

    def _end_test(self) -> None:
        self._test_timer = None
        self.set_status(self.int_value("zone_status") & ~ZONE_STATUS_TEST)


IAS_WD = ClusterDef(
    0x0502,
    "ias_wd",
    (AttributeDef(0x0000, "max_duration", T.UINT16, A.RW, 240, 0, 0xFFFE),),
    (
        CommandDef(
            0x00,
            "start_warning",
            CLIENT_TO_SERVER,
            (
                Field("warning_info", T.MAP8),
                Field("warning_duration", T.UINT16),
                Field("strobe_duty_cycle", T.UINT8),
                Field("strobe_level", T.ENUM8),
            ),
        ),
        CommandDef(0x01, "squawk", CLIENT_TO_SERVER, (Field("squawk_info", T.MAP8),)),
    ),
)


class IasWd(ServerCluster):
    """IAS Warning Device server (ZCL 8.4): Start Warning sounds for the given duration
    (at most MaxDuration; warning mode 0 stops it), Squawk records the squawk. ``warning`` is
    the active warning mode (0: silent); ``history`` every (time, mode or squawk) event."""

    DEFINITION = IAS_WD

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        self.warning = 0
        self.strobe = False
        self.history: list[tuple[int, str, int]] = []
        self._timer: TimerHandle | None = None

    def handlers(self) -> Mapping[int, Handler]:
        return {0x00: self.start_warning, 0x01: self.squawk}

    def start_warning(self, args: Args, req: Request) -> HandlerResult:
        info, duty = args["warning_info"], args["strobe_duty_cycle"]
        mode = info >> 4
        if mode > 6 or duty > 100 or args["strobe_level"] > 3:
            return ZclStatus.INVALID_FIELD
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        duration = min(args["warning_duration"], self.int_value("max_duration"))
        self.warning = mode
        self.strobe = bool(info & 0x0C) and mode != 0
        self.history.append((self.endpoint.clock.now(), "warning", mode))
        if mode and duration:
            self._timer = self.endpoint.clock.call_later(duration * S, self._silence)
        elif not duration:
            self.warning, self.strobe = 0, False
        return None

    def _silence(self) -> None:
        self._timer = None
        self.warning, self.strobe = 0, False
        self.history.append((self.endpoint.clock.now(), "warning", 0))

    def squawk(self, args: Args, req: Request) -> HandlerResult:
        info = args["squawk_info"]
        if info >> 4 > 1 or info & 0x03 > 3:
            return ZclStatus.INVALID_FIELD
        self.history.append((self.endpoint.clock.now(), "squawk", info))
        return None


@dataclass(frozen=True, slots=True)
class ZoneAlarm:
    """A Zone Status Change Notification the CIE received."""

    time_us: int
    src_address: int
    zone_id: int
    zone_status: int
    extended_status: int


class IasCie(ClientCluster):
    """The IAS Zone client of a CIE (a hub): enrolls zones, records their notifications."""

    DEFINITION = IAS_ZONE

    def __init__(self) -> None:
        super().__init__()
        #: zone id by the zone's IEEE address (or NWK address when unknown)
        self.zones: dict[int, int] = {}
        self.zone_types: dict[int, int] = {}
        self.alarms: list[ZoneAlarm] = []

    def handlers(self) -> Mapping[int, Handler]:
        return {0x00: self.zone_status_change_notification, 0x01: self.zone_enroll_request}

    def zone_enroll_request(self, args: Args, req: Request) -> HandlerResult:
        ind = req.indication
        who = ind.src_ieee if ind.src_ieee is not None else ind.src_address
        zid = self.zones.get(who)
        if zid is None:
            if len(self.zones) >= 0xFF:
                return Reply("zone_enroll_response", {"enroll_response_code": 0x02, "zone_id": 0})
            zid = len(self.zones)
            self.zones[who] = zid
        self.zone_types[zid] = args["zone_type"]
        return Reply("zone_enroll_response", {"enroll_response_code": 0x00, "zone_id": zid})

    def zone_status_change_notification(self, args: Args, req: Request) -> HandlerResult:
        ind = req.indication
        self.alarms.append(
            ZoneAlarm(
                ind.rx_time,
                ind.src_address,
                args["zone_id"],
                args["zone_status"],
                args["extended_status"],
            )
        )
        return None
