"""The medium's propagation and receiver model: its parameters (:class:`MediumConfig`, the
log-distance path loss), and the types the medium's users plug in (capture sink, receive
filter). :mod:`zigmesh.sim.medium` uses them and re-exports them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from zigmesh.errors import LocalProtocolError

if TYPE_CHECKING:
    from zigmesh.sim.medium import Radio

__all__ = ["CaptureSink", "MediumConfig", "Position", "RxFilter"]

Position = tuple[float, float] | tuple[float, float, float]


class CaptureSink(Protocol):
    """Receives every transmitted PSDU with its virtual start time (e.g. ``PcapWriter``)."""

    def write(self, time_us: int, data: bytes) -> None: ...


#: Fault-injection hook called for every frame about to be delivered:
#: ``(sender, receiver, psdu) -> psdu to deliver (possibly altered) or None to drop it``.
RxFilter = Callable[["Radio", "Radio", bytes], "bytes | None"]


@dataclass(frozen=True, slots=True)
class MediumConfig:
    """Propagation and receiver parameters (powers in dBm, gains/losses in dB)."""

    #: log-distance path loss exponent n
    path_loss_exponent: float = 3.0
    #: path loss at the reference distance (ns-3: free space at 1 m, 2.4 GHz)
    reference_loss_db: float = 46.6777
    reference_distance_m: float = 1.0
    #: standard deviation of the per-link log-normal shadowing (0 disables it)
    shadowing_sigma_db: float = 4.0
    #: shadowing draws are clipped to +/- this many sigmas
    shadowing_clip_sigmas: float = 3.0
    #: weakest frame a receiver can synchronise on
    sensitivity_dbm: float = -100.0
    #: thermal noise over 2 MHz (-111 dBm) + 6 dB noise figure
    noise_floor_dbm: float = -105.0
    #: minimum SINR over the whole frame for it to be received
    sinr_threshold_db: float = 5.0
    #: CCA energy threshold; 802.15.4 (10.2.8): at most 10 dB above the receiver sensitivity
    cca_threshold_dbm: float = -90.0
    #: transmissions weaker than sensitivity - margin at a receiver are ignored entirely
    interference_margin_db: float = 10.0
    #: SNR (frame power over the noise floor) mapped to LQI 0 and 255 (linear in dB between)
    lqi_sinr_min_db: float = 0.0
    lqi_sinr_max_db: float = 20.0

    def __post_init__(self) -> None:
        if not self.path_loss_exponent > 0.0 or not self.reference_distance_m > 0.0:
            raise LocalProtocolError("path loss exponent and reference distance must be > 0")
        if not self.shadowing_sigma_db >= 0.0 or not self.shadowing_clip_sigmas >= 0.0:
            raise LocalProtocolError("shadowing sigma and clip must be >= 0")
        if not self.interference_margin_db >= 0.0:
            raise LocalProtocolError("interference margin must be >= 0 dB")
        if not self.lqi_sinr_max_db > self.lqi_sinr_min_db:
            raise LocalProtocolError("lqi_sinr_max_db must exceed lqi_sinr_min_db")

    def path_loss_db(self, distance_m: float) -> float:
        """Mean path loss at ``distance_m`` (no shadowing)."""
        d0 = self.reference_distance_m
        if distance_m <= d0:
            return self.reference_loss_db
        return self.reference_loss_db + 10.0 * self.path_loss_exponent * math.log10(distance_m / d0)


def dbm_to_mw(dbm: float) -> float:
    """Power in mW of ``dbm``."""
    return float(10.0 ** (dbm / 10.0))
