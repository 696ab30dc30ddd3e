"""Linear regions: the sawtooth's 2^L pieces, how fragile they are, and random nets at init.

    python -m experiments.linear_regions --quick   # ~20 s on a 2-core CPU, mostly compilation
    python -m experiments.linear_regions           # larger grids: ~4 min on a 2-core CPU

Every count is exact (``jdl.analysis.pieces``: breakpoints tracked through the layers, no sampling grid),
in float64 by default (float32 merges the two halves of a perturbed sawtooth kink).

1. The sawtooth network (2 ReLUs per layer, ``f_L = 2|f_{L-1}| - 2``) has exactly 2^L pieces on [-2, 2].
2. Its middle layers perturbed by ``noise_level * N(0, 1)``, replaced by random layers, or the whole
   net re-initialised (PyTorch default), over many seeds and depths (all members in one vmapped program).
3. Random ``1 -> width x depth -> 1`` nets at standard init (He): pieces against neurons N = depth x width.
4. The udlbook notebooks CM20315_Deep / Deep2: composing two shallow 1-3-1 nets, N copies of net 1.

Expected: small noise keeps the growth exponential (each kink even splits in two: ~2^(L+1) pieces);
large noise slows it, random middle layers collapse it to a handful of pieces; random nets at
init have pieces ~ linear in N and not exponential in depth (Hanin & Rolnick 2019); udlbook:
net2(net1^N) has 4 x 3^N pieces.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.studies.linear_regions import plots as PRG
from jdl.studies.linear_regions import runs as LR
from jdl.studies.udlbook import (
    networks as S,  # the notebook's nets, passed to the study (no study-to-study import)
)

NAME = "linear_regions"
INITS = ("he", "torch")


@dataclass(frozen=True)
class Config:
    sawtooth_depth: int = field(default=16, metadata={"help": "exact sawtooth for depths 1..this (<= 20)"})
    plot_depths: tuple[int, ...] = field(default=(1, 2, 3, 4, 6), metadata={"help": "sawtooth outputs drawn"})
    noisy_depth: int = field(default=12, metadata={"help": "perturbed sawtooths for depths 1..this (<= 16)"})
    noise_levels: tuple[float, ...] = field(default=(0.001, 0.01, 0.1, 0.3, 0.7, 1.0),
                                            metadata={"help": "std of the noise added to the middle layers"})
    seeds: int = field(default=64, metadata={"help": "networks per (variant, depth)"})
    middle_init: str = field(default="torch", metadata={"help": "random middle layers / whole re-init: torch | he"})
    widths: tuple[int, ...] = field(default=(4, 8, 16, 32, 64), metadata={"help": "random nets: hidden widths"})
    depths: tuple[int, ...] = field(default=(1, 2, 3, 4, 6, 8), metadata={"help": "random nets: hidden layers"})
    net_seeds: int = field(default=32, metadata={"help": "random nets per (depth, width)"})
    init: str = field(default="he", metadata={"help": "random nets: he (b ~ N(0, b_std^2)) | torch"})
    b_std: float = field(default=1.0, metadata={"help": "random nets: bias std (he)"})
    interval: float = field(default=3.0, metadata={"help": "random nets are counted on [-interval, interval]"})
    udl_copies: int = field(default=6, metadata={"help": "udlbook: up to this many copies of net 1 before net 2"})
    max_breakpoints: int = field(default=0, metadata={"help": "0: 2^L sawtooth, 2^(L+2) perturbed, 4N+64 random"})
    dtype: str = field(default="float64", metadata={"help": "float64 | float32"})
    chunk: int = field(default=256, metadata={"help": "networks per compiled call (memory ~ chunk x capacity)"})
    seed: int = 0

    def validate(self) -> None:
        _cli.at_least(self, 1, "sawtooth_depth", "noisy_depth", "seeds", "net_seeds", "udl_copies", "chunk")
        if self.sawtooth_depth > 20 or self.noisy_depth > 16:
            raise ValueError("sawtooth_depth/noisy_depth: at most 20/16 (capacity 2^L per network)")
        for name in ("plot_depths", "widths", "depths", "noise_levels"):
            if not getattr(self, name):
                raise ValueError(f"{name}: need at least one value")
        for name in ("plot_depths", "widths", "depths"):
            if min(getattr(self, name)) < 1:
                raise ValueError(f"{name}: every value must be >= 1, got {getattr(self, name)}")
        if max(self.plot_depths) > self.sawtooth_depth:
            raise ValueError(f"plot_depths: must be <= sawtooth_depth={self.sawtooth_depth}")
        if min(self.noise_levels) < 0:
            raise ValueError(f"noise_levels: must be >= 0, got {self.noise_levels}")
        if self.b_std < 0 or self.interval <= 0 or self.max_breakpoints < 0:
            raise ValueError("b_std/interval/max_breakpoints: need b_std >= 0, interval > 0, max_breakpoints >= 0")
        for name in ("init", "middle_init"):
            if getattr(self, name) not in INITS:
                raise ValueError(f"{name}: expected one of {INITS}, got {getattr(self, name)!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: expected float32 or float64, got {self.dtype!r}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(sawtooth_depth=10, noisy_depth=8, noise_levels=(0.01, 0.1, 0.3, 0.7), seeds=12,
                  widths=(4, 8, 16), depths=(1, 2, 4), net_seeds=8, udl_copies=4)


def run(c: Config, out_dir, progress: bool = True) -> dict:
    res = LR.run_all(seed=c.seed, sawtooth_depth=c.sawtooth_depth, plot_depths=c.plot_depths,
                     noisy_depth=c.noisy_depth, noise_levels=c.noise_levels, seeds=c.seeds,
                     middle_init=c.middle_init, widths=c.widths, depths=c.depths, net_seeds=c.net_seeds,
                     init=c.init, b_std=c.b_std, interval=c.interval, composed=S.udlbook_networks(),
                     copies=c.udl_copies, max_breakpoints=c.max_breakpoints, dtype=c.dtype, chunk=c.chunk,
                     progress=progress)
    out, fd = res["metrics"], res["figures"]
    saw, var, rnd, udl = out["sawtooth"], out["sawtooth_variants"], out["random_nets"], out["udlbook"]

    # --- figures
    copies = np.asarray(udl["copies"])
    figs = {
        "sawtooth_outputs": PRG.sawtooth_outputs(fd["sawtooth_curves"]),
        "sawtooth_variants": PRG.variant_examples(fd["variant_examples"]),
        "pieces_vs_depth": PRG.pieces_vs_depth(saw["depths"], saw["pieces"], var["depths"], fd["variant_pieces"],
                                               f"perturbed sawtooth, {c.seeds} nets per point"),
        "random_nets": PRG.random_nets(rnd, c.interval, c.init),
        "udlbook_composition": plotting.composition(fd["composition_x"], fd["composition_curves"], udl["pieces"], copies,
                                              udl["pieces_net2_of_net1_copies"],
                                              formula=(4.0 * 3.0 ** copies, "$4 \\cdot 3^N$")),
    }
    for name, fig in figs.items():
        plotting.save(fig, out_dir / f"{name}.png")

    print(f"sawtooth: pieces {saw['pieces'].tolist()} (2^L: {saw['exactly_2_pow_L']})")
    for lab, m in zip(var["labels"], var["median_pieces"]):
        print(f"  {lab:28s} median pieces by depth {m.tolist()}  growth/layer {var['growth_per_layer'][lab]}")
    print(f"random nets: {rnd['pieces_per_neuron']:.3f} pieces per neuron, log-log exponent "
          f"{rnd['loglog_exponent_in_N']:.2f}; udlbook {udl['pieces']}, copies {udl['pieces_net2_of_net1_copies']}")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
