"""Secured joins under load (issue 7, the 1,000-node secured grid): what made half the joins
through routers fail, each found with a traced 1,000-node run.

* A router parent's Update-Device (no APS ACK) lost on the way left its child waiting for a
  key that never came: the parent now repeats it until the trust center's Tunnel arrives.
* An Association Response whose ACK was lost was dropped by the parent, the device (which
  had it) waiting for its key in vain: the MAC reports NO_ACK at once (it used to keep the
  transaction until it expired, 7.68 s later) and a secured parent keeps the device as an
  unauthenticated child that holds no join slot (if it is not there, others still join).
"""

from __future__ import annotations

import random
from typing import Any, cast

from tests.nwk.nwkutil import SMALL_MEDIUM, S, drop_first_ack_of
from zigmesh.aps.commands import ApsCommand, UpdateDevice, UpdateDeviceStatus
from zigmesh.mac.frames import FrameType
from zigmesh.node import NodeState
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.nwk.tables import Relationship
from zigmesh.security.keys import KeyStore
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import Radio
from zigmesh.sim.world import World
from zigmesh.zdo.security_manager import (
    AuthState,
    LinkKeyState,
    SecurityManager,
    SecurityManagerConfig,
)

_JOIN = UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN


class _StubAps:
    def __init__(self) -> None:
        self.commands: list[tuple[ApsCommand, int]] = []

    def send_command(self, command: ApsCommand, dst_address: int, **kw: Any) -> None:
        self.commands.append((command, dst_address))

    def expect_response(self, duration_us: int, owner: object = None) -> None:
        pass


def _router_manager() -> tuple[SecurityManager, _StubAps, Kernel]:
    k = Kernel()
    aps = _StubAps()
    keys = KeyStore()
    ieee = 0x00AA_0000_0000_0001
    sm = SecurityManager(
        cast(Any, aps),
        keys,
        NwkSecurityContext(keys, ieee, k),
        k,
        random.Random(1),
        ieee,
        SecurityManagerConfig(),
        is_router=lambda: True,
        leave_child=lambda short: None,
    )
    sm.auth = AuthState.AUTHENTICATED
    sm.trust_center = 0x00AA_0000_0000_0C00
    return sm, aps, k


def _update_devices(aps: _StubAps) -> list[int]:
    return [c.device for c, _ in aps.commands if isinstance(c, UpdateDevice)]


def test_update_device_is_repeated_until_the_tunnel_comes() -> None:
    sm, aps, k = _router_manager()
    cfg = sm.config
    sm._update_device(0x1111, 0x0001, _JOIN)
    sm._update_device(0x2222, 0x0002, _JOIN)
    k.run(cfg.update_device_retry_us + 1)
    assert _update_devices(aps) == [0x1111, 0x2222, 0x1111, 0x2222]
    sm.tunnel_forwarded(0x1111)  # the trust center answered for the first child
    k.run(10 * cfg.update_device_retry_us)
    # the second one: update_device_attempts sends in all, then the child's own timeout acts
    assert _update_devices(aps) == [0x1111, 0x2222, 0x1111, 0x2222, 0x2222]
    assert cfg.update_device_attempts == 3
    assert sm.stats.update_devices_repeated == 3
    assert (cfg.update_device_attempts - 1) * cfg.update_device_retry_us < (
        cfg.network_key_timeout_us
    )


def test_rejoin_and_leave_reports_are_not_repeated_and_reset_stops_repeats() -> None:
    sm, aps, k = _router_manager()
    sm._update_device(0x1111, 1, UpdateDeviceStatus.STANDARD_DEVICE_SECURED_REJOIN)
    sm._update_device(0x2222, 2, UpdateDeviceStatus.DEVICE_LEFT)
    sm._update_device(0x3333, 3, _JOIN)
    sm.reset()  # we left the network ourselves
    k.run(30 * S)
    assert _update_devices(aps) == [0x1111, 0x2222, 0x3333]


def test_a_lost_association_response_ack_does_not_cost_the_join() -> None:
    w = World(seed=1, security=True, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node("r", "router", (10.0, 0.0), join_at_us=1 * S)
    dropped = drop_first_ack_of(w, "r")
    w.run(6 * S)
    assert dropped  # the coordinator never heard the ACK of its Association Response ...
    assert c.nwk.stats.association_ack_lost == 1
    # ... kept the router as a child, gave it the key: joined on the first attempt
    assert r.state == NodeState.JOINED and r.authenticated and w.parent_of(r) is c
    assert r.stats.join_attempts == 1 and r.stats.authentication_failures == 0
    e = c.nwk.neighbors.get(r.nwk.address)
    assert e is not None and e.relationship == Relationship.CHILD


def test_a_kept_child_that_is_not_there_blocks_no_join() -> None:
    """The Association Response itself was lost: the device never joined. Kept after the
    NO_ACK, it holds no join slot: the parent still advertises capacity and the device joins
    at its next attempt (before, the slot stayed taken until its entry expired)."""
    w = World(seed=1, security=True, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node("r", "router", (10.0, 0.0), join_at_us=1 * S)
    target = w.radios["r"]
    lost: list[int] = []

    def drop(sender: Radio, radio: Radio, psdu: bytes) -> bytes | None:
        # the first frame the coordinator sends the joiner by its extended address: the
        # Association Response; then everything to it until the NO_ACK is through
        if (
            radio is target
            and sender is w.radios["c"]
            and not lost
            and len(psdu) > 20
            and psdu[0] & 7 == FrameType.MAC_COMMAND
        ):
            lost.append(w.now_us)
            return None
        return psdu

    w.medium.rx_filter = drop
    w.run(1 * S)
    while not lost:
        w.run(w.now_us + 10_000)
    w.run(w.now_us + 100_000)
    assert c.nwk.stats.association_ack_lost == 1
    assert c.nwk.join_parent.end_device_capacity() and c.nwk.join_parent.router_capacity()
    w.run(8 * S)
    assert r.state == NodeState.JOINED and r.stats.join_attempts >= 2
    assert r.stats.authentication_failures == 0


def test_a_device_reported_gone_that_holds_the_network_key_gets_its_link_key() -> None:
    """A parent that misses a router child's first secured frames drops it as an
    unauthenticated child and reports it gone (Update-Device, device left), though it holds
    the network key. Its Request-Key (NWK-secured) makes the trust center take it back:
    before, every Request-Key was dropped as from an unknown device, for good."""
    w = World(seed=1, security=True, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node("r", "router", (10.0, 0.0), join_at_us=1 * S)
    w.run(10 * S)
    tc, sm = c.trust_center, r.security_manager
    assert tc is not None and sm is not None and r.has_unique_link_key
    tc.devices[r.eui64].authorized = False  # as after the parent's report
    tc.keys.remove_link_key(r.eui64)
    assert sm.trust_center is not None
    r.keys.remove_link_key(sm.trust_center)
    sm.link_key_state = LinkKeyState.GLOBAL
    sm.request_link_key()
    w.run(w.now_us + 5 * S)
    assert tc.devices[r.eui64].authorized
    assert r.has_unique_link_key and sm.link_key_state == LinkKeyState.VERIFIED
    assert "request_key_unknown_device" not in tc.stats.dropped
