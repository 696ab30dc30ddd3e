"""Double descent with random Fourier features on the digits (the 2023 DNN assignment, Belkin et al. 2019).

    python -m experiments.double_descent --quick      # ~24 s on a 2-core CPU
    python -m experiments.double_descent              # every N = 1..2000 x 10 seeds (2.3 min), long SGD runs

Parts:
1. Closed form for every N (least squares for 2N <= n, ridge lambd = 0.01 beyond, as the assignment,
   and the minimum-norm interpolant), all seeds: test/train MSE and ||a|| against 2N/n.
2. The analytic gradient of the training MSE against jax.grad and central differences (float64).
3. SGD fits at N = 5, 100, 400, 1000 (minibatch 32): per-epoch train and test MSE, all sizes and
   seeds in one program; lr = 1 / lambda_max(Hessian) at the largest N.
4. SGD double descent over ~20 sizes: the assignment's 100 epochs (no peak) and a setting with
   label noise and long training (per-size lr) where the peak at 2N = n appears.

Expected: the closed-form test MSE peaks at 2N/n = 1 (the square, singular system), train MSE is
0 beyond it, and the test MSE descends again below its first minimum.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from experiments import _cli
from jdl import plotting
from jdl.studies.double_descent import plots as DDP
from jdl.studies.double_descent import runs as R
from jdl.studies.double_descent.runs import geometric_sizes

NAME = "double_descent"


@dataclass(frozen=True)
class Config:
    seeds: tuple[int, ...] = field(default=tuple(range(10)), metadata={"help": "closed-form seeds"})
    n_max: int = field(default=2000, metadata={"help": "largest number of frequencies N"})
    n_step: int = field(default=1, metadata={"help": "closed form: every n_step-th N (1 = every N)"})
    dense: int = field(default=40, metadata={"help": "closed form: also every N within this of n/2"})
    lambd: float = field(default=0.01, metadata={"help": "ridge of the assignment fit when 2N > n"})
    noise: float = field(default=0.0, metadata={"help": "closed form: label-flip probability"})
    max_update: int | None = field(default=None, metadata={
        "help": "ridge fit: most frequencies per Woodbury block (None: n // 8; 0: a Cholesky per size)"})
    chunk: int = field(default=1, metadata={
        "help": "closed form: seeds per compiled call (rounded up to a multiple of the device count)"})
    grad_n: int = field(default=100, metadata={"help": "N of the gradient check"})
    sgd_seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "SGD seeds"})
    fit_sizes: tuple[int, ...] = (5, 100, 400, 1000)
    fit_epochs: int = 100
    batch_size: int = 32
    lr: float | None = field(default=None, metadata={"help": "SGD lr; None = 1/lambda_max at the largest N"})
    a_std: float = 1e-3
    dd_sizes: tuple[int, ...] = geometric_sizes(5, 2000, 20, (449,))
    dd_epochs: int = 100
    peak: bool = field(default=True, metadata={"help": "also run the label-noise / long-training SGD sweep"})
    peak_noise: float = 0.1
    peak_epochs: int = 20000
    peak_eval_every: int = 200
    checkpoint: bool = field(default=True, metadata={"help": "checkpoint sweeps under <out>/checkpoints"})

    def validate(self) -> None:
        if not self.seeds:
            raise ValueError("seeds: need at least one seed")
        if not self.sgd_seeds:
            raise ValueError("sgd_seeds: need at least one seed")
        _cli.at_least(self, 1, "n_max", "n_step", "chunk", "grad_n", "fit_epochs", "batch_size",
                      "dd_epochs", "peak_epochs", "peak_eval_every")
        for name in ("fit_sizes", "dd_sizes"):
            sizes = getattr(self, name)
            if not sizes or min(sizes) < 1:
                raise ValueError(f"{name}: sizes N must be >= 1, got {sizes}")
            if max(sizes) > self.n_max:
                raise ValueError(f"{name}: sizes must be <= n_max={self.n_max}, got {max(sizes)}")
        if self.dense < 0:
            raise ValueError(f"dense: must be >= 0, got {self.dense}")
        if self.lambd < 0:
            raise ValueError(f"lambd: must be >= 0, got {self.lambd}")
        if self.max_update is not None and self.max_update < 0:
            raise ValueError(f"max_update: must be >= 0 or None, got {self.max_update}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr: must be > 0, got {self.lr}")
        if self.a_std < 0:
            raise ValueError(f"a_std: must be >= 0, got {self.a_std}")
        for name in ("noise", "peak_noise"):
            if not 0 <= getattr(self, name) <= 0.5:
                raise ValueError(f"{name}: label-flip probability must be in [0, 0.5], got {getattr(self, name)}")
        if self.peak_epochs % self.peak_eval_every:
            raise ValueError(f"peak_eval_every: must divide peak_epochs={self.peak_epochs}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(seeds=(0, 1, 2), n_max=1000, n_step=8, dense=12, sgd_seeds=(0,), fit_epochs=50,
                  dd_sizes=geometric_sizes(5, 1000, 10, (449,)), dd_epochs=50, peak_epochs=1500,
                  peak_eval_every=50)


def run(c: Config, out_dir, progress: bool = True) -> dict:
    res = R.run_all(seeds=c.seeds, n_max=c.n_max, n_step=c.n_step, dense=c.dense, lambd=c.lambd, noise=c.noise,
                    max_update=c.max_update, chunk=c.chunk, grad_n=c.grad_n, sgd_seeds=c.sgd_seeds,
                    fit_sizes=c.fit_sizes, fit_epochs=c.fit_epochs, batch_size=c.batch_size, lr=c.lr, a_std=c.a_std,
                    dd_sizes=c.dd_sizes, dd_epochs=c.dd_epochs, peak=c.peak, peak_noise=c.peak_noise,
                    peak_epochs=c.peak_epochs, peak_eval_every=c.peak_eval_every,
                    checkpoint_dir=out_dir / "checkpoints" if c.checkpoint else None, progress=progress)
    cf, ratio, g, fits = res["closed_form"], res["ratio"], res["gradient"], res["sgd_fits"]
    figs = {
        "closed_form": DDP.double_descent(ratio, [
            ("test MSE", {f"least squares / ridge $\\lambda$={c.lambd} (assignment)": cf["assignment"]["test_mse"],
                          "least squares / minimum norm": cf["min_norm"]["test_mse"]}, True),
            ("train MSE", {"assignment": cf["assignment"]["train_mse"] + 1e-16,
                           "minimum norm": cf["min_norm"]["train_mse"] + 1e-16}, True),
        ], title=f"Random Fourier features, closed form, {len(c.seeds)} seeds (median, IQR)"),
        "coef_norm": DDP.double_descent(ratio, [
            (r"$\|a\|_2$", {"assignment": cf["assignment"]["coef_norm"], "minimum norm": cf["min_norm"]["coef_norm"]},
             True)], title="Norm of the fitted coefficients"),
        "gradient_check": DDP.gradient_check(g["grad_autodiff"], g["grad"], c.grad_n, g["rel_err_autodiff"]),
        "sgd_fits": DDP.training_curves(
            fits["hist"]["epoch"][0, 0], fits["hist"]["train_loss"], fits["hist"]["test_loss"],
            [f"N={N}" for N in c.fit_sizes],
            title=f"SGD, batch {c.batch_size}, lr={fits['lr'][0]:.2e} = 1/lambda_max(N={max(c.fit_sizes)})"),
    }
    panels = []
    for tag, r in res["sgd_double_descent"].items():
        hist, s = r["hist"], r["setting"]
        label = f"{s['epochs']} epochs, noise {s['noise']}, lr {s['lr_rule']}"
        final = hist["test_loss"][..., -1]
        panels.append((f"test MSE ({tag})", {f"SGD {label}": final,
                                             "closed form, min norm": r["reference"]["test_mse"]},
                       True, DDP.top_limit(final)))
        panels.append((f"train MSE ({tag})", {f"SGD {label}": hist["train_loss"][..., -1]}, True))
        if tag == "peak":
            pick = DDP.nearest_sizes(c.dd_sizes, (45, 220, 449, 1000, 2000))
            figs["sgd_epochwise"] = DDP.training_curves(
                hist["epoch"][0, 0], hist["train_loss"][:, pick], hist["test_loss"][:, pick],
                [f"N={c.dd_sizes[i]}" for i in pick], logx=True,
                title=f"Epoch-wise: SGD with {s['noise']:.0%} label noise, lr = 1/lambda_max(N)")
    figs["sgd_double_descent"] = DDP.double_descent(res["dd_ratio"], panels, ncols=2,
                                                    title=f"SGD double descent, {len(c.sgd_seeds)} seeds")
    for name, fig in figs.items():
        plotting.save(fig, out_dir / f"{name}.png")
    return res["metrics"]


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
