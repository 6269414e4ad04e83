"""Discrete-event simulation: kernel, radio medium, energy model (DESIGN.md section 5)."""

from __future__ import annotations

from zigmesh.sim.energy import CC2652R, CR2032_MAH, EnergyReport, RadioCurrents, energy_report
from zigmesh.sim.kernel import Kernel, Timer, node_rng
from zigmesh.sim.medium import CaptureSink, Medium, MediumConfig, Radio, RxFilter, Transmission

__all__ = [
    "CC2652R",
    "CR2032_MAH",
    "CaptureSink",
    "EnergyReport",
    "Kernel",
    "Medium",
    "MediumConfig",
    "Radio",
    "RadioCurrents",
    "RxFilter",
    "Timer",
    "Transmission",
    "energy_report",
    "node_rng",
]
