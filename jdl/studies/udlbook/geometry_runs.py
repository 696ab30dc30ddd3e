"""Coursework IV end to end: the notebook's three answers and each as a curve (Prince 2023, sec. 8.4).

The numerics of ``experiments.udl_geometry``: (a) the ratio of the largest to the smallest pairwise
distance of the notebook's 1000 Gaussian points in 2, 100 and 1000 dimensions (float64); (b) the volume
of the ball of diameter 1 for d = 1..10; (c) the share of its volume in the outer 1 % of the radius.
The extension: the distance ratio for every dimension 1..D and many seeds in one vmapped program
(:func:`~jdl.studies.udlbook.geometry.ratio_sweep`), summarised over seeds; the volume in log space
and the shell fraction to large d.

Axis letters: ``s`` seeds, ``d`` dimensions 1..D (``d - 1`` indexes dimension d).
"""
from __future__ import annotations

import time
from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from jdl import stats
from jdl.precision import precision
from jdl.studies.udlbook import geometry as G

__all__ = ["SHELL_DIMS", "VOLUME_DIMS", "notebook_values", "ratio_summary", "run_all", "volume_curves"]

VOLUME_DIMS = tuple(range(1, 11))  # the notebook's part (b)
SHELL_DIMS = (1, 2, 10, 20, 50, 100, 150, 200, 250, 300)  # the notebook's part (c)
EXTRA_SHELLS = (0.001, 0.05)  # shells drawn beside the chosen one
CHECKPOINT_DIMS = (1, 2, 3, 10, 100, 1000, 10000)  # dimensions whose median ratio is reported


def notebook_values(notebook: bool = True, diameter: float = 1.0, shell: float = 0.01) -> dict:
    """Parts (a)-(c) exactly as the notebook computes them (part (a) in float64).

    Args:
      notebook: compute part (a) on the notebook's own 1000 points (``np.random.seed(0)``).
      diameter: ball diameter of part (b).
      shell: outer shell as a share of the radius, part (c).

    Returns:
      ``{"data_sum_1000D", "distance_ratio": {d: ratio}}`` (with ``notebook``), ``"volume": {d: V}``
      for :data:`VOLUME_DIMS` and ``"outer_shell_fraction": {d: share}`` for :data:`SHELL_DIMS`.

    >>> f"{notebook_values(notebook=False)['volume'][10]:.3f}"
    '0.002'
    """
    out = {}
    if notebook:
        points = G.udlbook_points(seed=0, n=1000, dims=G.UDL_DIMS)
        with precision(jnp.float64):
            out["data_sum_1000D"] = float(np.sum(points[-1]))
            out["distance_ratio"] = {d: float(G.distance_ratio(jnp.asarray(x))) for d, x in zip(G.UDL_DIMS, points)}
    with precision(jnp.float64):
        dims = np.asarray(VOLUME_DIMS, np.float64)
        out["volume"] = dict(zip(VOLUME_DIMS, np.asarray(G.ball_volume(dims, diameter)).tolist()))
        dims = np.asarray(SHELL_DIMS, np.float64)
        out["outer_shell_fraction"] = dict(zip(SHELL_DIMS, np.asarray(G.outer_shell_fraction(dims, shell)).tolist()))
    return out


def ratio_summary(extremes: G.Extremes, n_points: int) -> dict:
    """Seed quantiles of the distance ratio and the extremes relative to the typical distance sqrt(2d).

    Args:
      extremes: :class:`~jdl.studies.udlbook.geometry.Extremes` with (s, D) ``min_d``, ``max_d``, ``ratio``.
      n_points: points per seed (for the pair count).

    Returns:
      ``dims`` (D,), ``ratio_median`` / ``ratio_q25`` / ``ratio_q75`` (D,), ``ratio_median_at`` (the
      checkpoint dimensions <= D, and D), the seed medians of min / sqrt(2D) and max / sqrt(2D), the
      ``log_ratio_exponent`` of the median for d >= max(2, D // 10) (None when D < 20) and ``pairs``.
    """
    n_seeds, max_dim = extremes.ratio.shape
    dims = np.arange(1, max_dim + 1)
    q25, med, q75 = stats.finite_quantiles(extremes.ratio, [0.25, 0.5, 0.75], axis=0)
    exponent = G.concentration_exponent(dims, med, d_min=max(2, max_dim // 10)) if max_dim >= 20 else None
    checkpoints = [d for d in CHECKPOINT_DIMS if d <= max_dim] + [max_dim]
    return {"dims": dims, "ratio_median": med, "ratio_q25": q25, "ratio_q75": q75,
            "ratio_median_at": {int(d): float(med[d - 1]) for d in sorted(set(checkpoints))},
            "min_over_sqrt_2d_median_at_max_dim": float(np.median(extremes.min_d[:, -1]) / np.sqrt(2 * max_dim)),
            "max_over_sqrt_2d_median_at_max_dim": float(np.median(extremes.max_d[:, -1]) / np.sqrt(2 * max_dim)),
            "log_ratio_exponent": exponent, "pairs": n_seeds * n_points * (n_points - 1) // 2}


def volume_curves(max_dim: int, diameter: float = 1.0, shell: float = 0.01) -> dict:
    """log10 ball volumes and outer-shell shares for d = 1..max_dim, in float64.

    Returns:
      ``dims`` (float64, (max_dim,)); ``log10_volume``: per label (the chosen diameter first, then the
      radius-1 ball) a (max_dim,) curve; ``shell``: per label ``"outer P % of the radius"`` (the chosen
      shell and :data:`EXTRA_SHELLS`, ascending) a (max_dim,) curve.
    """
    with precision(jnp.float64):
        vdims = np.arange(1, max_dim + 1, dtype=np.float64)
        ln10 = np.log(10.0)
        log10_vol = {f"diameter {diameter:g} (the notebook)": np.asarray(G.log_ball_volume(vdims, diameter)) / ln10,
                     "radius 1": np.asarray(G.log_ball_volume(vdims, 2.0)) / ln10}
        shells = sorted({shell, *EXTRA_SHELLS})
        fractions = {f"outer {100 * s:g} % of the radius": np.asarray(G.outer_shell_fraction(vdims, s)) for s in shells}
    return {"dims": vdims, "log10_volume": log10_vol, "shell": fractions}


def run_all(notebook: dict, *, n_points: int, max_dim: int, seeds: Sequence[int], volume_max_dim: int,
            diameter: float = 1.0, shell: float = 0.01, dtype=jnp.float32, seeds_per_call: int | None = None,
            rows_per_block: int | None = None, progress: bool = True) -> dict:
    """The dimension sweep over seeds and the volume / shell curves, with the notebook's values.

    Args:
      notebook: :func:`notebook_values`' result (stored under ``metrics["notebook"]``).
      n_points, max_dim, seeds, dtype, seeds_per_call, rows_per_block, progress: the sweep
        (:func:`~jdl.studies.udlbook.geometry.ratio_sweep`).
      volume_max_dim, diameter, shell: the curves (:func:`volume_curves`).

    Returns:
      ``{"metrics": {"notebook", "sweep", "volume", "outer_shell"}, "extremes": the sweep's Extremes
      ((s, D) each), "curves": volume_curves(...), "arrays": {"distances": the npz's arrays}}``.
    """
    t0 = time.perf_counter()
    e = G.ratio_sweep(seeds, n_points, max_dim, dtype=dtype, seeds_per_call=seeds_per_call,
                      rows_per_block=rows_per_block, progress=progress)
    sweep_s = time.perf_counter() - t0
    s = ratio_summary(e, n_points)
    sweep = {"n_points": n_points, "max_dim": max_dim, "n_seeds": len(seeds), "dims": s["dims"],
             **{k: s[k] for k in ("ratio_median", "ratio_q25", "ratio_q75", "ratio_median_at",
                                  "min_over_sqrt_2d_median_at_max_dim", "max_over_sqrt_2d_median_at_max_dim",
                                  "log_ratio_exponent")},
             "sweep_s": round(sweep_s, 3), "pairs": s["pairs"], "pair_dims_per_s": round(s["pairs"] * max_dim / sweep_s, 1)}

    curves = volume_curves(volume_max_dim, diameter, shell)
    vdims = curves["dims"]
    main_vol = next(iter(curves["log10_volume"].values()))
    main_shell = curves["shell"][f"outer {100 * shell:g} % of the radius"]
    unit_radius = curves["log10_volume"]["radius 1"]
    metrics = {
        "notebook": notebook,
        "sweep": sweep,
        "volume": {"dims": vdims.astype(int), "log10_volume": main_vol,
                   "log10_volume_at": {int(d): float(main_vol[d - 1]) for d in (10, 100, 1000) if d <= len(vdims)},
                   "unit_radius_peak_dim": int(np.argmax(unit_radius) + 1),
                   "unit_radius_peak_volume": float(10 ** unit_radius.max())},
        "outer_shell": {"shell": shell, "fraction": main_shell,
                        "half_volume_dim": int(np.argmax(main_shell >= 0.5) + 1) if main_shell[-1] >= 0.5 else None},
    }
    arrays = {"distances": {"dims": s["dims"], "min_d": e.min_d, "max_d": e.max_d, "seeds": np.asarray(seeds)}}
    return {"metrics": metrics, "extremes": e, "curves": curves, "arrays": arrays}
