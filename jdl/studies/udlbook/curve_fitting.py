"""The two-parameter regression models of udlbook's Training II and III notebooks, and their losses.

* :data:`linear`: ``y = phi_0 + phi_1 x`` (Training II; a convex least-squares loss).
* :data:`gabor`: ``y = sin(z) exp(-z^2 / 32)`` with ``z = phi_0 + 0.06 phi_1 x`` (Training III;
  ``phi_0`` is the offset, ``phi_1`` the frequency; a non-convex loss with many local minima).

Both are :class:`jdl.nn.Model` pairs: ``apply(phi, x)`` on one example ``x (1,)`` returns ``(1,)``,
with ``phi (2,)``. The notebooks' loss is the *sum* (not the mean) of squared errors over the data
(:func:`sum_squares`, built on :func:`jdl.losses.squared_error`); :func:`loss_surface` evaluates it
on a whole ``(phi_0, phi_1)`` grid in one vmapped call. :func:`linear_grad` and :func:`gabor_grad`
are the notebooks' hand-derived gradients (checked against ``jax.grad`` and finite differences in
the tests), :func:`linear_least_squares` the closed-form optimum of Training II and
:func:`linear_critical_lr` its fixed-step stability bound ``2 / lambda_max``; :func:`predict` draws a fit.

References:
  Prince, *Understanding Deep Learning* (2023), chapter 6 (figures 6.1 and 6.4); notebooks CM20315
  Training II and III.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jdl import losses
from jdl.nn import Model

Array = jax.Array

__all__ = ["linear", "gabor", "predict", "sum_squares", "loss_surface", "linear_grad", "gabor_grad",
           "linear_least_squares", "linear_critical_lr"]


def _linear_init(key: Array, in_shape=(1,)) -> Array:
    del in_shape
    return jax.random.normal(key, (2,))


def _linear_apply(phi: Array, x: Array) -> Array:
    return phi[0] + phi[1] * x


def _gabor_init(key: Array, in_shape=(1,)) -> Array:
    """A random point of the notebook's plotted range: offset U(-10, 10), frequency U(2.5, 22.5)."""
    del in_shape
    return jax.random.uniform(key, (2,), minval=jnp.asarray([-10.0, 2.5]), maxval=jnp.asarray([10.0, 22.5]))


def _gabor_apply(phi: Array, x: Array) -> Array:
    z = phi[0] + 0.06 * phi[1] * x
    return jnp.sin(z) * jnp.exp(-z * z / 32)


linear = Model(_linear_init, _linear_apply)
gabor = Model(_gabor_init, _gabor_apply)


def predict(model: Model, phi: Array, x_n: Array) -> Array:
    """The fitted curve ``f(x_i; phi)`` at every input: ``model.apply`` vmapped over ``x_n (n,)`` -> ``(n,)``.

    >>> predict(linear, jnp.array([1.0, 2.0]), jnp.array([0.0, 1.0])).tolist()
    [1.0, 3.0]
    """
    return jax.vmap(lambda x: model.apply(phi, x[None])[0])(jnp.asarray(x_n))


def sum_squares(model: Model, phi: Array, x_n: Array, y_n: Array, w_n: Array | None = None) -> Array:
    """The notebooks' ``compute_loss``: ``sum_i (f(x_i; phi) - y_i)^2`` (optionally weighted).

    Args:
      model: :data:`linear` or :data:`gabor` (any one-input, one-output ``Model``).
      phi: ``(2,)`` parameters.
      x_n, y_n: ``(n,)`` data.
      w_n: optional ``(n,)`` per-example weights (0/1 masks a minibatch).

    >>> round(float(sum_squares(linear, jnp.array([0.0, 1.0]), jnp.array([1.0, 2.0]), jnp.array([0.0, 0.0]))), 3)
    5.0
    """
    per_example = jax.vmap(lambda x, y: losses.squared_error(pred=model.apply(phi, x[None]), target=y[None]))(
        x_n, y_n)
    return jnp.sum(per_example) if w_n is None else jnp.sum(per_example * w_n)


def loss_surface(model: Model, x_n: Array, y_n: Array, phi0_a: Array, phi1_b: Array) -> Array:
    """:func:`sum_squares` on the grid ``phi0_a x phi1_b`` in one vmapped evaluation.

    Returns:
      ``(b, a)`` losses, rows over ``phi_1`` (``np.meshgrid(phi0_a, phi1_b)`` order, as the notebooks).

    >>> loss_surface(linear, jnp.ones(3), jnp.ones(3), jnp.linspace(0, 1, 4), jnp.linspace(0, 1, 5)).shape
    (5, 4)
    """
    one = lambda p0, p1: sum_squares(model, jnp.stack([p0, p1]), x_n, y_n)  # noqa: E731
    return jax.vmap(lambda p1: jax.vmap(lambda p0: one(p0, p1))(phi0_a))(phi1_b)


def linear_grad(phi: Array, x_n: Array, y_n: Array) -> Array:
    """Training II's hand-derived gradient of :func:`sum_squares` for :data:`linear`:
    ``(2 sum r_i, 2 sum x_i r_i)`` with residuals ``r_i = phi_0 + phi_1 x_i - y_i``.

    >>> linear_grad(jnp.array([1.0, 0.0]), jnp.array([1.0, 2.0]), jnp.array([0.0, 0.0])).tolist()
    [4.0, 6.0]
    """
    r = phi[0] + phi[1] * x_n - y_n
    return jnp.stack([2 * jnp.sum(r), 2 * jnp.sum(x_n * r)])


def gabor_grad(phi: Array, x_n: Array, y_n: Array) -> Array:
    """Training III's hand-derived gradient of :func:`sum_squares` for :data:`gabor`, as the notebook
    writes it (``gabor_deriv_phi0``, ``gabor_deriv_phi1``).

    >>> gabor_grad(jnp.array([-5.0, 25.0]), jnp.ones(3), jnp.zeros(3)).shape
    (2,)
    """
    z = 0.06 * phi[1] * x_n + phi[0]
    cos, sin, gauss = jnp.cos(z), jnp.sin(z), jnp.exp(-0.5 * z * z / 16)
    resid = 2 * (sin * gauss - y_n)
    d_phi0 = cos * gauss - sin * gauss * z / 16
    d_phi1 = 0.06 * x_n * cos * gauss - 0.06 * x_n * sin * gauss * z / 16
    return jnp.stack([jnp.sum(d_phi0 * resid), jnp.sum(d_phi1 * resid)])


def linear_least_squares(x_n: Array, y_n: Array) -> Array:
    """The minimiser of Training II's loss: ``(intercept, slope)`` from the 2x2 normal equations.

    >>> [round(float(v), 4) for v in linear_least_squares(jnp.array([0.0, 1.0, 2.0]), jnp.array([1.0, 3.0, 5.0]))]
    [1.0, 2.0]
    """
    X = jnp.stack([jnp.ones_like(x_n), x_n], axis=1)
    return jnp.linalg.solve(X.T @ X, X.T @ y_n)


def linear_critical_lr(x_n: Array) -> Array:
    """The step size above which fixed-step gradient descent on Training II's loss diverges: ``2 / lambda_max(H)``.

    The loss is quadratic with the constant Hessian ``H = 2 X^T X`` (``X = [1, x_i]`` rows), so a
    fixed step ``lr`` scales the error along each eigenvector of ``H`` by ``1 - lr lambda``: every
    component shrinks when ``lr < 2 / lambda_max`` and the top one grows when ``lr > 2 / lambda_max``.

    >>> round(float(linear_critical_lr(jnp.array([0.0, 1.0]))), 4)  # H = 2 [[2, 1], [1, 1]]
    0.382
    """
    X = jnp.stack([jnp.ones_like(x_n), x_n], axis=1)
    return 2 / jnp.linalg.eigvalsh(2 * X.T @ X)[-1]
