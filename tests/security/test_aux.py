"""Auxiliary security header (Zigbee spec 4.5.1, Figure 4-24/4-25, Tables 4-27/4-28) and the
CCM* nonce (4.5.2.2)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError
from zigmesh.security import MIC_LENGTH, ZIGBEE_SECURITY_LEVEL, AuxHeader, KeyId

h = bytes.fromhex
SRC = 0x00124B0001020304


def all_headers() -> list[AuxHeader]:
    out = []
    for key_id in KeyId:
        for source in (None, SRC):
            seq = 7 if key_id == KeyId.NETWORK_KEY else None
            for level in (0, 5):
                out.append(AuxHeader(key_id, 0xA1B2C3D4, source, seq, level))
    return out


def test_nwk_aux_header_vector() -> None:
    """Zigbee spec 4.5.1: NWK aux header, network key, extended nonce, level 0 on air."""
    aux = AuxHeader(KeyId.NETWORK_KEY, 0x01020304, SRC, 3)
    enc = h("280403020104030201004b120003")
    assert aux.encode() == enc
    assert AuxHeader.decode(enc) == aux
    assert len(aux) == len(enc) == 14
    assert aux.extended_nonce


def test_aps_aux_header_vector() -> None:
    """Zigbee spec 4.5.1: APS aux header with the key-transport key, no extended nonce."""
    aux = AuxHeader(KeyId.KEY_TRANSPORT_KEY, 0x10)
    assert aux.encode() == h("1010000000")
    assert aux.encode(ZIGBEE_SECURITY_LEVEL) == h("1510000000")
    assert AuxHeader.decode(h("1010000000")) == aux
    assert not aux.extended_nonce


@pytest.mark.parametrize("aux", all_headers(), ids=repr)
def test_round_trip(aux: AuxHeader) -> None:
    enc = aux.encode()
    assert len(enc) == len(aux)
    assert AuxHeader.decode(enc) == aux
    assert enc[0] & 0x07 == aux.level
    assert (enc[0] >> 3) & 0x03 == aux.key_id
    assert bool(enc[0] & 0x20) == aux.extended_nonce


def test_mic_length_table() -> None:
    """Zigbee spec Table 4-27: MIC length by security level."""
    assert MIC_LENGTH == (0, 4, 8, 16, 0, 4, 8, 16)
    assert MIC_LENGTH[ZIGBEE_SECURITY_LEVEL] == 4


def test_key_seq_present_iff_network_key() -> None:
    with pytest.raises(ValueError):
        AuxHeader(KeyId.NETWORK_KEY, 1)
    with pytest.raises(ValueError):
        AuxHeader(KeyId.DATA_KEY, 1, key_seq=0)


def test_reserved_bits_ignored_on_decode() -> None:
    """Bits 6-7 of the security control field are reserved: decoded, not rejected."""
    aux = AuxHeader.decode(h("E80403020104030201004b120003"))
    assert aux == AuxHeader(KeyId.NETWORK_KEY, 0x01020304, SRC, 3)


@pytest.mark.parametrize("aux", all_headers(), ids=repr)
def test_truncated_at_every_length(aux: AuxHeader) -> None:
    """Regression: a security header shorter than its fields -> DecodeError naming aux.*."""
    enc = aux.encode()
    for n in range(len(enc)):
        with pytest.raises(DecodeError) as ei:
            AuxHeader.decode(enc[:n])
        assert ei.value.field.startswith("aux."), ei.value.field
        assert 0 <= ei.value.offset <= n


def test_truncation_names_the_missing_field() -> None:
    enc = AuxHeader(KeyId.NETWORK_KEY, 1, SRC, 3).encode()
    expect = {
        0: "aux.security_control",
        1: "aux.frame_counter",
        5: "aux.source_address",
        12: "aux.source_address",
        13: "aux.key_sequence_number",
    }
    for n, field in expect.items():
        with pytest.raises(DecodeError) as ei:
            AuxHeader.decode(enc[:n])
        assert ei.value.field == field


def test_truncation_offset_is_frame_relative() -> None:
    """Reading inside a frame reports offsets in the enclosing frame."""
    frame = b"\x08\x02\x00\x00\x34\x12\x1e\x07" + h("280403")
    with pytest.raises(DecodeError) as ei:
        AuxHeader.read(Reader(frame, 8))
    assert ei.value.field == "aux.frame_counter"
    assert ei.value.offset == 9


def test_trailing_bytes_rejected() -> None:
    with pytest.raises(DecodeError):
        AuxHeader.decode(AuxHeader(KeyId.DATA_KEY, 1).encode() + b"\x00")


def test_nonce_layout() -> None:
    """Zigbee spec 4.5.2.2: nonce = source IEEE (LE) | frame counter (LE) | control, level 5."""
    aux = AuxHeader(KeyId.NETWORK_KEY, 0x01020304, SRC, 3)
    assert aux.nonce() == h("04030201004b1200040302012d")
    assert aux.nonce(level=0) == h("04030201004b12000403020128")
    aps = AuxHeader(KeyId.DATA_KEY, 5)
    assert aps.nonce(SRC) == h("04030201004b12000500000005")
    with pytest.raises(ValueError):
        aps.nonce()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=20))
def test_any_bytes_decode_or_decode_error(data: bytes) -> None:
    try:
        aux = AuxHeader.decode(data)
    except DecodeError:
        return
    assert aux.encode(aux.level) == bytes((data[0] & 0x3F,)) + data[1:]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(all_headers()),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 13),
    st.integers(0, 0xFF),
)
def test_mutated_encodings(aux: AuxHeader, fc: int, pos: int, xor: int) -> None:
    enc = bytearray(AuxHeader(aux.key_id, fc, aux.source, aux.key_seq, aux.level).encode())
    if pos < len(enc):
        enc[pos] ^= xor
    with contextlib.suppress(DecodeError):
        AuxHeader.decode(bytes(enc))
