"""Double descent: jdl's closed form and SGD sweeps against dd_closed_form.py and dd_sgd.py."""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from benchmarks.runner import baseline_device, ratio, run_baseline
from jdl import sweep
from jdl.data import load_digits_binary
from jdl.studies.double_descent import sweeps as DD
from jdl.studies.double_descent.runs import geometric_sizes
from jdl.timing import timed


def _closed_form(ds, seeds, sizes, fits=("assignment",)):
    # the baselines compute the assignment's fit only; "both" adds the minimum-norm interpolant
    cf = DD.closed_form_sweep(ds, seeds, sizes, fits=fits, progress=False)
    return cf["assignment"]["test_mse"]


def _summary(sizes, test_sk, n):
    mean = np.nanmean(test_sk, 0)
    over = 2 * np.asarray(sizes) > n
    return {"peak_2N_over_n": DD.peak_ratio(sizes, test_sk, n),
            "min_test_mse_overparam": float(np.nanmin(mean[over])) if over.any() else None}


def run(quick: bool, baselines: bool, progress: bool = True) -> list[dict]:
    ds = load_digits_binary()
    n = ds.n_train
    dev = baseline_device()
    cases = []
    steps = tqdm(total=3, desc="benchmark double_descent", disable=not progress)

    # 1. the baseline's grid: log sizes + a dense block around n/2, several seeds
    n_seeds, grid_args = (2, ["--num-sizes", "12", "--max-n", "600"]) if quick else (5, [])
    base = {}
    if baselines:
        base["numpy_loop"] = run_baseline("dd_closed_form.py", "--backend", "numpy", "--seeds", str(n_seeds), *grid_args)
        base["torch_loop"] = run_baseline("dd_closed_form.py", "--backend", "torch", "--device", dev,
                                          "--seeds", str(n_seeds), *grid_args)
        base["torch_batched_seeds"] = run_baseline("dd_closed_form.py", "--backend", "torch", "--device", dev,
                                                   "--batched-seeds", "--seeds", str(n_seeds), *grid_args)
    sizes = next((b["N"] for b in base.values() if "N" in b), None)
    if sizes is None:
        sizes = geometric_sizes(1, 600 if quick else 2000, 12 if quick else 40, range(n // 2 - 20, n // 2 + 21, 4))
    test_sk, run_s, compile_s = timed(lambda: _closed_form(ds, range(n_seeds), sizes))
    fits = len(sizes) * n_seeds
    cases.append({
        "case": "closed_form_grid", "fits": fits, "jdl_s": run_s, "jdl_compile_s": compile_s,
        "jdl_fits_per_s": round(fits / run_s, 1), "jdl": _summary(sizes, test_sk, n),
        "baselines": {k: {f: b.get(f) for f in ("wall_s", "fits_per_s", "device", "peak_2N_over_n",
                                                "min_test_mse_overparam", "error")} for k, b in base.items()},
        "speedup": {k: ratio(b.get("wall_s"), run_s) for k, b in base.items()},
    })
    # the same grid with the minimum-norm interpolant as well (what the experiment computes)
    _, both_s, _ = timed(lambda: _closed_form(ds, range(n_seeds), sizes, DD.FITS))
    cases[-1].update(jdl_both_fits_s=both_s,
                     speedup_both_fits={k: ratio(b.get("wall_s"), both_s) for k, b in base.items()})
    steps.update()

    # 2. what the loop cannot afford: every N (1..n_max), fits per second against the loop's rate
    n_max = 600 if quick else 2000
    every = np.arange(1, n_max + 1)
    test_sk, run_s, compile_s = timed(lambda: _closed_form(ds, [0], every))
    rate = len(every) / run_s
    cases.append({
        "case": "closed_form_every_N", "fits": len(every), "jdl_s": run_s, "jdl_compile_s": compile_s,
        "jdl_fits_per_s": round(rate, 1), "jdl": _summary(every, test_sk, n),
        "speedup_fits_per_s": {k: round(rate / b["fits_per_s"], 2) for k, b in base.items() if b.get("fits_per_s")},
    })
    steps.update()

    # 3. SGD over 20 sizes (100 epochs, lr 5e-4 for all sizes, batch 32): one seed and ten seeds
    sgd_sizes = [5, 50, 200] if quick else list(geometric_sizes(5, 2000, 20))
    epochs, lr, batch = (5 if quick else 100), 5e-4, 32
    sgd_base = {}
    if baselines:
        args = ["--sizes", ",".join(map(str, sgd_sizes)), "--epochs", str(epochs), "--lr", str(lr), "--device", dev]
        sgd_base["dataloader"] = run_baseline("dd_sgd.py", *args)
        sgd_base["fast"] = run_baseline("dd_sgd.py", *args, "--fast")
    member = DD.make_sgd_member(ds, max(sgd_sizes), epochs=epochs, batch_size=batch, eval_every=epochs)
    hp = {"n_features": np.asarray(sgd_sizes), "lr": np.full(len(sgd_sizes), lr, np.float32),
          "noise": np.zeros(len(sgd_sizes), np.float32)}
    steps_per_run = -(-n // batch) * epochs
    for n_seeds in (1, 10):
        hist, run_s, compile_s = timed(lambda: sweep.run(member, range(n_seeds), hp, progress=False))
        total = steps_per_run * len(sgd_sizes) * n_seeds
        cases.append({
            "case": f"sgd_{n_seeds}_seed{'s' if n_seeds > 1 else ''}", "sizes": sgd_sizes, "epochs": epochs,
            "model_steps": total, "jdl_s": run_s, "jdl_compile_s": compile_s,
            "jdl_model_steps_per_s": round(total / run_s, 1),
            "jdl_test_mse_seed0": hist["test_loss"][0, :, -1].tolist(),
            "baselines": {k: {f: b.get(f) for f in ("wall_s", "steps_per_s", "device", "test_mse", "error")}
                          for k, b in sgd_base.items()},
            # the baselines train one seed; their time for n_seeds is n_seeds x theirs
            "speedup": {k: ratio(n_seeds * b["wall_s"], run_s) if b.get("wall_s") else None
                        for k, b in sgd_base.items()},
        })
    steps.update()
    steps.close()
    return cases
