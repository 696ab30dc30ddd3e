"""jdl.optim and jdl.studies.udlbook.curve_fitting: udlbook Training I-III against the notebooks' own loops (NumPy), optax, science."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jdl import optim
from jdl.analysis.derivatives import finite_differences
from jdl.studies.udlbook import curve_fitting as M
from jdl.studies.udlbook import training_fixtures as U


# --- the notebooks' code (Training I-III, TODOs completed as the comments describe), kept as loops in NumPy
def nb_line_search(loss_1d, thresh=1e-4, max_dist=1.0, max_iter=10):
    a, b, c, d = 0, 0.33 * max_dist, 0.66 * max_dist, 1.0 * max_dist
    n_iter, printed = 0, []
    while np.abs(b - c) > thresh and n_iter < max_iter:
        n_iter = n_iter + 1
        lossa, lossb, lossc, lossd = loss_1d(a), loss_1d(b), loss_1d(c), loss_1d(d)
        printed.append((a, b, c, d))  # 'Iter %d, a=%3.3f, b=%3.3f, c=%3.3f, d=%3.3f'
        if np.argmin((lossa, lossb, lossc, lossd)) == 0:
            b, c, d = b / 2, c / 2, d / 2
            continue
        if lossb < lossc:
            d = c
            b = a + (d - a) / 3
            c = a + 2 * (d - a) / 3
            continue
        a = b
        b = a + (d - a) / 3
        c = a + 2 * (d - a) / 3
    return (b + c) / 2.0, np.array(printed), (a, b, c, d)


def nb_linear(phi, x):
    return phi[0] + phi[1] * x


def nb_gabor(phi, x):
    z = phi[0] + 0.06 * phi[1] * x
    return np.sin(z) * np.exp(-z * z / 32)


def nb_loss(model, phi, x, y):
    return np.sum((model(phi, x) - y) ** 2)


def nb_gradient(model, phi, x, y):
    if model is nb_linear:
        r = phi[0] + phi[1] * x - y
        return np.array([2 * np.sum(r), 2 * np.sum(r * x)])
    z = 0.06 * phi[1] * x + phi[0]
    cos, sin, gauss = np.cos(z), np.sin(z), np.exp(-0.5 * z * z / 16)
    r = 2 * (sin * gauss - y)
    return np.array([np.sum((cos * gauss - sin * gauss * z / 16) * r),
                     np.sum((0.06 * x * cos * gauss - 0.06 * x * sin * gauss * z / 16) * r)])


def nb_gd_line_search(model, phi, x, y, n_steps, max_dist=2.0):
    phis = [np.array(phi, np.float64)]
    for _ in range(n_steps):  # Training III's gradient_descent_step: line_search(..., max_dist = 2.0)
        g = nb_gradient(model, phis[-1], x, y)
        alpha, _, _ = nb_line_search(lambda a: nb_loss(model, phis[-1] - g * a, x, y), 1e-5, max_dist, 15)
        phis.append(phis[-1] - alpha * g)
    return np.array(phis)


def linear_objective():
    x, y = map(jnp.asarray, U.linear_data())
    return (lambda p: M.sum_squares(M.linear, p, x, y)), x, y


def gabor_objective():
    x, y = map(jnp.asarray, U.gabor_data())
    return (lambda p: M.sum_squares(M.gabor, p, x, y)), x, y


def test_bracket_line_search_prints_what_the_notebook_prints():
    with jax.enable_x64(True):
        ls = jax.jit(lambda: optim.bracket_line_search(U.training_i_loss, max_dist=1.0, thresh=1e-4, max_iter=10))()
        soln, printed, final = nb_line_search(U.training_i_loss)
        n = len(printed)
        assert int(ls.n_iter) == n == 10 and np.all(ls.active[:n])
        np.testing.assert_allclose(ls.history[:n], printed, rtol=0, atol=1e-15)
        np.testing.assert_allclose(ls.bracket, final, atol=1e-15)
        assert float(ls.step) == pytest.approx(soln, abs=1e-15)
    # 'Soln = %3.3f, loss = %3.3f': the narrow valley near 0.35 wins over the wide one at 0.65
    assert f"{soln:.3f}, {U.training_i_loss(soln):.3f}" == "0.383, 0.329"
    grid = np.linspace(0, 1, 100_001)
    assert abs(soln - grid[np.argmin(U.training_i_loss(grid))]) < 0.05


def test_bracket_line_search_stops_on_thresh_and_vmaps_over_max_dist():
    f = lambda t: (t - 0.3) ** 2  # noqa: E731
    with jax.enable_x64(True):
        max_dist = jnp.asarray([0.25, 0.5, 1.0, 2.0])
        run = jax.jit(jax.vmap(lambda m: optim.bracket_line_search(f, max_dist=m, thresh=1e-3, max_iter=40)))
        ls = run(max_dist)
        chex.assert_shape([ls.step, ls.history, ls.active], [(4,), (4, 40, 4), (4, 40)])
        for i, m in enumerate(np.asarray(max_dist)):
            soln, printed, _ = nb_line_search(f, thresh=1e-3, max_dist=float(m), max_iter=40)
            assert int(ls.n_iter[i]) == len(printed) < 40  # stopped by |b - c| <= thresh
            assert float(ls.step[i]) == pytest.approx(soln, abs=1e-14)
        # the minimum 0.3 lies outside [0, 0.25]: the search goes to the right end instead
        np.testing.assert_allclose(ls.step[1:], 0.3, atol=2e-3)
        assert 0.24 < float(ls.step[0]) <= 0.25


def test_the_notebook_losses_and_gradients():
    # the notebooks' literal prints: 'Correct loss = 12.367' (Training II), 'Correct loss = %3.3f' % 16.419 (III)
    assert (U.LINEAR.check_loss, U.GABOR.check_loss) == (12.367, 16.419)
    with jax.enable_x64(True):
        for objective, grad, check, loss, phi_g in [
                (linear_objective, M.linear_grad, (0.6, -0.2), 12.367, U.LINEAR.check_phi),
                (gabor_objective, M.gabor_grad, (0.6, -0.2), 16.419, U.GABOR.gradient_phi)]:
            obj, x, y = objective()
            every = jax.jit(lambda c, p: (obj(c), grad(p, x, y), jax.grad(obj)(p), finite_differences(obj, p, 1e-6),
                                          finite_differences(obj, p, 1e-4, "forward")))  # noqa: B023
            value, manual, auto, central, fwd = every(jnp.asarray(check), jnp.asarray(phi_g))
            assert f"{float(value):.3f}" == f"{loss:.3f}"  # 'Correct loss = 12.367' / 16.419
            np.testing.assert_allclose(manual, auto, rtol=1e-12)
            np.testing.assert_allclose(central, auto, rtol=1e-7)
            # the notebook's own check: forward differences with delta = 1e-4, printed to 3 decimals
            np.testing.assert_allclose(fwd, auto, rtol=1e-3, atol=2e-3)


@pytest.mark.parametrize("which", ["linear", "gabor"])
def test_gd_with_line_search_follows_the_notebook_loop(which):
    model, nb_model, objective, runs = ((M.linear, nb_linear, linear_objective, U.LINEAR) if which == "linear"
                                        else (M.gabor, nb_gabor, gabor_objective, U.GABOR))
    with jax.enable_x64(True):
        obj, x, y = objective()
        traj = jax.jit(lambda p: optim.descend(obj, optim.gd_line_search(max_dist=runs.max_dist), p, runs.n_steps))(
            jnp.asarray(runs.start))
        ref = nb_gd_line_search(nb_model, runs.start, np.asarray(x), np.asarray(y), runs.n_steps, runs.max_dist)
        chex.assert_shape([traj.params, traj.loss, traj.learning_rate], [ref.shape, (runs.n_steps + 1,),
                                                                         (runs.n_steps,)])
        np.testing.assert_allclose(traj.params, ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(traj.loss, [nb_loss(nb_model, p, np.asarray(x), np.asarray(y)) for p in ref],
                                   rtol=1e-10)
        assert np.all(np.diff(np.asarray(traj.loss)) < 0)  # every line-search step goes downhill
        assert np.all((traj.learning_rate > 0) & (traj.learning_rate < runs.max_dist))


def test_fixed_step_and_sgd_follow_the_notebook_loops():
    g = U.GABOR
    with jax.enable_x64(True):
        obj, x, y = gabor_objective()
        xn, yn = np.asarray(x), np.asarray(y)
        fixed = optim.descend(obj, optax.sgd(g.fixed_lr), jnp.asarray(g.start), g.n_steps)
        phi = np.array(g.start)
        for _ in range(g.n_steps):  # gradient_descent_step_fixed_learning_rate
            phi = phi - g.fixed_lr * nb_gradient(nb_gabor, phi, xn, yn)
        np.testing.assert_allclose(fixed.params[-1], phi, rtol=1e-10)

        batches = U.sgd_permutation_batches(g.sgd_steps, len(xn), g.sgd_batch, g.sgd_seed)
        sgd = optim.descend(obj, optax.sgd(g.sgd_lr), jnp.asarray(g.sgd_start),
                            batch_objective=lambda p, i: M.sum_squares(M.gabor, p, x[i], y[i]),
                            batches=jnp.asarray(batches))
        np.random.seed(g.sgd_seed)  # the notebook's cell: seed, then a permutation inside every step
        phi, phis = np.array(g.sgd_start), []
        for _ in range(g.sgd_steps):
            idx = np.random.permutation(len(xn))[:g.sgd_batch]
            phi = phi - g.sgd_lr * nb_gradient(nb_gabor, phi, xn[idx], yn[idx])
            phis.append(phi)
        np.testing.assert_allclose(sgd.params[1:], np.array(phis), rtol=1e-9, atol=1e-12)
        assert np.all(np.isnan(np.asarray(sgd.learning_rate)))  # plain sgd keeps no step size in its state


def test_sgd_permutation_batches_are_the_legacy_stream_and_leave_it_alone():
    np.random.seed(123)
    before = np.random.rand()
    np.random.seed(123)
    idx = U.sgd_permutation_batches(4, 30, 5, seed=1)
    assert np.random.rand() == before  # the global stream is untouched
    np.random.seed(1)
    np.testing.assert_array_equal(idx, [np.random.permutation(30)[:5] for _ in range(4)])


def test_permutation_batches_from_keys_are_uniform_distinct_and_vmap_over_seeds():
    j = optim.permutation_batches(jax.random.key(3), 6, 30, 5)
    chex.assert_shape(j, (6, 5))
    assert all(len(set(r)) == 5 and 0 <= min(r) and max(r) < 30 for r in np.asarray(j).tolist())
    np.testing.assert_array_equal(optim.permutation_batches(jax.random.key(3), 6, 30, 5), j)  # a key is a stream
    # many seeds in one call (how the experiment draws its extra SGD runs): each run its own stream, and every
    # index equally likely in a batch (a permutation's first 5 of 30: probability 1/6 per index and step)
    keys = jax.random.split(jax.random.key(0), 400)
    many = np.asarray(jax.jit(jax.vmap(lambda k: optim.permutation_batches(k, 41, 30, 5)))(keys))
    chex.assert_shape(many, (400, 41, 5))
    assert not np.array_equal(many[0], many[1])
    assert all(len(set(row)) == 5 for row in many.reshape(-1, 5).tolist())
    freq = np.bincount(many.ravel(), minlength=30) / (400 * 41)
    np.testing.assert_allclose(freq, 1 / 6, atol=0.01)  # ~2.4e-3 standard error per index
    with pytest.raises(ValueError, match="batch_size"):
        optim.permutation_batches(jax.random.key(0), 2, 5, 6)


def test_zoom_line_search_finds_the_minimum_the_bracketing_search_brackets():
    """On the convex least-squares loss, the exact step g.g / g.H.g (optax's zoom with a tight curvature
    tolerance reproduces it) lies inside the bracketing search's final bracket at every iterate."""
    with jax.enable_x64(True):
        obj, x, y = linear_objective()
        start = jnp.asarray(U.LINEAR.start)
        H = jax.hessian(obj)(start)  # constant: the loss is quadratic
        max_dist = U.LINEAR.max_dist
        traj = jax.jit(lambda p: optim.descend(obj, optim.gd_line_search(max_dist=max_dist), p, 10))(start)
        zoom = optax.chain(optax.sgd(1.0), optax.scale_by_zoom_linesearch(40, curv_rtol=1e-6,
                                                                          initial_guess_strategy="one"))

        def at(p):
            g = jax.grad(obj)(p)
            ls = optim.bracket_line_search(lambda a: obj(p - a * g), max_dist=max_dist, thresh=1e-5, max_iter=15)
            _, state = zoom.update(g, zoom.init(p), p, value=obj(p), grad=g, value_fn=obj)
            return ls.bracket, g @ g / (g @ H @ g), optax.tree.get(state, "learning_rate")

        bracket, exact, zoom_lr = jax.jit(jax.vmap(at))(traj.params[:-1])
        np.testing.assert_allclose(zoom_lr, exact, rtol=1e-9)
        assert np.all((bracket[:, 0] <= exact) & (exact <= bracket[:, 3]))
        np.testing.assert_allclose(traj.learning_rate, exact, rtol=0.02)  # within the 15-iteration bracket

        # both descents approach the least-squares optimum; optax's Armijo backtracking does not look
        # for the line minimum, so its steps are different and it is further away after 10 steps
        best = obj(M.linear_least_squares(x, y))
        bt = optax.chain(optax.sgd(1.0), optax.scale_by_backtracking_linesearch(30, max_learning_rate=2.0))
        zoom_traj, bt_traj = jax.jit(lambda p: (optim.descend(obj, zoom, p, 10), optim.descend(obj, bt, p, 10)))(start)
        assert float(traj.loss[-1] - best) < 0.01 and float(zoom_traj.loss[-1] - best) < 0.02
        assert float(bt_traj.loss[-1] - best) > 0.1
        assert np.max(np.abs(np.asarray(bt_traj.learning_rate[:3]) / exact[:3] - 1)) > 0.5


def test_fixed_learning_rate_converges_below_two_over_lambda_max_and_diverges_above():
    with jax.enable_x64(True):
        obj, x, y = linear_objective()
        lr_crit = float(M.linear_critical_lr(x))
        # against the Hessian by autodiff and NumPy's eigenvalues
        H = np.asarray(jax.hessian(obj)(jnp.asarray(U.LINEAR.start)))
        assert lr_crit == pytest.approx(2 / np.linalg.eigvalsh(H).max(), rel=1e-12)
        assert round(lr_crit, 4) == 0.0400  # the README's 2 / lambda_max(H)
        lrs = jnp.asarray([0.1, 0.5, 0.95, 1.05]) * lr_crit
        sweep = jax.jit(jax.vmap(lambda lr: optim.descend(obj, optax.sgd(lr), jnp.asarray(U.LINEAR.start), 400)))
        loss = sweep(lrs).loss[:, -1]
        best = float(obj(M.linear_least_squares(x, y)))
        assert np.all(np.abs(np.asarray(loss[:3]) - best) < 1e-3 * best + 1e-9)
        assert float(loss[3]) > 1e3


def test_descend_jit_vmap_member_independence_and_one_compile(key):
    obj, _, _ = gabor_objective()
    starts = jax.random.uniform(key, (5, 2), minval=jnp.asarray([-3.0, 10.0]), maxval=jnp.asarray([3.0, 20.0]))
    lrs = jnp.asarray([0.05, 0.1, 0.2, 0.3, 0.4])

    @jax.jit
    @chex.assert_max_traces(n=1)
    def run(p_s2, lr_s):  # one program for every (start, lr) grid of this shape
        return jax.vmap(lambda p, lr: optim.descend(obj, optax.sgd(lr), p, 12))(p_s2, lr_s)

    grid = run(starts, lrs)
    run(starts[::-1], lrs * 0.5)  # other values: no retrace
    chex.assert_shape([grid.params, grid.loss, grid.learning_rate], [(5, 13, 2), (5, 13), (5, 12)])
    eager = optim.descend(obj, optax.sgd(lrs[2]), starts[2], 12)  # a member alone, without jit
    chex.assert_trees_all_close(jax.tree.map(lambda a: a[2], grid), eager, rtol=2e-5, atol=1e-6)
    assert np.all(np.isfinite(np.asarray(grid.loss)))
    # minibatches that hold every example are full-batch gradient descent
    x, y = map(jnp.asarray, U.gabor_data())
    full = jnp.tile(jnp.arange(30), (12, 1))
    mb = optim.descend(obj, optax.sgd(lrs[2]), starts[2], batch_objective=lambda p, i: M.sum_squares(M.gabor, p, x[i],
                                                                                                   y[i]), batches=full)
    chex.assert_trees_all_close(mb, eager, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="batches"):
        optim.descend(obj, optax.sgd(0.1), starts[0], 3, batches=full)


def test_gabor_loss_is_non_convex_gd_finds_local_minima_from_the_wrong_valley():
    """The notebook's TODO: started in the wrong valley, descent stops in a local minimum."""
    with jax.enable_x64(True):
        obj, x, y = gabor_objective()
        p0, p1 = jnp.linspace(-10, 10, 101), jnp.linspace(2.5, 22.5, 101)
        surface = M.loss_surface(M.gabor, x, y, p0, p1)
        chex.assert_shape(surface, (101, 101))
        i, j = np.unravel_index(np.argmin(surface), surface.shape)
        assert abs(float(p0[j])) < 0.5 and 15 < float(p1[i]) < 17 and float(surface[i, j]) < 0.7
        # the surface equals the notebook's np.ndenumerate loop (a few rows)
        xn, yn = np.asarray(x), np.asarray(y)
        for r in (0, 50, 100):
            np.testing.assert_allclose(surface[r], [nb_loss(nb_gabor, [a, float(p1[r])], xn, yn) for a in p0],
                                       rtol=1e-12)
        starts = jnp.asarray([U.GABOR.start, (3.5, 6.5), (-8.0, 20.0), (7.0, 5.0)])
        tx = optim.gd_line_search(U.GABOR.max_dist)
        final = jax.jit(jax.vmap(lambda p: optim.descend(obj, tx, p, 40).loss[-1]))(starts)
        assert float(final[0]) < 0.8  # the notebook's start reaches the global valley
        assert np.sum(np.asarray(final) > 3.0) >= 2  # others are stuck in local minima


def test_models_follow_the_model_convention(key):
    for model in (M.linear, M.gabor):
        phi = model.init(key, (1,))
        chex.assert_shape([phi, model.apply(phi, jnp.ones(1))], [(2,), (1,)])
    phi = M.gabor.init(key, (1,))
    assert -10 <= float(phi[0]) <= 10 and 2.5 <= float(phi[1]) <= 22.5
    x, y = map(jnp.asarray, U.gabor_data())
    np.testing.assert_allclose(M.predict(M.gabor, phi, x), nb_gabor(np.asarray(phi, np.float64), np.asarray(x)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(M.predict(M.linear, phi, x), nb_linear(np.asarray(phi, np.float64), np.asarray(x)),
                               rtol=1e-5, atol=1e-5)
    w = (jnp.arange(30) < 10).astype(jnp.float32)  # a 0/1 mask is the loss of the first 10 examples
    np.testing.assert_allclose(M.sum_squares(M.gabor, phi, x, y, w), M.sum_squares(M.gabor, phi, x[:10], y[:10]),
                               rtol=1e-6)
