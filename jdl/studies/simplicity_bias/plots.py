"""Figures of the Boolean simplicity-bias study: rank-frequency, probability against complexity."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl.plotting import finish

__all__ = ["rank_frequency", "probability_vs", "distribution"]


def rank_frequency(P_D: np.ndarray, *, zipf: Mapping | None = None, title: str = "") -> Figure:
    """Log-log probability against rank (most frequent first), the Zipf line ``P_1 / rank`` and a fit
    ``P = 10^intercept rank^-exponent`` (``zipf`` from :func:`jdl.studies.simplicity_bias.frequencies.zipf_fit`)."""
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
