"""Figures of the double-descent study: test/train curves against the size ratio, training curves."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl.plotting import curves, finish

__all__ = ["double_descent", "training_curves"]


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
