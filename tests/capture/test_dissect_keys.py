"""``zigmesh decode`` learns every key of a secured run from the default keys alone.

A synthetic Zigbee 3.0 capture built with zigmesh's encoders: a router joins (network key 0
sent with the key-transport key of ZigBeeAlliance09), requests a unique trust center link key
(Request-Key), gets it in a Transport-Key secured with the key-load key of ZigBeeAlliance09,
verifies it (Verify-Key, NWK security only) and is answered by a Confirm-Key secured with the
unique key; application data then travels APS-secured with the unique key, the trust center
hands out an application link key for a second router, and finally updates the network key:
Transport-Key of key 1 secured with the key-transport key of the *unique* link key, a
broadcast Switch-Key, then NWK frames under key 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.aps.commands import (
    ApsCommand,
    ApsStatus,
    ConfirmKey,
    KeyType,
    RequestKey,
    RequestKeyType,
    SwitchKey,
    TransportApplicationLinkKey,
    TransportNetworkKey,
    TransportTrustCenterLinkKey,
    VerifyKey,
)
from zigmesh.aps.frames import ApsFrame, ApsFrameType, DeliveryMode, secure_aps
from zigmesh.capture.dissect import DecodedFrame, Dissector
from zigmesh.capture.pcap import write_pcap
from zigmesh.capture.summary import summary_line
from zigmesh.cli import main
from zigmesh.mac.commands import (
    AssociationRequest,
    AssociationResponse,
    BeaconRequest,
    CapabilityInformation,
    DataRequest,
    MacCommand,
)
from zigmesh.mac.frames import Beacon, MacFrame, SuperframeSpec
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.commands import LinkStatus, LinkStatusEntry
from zigmesh.nwk.frames import NwkFrame, NwkFrameType, secure_nwk
from zigmesh.phy import TURNAROUND_US, airtime_us
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.security.hashing import (
    DEFAULT_TC_LINK_KEY,
    hmac_mmo,
    install_code_to_link_key,
    install_code_with_crc,
)
from zigmesh.types import BROADCAST_ROUTERS, BROADCAST_RX_ON_WHEN_IDLE, MAC_BROADCAST
from zigmesh.zcl.foundation import (
    ReadAttributes,
    ReadAttributesResponse,
    ReadAttributeStatusRecord,
)
from zigmesh.zcl.frame import Direction, ZclFrame, ZclHeader
from zigmesh.zcl.types import DataType
from zigmesh.zdo.descriptors import MacCapability
from zigmesh.zdo.zdp import DeviceAnnce

PAN_ID = 0x2B7C
EXTENDED_PAN_ID = 0x00124B00CAFE0001
NETWORK_KEY_0 = bytes.fromhex("11223344556677889900aabbccddeeff")
NETWORK_KEY_1 = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")
UNIQUE_TCLK = bytes.fromhex("5a6967426565556e697175654b657921")
APP_LINK_KEY = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
UNRELATED_KEY = bytes.fromhex("deadbeefdeadbeefdeadbeefdeadbeef")
PROFILE_HA = 0x0104
CLUSTER_ON_OFF = 0x0006


@dataclass(frozen=True)
class Dev:
    ieee: int
    short: int


TC = Dev(0x00124B0000000001, 0x0000)
JOINER = Dev(0x00124B00000000A5, 0x5C21)
ROUTER2 = Dev(0x00124B00000000B7, 0x7D40)


class Air:
    """Lays frames out in time and keeps each device's sequence numbers and frame counters."""

    def __init__(self) -> None:
        self.t = 1_000_000
        self.frames: list[tuple[int, bytes]] = []
        #: what each frame's innermost layer decodes to ("" for frames with no NWK payload)
        self.expect: list[str] = []
        self.mac_seq: dict[int, int] = {}
        self.nwk_seq: dict[int, int] = {}
        self.nwk_fc: dict[int, int] = {}
        self.aps_fc: dict[int, int] = {}
        self.aps_counter: dict[int, int] = {}

    @staticmethod
    def next_value(table: dict[int, int], who: Dev, mask: int = 0xFF) -> int:
        v = table.get(who.ieee, 0x10)
        table[who.ieee] = (v + 1) & mask
        return v

    def send(self, psdu: bytes, expect: str = "", gap_us: int = 3_000) -> None:
        self.frames.append((self.t, psdu))
        self.expect.append(expect)
        self.t += airtime_us(len(psdu)) + gap_us

    def ack(self, seq: int, pending: bool = False) -> None:
        self.t -= 3_000 - TURNAROUND_US
        self.send(MacFrame.ack(seq, pending).encode())

    def mac_command(
        self,
        who: Dev,
        cmd: MacCommand,
        dst_pan: int,
        dst_addr: int,
        src_pan: int | None = None,
        src_addr: int | None = None,
        ack: bool = True,
    ) -> None:
        s = self.next_value(self.mac_seq, who)
        mac = MacFrame.command(
            cmd, seq=s, dst_pan=dst_pan, dst_addr=dst_addr, src_pan=src_pan, src_addr=src_addr
        )
        self.send(mac.encode())
        if ack:
            self.ack(s, pending=isinstance(cmd, DataRequest))

    def aps(
        self,
        sender: Dev,
        frame: ApsFrame,
        key: bytes | None = None,
        key_id: KeyId = KeyId.DATA_KEY,
        extended_nonce: bool = True,
    ) -> bytes:
        """``frame`` encoded, APS-secured with ``key`` when given."""
        if key is None:
            return frame.encode()
        fc = self.next_value(self.aps_fc, sender, 0xFFFFFFFF)
        aux = AuxHeader(key_id, fc, source=sender.ieee if extended_nonce else None)
        return secure_aps(replace(frame, aux=aux), key, source_ieee=sender.ieee)

    def nwk(
        self,
        hop: Dev,
        dst: int,
        payload: bytes,
        *,
        frame_type: NwkFrameType = NwkFrameType.DATA,
        key: bytes | None = NETWORK_KEY_0,
        key_seq: int = 0,
        radius: int = 30,
    ) -> bytes:
        frame = NwkFrame(
            frame_type, dst, hop.short, radius, self.next_value(self.nwk_seq, hop), payload
        )
        if key is None:
            return frame.encode()
        fc = self.next_value(self.nwk_fc, hop, 0xFFFFFFFF)
        frame = replace(
            frame, aux=AuxHeader(KeyId.NETWORK_KEY, fc, source=hop.ieee, key_seq=key_seq)
        )
        return secure_nwk(frame, key)

    def unicast(self, hop: Dev, to: Dev, nwk: bytes, expect: str) -> None:
        s = self.next_value(self.mac_seq, hop)
        self.send(MacFrame.data(PAN_ID, to.short, hop.short, nwk, seq=s).encode(), expect)
        self.ack(s)

    def broadcast(self, hop: Dev, nwk: bytes, expect: str) -> None:
        s = self.next_value(self.mac_seq, hop)
        self.send(MacFrame.data(PAN_ID, MAC_BROADCAST, hop.short, nwk, seq=s).encode(), expect)

    def aps_command(self, sender: Dev, cmd: ApsCommand) -> ApsFrame:
        return ApsFrame(
            ApsFrameType.COMMAND,
            counter=self.next_value(self.aps_counter, sender),
            payload=cmd.encode(),
        )

    def zcl(self, sender: Dev, zcl: ZclFrame, cluster: int = CLUSTER_ON_OFF) -> ApsFrame:
        return ApsFrame(
            ApsFrameType.DATA,
            dst_endpoint=1,
            cluster_id=cluster,
            profile_id=PROFILE_HA,
            src_endpoint=1,
            counter=self.next_value(self.aps_counter, sender),
            payload=zcl.encode(),
        )


CAPS = (
    MacCapability.DEVICE_TYPE_FFD
    | MacCapability.MAINS_POWERED
    | MacCapability.RX_ON_WHEN_IDLE
    | MacCapability.ALLOCATE_ADDRESS
)


def _join(air: Air, dev: Dev, transport_link_key: bytes) -> None:
    """Active scan, association, Transport-Key of network key 0 (key-transport key of
    ``transport_link_key``, NWK unsecured), then the NWK-secured Device_annce."""
    air.mac_command(dev, BeaconRequest(), ack=False, dst_pan=MAC_BROADCAST, dst_addr=MAC_BROADCAST)
    zb = ZigbeeBeaconPayload(
        nwk_extended_pan_id=EXTENDED_PAN_ID,
        router_capacity=True,
        end_device_capacity=True,
        device_depth=0,
    )
    sf = SuperframeSpec(pan_coordinator=True, association_permit=True)
    beacon = Beacon(superframe=sf, payload=zb.encode())
    air.send(
        MacFrame.beacon(PAN_ID, TC.short, beacon, seq=air.next_value(air.mac_seq, TC)).encode()
    )
    cap = CapabilityInformation(
        device_type_ffd=True,
        power_source_mains=True,
        receiver_on_when_idle=True,
        allocate_address=True,
    )
    air.mac_command(
        dev,
        AssociationRequest(cap),
        dst_pan=PAN_ID,
        dst_addr=TC.short,
        src_pan=MAC_BROADCAST,
        src_addr=dev.ieee,
    )
    air.mac_command(dev, DataRequest(), dst_pan=PAN_ID, dst_addr=TC.short, src_addr=dev.ieee)
    air.mac_command(
        TC, AssociationResponse(dev.short), dst_pan=PAN_ID, dst_addr=dev.ieee, src_addr=TC.ieee
    )
    tk = air.aps_command(TC, TransportNetworkKey(NETWORK_KEY_0, 0, dev.ieee, TC.ieee))
    aps = air.aps(TC, tk, transport_link_key, KeyId.KEY_TRANSPORT_KEY)
    air.unicast(TC, dev, air.nwk(TC, dev.short, aps, key=None, radius=1), "TransportNetworkKey")
    annce = ApsFrame(
        ApsFrameType.DATA,
        DeliveryMode.BROADCAST,
        dst_endpoint=0,
        cluster_id=0x0013,
        profile_id=0x0000,
        src_endpoint=0,
        counter=air.next_value(air.aps_counter, dev),
        payload=DeviceAnnce(0x01, dev.short, dev.ieee, CAPS).encode(),
    )
    air.broadcast(dev, air.nwk(dev, BROADCAST_RX_ON_WHEN_IDLE, annce.encode()), "DeviceAnnce")


def _read_on_off(air: Air, sender: Dev, tsn: int) -> ApsFrame:
    req = ZclFrame(
        ZclHeader(tsn=tsn, command_id=ReadAttributes.COMMAND_ID), ReadAttributes((0,)).encode()
    )
    return air.zcl(sender, req)


def _on_off_response(air: Air, sender: Dev, tsn: int, on: bool) -> ApsFrame:
    rsp = ZclFrame(
        ZclHeader(
            direction=Direction.SERVER_TO_CLIENT,
            disable_default_response=True,
            tsn=tsn,
            command_id=ReadAttributesResponse.COMMAND_ID,
        ),
        ReadAttributesResponse(
            (ReadAttributeStatusRecord(0x0000, data_type=DataType.BOOL, value=on),)
        ).encode(),
    )
    return air.zcl(sender, rsp)


def secured_run() -> Air:
    """The whole run; ``Air.expect`` names what each frame's innermost layer decodes to."""
    air = Air()
    # ROUTER2 joined earlier with ZigBeeAlliance09 and kept it as its trust center link key
    _join(air, ROUTER2, DEFAULT_TC_LINK_KEY)
    _join(air, JOINER, DEFAULT_TC_LINK_KEY)
    j, tc, r2 = JOINER, TC, ROUTER2
    # -- Zigbee 3.0 trust center link key update -------------------------------------------
    rk = air.aps_command(j, RequestKey(RequestKeyType.TRUST_CENTER_LINK_KEY))
    air.unicast(j, tc, air.nwk(j, tc.short, air.aps(j, rk, DEFAULT_TC_LINK_KEY)), "RequestKey")
    tk = air.aps_command(tc, TransportTrustCenterLinkKey(UNIQUE_TCLK, j.ieee, tc.ieee))
    aps = air.aps(tc, tk, DEFAULT_TC_LINK_KEY, KeyId.KEY_LOAD_KEY)
    air.unicast(tc, j, air.nwk(tc, j.short, aps), "TransportTrustCenterLinkKey")
    vk = air.aps_command(
        j, VerifyKey(KeyType.TRUST_CENTER_LINK_KEY, j.ieee, hmac_mmo(UNIQUE_TCLK, b"\x03"))
    )
    air.unicast(j, tc, air.nwk(j, tc.short, air.aps(j, vk)), "VerifyKey")
    ck = air.aps_command(tc, ConfirmKey(ApsStatus.SUCCESS, KeyType.TRUST_CENTER_LINK_KEY, j.ieee))
    air.unicast(tc, j, air.nwk(tc, j.short, air.aps(tc, ck, UNIQUE_TCLK)), "ConfirmKey")
    # -- application data APS-secured with the unique key, without extended nonce: the nonce
    # source comes from the NWK source short -> IEEE map ---------------------------------------
    req = air.aps(tc, _read_on_off(air, tc, 0x41), UNIQUE_TCLK, extended_nonce=False)
    air.unicast(tc, j, air.nwk(tc, j.short, req), "ReadAttributes")
    rsp = air.aps(j, _on_off_response(air, j, 0x41, True), UNIQUE_TCLK, extended_nonce=False)
    air.unicast(j, tc, air.nwk(j, tc.short, rsp), "ReadAttributesResponse")
    # -- an application link key JOINER <-> ROUTER2, sent to JOINER under its unique key ----
    alk = air.aps_command(tc, TransportApplicationLinkKey(APP_LINK_KEY, r2.ieee, True))
    aps = air.aps(tc, alk, UNIQUE_TCLK, KeyId.KEY_TRANSPORT_KEY)
    air.unicast(tc, j, air.nwk(tc, j.short, aps), "TransportApplicationLinkKey")
    req = air.aps(j, _read_on_off(air, j, 0x07), APP_LINK_KEY, extended_nonce=False)
    air.unicast(j, r2, air.nwk(j, r2.short, req), "ReadAttributes")
    rsp = air.aps(r2, _on_off_response(air, r2, 0x07, False), APP_LINK_KEY)
    air.unicast(r2, j, air.nwk(r2, j.short, rsp), "ReadAttributesResponse")
    # -- network key update: key 1 to each router under its own link key, then Switch-Key ----
    tk = air.aps_command(tc, TransportNetworkKey(NETWORK_KEY_1, 1, j.ieee, tc.ieee))
    aps = air.aps(tc, tk, UNIQUE_TCLK, KeyId.KEY_TRANSPORT_KEY)
    air.unicast(tc, j, air.nwk(tc, j.short, aps), "TransportNetworkKey")
    tk = air.aps_command(tc, TransportNetworkKey(NETWORK_KEY_1, 1, r2.ieee, tc.ieee))
    aps = air.aps(tc, tk, DEFAULT_TC_LINK_KEY, KeyId.KEY_TRANSPORT_KEY)
    air.unicast(tc, r2, air.nwk(tc, r2.short, aps), "TransportNetworkKey")
    sk = air.aps_command(tc, SwitchKey(1))
    air.broadcast(
        tc,
        air.nwk(tc, BROADCAST_ROUTERS, air.aps(tc, sk)),
        "SwitchKey",
    )
    # -- under network key 1 ----------------------------------------------------------------------
    ls = LinkStatus((LinkStatusEntry(j.short, 1, 1), LinkStatusEntry(r2.short, 1, 1)))
    air.broadcast(
        tc,
        air.nwk(
            tc,
            BROADCAST_ROUTERS,
            ls.encode(),
            frame_type=NwkFrameType.COMMAND,
            key=NETWORK_KEY_1,
            key_seq=1,
            radius=1,
        ),
        "LinkStatus",
    )
    req = air.aps(tc, _read_on_off(air, tc, 0x42), UNIQUE_TCLK)
    air.unicast(tc, j, air.nwk(tc, j.short, req, key=NETWORK_KEY_1, key_seq=1), "ReadAttributes")
    rsp = air.aps(j, _on_off_response(air, j, 0x42, False), UNIQUE_TCLK, extended_nonce=False)
    air.unicast(
        j, tc, air.nwk(j, tc.short, rsp, key=NETWORK_KEY_1, key_seq=1), "ReadAttributesResponse"
    )
    rk = air.aps_command(j, RequestKey(RequestKeyType.APPLICATION_LINK_KEY, r2.ieee))
    air.unicast(
        j,
        tc,
        air.nwk(j, tc.short, air.aps(j, rk, UNIQUE_TCLK), key=NETWORK_KEY_1, key_seq=1),
        "RequestKey",
    )
    plain = _read_on_off(air, r2, 0x08).encode()
    air.unicast(r2, j, air.nwk(r2, j.short, plain, key=NETWORK_KEY_1, key_seq=1), "ReadAttributes")
    return air


def innermost(f: DecodedFrame) -> str:
    for layer in ("zcl_command", "zdp", "aps_command", "nwk_command"):
        if layer in f.layers:
            return type(f.layers[layer]).__name__
    return ""


def dissect_all(
    frames: list[tuple[int, bytes]], dis: Dissector | None = None
) -> list[DecodedFrame]:
    dis = Dissector() if dis is None else dis
    return [dis.dissect(i, t, psdu) for i, (t, psdu) in enumerate(frames, 1)]


@pytest.fixture(scope="module")
def run() -> Air:
    return secured_run()


@pytest.fixture(scope="module")
def pcap(run: Air, tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("keys") / "secured.pcap"
    write_pcap(p, run.frames)
    return p


def test_every_frame_decodes_from_the_default_keys_alone(run: Air) -> None:
    dis = Dissector()
    out = dissect_all(run.frames, dis)
    assert [f.error for f in out if f.error] == []
    assert [(f.index, f.notes) for f in out if f.encrypted] == []
    assert [innermost(f) for f in out] == run.expect
    nwk_frames = [f for f in out if "nwk" in f.layers]
    assert len(nwk_frames) == 21
    # every NWK frame with a payload reached its innermost layer
    assert all(innermost(f) for f in nwk_frames)
    assert dis.network_key_seqs == {0: NETWORK_KEY_0, 1: NETWORK_KEY_1}
    assert dis.pair_keys == {
        frozenset((TC.ieee, JOINER.ieee)): [UNIQUE_TCLK],
        frozenset((JOINER.ieee, ROUTER2.ieee)): [APP_LINK_KEY],
    }
    assert dis.link_keys == [UNIQUE_TCLK, APP_LINK_KEY, DEFAULT_TC_LINK_KEY]
    assert dis.address_map == {
        TC.short: TC.ieee,
        JOINER.short: JOINER.ieee,
        ROUTER2.short: ROUTER2.ieee,
    }


def _by_type(out: list[DecodedFrame], name: str) -> list[DecodedFrame]:
    return [f for f in out if innermost(f) == name]


def test_keys_used_and_learned_per_frame(run: Air) -> None:
    out = dissect_all(run.frames)
    u, k0, k1, za = (
        UNIQUE_TCLK.hex(),
        NETWORK_KEY_0.hex(),
        NETWORK_KEY_1.hex(),
        DEFAULT_TC_LINK_KEY.hex(),
    )
    j, tc = "00:12:4b:00:00:00:00:a5", "00:12:4b:00:00:00:00:01"
    tclk = _by_type(out, "TransportTrustCenterLinkKey")[0]
    assert f"APS decrypted with key-load key of link key {za}" in tclk.notes
    assert f"learned trust center link key {u} for {tc} <-> {j}" in tclk.notes
    assert tclk.layers["aps"].aux.key_id == KeyId.KEY_LOAD_KEY
    (confirm,) = _by_type(out, "ConfirmKey")
    assert f"APS decrypted with link key {u}" in confirm.notes
    assert confirm.layers["aps"].aux.key_id == KeyId.DATA_KEY
    (verify,) = _by_type(out, "VerifyKey")
    assert verify.layers["aps"].aux is None
    assert verify.layers["aps_command"].key_hash == hmac_mmo(UNIQUE_TCLK, b"\x03")
    alk = _by_type(out, "TransportApplicationLinkKey")[0]
    assert f"APS decrypted with key-transport key of link key {u}" in alk.notes
    assert any(
        n.startswith(f"learned application link key {APP_LINK_KEY.hex()} for ") for n in alk.notes
    )
    tks = _by_type(out, "TransportNetworkKey")
    assert [f.layers["aps_command"].key_seq for f in tks] == [0, 0, 1, 1]
    update = tks[2]
    assert f"APS decrypted with key-transport key of link key {u}" in update.notes
    assert f"learned network key {k1}" in update.notes
    assert f"network key sequence number 1 is {k1}" in update.notes
    assert f"learned network key {k0}" in tks[0].notes
    switch = _by_type(out, "SwitchKey")[0]
    assert f"NWK decrypted with network key {k0} (sequence 0)" in switch.notes
    after = out[out.index(switch) + 1 :]
    nwk_after = [f for f in after if "nwk" in f.layers]
    assert len(nwk_after) == 5
    assert all(f"NWK decrypted with network key {k1} (sequence 1)" in f.notes for f in nwk_after)
    # APS data secured with the unique key: with and without extended nonce, both directions
    data = [f for f in out if "zcl" in f.layers and f.layers["aps"].aux is not None]
    assert len(data) == 6
    assert sum(f"APS decrypted with link key {u}" in f.notes for f in data) == 4
    assert sum(f"APS decrypted with link key {APP_LINK_KEY.hex()}" in f.notes for f in data) == 2
    # ZigBeeAlliance09 is still the key of ROUTER2's key update
    assert f"APS decrypted with key-transport key of link key {za}" in tks[3].notes


def test_candidate_order_pair_first_then_known_then_default() -> None:
    dis = Dissector(link_keys=[UNRELATED_KEY])
    out = dissect_all(secured_run().frames, dis)
    assert all(f.encrypted is None and f.error is None for f in out)
    za = DEFAULT_TC_LINK_KEY
    assert dis.link_key_candidates(TC.ieee, JOINER.ieee) == [
        UNIQUE_TCLK,
        APP_LINK_KEY,
        UNRELATED_KEY,
        za,
    ]
    assert dis.link_key_candidates(JOINER.ieee, TC.ieee)[0] == UNIQUE_TCLK
    assert dis.link_key_candidates(ROUTER2.ieee, JOINER.ieee) == [
        APP_LINK_KEY,
        UNIQUE_TCLK,
        UNRELATED_KEY,
        za,
    ]
    # only one end known: the keys of its pairs first
    assert dis.link_key_candidates(ROUTER2.ieee, None)[0] == APP_LINK_KEY
    assert dis.link_key_candidates(None, None) == [UNRELATED_KEY, UNIQUE_TCLK, APP_LINK_KEY, za]
    assert dis.link_key_candidates(TC.ieee, ROUTER2.ieee) == [
        UNIQUE_TCLK,
        APP_LINK_KEY,
        UNRELATED_KEY,
        za,
    ]


def test_without_learning_the_failures_are_reported_not_raised(run: Air) -> None:
    # drop the trust center link key's Transport-Key: everything under the unique key (and the
    # network key 1 it carries to JOINER) stays encrypted, but is reported frame by frame
    frames = [
        f for f, e in zip(run.frames, run.expect, strict=True) if e != "TransportTrustCenterLinkKey"
    ]
    expect = [e for e in run.expect if e != "TransportTrustCenterLinkKey"]
    # ...and ROUTER2's copy of key 1 too, so key 1 is never learned
    second_update = [i for i, e in enumerate(expect) if e == "TransportNetworkKey"][3]
    del frames[second_update], expect[second_update]
    out = dissect_all(frames)
    assert [f.error for f in out if f.error] == []
    aps_locked = [f for f in out if f.encrypted == "aps"]
    nwk_locked = [f for f in out if f.encrypted == "nwk"]
    assert [expect[f.index - 1] for f in aps_locked] == [
        "ConfirmKey",
        "ReadAttributes",
        "ReadAttributesResponse",
        "TransportApplicationLinkKey",
        "ReadAttributes",
        "ReadAttributesResponse",
        "TransportNetworkKey",
    ]
    assert len(nwk_locked) == 5
    for f in aps_locked:
        assert "aps" in f.layers and "aps_command" not in f.layers and "zcl" not in f.layers
        (note,) = [n for n in f.notes if n.startswith("APS payload encrypted")]
        assert "no link key verified its MIC" in note
        assert "APS payload encrypted (no key verified it)" in summary_line(f)
    for f in nwk_locked:
        assert any("no network key verified its MIC (key sequence number 1" in n for n in f.notes)
        assert "NWK payload encrypted" in summary_line(f)
    assert all(f.encrypted is None for f in out[: out.index(aps_locked[0])])


def test_frames_under_unrelated_keys_are_reported(run: Air) -> None:
    air = Air()
    air.nwk_seq, air.nwk_fc, air.mac_seq = {TC.ieee: 0x80}, {TC.ieee: 0x900}, {TC.ieee: 0x80}
    air.t = run.frames[-1][0] + 100_000
    bad = air.aps(TC, _read_on_off(air, TC, 0x50), UNRELATED_KEY)
    air.unicast(TC, JOINER, air.nwk(TC, JOINER.short, bad, key=NETWORK_KEY_1, key_seq=1), "")
    sk = air.aps_command(TC, SwitchKey(2))
    air.broadcast(
        TC,
        air.nwk(TC, BROADCAST_ROUTERS, sk.encode(), key=UNRELATED_KEY, key_seq=2),
        "",
    )
    out = dissect_all(run.frames + air.frames)
    aps_bad, _ack, nwk_bad = out[-3:]
    assert aps_bad.error is None and aps_bad.encrypted == "aps"
    assert (
        "NWK decrypted with network key " + NETWORK_KEY_1.hex() + " (sequence 1)" in aps_bad.notes
    )
    assert (
        "APS payload encrypted: no link key verified its MIC (DATA_KEY, source "
        "00:12:4b:00:00:00:00:01, destination 00:12:4b:00:00:00:00:a5)" in aps_bad.notes
    )
    assert nwk_bad.error is None and nwk_bad.encrypted == "nwk"
    assert "aps" not in nwk_bad.layers
    assert (
        "NWK payload encrypted: no network key verified its MIC (key sequence number 2, 2 key(s) known)"
        in nwk_bad.notes
    )


def test_install_code_key_given_as_link_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ic_key = install_code_to_link_key(install_code_with_crc(bytes.fromhex("83fed3407a939723")))
    air = Air()
    _join(air, JOINER, ic_key)
    p = tmp_path / "ic.pcap"
    write_pcap(p, air.frames)
    without = dissect_all(air.frames)
    assert [innermost(f) for f in without] == ["", "", "", "", "", "", "", "", "", "", ""]
    assert [f.encrypted for f in without if f.encrypted] == ["aps", "nwk"]
    assert main(["decode", str(p), "--json", "--link-key", ic_key.hex()]) == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    tk = [o for o in objs if "aps_command" in o["layers"]]
    assert tk[0]["layers"]["aps_command"]["key"] == NETWORK_KEY_0.hex()
    assert f"APS decrypted with key-transport key of link key {ic_key.hex()}" in tk[0]["notes"]
    assert objs[-1]["layers"]["zdp"]["_type"] == "DeviceAnnce"


def test_cli_json_decodes_the_whole_run(
    pcap: Path, run: Air, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", str(pcap), "--json"]) == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(objs) == len(run.frames)
    assert all(o["error"] is None for o in objs)
    assert not [o for o in objs if any("encrypted" in n for n in o["notes"])]
    names = []
    for o in objs:
        layers = o["layers"]
        name = next(
            (
                layers[k]["_type"]
                for k in ("zcl_command", "zdp", "aps_command", "nwk_command")
                if k in layers
            ),
            "",
        )
        names.append(name)
    assert names == run.expect
    tclk = objs[run.expect.index("TransportTrustCenterLinkKey")]["layers"]["aps_command"]
    assert tclk["key"] == UNIQUE_TCLK.hex() and tclk["dest"] == "00:12:4b:00:00:00:00:a5"
    assert main(["decode", str(pcap)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[-1] == f"-- {len(run.frames)} frame(s), 0 with decode errors"
    assert "encrypted" not in text


#: APS / NWK / ZCL command identifiers Wireshark shows for each expected innermost layer
_WIRESHARK_IDS = {
    "TransportNetworkKey": ("0x05", "", ""),
    "TransportTrustCenterLinkKey": ("0x05", "", ""),
    "TransportApplicationLinkKey": ("0x05", "", ""),
    "RequestKey": ("0x08", "", ""),
    "SwitchKey": ("0x09", "", ""),
    "VerifyKey": ("0x0f", "", ""),
    "ConfirmKey": ("0x10", "", ""),
    "LinkStatus": ("", "0x08", ""),
    "ReadAttributes": ("", "", "0x00"),
    "ReadAttributesResponse": ("", "", "0x01"),
    "DeviceAnnce": ("", "", ""),
}


@pytest.mark.parametrize("keep_router2_copy", [True, False], ids=["full", "key1-only-via-unique"])
def test_wireshark_with_only_zigbeealliance09(
    run: Air, tmp_path: Path, keep_router2_copy: bool
) -> None:
    """Wireshark, given only ZigBeeAlliance09, learns the network keys and (like us) the unique
    TC link key from the Transport-Keys, and so decrypts every NWK and APS frame. Without
    ROUTER2's copy of key 1 (secured with ZigBeeAlliance09) key 1 can only come from JOINER's,
    secured with the unique key."""
    frames, expect = list(run.frames), list(run.expect)
    if not keep_router2_copy:
        i = [n for n, e in enumerate(expect) if e == "TransportNetworkKey"][3]
        del frames[i], expect[i]
    pcap = tmp_path / "secured.pcap"
    write_pcap(pcap, frames)
    za = (DEFAULT_TC_LINK_KEY.hex(),)
    assert_no_malformed(pcap, link_keys=za)
    fields = ["frame.protocols", "zbee_aps.cmd.id", "zbee_nwk.cmd.id", "zbee_zcl.cmd.id"]
    rows = tshark_fields(pcap, [*fields, "zbee_aps.cmd.key"], link_keys=za)
    assert len(rows) == len(frames)
    nwk_rows = [(r, e) for r, e in zip(rows, expect, strict=True) if "zbee_nwk" in r[0]]
    assert [e for _, e in nwk_rows] == [e for e in expect if e]  # every NWK frame is expected
    for n, (row, e) in enumerate(nwk_rows):
        protos, aps_cmd, nwk_cmd, zcl_cmd, _ = row
        assert (aps_cmd, nwk_cmd, zcl_cmd) == _WIRESHARK_IDS[e], f"NWK frame {n}: {e} {row}"
        if e == "DeviceAnnce":
            assert protos.endswith("zbee_aps:zbee_zdp")
        elif e != "LinkStatus":
            assert "zbee_aps" in protos
    keys = [r[4] for r in rows if r[4]]
    k0, k1 = NETWORK_KEY_0.hex(), NETWORK_KEY_1.hex()
    assert keys == [k0, k0, UNIQUE_TCLK.hex(), APP_LINK_KEY.hex(), k1] + [k1] * keep_router2_copy
