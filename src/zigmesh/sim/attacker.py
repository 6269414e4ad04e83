"""An attacker radio in a :class:`~zigmesh.sim.world.World`: sniff, inject, replay, flood, jam.

>>> atk = Attacker(world, (8.0, 5.0))              # a radio of its own, listening
>>> atk.sniff(lambda f: print(f.time_us, f.rssi_dbm, f.lqi, f.psdu.hex()))
>>> atk.inject(psdu)                                 # raw PSDU (FCS included), sent at once
>>> atk.replay("capture.pcap", start_us=world.now_us + 1_000_000)
>>> atk.flood("beacon", rate_hz=200, start_us=..., stop_us=...)
>>> atk.jam(power_dbm=10, duty_cycle=0.5, start_us=..., stop_us=...)

The attacker is an observer and a transmitter on the medium, not a node: it sends no ACKs,
does no CSMA (a frame goes on the air the moment the radio is free; frames asked for while
it transmits wait in a bounded queue) and hears what its own radio hears (a frame overlapping
one it is receiving or sending is missed, as a real sniffer misses it). Its frames are on the
capture like any other. Floods forge frames with what a sniffer learns in seconds: the
network's PAN ID and extended PAN ID (from the coordinator) and the routers' short addresses.
Randomness (forged addresses, sequence numbers, mutations) comes from a ``random.Random``
derived from the world's seed and the attacker's EUI-64.
"""

from __future__ import annotations

import hashlib
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from zigmesh.capture.pcap import PcapRecord, read_pcap
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.commands import (
    AssociationRequest,
    BeaconRequest,
    CapabilityInformation,
    DataRequest,
)
from zigmesh.mac.fcs import append_fcs
from zigmesh.mac.frames import Beacon, MacFrame, SuperframeSpec
from zigmesh.node import Role
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.phy import MAX_PSDU, RadioState, airtime_us
from zigmesh.sim.jammer import DEFAULT_PERIOD_US, Jammer
from zigmesh.sim.kernel import Timer
from zigmesh.sim.medium import Position, Radio
from zigmesh.sim.world import World

__all__ = [
    "FLOOD_KINDS",
    "Attacker",
    "Flood",
    "SniffedFrame",
    "add_jammer",
    "mutate",
    "mutate_bytes",
]

#: first EUI-64 given to attacker radios (then +1 for each one the medium does not hold yet)
ATTACKER_EUI64_BASE = 0xBAD0_0000_0000_0001
#: frames waiting for the radio beyond this are dropped (counted in ``queue_dropped``)
MAX_QUEUE = 256
#: what :meth:`Attacker.flood` forges
FLOOD_KINDS = ("beacon_request", "beacon", "association_request", "data_request")


@dataclass(frozen=True, slots=True)
class SniffedFrame:
    """A frame the attacker's radio received: start time (us, as a capture has it), PSDU with
    FCS, RSSI (dBm), LQI and channel."""

    time_us: int
    psdu: bytes
    rssi_dbm: int
    lqi: int
    channel: int


class Flood:
    """A running flood of forged frames (see :meth:`Attacker.flood`); ``sent`` counts them."""

    def __init__(self, attacker: Attacker, kind: str, rate_hz: float, stop_us: int | None):
        self.attacker = attacker
        self.kind = kind
        self.interval_us = max(round(1_000_000 / rate_hz), 1)
        self.stop_us = stop_us
        self.sent = 0
        self._timer: Timer | None = None

    def start(self) -> None:
        self._fire()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.stop_us = self.attacker.world.now_us

    def _fire(self) -> None:
        now = self.attacker.world.now_us
        if self.stop_us is not None and now >= self.stop_us:
            return
        psdu = self.attacker.forge(self.kind)
        if psdu is not None and self.attacker.inject(psdu):
            self.sent += 1
        self._timer = self.attacker.world.kernel.call_at(now + self.interval_us, self._fire)


class Attacker:
    """An attacker radio at ``position`` on ``channel`` (default the world's), listening."""

    def __init__(
        self,
        world: World,
        position: Position,
        *,
        channel: int | None = None,
        tx_power_dbm: float = 0.0,
        name: str = "attacker",
    ) -> None:
        self.world = world
        self.name = name
        medium = world.medium
        self.radio: Radio = medium.add_radio(
            _free_eui64(world),
            position,
            tx_power_dbm,
            world.channel if channel is None else channel,
            RadioState.RX,
        )
        self.radio.set_user(self)
        seed = f"zigmesh.attacker.{world.seed}.{self.radio.eui64}".encode()
        self.rng = random.Random(hashlib.sha256(seed).digest())
        self._sniffers: list[Callable[[SniffedFrame], None]] = []
        self._queue: deque[bytes] = deque()
        self._recorded: list[bytes] | None = None
        #: frames heard, frames put on the air, frames dropped from a full queue
        self.sniffed = 0
        self.injected = 0
        self.queue_dropped = 0
        self.jammers: list[Jammer] = []
        self.floods: list[Flood] = []

    # -- listening ---------------------------------------------------------------------------

    def sniff(self, callback: Callable[[SniffedFrame], None]) -> None:
        """Call ``callback`` with every frame the attacker's radio receives from now on."""
        self._sniffers.append(callback)

    def record(self) -> list[bytes]:
        """Keep every frame heard from now on (the list returned grows); :meth:`replay_recorded`
        and the ``replay`` flood send them again."""
        if self._recorded is None:
            self._recorded = []
        return self._recorded

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        self.sniffed += 1
        if self._recorded is not None:
            self._recorded.append(psdu)
        if self._sniffers:
            now = self.world.now_us
            frame = SniffedFrame(
                now - airtime_us(len(psdu)), psdu, rssi_dbm, lqi, self.radio.channel
            )
            for cb in self._sniffers:
                cb(frame)

    def pd_tx_done(self) -> None:
        if self._queue:
            self._send(self._queue.popleft())

    # -- transmitting ------------------------------------------------------------------------

    def inject(self, psdu: bytes, *, add_fcs: bool = False) -> bool:
        """Put ``psdu`` (FCS included; ``add_fcs`` appends one) on the air now, or as soon as
        the radio is free; False when the queue was full and the frame dropped."""
        data = append_fcs(psdu) if add_fcs else bytes(psdu)
        if not 1 <= len(data) <= MAX_PSDU:
            raise LocalProtocolError(f"PSDU of {len(data)} bytes (1-{MAX_PSDU})")
        if self.radio.state == RadioState.TX or self._queue:
            if len(self._queue) >= MAX_QUEUE:
                self.queue_dropped += 1
                return False
            self._queue.append(data)
            return True
        self._send(data)
        return True

    def inject_at(self, t_us: int, psdu: bytes, *, add_fcs: bool = False) -> None:
        """:meth:`inject` at virtual time ``t_us``."""
        self.world.kernel.call_at(t_us, self._inject_quiet, psdu, add_fcs)

    def _inject_quiet(self, psdu: bytes, add_fcs: bool) -> None:
        self.inject(psdu, add_fcs=add_fcs)

    def _send(self, data: bytes) -> None:
        radio = self.radio
        if radio.state not in (RadioState.RX, RadioState.IDLE):
            radio.set_state(RadioState.RX)
        radio.transmit(data)
        self.injected += 1

    def replay(
        self,
        source: str | Path | Iterable[PcapRecord | bytes],
        *,
        start_us: int | None = None,
        interval_us: int | None = None,
        limit: int | None = None,
    ) -> int:
        """Schedule the frames of a pcap file (or records, or PSDUs) for sending again from
        ``start_us`` (default now): with their captured spacing, or ``interval_us`` apart
        (PSDUs without times are 10 ms apart by default). Returns how many were scheduled."""
        t0 = self.world.now_us if start_us is None else start_us
        records = read_pcap(source) if isinstance(source, str | Path) else source
        first: int | None = None
        n = 0
        for k, rec in enumerate(records):
            if limit is not None and n >= limit:
                break
            if isinstance(rec, PcapRecord):
                data, t = rec.data, rec.time_us
            else:
                data, t = bytes(rec), k * 10_000
            if not 1 <= len(data) <= MAX_PSDU:
                continue
            if first is None:
                first = t
            at = t0 + (k * interval_us if interval_us is not None else t - first)
            self.inject_at(at, data)
            n += 1
        return n

    # -- forging -----------------------------------------------------------------------------

    def forge(self, kind: str) -> bytes | None:
        """One forged frame of ``kind`` (:data:`FLOOD_KINDS`, or ``replay``: a frame heard
        since :meth:`record`) against the world's network; None while there is nothing to
        forge it from (no network formed yet, nothing recorded)."""
        rng = self.rng
        if kind == "replay":
            rec = self._recorded
            return rng.choice(rec) if rec else None
        if kind == "beacon_request":
            return MacFrame.command(
                BeaconRequest(), seq=rng.randrange(256), dst_pan=0xFFFF, dst_addr=0xFFFF
            ).encode()
        try:
            coord = self.world.coordinator
        except LocalProtocolError:
            return None
        if not coord.joined:
            return None
        pan = coord.mac.pib.mac_pan_id
        if kind == "beacon":
            payload = ZigbeeBeaconPayload(
                nwk_extended_pan_id=coord.nwk.nib.nwk_extended_pan_id,
                device_depth=rng.randrange(1, 5),
            )
            b = Beacon(superframe=SuperframeSpec(association_permit=True), payload=payload.encode())
            return MacFrame.beacon(
                pan, rng.randrange(1, 0xFFF0), b, seq=rng.randrange(256)
            ).encode()
        parents = [0x0000] + [
            n.network_address for n in self.world if n.role == Role.ROUTER and n.joined
        ]
        if kind == "association_request":
            return MacFrame.command(
                AssociationRequest(CapabilityInformation()),
                seq=rng.randrange(256),
                dst_pan=pan,
                dst_addr=rng.choice(parents),
                src_pan=0xFFFF,
                src_addr=rng.getrandbits(64) | 1,
                ack_request=True,
            ).encode()
        if kind == "data_request":
            return MacFrame.command(
                DataRequest(),
                seq=rng.randrange(256),
                dst_pan=pan,
                dst_addr=rng.choice(parents),
                src_addr=rng.randrange(1, 0xFFF8),
                ack_request=True,
            ).encode()
        raise LocalProtocolError(f"unknown flood kind {kind!r} (one of {', '.join(FLOOD_KINDS)})")

    def flood(
        self,
        kind: str,
        rate_hz: float,
        *,
        start_us: int | None = None,
        stop_us: int | None = None,
    ) -> Flood:
        """Send forged frames of ``kind`` (:data:`FLOOD_KINDS` or ``replay``) at ``rate_hz``
        from ``start_us`` (default now) until ``stop_us`` (default: for ever)."""
        if kind not in (*FLOOD_KINDS, "replay"):
            raise LocalProtocolError(
                f"unknown flood kind {kind!r} (one of {', '.join(FLOOD_KINDS)}, replay)"
            )
        if not rate_hz > 0.0:
            raise LocalProtocolError(f"flood rate must be > 0, got {rate_hz}")
        if kind == "replay":
            self.record()
        flood = Flood(self, kind, rate_hz, stop_us)
        self.floods.append(flood)
        t = self.world.now_us if start_us is None else max(start_us, self.world.now_us)
        self.world.kernel.call_at(t, flood.start)
        return flood

    def jam(
        self,
        power_dbm: float = 0.0,
        *,
        channel: int | None = None,
        duty_cycle: float = 1.0,
        period_us: int = DEFAULT_PERIOD_US,
        start_us: int | None = None,
        stop_us: int | None = None,
    ) -> Jammer:
        """Radiate noise from the attacker's position (:class:`~zigmesh.sim.jammer.Jammer`;
        a radio of its own at ``power_dbm``) from ``start_us`` (default now)."""
        return add_jammer(
            self.world,
            self.radio.position,
            power_dbm,
            channel=self.radio.channel if channel is None else channel,
            duty_cycle=duty_cycle,
            period_us=period_us,
            start_us=self.world.now_us if start_us is None else start_us,
            stop_us=stop_us,
            owner=self.jammers,
        )

    def move(self, position: Position) -> None:
        self.world.medium.move(self.radio, position)


def add_jammer(
    world: World,
    position: Position,
    power_dbm: float,
    *,
    channel: int | None = None,
    duty_cycle: float = 1.0,
    period_us: int = DEFAULT_PERIOD_US,
    start_us: int | None = None,
    stop_us: int | None = None,
    owner: list[Jammer] | None = None,
) -> Jammer:
    """A :class:`~zigmesh.sim.jammer.Jammer` on a radio of its own at ``position``."""
    ch = world.channel if channel is None else channel
    radio = world.medium.add_radio(_free_eui64(world), position, power_dbm, ch, RadioState.SLEEP)
    jammer = Jammer(
        world.medium,
        radio,
        channel=ch,
        duty_cycle=duty_cycle,
        period_us=period_us,
        start_us=start_us,
        stop_us=stop_us,
    )
    if owner is not None:
        owner.append(jammer)
    return jammer


def _free_eui64(world: World) -> int:
    eui = ATTACKER_EUI64_BASE
    taken = {r.eui64 for r in world.medium.radios}
    while eui in taken:
        eui += 1
    return eui


def mutate(psdu: bytes, rng: random.Random, *, keep_fcs_valid: bool = True) -> bytes:
    """A mutated copy of ``psdu`` (FCS included): :func:`mutate_bytes` on the MPDU, then the
    FCS recomputed (``keep_fcs_valid``, so the frame reaches the layers above the MAC) or
    random. The result is 5-127 bytes."""
    body = mutate_bytes(psdu[:-2] if len(psdu) > 2 else psdu, rng, MAX_PSDU - 2)
    if len(body) < 3:
        body += rng.randbytes(3 - len(body))
    if keep_fcs_valid:
        return append_fcs(body)
    return body + rng.randbytes(2)


def mutate_bytes(data: bytes, rng: random.Random, max_len: int = MAX_PSDU) -> bytes:
    """``data`` with one to three mutations: a bit flip, a random byte, truncation, random
    bytes appended, a byte inserted or deleted, a header byte (first 24) set to 0x00 / 0xFF;
    at most ``max_len`` bytes."""
    body = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(7)
        n = len(body)
        if op == 0 and n:
            i = rng.randrange(n)
            body[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:
            body[rng.randrange(n)] = rng.randrange(256)
        elif op == 2 and n > 3:
            del body[rng.randrange(3, n) :]
        elif op == 3:
            body += rng.randbytes(rng.randint(1, 8))
        elif op == 4:
            body.insert(rng.randrange(n + 1), rng.randrange(256))
        elif op == 5 and n > 3:
            del body[rng.randrange(n)]
        elif n:
            body[rng.randrange(min(n, 24))] = rng.choice((0x00, 0xFF))
    del body[max_len:]
    return bytes(body)
