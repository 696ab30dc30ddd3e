"""Figure helpers: arrays in, matplotlib ``Figure`` out. No computation beyond summaries of seeds.

The helpers shared by the studies live here (a figure two studies draw, too); figures specific to one
study live in its package (``jdl.studies.<study>.plots``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl import stats

__all__ = ["seed_band", "curves", "grid", "composition", "finish", "save"]


def seed_band(values_sk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 25/75 % quantiles over seeds (axis 0), ignoring non-finite members (:mod:`jdl.stats`).

    >>> [b.tolist() for b in seed_band(np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan], [np.inf, np.nan]]))]
    [[2.0, nan], [1.5, nan], [2.5, nan]]
    """
    lo, hi = stats.finite_quantiles(values_sk, [0.25, 0.75], 0)
    return stats.finite_median(values_sk, 0), lo, hi


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


def composition(x: np.ndarray, curves: Mapping[str, np.ndarray], pieces: Mapping[str, int], copies: Sequence[int],
                copy_pieces: Sequence[int], *, formula: tuple[np.ndarray, str] | None = None, ncols: int = 4,
                lim=(-1.0, 1.0), title: str = "") -> Figure:
    """Composed networks on ``[-1, 1]`` with their exact piece counts, then pieces against copies.

    Shared by the udlbook Deep notebook (``udl_networks``) and the linear-regions study.

    Args:
      curves: ``{name: (n,) outputs}``; ``pieces``: ``{name: count}``.
      copies, copy_pieces: number of stacked copies and the pieces of each deep net.
      formula: ``(values, label)`` drawn dashed on the last panel (e.g. ``4 * 3^N``).

    >>> x = np.linspace(-1, 1, 5)
    >>> fig = composition(x, {"net1": np.abs(x)}, {"net1": 2}, [1, 2], [12, 36])
    >>> fig.axes[0].get_title(), fig.axes[1].get_ylabel()
    ('net1: 2 pieces', 'linear pieces on [-1, 1]')
    >>> plt.close(fig)
    """
    fig, axes = grid(len(curves) + 1, ncols)
    for ax, (name, y) in zip(axes, curves.items()):
        ax.plot(x, y, lw=1.2)
        ax.set(xlim=lim, ylim=lim, aspect=1.0, xlabel="input $x$", ylabel="output")
        ax.set_title(f"{name}: {pieces[name]} pieces", fontsize=8)
        ax.grid(alpha=0.3)
    ax = axes[len(curves)]
    ax.semilogy(copies, copy_pieces, "o", label="exact count (jdl.analysis.pieces)")
    if formula is not None:
        ax.semilogy(copies, formula[0], "k--", lw=1, label=formula[1])
    ax.set(xlabel="copies N of net1", ylabel="linear pieces on [-1, 1]")
    ax.set_title("net2(net1(...net1(x)))", fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return finish(fig, title)
