"""Figures of the low-rank-bias study (:mod:`jdl.studies.low_rank_bias.deep_nets`, ``experiments.low_rank_bias``)."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl.plotting import curves, finish

__all__ = ["init_effective_rank", "init_spectra", "trained_vs_rank", "trained_spectra"]

LABELS = {"relu": "ReLU MLP, Gram of embeddings", "linear": "linear MLP, Gram of embeddings",
          "map": "linear MLP, end-to-end map"}


def init_effective_rank(init: dict, title: str) -> Figure:
    """Effective rank and spectral entropy against depth (``init[net][key]`` of shape ``(seeds, depths)``)."""
    depths = init["depths"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, ylabel in ((axes[0], "erank", r"effective rank $\exp H$"),
                            (axes[1], "entropy", r"spectral entropy $H$ (Huh et al.)")):
        curves(ax, depths, {LABELS[k]: init[k][key] for k in ("map", "linear", "relu")}, logx=True,
               logy=key == "erank")
        ax.set_xlabel("depth")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    return finish(fig, title)


def init_spectra(res: dict, show_depths: Sequence[int]) -> Figure:
    """Normalised singular values of seed 0 at the chosen depths (``res[f"{net}_sigma"]``: ``(S, D, k)``)."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(show_depths)))
    for ax, net in zip(axes, ("map", "linear", "relu")):
        s = res[f"{net}_sigma"][0]  # seed 0, (D, k)
        for D, col in zip(show_depths, colors):
            ax.semilogy(np.arange(1, s.shape[1] + 1), s[D - 1] / s[D - 1].sum(), color=col, label=f"depth {D}")
        ax.set_title(LABELS[net], fontsize=10)
        ax.set_xlabel("index i")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(r"$p_i = \sigma_i / \sum_j \sigma_j$")
    axes[0].set_ylim(1e-8, 1.5)
    axes[0].legend(fontsize=8)
    fig.suptitle("Normalised singular-value spectra at initialisation (seed 0)")
    fig.tight_layout()
    return fig


def trained_vs_rank(ranks: Sequence[int], depths: Sequence[int], tr: dict, title: str) -> Figure:
    """Final train/test MSE and effective rank against the target rank (``tr[key]``: ``(S, depths, ranks)``)."""
    ranks = np.asarray(ranks)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, key, ylabel, logy in ((axes[0], "train_loss", "final train MSE", True),
                                  (axes[1], "test_loss", "test MSE (1 = predicting 0)", True),
                                  (axes[2], "erank", r"effective rank $\exp H$ of $W_L\cdots W_1$", False)):
        curves(ax, ranks, {f"depth {D}": tr[key][:, i] for i, D in enumerate(depths)}, logx=True,
               logy=logy, marker="o", ms=3)
        if key == "erank":
            ax.plot(ranks, ranks, "k--", lw=1, label="target rank")
        ax.set_xlabel("rank of the target W")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    return finish(fig, title)


def trained_spectra(ranks: Sequence[int], depths: Sequence[int], res: dict, best, eval_every: int) -> Figure:
    """Learned spectra (seed 0) and training curves at the best lr, for the lowest and highest target rank.

    ``res["sigma"]``: ``(S, depths, ranks, lrs, k)``; ``res["train_curve"]``: ``(S, depths, ranks, lrs, T)``;
    ``best``: ``(depths, ranks)`` index of the selected learning rate.
    """
    ranks = np.asarray(ranks)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(depths)))
    steps = np.arange(res["train_curve"].shape[-1]) * eval_every
    for col, j in enumerate((0, len(ranks) - 1)):
        for i, (D, color) in enumerate(zip(depths, colors)):
            s = res["sigma"][0, i, j, best[i, j]]
            axes[0, col].semilogy(np.arange(1, len(s) + 1), s, "o-", ms=2, color=color, label=f"depth {D}")
            curves(axes[1, col], steps, {f"depth {D}": res["train_curve"][:, i, j, best[i, j]]}, logy=True,
                   color=color)
        axes[0, col].set_title(f"learned map, target rank {ranks[j]} (seed 0)")
        axes[0, col].set_xlabel("index i")
        axes[0, col].set_ylabel(r"singular value $\sigma_i$")
        axes[1, col].set_title(f"training MSE, target rank {ranks[j]}")
        axes[1, col].set_xlabel("step")
        for ax in axes[:, col]:
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
