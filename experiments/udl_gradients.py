"""Backpropagation by hand vs jax.grad and finite differences (udlbook CM20315 Gradients I, II; Prince 2023 7.2-7.4).

    python -m experiments.udl_gradients --quick   # 14 step sizes, 4 networks x 50 inputs: ~5 s on 2 CPU cores
    python -m experiments.udl_gradients           # 53 step sizes, 100 networks x 1000 inputs: ~5 s

Gradients I: the forward pass of ``y = b4 + w4 log(b3 + w3 cos(b2 + w2 exp(b1 + w1 sin(b0 + w0 x))))``
(``f_0..f_3``, ``h_1..h_4``), the backward pass (``dy/dh_k``, ``dy/df_k``) and the ten parameter
derivatives, each printed next to the notebook's true value, ``jax.grad`` and finite differences.
Gradients II: the notebook's ``np.random.seed(0)`` network (K = 5 hidden layers of D = 6 ReLUs,
input 1.2, target 20), its output (1.907) and loss, and the manual backward pass (eq. 7.13) against
``jax.grad`` and the notebook's forward differences (delta 1e-6), over every weight and bias.

The vmapped extensions: the finite-difference error against the step size for both problems
(forward and central differences, one call per scheme), and the manual backward pass against
``jax.grad`` over a batch of random networks x inputs in one call.

Expected: every true value to its printed 3 decimals; manual == jax.grad to ~1e-15 (float64); the
forward-difference error is smallest (~1e-8 relative) near eps ~ 1e-8 = sqrt(machine eps) and the
central one (~1e-11) near eps ~ 1e-5, with slopes 1 and 2 above and round-off ~1e-16/eps below.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from experiments import _cli
from jdl import plotting, stats
from jdl.analysis import derivatives as FD
from jdl.nn import DeepMLP
from jdl.precision import precision
from jdl.studies.udlbook import backprop as G
from jdl.studies.udlbook import plots_training as P
from jdl.studies.udlbook import training_fixtures as U

NAME = "udl_gradients"

TRUE = U.GRADIENTS_I_TRUE  # Gradients I's printed true values (dy/domega_0: the notebook's closed form only)


@dataclass(frozen=True)
class Config:
    n_eps: int = field(default=53, metadata={"help": "finite-difference step sizes, log-spaced over 1e-14 .. 1e-1"})
    n_nets: int = field(default=100, metadata={"help": "random networks (notebook shape, N(0, 1) weights) checked"})
    n_inputs: int = field(default=1000, metadata={"help": "inputs x ~ N(0, 1) per network"})
    K: int = field(default=5, metadata={"help": "hidden layers of the random networks"})
    D: int = field(default=6, metadata={"help": "units per hidden layer"})
    seed: int = field(default=0, metadata={"help": "NumPy seed of the random networks and inputs"})

    def validate(self) -> None:
        if self.n_eps < 2:
            raise ValueError(f"n_eps: need >= 2 step sizes, got {self.n_eps}")
        _cli.at_least(self, 1, "n_nets", "n_inputs", "K", "D")
        _cli.at_least(self, 0, "seed")


def get_config(quick: bool = False) -> Config:
    return Config(n_eps=14, n_nets=4, n_inputs=50) if quick else Config()


def run(c: Config, out_dir, progress: bool = True) -> dict:
    del progress  # a few compiled calls
    with precision(jnp.float64):
        return _run(c, out_dir)


def _run(c: Config, out_dir) -> dict:
    eps = jnp.logspace(-14, -1, c.n_eps)
    # --- Gradients I
    beta, omega, x = U.composite_params()
    p = G.Composite(jnp.asarray(beta), jnp.asarray(omega))
    fn = lambda q: G.composite_fn(q, x)  # noqa: E731

    @jax.jit
    def gradients_i(q):
        return {"forward": G.composite_forward(q, x), "backward": G.composite_backward(q, x),
                "jax_grad": jax.grad(fn)(q), "central_difference": FD.finite_differences(fn, q, 1e-6),
                "notebook_forward_difference": FD.finite_differences(fn, q, 1e-4, "forward"),
                "omega0_closed_form": G.composite_omega0(q, x), "y_fn": fn(q),
                "fd_error": {s: FD.fd_error(fn, q, eps, s) for s in ("forward", "central")}}

    r1 = gradients_i(p)
    fwd, bwd = r1["forward"], r1["backward"]
    g1 = {"forward": {"f": fwd.f, "h": fwd.h, "y": fwd.y, "y_fn": r1["y_fn"]},
          "backward": {"dy_dh": bwd.dy_dh, "dy_df": bwd.dy_df},
          "dy_dbeta": {"manual": bwd.grads.beta, "jax_grad": r1["jax_grad"].beta,
                       "central_difference": r1["central_difference"].beta,
                       "notebook_forward_difference": r1["notebook_forward_difference"].beta},
          "dy_domega": {"manual": bwd.grads.omega, "jax_grad": r1["jax_grad"].omega,
                        "central_difference": r1["central_difference"].omega,
                        "notebook_forward_difference": r1["notebook_forward_difference"].omega},
          "dy_domega0_closed_form": r1["omega0_closed_form"], "true_values": TRUE,
          "max_rel_error": {"jax_grad": stats.max_rel_error(ravel_pytree(bwd.grads)[0],
                                                            ravel_pytree(r1["jax_grad"])[0]),
                            "central_difference": stats.max_rel_error(ravel_pytree(r1["central_difference"])[0],
                                                                      ravel_pytree(r1["jax_grad"])[0])},
          "fd_error": r1["fd_error"]}

    # --- Gradients II: the notebook's network
    net = jax.tree.map(jnp.asarray, U.gradients_ii_network())
    xin, y = jnp.asarray([U.GRADIENTS_II_INPUT]), jnp.asarray([U.GRADIENTS_II_TARGET])
    loss = lambda n: G.relu_loss(n, xin, y)  # noqa: E731

    @jax.jit
    def gradients_ii(n):
        return {"backward": G.relu_backward(n, xin, y), "jax_grad": jax.grad(loss)(n),
                "central_difference": FD.finite_differences(loss, n, 1e-6),
                "notebook_forward_difference": FD.finite_differences(loss, n, 1e-6, "forward"),
                "fd_error": {s: FD.fd_error(loss, n, eps, s) for s in ("forward", "central")}}

    r2 = gradients_ii(net)
    bw = r2["backward"]
    flat = {k: ravel_pytree(v)[0] for k, v in (("manual", bw.grads), ("jax_grad", r2["jax_grad"]),
                                                ("central_difference", r2["central_difference"]),
                                                ("notebook_forward_difference", r2["notebook_forward_difference"]))}
    g2 = {"output": bw.output[0],
          "notebook_output": U.GRADIENTS_II_OUTPUT, "loss": bw.loss, "dl_dout": bw.dl_dout,
          "n_params": int(flat["manual"].size),
          "max_rel_error": {k: stats.max_rel_error(v, flat["jax_grad"]) for k, v in flat.items() if k != "jax_grad"},
          "max_abs_gradient_per_layer": [float(jnp.max(jnp.abs(jnp.concatenate([w.ravel(), b.ravel()]))))
                                         for w, b in _layers(bw.grads)],
          "fd_error": r2["fd_error"]}

    # --- the extension: manual backward vs jax.grad for a batch of networks x inputs in one call; the networks
    # are the notebook's kind (every weight and bias N(0, 1)), drawn on the host: no random-number code compiles
    rng = np.random.default_rng(c.seed)
    nets = DeepMLP(*(jnp.asarray(rng.standard_normal((c.n_nets, *shape))) for shape in (
        (c.D, 1), (c.D,), (c.K - 1, c.D, c.D), (c.K - 1, c.D), (1, c.D), (1,))))
    x_n1 = jnp.asarray(rng.standard_normal((c.n_inputs, 1)))

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
    g2["batch"] = {"n_nets": c.n_nets, "n_inputs": c.n_inputs, "K": c.K, "D": c.D,
                   "max_rel_error": float(np.max(errs)), "median_rel_error": float(np.median(errs))}
    out = jax.tree.map(lambda v: np.asarray(v) if isinstance(v, jax.Array) else v,
                       {"gradients_i": g1, "gradients_ii": g2, "eps": eps})
    _figures(out, flat, out_dir)
    _print(out)
    return out


def _layers(net):
    W = [net.W_in, *list(net.W_hid), net.W_out]
    b = [net.b_in, *list(net.b_hid), net.b_out]
    return list(zip(W, b))


def _figures(m, flat, out_dir) -> None:
    g1, g2 = m["gradients_i"], m["gradients_ii"]
    names = [f"$\\beta_{k}$" for k in range(5)] + [f"$\\omega_{k}$" for k in range(5)]
    vals = {k: np.concatenate([g1["dy_dbeta"][k], g1["dy_domega"][k]]) for k in
            ("manual", "jax_grad", "central_difference", "notebook_forward_difference")}
    # the printed true values; dy/domega_0 has none (NaN: no bar), only the closed form the notebook gives
    vals["notebook true value"] = np.asarray([np.nan if t is None else t for t in TRUE["beta"] + TRUE["omega"]], float)
    vals["notebook closed form"] = np.asarray([np.nan] * 5 + [float(g1["dy_domega0_closed_form"])] + [np.nan] * 4)
    plotting.save(P.gradient_table(names, {k.replace("_", " "): v for k, v in vals.items()},
                                   title="Gradients I: dy/dparameter by every method"), out_dir / "gradients_i.png")
    eps = m["eps"]
    plotting.save(P.fd_error(eps, {f"{name}, {s}": prob["fd_error"][s] for name, prob in
                                   (("Gradients I", g1), ("Gradients II", g2)) for s in ("forward", "central")},
                             title="finite differences vs jax.grad: truncation vs round-off (float64)"),
                  out_dir / "gradients_fd_error.png")
    plotting.save(P.backprop_scatter(np.asarray(flat["manual"]),
                                     {"jax.grad": np.asarray(flat["jax_grad"]),
                                      "forward differences (notebook, delta 1e-6)":
                                          np.asarray(flat["notebook_forward_difference"])},
                                     title=f"Gradients II: all {g2['n_params']} weights and biases"),
                  out_dir / "gradients_ii_backprop.png")


def _print(m) -> None:
    g1, g2 = m["gradients_i"], m["gradients_ii"]
    print(f"{'Gradients I':14}{'quantity':12}{'jdl':>10}{'jax.grad':>10}{'central FD':>12}{'notebook':>10}")
    print(f"{'':14}{'y':12}{float(g1['forward']['y']):10.3f}{'':10}{'':12}{float(g1['forward']['y_fn']):10.3f}")
    for k in range(4):
        print(f"{'':14}{f'f{k}':12}{g1['forward']['f'][k]:10.3f}{'':22}{TRUE['f'][k]:10.3f}")
        print(f"{'':14}{f'h{k + 1}':12}{g1['forward']['h'][k]:10.3f}{'':22}{TRUE['h'][k]:10.3f}")
    for k in range(3, -1, -1):
        for name, arr, i in ((f"dy/dh{k + 1}", g1["backward"]["dy_dh"], "dy_dh"),
                             (f"dy/df{k}", g1["backward"]["dy_df"], "dy_df")):
            t = TRUE[i][k]
            print(f"{'':14}{name:12}{arr[k]:10.3f}{'':22}" + (f"{t:10.3f}" if t is not None else f"{'':10}"))
    for group, key in (("beta", "dy_dbeta"), ("omega", "dy_domega")):
        for k in range(5):
            t = TRUE[group][k]
            closed = float(g1["dy_domega0_closed_form"])
            ref = f"{t:10.3f}" if t is not None else f"{closed:10.3f} (notebook closed form)"
            d = g1[key]
            print(f"{'':14}{f'dy/d{group}{k}':12}{d['manual'][k]:10.3f}{d['jax_grad'][k]:10.3f}"
                  f"{d['central_difference'][k]:12.3f}{ref}")
    print(f"{'':14}max relative error vs jax.grad: manual {g1['max_rel_error']['jax_grad']:.1e}, "
          f"central FD {g1['max_rel_error']['central_difference']:.1e}")
    print(f"{'Gradients II':14}output {g2['output']:.3f} (notebook: {g2['notebook_output']:.3f}), "
          f"loss {float(g2['loss']):.3f}, {g2['n_params']} parameters")
    for k, v in g2["max_rel_error"].items():
        print(f"{'':14}max relative error vs jax.grad, {k.replace('_', ' ')}: {v:.1e}")
    b = g2["batch"]
    print(f"{'':14}{b['n_nets']} networks x {b['n_inputs']} inputs: manual vs jax.grad max relative error "
          f"{b['max_rel_error']:.1e}")
    for name, g in (("Gradients I", g1), ("Gradients II", g2)):
        for s in ("forward", "central"):
            e = np.asarray(g["fd_error"][s])
            i = int(np.nanargmin(e))
            print(f"{'':14}{name} {s} differences: best step {m['eps'][i]:.0e}, error {e[i]:.1e}")


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
