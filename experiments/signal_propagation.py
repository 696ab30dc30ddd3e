"""Exploding and vanishing signals at initialisation (udlbook CM20315 Gradients III, Prince 2023 sec. 7.5).

    python -m experiments.signal_propagation --quick   # 4 seeds x 11 sigma^2, 100 inputs: seconds on a CPU
    python -m experiments.signal_propagation           # 16 seeds x 41 sigma^2, 1000 inputs (the notebook's sizes): ~4 min on 2 CPU cores

The notebook's network: a scalar input x ~ N(0, 1), K = 50 hidden layers of D = 80 units, a scalar
output, every weight N(0, sigma^2), biases zero, loss (out - 0)^2. For a grid of sigma^2 x seeds
(one compiled program per activation, float64) it measures per layer the variance of the
activations h_k (forward) and of dL/df_k (backward; the notebook's ``all_dl_df``) over units and
inputs, averages over seeds, and fits the growth rate (decades per layer along the signal's path).
The critical sigma^2 is where that rate crosses zero. It then compares LeCun / Glorot / He
(fan-dependent variances per layer) for ReLU and tanh.

Expected: for ReLU each layer scales both signals by sigma^2 D / 2, so the critical sigma^2 is He's
2/D (found within a few %): 1/D vanishes and 4/D explodes by ~15 orders of magnitude over 50
layers, while at 2/D the seed-averaged variance stays within a factor ~3 (the median network still
decays a few-fold: a finite-width effect of order K/D). For tanh the edge is LeCun's 1/D; He keeps
tanh's forward signal bounded but its gradients explode. Glorot equals LeCun on the square layers.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.nn import ACTIVATIONS
from jdl.stats import finite_median  # (run() keeps its sweeps in a local named stats)
from jdl.studies.signal_propagation import plots as SPL
from jdl.studies.signal_propagation import propagation as S

NAME = "signal_propagation"
SCHEMES = ("lecun", "glorot", "he")
DTYPES = {"float64": jnp.float64, "float32": jnp.float32}


@dataclass(frozen=True)
class Config:
    K: int = field(default=50, metadata={"help": "hidden layers"})
    D: int = field(default=80, metadata={"help": "units per hidden layer"})
    n_data: int = field(default=1000, metadata={"help": "inputs x ~ N(0, 1) per seed"})
    seeds: tuple[int, ...] = field(default=tuple(range(16)), metadata={"help": "each seed draws weights and inputs"})
    sigma_sq_min: float = field(default=0.25, metadata={"help": "smallest weight variance sigma^2, in units of 1/D"})
    sigma_sq_max: float = field(default=8.0, metadata={"help": "largest sigma^2, in units of 1/D"})
    n_sigma_sq: int = field(default=41, metadata={"help": "log-spaced sigma^2 values"})
    line_sigma_sq: tuple[float, ...] = field(
        default=(0.5, 1.0, 2.0, 4.0), metadata={"help": "sigma^2 (units of 1/D) drawn as lines; added to the grid"})
    activations: tuple[str, ...] = field(default=("relu", "tanh"),
                                         metadata={"help": "nonlinearities (jdl.nn.ACTIVATIONS)"})
    schemes: tuple[str, ...] = field(default=SCHEMES, metadata={"help": "init schemes compared per activation"})
    dtype: str = field(default="float64", metadata={"help": "float64 | float32 (float32 under/overflows at depth)"})
    points_per_call: int = field(default=0, metadata={"help": "(seed, sigma^2) points per compiled call (0: ~2 GiB)"})

    def validate(self) -> None:
        _cli.at_least(self, 1, "K", "D", "n_data")
        if not self.seeds:
            raise ValueError("seeds: need at least one seed")
        for name in ("sigma_sq_min", "sigma_sq_max"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: sigma^2 must be > 0, got {getattr(self, name)}")
        if self.sigma_sq_max <= self.sigma_sq_min:
            raise ValueError(f"sigma_sq_max: must exceed sigma_sq_min={self.sigma_sq_min}, got {self.sigma_sq_max}")
        if self.n_sigma_sq < 2:
            raise ValueError(f"n_sigma_sq: need >= 2 values to find a crossing, got {self.n_sigma_sq}")
        if not all(s > 0 for s in self.line_sigma_sq):
            raise ValueError(f"line_sigma_sq: sigma^2 must be > 0, got {self.line_sigma_sq}")
        if not self.activations or any(a not in ACTIVATIONS for a in self.activations):
            raise ValueError(f"activations: expected names from {sorted(ACTIVATIONS)}, got {self.activations}")
        if any(s not in SCHEMES for s in self.schemes):
            raise ValueError(f"schemes: expected names from {SCHEMES}, got {self.schemes}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected one of {sorted(DTYPES)}, got {self.dtype!r}")
        if self.points_per_call < 0:
            raise ValueError(f"points_per_call: must be >= 0, got {self.points_per_call}")

    def sigma_sq_grid(self) -> np.ndarray:
        """Increasing sigma^2 values: the log-spaced grid and the line values (raw variances)."""
        g = np.geomspace(self.sigma_sq_min, self.sigma_sq_max, self.n_sigma_sq)
        return np.unique(np.round(np.concatenate([g, self.line_sigma_sq]), 12)) / self.D


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(n_data=100, seeds=(0, 1, 2, 3), n_sigma_sq=11)


def _summary(sig: np.ndarray, st: S.Stats, D: int) -> dict:
    """Seed means, growth rates and the critical sigma^2 of one activation's grid."""
    fwd, bwd, bwd_h = (np.mean(v, 0) for v in (st.forward_var, st.grad_f_var, st.grad_h_var))
    r_f, r_b = S.growth_rate(fwd), S.growth_rate(bwd, backward=True)
    crit_f, crit_b = S.critical_sigma_sq(sig, r_f), S.critical_sigma_sq(sig, r_b)
    per_seed = [S.critical_sigma_sq(sig, S.growth_rate(v)) for v in st.forward_var]
    return {"forward_var_mean": fwd, "grad_f_var_mean": bwd, "grad_h_var_mean": bwd_h,
            "forward_rate": r_f, "backward_rate": r_b,
            "critical_sigma_sq_forward": crit_f, "critical_sigma_sq_backward": crit_b,
            "critical_sigma_sq_D": {"forward": crit_f * D, "backward": crit_b * D,
                                    "forward_per_seed_median": float(finite_median(per_seed) * D)},
            "forward_ratio_last_first": fwd[:, -1] / fwd[:, 0], "backward_ratio_first_last": bwd[:, 0] / bwd[:, -1],
            "forward_ratio_median_over_seeds": np.median(st.forward_var[..., -1] / st.forward_var[..., 0], 0)}


def run(c: Config, out_dir, progress: bool = True) -> dict:
    sig = c.sigma_sq_grid()
    G, D, layers = len(sig), c.D, np.arange(1, c.K + 1)
    scheme_rows = np.stack([S.layer_sigma_sq(s, D) for s in c.schemes]) if c.schemes else np.zeros((0, 3))
    # one sweep per activation: the uniform grid and the scheme rows share the compiled program
    rows = np.concatenate([np.repeat(sig[:, None], 3, 1), scheme_rows])
    stats, summaries, schemes = {}, {}, {}
    t0 = time.perf_counter()
    for act in c.activations:
        st = S.propagation_sweep(c.seeds, rows, K=c.K, D=D, n_data=c.n_data, activation=act, dtype=DTYPES[c.dtype],
                                 points_per_call=c.points_per_call or None, progress=progress)
        stats[act] = st
        grid = S.Stats(*(v[:, :G] for v in st))
        summaries[act] = _summary(sig, grid, D)
        fwd, bwd = st.forward_var[:, G:].mean(0), st.grad_f_var[:, G:].mean(0)
        schemes[act] = {s: {"layer_sigma_sq": scheme_rows[i], "forward_var_mean": fwd[i], "grad_f_var_mean": bwd[i],
                            "forward_rate": float(S.growth_rate(fwd[i])),
                            "backward_rate": float(S.growth_rate(bwd[i], backward=True))}
                        for i, s in enumerate(c.schemes)}
        if c.schemes:  # the scheme whose worse signal (forward or backward) changes least per layer
            worst = {s: max(abs(v["forward_rate"]), abs(v["backward_rate"])) for s, v in schemes[act].items()}
            schemes[act]["most_stable"] = min(worst, key=worst.get)
    sweep_s = time.perf_counter() - t0
    points = len(c.seeds) * len(rows) * len(c.activations)

    lines = [int(np.argmin(np.abs(sig * D - v))) for v in c.line_sigma_sq]
    out = {"K": c.K, "D": D, "n_data": c.n_data, "n_seeds": len(c.seeds), "sigma_sq": sig, "sigma_sq_D": sig * D,
           "he_sigma_sq": 2 / D, "lecun_sigma_sq": 1 / D,
           "critical_sigma_sq_D": {a: s["critical_sigma_sq_D"] for a, s in summaries.items()},
           "lines": {a: {f"{sig[g] * D:g}/D": {"forward_ratio_last_first": float(s["forward_ratio_last_first"][g]),
                                               "backward_ratio_first_last": float(s["backward_ratio_first_last"][g]),
                                               "forward_ratio_median_over_seeds":
                                                   float(s["forward_ratio_median_over_seeds"][g])}
                         for g in lines} for a, s in summaries.items()},
           "per_activation": summaries, "schemes": schemes, "sweep_s": round(sweep_s, 3),
           "points": points, "points_per_s": round(points / sweep_s, 2)}
    save_npz(out_dir / "variances.npz", sigma_sq=sig, scheme_sigma_sq=scheme_rows,
             **{f"{a}_{k}": np.asarray(v) for a, st in stats.items() for k, v in st._asdict().items()})

    for act, s in summaries.items():
        plotting.save(SPL.heatmap(sig * D, s, act, s["critical_sigma_sq_D"]), out_dir / f"heatmap_{act}.png")
    panels = []
    for act, st in stats.items():
        fwd = {f"$\\sigma^2 = {sig[g] * D:g}/D$": st.forward_var[:, g] for g in lines}
        bwd = {f"$\\sigma^2 = {sig[g] * D:g}/D$": st.grad_f_var[:, g] for g in lines}
        base = np.median(st.forward_var[:, lines, 0], 0)
        theory = {}  # one dashed line per sigma^2; labels starting with "_" stay out of the legend
        for i, (g, b) in enumerate(zip(lines, base) if act == "relu" else []):
            theory["ReLU mean field $(\\sigma^2 D/2)^{k-1}$" if i == 0 else f"_t{i}"] = \
                b * S.relu_gain(sig[g], D) ** (layers - 1.0)
        panels.append((act, fwd, bwd, theory))
    plotting.save(SPL.variance_lines(layers, panels, f"K={c.K}, D={D}: seed median and interquartile band"),
                  out_dir / "variance_vs_layer.png")
    plotting.save(SPL.growth_rates(sig * D, summaries), out_dir / "growth_rate.png")
    if c.schemes:
        panels = [(f"{act}: init schemes", {s: stats[act].forward_var[:, G + i] for i, s in enumerate(c.schemes)},
                   {s: stats[act].grad_f_var[:, G + i] for i, s in enumerate(c.schemes)}, {}) for act in c.activations]
        plotting.save(SPL.variance_lines(layers, panels, "LeCun / Glorot / He (per-layer fan-in variances)"),
                      out_dir / "schemes.png")

    for act, s in out["critical_sigma_sq_D"].items():
        print(f"{act}: critical sigma^2 D = {s['forward']:.3f} (forward), {s['backward']:.3f} (backward)"
              + (f"; most stable scheme {schemes[act]['most_stable']}" if c.schemes else ""))
    for act, ls in out["lines"].items():
        print(f"  {act} var_K / var_1 (seed mean): " + ", ".join(f"{k}: {v['forward_ratio_last_first']:.3g}"
                                                                   for k, v in ls.items()))
    print(f"{points} (seed, sigma^2, activation) points in {sweep_s:.1f} s")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
