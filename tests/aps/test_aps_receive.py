"""The APS receive path on a fake NWK (Zigbee spec R22 2.2.8.4.2 - 2.2.8.4.3).

Indications and their fields, APS ACKs (endpoints swapped, same cluster/profile/counter,
command acks), duplicate rejection with ageing (acked again, not delivered again), the
broadcast endpoint, group delivery to members only, drops by reason, APS commands to the
APSME user, and: any bytes as an NLDE-DATA.indication never raise.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.aps.aps_fakes import Endpoint, FakeNwk, make_aps
from zigmesh.aps.aps import Aps
from zigmesh.aps.commands import ApsStatus, RemoveDevice, SwitchKey
from zigmesh.aps.frames import ApsFrame, ApsFrameType, DeliveryMode
from zigmesh.aps.primitives import ApsAddrMode, ApsmeCommandIndication, SecurityStatus
from zigmesh.security.keys import KeyStore

ME = 0x1234
PEER = 0x5678
PEER_IEEE = 0x00BB_0000_0000_5678
HA = 0x0104


def setup(endpoints: tuple[int, ...] = (0, 1, 2)) -> tuple[Aps, FakeNwk, dict[int, Endpoint]]:
    aps, nwk, _ = make_aps(ME)
    eps = {}
    for e in endpoints:
        eps[e] = Endpoint()
        aps.register_endpoint(e, eps[e])
    nwk.address_map.update(PEER, PEER_IEEE)
    return aps, nwk, eps


def data(
    counter: int = 9,
    *,
    dst_ep: int | None = 1,
    group: int | None = None,
    ack: bool = True,
    mode: DeliveryMode = DeliveryMode.UNICAST,
    payload: bytes = b"\x01\x05\x01",
) -> bytes:
    return ApsFrame(
        ApsFrameType.DATA,
        DeliveryMode.GROUP if group is not None else mode,
        ack,
        dst_ep if group is None else None,
        group,
        0x0006,
        HA,
        7,
        counter,
        payload=payload,
    ).encode()


def test_unicast_indication_and_ack() -> None:
    aps, nwk, eps = setup()
    nwk.clock.run(1_000)
    nwk.indicate(data(), PEER, lqi=180, hops=3)
    (ind,) = eps[1].indications
    assert (ind.dst_addr_mode, ind.dst_address, ind.dst_endpoint) == (ApsAddrMode.SHORT, ME, 1)
    assert (ind.src_addr_mode, ind.src_address, ind.src_endpoint) == (ApsAddrMode.SHORT, PEER, 7)
    assert (ind.profile_id, ind.cluster_id, ind.asdu) == (HA, 0x0006, b"\x01\x05\x01")
    assert (ind.status, ind.security_status) == (ApsStatus.SUCCESS, SecurityStatus.SECURED_NWK_KEY)
    assert (ind.link_quality, ind.rx_time, ind.src_ieee, ind.hops, ind.aps_counter) == (
        180,
        1_000,
        PEER_IEEE,
        3,
        9,
    )
    (ack,) = nwk.take()
    f = ack.frame
    assert (ack.dst, ack.security) == (PEER, True)
    assert f.frame_type == ApsFrameType.ACK and not f.ack_format and not f.ack_request
    assert (f.dst_endpoint, f.src_endpoint, f.cluster_id, f.profile_id, f.counter) == (
        7,
        1,
        0x0006,
        HA,
        9,
    )
    assert aps.stats.acks_sent == 1 and aps.stats.indications == 1


def test_unsecured_nwk_frame_is_reported_unsecured_and_acked_unsecured() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(), PEER, security_use=False)
    assert eps[1].indications[0].security_status == SecurityStatus.UNSECURED
    assert nwk.take()[0].security is False


def test_duplicate_is_acked_again_but_not_delivered() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(), PEER)
    nwk.clock.run(500_000)
    nwk.indicate(data(), PEER)
    assert len(eps[1].indications) == 1
    assert [c.frame.counter for c in nwk.take()] == [9, 9]
    assert aps.stats.duplicates_rejected == 1
    nwk.indicate(data(10), PEER)  # another counter is new
    nwk.indicate(data(9), 0x9999)  # another source too
    assert len(eps[1].indications) == 3


def test_duplicate_entries_age_out() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(ack=False), PEER)
    nwk.clock.run(21_000_000)
    nwk.indicate(data(ack=False), PEER)  # 21 s later: forgotten, new again
    assert len(eps[1].indications) == 2


def test_duplicate_table_empties_on_its_own_when_frames_stop() -> None:
    """No frame after the last ones: the table still ages (a timer while it has entries),
    so a router whose table the formation's announcements filled does not keep it."""
    aps, nwk, eps = setup()
    nwk.indicate(data(1, ack=False), PEER)
    nwk.clock.run(5_000_000)
    nwk.indicate(data(2, ack=False), PEER)
    nwk.indicate(data(2, ack=False), PEER)  # a duplicate
    assert len(aps.duplicates) == 2
    nwk.clock.run(21_000_000)
    assert len(aps.duplicates) == 1
    nwk.clock.run(26_000_000)
    assert len(aps.duplicates) == 0 and nwk.clock.pending == 0
    nwk.indicate(data(3, ack=False), PEER)  # and again for the next frames
    nwk.clock.run(47_000_000)
    assert len(aps.duplicates) == 0 and len(eps[1].indications) == 3


def test_each_duplicate_refreshes_its_entry() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(ack=False), PEER)
    nwk.clock.run(20_999_999)
    nwk.indicate(data(ack=False), PEER)  # a duplicate: remembered 21 s from now on
    nwk.clock.run(21_000_000)
    nwk.indicate(data(ack=False), PEER)
    nwk.clock.run(41_999_999)
    nwk.indicate(data(ack=False), PEER)
    assert len(eps[1].indications) == 1 and aps.stats.duplicates_rejected == 3
    nwk.clock.run(41_999_999 + 21_000_000)
    nwk.indicate(data(ack=False), PEER)
    assert len(eps[1].indications) == 2


def test_broadcast_endpoint_reaches_every_application_endpoint() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(dst_ep=0xFF, mode=DeliveryMode.BROADCAST, ack=False), PEER, dst=0xFFFF)
    assert [len(eps[e].indications) for e in (0, 1, 2)] == [0, 1, 1]
    assert eps[2].indications[0].dst_endpoint == 2
    assert eps[2].indications[0].dst_address == 0xFFFF
    assert nwk.take() == []  # broadcasts are never acknowledged


def test_ack_request_on_broadcast_is_not_honoured() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(dst_ep=1, mode=DeliveryMode.BROADCAST, ack=True), PEER, dst=0xFFFD)
    assert len(eps[1].indications) == 1 and nwk.take() == []


def test_group_delivery_only_to_members() -> None:
    aps, nwk, eps = setup()
    aps.apsme_add_group_request(0x0100, 2)
    aps.apsme_add_group_request(0x0100, 9)  # a member endpoint nobody registered
    nwk.indicate(data(group=0x0100, ack=False), PEER, dst=0xFFFD)
    assert [len(eps[e].indications) for e in (0, 1, 2)] == [0, 0, 1]
    ind = eps[2].indications[0]
    assert (ind.dst_addr_mode, ind.dst_address, ind.dst_endpoint) == (ApsAddrMode.GROUP, 0x0100, 2)
    nwk.indicate(data(10, group=0x0200, ack=False), PEER, dst=0xFFFD)
    assert aps.stats.drops == {"not_in_group": 1}
    aps.apsme_remove_group_request(0x0100, 2)
    nwk.indicate(data(11, group=0x0100, ack=False), PEER, dst=0xFFFD)
    assert aps.stats.drops == {"not_in_group": 2}


def test_unknown_endpoint_is_dropped_without_ack_and_not_remembered() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(dst_ep=42), PEER)
    assert nwk.take() == [] and aps.stats.drops == {"unknown_endpoint": 1}
    aps.register_endpoint(42, Endpoint())
    nwk.indicate(data(dst_ep=42), PEER)  # the retry is delivered, not a duplicate
    assert len(nwk.take()) == 1 and aps.stats.indications == 1


def test_zdo_endpoint() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(data(dst_ep=0), PEER)
    assert len(eps[0].indications) == 1


def test_commands_go_to_the_apsme_user() -> None:
    aps, nwk, eps = setup()
    got: list[ApsmeCommandIndication] = []
    cmd = ApsFrame(ApsFrameType.COMMAND, counter=3, payload=RemoveDevice(0xABCD).encode())
    nwk.indicate(cmd.encode(), PEER)
    assert aps.stats.drops == {"no_apsme_user": 1}
    aps.set_apsme_user(got.append)
    nwk.indicate(
        ApsFrame(ApsFrameType.COMMAND, counter=4, payload=RemoveDevice(0xABCD).encode()).encode(),
        PEER,
        security_use=False,
    )
    (ind,) = got
    assert ind.command == RemoveDevice(0xABCD)
    assert (ind.src_address, ind.src_ieee, ind.key_id, ind.nwk_secured) == (
        PEER,
        PEER_IEEE,
        None,
        False,
    )
    assert aps.stats.commands_received == {"REMOVE_DEVICE": 1}  # the dropped one not counted


def test_command_ack_and_duplicate() -> None:
    aps, nwk, eps = setup()
    got: list[ApsmeCommandIndication] = []
    aps.set_apsme_user(got.append)
    raw = ApsFrame(
        ApsFrameType.COMMAND, ack_request=True, counter=0x44, payload=SwitchKey(1).encode()
    ).encode()
    nwk.indicate(raw, PEER)
    nwk.indicate(raw, PEER)
    assert len(got) == 1
    acks = nwk.take()
    assert len(acks) == 2
    f = acks[0].frame
    assert f.frame_type == ApsFrameType.ACK and f.ack_format and f.counter == 0x44
    assert f.cluster_id is None and f.dst_endpoint is None


def test_command_relayed_unsecured_by_the_parent_is_not_remembered() -> None:
    """The Transport-Key a parent relays to its joining child comes NWK-unsecured from the
    parent's address but with the trust center's APS counter: remembered under the parent's
    address, it made the parent's own frame with that counter a "duplicate" later (acked,
    never delivered: a message lost silently)."""
    aps, nwk, eps = setup()
    got: list[ApsmeCommandIndication] = []
    aps.set_apsme_user(got.append)
    relayed = ApsFrame(ApsFrameType.COMMAND, counter=16, payload=SwitchKey(1).encode())
    nwk.indicate(relayed.encode(), PEER, security_use=False)
    nwk.clock.run(9_000_000)
    nwk.indicate(data(16), PEER)  # the parent's own frame, its counter happens to be 16
    assert len(eps[1].indications) == 1 and aps.stats.duplicates_rejected == 0
    # a secured command is remembered as before
    secured = ApsFrame(ApsFrameType.COMMAND, counter=17, payload=SwitchKey(1).encode())
    nwk.indicate(secured.encode(), PEER)
    nwk.indicate(secured.encode(), PEER)
    assert len(got) == 2 and aps.stats.duplicates_rejected == 1


def test_broadcast_command() -> None:
    aps, nwk, eps = setup()
    got: list[ApsmeCommandIndication] = []
    aps.set_apsme_user(got.append)
    raw = ApsFrame(
        ApsFrameType.COMMAND, DeliveryMode.BROADCAST, counter=1, payload=SwitchKey(2).encode()
    ).encode()
    nwk.indicate(raw, PEER, dst=0xFFFF)
    assert got[0].command == SwitchKey(2)


def test_bad_frames_are_counted_by_reason() -> None:
    aps, nwk, eps = setup()
    nwk.indicate(b"", PEER)
    nwk.indicate(b"\x00\x01", PEER)  # truncated data header
    nwk.indicate(b"\x01\x05", PEER)  # command frame without a command
    nwk.indicate(b"\x03\x06\x00\x04\x01", PEER)  # inter-PAN
    nwk.indicate(data(mode=DeliveryMode.INDIRECT, dst_ep=None, ack=False), PEER)
    assert aps.stats.drops == {
        "decode_error": 3,
        "inter_pan": 1,
        "unsupported_delivery": 1,
    }
    assert aps.stats.rx_frames == 5 and nwk.take() == []


def _fuzz_aps() -> tuple[Aps, FakeNwk]:
    aps, nwk, _ = make_aps(ME, keys=KeyStore())
    aps.keys.set_network_key(bytes(range(16)), 1)
    for e in (0, 1, 2):
        aps.register_endpoint(e, lambda ev: None)
    aps.apsme_add_group_request(0x0001, 1)
    aps.set_apsme_user(lambda ind: None)
    nwk.address_map.update(PEER, PEER_IEEE)
    return aps, nwk


_FUZZ = _fuzz_aps()


_HEADS = [0x00, 0x01, 0x02, 0x0C, 0x21, 0x40, 0x60, 0x80, 0xC0, 0xE1, 0x92, 0x42]
_DATA_HEADER = st.tuples(
    st.sampled_from([0x40, 0x60, 0xC0, 0xE0, 0x48, 0x4C]),  # data: ack, secured, ext header
    st.sampled_from([0, 1, 2, 0xFF]),
    st.integers(0, 3),  # extended frame control: fragmentation sub-field
    st.integers(0, 255),  # block number
    st.integers(0, 3),  # APS counter (few values: reassembly buffers collide)
    st.binary(max_size=60),
).map(
    lambda t: (
        bytes((t[0], t[1], 6, 0, 4, 1, 7, t[4]))
        + (bytes((t[2], t[3])) if t[0] & 0x80 else b"")
        + t[5]
    )
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=140),
        # mostly-valid headers with random tails: reach the security, fragment and command paths
        st.tuples(st.sampled_from(_HEADS), st.binary(max_size=120)).map(
            lambda t: bytes((t[0],)) + t[1]
        ),
        _DATA_HEADER,
    ),
    st.integers(0, 0xFFFF),
    st.booleans(),
)
def test_any_bytes_never_raise(nsdu: bytes, src: int, secured: bool) -> None:
    aps, nwk = _FUZZ
    nwk.indicate(nsdu, src, security_use=secured, src_ieee=PEER_IEEE if secured else None)
    nwk.indicate(nsdu, src, dst=0xFFFD)
    nwk.clock.run(nwk.clock.now() + 30_000_000)  # timers the frames started must not raise
    nwk.sent.clear()


def test_frame_under_a_remembered_counter_with_other_content_is_new() -> None:
    """Issue 9's hostile campaign: a frame forged by a network key holder under a device's
    address and APS counter made that device's own frame with the counter a duplicate for
    21 s (acknowledged, never delivered: a command to a light was lost after the attack).
    A duplicate is the same frame again (2.2.8.4.3): same addressing, same payload."""
    aps, nwk, eps = setup()
    nwk.indicate(data(9, payload=b"\x01\xff\xfe\x00"), PEER)  # the forgery
    nwk.clock.run(2_000_000)
    nwk.indicate(data(9), PEER)  # the device's own frame with that counter
    nwk.indicate(data(9), PEER)  # its retransmission: a duplicate
    assert [i.asdu for i in eps[1].indications] == [b"\x01\xff\xfe\x00", b"\x01\x05\x01"]
    assert aps.stats.duplicates_rejected == 1
    assert [c.frame.counter for c in nwk.take()] == [9, 9, 9]  # each acknowledged
