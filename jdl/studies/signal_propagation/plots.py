"""Figures of the signal-propagation study (:mod:`jdl.studies.signal_propagation.propagation`, ``experiments.signal_propagation``)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from jdl.plotting import curves, finish

__all__ = ["sigma_axis", "heatmap", "variance_lines", "growth_rates"]


def sigma_axis(axis, values) -> None:
    """Log axis of sigma^2 D with plain labels at the powers of two (the default minor labels collide)."""
    lo, hi = np.min(values), np.max(values)
    axis.set_major_locator(FixedLocator([2.0 ** p for p in range(-8, 9) if lo <= 2.0 ** p <= hi]))
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_locator(NullLocator())


def heatmap(sig_D, summ, act, crit) -> plt.Figure:
    """log10 variance relative to where each signal starts, over (layer, sigma^2); 2/D and 1/D marked."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    layers = np.arange(1, summ["forward_var_mean"].shape[1] + 1)
    fwd, bwd = summ["forward_var_mean"], summ["grad_f_var_mean"]
    panels = [("forward: activations $h_k$", np.log10(fwd / fwd[:, :1])),
              ("backward: $\\partial L/\\partial f_k$", np.log10(bwd / bwd[:, -1:]))]
    for ax, (title, z) in zip(axes, panels):
        lim = max(1.0, float(np.nanmax(np.abs(z))))
        im = ax.pcolormesh(layers, sig_D, z, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim), shading="nearest")
        # the reference layer is 0 by construction: leave it out of the zero contour
        cols = slice(1, None) if ax is axes[0] else slice(None, -1)
        ax.contour(layers[cols], sig_D, z[:, cols], levels=[0.0], colors="k", linewidths=0.8)
        ax.axhline(2.0, color="k", ls="--", lw=1.2, label="He $\\sigma^2 = 2/D$")
        ax.axhline(1.0, color="k", ls=":", lw=1.2, label="LeCun $\\sigma^2 = 1/D$")
        ax.set_yscale("log")
        sigma_axis(ax.yaxis, sig_D)
        ax.set_xlabel("layer k")
        ax.set_ylabel("$\\sigma^2 D$")
        ax.set_title(title, fontsize=10)
        fig.colorbar(im, ax=ax, label="log10 variance / variance where it starts")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{act}: seed-mean variance (critical $\\sigma^2 D$: forward {crit['forward']:.2f}, "
                 f"backward {crit['backward']:.2f})")
    fig.tight_layout()
    return fig


def variance_lines(layers, panels, title) -> plt.Figure:
    """Rows of (forward, backward) panels; each ``{label: (S, K) variances}`` as seed median + IQR band."""
    fig, axes = plt.subplots(len(panels), 2, figsize=(11, 3.6 * len(panels)), squeeze=False)
    for row, (name, fwd, bwd, theory) in zip(axes, panels):
        for ax, ys, what in zip(row, (fwd, bwd), ("activations $h_k$", "gradients $\\partial L/\\partial f_k$")):
            curves(ax, layers, ys, logy=True)
            for label, t in (theory if ax is row[0] else {}).items():
                ax.plot(layers, t, "k--", lw=0.8, label=label)
            ax.set_xlabel("layer k")
            ax.set_ylabel(f"variance of {what}")
            ax.set_title(name, fontsize=10)
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=7)
    return finish(fig, title)


def growth_rates(sig_D, summaries) -> plt.Figure:
    """Growth rate per layer (forward and backward) against sigma^2 D; its zero crossing is the critical sigma^2."""
    fig, ax = plt.subplots(figsize=(6.5, 4.3))
    for act, s in summaries.items():
        (line,) = ax.plot(sig_D, s["forward_rate"], "o-", ms=3, label=f"{act} forward")
        ax.plot(sig_D, s["backward_rate"], "s--", ms=3, color=line.get_color(), label=f"{act} backward")
    ax.plot(sig_D, np.log10(sig_D / 2), "k:", lw=1, label="ReLU mean field $\\log_{10}(\\sigma^2 D/2)$")
    ax.axhline(0, color="gray", lw=0.8)
    for x, ls in ((1.0, ":"), (2.0, "--")):
        ax.axvline(x, color="k", ls=ls, lw=0.8)
    ax.set_xscale("log")
    sigma_axis(ax.xaxis, sig_D)
    ax.set_xlabel("$\\sigma^2 D$  (LeCun 1, He 2)")
    ax.set_ylabel("growth rate (decades per layer)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
