"""Replays must not drop children (issue 9, recovery). A parent drops an end-device child whose
unicast frame arrives relayed by another router, or whose Device_annce reaches it relayed
(Zigbee R22 2.4.3.1.11.2): the child rejoined elsewhere. A replayed frame from a sender the
node never heard passes NWK security (no stored counter), so on one such frame a child that
still polls was dropped and its frames failed. Now a frame not newer than the child's own last
one (NWK sequence number) changes nothing, and a child heard straight from itself lately is
dropped only if it does not poll again."""

from __future__ import annotations

from tests.nwk.fakes import data_frame, make_nwk, rx
from tests.zdo.test_zdo_support import add_child, make_zdo
from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataIndication, SecurityStatus
from zigmesh.mac.frames import AddrMode
from zigmesh.mac.primitives import MlmePollIndication
from zigmesh.nwk.end_device import MOVED_QUIET_US
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel
from zigmesh.zdo.zdp import DeviceAnnce

HUB = 0x0000
CHILD, CHILD_IEEE = 0x4210, 0x00124B0000000005
ROUTER = 0x0578
S = 1_000_000


def _rig() -> tuple[Nwk, Kernel]:
    nwk, _mac, k, _ = make_nwk(HUB)
    nwk.neighbors.add(
        NeighborEntry(
            network_address=CHILD,
            device_type=DeviceType.END_DEVICE,
            rx_on_when_idle=False,
            relationship=Relationship.CHILD,
            extended_address=CHILD_IEEE,
        ),
        0,
    )
    nwk.neighbors.add(
        NeighborEntry(
            network_address=ROUTER,
            device_type=DeviceType.ROUTER,
            rx_on_when_idle=True,
            relationship=Relationship.SIBLING,
            lqi=255,
        ),
        0,
    )
    return nwk, k


def _poll(nwk: Nwk, k: Kernel) -> None:
    nwk.parent.on_poll_indication(MlmePollIndication(AddrMode.SHORT, CHILD, k.now()))


def _polls_until(nwk: Nwk, k: Kernel, end_us: int, every_us: int = S) -> None:
    while k.now() + every_us <= end_us:
        k.run(until=k.now() + every_us)
        _poll(nwk, k)
    k.run(until=end_us)


def test_replayed_relayed_frame_does_not_drop_a_child_that_polls() -> None:
    nwk, k = _rig()
    _polls_until(nwk, k, 20 * S)
    # an attacker replays a frame of the child's: it arrives "relayed" by a router
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=200, radius=29), ROUTER)
    _polls_until(nwk, k, 60 * S)
    e = nwk.neighbors.get(CHILD)
    assert e is not None and e.is_child
    assert nwk.stats.children_moved == 0 and nwk.stats.children_moved_refused >= 1


def test_relayed_frame_newer_than_the_childs_own_drops_it_once_it_misses_a_poll() -> None:
    nwk, k = _rig()
    _polls_until(nwk, k, 5 * S)
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=40), CHILD)  # straight from the child
    # a replay of an older frame while the child polls: kept
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=30, radius=29), ROUTER)
    _polls_until(nwk, k, 30 * S)
    assert nwk.neighbors.get(CHILD) is not None
    assert nwk.stats.children_moved == 0 and nwk.stats.children_moved_refused == 1
    # a newer frame relayed (an attached child sends everything through us) a moment after
    # its last poll: it has moved if it misses its next polls (1 s apart: 2.5 s after the last,
    # one poll may be lost to a collision)
    k.run(until=k.now() + S // 4)
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=41, radius=29), ROUTER)
    assert nwk.neighbors.get(CHILD) is not None
    k.run(until=30 * S + 2 * S)
    assert nwk.neighbors.get(CHILD) is not None
    k.run(until=30 * S + 5 * S // 2 + 1)
    assert nwk.neighbors.get(CHILD) is None and nwk.stats.children_moved == 1


def test_relayed_frame_newer_than_the_childs_own_has_missed_a_poll_drops_at_once() -> None:
    nwk, k = _rig()
    _polls_until(nwk, k, 5 * S)
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=40), CHILD)
    k.run(until=k.now() + 3 * S)  # its polls stopped (it lost us and rejoined elsewhere)
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=43, radius=29), ROUTER)
    assert nwk.neighbors.get(CHILD) is None and nwk.stats.children_moved == 1


def test_forged_newer_frame_does_not_drop_a_child_that_polls() -> None:
    """Issue 9's hostile campaign: an insider (network key holder) seals a child's frame with
    any NWK sequence number and sends it through a router; the parent dropped the child (its
    queued frames failed, it was sent a Leave and associated afresh). A child that keeps polling
    is ours."""
    nwk, k = _rig()
    _polls_until(nwk, k, 5 * S)
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=40), CHILD)
    for n, seq in enumerate((41, 100, 127)):  # between its polls (every second)
        frame = data_frame(CHILD, HUB, b"\x00\x01", seq=seq, radius=29)
        k.call_at(6 * S + n * 5 * S + S // 2, rx, nwk, frame, ROUTER)
    _polls_until(nwk, k, 30 * S)
    e = nwk.neighbors.get(CHILD)
    assert e is not None and e.is_child
    assert nwk.stats.children_moved == 0 and nwk.stats.children_moved_refused == 3


def test_child_that_just_polled_and_then_moved_is_dropped_once_it_stops_polling() -> None:
    nwk, k = _rig()
    _polls_until(nwk, k, 5 * S)
    # the child moves right after its last poll: its next frame comes relayed
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=7, radius=29), ROUTER)
    assert nwk.neighbors.get(CHILD) is not None  # it polled a moment ago: not yet
    k.run(until=5 * S + MOVED_QUIET_US + 1)
    assert nwk.neighbors.get(CHILD) is None and nwk.stats.children_moved == 1


def test_replayed_device_annce_does_not_drop_a_child_that_polls() -> None:
    r = make_zdo(HUB, ieee=0x00AA000000000001)
    k = r.aps.clock
    add_child(r.nwk, CHILD, CHILD_IEEE)
    _polls_until(r.nwk, k, 20 * S)
    # a replay of the child's announcement, relayed (2 hops), then one with another address
    r.aps.indicate(CHILD, DeviceAnnce(1, CHILD, CHILD_IEEE), dst=0xFFFD, hops=2)
    r.aps.indicate(0x5555, DeviceAnnce(2, 0x5555, CHILD_IEEE), dst=0xFFFD, hops=1)
    _polls_until(r.nwk, k, 60 * S)
    e = r.nwk.neighbors.get(CHILD)
    assert e is not None and e.is_child
    assert r.zdo.stats.children_removed == 0
    # it stops polling (it really moved): the next announcement relayed drops it
    k.run(until=60 * S + MOVED_QUIET_US)
    r.aps.indicate(CHILD, DeviceAnnce(3, CHILD, CHILD_IEEE), dst=0xFFFD, hops=2)
    assert r.nwk.neighbors.get(CHILD) is None and r.zdo.stats.children_removed == 1


def _annce_ind(src: int, annce: DeviceAnnce, hops: int, aps_counter: int) -> ApsdeDataIndication:
    return ApsdeDataIndication(
        ApsAddrMode.SHORT,
        0xFFFD,
        0,
        ApsAddrMode.SHORT,
        src,
        0,
        0x0000,
        0x0013,
        annce.encode(),
        ApsStatus.SUCCESS,
        SecurityStatus.SECURED_NWK_KEY,
        200,
        0,
        annce.ieee_addr,
        hops,
        aps_counter,
    )


def test_newer_device_annce_relayed_drops_a_child_that_just_polled_once_it_stops() -> None:
    r = make_zdo(HUB, ieee=0x00AA000000000001)
    k = r.aps.clock
    add_child(r.nwk, CHILD, CHILD_IEEE)
    joined = DeviceAnnce(1, CHILD, CHILD_IEEE)
    r.zdo._on_device_annce(_annce_ind(CHILD, joined, 1, 0x20), joined)  # through us
    _polls_until(r.nwk, k, 5 * S)
    # it rejoined elsewhere a moment after its last poll: its new announcement comes relayed,
    # with a newer APS counter (a replay never has one; a forgery by a network key holder
    # may: so it goes once it misses its next polls, 2.5 s after its last)
    moved = DeviceAnnce(2, CHILD, CHILD_IEEE)
    r.zdo._on_device_annce(_annce_ind(CHILD, moved, 2, 0x21), moved)
    assert r.nwk.neighbors.get(CHILD) is not None
    k.run(until=5 * S + 5 * S // 2)
    assert r.nwk.neighbors.get(CHILD) is None and r.zdo.stats.children_removed == 1


def test_silence_while_the_child_follows_our_pan_id_change_is_no_move() -> None:
    """After our PAN ID change a sleepy child cannot reach us until it switches too (up to a
    poll period later, 3.6.1.13.2): a forged newer frame meanwhile dropped it at once in the
    hostile campaign (seed 6), as if it had missed its polls."""
    nwk, k = _rig()
    _polls_until(nwk, k, 10 * S)
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=40), CHILD)
    k.run(until=11 * S)
    nwk.parent.pan_switched()  # we move; the child follows at 12.6 s
    k.run(until=12 * S + 550_000)  # 2.55 s after its last poll: it looks gone
    rx(nwk, data_frame(CHILD, HUB, b"\x00\x01", seq=90, radius=29), ROUTER)
    assert nwk.neighbors.get(CHILD) is not None
    k.run(until=12 * S + 600_000)
    _poll(nwk, k)
    _polls_until(nwk, k, 20 * S)
    assert nwk.neighbors.get(CHILD) is not None and nwk.stats.children_moved == 0
