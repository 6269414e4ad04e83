"""The simulated radio medium: propagation, airtime, interference, CCA (DESIGN.md section 5).

Model
-----
* Path loss: log-distance, ``PL(d) = PL0 + 10 n log10(d / d0)`` (``PL(d) = PL0`` below ``d0``);
  defaults are ns-3's ``LogDistancePropagationLossModel`` (n = 3, PL0 = 46.6777 dB at 1 m).
* Shadowing: one log-normal draw per link (zero-mean normal in dB, ``sigma`` configurable,
  clipped at ``clip`` sigmas so the spatial index radius bounds every link), derived from the
  medium seed and the two EUI-64s: deterministic, symmetric and independent of the order in
  which nodes are added. Optional fixed extra attenuation per link (walls, faults), settable at
  run time (``math.inf`` cuts the link).
* Received power = tx power (per radio) - path loss - shadowing - extra attenuation.
* Airtime: (6 + PSDU) x 32 us. Channels are independent. A frame ending at ``t`` is off the
  air before any other callback at ``t`` runs (``Kernel.call_at_early``), so back-to-back
  frames do not overlap.
* Reception: a radio in RX that is not already receiving locks on a frame starting on its
  channel when the frame is above the sensitivity and its SINR at that moment reaches the
  threshold. The frame is received when its SINR stays at or above the threshold over the whole
  airtime: interference is the sum (mW) of every other transmission on air on the channel, plus
  the noise floor. A radio that leaves RX, changes channel or starts transmitting loses the
  frame it is receiving; a frame that starts while a radio is asleep, idle, transmitting or
  busy receiving another frame is not received (no re-synchronisation on a stronger frame).
* Per received frame: RSSI (dBm, int: the frame's received power) and LQI 0-255, linear in the
  frame's SNR (its power over the noise floor) between ``lqi_sinr_min_db`` and
  ``lqi_sinr_max_db``. Interference decides whether a frame is received, not its LQI: radios
  whose MAC derives the LQI from the RSSI (TI's Z-Stack MAC: ``macRadioComputeLQI`` ignores the
  correlation value) report the strength of the link, so link costs (Zigbee 3.6.3.1) follow
  the link, not the traffic that happened to overlap a frame.
* CCA (mode 1): busy when the total power on the channel (transmissions + noise) reached the
  ED threshold at any time during the last CCA_US (128 us).

Cost
----
Each radio keeps, lazily, the radios its transmissions reach above ``sensitivity - margin``
as links in two pairs of parallel lists (receiver records, mW), audible and interference-only
(parallel lists, not a list of tuples: 16 bytes a link instead of about 70; built from a
uniform grid whose cell is the largest such distance; invalidated around a radio that is added
or moved, or whose tx power or link attenuation changes; without shadowing, links of equal
power share one float). A transmission walks those lists twice (start and end) and schedules
one kernel event (its end), so its cost grows with neighbours, not network size. While every
radio is on the frame's channel the walks skip the per-receiver channel test. A delivery's
RSSI and LQI are memoised per received power; the SINR is computed only for frames that met
interference (or whose clean SINR sits within rounding distance of the threshold), so the
delivery decisions are exactly those of the formulas above.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence

from zigmesh.errors import LocalProtocolError
from zigmesh.phy import (
    BYTE_US,
    CCA_US,
    CHANNELS,
    MAX_PSDU,
    SHR_PHR_BYTES,
    PhyUser,
    RadioState,
    ed_level,
)
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.propagation import CaptureSink, MediumConfig, Position, RxFilter
from zigmesh.sim.propagation import dbm_to_mw as _mw

__all__ = ["CaptureSink", "Medium", "MediumConfig", "Position", "Radio", "RxFilter", "Transmission"]

_IDLE = int(RadioState.IDLE)
_RX = int(RadioState.RX)
_TX = int(RadioState.TX)
_LONG_AGO = -(1 << 62)
_U64 = struct.Struct("<Q")
#: interference below noise x this over a frame counts as none (see ``Medium._quality``)
_CLEAN_REL = 1e-7
#: bound on the per-medium memos keyed by link power (cleared when they reach it)
_MEMO_MAX = 1 << 18

class _Rx:
    """The receiver state the per-frame loops touch, kept apart from the rest of ``Radio`` so
    that the records of all radios are small and packed together (cache-friendly)."""

    __slots__ = ("ch", "tot", "peak", "lock", "state", "lock_p", "cca_hold", "radio")

    def __init__(self, radio: Radio, channel: int, state: int) -> None:
        self.ch = channel
        #: received power (mW) of the transmissions on air on this channel
        self.tot = 0.0
        #: highest ``tot`` since the current lock began (interference = peak - lock_p)
        self.peak = 0.0
        #: the frame being received, and its power (mW)
        self.lock: Transmission | None = None
        self.lock_p = 0.0
        self.state = state
        #: end time of the last moment ``tot`` reached the CCA threshold
        self.cca_hold = _LONG_AGO
        self.radio = radio


class Transmission:
    """One PPDU on air, with the neighbour lists captured when it started.

    The medium builds it with ``aud`` and ``far``, the sender's links (parallel lists of
    receiver records and mW) at or above the sensitivity and below it; ``rxs``/``powers`` alone make every link audible.
    """

    __slots__ = ("sender", "channel", "psdu", "start", "end", "aud", "far", "locked")

    def __init__(
        self,
        sender: Radio,
        channel: int,
        psdu: bytes,
        start: int,
        end: int,
        rxs: Sequence[_Rx] = (),
        powers: Sequence[float] = (),
        aud: tuple[list[_Rx], list[float]] | None = None,
        far: tuple[list[_Rx], list[float]] | None = None,
    ) -> None:
        self.sender = sender
        self.channel = channel
        self.psdu = psdu
        self.start = start
        self.end = end
        self.aud: tuple[list[_Rx], list[float]] = (
            (list(rxs), list(powers)) if aud is None else aud
        )
        self.far: tuple[list[_Rx], list[float]] = ([], []) if far is None else far
        #: receivers that synchronised on this frame (they may lose it before the end)
        self.locked: list[_Rx] = []

    @property
    def rxs(self) -> list[_Rx]:
        """Receiver records this frame reaches, by radio index."""
        return [r for r, _ in sorted([*zip(*self.aud, strict=True), *zip(*self.far, strict=True)], key=_link_index)]

    @property
    def powers(self) -> list[float]:
        """Received power (mW) at each of ``rxs``."""
        return [p for _, p in sorted([*zip(*self.aud, strict=True), *zip(*self.far, strict=True)], key=_link_index)]


class Radio:
    """One node's transceiver on the medium; implements :class:`zigmesh.phy.Phy`."""

    __slots__ = (
        "_rx",
        "_user",
        "medium",
        "index",
        "eui64",
        "_kernel",
        "_x",
        "_y",
        "_z",
        "_key",
        "_tx_dbm",
        "_since",
        "_times",
        "_aud",
        "_far",
        "tx_frames",
        "rx_frames",
        "rx_lost",
    )

    def __init__(
        self,
        medium: Medium,
        index: int,
        eui64: int,
        position: tuple[float, float, float],
        tx_power_dbm: float,
        channel: int,
        state: RadioState,
    ) -> None:
        self._rx = _Rx(self, channel, int(state))
        self.medium = medium
        self.index = index
        self.eui64 = eui64
        self._kernel = medium.kernel
        self._user: PhyUser | None = None
        self._x, self._y, self._z = position
        self._key: tuple[int, int, int] | None = None
        self._tx_dbm = float(tx_power_dbm)
        self._since = self._kernel.now()
        self._times = [0, 0, 0, 0]
        # links (receiver record, mW), by index: audible (>= sensitivity; None until built or
        # after an invalidation) and the rest (interference only)
        self._aud: tuple[list[_Rx], list[float]] | None = None
        self._far: tuple[list[_Rx], list[float]] = ([], [])
        #: frames this radio sent / received / lost to interference after locking on them
        self.tx_frames = 0
        self.rx_frames = 0
        self.rx_lost = 0

    def __repr__(self) -> str:
        return f"Radio(index={self.index}, eui64={self.eui64:#018x}, state={self.state.name})"

    # --- Phy protocol -------------------------------------------------------------------

    @property
    def channel(self) -> int:
        return self._rx.ch

    @channel.setter
    def channel(self, value: int) -> None:
        if value not in CHANNELS:
            raise LocalProtocolError(f"channel {value} not in 11-26")
        rx = self._rx
        if rx.state == _TX:
            raise LocalProtocolError("cannot change channel while transmitting")
        if value != rx.ch:
            counts = self.medium._ch_count
            counts[rx.ch] -= 1
            counts[value] += 1
            rx.ch = value
            rx.lock = None
            rx.cca_hold = _LONG_AGO
            self.medium._retune(self)

    @property
    def tx_power_dbm(self) -> float:
        return self._tx_dbm

    @tx_power_dbm.setter
    def tx_power_dbm(self, value: float) -> None:
        self._tx_dbm = float(value)
        self.medium._tx_power_changed(self)

    @property
    def state(self) -> RadioState:
        return RadioState(self._rx.state)

    def set_user(self, user: PhyUser | None) -> None:
        self._user = user

    def set_state(self, state: RadioState) -> None:
        new = int(state)
        rx = self._rx
        old = rx.state
        if old == _TX:
            raise LocalProtocolError("cannot change state while transmitting")
        if new == _TX:
            raise LocalProtocolError("TX is entered through transmit()")
        if new == old:
            return
        now = self._kernel._now
        self._times[old] += now - self._since
        self._since = now
        rx.state = new
        if new != _RX:
            rx.lock = None

    def transmit(self, psdu: bytes) -> int:
        me = self._rx
        st = me.state
        if st != _RX and st != _IDLE:
            raise LocalProtocolError(f"transmit() in state {RadioState(st).name}")
        n = len(psdu)
        if n == 0 or n > MAX_PSDU:
            raise LocalProtocolError(f"PSDU of {n} bytes (1-{MAX_PSDU})")
        medium = self.medium
        kernel = self._kernel
        now = kernel._now
        end = now + (SHR_PHR_BYTES + n) * BYTE_US
        aud = self._aud
        if aud is None:
            aud = medium._build_neighbours(self)
        far = self._far
        self._times[st] += now - self._since
        self._since = now
        me.state = _TX
        me.lock = None
        ch = me.ch
        tx = Transmission(self, ch, psdu, now, end, (), (), aud, far)
        medium._active[tx] = None
        if medium.capture is not None:
            medium.capture.write(now, psdu)
        noise = medium._noise_mw
        thr = medium._sinr_thr
        locked = tx.locked
        rx_on = _RX
        if medium._ch_count[ch] == len(medium.radios):
            # every radio is on this channel: no per-receiver channel test
            # radios below sensitivity: interference only
            for r, p in zip(*far, strict=True):
                s = r.tot + p
                r.tot = s
                if r.lock is not None and s > r.peak:
                    r.peak = s
            # audible radios: those listening and free synchronise if the SINR allows it (a
            # locked radio is always in RX: leaving RX or transmitting drops the lock)
            for r, p in zip(*aud, strict=True):
                s = r.tot + p
                r.tot = s
                if r.state == rx_on:
                    if r.lock is None:
                        if p >= thr * (noise + s - p):
                            r.lock = tx
                            r.lock_p = p
                            r.peak = s
                            locked.append(r)
                    elif s > r.peak:
                        r.peak = s
        else:
            for r, p in zip(*far, strict=True):
                if r.ch == ch:
                    s = r.tot + p
                    r.tot = s
                    if r.lock is not None and s > r.peak:
                        r.peak = s
            for r, p in zip(*aud, strict=True):
                if r.ch == ch:
                    s = r.tot + p
                    r.tot = s
                    if r.state == rx_on:
                        if r.lock is None:
                            if p >= thr * (noise + s - p):
                                r.lock = tx
                                r.lock_p = p
                                r.peak = s
                                locked.append(r)
                        elif s > r.peak:
                            r.peak = s
        kernel.call_at_early(end, medium._end, tx)
        return end

    def cca(self) -> bool:
        rx = self._rx
        if rx.state != _RX:
            raise LocalProtocolError(f"cca() needs RX, radio is {self.state.name}")
        if rx.tot >= self.medium._cca_cut:
            return False
        return self._kernel._now - rx.cca_hold >= CCA_US

    def energy_detect(self) -> int:
        rx = self._rx
        if rx.state != _RX:
            raise LocalProtocolError(f"energy_detect() needs RX, radio is {self.state.name}")
        medium = self.medium
        total = max(rx.tot, 0.0) + medium._noise_mw
        return ed_level(10.0 * math.log10(total), medium.config.sensitivity_dbm)

    # --- simulator-side API ---------------------------------------------------------------

    @property
    def user(self) -> PhyUser | None:
        return self._user

    @property
    def position(self) -> tuple[float, float, float]:
        return (self._x, self._y, self._z)

    @property
    def receiving(self) -> bool:
        """True while locked on a frame."""
        return self._rx.lock is not None

    def power_on_air_dbm(self) -> float:
        """Total received power now on this radio's channel, noise floor included."""
        return 10.0 * math.log10(max(self._rx.tot, 0.0) + self.medium._noise_mw)

    def state_time_us(self, state: RadioState) -> int:
        """Time spent in ``state`` since the radio was added, up to now."""
        t = self._times[int(state)]
        if self._rx.state == int(state):
            t += self._kernel._now - self._since
        return t

    def state_times(self) -> dict[RadioState, int]:
        """Time spent in each state up to now (feeds ``zigmesh.sim.energy``)."""
        return {s: self.state_time_us(s) for s in RadioState}

    def neighbours(self) -> list[tuple[Radio, float]]:
        """Radios this one's transmissions reach above sensitivity - margin, with dBm."""
        aud = self._aud
        if aud is None:
            aud = self.medium._build_neighbours(self)
        links = sorted([*zip(*aud, strict=True), *zip(*self._far, strict=True)], key=_link_index)
        return [(r.radio, 10.0 * math.log10(p)) for r, p in links]


def _cell_offsets() -> tuple[tuple[int, int, int], ...]:
    return tuple((dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1))


_OFFSETS = _cell_offsets()


class Medium:
    """All radios sharing the 2.4 GHz band in one simulation."""

    def __init__(
        self,
        kernel: Kernel,
        seed: int = 0,
        config: MediumConfig | None = None,
        capture: CaptureSink | None = None,
    ) -> None:
        self.kernel = kernel
        self.seed = seed
        self.config = cfg = config if config is not None else MediumConfig()
        #: every transmitted PSDU is written here with its start time (None: no capture)
        self.capture = capture
        #: optional fault injection on delivery (bit errors, drops); None: deliver as is
        self.rx_filter: RxFilter | None = None
        self.radios: list[Radio] = []
        self._by_eui: dict[int, Radio] = {}
        self._active: dict[Transmission, None] = {}
        self._atten: dict[tuple[int, int], float] = {}
        self._grid: dict[tuple[int, int, int], list[Radio]] | None = None
        self._cell = 1.0
        self._reach2 = 1.0
        self._grid_tx_dbm = -math.inf
        self._seed_bytes = hashlib.sha256(b"zigmesh.shadowing" + str(seed).encode()).digest()
        self._noise_mw = _mw(cfg.noise_floor_dbm)
        self._sinr_thr = _mw(cfg.sinr_threshold_db)
        self._cca_cut = _mw(cfg.cca_threshold_dbm) - self._noise_mw
        self._floor_dbm = cfg.sensitivity_dbm - cfg.interference_margin_db
        self._lqi_lo = cfg.lqi_sinr_min_db
        self._lqi_scale = 255.0 / (cfg.lqi_sinr_max_db - cfg.lqi_sinr_min_db)
        #: radios per channel (index 11-26): when one channel holds them all, the per-frame
        #: loops skip the per-receiver channel test
        self._ch_count = [0] * CHANNELS.stop
        #: received power (mW) -> (RSSI, LQI without interference or -1), see ``_quality``
        self._quality_of: dict[float, tuple[int, int, bool]] = {}
        #: without shadowing, one float object per distinct link power: links of equal length
        #: (regular layouts) share it, so the link lists take less memory and cache
        self._powers: dict[float, float] | None = {} if cfg.shadowing_sigma_db == 0.0 else None
        #: |interference| below this (mW) cannot change a delivery's outcome or LQI when the
        #: link's no-interference LQI is not -1 (it absorbs the rounding residue of ``tot``)
        self._clean_mw = self._noise_mw * _CLEAN_REL

    # --- building the network ---------------------------------------------------------

    def add_radio(
        self,
        eui64: int,
        position: Position,
        tx_power_dbm: float = 0.0,
        channel: int = 11,
        state: RadioState = RadioState.IDLE,
    ) -> Radio:
        """Add a radio at ``position`` (metres; z = 0 when 2-D). EUI-64s must be unique."""
        if not 0 <= eui64 <= 0xFFFF_FFFF_FFFF_FFFF:
            raise LocalProtocolError(f"EUI-64 out of range: {eui64:#x}")
        if eui64 in self._by_eui:
            raise LocalProtocolError(f"EUI-64 {eui64:#018x} already on the medium")
        if channel not in CHANNELS:
            raise LocalProtocolError(f"channel {channel} not in 11-26")
        radio = Radio(self, len(self.radios), eui64, _pos3(position), tx_power_dbm, channel, state)
        self.radios.append(radio)
        self._by_eui[eui64] = radio
        self._ch_count[channel] += 1
        grid = self._grid
        if grid is not None:
            if radio._tx_dbm > self._grid_tx_dbm:
                self._invalidate_all()
            else:
                key = self._key_of(radio)
                radio._key = key
                grid.setdefault(key, []).append(radio)
                self._invalidate_around(key)
        self._retune(radio)
        return radio

    def radio(self, eui64: int) -> Radio:
        """The radio with this EUI-64."""
        return self._by_eui[eui64]

    def move(self, radio: Radio, position: Position) -> None:
        """Move ``radio``; links are recomputed lazily (frames on air keep their powers)."""
        grid = self._grid
        old = radio._key
        radio._x, radio._y, radio._z = _pos3(position)
        radio._aud = None
        if grid is None or old is None:
            return
        grid[old].remove(radio)
        self._invalidate_around(old)
        key = self._key_of(radio)
        radio._key = key
        grid.setdefault(key, []).append(radio)
        self._invalidate_around(key)

    def set_link_attenuation(self, a: Radio, b: Radio, db: float) -> None:
        """Extra loss on the link a-b, both directions (>= 0; ``math.inf`` cuts it; 0 clears)."""
        if not db >= 0.0:
            raise LocalProtocolError(f"link attenuation must be >= 0 dB, got {db}")
        key = (a.index, b.index) if a.index < b.index else (b.index, a.index)
        if db == 0.0:
            self._atten.pop(key, None)
        else:
            self._atten[key] = db
        a._aud = None
        b._aud = None

    def link_attenuation(self, a: Radio, b: Radio) -> float:
        key = (a.index, b.index) if a.index < b.index else (b.index, a.index)
        return self._atten.get(key, 0.0)

    # --- link budget ----------------------------------------------------------------------

    def distance(self, a: Radio, b: Radio) -> float:
        return math.dist((a._x, a._y, a._z), (b._x, b._y, b._z))

    def shadowing_db(self, a: Radio, b: Radio) -> float:
        """The link's shadowing draw in dB (same both ways, fixed by the seed)."""
        sigma = self.config.shadowing_sigma_db
        if sigma == 0.0:
            return 0.0
        lo, hi = (a.eui64, b.eui64) if a.eui64 < b.eui64 else (b.eui64, a.eui64)
        h = hashlib.blake2b(
            lo.to_bytes(8, "little") + hi.to_bytes(8, "little"),
            digest_size=16,
            key=self._seed_bytes,
        ).digest()
        # Box-Muller on two 53-bit uniforms: u1 in (0, 1], u2 in [0, 1)
        u1 = ((_U64.unpack_from(h, 0)[0] >> 11) + 1) / 9007199254740992.0
        u2 = (_U64.unpack_from(h, 8)[0] >> 11) / 9007199254740992.0
        z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        clip = self.config.shadowing_clip_sigmas
        z = -clip if z < -clip else clip if z > clip else z
        return z * sigma

    def link_loss_db(self, a: Radio, b: Radio) -> float:
        """Path loss + shadowing + extra attenuation between a and b (symmetric)."""
        return (
            self.config.path_loss_db(self.distance(a, b))
            + self.shadowing_db(a, b)
            + self.link_attenuation(a, b)
        )

    def rx_power_dbm(self, sender: Radio, receiver: Radio) -> float:
        """Power of ``sender``'s transmissions at ``receiver``."""
        return sender._tx_dbm - self.link_loss_db(sender, receiver)

    @property
    def on_air(self) -> int:
        """Number of transmissions in progress."""
        return len(self._active)

    # --- internals ----------------------------------------------------------------------

    def _end(self, tx: Transmission) -> None:
        """End of a transmission: the one kernel event per frame."""
        del self._active[tx]
        ch = tx.channel
        end = tx.end
        cut = self._cca_cut
        if self._ch_count[ch] == len(self.radios):
            for r, p in zip(*tx.aud, strict=True):
                s = r.tot
                if s >= cut:
                    r.cca_hold = end
                r.tot = s - p
            for r, p in zip(*tx.far, strict=True):
                s = r.tot
                if s >= cut:
                    r.cca_hold = end
                r.tot = s - p
        else:
            for r, p in zip(*tx.aud, strict=True):
                if r.ch == ch:
                    s = r.tot
                    if s >= cut:
                        r.cca_hold = end
                    r.tot = s - p
            for r, p in zip(*tx.far, strict=True):
                if r.ch == ch:
                    s = r.tot
                    if s >= cut:
                        r.cca_hold = end
                    r.tot = s - p
        got: list[tuple[_Rx, float, float]] | None = None
        locked = tx.locked
        if locked:
            # snapshot (power, interference) before any callback can lock these radios again
            got = []
            for r in locked:
                if r.lock is tx:
                    r.lock = None
                    p = r.lock_p
                    got.append((r, p, r.peak - p))
        sender = tx.sender
        sender._times[_TX] += end - sender._since
        sender._since = end
        sender._rx.state = _RX
        sender.tx_frames += 1
        user = sender._user
        if user is not None:
            user.pd_tx_done()
        if not got:
            return
        noise = self._noise_mw
        thr = self._sinr_thr
        clean = self._clean_mw
        unclean = -clean
        quality_of = self._quality_of
        rx_filter = self.rx_filter
        psdu = tx.psdu
        rx_on = _RX
        for r, p, i in got:
            q = quality_of.get(p) or self._quality(p)
            # interference (or a clean SINR on the threshold's edge): the exact SINR decides
            if (q[2] or i >= clean or i <= unclean) and p / (noise + i) < thr:
                r.radio.rx_lost += 1
                continue
            if r.state != rx_on:
                continue
            radio = r.radio
            data = psdu
            if rx_filter is not None:
                filtered = rx_filter(sender, radio, psdu)
                if filtered is None:
                    continue
                data = filtered
            radio.rx_frames += 1
            ruser = radio._user
            if ruser is not None:
                ruser.pd_data_indication(data, q[0], q[1])

    def _lqi(self, sinr: float) -> int:
        """LQI 0-255, linear in ``sinr`` (dB) over the configured range."""
        lqi = round((10.0 * math.log10(sinr) - self._lqi_lo) * self._lqi_scale)
        return 0 if lqi < 0 else 255 if lqi > 255 else lqi

    def _quality(self, p: float) -> tuple[int, int, bool]:
        """(RSSI, LQI, edge) of a frame received at ``p`` mW: the LQI from its SNR; ``edge``
        when an interference below ``_clean_mw`` could move the delivery decision (the clean
        SINR within 1e-6, relative, of the threshold): such frames get the exact SINR test."""
        noise = self._noise_mw
        sinr = p / noise
        q = (
            round(10.0 * math.log10(p)),
            self._lqi(sinr),
            sinr < self._sinr_thr * (1.0 + 1e-6),
        )
        if len(self._quality_of) >= _MEMO_MAX:
            self._quality_of.clear()
        self._quality_of[p] = q
        return q

    def _retune(self, radio: Radio) -> None:
        """Recompute a radio's on-air power after a channel change (or when added)."""
        s = 0.0
        me = radio._rx
        for tx in self._active:
            if tx.channel != me.ch:
                continue
            for r, p in [*zip(*tx.aud, strict=True), *zip(*tx.far, strict=True)]:
                if r is me:
                    s += p
                    break
        me.tot = s

    def _tx_power_changed(self, radio: Radio) -> None:
        if self._grid is not None and radio._tx_dbm > self._grid_tx_dbm:
            self._invalidate_all()
        else:
            radio._aud = None

    def _invalidate_all(self) -> None:
        self._grid = None
        for r in self.radios:
            r._aud = None
            r._key = None

    def _invalidate_around(self, key: tuple[int, int, int]) -> None:
        grid = self._grid
        if grid is None:
            return
        kx, ky, kz = key
        for dx, dy, dz in _OFFSETS:
            bucket = grid.get((kx + dx, ky + dy, kz + dz))
            if bucket:
                for r in bucket:
                    r._aud = None

    def _key_of(self, radio: Radio) -> tuple[int, int, int]:
        c = self._cell
        return (math.floor(radio._x / c), math.floor(radio._y / c), math.floor(radio._z / c))

    def _build_grid(self) -> dict[tuple[int, int, int], list[Radio]]:
        cfg = self.config
        max_tx = max((r._tx_dbm for r in self.radios), default=0.0)
        margin = max_tx - self._floor_dbm - cfg.reference_loss_db
        margin += cfg.shadowing_clip_sigmas * cfg.shadowing_sigma_db
        d0 = cfg.reference_distance_m
        reach = d0 * 10.0 ** (margin / (10.0 * cfg.path_loss_exponent))
        self._cell = max(reach, d0) * (1.0 + 1e-9)
        self._reach2 = self._cell * self._cell
        self._grid_tx_dbm = max_tx
        grid: dict[tuple[int, int, int], list[Radio]] = {}
        for r in self.radios:
            key = self._key_of(r)
            r._key = key
            grid.setdefault(key, []).append(r)
        self._grid = grid
        return grid

    def _build_neighbours(self, a: Radio) -> tuple[list[_Rx], list[float]]:
        grid = self._grid
        if grid is None:
            grid = self._build_grid()
        key = a._key
        if key is None:
            key = a._key = self._key_of(a)
        cfg = self.config
        floor = self._floor_dbm
        tx_dbm = a._tx_dbm
        pl0 = cfg.reference_loss_db
        n10 = 10.0 * cfg.path_loss_exponent
        d0 = cfg.reference_distance_m
        best_shadow = cfg.shadowing_clip_sigmas * cfg.shadowing_sigma_db
        atten = self._atten
        ax, ay, az = a._x, a._y, a._z
        kx, ky, kz = key
        cand: list[Radio] = []
        for dx, dy, dz in _OFFSETS:
            bucket = grid.get((kx + dx, ky + dy, kz + dz))
            if bucket:
                cand.extend(bucket)
        cand.sort(key=_index)
        sens = cfg.sensitivity_dbm
        aud_r: list[_Rx] = []
        aud_p: list[float] = []
        far_r: list[_Rx] = []
        far_p: list[float] = []
        powers = self._powers
        if powers is not None and len(powers) >= _MEMO_MAX:
            powers.clear()
        reach2 = self._reach2
        sqrt = math.sqrt
        log10 = math.log10
        for b in cand:
            d2 = (b._x - ax) ** 2 + (b._y - ay) ** 2 + (b._z - az) ** 2
            if d2 > reach2 or b is a:
                continue
            d = sqrt(d2)
            rx = tx_dbm - (pl0 + n10 * log10(d / d0) if d > d0 else pl0)
            if rx + best_shadow < floor:
                continue
            if best_shadow:
                rx -= self.shadowing_db(a, b)
            if atten:
                rx -= atten.get(
                    (a.index, b.index) if a.index < b.index else (b.index, a.index), 0.0
                )
            if rx >= floor:
                mw = 10.0 ** (rx / 10.0)
                if powers is not None:
                    mw = powers.setdefault(mw, mw)
                if rx >= sens:
                    aud_r.append(b._rx)
                    aud_p.append(mw)
                else:
                    far_r.append(b._rx)
                    far_p.append(mw)
        aud = (aud_r, aud_p)
        a._aud = aud
        a._far = (far_r, far_p)
        return aud


def _index(r: Radio) -> int:
    return r.index


def _link_index(link: tuple[_Rx, float]) -> int:
    return link[0].radio.index


def _pos3(position: Position) -> tuple[float, float, float]:
    if len(position) == 2:
        return (float(position[0]), float(position[1]), 0.0)
    if len(position) == 3:
        return (float(position[0]), float(position[1]), float(position[2]))
    raise LocalProtocolError(f"position must have 2 or 3 coordinates, got {position!r}")
