"""Figures of the spline-regime study (:mod:`jdl.studies.spline_regimes.splines`, ``experiments.spline_regimes``)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["fits", "heatmaps", "knots", "per_target"]


def per_target(k, t: int) -> int:
    """A panel's alpha or lambda index: shared by every target or one per target."""
    return int(k[t]) if np.ndim(k) else int(k)


def fits(x, ys, refs, fit_stAL, si_AL, panels, alphas, lambdas, unconverged_tAL=None):
    """Trained fits (one line per seed) over the linear interpolant and the natural cubic spline.

    Args:
      x: ``(m,)`` training inputs; ``ys``: ``{target name: (m,) values}``.
      refs: ``{target name: (linear, cubic)}`` reference curves on ``fit_stAL``'s grid over [-1, 1].
      fit_stAL: ``(seeds, targets, alphas, lambdas, grid)`` trained outputs.
      si_AL: ``(targets, alphas, lambdas)`` spline index; ``panels``: ``(key, label, i_alpha, k_lambda)``,
        each index shared or one per target; ``unconverged_tAL``: cells whose titles say "not converged".
    """
    xs = np.linspace(-1, 1, fit_stAL.shape[-1])
    fig, axes = plt.subplots(len(ys), len(panels), figsize=(4.2 * len(panels), 3.2 * len(ys)), squeeze=False)
    for t, (name, y) in enumerate(ys.items()):
        lin, cub = refs[name]
        for j, (_, label, i, k) in enumerate(panels):
            ax, i, k = axes[t, j], per_target(i, t), per_target(k, t)
            ax.plot(xs, lin, "k--", lw=1, label="linear interpolant")
            ax.plot(xs, cub, "b:", lw=1.5, label="natural cubic spline")
            for s in range(fit_stAL.shape[0]):
                ax.plot(xs, fit_stAL[s, t, i, k], "r", lw=1, alpha=0.6, label="trained net" if s == 0 else None)
            ax.plot(x, y, "ko", ms=4)
            flag = ", NOT converged" if unconverged_tAL is not None and unconverged_tAL[t, i, k] else ""
            ax.set_title(f"{name}: {label}\n$\\alpha$={alphas[i]:g}, $\\lambda$={lambdas[k]:g}, "
                         f"spline index {si_AL[t, i, k]:.2f}{flag}", fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def heatmaps(names, rows, alphas, lambdas):
    """One row per ``(label, v_tAL, vmin, vmax, cmap, mark_tAL)`` of (alpha x lambda) heatmaps per target."""
    fig, axes = plt.subplots(len(rows), len(names), figsize=(4.2 * len(names), 3.0 * len(rows)), squeeze=False)
    for r, (label, v_tAL, vmin, vmax, cmap, mark) in enumerate(rows):
        for t, name in enumerate(names):
            ax = axes[r, t]
            im = ax.imshow(v_tAL[t], origin="lower", aspect="auto", vmin=vmin, vmax=vmax, cmap=cmap)
            for i, k in zip(*np.nonzero(mark[t])):
                ax.text(k, i, "x", ha="center", va="center", color="k", fontsize=8)
            ax.set_xticks(range(len(lambdas)), [f"{v:g}" for v in lambdas], fontsize=7, rotation=45)
            ax.set_yticks(range(len(alphas)), [f"{v:g}" for v in alphas], fontsize=7)
            ax.set_xlabel(r"$\lambda = \sigma_c / \sigma_{ab}$")
            ax.set_ylabel(r"$\alpha$")
            ax.set_title(f"{name}: {label}", fontsize=9)
            fig.colorbar(im, ax=ax)
    fig.suptitle("x: not converged (median train MSE > mse_tol) or every seed diverged", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return fig


def knots(x, names, params0, params, panels, alphas, lambdas, unconverged_tAL=None):
    """Where the units' knots ``-b/a`` sit before and after training, weighted by final slope mass.

    ``panels`` and ``unconverged_tAL`` as in :func:`fits`.
    """
    fig, axes = plt.subplots(len(names), len(panels), figsize=(4.2 * len(panels), 2.8 * len(names)),
                                      squeeze=False)
    bins = np.linspace(-1.2, 1.2, 121)
    for t, name in enumerate(names):
        for j, (key, _, i, k) in enumerate(panels):
            ax, i, k = axes[t, j], per_target(i, t), per_target(k, t)
            # each unit weighted by its *final* slope mass in both: the units that shape the fit, before and after
            w = np.abs(params["c"][:, t, i, k] * params["a"][:, t, i, k]).reshape(-1)
            for p, tag, col in ((params0, "before", "0.6"), (params, "after", "C3")):
                with np.errstate(divide="ignore", invalid="ignore"):
                    e = (-p["b"][:, t, i, k] / p["a"][:, t, i, k]).reshape(-1)
                ok = np.isfinite(e) & np.isfinite(w)
                ax.hist(e[ok], bins=bins, weights=w[ok] / max(w[ok].sum(), 1e-30), histtype="step", color=col,
                        lw=1.5, label=f"{tag} training")
            for xx in x:
                ax.axvline(xx, color="k", lw=0.4, alpha=0.5)
            flag = ", NOT converged" if unconverged_tAL is not None and unconverged_tAL[t, i, k] else ""
            ax.set_title(f"{name}: {key} ($\\alpha$={alphas[i]:g}, $\\lambda$={lambdas[k]:g}){flag}", fontsize=9)
            ax.set_xlabel("knot $e_i = -b_i / a_i$")
            ax.set_ylabel(r"share of final $\sum|c_i a_i|$")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig
