"""Science invariants of the double-descent sweeps (Belkin et al. 2019 on the digits)."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl import sweep
from jdl.data import load_digits_binary
from jdl.studies.double_descent import sweeps as DD

SIZES = np.asarray(sorted(set(np.round(np.geomspace(1, 2000, 30)).astype(int)) | set(range(440, 460))))


@pytest.fixture(scope="module")
def ds():
    return load_digits_binary()


@pytest.fixture(scope="module")
def curves(ds):
    return DD.closed_form_sweep(ds, [0, 1], SIZES, progress=False)


def test_shapes_and_finiteness(curves):
    for fit in ("assignment", "min_norm"):
        for k in ("train_mse", "test_mse", "coef_norm"):
            chex.assert_shape(curves[fit][k], (2, len(SIZES)))
            assert np.isfinite(curves[fit][k]).all()


def test_peak_at_the_interpolation_threshold(curves):
    # 2N = n = 898: the square system; both fits peak exactly there
    for fit in ("assignment", "min_norm"):
        assert DD.peak_ratio(SIZES, curves[fit]["test_mse"], 898) == 1.0
        assert SIZES[np.argmax(curves[fit]["test_mse"].mean(0))] == 449


def test_zero_train_error_past_the_threshold(curves):
    past = 2 * SIZES >= 898
    assert curves["min_norm"]["train_mse"][:, past].max() < 1e-12
    assert curves["min_norm"]["train_mse"][:, ~past].min() > 1e-6


def test_second_descent_below_the_first_minimum(curves):
    mean = curves["min_norm"]["test_mse"].mean(0)
    first, second = mean[2 * SIZES < 898].min(), mean[2 * SIZES > 898].min()
    assert second < first
    # and the norm of the interpolant peaks with the test error
    assert SIZES[np.argmax(curves["min_norm"]["coef_norm"].mean(0))] == 449


def test_every_n_equals_the_sparse_path_and_woodbury_equals_direct(ds):
    # every N (Woodbury blocks of 8 frequencies for the ridge fit) against a sparse grid and
    # against one Cholesky per size
    every = DD.closed_form_sweep(ds, [3, 4], np.arange(430, 480), max_update=8, chunk_size=1, progress=False)
    direct = DD.closed_form_sweep(ds, [3, 4], np.arange(430, 480), max_update=0, progress=False)
    sparse = DD.closed_form_sweep(ds, [3, 4], np.asarray([431, 449, 450, 463, 479]), progress=False)
    idx = np.asarray([431, 449, 450, 463, 479]) - 430
    for fit in ("assignment", "min_norm"):
        for k in ("train_mse", "test_mse", "coef_norm"):
            np.testing.assert_allclose(every[fit][k][:, idx], sparse[fit][k], rtol=1e-7, atol=1e-20)
            np.testing.assert_allclose(every[fit][k], direct[fit][k], rtol=1e-7, atol=1e-20)


def test_same_seed_same_numbers(ds):
    a = DD.closed_form_sweep(ds, [5], [10, 449, 600], progress=False)
    b = DD.closed_form_sweep(ds, [5], [10, 449, 600], progress=False)
    for fit in ("assignment", "min_norm"):
        np.testing.assert_array_equal(a[fit]["test_mse"], b[fit]["test_mse"])
    # one fit alone (half the Choleskys past the threshold) gives that fit's numbers
    only = DD.closed_form_sweep(ds, [5], [10, 449, 600], fits=("min_norm",), progress=False)
    assert set(only) == {"n_features", "min_norm"}
    np.testing.assert_allclose(only["min_norm"]["test_mse"], a["min_norm"]["test_mse"], rtol=1e-10)


def test_bad_sizes_raise(ds):
    with pytest.raises(ValueError, match="n_features"):
        DD.closed_form_sweep(ds, [0], [0, 5])
    with pytest.raises(ValueError, match="lambd"):
        DD.closed_form_sweep(ds, [0], [5], lambd=-1.0)
    with pytest.raises(ValueError, match="seeds"):
        DD.closed_form_sweep(ds, [], [5])
    with pytest.raises(ValueError, match="fits"):
        DD.closed_form_sweep(ds, [0], [5], fits=("ridge",))
    with pytest.raises(ValueError, match="max_update"):
        DD.closed_form_sweep(ds, [0], [5], max_update=-1)


def test_sgd_masked_member_equals_unpadded_model(ds):
    hp = {"n_features": jnp.int32(20), "lr": jnp.float32(1e-3), "noise": jnp.float32(0.0)}
    key = jax.random.key(0)
    padded = DD.make_sgd_member(ds, 300, epochs=3)(key, hp)
    exact = DD.make_sgd_member(ds, 20, epochs=3)(key, hp)
    chex.assert_trees_all_close(padded, exact, rtol=2e-5)


def test_sgd_sweep_jit_matches_no_jit_and_learns(ds):
    member = DD.make_sgd_member(ds, 50, epochs=5)
    hp = {"n_features": jnp.int32(50), "lr": jnp.float32(1e-2), "noise": jnp.float32(0.0)}
    key = jax.random.key(1)
    h_jit, h = jax.jit(member)(key, hp), member(key, hp)
    chex.assert_trees_all_close(h_jit, h, rtol=1e-4)
    chex.assert_shape(h["test_loss"], (6,))
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]


def test_sgd_lr_beyond_two_over_lambda_max_diverges_and_is_flagged(ds):
    lam = DD.hessian_top(ds, [0], [200])[0, 0]
    member = DD.make_sgd_member(ds, 200, epochs=20, batch_size=898)  # full batch: the GD stability edge is sharp
    hp = {"n_features": np.array([200, 200]), "lr": np.array([1.0 / lam, 3.0 / lam], np.float32),
          "noise": np.zeros(2, np.float32)}
    out = sweep.run(member, [0], hp, progress=False)
    np.testing.assert_array_equal(sweep.nonfinite(out["train_loss"], 2) | (out["train_loss"][..., -1] > 1e6),
                                  [[False, True]])


def test_sgd_same_seed_same_numbers(ds):
    member = DD.make_sgd_member(ds, 40, epochs=2)
    hp = {"n_features": np.array([10, 40]), "lr": np.full(2, 1e-3, np.float32), "noise": np.full(2, 0.1, np.float32)}
    a = sweep.run(member, [7], hp, progress=False)
    b = sweep.run(member, [7], hp, progress=False)
    chex.assert_trees_all_equal(a, b)
