"""Energy: Metering (0x0702, Smart Energy / ZCL 10.4) and Electrical Measurement (0x0B04,
ZCL 4.9).

Ids and types follow the specifications and Wireshark's ``packet-zbee-zcl-se.c`` /
``packet-zbee-zcl-meas-sensing.c``. Definitions only: the application (a smart plug's
"meter") sets the values; reporting does the rest.
"""

from __future__ import annotations

from zigmesh.zcl.definitions import Access, AttributeDef, ClusterDef
from zigmesh.zcl.types import DataType

__all__ = ["METERING", "ELECTRICAL_MEASUREMENT"]

T = DataType
A = Access

METERING = ClusterDef(
    0x0702,
    "metering",
    (
        AttributeDef(0x0000, "current_summation_delivered", T.UINT48, A.RP),
        AttributeDef(0x0200, "status", T.MAP8, A.RP),
        AttributeDef(0x0300, "unit_of_measure", T.ENUM8),  # 0: kW / kWh
        AttributeDef(0x0301, "multiplier", T.UINT24, default=1),
        AttributeDef(0x0302, "divisor", T.UINT24, default=1000),
        AttributeDef(0x0303, "summation_formatting", T.MAP8, default=0x2B),
        AttributeDef(0x0306, "metering_device_type", T.MAP8),
        AttributeDef(0x0400, "instantaneous_demand", T.INT24, A.RP),
    ),
)

ELECTRICAL_MEASUREMENT = ClusterDef(
    0x0B04,
    "electrical_measurement",
    (
        AttributeDef(0x0000, "measurement_type", T.MAP32, default=0x00000008),
        AttributeDef(0x0505, "rms_voltage", T.UINT16, A.RP, 230),
        AttributeDef(0x0508, "rms_current", T.UINT16, A.RP),
        AttributeDef(0x050B, "active_power", T.INT16, A.RP),
        AttributeDef(0x0600, "ac_voltage_multiplier", T.UINT16, default=1),
        AttributeDef(0x0601, "ac_voltage_divisor", T.UINT16, default=1),
        AttributeDef(0x0602, "ac_current_multiplier", T.UINT16, default=1),
        AttributeDef(0x0603, "ac_current_divisor", T.UINT16, default=1000),
        AttributeDef(0x0604, "ac_power_multiplier", T.UINT16, default=1),
        AttributeDef(0x0605, "ac_power_divisor", T.UINT16, default=1),
    ),
)
