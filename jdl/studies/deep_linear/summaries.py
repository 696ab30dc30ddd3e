"""Summaries of recorded deep linear runs: theory vs measurement, the stage order, illusions, the lr x gamma grid.

Everything here is NumPy (float64) on the ``History`` arrays of :mod:`jdl.studies.deep_linear.dynamics`
and returns plain numbers and arrays for ``metrics.json``:

* :func:`theory_comparison`: Saxe et al.'s mode curves and half-times (continuous time and the
  gradient-descent step) against the measured ones, ``t_half * s`` and its spread;
* :func:`levels_in_order` and :func:`rsm_epochs`: whether the tree's levels are learned coarse to fine,
  and the epochs between the stages (where the RSM panels go);
* :func:`illusion_metrics`: how wrong, how long and when an illusory correlation is predicted;
* :func:`grid_summary`: the lr x gamma grid's seed-median tables and the half-time theory check;
* :func:`max_rel_diffs`: the cross-check of two training methods.

Diverged members (a non-finite loss anywhere, or a final loss above the initial one) are *reported*
(``diverged_fraction``, ``diverged_members``) and left out of every table (NaN), never averaged in; a
cell where every seed diverged is NaN.

References:
  Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear dynamics of learning in deep linear
  neural networks", ICLR 2014 (arXiv:1312.6120); "A mathematical theory of semantic development in deep
  neural networks", PNAS 116 (2019).
"""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np

from jdl.studies.deep_linear import theory as T

__all__ = [
    "grid_summary",
    "illusion_metrics",
    "levels_in_order",
    "max_rel_diffs",
    "rsm_epochs",
    "spread",
    "theory_comparison",
]


def _quiet(fn, v, **kw):
    with warnings.catch_warnings():  # a cell where every member is NaN stays NaN, without a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(v, **kw)


def spread(v) -> float:
    """``max / min - 1`` of positive values: how far they are from equal (NaN if any is missing or <= 0).

    >>> spread([2.0, 3.0]), spread([1.0, float("nan")])
    (0.5, nan)
    """
    v = np.asarray(v, np.float64)
    return float(np.max(v) / np.min(v) - 1.0) if np.all(np.isfinite(v)) and np.all(v > 0) else float("nan")


def levels_in_order(half_sa: np.ndarray, mult: np.ndarray) -> bool:
    """Every mode of a coarser level is half-learned before every mode of the next finer level (all seeds).

    A mode that never gets there (NaN) counts as learned after the end of training.

    Args:
      half_sa: ``(S, A)`` (or ``(A,)``) half-learning times, modes in decreasing order of ``s``.
      mult: ``(K,)`` modes per level, coarse to fine (``sum(mult) == A``).

    >>> levels_in_order(np.array([10.0, 20.0, 21.0]), np.array([1, 2]))
    True
    >>> levels_in_order(np.array([[10.0, 20.0, 21.0], [22.0, 20.0, 21.0]]), np.array([1, 2]))
    False
    """
    bounds = np.cumsum(np.concatenate([[0], mult]))
    for h in np.where(np.isnan(half_sa), np.inf, np.atleast_2d(half_sa)):
        groups = [h[bounds[k]:bounds[k + 1]] for k in range(len(mult))]
        if not all(np.max(a) < np.min(b) for a, b in itertools.pairwise(groups)):
            return False
    return True


def rsm_epochs(half_a: np.ndarray, mult: np.ndarray, epochs: int, chosen: Sequence[int] = ()) -> list[int]:
    """Epoch 0, the midpoints between the levels' (median) half-times and the last epoch; or ``chosen``, sorted.

    One panel per stage: after level ``k`` is learned, before ``k + 1``. Midpoints are clipped to
    ``[0, epochs]`` and rounded; a level never learned (NaN) adds none.

    >>> rsm_epochs(np.array([90.0, 115, 137, 138]), np.array([1, 1, 2]), 250)
    [0, 102, 126, 250]
    >>> rsm_epochs(np.array([90.0]), np.array([1]), 250, chosen=(5, 1, 5))
    [1, 5]
    """
    if chosen:
        return sorted(set(chosen))
    bounds = np.cumsum(np.concatenate([[0], mult]))
    level_t = [_quiet(np.nanmedian, half_a[bounds[k]:bounds[k + 1]]) for k in range(len(mult))]
    mids = [(a + b) / 2 for a, b in itertools.pairwise(level_t)]
    pts = [0, *[m for m in mids if np.isfinite(m)], epochs]
    return sorted({int(round(min(max(p, 0), epochs))) for p in pts})  # noqa: RUF046 (NumPy floats)


def theory_comparison(hist, lr: float, n_items: int, n_out: int, mult: np.ndarray, epochs: int) -> dict:
    """Saxe et al.'s exact mode curves and half-times against the measured ones, per seed.

    Args:
      hist: ``History`` with leading seed axis ``S`` (``strengths`` ``(S, E + 1, A)``, ``s``, ``u0`` ``(S, A)``).
      lr: the runs' learning rate; ``tau = P N / (2 lr)``.
      n_items, n_out: ``P`` and ``N``.
      mult: ``(K,)`` modes per tree level (for :func:`levels_in_order`).
      epochs: ``E``.

    Returns:
      ``{"tau", "curves": {"continuous", "discrete"}: (S, E + 1, A), "half": {"measured", "continuous",
      "discrete"}: (S, A), "summary": {...}}``; ``summary`` is the experiment's ``dynamics`` metrics
      (half-time errors in epochs, ``t_half * s`` and its spread per seed, the stage order, the worst
      trajectory error relative to ``s``).
    """
    tau = float(T.time_constant(lr, n_items, n_out))
    t = np.arange(epochs + 1.0)[:, None]
    s, u0 = hist.s, hist.u0  # (S, A)
    cont = np.stack([T.mode_trajectory(t, s_i, u_i, tau) for s_i, u_i in zip(s, u0)])
    disc = np.stack([T.mode_trajectory(t, s_i, u_i, tau, discrete=True) for s_i, u_i in zip(s, u0)])
    measured = np.stack([T.measured_half_times(st, s_i) for st, s_i in zip(hist.strengths, s)])
    th_c, th_d = T.half_time(s, u0, tau), T.half_time(s, u0, tau, discrete=True)
    rate_d = np.log1p(s / tau)
    return {
        "tau": tau, "curves": {"continuous": cont, "discrete": disc},
        "half": {"measured": measured, "continuous": th_c, "discrete": th_d},
        "summary": {
            "tau_epochs": tau, "max_step_s_over_tau": float(np.max(s) / tau),
            "u0_effective": u0, "half_time_measured": measured, "half_time_continuous": th_c,
            "half_time_discrete": th_d, "half_time_modes_singular_values":
                np.stack([T.measured_half_times(m, s_i) for m, s_i in zip(hist.modes, s)]),
            "max_abs_half_time_error_epochs": {"continuous": float(np.nanmax(np.abs(measured - th_c))),
                                               "discrete": float(np.nanmax(np.abs(measured - th_d)))},
            "t_half_times_s": measured * s,
            "t_half_times_s_spread": [spread(v) for v in measured * s],
            "t_half_times_s_spread_continuous_theory": [spread(v) for v in th_c * s],
            "t_half_times_log1p_s_over_tau_spread": [spread(v) for v in measured * rate_d],
            "modes_learned_in_order_of_s": levels_in_order(measured, mult),
            "max_trajectory_error_over_s": {
                "continuous": float(np.max(np.abs(hist.strengths - cont) / s[:, None, :])),
                "discrete": float(np.max(np.abs(hist.strengths - disc) / s[:, None, :]))},
        },
    }


def illusion_metrics(measured_t: np.ndarray, theory_t: np.ndarray, from_strengths_t: np.ndarray,
                     truth: float) -> dict:
    """How an illusory correlation plays out: one item's prediction of one feature over training.

    The prediction is *wrong* where it has the opposite sign of ``truth`` by more than 0.1; its peak
    is the epoch where ``-truth * prediction`` is largest.

    Args:
      measured_t: ``(E + 1,)`` the network's prediction per epoch.
      theory_t: ``(E + 1,)`` the prediction from the analytic (GD-step) mode strengths.
      from_strengths_t: ``(E + 1,)`` the prediction from the measured mode strengths.
      truth: the feature's true value for the item (``+-1``).

    Returns:
      ``true_value``, ``max_wrong_prediction`` (the prediction at the peak), ``epoch_of_max_wrong``,
      ``epochs_wrong_by_more_than_0.1``, ``first_epoch_right_sign_after_peak`` (``None`` if never),
      ``final_prediction``, and the worst ``|theory - measured|`` of both mode-based predictions.

    >>> m = illusion_metrics(np.array([0.0, 0.5, 0.2, -0.9]), np.zeros(4), np.zeros(4), -1.0)
    >>> m["max_wrong_prediction"], m["epoch_of_max_wrong"], m["epochs_wrong_by_more_than_0.1"]
    (0.5, 1, 2)
    >>> m["first_epoch_right_sign_after_peak"], m["final_prediction"]
    (3, -0.9)
    """
    measured = np.asarray(measured_t)
    wrong = -truth * measured > 0.1  # wrong by more than 0.1
    peak = int(np.argmax(-truth * measured))
    right = np.nonzero(np.sign(measured[peak:]) == np.sign(truth))[0]
    return {"true_value": float(truth),
            "max_wrong_prediction": float(measured[peak]), "epoch_of_max_wrong": peak,
            "epochs_wrong_by_more_than_0.1": int(np.sum(wrong)),
            "first_epoch_right_sign_after_peak": int(peak + right[0]) if len(right) else None,
            "final_prediction": float(measured[-1]),
            "max_error_theory_vs_measured": float(np.max(np.abs(theory_t - measured))),
            "max_error_from_measured_strengths": float(np.max(np.abs(from_strengths_t - measured)))}


def grid_summary(hist, lr_g: np.ndarray, gamma_g: np.ndarray, sweep_lr: Sequence[float],
                 sweep_gamma: Sequence[float], sweep_seeds: Sequence[int], n_items: int, n_out: int) -> dict:
    """Seed-median tables over the lr x gamma grid, the half-time theory check and the diverged members.

    A member *diverged* when its loss is not finite somewhere or ends above where it started; its
    cells are NaN in every table (and it is listed in ``diverged_members``). Stages are counted only on
    a finished curve (final loss below 1 % of the initial). The half-time theory (GD step) is checked
    where it applies: a stable step (``s / tau < 1``), a mode that starts below ``s / 10`` and gets to half.

    Args:
      hist: ``History`` with leading ``(S, G)`` (seeds x grid points; ``G = n_lr * n_gamma``, lr major).
      lr_g, gamma_g: ``(G,)`` each grid point's values (:func:`jdl.sweep.grid` of ``sweep_lr`` x ``sweep_gamma``).
      sweep_lr, sweep_gamma: the grid's axes; sweep_seeds: its ``S`` seeds.
      n_items, n_out: ``P`` and ``N`` (for ``tau``).

    Returns:
      ``runs``; ``tables`` of ``(n_lr, n_gamma)`` seed medians (``plateau_end_epoch``, ``n_stages``,
      ``log10_final_loss``, ``ls_error``, ``half_time_top_mode``, ``half_time_last_mode``) and the
      ``diverged_fraction``; ``half_time_theory_check`` (``modes_checked`` and
      ``max_rel_error_per_gamma``, ``(n_gamma,)``); ``diverged_members``: ``[{"seed", "lr", "gamma"}]``.
    """
    S, G = hist.loss.shape[:2]
    nl, ng = len(sweep_lr), len(sweep_gamma)
    final = hist.loss[..., -1]
    diverged = ~np.all(np.isfinite(hist.loss), axis=-1) | ~(final <= hist.loss[..., 0])
    unfinished = ~(final < 1e-2 * hist.loss[..., 0])  # stages are counted only on a finished curve
    plateau = np.array([[T.plateau_end(hist.loss[s, j]) for j in range(G)] for s in range(S)])
    stages = np.array([[T.count_stages(hist.loss[s, j]) for j in range(G)] for s in range(S)], np.float64)
    half = np.array([[T.measured_half_times(hist.strengths[s, j], hist.s[s, j]) for j in range(G)]
                     for s in range(S)])
    tau = T.time_constant(lr_g, n_items, n_out)[None, :, None]
    theory = T.half_time(hist.s, hist.u0, tau, discrete=True)
    # where the theory applies at all: stable steps, a mode that starts below half and gets there
    valid = (hist.u0 < hist.s / 10) & (hist.s / tau < 1.0) & ~diverged[..., None] & (half > 0)
    rel_err = np.where(valid, np.abs(half / theory - 1), np.nan).reshape(S, nl, ng, -1)
    plateau, stages, final_m = (np.where(diverged, np.nan, v) for v in (plateau, stages, final))
    stages = np.where(unfinished, np.nan, stages)

    def table(v):  # (S, G) -> seed median (n_lr, n_gamma); NaN where every seed is NaN
        return _quiet(np.nanmedian, np.asarray(v, np.float64), axis=0).reshape(nl, ng)

    return {"runs": S * G, "tables": {
        "lr": sweep_lr, "gamma": sweep_gamma,
        "plateau_end_epoch": table(plateau), "n_stages": table(stages),
        "log10_final_loss": table(np.log10(np.where(final_m > 0, final_m, np.nan))),
        "ls_error": table(np.where(diverged, np.nan, hist.ls_error)),
        "diverged_fraction": diverged.mean(0).reshape(nl, ng),
        "half_time_top_mode": table(np.where(diverged, np.nan, half[..., 0])),
        "half_time_last_mode": table(np.where(diverged, np.nan, half[..., -1]))},
        "half_time_theory_check": {
            # (S, n_lr, n_gamma, A) -> max over all but gamma; NaN where nothing was checked
            "gamma": sweep_gamma, "modes_checked": np.sum(np.isfinite(rel_err), axis=(0, 1, 3)),
            "max_rel_error_per_gamma": _quiet(np.nanmax, rel_err, axis=(0, 1, 3))},
        "diverged_members": [{"seed": int(sweep_seeds[s]), "lr": float(lr_g[j]), "gamma": float(gamma_g[j])}
                             for s, j in zip(*np.nonzero(diverged))]}


def max_rel_diffs(other, ref, fields: Sequence[str] = ("loss", "modes", "strengths", "rsm", "pred")) -> dict:
    """``max|other - ref| / max|ref|`` of each ``History`` field's first member (``0 / 0`` guarded).

    Computed in the fields' own dtype (the metric of the methods' cross-check).

    >>> from collections import namedtuple
    >>> H = namedtuple("H", "loss")
    >>> max_rel_diffs(H(np.array([[1.0, 2.5]])), H(np.array([[1.0, 2.0]])), ("loss",))
    {'loss': 0.25}
    """
    return {f: float(np.max(np.abs(getattr(other, f)[0] - getattr(ref, f)[0]))) /
               max(float(np.max(np.abs(getattr(ref, f)[0]))), 1e-300) for f in fields}
