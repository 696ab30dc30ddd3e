"""Deep linear dynamics: jdl's vmapped runs against the tutorial's PyTorch loop (``deep_linear_svd.py``).

The baseline trains ``LNNet(8, 30, 10000)`` with ``torch.optim.SGD`` one run after another and, every
epoch, takes the SVD of ``W_tot``, the hidden RSM and one prediction and moves them to NumPy (10 runs x
250 epochs). jdl runs the same 10 runs on the baseline's own data (its ``np.random`` draws for seeds
2021, 2022, ...) as one vmapped program recording the same things: on the full network with
``optax.sgd`` (``direct``, float32 as PyTorch and float64; the singular values by an SVD of ``W_tot``,
as ``torch.svd``: QR of the ``(10000, 8)`` matrix, then the SVD of its ``(8, 8)`` factor) and in the
exact low-dimensional form (``reduced``, float64: a different algorithm, the singular values by an SVD
of ``W_tot``'s ``(38, 8)`` factor in an orthonormal basis). Both time the data generation too (the
baseline draws its data inside its timed runs). Then the tutorial's whole lr x gamma x seed grid, which does other work than the baseline
(reduced algorithm, no RSM, 459 settings), so it gets no speedup ratio. Times exclude compilation
(reported separately), as the baseline's ``wall_s`` excludes its warm-up.

Agreement: the targets' singular values must equal the baseline's (same data), and the epochs at which
each mode reaches half its final value must agree within a few epochs (the initial weights differ:
PyTorch's generator is not reproduced, and the half-times depend on it only logarithmically).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.runner import baseline_device, ratio, run_baseline
from jdl.data import tree
from jdl.studies.deep_linear import members as M
from jdl.timing import timed


def half_learned_epoch(modes_ta: np.ndarray) -> list[int]:
    """The baseline's measure: the first epoch index whose singular value is >= half its final value.

    The baseline's ``modes[i]`` is taken after ``i + 1`` steps, jdl's ``modes[t]`` after ``t``: index ``t - 1``.
    """
    m = np.asarray(modes_ta)[1:]
    return [int(np.argmax(m[:, k] >= 0.5 * m[-1, k])) for k in range(m.shape[1])]


def run(quick: bool, baselines: bool, progress: bool = True) -> list[dict]:
    runs, epochs, n_features = (2, 50, 2000) if quick else (10, 250, 10_000)
    scale = n_features / 10_000  # learning rates scaled with N keep tau = P N / (2 lr), hence the dynamics
    lr, gamma = 100.0 * scale, 1e-12
    base = None
    if baselines:
        base = run_baseline("deep_linear_svd.py", "--seeds", str(runs), "--epochs", str(epochs), "--n-features",
                            str(n_features), "--lr", str(lr), "--device", baseline_device())
    seeds = list(range(runs))
    cases = []
    base_per_run = base.get("s_per_run") if base and "error" not in base else None

    def draw_and_train(method, dtype):  # the data generation is timed too, as the baseline's
        data = [tree.generate_hsd_numpy(2021 + s, n_features) for s in range(runs)]
        xs, ys = np.stack([d[0] for d in data]), np.stack([d[1] for d in data])
        return M.train_datasets(seeds, xs, ys, lr, gamma, epochs=epochs, method=method, dtype=jnp.dtype(dtype),
                                record_rsm=True)

    for method, dtype in (("direct", "float32"), ("direct", "float64"), ("reduced", "float64")):
        hist, run_s, compile_s = timed(lambda: draw_and_train(method, dtype))
        per_run = run_s / runs
        agreement = {}
        if base_per_run is not None:
            agreement = {
                "max_abs_target_singular_value_diff": float(np.max(np.abs(
                    np.round(hist.s[0], 3) - np.asarray(base["target_singular_values"])))),
                "half_learned_epoch_jdl": half_learned_epoch(hist.modes[0]),
                "half_learned_epoch_baseline": base["half_learned_epoch"],
                "max_abs_half_learned_epoch_diff": int(np.max(np.abs(
                    np.asarray(half_learned_epoch(hist.modes[0])) - np.asarray(base["half_learned_epoch"])))),
                "final_loss_jdl": float(hist.loss[0, -1]), "final_loss_baseline": base["final_loss"]}
        cases.append({
            "case": f"{method}_{dtype}_{runs}_runs", "runs": runs, "epochs": epochs, "n_features": n_features,
            "jdl_s": round(run_s, 4), "jdl_compile_s": round(compile_s, 4), "jdl_s_per_run": round(per_run, 5),
            "records": "loss, singular values of W_tot, hidden RSM, predictions: every epoch; data drawn inside",
            "algorithm": "the same full-network GD as the baseline" if method == "direct" else
                         "exact low-dimensional GD (same trajectory, O(H^3) per step): a different algorithm",
            "baselines": {"pytorch_loop": base} if base else {},
            "speedup_per_run": {"pytorch_loop": ratio(base_per_run, per_run)} if base_per_run else {},
            "agreement": agreement,
        })

    # the tutorial's sliders as one grid: 9 learning rates x 17 init scales x 3 seeds (quick: 3 x 4 x 1, N = 2000)
    lrs = [v * scale for v in ([20.0, 100.0, 200.0] if quick else [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 150.0,
                                                                       200.0])]
    gammas = [1e-12, 1e-6, 1e-2, 1.0] if quick else [10.0 ** e for e in range(-15, 2)]
    grid_seeds = [0] if quick else [0, 1, 2]
    g = {"lr": np.repeat(lrs, len(gammas)), "gamma": np.tile(gammas, len(lrs))}

    def sample(key):
        return tree.generate_hsd(key, n_features)

    hist, run_s, compile_s = timed(lambda: M.train_grid(grid_seeds, g["lr"], g["gamma"], jax.jit(sample),
                                                        epochs=epochs, chunk_size=128, progress=progress))
    members = len(grid_seeds) * len(g["lr"])
    per_run = run_s / members
    cases.append({
        "case": f"grid_reduced_float64_{members}_runs", "runs": members, "epochs": epochs, "n_features": n_features,
        "lr": lrs, "gamma": gammas, "seeds": grid_seeds,
        "jdl_s": round(run_s, 4), "jdl_compile_s": round(compile_s, 4), "jdl_s_per_run": round(per_run, 6),
        "records": "loss, singular values, mode strengths, predictions: every epoch (no RSM); data sampled per seed",
        "algorithm": "exact low-dimensional GD, the N-sized setup once per seed: other work than the baseline, so no "
                     "speedup ratio",
        "baselines": {}, "speedup_per_run": {},
        "jdl": {"diverged": int(np.sum(~np.isfinite(hist.loss[..., -1]))),
                "max_ls_error_converged": float(np.nanmax(np.where(hist.loss[..., -1] < 1e-12, hist.ls_error,
                                                                   np.nan))) if np.any(hist.loss[..., -1] < 1e-12)
                else None},
    })
    return cases
