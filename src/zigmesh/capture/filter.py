"""Capture filter: write only some frames of a run (by frame kind, by sender).

:func:`frame_kind` names what a PSDU is from its headers alone (no decryption): a MAC
``beacon``, ``ack`` or ``mac_command``; for a MAC data frame, the NWK frame type inside it
(``data``: NWK data, i.e. APS frames of every kind, ``nwk_command``, ``inter_pan``); ``other``
for the rest (802.15.4-2015 multipurpose / fragment / extended frames). :func:`mac_source`
reads the MAC source address.

:class:`CaptureFilter` is a capture sink (``write(time_us, psdu)``) that forwards a frame to
the real sink (a :class:`~zigmesh.capture.pcap.PcapWriter`) when its kind is among ``kinds``
and its sender passes ``sender`` (a predicate over the MAC source address: mode 2 short or 3
extended). An acknowledgement names no sender: with a sender predicate, the ACK of a frame that
was written (same sequence number, starting before that frame's ACK wait is over) is written
too, so a filtered capture still shows which of its frames were acknowledged. The filter keeps
no frames: at most one pending sequence number per value (256), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol

__all__ = ["FRAME_KINDS", "CaptureFilter", "frame_kind", "mac_source"]

#: every kind :func:`frame_kind` returns, in the order the README lists them
FRAME_KINDS: tuple[str, ...] = (
    "beacon",
    "data",
    "ack",
    "mac_command",
    "nwk_command",
    "inter_pan",
    "other",
)
_MAC_KINDS = ("beacon", "data", "ack", "mac_command")
_NWK_KINDS = ("data", "nwk_command", "other", "inter_pan")
_ADDR_LEN = (0, 0, 2, 8)
_FCF_SECURITY = 0x0008
_FCF_ACK_REQUEST = 0x0020
_FCF_PAN_ID_COMPRESSION = 0x0040
_FCF_SEQ_SUPPRESSION = 0x0100
_FCF_IE_PRESENT = 0x0200
_FRAME_VERSION_2015 = 2
#: 6 bytes of SHR + PHR and 32 us per byte at 250 kbit/s; an ACK starts aTurnaroundTime (192 us)
#: after the frame and is waited for macAckWaitDuration (864 us at 2.4 GHz): generous margin
_BYTE_US = 32
_SHR_PHR_BYTES = 6
_ACK_WINDOW_US = 1_000


class _Sink(Protocol):
    def write(self, time_us: int, data: bytes) -> None: ...


def _header(psdu: bytes) -> tuple[int, int, int, int] | None:
    """(frame control, source mode, offset of the source address, offset of the MAC payload)
    of a 2003/2006 frame without header IEs; None when it cannot be read that way."""
    if len(psdu) < 3:
        return None
    fc = psdu[0] | psdu[1] << 8
    version = (fc >> 12) & 3
    if version >= _FRAME_VERSION_2015 or fc & _FCF_IE_PRESENT:
        return None
    dst_mode = (fc >> 10) & 3
    src_mode = (fc >> 14) & 3
    i = 2 if fc & _FCF_SEQ_SUPPRESSION else 3
    if dst_mode:
        i += 2 + _ADDR_LEN[dst_mode]
    if src_mode and not (dst_mode and fc & _FCF_PAN_ID_COMPRESSION):
        i += 2
    src_at = i
    i += _ADDR_LEN[src_mode]
    if len(psdu) < i + 2:  # the FCS follows the header at least
        return None
    return fc, src_mode, src_at, i


def frame_kind(psdu: bytes) -> str:
    """What ``psdu`` (FCS included) is: one of :data:`FRAME_KINDS` (see the module docstring)."""
    if len(psdu) < 2:
        return "other"
    ftype = psdu[0] & 7
    if ftype >= len(_MAC_KINDS):
        return "other"
    if ftype != 1:
        return _MAC_KINDS[ftype]
    head = _header(psdu)
    if head is None or head[0] & _FCF_SECURITY or len(psdu) < head[3] + 1 + 2:
        return "data"  # no readable NWK frame control: a data frame all the same
    return _NWK_KINDS[psdu[head[3]] & 3]


def mac_source(psdu: bytes) -> tuple[int, int] | None:
    """(address mode, address) of the MAC source (2: short, 3: extended), or None when the
    frame has none (an ACK) or cannot be read."""
    head = _header(psdu)
    if head is None or not head[1]:
        return None
    _fc, mode, at, _end = head
    n = _ADDR_LEN[mode]
    return mode, int.from_bytes(psdu[at : at + n], "little")


class CaptureFilter:
    """A capture sink writing to ``sink`` only the frames that pass (module docstring).

    ``kinds``: the :data:`FRAME_KINDS` to keep (None: every kind); ``sender``: a predicate
    ``(mode, address)`` on the MAC source address (None: every sender). ``count`` is the number
    of frames written, ``seen`` the number offered.
    """

    __slots__ = ("_acks", "_kinds", "_sender", "_sink", "count", "seen")

    def __init__(
        self,
        sink: _Sink,
        *,
        kinds: Collection[str] | None = None,
        sender: Callable[[int, int], bool] | None = None,
    ) -> None:
        if kinds is not None:
            unknown = sorted(set(kinds) - set(FRAME_KINDS))
            if unknown:
                raise ValueError(f"unknown frame kinds {unknown}; known: {', '.join(FRAME_KINDS)}")
        self._sink = sink
        self._kinds = frozenset(kinds) if kinds is not None else None
        self._sender = sender
        #: sequence number -> latest start time of the ACK of a written frame
        self._acks: dict[int, int] = {}
        self.count = 0
        self.seen = 0

    def write(self, time_us: int, data: bytes) -> None:
        self.seen += 1
        kinds = self._kinds
        if kinds is not None and frame_kind(data) not in kinds:
            return
        if self._sender is not None and not self._sender_passes(time_us, data):
            return
        self.count += 1
        self._sink.write(time_us, data)

    def _sender_passes(self, time_us: int, data: bytes) -> bool:
        assert self._sender is not None
        if len(data) >= 3 and data[0] & 7 == 2:  # an ACK: kept with the frame it acknowledges
            due = self._acks.pop(data[2], None)
            return due is not None and time_us <= due
        src = mac_source(data)
        if src is None or not self._sender(*src):
            return False
        fc = data[0] | data[1] << 8
        if fc & _FCF_ACK_REQUEST and not fc & _FCF_SEQ_SUPPRESSION:
            airtime = (_SHR_PHR_BYTES + len(data)) * _BYTE_US
            self._acks[data[2]] = time_us + airtime + _ACK_WINDOW_US
        return True
