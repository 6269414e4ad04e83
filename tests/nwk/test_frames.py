"""NWK frame codec and NWK frame security (Zigbee spec R22 3.3.1, 4.3.1)."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.framing import nwk_data
from zigmesh.errors import DecodeError, LocalProtocolError, SecurityError
from zigmesh.nwk.frames import (
    FC_DST_IEEE,
    FC_END_DEVICE_INITIATOR,
    FC_MULTICAST,
    FC_SECURITY,
    FC_SOURCE_ROUTE,
    FC_SRC_IEEE,
    DiscoverRoute,
    MulticastControl,
    MulticastMode,
    NwkFrame,
    NwkFrameType,
    SourceRoute,
    secure_nwk,
    unsecure_nwk,
)
from zigmesh.security.aux import AuxHeader, KeyId

KEY = bytes(range(1, 17))  # 01:02:...:10
IEEE = 0x00124B0001020304
AUX = AuxHeader(KeyId.NETWORK_KEY, 0x01020304, IEEE, 0)
PROPS = settings(max_examples=250, deadline=None)


# -- spec vectors (hand-assembled from Zigbee spec Figure 3-5 / 3-6) --------------------------


def test_vector_plain_data_frame() -> None:
    # FC 0x0008: data frame, protocol version 2, discover route suppress, no options
    raw = bytes.fromhex("0800000034121e07aabb")
    f = NwkFrame.decode(raw)
    assert f == NwkFrame(NwkFrameType.DATA, 0x0000, 0x1234, 30, 7, b"\xaa\xbb")
    assert f.encode() == raw == nwk_data(b"\xaa\xbb")
    assert f.header_length == 8
    assert not (
        f.security
        or f.multicast_flag
        or f.source_route_flag
        or f.dst_ieee_present
        or f.src_ieee_present
    )


def test_vector_command_with_source_ieee() -> None:
    # FC 0x1009: command, version 2, source IEEE present; broadcast to routers (0xfffc)
    raw = bytes.fromhex("0910fcff34121e0804030201004b12000100212143 00".replace(" ", ""))
    f = NwkFrame.decode(raw)
    assert f.frame_type is NwkFrameType.COMMAND
    assert (f.dst, f.src, f.radius, f.seq, f.src_ieee, f.dst_ieee) == (
        0xFFFC,
        0x1234,
        30,
        8,
        IEEE,
        None,
    )
    assert f.payload == bytes.fromhex("010021214300")
    assert f.encode() == raw


def test_vector_every_header_option() -> None:
    # FC 0x3d49: command | version 2 | discover route enable | multicast | source route
    #   | destination IEEE | source IEEE | end device initiator
    raw = bytes.fromhex(
        "493d" "4200" "0000" "05" "09"
        "ddccbbaa004b1200"  # destination IEEE
        "04030201004b1200"  # source IEEE
        "b5"  # multicast: mode 1 (member), non-member radius 5, max non-member radius 5
        "02" "01" "0110" "0210"  # source route: 2 relays, index 1
        "0400"
    )  # fmt: skip
    f = NwkFrame.decode(raw)
    assert f == NwkFrame(
        NwkFrameType.COMMAND, 0x0042, 0x0000, 5, 9, b"\x04\x00",
        discover_route=DiscoverRoute.ENABLE, end_device_initiator=True,
        dst_ieee=0x00124B00AABBCCDD, src_ieee=IEEE,
        multicast=MulticastControl(MulticastMode.MEMBER, 5, 5),
        source_route=SourceRoute(1, (0x1001, 0x1002)),
    )  # fmt: skip
    assert f.encode() == raw
    assert f.header_length == len(raw) - 2
    assert f.frame_control == 0x3D49


def test_vector_inter_pan() -> None:
    # inter-PAN: the NWK header is the frame control only (0x000b: type 3, version 2)
    raw = bytes.fromhex("0b000306000401")
    f = NwkFrame.decode(raw)
    assert f == NwkFrame(NwkFrameType.INTER_PAN, 0, 0, 0, 0, bytes.fromhex("0306000401"))
    assert f.encode() == raw
    assert f.header_length == 2
    assert NwkFrame.decode(raw[:3]).payload == b"\x03"


def _independent_secure(
    header: bytes, counter: int, source: int, key_seq: int, plain: bytes
) -> bytes:
    """Zigbee spec 4.3.1.1 done by hand: nonce = source | counter | 0x2d; AAD = header | aux(level 5)."""
    ctl5 = 0x05 | (1 << 3) | 0x20  # level 5, network key, extended nonce
    aux_tail = counter.to_bytes(4, "little") + source.to_bytes(8, "little") + bytes((key_seq,))
    nonce = source.to_bytes(8, "little") + counter.to_bytes(4, "little") + bytes((ctl5,))
    sealed = AESCCM(KEY, tag_length=4).encrypt(nonce, plain, header + bytes((ctl5,)) + aux_tail)
    return header + bytes((ctl5 & ~0x07,)) + aux_tail + sealed


def test_vector_secured_frame() -> None:
    """NWK security (Zigbee spec 4.3.1.1): level 0 on air, level 5 in nonce and AAD.

    The same bytes are decrypted by Wireshark in test_nwk_tshark.py.
    """
    plain = bytes.fromhex("0800000000003412")  # a link status-ish payload, content irrelevant
    frame = NwkFrame(NwkFrameType.COMMAND, 0xFFFC, 0x1234, 1, 0x55, plain, src_ieee=IEEE, aux=AUX)
    wire = secure_nwk(frame, KEY)
    hdr = bytes.fromhex("0912fcff3412015504030201004b1200")  # FC 0x1209: security + src IEEE
    assert wire == _independent_secure(hdr, 0x01020304, IEEE, 0, plain)
    assert wire[len(hdr)] == 0x28  # security control on air: level 0, key id 1, extended nonce
    assert wire.hex() == (
        "0912fcff34120155" "04030201004b1200" "28" "04030201" "04030201004b1200" "00"
        + wire[-12:].hex()
    )  # fmt: skip
    assert unsecure_nwk(wire, KEY) == frame


def test_fixed_secured_vector_regression() -> None:
    # regression vector produced once by secure_nwk (the construction is checked against
    # tshark in test_nwk_tshark.py and against a hand-built CCM* above)
    wire = bytes.fromhex(
        "091ffcff00001e08010000000000000004030201004b120069020105000600"
        "280500000004030201004b1200003fc5fdd7b71c480a2f"
    )
    f = unsecure_nwk(wire, KEY)
    assert f.payload == bytes.fromhex("0861010031")  # link status, 1 entry
    assert f.aux == AuxHeader(KeyId.NETWORK_KEY, 5, IEEE, 0)
    assert f.source_route == SourceRoute(1, (5, 6))
    assert f.multicast == MulticastControl(MulticastMode.MEMBER, 2, 3)
    assert secure_nwk(f, KEY) == wire


# -- derived bits --------------------------------------------------------------------------------


def test_presence_bits_are_derived() -> None:
    base = NwkFrame(NwkFrameType.DATA, 1, 2, 3, 4, b"x")
    assert base.frame_control == 0x0008
    assert replace(base, dst_ieee=1).frame_control & FC_DST_IEEE
    assert replace(base, src_ieee=1).frame_control & FC_SRC_IEEE
    assert replace(base, multicast=MulticastControl()).frame_control & FC_MULTICAST
    assert replace(base, source_route=SourceRoute(0, ())).frame_control & FC_SOURCE_ROUTE
    assert replace(base, aux=AUX).frame_control & FC_SECURITY
    assert replace(base, end_device_initiator=True).frame_control & FC_END_DEVICE_INITIATOR
    assert replace(base, aux=AUX).security


def test_reserved_values_decode_to_int() -> None:
    raw = bytearray(nwk_data(b"\x01"))
    raw[0] = 0x02 | (2 << 2) | (3 << 6)  # reserved frame type 2, discover route 3
    f = NwkFrame.decode(bytes(raw))
    assert f.frame_type == 2 and not isinstance(f.frame_type, NwkFrameType)
    assert f.discover_route == 3 and not isinstance(f.discover_route, DiscoverRoute)
    assert f.encode() == bytes(raw)
    mc = NwkFrame(NwkFrameType.DATA, 1, 2, 3, 4, b"x", multicast=MulticastControl(2, 0, 0))
    assert NwkFrame.decode(mc.encode()).multicast == MulticastControl(2, 0, 0)


def test_other_protocol_version_decodes() -> None:
    f = NwkFrame(NwkFrameType.DATA, 1, 2, 3, 4, b"x", protocol_version=1)
    assert NwkFrame.decode(f.encode()) == f


def test_reserved_frame_control_bits_ignored() -> None:
    raw = bytearray(nwk_data(b"\x01"))
    raw[1] |= 0xC0
    assert NwkFrame.decode(bytes(raw)) == NwkFrame.decode(nwk_data(b"\x01"))


def test_secured_decode_keeps_ciphertext() -> None:
    wire = secure_nwk(NwkFrame(NwkFrameType.DATA, 0, 0x1234, 30, 1, b"hello", aux=AUX), KEY)
    f = NwkFrame.decode(wire)
    assert f.aux == AUX and f.payload != b"hello" and len(f.payload) == 5 + 4
    assert f.encode() == wire


# -- decode errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "field"),
    [
        (0, "nwk.frame_control"),
        (1, "nwk.frame_control"),
        (2, "nwk.destination_address"),
        (3, "nwk.destination_address"),
        (5, "nwk.source_address"),
        (6, "nwk.radius"),
        (7, "nwk.sequence_number"),
        (8, "nwk.payload"),
    ],
)
def test_truncated_fixed_header(n: int, field: str) -> None:
    with pytest.raises(DecodeError) as ei:
        NwkFrame.decode(nwk_data(b"\x01")[:n])
    assert ei.value.field == field


def test_truncated_optional_fields() -> None:
    full = NwkFrame(
        NwkFrameType.DATA, 1, 2, 3, 4, b"\x01\x02\x03\x04\x05",
        dst_ieee=7, src_ieee=8, multicast=MulticastControl(), source_route=SourceRoute(0, (9, 10)), aux=AUX,
    ).encode()  # fmt: skip
    fields = set()
    for n in range(len(full)):
        with pytest.raises(DecodeError) as ei:
            NwkFrame.decode(full[:n])
        assert 0 <= ei.value.offset <= n
        fields.add(ei.value.field)
    assert {
        "nwk.destination_ieee_address",
        "nwk.source_ieee_address",
        "nwk.multicast_control",
        "nwk.source_route.relay_count",
        "nwk.source_route.relay_list",
        "aux.frame_counter",
        "aux.source_address",
        "aux.key_sequence_number",
        "nwk.payload",
    } <= fields


def test_source_route_count_beyond_frame() -> None:
    raw = NwkFrame(
        NwkFrameType.DATA, 1, 2, 3, 4, b"\x01", source_route=SourceRoute(0, (5,))
    ).encode()
    bad = bytearray(raw)
    bad[8] = 200  # relay count
    with pytest.raises(DecodeError) as ei:
        NwkFrame.decode(bytes(bad))
    assert ei.value.field == "nwk.source_route.relay_list" and ei.value.offset == 10


def test_secured_payload_must_exceed_mic() -> None:
    wire = secure_nwk(NwkFrame(NwkFrameType.DATA, 0, 1, 2, 3, b"x", aux=AUX), KEY)
    NwkFrame.decode(wire)
    with pytest.raises(DecodeError) as ei:
        NwkFrame.decode(wire[:-1])
    assert ei.value.field == "nwk.payload"
    with pytest.raises(DecodeError):
        unsecure_nwk(wire[:-1], KEY)


def test_inter_pan_with_header_options_rejected() -> None:
    with pytest.raises(DecodeError) as ei:
        NwkFrame.decode(bytes.fromhex("0b02") + b"\x00" * 20)  # security bit set
    assert ei.value.field == "nwk.frame_control"
    with pytest.raises(DecodeError):
        NwkFrame.decode(bytes.fromhex("0b00"))


# -- encode misuse -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        NwkFrame(NwkFrameType.DATA, 0x10000, 0, 0, 0, b"x"),
        NwkFrame(NwkFrameType.DATA, 0, 0, 256, 0, b"x"),
        NwkFrame(NwkFrameType.DATA, 0, 0, 0, 0, b""),
        NwkFrame(NwkFrameType.DATA, 0, 0, 0, 0, b"x", dst_ieee=1 << 64),
        NwkFrame(NwkFrameType.DATA, 0, 0, 0, 0, b"x", protocol_version=16),
        NwkFrame(4, 0, 0, 0, 0, b"x"),
        NwkFrame(NwkFrameType.DATA, 0, 0, 0, 0, b"x", multicast=MulticastControl(1, 8, 0)),
        NwkFrame(
            NwkFrameType.DATA, 0, 0, 0, 0, b"x", source_route=SourceRoute(0, tuple(range(256)))
        ),
        NwkFrame(NwkFrameType.DATA, 0, 0, 0, 0, b"x", source_route=SourceRoute(0, (0x10000,))),
        NwkFrame(
            NwkFrameType.DATA, 0, 0, 0, 0, b"x", aux=AuxHeader(KeyId.NETWORK_KEY, 1 << 32, 1, 0)
        ),
        NwkFrame(NwkFrameType.INTER_PAN, 1, 0, 0, 0, b"x"),
        NwkFrame(NwkFrameType.INTER_PAN, 0, 0, 0, 0, b"x", src_ieee=1),
    ],
)
def test_encode_misuse_raises_local_protocol_error(frame: NwkFrame) -> None:
    with pytest.raises(LocalProtocolError):
        frame.encode()


# -- security ------------------------------------------------------------------------------------


def test_secure_unsecure_round_trip_fixed_key() -> None:
    for frame in (
        NwkFrame(NwkFrameType.DATA, 0x0000, 0x1234, 30, 1, b"\x00\x01\x06\x00\x04\x01\x01\x03", aux=AUX),
        NwkFrame(NwkFrameType.COMMAND, 0xFFFC, 0x0000, 1, 2, b"\x08\x60", aux=replace(AUX, key_seq=7)),
        NwkFrame(
            NwkFrameType.DATA, 0x4321, 0, 25, 3, bytes(80), source_route=SourceRoute(2, (1, 2, 3)),
            dst_ieee=5, src_ieee=IEEE, multicast=MulticastControl(), aux=AUX,
        ),
    ):  # fmt: skip
        wire = secure_nwk(frame, KEY)
        assert len(wire) == frame.header_length + len(AUX) + len(frame.payload) + 4
        assert unsecure_nwk(wire, KEY) == frame


def test_tampering_is_a_security_error() -> None:
    frame = NwkFrame(NwkFrameType.DATA, 0x0000, 0x1234, 30, 1, b"payload", aux=AUX)
    wire = secure_nwk(frame, KEY)
    aux_at = frame.header_length
    for i in range(len(wire)):
        for bit in range(8):
            bad = bytearray(wire)
            bad[i] ^= 1 << bit
            if i == aux_at and bit < 3:
                # the on-air level bits are replaced by level 5 (Zigbee spec 4.3.1.2): not authenticated
                assert unsecure_nwk(bytes(bad), KEY).payload == b"payload"
                continue
            with pytest.raises((SecurityError, DecodeError)):
                unsecure_nwk(bytes(bad), KEY)
    with pytest.raises(SecurityError):
        unsecure_nwk(wire, bytes(16))


def test_unsecure_rejects_frames_not_nwk_secured() -> None:
    with pytest.raises(SecurityError):
        unsecure_nwk(nwk_data(b"\x01\x02"), KEY)
    link = NwkFrame(NwkFrameType.DATA, 0, 1, 2, 3, bytes(8), aux=AuxHeader(KeyId.DATA_KEY, 1, IEEE))
    with pytest.raises(SecurityError):
        unsecure_nwk(link.encode(), KEY)
    no_nonce = NwkFrame(
        NwkFrameType.DATA, 0, 1, 2, 3, bytes(8), aux=AuxHeader(KeyId.NETWORK_KEY, 1, None, 0)
    )
    with pytest.raises(SecurityError):
        unsecure_nwk(no_nonce.encode(), KEY)


def test_secure_misuse() -> None:
    with pytest.raises(LocalProtocolError):
        secure_nwk(NwkFrame(NwkFrameType.DATA, 0, 1, 2, 3, b"x"), KEY)
    with pytest.raises(LocalProtocolError):
        secure_nwk(
            NwkFrame(
                NwkFrameType.DATA, 0, 1, 2, 3, b"x", aux=AuxHeader(KeyId.NETWORK_KEY, 1, None, 0)
            ),
            KEY,
        )
    with pytest.raises(LocalProtocolError):
        secure_nwk(
            NwkFrame(NwkFrameType.DATA, 0, 1, 2, 3, b"x", aux=AuxHeader(KeyId.DATA_KEY, 1, IEEE)),
            KEY,
        )
    with pytest.raises(LocalProtocolError):
        secure_nwk(NwkFrame(NwkFrameType.DATA, 0, 1, 2, 3, b"", aux=AUX), KEY)


# -- properties ----------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)

auxes = st.builds(
    lambda fc, src, seq: AuxHeader(KeyId.NETWORK_KEY, fc, src, seq),
    st.integers(0, 0xFFFF_FFFF),
    u64,
    u8,
)


@st.composite
def frames(draw: st.DrawFn, secured: bool | None = None) -> NwkFrame:
    ftype = draw(
        st.sampled_from([NwkFrameType.DATA, NwkFrameType.COMMAND, NwkFrameType.INTER_PAN, 2])
    )
    discover = draw(st.sampled_from([DiscoverRoute.SUPPRESS, DiscoverRoute.ENABLE, 2, 3]))
    payload = draw(st.binary(min_size=1, max_size=40))
    if ftype == NwkFrameType.INTER_PAN:
        if secured:
            ftype = NwkFrameType.DATA
        else:
            return NwkFrame(
                ftype, 0, 0, 0, 0, payload, discover, draw(st.integers(0, 15)), draw(st.booleans())
            )
    aux = None
    if secured or (secured is None and draw(st.booleans())):
        aux = draw(auxes)
        if secured is None:  # as on air: ciphertext + MIC
            payload = payload + draw(st.binary(min_size=4, max_size=4))
    return NwkFrame(
        ftype,
        draw(u16),
        draw(u16),
        draw(u8),
        draw(u8),
        payload,
        discover,
        draw(st.integers(0, 15)),
        draw(st.booleans()),
        draw(st.none() | u64),
        draw(st.none() | u64),
        draw(
            st.none()
            | st.builds(
                MulticastControl,
                st.sampled_from([MulticastMode.NON_MEMBER, MulticastMode.MEMBER, 2, 3]),
                st.integers(0, 7),
                st.integers(0, 7),
            )
        ),
        draw(st.none() | st.builds(SourceRoute, u8, st.lists(u16, max_size=12).map(tuple))),
        aux,
    )


@PROPS
@given(frames())
def test_round_trip(frame: NwkFrame) -> None:
    raw = frame.encode()
    assert NwkFrame.decode(raw) == frame
    assert len(raw) == frame.header_length + (len(frame.aux) if frame.aux else 0) + len(
        frame.payload
    )


@PROPS
@given(frames(secured=True))
def test_secure_round_trip(frame: NwkFrame) -> None:
    assert unsecure_nwk(secure_nwk(frame, KEY), KEY) == frame


def _decode_ok_or_error(data: bytes) -> None:
    try:
        f = NwkFrame.decode(data)
    except DecodeError as e:
        assert 0 <= e.offset <= len(data)
        return
    assert NwkFrame.decode(f.encode()) == f


def _unsecure_ok_or_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError, SecurityError):
        unsecure_nwk(data, KEY)


@PROPS
@given(st.binary(max_size=80))
def test_decode_any_bytes(data: bytes) -> None:
    _decode_ok_or_error(data)
    _unsecure_ok_or_error(data)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    raw = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        if not raw:
            break
        i = draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            raw[i] = draw(u8)
        elif op == "truncate":
            del raw[i:]
        elif op == "insert":
            raw.insert(i, draw(u8))
        else:
            del raw[i]
    return bytes(raw)


@PROPS
@given(mutated(frames().map(NwkFrame.encode)))
def test_decode_mutated(data: bytes) -> None:
    _decode_ok_or_error(data)


@PROPS
@given(mutated(frames(secured=True).map(lambda f: secure_nwk(f, KEY))))
def test_unsecure_mutated(data: bytes) -> None:
    _unsecure_ok_or_error(data)
    _decode_ok_or_error(data)
