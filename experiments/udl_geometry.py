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

from dataclasses import dataclass, field

import jax.numpy as jnp

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.studies.udlbook import geometry_runs as GR
from jdl.studies.udlbook import plots_geometry as P

NAME = "udl_geometry"
DTYPES = {"float32": jnp.float32, "float64": jnp.float64}
VOLUME_DIMS, SHELL_DIMS = GR.VOLUME_DIMS, GR.SHELL_DIMS  # the notebook's parts (b) and (c)


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
    return GR.notebook_values(c.notebook, c.diameter, c.shell)


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
    res = GR.run_all(nb, n_points=c.n_points, max_dim=c.max_dim, seeds=c.seeds, volume_max_dim=c.volume_max_dim,
                     diameter=c.diameter, shell=c.shell, dtype=DTYPES[c.dtype],
                     seeds_per_call=c.seeds_per_call or None, rows_per_block=c.rows_per_block or None,
                     progress=progress)
    save_npz(out_dir / "distances.npz", **res["arrays"]["distances"])
    _figures(res, c, out_dir)
    _print(res["metrics"], c)
    return res["metrics"]


def _figures(res, c: Config, out_dir) -> None:
    nb, e, curves = res["metrics"]["notebook"], res["extremes"], res["curves"]
    marks = {d: r for d, r in nb.get("distance_ratio", {}).items() if d <= c.max_dim}
    plotting.save(P.distances(res["metrics"]["sweep"]["dims"], e.ratio, e.min_d, e.max_d, marks=marks,
                              n_points=c.n_points,
                              title=f"{len(c.seeds)} seeds x {c.n_points} points, every d = 1..{c.max_dim}"),
                  out_dir / "distances.png")
    shell_marks = {d: p for d, p in nb["outer_shell_fraction"].items() if d <= c.volume_max_dim}
    vol_marks = {d: v for d, v in nb["volume"].items() if d <= c.volume_max_dim}
    plotting.save(P.volumes(curves["dims"], curves["log10_volume"], curves["shell"],
                            marks={"volume": vol_marks, "shell": shell_marks}),
                  out_dir / "volumes.png")


def _print(out: dict, c: Config) -> None:
    s = out["sweep"]
    print(f"Sweep: {len(c.seeds)} seeds x {c.n_points} points, every d = 1..{c.max_dim} "
          f"({s['pairs']} pairs x {c.max_dim} dims in {s['sweep_s']:.1f} s)")
    print("  median distance ratio: " + ", ".join(f"{d}D {r:.4g}" for d, r in s["ratio_median_at"].items()))
    if s["log_ratio_exponent"] is not None:
        print(f"  log(ratio) ~ d^{s['log_ratio_exponent']:.3f} for d >= {max(2, c.max_dim // 10)} (concentration: -0.5)")
    print(f"  at d = {c.max_dim}: smallest / sqrt(2d) = {s['min_over_sqrt_2d_median_at_max_dim']:.3f}, "
          f"largest / sqrt(2d) = {s['max_over_sqrt_2d_median_at_max_dim']:.3f}")
    v = out["volume"]
    at = ", ".join(f"{d}D {x:.1f}" for d, x in v["log10_volume_at"].items())
    print((f"Volume: log10 of the diameter-{c.diameter:g} ball {at}; " if at else "Volume: ")
          + f"the radius-1 ball peaks at d = {v['unit_radius_peak_dim']} ({v['unit_radius_peak_volume']:.3f})")
    if out["outer_shell"]["half_volume_dim"] is not None:
        print(f"Shell: half the volume lies in the outer {100 * c.shell:g} % from d = "
              f"{out['outer_shell']['half_volume_dim']}")


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
