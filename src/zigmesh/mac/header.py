"""The IEEE 802.15.4 MAC header (MHR): frame control with its enumerations, addressing fields
and their layouts (802.15.4-2006 7.2.1, 802.15.4-2015 7.2.1-7.2.2), the auxiliary security
header (802.15.4-2006 7.6.2, 802.15.4-2015 9.4), header IE lists (802.15.4-2015 7.4.2) and
:func:`peek_dst`, the receive filter's cheap look at a frame's destination.

One precomputed layout per frame-control pattern (a ``struct`` format and field indices) lets
:class:`~zigmesh.mac.frames.MacFrame` decode a short-addressed data frame with one
``unpack_from``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple, Self

from zigmesh.codec import Reader, read_whole
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.fcs import FCS_LENGTH
from zigmesh.types import EUI64

__all__ = [
    "AddrMode",
    "FCF_ACK_REQUEST",
    "FCF_DST_MODE_SHIFT",
    "FCF_FRAME_PENDING",
    "FCF_FRAME_TYPE_MASK",
    "FCF_IE_PRESENT",
    "FCF_PAN_ID_COMPRESSION",
    "FCF_SECURITY_ENABLED",
    "FCF_SEQ_NUMBER_SUPPRESSION",
    "FCF_SRC_MODE_SHIFT",
    "FCF_VERSION_SHIFT",
    "FrameType",
    "FrameVersion",
    "KeyIdMode",
    "MacSecurityHeader",
    "peek_dst",
    "SecurityLevel",
]


class FrameType(IntEnum):
    """Frame Type subfield (802.15.4-2015 Table 7-1). 4 is reserved.

    Only BEACON, DATA, ACK and MAC_COMMAND use the general frame format decoded here; the
    multipurpose, fragment and extended formats are rejected by :meth:`MacFrame.decode`.
    """

    BEACON = 0
    DATA = 1
    ACK = 2
    MAC_COMMAND = 3
    MULTIPURPOSE = 5
    FRAGMENT = 6
    EXTENDED = 7


class AddrMode(IntEnum):
    """Destination / Source Addressing Mode (802.15.4-2015 Table 7-3). 1 is reserved."""

    NONE = 0
    SHORT = 2
    EXTENDED = 3


class FrameVersion(IntEnum):
    """Frame Version subfield (802.15.4-2015 Table 7-4). 3 is reserved."""

    V2003 = 0  # IEEE 802.15.4-2003
    V2006 = 1  # IEEE 802.15.4-2006
    V2015 = 2  # IEEE 802.15.4-2015 (and 802.15.4e-2012)


class SecurityLevel(IntEnum):
    """Security Level subfield (802.15.4-2006 Table 95, 802.15.4-2015 Table 9-6)."""

    NONE = 0
    MIC_32 = 1
    MIC_64 = 2
    MIC_128 = 3
    ENC = 4
    ENC_MIC_32 = 5
    ENC_MIC_64 = 6
    ENC_MIC_128 = 7


class KeyIdMode(IntEnum):
    """Key Identifier Mode subfield (802.15.4-2006 Table 96, 802.15.4-2015 Table 9-7)."""

    IMPLICIT = 0  # key determined from originator and recipient
    INDEX = 1  # 1-byte Key Index
    SOURCE4_INDEX = 2  # 4-byte Key Source + Key Index
    SOURCE8_INDEX = 3  # 8-byte Key Source + Key Index


FCF_FRAME_TYPE_MASK = 0x0007
FCF_SECURITY_ENABLED = 0x0008
FCF_FRAME_PENDING = 0x0010
FCF_ACK_REQUEST = 0x0020
FCF_PAN_ID_COMPRESSION = 0x0040
FCF_SEQ_NUMBER_SUPPRESSION = 0x0100
FCF_IE_PRESENT = 0x0200
FCF_DST_MODE_SHIFT = 10
FCF_VERSION_SHIFT = 12
FCF_SRC_MODE_SHIFT = 14
_FCF_ADDR_MODE_MASK = 0x3
_FCF_VERSION_MASK = 0x3
# plain-int copies of enum values for hot paths (enum attribute access costs ~100 ns in 3.11)
_BEACON = 0
_MODE_SHORT = 2
_MODE_EXTENDED = 3
_V2003 = 0
_V2015 = 2
#: frame types 4-7 (bit 2 set) do not use the general frame format
_FCF_NON_GENERAL = 0x0004

_FRAME_TYPES = (FrameType.BEACON, FrameType.DATA, FrameType.ACK, FrameType.MAC_COMMAND)
_ADDR_MODES: tuple[AddrMode | None, ...] = (AddrMode.NONE, None, AddrMode.SHORT, AddrMode.EXTENDED)
_VERSIONS: tuple[FrameVersion | None, ...] = (
    FrameVersion.V2003,
    FrameVersion.V2006,
    FrameVersion.V2015,
    None,
)
_SECURITY_LEVELS = tuple(SecurityLevel)

_U16 = struct.Struct("<H")
_ADDR_FMT = ("", "", "H", "Q")
_ADDR_LEN = (0, 0, 2, 8)


class _Layout(NamedTuple):
    """How the MHR up to the source address is laid out for one frame-control pattern.

    ``i_*`` index the tuple ``struct.unpack_from(psdu) + (None,)``: -1 selects the trailing
    None (field absent). ``i_src_pan`` may point at the destination PAN ID when the source PAN
    ID is elided because it equals it.
    """

    st: struct.Struct  # "<H" (frame control) + seq + addressing fields
    length: int  # MHR bytes up to and including the source address
    i_seq: int
    i_dst_pan: int
    i_dst: int
    i_src_pan: int
    i_src: int
    dst_mode: AddrMode
    src_mode: AddrMode
    version: FrameVersion
    ie_present: bool
    seq_present: bool
    dst_pan_present: bool
    src_pan_present: bool
    peek: struct.Struct  # frame control + seq + dst PAN + dst address only
    peek_length: int


def _pan_presence(version: int, dm: int, sm: int, comp: bool) -> tuple[bool, bool] | None:
    """(dst PAN present, src PAN present) or None if the combination is invalid."""
    if version < 2:
        # 802.15.4-2006 7.2.1.1.5 / 7.2.1.3-7.2.1.5
        if dm and sm:
            return True, not comp
        if comp:
            return None
        return bool(dm), bool(sm)
    # 802.15.4-2015 Table 7-2
    if not dm and not sm:
        return comp, False
    if dm and not sm:
        return not comp, False
    if sm and not dm:
        return False, not comp
    if dm == 3 and sm == 3:
        return not comp, False
    return True, not comp


def _build_layout(key: int) -> _Layout | None:
    """Layout for frame control bits 6-15 (``fcf >> 6``), or None if reserved / invalid."""
    fcf = key << 6
    comp = bool(fcf & FCF_PAN_ID_COMPRESSION)
    dm = (fcf >> FCF_DST_MODE_SHIFT) & _FCF_ADDR_MODE_MASK
    sm = (fcf >> FCF_SRC_MODE_SHIFT) & _FCF_ADDR_MODE_MASK
    ver = (fcf >> FCF_VERSION_SHIFT) & _FCF_VERSION_MASK
    dmode, smode, version = _ADDR_MODES[dm], _ADDR_MODES[sm], _VERSIONS[ver]
    if dmode is None or smode is None or version is None:
        return None
    pans = _pan_presence(ver, dm, sm, comp)
    if pans is None:
        return None
    dpan, span = pans
    # sequence number suppression and IE present are reserved bits before 2015
    seq = ver < 2 or not fcf & FCF_SEQ_NUMBER_SUPPRESSION
    ie = ver == 2 and bool(fcf & FCF_IE_PRESENT)
    fmt = "<H"
    idx = 1
    i_seq = i_dpan = i_dst = i_span = i_src = -1
    if seq:
        fmt += "B"
        i_seq, idx = idx, idx + 1
    if dpan:
        fmt += "H"
        i_dpan, idx = idx, idx + 1
    if dm:
        fmt += _ADDR_FMT[dm]
        i_dst, idx = idx, idx + 1
    peek_fmt = fmt
    if span:
        fmt += "H"
        i_span, idx = idx, idx + 1
    elif dm and sm and dpan:
        i_span = i_dpan  # elided source PAN ID equals the destination PAN ID
    if sm:
        fmt += _ADDR_FMT[sm]
        i_src, idx = idx, idx + 1
    st = struct.Struct(fmt)
    peek = struct.Struct(peek_fmt)
    return _Layout(
        st,
        st.size,
        i_seq,
        i_dpan,
        i_dst,
        i_span,
        i_src,
        dmode,
        smode,
        version,
        ie,
        seq,
        dpan,
        span,
        peek,
        peek.size,
    )


#: indexed by ``fcf >> 6``; None for reserved modes / versions and invalid PAN ID compression
_LAYOUTS: tuple[_Layout | None, ...] = tuple(_build_layout(k) for k in range(1 << 10))


def _fcf_error(fcf: int) -> DecodeError:
    """The DecodeError for a frame control field that has no layout (slow path)."""
    ft = fcf & FCF_FRAME_TYPE_MASK
    if ft & _FCF_NON_GENERAL:
        what = "reserved" if ft == 4 else f"{FrameType(ft).name.lower()} frame format not supported"
        return DecodeError("frame_control.frame_type", 0, f"frame type {ft}: {what}")
    if (fcf >> FCF_DST_MODE_SHIFT) & _FCF_ADDR_MODE_MASK == 1:
        return DecodeError("frame_control.dst_addr_mode", 1, "reserved addressing mode 1")
    if (fcf >> FCF_SRC_MODE_SHIFT) & _FCF_ADDR_MODE_MASK == 1:
        return DecodeError("frame_control.src_addr_mode", 1, "reserved addressing mode 1")
    if (fcf >> FCF_VERSION_SHIFT) & _FCF_VERSION_MASK == 3:
        return DecodeError("frame_control.frame_version", 1, "reserved frame version 3")
    return DecodeError(
        "frame_control.pan_id_compression",
        0,
        "set without both addresses (802.15.4-2006 7.2.1.1.5)",
    )


def _mhr_field_at(lay: _Layout, offset: int) -> str:
    """Name of the MHR field that contains byte ``offset`` (for truncation errors)."""
    pos = 2
    fields: list[tuple[str, int]] = []
    if lay.seq_present:
        fields.append(("sequence_number", 1))
    if lay.dst_pan_present:
        fields.append(("dst_pan", 2))
    if lay.dst_mode:
        fields.append(("dst_addr", _ADDR_LEN[lay.dst_mode]))
    if lay.src_pan_present:
        fields.append(("src_pan", 2))
    if lay.src_mode:
        fields.append(("src_addr", _ADDR_LEN[lay.src_mode]))
    for name, size in fields:
        if offset < pos + size:
            return name
        pos += size
    return "mhr"


def _truncated(lay: _Layout, end: int) -> DecodeError:
    return DecodeError(
        _mhr_field_at(lay, end), end, f"MHR needs {lay.length} byte(s) before the FCS, {end} left"
    )


def _addr_mode_of(addr: int | None) -> AddrMode:
    """Addressing mode for an address given to a constructor: EUI64 or > 0xFFFF is extended."""
    if addr is None:
        return AddrMode.NONE
    if isinstance(addr, EUI64) or addr > 0xFFFF:
        return AddrMode.EXTENDED
    return AddrMode.SHORT


def _eui64(v: int) -> EUI64:
    return int.__new__(EUI64, v)


_SEC_LEVEL_MASK = 0x07
_SEC_KEY_ID_MODE_SHIFT = 3
_SEC_KEY_ID_MODE_MASK = 0x18
_SEC_FRAME_COUNTER_SUPPRESSION = 0x20  # 2015
_SEC_ASN_IN_NONCE = 0x40  # 2015
_KEY_SOURCE_LEN = (0, 0, 4, 8)
_MIC_LENGTH = (0, 4, 8, 16, 0, 4, 8, 16)


@dataclass(frozen=True, slots=True)
class MacSecurityHeader:
    """802.15.4 Auxiliary Security Header (802.15.4-2006 7.6.2, 802.15.4-2015 9.4).

    Security Control: bits 0-2 security level, 3-4 key identifier mode, 5 frame counter
    suppression (2015), 6 ASN in nonce (2015), 7 reserved. Then the frame counter (4 bytes,
    absent when suppressed) and the key identifier: key source (0/4/8 bytes, as on the air)
    and key index (1 byte) for key identifier modes 1-3.

    Derived on encode: the key identifier mode (from ``key_source`` / ``key_index``) and
    frame counter suppression (``frame_counter is None``, 2015 frames only).
    """

    security_level: SecurityLevel | int
    frame_counter: int | None
    key_source: bytes | None = None
    key_index: int | None = None
    asn_in_nonce: bool = False

    @property
    def key_id_mode(self) -> KeyIdMode:
        if self.key_index is None:
            return KeyIdMode.IMPLICIT
        if self.key_source is None:
            return KeyIdMode.INDEX
        return KeyIdMode.SOURCE4_INDEX if len(self.key_source) == 4 else KeyIdMode.SOURCE8_INDEX

    @property
    def mic_length(self) -> int:
        """Length of the MIC that ends the secured payload (802.15.4-2006 Table 95)."""
        return _MIC_LENGTH[self.security_level & _SEC_LEVEL_MASK]

    def control(self) -> int:
        """The Security Control byte."""
        c = (self.security_level & _SEC_LEVEL_MASK) | (self.key_id_mode << _SEC_KEY_ID_MODE_SHIFT)
        if self.frame_counter is None:
            c |= _SEC_FRAME_COUNTER_SUPPRESSION
        if self.asn_in_nonce:
            c |= _SEC_ASN_IN_NONCE
        return c

    def encode(self, frame_version: int = FrameVersion.V2006) -> bytes:
        if frame_version < FrameVersion.V2015 and (self.frame_counter is None or self.asn_in_nonce):
            raise LocalProtocolError(
                "frame counter suppression / ASN in nonce need an 802.15.4-2015 frame"
            )
        if self.key_index is None and self.key_source is not None:
            raise LocalProtocolError("a key source needs a key index")
        if self.key_source is not None and len(self.key_source) not in (4, 8):
            raise LocalProtocolError("key source must be 4 or 8 bytes")
        out = bytearray((self.control(),))
        if self.frame_counter is not None:
            out += self.frame_counter.to_bytes(4, "little")
        if self.key_source is not None:
            out += self.key_source
        if self.key_index is not None:
            out.append(self.key_index)
        return bytes(out)

    def __len__(self) -> int:
        n = 1 + (4 if self.frame_counter is not None else 0)
        if self.key_index is not None:
            n += 1 + (len(self.key_source) if self.key_source is not None else 0)
        return n

    @classmethod
    def read(cls, r: Reader, frame_version: int = FrameVersion.V2006) -> Self:
        """Read from a cursor. Bits 5-6 are honoured only in 2015 frames (reserved before)."""
        ctl = r.u8("aux_security.security_control")
        v2015 = frame_version >= FrameVersion.V2015
        if v2015 and ctl & _SEC_FRAME_COUNTER_SUPPRESSION:
            fc = None
        else:
            fc = r.u32("aux_security.frame_counter")
        mode = (ctl & _SEC_KEY_ID_MODE_MASK) >> _SEC_KEY_ID_MODE_SHIFT
        src = r.bytes(_KEY_SOURCE_LEN[mode], "aux_security.key_source") if mode >= 2 else None
        idx = r.u8("aux_security.key_index") if mode else None
        return cls(
            _SECURITY_LEVELS[ctl & _SEC_LEVEL_MASK],
            fc,
            src,
            idx,
            v2015 and bool(ctl & _SEC_ASN_IN_NONCE),
        )

    @classmethod
    def decode(cls, data: bytes, frame_version: int = FrameVersion.V2006) -> Self:
        return read_whole(data, lambda r: cls.read(r, frame_version), "aux_security")


_IE_TYPE_PAYLOAD = 0x8000
_HIE_LENGTH_MASK = 0x7F
_HIE_ID_SHIFT = 7
_HIE_ID_MASK = 0xFF
_HIE_HT1 = 0x7E  # header termination 1: payload IEs follow
_HIE_HT2 = 0x7F  # header termination 2: MAC payload follows


def _split_header_ies(psdu: bytes, pos: int, end: int) -> int:
    """Offset just past the header IE list starting at ``pos`` (terminator included).

    The list ends after a termination IE (HT1/HT2), at the end of the frame, or before a
    descriptor of payload-IE type (a sender that omitted HT1).
    """
    while pos < end:
        if pos + 2 > end:
            raise DecodeError("header_ie.descriptor", pos, "truncated IE descriptor")
        d = psdu[pos] | (psdu[pos + 1] << 8)
        if d & _IE_TYPE_PAYLOAD:
            break
        nxt = pos + 2 + (d & _HIE_LENGTH_MASK)
        if nxt > end:
            raise DecodeError("header_ie.content", pos + 2, "IE content runs past the frame")
        pos = nxt
        if (d >> _HIE_ID_SHIFT) & _HIE_ID_MASK in (_HIE_HT1, _HIE_HT2):
            break
    return pos


def peek_dst(psdu: bytes) -> tuple[FrameType, bool, int | None, int | None, int | None, AddrMode]:
    """Cheap look at a PSDU's destination for receive filtering and automatic ACKs.

    Returns ``(frame_type, ack_request, seq, dst_pan, dst_addr, dst_mode)`` read from the
    frame control, sequence number and destination fields only: no FCS check, no source
    fields, nothing allocated beyond the tuple. ``dst_pan`` is None when elided (2015 rules)
    or absent; ``seq`` is None when suppressed. Raises DecodeError like :meth:`MacFrame.decode`
    for an unusable frame control or a PSDU too short for these fields (FCS included).
    """
    n = len(psdu)
    if n < 2 + FCS_LENGTH:
        raise DecodeError("frame_control" if n < 2 else "fcs", min(n, 2), "PSDU too short")
    fcf = psdu[0] | (psdu[1] << 8)
    lay = _LAYOUTS[fcf >> 6]
    if lay is None or fcf & _FCF_NON_GENERAL:
        raise _fcf_error(fcf)
    if lay.peek_length > n - FCS_LENGTH:
        raise _truncated(lay, n - FCS_LENGTH)
    v = (*lay.peek.unpack_from(psdu), None)
    dst = v[lay.i_dst]
    if lay.dst_mode == _MODE_EXTENDED:
        dst = _eui64(dst)
    return (
        _FRAME_TYPES[fcf & FCF_FRAME_TYPE_MASK],
        bool(fcf & FCF_ACK_REQUEST),
        v[lay.i_seq],
        v[lay.i_dst_pan],
        dst,
        lay.dst_mode,
    )
