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
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import losses, plotting
from jdl.io import save_npz
from jdl.precision import precision
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import likelihoods as LK
from jdl.studies.udlbook import plots_networks as P

NAME = "udl_losses"
PROBLEMS = ("regression", "binary", "multiclass")
# the 2-D surfaces: beta_1[0,0] on the first axis, this parameter on the second, with their ranges
SURFACES = {"regression": ("sigma", (0.0, 1.0), (0.1, 0.5)),
            "binary": ("omega_1[0,1]", (-2.0, 6.0), (-40.0, 20.0)),
            "multiclass": ("beta_1[1,0]", (-2.0, 6.0), (-8.0, 4.0))}
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
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: expected float32 or float64, got {self.dtype!r}")


def get_config(quick: bool = False) -> Config:
    return Config(surface_points=41) if quick else Config()


def _pdf_checks(problem: str, dt) -> dict:
    """The notebooks' first checks: one value of the density / probability function."""
    if problem == "regression":
        return {"normal_distribution(1, -1, 2.3)": jnp.exp(-losses.gaussian_nll(pred=jnp.asarray(-1.0, dt),
                                                                              target=jnp.asarray(1.0, dt), sigma=2.3))}
    if problem == "binary":
        lam = jnp.asarray(0.2, dt)
        return {f"bernoulli_distribution({y}, 0.2)": jnp.exp(-losses.bernoulli_nll(probs=lam, labels=y))
                for y in (0, 1)}
    lam = jnp.asarray([0.2, 0.5, 0.3], dt)
    return {f"categorical_distribution({k}, [0.2, 0.5, 0.3])": jnp.exp(-losses.categorical_nll(probs=lam, labels=k))
            for k in range(3)}


@partial(jax.jit, static_argnames=("problem",))
def _study(net, x, y, x_model, beta_values, sigma_values, surf_a, surf_b, *, problem):
    """Everything numeric of one Loss notebook (and the surface), one compiled program."""
    nb = U.LOSS_NOTEBOOKS[problem]
    kind, sigma = nb["kind"], nb.get("sigma")
    dt = x.dtype
    res = {"checks": {**_pdf_checks(problem, dt), **LK.fit_stats(net, x, y, kind=kind, sigma=sigma)},
           "beta_scan": LK.grid_search(net, x, y, {"beta_1[0,0]": beta_values}, kind=kind, sigma=sigma)}
    best = LK.set_entry(net, "beta_1[0,0]", beta_values[jnp.argmin(res["beta_scan"]["nll"])])
    res["model"] = LK.predict(net, x_model, kind=kind)
    res["model_best"] = LK.predict(best, x_model, kind=kind)
    if kind == "gaussian":  # the notebook fixes beta_1 = 0.27 (its best) and scans sigma
        fixed = LK.set_entry(net, "beta_1[0,0]", nb["sigma_scan_beta_1"])
        res["sigma_scan"] = LK.grid_search(fixed, x, y, {"sigma": sigma_values}, kind=kind)
        res["model_sigma"] = LK.predict(fixed, x_model, kind=kind)
    second = SURFACES[problem][0]
    res["surface"] = LK.grid_search(net, x, y, {"beta_1[0,0]": surf_a, second: surf_b}, kind=kind, sigma=sigma)
    return res


def _scan_summary(values, scan: dict) -> dict:
    out = {"values": values, **scan}
    i = int(np.argmax(scan["likelihood"]))
    out.update(max_likelihood=float(scan["likelihood"][i]), argmax_likelihood=float(values[i]))
    j = int(np.argmin(scan["nll"]))
    out.update(min_nll=float(scan["nll"][j]), argmin_nll=float(values[j]))
    same = i == j
    if "sum_of_squares" in scan:
        k = int(np.argmin(scan["sum_of_squares"]))
        out.update(min_sum_of_squares=float(scan["sum_of_squares"][k]), argmin_sum_of_squares=float(values[k]))
        same = same and (k == j or np.ptp(scan["sum_of_squares"]) == 0)
    out["same_argmin"] = bool(same)
    return out


def study(problem: str, c: Config, dt) -> dict:
    nb = U.LOSS_NOTEBOOKS[problem]
    second, ra, rb = SURFACES[problem]
    surf_a, surf_b = np.linspace(*ra, c.surface_points), np.linspace(*rb, c.surface_points)
    x_model = U.input_grid("loss")
    sig = nb.get("sigma_values", np.zeros(1))
    net = jax.tree.map(lambda v: jnp.asarray(v, dt), U.loss_parameters(problem))
    r = jax.tree.map(np.asarray, _study(
        net, jnp.asarray(U.X_TRAIN, dt), jnp.asarray(nb["y"]), jnp.asarray(x_model, dt),
        jnp.asarray(nb["beta_1_values"], dt), jnp.asarray(sig, dt), jnp.asarray(surf_a, dt), jnp.asarray(surf_b, dt),
        problem=problem))
    answers = U.LOSS_CORRECT_ANSWERS[problem]
    checks = {}
    for name, want in answers.items():
        got = float(r["checks"][name])
        decimals = 9 if name in ("likelihood", "nll", "sum_of_squares") else 3
        checks[name] = {"jdl": got, "notebook": want, "decimals": decimals,
                        "agrees_to_print_precision": round(got, decimals) == round(want, decimals)}
    out = {"notebook": nb["notebook"], "kind": nb["kind"], "checks": checks,
           "all_checks_agree": all(v["agrees_to_print_precision"] for v in checks.values()),
           "beta_1_scan": _scan_summary(np.asarray(nb["beta_1_values"]), r["beta_scan"])}
    if "sigma_scan" in r:
        out["sigma_scan"] = _scan_summary(np.asarray(sig), r["sigma_scan"])
        out["sigma_scan"]["beta_1"] = nb["sigma_scan_beta_1"]
    nll = r["surface"]["nll"]
    i, j = np.unravel_index(int(np.argmin(nll)), nll.shape)
    out["surface"] = {"axes": ["beta_1[0,0]", second], "first": surf_a, "second": surf_b, "nll": nll,
                      "min_nll": float(nll[i, j]), "argmin": [float(surf_a[i]), float(surf_b[j])]}
    if problem == "regression":  # for fixed beta the best sigma is sqrt(SSE / n): the surface's minimum must agree
        sse = r["surface"]["sum_of_squares"][i, 0]
        out["surface"]["closed_form_sigma_at_argmin"] = float(np.sqrt(sse / len(U.X_TRAIN)))
    out["_plot"] = {"x_model": x_model, "model": r["model"], "model_best": r["model_best"],
                    "model_sigma": r.get("model_sigma")}
    return out


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
    for problem, res in results.items():
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
    dt = jnp.float64 if c.dtype == "float64" else jnp.float32
    with precision(dt):
        results = {p: study(p, c, dt) for p in c.problems}
    for p, res in results.items():
        plotting.save(figure(p, res), out_dir / f"{p}.png", dpi=100)
    plotting.save(P.maps([surface_panel(p, r) for p, r in results.items()], ncols=3,
                         title="NLL surfaces over two parameters (one vmapped evaluation each)"),
                  out_dir / "nll_surfaces.png", dpi=80)
    report(results)
    # the surfaces go to surfaces.npz; metrics.json keeps the summaries
    arrays = {}
    for p, res in results.items():
        res.pop("_plot")
        sf = res["surface"]
        arrays.update({f"{p}_beta_1": sf.pop("first"), f"{p}_second": sf.pop("second"), f"{p}_nll": sf.pop("nll")})
        sf["shape"] = [c.surface_points, c.surface_points]
    save_npz(out_dir / "surfaces.npz", **arrays)
    return results


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
