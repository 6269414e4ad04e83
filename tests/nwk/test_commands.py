"""NWK command frames (Zigbee spec R22 3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.nwk.commands import (
    CapabilityInformation,
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    EndDeviceTimeoutStatus,
    Leave,
    LinkPowerDelta,
    LinkPowerDeltaEntry,
    LinkPowerDeltaType,
    LinkStatus,
    LinkStatusEntry,
    ManyToOne,
    NetworkReport,
    NetworkStatus,
    NetworkUpdate,
    NwkCommand,
    NwkCommandId,
    NwkStatusCode,
    RejoinRequest,
    RejoinResponse,
    RejoinStatus,
    RouteRecord,
    RouteReply,
    RouteRequest,
    UnknownNwkCommand,
    decode_command,
    end_device_timeout_seconds,
)

PROPS = settings(max_examples=250, deadline=None)
EPID = 0x00124B00DEADBEEF
EPID_LE = "efbeadde004b1200"

# (command, on-air payload) hand-assembled from the figures of Zigbee spec R22 3.4
VECTORS: list[tuple[NwkCommand, str]] = [
    # 3.4.1 Figure 3-12: options | rreq id | destination | path cost [| destination IEEE]
    (RouteRequest(0x21, 0x4321, 0), "01" "00" "21" "2143" "00"),
    (RouteRequest(0x22, 0xFFFC, 0, many_to_one=ManyToOne.WITH_ROUTE_RECORD), "01" "08" "22" "fcff" "00"),
    (RouteRequest(0x23, 0xFFFC, 0, many_to_one=ManyToOne.WITHOUT_ROUTE_RECORD), "01" "10" "23" "fcff" "00"),
    (RouteRequest(0x24, 0x0042, 2, dst_ieee=EPID, multicast=True), "01" "60" "24" "4200" "02" + EPID_LE),
    # 3.4.2 Figure 3-14: options | rreq id | originator | responder | path cost [| IEEEs]
    (RouteReply(0x21, 0x0000, 0x4321, 5), "02" "00" "21" "0000" "2143" "05"),
    (RouteReply(0x21, 0x0000, 0x4321, 5, originator_ieee=EPID, responder_ieee=EPID + 1),
     "02" "30" "21" "0000" "2143" "05" + EPID_LE + "f0beadde004b1200"),
    (RouteReply(0x21, 0x0001, 0x4321, 5, responder_ieee=EPID, multicast=True), "02" "60" "21" "0100" "2143" "05" + EPID_LE),
    # 3.4.3 Figure 3-16: status code | destination address [| unknown command id]
    (NetworkStatus(NwkStatusCode.NO_ROUTE_AVAILABLE, 0x4321), "03" "00" "2143"),
    (NetworkStatus(NwkStatusCode.ADDRESS_CONFLICT, 0x1234), "03" "0d" "3412"),
    (NetworkStatus(NwkStatusCode.BAD_KEY_SEQUENCE_NUMBER, 0x1234), "03" "12" "3412"),
    (NetworkStatus(NwkStatusCode.UNKNOWN_COMMAND, 0x3333, 0x0E), "03" "13" "3333" "0e"),
    # 3.4.4 Figure 3-18: options (rejoin 0x20, request 0x40, remove children 0x80)
    (Leave(), "04" "00"),
    (Leave(rejoin=True), "04" "20"),
    (Leave(request=True), "04" "40"),
    (Leave(remove_children=True, request=True, rejoin=True), "04" "e0"),
    # 3.4.5 Figure 3-20: relay count | relay list
    (RouteRecord(()), "05" "00"),
    (RouteRecord((0x1001, 0x1002, 0x1003)), "05" "03" "0110" "0210" "0310"),
    # 3.4.6 Figure 3-22: capability information (FFD | mains | RX on idle | allocate address)
    (RejoinRequest(CapabilityInformation(0x8E)), "06" "8e"),
    # 3.4.7 Figure 3-23: network address | rejoin status
    (RejoinResponse(0x5A5A), "07" "5a5a" "00"),
    (RejoinResponse(0xFFFF, RejoinStatus.PAN_ACCESS_DENIED), "07" "ffff" "02"),
    # 3.4.8 Figure 3-25: options (count | first 0x20 | last 0x40) | entries (addr, in | out << 4)
    (LinkStatus(()), "08" "60"),
    (LinkStatus((LinkStatusEntry(0x0001, 1, 3), LinkStatusEntry(0xBEEF, 7, 7)), first_frame=False, last_frame=True),
     "08" "42" "0100" "31" "efbe" "77"),
    # 3.4.9 Figure 3-28: options (count | type << 5) | EPID | PAN IDs
    (NetworkReport(EPID, (0x1A62, 0x1A63)), "09" "02" + EPID_LE + "621a" "631a"),
    # 3.4.10 Figure 3-30: options (count 1 | type << 5) | EPID | update id | new PAN ID
    (NetworkUpdate(EPID, 4, 0x2B73), "0a" "01" + EPID_LE + "04" "732b"),
    # 3.4.11 / 3.4.12
    (EndDeviceTimeoutRequest(8, 0), "0b" "08" "00"),
    (EndDeviceTimeoutResponse(EndDeviceTimeoutStatus.SUCCESS, True, True, True), "0c" "00" "07"),
    (EndDeviceTimeoutResponse(EndDeviceTimeoutStatus.INCORRECT_VALUE, timeout_request_keepalive=True), "0c" "01" "02"),
    # 3.4.13: options (type) | count | (address, int8 delta)*
    (LinkPowerDelta((LinkPowerDeltaEntry(1, -3), LinkPowerDeltaEntry(2, 5)), LinkPowerDeltaType.REQUEST),
     "0d" "01" "02" "0100" "fd" "0200" "05"),
    (UnknownNwkCommand(0x0E, b"\x01\x02"), "0e" "0102"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cmd", "hexstr"), VECTORS, ids=[f"{type(c).__name__}-{i}" for i, (c, _) in enumerate(VECTORS)]
)
def test_vectors(cmd: NwkCommand, hexstr: str) -> None:
    raw = bytes.fromhex(hexstr)
    assert cmd.encode() == raw
    assert decode_command(raw) == cmd
    assert type(cmd).decode(raw) == cmd


def test_every_command_id_has_a_vector() -> None:
    ids = {c.command_id for c, _ in VECTORS}
    assert set(NwkCommandId) <= ids


def test_command_ids() -> None:
    assert [int(c) for c in NwkCommandId] == list(range(1, 14))
    assert int(NwkCommandId.LINK_POWER_DELTA) == 0x0D  # Wireshark ZBEE_NWK_CMD_LINK_PWR_DELTA


def test_route_record_count_mismatch_is_decode_error() -> None:
    """Regression: a relay count disagreeing with the payload length has crashed deployed stacks."""
    good = RouteRecord((1, 2)).encode()
    for bad in (
        b"\x05\x03" + good[2:],  # count says 3, two relays present
        b"\x05\x01" + good[2:],  # count says 1, two relays present
        b"\x05\xff",  # count 255, no relay at all
        good[:-1],  # last relay cut in half
        good + b"\x00",  # odd trailing byte
    ):
        with pytest.raises(DecodeError) as ei:
            decode_command(bad)
        assert ei.value.field == "route_record.relay_list"
        assert ei.value.offset == 2
    with pytest.raises(DecodeError) as ei:
        decode_command(b"\x05")
    assert ei.value.field == "route_record.relay_count"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("08 03 0100 31", "link_status.link_status_list"),
        ("0d 00 02 0100 fd", "link_power_delta.power_delta_list"),
        ("09 03" + EPID_LE + "621a", "network_report.report_information"),
        ("09 21" + EPID_LE + "621a", "network_report.report_type"),
        ("0a 02" + EPID_LE + "04 732b", "network_update.update_information_count"),
        ("0a 21" + EPID_LE + "04 732b", "network_update.update_type"),
        ("03 13 3333", "network_status.unknown_command_id"),
        ("01 20 21 2143 00 0102", "route_request.destination_ieee_address"),
        ("02 10 21 0000 2143 05", "route_reply.originator_ieee_address"),
        ("04", "leave.options"),
        ("04 00 00", "leave"),
        ("06 8e 00", "rejoin_request"),
        ("07 5a5a", "rejoin_response.rejoin_status"),
        ("0b 08", "end_device_timeout_request.end_device_configuration"),
        ("0c 00 07 00", "end_device_timeout_response"),
        ("", "nwk_cmd.command_id"),
    ],
)
def test_decode_errors_name_the_field(raw: str, field: str) -> None:
    with pytest.raises(DecodeError) as ei:
        decode_command(bytes.fromhex(raw.replace(" ", "")))
    assert ei.value.field == field


def test_wrong_command_id_for_class() -> None:
    with pytest.raises(DecodeError) as ei:
        RouteRequest.decode(Leave().encode())
    assert ei.value.field == "nwk_cmd.command_id"


def test_unknown_values_decode_to_int() -> None:
    st_ = decode_command(bytes.fromhex("037f3412"))
    assert (
        isinstance(st_, NetworkStatus)
        and st_.status == 0x7F
        and not isinstance(st_.status, NwkStatusCode)
    )
    rr = decode_command(bytes.fromhex("011801fcff00"))
    assert (
        isinstance(rr, RouteRequest)
        and rr.many_to_one == 3
        and not isinstance(rr.many_to_one, ManyToOne)
    )
    rj = decode_command(bytes.fromhex("07010055"))
    assert isinstance(rj, RejoinResponse) and rj.status == 0x55
    ed = decode_command(bytes.fromhex("0c0900"))
    assert isinstance(ed, EndDeviceTimeoutResponse) and ed.status == 9
    lp = decode_command(bytes.fromhex("0d0300"))
    assert isinstance(lp, LinkPowerDelta) and lp.type == 3
    tmo = decode_command(
        bytes.fromhex("0b0f00")
    )  # reserved timeout: the parent answers INCORRECT_VALUE
    assert tmo == EndDeviceTimeoutRequest(15, 0)
    unk = decode_command(b"\xee")
    assert unk == UnknownNwkCommand(0xEE, b"")


def test_reserved_option_bits_ignored() -> None:
    assert decode_command(bytes.fromhex("018721214300")) == RouteRequest(0x21, 0x4321, 0)
    assert decode_command(bytes.fromhex("041f")) == Leave()
    assert decode_command(bytes.fromhex("0880")) == LinkStatus((), False, False)
    assert decode_command(bytes.fromhex("08a1010088")) == LinkStatus(
        (LinkStatusEntry(1, 0, 0),), True, False
    )


def test_capability_keeps_reserved_bits() -> None:
    cmd = decode_command(b"\x06\xff")
    assert isinstance(cmd, RejoinRequest) and cmd.capability == 0xFF and cmd.encode() == b"\x06\xff"


def test_end_device_timeout_table() -> None:
    # Zigbee spec Table 3-54: 0 = 10 s, n = 2^n minutes
    assert end_device_timeout_seconds(0) == 10
    assert end_device_timeout_seconds(1) == 120
    assert end_device_timeout_seconds(8) == 256 * 60
    assert end_device_timeout_seconds(14) == 16384 * 60
    with pytest.raises(ValueError):
        end_device_timeout_seconds(15)


@pytest.mark.parametrize(
    "cmd",
    [
        RouteRequest(256, 0, 0),
        RouteRequest(0, 0x10000, 0),
        RouteRequest(0, 0, 0, many_to_one=4),
        RouteRequest(0, 0, 0, dst_ieee=-1),
        RouteReply(0, 0, 0, 256),
        NetworkStatus(NwkStatusCode.UNKNOWN_COMMAND, 0),
        NetworkStatus(NwkStatusCode.NO_ROUTE_AVAILABLE, 0, 5),
        NetworkStatus(256, 0),
        RouteRecord(tuple(range(256))),
        RouteRecord((0x10000,)),
        RejoinRequest(256),
        RejoinResponse(0x10000),
        LinkStatus(tuple(LinkStatusEntry(i, 1, 1) for i in range(32))),
        LinkStatus((LinkStatusEntry(1, 8, 1),)),
        LinkStatus((LinkStatusEntry(0x10000, 1, 1),)),
        NetworkReport(EPID, tuple(range(32))),
        NetworkReport(EPID, (), report_type=1),
        NetworkReport(1 << 64, ()),
        NetworkUpdate(EPID, 0, 0, update_type=1),
        NetworkUpdate(EPID, 256, 0),
        EndDeviceTimeoutRequest(256),
        EndDeviceTimeoutResponse(256),
        LinkPowerDelta((LinkPowerDeltaEntry(1, 128),)),
        LinkPowerDelta((), type=4),
        UnknownNwkCommand(0x01, b""),
        UnknownNwkCommand(0x100, b""),
    ],
)
def test_encode_misuse(cmd: NwkCommand) -> None:
    with pytest.raises(LocalProtocolError):
        cmd.encode()


# -- properties ----------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)
opt64 = st.none() | u64


commands: st.SearchStrategy[NwkCommand] = st.one_of(
    st.builds(RouteRequest, u8, u16, u8, st.sampled_from([*ManyToOne, 3]), opt64, st.booleans()),
    st.builds(RouteReply, u8, u16, u16, u8, opt64, opt64, st.booleans()),
    st.builds(
        lambda code, dst, unk: NetworkStatus(
            code, dst, unk if code == NwkStatusCode.UNKNOWN_COMMAND else None
        ),
        st.sampled_from(list(NwkStatusCode)) | u8,
        u16,
        u8,
    ),
    st.builds(Leave, st.booleans(), st.booleans(), st.booleans()),
    st.builds(RouteRecord, st.lists(u16, max_size=40).map(tuple)),
    st.builds(RejoinRequest, u8.map(CapabilityInformation)),
    st.builds(RejoinResponse, u16, st.sampled_from(list(RejoinStatus)) | u8),
    st.builds(
        LinkStatus,
        st.lists(
            st.builds(LinkStatusEntry, u16, st.integers(0, 7), st.integers(0, 7)), max_size=31
        ).map(tuple),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(NetworkReport, u64, st.lists(u16, max_size=31).map(tuple)),
    st.builds(NetworkUpdate, u64, u8, u16),
    st.builds(EndDeviceTimeoutRequest, u8, u8),
    st.builds(
        EndDeviceTimeoutResponse,
        st.sampled_from(list(EndDeviceTimeoutStatus)) | u8,
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(
        LinkPowerDelta,
        st.lists(st.builds(LinkPowerDeltaEntry, u16, st.integers(-128, 127)), max_size=30).map(
            tuple
        ),
        st.sampled_from([*LinkPowerDeltaType, 3]),
    ),
    st.builds(UnknownNwkCommand, st.integers(0x0E, 0xFF) | st.just(0x00), st.binary(max_size=20)),
)


@PROPS
@given(commands)
def test_round_trip(cmd: NwkCommand) -> None:
    raw = cmd.encode()
    assert raw[0] == cmd.command_id
    assert decode_command(raw) == cmd
    assert type(cmd).decode(raw) == cmd


def _decode_ok_or_error(data: bytes) -> None:
    try:
        cmd = decode_command(data)
    except DecodeError as e:
        assert 0 <= e.offset <= len(data)
        return
    assert decode_command(cmd.encode()) == cmd


@PROPS
@given(st.binary(max_size=40))
def test_decode_any_bytes(data: bytes) -> None:
    _decode_ok_or_error(data)


@PROPS
@given(st.sampled_from(list(NwkCommandId)), st.binary(max_size=30))
def test_decode_any_body_for_each_command(cid: NwkCommandId, body: bytes) -> None:
    _decode_ok_or_error(bytes((cid,)) + body)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(commands).encode())
    for _ in range(draw(st.integers(1, 3))):
        if not raw:
            break
        i = draw(st.integers(0, len(raw) - 1))
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        if op == "flip":
            raw[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del raw[i:]
        elif op == "insert":
            raw.insert(i, draw(u8))
        else:
            del raw[i]
    return bytes(raw)


@PROPS
@given(mutated())
def test_decode_mutated(data: bytes) -> None:
    _decode_ok_or_error(data)
