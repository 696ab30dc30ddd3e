"""The numerics of udlbook CM20315 Loss, Loss_II and Loss_III: every number ``experiments.udl_losses`` reports.

The notebooks' 1-3-1 (Loss III: 1-3-3) ReLU net on their 20 training points with a Gaussian, Bernoulli
or categorical likelihood: the notebooks' "Correct answer" checks, their coordinate searches over
beta_1[0,0] (and sigma), each one vmapped evaluation, and a 2-D NLL surface over two parameters
(``SURFACES``). One compiled program per problem; :func:`run_all` runs the problems under one
precision and :func:`split_results` separates ``metrics.json``'s summaries from ``surfaces.npz``.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jdl import losses
from jdl.precision import precision
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import likelihoods as LK

__all__ = ["PROBLEMS", "SURFACES", "run_all", "scan_summary", "split_results", "study"]

PROBLEMS = ("regression", "binary", "multiclass")
# the 2-D surfaces: beta_1[0,0] on the first axis, this parameter on the second, with their ranges
SURFACES = {"regression": ("sigma", (0.0, 1.0), (0.1, 0.5)),
            "binary": ("omega_1[0,1]", (-2.0, 6.0), (-40.0, 20.0)),
            "multiclass": ("beta_1[1,0]", (-2.0, 6.0), (-8.0, 4.0))}


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


def scan_summary(values, scan: dict) -> dict:
    """The maxima / minima of a 1-D scan and whether likelihood, NLL and sum of squares agree on its argmin.

    Args:
      values: (n,) the scanned parameter values.
      scan: ``likelihood``, ``nll`` and optionally ``sum_of_squares``, each (n,).

    Returns:
      ``scan`` with ``values``, ``max_likelihood``, ``argmax_likelihood``, ``min_nll``, ``argmin_nll``,
      (``min_sum_of_squares``, ``argmin_sum_of_squares``) and ``same_argmin`` (a constant sum of squares,
      as for the classification likelihoods' output, does not count against it).

    >>> scan_summary(np.array([0.0, 1.0]), {"likelihood": np.array([0.2, 0.5]), "nll": np.array([1.6, 0.7])})["argmin_nll"]
    1.0
    """
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


def study(problem: str, *, surface_points: int, dtype) -> dict:
    """One Loss notebook: its "Correct answer" checks, coordinate scans and a 2-D NLL surface.

    Args:
      problem: ``"regression"`` (Loss), ``"binary"`` (Loss_II) or ``"multiclass"`` (Loss_III).
      surface_points: grid points per axis of the NLL surface over ``SURFACES[problem]``.
      dtype: the float dtype of every computation (run it under ``jdl.precision.precision(dtype)``).

    Returns:
      A dict: ``notebook``, ``kind``, ``checks`` (jdl against the notebook, to its print precision),
      ``all_checks_agree``, ``beta_1_scan`` (and ``sigma_scan`` for regression; see :func:`scan_summary`),
      ``surface`` (``first``, ``second``: the axes, ``nll`` of shape (surface_points, surface_points),
      its minimum) and ``_plot`` (the model curves for the figure).
    """
    dt = dtype
    nb = U.LOSS_NOTEBOOKS[problem]
    second, ra, rb = SURFACES[problem]
    surf_a, surf_b = np.linspace(*ra, surface_points), np.linspace(*rb, surface_points)
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
           "beta_1_scan": scan_summary(np.asarray(nb["beta_1_values"]), r["beta_scan"])}
    if "sigma_scan" in r:
        out["sigma_scan"] = scan_summary(np.asarray(sig), r["sigma_scan"])
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


def run_all(*, problems=PROBLEMS, surface_points: int, dtype) -> dict:
    """:func:`study` of each problem under one precision.

    Args:
      problems: names from ``PROBLEMS``.
      surface_points: grid points per axis of each NLL surface.
      dtype: ``jnp.float64`` or ``jnp.float32`` (or its name).

    Returns:
      ``{problem: study(problem, ...)}`` in the order of ``problems``.

    >>> res = run_all(problems=("binary",), surface_points=3, dtype="float64")
    >>> res["binary"]["all_checks_agree"], round(res["binary"]["beta_1_scan"]["argmin_nll"], 3)
    (True, 1.6)
    """
    dt = jnp.dtype(dtype)
    with precision(dt):
        return {p: study(p, surface_points=surface_points, dtype=dt) for p in problems}


def split_results(results: dict) -> tuple[dict, dict]:
    """Split :func:`run_all`'s results into the summaries of ``metrics.json`` and the arrays of ``surfaces.npz``.

    Returns:
      ``(metrics, arrays)``: metrics without ``_plot`` and the surfaces' grids (each surface keeps its
      ``shape``); arrays ``{problem}_beta_1``, ``{problem}_second``, ``{problem}_nll``. ``results`` is left
      unchanged.
    """
    metrics, arrays = {}, {}
    for p, res in results.items():
        res = {k: v for k, v in res.items() if k != "_plot"}
        sf = dict(res["surface"])
        arrays.update({f"{p}_beta_1": sf.pop("first"), f"{p}_second": sf.pop("second"), f"{p}_nll": sf.pop("nll")})
        sf["shape"] = list(arrays[f"{p}_nll"].shape)
        res["surface"] = sf
        metrics[p] = res
    return metrics, arrays
