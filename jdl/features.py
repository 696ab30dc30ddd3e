"""Random Fourier features and their closed-form fits (Belkin et al. 2019, the DNN assignment).

The design matrix interleaves cosines and sines of random projections,
``Phi[:, 2k] = cos(x . v_k)``, ``Phi[:, 2k+1] = sin(x . v_k)``, ``v_k ~ N(0, I_d)``, so ``N``
frequencies give ``P = 2N`` columns, and the features for ``N`` are a prefix of those for ``N + 1``.

Solvers (all pure functions of arrays):

* :func:`fit_normal_equations` is the assignment's ``solve(Phi^T Phi [+ lambd I], Phi^T y)``, kept
  to show what it gets wrong in float32 at the interpolation threshold.
* :func:`prefix_least_squares` fits **every** prefix ``k = 1..P`` (``P <= n``) from one QR:
  because ``R`` is upper triangular, the leading block of ``R^{-1}`` is the inverse of the leading
  block of ``R``, so the prefix coefficients, train and test predictions are cumulative sums.
* :func:`dual_ridge_path` fits ``P > n`` in the dual, ``a = Phi^T (Phi Phi^T + lambd I)^{-1} y``
  (an ``n x n`` Cholesky instead of ``P x P``), updating ``K = Phi Phi^T`` by rank 2 per frequency;
  ``lambd = 0`` is the minimum-norm interpolant.

Run the solvers in float64 (``with jax.enable_x64(True)``): at ``2N = n`` the system is singular up
to rounding by design.

References:
  Belkin, Hsu, Ma, Mandal (2019), Reconciling modern machine-learning practice and the classical
  bias-variance trade-off, PNAS 116(32). Rahimi & Recht (2007), Random features for large-scale
  kernel machines, NeurIPS.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

Array = jax.Array

__all__ = [
    "rff_frequencies", "rff", "predict", "mse_loss", "mse_grad", "hessian_top_eigenvalue",
    "fit_normal_equations", "fit_assignment", "fit_min_norm", "PathMetrics",
    "prefix_least_squares", "dual_ridge_path", "rff_readout",
]


def rff_frequencies(key: Array, d: int, n_features: int, dtype=jnp.float32) -> Array:
    """Frequencies ``V`` of shape ``(d, N)``, ``V ~ N(0, 1)``.

    Drawn as ``(N, d)`` and transposed so that the first ``N`` columns do not depend on how many
    were drawn (prefix-consistent: ``rff_frequencies(k, d, M)[:, :N] == rff_frequencies(k, d, N)``).
    """
    return jax.random.normal(key, (n_features, d), dtype).T


def rff(x_nd: Array, V_dN: Array) -> Array:
    """Interleaved random Fourier features ``(n, 2N)``: ``[cos(xv_1), sin(xv_1), cos(xv_2), ...]``.

    Works on one example too (``x`` of shape ``(d,)`` gives ``(2N,)``).

    >>> rff(jnp.zeros((3, 2)), jnp.ones((2, 4))).shape
    (3, 8)
    """
    z = x_nd @ V_dN
    return jnp.stack([jnp.cos(z), jnp.sin(z)], axis=-1).reshape(*z.shape[:-1], 2 * z.shape[-1])


def predict(phi_nP: Array, a_P: Array) -> Array:
    """``h = Phi a``."""
    return phi_nP @ a_P


def mse_loss(a_P: Array, phi_nP: Array, y_n: Array) -> Array:
    """Training objective ``(1/n) ||Phi a - y||^2``."""
    r = phi_nP @ a_P - y_n
    return jnp.mean(r * r)


def mse_grad(a_P: Array, phi_nP: Array, y_n: Array) -> Array:
    """Analytic gradient of :func:`mse_loss`: ``(2/n) Phi^T (Phi a - y)``."""
    return (2.0 / phi_nP.shape[0]) * (phi_nP.T @ (phi_nP @ a_P - y_n))


def hessian_top_eigenvalue(phi_nP: Array) -> Array:
    """Largest eigenvalue of the MSE Hessian ``(2/n) Phi^T Phi`` (via the ``n x n`` Gram matrix).

    Gradient descent on the MSE is stable for ``lr < 2 / lambda_max``; for these features
    ``lambda_max`` grows about linearly with ``N`` (about ``1.2 N`` on the digits).
    """
    n = phi_nP.shape[0]
    return (2.0 / n) * jnp.linalg.eigvalsh(phi_nP @ phi_nP.T)[-1]


def fit_normal_equations(phi_nP: Array, y_n: Array, lambd=0.0) -> Array:
    """The assignment's fit: ``solve(Phi^T Phi + lambd I, Phi^T y)`` (squares the condition number)."""
    P = phi_nP.shape[1]
    G = phi_nP.T @ phi_nP + lambd * jnp.eye(P, dtype=phi_nP.dtype)
    return jnp.linalg.solve(G, phi_nP.T @ y_n)


def fit_assignment(phi_nP: Array, y_n: Array, lambd=0.01) -> Array:
    """The assignment's rule: plain normal equations when ``P <= n``, ridge ``lambd`` when ``P > n``."""
    n, P = phi_nP.shape
    return fit_normal_equations(phi_nP, y_n, lambd if P > n else 0.0)


def fit_min_norm(phi_nP: Array, y_n: Array) -> Array:
    """Minimum-norm least-squares solution ``Phi^+ y`` (SVD-based ``lstsq``; the ``lambd -> 0`` limit)."""
    return jnp.linalg.lstsq(phi_nP, y_n)[0]


class PathMetrics(NamedTuple):
    """Per-size results of a fit path: each field has one entry per model size."""

    train_mse: Array
    test_mse: Array
    coef_norm: Array


def prefix_least_squares(phi_nP: Array, y_n: Array, phi_test_mP: Array, y_test_m: Array) -> PathMetrics:
    """Least squares on every column prefix ``Phi[:, :k]``, ``k = 1..P`` (``P <= n``), from one QR.

    With ``Phi = QR`` (reduced, ``R`` upper triangular) and ``c = Q^T y``, the prefix solution is
    ``a_k = (R^{-1})[:k, :k] c[:k]``, since the leading block of a triangular inverse is the inverse
    of the leading block. Hence, with ``T = R^{-1}``:

    * train prediction ``Q[:, :k] c[:k]``: a cumulative sum over columns,
    * test prediction ``(Phi_test T)[:, :k] c[:k]``: a cumulative sum,
    * coefficients ``T[:, :k] c[:k]``: a cumulative sum,

    so all ``P`` fits cost one ``O(n P^2)`` factorisation plus ``O((n + m) P)`` per size, and
    Householder QR does not square the condition number as the normal equations do.

    Args:
      phi_nP: ``(n, P)`` training features, ``P <= n``.
      y_n: ``(n,)`` targets.
      phi_test_mP: ``(m, P)`` test features.
      y_test_m: ``(m,)``.

    Returns:
      ``PathMetrics`` with fields of shape ``(P,)``: entry ``k - 1`` is the fit on ``k`` columns.
    """
    n, P = phi_nP.shape
    if P > n:
        raise ValueError(f"prefix_least_squares: needs P <= n, got P={P}, n={n}")
    Q, R = jnp.linalg.qr(phi_nP)
    c_P = Q.T @ y_n
    T = solve_triangular(R, jnp.eye(P, dtype=R.dtype), lower=False)
    fit_train = jnp.cumsum(Q * c_P, axis=1)  # (n, P): column k-1 = Q[:, :k] c[:k]
    fit_test = jnp.cumsum((phi_test_mP @ T) * c_P, axis=1)
    coefs = jnp.cumsum(T * c_P, axis=1)  # (P, P): column k-1 = a_k padded with zeros
    return PathMetrics(
        train_mse=jnp.mean((fit_train - y_n[:, None]) ** 2, axis=0),
        test_mse=jnp.mean((fit_test - y_test_m[:, None]) ** 2, axis=0),
        coef_norm=jnp.linalg.norm(coefs, axis=0),
    )


def _segment_schedule(offsets: tuple[int, ...], width: int):
    """Static plan for :func:`dual_ridge_path`: which frequencies each scan step adds.

    Returns ``idx`` ``(steps, width)`` frequency offsets relative to ``start`` (``-1`` pads),
    ``solve`` ``(steps,)`` flags (a requested size ends at this step), and ``out`` the step index of
    each requested size.
    """
    idx, solve, out, prev = [], [], [], 0
    for off in offsets:
        new = list(range(prev, off))
        for j in range(0, len(new), width):
            part = new[j: j + width]
            idx.append(part + [-1] * (width - len(part)))
            solve.append(j + width >= len(new))
        out.append(len(idx) - 1)
        prev = off
    return np.asarray(idx, np.int32), np.asarray(solve), np.asarray(out)


def dual_ridge_path(phi_nP: Array, y_n: Array, phi_test_mP: Array, y_test_m: Array, start,
                    offsets: tuple[int, ...], lambdas_L: Array, max_width: int = 32) -> PathMetrics:
    """Ridge fits in the dual for the frequency counts ``N = start + offsets[i]``.

    ``a_N = Phi_N^T alpha_N`` with ``alpha_N = (K_N + lambd I)^{-1} y`` and ``K_N = Phi_N Phi_N^T``
    (``n x n``: exact ridge for any ``P``, an ``n x n`` Cholesky instead of ``P x P``, and with
    ``lambd = 0`` the minimum-norm interpolant when ``2N >= n``). ``K`` is built once for ``start``
    frequencies; a ``lax.scan`` then adds at most ``max_width`` new frequencies per step (rank ``2w``
    updates) and factorises only at the steps where a requested size ends. That flag is the same
    for every vmapped member, so ``lax.cond`` stays a real branch under ``vmap``. Test predictions
    use the primal coefficients (``Phi_test a_N``, ``O((n + m) P)``) rather than a test kernel, so
    the whole path costs about one ``n x n x 2 N_max`` product plus one Cholesky per size and ``lambd``.

    Args:
      phi_nP: ``(n, P_max)`` training features of all frequencies (interleaved cos/sin).
      y_n: ``(n,)``.
      phi_test_mP: ``(m, P_max)``.
      y_test_m: ``(m,)``.
      start: frequencies already in ``K`` (a Python int, or traced).
      offsets: strictly increasing positive ints (static); every ``N`` of a range is
        ``offsets = (1, 2, ..., C)``. Frequencies past ``P_max / 2`` are zero columns (callers
        drop those sizes).
      lambdas_L: ``(L,)`` ridge parameters (``0`` gives the minimum-norm interpolant).
      max_width: most frequencies added per scan step.

    Returns:
      ``PathMetrics`` with fields of shape ``(len(offsets), L)``.
    """
    offsets = tuple(int(o) for o in offsets)
    if not offsets or any(b <= a for a, b in zip((0,) + offsets, offsets)):
        raise ValueError(f"offsets: must be strictly increasing positive ints, got {offsets}")
    n, P = phi_nP.shape
    if isinstance(start, int):  # static: only the first 2*start columns enter the product
        phi0 = phi_nP[:, : 2 * start]
    else:
        start = jnp.asarray(start).astype(jnp.int32)
        phi0 = phi_nP * (jnp.arange(P, dtype=jnp.int32) < 2 * start).astype(phi_nP.dtype)
    K0 = phi0 @ phi0.T
    idx, solve_flags, out_steps = _segment_schedule(offsets, min(max_width, offsets[-1]))
    count = start + jnp.asarray(np.cumsum((idx >= 0).sum(axis=1)), jnp.int32)  # frequencies in K after each step
    freq = start + jnp.asarray(idx)  # (steps, w) absolute frequency index; padding and overflow -> zero column
    freq = jnp.where((idx >= 0) & (freq < P // 2), freq, P // 2)
    cols = jnp.stack([2 * freq, 2 * freq + 1], axis=-1).reshape(idx.shape[0], -1)
    phi_pad = jnp.concatenate([phi_nP, jnp.zeros((n, 2), phi_nP.dtype)], 1)
    eye = jnp.eye(n, dtype=phi_nP.dtype)
    L = lambdas_L.shape[0]

    def solve(lambd, K, mask_P):
        alpha = cho_solve(cho_factor(K + lambd * eye, lower=True), y_n)
        fit = K @ alpha
        a_P = (alpha @ phi_nP) * mask_P
        return (jnp.mean((fit - y_n) ** 2), jnp.mean((phi_test_mP @ a_P - y_test_m) ** 2),
                jnp.sqrt(jnp.maximum(alpha @ fit, 0.0)))

    def step(K, xs):
        c, flag, k = xs
        B = phi_pad[:, c]
        K = K + B @ B.T
        mask_P = (jnp.arange(P, dtype=jnp.int32) < 2 * k).astype(phi_nP.dtype)
        nan = jnp.full((L,), jnp.nan, phi_nP.dtype)
        out = jax.lax.cond(flag, lambda: jax.vmap(solve, (0, None, None))(lambdas_L, K, mask_P),
                           lambda: (nan, nan, nan))
        return K, out

    _, (tr, te, nrm) = jax.lax.scan(step, K0, (cols, jnp.asarray(solve_flags), count))
    return PathMetrics(train_mse=tr[out_steps], test_mse=te[out_steps], coef_norm=nrm[out_steps])


def rff_readout(n_features, n_max: int, a_std=1e-3):
    """The trainable part of the random-feature model, ``h(phi) = phi . a``, as a ``Model``.

    Inputs are precomputed features ``phi`` of length ``2 n_max``; a member with ``n_features = N``
    masks coefficients beyond ``2N`` (so a padded member trains exactly the ``2N``-coefficient
    model). ``a ~ N(0, a_std**2)`` as the assignment's ``torch.normal(0, 0.001, (2N, 1))``.

    Args:
      n_features: the member's true ``N`` (may be traced).
      n_max: the largest ``N`` of the sweep (static).
      a_std: initial coefficient scale (may be traced).
    """
    from jdl.nn import Model, width_mask

    m = width_mask(2 * n_features, 2 * n_max)

    def init(key, in_dim):
        return a_std * jax.random.normal(key, (in_dim,)) * m

    def apply(a, phi):
        return phi @ (a * m)

    return Model(init, apply)
