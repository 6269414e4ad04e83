"""The application framework in one import: endpoints running ZCL, cluster definitions and
behaviours, device types (DESIGN.md convention 9; the code lives in :mod:`zigmesh.zcl`).

```python
from zigmesh.app import DIMMABLE_LIGHT, DIMMER_SWITCH, Destination

light = DIMMABLE_LIGHT.create(world["lamp"], 11)       # a ZclEndpoint on endpoint 11
switch = DIMMER_SWITCH.create(world["switch"], 1)
p = switch.clients[0x0006].command(Destination.short(world["lamp"].network_address, 11), "on")
world.run_until(p)
assert light.servers[0x0006]["on_off"] is True
```

A custom cluster is a :class:`ClusterDef` (plus a :class:`ServerCluster` subclass when it has
behaviour) and a custom device a :class:`DeviceType`: see ``examples/custom_cluster.py``.
"""

from __future__ import annotations

from zigmesh.zcl.cluster import (
    NO_RESPONSE,
    ClientCluster,
    Handler,
    HandlerResult,
    Reply,
    Request,
    ServerCluster,
)
from zigmesh.zcl.clusters.closures import DOOR_LOCK, DoorLock, LockState
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF, LevelControl, OnOff
from zigmesh.zcl.clusters.device import (
    DEVICE_TEMPERATURE,
    POLL_CONTROL,
    TIME,
    PollControl,
    Time,
)
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
from zigmesh.zcl.clusters.hvac import THERMOSTAT, SystemMode, Thermostat
from zigmesh.zcl.clusters.lighting import COLOR_CONTROL, ColorControl, ColorMode
from zigmesh.zcl.clusters.measurement import (
    ILLUMINANCE_MEASUREMENT,
    OCCUPANCY_SENSING,
    PRESSURE_MEASUREMENT,
    RELATIVE_HUMIDITY,
    TEMPERATURE_MEASUREMENT,
)
from zigmesh.zcl.clusters.ota import OTA_UPGRADE, OtaClient, OtaImage, OtaServer, ota_image
from zigmesh.zcl.clusters.scenes import SCENES, Scenes
from zigmesh.zcl.clusters.security import (
    IAS_WD,
    IAS_ZONE,
    IasCie,
    IasWd,
    IasZone,
    ZoneAlarm,
    ZoneType,
)
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
    manufacturer_cluster,
)
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import (
    CLUSTERS,
    COLOR_DIMMER_SWITCH,
    COLOR_TEMPERATURE_LIGHT,
    CONTACT_SENSOR,
    DEVICE_TYPES,
    DIMMABLE_LIGHT,
    DIMMER_SWITCH,
    DOOR_LOCK_CONTROLLER,
    DOOR_LOCK_DEVICE,
    EXTENDED_COLOR_LIGHT,
    MOTION_SENSOR,
    OCCUPANCY_SENSOR,
    ON_OFF_LIGHT,
    ON_OFF_SWITCH,
    SMART_PLUG,
    TEMPERATURE_HUMIDITY_SENSOR,
    TEMPERATURE_SENSOR,
    THERMOSTAT_DEVICE,
    WARNING_DEVICE,
    DeviceType,
)
from zigmesh.zcl.engine import HA, ZclEndpoint, ZclEvent, ZclResult, ZclStats
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.reporting import ReceivedReport, ReportTimeout
from zigmesh.zcl.types import DataType

__all__ = [
    "HA",
    "Access",
    "Args",
    "AttributeDef",
    "ClusterDef",
    "CommandDef",
    "Field",
    "FieldKind",
    "CLIENT_TO_SERVER",
    "SERVER_TO_CLIENT",
    "manufacturer_cluster",
    "DataType",
    "ZclStatus",
    "ServerCluster",
    "ClientCluster",
    "Request",
    "Reply",
    "NO_RESPONSE",
    "Handler",
    "HandlerResult",
    "ZclEndpoint",
    "ZclResult",
    "ZclEvent",
    "ZclStats",
    "Destination",
    "ReceivedReport",
    "ReportTimeout",
    "DeviceType",
    "DEVICE_TYPES",
    "CLUSTERS",
    "ON_OFF_LIGHT",
    "DIMMABLE_LIGHT",
    "ON_OFF_SWITCH",
    "DIMMER_SWITCH",
    "TEMPERATURE_SENSOR",
    "TEMPERATURE_HUMIDITY_SENSOR",
    "OCCUPANCY_SENSOR",
    "CONTACT_SENSOR",
    "MOTION_SENSOR",
    "COLOR_TEMPERATURE_LIGHT",
    "EXTENDED_COLOR_LIGHT",
    "COLOR_DIMMER_SWITCH",
    "SMART_PLUG",
    "WARNING_DEVICE",
    "DOOR_LOCK_DEVICE",
    "DOOR_LOCK_CONTROLLER",
    "THERMOSTAT_DEVICE",
    "BASIC",
    "POWER_CONFIGURATION",
    "IDENTIFY",
    "GROUPS",
    "SCENES",
    "ON_OFF",
    "LEVEL_CONTROL",
    "COLOR_CONTROL",
    "ILLUMINANCE_MEASUREMENT",
    "TEMPERATURE_MEASUREMENT",
    "PRESSURE_MEASUREMENT",
    "RELATIVE_HUMIDITY",
    "OCCUPANCY_SENSING",
    "IAS_ZONE",
    "IAS_WD",
    "DEVICE_TEMPERATURE",
    "TIME",
    "POLL_CONTROL",
    "DOOR_LOCK",
    "THERMOSTAT",
    "METERING",
    "Metering",
    "OTA_UPGRADE",
    "OtaServer",
    "OtaClient",
    "OtaImage",
    "ota_image",
    "ELECTRICAL_MEASUREMENT",
    "ElectricalMeasurement",
    "Basic",
    "Identify",
    "Groups",
    "PowerConfiguration",
    "OnOff",
    "LevelControl",
    "Scenes",
    "ColorControl",
    "ColorMode",
    "IasZone",
    "IasCie",
    "IasWd",
    "ZoneAlarm",
    "ZoneType",
    "Time",
    "PollControl",
    "DoorLock",
    "LockState",
    "Thermostat",
    "SystemMode",
]
