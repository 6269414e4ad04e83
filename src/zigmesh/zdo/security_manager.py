"""A joining device's side of centralized security (Zigbee spec R22 4.6.3, Zigbee 3.0 / BDB 10.2).

:class:`SecurityManager` runs on every node but the trust center:

1. **Authentication.** After associating, the device holds no network key and sends nothing at
   the NWK layer. It waits up to ``network_key_timeout_us`` (apsSecurityTimeOutPeriod) for the
   trust center's Transport-Key (network key), APS-secured with the key-transport key of its
   trust center link key (``ZigBeeAlliance09`` or its install-code key) and NWK-unsecured, sent
   by its parent (directly, or relayed from a Tunnel). Without it, ``on_failed`` tells the node
   to give up this parent and join again later.
2. **Unique TC link key** (BDB 10.2.5, R22 4.6.3.6): once authenticated it sends Request-Key
   (trust center link key) APS-secured with its current link key; the trust center answers with
   Transport-Key (TC link key) secured with the key-load key; the device installs the key and
   answers Verify-Key (``HMAC-MMO(key, 0x03)``); Confirm-Key (SUCCESS), secured with the new
   key, completes it. Each step is retried ``link_key_attempts`` times (Request-Key while no
   key came, Verify-Key while no confirmation came: the trust center confirms a repeated
   Verify-Key of a key it already installed).
3. **Key update**: a later Transport-Key (network key, sequence n+1) is held as the alternate key;
   Switch-Key from the trust center makes it active (the previous one is accepted for a grace
   period by :class:`~zigmesh.nwk.security.NwkSecurityContext`).
4. **Routers as parents**: a child joining or rejoining through this router is reported to the
   trust center with Update-Device; Remove-Device from the trust center makes the router ask
   the child to leave (NWK Leave). Tunnel relaying is the APS layer's.

Commands to the trust center (Update-Device, Request-Key, Verify-Key) ask for no APS ACK, as
deployed stacks send them: the step's own timeout repeats them (a lost Update-Device costs the
child its join, which it repeats after a back-off), and the trust center needs no route back to
every sender just for acknowledgements in the busiest minutes of a network's life.

Commands are accepted only from the trust center (its IEEE address from the first
Transport-Key) and only with the security the spec requires; anything else is dropped and
counted in ``stats``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Protocol

from zigmesh.aps.commands import (
    ApsCommand,
    ApsStatus,
    ConfirmKey,
    KeyType,
    RemoveDevice,
    RequestKey,
    RequestKeyType,
    SwitchKey,
    TransportNetworkKey,
    TransportTrustCenterLinkKey,
    UpdateDevice,
    UpdateDeviceStatus,
    VerifyKey,
)
from zigmesh.aps.primitives import ApsConfirmStatus, ApsmeCommandIndication
from zigmesh.aps.secure import ApsSecurity
from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import SecurityError
from zigmesh.nwk.primitives import JoinMethod, NlmeJoinIndication, NlmeLeaveIndication, NwkEvent
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.security.aux import KeyId
from zigmesh.security.hashing import hmac_mmo
from zigmesh.security.keys import KeyStore

__all__ = [
    "ApsCommandSender",
    "AuthState",
    "LinkKeyState",
    "SecurityManager",
    "SecurityManagerConfig",
    "SecurityStats",
    "TC_ADDRESS",
    "verify_key_hash",
]

#: the trust center is the coordinator (network address 0x0000) in centralized security
TC_ADDRESS = 0x0000


class ApsCommandSender(Protocol):
    """What the security procedures need of the APS layer (:class:`zigmesh.aps.aps.Aps`)."""

    def send_command(
        self,
        command: ApsCommand,
        dst_address: int,
        *,
        key_id: KeyId | None,
        partner_ieee: int | None = None,
        extended_nonce: bool = False,
        nwk_security: bool = True,
        ack: bool = False,
        radius: int = 0,
        on_done: Callable[[ApsConfirmStatus], None] | None = None,
    ) -> None: ...

    def build_secured_command(
        self, command: ApsCommand, *, key_id: KeyId, partner_ieee: int
    ) -> bytes: ...

    @property
    def security(self) -> ApsSecurity: ...

    def send_tunnel(self, dst_address: int, dst_ieee: int, tunneled_frame: bytes) -> None: ...

    def note_device(self, short: int, ieee: int, rx_on_when_idle: bool | None = None) -> None: ...

    def expect_response(self, duration_us: int, owner: object = None) -> None: ...


def verify_key_hash(key: bytes) -> bytes:
    """Initiator verify-key hash of Verify-Key: HMAC-MMO(key, 0x03) (R22 4.4.10.7)."""
    return hmac_mmo(key, b"\x03")


class AuthState(Enum):
    """Authentication of this device (does it hold the network key?)."""

    IDLE = 0
    WAITING_NETWORK_KEY = 1
    AUTHENTICATED = 2


class LinkKeyState(Enum):
    """The unique trust center link key exchange (BDB 10.2.5)."""

    GLOBAL = 0  # still using ZigBeeAlliance09 / the install-code key
    REQUESTING = 1  # Request-Key sent, waiting for Transport-Key
    VERIFYING = 2  # Verify-Key sent, waiting for Confirm-Key
    VERIFIED = 3  # unique key confirmed
    FAILED = 4


@dataclass(frozen=True, slots=True)
class SecurityManagerConfig:
    """Times in microseconds."""

    #: apsSecurityTimeOutPeriod: wait for the network key after associating (sleepy devices
    #: poll for it; BDB's bdbcTCLinkKeyExchangeTimeout is 5 s per step)
    network_key_timeout_us: int = 10_000_000
    #: ask for a unique trust center link key after authentication (Zigbee 3.0)
    request_unique_link_key: bool = True
    #: wait for each answer of the link key exchange, and how many exchanges to try
    link_key_timeout_us: int = 10_000_000
    link_key_attempts: int = 3
    #: after a failed round of the exchange, start a new one this much later
    link_key_retry_us: int = 30_000_000
    #: pause after authentication before Request-Key (lets Device_annce go first)
    link_key_delay_us: int = 500_000
    #: a router parent repeats the Update-Device of a child that joined through it while no
    #: Tunnel with the child's key came back: after this long, this many sends in all (all
    #: within ``network_key_timeout_us``, the child's wait)
    update_device_retry_us: int = 2_500_000
    update_device_attempts: int = 3


@dataclass(slots=True)
class SecurityStats:
    """Counters of the security procedures of one device (device or trust center side)."""

    network_keys_received: int = 0
    link_keys_received: int = 0
    link_key_requests: int = 0
    verify_keys_sent: int = 0
    confirm_keys_received: int = 0
    switch_keys: int = 0
    auth_timeouts: int = 0
    link_key_failures: int = 0
    update_devices_sent: int = 0
    update_devices_repeated: int = 0
    remove_devices_received: int = 0
    #: trust center
    network_keys_sent: int = 0
    link_keys_sent: int = 0
    confirm_keys_sent: int = 0
    joins_refused: int = 0
    update_devices_received: int = 0
    #: commands dropped: wrong sender, wrong security, unexpected
    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["dropped"] = dict(sorted(self.dropped.items()))
        return out


class SecurityManager:
    """The device side of centralized security (module docstring).

    ``SecurityManager(aps, keys, nwk_security, clock, rng, ieee, config)``; the node calls
    :meth:`joined` after an association join, :meth:`reset` when it leaves, routes NWK events
    through :meth:`on_nwk_event` and registers :meth:`on_command` as the APSME user.
    ``on_authenticated`` / ``on_failed`` are the node's callbacks.
    """

    def __init__(
        self,
        aps: ApsCommandSender,
        keys: KeyStore,
        nwk_security: NwkSecurityContext,
        clock: Clock,
        rng: random.Random,
        ieee: int,
        config: SecurityManagerConfig | None = None,
        *,
        is_router: Callable[[], bool],
        leave_child: Callable[[int], None],
    ) -> None:
        self.aps = aps
        self.keys = keys
        self.nwk_security = nwk_security
        self.clock = clock
        self.rng = rng
        self.ieee = ieee
        self.config = config if config is not None else SecurityManagerConfig()
        self.stats = SecurityStats()
        self.auth = AuthState.IDLE
        self.link_key_state = LinkKeyState.GLOBAL
        #: IEEE address of the trust center (from the first Transport-Key)
        self.trust_center: int | None = None
        self.on_authenticated: Callable[[], None] | None = None
        self.on_failed: Callable[[], None] | None = None
        self._is_router = is_router
        self._leave_child = leave_child
        self._timer: TimerHandle | None = None
        self._pending_key: bytes | None = None
        self._attempts = 0
        #: children reported joining, waiting for the trust center's Tunnel: IEEE -> (short
        #: address, sends so far, retry timer)
        self._reported: dict[int, tuple[int, int, TimerHandle]] = {}

    # -- node side -------------------------------------------------------------------------

    @property
    def authenticated(self) -> bool:
        return self.auth == AuthState.AUTHENTICATED

    @property
    def has_unique_link_key(self) -> bool:
        tc = self.trust_center
        return tc is not None and self.keys.has_unique_link_key(tc)

    def joined(self) -> None:
        """Associated: wait for the network key (or we still hold one: rejoined)."""
        self._cancel()
        if self.keys.active_network_key is not None:
            self.auth = AuthState.AUTHENTICATED
            return
        self.auth = AuthState.WAITING_NETWORK_KEY
        # a sleepy joiner polls its parent for the key meanwhile (the parent holds it only
        # macTransactionPersistenceTime, far less than a sensor's poll period)
        self.aps.expect_response(self.config.network_key_timeout_us, self)
        self._timer = self.clock.call_later(
            self.config.network_key_timeout_us, self._network_key_timeout
        )

    def restored(self, trust_center: int | None) -> None:
        """State reloaded from the store: authenticated if a network key is held."""
        self.trust_center = trust_center
        if trust_center is not None:
            self.aps.note_device(TC_ADDRESS, trust_center)
        if self.keys.active_network_key is not None:
            self.auth = AuthState.AUTHENTICATED
            if trust_center is not None and self.keys.has_unique_link_key(trust_center):
                self.link_key_state = LinkKeyState.VERIFIED

    def reset(self) -> None:
        """The device left the network: forget the keys (not the outgoing counters)."""
        self._cancel()
        self.auth = AuthState.IDLE
        self.link_key_state = LinkKeyState.GLOBAL
        self._pending_key = None
        self.keys.clear()
        self._forget_reported()

    def stop(self) -> None:
        self._cancel()
        self._forget_reported()

    def _forget_reported(self) -> None:
        for _, _, timer in self._reported.values():
            timer.cancel()
        self._reported.clear()

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _network_key_timeout(self) -> None:
        self._timer = None
        if self.auth != AuthState.WAITING_NETWORK_KEY:
            return
        self.stats.auth_timeouts += 1
        self.auth = AuthState.IDLE
        cb = self.on_failed
        if cb is not None:
            cb()

    # -- unique TC link key ----------------------------------------------------------------

    def request_link_key(self) -> None:
        """Start the unique trust center link key exchange (after authentication)."""
        if not self.config.request_unique_link_key or self.trust_center is None:
            return
        if self.link_key_state in (LinkKeyState.REQUESTING, LinkKeyState.VERIFYING):
            return
        if self.has_unique_link_key:
            self.link_key_state = LinkKeyState.VERIFIED
            return
        self._attempts = 0
        self._cancel()
        self._timer = self.clock.call_later(self.config.link_key_delay_us, self._send_request)

    def _new_round(self) -> None:
        self._timer = None
        if self.link_key_state != LinkKeyState.FAILED:
            return
        if self._pending_key is not None:
            # keep the key: the trust center holds it (pending or installed) and confirms a
            # repeated Verify-Key of it
            self.link_key_state = LinkKeyState.VERIFYING
            self._attempts = 1
            self._send_verify(self._pending_key)
            return
        self.link_key_state = LinkKeyState.GLOBAL
        self._send_request()

    def _send_request(self) -> None:
        self._timer = None
        tc = self.trust_center
        if tc is None or self.auth != AuthState.AUTHENTICATED:
            return
        if self._attempts >= self.config.link_key_attempts:
            # give this round up; a new round starts after a back-off (a busy mesh during
            # formation loses answers; the device keeps the key it has meanwhile)
            self.link_key_state = LinkKeyState.FAILED
            self.stats.link_key_failures += 1
            self._attempts = 0
            self._timer = self.clock.call_later(self.config.link_key_retry_us, self._new_round)
            return
        self._attempts += 1
        if self.link_key_state == LinkKeyState.VERIFYING and self._pending_key is not None:
            self._send_verify(self._pending_key)
            return
        self.link_key_state = LinkKeyState.REQUESTING
        self._pending_key = None
        self.stats.link_key_requests += 1
        self.aps.send_command(
            RequestKey(RequestKeyType.TRUST_CENTER_LINK_KEY),
            TC_ADDRESS,
            key_id=KeyId.DATA_KEY,
            partner_ieee=tc,
            extended_nonce=True,
        )
        # a sleepy device polls for the answer meanwhile (it asked for no APS ACK)
        self.aps.expect_response(self.config.link_key_timeout_us, self)
        self._timer = self.clock.call_later(self.config.link_key_timeout_us, self._send_request)

    # -- NWK events (router parents) -------------------------------------------------------

    def on_nwk_event(self, ev: NwkEvent) -> None:
        """Update-Device to the trust center for children joining / leaving through us."""
        if self.auth != AuthState.AUTHENTICATED or self.trust_center is None:
            return
        if isinstance(ev, NlmeJoinIndication):
            if ev.rejoin_network == JoinMethod.ASSOCIATION:
                status = UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN
            elif ev.secure_rejoin:
                status = UpdateDeviceStatus.STANDARD_DEVICE_SECURED_REJOIN
            else:
                status = UpdateDeviceStatus.STANDARD_DEVICE_TRUST_CENTER_REJOIN
            self._update_device(ev.extended_address, ev.network_address, status)
        elif isinstance(ev, NlmeLeaveIndication) and ev.device_address is not None:
            self._update_device(
                ev.device_address, ev.network_address, UpdateDeviceStatus.DEVICE_LEFT
            )

    def _update_device(self, ieee: int, short: int, status: UpdateDeviceStatus) -> None:
        tc = self.trust_center
        if tc is None or not self._is_router():
            return
        old = self._reported.pop(ieee, None)
        if old is not None:
            old[2].cancel()
        if status == UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN:
            self._expect_tunnel(ieee, short, 1)
        self._send_update_device(ieee, short, status)

    def _expect_tunnel(self, ieee: int, short: int, sent: int) -> None:
        """The Update-Device of a joining child asks for no APS ACK; the trust center's
        Tunnel is its answer. Under load one lost Update-Device cost the child its join (and
        a back-off), so it is repeated until the Tunnel comes."""
        if sent >= self.config.update_device_attempts:
            return
        timer = self.clock.call_later(
            self.config.update_device_retry_us, self._repeat_update_device, ieee
        )
        self._reported[ieee] = (short, sent, timer)

    def _repeat_update_device(self, ieee: int) -> None:
        entry = self._reported.pop(ieee, None)
        if entry is None or self.auth != AuthState.AUTHENTICATED:
            return
        short, sent, _ = entry
        self.stats.update_devices_repeated += 1
        self._expect_tunnel(ieee, short, sent + 1)
        self._send_update_device(ieee, short, UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN)

    def tunnel_forwarded(self, ieee: int) -> None:
        """We relayed the trust center's Tunnel to our child ``ieee``: its report arrived."""
        entry = self._reported.pop(ieee, None)
        if entry is not None:
            entry[2].cancel()

    def _send_update_device(self, ieee: int, short: int, status: UpdateDeviceStatus) -> None:
        tc = self.trust_center
        if tc is None:
            return
        self.stats.update_devices_sent += 1
        self.aps.send_command(
            UpdateDevice(ieee, short, status),
            TC_ADDRESS,
            key_id=KeyId.DATA_KEY,
            partner_ieee=tc,
            extended_nonce=True,
        )

    # -- APS commands ----------------------------------------------------------------------

    def on_command(self, ind: ApsmeCommandIndication) -> None:
        """APSME indications (the node registers this as the APS layer's APSME user)."""
        cmd = ind.command
        if isinstance(cmd, TransportNetworkKey):
            self._on_network_key(ind, cmd)
        elif isinstance(cmd, TransportTrustCenterLinkKey):
            self._on_link_key(ind, cmd)
        elif isinstance(cmd, ConfirmKey):
            self._on_confirm_key(ind, cmd)
        elif isinstance(cmd, SwitchKey):
            self._on_switch_key(ind, cmd)
        elif isinstance(cmd, RemoveDevice):
            self._on_remove_device(ind, cmd)
        else:
            self.stats.drop("unexpected_" + type(cmd).__name__)

    def _from_tc(self, ind: ApsmeCommandIndication) -> bool:
        tc = self.trust_center
        return ind.src_address == TC_ADDRESS and (
            tc is None or ind.src_ieee is None or ind.src_ieee == tc
        )

    def _on_network_key(self, ind: ApsmeCommandIndication, cmd: TransportNetworkKey) -> None:
        # R22 4.4.3.3 / 4.6.3.2: a network key only under our TC link key's key-transport key
        if ind.key_id != KeyId.KEY_TRANSPORT_KEY:
            self.stats.drop("network_key_security")
            return
        if cmd.dest != self.ieee and cmd.dest != 0:
            self.stats.drop("network_key_not_for_us")
            return
        if self.trust_center is not None and cmd.source != self.trust_center:
            self.stats.drop("network_key_not_from_tc")
            return
        first = self.keys.active_network_key is None
        try:
            self.keys.receive_network_key(cmd.key, cmd.key_seq)
        except SecurityError:
            self.stats.drop("network_key_conflict")
            return
        self.stats.network_keys_received += 1
        if self.trust_center is None:
            self.trust_center = cmd.source
            # APS frames from the trust center without extended nonce need its IEEE address
            self.aps.note_device(TC_ADDRESS, cmd.source)
        if first and self.auth == AuthState.WAITING_NETWORK_KEY:
            self._cancel()
            self.aps.expect_response(0, self)
            self.auth = AuthState.AUTHENTICATED
            cb = self.on_authenticated
            if cb is not None:
                cb()

    def _on_link_key(self, ind: ApsmeCommandIndication, cmd: TransportTrustCenterLinkKey) -> None:
        tc = self.trust_center
        if ind.key_id != KeyId.KEY_LOAD_KEY or tc is None or cmd.source != tc:
            self.stats.drop("link_key_security")
            return
        if cmd.dest != self.ieee or self.link_key_state in (
            LinkKeyState.VERIFYING,
            LinkKeyState.VERIFIED,
        ):
            self.stats.drop("link_key_unexpected")
            return
        # an answer to any of our Request-Keys, also one that came after we gave the round up
        self._cancel()
        self.stats.link_keys_received += 1
        self._pending_key = cmd.key
        # installed now: the Confirm-Key comes secured with it
        self.keys.set_link_key(tc, cmd.key)
        self.link_key_state = LinkKeyState.VERIFYING
        self._attempts = 1
        self._send_verify(cmd.key)

    def _send_verify(self, key: bytes) -> None:
        self.stats.verify_keys_sent += 1
        # Verify-Key: NWK-secured, APS-unsecured (R22 4.4.10.7)
        self.aps.send_command(
            VerifyKey(KeyType.TRUST_CENTER_LINK_KEY, self.ieee, verify_key_hash(key)),
            TC_ADDRESS,
            key_id=None,
        )
        self.aps.expect_response(self.config.link_key_timeout_us, self)
        self._timer = self.clock.call_later(self.config.link_key_timeout_us, self._send_request)

    def _on_confirm_key(self, ind: ApsmeCommandIndication, cmd: ConfirmKey) -> None:
        key = self._pending_key
        tc = self.trust_center
        if self.link_key_state != LinkKeyState.VERIFYING or key is None or tc is None:
            if self.link_key_state == LinkKeyState.VERIFIED:
                return  # a repeated confirmation
            self.stats.drop("confirm_key_unexpected")
            return
        if ind.key_id != KeyId.DATA_KEY or not self._from_tc(ind):
            self.stats.drop("confirm_key_security")
            return
        self._cancel()
        self.aps.expect_response(0, self)
        self.stats.confirm_keys_received += 1
        self._pending_key = None
        if cmd.status != ApsStatus.SUCCESS:
            # the trust center refused the key: back to the key we had, ask again later
            self.keys.remove_link_key(tc)
            self.link_key_state = LinkKeyState.GLOBAL
            self._timer = self.clock.call_later(self.config.link_key_timeout_us, self._send_request)
            return
        self.link_key_state = LinkKeyState.VERIFIED

    def _on_switch_key(self, ind: ApsmeCommandIndication, cmd: SwitchKey) -> None:
        if not self._from_tc(ind) or not ind.nwk_secured:
            self.stats.drop("switch_key_security")
            return
        if self.nwk_security.switch_key(cmd.key_seq):
            self.stats.switch_keys += 1
        else:
            self.stats.drop("switch_key_unknown_seq")

    def _on_remove_device(self, ind: ApsmeCommandIndication, cmd: RemoveDevice) -> None:
        if not self._from_tc(ind) or ind.key_id != KeyId.DATA_KEY:
            self.stats.drop("remove_device_security")
            return
        self.stats.remove_devices_received += 1
        self._leave_child(cmd.target)
