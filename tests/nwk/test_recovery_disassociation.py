"""Issue 9 item 3 (NWK side): a MAC Disassociation Notification carrying the parent's EUI-64
reset an end device's MAC PAN ID and short address while its NWK still believed it was
joined: it never detected parent loss and got nothing afterwards. Now the MAC accepts the
notification only from its coordinator, and when it does, the NWK treats it as parent loss
and rejoins, so MAC and NWK agree again and frames reach the device. A notification that
does not come from the parent changes nothing."""

from __future__ import annotations

import pytest

from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S, aps_payload, send
from zigmesh.mac.commands import DisassociationNotification, DisassociationReason
from zigmesh.mac.frames import AddrMode, MacFrame
from zigmesh.node import Node
from zigmesh.sim.world import World


def _joined_pair(security: bool) -> tuple[World, Node, Node]:
    w = World(seed=3, security=security, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    e = w.add_node("e", "end_device", (12.0, 0.0), join_at_us=1 * S, poll_interval_us=S)
    w.run(15 * S)
    assert w.all_joined() and w.parent_of(e) is c
    return w, c, e


def _inject(e: Node, src: int, src_mode: AddrMode = AddrMode.EXTENDED) -> None:
    psdu = MacFrame.command(
        DisassociationNotification(DisassociationReason.COORDINATOR_WISHES_DEVICE_TO_LEAVE),
        seq=0x33,
        dst_pan=e.mac.pib.mac_pan_id,
        dst_addr=e.eui64,
        dst_mode=AddrMode.EXTENDED,
        src_addr=src,
        src_mode=src_mode,
        ack_request=True,
    ).encode()
    e.mac.pd_data_indication(psdu, -50, 220)


def _delivers(w: World, c: Node, e: Node, rec: Recorder, counter: int) -> bool:
    p = aps_payload(counter)
    send(c, e.nwk.address, p)
    w.run(w.now_us + 3 * S)
    return bool(rec.received("e", p))


@pytest.mark.parametrize("security", [False, True])
def test_disassociation_from_the_parent_leads_to_a_rejoin(security: bool) -> None:
    w, c, e = _joined_pair(security)
    rec = Recorder().attach(w)
    pan, addr = e.mac.pib.mac_pan_id, e.nwk.address
    losses = e.nwk.stats.parent_losses
    _inject(e, c.eui64)  # as a forger with the parent's EUI-64 would, or the parent itself
    # the NWK saw the MAC leave the PAN: parent loss, rejoin
    assert e.nwk.stats.parent_losses == losses + 1
    assert e.nwk.join.in_rejoin
    w.run(w.now_us + 15 * S)
    assert len(e.stats.join_times_us) == 2 and w.parent_of(e) is c
    pib = e.mac.pib
    assert (pib.mac_pan_id, pib.mac_short_address) == (pan, e.nwk.address) == (pan, addr)
    assert pib.mac_coord_extended_address == c.eui64  # known again after the NWK rejoin
    assert all(_delivers(w, c, e, rec, n) for n in range(1, 4))


@pytest.mark.parametrize(
    ("src", "mode"),
    [(0x0000, AddrMode.SHORT), (0x00AA_BBCC_DDEE_FF01, AddrMode.EXTENDED)],
    ids=["parent short address", "another EUI-64"],
)
def test_notification_not_from_the_parent_changes_nothing(src: int, mode: AddrMode) -> None:
    w, c, e = _joined_pair(False)
    rec = Recorder().attach(w)
    pan, addr = e.mac.pib.mac_pan_id, e.nwk.address
    _inject(e, src, mode)
    assert (e.mac.pib.mac_pan_id, e.mac.pib.mac_short_address) == (pan, addr)
    assert not e.nwk.join.in_rejoin and e.nwk.stats.parent_losses == 0
    assert _delivers(w, c, e, rec, 1)
    assert len(e.stats.join_times_us) == 1
