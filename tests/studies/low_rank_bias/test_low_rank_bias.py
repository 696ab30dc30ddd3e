"""jdl.studies.low_rank_bias.deep_nets: depth masking of the deep nets and the low-rank simplicity bias (spectra: tests/analysis)."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl import nn, sweep
from jdl.analysis import spectra as SPEC
from jdl.studies.low_rank_bias import deep_nets as R


def test_jit_equals_no_jit_and_compiles_once(key):
    a = jax.random.normal(key, (3, 8, 8))
    f = chex.assert_max_traces(lambda x: (SPEC.effective_rank_of(x), SPEC.spectral_entropy(SPEC.spectrum(x, gram=True))), n=1)
    jf = jax.jit(f)
    for scale in (1.0, 2.0):
        eager = (SPEC.effective_rank_of(scale * a), SPEC.spectral_entropy(SPEC.spectrum(scale * a, gram=True)))
        chex.assert_trees_all_close(jf(scale * a), eager, rtol=1e-5)


def test_masked_scan_equals_explicit_product_for_each_depth(key):
    L, w = 5, 6
    stack = R.init_stack(key, L, w, W_std=1.3)
    chex.assert_shape(stack, (L, w, w))
    x = jax.random.normal(jax.random.fold_in(key, 1), (w,))
    vmapped = jax.jit(jax.vmap(R.masked_product, in_axes=(None, 0)))(stack, jnp.arange(L + 1))
    # depth is traced: one compilation serves every depth
    product = jax.jit(chex.assert_max_traces(R.masked_product, n=1))
    forward = jax.jit(chex.assert_max_traces(R.masked_forward, n=1), static_argnums=3)
    for D in range(L + 1):
        ref = np.eye(w)
        for l in range(D):
            ref = np.asarray(stack[l], np.float64) @ ref
        np.testing.assert_allclose(product(stack, D), ref, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(vmapped[D], ref, rtol=1e-4, atol=1e-5)
        # the ReLU embedding is the D-layer nn.serial net with the same weights
        net = nn.serial(*[layer for _ in range(D) for layer in (nn.dense(w, bias=False), nn.activation("relu"))])
        params = tuple(p for l in range(D) for p in ({"W": stack[l]}, ()))
        np.testing.assert_allclose(forward(stack, x, D, "relu"), net.apply(params, x), rtol=1e-5, atol=1e-6)
    # layer l is nn.dense's draw from fold_in(key, l): a deeper stack extends a shallower one
    np.testing.assert_array_equal(R.init_stack(key, 3, w, W_std=1.3), stack[:3])
    np.testing.assert_array_equal(stack[2], nn.dense(w, W_std=1.3, bias=False).init(jax.random.fold_in(key, 2), (w,))["W"])


def test_layers_beyond_depth_get_no_gradient(key):
    m = R.deep_linear(2, 4)
    p = m.init(key, (3,))
    g = jax.grad(lambda p: jnp.sum(m.apply(p, jnp.ones(3)) ** 2))(p)
    assert np.all(np.asarray(g["W"][2:]) == 0) and np.any(np.asarray(g["W"][:2]) != 0)


def test_low_rank_target(key):
    for r in (1, 3, 8):
        w = R.low_rank_target(key, 8, r)
        assert np.linalg.matrix_rank(np.asarray(w, np.float64), tol=1e-4) == r
        assert float(SPEC.effective_rank_of(w)) == pytest.approx(r, rel=1e-4)
        assert float(jnp.sum(w * w)) == pytest.approx(8.0, rel=1e-4)  # unit output variance at every rank


def test_select_lr_disqualifies_diverged_lrs():
    loss = np.array([[[1.0, 0.1, 0.01]], [[1.0, 0.2, np.nan]]])  # (seeds=2, grid=1, lr=3)
    best, ok = R.select_lr(loss)
    assert best.tolist() == [1] and ok.tolist() == [True]
    best, ok = R.select_lr(np.full((2, 1, 2), np.nan))
    assert ok.tolist() == [False]


def test_init_effective_rank_falls_with_depth_faster_for_relu():
    depths = np.array([1, 4, 16])
    f = functools.partial(R.init_ranks, max_depth=16, width=32, n=64)
    out = sweep.run(lambda k, h: f(k, h["depth"]), [0, 1, 2], {"depth": depths}, progress=False)
    chex.assert_shape(out["relu_erank"], (3, 3))
    chex.assert_shape(out["relu_sigma"], (3, 3, 32))
    chex.assert_shape(out["map_sigma"], (3, 3, 32))
    med = {k: np.median(out[f"{k}_erank"], 0) for k in ("map", "linear", "relu")}
    for k, m in med.items():
        assert np.all(np.diff(m) < 0), (k, m)
    assert np.all(med["relu"] < med["linear"])
    assert med["relu"][-1] / med["relu"][0] < med["linear"][-1] / med["linear"][0]
    assert med["relu"][-1] < 2.0  # deep ReLU embeddings collapse towards rank 1
    # a depth member alone gives the same numbers as inside the sweep (members never interact)
    alone = R.init_ranks(jax.random.key(1), 4, max_depth=16, width=32, n=64)
    np.testing.assert_allclose(alone["relu_erank"], out["relu_erank"][1, 1], rtol=1e-4)
    # one recording scan over the layers gives every depth's numbers at once
    by_depth = jax.jit(jax.vmap(functools.partial(R.init_ranks_by_depth, max_depth=16, width=32, n=64)))(
        sweep.seed_keys([0, 1, 2]))
    chex.assert_shape(by_depth["relu_sigma"], (3, 16, 32))
    for k in ("map", "linear", "relu"):
        np.testing.assert_allclose(by_depth[f"{k}_erank"][:, depths - 1], out[f"{k}_erank"], rtol=1e-4)
        np.testing.assert_allclose(by_depth[f"{k}_sigma"][:, depths - 1], out[f"{k}_sigma"], rtol=1e-3, atol=1e-5)


@pytest.fixture(scope="module")
def trained():
    member = R.make_regression_member(d=16, n_train=12, n_test=64, max_depth=4, steps=200, W_std=0.577)
    g = sweep.grid(depth=np.array([1, 4]), rank=np.array([1, 16]), lr=np.array([0.1], np.float32))
    out = sweep.run(member, [0, 1, 2], g, progress=False)
    return {k: v.reshape((3, 2, 2) + v.shape[2:]) for k, v in out.items()}  # (seed, depth, rank, ...)


def test_trained_member_shapes_and_finiteness(trained):
    chex.assert_shape(trained["sigma"], (3, 2, 2, 16))
    chex.assert_shape(trained["train_curve"], (3, 2, 2, 2))
    assert not sweep.nonfinite(trained, 3).any()
    np.testing.assert_allclose(trained["target_erank"][0, 0], [1.0, 16.0], rtol=1e-4)
    assert np.all(trained["train_loss"] < trained["train_curve"][..., 0])  # training reduced the loss


def test_deeper_linear_net_learns_lower_rank_maps(trained):
    er = np.median(trained["erank"], 0)  # (depth, rank)
    assert er[1, 1] < er[0, 1] - 1.0  # high-rank target: depth 4's map has lower effective rank than depth 1's
    assert er[1, 0] < er[0, 0]  # rank-1 target: depth 4 stays closer to rank 1
    assert er[1, 0] < 2.0
    test = np.median(trained["test_loss"], 0)
    assert test[1, 0] <= 1.05 * test[0, 0]  # and fits the rank-1 target at least as well
