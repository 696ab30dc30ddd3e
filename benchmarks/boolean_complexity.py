"""Boolean simplicity bias: jdl's sample-and-count against boolean_complexity.py (batched PyTorch and naive loop)."""
from __future__ import annotations

import jax
import numpy as np

from benchmarks.runner import baseline_device, run_baseline
from jdl.studies.simplicity_bias import frequencies as S
from jdl.studies.simplicity_bias import networks as B
from jdl.timing import timed


def run(quick: bool, baselines: bool, progress: bool = True) -> list[dict]:
    gpu = jax.default_backend() != "cpu"
    M = 50_000 if quick else (100_000_000 if gpu else 1_000_000)
    chunk, per_block = (65536, 16) if gpu else (4096, 16)
    spec = B.NetSpec()
    dev = baseline_device()
    base = {}
    if baselines:
        base["torch_batched"] = run_baseline("boolean_complexity.py", "--M", str(M), "--device", dev)
        base["torch_naive_loop"] = run_baseline("boolean_complexity.py", "--naive", "--M", "500" if quick else "3000",
                                                "--device", dev)
    fc, run_s, compile_s = timed(lambda: B.sample_functions(jax.random.key(0), spec, M, chunk=chunk,
                                                            chunks_per_block=per_block, progress=progress))
    rate = fc.n_sampled / run_s
    named = S.named_functions(spec.n_inputs)
    constant = np.all(fc.keys == named["0"], 1) | np.all(fc.keys == named["1"], 1)
    case = {
        "case": "sample_and_count_7-40-40-1", "networks": fc.n_sampled, "chunk": chunk, "chunks_per_block": per_block,
        "jdl_s": run_s, "jdl_compile_s": compile_s, "jdl_networks_per_s": round(rate, 1),
        "flops_per_network": spec.flops, "jdl_gflops": round(rate * spec.flops / 1e9, 1),
        "jdl": {"n_distinct": len(fc.counts), "n_singletons": int((fc.counts == 1).sum()),
                "freq_constant": float(fc.counts[constant].sum() / fc.n_sampled),
                "top10_freq": (fc.counts[:10] / fc.n_sampled).tolist()},
        "baselines": {k: {f: b.get(f) for f in ("networks_per_s", "wall_s", "M", "device", "n_distinct",
                                                "freq_constant", "top10_freq", "error")} for k, b in base.items()},
        # rates, not wall times: the naive loop samples fewer networks
        "speedup_networks_per_s": {k: round(rate / b["networks_per_s"], 1) for k, b in base.items()
                                   if b.get("networks_per_s")},
    }
    return [case]
