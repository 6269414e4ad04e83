"""ZCL frame header (ZCL rev 7/8 clause 2.4.1, Figures 2-2 and 2-3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.frame import (
    DISABLE_DEFAULT_RESPONSE,
    Direction,
    FrameType,
    ZclFrame,
    ZclHeader,
)

C2S = Direction.CLIENT_TO_SERVER
S2C = Direction.SERVER_TO_CLIENT

# Frame control: bits 0-1 frame type, bit 2 manufacturer specific, bit 3 direction
# (1 = server to client), bit 4 disable default response. Then [manufacturer code], TSN, command.
VECTORS = [
    # Read Attributes (global, client -> server), TSN 0x01, payload attribute 0x0000
    ("00010000 00", ZclHeader(FrameType.GLOBAL, C2S, False, None, 0x01, 0x00), b"\x00\x00"),
    # On/Off "On" (cluster specific, 0x01), TSN 0x05
    ("010501", ZclHeader(FrameType.CLUSTER_SPECIFIC, C2S, False, None, 0x05, 0x01), b""),
    # On/Off "Toggle" with default response disabled (0x11)
    ("11 0a 02", ZclHeader(FrameType.CLUSTER_SPECIFIC, C2S, True, None, 0x0A, 0x02), b""),
    # Report Attributes server -> client, default response disabled (0x18)
    (
        "18 7f 0a 0000 29 6608",
        ZclHeader(FrameType.GLOBAL, S2C, True, None, 0x7F, 0x0A),
        bytes.fromhex("0000296608"),
    ),
    # Manufacturer-specific global Read Attributes, code 0x115F (0x04)
    (
        "04 5f11 03 00 0500",
        ZclHeader(FrameType.GLOBAL, C2S, False, 0x115F, 0x03, 0x00),
        b"\x05\x00",
    ),
    # Manufacturer-specific cluster command server -> client, DDR (0x1d)
    (
        "1d 3710 ff 42 aa",
        ZclHeader(FrameType.CLUSTER_SPECIFIC, S2C, True, 0x1037, 0xFF, 0x42),
        b"\xaa",
    ),
]


@pytest.mark.parametrize(("hexstr", "header", "payload"), VECTORS)
def test_vectors(hexstr: str, header: ZclHeader, payload: bytes) -> None:
    raw = bytes.fromhex(hexstr)
    f = ZclFrame.decode(raw)
    assert f == ZclFrame(header, payload)
    assert f.encode() == raw
    assert len(header) == len(raw) - len(payload)
    assert ZclHeader.decode(raw[: len(header)]) == header
    assert header.manufacturer_specific == (header.manufacturer_code is not None)


def test_frame_control_bits() -> None:
    h = ZclHeader(FrameType.CLUSTER_SPECIFIC, S2C, True, 0x1234, 1, 2)
    assert h.frame_control == 0x01 | 0x04 | 0x08 | 0x10
    assert ZclHeader().frame_control == 0
    assert ZclHeader(disable_default_response=True).frame_control == DISABLE_DEFAULT_RESPONSE


def test_decoded_enums() -> None:
    h = ZclFrame.decode(bytes.fromhex("190102")).header
    assert h.frame_type is FrameType.CLUSTER_SPECIFIC
    assert h.direction is S2C
    assert h.disable_default_response is True
    assert h.manufacturer_code is None


def test_reserved_frame_type_is_int() -> None:
    for ft in (2, 3):
        h = ZclFrame.decode(bytes((ft, 1, 2))).header
        assert h.frame_type == ft and not isinstance(h.frame_type, FrameType)
        assert h.encode() == bytes((ft, 1, 2))


def test_reserved_bits_ignored() -> None:
    f = ZclFrame.decode(bytes.fromhex("e0 01 00"))
    assert f.header == ZclHeader(FrameType.GLOBAL, C2S, False, None, 1, 0)
    assert f.encode() == bytes.fromhex("000100")


@pytest.mark.parametrize("hexstr", ["", "00", "0001", "04", "040100", "04010002"])
def test_truncated(hexstr: str) -> None:
    with pytest.raises(DecodeError):
        ZclFrame.decode(bytes.fromhex(hexstr))
    with pytest.raises(DecodeError):
        ZclHeader.decode(bytes.fromhex(hexstr))


def test_header_read_and_trailing() -> None:
    r = Reader(bytes.fromhex("04 5f11 03 00 0500"))
    assert ZclHeader.read(r) == ZclHeader(FrameType.GLOBAL, C2S, False, 0x115F, 3, 0)
    assert r.pos == 5
    with pytest.raises(DecodeError):
        ZclHeader.decode(bytes.fromhex("000100ff"))


@pytest.mark.parametrize(
    "header",
    [
        ZclHeader(tsn=256),
        ZclHeader(command_id=-1),
        ZclHeader(manufacturer_code=0x10000),
    ],
)
def test_bad_header_fields(header: ZclHeader) -> None:
    with pytest.raises(LocalProtocolError):
        header.encode()


headers = st.builds(
    ZclHeader,
    st.sampled_from([FrameType.GLOBAL, FrameType.CLUSTER_SPECIFIC]),
    st.sampled_from(list(Direction)),
    st.booleans(),
    st.none() | st.integers(0, 0xFFFF),
    st.integers(0, 255),
    st.integers(0, 255),
)


@settings(max_examples=250, deadline=None)
@given(headers, st.binary(max_size=40))
def test_round_trip(header: ZclHeader, payload: bytes) -> None:
    f = ZclFrame(header, payload)
    assert ZclFrame.decode(f.encode()) == f
    assert ZclHeader.decode(header.encode()) == header


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=16))
def test_any_bytes(data: bytes) -> None:
    try:
        f = ZclFrame.decode(data)
    except DecodeError:
        return
    # re-encodes to the input up to the reserved frame-control bits
    assert f.encode() == bytes((data[0] & 0x1F,)) + data[1:]
