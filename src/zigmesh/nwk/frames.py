"""NWK frame codec (Zigbee spec R22 3.3.1, Figure 3-5 / 3-6) and NWK frame security (4.3.1).

General NWK frame format, in order on the air::

    frame control (2) | destination (2) | source (2) | radius (1) | sequence number (1)
    | destination IEEE (0/8) | source IEEE (0/8) | multicast control (0/1)
    | source route subframe (0/variable) | [auxiliary security header] | payload

Inter-PAN frames (frame type 3, Zigbee spec B.4 / Smart Energy) carry the frame control only.

Every presence bit of the frame control (multicast, security, source route, destination /
source IEEE present) is derived from the optional fields at encode time. ``payload`` is the
plaintext of an unsecured frame and the ciphertext + MIC, exactly as on the air, of a secured
one; :func:`secure_nwk` / :func:`unsecure_nwk` convert between the two.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Self

from zigmesh.codec import DecodeMemo, Reader, enum_table, fast_init, interned
from zigmesh.errors import DecodeError, LocalProtocolError, SecurityError
from zigmesh.security.aux import MIC_LENGTH, ZIGBEE_SECURITY_LEVEL, AuxHeader, KeyId
from zigmesh.security.ccm import secure_frame, unsecure_frame

__all__ = [
    "NwkFrameType",
    "DiscoverRoute",
    "MulticastMode",
    "MulticastControl",
    "SourceRoute",
    "NwkFrame",
    "NWK_PROTOCOL_VERSION",
    "NWK_MIC_LENGTH",
    "NWK_DECODED",
    "sealed_forms",
    "secure_nwk",
    "unsecure_nwk",
    "with_payload",
]

#: nwkcProtocolVersion for Zigbee PRO (Zigbee spec Table 3-58)
NWK_PROTOCOL_VERSION = 2
#: MIC length of a NWK frame secured at level 5 (ENC-MIC-32)
NWK_MIC_LENGTH = MIC_LENGTH[ZIGBEE_SECURITY_LEVEL]


class NwkFrameType(IntEnum):
    """Frame type sub-field (Zigbee spec Table 3-1); 2 is reserved."""

    DATA = 0
    COMMAND = 1
    INTER_PAN = 3


class DiscoverRoute(IntEnum):
    """Discover route sub-field (Zigbee spec Table 3-2); 2 and 3 are reserved (3 = "force" in 2004)."""

    SUPPRESS = 0
    ENABLE = 1


class MulticastMode(IntEnum):
    """Multicast mode sub-field (Zigbee spec Table 3-3); 2 and 3 are reserved."""

    NON_MEMBER = 0
    MEMBER = 1


# Frame control (Zigbee spec 3.3.1.1, Figure 3-6), LSB first
FC_FRAME_TYPE_MASK = 0x0003
FC_PROTOCOL_VERSION_SHIFT = 2
FC_PROTOCOL_VERSION_MASK = 0x003C
FC_DISCOVER_ROUTE_SHIFT = 6
FC_DISCOVER_ROUTE_MASK = 0x00C0
FC_MULTICAST = 0x0100
FC_SECURITY = 0x0200
FC_SOURCE_ROUTE = 0x0400
FC_DST_IEEE = 0x0800
FC_SRC_IEEE = 0x1000
FC_END_DEVICE_INITIATOR = 0x2000
_FC_OPTIONAL = FC_MULTICAST | FC_SECURITY | FC_SOURCE_ROUTE | FC_DST_IEEE | FC_SRC_IEEE

# Multicast control (Zigbee spec 3.3.1.8, Figure 3-7)
MC_MODE_MASK = 0x03
MC_NON_MEMBER_RADIUS_SHIFT = 2
MC_MAX_NON_MEMBER_RADIUS_SHIFT = 5
_RADIUS3 = 0x07

#: fixed part: frame control, destination, source, radius, sequence number
_FIXED = struct.Struct("<HHHBB")
_FIXED_LEN = 8
_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")

# 2-bit sub-field value -> enum member, or the plain int for reserved values
_FRAME_TYPES = enum_table(NwkFrameType, 4)
_DISCOVER = enum_table(DiscoverRoute, 4)
_MC_MODES = enum_table(MulticastMode, 4)
_RELAYS = tuple(struct.Struct(f"<{n}H") for n in range(256))


def _short_fixed(n: int) -> DecodeError:
    if n < 2:
        field, at = "nwk.frame_control", 0
    elif n < 4:
        field, at = "nwk.destination_address", 2
    elif n < 6:
        field, at = "nwk.source_address", 4
    elif n < 7:
        field, at = "nwk.radius", 6
    else:
        field, at = "nwk.sequence_number", 7
    return DecodeError(field, at, f"frame of {n} byte(s) is truncated")


@dataclass(frozen=True, slots=True)
class MulticastControl:
    """Multicast control field (Zigbee spec 3.3.1.8): mode bits 0-1, radii bits 2-4 / 5-7."""

    mode: MulticastMode | int = MulticastMode.MEMBER
    non_member_radius: int = 0
    max_non_member_radius: int = 0

    def to_byte(self) -> int:
        if not (
            0 <= self.mode <= MC_MODE_MASK
            and 0 <= self.non_member_radius <= _RADIUS3
            and 0 <= self.max_non_member_radius <= _RADIUS3
        ):
            raise LocalProtocolError(f"multicast control out of range: {self}")
        return (
            int(self.mode)
            | self.non_member_radius << MC_NON_MEMBER_RADIUS_SHIFT
            | self.max_non_member_radius << MC_MAX_NON_MEMBER_RADIUS_SHIFT
        )

    @classmethod
    def from_byte(cls, b: int) -> MulticastControl:
        return cls(
            _MC_MODES[b & MC_MODE_MASK],
            (b >> MC_NON_MEMBER_RADIUS_SHIFT) & _RADIUS3,
            b >> MC_MAX_NON_MEMBER_RADIUS_SHIFT,
        )


@dataclass(frozen=True, slots=True)
class SourceRoute:
    """Source route subframe (Zigbee spec 3.3.1.9, Figure 3-8).

    On the air: relay count (derived from ``relays``) | relay index | relay list.
    ``relays[0]`` is the relay closest to the destination (the list is consumed from
    ``relay_index`` down to 0).
    """

    relay_index: int
    relays: tuple[int, ...]

    def encoded_length(self) -> int:
        return 2 + 2 * len(self.relays)

    def encode(self) -> bytes:
        n = len(self.relays)
        if n > 0xFF:
            raise LocalProtocolError(f"source route of {n} relays (max 255)")
        try:
            return bytes((n, self.relay_index)) + _RELAYS[n].pack(*self.relays)
        except (struct.error, ValueError) as e:
            raise LocalProtocolError(f"bad source route {self}: {e}") from None


@fast_init
@dataclass(frozen=True, slots=True)
class NwkFrame:
    """A NWK frame (Zigbee spec 3.3.1, Figure 3-5).

    ``aux`` is the auxiliary security header (present <=> security bit set). ``payload`` is
    plaintext for an unsecured frame; for a secured one it is ciphertext | MIC as on the air,
    except in the value :func:`unsecure_nwk` returns (plaintext, aux kept for reference).
    For ``INTER_PAN`` frames only the frame control exists: ``dst``, ``src``, ``radius`` and
    ``seq`` must be 0 and the optional fields absent.
    """

    frame_type: NwkFrameType | int
    dst: int
    src: int
    radius: int
    seq: int
    payload: bytes
    discover_route: DiscoverRoute | int = DiscoverRoute.SUPPRESS
    protocol_version: int = NWK_PROTOCOL_VERSION
    end_device_initiator: bool = False
    dst_ieee: int | None = None
    src_ieee: int | None = None
    multicast: MulticastControl | None = None
    source_route: SourceRoute | None = None
    aux: AuxHeader | None = None

    # -- derived frame control bits ---------------------------------------------------------

    @property
    def security(self) -> bool:
        return self.aux is not None

    @property
    def multicast_flag(self) -> bool:
        return self.multicast is not None

    @property
    def source_route_flag(self) -> bool:
        return self.source_route is not None

    @property
    def dst_ieee_present(self) -> bool:
        return self.dst_ieee is not None

    @property
    def src_ieee_present(self) -> bool:
        return self.src_ieee is not None

    @property
    def frame_control(self) -> int:
        """The 16-bit frame control value, presence bits derived from the optional fields."""
        if not (
            0 <= self.frame_type <= 3
            and 0 <= self.discover_route <= 3
            and 0 <= self.protocol_version <= 15
        ):
            raise LocalProtocolError(
                f"frame control out of range: type {self.frame_type}, "
                f"version {self.protocol_version}, discover route {self.discover_route}"
            )
        fc = (
            int(self.frame_type)
            | self.protocol_version << FC_PROTOCOL_VERSION_SHIFT
            | int(self.discover_route) << FC_DISCOVER_ROUTE_SHIFT
        )
        if self.multicast is not None:
            fc |= FC_MULTICAST
        if self.aux is not None:
            fc |= FC_SECURITY
        if self.source_route is not None:
            fc |= FC_SOURCE_ROUTE
        if self.dst_ieee is not None:
            fc |= FC_DST_IEEE
        if self.src_ieee is not None:
            fc |= FC_SRC_IEEE
        if self.end_device_initiator:
            fc |= FC_END_DEVICE_INITIATOR
        return fc

    @property
    def header_length(self) -> int:
        """Length of the NWK header (the auxiliary security header not included)."""
        if self.frame_type == NwkFrameType.INTER_PAN:
            return 2
        n = _FIXED_LEN
        if self.dst_ieee is not None:
            n += 8
        if self.src_ieee is not None:
            n += 8
        if self.multicast is not None:
            n += 1
        if self.source_route is not None:
            n += self.source_route.encoded_length()
        return n

    # -- encode -----------------------------------------------------------------------------

    def encode_header(self) -> bytes:
        """The NWK header (Figure 3-5 up to the source route subframe), without aux header."""
        fc = self.frame_control
        if self.frame_type == NwkFrameType.INTER_PAN:
            if fc & _FC_OPTIONAL or self.dst or self.src or self.radius or self.seq:
                raise LocalProtocolError("an inter-PAN NWK frame carries the frame control only")
            return _U16.pack(fc)
        try:
            out = bytearray(_FIXED.pack(fc, self.dst, self.src, self.radius, self.seq))
            if self.dst_ieee is not None:
                out += _U64.pack(self.dst_ieee)
            if self.src_ieee is not None:
                out += _U64.pack(self.src_ieee)
        except struct.error as e:
            raise LocalProtocolError(f"NWK header field out of range: {e}") from None
        if self.multicast is not None:
            out.append(self.multicast.to_byte())
        if self.source_route is not None:
            out += self.source_route.encode()
        return bytes(out)

    def encode(self) -> bytes:
        """Header | aux header (if any) | payload, the payload written verbatim.

        To send a secured frame from plaintext use :func:`secure_nwk` instead.
        """
        if not self.payload:
            raise LocalProtocolError("a NWK frame needs a payload")
        hdr = self.encode_header()
        if self.aux is None:
            return hdr + self.payload
        try:
            return hdr + self.aux.encode() + self.payload
        except (OverflowError, ValueError) as e:
            raise LocalProtocolError(f"auxiliary header out of range: {e}") from None

    # -- decode -----------------------------------------------------------------------------

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """Decode one NWK frame (the MAC payload). Never reads past ``data``."""
        n = len(data)
        if n < _FIXED_LEN:
            if n >= 2 and data[0] & FC_FRAME_TYPE_MASK == NwkFrameType.INTER_PAN:
                return cls._decode_inter_pan(data)
            raise _short_fixed(n)
        fc, dst, src, radius, seq = _FIXED.unpack_from(data)
        # (the addresses every node's tables keep: one object per value, not per frame)
        dst = interned(dst)
        src = interned(src)
        ftype = fc & FC_FRAME_TYPE_MASK
        if ftype == 3:
            return cls._decode_inter_pan(data)
        if not fc & _FC_OPTIONAL:
            # hot path: plain unsecured frame with short addresses only
            if n == _FIXED_LEN:
                raise DecodeError("nwk.payload", _FIXED_LEN, "empty payload")
            return cls(
                _FRAME_TYPES[ftype],
                dst,
                src,
                radius,
                seq,
                data[_FIXED_LEN:],
                _DISCOVER[(fc & FC_DISCOVER_ROUTE_MASK) >> FC_DISCOVER_ROUTE_SHIFT],
                (fc & FC_PROTOCOL_VERSION_MASK) >> FC_PROTOCOL_VERSION_SHIFT,
                bool(fc & FC_END_DEVICE_INITIATOR),
            )
        pos = _FIXED_LEN
        dst_ieee = src_ieee = None
        if fc & FC_DST_IEEE:
            if pos + 8 > n:
                raise DecodeError(
                    "nwk.destination_ieee_address", pos, f"needs 8 bytes, {n - pos} left"
                )
            dst_ieee = interned(_U64.unpack_from(data, pos)[0])
            pos += 8
        if fc & FC_SRC_IEEE:
            if pos + 8 > n:
                raise DecodeError("nwk.source_ieee_address", pos, f"needs 8 bytes, {n - pos} left")
            src_ieee = interned(_U64.unpack_from(data, pos)[0])
            pos += 8
        mcast = None
        if fc & FC_MULTICAST:
            if pos >= n:
                raise DecodeError("nwk.multicast_control", pos, "truncated")
            mcast = MulticastControl.from_byte(data[pos])
            pos += 1
        sroute = None
        if fc & FC_SOURCE_ROUTE:
            if pos + 2 > n:
                raise DecodeError(
                    "nwk.source_route.relay_count", pos, "truncated source route subframe"
                )
            count = data[pos]
            index = data[pos + 1]
            pos += 2
            if pos + 2 * count > n:
                raise DecodeError(
                    "nwk.source_route.relay_list",
                    pos,
                    f"{count} relays need {2 * count} bytes, {n - pos} left",
                )
            sroute = SourceRoute(index, _RELAYS[count].unpack_from(data, pos))
            pos += 2 * count
        aux = None
        if fc & FC_SECURITY:
            r = Reader(data, pos)
            aux = AuxHeader.read(r)
            pos = r.pos
            if n - pos <= NWK_MIC_LENGTH:
                raise DecodeError(
                    "nwk.payload",
                    pos,
                    f"secured payload of {n - pos} bytes, needs more than the {NWK_MIC_LENGTH}-byte MIC",
                )
        elif pos == n:
            raise DecodeError("nwk.payload", pos, "empty payload")
        return cls(
            _FRAME_TYPES[ftype],
            dst,
            src,
            radius,
            seq,
            data[pos:],
            _DISCOVER[(fc & FC_DISCOVER_ROUTE_MASK) >> FC_DISCOVER_ROUTE_SHIFT],
            (fc & FC_PROTOCOL_VERSION_MASK) >> FC_PROTOCOL_VERSION_SHIFT,
            bool(fc & FC_END_DEVICE_INITIATOR),
            dst_ieee,
            src_ieee,
            mcast,
            sroute,
            aux,
        )

    @classmethod
    def _decode_inter_pan(cls, data: bytes) -> Self:
        fc = data[0] | data[1] << 8
        if fc & _FC_OPTIONAL:
            raise DecodeError(
                "nwk.frame_control",
                0,
                f"inter-PAN frame with header options {fc & _FC_OPTIONAL:#06x}",
            )
        if len(data) == 2:
            raise DecodeError("nwk.payload", 2, "empty payload")
        return cls(
            NwkFrameType.INTER_PAN,
            0,
            0,
            0,
            0,
            data[2:],
            _DISCOVER[(fc & FC_DISCOVER_ROUTE_MASK) >> FC_DISCOVER_ROUTE_SHIFT],
            (fc & FC_PROTOCOL_VERSION_MASK) >> FC_PROTOCOL_VERSION_SHIFT,
            bool(fc & FC_END_DEVICE_INITIATOR),
        )


#: the receive path's decoder of NWK frames (every receiver of a broadcast gets the one frame
#: object); a sender that seals a frame enters what its bytes decode to (:func:`sealed_forms`)
NWK_DECODED: DecodeMemo[NwkFrame] = DecodeMemo(NwkFrame.decode)


# -- NWK frame security (Zigbee spec 4.3.1) ---------------------------------------------------


#: the last :func:`with_payload` call, (frame, payload, result): the receivers of one secured
#: frame open the same (shared, decoded once) frame object to the same plaintext object in a
#: row, and get the same (frozen) result; compared by identity, and held so neither is reused
_last_with: tuple[NwkFrame, bytes, NwkFrame] | None = None


def with_payload(frame: NwkFrame, payload: bytes) -> NwkFrame:
    """``frame`` with another payload: ``dataclasses.replace`` at a third of its cost (every
    secured frame is opened once per hop)."""
    global _last_with
    last = _last_with
    if last is not None and last[0] is frame and last[1] is payload:
        return last[2]
    result = NwkFrame(
        frame.frame_type,
        frame.dst,
        frame.src,
        frame.radius,
        frame.seq,
        payload,
        frame.discover_route,
        frame.protocol_version,
        frame.end_device_initiator,
        frame.dst_ieee,
        frame.src_ieee,
        frame.multicast,
        frame.source_route,
        frame.aux,
    )
    _last_with = (frame, payload, result)
    return result


def sealed_forms(
    frame: NwkFrame, aux: AuxHeader, data: bytes, body: int
) -> tuple[NwkFrame, NwkFrame] | None:
    """What a receiver gets from ``data``, ``frame`` as just sealed under ``aux`` (the payload
    at ``body`` on): ``(NwkFrame.decode(data), the frame opened)``, built from the frame's
    fields without parsing or decrypting anything; None for a frame whose fields may not be
    in the decoder's canonical form (multicast control, a source route not given as a tuple),
    which receivers then decode. A sender seeds the receive memos with them: each hop of a
    secured frame is distinct bytes, read by one receiver (a unicast) or many."""
    sr = frame.source_route
    if frame.multicast is not None or (sr is not None and type(sr.relays) is not tuple):
        return None
    plain = frame.payload
    if type(plain) is not bytes:
        plain = bytes(plain)
    ft = _FRAME_TYPES[frame.frame_type]
    dr = _DISCOVER[frame.discover_route]
    pv = int(frame.protocol_version)
    edi = bool(frame.end_device_initiator)
    on_air = NwkFrame(
        ft,
        frame.dst,
        frame.src,
        frame.radius,
        frame.seq,
        data[body:],
        dr,
        pv,
        edi,
        frame.dst_ieee,
        frame.src_ieee,
        None,
        sr,
        aux,
    )
    return on_air, with_payload(on_air, plain)


def one_hop_on(frame: NwkFrame) -> NwkFrame:
    """``frame`` as a relay sends it on: radius one less (3.6.2.2), nothing else changed."""
    return NwkFrame(
        frame.frame_type,
        frame.dst,
        frame.src,
        frame.radius - 1,
        frame.seq,
        frame.payload,
        frame.discover_route,
        frame.protocol_version,
        frame.end_device_initiator,
        frame.dst_ieee,
        frame.src_ieee,
        frame.multicast,
        frame.source_route,
        frame.aux,
    )


def secure_nwk(frame: NwkFrame, key: bytes) -> bytes:
    """Secure ``frame`` (plaintext ``payload``) with the network key ``key`` (Zigbee spec 4.3.1.1).

    ``frame.aux`` must be a NWK auxiliary header: key identifier NETWORK_KEY (so it carries the
    key sequence number) and extended nonce (``source`` = this device's IEEE address). Returns
    header | aux (level 0 on the air) | E(payload) | MIC-32.
    """
    aux = frame.aux
    if aux is None:
        raise LocalProtocolError("secure_nwk needs a frame with an auxiliary security header")
    if aux.key_id != KeyId.NETWORK_KEY or aux.source is None:
        raise LocalProtocolError(
            "a NWK auxiliary header uses the network key and the extended nonce"
        )
    if not frame.payload:
        raise LocalProtocolError("a NWK frame needs a payload")
    return secure_frame(frame.encode_header(), aux, frame.payload, key)


def unsecure_nwk(data: bytes, key: bytes) -> NwkFrame:
    """Verify and decrypt a secured NWK frame (Zigbee spec 4.3.1.2); returns it with plaintext payload.

    Raises :class:`DecodeError` for malformed input and :class:`SecurityError` when the frame is
    not secured with the network key and extended nonce, or its MIC fails. The frame counter
    is not checked here (that needs the neighbour table).
    """
    frame = NwkFrame.decode(data)
    aux = frame.aux
    if aux is None:
        raise SecurityError("NWK frame is not secured")
    if aux.key_id != KeyId.NETWORK_KEY:
        raise SecurityError(
            f"NWK frame secured with key identifier {aux.key_id.name}, not the network key"
        )
    if aux.source is None:
        raise SecurityError("NWK frame without extended nonce")
    _, plain = unsecure_frame(data, frame.header_length, key, aux=aux)
    return replace(frame, payload=plain)
