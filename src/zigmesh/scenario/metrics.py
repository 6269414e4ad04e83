"""Run metrics as plain data, and the ``summary.json`` they become (issue #4).

The runner feeds :class:`FlowStats` as traffic is sent and delivered, then calls
:func:`build_summary` with plain inputs (node rows, flow stats, counters, energy reports) and
:func:`write_summary`. Same inputs give a byte-identical file: fixed key order, floats rounded
to fixed precision, non-finite floats written as ``null``.

Percentiles are *nearest-rank*: the p-th percentile of ``n`` sorted values is the value at rank
``ceil(p / 100 x n)`` (1-based), so it is always one of the samples (p50 of ``[1, 2, 3, 4]`` is
2, p90 of ten values is the 9th, p99 of fewer than 100 values is the maximum).

``summary.json`` layout (times in seconds unless the key says ``_ms``)::

    scenario           {name, source, seed, duration_s, channel}
    nodes, joined      total node count, nodes that joined (the coordinator counts once formed)
    formation_time_s   when the last node joined (null unless all did)
    security           {enabled, require_install_codes, authenticated, unique_tclk}: whether
                       the network is secured, how many nodes are authenticated (hold the
                       network key, the coordinator included; unsecured: joined) and how many
                       hold a unique trust center link key
    per_node           [{name, role, eui64, short_address, parent, depth, joined_at_s,
                         security {network_key, key_seq, unique_tclk, nwk_frame_counter},
                         drops {reason: count}, aps_confirms {status: count},
                         zdo_answered {request cluster: count}, and the runner's ``detail``
                         (:mod:`~zigmesh.scenario.nodeinfo`: state, not_joined_reason,
                         frames, mac, nwk, neighbours, routing_table, children,
                         radio_energy...)}, ...]
    flows              [{name, from, to, size, period_s, ack, sent, delivered, duplicates,
                         skipped, delivery_ratio, aps_confirms {status: count},
                         latency_ms {p50, p90, p99, mean, max}, hops {mean, max},
                         per_source [{source, sent, delivered, delivery_ratio, latency_ms,
                                      hops, route, route_share}]}, ...]
    delivery           {sent, delivered, delivery_ratio, duplicates, aps_confirms} over every
                       flow
    totals             runner counters (MAC/NWK/APS frames, retries, route discoveries, ...)
    drops              frames dropped, by reason, summed over the nodes
    energy             [{name, elapsed_s, charge_mah, average_current_ma, energy_j,
                         battery_mah, battery_life_days}, ...] for battery devices; given
                       steady-state figures also battery_life_basis, battery_life_years,
                       startup {until_s, charge_mah}, steady {from_s, duration_s,
                       average_current_ua, by_state_ua, by_activity_ua, events}, and
                       battery_life_days is the steady state's (null without one)
    timeseries         per-minute rows (:mod:`~zigmesh.scenario.timeseries`), when given
    app                when the scenario has devices (:mod:`~zigmesh.scenario.app_traffic`):
                       interviews {devices, completed, failed, duration_s {p50, p90, p99,
                       max}}, commands {sent, expected, acted_on, latency_ms}, reports_at_hub,
                       devices [{name, device, ieee, interview {state, completed, started_s,
                       done_s, duration_s, step}, commands_sent, commands_received, acted_on,
                       latency_ms {p50, p90, p99, mean, max}, changes, reports_sent,
                       reports_at_hub, alarms_at_hub}], actions [{name, action, from,
                       period_s, sent, skipped, and for commands expected, acted_on,
                       acted_on_ratio, latency_ms}], hub (the hub's registry:
                       :meth:`zigmesh.app.hub.Hub.summary`)
    health             added by the runner (:mod:`~zigmesh.scenario.health`): healthy, reasons,
                       ...; and ``per_node[].health``
    faults, attackers  added by the runner when the scenario has some
                       (:mod:`~zigmesh.scenario.chaos`)

Addresses: short addresses ``0x1a2b``, IEEE addresses ``00:12:4b:00:00:00:00:01`` (as
``zigmesh decode`` prints them).
Per node, ``security.key_seq`` is the active network key's sequence number and
``nwk_frame_counter`` the next outgoing NWK frame counter under it (both null without a network
key); ``unique_tclk`` is false for the coordinator (it is the trust center). Counter maps
(``drops``, ``aps_confirms``, ``zdo_answered``, ``totals``) list only their non-zero entries
(``totals`` every key), sorted by key. Confirm statuses are APS status names (``SUCCESS``,
``NO_ACK``...), NWK statuses passed up prefixed ``NWK_`` (``NWK_ROUTE_ERROR``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zigmesh.errors import LocalProtocolError
from zigmesh.scenario.config import TrafficSpec
from zigmesh.sim.energy import EnergyReport, SteadyState

__all__ = [
    "FlowStats",
    "NodeRow",
    "NodeSecurity",
    "build_summary",
    "ieee_text",
    "percentile",
    "percentiles",
    "short_text",
    "summary_json",
    "write_summary",
]

#: Percentiles reported for latencies.
PERCENTILES = (50, 90, 99)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank ``p``-th percentile (0 < p <= 100) of ``values`` (need not be sorted)."""
    if not values:
        raise LocalProtocolError("percentile of no values")
    if not 0.0 < p <= 100.0:
        raise LocalProtocolError(f"percentile must be in (0, 100], got {p}")
    ordered = sorted(values)
    rank = math.ceil(p / 100.0 * len(ordered))
    return ordered[max(rank, 1) - 1]


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """``{"p50": .., "p90": .., "p99": ..}`` (nearest rank); every value None when empty."""
    if not values:
        return {f"p{p}": None for p in PERCENTILES}
    ordered = sorted(values)
    n = len(ordered)
    return {f"p{p}": ordered[max(math.ceil(p / 100.0 * n), 1) - 1] for p in PERCENTILES}


@dataclass(slots=True)
class FlowStats:
    """Counters of one traffic flow, keyed by a sequence number unique within the flow.

    ``record_sent`` when a source hands a message to the stack, ``record_delivered`` when the
    destination's application receives it; a second delivery of the same ``seq`` counts in
    ``duplicates`` only. ``record_skipped`` counts send times that passed while the source could
    not send (not joined yet): those are not in ``sent``. ``record_confirm`` counts the
    sources' APSDE-DATA.confirms by status name.
    """

    name: str
    sources: tuple[str, ...] = ()
    destination: str = ""
    size: int = 0
    period_us: int = 0
    ack: bool = True
    sent: int = 0
    delivered: int = 0
    duplicates: int = 0
    skipped: int = 0
    #: latency of each delivered message (us), in delivery order
    latencies_us: list[int] = field(default_factory=list)
    #: hop count of each delivered message, in delivery order
    hops: list[int] = field(default_factory=list)
    #: APSDE-DATA.confirms of the sent messages, by status name
    confirms: dict[str, int] = field(default_factory=dict)
    #: per source: the route most of its messages took (names), how many took it, paths seen
    routes: dict[str, tuple[list[str], int, int]] = field(default_factory=dict)
    _sent_at: dict[int, int] = field(default_factory=dict)
    _delivered: set[int] = field(default_factory=set)
    _source: dict[int, str] = field(default_factory=dict)
    #: seq -> (latency us, hops) of each delivered message
    _outcome: dict[int, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: TrafficSpec) -> FlowStats:
        """Empty stats for the flow ``spec`` describes."""
        return cls(spec.name, spec.sources, spec.destination, spec.size, spec.period_us, spec.ack)

    def record_sent(self, seq: int, t_us: int, source: str | None = None) -> None:
        """Message ``seq`` handed to the stack at ``t_us`` by ``source`` (default: the flow's
        first source)."""
        if seq in self._sent_at:
            raise LocalProtocolError(f"flow {self.name}: sequence {seq} sent twice")
        self._sent_at[seq] = t_us
        if source is None and self.sources:
            source = self.sources[0]
        if source is not None:
            self._source[seq] = source
        self.sent += 1

    def record_delivered(self, seq: int, t_us: int, hops: int) -> None:
        """Message ``seq`` received by the destination at ``t_us`` after ``hops`` hops."""
        sent_at = self._sent_at.get(seq)
        if sent_at is None:
            raise LocalProtocolError(f"flow {self.name}: sequence {seq} delivered but never sent")
        if seq in self._delivered:
            self.duplicates += 1
            return
        self._delivered.add(seq)
        self.delivered += 1
        self.latencies_us.append(t_us - sent_at)
        self.hops.append(hops)
        self._outcome[seq] = (t_us - sent_at, hops)

    def record_confirm(self, status: str) -> None:
        """The stack confirmed a message of this flow with ``status`` (``SUCCESS``...)."""
        self.confirms[status] = self.confirms.get(status, 0) + 1

    def record_skipped(self) -> None:
        """A send time passed while the source could not send."""
        self.skipped += 1

    @property
    def delivery_ratio(self) -> float | None:
        """delivered / sent (None before anything was sent)."""
        return self.delivered / self.sent if self.sent else None

    def messages(self) -> list[tuple[int, str | None, int, int | None, int | None]]:
        """Every message sent, by sequence number: (seq, source, sent at us, latency us or
        None when not delivered, hops or None)."""
        out: list[tuple[int, str | None, int, int | None, int | None]] = []
        for seq in sorted(self._sent_at):
            lat, hops = self._outcome.get(seq, (None, None))
            out.append((seq, self._source.get(seq), self._sent_at[seq], lat, hops))
        return out

    def per_source(self) -> list[dict[str, Any]]:
        """``flows[].per_source``: one entry per source, in the flow's source order."""
        acc: dict[str, tuple[list[int], list[int], list[int]]] = {
            s: ([], [], []) for s in self.sources
        }
        for _seq, src, _t, lat, hops in self.messages():
            if src is None:
                continue
            sent, lats, hs = acc.setdefault(src, ([], [], []))
            sent.append(1)
            if lat is not None and hops is not None:
                lats.append(lat)
                hs.append(hops)
        rows = []
        for src, (sent, lats, hs) in acc.items():
            route, count, seen = self.routes.get(src, ([], 0, 0))
            rows.append(
                {
                    "source": src,
                    "sent": len(sent),
                    "delivered": len(lats),
                    "delivery_ratio": _ratio(len(lats) / len(sent)) if sent else None,
                    "latency_ms": _latency([x / 1000.0 for x in lats]),
                    "hops": {
                        "mean": round(sum(hs) / len(hs), 3) if hs else None,
                        "max": max(hs) if hs else None,
                    },
                    "route": route,
                    "route_share": _ratio(count / seen) if seen else None,
                }
            )
        return rows

    def undelivered(self) -> list[int]:
        """Sequence numbers sent but not (yet) delivered, ascending."""
        return sorted(s for s in self._sent_at if s not in self._delivered)

    def to_dict(self) -> dict[str, Any]:
        """This flow's entry in ``summary.json``."""
        latency = _latency([x / 1000.0 for x in self.latencies_us])
        return {
            "name": self.name,
            "from": list(self.sources),
            "to": self.destination,
            "size": self.size,
            "period_s": _s(self.period_us),
            "ack": self.ack,
            "sent": self.sent,
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "delivery_ratio": _ratio(self.delivery_ratio),
            "aps_confirms": _sorted_counts(self.confirms),
            "latency_ms": latency,
            "hops": {
                "mean": round(sum(self.hops) / len(self.hops), 3) if self.hops else None,
                "max": max(self.hops) if self.hops else None,
            },
            "per_source": self.per_source(),
        }


def _latency(lat_ms: Sequence[float]) -> dict[str, float | None]:
    latency: dict[str, float | None] = {k: _ms(v) for k, v in percentiles(lat_ms).items()}
    latency["mean"] = _ms(sum(lat_ms) / len(lat_ms)) if lat_ms else None
    latency["max"] = _ms(max(lat_ms)) if lat_ms else None
    return latency


@dataclass(frozen=True, slots=True)
class NodeSecurity:
    """A node's security state at the end of a run (``summary.json`` ``per_node[].security``).

    ``key_seq`` and ``nwk_frame_counter`` (the next outgoing NWK frame counter of the active
    network key) are None without a network key.
    """

    network_key: bool = False
    key_seq: int | None = None
    unique_tclk: bool = False
    nwk_frame_counter: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "network_key": self.network_key,
            "key_seq": self.key_seq,
            "unique_tclk": self.unique_tclk,
            "nwk_frame_counter": self.nwk_frame_counter,
        }


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node's outcome. ``joined_at_us`` None: never joined (``short_address`` and the
    rest may then be None too). ``parent`` is the parent's name (None for the coordinator).
    ``drops``, ``aps_confirms`` and ``zdo_answered`` are counters by reason / status / ZDP
    request cluster name (zero entries are left out of the JSON)."""

    name: str
    role: str
    short_address: int | None = None
    parent: str | None = None
    depth: int | None = None
    joined_at_us: int | None = None
    eui64: int | None = None
    security: NodeSecurity = field(default_factory=NodeSecurity)
    drops: Mapping[str, int] = field(default_factory=dict)
    aps_confirms: Mapping[str, int] = field(default_factory=dict)
    zdo_answered: Mapping[str, int] = field(default_factory=dict)
    #: further figures (traffic counters, neighbours, energy...), appended to the entry as given
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This node's entry in ``summary.json`` (``0x1a2b`` short, ``00:12:4b:..`` IEEE)."""
        return {
            "name": self.name,
            "role": self.role,
            "eui64": None if self.eui64 is None else ieee_text(self.eui64),
            "short_address": None if self.short_address is None else f"0x{self.short_address:04x}",
            "parent": self.parent,
            "depth": self.depth,
            "joined_at_s": None if self.joined_at_us is None else _s(self.joined_at_us),
            "security": self.security.to_dict(),
            "drops": _nonzero(self.drops),
            "aps_confirms": _nonzero(self.aps_confirms),
            "zdo_answered": _nonzero(self.zdo_answered),
            **self.detail,
        }


def ieee_text(eui64: int) -> str:
    """An IEEE address as ``00:12:4b:00:00:00:00:01`` (as ``zigmesh decode`` prints it)."""
    h = f"{eui64:016x}"
    return ":".join(h[i : i + 2] for i in range(0, 16, 2))


def short_text(address: int | None) -> str | None:
    """A 16-bit network address as ``0x1a2b`` (None stays None)."""
    return None if address is None else f"0x{address:04x}"


def build_summary(
    *,
    nodes: Sequence[NodeRow],
    flows: Sequence[FlowStats],
    totals: Mapping[str, int] | None = None,
    drops: Mapping[str, int] | None = None,
    energy: Mapping[str, EnergyReport] | None = None,
    steady: Mapping[str, SteadyState] | None = None,
    timeseries: Sequence[Mapping[str, Any]] | None = None,
    network: Mapping[str, Any] | None = None,
    name: str = "",
    source: str = "",
    seed: int | None = None,
    duration_us: int | None = None,
    channel: int | None = None,
    security: bool = True,
    require_install_codes: bool = False,
    authenticated: int | None = None,
    app: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``summary.json`` structure (see the module docstring) from plain inputs.

    ``totals`` and ``drops`` are written with their keys sorted; ``nodes``, ``flows`` and
    ``energy`` keep the order given. Suggested ``totals`` keys: ``mac_frames_sent``,
    ``mac_retries``, ``mac_acks``, ``nwk_frames_sent``, ``nwk_frames_relayed``,
    ``route_discoveries``, ``broadcasts``. ``security`` / ``require_install_codes``: the
    network's settings; ``authenticated`` the number of authenticated nodes (default: the rows
    holding a network key; on an unsecured network a runner passes the joined ones).
    ``unique_tclk`` is counted from the rows. ``steady``: the battery devices' steady-state
    figures (their battery life then comes from those, see :func:`_energy_row`);
    ``timeseries`` (per-minute rows) and ``network`` (PAN ID, extended PAN ID...) are added as
    keys of those names when given.
    """
    joined_at = [n.joined_at_us for n in nodes]
    joined = sum(t is not None for t in joined_at)
    formation: float | None = None
    if nodes and joined == len(nodes):
        formation = _s(max(t for t in joined_at if t is not None))
    sent = sum(f.sent for f in flows)
    delivered = sum(f.delivered for f in flows)
    confirms: dict[str, int] = {}
    for f in flows:
        for k, v in f.confirms.items():
            confirms[k] = confirms.get(k, 0) + v
    out: dict[str, Any] = {
        "scenario": {
            "name": name,
            "source": source,
            "seed": seed,
            "duration_s": None if duration_us is None else _s(duration_us),
            "channel": channel,
        },
        "nodes": len(nodes),
        "joined": joined,
        "formation_time_s": formation,
        "security": {
            "enabled": security,
            "require_install_codes": require_install_codes,
            "authenticated": (
                sum(n.security.network_key for n in nodes)
                if authenticated is None
                else authenticated
            ),
            "unique_tclk": sum(n.security.unique_tclk for n in nodes),
        },
        "per_node": [n.to_dict() for n in nodes],
        "flows": [f.to_dict() for f in flows],
        "delivery": {
            "sent": sent,
            "delivered": delivered,
            "delivery_ratio": _ratio(delivered / sent) if sent else None,
            "duplicates": sum(f.duplicates for f in flows),
            "aps_confirms": _sorted_counts(confirms),
        },
        "totals": _sorted_counts(totals),
        "drops": _sorted_counts(drops),
        "energy": [_energy_row(n, r, (steady or {}).get(n)) for n, r in (energy or {}).items()],
    }
    if network is not None:
        out["scenario"].update(network)
    if timeseries is not None:
        out["timeseries"] = list(timeseries)
    if app is not None:
        out["app"] = dict(app)
    return out


def _sorted_counts(counts: Mapping[str, int] | None) -> dict[str, int]:
    if not counts:
        return {}
    return {k: int(counts[k]) for k in sorted(counts)}


def _nonzero(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: int(counts[k]) for k in sorted(counts) if counts[k]}


def _energy_row(name: str, r: EnergyReport, st: SteadyState | None = None) -> dict[str, Any]:
    """Whole-run figures; with ``st`` the battery life is the steady state's (null when the
    device never reached one), beside its start-up charge and where the charge goes."""
    row: dict[str, Any] = {
        "name": name,
        "elapsed_s": _s(r.elapsed_us),
        "charge_mah": _sig(r.charge_mah),
        "average_current_ma": _sig(r.average_current_ma),
        "energy_j": _sig(r.energy_j),
        "battery_mah": _sig(r.battery_mah),
        "battery_life_days": _sig(r.battery_life_days),
    }
    if st is None:
        return row
    row["battery_life_basis"] = "steady state"
    row["battery_life_days"] = _sig(st.battery_life_days) if st.window_us else None
    row["battery_life_years"] = _sig(st.battery_life_days / 365.25) if st.window_us else None
    row["startup"] = {"until_s": _s(st.startup_us), "charge_mah": _sig(st.startup_nc * 1e-9 / 3.6)}
    row["steady"] = {
        "from_s": _s(st.startup_us),
        "duration_s": _s(st.window_us),
        "average_current_ua": _sig(st.average_current_ma * 1000.0),
        "by_state_ua": {k: _sig(v) for k, v in st.by_state_ua().items()},
        "by_activity_ua": {k: _sig(v) for k, v in st.by_activity_ua().items()},
        "events": dict(st.events),
    }
    return row


def summary_json(summary: Mapping[str, Any]) -> str:
    """Deterministic JSON text of ``summary``: key order as built, 2-space indent, non-finite
    floats as ``null``, trailing newline."""
    return json.dumps(_clean(summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_summary(path: str | os.PathLike[str], summary: Mapping[str, Any]) -> None:
    """Write :func:`summary_json` to ``path`` (UTF-8, ``\\n`` line ends)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(summary_json(summary))


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _s(us: int) -> float:
    """Microseconds as seconds (exact to the microsecond)."""
    return round(us / 1_000_000, 6)


def _ms(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def _ratio(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _sig(x: float) -> float:
    """Six significant digits (inf/nan pass through and become null in the JSON)."""
    return float(f"{x:.6g}") if math.isfinite(x) else x
