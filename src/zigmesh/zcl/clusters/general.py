"""General clusters (ZCL rev 7/8 chapter 3): Basic, Power Configuration, Identify, Groups.

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-general.c``.
Behaviour:

* Basic: Reset to Factory Defaults puts every cluster of the endpoint back to its defaults.
* Identify: IdentifyTime counts down once a second in virtual time; Identify Query is answered
  only while identifying (3.5.2.3.2); Trigger Effect records the effect.
* Groups: backed by the APS group table (APSME-ADD-GROUP / REMOVE-GROUP); group names
  (up to 16 characters, 3.6.2.3.2) are kept beside it while NameSupport bit 7 is set (the
  default; with it clear names are not stored and View Group answers an empty one); responses
  only to unicast requests (3.6.2.3), Get Group Membership to a groupcast only when a group
  matches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from zigmesh.aps.commands import ApsStatus
from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import NO_RESPONSE, Handler, HandlerResult, Reply, Request, ServerCluster
from zigmesh.zcl.clusters.scenes import SCENES, Scenes
from zigmesh.zcl.definitions import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Access,
    Args,
    AttributeDef,
    ClusterDef,
    CommandDef,
    Field,
    FieldKind,
)
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.types import DataType, ZclValue

__all__ = [
    "BASIC",
    "POWER_CONFIGURATION",
    "IDENTIFY",
    "GROUPS",
    "Basic",
    "Identify",
    "Groups",
    "PowerConfiguration",
    "battery_voltage",
]

T = DataType
A = Access
S = 1_000_000


def _str(
    aid: int, name: str, max_length: int, access: Access = A.READ, default: str = ""
) -> AttributeDef:
    return AttributeDef(aid, name, T.STRING, access, default, max_length=max_length)


BASIC = ClusterDef(
    0x0000,
    "basic",
    (
        AttributeDef(0x0000, "zcl_version", T.UINT8, default=8),
        AttributeDef(0x0001, "application_version", T.UINT8),
        AttributeDef(0x0002, "stack_version", T.UINT8),
        AttributeDef(0x0003, "hw_version", T.UINT8),
        _str(0x0004, "manufacturer_name", 32, default="zigmesh"),
        _str(0x0005, "model_identifier", 32, default="zigmesh-device"),
        _str(0x0006, "date_code", 16),
        AttributeDef(0x0007, "power_source", T.ENUM8, default=0x01),
        AttributeDef(0x0008, "generic_device_class", T.ENUM8, default=0xFF),
        AttributeDef(0x0009, "generic_device_type", T.ENUM8, default=0xFF),
        AttributeDef(0x000A, "product_code", T.OCTSTR),
        _str(0x000B, "product_url", 64),
        _str(0x000C, "manufacturer_version_details", 64),
        _str(0x000D, "serial_number", 64),
        _str(0x000E, "product_label", 64),
        _str(0x0010, "location_description", 16, A.RW),
        AttributeDef(0x0011, "physical_environment", T.ENUM8, A.RW),
        AttributeDef(0x0012, "device_enabled", T.BOOL, A.RW, True),
        AttributeDef(0x0013, "alarm_mask", T.MAP8, A.RW, maximum=0x03),
        AttributeDef(0x0014, "disable_local_config", T.MAP8, A.RW, maximum=0x03),
        _str(0x4000, "sw_build_id", 16),
    ),
    (CommandDef(0x00, "reset_to_factory_defaults", CLIENT_TO_SERVER),),
)

POWER_CONFIGURATION = ClusterDef(
    0x0001,
    "power_configuration",
    (
        AttributeDef(0x0000, "mains_voltage", T.UINT16),
        AttributeDef(0x0001, "mains_frequency", T.UINT8),
        AttributeDef(0x0020, "battery_voltage", T.UINT8, A.RP, 30),  # 100 mV units
        AttributeDef(0x0021, "battery_percentage_remaining", T.UINT8, A.RP, 200),  # 0.5 %
        AttributeDef(0x0031, "battery_size", T.ENUM8, A.RW, 0xFF),
        AttributeDef(0x0033, "battery_quantity", T.UINT8, A.RW),
        AttributeDef(0x0034, "battery_rated_voltage", T.UINT8, A.RW),
        AttributeDef(0x0035, "battery_alarm_mask", T.MAP8, A.RW),
        AttributeDef(0x0036, "battery_voltage_min_threshold", T.UINT8, A.RW),
        AttributeDef(0x003E, "battery_alarm_state", T.MAP32, A.RP),
    ),
)

IDENTIFY = ClusterDef(
    0x0003,
    "identify",
    (AttributeDef(0x0000, "identify_time", T.UINT16, A.RW),),
    (
        CommandDef(0x00, "identify", CLIENT_TO_SERVER, (Field("identify_time", T.UINT16),)),
        CommandDef(0x01, "identify_query", CLIENT_TO_SERVER),
        CommandDef(
            0x40,
            "trigger_effect",
            CLIENT_TO_SERVER,
            (Field("effect_identifier", T.ENUM8), Field("effect_variant", T.ENUM8)),
        ),
        CommandDef(
            0x00, "identify_query_response", SERVER_TO_CLIENT, (Field("timeout", T.UINT16),)
        ),
    ),
)

_GROUP_ID = Field("group_id", T.UINT16)
_GROUP_NAME = Field("group_name", T.STRING)
_STATUS = Field("status", T.ENUM8)
_GROUP_LIST = Field("group_list", T.UINT16, kind=FieldKind.COUNTED)

GROUPS = ClusterDef(
    0x0004,
    "groups",
    (AttributeDef(0x0000, "name_support", T.MAP8, default=0x80),),
    (
        CommandDef(0x00, "add_group", CLIENT_TO_SERVER, (_GROUP_ID, _GROUP_NAME)),
        CommandDef(0x01, "view_group", CLIENT_TO_SERVER, (_GROUP_ID,)),
        CommandDef(0x02, "get_group_membership", CLIENT_TO_SERVER, (_GROUP_LIST,)),
        CommandDef(0x03, "remove_group", CLIENT_TO_SERVER, (_GROUP_ID,)),
        CommandDef(0x04, "remove_all_groups", CLIENT_TO_SERVER),
        CommandDef(0x05, "add_group_if_identifying", CLIENT_TO_SERVER, (_GROUP_ID, _GROUP_NAME)),
        CommandDef(0x00, "add_group_response", SERVER_TO_CLIENT, (_STATUS, _GROUP_ID)),
        CommandDef(
            0x01, "view_group_response", SERVER_TO_CLIENT, (_STATUS, _GROUP_ID, _GROUP_NAME)
        ),
        CommandDef(
            0x02,
            "get_group_membership_response",
            SERVER_TO_CLIENT,
            (Field("capacity", T.UINT8), _GROUP_LIST),
        ),
        CommandDef(0x03, "remove_group_response", SERVER_TO_CLIENT, (_STATUS, _GROUP_ID)),
    ),
)


def battery_voltage(fraction: float, nominal_v: float = 3.0, cutoff_v: float = 2.0) -> float:
    """A coin cell's voltage at ``fraction`` of its charge left: a flat plateau (nominal down
    to 90 % of it while 10 % or more is left), then the knee down to the cut-off."""
    f = max(0.0, min(1.0, fraction))
    plateau_end = nominal_v * 0.9
    if f >= 0.1:
        return plateau_end + (nominal_v - plateau_end) * (f - 0.1) / 0.9
    return cutoff_v + (plateau_end - cutoff_v) * f / 0.1


class PowerConfiguration(ServerCluster):
    """Power Configuration server whose battery attributes follow a charge meter: every
    ``update_s`` seconds of virtual time, BatteryPercentageRemaining (0.5 % units) and
    BatteryVoltage (100 mV) are set from ``used_mah()`` against ``capacity_mah`` (e.g. the
    simulated radio's energy model, see :func:`zigmesh.app.battery.radio_charge_mah`)."""

    DEFINITION = POWER_CONFIGURATION

    def __init__(
        self,
        used_mah: Callable[[], float] | None = None,
        capacity_mah: float = 220.0,
        update_s: int = 60,
        nominal_v: float = 3.0,
        values: Mapping[str, ZclValue] | None = None,
    ) -> None:
        super().__init__(None, values)
        self.used_mah = used_mah
        self.capacity_mah = capacity_mah
        self.update_s = update_s
        self.nominal_v = nominal_v
        self._timer: TimerHandle | None = None

    def attached(self) -> None:
        if self.used_mah is not None:
            self.update()

    def update(self) -> None:
        """Read the meter now and set the battery attributes (reports follow on change)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.used_mah is None:
            return
        left = max(0.0, 1.0 - self.used_mah() / self.capacity_mah)
        self.set("battery_percentage_remaining", round(200 * left))
        self.set("battery_voltage", round(10 * battery_voltage(left, self.nominal_v)))
        self.set("battery_rated_voltage", round(10 * self.nominal_v), report=False)
        self._timer = self.endpoint.clock.call_later(self.update_s * S, self.update)


class Basic(ServerCluster):
    """Basic server: Reset to Factory Defaults."""

    DEFINITION = BASIC

    def handlers(self) -> Mapping[int, Handler]:
        return {0x00: self.reset_to_factory_defaults}

    def reset_to_factory_defaults(self, args: Args, req: Request) -> HandlerResult:
        for cluster in self.endpoint.servers.values():
            for a in cluster.definition.attributes:
                cluster.set(a, a.default)
        return None


class Identify(ServerCluster):
    """Identify server: IdentifyTime counts down each second while identifying."""

    DEFINITION = IDENTIFY

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        self._timer: TimerHandle | None = None
        #: (effect identifier, variant) of each Trigger Effect
        self.effects: list[tuple[int, int]] = []

    def handlers(self) -> Mapping[int, Handler]:
        return {0x00: self.identify, 0x01: self.identify_query, 0x40: self.trigger_effect}

    @property
    def identifying(self) -> bool:
        return self.int_value("identify_time") > 0

    def start(self, seconds: int) -> None:
        self.set("identify_time", seconds)
        self._run()

    def _run(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.identifying:
            self._timer = self.endpoint.clock.call_later(S, self._tick)

    def _tick(self) -> None:
        self._timer = None
        t = self.int_value("identify_time")
        if t > 0:
            self.set("identify_time", t - 1)
        self._run()

    def on_written(self, a: AttributeDef, value: ZclValue) -> None:
        self._run()

    def identify(self, args: Args, req: Request) -> HandlerResult:
        self.start(args["identify_time"])
        return None

    def identify_query(self, args: Args, req: Request) -> HandlerResult:
        if not self.identifying:
            return NO_RESPONSE
        return Reply("identify_query_response", {"timeout": self.int_value("identify_time")})

    def trigger_effect(self, args: Args, req: Request) -> HandlerResult:
        self.effects.append((args["effect_identifier"], args["effect_variant"]))
        return None


def _valid_group(g: int) -> bool:
    return 0x0001 <= g <= 0xFFF7


#: the longest group name kept (ZCL 3.6.2.3.2: up to 16 characters)
GROUP_NAME_LENGTH = 16


class Groups(ServerCluster):
    """Groups server over the APS group table, with group names (module docstring)."""

    DEFINITION = GROUPS

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        #: group id -> its name (groups of this endpoint that were given one)
        self.names: dict[int, str] = {}

    @property
    def names_supported(self) -> bool:
        return bool(self.int_value("name_support") & 0x80)

    def name_of(self, group: int) -> str:
        """The group's name as View Group answers it ("" without one or name support)."""
        if not self.names_supported or group not in self._table_groups:
            return ""
        return self.names.get(group, "")

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.add_group,
            0x01: self.view_group,
            0x02: self.get_group_membership,
            0x03: self.remove_group,
            0x04: self.remove_all_groups,
            0x05: self.add_group_if_identifying,
        }

    @property
    def _table_groups(self) -> tuple[int, ...]:
        return self.endpoint.aps.group_table.groups_of(self.endpoint.endpoint_id)

    def add(self, group: int, name: str = "") -> ZclStatus:
        """Add the endpoint to ``group`` (named ``name`` when names are supported)."""
        if not _valid_group(group):
            return ZclStatus.INVALID_VALUE
        if group in self._table_groups:
            return ZclStatus.DUPLICATE_EXISTS
        st = self.endpoint.aps.apsme_add_group_request(group, self.endpoint.endpoint_id)
        if st != ApsStatus.SUCCESS:
            return ZclStatus.INSUFFICIENT_SPACE
        self.names.pop(group, None)
        if name and self.names_supported:
            self.names[group] = name[:GROUP_NAME_LENGTH]
        return ZclStatus.SUCCESS

    def remove(self, group: int) -> ZclStatus:
        if not _valid_group(group):
            return ZclStatus.INVALID_VALUE
        st = self.endpoint.aps.apsme_remove_group_request(group, self.endpoint.endpoint_id)
        if st != ApsStatus.SUCCESS:
            return ZclStatus.NOT_FOUND
        self.names.pop(group, None)
        self._scenes_of(group)
        return ZclStatus.SUCCESS

    def _scenes_of(self, group: int) -> None:
        """The group's scenes go with it (3.6.2.3.5)."""
        scenes = self.endpoint.server(SCENES.id)
        if isinstance(scenes, Scenes):
            scenes.remove_group(group)

    @staticmethod
    def _answer(req: Request, name: str, args: Mapping[str, object]) -> HandlerResult:
        return Reply(name, args) if req.unicast else NO_RESPONSE

    def add_group(self, args: Args, req: Request) -> HandlerResult:
        g = args["group_id"]
        st = self.add(g, args["group_name"])
        return self._answer(req, "add_group_response", {"status": st, "group_id": g})

    def view_group(self, args: Args, req: Request) -> HandlerResult:
        g = args["group_id"]
        if not _valid_group(g):
            st = ZclStatus.INVALID_VALUE
        else:
            st = ZclStatus.SUCCESS if g in self._table_groups else ZclStatus.NOT_FOUND
        reply = {"status": st, "group_id": g, "group_name": self.name_of(g)}
        return self._answer(req, "view_group_response", reply)

    def get_group_membership(self, args: Args, req: Request) -> HandlerResult:
        mine = self._table_groups
        asked = args["group_list"]
        found = mine if not asked else tuple(g for g in mine if g in asked)
        if not req.unicast and not found:
            return NO_RESPONSE
        table = self.endpoint.aps.group_table
        capacity = max(0, min(0xFE, table.capacity - len(table)))
        return Reply("get_group_membership_response", {"capacity": capacity, "group_list": found})

    def remove_group(self, args: Args, req: Request) -> HandlerResult:
        g = args["group_id"]
        return self._answer(req, "remove_group_response", {"status": self.remove(g), "group_id": g})

    def remove_all_groups(self, args: Args, req: Request) -> HandlerResult:
        for g in self._table_groups:
            self._scenes_of(g)
        self.names.clear()
        self.endpoint.aps.apsme_remove_all_groups_request(self.endpoint.endpoint_id)
        return None

    def add_group_if_identifying(self, args: Args, req: Request) -> HandlerResult:
        ident = self.endpoint.server(IDENTIFY.id)
        if not isinstance(ident, Identify) or not ident.identifying:
            return None
        st = self.add(args["group_id"], args["group_name"])
        return None if st == ZclStatus.DUPLICATE_EXISTS else st
