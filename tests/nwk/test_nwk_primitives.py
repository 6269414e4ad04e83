"""NLME-RESET, NLME-ED-SCAN, NLME-SYNC, NLME-GET/SET, the security hook and request checks."""

from __future__ import annotations

import pytest

from tests.nwk.fakes import data_frame, make_nwk, rx
from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.primitives import (
    NldeDataConfirm,
    NlmeEdScanConfirm,
    NlmeResetConfirm,
    NlmeSyncConfirm,
    NwkAddrMode,
    NwkStatus,
    mac_to_nwk_status,
)
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.sim.world import World


def test_mac_status_mapping() -> None:
    assert mac_to_nwk_status(MacStatus.NO_ACK) == NwkStatus.NO_ACK
    assert mac_to_nwk_status(MacStatus.TRANSACTION_EXPIRED) == NwkStatus.TRANSACTION_EXPIRED
    assert mac_to_nwk_status(MacStatus.SUCCESS) == NwkStatus.SUCCESS
    assert mac_to_nwk_status(MacStatus.DENIED) == NwkStatus.ROUTE_ERROR


def test_request_checks() -> None:
    nwk, mac, k, events = make_nwk(0x0100)
    with pytest.raises(LocalProtocolError):
        nwk.nlde_data_request(NwkAddrMode.NWK, 0x0200, b"x", 300)
    with pytest.raises(LocalProtocolError):
        nwk.nlme_permit_joining_request(256)
    nwk.nlde_data_request(NwkAddrMode.NWK, 0x0200, bytes(120), 3)
    k.run(1)
    c = [e for e in events if isinstance(e, NldeDataConfirm)]
    assert c and c[0].status == NwkStatus.FRAME_TOO_LONG
    assert nwk.nlme_get("nwkMaxDepth") == 15
    nwk.nlme_set("nwk_router_age_limit", 5)
    assert nwk.neighbors.router_age_limit == 5


def test_not_joined_refuses_data() -> None:
    w = World(seed=1, security=False, medium=SMALL_MEDIUM)
    e = w.add_node("e", "end_device", (0.0, 0.0))
    rec = Recorder().attach(w)
    e.nwk.nlde_data_request(NwkAddrMode.NWK, 0, aps_payload(), 1)
    w.run(10)
    assert rec.confirms("e")[0][1].status == NwkStatus.INVALID_REQUEST


def test_secured_frames_dropped_without_security_hook() -> None:
    nwk, mac, k, events = make_nwk(0x0100)
    aux = AuxHeader(KeyId.NETWORK_KEY, 1, source=0x1, key_seq=0)
    f = NwkFrame(NwkFrameType.DATA, 0x0100, 0x0200, 30, 1, b"\x00" * 12, aux=aux)
    rx(nwk, f, 0x0200)
    assert events == [] and nwk.stats.rx_security_dropped == 1
    rx(nwk, data_frame(0x0200, 0x0100, aps_payload()), 0x0200)
    assert len(events) == 1


def test_reset_ed_scan_and_sync_in_a_network() -> None:
    w = World(seed=2, security=False, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    e = w.add_node("e", "end_device", (10.0, 0.0), join_at_us=S, poll_interval_us=30 * S)
    w.run(4 * S)
    rec = Recorder().attach(w)
    e.nwk.nlme_sync_request()
    w.run(w.now_us + S)
    sync = rec.of("e", NlmeSyncConfirm)
    assert sync and sync[0][1].status in (NwkStatus.SUCCESS, NwkStatus.NO_DATA)
    c.nwk.nlme_ed_scan_request([11, 12])
    w.run(w.now_us + S)
    ed = rec.of("c", NlmeEdScanConfirm)[0][1]
    assert ed.status == NwkStatus.SUCCESS and ed.scanned_channels == (11, 12)
    assert len(ed.energy_detect_list) == 2
    e.nwk.nlme_reset_request()
    w.run(w.now_us + 10)
    assert rec.of("e", NlmeResetConfirm)[0][1].status == NwkStatus.SUCCESS
    assert not e.nwk.joined and len(e.nwk.neighbors) == 0 and e.nwk.address == 0xFFFF
    assert e.mac.pib.mac_short_address == 0xFFFF
