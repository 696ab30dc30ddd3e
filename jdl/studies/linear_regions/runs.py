"""The linear-regions experiment's runs and every metric it reports (Telgarsky 2016; Hanin & Rolnick 2019).

:func:`run_all` counts, exactly (:mod:`jdl.analysis.pieces`), the pieces of the sawtooth for every depth
(:func:`sawtooth_exact`), of its perturbed / random-middle / re-initialised variants over seeds and depths
(:func:`sawtooth_variants`), of random nets at init over depths and widths (:func:`random_nets`), and of
composed shallow nets (:func:`composed_copies`), then evaluates what the figures draw (:func:`figure_data`).
It returns the metrics (``metrics.json``) and the figures' inputs, so ``experiments/linear_regions.py``
only configures, plots and prints.

References:
  Telgarsky, "Benefits of depth in neural networks" (COLT 2016); Hanin & Rolnick, "Complexity of linear
  regions in deep networks" (ICML 2019).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl import stats, sweep
from jdl.analysis import pieces as R
from jdl.precision import precision
from jdl.studies.linear_regions import networks as LRN
from jdl.timing import timed

__all__ = ["composed_copies", "curve", "figure_data", "growth_per_layer", "random_nets", "run_all",
           "sawtooth_exact", "sawtooth_variants", "variant", "variant_labels"]


def _cast(params, dtype):
    return jax.tree.map(lambda x: x.astype(dtype), params)


def growth_per_layer(depths: Sequence[int], pieces_d) -> float | None:
    """Per-layer growth factor: 2^(slope of log2 pieces against depth) over the deeper half.

    Non-finite and zero counts are left out; ``None`` with fewer than two points left.

    >>> round(growth_per_layer([1, 2, 3, 4], [2, 4, 8, 16]), 6)
    2.0
    """
    d, p = np.asarray(depths, float), np.asarray(pieces_d, float)
    keep = (d >= d.max() / 2) & np.isfinite(p) & (p > 0)
    return float(2 ** np.polyfit(d[keep], np.log2(p[keep]), 1)[0]) if keep.sum() >= 2 else None


def sawtooth_exact(max_depth: int, *, max_breakpoints: int = 0, dtype: str = "float64") -> dict:
    """Pieces and regions of the sawtooth on [-2, 2] for depths ``1..max_depth`` (one counter call).

    Args:
      max_depth: the deepest sawtooth (its capacity is ``2^max_depth`` breakpoints unless ``max_breakpoints``).
      max_breakpoints: 0: ``2^max_depth``.
      dtype: ``"float32"`` or ``"float64"``.

    Returns:
      ``{"depths", "pieces" (L,), "regions" (L,), "exactly_2_pow_L"}``.
    """
    L = max_depth
    nets = jax.vmap(lambda d: LRN.sawtooth(d, max_depth=L))(jnp.arange(1, L + 1))
    res = R.count_pieces_many(nets, -2.0, 2.0, max_breakpoints=max_breakpoints or 2 ** L, dtype=dtype)
    pieces = np.asarray(res.n_pieces)
    return {"depths": list(range(1, L + 1)), "pieces": pieces, "regions": np.asarray(res.n_regions),
            "exactly_2_pow_L": bool(np.all(pieces == 2 ** np.arange(1, L + 1)))}


def variant(key, kind, noise, depth, max_depth: int, init: str):
    """One sawtooth variant; ``kind`` 0: noisy sawtooth, 1: random middle layers, 2: the whole 2-unit net re-initialised.

    All three have the same shapes, so ``kind`` may be traced: one program serves the grid.
    """
    variants = (LRN.noisy_sawtooth(key, depth, noise, max_depth=max_depth),
                LRN.random_middle_sawtooth(key, depth, max_depth=max_depth, init=init),
                LRN.random_net(key, depth, 2, max_depth=max_depth, init=init))
    return jax.tree.map(lambda a, b, r: jnp.where(kind == 0, a, jnp.where(kind == 1, b, r)), *variants)


def variant_labels(noise_levels: Sequence[float], middle_init: str) -> list[str]:
    """The variants' labels: one per noise level, then random middle layers and the whole net re-initialised."""
    return [f"noise {s:g}" for s in noise_levels] + [f"random middle ({middle_init})",
                                                     f"whole net re-init ({middle_init})"]


def _kinds(noise_levels: Sequence[float], repeat: int):
    kind = np.repeat([0] * len(noise_levels) + [1, 2], repeat)
    noise = np.repeat(list(noise_levels) + [0.0, 0.0], repeat).astype(np.float32)
    return kind, noise


def sawtooth_variants(key, *, max_depth: int, noise_levels: Sequence[float], seeds: int, middle_init: str = "torch",
                      max_breakpoints: int = 0, dtype: str = "float64", chunk: int = 256,
                      progress: bool = False) -> tuple[dict, np.ndarray]:
    """Noisy / random-middle / re-initialised sawtooths: every (variant, depth, seed) in one program.

    Args:
      key: split into one fresh network per member.
      max_depth: depths ``1..max_depth``; noise_levels: std of the noise on the middle layers.
      seeds: networks per (variant, depth); middle_init: ``"torch"`` or ``"he"``.
      max_breakpoints: 0: ``2^(max_depth + 2)``; chunk: networks per compiled call.

    Returns:
      ``(metrics, pieces)``: the medians, quartiles, growth per layer, overflow count and timings, and the
      ``(V, L, S)`` counts (NaN where a count overflowed).
    """
    L, S = max_depth, seeds
    labels = variant_labels(noise_levels, middle_init)
    kind, noise = _kinds(noise_levels, L * S)
    depth = np.tile(np.repeat(np.arange(1, L + 1), S), len(labels)).astype(np.int32)
    keys = jax.random.split(key, len(kind))  # a fresh network per member
    cap, dt = max_breakpoints or 2 ** (L + 2), jnp.dtype(dtype)

    def member(m):
        p = variant(m["key"], m["kind"], m["noise"], m["depth"], L, middle_init)
        return R.count_pieces(_cast(p, dt), -2.0, 2.0, max_breakpoints=cap)

    inputs = {"key": keys, "kind": kind, "noise": noise, "depth": depth}
    with precision(dtype):
        res, run_s, compile_s = timed(lambda: sweep.map_members(member, inputs, chunk_size=chunk,
                                                                progress=progress, desc="sawtooth variants"))
    pieces = stats.finite(res.n_pieces, res.overflow).reshape(len(labels), L, S)  # an overflowed count is left out
    median = stats.finite_median(pieces, -1)
    q25, q75 = stats.finite_quantiles(pieces, [0.25, 0.75], -1)
    return {"labels": labels, "depths": list(range(1, L + 1)), "median_pieces": median,
            "q25_pieces": q25, "q75_pieces": q75,
            "growth_per_layer": {lab: growth_per_layer(range(1, L + 1), m) for lab, m in zip(labels, median)},
            "n_overflow": int(res.overflow.sum()), "max_breakpoints": cap, "networks": len(kind),
            "run_s": run_s, "compile_s": compile_s, "networks_per_s": round(len(kind) / max(run_s, 1e-9), 1)}, pieces


def random_nets(key, *, depths: Sequence[int], widths: Sequence[int], net_seeds: int, init: str = "he",
                b_std: float = 1.0, interval: float = 3.0, max_breakpoints: int = 0, dtype: str = "float64",
                chunk: int = 256, progress: bool = False) -> dict:
    """Random ``1 -> width x depth -> 1`` nets at init: pieces on ``[-interval, interval]`` against neurons N.

    Every (depth, width, seed) is one member of one program (padded to the largest depth and width).

    Returns:
      Medians and quartiles ``(D, W)``, ``neurons`` ``(D, W)``, the least-squares slope of pieces on N
      through the origin (``pieces_per_neuron``), the log-log exponent in N and the overflow count.
    """
    g = sweep.grid(depth=list(depths), width=list(widths), seed=list(range(net_seeds)))
    D, H = max(depths), max(widths)
    cap, dt = max_breakpoints or 4 * D * H + 64, jnp.dtype(dtype)
    keys = jax.random.split(key, len(g["seed"]))

    def member(m):
        p = LRN.random_net(m["key"], m["depth"], m["width"], max_depth=D, max_width=H, init=init, b_std=b_std)
        return R.count_pieces(_cast(p, dt), -interval, interval, max_breakpoints=cap)

    inputs = {"key": keys, "depth": g["depth"].astype(np.int32), "width": g["width"].astype(np.int32)}
    with precision(dtype):
        res = sweep.map_members(member, inputs, chunk_size=chunk, progress=progress, desc="random nets")
    shape = (len(depths), len(widths), net_seeds)
    pieces = stats.finite(res.n_pieces, res.overflow).reshape(shape)  # an overflowed count is left out
    median = stats.finite_median(pieces, -1)
    q25, q75 = stats.finite_quantiles(pieces, [0.25, 0.75], -1)
    N = np.outer(depths, widths).astype(float)
    ok = np.isfinite(median)
    slope = float(np.sum(N[ok] * median[ok]) / np.sum(N[ok] ** 2))  # least squares through the origin
    exponent = float(np.polyfit(np.log(N[ok]), np.log(np.maximum(median[ok], 1)), 1)[0])
    return {"depths": list(depths), "widths": list(widths), "neurons": N, "median_pieces": median,
            "q25_pieces": q25, "q75_pieces": q75,
            "median_regions": stats.finite_median(stats.finite(res.n_regions, res.overflow).reshape(shape), -1),
            "pieces_per_neuron": slope, "loglog_exponent_in_N": exponent,
            "n_overflow": int(res.overflow.sum()), "max_breakpoints": cap}


def composed_copies(nets: Mapping[str, tuple], copies: int, *, dtype: str = "float64") -> dict:
    """Pieces on [-1, 1] of ``nets`` and of ``net2(net1(...net1(x)))`` with 1..``copies`` copies of net1.

    Args:
      nets: ``{name: layers}`` of ``1 -> 3 x depth -> 1`` nets (:mod:`jdl.analysis.pieces` layers, e.g. the
        udlbook notebook's), with ``"net1"`` and ``"net2"`` among them.
      copies: the most copies of net1.

    Returns:
      ``{"pieces": {name: count}, "copies", "pieces_net2_of_net1_copies", "matches_4_times_3_pow_N"}``.
    """
    deep = R.compose_chain(nets["net1"], nets["net2"], copies)
    # every net is 1 -> 3 x depth -> 1: padded to one depth, they share one compiled count
    D = copies + 1
    stacked = jax.tree.map(lambda *x: jnp.stack(x), *[R.pad_depth(p, D) for p in [*nets.values(), *deep]])
    pieces = R.count_pieces_many(stacked, -1.0, 1.0, max_breakpoints=8 * 3 ** copies, dtype=dtype).n_pieces
    counts = pieces[len(nets):].tolist()
    return {"pieces": dict(zip(nets, pieces[:len(nets)].tolist())), "copies": list(range(1, D)),
            "pieces_net2_of_net1_copies": counts,
            "matches_4_times_3_pow_N": counts == [4 * 3 ** n for n in range(1, D)]}


_evaluate_curve = jax.jit(jax.vmap(R.evaluate, in_axes=(None, 0)))  # one compile per network shape


def curve(params, lo: float, hi: float, n: int = 4001) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D network on ``n`` evenly spaced inputs of ``[lo, hi]``: ``(x (n,), y (n,))``."""
    x = jnp.linspace(lo, hi, n)
    return np.asarray(x), np.asarray(_evaluate_curve(params, x)[:, 0])


def figure_data(key, saw: dict, var: dict, var_pieces: np.ndarray, nets: Mapping[str, tuple], *,
                plot_depths: Sequence[int], max_depth: int, noise_levels: Sequence[float], middle_init: str,
                dtype: str = "float64") -> dict:
    """What the figures draw: sawtooth curves, example variants (3 per panel, 6 hidden layers), the composed nets.

    Returns:
      ``{"sawtooth_curves": [(L, x, y, pieces)], "variant_examples": [(title, [(x, y)], counts)],
      "variant_pieces": {label: (S, L)}, "composition_x": (n,), "composition_curves": {name: (n,)}}``.
    """
    Lmax = max(plot_depths)
    saw_curves = [(L, *curve(LRN.sawtooth(L, max_depth=Lmax), -2, 2), saw["pieces"][L - 1]) for L in plot_depths]
    L6, n_ex = min(6, max_depth), 3  # the assignment's plot: 6 hidden layers; 3 nets per panel
    kind, noise = _kinds(noise_levels, n_ex)
    keys = jax.random.split(key, len(kind))
    make = jax.jit(jax.vmap(lambda k, i, s: variant(k, i, s, L6, L6, middle_init)))
    ex = make(keys, kind, noise)
    counts = R.count_pieces_many(ex, -2.0, 2.0, max_breakpoints=2 ** (L6 + 2), dtype=dtype).n_pieces
    examples = [(f"L={L6}, {label}", [curve(jax.tree.map(lambda x, i=i: x[i], ex), -2, 2)
                                      for i in range(j * n_ex, (j + 1) * n_ex)],
                 counts[j * n_ex:(j + 1) * n_ex].tolist()) for j, label in enumerate(var["labels"])]
    return {"sawtooth_curves": saw_curves, "variant_examples": examples,
            "variant_pieces": {lab: var_pieces[i].T for i, lab in enumerate(var["labels"])},
            "composition_x": curve(R.pad_depth(nets["net1"], 3), -1, 1)[0],
            "composition_curves": {name: curve(R.pad_depth(p, 3), -1, 1)[1] for name, p in nets.items()}}


def run_all(*, seed: int, sawtooth_depth: int, plot_depths: Sequence[int], noisy_depth: int,
            noise_levels: Sequence[float], seeds: int, middle_init: str, widths: Sequence[int],
            depths: Sequence[int], net_seeds: int, init: str, b_std: float, interval: float,
            composed: Mapping[str, tuple], copies: int, max_breakpoints: int = 0, dtype: str = "float64",
            chunk: int = 256, progress: bool = False) -> dict:
    """Everything ``experiments.linear_regions`` computes.

    Keys: ``seed`` for the variants, ``seed + 1`` for the random nets, ``seed + 2`` for the example variants.

    Args:
      composed: the shallow nets composed by :func:`composed_copies` (with ``"net1"`` and ``"net2"``).
      copies: up to this many copies of net1 before net2.
      Others: as in :func:`sawtooth_exact`, :func:`sawtooth_variants` and :func:`random_nets`.

    Returns:
      ``{"metrics": {...}, "figures": figure_data(...)}``; the metrics hold ``sawtooth``,
      ``sawtooth_variants``, ``random_nets``, ``udlbook`` and ``networks_per_s``.
    """
    common = {"max_breakpoints": max_breakpoints, "dtype": dtype, "chunk": chunk, "progress": progress}
    saw = sawtooth_exact(sawtooth_depth, max_breakpoints=max_breakpoints, dtype=dtype)
    var, var_pieces = sawtooth_variants(jax.random.key(seed), max_depth=noisy_depth, noise_levels=noise_levels,
                                        seeds=seeds, middle_init=middle_init, **common)
    rnd = random_nets(jax.random.key(seed + 1), depths=depths, widths=widths, net_seeds=net_seeds, init=init,
                      b_std=b_std, interval=interval, **common)
    udl = composed_copies(composed, copies, dtype=dtype)
    figs = figure_data(jax.random.key(seed + 2), saw, var, var_pieces, composed, plot_depths=plot_depths,
                       max_depth=noisy_depth, noise_levels=noise_levels, middle_init=middle_init, dtype=dtype)
    return {"metrics": {"sawtooth": saw, "sawtooth_variants": var, "random_nets": rnd, "udlbook": udl,
                        "networks_per_s": var["networks_per_s"]}, "figures": figs}
