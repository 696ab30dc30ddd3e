"""Linear regions: jdl's vmapped exact counter against a NumPy loop over nets on a dense grid.

The baseline is what a course notebook does: for one network at a time, evaluate it on a dense
grid with NumPy and count the kinks (runs of nonzero second differences). It is implemented here
(no external script). It is slower per network and also inexact: kinks closer than the grid
spacing merge, so it undercounts (reported as the agreement with the exact counts).
"""
from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.runner import ratio
from jdl.analysis import pieces as R
from jdl.studies.linear_regions import networks as LRN
from jdl.timing import timed


def numpy_forward(params, x: np.ndarray) -> np.ndarray:
    """One network on a grid ``x`` ``(P,)`` -> ``(P,)``, float64, layer by layer as a notebook would."""
    first, mid, last = [jax.tree.map(np.asarray, p) for p in params]
    h = np.maximum(first["W"].astype(np.float64) @ x[None] + first["b"][:, None], 0)
    for W, b, on in zip(mid["W"], mid["b"], mid["active"]):
        if on > 0:
            h = np.maximum(W @ h + b[:, None], 0)
    return (last["W"] @ h + last["b"][:, None])[0]


def grid_pieces(y: np.ndarray) -> int:
    """Pieces of a sampled curve: 1 + runs of nonzero second differences (a kink inside a cell
    makes two neighbouring ones nonzero)."""
    nz = np.abs(y[2:] - 2 * y[1:-1] + y[:-2]) > 1e-9 * max(1.0, np.abs(y).max())
    return 1 + int(nz[0]) + int(np.sum(nz[1:] & ~nz[:-1]))


def numpy_loop(nets, n: int, a: float, b: float, grid: int) -> tuple[np.ndarray, float]:
    """Counts of the first ``n`` nets, one at a time, and the wall seconds."""
    x = np.linspace(a, b, grid)
    t0 = time.perf_counter()
    counts = [grid_pieces(numpy_forward(jax.tree.map(lambda v: v[i], nets), x)) for i in range(n)]
    return np.asarray(counts), time.perf_counter() - t0


def _case(name, nets, M, a, b, cap, n_loop, grid, baselines):
    out = {"case": name, "networks": M, "max_breakpoints": cap}
    for dtype in ("float32", "float64"):
        res, run_s, compile_s = timed(lambda: R.count_pieces_many(nets, a, b, max_breakpoints=cap, dtype=dtype))
        out[f"jdl_{dtype}"] = {"s": run_s, "compile_s": compile_s, "nets_per_s": round(M / max(run_s, 1e-9), 1),
                               "median_pieces": float(np.median(res.n_pieces)), "n_overflow": int(res.overflow.sum())}
    exact = np.asarray(res.n_pieces)  # float64
    if baselines:
        counts, loop_s = numpy_loop(nets, n_loop, a, b, grid)
        rate = n_loop / loop_s
        out["numpy_grid_loop"] = {"networks": n_loop, "grid_points": grid, "s": round(loop_s, 4),
                                  "nets_per_s": round(rate, 1), "median_pieces": float(np.median(counts)),
                                  "fraction_equal_to_exact": float(np.mean(counts == exact[:n_loop])),
                                  "mean_undercount": float(np.mean(exact[:n_loop] - counts))}
        # rates, not wall times: the loop counts fewer networks
        out["speedup_nets_per_s"] = {d: ratio(out[f"jdl_{d}"]["nets_per_s"], rate) for d in ("float32", "float64")}
    return out


def run(quick: bool, baselines: bool, progress: bool = True) -> list[dict]:
    gpu = jax.default_backend() != "cpu"
    M = 256 if quick else (100_000 if gpu else 4096)
    n_loop, grid = (8, 20_001) if quick else (200, 100_001)
    keys = jax.random.split(jax.random.key(0), M)
    cases = []
    nets = jax.jit(jax.vmap(lambda k: LRN.random_net(k, 4, 16)))(keys)
    cases.append(_case("random_he_1-16x4-1_on_[-3,3]", nets, M, -3.0, 3.0, 512, n_loop, grid, baselines))
    if progress:
        print(f"benchmark linear_regions: {cases[-1]['case']} done", flush=True)
    L = 8 if quick else 10
    nets = jax.jit(jax.vmap(lambda k: LRN.noisy_sawtooth(k, L, jnp.float32(0.1))))(keys)
    cases.append(_case(f"noisy_sawtooth_L{L}_0.1_on_[-2,2]", nets, M, -2.0, 2.0, 2 ** (L + 2), n_loop, grid,
                       baselines))
    return cases
