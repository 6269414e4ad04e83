"""Wireshark cross-check of the MAC codecs: one pcap with every frame type and command.

tshark must decode every frame without malformed / bad-FCS marks, and its fields must equal
what we encoded (frame type, addresses, PANs, command ids and contents, beacon fields and the
Zigbee beacon payload).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import framing
from tests.tshark import assert_no_malformed, require_tshark, tshark_fields
from zigmesh.capture.pcap import write_pcap
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
    OrphanNotification,
    PanIdConflictNotification,
)
from zigmesh.mac.fcs import append_fcs
from zigmesh.mac.frames import (
    AddrMode,
    Beacon,
    FrameType,
    FrameVersion,
    GtsDescriptor,
    MacFrame,
    MacSecurityHeader,
    SecurityLevel,
    SuperframeSpec,
)
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.types import EUI64

A = EUI64("00:12:4b:00:01:02:03:04")
B = EUI64("00:12:4b:00:0a:0b:0c:0d")
PAN = 0x1A62
ZB = ZigbeeBeaconPayload(nwk_extended_pan_id=EUI64("dd:dd:dd:dd:00:11:22:33"), device_depth=3)
CSL_IE = (4 | (0x1A << 7)).to_bytes(2, "little") + b"\x01\x02\x03\x04"
HT2 = (0x7F << 7).to_bytes(2, "little")
TIME_CORRECTION_IE = (2 | (0x1E << 7)).to_bytes(2, "little") + b"\x00\x00"

#: (frame, extra tshark fields expected for it); generic header fields are derived from the frame
CASES: list[tuple[MacFrame, dict[str, str]]] = [
    # data frames: short/short (a Zigbee NWK+APS+ZCL payload), extended/extended, mixed, inter-PAN
    (
        MacFrame.data(
            PAN, 0x0000, 0x1234, framing.nwk_data(framing.aps_data(b"\x10\x05\x00", 6)), seq=1
        ),
        {"zbee_nwk.src": "0x1234"},
    ),
    (MacFrame.data(PAN, A, B, b"\x00ext", seq=2, frame_version=FrameVersion.V2006), {}),
    (MacFrame.data(PAN, 0x1234, B, b"\x00mix", seq=3), {}),
    (MacFrame.data(PAN, A, 0x1234, b"\x00mix", seq=4, src_pan=0x2B73), {}),
    (MacFrame.data(0xFFFF, 0xFFFF, 0x1234, b"\x00bcast", seq=5, src_pan=PAN), {}),
    # acknowledgments
    (MacFrame.ack(5), {}),
    (MacFrame.ack(6, frame_pending=True), {}),
    # beacon with the Zigbee beacon payload
    (
        MacFrame.beacon(
            PAN,
            0x0000,
            Beacon(
                SuperframeSpec(pan_coordinator=True, association_permit=True), payload=ZB.encode()
            ),
            seq=7,
        ),
        {
            "wpan.beacon_order": "15",
            "wpan.superframe_order": "15",
            "wpan.cap": "15",
            "wpan.bcn_coord": "1",
            "wpan.assoc_permit": "1",
            "wpan.gts.count": "0",
            "zbee_beacon.protocol": "0",
            "zbee_beacon.profile": "0x0002",
            "zbee_beacon.version": "2",
            "zbee_beacon.router": "1",
            "zbee_beacon.depth": "3",
            "zbee_beacon.end_dev": "1",
            "zbee_beacon.ext_panid": "dd:dd:dd:dd:00:11:22:33",
            "zbee_beacon.tx_offset": "16777215",
            "zbee_beacon.update_id": "0",
        },
    ),
    # 2006 beacon with GTS and pending addresses
    (
        MacFrame.beacon(
            PAN,
            A,
            Beacon(
                SuperframeSpec(6, 4, 10, True, True, False),
                gts_permit=True,
                gts=(GtsDescriptor(0x1234, 11, 2, True), GtsDescriptor(0x5678, 13, 2, False)),
                pending_short=(0x0001, 0x0002),
                pending_extended=(B,),
                payload=b"bp",
            ),
            seq=8,
            frame_version=FrameVersion.V2006,
        ),
        {
            "wpan.beacon_order": "6",
            "wpan.superframe_order": "4",
            "wpan.cap": "10",
            "wpan.battery_ext": "1",
            "wpan.bcn_coord": "1",
            "wpan.assoc_permit": "0",
            "wpan.gts.count": "2",
            "wpan.gts.permit": "1",
            "wpan.gts.direction": "1,0",
            "wpan.gts.address": "0x1234,0x5678",
            "wpan.pending16": "0x0001,0x0002",
            "wpan.pending64": str(B),
        },
    ),
    # every MAC command
    (MacFrame.command(BeaconRequest(), seq=9, dst_pan=0xFFFF, dst_addr=0xFFFF), {}),
    (
        MacFrame.command(
            AssociationRequest(CapabilityInformation(False, True, True, True, False, True)),
            seq=10,
            dst_pan=PAN,
            dst_addr=0x0000,
            src_pan=0xFFFF,
            src_addr=B,
        ),
        {
            "wpan.cinfo.alt_coord": "0",
            "wpan.cinfo.device_type": "1",
            "wpan.cinfo.power_src": "1",
            "wpan.cinfo.idle_rx": "1",
            "wpan.cinfo.sec_capable": "0",
            "wpan.cinfo.alloc_addr": "1",
        },
    ),
    (
        MacFrame.command(
            AssociationRequest(CapabilityInformation(True, False, False, False, True, False)),
            seq=11,
            dst_pan=PAN,
            dst_addr=0x0000,
            src_pan=0xFFFF,
            src_addr=B,
        ),
        {
            "wpan.cinfo.alt_coord": "1",
            "wpan.cinfo.device_type": "0",
            "wpan.cinfo.power_src": "0",
            "wpan.cinfo.idle_rx": "0",
            "wpan.cinfo.sec_capable": "1",
            "wpan.cinfo.alloc_addr": "0",
        },
    ),
    (
        MacFrame.command(
            AssociationResponse(0x796F, AssociationStatus.SUCCESS),
            seq=12,
            dst_pan=PAN,
            dst_addr=B,
            src_addr=A,
        ),
        {"wpan.asoc.addr": "0x796f", "wpan.assoc.status": "0x00"},
    ),
    (
        MacFrame.command(
            AssociationResponse(0xFFFF, AssociationStatus.PAN_ACCESS_DENIED),
            seq=13,
            dst_pan=PAN,
            dst_addr=B,
            src_addr=A,
        ),
        {"wpan.asoc.addr": "0xffff", "wpan.assoc.status": "0x02"},
    ),
    (
        MacFrame.command(
            DisassociationNotification(DisassociationReason.DEVICE_WISHES_TO_LEAVE),
            seq=14,
            dst_pan=PAN,
            dst_addr=A,
            src_addr=B,
        ),
        {"wpan.disassoc.reason": "0x02"},
    ),
    (MacFrame.command(DataRequest(), seq=15, dst_pan=PAN, dst_addr=0x0000, src_addr=0x796F), {}),
    (MacFrame.command(DataRequest(), seq=16, dst_pan=PAN, dst_addr=0x0000, src_addr=B), {}),
    (
        MacFrame.command(PanIdConflictNotification(), seq=17, dst_pan=PAN, dst_addr=A, src_addr=B),
        {},
    ),
    (
        MacFrame.command(
            OrphanNotification(),
            seq=18,
            dst_pan=0xFFFF,
            dst_addr=0xFFFF,
            src_pan=0xFFFF,
            src_addr=B,
        ),
        {},
    ),
    (
        MacFrame.command(
            CoordinatorRealignment(PAN, 0x0000, 15, 0x796F, 0),
            seq=19,
            dst_pan=0xFFFF,
            dst_addr=B,
            src_pan=PAN,
            src_addr=A,
            frame_version=FrameVersion.V2006,
        ),
        {
            "wpan.realign.pan": "0x1a62",
            "wpan.realign.addr": "0x0000,0x796f",  # coordinator short address, short address
            "wpan.realign.channel": "15",
            "wpan.realign.channel_page": "0",
        },
    ),
    (
        MacFrame.command(
            CoordinatorRealignment(PAN, 0x0000, 20, 0xFFFF),
            seq=20,
            dst_pan=0xFFFF,
            dst_addr=0xFFFF,
            src_pan=PAN,
            src_addr=A,
        ),
        {
            "wpan.realign.pan": "0x1a62",
            "wpan.realign.addr": "0x0000,0xffff",
            "wpan.realign.channel": "20",
        },
    ),
    (
        MacFrame.command(
            GtsRequest(GtsCharacteristics(3, True, True)), seq=21, src_pan=PAN, src_addr=0x796F
        ),
        {"wpan.gtsreq.length": "3", "wpan.gtsreq.direction": "1", "wpan.gtsreq.type": "1"},
    ),
    # secured frames (payload kept raw)
    (
        MacFrame.data(
            PAN,
            0x0001,
            0x0002,
            b"\x00ciphertext+mic",
            seq=22,
            frame_version=FrameVersion.V2006,
            security=MacSecurityHeader(
                SecurityLevel.ENC_MIC_32, 77, key_source=b"\x01\x02\x03\x04", key_index=9
            ),
        ),
        {
            "wpan.aux_sec.sec_level": "0x05",
            "wpan.aux_sec.key_id_mode": "0x02",
            "wpan.aux_sec.frame_counter": "77",
            "wpan.aux_sec.key_index": "0x09",
        },
    ),
    (
        MacFrame.data(
            PAN,
            0x0001,
            0x0002,
            b"\x00ciphertext+mic",
            seq=23,
            frame_version=FrameVersion.V2015,
            security=MacSecurityHeader(SecurityLevel.ENC_MIC_32, None, key_index=3),
        ),
        {
            "wpan.aux_sec.sec_level": "0x05",
            "wpan.aux_sec.key_id_mode": "0x01",
            "wpan.aux_sec.frame_counter_suppression": "1",
            "wpan.aux_sec.key_index": "0x03",
        },
    ),
    # 802.15.4-2015: sequence number suppression, header IEs, Table 7-2 PAN ID rules
    (
        MacFrame(
            FrameType.DATA,
            None,
            PAN,
            0x0001,
            AddrMode.SHORT,
            PAN,
            0x0002,
            AddrMode.SHORT,
            frame_version=FrameVersion.V2015,
            header_ies=CSL_IE + HT2,
            payload=b"\x00x",
        ),
        {"wpan.header_ie_tlv": "0x0d04,0x3f80", "wpan.seqno_suppression": "1"},
    ),
    (
        MacFrame(
            FrameType.DATA,
            24,
            PAN,
            A,
            AddrMode.EXTENDED,
            PAN,
            B,
            AddrMode.EXTENDED,
            frame_version=FrameVersion.V2015,
            payload=b"\x00x",
        ),
        {},
    ),
    (
        MacFrame(
            FrameType.DATA,
            25,
            None,
            A,
            AddrMode.EXTENDED,
            None,
            B,
            AddrMode.EXTENDED,
            frame_version=FrameVersion.V2015,
            payload=b"\x00x",
        ),
        {},
    ),
    (
        MacFrame(
            FrameType.ACK,
            26,
            frame_version=FrameVersion.V2015,
            header_ies=TIME_CORRECTION_IE,
        ),
        {"wpan.ie_present": "1"},
    ),
]

# the 802.15.4-2006 Annex C.2.2 secured data frame, as published
ANNEX_C22 = append_fcs(
    bytes.fromhex("69DC842143020000000048DEAC010000000048DEAC0405000000D43E022B")
)

GENERIC = [
    "wpan.frame_type",
    "wpan.seq_no",
    "wpan.dst_pan",
    "wpan.dst16",
    "wpan.dst64",
    "wpan.src_pan",
    "wpan.src16",
    "wpan.src64",
    "wpan.cmd",
    "wpan.pan_id_compression",
    "wpan.version",
    "wpan.pending",
    "wpan.ack_request",
    "wpan.security",
    "wpan.fcs_ok",
]


def _on_air_pans(f: MacFrame) -> tuple[int | None, int | None]:
    """The PAN IDs actually carried in the MHR (derived compression rules)."""
    psdu = f.encode()
    fcf = int.from_bytes(psdu[:2], "little")
    comp = bool(fcf & 0x40)
    dm, sm = f.dst_mode, f.src_mode
    if f.frame_version < FrameVersion.V2015:
        return f.dst_pan if dm else None, f.src_pan if sm and not comp else None
    if dm and sm and not (dm == sm == AddrMode.EXTENDED):
        return f.dst_pan, None if comp else f.src_pan
    if dm == sm == AddrMode.EXTENDED:
        return f.dst_pan, None
    return f.dst_pan, f.src_pan


def _expected(f: MacFrame) -> dict[str, str]:
    dst_pan, src_pan = _on_air_pans(f)
    exp = {
        "wpan.frame_type": f"0x{int(f.frame_type):04x}",
        "wpan.seq_no": "" if f.seq is None else str(f.seq),
        "wpan.dst_pan": "" if dst_pan is None else f"0x{dst_pan:04x}",
        "wpan.src_pan": "" if src_pan is None else f"0x{src_pan:04x}",
        "wpan.cmd": f"0x{f.payload[0]:02x}" if f.frame_type == FrameType.MAC_COMMAND else "",
        "wpan.pan_id_compression": str(int(f.pan_id_compression)),
        "wpan.version": str(int(f.frame_version)),
        "wpan.pending": str(int(f.frame_pending)),
        "wpan.ack_request": str(int(f.ack_request)),
        "wpan.security": str(int(f.security is not None)),
        "wpan.fcs_ok": "1",
    }
    if f.dst_mode == AddrMode.SHORT:
        exp["wpan.dst16"] = f"0x{f.dst_addr:04x}"
    elif f.dst_mode == AddrMode.EXTENDED:
        exp["wpan.dst64"] = str(EUI64(f.dst_addr or 0))
    else:
        exp["wpan.dst16"] = exp["wpan.dst64"] = ""
    if f.src_mode == AddrMode.SHORT:
        exp["wpan.src16"] = f"0x{f.src_addr:04x}"
        # (wpan.src64 may be filled from Wireshark's short -> extended address map)
    elif f.src_mode == AddrMode.EXTENDED:
        exp["wpan.src64"] = str(EUI64(f.src_addr or 0))
        exp["wpan.src16"] = ""
    else:
        exp["wpan.src16"] = exp["wpan.src64"] = ""
    return exp


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tshark()
    path = tmp_path_factory.mktemp("mac") / "mac_frames.pcap"
    records = [(i * 10_000, f.encode()) for i, (f, _) in enumerate(CASES)]
    records.append((len(records) * 10_000, ANNEX_C22))
    write_pcap(path, records)
    return path


def test_covers_every_frame_type_and_command() -> None:
    types = {f.frame_type for f, _ in CASES}
    assert types == {FrameType.BEACON, FrameType.DATA, FrameType.ACK, FrameType.MAC_COMMAND}
    cmds = {f.payload[0] for f, _ in CASES if f.frame_type == FrameType.MAC_COMMAND}
    assert cmds == set(range(1, 10))
    for f, _ in CASES:  # and every case round-trips through our own decoder
        assert MacFrame.decode(f.encode()) == f


def test_no_malformed(capture: Path) -> None:
    assert_no_malformed(capture)


def test_fields_match(capture: Path) -> None:
    extra = sorted({k for _, e in CASES for k in e})
    fields = GENERIC + extra
    rows = tshark_fields(capture, fields)
    assert len(rows) == len(CASES) + 1
    for i, (f, more) in enumerate(CASES):
        got = dict(zip(fields, rows[i], strict=True))
        want = {**_expected(f), **more}
        diff = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        assert not diff, f"frame {i + 1} ({f.frame_type!r}): tshark != encoded: {diff}"


def test_annex_c22_fields(capture: Path) -> None:
    rows = tshark_fields(
        capture,
        ["wpan.seq_no", "wpan.dst64", "wpan.src64", "wpan.aux_sec.frame_counter"],
        display_filter=f"frame.number == {len(CASES) + 1}",
    )
    f = MacFrame.decode(ANNEX_C22)
    assert f.security is not None
    assert rows == [[str(f.seq), str(f.dst_addr), str(f.src_addr), str(f.security.frame_counter)]]
