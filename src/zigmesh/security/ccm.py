"""CCM* (Zigbee spec Annex A; IEEE 802.15.4-2006 Annex B) over ``cryptography``'s AES.

L = 2 (13-byte nonce). MIC lengths 4/8/16 use AES-CCM from ``cryptography``; M = 0
(encryption only, level 4) is AES-CTR with the CCM counter blocks, as CCM* defines it.

``secure_frame`` / ``unsecure_frame`` apply Zigbee frame security to a whole NWK or APS frame:
AAD = header | aux header (with level 5 substituted), payload encrypted, MIC appended; on air
the aux header carries level 0 (Zigbee spec 4.3.1.1 step 8 / 4.3.1.2). MIC-only levels (1-3)
put the payload in the AAD and send it in clear.

Both run once per secured frame per hop, so they build the nonce and the AAD straight from
bytes (the on-air aux header already holds the nonce's source address and frame counter)
rather than through :class:`AuxHeader` methods; a caller that decoded the aux header already
passes it to :func:`unsecure_frame` (``aux=``) so it is not parsed twice. The AES-CCM context of
a key is cached: the AEAD call itself is then about half the cost of a frame. The receivers
of one broadcast (or of one relay's copy of it) open the same bytes with the same key: the
plaintext is memoised, so only the first of them pays the AEAD call.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.security.aux import MIC_LENGTH, ZIGBEE_SECURITY_LEVEL, AuxHeader, KeyId

__all__ = ["ccm_encrypt", "ccm_decrypt", "secure_frame", "unsecure_frame"]

_ENC = 0x04  # security level bit 2: payload encrypted (Zigbee spec Table 4-38)
_LEVEL_MASK = 0x07
_CTL_NO_LEVEL = 0xF8  # security control without the level bits
_KEY_ID_SHIFT = 3
_KEY_ID_MASK = 0x03
_EXT_NONCE = 0x20
_NETWORK_KEY = int(KeyId.NETWORK_KEY)
_KEY_IDS = tuple(KeyId)
_CCM_MAX_MESSAGE = 0xFFFF  # L = 2: message length fits in two bytes
#: one-byte ``bytes`` by value: the security control byte without a ``bytes((x,))`` call
_BYTE = tuple(bytes((i,)) for i in range(256))
_U32 = struct.Struct("<I").unpack_from
_U64 = struct.Struct("<Q").unpack_from
_new = object.__new__
#: plaintexts of frames opened lately, by (frame, aux offset, key, nonce source, level): the
#: result of a pure function of these (MIC failures are not kept), bounded by _PLAIN_MAX
_PLAIN: dict[tuple[bytes, int, bytes, bytes, int], bytes] = {}
_PLAIN_MAX = 256


def _slot_setter(name: str) -> Callable[[AuxHeader, object], None]:
    setter: Callable[[AuxHeader, object], None] = getattr(AuxHeader, name).__set__
    return setter


_SET_KEY_ID = _slot_setter("key_id")
_SET_COUNTER = _slot_setter("frame_counter")
_SET_SOURCE = _slot_setter("source")
_SET_KEY_SEQ = _slot_setter("key_seq")
_SET_LEVEL = _slot_setter("level")


def _aux_from_air(frame: bytes, aux_offset: int, ctl: int, key_id: int, body: int) -> AuxHeader:
    """The :class:`AuxHeader` at ``aux_offset`` whose extent the caller checked; built without
    ``__init__`` (its one check, key sequence number present exactly with the network key,
    holds by construction): a third of the cost, once per secured frame."""
    aux: AuxHeader = _new(AuxHeader)
    _SET_KEY_ID(aux, _KEY_IDS[key_id])
    _SET_COUNTER(aux, _U32(frame, aux_offset + 1)[0])
    _SET_SOURCE(aux, _U64(frame, aux_offset + 5)[0] if ctl & _EXT_NONCE else None)
    _SET_KEY_SEQ(aux, frame[body - 1] if key_id == _NETWORK_KEY else None)
    _SET_LEVEL(aux, ctl & _LEVEL_MASK)
    return aux


@lru_cache(maxsize=64)
def _aesccm(key: bytes, mic_len: int) -> AESCCM:
    return AESCCM(key, tag_length=mic_len)


def _ctr(key: bytes, nonce: bytes, data: bytes) -> bytes:
    # A_i = flags (L-1 = 1) | nonce | counter i (2 bytes BE); payload uses i >= 1
    a1 = bytes((0x01,)) + nonce + b"\x00\x01"
    enc = Cipher(algorithms.AES(key), modes.CTR(a1)).encryptor()
    return enc.update(data) + enc.finalize()


def ccm_encrypt(key: bytes, nonce: bytes, aad: bytes, plaintext: bytes, mic_len: int) -> bytes:
    """Return ciphertext | MIC (MIC omitted when ``mic_len`` is 0)."""
    if len(nonce) != 13:
        raise ValueError("CCM* nonce must be 13 bytes")
    if mic_len == 0:
        return _ctr(key, nonce, plaintext)
    return _aesccm(key, mic_len).encrypt(nonce, plaintext, aad)


def ccm_decrypt(key: bytes, nonce: bytes, aad: bytes, ciphertext: bytes, mic_len: int) -> bytes:
    """Inverse of :func:`ccm_encrypt`; raises :class:`SecurityError` when the MIC fails."""
    if len(nonce) != 13:
        raise ValueError("CCM* nonce must be 13 bytes")
    if mic_len == 0:
        return _ctr(key, nonce, ciphertext)
    if len(ciphertext) < mic_len:
        raise SecurityError(
            f"payload of {len(ciphertext)} bytes is shorter than its {mic_len}-byte MIC"
        )
    try:
        return _aesccm(key, mic_len).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise SecurityError("MIC check failed") from None


def secure_frame(
    header: bytes,
    aux: AuxHeader,
    payload: bytes,
    key: bytes,
    source: int | None = None,
    level: int = ZIGBEE_SECURITY_LEVEL,
) -> bytes:
    """Secure a NWK/APS frame: ``header | aux (level 0 on air) | E(payload) | MIC``.

    ``header`` must already have its security bit set. ``source`` is the sender's IEEE
    address when the aux header has no extended nonce (APS frames, Zigbee spec 4.4.1.1).
    Levels with encryption (4-7) encrypt the payload; levels 1-3 authenticate it as part of
    the AAD and send it in clear (Zigbee spec 4.3.1.1 step 6); level 0 adds nothing.
    """
    if not 0 <= level <= 7:
        raise ValueError(f"security level {level} is not 0-7")
    # the aux header as on the air (AuxHeader.encode(0)), built once for the nonce and AAD too
    ext = aux.source
    ctl = int(aux.key_id) << _KEY_ID_SHIFT
    fcb = aux.frame_counter.to_bytes(4, "little")
    if ext is not None:
        ctl |= _EXT_NONCE
        srcb = ext.to_bytes(8, "little")
        rest = fcb + srcb
    else:
        srcb = b""
        rest = fcb
    if aux.key_seq is not None:
        rest += bytes((aux.key_seq,))
    if level == 0:
        return header + _BYTE[ctl] + rest + payload
    if ext is None:
        if source is None:
            raise ValueError("nonce needs the source IEEE address (no extended nonce)")
        srcb = source.to_bytes(8, "little")
    head = header + _BYTE[ctl] + rest
    secured_ctl = _BYTE[ctl | level]
    aad = header + secured_ctl + rest
    nonce = srcb + fcb + secured_ctl
    mic_len = MIC_LENGTH[level]
    if level & _ENC:
        if mic_len == 0:
            return head + _ctr(key, nonce, payload)
        return head + _aesccm(key, mic_len).encrypt(nonce, payload, aad)
    return head + payload + _aesccm(key, mic_len).encrypt(nonce, b"", aad + payload)


def unsecure_frame(
    frame: bytes,
    aux_offset: int,
    key: bytes,
    source: int | None = None,
    level: int = ZIGBEE_SECURITY_LEVEL,
    aux: AuxHeader | None = None,
) -> tuple[AuxHeader, bytes]:
    """Verify and decrypt a secured frame whose aux header starts at ``aux_offset``.

    ``level`` is the configured security level (nwkSecurityLevel): it replaces the level bits
    carried on the air in both the nonce and the AAD (Zigbee spec 4.3.1.2 step 3); every other
    bit of the on-air header, reserved bits included, is authenticated as received.
    ``aux``: the caller already decoded the aux header at ``aux_offset`` (it is returned as
    is, not parsed again; the nonce and AAD come from the on-air bytes either way).

    Returns the aux header and the plaintext payload. Raises :class:`DecodeError` if the aux
    header is short or the payload is shorter than the MIC (or too long for CCM* with L = 2),
    :class:`SecurityError` if the MIC fails or no source address is known.
    """
    if not 0 <= level <= 7:
        raise ValueError(f"security level {level} is not 0-7")
    if aux_offset < 0:
        raise ValueError(f"negative aux_offset {aux_offset}")
    size = len(frame)
    ctl = frame[aux_offset] if aux_offset < size else 0
    key_id = (ctl >> _KEY_ID_SHIFT) & _KEY_ID_MASK
    ext = ctl & _EXT_NONCE
    body = aux_offset + (13 if ext else 5) + (key_id == _NETWORK_KEY)
    if body > size:
        AuxHeader.read(Reader(frame, aux_offset))  # raises the DecodeError naming the field
        raise DecodeError("aux", aux_offset, "security header does not fit")  # (not reached)
    if aux is None:
        aux = _aux_from_air(frame, aux_offset, ctl, key_id, body)
    n = size - body
    mic_len = MIC_LENGTH[level]
    if n < mic_len:
        raise DecodeError(
            "mic", body, f"payload of {n} bytes is shorter than the {mic_len}-byte MIC"
        )
    if n - mic_len > _CCM_MAX_MESSAGE:
        raise DecodeError("payload", body, f"{n - mic_len} bytes exceed the CCM* limit (L = 2)")
    if level == 0:
        return aux, frame[body:]
    if ext:
        srcb = frame[aux_offset + 5 : aux_offset + 13]
    elif source is not None:
        srcb = source.to_bytes(8, "little")
    else:
        raise SecurityError("no source IEEE address for the nonce")
    # every receiver of a broadcast opens the same bytes with the same key: the plaintext is
    # a function of these alone, so it is memoised (a bytes object caches its hash)
    memo_key = (frame, aux_offset, key, srcb, level)
    memo = True
    try:
        plain = _PLAIN.get(memo_key)
    except TypeError:  # a bytearray frame
        plain = None
        memo = False
    if plain is not None:
        return aux, plain
    secured_ctl = _BYTE[(ctl & _CTL_NO_LEVEL) | level]
    nonce = srcb + frame[aux_offset + 1 : aux_offset + 5] + secured_ctl
    aad = frame[:aux_offset] + secured_ctl + frame[aux_offset + 1 : body]
    try:
        if level & _ENC:
            if mic_len == 0:
                plain = _ctr(key, nonce, frame[body:])
            else:
                plain = _aesccm(key, mic_len).decrypt(nonce, frame[body:], aad)
        else:
            split = size - mic_len
            plain = frame[body:split]
            _aesccm(key, mic_len).decrypt(nonce, frame[split:], aad + plain)
    except InvalidTag:
        raise SecurityError("MIC check failed") from None
    if memo:
        if len(_PLAIN) >= _PLAIN_MAX:
            _PLAIN.clear()
        _PLAIN[memo_key] = plain
    return aux, plain
