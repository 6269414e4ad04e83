"""pcap reader/writer for LINKTYPE_IEEE802_15_4_WITHFCS (195), microsecond timestamps.

Classic libpcap format (magic a1b2c3d4). Each record is one PSDU including its 2-byte FCS.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zigmesh.errors import DecodeError

__all__ = ["LINKTYPE_IEEE802_15_4_WITHFCS", "PcapRecord", "PcapWriter", "read_pcap", "write_pcap"]

LINKTYPE_IEEE802_15_4_WITHFCS = 195
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
    """Streams records to a binary file object or path."""

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
        self._f.write(_RECORD.pack(sec, usec, len(data), len(data)))
        self._f.write(data)
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


def read_pcap(path: str | Path) -> Iterator[PcapRecord]:
    """Yield the records of a pcap file (microsecond or nanosecond, either byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < _GLOBAL.size:
        raise DecodeError("pcap.global_header", 0, "file shorter than the pcap header")
    magic = int.from_bytes(data[:4], "little")
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
        magic = int.from_bytes(data[:4], "big")
    else:
        raise DecodeError("pcap.magic", 0, f"not a pcap file (magic {data[:4].hex()})")
    nano = magic == 0xA1B23C4D
    rec = struct.Struct(endian + "IIII")
    pos = _GLOBAL.size
    while pos < len(data):
        if pos + rec.size > len(data):
            raise DecodeError("pcap.record_header", pos, "truncated record header")
        sec, frac, incl, _orig = rec.unpack_from(data, pos)
        pos += rec.size
        if pos + incl > len(data):
            raise DecodeError("pcap.record_data", pos, f"record of {incl} bytes truncated")
        t = sec * 1_000_000 + (frac // 1000 if nano else frac)
        yield PcapRecord(t, data[pos : pos + incl])
        pos += incl
