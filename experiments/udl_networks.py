"""udlbook CM20315 Shallow, Deep and Deep2: shallow ReLU nets, composing them, the matrix form, linear regions.

    python -m experiments.udl_networks --quick   # a few seconds on a CPU
    python -m experiments.udl_networks           # finer parameter grids, 6 stacked copies

Shallow: the notebook's 1-3-1 net (theta_10 = 0.3 ... phi_3 = 7.0) with every stage of Fig. 3.3, its
least-squares loss on the 20 training points (9.385: the notebook prints "Loss = %3.3f" of a TODO, so
this is the filled-in value), the steep sigmoid and linear activations, the 2-input net, and the
notebook's eight "predict what happens" questions as parameter variants. jdl extends the hand-tuning:
all variants in one vmapped evaluation with exact piece counts (jdl.analysis.pieces), the loss over a grid of
phi_0 (the notebook's tip) as one vmapped call, the least-squares output layer (one linear solve:
below the notebook's hand-tuned best of 0.181), and a map of the piece count on [0, 1] over
(theta_10, theta_20), one vmapped count for the whole grid.

Deep: net1 and net2 (the notebook's parameters), their compositions as the notebook varies them, and
net2(net1(...net1(x))) with N copies: 4 x 3^N linear pieces on [-1, 1] (each of net1's 3 pieces sweeps
[-1, 1]). Deep2: the same nets in matrix form (column-major, book eq. 4.15), the composition's
Omega_1 = theta' phi^T and beta_1 = theta'_0 + theta'_1 phi_0 (eq. 4.5), and the random 4-5-2-4-1
network of the last cell (the notebook sets no seed; --deep2_seed replays np.random.seed(seed)).

Expected: matrix and scalar forms agree to float64 rounding; pieces net1 3, net2 4, net2(net1) 12,
net2(net1(net1)) 36; question 7 leaves the function unchanged (ReLU is positively homogeneous), 5a-c
leave two joints, 6 removes the flat piece.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import networks_runs as NR
from jdl.studies.udlbook import plots_networks as P

NAME = "udl_networks"
DTYPES = {"float64": jnp.float64, "float32": jnp.float32}


@dataclass(frozen=True)
class Config:
    copies: int = field(default=6, metadata={"help": "Deep: up to this many copies of net1 before net2"})
    map_points: int = field(default=121, metadata={"help": "Shallow: (theta_10, theta_20) grid points per axis"})
    phi0_points: int = field(default=401, metadata={"help": "Shallow: phi_0 grid points on [-1, 1] for the loss"})
    line: float = field(default=100.0, metadata={"help": "joints 'on the real line' are counted on [-line, line]"})
    deep2_seed: int = field(default=0, metadata={"help": "Deep2: np.random.seed for the random 4-5-2-4-1 network"})
    dtype: str = field(default="float64", metadata={"help": "float64 | float32"})

    def validate(self) -> None:
        if not 1 <= self.copies <= 9:
            raise ValueError(f"copies: must be in 1..9 (4 x 3^copies pieces), got {self.copies}")
        for name in ("map_points", "phi0_points"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name}: must be >= 2, got {getattr(self, name)}")
        if not self.line > 1:
            raise ValueError(f"line: must be > 1 (the notebook's range is [0, 1]), got {self.line}")
        if self.deep2_seed < 0:
            raise ValueError(f"deep2_seed: must be >= 0, got {self.deep2_seed}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected float32 or float64, got {self.dtype!r}")


def get_config(quick: bool = False) -> Config:
    return Config(copies=3, map_points=21, phi0_points=41) if quick else Config()


def figures(sh: dict, dp: dict, out_dir) -> None:
    t = sh["trace"]
    plotting.save(P.shallow_trace(sh["x"], t["pre"], t["act"], t["w_act"], t["y"], x_data=U.X_TRAIN,
                                  y_data=U.Y_SHALLOW,
                                  title=f"CM20315_Shallow: the 1-3-1 ReLU net (Fig. 3.3); least-squares loss "
                                        f"{sh['least_squares_loss']:.3f} on the 20 points"),
                  out_dir / "shallow_trace.png", dpi=100)
    plotting.save(P.function_panels(sh["x"], sh["activations"], xlim=(0, 1), ylim=(-1, 1), ncols=4,
                                    title="Shallow: activation functions (sigmoid and linear with the notebook's "
                                          "second parameter set)"), out_dir / "shallow_activations.png", dpi=100)
    v = sh["variants"]
    panels = {f"{n}\n{r['pieces_on_0_1']} pieces on [0,1], {r['joints_on_line']} joints on R"
              f"{', no flat piece' if r['min_abs_slope_on_0_1'] > 0 else ''}": y
              for (n, r), y in zip(v.items(), sh["variant_outputs"]) if n != "original"}
    plotting.save(P.function_panels(sh["x"], panels, reference=sh["variant_outputs"][0], xlim=(0, 1), ylim=(-1, 1),
                                    ncols=5, title="Shallow: the notebook's questions 1-8, all evaluated in one vmap"),
                  out_dir / "shallow_variants.png", dpi=100)
    pm, two = sh["pieces_map"], sh["two_inputs"]
    panels = [{"x": pm["theta_10"], "y": pm["theta_20"], "z": pm["pieces"], "discrete": True,
               "xlabel": r"$\theta_{10}$", "ylabel": r"$\theta_{20}$", "cbar": "linear pieces on [0, 1]",
               "title": "Shallow: pieces on [0, 1] (exact, one vmapped count)",
               "points": {"notebook's parameters": ([U.SHALLOW_NET["theta"][0][0]], [U.SHALLOW_NET["theta"][1][0]])}}]
    panels.append({"x": two["x1"], "y": two["x2"], "z": two["y"], "xlabel": "$x_1$", "ylabel": "$x_2$",
                   "cbar": "output y", "title": "2-input net (Fig. 3.8): output"})
    for h in range(3):
        panels.append({"x": two["x1"], "y": two["x2"], "z": two["act"][..., h], "xlabel": "$x_1$", "ylabel": "$x_2$",
                       "cbar": f"activation {h + 1}", "title": f"2-input net: hidden unit {h + 1}", "contours": 0})
    plotting.save(P.maps(panels, ncols=3, title="Shallow: maps"), out_dir / "shallow_maps.png", dpi=100)
    plotting.save(plotting.composition(dp["x"], dp["curves"], dp["pieces"], dp["copies"], dp["pieces_net2_of_net1_copies"],
                                formula=(np.array([4 * 3 ** n for n in dp["copies"]]), r"$4 \cdot 3^N$"),
                                title="CM20315_Deep: composing shallow networks (exact linear pieces)"),
                  out_dir / "deep_composition.png", dpi=100)


def _fmt(a) -> str:
    return np.array2string(np.asarray(a), precision=4, suppress_small=True, max_line_width=120)


def report(sh: dict, dp: dict) -> None:
    print("CM20315_Shallow")
    print(f"  least-squares loss, notebook parameters      {sh['least_squares_loss']:.3f}"
          "   (the notebook's TODO, filled in: 9.385)")
    g = sh["phi_0_grid"]
    print(f"  best phi_0 on the grid (one vmapped call)    {g['best_phi_0']:.3f}, loss {g['best_sum_of_squares']:.3f}")
    ls = sh["output_layer_least_squares"]
    print(f"  least-squares phi (one solve)                {_fmt(ls['phi'])}, loss {ls['sum_of_squares']:.3f}"
          f"   (notebook: best by hand 0.181)")
    a = sh["linear_activation_affine"]
    print(f"  linear activation: output is affine          slope {a['slope']:.4f}, intercept {a['intercept']:.4f}, "
          f"max residual {a['max_residual']:.1e}")
    print(f"  {'question variant':32s} {'pieces [0,1]':>12s} {'joints on R':>11s} {'min|slope|':>10s} "
          f"{'max|change|':>11s}")
    for n, r in sh["variants"].items():
        print(f"  {n:32s} {r['pieces_on_0_1']:12d} {r['joints_on_line']:11d} {r['min_abs_slope_on_0_1']:10.3f} "
              f"{r['max_abs_change']:11.3g}")
    print(f"  pieces on [0,1] over the (theta_10, theta_20) grid: {sh['pieces_map']['counts']} (pieces: grid points)")
    print(f"  2-input net output on [0,10]^2: [{sh['two_inputs']['y_min']:.3f}, {sh['two_inputs']['y_max']:.3f}]")
    print("CM20315_Deep")
    for n, p in dp["pieces"].items():
        print(f"  {n:28s} {p:4d} linear pieces on [-1, 1]")
    print(f"  net2(net1^N(x)), N = {dp['copies']}: {dp['pieces_net2_of_net1_copies']} pieces "
          f"(4 x 3^N: {dp['matches_4_times_3_pow_N']})")
    print("CM20315_Deep2")
    m = dp["matrix_form_net1"]
    print(f"  net1 matrix form: beta_0 {_fmt(m['beta_0'][:, 0])}, Omega_0 {_fmt(m['Omega_0'][:, 0])}, "
          f"beta_1 {_fmt(m['beta_1'][0])}, Omega_1 {_fmt(m['Omega_1'][0])}; max |matrix - scalar| "
          f"{m['max_abs_diff_vs_scalar']:.1e}")
    cm = dp["composition"]
    print(f"  net2(net1) middle layer: beta_1 = {_fmt(cm['beta_1'][:, 0])}\n    Omega_1 =\n{_fmt(cm['Omega_1'])}")
    print(f"  max |matrix form - net2(net1) scalar form| {cm['max_abs_diff_vs_scalar']:.1e}")
    r = dp["random_network"]
    print(f"  random 4-5-2-4-1 net (np.random.seed({r['seed']})): hidden {r['hidden_shapes']}, output "
          f"{r['output_shape']}\n    y = {_fmt(r['y'][0])}")


def run(c: Config, out_dir, progress: bool = True) -> dict:
    res = NR.run_all(copies=c.copies, map_points=c.map_points, phi0_points=c.phi0_points, line=c.line,
                     deep2_seed=c.deep2_seed, dtype=DTYPES[c.dtype])
    figures(res["shallow"], res["deep"], out_dir)
    report(res["shallow"], res["deep"])
    metrics, arrays = NR.split_results(res)  # the grids go to grids.npz; metrics.json keeps the summaries
    save_npz(out_dir / "grids.npz", **arrays)
    return metrics


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
