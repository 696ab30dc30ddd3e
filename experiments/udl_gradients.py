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

from experiments import _cli
from jdl import plotting
from jdl.studies.udlbook import gradients_runs as GR
from jdl.studies.udlbook import plots_training as P

NAME = "udl_gradients"

TRUE = GR.TRUE  # Gradients I's printed true values (dy/domega_0: the notebook's closed form only)


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
    res = GR.run_all(n_eps=c.n_eps, n_nets=c.n_nets, n_inputs=c.n_inputs, K=c.K, D=c.D, seed=c.seed)
    _figures(res, out_dir)
    _print(res["metrics"], res["best_steps"])
    return res["metrics"]


def _figures(res, out_dir) -> None:
    m, flat = res["metrics"], res["flat"]
    g1, g2 = m["gradients_i"], m["gradients_ii"]
    names, vals = res["table"]
    plotting.save(P.gradient_table(names, vals, title="Gradients I: dy/dparameter by every method"),
                  out_dir / "gradients_i.png")
    plotting.save(P.fd_error(m["eps"], {f"{name}, {s}": prob["fd_error"][s] for name, prob in
                                        (("Gradients I", g1), ("Gradients II", g2)) for s in ("forward", "central")},
                             title="finite differences vs jax.grad: truncation vs round-off (float64)"),
                  out_dir / "gradients_fd_error.png")
    plotting.save(P.backprop_scatter(flat["manual"],
                                     {"jax.grad": flat["jax_grad"],
                                      "forward differences (notebook, delta 1e-6)": flat["notebook_forward_difference"]},
                                     title=f"Gradients II: all {g2['n_params']} weights and biases"),
                  out_dir / "gradients_ii_backprop.png")


def _print(m, best) -> None:
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
    for name, s, eps, err in best:
        print(f"{'':14}{name} {s} differences: best step {eps:.0e}, error {err:.1e}")


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
