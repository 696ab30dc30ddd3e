"""Deep linear network learning dynamics (Neuromatch DL W1D2 Tutorial 3; Saxe, McClelland & Ganguli 2014, 2019).

    python -m experiments.deep_linear --quick   # 1 seed, a 3 x 4 (lr, gamma) grid: seconds on a CPU
    python -m experiments.deep_linear           # 3 seeds, the tutorial's 9 lr x 17 gamma x 3 seeds grid

The tutorial's data and network: items of a depth-3, branching-2 tree (8 leaves, one-hot inputs) with
10,000 features sampled by a branching diffusion (root sign +-1 with probability 1/2, every edge
flips it with probability 0.15); ``LNNet(8, 30, 10000)`` without biases, weights N(0, gamma^2 / (n_in +
n_out)) with gamma = 1e-12, full-batch gradient descent with lr = 100 on the mean squared error over
all 8 x 10,000 entries, 250 epochs. Every epoch records the loss, the singular values of
W_tot = W2 W1 (the modes), the hidden similarity H H^T and the predictions of the last feature.

Beside it: the closed-form expected item correlation and singular values of the tree; Saxe et al.'s
exact mode curves u(t) with tau = P N / (2 lr) = 400 epochs (continuous time, and with gradient
descent's per-epoch growth (1 + s/tau)^2); half-times and t_half * s; the least-squares solution
W_tot converges to; the illusory correlations (Shark "has_bones", Parrot "cannot_speak"); and the
tutorial's lr x gamma sliders as one vmapped grid. Runs use jdl's exact low-dimensional form of the
gradient-descent trajectory (``--method=reduced``, tested equal to optax on the full network,
``--method=direct``), in float64 because gamma goes down to 1e-15.

Expected: the sampled singular values (155.6, 124.4, 100.7, 99.0, 72.3, 71.6, 71.2, 70.4 for seed 0's
JAX draw; the tutorial's NumPy seed 2021 gives 157.7, 121.8, 100.5, 100.3, 71.4, 71.2, 70.7, 70.6) sit
within 1-3 % of the closed form (156.2, 122.5, 100.5 x2, 71.4 x4); the modes
are learned in order of s in four stages (half-times ~94, 114, 138, 187 epochs); measured half-times
match the discrete-step theory to < 1 epoch, while the continuous-time formula is ~15 epochs early at
this learning rate; t_half * s varies ~10 % across modes (its discrete counterpart t_half ln(1 + s/tau)
~1.5 %); W_tot equals the least-squares map to ~1e-12. The Shark is first predicted to have bones
(+0.5) before the finer modes correct it to -1. Large gamma (>= ~1e-2) removes the plateaus.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax.numpy as jnp

from experiments import _cli
from jdl import plotting
from jdl.data import tree
from jdl.io import save_npz
from jdl.studies.deep_linear import dynamics as L
from jdl.studies.deep_linear import plots as dlp
from jdl.studies.deep_linear import runs as DL

NAME = "deep_linear"
DTYPES = {"float64": jnp.float64, "float32": jnp.float32}


@dataclass(frozen=True)
class Config:
    depth: int = field(default=3, metadata={"help": "tree levels below the root (items = branching**depth)"})
    branching: int = field(default=2, metadata={"help": "children per node"})
    flip: float = field(default=0.15, metadata={"help": "sign-flip probability of every edge (the root's is 1/2)"})
    n_features: int = field(default=10_000, metadata={"help": "sampled features (network outputs)"})
    hidden: int = field(default=30, metadata={"help": "hidden units"})
    epochs: int = field(default=250, metadata={"help": "full-batch gradient steps"})
    lr: float = field(default=100.0, metadata={"help": "learning rate of the main runs"})
    gamma: float = field(default=1e-12, metadata={"help": "init scale: sigma = gamma / sqrt(n_in + n_out)"})
    seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "main runs: each seed draws data and weights"})
    feature: int = field(default=-1, metadata={"help": "feature whose prediction is recorded for every item"})
    method: str = field(default="reduced", metadata={"help": "reduced (exact low-dimensional GD) | direct (optax)"})
    cross_check: bool = field(default=True, metadata={"help": "rerun the first seed with the other method and compare"})
    illusions: bool = field(default=True, metadata={"help": "the Shark / Parrot illusory correlations (8-item tree)"})
    sweep_lr: tuple[float, ...] = field(default=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 150.0, 200.0),
                                        metadata={"help": "learning rates of the grid (the tutorial's slider: 1-200)"})
    sweep_gamma: tuple[float, ...] = field(default=tuple(10.0 ** e for e in range(-15, 2)),
                                           metadata={"help": "init scales of the grid (the slider: 1e-15 .. 10)"})
    sweep_seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "seeds of the grid (empty: no grid)"})
    rsm_epochs: tuple[int, ...] = field(default=(), metadata={"help": "epochs of the RSM panels (empty: automatic)"})
    gif: bool = field(default=True, metadata={"help": "write rsm.gif (the RSM every 5 epochs)"})
    chunk_size: int = field(default=128, metadata={"help": "runs per compiled call (0: all at once)"})
    dtype: str = field(default="float64", metadata={"help": "float64 | float32 (float32 mistimes gamma < ~1e-12)"})

    def validate(self) -> None:
        tree.check_tree(self.depth, self.branching)  # names depth / branching
        if not 0.0 <= self.flip <= 1.0:
            raise ValueError(f"flip: a probability must lie in [0, 1], got {self.flip}")
        _cli.at_least(self, 1, "n_features", "hidden", "epochs")
        if not self.lr > 0:
            raise ValueError(f"lr: must be > 0, got {self.lr}")
        if not self.gamma > 0:
            raise ValueError(f"gamma: must be > 0, got {self.gamma}")
        if not self.seeds:
            raise ValueError("seeds: need at least one seed")
        if not -self.n_features <= self.feature < self.n_features:
            raise ValueError(f"feature: must index one of {self.n_features} features, got {self.feature}")
        if self.method not in L.METHODS:
            raise ValueError(f"method: expected one of {L.METHODS}, got {self.method!r}")
        if self.sweep_seeds and (not self.sweep_lr or any(not v > 0 for v in self.sweep_lr)):
            raise ValueError(f"sweep_lr: need learning rates > 0, got {self.sweep_lr}")
        if self.sweep_seeds and (not self.sweep_gamma or any(not v > 0 for v in self.sweep_gamma)):
            raise ValueError(f"sweep_gamma: need init scales > 0, got {self.sweep_gamma}")
        if any(not 0 <= t <= self.epochs for t in self.rsm_epochs):
            raise ValueError(f"rsm_epochs: epochs must lie in [0, {self.epochs}], got {self.rsm_epochs}")
        if self.chunk_size < 0:
            raise ValueError(f"chunk_size: must be >= 0, got {self.chunk_size}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected one of {sorted(DTYPES)}, got {self.dtype!r}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(seeds=(0,), cross_check=False, sweep_lr=(20.0, 100.0, 200.0), sweep_gamma=(1e-12, 1e-6, 1e-2, 1.0),
                  sweep_seeds=(0,), gif=False)


def run(c: Config, out_dir, progress: bool = True) -> dict:
    res = DL.run_all(depth=c.depth, branching=c.branching, flip=c.flip, n_features=c.n_features, hidden=c.hidden,
                     epochs=c.epochs, lr=c.lr, gamma=c.gamma, seeds=c.seeds, feature=c.feature, method=c.method,
                     dtype=DTYPES[c.dtype], cross_check=c.cross_check, with_illusions=c.illusions,
                     sweep_lr=c.sweep_lr, sweep_gamma=c.sweep_gamma, sweep_seeds=c.sweep_seeds,
                     rsm_epochs=c.rsm_epochs, chunk_size=c.chunk_size or None, progress=progress)
    out, hist, th, data, ill = res["metrics"], res["hist"], res["theory"], res["data"], res["illusions"]
    for name, arrays in res["arrays"].items():
        save_npz(out_dir / f"{name}.npz", **arrays)

    # --- figures
    epochs, tau, names = res["epoch"], th["tau"], data["item_names"]
    figs = {
        "tree_data": dlp.tree_data(data["y"], data["corr_expected"], data["corr_sampled"], data["s_expected"],
                                   hist.s, names),
        "dynamics": dlp.dynamics(epochs, hist.loss[0], hist.modes[0], hist.strengths[0],
                                 {"theory, GD step (rate 2 ln(1+s/τ))": th["curves"]["discrete"][0],
                                  f"theory, continuous time (τ = PN/2η = {tau:g})": th["curves"]["continuous"][0]},
                                 hist.s[0], title=f"lr {c.lr:g}, γ {c.gamma:g}, seed {c.seeds[0]}"),
        "half_times": dlp.half_times(hist.s, th["half"]["measured"],
                                     {"theory, GD step": th["half"]["discrete"],
                                      "theory, continuous time": th["half"]["continuous"]},
                                     title=f"half-learning times ({len(c.seeds)} seed(s))"),
        "rsm": dlp.rsm_grid(hist.rsm[0], res["rsm_epochs"], names, hist.loss[0]),
    }
    if ill is not None:
        figs["illusions"] = dlp.illusions(epochs, ill["panels"], ill["modes"])
    sw, curves = out.get("sweep"), res["sweep_loss_curves"]
    if sw is not None:
        figs["sweep"] = dlp.sweep_heatmaps(
            c.sweep_lr, c.sweep_gamma,
            [("epochs until the loss drops 10 %", sw["plateau_end_epoch"], "viridis"),
             ("number of stages (drops in the loss)", sw["n_stages"], "viridis"),
             ("log10 final loss", sw["log10_final_loss"], "cividis")],
            title=f"seed median over {len(c.sweep_seeds)} seed(s); grey: not reached / unfinished in {c.epochs} "
                  "epochs / diverged")
        figs["sweep_loss_curves"] = dlp.loss_curves(epochs, curves["loss_gt"], c.sweep_gamma, curves["lr"])
    for name, fig in figs.items():
        plotting.save(fig, out_dir / f"{name}.png")
    if c.gif:
        dlp.save_rsm_gif(hist.rsm[0], names, out_dir / "rsm.gif")

    d, seed0 = out["dynamics"], c.seeds[0]
    print(f"singular values: expected {_rounded(data['s_expected'])}")
    print(f"                 sampled  {_rounded(hist.s[0])} (seed {seed0})")
    print(f"tau = {tau:g} epochs; half-times (seed {seed0}): measured {_rounded(d['half_time_measured'][0])}")
    print(f"  theory, GD step {_rounded(d['half_time_discrete'][0])}; "
          f"continuous {_rounded(d['half_time_continuous'][0])}")
    print(f"t_half * s spread {d['t_half_times_s_spread'][0]:.1%} (continuous theory "
          f"{d['t_half_times_s_spread_continuous_theory'][0]:.1%}; t_half ln(1+s/tau): "
          f"{d['t_half_times_log1p_s_over_tau_spread'][0]:.1%}); in order of s: {d['modes_learned_in_order_of_s']}")
    print(f"W_tot vs least squares: rel. error {max(hist.ls_error):.1e}; final loss {out['final_loss'][0]:.2e}")
    for k, v in (ill or {"metrics": {}})["metrics"].items():
        print(f"illusion {k}: max wrong {v['max_wrong_prediction']:+.2f} at epoch {v['epoch_of_max_wrong']}, "
              f"final {v['final_prediction']:+.2f}")
    if sw is not None:
        print(f"grid: {sw['runs']} runs; stages at lr={c.sweep_lr[-1]:g} over gamma: {sw['n_stages'][-1].tolist()}")
        chk = sw["half_time_theory_check"]
        print("  half-time theory (GD step), max rel. error per gamma: " + ", ".join(
            f"{g:.0e}: {e:.1%}" for g, e in zip(c.sweep_gamma, chk["max_rel_error_per_gamma"]) if math.isfinite(e)))
    print(f"{out['runs']} runs (main + grid) in {out['train_s_including_compile']:.1f} s including compilation")
    return out


def _rounded(values) -> list[float]:
    return [round(float(v), 1) for v in values]


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
