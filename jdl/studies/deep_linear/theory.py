"""Theory of deep linear network dynamics and the analysis of recorded runs (NumPy, float64).

The training is :mod:`jdl.studies.deep_linear.dynamics`, whose namespace re-exports everything here.

Theory (Saxe, McClelland & Ganguli 2014). For orthonormal inputs (``X^T X = I``: one-hot items) the
gradient of the loss with respect to ``W_tot`` is ``(2 / (P N)) (W_tot - W*)``, so gradient descent
with learning rate ``lr`` is, per epoch, the Euler step of ``tau dW1/dt = W2^T (W* - W_tot)``,
``tau dW2/dt = (W* - W_tot) W1^T`` with ``tau = P N / (2 lr)`` epochs. From small random weights each
mode of strength ``s`` (a singular value of ``W*``) grows as

    u(t) = s e^{2 s t / tau} / (e^{2 s t / tau} - 1 + s / u0),    t_half = tau / (2 s) ln(s / u0 - 1),

so ``t_half * s`` is the same for every mode up to the logarithm: larger modes are learned first,
in stages. ``u0`` is the mode's effective initial strength ``|(W1 v + W2^T u) / 2|^2`` (the growing
combination of the two layers' projections; exact for the linearised dynamics even when the layers
start unbalanced, as here). With a step as large as the tutorial's (``s / tau`` up to 0.4) the
discrete map grows a mode by ``(1 + s / tau)^2`` per epoch rather than ``e^{2 s / tau}``; the
``discrete=True`` variants use that rate ``2 ln(1 + s / tau)`` and, at the tutorial's lr 100 and
gamma 1e-12, match gradient descent to a fraction of an epoch, where the continuous-time curve is
~15 % early (:func:`mode_trajectory`). At lr 10, where the modes interact through the shared hidden
units over many more epochs, the finest modes lag it by 4-15 epochs (up to ~0.8 % at gamma 1e-12, ~1.5 %
at 1e-6).

References:
  Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear dynamics of learning in deep linear
  neural networks", ICLR 2014 (arXiv:1312.6120).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["Target", "time_constant", "mode_trajectory", "half_time", "measured_half_times", "count_stages",
           "plateau_end", "predictions_from_modes", "least_squares_modes", "balanced_rsm"]


class Target(NamedTuple):
    """SVD of the least-squares solution ``W* = U diag(s) V^T`` (JAX or NumPy arrays).

    Attributes:
      s: ``(D,)`` singular values, decreasing. U: ``(N, D)``. V: ``(D, D)``.
    """

    s: Any
    U: Any
    V: Any


def time_constant(lr, n_items: int, n_out: int):
    """``tau = P N / (2 lr)`` in epochs: GD on the mean over ``P x N`` entries is Euler on ``tau dW/dt = W* - W``.

    >>> float(time_constant(100.0, 8, 10_000))
    400.0
    """
    return n_items * n_out / (2.0 * np.asarray(lr, np.float64))


def _rate(s, tau, discrete: bool):
    s, tau = np.asarray(s, np.float64), np.asarray(tau, np.float64)
    return 2.0 * np.log1p(s / tau) if discrete else 2.0 * s / tau


def mode_trajectory(t, s, u0, tau, *, discrete: bool = False) -> np.ndarray:
    """Saxe et al.'s exact mode strength ``u(t) = s / (1 + (s / u0 - 1) e^{-2 s t / tau})`` (broadcasting).

    The same as ``s e^{2st/tau} / (e^{2st/tau} - 1 + s/u0)``, written so that large exponents do not
    overflow. ``discrete=True`` replaces the rate ``2 s / tau`` by gradient descent's per-epoch growth
    ``2 ln(1 + s / tau)`` (exact for the small-mode phase of the discrete map): at the tutorial's lr 100
    and gamma 1e-12 the half-times match gradient descent to a fraction of an epoch, but at lr 10 the
    finest modes lag by 4-15 epochs (up to ~1.5 % at gamma 1e-6; the modes interact through the hidden units).

    >>> float(mode_trajectory(0.0, 2.0, 1e-3, 10.0)), round(float(mode_trajectory(1e4, 2.0, 1e-3, 10.0)), 6)
    (0.001, 2.0)
    """
    s, u0, t = np.asarray(s, np.float64), np.asarray(u0, np.float64), np.asarray(t, np.float64)
    return s / (1.0 + (s / u0 - 1.0) * np.exp(-_rate(s, tau, discrete) * t))


def half_time(s, u0, tau, *, discrete: bool = False, frac: float = 0.5) -> np.ndarray:
    """Epochs until a mode reaches half its final strength: ``tau / (2 s) ln(s / u0 - 1)`` (or the discrete rate).

    ``frac`` other than 1/2: the time to reach ``frac * s``, ``ln((s / u0 - 1) frac / (1 - frac)) / rate``.

    >>> round(float(half_time(100.0, 1e-20, 400.0)), 2)
    101.31
    """
    s, u0 = np.asarray(s, np.float64), np.asarray(u0, np.float64)
    return np.log((s / u0 - 1.0) * frac / (1.0 - frac)) / _rate(s, tau, discrete)


def measured_half_times(values_ta: np.ndarray, s_a: np.ndarray, frac: float = 0.5) -> np.ndarray:
    """First time each column reaches ``frac * s``, linearly interpolated between epochs: ``(A,)``.

    ``values_ta`` is ``(T, A)`` (e.g. ``History.strengths``); 0 where a mode starts above the level,
    NaN where it never gets there.

    >>> measured_half_times(np.array([[0.0], [0.4], [0.8]]), np.array([1.0]))
    array([1.25])
    """
    v = np.asarray(values_ta, np.float64)
    level = frac * np.asarray(s_a, np.float64)
    out = np.full(v.shape[1], np.nan)
    for a in range(v.shape[1]):
        above = np.nonzero(v[:, a] >= level[a])[0]
        if len(above) == 0:
            continue
        i = above[0]
        out[a] = 0.0 if i == 0 else i - 1 + (level[a] - v[i - 1, a]) / (v[i, a] - v[i - 1, a])
    return out


def count_stages(loss_t: np.ndarray, rel_prominence: float = 0.05) -> int:
    """Number of stages of a loss curve: peaks of the per-epoch drop ``loss[t] - loss[t+1]``.

    A peak counts when its topographic prominence (as ``scipy.signal.peak_prominences``) exceeds
    ``rel_prominence`` times the largest drop; a curve that drops fastest at ``t = 0`` and then ever
    slower (large initialisation) has one stage. 0 for a non-finite curve or one that never drops.

    >>> t = np.arange(300.0)
    >>> two = 1.0 - 0.5 / (1 + np.exp(-(t - 80) / 4)) - 0.5 / (1 + np.exp(-(t - 200) / 8))
    >>> count_stages(two), count_stages(np.exp(-t / 20))
    (2, 1)
    """
    loss = np.asarray(loss_t, np.float64)
    if not np.all(np.isfinite(loss)) or len(loss) < 2:
        return 0
    drop = -np.diff(loss)
    top = drop.max()
    if top <= 0:
        return 0
    x = np.concatenate([[-np.inf], drop, [-np.inf]])
    inner = x[1:-1]
    # plateaus count once: a peak is higher than its left neighbour and not lower than its right one
    peaks = np.nonzero((inner > x[:-2]) & (inner >= x[2:]))[0] + 1
    count = 0
    for p in peaks:
        bases = []
        for step in (-1, 1):  # walk until a higher point; the base is the lowest point on the way
            i, low = p, x[p]
            while 0 < i < len(x) - 1 and x[i + step] <= x[p]:
                i += step
                low = min(low, x[i])
            bases.append(low)
        count += bool(x[p] - max(bases) > rel_prominence * top)
    return count


def plateau_end(loss_t: np.ndarray, drop: float = 0.1) -> float:
    """First epoch at which the loss is ``drop`` (a fraction) below its initial value; NaN if never.

    >>> plateau_end(np.array([1.0, 0.99, 0.95, 0.85, 0.5]))
    3.0
    """
    loss = np.asarray(loss_t, np.float64)
    below = np.nonzero(loss <= (1.0 - drop) * loss[0])[0]
    return float(below[0]) if len(below) else float("nan")


def predictions_from_modes(u_ta: np.ndarray, U_row: np.ndarray, V_row: np.ndarray) -> np.ndarray:
    """The prediction for one (item, feature) from the mode strengths: ``sum_a u_a(t) U[feature, a] V[item, a]``.

    Exact when ``W_tot`` is diagonal in the target's singular vectors (small initialisation), so
    measured or analytic strengths give the network's prediction over training (illusory correlations).

    >>> predictions_from_modes(np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([0.5, 0.5]), np.array([1.0, -1.0]))
    array([ 0. , -0.5])
    """
    return np.asarray(u_ta, np.float64) @ (np.asarray(U_row, np.float64) * np.asarray(V_row, np.float64))


def least_squares_modes(x_pd, y_pn) -> Target:
    """SVD of the minimum-norm least-squares map ``W* = Y^T X (X^T X)^+`` in NumPy float64: ``Target``.

    The analysis-side twin of :func:`jdl.studies.deep_linear.dynamics.target_modes` (which training uses, in the
    run's dtype); ``u^T W* v = s >= 0`` for every mode.

    >>> t = least_squares_modes(np.eye(2), np.array([[3.0, 0.0], [0.0, -2.0]]))
    >>> t.s.tolist(), (t.U * t.V).sum(0).tolist()
    ([3.0, 2.0], [1.0, -1.0])
    """
    x, y = np.asarray(x_pd, np.float64), np.asarray(y_pn, np.float64)
    U, s, Vt = np.linalg.svd(np.linalg.lstsq(x, y, rcond=None)[0].T, full_matrices=False)
    return Target(s, U, Vt.T)


def balanced_rsm(x_pd, y_pn) -> np.ndarray:
    """The hidden similarity ``H H^T`` at ``W_tot = W*`` from balanced weights: ``X V diag(s) V^T X^T``, ``(P, P)``.

    Gradient flow conserves ``W1 W1^T - W2^T W2``, which starts ~0 from small weights; then
    ``W1^T W1 = (W_tot^T W_tot)^{1/2} = V diag(s) V^T`` at the solution, whatever the rotation of the hidden
    units. For one-hot items it is ``(W*^T W*)^{1/2}``.

    >>> balanced_rsm(np.eye(2), np.array([[4.0, 0.0], [0.0, 9.0]])).tolist()
    [[4.0, 0.0], [0.0, 9.0]]
    """
    t = least_squares_modes(x_pd, y_pn)
    xv = np.asarray(x_pd, np.float64) @ t.V
    return (xv * t.s) @ xv.T
