"""The decode / open memos of the receive path (issue 11): the receivers of one frame share the
result, and the result is the one a fresh decode would give (same input, same output)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh import codec
from zigmesh.codec import DecodeMemo, interned, memo_bytes_decoder, memo_decoder
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.mac.beacon import Beacon, SuperframeSpec
from zigmesh.mac.frames import AddrMode, FrameType, MacFrame
from zigmesh.nwk.beacon import ZigbeeBeaconPayload, decode_beacon_payload
from zigmesh.nwk.frames import (
    NWK_DECODED,
    DiscoverRoute,
    MulticastControl,
    NwkFrame,
    NwkFrameType,
    SourceRoute,
    sealed_forms,
    unsecure_nwk,
    with_payload,
)
from zigmesh.nwk.security import NwkSecurityContext, NwkSecurityDrop
from zigmesh.security import AuxHeader, KeyId, secure_frame, unsecure_frame
from zigmesh.security.keys import KeyStore
from zigmesh.sim.kernel import Kernel
from zigmesh.types import EUI64

KEY = bytes(range(16))
OTHER_KEY = bytes(range(1, 17))
SRC = 0x00124B0001020304
NWK_HDR = bytes.fromhex("0802000034121e07")  # NWK data frame header, security bit set


def _psdu(seq: int = 7) -> bytes:
    return MacFrame(
        FrameType.DATA,
        seq=seq,
        dst_pan=0x1A62,
        dst_addr=0xFFFF,
        dst_mode=AddrMode.SHORT,
        src_addr=0x0001,
        src_mode=AddrMode.SHORT,
        payload=b"\x08\x00\xfd\xff\x00\x00\x1e\x05hello",
    ).encode()


def test_memo_decoder_shares_the_frame_and_equals_a_fresh_decode() -> None:
    calls: list[bytes] = []

    def decode(data: bytes) -> MacFrame:
        calls.append(data)
        return MacFrame.decode(data)

    memo = memo_decoder(decode)
    psdu = _psdu()
    first = memo(psdu)
    assert memo(psdu) is first
    assert memo(bytes(bytearray(psdu))) is first  # equal content, another object
    assert first == MacFrame.decode(psdu)
    assert len(calls) == 1
    assert memo(_psdu(8)).seq == 8
    assert len(calls) == 2


def test_memo_decoder_does_not_keep_failures_and_takes_bytearrays() -> None:
    calls = 0

    def decode(data: bytes) -> NwkFrame:
        nonlocal calls
        calls += 1
        return NwkFrame.decode(data)

    memo = memo_decoder(decode)
    for _ in range(2):
        with pytest.raises(DecodeError):
            memo(b"\x08\x00")
    assert calls == 2
    data = NwkFrame(NwkFrameType.DATA, 0x1234, 0x0000, 30, 7, b"x").encode()
    assert memo(bytearray(data)) == NwkFrame.decode(data)  # unhashable: decoded every time
    assert memo(bytearray(data)) == NwkFrame.decode(data)
    assert calls == 4


def test_memo_decoder_is_bounded() -> None:
    memo = memo_decoder(NwkFrame.decode, size=4)
    frames = [NwkFrame(NwkFrameType.DATA, 0x1234, 0, 30, i, b"x").encode() for i in range(10)]
    for data in frames:
        assert memo(data).seq == data[7]
    assert all(memo(d) == NwkFrame.decode(d) for d in frames)


def test_bytes_decoder_is_the_same_memo_without_a_python_frame() -> None:
    calls: list[bytes] = []

    def decode(data: bytes) -> NwkFrame:
        calls.append(data)
        return NwkFrame.decode(data)

    memo = DecodeMemo(decode, size=4)
    fast, slow = memo.bytes_decoder(), memo.decoder()
    frames = [NwkFrame(NwkFrameType.DATA, 0x1234, 0, 30, i, b"x").encode() for i in range(6)]
    first = fast(frames[0])
    assert fast(bytes(bytearray(frames[0]))) is first  # equal content, another object
    assert slow(frames[0]) is first and len(calls) == 1  # one table behind both
    seeded = NwkFrame.decode(frames[1])
    memo.remember(frames[1], seeded)
    assert fast(frames[1]) is seeded and len(calls) == 1
    for data in frames:  # bounded: emptied when full, as the closure's
        assert fast(data) == NwkFrame.decode(data)
    assert len(memo._memo) <= 4
    with pytest.raises(DecodeError):  # failures propagate and are not kept
        fast(b"\x08\x00")
    with pytest.raises(DecodeError):
        fast(b"\x08\x00")
    assert b"\x08\x00" not in memo._memo
    with pytest.raises(TypeError):  # bytes alone
        fast(bytearray(frames[0]))  # type: ignore[arg-type]
    assert memo_bytes_decoder(NwkFrame.decode)(frames[2]) == NwkFrame.decode(frames[2])


def test_interned_gives_one_object_per_value_and_type(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = int("1234567890123"), int("1234567890123")
    assert a is not b and interned(a) is interned(b) is a
    e = interned(EUI64(1234567890123))  # another type: a table of its own
    assert type(e) is EUI64 and e is interned(EUI64(1234567890123))
    assert type(interned(int("1234567890123"))) is int
    monkeypatch.setattr(codec, "_INTERN_MAX", 4)
    for v in range(10**9, 10**9 + 20):  # bounded: emptied when full
        assert interned(int(str(v))) == v
    assert len(codec._INTERNED[int]) <= 4


def test_frames_decoded_apart_share_their_addresses() -> None:
    ieee = 0x00124B0001020304
    frames = [
        NwkFrame(NwkFrameType.DATA, 0x0000, 0x1A2B, 30, i, b"x", src_ieee=ieee).encode()
        for i in range(2)
    ]
    f0, f1 = (NwkFrame.decode(d) for d in frames)
    assert f0.src_ieee is f1.src_ieee and f0.src is f1.src
    assert f0.src_ieee == ieee and f0.src == 0x1A2B


def _secured(payload: bytes = b"\x01\x02\x03", fc: int = 5) -> bytes:
    aux = AuxHeader(KeyId.NETWORK_KEY, fc, SRC, 0)
    return secure_frame(NWK_HDR, aux, payload, KEY)


def test_unsecure_frame_memo_gives_the_same_plaintext_and_still_checks_the_key() -> None:
    frame = _secured()
    aux1, plain1 = unsecure_frame(frame, len(NWK_HDR), KEY)
    aux2, plain2 = unsecure_frame(frame, len(NWK_HDR), KEY)
    assert plain1 == plain2 == b"\x01\x02\x03"
    assert aux1 == aux2 and aux1.frame_counter == 5
    # the memo is keyed by the key too: another key still fails the MIC
    with pytest.raises(SecurityError):
        unsecure_frame(frame, len(NWK_HDR), OTHER_KEY)
    # and a tampered copy of a frame opened before fails as well
    bad = bytearray(frame)
    bad[-1] ^= 1
    with pytest.raises(SecurityError):
        unsecure_frame(bytes(bad), len(NWK_HDR), KEY)
    with pytest.raises(SecurityError):
        unsecure_frame(bad, len(NWK_HDR), KEY)  # bytearray: not memoised
    # the caller's aux header comes back as given, memo hit or not
    mine = AuxHeader(KeyId.NETWORK_KEY, 5, SRC, 0)
    assert unsecure_frame(frame, len(NWK_HDR), KEY, aux=mine)[0] is mine


def test_with_payload_repeats_only_for_the_same_objects() -> None:
    frame = NwkFrame(NwkFrameType.DATA, 0x1234, 0x0000, 30, 7, b"cipher")
    plain = b"plain"
    a = with_payload(frame, plain)
    assert with_payload(frame, plain) is a
    assert a.payload == plain and a.seq == 7
    other = NwkFrame(NwkFrameType.DATA, 0x1234, 0x0000, 30, 8, b"cipher")
    b = with_payload(other, plain)
    assert b.seq == 8 and b is not a
    assert with_payload(frame, b"plain2").payload == b"plain2"


# -- a sender seeds the memos with what it sealed (issue 7 performance) --------------------------

_IEEE = st.one_of(st.none(), st.integers(0, 2**64 - 1))


@st.composite
def _frames(draw: st.DrawFn) -> NwkFrame:
    relays = draw(st.one_of(st.none(), st.lists(st.integers(0, 0xFFF7), max_size=6)))
    sr = None
    if relays is not None:
        sr = SourceRoute(draw(st.integers(0, max(len(relays) - 1, 0))), tuple(relays))
    old_aux = draw(st.one_of(st.none(), st.just(AuxHeader(KeyId.NETWORK_KEY, 9, SRC, 3))))
    return NwkFrame(
        draw(st.sampled_from([NwkFrameType.DATA, NwkFrameType.COMMAND, 0, 1])),
        draw(st.integers(0, 0xFFFF)),
        draw(st.integers(0, 0xFFFF)),
        draw(st.integers(0, 255)),
        draw(st.integers(0, 255)),
        draw(st.binary(min_size=1, max_size=40)),
        draw(st.sampled_from([DiscoverRoute.SUPPRESS, DiscoverRoute.ENABLE, 0, 1])),
        draw(st.sampled_from([2, 1])),
        draw(st.sampled_from([False, True, 0, 1])),
        draw(_IEEE),
        draw(_IEEE),
        None,
        sr,
        old_aux,
    )


def _same(a: NwkFrame, b: NwkFrame) -> None:
    """Equal, and every field of the same type (a seeded frame is what a decode gives)."""
    assert a == b
    for name in NwkFrame.__slots__:
        assert type(getattr(a, name)) is type(getattr(b, name)), name


@settings(max_examples=300, deadline=None)
@given(_frames(), st.integers(0, 1000))
def test_a_sealed_frame_seeds_exactly_what_its_receivers_decode_and_open(
    frame: NwkFrame, counter: int
) -> None:
    k = Kernel()
    keys = KeyStore()
    keys.set_network_key(KEY, 4)
    for _ in range(counter % 7):
        keys.next_network_frame_counter()
    sender = NwkSecurityContext(keys, SRC, k)
    data = sender.secure(frame)
    seeded = NWK_DECODED.decoder()(data)
    fresh = NwkFrame.decode(data)
    _same(seeded, fresh)
    # a receiver with no memo at all (bytes copied: no identity to share) opens the same frame
    rkeys = KeyStore()
    rkeys.set_network_key(KEY, 4)
    opened_fresh = unsecure_nwk(bytes(bytearray(data)), KEY)
    receiver = NwkSecurityContext(rkeys, 0x1122334455667788, k)
    opened = receiver.unsecure(data, seeded)
    _same(opened, opened_fresh)
    assert rkeys.incoming_counter(SRC, 4) == seeded.aux.frame_counter  # type: ignore[union-attr]
    # the memo hit still checks the counter: the same bytes again are a duplicate
    with pytest.raises(NwkSecurityDrop) as e:
        receiver.unsecure(data, seeded)
    assert e.value.reason == "duplicate"


def test_a_frame_outside_the_canonical_forms_is_not_seeded() -> None:
    mc = NwkFrame(NwkFrameType.DATA, 1, 2, 3, 4, b"x", multicast=MulticastControl(1, 2, 3))
    assert sealed_forms(mc, AuxHeader(KeyId.NETWORK_KEY, 1, SRC, 0), b"\x00" * 40, 30) is None
    listed = NwkFrame(NwkFrameType.DATA, 1, 2, 3, 4, b"x", source_route=SourceRoute(0, [5]))  # type: ignore[arg-type]
    assert sealed_forms(listed, AuxHeader(KeyId.NETWORK_KEY, 1, SRC, 0), b"\x00" * 40, 30) is None


def test_the_receivers_of_a_beacon_share_its_decoded_fields() -> None:
    """Every radio in range of a beacon reads it (scanners, and each router of the PAN for its
    PAN ID conflict check): the MAC beacon fields and the Zigbee beacon payload are decoded
    once and shared, equal to a fresh decode."""
    nwk_payload = ZigbeeBeaconPayload(
        nwk_extended_pan_id=0x00124B00AABBCCDD, device_depth=3, nwk_update_id=7
    ).encode()
    beacon = Beacon(SuperframeSpec(15, 15, 15, False, True, True), payload=nwk_payload)
    psdu = MacFrame(
        FrameType.BEACON,
        seq=9,
        src_pan=0x1A62,
        src_addr=0x0001,
        src_mode=AddrMode.SHORT,
        payload=beacon.encode(),
    ).encode()
    first = MacFrame.decode(psdu).as_beacon()
    again = MacFrame.decode(bytes(psdu)).as_beacon()  # another receiver's copy of the bytes
    assert first is again and first == beacon == Beacon.decode(beacon.encode())
    got = decode_beacon_payload(first.payload)
    assert got is decode_beacon_payload(bytes(nwk_payload))
    assert got == ZigbeeBeaconPayload.decode(nwk_payload)
    assert got.nwk_update_id == 7 and got.device_depth == 3
    with pytest.raises(DecodeError):  # failures are not kept
        decode_beacon_payload(nwk_payload[:-1])
    with pytest.raises(DecodeError):
        decode_beacon_payload(nwk_payload[:-1])
