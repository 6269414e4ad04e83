"""Scenarios for ``zigmesh run``: TOML loading and validation, run metrics, reports and plots.

The runner (which builds the network from a :class:`Scenario`) lives with the simulator; this
package only turns files into plain data and plain data into ``summary.json``, tables and
``network.png``. :mod:`~zigmesh.scenario.plot` and :mod:`~zigmesh.scenario.charts` import
matplotlib (about 50 MB: the runner and the report import them only when they draw) and
:mod:`~zigmesh.scenario.progress` imports rich, so import them from their modules when needed.
"""

from __future__ import annotations

from zigmesh.scenario.config import (
    MAX_PAYLOAD_BYTES,
    ActionSpec,
    BindingSpec,
    GroupSpec,
    NodeSpec,
    RadioSpec,
    Scenario,
    TrafficSpec,
    default_scenario,
    load_scenario,
    parse_scenario,
)
from zigmesh.scenario.durations import ScenarioError, format_duration, parse_duration
from zigmesh.scenario.metrics import (
    FlowStats,
    NodeRow,
    NodeSecurity,
    build_summary,
    percentile,
    percentiles,
    summary_json,
    write_summary,
)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "ActionSpec",
    "BindingSpec",
    "FlowStats",
    "GroupSpec",
    "NodeRow",
    "NodeSecurity",
    "NodeSpec",
    "RadioSpec",
    "Scenario",
    "ScenarioError",
    "TrafficSpec",
    "build_summary",
    "default_scenario",
    "format_duration",
    "load_scenario",
    "parse_duration",
    "parse_scenario",
    "percentile",
    "percentiles",
    "summary_json",
    "write_summary",
]
