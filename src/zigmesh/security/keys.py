"""Key store and frame counters (Zigbee spec 4.3.1, 4.4.1, 4.6.3, Tables 4-2 / 4-37).

Holds the security material of one device, as plain state (no clock, no I/O):

- the active network key and at most one alternate (``nwkSecurityMaterialSet``): a
  Transport-Key carrying sequence number n+1 is held as the alternate and becomes active only on
  Switch-Key(n+1) (Zigbee spec 4.6.3.4 / 4.6.3.5);
- link keys per partner IEEE address (``apsDeviceKeyPairSet``), falling back to the trust
  center link key (default ``ZigBeeAlliance09``) for partners without a unique key;
- an outgoing frame counter per key, kept by key material, that refuses to send at 0xFFFFFFFF
  and never wraps (4.3.1.1 step 1). A new key starts at 0; a key seen before (a device that
  leaves and rejoins, a link key re-derived from the same install code, the global TC link key
  shared by every partner) continues its counter, so a (key, nonce) pair is never reused.
  Counters outlive :meth:`KeyStore.clear` for the same reason;
- a bounded table of incoming frame counters per (source IEEE, key sequence number): checking a
  counter and committing it are separate steps, and a commit must follow a verified MIC only, so
  a forged frame never moves a counter (4.3.1.2 steps 4 and 8). Link-key (APS) frames use
  ``key_seq=None``.

``persist()`` snapshots the state; ``KeyStore.restore(snapshot, jump=...)`` rebuilds it with every
outgoing counter advanced by ``jump`` (deployed stacks add 1000-10000) so that neighbours never
see a counter go backwards after a reboot.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from zigmesh.errors import SecurityError
from zigmesh.security.aux import KeyId
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY, key_load_key, key_transport_key

__all__ = [
    "DEFAULT_INCOMING_CAPACITY",
    "DEFAULT_RESTORE_JUMP",
    "MAX_FRAME_COUNTER",
    "KeyStore",
    "KeyStoreSnapshot",
    "NetworkKeyEntry",
]

#: A frame counter of this value may not be used: the key is exhausted (Zigbee spec 4.3.1.1)
MAX_FRAME_COUNTER = 0xFFFF_FFFF
#: Outgoing counters jump this far on restore (deployed stacks: 1000-10000)
DEFAULT_RESTORE_JUMP = 1024
#: Incoming frame counter table size (one entry per neighbour and key)
DEFAULT_INCOMING_CAPACITY = 64

_KEY_LEN = 16


def _check_key(key: bytes) -> bytes:
    if len(key) != _KEY_LEN:
        raise ValueError(f"a Zigbee key is 16 bytes, got {len(key)}")
    return bytes(key)


@dataclass(frozen=True, slots=True)
class NetworkKeyEntry:
    """One network key descriptor: key material and key sequence number (Table 4-5)."""

    key: bytes
    seq: int

    def __post_init__(self) -> None:
        _check_key(self.key)
        if not 0 <= self.seq <= 0xFF:
            raise ValueError(f"key sequence number out of range: {self.seq}")


@dataclass(frozen=True, slots=True)
class KeyStoreSnapshot:
    """Persistent image of a :class:`KeyStore` (see :meth:`KeyStore.persist`).

    Outgoing counters are the next values to use; incoming counters the last accepted ones.
    """

    active: NetworkKeyEntry | None
    alternate: NetworkKeyEntry | None
    tc_link_key: bytes | None
    link_keys: tuple[tuple[int, bytes], ...]
    outgoing: tuple[tuple[bytes, int], ...]  # (key material, next counter)
    incoming: tuple[tuple[int, int | None, int], ...]  # (source IEEE, key seq, counter)


class KeyStore:
    """Network keys, link keys and frame counters of one device (module docstring)."""

    __slots__ = (
        "active_network_key",
        "_alternate",
        "_tc_link_key",
        "_link_keys",
        "_out",
        "_incoming",
        "_capacity",
        "on_counter",
    )

    def __init__(
        self,
        *,
        tc_link_key: bytes | None = DEFAULT_TC_LINK_KEY,
        incoming_capacity: int = DEFAULT_INCOMING_CAPACITY,
    ) -> None:
        if incoming_capacity < 1:
            raise ValueError("incoming_capacity must be at least 1")
        #: the network key frames are secured with (read-only outside the store: set it through
        #: set_network_key / switch_key); a plain attribute, read for every secured frame
        self.active_network_key: NetworkKeyEntry | None = None
        self._alternate: NetworkKeyEntry | None = None
        self._tc_link_key = None if tc_link_key is None else _check_key(tc_link_key)
        self._link_keys: dict[int, bytes] = {}
        self._out: dict[bytes, int] = {}
        self._incoming: OrderedDict[tuple[int, int | None], int] = OrderedDict()
        self._capacity = incoming_capacity
        #: called with (key material, next counter) after every outgoing counter used; a node
        #: persists its counters from it (every N frames, see zigmesh.persist.counters)
        self.on_counter: Callable[[bytes, int], None] | None = None

    # -- network keys -----------------------------------------------------------------------

    @property
    def alternate_network_key(self) -> NetworkKeyEntry | None:
        return self._alternate

    def network_key(self, seq: int) -> NetworkKeyEntry | None:
        """The held network key (active or alternate) with sequence number ``seq``."""
        a = self.active_network_key
        if a is not None and a.seq == seq:
            return a
        b = self._alternate
        if b is not None and b.seq == seq:
            return b
        return None

    def set_network_key(self, key: bytes, seq: int) -> None:
        """Install ``key`` as the active network key (formation, commissioning).

        Any alternate is dropped. A different key resets every incoming network-key counter;
        re-installing the active key keeps them.
        """
        entry = NetworkKeyEntry(_check_key(key), seq)
        self._alternate = None
        self._purge_network_counters(seq if self.active_network_key == entry else None)
        self.active_network_key = entry

    def receive_network_key(self, key: bytes, seq: int) -> None:
        """APSME-TRANSPORT-KEY.indication with a network key (Zigbee spec 4.6.3.4).

        The first key becomes active; a key with another sequence number is held as the
        alternate until :meth:`switch_key`. Raises :class:`SecurityError` if different key
        material arrives for the active sequence number.
        """
        entry = NetworkKeyEntry(_check_key(key), seq)
        active = self.active_network_key
        if active is None:
            self.set_network_key(key, seq)
            return
        if active.seq == seq:
            if active.key != entry.key:
                raise SecurityError(f"different key material for active key sequence {seq}")
            return
        if self._alternate != entry:
            self._alternate = entry
            table = self._incoming
            for k in [k for k in table if k[1] == seq]:
                del table[k]

    def switch_key(self, seq: int, *, keep_previous_counters: bool = False) -> None:
        """APSME-SWITCH-KEY (Zigbee spec 4.6.3.5): make the alternate with ``seq`` active.

        The previous key is discarded and incoming counters of other sequence numbers reset
        (``keep_previous_counters``: those of the previous key stay, for a caller that still
        accepts it for a grace period; :meth:`purge_network_counters` drops them later).
        Switching to the already active key is a no-op (the command may arrive twice); an
        unknown sequence number raises :class:`SecurityError`.
        """
        active = self.active_network_key
        if active is not None and active.seq == seq:
            return
        alt = self._alternate
        if alt is None or alt.seq != seq:
            raise SecurityError(f"Switch-Key to key sequence {seq}, which is not held")
        previous = active.seq if active is not None else None
        self.active_network_key = alt
        self._alternate = None
        table = self._incoming
        for k in [k for k in table if k[1] is not None and k[1] != seq]:
            if not (keep_previous_counters and k[1] == previous):
                del table[k]

    def purge_network_counters(self, keep_seq: int) -> None:
        """Drop the incoming counters of every network key sequence number but ``keep_seq``."""
        self._purge_network_counters(keep_seq)

    def next_network_frame_counter(self) -> tuple[NetworkKeyEntry, int]:
        """Active network key and the outgoing frame counter to secure one frame with.

        Raises :class:`SecurityError` with no active key or when the counter is exhausted.
        """
        active = self.active_network_key
        if active is None:
            raise SecurityError("no active network key")
        # once per secured frame: _next inlined
        key = active.key
        out = self._out
        fc = out.get(key, 0)
        if fc >= MAX_FRAME_COUNTER:
            raise SecurityError(f"outgoing frame counter of network key {active.seq} exhausted")
        out[key] = fc + 1
        cb = self.on_counter
        if cb is not None:
            cb(key, fc + 1)
        return active, fc

    def network_outgoing_counter(self, seq: int) -> int:
        """Next outgoing frame counter of the held network key ``seq`` (0 if never used)."""
        entry = self.network_key(seq)
        return 0 if entry is None else self._out.get(entry.key, 0)

    def outgoing_counter(self, key: bytes) -> int:
        """Next outgoing frame counter of the key material ``key`` (0 if never used)."""
        return self._out.get(key, 0)

    def _next(self, key: bytes, partner: int) -> int:
        fc = self._out.get(key, 0)
        if fc >= MAX_FRAME_COUNTER:
            raise SecurityError(
                f"outgoing frame counter of the link key of {partner:016x} exhausted"
            )
        self._out[key] = fc + 1
        cb = self.on_counter
        if cb is not None:
            cb(key, fc + 1)
        return fc

    # -- link keys --------------------------------------------------------------------------

    @property
    def tc_link_key(self) -> bytes | None:
        """Global trust center link key used for partners without a unique link key."""
        return self._tc_link_key

    def set_tc_link_key(self, key: bytes | None) -> None:
        """Replace the global TC link key; incoming counters of partners using it reset."""
        key = None if key is None else _check_key(key)
        if key != self._tc_link_key:
            table = self._incoming
            for k in [k for k in table if k[1] is None and k[0] not in self._link_keys]:
                del table[k]
        self._tc_link_key = key

    def set_link_key(self, partner: int, key: bytes) -> None:
        """Install a unique link key for ``partner``; a different key resets the incoming
        counter of ``partner``'s link-key frames."""
        key = _check_key(key)
        if self.link_key(partner) != key:
            self._incoming.pop((partner, None), None)
        self._link_keys[partner] = key

    def remove_link_key(self, partner: int) -> None:
        """Forget the unique link key of ``partner`` (it falls back to the TC link key)."""
        old = self._link_keys.pop(partner, None)
        if old is not None and old != self._tc_link_key:
            self._incoming.pop((partner, None), None)

    def link_key_partners(self) -> tuple[int, ...]:
        """IEEE addresses holding a unique link key with us, in installation order."""
        return tuple(self._link_keys)

    def has_unique_link_key(self, partner: int) -> bool:
        return partner in self._link_keys

    def link_key(self, partner: int) -> bytes | None:
        """Link key shared with ``partner``: its unique key, else the TC link key, else None."""
        k = self._link_keys.get(partner)
        return self._tc_link_key if k is None else k

    def link_key_for(self, partner: int, key_id: KeyId | int) -> bytes | None:
        """APS key for a key identifier (Zigbee spec 4.4.1.1): the link key itself, or its
        key-transport / key-load derivative. ``NETWORK_KEY`` is not a link key: ValueError.
        """
        link = self.link_key(partner)
        if link is None:
            return None
        if key_id == KeyId.DATA_KEY:
            return link
        if key_id == KeyId.KEY_TRANSPORT_KEY:
            return key_transport_key(link)
        if key_id == KeyId.KEY_LOAD_KEY:
            return key_load_key(link)
        raise ValueError(f"key identifier {key_id} does not name a link key")

    def next_link_frame_counter(self, partner: int) -> int:
        """Outgoing frame counter for one APS frame secured with ``partner``'s link key (or
        its key-transport / key-load derivative, which share it: Zigbee spec 4.4.1.1).

        Partners on the global TC link key share its counter. Raises :class:`SecurityError`
        without a link key or when the counter is exhausted.
        """
        key = self.link_key(partner)
        if key is None:
            raise SecurityError(f"no link key for {partner:016x}")
        return self._next(key, partner)

    def link_outgoing_counter(self, partner: int) -> int:
        """Next outgoing frame counter of ``partner``'s link key (0 if never used)."""
        key = self.link_key(partner)
        return 0 if key is None else self._out.get(key, 0)

    # -- incoming frame counters ------------------------------------------------------------

    def check_incoming(self, source: int, key_seq: int | None, counter: int) -> bool:
        """True if ``counter`` is fresh for (source, key_seq): above the last committed one.

        Changes nothing; call :meth:`commit_incoming` once the MIC has verified.
        """
        last = self._incoming.get((source, key_seq))
        return last is None or counter > last

    def commit_incoming(self, source: int, key_seq: int | None, counter: int) -> None:
        """Record ``counter`` as accepted from (source, key_seq). Call ONLY after the MIC
        verified. Never moves a counter backwards; the least recently updated entry is
        evicted when the table is full.
        """
        self.accept_incoming(source, key_seq, counter)

    def accept_incoming(self, source: int, key_seq: int | None, counter: int) -> int | None:
        """:meth:`check_incoming` and :meth:`commit_incoming` at once, for a frame whose MIC is
        known good (the same bytes verified under the same key before): records ``counter``
        and returns None when it is fresh, else changes nothing and returns the last accepted
        counter."""
        table = self._incoming
        k = (source, key_seq)
        last = table.get(k)
        if last is None:
            table[k] = counter
            if len(table) > self._capacity:
                table.popitem(last=False)
            return None
        if counter > last:
            table[k] = counter
            table.move_to_end(k)
            return None
        return last

    def incoming_counter(self, source: int, key_seq: int | None) -> int | None:
        """Last accepted counter from (source, key_seq), or None if none is recorded."""
        return self._incoming.get((source, key_seq))

    @property
    def incoming_capacity(self) -> int:
        return self._capacity

    def _purge_network_counters(self, keep_seq: int | None) -> None:
        """Drop incoming network-key counters of every sequence number but ``keep_seq``."""
        table = self._incoming
        for k in [k for k in table if k[1] is not None and k[1] != keep_seq]:
            del table[k]

    # -- persistence ------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget keys and incoming counters (leave). Outgoing counters and the TC link key
        stay: rejoining under the same key must not restart at 0 (neighbours would drop the
        frames, and nonces would repeat)."""
        self.active_network_key = None
        self._alternate = None
        self._link_keys.clear()
        self._incoming.clear()

    def persist(self) -> KeyStoreSnapshot:
        """Snapshot for non-volatile storage."""
        return KeyStoreSnapshot(
            active=self.active_network_key,
            alternate=self._alternate,
            tc_link_key=self._tc_link_key,
            link_keys=tuple(self._link_keys.items()),
            outgoing=tuple(self._out.items()),
            incoming=tuple((s, q, c) for (s, q), c in self._incoming.items()),
        )

    @classmethod
    def restore(
        cls,
        snapshot: KeyStoreSnapshot,
        *,
        jump: int = DEFAULT_RESTORE_JUMP,
        incoming_capacity: int = DEFAULT_INCOMING_CAPACITY,
    ) -> KeyStore:
        """Rebuild a store after a reboot, the outgoing counter of every key (held or
        remembered, used or not) advanced by ``jump``, saturating at 0xFFFFFFFF (which refuses
        to send). ``jump`` must exceed the number of frames a key may have secured since the
        snapshot was taken.
        """
        if jump < 0:
            raise ValueError("jump must not be negative")
        ks = cls(tc_link_key=snapshot.tc_link_key, incoming_capacity=incoming_capacity)
        ks.active_network_key = snapshot.active
        ks._alternate = snapshot.alternate
        ks._link_keys = dict(snapshot.link_keys)
        out = dict(snapshot.outgoing)
        held = [e.key for e in (snapshot.active, snapshot.alternate) if e is not None]
        held += [k for _, k in snapshot.link_keys]
        if snapshot.tc_link_key is not None:
            held.append(snapshot.tc_link_key)
        for k in held:
            out.setdefault(k, 0)
        ks._out = {k: min(c + jump, MAX_FRAME_COUNTER) for k, c in out.items()}
        for s, q, c in snapshot.incoming:
            ks.commit_incoming(s, q, c)
        return ks
