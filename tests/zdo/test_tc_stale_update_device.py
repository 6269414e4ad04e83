"""A parent the device left may still repeat its Update-Device (it repeats until the trust
center's Tunnel comes, issue 7): arriving after the device joined elsewhere and verified its
unique link key, it reset that key at the trust center (a 60-node secured network ended with
one device holding a unique key the trust center had forgotten). So may the report of a
second association to the same parent (the first association response lost) whose first
report's network key the device took from its parent's queue: it verified before the second
report came. An unsecured-join report within ``stale_join_window_us`` of the verification is
ignored."""

from __future__ import annotations

import random
from typing import Any, cast

from zigmesh.aps.commands import UpdateDevice, UpdateDeviceStatus
from zigmesh.aps.frames import KeyId
from zigmesh.aps.primitives import ApsmeCommandIndication
from zigmesh.nwk.security import NwkSecurityContext
from zigmesh.security.keys import KeyStore
from zigmesh.sim.kernel import Kernel
from zigmesh.zdo.trust_center import TrustCenter

S = 1_000_000
DEVICE = 0x00AA_0000_0000_0D01
OLD_PARENT, NEW_PARENT = 0x1001, 0x2002
_JOIN = UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN


class _Security:
    def __init__(self) -> None:
        self.unverified: dict[int, bytes] = {}

    def forget_unverified(self, ieee: int) -> None:
        self.unverified.pop(ieee, None)


class _StubAps:
    def __init__(self) -> None:
        self.security = _Security()
        self.tunnels: list[tuple[int, int]] = []

    def note_device(self, short: int, ieee: int, rx_on: bool = True) -> None:
        pass

    def build_secured_command(self, command: object, **kw: Any) -> bytes:
        return b"k"

    def send_tunnel(self, parent: int, ieee: int, frame: bytes) -> None:
        self.tunnels.append((parent, ieee))

    def send_command(self, *a: Any, **kw: Any) -> None:
        pass


def _report(tc: TrustCenter, parent: int, short: int) -> None:
    ind = ApsmeCommandIndication(
        UpdateDevice(DEVICE, short, _JOIN), parent, None, KeyId.DATA_KEY, True, 255, 0
    )
    tc.on_command(ind)


def _tc() -> tuple[Kernel, _StubAps, TrustCenter]:
    k = Kernel()
    keys = KeyStore()
    aps = _StubAps()
    ieee = 0x00AA_0000_0000_0C00
    tc = TrustCenter(
        cast(Any, aps),
        keys,
        NwkSecurityContext(keys, ieee, k),
        k,
        random.Random(1),
        ieee,
        leave_child=lambda short: None,
        is_own_child=lambda ieee: False,
    )
    tc.form()
    return k, aps, tc


def test_stale_report_from_the_left_parent_keeps_the_verified_key() -> None:
    k, aps, tc = _tc()
    _report(tc, NEW_PARENT, 0x795A)
    assert aps.tunnels == [(NEW_PARENT, DEVICE)]
    dev = tc.devices[DEVICE]
    dev.unique_link_key, dev.verified_us = True, k.now()  # its Verify-Key came
    k.run(k.now() + 4 * S)
    _report(tc, OLD_PARENT, 0x7222)  # the parent it left, repeating
    assert (dev.short, dev.parent, dev.unique_link_key) == (0x795A, NEW_PARENT, True)
    assert tc.stats.dropped == {"update_device_stale": 1}
    assert aps.tunnels == [(NEW_PARENT, DEVICE)]
    # long after: a real new association (the device was reset) is served
    k.run(k.now() + tc.config.stale_join_window_us)
    _report(tc, OLD_PARENT, 0x7222)
    assert (dev.short, dev.parent, dev.unique_link_key) == (0x7222, OLD_PARENT, False)
    assert aps.tunnels[-1] == (OLD_PARENT, DEVICE)


def test_late_report_of_a_second_association_to_the_same_parent_keeps_the_key() -> None:
    k, aps, tc = _tc()
    _report(tc, NEW_PARENT, 0x374F)  # the first association's report (its response was lost)
    dev = tc.devices[DEVICE]
    k.run(k.now() + 5 * S)
    dev.unique_link_key, dev.verified_us = True, k.now()  # verified with the key it took
    k.run(k.now() + S // 5)
    _report(tc, NEW_PARENT, 0x374F)  # the second association's report, late
    assert (dev.short, dev.parent, dev.unique_link_key) == (0x374F, NEW_PARENT, True)
    assert tc.stats.dropped == {"update_device_stale": 1}
    assert aps.tunnels == [(NEW_PARENT, DEVICE)]
