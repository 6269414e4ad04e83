"""IEEE 802.15.4 MAC command payloads (802.15.4-2006 7.3, 802.15.4-2015 7.5)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import (
    AssociationRequest,
    AssociationResponse,
    AssociationStatus,
    BeaconRequest,
    CapabilityInformation,
    CoordinatorRealignment,
    DataRequest,
    DisassociationNotification,
    DisassociationReason,
    GtsCharacteristics,
    GtsRequest,
    MacCommand,
    MacCommandId,
    OrphanNotification,
    PanIdConflictNotification,
    UnknownCommand,
    decode_command,
    encode_command,
)
from zigmesh.mac.frames import FrameType, MacFrame

# (command, MAC payload hex: identifier + content)
VECTORS: list[tuple[MacCommand, str]] = [
    # Zigbee router joining: FFD, mains, RX on when idle, allocate address (Zigbee 3.6.1.4.1)
    (AssociationRequest(CapabilityInformation(False, True, True, True, False, True)), "018e"),
    # sleepy end device: RFD, battery, allocate address
    (AssociationRequest(CapabilityInformation()), "0180"),
    (AssociationRequest(CapabilityInformation(True, True, True, True, True, True)), "01cf"),
    (AssociationResponse(0x796F, AssociationStatus.SUCCESS), "026f7900"),
    (AssociationResponse(0xFFFF, AssociationStatus.PAN_AT_CAPACITY), "02ffff01"),
    (AssociationResponse(0xFFFF, AssociationStatus.PAN_ACCESS_DENIED), "02ffff02"),
    (AssociationResponse(0x0001, AssociationStatus.FAST_ASSOCIATION_SUCCESSFUL), "02010080"),
    (DisassociationNotification(DisassociationReason.COORDINATOR_WISHES_DEVICE_TO_LEAVE), "0301"),
    (DisassociationNotification(DisassociationReason.DEVICE_WISHES_TO_LEAVE), "0302"),
    (DataRequest(), "04"),
    (PanIdConflictNotification(), "05"),
    (OrphanNotification(), "06"),
    (BeaconRequest(), "07"),
    (CoordinatorRealignment(0x1A62, 0x0000, 15, 0x1234), "08621a00000f3412"),
    (CoordinatorRealignment(0x1A62, 0x0000, 26, 0xFFFF, 0), "08621a00001affff00"),
    (GtsRequest(GtsCharacteristics(3, True, True)), "0933"),
    (GtsRequest(GtsCharacteristics(15, False, False)), "090f"),
    (UnknownCommand(MacCommandId.DSME_ASSOCIATION_REQUEST, b"\x01\x02"), "130102"),
    (UnknownCommand(0x7F, b""), "7f"),
]


@pytest.mark.parametrize(("cmd", "payload_hex"), VECTORS)
def test_command_vectors(cmd: MacCommand, payload_hex: str) -> None:
    payload = bytes.fromhex(payload_hex)
    assert encode_command(cmd) == payload
    assert decode_command(payload) == cmd
    if not isinstance(cmd, UnknownCommand):
        assert type(cmd).decode(payload[1:]) == cmd
        assert cmd.command_id == payload[0]
    f = MacFrame.command(cmd, seq=1, dst_pan=0x1A62, dst_addr=0x0000, src_addr=0x1234)
    g = MacFrame.decode(f.encode())
    assert g.frame_type is FrameType.MAC_COMMAND
    assert g.as_command() == cmd


def test_unknown_ids_decode_to_values() -> None:
    cmd = decode_command(b"\x0a\xff")
    assert cmd == UnknownCommand(MacCommandId.TRLE_MANAGEMENT_REQUEST, b"\xff")
    assert (
        isinstance(cmd, UnknownCommand) and cmd.command_id is MacCommandId.TRLE_MANAGEMENT_REQUEST
    )
    cmd = decode_command(b"\xee")
    assert isinstance(cmd, UnknownCommand)
    assert type(cmd.command_id) is int and cmd.command_id == 0xEE


def test_unknown_enum_values_are_ints() -> None:
    r = decode_command(bytes.fromhex("0201007f"))
    assert isinstance(r, AssociationResponse)
    assert type(r.status) is int and r.status == 0x7F
    d = decode_command(b"\x03\x09")
    assert isinstance(d, DisassociationNotification) and type(d.reason) is int


def test_capability_bits() -> None:
    """802.15.4-2006 Figure 56: bit 0 alt PAN coord, 1 device type, 2 power source,
    3 RX on when idle, 4-5 reserved, 6 security capability, 7 allocate address."""
    names = [
        (0x01, "alternate_pan_coordinator"),
        (0x02, "device_type_ffd"),
        (0x04, "power_source_mains"),
        (0x08, "receiver_on_when_idle"),
        (0x40, "security_capability"),
        (0x80, "allocate_address"),
    ]
    for bit, name in names:
        c = CapabilityInformation.from_byte(bit)
        assert getattr(c, name)
        assert sum(getattr(c, n) for _, n in names) == 1
        assert c.to_byte() == bit
        assert CapabilityInformation.decode(bytes((bit,))) == c
    # reserved bits are ignored
    assert CapabilityInformation.from_byte(0x30).to_byte() == 0


@pytest.mark.parametrize(
    ("payload_hex", "field", "offset"),
    [
        ("", "command_frame_identifier", 0),
        ("01", "capability_information", 1),
        ("018e00", "AssociationRequest", 2),
        ("02", "short_address", 1),
        ("0201", "short_address", 1),
        ("020100", "association_status", 3),
        ("03", "disassociation_reason", 1),
        ("0400", "DataRequest", 1),
        ("0500", "PanIdConflictNotification", 1),
        ("0600", "OrphanNotification", 1),
        ("0701", "BeaconRequest", 1),
        ("08621a00000f34", "short_address", 6),
        ("08621a00000f34120000", "CoordinatorRealignment", 9),
        ("09", "gts_characteristics", 1),
    ],
)
def test_decode_errors(payload_hex: str, field: str, offset: int) -> None:
    with pytest.raises(DecodeError) as e:
        decode_command(bytes.fromhex(payload_hex))
    assert (e.value.field, e.value.offset) == (field, offset)


def test_content_decode_rejects_trailing_bytes() -> None:
    with pytest.raises(DecodeError):
        DataRequest.decode(b"\x00")
    with pytest.raises(DecodeError):
        AssociationResponse.decode(b"\x01\x00\x00\x00")
    with pytest.raises(DecodeError):
        CapabilityInformation.decode(b"")


def test_gts_length_checked_on_encode() -> None:
    with pytest.raises(LocalProtocolError):
        GtsRequest(GtsCharacteristics(16)).encode()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=16))
def test_any_bytes_decode_or_decode_error(data: bytes) -> None:
    try:
        cmd = decode_command(data)
    except DecodeError:
        return
    # every decoded command encodes back to the same bytes, except ignored reserved bits
    again = decode_command(encode_command(cmd))
    assert again == cmd
    if data[0] not in (0x01, 0x09):
        assert encode_command(cmd) == data


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([bytes.fromhex(h) for _, h in VECTORS]),
    st.integers(0, 12),
    st.binary(max_size=3),
)
def test_truncated_and_extended_vectors(payload: bytes, cut: int, extra: bytes) -> None:
    for data in (payload[:cut], payload + extra):
        with contextlib.suppress(DecodeError):
            decode_command(data)
