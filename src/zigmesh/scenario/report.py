"""``report.html``: one self-contained page per run (issue 12).

Built from the ``summary.json`` structure and the map inputs, nothing else, so it says exactly
what the summary says. Sections: key figures; the map (inline SVG from
:mod:`~zigmesh.scenario.mapsvg`: hover a node for its figures, click it to highlight its
routes, parent link and neighbours with their LQI; floor filter; neighbour-link and all-routes
toggles); per-minute charts (matplotlib SVG, :mod:`~zigmesh.scenario.charts`); per-flow /
per-source and per-node tables (click a header to sort, a row to select the node); the battery
ranking with where the charge goes; network events (nodes not joined and why, rejoins, parent
losses). No external resources: CSS, script and data are inline; links point at the run's
other files by relative path. No wall-clock time appears in it: same run, same bytes.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from zigmesh import __version__
from zigmesh.scenario.maplayout import (
    FLOOR_COLOURS,
    ROUTE_COLOURS,
    PlotNode,
    floor_levels,
    level,
    lqi_rgb,
)
from zigmesh.scenario.mapsvg import map_svg
from zigmesh.scenario.report_assets import CSS, JS
from zigmesh.scenario.report_faults import faults_html

__all__ = ["render_report", "write_report"]

Row = Mapping[str, Any]


def _e(v: Any) -> str:
    return escape(str(v))


def _n(v: Any, fmt: str = "{:g}") -> str:
    if v is None or isinstance(v, bool) or not isinstance(v, int | float):
        return "\u2013" if v is None else _e(v)
    return fmt.format(v)


def _td(v: Any, fmt: str = "{:g}", text: bool = False) -> str:
    if text:
        return f'<td class="t">{_e("" if v is None else v)}</td>'
    key = "" if v is None or not isinstance(v, int | float) else repr(v)
    return f'<td data-v="{key}">{_n(v, fmt)}</td>'


def _table(head: Sequence[tuple[str, bool]], rows: Sequence[str], tid: str) -> str:
    th = "".join(f'<th class="{"t" if t else ""}">{_e(h)}</th>' for h, t in head)
    return (
        f'<div class="scroll"><table class="data" id="{tid}"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _hops(n: int) -> str:
    return f"{n} hop" if n == 1 else f"{n} hops"


def _drops(row: Row) -> int:
    return sum(int(v) for v in (row.get("drops") or {}).values())


def _node_data(
    summary: Row, nodes: Sequence[PlotNode], index: Mapping[str, int]
) -> list[dict[str, Any]]:
    """What the page's script shows per node (indexed like the map's nodes)."""
    per = {str(r.get("name")): r for r in summary.get("per_node") or []}
    energy = {str(r.get("name")): r for r in summary.get("energy") or []}
    routes: dict[str, list[list[str]]] = {}
    for flow in summary.get("flows") or []:
        for src in flow.get("per_source") or []:
            route = src.get("route") or []
            if len(route) > 1:
                for name in route:
                    routes.setdefault(str(name), []).append(list(route))
    out = []
    for n in nodes:
        r = per.get(n.name, {})
        mac = r.get("mac") or {}
        nwk = r.get("nwk") or {}
        nb = []
        for e in r.get("neighbours") or []:
            j = index.get(str(e.get("name")))
            if j is not None:
                nb.append([j, e.get("lqi"), lqi_rgb(e.get("lqi")), e.get("incoming_cost")])
        radio = r.get("radio_energy") or {}
        cur = radio.get("average_current_ma")
        d: dict[str, Any] = {
            "name": n.name,
            "role": n.role.replace("_", " "),
            "short": r.get("short_address"),
            "ieee": r.get("eui64"),
            "parent": r.get("parent"),
            "depth": r.get("depth"),
            "lqi": n.lqi_to_parent,
            "joined_at": r.get("joined_at_s"),
            "reason": r.get("not_joined_reason"),
            "frames": r.get("frames") or {},
            "retries": mac.get("retries"),
            "failures": (mac.get("no_ack") or 0) + (mac.get("channel_access_failures") or 0)
            if mac
            else None,
            "discoveries": nwk.get("route_discoveries"),
            "drops": _drops(r),
            "current_ua": None if cur is None else round(cur * 1000.0, 3),
            "nb": nb,
            "routes": routes.get(n.name, [])[:6],
        }
        if n.name in energy:
            d["battery_days"] = energy[n.name].get("battery_life_days")
        out.append(d)
    return out


def _cards(summary: Row) -> str:
    nodes, joined = summary.get("nodes", 0), summary.get("joined", 0)
    d = summary.get("delivery") or {}
    ratio = d.get("delivery_ratio")
    flows = summary.get("flows") or []
    p99s = [f["latency_ms"]["p99"] for f in flows if (f.get("latency_ms") or {}).get("p99")]
    lives = [
        e["battery_life_days"]
        for e in summary.get("energy") or []
        if isinstance(e.get("battery_life_days"), int | float)
    ]
    totals = summary.get("totals") or {}
    cards = [
        (f"{joined} / {nodes}", "joined", "good" if joined == nodes else "bad"),
        (_n(summary.get("formation_time_s"), "{:.1f} s"), "formation time", ""),
        (
            "\u2013" if ratio is None else f"{100 * ratio:.1f} %",
            f"delivered ({d.get('delivered', 0)} of {d.get('sent', 0)})",
            "" if ratio is None else "good" if ratio >= 0.99 else "warn" if ratio >= 0.9 else "bad",
        ),
        (_n(max(p99s) if p99s else None, "{:.1f} ms"), "worst flow p99 latency", ""),
        (str(totals.get("mac_retries", "\u2013")), "MAC retries", ""),
        (str(totals.get("route_discoveries", "\u2013")), "route discoveries", ""),
        (
            _n(statistics.median(lives) if lives else None, "{:.0f} d"),
            "median battery life",
            "",
        ),
        (_n(min(lives) if lives else None, "{:.0f} d"), "shortest battery life", ""),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b class="{c}">{_e(v)}</b><span>{_e(k)}</span></div>'
            for v, k, c in cards
        )
        + "</div>"
    )


def _map_section(
    nodes: Sequence[PlotNode],
    links: Sequence[tuple[str, str, int | None]],
    routes: Sequence[Sequence[str]],
) -> str:
    floors = floor_levels([n.z for n in nodes])
    buttons = ""
    if len(floors) > 1:
        buttons = '<button data-floor="all" class="on">all floors</button>' + "".join(
            f'<button data-floor="{i}">z = {z:g} m</button>' for i, z in enumerate(floors)
        )
    legend = [
        ('<i style="background:#ffc400"></i>coordinator'),
        ('<i style="background:#1f4e9c"></i>router'),
        ('<i style="background:#b39ddb;border-radius:6px"></i>end device'),
        (
            '<i style="background:linear-gradient(90deg,#d73027,#ffffbf,#1a9850)"></i>'
            "parent link by LQI (0 \u2013 255)"
        ),
    ]
    if len(floors) > 1:
        legend += [
            f'<i style="background:#fff;border:2px solid {FLOOR_COLOURS[k % len(FLOOR_COLOURS)]}">'
            f"</i>floor z = {z:g} m"
            for k, z in enumerate(floors)
        ]
        legend.append("dashed: link between floors")
    multi = [r for r in routes if len(r) > 1]
    legend += [
        f'<i style="background:{ROUTE_COLOURS[k % len(ROUTE_COLOURS)]}"></i>'
        f"{_e(r[0])} \u2192 {_e(r[-1])} ({_hops(len(r) - 1)})"
        for k, r in enumerate(multi[:6])
    ]
    return (
        '<section id="map-section"><h2>Network map</h2>'
        f'<div class="controls">{buttons} <label><input type="checkbox" id="show-nb"> '
        "neighbour links (router to router, by LQI)</label> "
        f'<label><input type="checkbox" id="show-routes"> all {len(multi)} routes taken</label>'
        "</div>"
        f'<div class="maprow"><div class="mapbox">{map_svg(nodes, links, routes)}'
        '<div id="tip"></div></div><div id="info"></div></div>'
        f'<p class="legend">{"".join(f"<span>{x}</span>" for x in legend)}</p>'
        '<p class="note">Every node at its true position (metres); hover a node for its '
        "figures, click it to highlight its routes, parent link and neighbours.</p></section>"
    )


def _flows_section(summary: Row) -> str:
    rows = []
    for f in summary.get("flows") or []:
        for s in f.get("per_source") or []:
            lat = s.get("latency_ms") or {}
            hops = s.get("hops") or {}
            ratio = s.get("delivery_ratio")
            rows.append(
                "<tr>"
                + _td(f.get("name"), text=True)
                + _td(s.get("source"), text=True)
                + _td(f.get("to"), text=True)
                + _td(s.get("sent"))
                + _td(s.get("delivered"))
                + _td(None if ratio is None else round(100 * ratio, 2), "{:.1f}")
                + _td(lat.get("p50"), "{:.1f}")
                + _td(lat.get("p90"), "{:.1f}")
                + _td(lat.get("p99"), "{:.1f}")
                + _td(hops.get("mean"), "{:.2f}")
                + _td(hops.get("max"))
                + _td(" \u2192 ".join(s.get("route") or []), text=True)
                + "</tr>"
            )
    head = [
        ("flow", True),
        ("source", True),
        ("to", True),
        ("sent", False),
        ("delivered", False),
        ("delivered %", False),
        ("p50 ms", False),
        ("p90 ms", False),
        ("p99 ms", False),
        ("hops", False),
        ("max hops", False),
        ("route taken (most messages)", True),
    ]
    return (
        '<section id="flows"><h2>Traffic, per flow and source</h2>'
        + _table(head, rows, "flow-table")
        + "</section>"
    )


def _nodes_section(summary: Row, index: Mapping[str, int], nodes: Sequence[PlotNode]) -> str:
    energy = {str(r.get("name")): r for r in summary.get("energy") or []}
    z = {n.name: level(n.z) for n in nodes}
    rows = []
    for r in summary.get("per_node") or []:
        name = str(r.get("name"))
        fr = r.get("frames") or {}
        mac = r.get("mac") or {}
        radio = r.get("radio_energy") or {}
        cur = radio.get("average_current_ma")
        rows.append(
            f'<tr id="row-{index.get(name, -1)}" data-node="{index.get(name, -1)}">'
            + _td(name, text=True)
            + _td(str(r.get("role", "")).replace("_", " "), text=True)
            + _td(z.get(name))
            + _td(r.get("short_address"), text=True)
            + _td(r.get("parent"), text=True)
            + _td(r.get("depth"))
            + _td(r.get("joined_at_s"), "{:.2f}")
            + _td(fr.get("mac_sent"))
            + _td(fr.get("mac_received"))
            + _td(fr.get("nwk_relayed"))
            + _td(mac.get("retries"))
            + _td((mac.get("no_ack") or 0) + (mac.get("channel_access_failures") or 0))
            + _td((r.get("nwk") or {}).get("route_discoveries"))
            + _td(_drops(r))
            + _td(len(r.get("neighbours") or []))
            + _td(r.get("children"))
            + _td((r.get("routing_table") or {}).get("entries"))
            + _td(None if cur is None else round(cur * 1000.0, 3), "{:.1f}")
            + _td((energy.get(name) or {}).get("battery_life_days"), "{:.0f}")
            + _td(r.get("not_joined_reason"), text=True)
            + "</tr>"
        )
    head = [
        ("node", True),
        ("role", True),
        ("floor z", False),
        ("short", True),
        ("parent", True),
        ("depth", False),
        ("joined s", False),
        ("MAC sent", False),
        ("MAC received", False),
        ("relayed", False),
        ("retries", False),
        ("failures", False),
        ("route disc.", False),
        ("drops", False),
        ("neighbours", False),
        ("children", False),
        ("routes", False),
        ("radio \u00b5A", False),
        ("battery days", False),
        ("not joined because", True),
    ]
    return (
        '<section id="nodes"><h2>Nodes</h2><p class="note">Counters over the whole run; '
        "failures = frames the MAC gave up on (no ACK, channel busy); radio \u00b5A = average "
        "radio current over the run (start-up included).</p>"
        + _table(head, rows, "node-table")
        + "</section>"
    )


def _energy_section(summary: Row) -> str:
    rows_in = [r for r in summary.get("energy") or [] if r.get("steady")]
    if not summary.get("energy"):
        return ""
    rows = []
    for r in summary.get("energy") or []:
        st = r.get("steady") or {}
        act = st.get("by_activity_ua") or {}
        ev = st.get("events") or {}
        startup = r.get("startup") or {}
        sc = startup.get("charge_mah")
        rows.append(
            "<tr>"
            + _td(r.get("name"), text=True)
            + _td(st.get("average_current_ua"), "{:.3f}")
            + "".join(
                _td(act.get(k), "{:.3f}")
                for k in ("polls", "data", "nwk_commands", "joins", "sleep")
            )
            + _td(ev.get("polls"))
            + _td(ev.get("data"))
            + _td(None if sc is None else round(sc * 1000.0, 4), "{:.3f}")
            + _td(startup.get("until_s"), "{:.0f}")
            + _td(r.get("battery_life_days"), "{:.0f}")
            + _td(r.get("battery_life_years"), "{:.1f}")
            + "</tr>"
        )
    head = [
        ("device", True),
        ("steady \u00b5A", False),
        ("polls \u00b5A", False),
        ("data \u00b5A", False),
        ("NWK cmds \u00b5A", False),
        ("joins \u00b5A", False),
        ("sleep \u00b5A", False),
        ("polls", False),
        ("data frames", False),
        ("start-up \u00b5Ah", False),
        ("start-up until s", False),
        ("battery days", False),
        ("years", False),
    ]
    from zigmesh.scenario.charts import energy_svg  # matplotlib: only when rendering

    chart = f'<div class="chart">{energy_svg(rows_in)}</div>' if rows_in else ""
    return (
        '<section id="energy"><h2>Battery devices</h2><p class="note">Battery life from the '
        "steady state (after joining and start-up, which is reported on its own), CR2032 "
        "220 mAh, radio only. The current is split by what each wake-up sent.</p>"
        + chart
        + _table(head, rows, "energy-table")
        + "</section>"
    )


def _events_section(summary: Row) -> str:
    items = []
    for r in summary.get("per_node") or []:
        reason = r.get("not_joined_reason")
        if reason:
            items.append(
                f"<li><b class='bad'>{_e(r.get('name'))}</b> not joined: {_e(reason)}</li>"
            )
    for r in summary.get("per_node") or []:
        nwk = r.get("nwk") or {}
        bits = [
            f"{nwk[k]} {k.replace('_', ' ')}"
            for k in ("rejoins", "parent_losses", "link_failures", "route_repairs")
            if nwk.get(k)
        ]
        if bits:
            items.append(f"<li>{_e(r.get('name'))}: {_e(', '.join(bits))}</li>")
    minutes = [
        m
        for m in summary.get("timeseries") or []
        if m.get("rejoins") or (m.get("delivery_ratio") is not None and m["delivery_ratio"] < 1)
    ]
    for m in minutes[:60]:
        items.append(
            f"<li>minute {m.get('start_s', 0) / 60:g}\u2013{m.get('end_s', 0) / 60:g}: "
            f"{_n(m.get('rejoins'))} rejoins, delivered "
            f"{_n(m.get('delivered'))}/{_n(m.get('sent'))}, {_n(m.get('joined'))} joined</li>"
        )
    body = (
        "<ul>" + "".join(items) + "</ul>"
        if items
        else "<p>Nothing to report: every node "
        "joined and stayed, every message sent in each minute was delivered.</p>"
    )
    return (
        '<section id="events"><h2>Faults and the network\'s response</h2>'
        + faults_html(summary)
        + '<p class="note">What the network went through (nodes not joined and why, rejoins, '
        "parent losses, link failures, minutes with losses) is listed here, minute by minute "
        "in the charts; a scenario's [[faults]] and [[attackers]] are in the tables above.</p>"
        + body
        + "</section>"
    )


def render_report(
    summary: Row,
    nodes: Sequence[PlotNode],
    links: Sequence[tuple[str, str, int | None]] = (),
    routes: Sequence[Sequence[str]] = (),
    *,
    title: str = "",
    files: Mapping[str, str] | None = None,
) -> str:
    """The page's HTML text. ``files``: link text -> relative path of the run's other files."""
    index = {n.name: i for i, n in enumerate(nodes)}
    sc = summary.get("scenario") or {}
    data = json.dumps(
        {"nodes": _node_data(summary, nodes, index)},
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
        default=str,
    ).replace("</", "<\\/")
    links_html = " ".join(
        f'<a href="{_e(path)}">{_e(text)}</a>' for text, path in (files or {}).items()
    )
    ts = summary.get("timeseries") or []
    from zigmesh.scenario.charts import timeseries_svg  # matplotlib: only when rendering

    charts = (
        '<section id="timeseries"><h2>Minute by minute</h2><p class="note">Delivery and '
        "latency of the messages sent in each minute; frames and channel use from the capture; "
        "counters' growth per minute.</p>"
        f'<div class="chart">{timeseries_svg(ts)}</div></section>'
        if ts
        else ""
    )
    head_title = title or f"zigmesh run: {sc.get('name') or sc.get('source') or ''}"
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(head_title)}</title><style>{CSS}</style></head><body>",
            f"<header><h1>{_e(head_title)}</h1>",
            f"<p>{_e(sc.get('source') or '')}</p><nav>{links_html}</nav></header><main>",
            f'<section id="overview"><h2>At a glance</h2>{_cards(summary)}</section>',
            _map_section(nodes, links, routes),
            charts,
            _flows_section(summary),
            _nodes_section(summary, index, nodes),
            _energy_section(summary),
            _events_section(summary),
            f"</main><footer>zigmesh {_e(__version__)}: simulated, deterministic; "
            + (
                "open capture.pcap in Wireshark.</footer>"
                if files is None or "capture.pcap" in files
                else "no capture written (capture = false).</footer>"
            ),
            f'<script type="application/json" id="report-data">{data}</script>',
            f"<script>{JS}</script></body></html>\n",
        ]
    )


def write_report(path: str | os.PathLike[str], html: str) -> None:
    """Write the page (UTF-8, ``\\n`` line ends)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(html)
