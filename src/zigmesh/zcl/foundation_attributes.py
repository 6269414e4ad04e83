"""ZCL foundation attribute read and write commands (ZCL rev 7/8 2.5.1-2.5.6, structured
access 2.5.15-2.5.17): Read Attributes, Write Attributes (plain, undivided, no response) with
their responses, and the structured variants with their selectors.

Short forms: an all-success Write Attributes Response and Write Attributes Structured Response
carry a single SUCCESS status octet; they are modelled as an empty ``records`` tuple.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from zigmesh.codec import Reader, fast_init
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.foundation_common import (
    _B,
    _BH,
    _H,
    _HB,
    _HBB,
    _SEL_OP,
    _STATUS,
    FoundationCommand,
    SelectorOperation,
    ZclStatus,
    _bad_encode,
    _pack_records,
    _pack_status_records,
    _ShortFormResponse,
    _success_only,
    _unpack_records,
)
from zigmesh.zcl.types import (
    _DTYPES,
    _PACK,
    _READ,
    _SIZE,
    _UNPACK,
    ENCODE_ERRORS,
    DataType,
    ZclValue,
    _read_typed,
    _slot_setter,
)

__all__ = [
    "AttributeRecord",
    "ReadAttributes",
    "ReadAttributesResponse",
    "ReadAttributesStructured",
    "ReadAttributeStatusRecord",
    "ReadStructuredRecord",
    "Selector",
    "WriteAttributes",
    "WriteAttributesNoResponse",
    "WriteAttributesResponse",
    "WriteAttributesStructured",
    "WriteAttributesStructuredResponse",
    "WriteAttributeStatusRecord",
    "WriteAttributesUndivided",
    "WriteStructuredRecord",
    "WriteStructuredStatusRecord",
]


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
