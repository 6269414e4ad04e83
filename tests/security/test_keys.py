"""Key store and frame-counter rules (Zigbee spec 4.3.1.1 step 1, 4.3.1.2, 4.6.3.4-4.6.3.5;
"Robustness rules" of /work/shared/reference/security-vectors.md)."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.security import (
    DEFAULT_RESTORE_JUMP,
    DEFAULT_TC_LINK_KEY,
    MAX_FRAME_COUNTER,
    AuxHeader,
    KeyId,
    KeyStore,
    KeyStoreSnapshot,
    NetworkKeyEntry,
    key_load_key,
    key_transport_key,
    secure_frame,
    unsecure_frame,
)

K0 = bytes(range(16))
K1 = bytes(range(16, 32))
K2 = bytes(range(32, 48))
A = 0x00124B0000000001
B = 0x00124B0000000002
NWK_HDR = bytes.fromhex("0802000034121e07")


def test_network_key_entry_validation() -> None:
    assert NetworkKeyEntry(K0, 255).seq == 255
    with pytest.raises(ValueError):
        NetworkKeyEntry(b"short", 0)
    with pytest.raises(ValueError):
        NetworkKeyEntry(K0, 256)


# -- network keys ---------------------------------------------------------------------------


def test_first_transport_key_becomes_active() -> None:
    ks = KeyStore()
    assert ks.active_network_key is None
    ks.receive_network_key(K0, 0)
    assert ks.active_network_key == NetworkKeyEntry(K0, 0)
    assert ks.alternate_network_key is None
    assert ks.network_key(0) == NetworkKeyEntry(K0, 0)
    assert ks.network_key(1) is None


def test_key_switch_n_plus_1() -> None:
    """Transport-Key(n+1) is held as alternate; active only after Switch-Key(n+1)."""
    ks = KeyStore()
    ks.receive_network_key(K0, 0)
    ks.receive_network_key(K1, 1)
    assert ks.active_network_key == NetworkKeyEntry(K0, 0)
    assert ks.alternate_network_key == NetworkKeyEntry(K1, 1)
    assert ks.network_key(1) == NetworkKeyEntry(K1, 1)  # frames under n+1 already decrypt
    entry, fc = ks.next_network_frame_counter()
    assert entry.seq == 0  # but we still send under n
    ks.switch_key(1)
    assert ks.active_network_key == NetworkKeyEntry(K1, 1)
    assert ks.alternate_network_key is None
    assert ks.network_key(0) is None
    ks.switch_key(1)  # repeated Switch-Key is harmless
    assert ks.active_network_key == NetworkKeyEntry(K1, 1)


def test_switch_to_unknown_key_is_refused() -> None:
    ks = KeyStore()
    with pytest.raises(SecurityError):
        ks.switch_key(0)
    ks.receive_network_key(K0, 0)
    with pytest.raises(SecurityError):
        ks.switch_key(1)
    assert ks.active_network_key == NetworkKeyEntry(K0, 0)


def test_conflicting_material_for_active_seq() -> None:
    ks = KeyStore()
    ks.receive_network_key(K0, 0)
    ks.receive_network_key(K0, 0)  # duplicate delivery is fine
    with pytest.raises(SecurityError):
        ks.receive_network_key(K1, 0)
    assert ks.active_network_key == NetworkKeyEntry(K0, 0)


def test_sequence_number_wraps_for_alternate() -> None:
    ks = KeyStore()
    ks.set_network_key(K0, 255)
    ks.receive_network_key(K1, 0)
    ks.switch_key(0)
    assert ks.active_network_key == NetworkKeyEntry(K1, 0)


def test_set_network_key_replaces_everything() -> None:
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    ks.receive_network_key(K1, 1)
    ks.commit_incoming(A, 0, 10)
    ks.commit_incoming(A, 1, 10)
    ks.next_network_frame_counter()
    ks.set_network_key(K0, 0)  # re-install: counters kept, alternate dropped
    assert ks.network_outgoing_counter(0) == 1
    assert ks.alternate_network_key is None
    assert ks.incoming_counter(A, 0) == 10
    assert ks.incoming_counter(A, 1) is None
    ks.set_network_key(K2, 0)  # new material under the same seq: fresh counters
    assert ks.network_outgoing_counter(0) == 0
    assert ks.incoming_counter(A, 0) is None
    ks.set_network_key(K0, 0)  # old material again: its counter continues
    assert ks.network_outgoing_counter(0) == 1


# -- outgoing counters ----------------------------------------------------------------------


def test_outgoing_network_counter_increments() -> None:
    ks = KeyStore()
    with pytest.raises(SecurityError):
        ks.next_network_frame_counter()
    ks.set_network_key(K0, 0)
    assert [ks.next_network_frame_counter()[1] for _ in range(3)] == [0, 1, 2]
    assert ks.network_outgoing_counter(0) == 3


def test_new_key_starts_its_own_counter() -> None:
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    for _ in range(5):
        ks.next_network_frame_counter()
    ks.receive_network_key(K1, 1)
    assert ks.network_outgoing_counter(1) == 0
    ks.switch_key(1)
    assert ks.next_network_frame_counter() == (NetworkKeyEntry(K1, 1), 0)
    assert ks.outgoing_counter(K0) == 5
    assert ks.network_outgoing_counter(0) == 0  # no longer held


def test_leave_and_rejoin_keeps_outgoing_counter() -> None:
    """A device that leaves and rejoins under the same network key continues its counter."""
    ks = KeyStore()
    ks.receive_network_key(K0, 0)
    for _ in range(5):
        ks.next_network_frame_counter()
    ks.clear()
    assert ks.active_network_key is None
    ks.receive_network_key(K0, 0)
    assert ks.next_network_frame_counter()[1] == 5


def snapshot(nwk_fc: int = 0, link_fc: int = 0) -> KeyStoreSnapshot:
    return KeyStoreSnapshot(
        active=NetworkKeyEntry(K0, 0),
        alternate=None,
        tc_link_key=DEFAULT_TC_LINK_KEY,
        link_keys=((B, K2),),
        outgoing=((K0, nwk_fc), (DEFAULT_TC_LINK_KEY, link_fc)),
        incoming=(),
    )


def test_outgoing_counter_refuses_at_max_and_never_wraps() -> None:
    """Zigbee spec 4.3.1.1 step 1: a frame counter of 0xFFFFFFFF means no security processing."""
    ks = KeyStore.restore(snapshot(MAX_FRAME_COUNTER - 2, MAX_FRAME_COUNTER - 1), jump=0)
    assert ks.next_network_frame_counter()[1] == MAX_FRAME_COUNTER - 2
    assert ks.next_network_frame_counter()[1] == MAX_FRAME_COUNTER - 1
    for _ in range(3):
        with pytest.raises(SecurityError):
            ks.next_network_frame_counter()
    assert ks.network_outgoing_counter(0) == MAX_FRAME_COUNTER
    assert ks.next_link_frame_counter(A) == MAX_FRAME_COUNTER - 1
    with pytest.raises(SecurityError):
        ks.next_link_frame_counter(A)
    assert ks.link_outgoing_counter(A) == MAX_FRAME_COUNTER
    assert ks.next_link_frame_counter(B) == 0  # a partner with its own key is unaffected


# -- link keys ------------------------------------------------------------------------------


def test_link_keys_fall_back_to_tc_link_key() -> None:
    ks = KeyStore()
    assert ks.tc_link_key == DEFAULT_TC_LINK_KEY
    assert ks.link_key(A) == DEFAULT_TC_LINK_KEY
    assert not ks.has_unique_link_key(A)
    ks.set_link_key(A, K1)
    assert ks.link_key(A) == K1 and ks.has_unique_link_key(A)
    assert ks.link_key(B) == DEFAULT_TC_LINK_KEY
    ks.set_tc_link_key(None)
    assert ks.link_key(B) is None
    assert ks.link_key_for(B, KeyId.DATA_KEY) is None
    ks.remove_link_key(A)
    assert ks.link_key(A) is None
    assert KeyStore(tc_link_key=None).link_key(A) is None


def test_link_key_for_key_ids() -> None:
    """Zigbee spec 4.5.3: key id 2 / 3 use the key-transport / key-load derivative."""
    ks = KeyStore()
    assert ks.link_key_for(A, KeyId.DATA_KEY) == DEFAULT_TC_LINK_KEY
    assert ks.link_key_for(A, KeyId.KEY_TRANSPORT_KEY) == key_transport_key(DEFAULT_TC_LINK_KEY)
    assert ks.link_key_for(A, KeyId.KEY_LOAD_KEY) == key_load_key(DEFAULT_TC_LINK_KEY)
    with pytest.raises(ValueError):
        ks.link_key_for(A, KeyId.NETWORK_KEY)


def test_link_counters_follow_key_material() -> None:
    """One outgoing counter per key: partners on the global TC link key share it (the nonce
    carries only the sender's address), a new unique key starts at 0, a key seen before
    continues (no nonce is ever reused under one key)."""
    ks = KeyStore()
    assert [ks.next_link_frame_counter(p) for p in (A, B, A)] == [0, 1, 2]
    ks.commit_incoming(A, None, 50)
    ks.set_link_key(A, K1)
    assert ks.link_outgoing_counter(A) == 0
    assert ks.link_outgoing_counter(B) == 3
    assert ks.incoming_counter(A, None) is None  # new key: incoming counter resets
    ks.next_link_frame_counter(A)
    ks.commit_incoming(A, None, 7)
    ks.set_link_key(A, K1)  # same material: nothing changes
    assert ks.link_outgoing_counter(A) == 1
    assert ks.incoming_counter(A, None) == 7
    ks.remove_link_key(A)  # back on the TC key and its counter
    assert ks.link_outgoing_counter(A) == 3
    ks.set_link_key(A, K1)  # the same key again (same install code): counter continues
    assert ks.next_link_frame_counter(A) == 1
    ks.set_link_key(B, K1)  # another partner, same material: same counter
    assert ks.next_link_frame_counter(B) == 2
    with pytest.raises(ValueError):
        ks.set_link_key(A, b"short")
    ks.set_tc_link_key(None)
    with pytest.raises(SecurityError):
        ks.next_link_frame_counter(0x1234)
    assert ks.link_outgoing_counter(0x1234) == 0


def test_tc_link_key_change_resets_incoming_of_its_partners() -> None:
    ks = KeyStore()
    ks.set_link_key(B, K2)
    ks.commit_incoming(A, None, 5)
    ks.commit_incoming(B, None, 5)
    ks.set_tc_link_key(DEFAULT_TC_LINK_KEY)
    assert ks.incoming_counter(A, None) == 5
    ks.set_tc_link_key(K1)
    assert ks.incoming_counter(A, None) is None
    assert ks.incoming_counter(B, None) == 5


# -- incoming counters ----------------------------------------------------------------------


def test_check_does_not_commit() -> None:
    ks = KeyStore()
    assert ks.check_incoming(A, 0, 5)
    assert ks.incoming_counter(A, 0) is None
    ks.commit_incoming(A, 0, 5)
    assert not ks.check_incoming(A, 0, 5)  # replay
    assert not ks.check_incoming(A, 0, 4)
    assert ks.check_incoming(A, 0, 6)
    assert ks.check_incoming(B, 0, 0)  # per source
    assert ks.check_incoming(A, 1, 0)  # per key sequence number
    assert ks.check_incoming(A, None, 0)  # link-key frames apart
    ks.commit_incoming(A, 0, 3)  # never moves backwards
    assert ks.incoming_counter(A, 0) == 5


def test_counters_reset_on_key_switch() -> None:
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    ks.commit_incoming(A, 0, 100)
    ks.commit_incoming(A, None, 9)
    ks.receive_network_key(K1, 1)
    ks.commit_incoming(B, 1, 3)  # B switched before us
    ks.switch_key(1)
    assert ks.incoming_counter(A, 0) is None
    assert ks.incoming_counter(B, 1) == 3
    assert ks.incoming_counter(A, None) == 9
    assert ks.check_incoming(A, 1, 0)


def test_incoming_table_bounded_lru() -> None:
    ks = KeyStore(incoming_capacity=3)
    assert ks.incoming_capacity == 3
    for src in (1, 2, 3):
        ks.commit_incoming(src, 0, 10)
    ks.commit_incoming(1, 0, 11)  # refreshes source 1
    ks.commit_incoming(4, 0, 10)  # evicts source 2, the least recently updated
    assert ks.incoming_counter(2, 0) is None
    assert [ks.incoming_counter(s, 0) for s in (1, 3, 4)] == [11, 10, 10]
    with pytest.raises(ValueError):
        KeyStore(incoming_capacity=0)


# -- persistence ----------------------------------------------------------------------------


def test_persist_restore_jumps_outgoing_counters() -> None:
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    ks.receive_network_key(K1, 1)
    ks.set_link_key(B, K2)
    for _ in range(10):
        ks.next_network_frame_counter()
    ks.next_link_frame_counter(A)
    ks.commit_incoming(A, 0, 77)
    snap = ks.persist()
    back = KeyStore.restore(snap)
    assert back.active_network_key == ks.active_network_key
    assert back.alternate_network_key == ks.alternate_network_key
    assert back.link_key(B) == K2 and back.link_key(A) == DEFAULT_TC_LINK_KEY
    assert back.network_outgoing_counter(0) == 10 + DEFAULT_RESTORE_JUMP
    assert back.network_outgoing_counter(1) == DEFAULT_RESTORE_JUMP  # held, unused: jumps too
    assert back.link_outgoing_counter(A) == 1 + DEFAULT_RESTORE_JUMP  # TC link key
    assert back.link_outgoing_counter(B) == DEFAULT_RESTORE_JUMP  # unique key, unused
    assert back.incoming_counter(A, 0) == 77  # incoming counters restored as they were
    assert KeyStore.restore(snap, jump=5000).network_outgoing_counter(0) == 5010
    assert back.persist() != snap
    with pytest.raises(ValueError):
        KeyStore.restore(snap, jump=-1)


def test_restore_saturates_at_max() -> None:
    ks = KeyStore.restore(snapshot(MAX_FRAME_COUNTER - 10), jump=1024)
    assert ks.network_outgoing_counter(0) == MAX_FRAME_COUNTER
    with pytest.raises(SecurityError):
        ks.next_network_frame_counter()


def test_clear() -> None:
    ks = KeyStore()
    ks.set_network_key(K0, 0)
    ks.set_link_key(A, K1)
    ks.commit_incoming(A, 0, 1)
    ks.clear()
    assert ks.active_network_key is None
    assert ks.link_key(A) == DEFAULT_TC_LINK_KEY
    assert ks.incoming_counter(A, 0) is None


# -- receive pipeline: a forged frame never moves a counter ----------------------------------


def receive(ks: KeyStore, frame: bytes) -> bytes:
    """What NWK / APS do (Zigbee spec 4.3.1.2 / 4.4.1.2): key lookup, freshness check, MIC,
    and only then the counter commit."""
    r = Reader(frame, len(NWK_HDR))
    aux = AuxHeader.read(r)
    if aux.source is None:
        raise SecurityError("no source address")
    if aux.key_id == KeyId.NETWORK_KEY:
        assert aux.key_seq is not None
        entry = ks.network_key(aux.key_seq)
        key = None if entry is None else entry.key
    else:
        key = ks.link_key_for(aux.source, aux.key_id)
    if key is None:
        raise SecurityError("unknown key")
    if not ks.check_incoming(aux.source, aux.key_seq, aux.frame_counter):
        raise SecurityError("stale frame counter")
    _, plain = unsecure_frame(frame, len(NWK_HDR), key)
    ks.commit_incoming(aux.source, aux.key_seq, aux.frame_counter)
    return plain


def send(ks: KeyStore, source: int, payload: bytes) -> bytes:
    entry, fc = ks.next_network_frame_counter()
    aux = AuxHeader(KeyId.NETWORK_KEY, fc, source, entry.seq)
    return secure_frame(NWK_HDR, aux, payload, entry.key)


def test_forged_frame_does_not_move_counter() -> None:
    tx, rx = KeyStore(), KeyStore()
    tx.set_network_key(K0, 0)
    rx.set_network_key(K0, 0)
    assert receive(rx, send(tx, A, b"one")) == b"one"
    assert rx.incoming_counter(A, 0) == 0
    # forged: a huge counter under a wrong key
    forged = secure_frame(NWK_HDR, AuxHeader(KeyId.NETWORK_KEY, 0xFFFFFFF0, A, 0), b"x", K2)
    with pytest.raises(SecurityError):
        receive(rx, forged)
    assert rx.incoming_counter(A, 0) == 0
    # the next genuine frame is still accepted; its replay is not
    genuine = send(tx, A, b"two")
    assert receive(rx, genuine) == b"two"
    with pytest.raises(SecurityError):
        receive(rx, genuine)
    # a truncated frame is a DecodeError and moves nothing either
    with pytest.raises(DecodeError):
        receive(rx, send(tx, A, b"three")[:-6])
    assert rx.incoming_counter(A, 0) == 1


def test_reboot_never_reuses_a_counter() -> None:
    tx, rx = KeyStore(), KeyStore()
    tx.set_network_key(K0, 0)
    rx.set_network_key(K0, 0)
    receive(rx, send(tx, A, b"a"))
    snap = tx.persist()
    for _ in range(20):  # frames sent after the last persist, lost on reboot
        receive(rx, send(tx, A, b"b"))
    tx = KeyStore.restore(snap, jump=100)
    assert receive(rx, send(tx, A, b"c")) == b"c"
    assert rx.incoming_counter(A, 0) == 1 + 100


# -- state machine ----------------------------------------------------------------------------

SOURCES = st.sampled_from([A, B, 3, 4, 5])
SEQS = st.sampled_from([None, 0, 1, 2])


class KeyStoreMachine(RuleBasedStateMachine):
    """Random sequences of frames, forgeries, key updates and reboots against a model."""

    def __init__(self) -> None:
        super().__init__()
        self.ks = KeyStore(incoming_capacity=4)
        self.model: OrderedDict[tuple[int, int | None], int] = OrderedDict()
        self.used: set[tuple[bytes, int]] = set()  # (key material, counter) pairs sent
        self.fresh_key = 0

    def _new_key(self) -> bytes:
        self.fresh_key += 1
        return self.fresh_key.to_bytes(16, "little")

    @rule(source=SOURCES, seq=SEQS, counter=st.integers(0, 40), mic_ok=st.booleans())
    def incoming(self, source: int, seq: int | None, counter: int, mic_ok: bool) -> None:
        before = self.ks.persist().incoming
        k = (source, seq)
        fresh = self.ks.check_incoming(source, seq, counter)
        assert fresh == (k not in self.model or counter > self.model[k])
        assert self.ks.persist().incoming == before  # checking moves nothing
        if not (fresh and mic_ok):
            return  # dropped: stale, or the MIC failed
        self.ks.commit_incoming(source, seq, counter)
        self._accepted(k, counter)

    @rule(source=SOURCES, seq=SEQS, counter=st.integers(0, 40), forged=st.booleans())
    def frame_in(self, source: int, seq: int | None, counter: int, forged: bool) -> None:
        """A real secured frame through the receive pipeline; forgeries move nothing."""
        if seq is None:
            key = self.ks.link_key(source)
            aux = AuxHeader(KeyId.DATA_KEY, counter, source)
        else:
            entry = self.ks.network_key(seq)
            key = None if entry is None else entry.key
            aux = AuxHeader(KeyId.NETWORK_KEY, counter, source, seq)
        if key is None:
            return
        if forged:
            key = bytes(b ^ 0xA5 for b in key)
        frame = secure_frame(NWK_HDR, aux, b"payload", key)
        k = (source, seq)
        fresh = k not in self.model or counter > self.model[k]
        before = self.ks.persist()
        try:
            receive(self.ks, frame)
        except SecurityError:
            assert forged or not fresh
            assert self.ks.persist() == before
            return
        assert fresh and not forged
        self._accepted(k, counter)

    @rule(source=SOURCES, seq=SEQS, counter=st.integers(0, 40))
    def late_commit_never_goes_backwards(self, source: int, seq: int | None, counter: int) -> None:
        last = self.ks.incoming_counter(source, seq)
        if last is not None and counter <= last:
            self.ks.commit_incoming(source, seq, counter)
            assert self.ks.incoming_counter(source, seq) == last

    @precondition(lambda self: self.ks.active_network_key is not None)
    @rule()
    def send_network(self) -> None:
        entry, fc = self.ks.next_network_frame_counter()
        assert (entry.key, fc) not in self.used  # never a nonce twice under one key
        self.used.add((entry.key, fc))

    @rule(partner=st.sampled_from([A, B]))
    def send_link(self, partner: int) -> None:
        key = self.ks.link_key(partner)
        assert key is not None
        fc = self.ks.next_link_frame_counter(partner)
        assert (key, fc) not in self.used
        self.used.add((key, fc))

    @rule(seq=st.integers(0, 2))
    def transport_network_key(self, seq: int) -> None:
        active = self.ks.active_network_key
        if active is not None and active.seq == seq:
            return
        self.ks.receive_network_key(self._new_key(), seq)
        if active is None:
            self._drop_network(keep=None)  # first key: nothing verified before it
        else:
            for k in [k for k in self.model if k[1] == seq]:
                del self.model[k]
            assert self.ks.active_network_key == active  # n+1 never activates by itself

    @rule(seq=st.integers(0, 2))
    def switch(self, seq: int) -> None:
        active, alt = self.ks.active_network_key, self.ks.alternate_network_key
        if active is not None and active.seq == seq:
            self.ks.switch_key(seq)
            return
        if alt is None or alt.seq != seq:
            with pytest.raises(SecurityError):
                self.ks.switch_key(seq)
            assert self.ks.active_network_key == active
            return
        self.ks.switch_key(seq)
        assert self.ks.active_network_key == alt
        self._drop_network(keep=seq)

    @rule(partner=st.sampled_from([A, B]), reuse=st.booleans())
    def new_link_key(self, partner: int, reuse: bool) -> None:
        key = K1 if reuse else self._new_key()  # K1: the same install code provisioned again
        if self.ks.link_key(partner) != key:
            self.model.pop((partner, None), None)
        self.ks.set_link_key(partner, key)

    @rule(partner=st.sampled_from([A, B]))
    def remove_link_key(self, partner: int) -> None:
        old = self.ks.link_key(partner) if self.ks.has_unique_link_key(partner) else None
        if old is not None and old != self.ks.tc_link_key:
            self.model.pop((partner, None), None)
        self.ks.remove_link_key(partner)

    @rule()
    def leave(self) -> None:
        self.ks.clear()
        self.model.clear()

    @rule(jump=st.integers(0, 3))
    def reboot(self, jump: int) -> None:
        self.ks = KeyStore.restore(self.ks.persist(), jump=jump, incoming_capacity=4)

    def _accepted(self, k: tuple[int, int | None], counter: int) -> None:
        self.model[k] = counter
        self.model.move_to_end(k)
        while len(self.model) > 4:
            self.model.popitem(last=False)

    def _drop_network(self, keep: int | None) -> None:
        for k in [k for k in self.model if k[1] is not None and k[1] != keep]:
            del self.model[k]

    @invariant()
    def incoming_matches_model(self) -> None:
        assert self.ks.persist().incoming == tuple((s, q, c) for (s, q), c in self.model.items())


TestKeyStoreMachine = KeyStoreMachine.TestCase
TestKeyStoreMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from([None, 0, 1]), st.integers(0, 40)),
        max_size=60,
    )
)
def test_accept_incoming_is_check_then_commit(ops: list[tuple[int, int | None, int]]) -> None:
    """The one-step acceptance of a frame whose MIC is known good behaves exactly as
    check_incoming followed (when fresh) by commit_incoming, eviction order included."""
    one = KeyStore(incoming_capacity=4)
    two = KeyStore(incoming_capacity=4)
    for src, seq, fc in ops:
        last = one.accept_incoming(src, seq, fc)
        fresh = two.check_incoming(src, seq, fc)
        if fresh:
            two.commit_incoming(src, seq, fc)
        assert (last is None) == fresh
        if not fresh:
            assert last == two.incoming_counter(src, seq)
        assert list(one._incoming.items()) == list(two._incoming.items())
