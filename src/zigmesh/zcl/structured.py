"""Read / Write Attributes Structured (ZCL rev 7/8, 2.5.15-2.5.17), answered from a server
cluster's attribute storage.

A selector addresses an element of an array, set, bag or structure attribute by up to 15
nested indexes (1 = the first element); index 0, last, reads the number of elements (uint16).
No index addresses the whole attribute (as Read / Write Attributes do).

* Read Attributes Structured is answered with a Read Attributes Response: per record the
  selected element's type and value, UNSUPPORTED_ATTRIBUTE for an unknown or unreadable
  attribute, INVALID_SELECTOR for an index beyond the elements, an index into a value that is
  not a collection, or index 0 anywhere but last. The response is cut where the next record
  would not fit one frame.
* Write Attributes Structured: the selected element is replaced (its data type must be the
  element's: INVALID_DATA_TYPE), or with the Add / Remove Element operations an element is
  added to / removed from the set or bag the indexes select (INVALID_SELECTOR on anything
  else, DUPLICATE_EXISTS for a value a set holds already, NOT_FOUND for one it does not).
  The new whole value then goes through the cluster's usual write checks (READ_ONLY,
  INVALID_VALUE, the ``validate`` hook) and is written. The response lists the records not
  written, with their selectors (the single SUCCESS octet when all were).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.errors import LocalProtocolError
from zigmesh.zcl.cluster import ServerCluster
from zigmesh.zcl.foundation import (
    ReadAttributesResponse,
    ReadAttributesStructured,
    ReadAttributeStatusRecord,
    SelectorOperation,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    WriteStructuredRecord,
    WriteStructuredStatusRecord,
    ZclStatus,
)
from zigmesh.zcl.types import ENCODE_ERRORS, DataType, TypedValue, ZclArray, ZclStruct, ZclValue
from zigmesh.zcl.types import encode_value as _encode

if TYPE_CHECKING:
    from zigmesh.zcl.definitions import AttributeDef
    from zigmesh.zcl.engine import ZclEndpoint

__all__ = ["read_structured", "write_structured", "select"]

_COLLECTIONS = frozenset({DataType.ARRAY, DataType.SET, DataType.BAG})
_UNORDERED = frozenset({DataType.SET, DataType.BAG})


def select(
    dtype: DataType, value: ZclValue, indexes: tuple[int, ...]
) -> tuple[DataType, ZclValue] | ZclStatus:
    """The element ``indexes`` select in a value of type ``dtype``: (type, value), or
    INVALID_SELECTOR."""
    for n, i in enumerate(indexes):
        if dtype in _COLLECTIONS and isinstance(value, ZclArray):
            items = value.items or ()
            if i == 0:
                if n != len(indexes) - 1:
                    return ZclStatus.INVALID_SELECTOR
                return DataType.UINT16, len(items)
            if i > len(items):
                return ZclStatus.INVALID_SELECTOR
            dtype, value = value.element_type, items[i - 1]
        elif dtype == DataType.STRUCT and isinstance(value, ZclStruct):
            elements = value.elements or ()
            if i == 0:
                if n != len(indexes) - 1:
                    return ZclStatus.INVALID_SELECTOR
                return DataType.UINT16, len(elements)
            if i > len(elements):
                return ZclStatus.INVALID_SELECTOR
            tv = elements[i - 1]
            dtype, value = tv.type, tv.value
        else:
            return ZclStatus.INVALID_SELECTOR
    return dtype, value


def _replace(
    dtype: DataType,
    value: ZclValue,
    indexes: tuple[int, ...],
    rec: WriteStructuredRecord,
) -> ZclValue | ZclStatus:
    """``value`` with the element at ``indexes`` written as ``rec`` asks (recursively)."""
    if not indexes:
        return _operate(dtype, value, rec)
    i, rest = indexes[0], indexes[1:]
    if i == 0:
        return ZclStatus.INVALID_SELECTOR
    if dtype in _COLLECTIONS and isinstance(value, ZclArray):
        items = list(value.items or ())
        if i > len(items):
            return ZclStatus.INVALID_SELECTOR
        new = _replace(value.element_type, items[i - 1], rest, rec)
        if isinstance(new, ZclStatus):
            return new
        items[i - 1] = new
        return ZclArray(value.element_type, tuple(items))
    if dtype == DataType.STRUCT and isinstance(value, ZclStruct):
        elements = list(value.elements or ())
        if i > len(elements):
            return ZclStatus.INVALID_SELECTOR
        tv = elements[i - 1]
        new = _replace(tv.type, tv.value, rest, rec)
        if isinstance(new, ZclStatus):
            return new
        elements[i - 1] = TypedValue(tv.type, new)
        return ZclStruct(tuple(elements))
    return ZclStatus.INVALID_SELECTOR


def _operate(dtype: DataType, value: ZclValue, rec: WriteStructuredRecord) -> ZclValue | ZclStatus:
    """The selected element itself: written whole, or an element added to / removed from it."""
    op = rec.selector.operation
    if op == SelectorOperation.WRITE:
        if rec.data_type != dtype:
            return ZclStatus.INVALID_DATA_TYPE
        return rec.value
    if op not in (SelectorOperation.ADD_ELEMENT, SelectorOperation.REMOVE_ELEMENT):
        return ZclStatus.INVALID_SELECTOR
    if dtype not in _UNORDERED or not isinstance(value, ZclArray):
        return ZclStatus.INVALID_SELECTOR
    if rec.data_type != value.element_type:
        return ZclStatus.INVALID_DATA_TYPE
    items = list(value.items or ())
    if op == SelectorOperation.ADD_ELEMENT:
        if dtype == DataType.SET and rec.value in items:
            return ZclStatus.DUPLICATE_EXISTS
        items.append(rec.value)
    else:
        if rec.value not in items:
            return ZclStatus.NOT_FOUND
        items.remove(rec.value)
    return ZclArray(value.element_type, tuple(items))


def read_structured(
    ep: ZclEndpoint,
    cluster: ServerCluster,
    mfr: int | None,
    cmd: ReadAttributesStructured,
) -> ReadAttributesResponse:
    room = ep.max_payload(mfr is not None)
    cluster.refresh()
    recs: list[ReadAttributeStatusRecord] = []
    used = 0
    for r in cmd.records:
        a = cluster.definition.attribute(r.attribute_id, mfr)
        rec: ReadAttributeStatusRecord
        if a is None or not a.readable:
            rec = ReadAttributeStatusRecord(r.attribute_id, ZclStatus.UNSUPPORTED_ATTRIBUTE)
            size = 3
        else:
            got = select(a.type, cluster.value_of(a), r.selector.indexes)
            if isinstance(got, ZclStatus):
                rec = ReadAttributeStatusRecord(r.attribute_id, got)
                size = 3
            else:
                dtype, v = got
                rec = ReadAttributeStatusRecord(r.attribute_id, ZclStatus.SUCCESS, dtype, v)
                size = 4 + len(_encode(dtype, v))
        if used + size > room:
            break
        used += size
        recs.append(rec)
    return ReadAttributesResponse(tuple(recs))


def _write_one(cluster: ServerCluster, a: AttributeDef, rec: WriteStructuredRecord) -> ZclStatus:
    sel = rec.selector
    if not sel.indexes and sel.operation == SelectorOperation.WRITE:
        st = cluster.check_write(a, rec.data_type, rec.value)
        if st == ZclStatus.SUCCESS:
            cluster.write(a, rec.value)
        return st
    if not a.writable:
        return ZclStatus.READ_ONLY
    new = _replace(a.type, cluster.value_of(a), sel.indexes, rec)
    if isinstance(new, ZclStatus):
        return new
    try:
        _encode(a.type, new)
    except (LocalProtocolError, *ENCODE_ERRORS):
        return ZclStatus.INVALID_VALUE
    st = cluster.check_write(a, a.type, new)
    if st == ZclStatus.SUCCESS:
        cluster.write(a, new)
    return st


def write_structured(
    cluster: ServerCluster, mfr: int | None, cmd: WriteAttributesStructured
) -> WriteAttributesStructuredResponse:
    fails: list[WriteStructuredStatusRecord] = []
    for rec in cmd.records:
        a = cluster.definition.attribute(rec.attribute_id, mfr)
        st = ZclStatus.UNSUPPORTED_ATTRIBUTE if a is None else _write_one(cluster, a, rec)
        if st != ZclStatus.SUCCESS:
            fails.append(WriteStructuredStatusRecord(st, rec.attribute_id, rec.selector))
    return WriteAttributesStructuredResponse(tuple(fails))
