"""Network formation (Zigbee spec 3.6.1.1): quietest channel, fewest networks, PAN ID without
conflict; router start."""

from __future__ import annotations

from tests.nwk.nwkutil import SMALL_MEDIUM, Recorder, S
from zigmesh.nwk.formation import ED_MARGIN, choose_channel, choose_pan_id
from zigmesh.nwk.primitives import NlmeNetworkFormationConfirm, NlmeStartRouterConfirm, NwkStatus
from zigmesh.nwk.tables import DeviceType
from zigmesh.phy import RadioState
from zigmesh.sim.medium import Radio
from zigmesh.sim.world import World


def test_choose_channel() -> None:
    energy = {11: 200, 12: 10, 13: 12, 14: 10 + ED_MARGIN + 1}
    assert choose_channel(energy, {}) == 12
    assert choose_channel(energy, {12: 1}) == 13  # fewer networks first among quiet ones
    assert choose_channel(energy, {12: 1, 13: 1}) == 12  # then less energy
    assert choose_channel({}, {}) is None


def test_choose_pan_id_avoids_used() -> None:
    seq = iter([5, 5, 9])
    assert choose_pan_id(lambda a, b: next(seq), {5}) == 9


def _jam(w: World, radio: Radio) -> None:
    """A radio sending 127-byte frames back to back on its channel (an interferer)."""

    def again() -> None:
        end = radio.transmit(bytes(127))
        w.kernel.call_at(end + 192, again)

    radio.set_state(RadioState.IDLE)
    again()


def test_formation_picks_quietest_channel_without_a_network() -> None:
    w = World(seed=8, security=False, medium=SMALL_MEDIUM, channel=12)
    other = w.add_node("other", "coordinator", (10.0, 0.0))
    jammer = w.medium.add_radio(0xBAD, (5.0, 5.0), 0.0, 11, RadioState.IDLE)
    w.kernel.call_at(0, _jam, w, jammer)
    c = w.add_node("c", "coordinator", (0.0, 0.0), join_at_us=1 * S, channels=(11, 12, 13))
    rec = Recorder().attach(w)
    w.run(4 * S)
    assert other.joined and c.joined
    conf = rec.of("c", NlmeNetworkFormationConfirm)[0][1]
    assert conf.status == NwkStatus.SUCCESS
    # 11 is jammed, 12 has a network: 13
    assert conf.logical_channel == 13 == c.nwk.nib.nwk_logical_channel
    assert w.radios["c"].channel == 13
    assert conf.pan_id != other.nwk.nib.nwk_pan_id and 0 < conf.pan_id <= 0x3FFF
    assert conf.extended_pan_id == c.eui64
    assert c.nwk.address == 0x0000 and c.nwk.device_type == DeviceType.COORDINATOR


def test_formation_refused_when_already_in_a_network() -> None:
    w = World(seed=9, security=False, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    w.add_node("r", "router", (10.0, 0.0), join_at_us=1 * S)
    rec = Recorder().attach(w)
    w.run(3 * S)
    c.nwk.nlme_network_formation_request([11])
    w["r"].nwk.nlme_start_router_request()
    w.run(w.now_us + S)
    assert rec.of("c", NlmeNetworkFormationConfirm)[-1][1].status == NwkStatus.INVALID_REQUEST
    assert rec.of("r", NlmeStartRouterConfirm)[-1][1].status == NwkStatus.INVALID_REQUEST
