"""Terminal output of ``zigmesh run``: a progress bar over simulated time and the summary tables.

:class:`SimProgress` draws nothing (and costs one comparison per :meth:`~SimProgress.update`)
when disabled or when the console is not a terminal, so runs in tests and pipes stay quiet.
The bar's speed column reads the wall clock through rich: that is display only, never seen by
the simulation.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskProgressColumn, TextColumn
from rich.table import Table
from rich.text import Text

from zigmesh.scenario.app_tables import actions_table, devices_table
from zigmesh.scenario.health import print_health

__all__ = ["SimProgress", "print_summary_table"]


def _clock(us: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a simulated time."""
    total = int(us // 1_000_000)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _SimTimeColumn(ProgressColumn):
    """``1:23 / 5:00`` of simulated time."""

    def render(self, task: Task) -> Text:
        total = task.total or 0.0
        return Text(f"{_clock(task.completed)} / {_clock(total)}", style="progress.elapsed")


class _SpeedColumn(ProgressColumn):
    """Simulated seconds per wall-clock second."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed
        if not elapsed or task.completed <= 0:
            return Text("", style="progress.data.speed")
        return Text(f"{task.completed / 1e6 / elapsed:.1f}x real time", style="progress.data.speed")


class SimProgress:
    """Progress bar over simulated time, as a context manager::

        with SimProgress(scenario.duration_us, console=console) as bar:
            while kernel.step():
                bar.update(kernel.now)

    ``update`` redraws at most ``steps`` times over the run (it returns at once otherwise), so
    calling it after every event is cheap.
    """

    def __init__(
        self,
        total_us: int,
        *,
        console: Console | None = None,
        enabled: bool = True,
        description: str = "simulating",
        steps: int = 500,
    ) -> None:
        self.total_us = max(int(total_us), 1)
        self.console = console if console is not None else Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.description = description
        self._step = max(self.total_us // max(steps, 1), 1)
        self._next = 0
        self._now = 0
        self._progress: Progress | None = None
        self._task: Any = None

    @property
    def active(self) -> bool:
        """True while a bar is being drawn."""
        return self._progress is not None

    def __enter__(self) -> SimProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                _SimTimeColumn(),
                _SpeedColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total_us)
        else:
            self._next = self.total_us + 1  # update() never does anything
        return self

    def update(self, now_us: int) -> None:
        """Simulated time is now ``now_us``."""
        if now_us < self._next:
            return
        self._now = min(now_us, self.total_us)
        self._next = now_us + self._step
        if self._progress is not None:
            self._progress.update(self._task, completed=self._now)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


# --- the summary tables ----------------------------------------------------------------------


def _num(x: object, fmt: str = "{:.1f}") -> str:
    if x is None:
        return "-"
    if isinstance(x, int | float) and not isinstance(x, bool):
        return fmt.format(x) if math.isfinite(x) else "-"

    return str(x)


def _ratio_text(r: object) -> Text:
    if not isinstance(r, int | float) or isinstance(r, bool):
        return Text("-")
    style = "green" if r >= 0.99 else "yellow" if r >= 0.9 else "red"
    return Text(f"{100.0 * r:.1f}%", style=style)


def _confirms_text(confirms: object, *, acked: bool = True) -> Text:
    """APS confirms by status, one ``STATUS count`` per line (SUCCESS green, others red);
    a flow sent without APS ACK says so (its SUCCESS only means the NWK layer sent it)."""
    text = Text()
    if not acked:
        text.append("(no APS ACK)", style="dim")
    if not isinstance(confirms, Mapping) or not confirms:
        return text if not acked else Text("-")
    ordered = sorted(confirms.items(), key=lambda kv: (kv[0] != "SUCCESS", kv[0]))
    first = acked
    for status, count in ordered:
        if not first:
            text.append("\n")
        first = False
        text.append(f"{status} {count}", style="green" if status == "SUCCESS" else "red")
    return text


def _endpoints(flow: Mapping[str, Any]) -> str:
    sources = flow.get("from") or []
    src = sources[0] if len(sources) == 1 else f"{len(sources)} nodes"
    return f"{src} \u2192 {flow.get('to', '?')}"


def print_summary_table(summary: Mapping[str, Any], console: Console) -> None:
    """Print the run summary (the :func:`~zigmesh.scenario.metrics.build_summary` dict):
    the network, every flow, the hub's interviews and the application actions (when the
    scenario has devices), the counters and drops, and battery figures."""
    console.print(_network_table(summary))
    print_health(summary, console)
    flows: Sequence[Mapping[str, Any]] = summary.get("flows") or []
    if flows:
        console.print(_flows_table(summary, flows))
    app: Mapping[str, Any] | None = summary.get("app")
    if app:
        console.print(devices_table(app))
        if app.get("actions"):
            console.print(actions_table(app))
    totals: Mapping[str, int] = summary.get("totals") or {}
    drops: Mapping[str, int] = summary.get("drops") or {}
    if totals or drops:
        console.print(_totals_table(totals, drops))
    energy: Sequence[Mapping[str, Any]] = summary.get("energy") or []
    if energy:
        console.print(_energy_table(energy))


def _network_table(summary: Mapping[str, Any]) -> Table:
    sc: Mapping[str, Any] = summary.get("scenario") or {}
    title = f"Network: {sc['name']}" if sc.get("name") else "Network"
    t = Table(title=title, show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    if sc.get("seed") is not None:
        t.add_row("seed", str(sc["seed"]))
    if sc.get("duration_s") is not None:
        t.add_row("simulated", f"{sc['duration_s']:g} s")
    if sc.get("channel") is not None:
        t.add_row("channel", str(sc["channel"]))
    nodes = summary.get("nodes", 0)
    joined = summary.get("joined", 0)
    style = "green" if joined == nodes else "red"
    t.add_row("joined", Text(f"{joined} / {nodes}", style=style))
    per_node: Sequence[Mapping[str, Any]] = summary.get("per_node") or []
    roles: dict[str, list[int]] = {}
    for row in per_node:
        r = roles.setdefault(str(row.get("role")), [0, 0])
        r[1] += 1
        r[0] += row.get("joined_at_s") is not None
    for role, (j, n) in roles.items():
        t.add_row(f"  {role.replace('_', ' ')}s", f"{j} / {n}")
    formation = summary.get("formation_time_s")
    t.add_row("formation time", "-" if formation is None else f"{formation:.2f} s")
    sec: Mapping[str, Any] = summary.get("security") or {}
    if sec:
        if sec.get("enabled"):
            auth = sec.get("authenticated", 0)
            style = "green" if auth == nodes else "red"
            codes = ", install codes required" if sec.get("require_install_codes") else ""
            t.add_row("security", f"on{codes}")
            t.add_row("  authenticated", Text(f"{auth} / {nodes}", style=style))
            t.add_row("  unique TC link keys", f"{sec.get('unique_tclk', 0)} / {max(nodes - 1, 0)}")
        else:
            t.add_row("security", Text("off", style="yellow"))
    depths = [row["depth"] for row in per_node if isinstance(row.get("depth"), int)]
    if depths:
        t.add_row("depth", f"max {max(depths)}, mean {statistics.fmean(depths):.2f}")
    missing = [str(row.get("name")) for row in per_node if row.get("joined_at_s") is None]
    if missing:
        more = f" (+{len(missing) - 10} more)" if len(missing) > 10 else ""
        t.add_row("not joined", Text(", ".join(missing[:10]) + more, style="red"))
    return t


def _flows_table(summary: Mapping[str, Any], flows: Sequence[Mapping[str, Any]]) -> Table:
    t = Table(title="Traffic", title_justify="left")
    t.add_column("flow")
    t.add_column("from \u2192 to")
    for name in ("sent", "delivered", "ratio"):
        t.add_column(name, justify="right")
    t.add_column("APS confirms", no_wrap=True)
    for name in ("p50 ms", "p90 ms", "p99 ms", "hops"):
        t.add_column(name, justify="right")
    for f in flows:
        lat: Mapping[str, Any] = f.get("latency_ms") or {}
        hops: Mapping[str, Any] = f.get("hops") or {}
        hop_text = "-" if hops.get("mean") is None else f"{hops['mean']:.1f} / {hops.get('max')}"
        t.add_row(
            str(f.get("name", "")),
            _endpoints(f),
            str(f.get("sent", 0)),
            str(f.get("delivered", 0)),
            _ratio_text(f.get("delivery_ratio")),
            _confirms_text(f.get("aps_confirms"), acked=f.get("ack", True) is not False),
            _num(lat.get("p50")),
            _num(lat.get("p90")),
            _num(lat.get("p99")),
            hop_text,
        )
    d: Mapping[str, Any] = summary.get("delivery") or {}
    if d and len(flows) > 1:
        t.add_section()
        t.add_row(
            Text("all", style="bold"),
            "",
            str(d.get("sent", 0)),
            str(d.get("delivered", 0)),
            _ratio_text(d.get("delivery_ratio")),
            _confirms_text(d.get("aps_confirms")),
            "",
            "",
            "",
            "",
        )
    return t


def _totals_table(totals: Mapping[str, int], drops: Mapping[str, int]) -> Table:
    t = Table(title="Counters", title_justify="left")
    t.add_column("counter")
    t.add_column("count", justify="right")
    for k, v in totals.items():
        t.add_row(k.replace("_", " "), str(v))
    if drops:
        t.add_section()
        for k, v in drops.items():
            t.add_row(Text(f"dropped: {k.replace('_', ' ')}", style="yellow"), str(v))
    return t


def _energy_table(energy: Sequence[Mapping[str, Any]]) -> Table:
    """Battery devices: the steady-state current (start-up apart) and where it goes."""
    t = Table(title="Battery devices (steady state; start-up charge apart)", title_justify="left")
    t.add_column("device")
    t.add_column("steady \u00b5A", justify="right")
    t.add_column("polls \u00b5A", justify="right")
    t.add_column("data \u00b5A", justify="right")
    t.add_column("sleep \u00b5A", justify="right")
    t.add_column("start-up \u00b5Ah", justify="right")
    t.add_column("battery life (days)", justify="right")

    def life(row: Mapping[str, Any]) -> float:
        v = row.get("battery_life_days")
        return float(v) if isinstance(v, int | float) else float("inf")

    rows = list(energy)
    if len(rows) > 12:
        rows = sorted(rows, key=life)[:5]
        caption = f"the 5 shortest-lived of {len(energy)}"
        t.caption = caption
    for row in rows:
        st: Mapping[str, Any] = row.get("steady") or {}
        act: Mapping[str, Any] = st.get("by_activity_ua") or {}
        startup: Mapping[str, Any] = row.get("startup") or {}
        sc = startup.get("charge_mah")
        avg = st.get("average_current_ua")
        if avg is None:  # no steady-state figures: the whole run's average
            ma = row.get("average_current_ma")
            avg = ma * 1000.0 if isinstance(ma, int | float) else None
        t.add_row(
            str(row.get("name", "")),
            _num(avg, "{:.3f}"),
            _num(act.get("polls"), "{:.3f}"),
            _num(act.get("data"), "{:.3f}"),
            _num(act.get("sleep"), "{:.3f}"),
            _num(None if not isinstance(sc, int | float) else sc * 1000.0, "{:.3f}"),
            _num(row.get("battery_life_days"), "{:.0f}"),
        )
    lives = [life(r) for r in energy if life(r) != float("inf")]
    if len(energy) > 1 and lives:
        t.add_section()
        t.add_row(
            Text(f"median of {len(energy)}", style="bold"),
            "",
            "",
            "",
            "",
            "",
            f"{statistics.median(lives):.0f}",
        )
    return t
