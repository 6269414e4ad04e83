"""ZCL foundation discovery commands (ZCL rev 7/8 2.5.13-2.5.14, 2.5.18-2.5.23): Discover
Attributes (plain and extended) and Discover Commands Received / Generated with their
responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from zigmesh.errors import DecodeError
from zigmesh.zcl.foundation_common import (
    _BB,
    _HB,
    _HBB,
    AttributeAccess,
    FoundationCommand,
    _bad_encode,
    _discovery_complete,
    _pack_records,
    _unpack_records,
)
from zigmesh.zcl.types import (
    ENCODE_ERRORS,
    DataType,
    data_type_or_int,
)

__all__ = [
    "DiscoverAttributes",
    "DiscoverAttributesExtended",
    "DiscoverAttributesExtendedResponse",
    "DiscoverAttributesResponse",
    "DiscoverCommandsGenerated",
    "DiscoverCommandsGeneratedResponse",
    "DiscoverCommandsReceived",
    "DiscoverCommandsReceivedResponse",
    "DiscoveredAttribute",
    "DiscoveredAttributeExtended",
]


@dataclass(frozen=True, slots=True)
class DiscoveredAttribute:
    """Attribute information record of Discover Attributes Response (ZCL 2.5.14)."""

    attribute_id: int
    data_type: DataType | int


@dataclass(frozen=True, slots=True)
class DiscoveredAttributeExtended:
    """Extended attribute information record (ZCL 2.5.23)."""

    attribute_id: int
    data_type: DataType | int
    access_control: AttributeAccess


@dataclass(frozen=True, slots=True)
class _DiscoverAttributesRequest:
    """Start attribute identifier and maximum count (ZCL 2.5.13 / 2.5.22)."""

    start_attribute_id: int = 0x0000
    max_attribute_ids: int = 0xFF

    def encode(self) -> bytes:
        try:
            return _HB.pack(self.start_attribute_id, self.max_attribute_ids)
        except ENCODE_ERRORS as e:
            raise _bad_encode(type(self).__name__, e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if len(data) != 3:
            raise DecodeError(
                "discover_attributes",
                min(len(data), 3),
                f"needs exactly 3 byte(s), got {len(data)}",
            )
        a, m = _HB.unpack(data)
        return cls(a, m)


@dataclass(frozen=True, slots=True)
class DiscoverAttributes(_DiscoverAttributesRequest):
    """Discover Attributes (ZCL 2.5.13)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_ATTRIBUTES


@dataclass(frozen=True, slots=True)
class DiscoverAttributesExtended(_DiscoverAttributesRequest):
    """Discover Attributes Extended (ZCL 2.5.22)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_ATTRIBUTES_EXTENDED


@dataclass(frozen=True, slots=True)
class DiscoverAttributesResponse:
    """Discover Attributes Response (ZCL 2.5.14)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_ATTRIBUTES_RESPONSE

    discovery_complete: bool
    records: tuple[DiscoveredAttribute, ...] = ()

    def encode(self) -> bytes:
        return bytes((int(self.discovery_complete),)) + _pack_records(
            "Discover Attributes Response",
            self.records,
            lambda rec: _HB.pack(rec.attribute_id, rec.data_type),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = "discover_attributes_response"
        complete = _discovery_complete(data, f"{n}.discovery_complete")
        recs = _unpack_records(data, _HB, f"{n}.record", start=1)
        return cls(
            complete, tuple(DiscoveredAttribute(aid, data_type_or_int(dt)) for aid, dt in recs)
        )


@dataclass(frozen=True, slots=True)
class DiscoverAttributesExtendedResponse:
    """Discover Attributes Extended Response (ZCL 2.5.23)."""

    COMMAND_ID: ClassVar[FoundationCommand] = (
        FoundationCommand.DISCOVER_ATTRIBUTES_EXTENDED_RESPONSE
    )

    discovery_complete: bool
    records: tuple[DiscoveredAttributeExtended, ...] = ()

    def encode(self) -> bytes:
        return bytes((int(self.discovery_complete),)) + _pack_records(
            "Discover Attributes Extended Response",
            self.records,
            lambda rec: _HBB.pack(rec.attribute_id, rec.data_type, rec.access_control),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        n = "discover_attributes_extended_response"
        complete = _discovery_complete(data, f"{n}.discovery_complete")
        recs = _unpack_records(data, _HBB, f"{n}.record", start=1)
        return cls(
            complete,
            tuple(
                DiscoveredAttributeExtended(aid, data_type_or_int(dt), AttributeAccess(acc))
                for aid, dt, acc in recs
            ),
        )


@dataclass(frozen=True, slots=True)
class _DiscoverCommandsRequest:
    """Start command identifier and maximum count (ZCL 2.5.18 / 2.5.20)."""

    start_command_id: int = 0x00
    max_command_ids: int = 0xFF

    def encode(self) -> bytes:
        try:
            return _BB.pack(self.start_command_id, self.max_command_ids)
        except ENCODE_ERRORS as e:
            raise _bad_encode(type(self).__name__, e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if len(data) != 2:
            raise DecodeError(
                "discover_commands", min(len(data), 2), f"needs exactly 2 byte(s), got {len(data)}"
            )
        return cls(data[0], data[1])


@dataclass(frozen=True, slots=True)
class DiscoverCommandsReceived(_DiscoverCommandsRequest):
    """Discover Commands Received (ZCL 2.5.18)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_RECEIVED


@dataclass(frozen=True, slots=True)
class DiscoverCommandsGenerated(_DiscoverCommandsRequest):
    """Discover Commands Generated (ZCL 2.5.20)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_GENERATED


@dataclass(frozen=True, slots=True)
class _DiscoverCommandsResponse:
    """Discovery complete and command identifiers (ZCL 2.5.19 / 2.5.21)."""

    discovery_complete: bool
    command_ids: tuple[int, ...] = ()

    def encode(self) -> bytes:
        try:
            return bytes((int(self.discovery_complete), *self.command_ids))
        except ENCODE_ERRORS as e:
            raise _bad_encode(type(self).__name__, e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        complete = _discovery_complete(data, "discover_commands_response.discovery_complete")
        return cls(complete, tuple(data[1:]))


@dataclass(frozen=True, slots=True)
class DiscoverCommandsReceivedResponse(_DiscoverCommandsResponse):
    """Discover Commands Received Response (ZCL 2.5.19)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_RECEIVED_RESPONSE


@dataclass(frozen=True, slots=True)
class DiscoverCommandsGeneratedResponse(_DiscoverCommandsResponse):
    """Discover Commands Generated Response (ZCL 2.5.21)."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DISCOVER_COMMANDS_GENERATED_RESPONSE
