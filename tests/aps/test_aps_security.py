"""APS security in the data path (Zigbee spec R22 4.4.1) and the commands the trust center uses
(4.4.10), between APS instances on a fake network.

Link-key round trip with frame counters; replayed, tampered and keyless frames dropped by reason
without moving a counter or being acknowledged; network-key APS security; a Transport-Key
secured with the key-transport key and an extended nonce that ``unsecure_aps`` opens; the
trust center's tunnel relayed by a router parent to its joining child; an exhausted counter.
"""

from __future__ import annotations

from dataclasses import replace

from tests.aps.aps_fakes import FakeNet, Node, make_aps
from zigmesh.aps.commands import ApsStatus, TransportNetworkKey, decode_command
from zigmesh.aps.frames import ApsFrame, ApsFrameType, unsecure_aps
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsConfirmStatus,
    ApsmeCommandIndication,
    SecurityStatus,
    TxOptions,
)
from zigmesh.nwk.primitives import NwkStatus
from zigmesh.nwk.tables.neighbor import DeviceType, NeighborEntry, Relationship
from zigmesh.security.aux import KeyId
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY, key_transport_key
from zigmesh.security.keys import MAX_FRAME_COUNTER, KeyStore

A, A_IEEE = 0x0001, 0x00A1_0000_0000_0001
B, B_IEEE = 0x0002, 0x00B2_0000_0000_0002
HA = 0x0104
NWK_KEY = bytes(range(0x30, 0x40))
SECURE_ACK = TxOptions.ACK | TxOptions.SECURITY


def pair() -> tuple[FakeNet, Node, Node]:
    net = FakeNet()
    return net, net.add(A, A_IEEE), net.add(B, B_IEEE)


def sent_by(net: FakeNet, src: int) -> list[bytes]:
    return [c.nsdu for _, s, c in net.log if s == src]


def test_link_key_round_trip_with_counters() -> None:
    net, a, b = pair()
    a.aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"secret", tx_options=SECURE_ACK)
    net.run()
    (ind,) = b.endpoints[1].indications
    assert ind.asdu == b"secret" and ind.security_status == SecurityStatus.SECURED_LINK_KEY
    assert ind.src_ieee == A_IEEE
    assert [c.status for c in a.endpoints[1].confirms] == [ApsStatus.SUCCESS]
    (data,) = sent_by(net, A)
    (ack,) = sent_by(net, B)
    fd, fa = ApsFrame.decode(data), ApsFrame.decode(ack)
    assert fd.aux is not None and fd.aux.key_id == KeyId.DATA_KEY and fd.aux.source is None
    assert b"secret" not in data
    assert fa.frame_type == ApsFrameType.ACK and fa.aux is not None  # the ACK is secured too
    assert b.aps.keys.incoming_counter(A_IEEE, None) == fd.aux.frame_counter
    assert a.aps.keys.incoming_counter(B_IEEE, None) == fa.aux.frame_counter
    opened = unsecure_aps(data, DEFAULT_TC_LINK_KEY, A_IEEE)
    assert opened.payload == b"secret"


def test_replay_is_dropped_not_acked_counter_unchanged() -> None:
    net, a, b = pair()
    a.aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"one", tx_options=SECURE_ACK)
    net.run()
    (data,) = sent_by(net, A)
    counter = b.aps.keys.incoming_counter(A_IEEE, None)
    b.nwk.indicate(data, A)
    net.run()
    assert b.aps.stats.drops == {"security_counter": 1}
    assert len(b.endpoints[1].indications) == 1
    assert len(sent_by(net, B)) == 1  # no second ACK
    assert b.aps.keys.incoming_counter(A_IEEE, None) == counter


def test_bad_mic_is_dropped_and_moves_no_counter() -> None:
    net, a, b = pair()
    net.drop = lambda src, call: True  # capture without delivering
    a.aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"payload", tx_options=SECURE_ACK)
    net.run(10_000)
    (data,) = sent_by(net, A)
    net.drop = None
    tampered = [data[:-1] + bytes((data[-1] ^ 1,)), data[:3] + b"\x07" + data[4:]]
    for t in tampered:
        b.nwk.indicate(t, A)
    assert b.aps.stats.drops == {"security_mic": 2}
    assert b.aps.keys.incoming_counter(A_IEEE, None) is None
    assert b.endpoints[1].indications == [] and sent_by(net, B) == []
    b.nwk.indicate(data, A)  # the genuine frame, same counter, is still fresh
    assert [i.asdu for i in b.endpoints[1].indications] == [b"payload"]


def test_no_key_and_unknown_source() -> None:
    net, a, b = pair()
    net.drop = lambda src, call: True
    a.aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"x", tx_options=SECURE_ACK)
    (data,) = sent_by(net, A)
    keyless, nwk, _ = make_aps(B, B_IEEE, keys=KeyStore(tc_link_key=None))
    keyless.register_endpoint(1, lambda ev: None)
    nwk.indicate(data, A, src_ieee=A_IEEE)
    assert keyless.stats.drops == {"security_no_key": 1}
    stranger, nwk2, _ = make_aps(B, B_IEEE)
    stranger.register_endpoint(1, lambda ev: None)
    nwk2.indicate(data, A)  # no extended nonce, A not in the address map
    assert stranger.stats.drops == {"security_unknown_source": 1}
    nwk2.indicate(data, A, src_ieee=A_IEEE)  # the NWK header's source IEEE is enough
    assert stranger.stats.indications == 1


def test_extended_nonce_option() -> None:
    net, a, b = pair()
    b.nwk.address_map.remove_short(A)  # B cannot look A up: the nonce must carry it
    opts = SECURE_ACK | TxOptions.INCLUDE_EXTENDED_NONCE
    a.aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"x", tx_options=opts)
    net.run()
    (data,) = sent_by(net, A)
    aux = ApsFrame.decode(data).aux
    assert aux is not None and aux.source == A_IEEE
    assert b.endpoints[1].indications[0].src_ieee == A_IEEE
    assert a.endpoints[1].confirms[0].status == ApsStatus.SUCCESS


def test_network_key_aps_security() -> None:
    net, a, b = pair()
    for n in (a, b):
        n.aps.keys.set_network_key(NWK_KEY, 3)
    opts = SECURE_ACK | TxOptions.USE_NWK_KEY
    a.aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"nk", tx_options=opts)
    net.run()
    (data,) = sent_by(net, A)
    aux = ApsFrame.decode(data).aux
    assert aux is not None and aux.key_id == KeyId.NETWORK_KEY and aux.key_seq == 3
    (ind,) = b.endpoints[1].indications
    assert ind.security_status == SecurityStatus.SECURED_NWK_KEY and ind.asdu == b"nk"
    assert a.endpoints[1].confirms[0].status == ApsStatus.SUCCESS


def test_unsecured_ack_does_not_complete_a_secured_transmission() -> None:
    aps, nwk, k = make_aps(A, A_IEEE)
    aps.register_endpoint(1, lambda ev: None)
    nwk.address_map.update(B, B_IEEE)
    aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"x", tx_options=SECURE_ACK)
    (call,) = nwk.take()
    f = ApsFrame.decode(call.nsdu)
    ack = ApsFrame(
        ApsFrameType.ACK,
        dst_endpoint=1,
        cluster_id=6,
        profile_id=HA,
        src_endpoint=1,
        counter=f.counter,
    )
    nwk.indicate(ack.encode(), B)
    assert aps.stats.drops == {"ack_unsecured": 1} and aps.acks


def test_retransmission_is_sealed_afresh() -> None:
    aps, nwk, k = make_aps(A, A_IEEE)
    aps.register_endpoint(1, lambda ev: None)
    nwk.address_map.update(B, B_IEEE)
    nwk.auto_confirm = (0, NwkStatus.SUCCESS)
    aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"x", tx_options=SECURE_ACK)
    k.run()
    frames = [ApsFrame.decode(c.nsdu) for c in nwk.take()]
    assert len(frames) == 4
    assert len({f.counter for f in frames}) == 1
    counters = [f.aux.frame_counter for f in frames if f.aux is not None]
    assert counters == sorted(set(counters)) and len(counters) == 4


def test_transport_key_with_key_transport_key_and_extended_nonce() -> None:
    net, tc, joiner = pair()
    got: list[ApsmeCommandIndication] = []
    joiner.aps.set_apsme_user(got.append)
    done: list[ApsConfirmStatus] = []
    cmd = TransportNetworkKey(NWK_KEY, 1, B_IEEE, A_IEEE)
    tc.aps.send_command(
        cmd,
        B,
        key_id=KeyId.KEY_TRANSPORT_KEY,
        partner_ieee=B_IEEE,
        extended_nonce=True,
        nwk_security=False,
        on_done=done.append,
    )
    assert done == []
    net.run()
    assert done == [ApsStatus.SUCCESS]
    ((_, _, call),) = net.log
    assert call.security is False  # a joining device has no network key yet
    frame = unsecure_aps(call.nsdu, DEFAULT_TC_LINK_KEY)  # source from the extended nonce
    assert frame.frame_type == ApsFrameType.COMMAND and frame.aux is not None
    assert frame.aux.key_id == KeyId.KEY_TRANSPORT_KEY and frame.aux.source == A_IEEE
    assert decode_command(frame.payload) == cmd
    (ind,) = got
    assert ind.command == cmd and ind.key_id == KeyId.KEY_TRANSPORT_KEY
    assert (ind.src_address, ind.src_ieee, ind.nwk_secured) == (A, A_IEEE, False)
    assert tc.aps.stats.commands_sent == {"TRANSPORT_KEY": 1}
    assert joiner.aps.stats.commands_received == {"TRANSPORT_KEY": 1}


def test_tunnel_relayed_to_a_joining_child() -> None:
    net = FakeNet()
    tc_ieee, parent_ieee, child_ieee = 0x00CC_0000_0000_0000, 0x00DD_0000_0000_0001, 0x00EE
    tc = net.add(0x0000, tc_ieee)
    parent = net.add(0x0001, parent_ieee)
    child = net.add(0x0002, child_ieee)
    for n in (tc, parent):  # the child joined just now: only its parent knows it
        n.nwk.address_map.remove_short(0x0002)
    child.nwk.address_map.clear()
    parent.nwk.neighbors.add(
        NeighborEntry(
            network_address=0x0002,
            extended_address=child_ieee,
            device_type=DeviceType.END_DEVICE,
            relationship=Relationship.UNAUTHENTICATED_CHILD,
        ),
        0,
    )
    got: list[ApsmeCommandIndication] = []
    child.aps.set_apsme_user(got.append)
    cmd = TransportNetworkKey(NWK_KEY, 1, child_ieee, tc_ieee)
    inner = tc.aps.build_secured_command(
        cmd, key_id=KeyId.KEY_TRANSPORT_KEY, partner_ieee=child_ieee
    )
    tc.aps.send_tunnel(0x0001, child_ieee, inner)
    net.run()
    (tunnel_call,) = (c for _, s, c in net.log if s == 0x0000)
    assert tunnel_call.dst == 0x0001 and tunnel_call.security is True
    tunnel = ApsFrame.decode(tunnel_call.nsdu)
    assert tunnel.aux is None and tunnel.payload[0] == 0x0E
    # the parent acknowledges the tunnel to the trust center and relays its content
    ack_call, relayed_call = (c for _, s, c in net.log if s == 0x0001)
    assert ack_call.dst == 0x0000 and ack_call.frame.frame_type == ApsFrameType.ACK
    assert (relayed_call.dst, relayed_call.security, relayed_call.nsdu) == (0x0002, False, inner)
    assert parent.aps.stats.tunnels_forwarded == 1
    (ind,) = got
    assert ind.command == cmd and ind.key_id == KeyId.KEY_TRANSPORT_KEY
    assert (ind.src_address, ind.src_ieee) == (0x0001, tc_ieee)
    # the inner frame opens with the key-transport key of the default TC link key
    assert unsecure_aps(inner, DEFAULT_TC_LINK_KEY).aux is not None
    assert len(key_transport_key(DEFAULT_TC_LINK_KEY)) == 16


def test_tunnel_for_a_stranger_is_dropped() -> None:
    net, tc, router = pair()
    inner = tc.aps.build_secured_command(
        TransportNetworkKey(NWK_KEY, 1, 0x0F, A_IEEE),
        key_id=KeyId.KEY_TRANSPORT_KEY,
        partner_ieee=0x0F,
    )
    done: list[ApsConfirmStatus] = []
    tc.aps.send_tunnel(B, 0x0F, inner, on_done=done.append)
    net.run()
    assert router.aps.stats.drops == {"tunnel_not_child": 4}  # unacknowledged: resent
    assert {s for _, s, _ in net.log} == {A}
    assert done == [ApsStatus.NO_ACK]


def test_exhausted_counter_is_security_fail_and_sends_nothing() -> None:
    snap = KeyStore().persist()
    keys = KeyStore.restore(
        replace(snap, outgoing=((DEFAULT_TC_LINK_KEY, MAX_FRAME_COUNTER),)), jump=0
    )
    aps, nwk, k = make_aps(A, A_IEEE, keys=keys)
    ep: list[object] = []
    aps.register_endpoint(1, ep.append)
    nwk.address_map.update(B, B_IEEE)
    done: list[ApsConfirmStatus] = []
    aps.send_command(
        TransportNetworkKey(NWK_KEY, 1, B_IEEE, A_IEEE),
        B,
        key_id=KeyId.DATA_KEY,
        partner_ieee=B_IEEE,
        on_done=done.append,
    )
    aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, b"x", tx_options=SECURE_ACK)
    assert done == [] and ep == []
    k.run()
    assert done == [ApsStatus.SECURITY_FAIL]
    assert [getattr(e, "status", None) for e in ep] == [ApsStatus.SECURITY_FAIL]
    assert nwk.take() == []


def test_command_to_unknown_partner_is_security_fail() -> None:
    aps, nwk, k = make_aps(A, A_IEEE)
    done: list[ApsConfirmStatus] = []
    aps.send_command(
        TransportNetworkKey(NWK_KEY, 1, 0, A_IEEE),
        0x0777,
        key_id=KeyId.DATA_KEY,
        on_done=done.append,
    )
    k.run()
    assert done == [ApsStatus.SECURITY_FAIL] and nwk.take() == []


def test_replacing_the_key_store() -> None:
    aps, nwk, k = make_aps(A, A_IEEE)
    fresh = KeyStore(tc_link_key=bytes(16))
    aps.keys = fresh
    assert aps.keys is fresh and aps.security.keys is fresh
    nwk.address_map.update(B, B_IEEE)
    aps.send_command(TransportNetworkKey(NWK_KEY, 1, 0, A_IEEE), B, key_id=KeyId.DATA_KEY)
    (call,) = nwk.take()
    assert unsecure_aps(call.nsdu, bytes(16), A_IEEE).payload[0] == 0x05
    assert fresh.link_outgoing_counter(B_IEEE) == 1


def test_derived_keys_are_cached() -> None:
    aps, _, _ = make_aps()
    k1 = aps.security.aps_key(DEFAULT_TC_LINK_KEY, KeyId.KEY_TRANSPORT_KEY)
    k2 = aps.security.aps_key(DEFAULT_TC_LINK_KEY, KeyId.KEY_TRANSPORT_KEY)
    assert k1 is k2 and k1 == key_transport_key(DEFAULT_TC_LINK_KEY)
