"""ZCL foundation (profile-wide) commands (ZCL rev 7/8, clause 2.5, Table 2-3).

One frozen dataclass per command; ``encode()`` / ``decode(payload)`` cover the payload that
follows the ZCL header. :func:`decode_foundation` dispatches on the command identifier.

The commands live by spec clause: :mod:`~zigmesh.zcl.foundation_attributes` (read / write,
2.5.1-2.5.6 and structured 2.5.15-2.5.17), :mod:`~zigmesh.zcl.foundation_reporting`
(2.5.7-2.5.11) and :mod:`~zigmesh.zcl.foundation_discovery` (2.5.13-2.5.14, 2.5.18-2.5.23),
with identifiers, statuses and record helpers in :mod:`~zigmesh.zcl.foundation_common`; Default
Response (2.5.12) is here. This module re-exports them all.

Short forms: an all-success Write Attributes Response, Configure Reporting Response and Write
Attributes Structured Response carry a single SUCCESS status octet; they are modelled as an empty
``records`` tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Self, TypeAlias

from zigmesh.errors import DecodeError
from zigmesh.zcl.foundation_attributes import (
    AttributeRecord,
    ReadAttributes,
    ReadAttributesResponse,
    ReadAttributesStructured,
    ReadAttributeStatusRecord,
    ReadStructuredRecord,
    Selector,
    WriteAttributes,
    WriteAttributesNoResponse,
    WriteAttributesResponse,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    WriteAttributeStatusRecord,
    WriteAttributesUndivided,
    WriteStructuredRecord,
    WriteStructuredStatusRecord,
)
from zigmesh.zcl.foundation_common import (
    _BB,
    _STATUS,
    AttributeAccess,
    FoundationCommand,
    ReportingDirection,
    SelectorOperation,
    ZclStatus,
    _bad_encode,
    zcl_status,
)
from zigmesh.zcl.foundation_discovery import (
    DiscoverAttributes,
    DiscoverAttributesExtended,
    DiscoverAttributesExtendedResponse,
    DiscoverAttributesResponse,
    DiscoverCommandsGenerated,
    DiscoverCommandsGeneratedResponse,
    DiscoverCommandsReceived,
    DiscoverCommandsReceivedResponse,
    DiscoveredAttribute,
    DiscoveredAttributeExtended,
)
from zigmesh.zcl.foundation_reporting import (
    ConfigureReporting,
    ConfigureReportingResponse,
    ReadReportingConfigRecord,
    ReadReportingConfiguration,
    ReadReportingConfigurationResponse,
    ReceivedAttributeConfig,
    ReportAttributes,
    ReportedAttributeConfig,
    ReportingStatusRecord,
)
from zigmesh.zcl.foundation_reporting import ReportingConfig as ReportingConfig
from zigmesh.zcl.frame import Direction, FrameType, ZclFrame, ZclHeader
from zigmesh.zcl.types import (
    ENCODE_ERRORS,
)

__all__ = [
    "FoundationCommand",
    "ZclStatus",
    "ReportingDirection",
    "AttributeAccess",
    "SelectorOperation",
    "Selector",
    "AttributeRecord",
    "ReadAttributeStatusRecord",
    "WriteAttributeStatusRecord",
    "ReportedAttributeConfig",
    "ReceivedAttributeConfig",
    "ReportingStatusRecord",
    "ReadReportingConfigRecord",
    "DiscoveredAttribute",
    "DiscoveredAttributeExtended",
    "ReadStructuredRecord",
    "WriteStructuredRecord",
    "WriteStructuredStatusRecord",
    "ReadAttributes",
    "ReadAttributesResponse",
    "WriteAttributes",
    "WriteAttributesUndivided",
    "WriteAttributesResponse",
    "WriteAttributesNoResponse",
    "ConfigureReporting",
    "ConfigureReportingResponse",
    "ReadReportingConfiguration",
    "ReadReportingConfigurationResponse",
    "ReportAttributes",
    "DefaultResponse",
    "DiscoverAttributes",
    "DiscoverAttributesResponse",
    "ReadAttributesStructured",
    "WriteAttributesStructured",
    "WriteAttributesStructuredResponse",
    "DiscoverCommandsReceived",
    "DiscoverCommandsReceivedResponse",
    "DiscoverCommandsGenerated",
    "DiscoverCommandsGeneratedResponse",
    "DiscoverAttributesExtended",
    "DiscoverAttributesExtendedResponse",
    "FoundationPayload",
    "FOUNDATION_COMMANDS",
    "decode_foundation",
    "foundation_frame",
    "zcl_status",
]


@dataclass(frozen=True, slots=True)
class DefaultResponse:
    """Default Response (ZCL 2.5.12): the command it answers and a status."""

    COMMAND_ID: ClassVar[FoundationCommand] = FoundationCommand.DEFAULT_RESPONSE

    command_id: int
    status: ZclStatus | int

    def encode(self) -> bytes:
        try:
            return _BB.pack(self.command_id, self.status)
        except ENCODE_ERRORS as e:
            raise _bad_encode("Default Response", e) from None

    @classmethod
    def decode(cls, data: bytes) -> Self:
        if len(data) != 2:
            raise DecodeError(
                "default_response", min(len(data), 2), f"needs exactly 2 byte(s), got {len(data)}"
            )
        return cls(data[0], _STATUS[data[1]])


FoundationPayload: TypeAlias = (
    ReadAttributes
    | ReadAttributesResponse
    | WriteAttributes
    | WriteAttributesUndivided
    | WriteAttributesResponse
    | WriteAttributesNoResponse
    | ConfigureReporting
    | ConfigureReportingResponse
    | ReadReportingConfiguration
    | ReadReportingConfigurationResponse
    | ReportAttributes
    | DefaultResponse
    | DiscoverAttributes
    | DiscoverAttributesResponse
    | ReadAttributesStructured
    | WriteAttributesStructured
    | WriteAttributesStructuredResponse
    | DiscoverCommandsReceived
    | DiscoverCommandsReceivedResponse
    | DiscoverCommandsGenerated
    | DiscoverCommandsGeneratedResponse
    | DiscoverAttributesExtended
    | DiscoverAttributesExtendedResponse
)

_COMMAND_CLASSES: tuple[type[FoundationPayload], ...] = (
    ReadAttributes,
    ReadAttributesResponse,
    WriteAttributes,
    WriteAttributesUndivided,
    WriteAttributesResponse,
    WriteAttributesNoResponse,
    ConfigureReporting,
    ConfigureReportingResponse,
    ReadReportingConfiguration,
    ReadReportingConfigurationResponse,
    ReportAttributes,
    DefaultResponse,
    DiscoverAttributes,
    DiscoverAttributesResponse,
    ReadAttributesStructured,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    DiscoverCommandsReceived,
    DiscoverCommandsReceivedResponse,
    DiscoverCommandsGenerated,
    DiscoverCommandsGeneratedResponse,
    DiscoverAttributesExtended,
    DiscoverAttributesExtendedResponse,
)

#: Command identifier -> payload class, for every profile-wide command (Table 2-3).
FOUNDATION_COMMANDS: Mapping[int, type[FoundationPayload]] = {
    c.COMMAND_ID: c for c in _COMMAND_CLASSES
}
_DECODERS: tuple[Callable[[bytes], FoundationPayload], ...] = tuple(
    c.decode for c in _COMMAND_CLASSES
)
assert all(i == c.COMMAND_ID for i, c in enumerate(_COMMAND_CLASSES))


def decode_foundation(command_id: int, payload: bytes) -> FoundationPayload:
    """Decode the payload of a profile-wide command. An identifier outside Table 2-3 raises
    DecodeError (answer it with Default Response UNSUP_GENERAL_COMMAND)."""
    if not 0 <= command_id < len(_DECODERS):
        raise DecodeError("zcl.command_id", 0, f"unsupported foundation command 0x{command_id:02x}")
    return _DECODERS[command_id](payload)


def foundation_frame(
    command: FoundationPayload,
    tsn: int,
    direction: Direction = Direction.CLIENT_TO_SERVER,
    manufacturer_code: int | None = None,
    disable_default_response: bool = False,
) -> ZclFrame:
    """A complete ZCL frame (profile-wide frame type) carrying ``command``."""
    header = ZclHeader(
        FrameType.GLOBAL,
        direction,
        disable_default_response,
        manufacturer_code,
        tsn,
        command.COMMAND_ID,
    )
    return ZclFrame(header, command.encode())
