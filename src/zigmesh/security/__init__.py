"""Zigbee security (Zigbee spec chapter 4, Annexes A-C): CCM*, auxiliary header, AES-MMO /
HMAC-MMO hashes, install codes, and the key store with its frame-counter rules.
"""

from __future__ import annotations

from zigmesh.security.aux import MIC_LENGTH, ZIGBEE_SECURITY_LEVEL, AuxHeader, KeyId
from zigmesh.security.ccm import ccm_decrypt, ccm_encrypt, secure_frame, unsecure_frame
from zigmesh.security.hashing import (
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
from zigmesh.security.keys import (
    DEFAULT_INCOMING_CAPACITY,
    DEFAULT_RESTORE_JUMP,
    MAX_FRAME_COUNTER,
    KeyStore,
    KeyStoreSnapshot,
    NetworkKeyEntry,
)

__all__ = [
    "AuxHeader",
    "DEFAULT_INCOMING_CAPACITY",
    "DEFAULT_RESTORE_JUMP",
    "DEFAULT_TC_LINK_KEY",
    "INSTALL_CODE_LENGTHS",
    "KeyId",
    "KeyStore",
    "KeyStoreSnapshot",
    "MAX_FRAME_COUNTER",
    "MIC_LENGTH",
    "NetworkKeyEntry",
    "ZIGBEE_SECURITY_LEVEL",
    "aes_mmo_hash",
    "ccm_decrypt",
    "ccm_encrypt",
    "hmac_mmo",
    "install_code_crc",
    "install_code_to_link_key",
    "install_code_with_crc",
    "key_load_key",
    "key_transport_key",
    "secure_frame",
    "unsecure_frame",
    "validate_install_code",
]
