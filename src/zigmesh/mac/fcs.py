"""IEEE 802.15.4 frame check sequence (802.15.4-2006 7.2.1.9, 802.15.4-2015 7.2.10).

The FCS is the ITU-T CRC-16 (x^16 + x^12 + x^5 + 1) computed LSB-first over the MHR and MAC
payload with an initial remainder of 0 (CRC-16/KERMIT), sent little-endian after the payload.

``binascii.crc_hqx`` is the same polynomial computed MSB-first, so each byte is bit-reversed
first (``bytes.translate``) and the 16-bit result reversed back with a precomputed table: two
C calls and one index per frame. Check value: ``fcs16(b"123456789") == 0x2189``.

Because the CRC has no final XOR, the CRC of a PSDU *including* a correct little-endian FCS
is 0; :func:`fcs_ok` uses that to verify a frame without slicing it.
"""

from __future__ import annotations

import struct
from array import array
from binascii import crc_hqx

__all__ = ["FCS_LENGTH", "append_fcs", "fcs16", "fcs_ok"]

#: aFCSLength for the 16-bit FCS
FCS_LENGTH = 2

#: byte -> byte with its 8 bits in reverse order
_REV8 = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
#: 16-bit value -> value with its 16 bits in reverse order
_REV16 = array("H", [(_REV8[v & 0xFF] << 8) | _REV8[v >> 8] for v in range(0x10000)])
_U16 = struct.Struct("<H")


def fcs16(data: bytes) -> int:
    """CRC-16/KERMIT of ``data`` as 802.15.4 computes it (the FCS value, before LE packing)."""
    return _REV16[crc_hqx(data.translate(_REV8), 0)]


def append_fcs(mpdu_without_fcs: bytes) -> bytes:
    """``data`` followed by its 2-byte little-endian FCS (a complete PSDU)."""
    return mpdu_without_fcs + _U16.pack(_REV16[crc_hqx(mpdu_without_fcs.translate(_REV8), 0)])


def fcs_ok(psdu: bytes) -> bool:
    """True if the last two bytes of ``psdu`` are the correct FCS of the bytes before them."""
    return len(psdu) >= FCS_LENGTH and crc_hqx(psdu.translate(_REV8), 0) == 0
