"""Summaries over the seed axis that leave diverged members out, relative errors, curve peaks.

One NaN rule for every study: a member whose value is not finite (NaN, +-inf: it diverged) is left
out of every summary and *counted* (``nonfinite``), never averaged in; a cell where every member
diverged is NaN, without a warning. ``bad`` masks leave out further members the caller flagged
(e.g. a member whose loss rose).
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["finite", "finite_mean", "finite_median", "finite_quantiles", "seed_summary", "rel_error",
           "max_rel_error", "peak_index"]


def finite(values: np.ndarray, bad: np.ndarray | None = None) -> np.ndarray:
    """``values`` as a float array with non-finite (and ``bad``) entries replaced by NaN.

    A float array keeps its dtype; integers and booleans become float64 (as ``np.where(mask, np.nan, v)``).

    >>> finite(np.array([1.0, np.inf, 3.0]), bad=np.array([False, False, True])).tolist()
    [1.0, nan, nan]
    >>> finite(np.array([1, 2], np.int16)).dtype, finite(np.array([1.0], np.float32)).dtype
    (dtype('float64'), dtype('float32'))
    """
    v = np.asarray(values)
    v = v if np.issubdtype(v.dtype, np.floating) else v.astype(np.float64)
    keep = np.isfinite(v) if bad is None else np.isfinite(v) & ~np.asarray(bad, bool)
    return np.where(keep, v, np.nan)


def _quiet(fn, v, *args, **kw):
    with warnings.catch_warnings():  # an all-NaN cell (every member diverged) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(v, *args, **kw)


def finite_mean(values: np.ndarray, axis: int = 0, bad: np.ndarray | None = None) -> np.ndarray:
    """Mean over ``axis`` of the finite (and not ``bad``) members; NaN where there is none.

    >>> finite_mean(np.array([[1.0, np.nan], [3.0, np.nan]])).tolist()
    [2.0, nan]
    """
    return _quiet(np.nanmean, finite(values, bad), axis=axis)


def finite_median(values: np.ndarray, axis: int = 0, bad: np.ndarray | None = None) -> np.ndarray:
    """Median over ``axis`` of the finite members; NaN where there is none."""
    return _quiet(np.nanmedian, finite(values, bad), axis=axis)


def finite_quantiles(values: np.ndarray, q, axis: int = 0, bad: np.ndarray | None = None) -> np.ndarray:
    """Quantiles ``q`` (leading axes of the result, as ``np.shape(q)``) over ``axis`` of the finite members.

    Each quantile is taken with a Python-float ``q``, as ``np.nanquantile(v, 0.25)`` is, so float32 values
    give float32 quantiles (an array ``q`` would promote the interpolation to float64).

    >>> finite_quantiles(np.array([1.0, 2.0, 3.0, np.inf]), [0.0, 1.0]).tolist()
    [1.0, 3.0]
    >>> finite_quantiles(np.ones((3, 2), np.float32), [0.25, 0.75]).dtype
    dtype('float32')
    """
    v = finite(values, bad)
    qs = [_quiet(np.nanquantile, v, float(qi), axis=axis) for qi in np.ravel(q)]
    return np.stack(qs).reshape(np.shape(q) + np.shape(qs[0])) if qs else np.empty(np.shape(q))


def seed_summary(values_sk: np.ndarray, bad_sk: np.ndarray | None = None) -> dict:
    """Mean over the finite seeds (axis 0), the per-seed values and how many members were left out.

    >>> s = seed_summary(np.array([[1.0, 2.0], [np.nan, 4.0]]))
    >>> s["mean"].tolist(), s["nonfinite"]
    ([1.0, 3.0], 1)
    """
    v = finite(values_sk, bad_sk)
    return {"mean": _quiet(np.nanmean, v, axis=0), "per_seed": np.asarray(values_sk),
            "nonfinite": int(np.isnan(v).sum())}


def rel_error(approx, exact) -> float:
    """``||approx - exact||_2 / ||exact||_2`` (whole arrays flattened).

    >>> round(rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.5])), 4)
    0.1857
    """
    a, b = np.ravel(np.asarray(approx, np.float64)), np.ravel(np.asarray(exact, np.float64))
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def max_rel_error(approx, exact) -> float:
    """``max|approx - exact| / max|exact|``: the worst entry relative to the largest (``0 / 0`` guarded).

    >>> max_rel_error(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    0.5
    """
    a, b = np.asarray(approx, np.float64), np.asarray(exact, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def peak_index(curve_sk: np.ndarray, bad_sk: np.ndarray | None = None) -> int:
    """Index of the maximum of the finite-seed mean of a ``(seeds, points)`` curve (a 1-D curve as is).

    >>> peak_index(np.array([[1.0, 5.0, 2.0], [1.0, np.nan, 2.0]]))
    1
    """
    v = np.asarray(curve_sk)
    mean = finite(v, bad_sk) if v.ndim == 1 else finite_mean(v, 0, bad_sk)
    if np.all(np.isnan(mean)):
        raise ValueError("curve: no finite point (every member diverged)")
    return int(np.nanargmax(mean))
