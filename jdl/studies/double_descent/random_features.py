"""Random Fourier features and their closed-form fits (Belkin et al. 2019, the DNN assignment).

The design matrix interleaves cosines and sines of random projections,
``Phi[:, 2k] = cos(x . v_k)``, ``Phi[:, 2k+1] = sin(x . v_k)``, ``v_k ~ N(0, I_d)``, so ``N``
frequencies give ``P = 2N`` columns, and the features for ``N`` are a prefix of those for ``N + 1``.

Solvers (all pure functions of arrays):

* :func:`fit_normal_equations` is the assignment's ``solve(Phi^T Phi [+ lambd I], Phi^T y)``, kept
  to show what it gets wrong in float32 at the interpolation threshold.
* :func:`prefix_least_squares` fits any or every prefix ``k = 1..P`` (``P <= n``) from one QR:
  because ``R`` is upper triangular, the leading block of the triangular system is the system of
  the leading block, so every prefix is one more right-hand side of one back substitution.
* :func:`dual_ridge_path` fits ``P > n`` in the dual, ``a = Phi^T (Phi Phi^T + lambd I)^{-1} y``
  (an ``n x n`` factorisation instead of ``P x P``), growing ``K = Phi Phi^T`` along a scan;
  ridge fits of nearby sizes share one Cholesky through the Woodbury identity (the same
  triangular-prefix argument on the ``k x k`` capacitance matrix); ``lambd = 0`` is the
  minimum-norm interpolant.

Run the solvers in float64 (``with jdl.precision.precision(jnp.float64)``): at ``2N = n`` the system is singular up
to rounding by design.

References:
  Belkin, Hsu, Ma, Mandal (2019), Reconciling modern machine-learning practice and the classical
  bias-variance trade-off, PNAS 116(32). Rahimi & Recht (2007), Random features for large-scale
  kernel machines, NeurIPS.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

Array = jax.Array

__all__ = [
    "rff_frequencies", "rff", "predict", "mse_loss", "mse_grad", "hessian_top_eigenvalue",
    "fit_normal_equations", "PathMetrics",
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


class PathMetrics(NamedTuple):
    """Per-size results of a fit path: each field has one entry per model size."""

    train_mse: Array
    test_mse: Array
    coef_norm: Array


def prefix_least_squares(phi_nP: Array, y_n: Array, phi_test_mP: Array, y_test_m: Array,
                         ks: Sequence[int] | None = None) -> PathMetrics:
    """Least squares on column prefixes ``Phi[:, :k]`` (``k <= P <= n``) from one QR.

    With ``Phi = QR`` (reduced, ``R`` upper triangular) and ``c = Q^T y``, the prefix solution is
    ``a_k = R[:k, :k]^{-1} c[:k]``: the leading block of a triangular system is a triangular
    system. So with ``C[:, j] = c`` masked below row ``k_j``, one back substitution
    ``A = R^{-1} C`` gives every requested prefix's coefficients (zero below row ``k_j``), the train
    predictions are ``Q C`` and the test predictions ``Phi_test A``: one ``O(n P^2)``
    factorisation plus ``O((n + m + P) P)`` per prefix. Householder QR does not square the
    condition number as the normal equations do.

    Args:
      phi_nP: ``(n, P)`` training features, ``P <= n``.
      y_n: ``(n,)`` targets.
      phi_test_mP: ``(m, P)`` test features.
      y_test_m: ``(m,)``.
      ks: prefix lengths to fit (static, each in ``1..P``); default every ``k = 1..P``.

    Returns:
      ``PathMetrics`` with one entry per prefix (``(P,)`` by default: entry ``k - 1`` is the fit
      on ``k`` columns).
    """
    n, P = phi_nP.shape
    if P > n:
        raise ValueError(f"prefix_least_squares: needs P <= n, got P={P}, n={n}")
    ks = np.arange(1, P + 1) if ks is None else np.asarray(ks).reshape(-1)
    if ks.size == 0 or ks.dtype.kind not in "iu" or ks.min() < 1 or ks.max() > P:
        raise ValueError(f"ks: prefix lengths must be integers in 1..{P}, got {ks.tolist()[:5]}")
    Q, R = jnp.linalg.qr(phi_nP)
    mask_PK = jnp.asarray(np.arange(P)[:, None] < ks[None, :], phi_nP.dtype)
    C_PK = (Q.T @ y_n)[:, None] * mask_PK
    A_PK = solve_triangular(R, C_PK, lower=False)
    return PathMetrics(
        train_mse=jnp.mean((Q @ C_PK - y_n[:, None]) ** 2, axis=0),
        test_mse=jnp.mean((phi_test_mP @ A_PK - y_test_m[:, None]) ** 2, axis=0),
        coef_norm=jnp.linalg.norm(A_PK, axis=0),
    )


class _Plan(NamedTuple):
    """Static schedule of :func:`dual_ridge_path` (NumPy arrays, one row per scan step)."""

    first: np.ndarray  # (steps,) first frequency added to K at the step
    count: np.ndarray  # (steps,) frequencies added (<= width)
    branch: np.ndarray  # (steps,) 0 nothing, 1 direct lambd = 0, 2 direct all, 3 Woodbury block
    base: np.ndarray  # (steps,) frequencies in K after the step
    offs: np.ndarray  # (steps, J) block sizes relative to the base (0 pads)
    block: np.ndarray  # (steps,) row of the ridge results a step writes (n_blocks: none)
    width: int  # most frequencies added per step
    k_max: int  # Woodbury columns per block
    start: int  # frequencies in K before the first step
    where: list  # per size: (its block's row, slot in the block, its own step)


def _plan(sizes: tuple[int, ...], has_ridge: bool, has_direct: bool, max_update: int, max_width: int) -> _Plan:
    """Group sizes into Woodbury blocks (ridge) and order the steps that grow ``K``."""
    blocks, i = [], 0
    while i < len(sizes):  # greedy: a block spans at most max_update frequencies past its base
        j = i + 1
        while has_ridge and j < len(sizes) and sizes[j] - sizes[i] <= max_update:
            j += 1
        blocks.append(sizes[i:j])
        i = j
    kind = {}  # event size -> branch
    for b in blocks:
        kind[b[0]] = 3 if len(b) > 1 else (2 if has_ridge else 1)
        for s in b[1:]:
            if has_direct:
                kind[s] = 1
    events = sorted(kind)
    gaps = np.diff(events)
    # uniform step width: padded frequency slots plus a per-step overhead worth ~8 frequencies
    widths = [w for w in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if w <= max(1, max_width)]
    width = min(widths, key=lambda w: (np.ceil(gaps / w).sum() * (w + 8), -w)) if gaps.size else 1
    J = max(len(b) for b in blocks)
    block_of = {b[0]: b for b in blocks}
    row_of = {b[0]: r for r, b in enumerate(blocks)}
    first, count, branch, base, offs, row, step_of = [], [], [], [], [], [], {}
    for e_prev, e in zip([events[0]] + events, events):
        starts = list(range(e_prev, e, width)) or [e]
        for f in starts:
            last = f == starts[-1]
            first.append(f)
            count.append(min(width, e - f))
            branch.append(kind[e] if last else 0)
            base.append(f + count[-1])
            b = block_of[e] if last and kind[e] == 3 else (e,)
            offs.append([s - e for s in b] + [0] * (J - len(b)))
            row.append(row_of[e] if last and kind[e] >= 2 else len(blocks))
        step_of[e] = len(first) - 1
    where = [(r, j, step_of.get(s, step_of[b[0]])) for r, b in enumerate(blocks) for j, s in enumerate(b)]
    k_max = max(2, 2 * max(b[-1] - b[0] for b in blocks))
    return _Plan(*(np.asarray(v, np.int32) for v in (first, count, branch, base, offs, row)), width, k_max,
                 events[0], where)


def dual_ridge_path(phi_nP: Array, y_n: Array, phi_test_mP: Array, y_test_m: Array, sizes: Sequence[int],
                    lambdas: Sequence[float], *, max_update: int | None = None, max_width: int = 128,
                    metrics_chunk: int = 64) -> PathMetrics:
    """Ridge fits in the dual for the (static, increasing) frequency counts ``sizes``.

    ``a_N = Phi_N^T alpha_N`` with ``alpha_N = (K_N + lambd I)^{-1} y`` and ``K_N = Phi_N Phi_N^T``
    (``n x n``: exact ridge for any ``P``, an ``n x n`` factorisation instead of ``P x P``; with
    ``lambd = 0`` the minimum-norm interpolant when ``2N >= n``). ``K`` grows along a ``lax.scan``
    (at most ``max_width`` frequencies, a rank ``2w`` product, per step), so the whole path costs
    one ``n x n x 2 N_max`` product plus the factorisations:

    * ``lambd = 0``: one Cholesky of ``K_N`` per size.
    * ``lambd > 0``: sizes within ``max_update`` frequencies of a *base* size ``N_b`` share its
      Cholesky ``K_b + lambd I = L L^T`` through the Woodbury identity. With ``U`` the ``k``
      feature columns past ``N_b``, ``W = L^{-1} U``, ``z = L^{-1} y`` and
      ``I + W^T W = C C^T``::

          alpha_N = L^{-T} (z - W_k C_k^{-T} C_k^{-1} W_k^T z),

      and because ``C`` is triangular, ``C_k`` (the first ``k`` columns) is the leading block of
      ``C``: one ``n x n`` Cholesky and one ``k``-column triangular solve serve the whole block.
      ``K_b + lambd I`` has eigenvalues ``>= lambd``, so this is as well conditioned as the
      direct solve (the ``lambd = 0`` base just past the threshold is not, hence the split).

    The scan returns dual coefficients only (which branch runs at a step is static, the same for
    every vmapped member, so ``lax.switch`` stays a real branch under ``vmap``); test predictions
    and norms come afterwards from the primal coefficients ``Phi_N^T alpha``, ``metrics_chunk``
    fits at a time. The train residual is ``K alpha - y`` (``-lambd alpha`` on the Woodbury path).

    Args:
      phi_nP: ``(n, P_max)`` training features of all frequencies (interleaved cos/sin).
      y_n: ``(n,)``.
      phi_test_mP: ``(m, P_max)``.
      y_test_m: ``(m,)``.
      sizes: strictly increasing frequency counts ``N`` with ``2 N <= P_max`` (static).
      lambdas: ridge parameters ``>= 0`` (static; ``0`` gives the minimum-norm interpolant).
      max_update: most frequencies past a Woodbury base (default ``n // 8``; 0: a Cholesky per size).
      max_width: most frequencies added to ``K`` per scan step.
      metrics_chunk: fits evaluated at once after the scan (bounds the ``P x chunk`` buffer).

    Returns:
      ``PathMetrics`` with fields of shape ``(len(sizes), len(lambdas))``.
    """
    sizes = tuple(int(s) for s in sizes)
    lambdas = tuple(float(v) for v in lambdas)
    n, P = phi_nP.shape
    if not sizes or sizes[0] < 1 or any(b <= a for a, b in zip(sizes, sizes[1:])) or 2 * sizes[-1] > P:
        raise ValueError(f"sizes: must be strictly increasing in 1..{P // 2}, got {sizes[:3]}...{sizes[-1:]}")
    if not lambdas or not all(v >= 0 for v in lambdas):
        raise ValueError(f"lambdas: need values >= 0, got {lambdas}")
    if 0.0 in lambdas and 2 * sizes[0] < n:
        raise ValueError(f"sizes: lambd = 0 needs 2N >= n = {n} (K is singular below), got N = {sizes[0]}")
    max_update = n // 8 if max_update is None else int(max_update)
    if max_update < 0 or max_width < 1 or metrics_chunk < 1:
        raise ValueError(f"max_update, max_width, metrics_chunk: need >= 0, >= 1, >= 1, got "
                         f"{max_update}, {max_width}, {metrics_chunk}")
    ridge = [i for i, v in enumerate(lambdas) if v > 0]
    zero = [i for i, v in enumerate(lambdas) if v == 0]
    plan = _plan(sizes, bool(ridge), bool(zero), max_update, max_width)
    dt = phi_nP.dtype
    lam_r = jnp.asarray([lambdas[i] for i in ridge], dt)
    J, k, w = plan.offs.shape[1], plan.k_max, plan.width
    phi_pad = jnp.concatenate([phi_nP, jnp.zeros((n, max(k, 2 * w)), dt)], 1)  # slices never run off the end
    eye_n = jnp.eye(n, dtype=dt)

    def direct(K, lam):
        """alpha and train MSE of one factorisation of ``K + lam I`` (residual ``-lam alpha`` when ``lam > 0``)."""
        alpha = cho_solve(cho_factor(K + lam * eye_n, lower=True), y_n)
        return alpha, jnp.mean(jnp.where(lam > 0, lam * alpha, K @ alpha - y_n) ** 2)

    def woodbury(K, lam, U, offs_J):
        """alphas ``(n, J)`` and train MSEs of the sizes ``base + offs_J`` from one factorisation."""
        L = jnp.linalg.cholesky(K + lam * eye_n)
        W = solve_triangular(L, U, lower=True)
        z = solve_triangular(L, y_n, lower=True)
        C = jnp.linalg.cholesky(jnp.eye(k, dtype=dt) + W.T @ W)
        r = solve_triangular(C, W.T @ z, lower=True)  # prefix-consistent: forward substitution
        mask_kJ = (jnp.arange(k, dtype=jnp.int32)[:, None] < 2 * offs_J[None, :]).astype(dt)
        S = solve_triangular(C, r[:, None] * mask_kJ, lower=True, trans="T")
        alpha = solve_triangular(L, z[:, None] - W @ S, lower=True, trans="T")
        return alpha, jnp.mean((lam * alpha) ** 2, axis=0)

    # every branch returns (alphas and train MSEs of the lambd = 0 fits, of the ridge fits per block slot)
    empty0 = (jnp.zeros((len(zero), n), dt), jnp.zeros((len(zero),), dt))
    emptyr = (jnp.zeros((len(ridge), n, J), dt), jnp.zeros((len(ridge), J), dt))

    def zero_fits(K):
        return jax.vmap(direct, (None, 0))(K, jnp.zeros((len(zero),), dt)) if zero else empty0

    def ridge_alone(K):  # a block of one size: the direct solve, in slot 0
        if not ridge:
            return emptyr
        alpha, tr = jax.vmap(direct, (None, 0))(K, lam_r)
        return emptyr[0].at[:, :, 0].set(alpha), emptyr[1].at[:, 0].set(tr)

    def ridge_block(K, U, offs):
        return jax.vmap(woodbury, (None, 0, None, None))(K, lam_r, U, offs) if ridge else emptyr

    branches = [lambda K, U, offs: (empty0, emptyr),  # K grows, nothing is solved
                lambda K, U, offs: (zero_fits(K), emptyr),
                lambda K, U, offs: (zero_fits(K), ridge_alone(K)),
                lambda K, U, offs: (zero_fits(K), ridge_block(K, U, offs))]

    def step(carry, xs):
        K, ridge_a, ridge_t = carry
        first, count, br, base, offs, row = xs
        B = jax.lax.dynamic_slice_in_dim(phi_pad, 2 * first, 2 * w, axis=1)
        B = B * (jnp.arange(2 * w, dtype=jnp.int32) < 2 * count).astype(dt)
        K = K + B @ B.T
        U = jax.lax.dynamic_slice_in_dim(phi_pad, 2 * base, k, axis=1)  # the k columns past the base
        zero_out, (ra, rt) = jax.lax.switch(br, branches, K, U, offs)
        # ridge results go to their block's row of the carry (the last row takes the empty steps'), so
        # memory grows with the blocks, not with steps x block slots
        ridge_a = jax.lax.dynamic_update_index_in_dim(ridge_a, ra, row, 0)
        ridge_t = jax.lax.dynamic_update_index_in_dim(ridge_t, rt, row, 0)
        return (K, ridge_a, ridge_t), zero_out

    phi0 = phi_nP[:, : 2 * plan.start]
    n_rows = len({r for r, _, _ in plan.where}) + 1
    carry0 = (phi0 @ phi0.T, jnp.zeros((n_rows,) + emptyr[0].shape, dt), jnp.zeros((n_rows,) + emptyr[1].shape, dt))
    (_, ar, tr_r), (a0, t0) = jax.lax.scan(step, carry0, tuple(map(jnp.asarray, plan[:6])))

    # gather every (size, lambda) fit's dual coefficients, then evaluate them in chunks
    block_row, slot, own_step = (np.asarray(v) for v in zip(*plan.where))
    alphas, trains, order = [], [], []
    if zero:
        alphas.append(a0[own_step].reshape(-1, n))  # (S * L0, n), size-major
        trains.append(t0[own_step].reshape(-1))
        order += [(i, l) for i in range(len(sizes)) for l in zero]
    if ridge:
        alphas.append(jnp.moveaxis(ar, -1, 1)[block_row, slot].reshape(-1, n))  # (S * Lr, n)
        trains.append(tr_r[block_row, :, slot].reshape(-1))
        order += [(i, l) for i in range(len(sizes)) for l in ridge]
    alpha_Qn = jnp.concatenate(alphas)
    N_Q = jnp.asarray([sizes[i] for i, _ in order], jnp.int32)
    Q, c = alpha_Qn.shape[0], min(metrics_chunk, alpha_Qn.shape[0])
    pad = -Q % c
    alpha_pad = jnp.concatenate([alpha_Qn, jnp.zeros((pad, n), dt)]).reshape(-1, c, n)
    N_pad = jnp.concatenate([N_Q, jnp.ones((pad,), jnp.int32)]).reshape(-1, c)

    def evaluate(xs):
        alpha_cn, N_c = xs
        a_cP = (alpha_cn @ phi_nP) * (jnp.arange(P, dtype=jnp.int32)[None, :] < 2 * N_c[:, None]).astype(dt)
        test = jnp.mean((a_cP @ phi_test_mP.T - y_test_m[None, :]) ** 2, axis=1)
        return test, jnp.linalg.norm(a_cP, axis=1)

    test_Q, norm_Q = (v.reshape(-1)[:Q] for v in jax.lax.map(evaluate, (alpha_pad, N_pad)))
    rows, cols = (np.asarray(v) for v in zip(*order))
    out = [jnp.full((len(sizes), len(lambdas)), jnp.nan, dt).at[rows, cols].set(v)
           for v in (jnp.concatenate(trains), test_Q, norm_Q)]
    return PathMetrics(*out)


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
    from jdl.nn import Model, feature_dim, width_mask

    m = width_mask(2 * n_features, 2 * n_max)

    def init(key, in_shape):
        return a_std * jax.random.normal(key, (feature_dim(in_shape),)) * m

    def apply(a, phi):
        return phi @ (a * m)

    return Model(init, apply)
