"""ZCL foundation commands (ZCL rev 7/8 clause 2.5, Table 2-3): vectors, round trips,
properties."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.foundation import (
    FOUNDATION_COMMANDS,
    AttributeAccess,
    AttributeRecord,
    ConfigureReporting,
    ConfigureReportingResponse,
    DefaultResponse,
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
    FoundationCommand,
    FoundationPayload,
    ReadAttributes,
    ReadAttributesResponse,
    ReadAttributesStructured,
    ReadAttributeStatusRecord,
    ReadReportingConfigRecord,
    ReadReportingConfiguration,
    ReadReportingConfigurationResponse,
    ReadStructuredRecord,
    ReceivedAttributeConfig,
    ReportAttributes,
    ReportedAttributeConfig,
    ReportingDirection,
    ReportingStatusRecord,
    Selector,
    SelectorOperation,
    WriteAttributes,
    WriteAttributesNoResponse,
    WriteAttributesResponse,
    WriteAttributesStructured,
    WriteAttributesStructuredResponse,
    WriteAttributeStatusRecord,
    WriteAttributesUndivided,
    WriteStructuredRecord,
    WriteStructuredStatusRecord,
    ZclStatus,
    decode_foundation,
    foundation_frame,
    zcl_status,
)
from zigmesh.zcl.frame import Direction, FrameType, ZclFrame
from zigmesh.zcl.types import DataType, Date, TimeOfDay, ZclArray

T = DataType
S = ZclStatus
REPORTED = ReportingDirection.REPORTED
RECEIVED = ReportingDirection.RECEIVED

# (command, payload hex) built from the record layouts of clause 2.5.
VECTORS: list[tuple[FoundationPayload, str]] = [
    # 2.5.1 attribute identifiers
    (ReadAttributes((0x0000, 0x0004, 0x0005)), "0000 0400 0500"),
    (ReadAttributes(()), ""),
    # 2.5.2 attribute id, status, [type, value] on SUCCESS only
    (
        ReadAttributesResponse(
            (
                ReadAttributeStatusRecord(0x0000, S.SUCCESS, T.UINT8, 3),
                ReadAttributeStatusRecord(0x0001, S.SUCCESS, T.INT16, -1234),
                ReadAttributeStatusRecord(0x0005, S.SUCCESS, T.STRING, "bulb"),
                ReadAttributeStatusRecord(0x0006, S.UNSUPPORTED_ATTRIBUTE),
            )
        ),
        "0000 00 20 03" + "0100 00 29 2efb" + "0500 00 42 04 62756c62" + "0600 86",
    ),
    # 2.5.3 / 2.5.4 / 2.5.6 / 2.5.11: attribute id, type, value
    (WriteAttributes((AttributeRecord(0x4001, T.UINT16, 300),)), "0140 21 2c01"),
    (
        WriteAttributesUndivided(
            (AttributeRecord(0x0010, T.STRING, "kitchen"), AttributeRecord(0x0012, T.BOOL, True))
        ),
        "1000 42 07 6b69746368656e" + "1200 10 01",
    ),
    (WriteAttributesNoResponse((AttributeRecord(0x4003, T.ENUM8, 0xFF),)), "0340 30 ff"),
    (
        ReportAttributes(
            (AttributeRecord(0x0000, T.INT16, 2150), AttributeRecord(0x0003, T.UINT16, 20))
        ),
        "0000 29 6608" + "0300 21 1400",
    ),
    # 2.5.5 all success: the single SUCCESS status; else status + attribute id per failure
    (WriteAttributesResponse(), "00"),
    (
        WriteAttributesResponse(
            (
                WriteAttributeStatusRecord(S.READ_ONLY, 0x0000),
                WriteAttributeStatusRecord(S.INVALID_VALUE, 0x4001),
            )
        ),
        "88 0000" + "87 0140",
    ),
    # 2.5.7 direction 0: id, type, min, max, change (analog only); direction 1: id, timeout
    (
        ConfigureReporting(
            (
                ReportedAttributeConfig(0x0000, T.INT16, 10, 300, 50),
                ReportedAttributeConfig(0x0000, T.BOOL, 0, 3600),
                ReceivedAttributeConfig(0x0001, 600),
            )
        ),
        "00 0000 29 0a00 2c01 3200" + "00 0000 10 0000 100e" + "01 0100 5802",
    ),
    (
        ConfigureReporting(
            (
                ReportedAttributeConfig(0x0400, T.SEMI, 1, 2, 0.5),
                ReportedAttributeConfig(0x0401, T.UTC, 1, 2, 60),
                ReportedAttributeConfig(0x0402, T.MAP16, 1, 2),
                ReportedAttributeConfig(0x0403, T.TOD, 1, 2, TimeOfDay(0, 1, 0, 0)),
            )
        ),
        "00 0004 38 0100 0200 0038"
        + "00 0104 e2 0100 0200 3c000000"
        + "00 0204 19 0100 0200"
        + "00 0304 e0 0100 0200 00010000",
    ),
    # 2.5.8 all success short form; else status, direction, attribute id
    (ConfigureReportingResponse(), "00"),
    (
        ConfigureReportingResponse(
            (
                ReportingStatusRecord(S.UNREPORTABLE_ATTRIBUTE, REPORTED, 0x0003),
                ReportingStatusRecord(S.UNSUPPORTED_ATTRIBUTE, RECEIVED, 0x0001),
            )
        ),
        "8c 00 0300" + "86 01 0100",
    ),
    # 2.5.9 direction, attribute id
    (
        ReadReportingConfiguration(
            (
                ReadReportingConfigRecord(REPORTED, 0x0000),
                ReadReportingConfigRecord(RECEIVED, 0x0001),
            )
        ),
        "00 0000" + "01 0100",
    ),
    # 2.5.10 status, direction, id, then the configuration on SUCCESS
    (
        ReadReportingConfigurationResponse(
            (
                ReportedAttributeConfig(0x0000, T.INT16, 5, 600, 25),
                ReceivedAttributeConfig(0x0001, 900),
                ReportingStatusRecord(S.NOT_FOUND, REPORTED, 0x0002),
                ReportedAttributeConfig(0x0010, T.ENUM8, 1, 0xFFFF),
            )
        ),
        "00 00 0000 29 0500 5802 1900"
        + "00 01 0100 8403"
        + "8b 00 0200"
        + "00 00 1000 30 0100 ffff",
    ),
    # 2.5.12 command identifier, status
    (DefaultResponse(0x01, S.SUCCESS), "01 00"),
    (DefaultResponse(0x02, S.UNSUP_CLUSTER_COMMAND), "02 81"),
    # 2.5.13 / 2.5.22 start attribute id, maximum count
    (DiscoverAttributes(0x0000, 0x10), "0000 10"),
    (DiscoverAttributesExtended(0x4000, 0xFF), "0040 ff"),
    # 2.5.14 discovery complete, (attribute id, type)*
    (
        DiscoverAttributesResponse(
            True, (DiscoveredAttribute(0x0000, T.BOOL), DiscoveredAttribute(0x4001, T.UINT16))
        ),
        "01 0000 10 0140 21",
    ),
    (DiscoverAttributesResponse(False, ()), "00"),
    # 2.5.23 discovery complete, (attribute id, type, access control)*
    (
        DiscoverAttributesExtendedResponse(
            False,
            (
                DiscoveredAttributeExtended(
                    0x0000, T.BOOL, AttributeAccess.READABLE | AttributeAccess.REPORTABLE
                ),
                DiscoveredAttributeExtended(
                    0x4001, T.UINT16, AttributeAccess.READABLE | AttributeAccess.WRITEABLE
                ),
            ),
        ),
        "00 0000 10 05 0140 21 03",
    ),
    # 2.5.15 attribute id, selector (indicator = number of indexes, uint16 indexes)
    (
        ReadAttributesStructured(
            (ReadStructuredRecord(0x4020, Selector((2,))), ReadStructuredRecord(0x4021, Selector()))
        ),
        "2040 01 0200" + "2140 00",
    ),
    # 2.5.16 attribute id, selector, type, value
    (
        WriteAttributesStructured(
            (
                WriteStructuredRecord(0x4020, Selector((3, 1)), T.UINT8, 42),
                WriteStructuredRecord(
                    0x4022, Selector((), SelectorOperation.ADD_ELEMENT), T.UINT16, 7
                ),
            )
        ),
        "2040 02 0300 0100 20 2a" + "2240 10 21 0700",
    ),
    # 2.5.17 short form, else status, attribute id, selector
    (WriteAttributesStructuredResponse(), "00"),
    (
        WriteAttributesStructuredResponse(
            (WriteStructuredStatusRecord(S.INVALID_SELECTOR, 0x4020, Selector((7,))),)
        ),
        "8e 2040 01 0700",
    ),
    # 2.5.18 - 2.5.21 start command id, maximum count / discovery complete, command ids
    (DiscoverCommandsReceived(0x00, 0x0A), "00 0a"),
    (DiscoverCommandsGenerated(0x05, 0x04), "05 04"),
    (DiscoverCommandsReceivedResponse(True, (0x00, 0x01, 0x02, 0x40)), "01 00010240"),
    (DiscoverCommandsGeneratedResponse(False, ()), "00"),
]


def test_vectors_cover_every_command() -> None:
    assert {c.COMMAND_ID for c, _ in VECTORS} == set(FoundationCommand)
    assert set(FOUNDATION_COMMANDS) == set(FoundationCommand)


@pytest.mark.parametrize(
    ("command", "hexstr"),
    VECTORS,
    ids=[f"{type(c).__name__}-{i}" for i, (c, _) in enumerate(VECTORS)],
)
def test_vector(command: FoundationPayload, hexstr: str) -> None:
    raw = bytes.fromhex(hexstr)
    assert command.encode() == raw
    assert type(command).decode(raw) == command
    assert decode_foundation(command.COMMAND_ID, raw) == command


def test_command_ids() -> None:
    assert FoundationCommand.READ_ATTRIBUTES == 0x00
    assert FoundationCommand.REPORT_ATTRIBUTES == 0x0A
    assert FoundationCommand.DEFAULT_RESPONSE == 0x0B
    assert FoundationCommand.DISCOVER_COMMANDS_RECEIVED == 0x11
    assert FoundationCommand.DISCOVER_ATTRIBUTES_EXTENDED_RESPONSE == 0x16
    for cid, cls in FOUNDATION_COMMANDS.items():
        assert cid == cls.COMMAND_ID


def test_status_codes() -> None:
    assert S.SUCCESS == 0x00
    assert S.MALFORMED_COMMAND == 0x80
    assert S.UNSUPPORTED_ATTRIBUTE == 0x86
    assert S.UNREPORTABLE_ATTRIBUTE == 0x8C
    assert S.UNSUPPORTED_CLUSTER == 0xC3
    assert zcl_status(0x86) is S.UNSUPPORTED_ATTRIBUTE
    assert zcl_status(0x55) == 0x55 and not isinstance(zcl_status(0x55), ZclStatus)


def test_decoded_value_types() -> None:
    rsp = ReadAttributesResponse.decode(bytes.fromhex("0000 00 20 03 0600 86 0700 55"))
    a, b, c = rsp.records
    assert a.status is S.SUCCESS and a.data_type is T.UINT8
    assert b.status is S.UNSUPPORTED_ATTRIBUTE and b.data_type is None and b.value is None
    assert c.status == 0x55 and not isinstance(c.status, ZclStatus)  # unassigned code kept
    d = DefaultResponse.decode(b"\x00\x55")
    assert d.status == 0x55
    disc = DiscoverAttributesResponse.decode(bytes.fromhex("01 0000 07"))
    assert disc.records[0].data_type == 0x07 and not isinstance(disc.records[0].data_type, DataType)
    ext = DiscoverAttributesExtendedResponse.decode(bytes.fromhex("01 0000 20 81"))
    assert ext.records[0].access_control == 0x81
    crr = ConfigureReportingResponse.decode(bytes.fromhex("86 05 0000 86 01 0100"))
    assert crr.records[0].direction == 5 and crr.records[1].direction is RECEIVED
    sel = ReadAttributesStructured.decode(bytes.fromhex("0000 30")).records[0].selector
    assert sel.operation == 3 and sel.indexes == ()


def test_short_forms() -> None:
    assert WriteAttributesResponse().all_success
    assert WriteAttributesResponse.decode(b"\x00").all_success
    assert ConfigureReportingResponse.decode(b"\x00").all_success
    assert WriteAttributesStructuredResponse.decode(b"\x00").all_success
    # a lone non-SUCCESS status is not a valid short form
    for cls in (
        WriteAttributesResponse,
        ConfigureReportingResponse,
        WriteAttributesStructuredResponse,
    ):
        with pytest.raises(DecodeError):
            cls.decode(b"\x86")
        with pytest.raises(DecodeError):
            cls.decode(b"")


def test_reportable_change_follows_data_type() -> None:
    # uint8 (analog) carries a change, map8 / bool / enum (discrete) do not
    analog = ConfigureReporting((ReportedAttributeConfig(1, T.UINT8, 1, 2, 5),)).encode()
    discrete = ConfigureReporting((ReportedAttributeConfig(1, T.MAP8, 1, 2),)).encode()
    assert len(analog) == len(discrete) + 1
    rec = ConfigureReporting.decode(discrete).records[0]
    assert isinstance(rec, ReportedAttributeConfig) and rec.reportable_change is None
    d = ConfigureReporting.decode(bytes.fromhex("00 0000 e1 0100 0200 7c010101"))
    rec = d.records[0]
    assert isinstance(rec, ReportedAttributeConfig) and rec.reportable_change == Date(2024, 1, 1, 1)


@pytest.mark.parametrize(
    ("command_id", "hexstr"),
    [
        (0x00, "000000"),  # odd length
        (0x01, "0000"),  # truncated record
        (0x01, "000000"),  # SUCCESS without type
        (0x01, "00000001"),  # reserved type id
        (0x01, "00000042 05 6162"),  # string length beyond payload
        (0x01, "00000021 01"),  # truncated uint16
        (0x02, "0000"),
        (0x02, "0000 48 20 0500 01"),  # array count beyond payload
        (0x04, "8600"),
        (0x06, "02 0000 0000"),  # reserved direction
        (0x06, "00 0000 29 0100 0200"),  # analog without its reportable change
        (0x06, "00 0000 07 0100 0200"),  # reserved data type
        (0x06, "01 0000"),  # timeout missing
        (0x07, "860000"),
        (0x08, "0000"),
        (0x09, "00 00 0000"),  # SUCCESS without the configuration
        (0x09, "00 07 0000 0000"),  # reserved direction with SUCCESS
        (0x0A, "0000 20"),
        (0x0B, "01"),
        (0x0B, "010000"),
        (0x0C, "0000"),
        (0x0D, ""),
        (0x0D, "01 0000"),
        (0x0E, "0000 02 0100"),  # 2 indexes announced, 1 present
        (0x0F, "0000 00"),  # type missing
        (0x10, "86 0000"),  # selector missing
        (0x11, "00"),
        (0x12, ""),
        (0x13, "000000"),
        (0x14, ""),
        (0x15, "00"),
        (0x16, "00 0000 20"),
        (0x17, ""),  # not a foundation command
        (0xFF, "00"),
    ],
)
def test_bad_payloads(command_id: int, hexstr: str) -> None:
    with pytest.raises(DecodeError):
        decode_foundation(command_id, bytes.fromhex(hexstr))


@pytest.mark.parametrize(
    "command",
    [
        ReadAttributes((0x10000,)),
        ReadAttributesResponse((ReadAttributeStatusRecord(0, S.SUCCESS),)),  # no type
        ReadAttributesResponse((ReadAttributeStatusRecord(0, S.SUCCESS, T.UINT8, 256),)),
        WriteAttributes((AttributeRecord(0, T.STRING, 5),)),
        ConfigureReporting((ReportedAttributeConfig(0, T.UINT16, 1, 2),)),  # analog, no change
        ConfigureReporting((ReportedAttributeConfig(0, T.BOOL, 1, 2, True),)),  # discrete + change
        ConfigureReporting((ReadReportingConfigRecord(REPORTED, 0),)),  # type: ignore[arg-type]
        ReadReportingConfigurationResponse((ReportingStatusRecord(S.SUCCESS, REPORTED, 0),)),
        DefaultResponse(0x100, S.SUCCESS),
        DiscoverAttributes(0, 256),
        DiscoverCommandsReceivedResponse(True, (256,)),
        ReadAttributesStructured((ReadStructuredRecord(0, Selector(tuple(range(16)))),)),
        WriteAttributesStructured((WriteStructuredRecord(0, Selector(), T.UINT8, -1),)),
    ],
)
def test_bad_commands_raise_local_protocol_error(command: FoundationPayload) -> None:
    with pytest.raises(LocalProtocolError):
        command.encode()


def test_foundation_frame() -> None:
    cmd = ReadAttributes((0x0000,))
    f = foundation_frame(cmd, 0x42, Direction.CLIENT_TO_SERVER, manufacturer_code=0x115F)
    assert f.encode() == bytes.fromhex("04 5f11 42 00 0000")
    back = ZclFrame.decode(f.encode())
    assert back.header.frame_type is FrameType.GLOBAL
    assert decode_foundation(back.header.command_id, back.payload) == cmd
    rsp = foundation_frame(
        DefaultResponse(0x00, S.SUCCESS),
        7,
        Direction.SERVER_TO_CLIENT,
        disable_default_response=True,
    )
    assert rsp.encode() == bytes.fromhex("18 07 0b 00 00")


# -- properties ---------------------------------------------------------------------------

u16 = st.integers(0, 0xFFFF)
u8 = st.integers(0, 0xFF)
statuses = st.sampled_from(list(ZclStatus))
failures = st.sampled_from([s for s in ZclStatus if s != S.SUCCESS])
directions = st.sampled_from(list(ReportingDirection))
simple_typed = st.sampled_from(
    [
        (T.UINT8, st.integers(0, 0xFF)),
        (T.INT16, st.integers(-0x8000, 0x7FFF)),
        (T.STRING, st.text(max_size=12)),
        (T.BOOL, st.booleans()),
        (T.OCTSTR, st.binary(max_size=8)),
        (T.SINGLE, st.floats(width=32, allow_nan=False)),
        (
            T.ARRAY,
            st.lists(st.integers(0, 0xFF), max_size=4).map(lambda x: ZclArray(T.UINT8, tuple(x))),
        ),
        (T.DATE, st.builds(Date, st.integers(1900, 2155), u8, u8, u8)),
    ]
).flatmap(lambda tv: st.tuples(st.just(tv[0]), tv[1]))
analog_typed = st.sampled_from(
    [
        (T.UINT16, st.integers(0, 0xFFFF)),
        (T.INT8, st.integers(-128, 127)),
        (T.SEMI, st.floats(width=16, allow_nan=False)),
    ]
).flatmap(lambda tv: st.tuples(st.just(tv[0]), tv[1]))
discrete_types = st.sampled_from([T.BOOL, T.MAP8, T.ENUM8, T.ENUM16, T.STRING, T.NODATA])

attribute_records = st.builds(lambda a, tv: AttributeRecord(a, tv[0], tv[1]), u16, simple_typed)
read_status_records = st.one_of(
    st.builds(
        lambda a, tv: ReadAttributeStatusRecord(a, S.SUCCESS, tv[0], tv[1]), u16, simple_typed
    ),
    st.builds(ReadAttributeStatusRecord, u16, failures),
)
reported = st.one_of(
    st.builds(
        lambda a, tv, mn, mx: ReportedAttributeConfig(a, tv[0], mn, mx, tv[1]),
        u16,
        analog_typed,
        u16,
        u16,
    ),
    st.builds(ReportedAttributeConfig, u16, discrete_types, u16, u16),
)
configs = st.one_of(reported, st.builds(ReceivedAttributeConfig, u16, u16))
selectors = st.builds(
    Selector, st.lists(u16, max_size=15).map(tuple), st.sampled_from(list(SelectorOperation))
)


def tuples_of(
    s: st.SearchStrategy[object], max_size: int = 4
) -> st.SearchStrategy[tuple[object, ...]]:
    return st.lists(s, max_size=max_size).map(tuple)


commands: st.SearchStrategy[FoundationPayload] = st.one_of(
    st.builds(ReadAttributes, tuples_of(u16, 8)),
    st.builds(ReadAttributesResponse, tuples_of(read_status_records)),
    st.builds(WriteAttributes, tuples_of(attribute_records)),
    st.builds(WriteAttributesUndivided, tuples_of(attribute_records)),
    st.builds(WriteAttributesNoResponse, tuples_of(attribute_records)),
    st.builds(ReportAttributes, tuples_of(attribute_records)),
    st.builds(
        WriteAttributesResponse, tuples_of(st.builds(WriteAttributeStatusRecord, failures, u16))
    ),
    st.builds(ConfigureReporting, tuples_of(configs)),
    st.builds(
        ConfigureReportingResponse,
        tuples_of(st.builds(ReportingStatusRecord, failures, directions, u16)),
    ),
    st.builds(
        ReadReportingConfiguration, tuples_of(st.builds(ReadReportingConfigRecord, directions, u16))
    ),
    st.builds(
        ReadReportingConfigurationResponse,
        tuples_of(st.one_of(configs, st.builds(ReportingStatusRecord, failures, directions, u16))),
    ),
    st.builds(DefaultResponse, u8, statuses),
    st.builds(DiscoverAttributes, u16, u8),
    st.builds(DiscoverAttributesExtended, u16, u8),
    st.builds(
        DiscoverAttributesResponse,
        st.booleans(),
        tuples_of(st.builds(DiscoveredAttribute, u16, st.sampled_from(list(DataType)))),
    ),
    st.builds(
        DiscoverAttributesExtendedResponse,
        st.booleans(),
        tuples_of(
            st.builds(
                DiscoveredAttributeExtended,
                u16,
                st.sampled_from(list(DataType)),
                u8.map(AttributeAccess),
            )
        ),
    ),
    st.builds(ReadAttributesStructured, tuples_of(st.builds(ReadStructuredRecord, u16, selectors))),
    st.builds(
        WriteAttributesStructured,
        tuples_of(
            st.builds(
                lambda a, s, tv: WriteStructuredRecord(a, s, tv[0], tv[1]),
                u16,
                selectors,
                simple_typed,
            )
        ),
    ),
    st.builds(
        WriteAttributesStructuredResponse,
        tuples_of(st.builds(WriteStructuredStatusRecord, failures, u16, selectors)),
    ),
    st.builds(DiscoverCommandsReceived, u8, u8),
    st.builds(DiscoverCommandsGenerated, u8, u8),
    st.builds(DiscoverCommandsReceivedResponse, st.booleans(), tuples_of(u8, 10)),
    st.builds(DiscoverCommandsGeneratedResponse, st.booleans(), tuples_of(u8, 10)),
)


@settings(max_examples=300, deadline=None)
@given(commands)
def test_round_trip(command: FoundationPayload) -> None:
    raw = command.encode()
    assert type(command).decode(raw) == command
    assert decode_foundation(command.COMMAND_ID, raw) == command
    f = foundation_frame(command, 1)
    assert ZclFrame.decode(f.encode()) == f


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 0x20), st.binary(max_size=48))
def test_any_bytes(command_id: int, payload: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_foundation(command_id, payload)


@settings(max_examples=300, deadline=None)
@given(commands, st.data())
def test_mutated_encodings(command: FoundationPayload, data: st.DataObject) -> None:
    raw = bytearray(command.encode())
    cut = data.draw(st.integers(0, len(raw)))
    mutated = raw[:cut]
    if mutated:
        i = data.draw(st.integers(0, len(mutated) - 1))
        mutated[i] = data.draw(u8)
    mutated += data.draw(st.binary(max_size=3))
    cid = data.draw(st.sampled_from([command.COMMAND_ID, *FOUNDATION_COMMANDS]))
    with contextlib.suppress(DecodeError):
        decode_foundation(cid, bytes(mutated))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_through_frame(data: bytes) -> None:
    try:
        f = ZclFrame.decode(data)
        if f.header.frame_type == FrameType.GLOBAL:
            decode_foundation(f.header.command_id, f.payload)
    except DecodeError:
        pass
