"""Resuming a network from non-volatile state after a reboot (coordinator and routers).

The Zigbee specification does not spell out how a device restores its network state after a
reset; deployed stacks all do the same thing: Z-Stack (``ZDApp_RestoreNetworkState``, start mode
``MODE_RESUME``) and EmberZNet (``emberNetworkInit`` from tokens) reload the NIB, the keys and
the child table, and a coordinator or router starts its MAC again with MLME-START on the saved
PAN ID and channel, without a scan, a new formation or a rejoin. Only end-device children are
kept (EmberZNet's child table); router neighbours are relearned from the next link status
frames (3.6.3.4), as real stacks do, and the resumed device's own first link status waits one
whole period so that it leaves none of them out (one left out would take our link as broken).
End devices do not resume here; they NWK-rejoin (3.6.1.4.2). A resumed router scans its
channel (:meth:`~zigmesh.nwk.pan_conflict.PanConflict.verify`): if its network changed PAN ID
while it was off (3.6.1.13), it follows.

:func:`resume_network` fills the NIB and the child entries, then runs MLME-START through the
formation procedure; the result comes as NLME-NETWORK-FORMATION.confirm (coordinator) or
NLME-START-ROUTER.confirm (router), as after a first start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zigmesh.nwk.commands import end_device_timeout_seconds
from zigmesh.nwk.constants import COORDINATOR_ADDRESS
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk

__all__ = ["VERIFY_DELAY_US", "ResumeChild", "ResumeState", "resume_network", "saved_children"]

#: a resumed router scans its channel once this long after starting, for a newer PAN ID
VERIFY_DELAY_US = 200_000

#: (IEEE address, network address, device type, receiver on when idle)
ResumeChild = tuple[int, int, int, bool]


@dataclass(frozen=True, slots=True)
class ResumeState:
    """The NIB values and child table a coordinator or router reloads."""

    coordinator: bool
    pan_id: int
    extended_pan_id: int
    channel: int
    network_address: int
    depth: int
    update_id: int
    capability: int
    parent_address: int | None = None
    children: tuple[ResumeChild, ...] = ()


def saved_children(nwk: Nwk) -> tuple[ResumeChild, ...]:
    """The child table as kept in non-volatile memory: the end-device children (with a known
    IEEE address), as EmberZNet's child table; router children are relearned from their link
    status like any router neighbour."""
    out: list[ResumeChild] = []
    for e in nwk.neighbors:
        if not e.is_child or e.extended_address is None or e.device_type != DeviceType.END_DEVICE:
            continue
        out.append(
            (
                int(e.extended_address),
                e.network_address,
                int(DeviceType.END_DEVICE),
                e.rx_on_when_idle,
            )
        )
    return tuple(sorted(out))


def resume_network(nwk: Nwk, state: ResumeState) -> None:
    """Reload ``state`` into a reset NWK layer and start the MAC on the saved PAN."""
    nib = nwk.nib
    nib.nwk_pan_id = state.pan_id
    nib.nwk_extended_pan_id = state.extended_pan_id
    nib.nwk_logical_channel = state.channel
    nib.nwk_update_id = state.update_id
    nib.nwk_capability_information = state.capability
    now = nwk.clock.now()
    if not state.coordinator and state.parent_address is not None:
        nwk.neighbors.add(
            NeighborEntry(
                network_address=state.parent_address,
                device_type=(
                    DeviceType.COORDINATOR
                    if state.parent_address == COORDINATOR_ADDRESS
                    else DeviceType.ROUTER
                ),
                relationship=Relationship.PARENT,
            ),
            now,
        )
    timeout = end_device_timeout_seconds(nib.nwk_end_device_timeout_default)
    for ieee, addr, dtype, rx_on in state.children:
        ed = dtype == DeviceType.END_DEVICE
        entry = NeighborEntry(
            network_address=addr,
            extended_address=ieee,
            device_type=DeviceType.END_DEVICE if ed else DeviceType.ROUTER,
            rx_on_when_idle=rx_on,
            relationship=Relationship.CHILD,
            # the timeout restarts now: a child that polls keeps its place
            device_timeout=timeout if ed else None,
        )
        if nwk.neighbors.add(entry, now).admitted:
            nwk.address_map.update(addr, ieee, overwrite=True)
    nwk.parent.schedule_ageing()
    if state.coordinator:
        nwk.formation.resume(state.pan_id, state.extended_pan_id, state.channel)
        return
    nib.nwk_depth = state.depth
    nwk.set_network_address(state.network_address)
    nwk.mac.pib.mac_pan_id = state.pan_id
    nwk.mac.mlme_set("phy_current_channel", state.channel)
    nwk.mac.mlme_set("mac_rx_on_when_idle", True)
    if state.parent_address is not None:
        nwk.mac.pib.mac_coord_short_address = state.parent_address
    nwk.device_type = DeviceType.ROUTER
    nwk.formation.resuming = True
    nwk.nlme_start_router_request()
    # a PAN ID update may have happened while we were off (3.6.1.13): look once
    nwk.pan_conflict.verify_later(VERIFY_DELAY_US)
