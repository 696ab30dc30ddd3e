"""Figures of udlbook's Training I-III and Gradients I-II: arrays in, ``Figure`` out, no computation.

Loss surfaces with descent paths, fitted functions, the bracketing line search, loss curves,
final loss over a grid of starting points or learning rates, and gradient checks (manual vs
``jax.grad`` vs finite differences, finite-difference error against the step size).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from jdl.plotting import finish

__all__ = ["loss_surfaces", "fits", "line_search", "loss_curves", "final_loss_map", "lr_sweep",
           "gradient_table", "fd_error", "backprop_scatter"]

_PATH_STYLE = {"marker": "o", "ms": 3, "lw": 1.3}


def _surface(ax, phi0_a, phi1_b, loss_ba, *, log: bool, levels: int = 24):
    """Filled contours (flat colour bands: small PNGs) and thin contour lines, as the notebooks draw them."""
    z = np.asarray(loss_ba)
    lo, hi = max(float(np.nanmin(z)), 1e-12), float(np.nanmax(z))
    lv = np.geomspace(lo, hi, levels) if log else np.linspace(lo, hi, levels)
    im = ax.contourf(phi0_a, phi1_b, z, levels=lv, cmap="magma", norm=LogNorm(lo, hi) if log else None,
                     extend="both", antialiased=False)
    ax.contour(phi0_a, phi1_b, z, levels=lv[::2], colors="w", linewidths=0.3, alpha=0.4)
    return im


def loss_surfaces(panels: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray, Mapping[str, np.ndarray], str, str]],
                  *, log: bool = True, title: str = "") -> Figure:
    """Loss surfaces side by side, each with descent paths drawn on it.

    Args:
      panels: ``(title, phi0 (A,), phi1 (B,), loss (B, A), {label: path (T, 2)}, xlabel, ylabel)`` per panel.
      log: logarithmic colour scale.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.8), squeeze=False)
    for ax, (name, p0, p1, z, paths, xlabel, ylabel) in zip(axes[0], panels):
        im = _surface(ax, p0, p1, z, log=log)
        for label, path in paths.items():
            path = np.asarray(path)
            (line,) = ax.plot(path[:, 0], path[:, 1], label=label, **_PATH_STYLE)
            ax.plot(path[-1, 0], path[-1, 1], "*", ms=11, color=line.get_color(), mec="k")
        ax.set_xlim(p0[0], p0[-1])
        ax.set_ylim(p1[0], p1[-1])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=10)
        fig.colorbar(im, ax=ax, label="sum of squares loss", format="%.3g")
        if paths:
            ax.legend(fontsize=7, loc="upper right")
    return finish(fig, title)


def fits(panels: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray, Mapping[str, np.ndarray]]], *,
         title: str = "") -> Figure:
    """Data points and fitted functions, one panel per dataset.

    Args:
      panels: ``(title, x (n,), y (n,), x_plot (P,), {label: y_plot (P,)})``.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 4), squeeze=False)
    for ax, (name, x, y, xp, curves) in zip(axes[0], panels):
        ax.plot(x, y, "o", color="tab:blue", ms=5, label="data")
        for label, yp in curves.items():
            ax.plot(xp, yp, lw=1.5, label=label)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return finish(fig, title)


def line_search(phi_p: np.ndarray, loss_p: np.ndarray, history_i4: np.ndarray, solution: float, *,
                sweep: tuple[np.ndarray, np.ndarray] | None = None, title: str = "") -> Figure:
    """The bracketing search: the function, the bracket ``[a, d]`` of every iteration, the answer;
    optionally a second panel with the answer against the initial bracket's right end.

    Args:
      phi_p, loss_p: ``(P,)`` the 1-D function on a grid.
      history_i4: ``(I, 4)`` the ``a, b, c, d`` of the iterations that ran.
      solution: the search's answer.
      sweep: ``(max_dist (M,), answer (M,))``.
    """
    n = 2 if sweep is not None else 1
    fig, axes = plt.subplots(1, n, figsize=(5.6 * n, 4), squeeze=False)
    ax = axes[0, 0]
    ax.plot(phi_p, loss_p, "r-", lw=1.5, label=r"$L[\phi]$")
    hist = np.asarray(history_i4)
    lo, hi = np.min(loss_p), np.max(loss_p)
    for i, (a, b, c, d) in enumerate(hist):
        y = hi + (i + 1) * (hi - lo) * 0.06
        ax.plot([a, d], [y, y], "-", color="0.4", lw=1)
        ax.plot([b, c], [y, y], "|", color="b", ms=6)
    ax.axvline(solution, color="k", ls="--", lw=1, label=f"answer {solution:.3f}")
    ax.set_xlabel(r"$\phi$")
    ax.set_ylabel(r"$L[\phi]$  (bars: bracket [a, d] per iteration, ticks: b, c)")
    ax.set_title(f"bracketing line search, {len(hist)} iterations", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    if sweep is not None:
        ax2 = axes[0, 1]
        ax2.plot(sweep[0], sweep[1], "o-", ms=3)
        ax2.set_xlabel("initial bracket [0, max_dist]: max_dist")
        ax2.set_ylabel("answer")
        ax2.set_xscale("log")
        ax2.set_title("answer for other initial brackets (one vmapped call)", fontsize=10)
        ax2.grid(alpha=0.3)
    return finish(fig, title)


def loss_curves(curves: Mapping[str, np.ndarray], *, xlabel: str = "step", ylabel: str = "loss", logy: bool = True,
                reference: tuple[float, str] | None = None, title: str = "", ax=None) -> Figure:
    """Loss against step; ``(T,)`` arrays as lines, ``(S, T)`` as median with an interquartile band."""
    from jdl.plotting import curves as band_curves

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    else:
        fig = ax.figure
    for label, y in curves.items():
        y = np.asarray(y)
        band_curves(ax, np.arange(y.shape[-1]), {label: y}, logy=logy)
    if reference is not None:
        ax.axhline(reference[0], color="k", ls=":", lw=1, label=reference[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return finish(fig, title, ax)


def final_loss_map(phi0_a: np.ndarray, phi1_b: np.ndarray, finals: Mapping[str, np.ndarray], surface: tuple, *,
                   threshold: float, xlabel: str, ylabel: str, title: str = "") -> Figure:
    """Final loss of descents started at every grid point (one panel per method), over the loss surface.

    Args:
      phi0_a, phi1_b: the starting points' axes.
      finals: ``{label: (B, A) final losses}``.
      surface: ``(phi0, phi1, loss)`` of the loss surface (white contours).
      threshold: final losses below it (the global valley) are outlined in red.
    """
    ncols = min(2, len(finals))
    nrows = -(-len(finals) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols + 1, 4.0 * nrows), squeeze=False, layout="constrained")
    zs = [np.asarray(z) for z in finals.values()]
    norm = LogNorm(vmin=max(min(z.min() for z in zs), 1e-6), vmax=max(z.max() for z in zs))
    p0, p1, surf = surface
    for ax, (label, z) in zip(axes.flat, finals.items()):
        z = np.asarray(z)
        im = ax.pcolormesh(phi0_a, phi1_b, z, cmap="viridis", norm=norm, shading="nearest")
        if np.any(z < threshold) and np.any(z >= threshold):
            ax.contour(phi0_a, phi1_b, (z < threshold).astype(float), levels=[0.5], colors="r", linewidths=1.2)
        ax.contour(p0, p1, surf, levels=np.geomspace(surf.min(), surf.max(), 8), colors="w", linewidths=0.4,
                   alpha=0.5)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(f"{label}: {np.mean(z < threshold):.0%} reach loss < {threshold:g}", fontsize=9)
    for ax in list(axes.flat)[len(finals):]:
        ax.set_visible(False)
    fig.colorbar(im, ax=axes, label="final loss", shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig


def lr_sweep(panels: Sequence[tuple[str, np.ndarray, Mapping[str, np.ndarray], Mapping[str, float]]], *,
             ylabel: str = "final loss", title: str = "") -> Figure:
    """Final loss against learning rate (log-log), one panel per problem.

    Args:
      panels: ``(title, lr (L,), {label: (L,) or (S, L) values}, {label: x of a vertical mark})``.
    """
    from jdl.plotting import curves as band_curves

    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 4), squeeze=False)
    for ax, (name, lr, curves, marks) in zip(axes[0], panels):
        band_curves(ax, np.asarray(lr), {k: np.asarray(v) for k, v in curves.items()}, logx=True, logy=True,
                    marker="o", ms=3)
        for label, x in marks.items():
            ax.axvline(x, color="k", ls="--", lw=1, label=label)
        ax.set_xlabel("learning rate")
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    return finish(fig, title)


def gradient_table(names: Sequence[str], values: Mapping[str, np.ndarray], *, title: str = "") -> Figure:
    """Grouped bars of derivatives by method (e.g. manual, ``jax.grad``, finite differences, notebook)."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.0 * len(names) + 2), 4))
    width = 0.8 / max(1, len(values))
    pos = np.arange(len(names))
    for i, (label, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float)
        ax.bar(pos + (i - (len(values) - 1) / 2) * width, v, width, label=label)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(pos, names, rotation=45, ha="right")
    ax.set_ylabel("derivative")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)
    return finish(fig, title, ax)


def fd_error(eps_e: np.ndarray, errors: Mapping[str, np.ndarray], *, title: str = "") -> Figure:
    """Finite-difference relative error against step size (log-log), with slope-1 and slope-2 guides."""
    fig, ax = plt.subplots(figsize=(7, 5))
    eps = np.asarray(eps_e)
    for label, err in errors.items():
        ax.loglog(eps, np.asarray(err), "o-", ms=3, label=label)
    finite = np.concatenate([np.asarray(e)[np.isfinite(e)] for e in errors.values()])
    top = float(finite.max()) if finite.size else 1.0  # slope guides start at the largest error
    ax.loglog(eps, top * eps / eps[-1], "k:", lw=0.8, label=r"slope 1: truncation $\propto \epsilon$ (forward)")
    ax.loglog(eps, top * (eps / eps[-1]) ** 2, "k--", lw=0.8,
              label=r"slope 2: truncation $\propto \epsilon^2$ (central)")
    ax.loglog(eps, 1e-16 / eps, "k-.", lw=0.8, label=r"round-off $\approx 10^{-16}/\epsilon$ (float64)")
    if finite.size:
        ax.set_ylim(max(finite.min() / 10, 1e-18), finite.max() * 10)
    ax.set_xlabel(r"step $\epsilon$")
    ax.set_ylabel("max relative error vs jax.grad")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower center", ncol=2)
    return finish(fig, title, ax)


def backprop_scatter(reference_p: np.ndarray, others: Mapping[str, np.ndarray], *, title: str = "") -> Figure:
    """Every parameter's derivative by other methods against the manual backward pass (symlog axes)."""
    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    ref = np.asarray(reference_p)
    lim = np.max(np.abs(ref)) * 1.2 + 1e-12
    ax.plot([-lim, lim], [-lim, lim], "k-", lw=0.6, label="y = x")
    for (label, v), m in zip(others.items(), "ox+^"):
        ax.plot(ref, np.asarray(v), m, ms=5, mfc="none", label=label)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_yscale("symlog", linthresh=1.0)
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel("manual backward pass (eq. 7.13)")
    ax.set_ylabel("other method")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return finish(fig, title, ax)
