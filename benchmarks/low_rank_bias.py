"""Low-rank simplicity bias: jdl's vmapped depth x seed programs against a plain NumPy loop over members.

The loop is what a course notebook does: one network at a time (a fresh depth-D net per depth and
seed, a Python loop over layers, ``np.linalg.svd``), and for training hand-written backprop with
heavy-ball momentum, one (depth, rank, lr, seed) member after another. It runs here, in this
file, rather than as a separate baseline script. The trained grid's loop takes fewer steps than
jdl's (its time is linear in steps), so the two are compared by member-steps per second.
"""
from __future__ import annotations

import functools
import time

import numpy as np
from tqdm.auto import tqdm

from benchmarks.runner import ratio
from jdl import sweep
from jdl.studies.low_rank_bias import deep_nets as R
from jdl.timing import timed


def numpy_entropy(sigma):
    p = sigma[sigma > 0] / sigma.sum()
    return float(-np.sum(p * np.log(p)))


def numpy_init_member(seed: int, depth: int, width: int, n: int) -> dict:
    """exp(H) of the end-to-end map and of the linear / ReLU Gram matrices of one fresh net."""
    rng = np.random.default_rng([seed, depth])
    x = rng.standard_normal((n, width)).astype(np.float32)
    prod, h_lin, h_relu = np.eye(width, dtype=np.float32), x, x
    for _ in range(depth):
        w = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
        prod, h_lin = w @ prod, h_lin @ w.T
        h_relu = np.maximum(h_relu @ (np.sqrt(2.0) * w.T), 0.0)
    s = lambda a, p=1: np.linalg.svd(a, compute_uv=False) ** p
    return {"map": np.exp(numpy_entropy(s(prod))), "linear": np.exp(numpy_entropy(s(h_lin, 2))),
            "relu": np.exp(numpy_entropy(s(h_relu, 2)))}


def numpy_train(x_nd, y_nd, w_lww, depth: int, lr: float, momentum: float, steps: int) -> tuple[float, np.ndarray]:
    """Full-batch heavy-ball SGD (torch / optax convention) on the MSE of ``W_D ... W_1 x``.

    Returns the final training MSE and the learned end-to-end map.
    """
    ws = [np.array(w, np.float64) for w in w_lww[:depth]]
    bufs = [np.zeros_like(w) for w in ws]
    x, y = np.asarray(x_nd, np.float64).T, np.asarray(y_nd, np.float64).T  # (d, n)
    scale = 2.0 / y.size
    for _ in range(steps):
        hs = [x]
        for w in ws:
            hs.append(w @ hs[-1])
        g = scale * (hs[-1] - y)
        grads = [None] * depth
        for l in reversed(range(depth)):
            grads[l] = g @ hs[l].T
            g = ws[l].T @ g
        for l in range(depth):
            bufs[l] = momentum * bufs[l] + grads[l]
            ws[l] = ws[l] - lr * bufs[l]
    m = np.eye(x.shape[0])
    for w in ws:
        m = w @ m
    return float(np.mean((m @ x - y) ** 2)), m


def numpy_train_member(seed: int, depth: int, rank: int, lr: float, *, d: int, n: int, steps: int,
                       momentum: float = 0.9, w_std: float = 0.577) -> dict:
    rng = np.random.default_rng([seed, depth, rank])
    u, _ = np.linalg.qr(rng.standard_normal((d, d)))
    v, _ = np.linalg.qr(rng.standard_normal((d, d)))
    target = (u[:, :rank] * np.sqrt(d / rank)) @ v[:, :rank].T
    x = rng.standard_normal((n, d))
    w = rng.standard_normal((depth, d, d)) * w_std / np.sqrt(d)
    with np.errstate(all="ignore"):  # diverging members overflow; their NaN is the result
        loss, m = numpy_train(x, x @ target.T, w, depth, lr, momentum, steps)
        erank = np.exp(numpy_entropy(np.linalg.svd(m, compute_uv=False))) if np.all(np.isfinite(m)) else np.nan
    return {"train_loss": loss, "erank": erank}


def _loop(fn, items, desc, progress):
    t0 = time.perf_counter()
    out = [fn(*it) for it in tqdm(items, desc=desc, disable=not progress, leave=False)]
    return out, round(time.perf_counter() - t0, 4)


def run(quick: bool, baselines: bool, progress: bool = True) -> list[dict]:
    cases = []
    # 1. effective rank at init, every depth x seed (Huh Fig. 2)
    L, width, n, seeds = (16, 32, 64, 2) if quick else (64, 128, 256, 5)
    depths = np.arange(1, L + 1)
    f = functools.partial(R.init_ranks_by_depth, max_depth=L, width=width, n=n)  # every depth in one layer scan
    res, run_s, compile_s = timed(lambda: sweep.map_members(f, sweep.seed_keys(range(seeds)), progress=False))
    members = L * seeds
    case = {"case": f"init_erank_depth1-{L}_x_{seeds}_seeds", "members": members, "width": width, "n_inputs": n,
            "jdl_s": run_s, "jdl_compile_s": compile_s, "jdl_members_per_s": round(members / run_s, 1),
            "jdl": {k: [round(float(np.median(res[f"{k}_erank"][:, i])), 3) for i in (0, L - 1)]
                    for k in ("map", "linear", "relu")}}
    if baselines:
        out, loop_s = _loop(lambda s, D: numpy_init_member(s, D, width, n),
                            [(s, int(D)) for s in range(seeds) for D in depths], "numpy init loop", progress)
        case.update({"numpy_loop_s": loop_s, "numpy_loop_members_per_s": round(members / loop_s, 1),
                     "speedup": ratio(loop_s, run_s),
                     "numpy_loop": {k: [round(float(np.median([o[k] for o in out[i::L]])), 3) for i in (0, L - 1)]
                                    for k in ("map", "linear", "relu")}})
    cases.append(case)

    # 2. the trained grid (Huh Fig. 1): every (depth, rank, lr, seed) member in one program
    if quick:
        d, n_train, depths, ranks, lrs, seeds, steps, loop_steps = 16, 12, (1, 4), (1, 16), (0.1, 0.3), 2, 100, 20
    else:
        d, n_train, depths, ranks = 64, 48, (1, 2, 4, 8), (1, 4, 16, 32, 64)
        lrs, seeds, steps, loop_steps = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0), 3, 5000, 200
    member = R.make_regression_member(d=d, n_train=n_train, n_test=256, max_depth=max(depths), steps=steps,
                                      W_std=0.577)
    g = sweep.grid(depth=np.asarray(depths), rank=np.asarray(ranks), lr=np.asarray(lrs, np.float32))
    out, run_s, compile_s = timed(lambda: sweep.run(member, range(seeds), g, progress=progress))
    members = seeds * len(g["lr"])
    case = {"case": f"trained_grid_{len(depths)}x{len(ranks)}x{len(lrs)}x{seeds}", "members": members, "d": d,
            "n_train": n_train, "steps": steps, "jdl_s": run_s, "jdl_compile_s": compile_s,
            "jdl_members_per_s": round(members / run_s, 2),
            "jdl_member_steps_per_s": round(members * steps / run_s, 1),
            "jdl_diverged": int(sweep.nonfinite(out["train_loss"], 2).sum())}
    if baselines:
        items = [(s, D, r, lr) for s in range(seeds) for D, r, lr in zip(g["depth"], g["rank"], g["lr"])]
        res, loop_s = _loop(lambda s, D, r, lr: numpy_train_member(s, int(D), int(r), float(lr), d=d, n=n_train,
                                                                   steps=loop_steps), items, "numpy train loop",
                            progress)
        rate = members * loop_steps / loop_s
        case.update({"numpy_loop_steps": loop_steps, "numpy_loop_s": loop_s,
                     "numpy_loop_member_steps_per_s": round(rate, 1),
                     "speedup_member_steps_per_s": round(case["jdl_member_steps_per_s"] / rate, 2),
                     "numpy_loop_diverged": int(sum(not np.isfinite(r["train_loss"]) for r in res))})
    cases.append(case)
    return cases
