"""Stack bugs the hostile-input campaign (``tests/sim/test_hostile_campaign.py``) found, one
regression test each (issue 9).

1. A forged MAC Association Request carrying a sleepy child's IEEE address and "receiver on
   when idle" made its parent rewrite the child's entry at once: the parent then sent the
   child's frames directly (never reaching a sleeping radio) instead of holding them for its
   polls, and everything to that child was lost for good. An existing child's entry now
   takes a new capability only once the association completed.
2. A Device_annce heard again (a late relayed copy or a replay: same TSN, APS counter and
   address) over more than one hop made the parent drop an end device child that still
   polled it; the child was then told to leave and rejoin. A repeat is no news now.
3. A single beacon of our PAN ID with another extended PAN ID (a mutated copy of one of
   ours) changed the network's PAN ID (below).
4. A NWK reset while a poll was in flight stopped an end device polling for good (below).
"""

from __future__ import annotations

from tests.nwk.nwkutil import SMALL_MEDIUM, S
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataIndication,
    ApsdeEvent,
    SecurityStatus,
    TxOptions,
)
from zigmesh.mac.commands import AssociationRequest, CapabilityInformation
from zigmesh.mac.frames import Beacon, MacFrame, SuperframeSpec
from zigmesh.node import NodeState
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.sim.attacker import Attacker
from zigmesh.sim.world import World
from zigmesh.zdo.descriptors import MacCapability, SimpleDescriptor
from zigmesh.zdo.zdp import DeviceAnnce


def _network() -> World:
    w = World(seed=3, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r", "router", (15.0, 0.0), join_at_us=1 * S)
    w.add_node("e", "end_device", (28.0, 0.0), join_at_us=4 * S, poll_interval_us=S)
    w.run(25 * S)
    assert w.all_joined() and w.parent_of("e") is w["r"]
    return w


def test_forged_association_request_does_not_make_a_sleepy_child_rx_on() -> None:
    w = _network()
    r, e = w["r"], w["e"]
    got: list[bytes] = []

    def on_event(ev: ApsdeEvent) -> None:
        if isinstance(ev, ApsdeDataIndication):
            got.append(ev.asdu)

    e.add_endpoint(SimpleDescriptor(2, 0x0104, 0x0007, 0, (0xFC00,), ()), on_event)
    w["c"].add_endpoint(SimpleDescriptor(2, 0x0104, 0x0007, 0, (), (0xFC00,)), lambda ev: None)
    atk = Attacker(w, (20.0, 5.0))
    forged = MacFrame.command(
        AssociationRequest(CapabilityInformation(receiver_on_when_idle=True)),
        seq=7,
        dst_pan=r.mac.pib.mac_pan_id,
        dst_addr=r.network_address,
        src_pan=0xFFFF,
        src_addr=e.eui64,
        ack_request=True,
    )
    atk.inject(forged.encode())
    w.run(w.now_us + 20 * S)  # the forged association's response expires unfetched
    entry = r.nwk.neighbors.get(e.network_address)
    assert entry is not None and entry.is_child
    assert entry.rx_on_when_idle is False  # was True: the parent stopped queueing for it
    for k in range(5):
        w["c"].aps.apsde_data_request(
            ApsAddrMode.SHORT,
            e.network_address,
            2,
            0x0104,
            0xFC00,
            2,
            bytes((1, k, 0)),
            tx_options=TxOptions.ACK,
        )
        w.run(w.now_us + 3 * S)
    assert len(got) == 5


def test_a_child_that_really_reassociates_takes_its_new_capability() -> None:
    """The deferred update still happens when the association completes."""
    w = _network()
    r, e = w["r"], w["e"]
    jp = r.nwk.join_parent
    addr = e.network_address
    cap = CapabilityInformation(receiver_on_when_idle=True).to_byte()
    jp._apply_capability(addr, e.eui64, cap)
    entry = r.nwk.neighbors.get(addr)
    assert entry is not None and entry.rx_on_when_idle is True


def test_a_repeated_device_annce_does_not_drop_a_child_that_still_polls() -> None:
    w = _network()
    r, e = w["r"], w["e"]
    annce = DeviceAnnce(0x42, e.network_address, e.eui64, MacCapability(0))

    def ind(hops: int) -> ApsdeDataIndication:
        return ApsdeDataIndication(
            ApsAddrMode.SHORT,
            0xFFFD,
            0,
            ApsAddrMode.SHORT,
            e.network_address,
            0,
            0x0000,
            0x0013,
            annce.encode(),
            ApsStatus.SUCCESS,
            SecurityStatus.SECURED_NWK_KEY,
            200,
            w.now_us,
            e.eui64,
            hops,
            0x77,
        )

    r.zdo._on_device_annce(ind(1), annce)  # its own announcement, through us
    r.zdo._on_device_annce(ind(3), annce)  # the same one again, from three hops away
    entry = r.nwk.neighbors.get(e.network_address)
    assert entry is not None and entry.is_child  # was dropped (and told to rejoin)
    assert r.zdo.stats.device_annce_repeated == 1
    # a new announcement of the same address from afar still means it moved, once the child
    # no longer polls us (a replay must not drop a child that does)
    moved = DeviceAnnce(0x43, e.network_address, e.eui64, MacCapability(0))
    r.zdo._on_device_annce(ind(3), moved)
    assert r.nwk.neighbors.get(e.network_address) is not None
    w.power_off("e")
    w.run_for(40 * S)
    assert r.nwk.neighbors.get(e.network_address) is None
    assert r.zdo.stats.children_removed == 1


def test_single_beacons_of_strangers_on_our_pan_id_change_nothing() -> None:
    """3. One beacon with our PAN ID and another extended PAN ID (each a mutated copy of one
    of ours) made the coordinator change the network's PAN ID: the campaign's mutated
    beacons moved the whole network every few seconds, and sleepy devices lost their
    parents each time. A conflicting network must now be heard twice within a minute."""
    w = _network()
    c = w["c"]
    pan = c.nwk.nib.nwk_pan_id
    atk = Attacker(w, (8.0, 3.0))
    for k in range(5):
        payload = ZigbeeBeaconPayload(nwk_extended_pan_id=0x1122_3344_5566_7700 + k)
        b = Beacon(superframe=SuperframeSpec(association_permit=True), payload=payload.encode())
        atk.inject(MacFrame.beacon(pan, 0x0001, b, seq=k).encode())
        w.run(w.now_us + 2 * S)
    w.run(w.now_us + 10 * S)
    assert sum(n.nwk.stats.pan_id_conflicts for n in w) == 0
    assert {n.nwk.nib.nwk_pan_id for n in w} == {pan} and c.nwk.nib.nwk_update_id == 0


def test_a_reset_during_a_poll_does_not_stop_polling_for_good() -> None:
    """4. A NWK reset (leaving, a failed authentication) while a MAC poll was in flight left
    the end device's ``polling`` flag set: the MAC reset dropped the poll, its confirm never
    came, and every later poll was refused. Told to leave and rejoin during the campaign, a
    sensor associated again, never polled for its network key, failed authentication and
    stayed out of the network."""
    w = _network()
    e = w["e"]
    assert e.nwk.child.poll()  # a poll in flight ...
    e.nwk.nlme_reset_request(False)  # ... when the NWK (and the MAC) reset
    assert e.nwk.child.polling is False and e.nwk.join.polling is False
    e._left()
    e._begin()  # join again from scratch, as after a Leave with rejoin
    w.run(w.now_us + 30 * S)
    assert e.state == NodeState.JOINED and e.stats.authentication_failures == 0
    polls = e.mac.stats.tx_frames
    w.run(w.now_us + 5 * S)
    assert e.mac.stats.tx_frames >= polls + 4  # it polls every second again
