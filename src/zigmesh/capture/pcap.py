"""pcap reader/writer for IEEE 802.15.4 captures.

The writer makes classic libpcap files (magic a1b2c3d4, microsecond timestamps) of
LINKTYPE_IEEE802_15_4_WITHFCS (195): each record is one PSDU including its 2-byte FCS.

The reader streams a file record by record (never reading it whole): classic pcap (micro- or
nanosecond timestamps, either byte order) or pcapng (:mod:`zigmesh.capture.pcapng`), of link
type 195 (802.15.4 with FCS) or 230 (LINKTYPE_IEEE802_15_4_NOFCS: 802.15.4 without FCS, as
many sniffers write; the FCS is computed and appended, so every record is a whole PSDU). Any
other link type is refused with a :class:`DecodeError` that names it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zigmesh.errors import DecodeError
from zigmesh.mac.fcs import append_fcs

__all__ = [
    "LINKTYPE_IEEE802_15_4_NOFCS",
    "LINKTYPE_IEEE802_15_4_WITHFCS",
    "PcapRecord",
    "PcapWriter",
    "check_linktype",
    "read_pcap",
    "write_pcap",
]

LINKTYPE_IEEE802_15_4_WITHFCS = 195
LINKTYPE_IEEE802_15_4_NOFCS = 230
SUPPORTED_LINKTYPES = (LINKTYPE_IEEE802_15_4_WITHFCS, LINKTYPE_IEEE802_15_4_NOFCS)
#: link types a user may meet, named in the refusal
_LINKTYPE_NAMES = {
    0: "NULL",
    1: "Ethernet",
    101: "raw IP",
    105: "IEEE 802.11",
    113: "Linux cooked",
    127: "IEEE 802.11 radiotap",
    191: "IEEE 802.15.4 Linux",
    215: "IEEE 802.15.4 non-ASK PHY",
    276: "Linux cooked v2",
    283: "IEEE 802.15.4 TAP",
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_MAGIC_US = 0xA1B2C3D4
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
_SNAPLEN = 65535


@dataclass(frozen=True, slots=True)
class PcapRecord:
    """One captured frame: time in microseconds and the PSDU bytes (FCS included)."""

    time_us: int
    data: bytes


class PcapWriter:
    """Streams records to a binary file object or path: each record goes straight to the
    file's buffer, nothing is kept (only ``count``)."""

    __slots__ = ("_f", "_own", "count")

    def __init__(
        self, target: str | Path | BinaryIO, linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS
    ) -> None:
        if isinstance(target, (str, Path)):
            self._f: BinaryIO = open(target, "wb")  # noqa: SIM115 - closed in close()
            self._own = True
        else:
            self._f = target
            self._own = False
        self._f.write(_GLOBAL.pack(_MAGIC_US, 2, 4, 0, 0, _SNAPLEN, linktype))
        self.count = 0

    def write(self, time_us: int, data: bytes) -> None:
        sec, usec = divmod(time_us, 1_000_000)
        self._f.write(_RECORD.pack(sec, usec, len(data), len(data)) + data)
        self.count += 1

    def close(self) -> None:
        if self._own:
            self._f.close()
        else:
            self._f.flush()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_pcap(path: str | Path, records: list[PcapRecord] | list[tuple[int, bytes]]) -> None:
    """Write ``records`` (``PcapRecord`` or ``(time_us, data)``) to ``path``."""
    with PcapWriter(path) as w:
        for rec in records:
            if isinstance(rec, PcapRecord):
                w.write(rec.time_us, rec.data)
            else:
                w.write(rec[0], rec[1])


def check_linktype(linktype: int, offset: int) -> None:
    """Refuse a link type :func:`read_pcap` does not decode (``DecodeError`` at ``offset``)."""
    if linktype in SUPPORTED_LINKTYPES:
        return
    name = _LINKTYPE_NAMES.get(linktype)
    what = f"link type {linktype}" + (f" ({name})" if name else "")
    raise DecodeError(
        "pcap.linktype",
        offset,
        f"{what} is not supported: zigmesh decodes IEEE 802.15.4 captures, link type 195"
        " (with FCS) or 230 (without FCS)",
    )


def psdu_of(linktype: int, data: bytes) -> bytes:
    """The PSDU with its FCS: as captured for 195, FCS appended for 230 (no FCS)."""
    return append_fcs(data) if linktype == LINKTYPE_IEEE802_15_4_NOFCS else data


def read_pcap(path: str | Path) -> Iterator[PcapRecord]:
    """Yield the records of a pcap or pcapng file of link type 195 or 230, streamed.

    Every record's ``data`` is a PSDU with its FCS (see the module docstring). A file that is
    neither format, is truncated, or holds another link type raises :class:`DecodeError`
    naming the field and its byte offset; opening it may raise ``OSError``.
    """
    with open(path, "rb") as f:
        head = f.read(4)
        if head == _PCAPNG_MAGIC:
            from zigmesh.capture.pcapng import read_pcapng

            yield from read_pcapng(f, head)
            return
        yield from _read_classic(f, head)


def _read_classic(f: BinaryIO, head: bytes) -> Iterator[PcapRecord]:
    data = head + f.read(_GLOBAL.size - len(head))
    if len(data) < _GLOBAL.size:
        if len(data) >= 4 and _magic(data) is None:
            raise DecodeError("pcap.magic", 0, f"not a pcap file (magic {data[:4].hex()})")
        raise DecodeError("pcap.global_header", 0, "file shorter than the pcap header")
    found = _magic(data)
    if found is None:
        raise DecodeError("pcap.magic", 0, f"not a pcap file (magic {data[:4].hex()})")
    endian, nano = found
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFF_FFFF
    check_linktype(linktype, 20)
    rec = struct.Struct(endian + "IIII")
    pos = _GLOBAL.size
    while True:
        hdr = f.read(rec.size)
        if not hdr:
            return
        if len(hdr) < rec.size:
            raise DecodeError("pcap.record_header", pos, "truncated record header")
        sec, frac, incl, _orig = rec.unpack(hdr)
        pos += rec.size
        if incl > _MAX_RECORD:
            raise DecodeError("pcap.incl_len", pos - 8, f"record of {incl} bytes is too long")
        body = f.read(incl)
        if len(body) < incl:
            raise DecodeError("pcap.record_data", pos, f"record of {incl} bytes truncated")
        t = sec * 1_000_000 + (frac // 1000 if nano else frac)
        yield PcapRecord(t, psdu_of(linktype, body))
        pos += incl


#: no 802.15.4 frame comes near this; a larger length is a corrupt file, not a frame to read
_MAX_RECORD = 1 << 18


def _magic(data: bytes) -> tuple[str, bool] | None:
    """(struct byte order, nanosecond timestamps) of a classic pcap header, or None."""
    magic = int.from_bytes(data[:4], "little")
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        return "<", magic == 0xA1B23C4D
    magic = int.from_bytes(data[:4], "big")
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        return ">", magic == 0xA1B23C4D
    return None
