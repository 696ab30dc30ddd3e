"""Deep linear network learning dynamics (Neuromatch DL W1D2 Tutorial 3; Saxe, McClelland & Ganguli 2014, 2019).

    python -m experiments.deep_linear --quick   # 1 seed, a 3 x 4 (lr, gamma) grid: seconds on a CPU
    python -m experiments.deep_linear           # 3 seeds, the tutorial's 9 lr x 17 gamma x 3 seeds grid

The tutorial's data and network: items of a depth-3, branching-2 tree (8 leaves, one-hot inputs) with
10,000 features sampled by a branching diffusion (root sign +-1 with probability 1/2, every edge
flips it with probability 0.15); ``LNNet(8, 30, 10000)`` without biases, weights N(0, gamma^2 / (n_in +
n_out)) with gamma = 1e-12, full-batch gradient descent with lr = 100 on the mean squared error over
all 8 x 10,000 entries, 250 epochs. Every epoch records the loss, the singular values of
W_tot = W2 W1 (the modes), the hidden similarity H H^T and the predictions of the last feature.

Beside it: the closed-form expected item correlation and singular values of the tree; Saxe et al.'s
exact mode curves u(t) with tau = P N / (2 lr) = 400 epochs (continuous time, and with gradient
descent's per-epoch growth (1 + s/tau)^2); half-times and t_half * s; the least-squares solution
W_tot converges to; the illusory correlations (Shark "has_bones", Parrot "cannot_speak"); and the
tutorial's lr x gamma sliders as one vmapped grid. Runs use jdl's exact low-dimensional form of the
gradient-descent trajectory (``--method=reduced``, tested equal to optax on the full network,
``--method=direct``), in float64 because gamma goes down to 1e-15.

Expected: the sampled singular values (155.6, 124.4, 100.7, 99.0, 72.3, 71.6, 71.2, 70.4 for seed 0's
JAX draw; the tutorial's NumPy seed 2021 gives 157.7, 121.8, 100.5, 100.3, 71.4, 71.2, 70.7, 70.6) sit
within 1-3 % of the closed form (156.2, 122.5, 100.5 x2, 71.4 x4); the modes
are learned in order of s in four stages (half-times ~94, 114, 138, 187 epochs); measured half-times
match the discrete-step theory to < 1 epoch, while the continuous-time formula is ~15 epochs early at
this learning rate; t_half * s varies ~10 % across modes (its discrete counterpart t_half ln(1 + s/tau)
~1.5 %); W_tot equals the least-squares map to ~1e-12. The Shark is first predicted to have bones
(+0.5) before the finer modes correct it to -1. Large gamma (>= ~1e-2) removes the plateaus.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl.studies.deep_linear import dynamics as L
from jdl import plotting
from jdl import sweep as jsweep
from jdl.data import tree
from jdl.io import save_npz
from jdl.studies.deep_linear import plots as dlp

NAME = "deep_linear"
DTYPES = {"float64": jnp.float64, "float32": jnp.float32}
# the tutorial's illusory-correlation examples: item names, the item, the added feature's name and values
ILLUSIONS = (
    {"items": ("Shark", "Tuna", "Robin", "Canary", "Rose", "Daisy", "Pine", "Oak"), "item": 0, "name": "has_bones",
     "values": (-1, 1, 1, 1, -1, -1, -1, -1)},
    {"items": ("Goldfish", "Tuna", "Robin", "Parrot", "Rose", "Daisy", "Pine", "Oak"), "item": 3,
     "name": "cannot_speak", "values": (1, 1, 1, -1, 1, 1, 1, 1)},
)


@dataclass(frozen=True)
class Config:
    depth: int = field(default=3, metadata={"help": "tree levels below the root (items = branching**depth)"})
    branching: int = field(default=2, metadata={"help": "children per node"})
    flip: float = field(default=0.15, metadata={"help": "sign-flip probability of every edge (the root's is 1/2)"})
    n_features: int = field(default=10_000, metadata={"help": "sampled features (network outputs)"})
    hidden: int = field(default=30, metadata={"help": "hidden units"})
    epochs: int = field(default=250, metadata={"help": "full-batch gradient steps"})
    lr: float = field(default=100.0, metadata={"help": "learning rate of the main runs"})
    gamma: float = field(default=1e-12, metadata={"help": "init scale: sigma = gamma / sqrt(n_in + n_out)"})
    seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "main runs: each seed draws data and weights"})
    feature: int = field(default=-1, metadata={"help": "feature whose prediction is recorded for every item"})
    method: str = field(default="reduced", metadata={"help": "reduced (exact low-dimensional GD) | direct (optax)"})
    cross_check: bool = field(default=True, metadata={"help": "rerun the first seed with the other method and compare"})
    illusions: bool = field(default=True, metadata={"help": "the Shark / Parrot illusory correlations (8-item tree)"})
    sweep_lr: tuple[float, ...] = field(default=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 150.0, 200.0),
                                        metadata={"help": "learning rates of the grid (the tutorial's slider: 1-200)"})
    sweep_gamma: tuple[float, ...] = field(default=tuple(10.0 ** e for e in range(-15, 2)),
                                           metadata={"help": "init scales of the grid (the slider: 1e-15 .. 10)"})
    sweep_seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "seeds of the grid (empty: no grid)"})
    rsm_epochs: tuple[int, ...] = field(default=(), metadata={"help": "epochs of the RSM panels (empty: automatic)"})
    gif: bool = field(default=True, metadata={"help": "write rsm.gif (the RSM every 5 epochs)"})
    chunk_size: int = field(default=128, metadata={"help": "runs per compiled call (0: all at once)"})
    dtype: str = field(default="float64", metadata={"help": "float64 | float32 (float32 mistimes gamma < ~1e-12)"})

    def validate(self) -> None:
        tree.check_tree(self.depth, self.branching)  # names depth / branching
        if not 0.0 <= self.flip <= 1.0:
            raise ValueError(f"flip: a probability must lie in [0, 1], got {self.flip}")
        _cli.at_least(self, 1, "n_features", "hidden", "epochs")
        if not self.lr > 0:
            raise ValueError(f"lr: must be > 0, got {self.lr}")
        if not self.gamma > 0:
            raise ValueError(f"gamma: must be > 0, got {self.gamma}")
        if not self.seeds:
            raise ValueError("seeds: need at least one seed")
        if not -self.n_features <= self.feature < self.n_features:
            raise ValueError(f"feature: must index one of {self.n_features} features, got {self.feature}")
        if self.method not in L.METHODS:
            raise ValueError(f"method: expected one of {L.METHODS}, got {self.method!r}")
        if self.sweep_seeds and (not self.sweep_lr or any(not v > 0 for v in self.sweep_lr)):
            raise ValueError(f"sweep_lr: need learning rates > 0, got {self.sweep_lr}")
        if self.sweep_seeds and (not self.sweep_gamma or any(not v > 0 for v in self.sweep_gamma)):
            raise ValueError(f"sweep_gamma: need init scales > 0, got {self.sweep_gamma}")
        if any(not 0 <= t <= self.epochs for t in self.rsm_epochs):
            raise ValueError(f"rsm_epochs: epochs must lie in [0, {self.epochs}], got {self.rsm_epochs}")
        if self.chunk_size < 0:
            raise ValueError(f"chunk_size: must be >= 0, got {self.chunk_size}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected one of {sorted(DTYPES)}, got {self.dtype!r}")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(seeds=(0,), cross_check=False, sweep_lr=(20.0, 100.0, 200.0), sweep_gamma=(1e-12, 1e-6, 1e-2, 1.0),
                  sweep_seeds=(0,), gif=False)


def _spread(v) -> float:
    """max / min - 1 of positive values (NaN if any is missing)."""
    v = np.asarray(v, np.float64)
    return float(np.max(v) / np.min(v) - 1.0) if np.all(np.isfinite(v)) and np.all(v > 0) else float("nan")


def _levels_in_order(half_sa: np.ndarray, mult: np.ndarray) -> bool:
    """Every mode of a coarser level is half-learned before every mode of the next finer level (all seeds).

    A mode that never gets there (NaN) counts as learned after the end of training.
    """
    bounds = np.cumsum(np.concatenate([[0], mult]))
    for h in np.where(np.isnan(half_sa), np.inf, np.atleast_2d(half_sa)):
        groups = [h[bounds[k]:bounds[k + 1]] for k in range(len(mult))]
        if not all(np.max(a) < np.min(b) for a, b in zip(groups, groups[1:])):
            return False
    return True


def _rsm_epochs(c: Config, half_a: np.ndarray, mult: np.ndarray) -> list[int]:
    """Epoch 0, the midpoints between the levels' half-times, the end (or the configured ones)."""
    if c.rsm_epochs:
        return sorted(set(c.rsm_epochs))
    bounds = np.cumsum(np.concatenate([[0], mult]))
    level_t = [np.nanmedian(half_a[bounds[k]:bounds[k + 1]]) for k in range(len(mult))]
    mids = [(a + b) / 2 for a, b in zip(level_t, level_t[1:])]  # one panel per stage: after level k, before k + 1
    pts = [0, *[m for m in mids if np.isfinite(m)], c.epochs]
    pts = sorted({int(round(min(max(p, 0), c.epochs))) for p in pts})
    return pts


def _train_all(c: Config, sample, dtype, progress: bool) -> tuple[L.History, L.History | None, float]:
    """The main runs and the lr x gamma grid as the members of one compiled program."""
    S = len(c.seeds)
    g = jsweep.grid(lr=np.asarray(c.sweep_lr), gamma=np.asarray(c.sweep_gamma)) if c.sweep_seeds else None
    seeds, lr, gamma = list(c.seeds), [c.lr] * S, [c.gamma] * S
    if g is not None:
        seeds += np.repeat(c.sweep_seeds, len(g["lr"])).tolist()
        lr += np.tile(g["lr"], len(c.sweep_seeds)).tolist()
        gamma += np.tile(g["gamma"], len(c.sweep_seeds)).tolist()
    t0 = time.perf_counter()
    hist = L.train_members(seeds, lr, gamma, sample, hidden=c.hidden, epochs=c.epochs, method=c.method, dtype=dtype,
                           feature=c.feature, record_rsm=True, chunk_size=c.chunk_size or None, progress=progress,
                           desc="runs")
    wall = time.perf_counter() - t0
    main = jax.tree_util.tree_map(lambda v: v[:S], hist)
    grid = None if g is None else jax.tree_util.tree_map(
        lambda v: v[S:].reshape((len(c.sweep_seeds), len(g["lr"])) + v.shape[1:]), hist)
    return main, grid, wall


def _theory(c: Config, hist: L.History, P: int, N: int, mult: np.ndarray) -> dict:
    tau = float(L.time_constant(c.lr, P, N))
    t = np.arange(c.epochs + 1.0)[:, None]
    s, u0 = hist.s, hist.u0  # (S, A)
    cont = np.stack([L.mode_trajectory(t, s_i, u_i, tau) for s_i, u_i in zip(s, u0)])
    disc = np.stack([L.mode_trajectory(t, s_i, u_i, tau, discrete=True) for s_i, u_i in zip(s, u0)])
    measured = np.stack([L.measured_half_times(st, s_i) for st, s_i in zip(hist.strengths, s)])
    th_c, th_d = L.half_time(s, u0, tau), L.half_time(s, u0, tau, discrete=True)
    rate_d = np.log1p(s / tau)
    return {
        "tau": tau, "curves": {"continuous": cont, "discrete": disc},
        "half": {"measured": measured, "continuous": th_c, "discrete": th_d},
        "summary": {
            "tau_epochs": tau, "max_step_s_over_tau": float(np.max(s) / tau),
            "u0_effective": u0, "half_time_measured": measured, "half_time_continuous": th_c,
            "half_time_discrete": th_d, "half_time_modes_singular_values":
                np.stack([L.measured_half_times(m, s_i) for m, s_i in zip(hist.modes, s)]),
            "max_abs_half_time_error_epochs": {"continuous": float(np.nanmax(np.abs(measured - th_c))),
                                               "discrete": float(np.nanmax(np.abs(measured - th_d)))},
            "t_half_times_s": measured * s,
            "t_half_times_s_spread": [_spread(v) for v in measured * s],
            "t_half_times_s_spread_continuous_theory": [_spread(v) for v in th_c * s],
            "t_half_times_log1p_s_over_tau_spread": [_spread(v) for v in measured * rate_d],
            "modes_learned_in_order_of_s": _levels_in_order(measured, mult),
            "max_trajectory_error_over_s": {
                "continuous": float(np.max(np.abs(hist.strengths - cont) / s[:, None, :])),
                "discrete": float(np.max(np.abs(hist.strengths - disc) / s[:, None, :]))},
        },
    }


def _illusions(c: Config, sample, dtype) -> dict:
    k_data = L.run_keys(c.seeds[0])[0]
    y = np.asarray(sample(k_data)[1], np.float64)  # the first main run's data
    ys = np.stack([tree.add_feature(y, ex["values"]) for ex in ILLUSIONS])
    xs = np.stack([np.eye(len(y))] * len(ILLUSIONS))
    hist = L.train_datasets(c.seeds[0], xs, ys, c.lr, c.gamma, hidden=c.hidden, epochs=c.epochs, method=c.method,
                            dtype=dtype, feature=-1)
    tau = float(L.time_constant(c.lr, ys.shape[1], ys.shape[2]))
    t = np.arange(c.epochs + 1.0)[:, None]
    out, panels = {}, []
    for b, ex in enumerate(ILLUSIONS):
        tgt = L.least_squares_modes(xs[b], ys[b])  # a sign flip of a pair leaves U[j, a] V[i, a] unchanged
        i = ex["item"]
        measured = hist.pred[b][:, i]
        u_disc = L.mode_trajectory(t, hist.s[b], hist.u0[b], tau, discrete=True)
        theory = L.predictions_from_modes(u_disc, tgt.U[-1], tgt.V[i])
        from_strengths = L.predictions_from_modes(hist.strengths[b], tgt.U[-1], tgt.V[i])
        truth = float(ex["values"][i])
        wrong = -truth * measured > 0.1  # wrong by more than 0.1
        peak = int(np.argmax(-truth * measured))
        right = np.nonzero(np.sign(measured[peak:]) == np.sign(truth))[0]
        key = f"{ex['items'][i]}_{ex['name']}"
        out[key] = {"item": ex["items"][i], "feature": ex["name"], "true_value": truth,
                    "max_wrong_prediction": float(measured[peak]), "epoch_of_max_wrong": peak,
                    "epochs_wrong_by_more_than_0.1": int(np.sum(wrong)),
                    "first_epoch_right_sign_after_peak": int(peak + right[0]) if len(right) else None,
                    "final_prediction": float(measured[-1]),
                    "max_error_theory_vs_measured": float(np.max(np.abs(theory - measured))),
                    "max_error_from_measured_strengths": float(np.max(np.abs(from_strengths - measured)))}
        panels.append({"title": f"{ex['items'][i]} {ex['name']} (transiently wrong)", "measured": measured,
                       "theory": theory, "truth": truth})
    return {"metrics": out, "panels": panels, "modes": list(hist.modes)}


def _sweep(c: Config, hist: L.History) -> dict:
    g = jsweep.grid(lr=np.asarray(c.sweep_lr), gamma=np.asarray(c.sweep_gamma))
    S, G = hist.loss.shape[:2]
    nl, ng = len(c.sweep_lr), len(c.sweep_gamma)
    P, N = c.branching ** c.depth, c.n_features
    final = hist.loss[..., -1]
    diverged = ~np.all(np.isfinite(hist.loss), axis=-1) | ~(final <= hist.loss[..., 0])
    unfinished = ~(final < 1e-2 * hist.loss[..., 0])  # stages are counted only on a finished curve
    plateau = np.array([[L.plateau_end(hist.loss[s, j]) for j in range(G)] for s in range(S)])
    stages = np.array([[L.count_stages(hist.loss[s, j]) for j in range(G)] for s in range(S)], np.float64)
    half = np.array([[L.measured_half_times(hist.strengths[s, j], hist.s[s, j]) for j in range(G)] for s in range(S)])
    tau = L.time_constant(g["lr"], P, N)[None, :, None]
    theory = L.half_time(hist.s, hist.u0, tau, discrete=True)
    # where the theory applies at all: stable steps, a mode that starts below half and gets there
    valid = (hist.u0 < hist.s / 10) & (hist.s / tau < 1.0) & ~diverged[..., None] & (half > 0)
    rel_err = np.where(valid, np.abs(half / theory - 1), np.nan).reshape(S, nl, ng, -1)
    plateau, stages, final_m = (np.where(diverged, np.nan, v) for v in (plateau, stages, final))
    stages = np.where(unfinished, np.nan, stages)

    def table_max(v):  # (S, n_lr, n_gamma, A) -> max over everything but gamma; NaN where nothing was checked
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmax(v, axis=(0, 1, 3))

    def table(v):  # (S, G) -> seed median (n_lr, n_gamma); NaN where every seed is NaN
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(np.asarray(v, np.float64), axis=0).reshape(nl, ng)

    return {"hist": hist, "runs": S * G, "tables": {
        "lr": c.sweep_lr, "gamma": c.sweep_gamma,
        "plateau_end_epoch": table(plateau), "n_stages": table(stages),
        "log10_final_loss": table(np.log10(np.where(final_m > 0, final_m, np.nan))),
        "ls_error": table(np.where(diverged, np.nan, hist.ls_error)),
        "diverged_fraction": diverged.mean(0).reshape(nl, ng),
        "half_time_top_mode": table(np.where(diverged, np.nan, half[..., 0])),
        "half_time_last_mode": table(np.where(diverged, np.nan, half[..., -1]))},
        "half_time_theory_check": {
            "gamma": c.sweep_gamma, "modes_checked": np.sum(np.isfinite(rel_err), axis=(0, 1, 3)),
            "max_rel_error_per_gamma": table_max(rel_err)},
        "diverged_members": [{"seed": int(c.sweep_seeds[s]), "lr": float(g["lr"][j]), "gamma": float(g["gamma"][j])}
                             for s, j in zip(*np.nonzero(diverged))]}


def run(c: Config, out_dir, progress: bool = True) -> dict:
    dtype = DTYPES[c.dtype]
    P, N = c.branching ** c.depth, c.n_features
    names = tree.ITEM_NAMES if P == len(tree.ITEM_NAMES) else tuple(f"item {i}" for i in range(P))
    lam, mult = tree.level_eigenvalues(c.depth, c.branching, c.flip)
    s_exp = tree.expected_singular_values(c.depth, c.branching, c.flip, N)
    corr_exp = tree.expected_correlation(c.depth, c.branching, c.flip)

    @jax.jit  # one compiled program also where it is called on its own (the data figure, the references)
    def sample(key):
        return tree.generate_hsd(key, N, depth=c.depth, branching=c.branching, flip=c.flip, dtype=jnp.float32)

    hist, grid_hist, train_s = _train_all(c, sample, dtype, progress)
    th = _theory(c, hist, P, N, mult)

    # the data of the first seed (the same draws as its run) and the least-squares reference
    x0, y0 = (np.asarray(v, np.float64) for v in sample(L.run_keys(c.seeds[0])[0]))
    corr_sampled = y0 @ y0.T / N
    v_rsm = []  # the balanced solution's similarity V diag(s) V^T = (W*^T W*)^{1/2} (one-hot items)
    for seed, r in zip(c.seeds, hist.rsm[:, -1]):
        ref = L.balanced_rsm(*sample(L.run_keys(seed)[0]))
        v_rsm.append(float(np.linalg.norm(r - ref) / np.linalg.norm(ref)))

    out = {
        "P": P, "N": N, "hidden": c.hidden, "epochs": c.epochs, "lr": c.lr, "gamma": c.gamma, "seeds": c.seeds,
        "method": c.method, "dtype": c.dtype,
        "data": {"level_eigenvalues": lam, "level_multiplicities": mult, "expected_singular_values": s_exp,
                 "sampled_singular_values": hist.s,
                 "sampled_minus_expected_over_expected": (hist.s - s_exp) / s_exp,
                 "expected_correlation": corr_exp, "sampled_correlation_first_seed": corr_sampled,
                 "max_abs_correlation_error_first_seed": float(np.max(np.abs(corr_sampled - corr_exp))),
                 "correlation_sampling_sd": float(1 / np.sqrt(N))},
        "dynamics": th["summary"],
        "final_loss": hist.loss[:, -1], "initial_loss": hist.loss[:, 0],
        "final_modes": hist.modes[:, -1],
        "n_stages": [L.count_stages(v) for v in hist.loss],
        "regression": {"rel_error_w_tot_vs_least_squares": hist.ls_error, "rel_error_final_rsm_vs_V_S_Vt": v_rsm},
        "runs": len(hist.loss) + (0 if grid_hist is None else grid_hist.loss[..., 0].size),
        "train_s_including_compile": round(train_s, 3),
    }

    if c.cross_check:
        other = "direct" if c.method == "reduced" else "reduced"
        h2 = L.train_members(c.seeds[:1], [c.lr], [c.gamma], sample, hidden=c.hidden, epochs=c.epochs, method=other,
                             dtype=dtype, feature=c.feature, record_rsm=True)
        diff = {f: float(np.max(np.abs(getattr(h2, f)[0] - getattr(hist, f)[0])) /
                         max(float(np.max(np.abs(getattr(hist, f)[0]))), 1e-300))
                for f in ("loss", "modes", "strengths", "rsm", "pred")}
        out["cross_check"] = {"other_method": other, "max_rel_diff": diff}

    ill = None
    if c.illusions and P == 8:
        ill = _illusions(c, sample, dtype)
        out["illusions"] = ill["metrics"]
    elif c.illusions:
        out["illusions"] = "skipped: the Shark / Parrot examples need the 8-item tree (depth 3, branching 2)"

    sw = None
    if grid_hist is not None:
        sw = _sweep(c, grid_hist)
        out["sweep"] = {**sw["tables"], "runs": sw["runs"], "half_time_theory_check": sw["half_time_theory_check"],
                        "diverged_members": sw["diverged_members"]}

    # --- arrays and figures
    save_npz(out_dir / "history.npz", loss=hist.loss, modes=hist.modes, strengths=hist.strengths, rsm=hist.rsm,
             pred=hist.pred, s=hist.s, u0=hist.u0, theory_continuous=th["curves"]["continuous"],
             theory_discrete=th["curves"]["discrete"])
    if ill is not None:
        save_npz(out_dir / "illusions.npz", **{f"{k}_{p['title'].split()[0]}": p[k] for p in ill["panels"]
                                               for k in ("measured", "theory")})
    if sw is not None:
        save_npz(out_dir / "sweep.npz", lr=np.asarray(c.sweep_lr), gamma=np.asarray(c.sweep_gamma),
                 loss=sw["hist"].loss, strengths=sw["hist"].strengths, s=sw["hist"].s, u0=sw["hist"].u0)
    epochs = np.arange(c.epochs + 1)
    plotting.save(dlp.tree_data(y0, corr_exp, corr_sampled, s_exp, hist.s, names), out_dir / "tree_data.png")
    tau = th["tau"]
    plotting.save(dlp.dynamics(epochs, hist.loss[0], hist.modes[0], hist.strengths[0],
                               {"theory, GD step (rate 2 ln(1+s/τ))": th["curves"]["discrete"][0],
                                f"theory, continuous time (τ = PN/2η = {tau:g})": th["curves"]["continuous"][0]},
                               hist.s[0], title=f"lr {c.lr:g}, γ {c.gamma:g}, seed {c.seeds[0]}"),
                  out_dir / "dynamics.png")
    plotting.save(dlp.half_times(hist.s, th["half"]["measured"],
                                 {"theory, GD step": th["half"]["discrete"],
                                  "theory, continuous time": th["half"]["continuous"]},
                                 title=f"half-learning times ({len(c.seeds)} seed(s))"), out_dir / "half_times.png")
    show = _rsm_epochs(c, th["half"]["measured"][0], mult)
    plotting.save(dlp.rsm_grid(hist.rsm[0], show, names, hist.loss[0]), out_dir / "rsm.png")
    out["rsm_epochs_shown"] = show
    if c.gif:
        dlp.save_rsm_gif(hist.rsm[0], names, out_dir / "rsm.gif")
    if ill is not None:
        plotting.save(dlp.illusions(epochs, ill["panels"], ill["modes"]), out_dir / "illusions.png")
    if sw is not None:
        tb = sw["tables"]
        plotting.save(dlp.sweep_heatmaps(
            np.asarray(c.sweep_lr), np.asarray(c.sweep_gamma),
            [("epochs until the loss drops 10 %", tb["plateau_end_epoch"], "viridis"),
             ("number of stages (drops in the loss)", tb["n_stages"], "viridis"),
             ("log10 final loss", tb["log10_final_loss"], "cividis")],
            title=f"seed median over {len(c.sweep_seeds)} seed(s); grey: not reached / unfinished in {c.epochs} "
                  "epochs / diverged"), out_dir / "sweep.png")
        j = int(np.argmin(np.abs(np.log(np.asarray(c.sweep_lr) / c.lr))))
        loss_lg = sw["hist"].loss[0].reshape(len(c.sweep_lr), len(c.sweep_gamma), -1)[j]
        plotting.save(dlp.loss_curves(epochs, loss_lg, np.asarray(c.sweep_gamma), c.sweep_lr[j]),
                      out_dir / "sweep_loss_curves.png")

    d = out["dynamics"]
    print(f"singular values: expected {np.round(s_exp, 1).tolist()}")
    print(f"                 sampled  {np.round(hist.s[0], 1).tolist()} (seed {c.seeds[0]})")
    print(f"tau = {tau:g} epochs; half-times (seed {c.seeds[0]}): measured {np.round(d['half_time_measured'][0], 1)}")
    print(f"  theory, GD step {np.round(d['half_time_discrete'][0], 1)}; "
          f"continuous {np.round(d['half_time_continuous'][0], 1)}")
    print(f"t_half * s spread {d['t_half_times_s_spread'][0]:.1%} (continuous theory "
          f"{d['t_half_times_s_spread_continuous_theory'][0]:.1%}; t_half ln(1+s/tau): "
          f"{d['t_half_times_log1p_s_over_tau_spread'][0]:.1%}); in order of s: {d['modes_learned_in_order_of_s']}")
    print(f"W_tot vs least squares: rel. error {np.max(hist.ls_error):.1e}; final loss {out['final_loss'][0]:.2e}")
    if ill is not None:
        for k, v in ill["metrics"].items():
            print(f"illusion {k}: max wrong {v['max_wrong_prediction']:+.2f} at epoch {v['epoch_of_max_wrong']}, "
                  f"final {v['final_prediction']:+.2f}")
    if sw is not None:
        print(f"grid: {sw['runs']} runs; stages at lr={c.sweep_lr[-1]:g} over gamma: "
              f"{sw['tables']['n_stages'][-1].tolist()}")
        chk = sw["half_time_theory_check"]
        print("  half-time theory (GD step), max rel. error per gamma: " + ", ".join(
            f"{g:.0e}: {e:.1%}" for g, e in zip(c.sweep_gamma, chk["max_rel_error_per_gamma"]) if np.isfinite(e)))
    print(f"{out['runs']} runs (main + grid) in {train_s:.1f} s including compilation")
    return out


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
