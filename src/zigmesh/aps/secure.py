"""APS frame security in the data path (Zigbee spec R22 4.4.1): seal and open APS frames with
the key store's keys and frame counters.

* Outgoing (4.4.1.1): the link key shared with the partner (its unique key, else the trust
  center link key), or its key-transport / key-load derivative for those key identifiers, or
  the active network key for ``KeyId.NETWORK_KEY``. Each sealed frame takes a fresh outgoing
  frame counter, so an APS retransmission is sealed again (same APS counter, new security
  counter): a receiver's replay check would otherwise drop it and never acknowledge it.
* Incoming (4.4.1.2): the counter is checked before decrypting and committed only after the
  MIC verified, so a forged or replayed frame never moves it. APS frames secured with the
  network key share the NWK layer's counter space (the NWK frame around them was checked and
  committed with a later counter), so their freshness is left to the NWK layer.
* Unverified link keys (4.6.3.6): a trust center that sent a device a new unique link key
  holds it in :attr:`ApsSecurity.unverified` until the device's Verify-Key. The device uses the
  key from the moment it arrives (its Update-Devices for its own joining children, the APS ACK
  of the Transport-Key itself): frames under it are accepted, with their own counters, and
  :meth:`ApsSecurity.verified` installs it keeping the highest counter seen.

Derived keys (HMAC over the link key) are cached per key material: the key store derives them
on every call, too slow for the receive path.
"""

from __future__ import annotations

from zigmesh.errors import DecodeError, SecurityError
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.security.ccm import secure_frame, unsecure_frame
from zigmesh.security.hashing import key_load_key, key_transport_key
from zigmesh.security.keys import KeyStore

__all__ = ["RxDrop", "ApsSecurity", "aps_security_overhead"]

_DATA_KEY = KeyId.DATA_KEY
_NETWORK_KEY = KeyId.NETWORK_KEY
_KEY_TRANSPORT_KEY = KeyId.KEY_TRANSPORT_KEY
_KEY_IDS = tuple(KeyId)
_MIC = 4
_DERIVED_CACHE = 256


def aps_security_overhead(key_id: int, extended_nonce: bool) -> int:
    """Bytes APS security adds to a frame: aux header (5, + 8 with the extended nonce, + 1 key
    sequence number with the network key) and the 4-byte MIC."""
    return 5 + (8 if extended_nonce else 0) + (1 if key_id == _NETWORK_KEY else 0) + _MIC


class RxDrop(Exception):
    """A received frame to drop; ``reason`` is the :class:`ApsStats` drop key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ApsSecurity:
    """Seals and opens APS frames for one device (``ieee`` is its own address)."""

    __slots__ = ("keys", "ieee", "_derived", "_pre_counters", "unverified", "_unverified_counters")

    def __init__(self, keys: KeyStore, ieee: int) -> None:
        self.keys = keys
        self.ieee = ieee
        self._derived: dict[tuple[bytes, int], bytes] = {}
        #: partner IEEE -> a link key we sent it and it has not verified yet (trust center)
        self.unverified: dict[int, bytes] = {}
        self._unverified_counters: dict[int, int] = {}
        #: last frame counter accepted from each partner under the preconfigured (trust
        #: center) link key while the partner has a unique one; least recently updated first
        self._pre_counters: dict[int, int] = {}

    def aps_key(self, link_key: bytes, key_id: int) -> bytes:
        """The key for ``key_id`` from a link key (4.4.1.1 / 4.5.3), derivatives cached."""
        if key_id == _DATA_KEY:
            return link_key
        k = (link_key, key_id)
        key = self._derived.get(k)
        if key is None:
            key = (
                key_transport_key(link_key)
                if key_id == _KEY_TRANSPORT_KEY
                else key_load_key(link_key)
            )
            if len(self._derived) >= _DERIVED_CACHE:
                self._derived.clear()
            self._derived[k] = key
        return key

    def has_key(self, key_id: int, partner: int | None) -> bool:
        if key_id == _NETWORK_KEY:
            return self.keys.active_network_key is not None
        return partner is not None and self.keys.link_key(partner) is not None

    def seal(
        self, header: bytes, payload: bytes, key_id: int, partner: int | None, ext_nonce: bool
    ) -> bytes:
        """``header`` (security bit already set) | aux | E(payload) | MIC, with a fresh counter.

        Raises :class:`SecurityError` without a key or when the outgoing counter is exhausted.
        """
        keys = self.keys
        src = self.ieee if ext_nonce else None
        if key_id == _NETWORK_KEY:
            entry, fc = keys.next_network_frame_counter()
            aux = AuxHeader(_NETWORK_KEY, fc, src, entry.seq)
            key = entry.key
        else:
            if partner is None:
                raise SecurityError("APS link-key security needs the partner's IEEE address")
            link = keys.link_key(partner)
            if link is None:
                raise SecurityError(f"no link key for {partner:016x}")
            fc = keys.next_link_frame_counter(partner)
            aux = AuxHeader(_KEY_IDS[key_id], fc, src)
            key = self.aps_key(link, key_id)
        return secure_frame(header, aux, payload, key, self.ieee)

    def verified(self, partner: int) -> bytes | None:
        """``partner`` verified the unique link key we sent it: install it (frames already
        accepted under it keep their counters) and return it (None: no key was pending)."""
        key = self.unverified.pop(partner, None)
        last = self._unverified_counters.pop(partner, None)
        if key is not None:
            self.keys.set_link_key(partner, key)
            if last is not None:
                self.keys.commit_incoming(partner, None, last)
        return key

    def forget_unverified(self, partner: int) -> None:
        self.unverified.pop(partner, None)
        self._unverified_counters.pop(partner, None)

    def open(self, data: bytes, aux: AuxHeader, aux_offset: int, src_ieee: int | None) -> bytes:
        """Verify and decrypt a received APS frame; return the plaintext payload.

        ``src_ieee`` is the sender's IEEE address (the aux header's extended nonce wins).
        Raises :class:`RxDrop` with the reason; moves the incoming counter only on success.
        """
        src = aux.source if aux.source is not None else src_ieee
        if src is None:
            raise RxDrop("security_unknown_source")
        try:
            return self._open(data, aux, aux_offset, src)
        except RxDrop as e:
            new = self.unverified.get(src) if self.unverified else None
            if new is None or e.reason == "decode_error" or aux.key_id == _NETWORK_KEY:
                raise
            try:
                plain = unsecure_frame(data, aux_offset, self.aps_key(new, aux.key_id), src, aux=aux)[1]
            except (SecurityError, DecodeError):
                raise e from None
            fc = aux.frame_counter
            last = self._unverified_counters.get(src)
            if last is not None and fc <= last:
                raise RxDrop("security_counter") from None
            self._unverified_counters[src] = fc
            return plain

    def _open(self, data: bytes, aux: AuxHeader, aux_offset: int, src: int) -> bytes:
        keys = self.keys
        key_id = aux.key_id
        if key_id == _NETWORK_KEY:
            entry = keys.network_key(aux.key_seq) if aux.key_seq is not None else None
            if entry is None:
                raise RxDrop("security_no_key")
            try:
                return unsecure_frame(data, aux_offset, entry.key, src, aux=aux)[1]
            except SecurityError:
                raise RxDrop("security_mic") from None
            except DecodeError:
                raise RxDrop("decode_error") from None
        link = keys.link_key(src)
        if link is None:
            raise RxDrop("security_no_key")
        fc = aux.frame_counter
        fresh = keys.check_incoming(src, None, fc)
        # a partner we just gave (or got) a unique link key may still use the preconfigured
        # one for a while (a retransmitted Transport-Key, a Request-Key sent before the
        # exchange completed): that key is tried too before dropping (as deployed trust
        # centers keep both keys until the new one is verified)
        pre = keys.tc_link_key
        if pre == link:
            pre = None
        if not fresh and pre is None:
            raise RxDrop("security_counter")
        try:
            if fresh:
                try:
                    plain = unsecure_frame(
                        data, aux_offset, self.aps_key(link, key_id), src, aux=aux
                    )[1]
                except SecurityError:
                    if pre is None:
                        raise RxDrop("security_mic") from None
                else:
                    keys.commit_incoming(src, None, fc)
                    return plain
            assert pre is not None
            # the preconfigured key counts its frames apart: its counter (the sender's one for
            # all its partners on that key) says nothing of the unique key's, which restarted
            # at 0; mixing them would reject the unique key's next frames as replays
            last = self._pre_counters.get(src)
            if last is not None and fc <= last:
                raise RxDrop("security_counter")
            try:
                plain = unsecure_frame(data, aux_offset, self.aps_key(pre, key_id), src, aux=aux)[1]
            except SecurityError:
                raise RxDrop("security_mic" if fresh else "security_counter") from None
        except DecodeError:
            raise RxDrop("decode_error") from None
        counters = self._pre_counters
        counters.pop(src, None)
        counters[src] = fc
        if len(counters) > self.keys.incoming_capacity:
            del counters[next(iter(counters))]
        return plain
