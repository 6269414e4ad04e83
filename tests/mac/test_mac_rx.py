"""Receive path: filtering, bad frames from the air counted and dropped, never raised
(802.15.4-2006 7.5.6.2)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.mac.commands import BeaconRequest
from zigmesh.mac.fcs import append_fcs
from zigmesh.mac.frames import AddrMode, MacFrame
from zigmesh.mac.mac import MacConfig
from zigmesh.mac.primitives import MacStatus, McpsDataConfirm, McpsDataIndication
from zigmesh.sim.medium import Radio
from zigmesh.types import EUI64

from .conftest import PAN, Net
from .test_mac_csma import Injector


def test_bad_fcs_dropped_counted_not_acked() -> None:
    net = Net()
    a = net.add((0, 0), short=1)
    b = net.add((30, 0), short=2)

    def corrupt(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        if len(psdu) > 5:
            return psdu[:-3] + bytes([psdu[-3] ^ 0x01]) + psdu[-2:]
        return psdu

    net.medium.rx_filter = corrupt
    a.mac.mcps_data_request(2, b"payload", msdu_handle=1)
    net.run(1_000_000)
    assert b.of(McpsDataIndication) == []
    assert b.mac.stats.rx_bad_fcs == 4 and b.mac.stats.tx_acks == 0
    assert a.of(McpsDataConfirm)[0].status == MacStatus.NO_ACK


def test_injected_garbage_is_counted_by_reason() -> None:
    net = Net()
    b = net.add((30, 0), short=2)
    inj = Injector(net, net.medium.add_radio(0xBEEF, (0, 0)))
    good = MacFrame.data(PAN, 2, 1, b"ok", seq=1, ack_request=False).encode()
    other_pan = MacFrame.data(0x9999, 2, 1, b"no", seq=2).encode()
    other_dst = MacFrame.data(PAN, 3, 1, b"no", seq=3).encode()
    other_ext = MacFrame.data(PAN, EUI64(0x1122334455667788), 1, b"no", seq=4).encode()
    reserved_type = append_fcs(b"\x04\x88\x05\x62\x1a\x02\x00")  # frame type 4
    short_hdr = append_fcs(b"\x41\x88\x06\x62")  # says short addresses, too short
    bad_cmd = MacFrame(3, 7, PAN, 2, AddrMode.SHORT, PAN, 1, AddrMode.SHORT, payload=b"").encode()
    t = 1_000
    for p in (
        good,
        other_pan,
        other_dst,
        other_ext,
        reserved_type,
        short_hdr,
        bad_cmd,
        b"\x01",
        good[:-1] + b"\x00",
    ):
        inj.send_at(t, p)
        t += 5_000
    net.run(t + 10_000)
    s = b.mac.stats
    assert [i.msdu for i in b.of(McpsDataIndication)] == [b"ok"]
    # other PAN and other short address: the radio's filter (zigmesh.phy.FrameFilter); other
    # extended address: the MAC
    assert b.radio.rx_filtered == 2 and s.rx_not_for_us == 1
    assert s.rx_decode_error == 4  # reserved type, short header, empty command, 1 byte
    assert s.rx_bad_fcs == 1
    assert s.tx_acks == 0  # bad_cmd asked for no ACK (broadcast-free but ack bit clear)


def test_beacon_request_frames_are_ignored_when_not_a_coordinator() -> None:
    net = Net()
    b = net.add((30, 0), short=2)
    inj = Injector(net, net.medium.add_radio(0xBEEF, (0, 0)))
    inj.send_at(
        0, MacFrame.command(BeaconRequest(), seq=1, dst_pan=0xFFFF, dst_addr=0xFFFF).encode()
    )
    net.run(100_000)
    assert b.mac.stats.rx_ignored == 1 and b.mac.stats.tx_frames == 0


def test_extended_destination_and_source() -> None:
    net = Net()
    a = net.add((0, 0), short=1)
    b = net.add((30, 0), short=2)
    a.mac.mcps_data_request(EUI64(b.eui), b"long", msdu_handle=1, src_addr_mode=AddrMode.EXTENDED)
    net.run(100_000)
    [ind] = b.of(McpsDataIndication)
    assert ind.dst_addr_mode == AddrMode.EXTENDED and ind.dst_addr == b.eui
    assert ind.src_addr_mode == AddrMode.EXTENDED and ind.src_addr == a.eui
    assert a.of(McpsDataConfirm)[0].status == MacStatus.SUCCESS


def test_pan_coordinator_accepts_frames_without_destination() -> None:
    net = Net()
    c = net.add((0, 0), short=0, pan=None)
    c.mac.mlme_start_request(PAN, 11)
    d = net.add((30, 0), short=5)
    other = net.add((0, 30), short=6)
    d.mac.mcps_data_request(None, b"to-coordinator", msdu_handle=1)
    net.run(100_000)
    assert [i.msdu for i in c.of(McpsDataIndication)] == [b"to-coordinator"]
    assert other.of(McpsDataIndication) == []  # not a PAN coordinator
    assert d.of(McpsDataConfirm)[0].status == MacStatus.SUCCESS


def test_frame_pending_in_any_ack_option() -> None:
    net = Net()
    parent = net.add((0, 0), short=0, config=MacConfig(ack_pending_for_any_frame=True))
    child = net.add((30, 0), short=0x22, rx_on=False)
    parent.mac.mcps_data_request(0x22, b"later", msdu_handle=1, indirect=True)
    acks: list[bytes] = []

    def spy(sender: Radio, receiver: Radio, psdu: bytes) -> bytes:
        if len(psdu) == 5:
            acks.append(psdu)
        return psdu

    net.medium.rx_filter = spy
    child.mac.mcps_data_request(0, b"hello", msdu_handle=2)
    net.run(100_000)
    assert acks and acks[0][0] & 0x10  # Frame Pending set in the ACK of a data frame


@settings(max_examples=250, deadline=None)
@given(st.binary(min_size=0, max_size=130))
def test_any_bytes_never_raise(psdu: bytes) -> None:
    net = Net()
    b = net.add((30, 0), short=2)
    b.mac.pd_data_indication(psdu, -60, 200)
    b.mac.pd_data_indication(append_fcs(psdu[:125]), -60, 200)
    net.run(50_000)
    s = b.mac.stats
    assert (
        s.rx_frames + s.rx_bad_fcs + s.rx_decode_error + s.rx_not_for_us + s.rx_ignored
        >= 2 - s.rx_acks
    )


@settings(max_examples=250, deadline=None)
@given(st.data())
def test_mutated_valid_frames_never_raise(data: st.DataObject) -> None:
    net = Net()
    b = net.add((30, 0), short=2)
    frames = [
        MacFrame.data(PAN, 2, 1, b"abc", seq=9).encode(),
        MacFrame.command(BeaconRequest(), seq=1, dst_pan=0xFFFF, dst_addr=0xFFFF).encode(),
        MacFrame.ack(3).encode(),
    ]
    base = bytearray(data.draw(st.sampled_from(frames)))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(base) - 1))
        base[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(base)))
    for p in (
        bytes(base),
        bytes(base[:cut]),
        append_fcs(bytes(base[:-2])),
        append_fcs(bytes(base[:cut])),
    ):
        b.mac.pd_data_indication(p, -70, 100)
    net.run(100_000)
