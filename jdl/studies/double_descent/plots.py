"""Figures of the double-descent study: curves against the size ratio, training curves, the gradient check."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl.plotting import curves, finish

__all__ = ["double_descent", "gradient_check", "nearest_sizes", "top_limit", "training_curves"]


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


def top_limit(values, factor: float = 10.0) -> tuple[None, float | None]:
    """``(None, factor * max)`` over the finite values: y-limits that keep a diverged spike from flattening a panel.

    >>> top_limit(np.array([1.0, np.inf, 2.0])), top_limit(np.array([np.nan]))
    ((None, 20.0), (None, None))
    """
    v = np.asarray(values)
    return None, (factor * float(np.max(v[np.isfinite(v)])) if np.isfinite(v).any() else None)


def nearest_sizes(sizes, wanted: Sequence[int]) -> list[int]:
    """Sorted distinct indices of the sizes nearest each ``wanted`` size that does not exceed the largest.

    >>> nearest_sizes([5, 50, 449, 1000], (45, 449, 2000))
    [1, 2]
    """
    sizes = np.asarray(sizes)
    return sorted({int(np.argmin(np.abs(sizes - N))) for N in wanted if N <= sizes.max()})


def gradient_check(grad_autodiff: np.ndarray, grad: np.ndarray, n_features: int, rel_err: float) -> Figure:
    """The analytic gradient against ``jax.grad``, one point per coordinate."""
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(grad_autodiff, grad, s=6)
    ax.set_xlabel("jax.grad")
    ax.set_ylabel(r"analytic $\frac{2}{n}\Phi^\top(\Phi a - y)$")
    ax.set_title(f"gradient, N={n_features}: rel. err {rel_err:.1e}")
    fig.tight_layout()
    return fig
