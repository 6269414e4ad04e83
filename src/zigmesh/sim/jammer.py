"""A jammer: a transmitting noise source in the medium's SINR model.

A :class:`Jammer` radiates noise from a radio's position on one channel, in bursts of
``duty_cycle x period_us`` every ``period_us`` (``duty_cycle = 1``: continuously), between
``start_us`` and ``stop_us``. Noise is power on the air and nothing else: it adds to every
receiver's interference over the whole burst (frames being received lose SINR and are lost
when it drops below the threshold; a receiver cannot synchronise on a frame the noise
drowns), CCA reports the channel busy where it reaches the CCA threshold, energy detection
measures it. Receivers never lock on noise and the capture does not record it.

A burst is a :class:`~zigmesh.sim.medium.Transmission` whose links are all interference-only,
kept in the medium's set of frames on air so channel changes account for it; this module
drives those medium internals directly (same package), leaving the per-frame path untouched.
"""

from __future__ import annotations

from zigmesh.errors import LocalProtocolError
from zigmesh.phy import CHANNELS
from zigmesh.sim.kernel import Timer
from zigmesh.sim.medium import Medium, Radio, Transmission

__all__ = ["Jammer"]

#: default burst period (10 ms: about two long frames)
DEFAULT_PERIOD_US = 10_000


class Jammer:
    """Noise from ``radio``'s position at its transmit power on ``channel`` (default the
    radio's). Give it a radio of its own (asleep: it then hears nothing), placed where the
    noise comes from.

    Nothing is on the air until :meth:`start` (or ``start_us`` given to the constructor
    schedules it); ``stop_us`` (None: never) ends it, as does :meth:`stop`.
    """

    def __init__(
        self,
        medium: Medium,
        radio: Radio,
        *,
        channel: int | None = None,
        duty_cycle: float = 1.0,
        period_us: int = DEFAULT_PERIOD_US,
        start_us: int | None = None,
        stop_us: int | None = None,
    ) -> None:
        ch = radio.channel if channel is None else channel
        if ch not in CHANNELS:
            raise LocalProtocolError(f"jammer channel {ch} not in 11-26")
        if not 0.0 < duty_cycle <= 1.0:
            raise LocalProtocolError(f"duty cycle must be in (0, 1], got {duty_cycle}")
        if period_us < 100:
            raise LocalProtocolError(f"jammer period must be >= 100 us, got {period_us}")
        self.medium = medium
        self.radio = radio
        self.channel = ch
        self.duty_cycle = duty_cycle
        self.period_us = period_us
        self.stop_us = stop_us
        #: noise bursts started so far, and the time spent radiating (us)
        self.bursts = 0
        self.on_air_us = 0
        self._running = False
        self._timer: Timer | None = None
        self._burst: Transmission | None = None
        if start_us is not None:
            self._timer = medium.kernel.call_at(start_us, self.start)

    @property
    def active(self) -> bool:
        """True between :meth:`start` and :meth:`stop` (noise on or between bursts)."""
        return self._running

    def start(self) -> None:
        """Start radiating now (the first burst begins at once)."""
        if self._running:
            return
        self._running = True
        self._next(self.medium.kernel.now())

    def stop(self) -> None:
        """Stop now: a burst on the air ends at once."""
        self._running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        burst = self._burst
        if burst is not None:
            self._end(burst, self.medium.kernel.now())

    def _next(self, t: int) -> None:
        if not self._running:
            return
        if self.stop_us is not None and t >= self.stop_us:
            self._running = False
            return
        on = max(round(self.period_us * self.duty_cycle), 1)
        end = t + on
        if self.stop_us is not None:
            end = min(end, self.stop_us)
        self._emit(t, end)
        nxt = t + self.period_us
        if on < self.period_us:
            self._timer = self.medium.kernel.call_at(nxt, self._next, nxt)

    def _emit(self, now: int, end: int) -> None:
        """One noise burst from ``now`` to ``end`` on the jammer's channel."""
        medium = self.medium
        idx, pw, _, qc = self.radio.links()
        # every link interference only (no audible part: nobody locks on noise)
        tx = Transmission(self.radio, self.channel, b"", now, end, (), (), (idx, pw, 0, qc[:0]))
        medium._active[tx] = None
        medium._on(tx)
        self._burst = tx
        self.bursts += 1
        medium.kernel.call_at_early(end, self._finish, tx)

    def _finish(self, tx: Transmission) -> None:
        if self._burst is not tx:
            return  # ended early by stop()
        self._end(tx, tx.end)
        if self.duty_cycle >= 1.0:
            self._next(tx.end)

    def _end(self, tx: Transmission, end: int) -> None:
        medium = self.medium
        medium._active.pop(tx, None)
        self._burst = None
        self.on_air_us += end - tx.start
        medium._off(tx, end)
