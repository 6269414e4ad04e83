"""NodeSnapshot <-> JSON: canonical round trips, and every bad input is a DecodeError naming
the field (DESIGN.md sections 3.1 and 6)."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zigmesh.errors import DecodeError
from zigmesh.node import Role
from zigmesh.nwk.tables.neighbor import DeviceType
from zigmesh.persist import FORMAT_VERSION, ROLES, NodeSnapshot
from zigmesh.security import KeyStoreSnapshot

from .strategies import node_snapshots, sample_snapshot

PROPS = settings(max_examples=300, deadline=None)

#: sample_snapshot().to_json(): the on-disk format is a contract (bump FORMAT_VERSION to change)
GOLDEN = (
    '{"aps_counter":7,"bindings":[{"cluster":6,"dst_addr_mode":3,"dst_address":"00124b0000000001",'
    '"dst_endpoint":1,"src_endpoint":1,"src_ieee":"00124b00000000ff"},{"cluster":8,'
    '"dst_addr_mode":1,"dst_address":"0001","dst_endpoint":null,"src_endpoint":1,'
    '"src_ieee":"00124b00000000ff"}],"channel":15,"depth":1,"device_type":1,'
    '"eui64":"00124b00000000ff","extended_pan_id":"dddddddddddddddd","format_version":1,'
    '"groups":[{"endpoint":1,"group":"0001"}],"keys":{"active":{"key":'
    '"000102030405060708090a0b0c0d0e0f","seq":0},"alternate":{"key":'
    '"101112131415161718191a1b1c1d1e1f","seq":1},"incoming":[{"counter":5,"key_seq":0,'
    '"source":"00124b0000000002"},{"counter":9,"key_seq":null,"source":"00124b0000000001"}],'
    '"link_keys":[{"key":"00000000000000000000000000000000","partner":"00124b0000000001"}],'
    '"outgoing":[{"counter":3,"key":"000102030405060708090a0b0c0d0e0f"},{"counter":1,"key":'
    '"00000000000000000000000000000000"}],"tc_link_key":"5a6967426565416c6c69616e63653039"},'
    '"network_address":"1234","nwk_sequence_number":200,"nwk_update_id":2,"pan_id":"1a62",'
    '"parent_address":"0000","role":"router","saved_at_us":123}'
)


def _obj() -> dict[str, Any]:
    return dict(json.loads(GOLDEN))


def _decode_error(obj: object) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        NodeSnapshot.from_json(json.dumps(obj))
    return info.value


# -- round trips ---------------------------------------------------------------------------------


def test_golden_json() -> None:
    s = sample_snapshot()
    assert s.to_json() == GOLDEN
    assert NodeSnapshot.from_json(GOLDEN) == s
    assert NodeSnapshot.from_json(GOLDEN.encode()) == s
    assert FORMAT_VERSION == 1


def test_roles_and_device_types_match_the_stack() -> None:
    assert set(ROLES) == {r.value for r in Role}
    for dt in DeviceType:
        dataclasses.replace(sample_snapshot(), device_type=int(dt))
    with pytest.raises(ValueError):
        dataclasses.replace(sample_snapshot(), device_type=max(DeviceType) + 1)


@PROPS
@given(node_snapshots)
def test_round_trip(s: NodeSnapshot) -> None:
    j = s.to_json()
    back = NodeSnapshot.from_json(j)
    assert back == s
    assert back.to_json() == j  # canonical: decoding then encoding is byte-identical
    # deterministic: sorted keys, compact, ASCII, lowercase hex
    assert j == json.dumps(json.loads(j), sort_keys=True, separators=(",", ":"))
    assert j.isascii()


@PROPS
@given(node_snapshots)
def test_equal_snapshots_give_identical_json(s: NodeSnapshot) -> None:
    # an equal snapshot built from fresh objects (deep copies, int subclasses for ints)
    other = copy.deepcopy(s)
    other = dataclasses.replace(other, eui64=type("Eui", (int,), {})(s.eui64))
    assert other == s
    assert other.to_json() == s.to_json()


def test_addresses_and_keys_are_lowercase_fixed_width_hex() -> None:
    s = dataclasses.replace(sample_snapshot(), eui64=0xAB, pan_id=0xBEEF, parent_address=None)
    obj = json.loads(s.to_json())
    assert obj["eui64"] == "00000000000000ab"
    assert obj["pan_id"] == "beef"
    assert obj["parent_address"] is None
    assert obj["keys"]["tc_link_key"] == "5a6967426565416c6c69616e63653039"


def test_table_order_is_kept() -> None:
    """The incoming-counter table is in LRU order, which KeyStore.restore relies on."""
    ks = sample_snapshot().keys
    rev = dataclasses.replace(ks, incoming=ks.incoming[::-1], outgoing=ks.outgoing[::-1])
    s = dataclasses.replace(sample_snapshot(), keys=rev)
    assert NodeSnapshot.from_json(s.to_json()).keys == rev


# -- invalid JSON --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "json"),
        ("{", "json"),
        ("not json", "json"),
        (GOLDEN[:-1], "json"),
        ("[" * 100_000, "json"),  # nesting deeper than the recursion limit
        ('{"a": 1, "a": 2}', "json"),  # duplicate key
        ("9" * 5000, "json"),  # more digits than int() accepts
        ("[]", "snapshot"),
        ("null", "snapshot"),
        ("1", "snapshot"),
        ("{}", "format_version"),
    ],
)
def test_invalid_json(text: str, field: str) -> None:
    with pytest.raises(DecodeError) as info:
        NodeSnapshot.from_json(text)
    assert info.value.field == field


def test_json_syntax_error_has_offset() -> None:
    with pytest.raises(DecodeError) as info:
        NodeSnapshot.from_json('{"format_version": 1,}')
    assert info.value.field == "json"
    assert info.value.offset == 21


def test_invalid_utf8_bytes() -> None:
    with pytest.raises(DecodeError) as info:
        NodeSnapshot.from_json(b'{"role": "\xff"}')
    assert info.value.field == "json"


@pytest.mark.parametrize("version", [0, 2, 99, -1, "1", 1.0, True, None, [1]])
def test_unknown_format_version(version: object) -> None:
    obj = _obj()
    obj["format_version"] = version
    e = _decode_error(obj)
    assert e.field == "format_version"
    assert "unsupported snapshot format version" in e.reason
    assert "reads version 1" in e.reason


@pytest.mark.parametrize("name", sorted(_obj()))
def test_missing_top_level_field(name: str) -> None:
    obj = _obj()
    del obj[name]
    e = _decode_error(obj)
    assert (e.field, e.reason) == (name, "missing")


@pytest.mark.parametrize(
    "path",
    [
        ("keys", "active", "seq"),
        ("keys", "outgoing", 1, "counter"),
        ("keys", "incoming", 0, "key_seq"),
        ("keys", "link_keys", 0, "partner"),
        ("bindings", 1, "dst_endpoint"),
        ("groups", 0, "endpoint"),
    ],
)
def test_missing_nested_field(path: tuple[str | int, ...]) -> None:
    obj = _obj()
    parent: Any = obj
    for p in path[:-1]:
        parent = parent[p]
    del parent[path[-1]]
    assert _decode_error(obj).field == _dotted(path)


def test_unexpected_field() -> None:
    obj = _obj()
    obj["colour"] = "blue"
    assert _decode_error(obj).field == "colour"
    obj = _obj()
    obj["keys"]["outgoing"][0]["extra"] = 1
    assert _decode_error(obj).field == "keys.outgoing[0].extra"


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        # wrong types
        (("eui64",), 0x00124B00000000FF, "hex string"),
        (("channel",), "15", "integer"),
        (("channel",), 15.0, "integer"),
        (("depth",), True, "integer"),
        (("role",), 1, "string"),
        (("keys",), [], "object"),
        (("bindings",), {}, "array"),
        (("groups", 0), [1, 1], "object"),
        (("keys", "tc_link_key"), 0, "hex string"),
        (("keys", "outgoing", 0, "counter"), "3", "integer"),
        (("keys", "incoming", 1, "key_seq"), False, "integer"),
        # malformed hex
        (("eui64",), "00124B00000000FF", "lowercase hex"),
        (("eui64",), "0x124b00000000ff", "lowercase hex"),
        (("eui64",), "124b00000000ff", "lowercase hex"),
        (("pan_id",), "01a62", "lowercase hex"),
        (("keys", "active", "key"), "00" * 15, "lowercase hex"),
        (("keys", "active", "key"), "00" * 16 + "\n", "lowercase hex"),
        (("keys", "active", "key"), " " + "00" * 15 + " ", "lowercase hex"),
        # huge and out-of-range integers
        (("channel",), 27, "out of range"),
        (("channel",), -1, "out of range"),
        (("depth",), 256, "out of range"),
        (("device_type",), 3, "not a NWK DeviceType"),
        (("aps_counter",), 2**64, "out of range"),
        (("nwk_sequence_number",), 10**4000, "13288-bit integer out of range"),
        (("saved_at_us",), 2**63, "out of range"),
        (("keys", "outgoing", 0, "counter"), 2**32, "out of range"),
        (("keys", "incoming", 0, "counter"), -1, "out of range"),
        (("keys", "active", "seq"), 256, "out of range"),
        (("bindings", 0, "cluster"), 0x10000, "out of range"),
        (("groups", 0, "endpoint"), 2**100, "out of range"),
        (("groups", 0, "endpoint"), 0, "out of range 1..254"),
        (("bindings", 0, "src_endpoint"), 0xFF, "out of range 1..254"),
        (("bindings", 0, "dst_endpoint"), 0, "out of range 1..255"),
        # other values
        (("role",), "coordinator2", "not one of"),
        (("bindings", 0, "dst_addr_mode"), 2, "not 1 (group) or 3 (IEEE)"),
        (("bindings", 0, "dst_endpoint"), None, "required"),
        (("bindings", 1, "dst_endpoint"), 1, "must be null"),
        (("bindings", 1, "dst_address"), "00124b0000000001", "4 lowercase hex"),
    ],
    ids=lambda v: repr(v)[:24],
)
def test_bad_value_names_the_field(path: tuple[str | int, ...], value: object, reason: str) -> None:
    obj = _obj()
    parent: Any = obj
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = value
    e = _decode_error(obj)
    assert e.field == _dotted(path)
    assert e.offset == 0
    assert reason in e.reason


def test_duplicate_table_entries() -> None:
    obj = _obj()
    obj["keys"]["link_keys"].append(dict(obj["keys"]["link_keys"][0]))
    assert _decode_error(obj).field == "keys.link_keys[1]"
    obj = _obj()
    obj["keys"]["outgoing"][1]["key"] = obj["keys"]["outgoing"][0]["key"]
    assert _decode_error(obj).field == "keys.outgoing[1]"
    obj = _obj()
    obj["keys"]["incoming"].append(dict(obj["keys"]["incoming"][0], counter=6))
    assert _decode_error(obj).field == "keys.incoming[2]"


def test_constructor_validates() -> None:
    s = sample_snapshot()
    bad: list[dict[str, Any]] = [
        {"channel": 27},
        {"eui64": -1},
        {"role": "hub"},
        {"device_type": 7},
        {"pan_id": True},
        {"parent_address": 0x10000},
        {"saved_at_us": 10**5000},
        {"bindings": [(1, 1, 6, 3, 2, 1)]},
        {"bindings": ((1, 1, 6, 1, 2, 1),)},
        {"groups": ((1,),)},
        {"keys": dataclasses.replace(s.keys, tc_link_key=b"short")},
        {"keys": dataclasses.replace(s.keys, outgoing=((bytes(16), 1), (bytes(16), 2)))},
        {"keys": dataclasses.replace(s.keys, incoming=((1, None, 2**32),))},
        {"keys": None},
    ]
    for changes in bad:
        with pytest.raises(ValueError, match="invalid NodeSnapshot"):
            dataclasses.replace(s, **changes)


def test_empty_keystore_snapshot_round_trips() -> None:
    ks = KeyStoreSnapshot(None, None, None, (), (), ())
    s = dataclasses.replace(sample_snapshot(), keys=ks)
    assert NodeSnapshot.from_json(s.to_json()).keys == ks


# -- fuzz: nothing but DecodeError, and it names the field -----------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@PROPS
@given(json_values)
def test_arbitrary_json_values_raise_only_decode_error(v: object) -> None:
    with contextlib.suppress(DecodeError):
        NodeSnapshot.from_json(json.dumps(v))


@PROPS
@given(st.text() | st.binary())
def test_arbitrary_text_raises_only_decode_error(s: str | bytes) -> None:
    with contextlib.suppress(DecodeError):
        NodeSnapshot.from_json(s)


def _paths(v: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path into a JSON value (the value itself excluded)."""
    out: list[tuple[str | int, ...]] = []
    items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else []
    for k, child in items:
        out.append((*path, k))
        out += _paths(child, (*path, k))
    return out


def _dotted(path: tuple[str | int, ...]) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else p)
    return s


VALID_OBJ = json.loads(GOLDEN)
ALL_PATHS = _paths(VALID_OBJ)


@PROPS
@given(st.sampled_from(ALL_PATHS), json_values, st.sampled_from(["replace", "delete", "add"]))
def test_mutated_snapshot_fails_on_the_mutated_field(
    path: tuple[str | int, ...], value: object, how: str
) -> None:
    """Replace, delete or add one value anywhere in a valid snapshot: it either still decodes
    (and round-trips) or raises DecodeError naming the mutated field, a field inside it, or (for
    cross-field checks: binding address mode, duplicate table keys) a sibling in its container.
    """
    obj = copy.deepcopy(VALID_OBJ)
    parent: Any = obj
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if how == "delete":
        assume(isinstance(parent, dict))
        del parent[last]
    elif how == "add":
        assume(isinstance(parent, dict))
        assert isinstance(last, str)
        parent[last + "_x"] = value
        path = (*path[:-1], last + "_x")
    else:
        parent[last] = value
    try:
        s = NodeSnapshot.from_json(json.dumps(obj))
    except DecodeError as e:
        name, container = _dotted(path), _dotted(path[:-1])
        if how == "delete":
            assert e.field == name
        elif container:
            assert e.field == name or e.field.startswith((name + ".", name + "[", container))
        else:
            assert e.field == name or e.field.startswith((name + ".", name + "["))
    else:
        assert how == "replace"
        assert NodeSnapshot.from_json(s.to_json()) == s
