"""ZCL data types (ZCL rev 7/8, clause 2.6.2, Table 2-10) and their codecs.

Every type id maps to one entry of a precomputed codec table: fixed-size types carry their size
and an ``unpack(data, pos)`` function, variable-size types a ``read(reader, depth)`` function;
every type has a ``pack(value) -> bytes``. Decoding indexes the table by the type id, with no
per-call dispatch.

Python values by type:

* nodata / unknown: ``None``
* data8..64, map8..64, uint8..64, int8..64, enum8/16, UTC, clusterId, attribId, bacOID: ``int``
* bool: ``bool`` for 0x00 / 0x01, the raw ``int`` otherwise (0xFF is the invalid value)
* semi / single / double: ``float`` (semi-precision packed with struct format ``'e'``)
* octstr / octstr16 / key128: ``bytes``; string / string16: ``str`` (UTF-8); a length of
  0xFF / 0xFFFF (the invalid value) is ``None``
* ToD: :class:`TimeOfDay`; date: :class:`Date`; EUI64: :class:`zigmesh.types.EUI64`
* array / set / bag: :class:`ZclArray` (``items`` is ``None`` for the invalid count 0xFFFF)
* struct: :class:`ZclStruct` of :class:`TypedValue` (``elements`` ``None`` for count 0xFFFF)
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from operator import getitem
from typing import Any, Self, TypeAlias

from zigmesh.codec import Reader, enum_or_int, read_whole
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.types import EUI64

__all__ = [
    "DataType",
    "TimeOfDay",
    "Date",
    "ZclArray",
    "ZclStruct",
    "TypedValue",
    "ZclValue",
    "ANALOG_TYPES",
    "INVALID_VALUES",
    "MAX_NESTING",
    "data_type_or_int",
    "is_invalid",
    "encode_value",
    "read_value",
    "decode_value",
    "read_typed",
]


class DataType(IntEnum):
    """ZCL data type identifiers (ZCL Table 2-10); short names as in the spec."""

    NODATA = 0x00
    DATA8 = 0x08
    DATA16 = 0x09
    DATA24 = 0x0A
    DATA32 = 0x0B
    DATA40 = 0x0C
    DATA48 = 0x0D
    DATA56 = 0x0E
    DATA64 = 0x0F
    BOOL = 0x10
    MAP8 = 0x18
    MAP16 = 0x19
    MAP24 = 0x1A
    MAP32 = 0x1B
    MAP40 = 0x1C
    MAP48 = 0x1D
    MAP56 = 0x1E
    MAP64 = 0x1F
    UINT8 = 0x20
    UINT16 = 0x21
    UINT24 = 0x22
    UINT32 = 0x23
    UINT40 = 0x24
    UINT48 = 0x25
    UINT56 = 0x26
    UINT64 = 0x27
    INT8 = 0x28
    INT16 = 0x29
    INT24 = 0x2A
    INT32 = 0x2B
    INT40 = 0x2C
    INT48 = 0x2D
    INT56 = 0x2E
    INT64 = 0x2F
    ENUM8 = 0x30
    ENUM16 = 0x31
    SEMI = 0x38
    SINGLE = 0x39
    DOUBLE = 0x3A
    OCTSTR = 0x41
    STRING = 0x42
    OCTSTR16 = 0x43
    STRING16 = 0x44
    ARRAY = 0x48
    STRUCT = 0x4C
    SET = 0x50
    BAG = 0x51
    TOD = 0xE0
    DATE = 0xE1
    UTC = 0xE2
    CLUSTER_ID = 0xE8
    ATTRIB_ID = 0xE9
    BAC_OID = 0xEA
    EUI64 = 0xF0
    KEY128 = 0xF1
    UNKNOWN = 0xFF

    @property
    def is_analog(self) -> bool:
        """Analog class (Table 2-10): integers, floats and time; reportable change applies."""
        return self in ANALOG_TYPES

    @property
    def is_discrete(self) -> bool:
        """Discrete (or null) class: Configure Reporting omits the reportable change."""
        return self not in ANALOG_TYPES

    @property
    def fixed_size(self) -> int | None:
        """Encoded length in octets, or ``None`` for variable-length types."""
        n = _SIZE[self]
        return n if n >= 0 else None

    @property
    def invalid_value(self) -> ZclValue:
        """The invalid ("non-value") of this type, ``None`` where the spec defines none."""
        return INVALID_VALUES.get(self)


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    """Time of day (ZCL 2.6.2, Table 2-10 "ToD"): each octet 0xFF means "don't care"."""

    hours: int
    minutes: int
    seconds: int
    hundredths: int


@dataclass(frozen=True, slots=True)
class Date:
    """Date (ZCL 2.6.2, Table 2-10 "date"). ``year`` is the calendar year (octet + 1900);
    0xFF octets (year 2155) mean "don't care". ``day_of_week``: 1 = Monday .. 7 = Sunday."""

    year: int
    month: int
    day: int
    day_of_week: int


@dataclass(frozen=True, slots=True)
class ZclArray:
    """Array, set or bag (ZCL 2.6.2, Table 2-10): elements of one type, no per-element type
    octet. ``items`` ``None`` is the invalid number of elements (0xFFFF)."""

    element_type: DataType
    items: tuple[ZclValue, ...] | None


@dataclass(frozen=True, slots=True)
class ZclStruct:
    """Structure (ZCL 2.6.2, Table 2-10): each element carries its own type octet.
    ``elements`` ``None`` is the invalid number of elements (0xFFFF)."""

    elements: tuple[TypedValue, ...] | None


@dataclass(frozen=True, slots=True)
class TypedValue:
    """A value with its ZCL data type, encoded as the type octet followed by the value."""

    type: DataType
    value: ZclValue

    def encode(self) -> bytes:
        return bytes((self.type,)) + encode_value(self.type, self.value)

    @classmethod
    def read(cls, r: Reader) -> Self:
        t, v = read_typed(r)
        return cls(t, v)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "zcl.typed_value")


ZclValue: TypeAlias = int | float | bytes | str | TimeOfDay | Date | ZclArray | ZclStruct | None

#: Nesting limit for arrays / structs within one value (guards recursion on hostile input).
MAX_NESTING = 16

#: Analog types (Table 2-10 "Class" column): unsigned / signed integers, floats, time.
ANALOG_TYPES: frozenset[DataType] = frozenset(
    t for t in DataType if 0x20 <= t <= 0x2F or 0x38 <= t <= 0x3A or 0xE0 <= t <= 0xE2
)

_NAN = float("nan")

#: Invalid ("non-value") per type (Table 2-10 "Invalid Number" column). Types without one
#: (data, map, key128, nodata, unknown) are absent. Strings and collections: ``None``.
INVALID_VALUES: Mapping[DataType, ZclValue] = {
    DataType.BOOL: 0xFF,
    **{DataType(0x20 + i): (1 << (8 * (i + 1))) - 1 for i in range(8)},
    **{DataType(0x28 + i): -(1 << (8 * (i + 1) - 1)) for i in range(8)},
    DataType.ENUM8: 0xFF,
    DataType.ENUM16: 0xFFFF,
    DataType.SEMI: _NAN,
    DataType.SINGLE: _NAN,
    DataType.DOUBLE: _NAN,
    DataType.OCTSTR: None,
    DataType.STRING: None,
    DataType.OCTSTR16: None,
    DataType.STRING16: None,
    DataType.ARRAY: None,
    DataType.STRUCT: None,
    DataType.SET: None,
    DataType.BAG: None,
    DataType.TOD: TimeOfDay(0xFF, 0xFF, 0xFF, 0xFF),
    DataType.DATE: Date(1900 + 0xFF, 0xFF, 0xFF, 0xFF),
    DataType.UTC: 0xFFFF_FFFF,
    DataType.CLUSTER_ID: 0xFFFF,
    DataType.ATTRIB_ID: 0xFFFF,
    DataType.BAC_OID: 0xFFFF_FFFF,
    DataType.EUI64: EUI64(0xFFFF_FFFF_FFFF_FFFF),
}


def is_invalid(dtype: DataType, value: ZclValue) -> bool:
    """True if ``value`` is the invalid value of ``dtype`` (NaN for floats, ``None`` for
    strings and collections)."""
    if dtype not in INVALID_VALUES:
        return False
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, ZclArray):
        return value.items is None
    if isinstance(value, ZclStruct):
        return value.elements is None
    inv = INVALID_VALUES[dtype]
    return value is None if inv is None else value == inv


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """Setter of slot ``name`` of a frozen slots dataclass, for decode fast paths that build
    instances with ``object.__new__`` and fill every field (skipping the frozen guard)."""
    setter: Callable[[Any, Any], None] = getattr(cls, name).__set__
    return setter


# --------------------------------------------------------------------------------------------
# Codec table
# --------------------------------------------------------------------------------------------

_VAR = -1  # size marker: variable length (or unsupported id: its reader raises)

Unpack = Callable[[bytes, int], Any]
Read = Callable[[Reader, int], Any]
Pack = Callable[[Any], bytes]


@dataclass(frozen=True, slots=True)
class _Codec:
    size: int  # octets, or _VAR
    unpack: Unpack | None = None  # fixed-size types
    read: Read | None = None  # variable-size types
    pack: Pack | None = None


def _unpacker(s: struct.Struct) -> Unpack:
    u = s.unpack_from

    def unpack(data: bytes, pos: int) -> Any:
        return u(data, pos)[0]

    return unpack


def _uint_unpacker(n: int) -> Unpack:
    def unpack(data: bytes, pos: int) -> int:
        return int.from_bytes(data[pos : pos + n], "little")

    return unpack


def _sint_unpacker(n: int) -> Unpack:
    def unpack(data: bytes, pos: int) -> int:
        return int.from_bytes(data[pos : pos + n], "little", signed=True)

    return unpack


def _uint_packer(n: int) -> Pack:
    def pack(v: int) -> bytes:
        return v.to_bytes(n, "little")

    return pack


def _sint_packer(n: int) -> Pack:
    def pack(v: int) -> bytes:
        return v.to_bytes(n, "little", signed=True)

    return pack


_STRUCT_U = {1: "B", 2: "H", 4: "I", 8: "Q"}
_STRUCT_S = {1: "b", 2: "h", 4: "i", 8: "q"}


def _int_codec(n: int, signed: bool) -> _Codec:
    fmt = (_STRUCT_S if signed else _STRUCT_U).get(n)
    if n == 1 and not signed:
        return _Codec(1, getitem, pack=struct.Struct("<B").pack)
    if fmt is not None:
        s = struct.Struct("<" + fmt)
        return _Codec(n, _unpacker(s), pack=s.pack)
    if signed:
        return _Codec(n, _sint_unpacker(n), pack=_sint_packer(n))
    return _Codec(n, _uint_unpacker(n), pack=_uint_packer(n))


def _unpack_bool(data: bytes, pos: int) -> bool | int:
    v = data[pos]
    return True if v == 1 else False if v == 0 else v


def _unpack_tod(data: bytes, pos: int) -> TimeOfDay:
    return TimeOfDay(data[pos], data[pos + 1], data[pos + 2], data[pos + 3])


def _pack_tod(v: TimeOfDay) -> bytes:
    return bytes((v.hours, v.minutes, v.seconds, v.hundredths))


def _unpack_date(data: bytes, pos: int) -> Date:
    return Date(1900 + data[pos], data[pos + 1], data[pos + 2], data[pos + 3])


def _pack_date(v: Date) -> bytes:
    return bytes((v.year - 1900, v.month, v.day, v.day_of_week))


_U64 = struct.Struct("<Q")


def _unpack_eui64(data: bytes, pos: int) -> EUI64:
    return EUI64(_U64.unpack_from(data, pos)[0])


def _unpack_key128(data: bytes, pos: int) -> bytes:
    return data[pos : pos + 16]


def _pack_key128(v: bytes) -> bytes:
    if not isinstance(v, (bytes, bytearray)) or len(v) != 16:
        raise LocalProtocolError("key128 value must be 16 bytes")
    return bytes(v)


def _pack_none(v: None) -> bytes:
    if v is not None:
        raise LocalProtocolError("nodata / unknown carry no value (use None)")
    return b""


# -- strings ---------------------------------------------------------------------------------


def _str_reader(width: int, name: str, text: bool) -> Read:
    invalid = (1 << (8 * width)) - 1
    len_field = f"zcl.{name}.length"
    data_field = f"zcl.{name}.data"

    def read(r: Reader, depth: int) -> bytes | str | None:
        n = r.u8(len_field) if width == 1 else r.u16(len_field)
        if n == invalid:
            return None
        raw = r.bytes(n, data_field)
        if not text:
            return raw
        # Deployed devices send Latin-1 and other non-UTF-8 names: undecodable bytes become
        # lone surrogates (PEP 383), so any string decodes and re-encodes to the same octets.
        return raw.decode("utf-8", "surrogateescape")

    return read


def _str_packer(width: int, name: str, text: bool) -> Pack:
    invalid = (1 << (8 * width)) - 1

    def pack(v: bytes | str | None) -> bytes:
        if v is None:
            return invalid.to_bytes(width, "little")
        if text:
            if not isinstance(v, str):
                raise LocalProtocolError(f"{name} value must be str or None")
            raw = v.encode("utf-8", "surrogateescape")
        else:
            if not isinstance(v, (bytes, bytearray)):
                raise LocalProtocolError(f"{name} value must be bytes or None")
            raw = bytes(v)
        if len(raw) >= invalid:
            raise LocalProtocolError(f"{name} of {len(raw)} octets exceeds {invalid - 1}")
        return len(raw).to_bytes(width, "little") + raw

    return pack


# -- collections -----------------------------------------------------------------------------


def _collection_reader(name: str) -> Read:
    type_field = f"zcl.{name}.element_type"
    count_field = f"zcl.{name}.count"

    def read(r: Reader, depth: int) -> ZclArray:
        if depth >= MAX_NESTING:
            raise DecodeError(type_field, r.offset(), f"nesting deeper than {MAX_NESTING}")
        p = r.pos
        et = r.u8(type_field)
        size = _SIZE[et]
        if size == 0 or _DTYPE[et] is None:
            raise DecodeError(type_field, r.base + p, f"unusable element type 0x{et:02x}")
        count = r.u16(count_field)
        if count == 0xFFFF:
            return ZclArray(_DTYPES[et], None)
        need = count * size if size > 0 else count
        if need > r.end - r.pos:
            raise DecodeError(count_field, r.base + p + 1, f"{count} elements exceed the payload")
        if size > 0:
            unpack = _UNPACK[et]
            data = r.data
            q = r.pos
            items = tuple([unpack(data, q + i * size) for i in range(count)])
            r.pos = q + need
        else:
            read_el = _READ[et]
            d = depth + 1
            items = tuple([read_el(r, d) for _ in range(count)])
        return ZclArray(_DTYPES[et], items)

    return read


def _pack_collection(v: ZclArray) -> bytes:
    if not isinstance(v, ZclArray):
        raise LocalProtocolError("array / set / bag value must be a ZclArray")
    et = v.element_type
    if _SIZE[et] == 0 or _DTYPE[et] is None:
        raise LocalProtocolError(f"unusable element type {et!r}")
    if v.items is None:
        return bytes((et, 0xFF, 0xFF))
    if len(v.items) >= 0xFFFF:
        raise LocalProtocolError("too many elements")
    pack = _PACK[et]
    return bytes((et,)) + len(v.items).to_bytes(2, "little") + b"".join([pack(x) for x in v.items])


def _read_struct(r: Reader, depth: int) -> ZclStruct:
    if depth >= MAX_NESTING:
        raise DecodeError("zcl.struct.count", r.offset(), f"nesting deeper than {MAX_NESTING}")
    p = r.pos
    count = r.u16("zcl.struct.count")
    if count == 0xFFFF:
        return ZclStruct(None)
    if count > r.end - r.pos:
        raise DecodeError("zcl.struct.count", r.base + p, f"{count} elements exceed the payload")
    d = depth + 1
    return ZclStruct(tuple([TypedValue(*_read_typed(r, d)) for _ in range(count)]))


def _pack_struct(v: ZclStruct) -> bytes:
    if not isinstance(v, ZclStruct):
        raise LocalProtocolError("struct value must be a ZclStruct")
    if v.elements is None:
        return b"\xff\xff"
    if len(v.elements) >= 0xFFFF:
        raise LocalProtocolError("too many elements")
    out = bytearray(len(v.elements).to_bytes(2, "little"))
    for el in v.elements:
        t = el.type
        out.append(t)
        out += _PACK[t](el.value)
    return bytes(out)


def _build_codecs() -> dict[DataType, _Codec]:
    T = DataType
    f32 = struct.Struct("<f")
    f64 = struct.Struct("<d")
    f16 = struct.Struct("<e")
    u16 = struct.Struct("<H")
    u32 = struct.Struct("<I")
    c: dict[DataType, _Codec] = {
        T.NODATA: _Codec(0, pack=_pack_none),
        T.UNKNOWN: _Codec(0, pack=_pack_none),
        T.BOOL: _Codec(1, _unpack_bool, pack=struct.Struct("<B").pack),
        T.SEMI: _Codec(2, _unpacker(f16), pack=f16.pack),
        T.SINGLE: _Codec(4, _unpacker(f32), pack=f32.pack),
        T.DOUBLE: _Codec(8, _unpacker(f64), pack=f64.pack),
        T.OCTSTR: _Codec(
            _VAR, read=_str_reader(1, "octstr", False), pack=_str_packer(1, "octstr", False)
        ),
        T.STRING: _Codec(
            _VAR, read=_str_reader(1, "string", True), pack=_str_packer(1, "string", True)
        ),
        T.OCTSTR16: _Codec(
            _VAR, read=_str_reader(2, "octstr16", False), pack=_str_packer(2, "octstr16", False)
        ),
        T.STRING16: _Codec(
            _VAR, read=_str_reader(2, "string16", True), pack=_str_packer(2, "string16", True)
        ),
        T.ARRAY: _Codec(_VAR, read=_collection_reader("array"), pack=_pack_collection),
        T.SET: _Codec(_VAR, read=_collection_reader("set"), pack=_pack_collection),
        T.BAG: _Codec(_VAR, read=_collection_reader("bag"), pack=_pack_collection),
        T.STRUCT: _Codec(_VAR, read=_read_struct, pack=_pack_struct),
        T.TOD: _Codec(4, _unpack_tod, pack=_pack_tod),
        T.DATE: _Codec(4, _unpack_date, pack=_pack_date),
        T.UTC: _Codec(4, _unpacker(u32), pack=u32.pack),
        T.CLUSTER_ID: _Codec(2, _unpacker(u16), pack=u16.pack),
        T.ATTRIB_ID: _Codec(2, _unpacker(u16), pack=u16.pack),
        T.BAC_OID: _Codec(4, _unpacker(u32), pack=u32.pack),
        T.EUI64: _Codec(8, _unpack_eui64, pack=_U64.pack),
        T.KEY128: _Codec(16, _unpack_key128, pack=_pack_key128),
        T.ENUM8: _int_codec(1, False),
        T.ENUM16: _int_codec(2, False),
    }
    for i in range(8):
        n = i + 1
        c[T(0x08 + i)] = _int_codec(n, False)  # dataN
        c[T(0x18 + i)] = _int_codec(n, False)  # mapN
        c[T(0x20 + i)] = _int_codec(n, False)  # uintN
        c[T(0x28 + i)] = _int_codec(n, True)  # intN
    assert set(c) == set(DataType)
    return c


def _unsupported_unpack(data: bytes, pos: int) -> Any:
    raise AssertionError("unreachable: no fixed size")


def _make_unsupported_read(dt: int) -> Read:
    def read(r: Reader, depth: int) -> Any:
        raise DecodeError("zcl.data_type", r.offset() - 1, f"unsupported data type 0x{dt:02x}")

    return read


def _make_unsupported_pack(dt: int) -> Pack:
    def pack(v: Any) -> bytes:
        raise LocalProtocolError(f"unsupported data type 0x{dt:02x}")

    return pack


_CODECS = _build_codecs()
#: Flat per-type-id tables (index 0..255) for the decode / encode hot paths.
_DTYPE: tuple[DataType | None, ...] = tuple(
    DataType(i) if i in DataType._value2member_map_ else None for i in range(256)
)
#: Same as ``_DTYPE`` with unsupported ids mapped to UNKNOWN, only ever read after the id was
#: found supported (their ``_READ`` entry raises first).
_DTYPES: tuple[DataType, ...] = tuple(t if t is not None else DataType.UNKNOWN for t in _DTYPE)
_SIZE: tuple[int, ...] = tuple(_CODECS[t].size if t is not None else _VAR for t in _DTYPE)
_UNPACK: tuple[Unpack, ...] = tuple(
    (_CODECS[t].unpack or _unsupported_unpack) if t is not None else _unsupported_unpack
    for t in _DTYPE
)
_READ: tuple[Read, ...] = tuple(
    (_CODECS[t].read or _make_unsupported_read(i)) if t is not None else _make_unsupported_read(i)
    for i, t in enumerate(_DTYPE)
)
_PACK: tuple[Pack, ...] = tuple(
    (_CODECS[t].pack or _make_unsupported_pack(i)) if t is not None else _make_unsupported_pack(i)
    for i, t in enumerate(_DTYPE)
)

#: Exceptions a packer raises on a value of the wrong type or range (caller misuse); encoders
#: turn them into LocalProtocolError.
ENCODE_ERRORS = (struct.error, OverflowError, TypeError, ValueError, AttributeError)


def data_type_or_int(v: int) -> DataType | int:
    """The :class:`DataType` for ``v``, or ``v`` itself if the id is reserved."""
    return enum_or_int(DataType, v)


def encode_value(dtype: DataType | int, value: ZclValue) -> bytes:
    """Encode ``value`` as ``dtype`` (no type octet). Bad values raise LocalProtocolError."""
    try:
        return _PACK[dtype](value)
    except ENCODE_ERRORS as e:
        raise LocalProtocolError(f"cannot encode {value!r} as {dtype!r}: {e}") from None
    except IndexError:
        raise LocalProtocolError(f"data type {dtype!r} out of range") from None


def _read_value(dtype: int, r: Reader, depth: int) -> ZclValue:
    size = _SIZE[dtype]
    if size > 0:
        p = r.pos
        if p + size > r.end:
            raise DecodeError(
                "zcl.value",
                r.base + p,
                f"{_DTYPES[dtype].name} needs {size} byte(s), {r.end - p} left",
            )
        r.pos = p + size
        v: ZclValue = _UNPACK[dtype](r.data, p)
        return v
    if size == 0:
        return None
    v = _READ[dtype](r, depth)
    return v


def read_value(dtype: DataType | int, r: Reader) -> ZclValue:
    """Read one value of ``dtype`` (no type octet) from ``r``; DecodeError on bad input."""
    if not 0 <= dtype <= 0xFF:
        raise DecodeError("zcl.data_type", r.offset(), f"data type {dtype} out of range")
    return _read_value(dtype, r, 0)


def decode_value(dtype: DataType | int, data: bytes) -> ZclValue:
    """Decode exactly one value of ``dtype`` from ``data`` (trailing bytes are an error)."""
    return read_whole(data, lambda r: read_value(dtype, r), "zcl.value")


def _read_typed(r: Reader, depth: int) -> tuple[DataType, ZclValue]:
    data = r.data
    p = r.pos
    if p >= r.end:
        raise DecodeError("zcl.data_type", r.base + p, "needs 1 byte(s), 0 left")
    dt = data[p]
    p += 1
    size = _SIZE[dt]
    if size > 0:
        if p + size > r.end:
            raise DecodeError(
                "zcl.value",
                r.base + p,
                f"{_DTYPES[dt].name} needs {size} byte(s), {r.end - p} left",
            )
        r.pos = p + size
        return _DTYPES[dt], _UNPACK[dt](data, p)
    r.pos = p
    if size == 0:
        return _DTYPES[dt], None
    v = _READ[dt](r, depth)  # raises for unsupported ids
    return _DTYPES[dt], v


def read_typed(r: Reader) -> tuple[DataType, ZclValue]:
    """Read a type octet and the value that follows it (the attribute record layout)."""
    return _read_typed(r, 0)
