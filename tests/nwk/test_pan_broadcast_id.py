"""The broadcast PAN ID (0xFFFF) is never a network's: a mutated beacon of our extended PAN ID
on PAN 0xFFFF made the coordinator "re-announce" its PAN ID update there, it set its MAC to
0xFFFF, and its PAN ID could never come back (a MAC on 0xFFFF was taken for a scan in
progress): deaf for good, every flow at 0 % (hostile campaign, seeds 2 and 4)."""

from __future__ import annotations

from tests.nwk.fakes import EXT_PAN, PAN, make_nwk
from zigmesh.nwk.commands import NetworkUpdate


def test_reannounce_follow_and_update_refuse_the_broadcast_pan() -> None:
    nwk, mac, _k, _ = make_nwk(0x0000)
    pc = nwk.pan_conflict
    pc.reannounce(0xFFFF)
    pc.follow(0xFFFF, 5)
    pc.on_network_update(None, NetworkUpdate(EXT_PAN, 5, 0xFFFF))  # type: ignore[arg-type]
    assert nwk.nib.nwk_pan_id == PAN and mac.pib.mac_pan_id == PAN
    assert not pc.updating


def test_a_mac_left_on_the_broadcast_pan_outside_a_scan_gets_the_network_pan_back() -> None:
    nwk, mac, _k, _ = make_nwk(0x0000)
    mac.pib.mac_pan_id = 0xFFFF
    assert nwk.scan_owner is None
    nwk.pan_conflict._apply_mac()
    assert mac.pib.mac_pan_id == PAN
