"""Issue 9 item 3 (MAC side): a Disassociation Notification disassociates a device only when
it comes from the device's coordinator: extended source address = macCoordExtendedAddress
(802.15.4-2006 7.5.3.2; a short source anybody can claim is not enough), acknowledged,
addressed to the device (its extended or short address) in its PAN. Anything else is
ignored and counted; the PAN ID and short address stay."""

from __future__ import annotations

import pytest

from tests.mac.conftest import PAN, Net, Node
from tests.mac.test_mac_mlme import ROUTER_CAP, device, start_coordinator
from zigmesh.mac.commands import DisassociationNotification, DisassociationReason
from zigmesh.mac.frames import AddrMode, MacFrame
from zigmesh.mac.primitives import MlmeDisassociateIndication

STRANGER = 0x00AA_BBCC_DDEE_FF01
_LEAVE = DisassociationReason.COORDINATOR_WISHES_DEVICE_TO_LEAVE


def _associated() -> tuple[Net, Node, Node]:
    net = Net()
    c = start_coordinator(net)
    d = device(net, (30, 0))
    d.mac.mlme_associate_request(11, PAN, 0x0000, ROUTER_CAP)
    net.run(1_000_000)
    assert d.mac.pib.mac_pan_id == PAN and d.mac.pib.mac_short_address == 0x0001
    return net, c, d


def _notification(
    src: int,
    dst: int,
    *,
    src_mode: AddrMode = AddrMode.EXTENDED,
    dst_mode: AddrMode = AddrMode.EXTENDED,
    pan: int = PAN,
    ack: bool = True,
) -> bytes:
    return MacFrame.command(
        DisassociationNotification(_LEAVE),
        seq=0x5A,
        dst_pan=pan,
        dst_addr=dst,
        dst_mode=dst_mode,
        src_addr=src,
        src_mode=src_mode,
        ack_request=ack,
    ).encode()


def _forged(c: Node, d: Node) -> dict[str, bytes]:
    return {
        # the parent's short address, which any device can put in a frame
        "short source": _notification(0x0000, d.eui, src_mode=AddrMode.SHORT),
        "other device": _notification(STRANGER, d.eui),
        "broadcast": _notification(c.eui, 0xFFFF, dst_mode=AddrMode.SHORT),
        "to another device": _notification(c.eui, STRANGER),
        "other PAN": _notification(c.eui, d.eui, pan=PAN ^ 1),
        "unacknowledged": _notification(c.eui, d.eui, ack=False),
    }


@pytest.mark.parametrize(
    "case",
    [
        "short source",
        "other device",
        "broadcast",
        "to another device",
        "other PAN",
        "unacknowledged",
    ],
)
def test_notification_not_from_the_coordinator_is_ignored(case: str) -> None:
    net, c, d = _associated()
    st = d.mac.stats
    dropped = st.rx_ignored + st.rx_not_for_us
    d.mac.pd_data_indication(_forged(c, d)[case], -60, 200)
    net.run(net.kernel.now() + 10_000)
    pib = d.mac.pib
    assert (pib.mac_pan_id, pib.mac_short_address) == (PAN, 0x0001)
    assert pib.mac_coord_extended_address == c.eui
    assert d.of(MlmeDisassociateIndication) == []
    assert st.rx_ignored + st.rx_not_for_us == dropped + 1  # counted, by the filter or here


@pytest.mark.parametrize("dst_mode", [AddrMode.EXTENDED, AddrMode.SHORT])
def test_notification_from_the_coordinator_disassociates(dst_mode: AddrMode) -> None:
    net, c, d = _associated()
    dst = d.eui if dst_mode == AddrMode.EXTENDED else 0x0001
    d.mac.pd_data_indication(_notification(c.eui, dst, dst_mode=dst_mode), -60, 200)
    net.run(net.kernel.now() + 10_000)
    assert d.mac.pib.mac_pan_id == 0xFFFF and d.mac.pib.mac_short_address == 0xFFFF
    [ind] = d.of(MlmeDisassociateIndication)
    assert ind.device_address == c.eui and ind.disassociate_reason == _LEAVE


def test_an_unassociated_device_ignores_a_notification() -> None:
    net = Net()
    c = start_coordinator(net)
    d = device(net, (30, 0))
    d.mac.mlme_set("mac_pan_id", PAN)
    d.mac.pd_data_indication(_notification(c.eui, d.eui), -60, 200)
    net.run(10_000)
    assert d.of(MlmeDisassociateIndication) == []
