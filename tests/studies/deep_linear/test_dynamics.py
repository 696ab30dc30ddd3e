"""jdl.studies.deep_linear.dynamics: a NumPy loop of the tutorial, reduced == optax, Saxe et al.'s solutions, float32's failure."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.data import tree
from jdl.studies.deep_linear import dynamics as L
from jdl.studies.deep_linear import members as M

# the PyTorch baseline's printed "half_learned_epoch" (tutorial data and settings, seed 2021; its own init draw)
BASELINE_HALF_LEARNED_2021 = [93, 115, 136, 137, 184, 185, 187, 188]
EPOCHS = 2000  # long enough for the small-lr run to learn every mode
RUNS = {"small_lr": (10.0, 1e-12), "tutorial": (100.0, 1e-12), "tiny_gamma": (100.0, 1e-15),
        "large_gamma": (100.0, 1.0)}


def _run(x, y, lr, gamma, dtype, epochs=EPOCHS, record_rsm=True):
    """One program: the runs vmapped over (lr, gamma) on one data set, from the weight key of seed 0."""
    with jax.enable_x64(dtype == jnp.float64):
        train = L.make_train(30, epochs, record_rsm=record_rsm)
        f = jax.jit(jax.vmap(lambda a, b: train(M.run_keys(0)[1], jnp.asarray(x, dtype), jnp.asarray(y, dtype), a, b)))
        params, hist = f(jnp.asarray(lr, dtype), jnp.asarray(gamma, dtype))
        return jax.tree.map(lambda v: np.asarray(v, np.float64), (params, hist))


@pytest.fixture(scope="module")
def hsd():
    return tree.generate_hsd_numpy(2021, 10_000)  # the tutorial's data as its seed 2021 draws it


@pytest.fixture(scope="module")
def runs(hsd):
    lr, gamma = np.array(list(RUNS.values())).T
    params, hist = _run(*hsd, lr, gamma, jnp.float64)
    tau = L.time_constant(lr, 8, 10_000)[:, None]
    half = np.stack([L.measured_half_times(st, s) for st, s in zip(hist.strengths, hist.s)])
    return {name: {"params": jax.tree.map(lambda v: v[i], params),
                   "hist": jax.tree.map(lambda v: v[i], hist), "tau": float(tau[i, 0]), "half": half[i],
                   "lr": lr[i]} for i, name in enumerate(RUNS)}


# --- the tutorial's training loop in NumPy (full batch, nn.MSELoss, plain SGD), recording as jdl does
def numpy_train(w1, w2, x, y, lr, epochs):
    P, N = y.shape
    u, s, vt = np.linalg.svd(np.linalg.lstsq(x, y, rcond=None)[0].T, full_matrices=False)
    out = {"loss": [], "modes": [], "strengths": [], "rsm": [], "pred": []}
    for t in range(epochs + 1):
        h = x @ w1.T
        pred = h @ w2.T
        out["loss"].append(np.mean((pred - y) ** 2))
        wt = w2 @ w1
        out["modes"].append(np.linalg.svd(wt, compute_uv=False))
        out["strengths"].append(np.diag(u.T @ wt @ vt.T))
        out["rsm"].append(h @ h.T)
        out["pred"].append(pred[:, -1])
        g_out = 2.0 * (pred - y) / (P * N)  # d mean((pred - y)^2) / d pred
        g_w2, g_w1 = g_out.T @ h, (g_out @ w2).T @ x
        w1, w2 = w1 - lr * g_w1, w2 - lr * g_w2
    return {k: np.asarray(v) for k, v in out.items()}, s


@pytest.fixture(scope="module")
def small():
    """A small problem (12 features) run by both methods and by the NumPy loop from the same weights."""
    x, y = tree.generate_hsd_numpy(5, 12)
    key, lr, gamma, epochs = jax.random.key(3), 0.4, 0.05, 40
    with jax.enable_x64(True):
        p0 = L.init_params(key, 8, 30, 12, gamma, jnp.float64)
        out = {m: jax.jit(L.make_train(30, epochs, method=m))(key, jnp.asarray(x), jnp.asarray(y), lr, gamma)
               for m in L.METHODS}
    ref, s = numpy_train(np.asarray(p0["W1"]), np.asarray(p0["W2"]), x, y, lr, epochs)
    return {"x": x, "y": y, "out": jax.tree.map(np.asarray, out), "ref": ref, "s": s, "p0": p0}


def test_both_methods_are_the_numpy_loop(small):
    for method, (params, hist) in small["out"].items():
        for f, want in small["ref"].items():
            got = getattr(hist, f)
            scale = np.max(np.abs(want))
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * scale, err_msg=f"{method} {f}")
        np.testing.assert_allclose(hist.s, small["s"], rtol=1e-10)


def test_u0_is_the_initial_projection_on_the_least_squares_modes(small):
    # independent NumPy: u0 = |(W1 v + W2^T u) / 2|^2 per mode, (u, v) the singular pairs of lstsq's W*
    w1, w2 = np.asarray(small["p0"]["W1"]), np.asarray(small["p0"]["W2"])
    u, s, vt = np.linalg.svd(np.linalg.lstsq(small["x"], small["y"], rcond=None)[0].T, full_matrices=False)
    want = np.sum(((w1 @ vt.T + w2.T @ u) / 2) ** 2, axis=0)  # a pair's sign flip (u, v) -> (-u, -v) cancels
    for method, (_, hist) in small["out"].items():
        np.testing.assert_allclose(hist.u0, want, rtol=1e-10, err_msg=method)


@pytest.mark.parametrize("P,D", [(3, 5), (12, 5)])
def test_general_inputs_and_rank_deficient_x(P, D):
    """Non-orthonormal X, also with P < D (X^T X singular): both methods are the NumPy loop."""
    rng = np.random.default_rng(P)
    x, y = rng.normal(size=(P, D)), rng.normal(size=(P, 12))
    key, lr, gamma, epochs = jax.random.key(1), 0.3, 0.3, 30
    with jax.enable_x64(True):
        p0 = L.init_params(key, D, 6, 12, gamma, jnp.float64)
        out = {m: jax.tree.map(np.asarray, jax.jit(L.make_train(6, epochs, method=m))(
            key, jnp.asarray(x), jnp.asarray(y), lr, gamma)) for m in L.METHODS}
        np.testing.assert_allclose(L.least_squares(jnp.asarray(x), jnp.asarray(y)),
                                   np.linalg.lstsq(x, y, rcond=None)[0].T, atol=1e-12)  # the minimum-norm solution
    ref, s = numpy_train(np.asarray(p0["W1"]), np.asarray(p0["W2"]), x, y, lr, epochs)
    rank = min(P, D)
    for method, (params, hist) in out.items():
        np.testing.assert_allclose(hist.s[:rank], s[:rank], rtol=1e-10)
        assert np.all(hist.s[rank:] == 0) and np.all(hist.strengths[:, rank:] == 0) and np.all(hist.u0[rank:] == 0)
        for f in ("loss", "modes", "rsm", "pred"):
            np.testing.assert_allclose(getattr(hist, f), ref[f], rtol=0, atol=1e-10 * np.max(np.abs(ref[f])),
                                       err_msg=f"{method} {f}")
        np.testing.assert_allclose(hist.strengths[:, :rank], ref["strengths"][:, :rank], rtol=1e-9, atol=1e-12)
    for f in L.History._fields:
        np.testing.assert_allclose(getattr(out["reduced"][1], f), getattr(out["direct"][1], f), rtol=1e-9,
                                   atol=1e-12, err_msg=f)
    np.testing.assert_allclose(out["reduced"][0]["W2"], out["direct"][0]["W2"], atol=1e-12)


def test_reduced_equals_direct_to_rounding(small):
    (p_r, h_r), (p_d, h_d) = small["out"]["reduced"], small["out"]["direct"]
    for f in L.History._fields:
        np.testing.assert_allclose(getattr(h_r, f), getattr(h_d, f), rtol=1e-9, atol=1e-12, err_msg=f)
    for k in ("W1", "W2"):
        np.testing.assert_allclose(p_r[k], p_d[k], rtol=1e-9, atol=1e-12 * np.max(np.abs(p_d[k])))


def test_shapes_and_finiteness(small):
    params, hist = small["out"]["reduced"]
    chex.assert_shape(params["W1"], (30, 8))
    chex.assert_shape(params["W2"], (12, 30))
    chex.assert_shape([hist.loss, hist.ls_error], [(41,), ()])
    chex.assert_shape([hist.modes, hist.strengths, hist.pred], (41, 8))
    chex.assert_shape(hist.rsm, (41, 8, 8))
    chex.assert_shape([hist.s, hist.u0], (8,))
    chex.assert_tree_all_finite(hist)


def test_init_is_the_tutorials_sigma():
    # the tutorial's test_initializer_ex: sigma = gamma / sqrt(n_in + n_out)
    p = L.init_params(jax.random.key(0), 1000, 1000, 3, gamma=1.0)
    assert abs(float(jnp.std(p["W1"])) - 1 / np.sqrt(2000)) < 1e-4
    assert abs(float(jnp.std(p["W2"])) - 1 / np.sqrt(1003)) < 5e-3


@pytest.mark.parametrize("method", L.METHODS)
def test_jit_and_no_jit_agree_and_one_compile(method):
    x, y = jnp.eye(4), jnp.asarray(tree.generate_hsd_numpy(1, 6, depth=2)[1], jnp.float32)
    train = L.make_train(5, 3, method=method)
    chex.clear_trace_counter()  # both parametrisations define a function named train
    eager = train(jax.random.key(0), x, y, 1.0, 0.5)
    counted = chex.assert_max_traces(train, n=1)
    jitted = jax.jit(counted)
    first = jitted(jax.random.key(0), x, y, 1.0, 0.5)
    jitted(jax.random.key(1), x, y, 2.0, 0.1)  # new values: no retrace
    chex.assert_trees_all_close(eager, first, rtol=1e-5, atol=1e-7)


def test_mode_trajectory_solves_saxes_ode():
    # tau du/dt = 2 u (s - u), integrated with small Euler steps, against the closed form
    s, u0, tau, dt = 3.0, 1e-6, 50.0, 1e-3
    t = np.arange(0.0, 200.0, dt)
    u = np.empty_like(t)
    u[0] = u0
    for i in range(1, len(t)):
        u[i] = u[i - 1] + dt / tau * 2 * u[i - 1] * (s - u[i - 1])
    np.testing.assert_allclose(L.mode_trajectory(t, s, u0, tau), u, rtol=2e-3, atol=1e-9)
    for frac in (0.5, 0.9):
        np.testing.assert_allclose(L.mode_trajectory(L.half_time(s, u0, tau, frac=frac), s, u0, tau), frac * s)
    # the discrete variant: the linear phase of GD on a balanced mode grows by (1 + s/tau)^2 per step
    b, k = np.sqrt(1e-20), 1.0 / tau
    for _ in range(30):
        b = b + k * b * (s - b * b)
    np.testing.assert_allclose(L.mode_trajectory(30, s, 1e-20, tau, discrete=True), b * b, rtol=1e-9)


def test_time_constant_is_the_loss_normalisation():
    # the mean over P x N entries gives a gradient 2/(P N) (W_tot - W*): tau = P N / (2 lr)
    assert L.time_constant(100.0, 8, 10_000) == 400.0
    x, y = jnp.eye(2), jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = jnp.ones((3, 2))
    grad = jax.grad(lambda w: jnp.mean((x @ w.T - y) ** 2))(w)
    np.testing.assert_allclose(grad, 2.0 / (2 * 3) * (w - L.least_squares(x, y)), rtol=1e-6)


def test_helpers_on_known_curves():
    v = np.array([[0.0, 5.0], [1.0, 5.0], [3.0, 5.0]])
    np.testing.assert_allclose(L.measured_half_times(v, np.array([4.0, 8.0])), [1.5, 0.0])
    assert np.isnan(L.measured_half_times(v, np.array([100.0, 8.0]))[0])
    assert L.count_stages(np.full(10, 1.0)) == 0 and L.count_stages(np.array([1.0, np.nan])) == 0
    assert np.isnan(L.plateau_end(np.ones(5)))


@pytest.mark.parametrize("lr,gamma,field",
                         [([1.0], [0.0], "gamma"), ([0.0], [1.0], "lr"), ([1.0, 2.0], [1.0], "gamma")])
def test_bad_hyperparameters_raise(lr, gamma, field):
    sample = lambda k: tree.generate_hsd(k, 5)  # noqa: E731
    with pytest.raises(ValueError, match=f"^{field}:"):
        M.train_grid([0], lr, gamma, sample, epochs=2)
    with pytest.raises(ValueError, match="^method:"):
        L.make_train(4, 2, method="adam")


@pytest.mark.parametrize("lr,gamma,field", [(0.0, 1.0, "lr"), (-1.0, 1.0, "lr"), (1.0, 0, "gamma"),
                                            (1.0, -1e-12, "gamma"), (1.0, float("nan"), "gamma")])
def test_concrete_bad_lr_or_gamma_raise_one_line_errors(lr, gamma, field):
    x, y = jnp.eye(2), jnp.ones((2, 3))
    for method in L.METHODS:
        with pytest.raises(ValueError, match=f"^{field}: must be > 0"):
            L.make_train(3, 2, method=method)(jax.random.key(0), x, y, lr, gamma)
    if field == "gamma":
        with pytest.raises(ValueError, match="^gamma:"):
            L.init_params(jax.random.key(0), 2, 3, 3, gamma)
        with pytest.raises(ValueError, match="^gamma:"):
            L.lnnet(3, 3, gamma)
    # traced values cannot be checked: a jitted call runs
    jax.jit(L.make_train(3, 2))(jax.random.key(0), x, y, 1.0, 1.0)


def test_member_is_independent_of_the_grid():
    sample = lambda k: tree.generate_hsd(k, 20, depth=2)  # noqa: E731
    # chunks of 2 in both calls: one program shape (a second compile is a cache hit in CI)
    grid = M.train_grid([4, 5], [1.0, 3.0], [0.1, 0.5], sample, hidden=6, epochs=8, chunk_size=2)
    other = M.train_members([5, 4], [3.0, 2.0], [0.5, 0.7], sample, hidden=6, epochs=8, chunk_size=2)
    chex.assert_shape(grid.loss, (2, 2, 9))
    for f in ("loss", "modes", "strengths", "pred", "u0"):  # seed 5, lr 3, gamma 0.5 beside other neighbours
        np.testing.assert_allclose(getattr(grid, f)[1, 1], getattr(other, f)[0], rtol=1e-12, err_msg=f)
    assert not np.allclose(grid.loss[1, 0], other.loss[1])
    assert grid.loss.dtype == np.float64
    # the per-seed setup shared by the members gives the numbers of one make_train run with the seed's keys
    k_data, k_init = M.run_keys(5)
    with jax.enable_x64(True):
        x, y = (jnp.asarray(v, jnp.float64) for v in sample(k_data))
        _, one = jax.jit(L.make_train(6, 8, record_rsm=False))(k_init, x, y, 3.0, 0.5)
    for f in L.History._fields:
        if f != "rsm":
            np.testing.assert_allclose(getattr(grid, f)[1, 1], getattr(one, f), rtol=1e-12, atol=1e-300, err_msg=f)
    direct = M.train_grid([5], [3.0], [0.5], sample, hidden=6, epochs=8, method="direct")
    for f in ("loss", "modes", "strengths", "pred", "u0", "s"):
        np.testing.assert_allclose(getattr(direct, f)[0, 0], getattr(one, f), rtol=1e-9, err_msg=f)


# --- the science, at the tutorial's sizes (one compiled program for the four runs)


def test_modes_converge_to_the_least_squares_solution(runs, hsd):
    for name in ("tutorial", "tiny_gamma", "large_gamma"):
        h = runs[name]["hist"]
        assert h.ls_error < 1e-9 and h.loss[-1] < 1e-20, name
        np.testing.assert_allclose(h.strengths[-1], h.s, rtol=1e-9)
        np.testing.assert_allclose(h.modes[-1], h.s, rtol=1e-6)
    p = runs["tutorial"]["params"]
    w_ls = np.linalg.lstsq(hsd[0], hsd[1], rcond=None)[0].T  # the tutorial's linear_regression: Y^T here
    np.testing.assert_allclose(p["W2"] @ p["W1"], w_ls, atol=1e-9)
    # small init ends balanced: the hidden similarity is V diag(s) V^T = (W*^T W*)^(1/2)
    lam, V = np.linalg.eigh(w_ls.T @ w_ls)
    want = V @ np.diag(np.sqrt(lam)) @ V.T
    np.testing.assert_allclose(runs["tutorial"]["hist"].rsm[-1], want, atol=1e-6)
    np.testing.assert_allclose(L.balanced_rsm(*hsd), want, atol=1e-10)
    np.testing.assert_allclose(runs["tutorial"]["hist"].s, np.linalg.svd(hsd[1], compute_uv=False), rtol=1e-12)


def test_modes_are_learned_in_order_of_s_in_four_stages(runs):
    levels = np.repeat(np.arange(4), [1, 1, 2, 4])
    for name in ("small_lr", "tutorial", "tiny_gamma"):
        half = runs[name]["half"]
        for k in range(3):
            assert half[levels == k].max() < half[levels == k + 1].min(), name
        assert L.count_stages(runs[name]["hist"].loss) == 4, name
    assert L.count_stages(runs["large_gamma"]["hist"].loss) == 1  # no plateaus from a large init
    assert L.plateau_end(runs["large_gamma"]["hist"].loss) < 10 < 80 < L.plateau_end(runs["tutorial"]["hist"].loss)


def test_half_times_match_the_exact_solution(runs):
    # gradient descent at the tutorial's lr: its own per-epoch growth, to a fraction of an epoch
    for name in ("tutorial", "tiny_gamma"):
        r = runs[name]
        th = L.half_time(r["hist"].s, r["hist"].u0, r["tau"], discrete=True)
        assert np.max(np.abs(r["half"] - th)) < 1.0, name
        # the continuous-time formula is early by 8-18 % there (steps of s/tau up to 0.4)
        cont = L.half_time(r["hist"].s, r["hist"].u0, r["tau"])
        assert 0.05 < np.min(r["half"] / cont - 1) and np.max(r["half"] / cont - 1) < 0.25
    # small steps (s/tau < 0.04): the continuous-time solution with tau = P N / (2 lr) itself
    r = runs["small_lr"]
    cont = L.half_time(r["hist"].s, r["hist"].u0, r["tau"])
    assert np.max(np.abs(r["half"] / cont - 1)) < 0.025
    for frac in (0.1, 0.9):  # the whole sigmoid, not only its midpoint
        t_f = L.measured_half_times(r["hist"].strengths, r["hist"].s, frac)
        assert np.max(np.abs(t_f / L.half_time(r["hist"].s, r["hist"].u0, r["tau"], frac=frac) - 1)) < 0.025


def test_t_half_times_s_is_nearly_constant(runs):
    spread = lambda v: v.max() / v.min() - 1  # noqa: E731
    r = runs["small_lr"]
    assert spread(r["half"] * r["hist"].s) < 0.05  # the continuous-time invariant (up to the log)
    for name in ("tutorial", "tiny_gamma"):
        r = runs[name]
        assert spread(r["half"] * r["hist"].s) < 0.12  # the step size stretches the fast modes
        assert spread(r["half"] * np.log1p(r["hist"].s / r["tau"])) < 0.03  # GD's own invariant


def test_half_learned_epochs_agree_with_the_pytorch_baseline(runs):
    # the baseline's measure (first epoch with s >= half its final value; its modes[i] follows step i + 1)
    m = runs["tutorial"]["hist"].modes[1:251]
    ours = [int(np.argmax(m[:, k] >= 0.5 * m[-1, k])) for k in range(8)]
    assert np.max(np.abs(np.array(ours) - BASELINE_HALF_LEARNED_2021)) <= 3, ours  # its init draw differs


def test_float32_learns_the_slow_modes_too_early_at_tiny_gamma(runs, hsd):
    """Pinned failure mode: float32 rounding on the learned modes seeds the unlearned ones (gamma = 1e-15)."""
    _, h32 = _run(*hsd, np.array([100.0, 100.0]), np.array([1e-15, 1e-12]), jnp.float32, epochs=250,
                  record_rsm=False)
    tau = runs["tutorial"]["tau"]
    early = L.half_time(h32.s, h32.u0, tau, discrete=True) - np.stack(
        [L.measured_half_times(st, s) for st, s in zip(h32.strengths, h32.s)])
    assert np.max(early[0, 4:]) > 4.0  # the four slowest modes: several epochs early (float64: < 1)
    assert np.max(np.abs(early[1])) < 1.0  # at the tutorial's 1e-12 float32 is still right
    assert np.max(np.abs(early[0, :2])) < 1.0  # and the first modes are right at 1e-15 too


def test_numpy_least_squares_modes_and_balanced_rsm():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 4)), rng.normal(size=(7, 9))
    t = L.least_squares_modes(x, y)
    w = np.linalg.pinv(x) @ y  # (D, N): W*^T
    np.testing.assert_allclose((t.U * t.s) @ t.V.T, w.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(t.U.T @ w.T @ t.V), t.s, rtol=1e-12)  # u^T W* v = s > 0
    with jax.enable_x64(True):
        tj = L.target_modes(jnp.asarray(x), jnp.asarray(y))
    np.testing.assert_allclose(tj.s, t.s, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(tj.U) * np.asarray(tj.V)[0], t.U * t.V[0], atol=1e-12)  # pairs, sign-free
    # balanced weights at the solution: W1 = sqrt(s) V^T, W2 = U sqrt(s), H H^T = X W1^T W1 X^T
    w1 = np.sqrt(t.s)[:, None] * t.V.T
    np.testing.assert_allclose(L.balanced_rsm(x, y), x @ w1.T @ w1 @ x.T, atol=1e-12)
