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

import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl.studies.double_descent import sweeps as DD
from jdl.studies.double_descent import random_features as F
from jdl import plotting, sweep
from jdl.data import load_digits_binary
from jdl.studies.double_descent import plots as DDP

NAME = "double_descent"


def geometric_sizes(lo: int, hi: int, num: int, extra=()) -> tuple[int, ...]:
    return tuple(sorted(set(int(v) for v in np.round(np.geomspace(lo, hi, num))) | set(extra)))


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


def closed_form_sizes(c: Config, n: int) -> np.ndarray:
    every = set(range(1, c.n_max + 1, c.n_step)) | {c.n_max}
    near = set(range(max(1, n // 2 - c.dense), min(c.n_max, n // 2 + c.dense) + 1))
    return np.asarray(sorted(every | near))


def summarize(values_sk: np.ndarray) -> dict:
    """Mean over finite seeds, the per-seed values and how many members were not finite."""
    finite = np.isfinite(values_sk)
    with np.errstate(invalid="ignore"):
        mean = np.where(finite.any(0), np.nanmean(np.where(finite, values_sk, np.nan), 0), np.nan)
    return {"mean": mean, "per_seed": values_sk, "nonfinite": int((~finite).sum())}


def gradient_check(ds, n_features: int, key) -> dict:
    """Analytic gradient vs jax.grad vs central differences, float64, at a random a."""
    with jax.enable_x64(True):
        d = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), ds)
        phi, _ = DD.member_features(key, d, n_features, jnp.float64)
        y = d.y_train
        a = 0.1 * jax.random.normal(jax.random.fold_in(key, 7), (phi.shape[1],), jnp.float64)
        analytic = F.mse_grad(a, phi, y)
        auto = jax.grad(F.mse_loss)(a, phi, y)
        h = 1e-4
        eye = jnp.eye(a.shape[0], dtype=a.dtype)
        fd = jax.vmap(lambda e: (F.mse_loss(a + h * e, phi, y) - F.mse_loss(a - h * e, phi, y)) / (2 * h))(eye)
        rel = lambda u, v: float(jnp.linalg.norm(u - v) / jnp.linalg.norm(v))
        return {"n_features": n_features, "rel_err_autodiff": rel(analytic, auto),
                "rel_err_finite_diff": rel(analytic, fd), "grad": np.asarray(analytic), "grad_autodiff": np.asarray(auto)}


def sgd_sweep(ds, c: Config, sizes, *, epochs, noise, lr_rule, eval_every, out_dir, tag, progress):
    """One SGD sweep over sizes x sgd_seeds; returns history arrays (S, K, E) and the lrs used."""
    sizes = np.asarray(sizes)
    lam = DD.hessian_top(ds, c.sgd_seeds, sizes).min(0)  # per size, most conservative seed
    if c.lr is not None:
        lr = np.full(sizes.shape, c.lr)
    elif lr_rule == "per_size":
        lr = 1.0 / lam
    else:
        lr = np.full(sizes.shape, 1.0 / lam[-1])
    member = DD.make_sgd_member(ds, int(sizes.max()), epochs=epochs, batch_size=c.batch_size, a_std=c.a_std,
                                eval_every=eval_every)
    hp = {"n_features": sizes, "lr": lr.astype(np.float32), "noise": np.full(sizes.shape, noise, np.float32)}
    ckpt = out_dir / "checkpoints" / tag if c.checkpoint else None
    # a few grid blocks per seed and one block per device per call: progress and checkpoints every
    # chunk, while the sizes inside a block still share the seed's minibatch gathers
    hist = sweep.run(member, c.sgd_seeds, hp, grid_block=math.ceil(len(sizes) / 4), chunk_size=jax.device_count(),
                     checkpoint_dir=ckpt, progress=progress, desc=f"SGD {tag}",
                     fingerprint=f"{tag}|{epochs}|{noise}|{lr.tolist()}|{c.batch_size}|{c.a_std}|{sizes.tolist()}")
    diverged = sweep.nonfinite({k: v for k, v in hist.items() if k != "epoch"}, 2)
    return hist, lr, lam, diverged


def sgd_block(hist, sizes, lr, lam, diverged, seeds, epochs, noise) -> dict:
    return {
        "N": sizes, "n_features": 2 * np.asarray(sizes), "epochs": epochs, "label_noise": noise, "lr": lr,
        "hessian_top": lam, "epoch": hist["epoch"][0, 0],
        "train_mse": summarize(hist["train_loss"][..., -1]), "test_mse": summarize(hist["test_loss"][..., -1]),
        "test_error": summarize(hist["test_error"][..., -1]),
        "train_mse_curves": hist["train_loss"], "test_mse_curves": hist["test_loss"],
        "diverged": [{"seed": int(seeds[s]), "N": int(sizes[k])} for s, k in zip(*np.nonzero(diverged))],
    }


def run(c: Config, out_dir, progress: bool = True) -> dict:
    ds = load_digits_binary()
    n = ds.n_train
    out: dict = {"n_train": n, "n_test": ds.n_test}

    # 1. closed form, every N
    sizes = closed_form_sizes(c, n)
    ckpt = out_dir / "checkpoints" / "closed_form" if c.checkpoint else None
    cf = DD.closed_form_sweep(ds, c.seeds, sizes, lambd=c.lambd, noise=c.noise, max_update=c.max_update,
                              chunk_size=c.chunk, checkpoint_dir=ckpt, progress=progress)
    ratio = 2 * sizes / n
    fits = {name: {k: summarize(v) for k, v in cf[name].items()} for name in ("assignment", "min_norm")}
    a = fits["assignment"]
    under, over = 2 * sizes < n, 2 * sizes > n
    out.update({
        "N": sizes, "n_features": 2 * sizes, "ratio": ratio, "seeds": c.seeds,
        "test_mse": a["test_mse"]["mean"], "train_mse": a["train_mse"]["mean"], "coef_norm": a["coef_norm"]["mean"],
        "test_mse_per_seed": a["test_mse"]["per_seed"], "train_mse_per_seed": a["train_mse"]["per_seed"],
        "coef_norm_per_seed": a["coef_norm"]["per_seed"],
        "min_norm": {k: v["mean"] for k, v in fits["min_norm"].items()},
        "min_norm_per_seed": {k: v["per_seed"] for k, v in fits["min_norm"].items()},
        "peak_ratio": DD.peak_ratio(sizes, cf["assignment"]["test_mse"], n),
        "peak_ratio_min_norm": DD.peak_ratio(sizes, cf["min_norm"]["test_mse"], n),
        "first_min_test_mse": float(np.nanmin(a["test_mse"]["mean"][under])) if under.any() else None,
        "second_min_test_mse": float(np.nanmin(a["test_mse"]["mean"][over])) if over.any() else None,
        "max_train_mse_past_threshold_min_norm": float(np.nanmax(fits["min_norm"]["train_mse"]["mean"][2 * sizes >= n]))
        if (2 * sizes >= n).any() else None,
        "nonfinite_closed_form": {name: fits[name]["test_mse"]["nonfinite"] for name in fits},
    })
    plotting.save(DDP.double_descent(ratio, [
        ("test MSE", {f"least squares / ridge $\\lambda$={c.lambd} (assignment)": cf["assignment"]["test_mse"],
                      "least squares / minimum norm": cf["min_norm"]["test_mse"]}, True),
        ("train MSE", {"assignment": cf["assignment"]["train_mse"] + 1e-16,
                       "minimum norm": cf["min_norm"]["train_mse"] + 1e-16}, True),
    ], title=f"Random Fourier features, closed form, {len(c.seeds)} seeds (median, IQR)"), out_dir / "closed_form.png")
    plotting.save(DDP.double_descent(ratio, [
        (r"$\|a\|_2$", {"assignment": cf["assignment"]["coef_norm"], "minimum norm": cf["min_norm"]["coef_norm"]},
         True)], title="Norm of the fitted coefficients"), out_dir / "coef_norm.png")

    # 2. gradient check
    g = gradient_check(ds, c.grad_n, jax.random.key(c.seeds[0]))
    out["gradient_check"] = {k: v for k, v in g.items() if not k.startswith("grad")}
    fig = plotting.plt.figure(figsize=(4, 4))
    ax = fig.gca()
    ax.scatter(g["grad_autodiff"], g["grad"], s=6)
    ax.set_xlabel("jax.grad")
    ax.set_ylabel(r"analytic $\frac{2}{n}\Phi^\top(\Phi a - y)$")
    ax.set_title(f"gradient, N={c.grad_n}: rel. err {g['rel_err_autodiff']:.1e}")
    fig.tight_layout()
    plotting.save(fig, out_dir / "gradient_check.png")

    # 3. SGD fits at a few sizes
    hist, lr, lam, div = sgd_sweep(ds, c, c.fit_sizes, epochs=c.fit_epochs, noise=0.0, lr_rule="largest",
                                   eval_every=1, out_dir=out_dir, tag="sgd_fits", progress=progress)
    out["sgd_fits"] = sgd_block(hist, np.asarray(c.fit_sizes), lr, lam, div, c.sgd_seeds, c.fit_epochs, 0.0)
    plotting.save(DDP.training_curves(
        hist["epoch"][0, 0], hist["train_loss"], hist["test_loss"], [f"N={N}" for N in c.fit_sizes],
        title=f"SGD, batch {c.batch_size}, lr={lr[0]:.2e} = 1/lambda_max(N={max(c.fit_sizes)})"),
        out_dir / "sgd_fits.png")

    # 4. SGD double descent: the assignment's setting and the label-noise / long-training setting
    settings = {"assignment": dict(epochs=c.dd_epochs, noise=0.0, lr_rule="largest", eval_every=1)}
    if c.peak:
        settings["peak"] = dict(epochs=c.peak_epochs, noise=c.peak_noise, lr_rule="per_size",
                                eval_every=c.peak_eval_every)
    dd_sizes = np.asarray(c.dd_sizes)
    out["sgd_double_descent"] = {}
    panels = []
    for tag, s in settings.items():
        hist, lr, lam, div = sgd_sweep(ds, c, dd_sizes, out_dir=out_dir, tag=f"sgd_dd_{tag}", progress=progress, **s)
        block = sgd_block(hist, dd_sizes, lr, lam, div, c.sgd_seeds, s["epochs"], s["noise"])
        ref = DD.closed_form_sweep(ds, c.sgd_seeds, dd_sizes, noise=s["noise"], fits=("min_norm",), progress=False)
        block["closed_form_min_norm_test_mse"] = summarize(ref["min_norm"]["test_mse"])
        block["peak_ratio"] = DD.peak_ratio(dd_sizes, hist["test_loss"][..., -1], n)
        out["sgd_double_descent"][tag] = block
        label = f"{s['epochs']} epochs, noise {s['noise']}, lr {s['lr_rule']}"
        final = hist["test_loss"][..., -1]
        top = 10 * float(np.max(final[np.isfinite(final)])) if np.isfinite(final).any() else None
        panels.append((f"test MSE ({tag})", {f"SGD {label}": hist["test_loss"][..., -1],
                                              "closed form, min norm": ref["min_norm"]["test_mse"]}, True,
                       (None, top)))
        panels.append((f"train MSE ({tag})", {f"SGD {label}": hist["train_loss"][..., -1]}, True))
        if tag == "peak":
            pick = [int(np.argmin(np.abs(dd_sizes - N))) for N in (45, 220, 449, 1000, 2000) if N <= dd_sizes.max()]
            pick = sorted(set(pick))
            plotting.save(DDP.training_curves(
                hist["epoch"][0, 0], hist["train_loss"][:, pick], hist["test_loss"][:, pick],
                [f"N={dd_sizes[i]}" for i in pick], logx=True,
                title=f"Epoch-wise: SGD with {s['noise']:.0%} label noise, lr = 1/lambda_max(N)"),
                out_dir / "sgd_epochwise.png")
    plotting.save(DDP.double_descent(2 * dd_sizes / n, panels, ncols=2,
                                          title=f"SGD double descent, {len(c.sgd_seeds)} seeds"),
                  out_dir / "sgd_double_descent.png")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
