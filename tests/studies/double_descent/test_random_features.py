"""Random Fourier features and their solvers against NumPy references (float64)."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.data import load_digits_binary
from jdl.studies.double_descent import random_features as F
from jdl.studies.double_descent import sweeps as DD

PathMetricsFields = F.PathMetrics._fields


@pytest.fixture(scope="module")
def digits64():
    ds = load_digits_binary()
    with jax.enable_x64(True):
        phi, phi_t = DD.member_features(jax.random.key(0), jax.tree.map(jnp.asarray, ds), 700, jnp.float64)
        return ds, np.asarray(phi), np.asarray(phi_t)


def assignment_basis(X, V):
    """The assignment's own numpy code."""
    arg = X @ V
    Phi = np.zeros((X.shape[0], 2 * V.shape[1]))
    Phi[:, 0::2] = np.cos(arg)
    Phi[:, 1::2] = np.sin(arg)
    return Phi


def test_rff_matches_the_assignment_code(key):
    X = np.random.default_rng(0).normal(size=(7, 5))
    V = np.asarray(F.rff_frequencies(key, 5, 6))
    with jax.enable_x64(True):
        phi = F.rff(jnp.asarray(X), jnp.asarray(V, jnp.float64))
    chex.assert_shape(phi, (7, 12))
    np.testing.assert_allclose(phi, assignment_basis(X, V.astype(np.float64)), rtol=1e-12)


def test_frequencies_are_prefix_consistent(key):
    np.testing.assert_array_equal(F.rff_frequencies(key, 64, 2000)[:, :37], F.rff_frequencies(key, 64, 37))


def test_gradient_analytic_vs_autodiff_vs_finite_differences(digits64):
    ds, phi, _ = digits64
    with jax.enable_x64(True):
        p, y = jnp.asarray(phi[:, :60]), jnp.asarray(ds.y_train)
        a = 0.1 * jax.random.normal(jax.random.key(1), (60,), jnp.float64)
        g = F.mse_grad(a, p, y)
        g_auto = jax.grad(F.mse_loss)(a, p, y)
        h = 1e-4
        g_fd = jax.vmap(lambda e: (F.mse_loss(a + h * e, p, y) - F.mse_loss(a - h * e, p, y)) / (2 * h))(jnp.eye(60))
        rel = lambda u, v: float(jnp.linalg.norm(u - v) / jnp.linalg.norm(v))  # noqa: E731
        assert rel(g, g_auto) <= 1e-12
        assert rel(g, g_fd) <= 1e-8


@pytest.mark.parametrize("N", [1, 50, 300, 449])
def test_prefix_least_squares_matches_numpy(digits64, N):
    ds, phi, phi_t = digits64
    with jax.enable_x64(True):
        res = jax.jit(F.prefix_least_squares)(jnp.asarray(phi[:, :898]), jnp.asarray(ds.y_train),
                                             jnp.asarray(phi_t[:, :898]), jnp.asarray(ds.y_test))
    chex.assert_shape(res.test_mse, (898,))
    P = 2 * N
    a = np.linalg.lstsq(phi[:, :P], ds.y_train, rcond=None)[0]
    np.testing.assert_allclose(res.test_mse[P - 1], np.mean((phi_t[:, :P] @ a - ds.y_test) ** 2), rtol=1e-6)
    np.testing.assert_allclose(res.coef_norm[P - 1], np.linalg.norm(a), rtol=1e-6)
    np.testing.assert_allclose(res.train_mse[P - 1], np.mean((phi[:, :P] @ a - ds.y_train) ** 2), rtol=1e-6, atol=1e-20)


def _primal_reference(phi, phi_t, ds, N, lam):
    """The assignment's primal ridge solve (lam > 0) or the pseudo-inverse (lam = 0): train, test MSE, norm."""
    p, pt = phi[:, : 2 * N], phi_t[:, : 2 * N]
    a = (np.linalg.solve(p.T @ p + lam * np.eye(2 * N), p.T @ ds.y_train) if lam > 0
         else np.linalg.pinv(p) @ ds.y_train)
    return np.mean((p @ a - ds.y_train) ** 2), np.mean((pt @ a - ds.y_test) ** 2), np.linalg.norm(a)


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("max_update", [0, 40, 300])
def test_dual_path_matches_primal_ridge_and_pinv(digits64, jit, max_update):
    # max_update 0: a Cholesky per size; 40: Woodbury blocks (450, 451, 479) and (690, 691), whose
    # k = 58 columns past 690 run off the 700 drawn frequencies (zero columns), 600 alone; 300: two blocks.
    # Two minimum-norm columns check the order of the gathered fits; metrics_chunk 4 pads the last chunk.
    ds, phi, phi_t = digits64
    sizes, lambdas = (450, 451, 479, 600, 690, 691), (0.01, 0.0, 1.0, 0.0)

    def fn(*args):
        return F.dual_ridge_path(*args, sizes, lambdas, max_update=max_update, max_width=16, metrics_chunk=4)

    with jax.enable_x64(True):
        res = (jax.jit(fn) if jit else fn)(jnp.asarray(phi), jnp.asarray(ds.y_train), jnp.asarray(phi_t),
                                           jnp.asarray(ds.y_test))
    chex.assert_shape(res.test_mse, (len(sizes), len(lambdas)))
    for i, N in enumerate(sizes):
        for j in (0, 2):
            tr, te, nrm = _primal_reference(phi, phi_t, ds, N, lambdas[j])
            np.testing.assert_allclose(res.test_mse[i, j], te, rtol=1e-6)
            np.testing.assert_allclose(res.train_mse[i, j], tr, rtol=1e-6)
            np.testing.assert_allclose(res.coef_norm[i, j], nrm, rtol=1e-6)
        _, te, nrm = _primal_reference(phi, phi_t, ds, N, 0.0)
        for j in (1, 3):
            np.testing.assert_allclose(res.test_mse[i, j], te, rtol=1e-5)
            np.testing.assert_allclose(res.coef_norm[i, j], nrm, rtol=1e-5)
            assert float(res.train_mse[i, j]) < 1e-12  # the minimum-norm solution interpolates


def test_dual_path_ridge_only_blocks_and_small_lambda(digits64):
    # the benchmark's path (no minimum-norm fit: only block bases are factorised), and a ridge
    # parameter small enough that the Woodbury base is ill-conditioned, against one Cholesky per size
    ds, phi, phi_t = digits64
    sizes = (451, 452, 460, 470, 540, 541, 560)
    with jax.enable_x64(True):
        args = (jnp.asarray(phi), jnp.asarray(ds.y_train), jnp.asarray(phi_t), jnp.asarray(ds.y_test))
        blocks = F.dual_ridge_path(*args, sizes, (0.01, 1e-6), max_update=30)
        direct = F.dual_ridge_path(*args, sizes, (0.01, 1e-6), max_update=0)
    for i, N in enumerate(sizes):
        tr, te, nrm = _primal_reference(phi, phi_t, ds, N, 0.01)
        np.testing.assert_allclose([blocks.train_mse[i, 0], blocks.test_mse[i, 0], blocks.coef_norm[i, 0]],
                                   [tr, te, nrm], rtol=1e-6)
    for f in ("test_mse", "coef_norm"):
        np.testing.assert_allclose(getattr(blocks, f)[:, 1], getattr(direct, f)[:, 1], rtol=1e-5)


def test_dual_path_memory_grows_with_blocks_not_steps(digits64):
    # both fits on every N: one scan step per size; the ridge results live in one row per block
    ds, phi, phi_t = digits64
    with jax.enable_x64(True):
        args = (jnp.asarray(phi), jnp.asarray(ds.y_train), jnp.asarray(phi_t), jnp.asarray(ds.y_test))
        compiled = jax.jit(lambda *a: F.dual_ridge_path(*a, tuple(range(450, 701)), (0.01, 0.0))).lower(*args).compile()
    stats = compiled.memory_analysis()
    if stats is None:
        pytest.skip("no memory analysis on this backend")
    # steps x (n x block slots) would be 251 x 898 x 113 x 8 B = 204 MB
    assert stats.temp_size_in_bytes < 60e6


def test_dual_path_plan_groups_sizes_into_woodbury_blocks():
    plan = F._plan((450, 451, 479, 700), has_ridge=True, has_direct=False, max_update=40, max_width=64)
    assert plan.start == 450 and plan.k_max == 2 * 29
    # two factorisations: a Woodbury block at 450 and the direct solve at 700, nothing else
    assert sorted(plan.branch[plan.branch > 0].tolist()) == [2, 3]
    assert plan.offs[plan.branch == 3].tolist() == [[0, 1, 29]]
    assert int(plan.base[-1]) == 700 and int(plan.count.sum()) == 700 - 450
    assert plan.where == [(0, 0, 0), (0, 1, 0), (0, 2, 0), (1, 0, len(plan.branch) - 1)]
    # with the minimum-norm fit as well, every size is factorised
    both = F._plan((450, 451, 479, 700), has_ridge=True, has_direct=True, max_update=40, max_width=64)
    assert sorted(both.branch[both.branch > 0].tolist()) == [1, 1, 2, 3]
    # edge cases: one size; a Cholesky per size; minimum norm only
    one = F._plan((500,), has_ridge=True, has_direct=True, max_update=40, max_width=64)
    assert one.branch.tolist() == [2] and one.count.tolist() == [0] and one.width == 1
    each = F._plan((450, 451, 479), has_ridge=True, has_direct=False, max_update=0, max_width=64)
    assert each.branch[each.branch > 0].tolist() == [2, 2, 2] and each.k_max == 2
    mn = F._plan((450, 451, 479), has_ridge=False, has_direct=True, max_update=40, max_width=64)
    assert mn.branch[mn.branch > 0].tolist() == [1, 1, 1] and set(mn.block.tolist()) <= {0, 1, 2, 3}
    # the step width trades padded slots against steps: every N adds one frequency per step, a gap
    # of 1000 frequencies takes wide steps
    assert F._plan(tuple(range(450, 460)), has_ridge=False, has_direct=True, max_update=0, max_width=128).width == 1
    gap = F._plan((450, 451, 1451), has_ridge=False, has_direct=True, max_update=0, max_width=128)
    assert gap.width == 128 and int(gap.count.sum()) == 1001


def test_dual_path_rejects_bad_arguments(digits64):
    ds, phi, phi_t = digits64
    args = (jnp.asarray(phi), jnp.asarray(ds.y_train), jnp.asarray(phi_t), jnp.asarray(ds.y_test))
    with pytest.raises(ValueError, match="sizes"):
        F.dual_ridge_path(*args, (500, 480), (0.01,))
    with pytest.raises(ValueError, match="sizes"):
        F.dual_ridge_path(*args, (500, 701), (0.01,))
    with pytest.raises(ValueError, match="sizes"):  # lambd = 0 below the threshold: K is singular
        F.dual_ridge_path(*args, (300, 500), (0.0,))
    with pytest.raises(ValueError, match="lambdas"):
        F.dual_ridge_path(*args, (500,), (-1.0,))
    with pytest.raises(ValueError, match="lambdas"):
        F.dual_ridge_path(*args, (500,), (float("nan"),))
    with pytest.raises(ValueError, match="metrics_chunk"):
        F.dual_ridge_path(*args, (500,), (0.01,), metrics_chunk=0)
    with pytest.raises(ValueError, match="ks"):
        F.prefix_least_squares(*(a[:, :100] if a.ndim == 2 else a for a in args), ks=(0, 5))
    with pytest.raises(ValueError, match="ks"):
        F.prefix_least_squares(*(a[:, :100] if a.ndim == 2 else a for a in args), ks=(2.5,))


def test_prefix_least_squares_requested_prefixes_equal_all(digits64):
    ds, phi, phi_t = digits64
    with jax.enable_x64(True):
        args = (jnp.asarray(phi[:, :300]), jnp.asarray(ds.y_train), jnp.asarray(phi_t[:, :300]), jnp.asarray(ds.y_test))
        every = F.prefix_least_squares(*args)
        some = F.prefix_least_squares(*args, ks=(2, 99, 300))
    for k in PathMetricsFields:
        np.testing.assert_allclose(getattr(some, k), getattr(every, k)[np.asarray([1, 98, 299])], rtol=1e-9, atol=1e-22)


def test_float32_normal_equations_fail_at_the_threshold(digits64):
    """What the float32 normal equations get wrong: at 2N = n they cannot interpolate.

    cond(Phi^T Phi) = cond(Phi)^2 is far beyond 1/eps_32 there; the float64 QR path interpolates
    (train MSE ~ 1e-25) while float32 normal equations leave a large training error and the wrong
    test error, by orders of magnitude.
    """
    ds, phi, phi_t = digits64
    p, pt = phi[:, :898], phi_t[:, :898]
    a32 = np.asarray(F.fit_normal_equations(jnp.asarray(p, jnp.float32), jnp.asarray(ds.y_train, jnp.float32)))
    train32 = np.mean((p @ a32 - ds.y_train) ** 2)
    with jax.enable_x64(True):
        res = F.prefix_least_squares(jnp.asarray(p), jnp.asarray(ds.y_train), jnp.asarray(pt), jnp.asarray(ds.y_test))
    assert float(res.train_mse[-1]) < 1e-15
    assert train32 > 1e-3  # not even close to interpolating
    test32 = np.mean((pt @ a32 - ds.y_test) ** 2)
    assert abs(np.log10(test32) - np.log10(float(res.test_mse[-1]))) > 1  # off by more than 10x
    assert np.linalg.cond(p.T @ p) > 1e10


def test_hessian_top_eigenvalue_matches_numpy_and_grows_linearly(digits64):
    ds, phi, _ = digits64
    lam = [float(F.hessian_top_eigenvalue(jnp.asarray(phi[:, : 2 * N], jnp.float32))) for N in (100, 200, 400)]
    ref = 2 / 898 * np.linalg.eigvalsh(phi[:, :200].T @ phi[:, :200])[-1]
    np.testing.assert_allclose(lam[0], ref, rtol=1e-4)
    slopes = np.asarray(lam) / np.asarray([100, 200, 400])
    assert np.all((slopes > 1.0) & (slopes < 1.5))  # ~1.2 N on the digits
