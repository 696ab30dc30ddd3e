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

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.nn import ACTIVATIONS
from jdl.studies.signal_propagation import plots as SPL
from jdl.studies.signal_propagation import runs as SP

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
        return SP.sigma_sq_grid(self.sigma_sq_min, self.sigma_sq_max, self.n_sigma_sq, self.line_sigma_sq, self.D)


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(n_data=100, seeds=(0, 1, 2, 3), n_sigma_sq=11)


def run(c: Config, out_dir, progress: bool = True) -> dict:
    sig, D = c.sigma_sq_grid(), c.D
    res = SP.run_all(sig, seeds=c.seeds, K=c.K, D=D, n_data=c.n_data, line_sigma_sq=c.line_sigma_sq,
                     activations=c.activations, schemes=c.schemes, dtype=DTYPES[c.dtype],
                     points_per_call=c.points_per_call or None, progress=progress)
    out, f = res["metrics"], res["figures"]
    save_npz(out_dir / "variances.npz", **res["arrays"])

    # --- figures
    figs = {f"heatmap_{act}": SPL.heatmap(sig * D, s, act, s["critical_sigma_sq_D"])
            for act, s in out["per_activation"].items()}
    figs["variance_vs_layer"] = SPL.variance_lines(f["layers"], f["line_panels"],
                                                   f"K={c.K}, D={D}: seed median and interquartile band")
    figs["growth_rate"] = SPL.growth_rates(sig * D, out["per_activation"])
    if c.schemes:
        figs["schemes"] = SPL.variance_lines(f["layers"], f["scheme_panels"],
                                             "LeCun / Glorot / He (per-layer fan-in variances)")
    for name, fig in figs.items():
        plotting.save(fig, out_dir / f"{name}.png")

    for act, s in out["critical_sigma_sq_D"].items():
        print(f"{act}: critical sigma^2 D = {s['forward']:.3f} (forward), {s['backward']:.3f} (backward)"
              + (f"; most stable scheme {out['schemes'][act]['most_stable']}" if c.schemes else ""))
    for act, ls in out["lines"].items():
        print(f"  {act} var_K / var_1 (seed mean): " + ", ".join(f"{k}: {v['forward_ratio_last_first']:.3g}"
                                                                   for k, v in ls.items()))
    print(f"{out['points']} (seed, sigma^2, activation) points in {out['sweep_s']:.1f} s")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
