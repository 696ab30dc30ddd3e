"""Figures of the linear-region study (:mod:`jdl.analysis.pieces`, ``experiments.linear_regions``)."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl.plotting import curves, grid

__all__ = ["sawtooth_outputs", "variant_examples", "pieces_vs_depth", "random_nets"]

# the udlbook compositions are drawn by jdl.studies.udlbook.plots_networks.composition


def sawtooth_outputs(nets: Sequence[tuple[int, np.ndarray, np.ndarray, int]]) -> Figure:
    """One panel per ``(depth L, x, f(x), pieces)``."""
    fig, axes = grid(len(nets), len(nets), size=(3.3, 2.7))
    for ax, (L, x, y, pieces) in zip(axes, nets):
        ax.plot(x, y, lw=1)
        ax.set_title(f"sawtooth L={L}: {pieces} pieces")
        ax.set_xlabel("x")
    fig.tight_layout()
    return fig


def variant_examples(examples: Sequence[tuple[str, Sequence[tuple[np.ndarray, np.ndarray]], list]]) -> Figure:
    """One panel per ``(title, [(x, f(x)) per example net], [pieces per net])``."""
    fig, axes = grid(len(examples), 4, size=(3.3, 2.7))
    for ax, (title, lines, counts) in zip(axes, examples):
        for x, y in lines:
            ax.plot(x, y, lw=1)
        ax.set_title(f"{title}\npieces {counts}", fontsize=8)
    fig.tight_layout()
    return fig


def pieces_vs_depth(depths, pieces, var_depths, var_pieces: Mapping[str, np.ndarray], title: str) -> Figure:
    """Exact sawtooth counts against ``2^L`` and each variant's ``(seeds, depths)`` counts (median, IQR)."""
    fig, ax = plt.subplots(figsize=(7, 4.8))
    d = np.asarray(depths)
    ax.plot(d, 2.0 ** d, "k--", lw=1, label="$2^L$")
    ax.plot(d, pieces, "ko", ms=4, label="sawtooth (exact)")
    curves(ax, np.asarray(var_depths), var_pieces, logy=True, marker=".")
    ax.set_xlabel("depth L (hidden layers of 2 ReLUs)")
    ax.set_ylabel("linear pieces on [-2, 2] (median, IQR)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def random_nets(rnd: Mapping, interval: float, init: str) -> Figure:
    """Pieces of random nets against neurons (linear) and against depth (no exponential growth)."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    N = rnd["neurons"]
    for i, dep in enumerate(rnd["depths"]):
        a1.errorbar(N[i], rnd["median_pieces"][i], [rnd["median_pieces"][i] - rnd["q25_pieces"][i],
                    rnd["q75_pieces"][i] - rnd["median_pieces"][i]], marker="o", ms=3, capsize=2, label=f"depth {dep}")
    n = np.linspace(0, N.max(), 10)
    a1.plot(n, rnd["pieces_per_neuron"] * n, "k--", lw=1, label=f"{rnd['pieces_per_neuron']:.2f} x N")
    a1.set_xlabel("neurons N = depth x width")
    a1.set_ylabel(f"pieces on [-{interval:g}, {interval:g}]")
    a1.set_title(f"random nets at init ({init}): pieces ~ N")
    for j, w in enumerate(rnd["widths"]):
        a2.plot(rnd["depths"], rnd["median_pieces"][:, j], "o-", ms=3, label=f"width {w}")
    a2.set_yscale("log")
    a2.set_xlabel("depth")
    a2.set_ylabel("pieces (median)")
    a2.set_title("no exponential growth with depth")
    for ax in (a1, a2):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
