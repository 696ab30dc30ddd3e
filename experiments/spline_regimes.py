"""Kernel vs adaptive regime of a shallow univariate ReLU net (Williams et al., NeurIPS 2019).

    python -m experiments.spline_regimes --quick     # ~6 s on a 2-core CPU
    python -m experiments.spline_regimes             # m = 1000, 20k steps: ~2.5 min on a 2-core CPU

The full grid is 3 targets x 5 alphas x 9 lambdas x 4 seeds (540 nets).

``f(x) = (1/m) sum_i c_i relu(a_i x + b_i)`` is fitted to 10 points on [-1, 1] (a sinusoid, a square
wave, and the baseline's uniform random targets) by full-batch gradient descent from
``a, b ~ N(0, alpha^2 / lambda)``, ``c ~ N(0, alpha^2 lambda)`` (antisymmetric pairs, f = 0 at init).
Every target x alpha x lambda x seed trains in one compiled, vmapped ``lax.scan``; each member has its
own learning rate ``lr_scale * n / E[trace of the tangent kernel]`` (jdl.studies.spline_regimes.splines.stable_lr), so members
whose kernels differ by 10^8 are all stable. Per member: distance to the natural cubic spline and to
the linear interpolant, the spline index (0 = linear, 1 = cubic), knot displacement and the share of
slope-change mass |c a| within ``delta`` of a data point. Figures: fits.png, spline_index.png (heatmaps
over alpha x lambda, unconverged cells marked), knots.png; their adaptive panels show, per target, the
converged cell with lambda > 1 and alpha <= alpha_show whose knots moved most (else the largest
lambda, titled NOT converged).

Expected (and found at m = 1000, 20k steps): small lambda, the kernel regime: knots do not move
(shift < 1e-3) and the fit is the natural cubic spline (index ~0.9-1.0 for every target, alpha >= 1).
Large lambda and large alpha (lazy): knots still fixed, but the tangent kernel is the first layer's,
whose interpolant is nearly linear (index ~0.1). Large lambda, alpha^2 below the data's path norm
(adaptive): knots travel (shift ~1) and gather at a few places; for the square wave all slope mass
sits within 0.02 of the data points and the fit is the linear interpolant (index -0.15 to 0.00), for the sinusoid and the
random targets the knots are sparse but partly between the data, and the random fits often stall on
a plateau. Heavy-ball momentum (default 0.9) converges the kernel regime's slow modes in 20k steps
(the cubic kernel's 10 x 10 Gram matrix has condition number ~5e4); ``--momentum=0`` is plain GD as
the paper and the baseline, where within 20k steps only the smooth sinusoid reaches its spline.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from experiments import _cli
from jdl import plotting
from jdl.studies.spline_regimes import plots as PS
from jdl.studies.spline_regimes import runs as SR

NAME = "spline_regimes"
TARGETS = ("sin", "square", "random")


@dataclass(frozen=True)
class Config:
    targets: tuple[str, ...] = field(default=TARGETS, metadata={
        "help": "sin (sin pi x) | square (sign cos pi x) | random (U(-1,1), as the baseline)"})
    n_points: int = field(default=10, metadata={"help": "data points, x = linspace(-1, 1, n_points)"})
    data_seed: int = field(default=0, metadata={"help": "NumPy seed of the random target (the baseline's --data-seed)"})
    m: int = field(default=1000, metadata={"help": "hidden units"})
    steps: int = field(default=20000, metadata={"help": "full-batch GD steps"})
    alphas: tuple[float, ...] = field(default=(0.3, 1.0, 3.0, 10.0, 30.0),
                                      metadata={"help": "overall init scale sqrt(sigma_ab sigma_c)"})
    lambdas: tuple[float, ...] = field(default=(1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4),
                                       metadata={"help": "layer ratio sigma_c / sigma_ab"})
    seeds: tuple[int, ...] = field(default=(0, 1, 2, 3), metadata={"help": "init seeds"})
    lr_scale: float = field(default=1.0,
                            metadata={"help": "lr = lr_scale * n / E[tangent-kernel trace] (< 1.3 is stable)"})
    momentum: float = field(default=0.9, metadata={"help": "heavy-ball momentum of optax.sgd (0 = plain GD)"})
    symmetric: bool = field(default=True, metadata={"help": "antisymmetric pairs: f = 0 at init"})
    records: int = field(default=100, metadata={"help": "training-loss records (must divide steps)"})
    grid_points: int = field(default=1001, metadata={"help": "dense grid on [-1, 1] for the spline distances"})
    delta: float = field(default=0.02, metadata={"help": "'near a data point' radius for the knot mass"})
    mse_tol: float = field(default=1e-4, metadata={"help": "train MSE above this counts as not converged"})
    alpha_show: float = field(default=1.0, metadata={"help": "alpha of the fit and knot figures (nearest grid value)"})
    chunk: int = field(default=4, metadata={
        "help": "sweep members (seed x target, each a whole alpha x lambda grid) per call"})
    checkpoint: bool = field(default=True, metadata={"help": "checkpoint finished chunks under <out>/checkpoints"})

    def validate(self) -> None:
        if not self.targets or any(t not in TARGETS for t in self.targets):
            raise ValueError(f"targets: expected a non-empty list of {TARGETS}, got {self.targets}")
        for name in ("alphas", "lambdas"):
            v = getattr(self, name)
            if not v or min(v) <= 0 or any(b <= a for a, b in zip(v, v[1:])):
                raise ValueError(f"{name}: need increasing values > 0, got {v}")
        if not self.seeds:
            raise ValueError("seeds: need at least one seed")
        _cli.at_least(self, 1, "m", "steps", "records", "chunk")
        if self.n_points < 3:
            raise ValueError(f"n_points: need >= 3 points for a cubic spline, got {self.n_points}")
        if self.grid_points < 2:
            raise ValueError(f"grid_points: must be >= 2, got {self.grid_points}")
        if self.steps % self.records:
            raise ValueError(f"records: must divide steps={self.steps}, got {self.records}")
        if not self.lr_scale > 0:
            raise ValueError(f"lr_scale: must be > 0, got {self.lr_scale}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum: must be in [0, 1), got {self.momentum}")
        if not self.delta > 0 or not self.mse_tol > 0 or not self.alpha_show > 0:
            bad = next(n for n in ("delta", "mse_tol", "alpha_show") if not getattr(self, n) > 0)
            raise ValueError(f"{bad}: must be > 0, got {getattr(self, bad)}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(targets=("sin", "square"), m=256, steps=5000, alphas=(3.0, 30.0), lambdas=(1e-4, 1.0, 1e4),
                  seeds=(0,), records=20, grid_points=401, alpha_show=3.0)


def run(c: Config, out_dir, progress: bool = True) -> dict:
    x, ys = SR.make_data(c.targets, c.n_points, c.data_seed)
    res = SR.run_all(x, ys, m=c.m, steps=c.steps, alphas=c.alphas, lambdas=c.lambdas, seeds=c.seeds,
                     lr_scale=c.lr_scale, momentum=c.momentum, symmetric=c.symmetric, records=c.records,
                     grid_points=c.grid_points, delta=c.delta, mse_tol=c.mse_tol, alpha_show=c.alpha_show,
                     chunk=c.chunk, checkpoint_dir=out_dir / "checkpoints" if c.checkpoint else None,
                     fingerprint=repr(dataclasses.replace(c, alpha_show=0.0, mse_tol=0.0)), progress=progress)
    out, f = res["metrics"], res["figures"]
    names = list(ys)

    # --- figures
    figs = {"fits": PS.fits(x, ys, f["refs"], f["fit"], f["spline_index"], f["panels"], c.alphas, c.lambdas,
                            f["mark"]),
            "spline_index": PS.heatmaps(names, f["heatmap_rows"], c.alphas, c.lambdas),
            "knots": PS.knots(x, names, f["params0"], f["params"], f["panels"][:2], c.alphas, c.lambdas, f["mark"])}
    for name, fig in figs.items():
        plotting.save(fig, out_dir / f"{name}.png")

    for n in names:
        g = out["regimes"][n]
        print(f"{n:7s} " + "  ".join(f"{k}: index {v['spline_index']:.2f}, knot shift {v['knot_shift']:.3f}, "
                                      f"near data {v['knot_mass_near_data']:.2f}" for k, v in g.items()))
    print(f"{out['n_diverged']} diverged members, {out['n_unconverged_cells']} unconverged cells")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
