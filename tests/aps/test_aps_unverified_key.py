"""APS security: a trust center accepts frames under the unique link key it sent a device before
the device's Verify-Key (Zigbee spec R22 4.6.3.6 ordering; issue 7, 1,000-node secured joins).

The device installs the key as the Transport-Key arrives and uses it at once: the APS ACK of
that Transport-Key, and the Update-Device it sends for a child joining through it in the
meantime. Before, the trust center held the key aside and dropped those frames
(``security_counter`` / ``security_mic``): the child's join failed and the Transport-Key was
retransmitted until its ACK gave up. Frames under the unverified key keep their own counters,
and once verified the key is installed with the highest counter already accepted.
"""

from __future__ import annotations

from tests.aps.aps_fakes import FakeNet, Node
from zigmesh.aps.primitives import ApsAddrMode, TxOptions

TC, TC_IEEE = 0x0000, 0x00A1_0000_0000_0001
R, R_IEEE = 0x0002, 0x00B2_0000_0000_0002
HA = 0x0104
SECURE = TxOptions.SECURITY
UNIQUE = bytes(range(0x40, 0x50))


def captured(net: FakeNet, a: Node, payload: bytes) -> bytes:
    """The frame the router sends to the trust center for ``payload`` (not delivered)."""
    before = len(net.log)
    a.aps.apsde_data_request(ApsAddrMode.SHORT, TC, 1, HA, 6, 1, payload, tx_options=SECURE)
    net.run(10_000)
    (frame,) = [c.nsdu for _, s, c in net.log[before:] if s == R]
    return frame


def test_frames_under_an_unverified_key_are_accepted_and_replays_are_not() -> None:
    net = FakeNet()
    tc, r = net.add(TC, TC_IEEE), net.add(R, R_IEEE)
    net.drop = lambda src, call: True  # capture without delivering
    for _ in range(5):  # the router used the preconfigured key before
        r.aps.keys.next_link_frame_counter(TC_IEEE)
    r.aps.keys.set_link_key(TC_IEEE, UNIQUE)  # the Transport-Key arrived: in use at once
    first, second = captured(net, r, b"first"), captured(net, r, b"second")
    tc.nwk.indicate(first, R)  # the trust center has not installed the key yet
    assert tc.endpoints[1].indications == []
    assert tc.aps.stats.drops == {"security_mic": 1}

    tc.aps.security.unverified[R_IEEE] = UNIQUE  # what its Request-Key answer holds
    tc.nwk.indicate(first, R)
    tc.nwk.indicate(first, R)  # a replay under the unverified key
    assert [i.asdu for i in tc.endpoints[1].indications] == [b"first"]
    assert tc.aps.stats.drops == {"security_mic": 1, "security_counter": 1}

    assert tc.aps.security.verified(R_IEEE) == UNIQUE  # the Verify-Key matched
    assert tc.aps.keys.link_key(R_IEEE) == UNIQUE
    assert tc.aps.security.unverified == {}
    tc.nwk.indicate(first, R)  # still a replay once installed: the counter was kept
    tc.nwk.indicate(second, R)
    assert [i.asdu for i in tc.endpoints[1].indications] == [b"first", b"second"]
    assert tc.aps.keys.incoming_counter(R_IEEE, None) == 1


def test_a_wrong_key_is_still_refused_with_an_unverified_key_pending() -> None:
    net = FakeNet()
    tc, r = net.add(TC, TC_IEEE), net.add(R, R_IEEE)
    net.drop = lambda src, call: True
    r.aps.keys.set_link_key(TC_IEEE, bytes(16))
    frame = captured(net, r, b"x")
    tc.aps.security.unverified[R_IEEE] = UNIQUE
    tc.nwk.indicate(frame, R)
    assert tc.endpoints[1].indications == []
    assert tc.aps.stats.drops == {"security_mic": 1}
    assert tc.aps.keys.incoming_counter(R_IEEE, None) is None
