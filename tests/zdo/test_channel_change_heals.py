"""A channel change that some devices miss must not split the network (issue 9: the network
heals by itself; Zigbee R22 2.4.3.3.9 Mgmt_NWK_Update_req, 3.6.1.4.3 rejoin over the channel
mask, nwkUpdateId).

Before: the manager sent one Mgmt_NWK_Update_req broadcast (to 0xFFFD by default, which sleepy
devices never get); routers that missed it under load stayed on the old channel for good, and
a sleepy device whose parent moved without it rejoined on its own channel only. Now the change
goes out CHANNEL_CHANGE_SENDS times to 0xFFFF, a router that moved checks the old channel and
sends the change again to the devices still there, a router that hears nobody scans the channel
mask for its network under a newer nwkUpdateId, and an end device's rejoin retries scan the
channel mask.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.nwk.flows import Flows
from tests.nwk.nwkutil import SMALL_MEDIUM, S
from tests.nwk.test_pan_change_heals import _deaf_to
from tests.zdo.test_zdo_support import make_zdo
from zigmesh.errors import DecodeError
from zigmesh.mac.frames import MacFrame
from zigmesh.nwk.frames import NwkFrame
from zigmesh.sim.medium import Radio
from zigmesh.sim.world import World
from zigmesh.zdo.zdp import MgmtNwkUpdateReq

NEW_CHANNEL = 20
#: every device on the new channel and every flow delivering within this of the hub's switch
RECOVERY_US = 60 * S


def _grid(seed: int = 1) -> tuple[World, Flows]:
    w = World(seed=seed, medium=SMALL_MEDIUM, security=False)
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
    return w, flows


def _healed(w: World, flows: Flows, since: int) -> bool:
    """Every device on the new channel, every flow delivering again (a message sent since
    ``since`` arrived; a partition costs the routes a while longer to be as good as before)."""
    return all(
        n.joined and n.mac.mlme_get("phy_current_channel") == NEW_CHANNEL for n in w
    ) and all(f.first_delivery_after(since) is not None for f in flows.flows)


def _no_broadcasts_for(w: World, name: str, until: Callable[[], bool]) -> None:
    """``name`` receives no NWK broadcast (its parent's indirect copies included) until
    ``until()`` holds: a sleepy device that misses the change but still polls."""
    radio = w.radios[name]
    inner = w.medium.rx_filter
    over = [False]

    def drop(sender: Radio, receiver: Radio, psdu: bytes) -> bytes | None:
        over[0] = over[0] or until()
        if not over[0] and receiver is radio:
            try:
                nwk = NwkFrame.decode(MacFrame.decode(psdu).payload)
            except DecodeError:
                nwk = None
            if nwk is not None and nwk.dst >= 0xFFF8:
                return None
        return psdu if inner is None else inner(sender, receiver, psdu)

    w.medium.rx_filter = drop


def _change_missed_by(w: World, deaf: set[str]) -> int:
    """The hub moves the network to NEW_CHANNEL while the routers ``deaf`` hear nothing (and
    the sleepy device ``ed``, if named, no broadcast) until every other router has moved;
    returns the time the hub switched."""
    hub = w["hub"]
    others = [n for n in w if n.name not in deaf and n.name != "ed"]

    def moved() -> bool:
        return all(n.nwk.nib.nwk_logical_channel == NEW_CHANNEL for n in others)

    if deaf - {"ed"}:
        _deaf_to(w, set(), deaf - {"ed"}, moved)
    if "ed" in deaf:
        _no_broadcasts_for(w, "ed", moved)
    hub.zdo.change_channel(NEW_CHANNEL)
    assert w.run_until(lambda: hub.nwk.nib.nwk_logical_channel == NEW_CHANNEL, 30 * S)
    return w.now_us


def test_routers_and_sleepy_device_that_missed_the_change_follow() -> None:
    w, flows = _grid()
    old = w["hub"].nwk.nib.nwk_logical_channel
    switched = _change_missed_by(w, {"r21", "r22", "ed"})
    assert w.run_until(
        lambda: (
            all(n.nwk.nib.nwk_logical_channel == NEW_CHANNEL for n in w if n.name != "ed")
            or w.now_us - switched > 20 * S
        ),
        30 * S,
    )
    assert w["r22"].nwk.nib.nwk_logical_channel == old  # missed it
    # before: r21, r22 and the sleepy device stayed on the old channel for good
    assert w.run_until(lambda: _healed(w, flows, w.now_us - 5 * S), RECOVERY_US), [
        (n.name, n.nwk.nib.nwk_logical_channel) for n in w
    ]
    assert all(n.nwk.nib.nwk_update_id == 1 for n in w)
    # saved: a power cycle comes back on the new channel
    for n in w:
        snap = w.store.load(n.name)
        assert snap is not None and snap.channel == NEW_CHANNEL, n.name
    since = w.now_us
    w.run_for(30 * S)
    assert all(len(f.delivered_after(since)) >= 5 for f in flows.flows)


def test_a_router_alone_on_the_old_channel_finds_the_network() -> None:
    w, flows = _grid(2)
    switched = _change_missed_by(w, {"r22"})
    assert w.run_until(lambda: _healed(w, flows, w.now_us - 5 * S), RECOVERY_US), (
        w.now_us - switched
    )
    r22 = w["r22"].nwk.stats
    assert r22.network_followed + sum(n.nwk.stats.network_reannounced for n in w) >= 1


def test_sleepy_device_whose_parent_moved_without_it_rejoins_on_the_new_channel() -> None:
    w, flows = _grid(3)
    ed = w["ed"]
    switched = _change_missed_by(w, {"ed"})
    assert w.run_until(lambda: _healed(w, flows, w.now_us - 5 * S), RECOVERY_US), (
        w.now_us - switched
    )
    assert ed.nwk.stats.rejoin_channel_scans >= 1


def test_copies_of_a_change_already_taken_do_not_push_the_switch_back() -> None:
    r = make_zdo(0x1234)
    req = MgmtNwkUpdateReq.change_channel(7, 1 << 25, 3)
    t0 = r.clock.now()
    r.aps.indicate(0x0000, req, dst=0xFFFF)
    r.clock.run(t0 + 3 * S)
    r.aps.indicate(0x0000, req, dst=0xFFFF)  # the next copy, 3 s later
    bdt = r.nwk.nib.nwk_network_broadcast_delivery_time_us
    r.clock.run(t0 + bdt)
    assert r.nwk.nib.nwk_logical_channel == 25 and r.nwk.nib.nwk_update_id == 3
    # once there, a late copy or an older change is no reason to move again
    r.aps.indicate(0x0000, req, dst=0xFFFF)
    r.aps.indicate(0x0000, MgmtNwkUpdateReq.change_channel(8, 1 << 15, 2), dst=0xFFFF)
    assert not r.zdo.server.mgmt.changing
