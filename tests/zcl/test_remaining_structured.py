"""Read / Write Attributes Structured (ZCL 2.5.15-2.5.17) on the fake APS network: elements
of array, structure and set attributes read and written by selector, element counts, add /
remove element in a set, and the statuses (UNSUPPORTED_ATTRIBUTE, INVALID_SELECTOR,
INVALID_DATA_TYPE, READ_ONLY, DUPLICATE_EXISTS, NOT_FOUND); plain attributes through an
empty selector."""

from __future__ import annotations

from tests.zcl.zclfakes import LIGHT, S, pair
from zigmesh.zcl.cluster import ServerCluster
from zigmesh.zcl.definitions import Access, AttributeDef, ClusterDef
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.foundation import (
    ReadAttributesResponse,
    ReadAttributesStructured,
    ReadAttributeStatusRecord,
    ReadStructuredRecord,
    Selector,
    SelectorOperation,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    WriteStructuredRecord,
    WriteStructuredStatusRecord,
    ZclStatus,
)
from zigmesh.zcl.structured import select
from zigmesh.zcl.types import DataType, TypedValue, ZclArray, ZclStruct

T = DataType
DST = Destination.short(LIGHT, 1)
CID = 0xFC20
ARR = ZclArray(T.UINT8, (10, 20, 30))
NESTED = ZclStruct((TypedValue(T.UINT16, 0x1234), TypedValue(T.ARRAY, ZclArray(T.INT8, (-1, -2)))))
SET = ZclArray(T.UINT16, (1, 2))
DEF = ClusterDef(
    CID,
    "structured_test",
    (
        AttributeDef(0x0000, "levels", T.ARRAY, Access.RW, ARR),
        AttributeDef(0x0001, "record", T.STRUCT, Access.RW, NESTED),
        AttributeDef(0x0002, "members", T.SET, Access.RW, SET),
        AttributeDef(0x0003, "fixed", T.ARRAY, Access.READ, ARR),
        AttributeDef(0x0004, "plain", T.UINT8, Access.RW, 7),
    ),
)


def _setup() -> tuple[object, ServerCluster, ZclEndpoint]:
    net, ln, cn = pair()
    server = ServerCluster(DEF)
    ZclEndpoint(ln, 1, [server])
    return net, server, ZclEndpoint(cn, 1)


def _ask(net: object, ep: ZclEndpoint, cmd: object, t: int) -> object:
    p = ep.request(DST, CID, cmd)  # type: ignore[arg-type]
    net.run(t)  # type: ignore[attr-defined]
    return p.result().response


def test_select_walks_arrays_and_structures() -> None:
    assert select(T.ARRAY, ARR, ()) == (T.ARRAY, ARR)
    assert select(T.ARRAY, ARR, (2,)) == (T.UINT8, 20)
    assert select(T.ARRAY, ARR, (0,)) == (T.UINT16, 3)
    assert select(T.STRUCT, NESTED, (2, 1)) == (T.INT8, -1)
    assert select(T.STRUCT, NESTED, (2, 0)) == (T.UINT16, 2)
    assert select(T.STRUCT, NESTED, (0, 1)) == ZclStatus.INVALID_SELECTOR
    assert select(T.ARRAY, ARR, (4,)) == ZclStatus.INVALID_SELECTOR
    assert select(T.UINT8, 5, (1,)) == ZclStatus.INVALID_SELECTOR


def test_read_attributes_structured() -> None:
    net, server, ctl = _setup()
    cmd = ReadAttributesStructured(
        (
            ReadStructuredRecord(0x0000, Selector((3,))),
            ReadStructuredRecord(0x0000, Selector((0,))),
            ReadStructuredRecord(0x0001, Selector((2, 2))),
            ReadStructuredRecord(0x0004, Selector()),
            ReadStructuredRecord(0x0004, Selector((1,))),
            ReadStructuredRecord(0x0000, Selector((9,))),
            ReadStructuredRecord(0x0077, Selector()),
        )
    )
    assert _ask(net, ctl, cmd, 1 * S) == ReadAttributesResponse(
        (
            ReadAttributeStatusRecord(0x0000, ZclStatus.SUCCESS, T.UINT8, 30),
            ReadAttributeStatusRecord(0x0000, ZclStatus.SUCCESS, T.UINT16, 3),
            ReadAttributeStatusRecord(0x0001, ZclStatus.SUCCESS, T.INT8, -2),
            ReadAttributeStatusRecord(0x0004, ZclStatus.SUCCESS, T.UINT8, 7),
            ReadAttributeStatusRecord(0x0004, ZclStatus.INVALID_SELECTOR),
            ReadAttributeStatusRecord(0x0000, ZclStatus.INVALID_SELECTOR),
            ReadAttributeStatusRecord(0x0077, ZclStatus.UNSUPPORTED_ATTRIBUTE),
        )
    )
    assert server["levels"] == ARR


def test_write_attributes_structured() -> None:
    net, server, ctl = _setup()
    w = WriteStructuredRecord
    add, remove = SelectorOperation.ADD_ELEMENT, SelectorOperation.REMOVE_ELEMENT
    ok = WriteAttributesStructured(
        (
            w(0x0000, Selector((2,)), T.UINT8, 99),
            w(0x0001, Selector((2, 1)), T.INT8, 5),
            w(0x0001, Selector((1,)), T.UINT16, 0xBEEF),
            w(0x0002, Selector((), add), T.UINT16, 3),
            w(0x0002, Selector((), remove), T.UINT16, 1),
            w(0x0004, Selector(), T.UINT8, 8),
        )
    )
    assert _ask(net, ctl, ok, 1 * S) == WriteAttributesStructuredResponse(())
    assert server["levels"] == ZclArray(T.UINT8, (10, 99, 30))
    assert server["record"] == ZclStruct(
        (TypedValue(T.UINT16, 0xBEEF), TypedValue(T.ARRAY, ZclArray(T.INT8, (5, -2))))
    )
    assert server["members"] == ZclArray(T.UINT16, (2, 3))
    assert server["plain"] == 8
    bad = (
        w(0x0000, Selector((2,)), T.UINT16, 1),  # not the element's type
        w(0x0000, Selector((7,)), T.UINT8, 1),  # no 7th element
        w(0x0000, Selector((0,)), T.UINT16, 1),  # the count is not written
        w(0x0003, Selector((1,)), T.UINT8, 1),  # read-only attribute
        w(0x0002, Selector((), add), T.UINT16, 2),  # a set holds it already
        w(0x0002, Selector((), remove), T.UINT16, 42),  # not in the set
        w(0x0000, Selector((), add), T.UINT8, 1),  # add to an array: no
        w(0x0004, Selector((1,)), T.UINT8, 1),  # index into a plain value
        w(0x0077, Selector(), T.UINT8, 1),
    )
    resp = _ask(net, ctl, WriteAttributesStructured(bad), 2 * S)
    assert resp == WriteAttributesStructuredResponse(
        tuple(
            WriteStructuredStatusRecord(st, r.attribute_id, r.selector)
            for st, r in zip(
                (
                    ZclStatus.INVALID_DATA_TYPE,
                    ZclStatus.INVALID_SELECTOR,
                    ZclStatus.INVALID_SELECTOR,
                    ZclStatus.READ_ONLY,
                    ZclStatus.DUPLICATE_EXISTS,
                    ZclStatus.NOT_FOUND,
                    ZclStatus.INVALID_SELECTOR,
                    ZclStatus.INVALID_SELECTOR,
                    ZclStatus.UNSUPPORTED_ATTRIBUTE,
                ),
                bad,
                strict=True,
            )
        )
    )
    # nothing changed by the failed records
    assert server["levels"] == ZclArray(T.UINT8, (10, 99, 30))
    assert server["members"] == ZclArray(T.UINT16, (2, 3)) and server["fixed"] == ARR
