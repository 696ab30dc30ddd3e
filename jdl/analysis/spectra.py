"""Singular-value spectra and effective rank (Roy & Vetterli 2007).

With ``p = sigma / sum(sigma)``, the spectral entropy ``H = -sum_i p_i log p_i`` (natural log; the
quantity Huh et al. call the effective rank) and ``exp(H)`` (Roy & Vetterli's effective rank, between 1
and the rank: ``exp(H) = r`` for ``r`` equal nonzero singular values).

References:
  Roy & Vetterli (2007), The effective rank: a measure of effective dimensionality, EUSIPCO.
  Huh et al. (2023), The low-rank simplicity bias in deep networks, TMLR.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array

__all__ = ["spectrum", "spectral_entropy", "effective_rank", "effective_rank_of"]


def spectrum(a_mn: Array, *, gram: bool = False) -> Array:
    """Singular values, descending, of ``a`` (or of its Gram matrix ``a a^T`` with ``gram=True``).

    The Gram spectrum is returned as ``sigma(a)**2`` rather than from an SVD of ``a a^T``: the same
    numbers, without squaring the condition number before the decomposition.

    Args:
      a_mn: ``(..., m, n)``; leading axes are batch axes.

    Returns:
      ``(..., min(m, n))``.

    >>> spectrum(jnp.diag(jnp.array([3.0, 1.0])), gram=True).tolist()
    [9.0, 1.0]
    """
    s = jnp.linalg.svd(a_mn, compute_uv=False)
    return s * s if gram else s


def spectral_entropy(sigma_k: Array) -> Array:
    """``H = -sum p_i log p_i`` with ``p = sigma / sum(sigma)`` over the last axis (natural log).

    Zero singular values are ignored (``0 log 0 = 0``, with a gradient-safe ``where``); negative
    round-off is clipped to zero; an all-zero spectrum gives 0. A non-finite spectrum (a diverged
    sweep member) gives NaN, so it is flagged rather than silently counted as rank 0.

    Args:
      sigma_k: ``(..., k)`` nonnegative singular values.

    Returns:
      ``(...)``.

    >>> round(float(spectral_entropy(jnp.array([1.0, 1.0, 0.0, 0.0]))), 4)  # log 2
    0.6931
    """
    finite = jnp.all(jnp.isfinite(jnp.asarray(sigma_k)), -1)
    sigma = jnp.maximum(jnp.asarray(sigma_k), 0.0)
    total = jnp.sum(sigma, -1, keepdims=True)
    p = sigma / jnp.where(total > 0, total, 1.0)
    plogp = jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0)
    h = -jnp.sum(plogp, -1)
    return jnp.where(finite, h, jnp.nan)


def effective_rank(sigma_k: Array) -> Array:
    """Roy & Vetterli's effective rank ``exp(H)`` of a spectrum ``(..., k)`` -> ``(...)``.

    ``1 <= exp(H) <= rank``; it equals the rank when the nonzero singular values are equal. An
    all-zero spectrum (the zero matrix) gives 0, its rank.

    >>> float(effective_rank(jnp.ones(5)))
    5.0
    """
    sigma = jnp.asarray(sigma_k)
    # exp(0) = 1 would call the zero matrix rank 1; a non-finite spectrum keeps its NaN
    keep = (jnp.sum(jnp.maximum(sigma, 0.0), -1) > 0) | ~jnp.all(jnp.isfinite(sigma), -1)
    return jnp.where(keep, jnp.exp(spectral_entropy(sigma)), 0.0)


def effective_rank_of(a_mn: Array, *, gram: bool = False) -> Array:
    """``exp(H)`` of a matrix ``(..., m, n)`` (of its Gram matrix ``a a^T`` with ``gram=True``).

    >>> round(float(effective_rank_of(jnp.outer(jnp.arange(1.0, 4.0), jnp.ones(5)))), 3)  # rank 1
    1.0
    """
    return effective_rank(spectrum(a_mn, gram=gram))
