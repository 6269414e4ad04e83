"""MAC PIB (802.15.4-2006 Table 86), MLME-GET / SET / RESET."""

from __future__ import annotations

import random

import pytest

from zigmesh.errors import LocalProtocolError
from zigmesh.mac.mac import Mac
from zigmesh.mac.pib import (
    A_BASE_SUPERFRAME_DURATION_US,
    MAC_ACK_WAIT_DURATION_US,
    PHY_MAX_FRAME_DURATION,
    MacPib,
    max_frame_total_wait_time,
)
from zigmesh.mac.primitives import MacStatus, McpsDataConfirm
from zigmesh.phy import RadioState

from .conftest import Net, ScriptedRandom


def test_spec_constants() -> None:
    assert A_BASE_SUPERFRAME_DURATION_US == 15_360
    assert MAC_ACK_WAIT_DURATION_US == 864
    assert PHY_MAX_FRAME_DURATION == 266
    # (2^3 + 2^4 + 31 x 2) x 20 + 266 symbols with the defaults
    assert max_frame_total_wait_time(3, 5, 4) == 1_986
    assert max_frame_total_wait_time(3, 5, 0) == 266
    assert max_frame_total_wait_time(3, 8, 5) == (8 + 16 + 32 + 64 + 128) * 20 + 266


def test_defaults_and_conversions() -> None:
    pib = MacPib()
    assert pib.mac_transaction_persistence_time == 500
    assert pib.transaction_persistence_us == 7_680_000
    assert pib.mac_response_wait_time == 32 and pib.response_wait_us == 491_520
    assert pib.max_frame_total_wait_us == 31_776
    assert (pib.mac_min_be, pib.mac_max_be, pib.mac_max_csma_backoffs) == (3, 5, 4)
    assert pib.mac_max_frame_retries == 3
    assert pib.mac_short_address == 0xFFFF and pib.mac_pan_id == 0xFFFF
    assert pib.mac_auto_request and not pib.mac_rx_on_when_idle
    assert not pib.mac_association_permit and pib.mac_beacon_payload == b""


def test_dsn_and_bsn_drawn_from_the_rng() -> None:
    net = Net()
    node = net.add((0, 0), rng=ScriptedRandom([0x12, 0x34]))
    assert node.mac.mlme_get("mac_dsn") == 0x12
    assert node.mac.mlme_get("mac_bsn") == 0x34


def test_get_set_by_name_with_validation() -> None:
    net = Net()
    mac = net.add((0, 0)).mac
    mac.mlme_set("mac_short_address", 0x1234)
    assert mac.mlme_get("mac_short_address") == 0x1234 == mac.pib.mac_short_address
    mac.mlme_set("mac_beacon_payload", bytearray(b"\x00\x22"))
    assert mac.mlme_get("mac_beacon_payload") == b"\x00\x22"
    mac.mlme_set("mac_max_frame_retries", 7)
    mac.mlme_set("mac_min_be", 0)
    for name, value in [
        ("mac_short_address", 0x10000),
        ("mac_short_address", -1),
        ("mac_short_address", True),
        ("mac_max_frame_retries", 8),
        ("mac_max_csma_backoffs", 6),
        ("mac_max_be", 2),
        ("mac_response_wait_time", 1),
        ("mac_rx_on_when_idle", 1),
        ("mac_beacon_payload", "text"),
        ("mac_beacon_payload", bytes(53)),
        ("mac_beacon_order", 14),
        ("mac_extended_address", 1),  # read-only
        ("mac_ack_wait_duration", 10),  # read-only
        ("mac_nonsense", 1),
        ("phy_current_channel", 10),
        ("phy_tx_power", 100),
    ]:
        with pytest.raises(LocalProtocolError):
            mac.mlme_set(name, value)
    with pytest.raises(LocalProtocolError):
        mac.mlme_get("mac_nonsense")
    mac.mlme_set("mac_max_be", 3)
    with pytest.raises(LocalProtocolError):
        mac.mlme_set("mac_min_be", 4)  # above macMaxBE


def test_phy_attributes() -> None:
    net = Net()
    node = net.add((0, 0))
    node.mac.mlme_set("phy_current_channel", 20)
    node.mac.mlme_set("phy_tx_power", -3)
    assert node.radio.channel == 20 and node.mac.mlme_get("phy_current_channel") == 20
    assert node.mac.mlme_get("phy_tx_power") == -3.0 == node.radio.tx_power_dbm


def test_rx_on_when_idle_switches_the_radio() -> None:
    net = Net()
    node = net.add((0, 0), rx_on=False)
    states = [node.radio.state]
    node.mac.mlme_set("mac_rx_on_when_idle", True)
    states.append(node.radio.state)
    node.mac.mlme_set("mac_rx_on_when_idle", False)
    states.append(node.radio.state)
    assert states == [RadioState.SLEEP, RadioState.RX, RadioState.SLEEP]


def test_reset_abandons_everything_and_restores_defaults() -> None:
    net = Net()
    a = net.add((0, 0), short=1)
    net.add((30, 0), short=2)
    a.mac.mcps_data_request(2, b"x", msdu_handle=1)
    a.mac.mcps_data_request(3, b"y", msdu_handle=2, indirect=True)
    net.run(100)  # mid-backoff
    a.mac.mcps_data_request(2, bytes(200), msdu_handle=3)  # FRAME_TOO_LONG, due at once
    assert a.mac.mlme_reset() == MacStatus.SUCCESS
    net.run(20_000_000)
    # no confirm at all: not the direct frame's, not the expiry, not the one already due
    assert a.of(McpsDataConfirm) == []
    assert a.mac.pib.mac_short_address == 0xFFFF and not a.mac.pib.mac_rx_on_when_idle
    assert len(a.mac.indirect_queue) == 0 and a.radio.state == RadioState.SLEEP
    assert a.mac.pib.mac_extended_address == a.eui
    a.mac.mlme_set("mac_short_address", 9)
    a.mac.mlme_reset(set_default_pib=False)
    assert a.mac.pib.mac_short_address == 9


def test_mac_without_a_kernel_run_is_inert() -> None:
    class Clock:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def now(self) -> int:
            return 0

        def call_at(self, t: int, fn: object, *args: object) -> Handle:
            self.calls.append(t)
            return Handle()

        def call_later(self, d: int, fn: object, *args: object) -> Handle:
            self.calls.append(d)
            return Handle()

    class Handle:
        def cancel(self) -> None:
            pass

    net = Net()
    radio = net.medium.add_radio(0xAB, (0, 0))
    clock = Clock()
    mac = Mac(radio, clock, random.Random(1), 0xAB)
    mac.mlme_set("mac_short_address", 1)
    mac.mcps_data_request(2, b"x")
    assert len(clock.calls) == 1  # the first backoff, nothing else
    with pytest.raises(LocalProtocolError):
        Mac(radio, clock, random.Random(1), -1)
