"""Init scale and splines: jdl's alpha x seed sweep against init_scale_spline.py (loop and --fast).

The baseline trains ``f = sum_i c_i relu(a_i x + b_i)`` (standard parameterisation) by full-batch GD.
jdl runs the same runs exactly through :func:`jdl.studies.spline_regimes.splines.from_standard` (its (1/m)-model at
``lam = 1/sqrt(m)``, ``alpha = alpha_std m^(1/4)``, ``lr = m * lr_std``; same data, antisymmetric pairs,
same lr rule ``min(lr_max, lr_ntk / alpha_std^2)``, plain GD), all alphas x seeds in one compiled
program. Rates are run-steps per second (runs x GD steps / run seconds); compilation is reported
apart. The per-alpha spline index of both is reported side by side: their init draws differ (torch
vs jax generators), so they agree as seed averages, not digit for digit.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from benchmarks.runner import baseline_device, run_baseline
from jdl import sweep
from jdl.studies.spline_regimes import splines as SP
from jdl.timing import timed

LR_NTK, LR_MAX, H = 1e-3, 0.05, 1000
FIELDS = ("train_mse", "d_lin", "d_cub", "spline_index", "knot_mass_near_data")
COMPARED = ("spline_index", "knot_mass_near_data", "train_mse")


def jdl_sweep(alphas_std, seeds, steps: int, m: int = H, n_points: int = 10, data_seed: int = 0):
    """The baseline's grid (random targets) with jdl; returns the per-member outputs (seed, alpha)."""
    alphas_std = np.asarray(alphas_std, np.float64)
    x = np.linspace(-1, 1, n_points)
    y = np.random.default_rng(data_seed).uniform(-1, 1, n_points)
    alpha, lam, k = SP.from_standard(alphas_std, m)
    lr_std = np.minimum(LR_MAX, LR_NTK / alphas_std ** 2)
    hp = {"alpha": alpha.astype(np.float32), "lam": np.full(len(alpha), lam, np.float32),
          "lr": (k * lr_std).astype(np.float32), "y": np.tile(y, (len(alpha), 1)).astype(np.float32)}
    fit = SP.make_fit(x, m, steps, records=1, grid_points=2001, momentum=0.0)  # the baseline's grid and plain GD
    return sweep.run(fit, seeds, hp, progress=False)


def per_alpha(out, alphas_std) -> list[dict]:
    """Seed means of the baseline's measures, diverged members left out (and counted)."""
    bad = out["nonfinite"] | ~np.isfinite(out["train_mse"])
    rows = []
    for i, a in enumerate(alphas_std):
        ok = ~bad[:, i]
        row = {"alpha": float(a), "diverged": int((~ok).sum())}
        row.update({f: float(np.mean(out[f][ok, i])) if ok.any() else None for f in FIELDS})
        rows.append(row)
    return rows


def run(quick: bool, baselines: bool, progress: bool = True) -> list[dict]:
    dev = baseline_device()
    alphas = [0.01, 0.3, 10.0] if quick else [float(v) for v in np.geomspace(1e-3, 10, 8)]
    n_seeds, steps = (2, 1000) if quick else (4, 20000)
    loop_steps = 200 if quick else 2000
    bar = tqdm(total=2, desc="benchmark spline_regimes", disable=not progress)
    base = {}
    if baselines:
        alpha_arg = ",".join(repr(a) for a in alphas)
        base["torch_loop"] = run_baseline("init_scale_spline.py", "--device", dev, "--alphas", alpha_arg,
                                          "--seeds", "1", "--steps", str(loop_steps))
        base["torch_fast"] = run_baseline("init_scale_spline.py", "--fast", "--device", dev, "--alphas", alpha_arg,
                                          "--seeds", str(n_seeds), "--steps", str(steps))
    bar.update()
    out, run_s, compile_s = timed(lambda: jdl_sweep(alphas, range(n_seeds), steps))
    run_steps = len(alphas) * n_seeds * steps
    rate = run_steps / run_s
    jdl_rows = per_alpha(out, alphas)
    fast_rows = {round(r["alpha"], 9): r for r in base.get("torch_fast", {}).get("per_alpha", [])}
    case = {
        "case": f"alpha_sweep_{len(alphas)}x{n_seeds}_seeds_{steps}_steps", "H": H, "alphas": alphas, "seeds": n_seeds,
        "steps": steps, "run_steps": run_steps, "jdl_s": run_s, "jdl_compile_s": compile_s,
        "jdl_run_steps_per_s": round(rate, 1),
        "baselines": {k: {f: b.get(f) for f in ("variant", "wall_s", "warmup_s", "run_steps_per_s", "steps", "runs",
                                                "device", "error")} for k, b in base.items()},
        # the loop runs fewer steps and one seed: compare rates, not wall times
        "speedup_run_steps_per_s": {k: round(rate / b["run_steps_per_s"], 2) for k, b in base.items()
                                    if b.get("run_steps_per_s")},
        "per_alpha": [{"alpha": r["alpha"], "jdl": {f: r[f] for f in COMPARED},
                       "baseline_fast": {f: fast_rows.get(round(r["alpha"], 9), {}).get(f) for f in COMPARED},
                       "jdl_diverged": r["diverged"]} for r in jdl_rows],
    }
    bar.update()
    bar.close()
    return [case]
