"""The double-descent experiment's runs and metrics: closed form for every N, the gradient check, SGD sweeps.

:func:`run_all` is everything ``experiments/double_descent.py`` computes (Belkin et al. 2019 with random
Fourier features on the binary digits, as the 2023 DNN assignment):

1. the closed-form fits of every size (:func:`closed_form_sizes`,
   :func:`jdl.studies.double_descent.sweeps.closed_form_sweep`) summarised over the seeds;
2. :func:`gradient_check`: the analytic MSE gradient against ``jax.grad`` and central differences (float64);
3. SGD fits at a few sizes with per-epoch curves (:func:`sgd_sweep`, :func:`sgd_summary`);
4. SGD double descent over the sizes: the assignment's setting and, with label noise and long training
   at a per-size learning rate, the setting where the peak at ``2N = n`` appears; each beside the
   minimum-norm closed form of the same seeds.

Every summary over seeds is :func:`jdl.stats.seed_summary`: diverged (non-finite) members are counted and
left out of the mean, and SGD's diverged members are listed by seed and size.

References:
  Belkin et al. (2019), Reconciling modern machine-learning practice and the classical bias-variance
  trade-off, PNAS 116(32). Nakkiran et al. (2020), Deep double descent, ICLR.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jdl import stats, sweep
from jdl.analysis.derivatives import finite_differences
from jdl.data import Dataset, load_digits_binary
from jdl.precision import precision
from jdl.studies.double_descent import random_features as F
from jdl.studies.double_descent import sweeps as DD

__all__ = ["closed_form_sizes", "geometric_sizes", "gradient_check", "run_all", "sgd_summary", "sgd_sweep"]

FD_STEP = 1e-4  # central-difference step of the gradient check (float64)


def geometric_sizes(lo: int, hi: int, num: int, extra=()) -> tuple[int, ...]:
    """``num`` geometrically spaced integers from ``lo`` to ``hi`` (rounded, deduplicated) and ``extra``, sorted.

    >>> geometric_sizes(1, 100, 3, extra=(449,))
    (1, 10, 100, 449)
    """
    return tuple(sorted({int(v) for v in np.round(np.geomspace(lo, hi, num))} | set(extra)))


def closed_form_sizes(n: int, n_max: int, n_step: int = 1, dense: int = 0) -> np.ndarray:
    """Every ``n_step``-th size ``1..n_max`` (and ``n_max``), plus every size within ``dense`` of ``n / 2``.

    >>> closed_form_sizes(20, 30, n_step=10, dense=1).tolist()
    [1, 9, 10, 11, 21, 30]
    """
    every = set(range(1, n_max + 1, n_step)) | {n_max}
    near = set(range(max(1, n // 2 - dense), min(n_max, n // 2 + dense) + 1))
    return np.asarray(sorted(every | near))


def gradient_check(data: Dataset, n_features: int, key: jax.Array) -> dict:
    """The analytic MSE gradient against ``jax.grad`` and central differences, float64, at a random ``a``.

    ``a ~ 0.1 N(0, I)`` (key ``fold_in(key, 7)``) on the seed's features of ``n_features`` frequencies;
    central differences with step :data:`FD_STEP` (:func:`jdl.analysis.derivatives.finite_differences`).
    Errors are :func:`jdl.stats.rel_error`, ``||analytic - other|| / ||other||``.

    Returns:
      ``n_features``, ``rel_err_autodiff``, ``rel_err_finite_diff`` and the gradients ``grad`` (analytic),
      ``grad_autodiff`` (``(2 n_features,)`` each).
    """
    with precision(jnp.float64):
        d = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), data)
        phi, _ = DD.member_features(key, d, n_features, jnp.float64)
        y = d.y_train
        a = 0.1 * jax.random.normal(jax.random.fold_in(key, 7), (phi.shape[1],), jnp.float64)
        analytic = F.mse_grad(a, phi, y)
        auto = jax.grad(F.mse_loss)(a, phi, y)
        fd = finite_differences(lambda p: F.mse_loss(p, phi, y), a, eps=FD_STEP, scheme="central")
        return {"n_features": n_features, "rel_err_autodiff": stats.rel_error(analytic, auto),
                "rel_err_finite_diff": stats.rel_error(analytic, fd), "grad": np.asarray(analytic),
                "grad_autodiff": np.asarray(auto)}


def sgd_sweep(data: Dataset, seeds: Sequence[int], sizes, *, epochs: int, noise: float, lr_rule: str,
              eval_every: int = 1, batch_size: int = 32, a_std: float = 1e-3, lr: float | None = None,
              checkpoint_dir=None, tag: str = "sgd", progress: bool = False):
    """One SGD sweep over ``sizes x seeds`` (:func:`jdl.studies.double_descent.sweeps.make_sgd_member`).

    The learning rate: ``lr`` for every size when given; else ``1 / lambda_max`` of the MSE Hessian,
    per size (``lr_rule="per_size"``) or of the largest size for all (``"largest"``), each the smallest
    over the seeds (the most conservative).

    Args:
      data: the dataset; seeds: SGD seeds; sizes: ``(K,)`` frequency counts ``N``.
      epochs, noise, eval_every, batch_size, a_std: of the member (``noise``: label-flip probability).
      checkpoint_dir, tag, progress: checkpoints of :func:`jdl.sweep.run` (``tag`` in the fingerprint).

    Returns:
      ``(history, lr, lam, diverged)``: history arrays ``(S, K, E')``, the ``(K,)`` learning rates and
      Hessian tops, and the ``(S, K)`` flags of members with a non-finite record.
    """
    if lr_rule not in ("per_size", "largest"):
        raise ValueError(f"lr_rule: expected 'per_size' or 'largest', got {lr_rule!r}")
    sizes = np.asarray(sizes)
    lam = DD.hessian_top(data, seeds, sizes).min(0)  # per size, most conservative seed
    if lr is not None:
        lr = np.full(sizes.shape, lr)
    elif lr_rule == "per_size":
        lr = 1.0 / lam
    else:
        lr = np.full(sizes.shape, 1.0 / lam[-1])
    member = DD.make_sgd_member(data, int(sizes.max()), epochs=epochs, batch_size=batch_size, a_std=a_std,
                                eval_every=eval_every)
    hp = {"n_features": sizes, "lr": lr.astype(np.float32), "noise": np.full(sizes.shape, noise, np.float32)}
    # a few grid blocks per seed and one block per device per call: progress and checkpoints every
    # chunk, while the sizes inside a block still share the seed's minibatch gathers
    hist = sweep.run(member, seeds, hp, grid_block=math.ceil(len(sizes) / 4), chunk_size=jax.device_count(),
                     checkpoint_dir=checkpoint_dir, progress=progress, desc=f"SGD {tag}",
                     fingerprint=f"{tag}|{epochs}|{noise}|{lr.tolist()}|{batch_size}|{a_std}|{sizes.tolist()}")
    diverged = sweep.nonfinite({k: v for k, v in hist.items() if k != "epoch"}, 2)
    return hist, lr, lam, diverged


def sgd_summary(hist: dict, sizes, lr, lam, diverged, seeds: Sequence[int], epochs: int, noise: float) -> dict:
    """The metrics of one SGD sweep: final train/test MSE and test error over seeds, the curves, diverged members.

    >>> h = {"epoch": np.zeros((1, 1, 2)), "train_loss": np.array([[[1.0, 0.5]]]),
    ...      "test_loss": np.array([[[1.0, np.nan]]]), "test_error": np.array([[[0.5, 0.25]]])}
    >>> m = sgd_summary(h, [5], [0.1], [10.0], np.array([[True]]), [3], 2, 0.0)
    >>> m["train_mse"]["mean"].tolist(), m["test_mse"]["nonfinite"], m["diverged"]
    ([0.5], 1, [{'seed': 3, 'N': 5}])
    """
    return {
        "N": sizes, "n_features": 2 * np.asarray(sizes), "epochs": epochs, "label_noise": noise, "lr": lr,
        "hessian_top": lam, "epoch": hist["epoch"][0, 0],
        "train_mse": stats.seed_summary(hist["train_loss"][..., -1]),
        "test_mse": stats.seed_summary(hist["test_loss"][..., -1]),
        "test_error": stats.seed_summary(hist["test_error"][..., -1]),
        "train_mse_curves": hist["train_loss"], "test_mse_curves": hist["test_loss"],
        "diverged": [{"seed": int(seeds[s]), "N": int(sizes[k])} for s, k in zip(*np.nonzero(diverged))],
    }


def _closed_form_metrics(cf: dict, sizes: np.ndarray, n: int, seeds) -> dict:
    """Part 1's metrics: seed means of both fits, the peaks, the two minima, the train MSE past the threshold."""
    fits = {name: {k: stats.seed_summary(v) for k, v in cf[name].items()} for name in DD.FITS}
    a = fits["assignment"]
    under, over = 2 * sizes < n, 2 * sizes > n
    return {
        "N": sizes, "n_features": 2 * sizes, "ratio": 2 * sizes / n, "seeds": seeds,
        "test_mse": a["test_mse"]["mean"], "train_mse": a["train_mse"]["mean"], "coef_norm": a["coef_norm"]["mean"],
        "test_mse_per_seed": a["test_mse"]["per_seed"], "train_mse_per_seed": a["train_mse"]["per_seed"],
        "coef_norm_per_seed": a["coef_norm"]["per_seed"],
        "min_norm": {k: v["mean"] for k, v in fits["min_norm"].items()},
        "min_norm_per_seed": {k: v["per_seed"] for k, v in fits["min_norm"].items()},
        "peak_ratio": DD.peak_ratio(sizes, cf["assignment"]["test_mse"], n),
        "peak_ratio_min_norm": DD.peak_ratio(sizes, cf["min_norm"]["test_mse"], n),
        "first_min_test_mse": float(np.nanmin(a["test_mse"]["mean"][under])) if under.any() else None,
        "second_min_test_mse": float(np.nanmin(a["test_mse"]["mean"][over])) if over.any() else None,
        "max_train_mse_past_threshold_min_norm": float(np.nanmax(fits["min_norm"]["train_mse"]["mean"][2 * sizes >= n]))
        if (2 * sizes >= n).any() else None,
        "nonfinite_closed_form": {name: fits[name]["test_mse"]["nonfinite"] for name in fits},
    }


def run_all(*, seeds: Sequence[int], n_max: int, n_step: int = 1, dense: int = 0, lambd: float = 0.01,
            noise: float = 0.0, max_update: int | None = None, chunk: int = 1, grad_n: int = 100,
            sgd_seeds: Sequence[int] = (0,), fit_sizes: Sequence[int] = (5, 100, 400, 1000), fit_epochs: int = 100,
            batch_size: int = 32, lr: float | None = None, a_std: float = 1e-3,
            dd_sizes: Sequence[int] = (5, 100, 449, 1000), dd_epochs: int = 100, peak: bool = True,
            peak_noise: float = 0.1, peak_epochs: int = 20000, peak_eval_every: int = 200,
            checkpoint_dir: Path | None = None, progress: bool = False, data: Dataset | None = None) -> dict:
    """Everything the double-descent experiment computes (the fields of its ``Config``).

    Args:
      checkpoint_dir: root of the sweeps' checkpoints (one folder per sweep), ``None``: none.
      data: the dataset (default :func:`jdl.data.load_digits_binary`).

    Returns:
      ``metrics`` (the experiment's ``metrics.json``: part 1's keys, ``gradient_check``, ``sgd_fits``,
      ``sgd_double_descent``) and for the figures ``closed_form`` (the sweep's ``(S, K)`` arrays),
      ``gradient`` (:func:`gradient_check`), ``sgd_fits`` (``hist``, ``lr``) and ``sgd_double_descent``
      (per setting: ``hist``, ``reference`` (the min-norm closed form), ``setting``), ``dd_ratio``.
    """
    ds = load_digits_binary() if data is None else data
    n = ds.n_train
    out: dict = {"n_train": n, "n_test": ds.n_test}
    ckpt = (lambda tag: None) if checkpoint_dir is None else (lambda tag: Path(checkpoint_dir) / tag)

    # 1. closed form, every N
    sizes = closed_form_sizes(n, n_max, n_step, dense)
    cf = DD.closed_form_sweep(ds, seeds, sizes, lambd=lambd, noise=noise, max_update=max_update, chunk_size=chunk,
                              checkpoint_dir=ckpt("closed_form"), progress=progress)
    out.update(_closed_form_metrics(cf, sizes, n, seeds))

    # 2. gradient check
    g = gradient_check(ds, grad_n, jax.random.key(seeds[0]))
    out["gradient_check"] = {k: v for k, v in g.items() if not k.startswith("grad")}

    # 3. SGD fits at a few sizes
    kw = {"batch_size": batch_size, "a_std": a_std, "lr": lr, "progress": progress}
    fit_sizes = np.asarray(fit_sizes)
    hist, lrs, lam, div = sgd_sweep(ds, sgd_seeds, fit_sizes, epochs=fit_epochs, noise=0.0, lr_rule="largest",
                                    eval_every=1, checkpoint_dir=ckpt("sgd_fits"), tag="sgd_fits", **kw)
    out["sgd_fits"] = sgd_summary(hist, fit_sizes, lrs, lam, div, sgd_seeds, fit_epochs, 0.0)
    fits = {"hist": hist, "lr": lrs}

    # 4. SGD double descent: the assignment's setting and the label-noise / long-training setting
    settings = {"assignment": {"epochs": dd_epochs, "noise": 0.0, "lr_rule": "largest", "eval_every": 1}}
    if peak:
        settings["peak"] = {"epochs": peak_epochs, "noise": peak_noise, "lr_rule": "per_size",
                            "eval_every": peak_eval_every}
    dd_sizes = np.asarray(dd_sizes)
    out["sgd_double_descent"], dd = {}, {}
    for tag, s in settings.items():
        hist, lrs, lam, div = sgd_sweep(ds, sgd_seeds, dd_sizes, checkpoint_dir=ckpt(f"sgd_dd_{tag}"),
                                        tag=f"sgd_dd_{tag}", **s, **kw)
        block = sgd_summary(hist, dd_sizes, lrs, lam, div, sgd_seeds, s["epochs"], s["noise"])
        ref = DD.closed_form_sweep(ds, sgd_seeds, dd_sizes, noise=s["noise"], fits=("min_norm",), progress=False)
        block["closed_form_min_norm_test_mse"] = stats.seed_summary(ref["min_norm"]["test_mse"])
        block["peak_ratio"] = DD.peak_ratio(dd_sizes, hist["test_loss"][..., -1], n)
        out["sgd_double_descent"][tag] = block
        dd[tag] = {"hist": hist, "reference": ref["min_norm"], "setting": s}
    return {"metrics": out, "closed_form": cf, "ratio": out["ratio"], "gradient": g, "sgd_fits": fits,
            "sgd_double_descent": dd, "dd_ratio": 2 * dd_sizes / n}
