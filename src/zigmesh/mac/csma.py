"""Unslotted CSMA-CA (802.15.4-2006 7.5.1.4, Figure 69; 802.15.4-2015 6.2.5.1).

For each transmission attempt: NB = 0, BE = macMinBE; then repeat

1. wait ``random(0 .. 2^BE - 1)`` unit backoff periods (320 us each);
2. perform CCA (8 symbols = 128 us, ``Phy.cca()`` at the end of the window);
3. channel clear: success (the MAC then turns the radio around, 192 us, and transmits);
   channel busy: NB += 1, BE = min(BE + 1, macMaxBE); NB > macMaxCSMABackoffs: failure.

Randomness: each backoff draws ``rng.getrandbits(BE)`` (uniform over ``0 .. 2^BE - 1``), one
draw per backoff and nothing else, so a test can predict the delays from a copy of the rng.

Radio handling: with ``mac_rx_on_when_idle`` the radio is already listening, so the CCA result
is read in one event at ``backoff + 128 us``; otherwise the radio stays IDLE during the backoff,
is switched to RX at its end, and read 128 us later (two events, but the right energy).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from zigmesh.clock import Clock, TimerHandle
from zigmesh.mac.pib import A_UNIT_BACKOFF_PERIOD_US, CCA_DURATION_US, MacPib
from zigmesh.phy import Phy, RadioState

__all__ = ["UnslottedCsmaCa"]

_RX = RadioState.RX
_IDLE = RadioState.IDLE
_TX = RadioState.TX


class UnslottedCsmaCa:
    """One radio's CSMA-CA engine; the MAC starts it per attempt and gets one callback.

    ``on_clear()`` runs at the end of a clear CCA; ``on_failure()`` when NB exceeds
    macMaxCSMABackoffs; ``blocked()`` lets the MAC declare the channel busy for reasons the PHY
    cannot see (its own ACK being sent).
    """

    __slots__ = (
        "_clock",
        "_rng",
        "_phy",
        "_pib",
        "_on_clear",
        "_on_failure",
        "_blocked",
        "_timer",
        "nb",
        "be",
        "busy_count",
    )

    def __init__(
        self,
        clock: Clock,
        rng: random.Random,
        phy: Phy,
        pib: MacPib,
        on_clear: Callable[[], None],
        on_failure: Callable[[], None],
        blocked: Callable[[], bool],
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._phy = phy
        self._pib = pib
        self._on_clear = on_clear
        self._on_failure = on_failure
        self._blocked = blocked
        self._timer: TimerHandle | None = None
        self.nb = 0
        self.be = pib.mac_min_be
        #: CCAs that found the channel busy (all attempts)
        self.busy_count = 0

    def set_pib(self, pib: MacPib) -> None:
        """Use a new PIB object (after MLME-RESET)."""
        self._pib = pib

    @property
    def active(self) -> bool:
        """True while a backoff or CCA is pending."""
        return self._timer is not None

    def start(self) -> None:
        """Begin a transmission attempt: NB = 0, BE = macMinBE, first random backoff."""
        self.nb = 0
        self.be = self._pib.mac_min_be
        self._backoff()

    def cancel(self) -> None:
        """Abandon the attempt (no callback)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def busy(self) -> None:
        """Channel found busy (by CCA, or by the MAC at transmit time): next backoff or fail."""
        self.busy_count += 1
        nb = self.nb + 1
        self.nb = nb
        pib = self._pib
        if nb > pib.mac_max_csma_backoffs:
            self._timer = None
            self._on_failure()
            return
        be = self.be + 1
        self.be = be if be < pib.mac_max_be else pib.mac_max_be
        if not pib.mac_rx_on_when_idle and self._phy.state == _RX:
            self._phy.set_state(_IDLE)
        self._backoff()

    def _backoff(self) -> None:
        delay = self._rng.getrandbits(self.be) * A_UNIT_BACKOFF_PERIOD_US
        if self._pib.mac_rx_on_when_idle:
            self._timer = self._clock.call_later(delay + CCA_DURATION_US, self._cca)
        else:
            self._timer = self._clock.call_later(delay, self._wake)

    def _wake(self) -> None:
        phy = self._phy
        st = phy.state
        if st != _RX and st != _TX:
            phy.set_state(_RX)
        self._timer = self._clock.call_later(CCA_DURATION_US, self._cca)

    def _cca(self) -> None:
        self._timer = None
        if self._blocked() or not self._phy.cca():
            self.busy()
        else:
            self._on_clear()
