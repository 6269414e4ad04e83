"""CCM* (Zigbee spec Annex A / C.4; IEEE 802.15.4-2006 Annex B / C.2) and Zigbee frame security
(Zigbee spec 4.3.1 NWK, 4.4.1 APS). Vectors from /work/shared/reference/security-vectors.md."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import framing
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.capture.pcap import write_pcap
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.security import (
    DEFAULT_TC_LINK_KEY,
    MIC_LENGTH,
    AuxHeader,
    KeyId,
    ccm_decrypt,
    ccm_encrypt,
    install_code_to_link_key,
    key_load_key,
    key_transport_key,
    secure_frame,
    unsecure_frame,
)

h = bytes.fromhex
K_ANNEX = h("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF")
NWK_KEY = h("01030507090B0D0F00020406080A0C0D")
SRC = 0x00124B0001020304
TC = 0x00124B00AABBCCDD
JOINER = 0x00158D0011223344
# NWK data frame header, protocol version 2, security bit set (Zigbee spec 3.3.1.1)
NWK_HDR = h("0802000034121e07")
# APS data frame header, security bit set (Zigbee spec 2.2.5.1)
APS_HDR = h("2001060004010109")
ZCL = h("18010a00001001")  # ZCL Report Attributes: OnOff = 1


# -- CCM* vectors ----------------------------------------------------------------------------


def test_v1_zigbee_annex_c4_ccm_mic64() -> None:
    """V1, Zigbee spec Annex C.4: CCM* with M = 8."""
    out = ccm_encrypt(
        K_ANNEX,
        h("A0A1A2A3A4A5A6A70302010006"),
        h("0001020304050607"),
        h("08090A0B0C0D0E0F101112131415161718191A1B1C1D1E"),
        8,
    )
    assert out == h("1A55A36ABB6C610D066B3375649CEF10D4664ECAD854A8") + h("0A895CC1D8FF9469")
    assert ccm_decrypt(
        K_ANNEX, h("A0A1A2A3A4A5A6A70302010006"), h("0001020304050607"), out, 8
    ) == h("08090A0B0C0D0E0F101112131415161718191A1B1C1D1E")


def test_v2_ieee802154_annex_c21_beacon_mic64_only() -> None:
    """V2, IEEE 802.15.4-2006 Annex C.2.1: beacon, MIC-64, no payload (m is empty)."""
    nonce = h("ACDE4800000000010000000502")
    aad = h("08D0842143010000000048DEAC020500000055CF000051525354")
    mic = ccm_encrypt(K_ANNEX, nonce, aad, b"", 8)
    assert mic == h("223BC1EC841AB553")
    assert ccm_decrypt(K_ANNEX, nonce, aad, mic, 8) == b""


def test_v3_ieee802154_annex_c22_data_encryption_only() -> None:
    """V3, IEEE 802.15.4-2006 Annex C.2.2: data frame, encryption only (M = 0)."""
    nonce = h("ACDE4800000000010000000504")
    aad = h("69DC842143020000000048DEAC010000000048DEAC0405000000")
    c = ccm_encrypt(K_ANNEX, nonce, aad, h("61626364"), 0)
    assert c == h("D43E022B")
    assert ccm_decrypt(K_ANNEX, nonce, aad, c, 0) == h("61626364")


def test_v4_ieee802154_annex_c23_command_enc_mic64() -> None:
    """V4, IEEE 802.15.4-2006 Annex C.2.3: MAC command, ENC-MIC-64."""
    nonce = h("ACDE4800000000010000000506")
    aad = h("2BDC842143020000000048DEACFFFF010000000048DEAC060500000001")
    out = ccm_encrypt(K_ANNEX, nonce, aad, h("CE"), 8)
    assert out == h("D8") + h("4FDE529061F9C6F1")
    assert ccm_decrypt(K_ANNEX, nonce, aad, out, 8) == h("CE")


@pytest.mark.parametrize("mic_len", [0, 4, 8, 16])
@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 100])
def test_ccm_round_trip_every_mic_length(mic_len: int, n: int) -> None:
    nonce = bytes(range(13))
    msg = bytes(range(n))
    out = ccm_encrypt(NWK_KEY, nonce, b"aad", msg, mic_len)
    assert len(out) == n + mic_len
    assert ccm_decrypt(NWK_KEY, nonce, b"aad", out, mic_len) == msg


@pytest.mark.parametrize("mic_len", [4, 8, 16])
def test_ccm_mic_failures(mic_len: int) -> None:
    nonce = bytes(range(13))
    out = ccm_encrypt(NWK_KEY, nonce, b"aad", b"payload", mic_len)
    for i in range(len(out)):
        bad = bytearray(out)
        bad[i] ^= 0x40
        with pytest.raises(SecurityError):
            ccm_decrypt(NWK_KEY, nonce, b"aad", bytes(bad), mic_len)
    with pytest.raises(SecurityError):
        ccm_decrypt(NWK_KEY, nonce, b"aaD", out, mic_len)
    with pytest.raises(SecurityError):
        ccm_decrypt(NWK_KEY, bytes(13), b"aad", out, mic_len)
    with pytest.raises(SecurityError):
        ccm_decrypt(NWK_KEY, nonce, b"aad", out[: mic_len - 1], mic_len)


def test_ccm_rejects_bad_nonce_length() -> None:
    with pytest.raises(ValueError):
        ccm_encrypt(NWK_KEY, bytes(12), b"", b"", 4)
    with pytest.raises(ValueError):
        ccm_decrypt(NWK_KEY, bytes(14), b"", bytes(4), 4)


# -- Zigbee frame security ---------------------------------------------------------------------


def nwk_aux(fc: int = 0x01020304) -> AuxHeader:
    return AuxHeader(KeyId.NETWORK_KEY, fc, SRC, 3)


def secured_nwk(payload: bytes = ZCL, level: int = 5) -> bytes:
    return secure_frame(NWK_HDR, nwk_aux(), payload, NWK_KEY, level=level)


def test_secure_frame_layout_and_level_zero_on_air() -> None:
    """Zigbee spec 4.3.1.1 step 8: the security level is sent as 0; MIC-32 appended."""
    frame = secured_nwk()
    off = len(NWK_HDR)
    assert frame[:off] == NWK_HDR
    assert frame[off] & 0x07 == 0
    assert frame[off : off + 14] == nwk_aux().encode(0)
    assert len(frame) == off + 14 + len(ZCL) + 4
    assert frame[off + 14 : off + 14 + len(ZCL)] != ZCL  # encrypted
    aux, plain = unsecure_frame(frame, off, NWK_KEY)
    assert plain == ZCL
    assert aux == nwk_aux()
    assert aux.level == 0


def test_secure_frame_known_answer() -> None:
    """The level-5 substitution computed by hand: nonce and AAD carry level 5 (0x2D)."""
    frame = secured_nwk()
    nonce = SRC.to_bytes(8, "little") + h("04030201") + b"\x2d"
    aad = NWK_HDR + b"\x2d" + nwk_aux().encode()[1:]
    assert frame[len(NWK_HDR) + 14 :] == ccm_encrypt(NWK_KEY, nonce, aad, ZCL, 4)


def test_decrypting_with_air_level_fails() -> None:
    """The classic pitfall: using the on-air level bits (0) instead of 5 in nonce/AAD fails."""
    frame = secured_nwk()
    off = len(NWK_HDR)
    air_ctl = frame[off : off + 1]
    assert air_ctl == b"\x28"
    nonce = SRC.to_bytes(8, "little") + frame[off + 1 : off + 5] + air_ctl
    aad = frame[: off + 14]
    with pytest.raises(SecurityError):
        ccm_decrypt(NWK_KEY, nonce, aad, frame[off + 14 :], 4)
    # trusting the air level (0 = no security) yields the ciphertext, not the payload
    _, garbage = unsecure_frame(frame, off, NWK_KEY, level=0)
    assert garbage != ZCL
    # and any other configured level fails the MIC
    for level in (1, 2, 3, 6, 7):
        with pytest.raises((SecurityError, DecodeError)):
            unsecure_frame(frame, off, NWK_KEY, level=level)


def test_on_air_level_bits_are_replaced_by_receiver() -> None:
    """Zigbee spec 4.3.1.2: the receiver overwrites the level with nwkSecurityLevel."""
    frame = bytearray(secured_nwk())
    frame[len(NWK_HDR)] |= 0x05
    aux, plain = unsecure_frame(bytes(frame), len(NWK_HDR), NWK_KEY)
    assert plain == ZCL
    assert aux.level == 5


def test_reserved_control_bits_are_authenticated() -> None:
    """Reserved control bits enter nonce and AAD as received (as Wireshark does)."""
    off = len(NWK_HDR)
    plain_frame = secured_nwk()
    tampered = bytearray(plain_frame)
    tampered[off] |= 0x40
    with pytest.raises(SecurityError):
        unsecure_frame(bytes(tampered), off, NWK_KEY)
    # a sender that set bit 6 is verified with bit 6 in place
    ctl = 0x28 | 0x40
    air_aux = bytes((ctl,)) + nwk_aux().encode()[1:]
    nonce = SRC.to_bytes(8, "little") + h("04030201") + bytes((ctl | 5,))
    aad = NWK_HDR + bytes((ctl | 5,)) + air_aux[1:]
    frame = NWK_HDR + air_aux + ccm_encrypt(NWK_KEY, nonce, aad, ZCL, 4)
    assert unsecure_frame(frame, off, NWK_KEY)[1] == ZCL


@pytest.mark.parametrize("level", range(8))
def test_every_level_round_trip(level: int) -> None:
    """Zigbee spec Table 4-38: levels 0-7; 1-3 MIC only (payload in clear), 4-7 encrypted."""
    frame = secured_nwk(level=level)
    off = len(NWK_HDR) + 14
    assert len(frame) == off + len(ZCL) + MIC_LENGTH[level]
    assert (frame[off : off + len(ZCL)] == ZCL) == (level < 4)
    aux, plain = unsecure_frame(frame, len(NWK_HDR), NWK_KEY, level=level)
    assert plain == ZCL
    if MIC_LENGTH[level]:
        bad = bytearray(frame)
        bad[off] ^= 1
        with pytest.raises(SecurityError):
            unsecure_frame(bytes(bad), len(NWK_HDR), NWK_KEY, level=level)


def test_aps_frame_without_extended_nonce_needs_source() -> None:
    """Zigbee spec 4.4.1.1: without extended nonce the source IEEE comes from elsewhere."""
    aux = AuxHeader(KeyId.DATA_KEY, 0x77)
    frame = secure_frame(APS_HDR, aux, ZCL, DEFAULT_TC_LINK_KEY, source=TC)
    assert unsecure_frame(frame, len(APS_HDR), DEFAULT_TC_LINK_KEY, source=TC) == (aux, ZCL)
    with pytest.raises(SecurityError):
        unsecure_frame(frame, len(APS_HDR), DEFAULT_TC_LINK_KEY)
    with pytest.raises(SecurityError):
        unsecure_frame(frame, len(APS_HDR), DEFAULT_TC_LINK_KEY, source=JOINER)
    with pytest.raises(SecurityError):
        unsecure_frame(frame, len(APS_HDR), key_transport_key(DEFAULT_TC_LINK_KEY), source=TC)


@pytest.mark.parametrize("payload", [b"", b"\x01", ZCL, bytes(range(90))])
def test_round_trip_payload_sizes(payload: bytes) -> None:
    frame = secured_nwk(payload)
    assert unsecure_frame(frame, len(NWK_HDR), NWK_KEY)[1] == payload


def test_wrong_key_fails() -> None:
    with pytest.raises(SecurityError):
        unsecure_frame(secured_nwk(), len(NWK_HDR), bytes(16))


def test_tamper_any_byte() -> None:
    """Flipping any byte of header, aux, payload or MIC fails: SecurityError (DecodeError
    where the flip changes the aux framing itself)."""
    frame = secured_nwk()
    ctl_at = len(NWK_HDR)
    for i in range(len(frame)):
        for mask in (0x01, 0x80, 0xFF) if i != ctl_at else (0x08, 0x10, 0x20, 0x40, 0x80, 0xF8):
            bad = bytearray(frame)
            bad[i] ^= mask
            if i == ctl_at:
                with pytest.raises((SecurityError, DecodeError)):
                    unsecure_frame(bytes(bad), ctl_at, NWK_KEY)
            else:
                with pytest.raises(SecurityError):
                    unsecure_frame(bytes(bad), ctl_at, NWK_KEY)


@pytest.mark.parametrize("level", [5, 6, 7])
def test_payload_shorter_than_mic(level: int) -> None:
    """Regression: a payload shorter than its MIC -> DecodeError naming 'mic'."""
    head = NWK_HDR + nwk_aux().encode()
    for n in range(MIC_LENGTH[level]):
        with pytest.raises(DecodeError) as ei:
            unsecure_frame(head + bytes(n), len(NWK_HDR), NWK_KEY, level=level)
        assert ei.value.field == "mic"
        assert ei.value.offset == len(head)


def test_truncated_security_header() -> None:
    """Regression: a security header shorter than its fields -> DecodeError naming aux.*."""
    frame = secured_nwk()
    for n in range(len(NWK_HDR), len(NWK_HDR) + 14):
        with pytest.raises(DecodeError) as ei:
            unsecure_frame(frame[:n], len(NWK_HDR), NWK_KEY)
        assert ei.value.field.startswith("aux.")
        assert ei.value.offset >= len(NWK_HDR)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        unsecure_frame(secured_nwk(), -1, NWK_KEY)
    with pytest.raises(ValueError):
        unsecure_frame(secured_nwk(), len(NWK_HDR), NWK_KEY, level=8)
    with pytest.raises(ValueError):
        secure_frame(NWK_HDR, nwk_aux(), ZCL, NWK_KEY, level=-1)


# -- hypothesis --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=64),
    st.integers(0, 66),
    st.sampled_from([None, JOINER]),
    st.sampled_from([0, 4, 5, 6, 7]),
)
def test_any_bytes_into_unsecure_frame(
    data: bytes, aux_offset: int, source: int | None, level: int
) -> None:
    with contextlib.suppress(DecodeError, SecurityError):
        unsecure_frame(data, aux_offset, NWK_KEY, source, level)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=40),
    st.integers(0, 0xFFFFFFFF),
    st.sampled_from(list(KeyId)),
    st.booleans(),
    st.data(),
)
def test_mutated_frames_into_unsecure_frame(
    payload: bytes, fc: int, key_id: KeyId, ext: bool, data: st.DataObject
) -> None:
    seq = 1 if key_id == KeyId.NETWORK_KEY else None
    aux = AuxHeader(key_id, fc, SRC if ext else None, seq)
    frame = bytearray(secure_frame(APS_HDR, aux, payload, NWK_KEY, source=TC))
    assert unsecure_frame(bytes(frame), len(APS_HDR), NWK_KEY, TC) == (aux, payload)
    cut = data.draw(st.integers(0, len(frame)))
    pos = data.draw(st.integers(0, len(frame) - 1))
    xor = data.draw(st.integers(1, 0xFF))
    frame[pos] ^= xor
    for candidate in (bytes(frame), bytes(frame[:cut])):
        try:
            _, plain = unsecure_frame(candidate, len(APS_HDR), NWK_KEY, TC)
        except (DecodeError, SecurityError):
            continue
        # only a flip confined to the unauthenticated level bits may still verify
        assert pos == len(APS_HDR) and xor & ~0x07 == 0
        assert plain == payload


# -- tshark: Wireshark decrypts what we secure --------------------------------------------------


def test_tshark_decrypts_secured_frames(tmp_path: Path) -> None:
    """NWK frame under the network key, APS Transport-Key under the key-transport key, APS
    Transport-Key under the key-load key, APS data under the TC link key and under an
    install-code key: Wireshark must decrypt each with the plain keys we give it."""
    records = []
    # 1. NWK data secured with the network key, carrying APS + ZCL
    nwk1 = secure_frame(NWK_HDR, nwk_aux(0x01020304), framing.aps_data(ZCL, 6), NWK_KEY)
    records.append(framing.mac_data(nwk1, seq=1))

    def nwk_plain(aps: bytes, seq: int) -> bytes:
        return h("0800") + (0x5678).to_bytes(2, "little") + h("0000") + bytes((1, seq)) + aps

    # 2. APS Transport-Key (standard network key) under the key-transport key (key id 2)
    cmd = bytes((0x05, 0x01)) + NWK_KEY + b"\x03"
    cmd += JOINER.to_bytes(8, "little") + TC.to_bytes(8, "little")
    aps2 = secure_frame(
        h("2142"),
        AuxHeader(KeyId.KEY_TRANSPORT_KEY, 0x10, TC),
        cmd,
        key_transport_key(DEFAULT_TC_LINK_KEY),
    )
    records.append(framing.mac_data(nwk_plain(aps2, 8), seq=2, dst=0x5678, src=0))
    # 3. APS Transport-Key (application link key) under the key-load key (key id 3)
    app_key = bytes(range(16))
    cmd3 = bytes((0x05, 0x03)) + app_key + JOINER.to_bytes(8, "little") + b"\x01"
    aps3 = secure_frame(
        h("2143"), AuxHeader(KeyId.KEY_LOAD_KEY, 0x11, TC), cmd3, key_load_key(DEFAULT_TC_LINK_KEY)
    )
    records.append(framing.mac_data(nwk_plain(aps3, 9), seq=3, dst=0x5678, src=0))
    # 4. APS data under the TC link key (key id 0)
    aps4 = secure_frame(APS_HDR, AuxHeader(KeyId.DATA_KEY, 0x77, TC), ZCL, DEFAULT_TC_LINK_KEY)
    records.append(framing.mac_data(nwk_plain(aps4, 10), seq=4, dst=0x5678, src=0))
    # 5. APS data under a link key derived from an install code (V11)
    ic_key = install_code_to_link_key(h("83FED3407A939723A5C639B26916D505C3B5"))
    aps5 = secure_frame(APS_HDR, AuxHeader(KeyId.DATA_KEY, 0x78, JOINER), ZCL, ic_key)
    records.append(framing.mac_data(nwk_plain(aps5, 11), seq=5, dst=0x5678, src=0))

    pcap = tmp_path / "security.pcap"
    write_pcap(pcap, [(i * 1000, r) for i, r in enumerate(records)])
    nwk_keys = (NWK_KEY.hex(),)
    link_keys = (DEFAULT_TC_LINK_KEY.hex(), ic_key.hex())
    assert_no_malformed(pcap, network_keys=nwk_keys, link_keys=link_keys)
    rows = tshark_fields(
        pcap,
        [
            "zbee.sec.key_id",
            "zbee.sec.counter",
            "zbee.sec.src64",
            "zbee.sec.key_seqno",
            "zbee.sec.decryption_key",
            "zbee_aps.cmd.id",
            "zbee_aps.cmd.key",
            "zbee_aps.cluster",
            "zbee_zcl.cmd.id",
        ],
        network_keys=nwk_keys,
        link_keys=link_keys,
    )
    assert len(rows) == 5
    nwk, tk, lk, data, ic = rows
    assert nwk == ["0x01", str(0x01020304), "00:12:4b:00:01:02:03:04", "3", "nwk0"] + [
        "",
        "",
        "0x0006",
        "0x0a",
    ]
    assert tk[:7] == ["0x02", "16", "00:12:4b:00:aa:bb:cc:dd", "", "link0", "0x05", NWK_KEY.hex()]
    assert lk[:7] == ["0x03", "17", "00:12:4b:00:aa:bb:cc:dd", "", "link0", "0x05", app_key.hex()]
    assert data == ["0x00", "119", "00:12:4b:00:aa:bb:cc:dd", "", "link0", "", "", "0x0006", "0x0a"]
    assert ic == ["0x00", "120", "00:15:8d:00:11:22:33:44", "", "link1", "", "", "0x0006", "0x0a"]
