"""Figures of deep linear network learning dynamics (arrays in, ``Figure`` out; no computation).

Used by ``experiments.deep_linear``; every function takes NumPy arrays (one run or seed medians).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl.plotting import finish

__all__ = ["tree_data", "dynamics", "half_times", "rsm_grid", "save_rsm_gif", "illusions", "sweep_heatmaps",
           "loss_curves"]


def _mode_colors(n: int):
    return plt.cm.viridis(np.linspace(0.0, 0.9, n))


def _matrix(ax, m, labels, title, cmap="Purples", vmin=None, vmax=None):
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_title(title, fontsize=9)
    return im


def tree_data(y_pn: np.ndarray, corr_expected: np.ndarray, corr_sampled: np.ndarray, s_expected: np.ndarray,
              s_sampled_sa: np.ndarray, item_names: Sequence[str], n_show: int = 40) -> Figure:
    """Items x features (first ``n_show``), expected vs sampled item correlation, and the singular values.

    Args:
      y_pn: ``(P, N)`` one sampled target matrix.
      corr_expected, corr_sampled: ``(P, P)`` ``E[y_i y_j]`` and ``Y Y^T / N``.
      s_expected: ``(P,)`` closed-form singular values; s_sampled_sa: ``(seeds, P)`` sampled ones.
    """
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), gridspec_kw={"width_ratios": [1.6, 1, 1, 1.2]},
                             layout="constrained")
    axes[0].imshow(y_pn[:, :n_show], cmap="cool", vmin=-1, vmax=1, aspect="auto")
    axes[0].set_yticks(range(len(item_names)), item_names, fontsize=7)
    axes[0].set_xlabel(f"feature (first {n_show} of {y_pn.shape[1]})")
    axes[0].set_title("targets: +1 magenta, -1 cyan", fontsize=9)
    for ax, m, t in ((axes[1], corr_expected, "expected $E[y_i y_j]$ (closed form)"),
                     (axes[2], corr_sampled, "sampled $YY^T/N$")):
        im = _matrix(ax, m, item_names, t, cmap="RdBu_r", vmin=-1, vmax=1)
    fig.colorbar(im, ax=axes[1:3], shrink=0.8, label="item correlation")
    ax = axes[3]
    k = np.arange(1, len(s_expected) + 1)
    ax.plot(k, s_expected, "k_", ms=18, mew=2, label="expected $\\sqrt{N\\lambda_k}$")
    for i, s in enumerate(np.atleast_2d(s_sampled_sa)):
        ax.plot(k, s, "o", ms=4, alpha=0.7, color="C1", label="sampled (one dot per seed)" if i == 0 else None)
    ax.set_xlabel("mode (decreasing)")
    ax.set_ylabel("singular value of the targets")
    ax.set_title("singular values: closed form vs sampled", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


def dynamics(epochs: np.ndarray, loss_t: np.ndarray, modes_ta: np.ndarray, strengths_ta: np.ndarray,
             theory: Mapping[str, np.ndarray], s_a: np.ndarray, title: str = "") -> Figure:
    """Loss; the singular values of ``W_tot`` against the analytic mode curves; the strengths on a log scale.

    Args:
      epochs: ``(T,)``; loss_t ``(T,)``; modes_ta, strengths_ta ``(T, A)``.
      theory: ``{label: (T, A)}`` analytic curves, drawn dashed then dotted in the order given.
      s_a: ``(A,)`` final strengths (drawn as thin horizontal lines).
    """
    fig, axes = plt.subplots(3, 1, figsize=(8.5, 10.5), sharex=True, gridspec_kw={"height_ratios": [1, 1.5, 1.5]})
    axes[0].plot(epochs, loss_t, "r", lw=2)
    axes[0].set_ylabel("MSE (mean over items x features)")
    axes[0].set_title("training loss", fontsize=10)
    colors = _mode_colors(modes_ta.shape[1])
    styles = ["--", ":", "-."]
    for ax, meas, logy in ((axes[1], modes_ta, False), (axes[2], strengths_ta, True)):
        for a, c in enumerate(colors):
            ax.plot(epochs, meas[:, a], color=c, lw=2.2, alpha=0.8, label="measured" if a == 0 else None)
            for (label, th), ls in zip(theory.items(), styles):
                ax.plot(epochs, th[:, a], color="k", ls=ls, lw=0.9, label=label if a == 0 else None)
        for s in s_a:
            ax.axhline(s, color="gray", lw=0.4)
        if logy:
            ax.set_yscale("log")
            lo = np.nanmin(np.where(meas > 0, meas, np.nan))
            ax.set_ylim(max(lo / 10, 1e-40), np.max(s_a) * 5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right" if logy else "center right")
    axes[1].set_ylabel("singular values of $W_2W_1$")
    axes[1].set_title("modes (colour: mode, largest dark) vs Saxe et al.'s exact solution", fontsize=10)
    axes[2].set_ylabel("mode strength $u_a^T W_2 W_1 v_a$")
    axes[2].set_title("the same on a log scale: exponential growth from the tiny initialisation", fontsize=10)
    axes[2].set_xlabel("epoch (gradient steps)")
    return finish(fig, title)


def half_times(s_a: np.ndarray, measured_sa: np.ndarray, theory: Mapping[str, np.ndarray], title: str = "") -> Figure:
    """Half-learning time against the singular value, and ``t_half * s`` per mode (constant in continuous time).

    Args:
      s_a: ``(A,)`` (seed 0) or ``(seeds, A)`` singular values; measured_sa: the same shape.
      theory: ``{label: half-times of the same shape}``.
    """
    s, meas = np.atleast_2d(s_a), np.atleast_2d(measured_sa)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3))
    ax = axes[0]
    ax.plot(s.ravel(), meas.ravel(), "o", color="C3", ms=6, label="measured (GD)", zorder=3)
    for (label, th), m in zip(theory.items(), ("x", "+", "s")):
        ax.plot(s.ravel(), np.atleast_2d(th).ravel(), m, color="k", ms=7, label=label)
    ax.set_xlabel("singular value s of the target")
    ax.set_ylabel("$t_{1/2}$ (epochs to half strength)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = axes[1]
    x = np.arange(s.shape[1])
    width = 0.8 / (1 + len(theory))
    bars = {"measured": meas * s, **{label: np.atleast_2d(th) * s for label, th in theory.items()}}
    for i, (label, p) in enumerate(bars.items()):
        with warnings.catch_warnings():  # a mode never learned within the epochs is NaN: no bar
            warnings.simplefilter("ignore", RuntimeWarning)
            h = np.nanmean(p, 0) / np.nanmean(p)
        ax.bar(x - 0.4 + width * (i + 0.5), h, width, color="C3" if i == 0 else f"C{i - 1}", alpha=1 if i == 0 else 0.6,
               label=label)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_ylim(0.8, 1.15)
    ax.set_xticks(x, [f"{v:.0f}" for v in s[0]])
    ax.set_xlabel("mode (its singular value)")
    ax.set_ylabel("$t_{1/2} \\cdot s$ / its mean over modes")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return finish(fig, title)


def rsm_grid(rsm_tpp: np.ndarray, show: Sequence[int], item_names: Sequence[str], loss_t: np.ndarray | None = None,
             ncols: int = 4) -> Figure:
    """Small multiples of the hidden similarity ``H H^T`` at the epochs in ``show`` (each panel / its maximum)."""
    n = len(show)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 3.4 * nrows), squeeze=False, layout="constrained")
    for ax, t in zip(axes.flat, show):
        m = rsm_tpp[t]
        top = np.max(np.abs(m))
        im = _matrix(ax, m / (top if top > 0 else 1.0), item_names,
                     f"epoch {t}" + (f" (loss {loss_t[t]:.2f})" if loss_t is not None else ""), vmin=0, vmax=1)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.colorbar(im, ax=axes, shrink=0.6, label="similarity / max")
    fig.suptitle("representational similarity of the hidden layer over training")
    return fig


def save_rsm_gif(rsm_tpp: np.ndarray, item_names: Sequence[str], path, every: int = 5, fps: int = 8) -> Path:
    """Animated GIF of ``H H^T`` (each frame / its maximum) every ``every`` epochs (Pillow writer)."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    fig, ax = plt.subplots(figsize=(4, 4))
    frames = list(range(0, rsm_tpp.shape[0], every))
    norm = lambda m: m / (np.max(np.abs(m)) or 1.0)  # noqa: E731
    im = _matrix(ax, norm(rsm_tpp[0]), item_names, "epoch 0", vmin=0, vmax=1)
    fig.tight_layout()

    def update(t):
        im.set_data(norm(rsm_tpp[t]))
        ax.set_title(f"hidden similarity $HH^T$, epoch {t}", fontsize=9)
        return (im,)

    anim = FuncAnimation(fig, update, frames=frames, blit=False)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    anim.save(str(path), writer=PillowWriter(fps=fps), dpi=60)
    plt.close(fig)
    return Path(path)


def illusions(epochs: np.ndarray, panels: Sequence[Mapping], modes_ta: Sequence[np.ndarray] | None = None) -> Figure:
    """One panel per illusory fact: the network's prediction over training, measured and analytic.

    Args:
      panels: ``{"title", "measured": (T,), "theory": (T,), "truth": float}`` per panel.
      modes_ta: optional ``(T, A)`` singular values per panel, drawn normalised on a twin axis.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.3), squeeze=False)
    for i, (ax, p) in enumerate(zip(axes[0], panels)):
        if modes_ta is not None:
            tw = ax.twinx()
            m = modes_ta[i]
            for a, c in enumerate(_mode_colors(m.shape[1])):
                tw.plot(epochs, m[:, a] / np.max(m), color=c, lw=0.8, alpha=0.5)
            tw.set_ylabel("singular values / max (thin)", fontsize=8)
            tw.set_ylim(-1.05, 1.05)
        ax.plot(epochs, p["measured"], "r", lw=2.5, label="network prediction")
        if p.get("theory") is not None:
            ax.plot(epochs, p["theory"], "k--", lw=1.2, label="from the exact mode curves")
        ax.axhline(p["truth"], color="C0", ls=":", lw=1.2, label=f"true value ({p['truth']:+.0f})")
        ax.axhline(0.0, color="gray", lw=0.5)
        ax.set_ylim(-1.1, 1.1)
        ax.set_xlabel("epoch")
        ax.set_ylabel("prediction")
        ax.set_title(p["title"], fontsize=10)
        ax.legend(fontsize=8, loc="lower left")
    fig.suptitle("illusory correlations: coarse modes are learned first")
    fig.tight_layout()
    return fig


def sweep_heatmaps(lr: np.ndarray, gamma: np.ndarray, panels: Sequence[tuple[str, np.ndarray, str]],
                   title: str = "") -> Figure:
    """Heatmaps over (learning rate, init scale), one per ``(title, (n_lr, n_gamma) values, cmap)``; NaN is grey."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.6), squeeze=False)
    for ax, (name, z, cmap) in zip(axes[0], panels):
        z = np.asarray(z, np.float64)
        cm = plt.get_cmap(cmap).copy()
        cm.set_bad("0.8")
        im = ax.imshow(np.ma.masked_invalid(z), cmap=cm, aspect="auto", origin="lower")
        ax.set_xticks(range(len(gamma)), [f"{g:.0e}" for g in gamma], rotation=90, fontsize=7)
        ax.set_yticks(range(len(lr)), [f"{v:g}" for v in lr], fontsize=7)
        ax.set_xlabel("init scale $\\gamma$")
        ax.set_ylabel("learning rate $\\eta$")
        ax.set_title(name, fontsize=10)
        if z.size and np.isfinite(z).any() and z.size <= 200:
            for (i, j), v in np.ndenumerate(z):
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.0f}" if abs(v) >= 1 or v == 0 else f"{v:.1f}", ha="center", va="center",
                            fontsize=6, bbox={"facecolor": "white", "alpha": 0.6, "lw": 0, "pad": 0.5})
        fig.colorbar(im, ax=ax)
    return finish(fig, title)


def loss_curves(epochs: np.ndarray, loss_gt: np.ndarray, gamma: np.ndarray, lr: float) -> Figure:
    """Loss against epoch for each init scale at one learning rate (small gamma: plateaus and stages)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = plt.cm.plasma(np.linspace(0.0, 0.9, len(gamma)))
    for g, c, loss in zip(gamma, colors, loss_gt):
        ax.plot(epochs, loss, color=c, lw=1.5, label=f"$\\gamma$ = {g:.0e}")
    ax.set_yscale("log")
    lo = np.nanmin(np.where(loss_gt > 0, loss_gt, np.nan))
    ax.set_ylim(max(lo, 1e-6), np.nanmax(loss_gt) * 1.5)
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE")
    ax.set_title(f"learning rate {lr:g}: large init scales remove the plateaus")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig

