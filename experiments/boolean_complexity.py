"""Boolean simplicity bias: random ReLU networks as Boolean functions (Valle-Pérez et al. 2019).

    python -m experiments.boolean_complexity --quick   # 10^5 networks, seconds on a 2-core CPU
    python -m experiments.boolean_complexity           # 10^8 networks (one GPU; hours on a CPU)
    python -m experiments.boolean_complexity --n_networks=1000000000 --chunk=65536   # streams, bounded memory

Samples networks n -> 40 -> 40 -> 1 (n = 7; W ~ N(0, sigma_w^2 / fan_in), b ~ N(0, sigma_b^2)),
evaluates each on all 2^n points of {0,1}^n, packs the sign pattern (the truth table) into uint32
words on the device and counts distinct functions there (sort-based unique, merged chunk by chunk).
Then: rank-frequency (Zipf), probability against Lempel-Ziv complexity (with the fitted
simplicity-bias bound), against the number of ones and entropy, and the most frequent functions.
A bias-free perceptron on {0,1}^n is also sampled: every number of ones t = 0..2^n - 1 is equally
likely (Mingard et al. 2019), checked with a chi-square statistic.

Expected: P(f) spans many orders of magnitude, close to Zipf (exponent ~1); the most frequent
functions are the constants and other simple functions; high probability only at low K_LZ.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.studies.simplicity_bias import networks as B
from jdl.studies.simplicity_bias import plots as SBP
from jdl.studies.simplicity_bias import runs as SB

NAME = "boolean_complexity"
PRECISIONS = {"highest": jax.lax.Precision.HIGHEST, "default": jax.lax.Precision.DEFAULT}


@dataclass(frozen=True)
class Config:
    n_inputs: int = field(default=7, metadata={"help": f"Boolean inputs n (2^n-bit tables, n <= {B.MAX_INPUTS})"})
    hidden: tuple[int, ...] = field(default=(40, 40), metadata={"help": "hidden widths"})
    activation: str = "relu"
    sigma_w: float = field(default=1.0, metadata={"help": "weight variance sigma_w^2 / fan_in"})
    sigma_b: float = 1.0
    bias: str = field(default="large", metadata={"help": "large N(0,sb^2) | small N(0,sb^2/fan_in) | none"})
    distribution: str = field(default="gaussian", metadata={"help": "gaussian | uniform (same variance)"})
    inputs: str = field(default="01", metadata={"help": "01 | pm1"})
    n_networks: int = field(default=100_000_000, metadata={"help": "networks to sample (rounded up to blocks)"})
    seed: int = 0
    chunk: int = field(default=16384, metadata={"help": "networks per compiled evaluation"})
    chunks_per_block: int = field(default=16, metadata={"help": "chunks between merges of the counts"})
    capacity: int = field(default=0, metadata={"help": "device count-table rows (0: 8 x block)"})
    precision: str = field(default="highest", metadata={"help": "matmul precision: highest (exact fp32) | default"})
    measure_limit: int = field(default=2_000_000, metadata={"help": "complexity of at most this many functions"})
    top: int = field(default=20, metadata={"help": "most frequent functions listed"})
    zipf_min_count: int = field(default=10, metadata={"help": "functions counted fewer times are left out of the Zipf and bound fits"})
    perceptron_networks: int = field(default=200_000, metadata={"help": "0 to skip the perceptron check"})
    save_counts: bool = field(default=False, metadata={"help": "write every distinct function and count (.npz)"})
    checkpoint: bool = True

    def spec(self) -> B.NetSpec:
        return B.NetSpec(self.n_inputs, tuple(self.hidden), self.activation, self.sigma_w, self.sigma_b, self.bias,
                         self.distribution, self.inputs)

    def validate(self) -> None:
        self.spec().validate()
        _cli.at_least(self, 1, "n_networks", "chunk", "chunks_per_block", "measure_limit", "top", "zipf_min_count")
        if self.capacity and self.capacity < 2 * self.chunk * self.chunks_per_block:
            raise ValueError(f"capacity: must be 0 or >= 2 x chunk x chunks_per_block, got {self.capacity}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision: expected one of {sorted(PRECISIONS)}, got {self.precision!r}")
        if self.perceptron_networks < 0:
            raise ValueError(f"perceptron_networks: must be >= 0, got {self.perceptron_networks}")
        if self.chunk % jax.device_count():
            raise ValueError(f"chunk: must be a multiple of the device count {jax.device_count()}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(n_networks=100_000, chunk=4096, chunks_per_block=5, perceptron_networks=50_000)


def run(c: Config, out_dir, progress: bool = True) -> dict:
    res = SB.run_all(c.spec(), seed=c.seed, n_networks=c.n_networks, chunk=c.chunk,
                     chunks_per_block=c.chunks_per_block, capacity=c.capacity, precision=PRECISIONS[c.precision],
                     checkpoint_dir=out_dir / "checkpoints" if c.checkpoint else None,
                     measure_limit=c.measure_limit, top=c.top, zipf_min_count=c.zipf_min_count,
                     perceptron_networks=c.perceptron_networks, progress=progress)
    out, fc, P, meas = res["metrics"], res["counts"], res["figures"]["P"], res["figures"]["measures"]
    M, k, zipf, bound = out["n_sampled"], out["measured_functions"], out["zipf"], out["simplicity_bound"]
    if c.save_counts:
        save_npz(out_dir / "counts.npz", keys=fc.keys, counts=fc.counts, n_sampled=M)

    # --- figures
    label = f"{c.n_inputs}-{'-'.join(map(str, c.hidden))}-1 {c.activation}, $\\sigma_w$={c.sigma_w}, " \
            f"$\\sigma_b$={c.sigma_b}, M={M:.1e}"
    figs = {"rank_frequency": SBP.rank_frequency(P, zipf=zipf, title=label),
            "p_vs_lz": SBP.probability_vs([(meas["lz_complexity"], "Lempel-Ziv complexity $K_{LZ}$")], P[:k],
                                          bound=(bound["a"], bound["b"]), title=label),
            "p_vs_ones": SBP.probability_vs([(meas["count_ones"], "number of ones"),
                                             (meas["ones_entropy"], "entropy of the ones fraction (bits)"),
                                             (meas["average_sensitivity"], "average sensitivity")], P[:k],
                                            title=label)}
    if c.perceptron_networks:
        pu = out["perceptron_uniformity"]
        figs["perceptron_ones"] = SBP.distribution(
            pu["ones_histogram"] / pu["n_sampled"], "number of ones t", "P(t)",
            reference=(1 / 2 ** c.n_inputs, "uniform $2^{-n}$"),
            title=f"bias-free perceptron, n={c.n_inputs}: chi2/dof = {pu['chi2_over_dof']:.2f}")
    for name, fig in figs.items():
        plotting.save(fig, out_dir / f"{name}.png")

    print(f"{M:.2e} networks, {out['n_distinct']} distinct functions, {out['fraction_constant']:.3f} constant, "
          f"{out['networks_per_s']:.3g} networks/s, Zipf exponent {zipf['exponent']}")
    for f in out["top_functions"][:10]:
        print(f"  {f['rank']:3d} {f['hex']}  P={f['P']:.3e}  K_LZ={f['K_LZ']:6.1f}  {f['description']}")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
