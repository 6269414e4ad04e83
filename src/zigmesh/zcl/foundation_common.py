"""What every ZCL foundation command shares (ZCL rev 7/8 clause 2.5, Table 2-3; status codes
Table 2-12): the command identifiers, status and field enumerations and the record packing
helpers of the command modules.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from enum import IntEnum, IntFlag
from typing import Any, TypeVar

from zigmesh.codec import enum_or_int, enum_table
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.types import (
    _DTYPE,
    ENCODE_ERRORS,
    DataType,
)

__all__ = [
    "AttributeAccess",
    "FoundationCommand",
    "ReportingDirection",
    "SelectorOperation",
    "zcl_status",
    "ZclStatus",
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
