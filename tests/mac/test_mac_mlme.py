"""MLME procedures: START, SCAN (ED / active / orphan), ASSOCIATE, DISASSOCIATE (802.15.4-2006
7.5.2 - 7.5.3), and the 20-device association capture checked by tshark."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.tshark import MALFORMED_FILTER, assert_no_malformed, tshark, tshark_fields
from zigmesh.capture.pcap import PcapWriter
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.commands import (
    AssociationStatus,
    CapabilityInformation,
    DisassociationReason,
    MacCommandId,
)
from zigmesh.mac.frames import AddrMode, FrameType, MacFrame
from zigmesh.mac.primitives import (
    MacEvent,
    MacStatus,
    McpsDataConfirm,
    McpsDataIndication,
    MlmeAssociateConfirm,
    MlmeAssociateIndication,
    MlmeBeaconNotifyIndication,
    MlmeCommStatusIndication,
    MlmeDisassociateConfirm,
    MlmeDisassociateIndication,
    MlmeOrphanIndication,
    MlmePollConfirm,
    MlmeScanConfirm,
    MlmeStartConfirm,
    PanDescriptor,
    ScanType,
)
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.phy import RadioState, ed_level
from zigmesh.types import EUI64

from .conftest import PAN, Net, Node, Recorder
from .test_mac_csma import Jammer

SCAN_3_US = 960 * 16 * (2**3 + 1)  # aBaseSuperframeDuration x (2^3 + 1) symbols = 138,240 us
RESPONSE_WAIT_US = 32 * 960 * 16  # macResponseWaitTime = 491,520 us
ROUTER_CAP = CapabilityInformation(
    device_type_ffd=True, power_source_mains=True, receiver_on_when_idle=True
)
SLEEPY_CAP = CapabilityInformation()


def payload(ext_pan: int = 0xDDDD_0000_0000_0001) -> bytes:
    return ZigbeeBeaconPayload(nwk_extended_pan_id=ext_pan).encode()


def start_coordinator(
    net: Net,
    pos: tuple[float, float] = (0, 0),
    *,
    pan: int = PAN,
    channel: int = 11,
    permit: bool = True,
    status: AssociationStatus = AssociationStatus.SUCCESS,
    first_short: int = 0x0001,
) -> Node:
    c = net.add(pos, short=0x0000, pan=None, channel=channel)
    c.mac.mlme_set("mac_association_permit", permit)
    c.mac.mlme_set("mac_beacon_payload", payload(0xDDDD_0000_0000_0000 | pan))
    c.mac.mlme_start_request(pan, channel)
    shorts = iter(range(first_short, 0xFFF0))

    def respond(node: Node, ev: MacEvent) -> None:
        if isinstance(ev, MlmeAssociateIndication):
            short = next(shorts) if status == AssociationStatus.SUCCESS else 0xFFFF
            node.mac.mlme_associate_response(ev.device_address, short, status)

    c.on_event = respond
    return c


def device(net: Net, pos: tuple[float, float], *, rx_on: bool = True) -> Node:
    return net.add(pos, short=None, pan=None, rx_on=rx_on)


def test_start_confirm_and_statuses() -> None:
    net = Net()
    c = start_coordinator(net)
    net.run(10)
    assert c.of(MlmeStartConfirm) == [MlmeStartConfirm(MacStatus.SUCCESS)]
    assert c.mac.pib.mac_pan_id == PAN and c.radio.state == RadioState.RX
    other = net.add((5, 5), pan=None)
    other.mac.mlme_start_request(0x1234, 15)  # no short address yet
    other.mac.mlme_set("mac_short_address", 7)
    other.mac.mlme_start_request(0x1234, 15, beacon_order=6)
    net.run(20)
    assert [e.status for e in other.of(MlmeStartConfirm)] == [
        MacStatus.NO_SHORT_ADDRESS,
        MacStatus.INVALID_PARAMETER,
    ]
    with pytest.raises(LocalProtocolError):
        other.mac.mlme_start_request(0x1234, 27)


def test_active_scan_collects_pan_descriptors() -> None:
    net = Net()
    c1 = start_coordinator(net, (0, 0), pan=0x1111, channel=11)
    c2 = start_coordinator(net, (20, 0), pan=0x2222, channel=13, permit=False)
    d = device(net, (10, 10))
    d.mac.mlme_set("mac_pan_id", 0x4321)  # restored after the scan
    net.at(1_000, lambda: d.mac.mlme_scan_request(ScanType.ACTIVE, [11, 12, 13], 3))
    net.run(2_000_000)
    [(t, conf)] = d.timed(MlmeScanConfirm)
    assert conf.status == MacStatus.SUCCESS and conf.scan_type == ScanType.ACTIVE
    assert conf.unscanned_channels == () and conf.scanned_channels == (11, 12, 13)
    # per channel: the Beacon Request (CSMA-CA + 11-byte frame), then 138,240 us of listening
    assert 1_000 + 3 * SCAN_3_US < t < 1_000 + 3 * SCAN_3_US + 3 * 4_000
    pds = {pd.coord_pan_id: pd for pd in conf.pan_descriptor_list}
    assert set(pds) == {0x1111, 0x2222}
    p1, p2 = pds[0x1111], pds[0x2222]
    assert (p1.channel_number, p1.coord_address, p1.coord_addr_mode) == (11, 0, AddrMode.SHORT)
    assert p1.superframe_spec.association_permit and p1.superframe_spec.pan_coordinator
    assert p1.superframe_spec.beacon_order == 15 and p1.superframe_spec.superframe_order == 15
    assert p2.channel_number == 13 and not p2.superframe_spec.association_permit
    assert ZigbeeBeaconPayload.decode(p1.beacon_payload).nwk_extended_pan_id == (
        0xDDDD_0000_0000_1111
    )
    assert p1.link_quality > 0 and p1.rssi < -70
    notes = d.of(MlmeBeaconNotifyIndication)
    assert len(notes) == 2 and {n.sdu for n in notes} == {p1.beacon_payload, p2.beacon_payload}
    assert d.mac.pib.mac_pan_id == 0x4321 and d.radio.channel == 11
    assert c1.mac.stats.tx_frames == 1 and c2.mac.stats.tx_frames == 1  # one beacon each


def test_active_scan_without_coordinator_is_no_beacon() -> None:
    net = Net()
    d = device(net, (0, 0))
    d.mac.mlme_scan_request(ScanType.ACTIVE, 1 << 20 | 1 << 21, 0)  # a channel mask
    net.run(1_000_000)
    [conf] = d.of(MlmeScanConfirm)
    assert conf.status == MacStatus.NO_BEACON and conf.scanned_channels == (20, 21)


def test_second_scan_request_is_scan_in_progress() -> None:
    net = Net()
    d = device(net, (0, 0))
    d.mac.mlme_scan_request(ScanType.ED, [11], 1)
    d.mac.mlme_scan_request(ScanType.ED, [12], 1)
    net.run(1_000_000)
    assert [c.status for c in d.of(MlmeScanConfirm)] == [
        MacStatus.SCAN_IN_PROGRESS,
        MacStatus.SUCCESS,
    ]


def test_ed_scan_finds_the_busy_channel() -> None:
    net = Net()
    d = device(net, (0, 0), rx_on=False)
    jam_radio = net.medium.add_radio(0xDEAD, (20, 0), channel=13)
    jammer = Jammer(jam_radio)
    net.at(0, jammer.start)
    net.at(1_000, lambda: d.mac.mlme_scan_request(ScanType.ED, [11, 12, 13, 14], 3))
    net.run(2_000_000)
    [(t, conf)] = d.timed(MlmeScanConfirm)
    assert t == 1_000 + 4 * SCAN_3_US == 553_960
    assert conf.scanned_channels == (11, 12, 13, 14)
    ed = dict(zip(conf.scanned_channels, conf.energy_detect_list, strict=True))
    assert ed[11] == ed[12] == ed[14] == 0
    # 20 m: 46.68 + 30 log10(20) = 85.71 dB -> -85.71 dBm (+ noise): 4.3 dB over the ED floor
    # (sensitivity + 10 dB), 255 / 40 per dB
    power = 10 * math.log10(10 ** (-85.7077 / 10) + 10 ** (-105 / 10))
    assert ed[13] == ed_level(power, -100.0) == 28
    assert d.radio.state == RadioState.SLEEP and d.radio.channel == 11


def test_association_success_and_timing(rec_net: tuple[Net, Recorder]) -> None:
    net, rec = rec_net
    c = start_coordinator(net)
    d = device(net, (30, 0))
    net.at(
        10_000,
        lambda: d.mac.mlme_associate_request(11, PAN, 0x0000, ROUTER_CAP),
    )
    net.run(2_000_000)
    [(t_conf, conf)] = d.timed(MlmeAssociateConfirm)
    assert conf == MlmeAssociateConfirm(0x0001, MacStatus.SUCCESS)
    assert d.mac.pib.mac_short_address == 0x0001
    assert d.mac.pib.mac_coord_extended_address == c.eui
    [ind] = c.of(MlmeAssociateIndication)
    assert ind.device_address == d.eui and ind.capability_information == ROUTER_CAP
    [(t_cs, cs)] = c.timed(MlmeCommStatusIndication)
    assert cs.status == MacStatus.SUCCESS and cs.dst_addr == d.eui
    assert cs.src_addr_mode == AddrMode.EXTENDED and cs.pan_id == PAN
    frames = [(t, MacFrame.decode(p)) for t, p in rec.frames]
    cmds = [(t, f.payload[0]) for t, f in frames if f.frame_type == FrameType.MAC_COMMAND]
    assert [c_ for _, c_ in cmds] == [
        MacCommandId.ASSOCIATION_REQUEST,
        MacCommandId.DATA_REQUEST,
        MacCommandId.ASSOCIATION_RESPONSE,
    ]
    # the Data Request goes macResponseWaitTime after the request's ACK (+ CSMA-CA)
    ack_end = next(t for t, f in frames if f.frame_type == FrameType.ACK) + 352
    t_dreq = cmds[1][0]
    assert ack_end + RESPONSE_WAIT_US + 128 + 192 <= t_dreq <= ack_end + RESPONSE_WAIT_US + 2_560
    req = next(f for _, f in frames if f.frame_type == FrameType.MAC_COMMAND)
    assert req.src_pan == 0xFFFF and req.src_mode == AddrMode.EXTENDED and req.dst_pan == PAN
    assert t_conf < t_cs + 1 and t_conf > t_dreq
    # afterwards they talk with short addresses
    d.mac.mcps_data_request(0x0000, b"hi", msdu_handle=1)
    net.run(2_100_000)
    assert c.of(McpsDataIndication)[0].src_addr == 0x0001


def test_association_refused_and_not_permitted() -> None:
    net = Net()
    start_coordinator(net, status=AssociationStatus.PAN_AT_CAPACITY)
    start_coordinator(net, (0, 5), pan=0x3333, channel=12, permit=False)
    d1 = device(net, (30, 0))
    d2 = device(net, (30, 5))
    d1.mac.mlme_associate_request(11, PAN, 0x0000, ROUTER_CAP)
    d2.mac.mlme_associate_request(12, 0x3333, 0x0000, ROUTER_CAP)
    net.run(3_000_000)
    assert d1.of(MlmeAssociateConfirm) == [MlmeAssociateConfirm(0xFFFF, MacStatus.PAN_AT_CAPACITY)]
    # not permitted: the request is ACKed but ignored, the poll finds nothing
    assert d2.of(MlmeAssociateConfirm) == [MlmeAssociateConfirm(0xFFFF, MacStatus.NO_DATA)]
    assert d1.mac.pib.mac_pan_id == 0xFFFF and d2.mac.pib.mac_pan_id == 0xFFFF


def test_association_no_ack() -> None:
    net = Net()
    d = device(net, (0, 0))
    d.mac.mlme_associate_request(11, PAN, 0x0000, ROUTER_CAP)
    with pytest.raises(LocalProtocolError):
        d.mac.mlme_associate_request(11, PAN, 0x0000, ROUTER_CAP)
    net.run(1_000_000)
    assert d.of(MlmeAssociateConfirm) == [MlmeAssociateConfirm(0xFFFF, MacStatus.NO_ACK)]


def test_sleepy_device_associates() -> None:
    net = Net()
    start_coordinator(net)
    d = device(net, (30, 0), rx_on=False)
    d.mac.mlme_associate_request(11, PAN, 0x0000, SLEEPY_CAP)
    asleep: list[RadioState] = []
    net.at(300_000, lambda: asleep.append(d.radio.state))  # waiting macResponseWaitTime
    net.run(1_000_000)
    assert d.of(MlmeAssociateConfirm) == [MlmeAssociateConfirm(0x0001, MacStatus.SUCCESS)]
    assert asleep == [RadioState.SLEEP] and d.radio.state == RadioState.SLEEP


def test_device_leaves_its_coordinator() -> None:
    net = Net()
    c = start_coordinator(net)
    d = device(net, (30, 0))
    d.mac.mlme_associate_request(11, PAN, 0x0000, ROUTER_CAP)
    net.run(1_000_000)
    d.mac.mlme_disassociate_request(EUI64(c.eui), DisassociationReason.DEVICE_WISHES_TO_LEAVE)
    net.run(1_100_000)
    [conf] = d.of(MlmeDisassociateConfirm)
    assert conf.status == MacStatus.SUCCESS and conf.device_address == c.eui
    assert d.mac.pib.mac_pan_id == 0xFFFF and d.mac.pib.mac_short_address == 0xFFFF
    [ind] = c.of(MlmeDisassociateIndication)
    assert ind.device_address == d.eui
    assert ind.disassociate_reason == DisassociationReason.DEVICE_WISHES_TO_LEAVE


def test_coordinator_removes_sleepy_child_indirectly() -> None:
    net = Net()
    c = start_coordinator(net)
    d = device(net, (30, 0), rx_on=False)
    d.mac.mlme_associate_request(11, PAN, 0x0000, SLEEPY_CAP)
    net.run(1_000_000)
    # queued for the child's short address: the address its Data Requests come from
    # (the transaction queue matches the requester's address as sent, 7.5.6.3)
    c.mac.mlme_disassociate_request(
        0x0001, DisassociationReason.COORDINATOR_WISHES_DEVICE_TO_LEAVE, tx_indirect=True
    )
    net.run(2_000_000)
    assert c.of(MlmeDisassociateConfirm) == []  # waits for the child's poll
    d.mac.mlme_poll_request()
    net.run(2_100_000)
    [conf] = c.of(MlmeDisassociateConfirm)
    assert conf.status == MacStatus.SUCCESS and conf.device_addr_mode == AddrMode.SHORT
    [ind] = d.of(MlmeDisassociateIndication)
    assert ind.device_address == c.eui
    assert d.of(MlmePollConfirm) == [MlmePollConfirm(MacStatus.SUCCESS)]
    assert d.mac.pib.mac_pan_id == 0xFFFF  # forgot the PAN


def test_orphan_scan_realignment() -> None:
    net = Net()
    c = start_coordinator(net, channel=14)

    def orphan(node: Node, ev: MacEvent) -> None:
        if isinstance(ev, MlmeOrphanIndication):
            node.mac.mlme_orphan_response(ev.orphan_address, 0x4444, True)

    c.on_event = orphan
    d = device(net, (30, 0), rx_on=False)
    d.mac.mlme_scan_request(ScanType.ORPHAN, [12, 13, 14, 15], 3)
    net.run(5_000_000)
    [conf] = d.of(MlmeScanConfirm)
    assert conf.status == MacStatus.SUCCESS and conf.scanned_channels == (12, 13, 14)
    assert conf.unscanned_channels == (15,)
    pib = d.mac.pib
    assert (pib.mac_pan_id, pib.mac_short_address, pib.mac_coord_short_address) == (
        PAN,
        0x4444,
        0x0000,
    )
    assert pib.mac_coord_extended_address == c.eui and d.radio.channel == 14
    [cs] = c.of(MlmeCommStatusIndication)
    assert cs.status == MacStatus.SUCCESS and cs.dst_addr == d.eui


def test_orphan_scan_without_parent_is_no_beacon() -> None:
    net = Net()
    d = device(net, (0, 0))
    d.mac.mlme_scan_request(ScanType.ORPHAN, [11, 12], 3)
    net.run(5_000_000)
    [(t, conf)] = d.timed(MlmeScanConfirm)
    assert conf.status == MacStatus.NO_BEACON
    assert t > 2 * RESPONSE_WAIT_US


def test_beacon_request_ignored_unless_started() -> None:
    net = Net()
    net.add((0, 0), short=0)  # not started
    d = device(net, (10, 0))
    d.mac.mlme_scan_request(ScanType.ACTIVE, [11], 2)
    net.run(1_000_000)
    assert d.of(MlmeScanConfirm)[0].status == MacStatus.NO_BEACON


def test_data_queued_during_scan_goes_after_it() -> None:
    net = Net()
    a = net.add((0, 0), short=1)
    b = net.add((30, 0), short=2)
    a.mac.mlme_scan_request(ScanType.ED, [15, 16], 2)
    a.mac.mcps_data_request(2, b"after", msdu_handle=1)
    net.run(2_000_000)
    [(t_scan, _)] = a.timed(MlmeScanConfirm)
    [(t_conf, conf)] = a.timed(McpsDataConfirm)
    assert conf.status == MacStatus.SUCCESS and t_conf > t_scan
    assert b.of(McpsDataIndication)[0].msdu == b"after"


def test_twenty_devices_associate_via_active_scan(tmp_path: Path) -> None:
    pcap = tmp_path / "assoc20.pcap"
    with PcapWriter(pcap) as w:
        net = Net(seed=7, capture=w)
        c = start_coordinator(net, first_short=0x0100)
        devices = []
        for i in range(20):
            ang = 2 * math.pi * i / 20
            r = 10.0 + (i % 3) * 5.0  # everyone hears the coordinator above the CCA threshold
            devices.append(device(net, (r * math.cos(ang), r * math.sin(ang)), rx_on=i % 2 == 0))
        attempts = {d.eui: 0 for d in devices}

        def join(node: Node, ev: MacEvent) -> None:
            if isinstance(ev, MlmeScanConfirm):
                pds = [pd for pd in ev.pan_descriptor_list if pd.superframe_spec.association_permit]
                assert pds, ev
                best = max(pds, key=lambda pd: pd.link_quality)
                node.net.at(node.net.kernel.now(), associate, node, best)
            elif isinstance(ev, MlmeAssociateConfirm) and ev.status != MacStatus.SUCCESS:
                # as the NWK layer does: try again (a lost response ends in NO_DATA)
                node.net.at(node.net.kernel.now() + 100_000, associate, node, None)

        targets: dict[int, PanDescriptor] = {}

        def associate(node: Node, pd: PanDescriptor | None) -> None:
            if pd is not None:
                targets[node.eui] = pd
            pd = targets[node.eui]
            attempts[node.eui] += 1
            cap = ROUTER_CAP if node.mac.pib.mac_rx_on_when_idle else SLEEPY_CAP
            node.mac.mlme_associate_request(
                pd.channel_number, pd.coord_pan_id, pd.coord_address, cap
            )

        for i, d in enumerate(devices):
            d.on_event = join
            net.at(i * 250_000, d.mac.mlme_scan_request, ScanType.ACTIVE, [11, 12], 3)
        net.run(30_000_000)
    shorts = []
    for d in devices:
        conf = d.of(MlmeAssociateConfirm)[-1]
        assert conf.status == MacStatus.SUCCESS, conf
        shorts.append(conf.assoc_short_address)
        assert d.mac.pib.mac_short_address == conf.assoc_short_address
    assert len(set(shorts)) == 20
    assert sum(attempts.values()) <= 26  # most associate at the first attempt
    assert [
        sum(e.status == MacStatus.SUCCESS for e in d.of(MlmeAssociateConfirm)) for d in devices
    ] == [1] * 20
    # the coordinator hears an ACK for (almost) every response it delivered
    comm_ok = [e for e in c.of(MlmeCommStatusIndication) if e.status == MacStatus.SUCCESS]
    assert 18 <= len(comm_ok) <= 20

    assert_no_malformed(pcap)
    rows = tshark_fields(pcap, ["wpan.frame_type", "wpan.cmd"])
    ftypes = [int(r[0], 16) for r in rows]
    cmds = [int(r[1], 16) for r in rows if r[1]]
    assert ftypes.count(FrameType.BEACON) >= 20
    assert cmds.count(MacCommandId.BEACON_REQUEST) == 40  # 20 devices x 2 channels
    assert cmds.count(MacCommandId.ASSOCIATION_REQUEST) >= 20
    assert cmds.count(MacCommandId.DATA_REQUEST) >= 20
    assert cmds.count(MacCommandId.ASSOCIATION_RESPONSE) >= 20
    assert ftypes.count(FrameType.ACK) >= 60
    # the association responses carry the short addresses we handed out
    got = tshark_fields(pcap, ["wpan.asoc.addr"], "wpan.cmd == 0x02")
    assert set(shorts) <= {int(r[0], 16) for r in got}


def test_disassociation_orphan_and_data_frames_pass_tshark(tmp_path: Path) -> None:
    pcap = tmp_path / "mlme.pcap"
    with PcapWriter(pcap) as w:
        net = Net(seed=3, capture=w)
        c = start_coordinator(net)

        def orphan(node: Node, ev: MacEvent) -> None:
            if isinstance(ev, MlmeOrphanIndication):
                node.mac.mlme_orphan_response(ev.orphan_address, 0x0042, True)
            elif isinstance(ev, MlmeAssociateIndication):
                node.mac.mlme_associate_response(ev.device_address, 0x0041)

        c.on_event = orphan
        d = device(net, (30, 0))
        d.mac.mlme_associate_request(11, PAN, 0x0000, ROUTER_CAP)
        net.run(1_000_000)
        d.mac.mcps_data_request(0x0000, b"short-short", msdu_handle=1)
        d.mac.mcps_data_request(EUI64(c.eui), b"to-ext", msdu_handle=2)
        d.mac.mcps_data_request(0xFFFF, b"broadcast", msdu_handle=3)
        net.run(1_100_000)
        d.mac.mlme_disassociate_request(EUI64(c.eui), DisassociationReason.DEVICE_WISHES_TO_LEAVE)
        net.run(1_200_000)
        d.mac.mlme_scan_request(ScanType.ORPHAN, [11], 3)
        net.run(3_000_000)
    assert d.of(MlmeScanConfirm)[0].status == MacStatus.SUCCESS
    assert [x.status for x in d.of(McpsDataConfirm)] == [MacStatus.SUCCESS] * 3
    # the MSDUs are arbitrary bytes: keep Wireshark's 6LoWPAN heuristics off them
    bad = tshark(pcap, "--disable-protocol", "6lowpan", "-Y", MALFORMED_FILTER)
    assert bad.strip() == "", bad
    rows = tshark_fields(pcap, ["wpan.cmd", "wpan.disassoc.reason", "wpan.realign.addr"])
    cmds = [int(r[0], 16) for r in rows if r[0]]
    for cid in (
        MacCommandId.ASSOCIATION_REQUEST,
        MacCommandId.ASSOCIATION_RESPONSE,
        MacCommandId.DATA_REQUEST,
        MacCommandId.DISASSOCIATION_NOTIFICATION,
        MacCommandId.ORPHAN_NOTIFICATION,
        MacCommandId.COORDINATOR_REALIGNMENT,
    ):
        assert cid in cmds, cid
    assert [r[1] for r in rows if r[1]] == ["0x02"]
    # realignment: the coordinator's short address, then the orphan's new one
    assert [r[2] for r in rows if r[2]] == ["0x0000,0x0042"]
    data = tshark_fields(pcap, ["wpan.dst16", "wpan.dst64", "data.data"], "wpan.frame_type == 1")
    assert [r[0] or r[1] for r in data] == ["0x0000", str(EUI64(c.eui)), "0xffff"]
