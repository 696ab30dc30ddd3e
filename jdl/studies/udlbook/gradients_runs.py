"""Gradients I-II end to end: backpropagation by hand against ``jax.grad`` and finite differences.

The numerics of ``experiments.udl_gradients`` (udlbook CM20315 Gradients I, II; Prince 2023, secs. 7.2-7.4):
Gradients I's composite function (forward pass, backward pass, the ten parameter derivatives by every
method), Gradients II's ``np.random.seed(0)`` ReLU network (the manual backward pass of eq. 7.13), the
finite-difference error against the step size for both, and the manual backward pass against
``jax.grad`` over a batch of random networks x inputs in one vmapped call.

Everything here runs in float64 (:func:`run_all` enters ``precision(jnp.float64)`` itself).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jdl import stats
from jdl.analysis import derivatives as FD
from jdl.nn import DeepMLP
from jdl.precision import precision
from jdl.studies.udlbook import backprop as G
from jdl.studies.udlbook import training_fixtures as U

__all__ = [
    "METHODS",
    "TRUE",
    "batch_check",
    "best_steps",
    "gradient_table",
    "gradients_i",
    "gradients_ii",
    "layer_pairs",
    "run_all",
]

TRUE = U.GRADIENTS_I_TRUE  # Gradients I's printed true values (dy/domega_0: the notebook's closed form only)
METHODS = ("manual", "jax_grad", "central_difference", "notebook_forward_difference")
SCHEMES = ("forward", "central")


def gradients_i(eps_e: jax.Array) -> dict:
    """Gradients I: forward and backward pass of the composite function, and dy/dparameter by every method.

    Args:
      eps_e: (e,) finite-difference step sizes of the error curves.

    Returns:
      A dict of arrays: ``forward`` (``f``, ``h``, ``y``, ``y_fn``), ``backward`` (``dy_dh``, ``dy_df``),
      ``dy_dbeta`` and ``dy_domega`` (each by :data:`METHODS`), the notebook's closed form of dy/domega_0,
      the printed ``true_values``, the ``max_rel_error`` of the manual pass and of central differences
      against ``jax.grad``, and ``fd_error`` (per scheme, (e,)).
    """
    beta, omega, x = U.composite_params()
    p = G.Composite(jnp.asarray(beta), jnp.asarray(omega))
    fn = lambda q: G.composite_fn(q, x)

    @jax.jit
    def compute(q):
        return {"forward": G.composite_forward(q, x), "backward": G.composite_backward(q, x),
                "jax_grad": jax.grad(fn)(q), "central_difference": FD.finite_differences(fn, q, 1e-6),
                "notebook_forward_difference": FD.finite_differences(fn, q, 1e-4, "forward"),
                "omega0_closed_form": G.composite_omega0(q, x), "y_fn": fn(q),
                "fd_error": {s: FD.fd_error(fn, q, eps_e, s) for s in SCHEMES}}

    r = compute(p)
    fwd, bwd = r["forward"], r["backward"]
    grads = {"manual": bwd.grads, **{k: r[k] for k in METHODS[1:]}}
    return {"forward": {"f": fwd.f, "h": fwd.h, "y": fwd.y, "y_fn": r["y_fn"]},
            "backward": {"dy_dh": bwd.dy_dh, "dy_df": bwd.dy_df},
            "dy_dbeta": {k: g.beta for k, g in grads.items()},
            "dy_domega": {k: g.omega for k, g in grads.items()},
            "dy_domega0_closed_form": r["omega0_closed_form"], "true_values": TRUE,
            "max_rel_error": {"jax_grad": stats.max_rel_error(ravel_pytree(bwd.grads)[0],
                                                              ravel_pytree(r["jax_grad"])[0]),
                              "central_difference": stats.max_rel_error(ravel_pytree(r["central_difference"])[0],
                                                                        ravel_pytree(r["jax_grad"])[0])},
            "fd_error": r["fd_error"]}


def gradients_ii(eps_e: jax.Array) -> tuple[dict, dict]:
    """Gradients II: the notebook's ReLU network, its loss and the manual backward pass by every method.

    Args:
      eps_e: (e,) finite-difference step sizes of the error curves.

    Returns:
      ``(summary, flat)``: the summary (output, loss, dL/dout, parameter count, the ``max_rel_error`` of
      every method against ``jax.grad``, the largest |gradient| per layer, ``fd_error`` per scheme) and
      ``flat``, every method's gradient raveled to (p,) (p = 187 for the notebook's network).
    """
    net = jax.tree.map(jnp.asarray, U.gradients_ii_network())
    xin, y = jnp.asarray([U.GRADIENTS_II_INPUT]), jnp.asarray([U.GRADIENTS_II_TARGET])
    loss = lambda n: G.relu_loss(n, xin, y)

    @jax.jit
    def compute(n):
        return {"backward": G.relu_backward(n, xin, y), "jax_grad": jax.grad(loss)(n),
                "central_difference": FD.finite_differences(loss, n, 1e-6),
                "notebook_forward_difference": FD.finite_differences(loss, n, 1e-6, "forward"),
                "fd_error": {s: FD.fd_error(loss, n, eps_e, s) for s in SCHEMES}}

    r = compute(net)
    bw = r["backward"]
    flat = {k: ravel_pytree(v)[0] for k, v in (("manual", bw.grads), *((m, r[m]) for m in METHODS[1:]))}
    summary = {"output": bw.output[0],
               "notebook_output": U.GRADIENTS_II_OUTPUT, "loss": bw.loss, "dl_dout": bw.dl_dout,
               "n_params": int(flat["manual"].size),
               "max_rel_error": {k: stats.max_rel_error(v, flat["jax_grad"]) for k, v in flat.items()
                                 if k != "jax_grad"},
               "max_abs_gradient_per_layer": [float(jnp.max(jnp.abs(jnp.concatenate([w.ravel(), b.ravel()]))))
                                              for w, b in layer_pairs(bw.grads)],
               "fd_error": r["fd_error"]}
    return summary, flat


def batch_check(seed: int, n_nets: int, n_inputs: int, K: int, D: int) -> dict:
    """The manual backward pass against ``jax.grad`` for ``n_nets`` random networks x ``n_inputs`` inputs.

    The networks are the notebook's kind (K hidden layers of D ReLUs, every weight and bias N(0, 1)),
    drawn on the host with ``np.random.default_rng(seed)`` (then the inputs x ~ N(0, 1)), so no
    random-number code compiles; all networks x inputs run in one vmapped call.

    Returns:
      ``{"n_nets", "n_inputs", "K", "D", "max_rel_error", "median_rel_error"}``, the errors over every
      (network, input) of max |manual - jax.grad| / max |jax.grad|.
    """
    rng = np.random.default_rng(seed)
    nets = DeepMLP(*(jnp.asarray(rng.standard_normal((n_nets, *shape))) for shape in (
        (D, 1), (D,), (K - 1, D, D), (K - 1, D), (1, D), (1,))))
    x_n1 = jnp.asarray(rng.standard_normal((n_inputs, 1)))

    @jax.jit
    def batch(nets, x_n1):
        def one(n):
            yv = jnp.ones((1,), jnp.float64)
            man = jax.vmap(lambda xx: ravel_pytree(G.relu_backward(n, xx, yv).grads)[0])(x_n1)
            aut = jax.vmap(lambda xx: ravel_pytree(jax.grad(G.relu_loss)(n, xx, yv))[0])(x_n1)
            scale = jnp.maximum(jnp.max(jnp.abs(aut), axis=1), 1e-300)
            return jnp.max(jnp.abs(man - aut), axis=1) / scale
        return jax.vmap(one)(nets)

    errs = np.asarray(batch(nets, x_n1))
    return {"n_nets": n_nets, "n_inputs": n_inputs, "K": K, "D": D,
            "max_rel_error": float(np.max(errs)), "median_rel_error": float(np.median(errs))}


def layer_pairs(net: DeepMLP) -> list[tuple]:
    """A :class:`~jdl.nn.DeepMLP`'s ``(W, b)`` per layer, input layer first."""
    W = [net.W_in, *list(net.W_hid), net.W_out]
    b = [net.b_in, *list(net.b_hid), net.b_out]
    return list(zip(W, b))


def gradient_table(g1: dict) -> tuple[list[str], dict]:
    """Gradients I's ten dy/dparameter values by every method, for ``plots_training.gradient_table``.

    Returns:
      ``(names, values)``: the ten parameter labels, and per method (its name with spaces) a (10,) array;
      the notebook's printed true values and its closed form of dy/domega_0 are NaN where it gives none.
    """
    names = [f"$\\beta_{k}$" for k in range(5)] + [f"$\\omega_{k}$" for k in range(5)]
    vals = {k: np.concatenate([g1["dy_dbeta"][k], g1["dy_domega"][k]]) for k in METHODS}
    # the printed true values; dy/domega_0 has none (NaN: no bar), only the closed form the notebook gives
    vals["notebook true value"] = np.asarray([np.nan if t is None else t for t in TRUE["beta"] + TRUE["omega"]], float)
    vals["notebook closed form"] = np.asarray([np.nan] * 5 + [float(g1["dy_domega0_closed_form"])] + [np.nan] * 4)
    return names, {k.replace("_", " "): v for k, v in vals.items()}


def best_steps(metrics: dict) -> list[tuple[str, str, float, float]]:
    """The step size of the smallest finite-difference error, per problem and scheme.

    Returns:
      ``[(problem, scheme, eps, error), ...]`` for Gradients I and II, forward then central differences.
    """
    out = []
    for name, key in (("Gradients I", "gradients_i"), ("Gradients II", "gradients_ii")):
        for s in SCHEMES:
            e = np.asarray(metrics[key]["fd_error"][s])
            i = int(np.nanargmin(e))
            out.append((name, s, float(metrics["eps"][i]), float(e[i])))
    return out


def run_all(n_eps: int, n_nets: int, n_inputs: int, K: int, D: int, seed: int) -> dict:
    """Gradients I, II and the batch check in float64, as host arrays.

    Args:
      n_eps: finite-difference step sizes, log-spaced over 1e-14 .. 1e-1.
      n_nets, n_inputs, K, D, seed: the batch check (see :func:`batch_check`).

    Returns:
      ``{"metrics": {"gradients_i", "gradients_ii", "eps"}, "flat": Gradients II's raveled gradients per
      method, "table": gradient_table(...), "best_steps": best_steps(...)}``, every array a NumPy array.

    >>> res = run_all(n_eps=4, n_nets=1, n_inputs=2, K=2, D=3, seed=0)
    >>> res["metrics"]["gradients_ii"]["n_params"]
    187
    """
    with precision(jnp.float64):
        eps = jnp.logspace(-14, -1, n_eps)
        g1 = gradients_i(eps)
        g2, flat = gradients_ii(eps)
        g2["batch"] = batch_check(seed, n_nets, n_inputs, K, D)
        host = lambda v: np.asarray(v) if isinstance(v, jax.Array) else v
        metrics = jax.tree.map(host, {"gradients_i": g1, "gradients_ii": g2, "eps": eps})
        flat = {k: np.asarray(v) for k, v in flat.items()}
    return {"metrics": metrics, "flat": flat, "table": gradient_table(metrics["gradients_i"]),
            "best_steps": best_steps(metrics)}
