"""CCM* (Zigbee spec Annex A; IEEE 802.15.4-2006 Annex B) over ``cryptography``'s AES.

L = 2 (13-byte nonce). MIC lengths 4/8/16 use AES-CCM from ``cryptography``; M = 0
(encryption only, level 4) is AES-CTR with the CCM counter blocks, as CCM* defines it.

``secure_frame`` / ``unsecure_frame`` apply Zigbee frame security to a whole NWK or APS frame:
AAD = header | aux header (with level 5 substituted), payload encrypted, MIC appended; on air
the aux header carries level 0 (Zigbee spec 4.3.1.1 step 8 / 4.3.1.2). MIC-only levels (1-3)
put the payload in the AAD and send it in clear.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.security.aux import MIC_LENGTH, ZIGBEE_SECURITY_LEVEL, AuxHeader

__all__ = ["ccm_encrypt", "ccm_decrypt", "secure_frame", "unsecure_frame"]

_ENC = 0x04  # security level bit 2: payload encrypted (Zigbee spec Table 4-38)
_LEVEL_MASK = 0x07
_CCM_MAX_MESSAGE = 0xFFFF  # L = 2: message length fits in two bytes


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
    air = aux.encode(0)
    if level == 0:
        return header + air + payload
    aad = header + bytes((air[0] | level,)) + air[1:]
    nonce = aux.nonce(source, level)
    if level & _ENC:
        return header + air + ccm_encrypt(key, nonce, aad, payload, MIC_LENGTH[level])
    return header + air + payload + ccm_encrypt(key, nonce, aad + payload, b"", MIC_LENGTH[level])


def unsecure_frame(
    frame: bytes,
    aux_offset: int,
    key: bytes,
    source: int | None = None,
    level: int = ZIGBEE_SECURITY_LEVEL,
) -> tuple[AuxHeader, bytes]:
    """Verify and decrypt a secured frame whose aux header starts at ``aux_offset``.

    ``level`` is the configured security level (nwkSecurityLevel): it replaces the level bits
    carried on the air in both the nonce and the AAD (Zigbee spec 4.3.1.2 step 3); every other
    bit of the on-air header, reserved bits included, is authenticated as received.

    Returns the aux header and the plaintext payload. Raises :class:`DecodeError` if the aux
    header is short or the payload is shorter than the MIC (or too long for CCM* with L = 2),
    :class:`SecurityError` if the MIC fails or no source address is known.
    """
    if not 0 <= level <= 7:
        raise ValueError(f"security level {level} is not 0-7")
    if aux_offset < 0:
        raise ValueError(f"negative aux_offset {aux_offset}")
    r = Reader(frame, aux_offset)
    aux = AuxHeader.read(r)
    body = r.pos
    n = len(frame) - body
    mic_len = MIC_LENGTH[level]
    if n < mic_len:
        raise DecodeError(
            "mic", body, f"payload of {n} bytes is shorter than the {mic_len}-byte MIC"
        )
    if n - mic_len > _CCM_MAX_MESSAGE:
        raise DecodeError("payload", body, f"{n - mic_len} bytes exceed the CCM* limit (L = 2)")
    if level == 0:
        return aux, frame[body:]
    src = aux.source if aux.source is not None else source
    if src is None:
        raise SecurityError("no source IEEE address for the nonce")
    ctl = (frame[aux_offset] & ~_LEVEL_MASK) | level
    nonce = src.to_bytes(8, "little") + frame[aux_offset + 1 : aux_offset + 5] + bytes((ctl,))
    aad = frame[:aux_offset] + bytes((ctl,)) + frame[aux_offset + 1 : body]
    if level & _ENC:
        return aux, ccm_decrypt(key, nonce, aad, frame[body:], mic_len)
    split = len(frame) - mic_len
    payload = frame[body:split]
    ccm_decrypt(key, nonce, aad + payload, frame[split:], mic_len)
    return aux, payload
