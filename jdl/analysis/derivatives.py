"""Numerical differentiation: finite differences of a pytree function against ``jax.grad``.

:func:`finite_differences` perturbs every coordinate of a pytree at once (vmapped), forward or central
differences; :func:`fd_error` gives its worst relative error against ``jax.grad`` for a grid of step
sizes (the truncation vs round-off trade-off).
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

Array = jax.Array

__all__ = ["finite_differences", "fd_error"]


def finite_differences(f: Callable[[Any], Array], params: Any, eps=1e-6, scheme: str = "central") -> Any:
    """Gradient of a scalar ``f`` by finite differences, all coordinates at once (``vmap``).

    ``forward``: ``(f(p + eps e_i) - f(p)) / eps`` (the notebooks' check; error ``O(eps)``);
    ``central``: ``(f(p + eps e_i) - f(p - eps e_i)) / (2 eps)`` (error ``O(eps^2)``). Round-off
    adds ``~ machine eps |f| / eps``, so there is a best ``eps`` (see :func:`fd_error`).

    Args:
      f: scalar function of a pytree.
      params: the point (a pytree of floating arrays).
      eps: step (may be traced, e.g. vmapped over a grid).
      scheme: ``"central"`` or ``"forward"``.

    Returns:
      A pytree like ``params``.

    >>> g = finite_differences(lambda p: jnp.sum(p ** 3), jnp.array([1.0, 2.0]), eps=1e-2)
    >>> [round(float(v), 3) for v in g]
    [3.0, 12.0]
    """
    if scheme not in ("central", "forward"):
        raise ValueError(f"scheme: expected 'central' or 'forward', got {scheme!r}")
    flat, unravel = ravel_pytree(params)
    steps = jnp.eye(flat.size, dtype=flat.dtype) * jnp.asarray(eps, flat.dtype)
    at = jax.vmap(lambda s: f(unravel(flat + s)))
    if scheme == "central":
        g = (at(steps) - at(-steps)) / (2 * jnp.asarray(eps, flat.dtype))
    else:
        g = (at(steps) - f(params)) / jnp.asarray(eps, flat.dtype)
    return unravel(g)


def fd_error(f: Callable[[Any], Array], params: Any, eps_e: Array, scheme: str = "central") -> Array:
    """Worst relative error of :func:`finite_differences` against ``jax.grad``, per step size.

    ``max_i |fd_i - g_i| / max(|g|_inf, tiny)`` for each ``eps`` in ``eps_e``, in one vmapped call.

    Returns:
      ``(E,)`` errors.

    >>> err = fd_error(lambda p: jnp.sum(jnp.sin(p)), jnp.ones(3), jnp.array([1e-1, 1e-2]))
    >>> bool(err[1] < err[0])
    True
    """
    exact, _ = ravel_pytree(jax.grad(f)(params))
    scale = jnp.maximum(jnp.max(jnp.abs(exact)), jnp.finfo(exact.dtype).tiny)

    def one(eps):
        approx, _ = ravel_pytree(finite_differences(f, params, eps, scheme))
        return jnp.max(jnp.abs(approx - exact)) / scale

    return jax.vmap(one)(jnp.asarray(eps_e, exact.dtype))
