"""The scenario's ``capture`` key: whether ``zigmesh run`` writes ``capture.pcap``, and which
frames (:mod:`zigmesh.capture.filter`).

* ``capture = true`` (the default): every frame on the air;
* ``capture = false``: no capture file at all (large runs: the summary, map and report are the
  same, they never read the capture);
* a ``[capture]`` table filters it: ``nodes`` (an array of node names, ``[[nodes]]`` group
  names, ``coordinator``, ``all_routers`` / ``routers``, ``all_end_devices`` / ``end_devices``)
  keeps the frames those nodes send (by MAC source address, and the ACKs of those frames);
  ``frames`` (an array of :data:`~zigmesh.capture.filter.FRAME_KINDS`: ``beacon``, ``data``,
  ``ack``, ``mac_command``, ``nwk_command``, ``inter_pan``, ``other``) keeps those kinds. With
  both, a frame must pass both; ``enabled = false`` in the table turns the capture off too.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from zigmesh.capture.filter import FRAME_KINDS
from zigmesh.scenario.durations import ScenarioError
from zigmesh.scenario.node_config import _END_DEVICE_WORDS, _ROUTER_WORDS, NodeSpec, node_groups
from zigmesh.scenario.values import _bool, _check_keys, _got, _str, _table

__all__ = ["CaptureSpec", "parse_capture"]

_CAPTURE_KEYS = ("enabled", "frames", "nodes")


@dataclass(frozen=True, slots=True)
class CaptureSpec:
    """What the run captures: nothing (``enabled`` false), or the frames whose kind is in
    ``frames`` (None: every kind) sent by a node of ``nodes`` (None: any sender; names sorted)."""

    enabled: bool = True
    nodes: tuple[str, ...] | None = None
    frames: tuple[str, ...] | None = None

    @property
    def filtered(self) -> bool:
        """Some frames are left out."""
        return self.nodes is not None or self.frames is not None


def parse_capture(value: object, nodes: Sequence[NodeSpec]) -> CaptureSpec:
    """The ``capture`` key (``true``, ``false`` or a ``[capture]`` table), checked against the
    scenario's ``nodes``."""
    if isinstance(value, bool):
        return CaptureSpec(enabled=value)
    if not isinstance(value, dict):
        raise ScenarioError(
            "capture",
            "must be true, false or a [capture] table (nodes = [...], frames = [...]), "
            + _got(value),
        )
    t = _table(value, "capture")
    _check_keys(t, _CAPTURE_KEYS, "capture")
    enabled = _bool(t["enabled"], "capture.enabled") if "enabled" in t else True
    senders = _senders(t["nodes"], nodes) if "nodes" in t else None
    kinds = _kinds(t["frames"]) if "frames" in t else None
    return CaptureSpec(enabled, senders, kinds)


def _items(value: object, where: str, what: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ScenarioError(where, f"must be an array of {what}, {_got(value)}")
    if not value:
        raise ScenarioError(
            where, "is empty: the capture would hold nothing (use capture = false for no capture)"
        )
    return [(_str(v, f"{where}[{k}]"), f"{where}[{k}]") for k, v in enumerate(value)]


def _senders(value: object, nodes: Sequence[NodeSpec]) -> tuple[str, ...]:
    groups = node_groups(tuple(nodes))
    names = [n.name for n in nodes]
    known = set(names)
    chosen: set[str] = set()
    for sel, where in _items(value, "capture.nodes", "node names, groups or roles"):
        if sel in known:
            chosen.add(sel)
        elif sel in groups:
            chosen.update(groups[sel])
        elif sel == "coordinator":
            chosen.update(n.name for n in nodes if n.role == "coordinator")
        elif sel in _ROUTER_WORDS:
            chosen.update(n.name for n in nodes if n.role == "router")
        elif sel in _END_DEVICE_WORDS:
            chosen.update(n.name for n in nodes if n.role == "end_device")
        else:
            words = [*names, *groups, "coordinator", "all_routers", "all_end_devices"]
            hint = difflib.get_close_matches(sel, words, n=1)
            raise ScenarioError(
                where,
                f"no node, group or role named {sel!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else ""),
            )
    return tuple(sorted(chosen))


def _kinds(value: object) -> tuple[str, ...]:
    chosen: set[str] = set()
    for kind, where in _items(value, "capture.frames", "frame kinds"):
        if kind not in FRAME_KINDS:
            hint = difflib.get_close_matches(kind, FRAME_KINDS, n=1)
            raise ScenarioError(
                where,
                f"unknown frame kind {kind!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; one of {', '.join(FRAME_KINDS)}",
            )
        chosen.add(kind)
    return tuple(k for k in FRAME_KINDS if k in chosen)
