"""High-dimensional geometry (udlbook CM20315 Coursework IV; Prince 2023, sec. 8.4).

    python -m experiments.udl_geometry --quick   # notebook values + 4 seeds x 200 points x every d <= 200: seconds
    python -m experiments.udl_geometry           # notebook values + 32 seeds x 1000 points x every d <= 1000

The notebook's three answers, then each as a curve. (a) 1000 Gaussian points (``np.random.seed(0)``,
drawn in 2, 100 and 1000 dimensions in turn): the ratio of the largest to the smallest pairwise
distance, all ~500 000 pairs on device, from coordinate differences in float64. (b) The volume of the
ball of diameter 1 for d = 1..10 (``pi^(d/2) / Gamma(d/2 + 1) / 2^d``). (c) The fraction of its volume
in the outer 1 % of the radius for the notebook's ten dimensions.

The jdl extension: the distance ratio for *every* dimension 1..D and many seeds in one vmapped
program (one pass over the coordinates gives every prefix dimension; memory ``n^2`` per seed), the
volume in log space (``gammaln``) to d = 1000, where it is 10^-1187, and the shell fraction.

Expected: ratios 2840.258 (2-D), 2.038 (100-D) and 1.221 (1000-D, the coursework answer); volume
0.002 at d = 10 (0.785 at d = 2, a circle of radius 1/2); 0.951 of the volume in the outer 1 % at
d = 300. Over seeds the log of the ratio falls like d^-0.5 (the relative spread of the distances is
sqrt(2/d)): both the largest and the smallest distance approach the typical distance sqrt(2d).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting, stats
from jdl.io import save_npz
from jdl.precision import precision
from jdl.studies.udlbook import geometry as G
from jdl.studies.udlbook import plots_geometry as P

NAME = "udl_geometry"
DTYPES = {"float32": jnp.float32, "float64": jnp.float64}
VOLUME_DIMS = tuple(range(1, 11))  # the notebook's part (b)
SHELL_DIMS = (1, 2, 10, 20, 50, 100, 150, 200, 250, 300)  # the notebook's part (c)


@dataclass(frozen=True)
class Config:
    notebook: bool = field(default=True, metadata={"help": "compute the notebook's part (a) on its own 1000 points"})
    n_points: int = field(default=1000, metadata={"help": "Gaussian points per seed in the dimension sweep"})
    max_dim: int = field(default=1000, metadata={"help": "the sweep covers every dimension d = 1..max_dim"})
    seeds: tuple[int, ...] = field(default=tuple(range(32)), metadata={"help": "jax.random seeds of the sweep"})
    volume_max_dim: int = field(default=1000, metadata={"help": "volume and shell curves for d = 1..volume_max_dim"})
    diameter: float = field(default=1.0, metadata={"help": "ball diameter of part (b) (the notebook's 1)"})
    shell: float = field(default=0.01, metadata={"help": "outer shell as a share of the radius (the notebook's 1 %)"})
    dtype: str = field(default="float32", metadata={"help": "float32 | float64 for the sweep (part (a) is float64)"})
    seeds_per_call: int = field(default=0, metadata={"help": "seeds per compiled call (0: ~256 MiB of accumulators)"})
    rows_per_block: int = field(default=0, metadata={"help": "distance rows held at once per seed (0: all n)"})

    def validate(self) -> None:
        if self.n_points < 2:
            raise ValueError(f"n_points: need at least 2 points, got {self.n_points}")
        _cli.at_least(self, 1, "max_dim", "volume_max_dim")
        if not self.seeds:
            raise ValueError("seeds: need at least one seed")
        if not self.diameter > 0:
            raise ValueError(f"diameter: must be > 0, got {self.diameter}")
        if not 0 < self.shell < 1:
            raise ValueError(f"shell: must be in (0, 1), got {self.shell}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected one of {sorted(DTYPES)}, got {self.dtype!r}")
        for name in ("seeds_per_call", "rows_per_block"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0, got {getattr(self, name)}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(n_points=200, max_dim=200, seeds=(0, 1, 2, 3))


def notebook_values(c: Config) -> dict:
    """Parts (a)-(c) exactly as the notebook computes them (part (a) in float64)."""
    out = {}
    if c.notebook:
        points = G.udlbook_points(seed=0, n=1000, dims=G.UDL_DIMS)
        with precision(jnp.float64):
            out["data_sum_1000D"] = float(np.sum(points[-1]))
            out["distance_ratio"] = {d: float(G.distance_ratio(jnp.asarray(x))) for d, x in zip(G.UDL_DIMS, points)}
    with precision(jnp.float64):
        dims = np.asarray(VOLUME_DIMS, np.float64)
        out["volume"] = dict(zip(VOLUME_DIMS, np.asarray(G.ball_volume(dims, c.diameter)).tolist()))
        dims = np.asarray(SHELL_DIMS, np.float64)
        out["outer_shell_fraction"] = dict(zip(SHELL_DIMS, np.asarray(G.outer_shell_fraction(dims, c.shell)).tolist()))
    return out


def _print_notebook(nb: dict, c: Config) -> None:
    if "distance_ratio" in nb:
        print("Part (a): 1000 points, np.random.seed(0)")
        print(f"  Sum of your data is {nb['data_sum_1000D']:3.3f}, Should be {1036.321:3.3f}")
        for d, r in nb["distance_ratio"].items():
            print(f"  Ratio of largest to smallest distance {d}D: {r:3.3f}")
    print(f"Part (b): volume of the hypersphere of diameter {c.diameter:g}")
    for d, v in nb["volume"].items():
        print(f"  Volume of unit diameter hypersphere in {d} dimensions is {v:3.3f}")
    print(f"Part (c): share of the volume in the outer {100 * c.shell:g} % of the radius")
    for d, p in nb["outer_shell_fraction"].items():
        print(f"  Proportion of volume in outer {100 * c.shell:g} percent of radius in {d} dimensions ={p:3.3f}")


def run(c: Config, out_dir, progress: bool = True) -> dict:
    nb = notebook_values(c)
    _print_notebook(nb, c)

    # the extension: every dimension 1..D x every seed, one vmapped program per call
    t0 = time.perf_counter()
    e = G.ratio_sweep(c.seeds, c.n_points, c.max_dim, dtype=DTYPES[c.dtype], seeds_per_call=c.seeds_per_call or None,
                      rows_per_block=c.rows_per_block or None, progress=progress)
    sweep_s = time.perf_counter() - t0
    dims = np.arange(1, c.max_dim + 1)
    ratio_sd = e.ratio
    q25, med, q75 = stats.finite_quantiles(ratio_sd, [0.25, 0.5, 0.75], axis=0)
    exponent = G.concentration_exponent(dims, med, d_min=max(2, c.max_dim // 10)) if c.max_dim >= 20 else None
    pairs = len(c.seeds) * c.n_points * (c.n_points - 1) // 2

    with precision(jnp.float64):
        vdims = np.arange(1, c.volume_max_dim + 1, dtype=np.float64)
        ln10 = np.log(10.0)
        log10_vol = {f"diameter {c.diameter:g} (the notebook)": np.asarray(G.log_ball_volume(vdims, c.diameter)) / ln10,
                     "radius 1": np.asarray(G.log_ball_volume(vdims, 2.0)) / ln10}
        shells = sorted({c.shell, 0.001, 0.05})
        shell = {f"outer {100 * s:g} % of the radius": np.asarray(G.outer_shell_fraction(vdims, s)) for s in shells}
    main_vol = next(iter(log10_vol.values()))
    main_shell = shell[f"outer {100 * c.shell:g} % of the radius"]
    unit_radius = log10_vol["radius 1"]

    checkpoints = [d for d in (1, 2, 3, 10, 100, 1000, 10000) if d <= c.max_dim] + [c.max_dim]
    out = {
        "notebook": nb,
        "sweep": {"n_points": c.n_points, "max_dim": c.max_dim, "n_seeds": len(c.seeds), "dims": dims,
                  "ratio_median": med, "ratio_q25": q25, "ratio_q75": q75,
                  "ratio_median_at": {int(d): float(med[d - 1]) for d in sorted(set(checkpoints))},
                  "min_over_sqrt_2d_median_at_max_dim": float(np.median(e.min_d[:, -1]) / np.sqrt(2 * c.max_dim)),
                  "max_over_sqrt_2d_median_at_max_dim": float(np.median(e.max_d[:, -1]) / np.sqrt(2 * c.max_dim)),
                  "log_ratio_exponent": exponent, "sweep_s": round(sweep_s, 3), "pairs": pairs,
                  "pair_dims_per_s": round(pairs * c.max_dim / sweep_s, 1)},
        "volume": {"dims": vdims.astype(int), "log10_volume": main_vol,
                   "log10_volume_at": {int(d): float(main_vol[d - 1]) for d in (10, 100, 1000) if d <= len(vdims)},
                   "unit_radius_peak_dim": int(np.argmax(unit_radius) + 1),
                   "unit_radius_peak_volume": float(10 ** unit_radius.max())},
        "outer_shell": {"shell": c.shell, "fraction": main_shell,
                        "half_volume_dim": int(np.argmax(main_shell >= 0.5) + 1) if main_shell[-1] >= 0.5 else None},
    }
    save_npz(out_dir / "distances.npz", dims=dims, min_d=e.min_d, max_d=e.max_d, seeds=np.asarray(c.seeds))

    marks = {d: r for d, r in nb.get("distance_ratio", {}).items() if d <= c.max_dim}
    plotting.save(P.distances(dims, ratio_sd, e.min_d, e.max_d, marks=marks, n_points=c.n_points,
                              title=f"{len(c.seeds)} seeds x {c.n_points} points, every d = 1..{c.max_dim}"),
                  out_dir / "distances.png")
    shell_marks = {d: p for d, p in nb["outer_shell_fraction"].items() if d <= c.volume_max_dim}
    vol_marks = {d: v for d, v in nb["volume"].items() if d <= c.volume_max_dim}
    plotting.save(P.volumes(vdims, log10_vol, shell, marks={"volume": vol_marks, "shell": shell_marks}),
                  out_dir / "volumes.png")

    s = out["sweep"]
    print(f"Sweep: {len(c.seeds)} seeds x {c.n_points} points, every d = 1..{c.max_dim} "
          f"({pairs} pairs x {c.max_dim} dims in {sweep_s:.1f} s)")
    print("  median distance ratio: " + ", ".join(f"{d}D {r:.4g}" for d, r in s["ratio_median_at"].items()))
    if exponent is not None:
        print(f"  log(ratio) ~ d^{exponent:.3f} for d >= {max(2, c.max_dim // 10)} (concentration: -0.5)")
    print(f"  at d = {c.max_dim}: smallest / sqrt(2d) = {s['min_over_sqrt_2d_median_at_max_dim']:.3f}, "
          f"largest / sqrt(2d) = {s['max_over_sqrt_2d_median_at_max_dim']:.3f}")
    v = out["volume"]
    at = ", ".join(f"{d}D {x:.1f}" for d, x in v["log10_volume_at"].items())
    print((f"Volume: log10 of the diameter-{c.diameter:g} ball {at}; " if at else "Volume: ")
          + f"the radius-1 ball peaks at d = {v['unit_radius_peak_dim']} ({v['unit_radius_peak_volume']:.3f})")
    if out["outer_shell"]["half_volume_dim"] is not None:
        print(f"Shell: half the volume lies in the outer {100 * c.shell:g} % from d = "
              f"{out['outer_shell']['half_volume_dim']}")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
