"""What every NWK command shares (Zigbee spec R22 3.4, Table 3-40): the command identifiers
and the packing and list-reading helpers of the command modules.
"""

from __future__ import annotations

import struct
from enum import IntEnum

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, LocalProtocolError

__all__ = [
    "NwkCommandId",
]


class NwkCommandId(IntEnum):
    """NWK command identifiers (Zigbee spec R22 Table 3-40)."""

    ROUTE_REQUEST = 0x01
    ROUTE_REPLY = 0x02
    NETWORK_STATUS = 0x03
    LEAVE = 0x04
    ROUTE_RECORD = 0x05
    REJOIN_REQUEST = 0x06
    REJOIN_RESPONSE = 0x07
    LINK_STATUS = 0x08
    NETWORK_REPORT = 0x09
    NETWORK_UPDATE = 0x0A
    END_DEVICE_TIMEOUT_REQUEST = 0x0B
    END_DEVICE_TIMEOUT_RESPONSE = 0x0C
    LINK_POWER_DELTA = 0x0D


_U8x2 = struct.Struct("<BB")
_U8x3 = struct.Struct("<BBB")
_U64 = struct.Struct("<Q")


def _pack(s: struct.Struct, *values: int) -> bytes:
    try:
        return s.pack(*values)
    except struct.error as e:
        raise LocalProtocolError(f"NWK command field out of range: {e}") from None


def _start(data: bytes, expected: NwkCommandId) -> Reader:
    r = Reader(data)
    cid = r.u8("nwk_cmd.command_id")
    if cid != expected:
        raise DecodeError(
            "nwk_cmd.command_id", 0, f"{cid:#04x} is not {expected.name} ({int(expected):#04x})"
        )
    return r


def _check_list(r: Reader, count: int, size: int, field: str, what: str) -> None:
    """The rest of the payload must be ``count`` entries of ``size`` bytes, no more, no less
    (``what`` names the count in the error)."""
    if r.remaining() != size * count:
        raise DecodeError(
            field,
            r.offset(),
            f"{what} {count} needs {size * count} bytes, {r.remaining()} present",
        )


def _addr_list(r: Reader, count: int, field: str, what: str) -> tuple[int, ...]:
    """The rest of the payload: exactly ``count`` 16-bit addresses."""
    _check_list(r, count, 2, field, what)
    p = r.pos
    r.pos = p + 2 * count
    return struct.unpack_from(f"<{count}H", r.data, p)


_U8 = struct.Struct("<B")
