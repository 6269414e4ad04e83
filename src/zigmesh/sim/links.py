"""The medium's link lists: which radios one radio's transmissions reach, and at what power.

A radio's links are one :data:`Links` tuple ``(idx, pw, na, qc)``: the receiving radios'
indices and the received powers (mW) as numpy arrays, the ``na`` audible links (at or above the
sensitivity) first, then the interference-only ones (down to sensitivity - margin), each part
in radio index order; ``qc`` holds, per audible link, the index of its (RSSI, LQI) in the
medium's table of qualities (``Medium.quality_code``: a frame's RSSI and LQI depend on its
received power only). They are built lazily from the medium's uniform grid (cell = the largest
reach) with the scalar formulas of ``math`` (the same doubles as the medium's link budget;
numpy's transcendental functions are not guaranteed to round the same), then frozen into
arrays: 6 bytes a link, 8 an audible one (indices as ``int16`` while the medium has at most
32,767 radios, else ``int32``: 8 and 10; powers as ``float32``, 6e-8 relative, 3e-7 dB: a
10,000-node grid holds some 10 million links; each transmission widens both once, to ``intp``
and ``float64``, as numpy's gathers and scatters want them), walked by the medium with
vectorised gathers and scatters. The quality codes and the audible / interference split come
from the powers before rounding. numpy only pre-selects the candidates: it drops those out of
reach even with the most favourable shadowing by a margin (1e-9 relative on the squared
distance, 1e-6 dB on the power) far wider than its rounding differences, so every radio it
drops the scalar test would drop too.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from zigmesh.sim.propagation import MediumConfig

if TYPE_CHECKING:
    from zigmesh.sim.medium import Medium, Radio

__all__ = [
    "Grid",
    "Links",
    "build_grid",
    "build_links",
    "cell_offsets",
    "shadowing_db",
    "shadowing_draws",
]

#: (receiver indices, received mW (float32 as built, float64 in a transmission), number of
#: audible links at the front, quality code of each audible link)
Links = tuple[
    npt.NDArray[np.signedinteger[Any]], npt.NDArray[np.floating[Any]], int, npt.NDArray[np.int16]
]
#: grid cell -> radios in it
Grid = dict[tuple[int, int, int], list["Radio"]]

#: the most radios whose indices fit the compact index type
_INT16_RADIOS = 0x7FFF
_U64 = struct.Struct("<Q")
_PAIR = struct.Struct("<QQ")
#: keyed BLAKE2b states by seed key: a copy per link draw skips the key block
_KEYED: dict[bytes, hashlib.blake2b] = {}


def cell_offsets() -> tuple[tuple[int, int, int], ...]:
    """The 27 cells around (and including) one cell."""
    return tuple((dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1))


_OFFSETS = cell_offsets()


def shadowing_db(cfg: MediumConfig, seed_bytes: bytes, eui_a: int, eui_b: int) -> float:
    """The shadowing draw (dB) of the link between two EUI-64s: same both ways, fixed by the
    seed (Box-Muller on two 53-bit uniforms from a keyed BLAKE2b of the pair), clipped."""
    return shadowing_draws(cfg, seed_bytes, eui_a, (eui_b,))[0]


def shadowing_draws(
    cfg: MediumConfig, seed_bytes: bytes, eui_a: int, euis: Sequence[int]
) -> list[float]:
    """:func:`shadowing_db` of the links from ``eui_a`` to each of ``euis`` (one call for a
    radio's candidates when its links are built: millions of draws at 10,000 nodes)."""
    sigma = cfg.shadowing_sigma_db
    if sigma == 0.0:
        return [0.0] * len(euis)
    fresh = _keyed(seed_bytes).copy
    pack = _PAIR.pack
    unpack = _PAIR.unpack
    sqrt = math.sqrt
    log = math.log
    cos = math.cos
    two_pi = 2.0 * math.pi
    clip = cfg.shadowing_clip_sigmas
    out = []
    for eui_b in euis:
        h = fresh()
        h.update(pack(eui_a, eui_b) if eui_a < eui_b else pack(eui_b, eui_a))
        a, b = unpack(h.digest())
        # u1 in (0, 1], u2 in [0, 1)
        u1 = ((a >> 11) + 1) / 9007199254740992.0
        u2 = (b >> 11) / 9007199254740992.0
        z = sqrt(-2.0 * log(u1)) * cos(two_pi * u2)
        out.append((-clip if z < -clip else clip if z > clip else z) * sigma)
    return out


def _keyed(seed_bytes: bytes) -> hashlib.blake2b:
    """The BLAKE2b-128 state keyed with ``seed_bytes`` (memoised): a draw hashes into a copy."""
    base = _KEYED.get(seed_bytes)
    if base is None:
        base = _KEYED[seed_bytes] = hashlib.blake2b(digest_size=16, key=seed_bytes)
    return base


def key_of(cell: float, radio: Radio) -> tuple[int, int, int]:
    """The grid cell of ``radio``."""
    return (
        math.floor(radio._x / cell),
        math.floor(radio._y / cell),
        math.floor(radio._z / cell),
    )


def build_grid(medium: Medium) -> Grid:
    """Size the cell from the strongest transmitter's reach and bucket every radio."""
    cfg = medium.config
    max_tx = max((r._tx_dbm for r in medium.radios), default=0.0)
    margin = max_tx - medium._floor_dbm - cfg.reference_loss_db
    margin += cfg.shadowing_clip_sigmas * cfg.shadowing_sigma_db
    d0 = cfg.reference_distance_m
    reach = d0 * 10.0 ** (margin / (10.0 * cfg.path_loss_exponent))
    medium._cell = max(reach, d0) * (1.0 + 1e-9)
    medium._reach2 = medium._cell * medium._cell
    medium._grid_tx_dbm = max_tx
    medium._cell_idx.clear()
    grid: Grid = {}
    for r in medium.radios:
        key = key_of(medium._cell, r)
        r._key = key
        grid.setdefault(key, []).append(r)
    medium._grid = grid
    return grid


def build_links(medium: Medium, a: Radio) -> Links:
    """Build (and store on ``a``) the links of ``a``'s transmissions."""
    grid = medium._grid
    if grid is None:
        grid = build_grid(medium)
    key = a._key
    if key is None:
        key = a._key = key_of(medium._cell, a)
    cfg = medium.config
    floor = medium._floor_dbm
    tx_dbm = a._tx_dbm
    pl0 = cfg.reference_loss_db
    n10 = 10.0 * cfg.path_loss_exponent
    d0 = cfg.reference_distance_m
    best_shadow = cfg.shadowing_clip_sigmas * cfg.shadowing_sigma_db
    seed_bytes = medium._seed_bytes
    atten = medium._atten
    ax, ay, az = a._x, a._y, a._z
    kx, ky, kz = key
    parts = []
    for dx, dy, dz in _OFFSETS:
        c = (kx + dx, ky + dy, kz + dz)
        if c in grid:
            parts.append(_cell_indices(medium, grid, c))
    ci = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
    ci.sort()
    # pre-selection (see the module docstring): within reach, and not below the floor even
    # with the most favourable shadowing
    ddx = medium._px[ci] - ax
    ddy = medium._py[ci] - ay
    ddz = medium._pz[ci] - az
    d2v = ddx * ddx + ddy * ddy + ddz * ddz
    best = tx_dbm - (pl0 + n10 * np.log10(np.maximum(np.sqrt(d2v), d0) / d0)) + best_shadow
    keep = (d2v <= medium._reach2 * (1.0 + 1e-9)) & (best >= floor - 1e-6)
    radios = medium.radios
    cand = [radios[i] for i in ci[keep].tolist()]
    sens = cfg.sensitivity_dbm
    aud_i: list[int] = []
    aud_p: list[float] = []
    far_i: list[int] = []
    far_p: list[float] = []
    reach2 = medium._reach2
    sqrt = math.sqrt
    log10 = math.log10
    near: list[Radio] = []
    near_rx: list[float] = []
    for b in cand:
        d2 = (b._x - ax) ** 2 + (b._y - ay) ** 2 + (b._z - az) ** 2
        if d2 > reach2 or b is a:
            continue
        d = sqrt(d2)
        rx = tx_dbm - (pl0 + n10 * log10(d / d0) if d > d0 else pl0)
        if rx + best_shadow < floor:
            continue
        near.append(b)
        near_rx.append(rx)
    if best_shadow:
        draws = shadowing_draws(cfg, seed_bytes, a.eui64, [b.eui64 for b in near])
        near_rx = [rx - sh for rx, sh in zip(near_rx, draws, strict=True)]
    for b, rx in zip(near, near_rx, strict=True):
        if atten:
            rx -= atten.get((a.index, b.index) if a.index < b.index else (b.index, a.index), 0.0)
        if rx >= floor:
            mw = 10.0 ** (rx / 10.0)
            if rx >= sens:
                aud_i.append(b.index)
                aud_p.append(mw)
            else:
                far_i.append(b.index)
                far_p.append(mw)
    code = medium.quality_code
    links: Links = (
        np.array(aud_i + far_i, dtype=np.int16 if len(radios) <= _INT16_RADIOS else np.int32),
        np.array(aud_p + far_p, dtype=np.float32),
        len(aud_i),
        np.array([code(p) for p in aud_p], dtype=np.int16),
    )
    a._links = links
    return links


def _cell_indices(medium: Medium, grid: Grid, cell: tuple[int, int, int]) -> npt.NDArray[np.intp]:
    """The indices of the radios in ``cell`` (memoised until the cell changes)."""
    got = medium._cell_idx.get(cell)
    if got is None:
        got = medium._cell_idx[cell] = np.array([r.index for r in grid[cell]], dtype=np.intp)
    return got
