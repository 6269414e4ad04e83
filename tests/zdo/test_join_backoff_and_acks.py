"""Joins back off after failed authentications, and the security commands to the trust
center go without APS ACK while a sleepy joiner polls for the answers (commit ed4d148)."""

from __future__ import annotations

import random
from typing import Any, cast

from zigmesh.aps.aps import Aps
from zigmesh.aps.commands import ApsCommand, RequestKey, UpdateDevice, UpdateDeviceStatus, VerifyKey
from zigmesh.node import Node, NodeState
from zigmesh.nwk.constants import MS, S
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.security.hashing import install_code_with_crc
from zigmesh.security.keys import KeyStore
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import MediumConfig
from zigmesh.sim.world import World
from zigmesh.zdo.security_manager import (
    AuthState,
    LinkKeyState,
    SecurityManager,
    SecurityManagerConfig,
)

IC_GOOD = install_code_with_crc(bytes.fromhex("83FED3407A939723A5C639B26916D505"))
IC_OTHER = install_code_with_crc(bytes.fromhex("11223344556677881122334455667788"))
SMALL_MEDIUM = MediumConfig(path_loss_exponent=3.3, shadowing_sigma_db=0.0)


# -- 16. join back-off --------------------------------------------------------------------------


def _delay_after_failure(node: Node) -> int:
    node.state = NodeState.AUTHENTICATING
    now = node.clock.now()
    node._authentication_failed()
    assert node.state == NodeState.OFF
    timer = node._timer
    assert timer is not None
    return int(timer.when) - now  # type: ignore[attr-defined]


def test_retry_delay_doubles_per_authentication_failure_up_to_the_cap() -> None:
    w = World(seed=1, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node("r", "router", (10.0, 0.0), join_at_us=100 * S)
    base = r.config.join_retry_us
    cap = r.config.join_backoff_max_us
    assert (base, cap) == (2 * S, 60 * S)
    seen = []
    for k in range(1, 10):
        d = _delay_after_failure(r)
        expect = min(base * 2**k, cap)
        assert expect <= d <= expect + expect // 2, (k, d)
        seen.append(d)
    assert seen[-1] <= cap * 3 // 2
    assert r.stats.authentication_failures == 9
    # the network key (a successful authentication) resets the count: the next failure waits
    # 2 x join_retry_us again
    r.state = NodeState.AUTHENTICATING
    r._auth_failures = 3
    r._authenticated()
    assert r._auth_failures == 0
    d = _delay_after_failure(r)
    assert 2 * base <= d <= 3 * base


def test_plain_retry_without_authentication_failure_is_not_backed_off() -> None:
    w = World(seed=1, medium=SMALL_MEDIUM)
    w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node("r", "router", (10.0, 0.0), join_at_us=100 * S)
    delays = []
    for _ in range(5):
        now = r.clock.now()
        r._retry()
        assert r._timer is not None
        delays.append(int(r._timer.when) - now)  # type: ignore[attr-defined]
    base = r.config.join_retry_us
    assert all(base <= d <= base + base // 2 for d in delays)


def test_refused_joiner_backs_off_then_joins_and_the_count_resets() -> None:
    w = World(seed=2, medium=SMALL_MEDIUM, require_install_codes=True)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node(
        "r",
        "router",
        (10.0, 0.0),
        join_at_us=1 * S,
        install_code=IC_GOOD,
        registered_install_code=IC_OTHER,
    )
    starts: list[int] = []
    failures: list[int] = []
    begin = r._begin
    retry_now = r._retry
    streak: list[int] = []

    def spy() -> None:
        starts.append(w.now_us)
        begin()

    def spy_retry() -> None:
        # _retry right after an authentication failure: the failure streak has just grown
        if r._auth_failures and (not streak or r._auth_failures > streak[-1]):
            failures.append(w.now_us)
            streak.append(r._auth_failures)
        retry_now()

    r._begin = spy  # type: ignore[method-assign]
    r._retry = spy_retry  # type: ignore[method-assign]
    w.run(1 * S + 1)
    w.run(90 * S)
    assert not r.joined and r.stats.authentication_failures >= 2
    assert r._auth_failures == r.stats.authentication_failures
    # the pause after the k-th refused join in a row is at least 2**k x join_retry_us
    retry = r.config.join_retry_us
    checked = 0
    for k, t in enumerate(failures, start=1):
        later = [b for b in starts if b > t]
        if later:
            assert later[0] - t >= (retry << k), (k, later[0] - t)
            checked += 1
    assert checked >= 2
    # the trust center learns the right code: the next attempt joins, and the count resets
    assert c.trust_center is not None
    c.trust_center.add_install_code(r.eui64, IC_GOOD)
    w.run(w.now_us + 120 * S)
    assert r.joined and r.authenticated
    assert r._auth_failures == 0


# -- 17. security commands to the trust center: no APS ACK; sleepy joiners poll ------------------


def _spy_commands(node: Node, log: list[tuple[str, type, bool]]) -> None:
    real = node.aps.send_command

    def spy(command: ApsCommand, dst_address: int, **kw: Any) -> None:
        log.append((node.name, type(command), bool(kw.get("ack", False))))
        real(command, dst_address, **kw)

    node.aps.send_command = spy  # type: ignore[method-assign]


def _secured_line() -> tuple[World, Node, Node, Node, list[tuple[str, type, bool]], list[int]]:
    """c - r - e on a line 25 m apart (e hears only r); e sleeps, polls every 30 s."""
    w = World(seed=4, medium=SMALL_MEDIUM)
    c = w.add_node("c", "coordinator", (0.0, 0.0))
    r = w.add_node("r", "router", (25.0, 0.0), join_at_us=1 * S)
    e = w.add_node("e", "end_device", (50.0, 0.0), join_at_us=8 * S, poll_interval_us=30 * S)
    log: list[tuple[str, type, bool]] = []
    for n in (c, r, e):
        _spy_commands(n, log)
    polls: list[int] = []
    real_poll = e.mac.mlme_poll_request

    def poll(*args: Any, **kw: Any) -> None:
        polls.append(w.now_us)
        real_poll(*args, **kw)

    e.mac.mlme_poll_request = poll  # type: ignore[method-assign]
    return w, c, r, e, log, polls


def test_update_device_request_key_and_verify_key_ask_for_no_ack() -> None:
    w, c, r, e, log, _ = _secured_line()
    w.run(25 * S)
    assert w.all_joined() and w.parent_of(e) is r
    kinds = {(name, kind) for name, kind, _ in log}
    assert ("r", UpdateDevice) in kinds
    for name in ("r", "e"):
        assert (name, RequestKey) in kinds and (name, VerifyKey) in kinds
    to_tc = [x for x in log if x[1] in (UpdateDevice, RequestKey, VerifyKey)]
    assert to_tc and not any(ack for _, _, ack in to_tc), to_tc
    assert e.security_manager is not None
    assert e.security_manager.link_key_state == LinkKeyState.VERIFIED


def test_sleepy_joiner_polls_for_its_keys_then_stops() -> None:
    w, c, r, e, log, polls = _secured_line()
    interval = e.aps.config.ack_poll_interval_us
    sm = e.security_manager
    assert sm is not None
    w.run(8 * S)
    while e.state != NodeState.AUTHENTICATING:
        w.run(w.now_us + 10 * MS)
    associated = w.now_us
    w.run(25 * S)
    assert e.joined and e.authenticated
    assert sm.link_key_state == LinkKeyState.VERIFIED
    done_at = w.now_us
    # with 30 s between its own polls it got the network key and both answers of the link
    # key exchange within a couple of seconds: it polled every ack_poll_interval meanwhile
    assert polls and polls[0] - associated <= interval + 20 * MS
    assert len(polls) >= 3 and polls[-1] - associated < 3 * S
    gaps = [b - a for a, b in zip(polls, polls[1:], strict=False)]
    assert sum(1 for g in gaps if interval - 5 * MS <= g <= interval + 50 * MS) >= 2
    # done: back to its own poll period
    before = len(polls)
    w.run(done_at + 29 * S)
    assert len(polls) - before <= 1


class _PollNwk:
    """Just enough NWK for an APS that only polls: counts NLME-SYNC requests."""

    def __init__(self, clock: Kernel, rx_on: bool) -> None:
        self.clock = clock
        self.ieee = 0x00AA_0000_0000_0ED1
        self.rx_on_when_idle = rx_on
        self.polls: list[int] = []

    def nlme_sync_request(self, track: bool = False) -> None:
        self.polls.append(self.clock.now())


def _aps(rx_on: bool = False) -> tuple[Aps, _PollNwk, Kernel]:
    k = Kernel()
    nwk = _PollNwk(k, rx_on)
    return Aps(nwk, k, random.Random(1), KeyStore()), nwk, k  # type: ignore[arg-type]


def test_aps_expect_response_polls_until_answered_or_expired() -> None:
    aps, nwk, k = _aps()
    interval = aps.config.ack_poll_interval_us
    aps.expect_response(2 * S)
    k.run(2 * S + interval)
    assert nwk.polls == [i * interval for i in range(1, 2 * S // interval)]  # until 2 s
    # answered early: polling stops at once
    nwk.polls.clear()
    aps.expect_response(2 * S)
    k.run(k.now() + 3 * interval)
    assert len(nwk.polls) == 3
    aps.expect_response(0)
    k.run(k.now() + 5 * S)
    assert len(nwk.polls) == 3
    # an rx-on device never polls for it
    aps2, nwk2, k2 = _aps(rx_on=True)
    aps2.expect_response(2 * S)
    k2.run(3 * S)
    assert nwk2.polls == []


def test_sleepy_joiner_stops_polling_once_the_network_key_came() -> None:
    """Without the link key exchange the network key ends the polling at once."""
    w, c, r, e, log, polls = _secured_line()
    assert e.security_manager is not None
    e.security_manager.config = SecurityManagerConfig(request_unique_link_key=False)
    w.run(25 * S)
    assert e.joined and e.authenticated
    assert polls and polls[-1] < 10 * S
    before = len(polls)
    w.run(w.now_us + 25 * S)
    assert len(polls) - before <= 1


class _StubAps:
    """Records what a SecurityManager asks of the APS layer."""

    def __init__(self) -> None:
        self.commands: list[tuple[type, dict[str, Any]]] = []
        self.expects: list[int] = []

    def send_command(self, command: ApsCommand, dst_address: int, **kw: Any) -> None:
        self.commands.append((type(command), kw))

    def build_secured_command(self, command: ApsCommand, **kw: Any) -> bytes:
        return b""

    def note_device(self, short: int, ieee: int, rx_on_when_idle: bool | None = None) -> None:
        pass

    def expect_response(self, duration_us: int, owner: object = None) -> None:
        self.expects.append(duration_us)


def test_security_manager_commands_to_tc_without_ack_each_awaiting_its_answer() -> None:
    k = Kernel()
    aps = _StubAps()
    keys = KeyStore()
    ieee = 0x00AA_0000_0000_0001
    cfg = SecurityManagerConfig()
    sm = SecurityManager(
        cast(Any, aps),
        keys,
        NwkSecurityContext(keys, ieee, k),
        k,
        random.Random(1),
        ieee,
        cfg,
        is_router=lambda: True,
        leave_child=lambda short: None,
    )
    sm.joined()
    assert sm.auth == AuthState.WAITING_NETWORK_KEY
    assert aps.expects == [cfg.network_key_timeout_us]
    # as if the network key came from the trust center
    sm.auth = AuthState.AUTHENTICATED
    sm.trust_center = 0x00AA_0000_0000_0C00
    aps.expects.clear()
    sm._update_device(0x1234, 0x5678, UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN)
    sm.request_link_key()
    k.run(cfg.link_key_delay_us + 1)
    sm._send_verify(bytes(16))
    kinds = [kind for kind, _ in aps.commands]
    assert kinds == [UpdateDevice, RequestKey, VerifyKey]
    assert not any(kw.get("ack", False) for _, kw in aps.commands)
    # Request-Key and Verify-Key each await their answer (a sleepy device polls for it)
    assert aps.expects == [cfg.link_key_timeout_us, cfg.link_key_timeout_us]
