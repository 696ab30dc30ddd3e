"""Figures for udlbook Convolution I and Coursework IV: arrays in, ``Figure`` out.

Convolution: one convolution's inputs, kernels and outputs laid out as its wiring (row ``o`` holds
the kernels that make output channel ``o``), and a filter bank applied to one image. Geometry: the
ratio of the largest to the smallest pairwise distance against dimension (seed median and
interquartile band), the two distances relative to ``sqrt(2 d)``, the volume of the ball against
dimension (linear for small ``d``, log10 up to any ``d``) and the fraction of the volume in its outer
shell. No computation beyond picking what to draw.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from jdl.plotting import curves, finish

__all__ = ["conv_wiring", "filter_bank", "distances", "volumes"]


def _show(fig, ax, a_hw, title, *, cmap="RdBu_r", lim=None, colorbar=False):
    if lim is None:
        lim = float(np.max(np.abs(a_hw))) or 1.0
    diverging = cmap == "RdBu_r"  # symmetric around 0; other maps use the data's range
    im = ax.imshow(a_hw, cmap=cmap, vmin=-lim if diverging else None, vmax=lim if diverging else None,
                   interpolation="nearest")
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    if colorbar:
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return im


def conv_wiring(image_chw: np.ndarray, weights_oihw: np.ndarray, out_ohw: np.ndarray, *, title: str = "") -> Figure:
    """One image's convolution: input channels on top; row ``o``: the kernels ``w[o, c]`` and output channel ``o``.

    Args:
      image_chw: ``(C_in, H, W)`` the (unpadded) input image.
      weights_oihw: ``(C_out, C_in, kH, kW)`` kernels.
      out_ohw: ``(C_out, H_out, W_out)`` the convolution's output.
      title: figure title.

    Colours are diverging around 0, one scale per kind (inputs, kernels, outputs).
    """
    c_out, c_in = weights_oihw.shape[:2]
    fig, axes = plt.subplots(1 + c_out, c_in + 1, figsize=(1.9 * (c_in + 1) + 0.6, 1.9 * (1 + c_out) + 0.5),
                             squeeze=False)
    lims = [float(np.max(np.abs(a))) or 1.0 for a in (image_chw, weights_oihw, out_ohw)]
    for c in range(c_in):
        _show(fig, axes[0, c], image_chw[c], f"input channel {c}", lim=lims[0], colorbar=c == c_in - 1)
    axes[0, c_in].set_axis_off()
    axes[0, c_in].text(0.5, 0.5, f"image {image_chw.shape[1]}x{image_chw.shape[2]}\n"
                       f"kernels {weights_oihw.shape[2]}x{weights_oihw.shape[3]}\n"
                       f"output {out_ohw.shape[1]}x{out_ohw.shape[2]}", ha="center", va="center", fontsize=9)
    for o in range(c_out):
        for c in range(c_in):
            _show(fig, axes[1 + o, c], weights_oihw[o, c], f"kernel w[{o}, {c}]", lim=lims[1],
                  colorbar=c == c_in - 1)
        _show(fig, axes[1 + o, c_in], out_ohw[o], f"output channel {o}", lim=lims[2], colorbar=True)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def filter_bank(image_hw: np.ndarray, kernels_okk: np.ndarray, outputs_ohw: np.ndarray, names: Sequence[str], *,
                title: str = "") -> Figure:
    """An image, then per kernel: the kernel (with its values) above what it makes of the image.

    Args:
      image_hw: ``(H, W)`` grey image.
      kernels_okk: ``(O, k, k)`` kernels.
      outputs_ohw: ``(O, H_out, W_out)`` one output per kernel.
      names: ``O`` kernel names.
    """
    n = len(names)
    fig, axes = plt.subplots(2, n + 1, figsize=(2.1 * (n + 1), 4.6), gridspec_kw={"height_ratios": [1, 1.25]})
    _show(fig, axes[1, 0], image_hw, "input image", cmap="gray")
    axes[0, 0].set_axis_off()
    axes[0, 0].text(0.5, 0.5, "kernels (top)\nand outputs\n(bottom)", ha="center", va="center", fontsize=9)
    for i, name in enumerate(names):
        k = np.asarray(kernels_okk[i])
        lim = float(np.max(np.abs(k))) or 1.0
        _show(fig, axes[0, i + 1], k, name, lim=lim)
        if k.shape[0] <= 5:
            for (r, c), v in np.ndenumerate(k):
                axes[0, i + 1].text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=7,
                                    color="white" if abs(v) > 0.6 * lim else "black")
        out = np.asarray(outputs_ohw[i])
        # non-negative outputs (identity, blur) as grey images, signed ones (edges) diverging around 0
        _show(fig, axes[1, i + 1], out, f"{name} output", cmap="gray" if out.min() >= 0 else "RdBu_r")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def distances(dims: np.ndarray, ratio_sd: np.ndarray, min_sd: np.ndarray, max_sd: np.ndarray, *,
              marks: Mapping[int, float] | None = None, n_points: int | None = None, title: str = "") -> Figure:
    """Distance concentration: max/min distance ratio against dimension, and both distances over ``sqrt(2 d)``.

    Args:
      dims: ``(D,)`` dimensions.
      ratio_sd, min_sd, max_sd: ``(S, D)`` per seed (drawn as median and interquartile band).
      marks: ``{d: ratio}`` single values to mark (the notebook's point sets).
      n_points: points per set (for the labels).
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    curves(ax, dims, {f"{ratio_sd.shape[0]} seeds: median and IQR": ratio_sd}, logx=True, logy=True)
    if marks:
        d, r = zip(*sorted(marks.items()))
        ax.plot(d, r, "r*", ms=11, label="the notebook's 1000 points (np.random.seed(0))")
        for di, ri in zip(d, r):
            ax.annotate(f"{ri:.3f}", (di, ri), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xlabel("dimension d")
    ax.set_ylabel("largest / smallest pairwise distance")
    ax.set_title(f"{n_points or ''} Gaussian points: distances concentrate".strip(), fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax = axes[1]
    scale = np.sqrt(2.0 * dims)
    curves(ax, dims, {"largest distance / $\\sqrt{2d}$": max_sd / scale,
                      "smallest distance / $\\sqrt{2d}$": min_sd / scale}, logx=True)
    ax.axhline(1.0, color="k", lw=0.8, ls=":", label="typical distance $\\sqrt{2d}$")
    ax.set_xlabel("dimension d")
    ax.set_ylabel("distance / $\\sqrt{2d}$")
    ax.set_title("both extremes approach the typical distance", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return finish(fig, title)


def volumes(dims: np.ndarray, log10_volume: Mapping[str, np.ndarray], shell_fraction: Mapping[str, np.ndarray], *,
            small_dims: int = 20, marks: Mapping[str, Mapping[int, float]] | None = None, title: str = "") -> Figure:
    """Ball volume against dimension (linear for ``d <= small_dims``, log10 for all) and the outer-shell fraction.

    Args:
      dims: ``(D,)`` dimensions ``1..D``.
      log10_volume: ``{label: (D,) log10 volume}``.
      shell_fraction: ``{label: (D,) fraction of the volume in the outer shell}``.
      small_dims: dimensions shown on the linear panel.
      marks: ``{"volume" | "shell": {d: value}}`` the notebook's printed values, marked.
    """
    marks = marks or {}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    small = dims <= small_dims
    for label, lv in log10_volume.items():
        axes[0].plot(dims[small], 10.0 ** lv[small], "o-", ms=3, label=label)
        axes[1].plot(dims, lv, label=label)
    axes[0].axhline(1.0, color="k", lw=0.8, ls=":", label="unit cube")
    if marks.get("volume"):
        d, v = zip(*sorted(marks["volume"].items()))
        axes[0].plot(d, v, "r*", ms=9, label="notebook's printed dims")
    axes[0].set(xlabel="dimension d", ylabel="volume", title="volume of the ball (small d)")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].axhline(0.0, color="k", lw=0.8, ls=":")
    axes[1].set(xlabel="dimension d", ylabel="log10 volume", title="volume of the ball, log10 (gammaln)")
    for label, f in shell_fraction.items():
        axes[2].plot(dims, f, label=label)
    if marks.get("shell"):
        d, v = zip(*sorted(marks["shell"].items()))
        axes[2].plot(d, v, "r*", ms=9, label="notebook's printed dims")
    axes[2].axhline(0.5, color="k", lw=0.8, ls=":")
    axes[2].set(xlabel="dimension d", ylabel="fraction of the volume", ylim=(0, 1.02),
                title="volume in the outer shell (share of the radius)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.title.set_fontsize(10)
    return finish(fig, title)
