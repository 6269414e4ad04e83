"""pcapng reader (the format Wireshark and most sniffers write), streamed block by block.

Blocks read (pcapng, IETF draft-ietf-opsawg-pcapng): Section Header (byte order, one per
section; interfaces start again), Interface Description (link type, ``if_tsresol`` and
``if_tsoffset`` options), Enhanced Packet, Simple Packet (no timestamp: time 0) and the
obsolete Packet block. Other blocks (name resolution, statistics, custom, ...) are skipped.
Every interface must be of link type 195 or 230 (:func:`~zigmesh.capture.pcap.check_linktype`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from zigmesh.capture.pcap import PcapRecord, check_linktype, psdu_of
from zigmesh.errors import DecodeError

__all__ = ["read_pcapng"]

_SHB = 0x0A0D0D0A
_IDB = 0x00000001
_PB = 0x00000002
_SPB = 0x00000003
_EPB = 0x00000006
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
#: options of an Interface Description Block
_OPT_END = 0
_IF_TSRESOL = 9
_IF_TSOFFSET = 14
#: larger blocks are a corrupt file, not 802.15.4 frames
_MAX_BLOCK = 1 << 20


@dataclass(slots=True)
class _Interface:
    linktype: int
    snaplen: int
    #: timestamp unit: 10^-resol s, or 2^-resol s when binary (if_tsresol)
    resol: int = 6
    binary: bool = False
    offset_s: int = 0

    def time_us(self, ts: int) -> int:
        if self.binary:
            t = (ts * 1_000_000) >> self.resol
        elif self.resol <= 6:
            t = ts * 10 ** (6 - self.resol)
        else:
            t = ts // 10 ** (self.resol - 6)
        return t + self.offset_s * 1_000_000


def read_pcapng(f: BinaryIO, head: bytes = b"") -> Iterator[PcapRecord]:
    """Yield the packets of a pcapng stream ``f`` (``head``: bytes already read from it)."""
    pos = 0
    endian = "<"
    interfaces: list[_Interface] = []
    pending = head
    while True:
        raw = pending + f.read(8 - len(pending))
        pending = b""
        if not raw:
            return
        if len(raw) < 8:
            raise DecodeError("pcapng.block_header", pos, "truncated block header")
        btype_le = int.from_bytes(raw[:4], "little")
        if btype_le == _SHB:
            bom = f.read(4)
            if len(bom) < 4:
                raise DecodeError("pcapng.byte_order_magic", pos + 8, "truncated section header")
            if int.from_bytes(bom, "little") == _BYTE_ORDER_MAGIC:
                endian = "<"
            elif int.from_bytes(bom, "big") == _BYTE_ORDER_MAGIC:
                endian = ">"
            else:
                raise DecodeError(
                    "pcapng.byte_order_magic", pos + 8, f"not a pcapng section ({bom.hex()})"
                )
            interfaces = []
            prefix = bom
        else:
            if pos == 0:
                raise DecodeError("pcapng.block_type", 0, "a pcapng file starts with a section")
            prefix = b""
        btype, length = struct.unpack(endian + "II", raw)
        if length < 12 + len(prefix) or length % 4 or length > _MAX_BLOCK:
            raise DecodeError("pcapng.block_total_length", pos + 4, f"bad block length {length}")
        rest = f.read(length - 8 - len(prefix))
        if len(rest) < length - 8 - len(prefix):
            raise DecodeError("pcapng.block_body", pos + 8, f"block of {length} bytes truncated")
        body = prefix + rest[:-4]
        (trailer,) = struct.unpack(endian + "I", rest[-4:])
        if trailer != length:
            raise DecodeError(
                "pcapng.block_total_length",
                pos + length - 4,
                f"trailing length {trailer} differs from {length}",
            )
        base = pos + 8
        if btype == _IDB:
            interfaces.append(_interface(body, endian, base))
        elif btype in (_EPB, _PB, _SPB):
            rec = _packet(btype, body, endian, base, interfaces)
            if rec is not None:
                yield rec
        pos += length


def _interface(body: bytes, endian: str, base: int) -> _Interface:
    if len(body) < 8:
        raise DecodeError("pcapng.idb", base, "interface description shorter than 8 bytes")
    linktype, _reserved, snaplen = struct.unpack_from(endian + "HHI", body)
    check_linktype(linktype, base)
    iface = _Interface(linktype, snaplen)
    for code, value, off in _options(body, 8, endian, base):
        if code == _IF_TSRESOL and len(value) >= 1:
            v = value[0]
            iface.binary = bool(v & 0x80)
            iface.resol = v & 0x7F
            if (iface.binary and iface.resol > 64) or (not iface.binary and iface.resol > 18):
                raise DecodeError("pcapng.if_tsresol", base + off, f"resolution {v:#04x}")
        elif code == _IF_TSOFFSET and len(value) >= 8:
            iface.offset_s = struct.unpack_from(endian + "q", value)[0]
    return iface


def _options(body: bytes, pos: int, endian: str, base: int) -> Iterator[tuple[int, bytes, int]]:
    while pos + 4 <= len(body):
        code, n = struct.unpack_from(endian + "HH", body, pos)
        if code == _OPT_END:
            return
        if pos + 4 + n > len(body):
            raise DecodeError("pcapng.option", base + pos, f"option {code} of {n} bytes truncated")
        yield code, body[pos + 4 : pos + 4 + n], pos
        pos += 4 + ((n + 3) & ~3)


def _packet(
    btype: int, body: bytes, endian: str, base: int, interfaces: list[_Interface]
) -> PcapRecord | None:
    if btype == _SPB:
        if len(body) < 4 or not interfaces:
            raise DecodeError("pcapng.spb", base, "simple packet without interface or length")
        iface = interfaces[0]
        (orig,) = struct.unpack_from(endian + "I", body)
        n = min(orig, iface.snaplen) if iface.snaplen else orig
        if 4 + n > len(body):
            raise DecodeError("pcapng.spb.packet_data", base + 4, f"packet of {n} bytes truncated")
        return PcapRecord(0, psdu_of(iface.linktype, body[4 : 4 + n]))
    if btype == _EPB:
        if len(body) < 20:
            raise DecodeError("pcapng.epb", base, "enhanced packet block shorter than 20 bytes")
        if_id, hi, lo, caplen, _orig = struct.unpack_from(endian + "IIIII", body)
        start = 20
    else:
        if len(body) < 20:
            raise DecodeError("pcapng.pb", base, "packet block shorter than 20 bytes")
        if_id, _drops, hi, lo, caplen, _orig = struct.unpack_from(endian + "HHIIII", body)
        start = 20
    if if_id >= len(interfaces):
        raise DecodeError("pcapng.interface_id", base, f"no interface {if_id} described")
    if start + caplen > len(body):
        raise DecodeError(
            "pcapng.packet_data", base + start, f"packet of {caplen} bytes truncated"
        )
    iface = interfaces[if_id]
    data = body[start : start + caplen]
    return PcapRecord(iface.time_us((hi << 32) | lo), psdu_of(iface.linktype, data))
