"""Wireshark cross-check of the ZCL header, data types and every foundation command.

One pcap holds one frame per profile-wide command (ZCL Table 2-3) on real clusters (On/Off
0x0006, Basic 0x0000, Temperature Measurement 0x0402), both directions, with and without a
manufacturer code, plus frames carrying a value of every data type (Table 2-10). tshark must
flag nothing as malformed and its ``zbee_zcl`` fields must equal what we encoded.

Wireshark 4.0 quirks worked around here (not bugs of ours):
* cluster dissectors (On/Off, Basic, Temperature) use their own attribute-id field and dissect
  known attributes with the spec type, so values of arbitrary types go in manufacturer-specific
  frames, which Wireshark dissects with the generic ``zbee_zcl.attr.*`` fields;
* Discover Attributes Extended Response: Wireshark dissects a value after each data type and
  reads the access control octet from offset 0, so its records use types without a value
  (nodata, struct, unknown) and the access control is not compared;
* Discover Commands Received / Generated Response: Wireshark lists the command ids only when
  discovery is incomplete;
* Write Attributes Structured (+ Response): Wireshark reads the selector indicator from
  offset 0 (the index fields are right);
* structures are not dissected by Wireshark (it reads their bytes as a further record).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.framing import over_air_zcl
from tests.tshark import assert_no_malformed, require_tshark, tshark_fields
from zigmesh.capture.pcap import write_pcap
from zigmesh.types import EUI64
from zigmesh.zcl.foundation import (
    AttributeAccess,
    AttributeRecord,
    ConfigureReporting,
    ConfigureReportingResponse,
    DefaultResponse,
    DiscoverAttributes,
    DiscoverAttributesExtended,
    DiscoverAttributesExtendedResponse,
    DiscoverAttributesResponse,
    DiscoverCommandsGenerated,
    DiscoverCommandsGeneratedResponse,
    DiscoverCommandsReceived,
    DiscoverCommandsReceivedResponse,
    DiscoveredAttribute,
    DiscoveredAttributeExtended,
    FoundationCommand,
    FoundationPayload,
    ReadAttributes,
    ReadAttributesResponse,
    ReadAttributesStructured,
    ReadAttributeStatusRecord,
    ReadReportingConfigRecord,
    ReadReportingConfiguration,
    ReadReportingConfigurationResponse,
    ReadStructuredRecord,
    ReceivedAttributeConfig,
    ReportAttributes,
    ReportedAttributeConfig,
    ReportingDirection,
    ReportingStatusRecord,
    Selector,
    WriteAttributes,
    WriteAttributesNoResponse,
    WriteAttributesResponse,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    WriteAttributeStatusRecord,
    WriteAttributesUndivided,
    WriteStructuredRecord,
    WriteStructuredStatusRecord,
    ZclStatus,
    decode_foundation,
    foundation_frame,
)
from zigmesh.zcl.frame import Direction, ZclFrame
from zigmesh.zcl.types import (
    DataType,
    Date,
    TimeOfDay,
    TypedValue,
    ZclArray,
    ZclStruct,
    ZclValue,
    encode_value,
)

T = DataType
C2S = Direction.CLIENT_TO_SERVER
S2C = Direction.SERVER_TO_CLIENT
ON_OFF, BASIC, TEMPERATURE = 0x0006, 0x0000, 0x0402
MFR = 0x1234  # any code without a manufacturer-specific Wireshark cluster dissector

#: Attribute-id field per cluster dissector (generic field in manufacturer-specific frames)
ATTR_ID_FIELD = {
    ON_OFF: "zbee_zcl_general.onoff.attr_id",
    BASIC: "zbee_zcl_general.basic.attr_id",
    TEMPERATURE: "zbee_zcl_meas_sensing.tempmeas.attr_idd",
}
GENERIC_ATTR_ID = "zbee_zcl.attr.id"

HEADER_FIELDS = [
    "zbee_zcl.type",
    "zbee_zcl.ms",
    "zbee_zcl.dir",
    "zbee_zcl.ddr",
    "zbee_zcl.cmd.mc",
    "zbee_zcl.cmd.tsn",
    "zbee_zcl.cmd.id",
]


def h8(v: int) -> str:
    return f"0x{v:02x}"


def h16(v: int) -> str:
    return f"0x{v:04x}"


_ZCL_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def generic_value_fields(dt: DataType, v: ZclValue) -> list[tuple[str, str]]:
    """The generic ``zbee_zcl.attr.*`` fields Wireshark shows for value ``v`` of type ``dt``."""
    if dt in (T.NODATA, T.UNKNOWN, T.STRUCT):
        return []
    if 0x08 <= dt <= 0x0F or dt in (T.SEMI, T.BAC_OID, T.EUI64, T.KEY128):
        return [("zbee_zcl.attr.bytes", encode_value(dt, v).hex())]
    assert not isinstance(v, (TimeOfDay, Date, ZclStruct))
    if dt == T.BOOL:
        return [("zbee_zcl.attr.boolean", str(int(v)))]  # type: ignore[arg-type]
    if 0x18 <= dt <= 0x1F:
        n = dt - 0x17
        digits = 2 * n if n <= 4 else 16
        return [(f"zbee_zcl.attr.bitmap{8 * n}", f"0x{v:0{digits}x}")]
    if 0x20 <= dt <= 0x27:
        return [(f"zbee_zcl.attr.uint{8 * (dt - 0x1F)}", str(v))]
    if 0x28 <= dt <= 0x2F:
        bits = 8 * (dt - 0x27)
        return [(f"zbee_zcl.attr.int{bits if bits <= 32 else 64}", str(v))]
    if dt == T.ENUM8:
        return [("zbee_zcl.attr.uint8", str(v))]
    if dt == T.ENUM16:
        return [("zbee_zcl.attr.uint16", str(v))]
    if dt in (T.SINGLE, T.DOUBLE):
        return [("zbee_zcl.attr.float", repr(v))]
    if dt in (T.OCTSTR, T.OCTSTR16):
        assert isinstance(v, bytes)
        return [("zbee_zcl.attr.ostr", v.hex(":"))]
    if dt in (T.STRING, T.STRING16):
        return [("zbee_zcl.attr.str", str(v))]
    if dt in (T.ARRAY, T.SET, T.BAG):
        assert isinstance(v, ZclArray) and v.items is not None
        kind = {T.ARRAY: "array", T.SET: "set", T.BAG: "bag"}[dt]
        out = [
            (f"zbee_zcl.attr.{kind}.elements_type", h8(v.element_type)),
            (f"zbee_zcl.attr.{kind}.elements_num", str(len(v.items))),
        ]
        for item in v.items:
            out += generic_value_fields(v.element_type, item)
        return out
    if dt == T.UTC:
        assert isinstance(v, int)
        t = _ZCL_EPOCH + datetime.timedelta(seconds=v)
        return [("zbee_zcl.attr.utc", t.strftime("%b %d, %Y %H:%M:%S.000000000 UTC"))]
    if dt == T.CLUSTER_ID:
        return [("zbee_zcl.attr.cid", h16(v))]  # type: ignore[arg-type]
    if dt == T.ATTRIB_ID:
        return [(GENERIC_ATTR_ID, h16(v))]  # type: ignore[arg-type]
    raise AssertionError(dt)


def tod_date_fields(dt: DataType, v: ZclValue) -> list[tuple[str, str]]:
    if isinstance(v, TimeOfDay):
        names = ("hours", "mins", "secs", "csecs")
        vals = (v.hours, v.minutes, v.seconds, v.hundredths)
    elif isinstance(v, Date):
        names = ("yy", "mm", "md", "wd")
        vals = (v.year - 1900, v.month, v.day, v.day_of_week)
    else:
        return generic_value_fields(dt, v)
    return [(f"zbee_zcl.attr.{n}", str(x)) for n, x in zip(names, vals, strict=True)]


@dataclass
class Case:
    name: str
    cluster: int
    command: FoundationPayload
    tsn: int
    direction: Direction = C2S
    manufacturer_code: int | None = None
    disable_default_response: bool = False
    expect: dict[str, list[str]] = field(default_factory=dict)

    def frame(self) -> ZclFrame:
        return foundation_frame(
            self.command,
            self.tsn,
            self.direction,
            self.manufacturer_code,
            self.disable_default_response,
        )

    @property
    def attr_field(self) -> str:
        return (
            GENERIC_ATTR_ID if self.manufacturer_code is not None else ATTR_ID_FIELD[self.cluster]
        )

    def add(self, name: str, value: str) -> None:
        self.expect.setdefault(name, []).append(value)

    def add_value(self, dt: DataType, v: ZclValue) -> None:
        for name, s in tod_date_fields(dt, v):
            self.add(name, s)


# Values of every data type (ZCL Table 2-10); grouped into frames that fit one MPDU.
EVERY_TYPE: list[tuple[DataType, ZclValue]] = [
    (T.NODATA, None),
    (T.DATA8, 0x12),
    (T.DATA16, 0x1234),
    (T.DATA24, 0x123456),
    (T.DATA32, 0x12345678),
    (T.DATA40, 0x1234567890),
    (T.DATA48, 0x123456789012),
    (T.DATA56, 0x12345678901234),
    (T.DATA64, 0x1234567890123456),
    (T.BOOL, True),
    (T.MAP8, 0xA5),
    (T.MAP16, 0xA55A),
    (T.MAP24, 0xA55AA5),
    (T.MAP32, 0xDEADBEEF),
    (T.MAP40, 0x0102030405),
    (T.MAP48, 0x010203040506),
    (T.MAP56, 0x01020304050607),
    (T.MAP64, 0x0102030405060708),
    (T.UINT8, 200),
    (T.UINT16, 60000),
    (T.UINT24, 0xFEDCBA),
    (T.UINT32, 4_000_000_000),
    (T.UINT40, 2**39 + 5),
    (T.UINT48, 2**47 + 5),
    (T.UINT56, 2**55 + 5),
    (T.UINT64, 2**63 + 5),
    (T.INT8, -100),
    (T.INT16, -30000),
    (T.INT24, -8_000_000),
    (T.INT32, -2_000_000_000),
    (T.INT40, -(2**38)),
    (T.INT48, -(2**46)),
    (T.INT56, -(2**54)),
    (T.INT64, -(2**62)),
    (T.ENUM8, 7),
    (T.ENUM16, 0x1234),
    (T.SEMI, 1.5),
    (T.SINGLE, 3.25),
    (T.DOUBLE, -2.5),
    (T.OCTSTR, b"\x01\x02"),
    (T.STRING, "abc"),
    (T.OCTSTR16, b"\x03\x04\x05"),
    (T.STRING16, "xyz"),
    (T.ARRAY, ZclArray(T.UINT8, (1, 2, 3))),
    (T.SET, ZclArray(T.UINT16, (4, 5))),
    (T.BAG, ZclArray(T.INT8, (-1,))),
    (T.TOD, TimeOfDay(13, 45, 30, 99)),
    (T.DATE, Date(2024, 5, 17, 5)),
    (T.UTC, 760_000_000),
    (T.CLUSTER_ID, 0x0402),
    (T.ATTRIB_ID, 0x4001),
    (T.BAC_OID, 0x01020304),
    (T.EUI64, EUI64(0x00124B0001020304)),
    (T.KEY128, bytes(range(16))),
    (T.UNKNOWN, None),
]
# Wireshark does not dissect structures and goes on reading their bytes as the next attribute
# record: a one-element struct (count 0x0001, element type, element value) shows as attribute
# 0x0001 with that type and value, which checks our struct layout all the same.
A_STRUCT = ZclStruct((TypedValue(T.STRING, "zigmesh"),))
assert {t for t, _ in EVERY_TYPE} | {T.STRUCT} == set(DataType)


def _every_type_frames(first_tsn: int) -> list[Case]:
    groups: list[list[AttributeRecord]] = [[]]
    size = 0
    for i, (dt, v) in enumerate(EVERY_TYPE):
        rec = AttributeRecord(0x5000 + i, dt, v)
        n = len(WriteAttributes((rec,)).encode())
        if size + n > 88:
            groups.append([])
            size = 0
        groups[-1].append(rec)
        size += n
    cases = []
    for k, g in enumerate(groups):
        # alternate between the four commands that carry attribute records
        cls = (
            WriteAttributes,
            ReportAttributes,
            WriteAttributesUndivided,
            WriteAttributesNoResponse,
        )[k % 4]
        c = Case(f"every type #{k}", BASIC, cls(tuple(g)), first_tsn + k, manufacturer_code=MFR)
        if cls is ReportAttributes:
            c.direction = S2C
        for rec in g:
            c.add(GENERIC_ATTR_ID, h16(rec.attribute_id))
            c.add("zbee_zcl.attr.data.type", h8(rec.data_type))
            c.add_value(rec.data_type, rec.value)
        cases.append(c)
    return cases


def build_cases() -> list[Case]:
    cases: list[Case] = []

    # 0x00 Read Attributes (On/Off, client -> server)
    c = Case("read attributes", ON_OFF, ReadAttributes((0x0000, 0x4000, 0x4001, 0x4002)), 10)
    for a in (0x0000, 0x4000, 0x4001, 0x4002):
        c.add(c.attr_field, h16(a))
    cases.append(c)

    # 0x01 Read Attributes Response: the benchmark shape (uint8, int16, string) + a failure,
    # manufacturer specific so the generic value fields apply
    rar = ReadAttributesResponse(
        (
            ReadAttributeStatusRecord(0x0000, ZclStatus.SUCCESS, T.UINT8, 3),
            ReadAttributeStatusRecord(0x0001, ZclStatus.SUCCESS, T.INT16, -1234),
            ReadAttributeStatusRecord(0x0005, ZclStatus.SUCCESS, T.STRING, "zigmesh-bulb"),
            ReadAttributeStatusRecord(0x0006, ZclStatus.UNSUPPORTED_ATTRIBUTE),
        )
    )
    c = Case("read attributes response (mfr)", BASIC, rar, 11, S2C, manufacturer_code=MFR)
    for r in rar.records:
        c.add(c.attr_field, h16(r.attribute_id))
        c.add("zbee_zcl.attr.status", h8(r.status))
        if r.data_type is not None:
            c.add("zbee_zcl.attr.data.type", h8(r.data_type))
            c.add_value(r.data_type, r.value)
    cases.append(c)

    # 0x01 on the Basic cluster itself (Wireshark's Basic dissector)
    rar = ReadAttributesResponse(
        (
            ReadAttributeStatusRecord(0x0000, ZclStatus.SUCCESS, T.UINT8, 8),  # ZCLVersion
            ReadAttributeStatusRecord(0x0004, ZclStatus.SUCCESS, T.STRING, "zigmesh"),
            ReadAttributeStatusRecord(0x0005, ZclStatus.SUCCESS, T.STRING, "bulb"),
            ReadAttributeStatusRecord(0x0007, ZclStatus.SUCCESS, T.ENUM8, 0x01),  # PowerSource
            ReadAttributeStatusRecord(0x4000, ZclStatus.UNSUPPORTED_ATTRIBUTE),
        )
    )
    c = Case("read attributes response (basic)", BASIC, rar, 12, S2C, disable_default_response=True)
    for r in rar.records:
        c.add(c.attr_field, h16(r.attribute_id))
        c.add("zbee_zcl.attr.status", h8(r.status))
        if r.data_type is not None:
            c.add("zbee_zcl.attr.data.type", h8(r.data_type))
    c.expect["zbee_zcl.attr.str"] = ["zigmesh", "bulb"]
    c.expect["zbee_zcl_general.basic.attr.pwr_src"] = ["0x01"]
    cases.append(c)

    # 0x02 / 0x03 / 0x05 Write Attributes on On/Off (OnTime, OffWaitTime: uint16)
    for k, cls in enumerate((WriteAttributes, WriteAttributesUndivided, WriteAttributesNoResponse)):
        recs = (
            AttributeRecord(0x4001, T.UINT16, 100 + k),
            AttributeRecord(0x4002, T.UINT16, 200 + k),
        )
        c = Case(f"{cls.__name__} (on/off)", ON_OFF, cls(recs), 13 + k)
        for r in recs:
            c.add(c.attr_field, h16(r.attribute_id))
            c.add("zbee_zcl.attr.data.type", h8(r.data_type))
        c.expect["zbee_zcl_general.onoff.attr.ontime"] = [str(100 + k)]
        cases.append(c)

    # 0x04 Write Attributes Response: short form and failure records
    c = Case("write attributes response (success)", ON_OFF, WriteAttributesResponse(), 16, S2C)
    c.expect["zbee_zcl.attr.status"] = ["0x00"]
    cases.append(c)
    war = WriteAttributesResponse(
        (
            WriteAttributeStatusRecord(ZclStatus.READ_ONLY, 0x0000),
            WriteAttributeStatusRecord(ZclStatus.INVALID_VALUE, 0x4001),
        )
    )
    c = Case("write attributes response (failures)", ON_OFF, war, 17, S2C)
    c.expect["zbee_zcl.attr.status"] = [h8(r.status) for r in war.records]
    c.expect[c.attr_field] = [h16(r.attribute_id) for r in war.records]
    cases.append(c)

    # 0x06 Configure Reporting on Temperature: analog (change present) + received (timeout)
    cr = ConfigureReporting(
        (
            ReportedAttributeConfig(0x0000, T.INT16, 10, 300, 50),
            ReceivedAttributeConfig(0x0001, 600),
        )
    )
    c = Case("configure reporting (temperature)", TEMPERATURE, cr, 18)
    c.expect = {
        "zbee_zcl.attr.dir": ["0x00", "0x01"],
        c.attr_field: ["0x0000", "0x0001"],
        "zbee_zcl.attr.data.type": ["0x29"],
        "zbee_zcl.attr.minint": ["10"],
        "zbee_zcl.attr.maxint": ["300"],
        "zbee_zcl.attr.timeout": ["600"],
        "zbee_zcl_meas_sensing.tempmeas.attr.value": ["50"],  # the reportable change
    }
    cases.append(c)
    # ... and discrete (no reportable change) on On/Off
    cr = ConfigureReporting((ReportedAttributeConfig(0x0000, T.BOOL, 0, 3600),))
    c = Case("configure reporting (on/off, discrete)", ON_OFF, cr, 19)
    c.expect = {
        "zbee_zcl.attr.dir": ["0x00"],
        c.attr_field: ["0x0000"],
        "zbee_zcl.attr.data.type": ["0x10"],
        "zbee_zcl.attr.minint": ["0"],
        "zbee_zcl.attr.maxint": ["3600"],
    }
    cases.append(c)
    # ... and manufacturer specific with a generic analog change value
    cr = ConfigureReporting((ReportedAttributeConfig(0x4010, T.UINT32, 1, 60, 1000),))
    c = Case("configure reporting (mfr)", TEMPERATURE, cr, 20, manufacturer_code=MFR)
    c.expect = {
        c.attr_field: ["0x4010"],
        "zbee_zcl.attr.uint32": ["1000"],
        "zbee_zcl.attr.minint": ["1"],
        "zbee_zcl.attr.maxint": ["60"],
    }
    cases.append(c)

    # 0x07 Configure Reporting Response: short form and status records
    c = Case(
        "configure reporting response (success)", TEMPERATURE, ConfigureReportingResponse(), 21, S2C
    )
    c.expect["zbee_zcl.attr.status"] = ["0x00"]
    cases.append(c)
    crr = ConfigureReportingResponse(
        (
            ReportingStatusRecord(
                ZclStatus.UNREPORTABLE_ATTRIBUTE, ReportingDirection.REPORTED, 0x0003
            ),
            ReportingStatusRecord(
                ZclStatus.UNSUPPORTED_ATTRIBUTE, ReportingDirection.RECEIVED, 0x0001
            ),
        )
    )
    c = Case("configure reporting response (failures)", TEMPERATURE, crr, 22, S2C)
    c.expect = {
        "zbee_zcl.attr.status": ["0x8c", "0x86"],
        "zbee_zcl.attr.dir": ["0x00", "0x01"],
        c.attr_field: ["0x0003", "0x0001"],
    }
    cases.append(c)

    # 0x08 Read Reporting Configuration
    rrc = ReadReportingConfiguration(
        (
            ReadReportingConfigRecord(ReportingDirection.REPORTED, 0x0000),
            ReadReportingConfigRecord(ReportingDirection.RECEIVED, 0x0001),
        )
    )
    c = Case("read reporting configuration", TEMPERATURE, rrc, 23)
    c.expect = {"zbee_zcl.attr.dir": ["0x00", "0x01"], c.attr_field: ["0x0000", "0x0001"]}
    cases.append(c)

    # 0x09 Read Reporting Configuration Response (success both ways + failure)
    rrcr = ReadReportingConfigurationResponse(
        (
            ReportedAttributeConfig(0x0000, T.INT16, 5, 600, 25),
            ReceivedAttributeConfig(0x0001, 900),
            ReportingStatusRecord(ZclStatus.NOT_FOUND, ReportingDirection.REPORTED, 0x0002),
        )
    )
    c = Case("read reporting configuration response", TEMPERATURE, rrcr, 24, S2C)
    c.expect = {
        "zbee_zcl.attr.status": ["0x00", "0x00", "0x8b"],
        "zbee_zcl.attr.dir": ["0x00", "0x01", "0x00"],
        c.attr_field: ["0x0000", "0x0001", "0x0002"],
        "zbee_zcl.attr.data.type": ["0x29"],
        "zbee_zcl.attr.minint": ["5"],
        "zbee_zcl.attr.maxint": ["600"],
        "zbee_zcl.attr.timeout": ["900"],
        "zbee_zcl_meas_sensing.tempmeas.attr.value": ["25"],  # the reportable change
    }
    cases.append(c)

    # 0x0a Report Attributes (Temperature MeasuredValue int16, server -> client)
    ra = ReportAttributes(
        (AttributeRecord(0x0000, T.INT16, 2150), AttributeRecord(0x0003, T.UINT16, 20))
    )
    c = Case(
        "report attributes (temperature)", TEMPERATURE, ra, 25, S2C, disable_default_response=True
    )
    c.expect = {
        c.attr_field: ["0x0000", "0x0003"],
        "zbee_zcl.attr.data.type": ["0x29", "0x21"],
        "zbee_zcl_meas_sensing.tempmeas.attr.value": ["2150"],
        "zbee_zcl_meas_sensing.tempmeas.attr.tolerance": ["20"],
    }
    cases.append(c)

    # 0x0b Default Response (both directions)
    c = Case("default response", ON_OFF, DefaultResponse(0x01, ZclStatus.SUCCESS), 26, S2C)
    c.expect = {"zbee_zcl.cmd.id.rsp": ["0x01"], "zbee_zcl.attr.status": ["0x00"]}
    cases.append(c)
    c = Case(
        "default response (mfr, c->s)",
        ON_OFF,
        DefaultResponse(0x0A, ZclStatus.MALFORMED_COMMAND),
        27,
        manufacturer_code=MFR,
    )
    c.expect = {"zbee_zcl.cmd.id.rsp": ["0x0a"], "zbee_zcl.attr.status": ["0x80"]}
    cases.append(c)

    # 0x0c / 0x0d Discover Attributes (+ response)
    c = Case("discover attributes", ON_OFF, DiscoverAttributes(0x0000, 16), 28)
    c.expect = {"zbee_zcl.attr.start": ["0x0000"], "zbee_zcl.attr.maxnum": ["16"]}
    cases.append(c)
    dar = DiscoverAttributesResponse(
        True,
        (
            DiscoveredAttribute(0x0000, T.BOOL),
            DiscoveredAttribute(0x4000, T.BOOL),
            DiscoveredAttribute(0x4001, T.UINT16),
            DiscoveredAttribute(0x4003, T.ENUM8),
        ),
    )
    c = Case("discover attributes response", ON_OFF, dar, 29, S2C)
    c.expect = {
        c.attr_field: [h16(r.attribute_id) for r in dar.records],
        "zbee_zcl.attr.data.type": [h8(r.data_type) for r in dar.records],
    }
    cases.append(c)

    # 0x0e / 0x0f / 0x10 structured access (Basic, manufacturer specific array attribute)
    ras = ReadAttributesStructured(
        (ReadStructuredRecord(0x4020, Selector((2,))), ReadStructuredRecord(0x4021, Selector()))
    )
    c = Case("read attributes structured", BASIC, ras, 30, manufacturer_code=MFR)
    c.expect = {
        c.attr_field: ["0x4020", "0x4021"],
        "zbee_zcl.attr.ind": ["1", "0"],
        "zbee_zcl.attr.index": ["2"],
    }
    cases.append(c)
    was = WriteAttributesStructured((WriteStructuredRecord(0x4020, Selector((3,)), T.UINT8, 42),))
    c = Case("write attributes structured", BASIC, was, 31, manufacturer_code=MFR)
    c.expect = {
        c.attr_field: ["0x4020"],
        "zbee_zcl.attr.data.type": ["0x20"],
        "zbee_zcl.attr.uint8": ["42"],
    }
    cases.append(c)
    c = Case(
        "write attributes structured response (success)",
        BASIC,
        WriteAttributesStructuredResponse(),
        32,
        S2C,
        manufacturer_code=MFR,
    )
    c.expect = {"zbee_zcl.attr.status": ["0x00"]}
    cases.append(c)
    wasr = WriteAttributesStructuredResponse(
        (WriteStructuredStatusRecord(ZclStatus.INVALID_SELECTOR, 0x4020, Selector((7,))),)
    )
    c = Case(
        "write attributes structured response (failure)",
        BASIC,
        wasr,
        33,
        S2C,
        manufacturer_code=MFR,
    )
    c.expect = {"zbee_zcl.attr.status": ["0x8e"], c.attr_field: ["0x4020"]}
    cases.append(c)

    # 0x11..0x14 Discover Commands Received / Generated (+ responses)
    c = Case("discover commands received", ON_OFF, DiscoverCommandsReceived(0x00, 10), 34)
    c.expect = {"zbee_zcl.cmd.start": ["0x00"], "zbee_zcl.cmd.maxnum": ["0x0a"]}
    cases.append(c)
    dcr = DiscoverCommandsReceivedResponse(False, (0x00, 0x01, 0x02, 0x40, 0x41, 0x42))
    c = Case("discover commands received response", ON_OFF, dcr, 35, S2C)
    c.expect = {
        "zbee_zcl.attr.dis": ["0x00"],
        "zbee_zcl.cs.cmd.id": [h8(x) for x in dcr.command_ids],
    }
    cases.append(c)
    c = Case("discover commands generated", ON_OFF, DiscoverCommandsGenerated(0x05, 4), 36, S2C)
    c.expect = {"zbee_zcl.cmd.start": ["0x05"], "zbee_zcl.cmd.maxnum": ["0x04"]}
    cases.append(c)
    dcg = DiscoverCommandsGeneratedResponse(True, ())
    c = Case("discover commands generated response", ON_OFF, dcg, 37, C2S, manufacturer_code=MFR)
    c.expect = {"zbee_zcl.attr.dis": ["0x01"]}
    cases.append(c)

    # 0x15 / 0x16 Discover Attributes Extended (+ response)
    c = Case("discover attributes extended", TEMPERATURE, DiscoverAttributesExtended(0x0000, 8), 38)
    c.expect = {"zbee_zcl.attr.start": ["0x0000"], "zbee_zcl.attr.maxnum": ["8"]}
    cases.append(c)
    dae = DiscoverAttributesExtendedResponse(
        False,
        (
            DiscoveredAttributeExtended(0x4030, T.STRUCT, AttributeAccess.READABLE),
            DiscoveredAttributeExtended(
                0x4031, T.NODATA, AttributeAccess.READABLE | AttributeAccess.REPORTABLE
            ),
            DiscoveredAttributeExtended(0x4032, T.UNKNOWN, AttributeAccess(0x07)),
        ),
    )
    c = Case(
        "discover attributes extended response", TEMPERATURE, dae, 39, S2C, manufacturer_code=MFR
    )
    c.expect = {
        "zbee_zcl.attr.dis": ["0x00"],
        c.attr_field: [h16(r.attribute_id) for r in dae.records],
        "zbee_zcl.attr.data.type": [h8(r.data_type) for r in dae.records],
    }
    cases.append(c)

    # every data type, in Write / Report / Write Undivided / Write No Response frames
    cases += _every_type_frames(40)
    st = Case(
        "structure",
        BASIC,
        WriteAttributes((AttributeRecord(0x5100, T.STRUCT, A_STRUCT),)),
        60,
        manufacturer_code=MFR,
    )
    st.expect = {
        GENERIC_ATTR_ID: ["0x5100", "0x0001"],
        "zbee_zcl.attr.data.type": ["0x4c", "0x42"],
        "zbee_zcl.attr.str": ["zigmesh"],
    }
    cases.append(st)
    return cases


CASES = build_cases()
_EXTRA = sorted({f for c in CASES for f in c.expect} - set(HEADER_FIELDS))


def test_cases_cover_every_foundation_command() -> None:
    assert {c.command.COMMAND_ID for c in CASES} == set(FoundationCommand)
    assert {c.direction for c in CASES} == set(Direction)
    assert any(c.manufacturer_code is not None for c in CASES)


def test_case_frames_round_trip() -> None:
    for c in CASES:
        raw = c.frame().encode()
        f = ZclFrame.decode(raw)
        assert f == c.frame()
        assert decode_foundation(f.header.command_id, f.payload) == c.command, c.name


@pytest.fixture(scope="module")
def zcl_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tshark()
    path = tmp_path_factory.mktemp("zcl") / "zcl_foundation.pcap"
    records = [
        (1000 * i, over_air_zcl(c.frame().encode(), c.cluster, seq=i & 0xFF))
        for i, c in enumerate(CASES)
    ]
    for _, data in records:
        assert len(data) <= 127
    write_pcap(path, records)
    return path


def test_no_malformed(zcl_pcap: Path) -> None:
    assert_no_malformed(zcl_pcap)


def test_wireshark_fields_match(zcl_pcap: Path) -> None:
    fields = HEADER_FIELDS + _EXTRA
    rows = tshark_fields(zcl_pcap, fields)
    assert len(rows) == len(CASES)
    mismatches = []
    for c, row in zip(CASES, rows, strict=True):
        got = dict(zip(fields, row, strict=True))
        h = c.frame().header
        want = {
            "zbee_zcl.type": "0x00",
            "zbee_zcl.ms": "1" if h.manufacturer_specific else "0",
            "zbee_zcl.dir": str(int(h.direction)),
            "zbee_zcl.ddr": str(int(h.disable_default_response)),
            "zbee_zcl.cmd.mc": "" if h.manufacturer_code is None else h16(h.manufacturer_code),
            "zbee_zcl.cmd.tsn": str(h.tsn),
            "zbee_zcl.cmd.id": h8(h.command_id),
        }
        want.update({name: ",".join(vals) for name, vals in c.expect.items()})
        for name, w in want.items():
            if got[name] != w:
                mismatches.append(f"{c.name}: {name} = {got[name]!r}, encoded {w!r}")
    assert not mismatches, "\n".join(mismatches)
