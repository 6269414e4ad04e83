"""The child table in a NodeSnapshot (issue 9 item 5: a rebooted parent keeps its children, as
Z-Stack and EmberZNet do): optional in the JSON form (absent when empty, so older files and the
golden form are unchanged), range-checked, and every bad value a DecodeError naming it."""

from __future__ import annotations

import dataclasses
import json

import pytest

from zigmesh.errors import DecodeError
from zigmesh.persist import NodeSnapshot

from .strategies import sample_snapshot

CHILDREN = ((0x00124B0000000010, 0x1A2B, 2, False), (0x00124B0000000011, 0x0C0D, 1, True))


def _with_children() -> NodeSnapshot:
    return dataclasses.replace(sample_snapshot(), children=CHILDREN)


def test_round_trip_and_form() -> None:
    s = _with_children()
    text = s.to_json()
    assert NodeSnapshot.from_json(text) == s
    assert json.loads(text)["children"] == [
        {
            "device_type": 2,
            "ieee": "00124b0000000010",
            "network_address": "1a2b",
            "rx_on_when_idle": False,
        },
        {
            "device_type": 1,
            "ieee": "00124b0000000011",
            "network_address": "0c0d",
            "rx_on_when_idle": True,
        },
    ]


def test_absent_when_empty_and_optional_on_read() -> None:
    s = sample_snapshot()
    assert "children" not in json.loads(s.to_json())
    assert NodeSnapshot.from_json(s.to_json()).children == ()


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("ieee", "00124b000000001", "children[0].ieee"),
        ("network_address", "fffe", "children[0].network_address"),
        ("device_type", 0, "children[0].device_type"),
        ("device_type", 3, "children[0].device_type"),
        ("rx_on_when_idle", 1, "children[0].rx_on_when_idle"),
        ("extra", 1, "children[0].extra"),
    ],
)
def test_bad_child_values_name_the_field(field: str, value: object, path: str) -> None:
    obj = json.loads(_with_children().to_json())
    obj["children"][0][field] = value
    with pytest.raises(DecodeError) as info:
        NodeSnapshot.from_json(json.dumps(obj))
    assert info.value.field == path


def test_duplicate_children_and_bad_tuples_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        dataclasses.replace(sample_snapshot(), children=(CHILDREN[0], CHILDREN[0]))
    with pytest.raises(ValueError, match="children"):
        dataclasses.replace(sample_snapshot(), children=((1, 2, 2),))  # type: ignore[arg-type]
    obj = json.loads(_with_children().to_json())
    obj["children"] = {}
    with pytest.raises(DecodeError) as info:
        NodeSnapshot.from_json(json.dumps(obj))
    assert info.value.field == "children"
