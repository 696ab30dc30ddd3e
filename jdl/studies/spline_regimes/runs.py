"""The spline-regimes experiment's runs and every metric it reports (Williams et al. 2019).

:func:`run_all` trains every (seed, target, alpha, lambda) member with the jitted full-batch fit of
:func:`jdl.studies.spline_regimes.splines.make_fit` (one :func:`jdl.sweep.run` over seeds, the grid in
blocks), averages the regime measures over the finite seeds, picks the kernel / adaptive / lazy example
cells (:func:`select_panels`) and prepares what the figures draw. It returns the metrics (``metrics.json``)
and the figures' inputs, so ``experiments/spline_regimes.py`` only configures, plots and prints.

References:
  Williams, Trager, Panozzo, Silva, Zorin & Bruna, "Gradient dynamics of shallow univariate ReLU
  networks" (NeurIPS 2019).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from jdl import stats, sweep
from jdl.studies.spline_regimes import splines as SP
from jdl.studies.spline_regimes.plots import per_target

__all__ = ["LR_RULE", "MEASURES", "make_data", "nearest", "run_all", "select_panels", "sweep_grid"]

MEASURES = ("spline_index", "d_lin", "d_cub", "train_mse", "knot_shift", "knot_mass_near_data",
            "knot_mass_near_data_init")
LR_RULE = "lr = lr_scale * n / ((sigma_ab^2 + sigma_c^2 + 2 P) sum(x^2 + 1) / (2 m)), P = path_norm(x, y)"


def make_data(targets: Sequence[str], n_points: int, data_seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``x = linspace(-1, 1, n_points)`` and each target ``y`` ``(n,)``; ``random`` matches the baseline's draw.

    Targets: ``sin`` (``sin pi x``), ``square`` (``sign cos pi x``), ``random`` (``U(-1, 1)``, NumPy seed
    ``data_seed``).

    >>> x, ys = make_data(("sin", "square"), 3)
    >>> x.tolist(), ys["square"].tolist()
    ([-1.0, 0.0, 1.0], [-1.0, 1.0, -1.0])
    """
    x = np.linspace(-1.0, 1.0, n_points)
    ys = {"sin": np.sin(np.pi * x), "square": np.sign(np.cos(np.pi * x)),
          "random": np.random.default_rng(data_seed).uniform(-1, 1, n_points)}
    return x, {t: ys[t] for t in targets}


def sweep_grid(x: np.ndarray, ys: Mapping[str, np.ndarray], m: int, alphas: Sequence[float],
               lambdas: Sequence[float], lr_scale: float = 1.0) -> dict[str, np.ndarray]:
    """Hyperparameters of every grid point (target-major, then alpha, then lambda), lr included.

    Returns:
      ``{"alpha", "lam", "lr"}`` ``(T A L,)`` and ``"y"`` ``(T A L, n)``, float32.
    """
    g = sweep.grid(t=np.arange(len(ys)), alpha=np.asarray(alphas), lam=np.asarray(lambdas))
    y_list = list(ys.values())
    # per-member lr ~ 1 / (expected tangent-kernel trace at init and after fitting): kernels span 10^8
    # over the grid, so one lr would either diverge at large alpha or freeze small alpha
    lr = np.array([SP.stable_lr(x, y_list[t], m, a, l, lr_scale) for t, a, l in zip(g["t"], g["alpha"], g["lam"])])
    return {"alpha": g["alpha"].astype(np.float32), "lam": g["lam"].astype(np.float32), "lr": lr.astype(np.float32),
            "y": np.stack([y_list[t] for t in g["t"]]).astype(np.float32)}


def nearest(values: Sequence[float], v: float) -> int:
    """Index of the value nearest ``v`` on a log scale.

    >>> nearest((0.3, 1.0, 3.0), 2.0)
    2
    """
    return int(np.argmin(np.abs(np.log(np.asarray(values)) - np.log(v))))


def select_panels(mean_shift_TAL: np.ndarray, excluded_TAL: np.ndarray, lambdas: Sequence[float],
                  i_show: int) -> list[tuple]:
    """The example cells of the figures: ``(key, title, alpha index, lambda index)``.

    The kernel example is ``alpha_show`` at the smallest lambda. The adaptive example, per target: among
    the included cells with lambda > 1 and alpha <= alpha_show (larger alpha is lazy), the one whose knots
    moved most (rich-regime runs can stop at stationary points that leave a data point unfitted); else
    alpha_show and the largest lambda. The lazy example (largest alpha and lambda) unless alpha_show is the
    largest alpha.

    Args:
      mean_shift_TAL: ``(T, A, L)`` seed-mean knot shifts.
      excluded_TAL: ``(T, A, L)`` cells that did not converge or diverged for every seed.
      lambdas: the grid's lambdas; i_show: the index of alpha_show.
    """
    T, A, L = mean_shift_TAL.shape
    ok = ~excluded_TAL & (np.asarray(lambdas) > 1)[None, None, :] & (np.arange(A) <= i_show)[None, :, None]
    shift = np.where(ok, np.nan_to_num(mean_shift_TAL, nan=-1.0), -np.inf)
    best = [np.unravel_index(np.argmax(shift[t]), (A, L)) if ok[t].any() else (i_show, L - 1) for t in range(T)]
    panels = [("kernel", "kernel regime (smallest lambda)", i_show, 0),
              ("adaptive", "adaptive regime (lambda > 1)", [int(i) for i, _ in best], [int(k) for _, k in best])]
    if i_show != A - 1:
        panels.append(("lazy_large_lambda", "lazy, largest lambda and alpha", A - 1, L - 1))
    return panels


def run_all(x: np.ndarray, ys: Mapping[str, np.ndarray], *, m: int, steps: int, alphas: Sequence[float],
            lambdas: Sequence[float], seeds: Sequence[int], lr_scale: float = 1.0, momentum: float = 0.9,
            symmetric: bool = True, records: int = 100, grid_points: int = 1001, delta: float = 0.02,
            mse_tol: float = 1e-4, alpha_show: float = 1.0, chunk: int = 4, checkpoint_dir=None,
            fingerprint: str = "", progress: bool = False) -> dict:
    """Everything ``experiments.spline_regimes`` computes.

    Args:
      x, ys: the data (:func:`make_data`).
      m, steps, symmetric, records, grid_points, delta, momentum: :func:`jdl.studies.spline_regimes.splines.make_fit`.
      alphas, lambdas, seeds, lr_scale: the grid (:func:`sweep_grid`).
      mse_tol: a cell whose seed-median train MSE is above it counts as unconverged.
      alpha_show: alpha of the fit and knot figures (nearest grid value).
      chunk, checkpoint_dir, fingerprint, progress: :func:`jdl.sweep.run`.

    Returns:
      ``{"metrics": {...}, "figures": {...}}``; the figures' entries are the arguments of
      :mod:`jdl.studies.spline_regimes.plots` (``refs``, ``fit``, ``spline_index``, ``panels``, ``mark``,
      ``heatmap_rows``, ``params0``, ``params``).
    """
    names = list(ys)
    T, A, L, S = len(names), len(alphas), len(lambdas), len(seeds)
    hp = sweep_grid(x, ys, m, alphas, lambdas, lr_scale)
    fit = SP.make_fit(x, m, steps, symmetric=symmetric, records=records, grid_points=grid_points,
                      delta=delta, momentum=momentum)
    out = sweep.run(fit, seeds, hp, grid_block=A * L, chunk_size=chunk, checkpoint_dir=checkpoint_dir,
                    progress=progress, desc="spline_regimes", fingerprint=fingerprint)
    shape = (S, T, A, L)
    r = {k: np.asarray(v).reshape(shape + np.shape(v)[2:]) for k, v in out.items() if not isinstance(v, dict)}
    p0 = {k: np.asarray(v).reshape(shape + v.shape[2:]) for k, v in out["params0"].items()}
    p1 = {k: np.asarray(v).reshape(shape + v.shape[2:]) for k, v in out["params"].items()}
    bad = r["nonfinite"] | ~np.isfinite(r["train_mse"])  # diverged members: flagged, never averaged in
    mean = {k: stats.finite_mean(r[k], 0, bad) for k in MEASURES}
    unconverged = ~(stats.finite_median(r["train_mse"], 0, bad) <= mse_tol)
    mark = unconverged | bad.all(0)
    panels = select_panels(mean["knot_shift"], mark, lambdas, nearest(alphas, alpha_show))

    def cell(t, i, k):
        return t, per_target(i, t), per_target(k, t)

    res: dict = {
        "x": x, "targets": {n: ys[n] for n in names}, "alphas": alphas, "lambdas": lambdas, "seeds": seeds,
        "path_norm": {n: SP.path_norm(x, ys[n]) for n in names},
        "uniform_near_fraction": SP.uniform_near_fraction(x, delta),
        "lr": hp["lr"].reshape(T, A, L), "momentum": momentum, "lr_rule": LR_RULE,
        "n_diverged": int(bad.sum()),
        "diverged": [{"seed": int(seeds[s]), "target": names[t], "alpha": alphas[i], "lambda": lambdas[k]}
                     for s, t, i, k in zip(*np.nonzero(bad))],
        "n_unconverged_cells": int(unconverged.sum()),
        **{k: {n: mean[k][t] for t, n in enumerate(names)} for k in MEASURES},
        "per_seed": {k: {n: r[k][:, t] for t, n in enumerate(names)} for k in ("spline_index", "knot_shift",
                                                                            "knot_mass_near_data", "train_mse")},
        "regimes": {n: {key: {"alpha": alphas[per_target(i, t)], "lambda": lambdas[per_target(k, t)],
                              "converged": bool(not unconverged[cell(t, i, k)]),
                              **{q: float(mean[q][cell(t, i, k)]) for q in MEASURES}}
                        for key, _, i, k in panels} for t, n in enumerate(names)},
        "loss_curves_seed0": {n: r["loss"][0, t] for t, n in enumerate(names)},
    }
    xs = np.linspace(-1, 1, r["fit"].shape[-1])
    refs = {n: (np.interp(xs, x, y), np.asarray(SP.natural_cubic_spline(x, y, xs))) for n, y in ys.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        rows = [("spline index (0 linear, 1 cubic)", mean["spline_index"], -0.5, 1.5, "coolwarm", mark),
                ("knot shift (log10)", np.log10(np.maximum(mean["knot_shift"], 1e-6)), -4, 0.5, "viridis", mark),
                (f"knot mass within {delta} of data", mean["knot_mass_near_data"], 0, 1, "magma", mark),
                ("train MSE (log10)", np.log10(np.maximum(mean["train_mse"], 1e-30)), -10, 0, "viridis", mark)]
    figs = {"refs": refs, "fit": r["fit"], "spline_index": mean["spline_index"], "panels": panels, "mark": mark,
            "heatmap_rows": rows, "params0": p0, "params": p1}
    return {"metrics": res, "figures": figs}
