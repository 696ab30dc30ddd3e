"""The numerics of udlbook CM20315 Shallow, Deep and Deep2: every number ``experiments.udl_networks`` reports.

Shallow: the notebook's 1-3-1 net at every stage of Fig. 3.3, its least-squares loss, the loss over a
grid of phi_0, the least-squares output layer, other activations, the 2-input net, the eight
"predict what happens" variants with exact piece counts, and a (theta_10, theta_20) map of the piece
count. Deep / Deep2: net1 and net2, their compositions, net2(net1(...net1(x))) with N copies, the
matrix (book) form of the nets and of their composition, and the random 4-5-2-4-1 network.

Each part is one compiled program; :func:`run_all` runs both under one precision and
:func:`split_results` separates what goes to ``metrics.json`` from the arrays of ``grids.npz``.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jdl.analysis import pieces as R
from jdl.precision import precision
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import likelihoods as LK
from jdl.studies.udlbook import networks as S

__all__ = ["deep", "run_all", "shallow", "split_results"]


def _stack(trees):
    """Stack pytrees of the same structure along a new leading axis (as NumPy arrays)."""
    return jax.tree.map(lambda *x: np.stack([np.asarray(v) for v in x]), *trees)


def _np(tree):
    """Every leaf as a NumPy array."""
    return jax.tree.map(np.asarray, tree)


def _as(tree, dt):
    """Every leaf as a JAX array of dtype ``dt``."""
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


def shallow(*, map_points: int, phi0_points: int, line: float, dtype) -> dict:
    """Everything of the Shallow notebook: the 1-3-1 net, its losses and fits, the variants and maps.

    Args:
      map_points: (theta_10, theta_20) grid points per axis of the piece-count map on [0, 1].
      phi0_points: phi_0 grid points on [-1, 1] for the least-squares loss.
      line: the variants' joints "on the real line" are counted on ``[-line, line]``.
      dtype: the float dtype of every computation (run it under ``jdl.precision.precision(dtype)``).

    Returns:
      A dict: ``x`` (100,), ``trace`` (the stages of Fig. 3.3), ``least_squares_loss``, ``phi_0_grid``,
      ``output_layer_least_squares``, ``activations``, ``linear_activation_affine``, ``variants`` (one row
      per question), ``variant_outputs`` (variants, 100), ``pieces_map`` (``pieces`` of shape
      (map_points, map_points), rows follow theta_20), ``two_inputs``.
    """
    dt = dtype
    x = jnp.asarray(U.input_grid("shallow"), dt)
    net = _as(U.SHALLOW_NET, dt)
    variants = U.shallow_variants()
    names = list(variants)
    stacked = _as(_stack(list(variants.values())), dt)
    phi0 = np.linspace(-1.0, 1.0, phi0_points)
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
    t10 = np.linspace(-0.5, 1.5, map_points)
    t20 = np.linspace(-3.0, 1.0, map_points)
    g10, g20 = np.meshgrid(t10, t20)  # rows follow theta_20
    theta = np.broadcast_to(np.asarray(U.SHALLOW_NET["theta"]), (g10.size, 3, 2)).copy()
    theta[:, 0, 0], theta[:, 1, 0] = g10.ravel(), g20.ravel()
    phi = np.broadcast_to(np.asarray(U.SHALLOW_NET["phi"]), (g10.size, 4))
    V, G = len(names), g10.size
    members = {"phi": np.concatenate([stacked["phi"], stacked["phi"], phi]),
               "theta": np.concatenate([stacked["theta"], stacked["theta"], theta])}
    layers = jax.vmap(lambda p: S.to_layers(S.matrix_form(**p)))(_as(members, dt))
    a = np.concatenate([np.zeros(V), np.full(V, -line), np.zeros(G)])
    b = np.concatenate([np.ones(V), np.full(V, line), np.ones(G)])
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


def deep(*, copies: int, deep2_seed: int, dtype) -> dict:
    """Everything of Deep and Deep2: exact pieces of the composed nets, matrix forms, the random network.

    Args:
      copies: net2(net1(...net1(x))) with 1 .. ``copies`` copies of net1 (4 x 3^N pieces on [-1, 1]).
      deep2_seed: ``np.random.seed`` of the random 4-5-2-4-1 network of Deep2's last cell.
      dtype: the float dtype of every computation (run it under ``jdl.precision.precision(dtype)``).

    Returns:
      A dict: ``pieces`` per named net, ``copies``, ``pieces_net2_of_net1_copies``,
      ``matches_4_times_3_pow_N``, ``x`` and ``curves`` (for the figure), ``matrix_form_net1``,
      ``composition`` (net2(net1) as one 1-3-3-1 net, book eq. 4.5) and ``random_network``.
    """
    dt = dtype
    nets = S.udlbook_networks()
    chain = R.compose_chain(nets["net1"], nets["net2"], copies)
    # every net is 1 -> 3 x depth -> 1: padded to one depth, one compiled count; the named nets include
    # net2(net1(net1)) (depth 3, 36 pieces), so depth and breakpoint cap are sized for at least 2 copies
    D = max(copies, 2) + 1
    stacked = _as(_stack([R.pad_depth(p, D) for p in [*nets.values(), *chain]]), dt)
    x = np.asarray(U.input_grid("deep_fine"))
    x_rand, rnd = U.deep2_random_network(deep2_seed)
    pieces, curves, m1, deep_net, diff, one, y_rand, hidden = _np(_deep_arrays(
        stacked, _as(U.UDL_NET1, dt), _as(U.UDL_NET2, dt), jnp.asarray(x, dt), jnp.asarray(U.input_grid("deep"), dt),
        _as(rnd, dt), jnp.asarray(x_rand, dt), cap=8 * 3 ** max(copies, 2)))
    names, pieces = list(nets), pieces.tolist()
    return {"pieces": dict(zip(names, pieces[:len(names)])), "copies": list(range(1, copies + 1)),
            "pieces_net2_of_net1_copies": pieces[len(names):],
            "matches_4_times_3_pow_N": pieces[len(names):] == [4 * 3 ** n for n in range(1, copies + 1)],
            "x": x, "curves": dict(zip(names, curves)),
            "matrix_form_net1": {"beta_0": m1[0].beta, "Omega_0": m1[0].Omega, "beta_1": m1[1].beta,
                                 "Omega_1": m1[1].Omega, "max_abs_diff_vs_scalar": float(one)},
            "composition": {"beta_0": deep_net[0].beta, "Omega_0": deep_net[0].Omega, "beta_1": deep_net[1].beta,
                            "Omega_1": deep_net[1].Omega, "beta_2": deep_net[2].beta, "Omega_2": deep_net[2].Omega,
                            "max_abs_diff_vs_scalar": float(diff)},
            "random_network": {"seed": deep2_seed, "x": x_rand, "y": y_rand,
                               "hidden_shapes": [list(h.shape) for h in hidden], "output_shape": list(y_rand.shape)}}



def run_all(*, copies: int, map_points: int, phi0_points: int, line: float, deep2_seed: int, dtype) -> dict:
    """Shallow and Deep / Deep2 under one precision.

    Args:
      copies: Deep: up to this many copies of net1 before net2.
      map_points: Shallow: (theta_10, theta_20) grid points per axis.
      phi0_points: Shallow: phi_0 grid points on [-1, 1].
      line: joints "on the real line" are counted on ``[-line, line]``.
      deep2_seed: the ``np.random.seed`` of Deep2's random 4-5-2-4-1 network.
      dtype: ``jnp.float64`` or ``jnp.float32`` (or its name).

    Returns:
      ``{"shallow": shallow(...), "deep": deep(...)}``, arrays included (see :func:`split_results`).

    >>> res = run_all(copies=1, map_points=2, phi0_points=2, line=10.0, deep2_seed=0, dtype="float64")
    >>> res["deep"]["pieces_net2_of_net1_copies"], res["deep"]["pieces"]["net2(net1(net1))"]
    ([12], 36)
    """
    dt = jnp.dtype(dtype)
    with precision(dt):
        return {"shallow": shallow(map_points=map_points, phi0_points=phi0_points, line=line, dtype=dt),
                "deep": deep(copies=copies, deep2_seed=deep2_seed, dtype=dt)}


def split_results(res: dict) -> tuple[dict, dict]:
    """Split :func:`run_all`'s results into the summaries of ``metrics.json`` and the arrays of ``grids.npz``.

    Returns:
      ``(metrics, arrays)``: metrics without the traces, curves and grids (the pieces map keeps its
      ``grid_shape`` and counts); arrays ``theta_10, theta_20, pieces, phi_0, phi_0_sum_of_squares,
      shallow_x, variant_outputs``. ``res`` is left unchanged.
    """
    sh, dp = dict(res["shallow"]), dict(res["deep"])
    pm, g = dict(sh["pieces_map"]), dict(sh["phi_0_grid"])
    arrays = {"theta_10": pm.pop("theta_10"), "theta_20": pm.pop("theta_20"), "pieces": pm.pop("pieces"),
              "phi_0": g.pop("values"), "phi_0_sum_of_squares": g.pop("sum_of_squares"),
              "shallow_x": sh.pop("x"), "variant_outputs": sh.pop("variant_outputs")}
    pm["grid_shape"] = list(arrays["pieces"].shape)
    sh["pieces_map"], sh["phi_0_grid"] = pm, g
    sh["two_inputs"] = {k: v for k, v in sh["two_inputs"].items() if k in ("y_min", "y_max")}
    for k in ("trace", "activations"):
        sh.pop(k)
    for k in ("curves", "x"):
        dp.pop(k)
    return {"shallow": sh, "deep": dp}, arrays
