"""Figures for the udlbook notebook families Shallow, Deep, Deep2 and Loss I-III: arrays in, ``Figure`` out.

The notebooks' own plots, redrawn: a shallow net's stages (Fig. 3.3), families of 1-D functions (composed
nets, parameter variants) with their piece counts, 2-D maps (the two-input net, piece counts over a
parameter grid, NLL surfaces), model fits with their data, and likelihood / NLL curves over a grid
with the best value marked. No computation beyond picking what to draw.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jdl.plotting import finish, grid

__all__ = ["shallow_trace", "function_panels", "maps", "loss_study"]

_UNIT_COLORS = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple")
_CLASS_COLORS = ("tab:red", "tab:green", "tab:blue", "tab:orange", "tab:purple")


def shallow_trace(x: np.ndarray, pre_nH: np.ndarray, act_nH: np.ndarray, w_act_nH: np.ndarray, y_n: np.ndarray, *,
                  x_data=None, y_data=None, xlim=(0.0, 1.0), ylim=(-1.0, 1.0), title: str = "") -> Figure:
    """The book's Fig. 3.3: per hidden unit its pre-activation, activation and weighted activation, then the output.

    Args:
      x: ``(n,)`` inputs; ``pre_nH``, ``act_nH``, ``w_act_nH``: ``(n, H)`` stages (``jdl.studies.udlbook.networks.Trace``);
      y_n: ``(n,)`` output; ``x_data``, ``y_data``: training points drawn on the output panel.

    >>> x = np.linspace(0, 1, 5)
    >>> len(shallow_trace(x, np.zeros((5, 2)), np.zeros((5, 2)), np.zeros((5, 2)), x).axes)  # 3 x 2 stages + output
    7
    >>> plt.close("all")
    """
    H = pre_nH.shape[1]
    fig = plt.figure(figsize=(3.0 * H + 4.2, 7.6))
    gs = fig.add_gridspec(3, H + 1, width_ratios=[1] * H + [1.6])
    rows = (("pre-activation", pre_nH), ("activation", act_nH), ("weighted activation", w_act_nH))
    first = None
    for r, (name, v) in enumerate(rows):
        for h in range(H):
            ax = fig.add_subplot(gs[r, h], sharex=first, sharey=first)
            first = first or ax
            ax.plot(x, v[:, h], color=_UNIT_COLORS[h % len(_UNIT_COLORS)])
            ax.axhline(0, color="gray", lw=0.5)
            ax.set(xlim=xlim, ylim=ylim)
            ax.set_title(f"unit {h + 1}: {name}", fontsize=8)
            if r == 2:
                ax.set_xlabel("input $x$")
            ax.tick_params(labelbottom=r == 2, labelleft=h == 0)
    ax = fig.add_subplot(gs[:, H])
    ax.plot(x, y_n, "k-", label="output $y$")
    if x_data is not None:
        ax.plot(x_data, y_data, "mo", ms=4, label="training data")
    ax.set(xlim=xlim, ylim=ylim, xlabel="input $x$", ylabel="output $y$")
    ax.legend(fontsize=8)
    ax.set_title("network output", fontsize=9)
    return finish(fig, title)


def function_panels(x: np.ndarray, panels: Mapping[str, np.ndarray], *, reference: np.ndarray | None = None,
                    reference_label: str = "original", ncols: int = 4, xlim=None, ylim=None,
                    xlabel: str = "input $x$", ylabel: str = "output $y$", title: str = "") -> Figure:
    """One panel per 1-D function ``{panel title: (n,) values}``, each over a dashed ``reference`` curve.

    Panels share their axes (labels on the outer ones only).

    >>> fig = function_panels(np.linspace(0, 1, 5), {"a": np.zeros(5), "b": np.ones(5)}, reference=np.ones(5))
    >>> [ax.get_title() for ax in fig.axes]
    ['a', 'b']
    >>> plt.close(fig)
    """
    fig, axes = grid(len(panels), ncols, share=True)
    ncols = max(1, min(ncols, len(panels)))
    for i, (ax, (name, y)) in enumerate(zip(axes, panels.items())):
        if reference is not None:
            ax.plot(x, reference, "--", color="gray", lw=1, label=reference_label)
        ax.plot(x, y, "-", lw=1.4, label="this network")
        ax.set(xlim=xlim, ylim=ylim)
        if i % ncols == 0:
            ax.set_ylabel(ylabel)
        if i + ncols >= len(panels):
            ax.set_xlabel(xlabel)
            ax.tick_params(labelbottom=True)
        ax.set_title(name, fontsize=8)
        ax.grid(alpha=0.3)
    if reference is not None:
        axes[0].legend(fontsize=7)
    return finish(fig, title)


def maps(panels: Sequence[Mapping], *, ncols: int = 3, title: str = "") -> Figure:
    """2-D maps, one per panel dict.

    Panel keys: ``x`` ``(A,)``, ``y`` ``(B,)``, ``z`` ``(B, A)`` (rows follow ``y``), ``xlabel``, ``ylabel``,
    ``title``; optional ``cbar`` (label), ``best`` (an ``(x, y)`` point marked with a star), ``points``
    (``{label: ((k,) x, (k,) y)}`` drawn as lines with markers), ``discrete`` (integer values: one colour
    per value; else filled contours with ``levels`` colours, default 32), ``contours`` (number of contour
    lines, default 12; 0 for none), ``log`` (colour by log10).

    >>> a, b = np.linspace(0, 1, 4), np.linspace(0, 2, 3)
    >>> fig = maps([{"x": a, "y": b, "z": np.add.outer(b, a), "xlabel": "a", "ylabel": "b", "title": "a + b",
    ...              "best": (0.0, 0.0)}])
    >>> fig.axes[0].get_title()  # the panel, then its colour bar
    'a + b'
    >>> plt.close(fig)
    """
    fig, axes = grid(len(panels), ncols, size=(4.6, 3.8))
    for ax, p in zip(axes, panels):
        z = np.asarray(p["z"], float)
        if p.get("log"):
            z = np.log10(np.maximum(z, np.finfo(float).tiny))
        if p.get("discrete"):
            vals = np.unique(z[np.isfinite(z)])
            cmap = plt.get_cmap("viridis", len(vals))
            im = ax.pcolormesh(p["x"], p["y"], z, cmap=cmap, vmin=vals.min() - 0.5, vmax=vals.max() + 0.5,
                               shading="nearest")
            cb = fig.colorbar(im, ax=ax, ticks=vals)
        else:  # filled contours: readable, and small PNGs
            im = ax.contourf(p["x"], p["y"], z, levels=p.get("levels", 32), cmap="viridis")
            cb = fig.colorbar(im, ax=ax)
            if p.get("contours", 12):
                ax.contour(p["x"], p["y"], z, levels=p.get("contours", 12), colors="w", linewidths=0.5, alpha=0.7)
        cb.set_label(p.get("cbar", ""), fontsize=8)
        for label, (px, py) in p.get("points", {}).items():
            ax.plot(px, py, "o-", color="tab:orange", mec="w", ms=5, lw=1.5, label=label)
        if p.get("best") is not None:
            ax.plot(*p["best"], "r*", ms=12, label="grid minimum")
        if p.get("points") or p.get("best") is not None:
            ax.legend(fontsize=7, loc="best")
        ax.set(xlabel=p["xlabel"], ylabel=p["ylabel"])
        ax.set_title(p["title"], fontsize=9)
    return finish(fig, title)


def _fit_panels(subfig, kind: str, x_model, fits: Mapping[str, tuple], x_data, y_data):
    per = 1 if kind == "gaussian" else 2
    axes = subfig.subplots(1, per * len(fits), squeeze=False)[0]
    for i, (name, (out, second)) in enumerate(fits.items()):
        if kind == "gaussian":  # out: (n,) mean; second: sigma
            ax = axes[i]
            ax.fill_between(x_model, out - 2 * second, out + 2 * second, color="lightgray", label=r"$\pm 2\sigma$")
            ax.plot(x_model, out, label="mean")
            ax.plot(x_data, y_data, "ko", ms=3, label="data")
            ax.set(xlim=(0, 1), ylim=(-1.5, 1.0), xlabel="input $x$", ylabel="output $y$")
            ax.set_title(name, fontsize=9)
            ax.legend(fontsize=7)
            continue
        a_out, a_prob = axes[per * i], axes[per * i + 1]  # out: (n, K) model outputs; second: (n, K) probabilities
        K = out.shape[1]
        for k in range(K):
            c = _CLASS_COLORS[k] if K > 1 else "tab:blue"
            lab = f"class {k}" if K > 1 else None
            a_out.plot(x_model, out[:, k], color=c, label=lab)
            a_prob.plot(x_model, second[:, k], color=c, label=lab)
        if K == 1:
            a_prob.plot(x_data, y_data, "ko", ms=3, label="data (y = 0 / 1)")
        else:
            for k in range(K):
                sel = np.asarray(y_data) == k
                a_prob.plot(np.asarray(x_data)[sel], np.full(sel.sum(), -0.05), ".", color=_CLASS_COLORS[k], ms=8)
        a_out.set(xlim=(0, 1), ylim=(-4, 4), xlabel="input $x$", ylabel="model output (logit)")
        a_prob.set(xlim=(0, 1), ylim=(-0.1, 1.05), xlabel="input $x$",
                   ylabel=r"$\lambda$ = Pr(y = 1 | x)" if K == 1 else r"Pr(y = k | x)")
        a_out.set_title(name, fontsize=9)
        a_prob.set_title(name + ("" if K == 1 else " (dots: data classes)"), fontsize=9)
        a_prob.legend(fontsize=7)


def loss_study(kind: str, x_model: np.ndarray, fits: Mapping[str, tuple], x_data, y_data,
               scans: Sequence[tuple], *, title: str = "") -> Figure:
    """A Loss notebook on one figure: the model at chosen parameters, then the grid searches.

    Args:
      kind: ``"gaussian"`` (a fit is ``(mean (n,), sigma)``), ``"bernoulli"`` or ``"categorical"``
        (a fit is ``(outputs (n, K), probabilities (n, K))``).
      fits: ``{panel title: fit}``.
      scans: rows of ``(xlabel, values (G,), {ylabel: (G,) curve}, {ylabel: best index})``; each curve
        is one panel with its best grid point marked.

    >>> x = np.linspace(0, 1, 5)
    >>> fig = loss_study("gaussian", x, {"fit": (x, 0.1)}, x, x, [("beta", x, {"nll": x ** 2}, {"nll": 0})])
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['output $y$', 'nll']
    >>> plt.close(fig)
    """
    n_scan_cols = max(len(s[2]) for s in scans) if scans else 1
    fit_cols = len(fits) * (1 if kind == "gaussian" else 2)
    width = 3.6 * max(n_scan_cols, fit_cols)
    fig = plt.figure(figsize=(width, 3.4 * (1 + len(scans))), layout="constrained")
    subs = fig.subfigures(1 + len(scans), 1)
    subs = np.atleast_1d(subs)
    _fit_panels(subs[0], kind, x_model, fits, x_data, y_data)
    for sub, (xlabel, values, curves, best) in zip(subs[1:], scans):
        axes = sub.subplots(1, n_scan_cols, squeeze=False)[0]
        for ax, (ylabel, curve) in zip(axes, curves.items()):
            ax.plot(values, curve)
            b = best.get(ylabel)
            if b is not None:
                ax.plot(values[b], curve[b], "r*", ms=10, label=f"best: {values[b]:.3f}")
                ax.legend(fontsize=7)
            ax.set(xlabel=xlabel, ylabel=ylabel)
            ax.grid(alpha=0.3)
        for ax in axes[len(curves):]:
            ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig
