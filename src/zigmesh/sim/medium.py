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
The per-radio receiver state the per-frame work touches (power on air, lock, its power and the
peak power since it began, state, channel, CCA hold) lives in numpy arrays indexed by radio,
and each radio keeps, lazily, the radios its transmissions reach above ``sensitivity -
margin`` as :data:`~zigmesh.sim.links.Links` (index and mW arrays, audible links first; built
from a uniform grid whose cell is the largest such distance; invalidated around a radio that
is added or moved, or whose tx power or link attenuation changes). A transmission updates its
receivers with vectorised gathers and scatters twice (start and end) and schedules one kernel
event (its end), so its cost grows with neighbours, not network size, and its Python cost with
the receivers that synchronised, not the links. Every receiver still gets the same double
operations in the same order as a scalar walk (each array operation touches a receiver once),
so the sums, and every decision taken from them, are bit-identical to the formulas. A
delivery's RSSI and LQI come with its link (an index into the medium's table of the distinct
pairs, computed when the links are built); the exact SINR decides only for frames that met
interference (or whose clean SINR sits within rounding distance of the threshold).
"""

from __future__ import annotations

import hashlib
import math
from array import array

import numpy as np
import numpy.typing as npt

from zigmesh.errors import LocalProtocolError
from zigmesh.phy import (
    CHANNELS,
    FrameFilter,
    PhyUser,
    PhyUserMany,
    RadioState,
)
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.links import Grid, Links, build_grid, build_links, cell_offsets, key_of
from zigmesh.sim.links import shadowing_db as _shadowing_db
from zigmesh.sim.propagation import CaptureSink, MediumConfig, Position, RxFilter
from zigmesh.sim.propagation import dbm_to_mw as _mw
from zigmesh.sim.radio import Radio, Transmission

__all__ = ["CaptureSink", "Medium", "MediumConfig", "Position", "Radio", "RxFilter", "Transmission"]

_IDLE = int(RadioState.IDLE)
_RX = int(RadioState.RX)
_TX = int(RadioState.TX)
_STATES = tuple(RadioState)
_LONG_AGO = -(1 << 62)
#: interference below noise x this over a frame counts as none (see ``Medium._end``)
_CLEAN_REL = 1e-7
#: receiver arrays noted before the filtered / lost counts are added up (``Medium._counts``)
_COUNTS_DUE = 1024

#: number of True entries (much cheaper than ``ndarray.any()`` on small arrays; numpy's C
#: function, without the Python wrapper of ``np.count_nonzero`` around it)
try:
    from numpy._core.multiarray import count_nonzero as _count
except ImportError:  # numpy < 2
    _count = np.count_nonzero

_Ints = npt.NDArray[np.intp]
_Floats = npt.NDArray[np.float64]
_Codes = npt.NDArray[np.int16]


_OFFSETS = cell_offsets()


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
        self._grid: Grid | None = None
        self._cell = 1.0
        self._reach2 = 1.0
        self._grid_tx_dbm = -math.inf
        self._seed_bytes = hashlib.sha256(b"zigmesh.shadowing" + str(seed).encode()).digest()
        self._noise_mw = _mw(cfg.noise_floor_dbm)
        self._sinr_thr = _mw(cfg.sinr_threshold_db)
        #: a clean SNR below this is within rounding distance of the threshold
        self._edge_thr = self._sinr_thr * (1.0 + 1e-6)
        self._cca_cut = _mw(cfg.cca_threshold_dbm) - self._noise_mw
        self._floor_dbm = cfg.sensitivity_dbm - cfg.interference_margin_db
        self._lqi_lo = cfg.lqi_sinr_min_db
        self._lqi_scale = 255.0 / (cfg.lqi_sinr_max_db - cfg.lqi_sinr_min_db)
        #: radios per channel (index 11-26): when one channel holds them all, the per-frame
        #: work skips the per-receiver channel test
        self._ch_count = [0] * CHANNELS.stop
        #: the distinct (RSSI, LQI) of the links, indexed by the links' quality codes (a few
        #: hundred: RSSI is an integer dBm, LQI 0-255), and the code of each
        self._qualities: list[tuple[int, int]] = []
        self._quality_codes: dict[tuple[int, int], int] = {}
        #: |interference| below this (mW) cannot change a delivery's outcome or LQI when the
        #: link's no-interference LQI is not -1 (it absorbs the rounding residue of ``tot``)
        self._clean_mw = self._noise_mw * _CLEAN_REL
        # receiver state by radio index (capacity grows by doubling): power on air on the
        # radio's channel (mW), peak of it since the current lock began (interference = peak -
        # lock power), the serial of the frame being received (-1: none) and its power,
        # RadioState, channel, end time of the last moment the power reached the CCA threshold
        self._tot: _Floats = np.zeros(0, dtype=np.float64)
        self._peak: _Floats = np.zeros(0, dtype=np.float64)
        self._lockp: _Floats = np.zeros(0, dtype=np.float64)
        self._lock: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        #: RadioState by radio index (a list: only ever read one at a time)
        self._state: list[int] = []
        self._ch: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
        self._hold: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        #: listening and not receiving (state RX, no lock): may synchronise on a new frame
        self._free: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        #: positions (m) by radio index: the vectorised pre-selection of link candidates
        self._px: _Floats = np.zeros(0, dtype=np.float64)
        self._py: _Floats = np.zeros(0, dtype=np.float64)
        self._pz: _Floats = np.zeros(0, dtype=np.float64)
        #: grid cell -> its radios' indices (sorted), built on demand, dropped when it changes
        self._cell_idx: dict[tuple[int, int, int], _Ints] = {}
        self._serial = 0
        #: by radio index: the frame filter in force (``Radio.set_frame_filter``) or None, and
        #: copies of what it compares (``Radio.frame_filter_changed``): no filter, short
        #: address and PAN ID, DSN of the awaited ACK; ``_end`` filters every receiver at once
        self._flt: list[FrameFilter | None] = []
        #: by radio index: its user (``Radio.set_user``) and the frames indicated to it
        #: (``Radio.rx_frames``), read by the delivery loop without the Radio objects (the
        #: counts inline in one buffer: as a list of ints, each count is an object of its own,
        #: one more line to bring from memory per reception at 10,000 nodes)
        self._users: list[PhyUser | None] = []
        #: by radio index: its user's class's ``pd_data_indication_many`` (zigmesh.phy.PhyUserMany)
        self._many: list[PhyUserMany | None] = []
        self._nrx = array("q")
        self._fnone: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self._unfiltered = 0  # radios whose _fnone is set
        self._fkey: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)  # short | PAN << 16
        self._fack: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        #: by radio index: frames its filter rejected (``Radio.rx_filtered``) and frames it
        #: locked on and lost to interference (``Radio.rx_lost``)
        self._nfu: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._nlo: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        #: receivers of ``_nfu`` / ``_nlo`` not added in yet (an append per frame instead of
        #: a gather, add and scatter; added up by :meth:`_counts` when read or when long)
        self._nfu_due: list[_Ints] = []
        self._nlo_due: list[_Ints] = []

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
        index = len(self.radios)
        if index >= len(self._tot):
            self._grow(max(16, 2 * index))
        radio = Radio(self, index, eui64, _pos3(position), tx_power_dbm)
        self._tot[index] = 0.0
        self._peak[index] = 0.0
        self._lockp[index] = 0.0
        self._lock[index] = -1
        self._state.append(int(state))
        self._ch[index] = channel
        self._hold[index] = _LONG_AGO
        self._free[index] = int(state) == _RX
        self._px[index], self._py[index], self._pz[index] = radio._x, radio._y, radio._z
        self.radios.append(radio)
        self._flt.append(None)
        self._users.append(None)
        self._many.append(None)
        self._nrx.append(0)
        self._fnone[index] = True
        self._unfiltered += 1
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
                self._cell_idx.pop(key, None)
                self._invalidate_around(key)
        self._retune(radio)
        return radio

    def _grow(self, cap: int) -> None:
        """Room for ``cap`` radios in the receiver-state arrays (contents kept)."""
        self._counts()
        n = len(self._tot)

        def grown(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
            b = np.zeros(cap, dtype=a.dtype)
            b[:n] = a
            return b

        self._tot = grown(self._tot)  # type: ignore[assignment]
        self._peak = grown(self._peak)  # type: ignore[assignment]
        self._lockp = grown(self._lockp)  # type: ignore[assignment]
        self._lock = grown(self._lock)  # type: ignore[assignment]
        self._ch = grown(self._ch)  # type: ignore[assignment]
        self._hold = grown(self._hold)  # type: ignore[assignment]
        self._free = grown(self._free)  # type: ignore[assignment]
        self._px = grown(self._px)  # type: ignore[assignment]
        self._py = grown(self._py)  # type: ignore[assignment]
        self._pz = grown(self._pz)  # type: ignore[assignment]
        self._fnone = grown(self._fnone)  # type: ignore[assignment]
        self._fkey = grown(self._fkey)  # type: ignore[assignment]
        self._fack = grown(self._fack)  # type: ignore[assignment]
        self._nfu = grown(self._nfu)  # type: ignore[assignment]
        self._nlo = grown(self._nlo)  # type: ignore[assignment]

    def radio(self, eui64: int) -> Radio:
        """The radio with this EUI-64."""
        return self._by_eui[eui64]

    def move(self, radio: Radio, position: Position) -> None:
        """Move ``radio``; links are recomputed lazily (frames on air keep their powers)."""
        grid = self._grid
        old = radio._key
        radio._x, radio._y, radio._z = _pos3(position)
        i = radio.index
        self._px[i], self._py[i], self._pz[i] = radio._x, radio._y, radio._z
        radio._links = None
        if grid is None or old is None:
            return
        grid[old].remove(radio)
        self._cell_idx.pop(old, None)
        self._invalidate_around(old)
        key = self._key_of(radio)
        radio._key = key
        grid.setdefault(key, []).append(radio)
        self._cell_idx.pop(key, None)
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
        a._links = None
        b._links = None

    def link_attenuation(self, a: Radio, b: Radio) -> float:
        key = (a.index, b.index) if a.index < b.index else (b.index, a.index)
        return self._atten.get(key, 0.0)

    # --- link budget ----------------------------------------------------------------------

    def distance(self, a: Radio, b: Radio) -> float:
        return math.dist((a._x, a._y, a._z), (b._x, b._y, b._z))

    def shadowing_db(self, a: Radio, b: Radio) -> float:
        """The link's shadowing draw in dB (same both ways, fixed by the seed)."""
        return _shadowing_db(self.config, self._seed_bytes, a.eui64, b.eui64)

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

    def _on_channel(self, tx: Transmission) -> tuple[_Ints, _Floats, int, _Codes]:
        """``tx``'s links to radios now on its channel, when radios are on several channels
        (``_on`` and ``_off`` take all of ``tx``'s links while one channel holds every radio)."""
        ch = tx.channel
        on = self._ch[tx.idx] == ch
        qc = tx.qc[on[: tx.na]]
        return tx.idx[on], tx.pw[on], len(qc), qc

    def _on(self, tx: Transmission) -> None:
        """Start of ``tx``: its power goes on air at its receivers; free listening receivers
        of the audible links synchronise if the SINR allows it."""
        if self._ch_count[tx.channel] == len(self.radios):
            idx, pw, na, qc = tx.idx, tx.pw, tx.na, tx.qc
        else:
            idx, pw, na, qc = self._on_channel(tx)
            if not len(idx):
                return
        tot = self._tot
        s = tot[idx]
        s += pw
        tot[idx] = s
        # receivers locked on a frame track the peak power on air since the lock began; the
        # peak of the others is never read before a lock sets it, so all can take the max.
        # Alone on air, the frame has no receiver locked on another frame: nothing to track
        peak = self._peak
        if len(self._active) > 1:
            m = peak[idx]
            np.maximum(m, s, out=m)
            peak[idx] = m
        if na:
            # free listening receivers of the audible links synchronise if the SINR allows:
            # pa >= threshold x ((noise + sa) - pa), computed in place
            ia = idx[:na]
            sa = s[:na]
            pa = pw[:na]
            ok = self._free[ia]
            t = self._noise_mw + sa
            t -= pa
            t *= self._sinr_thr
            ok &= pa >= t
            if _count(ok):
                sel = ia[ok]
                self._lock[sel] = tx.serial
                self._free[sel] = False
                self._lockp[sel] = pa[ok]
                peak[sel] = sa[ok]
                tx.locked = sel
                tx.locked_qc = qc[ok]

    def _off(self, tx: Transmission, end: int) -> None:
        """``tx``'s power leaves the air at ``end`` (the CCA hold of receivers that saw the
        threshold reached runs to ``end``)."""
        if self._ch_count[tx.channel] == len(self.radios):
            idx, pw = tx.idx, tx.pw
        else:
            idx, pw, _, _ = self._on_channel(tx)
            if not len(idx):
                return
        tot = self._tot
        s = tot[idx]
        # (nearly always someone: a frame's nearest receivers see the threshold reached)
        self._hold[idx[s >= self._cca_cut]] = end
        s -= pw
        tot[idx] = s

    def _end(self, tx: Transmission) -> None:
        """End of a transmission: the one kernel event per frame."""
        del self._active[tx]
        end = tx.end
        self._off(tx, end)
        got: tuple[list[int], list[int]] | None = None
        sel = tx.locked
        if sel is not None:
            # snapshot (power, interference) before any callback can lock these radios again
            qc = tx.locked_qc
            lock = self._lock
            still = lock[sel] == tx.serial
            if _count(still) != len(still):
                sel = sel[still]
                qc = qc[still]
            if len(sel):
                lock[sel] = -1
                self._free[sel] = True  # locked, so in RX
                p = self._lockp[sel]
                i = self._peak[sel]
                i -= p
                # interference (or a clean SINR on the threshold's edge): the exact SINR decides
                sinr = self._noise_mw + i
                np.divide(p, sinr, out=sinr)
                lost = sinr < self._sinr_thr
                if _count(lost):
                    clean = self._clean_mw
                    lost &= ((p / self._noise_mw) < self._edge_thr) | (i >= clean) | (i <= -clean)
                    if _count(lost):
                        due = self._nlo_due
                        due.append(sel[lost])
                        if len(due) >= _COUNTS_DUE:
                            self._counts()
                        keep = ~lost
                        sel = sel[keep]
                        qc = qc[keep]
                if self.rx_filter is None and len(sel):
                    # the receivers' MAC filters (zigmesh.phy.FrameFilter), all at once; not
                    # with a fault-injection filter (it may alter the frame)
                    rej = self._rejected(tx.psdu, sel)
                    if rej is not None and _count(rej):
                        due = self._nfu_due
                        due.append(sel[rej])  # receivers in RX (locked till now)
                        if len(due) >= _COUNTS_DUE:
                            self._counts()
                        keep = ~rej
                        sel = sel[keep]
                        qc = qc[keep]
                if len(sel):
                    got = (sel.tolist(), qc.tolist())
        sender = tx.sender
        sender._times[_TX] += end - sender._since
        sender._since = end
        self._state[sender.index] = _RX
        self._free[sender.index] = True
        sender.tx_frames += 1
        user = self._users[sender.index]
        if user is not None:
            user.pd_tx_done()
        if got is None:
            return
        rx_filter = self.rx_filter
        psdu = tx.psdu
        # (the receivers' Radio objects are not read: their users and counts are the medium's;
        # the frame's end is its receive timestamp, so no receiver reads its clock)
        if rx_filter is None:
            self._deliver(got, psdu, end)
            return
        # a fault-injection filter: each receiver's copy through it, one by one
        qualities = self._qualities
        radios = self.radios
        users = self._users
        nrx = self._nrx
        state = self._state
        for k, q_k in zip(*got, strict=True):
            if state[k] != _RX:
                continue
            filtered = rx_filter(sender, radios[k], psdu)
            if filtered is None:
                continue
            data = filtered if type(filtered) is bytes else bytes(filtered)
            nrx[k] += 1
            ruser = users[k]
            if ruser is not None:
                q = qualities[q_k]
                ruser.pd_data_indication(data, q[0], q[1], end)

    def _counts(self) -> None:
        """Add the receivers noted since into the filtered and lost counts."""
        for due, counts in ((self._nfu_due, self._nfu), (self._nlo_due, self._nlo)):
            if due:
                np.add.at(counts, np.concatenate(due), 1)
                due.clear()

    def _deliver(self, got: tuple[list[int], list[int]], psdu: bytes, end: int) -> None:
        """PD-DATA.indication of ``psdu`` to the receivers ``got`` (radio indices, quality
        codes) still in RX: runs of users with a ``pd_data_indication_many``
        (:data:`zigmesh.phy.PhyUserMany`) in one call each, in order. (A receiver's callbacks
        change only its own radio, so the receivers in RX are those of the calls one by one.)"""
        state = self._state
        nrx = self._nrx
        users = self._users
        many = self._many
        qualities = self._qualities
        run: PhyUserMany | None = None
        run_users: list[PhyUser] = []
        run_q: list[tuple[int, int]] = []
        for k, q_k in zip(*got, strict=True):
            if state[k] != _RX:
                continue
            nrx[k] += 1
            ruser = users[k]
            if ruser is None:
                continue
            fn = many[k]
            if fn is not run:
                if run_users:
                    assert run is not None
                    run(run_users, run_q, psdu, end)
                    run_users = []
                    run_q = []
                run = fn
            if fn is None:
                q = qualities[q_k]
                ruser.pd_data_indication(psdu, q[0], q[1], end)
            else:
                run_users.append(ruser)
                run_q.append(qualities[q_k])
        if run_users:
            assert run is not None
            run(run_users, run_q, psdu, end)

    def _rejected(self, psdu: bytes, sel: _Ints) -> npt.NDArray[np.bool_] | None:
        """Which of the receivers ``sel`` reject ``psdu`` at once by the rules of
        :class:`zigmesh.phy.FrameFilter`, on the copies of their filters' values (None: a
        frame every filter passes)."""
        n = len(psdu)
        bad: npt.NDArray[np.bool_]
        if n == 5 and psdu[0] & 7 == 2:  # immediate ACK: its DSN
            bad = self._fack[sel] != psdu[2]
        elif n >= 9 and psdu[1] & 0x2C == 0x08:  # short destination: address and PAN ID
            dst = psdu[5] | psdu[6] << 8
            dpan = psdu[3] | psdu[4] << 8
            if dst != 0xFFFF:
                if dpan != 0xFFFF:
                    bad = self._fkey[sel] != (dst | dpan << 16)
                else:
                    bad = (self._fkey[sel] & 0xFFFF) != dst
            elif dpan != 0xFFFF:
                bad = (self._fkey[sel] >> 16) != dpan
            else:
                return None
        else:
            return None
        if self._unfiltered:
            bad &= ~self._fnone[sel]
        return bad

    def _lqi(self, sinr: float) -> int:
        """LQI 0-255, linear in ``sinr`` (dB) over the configured range."""
        lqi = round((10.0 * math.log10(sinr) - self._lqi_lo) * self._lqi_scale)
        return 0 if lqi < 0 else 255 if lqi > 255 else lqi

    def quality_code(self, p: float) -> int:
        """The index in ``_qualities`` of the (RSSI, LQI) of a frame received at ``p`` mW:
        RSSI its power in dBm, rounded; LQI from its SNR (``_lqi``)."""
        q = (round(10.0 * math.log10(p)), self._lqi(p / self._noise_mw))
        code = self._quality_codes.get(q)
        if code is None:
            code = self._quality_codes[q] = len(self._qualities)
            self._qualities.append(q)
        return code

    def _retune(self, radio: Radio) -> None:
        """Recompute a radio's on-air power after a channel change (or when added)."""
        s = 0.0
        i = radio.index
        ch = int(self._ch[i])
        for tx in self._active:
            if tx.channel != ch:
                continue
            at = np.flatnonzero(tx.idx == i)
            if len(at):
                s += float(tx.pw[at[0]])
        self._tot[i] = s

    def _tx_power_changed(self, radio: Radio) -> None:
        if self._grid is not None and radio._tx_dbm > self._grid_tx_dbm:
            self._invalidate_all()
        else:
            radio._links = None

    def _invalidate_all(self) -> None:
        self._grid = None
        for r in self.radios:
            r._links = None
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
                    r._links = None

    def _key_of(self, radio: Radio) -> tuple[int, int, int]:
        return key_of(self._cell, radio)

    def _build_grid(self) -> Grid:
        return build_grid(self)

    def _build_neighbours(self, a: Radio) -> Links:
        return build_links(self, a)


def _pos3(position: Position) -> tuple[float, float, float]:
    if len(position) == 2:
        return (float(position[0]), float(position[1]), 0.0)
    if len(position) == 3:
        return (float(position[0]), float(position[1]), float(position[2]))
    raise LocalProtocolError(f"position must have 2 or 3 coordinates, got {position!r}")
