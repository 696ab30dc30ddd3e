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
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.analysis import pieces as R
from jdl.io import save_npz
from jdl.precision import precision
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import likelihoods as LK
from jdl.studies.udlbook import networks as S
from jdl.studies.udlbook import plots_networks as P

NAME = "udl_networks"


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
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: expected float32 or float64, got {self.dtype!r}")


def get_config(quick: bool = False) -> Config:
    return Config(copies=3, map_points=21, phi0_points=41) if quick else Config()


def _stack(trees):
    return jax.tree.map(lambda *x: np.stack([np.asarray(v) for v in x]), *trees)


def _np(tree):
    return jax.tree.map(np.asarray, tree)


def _as(tree, dt):
    return jax.tree.map(lambda v: jnp.asarray(v, dt), tree)


# --- CM20315_Shallow ----------------------------------------------------------------------------------------------
@jax.jit
def _count_with_slopes(layers, a, b):
    """Exact pieces and per-segment slopes of stacked 1-3-1 nets, each on its own interval ``[a_m, b_m]``."""
    def one(p, lo, hi):
        return R.count_pieces(p, lo, hi, max_breakpoints=8).n_pieces, R.breakpoints(p, lo, hi, max_breakpoints=8)
    return jax.vmap(one)(layers, a, b)


@jax.jit
def _shallow_arrays(net, sig, net2, X, Y, x, phi0, variants, x1, x2):
    """Everything numeric of the Shallow notebook, one compiled program."""
    trace = S.forward_1_1_3(x, **net)
    book = S.matrix_form(**net)
    loss = LK.fit_stats(book, X, Y, kind="gaussian", sigma=1.0)["sum_of_squares"]
    # the notebook's tip: phi_0 (= beta_1 in matrix form) over a grid, one vmapped evaluation
    sse = LK.grid_search(book, X, Y, {"beta_1[0,0]": phi0}, kind="gaussian", sigma=1.0)["sum_of_squares"]
    phi_ls = S.fit_output_layer(X, Y, net["theta"])
    loss_ls = LK.fit_stats(S.matrix_form(phi_ls, net["theta"]), X, Y, kind="gaussian", sigma=1.0)["sum_of_squares"]
    acts = {"ReLU (notebook parameters)": trace.y,
            "sigmoid 1/(1+exp(-10z))": S.forward_1_1_3(x, **sig, activation="sigmoid10").y,
            "linear a=0, b=1": S.forward_1_1_3(x, **sig, activation="linear").y,
            "linear a=0.5, b=-0.4": S.forward_1_1_3(x, **sig, activation=S.linear(0.5, -0.4)).y}
    ys = jax.vmap(lambda p: S.forward_1_1_3(x, **p).y)(variants)
    two = S.forward_2_1_3(x1, x2, **net2)
    return trace, loss, sse, phi_ls, loss_ls, acts, ys, two


def shallow(c: Config, dt) -> dict:
    x = jnp.asarray(U.input_grid("shallow"), dt)
    net = _as(U.SHALLOW_NET, dt)
    variants = U.shallow_variants()
    names = list(variants)
    stacked = _as(_stack(list(variants.values())), dt)
    phi0 = np.linspace(-1.0, 1.0, c.phi0_points)
    x1, x2 = np.meshgrid(np.arange(0.0, 10.0, 0.1), np.arange(0.0, 10.0, 0.1))  # the notebook's 100 x 100 grid
    trace, loss, sse, phi_ls, loss_ls, acts, ys, two = _np(_shallow_arrays(
        net, _as(U.SIGMOID_NET, dt), _as(U.NET_2_INPUTS, dt), jnp.asarray(U.X_TRAIN, dt), jnp.asarray(U.Y_SHALLOW, dt),
        x, jnp.asarray(phi0, dt), stacked, jnp.asarray(x1, dt), jnp.asarray(x2, dt)))
    acts = {k: acts[k] for k in ("ReLU (notebook parameters)", "sigmoid 1/(1+exp(-10z))", "linear a=0, b=1",
                                 "linear a=0.5, b=-0.4")}  # pytrees sort dict keys: back to this order
    lin = acts["linear a=0, b=1"]
    lin_fit = np.polyfit(np.asarray(x), lin, 1)

    # exact pieces, all in one vmapped count: the variants on [0, 1] and on [-line, line], and a
    # (theta_10, theta_20) grid of the notebook's net on [0, 1]
    t10 = np.linspace(-0.5, 1.5, c.map_points)
    t20 = np.linspace(-3.0, 1.0, c.map_points)
    g10, g20 = np.meshgrid(t10, t20)  # rows follow theta_20
    theta = np.broadcast_to(np.asarray(U.SHALLOW_NET["theta"]), (g10.size, 3, 2)).copy()
    theta[:, 0, 0], theta[:, 1, 0] = g10.ravel(), g20.ravel()
    phi = np.broadcast_to(np.asarray(U.SHALLOW_NET["phi"]), (g10.size, 4))
    V, G = len(names), g10.size
    members = {"phi": np.concatenate([stacked["phi"], stacked["phi"], phi]),
               "theta": np.concatenate([stacked["theta"], stacked["theta"], theta])}
    layers = jax.vmap(lambda p: S.to_layers(S.matrix_form(**p)))(_as(members, dt))
    a = np.concatenate([np.zeros(V), np.full(V, -c.line), np.zeros(G)])
    b = np.concatenate([np.ones(V), np.full(V, c.line), np.ones(G)])
    pieces, bp = _np(_count_with_slopes(layers, jnp.asarray(a, dt), jnp.asarray(b, dt)))
    seg = np.arange(bp.slope.shape[1])[None] < (bp.n_knots[:V, None] - 1)
    min_slope = np.where(seg, np.abs(bp.slope[:V, :, 0]), np.inf).min(1)
    diff = np.max(np.abs(ys - ys[0]), axis=1)
    table = {n: {"pieces_on_0_1": int(pieces[i]), "joints_on_line": int(pieces[V + i]) - 1,
                 "min_abs_slope_on_0_1": float(min_slope[i]), "max_abs_change": float(diff[i])}
             for i, n in enumerate(names)}
    pieces_map = pieces[2 * V:].reshape(g10.shape)
    return {"x": np.asarray(x), "trace": trace._asdict(), "least_squares_loss": float(loss),
            "notebook_hand_tuned_best": 0.181,
            "phi_0_grid": {"values": phi0, "sum_of_squares": sse, "best_phi_0": float(phi0[np.argmin(sse)]),
                           "best_sum_of_squares": float(sse.min())},
            "output_layer_least_squares": {"phi": phi_ls, "sum_of_squares": float(loss_ls)},
            "activations": acts, "linear_activation_affine": {
                "slope": float(lin_fit[0]), "intercept": float(lin_fit[1]),
                "max_residual": float(np.max(np.abs(np.polyval(lin_fit, np.asarray(x)) - lin)))},
            "variants": table, "variant_outputs": ys,
            "pieces_map": {"theta_10": t10, "theta_20": t20, "pieces": pieces_map,
                           "counts": {int(k): int(v) for k, v in zip(*np.unique(pieces_map, return_counts=True))}},
            "two_inputs": {"x1": x1[0], "x2": x2[:, 0], "y": two.y, "act": two.act,
                           "y_min": float(two.y.min()), "y_max": float(two.y.max())}}


# --- CM20315_Deep and Deep2 ---------------------------------------------------------------------------------------
@partial(jax.jit, static_argnames=("cap",))
def _deep_arrays(stacked, n1, n2, x, xs, rnd, x_rand, *, cap):
    """Everything numeric of Deep / Deep2, one compiled program."""
    # the composed nets, padded to one depth: exact pieces and curves, vmapped over the nets
    pieces = jax.vmap(lambda p: R.count_pieces(p, -1.0, 1.0, max_breakpoints=cap).n_pieces)(stacked)
    curves = jax.vmap(lambda p: jax.vmap(lambda v: R.evaluate(p, v)[0])(x))(stacked)
    scalar = S.forward_1_1_3(S.forward_1_1_3(xs, **n1).y, **n2).y  # Deep: net1's output fed into net2
    m1, m2 = S.matrix_form(**n1), S.matrix_form(**n2)
    deep_net = S.compose(m1, m2)                                      # Deep2: the same as one 1-3-3-1 net
    diff = jnp.max(jnp.abs(S.forward_columns(deep_net, xs[None])[0] - scalar))
    one = jnp.max(jnp.abs(S.forward_columns(m1, xs[None])[0] - S.forward_1_1_3(xs, **n1).y))
    y_rand, hidden = S.forward_columns(rnd, x_rand, hidden=True)
    return pieces, curves, m1, deep_net, diff, one, y_rand, hidden


def deep(c: Config, dt) -> dict:
    nets = S.udlbook_networks()
    chain, net = [], nets["net1"]
    for _ in range(c.copies):
        chain.append(R.compose(net, nets["net2"]))
        net = R.compose(net, nets["net1"])
    D = c.copies + 1  # every net is 1 -> 3 x depth -> 1: padded to one depth, one compiled count
    stacked = _as(_stack([R.pad_depth(p, D) for p in [*nets.values(), *chain]]), dt)
    x = np.asarray(U.input_grid("deep_fine"))
    x_rand, rnd = U.deep2_random_network(c.deep2_seed)
    pieces, curves, m1, deep_net, diff, one, y_rand, hidden = _np(_deep_arrays(
        stacked, _as(U.UDL_NET1, dt), _as(U.UDL_NET2, dt), jnp.asarray(x, dt), jnp.asarray(U.input_grid("deep"), dt),
        _as(rnd, dt), jnp.asarray(x_rand, dt), cap=8 * 3 ** c.copies))
    names, pieces = list(nets), pieces.tolist()
    return {"pieces": dict(zip(names, pieces[:len(names)])), "copies": list(range(1, c.copies + 1)),
            "pieces_net2_of_net1_copies": pieces[len(names):],
            "matches_4_times_3_pow_N": pieces[len(names):] == [4 * 3 ** n for n in range(1, c.copies + 1)],
            "x": x, "curves": dict(zip(names, curves)),
            "matrix_form_net1": {"beta_0": m1[0].beta, "Omega_0": m1[0].Omega, "beta_1": m1[1].beta,
                                 "Omega_1": m1[1].Omega, "max_abs_diff_vs_scalar": float(one)},
            "composition": {"beta_0": deep_net[0].beta, "Omega_0": deep_net[0].Omega, "beta_1": deep_net[1].beta,
                            "Omega_1": deep_net[1].Omega, "beta_2": deep_net[2].beta, "Omega_2": deep_net[2].Omega,
                            "max_abs_diff_vs_scalar": float(diff)},
            "random_network": {"seed": c.deep2_seed, "x": x_rand, "y": y_rand,
                               "hidden_shapes": [list(h.shape) for h in hidden], "output_shape": list(y_rand.shape)}}


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
    plotting.save(P.composition(dp["x"], dp["curves"], dp["pieces"], dp["copies"], dp["pieces_net2_of_net1_copies"],
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
    dt = jnp.float64 if c.dtype == "float64" else jnp.float32
    with precision(dt):
        sh = shallow(c, dt)
        dp = deep(c, dt)
    figures(sh, dp, out_dir)
    report(sh, dp)
    # the grids go to grids.npz; metrics.json keeps the summaries
    pm, g = sh["pieces_map"], sh["phi_0_grid"]
    save_npz(out_dir / "grids.npz", theta_10=pm.pop("theta_10"), theta_20=pm.pop("theta_20"), pieces=pm.pop("pieces"),
             phi_0=g.pop("values"), phi_0_sum_of_squares=g.pop("sum_of_squares"),
             shallow_x=sh.pop("x"), variant_outputs=sh.pop("variant_outputs"))
    pm["grid_shape"] = [c.map_points, c.map_points]
    sh["two_inputs"] = {k: v for k, v in sh["two_inputs"].items() if k in ("y_min", "y_max")}
    for k in ("trace", "activations"):
        sh.pop(k)
    for k in ("curves", "x"):
        dp.pop(k)
    return {"shallow": sh, "deep": dp}


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
