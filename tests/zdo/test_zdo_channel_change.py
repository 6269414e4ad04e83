"""Channel change through the ZDO (Mgmt_NWK_Update_req, ScanDuration 0xFE, Zigbee R22
2.4.3.3.9) on the whole simulated stack, with the radios busy: a node whose switch falls due
while its radio is transmitting switches once the transmission has ended (the MAC refuses a
channel change mid-frame; that LocalProtocolError once crashed the simulation), and a network
under traffic moves as a whole and keeps delivering."""

from __future__ import annotations

import dataclasses

from tests.nwk.flows import Flows
from tests.nwk.nwkutil import SMALL_MEDIUM, S
from zigmesh.phy import RadioState
from zigmesh.sim.world import World

NEW_CHANNEL = 20


def test_switch_due_mid_transmission_waits_for_the_radio() -> None:
    w = World(seed=1, medium=SMALL_MEDIUM, security=False)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r", "router", (20.0, 0.0))
    assert w.run_until(w.all_joined, 30 * S)
    r, radio = w["r"], w.radios["r"]
    changed: list[tuple[int, int]] = []
    r.zdo.channel_changed = lambda ch: changed.append((ch, w.now_us))
    # the switch falls due while r's radio is transmitting (its Device_annce broadcast)
    r.zdo.config = dataclasses.replace(r.zdo.config, channel_change_delay_us=0)
    r.zdo.device_annce()
    assert w.run_until(lambda: radio.state == RadioState.TX, S)
    r.zdo.server.mgmt.schedule_channel_change(NEW_CHANNEL)
    w.run_until(lambda: radio.state != RadioState.TX, S)
    tx_end = w.now_us
    w.run_for(10_000)
    assert r.mac.mlme_get("phy_current_channel") == NEW_CHANNEL
    assert r.nwk.nib.nwk_logical_channel == NEW_CHANNEL
    assert len(changed) == 1 and changed[0][0] == NEW_CHANNEL and changed[0][1] >= tx_end


def test_network_under_traffic_moves_to_the_new_channel_and_keeps_delivering() -> None:
    w = World(seed=1, medium=SMALL_MEDIUM, security=False)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for y in range(3):
        for x in range(3):
            if x or y:
                w.add_node(f"r{x}{y}", "router", (25.0 * x, 25.0 * y))
    w.add_node("ed", "end_device", (55.0, 45.0), poll_interval_us=S)
    assert w.run_until(w.all_joined, 120 * S)
    w.run_for(10 * S)
    flows = Flows(w, S)
    for n in w:
        if n.name != "hub":
            flows.add(n, w["hub"])
            flows.add(w["hub"], n)
    flows.start()
    w.run_for(5 * S)
    # as zigpy's move_network_to_channel: to all devices, sleepy ones through their parents
    w["hub"].zdo.change_channel(NEW_CHANNEL, dst=0xFFFF)
    w.run_for(30 * S)  # raised LocalProtocolError out of the kernel before the fix
    assert {n.name: n.mac.mlme_get("phy_current_channel") for n in w} == {
        n.name: NEW_CHANNEL for n in w
    }
    assert all(n.nwk.nib.nwk_logical_channel == NEW_CHANNEL for n in w)
    assert all(n.nwk.nib.nwk_update_id == 1 for n in w)
    since = w.now_us - 10 * S
    assert all(len(f.delivered_after(since)) >= 8 for f in flows.flows), [
        (f.src.name, f.dst.name, len(f.delivered_after(since))) for f in flows.flows
    ]


def test_switch_due_during_a_scan_waits_for_the_scan() -> None:
    # a switch during a scan would be undone when the MAC puts the scan's saved channel back
    w = World(seed=2, medium=SMALL_MEDIUM, security=False)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r", "router", (20.0, 0.0))
    assert w.run_until(w.all_joined, 30 * S)
    r = w["r"]
    old = r.mac.mlme_get("phy_current_channel")
    r.zdo.config = dataclasses.replace(r.zdo.config, channel_change_delay_us=0)
    r.nwk.scan_owner = lambda _confirm: None  # a scan in progress
    r.zdo.server.mgmt.schedule_channel_change(NEW_CHANNEL)
    w.run_for(S)
    assert r.mac.mlme_get("phy_current_channel") == old != NEW_CHANNEL
    r.nwk.scan_owner = None  # the scan ended
    w.run_for(S)
    assert r.mac.mlme_get("phy_current_channel") == NEW_CHANNEL
    assert r.nwk.nib.nwk_logical_channel == NEW_CHANNEL
