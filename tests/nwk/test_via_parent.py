"""A concentrator that holds no route record for a device reaches it through its parent's
record (issue 7: the trust center answering devices that just joined flooded the 1,000-node
secured grid with route discoveries, half of which failed), and a device confirms its own
record only when the concentrator's frame came in through its own next hop."""

from __future__ import annotations

from dataclasses import replace

from tests.nwk.fakes import FakeMac, data_frame, make_nwk, rx
from tests.nwk.nwkutil import aps_payload
from zigmesh.nwk.commands import NetworkStatus, NwkStatusCode
from zigmesh.nwk.frames import SourceRoute
from zigmesh.nwk.many_to_one import RecordState
from zigmesh.nwk.nwk import Nwk
from zigmesh.nwk.primitives import NwkAddrMode
from zigmesh.nwk.routing import VIA_PARENT_HOLDOFF_US
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship
from zigmesh.sim.kernel import Kernel

COORD = 0x0000
PARENT = 0x0A0A
RELAY = 0x0B0B
DEVICE = 0x3333
ME = 0x1111


def _concentrator() -> tuple[Nwk, FakeMac, Kernel]:
    nwk, mac, k, _ = make_nwk(COORD)
    nwk.nib.nwk_depth = 0
    nwk.nib.nwk_is_concentrator = True
    return nwk, mac, k


def _neighbour(nwk: Nwk, address: int, relationship: Relationship = Relationship.NONE) -> None:
    e = NeighborEntry(
        network_address=address,
        device_type=DeviceType.ROUTER,
        relationship=relationship,
        lqi=255,
        outgoing_cost=1,
        depth=1,
        rx_on_when_idle=True,
    )
    nwk.neighbors.add(e, nwk.clock.now())


def test_no_record_source_routes_through_the_parent_record_without_storing_it() -> None:
    nwk, mac, k = _concentrator()
    nwk.route_records.update(PARENT, (RELAY,), k.now())
    nwk.parent_of = {DEVICE: PARENT}.get
    hop = nwk.routing.resolve(DEVICE)
    assert hop == (RELAY, False, SourceRoute(1, (PARENT, RELAY)), None)
    assert nwk.route_records.relays(DEVICE, k.now()) is None  # its own record will come
    assert nwk.stats.source_routed_via_parent == 1
    # sent so: source-routed, no route request
    nwk.nlde_data_request(NwkAddrMode.NWK, DEVICE, aps_payload(1), 1)
    k.run(k.now() + 1)
    [out] = mac.take()
    assert out.dst == RELAY and out.frame.source_route == SourceRoute(1, (PARENT, RELAY))
    assert nwk.stats.route_discoveries == 0 and nwk.stats.rreq_sent == 0
    # the device's own record wins
    nwk.route_records.update(DEVICE, (0x0C0C,), k.now())
    assert nwk.routing.resolve(DEVICE) == (0x0C0C, False, SourceRoute(0, (0x0C0C,)), None)


def test_parent_a_neighbour_with_no_record_is_one_relay() -> None:
    nwk, _, k = _concentrator()
    _neighbour(nwk, PARENT)
    nwk.parent_of = {DEVICE: PARENT}.get
    assert nwk.routing.resolve(DEVICE) == (PARENT, False, SourceRoute(0, (PARENT,)), None)


def test_unknown_parent_or_no_way_to_it_means_no_route() -> None:
    nwk, _, k = _concentrator()
    nwk.parent_of = {DEVICE: PARENT}.get
    assert nwk.routing.resolve(DEVICE) is None  # the parent: no record, not a neighbour
    assert nwk.routing.resolve(0x4444) is None  # parent unknown
    nwk.route_records.update(PARENT, (RELAY,), k.now())
    assert nwk.routing.resolve(DEVICE, records=False) is None  # a route without records
    nwk.parent_of = None
    assert nwk.routing.resolve(DEVICE) is None


def test_device_confirms_its_record_only_through_its_own_next_hop() -> None:
    nwk, _, k, _ = make_nwk(ME)
    nwk.nib.nwk_depth = 2
    _neighbour(nwk, PARENT, Relationship.PARENT)
    _neighbour(nwk, RELAY)
    assert nwk.routing.set_route(
        COORD, RELAY, k.now(), many_to_one=True, route_record_required=True
    )
    assert nwk.mto.record_state(COORD, ME) == RecordState.REQUIRED

    def from_concentrator(last_relay: int, seq: int) -> None:
        f = data_frame(COORD, ME, aps_payload(seq), seq=seq)
        rx(nwk, replace(f, source_route=SourceRoute(0, (last_relay,))), last_relay)

    from_concentrator(PARENT, 1)  # made from our parent's record: ours is still missing
    assert nwk.mto.record_state(COORD, ME) == RecordState.REQUIRED
    from_concentrator(RELAY, 2)  # through our own next hop: the concentrator has our record
    assert nwk.mto.record_state(COORD, ME) == RecordState.SENT


def test_after_a_failed_way_through_the_parent_a_discovery_finds_the_device() -> None:
    nwk, _, k = _concentrator()
    nwk.route_records.update(PARENT, (RELAY,), k.now())
    nwk.parent_of = {DEVICE: PARENT}.get
    assert nwk.routing.resolve(DEVICE) is not None
    # the parent (or the device) is gone: its relay reports the source route broken
    status = NetworkStatus(NwkStatusCode.SOURCE_ROUTE_FAILURE, DEVICE)
    nwk.routing.on_network_status(data_frame(RELAY, COORD, b""), status, RELAY)
    assert nwk.routing.resolve(DEVICE) is None  # a route discovery, not the same way again
    k.run(k.now() + VIA_PARENT_HOLDOFF_US)
    assert nwk.routing.resolve(DEVICE) is not None
    # our own first hop failing counts the same
    nwk.routing.link_failed(RELAY, DEVICE, source_routed=True)
    assert nwk.routing.resolve(DEVICE) is None
