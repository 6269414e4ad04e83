"""NWK frame security in operation (Zigbee spec R22 4.3.1, 4.6.3.5).

:class:`NwkSecurityContext` is the :class:`~zigmesh.nwk.nwk.NwkSecurity` a secured node installs
on its NWK layer (``nwk.security``). It seals every outgoing NWK frame with the active network
key: security level 5 (ENC-MIC-32; level 0 on the air), key identifier NETWORK_KEY with the key
sequence number, extended nonce (this device's IEEE address), and a fresh outgoing frame counter
per key from the :class:`~zigmesh.security.keys.KeyStore` (4.3.1.1). Each hop re-secures: a
relay opens the frame and seals it again with its own counter and address.

Incoming secured frames are opened with the key their sequence number names (the active key,
the alternate one a Transport-Key delivered before the Switch-Key, or, for ``grace_us`` after a
switch, the previous key). The incoming frame counter of the source (IEEE address from the
extended nonce) is checked before and recorded only after the MIC verified (4.3.1.2 steps 4 and
8), so a forged or replayed frame never moves a counter. Failures raise
:class:`NwkSecurityDrop` whose ``reason`` the NWK layer counts: ``no_key`` (no network key
yet), ``key_seq`` (an unknown key sequence number), ``duplicate`` (the last accepted
counter again: a retransmission or a replay of it), ``counter`` (an older counter),
``mic`` (bad MIC), ``header`` (not a network-key, extended-nonce header) and ``decode``.

Sans-IO: the context gets the clock only to time the grace period of a previous key.
"""

from __future__ import annotations

from zigmesh.clock import Clock
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.nwk.frames import FC_SECURITY, NWK_DECODED, NwkFrame, sealed_forms, with_payload
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.security.ccm import secure_frame, unsecure_frame
from zigmesh.security.keys import MAX_FRAME_COUNTER, KeyStore, NetworkKeyEntry

__all__ = [
    "DEFAULT_KEY_GRACE_US",
    "NWK_SECURITY_OVERHEAD",
    "NwkSecurityContext",
    "NwkSecurityDrop",
]

#: auxiliary header with extended nonce and key sequence number (1 + 4 + 8 + 1) + MIC-32
NWK_SECURITY_OVERHEAD = 14 + 4
#: frames under the previous network key are still accepted this long after a Switch-Key
#: (the spec leaves it open; deployed stacks keep the previous key until every neighbour
#: switched: a broadcast takes up to nwkNetworkBroadcastDeliveryTime = 9 s, sleepy children
#: fetch theirs within their poll period)
DEFAULT_KEY_GRACE_US = 60_000_000

_NETWORK_KEY = KeyId.NETWORK_KEY
#: frame as on the air -> (key, the opened frame): every receiver of a broadcast (and every
#: copy heard of a retransmission) opens the same bytes with the same key to the same frozen
#: frame, a pure function of the two (frames whose MIC fails are not kept; a sender enters
#: the frames it seals, see ``secure``); bounded
_OPENED: dict[bytes, tuple[bytes, NwkFrame]] = {}
_OPENED_MAX = 256
#: length of the auxiliary header this context writes (control, counter, source, key sequence)
_AUX_LEN = 1 + 4 + 8 + 1
#: the security bit of the NWK frame control (bit 9) in its second byte
_FC_SECURITY_HI = FC_SECURITY >> 8


class NwkSecurityDrop(SecurityError):
    """A secured NWK frame that failed verification; ``reason`` names why (module doc)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _remember_opened(data: bytes, key: bytes, opened: NwkFrame) -> None:
    """Enter ``data`` opened under ``key`` in the bounded memo (emptied when full)."""
    if len(_OPENED) >= _OPENED_MAX:
        _OPENED.clear()
    _OPENED[data] = (key, opened)


def _stale(src: int, fc: int, last: int) -> NwkSecurityDrop:
    """The drop for a frame counter not above ``last``, the last one accepted from ``src``."""
    if last == fc:
        # the very frame we accepted last, again (a MAC / broadcast retransmission)
        return NwkSecurityDrop("duplicate", f"frame counter {fc} from {src:016x} again")
    return NwkSecurityDrop("counter", f"frame counter {fc} from {src:016x} not fresh")


class NwkSecurityContext:
    """Network key security of one NWK layer (module docstring).

    ``NwkSecurityContext(keys, ieee, clock, grace_us=...)``; ``enabled`` False turns frame
    sealing off while keeping the key store (nwkSecurityLevel 0). Outgoing counters are
    persisted through the key store's ``on_counter`` hook.
    """

    __slots__ = (
        "keys",
        "ieee",
        "clock",
        "grace_us",
        "enabled",
        "_previous",
        "_previous_until",
        "_src",
    )

    def __init__(
        self,
        keys: KeyStore,
        ieee: int,
        clock: Clock,
        *,
        grace_us: int = DEFAULT_KEY_GRACE_US,
        enabled: bool = True,
    ) -> None:
        self.keys = keys
        self.ieee = ieee
        self.clock = clock
        self.grace_us = grace_us
        self.enabled = enabled
        self._previous: NetworkKeyEntry | None = None
        self._previous_until = 0
        self._src = ieee.to_bytes(8, "little")

    # -- state -----------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Frames are sealed: security is enabled and a network key is held."""
        return self.enabled and self.keys.active_network_key is not None

    @property
    def exhausted(self) -> bool:
        """The active key's outgoing counter reached 0xFFFFFFFF: nothing can be sent."""
        a = self.keys.active_network_key
        return a is not None and self.keys.outgoing_counter(a.key) >= MAX_FRAME_COUNTER

    @property
    def previous_key(self) -> NetworkKeyEntry | None:
        """The key active before the last switch, while its grace period lasts."""
        if self._previous is not None and self.clock.now() < self._previous_until:
            return self._previous
        return None

    def switch_key(self, seq: int) -> bool:
        """APSME-SWITCH-KEY (4.6.3.5): make the alternate key ``seq`` active; the previous one
        is still accepted for ``grace_us``. False if ``seq`` is not held (nothing changes)."""
        keys = self.keys
        old = keys.active_network_key
        if old is not None and old.seq == seq:
            return True
        try:
            keys.switch_key(seq, keep_previous_counters=True)
        except SecurityError:
            return False
        self._previous = old
        self._previous_until = self.clock.now() + self.grace_us
        return True

    # -- NwkSecurity -----------------------------------------------------------------------

    def secure(self, frame: NwkFrame) -> bytes:
        """``frame`` (plaintext payload) as on the air, sealed with the active key and the
        next outgoing counter. Raises :class:`SecurityError` without a key or when the
        counter is exhausted (the NWK layer then sends nothing)."""
        entry, fc = self.keys.next_network_frame_counter()
        hdr = frame.encode_header()
        if frame.aux is None:
            hdr = hdr[:1] + bytes((hdr[1] | _FC_SECURITY_HI,)) + hdr[2:]
        aux = AuxHeader(_NETWORK_KEY, fc, self.ieee, entry.seq)
        key = entry.key
        data = secure_frame(hdr, aux, frame.payload, key)
        # the sender knows what its receivers will decode and open: both memos get it, so a
        # hop's frame is parsed and decrypted by nobody (each hop seals distinct bytes)
        forms = sealed_forms(frame, aux, data, len(hdr) + _AUX_LEN)
        if forms is not None:
            NWK_DECODED.remember(data, forms[0])
            _remember_opened(data, key, forms[1])
        return data

    def unsecure(self, data: bytes, frame: NwkFrame | None = None) -> NwkFrame:
        """Open a secured frame from the air (``frame``: ``data`` already decoded; module
        docstring); raises :class:`NwkSecurityDrop` with the reason on any failure."""
        if frame is None:
            try:
                frame = NwkFrame.decode(data)
            except DecodeError as e:
                raise NwkSecurityDrop("decode", str(e)) from None
        aux = frame.aux
        if aux is None or aux.key_id != _NETWORK_KEY or aux.source is None:
            raise NwkSecurityDrop("header", "not a network-key frame with extended nonce")
        keys = self.keys
        seq = aux.key_seq
        assert seq is not None
        entry = keys.active_network_key
        if entry is None or entry.seq != seq:
            entry = keys.network_key(seq)
        if entry is None:
            prev = self.previous_key
            if prev is not None and prev.seq == seq:
                entry = prev
            elif keys.active_network_key is None:
                raise NwkSecurityDrop("no_key", "no network key held")
            else:
                raise NwkSecurityDrop("key_seq", f"unknown key sequence number {seq}")
        src = aux.source
        fc = aux.frame_counter
        key = entry.key
        memo = type(data) is bytes
        hit = _OPENED.get(data) if memo else None
        if hit is not None and hit[0] == key:
            # these very bytes verified under this key before: the counter alone decides
            last = keys.accept_incoming(src, seq, fc)
            if last is not None:
                raise _stale(src, fc, last)
            return hit[1]
        if not keys.check_incoming(src, seq, fc):
            last = keys.incoming_counter(src, seq)
            assert last is not None
            raise _stale(src, fc, last)
        try:
            _, plain = unsecure_frame(data, frame.header_length, key, aux=aux)
        except SecurityError as e:
            raise NwkSecurityDrop("mic", str(e)) from None
        except DecodeError as e:
            raise NwkSecurityDrop("decode", str(e)) from None
        opened = with_payload(frame, plain)
        if memo:
            _remember_opened(data, key, opened)
        keys.commit_incoming(src, seq, fc)
        return opened
