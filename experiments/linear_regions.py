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

import jax
import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting, stats, sweep
from jdl.analysis import pieces as R
from jdl.precision import precision
from jdl.studies.linear_regions import networks as LRN
from jdl.studies.linear_regions import plots as PRG
from jdl.studies.udlbook import networks as S
from jdl.studies.udlbook import plots_networks as PU
from jdl.timing import timed

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


def _precision(c: Config):
    return precision(c.dtype)


def _cast(params, dtype):
    return jax.tree.map(lambda x: x.astype(dtype), params)


def _growth(depths, pieces_d):
    """Per-layer growth factor: 2^(slope of log2 pieces against depth) over the deeper half."""
    d, p = np.asarray(depths, float), np.asarray(pieces_d, float)
    keep = (d >= d.max() / 2) & np.isfinite(p) & (p > 0)
    return float(2 ** np.polyfit(d[keep], np.log2(p[keep]), 1)[0]) if keep.sum() >= 2 else None


def sawtooth_exact(c: Config) -> dict:
    L = c.sawtooth_depth
    nets = jax.vmap(lambda d: LRN.sawtooth(d, max_depth=L))(jnp.arange(1, L + 1))
    res = R.count_pieces_many(nets, -2.0, 2.0, max_breakpoints=c.max_breakpoints or 2 ** L, dtype=c.dtype)
    pieces = np.asarray(res.n_pieces)
    return {"depths": list(range(1, L + 1)), "pieces": pieces, "regions": np.asarray(res.n_regions),
            "exactly_2_pow_L": bool(np.all(pieces == 2 ** np.arange(1, L + 1)))}


def _variant(key, kind, noise, depth, max_depth: int, init: str):
    """kind 0: noisy sawtooth, 1: random middle layers, 2: the whole 2-unit net re-initialised."""
    variants = (LRN.noisy_sawtooth(key, depth, noise, max_depth=max_depth),
                LRN.random_middle_sawtooth(key, depth, max_depth=max_depth, init=init),
                LRN.random_net(key, depth, 2, max_depth=max_depth, init=init))
    # all three have the same shapes: pick one per member, so one program serves the grid
    return jax.tree.map(lambda a, b, r: jnp.where(kind == 0, a, jnp.where(kind == 1, b, r)), *variants)


def sawtooth_variants(c: Config, progress: bool) -> dict:
    """Noisy / random-middle / re-initialised sawtooths: every (variant, depth, seed) in one program."""
    L, S = c.noisy_depth, c.seeds
    labels = [f"noise {s:g}" for s in c.noise_levels] + [f"random middle ({c.middle_init})",
                                                        f"whole net re-init ({c.middle_init})"]
    kind = np.repeat([0] * len(c.noise_levels) + [1, 2], L * S)
    noise = np.repeat(list(c.noise_levels) + [0.0, 0.0], L * S).astype(np.float32)
    depth = np.tile(np.repeat(np.arange(1, L + 1), S), len(labels)).astype(np.int32)
    keys = jax.random.split(jax.random.key(c.seed), len(kind))  # a fresh network per member
    cap, dtype = c.max_breakpoints or 2 ** (L + 2), jnp.dtype(c.dtype)

    def member(m):
        p = _variant(m["key"], m["kind"], m["noise"], m["depth"], L, c.middle_init)
        return R.count_pieces(_cast(p, dtype), -2.0, 2.0, max_breakpoints=cap)

    inputs = {"key": keys, "kind": kind, "noise": noise, "depth": depth}
    with _precision(c):
        res, run_s, compile_s = timed(lambda: sweep.map_members(member, inputs, chunk_size=c.chunk,
                                                                progress=progress, desc="sawtooth variants"))
    shape = (len(labels), L, S)
    pieces = stats.finite(res.n_pieces, res.overflow).reshape(shape)  # an overflowed count is left out
    median = stats.finite_median(pieces, -1)
    q25, q75 = stats.finite_quantiles(pieces, [0.25, 0.75], -1)
    return {"labels": labels, "depths": list(range(1, L + 1)), "median_pieces": median,
            "q25_pieces": q25, "q75_pieces": q75,
            "growth_per_layer": {lab: _growth(range(1, L + 1), m) for lab, m in zip(labels, median)},
            "n_overflow": int(res.overflow.sum()), "max_breakpoints": cap, "networks": len(kind),
            "run_s": run_s, "compile_s": compile_s, "networks_per_s": round(len(kind) / max(run_s, 1e-9), 1),
            "_pieces": pieces}


def random_nets(c: Config, progress: bool) -> dict:
    g = sweep.grid(depth=list(c.depths), width=list(c.widths), seed=list(range(c.net_seeds)))
    D, H = max(c.depths), max(c.widths)
    cap, dtype = c.max_breakpoints or 4 * D * H + 64, jnp.dtype(c.dtype)
    keys = jax.random.split(jax.random.key(c.seed + 1), len(g["seed"]))

    def member(m):
        p = LRN.random_net(m["key"], m["depth"], m["width"], max_depth=D, max_width=H, init=c.init, b_std=c.b_std)
        return R.count_pieces(_cast(p, dtype), -c.interval, c.interval, max_breakpoints=cap)

    inputs = {"key": keys, "depth": g["depth"].astype(np.int32), "width": g["width"].astype(np.int32)}
    with _precision(c):
        res = sweep.map_members(member, inputs, chunk_size=c.chunk, progress=progress, desc="random nets")
    shape = (len(c.depths), len(c.widths), c.net_seeds)
    pieces = stats.finite(res.n_pieces, res.overflow).reshape(shape)  # an overflowed count is left out
    median = stats.finite_median(pieces, -1)
    q25, q75 = stats.finite_quantiles(pieces, [0.25, 0.75], -1)
    N = np.outer(c.depths, c.widths).astype(float)
    ok = np.isfinite(median)
    slope = float(np.sum(N[ok] * median[ok]) / np.sum(N[ok] ** 2))  # least squares through the origin
    exponent = float(np.polyfit(np.log(N[ok]), np.log(np.maximum(median[ok], 1)), 1)[0])
    return {"depths": list(c.depths), "widths": list(c.widths), "neurons": N, "median_pieces": median,
            "q25_pieces": q25, "q75_pieces": q75,
            "median_regions": stats.finite_median(stats.finite(res.n_regions, res.overflow).reshape(shape), -1),
            "pieces_per_neuron": slope, "loglog_exponent_in_N": exponent,
            "n_overflow": int(res.overflow.sum()), "max_breakpoints": cap}


def udlbook(c: Config) -> dict:
    nets = S.udlbook_networks()
    deep, net = [], nets["net1"]
    for _ in range(c.udl_copies):  # net2(net1(...net1(x))) with 1..udl_copies copies of net1
        deep.append(R.compose(net, nets["net2"]))
        net = R.compose(net, nets["net1"])
    # every net is 1 -> 3 x depth -> 1: padded to one depth, they share one compiled count
    D = c.udl_copies + 1
    stacked = jax.tree.map(lambda *x: jnp.stack(x), *[R.pad_depth(p, D) for p in [*nets.values(), *deep]])
    pieces = R.count_pieces_many(stacked, -1.0, 1.0, max_breakpoints=8 * 3 ** c.udl_copies, dtype=c.dtype).n_pieces
    copies = pieces[len(nets):].tolist()
    return {"pieces": dict(zip(nets, pieces[:len(nets)].tolist())), "copies": list(range(1, D)),
            "pieces_net2_of_net1_copies": copies,
            "matches_4_times_3_pow_N": copies == [4 * 3 ** n for n in range(1, D)]}


# --- figures ------------------------------------------------------------------------------------
_evaluate_curve = jax.jit(jax.vmap(R.evaluate, in_axes=(None, 0)))  # one compile per network shape


def _curve(params, lo, hi, n=4001):
    x = jnp.linspace(lo, hi, n)
    return np.asarray(x), np.asarray(_evaluate_curve(params, x)[:, 0])


def figures(c: Config, saw: dict, var: dict, rnd: dict, udl: dict, out_dir) -> None:
    """Evaluate the networks the figures draw (curves, example nets) and save the figures."""
    Lmax = max(c.plot_depths)
    saw_curves = [(L, *_curve(LRN.sawtooth(L, max_depth=Lmax), -2, 2), saw["pieces"][L - 1]) for L in c.plot_depths]
    plotting.save(PRG.sawtooth_outputs(saw_curves), out_dir / "sawtooth_outputs.png")

    L6, n_ex = min(6, c.noisy_depth), 3  # the assignment's plot: 6 hidden layers; 3 nets per panel
    kind = np.repeat([0] * len(c.noise_levels) + [1, 2], n_ex)
    noise = np.repeat(list(c.noise_levels) + [0.0, 0.0], n_ex).astype(np.float32)
    keys = jax.random.split(jax.random.key(c.seed + 2), len(kind))
    make = jax.jit(jax.vmap(lambda k, i, s: _variant(k, i, s, L6, L6, c.middle_init)))
    nets = make(keys, kind, noise)
    counts = R.count_pieces_many(nets, -2.0, 2.0, max_breakpoints=2 ** (L6 + 2), dtype=c.dtype).n_pieces
    examples = [(f"L={L6}, {label}", [_curve(jax.tree.map(lambda x: x[i], nets), -2, 2)
                                      for i in range(j * n_ex, (j + 1) * n_ex)],
                 counts[j * n_ex:(j + 1) * n_ex].tolist()) for j, label in enumerate(var["labels"])]
    plotting.save(PRG.variant_examples(examples), out_dir / "sawtooth_variants.png")

    plotting.save(PRG.pieces_vs_depth(saw["depths"], saw["pieces"], var["depths"],
                                      {lab: var["_pieces"][i].T for i, lab in enumerate(var["labels"])},
                                      f"perturbed sawtooth, {c.seeds} nets per point"),
                  out_dir / "pieces_vs_depth.png")
    plotting.save(PRG.random_nets(rnd, c.interval, c.init), out_dir / "random_nets.png")
    nets = S.udlbook_networks()
    x = _curve(R.pad_depth(nets["net1"], 3), -1, 1)[0]
    copies = np.asarray(udl["copies"])
    plotting.save(PU.composition(x, {name: _curve(R.pad_depth(p, 3), -1, 1)[1] for name, p in nets.items()},
                                 udl["pieces"], copies, udl["pieces_net2_of_net1_copies"],
                                 formula=(4.0 * 3.0 ** copies, "$4 \\cdot 3^N$")),
                  out_dir / "udlbook_composition.png")


def run(c: Config, out_dir, progress: bool = True) -> dict:
    saw = sawtooth_exact(c)
    var = sawtooth_variants(c, progress)
    rnd = random_nets(c, progress)
    udl = udlbook(c)
    figures(c, saw, var, rnd, udl, out_dir)
    var.pop("_pieces")
    print(f"sawtooth: pieces {saw['pieces'].tolist()} (2^L: {saw['exactly_2_pow_L']})")
    for lab, m in zip(var["labels"], var["median_pieces"]):
        print(f"  {lab:28s} median pieces by depth {m.tolist()}  growth/layer {var['growth_per_layer'][lab]}")
    print(f"random nets: {rnd['pieces_per_neuron']:.3f} pieces per neuron, log-log exponent "
          f"{rnd['loglog_exponent_in_N']:.2f}; udlbook {udl['pieces']}, copies {udl['pieces_net2_of_net1_copies']}")
    return {"sawtooth": saw, "sawtooth_variants": var, "random_nets": rnd, "udlbook": udl,
            "networks_per_s": var["networks_per_s"]}


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
