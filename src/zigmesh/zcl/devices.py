"""Device types: which server and client clusters an endpoint of a kind of device has.

A :class:`DeviceType` is plain data (name, profile and device id, server clusters as behaviour
classes or bare definitions, client clusters as definitions); :meth:`DeviceType.create` builds
the :class:`~zigmesh.zcl.engine.ZclEndpoint` on a node. Device ids: Zigbee Home Automation
1.2 / Zigbee Lighting & Occupancy device specification (profile 0x0104).

```python
light = DIMMABLE_LIGHT.create(world["lamp"], 1)
light.servers[0x0006]["on_off"]          # False
```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from zigmesh.errors import LocalProtocolError
from zigmesh.zcl.cluster import ClientCluster, ServerCluster
from zigmesh.zcl.clusters.closures import DOOR_LOCK, DoorLock
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF, LevelControl, OnOff
from zigmesh.zcl.clusters.device import DEVICE_TEMPERATURE, POLL_CONTROL, TIME, PollControl, Time
from zigmesh.zcl.clusters.energy import (
    ELECTRICAL_MEASUREMENT,
    METERING,
    ElectricalMeasurement,
    Metering,
)
from zigmesh.zcl.clusters.general import (
    BASIC,
    GROUPS,
    IDENTIFY,
    POWER_CONFIGURATION,
    Basic,
    Groups,
    Identify,
    PowerConfiguration,
)
from zigmesh.zcl.clusters.hvac import THERMOSTAT, Thermostat
from zigmesh.zcl.clusters.lighting import COLOR_CONTROL, ColorControl
from zigmesh.zcl.clusters.measurement import (
    ILLUMINANCE_MEASUREMENT,
    OCCUPANCY_SENSING,
    PRESSURE_MEASUREMENT,
    RELATIVE_HUMIDITY,
    TEMPERATURE_MEASUREMENT,
)
from zigmesh.zcl.clusters.ota import OTA_UPGRADE
from zigmesh.zcl.clusters.scenes import SCENES, Scenes
from zigmesh.zcl.clusters.security import IAS_WD, IAS_ZONE, IasWd, IasZone, ZoneType
from zigmesh.zcl.definitions import ClusterDef
from zigmesh.zcl.engine import HA, AppNode, ZclEndpoint
from zigmesh.zcl.types import ZclValue

__all__ = [
    "DeviceType",
    "ServerSpec",
    "ON_OFF_LIGHT",
    "DIMMABLE_LIGHT",
    "ON_OFF_SWITCH",
    "DIMMER_SWITCH",
    "COLOR_TEMPERATURE_LIGHT",
    "EXTENDED_COLOR_LIGHT",
    "COLOR_DIMMER_SWITCH",
    "TEMPERATURE_SENSOR",
    "TEMPERATURE_HUMIDITY_SENSOR",
    "OCCUPANCY_SENSOR",
    "CONTACT_SENSOR",
    "MOTION_SENSOR",
    "WARNING_DEVICE",
    "SMART_PLUG",
    "DOOR_LOCK_DEVICE",
    "DOOR_LOCK_CONTROLLER",
    "THERMOSTAT_DEVICE",
    "DEVICE_TYPES",
    "CLUSTERS",
]

#: a server cluster of a device type: a behaviour class (called with no argument) or a bare
#: definition (storage only)
ServerSpec = Callable[[], ServerCluster] | ClusterDef


def _server(spec: ServerSpec) -> ServerCluster:
    return ServerCluster(spec) if isinstance(spec, ClusterDef) else spec()


@dataclass(frozen=True, slots=True)
class DeviceType:
    """A kind of device: its simple descriptor ids and its clusters."""

    name: str
    device_id: int
    servers: tuple[ServerSpec, ...]
    clients: tuple[ClusterDef, ...] = ()
    profile_id: int = HA
    device_version: int = 1
    #: attribute values this kind of device starts with: (cluster name, attribute, value)
    defaults: tuple[tuple[str, str, ZclValue], ...] = ()

    def create(
        self,
        node: AppNode,
        endpoint: int = 1,
        values: Mapping[int | str, Mapping[str, ZclValue]] | None = None,
        *,
        extra_servers: tuple[ServerCluster, ...] = (),
        extra_clients: tuple[ClientCluster, ...] = (),
    ) -> ZclEndpoint:
        """Build the endpoint on ``node`` and register it. ``values``: initial attribute
        values by cluster (id or name) then attribute name."""
        servers = [_server(s) for s in self.servers] + list(extra_servers)
        clients = [ClientCluster(c) for c in self.clients] + list(extra_clients)
        by_key: dict[int | str, ServerCluster] = {}
        for s in servers:
            by_key[s.cluster_id] = s
            by_key[s.definition.name] = s
        for cname, attr, v in self.defaults:
            by_key[cname].set(attr, v, report=False)
        for key, vals in (values or {}).items():
            target = by_key.get(key)
            if target is None:
                raise LocalProtocolError(f"{self.name} has no server cluster {key!r}")
            for name, v in vals.items():
                target.set(name, v, report=False)
        return ZclEndpoint(
            node,
            endpoint,
            servers,
            clients,
            profile_id=self.profile_id,
            device_id=self.device_id,
            device_version=self.device_version,
        )


_COMMON: tuple[ServerSpec, ...] = (Basic, Identify)

ON_OFF_LIGHT = DeviceType("on_off_light", 0x0100, (*_COMMON, Groups, Scenes, OnOff))
DIMMABLE_LIGHT = DeviceType(
    "dimmable_light", 0x0101, (*_COMMON, Groups, Scenes, OnOff, LevelControl)
)
COLOR_TEMPERATURE_LIGHT = DeviceType(
    "color_temperature_light",
    0x010C,
    (*_COMMON, Groups, Scenes, OnOff, LevelControl, ColorControl),
    defaults=(
        ("color_control", "color_capabilities", 0x0010),
        ("color_control", "color_mode", 2),
        ("color_control", "enhanced_color_mode", 2),
    ),
)
EXTENDED_COLOR_LIGHT = DeviceType(
    "extended_color_light",
    0x010D,
    (*_COMMON, Groups, Scenes, OnOff, LevelControl, ColorControl),
)
ON_OFF_SWITCH = DeviceType("on_off_switch", 0x0000, _COMMON, (ON_OFF, IDENTIFY, GROUPS, SCENES))
DIMMER_SWITCH = DeviceType(
    "dimmer_switch", 0x0104, _COMMON, (ON_OFF, LEVEL_CONTROL, IDENTIFY, GROUPS, SCENES)
)
COLOR_DIMMER_SWITCH = DeviceType(
    "color_dimmer_switch",
    0x0105,
    _COMMON,
    (ON_OFF, LEVEL_CONTROL, COLOR_CONTROL, IDENTIFY, GROUPS, SCENES),
)
WARNING_DEVICE = DeviceType(
    "warning_device",
    0x0403,
    (*_COMMON, IasZone, IasWd),
    defaults=(("ias_zone", "zone_type", ZoneType.STANDARD_WARNING_DEVICE),),
)
SMART_PLUG = DeviceType(
    "smart_plug",
    0x0051,
    (*_COMMON, Groups, Scenes, OnOff, Metering, ElectricalMeasurement),
    defaults=(("on_off", "on_off", True),),  # plugged in and switched on
)
DOOR_LOCK_DEVICE = DeviceType(
    "door_lock",
    0x000A,
    (*_COMMON, PowerConfiguration, PollControl, Time, DoorLock),
    defaults=(("basic", "power_source", 0x03),),
)
DOOR_LOCK_CONTROLLER = DeviceType("door_lock_controller", 0x000B, _COMMON, (DOOR_LOCK, TIME))
THERMOSTAT_DEVICE = DeviceType(
    "thermostat", 0x0301, (*_COMMON, Groups, Scenes, Time, Thermostat), (TEMPERATURE_MEASUREMENT,)
)
TEMPERATURE_SENSOR = DeviceType(
    "temperature_sensor",
    0x0302,
    (*_COMMON, PowerConfiguration, PollControl, TEMPERATURE_MEASUREMENT),
    defaults=(("basic", "power_source", 0x03),),
)
TEMPERATURE_HUMIDITY_SENSOR = DeviceType(
    "temperature_humidity_sensor",
    0x0302,
    (*_COMMON, PowerConfiguration, PollControl, TEMPERATURE_MEASUREMENT, RELATIVE_HUMIDITY),
    defaults=(("basic", "power_source", 0x03),),
)
OCCUPANCY_SENSOR = DeviceType(
    "occupancy_sensor", 0x0107, (*_COMMON, PowerConfiguration, OCCUPANCY_SENSING)
)
#: IAS Zone devices (device id 0x0402), battery powered
CONTACT_SENSOR = DeviceType(
    "contact_sensor",
    0x0402,
    (*_COMMON, PowerConfiguration, PollControl, IasZone),
    defaults=(("basic", "power_source", 0x03), ("ias_zone", "zone_type", ZoneType.CONTACT_SWITCH)),
)
MOTION_SENSOR = DeviceType(
    "motion_sensor",
    0x0402,
    (*_COMMON, PowerConfiguration, PollControl, IasZone),
    defaults=(("basic", "power_source", 0x03), ("ias_zone", "zone_type", ZoneType.MOTION_SENSOR)),
)

#: every built-in device type by name
DEVICE_TYPES: Mapping[str, DeviceType] = {
    d.name: d
    for d in (
        ON_OFF_LIGHT,
        DIMMABLE_LIGHT,
        COLOR_TEMPERATURE_LIGHT,
        EXTENDED_COLOR_LIGHT,
        ON_OFF_SWITCH,
        DIMMER_SWITCH,
        COLOR_DIMMER_SWITCH,
        TEMPERATURE_SENSOR,
        TEMPERATURE_HUMIDITY_SENSOR,
        OCCUPANCY_SENSOR,
        CONTACT_SENSOR,
        MOTION_SENSOR,
        WARNING_DEVICE,
        SMART_PLUG,
        DOOR_LOCK_DEVICE,
        DOOR_LOCK_CONTROLLER,
        THERMOSTAT_DEVICE,
    )
}

#: every cluster definition of the built-in library by id
CLUSTERS: Mapping[int, ClusterDef] = {
    c.id: c
    for c in (
        BASIC,
        POWER_CONFIGURATION,
        DEVICE_TEMPERATURE,
        IDENTIFY,
        GROUPS,
        SCENES,
        ON_OFF,
        LEVEL_CONTROL,
        TIME,
        OTA_UPGRADE,
        POLL_CONTROL,
        DOOR_LOCK,
        THERMOSTAT,
        COLOR_CONTROL,
        ILLUMINANCE_MEASUREMENT,
        TEMPERATURE_MEASUREMENT,
        PRESSURE_MEASUREMENT,
        RELATIVE_HUMIDITY,
        OCCUPANCY_SENSING,
        IAS_ZONE,
        IAS_WD,
        METERING,
        ELECTRICAL_MEASUREMENT,
    )
}
