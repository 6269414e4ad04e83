"""IEEE 802.15.4 MAC frames (802.15.4-2006 7.2, 802.15.4-2015 7.2-7.3).

General MAC frame format::

    | Frame Control | Seq | Dst PAN | Dst addr | Src PAN | Src addr | Aux security | IEs | Payload | FCS |
    |       2       | 0/1 |   0/2   |  0/2/8   |   0/2   |  0/2/8   |   0/5-14     |     |         |  2  |

Frame Control (LSB first): bits 0-2 frame type, 3 security enabled, 4 frame pending,
5 ACK request, 6 PAN ID compression, 7 reserved, 8 sequence number suppression (2015),
9 IE present (2015), 10-11 destination addressing mode, 12-13 frame version,
14-15 source addressing mode.

:class:`MacFrame` is one value for beacon, data, ACK and MAC command frames of all three frame
versions. PAN ID compression, security enabled, IE present and sequence number suppression
are derived when encoding, never stored:

* 2003/2006 frames (802.15.4-2006 7.2.1.1.5): compression is set when both addresses are
  present and the PAN IDs are equal; set with only one address it is invalid.
* 2015 frames (802.15.4-2015 Table 7-2): the presence of each PAN ID follows from the
  addressing modes and the compression bit; the encoder picks the bit from which PAN IDs the
  value carries.

A decoded frame always carries the *logical* source PAN ID: when it is elided because it equals
the destination PAN ID, ``src_pan`` holds the destination PAN ID.

The hot path (data frames and ACKs) uses one precomputed layout per frame-control pattern (a
``struct`` format and field indices), so decoding a short-addressed data frame is one FCS
check, one ``unpack_from`` and one dataclass construction.
"""

from __future__ import annotations

import struct
from binascii import crc_hqx
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import NamedTuple, Self

from zigmesh.codec import Reader, fast_init, read_whole
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import MacCommand, decode_command, encode_command
from zigmesh.mac.fcs import _REV8, _REV16, FCS_LENGTH
from zigmesh.types import EUI64

__all__ = [
    "AddrMode",
    "Beacon",
    "FrameType",
    "FrameVersion",
    "GtsDescriptor",
    "KeyIdMode",
    "MacFrame",
    "MacSecurityHeader",
    "SecurityLevel",
    "SuperframeSpec",
    "peek_dst",
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


# ---------------------------------------------------------------------------------------------
# Frame control field
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Auxiliary security header
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Header IEs (802.15.4-2015 7.4.2)
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Beacon payload (802.15.4-2006 7.2.2.1)
# ---------------------------------------------------------------------------------------------

_SF_BEACON_ORDER = 0x000F
_SF_SUPERFRAME_ORDER_SHIFT = 4
_SF_FINAL_CAP_SLOT_SHIFT = 8
_SF_NIBBLE = 0xF
_SF_BATTERY_LIFE_EXTENSION = 0x1000
_SF_PAN_COORDINATOR = 0x4000
_SF_ASSOCIATION_PERMIT = 0x8000
_GTS_DESCRIPTOR_COUNT_MASK = 0x07
_GTS_PERMIT = 0x80
_GTS_DIRECTIONS_MASK = 0x7F
_GTS_STARTING_SLOT_MASK = 0x0F
_GTS_LENGTH_SHIFT = 4
_PENDING_SHORT_MASK = 0x07
_PENDING_EXTENDED_SHIFT = 4
_PENDING_EXTENDED_MASK = 0x07


@dataclass(frozen=True, slots=True)
class SuperframeSpec:
    """Superframe Specification field (802.15.4-2006 7.2.2.1.2, Figure 47). Bit 13 reserved.

    A non-beacon network (Zigbee PRO) uses beacon order = superframe order = 15.
    """

    beacon_order: int = 15
    superframe_order: int = 15
    final_cap_slot: int = 15
    battery_life_extension: bool = False
    pan_coordinator: bool = False
    association_permit: bool = False

    def to_int(self) -> int:
        for name, v in (
            ("beacon_order", self.beacon_order),
            ("superframe_order", self.superframe_order),
            ("final_cap_slot", self.final_cap_slot),
        ):
            if not 0 <= v <= _SF_NIBBLE:
                raise LocalProtocolError(f"{name} {v} out of range 0-15")
        v = (
            self.beacon_order
            | (self.superframe_order << _SF_SUPERFRAME_ORDER_SHIFT)
            | (self.final_cap_slot << _SF_FINAL_CAP_SLOT_SHIFT)
        )
        if self.battery_life_extension:
            v |= _SF_BATTERY_LIFE_EXTENSION
        if self.pan_coordinator:
            v |= _SF_PAN_COORDINATOR
        if self.association_permit:
            v |= _SF_ASSOCIATION_PERMIT
        return v

    @classmethod
    def from_int(cls, v: int) -> Self:
        return cls(
            v & _SF_BEACON_ORDER,
            (v >> _SF_SUPERFRAME_ORDER_SHIFT) & _SF_NIBBLE,
            (v >> _SF_FINAL_CAP_SLOT_SHIFT) & _SF_NIBBLE,
            bool(v & _SF_BATTERY_LIFE_EXTENSION),
            bool(v & _SF_PAN_COORDINATOR),
            bool(v & _SF_ASSOCIATION_PERMIT),
        )

    def encode(self) -> bytes:
        return _U16.pack(self.to_int())

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls.from_int(r.u16("superframe_spec"))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "superframe_spec")


@dataclass(frozen=True, slots=True)
class GtsDescriptor:
    """GTS descriptor (802.15.4-2006 7.2.2.1.5, Figure 50) and its direction bit (Figure 49).

    ``receive_only``: direction mask bit (1 = receive-only GTS, 0 = transmit-only).
    """

    short_addr: int
    starting_slot: int
    length: int
    receive_only: bool = False


@dataclass(frozen=True, slots=True)
class Beacon:
    """MAC payload of a 2003/2006 beacon frame (802.15.4-2006 7.2.2.1, Figure 46).

    Superframe Specification, GTS fields (GTS Specification: descriptor count bits 0-2, permit
    bit 7; GTS Directions mask and GTS list present only with descriptors), Pending Address
    fields (specification: short count bits 0-2, extended count bits 4-6; then the short
    addresses, then the extended ones) and the beacon payload (Zigbee: the NWK beacon
    payload, :class:`zigmesh.nwk.beacon.ZigbeeBeaconPayload`). Counts and the direction mask
    are derived from the tuples. In a secured beacon ``payload`` ends with the MIC.
    """

    superframe: SuperframeSpec = SuperframeSpec()
    gts_permit: bool = False
    gts: tuple[GtsDescriptor, ...] = ()
    pending_short: tuple[int, ...] = ()
    pending_extended: tuple[int, ...] = ()
    payload: bytes = b""

    def encode(self) -> bytes:
        n = len(self.gts)
        if n > _GTS_DESCRIPTOR_COUNT_MASK:
            raise LocalProtocolError(f"{n} GTS descriptors (at most 7)")
        if len(self.pending_short) > 7 or len(self.pending_extended) > 7:
            raise LocalProtocolError("at most 7 short and 7 extended pending addresses")
        out = bytearray(_U16.pack(self.superframe.to_int()))
        out.append(n | (_GTS_PERMIT if self.gts_permit else 0))
        if n:
            mask = 0
            for i, g in enumerate(self.gts):
                if g.receive_only:
                    mask |= 1 << i
            out.append(mask)
            for g in self.gts:
                if not (0 <= g.starting_slot <= 15 and 0 <= g.length <= 15):
                    raise LocalProtocolError("GTS starting slot and length are 4-bit fields")
                out += _U16.pack(g.short_addr)
                out.append(g.starting_slot | (g.length << _GTS_LENGTH_SHIFT))
        out.append(
            len(self.pending_short) | (len(self.pending_extended) << _PENDING_EXTENDED_SHIFT)
        )
        for a in self.pending_short:
            out += _U16.pack(a)
        for a in self.pending_extended:
            out += a.to_bytes(8, "little")
        out += self.payload
        return bytes(out)

    @classmethod
    def read(cls, r: Reader) -> Self:
        """Read up to the end of the cursor (the beacon payload takes the rest)."""
        sf = SuperframeSpec.from_int(r.u16("superframe_spec"))
        gspec = r.u8("gts_spec")
        n = gspec & _GTS_DESCRIPTOR_COUNT_MASK
        gts: tuple[GtsDescriptor, ...] = ()
        if n:
            mask = r.u8("gts_directions") & _GTS_DIRECTIONS_MASK
            lst = []
            for i in range(n):
                addr = r.u16("gts_list.device_short_address")
                b = r.u8("gts_list.slot")
                lst.append(
                    GtsDescriptor(
                        addr,
                        b & _GTS_STARTING_SLOT_MASK,
                        b >> _GTS_LENGTH_SHIFT,
                        bool(mask & (1 << i)),
                    )
                )
            gts = tuple(lst)
        pspec = r.u8("pending_address_spec")
        ns = pspec & _PENDING_SHORT_MASK
        ne = (pspec >> _PENDING_EXTENDED_SHIFT) & _PENDING_EXTENDED_MASK
        shorts = tuple(r.u16("pending_address_list.short") for _ in range(ns))
        exts = tuple(_eui64(r.u64("pending_address_list.extended")) for _ in range(ne))
        return cls(sf, bool(gspec & _GTS_PERMIT), gts, shorts, exts, r.rest())

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls.read(Reader(data))


# ---------------------------------------------------------------------------------------------
# MAC frame
# ---------------------------------------------------------------------------------------------

#: struct for frames that fail encoding: a clean error instead of struct.error
_ENCODE_ERRORS = (struct.error, OverflowError, TypeError)


@fast_init
@dataclass(frozen=True, slots=True)
class MacFrame:
    """One IEEE 802.15.4 MAC frame in the general format (802.15.4-2015 7.2).

    Addresses are ints (decoded extended addresses are :class:`~zigmesh.types.EUI64`); each
    address goes with its mode (``AddrMode.NONE`` <=> address None). ``seq`` is None only in
    2015 frames with sequence number suppression. ``security`` is the auxiliary security
    header (``payload`` then holds the secured payload raw: ciphertext and MIC).
    ``header_ies`` (2015, IE present) are the header IEs raw, termination IE included;
    payload IEs stay at the start of ``payload``. ``payload`` is the MAC payload: for a beacon
    the :class:`Beacon` fields, for a command the identifier and content.

    ``encode()`` gives the PSDU with FCS; ``decode(psdu)`` takes one.
    """

    frame_type: FrameType | int
    seq: int | None = 0
    dst_pan: int | None = None
    dst_addr: int | None = None
    dst_mode: AddrMode = AddrMode.NONE
    src_pan: int | None = None
    src_addr: int | None = None
    src_mode: AddrMode = AddrMode.NONE
    frame_pending: bool = False
    ack_request: bool = False
    frame_version: FrameVersion = FrameVersion.V2003
    security: MacSecurityHeader | None = None
    header_ies: bytes | None = None
    payload: bytes = b""

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def data(
        cls,
        dst_pan: int | None,
        dst_addr: int | None,
        src_addr: int | None,
        payload: bytes,
        *,
        seq: int | None = 0,
        src_pan: int | None = None,
        ack_request: bool | None = None,
        frame_pending: bool = False,
        frame_version: FrameVersion = FrameVersion.V2003,
        security: MacSecurityHeader | None = None,
        dst_mode: AddrMode | None = None,
        src_mode: AddrMode | None = None,
    ) -> MacFrame:
        """A data frame. Modes default from the addresses (EUI64 or > 0xFFFF: extended);
        ``src_pan`` defaults to ``dst_pan`` (intra-PAN) when both addresses are present;
        ``ack_request`` defaults to True for unicast (destination present and not 0xFFFF).
        """
        return cls._make(
            FrameType.DATA,
            seq,
            dst_pan,
            dst_addr,
            dst_mode,
            src_pan,
            src_addr,
            src_mode,
            frame_pending,
            ack_request,
            frame_version,
            security,
            payload,
        )

    @classmethod
    def ack(cls, seq: int, frame_pending: bool = False) -> MacFrame:
        """An immediate acknowledgment (802.15.4-2006 7.2.2.3): 5-byte PSDU."""
        return cls(FrameType.ACK, seq, frame_pending=frame_pending)

    @classmethod
    def command(
        cls,
        command: MacCommand,
        *,
        seq: int | None = 0,
        dst_pan: int | None = None,
        dst_addr: int | None = None,
        src_pan: int | None = None,
        src_addr: int | None = None,
        ack_request: bool | None = None,
        frame_pending: bool = False,
        frame_version: FrameVersion = FrameVersion.V2003,
        security: MacSecurityHeader | None = None,
        dst_mode: AddrMode | None = None,
        src_mode: AddrMode | None = None,
    ) -> MacFrame:
        """A MAC command frame carrying ``command`` (defaults as :meth:`data`).

        E.g. a Beacon Request: ``MacFrame.command(BeaconRequest(), seq=s, dst_pan=0xFFFF,
        dst_addr=0xFFFF)``.
        """
        return cls._make(
            FrameType.MAC_COMMAND,
            seq,
            dst_pan,
            dst_addr,
            dst_mode,
            src_pan,
            src_addr,
            src_mode,
            frame_pending,
            ack_request,
            frame_version,
            security,
            encode_command(command),
        )

    @classmethod
    def beacon(
        cls,
        src_pan: int,
        src_addr: int,
        beacon: Beacon,
        *,
        seq: int = 0,
        frame_version: FrameVersion = FrameVersion.V2003,
        security: MacSecurityHeader | None = None,
        src_mode: AddrMode | None = None,
    ) -> MacFrame:
        """A beacon frame (802.15.4-2006 7.2.2.1): no destination, the coordinator's address."""
        return cls._make(
            FrameType.BEACON,
            seq,
            None,
            None,
            None,
            src_pan,
            src_addr,
            src_mode,
            False,
            False,
            frame_version,
            security,
            beacon.encode(),
        )

    @classmethod
    def _make(
        cls,
        frame_type: FrameType,
        seq: int | None,
        dst_pan: int | None,
        dst_addr: int | None,
        dst_mode: AddrMode | None,
        src_pan: int | None,
        src_addr: int | None,
        src_mode: AddrMode | None,
        frame_pending: bool,
        ack_request: bool | None,
        frame_version: FrameVersion,
        security: MacSecurityHeader | None,
        payload: bytes,
    ) -> MacFrame:
        dm = _addr_mode_of(dst_addr) if dst_mode is None else dst_mode
        sm = _addr_mode_of(src_addr) if src_mode is None else src_mode
        if src_pan is None and dm and sm:
            src_pan = dst_pan
        if ack_request is None:
            ack_request = bool(dm) and not (dm == _MODE_SHORT and dst_addr == 0xFFFF)
        return cls(
            frame_type,
            seq,
            dst_pan,
            dst_addr,
            dm,
            src_pan,
            src_addr,
            sm,
            frame_pending,
            ack_request,
            frame_version,
            security,
            None,
            payload,
        )

    # -- derived views --------------------------------------------------------------------

    @property
    def pan_id_compression(self) -> bool:
        """The PAN ID Compression bit :meth:`encode` sets (derived)."""
        return bool(self._frame_control() & FCF_PAN_ID_COMPRESSION)

    def as_beacon(self) -> Beacon:
        """The :class:`Beacon` fields of a 2003/2006 beacon frame's payload."""
        if self.frame_type != FrameType.BEACON or self.frame_version >= FrameVersion.V2015:
            raise DecodeError("frame_type", 0, "not a 2003/2006 beacon frame")
        return Beacon.decode(self.payload)

    def as_command(self) -> MacCommand:
        """The command carried by an unsecured MAC command frame."""
        if self.frame_type != FrameType.MAC_COMMAND:
            raise DecodeError("frame_type", 0, "not a MAC command frame")
        return decode_command(self.payload)

    # -- encode ---------------------------------------------------------------------------

    def _frame_control(self) -> int:
        dm = self.dst_mode
        sm = self.src_mode
        ver = self.frame_version
        fcf = self.frame_type | (dm << FCF_DST_MODE_SHIFT) | (ver << FCF_VERSION_SHIFT)
        fcf |= sm << FCF_SRC_MODE_SHIFT
        if self.security is not None:
            fcf |= FCF_SECURITY_ENABLED
        if self.frame_pending:
            fcf |= FCF_FRAME_PENDING
        if self.ack_request:
            fcf |= FCF_ACK_REQUEST
        dpan = self.dst_pan
        span = self.src_pan
        if ver < _V2015:
            if self.seq is None or self.header_ies is not None:
                raise LocalProtocolError(
                    "sequence number suppression and IEs need an 802.15.4-2015 frame"
                )
            if dm and sm:
                if dpan is None:
                    raise LocalProtocolError("destination PAN ID missing")
                if span is None or span == dpan:
                    fcf |= FCF_PAN_ID_COMPRESSION
            elif (dpan is None) == bool(dm) or (span is None) == bool(sm):
                raise LocalProtocolError(
                    "2003/2006 frames carry a PAN ID exactly with each present address"
                )
        else:
            if self.seq is None:
                fcf |= FCF_SEQ_NUMBER_SUPPRESSION
            if self.header_ies is not None:
                fcf |= FCF_IE_PRESENT
            fcf |= _compression_2015(dm, sm, dpan, span)
        return fcf

    def encode(self) -> bytes:
        """The PSDU: MHR, MAC payload and FCS."""
        dm = self.dst_mode
        sm = self.src_mode
        if (self.dst_addr is None) == bool(dm) or (self.src_addr is None) == bool(sm):
            raise LocalProtocolError("an address is present exactly when its mode is not NONE")
        if self.frame_type & _FCF_NON_GENERAL:
            raise LocalProtocolError(f"frame type {self.frame_type} has no general format")
        fcf = self._frame_control()
        lay = _LAYOUTS[fcf >> 6]
        if lay is None:
            raise LocalProtocolError(f"invalid frame control {fcf:#06x}")
        args: list[int | None] = [fcf]
        if lay.seq_present:
            args.append(self.seq)
        if lay.dst_pan_present:
            args.append(self.dst_pan)
        if dm:
            args.append(self.dst_addr)
        if lay.src_pan_present:
            args.append(self.src_pan)
        if sm:
            args.append(self.src_addr)
        try:
            body = lay.st.pack(*args)
        except _ENCODE_ERRORS as e:
            raise LocalProtocolError(f"MAC header field out of range: {e}") from None
        if self.security is not None:
            body += self.security.encode(self.frame_version)
        if self.header_ies is not None:
            body += self.header_ies
        body += self.payload
        return body + _U16.pack(_REV16[crc_hqx(body.translate(_REV8), 0)])

    # -- decode ---------------------------------------------------------------------------

    @classmethod
    def decode(cls, psdu: bytes, check_fcs: bool = True) -> MacFrame:
        """Decode a PSDU (FCS included; ``check_fcs=False`` skips verifying it).

        Raises DecodeError("fcs", ...) on a bad FCS, and for reserved frame types / modes /
        versions, the multipurpose, fragment and extended frame formats, 2003-style security
        (no auxiliary header), truncated headers and, for 2003/2006 beacons, a MAC payload
        that is not a valid :class:`Beacon`.
        """
        n = len(psdu)
        if n < 2 + FCS_LENGTH:
            f = "frame_control" if n < 2 else "fcs"
            raise DecodeError(f, min(n, 2), f"PSDU of {n} byte(s) is shorter than FCF + FCS")
        if check_fcs and crc_hqx(psdu.translate(_REV8), 0):
            got = psdu[n - 2] | (psdu[n - 1] << 8)
            want = _REV16[crc_hqx(psdu[: n - 2].translate(_REV8), 0)]
            raise DecodeError("fcs", n - 2, f"bad FCS {got:#06x}, expected {want:#06x}")
        fcf = psdu[0] | (psdu[1] << 8)
        lay = _LAYOUTS[fcf >> 6]
        if lay is None or fcf & _FCF_NON_GENERAL:
            raise _fcf_error(fcf)
        st, hlen, i_seq, i_dpan, i_dst, i_span, i_src, dm, sm, ver, ie, _, _, _, _, _ = lay
        end = n - FCS_LENGTH
        if hlen > end:
            raise _truncated(lay, end)
        v = (*st.unpack_from(psdu), None)
        dst = v[i_dst]
        if dm == _MODE_EXTENDED:
            dst = _eui64(dst)
        src = v[i_src]
        if sm == _MODE_EXTENDED:
            src = _eui64(src)
        sec = None
        hies = None
        pos = hlen
        if fcf & (FCF_SECURITY_ENABLED | FCF_IE_PRESENT):
            if fcf & FCF_SECURITY_ENABLED:
                if ver == _V2003:
                    raise DecodeError(
                        "frame_control.security_enabled",
                        0,
                        "802.15.4-2003 security (no auxiliary header) is not supported",
                    )
                r = Reader(psdu, pos, end)
                sec = MacSecurityHeader.read(r, ver)
                pos = r.pos
            if ie:
                start = pos
                pos = _split_header_ies(psdu, pos, end)
                hies = psdu[start:pos]
        ft = _FRAME_TYPES[fcf & FCF_FRAME_TYPE_MASK]
        if ft == _BEACON and ver != _V2015:
            Beacon.read(Reader(psdu, pos, end))  # validate the MAC-defined beacon fields
        # == cls(ft, seq, ...) without the frozen dataclass __init__'s object.__setattr__ calls
        o = _object_new(cls)
        _set_frame_type(o, ft)
        _set_seq(o, v[i_seq])
        _set_dst_pan(o, v[i_dpan])
        _set_dst_addr(o, dst)
        _set_dst_mode(o, dm)
        _set_src_pan(o, v[i_span])
        _set_src_addr(o, src)
        _set_src_mode(o, sm)
        _set_frame_pending(o, bool(fcf & FCF_FRAME_PENDING))
        _set_ack_request(o, bool(fcf & FCF_ACK_REQUEST))
        _set_frame_version(o, ver)
        _set_security(o, sec)
        _set_header_ies(o, hies)
        _set_payload(o, psdu[pos:end])
        return o


# Slot descriptors of MacFrame, in field order: MacFrame.decode fills a fresh instance through
# them (a frozen dataclass's __init__ goes through object.__setattr__, ~0.6 us more per frame).
_object_new = object.__new__
(
    _set_frame_type,
    _set_seq,
    _set_dst_pan,
    _set_dst_addr,
    _set_dst_mode,
    _set_src_pan,
    _set_src_addr,
    _set_src_mode,
    _set_frame_pending,
    _set_ack_request,
    _set_frame_version,
    _set_security,
    _set_header_ies,
    _set_payload,
) = (MacFrame.__dict__[f.name].__set__ for f in fields(MacFrame))


def _compression_2015(dm: int, sm: int, dpan: int | None, span: int | None) -> int:
    """PAN ID Compression bit for a 2015 frame carrying these PAN IDs (Table 7-2)."""
    if not sm:
        if span is not None:
            raise LocalProtocolError("source PAN ID without a source address")
        if not dm:  # rows 1-2: a lone destination PAN ID is signalled by compression = 1
            return FCF_PAN_ID_COMPRESSION if dpan is not None else 0
        return 0 if dpan is not None else FCF_PAN_ID_COMPRESSION  # rows 3-4
    if not dm:  # rows 5-6
        if dpan is not None:
            raise LocalProtocolError("destination PAN ID without a destination address")
        return 0 if span is not None else FCF_PAN_ID_COMPRESSION
    if dm == _MODE_EXTENDED and sm == _MODE_EXTENDED:  # rows 7-8
        if dpan is None:
            if span is not None:
                raise LocalProtocolError("extended/extended 2015 frames carry one PAN ID at most")
            return FCF_PAN_ID_COMPRESSION
        if span is not None and span != dpan:
            raise LocalProtocolError("extended/extended 2015 frames carry one PAN ID at most")
        return 0
    if dpan is None:  # rows 9-14
        raise LocalProtocolError("destination PAN ID missing")
    return FCF_PAN_ID_COMPRESSION if span is None or span == dpan else 0


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
