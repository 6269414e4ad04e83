"""Link and path cost (Zigbee spec R22 3.6.3.1).

The cost of a link l is ``C{l} = min(7, round(1 / p_l^4))`` where ``p_l`` is the probability of
packet delivery on the link, or the constant 7 when nwkReportConstantCost is TRUE. The cost of
a path is the sum of the costs of its links.

``p_l`` is estimated from the LQI of frames received over the link. IEEE 802.15.4 defines the
LQI only as a quality indication from 0x00 (lowest) to 0xff (highest), so this module reads it
as a linear estimate: **p = LQI / 255** (:func:`delivery_probability`). The resulting 256-entry
table (:data:`LINK_COST_TABLE`) gives

    LQI 231-255 -> 1,  LQI 160-230 -> 2..6,  LQI 0-159 -> 7

With the simulator's LQI (:mod:`zigmesh.sim.medium`: linear in SINR over 0-20 dB) a link costs 1
at SINR >= ~18.1 dB and 7 below ~12.5 dB, so routes prefer links with margin. Another mapping
(say an empirical one for a given radio) plugs in through :func:`build_cost_table`.
Rounding is half-up (``floor(x + 0.5)``), not Python's half-to-even.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from math import floor
from typing import Final

from zigmesh.errors import LocalProtocolError

__all__ = [
    "MIN_LINK_COST",
    "MAX_LINK_COST",
    "MAX_PATH_COST",
    "LINK_COST_TABLE",
    "delivery_probability",
    "cost_from_probability",
    "build_cost_table",
    "link_cost",
    "path_cost",
    "symmetric_link_cost",
]

MIN_LINK_COST: Final = 1
MAX_LINK_COST: Final = 7
#: path cost fields (route request / reply) are one octet
MAX_PATH_COST: Final = 0xFF


def delivery_probability(lqi: int) -> float:
    """The documented LQI -> delivery probability mapping: ``lqi / 255``."""
    return lqi / 255.0


def cost_from_probability(p: float) -> int:
    """``min(7, round(1 / p^4))`` (Zigbee spec 3.6.3.1), 7 for p <= 0, at least 1."""
    if p <= 0.0:
        return MAX_LINK_COST
    c = floor(1.0 / p**4 + 0.5)
    return MAX_LINK_COST if c > MAX_LINK_COST else max(MIN_LINK_COST, c)


def build_cost_table(
    probability: Callable[[int], float] = delivery_probability,
) -> tuple[int, ...]:
    """The cost of each LQI 0-255 under an LQI -> delivery probability mapping."""
    return tuple(cost_from_probability(probability(lqi)) for lqi in range(256))


#: link cost indexed by LQI under :func:`delivery_probability`
LINK_COST_TABLE: Final = build_cost_table()


def link_cost(
    lqi: int, *, report_constant_cost: bool = False, table: tuple[int, ...] = LINK_COST_TABLE
) -> int:
    """Cost 1-7 of a link whose frames arrive with ``lqi``; 7 when nwkReportConstantCost."""
    if not 0 <= lqi <= 0xFF:
        raise LocalProtocolError(f"LQI {lqi} out of range 0-255")
    return MAX_LINK_COST if report_constant_cost else table[lqi]


def symmetric_link_cost(incoming: int, outgoing: int) -> int:
    """Cost of a link used both ways (nwkSymLink): the larger of our incoming cost and the
    neighbour's reported (outgoing) cost; the incoming cost alone while the outgoing one is
    unknown (0, no link status yet)."""
    return incoming if outgoing == 0 else max(incoming, outgoing)


def path_cost(link_costs: Iterable[int]) -> int:
    """Sum of the link costs of a path (3.6.3.1), saturating at the one-octet field's 0xff."""
    total = sum(link_costs)
    return MAX_PATH_COST if total > MAX_PATH_COST else total
