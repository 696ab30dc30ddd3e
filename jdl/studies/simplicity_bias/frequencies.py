"""Statistics of sampled Boolean functions: rank-frequency (Zipf), complexity vs probability, names.

Inputs are :class:`jdl.studies.simplicity_bias.networks.FunctionCounts`-style arrays: packed truth tables ``keys_DW`` and
their counts, most frequent first.

References:
  Valle-Pérez, Camargo & Louis, ICLR 2019 (arXiv:1805.08522), Figs. 1-2; Dingle, Camargo & Louis,
  "Input-output maps are strongly biased towards simple outputs", Nat. Commun. 9, 761 (2018): the
  simplicity-bias bound ``P(x) <= 2^(-a K(x) - b)``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jdl.studies.simplicity_bias.complexity import measures, pack_bits, unpack_bits

__all__ = ["measure_tables", "zipf_fit", "simplicity_bound", "complexity_histogram", "named_functions", "describe",
           "to_hex"]


def measure_tables(keys_DW: np.ndarray, n_inputs: int, batch: int = 65536) -> dict[str, np.ndarray]:
    """Every complexity measure of :func:`jdl.studies.simplicity_bias.complexity.measures` for packed tables, in batches.

    One compiled program (the last batch is padded), results on the host.
    """
    D = len(keys_DW)
    fn = jax.jit(lambda k: measures(unpack_bits(k, 2 ** n_inputs), n_inputs))
    out: dict[str, list] = {}
    batch = max(1, min(batch, D))
    for start in range(0, D, batch):
        part = keys_DW[start:start + batch]
        pad = batch - len(part)
        part = np.concatenate([part, np.repeat(part[:1], pad, 0)]) if pad else part
        for k, v in fn(jnp.asarray(part)).items():
            out.setdefault(k, []).append(np.asarray(v)[:batch - pad])
    return {k: np.concatenate(v) for k, v in out.items()}


def zipf_fit(counts_D: np.ndarray, min_count: int = 10) -> dict:
    """Least-squares line through ``log10 P`` against ``log10 rank`` for ranks with ``count >= min_count``.

    A Zipf law ``P ∝ 1/rank`` has exponent (negated slope) 1. Ranks whose counts are small are
    dominated by sampling noise and are left out.

    >>> c = np.round(1e6 / np.arange(1, 200)).astype(int)
    >>> round(zipf_fit(c)["exponent"], 3)
    1.0
    """
    counts_D = np.asarray(counts_D)
    keep = counts_D >= min_count
    if keep.sum() < 2:
        return {"exponent": None, "intercept": None, "n_ranks": int(keep.sum()), "min_count": min_count}
    rank = np.arange(1, len(counts_D) + 1)[keep]
    p = counts_D[keep] / counts_D.sum()
    slope, intercept = np.polyfit(np.log10(rank), np.log10(p), 1)
    return {"exponent": float(-slope), "intercept": float(intercept), "n_ranks": int(keep.sum()),
            "min_count": min_count}


def simplicity_bound(K_D: np.ndarray, P_D: np.ndarray, n_bins: int = 20, min_P: float = 0.0) -> dict:
    """Fit ``log2 P <= -a K + b`` to the upper envelope (max ``log2 P`` per complexity bin).

    Only functions with ``P >= min_P`` enter: below a few counts the envelope is the sampling floor
    ``1/M``, not the bound. Returns ``a``, ``b`` and the per-bin envelope used.

    >>> K = np.array([1.0, 2.0, 3.0, 3.0])
    >>> fit = simplicity_bound(K, 2.0 ** -K, n_bins=3)
    >>> round(fit["a"], 6), abs(round(fit["b"], 6))
    (1.0, 0.0)
    """
    keep = np.asarray(P_D) >= min_P
    K_D, logP = np.asarray(K_D, float)[keep], np.log2(np.asarray(P_D, float)[keep])
    if len(K_D) == 0:
        return {"a": None, "b": None, "envelope_K": [], "envelope_log2P": [], "min_P": min_P}
    edges = np.linspace(K_D.min(), K_D.max() + 1e-9, n_bins + 1)
    idx = np.clip(np.digitize(K_D, edges) - 1, 0, n_bins - 1)
    centers, top = [], []
    for i in range(n_bins):
        sel = idx == i
        if sel.any():
            j = np.argmax(np.where(sel, logP, -np.inf))
            centers.append(K_D[j])
            top.append(logP[j])
    if len(centers) < 2:
        return {"a": None, "b": None, "envelope_K": centers, "envelope_log2P": top, "min_P": min_P}
    slope, intercept = np.polyfit(centers, top, 1)
    return {"a": float(-slope), "b": float(intercept), "envelope_K": centers, "envelope_log2P": top, "min_P": min_P}


def complexity_histogram(K_D: np.ndarray, counts_D: np.ndarray, n_samples: int, k_bins: int = 16,
                         p_bins: int = 16) -> dict:
    """Per complexity bin: distinct functions, total probability, and a histogram over ``log10 P``."""
    K_D = np.asarray(K_D, float)
    P_D = np.asarray(counts_D, float) / n_samples
    k_edges = np.linspace(K_D.min(), K_D.max() + 1e-9, k_bins + 1)
    p_edges = np.linspace(np.log10(1.0 / n_samples) - 1e-9, 0.0, p_bins + 1)
    hist, _, _ = np.histogram2d(K_D, np.log10(P_D), bins=(k_edges, p_edges))
    which = np.clip(np.digitize(K_D, k_edges) - 1, 0, k_bins - 1)
    return {
        "K_edges": k_edges, "log10P_edges": p_edges, "functions_per_bin": hist.astype(np.int64),
        "distinct_per_K_bin": np.bincount(which, minlength=k_bins),
        "probability_per_K_bin": np.bincount(which, weights=P_D, minlength=k_bins),
        "max_P_per_K_bin": np.array([P_D[which == i].max() if (which == i).any() else 0.0 for i in range(k_bins)]),
    }


def named_functions(n_inputs: int) -> dict[str, np.ndarray]:
    """Packed tables of functions with a short description: constants, ``x_j``, ``NOT x_j``,
    one-point (``x == i``) and all-but-one-point (``x != i``), AND/OR of all inputs.

    >>> list(named_functions(2))[:6]
    ['0', '1', 'x0', 'NOT x0', 'x1', 'NOT x1']
    >>> len(named_functions(2))  # AND(x) is x == 3, x == 0 is NOR: one name each
    14
    """
    L = 2 ** n_inputs
    idx = np.arange(L)
    tables: dict[str, np.ndarray] = {"0": np.zeros(L, bool), "1": np.ones(L, bool)}
    for j in range(n_inputs):
        tables[f"x{j}"] = (idx >> j) & 1 == 1
        tables[f"NOT x{j}"] = (idx >> j) & 1 == 0
    if n_inputs > 1:
        tables["AND(x)"] = idx == L - 1
        tables["OR(x)"] = idx != 0
    for i in range(L):
        tables.setdefault(f"x == {i}", idx == i)
        tables.setdefault(f"x != {i}", idx != i)
    # the first name wins for a table with several (AND(x) is also "x == 2^n - 1")
    named: dict[str, np.ndarray] = {}
    seen = set()
    for name, t in tables.items():
        key = np.asarray(pack_bits(jnp.asarray(t))).tobytes()
        if key not in seen:
            seen.add(key)
            named[name] = np.asarray(pack_bits(jnp.asarray(t)))
    return named


def describe(keys_DW: np.ndarray, n_inputs: int) -> list[str]:
    """A name from :func:`named_functions` for each packed table, or ``""``."""
    lookup = {v.tobytes(): k for k, v in named_functions(n_inputs).items()}
    return [lookup.get(np.ascontiguousarray(k, np.uint32).tobytes(), "") for k in np.asarray(keys_DW)]


def to_hex(keys_DW: np.ndarray) -> list[str]:
    """Truth tables as hex strings, most significant word first (bit ``i`` = input ``i``).

    >>> to_hex(np.array([[1, 0x80000000]], np.uint32))
    ['0x8000000000000001']
    """
    return ["0x" + "".join(f"{int(w):08x}" for w in row[::-1]) for row in np.asarray(keys_DW)]
