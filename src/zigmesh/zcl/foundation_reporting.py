"""ZCL foundation reporting commands (ZCL rev 7/8 2.5.7-2.5.11): Configure Reporting, Read
Reporting Configuration with their responses and configuration records, and Report Attributes.

Short form: an all-success Configure Reporting Response carries a single SUCCESS status octet;
it is modelled as an empty ``records`` tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self, TypeAlias

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.foundation_attributes import _AttributeRecordsCommand
from zigmesh.zcl.foundation_common import (
    _BBH,
    _BH,
    _BHBHH,
    _BHH,
    _REPORT_DIR,
    _STATUS,
    FoundationCommand,
    ReportingDirection,
    ZclStatus,
    _bad_encode,
    _known_type,
    _pack_records,
    _pack_status_records,
    _ShortFormResponse,
    _success_only,
    _unpack_records,
)
from zigmesh.zcl.types import (
    _DTYPE,
    _PACK,
    ANALOG_TYPES,
    ENCODE_ERRORS,
    DataType,
    ZclValue,
    _read_value,
)

__all__ = [
    "ConfigureReporting",
    "ConfigureReportingResponse",
    "ReadReportingConfigRecord",
    "ReadReportingConfiguration",
    "ReadReportingConfigurationResponse",
    "ReceivedAttributeConfig",
    "ReportAttributes",
    "ReportedAttributeConfig",
    "ReportingConfig",
    "ReportingStatusRecord",
]


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


@dataclass(frozen=True, slots=True)
class ReportAttributes(_AttributeRecordsCommand):
    """Report Attributes (ZCL 2.5.11)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.REPORT_ATTRIBUTES


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
