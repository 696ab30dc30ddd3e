"""Random Fourier features and their solvers against NumPy references (float64)."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl import double_descent as DD
from jdl import features as F
from jdl.data import load_digits_binary

PathMetricsFields = F.PathMetrics._fields


@pytest.fixture(scope="module")
def digits64():
    ds = load_digits_binary()
    with jax.enable_x64(True):
        phi, phi_t = DD.member_features(jax.random.key(0), jax.tree_util.tree_map(jnp.asarray, ds), 700, jnp.float64)
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


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("max_update", [0, 40, 300])
def test_dual_path_matches_primal_ridge_and_pinv(digits64, jit, max_update):
    # max_update 0: a Cholesky per size; 40: a Woodbury block (450, 451, 479) and 700 alone; 300: one block
    ds, phi, phi_t = digits64
    sizes = (450, 451, 479, 700)

    def fn(*args):
        return F.dual_ridge_path(*args, sizes, (0.01, 0.0, 1.0), max_update=max_update, max_width=16)

    with jax.enable_x64(True):
        res = (jax.jit(fn) if jit else fn)(jnp.asarray(phi), jnp.asarray(ds.y_train), jnp.asarray(phi_t),
                                           jnp.asarray(ds.y_test))
    chex.assert_shape(res.test_mse, (4, 3))
    for i, N in enumerate(sizes):
        p, pt = phi[:, : 2 * N], phi_t[:, : 2 * N]
        for j, lam in ((0, 0.01), (2, 1.0)):
            ridge = np.linalg.solve(p.T @ p + lam * np.eye(2 * N), p.T @ ds.y_train)  # the assignment's primal
            np.testing.assert_allclose(res.test_mse[i, j], np.mean((pt @ ridge - ds.y_test) ** 2), rtol=1e-6)
            np.testing.assert_allclose(res.train_mse[i, j], np.mean((p @ ridge - ds.y_train) ** 2), rtol=1e-6)
            np.testing.assert_allclose(res.coef_norm[i, j], np.linalg.norm(ridge), rtol=1e-6)
        mn = np.linalg.pinv(p) @ ds.y_train
        np.testing.assert_allclose(res.test_mse[i, 1], np.mean((pt @ mn - ds.y_test) ** 2), rtol=1e-5)
        np.testing.assert_allclose(res.coef_norm[i, 1], np.linalg.norm(mn), rtol=1e-5)
        assert float(res.train_mse[i, 1]) < 1e-12  # the minimum-norm solution interpolates


def test_dual_path_plan_groups_sizes_into_woodbury_blocks():
    plan = F._plan((450, 451, 479, 700), has_ridge=True, has_direct=False, max_update=40, max_width=64)
    assert plan.start == 450 and plan.k_max == 2 * 29
    # two factorisations: a Woodbury block at 450 and the direct solve at 700, nothing else
    assert sorted(plan.branch[plan.branch > 0].tolist()) == [2, 3]
    assert plan.offs[plan.branch == 3].tolist() == [[0, 1, 29]]
    assert int(plan.base[-1]) == 700 and int(plan.count.sum()) == 700 - 450
    # with the minimum-norm fit as well, every size is factorised
    both = F._plan((450, 451, 479, 700), has_ridge=True, has_direct=True, max_update=40, max_width=64)
    assert sorted(both.branch[both.branch > 0].tolist()) == [1, 1, 2, 3]


def test_dual_path_rejects_bad_arguments(digits64):
    ds, phi, phi_t = digits64
    args = (jnp.asarray(phi), jnp.asarray(ds.y_train), jnp.asarray(phi_t), jnp.asarray(ds.y_test))
    with pytest.raises(ValueError, match="sizes"):
        F.dual_ridge_path(*args, (500, 480), (0.01,))
    with pytest.raises(ValueError, match="sizes"):
        F.dual_ridge_path(*args, (500, 701), (0.01,))
    with pytest.raises(ValueError, match="lambdas"):
        F.dual_ridge_path(*args, (500,), (-1.0,))


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
