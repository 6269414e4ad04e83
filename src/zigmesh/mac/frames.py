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

The header parts live in :mod:`~zigmesh.mac.header` (frame control, addressing layouts,
auxiliary security header, header IEs, :func:`peek_dst`) and the beacon payload in
:mod:`~zigmesh.mac.beacon`; MAC command payloads are :mod:`~zigmesh.mac.commands`. This module
re-exports their public names.
"""

from __future__ import annotations

import struct
from binascii import crc_hqx
from dataclasses import dataclass, fields

from zigmesh.codec import Reader, fast_init, memo_decoder
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.beacon import Beacon, GtsDescriptor, SuperframeSpec
from zigmesh.mac.commands import MacCommand, decode_command, encode_command
from zigmesh.mac.fcs import _REV8, _REV16, FCS_LENGTH
from zigmesh.mac.header import (
    _BEACON,
    _FCF_NON_GENERAL,
    _FRAME_TYPES,
    _LAYOUTS,
    _MODE_EXTENDED,
    _MODE_SHORT,
    _U16,
    _V2003,
    _V2015,
    AddrMode,
    FrameType,
    FrameVersion,
    KeyIdMode,
    MacSecurityHeader,
    SecurityLevel,
    _addr_mode_of,
    _eui64,
    _fcf_error,
    _split_header_ies,
    _truncated,
    peek_dst,
)
from zigmesh.mac.header import FCF_ACK_REQUEST as FCF_ACK_REQUEST
from zigmesh.mac.header import FCF_DST_MODE_SHIFT as FCF_DST_MODE_SHIFT
from zigmesh.mac.header import FCF_FRAME_PENDING as FCF_FRAME_PENDING
from zigmesh.mac.header import FCF_FRAME_TYPE_MASK as FCF_FRAME_TYPE_MASK
from zigmesh.mac.header import FCF_IE_PRESENT as FCF_IE_PRESENT
from zigmesh.mac.header import FCF_PAN_ID_COMPRESSION as FCF_PAN_ID_COMPRESSION
from zigmesh.mac.header import FCF_SECURITY_ENABLED as FCF_SECURITY_ENABLED
from zigmesh.mac.header import FCF_SEQ_NUMBER_SUPPRESSION as FCF_SEQ_NUMBER_SUPPRESSION
from zigmesh.mac.header import FCF_SRC_MODE_SHIFT as FCF_SRC_MODE_SHIFT
from zigmesh.mac.header import FCF_VERSION_SHIFT as FCF_VERSION_SHIFT

#: every radio in range of a beacon reads the same payload (scanners, and every router of the
#: PAN for its conflict detection): decoded once, shared (Beacon is frozen)
_decode_beacon = memo_decoder(Beacon.decode)

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
        return _decode_beacon(self.payload)

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
