"""The stylesheet and script inlined into ``report.html`` (kept apart from the Python that
writes the page). Plain CSS and dependency-free JavaScript: hover and click on the map, floor
filter, neighbour-link toggle, sortable tables. Script errors are recorded on
``document.body.dataset.errors`` as well as in the console, so a test can read them."""

from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = """
:root { --fg: #212121; --muted: #757575; --line: #e0e0e0; --accent: #1565c0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  margin: 0; background: #fafafa; }
header { background: #263238; color: #fff; padding: 14px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #cfd8dc; }
header nav a { color: #80deea; margin-right: 14px; }
main { padding: 12px 24px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 14px 0;
  padding: 12px 16px; }
h2 { font-size: 16px; margin: 0 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.card b { display: block; font-size: 18px; }
.card span { color: var(--muted); font-size: 12px; }
.bad { color: #c62828; } .good { color: #2e7d32; } .warn { color: #ef6c00; }
.maprow { display: flex; gap: 14px; align-items: flex-start; flex-wrap: wrap; }
.mapbox { flex: 1 1 640px; min-width: 320px; position: relative; }
svg.map { width: 100%; height: auto; background: #fff; border: 1px solid var(--line); }
svg.map line { stroke-width: 1.6; }
svg.map .neighbours { display: none; opacity: .45; }
svg.map .neighbours line { stroke-width: .8; }
svg.map.show-nb .neighbours { display: inline; }
svg.map .tree line { opacity: .85; }
svg.map .route { fill: none; stroke-width: 2.6; opacity: .85; }
svg.map .route.hidden { display: none; }
svg.map.show-all-routes .route.hidden { display: inline; }
svg.map .node { cursor: pointer; }
svg.map .node:hover > :first-child { stroke: #000; stroke-width: 2.5; }
svg.map .labels text { font-size: 10px; fill: #424242; pointer-events: none; }
svg.map .scale line { stroke: #616161; stroke-width: 2; }
svg.map .scale text { font-size: 10px; fill: #616161; }
svg.map .off { display: none; }
svg.map.selecting .tree, svg.map.selecting .route, svg.map.selecting .node,
svg.map.selecting .labels { opacity: .18; }
svg.map.selecting .hl, svg.map.selecting .route.hl { opacity: 1; display: inline; }
svg.map.selecting .node.hl > :first-child { stroke: #000; stroke-width: 3; }
svg.map #selection line { stroke-width: 2.2; }
svg.map #selection text { font-size: 9px; fill: #000; paint-order: stroke; stroke: #fff;
  stroke-width: 3px; }
#tip { position: absolute; pointer-events: none; background: rgba(33,33,33,.92); color: #fff;
  padding: 6px 8px; border-radius: 4px; font-size: 12px; display: none; max-width: 380px;
  z-index: 5; }
#info { flex: 0 1 380px; min-width: 300px; border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 12px; font-size: 13px; max-height: 680px; overflow: auto; }
#info table td:first-child { color: var(--muted); padding-right: 10px; }
.controls { margin: 0 0 8px; font-size: 13px; }
.controls button { margin-right: 4px; }
.controls button.on { background: var(--accent); color: #fff; border-color: var(--accent); }
.legend span { margin-right: 12px; font-size: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 12px; height: 12px; vertical-align: -2px;
  margin-right: 4px; border: 1px solid #0003; }
table.data { border-collapse: collapse; font-size: 12.5px; width: 100%; }
table.data th, table.data td { padding: 3px 7px; border-bottom: 1px solid #eee; text-align: right;
  white-space: nowrap; }
table.data th { position: sticky; top: 0; background: #eceff1; cursor: pointer;
  user-select: none; }
table.data th.asc::after { content: " \\25B2"; } table.data th.desc::after { content: " \\25BC"; }
table.data td.t, table.data th.t { text-align: left; }
table.data tr:hover td { background: #f5f5f5; }
table.data tr.hl td { background: #fff8e1; }
.scroll { max-height: 520px; overflow: auto; }
.chart svg { width: 100%; height: auto; max-width: 980px; }
.note { color: var(--muted); font-size: 12.5px; }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; }
"""

JS = r"""
(function () {
  "use strict";
  var errors = [];
  function record(msg) {
    errors.push(String(msg));
    if (document.body) { document.body.dataset.errors = errors.join("\n"); }
  }
  window.addEventListener("error", function (e) { record(e.message); });
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var nodes = DATA.nodes;
  var svg = document.getElementById("map");
  var tip = document.getElementById("tip");
  var info = document.getElementById("info");
  var NS = "http://www.w3.org/2000/svg";
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }
  function fmt(v, unit) {
    if (v === null || v === undefined) { return "\u2013"; }
    return esc(v) + (unit ? " " + unit : "");
  }
  function rows(pairs) {
    return "<table>" + pairs.map(function (p) {
      return "<tr><td>" + esc(p[0]) + "</td><td>" + p[1] + "</td></tr>";
    }).join("") + "</table>";
  }
  function summaryPairs(n) {
    var f = n.frames || {};
    var p = [
      ["role", fmt(n.role)], ["short address", fmt(n.short)], ["IEEE", fmt(n.ieee)],
      ["parent", fmt(n.parent)], ["depth", fmt(n.depth)], ["LQI to parent", fmt(n.lqi)],
      ["joined at", fmt(n.joined_at, "s")]
    ];
    if (n.reason) { p.push(["not joined", "<b class='bad'>" + esc(n.reason) + "</b>"]); }
    p.push(["frames sent / received", fmt(f.mac_sent) + " / " + fmt(f.mac_received)]);
    p.push(["relayed", fmt(f.nwk_relayed)]);
    p.push(["MAC retries / failures", fmt(n.retries) + " / " + fmt(n.failures)]);
    p.push(["route discoveries", fmt(n.discoveries)]);
    p.push(["drops", fmt(n.drops)]);
    p.push(["avg radio current", fmt(n.current_ua, "\u00b5A")]);
    if (n.battery_days !== undefined) {
      p.push(["battery life", fmt(n.battery_days, "days")]);
    }
    return p;
  }
  function showTip(i, ev) {
    var n = nodes[i];
    tip.innerHTML = "<b>" + esc(n.name) + "</b><br>" + rows(summaryPairs(n).slice(0, 9));
    tip.style.display = "block";
    moveTip(ev);
  }
  function moveTip(ev) {
    var box = svg.parentNode.getBoundingClientRect();
    var x = ev.clientX - box.left + 14, y = ev.clientY - box.top + 14;
    if (x + tip.offsetWidth > box.width) { x = Math.max(0, x - tip.offsetWidth - 28); }
    if (y + tip.offsetHeight > box.height) { y = Math.max(0, y - tip.offsetHeight - 28); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function lineTo(layer, a, b, colour, label) {
    var ea = document.getElementById("n-" + a), eb = document.getElementById("n-" + b);
    if (!ea || !eb) { return; }
    var pa = centre(ea), pb = centre(eb);
    var l = document.createElementNS(NS, "line");
    l.setAttribute("x1", pa[0]); l.setAttribute("y1", pa[1]);
    l.setAttribute("x2", pb[0]); l.setAttribute("y2", pb[1]);
    l.setAttribute("stroke", colour);
    layer.appendChild(l);
    if (label) {
      var t = document.createElementNS(NS, "text");
      t.setAttribute("x", (pa[0] + pb[0]) / 2); t.setAttribute("y", (pa[1] + pb[1]) / 2);
      t.textContent = label;
      layer.appendChild(t);
    }
  }
  function centre(el) {
    var b = el.firstElementChild.getBBox();
    return [b.x + b.width / 2, b.y + b.height / 2];
  }
  function clearSel() {
    svg.classList.remove("selecting");
    Array.prototype.forEach.call(svg.querySelectorAll(".hl"), function (e) {
      e.classList.remove("hl");
    });
    var old = document.getElementById("selection");
    if (old) { old.parentNode.removeChild(old); }
    Array.prototype.forEach.call(document.querySelectorAll("tr.hl"), function (e) {
      e.classList.remove("hl");
    });
    info.innerHTML = "<p class='note'>Click a node (on the map or in the table) for its " +
      "figures, routes and neighbours.</p>";
  }
  function select(i) {
    clearSel();
    var n = nodes[i];
    svg.classList.add("selecting");
    var layer = document.createElementNS(NS, "g");
    layer.setAttribute("id", "selection");
    svg.insertBefore(layer, document.getElementById("nodes"));
    document.getElementById("n-" + i).classList.add("hl");
    (n.nb || []).forEach(function (e) {
      lineTo(layer, i, e[0], e[2], String(e[1]));
      var el = document.getElementById("n-" + e[0]);
      if (el) { el.classList.add("hl"); }
    });
    var mine = " " + i + " ";
    Array.prototype.forEach.call(svg.querySelectorAll(".route"), function (r) {
      if ((" " + r.getAttribute("data-nodes") + " ").indexOf(mine) >= 0) {
        r.classList.add("hl");
        r.getAttribute("data-nodes").split(" ").forEach(function (k) {
          var el = document.getElementById("n-" + k);
          if (el) { el.classList.add("hl"); }
        });
      }
    });
    Array.prototype.forEach.call(svg.querySelectorAll(".tree line"), function (l) {
      if (l.getAttribute("data-a") === String(i) || l.getAttribute("data-b") === String(i)) {
        l.classList.add("hl");
      }
    });
    var nb = (n.nb || []).map(function (e) {
      return [nodes[e[0]] ? nodes[e[0]].name : "?", "LQI " + e[1] + ", cost " + e[3]];
    });
    var html = "<h3 id='info-name'>" + esc(n.name) + "</h3>" + rows(summaryPairs(n));
    if (n.routes && n.routes.length) {
      html += "<h4>routes taken</h4>" + n.routes.map(function (r) {
        return "<div>" + esc(r.join(" \u2192 ")) + "</div>";
      }).join("");
    }
    if (nb.length) {
      html += "<h4>neighbours (" + nb.length + ")</h4>" + rows(nb.map(function (x) {
        return [x[0], esc(x[1])];
      }));
    }
    info.innerHTML = html;
    var tr = document.getElementById("row-" + i);
    if (tr) { tr.classList.add("hl"); }
  }
  Array.prototype.forEach.call(svg.querySelectorAll(".node"), function (g) {
    var i = Number(g.id.slice(2));
    g.addEventListener("mouseenter", function (ev) { showTip(i, ev); });
    g.addEventListener("mousemove", moveTip);
    g.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    g.addEventListener("click", function (ev) { ev.stopPropagation(); select(i); });
  });
  svg.addEventListener("click", clearSel);
  Array.prototype.forEach.call(document.querySelectorAll("tr[data-node]"), function (tr) {
    tr.addEventListener("click", function () {
      select(Number(tr.getAttribute("data-node")));
      svg.scrollIntoView({block: "nearest"});
    });
  });
  var nbBox = document.getElementById("show-nb");
  if (nbBox) {
    nbBox.addEventListener("change", function () { svg.classList.toggle("show-nb", nbBox.checked); });
  }
  var rtBox = document.getElementById("show-routes");
  if (rtBox) {
    rtBox.addEventListener("change", function () {
      svg.classList.toggle("show-all-routes", rtBox.checked);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-floor]"), function (b) {
    b.addEventListener("click", function () {
      var f = b.getAttribute("data-floor");
      Array.prototype.forEach.call(document.querySelectorAll("button[data-floor]"), function (o) {
        o.classList.toggle("on", o === b);
      });
      var hide = {};
      Array.prototype.forEach.call(svg.querySelectorAll(".node"), function (g) {
        var off = f !== "all" && g.getAttribute("data-floor") !== f;
        g.classList.toggle("off", off);
        if (off) { hide[g.id.slice(2)] = true; }
      });
      Array.prototype.forEach.call(svg.querySelectorAll("line[data-a]"), function (l) {
        l.classList.toggle("off", !!(hide[l.getAttribute("data-a")] && hide[l.getAttribute("data-b")]));
      });
      Array.prototype.forEach.call(svg.querySelectorAll(".labels text"), function (t) {
        t.classList.toggle("off", !!hide[t.getAttribute("data-i")]);
      });
    });
  });
  function sortTable(th) {
    var table = th.closest("table");
    var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = !th.classList.contains("asc");
    Array.prototype.forEach.call(th.parentNode.children, function (o) {
      o.classList.remove("asc", "desc");
    });
    th.classList.add(asc ? "asc" : "desc");
    var body = table.tBodies[0];
    var list = Array.prototype.slice.call(body.rows);
    list.sort(function (a, b) {
      var x = a.cells[idx].getAttribute("data-v"), y = b.cells[idx].getAttribute("data-v");
      if (x === null) { x = a.cells[idx].textContent; }
      if (y === null) { y = b.cells[idx].textContent; }
      var nx = parseFloat(x), ny = parseFloat(y), c;
      if (x === "" && y !== "") { return 1; }
      if (y === "" && x !== "") { return -1; }
      if (!isNaN(nx) && !isNaN(ny)) { c = nx - ny; } else { c = x < y ? -1 : x > y ? 1 : 0; }
      return asc ? c : -c;
    });
    list.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.data th"), function (th) {
    th.addEventListener("click", function () { sortTable(th); });
  });
  clearSel();
  var m = /node=([^&]+)/.exec(location.hash);
  if (m) {
    var want = decodeURIComponent(m[1]);
    nodes.forEach(function (n, i) { if (n.name === want) { select(i); } });
  }
  document.body.dataset.ready = "1";
})();
"""
