"""Per-node figures for ``summary.json`` and the report, read from the layers' counters and
tables at the end of a run (issue 12).

:func:`node_detail` gives the keys appended to a ``per_node`` entry::

    power              "battery" (end devices) or "mains"
    state              the node's start-up state (JOINED, DISCOVERING, ...)
    not_joined_reason  why a node is not in the network (null when it is)
    position           [x, y, z] metres
    frames             {mac_sent, mac_received, acks_sent, nwk_sent, nwk_received,
                        nwk_relayed, aps_sent}
    mac                {retries, no_ack, channel_access_failures}
    nwk                {route_discoveries, route_discovery_failures, link_failures,
                        route_repairs, rejoins, parent_losses}
    neighbours         [{name, short_address, relationship, lqi, incoming_cost,
                         outgoing_cost}] (sorted by name)
    routing_table      {entries, active}
    children           number of children in the neighbour table
    radio_energy       {charge_mah, average_current_ma} over the whole run (every node)
"""

from __future__ import annotations

from typing import Any

from zigmesh.node import Node, NodeState, Role
from zigmesh.nwk.link_cost import link_cost
from zigmesh.nwk.tables.neighbor import Relationship
from zigmesh.scenario.metrics import short_text
from zigmesh.sim.energy import energy_report
from zigmesh.sim.world import World

__all__ = ["node_detail", "not_joined_reason"]


def _sig(x: float) -> float:
    return float(f"{x:.6g}")


def not_joined_reason(world: World, node: Node) -> str | None:
    """Why ``node`` is not in the network at the end of the run (None when it is)."""
    if node.joined:
        return None
    if not world.is_powered(node):
        return "powered off"
    st = node.stats
    if st.started_at_us is None:
        return "not started before the end of the run"
    heard = world.radios[node.name].rx_frames
    tries = st.join_attempts
    if heard == 0:
        return (
            f"out of range: heard no frame from any device ({tries} discovery attempt"
            f"{'s' if tries != 1 else ''})"
        )
    if st.authentication_failures and node.state != NodeState.JOINING:
        return (
            f"associated but received no network key ({st.authentication_failures} "
            f"authentication failure{'s' if st.authentication_failures != 1 else ''})"
        )
    state = node.state
    if state == NodeState.DISCOVERING:
        return f"found no network it could join ({tries} attempts, heard {heard} frames)"
    if state == NodeState.JOINING:
        return "association under way or failed"
    if state == NodeState.AUTHENTICATING:
        return "associated, waiting for the network key"
    if state == NodeState.REJOINING:
        return "rejoin under way"
    if state == NodeState.LEFT:
        return "left the network"
    return f"not joined (state {state.name})"


def _neighbours(world: World, node: Node) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for e in node.nwk.neighbors:
        other = world.by_eui64(e.extended_address) if e.extended_address is not None else None
        if other is None:
            other = world.by_address(e.network_address)
        rel = e.relationship
        rows.append(
            {
                "name": other.name if other is not None else None,
                "short_address": short_text(e.network_address),
                "relationship": rel.name.lower() if isinstance(rel, Relationship) else str(rel),
                "lqi": e.lqi,
                "incoming_cost": link_cost(min(max(e.lqi, 0), 255)),
                "outgoing_cost": e.outgoing_cost,
            }
        )
    rows.sort(key=lambda r: (r["name"] is None, r["name"] or "", r["short_address"]))
    return rows


def node_detail(world: World, node: Node) -> dict[str, Any]:
    """The figures :mod:`this module <zigmesh.scenario.nodeinfo>` describes, for one node."""
    m = node.mac.stats
    n = node.nwk.stats
    a = node.aps.stats
    joined = node.joined
    neighbours = _neighbours(world, node) if joined else []
    routes = list(node.nwk.routes) if joined else []
    rep = energy_report(world.radios[node.name].state_times())
    x, y, z = world.radios[node.name].position
    return {
        "power": "battery" if node.role == Role.END_DEVICE else "mains",
        "state": node.state.name,
        "not_joined_reason": not_joined_reason(world, node),
        "position": [round(x, 3), round(y, 3), round(z, 3)],
        "frames": {
            "mac_sent": m.tx_frames,
            "mac_received": m.rx_frames,
            "acks_sent": m.tx_acks,
            "nwk_sent": n.tx_frames,
            "nwk_received": n.rx_frames,
            "nwk_relayed": n.relayed,
            "aps_sent": a.frames_sent,
        },
        "mac": {
            "retries": m.tx_retries,
            "no_ack": m.tx_no_ack,
            "channel_access_failures": m.tx_channel_access_failures,
        },
        "nwk": {
            "route_discoveries": n.route_discoveries,
            "route_discovery_failures": n.route_discovery_failures,
            "link_failures": n.link_failures,
            "route_repairs": n.route_repairs,
            "rejoins": n.rejoins,
            "parent_losses": n.parent_losses,
        },
        "neighbours": neighbours,
        "routing_table": {
            "entries": len(routes),
            "active": sum(1 for r in routes if r.usable),
        },
        "children": sum(1 for e in neighbours if e["relationship"] == "child"),
        "radio_energy": {
            "charge_mah": _sig(rep.charge_mah),
            "average_current_ma": _sig(rep.average_current_ma),
        },
    }
