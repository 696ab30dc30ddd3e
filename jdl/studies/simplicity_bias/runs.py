"""The Boolean-complexity experiment's runs and every metric it reports (Valle-Pérez et al. 2019; Mingard et al. 2019).

:func:`run_all` samples random networks as Boolean functions and counts the distinct truth tables
(:func:`jdl.studies.simplicity_bias.networks.sample_functions`), measures the most frequent ones and fits
the Zipf law and the simplicity-bias bound (:func:`summarize_functions`), and checks that bias-free
perceptrons give every number of ones equally often (:func:`perceptron_uniformity`). It returns the
metrics (``metrics.json``), the counts and what the figures need, so ``experiments/boolean_complexity.py``
only configures, saves, plots and prints.

References:
  Valle-Pérez, Camargo & Louis, "Deep learning generalizes because the parameter-function map is biased
  towards simple functions" (ICLR 2019); Mingard et al., "Neural networks are a priori biased towards
  Boolean functions with low entropy" (2019).
"""
from __future__ import annotations

import dataclasses
import time

import jax
import numpy as np

from jdl.studies.simplicity_bias import frequencies as S
from jdl.studies.simplicity_bias import networks as B

__all__ = ["perceptron_uniformity", "run_all", "summarize_functions"]


def perceptron_uniformity(key, n_inputs: int, n_networks: int, *, chunk: int, progress: bool = False) -> dict:
    """Ones-count distribution of bias-free perceptrons on {0,1}^n: uniform over 0..2^n - 1 in theory.

    Args:
      key: the sampling key; n_inputs: n; n_networks: perceptrons to sample.
      chunk: the main run's chunk (capped at ``n_networks``, a multiple of the device count).

    Returns:
      The ``(2^n + 1,)`` histogram of the number of ones, its chi-square against uniform over ``0..2^n - 1``
      (``dof = 2^n - 1``) and the count of the all-ones function (0 in theory).
    """
    spec = B.NetSpec(n_inputs=n_inputs, hidden=(), bias="none", inputs="01")
    chunk = max(jax.device_count(), min(chunk, n_networks) // jax.device_count() * jax.device_count())
    fc = B.sample_functions(key, spec, n_networks, chunk=chunk, chunks_per_block=1, progress=progress)
    ones = np.asarray(S.measure_tables(fc.keys, n_inputs)["count_ones"])
    hist = np.bincount(ones, weights=fc.counts, minlength=2 ** n_inputs + 1).astype(np.int64)
    observed, expected = hist[:-1], fc.n_sampled / 2 ** n_inputs
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    dof = 2 ** n_inputs - 1
    return {"n_sampled": fc.n_sampled, "ones_histogram": hist, "chi2": chi2, "dof": dof,
            "chi2_over_dof": chi2 / dof, "count_all_ones": int(hist[-1])}


def summarize_functions(fc: B.FunctionCounts, n_inputs: int, *, measure_limit: int = 2_000_000, top: int = 20,
                        zipf_min_count: int = 10) -> tuple[dict, dict]:
    """Probabilities, complexities, the Zipf and simplicity-bound fits and the most frequent functions.

    Args:
      fc: the distinct functions (``keys`` ``(D, W)``, most frequent first) and their ``counts`` ``(D,)``.
      measure_limit: complexity of at most this many (the most frequent) functions.
      top: the most frequent functions listed; zipf_min_count: rarer functions are left out of the fits.

    Returns:
      ``(metrics, figures)``: the metrics (without the spec and timings), and ``{"P", "measures"}`` for the
      figures (``P`` ``(D,)``, the measures of the first ``measured_functions``).
    """
    M, D = fc.n_sampled, len(fc.counts)
    P = fc.counts / M
    k = min(D, measure_limit)
    meas = S.measure_tables(fc.keys[:k], n_inputs)
    names = S.describe(fc.keys[:top], n_inputs)
    named = S.named_functions(n_inputs)
    constant = np.all(fc.keys == named["0"], 1) | np.all(fc.keys == named["1"], 1)
    zipf = S.zipf_fit(fc.counts, zipf_min_count)
    bound = S.simplicity_bound(meas["lz_complexity"], P[:k], min_P=zipf_min_count / M)
    out = {
        "n_sampled": M, "n_distinct": D, "n_singletons": int((fc.counts == 1).sum()),
        "fraction_constant": float(fc.counts[constant].sum() / M),
        "measured_functions": k, "measured_probability_mass": float(P[:k].sum()),
        "zipf": zipf, "simplicity_bound": bound,
        "complexity_histogram": S.complexity_histogram(meas["lz_complexity"], fc.counts[:k], M),
        "top_functions": [
            {"rank": i + 1, "hex": h, "count": int(fc.counts[i]), "P": float(P[i]),
             "K_LZ": float(meas["lz_complexity"][i]), "ones": int(meas["count_ones"][i]),
             "entropy": float(meas["ones_entropy"][i]), "sensitivity": float(meas["average_sensitivity"][i]),
             "csr": float(meas["critical_sample_ratio"][i]), "description": names[i]}
            for i, h in enumerate(S.to_hex(fc.keys[:top]))],
    }
    return out, {"P": P, "measures": meas}


def run_all(spec: B.NetSpec, *, seed: int, n_networks: int, chunk: int, chunks_per_block: int, capacity: int = 0,
            precision=jax.lax.Precision.HIGHEST, checkpoint_dir=None, measure_limit: int = 2_000_000, top: int = 20,
            zipf_min_count: int = 10, perceptron_networks: int = 0, progress: bool = False) -> dict:
    """Everything ``experiments.boolean_complexity`` computes.

    Keys: ``seed`` for the networks, ``seed + 1`` for the perceptrons.

    Args:
      spec: the sampled networks; n_networks, chunk, chunks_per_block, capacity (0: 8 x block), precision,
        checkpoint_dir: :func:`jdl.studies.simplicity_bias.networks.sample_functions`.
      measure_limit, top, zipf_min_count: :func:`summarize_functions`.
      perceptron_networks: 0 skips :func:`perceptron_uniformity`.

    Returns:
      ``{"metrics": {...}, "counts": FunctionCounts, "figures": {"P", "measures"}}``.
    """
    t0 = time.perf_counter()
    fc = B.sample_functions(jax.random.key(seed), spec, n_networks, chunk=chunk, chunks_per_block=chunks_per_block,
                            capacity=capacity or None, precision=precision, checkpoint_dir=checkpoint_dir,
                            progress=progress)
    sample_s = time.perf_counter() - t0
    summary, figs = summarize_functions(fc, spec.n_inputs, measure_limit=measure_limit, top=top,
                                        zipf_min_count=zipf_min_count)
    M = fc.n_sampled
    out = {"spec": dataclasses.asdict(spec), "n_sampled": M, "n_distinct": summary["n_distinct"],
           "n_singletons": summary["n_singletons"], "fraction_constant": summary["fraction_constant"],
           "measured_functions": summary["measured_functions"],
           "measured_probability_mass": summary["measured_probability_mass"],
           "sample_and_count_s": round(sample_s, 3), "networks_per_s": round(M / sample_s, 1),
           "flops_per_network": spec.flops,
           **{k: summary[k] for k in ("zipf", "simplicity_bound", "complexity_histogram", "top_functions")}}
    if perceptron_networks:
        out["perceptron_uniformity"] = perceptron_uniformity(jax.random.key(seed + 1), spec.n_inputs,
                                                             perceptron_networks, chunk=chunk, progress=progress)
    return {"metrics": out, "counts": fc, "figures": figs}
