"""One node's transceiver on the simulated medium (:class:`Radio`, implementing
:class:`zigmesh.phy.Phy`) and one frame on air (:class:`Transmission`).

A radio's receiver state is a row of its :class:`~zigmesh.sim.medium.Medium`'s arrays (the
medium's module docstring has the model); this module holds the per-radio API: state changes,
transmission start, CCA and energy detection, the frame filter, and the time kept per state
for the energy model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from zigmesh.errors import LocalProtocolError
from zigmesh.phy import (
    BYTE_US,
    CCA_US,
    CHANNELS,
    MAX_PSDU,
    SHR_PHR_BYTES,
    FrameFilter,
    PhyUser,
    PhyUserMany,
    RadioState,
    ed_level,
)
from zigmesh.sim.links import Links, build_links

if TYPE_CHECKING:
    from zigmesh.sim.medium import Medium

__all__ = ["Radio", "Transmission"]

_IDLE = int(RadioState.IDLE)
_RX = int(RadioState.RX)
_TX = int(RadioState.TX)
_STATES = tuple(RadioState)
_LONG_AGO = -(1 << 62)

_Ints = npt.NDArray[np.intp]
_NO_CODES: npt.NDArray[np.int16] = np.zeros(0, dtype=np.int16)
_Floats = npt.NDArray[np.float64]


class Transmission:
    """One PPDU on air, with its sender's links captured when it started.

    ``links``: the receivers (:data:`~zigmesh.sim.links.Links`, the first ``na`` audible, the
    rest interference only); ``rxs``/``powers`` alone make every link audible. ``serial`` tells
    it apart in the receivers' lock array; ``locked``: the receivers that synchronised on it
    (they may lose it before the end).
    """

    __slots__ = (
        "sender",
        "channel",
        "psdu",
        "start",
        "end",
        "idx",
        "pw",
        "na",
        "qc",
        "serial",
        "locked",
        "locked_qc",
    )

    def __init__(
        self,
        sender: Radio,
        channel: int,
        psdu: bytes,
        start: int,
        end: int,
        rxs: Sequence[Radio] = (),
        powers: Sequence[float] = (),
        links: Links | None = None,
        serial: int = -1,
    ) -> None:
        self.sender = sender
        self.channel = channel
        self.psdu = psdu
        self.start = start
        self.end = end
        if links is None:
            code = sender.medium.quality_code
            links = (
                np.array([r.index for r in rxs], dtype=np.int32),
                np.array(powers, dtype=np.float64),
                len(rxs),
                np.array([code(p) for p in powers], dtype=np.int16),
            )
        # (stored narrow, int16/int32 and float32: numpy would widen them at every gather and
        # scatter of the frame)
        self.idx: _Ints = links[0].astype(np.intp)
        self.pw: _Floats = links[1].astype(np.float64, copy=False)
        self.na = links[2]
        #: quality code (``Medium.quality_code``) of each audible link
        self.qc: npt.NDArray[np.int16] = links[3]
        self.serial = serial
        self.locked: _Ints | None = None
        #: the quality codes of the ``locked`` receivers' links
        self.locked_qc: npt.NDArray[np.int16] = _NO_CODES

    @property
    def rxs(self) -> list[Radio]:
        """Radios this frame reaches, by index."""
        radios = self.sender.medium.radios
        return [radios[i] for i in sorted(self.idx.tolist())]

    @property
    def powers(self) -> list[float]:
        """Received power (mW) at each of ``rxs``."""
        order = np.argsort(self.idx, kind="stable")
        return [float(p) for p in self.pw[order]]


def _many_of(cls: type) -> PhyUserMany | None:
    """``cls.pd_data_indication_many`` (:data:`zigmesh.phy.PhyUserMany`), unless a class below
    the one that defines it overrides ``pd_data_indication`` (a subclass that overrides only
    the one-receiver indication gets its frames one by one, through its override)."""
    many: PhyUserMany | None = getattr(cls, "pd_data_indication_many", None)
    if many is None:
        return None
    one = next((c for c in cls.__mro__ if "pd_data_indication" in vars(c)), None)
    both = next((c for c in cls.__mro__ if "pd_data_indication_many" in vars(c)), None)
    return many if one is not None and both is not None and issubclass(both, one) else None


class Radio:
    """One node's transceiver on the medium; implements :class:`zigmesh.phy.Phy`.

    Its receiver state is a row of the medium's arrays (``index``)."""

    __slots__ = (
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
        "_links",
        "_filter",
        "tx_frames",
    )

    def __init__(
        self,
        medium: Medium,
        index: int,
        eui64: int,
        position: tuple[float, float, float],
        tx_power_dbm: float,
    ) -> None:
        self.medium = medium
        self.index = index
        self.eui64 = eui64
        self._kernel = medium.kernel
        self._x, self._y, self._z = position
        self._key: tuple[int, int, int] | None = None
        self._tx_dbm = float(tx_power_dbm)
        self._since = self._kernel.now()
        self._times = [0, 0, 0, 0]
        #: links of this radio's transmissions (None until built or after an invalidation)
        self._links: Links | None = None
        #: the MAC whose address filter this radio applies while it is the user
        self._filter: FrameFilter | None = None
        #: frames this radio sent (received: :attr:`rx_frames`, lost: :attr:`rx_lost`)
        self.tx_frames = 0

    def __repr__(self) -> str:
        return f"Radio(index={self.index}, eui64={self.eui64:#018x}, state={self.state.name})"

    @property
    def rx_frames(self) -> int:
        """Frames this radio received (its filter's rejections included)."""
        m = self.medium
        m._counts()
        return m._nrx[self.index] + int(m._nfu[self.index])

    @property
    def rx_lost(self) -> int:
        """Frames this radio locked on and lost to interference."""
        self.medium._counts()
        return int(self.medium._nlo[self.index])

    @property
    def rx_filtered(self) -> int:
        """Frames this radio's frame filter rejected for its MAC (:class:`zigmesh.phy.FrameFilter`:
        a filtering radio counts them; the MAC never sees them)."""
        self.medium._counts()
        return int(self.medium._nfu[self.index])

    # --- Phy protocol -------------------------------------------------------------------

    @property
    def channel(self) -> int:
        return int(self.medium._ch[self.index])

    @channel.setter
    def channel(self, value: int) -> None:
        if value not in CHANNELS:
            raise LocalProtocolError(f"channel {value} not in 11-26")
        m = self.medium
        i = self.index
        if m._state[i] == _TX:
            raise LocalProtocolError("cannot change channel while transmitting")
        old = int(m._ch[i])
        if value != old:
            counts = m._ch_count
            counts[old] -= 1
            counts[value] += 1
            m._ch[i] = value
            m._lock[i] = -1
            m._free[i] = m._state[i] == _RX
            m._hold[i] = _LONG_AGO
            m._retune(self)

    @property
    def tx_power_dbm(self) -> float:
        return self._tx_dbm

    @tx_power_dbm.setter
    def tx_power_dbm(self, value: float) -> None:
        self._tx_dbm = float(value)
        self.medium._tx_power_changed(self)

    @property
    def state(self) -> RadioState:
        return _STATES[self.medium._state[self.index]]

    def set_user(self, user: PhyUser | None) -> None:
        self.medium._users[self.index] = user
        self.medium._many[self.index] = _many_of(type(user))
        f = self._filter
        self.medium._flt[self.index] = f if f is not None and f is cast(object, user) else None
        self.frame_filter_changed()

    def frame_filter_changed(self) -> None:
        """Copy the values of the filter in force into the medium's arrays (its MAC calls
        this after each change: :class:`zigmesh.phy.FrameFilter`)."""
        m = self.medium
        i = self.index
        f = m._flt[i]
        if f is None:
            if not m._fnone[i]:
                m._fnone[i] = True
                m._unfiltered += 1
            return
        if m._fnone[i]:
            m._fnone[i] = False
            m._unfiltered -= 1
        pib = f.pib
        m._fkey[i] = pib.mac_short_address | pib.mac_pan_id << 16
        m._fack[i] = f.ack_dsn

    def set_frame_filter(self, mac: FrameFilter | None) -> None:
        """Filter addresses for ``mac`` (:class:`zigmesh.phy.FrameFilter`) while it is the
        user: frames it would reject at once are counted, not indicated (None: off)."""
        self._filter = mac
        self.set_user(self.user)

    def set_state(self, state: RadioState) -> None:
        new = int(state)
        m = self.medium
        i = self.index
        old = m._state[i]
        if old == _TX:
            raise LocalProtocolError("cannot change state while transmitting")
        if new == _TX:
            raise LocalProtocolError("TX is entered through transmit()")
        if new == old:
            return
        now = self._kernel._now
        self._times[old] += now - self._since
        self._since = now
        m._state[i] = new
        # entering RX: no lock (dropped when the radio left RX); leaving it drops the lock
        m._free[i] = new == _RX
        if new != _RX:
            m._lock[i] = -1

    def transmit(self, psdu: bytes) -> int:
        medium = self.medium
        i = self.index
        st = medium._state[i]
        if st != _RX and st != _IDLE:
            raise LocalProtocolError(f"transmit() in state {RadioState(st).name}")
        n = len(psdu)
        if n == 0 or n > MAX_PSDU:
            raise LocalProtocolError(f"PSDU of {n} bytes (1-{MAX_PSDU})")
        if type(psdu) is not bytes:
            psdu = bytes(psdu)  # (a bytearray: receivers decode bytes alone, memoised)
        kernel = self._kernel
        now = kernel._now
        end = now + (SHR_PHR_BYTES + n) * BYTE_US
        links = self._links
        if links is None:
            links = build_links(medium, self)
        self._times[st] += now - self._since
        self._since = now
        medium._state[i] = _TX
        medium._lock[i] = -1
        medium._free[i] = False
        serial = medium._serial
        medium._serial = serial + 1
        tx = Transmission(self, int(medium._ch[i]), psdu, now, end, (), (), links, serial)
        medium._active[tx] = None
        if medium.capture is not None:
            medium.capture.write(now, psdu)
        medium._on(tx)
        kernel.call_at_early(end, medium._end, tx)
        return end

    def cca(self) -> bool:
        m = self.medium
        i = self.index
        if m._state[i] != _RX:
            raise LocalProtocolError(f"cca() needs RX, radio is {self.state.name}")
        if m._tot[i] >= m._cca_cut:
            return False
        return self._kernel._now - int(m._hold[i]) >= CCA_US

    def energy_detect(self) -> int:
        m = self.medium
        if m._state[self.index] != _RX:
            raise LocalProtocolError(f"energy_detect() needs RX, radio is {self.state.name}")
        total = max(float(m._tot[self.index]), 0.0) + m._noise_mw
        return ed_level(10.0 * math.log10(total), m.config.sensitivity_dbm)

    # --- simulator-side API ---------------------------------------------------------------

    @property
    def user(self) -> PhyUser | None:
        return self.medium._users[self.index]

    @property
    def position(self) -> tuple[float, float, float]:
        return (self._x, self._y, self._z)

    @property
    def receiving(self) -> bool:
        """True while locked on a frame."""
        return bool(self.medium._lock[self.index] >= 0)

    def power_on_air_dbm(self) -> float:
        """Total received power now on this radio's channel, noise floor included."""
        m = self.medium
        return 10.0 * math.log10(max(float(m._tot[self.index]), 0.0) + m._noise_mw)

    def state_time_us(self, state: RadioState) -> int:
        """Time spent in ``state`` since the radio was added, up to now."""
        t = self._times[int(state)]
        if self.medium._state[self.index] == int(state):
            t += self._kernel._now - self._since
        return t

    def state_times(self) -> dict[RadioState, int]:
        """Time spent in each state up to now (feeds ``zigmesh.sim.energy``)."""
        return {s: self.state_time_us(s) for s in RadioState}

    def links(self) -> Links:
        """This radio's links (built if needed): receiver indices, mW, audible count."""
        links = self._links
        return links if links is not None else build_links(self.medium, self)

    def neighbours(self) -> list[tuple[Radio, float]]:
        """Radios this one's transmissions reach above sensitivity - margin, with dBm."""
        idx, pw, _, _ = self.links()
        radios = self.medium.radios
        order = np.argsort(idx, kind="stable").tolist()
        ii = idx.tolist()
        pp = pw.tolist()
        return [(radios[ii[k]], 10.0 * math.log10(pp[k])) for k in order]
