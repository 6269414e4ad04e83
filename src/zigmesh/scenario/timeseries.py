"""``summary.json`` ``timeseries``: the run minute by minute, so formation, faults and
recovery show (issue 12).

One row per minute of simulated time (the last one may be shorter)::

    {start_s, end_s, sent, delivered, delivery_ratio, latency_ms {p50, p99}, frames,
     channel_utilisation, mac_retries, route_discoveries, rejoins, joined}

``sent`` / ``delivered`` / ``latency_ms`` are over the messages *sent* in that minute (a
message delivered later still counts for the minute it left); ``frames`` and
``channel_utilisation`` (airtime / minute length, every frame on the air including ACKs) are
counted from the capture; ``mac_retries``, ``route_discoveries`` and ``rejoins`` are the
counters' growth over the minute, ``joined`` the nodes in the network at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zigmesh.scenario.metrics import FlowStats, percentile
from zigmesh.scenario.observe import MINUTE_US, MinuteRow

__all__ = ["build_timeseries"]


def build_timeseries(
    flows: Sequence[FlowStats], minutes: Sequence[MinuteRow], duration_us: int
) -> list[dict[str, Any]]:
    """The per-minute rows of a run of ``duration_us`` (see the module docstring)."""
    n = max(len(minutes), -(-duration_us // MINUTE_US), 1)
    sent = [0] * n
    lats: list[list[float]] = [[] for _ in range(n)]
    for flow in flows:
        for _seq, _src, t_us, lat, _hops in flow.messages():
            k = min(t_us // MINUTE_US, n - 1)
            sent[k] += 1
            if lat is not None:
                lats[k].append(lat / 1000.0)
    rows: list[dict[str, Any]] = []
    for k in range(n):
        start = k * MINUTE_US
        end = min(start + MINUTE_US, duration_us) if duration_us > start else start + MINUTE_US
        m = minutes[k] if k < len(minutes) else MinuteRow()
        span = max(end - start, 1)
        d = len(lats[k])
        rows.append(
            {
                "start_s": start / 1e6,
                "end_s": end / 1e6,
                "sent": sent[k],
                "delivered": d,
                "delivery_ratio": round(d / sent[k], 4) if sent[k] else None,
                "latency_ms": {
                    "p50": round(percentile(lats[k], 50), 3) if d else None,
                    "p99": round(percentile(lats[k], 99), 3) if d else None,
                },
                "frames": m.frames,
                "channel_utilisation": round(m.airtime_us / span, 5),
                "mac_retries": m.mac_retries,
                "route_discoveries": m.route_discoveries,
                "rejoins": m.rejoins,
                "joined": m.joined,
            }
        )
    return rows
