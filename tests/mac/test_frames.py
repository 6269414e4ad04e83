"""IEEE 802.15.4 MAC frame codec (802.15.4-2006 7.2, 802.15.4-2015 7.2) and FCS."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import framing
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import AssociationRequest, BeaconRequest, CapabilityInformation
from zigmesh.mac.fcs import append_fcs, fcs16, fcs_ok
from zigmesh.mac.frames import (
    AddrMode,
    Beacon,
    FrameType,
    FrameVersion,
    GtsDescriptor,
    KeyIdMode,
    MacFrame,
    MacSecurityHeader,
    SecurityLevel,
    SuperframeSpec,
    peek_dst,
)
from zigmesh.types import EUI64

EXT_A = EUI64("ac:de:48:00:00:00:00:01")
EXT_B = EUI64("ac:de:48:00:00:00:00:02")

# ------------------------------------------------------------------------------------------
# FCS (802.15.4-2006 7.2.1.9)
# ------------------------------------------------------------------------------------------


def test_fcs_check_value() -> None:
    # CRC-16/KERMIT check value
    assert fcs16(b"123456789") == 0x2189
    assert fcs16(b"") == 0


def test_fcs_matches_reference_and_residue() -> None:
    for n in range(0, 130, 7):
        data = bytes((i * 37 + n) & 0xFF for i in range(n))
        assert append_fcs(data)[-2:] == framing.fcs(data)
        assert fcs_ok(append_fcs(data))
        assert not fcs_ok(append_fcs(data)[:-1] + b"\x00" if n else b"\x01\x00")
    assert not fcs_ok(b"\x00")


def test_fcs_ack_vector() -> None:
    # immediate ACK, seq 0x56: 02 00 56 + FCS (little-endian on the air)
    psdu = MacFrame.ack(0x56).encode()
    assert psdu[:3] == bytes.fromhex("020056")
    assert psdu == append_fcs(bytes.fromhex("020056"))


# ------------------------------------------------------------------------------------------
# Spec vectors
# ------------------------------------------------------------------------------------------


def test_annex_c21_secured_beacon_header() -> None:
    """802.15.4-2006 Annex C.2.1: beacon, MIC-64, extended source, 2006 frame."""
    mpdu = bytes.fromhex("08D0842143010000000048DEAC020500000055CF000051525354")
    f = MacFrame.decode(append_fcs(mpdu))
    assert f.frame_type is FrameType.BEACON
    assert f.frame_version is FrameVersion.V2006
    assert f.seq == 0x84
    assert (f.dst_mode, f.dst_pan, f.dst_addr) == (AddrMode.NONE, None, None)
    assert (f.src_mode, f.src_pan, f.src_addr) == (AddrMode.EXTENDED, 0x4321, EXT_A)
    assert isinstance(f.src_addr, EUI64)
    assert f.security == MacSecurityHeader(SecurityLevel.MIC_64, 5)
    assert f.security.key_id_mode is KeyIdMode.IMPLICIT
    assert f.security.mic_length == 8
    b = f.as_beacon()
    assert b.superframe == SuperframeSpec(5, 5, 15, False, True, True)
    assert b.payload == bytes.fromhex("51525354")
    assert f.encode() == append_fcs(mpdu)


def test_annex_c22_secured_data_header() -> None:
    """802.15.4-2006 Annex C.2.2: data, ENC, extended addresses, PAN ID compression."""
    mpdu = bytes.fromhex("69DC842143020000000048DEAC010000000048DEAC0405000000D43E022B")
    f = MacFrame.decode(append_fcs(mpdu))
    assert f.frame_type is FrameType.DATA and f.ack_request and not f.frame_pending
    assert f.pan_id_compression
    assert (f.dst_pan, f.dst_addr, f.src_pan, f.src_addr) == (0x4321, EXT_B, 0x4321, EXT_A)
    assert f.security == MacSecurityHeader(SecurityLevel.ENC, 5)
    assert f.payload == bytes.fromhex("D43E022B")  # secured payload kept raw
    assert f.encode() == append_fcs(mpdu)


def test_annex_c23_secured_command_header() -> None:
    """802.15.4-2006 Annex C.2.3: association request, ENC-MIC-64, src PAN 0xFFFF."""
    mpdu = bytes.fromhex(
        "2BDC842143020000000048DEACFFFF010000000048DEAC060500000001D84FDE529061F9C6F1"
    )
    f = MacFrame.decode(append_fcs(mpdu))
    assert f.frame_type is FrameType.MAC_COMMAND
    assert not f.pan_id_compression
    assert (f.dst_pan, f.src_pan) == (0x4321, 0xFFFF)
    assert f.security is not None and f.security.security_level is SecurityLevel.ENC_MIC_64
    assert f.payload[0] == 0x01  # the command identifier stays in the clear (2006)
    assert f.encode() == append_fcs(mpdu)


def test_zigbee_data_frame_matches_reference_framing() -> None:
    payload = bytes.fromhex("0800000034121e07")
    ref = framing.mac_data(payload, seq=9, pan=0x1A62, dst=0x0000, src=0x1234)
    f = MacFrame.data(0x1A62, 0x0000, 0x1234, payload, seq=9)
    assert f.encode() == ref
    assert ref[:2] == bytes.fromhex("6188")  # data, AR, PAN ID compression, short/short 2003
    assert MacFrame.decode(ref) == f


@pytest.mark.parametrize(
    ("frame", "mpdu_hex"),
    [
        (MacFrame.ack(0x21), "020021"),
        (MacFrame.ack(0x21, frame_pending=True), "120021"),
        (
            MacFrame.command(BeaconRequest(), seq=0x33, dst_pan=0xFFFF, dst_addr=0xFFFF),
            "030833ffffffff07",
        ),
        (
            MacFrame.command(
                AssociationRequest(CapabilityInformation(False, True, True, True, False, True)),
                seq=0x34,
                dst_pan=0x1A62,
                dst_addr=0x0000,
                src_pan=0xFFFF,
                src_addr=EXT_A,
            ),
            "23c8" + "34" + "621a" + "0000" + "ffff" + "010000000048deac" + "018e",
        ),
        (
            MacFrame.beacon(
                0x1A62,
                0x0000,
                Beacon(SuperframeSpec(15, 15, 15, False, True, True), payload=b"\x00"),
                seq=0x35,
            ),
            "0080" + "35" + "621a" + "0000" + "ffcf" + "00" + "00" + "00",
        ),
    ],
)
def test_known_encodings(frame: MacFrame, mpdu_hex: str) -> None:
    psdu = frame.encode()
    assert psdu == append_fcs(bytes.fromhex(mpdu_hex))
    assert MacFrame.decode(psdu) == frame


# ------------------------------------------------------------------------------------------
# Address modes and PAN ID compression
# ------------------------------------------------------------------------------------------

MODES = (AddrMode.NONE, AddrMode.SHORT, AddrMode.EXTENDED)


def _addr(mode: AddrMode, which: int) -> int | None:
    if mode == AddrMode.NONE:
        return None
    if mode == AddrMode.SHORT:
        return 0x1000 + which
    return EXT_A if which else EXT_B


@pytest.mark.parametrize("version", [FrameVersion.V2003, FrameVersion.V2006])
@pytest.mark.parametrize("dm", MODES)
@pytest.mark.parametrize("sm", MODES)
@pytest.mark.parametrize("same_pan", [True, False])
def test_address_combos_2003_2006(
    version: FrameVersion, dm: AddrMode, sm: AddrMode, same_pan: bool
) -> None:
    dst_pan = 0x1A62 if dm else None
    src_pan = (0x1A62 if same_pan else 0xBEEF) if sm else None
    f = MacFrame(
        FrameType.DATA,
        0x42,
        dst_pan,
        _addr(dm, 0),
        dm,
        src_pan,
        _addr(sm, 1),
        sm,
        frame_version=version,
        payload=b"hi",
    )
    psdu = f.encode()
    fcf = int.from_bytes(psdu[:2], "little")
    comp = bool(dm and sm and same_pan)
    assert bool(fcf & 0x40) == comp == f.pan_id_compression
    assert (fcf >> 10) & 3 == dm and (fcf >> 14) & 3 == sm and (fcf >> 12) & 3 == version
    alen = {0: 0, 2: 2, 3: 8}
    expect = 3 + (2 if dm else 0) + alen[dm] + (2 if sm and not comp else 0) + alen[sm]
    assert len(psdu) == expect + 2 + 2
    assert MacFrame.decode(psdu) == f
    assert peek_dst(psdu) == (FrameType.DATA, False, 0x42, dst_pan, _addr(dm, 0), dm)


# 802.15.4-2015 Table 7-2: (dst mode, src mode, dst PAN present, src PAN present, compression)
N, S, E = AddrMode.NONE, AddrMode.SHORT, AddrMode.EXTENDED
TABLE_7_2 = [
    (N, N, False, False, 0),
    (N, N, True, False, 1),
    (S, N, True, False, 0),
    (E, N, True, False, 0),
    (S, N, False, False, 1),
    (E, N, False, False, 1),
    (N, S, False, True, 0),
    (N, E, False, True, 0),
    (N, S, False, False, 1),
    (N, E, False, False, 1),
    (E, E, True, False, 0),
    (E, E, False, False, 1),
    (S, S, True, True, 0),
    (S, E, True, True, 0),
    (E, S, True, True, 0),
    (S, E, True, False, 1),
    (E, S, True, False, 1),
    (S, S, True, False, 1),
]


@pytest.mark.parametrize(("dm", "sm", "dpan", "span", "comp"), TABLE_7_2)
def test_pan_id_compression_2015_table_7_2(
    dm: AddrMode, sm: AddrMode, dpan: bool, span: bool, comp: int
) -> None:
    dst_pan = 0x1111 if dpan else None
    src_pan = 0x2222 if span else None
    f = MacFrame(
        FrameType.DATA,
        7,
        dst_pan,
        _addr(dm, 0),
        dm,
        src_pan,
        _addr(sm, 1),
        sm,
        frame_version=FrameVersion.V2015,
        payload=b"x",
    )
    psdu = f.encode()
    fcf = int.from_bytes(psdu[:2], "little")
    assert (fcf >> 6) & 1 == comp
    alen = {0: 0, 2: 2, 3: 8}
    assert len(psdu) == 3 + 2 * dpan + 2 * span + alen[dm] + alen[sm] + 1 + 2
    g = MacFrame.decode(psdu)
    # an elided source PAN ID of a frame with both addresses is the destination PAN ID
    implied = dst_pan if (dm and sm and dpan and not span) else src_pan
    assert g == dataclasses.replace(f, src_pan=implied)
    assert peek_dst(psdu)[3] == dst_pan


def test_2015_src_pan_equal_to_dst_is_compressed() -> None:
    f = MacFrame.data(
        0x1A62, 0x0001, 0x0002, b"p", frame_version=FrameVersion.V2015, src_pan=0x1A62
    )
    assert f.pan_id_compression
    assert MacFrame.decode(f.encode()) == f


def test_2015_sequence_suppression_and_header_ies() -> None:
    # header IE: CSL IE (id 0x1a) of 4 bytes, then HT2 (id 0x7f) before the payload
    csl = (4 | (0x1A << 7)).to_bytes(2, "little") + b"\x01\x02\x03\x04"
    ht2 = (0x7F << 7).to_bytes(2, "little")
    f = MacFrame(
        FrameType.DATA,
        None,
        0x1A62,
        0x0001,
        AddrMode.SHORT,
        0x1A62,
        0x0002,
        AddrMode.SHORT,
        frame_version=FrameVersion.V2015,
        header_ies=csl + ht2,
        payload=b"payload",
    )
    psdu = f.encode()
    fcf = int.from_bytes(psdu[:2], "little")
    assert fcf & 0x0100 and fcf & 0x0200
    assert MacFrame.decode(psdu) == f
    assert peek_dst(psdu)[2] is None
    # without a termination IE the list runs to the end of the frame
    g = dataclasses.replace(f, header_ies=csl, payload=b"")
    assert MacFrame.decode(g.encode()) == g
    # an enhanced ACK: 2015, IE present with no IEs at all
    h = MacFrame(FrameType.ACK, 3, frame_version=FrameVersion.V2015, header_ies=b"")
    assert MacFrame.decode(h.encode()) == h


def test_2015_missing_ht1_before_payload_ie() -> None:
    # payload IE descriptor (type bit 15) directly after the MHR: header IE list is empty
    pie = (0x8000 | (1 << 11) | 0).to_bytes(2, "little")
    f = MacFrame(
        FrameType.DATA,
        1,
        0x1A62,
        0x0001,
        AddrMode.SHORT,
        0x1A62,
        0x0002,
        AddrMode.SHORT,
        frame_version=FrameVersion.V2015,
        header_ies=b"",
        payload=pie + b"data",
    )
    assert MacFrame.decode(f.encode()) == f


@pytest.mark.parametrize(
    "sec",
    [
        MacSecurityHeader(SecurityLevel.ENC_MIC_32, 0x01020304),
        MacSecurityHeader(SecurityLevel.MIC_32, 1, key_index=5),
        MacSecurityHeader(SecurityLevel.ENC_MIC_64, 2, key_source=b"\x01\x02\x03\x04", key_index=6),
        MacSecurityHeader(SecurityLevel.ENC_MIC_128, 3, key_source=bytes(range(8)), key_index=7),
    ],
)
@pytest.mark.parametrize("version", [FrameVersion.V2006, FrameVersion.V2015])
def test_security_headers(sec: MacSecurityHeader, version: FrameVersion) -> None:
    f = MacFrame.data(0x1A62, 0x0001, 0x0002, b"cipher+mic", frame_version=version, security=sec)
    psdu = f.encode()
    assert psdu[2] == f.seq
    assert psdu[9] == sec.control()
    assert len(psdu) == 9 + len(sec) + 10 + 2
    assert MacFrame.decode(psdu) == f
    assert MacSecurityHeader.decode(sec.encode(), version) == sec


def test_security_2015_frame_counter_suppression() -> None:
    sec = MacSecurityHeader(SecurityLevel.ENC_MIC_32, None, key_index=1, asn_in_nonce=True)
    assert sec.control() == 0x05 | 0x08 | 0x20 | 0x40
    f = MacFrame.data(0x1A62, 1, 2, b"x", frame_version=FrameVersion.V2015, security=sec)
    assert MacFrame.decode(f.encode()) == f
    with pytest.raises(LocalProtocolError):
        dataclasses.replace(f, frame_version=FrameVersion.V2006).encode()


def test_2006_reserved_security_control_bits_ignored() -> None:
    mpdu = bytes.fromhex("69DC842143020000000048DEAC010000000048DEAC") + b"\x64"
    mpdu += b"\x05\x00\x00\x00" + b"xy"  # control 0x64: level 4, bits 5-6 reserved in 2006
    f = MacFrame.decode(append_fcs(mpdu))
    assert f.security == MacSecurityHeader(SecurityLevel.ENC, 5)


# ------------------------------------------------------------------------------------------
# Beacons (802.15.4-2006 7.2.2.1)
# ------------------------------------------------------------------------------------------


def test_beacon_with_gts_and_pending_addresses() -> None:
    b = Beacon(
        SuperframeSpec(6, 4, 10, True, True, False),
        gts_permit=True,
        gts=(GtsDescriptor(0x1234, 11, 2, True), GtsDescriptor(0x5678, 13, 3, False)),
        pending_short=(0x0001, 0x0002),
        pending_extended=(EXT_A,),
        payload=b"bp",
    )
    enc = b.encode()
    sf = 6 | (4 << 4) | (10 << 8) | 0x1000 | 0x4000
    assert enc[:2] == sf.to_bytes(2, "little")
    assert enc[2] == 0x82  # 2 descriptors, GTS permit
    assert enc[3] == 0x01  # directions: first receive-only
    assert enc[4:10] == bytes.fromhex("34122b78563d")
    assert enc[10] == 0x12  # 2 short, 1 extended pending
    assert enc[11:15] == bytes.fromhex("01000200")
    assert enc[15:23] == EXT_A.to_bytes_le()
    assert enc[23:] == b"bp"
    assert Beacon.decode(enc) == b
    f = MacFrame.beacon(0x1A62, 0x0000, b, seq=9)
    assert MacFrame.decode(f.encode()).as_beacon() == b


def test_superframe_spec_round_trip_all_bits() -> None:
    for v in (0x0000, 0xFFFF & ~0x2000, 0xCFFF, 0x1234 & ~0x2000):
        assert SuperframeSpec.from_int(v).to_int() == v
        assert SuperframeSpec.decode(v.to_bytes(2, "little")).to_int() == v


def test_enhanced_beacon_2015_payload_not_validated() -> None:
    f = MacFrame(
        FrameType.BEACON,
        1,
        src_pan=0x1A62,
        src_addr=0x0000,
        src_mode=AddrMode.SHORT,
        frame_version=FrameVersion.V2015,
        header_ies=b"\x80\x3f",  # HT2
        payload=b"\x01",
    )
    assert MacFrame.decode(f.encode()) == f
    with pytest.raises(DecodeError):
        f.as_beacon()


def test_truncated_beacon_regression() -> None:
    """A truncated beacon that crashed deployed stacks: 00 80 56 00 05 FA 07 22 CF 00.

    Beacon, 2003, short source 0x07FA on PAN 0x0500. As a PSDU the last two bytes (CF 00) are
    the FCS and the MAC payload is the single byte 22: no room for the superframe spec. Read
    as an MPDU without FCS, the pending address specification is missing.
    """
    psdu = bytes.fromhex("00805600 05FA0722CF00".replace(" ", ""))
    with pytest.raises(DecodeError) as e:
        MacFrame.decode(psdu)
    assert e.value.field == "fcs"
    with pytest.raises(DecodeError) as e:
        MacFrame.decode(psdu, check_fcs=False)
    assert e.value.field == "superframe_spec" and e.value.offset == 7
    with pytest.raises(DecodeError) as e:
        MacFrame.decode(append_fcs(psdu))  # the whole thing as the MPDU, valid FCS
    assert e.value.field == "pending_address_spec" and e.value.offset == 10
    with pytest.raises(DecodeError):
        Beacon.decode(psdu[7:])
    with pytest.raises(DecodeError):
        peek_dst(psdu[:3])


# ------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mpdu_hex", "field"),
    [
        ("04000100", "frame_control.frame_type"),  # reserved frame type 4
        ("05000100", "frame_control.frame_type"),  # multipurpose
        ("06000100", "frame_control.frame_type"),  # fragment
        ("07000100", "frame_control.frame_type"),  # extended
        ("01040100", "frame_control.dst_addr_mode"),
        ("01400100", "frame_control.src_addr_mode"),
        ("01300100", "frame_control.frame_version"),
        ("41080101000200", "frame_control.pan_id_compression"),  # 2003, dst only + compression
        ("4180010100020000", "frame_control.pan_id_compression"),  # 2003, src only + compression
        ("4988", "sequence_number"),
        ("418801", "dst_pan"),
        ("41880162", "dst_pan"),
        ("4188016200", "dst_addr"),
        ("418c016200010203040506070809", "src_addr"),
        ("498801620000003412", "frame_control.security_enabled"),  # 2003 security
        ("499801620000003412", "aux_security.security_control"),
        ("49980162000000341205", "aux_security.frame_counter"),
        ("4998016200000034120d00000000", "aux_security.key_index"),
        ("499801620000003412150000000000", "aux_security.key_source"),
    ],
)
def test_decode_errors(mpdu_hex: str, field: str) -> None:
    with pytest.raises(DecodeError) as e:
        MacFrame.decode(append_fcs(bytes.fromhex(mpdu_hex)))
    assert e.value.field == field


def test_2015_header_ie_errors() -> None:
    base = bytes.fromhex("0123")  # data, 2015, IE present, seq suppressed, no addresses
    with pytest.raises(DecodeError) as e:
        MacFrame.decode(append_fcs(base + b"\x05"))
    assert e.value.field == "header_ie.descriptor"
    with pytest.raises(DecodeError) as e:
        MacFrame.decode(append_fcs(base + (5 | (0x1A << 7)).to_bytes(2, "little") + b"ab"))
    assert e.value.field == "header_ie.content"


def test_short_and_bad_fcs() -> None:
    for n in range(4):
        with pytest.raises(DecodeError):
            MacFrame.decode(bytes(n), check_fcs=False)
        with pytest.raises(DecodeError):
            peek_dst(bytes(n))
    psdu = bytearray(MacFrame.ack(1).encode())
    psdu[-1] ^= 0xFF
    with pytest.raises(DecodeError) as e:
        MacFrame.decode(bytes(psdu))
    assert (e.value.field, e.value.offset) == ("fcs", 3)
    assert MacFrame.decode(bytes(psdu), check_fcs=False) == MacFrame.ack(1)


def test_encode_misuse() -> None:
    ok = MacFrame.data(0x1A62, 0x0001, 0x0002, b"x")
    v2015 = dataclasses.replace(ok, frame_version=FrameVersion.V2015)
    bad = [
        dataclasses.replace(ok, dst_addr=None),  # mode without address
        dataclasses.replace(ok, dst_mode=AddrMode.NONE),  # address without mode
        dataclasses.replace(ok, seq=None),  # suppression needs 2015
        dataclasses.replace(ok, seq=300),
        dataclasses.replace(ok, dst_pan=None),
        dataclasses.replace(ok, header_ies=b""),  # IEs need 2015
        dataclasses.replace(ok, frame_type=FrameType.MULTIPURPOSE),
        MacFrame(FrameType.DATA, 1, dst_pan=5),  # 2003: PAN ID without address
        dataclasses.replace(
            v2015,
            dst_addr=EXT_A,
            dst_mode=AddrMode.EXTENDED,
            src_addr=EXT_B,
            src_mode=AddrMode.EXTENDED,
            src_pan=0x9999,
        ),  # 2015 extended/extended carries one PAN ID at most
        dataclasses.replace(v2015, dst_pan=None),
        dataclasses.replace(v2015, src_addr=None, src_mode=AddrMode.NONE),  # lone src PAN
    ]
    for f in bad:
        with pytest.raises(LocalProtocolError):
            f.encode()


def test_constructor_defaults() -> None:
    uni = MacFrame.data(0x1A62, 0x0001, 0x0002, b"")
    assert uni.ack_request and uni.src_pan == 0x1A62
    bcast = MacFrame.data(0x1A62, 0xFFFF, 0x0002, b"")
    assert not bcast.ack_request
    ext = MacFrame.data(0x1A62, EXT_A, 0x0002, b"")
    assert ext.dst_mode is AddrMode.EXTENDED and ext.src_mode is AddrMode.SHORT
    big = MacFrame.data(0x1A62, 0x00124B0001020304, 0x0002, b"")
    assert big.dst_mode is AddrMode.EXTENDED
    forced = MacFrame.data(0x1A62, 0x1234, 0x0002, b"", dst_mode=AddrMode.EXTENDED)
    assert MacFrame.decode(forced.encode()).dst_addr == 0x1234


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------


def _check_decoded(f: MacFrame) -> None:
    """A decoded frame re-encodes, and that encoding decodes to the same value."""
    again = MacFrame.decode(f.encode())
    assert again == f


def _decode_or_error(psdu: bytes, check_fcs: bool) -> None:
    try:
        f = MacFrame.decode(psdu, check_fcs=check_fcs)
    except DecodeError:
        return
    _check_decoded(f)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=130), st.booleans())
def test_any_bytes_decode_or_decode_error(data: bytes, check_fcs: bool) -> None:
    _decode_or_error(data, check_fcs)
    _decode_or_error(append_fcs(data), True)
    with contextlib.suppress(DecodeError):
        peek_dst(data)


def _valid_frames() -> list[bytes]:
    sec = MacSecurityHeader(SecurityLevel.ENC_MIC_32, 9, key_source=b"abcd", key_index=1)
    return [
        MacFrame.data(0x1A62, 0x0000, 0x1234, b"\x08\x00abcdefgh", seq=4).encode(),
        MacFrame.data(0x1A62, EXT_A, 0x1234, b"zz", src_pan=0x0001).encode(),
        MacFrame.data(0x1A62, 0x1234, EXT_B, b"zz", frame_version=FrameVersion.V2006).encode(),
        MacFrame.data(0x1A62, 1, 2, b"s", frame_version=FrameVersion.V2006, security=sec).encode(),
        MacFrame.data(0x1A62, 1, 2, b"s", frame_version=FrameVersion.V2015, security=sec).encode(),
        MacFrame.ack(5, True).encode(),
        MacFrame.command(BeaconRequest(), dst_pan=0xFFFF, dst_addr=0xFFFF).encode(),
        MacFrame.beacon(
            0x1A62,
            0,
            Beacon(
                gts=(GtsDescriptor(1, 2, 3),),
                pending_short=(7,),
                pending_extended=(EXT_A,),
                payload=b"\x00\x22\x8c" + bytes(12),
            ),
        ).encode(),
        MacFrame(
            FrameType.DATA,
            None,
            0x1A62,
            EXT_A,
            AddrMode.EXTENDED,
            0x1A62,
            EXT_B,
            AddrMode.EXTENDED,
            frame_version=FrameVersion.V2015,
            header_ies=(2 | (0x1A << 7)).to_bytes(2, "little") + b"ab" + b"\x80\x3f",
            payload=b"pl",
        ).encode(),
    ]


VALID = _valid_frames()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, 130),
    st.booleans(),
)
def test_mutated_frames_decode_or_decode_error(
    psdu: bytes, edits: list[tuple[int, int]], cut: int, fix_fcs: bool
) -> None:
    body = bytearray(psdu[:-2])
    for pos, val in edits:
        if body:
            body[pos % len(body)] = val
    body = body[: max(cut, 2)] if cut < len(body) else body
    mutated = append_fcs(bytes(body)) if fix_fcs else bytes(body) + psdu[-2:]
    _decode_or_error(mutated, True)
    _decode_or_error(mutated, False)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_beacon_any_bytes(data: bytes) -> None:
    try:
        b = Beacon.decode(data)
    except DecodeError:
        return
    assert Beacon.decode(b.encode()) == b


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(MODES),
    st.sampled_from(MODES),
    st.sampled_from(list(FrameVersion)),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.booleans(),
    st.booleans(),
    st.sampled_from(list(FrameType)[:4]),
    st.binary(max_size=20),
)
def test_round_trip_generated(
    dm: AddrMode,
    sm: AddrMode,
    version: FrameVersion,
    pan_a: int,
    pan_b: int,
    pending: bool,
    ar: bool,
    ft: FrameType,
    payload: bytes,
) -> None:
    if ft == FrameType.BEACON and version != FrameVersion.V2015:
        payload = Beacon(payload=payload).encode()
    dst_pan = pan_a if dm else None
    src_pan = pan_b if sm else None
    if version == FrameVersion.V2015 and dm == sm == AddrMode.EXTENDED:
        src_pan = dst_pan
    f = MacFrame(
        ft,
        pan_a & 0xFF,
        dst_pan,
        _addr(dm, 0),
        dm,
        src_pan,
        _addr(sm, 1),
        sm,
        pending,
        ar,
        version,
        payload=payload,
    )
    psdu = f.encode()
    assert MacFrame.decode(psdu) == f
    assert peek_dst(psdu) == (ft, ar, f.seq, dst_pan, f.dst_addr, dm)
