"""APS security: frames under the preconfigured (trust center) link key while the partner has a
unique one count their frame counters apart (Zigbee spec R22 4.4.1.2; BDB 10.2.5).

A trust center's counter on the preconfigured key is shared by every device it talks to, so it
is far ahead of the unique key's, which starts at 0. A late frame under the preconfigured key
(a retransmitted Transport-Key) must neither be taken as a replay of the unique key's frames nor
move the unique key's counter: before, it did, and every later frame under the unique key was
dropped as a replay until its counter caught up (the link key exchange never completed).
"""

from __future__ import annotations

from tests.aps.aps_fakes import FakeNet, Node
from zigmesh.aps.primitives import ApsAddrMode, TxOptions

A, A_IEEE = 0x0001, 0x00A1_0000_0000_0001
B, B_IEEE = 0x0002, 0x00B2_0000_0000_0002
HA = 0x0104
SECURE = TxOptions.SECURITY
UNIQUE = bytes(range(0x40, 0x50))


def captured(net: FakeNet, a: Node, payload: bytes) -> bytes:
    """The frame A sends to B for ``payload`` (not delivered)."""
    before = len(net.log)
    a.aps.apsde_data_request(ApsAddrMode.SHORT, B, 1, HA, 6, 1, payload, tx_options=SECURE)
    net.run(10_000)
    (frame,) = [c.nsdu for _, s, c in net.log[before:] if s == A]
    return frame


def test_late_preconfigured_key_frame_does_not_poison_the_unique_key_counter() -> None:
    net = FakeNet()
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    net.drop = lambda src, call: True  # capture without delivering
    for _ in range(50):  # the preconfigured key's counter served other devices already
        a.aps.keys.next_link_frame_counter(B_IEEE)
    late = captured(net, a, b"late")  # counter 50 under the preconfigured key
    a.aps.keys.set_link_key(B_IEEE, UNIQUE)
    b.aps.keys.set_link_key(A_IEEE, UNIQUE)
    first = captured(net, a, b"first")  # counter 0 under the unique key
    b.nwk.indicate(late, A)  # still accepted: the preconfigured key is tried too
    b.nwk.indicate(first, A)
    assert [i.asdu for i in b.endpoints[1].indications] == [b"late", b"first"]
    assert b.aps.keys.incoming_counter(A_IEEE, None) == 0
    b.nwk.indicate(late, A)  # replays are still caught, on either key
    b.nwk.indicate(first, A)
    assert b.aps.stats.drops == {"security_counter": 2}
    assert len(b.endpoints[1].indications) == 2


def test_unique_key_frames_are_not_checked_against_the_preconfigured_counter() -> None:
    net = FakeNet()
    a, b = net.add(A, A_IEEE), net.add(B, B_IEEE)
    net.drop = lambda src, call: True
    a.aps.keys.set_link_key(B_IEEE, UNIQUE)
    b.aps.keys.set_link_key(A_IEEE, UNIQUE)
    unique = [captured(net, a, bytes((i,))) for i in range(3)]  # counters 0-2, unique key
    a.aps.keys.remove_link_key(B_IEEE)
    late = captured(net, a, b"late")  # counter 0 under the preconfigured key
    for f in unique:
        b.nwk.indicate(f, A)
    b.nwk.indicate(late, A)  # its counter is below the unique key's, yet fresh on its key
    assert [i.asdu for i in b.endpoints[1].indications] == [b"\x00", b"\x01", b"\x02", b"late"]
    assert b.aps.keys.incoming_counter(A_IEEE, None) == 2
    assert b.aps.stats.drops == {}
