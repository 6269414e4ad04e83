"""Measurement and sensing clusters (ZCL rev 7/8 chapter 4): Illuminance (0x0400),
Temperature (0x0402), Pressure (0x0403), Relative Humidity (0x0405), Occupancy Sensing
(0x0406).

Ids and types follow the ZCL specification and Wireshark's
``packet-zbee-zcl-meas-sensing.c``. These clusters have no commands: a plain
``ServerCluster(TEMPERATURE_MEASUREMENT)`` is the whole server, its application sets
``measured_value`` and the reporting engine does the rest. MeasuredValue defaults to the
type's invalid value ("unknown"), as the specification asks until a first measurement.
"""

from __future__ import annotations

from zigmesh.zcl.definitions import Access, AttributeDef, ClusterDef
from zigmesh.zcl.types import DataType

__all__ = [
    "ILLUMINANCE_MEASUREMENT",
    "TEMPERATURE_MEASUREMENT",
    "PRESSURE_MEASUREMENT",
    "RELATIVE_HUMIDITY",
    "OCCUPANCY_SENSING",
]

T = DataType
A = Access


def _measured(
    cluster_id: int, name: str, dtype: DataType, invalid: int, lo: int, hi: int
) -> ClusterDef:
    return ClusterDef(
        cluster_id,
        name,
        (
            AttributeDef(0x0000, "measured_value", dtype, A.RP, invalid),
            AttributeDef(0x0001, "min_measured_value", dtype, A.READ, lo),
            AttributeDef(0x0002, "max_measured_value", dtype, A.READ, hi),
            AttributeDef(0x0003, "tolerance", T.UINT16, A.RP),
        ),
    )


#: MeasuredValue = 10,000 x log10(lux) + 1
ILLUMINANCE_MEASUREMENT = ClusterDef(
    0x0400,
    "illuminance_measurement",
    (
        *_measured(0x0400, "illuminance_measurement", T.UINT16, 0xFFFF, 1, 0xFFFE).attributes,
        AttributeDef(0x0004, "light_sensor_type", T.ENUM8, A.READ, 0xFF),
    ),
)
#: MeasuredValue in 0.01 degC (-273.15 .. 327.67)
TEMPERATURE_MEASUREMENT = _measured(
    0x0402, "temperature_measurement", T.INT16, -0x8000, -27315, 0x7FFF
)
#: MeasuredValue in kPa x 10
PRESSURE_MEASUREMENT = _measured(0x0403, "pressure_measurement", T.INT16, -0x8000, -0x7FFF, 0x7FFF)
#: MeasuredValue in 0.01 % (0 .. 100.00)
RELATIVE_HUMIDITY = _measured(0x0405, "relative_humidity", T.UINT16, 0xFFFF, 0, 10000)

OCCUPANCY_SENSING = ClusterDef(
    0x0406,
    "occupancy_sensing",
    (
        AttributeDef(0x0000, "occupancy", T.MAP8, A.RP),
        AttributeDef(0x0001, "occupancy_sensor_type", T.ENUM8),
        AttributeDef(0x0002, "occupancy_sensor_type_bitmap", T.MAP8, default=0x01),
        AttributeDef(0x0010, "pir_occupied_to_unoccupied_delay", T.UINT16, A.RW),
        AttributeDef(0x0011, "pir_unoccupied_to_occupied_delay", T.UINT16, A.RW),
        AttributeDef(0x0012, "pir_unoccupied_to_occupied_threshold", T.UINT8, A.RW, 1, 1, 0xFE),
    ),
)
