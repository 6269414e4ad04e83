"""The trust center of centralized security (Zigbee spec R22 4.6.2-4.6.3, Zigbee 3.0 / BDB 10.2).

:class:`TrustCenter` runs on the coordinator. It holds the network key (drawn from the node's
``random.Random`` at formation: deterministic per seed), decides who may join, and runs:

* **Key delivery** (4.6.3.2): a device that associated with the coordinator gets the network key
  in a Transport-Key sent directly, APS-secured with the key-transport key of its trust center
  link key (extended nonce), NWK-unsecured. A device that joined through a router is reported by
  that router's Update-Device; the trust center sends the same secured Transport-Key inside a
  Tunnel command to the router, which relays it to the child.
* **Joining policy**: with ``require_install_codes`` only devices whose install code was
  registered (:meth:`add_install_code`) get a key, encrypted with the install-code-derived link
  key; a device with a wrong code cannot decrypt it, a device without one gets nothing; their
  parents remove them when they stay unauthenticated.
* **Unique TC link keys** (BDB 10.2.5): Request-Key (trust center link key) from a device is
  answered with a fresh random key in Transport-Key secured with the key-load key of its current
  link key; Verify-Key with the right hash installs it and is answered with Confirm-Key secured
  with it. Every later APS-secured exchange with the device uses the unique key.
* **Network key update** (4.6.3.4-4.6.3.5): :meth:`update_network_key` sends Transport-Key with
  sequence n+1 to every authorized device (APS-acknowledged, secured with each device's link key)
  and, once all are confirmed or ``switch_delay_us`` elapsed, broadcasts Switch-Key (and sends it
  to each rx-off end device directly) and switches itself.
* **Removal**: :meth:`remove_device` asks the device's parent with Remove-Device (or, for its own
  child, sends the NWK Leave itself) and forgets the device's key.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from zigmesh.aps.commands import (
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
from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.primitives import JoinMethod, NlmeJoinIndication, NlmeLeaveIndication, NwkEvent
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.security.aux import KeyId
from zigmesh.security.hashing import install_code_to_link_key
from zigmesh.security.keys import KeyStore
from zigmesh.zdo.security_manager import ApsCommandSender, SecurityStats, verify_key_hash

__all__ = ["TcDevice", "TrustCenter", "TrustCenterConfig"]

_BROADCAST_ALL = 0xFFFF


@dataclass(frozen=True, slots=True)
class TrustCenterConfig:
    """Trust center policy. Times in microseconds."""

    #: only devices with a registered install code may join
    require_install_codes: bool = False
    #: answer Request-Key (trust center link key) with a unique key
    unique_link_keys: bool = True
    #: network key update: longest wait for the Transport-Key confirms before Switch-Key
    switch_delay_us: int = 30_000_000
    #: an Update-Device (unsecured join) for a device that verified its unique link key less
    #: than this long ago is stale: a parent the device left still repeating its report, or
    #: the late report of the association the device's network key followed (a device that
    #: associated twice, its first association response lost, took the key queued for the
    #: first and verified before the second report came). Ignored, or it would reset the
    #: fresh key: the device would hold a key the trust center no longer knows
    stale_join_window_us: int = 10_000_000


@dataclass(slots=True)
class TcDevice:
    """What the trust center knows of one device (its apsDeviceKeyPairSet entry and more)."""

    ieee: int
    short: int
    #: network address of the router it joined through (0x0000: the coordinator itself)
    parent: int
    authorized: bool = False
    unique_link_key: bool = False
    rx_on_when_idle: bool = True
    #: when its unique link key was verified (Verify-Key), None before
    verified_us: int | None = None


class TrustCenter:
    """The coordinator's trust center (module docstring).

    ``TrustCenter(aps, keys, nwk_security, clock, rng, ieee, config, leave_child=...,
    rx_on_of=...)``: ``leave_child(ieee)`` makes the coordinator's NWK remove one of its own
    children; ``rx_on_of(short)`` tells whether a device is rx-on-when-idle when known.
    """

    def __init__(
        self,
        aps: ApsCommandSender,
        keys: KeyStore,
        nwk_security: NwkSecurityContext,
        clock: Clock,
        rng: random.Random,
        ieee: int,
        config: TrustCenterConfig | None = None,
        *,
        leave_child: Callable[[int], None],
        is_own_child: Callable[[int], bool],
    ) -> None:
        self.aps = aps
        self.keys = keys
        self.nwk_security = nwk_security
        self.clock = clock
        self.rng = rng
        self.ieee = ieee
        self.config = config if config is not None else TrustCenterConfig()
        self.stats = SecurityStats()
        #: IEEE address -> install-code-derived link key
        self.install_codes: dict[int, bytes] = {}
        self.devices: dict[int, TcDevice] = {}
        self._leave_child = leave_child
        self._is_own_child = is_own_child
        #: called when a device is given the network key (the node refreshes its many-to-one
        #: routes, rate-limited: ManyToOne.after_join)
        self.on_device_joined: Callable[[], None] | None = None
        self._update: _KeyUpdate | None = None

    # -- set-up ----------------------------------------------------------------------------

    def add_install_code(self, ieee: int, install_code: bytes) -> None:
        """Register a device's install code (with its CRC); its link key is derived from it."""
        key = install_code_to_link_key(install_code)
        self.install_codes[ieee] = key
        self.keys.set_link_key(ieee, key)

    def form(self) -> None:
        """Formation: draw the network key (sequence 0) unless one is held already."""
        if self.keys.active_network_key is None:
            self.keys.set_network_key(self._random_key(), 0)

    def _random_key(self) -> bytes:
        return self.rng.getrandbits(128).to_bytes(16, "little")

    # -- joins -----------------------------------------------------------------------------

    def on_nwk_event(self, ev: NwkEvent) -> None:
        """Our own children joining (association) get the key directly."""
        if isinstance(ev, NlmeJoinIndication):
            if ev.rejoin_network == JoinMethod.ASSOCIATION:
                rx_on = bool(ev.capability_information & 0x0A)  # FFD or rx-on-when-idle
                self._authorize(ev.extended_address, ev.network_address, 0x0000, rx_on)
            else:
                self._rejoined(ev.extended_address, ev.network_address, 0x0000)
        elif isinstance(ev, NlmeLeaveIndication) and ev.device_address is not None:
            dev = self.devices.get(ev.device_address)
            if dev is not None and dev.parent == 0x0000:
                self._left(ev.device_address)

    def _authorize(self, ieee: int, short: int, parent: int, rx_on: bool) -> None:
        if self.config.require_install_codes and ieee not in self.install_codes:
            self.stats.joins_refused += 1
            return
        active = self.keys.active_network_key
        if active is None:
            return
        dev = self.devices.get(ieee)
        if dev is None:
            dev = self.devices[ieee] = TcDevice(ieee, short, parent, rx_on_when_idle=rx_on)
        else:
            dev.short, dev.parent, dev.rx_on_when_idle = short, parent, rx_on
        # a fresh association: the device starts again from its preconfigured key, whether
        # the unique key we hold was made in this session or reloaded from the store after a
        # reboot (the device table is not kept: issue 9 item 5)
        if ieee in self.install_codes:
            self.keys.set_link_key(ieee, self.install_codes[ieee])
        else:
            self.keys.remove_link_key(ieee)
        self.aps.security.forget_unverified(ieee)
        dev.unique_link_key = False
        dev.verified_us = None
        dev.authorized = True
        self.aps.note_device(short, ieee, rx_on)
        if self.on_device_joined is not None:
            self.on_device_joined()
        self.stats.network_keys_sent += 1
        cmd = TransportNetworkKey(active.key, active.seq, ieee, self.ieee)
        if parent == 0x0000:
            self.aps.send_command(
                cmd,
                short,
                key_id=KeyId.KEY_TRANSPORT_KEY,
                partner_ieee=ieee,
                extended_nonce=True,
                nwk_security=False,
            )
        else:
            frame = self.aps.build_secured_command(
                cmd, key_id=KeyId.KEY_TRANSPORT_KEY, partner_ieee=ieee
            )
            self.aps.send_tunnel(parent, ieee, frame)

    def parent_of(self, ieee: int | None, short: int) -> int | None:
        """The parent of the authorized device at ``short`` (``ieee``), as its last
        Update-Device (or our own association) reported it; None if unknown."""
        dev = self.devices.get(ieee) if ieee is not None else None
        if dev is None or dev.short != short or not dev.authorized:
            return None
        return dev.parent

    def _rejoined(self, ieee: int, short: int, parent: int) -> None:
        dev = self.devices.get(ieee)
        if dev is not None:
            dev.short, dev.parent = short, parent
            self.aps.note_device(short, ieee)

    def _left(self, ieee: int) -> None:
        dev = self.devices.get(ieee)
        if dev is not None:
            dev.authorized = False

    # -- APS commands ----------------------------------------------------------------------

    def on_command(self, ind: ApsmeCommandIndication) -> None:
        """APSME indications (registered as the coordinator's APSME user)."""
        cmd = ind.command
        if isinstance(cmd, UpdateDevice):
            self._on_update_device(ind, cmd)
        elif isinstance(cmd, RequestKey):
            self._on_request_key(ind, cmd)
        elif isinstance(cmd, VerifyKey):
            self._on_verify_key(ind, cmd)
        else:
            self.stats.drop("unexpected_" + type(cmd).__name__)

    def _on_update_device(self, ind: ApsmeCommandIndication, cmd: UpdateDevice) -> None:
        if ind.key_id != KeyId.DATA_KEY or not ind.nwk_secured:
            self.stats.drop("update_device_security")
            return
        self.stats.update_devices_received += 1
        status = cmd.status
        if status == UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN:
            dev = self.devices.get(cmd.device)
            if (
                dev is not None
                and dev.authorized
                and dev.verified_us is not None
                and self.clock.now() - dev.verified_us < self.config.stale_join_window_us
            ):
                self.stats.drop("update_device_stale")
                return
            self._authorize(cmd.device, cmd.short_address, ind.src_address, True)
        elif status == UpdateDeviceStatus.DEVICE_LEFT:
            dev = self.devices.get(cmd.device)
            # a stale report (the device joined elsewhere since) changes nothing
            if dev is not None and dev.parent == ind.src_address:
                self._left(cmd.device)
        else:
            self._rejoined(cmd.device, cmd.short_address, ind.src_address)

    def _on_request_key(self, ind: ApsmeCommandIndication, cmd: RequestKey) -> None:
        src = ind.src_ieee
        if ind.key_id != KeyId.DATA_KEY or src is None:
            self.stats.drop("request_key_security")
            return
        if cmd.key_type != RequestKeyType.TRUST_CENTER_LINK_KEY or not self.config.unique_link_keys:
            self.stats.drop("request_key_unsupported")
            return
        dev = self.devices.get(src)
        if dev is not None and not dev.authorized and ind.nwk_secured:
            # reported gone (its parent missed its first secured frames and dropped it as an
            # unauthenticated child) but it talks under the network key: it holds it
            dev.authorized = True
        if dev is None or not dev.authorized:
            self.stats.drop("request_key_unknown_device")
            return
        dev.short = ind.src_address
        # a repeated Request-Key (our Transport-Key was lost, or its answer) gets the same key
        pending = self.aps.security.unverified
        key = pending.get(src)
        if key is None:
            key = pending[src] = self._random_key()
        self.stats.link_keys_sent += 1
        self.aps.send_command(
            TransportTrustCenterLinkKey(key, src, self.ieee),
            ind.src_address,
            key_id=KeyId.KEY_LOAD_KEY,
            partner_ieee=src,
            extended_nonce=True,
            ack=True,
        )

    def _on_verify_key(self, ind: ApsmeCommandIndication, cmd: VerifyKey) -> None:
        src = ind.src_ieee if ind.src_ieee is not None else cmd.source
        if not ind.nwk_secured or src != cmd.source:
            self.stats.drop("verify_key_security")
            return
        if cmd.key_type != KeyType.TRUST_CENTER_LINK_KEY:
            self.stats.drop("verify_key_unsupported")
            return
        dev = self.devices.get(src)
        pending = self.aps.security.unverified.get(src)
        if pending is not None and verify_key_hash(pending) == cmd.key_hash:
            self.aps.security.verified(src)
            status = ApsStatus.SUCCESS
            if dev is not None:
                dev.unique_link_key = True
                dev.verified_us = self.clock.now()
        elif (
            dev is not None
            and dev.unique_link_key
            and verify_key_hash(self.keys.link_key(src) or b"") == cmd.key_hash
        ):
            status = ApsStatus.SUCCESS  # a repeated Verify-Key: confirm again
        else:
            status = ApsStatus.SECURITY_FAIL
        self.stats.confirm_keys_sent += 1
        self.aps.send_command(
            ConfirmKey(status, KeyType.TRUST_CENTER_LINK_KEY, src),
            ind.src_address,
            key_id=KeyId.DATA_KEY,
            partner_ieee=src,
            ack=True,
        )

    # -- network key update ----------------------------------------------------------------

    def update_network_key(self, key: bytes | None = None) -> int:
        """Distribute a new network key (sequence n+1) and switch to it (module docstring).
        Returns the new key sequence number."""
        active = self.keys.active_network_key
        if active is None:
            raise LocalProtocolError("the trust center holds no network key yet")
        if self._update is not None:
            raise LocalProtocolError("a network key update is already under way")
        seq = (active.seq + 1) & 0xFF
        new = key if key is not None else self._random_key()
        self.keys.receive_network_key(new, seq)
        targets = [d for d in self.devices.values() if d.authorized]
        upd = _KeyUpdate(self, seq, len(targets))
        self._update = upd
        cmd_for = TransportNetworkKey
        for d in targets:
            self.stats.network_keys_sent += 1
            self.aps.send_command(
                cmd_for(new, seq, d.ieee, self.ieee),
                d.short,
                key_id=KeyId.KEY_TRANSPORT_KEY,
                partner_ieee=d.ieee,
                extended_nonce=True,
                ack=True,
                on_done=upd.confirmed,
            )
        upd.timer = self.clock.call_later(self.config.switch_delay_us, upd.finish)
        if not targets:
            upd.finish()
        return seq

    def _switch(self, seq: int) -> None:
        self._update = None
        self.aps.send_command(SwitchKey(seq), _BROADCAST_ALL, key_id=None)
        for d in self.devices.values():
            if d.authorized and not d.rx_on_when_idle:
                self.aps.send_command(SwitchKey(seq), d.short, key_id=None, ack=True)
        self.nwk_security.switch_key(seq)
        self.stats.switch_keys += 1

    # -- removal ---------------------------------------------------------------------------

    def remove_device(self, ieee: int) -> bool:
        """Make a device leave the network and forget its key; False if it is unknown."""
        dev = self.devices.pop(ieee, None)
        if dev is None:
            return False
        self.aps.security.forget_unverified(ieee)
        if self._is_own_child(ieee):
            self._leave_child(ieee)
        elif dev.parent != 0x0000:
            parent_ieee = self._ieee_of(dev.parent)
            if parent_ieee is not None:
                self.aps.send_command(
                    RemoveDevice(ieee),
                    dev.parent,
                    key_id=KeyId.DATA_KEY,
                    partner_ieee=parent_ieee,
                    ack=True,
                )
        self.keys.remove_link_key(ieee)
        if ieee in self.install_codes:
            self.keys.set_link_key(ieee, self.install_codes[ieee])
        return True

    def _ieee_of(self, short: int) -> int | None:
        for d in self.devices.values():
            if d.short == short:
                return d.ieee
        return None

    # -- reporting -------------------------------------------------------------------------

    def unique_key_count(self) -> int:
        return sum(1 for d in self.devices.values() if d.unique_link_key)


class _KeyUpdate:
    """One network key update waiting for its Transport-Key confirms."""

    __slots__ = ("tc", "seq", "waiting", "timer", "failures")

    def __init__(self, tc: TrustCenter, seq: int, waiting: int) -> None:
        self.tc = tc
        self.seq = seq
        self.waiting = waiting
        self.timer: TimerHandle | None = None
        self.failures = 0

    def confirmed(self, status: ApsConfirmStatus) -> None:
        if status != ApsStatus.SUCCESS:
            self.failures += 1
        self.waiting -= 1
        if self.waiting <= 0:
            self.finish()

    def finish(self) -> None:
        if self.tc._update is not self:
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.tc._switch(self.seq)
