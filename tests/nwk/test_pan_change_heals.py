"""A PAN ID change whose Network Update is lost must not split the network (issue 9: the
network heals by itself; Zigbee spec R22 3.6.1.13.2).

The network manager resolves a PAN ID conflict by broadcasting a Network Update and switching
after nwkNetworkBroadcastDeliveryTime. Under load every copy can be lost (seed 7 of the hostile
campaign): the hub then sat alone on the new PAN ID for good while every router stayed on the old
one, all reporting JOINED. Now the manager sends the update several times, a device that moved
checks its old PAN ID and sends the update again to the part of the network it finds there, and
a router that hears nobody finds its network by its extended PAN ID under a newer nwkUpdateId.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest import MonkeyPatch

from tests.nwk.flows import Flows
from tests.nwk.nwkutil import SMALL_MEDIUM, S
from tests.nwk.test_pan_conflict import _foreign_beacon
from zigmesh.mac.frames import Beacon, MacFrame, SuperframeSpec
from zigmesh.mac.header import peek_dst
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.pan_conflict import UPDATE_SENDS, PanConflict
from zigmesh.sim.attacker import Attacker
from zigmesh.sim.medium import Radio
from zigmesh.sim.world import World

#: every device on the new PAN ID and every flow delivering within this of the hub's switch
RECOVERY_US = 60 * S


def _house(seed: int = 7) -> tuple[World, Flows]:
    w = World(seed=seed, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    for i in (1, 2, 3):
        w.add_node(f"r{i}", "router", (30.0 * i, 0.0))
    w.add_node("ed1", "end_device", (5.0, 8.0), poll_interval_us=S)
    w.add_node("ed2", "end_device", (100.0, 5.0), poll_interval_us=S)
    assert w.run_until(lambda: w.all_joined() and all(n.authenticated for n in w), 60 * S)
    w.run_for(10 * S)
    flows = Flows(w, S)
    for name in ("r1", "r3", "ed1", "ed2"):
        flows.add(w[name], w["hub"])
        flows.add(w["hub"], w[name])
    flows.start()
    w.run_for(10 * S)
    return w, flows


def _deaf_to(
    w: World,
    senders: set[str],
    receivers: set[str],
    until: Callable[[], bool],
    *,
    broadcasts_only: bool = False,
) -> None:
    """Frames from ``senders`` to ``receivers`` (empty: any) are lost while ``until()`` is
    False (once it held, no more); ``broadcasts_only``: only MAC broadcasts (a NWK broadcast, the Network Update)."""
    by_radio = {id(w.radios[n]): n for n in w.nodes}
    inner = w.medium.rx_filter
    over = [False]  # once until() held, for good

    def drop(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        over[0] = over[0] or until()
        s, r = by_radio.get(id(sender)), by_radio.get(id(receiver))
        if (
            not over[0]
            and (s in senders or not senders)
            and (r in receivers or not receivers)
            and (not broadcasts_only or peek_dst(psdu)[4] == 0xFFFF)
        ):
            return None
        return psdu if inner is None else inner(sender, receiver, psdu)

    w.medium.rx_filter = drop


def _healed(w: World, flows: Flows, since: int, pan: int) -> bool:
    pans = {n.nwk.nib.nwk_pan_id for n in w} | {n.mac.pib.mac_pan_id for n in w}
    return (
        pans == {pan}
        and all(n.joined for n in w)
        and all(f.first_delivery_after(since) is not None for f in flows.flows)
    )


def test_every_network_update_lost_the_hub_brings_the_routers_along() -> None:
    w, flows = _house()
    hub = w["hub"]
    old = hub.nwk.nib.nwk_pan_id
    # every broadcast the hub sends is lost until it has switched: all its Network Updates
    _deaf_to(w, {"hub"}, set(), lambda: hub.nwk.nib.nwk_pan_id != old, broadcasts_only=True)
    _foreign_beacon(w, old)
    assert w.run_until(lambda: hub.nwk.nib.nwk_pan_id != old, 30 * S)
    switched = w.now_us
    new = hub.nwk.nib.nwk_pan_id
    assert hub.nwk.stats.pan_id_updates_sent == 1
    assert all(n.nwk.nib.nwk_pan_id == old for n in w if n.name != "hub")  # all missed it
    # before: the hub stayed alone on the new PAN ID for good
    assert w.run_until(lambda: _healed(w, flows, w.now_us - S, new), RECOVERY_US)
    took = w.now_us - switched
    assert {n.nwk.nib.nwk_pan_id for n in w} == {new}
    assert all(n.nwk.nib.nwk_update_id == 1 for n in w)
    assert hub.nwk.stats.network_reannounced >= 1
    w.run_for(10 * S)
    since = w.now_us - 5 * S
    assert all(f.delivered_after(since) for f in flows.flows), took


def test_update_sent_several_times_over_the_delivery_time(monkeypatch: MonkeyPatch) -> None:
    w, _flows = _house()
    hub = w["hub"]
    old = hub.nwk.nib.nwk_pan_id
    sent: list[int] = []
    send = PanConflict._send_update

    def spy(self: PanConflict, pan: int, uid: int) -> None:
        if self is hub.nwk.pan_conflict:
            sent.append(w.now_us)
        send(self, pan, uid)

    monkeypatch.setattr(PanConflict, "_send_update", spy)
    _foreign_beacon(w, old)
    assert w.run_until(lambda: hub.nwk.nib.nwk_pan_id != old, 30 * S)
    bdt = hub.nwk.nib.nwk_network_broadcast_delivery_time_us
    assert len(sent) == UPDATE_SENDS
    assert [t - sent[0] for t in sent] == [k * (bdt // UPDATE_SENDS) for k in range(UPDATE_SENDS)]
    assert w.now_us - sent[0] == bdt  # the manager switches one delivery time after the first


def test_a_router_that_missed_the_update_and_hears_nobody_follows() -> None:
    w, flows = _house()
    hub = w["hub"]
    old = hub.nwk.nib.nwk_pan_id
    # r3 (the end of the chain) hears nothing until everyone else has switched
    others = [n for n in w if n.name not in ("r3", "ed2")]
    _deaf_to(w, set(), {"r3"}, lambda: all(n.nwk.nib.nwk_pan_id != old for n in others))
    _foreign_beacon(w, old)
    assert w.run_until(lambda: all(n.nwk.nib.nwk_pan_id != old for n in others), 40 * S)
    switched = w.now_us
    assert w["r3"].nwk.nib.nwk_pan_id == old
    new = w["hub"].nwk.nib.nwk_pan_id
    assert w.run_until(lambda: _healed(w, flows, w.now_us - S, new), RECOVERY_US), (
        w.now_us - switched
    )
    r3 = w["r3"].nwk
    assert r3.stats.network_followed + r3.stats.pan_id_changes >= 1


def test_check_held_back_by_the_next_update_does_not_run_right_after_it() -> None:
    """Issue 9's hostile campaign (seed 6): a second PAN ID change came while the check of
    the first was due (the check waits while an update is pending). It then ran a moment
    after the manager's second switch, heard routers that had not switched yet (they heard
    the update later) and took them for left behind: the hub went back to the old PAN ID
    for a whole delivery time while everyone else moved on. The check of a move comes a
    delivery time after it."""
    w, _flows = _house()
    hub = w["hub"]
    pc = hub.nwk.pan_conflict
    bdt = hub.nwk.nib.nwk_network_broadcast_delivery_time_us
    first = hub.nwk.nib.nwk_pan_id
    pc.resolve(())
    assert w.run_until(lambda: hub.nwk.nib.nwk_pan_id != first, 2 * bdt)
    w.run_for(bdt // 2)  # the check of this move is due in the next update's delivery time
    second = hub.nwk.nib.nwk_pan_id
    t2 = w.now_us
    # r1 hears no broadcast for a second: it gets the next update from a later copy
    _deaf_to(w, set(), {"r1"}, lambda: w.now_us > t2 + S, broadcasts_only=True)
    pc.resolve(())
    assert w.run_until(lambda: hub.nwk.nib.nwk_pan_id != second, 2 * bdt)
    third = hub.nwk.nib.nwk_pan_id
    pans = set()
    for _ in range(4 * bdt // S):
        w.run_for(S // 4)
        pans.add(hub.nwk.nib.nwk_pan_id)
    assert pans == {third} and hub.nwk.stats.network_reannounced == 0
    assert {n.nwk.nib.nwk_pan_id for n in w} == {third}


def test_forged_beacon_of_our_network_on_another_pan_id_is_no_part_left_behind() -> None:
    """Issue 9's hostile campaign (seed 11): after a PAN ID change, the check of the old PAN ID
    heard one mutated beacon of our extended PAN ID under an older update id on a PAN ID the
    network never used, and took it for a part left behind: the hub and every router went
    there for a delivery time, their sleepy children cut off. Only the place we left is
    checked."""
    w, _flows = _house()
    hub = w["hub"]
    old = hub.nwk.nib.nwk_pan_id
    epid = hub.nwk.nib.nwk_extended_pan_id
    hub.nwk.pan_conflict.resolve(())
    assert w.run_until(lambda: all(n.nwk.nib.nwk_pan_id != old for n in w), 30 * S)
    new = hub.nwk.nib.nwk_pan_id
    # beacons of our network (update id 0) under a PAN ID never used, through every check
    atk = Attacker(w, (10.0, 5.0))
    payload = ZigbeeBeaconPayload(nwk_extended_pan_id=epid, nwk_update_id=0).encode()
    beacon = MacFrame.beacon(
        0x80FF, 0x1539, Beacon(SuperframeSpec(association_permit=True), payload=payload)
    ).encode()
    t = w.now_us
    for k in range(1_000):
        atk.inject_at(t + k * 20_000, beacon)
    pans = set()
    for _ in range(80):
        w.run_for(S // 4)
        pans |= {n.nwk.nib.nwk_pan_id for n in w}
    assert pans == {new}
    assert sum(n.nwk.stats.network_reannounced for n in w) == 0
