"""The report's health verdict, faults and attackers (issue 9): HTML fragments for the
"Faults and the network's response" section of ``report.html``, from ``summary.json``'s
``health``, ``faults`` and ``attackers``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

__all__ = ["faults_html"]

Row = Mapping[str, Any]


def _e(v: Any) -> str:
    return escape("\u2013" if v is None else str(v))


def _num(v: Any, unit: str = "") -> str:
    if v is None:
        return "\u2013"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return _e(v)
    return f"{v:g}{unit}"


def _table(
    head: Sequence[str], rows: Sequence[Sequence[str]], tid: str, text: Sequence[int] = (0,)
) -> str:
    """A sortable report table; columns ``text`` are left-aligned text."""
    cls = ["" if k not in text else ' class="t"' for k in range(len(head))]
    th = "".join(f"<th{cls[k]}>{_e(h)}</th>" for k, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f"<td{cls[k]}>{c}</td>" for k, c in enumerate(r)) + "</tr>" for r in rows
    )
    return (
        f'<div class="scroll"><table class="data" id="{tid}"><thead><tr>{th}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _what(f: Row) -> str:
    kind = f.get("kind")
    targets = ", ".join(f.get("targets") or []) or "every node"
    if kind == "link":
        db = "cut" if f.get("cut") else f"{_num(f.get('db'))} dB"
        return f"link {targets} \u2194 {', '.join(f.get('peers') or [])}: {db}"
    if kind == "frame_loss":
        return f"frame loss {_num(f.get('probability'))} on {targets}"
    if kind == "interference":
        pos = ", ".join(f"{x:g}" for x in (f.get("position") or [])[:2])
        return f"jammer at ({pos}) {_num(f.get('power_dbm'))} dBm, duty {_num(f.get('duty_cycle'))}"
    if kind == "move":
        to = f.get("to") or f.get("by")
        how = "to" if f.get("to") else "by"
        return f"move {targets} {how} ({', '.join(f'{x:g}' for x in (to or [])[:2])})"
    return f"{str(kind).replace('_', ' ')} {targets}"


def faults_html(summary: Row) -> str:
    """Health verdict, then a row per fault occurrence (time, what, messages sent and lost
    while it lasted, counters, time to recover), then the attackers; empty without any."""
    out = []
    health: Row = summary.get("health") or {}
    if health:
        if health.get("healthy"):
            out.append(
                "<p><b class='good'>Healthy</b> at the end of the run: every node joined, "
                "every flow source delivered in the last minute.</p>"
            )
        else:
            reasons = "".join(f"<li>{_e(r)}</li>" for r in health.get("reasons") or [])
            out.append(
                f"<p><b class='bad'>Unhealthy</b> at the end of the run:</p><ul>{reasons}</ul>"
            )
    rows = []
    for f in summary.get("faults") or []:
        for o in f.get("occurrences") or []:
            rec = o.get("recovery_s")
            recovered = (
                f"{rec:g} s"
                if o.get("recovered") and rec is not None
                else "<b class='bad'>not recovered</b>"
                + (
                    f" ({_e(', '.join(o.get('not_recovered') or []))})"
                    if o.get("not_recovered")
                    else ""
                )
            )
            rows.append(
                [
                    _e(f.get("name")),
                    _num(o.get("start_s"), " s"),
                    _num(o.get("end_s"), " s"),
                    _e(_what(f)),
                    _num(o.get("messages_sent")),
                    _num(o.get("messages_lost")),
                    _num(o.get("mac_no_ack")),
                    _num(o.get("parent_losses")),
                    _num(o.get("rejoins")),
                    _num(o.get("frames_dropped")),
                    recovered,
                ]
            )
    if rows:
        out.append(
            "<h3>Faults</h3><p class='note'>Messages sent while each fault lasted and those "
            "never delivered; counters' growth meanwhile; time to recover: from the fault's "
            "end (its start if it has none) until every flow delivered again.</p>"
            + _table(
                (
                    "fault",
                    "from",
                    "until",
                    "what",
                    "sent",
                    "lost",
                    "MAC no ACK",
                    "parent losses",
                    "rejoins",
                    "frames dropped",
                    "recovered in",
                ),
                rows,
                "faults-table",
                (0, 3),
            )
        )
    arows = []
    for a in summary.get("attackers") or []:
        pos = ", ".join(f"{x:g}" for x in (a.get("position") or [])[:2])
        sent = a.get("jammed_s") if a.get("kind") == "jam" else a.get("frames_sent")
        arows.append(
            [
                _e(a.get("name")),
                _e(a.get("kind")),
                _e(f"({pos})"),
                _num(a.get("start_s"), " s"),
                _num(a.get("stop_s"), " s"),
                _num(a.get("rate_hz"), "/s"),
                _num(sent, " s" if a.get("kind") == "jam" else ""),
                _num(a.get("frames_heard")),
            ]
        )
    if arows:
        out.append(
            "<h3>Attackers</h3>"
            + _table(
                ("attacker", "kind", "position", "from", "until", "rate", "sent / jammed", "heard"),
                arows,
                "attackers-table",
                (0, 1, 2),
            )
        )
    return "".join(out)
