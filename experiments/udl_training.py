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

import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.studies.udlbook import plots_training as P
from jdl.studies.udlbook import training_fixtures as U
from jdl.studies.udlbook import training_runs as TR

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
    res = TR.run_all(surface_coarsen=c.surface_coarsen, starts=c.starts, start_steps=c.start_steps, n_lrs=c.n_lrs,
                     lr_steps=c.lr_steps, sgd_seeds=c.sgd_seeds, decay_every=c.decay_every, n_max_dist=c.n_max_dist,
                     valley_loss=c.valley_loss, seed=c.seed)
    save_npz(out_dir / "surfaces.npz", **res["arrays"])
    _figures(res["metrics"], res["plot"], out_dir, c)
    _print(res["metrics"])
    return res["metrics"]


def _figures(m, plot, out_dir, c: Config) -> None:
    t1, t2, t3 = m["training_i"], m["training_ii"], m["training_iii"]
    lin_surface, gab_surface, sgd_seeds = plot["lin_surface"], plot["gab_surface"], plot["sgd_seeds"]
    plotting.save(P.line_search(*plot["line_search"], t1["iterations"], float(t1["solution"]),
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
    (xl, yl, xp_l, lin), (xg, yg, xp_g, gab) = plot["fits"]["training_ii"], plot["fits"]["training_iii"]
    gd_l, gd_g = f"GD + line search, {U.LINEAR.n_steps} steps", f"GD + line search, {U.GABOR.n_steps} steps"
    plotting.save(P.fits([
        ("Training II", xl, yl, xp_l, {"start": lin["start"], gd_l: lin["gd_line_search"],
                                       "least squares": lin["least_squares"]}),
        ("Training III", xg, yg, xp_g, {"start": gab["start"], gd_g: gab["gd_line_search"],
                                        "SGD (notebook seed)": gab["sgd_notebook_seed"],
                                        "grid minimum": gab["surface_minimum"]})]),
        out_dir / "training_fits.png")
    s0, s1, finals = plot["multistart"]
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
