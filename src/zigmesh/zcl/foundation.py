"""ZCL foundation (profile-wide) commands (ZCL rev 7/8, clause 2.5, Table 2-3).

One frozen dataclass per command; ``encode()`` / ``decode(payload)`` cover the payload that
follows the ZCL header. :func:`decode_foundation` dispatches on the command identifier.

Short forms: an all-success Write Attributes Response, Configure Reporting Response and Write
Attributes Structured Response carry a single SUCCESS status octet; they are modelled as an empty
``records`` tuple.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Any, ClassVar, Self, TypeAlias, TypeVar

from zigmesh.codec import Reader, enum_or_int, enum_table, fast_init
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.frame import Direction, FrameType, ZclFrame, ZclHeader
from zigmesh.zcl.types import (
    _DTYPE,
    _DTYPES,
    _PACK,
    _READ,
    _SIZE,
    _UNPACK,
    ANALOG_TYPES,
    ENCODE_ERRORS,
    DataType,
    ZclValue,
    _read_typed,
    _read_value,
    _slot_setter,
    data_type_or_int,
)

__all__ = [
    "FoundationCommand",
    "ZclStatus",
    "ReportingDirection",
    "AttributeAccess",
    "SelectorOperation",
    "Selector",
    "AttributeRecord",
    "ReadAttributeStatusRecord",
    "WriteAttributeStatusRecord",
    "ReportedAttributeConfig",
    "ReceivedAttributeConfig",
    "ReportingStatusRecord",
    "ReadReportingConfigRecord",
    "DiscoveredAttribute",
    "DiscoveredAttributeExtended",
    "ReadStructuredRecord",
    "WriteStructuredRecord",
    "WriteStructuredStatusRecord",
    "ReadAttributes",
    "ReadAttributesResponse",
    "WriteAttributes",
    "WriteAttributesUndivided",
    "WriteAttributesResponse",
    "WriteAttributesNoResponse",
    "ConfigureReporting",
    "ConfigureReportingResponse",
    "ReadReportingConfiguration",
    "ReadReportingConfigurationResponse",
    "ReportAttributes",
    "DefaultResponse",
    "DiscoverAttributes",
    "DiscoverAttributesResponse",
    "ReadAttributesStructured",
    "WriteAttributesStructured",
    "WriteAttributesStructuredResponse",
    "DiscoverCommandsReceived",
    "DiscoverCommandsReceivedResponse",
    "DiscoverCommandsGenerated",
    "DiscoverCommandsGeneratedResponse",
    "DiscoverAttributesExtended",
    "DiscoverAttributesExtendedResponse",
    "FoundationPayload",
    "FOUNDATION_COMMANDS",
    "decode_foundation",
    "foundation_frame",
    "zcl_status",
]


class FoundationCommand(IntEnum):
    """Profile-wide command identifiers (ZCL Table 2-3)."""

    READ_ATTRIBUTES = 0x00
    READ_ATTRIBUTES_RESPONSE = 0x01
    WRITE_ATTRIBUTES = 0x02
    WRITE_ATTRIBUTES_UNDIVIDED = 0x03
    WRITE_ATTRIBUTES_RESPONSE = 0x04
    WRITE_ATTRIBUTES_NO_RESPONSE = 0x05
    CONFIGURE_REPORTING = 0x06
    CONFIGURE_REPORTING_RESPONSE = 0x07
    READ_REPORTING_CONFIGURATION = 0x08
    READ_REPORTING_CONFIGURATION_RESPONSE = 0x09
    REPORT_ATTRIBUTES = 0x0A
    DEFAULT_RESPONSE = 0x0B
    DISCOVER_ATTRIBUTES = 0x0C
    DISCOVER_ATTRIBUTES_RESPONSE = 0x0D
    READ_ATTRIBUTES_STRUCTURED = 0x0E
    WRITE_ATTRIBUTES_STRUCTURED = 0x0F
    WRITE_ATTRIBUTES_STRUCTURED_RESPONSE = 0x10
    DISCOVER_COMMANDS_RECEIVED = 0x11
    DISCOVER_COMMANDS_RECEIVED_RESPONSE = 0x12
    DISCOVER_COMMANDS_GENERATED = 0x13
    DISCOVER_COMMANDS_GENERATED_RESPONSE = 0x14
    DISCOVER_ATTRIBUTES_EXTENDED = 0x15
    DISCOVER_ATTRIBUTES_EXTENDED_RESPONSE = 0x16


class ZclStatus(IntEnum):
    """ZCL status codes (ZCL Table 2-12; ZCL 8 names noted where they changed)."""

    SUCCESS = 0x00
    FAILURE = 0x01
    NOT_AUTHORIZED = 0x7E
    RESERVED_FIELD_NOT_ZERO = 0x7F
    MALFORMED_COMMAND = 0x80
    UNSUP_CLUSTER_COMMAND = 0x81  # ZCL 8: UNSUP_COMMAND
    UNSUP_GENERAL_COMMAND = 0x82
    UNSUP_MANUF_CLUSTER_COMMAND = 0x83
    UNSUP_MANUF_GENERAL_COMMAND = 0x84
    INVALID_FIELD = 0x85
    UNSUPPORTED_ATTRIBUTE = 0x86
    INVALID_VALUE = 0x87
    READ_ONLY = 0x88
    INSUFFICIENT_SPACE = 0x89
    DUPLICATE_EXISTS = 0x8A
    NOT_FOUND = 0x8B
    UNREPORTABLE_ATTRIBUTE = 0x8C
    INVALID_DATA_TYPE = 0x8D
    INVALID_SELECTOR = 0x8E
    WRITE_ONLY = 0x8F
    INCONSISTENT_STARTUP_STATE = 0x90
    DEFINED_OUT_OF_BAND = 0x91
    INCONSISTENT = 0x92
    ACTION_DENIED = 0x93
    TIMEOUT = 0x94
    ABORT = 0x95
    INVALID_IMAGE = 0x96
    WAIT_FOR_DATA = 0x97
    NO_IMAGE_AVAILABLE = 0x98
    REQUIRE_MORE_IMAGE = 0x99
    NOTIFICATION_PENDING = 0x9A
    HARDWARE_FAILURE = 0xC0
    SOFTWARE_FAILURE = 0xC1
    CALIBRATION_ERROR = 0xC2
    UNSUPPORTED_CLUSTER = 0xC3
    LIMIT_REACHED = 0xC4  # ZCL 8


class ReportingDirection(IntEnum):
    """Direction field of reporting configuration records (ZCL 2.5.7)."""

    REPORTED = 0x00  # the receiver of the command sends reports
    RECEIVED = 0x01  # the receiver of the command expects reports (timeout period)


class AttributeAccess(IntFlag):
    """Attribute access control field (ZCL 2.5.23, Discover Attributes Extended Response)."""

    READABLE = 0x01
    WRITEABLE = 0x02
    REPORTABLE = 0x04


class SelectorOperation(IntEnum):
    """Upper nibble of a selector's indicator in Write Attributes Structured (ZCL 2.5.16)."""

    WRITE = 0x0  # write the whole attribute or the indexed element
    ADD_ELEMENT = 0x1  # add an element to a set or bag
    REMOVE_ELEMENT = 0x2  # remove an element from a set or bag


# 8-bit (4-bit for the selector operation) field value -> member, or the plain int
_STATUS = enum_table(ZclStatus, 256)
_REPORT_DIR = enum_table(ReportingDirection, 256)
_SEL_OP = enum_table(SelectorOperation, 16)


def zcl_status(v: int) -> ZclStatus | int:
    """``ZclStatus(v)``, or the plain int for an unassigned code."""
    return enum_or_int(ZclStatus, v)


_H = struct.Struct("<H")
_B = struct.Struct("<B")
_HB = struct.Struct("<HB")
_BH = struct.Struct("<BH")
_BB = struct.Struct("<BB")
_HBB = struct.Struct("<HBB")
_BBH = struct.Struct("<BBH")
_BHBHH = struct.Struct("<BHBHH")
_BHH = struct.Struct("<BHH")
_SUCCESS_ONLY = b"\x00"
_Rec = TypeVar("_Rec")


def _bad_encode(cmd: str, e: Exception) -> LocalProtocolError:
    return LocalProtocolError(f"cannot encode {cmd}: {e}")


def _pack_records(cmd: str, records: tuple[_Rec, ...], pack: Callable[[_Rec], bytes]) -> bytes:
    """``pack`` of each record, one after the other; bad field values raise LocalProtocolError."""
    try:
        return b"".join([pack(rec) for rec in records])
    except ENCODE_ERRORS as e:
        raise _bad_encode(cmd, e) from None


class _ShortFormResponse:
    """Responses listing the records that failed, where none means all succeeded and is sent
    as the single SUCCESS status octet (Write Attributes Response 2.5.5, Configure Reporting
    Response 2.5.8, Write Attributes Structured Response 2.5.17)."""

    __slots__ = ()
    records: tuple[object, ...]

    @property
    def all_success(self) -> bool:
        return not self.records


def _pack_status_records(
    cmd: str, records: tuple[_Rec, ...], pack: Callable[[_Rec], bytes]
) -> bytes:
    """:func:`_pack_records` of a :class:`_ShortFormResponse`: no records, the short form."""
    return _pack_records(cmd, records, pack) if records else _SUCCESS_ONLY


def _success_only(data: bytes, field: str) -> bool:
    """Whether ``data`` is the short form of a :class:`_ShortFormResponse`."""
    if len(data) != 1:
        return False
    if data[0] != 0:
        raise DecodeError(field, 0, "short form must be SUCCESS")
    return True


def _unpack_records(
    data: bytes, s: struct.Struct, field: str, start: int = 0, min_count: int = 0
) -> Iterator[tuple[Any, ...]]:
    """The fixed-size records of layout ``s`` that fill ``data[start:]``; a partial record (or
    fewer than ``min_count``) is a DecodeError naming ``field``."""
    n, rem = divmod(len(data) - start, s.size)
    if rem or n < min_count:
        raise DecodeError(field, start + s.size * n, f"needs {s.size} byte(s), {rem} left")
    return s.iter_unpack(data[start:] if start else data)


def _discovery_complete(data: bytes, field: str) -> bool:
    """The leading discovery complete octet of a discovery response (2.5.14, 2.5.19...)."""
    if not data:
        raise DecodeError(field, 0, "needs 1 byte(s), 0 left")
    return bool(data[0])


def _known_type(dt: int, field: str, offset: int) -> DataType:
    t = _DTYPE[dt]
    if t is None:
        raise DecodeError(field, offset, f"unsupported data type 0x{dt:02x}")
    return t


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class AttributeRecord:
    """Attribute identifier, data type and value: the record of Write Attributes (2.5.3),
    Write Attributes Undivided / No Response and Report Attributes (2.5.11)."""

    attribute_id: int
    data_type: DataType
    value: ZclValue


@fast_init
@dataclass(frozen=True, slots=True)
class ReadAttributeStatusRecord:
    """Read attribute status record (ZCL 2.5.2): data type and value only on SUCCESS."""

    attribute_id: int
    status: ZclStatus | int = ZclStatus.SUCCESS
    data_type: DataType | None = None
    value: ZclValue = None


@dataclass(frozen=True, slots=True)
class WriteAttributeStatusRecord:
    """Write attribute status record (ZCL 2.5.5) for an attribute that was not written."""

    status: ZclStatus | int
    attribute_id: int


@dataclass(frozen=True, slots=True)
class ReportedAttributeConfig:
    """Attribute reporting configuration record, direction 0x00 (ZCL 2.5.7): the receiver
    reports. ``reportable_change`` is present exactly for analog data types."""

    DIRECTION: ClassVar[ReportingDirection] = ReportingDirection.REPORTED

    attribute_id: int
    data_type: DataType
    min_interval: int
    max_interval: int
    reportable_change: ZclValue = None


@dataclass(frozen=True, slots=True)
class ReceivedAttributeConfig:
    """Attribute reporting configuration record, direction 0x01 (ZCL 2.5.7): the receiver
    expects reports at least every ``timeout`` seconds (0 = no timeout)."""

    DIRECTION: ClassVar[ReportingDirection] = ReportingDirection.RECEIVED

    attribute_id: int
    timeout: int


ReportingConfig: TypeAlias = ReportedAttributeConfig | ReceivedAttributeConfig


@dataclass(frozen=True, slots=True)
class ReportingStatusRecord:
    """Status, direction and attribute: Configure Reporting Response record (ZCL 2.5.8) and a
    non-SUCCESS record of Read Reporting Configuration Response (2.5.10)."""

    status: ZclStatus | int
    direction: ReportingDirection | int
    attribute_id: int


@dataclass(frozen=True, slots=True)
class ReadReportingConfigRecord:
    """Attribute record of Read Reporting Configuration (ZCL 2.5.9)."""

    direction: ReportingDirection | int
    attribute_id: int


@dataclass(frozen=True, slots=True)
class DiscoveredAttribute:
    """Attribute information record of Discover Attributes Response (ZCL 2.5.14)."""

    attribute_id: int
    data_type: DataType | int


@dataclass(frozen=True, slots=True)
class DiscoveredAttributeExtended:
    """Extended attribute information record (ZCL 2.5.23)."""

    attribute_id: int
    data_type: DataType | int
    access_control: AttributeAccess


@dataclass(frozen=True, slots=True)
class Selector:
    """Selector of a structured attribute access (ZCL 2.5.15): indicator (operation in
    bits 4-7, number of indexes in bits 0-3) then up to 15 uint16 indexes."""

    indexes: tuple[int, ...] = ()
    operation: SelectorOperation | int = SelectorOperation.WRITE

    def encode(self) -> bytes:
        n = len(self.indexes)
        if n > 15 or not 0 <= self.operation <= 15:
            raise LocalProtocolError("selector: at most 15 indexes, operation 0-15")
        return bytes(((self.operation << 4) | n,)) + struct.pack(f"<{n}H", *self.indexes)

    @classmethod
    def read(cls, r: Reader) -> Self:
        ind = r.u8("zcl.selector.indicator")
        n = ind & 0x0F
        return cls(struct.unpack(f"<{n}H", r.bytes(2 * n, "zcl.selector.index")), _SEL_OP[ind >> 4])


@dataclass(frozen=True, slots=True)
class ReadStructuredRecord:
    """Attribute record of Read Attributes Structured (ZCL 2.5.15)."""

    attribute_id: int
    selector: Selector = Selector()


@dataclass(frozen=True, slots=True)
class WriteStructuredRecord:
    """Write attribute record of Write Attributes Structured (ZCL 2.5.16)."""

    attribute_id: int
    selector: Selector
    data_type: DataType
    value: ZclValue


@dataclass(frozen=True, slots=True)
class WriteStructuredStatusRecord:
    """Write attribute status record of Write Attributes Structured Response (ZCL 2.5.17)."""

    status: ZclStatus | int
    attribute_id: int
    selector: Selector = Selector()


# --------------------------------------------------------------------------------------------
# Shared layouts
# --------------------------------------------------------------------------------------------


def _encode_attribute_records(cmd: str, records: tuple[AttributeRecord, ...]) -> bytes:
    out = bytearray()
    try:
        for rec in records:
            dt = rec.data_type
            out += _HB.pack(rec.attribute_id, dt)
            out += _PACK[dt](rec.value)
    except ENCODE_ERRORS as e:
        raise _bad_encode(cmd, e) from None
    return bytes(out)


def _decode_attribute_records(data: bytes) -> tuple[AttributeRecord, ...]:
    r = Reader(data)
    end = r.end
    recs: list[AttributeRecord] = []
    append = recs.append
    new = object.__new__
    while r.pos < end:
        p = r.pos
        if p + 2 > end:
            raise DecodeError("zcl.attribute_id", p, f"needs 2 byte(s), {end - p} left")
        r.pos = p + 2
        dt, v = _read_typed(r, 0)
        rec = new(AttributeRecord)
        _set_ar_id(rec, _H.unpack_from(data, p)[0])
        _set_ar_type(rec, dt)
        _set_ar_value(rec, v)
        append(rec)
    return tuple(recs)


_set_ar_id = _slot_setter(AttributeRecord, "attribute_id")
_set_ar_type = _slot_setter(AttributeRecord, "data_type")
_set_ar_value = _slot_setter(AttributeRecord, "value")


def _encode_reporting_config(out: bytearray, rec: ReportingConfig, status: bool) -> None:
    """Append one configuration record; ``status`` prefixes the SUCCESS octet (rsp form)."""
    if status:
        out.append(0)
    if isinstance(rec, ReportedAttributeConfig):
        dt = rec.data_type
        out += _BHBHH.pack(0, rec.attribute_id, dt, rec.min_interval, rec.max_interval)
        if _DTYPE[dt] in ANALOG_TYPES:
            out += _PACK[dt](rec.reportable_change)
        elif rec.reportable_change is not None:
            raise LocalProtocolError(f"reportable change given for discrete type {dt!r}")
    elif isinstance(rec, ReceivedAttributeConfig):
        out += _BHH.pack(1, rec.attribute_id, rec.timeout)
    else:
        raise LocalProtocolError(f"not a reporting configuration record: {rec!r}")


def _read_reporting_config(
    r: Reader, direction: int, attr_id: int, dir_pos: int
) -> ReportingConfig:
    """Read what follows direction and attribute id of a configuration record."""
    if direction == 0:
        p = r.pos
        dt_id = r.u8("zcl.reporting.data_type")
        dt = _known_type(dt_id, "zcl.reporting.data_type", p)
        mn = r.u16("zcl.reporting.min_interval")
        mx = r.u16("zcl.reporting.max_interval")
        change = _read_value(dt, r, 0) if dt in ANALOG_TYPES else None
        return ReportedAttributeConfig(attr_id, dt, mn, mx, change)
    if direction == 1:
        return ReceivedAttributeConfig(attr_id, r.u16("zcl.reporting.timeout"))
    raise DecodeError("zcl.reporting.direction", dir_pos, f"reserved direction 0x{direction:02x}")


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadAttributes:
    """Read Attributes (ZCL 2.5.1): a list of attribute identifiers."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.READ_ATTRIBUTES

    attribute_ids: tuple[int, ...] = ()

    def encode(self) -> bytes:
        try:
            return struct.pack(f"<{len(self.attribute_ids)}H", *self.attribute_ids)
        except ENCODE_ERRORS as e:
            raise _bad_encode("Read Attributes", e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n, odd = divmod(len(data), 2)
        if odd:
            raise DecodeError(
                "read_attributes.attribute_id", len(data) - 1, "needs 2 byte(s), 1 left"
            )
        return cls(struct.unpack(f"<{n}H", data))


@dataclass(frozen=True, slots=True)
class ReadAttributesResponse:
    """Read Attributes Response (ZCL 2.5.2): read attribute status records."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.READ_ATTRIBUTES_RESPONSE

    records: tuple[ReadAttributeStatusRecord, ...] = ()

    def encode(self) -> bytes:
        out = bytearray()
        try:
            for rec in self.records:
                st = rec.status
                if st:
                    out += _HB.pack(rec.attribute_id, st)
                else:
                    dt = rec.data_type
                    out += _HBB.pack(rec.attribute_id, 0, dt)
                    out += _PACK[dt](rec.value)  # type: ignore[index]
        except ENCODE_ERRORS as e:
            raise _bad_encode("Read Attributes Response", e) from None
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        # Hot path (benchmark): fixed-size values are unpacked in place, only variable-size
        # ones go through a Reader; records are built without the frozen __init__.
        end = len(data)
        pos = 0
        recs: list[ReadAttributeStatusRecord] = []
        append = recs.append
        unpack = _HB.unpack_from
        new = object.__new__
        r: Reader | None = None
        while pos < end:
            if pos + 3 > end:
                raise DecodeError(
                    "read_attributes_response.record", pos, f"needs 3 byte(s), {end - pos} left"
                )
            aid, st = unpack(data, pos)
            pos += 3
            rec = new(ReadAttributeStatusRecord)
            _set_rs_id(rec, aid)
            if st:
                _set_rs_status(rec, _STATUS[st])
                _set_rs_type(rec, None)
                _set_rs_value(rec, None)
                append(rec)
                continue
            if pos >= end:
                raise DecodeError(
                    "read_attributes_response.data_type", pos, "needs 1 byte(s), 0 left"
                )
            dt = data[pos]
            pos += 1
            size = _SIZE[dt]
            if size > 0:
                if pos + size > end:
                    raise DecodeError(
                        "read_attributes_response.value",
                        pos,
                        f"needs {size} byte(s), {end - pos} left",
                    )
                v = _UNPACK[dt](data, pos)
                pos += size
            elif size == 0:
                v = None
            else:
                if r is None:
                    r = Reader(data)
                r.pos = pos
                v = _READ[dt](r, 0)  # raises DecodeError for unsupported type ids
                pos = r.pos
            _set_rs_status(rec, _SUCCESS)
            _set_rs_type(rec, _DTYPES[dt])
            _set_rs_value(rec, v)
            append(rec)
        return cls(tuple(recs))


_SUCCESS = ZclStatus.SUCCESS
_set_rs_id = _slot_setter(ReadAttributeStatusRecord, "attribute_id")
_set_rs_status = _slot_setter(ReadAttributeStatusRecord, "status")
_set_rs_type = _slot_setter(ReadAttributeStatusRecord, "data_type")
_set_rs_value = _slot_setter(ReadAttributeStatusRecord, "value")


@dataclass(frozen=True, slots=True)
class _AttributeRecordsCommand:
    """Layout shared by Write Attributes (2.5.3), Write Attributes Undivided (2.5.4), Write
    Attributes No Response (2.5.6) and Report Attributes (2.5.11)."""

    records: tuple[AttributeRecord, ...] = ()

    def encode(self) -> bytes:
        return _encode_attribute_records(type(self).__name__, self.records)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls(_decode_attribute_records(data))


@dataclass(frozen=True, slots=True)
class WriteAttributes(_AttributeRecordsCommand):
    """Write Attributes (ZCL 2.5.3)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.WRITE_ATTRIBUTES


@dataclass(frozen=True, slots=True)
class WriteAttributesUndivided(_AttributeRecordsCommand):
    """Write Attributes Undivided (ZCL 2.5.4): all or none are written."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.WRITE_ATTRIBUTES_UNDIVIDED


@dataclass(frozen=True, slots=True)
class WriteAttributesNoResponse(_AttributeRecordsCommand):
    """Write Attributes No Response (ZCL 2.5.6)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.WRITE_ATTRIBUTES_NO_RESPONSE


@dataclass(frozen=True, slots=True)
class ReportAttributes(_AttributeRecordsCommand):
    """Report Attributes (ZCL 2.5.11)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.REPORT_ATTRIBUTES


@dataclass(frozen=True, slots=True)
class WriteAttributesResponse(_ShortFormResponse):
    """Write Attributes Response (ZCL 2.5.5). No records = every attribute written (encoded
    as the single SUCCESS status octet); otherwise one record per attribute not written."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.WRITE_ATTRIBUTES_RESPONSE

    records: tuple[WriteAttributeStatusRecord, ...] = ()

    def encode(self) -> bytes:
        return _pack_status_records(
            "Write Attributes Response",
            self.records,
            lambda rec: _BH.pack(rec.status, rec.attribute_id),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if _success_only(data, "write_attributes_response.status"):
            return cls()
        recs = _unpack_records(data, _BH, "write_attributes_response.record", min_count=1)
        return cls(tuple(WriteAttributeStatusRecord(_STATUS[st], aid) for st, aid in recs))


@dataclass(frozen=True, slots=True)
class ConfigureReporting:
    """Configure Reporting (ZCL 2.5.7): reported (0x00) or received (0x01) records."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.CONFIGURE_REPORTING

    records: tuple[ReportingConfig, ...] = ()

    def encode(self) -> bytes:
        out = bytearray()
        try:
            for rec in self.records:
                _encode_reporting_config(out, rec, False)
        except ENCODE_ERRORS as e:
            raise _bad_encode("Configure Reporting", e) from None
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        recs: list[ReportingConfig] = []
        while not r.at_end():
            p = r.pos
            direction = r.u8("configure_reporting.direction")
            aid = r.u16("configure_reporting.attribute_id")
            recs.append(_read_reporting_config(r, direction, aid, p))
        return cls(tuple(recs))


@dataclass(frozen=True, slots=True)
class ConfigureReportingResponse(_ShortFormResponse):
    """Configure Reporting Response (ZCL 2.5.8). No records = all configured (the single
    SUCCESS status octet); otherwise one record per attribute not configured."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.CONFIGURE_REPORTING_RESPONSE

    records: tuple[ReportingStatusRecord, ...] = ()

    def encode(self) -> bytes:
        return _pack_status_records(
            "Configure Reporting Response",
            self.records,
            lambda rec: _BBH.pack(rec.status, rec.direction, rec.attribute_id),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if _success_only(data, "configure_reporting_response.status"):
            return cls()
        recs = _unpack_records(data, _BBH, "configure_reporting_response.record", min_count=1)
        return cls(
            tuple(ReportingStatusRecord(_STATUS[st], _REPORT_DIR[d], aid) for st, d, aid in recs)
        )


@dataclass(frozen=True, slots=True)
class ReadReportingConfiguration:
    """Read Reporting Configuration (ZCL 2.5.9)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.READ_REPORTING_CONFIGURATION

    records: tuple[ReadReportingConfigRecord, ...] = ()

    def encode(self) -> bytes:
        return _pack_records(
            "Read Reporting Configuration",
            self.records,
            lambda rec: _BH.pack(rec.direction, rec.attribute_id),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        recs = _unpack_records(data, _BH, "read_reporting_configuration.record")
        return cls(tuple(ReadReportingConfigRecord(_REPORT_DIR[d], aid) for d, aid in recs))


@dataclass(frozen=True, slots=True)
class ReadReportingConfigurationResponse:
    """Read Reporting Configuration Response (ZCL 2.5.10). A configuration record means
    status SUCCESS; failures are :class:`ReportingStatusRecord` (status not SUCCESS)."""

    COMMAND_ID: ClassVar[FoundationCommand] = (
        FoundationCommand.READ_REPORTING_CONFIGURATION_RESPONSE
    )

    records: tuple[ReportingConfig | ReportingStatusRecord, ...] = ()

    def encode(self) -> bytes:
        out = bytearray()
        try:
            for rec in self.records:
                if isinstance(rec, ReportingStatusRecord):
                    if not rec.status:
                        raise LocalProtocolError("a SUCCESS record must carry its configuration")
                    out += _BBH.pack(rec.status, rec.direction, rec.attribute_id)
                else:
                    _encode_reporting_config(out, rec, True)
        except ENCODE_ERRORS as e:
            raise _bad_encode("Read Reporting Configuration Response", e) from None
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        recs: list[ReportingConfig | ReportingStatusRecord] = []
        while not r.at_end():
            st = r.u8("read_reporting_configuration_response.status")
            p = r.pos
            direction = r.u8("read_reporting_configuration_response.direction")
            aid = r.u16("read_reporting_configuration_response.attribute_id")
            if st:
                recs.append(ReportingStatusRecord(_STATUS[st], _REPORT_DIR[direction], aid))
            else:
                recs.append(_read_reporting_config(r, direction, aid, p))
        return cls(tuple(recs))


@dataclass(frozen=True, slots=True)
class DefaultResponse:
    """Default Response (ZCL 2.5.12): the command it answers and a status."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DEFAULT_RESPONSE

    command_id: int
    status: ZclStatus | int

    def encode(self) -> bytes:
        try:
            return _BB.pack(self.command_id, self.status)
        except ENCODE_ERRORS as e:
            raise _bad_encode("Default Response", e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if len(data) != 2:
            raise DecodeError(
                "default_response", min(len(data), 2), f"needs exactly 2 byte(s), got {len(data)}"
            )
        return cls(data[0], _STATUS[data[1]])


@dataclass(frozen=True, slots=True)
class _DiscoverAttributesRequest:
    """Start attribute identifier and maximum count (ZCL 2.5.13 / 2.5.22)."""

    start_attribute_id: int = 0x0000
    max_attribute_ids: int = 0xFF

    def encode(self) -> bytes:
        try:
            return _HB.pack(self.start_attribute_id, self.max_attribute_ids)
        except ENCODE_ERRORS as e:
            raise _bad_encode(type(self).__name__, e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if len(data) != 3:
            raise DecodeError(
                "discover_attributes",
                min(len(data), 3),
                f"needs exactly 3 byte(s), got {len(data)}",
            )
        a, m = _HB.unpack(data)
        return cls(a, m)


@dataclass(frozen=True, slots=True)
class DiscoverAttributes(_DiscoverAttributesRequest):
    """Discover Attributes (ZCL 2.5.13)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_ATTRIBUTES


@dataclass(frozen=True, slots=True)
class DiscoverAttributesExtended(_DiscoverAttributesRequest):
    """Discover Attributes Extended (ZCL 2.5.22)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_ATTRIBUTES_EXTENDED


@dataclass(frozen=True, slots=True)
class DiscoverAttributesResponse:
    """Discover Attributes Response (ZCL 2.5.14)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_ATTRIBUTES_RESPONSE

    discovery_complete: bool
    records: tuple[DiscoveredAttribute, ...] = ()

    def encode(self) -> bytes:
        return bytes((int(self.discovery_complete),)) + _pack_records(
            "Discover Attributes Response",
            self.records,
            lambda rec: _HB.pack(rec.attribute_id, rec.data_type),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = "discover_attributes_response"
        complete = _discovery_complete(data, f"{n}.discovery_complete")
        recs = _unpack_records(data, _HB, f"{n}.record", start=1)
        return cls(
            complete, tuple(DiscoveredAttribute(aid, data_type_or_int(dt)) for aid, dt in recs)
        )


@dataclass(frozen=True, slots=True)
class DiscoverAttributesExtendedResponse:
    """Discover Attributes Extended Response (ZCL 2.5.23)."""

    COMMAND_ID: ClassVar[FoundationCommand] = (
        FoundationCommand.DISCOVER_ATTRIBUTES_EXTENDED_RESPONSE
    )

    discovery_complete: bool
    records: tuple[DiscoveredAttributeExtended, ...] = ()

    def encode(self) -> bytes:
        return bytes((int(self.discovery_complete),)) + _pack_records(
            "Discover Attributes Extended Response",
            self.records,
            lambda rec: _HBB.pack(rec.attribute_id, rec.data_type, rec.access_control),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = "discover_attributes_extended_response"
        complete = _discovery_complete(data, f"{n}.discovery_complete")
        recs = _unpack_records(data, _HBB, f"{n}.record", start=1)
        return cls(
            complete,
            tuple(
                DiscoveredAttributeExtended(aid, data_type_or_int(dt), AttributeAccess(acc))
                for aid, dt, acc in recs
            ),
        )


@dataclass(frozen=True, slots=True)
class _DiscoverCommandsRequest:
    """Start command identifier and maximum count (ZCL 2.5.18 / 2.5.20)."""

    start_command_id: int = 0x00
    max_command_ids: int = 0xFF

    def encode(self) -> bytes:
        try:
            return _BB.pack(self.start_command_id, self.max_command_ids)
        except ENCODE_ERRORS as e:
            raise _bad_encode(type(self).__name__, e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if len(data) != 2:
            raise DecodeError(
                "discover_commands", min(len(data), 2), f"needs exactly 2 byte(s), got {len(data)}"
            )
        return cls(data[0], data[1])


@dataclass(frozen=True, slots=True)
class DiscoverCommandsReceived(_DiscoverCommandsRequest):
    """Discover Commands Received (ZCL 2.5.18)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_RECEIVED


@dataclass(frozen=True, slots=True)
class DiscoverCommandsGenerated(_DiscoverCommandsRequest):
    """Discover Commands Generated (ZCL 2.5.20)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_GENERATED


@dataclass(frozen=True, slots=True)
class _DiscoverCommandsResponse:
    """Discovery complete and command identifiers (ZCL 2.5.19 / 2.5.21)."""

    discovery_complete: bool
    command_ids: tuple[int, ...] = ()

    def encode(self) -> bytes:
        try:
            return bytes((int(self.discovery_complete), *self.command_ids))
        except ENCODE_ERRORS as e:
            raise _bad_encode(type(self).__name__, e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        complete = _discovery_complete(data, "discover_commands_response.discovery_complete")
        return cls(complete, tuple(data[1:]))


@dataclass(frozen=True, slots=True)
class DiscoverCommandsReceivedResponse(_DiscoverCommandsResponse):
    """Discover Commands Received Response (ZCL 2.5.19)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_RECEIVED_RESPONSE


@dataclass(frozen=True, slots=True)
class DiscoverCommandsGeneratedResponse(_DiscoverCommandsResponse):
    """Discover Commands Generated Response (ZCL 2.5.21)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_GENERATED_RESPONSE


@dataclass(frozen=True, slots=True)
class ReadAttributesStructured:
    """Read Attributes Structured (ZCL 2.5.15); answered with Read Attributes Response."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.READ_ATTRIBUTES_STRUCTURED

    records: tuple[ReadStructuredRecord, ...] = ()

    def encode(self) -> bytes:
        return _pack_records(
            "Read Attributes Structured",
            self.records,
            lambda rec: _H.pack(rec.attribute_id) + rec.selector.encode(),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        recs = []
        while not r.at_end():
            aid = r.u16("read_attributes_structured.attribute_id")
            recs.append(ReadStructuredRecord(aid, Selector.read(r)))
        return cls(tuple(recs))


@dataclass(frozen=True, slots=True)
class WriteAttributesStructured:
    """Write Attributes Structured (ZCL 2.5.16)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.WRITE_ATTRIBUTES_STRUCTURED

    records: tuple[WriteStructuredRecord, ...] = ()

    def encode(self) -> bytes:
        out = bytearray()
        try:
            for rec in self.records:
                out += _H.pack(rec.attribute_id)
                out += rec.selector.encode()
                out += _B.pack(rec.data_type)
                out += _PACK[rec.data_type](rec.value)
        except ENCODE_ERRORS as e:
            raise _bad_encode("Write Attributes Structured", e) from None
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        recs = []
        while not r.at_end():
            aid = r.u16("write_attributes_structured.attribute_id")
            sel = Selector.read(r)
            dt, v = _read_typed(r, 0)
            recs.append(WriteStructuredRecord(aid, sel, dt, v))
        return cls(tuple(recs))


@dataclass(frozen=True, slots=True)
class WriteAttributesStructuredResponse(_ShortFormResponse):
    """Write Attributes Structured Response (ZCL 2.5.17). No records = all written (the single
    SUCCESS status octet); otherwise one record per attribute not written."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.WRITE_ATTRIBUTES_STRUCTURED_RESPONSE

    records: tuple[WriteStructuredStatusRecord, ...] = ()

    def encode(self) -> bytes:
        return _pack_status_records(
            "Write Attributes Structured Response",
            self.records,
            lambda rec: _BH.pack(rec.status, rec.attribute_id) + rec.selector.encode(),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if _success_only(data, "write_attributes_structured_response.status"):
            return cls()
        if not data:
            raise DecodeError(
                "write_attributes_structured_response.status", 0, "needs 1 byte(s), 0 left"
            )
        r = Reader(data)
        recs = []
        while not r.at_end():
            st = r.u8("write_attributes_structured_response.status")
            aid = r.u16("write_attributes_structured_response.attribute_id")
            recs.append(WriteStructuredStatusRecord(_STATUS[st], aid, Selector.read(r)))
        return cls(tuple(recs))


FoundationPayload: TypeAlias = (
    ReadAttributes
    | ReadAttributesResponse
    | WriteAttributes
    | WriteAttributesUndivided
    | WriteAttributesResponse
    | WriteAttributesNoResponse
    | ConfigureReporting
    | ConfigureReportingResponse
    | ReadReportingConfiguration
    | ReadReportingConfigurationResponse
    | ReportAttributes
    | DefaultResponse
    | DiscoverAttributes
    | DiscoverAttributesResponse
    | ReadAttributesStructured
    | WriteAttributesStructured
    | WriteAttributesStructuredResponse
    | DiscoverCommandsReceived
    | DiscoverCommandsReceivedResponse
    | DiscoverCommandsGenerated
    | DiscoverCommandsGeneratedResponse
    | DiscoverAttributesExtended
    | DiscoverAttributesExtendedResponse
)

_COMMAND_CLASSES: tuple[type[FoundationPayload], ...] = (
    ReadAttributes,
    ReadAttributesResponse,
    WriteAttributes,
    WriteAttributesUndivided,
    WriteAttributesResponse,
    WriteAttributesNoResponse,
    ConfigureReporting,
    ConfigureReportingResponse,
    ReadReportingConfiguration,
    ReadReportingConfigurationResponse,
    ReportAttributes,
    DefaultResponse,
    DiscoverAttributes,
    DiscoverAttributesResponse,
    ReadAttributesStructured,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    DiscoverCommandsReceived,
    DiscoverCommandsReceivedResponse,
    DiscoverCommandsGenerated,
    DiscoverCommandsGeneratedResponse,
    DiscoverAttributesExtended,
    DiscoverAttributesExtendedResponse,
)

#: Command identifier -> payload class, for every profile-wide command (Table 2-3).
FOUNDATION_COMMANDS: Mapping[int, type[FoundationPayload]] = {
    c.COMMAND_ID: c for c in _COMMAND_CLASSES
}
_DECODERS: tuple[Callable[[bytes], FoundationPayload], ...] = tuple(
    c.decode for c in _COMMAND_CLASSES
)
assert all(i == c.COMMAND_ID for i, c in enumerate(_COMMAND_CLASSES))


def decode_foundation(command_id: int, payload: bytes) -> FoundationPayload:
    """Decode the payload of a profile-wide command. An identifier outside Table 2-3 raises
    DecodeError (answer it with Default Response UNSUP_GENERAL_COMMAND)."""
    if not 0 <= command_id < len(_DECODERS):
        raise DecodeError("zcl.command_id", 0, f"unsupported foundation command 0x{command_id:02x}")
    return _DECODERS[command_id](payload)


def foundation_frame(
    command: FoundationPayload,
    tsn: int,
    direction: Direction = Direction.CLIENT_TO_SERVER,
    manufacturer_code: int | None = None,
    disable_default_response: bool = False,
) -> ZclFrame:
    """A complete ZCL frame (profile-wide frame type) carrying ``command``."""
    header = ZclHeader(
        FrameType.GLOBAL,
        direction,
        disable_default_response,
        manufacturer_code,
        tsn,
        command.COMMAND_ID,
    )
    return ZclFrame(header, command.encode())
