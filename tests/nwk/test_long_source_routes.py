"""A coordinator (high-RAM concentrator) keeps and source-routes along relay lists longer than
the spec's default nwkMaxSourceRoute (12): in a large mesh whose cheapest paths take 15-27
good links, refusing them made the concentrator flood a route discovery for every answer to
a distant device (1,000-node grid, 80 s: 79 route requests -> 12)."""

from __future__ import annotations

from tests.nwk.fakes import command_frame, make_nwk, rx
from zigmesh.node_config import COORDINATOR_MAX_SOURCE_ROUTE, NodeConfig, Role, _nwk_config
from zigmesh.nwk.commands import RouteRecord
from zigmesh.nwk.config import NwkConfig
from zigmesh.nwk.constants import NWK_MAX_SOURCE_ROUTE

FAR = 0x7001
RELAYS = tuple(range(0x1001, 0x1001 + 20))


def test_a_coordinator_takes_relay_lists_up_to_the_default_radius() -> None:
    cfg = _nwk_config(NodeConfig(role=Role.COORDINATOR, eui64=1))
    assert cfg.max_source_route == COORDINATOR_MAX_SOURCE_ROUTE == 30
    assert _nwk_config(NodeConfig(role=Role.ROUTER, eui64=2)).max_source_route == 12


def test_a_20_relay_record_is_stored_and_used_by_a_high_ram_concentrator() -> None:
    nwk, _mac, _k, _ = make_nwk(0x0000, config=NwkConfig(concentrator=True, max_source_route=30))
    assert nwk.nib.nwk_max_source_route == 30
    rx(nwk, command_frame(RouteRecord(RELAYS), FAR, 0x0000), RELAYS[-1])
    hop = nwk.routing.resolve(FAR)
    assert hop is not None and hop[0] == RELAYS[-1]
    assert hop[2] is not None and hop[2].relays == RELAYS


def test_the_spec_default_refuses_it() -> None:
    nwk, _mac, _k, _ = make_nwk(0x0000, config=NwkConfig(concentrator=True))
    assert nwk.nib.nwk_max_source_route == NWK_MAX_SOURCE_ROUTE == 12
    rx(nwk, command_frame(RouteRecord(RELAYS), FAR, 0x0000), RELAYS[-1])
    assert nwk.route_records.relays(FAR, 0) is None
