"""Keyed and unkeyed hashes of Zigbee security (Zigbee spec Annex B.6, B.1.4; Annex C.5/C.6).

- AES-MMO (Matyas-Meyer-Oseas over AES-128): ``H0 = 0^16``, ``Hi = E(Hi-1, Mi) xor Mi``, with the
  spec's padding (B.6: ``0x80``, zeros, then a 16-bit big-endian bit length, or for messages of
  2^16 bits and more a 32-bit length followed by ``0000``).
- HMAC-MMO (B.1.4): ``MMO((K xor opad) | MMO((K xor ipad) | x))`` with a 16-byte block.
- Key-transport / key-load keys (4.5.3): ``HMAC(link key, 0x00)`` / ``HMAC(link key, 0x02)``.
- Install codes (Zigbee Base Device Behavior 10.1): 6/8/12/16 bytes followed by their
  CRC-16/X.25 (little-endian); the link key is ``MMO(code | CRC)``.

AES comes from ``cryptography`` (ECB, one block at a time). MMO keys the cipher with the chaining
value, so each block needs its own cipher context; what repeats is cached: the all-zero first
key and the HMAC state after the ``K xor pad`` block for each link key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from zigmesh.errors import DecodeError

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_TC_LINK_KEY",
    "INSTALL_CODE_LENGTHS",
    "aes_mmo_hash",
    "hmac_mmo",
    "key_transport_key",
    "key_load_key",
    "install_code_crc",
    "install_code_with_crc",
    "validate_install_code",
    "install_code_to_link_key",
]

#: AES block (and Zigbee key) size in bytes
BLOCK_SIZE = 16
#: Well-known default trust center link key "ZigBeeAlliance09" (Zigbee spec 4.6.3.2.2.1)
DEFAULT_TC_LINK_KEY = b"ZigBeeAlliance09"
#: Install code lengths without the CRC (Base Device Behavior spec 10.1)
INSTALL_CODE_LENGTHS = (6, 8, 12, 16)

_ZERO_BLOCK = bytes(BLOCK_SIZE)
_ECB = modes.ECB()
_SHORT_LIMIT_BITS = 1 << 16  # B.6: 16-bit length field below this message length
_LONG_LIMIT_BITS = 1 << 32
_IPAD = 0x36
_OPAD = 0x5C
_KEY_TRANSPORT_INPUT = b"\x00"  # Zigbee spec 4.5.3
_KEY_LOAD_INPUT = b"\x02"


@lru_cache(maxsize=64)
def _encryptor(key: bytes) -> CipherContext:
    """Cached ECB encryptor for a key that recurs (zero key, HMAC inner/outer states)."""
    return Cipher(algorithms.AES(key), _ECB).encryptor()


def _padding(total_len: int) -> bytes:
    """MMO padding for a message of ``total_len`` bytes (Zigbee spec B.6)."""
    bits = total_len * 8
    if bits < _SHORT_LIMIT_BITS:
        zeros = (14 - (total_len + 1)) % BLOCK_SIZE
        return b"\x80" + bytes(zeros) + bits.to_bytes(2, "big")
    if bits >= _LONG_LIMIT_BITS:
        raise ValueError(f"AES-MMO input of {total_len} bytes exceeds 2^32 bits")
    zeros = (10 - (total_len + 1)) % BLOCK_SIZE
    return b"\x80" + bytes(zeros) + bits.to_bytes(4, "big") + b"\x00\x00"


def _compress(h: bytes, blocks: bytes, cached_first: bool) -> bytes:
    """Run MMO compression over whole 16-byte ``blocks`` starting from chaining value ``h``."""
    aes = algorithms.AES
    frm = int.from_bytes
    for i in range(0, len(blocks), BLOCK_SIZE):
        m = blocks[i : i + BLOCK_SIZE]
        if cached_first:
            enc = _encryptor(h)
            cached_first = False
        else:
            enc = Cipher(aes(h), _ECB).encryptor()
        h = (frm(enc.update(m), "little") ^ frm(m, "little")).to_bytes(BLOCK_SIZE, "little")
    return h


def aes_mmo_hash(data: bytes) -> bytes:
    """AES-MMO hash of ``data`` (Zigbee spec B.6): 16 bytes."""
    return _compress(_ZERO_BLOCK, bytes(data) + _padding(len(data)), True)


def _hmac_key_block(key: bytes) -> bytes:
    if len(key) > BLOCK_SIZE:
        key = aes_mmo_hash(key)
    return key + bytes(BLOCK_SIZE - len(key))


@lru_cache(maxsize=64)
def _hmac_states(key: bytes) -> tuple[bytes, bytes]:
    """MMO chaining values after the first block ``K xor ipad`` / ``K xor opad``."""
    k = _hmac_key_block(key)
    inner = _compress(_ZERO_BLOCK, bytes(b ^ _IPAD for b in k), True)
    outer = _compress(_ZERO_BLOCK, bytes(b ^ _OPAD for b in k), True)
    return inner, outer


def hmac_mmo(key: bytes, data: bytes) -> bytes:
    """Keyed hash HMAC-MMO (Zigbee spec B.1.4): ``MMO((K^opad) | MMO((K^ipad) | data))``."""
    inner_h, outer_h = _hmac_states(bytes(key))
    inner = _compress(inner_h, bytes(data) + _padding(BLOCK_SIZE + len(data)), True)
    return _compress(outer_h, inner + _padding(2 * BLOCK_SIZE), True)


def _check_key(key: bytes) -> bytes:
    if len(key) != BLOCK_SIZE:
        raise ValueError(f"a Zigbee key is 16 bytes, got {len(key)}")
    return bytes(key)


@lru_cache(maxsize=64)
def key_transport_key(link_key: bytes) -> bytes:
    """Key-transport key: ``HMAC-MMO(link key, 0x00)`` (Zigbee spec 4.5.3)."""
    return hmac_mmo(_check_key(link_key), _KEY_TRANSPORT_INPUT)


@lru_cache(maxsize=64)
def key_load_key(link_key: bytes) -> bytes:
    """Key-load key: ``HMAC-MMO(link key, 0x02)`` (Zigbee spec 4.5.3)."""
    return hmac_mmo(_check_key(link_key), _KEY_LOAD_INPUT)


def _crc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC_TABLE = _crc_table()


def install_code_crc(code: bytes) -> int:
    """CRC-16/X.25 (reflected 0x1021, init 0xFFFF, xorout 0xFFFF) of ``code``."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for b in code:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFF


def install_code_with_crc(code: bytes) -> bytes:
    """Append the little-endian CRC to a 6/8/12/16-byte install code."""
    if len(code) not in INSTALL_CODE_LENGTHS:
        raise ValueError(f"install code must be 6, 8, 12 or 16 bytes, got {len(code)}")
    return bytes(code) + install_code_crc(code).to_bytes(2, "little")


def validate_install_code(code_with_crc: bytes) -> None:
    """Check length and CRC of an install code with its CRC appended.

    Raises :class:`DecodeError` on field ``install_code.length`` or ``install_code.crc``.
    """
    n = len(code_with_crc)
    if n - 2 not in INSTALL_CODE_LENGTHS:
        raise DecodeError("install_code.length", 0, f"{n} bytes; expected 8, 10, 14 or 18")
    want = install_code_crc(code_with_crc[:-2])
    got = int.from_bytes(code_with_crc[-2:], "little")
    if got != want:
        raise DecodeError("install_code.crc", n - 2, f"CRC {got:04x}, computed {want:04x}")


def install_code_to_link_key(code_with_crc: bytes) -> bytes:
    """Link key derived from an install code: ``MMO(code | CRC)`` after validating it."""
    validate_install_code(code_with_crc)
    return aes_mmo_hash(code_with_crc)
