"""jdl.studies.double_descent.runs: the experiment's sizes, gradient check and SGD summaries."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.data import load_digits_binary
from jdl.studies.double_descent import random_features as F
from jdl.studies.double_descent import runs as R
from jdl.studies.double_descent import sweeps as DD


def test_sizes():
    assert R.geometric_sizes(5, 2000, 20, (449,)) == tuple(sorted(
        set(np.round(np.geomspace(5, 2000, 20)).astype(int).tolist()) | {449}))
    sizes = R.closed_form_sizes(898, 1000, n_step=8, dense=12)
    assert sizes[0] == 1 and sizes[-1] == 1000 and np.all(np.diff(sizes) > 0)
    assert set(range(437, 462)) <= set(sizes.tolist())  # every N within 12 of n / 2 = 449
    assert R.closed_form_sizes(898, 10).tolist() == list(range(1, 11))  # n_max below n / 2 - dense


def test_gradient_check_equals_hand_written_central_differences():
    ds = load_digits_binary()
    key = jax.random.key(0)
    g = R.gradient_check(ds, 20, key)
    assert g["grad"].shape == g["grad_autodiff"].shape == (40,)
    assert g["rel_err_autodiff"] < 1e-13 and g["rel_err_finite_diff"] < 1e-8
    with jax.enable_x64(True):  # the experiment's former hand-written central differences (step 1e-4, float64)
        d = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), ds)
        phi, _ = DD.member_features(key, d, 20, jnp.float64)
        y = d.y_train
        a = 0.1 * jax.random.normal(jax.random.fold_in(key, 7), (40,), jnp.float64)
        h = 1e-4
        fd = jax.vmap(lambda e: (F.mse_loss(a + h * e, phi, y) - F.mse_loss(a - h * e, phi, y)) / (2 * h))(
            jnp.eye(40, dtype=jnp.float64))
        want = float(jnp.linalg.norm(F.mse_grad(a, phi, y) - fd) / jnp.linalg.norm(fd))
    # the error is round-off (~1e-12): the same arithmetic gives the same number, not just a small one
    assert g["rel_err_finite_diff"] == pytest.approx(want, rel=1e-9)


def test_sgd_summary_leaves_diverged_members_out_and_lists_them():
    train = np.array([[[1.0, 0.5], [1.0, 0.2]], [[1.0, np.nan], [1.0, 0.4]]])  # (S=2, K=2, E=2)
    hist = {"epoch": np.broadcast_to(np.arange(2), train.shape), "train_loss": train, "test_loss": train + 1,
            "test_error": np.zeros_like(train)}
    m = R.sgd_summary(hist, np.array([5, 50]), np.array([0.1, 0.1]), np.array([8.0, 9.0]),
                      ~np.isfinite(train).all(-1), [3, 4], 2, 0.0)
    np.testing.assert_allclose(m["train_mse"]["mean"], [0.5, 0.3])  # seed 4 at N=5 is left out, not averaged in
    assert m["train_mse"]["nonfinite"] == 1 and m["test_mse"]["nonfinite"] == 1
    assert m["diverged"] == [{"seed": 4, "N": 5}]
    assert m["n_features"].tolist() == [10, 100] and m["epoch"].tolist() == [0, 1]


def test_sgd_sweep_rejects_an_unknown_lr_rule():
    with pytest.raises(ValueError, match="lr_rule"):
        R.sgd_sweep(None, [0], [5], epochs=1, noise=0.0, lr_rule="fastest")
