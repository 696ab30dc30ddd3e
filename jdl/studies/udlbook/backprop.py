"""Backpropagation by hand (udlbook Gradients I and II), against ``jax.grad`` and finite differences.

* Gradients I: ``y = b4 + w4 log(b3 + w3 cos(b2 + w2 exp(b1 + w1 sin(b0 + w0 x))))`` as a chain of
  intermediate values (:func:`composite_forward`: ``f_0..f_3``, ``h_1..h_4``, ``y``), their
  derivatives in reverse (:func:`composite_backward`: ``dy/dh_k``, ``dy/df_k``) and the ten
  parameter derivatives ``dy/dbeta_k = dy/df_k``, ``dy/domega_k = dy/df_k h_k`` (``h_0 = x``).
* Gradients II: the manual backward pass (:func:`relu_backward`, the book's eq. 7.13) through the
  ``K``-hidden-layer ReLU network of :class:`jdl.nn.DeepMLP` (its forward pass is reused) with the
  least-squares loss ``sum((f_K - y)^2)``; returns gradients in the network's own pytree, so they
  compare leaf by leaf with ``jax.grad``.
* Finite differences for the checks: :mod:`jdl.analysis.derivatives`.

Notes on the notebooks: Gradients I's text gives ``d sin(z)/dz = -cos(z)``; the derivative is
``cos(z)``, and its printed true values follow ``cos``. Gradients II's indicator is ``1[f >= 0]``,
so at ``f = 0`` exactly the manual pass differs from ``jax.grad`` of ``relu`` (which uses 0 there).

References:
  Prince, *Understanding Deep Learning* (2023), sections 7.2-7.4; notebooks CM20315 Gradients I, II.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jdl import losses
from jdl.nn import DeepMLP, deep_mlp_forward

Array = jax.Array

__all__ = ["Composite", "CompositeForward", "CompositeBackward", "composite_fn", "composite_forward",
           "composite_backward", "composite_omega0", "ReluBackward", "relu_loss", "relu_backward",
           "finite_differences", "fd_error"]


class Composite(NamedTuple):
    """Gradients I's parameters: ``beta (5,)`` and ``omega (5,)`` (``beta_0..4``, ``omega_0..4``)."""

    beta: Array
    omega: Array


class CompositeForward(NamedTuple):
    """Intermediate values: ``f (4,)`` = ``f_0..f_3``, ``h (4,)`` = ``h_1..h_4``, output ``y ()``."""

    f: Array
    h: Array
    y: Array


class CompositeBackward(NamedTuple):
    """``dy_df (4,)`` = ``dy/df_0..3``, ``dy_dh (4,)`` = ``dy/dh_1..4``, ``grads``: ``dy/dparams`` (Composite)."""

    dy_df: Array
    dy_dh: Array
    grads: Composite


# (function, derivative) of the four stages h_{k+1} = g_k(f_k); four different functions, so a
# static Python loop (unrolled at trace time) is clearer than a scan with a switch.
_STAGES = ((jnp.sin, jnp.cos), (jnp.exp, jnp.exp), (jnp.cos, lambda z: -jnp.sin(z)), (jnp.log, lambda z: 1 / z))


def composite_fn(params: Composite, x) -> Array:
    """Gradients I's ``fn``, written out in one expression.

    >>> p = Composite(jnp.array([1.0, 2.0, -3.0, 0.4, -0.3]), jnp.array([0.1, -0.4, 2.0, 3.0, -0.5]))
    >>> round(float(composite_fn(p, 2.3)), 3)
    -0.732
    """
    b, w = params
    return b[4] + w[4] * jnp.log(b[3] + w[3] * jnp.cos(b[2] + w[2] * jnp.exp(b[1] + w[1] * jnp.sin(b[0] + w[0] * x))))


def composite_forward(params: Composite, x) -> CompositeForward:
    """The forward pass: ``f_k = beta_k + omega_k h_k`` (``h_0 = x``), ``h_{k+1} = g_k(f_k)``, ``y = f_4``.

    >>> p = Composite(jnp.array([1.0, 2.0, -3.0, 0.4, -0.3]), jnp.array([0.1, -0.4, 2.0, 3.0, -0.5]))
    >>> [round(float(v), 3) for v in composite_forward(p, 2.3).f]
    [1.23, 1.623, 7.137, 2.372]
    """
    b, w = params
    h, fs, hs = jnp.asarray(x, b.dtype), [], []
    for k, (g, _) in enumerate(_STAGES):
        f = b[k] + w[k] * h
        h = g(f)
        fs.append(f)
        hs.append(h)
    return CompositeForward(jnp.stack(fs), jnp.stack(hs), b[4] + w[4] * h)


def composite_backward(params: Composite, x, fwd: CompositeForward | None = None) -> CompositeBackward:
    """The backward pass by the chain rule, from ``dy/dh_4 = omega_4`` down to ``dy/df_0``.

    >>> p = Composite(jnp.array([1.0, 2.0, -3.0, 0.4, -0.3]), jnp.array([0.1, -0.4, 2.0, 3.0, -0.5]))
    >>> [round(float(v), 3) for v in composite_backward(p, 2.3).dy_df]
    [-0.646, 4.83, 0.476, -0.211]
    """
    b, w = params
    fwd = composite_forward(params, x) if fwd is None else fwd
    dy_dh, dy_df = [None] * 4, [None] * 4
    grad_h = w[4]  # dy/dh_4
    for k in range(3, -1, -1):
        dy_dh[k] = grad_h
        dy_df[k] = grad_h * _STAGES[k][1](fwd.f[k])  # dy/df_k = dy/dh_{k+1} g_k'(f_k)
        grad_h = dy_df[k] * w[k]  # dy/dh_k (for k = 0 this is dy/dx)
    dy_df = jnp.stack(dy_df)
    dy_df_all = jnp.concatenate([dy_df, jnp.ones((1,), b.dtype)])  # and dy/df_4 = dy/dy = 1
    h_in = jnp.concatenate([jnp.asarray(x, b.dtype)[None], fwd.h])  # h_0 = x, h_1..h_4
    return CompositeBackward(dy_df, jnp.stack(dy_dh), Composite(beta=dy_df_all, omega=dy_df_all * h_in))


def composite_omega0(params: Composite, x) -> Array:
    """The notebook's closed-form ``dy/domega_0`` (the "nightmare" expression it checks by finite differences).

    >>> p = Composite(jnp.array([1.0, 2.0, -3.0, 0.4, -0.3]), jnp.array([0.1, -0.4, 2.0, 3.0, -0.5]))
    >>> round(float(composite_omega0(p, 2.3)), 3)
    -1.485
    """
    b, w = params
    inner = w[1] * jnp.sin(b[0] + w[0] * x) + b[1]
    return (-w[1] * w[2] * w[3] * w[4] * x * jnp.cos(b[0] + w[0] * x) * jnp.exp(inner)
            * jnp.sin(w[2] * jnp.exp(inner) + b[2]) / (w[3] * jnp.cos(w[2] * jnp.exp(inner) + b[2]) + b[3]))


class ReluBackward(NamedTuple):
    """Result of :func:`relu_backward` for one example.

    Attributes:
      grads: ``dL/dparams`` as a :class:`jdl.nn.DeepMLP` (the notebook's ``all_dl_dweights``, ``all_dl_dbiases``).
      dl_df: ``(K, D)`` ``dL/df_k`` of the hidden pre-activations ``f_0..f_{K-1}``.
      dl_dout: ``(d_out,)`` ``dL/df_K``, the output's derivative ``2 (f_K - y)``.
      dl_dh: ``(K, D)`` ``dL/dh_k`` of the activations ``h_1..h_K``.
      dl_dx: ``(d_in,)`` ``dL/dh_0``, the input's.
      output: ``(d_out,)`` the network's output ``f_K``.
      loss: ``()`` the loss.
    """

    grads: DeepMLP
    dl_df: Array
    dl_dout: Array
    dl_dh: Array
    dl_dx: Array
    output: Array
    loss: Array


def relu_loss(net: DeepMLP, x: Array, y: Array) -> Array:
    """Gradients II's ``least_squares_loss(net_output, y) = sum((f_K - y)^2)`` of one example ``x (d_in,)``.

    >>> from jdl.nn import init_deep_mlp
    >>> relu_loss(init_deep_mlp(jax.random.key(0), 2, 3), jnp.ones(1), jnp.zeros(1)).shape
    ()
    """
    out, _, _ = deep_mlp_forward(net, x, "relu")
    return losses.squared_error(pred=out, target=y)


def relu_backward(net: DeepMLP, x: Array, y: Array) -> ReluBackward:
    """The manual forward and backward pass of one example through a ReLU network (eq. 7.13).

    Forward with :func:`jdl.studies.signal_propagation.propagation.forward`; backward from ``dL/df_K = 2 (f_K - y)``, per layer ``k``
    ``dL/dbeta_k = dL/df_k``, ``dL/dOmega_k = dL/df_k h_k^T``, ``dL/dh_k = Omega_k^T dL/df_k`` and
    ``dL/df_{k-1} = 1[f_{k-1} >= 0] * dL/dh_k``, the hidden layers in one reverse ``lax.scan``.

    Args:
      net: :class:`jdl.nn.DeepMLP` (``K >= 1`` hidden layers of ``D`` units).
      x: ``(d_in,)`` input; y: ``(d_out,)`` target.

    Returns:
      :class:`ReluBackward`.

    >>> from jdl.nn import init_deep_mlp
    >>> net, x, y = init_deep_mlp(jax.random.key(0), 3, 4), jnp.ones(1), jnp.zeros(1)
    >>> relu_backward(net, x, y).grads.W_hid.shape  # as net.W_hid; equals jax.grad(relu_loss)(net, x, y)
    (2, 4, 4)
    """
    out, f_kd, h_kd = deep_mlp_forward(net, x, "relu")
    dtype = f_kd.dtype
    indicator = lambda f: (f >= 0).astype(dtype)  # noqa: E731  the notebook's indicator_function
    dl_dout = 2 * (out - y)
    dl_dh_last = net.W_out.T @ dl_dout  # dL/dh_K
    dl_df_last = indicator(f_kd[-1]) * dl_dh_last  # dL/df_{K-1}

    def layer(dl_df, p):  # hidden weight Omega_k maps h_k -> f_k, k = K-1 .. 1
        W, h_in, f_in = p
        dl_dh = W.T @ dl_df
        return indicator(f_in) * dl_dh, (jnp.outer(dl_df, h_in), dl_df, dl_dh)

    dl_df_0, (dW_hid, db_hid, dl_dh_hid) = jax.lax.scan(
        layer, dl_df_last, (net.W_hid, h_kd[:-1], f_kd[:-1]), reverse=True)
    grads = DeepMLP(W_in=jnp.outer(dl_df_0, x), b_in=dl_df_0, W_hid=dW_hid, b_hid=db_hid,
                W_out=jnp.outer(dl_dout, h_kd[-1]), b_out=dl_dout)
    dl_df = jnp.concatenate([dl_df_0[None], db_hid])  # dL/df_0, then dL/df_1..f_{K-1}
    dl_dh = jnp.concatenate([dl_dh_hid, dl_dh_last[None]])  # dL/dh_1..h_{K-1}, then dL/dh_K
    loss = losses.squared_error(pred=out, target=y)
    return ReluBackward(grads, dl_df, dl_dout, dl_dh, net.W_in.T @ dl_df_0, out, loss)


