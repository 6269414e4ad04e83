"""The shared codec helpers (zigmesh.codec) and the one capability-flags type of the stack."""

from __future__ import annotations

from enum import IntEnum

import pytest

from zigmesh.codec import enum_or_int, enum_table, read_whole
from zigmesh.errors import DecodeError
from zigmesh.mac.commands import CapabilityFlags, CapabilityInformation
from zigmesh.nwk import commands as nwk_commands
from zigmesh.zdo import descriptors


class _Colour(IntEnum):
    RED = 0
    GREEN = 2


def test_enum_or_int() -> None:
    assert enum_or_int(_Colour, 2) is _Colour.GREEN
    assert enum_or_int(_Colour, 0) is _Colour.RED  # cached after the first call
    v = enum_or_int(_Colour, 1)
    assert v == 1 and type(v) is int
    assert enum_or_int(_Colour, 300) == 300


def test_enum_table() -> None:
    t = enum_table(_Colour, 4)
    assert t[0] is _Colour.RED and t[2] is _Colour.GREEN
    assert type(t[1]) is int and type(t[3]) is int
    assert t == (0, 1, 2, 3)


def test_read_whole() -> None:
    assert read_whole(b"\x34\x12", lambda r: r.u16("x"), "whole") == 0x1234
    with pytest.raises(DecodeError) as e:
        read_whole(b"\x34\x12\x00", lambda r: r.u16("x"), "whole")
    assert (e.value.field, e.value.offset) == ("whole", 2)
    with pytest.raises(DecodeError) as e:
        read_whole(b"\x34", lambda r: r.u16("x"), "whole")
    assert e.value.field == "x"


def test_one_capability_flags_type() -> None:
    """NWK's CapabilityInformation and ZDO's MacCapability are the MAC's CapabilityFlags."""
    assert nwk_commands.CapabilityInformation is CapabilityFlags
    assert descriptors.MacCapability is CapabilityFlags
    # the ZDO names are aliases of the NWK ones
    assert CapabilityFlags["MAINS_POWERED"] is CapabilityFlags.POWER_SOURCE_MAINS
    assert CapabilityFlags["SECURITY_CAPABLE"] is CapabilityFlags.SECURITY_CAPABILITY


@pytest.mark.parametrize("byte", [0x00, 0x01, 0x02, 0x04, 0x08, 0x40, 0x80, 0x8E, 0xCF])
def test_capability_dataclass_and_flags_agree(byte: int) -> None:
    cap = CapabilityInformation.from_byte(byte)
    assert cap.to_byte() == byte
    assert cap.to_flags() == CapabilityFlags(byte)
    assert CapabilityInformation.from_byte(CapabilityFlags(byte)) == cap
    assert cap.power_source_mains == bool(CapabilityFlags(byte) & CapabilityFlags.MAINS_POWERED)
