"""The deep linear experiment's runs and every metric it reports (Neuromatch DL W1D2 Tutorial 3; Saxe et al.).

:func:`run_all` trains the main runs (one per seed) and the lr x gamma grid as the members of one
compiled program (:func:`jdl.studies.deep_linear.members.train_members`), retrains the first seed
with the other method as a cross-check, trains the tutorial's illusory-correlation examples
(:data:`ILLUSIONS`), and summarises everything with :mod:`jdl.studies.deep_linear.summaries`. It
returns the metrics (``metrics.json``), the arrays to save (``<name>.npz``) and what the figures need,
so ``experiments/deep_linear.py`` only configures, saves and plots.

References:
  Saxe, McClelland & Ganguli, "A mathematical theory of semantic development in deep neural
  networks", PNAS 116 (2019) (the tree data, the stages, the illusory correlations).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl import stats
from jdl import sweep as jsweep
from jdl.data import tree
from jdl.studies.deep_linear import dynamics as L
from jdl.studies.deep_linear import members as M
from jdl.studies.deep_linear import summaries as SM

__all__ = ["ILLUSIONS", "illusions", "make_sampler", "run_all", "train_main_and_grid"]

# the tutorial's illusory-correlation examples: item names, the item, the added feature's name and values
ILLUSIONS = (
    {"items": ("Shark", "Tuna", "Robin", "Canary", "Rose", "Daisy", "Pine", "Oak"), "item": 0, "name": "has_bones",
     "values": (-1, 1, 1, 1, -1, -1, -1, -1)},
    {"items": ("Goldfish", "Tuna", "Robin", "Parrot", "Rose", "Daisy", "Pine", "Oak"), "item": 3,
     "name": "cannot_speak", "values": (1, 1, 1, -1, 1, 1, 1, 1)},
)


def make_sampler(n_features: int, *, depth: int = 3, branching: int = 2, flip: float = 0.15) -> Callable:
    """``key -> (x_pd, y_pn)``: the tree's one-hot items and ``n_features`` sampled features (float32, jitted).

    One compiled program also where it is called on its own (the data figure, the references).
    """
    @jax.jit
    def sample(key):
        return tree.generate_hsd(key, n_features, depth=depth, branching=branching, flip=flip, dtype=jnp.float32)

    return sample


def train_main_and_grid(sample: Callable, seeds: Sequence[int], lr: float, gamma: float, *,
                        sweep_seeds: Sequence[int] = (), sweep_lr: Sequence[float] = (),
                        sweep_gamma: Sequence[float] = (), progress: bool = False, **kwargs):
    """The main runs (``seeds`` at ``(lr, gamma)``) and the ``sweep_seeds x sweep_lr x sweep_gamma`` grid, one program.

    Args:
      sample: ``key -> (x_pd, y_pn)`` (:func:`make_sampler`).
      seeds, lr, gamma: the main runs.
      sweep_seeds, sweep_lr, sweep_gamma: the grid (none when ``sweep_seeds`` is empty).
      progress: a progress bar over the chunks.
      **kwargs: ``hidden``, ``epochs``, ``method``, ``dtype``, ``feature``, ``chunk_size`` of
        :func:`jdl.studies.deep_linear.members.train_members` (the RSM is recorded).

    Returns:
      ``(main, grid, g, wall_s)``: ``History`` with leading ``S``, the grid's with leading
      ``(len(sweep_seeds), G)`` (``None`` without a grid), the grid points ``g = {"lr", "gamma"}`` (``(G,)``
      each, lr major; ``None``) and the seconds the training took including compilation.
    """
    S = len(seeds)
    g = jsweep.grid(lr=np.asarray(sweep_lr), gamma=np.asarray(sweep_gamma)) if sweep_seeds else None
    seeds_m, lr_m, gamma_m = list(seeds), [lr] * S, [gamma] * S
    if g is not None:
        seeds_m += np.repeat(sweep_seeds, len(g["lr"])).tolist()
        lr_m += np.tile(g["lr"], len(sweep_seeds)).tolist()
        gamma_m += np.tile(g["gamma"], len(sweep_seeds)).tolist()
    t0 = time.perf_counter()
    hist = M.train_members(seeds_m, lr_m, gamma_m, sample, record_rsm=True, progress=progress, desc="runs", **kwargs)
    wall = time.perf_counter() - t0
    main = jax.tree.map(lambda v: v[:S], hist)
    grid = None if g is None else jax.tree.map(
        lambda v: v[S:].reshape((len(sweep_seeds), len(g["lr"])) + v.shape[1:]), hist)
    return main, grid, g, wall


def illusions(y_pn: np.ndarray, seed: int, lr: float, gamma: float, *, hidden: int, epochs: int, method: str,
              dtype) -> dict:
    """The :data:`ILLUSIONS`: each example's feature added to ``y_pn`` and trained from ``seed``'s weights.

    Args:
      y_pn: ``(8, N)`` the targets of the 8-item tree (the first main run's data).
      seed, lr, gamma, hidden, epochs, method, dtype: as the main runs.

    Returns:
      ``metrics`` (``"<item>_<feature>"`` -> :func:`summaries.illusion_metrics` with the names), ``panels``
      (``title``, ``measured``, ``theory``, ``truth`` per example) and ``modes`` (each run's singular values).
    """
    y = np.asarray(y_pn, np.float64)
    ys = np.stack([tree.add_feature(y, ex["values"]) for ex in ILLUSIONS])
    xs = np.stack([np.eye(len(y))] * len(ILLUSIONS))
    hist = M.train_datasets(seed, xs, ys, lr, gamma, hidden=hidden, epochs=epochs, method=method, dtype=dtype,
                            feature=-1)
    tau = float(L.time_constant(lr, ys.shape[1], ys.shape[2]))
    t = np.arange(epochs + 1.0)[:, None]
    out, panels = {}, []
    for b, ex in enumerate(ILLUSIONS):
        tgt = L.least_squares_modes(xs[b], ys[b])  # a sign flip of a pair leaves U[j, a] V[i, a] unchanged
        i = ex["item"]
        measured = hist.pred[b][:, i]
        u_disc = L.mode_trajectory(t, hist.s[b], hist.u0[b], tau, discrete=True)
        theory = L.predictions_from_modes(u_disc, tgt.U[-1], tgt.V[i])
        from_strengths = L.predictions_from_modes(hist.strengths[b], tgt.U[-1], tgt.V[i])
        truth = float(ex["values"][i])
        out[f"{ex['items'][i]}_{ex['name']}"] = {"item": ex["items"][i], "feature": ex["name"],
                                                 **SM.illusion_metrics(measured, theory, from_strengths, truth)}
        panels.append({"title": f"{ex['items'][i]} {ex['name']} (transiently wrong)", "measured": measured,
                       "theory": theory, "truth": truth})
    return {"metrics": out, "panels": panels, "modes": list(hist.modes)}


def run_all(*, depth: int, branching: int, flip: float, n_features: int, hidden: int, epochs: int, lr: float,
            gamma: float, seeds: Sequence[int], feature: int = -1, method: str = "reduced", dtype=jnp.float64,
            cross_check: bool = True, with_illusions: bool = True, sweep_lr: Sequence[float] = (),
            sweep_gamma: Sequence[float] = (), sweep_seeds: Sequence[int] = (), rsm_epochs: Sequence[int] = (),
            chunk_size: int | None = None, progress: bool = False) -> dict:
    """Everything the deep linear experiment computes (the fields of its ``Config``, ``dtype`` as a jnp dtype).

    Returns:
      ``metrics``: the experiment's ``metrics.json`` (data vs the closed form, ``dynamics`` from
      :func:`summaries.theory_comparison`, ``regression``, ``cross_check``, ``illusions``, ``sweep`` from
      :func:`summaries.grid_summary`, ``rsm_epochs_shown``); ``arrays``: ``{npz name: {array name: array}}``;
      and for the figures ``hist`` (main runs), ``grid`` (``None`` without one), ``theory``, ``data``
      (``y``, ``corr_expected``, ``corr_sampled``, ``s_expected``, ``item_names``), ``illusions`` and
      ``sweep_loss_curves`` (``lr``, ``loss_gt`` at the grid's lr nearest ``lr``) (``None`` where not run),
      ``rsm_epochs`` and ``epoch`` (``0..epochs``).
    """
    P, N = branching ** depth, n_features
    names = tree.ITEM_NAMES if P == len(tree.ITEM_NAMES) else tuple(f"item {i}" for i in range(P))
    lam, mult = tree.level_eigenvalues(depth, branching, flip)
    s_exp = tree.expected_singular_values(depth, branching, flip, N)
    corr_exp = tree.expected_correlation(depth, branching, flip)
    sample = make_sampler(N, depth=depth, branching=branching, flip=flip)
    kw = {"hidden": hidden, "epochs": epochs, "method": method, "dtype": dtype, "feature": feature}

    hist, grid_hist, g, train_s = train_main_and_grid(sample, seeds, lr, gamma, sweep_seeds=sweep_seeds,
                                                      sweep_lr=sweep_lr, sweep_gamma=sweep_gamma,
                                                      chunk_size=chunk_size, progress=progress, **kw)
    th = SM.theory_comparison(hist, lr, P, N, mult, epochs)

    # the data of the first seed (the same draws as its run) and the least-squares reference
    y0 = np.asarray(sample(M.run_keys(seeds[0])[0])[1], np.float64)
    corr_sampled = y0 @ y0.T / N
    # the balanced solution's similarity V diag(s) V^T = (W*^T W*)^{1/2} (one-hot items)
    v_rsm = [stats.rel_error(r, L.balanced_rsm(*sample(M.run_keys(seed)[0])))
             for seed, r in zip(seeds, hist.rsm[:, -1])]
    out = {
        "P": P, "N": N, "hidden": hidden, "epochs": epochs, "lr": lr, "gamma": gamma, "seeds": seeds,
        "method": method, "dtype": jnp.dtype(dtype).name,
        "data": {"level_eigenvalues": lam, "level_multiplicities": mult, "expected_singular_values": s_exp,
                 "sampled_singular_values": hist.s,
                 "sampled_minus_expected_over_expected": (hist.s - s_exp) / s_exp,
                 "expected_correlation": corr_exp, "sampled_correlation_first_seed": corr_sampled,
                 "max_abs_correlation_error_first_seed": float(np.max(np.abs(corr_sampled - corr_exp))),
                 "correlation_sampling_sd": float(1 / np.sqrt(N))},
        "dynamics": th["summary"],
        "final_loss": hist.loss[:, -1], "initial_loss": hist.loss[:, 0],
        "final_modes": hist.modes[:, -1],
        "n_stages": [L.count_stages(v) for v in hist.loss],
        "regression": {"rel_error_w_tot_vs_least_squares": hist.ls_error, "rel_error_final_rsm_vs_V_S_Vt": v_rsm},
        "runs": len(hist.loss) + (0 if grid_hist is None else grid_hist.loss[..., 0].size),
        "train_s_including_compile": round(train_s, 3),
    }
    if cross_check:
        other = "direct" if method == "reduced" else "reduced"
        h2 = M.train_members(seeds[:1], [lr], [gamma], sample, record_rsm=True, **{**kw, "method": other})
        out["cross_check"] = {"other_method": other, "max_rel_diff": SM.max_rel_diffs(h2, hist)}

    ill = None
    if with_illusions and P == 8:
        ill = illusions(y0, seeds[0], lr, gamma, hidden=hidden, epochs=epochs, method=method, dtype=dtype)
        out["illusions"] = ill["metrics"]
    elif with_illusions:
        out["illusions"] = "skipped: the Shark / Parrot examples need the 8-item tree (depth 3, branching 2)"

    arrays = {"history": {"loss": hist.loss, "modes": hist.modes, "strengths": hist.strengths, "rsm": hist.rsm,
                          "pred": hist.pred, "s": hist.s, "u0": hist.u0,
                          "theory_continuous": th["curves"]["continuous"],
                          "theory_discrete": th["curves"]["discrete"]}}
    if ill is not None:
        arrays["illusions"] = {f"{k}_{p['title'].split()[0]}": p[k] for p in ill["panels"]
                               for k in ("measured", "theory")}
    curves = None
    if grid_hist is not None:
        sw = SM.grid_summary(grid_hist, g["lr"], g["gamma"], sweep_lr, sweep_gamma, sweep_seeds, P, N)
        out["sweep"] = {**sw["tables"], "runs": sw["runs"], "half_time_theory_check": sw["half_time_theory_check"],
                        "diverged_members": sw["diverged_members"]}
        arrays["sweep"] = {"lr": np.asarray(sweep_lr), "gamma": np.asarray(sweep_gamma), "loss": grid_hist.loss,
                           "strengths": grid_hist.strengths, "s": grid_hist.s, "u0": grid_hist.u0}
        j = int(np.argmin(np.abs(np.log(np.asarray(sweep_lr) / lr))))
        curves = {"lr": sweep_lr[j],
                  "loss_gt": grid_hist.loss[0].reshape(len(sweep_lr), len(sweep_gamma), -1)[j]}
    show = SM.rsm_epochs(th["half"]["measured"][0], mult, epochs, rsm_epochs)
    out["rsm_epochs_shown"] = show
    return {"metrics": out, "arrays": arrays, "hist": hist, "grid": grid_hist, "theory": th,
            "data": {"y": y0, "corr_expected": corr_exp, "corr_sampled": corr_sampled, "s_expected": s_exp,
                     "item_names": names},
            "illusions": ill, "sweep_loss_curves": curves, "rsm_epochs": show, "epoch": np.arange(epochs + 1)}
