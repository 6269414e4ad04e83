"""IEEE 802.15.4 MAC command payloads (802.15.4-2006 7.3, 802.15.4-2015 7.5).

A MAC command frame's payload is the Command Frame Identifier (1 byte, Table 82 / Table 7-49)
followed by the command's content. Each command class below encodes and decodes its content
only (the bytes *after* the identifier); :func:`encode_command` and :func:`decode_command`
add and dispatch on the identifier. An identifier without a class here decodes to
:class:`UnknownCommand` (its content kept raw), never an exception.

Offsets in :class:`~zigmesh.errors.DecodeError` raised by :func:`decode_command` count from
the first byte of the MAC payload (the identifier).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import ClassVar, Self, TypeAlias

from zigmesh.codec import Reader, enum_or_int, read_whole
from zigmesh.errors import DecodeError, LocalProtocolError

__all__ = [
    "ASSOC_SHORT_ADDR_FAILED",
    "ASSOC_SHORT_ADDR_USE_EXTENDED",
    "AssociationRequest",
    "AssociationResponse",
    "AssociationStatus",
    "BeaconRequest",
    "CapabilityFlags",
    "CapabilityInformation",
    "CoordinatorRealignment",
    "DataRequest",
    "DisassociationNotification",
    "DisassociationReason",
    "GtsCharacteristics",
    "GtsRequest",
    "MacCommand",
    "MacCommandId",
    "OrphanNotification",
    "PanIdConflictNotification",
    "UnknownCommand",
    "decode_command",
    "encode_command",
]


class MacCommandId(IntEnum):
    """Command Frame Identifier (802.15.4-2006 Table 82, 802.15.4-2015 Table 7-49)."""

    ASSOCIATION_REQUEST = 0x01
    ASSOCIATION_RESPONSE = 0x02
    DISASSOCIATION_NOTIFICATION = 0x03
    DATA_REQUEST = 0x04
    PAN_ID_CONFLICT_NOTIFICATION = 0x05
    ORPHAN_NOTIFICATION = 0x06
    BEACON_REQUEST = 0x07
    COORDINATOR_REALIGNMENT = 0x08
    GTS_REQUEST = 0x09
    # 802.15.4-2015 additions (no codec here: they decode to UnknownCommand)
    TRLE_MANAGEMENT_REQUEST = 0x0A
    TRLE_MANAGEMENT_RESPONSE = 0x0B
    DSME_ASSOCIATION_REQUEST = 0x13
    DSME_ASSOCIATION_RESPONSE = 0x14
    DSME_GTS_REQUEST = 0x15
    DSME_GTS_RESPONSE = 0x16
    DSME_GTS_NOTIFY = 0x17
    DSME_INFORMATION_REQUEST = 0x18
    DSME_INFORMATION_RESPONSE = 0x19
    DSME_BEACON_ALLOCATION_NOTIFICATION = 0x1A
    DSME_BEACON_COLLISION_NOTIFICATION = 0x1B
    DSME_LINK_REPORT = 0x1C
    RIT_DATA_REQUEST = 0x20
    DBS_REQUEST = 0x21
    DBS_RESPONSE = 0x22
    RIT_DATA_RESPONSE = 0x23
    VENDOR_SPECIFIC = 0x24


class AssociationStatus(IntEnum):
    """Association Status field (802.15.4-2006 Table 83, 802.15.4-2015 Table 7-50)."""

    SUCCESS = 0x00
    PAN_AT_CAPACITY = 0x01
    PAN_ACCESS_DENIED = 0x02
    HOPPING_SEQUENCE_OFFSET_DUPLICATION = 0x03  # 2015
    FAST_ASSOCIATION_SUCCESSFUL = 0x80  # 2015


class DisassociationReason(IntEnum):
    """Disassociation Reason field (802.15.4-2006 Table 84, 802.15.4-2015 Table 7-51)."""

    COORDINATOR_WISHES_DEVICE_TO_LEAVE = 0x01
    DEVICE_WISHES_TO_LEAVE = 0x02


#: Association Response short address on failure (802.15.4-2006 7.3.2.2)
ASSOC_SHORT_ADDR_FAILED = 0xFFFF
#: Association Response short address meaning "associated, use your extended address"
ASSOC_SHORT_ADDR_USE_EXTENDED = 0xFFFE


class CapabilityFlags(IntFlag):
    """Capability Information field bits (802.15.4-2006 7.3.1.2, Figure 56; 802.15.4-2015
    Figure 7-17); bits 4-5 reserved.

    Zigbee carries the same byte as flags: the NWK capability information (Zigbee spec
    Table 3-62, re-exported as ``zigmesh.nwk.commands.CapabilityInformation``) and the ZDO MAC
    capability flags (2.3.2.3.6, re-exported as ``zigmesh.zdo.descriptors.MacCapability``).
    """

    ALTERNATE_PAN_COORDINATOR = 0x01
    DEVICE_TYPE_FFD = 0x02  # 1 = full-function device (router-capable)
    POWER_SOURCE_MAINS = 0x04
    RX_ON_WHEN_IDLE = 0x08
    SECURITY_CAPABILITY = 0x40  # high security (0 in Zigbee PRO standard security)
    ALLOCATE_ADDRESS = 0x80
    # the ZDO names of the same bits (Zigbee spec 2.3.2.3.6)
    MAINS_POWERED = POWER_SOURCE_MAINS
    SECURITY_CAPABLE = SECURITY_CAPABILITY


# Capability Information bits as plain ints (IntFlag operations are slow)
_CAP_ALTERNATE_PAN_COORDINATOR = CapabilityFlags.ALTERNATE_PAN_COORDINATOR.value
_CAP_DEVICE_TYPE = CapabilityFlags.DEVICE_TYPE_FFD.value
_CAP_POWER_SOURCE = CapabilityFlags.POWER_SOURCE_MAINS.value
_CAP_RECEIVER_ON_WHEN_IDLE = CapabilityFlags.RX_ON_WHEN_IDLE.value
_CAP_SECURITY_CAPABILITY = CapabilityFlags.SECURITY_CAPABILITY.value
_CAP_ALLOCATE_ADDRESS = CapabilityFlags.ALLOCATE_ADDRESS.value


@dataclass(frozen=True, slots=True)
class CapabilityInformation:
    """Capability Information field (802.15.4-2006 7.3.1.2, Figure 56). Bits 4-5 reserved.

    Zigbee reads the same byte as its MAC capability flags (Zigbee spec 3.6.1.4.1):
    :class:`CapabilityFlags`; ``to_byte()`` / ``from_byte()`` convert (bits 4-5 dropped).
    """

    alternate_pan_coordinator: bool = False
    device_type_ffd: bool = False
    power_source_mains: bool = False
    receiver_on_when_idle: bool = False
    security_capability: bool = False
    allocate_address: bool = True

    def to_byte(self) -> int:
        v = 0
        if self.alternate_pan_coordinator:
            v |= _CAP_ALTERNATE_PAN_COORDINATOR
        if self.device_type_ffd:
            v |= _CAP_DEVICE_TYPE
        if self.power_source_mains:
            v |= _CAP_POWER_SOURCE
        if self.receiver_on_when_idle:
            v |= _CAP_RECEIVER_ON_WHEN_IDLE
        if self.security_capability:
            v |= _CAP_SECURITY_CAPABILITY
        if self.allocate_address:
            v |= _CAP_ALLOCATE_ADDRESS
        return v

    def to_flags(self) -> CapabilityFlags:
        return CapabilityFlags(self.to_byte())

    @classmethod
    def from_byte(cls, v: int) -> Self:
        """From the field's byte, or the :class:`CapabilityFlags` carrying it."""
        v = int(v)
        return cls(
            bool(v & _CAP_ALTERNATE_PAN_COORDINATOR),
            bool(v & _CAP_DEVICE_TYPE),
            bool(v & _CAP_POWER_SOURCE),
            bool(v & _CAP_RECEIVER_ON_WHEN_IDLE),
            bool(v & _CAP_SECURITY_CAPABILITY),
            bool(v & _CAP_ALLOCATE_ADDRESS),
        )

    def encode(self) -> bytes:
        return bytes((self.to_byte(),))

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls.from_byte(r.u8("capability_information"))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "capability_information")


@dataclass(frozen=True, slots=True)
class _Command:
    """Base of the command classes: the content is empty unless a subclass says otherwise."""

    def encode(self) -> bytes:
        return b""

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """The command from its content alone (the bytes after the identifier)."""
        return read_whole(data, cls.read, cls.__name__)


@dataclass(frozen=True, slots=True)
class AssociationRequest(_Command):
    """Association Request (802.15.4-2006 7.3.1, 802.15.4-2015 7.5.2)."""

    command_id: ClassVar[MacCommandId] = MacCommandId.ASSOCIATION_REQUEST
    capability: CapabilityInformation

    def encode(self) -> bytes:
        return bytes((self.capability.to_byte(),))

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls(CapabilityInformation.read(r))


@dataclass(frozen=True, slots=True)
class AssociationResponse(_Command):
    """Association Response (802.15.4-2006 7.3.2, 802.15.4-2015 7.5.3)."""

    command_id: ClassVar[MacCommandId] = MacCommandId.ASSOCIATION_RESPONSE
    short_address: int
    status: AssociationStatus | int = AssociationStatus.SUCCESS

    def encode(self) -> bytes:
        return self.short_address.to_bytes(2, "little") + bytes((self.status,))

    @classmethod
    def read(cls, r: Reader) -> Self:
        addr = r.u16("short_address")
        return cls(addr, enum_or_int(AssociationStatus, r.u8("association_status")))


@dataclass(frozen=True, slots=True)
class DisassociationNotification(_Command):
    """Disassociation Notification (802.15.4-2006 7.3.3, 802.15.4-2015 7.5.4)."""

    command_id: ClassVar[MacCommandId] = MacCommandId.DISASSOCIATION_NOTIFICATION
    reason: DisassociationReason | int

    def encode(self) -> bytes:
        return bytes((self.reason,))

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls(enum_or_int(DisassociationReason, r.u8("disassociation_reason")))


@dataclass(frozen=True, slots=True)
class DataRequest(_Command):
    """Data Request (802.15.4-2006 7.3.4, 802.15.4-2015 7.5.5): no content."""

    command_id: ClassVar[MacCommandId] = MacCommandId.DATA_REQUEST


@dataclass(frozen=True, slots=True)
class PanIdConflictNotification(_Command):
    """PAN ID Conflict Notification (802.15.4-2006 7.3.5, 802.15.4-2015 7.5.6): no content."""

    command_id: ClassVar[MacCommandId] = MacCommandId.PAN_ID_CONFLICT_NOTIFICATION


@dataclass(frozen=True, slots=True)
class OrphanNotification(_Command):
    """Orphan Notification (802.15.4-2006 7.3.6, 802.15.4-2015 7.5.7): no content."""

    command_id: ClassVar[MacCommandId] = MacCommandId.ORPHAN_NOTIFICATION


@dataclass(frozen=True, slots=True)
class BeaconRequest(_Command):
    """Beacon Request (802.15.4-2006 7.3.7, 802.15.4-2015 7.5.8): no content.

    (An 802.15.4-2015 Enhanced Beacon Request carries its filter in payload IEs, which come
    before the command identifier; they are not part of this content.)
    """

    command_id: ClassVar[MacCommandId] = MacCommandId.BEACON_REQUEST


@dataclass(frozen=True, slots=True)
class CoordinatorRealignment(_Command):
    """Coordinator Realignment (802.15.4-2006 7.3.8, 802.15.4-2015 7.5.10).

    ``short_address`` is the orphan's short address (0xFFFF when broadcast to the PAN);
    ``channel_page`` is present only in frames of version 2006 or later that carry it.
    """

    command_id: ClassVar[MacCommandId] = MacCommandId.COORDINATOR_REALIGNMENT
    pan_id: int
    coordinator_short_address: int
    channel_number: int
    short_address: int = 0xFFFF
    channel_page: int | None = None

    def encode(self) -> bytes:
        out = (
            self.pan_id.to_bytes(2, "little")
            + self.coordinator_short_address.to_bytes(2, "little")
            + bytes((self.channel_number,))
            + self.short_address.to_bytes(2, "little")
        )
        if self.channel_page is not None:
            out += bytes((self.channel_page,))
        return out

    @classmethod
    def read(cls, r: Reader) -> Self:
        pan_id = r.u16("pan_id")
        coord = r.u16("coordinator_short_address")
        channel = r.u8("channel_number")
        short = r.u16("short_address")
        page = r.u8("channel_page") if not r.at_end() else None
        return cls(pan_id, coord, channel, short, page)


# GTS Characteristics field (802.15.4-2006 Figure 65)
_GTS_LENGTH_MASK = 0x0F
_GTS_DIRECTION = 0x10
_GTS_CHARACTERISTICS_TYPE = 0x20


@dataclass(frozen=True, slots=True)
class GtsCharacteristics:
    """GTS Characteristics (802.15.4-2006 7.3.9.2, Figure 65). Bits 6-7 reserved.

    ``receive_only``: direction bit (1 = receive-only GTS, 0 = transmit-only);
    ``allocation``: characteristics type (1 = allocation, 0 = deallocation).
    """

    gts_length: int
    receive_only: bool = False
    allocation: bool = True

    def to_byte(self) -> int:
        if not 0 <= self.gts_length <= _GTS_LENGTH_MASK:
            raise LocalProtocolError(f"GTS length {self.gts_length} out of range 0-15")
        v = self.gts_length
        if self.receive_only:
            v |= _GTS_DIRECTION
        if self.allocation:
            v |= _GTS_CHARACTERISTICS_TYPE
        return v

    @classmethod
    def from_byte(cls, v: int) -> Self:
        return cls(
            v & _GTS_LENGTH_MASK, bool(v & _GTS_DIRECTION), bool(v & _GTS_CHARACTERISTICS_TYPE)
        )


@dataclass(frozen=True, slots=True)
class GtsRequest(_Command):
    """GTS Request (802.15.4-2006 7.3.9)."""

    command_id: ClassVar[MacCommandId] = MacCommandId.GTS_REQUEST
    characteristics: GtsCharacteristics

    def encode(self) -> bytes:
        return bytes((self.characteristics.to_byte(),))

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls(GtsCharacteristics.from_byte(r.u8("gts_characteristics")))


@dataclass(frozen=True, slots=True)
class UnknownCommand:
    """A command whose identifier has no codec here; ``content`` follows the identifier."""

    command_id: MacCommandId | int
    content: bytes = b""

    def encode(self) -> bytes:
        return self.content


MacCommand: TypeAlias = (
    AssociationRequest
    | AssociationResponse
    | DisassociationNotification
    | DataRequest
    | PanIdConflictNotification
    | OrphanNotification
    | BeaconRequest
    | CoordinatorRealignment
    | GtsRequest
    | UnknownCommand
)

_KnownCommand: TypeAlias = (
    type[AssociationRequest]
    | type[AssociationResponse]
    | type[DisassociationNotification]
    | type[DataRequest]
    | type[PanIdConflictNotification]
    | type[OrphanNotification]
    | type[BeaconRequest]
    | type[CoordinatorRealignment]
    | type[GtsRequest]
)

_COMMANDS: dict[int, _KnownCommand] = {
    c.command_id: c
    for c in (
        AssociationRequest,
        AssociationResponse,
        DisassociationNotification,
        DataRequest,
        PanIdConflictNotification,
        OrphanNotification,
        BeaconRequest,
        CoordinatorRealignment,
        GtsRequest,
    )
}


def encode_command(cmd: MacCommand) -> bytes:
    """MAC payload of a command frame: the Command Frame Identifier then the content."""
    return bytes((cmd.command_id,)) + cmd.encode()


def decode_command(payload: bytes) -> MacCommand:
    """Decode a command frame's MAC payload (identifier first) into its command value.

    Unknown identifiers give :class:`UnknownCommand`; known ones with short or over-long
    content raise :class:`DecodeError` (offsets from the start of ``payload``).
    """
    if not payload:
        raise DecodeError("command_frame_identifier", 0, "empty command payload")
    cid = payload[0]
    cls = _COMMANDS.get(cid)
    if cls is None:
        return UnknownCommand(enum_or_int(MacCommandId, cid), bytes(payload[1:]))
    r = Reader(payload, 1)
    cmd = cls.read(r)
    r.expect_end(cls.__name__)
    return cmd
