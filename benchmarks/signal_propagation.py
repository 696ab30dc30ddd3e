"""Signal propagation: jdl's vmapped (seed x sigma^2) grid against the notebook's NumPy loops, one point at a time.

The baseline is udlbook CM20315 Gradients III's computation as it is written: lists of weight
matrices, a Python loop over layers forward and another backward (the notebook's
``compute_network_output`` and ``backward_pass``, here on the whole batch of inputs at once, which
its matrix code allows), for one (seed, sigma^2) after another. Both sides run in float64.
"""
from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.runner import ratio
from jdl import nn
from jdl.precision import precision
from jdl.studies.signal_propagation import propagation as S
from jdl.timing import timed

_ACT = {"relu": (lambda f: f.clip(0.0), lambda f: (f >= 0).astype(f.dtype)),
        "tanh": (np.tanh, lambda f: 1.0 - np.tanh(f) ** 2)}


def numpy_stats(weights: list[np.ndarray], x_1n: np.ndarray, activation: str = "relu") -> tuple[np.ndarray, ...]:
    """The notebook's forward and backward loops (biases zero, y = 0); per-layer variances ``(K,)`` each.

    Returns ``(var h_k, var dL/df_k, var dL/dh_k)`` for hidden layers ``k = 1..K`` (``x_1n``: ``(1, n)``).
    """
    act, dact = _ACT[activation]
    K = len(weights) - 1
    all_f, all_h = [None] * (K + 1), [None] * (K + 1)
    all_h[0] = x_1n
    for layer in range(K):
        all_f[layer] = weights[layer] @ all_h[layer]
        all_h[layer + 1] = act(all_f[layer])
    all_f[K] = weights[K] @ all_h[K]
    all_dl_df, all_dl_dh = [None] * (K + 1), [None] * (K + 1)
    all_dl_df[K] = 2 * all_f[K]
    for layer in range(K, 0, -1):
        all_dl_dh[layer] = weights[layer].T @ all_dl_df[layer]
        all_dl_df[layer - 1] = dact(all_f[layer - 1]) * all_dl_dh[layer]
    return (np.array([np.var(all_h[k]) for k in range(1, K + 1)]), np.array([np.var(all_dl_df[k]) for k in range(K)]),
            np.array([np.var(all_dl_dh[k]) for k in range(1, K + 1)]))


def numpy_point(seed: int, sigma_sq: float, K: int, D: int, n_data: int, activation: str = "relu"):
    """One (seed, sigma^2) as the notebook does it: seed NumPy, draw the weights and inputs, loop."""
    rng = np.random.default_rng(seed)
    s = np.sqrt(sigma_sq)
    weights = ([rng.normal(size=(D, 1)) * s] + [rng.normal(size=(D, D)) * s for _ in range(K - 1)]
               + [rng.normal(size=(1, D)) * s])
    return numpy_stats(weights, rng.normal(size=(1, n_data)), activation)


def _agreement(K: int, D: int, n_data: int, sigma_sq: float, activation: str) -> float:
    """Largest relative difference between jdl and the NumPy loops on the same weights and inputs."""
    with precision(jnp.float64):
        k_net, k_x = jax.random.split(jax.random.key(0))  # jdl.studies.signal_propagation.propagation.member_stats's draws
        net = nn.scale_deep_mlp(nn.init_deep_mlp(k_net, K, D, dtype=jnp.float64), sigma_sq)
        x = jax.random.normal(k_x, (n_data, 1), jnp.float64)
        got = S.signal_stats(net, x, activation)
    weights = [np.asarray(net.W_in)] + list(np.asarray(net.W_hid)) + [np.asarray(net.W_out)]
    want = numpy_stats(weights, np.asarray(x).T, activation)
    return float(max(np.max(np.abs(np.asarray(g) / w - 1)) for g, w in zip(got[:3], want)))


def run(quick: bool, baselines: bool, progress: bool = True) -> list[dict]:
    gpu = jax.default_backend() != "cpu"
    K, D = 50, 80
    n_data = 100 if quick else 1000
    n_seeds, n_sigma = (2, 4) if quick else ((16, 41) if gpu else (4, 11))
    sig = np.geomspace(0.25, 8.0, n_sigma) / D
    seeds = list(range(n_seeds))
    points = n_seeds * n_sigma
    cases = []
    dtypes = ("float64",) if quick else ("float64", "float32")
    base = None
    if baselines:  # a subset of the same points, timed one by one (the rate is what is compared)
        todo = [(s, g) for s in seeds for g in sig][: points if quick else 16]
        t0 = time.perf_counter()
        for s, g in todo:
            numpy_point(s, g, K, D, n_data)
        wall = time.perf_counter() - t0
        base = {"points": len(todo), "wall_s": round(wall, 4), "points_per_s": round(len(todo) / wall, 2),
                "max_rel_diff_vs_jdl": _agreement(K, D, n_data, 2.0 / D, "relu")}
    for dtype in dtypes:
        st, run_s, compile_s = timed(lambda: S.propagation_sweep(seeds, sig, K=K, D=D, n_data=n_data, activation="relu",
                                                                 dtype=jnp.dtype(dtype), progress=progress))
        rate = points / run_s
        crit = S.critical_sigma_sq(sig, S.growth_rate(st.forward_var.mean(0)))
        cases.append({
            "case": f"relu_K{K}_D{D}_n{n_data}_{dtype}", "points": points, "seeds": n_seeds, "sigma_sq": n_sigma,
            "jdl_s": run_s, "jdl_compile_s": compile_s, "jdl_points_per_s": round(rate, 2),
            "flops_per_point": 4 * K * D * D * n_data,  # forward and backward matmuls (the first/last layers aside)
            "jdl": {"critical_sigma_sq_D": crit * D},
            "baselines": {"numpy_loop": base} if base else {},
            "speedup_points_per_s": {"numpy_loop": ratio(rate, base["points_per_s"])} if base else {},
        })
    return cases
