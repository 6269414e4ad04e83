"""APS command frame payloads (Zigbee spec R22 4.4.10, Table 4-9).

Each command is a frozen dataclass whose ``encode()`` returns the APS command payload, that is
the command identifier followed by the command fields (Figures 4-6 to 4-20); ``decode(payload)``
takes the same bytes back. :func:`decode_command` dispatches on the identifier; identifiers it
does not know give :class:`UnknownApsCommand`. The SKKE and entity-authentication commands
(0x01-0x04, 0x0a-0x0d) were removed in R20 but are still decoded, as Wireshark does.

Multi-byte fields are little-endian; IEEE addresses are 64-bit integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from zigmesh.aps.frames import ApsFrame
from zigmesh.codec import Reader, Writer, enum_or_int
from zigmesh.errors import DecodeError, LocalProtocolError

__all__ = [
    "ApsCommandId",
    "ApsStatus",
    "KeyType",
    "RequestKeyType",
    "UpdateDeviceStatus",
    "EaKeyType",
    "KEY_LENGTH",
    "TransportTrustCenterLinkKey",
    "TransportNetworkKey",
    "TransportApplicationLinkKey",
    "TransportKey",
    "UpdateDevice",
    "RemoveDevice",
    "RequestKey",
    "SwitchKey",
    "Tunnel",
    "VerifyKey",
    "ConfirmKey",
    "Skke",
    "EaChallenge",
    "EaMacData",
    "UnknownApsCommand",
    "ApsCommand",
    "decode_command",
]

#: Length of keys, key hashes, SKKE data and entity-authentication challenges / MACs
KEY_LENGTH = 16
_EA_DATA_LENGTH = 4


class ApsCommandId(IntEnum):
    """APS command identifiers (Zigbee spec R22 Table 4-9; R23 for the relay commands)."""

    SKKE_1 = 0x01
    SKKE_2 = 0x02
    SKKE_3 = 0x03
    SKKE_4 = 0x04
    TRANSPORT_KEY = 0x05
    UPDATE_DEVICE = 0x06
    REMOVE_DEVICE = 0x07
    REQUEST_KEY = 0x08
    SWITCH_KEY = 0x09
    EA_INITIATOR_CHALLENGE = 0x0A
    EA_RESPONDER_CHALLENGE = 0x0B
    EA_INITIATOR_MAC_DATA = 0x0C
    EA_RESPONDER_MAC_DATA = 0x0D
    TUNNEL = 0x0E
    VERIFY_KEY = 0x0F
    CONFIRM_KEY = 0x10
    RELAY_MESSAGE_DOWNSTREAM = 0x11
    RELAY_MESSAGE_UPSTREAM = 0x12


class ApsStatus(IntEnum):
    """APS sub-layer status values (Zigbee spec R22 Table 2-27)."""

    SUCCESS = 0x00
    ASDU_TOO_LONG = 0xA0
    DEFRAG_DEFERRED = 0xA1
    DEFRAG_UNSUPPORTED = 0xA2
    ILLEGAL_REQUEST = 0xA3
    INVALID_BINDING = 0xA4
    INVALID_GROUP = 0xA5
    INVALID_PARAMETER = 0xA6
    NO_ACK = 0xA7
    NO_BOUND_DEVICE = 0xA8
    NO_SHORT_ADDRESS = 0xA9
    NOT_SUPPORTED = 0xAA
    SECURED_LINK_KEY = 0xAB
    SECURED_NWK_KEY = 0xAC
    SECURITY_FAIL = 0xAD
    TABLE_FULL = 0xAE
    UNSECURED = 0xAF
    UNSUPPORTED_ATTRIBUTE = 0xB0


class KeyType(IntEnum):
    """StandardKeyType of Transport Key / Verify Key / Confirm Key (R22 Table 4-10).

    R22 uses 1, 3 and 4; 0, 2 and 5 are the pre-R20 master and high-security key types.
    """

    TRUST_CENTER_MASTER_KEY = 0x00
    STANDARD_NETWORK_KEY = 0x01
    APPLICATION_MASTER_KEY = 0x02
    APPLICATION_LINK_KEY = 0x03
    TRUST_CENTER_LINK_KEY = 0x04
    HIGH_SECURITY_NETWORK_KEY = 0x05


class RequestKeyType(IntEnum):
    """RequestKeyType of the Request Key command (R22 Table 4-15; network key up to R20)."""

    NETWORK_KEY = 0x01
    APPLICATION_LINK_KEY = 0x02
    TRUST_CENTER_LINK_KEY = 0x04


class UpdateDeviceStatus(IntEnum):
    """Status field of the Update Device command (R22 Table 4-14)."""

    STANDARD_DEVICE_SECURED_REJOIN = 0x00
    STANDARD_DEVICE_UNSECURED_JOIN = 0x01
    DEVICE_LEFT = 0x02
    STANDARD_DEVICE_TRUST_CENTER_REJOIN = 0x03


class EaKeyType(IntEnum):
    """Key type of the (pre-R20) entity-authentication commands."""

    NETWORK_KEY = 0x00
    LINK_KEY = 0x01


def _start(payload: bytes, command_id: int) -> Reader:
    """A reader past the command identifier, checked against ``command_id``."""
    r = Reader(payload)
    cid = r.u8("aps_cmd.command_id")
    if cid != command_id:
        raise DecodeError(
            "aps_cmd.command_id", 0, f"command {cid:#04x}, expected {command_id:#04x}"
        )
    return r


def _key(r: Reader, field: str = "aps_cmd.key") -> bytes:
    return r.bytes(KEY_LENGTH, field)


def _check_len(value: bytes, n: int, name: str) -> None:
    if len(value) != n:
        raise LocalProtocolError(f"{name} must be {n} bytes, got {len(value)}")


# -- Transport Key (4.4.10.1) -----------------------------------------------------------------

_TK = ApsCommandId.TRANSPORT_KEY


@dataclass(frozen=True, slots=True)
class TransportTrustCenterLinkKey:
    """Transport Key with a trust center link key descriptor (R22 4.4.10.1.3.1, Figure 4-8):
    key type | key (16) | destination address (8) | source address (8)."""

    command_id: ClassVar[ApsCommandId] = _TK
    key: bytes
    dest: int
    source: int
    key_type: KeyType = KeyType.TRUST_CENTER_LINK_KEY

    def __post_init__(self) -> None:
        _check_len(self.key, KEY_LENGTH, "key")
        if self.key_type not in (KeyType.TRUST_CENTER_LINK_KEY, KeyType.TRUST_CENTER_MASTER_KEY):
            raise LocalProtocolError(f"key type {self.key_type!r} is not a trust center key")

    def encode(self) -> bytes:
        return (
            Writer()
            .u8(_TK)
            .u8(self.key_type)
            .raw(self.key)
            .u64(self.dest)
            .u64(self.source)
            .getvalue()
        )

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, _TK)
        key_type = r.u8("aps_cmd.key_type")
        if key_type not in (KeyType.TRUST_CENTER_LINK_KEY, KeyType.TRUST_CENTER_MASTER_KEY):
            raise DecodeError(
                "aps_cmd.key_type", 1, f"key type {key_type} is not a trust center key"
            )
        key = _key(r)
        dest = r.u64("aps_cmd.dest")
        source = r.u64("aps_cmd.source")
        r.expect_end("aps_cmd")
        return cls(key, dest, source, KeyType(key_type))


@dataclass(frozen=True, slots=True)
class TransportNetworkKey:
    """Transport Key with a network key descriptor (R22 4.4.10.1.3.2, Figure 4-9):
    key type | key (16) | key sequence number | destination address (8) | source address (8).

    A destination of 0 (all zero) is used when the key is broadcast."""

    command_id: ClassVar[ApsCommandId] = _TK
    key: bytes
    key_seq: int
    dest: int
    source: int
    key_type: KeyType = KeyType.STANDARD_NETWORK_KEY

    def __post_init__(self) -> None:
        _check_len(self.key, KEY_LENGTH, "key")
        if self.key_type not in (KeyType.STANDARD_NETWORK_KEY, KeyType.HIGH_SECURITY_NETWORK_KEY):
            raise LocalProtocolError(f"key type {self.key_type!r} is not a network key")

    def encode(self) -> bytes:
        w = Writer().u8(_TK).u8(self.key_type).raw(self.key).u8(self.key_seq)
        return w.u64(self.dest).u64(self.source).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, _TK)
        key_type = r.u8("aps_cmd.key_type")
        if key_type not in (KeyType.STANDARD_NETWORK_KEY, KeyType.HIGH_SECURITY_NETWORK_KEY):
            raise DecodeError("aps_cmd.key_type", 1, f"key type {key_type} is not a network key")
        key = _key(r)
        key_seq = r.u8("aps_cmd.key_seq")
        dest = r.u64("aps_cmd.dest")
        source = r.u64("aps_cmd.source")
        r.expect_end("aps_cmd")
        return cls(key, key_seq, dest, source, KeyType(key_type))


@dataclass(frozen=True, slots=True)
class TransportApplicationLinkKey:
    """Transport Key with an application link key descriptor (R22 4.4.10.1.3.3, Figure 4-10):
    key type | key (16) | partner address (8) | initiator flag (1)."""

    command_id: ClassVar[ApsCommandId] = _TK
    key: bytes
    partner: int
    initiator: bool
    key_type: KeyType = KeyType.APPLICATION_LINK_KEY

    def __post_init__(self) -> None:
        _check_len(self.key, KEY_LENGTH, "key")
        if self.key_type not in (KeyType.APPLICATION_LINK_KEY, KeyType.APPLICATION_MASTER_KEY):
            raise LocalProtocolError(f"key type {self.key_type!r} is not an application key")

    def encode(self) -> bytes:
        w = Writer().u8(_TK).u8(self.key_type).raw(self.key).u64(self.partner)
        return w.u8(1 if self.initiator else 0).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, _TK)
        key_type = r.u8("aps_cmd.key_type")
        if key_type not in (KeyType.APPLICATION_LINK_KEY, KeyType.APPLICATION_MASTER_KEY):
            raise DecodeError(
                "aps_cmd.key_type", 1, f"key type {key_type} is not an application key"
            )
        key = _key(r)
        partner = r.u64("aps_cmd.partner")
        at = r.offset()
        flag = r.u8("aps_cmd.initiator")
        if flag > 1:
            raise DecodeError("aps_cmd.initiator", at, f"initiator flag {flag} is not 0 or 1")
        r.expect_end("aps_cmd")
        return cls(key, partner, flag == 1, KeyType(key_type))


TransportKey = TransportTrustCenterLinkKey | TransportNetworkKey | TransportApplicationLinkKey

_TRANSPORT_KEY_CLASSES: dict[int, type[TransportKey]] = {
    KeyType.TRUST_CENTER_MASTER_KEY: TransportTrustCenterLinkKey,
    KeyType.STANDARD_NETWORK_KEY: TransportNetworkKey,
    KeyType.APPLICATION_MASTER_KEY: TransportApplicationLinkKey,
    KeyType.APPLICATION_LINK_KEY: TransportApplicationLinkKey,
    KeyType.TRUST_CENTER_LINK_KEY: TransportTrustCenterLinkKey,
    KeyType.HIGH_SECURITY_NETWORK_KEY: TransportNetworkKey,
}


# -- Update Device, Remove Device (4.4.10.2, 4.4.10.3) ------------------------------------------


@dataclass(frozen=True, slots=True)
class UpdateDevice:
    """Update Device (R22 4.4.10.2, Figure 4-11): device address (8) | device short
    address (2) | status (1)."""

    command_id: ClassVar[ApsCommandId] = ApsCommandId.UPDATE_DEVICE
    device: int
    short_address: int
    status: UpdateDeviceStatus | int

    def encode(self) -> bytes:
        w = Writer().u8(ApsCommandId.UPDATE_DEVICE).u64(self.device).u16(self.short_address)
        return w.u8(self.status).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, ApsCommandId.UPDATE_DEVICE)
        device = r.u64("aps_cmd.device")
        short = r.u16("aps_cmd.short_address")
        status = enum_or_int(UpdateDeviceStatus, r.u8("aps_cmd.status"))
        r.expect_end("aps_cmd")
        return cls(device, short, status)


@dataclass(frozen=True, slots=True)
class RemoveDevice:
    """Remove Device (R22 4.4.10.3, Figure 4-12): target address (8)."""

    command_id: ClassVar[ApsCommandId] = ApsCommandId.REMOVE_DEVICE
    target: int

    def encode(self) -> bytes:
        return Writer().u8(ApsCommandId.REMOVE_DEVICE).u64(self.target).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, ApsCommandId.REMOVE_DEVICE)
        target = r.u64("aps_cmd.target")
        r.expect_end("aps_cmd")
        return cls(target)


# -- Request Key, Switch Key (4.4.10.4, 4.4.10.5) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestKey:
    """Request Key (R22 4.4.10.4, Figure 4-13): key type (1) | partner address (8), the
    partner being present only for an application link key request."""

    command_id: ClassVar[ApsCommandId] = ApsCommandId.REQUEST_KEY
    key_type: RequestKeyType | int
    partner: int | None = None

    def __post_init__(self) -> None:
        if (self.key_type == RequestKeyType.APPLICATION_LINK_KEY) != (self.partner is not None):
            raise LocalProtocolError(
                "partner is present exactly for an application link key request"
            )

    def encode(self) -> bytes:
        w = Writer().u8(ApsCommandId.REQUEST_KEY).u8(self.key_type)
        if self.partner is not None:
            w.u64(self.partner)
        return w.getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, ApsCommandId.REQUEST_KEY)
        key_type = enum_or_int(RequestKeyType, r.u8("aps_cmd.key_type"))
        partner = (
            r.u64("aps_cmd.partner") if key_type == RequestKeyType.APPLICATION_LINK_KEY else None
        )
        r.expect_end("aps_cmd")
        return cls(key_type, partner)


@dataclass(frozen=True, slots=True)
class SwitchKey:
    """Switch Key (R22 4.4.10.5, Figure 4-14): key sequence number (1)."""

    command_id: ClassVar[ApsCommandId] = ApsCommandId.SWITCH_KEY
    key_seq: int

    def encode(self) -> bytes:
        return bytes((ApsCommandId.SWITCH_KEY, self.key_seq))

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, ApsCommandId.SWITCH_KEY)
        key_seq = r.u8("aps_cmd.key_seq")
        r.expect_end("aps_cmd")
        return cls(key_seq)


# -- Tunnel (4.4.10.6) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tunnel:
    """Tunnel (R22 4.4.10.6, Figure 4-15): destination address (8) | tunnelled auxiliary
    frame, i.e. the secured APS command frame (header | aux header | encrypted payload | MIC)
    the trust center wants relayed to ``dest``."""

    command_id: ClassVar[ApsCommandId] = ApsCommandId.TUNNEL
    dest: int
    frame: ApsFrame

    def encode(self) -> bytes:
        return Writer().u8(ApsCommandId.TUNNEL).u64(self.dest).raw(self.frame.encode()).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, ApsCommandId.TUNNEL)
        dest = r.u64("aps_cmd.dest")
        inner = r.rest()
        try:
            frame = ApsFrame.decode(inner)
        except DecodeError as e:
            raise DecodeError(f"aps_cmd.tunnel.{e.field}", 9 + e.offset, e.reason) from None
        return cls(dest, frame)


# -- Verify Key, Confirm Key (4.4.10.7, 4.4.10.8) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """Verify Key (R22 4.4.10.7, Figure 4-16): key type (1) | source address (8) |
    initiator verify-key hash value (16), ``HMAC(key, 0x03)``."""

    command_id: ClassVar[ApsCommandId] = ApsCommandId.VERIFY_KEY
    key_type: KeyType | int
    source: int
    key_hash: bytes

    def __post_init__(self) -> None:
        _check_len(self.key_hash, KEY_LENGTH, "key_hash")

    def encode(self) -> bytes:
        w = Writer().u8(ApsCommandId.VERIFY_KEY).u8(self.key_type).u64(self.source)
        return w.raw(self.key_hash).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, ApsCommandId.VERIFY_KEY)
        key_type = enum_or_int(KeyType, r.u8("aps_cmd.key_type"))
        source = r.u64("aps_cmd.source")
        key_hash = _key(r, "aps_cmd.key_hash")
        r.expect_end("aps_cmd")
        return cls(key_type, source, key_hash)


@dataclass(frozen=True, slots=True)
class ConfirmKey:
    """Confirm Key (R22 4.4.10.8, Figure 4-17): status (1) | key type (1) | destination
    address (8)."""

    command_id: ClassVar[ApsCommandId] = ApsCommandId.CONFIRM_KEY
    status: ApsStatus | int
    key_type: KeyType | int
    dest: int

    def encode(self) -> bytes:
        w = Writer().u8(ApsCommandId.CONFIRM_KEY).u8(self.status).u8(self.key_type)
        return w.u64(self.dest).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = _start(payload, ApsCommandId.CONFIRM_KEY)
        status = enum_or_int(ApsStatus, r.u8("aps_cmd.status"))
        key_type = enum_or_int(KeyType, r.u8("aps_cmd.key_type"))
        dest = r.u64("aps_cmd.dest")
        r.expect_end("aps_cmd")
        return cls(status, key_type, dest)


# -- obsolete SKKE and entity authentication (Zigbee 2007 spec 4.4.9) ----------------------------

_SKKE_IDS = (ApsCommandId.SKKE_1, ApsCommandId.SKKE_2, ApsCommandId.SKKE_3, ApsCommandId.SKKE_4)
_EA_CHALLENGE_IDS = (ApsCommandId.EA_INITIATOR_CHALLENGE, ApsCommandId.EA_RESPONDER_CHALLENGE)
_EA_MAC_IDS = (ApsCommandId.EA_INITIATOR_MAC_DATA, ApsCommandId.EA_RESPONDER_MAC_DATA)


@dataclass(frozen=True, slots=True)
class Skke:
    """SKKE-1 to SKKE-4 (Zigbee 2007 4.4.9.1): initiator (8) | responder (8) | data (16), the
    data being a challenge (SKKE-1/2) or a MAC (SKKE-3/4). Removed in R20."""

    command_id: ApsCommandId
    initiator: int
    responder: int
    data: bytes

    def __post_init__(self) -> None:
        if self.command_id not in _SKKE_IDS:
            raise LocalProtocolError(f"{self.command_id!r} is not an SKKE command")
        _check_len(self.data, KEY_LENGTH, "data")

    def encode(self) -> bytes:
        w = Writer().u8(self.command_id).u64(self.initiator).u64(self.responder)
        return w.raw(self.data).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = Reader(payload)
        cid = r.u8("aps_cmd.command_id")
        if cid not in _SKKE_IDS:
            raise DecodeError("aps_cmd.command_id", 0, f"command {cid:#04x} is not an SKKE command")
        initiator = r.u64("aps_cmd.initiator")
        responder = r.u64("aps_cmd.responder")
        data = r.bytes(KEY_LENGTH, "aps_cmd.data")
        r.expect_end("aps_cmd")
        return cls(ApsCommandId(cid), initiator, responder, data)


@dataclass(frozen=True, slots=True)
class EaChallenge:
    """Entity-authentication initiator / responder challenge (Zigbee 2007 4.4.9.7): key type
    (1) | key sequence number (1, network key only) | initiator (8) | responder (8) |
    challenge (16). Removed in R20."""

    command_id: ApsCommandId
    key_type: EaKeyType | int
    key_seq: int | None
    initiator: int
    responder: int
    challenge: bytes

    def __post_init__(self) -> None:
        if self.command_id not in _EA_CHALLENGE_IDS:
            raise LocalProtocolError(f"{self.command_id!r} is not an EA challenge command")
        if (self.key_type == EaKeyType.NETWORK_KEY) != (self.key_seq is not None):
            raise LocalProtocolError("key_seq is present exactly for the network key type")
        _check_len(self.challenge, KEY_LENGTH, "challenge")

    def encode(self) -> bytes:
        w = Writer().u8(self.command_id).u8(self.key_type)
        if self.key_seq is not None:
            w.u8(self.key_seq)
        return w.u64(self.initiator).u64(self.responder).raw(self.challenge).getvalue()

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = Reader(payload)
        cid = r.u8("aps_cmd.command_id")
        if cid not in _EA_CHALLENGE_IDS:
            raise DecodeError("aps_cmd.command_id", 0, f"command {cid:#04x} is not an EA challenge")
        key_type = enum_or_int(EaKeyType, r.u8("aps_cmd.key_type"))
        key_seq = r.u8("aps_cmd.key_seq") if key_type == EaKeyType.NETWORK_KEY else None
        initiator = r.u64("aps_cmd.initiator")
        responder = r.u64("aps_cmd.responder")
        challenge = r.bytes(KEY_LENGTH, "aps_cmd.challenge")
        r.expect_end("aps_cmd")
        return cls(ApsCommandId(cid), key_type, key_seq, initiator, responder, challenge)


@dataclass(frozen=True, slots=True)
class EaMacData:
    """Entity-authentication initiator / responder MAC and data (Zigbee 2007 4.4.9.8):
    MAC (16) | data type (1) | data (4). Removed in R20."""

    command_id: ApsCommandId
    mac: bytes
    data_type: EaKeyType | int
    data: bytes

    def __post_init__(self) -> None:
        if self.command_id not in _EA_MAC_IDS:
            raise LocalProtocolError(f"{self.command_id!r} is not an EA MAC/data command")
        _check_len(self.mac, KEY_LENGTH, "mac")
        _check_len(self.data, _EA_DATA_LENGTH, "data")

    def encode(self) -> bytes:
        return (
            Writer().u8(self.command_id).raw(self.mac).u8(self.data_type).raw(self.data).getvalue()
        )

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = Reader(payload)
        cid = r.u8("aps_cmd.command_id")
        if cid not in _EA_MAC_IDS:
            raise DecodeError("aps_cmd.command_id", 0, f"command {cid:#04x} is not an EA MAC/data")
        mac = r.bytes(KEY_LENGTH, "aps_cmd.mac")
        data_type = enum_or_int(EaKeyType, r.u8("aps_cmd.data_type"))
        data = r.bytes(_EA_DATA_LENGTH, "aps_cmd.data")
        r.expect_end("aps_cmd")
        return cls(ApsCommandId(cid), mac, data_type, data)


# -- unknown and dispatch ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnknownApsCommand:
    """A command this codec does not parse (unknown identifier, or a Transport Key with an
    unknown key type): the identifier and the raw bytes after it."""

    command_id: ApsCommandId | int
    data: bytes = b""

    def encode(self) -> bytes:
        return bytes((self.command_id,)) + self.data

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = Reader(payload)
        cid = enum_or_int(ApsCommandId, r.u8("aps_cmd.command_id"))
        return cls(cid, r.rest())


ApsCommand = (
    TransportTrustCenterLinkKey
    | TransportNetworkKey
    | TransportApplicationLinkKey
    | UpdateDevice
    | RemoveDevice
    | RequestKey
    | SwitchKey
    | Tunnel
    | VerifyKey
    | ConfirmKey
    | Skke
    | EaChallenge
    | EaMacData
    | UnknownApsCommand
)

_DECODERS: dict[int, type[ApsCommand]] = {
    ApsCommandId.UPDATE_DEVICE: UpdateDevice,
    ApsCommandId.REMOVE_DEVICE: RemoveDevice,
    ApsCommandId.REQUEST_KEY: RequestKey,
    ApsCommandId.SWITCH_KEY: SwitchKey,
    ApsCommandId.TUNNEL: Tunnel,
    ApsCommandId.VERIFY_KEY: VerifyKey,
    ApsCommandId.CONFIRM_KEY: ConfirmKey,
}
for _cid in _SKKE_IDS:
    _DECODERS[_cid] = Skke
for _cid in _EA_CHALLENGE_IDS:
    _DECODERS[_cid] = EaChallenge
for _cid in _EA_MAC_IDS:
    _DECODERS[_cid] = EaMacData
del _cid


def decode_command(payload: bytes) -> ApsCommand:
    """Decode an APS command payload (identifier and fields) into its dataclass."""
    if not payload:
        raise DecodeError("aps_cmd.command_id", 0, "empty command payload")
    cid = payload[0]
    if cid == _TK:
        if len(payload) < 2:
            raise DecodeError("aps_cmd.key_type", 1, "needs 1 byte(s), 0 left")
        tk = _TRANSPORT_KEY_CLASSES.get(payload[1])
        if tk is None:
            return UnknownApsCommand.decode(payload)
        return tk.decode(payload)
    cls = _DECODERS.get(cid)
    if cls is None:
        return UnknownApsCommand.decode(payload)
    return cls.decode(payload)
