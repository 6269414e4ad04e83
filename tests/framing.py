"""Hand-rolled outer framing for layer tests that must go through tshark before every codec
exists: wraps a payload in a minimal 802.15.4 data frame (+ NWK, + APS headers), FCS included.

Byte layouts: IEEE 802.15.4-2006 7.2.1; Zigbee spec 3.3.1 (NWK) and 2.2.5.1 (APS).
"""

from __future__ import annotations

import binascii

_REV8 = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def fcs(data: bytes) -> bytes:
    """802.15.4 FCS: CRC-16/KERMIT (ITU-T, reflected, init 0), little-endian."""
    c = binascii.crc_hqx(data.translate(_REV8), 0)
    c = int(f"{c:016b}"[::-1], 2)
    return c.to_bytes(2, "little")


def mac_data(
    payload: bytes, seq: int = 1, pan: int = 0x1A62, dst: int = 0x0000, src: int = 0x1234
) -> bytes:
    """MAC data frame, short addressing, PAN ID compression, ACK request; with FCS."""
    hdr = (
        bytes((0x61, 0x88, seq))
        + pan.to_bytes(2, "little")
        + dst.to_bytes(2, "little")
        + src.to_bytes(2, "little")
    )
    body = hdr + payload
    return body + fcs(body)


def nwk_data(
    payload: bytes, dst: int = 0x0000, src: int = 0x1234, radius: int = 30, seq: int = 7
) -> bytes:
    """Unsecured NWK data frame header (protocol version 2) + payload."""
    return (
        b"\x08\x00"
        + dst.to_bytes(2, "little")
        + src.to_bytes(2, "little")
        + bytes((radius, seq))
        + payload
    )


def aps_data(
    payload: bytes,
    cluster: int,
    profile: int = 0x0104,
    src_ep: int = 1,
    dst_ep: int = 1,
    counter: int = 3,
) -> bytes:
    """Unicast APS data frame header + payload."""
    return (
        bytes((0x00, dst_ep))
        + cluster.to_bytes(2, "little")
        + profile.to_bytes(2, "little")
        + bytes((src_ep, counter))
        + payload
    )


def over_air_zcl(zcl: bytes, cluster: int, profile: int = 0x0104, seq: int = 1) -> bytes:
    return mac_data(nwk_data(aps_data(zcl, cluster, profile)), seq=seq)


def over_air_zdp(zdp: bytes, cluster: int, seq: int = 1) -> bytes:
    return mac_data(nwk_data(aps_data(zdp, cluster, profile=0x0000, src_ep=0, dst_ep=0)), seq=seq)
