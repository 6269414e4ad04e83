"""Wireshark cross-check of the NWK frame and command codecs (Zigbee spec R22 3.3, 3.4, 4.3.1).

One pcap holds every NWK data-frame variant and every NWK command, unsecured and secured with
a fixed network key; tshark must decode all of it without a malformed flag, decrypt the
secured frames (the key source comes from the NWK aux header's extended nonce), and show the
fields we encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.framing import aps_data, fcs, mac_data
from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.capture.pcap import write_pcap
from zigmesh.nwk.commands import (
    CapabilityInformation,
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
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
    NwkStatusCode,
    RejoinRequest,
    RejoinResponse,
    RejoinStatus,
    RouteRecord,
    RouteReply,
    RouteRequest,
    decode_command,
)
from zigmesh.nwk.frames import (
    DiscoverRoute,
    MulticastControl,
    MulticastMode,
    NwkFrame,
    NwkFrameType,
    SourceRoute,
    secure_nwk,
)
from zigmesh.security.aux import AuxHeader, KeyId

NWK_KEY = bytes(range(1, 17))  # 01:02:...:10
NWK_KEY_HEX = NWK_KEY.hex()
SENDER_IEEE = 0x00124B0001020304
DST_IEEE = 0x00124B00AABBCCDD

COMMANDS: list[NwkCommand] = [
    RouteRequest(0x21, 0x4321, 0),
    RouteRequest(0x22, 0x4322, 3, dst_ieee=DST_IEEE),
    RouteRequest(0x23, 0xFFFC, 0, many_to_one=ManyToOne.WITH_ROUTE_RECORD),
    RouteRequest(0x24, 0xFFFC, 0, many_to_one=ManyToOne.WITHOUT_ROUTE_RECORD),
    RouteRequest(0x25, 0x0042, 1, multicast=True),
    RouteReply(0x31, 0x0000, 0x4321, 5),
    RouteReply(0x32, 0x0001, 0x4322, 7, originator_ieee=SENDER_IEEE, responder_ieee=DST_IEEE),
    RouteReply(0x33, 0x0002, 0x4323, 2, responder_ieee=DST_IEEE, multicast=True),
    NetworkStatus(NwkStatusCode.NO_ROUTE_AVAILABLE, 0x4321),
    NetworkStatus(NwkStatusCode.ADDRESS_CONFLICT, 0x1111),
    NetworkStatus(NwkStatusCode.MANY_TO_ONE_ROUTE_FAILURE, 0x2222),
    NetworkStatus(NwkStatusCode.UNKNOWN_COMMAND, 0x3333, unknown_command_id=0x0E),
    Leave(),
    Leave(remove_children=True, request=True, rejoin=True),
    Leave(rejoin=True),
    RouteRecord(()),
    RouteRecord((0x1001, 0x1002, 0x1003)),
    RejoinRequest(
        CapabilityInformation.DEVICE_TYPE_FFD
        | CapabilityInformation.POWER_SOURCE_MAINS
        | CapabilityInformation.RX_ON_WHEN_IDLE
        | CapabilityInformation.ALLOCATE_ADDRESS
    ),
    RejoinRequest(CapabilityInformation.ALLOCATE_ADDRESS),
    RejoinResponse(0x5A5A, RejoinStatus.SUCCESS),
    RejoinResponse(0xFFFF, RejoinStatus.PAN_AT_CAPACITY),
    LinkStatus(()),
    LinkStatus(
        (
            LinkStatusEntry(0x0001, 1, 3),
            LinkStatusEntry(0x0002, 7, 7),
            LinkStatusEntry(0xBEEF, 0, 5),
        ),
        first_frame=True,
        last_frame=False,
    ),
    NetworkReport(0xDDDDDDDDDDDDDDDD, (0x1A62, 0x1A63)),
    NetworkUpdate(0xDDDDDDDDDDDDDDDD, 4, 0x2B73),
    EndDeviceTimeoutRequest(8, 0),
    EndDeviceTimeoutRequest(14, 0),
    EndDeviceTimeoutResponse(),
    EndDeviceTimeoutResponse(
        1, mac_data_poll_keepalive=True, timeout_request_keepalive=True, power_negotiation=True
    ),
    LinkPowerDelta(
        (LinkPowerDeltaEntry(0x0001, -3), LinkPowerDeltaEntry(0x0002, 5)),
        LinkPowerDeltaType.REQUEST,
    ),
]

AUX = AuxHeader(KeyId.NETWORK_KEY, 0x01020304, SENDER_IEEE, 0)


def _aps() -> bytes:
    return aps_data(b"\x00\x05\x00\x00\x00", cluster=0x0006)


DATA_FRAMES: list[NwkFrame] = [
    NwkFrame(NwkFrameType.DATA, 0x0000, 0x1234, 30, 1, _aps()),
    NwkFrame(NwkFrameType.DATA, 0x4321, 0x1234, 29, 2, _aps(), discover_route=DiscoverRoute.ENABLE),
    NwkFrame(NwkFrameType.DATA, 0x4321, 0x1234, 28, 3, _aps(), dst_ieee=DST_IEEE, src_ieee=SENDER_IEEE),
    NwkFrame(NwkFrameType.DATA, 0x4321, 0x1234, 27, 4, _aps(), src_ieee=SENDER_IEEE, end_device_initiator=True),
    NwkFrame(NwkFrameType.DATA, 0x0042, 0x1234, 26, 5, _aps(), multicast=MulticastControl(MulticastMode.NON_MEMBER, 3, 5)),
    NwkFrame(NwkFrameType.DATA, 0x4321, 0x0000, 25, 6, _aps(), source_route=SourceRoute(2, (0x1001, 0x1002, 0x1003))),
    NwkFrame(NwkFrameType.DATA, 0x4321, 0x0000, 24, 7, _aps(), dst_ieee=DST_IEEE, src_ieee=SENDER_IEEE,
             multicast=None, source_route=SourceRoute(0, (0x2001,)), discover_route=DiscoverRoute.ENABLE),
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    frame: NwkFrame  # payload in plaintext
    secured: bool

    @property
    def command(self) -> NwkCommand | None:
        return (
            decode_command(self.frame.payload)
            if self.frame.frame_type == NwkFrameType.COMMAND
            else None
        )

    def nwk_bytes(self) -> bytes:
        if self.secured:
            return secure_nwk(self.frame, NWK_KEY)
        return self.frame.encode()


def _cases() -> list[Case]:
    cases: list[Case] = []
    seq = 100
    for secured in (False, True):
        for cmd in COMMANDS:
            seq += 1
            dst = 0xFFFC if isinstance(cmd, (RouteRequest, LinkStatus)) else 0x0000
            radius = 1 if isinstance(cmd, LinkStatus) else 30
            frame = NwkFrame(
                NwkFrameType.COMMAND, dst, 0x1234, radius, seq & 0xFF, cmd.encode(),
                src_ieee=SENDER_IEEE if isinstance(cmd, (RouteRequest, RejoinRequest)) else None,
                aux=AUX if secured else None,
            )  # fmt: skip
            cases.append(Case(frame, secured))
        for f in DATA_FRAMES:
            seq += 1
            cases.append(Case(NwkFrame(
                f.frame_type, f.dst, f.src, f.radius, seq & 0xFF, f.payload, f.discover_route,
                f.protocol_version, f.end_device_initiator, f.dst_ieee, f.src_ieee, f.multicast,
                f.source_route, AUX if secured else None,
            ), secured))  # fmt: skip
    return cases


CASES = _cases()


def _inter_pan_mpdu(nwk: bytes, seq: int) -> bytes:
    """MAC data frame as inter-PAN frames use it: dst short (broadcast PAN), src extended."""
    fc = 0x0001 | (2 << 10) | (3 << 14)  # data, dst short, src extended, no PAN ID compression
    hdr = (
        fc.to_bytes(2, "little") + bytes((seq,)) + (0xFFFF).to_bytes(2, "little")
        + (0xFFFF).to_bytes(2, "little") + (0x1A62).to_bytes(2, "little") + SENDER_IEEE.to_bytes(8, "little")
    )  # fmt: skip
    body = hdr + nwk
    return body + fcs(body)


# stub APS inter-PAN header: frame type 3, unicast; cluster 0x0006; profile 0x0104; ZCL read attr
INTER_PAN = NwkFrame(
    NwkFrameType.INTER_PAN, 0, 0, 0, 0, b"\x03\x06\x00\x04\x01" + b"\x00\x05\x00\x00\x00"
)


@pytest.fixture(scope="module")
def pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nwk") / "nwk.pcap"
    records = [(1000 * i, mac_data(c.nwk_bytes(), seq=i & 0xFF)) for i, c in enumerate(CASES)]
    records.append((1000 * len(CASES), _inter_pan_mpdu(INTER_PAN.encode(), len(CASES) & 0xFF)))
    write_pcap(path, records)
    return path


def _int(s: str) -> int:
    return int(s, 0)


def _ints(s: str) -> list[int]:
    return [int(x, 0) for x in s.split(",")] if s else []


def _eui(s: str) -> int:
    return int(s.replace(":", ""), 16)


def _bool(s: str) -> bool:
    return s in ("1", "True", "true")


def test_no_malformed(pcap: Path) -> None:
    assert_no_malformed(pcap, network_keys=(NWK_KEY_HEX,))


def test_no_malformed_without_key(pcap: Path) -> None:
    assert_no_malformed(pcap)


HEADER_FIELDS = [
    "zbee_nwk.frame_type", "zbee_nwk.proto_version", "zbee_nwk.discovery", "zbee_nwk.dst",
    "zbee_nwk.src", "zbee_nwk.radius", "zbee_nwk.seqno", "zbee_nwk.security",
    "zbee_nwk.end_device_initiator", "zbee_nwk.dst64", "zbee_nwk.src64", "zbee_nwk.multicast.mode",
    "zbee_nwk.multicast.radius", "zbee_nwk.multicast.max_radius", "zbee_nwk.relay.count",
    "zbee_nwk.relay.index", "zbee_nwk.relay", "zbee.sec.counter", "zbee.sec.src64",
    "zbee.sec.key_seqno", "zbee_nwk.cmd.id", "zbee_aps.cluster",
]  # fmt: skip


def test_header_fields(pcap: Path) -> None:
    rows = tshark_fields(pcap, HEADER_FIELDS, network_keys=(NWK_KEY_HEX,))
    assert len(rows) == len(CASES) + 1
    for case, row in zip(CASES, rows, strict=False):
        v = dict(zip(HEADER_FIELDS, row, strict=True))
        f = case.frame
        assert _int(v["zbee_nwk.frame_type"]) == f.frame_type
        assert _int(v["zbee_nwk.proto_version"]) == f.protocol_version
        assert _int(v["zbee_nwk.discovery"]) == f.discover_route
        assert _int(v["zbee_nwk.dst"]) == f.dst
        assert _int(v["zbee_nwk.src"]) == f.src
        assert _int(v["zbee_nwk.radius"]) == f.radius
        assert _int(v["zbee_nwk.seqno"]) == f.seq
        assert _bool(v["zbee_nwk.security"]) == case.secured
        assert _bool(v["zbee_nwk.end_device_initiator"]) == f.end_device_initiator
        assert (_eui(v["zbee_nwk.dst64"]) if v["zbee_nwk.dst64"] else None) == f.dst_ieee
        if f.src_ieee is not None:  # Wireshark may also show a src64 it inferred earlier
            assert _eui(v["zbee_nwk.src64"]) == f.src_ieee
        if f.multicast is not None:
            assert _int(v["zbee_nwk.multicast.mode"]) == f.multicast.mode
            assert _int(v["zbee_nwk.multicast.radius"]) == f.multicast.non_member_radius
            assert _int(v["zbee_nwk.multicast.max_radius"]) == f.multicast.max_non_member_radius
        else:
            assert v["zbee_nwk.multicast.mode"] == ""
        if f.source_route is not None:
            assert _int(v["zbee_nwk.relay.count"]) == len(f.source_route.relays)
            assert _int(v["zbee_nwk.relay.index"]) == f.source_route.relay_index
            assert _ints(v["zbee_nwk.relay"]) == list(f.source_route.relays)
        else:
            assert v["zbee_nwk.relay.count"] == ""
        if case.secured:
            assert _int(v["zbee.sec.counter"]) == AUX.frame_counter
            assert _eui(v["zbee.sec.src64"]) == AUX.source
            assert _int(v["zbee.sec.key_seqno"]) == AUX.key_seq
        # the payload was decrypted: the command id / APS header are visible
        cmd = case.command
        if cmd is not None:
            assert _int(v["zbee_nwk.cmd.id"]) == cmd.command_id
        else:
            assert _int(v["zbee_aps.cluster"]) == 0x0006
    inter = dict(zip(HEADER_FIELDS, rows[-1], strict=True))
    assert _int(inter["zbee_nwk.frame_type"]) == NwkFrameType.INTER_PAN
    assert _int(inter["zbee_aps.cluster"]) == 0x0006


def _command_rows(
    pcap: Path, fields: list[str], cls: type
) -> list[tuple[NwkCommand, dict[str, str]]]:
    rows = tshark_fields(pcap, fields, network_keys=(NWK_KEY_HEX,))
    out: list[tuple[NwkCommand, dict[str, str]]] = []
    for case, row in zip(CASES, rows, strict=False):
        cmd = case.command
        if cmd is not None and isinstance(cmd, cls):
            out.append((cmd, dict(zip(fields, row, strict=True))))
    assert len(out) == 2 * sum(isinstance(c, cls) for c in COMMANDS)
    return out


def test_route_request_fields(pcap: Path) -> None:
    fields = ["zbee_nwk.cmd.route.opts.many2one", "zbee_nwk.cmd.route.opts.dest_ext", "zbee_nwk.cmd.route.opts.mcast",
              "zbee_nwk.cmd.route.id", "zbee_nwk.cmd.route.dest", "zbee_nwk.cmd.route.cost",
              "zbee_nwk.cmd.route.dest_ext"]  # fmt: skip
    for cmd, v in _command_rows(pcap, fields, RouteRequest):
        assert isinstance(cmd, RouteRequest)
        assert _int(v["zbee_nwk.cmd.route.opts.many2one"]) == cmd.many_to_one
        assert _bool(v["zbee_nwk.cmd.route.opts.dest_ext"]) == (cmd.dst_ieee is not None)
        assert _bool(v["zbee_nwk.cmd.route.opts.mcast"]) == cmd.multicast
        assert _int(v["zbee_nwk.cmd.route.id"]) == cmd.route_request_id
        assert _int(v["zbee_nwk.cmd.route.dest"]) == cmd.dst
        assert _int(v["zbee_nwk.cmd.route.cost"]) == cmd.path_cost
        assert (
            _eui(v["zbee_nwk.cmd.route.dest_ext"]) if v["zbee_nwk.cmd.route.dest_ext"] else None
        ) == cmd.dst_ieee


def test_route_reply_fields(pcap: Path) -> None:
    fields = ["zbee_nwk.cmd.route.opts.orig_ext", "zbee_nwk.cmd.route.opts.resp_ext", "zbee_nwk.cmd.route.opts.mcast",
              "zbee_nwk.cmd.route.id", "zbee_nwk.cmd.route.orig", "zbee_nwk.cmd.route.resp",
              "zbee_nwk.cmd.route.cost", "zbee_nwk.cmd.route.orig_ext", "zbee_nwk.cmd.route.resp_ext"]  # fmt: skip
    for cmd, v in _command_rows(pcap, fields, RouteReply):
        assert isinstance(cmd, RouteReply)
        assert _bool(v["zbee_nwk.cmd.route.opts.orig_ext"]) == (cmd.originator_ieee is not None)
        assert _bool(v["zbee_nwk.cmd.route.opts.resp_ext"]) == (cmd.responder_ieee is not None)
        assert _bool(v["zbee_nwk.cmd.route.opts.mcast"]) == cmd.multicast
        assert _int(v["zbee_nwk.cmd.route.id"]) == cmd.route_request_id
        assert _int(v["zbee_nwk.cmd.route.orig"]) == cmd.originator
        assert _int(v["zbee_nwk.cmd.route.resp"]) == cmd.responder
        assert _int(v["zbee_nwk.cmd.route.cost"]) == cmd.path_cost
        orig, resp = v["zbee_nwk.cmd.route.orig_ext"], v["zbee_nwk.cmd.route.resp_ext"]
        assert (_eui(orig) if orig else None) == cmd.originator_ieee
        assert (_eui(resp) if resp else None) == cmd.responder_ieee


def test_network_status_fields(pcap: Path) -> None:
    fields = [
        "zbee_nwk.cmd.status",
        "zbee_nwk.cmd.route.dest",
        "zbee_nwk.cmd.status.unknown_command_id",
    ]
    for cmd, v in _command_rows(pcap, fields, NetworkStatus):
        assert isinstance(cmd, NetworkStatus)
        assert _int(v["zbee_nwk.cmd.status"]) == cmd.status
        assert _int(v["zbee_nwk.cmd.route.dest"]) == cmd.dst
        unk = v["zbee_nwk.cmd.status.unknown_command_id"]
        assert (_int(unk) if unk else None) == cmd.unknown_command_id


def test_leave_fields(pcap: Path) -> None:
    fields = [
        "zbee_nwk.cmd.leave.children",
        "zbee_nwk.cmd.leave.request",
        "zbee_nwk.cmd.leave.rejoin",
    ]
    for cmd, v in _command_rows(pcap, fields, Leave):
        assert isinstance(cmd, Leave)
        assert _bool(v["zbee_nwk.cmd.leave.children"]) == cmd.remove_children
        assert _bool(v["zbee_nwk.cmd.leave.request"]) == cmd.request
        assert _bool(v["zbee_nwk.cmd.leave.rejoin"]) == cmd.rejoin


def test_route_record_fields(pcap: Path) -> None:
    fields = ["zbee_nwk.cmd.relay_count", "zbee_nwk.cmd.relay_device"]
    for cmd, v in _command_rows(pcap, fields, RouteRecord):
        assert isinstance(cmd, RouteRecord)
        assert _int(v["zbee_nwk.cmd.relay_count"]) == len(cmd.relays)
        assert _ints(v["zbee_nwk.cmd.relay_device"]) == list(cmd.relays)


def test_rejoin_fields(pcap: Path) -> None:
    fields = ["zbee_nwk.cmd.cinfo", "zbee_nwk.cmd.cinfo.ffd", "zbee_nwk.cmd.cinfo.alloc"]
    for cmd, v in _command_rows(pcap, fields, RejoinRequest):
        assert isinstance(cmd, RejoinRequest)
        assert _int(v["zbee_nwk.cmd.cinfo"]) == cmd.capability
        assert _bool(v["zbee_nwk.cmd.cinfo.ffd"]) == bool(
            cmd.capability & CapabilityInformation.DEVICE_TYPE_FFD
        )
        assert _bool(v["zbee_nwk.cmd.cinfo.alloc"]) == bool(
            cmd.capability & CapabilityInformation.ALLOCATE_ADDRESS
        )
    fields = ["zbee_nwk.cmd.addr", "zbee_nwk.cmd.rejoin_status"]
    for cmd, v in _command_rows(pcap, fields, RejoinResponse):
        assert isinstance(cmd, RejoinResponse)
        assert _int(v["zbee_nwk.cmd.addr"]) == cmd.network_address
        assert _int(v["zbee_nwk.cmd.rejoin_status"]) == cmd.status


def test_link_status_fields(pcap: Path) -> None:
    fields = ["zbee_nwk.cmd.link.count", "zbee_nwk.cmd.link.first", "zbee_nwk.cmd.link.last",
              "zbee_nwk.cmd.link.address", "zbee_nwk.cmd.link.incoming_cost", "zbee_nwk.cmd.link.outgoing_cost"]  # fmt: skip
    for cmd, v in _command_rows(pcap, fields, LinkStatus):
        assert isinstance(cmd, LinkStatus)
        assert _int(v["zbee_nwk.cmd.link.count"]) == len(cmd.entries)
        assert _bool(v["zbee_nwk.cmd.link.first"]) == cmd.first_frame
        assert _bool(v["zbee_nwk.cmd.link.last"]) == cmd.last_frame
        assert _ints(v["zbee_nwk.cmd.link.address"]) == [e.address for e in cmd.entries]
        assert _ints(v["zbee_nwk.cmd.link.incoming_cost"]) == [e.incoming_cost for e in cmd.entries]
        assert _ints(v["zbee_nwk.cmd.link.outgoing_cost"]) == [e.outgoing_cost for e in cmd.entries]


def test_report_and_update_fields(pcap: Path) -> None:
    fields = [
        "zbee_nwk.cmd.report.type",
        "zbee_nwk.cmd.report.count",
        "zbee_nwk.cmd.epid",
        "zbee_nwk.panid",
    ]
    for cmd, v in _command_rows(pcap, fields, NetworkReport):
        assert isinstance(cmd, NetworkReport)
        assert _int(v["zbee_nwk.cmd.report.type"]) == cmd.report_type
        assert _int(v["zbee_nwk.cmd.report.count"]) == len(cmd.pan_ids)
        assert _eui(v["zbee_nwk.cmd.epid"]) == cmd.epid
        assert _ints(v["zbee_nwk.panid"]) == list(cmd.pan_ids)
    fields = ["zbee_nwk.cmd.update.type", "zbee_nwk.cmd.update.count", "zbee_nwk.cmd.epid",
              "zbee_nwk.cmd.update.id", "zbee_nwk.panid"]  # fmt: skip
    for cmd, v in _command_rows(pcap, fields, NetworkUpdate):
        assert isinstance(cmd, NetworkUpdate)
        assert _int(v["zbee_nwk.cmd.update.type"]) == cmd.update_type
        assert _int(v["zbee_nwk.cmd.update.count"]) == 1
        assert _eui(v["zbee_nwk.cmd.epid"]) == cmd.epid
        assert _int(v["zbee_nwk.cmd.update.id"]) == cmd.update_id
        assert _ints(v["zbee_nwk.panid"]) == [cmd.new_pan_id]


def test_end_device_timeout_fields(pcap: Path) -> None:
    fields = ["zbee_nwk.cmd.ed_tmo_req", "zbee_nwk.cmd.ed_config"]
    for cmd, v in _command_rows(pcap, fields, EndDeviceTimeoutRequest):
        assert isinstance(cmd, EndDeviceTimeoutRequest)
        assert _int(v["zbee_nwk.cmd.ed_tmo_req"]) == cmd.requested_timeout
        assert _int(v["zbee_nwk.cmd.ed_config"]) == cmd.configuration
    fields = ["zbee_nwk.cmd.ed_tmo_rsp_status", "zbee_nwk.cmd.ed_prnt_info.mac_data_poll_keepalive",
              "zbee_nwk.cmd.ed_prnt_info.ed_tmo_req_keepalive", "zbee_nwk.cmd.power_negotiation_supported"]  # fmt: skip
    for cmd, v in _command_rows(pcap, fields, EndDeviceTimeoutResponse):
        assert isinstance(cmd, EndDeviceTimeoutResponse)
        assert _int(v["zbee_nwk.cmd.ed_tmo_rsp_status"]) == cmd.status
        assert (
            _bool(v["zbee_nwk.cmd.ed_prnt_info.mac_data_poll_keepalive"])
            == cmd.mac_data_poll_keepalive
        )
        assert (
            _bool(v["zbee_nwk.cmd.ed_prnt_info.ed_tmo_req_keepalive"])
            == cmd.timeout_request_keepalive
        )
        assert _bool(v["zbee_nwk.cmd.power_negotiation_supported"]) == cmd.power_negotiation


def test_link_power_delta_fields(pcap: Path) -> None:
    fields = ["zbee_nwk.cmd.link_pwr_delta.type", "zbee_nwk.cmd.link_pwr_delta.list_count",
              "zbee_nwk.cmd.link_pwr_delta.address", "zbee_nwk.cmd.link_pwr_delta.power_delta"]  # fmt: skip
    for cmd, v in _command_rows(pcap, fields, LinkPowerDelta):
        assert isinstance(cmd, LinkPowerDelta)
        assert _int(v["zbee_nwk.cmd.link_pwr_delta.type"]) == cmd.type
        assert _int(v["zbee_nwk.cmd.link_pwr_delta.list_count"]) == len(cmd.entries)
        assert _ints(v["zbee_nwk.cmd.link_pwr_delta.address"]) == [e.address for e in cmd.entries]
        assert _ints(v["zbee_nwk.cmd.link_pwr_delta.power_delta"]) == [
            e.power_delta for e in cmd.entries
        ]


def test_secured_frames_need_the_key(pcap: Path) -> None:
    """Without the key, secured commands stay opaque: the command id is not visible."""
    rows = tshark_fields(pcap, ["zbee_nwk.security", "zbee_nwk.cmd.id", "zbee_aps.cluster"])
    for case, (sec, cid, cluster) in zip(CASES, rows, strict=False):
        if case.secured:
            assert _bool(sec) and cid == "" and cluster == ""
