"""udlbook CM20315 Loss, Loss_II, Loss_III: likelihoods of a shallow net on 20 points, and grid searches.

    python -m experiments.udl_losses --quick   # a few seconds on a CPU (coarser 2-D surfaces)
    python -m experiments.udl_losses           # 201 x 201 surfaces

The notebooks' 1-3-1 (Loss III: 1-3-3) ReLU net with their get_parameters(), on their 20 training
points: a Gaussian (regression, sigma = 0.2), Bernoulli (binary, sigmoid of the output) and
categorical (3 classes, softmax) likelihood. For each it prints the notebook's "Correct answer"
checks (the density / probability functions, the likelihood, the negative log-likelihood, the sum
of squares) next to jdl's, then the notebooks' coordinate searches: beta_1[0,0] over
np.arange(0, 1, 0.01) (regression) or np.arange(-2, 6, 0.1), and sigma over np.arange(0.1, 0.5, 0.005)
with beta_1 = 0.27. Each search is one vmapped evaluation (jdl.studies.udlbook.networks.grid_search) instead of a
Python loop; the jdl extension is the 2-D NLL surface over two parameters in one call (regression:
(beta_1, sigma), where the minimum is at sigma^2 = sum of squares / 20; binary: (beta_1[0,0],
omega_1[0,1]); multiclass: two of the three output biases; a common shift of all three changes nothing).

Expected: every "Correct answer" reproduced to the notebook's print precision; maximum likelihood,
minimum NLL and least squares at the same grid point (regression beta_1 = 0.27, sigma = 0.265;
binary beta_1 = 1.6; multiclass beta_1[0,0] = 0.6).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import losses_runs as LR
from jdl.studies.udlbook import plots_networks as P

NAME = "udl_losses"
PROBLEMS = LR.PROBLEMS
DTYPES = {"float64": jnp.float64, "float32": jnp.float32}
LABELS = {"likelihood": "likelihood", "nll": "negative log-likelihood", "sum_of_squares": "sum of squares"}


@dataclass(frozen=True)
class Config:
    problems: tuple[str, ...] = field(default=PROBLEMS, metadata={"help": "regression (Loss), binary (Loss_II), "
                                                                          "multiclass (Loss_III)"})
    surface_points: int = field(default=201, metadata={"help": "2-D NLL surface: grid points per axis"})
    dtype: str = field(default="float64", metadata={"help": "float64 (the notebooks' 9 decimals) | float32"})

    def validate(self) -> None:
        if not self.problems or any(p not in PROBLEMS for p in self.problems):
            raise ValueError(f"problems: expected names from {PROBLEMS}, got {self.problems}")
        if self.surface_points < 3:
            raise ValueError(f"surface_points: must be >= 3, got {self.surface_points}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected float32 or float64, got {self.dtype!r}")


def get_config(quick: bool = False) -> Config:
    return Config(surface_points=41) if quick else Config()


def figure(problem: str, res: dict):
    nb, pl = U.LOSS_NOTEBOOKS[problem], res["_plot"]
    kind, b = res["kind"], res["beta_1_scan"]
    if kind == "gaussian":
        s = res["sigma_scan"]
        fits = {f"notebook parameters: beta_1 = 0.1, sigma = {nb['sigma']}": (pl["model"][0][:, 0], nb["sigma"]),
                f"best beta_1 = {b['argmin_nll']:.2f} (sigma = {nb['sigma']})": (pl["model_best"][0][:, 0],
                                                                              nb["sigma"]),
                f"beta_1 = {s['beta_1']}, best sigma = {s['argmin_nll']:.3f}": (pl["model_sigma"][0][:, 0],
                                                                              s["argmin_nll"])}
    else:
        fits = {"notebook parameters": pl["model"], f"best beta_1[0,0] = {b['argmin_nll']:.2f}": pl["model_best"]}
    scans = []
    for key, xlabel in (("beta_1_scan", "beta_1[0,0]" + (f" (sigma = {nb['sigma']})" if kind == "gaussian" else "")),
                        ("sigma_scan", f"sigma (beta_1 = {nb.get('sigma_scan_beta_1')})")):
        if key not in res:
            continue
        sc = res[key]
        curves = {LABELS[k]: sc[k] for k in ("likelihood", "nll", "sum_of_squares") if k in sc}
        best = {LABELS["likelihood"]: int(np.argmax(sc["likelihood"])), LABELS["nll"]: int(np.argmin(sc["nll"]))}
        if "sum_of_squares" in sc and np.ptp(sc["sum_of_squares"]) > 0:
            best[LABELS["sum_of_squares"]] = int(np.argmin(sc["sum_of_squares"]))
        scans.append((xlabel, sc["values"], curves, best))
    return P.loss_study(kind, pl["x_model"], fits, U.X_TRAIN, nb["y"], scans,
                        title=f"{res['notebook']}: {kind} likelihood of the shallow net on 20 points "
                              f"(each scan is one vmapped evaluation)")


def surface_panel(problem: str, res: dict) -> dict:
    sf = res["surface"]
    panel = {"x": sf["first"], "y": sf["second"], "z": sf["nll"].T, "log": True, "cbar": "log10 NLL",
             "xlabel": "beta_1[0,0]", "ylabel": sf["axes"][1], "best": tuple(sf["argmin"]),
             "title": f"{res['notebook']}: NLL surface, min {sf['min_nll']:.3f}"}
    if problem == "regression":  # the notebook's coordinate descent: beta_1 at sigma = 0.2, then sigma at beta = 0.27
        s = res["sigma_scan"]
        panel["points"] = {"notebook's coordinate steps": ([0.1, res["beta_1_scan"]["argmin_nll"], s["beta_1"]],
                                                           [0.2, 0.2, s["argmin_nll"]])}
    return panel


def report(results: dict) -> None:
    for res in results.values():
        print(f"{res['notebook']} ({res['kind']} likelihood)")
        print(f"  {'quantity':46s} {'jdl':>18s} {'notebook':>14s}  agrees")
        for name, ch in res["checks"].items():
            d = ch["decimals"]
            print(f"  {name:46s} {ch['jdl']:18.{d}f} {ch['notebook']:14.{d}f}  {ch['agrees_to_print_precision']}")
        for key in ("beta_1_scan", "sigma_scan"):
            if key not in res:
                continue
            sc, what = res[key], "beta_1" if key == "beta_1_scan" else "sigma"
            print(f"  {what} scan ({len(sc['values'])} values, one vmapped call): max likelihood "
                  f"{sc['max_likelihood']:.6g} at {sc['argmax_likelihood']:.3f}; min NLL {sc['min_nll']:.6f} at "
                  f"{sc['argmin_nll']:.3f}" + (f"; least squares {sc['min_sum_of_squares']:.3f} at "
                                                f"{sc['argmin_sum_of_squares']:.3f}" if "min_sum_of_squares" in sc
                                                and what == "beta_1" else "") + f"; same argmin {sc['same_argmin']}")
        sf = res["surface"]
        shape = sf["nll"].shape
        extra = (f" (closed form sigma = sqrt(SSE/20) there: {sf['closed_form_sigma_at_argmin']:.4f})"
                 if "closed_form_sigma_at_argmin" in sf else "")
        print(f"  NLL surface over ({', '.join(sf['axes'])}), {shape[0]} x {shape[1]} in one call: min "
              f"{sf['min_nll']:.4f} at ({sf['argmin'][0]:.3f}, {sf['argmin'][1]:.3f}){extra}")


def run(c: Config, out_dir, progress: bool = True) -> dict:
    results = LR.run_all(problems=c.problems, surface_points=c.surface_points, dtype=DTYPES[c.dtype])
    for p, res in results.items():
        plotting.save(figure(p, res), out_dir / f"{p}.png", dpi=100)
    plotting.save(P.maps([surface_panel(p, r) for p, r in results.items()], ncols=3,
                         title="NLL surfaces over two parameters (one vmapped evaluation each)"),
                  out_dir / "nll_surfaces.png", dpi=80)
    report(results)
    metrics, arrays = LR.split_results(results)  # the surfaces go to surfaces.npz; metrics.json keeps the summaries
    save_npz(out_dir / "surfaces.npz", **arrays)
    return metrics


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
