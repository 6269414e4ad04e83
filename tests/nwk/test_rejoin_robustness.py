"""Rejoins under a hostile radio environment (issue 9's hostile campaign, seeds 4, 5, 9).

* A candidate parent that answered the rejoin poll without the response (NO_DATA) was given
  up from the poll confirm, but its response wait timer stayed armed: it fired in the next
  candidate's wait and gave that one up before its own poll. A sleepy sensor tried two ghost
  parents (beacons replayed under old addresses) and then lost its real one that way.
* Rejoin retries came every 5 s exactly, and a rejoin's second scan right after the first: an
  attacker sending every 20 ms (250 periods in 5 s, 7 in a scan of ~140 ms) covered every
  beacon request of a sleepy sensor for 25 s. The retries are spread (+/- a fifth) and the
  repeated scan waits a random moment.
"""

from __future__ import annotations

from typing import Any

from pytest import MonkeyPatch

from tests.nwk.fakes import EXT_PAN, make_nwk
from tests.nwk.nwkutil import SMALL_MEDIUM, S
from zigmesh.mac.primitives import MacStatus, MlmePollConfirm
from zigmesh.nwk.join import Join, JoinState
from zigmesh.nwk.tables import DeviceType, NeighborEntry
from zigmesh.sim.world import World

A, B = 0x0101, 0x0102


def test_candidate_given_up_on_its_poll_leaves_no_timer_for_the_next() -> None:
    nwk, mac, k, _ = make_nwk(0x4321, device_type=DeviceType.END_DEVICE)
    for addr, lqi in ((A, 250), (B, 200)):  # A looks better: tried first
        nwk.neighbors.add(
            NeighborEntry(
                network_address=addr,
                lqi=lqi,
                extended_pan_id=EXT_PAN,
                depth=1,
                permit_joining=True,
                router_capacity=True,
                end_device_capacity=True,
            ),
            0,
        )
    j = nwk.join
    j._ext_pan = EXT_PAN
    j.capability = 0x80  # an rx-off end device (allocate address)
    j.state = JoinState.REJOIN_SCANNING
    j._rejoin_next()
    wait = mac.pib.response_wait_us
    (req,) = mac.take()
    mac.confirm(req)  # the request to A went out
    t_a = k.now()
    k.run(until=t_a + wait)
    assert mac.polls == 1 and j.polling
    nwk._on_mac(MlmePollConfirm(MacStatus.NO_DATA))  # A has nothing for us: next candidate
    (req,) = mac.take()
    assert req.dst == B
    mac.confirm(req)
    assert j.state == JoinState.REJOIN_WAITING
    # A's response wait (3 x macResponseWaitTime after its request) is over: B's goes on
    k.run(until=t_a + 3 * wait + 1)
    assert j.state == JoinState.REJOIN_WAITING and j._parent is not None
    assert j._parent.network_address == B


def test_rejoin_retries_are_spread(monkeypatch: MonkeyPatch) -> None:
    w = World(seed=3, medium=SMALL_MEDIUM)
    w.add_node("hub", "coordinator", (0.0, 0.0))
    ed = w.add_node("ed", "end_device", (5.0, 0.0), poll_interval_us=S)
    assert w.run_until(lambda: w.all_joined() and ed.authenticated, 30 * S)
    starts: list[int] = []
    rejoin = Join.rejoin

    def spy(self: Join, *args: Any, **kw: Any) -> None:
        if self is ed.nwk.join:
            starts.append(w.now_us)
        rejoin(self, *args, **kw)

    monkeypatch.setattr(Join, "rejoin", spy)
    w.power_off("hub")  # the parent is gone for good: the child retries
    w.run_for(60 * S)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(gaps) >= 5
    assert len(set(gaps)) == len(gaps)  # no two alike (a fixed 5 s before)
    retry = ed.nwk.config.rejoin_retry_us
    assert all(retry * 4 // 5 < g < retry * 6 // 5 + 5 * S for g in gaps)
