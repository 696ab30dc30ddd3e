"""The numerics of udlbook CM20315 Training I, II and III: every number ``experiments.udl_training`` reports.

Training I: the bracketing line search on its two-dip function, and the dip it finds for other
initial brackets. Training II: the straight line's loss and gradient checks, gradient descent with
the notebook's line search, optax's zoom and backtracking line searches, a fixed-step learning-rate
sweep, the least-squares optimum and its loss surface. Training III: the same for the Gabor model,
plus SGD (the notebook's ``np.random.seed(1)`` batches and more ``jax.random`` seeds, constant and
step-decay steps) and descent from a grid of starting points. Every descent is an optax optimiser in
one ``lax.scan`` (``jdl.optim``); each part is one compiled program. :func:`run_all` runs all three in
float64 and returns the metrics, the arrays of ``surfaces.npz`` and the curves of the figures.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jdl import optim
from jdl.analysis.derivatives import finite_differences
from jdl.precision import precision
from jdl.studies.udlbook import curve_fitting as M
from jdl.studies.udlbook import training_fixtures as U

__all__ = ["checks", "grid", "path_summary", "run_all", "training_i", "training_ii", "training_iii"]


def grid(spec, coarsen: int) -> np.ndarray:
    """Every ``coarsen``-th point of a notebook's ``np.arange(lo, hi, step)`` grid, ``spec = (lo, hi, step)``.

    >>> grid((0.0, 1.0, 0.25), 2).tolist()
    [0.0, 0.5]
    """
    lo, hi, step = spec
    return np.arange(lo, hi, step)[::coarsen]


def checks(model, grad_fn, x, y, check_phi, grad_phi) -> dict:
    """The notebook's loss check at ``check_phi`` and its gradient check at ``grad_phi`` (four ways).

    Returns:
      ``{"check_loss": ..., "gradient": {"manual", "jax_grad", "central_difference",
      "notebook_forward_difference"}}``: the hand-derived gradient ``grad_fn``, ``jax.grad``, central
      differences (delta 1e-6) and the notebook's forward differences (delta 1e-4).
    """
    obj = lambda p: M.sum_squares(model, p, x, y)
    p = jnp.asarray(grad_phi)
    return {"check_loss": obj(jnp.asarray(check_phi)), "gradient": {
        "manual": grad_fn(p, x, y), "jax_grad": jax.grad(obj)(p),
        "central_difference": finite_differences(obj, p, 1e-6),
        "notebook_forward_difference": finite_differences(obj, p, 1e-4, "forward")}}


def path_summary(traj: optim.Trajectory) -> dict:
    """A descent's final ``phi`` and ``loss``, its ``path`` (steps + 1, 2), ``losses`` and ``step_sizes``."""
    return {"phi": traj.params[-1], "loss": traj.loss[-1], "path": traj.params, "losses": traj.loss,
            "step_sizes": traj.learning_rate}


def _zoom():
    return optax.chain(optax.sgd(1.0), optax.scale_by_zoom_linesearch(40, curv_rtol=1e-6, initial_guess_strategy="one"))


def _backtracking():
    return optax.chain(optax.sgd(1.0), optax.scale_by_backtracking_linesearch(30, max_learning_rate=2.0))


def training_i(*, n_max_dist: int) -> dict:
    """Training I: the bracketing search (max_dist 1), and its answer for ``n_max_dist`` brackets in [0.3, 3]."""
    ls = jax.jit(lambda: optim.bracket_line_search(U.training_i_loss, max_dist=1.0, thresh=1e-4, max_iter=10))()
    max_dist = jnp.geomspace(0.3, 3.0, n_max_dist)
    answers = jax.jit(jax.vmap(lambda m: optim.bracket_line_search(U.training_i_loss, max_dist=m).step))(max_dist)
    n_it = int(ls.n_iter)
    return {"solution": ls.step, "loss": U.training_i_loss(float(ls.step)), "n_iter": n_it,
            "iterations": ls.history[:n_it], "max_dist": max_dist, "solution_vs_max_dist": answers}


def training_ii(*, surface_coarsen: int, n_lrs: int, lr_steps: int) -> tuple[dict, tuple]:
    """Training II, the straight line: checks, three line-search descents, a fixed-step lr sweep, least squares.

    Returns:
      ``(t2, (phi0_a, phi1_b, loss_ba))``: the metrics and the loss surface on the notebook's grid.
    """
    lin = U.LINEAR
    x, y = map(jnp.asarray, U.linear_data())
    lin_obj = lambda p: M.sum_squares(M.linear, p, x, y)
    zoom, backtrack = _zoom(), _backtracking()
    lr_crit = M.linear_critical_lr(x)
    lin_lrs = jnp.geomspace(1e-3, 0.1, n_lrs)

    @jax.jit
    def run(p0):
        runs = {"gd_line_search": optim.descend(lin_obj, optim.gd_line_search(lin.max_dist), p0, lin.n_steps),
                "zoom_line_search": optim.descend(lin_obj, zoom, p0, lin.n_steps),
                "backtracking_line_search": optim.descend(lin_obj, backtrack, p0, lin.n_steps)}
        sweep = jax.vmap(lambda lr: optim.descend(lin_obj, optax.sgd(lr), p0, lr_steps).loss[-1])(lin_lrs)
        best = M.linear_least_squares(x, y)
        return runs, sweep, best, lin_obj(best), checks(M.linear, M.linear_grad, x, y, lin.check_phi, lin.check_phi)

    runs2, lin_sweep, best, best_loss, checks2 = run(jnp.asarray(lin.start))
    a2, b2 = grid(lin.surface[0], surface_coarsen), grid(lin.surface[1], surface_coarsen)
    surf2 = jax.jit(M.loss_surface, static_argnums=0)(M.linear, x, y, jnp.asarray(a2), jnp.asarray(b2))
    t2 = {**checks2, "notebook_check_loss": lin.check_loss, **{k: path_summary(v) for k, v in runs2.items()},
          "least_squares": {"phi": best, "loss": best_loss}, "critical_lr": lr_crit,
          "lr_sweep": {"lr": lin_lrs, "final_loss": lin_sweep, "steps": lr_steps}}
    return t2, (a2, b2, np.asarray(surf2))


def training_iii(*, surface_coarsen: int, n_lrs: int, lr_steps: int, sgd_seeds: int, decay_every: int, starts: int,
                 start_steps: int, valley_loss: float, seed: int) -> tuple[dict, tuple, tuple, dict]:
    """Training III, the Gabor model: checks, descents, an lr sweep, SGD over seeds, and a grid of starts.

    Returns:
      ``(t3, (phi0_a, phi1_b, loss_ba), (start_phi0, start_phi1, finals), sgd_losses)``: the metrics, the
      loss surface, the final losses of every method from ``starts x starts`` starting points (each
      (starts, starts), rows follow phi1) and the SGD loss curves ``(sgd_seeds, steps + 1)`` for the
      constant and step-decay schedules.
    """
    g = U.GABOR
    gx, gy = map(jnp.asarray, U.gabor_data())
    gab_obj = lambda p: M.sum_squares(M.gabor, p, gx, gy)
    gab_batch = lambda p, i: M.sum_squares(M.gabor, p, gx[i], gy[i])
    gab_lrs = jnp.geomspace(0.01, 3.0, n_lrs)
    zoom = _zoom()

    def sgd(p, batches, decay):
        """SGD with step 0.8, halved every ``decay_every`` steps where ``decay`` (traced: one program for both)."""
        lr = lambda t: g.sgd_lr * jnp.where(decay, 0.5 ** (t // decay_every), 1.0)
        return optim.descend(gab_obj, optax.sgd(lr), p, batch_objective=gab_batch, batches=batches)

    def batches(key, runs, n_steps):
        """Minibatches of ``runs`` independent SGD runs like the notebook's: ``(runs, n_steps, sgd_batch)``."""
        return jax.vmap(lambda k: optim.permutation_batches(k, n_steps, len(gx), g.sgd_batch))(
            jax.random.split(key, runs))

    @jax.jit
    def run(p0, key):
        runs = {"gd_line_search": optim.descend(gab_obj, optim.gd_line_search(g.max_dist), p0, g.n_steps),
                "gd_fixed_lr": optim.descend(gab_obj, optax.sgd(g.fixed_lr), p0, g.n_steps),
                "zoom_line_search": optim.descend(gab_obj, zoom, p0, g.n_steps)}
        sweep = jax.vmap(lambda lr: optim.descend(gab_obj, optax.sgd(lr), p0, lr_steps).loss[-1])(gab_lrs)
        # SGD: the notebook's np.random.seed(1) batches first, then sgd_seeds JAX keys; constant and decaying steps
        nb = jnp.asarray(U.sgd_permutation_batches(g.sgd_steps, len(gx), g.sgd_batch, g.sgd_seed))
        all_batches = jnp.concatenate([nb[None], batches(key, sgd_seeds, g.sgd_steps)])
        start = jnp.asarray(g.sgd_start)
        sgd_runs = jax.vmap(lambda d: jax.vmap(lambda b: sgd(start, b, d))(all_batches))(jnp.asarray([False, True]))
        return runs, sweep, sgd_runs, checks(M.gabor, M.gabor_grad, gx, gy, g.check_phi, g.gradient_phi)

    key_sgd, key_starts = jax.random.split(jax.random.key(seed))  # the extensions' SGD minibatches
    runs3, gab_sweep, sgd_runs, checks3 = run(jnp.asarray(g.start), key_sgd)
    runs3["sgd_notebook_seed"] = jax.tree.map(lambda v: v[0, 0], sgd_runs)
    sgd_losses = {"constant": sgd_runs.loss[0, 1:], "step_decay": sgd_runs.loss[1, 1:]}
    a3, b3 = grid(g.surface[0], surface_coarsen), grid(g.surface[1], surface_coarsen)
    surf3 = jax.jit(M.loss_surface, static_argnums=0)(M.gabor, gx, gy, jnp.asarray(a3), jnp.asarray(b3))

    # descent from every point of a grid of starts (the notebook's "different places" TODO)
    s0, s1 = np.linspace(-10, 10, starts), np.linspace(2.5, 22.5, starts)
    starts_s2 = jnp.asarray(np.stack(np.meshgrid(s0, s1), -1).reshape(-1, 2))
    T = start_steps

    @jax.jit
    def multistart(p_s2, key):
        b_s = batches(key, p_s2.shape[0], T)
        each = jax.vmap(lambda d: jax.vmap(lambda p, b: sgd(p, b, d).loss[-1])(p_s2, b_s))(jnp.asarray([False, True]))
        gd_ls = optim.gd_line_search(g.max_dist)
        return {"gd_line_search": jax.vmap(lambda p: optim.descend(gab_obj, gd_ls, p, T).loss[-1])(p_s2),
                "gd_fixed_lr": jax.vmap(lambda p: optim.descend(gab_obj, optax.sgd(g.fixed_lr), p, T).loss[-1])(p_s2),
                "sgd": each[0], "sgd_step_decay": each[1]}

    finals = {k: np.asarray(v).reshape(starts, starts) for k, v in multistart(starts_s2, key_starts).items()}
    i_min = np.unravel_index(np.argmin(np.asarray(surf3)), surf3.shape)
    t3 = {**checks3, "notebook_check_loss": g.check_loss, **{k: path_summary(v) for k, v in runs3.items()},
          "surface_minimum": {"phi": [a3[i_min[1]], b3[i_min[0]]], "loss": surf3[i_min]},
          "lr_sweep": {"lr": gab_lrs, "final_loss": gab_sweep, "steps": lr_steps},
          "sgd_seeds": {"n_seeds": sgd_seeds, "steps": g.sgd_steps, "decay_every": decay_every,
                        **{k: {"final_loss_median": np.median(v[:, -1]),
                               "final_loss_quartiles": np.quantile(np.asarray(v[:, -1]), [0.25, 0.75]),
                               "fraction_in_valley": np.mean(np.asarray(v[:, -1]) < valley_loss)}
                           for k, v in sgd_losses.items()}},
          "multistart": {"starts_per_axis": starts, "steps": T, "valley_loss": valley_loss,
                         "fraction_in_valley": {k: float(np.mean(v < valley_loss)) for k, v in finals.items()},
                         "final_loss_median": {k: float(np.median(v)) for k, v in finals.items()}}}
    return t3, (a3, b3, np.asarray(surf3)), (s0, s1, finals), {k: np.asarray(v) for k, v in sgd_losses.items()}


def _fits(t2: dict, t3: dict) -> dict:
    """The data and fitted curves of the fits figure: ``{notebook: (x, y, x_plot, {label: y_plot})}``."""
    xp_l, xp_g = np.linspace(0, 2, 200), np.linspace(-15, 15, 400)
    lin_fit = lambda p: np.asarray(M.predict(M.linear, jnp.asarray(p), xp_l))
    gab_fit = lambda p: np.asarray(M.predict(M.gabor, jnp.asarray(p), xp_g))
    return {"training_ii": (*U.linear_data(), xp_l, {
                "start": lin_fit(U.LINEAR.start), "gd_line_search": lin_fit(t2["gd_line_search"]["phi"]),
                "least_squares": lin_fit(t2["least_squares"]["phi"])}),
            "training_iii": (*U.gabor_data(), xp_g, {
                "start": gab_fit(U.GABOR.start), "gd_line_search": gab_fit(t3["gd_line_search"]["phi"]),
                "sgd_notebook_seed": gab_fit(t3["sgd_notebook_seed"]["phi"]),
                "surface_minimum": gab_fit(t3["surface_minimum"]["phi"])})}


def run_all(*, surface_coarsen: int, starts: int, start_steps: int, n_lrs: int, lr_steps: int, sgd_seeds: int,
            decay_every: int, n_max_dist: int, valley_loss: float, seed: int) -> dict:
    """Training I, II and III in float64 (the notebooks' precision; the line searches compare losses).

    Args:
      surface_coarsen: every k-th point of the notebooks' surface grids.
      starts: starting points per axis of the Gabor multi-start grid; ``start_steps`` steps each.
      n_lrs: learning rates in the fixed-step sweeps; ``lr_steps`` steps each.
      sgd_seeds: SGD runs like the notebook's with ``jax.random`` minibatches; ``decay_every``: the
        step-decay schedule halves the step every k steps.
      n_max_dist: initial brackets in the Training I sweep.
      valley_loss: a Gabor fit below this loss is in the global valley.
      seed: ``jax.random.key`` seed of the extensions' SGD minibatches.

    Returns:
      ``{"metrics": {"training_i", "training_ii", "training_iii"} (NumPy arrays), "arrays": the loss
      surfaces and multi-start maps of surfaces.npz, "plot": the surfaces, multi-start maps, SGD curves,
      the Training I curve and the fits the figures draw}``.
    """
    with precision(jnp.float64):
        t1 = training_i(n_max_dist=n_max_dist)
        t2, lin_surface = training_ii(surface_coarsen=surface_coarsen, n_lrs=n_lrs, lr_steps=lr_steps)
        t3, gab_surface, multi, sgd_losses = training_iii(
            surface_coarsen=surface_coarsen, n_lrs=n_lrs, lr_steps=lr_steps, sgd_seeds=sgd_seeds,
            decay_every=decay_every, starts=starts, start_steps=start_steps, valley_loss=valley_loss, seed=seed)
        out = {"training_i": t1, "training_ii": t2, "training_iii": t3}
        out = jax.tree.map(lambda v: np.asarray(v) if isinstance(v, jax.Array) else v, out)
        phi = np.linspace(0, 1, 401)
        plot = {"line_search": (phi, U.training_i_loss(phi)), "lin_surface": lin_surface, "gab_surface": gab_surface,
                "multistart": multi, "sgd_seeds": sgd_losses, "fits": _fits(out["training_ii"], out["training_iii"])}
    (a2, b2, surf2), (a3, b3, surf3), (s0, s1, finals) = lin_surface, gab_surface, multi
    arrays = {"linear_phi0": a2, "linear_phi1": b2, "linear_loss": surf2, "gabor_phi0": a3, "gabor_phi1": b3,
              "gabor_loss": surf3, "start_phi0": s0, "start_phi1": s1,
              **{f"multistart_{k}": v for k, v in finals.items()}}
    return {"metrics": out, "arrays": arrays, "plot": plot}
