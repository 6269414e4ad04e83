"""Terminal tables of the application side of a run (``summary.json`` ``app``): the hub's
interviews by device type, and the application actions with what the targets did."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

__all__ = ["actions_table", "devices_table"]


def _num(x: object, fmt: str = "{:.1f}") -> str:
    if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x):
        return fmt.format(x)
    return "-"


def devices_table(app: Mapping[str, Any]) -> Table:
    """One row per device type: devices, interviews completed (and the slowest), commands
    sent / acted on, reports and alarms that reached the hub; devices whose interview did not
    complete are named below."""
    devices: Sequence[Mapping[str, Any]] = app.get("devices") or []
    iv: Mapping[str, Any] = app.get("interviews") or {}
    done, total = iv.get("completed", 0), iv.get("devices", 0)
    title = f"Devices: hub interview {done} / {total} complete"
    t = Table(title=title, title_justify="left")
    t.add_column("device type")
    for name in ("n", "interviewed", "max s", "cmds sent", "acted on", "reports", "alarms"):
        t.add_column(name, justify="right")
    by: dict[str, list[Mapping[str, Any]]] = {}
    for d in devices:
        by.setdefault(str(d.get("device")), []).append(d)
    for kind, rows in by.items():
        ok = sum(bool(r["interview"]["completed"]) for r in rows)
        took = [
            r["interview"]["duration_s"] for r in rows if r["interview"]["duration_s"] is not None
        ]
        t.add_row(
            kind,
            str(len(rows)),
            Text(f"{ok} / {len(rows)}", style="green" if ok == len(rows) else "red"),
            _num(max(took) if took else None, "{:.2f}"),
            str(sum(r.get("commands_sent", 0) for r in rows)),
            str(sum(r.get("acted_on", 0) for r in rows)),
            str(sum(r.get("reports_at_hub", 0) for r in rows)),
            str(sum(r.get("alarms_at_hub", 0) for r in rows)),
        )
    missing = [d for d in devices if not d["interview"]["completed"]]
    if missing:
        t.add_section()
        for d in missing[:10]:
            step = d["interview"].get("step")
            t.add_row(
                Text(str(d.get("name")), style="red"),
                "",
                Text(str(d["interview"]["state"]) + (f" at {step}" if step else ""), style="red"),
                *([""] * 5),
            )
    return t


def actions_table(app: Mapping[str, Any]) -> Table:
    """One row per action: times done, and for commands the targets' state changes and the
    latency from the press to the change."""
    t = Table(title="Application actions", title_justify="left")
    t.add_column("action")
    t.add_column("kind")
    for name in ("done", "acted on", "ratio", "p50 ms", "p90 ms", "p99 ms"):
        t.add_column(name, justify="right")
    actions: Sequence[Mapping[str, Any]] = app.get("actions") or []
    for a in actions:
        lat: Mapping[str, Any] = a.get("latency_ms") or {}
        ratio = a.get("acted_on_ratio")
        ratio_text = (
            Text("-")
            if not isinstance(ratio, int | float)
            else Text(
                f"{100.0 * ratio:.1f}%",
                style="green" if ratio >= 0.99 else "yellow" if ratio >= 0.9 else "red",
            )
        )
        acted = "-" if "acted_on" not in a else f"{a['acted_on']} / {a.get('expected', 0)}"
        t.add_row(
            str(a.get("name")),
            str(a.get("action")),
            str(a.get("sent", 0)),
            acted,
            ratio_text,
            _num(lat.get("p50")),
            _num(lat.get("p90")),
            _num(lat.get("p99")),
        )
    return t
