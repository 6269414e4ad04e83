"""APS command payloads (Zigbee spec R22 4.4.10; SKKE / EA from the Zigbee 2007 spec 4.4.9)."""

from __future__ import annotations

from enum import IntEnum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.aps.commands import (
    ApsCommand,
    ApsCommandId,
    ApsStatus,
    ConfirmKey,
    EaChallenge,
    EaKeyType,
    EaMacData,
    KeyType,
    RemoveDevice,
    RequestKey,
    RequestKeyType,
    Skke,
    SwitchKey,
    TransportApplicationLinkKey,
    TransportNetworkKey,
    TransportTrustCenterLinkKey,
    Tunnel,
    UnknownApsCommand,
    UpdateDevice,
    UpdateDeviceStatus,
    VerifyKey,
    decode_command,
)
from zigmesh.aps.frames import ApsFrame, ApsFrameType, secure_aps, unsecure_aps
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.security.aux import AuxHeader, KeyId

TC = 0x00124B0001020304
DEV = 0x8877665544332211
KEY = bytes(range(16))
KEY_HEX = KEY.hex()
TC_HEX = "04030201004b1200"
DEV_HEX = "1122334455667788"

_TUNNELLED = ApsFrame(
    ApsFrameType.COMMAND,
    counter=0x31,
    aux=AuxHeader(KeyId.KEY_TRANSPORT_KEY, 0x10, source=TC),
    payload=b"\xaa\xbb\xcc\xdd\xee",
)

# Field layouts: Zigbee spec R22 Figures 4-8 to 4-17 (Table 4-9 identifiers)
VECTORS: list[tuple[str, ApsCommand, str]] = [
    (
        "transport tc link key",
        TransportTrustCenterLinkKey(KEY, DEV, TC),
        f"05 04 {KEY_HEX} {DEV_HEX} {TC_HEX}",
    ),
    (
        "transport tc master key (pre-R20)",
        TransportTrustCenterLinkKey(KEY, DEV, TC, KeyType.TRUST_CENTER_MASTER_KEY),
        f"05 00 {KEY_HEX} {DEV_HEX} {TC_HEX}",
    ),
    (
        "transport network key",
        TransportNetworkKey(KEY, 0x12, DEV, TC),
        f"05 01 {KEY_HEX} 12 {DEV_HEX} {TC_HEX}",
    ),
    (
        "transport broadcast network key",
        TransportNetworkKey(KEY, 0, 0, TC),
        f"05 01 {KEY_HEX} 00 0000000000000000 {TC_HEX}",
    ),
    (
        "transport high-security network key (pre-R20)",
        TransportNetworkKey(KEY, 1, DEV, TC, KeyType.HIGH_SECURITY_NETWORK_KEY),
        f"05 05 {KEY_HEX} 01 {DEV_HEX} {TC_HEX}",
    ),
    (
        "transport app link key, initiator",
        TransportApplicationLinkKey(KEY, DEV, True),
        f"05 03 {KEY_HEX} {DEV_HEX} 01",
    ),
    (
        "transport app link key, responder",
        TransportApplicationLinkKey(KEY, DEV, False),
        f"05 03 {KEY_HEX} {DEV_HEX} 00",
    ),
    (
        "transport app master key (pre-R20)",
        TransportApplicationLinkKey(KEY, DEV, True, KeyType.APPLICATION_MASTER_KEY),
        f"05 02 {KEY_HEX} {DEV_HEX} 01",
    ),
    (
        "update device",
        UpdateDevice(DEV, 0x1234, UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN),
        f"06 {DEV_HEX} 3412 01",
    ),
    ("update device, reserved status", UpdateDevice(DEV, 0xFFFE, 7), f"06 {DEV_HEX} feff 07"),
    ("remove device", RemoveDevice(DEV), f"07 {DEV_HEX}"),
    ("request tc link key", RequestKey(RequestKeyType.TRUST_CENTER_LINK_KEY), "08 04"),
    ("request network key (pre-R21)", RequestKey(RequestKeyType.NETWORK_KEY), "08 01"),
    (
        "request app link key",
        RequestKey(RequestKeyType.APPLICATION_LINK_KEY, DEV),
        f"08 02 {DEV_HEX}",
    ),
    ("switch key", SwitchKey(0xA5), "09 a5"),
    (
        "tunnel",
        Tunnel(DEV, _TUNNELLED),
        f"0e {DEV_HEX} 21 31 30 10000000 {TC_HEX} aabbccddee",
    ),
    (
        "verify key",
        VerifyKey(KeyType.TRUST_CENTER_LINK_KEY, DEV, KEY),
        f"0f 04 {DEV_HEX} {KEY_HEX}",
    ),
    (
        "confirm key",
        ConfirmKey(ApsStatus.SUCCESS, KeyType.TRUST_CENTER_LINK_KEY, DEV),
        f"10 00 04 {DEV_HEX}",
    ),
    (
        "confirm key, failure",
        ConfirmKey(ApsStatus.SECURITY_FAIL, KeyType.TRUST_CENTER_LINK_KEY, DEV),
        f"10 ad 04 {DEV_HEX}",
    ),
    ("skke-1", Skke(ApsCommandId.SKKE_1, DEV, TC, KEY), f"01 {DEV_HEX} {TC_HEX} {KEY_HEX}"),
    ("skke-4", Skke(ApsCommandId.SKKE_4, TC, DEV, KEY), f"04 {TC_HEX} {DEV_HEX} {KEY_HEX}"),
    (
        "ea initiator challenge, network key",
        EaChallenge(ApsCommandId.EA_INITIATOR_CHALLENGE, EaKeyType.NETWORK_KEY, 3, DEV, TC, KEY),
        f"0a 00 03 {DEV_HEX} {TC_HEX} {KEY_HEX}",
    ),
    (
        "ea responder challenge, link key",
        EaChallenge(ApsCommandId.EA_RESPONDER_CHALLENGE, EaKeyType.LINK_KEY, None, TC, DEV, KEY),
        f"0b 01 {TC_HEX} {DEV_HEX} {KEY_HEX}",
    ),
    (
        "ea initiator mac data",
        EaMacData(
            ApsCommandId.EA_INITIATOR_MAC_DATA, KEY, EaKeyType.NETWORK_KEY, b"\x01\x02\x03\x04"
        ),
        f"0c {KEY_HEX} 00 01020304",
    ),
    (
        "ea responder mac data",
        EaMacData(ApsCommandId.EA_RESPONDER_MAC_DATA, KEY, EaKeyType.LINK_KEY, b"\x05\x06\x07\x08"),
        f"0d {KEY_HEX} 01 05060708",
    ),
    ("unknown command", UnknownApsCommand(0x3F, b"\x01\x02"), "3f 0102"),
    (
        "relay message (R23, not parsed)",
        UnknownApsCommand(ApsCommandId.RELAY_MESSAGE_DOWNSTREAM, b"\x00"),
        "11 00",
    ),
    (
        "transport key, unknown key type",
        UnknownApsCommand(ApsCommandId.TRANSPORT_KEY, b"\x09\x01"),
        "05 09 01",
    ),
]


@pytest.mark.parametrize(("name", "cmd", "hexstr"), VECTORS, ids=[v[0] for v in VECTORS])
def test_vectors(name: str, cmd: ApsCommand, hexstr: str) -> None:
    raw = bytes.fromhex(hexstr.replace(" ", ""))
    assert cmd.encode() == raw
    assert decode_command(raw) == cmd
    if not isinstance(cmd, UnknownApsCommand):
        assert type(cmd).decode(raw) == cmd


def test_command_ids() -> None:
    """R22 Table 4-9 values."""
    r22 = {
        "TRANSPORT_KEY": 0x05,
        "UPDATE_DEVICE": 0x06,
        "REMOVE_DEVICE": 0x07,
        "REQUEST_KEY": 0x08,
        "SWITCH_KEY": 0x09,
        "TUNNEL": 0x0E,
        "VERIFY_KEY": 0x0F,
        "CONFIRM_KEY": 0x10,
    }
    assert {name: int(ApsCommandId[name]) for name in r22} == r22
    for _, cmd, _ in VECTORS:
        assert cmd.encode()[0] == cmd.command_id


def test_unknown_enum_values_decode_to_int() -> None:
    c = decode_command(bytes.fromhex(f"10 55 99 {DEV_HEX}".replace(" ", "")))
    assert c == ConfirmKey(0x55, 0x99, DEV)
    assert isinstance(c, ConfirmKey)
    assert type(c.status) is int and type(c.key_type) is int
    r = decode_command(b"\x08\x07")
    assert isinstance(r, RequestKey) and r == RequestKey(7) and type(r.key_type) is int
    u = decode_command(bytes.fromhex(f"06 {DEV_HEX} 0000 00".replace(" ", "")))
    assert isinstance(u, UpdateDevice) and type(u.status) is UpdateDeviceStatus
    unknown = decode_command(b"\x12")
    assert unknown == UnknownApsCommand(ApsCommandId.RELAY_MESSAGE_UPSTREAM)
    assert type(unknown.command_id) is ApsCommandId


def test_tunnelled_frame_opens() -> None:
    """The tunnelled frame of a Tunnel command is the secured APS command as the TC built it."""
    inner = TransportNetworkKey(KEY, 1, DEV, TC)
    f = ApsFrame(
        ApsFrameType.COMMAND,
        counter=9,
        aux=AuxHeader(KeyId.KEY_TRANSPORT_KEY, 77, source=TC),
        payload=inner.encode(),
    )
    wire = secure_aps(f, b"ZigBeeAlliance09")
    t = Tunnel(DEV, ApsFrame.decode(wire))
    back = decode_command(t.encode())
    assert isinstance(back, Tunnel)
    assert back.frame.encode() == wire
    assert decode_command(unsecure_aps(back.frame.encode(), b"ZigBeeAlliance09").payload) == inner


@pytest.mark.parametrize(
    ("hexstr", "field", "offset"),
    [
        ("", "aps_cmd.command_id", 0),
        ("05", "aps_cmd.key_type", 1),
        ("0504" + "00" * 10, "aps_cmd.key", 2),
        ("0504" + "00" * 16 + "0102", "aps_cmd.dest", 18),
        ("0504" + "00" * 24, "aps_cmd.source", 26),
        ("0504" + "00" * 33, "aps_cmd", 34),  # trailing byte
        ("0501" + "00" * 16, "aps_cmd.key_seq", 18),
        ("0503" + "00" * 24, "aps_cmd.initiator", 26),
        ("0503" + "00" * 24 + "02", "aps_cmd.initiator", 26),  # flag must be 0 or 1
        ("06" + "00" * 8 + "00", "aps_cmd.short_address", 9),
        ("06" + "00" * 10, "aps_cmd.status", 11),
        ("0700", "aps_cmd.target", 1),
        ("08", "aps_cmd.key_type", 1),
        ("0802" + "00" * 7, "aps_cmd.partner", 2),
        ("080400", "aps_cmd", 2),
        ("09", "aps_cmd.key_seq", 1),
        ("0e" + "00" * 8, "aps_cmd.tunnel.aps.frame_control", 9),
        ("0e" + "00" * 8 + "21", "aps_cmd.tunnel.aps.counter", 10),
        ("0f04" + "00" * 8 + "00" * 15, "aps_cmd.key_hash", 10),
        ("1000", "aps_cmd.key_type", 2),
        ("100004" + "00" * 7, "aps_cmd.dest", 3),
        ("01" + "00" * 31, "aps_cmd.data", 17),
        ("0a00", "aps_cmd.key_seq", 2),
        ("0a01" + "00" * 31, "aps_cmd.challenge", 18),
        ("0c" + "00" * 17 + "0102", "aps_cmd.data", 18),
    ],
)
def test_errors(hexstr: str, field: str, offset: int) -> None:
    with pytest.raises(DecodeError) as ei:
        decode_command(bytes.fromhex(hexstr))
    assert ei.value.field == field
    assert ei.value.offset == offset


def test_decode_checks_command_id() -> None:
    with pytest.raises(DecodeError):
        SwitchKey.decode(b"\x08\x01")
    with pytest.raises(DecodeError):
        TransportNetworkKey.decode(TransportTrustCenterLinkKey(KEY, DEV, TC).encode())
    with pytest.raises(DecodeError):
        TransportTrustCenterLinkKey.decode(TransportNetworkKey(KEY, 1, DEV, TC).encode())
    with pytest.raises(DecodeError):
        TransportApplicationLinkKey.decode(TransportNetworkKey(KEY, 1, DEV, TC).encode())
    with pytest.raises(DecodeError):
        Skke.decode(SwitchKey(1).encode())
    with pytest.raises(DecodeError):
        EaChallenge.decode(SwitchKey(1).encode())
    with pytest.raises(DecodeError):
        EaMacData.decode(SwitchKey(1).encode())


@pytest.mark.parametrize(
    "make",
    [
        lambda: TransportNetworkKey(KEY[:15], 0, DEV, TC),
        lambda: TransportNetworkKey(KEY, 0, DEV, TC, KeyType.TRUST_CENTER_LINK_KEY),
        lambda: TransportTrustCenterLinkKey(KEY, DEV, TC, KeyType.STANDARD_NETWORK_KEY),
        lambda: TransportApplicationLinkKey(KEY, DEV, True, KeyType.TRUST_CENTER_LINK_KEY),
        lambda: TransportApplicationLinkKey(KEY + b"\x00", DEV, True),
        lambda: RequestKey(RequestKeyType.APPLICATION_LINK_KEY),
        lambda: RequestKey(RequestKeyType.TRUST_CENTER_LINK_KEY, DEV),
        lambda: VerifyKey(KeyType.TRUST_CENTER_LINK_KEY, DEV, b"short"),
        lambda: Skke(ApsCommandId.SWITCH_KEY, DEV, TC, KEY),
        lambda: Skke(ApsCommandId.SKKE_1, DEV, TC, KEY[:4]),
        lambda: EaChallenge(
            ApsCommandId.EA_INITIATOR_CHALLENGE, EaKeyType.NETWORK_KEY, None, DEV, TC, KEY
        ),
        lambda: EaChallenge(
            ApsCommandId.EA_INITIATOR_CHALLENGE, EaKeyType.LINK_KEY, 1, DEV, TC, KEY
        ),
        lambda: EaChallenge(ApsCommandId.SKKE_1, EaKeyType.LINK_KEY, None, DEV, TC, KEY),
        lambda: EaMacData(ApsCommandId.EA_INITIATOR_MAC_DATA, KEY, 0, b"\x00"),
        lambda: EaMacData(ApsCommandId.SKKE_1, KEY, 0, b"\x00" * 4),
    ],
)
def test_invalid_construction(make: object) -> None:
    with pytest.raises(LocalProtocolError):
        make()  # type: ignore[operator]


# -- properties ---------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)
key16 = st.binary(min_size=16, max_size=16)


def _maybe_enum(enum: type[IntEnum]) -> st.SearchStrategy[int]:
    """Defined members of ``enum`` and plain ints that are not (unknown values)."""
    defined = {int(m) for m in enum}
    return st.one_of(st.sampled_from(list(enum)), u8.filter(lambda v: v not in defined))


commands: st.SearchStrategy[ApsCommand] = st.one_of(
    st.builds(
        TransportTrustCenterLinkKey,
        key16,
        u64,
        u64,
        st.sampled_from([KeyType.TRUST_CENTER_LINK_KEY, KeyType.TRUST_CENTER_MASTER_KEY]),
    ),
    st.builds(
        TransportNetworkKey,
        key16,
        u8,
        u64,
        u64,
        st.sampled_from([KeyType.STANDARD_NETWORK_KEY, KeyType.HIGH_SECURITY_NETWORK_KEY]),
    ),
    st.builds(
        TransportApplicationLinkKey,
        key16,
        u64,
        st.booleans(),
        st.sampled_from([KeyType.APPLICATION_LINK_KEY, KeyType.APPLICATION_MASTER_KEY]),
    ),
    st.builds(UpdateDevice, u64, u16, _maybe_enum(UpdateDeviceStatus)),
    st.builds(RemoveDevice, u64),
    st.builds(RequestKey, _maybe_enum(RequestKeyType).filter(lambda v: v != 2)),
    st.builds(RequestKey, st.just(RequestKeyType.APPLICATION_LINK_KEY), u64),
    st.builds(SwitchKey, u8),
    st.builds(
        Tunnel,
        u64,
        st.builds(
            ApsFrame,
            st.just(ApsFrameType.COMMAND),
            counter=u8,
            aux=st.builds(
                AuxHeader,
                st.sampled_from([KeyId.KEY_TRANSPORT_KEY, KeyId.DATA_KEY]),
                st.integers(0, 2**32 - 1),
                u64,
            ),
            payload=st.binary(max_size=40),
        ),
    ),
    st.builds(VerifyKey, _maybe_enum(KeyType), u64, key16),
    st.builds(ConfirmKey, _maybe_enum(ApsStatus), _maybe_enum(KeyType), u64),
    st.builds(
        Skke,
        st.sampled_from(
            [ApsCommandId.SKKE_1, ApsCommandId.SKKE_2, ApsCommandId.SKKE_3, ApsCommandId.SKKE_4]
        ),
        u64,
        u64,
        key16,
    ),
    st.builds(
        EaChallenge,
        st.sampled_from([ApsCommandId.EA_INITIATOR_CHALLENGE, ApsCommandId.EA_RESPONDER_CHALLENGE]),
        st.just(EaKeyType.NETWORK_KEY),
        u8,
        u64,
        u64,
        key16,
    ),
    st.builds(
        EaChallenge,
        st.sampled_from([ApsCommandId.EA_INITIATOR_CHALLENGE, ApsCommandId.EA_RESPONDER_CHALLENGE]),
        st.integers(1, 0xFF),
        st.none(),
        u64,
        u64,
        key16,
    ),
    st.builds(
        EaMacData,
        st.sampled_from([ApsCommandId.EA_INITIATOR_MAC_DATA, ApsCommandId.EA_RESPONDER_MAC_DATA]),
        key16,
        _maybe_enum(EaKeyType),
        st.binary(min_size=4, max_size=4),
    ),
    st.builds(UnknownApsCommand, st.integers(0x13, 0xFF), st.binary(max_size=20)),
)


@settings(max_examples=300)
@given(commands)
def test_round_trip_property(cmd: ApsCommand) -> None:
    raw = cmd.encode()
    assert raw[0] == cmd.command_id
    assert decode_command(raw) == cmd


@settings(max_examples=300)
@given(st.binary(max_size=48))
def test_decode_any_bytes(data: bytes) -> None:
    try:
        cmd = decode_command(data)
    except DecodeError:
        return
    assert cmd.encode() == data or isinstance(cmd, Tunnel)


@settings(max_examples=300)
@given(commands, st.data())
def test_decode_mutations(cmd: ApsCommand, data: st.DataObject) -> None:
    raw = bytearray(cmd.encode())
    cut = data.draw(st.integers(0, len(raw)))
    mutated = bytearray(raw[:cut])
    if mutated:
        i = data.draw(st.integers(0, len(mutated) - 1))
        mutated[i] = data.draw(u8)
    try:
        got = decode_command(bytes(mutated))
    except DecodeError:
        return
    assert got.encode() == bytes(mutated) or isinstance(got, Tunnel)
