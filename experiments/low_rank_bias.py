"""Low-rank simplicity bias of deep networks (Huh et al., TMLR 2023).

    python -m experiments.low_rank_bias --quick    # ~9 s on an idle 2-core CPU (mostly compilation)
    python -m experiments.low_rank_bias            # depths 1..64 at width 128; 420 nets x 5000 steps (CPU: ~7 min)

Parts:
1. At initialisation (Huh Fig. 2): n Gaussian inputs through bias-free linear (LeCun) and ReLU (He)
   MLPs of every depth 1..L (width = input dimension); effective rank of the Gram matrix
   phi(X) phi(X)^T of the embeddings, and of the linear net's end-to-end map W_L ... W_1. All
   depths x seeds run in one program: one scan over L layers with a per-member depth mask.
2. After training (Huh Fig. 1): bias-free deep linear nets of depth 1, 2, 4, 8 fit Y = X W^T with
   rank(W) in {1, 4, 16, 32, 64} (d = 64, n_train = 48 < d, noise-free) by full-batch momentum SGD.
   Every (depth, rank, lr, seed) trains in one program; per (depth, rank) the lr with the best
   seed-mean final training loss is reported (an lr at which any seed diverged is disqualified;
   diverged members are listed, never averaged).

Expected: at init, the effective rank falls with depth for both, much faster for ReLU (towards 1).
After training, deeper nets' learned maps have lower effective rank: close to the target rank for
low-rank targets, where they fit as well or better than depth 1 (depth 1 keeps its random init in
the d - n unseen input directions), while on high-rank targets the deepest nets fit slowest.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.studies.low_rank_bias import plots as PR
from jdl.studies.low_rank_bias import runs as LR

NAME = "low_rank_bias"


@dataclass(frozen=True)
class Config:
    seeds: tuple[int, ...] = field(default=(0, 1, 2, 3, 4), metadata={"help": "seeds of the init part"})
    max_depth: int = field(default=64, metadata={"help": "init part: depths 1..max_depth"})
    width: int = field(default=128, metadata={"help": "init part: width = input dimension"})
    n_inputs: int = field(default=256, metadata={"help": "init part: Gaussian inputs in the Gram matrix"})
    train_seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "seeds of the trained grid"})
    train_depths: tuple[int, ...] = field(default=(1, 2, 4, 8), metadata={"help": "depths of the trained linear nets"})
    ranks: tuple[int, ...] = field(default=(1, 4, 16, 32, 64), metadata={"help": "target ranks, each in [1, d]"})
    d: int = field(default=64, metadata={"help": "input = output dimension of the regression"})
    n_train: int = field(default=48, metadata={"help": "training samples (< d: part of W is unseen)"})
    n_test: int = 512
    noise: float = field(default=0.0, metadata={"help": "label-noise std on the training targets"})
    lrs: tuple[float, ...] = field(default=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
                                   metadata={"help": "lr grid (loss = MSE averaged over outputs, as torch MSELoss)"})
    momentum: float = 0.9
    w_std: float = field(default=0.577, metadata={"help": "per-layer W_std of the trained nets (1/sqrt(3): torch nn.Linear)"})
    steps: int = field(default=5000, metadata={"help": "full-batch momentum SGD steps"})
    eval_every: int = field(default=50, metadata={"help": "record losses every this many steps"})
    fit_tol: float = field(default=1e-3, metadata={"help": "'fitted' = training MSE below this (steps_to_fit)"})
    checkpoint: bool = field(default=True, metadata={"help": "checkpoint sweeps under <out>/checkpoints"})

    def validate(self) -> None:
        for name in ("seeds", "train_seeds", "train_depths", "ranks", "lrs"):
            if not getattr(self, name):
                raise ValueError(f"{name}: need at least one value")
        _cli.at_least(self, 1, "max_depth", "width", "n_inputs", "d", "n_train", "n_test", "steps",
                      "eval_every")
        if min(self.train_depths) < 1:
            raise ValueError(f"train_depths: depths must be >= 1, got {self.train_depths}")
        if min(self.ranks) < 1 or max(self.ranks) > self.d:
            raise ValueError(f"ranks: must lie in [1, d={self.d}], got {self.ranks}")
        if min(self.lrs) <= 0:
            raise ValueError(f"lrs: learning rates must be > 0, got {self.lrs}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum: must be in [0, 1), got {self.momentum}")
        if self.w_std <= 0:
            raise ValueError(f"w_std: must be > 0, got {self.w_std}")
        if self.noise < 0:
            raise ValueError(f"noise: must be >= 0, got {self.noise}")
        if self.fit_tol <= 0:
            raise ValueError(f"fit_tol: must be > 0, got {self.fit_tol}")
        if self.steps % self.eval_every:
            raise ValueError(f"eval_every: must divide steps={self.steps}, got {self.eval_every}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(seeds=(0, 1, 2), max_depth=16, width=32, n_inputs=64, train_seeds=(0, 1), ranks=(1, 4, 16, 32),
                  d=32, n_train=24, n_test=256, lrs=(0.1, 0.3, 1.0, 3.0), steps=300, eval_every=25)


def run(c: Config, out_dir, progress: bool = True) -> dict:
    res = LR.run_all(seeds=c.seeds, max_depth=c.max_depth, width=c.width, n_inputs=c.n_inputs,
                     train_seeds=c.train_seeds, train_depths=c.train_depths, ranks=c.ranks, d=c.d,
                     n_train=c.n_train, n_test=c.n_test, noise=c.noise, lrs=c.lrs, momentum=c.momentum,
                     w_std=c.w_std, steps=c.steps, eval_every=c.eval_every, fit_tol=c.fit_tol,
                     checkpoint_dir=out_dir / "checkpoints" if c.checkpoint else None, progress=progress)
    init, tr = res["metrics"]["init"], res["metrics"]["trained"]
    save_npz(out_dir / "spectra.npz", **res["spectra"])

    # --- figures
    init_title = f"At initialisation: width {c.width}, {c.n_inputs} Gaussian inputs, {len(c.seeds)} seeds (median, IQR)"
    trained_title = (f"Deep linear nets after {c.steps} steps of momentum SGD, best lr per (depth, rank); d={c.d}, "
                     f"n_train={c.n_train}, {len(c.train_seeds)} seeds")
    figs = {"init_effective_rank": PR.init_effective_rank(init, init_title),
            "init_spectra": PR.init_spectra(res["init_raw"], res["spectrum_depths"]),
            "trained_vs_rank": PR.trained_vs_rank(c.ranks, c.train_depths, tr, trained_title),
            "trained_spectra": PR.trained_spectra(c.ranks, c.train_depths, res["trained_raw"], res["best_lr_index"],
                                                  c.eval_every)}
    for name, fig in figs.items():
        plotting.save(fig, out_dir / f"{name}.png")

    for net in ("map", "linear", "relu"):
        r = init[net]
        print(f"init {net:6s}: exp(H) {r['erank_first']:.1f} at depth 1 -> {r['erank_last']:.2f} at depth "
              f"{c.max_depth}; halves by depth {r['halving_depth']}")
    for i, D in enumerate(c.train_depths):
        print(f"depth {D}: " + " | ".join(
            f"r{r}: lr {tr['best_lr'][i, j]:.3g} train {tr['train_loss_median'][i, j]:.1e} test "
            f"{tr['test_loss_median'][i, j]:.3f} erank {tr['erank_median'][i, j]:.1f}" for j, r in enumerate(c.ranks)))
    if tr["diverged"]:
        print(f"{len(tr['diverged'])} diverged members (listed in metrics.json)")
    return res["metrics"]


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
