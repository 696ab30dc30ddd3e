"""jdl.stats against plain NumPy references: diverged (non-finite) and ``bad`` members left out and counted."""
import warnings

import numpy as np
import pytest

from jdl import stats


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    """An all-diverged cell must come out NaN *without* a RuntimeWarning ("Mean of empty slice" ...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _values(shape=(6, 5, 4), seed=0, dtype=np.float64):
    """Random values with NaN, +inf and -inf members, one all-NaN and one all-inf cell along axis 0."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape).astype(dtype)
    hit = rng.random(shape) < 0.3
    v[hit] = rng.choice(np.array([np.nan, np.inf, -np.inf], dtype), hit.sum())
    v[:, 0, 0] = np.nan  # a cell of axis 0 where every member diverged
    v[:, 1, 1] = np.inf
    v[0, :, 2] = np.nan  # ... of axis 1
    v[3, 4, :] = -np.inf  # ... of axis 2
    return v


def _bad(shape=(6, 5, 4), seed=1):
    return np.random.default_rng(seed).random(shape) < 0.2


def _reference(fn, values, axis, bad=None):
    """``fn`` of the kept members of each cell, looping over cells; NaN where none is kept."""
    v = np.moveaxis(np.asarray(values, np.float64), axis, 0)
    keep = np.isfinite(v) if bad is None else np.isfinite(v) & ~np.moveaxis(np.asarray(bad), axis, 0)
    out = np.full(v.shape[1:], np.nan)
    for idx in np.ndindex(*v.shape[1:]):
        members = v[(slice(None),) + idx][keep[(slice(None),) + idx]]
        if members.size:
            out[idx] = fn(members)
    return out


# --- finite ---------------------------------------------------------------------------------------

def test_finite_replaces_nan_inf_and_bad_and_keeps_the_rest():
    v, bad = _values(), _bad()
    before = v.copy()
    out = stats.finite(v, bad)
    kept = np.isfinite(v) & ~bad
    assert out.shape == v.shape
    np.testing.assert_array_equal(np.isnan(out), ~kept)
    np.testing.assert_array_equal(out[kept], v[kept])
    np.testing.assert_array_equal(v, before)  # the input is not written to
    np.testing.assert_array_equal(np.isnan(stats.finite(v)), ~np.isfinite(v))


def test_finite_broadcasts_bad_and_keeps_float_dtypes():
    v = np.array([[1.0, 2.0], [3.0, np.inf]], np.float32)
    out = stats.finite(v, np.array([True, False]))  # bad per column
    assert out.dtype == np.float32
    assert np.isnan(out[:, 0]).all() and out[0, 1] == 2.0 and np.isnan(out[1, 1])
    assert stats.finite(v.astype(np.float64)).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8])
def test_finite_integers_become_float64_as_np_where_makes_them(dtype):
    v = np.array([0, 1, 1, 0], dtype)
    bad = np.array([False, True, False, False])
    out = stats.finite(v, bad)
    ref = np.where(bad, np.nan, v)
    assert out.dtype == ref.dtype == np.float64
    np.testing.assert_array_equal(out, ref)


# --- finite_mean / finite_median -------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name, ref", [("finite_mean", np.mean), ("finite_median", np.median)])
def test_mean_and_median_of_the_finite_members(name, ref, axis):
    v = _values()
    out = getattr(stats, name)(v, axis)
    expect = _reference(ref, v, axis)
    assert out.shape == expect.shape == tuple(np.delete(v.shape, axis))
    np.testing.assert_allclose(out, expect, rtol=1e-12, atol=0)  # NaN where NaN: equal_nan by default
    assert np.isnan(expect).any() and not np.isnan(expect).all()  # the fixture has both kinds of cell


@pytest.mark.parametrize("name, ref", [("finite_mean", np.mean), ("finite_median", np.median)])
def test_mean_and_median_leave_bad_members_out(name, ref):
    v, bad = _values(), _bad()
    out = getattr(stats, name)(v, 0, bad)
    np.testing.assert_allclose(out, _reference(ref, v, 0, bad), rtol=1e-12, atol=0)
    # the mask matters: without it some cell differs
    assert not np.allclose(out, getattr(stats, name)(v, 0), equal_nan=True)


def test_all_diverged_cells_are_nan_without_a_warning():
    v = np.array([[np.nan, 1.0, np.inf], [-np.inf, 3.0, np.nan]])
    for fn in (stats.finite_mean, stats.finite_median):
        out = fn(v, 0)
        assert np.isnan(out[0]) and out[1] == 2.0 and np.isnan(out[2])
    q = stats.finite_quantiles(v, [0.25, 0.75], 0)
    assert np.isnan(q[:, 0]).all() and np.isnan(q[:, 2]).all() and q[:, 1].tolist() == [1.5, 2.5]
    assert np.isnan(stats.finite_mean(np.full((3,), np.inf)))
    # the bad mask alone can empty a cell
    assert np.isnan(stats.finite_mean(np.array([[1.0], [2.0]]), 0, np.array([[True], [True]]))[0])


def test_mean_keeps_float32_as_nanmean_does():
    v = _values(dtype=np.float32)
    out = stats.finite_mean(v, 0)
    assert out.dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(out, np.nanmean(np.where(np.isfinite(v), v, np.nan), 0))


# --- finite_quantiles ------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 2])
def test_quantiles_of_the_finite_members(axis):
    v, q = _values(), [0.1, 0.25, 0.5, 0.9]
    out = stats.finite_quantiles(v, q, axis)
    assert out.shape == (len(q),) + tuple(np.delete(v.shape, axis))
    for i, qi in enumerate(q):
        np.testing.assert_allclose(out[i], _reference(lambda m: np.quantile(m, qi), v, axis), rtol=1e-12, atol=0)


def test_quantiles_bad_mask_and_shapes_of_q():
    v, bad = _values(), _bad()
    out = stats.finite_quantiles(v, [0.25, 0.75], 0, bad)
    np.testing.assert_allclose(out[1], _reference(lambda m: np.quantile(m, 0.75), v, 0, bad), rtol=1e-12, atol=0)
    assert stats.finite_quantiles(v, 0.5, 0).shape == v.shape[1:]  # a scalar q: no leading axis
    np.testing.assert_allclose(stats.finite_quantiles(v, 0.5, 0), stats.finite_median(v, 0), rtol=1e-12)
    assert stats.finite_quantiles(v, [[0.1, 0.2], [0.3, 0.4]], 0).shape == (2, 2) + v.shape[1:]


def test_quantiles_equal_per_q_nanquantile_exactly_float32_included():
    """As the experiments had it: ``np.nanquantile(v, 0.25)`` one q at a time, float32 kept float32."""
    for dtype in (np.float32, np.float64):
        v = _values(dtype=dtype) * dtype(123.456)
        out = stats.finite_quantiles(v, [0.25, 0.5, 0.75], 0)
        assert out.dtype == dtype
        w = np.where(np.isfinite(v), v, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for i, qi in enumerate((0.25, 0.5, 0.75)):
                np.testing.assert_array_equal(out[i], np.nanquantile(w, qi, axis=0))


# --- seed_summary -----------------------------------------------------------------------------------

def test_seed_summary_counts_the_members_left_out():
    v, bad = _values(), _bad()
    s = stats.seed_summary(v, bad)
    np.testing.assert_allclose(s["mean"], _reference(np.mean, v, 0, bad), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(s["per_seed"], v)  # per-seed values as measured, NaN and inf included
    assert s["nonfinite"] == int((~np.isfinite(v) | bad).sum())
    assert stats.seed_summary(v)["nonfinite"] == int((~np.isfinite(v)).sum())
    assert stats.seed_summary(np.ones((3, 2)))["nonfinite"] == 0
    assert type(s["nonfinite"]) is int


# --- rel_error / max_rel_error ---------------------------------------------------------------------

def test_rel_error_is_the_flattened_two_norm_ratio():
    rng = np.random.default_rng(3)
    exact = rng.standard_normal((4, 5))
    approx = exact + 1e-3 * rng.standard_normal((4, 5))
    ref = np.sqrt(np.sum((approx - exact) ** 2)) / np.sqrt(np.sum(exact ** 2))
    assert stats.rel_error(approx, exact) == pytest.approx(ref, rel=1e-12)
    assert stats.rel_error(exact, exact) == 0.0
    assert stats.rel_error(approx, exact) != pytest.approx(stats.rel_error(exact, approx), rel=1e-9)  # not symmetric
    assert isinstance(stats.rel_error(approx, exact), float)


def test_max_rel_error_is_worst_entry_over_largest_and_guards_zero():
    rng = np.random.default_rng(4)
    exact = rng.standard_normal(50)
    approx = exact.copy()
    approx[7] += 0.01
    assert stats.max_rel_error(approx, exact) == pytest.approx(0.01 / np.max(np.abs(exact)), rel=1e-12)
    assert stats.max_rel_error(exact.astype(np.float32), exact) == pytest.approx(
        np.max(np.abs(exact.astype(np.float32).astype(np.float64) - exact)) / np.max(np.abs(exact)), rel=1e-12)
    assert stats.max_rel_error(np.zeros(3), np.zeros(3)) == 0.0  # 0 / 0 guarded, no warning
    assert stats.max_rel_error(np.ones(3), np.zeros(3)) > 1e299  # large, finite: never inf or NaN
    assert isinstance(stats.max_rel_error(approx, exact), float)


# --- peak_index -----------------------------------------------------------------------------------

def test_peak_index_of_the_finite_seed_mean():
    curve = np.array([[1.0, 4.0, 3.0, 0.0],
                      [1.0, np.nan, 3.0, np.inf],   # a diverged member: left out, not the peak
                      [1.0, 0.0, 3.0, float("inf")]])  # overflowed
    mean = _reference(np.mean, curve, 0)
    assert stats.peak_index(curve) == int(np.nanargmax(mean)) == 2
    assert stats.peak_index(curve[:2]) == 1  # only the finite member of column 1 counts: mean 4
    assert isinstance(stats.peak_index(curve), int)


def test_peak_index_bad_mask_1d_curves_and_all_nan_columns():
    curve = np.array([[1.0, 9.0, 3.0], [1.0, 9.0, 3.0]])
    assert stats.peak_index(curve) == 1
    assert stats.peak_index(curve, np.array([[False, True, False]] * 2)) == 2  # column 1 masked out
    assert stats.peak_index(np.array([2.0, np.inf, 5.0, np.nan, 1.0])) == 2  # a 1-D curve as is
    assert stats.peak_index(np.array([[np.nan, 1.0], [np.nan, 2.0]])) == 1  # an all-NaN column is no peak


@pytest.mark.parametrize("curve", [np.full((3, 4), np.nan), np.array([[np.inf, -np.inf]]), np.full(5, np.nan)])
def test_peak_index_raises_on_a_curve_without_a_finite_point(curve):
    with pytest.raises(ValueError, match="no finite point"):
        stats.peak_index(curve)
    with pytest.raises(ValueError, match="no finite point"):  # the mask can empty it too
        stats.peak_index(np.ones((2, 3)), np.ones((2, 3), bool))


def test_all_public_functions_are_tested_here():
    with open(__file__) as f:
        text = f.read()
    tested = {name for name in stats.__all__ if f"stats.{name}(" in text}
    assert tested == set(stats.__all__)
