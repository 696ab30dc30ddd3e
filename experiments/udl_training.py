"""Fitting by line search, gradient descent and SGD (udlbook CM20315 Training I, II and III; Prince 2023 ch. 6).

    python -m experiments.udl_training --quick   # coarse surfaces, 6x6 starts, 4 SGD seeds: ~7 s on 2 CPU cores
    python -m experiments.udl_training           # the notebooks' surface grids, 41x41 starts, 64 SGD seeds: ~17 s

Reproduces the notebooks' numbers and runs: Training I's bracketing line search on its two-dip
function; Training II's least-squares loss of the straight line (12.367 at (0.6, -0.2)), its
gradient (by hand, ``jax.grad``, finite differences) and 10 steps of gradient descent with line
search from (1.6, -0.5); Training III's Gabor model (loss 16.419 at (0.6, -0.2)), its hand-derived
gradient, 21 steps of descent with line search and with a fixed step 0.2 from (-1.5, 8.5), and SGD
(batches of 5, step 0.8, ``np.random.seed(1)``) from (3.5, 6.5). Gradient descent with line search
searches ``[0, 2]`` (Training III's ``max_dist = 2.0``; Training II's descent step is a TODO). Every
descent is an optax optimiser in one ``lax.scan`` (``jdl.optim``), in float64.

The vmapped extensions: both loss surfaces on the notebooks' grids in one call each; optax's zoom
(strong Wolfe) and backtracking (Armijo) line searches next to the notebooks' bracketing search;
fixed-step descent over a grid of learning rates (the notebook's "too large / too small" TODO);
descent from a whole grid of starting points (the "wrong valley" TODO) with line search, fixed
step, SGD and SGD with a step-decay schedule (the last TODO); SGD over seeds (minibatches from
``jax.random`` keys, ``--seed``).

Expected: the line search answer 0.383 (loss 0.329; the narrow dip); GD with line search reaches
loss 0.202 on the line (optimum 0.200, the zig-zag of exact line searches) and 0.78 on the Gabor
(global minimum 0.646 at offset 0, frequency 16); the straight line's fixed-step descent converges
exactly below 2/lambda_max = 0.040 and diverges above; only ~15 % of starting points reach the
Gabor's global valley.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments import _cli
from jdl import optim, plotting
from jdl.analysis.derivatives import finite_differences
from jdl.io import save_npz
from jdl.precision import precision
from jdl.studies.udlbook import curve_fitting as M
from jdl.studies.udlbook import plots_training as P
from jdl.studies.udlbook import training_fixtures as U

NAME = "udl_training"


@dataclass(frozen=True)
class Config:
    surface_coarsen: int = field(default=1, metadata={"help": "take every k-th point of the notebooks' surface grids"})
    starts: int = field(default=41, metadata={"help": "starting points per axis of the Gabor multi-start grid"})
    start_steps: int = field(default=100, metadata={"help": "steps of every multi-start descent"})
    n_lrs: int = field(default=41, metadata={"help": "learning rates in the fixed-step sweeps"})
    lr_steps: int = field(default=100, metadata={"help": "steps of every fixed-step descent in the sweeps"})
    sgd_seeds: int = field(default=64, metadata={
        "help": "more SGD runs like the notebook's (41 steps, same start, other minibatches)"})
    decay_every: int = field(default=10, metadata={"help": "step-decay schedule: halve the SGD step every k steps"})
    n_max_dist: int = field(default=41, metadata={"help": "initial brackets [0, max_dist] in the Training I sweep"})
    valley_loss: float = field(default=1.0, metadata={"help": "a Gabor fit below this loss is in the global valley"})
    seed: int = field(default=0, metadata={
        "help": "jax.random.key seed of the extensions' SGD minibatches (the notebook's run keeps np.random.seed(1))"})

    def validate(self) -> None:
        _cli.at_least(self, 1, "surface_coarsen", "start_steps", "lr_steps", "sgd_seeds", "decay_every")
        for name in ("starts", "n_lrs", "n_max_dist"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name}: need >= 2 points, got {getattr(self, name)}")
        if not self.valley_loss > 0:
            raise ValueError(f"valley_loss: must be > 0, got {self.valley_loss}")
        _cli.at_least(self, 0, "seed")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(surface_coarsen=4, starts=6, start_steps=30, n_lrs=9, lr_steps=50, sgd_seeds=4, n_max_dist=9)


def _grid(spec, coarsen):
    lo, hi, step = spec
    return np.arange(lo, hi, step)[::coarsen]


def _checks(model, grad_fn, x, y, check_phi, grad_phi):
    """The notebook's loss check and its gradient check at ``grad_phi`` (four ways)."""
    obj = lambda p: M.sum_squares(model, p, x, y)  # noqa: E731
    p = jnp.asarray(grad_phi)
    return {"check_loss": obj(jnp.asarray(check_phi)), "gradient": {
        "manual": grad_fn(p, x, y), "jax_grad": jax.grad(obj)(p),
        "central_difference": finite_differences(obj, p, 1e-6),
        "notebook_forward_difference": finite_differences(obj, p, 1e-4, "forward")}}


def _path(traj: optim.Trajectory) -> dict:
    return {"phi": traj.params[-1], "loss": traj.loss[-1], "path": traj.params, "losses": traj.loss,
            "step_sizes": traj.learning_rate}


def _table(rows) -> None:
    w = max(len(r[1]) for r in rows)
    print(f"{'':14}{'quantity':{w}}  {'jdl':>24}  notebook")
    for section, name, value, ref in rows:
        print(f"{section:14}{name:{w}}  {value:>24}  {ref}")


def _fmt(v) -> str:
    v = np.atleast_1d(np.asarray(v, np.float64))
    return ", ".join(f"{x:.3f}" for x in v) if v.size > 1 else f"{v[0]:.3f}"


def run(c: Config, out_dir, progress: bool = True) -> dict:
    del progress  # a few compiled calls; nothing long enough for a bar
    with precision(jnp.float64):  # the notebooks compute in float64; the line search compares losses
        return _run(c, out_dir)


def _run(c: Config, out_dir) -> dict:
    # --- Training I: the bracketing search, and which dip it finds for other initial brackets
    ls = jax.jit(lambda: optim.bracket_line_search(U.training_i_loss, max_dist=1.0, thresh=1e-4, max_iter=10))()
    max_dist = jnp.geomspace(0.3, 3.0, c.n_max_dist)
    answers = jax.jit(jax.vmap(lambda m: optim.bracket_line_search(U.training_i_loss, max_dist=m).step))(max_dist)
    n_it = int(ls.n_iter)
    t1 = {"solution": ls.step, "loss": U.training_i_loss(float(ls.step)), "n_iter": n_it,
          "iterations": ls.history[:n_it], "max_dist": max_dist, "solution_vs_max_dist": answers}

    # --- Training II: the straight line
    lin, g = U.LINEAR, U.GABOR
    x, y = map(jnp.asarray, U.linear_data())
    lin_obj = lambda p: M.sum_squares(M.linear, p, x, y)  # noqa: E731
    zoom = optax.chain(optax.sgd(1.0), optax.scale_by_zoom_linesearch(40, curv_rtol=1e-6, initial_guess_strategy="one"))
    backtrack = optax.chain(optax.sgd(1.0), optax.scale_by_backtracking_linesearch(30, max_learning_rate=2.0))
    lr_crit = M.linear_critical_lr(x)
    lin_lrs = jnp.geomspace(1e-3, 0.1, c.n_lrs)

    @jax.jit
    def training_ii(p0):
        runs = {"gd_line_search": optim.descend(lin_obj, optim.gd_line_search(lin.max_dist), p0, lin.n_steps),
                "zoom_line_search": optim.descend(lin_obj, zoom, p0, lin.n_steps),
                "backtracking_line_search": optim.descend(lin_obj, backtrack, p0, lin.n_steps)}
        sweep = jax.vmap(lambda lr: optim.descend(lin_obj, optax.sgd(lr), p0, c.lr_steps).loss[-1])(lin_lrs)
        best = M.linear_least_squares(x, y)
        return runs, sweep, best, lin_obj(best), _checks(M.linear, M.linear_grad, x, y, lin.check_phi, lin.check_phi)

    runs2, lin_sweep, best, best_loss, checks2 = training_ii(jnp.asarray(lin.start))
    a2, b2 = _grid(lin.surface[0], c.surface_coarsen), _grid(lin.surface[1], c.surface_coarsen)
    surf2 = jax.jit(M.loss_surface, static_argnums=0)(M.linear, x, y, jnp.asarray(a2), jnp.asarray(b2))
    t2 = {**checks2, "notebook_check_loss": lin.check_loss, **{k: _path(v) for k, v in runs2.items()},
          "least_squares": {"phi": best, "loss": best_loss}, "critical_lr": lr_crit,
          "lr_sweep": {"lr": lin_lrs, "final_loss": lin_sweep, "steps": c.lr_steps}}

    # --- Training III: the Gabor model
    gx, gy = map(jnp.asarray, U.gabor_data())
    gab_obj = lambda p: M.sum_squares(M.gabor, p, gx, gy)  # noqa: E731
    gab_batch = lambda p, i: M.sum_squares(M.gabor, p, gx[i], gy[i])  # noqa: E731
    gab_lrs = jnp.geomspace(0.01, 3.0, c.n_lrs)

    def sgd(p, batches, decay):
        """SGD with step 0.8, halved every ``decay_every`` steps where ``decay`` (traced: one program for both)."""
        lr = lambda t: g.sgd_lr * jnp.where(decay, 0.5 ** (t // c.decay_every), 1.0)  # noqa: E731
        return optim.descend(gab_obj, optax.sgd(lr), p, batch_objective=gab_batch, batches=batches)

    def batches(key, runs, n_steps):
        """Minibatches of ``runs`` independent SGD runs like the notebook's: ``(runs, n_steps, sgd_batch)``."""
        return jax.vmap(lambda k: optim.permutation_batches(k, n_steps, len(gx), g.sgd_batch))(
            jax.random.split(key, runs))

    @jax.jit
    def training_iii(p0, key):
        runs = {"gd_line_search": optim.descend(gab_obj, optim.gd_line_search(g.max_dist), p0, g.n_steps),
                "gd_fixed_lr": optim.descend(gab_obj, optax.sgd(g.fixed_lr), p0, g.n_steps),
                "zoom_line_search": optim.descend(gab_obj, zoom, p0, g.n_steps)}
        sweep = jax.vmap(lambda lr: optim.descend(gab_obj, optax.sgd(lr), p0, c.lr_steps).loss[-1])(gab_lrs)
        # SGD: the notebook's np.random.seed(1) batches first, then sgd_seeds JAX keys; constant and decaying steps
        nb = jnp.asarray(U.sgd_permutation_batches(g.sgd_steps, len(gx), g.sgd_batch, g.sgd_seed))
        all_batches = jnp.concatenate([nb[None], batches(key, c.sgd_seeds, g.sgd_steps)])
        start = jnp.asarray(g.sgd_start)
        sgd_runs = jax.vmap(lambda d: jax.vmap(lambda b: sgd(start, b, d))(all_batches))(jnp.asarray([False, True]))
        return runs, sweep, sgd_runs, _checks(M.gabor, M.gabor_grad, gx, gy, g.check_phi, g.gradient_phi)

    key_sgd, key_starts = jax.random.split(jax.random.key(c.seed))  # the extensions' SGD minibatches
    runs3, gab_sweep, sgd_runs, checks3 = training_iii(jnp.asarray(g.start), key_sgd)
    runs3["sgd_notebook_seed"] = jax.tree.map(lambda v: v[0, 0], sgd_runs)
    sgd_seeds = {"constant": sgd_runs.loss[0, 1:], "step_decay": sgd_runs.loss[1, 1:]}
    a3, b3 = _grid(g.surface[0], c.surface_coarsen), _grid(g.surface[1], c.surface_coarsen)
    surf3 = jax.jit(M.loss_surface, static_argnums=0)(M.gabor, gx, gy, jnp.asarray(a3), jnp.asarray(b3))

    # descent from every point of a grid of starts (the notebook's "different places" TODO)
    s0, s1 = np.linspace(-10, 10, c.starts), np.linspace(2.5, 22.5, c.starts)
    starts = jnp.asarray(np.stack(np.meshgrid(s0, s1), -1).reshape(-1, 2))
    T = c.start_steps

    @jax.jit
    def multistart(p_s2, key):
        b_s = batches(key, p_s2.shape[0], T)
        each = jax.vmap(lambda d: jax.vmap(lambda p, b: sgd(p, b, d).loss[-1])(p_s2, b_s))(jnp.asarray([False, True]))
        gd_ls = optim.gd_line_search(g.max_dist)
        return {"gd_line_search": jax.vmap(lambda p: optim.descend(gab_obj, gd_ls, p, T).loss[-1])(p_s2),
                "gd_fixed_lr": jax.vmap(lambda p: optim.descend(gab_obj, optax.sgd(g.fixed_lr), p, T).loss[-1])(p_s2),
                "sgd": each[0], "sgd_step_decay": each[1]}

    finals = {k: np.asarray(v).reshape(c.starts, c.starts) for k, v in multistart(starts, key_starts).items()}
    i_min = np.unravel_index(np.argmin(np.asarray(surf3)), surf3.shape)
    t3 = {**checks3, "notebook_check_loss": g.check_loss, **{k: _path(v) for k, v in runs3.items()},
          "surface_minimum": {"phi": [a3[i_min[1]], b3[i_min[0]]], "loss": surf3[i_min]},
          "lr_sweep": {"lr": gab_lrs, "final_loss": gab_sweep, "steps": c.lr_steps},
          "sgd_seeds": {"n_seeds": c.sgd_seeds, "steps": g.sgd_steps, "decay_every": c.decay_every,
                        **{k: {"final_loss_median": np.median(v[:, -1]),
                               "final_loss_quartiles": np.quantile(np.asarray(v[:, -1]), [0.25, 0.75]),
                               "fraction_in_valley": np.mean(np.asarray(v[:, -1]) < c.valley_loss)}
                           for k, v in sgd_seeds.items()}},
          "multistart": {"starts_per_axis": c.starts, "steps": T, "valley_loss": c.valley_loss,
                         "fraction_in_valley": {k: float(np.mean(v < c.valley_loss)) for k, v in finals.items()},
                         "final_loss_median": {k: float(np.median(v)) for k, v in finals.items()}}}
    out = {"training_i": t1, "training_ii": t2, "training_iii": t3}
    out = jax.tree.map(lambda v: np.asarray(v) if isinstance(v, jax.Array) else v, out)

    save_npz(out_dir / "surfaces.npz", linear_phi0=a2, linear_phi1=b2, linear_loss=np.asarray(surf2), gabor_phi0=a3,
             gabor_phi1=b3, gabor_loss=np.asarray(surf3), start_phi0=s0, start_phi1=s1,
             **{f"multistart_{k}": v for k, v in finals.items()})
    _figures(out, out_dir, (a2, b2, np.asarray(surf2)), (a3, b3, np.asarray(surf3)), (s0, s1, finals),
             {k: np.asarray(v) for k, v in sgd_seeds.items()}, c)
    _print(out)
    return out


def _figures(m, out_dir, lin_surface, gab_surface, multistart, sgd_seeds, c: Config) -> None:
    t1, t2, t3 = m["training_i"], m["training_ii"], m["training_iii"]
    phi = np.linspace(0, 1, 401)
    plotting.save(P.line_search(phi, U.training_i_loss(phi), t1["iterations"], float(t1["solution"]),
                                sweep=(t1["max_dist"], t1["solution_vs_max_dist"]), title="Training I"),
                  out_dir / "training_i_line_search.png")
    plotting.save(P.loss_surfaces([
        ("Training II: straight line", *lin_surface,
         {"GD + bracketing line search": t2["gd_line_search"]["path"], "GD + optax zoom (exact)":
          t2["zoom_line_search"]["path"], "GD + optax backtracking": t2["backtracking_line_search"]["path"]},
         r"intercept $\phi_0$", r"slope $\phi_1$"),
        ("Training III: Gabor", *gab_surface,
         {"GD + line search": t3["gd_line_search"]["path"], f"GD, step {U.GABOR.fixed_lr}": t3["gd_fixed_lr"]["path"],
          "SGD (notebook seed)": t3["sgd_notebook_seed"]["path"]}, r"offset $\phi_0$", r"frequency $\phi_1$")]),
        out_dir / "training_surfaces.png")
    xl, yl = U.linear_data()
    xg, yg = U.gabor_data()
    xp_l, xp_g = np.linspace(0, 2, 200), np.linspace(-15, 15, 400)
    lin_fit = lambda p: np.asarray(M.predict(M.linear, jnp.asarray(p), xp_l))  # noqa: E731
    gab_fit = lambda p: np.asarray(M.predict(M.gabor, jnp.asarray(p), xp_g))  # noqa: E731
    gd_l, gd_g = f"GD + line search, {U.LINEAR.n_steps} steps", f"GD + line search, {U.GABOR.n_steps} steps"
    plotting.save(P.fits([
        ("Training II", xl, yl, xp_l, {"start": lin_fit(U.LINEAR.start), gd_l: lin_fit(t2["gd_line_search"]["phi"]),
                                       "least squares": lin_fit(t2["least_squares"]["phi"])}),
        ("Training III", xg, yg, xp_g, {"start": gab_fit(U.GABOR.start), gd_g: gab_fit(t3["gd_line_search"]["phi"]),
                                        "SGD (notebook seed)": gab_fit(t3["sgd_notebook_seed"]["phi"]),
                                        "grid minimum": gab_fit(t3["surface_minimum"]["phi"])})]),
        out_dir / "training_fits.png")
    s0, s1, finals = multistart
    plotting.save(P.final_loss_map(s0, s1, {k.replace("_", " "): v for k, v in finals.items()}, gab_surface,
                                   threshold=c.valley_loss, xlabel=r"start offset $\phi_0$",
                                   ylabel=r"start frequency $\phi_1$",
                                   title=f"Gabor: final loss after {c.start_steps} steps from "
                                         f"{c.starts}x{c.starts} starts"),
                  out_dir / "training_multistart.png")
    plotting.save(P.lr_sweep([
        (f"straight line: {c.lr_steps} fixed steps", t2["lr_sweep"]["lr"], {"final loss": t2["lr_sweep"]["final_loss"]},
         {r"$2/\lambda_{max}$ of the Hessian": float(t2["critical_lr"])}),
        (f"Gabor: {c.lr_steps} fixed steps from {U.GABOR.start}", t3["lr_sweep"]["lr"],
         {"final loss": t3["lr_sweep"]["final_loss"]}, {f"notebook's step {U.GABOR.fixed_lr}": U.GABOR.fixed_lr})],
        title="fixed-step gradient descent over a grid of learning rates (one vmapped call each)"),
        out_dir / "training_lr_sweep.png")
    curves = {f"SGD step {U.GABOR.sgd_lr}": np.asarray(sgd_seeds["constant"]),
              f"step halved every {c.decay_every}": np.asarray(sgd_seeds["step_decay"]),
              "notebook seed": np.asarray(t3["sgd_notebook_seed"]["losses"])}
    plotting.save(P.loss_curves(curves, reference=(float(t3["surface_minimum"]["loss"]), "grid minimum"),
                                title=f"Gabor SGD (batches of 5) from {U.GABOR.sgd_start}: median and IQR over "
                                      f"{c.sgd_seeds} seeds"), out_dir / "training_sgd.png")


def _print(m) -> None:
    t1, t2, t3 = m["training_i"], m["training_ii"], m["training_iii"]
    rows = [("Training I", "line search answer (Soln), loss", f"{_fmt(t1['solution'])}, {_fmt(t1['loss'])}", ""),
            ("", "iterations", f"{t1['n_iter']}", "max_iter = 10")]
    for name, t, nb in (("Training II", t2, U.LINEAR), ("Training III", t3, U.GABOR)):
        gr = t["gradient"]
        rows += [(name, f"loss at {nb.check_phi}", _fmt(t["check_loss"]), f"{nb.check_loss:.3f} (Correct loss)"),
                 ("", "gradient: by hand", _fmt(gr["manual"]), ""),
                 ("", "gradient: jax.grad", _fmt(gr["jax_grad"]), ""),
                 ("", "gradient: central differences", _fmt(gr["central_difference"]), ""),
                 ("", "gradient: forward diff. (delta 1e-4)", _fmt(gr["notebook_forward_difference"]),
                  "the notebook's check")]
        for run in ("gd_line_search", "zoom_line_search", "backtracking_line_search", "gd_fixed_lr",
                    "sgd_notebook_seed"):
            if run in t:
                steps = len(t[run]["losses"]) - 1
                rows.append(("", f"{run.replace('_', ' ')}, {steps} steps: phi; loss",
                             f"{_fmt(t[run]['phi'])}; {_fmt(t[run]['loss'])}", ""))
    rows += [("Training II", "least squares phi; loss",
              f"{_fmt(t2['least_squares']['phi'])}; {_fmt(t2['least_squares']['loss'])}", ""),
             ("", "fixed step: 2 / lambda_max", _fmt(t2["critical_lr"]), ""),
             ("Training III", "grid minimum phi; loss",
              f"{_fmt(t3['surface_minimum']['phi'])}; {_fmt(t3['surface_minimum']['loss'])}", "")]
    for k, v in t3["multistart"]["fraction_in_valley"].items():
        rows.append(("", f"multi-start {k}: in global valley", f"{v:.0%}", ""))
    for k in ("constant", "step_decay"):
        s = t3["sgd_seeds"][k]
        rows.append(("", f"SGD seeds, {k}: median final loss", _fmt(s["final_loss_median"]), ""))
    _table(rows)


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
