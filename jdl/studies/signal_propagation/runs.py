"""The signal-propagation experiment's runs and every metric it reports (Poole et al. 2016; Schoenholz et al. 2017).

:func:`run_all` sweeps, per activation, a grid of uniform weight variances sigma^2 and the init schemes'
per-layer variances (one compiled program per activation,
:func:`jdl.studies.signal_propagation.propagation.propagation_sweep`), summarises the forward and backward
variances by layer (:func:`summarize_grid`, :func:`summarize_schemes`) and prepares the figures' panels. It
returns the metrics (``metrics.json``), the arrays to save and what the figures need, so
``experiments/signal_propagation.py`` only configures, saves, plots and prints.

References:
  Poole et al., "Exponential expressivity in deep neural networks through transient chaos" (NeurIPS 2016);
  Schoenholz et al., "Deep information propagation" (ICLR 2017); He et al. (ICCV 2015).
"""
from __future__ import annotations

import time
from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from jdl.stats import finite_median
from jdl.studies.signal_propagation import propagation as S

__all__ = ["line_indices", "run_all", "sigma_sq_grid", "summarize_grid", "summarize_schemes"]


def sigma_sq_grid(sigma_sq_min: float, sigma_sq_max: float, n: int, line_sigma_sq: Sequence[float], D: int) -> np.ndarray:
    """Increasing raw variances: ``n`` log-spaced values and the line values, given in units of ``1/D``.

    >>> (sigma_sq_grid(1.0, 4.0, 3, (3.0,), 2) * 2).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    g = np.geomspace(sigma_sq_min, sigma_sq_max, n)
    return np.unique(np.round(np.concatenate([g, line_sigma_sq]), 12)) / D


def line_indices(sig: np.ndarray, line_sigma_sq: Sequence[float], D: int) -> list[int]:
    """Indices of the grid values nearest the line values (units of ``1/D``)."""
    return [int(np.argmin(np.abs(sig * D - v))) for v in line_sigma_sq]


def summarize_grid(sig: np.ndarray, st: S.Stats, D: int) -> dict:
    """Seed means, growth rates and the critical sigma^2 of one activation's grid.

    Args:
      sig: ``(G,)`` raw variances; st: :class:`~jdl.studies.signal_propagation.propagation.Stats` with
        ``(S, G, K)`` fields; D: the width (critical values are also given in units of ``1/D``).
    """
    fwd, bwd, bwd_h = (np.mean(v, 0) for v in (st.forward_var, st.grad_f_var, st.grad_h_var))
    r_f, r_b = S.growth_rate(fwd), S.growth_rate(bwd, backward=True)
    crit_f, crit_b = S.critical_sigma_sq(sig, r_f), S.critical_sigma_sq(sig, r_b)
    per_seed = [S.critical_sigma_sq(sig, S.growth_rate(v)) for v in st.forward_var]
    return {"forward_var_mean": fwd, "grad_f_var_mean": bwd, "grad_h_var_mean": bwd_h,
            "forward_rate": r_f, "backward_rate": r_b,
            "critical_sigma_sq_forward": crit_f, "critical_sigma_sq_backward": crit_b,
            "critical_sigma_sq_D": {"forward": crit_f * D, "backward": crit_b * D,
                                    "forward_per_seed_median": float(finite_median(per_seed) * D)},
            "forward_ratio_last_first": fwd[:, -1] / fwd[:, 0], "backward_ratio_first_last": bwd[:, 0] / bwd[:, -1],
            "forward_ratio_median_over_seeds": np.median(st.forward_var[..., -1] / st.forward_var[..., 0], 0)}


def summarize_schemes(schemes: Sequence[str], scheme_rows: np.ndarray, fwd_ik: np.ndarray, bwd_ik: np.ndarray) -> dict:
    """Per scheme: its per-layer variances, seed-mean variances and growth rates; and the most stable scheme.

    The most stable scheme is the one whose worse signal (forward or backward) changes least per layer.

    Args:
      schemes: the scheme names; scheme_rows: ``(I, 3)`` their per-layer variances.
      fwd_ik, bwd_ik: ``(I, K)`` seed-mean forward and gradient variances.
    """
    out = {s: {"layer_sigma_sq": scheme_rows[i], "forward_var_mean": fwd_ik[i], "grad_f_var_mean": bwd_ik[i],
               "forward_rate": float(S.growth_rate(fwd_ik[i])),
               "backward_rate": float(S.growth_rate(bwd_ik[i], backward=True))}
           for i, s in enumerate(schemes)}
    if schemes:
        worst = {s: max(abs(v["forward_rate"]), abs(v["backward_rate"])) for s, v in out.items()}
        out["most_stable"] = min(worst, key=worst.get)
    return out


def _line_panels(stats: dict, sig, lines, D: int, layers) -> list[tuple]:
    panels = []
    for act, st in stats.items():
        fwd = {f"$\\sigma^2 = {sig[g] * D:g}/D$": st.forward_var[:, g] for g in lines}
        bwd = {f"$\\sigma^2 = {sig[g] * D:g}/D$": st.grad_f_var[:, g] for g in lines}
        base = np.median(st.forward_var[:, lines, 0], 0)
        theory = {}  # one dashed line per sigma^2; labels starting with "_" stay out of the legend
        for i, (g, b) in enumerate(zip(lines, base) if act == "relu" else []):
            theory["ReLU mean field $(\\sigma^2 D/2)^{k-1}$" if i == 0 else f"_t{i}"] = \
                b * S.relu_gain(sig[g], D) ** (layers - 1.0)
        panels.append((act, fwd, bwd, theory))
    return panels


def run_all(sig: np.ndarray, *, seeds: Sequence[int], K: int, D: int, n_data: int, line_sigma_sq: Sequence[float],
            activations: Sequence[str], schemes: Sequence[str], dtype=jnp.float64, points_per_call: int | None = None,
            progress: bool = False) -> dict:
    """Everything ``experiments.signal_propagation`` computes.

    Args:
      sig: ``(G,)`` raw variances of the uniform grid (:func:`sigma_sq_grid`).
      seeds, K, D, n_data, dtype, points_per_call: :func:`~jdl.studies.signal_propagation.propagation.propagation_sweep`.
      line_sigma_sq: variances (units of ``1/D``) drawn as lines and summarised in ``metrics["lines"]``.
      activations: one sweep each; schemes: init schemes (``lecun``, ``glorot``, ``he``) added to every sweep.

    Returns:
      ``{"metrics": {...}, "arrays": {name: array} (variances.npz), "figures": {"layers", "line_panels",
      "scheme_panels"}}``.
    """
    G, layers = len(sig), np.arange(1, K + 1)
    scheme_rows = np.stack([S.layer_sigma_sq(s, D) for s in schemes]) if schemes else np.zeros((0, 3))
    # one sweep per activation: the uniform grid and the scheme rows share the compiled program
    rows = np.concatenate([np.repeat(sig[:, None], 3, 1), scheme_rows])
    stats, summaries, by_scheme = {}, {}, {}
    t0 = time.perf_counter()
    for act in activations:
        st = S.propagation_sweep(seeds, rows, K=K, D=D, n_data=n_data, activation=act, dtype=dtype,
                                 points_per_call=points_per_call, progress=progress)
        stats[act] = st
        summaries[act] = summarize_grid(sig, S.Stats(*(v[:, :G] for v in st)), D)
        by_scheme[act] = summarize_schemes(schemes, scheme_rows, st.forward_var[:, G:].mean(0),
                                           st.grad_f_var[:, G:].mean(0))
    sweep_s = time.perf_counter() - t0
    points = len(seeds) * len(rows) * len(activations)

    lines = line_indices(sig, line_sigma_sq, D)
    out = {"K": K, "D": D, "n_data": n_data, "n_seeds": len(seeds), "sigma_sq": sig, "sigma_sq_D": sig * D,
           "he_sigma_sq": 2 / D, "lecun_sigma_sq": 1 / D,
           "critical_sigma_sq_D": {a: s["critical_sigma_sq_D"] for a, s in summaries.items()},
           "lines": {a: {f"{sig[g] * D:g}/D": {"forward_ratio_last_first": float(s["forward_ratio_last_first"][g]),
                                               "backward_ratio_first_last": float(s["backward_ratio_first_last"][g]),
                                               "forward_ratio_median_over_seeds":
                                                   float(s["forward_ratio_median_over_seeds"][g])}
                         for g in lines} for a, s in summaries.items()},
           "per_activation": summaries, "schemes": by_scheme, "sweep_s": round(sweep_s, 3),
           "points": points, "points_per_s": round(points / sweep_s, 2)}
    arrays = {"sigma_sq": sig, "scheme_sigma_sq": scheme_rows,
              **{f"{a}_{k}": np.asarray(v) for a, st in stats.items() for k, v in st._asdict().items()}}
    scheme_panels = [(f"{act}: init schemes", {s: stats[act].forward_var[:, G + i] for i, s in enumerate(schemes)},
                      {s: stats[act].grad_f_var[:, G + i] for i, s in enumerate(schemes)}, {})
                     for act in activations] if schemes else []
    return {"metrics": out, "arrays": arrays,
            "figures": {"layers": layers, "line_panels": _line_panels(stats, sig, lines, D, layers),
                        "scheme_panels": scheme_panels}}
