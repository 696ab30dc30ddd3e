"""Figure helpers: arrays in, matplotlib ``Figure`` out. No computation beyond summaries of seeds.

The shared helpers live here; figures specific to one study live in submodules
(``jdl.plotting.<topic>``), imported explicitly by the experiments that draw them.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["seed_band", "curves", "grid", "double_descent", "training_curves", "finish", "save"]


def seed_band(values_sk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 25/75 % quantiles over seeds (axis 0), ignoring non-finite members."""
    v = np.where(np.isfinite(values_sk), values_sk, np.nan)
    with warnings.catch_warnings():  # all-NaN columns (every seed diverged) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(v, 0), np.nanquantile(v, 0.25, 0), np.nanquantile(v, 0.75, 0)


def curves(ax, x: np.ndarray, ys: Mapping[str, np.ndarray], *, logx=False, logy=False, band=True, **kw):
    """Plot each ``(seeds, points)`` array in ``ys`` as its seed median with an interquartile band."""
    for label, y in ys.items():
        y = np.asarray(y)
        if y.ndim == 1:
            y = y[None]
        mid, lo, hi = seed_band(y)
        (line,) = ax.plot(x, mid, label=label, **kw)
        if band and y.shape[0] > 1:
            ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    return ax


def grid(n: int, ncols: int, size=(3.2, 2.9), share: bool = False):
    """A figure with ``n`` visible axes on a ``ceil(n / ncols) x ncols`` grid: ``(fig, [ax, ...])``.

    >>> fig, axes = grid(5, 3)
    >>> len(axes), sum(ax.get_visible() for ax in fig.axes)
    (5, 5)
    >>> plt.close(fig)
    """
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False,
                             sharex=share, sharey=share)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)[:n]


def double_descent(ratio: np.ndarray, panels: Sequence[tuple[str, Mapping[str, np.ndarray], bool]], *,
                   threshold: float = 1.0, title: str = "", xlabel: str = r"parameters / training points  $2N/n$",
                   ncols: int | None = None) -> Figure:
    """Model-wise curves against ``2N/n`` with the interpolation threshold marked.

    Args:
      ratio: ``(K,)`` x values (``2N/n``).
      panels: ``(ylabel, {label: (S, K) values}, logy)`` per panel; an optional fourth entry
        ``(ymin, ymax)`` clips the y axis (e.g. to keep a reference spike from flattening the rest).
      threshold: where to draw the dashed interpolation line.
    """
    ncols = ncols or len(panels)
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.8 * nrows), squeeze=False)
    for ax, (ylabel, ys, logy, *ylim) in zip(axes.flat, panels):
        curves(ax, ratio, ys, logx=True, logy=logy)
        if ylim:
            ax.set_ylim(*ylim[0])
        ax.axvline(threshold, color="k", ls="--", lw=1, label="interpolation threshold $2N = n$")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    return finish(fig, title)


def training_curves(epochs: np.ndarray, train_skE: np.ndarray, test_skE: np.ndarray, labels: Sequence[str], *,
                    ylabel="MSE", title="", logy=True, logx=False) -> Figure:
    """Train (dashed) and test (solid) curves over epochs, one colour per model size.

    Args:
      epochs: ``(E,)``.
      train_skE, test_skE: ``(seeds, sizes, E)``.
      labels: one label per size.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(labels)))
    for i, (label, c) in enumerate(zip(labels, colors)):
        curves(ax, epochs, {f"{label} test": test_skE[:, i]}, color=c)
        curves(ax, epochs, {f"{label} train": train_skE[:, i]}, color=c, ls="--", band=False)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def finish(fig: Figure, title: str = "", ax=None) -> Figure:
    """Title (on ``ax`` if given, else the whole figure), tight layout; returns ``fig``."""
    if title:
        if ax is not None:
            ax.set_title(title, fontsize=10)
        else:
            fig.suptitle(title)
    fig.tight_layout()
    return fig


def save(fig: Figure, path, dpi: int = 120) -> None:
    """Save as PNG and close (figures pile up in long sweeps otherwise)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def rank_frequency(P_D: np.ndarray, *, zipf: Mapping | None = None, title: str = "") -> Figure:
    """Log-log probability against rank (most frequent first), the Zipf line ``P_1 / rank`` and a fit
    ``P = 10^intercept rank^-exponent`` (``zipf`` from :func:`jdl.boolean_stats.zipf_fit`)."""
    rank = np.arange(1, len(P_D) + 1)
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    ax.loglog(rank, P_D, ".", ms=3, label="sampled functions")
    ax.loglog(rank, P_D[0] / rank, "k--", lw=1, label=r"Zipf $P \propto 1/\mathrm{rank}$")
    if zipf and zipf.get("exponent") is not None:
        r = rank[:zipf["n_ranks"]]
        ax.loglog(r, 10 ** zipf["intercept"] * r ** -zipf["exponent"], "r-", lw=1.5,
                  label=f"fit (count $\\geq$ {zipf['min_count']}): exponent {zipf['exponent']:.2f}")
    ax.set_xlabel("rank")
    ax.set_ylabel("probability P(f)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def probability_vs(panels: Sequence[tuple[np.ndarray, str]], P_D: np.ndarray, *, bound: tuple[float, float] | None = None,
                   title: str = "") -> Figure:
    """Scatter of ``log P`` against one or more per-function measures (one panel each).

    ``bound`` = ``(a, b)`` draws ``P = 2^(-a x + b)`` on the first panel (simplicity-bias bound).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4), squeeze=False)
    for ax, (x, label) in zip(axes[0], panels):
        ax.semilogy(x, P_D, ".", ms=3, alpha=0.5)
        ax.set_xlabel(label)
        ax.set_ylabel("probability P(f)")
    if bound is not None and bound[0] is not None:
        x = np.linspace(np.min(panels[0][0]), np.max(panels[0][0]), 50)
        axes[0, 0].semilogy(x, 2.0 ** (-bound[0] * x + bound[1]), "k--", lw=1,
                            label=rf"bound $2^{{-{bound[0]:.2f}K{bound[1]:+.1f}}}$")
        axes[0, 0].legend()
    return finish(fig, title)


def distribution(p_k: np.ndarray, xlabel: str, ylabel: str, *, reference: tuple[float, str] | None = None,
                 title: str = "") -> Figure:
    """Bar chart of a distribution over ``k = 0, 1, ...`` with an optional horizontal reference line."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.bar(np.arange(len(p_k)), p_k, width=1.0)
    if reference is not None:
        ax.axhline(reference[0], color="k", ls="--", lw=1, label=reference[1])
        ax.legend()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig
