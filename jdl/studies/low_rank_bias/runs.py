"""The low-rank-bias experiment's runs and every metric it reports (Huh et al. 2021).

Two parts: effective ranks of deep maps at initialisation for depths ``1..max_depth`` over seeds
(:func:`init_sweep`, summarised by :func:`summarize_init`), and deep linear nets trained on low-rank
linear regression over a (depth, rank, lr) grid and seeds (:func:`train_sweep`, the best lr per
(depth, rank) chosen and summarised by :func:`summarize_trained`). :func:`run_all` runs both and
returns the metrics (``metrics.json``), the spectra to save and what the figures need, so
``experiments/low_rank_bias.py`` only configures, saves, plots and prints.

References:
  Huh, Mobahi, Zhang, Cheung, Agrawal & Isola, "The low-rank simplicity bias in deep networks" (2021).
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import jax
import numpy as np

from jdl import stats, sweep
from jdl.studies.low_rank_bias import deep_nets as R

__all__ = ["SPECTRUM_DEPTHS", "init_sweep", "run_all", "summarize_init", "summarize_trained", "train_sweep"]

SPECTRUM_DEPTHS = (1, 2, 4, 8, 16, 32, 64)  # depths whose spectra the init figure draws


def init_sweep(seeds: Sequence[int], *, max_depth: int, width: int, n_inputs: int, checkpoint_dir=None,
               progress: bool = False) -> dict:
    """Effective ranks at init for depths 1..max_depth x seeds: arrays ``(S, D)`` and spectra ``(S, D, k)``.

    One member per seed records every depth in one scan over the layers (depth D is a prefix).
    """
    f = functools.partial(R.init_ranks_by_depth, max_depth=max_depth, width=width, n=n_inputs)
    return sweep.map_members(f, sweep.seed_keys(seeds), chunk_size=jax.device_count(), checkpoint_dir=checkpoint_dir,
                             progress=progress, desc="init ranks", fingerprint=f"by_depth|{max_depth}|{width}|{n_inputs}")


def train_sweep(seeds: Sequence[int], *, depths: Sequence[int], ranks: Sequence[int], lrs: Sequence[float], d: int,
                n_train: int, n_test: int, steps: int, momentum: float, w_std: float, noise: float, eval_every: int,
                checkpoint_dir=None, progress: bool = False) -> tuple[dict, dict]:
    """Every (depth, rank, lr) x train seed (:func:`jdl.studies.low_rank_bias.deep_nets.make_regression_member`).

    Returns:
      ``(res, grid)``: outputs reshaped to ``(S, depth, rank, lr, ...)`` and the grid points.
    """
    member = R.make_regression_member(d=d, n_train=n_train, n_test=n_test, max_depth=max(depths), steps=steps,
                                      momentum=momentum, W_std=w_std, noise=noise, eval_every=eval_every)
    g = sweep.grid(depth=np.asarray(depths), rank=np.asarray(ranks), lr=np.asarray(lrs, np.float32))
    out = sweep.run(member, seeds, g, chunk_size=jax.device_count(), checkpoint_dir=checkpoint_dir, progress=progress,
                    desc="train grid", fingerprint=f"{d}|{n_train}|{n_test}|{noise}|{momentum}|{w_std}|"
                                                   f"{steps}|{eval_every}")
    shape = (len(seeds), len(depths), len(ranks), len(lrs))
    return {k: v.reshape(shape + v.shape[2:]) for k, v in out.items()}, g


def summarize_init(res: dict, *, max_depth: int, width: int, n_inputs: int) -> dict:
    """Seed medians of the effective rank and entropy by depth for the map, linear and ReLU nets.

    Per net: the first and last medians, the share of depth steps at which the median does not rise,
    the depth at which it halves (``None`` if never) and the non-finite count.
    """
    depths = np.arange(1, max_depth + 1)
    out = {"depths": depths, "width": width, "n_inputs": n_inputs}
    for net in ("map", "linear", "relu"):
        er, h = res[f"{net}_erank"], res[f"{net}_entropy"]
        med = stats.finite_median(er)
        out[net] = {"erank": er, "entropy": h, "erank_median": med, "entropy_median": stats.finite_median(h),
                    "erank_first": float(med[0]), "erank_last": float(med[-1]),
                    # share of depth steps d -> d+1 at which the seed median does not rise
                    "fraction_nonincreasing": float(np.mean(np.diff(med) <= 0)) if len(med) > 1 else None,
                    "halving_depth": int(depths[np.argmax(med <= med[0] / 2)]) if (med <= med[0] / 2).any() else None,
                    "nonfinite": int((~np.isfinite(er)).sum())}
    out["relu_below_linear_all_depths"] = bool(np.all(out["relu"]["erank_median"] < out["linear"]["erank_median"]))
    return out


def summarize_trained(res: dict, *, seeds: Sequence[int], depths: Sequence[int], ranks: Sequence[int],
                      lrs: Sequence[float], fit_tol: float, eval_every: int) -> dict:
    """The best lr per (depth, rank) and the chosen lr's losses, effective ranks and steps to fit.

    Args:
      res: :func:`train_sweep`'s ``(S, depth, rank, lr, ...)`` outputs.
      fit_tol: 'fitted' = training MSE below this (``steps_to_fit``, -1 if never).
    """
    best, ok = R.select_lr(res["train_loss"])  # (depth, rank)
    lrs_ = np.asarray(lrs)
    # the chosen lr's slice of every (S, depth, rank, lr, ...) array
    pick = lambda x: np.take_along_axis(x, best.reshape((1,) + best.shape + (1,) * (x.ndim - 3)), 3)[:, :, :, 0]
    curves = pick(res["train_curve"])  # (S, depth, rank, E + 1)
    fitted = curves < fit_tol
    steps_to_fit = np.where(fitted.any(-1), np.argmax(fitted, -1) * eval_every, -1)
    div = sweep.nonfinite({k: res[k] for k in ("train_loss", "test_loss", "erank")}, 4)
    out = {
        "depths": depths, "ranks": ranks, "lrs": lrs, "seeds": seeds,
        "best_lr": np.where(ok, lrs_[best], np.nan),
        "best_lr_at_grid_edge": ok & ((best == 0) | (best == len(lrs_) - 1)),
        "train_loss": pick(res["train_loss"]), "test_loss": pick(res["test_loss"]), "erank": pick(res["erank"]),
        "entropy": pick(res["entropy"]), "steps_to_fit": steps_to_fit,
        "target_erank": res["target_erank"][0, 0, :, 0],
        "train_loss_grid": res["train_loss"], "test_loss_grid": res["test_loss"], "erank_grid": res["erank"],
        "diverged": [{"seed": int(seeds[s]), "depth": int(depths[i]), "rank": int(ranks[j]),
                      "lr": float(lrs_[k])} for s, i, j, k in zip(*np.nonzero(div))],
        "no_stable_lr": [{"depth": int(depths[i]), "rank": int(ranks[j])} for i, j in zip(*np.nonzero(~ok))],
    }
    for k in ("train_loss", "test_loss", "erank"):
        out[f"{k}_median"] = stats.finite_median(out[k])
    return out


def run_all(*, seeds: Sequence[int], max_depth: int, width: int, n_inputs: int, train_seeds: Sequence[int],
            train_depths: Sequence[int], ranks: Sequence[int], d: int, n_train: int, n_test: int, noise: float,
            lrs: Sequence[float], momentum: float, w_std: float, steps: int, eval_every: int, fit_tol: float,
            checkpoint_dir: Path | None = None, progress: bool = False) -> dict:
    """Everything ``experiments.low_rank_bias`` computes.

    Args:
      checkpoint_dir: the sweeps checkpoint under ``<checkpoint_dir>/init`` and ``/trained`` (None: not).
      Others: as in :func:`init_sweep`, :func:`train_sweep` and :func:`summarize_trained`.

    Returns:
      ``{"metrics": {"init", "trained"}, "spectra": {name: array}, "init_raw": ..., "trained_raw": ...,
      "best_lr_index": (depth, rank), "spectrum_depths"}``.
    """
    ckpt = (lambda part: None) if checkpoint_dir is None else (lambda part: Path(checkpoint_dir) / part)
    res_init = init_sweep(seeds, max_depth=max_depth, width=width, n_inputs=n_inputs, checkpoint_dir=ckpt("init"),
                          progress=progress)
    init = summarize_init(res_init, max_depth=max_depth, width=width, n_inputs=n_inputs)
    res_tr, _ = train_sweep(train_seeds, depths=train_depths, ranks=ranks, lrs=lrs, d=d, n_train=n_train,
                            n_test=n_test, steps=steps, momentum=momentum, w_std=w_std, noise=noise,
                            eval_every=eval_every, checkpoint_dir=ckpt("trained"), progress=progress)
    tr = summarize_trained(res_tr, seeds=train_seeds, depths=train_depths, ranks=ranks, lrs=lrs, fit_tol=fit_tol,
                           eval_every=eval_every)
    return {"metrics": {"init": init, "trained": tr},
            "spectra": {k: v for k, v in res_init.items() if k.endswith("_sigma")},
            "init_raw": res_init, "trained_raw": res_tr, "best_lr_index": R.select_lr(res_tr["train_loss"])[0],
            "spectrum_depths": [D for D in SPECTRUM_DEPTHS if D <= max_depth]}
