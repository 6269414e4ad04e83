"""Hypothesis strategies and fixed examples of valid node snapshots (shared by tests/persist)."""

from __future__ import annotations

from hypothesis import strategies as st

from zigmesh.persist import BINDING_GROUP, BINDING_IEEE, ROLES, Binding, NodeSnapshot
from zigmesh.security import MAX_FRAME_COUNTER, KeyStore, KeyStoreSnapshot, NetworkKeyEntry

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)
counters = st.integers(0, MAX_FRAME_COUNTER)
keys16 = st.binary(min_size=16, max_size=16)

network_key_entries = st.none() | st.builds(NetworkKeyEntry, keys16, u8)

keystore_snapshots = st.builds(
    KeyStoreSnapshot,
    active=network_key_entries,
    alternate=network_key_entries,
    tc_link_key=st.none() | keys16,
    link_keys=st.lists(st.tuples(u64, keys16), max_size=4, unique_by=lambda t: t[0]).map(tuple),
    outgoing=st.lists(st.tuples(keys16, counters), max_size=4, unique_by=lambda t: t[0]).map(tuple),
    incoming=st.lists(
        st.tuples(u64, st.none() | u8, counters), max_size=4, unique_by=lambda t: (t[0], t[1])
    ).map(tuple),
)

endpoints = st.integers(1, 0xFE)
bindings: st.SearchStrategy[Binding] = st.one_of(
    st.tuples(u64, endpoints, u16, st.just(BINDING_IEEE), u64, st.integers(1, 0xFF)),
    st.tuples(u64, endpoints, u16, st.just(BINDING_GROUP), u16, st.none()),
)

node_snapshots = st.builds(
    NodeSnapshot,
    eui64=u64,
    role=st.sampled_from(ROLES),
    channel=st.integers(0, 26),
    pan_id=u16,
    extended_pan_id=u64,
    network_address=u16,
    parent_address=st.none() | u16,
    depth=u8,
    device_type=st.integers(0, 2),
    nwk_update_id=u8,
    keys=keystore_snapshots,
    bindings=st.lists(bindings, max_size=4).map(tuple),
    groups=st.lists(st.tuples(u16, endpoints), max_size=4).map(tuple),
    aps_counter=u8,
    nwk_sequence_number=u8,
    saved_at_us=st.integers(0, 2**63 - 1),
)

K0 = bytes(range(16))
K1 = bytes(range(16, 32))
EUI = 0x00124B00000000FF
PARTNER = 0x00124B0000000001
NEIGHBOUR = 0x00124B0000000002


def sample_keystore() -> KeyStore:
    """A key store with a used network key, an alternate, a unique link key and counters."""
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    for _ in range(3):
        ks.next_network_frame_counter()
    ks.receive_network_key(K1, 1)
    ks.set_link_key(PARTNER, bytes(16))
    ks.next_link_frame_counter(PARTNER)
    ks.commit_incoming(NEIGHBOUR, 0, 5)
    ks.commit_incoming(PARTNER, None, 9)
    return ks


def sample_snapshot(
    saved_at_us: int = 123, eui64: int = EUI, keys: KeyStoreSnapshot | None = None
) -> NodeSnapshot:
    """A fixed, fully populated snapshot (both binding kinds, a group, a parent)."""
    return NodeSnapshot(
        eui64=eui64,
        role="router",
        channel=15,
        pan_id=0x1A62,
        extended_pan_id=0xDDDD_DDDD_DDDD_DDDD,
        network_address=0x1234,
        parent_address=0x0000,
        depth=1,
        device_type=1,
        nwk_update_id=2,
        keys=sample_keystore().persist() if keys is None else keys,
        bindings=(
            (eui64, 1, 0x0006, BINDING_IEEE, PARTNER, 1),
            (eui64, 1, 0x0008, BINDING_GROUP, 0x0001, None),
        ),
        groups=((0x0001, 1),),
        aps_counter=7,
        nwk_sequence_number=200,
        saved_at_us=saved_at_us,
    )
