"""jdl.studies.spline_regimes.splines: spline numerics against SciPy/NumPy, the model and its GD step against NumPy, one compile
for a whole sweep, and the kernel vs adaptive regime at small size."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jdl import losses, sweep
from jdl.studies.spline_regimes import splines as SP
from jdl.train import TrainState, make_step

X10 = np.linspace(-1.0, 1.0, 10)


def _hp(alpha, lam, lr, y, **kw):
    return {"alpha": jnp.float32(alpha), "lam": jnp.float32(lam), "lr": jnp.float32(lr),
            "y": jnp.asarray(y, jnp.float32), **kw}


def test_natural_cubic_spline_matches_scipy_and_is_natural():
    interpolate = pytest.importorskip("scipy.interpolate")
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-1, 1, 9))
    y = rng.normal(size=9)
    xs = np.linspace(x[0], x[-1], 301)
    ref = interpolate.CubicSpline(x, y, bc_type="natural")
    ours = np.asarray(SP.natural_cubic_spline(x, y, xs))
    chex.assert_shape(ours, (301,))
    np.testing.assert_allclose(ours, ref(xs), atol=2e-4)
    np.testing.assert_allclose(np.asarray(SP.natural_cubic_spline(x, y, x)), y, atol=1e-5)  # interpolates
    M = np.asarray(SP.spline_second_derivatives(x, y))
    np.testing.assert_allclose(M, ref(x, 2), atol=1e-3 * np.abs(M).max())
    assert M[0] == 0 and M[-1] == 0  # natural: no curvature at the ends
    # linear beyond the data, with the end slopes
    out = np.asarray(SP.natural_cubic_spline(x, y, np.array([x[0] - 0.5, x[-1] + 0.5])))
    np.testing.assert_allclose(out, [y[0] - 0.5 * ref(x[0], 1), y[-1] + 0.5 * ref(x[-1], 1)], rtol=1e-3, atol=1e-4)


def test_spline_index_and_linear_interpolant():
    xs = np.linspace(-1, 1, 101)
    y = np.sin(np.pi * X10)
    lin, cub = SP.linear_interpolant(X10, y, xs), SP.natural_cubic_spline(X10, y, xs)
    np.testing.assert_allclose(lin, np.interp(xs, X10, y), atol=1e-6)
    assert abs(float(SP.spline_index(cub, lin, cub)) - 1) < 1e-5
    assert abs(float(SP.spline_index(lin, lin, cub))) < 1e-5
    assert abs(float(SP.spline_index(0.3 * cub + 0.7 * lin, lin, cub)) - 0.3) < 1e-4


def test_forward_matches_numpy(key):
    net = SP.relu_net(37, alpha=1.5, lam=0.3)
    p = net.init(key, (1,))
    for name in "abc":
        chex.assert_shape(p[name], (37,))
    np.testing.assert_allclose(np.asarray(net.apply(p, jnp.ones(1))), [0.0], atol=1e-6)  # symmetric pairs
    p = {k: v + 0.1 * jax.random.normal(jax.random.fold_in(key, i), v.shape) for i, (k, v) in enumerate(p.items())}
    a, b, c = (np.asarray(p[k], np.float64) for k in "abc")
    ref = np.maximum(np.outer(X10, a) + b, 0) @ c / 37
    np.testing.assert_allclose(np.asarray(jax.vmap(lambda x: net.apply(p, x[None])[0])(jnp.asarray(X10, jnp.float32))),
                               ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(SP.predict(p, jnp.asarray(X10, jnp.float32))), ref, rtol=1e-5, atol=1e-6)
    s_ab, s_c = SP.init_scales(4.0, 0.25)
    assert float(s_ab) == 8.0 and float(s_c) == 2.0


def _numpy_gd_step(a, b, c, x, y, lr, m):
    """One full-batch GD step on mean((f - y)^2), f = (1/m) sum c relu(a x + b), by hand."""
    pre = np.outer(x, a) + b
    act = np.maximum(pre, 0)
    r = 2 * (act @ c / m - y) / len(x)
    g_c = r @ act / m
    g_pre = (pre > 0) * r[:, None] * c / m
    return a - lr * (g_pre * x[:, None]).sum(0), b - lr * g_pre.sum(0), c - lr * g_c


def test_gd_step_matches_numpy_gradient_step(key):
    y = np.sin(np.pi * X10)
    fit = SP.make_fit(X10, 16, 1, records=1, grid_points=11, symmetric=False)
    out = fit(key, _hp(1.0, 2.0, 0.3, y))
    p0 = {k: np.asarray(v, np.float64) for k, v in out["params0"].items()}
    ref = _numpy_gd_step(p0["a"], p0["b"], p0["c"], X10, y, 0.3, 16)
    for name, r in zip("abc", ref):
        np.testing.assert_allclose(out["params"][name], r, rtol=1e-5, atol=1e-6)
    # the same step through the library's optax path
    net = SP.relu_net(16)
    tx = optax.sgd(0.3)
    state = TrainState(out["params0"], tx.init(out["params0"]), jnp.zeros((), jnp.int32))
    step = make_step(net, lambda o, t: losses.mse(pred=o, target=t), tx)
    new, _ = step(state, jnp.asarray(X10, jnp.float32)[:, None], jnp.asarray(y, jnp.float32)[:, None])
    chex.assert_trees_all_close(new.params, out["params"], rtol=1e-5, atol=1e-6)


def test_from_standard_reproduces_the_baselines_parameterisation(key):
    """GD on sum c relu(ax+b) from (a,b,c) = our init / sqrt(m) at lr_std equals ours at m * lr_std."""
    m, steps, alpha_std, lr_std = 40, 25, 0.7, 2e-3
    y = np.random.default_rng(0).uniform(-1, 1, 10)
    alpha, lam, k = SP.from_standard(alpha_std, m)
    out = SP.make_fit(X10, m, steps, records=1, grid_points=11)(key, _hp(alpha, lam, k * lr_std, y))
    a, b, c = (np.asarray(out["params0"][q], np.float64) / np.sqrt(m) for q in "abc")
    assert abs(np.std(np.concatenate([a, b])) / alpha_std - 1) < 0.3  # the baseline's a, b ~ alpha N(0, 1)
    for _ in range(steps):  # the baseline's model: f = sum c relu(a x + b), i.e. m = 1 in _numpy_gd_step
        a, b, c = _numpy_gd_step(a, b, c, X10, y, lr_std, 1)
    f_std = np.maximum(np.outer(X10, a) + b, 0) @ c
    np.testing.assert_allclose(np.asarray(SP.predict(out["params"], jnp.asarray(X10, jnp.float32))), f_std,
                               rtol=1e-3, atol=1e-4)


def test_fit_shapes_and_jit_equals_no_jit(key):
    y = np.cos(np.pi * X10)
    fit = SP.make_fit(X10, 8, 4, records=2, grid_points=21)
    hp = _hp(1.0, 1.0, 0.5, y)
    out = jax.jit(fit)(key, hp)
    chex.assert_shape(out["loss"], (3,))
    chex.assert_shape(out["fit"], (21,))
    chex.assert_shape([out["params"][k] for k in "abc"], [(8,)] * 3)
    for k in ("train_mse", "spline_index", "d_lin", "d_cub", "knot_shift", "knot_mass_near_data"):
        chex.assert_shape(out[k], ())
    with jax.disable_jit():
        ref = fit(key, hp)
    chex.assert_trees_all_close(out, ref, rtol=1e-4, atol=1e-6)
    assert not bool(out["nonfinite"])


def test_sweep_compiles_once_and_members_are_independent():
    y = np.sin(np.pi * X10)
    inner = SP.make_fit(X10, 8, 4, records=2, grid_points=11)
    traces = []

    def fit(key, hp):
        traces.append(1)  # runs once per trace, not per call
        return inner(key, hp)

    hp = {"alpha": np.float32([1, 2, 3]), "lam": np.float32([0.1, 1, 10]), "lr": np.float32([0.1, 0.2, 0.3]),
          "y": np.tile(y, (3, 1)).astype(np.float32)}
    out = sweep.run(fit, [0, 1, 2], hp, grid_block=1, chunk_size=2, progress=False)
    assert len(traces) <= 2  # eval_shape + one jit trace, for 5 chunks
    chex.assert_shape(out["spline_index"], (3, 3))
    alone = sweep.run(inner, [1], {k: v[2:] for k, v in hp.items()}, progress=False)
    np.testing.assert_allclose(alone["fit"][0, 0], out["fit"][1, 2], rtol=1e-6, atol=1e-7)


def test_stable_lr_follows_the_tangent_kernel():
    y = np.sin(np.pi * X10)
    lr = SP.stable_lr(X10, y, 100, np.array([1.0, 10.0, 100.0]), 1.0, 0.5)
    assert lr[0] > lr[1] > lr[2] and 50 < lr[1] / lr[2] <= 100  # large alpha: lr ~ 1 / alpha^2
    assert SP.path_norm(X10, 2 * X10 + 1) == pytest.approx(4.0)  # a line: only its two end slopes
    assert 0.15 < SP.uniform_near_fraction(X10, 0.02) < 0.21


def test_knot_measures_by_hand():
    p = {"a": jnp.array([1.0, -2.0, 1.0, 0.0]), "b": jnp.array([-0.5, 0.0, 0.3, 1.0]),
         "c": jnp.array([1.0, 1.0, 3.0, 5.0])}
    np.testing.assert_allclose(SP.knots(p)[:3], [0.5, 0.0, -0.3])
    x = jnp.array([-1.0, 0.0, 0.49, 1.0])
    # knots 0.5 (mass 1, near 0.49), 0.0 (mass 2, on a point), -0.3 (mass 3, far); a = 0: no knot
    assert float(SP.knot_mass_near_data(p, x, 0.02)) == pytest.approx(3 / 6)
    p1 = dict(p, b=p["b"] + jnp.array([0.1, 0.0, 0.0, 0.0]))  # first knot moves 0.5 -> 0.4
    assert float(SP.knot_shift(p, p1)) == pytest.approx(0.1 * 1 / 6, rel=1e-4)


@pytest.fixture(scope="module")
def regimes():
    """Square-wave targets, alpha = 3: lambda = 1e-4 (kernel) and 1e4 (adaptive), 2 seeds, m = 512.

    Heavy-ball momentum converges the kernel regime's slow modes in 6000 steps (plain GD needs ~10x more).
    """
    y = np.sign(np.cos(np.pi * X10))
    m, steps, alpha = 512, 6000, 3.0
    lams = np.float32([1e-4, 1e4])
    hp = {"alpha": np.float32([alpha, alpha]), "lam": lams,
          "lr": SP.stable_lr(X10, y, m, alpha, lams, 1.0).astype(np.float32),
          "y": np.tile(y, (2, 1)).astype(np.float32)}
    fit = SP.make_fit(X10, m, steps, records=10, grid_points=401, momentum=0.9)
    return sweep.run(fit, [0, 1], hp, progress=False)


def test_science_kernel_regime_knots_stay_adaptive_knots_move(regimes):
    shift = regimes["knot_shift"]  # (seed, [kernel, adaptive])
    assert not regimes["nonfinite"].any()
    assert shift[:, 0].max() < 0.01 and shift[:, 1].min() > 0.3


def test_science_kernel_fit_is_cubic_adaptive_fit_is_linear(regimes):
    si = np.median(regimes["spline_index"], 0)
    assert si[0] > 0.6  # near the natural cubic spline
    assert abs(si[1]) < 0.2  # near the linear interpolant
    assert regimes["train_mse"].max() < 1e-2


def test_science_adaptive_knots_gather_at_the_data(regimes):
    near = regimes["knot_mass_near_data"]
    assert near[:, 1].min() > near[:, 0].max() + 0.3
    assert near[:, 1].min() > 4 * SP.uniform_near_fraction(X10, 0.02)
