"""AES-MMO, HMAC-MMO, key derivation and install codes (Zigbee spec Annex B.6, B.1.4, C.5, C.6;
vectors from /work/shared/reference/security-vectors.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.errors import DecodeError
from zigmesh.security import (
    DEFAULT_TC_LINK_KEY,
    INSTALL_CODE_LENGTHS,
    aes_mmo_hash,
    hmac_mmo,
    install_code_crc,
    install_code_to_link_key,
    install_code_with_crc,
    key_load_key,
    key_transport_key,
    validate_install_code,
)

h = bytes.fromhex


def pattern(n: int) -> bytes:
    """Byte i = i mod 256 (the long-message MMO vectors)."""
    return bytes(i & 0xFF for i in range(n))


# -- AES-MMO (Zigbee spec B.6) ----------------------------------------------------------------


def test_v5_mmo_one_byte() -> None:
    """V5, Zigbee spec Annex C.5.1: MMO(C0)."""
    assert aes_mmo_hash(h("C0")) == h("AE3A102A28D43EE0D4A09E22788B206C")


def test_v6_mmo_one_block() -> None:
    """V6, Zigbee spec Annex C.5.2: MMO of 16 bytes C0..CF."""
    assert aes_mmo_hash(h("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF")) == h(
        "A7977E88BC0B61E8210827109A228F2D"
    )


def test_v7_mmo_8191_bytes_short_length_field() -> None:
    """V7, Zigbee spec B.6: 8191 bytes = 65528 bits < 2^16: 16-bit length padding."""
    assert aes_mmo_hash(pattern(8191)) == h("24EC2FE75BBFFCB34789BC0610E7F165")


def test_v8_mmo_8192_bytes_long_length_field() -> None:
    """V8, Zigbee spec B.6: 8192 bytes = 2^16 bits: 32-bit length then 0000."""
    assert aes_mmo_hash(pattern(8192)) == h("DC6B0687F09F8607131C170B3BD31591")


def test_v9_mmo_8201_bytes() -> None:
    """V9 (first), Zigbee spec B.6: 8201 bytes, long padding."""
    assert aes_mmo_hash(pattern(8201)) == h("72C9B15E178AA843E4A16C58E33643A3")


def test_v9_mmo_8202_bytes() -> None:
    """V9 (second), Zigbee spec B.6: 8202 bytes, long padding."""
    assert aes_mmo_hash(pattern(8202)) == h("BC9828D59B2AA323DAF20BE5F2E66511")


def test_mmo_empty_and_lengths() -> None:
    """Every message length around a block boundary hashes to 16 bytes, all distinct."""
    digests = {aes_mmo_hash(pattern(n)) for n in range(0, 50)}
    assert len(digests) == 50
    assert all(len(d) == 16 for d in digests)


# -- HMAC-MMO (Zigbee spec B.1.4) --------------------------------------------------------------


def test_v10_hmac_mmo() -> None:
    """V10, Zigbee spec Annex C.6.1: HMAC-MMO(40..4F, C0)."""
    assert hmac_mmo(h("404142434445464748494A4B4C4D4E4F"), h("C0")) == h(
        "4512807BF94CB3400F0E2C25FB76E999"
    )


def test_hmac_matches_definition() -> None:
    """HMAC-MMO(K, x) = MMO((K^5C..) | MMO((K^36..) | x)) for several message lengths."""
    key = h("404142434445464748494A4B4C4D4E4F")
    for n in (0, 1, 15, 16, 17, 100):
        x = pattern(n)
        inner = aes_mmo_hash(bytes(b ^ 0x36 for b in key) + x)
        assert hmac_mmo(key, x) == aes_mmo_hash(bytes(b ^ 0x5C for b in key) + inner)


def test_default_tc_link_key() -> None:
    """Zigbee spec 4.6.3.2.2.1: the well-known TC link key 'ZigBeeAlliance09'."""
    assert h("5A6967426565416C6C69616E63653039") == DEFAULT_TC_LINK_KEY


def test_key_transport_key_of_default_tc_key() -> None:
    """Zigbee spec 4.5.3: key-transport key = HMAC(link key, 00)."""
    assert key_transport_key(DEFAULT_TC_LINK_KEY) == h("4BAB0F173E1434A2D572E1C1EF478782")
    assert key_transport_key(DEFAULT_TC_LINK_KEY) == hmac_mmo(DEFAULT_TC_LINK_KEY, b"\x00")


def test_key_load_key_of_default_tc_key() -> None:
    """Zigbee spec 4.5.3: key-load key = HMAC(link key, 02)."""
    assert key_load_key(DEFAULT_TC_LINK_KEY) == h("C5A47035C332CCBF251571D8BADED188")
    assert key_load_key(DEFAULT_TC_LINK_KEY) == hmac_mmo(DEFAULT_TC_LINK_KEY, b"\x02")


def test_derived_keys_reject_bad_key_length() -> None:
    with pytest.raises(ValueError):
        key_transport_key(b"short")
    with pytest.raises(ValueError):
        key_load_key(bytes(17))


# -- install codes (Base Device Behavior 10.1) ------------------------------------------------


def test_v13_crc16_x25_check_value() -> None:
    """V13: CRC-16/X.25 check value of ASCII '123456789'."""
    assert install_code_crc(b"123456789") == 0x906E


def test_v11_install_code_to_link_key() -> None:
    """V11: 16-byte install code + CRC C3B5 -> link key."""
    code = h("83FED3407A939723A5C639B26916D505")
    assert install_code_with_crc(code) == code + h("C3B5")
    assert install_code_to_link_key(code + h("C3B5")) == h("66B6900981E1EE3CA4206B6B861C02BB")


def test_v12_install_code_to_link_key() -> None:
    """V12: 8-byte install code with its CRC 4AF7 -> link key."""
    assert install_code_to_link_key(h("11223344556677884AF7")) == h(
        "41618FC0C83B0E14A589954B16E31466"
    )


@pytest.mark.parametrize("n", INSTALL_CODE_LENGTHS)
def test_install_code_every_length(n: int) -> None:
    code = install_code_with_crc(pattern(n))
    validate_install_code(code)
    assert install_code_to_link_key(code) == aes_mmo_hash(code)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 9, 11, 12, 13, 15, 16, 17, 19, 20])
def test_install_code_bad_length(n: int) -> None:
    with pytest.raises(DecodeError) as ei:
        validate_install_code(pattern(n))
    assert ei.value.field == "install_code.length"
    with pytest.raises(DecodeError):
        install_code_to_link_key(pattern(n))


def test_install_code_with_crc_rejects_bad_length() -> None:
    with pytest.raises(ValueError):
        install_code_with_crc(bytes(7))


def test_install_code_bad_crc() -> None:
    good = h("83FED3407A939723A5C639B26916D505C3B5")
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x01
        with pytest.raises(DecodeError) as ei:
            install_code_to_link_key(bytes(bad))
        assert ei.value.field == "install_code.crc"
        assert ei.value.offset == 16


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=24))
def test_install_code_any_bytes(data: bytes) -> None:
    """Any bytes: a 16-byte key or DecodeError, nothing else."""
    try:
        key = install_code_to_link_key(data)
    except DecodeError as e:
        assert e.field in ("install_code.length", "install_code.crc")
    else:
        assert len(key) == 16


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(INSTALL_CODE_LENGTHS).flatmap(lambda n: st.binary(min_size=n, max_size=n)))
def test_install_code_crc_round_trip(code: bytes) -> None:
    validate_install_code(install_code_with_crc(code))
