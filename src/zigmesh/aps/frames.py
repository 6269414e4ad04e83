"""APS frames (Zigbee spec R22 2.2.5, Figures 2-2 to 2-6) and APS frame security (4.4.1).

General APS frame (Figure 2-2)::

    frame control (1) | [destination endpoint (1)] | [group address (2)] | [cluster id (2)]
    | [profile id (2)] | [source endpoint (1)] | [APS counter (1)] | [extended header (1-3)]
    | [auxiliary security header] | payload (plaintext, or ciphertext | MIC when secured)

Frame control (2.2.5.1.1, LSB first): bits 0-1 frame type, bits 2-3 delivery mode, bit 4
acknowledgement format, bit 5 security, bit 6 acknowledgement request, bit 7 extended header
present. Which addressing fields are present:

* data frames and data acknowledgements (ack format 0): destination endpoint for unicast and
  broadcast delivery, group address for group delivery, then cluster, profile and source
  endpoint; the reserved indirect mode (0b01, Zigbee 2006) carries the source endpoint only;
* command frames and command acknowledgements (ack format 1): no addressing fields;
* inter-PAN frames (Smart Energy / ZLL stub APS): group address for group delivery, cluster
  and profile; no endpoints and no APS counter.

The extended header (2.2.5.1.8) is an extended frame control byte (bits 0-1 fragmentation),
a block number when fragmented, and an acknowledgement bitfield in fragmented acks.

The derived bits (ack format, security, extended header present) are computed from the optional
fields when encoding; they are never stored.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any, Self

from zigmesh.codec import Reader, enum_table, fast_init
from zigmesh.errors import DecodeError, LocalProtocolError, SecurityError
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.security.ccm import secure_frame, unsecure_frame
from zigmesh.security.hashing import key_load_key, key_transport_key

__all__ = [
    "ApsFrameType",
    "DeliveryMode",
    "Fragmentation",
    "ExtendedHeader",
    "ApsFrame",
    "aps_key",
    "secure_aps",
    "unsecure_aps",
]


class ApsFrameType(IntEnum):
    """Frame type sub-field (Zigbee spec R22 Table 2-21; inter-PAN from the SE/ZLL specs)."""

    DATA = 0
    COMMAND = 1
    ACK = 2
    INTER_PAN = 3


class DeliveryMode(IntEnum):
    """Delivery mode sub-field (Zigbee spec R22 Table 2-22)."""

    UNICAST = 0
    INDIRECT = 1  # reserved since Zigbee 2007; decoded as in Zigbee 2006
    BROADCAST = 2
    GROUP = 3


class Fragmentation(IntEnum):
    """Fragmentation sub-field of the extended frame control (Zigbee spec R22 Table 2-23)."""

    NONE = 0
    FIRST = 1
    SUBSEQUENT = 2


# Frame control bits (2.2.5.1.1)
FC_FRAME_TYPE_MASK = 0x03
FC_DELIVERY_MODE_SHIFT = 2
FC_DELIVERY_MODE_MASK = 0x0C
FC_ACK_FORMAT = 0x10
FC_SECURITY = 0x20
FC_ACK_REQUEST = 0x40
FC_EXTENDED_HEADER = 0x80
# Extended frame control (2.2.5.1.8.1)
EXT_FRAGMENTATION_MASK = 0x03

_FRAME_TYPES = tuple(ApsFrameType)
_DELIVERY_MODES = tuple(DeliveryMode)
_FRAGMENTATION = enum_table(Fragmentation, 4)

_DATA = ApsFrameType.DATA
_COMMAND = ApsFrameType.COMMAND
_ACK = ApsFrameType.ACK
_INTER_PAN = ApsFrameType.INTER_PAN
_UNICAST = DeliveryMode.UNICAST
_BROADCAST = DeliveryMode.BROADCAST
_GROUP = DeliveryMode.GROUP
#: delivery modes whose endpoint-addressed frames carry a destination endpoint
_DST_EP_MODES = (_UNICAST, _BROADCAST)

# Header layouts after the frame control byte (little-endian)
_EP = struct.Struct("<BHHBB")  # dst endpoint, cluster, profile, src endpoint, counter
_EP_GROUP = struct.Struct("<HHHBB")  # group, cluster, profile, src endpoint, counter
_EP_INDIRECT = struct.Struct("<HHBB")  # cluster, profile, src endpoint, counter
_IP = struct.Struct("<HH")  # cluster, profile
_IP_GROUP = struct.Struct("<HHH")  # group, cluster, profile
_W_CMD = struct.Struct("<BB")  # frame control, counter
_W_EP = struct.Struct("<BBHHBB")
_W_EP_GROUP = struct.Struct("<BHHHBB")
_W_EP_INDIRECT = struct.Struct("<BHHBB")
_W_IP = struct.Struct("<BHH")
_W_IP_GROUP = struct.Struct("<BHHH")

# Field names and sizes of each layout, to name the truncated field in a DecodeError
_F_EP = (
    ("aps.dst_endpoint", 1),
    ("aps.cluster_id", 2),
    ("aps.profile_id", 2),
    ("aps.src_endpoint", 1),
    ("aps.counter", 1),
)
_F_EP_GROUP = (
    ("aps.group_address", 2),
    ("aps.cluster_id", 2),
    ("aps.profile_id", 2),
    ("aps.src_endpoint", 1),
    ("aps.counter", 1),
)
_F_EP_INDIRECT = (
    ("aps.cluster_id", 2),
    ("aps.profile_id", 2),
    ("aps.src_endpoint", 1),
    ("aps.counter", 1),
)
_F_IP = (("aps.cluster_id", 2), ("aps.profile_id", 2))
_F_IP_GROUP = (("aps.group_address", 2), ("aps.cluster_id", 2), ("aps.profile_id", 2))


def _truncated(data: bytes, fields: tuple[tuple[str, int], ...], pos: int = 1) -> DecodeError:
    """The DecodeError naming the first field of ``fields`` (starting at ``pos``) that is cut."""
    n = len(data)
    for name, size in fields:
        if pos + size > n:
            return DecodeError(name, pos, f"needs {size} byte(s), {max(n - pos, 0)} left")
        pos += size
    return DecodeError("aps", pos, "truncated")  # not reached: callers checked the total size


@dataclass(frozen=True, slots=True)
class ExtendedHeader:
    """APS extended header (Zigbee spec R22 2.2.5.1.8, Figure 2-3).

    ``block_number`` is present exactly when ``fragmentation`` is not NONE: in a FIRST block
    it is the number of blocks of the message, in a SUBSEQUENT block the block's index.
    ``ack_bitfield`` (bit i = block ``block_number + i`` received) is present exactly in
    fragmented acknowledgements; :class:`ApsFrame` checks that against its frame type.
    """

    fragmentation: Fragmentation | int = Fragmentation.NONE
    block_number: int | None = None
    ack_bitfield: int | None = None

    def __post_init__(self) -> None:
        if (self.fragmentation != Fragmentation.NONE) != (self.block_number is not None):
            raise LocalProtocolError("block_number is present exactly when the frame is fragmented")
        if self.block_number is None and self.ack_bitfield is not None:
            raise LocalProtocolError("ack_bitfield needs a fragmented extended header")

    def encode(self) -> bytes:
        if self.block_number is None:
            return bytes((self.fragmentation & EXT_FRAGMENTATION_MASK,))
        if self.ack_bitfield is None:
            return bytes((self.fragmentation & EXT_FRAGMENTATION_MASK, self.block_number))
        return bytes(
            (self.fragmentation & EXT_FRAGMENTATION_MASK, self.block_number, self.ack_bitfield)
        )

    def __len__(self) -> int:
        return 1 + (self.block_number is not None) + (self.ack_bitfield is not None)

    @classmethod
    def read(cls, r: Reader, is_ack: bool) -> Self:
        """Read from a cursor; ``is_ack`` tells whether a fragmented header carries the bitfield."""
        efc = r.u8("aps.extended_frame_control")
        frag = _FRAGMENTATION[efc & EXT_FRAGMENTATION_MASK]
        if frag == Fragmentation.NONE:
            return cls(frag)
        block = r.u8("aps.block_number")
        bits = r.u8("aps.ack_bitfield") if is_ack else None
        return cls(frag, block, bits)


@fast_init
@dataclass(frozen=True, slots=True)
class ApsFrame:
    """One APS frame: data, command, acknowledgement or inter-PAN (Zigbee spec R22 2.2.5).

    Field presence follows the frame type and delivery mode (see the module docstring);
    a data acknowledgement carries endpoint/cluster/profile fields, a command acknowledgement
    (ack format 1) carries none. ``aux`` is the auxiliary security header when the frame is
    secured; ``payload`` is then the ciphertext and MIC as on the air (use :func:`secure_aps`
    and :func:`unsecure_aps` to seal and open it).
    """

    frame_type: ApsFrameType
    delivery_mode: DeliveryMode = DeliveryMode.UNICAST
    ack_request: bool = False
    dst_endpoint: int | None = None
    group_address: int | None = None
    cluster_id: int | None = None
    profile_id: int | None = None
    src_endpoint: int | None = None
    counter: int | None = None
    extended_header: ExtendedHeader | None = None
    aux: AuxHeader | None = None
    payload: bytes = b""

    def __post_init__(self) -> None:
        ft = self.frame_type
        dm = self.delivery_mode
        if ft == _INTER_PAN:
            if self.cluster_id is None or self.profile_id is None:
                raise LocalProtocolError("inter-PAN frames carry a cluster and a profile id")
            if (
                self.dst_endpoint is not None
                or self.src_endpoint is not None
                or self.counter is not None
            ):
                raise LocalProtocolError("inter-PAN frames have no endpoints and no APS counter")
            if (dm == _GROUP) != (self.group_address is not None):
                raise LocalProtocolError("group_address is present exactly for group delivery")
        elif ft == _DATA or (ft == _ACK and self.cluster_id is not None):
            if self.cluster_id is None or self.profile_id is None or self.src_endpoint is None:
                raise LocalProtocolError("data frames carry cluster, profile and source endpoint")
            if (dm in _DST_EP_MODES) != (self.dst_endpoint is not None):
                raise LocalProtocolError(
                    "dst_endpoint is present exactly for unicast and broadcast delivery"
                )
            if (dm == _GROUP) != (self.group_address is not None):
                raise LocalProtocolError("group_address is present exactly for group delivery")
            if self.counter is None:
                raise LocalProtocolError("APS counter missing")
        else:
            if (
                self.dst_endpoint is not None
                or self.group_address is not None
                or self.cluster_id is not None
                or self.profile_id is not None
                or self.src_endpoint is not None
            ):
                raise LocalProtocolError(
                    "command frames and command acks have no addressing fields"
                )
            if self.counter is None:
                raise LocalProtocolError("APS counter missing")
        ext = self.extended_header
        if ext is not None and (ext.ack_bitfield is not None) != (
            ext.block_number is not None and ft == _ACK
        ):
            raise LocalProtocolError(
                "ack_bitfield is present exactly in fragmented acknowledgements"
            )

    # -- derived frame control bits ------------------------------------------------------------

    @property
    def ack_format(self) -> bool:
        """Acknowledgement format bit: an ack of a command frame (no addressing fields)."""
        return self.frame_type == _ACK and self.cluster_id is None

    @property
    def security(self) -> bool:
        return self.aux is not None

    def frame_control(self) -> int:
        fc = self.frame_type | (self.delivery_mode << FC_DELIVERY_MODE_SHIFT)
        if self.frame_type == _ACK and self.cluster_id is None:
            fc |= FC_ACK_FORMAT
        if self.aux is not None:
            fc |= FC_SECURITY
        if self.ack_request:
            fc |= FC_ACK_REQUEST
        if self.extended_header is not None:
            fc |= FC_EXTENDED_HEADER
        return fc

    # -- codec ---------------------------------------------------------------------------------

    def header(self) -> bytes:
        """APS header up to and including the extended header (no auxiliary header)."""
        fc = self.frame_control()
        cluster = self.cluster_id
        if cluster is None:
            hdr = _W_CMD.pack(fc, self.counter)
        elif self.frame_type == _INTER_PAN:
            if self.group_address is None:
                hdr = _W_IP.pack(fc, cluster, self.profile_id)
            else:
                hdr = _W_IP_GROUP.pack(fc, self.group_address, cluster, self.profile_id)
        elif self.dst_endpoint is not None:
            hdr = _W_EP.pack(
                fc, self.dst_endpoint, cluster, self.profile_id, self.src_endpoint, self.counter
            )
        elif self.group_address is not None:
            hdr = _W_EP_GROUP.pack(
                fc, self.group_address, cluster, self.profile_id, self.src_endpoint, self.counter
            )
        else:
            hdr = _W_EP_INDIRECT.pack(fc, cluster, self.profile_id, self.src_endpoint, self.counter)
        if self.extended_header is not None:
            hdr += self.extended_header.encode()
        return hdr

    def encode(self) -> bytes:
        """The frame as on the air: header | aux header (if any) | payload."""
        if self.aux is None:
            return self.header() + self.payload
        return self.header() + self.aux.encode() + self.payload

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls._decode(data)[0]

    @classmethod
    def _decode(cls, data: bytes) -> tuple[Self, int]:
        """Decode ``data``; also return the offset of the auxiliary header / payload."""
        n = len(data)
        if n == 0:
            raise DecodeError("aps.frame_control", 0, "empty frame")
        fc = data[0]
        ft = fc & FC_FRAME_TYPE_MASK  # branch on plain ints: enum hashing is slow
        dm = (fc & FC_DELIVERY_MODE_MASK) >> FC_DELIVERY_MODE_SHIFT
        dst = group = cluster = profile = src = counter = None
        if ft == 3:  # inter-PAN
            if dm == 3:
                if n < 7:
                    raise _truncated(data, _F_IP_GROUP)
                group, cluster, profile = _IP_GROUP.unpack_from(data, 1)
                pos = 7
            else:
                if n < 5:
                    raise _truncated(data, _F_IP)
                cluster, profile = _IP.unpack_from(data, 1)
                pos = 5
        elif ft == 0 or (ft == 2 and not fc & FC_ACK_FORMAT):  # data, data ack
            if dm in (0, 2):  # unicast, broadcast
                if n < 8:
                    raise _truncated(data, _F_EP)
                dst, cluster, profile, src, counter = _EP.unpack_from(data, 1)
                pos = 8
            elif dm == 3:
                if n < 9:
                    raise _truncated(data, _F_EP_GROUP)
                group, cluster, profile, src, counter = _EP_GROUP.unpack_from(data, 1)
                pos = 9
            else:
                if n < 7:
                    raise _truncated(data, _F_EP_INDIRECT)
                cluster, profile, src, counter = _EP_INDIRECT.unpack_from(data, 1)
                pos = 7
        else:  # command, command ack
            if n < 2:
                raise DecodeError("aps.counter", 1, "needs 1 byte(s), 0 left")
            counter = data[1]
            pos = 2
        ext = None
        aux = None
        if fc & (FC_EXTENDED_HEADER | FC_SECURITY):
            r = Reader(data, pos)
            if fc & FC_EXTENDED_HEADER:
                ext = ExtendedHeader.read(r, ft == 2)
            if fc & FC_SECURITY:
                aux = AuxHeader.read(r)
            pos = r.pos
        # The layouts above always satisfy __post_init__, so skip it: fill the slots directly
        # (what the frozen dataclass __init__ does underneath), about twice as fast.
        f = _new(cls)
        _set_frame_type(f, _FRAME_TYPES[ft])
        _set_delivery_mode(f, _DELIVERY_MODES[dm])
        _set_ack_request(f, bool(fc & FC_ACK_REQUEST))
        _set_dst_endpoint(f, dst)
        _set_group_address(f, group)
        _set_cluster_id(f, cluster)
        _set_profile_id(f, profile)
        _set_src_endpoint(f, src)
        _set_counter(f, counter)
        _set_extended_header(f, ext)
        _set_aux(f, aux)
        _set_payload(f, data[pos:] if pos < n else b"")
        return f, pos - (len(aux) if aux is not None else 0)


_new = object.__new__
_SLOT_SETTERS: tuple[Callable[[ApsFrame, Any], None], ...] = tuple(
    ApsFrame.__dict__[name].__set__ for name in ApsFrame.__slots__
)
(
    _set_frame_type,
    _set_delivery_mode,
    _set_ack_request,
    _set_dst_endpoint,
    _set_group_address,
    _set_cluster_id,
    _set_profile_id,
    _set_src_endpoint,
    _set_counter,
    _set_extended_header,
    _set_aux,
    _set_payload,
) = _SLOT_SETTERS


def aps_key(link_key: bytes, key_id: KeyId) -> bytes:
    """The key that secures an APS frame with ``key_id`` (Zigbee spec R22 4.4.1.1, 4.5.3).

    DATA_KEY uses the link key itself; KEY_TRANSPORT_KEY and KEY_LOAD_KEY use the keyed hash
    of the link key with 0x00 and 0x02; NETWORK_KEY uses ``link_key`` as given (the caller
    passes the network key).
    """
    if key_id == KeyId.KEY_TRANSPORT_KEY:
        return key_transport_key(link_key)
    if key_id == KeyId.KEY_LOAD_KEY:
        return key_load_key(link_key)
    return link_key


def secure_aps(frame: ApsFrame, key: bytes, source_ieee: int | None = None) -> bytes:
    """Apply APS security (Zigbee spec R22 4.4.1.1) to ``frame`` (plaintext payload).

    ``frame.aux`` chooses the key id and frame counter; ``key`` is the link key shared with
    the peer, hashed here for the key-transport / key-load key ids (see :func:`aps_key`).
    ``source_ieee`` is the sender's IEEE address for the nonce when the aux header has no
    extended nonce. Returns header | aux (level 0 on air) | E(payload) | MIC-32.
    """
    aux = frame.aux
    if aux is None:
        raise LocalProtocolError("secure_aps needs a frame with an auxiliary header")
    if aux.source is None and source_ieee is None:
        raise LocalProtocolError("no extended nonce: pass the sender's IEEE address as source_ieee")
    return secure_frame(frame.header(), aux, frame.payload, aps_key(key, aux.key_id), source_ieee)


def unsecure_aps(data: bytes, key: bytes, source_ieee: int | None = None) -> ApsFrame:
    """Verify and decrypt a secured APS frame (Zigbee spec R22 4.4.1.2).

    Returns the frame with its aux header and the plaintext payload. ``key`` is the link key
    (see :func:`secure_aps`); ``source_ieee`` is the sender's IEEE address from the NWK layer,
    used when the aux header has no extended nonce. Raises :class:`DecodeError` for a malformed
    frame, :class:`SecurityError` for an unsecured frame, a missing source or a bad MIC.
    """
    frame, aux_offset = ApsFrame._decode(data)
    aux = frame.aux
    if aux is None:
        raise SecurityError("APS frame is not secured")
    _, plain = unsecure_frame(data, aux_offset, aps_key(key, aux.key_id), source_ieee)
    return replace(frame, payload=plain)
