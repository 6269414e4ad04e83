"""PAN identifier conflicts (Zigbee spec R22 3.6.1.13), issue 9 item 5: two PANs with one
extended PAN ID must never persist.

A beacon carrying our PAN ID with another extended PAN ID (a neighbouring network that drew the
same PAN ID) is a conflict: the routers that hear it send a Network Report to the network
manager (the coordinator), which picks a new PAN ID, increments nwkUpdateId and broadcasts a
Network Update; everyone switches after nwkNetworkBroadcastDeliveryTime. A router that was off
during the update follows when it comes back (its resume scan hears the network under the
newer update id); an end device that missed it follows by its rejoin. Traffic flows on the new
PAN. Before this, nothing detected the conflict (the MAC dropped every beacon outside a scan
and the NWK ignored Network Report / Network Update).
"""

from __future__ import annotations

from tests.nwk.flows import Flows
from tests.nwk.nwkutil import SMALL_MEDIUM, S
from zigmesh.mac.frames import AddrMode, Beacon, MacFrame, SuperframeSpec
from zigmesh.mac.primitives import MlmeBeaconNotifyIndication, PanDescriptor
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.commands import NetworkReport, NetworkUpdate
from zigmesh.nwk.pan_conflict import newer_update_id
from zigmesh.phy import RadioState
from zigmesh.sim.world import World

FOREIGN_EPID = 0x1122_3344_5566_7788


def _house() -> World:
    w = World(seed=7, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for i in (1, 2, 3):
        w.add_node(f"r{i}", "router", (30.0 * i, 0.0))
    w.add_node("ed1", "end_device", (5.0, 8.0), poll_interval_us=S)
    w.add_node("ed2", "end_device", (100.0, 5.0), poll_interval_us=S)
    assert w.run_until(lambda: w.all_joined() and all(n.authenticated for n in w), 60 * S)
    w.run_for(10 * S)
    return w


def _foreign_beacon(w: World, pan: int, epid: int | None = FOREIGN_EPID, times: int = 2) -> None:
    """Beacons of another network's coordinator 10 m off r1-r2 (heard by both), ``times`` of
    them 20 ms apart (one alone is no conflict: it may be one of ours corrupted); ``epid``
    None: a beacon whose payload is not Zigbee PRO's."""
    radio = w.medium.add_radio(0xF0F0_0000_0000_0001, (45.0, 10.0), 0.0, w.channel, RadioState.RX)
    payload = (
        b"\x55\xaa\x01" if epid is None else ZigbeeBeaconPayload(nwk_extended_pan_id=epid).encode()
    )
    b = Beacon(
        superframe=SuperframeSpec(association_permit=True, pan_coordinator=True), payload=payload
    )
    frame = MacFrame.beacon(pan, 0x0000, b, seq=1).encode()
    for k in range(times):
        w.kernel.call_later(k * 20_000, radio.transmit, frame)


def test_conflict_moves_the_whole_network_to_a_new_pan_id() -> None:
    w = _house()
    hub = w["hub"]
    flows = Flows(w, 2 * S)
    for name in ("r3", "ed1", "ed2"):
        flows.add(w[name], hub)
        flows.add(hub, w[name])
    flows.start()
    w.run_for(10 * S)
    old = hub.nwk.nib.nwk_pan_id
    w.power_off("r3")  # misses the update
    _foreign_beacon(w, old)
    w.run_for(20 * S)
    assert w["r1"].nwk.stats.pan_id_conflicts == 1 and w["r2"].nwk.stats.pan_id_conflicts == 1
    assert w["r1"].nwk.stats.network_reports_sent == 1
    assert hub.nwk.stats.pan_id_updates_sent == 1  # one update for both reports
    new = hub.nwk.nib.nwk_pan_id
    assert new != old and hub.nwk.nib.nwk_update_id == 1
    for n in w:
        if n.name != "r3":
            assert n.joined and n.nwk.nib.nwk_pan_id == new and n.mac.pib.mac_pan_id == new
            assert n.nwk.nib.nwk_update_id == 1
    # saved: a power cycle now comes back on the new PAN ID
    snap = w.store.load("hub")
    assert snap is not None and (snap.pan_id, snap.nwk_update_id) == (new, 1)
    # r3 was off: it comes back on the old PAN ID and follows at once
    w.power_on("r3")
    back = w.now_us
    w.run_for(30 * S)
    r3 = w["r3"]
    assert r3.joined and r3.nwk.nib.nwk_pan_id == new and r3.mac.pib.mac_pan_id == new
    assert r3.nwk.nib.nwk_update_id == 1 and r3.nwk.stats.rejoins == 0
    assert {n.nwk.nib.nwk_pan_id for n in w} == {new}
    for f in flows.flows:
        first = f.first_delivery_after(back)
        assert first is not None and first - back <= 30 * S, (f.src.name, f.dst.name)


def test_beacon_of_our_own_network_is_no_conflict() -> None:
    w = _house()
    hub = w["hub"]
    pan = hub.nwk.nib.nwk_pan_id
    _foreign_beacon(w, pan, hub.nwk.nib.nwk_extended_pan_id)
    w.run_for(20 * S)
    assert sum(n.nwk.stats.pan_id_conflicts for n in w) == 0
    assert {n.nwk.nib.nwk_pan_id for n in w} == {pan}


def test_beacon_without_zigbee_payload_on_our_pan_is_a_conflict() -> None:
    w = _house()
    hub = w["hub"]
    pan = hub.nwk.nib.nwk_pan_id
    _foreign_beacon(w, pan, None)  # a plain 802.15.4 coordinator on our PAN ID
    w.run_for(20 * S)
    assert w["r1"].nwk.stats.pan_id_conflicts == 1
    assert {n.nwk.nib.nwk_pan_id for n in w} == {hub.nwk.nib.nwk_pan_id} != {pan}


def test_report_and_update_checks() -> None:
    w = _house()
    hub, r1 = w["hub"], w["r1"]
    nib = hub.nwk.nib
    pan, epid = nib.nwk_pan_id, nib.nwk_extended_pan_id
    pc = hub.nwk.pan_conflict
    # a report for another network, or one not naming our PAN ID: nothing happens
    pc.on_network_report(None, NetworkReport(FOREIGN_EPID, (pan,)))  # type: ignore[arg-type]
    pc.on_network_report(None, NetworkReport(epid, (pan + 1,)))  # type: ignore[arg-type]
    assert not pc.updating and hub.nwk.stats.pan_id_updates_sent == 0
    # a router is not the network manager: reports to it change nothing
    r1.nwk.pan_conflict.on_network_report(None, NetworkReport(epid, (pan,)))  # type: ignore[arg-type]
    assert not r1.nwk.pan_conflict.updating
    # an update with an old update id, or of another network, is ignored
    r1.nwk.pan_conflict.on_network_update(None, NetworkUpdate(epid, 0, 0x0ABC))  # type: ignore[arg-type]
    r1.nwk.pan_conflict.on_network_update(None, NetworkUpdate(FOREIGN_EPID, 1, 0x0ABC))  # type: ignore[arg-type]
    assert not r1.nwk.pan_conflict.updating
    w.run_for(10 * S)
    assert {n.nwk.nib.nwk_pan_id for n in w} == {pan}


def test_stale_pan_rule_only_in_a_verification_scan_and_only_if_ours_is_not_heard() -> None:
    """A resumed router's verification scan: our extended PAN ID heard only under another PAN
    ID with a newer nwkUpdateId means we missed an update, and we follow; heard on our own PAN
    ID too (a forged beacon, or a stale neighbour), we stay. Outside such a scan it moves
    nothing."""
    w = _house()
    r1 = w["r1"]
    nib = r1.nwk.nib
    pc = r1.nwk.pan_conflict

    def beacon(pan: int, update_id: int) -> MlmeBeaconNotifyIndication:
        payload = ZigbeeBeaconPayload(
            nwk_extended_pan_id=nib.nwk_extended_pan_id, nwk_update_id=update_id
        ).encode()
        pd = PanDescriptor(
            AddrMode.SHORT,
            pan,
            0x1234,
            nib.nwk_logical_channel,
            0,
            SuperframeSpec(association_permit=True),
            False,
            200,
            w.now_us,
            beacon_payload=payload,
        )
        return MlmeBeaconNotifyIndication(1, pd, (), payload)

    def scan(*beacons: MlmeBeaconNotifyIndication) -> None:
        # what verify() starts and the MAC's scan confirm ends, without the radio
        pc._verifying, pc._heard_here, pc._moved_to = True, False, None
        for b in beacons:
            pc.on_beacon(b)
        pc._verified(None)  # type: ignore[arg-type]

    pan = nib.nwk_pan_id
    pc.on_beacon(beacon(0x0BAD, 1))  # not in a verification scan
    scan(beacon(0x0BAD, 0))  # not newer
    scan(beacon(0x0BAD, 3), beacon(pan, 0))  # our network still here
    assert (nib.nwk_pan_id, nib.nwk_update_id, r1.mac.pib.mac_pan_id) == (pan, 0, pan)
    scan(beacon(0x0BAD, 1), beacon(0x0BAE, 2))  # only elsewhere: the newest
    assert (nib.nwk_pan_id, nib.nwk_update_id, r1.mac.pib.mac_pan_id) == (0x0BAE, 2, 0x0BAE)


def test_forged_beacons_during_a_resume_move_nothing() -> None:
    """An attacker answers a resumed router's scan with beacons of our extended PAN ID under
    another PAN ID and a newer update id: the router hears its neighbours on the real PAN ID
    too and stays."""
    w = _house()
    hub, r2 = w["hub"], w["r2"]
    pan, epid = hub.nwk.nib.nwk_pan_id, hub.nwk.nib.nwk_extended_pan_id
    radio = w.medium.add_radio(0xF0F0_0000_0000_0002, (65.0, 5.0), 0.0, w.channel, RadioState.RX)
    b = Beacon(
        superframe=SuperframeSpec(association_permit=True),
        payload=ZigbeeBeaconPayload(nwk_extended_pan_id=epid, nwk_update_id=9).encode(),
    )
    frame = MacFrame.beacon(0x0BAD, 0x4242, b, seq=7).encode()
    w.power_off(r2)
    w.run_for(2 * S)
    w.power_on(r2)
    for k in range(150):  # every 20 ms for 3 s, over every verification scan
        w.kernel.call_later(k * 20_000, radio.transmit, frame)
    w.run_for(20 * S)
    assert r2.joined and r2.nwk.nib.nwk_pan_id == pan and r2.mac.pib.mac_pan_id == pan
    assert r2.nwk.nib.nwk_update_id == 0 and r2.nwk.stats.pan_id_changes == 0


def test_newer_update_id_wraps() -> None:
    assert newer_update_id(1, 0) and newer_update_id(0, 255) and newer_update_id(127, 0)
    assert not newer_update_id(0, 0) and not newer_update_id(255, 0) and not newer_update_id(128, 0)
