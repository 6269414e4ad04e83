"""Zigbee NWK beacon payload (Zigbee spec 3.6.7, Table 3-56)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.fcs import append_fcs
from zigmesh.mac.frames import Beacon, MacFrame, SuperframeSpec
from zigmesh.nwk.beacon import BEACON_PAYLOAD_LENGTH, TX_OFFSET_NONE, ZigbeeBeaconPayload
from zigmesh.types import ExtPanId

EPID = ExtPanId("00:12:4b:00:01:02:03:04")


def test_spec_layout_vector() -> None:
    # coordinator: depth 0, router + end device capacity; stack profile 2, protocol version 2
    raw = bytes.fromhex("00228404030201004b1200ffffff00")
    b = ZigbeeBeaconPayload(nwk_extended_pan_id=EPID)
    assert b.encode() == raw
    assert len(raw) == BEACON_PAYLOAD_LENGTH
    d = ZigbeeBeaconPayload.decode(raw)
    assert d == b
    assert d.stack_profile == 2 and d.nwkc_protocol_version == 2
    assert d.tx_offset == TX_OFFSET_NONE
    assert isinstance(d.nwk_extended_pan_id, ExtPanId)


@pytest.mark.parametrize(
    ("router", "depth", "end_dev", "byte2"),
    [
        (False, 0, False, 0x00),
        (True, 0, False, 0x04),
        (False, 1, False, 0x08),
        (False, 15, False, 0x78),
        (False, 0, True, 0x80),
        (True, 5, True, 0xAC),
    ],
)
def test_capacity_and_depth_bits(router: bool, depth: int, end_dev: bool, byte2: int) -> None:
    b = ZigbeeBeaconPayload(
        router_capacity=router,
        device_depth=depth,
        end_device_capacity=end_dev,
        nwk_extended_pan_id=EPID,
        tx_offset=0x123456,
        nwk_update_id=0x9A,
    )
    raw = b.encode()
    assert raw[2] == byte2
    assert raw[11:14] == bytes.fromhex("563412")
    assert raw[14] == 0x9A
    assert ZigbeeBeaconPayload.decode(raw) == b


def test_reserved_bits_ignored_and_stack_profile_1() -> None:
    raw = bytearray(ZigbeeBeaconPayload(nwk_extended_pan_id=EPID, stack_profile=1).encode())
    assert raw[1] == 0x21
    raw[2] |= 0x03  # bits 0-1 reserved
    d = ZigbeeBeaconPayload.decode(bytes(raw))
    assert d.stack_profile == 1 and d.device_depth == 0


@pytest.mark.parametrize("n", range(BEACON_PAYLOAD_LENGTH))
def test_short_payload_rejected(n: int) -> None:
    raw = ZigbeeBeaconPayload(nwk_extended_pan_id=EPID).encode()
    with pytest.raises(DecodeError):
        ZigbeeBeaconPayload.decode(raw[:n])


def test_trailing_bytes_and_other_protocols_rejected() -> None:
    raw = ZigbeeBeaconPayload(nwk_extended_pan_id=EPID).encode()
    with pytest.raises(DecodeError):
        ZigbeeBeaconPayload.decode(raw + b"\x00")
    with pytest.raises(DecodeError) as e:
        ZigbeeBeaconPayload.decode(b"\x03" + raw[1:])  # Zigbee IP / Thread style protocol id
    assert e.value.field == "protocol_id"


def test_encode_range_checks() -> None:
    with pytest.raises(LocalProtocolError):
        ZigbeeBeaconPayload(nwk_extended_pan_id=EPID, device_depth=16).encode()
    with pytest.raises(LocalProtocolError):
        ZigbeeBeaconPayload(nwk_extended_pan_id=EPID, stack_profile=16).encode()


def test_in_a_beacon_frame() -> None:
    zb = ZigbeeBeaconPayload(nwk_extended_pan_id=EPID, device_depth=2, nwk_update_id=3)
    sf = SuperframeSpec(association_permit=True, pan_coordinator=False)
    f = MacFrame.beacon(0x1A62, 0x796F, Beacon(sf, payload=zb.encode()), seq=0x40)
    g = MacFrame.decode(f.encode())
    assert ZigbeeBeaconPayload.decode(g.as_beacon().payload) == zb


def test_truncated_beacon_regression() -> None:
    """PSDU 00 80 56 00 05 FA 07 22 CF 00: a truncated beacon that crashed deployed stacks.

    Every layer answers DecodeError: the MAC (bad FCS; without FCS check, no room for the
    superframe specification; taken whole as an MPDU, no pending address specification) and
    the Zigbee beacon payload decoder for every tail of the frame.
    """
    psdu = bytes.fromhex("0080560005FA0722CF00")
    for check in (True, False):
        with pytest.raises(DecodeError):
            MacFrame.decode(psdu, check_fcs=check)
    with pytest.raises(DecodeError):
        MacFrame.decode(append_fcs(psdu))
    for start in range(len(psdu) + 1):
        with pytest.raises(DecodeError):
            ZigbeeBeaconPayload.decode(psdu[start:])
        with pytest.raises(DecodeError):
            ZigbeeBeaconPayload.decode(psdu[start:-2])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=20))
def test_any_bytes_decode_or_decode_error(data: bytes) -> None:
    try:
        b = ZigbeeBeaconPayload.decode(data)
    except DecodeError:
        return
    assert ZigbeeBeaconPayload.decode(b.encode()) == b


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 15),
    st.integers(0, 15),
    st.booleans(),
    st.integers(0, 15),
    st.booleans(),
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**24 - 1),
    st.integers(0, 255),
    st.integers(0, 16),
    st.binary(max_size=2),
)
def test_round_trip_and_truncation(
    profile: int,
    version: int,
    router: bool,
    depth: int,
    end_dev: bool,
    epid: int,
    tx: int,
    upd: int,
    cut: int,
    extra: bytes,
) -> None:
    b = ZigbeeBeaconPayload(
        stack_profile=profile,
        nwkc_protocol_version=version,
        router_capacity=router,
        device_depth=depth,
        end_device_capacity=end_dev,
        nwk_extended_pan_id=epid,
        tx_offset=tx,
        nwk_update_id=upd,
    )
    raw = b.encode()
    assert ZigbeeBeaconPayload.decode(raw) == b
    for data in (raw[:cut], raw + extra):
        with contextlib.suppress(DecodeError):
            assert ZigbeeBeaconPayload.decode(data) == b
