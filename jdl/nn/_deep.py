"""A deep ReLU-style MLP with square hidden layers stacked and run by one ``lax.scan``.

``d_in -> D x K -> d_out``: one input layer, ``K - 1`` square ``D x D`` hidden layers stored stacked
(``W_hid (K-1, D, D)``), one readout. The parameters are a NamedTuple (:class:`DeepMLP`), so they vmap
over seeds and scales; used by the signal-propagation study and udlbook's hand-written backpropagation.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jdl.nn._dense import ACTIVATIONS

Array = jax.Array

__all__ = ["DeepMLP", "init_deep_mlp", "scale_deep_mlp", "deep_mlp_forward"]


class DeepMLP(NamedTuple):
    """Parameters of the ``d_in -> D x K -> d_out`` network (``y = W x + b`` per layer).

    Attributes:
      W_in: ``(D, d_in)``; b_in: ``(D,)``.
      W_hid: ``(K-1, D, D)``; b_hid: ``(K-1, D)`` (scanned over).
      W_out: ``(d_out, D)``; b_out: ``(d_out,)``.
    """

    W_in: Array
    b_in: Array
    W_hid: Array
    b_hid: Array
    W_out: Array
    b_out: Array


def init_deep_mlp(key: Array, K: int, D: int, d_in: int = 1, d_out: int = 1, dtype=jnp.float32) -> DeepMLP:
    """Unit-variance weights and zero biases; :func:`scale_deep_mlp` sets the variances.

    >>> net = init_deep_mlp(jax.random.key(0), K=4, D=3)
    >>> net.W_in.shape, net.W_hid.shape, net.W_out.shape
    ((3, 1), (3, 3, 3), (1, 3))
    """
    if K < 1 or D < 1:
        raise ValueError(f"K, D: need K >= 1 and D >= 1, got K={K}, D={D}")
    k_in, k_hid, k_out = jax.random.split(key, 3)
    return DeepMLP(W_in=jax.random.normal(k_in, (D, d_in), dtype), b_in=jnp.zeros((D,), dtype),
               W_hid=jax.random.normal(k_hid, (K - 1, D, D), dtype), b_hid=jnp.zeros((K - 1, D), dtype),
               W_out=jax.random.normal(k_out, (d_out, D), dtype), b_out=jnp.zeros((d_out,), dtype))


def scale_deep_mlp(net: DeepMLP, sigma_sq) -> DeepMLP:
    """Multiply the weights by ``sqrt(sigma^2)``: a scalar, or ``(3,)`` for (first, hidden, last).

    >>> net = scale_deep_mlp(init_deep_mlp(jax.random.key(0), 2, 2), jnp.asarray([4.0, 1.0, 1.0]))
    >>> float(net.W_in[0, 0] / init_deep_mlp(jax.random.key(0), 2, 2).W_in[0, 0])
    2.0
    """
    s = jnp.sqrt(jnp.broadcast_to(jnp.asarray(sigma_sq, net.W_in.dtype), (3,)))
    return net._replace(W_in=net.W_in * s[0], W_hid=net.W_hid * s[1], W_out=net.W_out * s[2])


def deep_mlp_forward(net: DeepMLP, x: Array, activation: str = "relu", eps_f: Array | None = None,
            eps_h: Array | None = None) -> tuple[Array, Array, Array]:
    """One example through the network, the hidden layers in one ``lax.scan``.

    Args:
      net: parameters (:class:`DeepMLP`).
      x: ``(d_in,)`` input.
      activation: a name from :data:`jdl.nn.ACTIVATIONS`.
      eps_f, eps_h: optional ``(K, D)`` additive perturbations of the pre-activations and
        activations; zero perturbations whose gradients are ``dL/df`` and ``dL/dh``.

    Returns:
      ``(out (d_out,), f (K, D), h (K, D))``: output, pre-activations, activations.
    """
    act = ACTIVATIONS[activation]
    K, D = net.W_hid.shape[0] + 1, net.b_in.shape[0]
    eps_f = jnp.zeros((K, D), x.dtype) if eps_f is None else eps_f
    eps_h = jnp.zeros((K, D), x.dtype) if eps_h is None else eps_h
    f1 = net.W_in @ x + net.b_in + eps_f[0]
    h1 = act(f1) + eps_h[0]

    def layer(h, p):
        W, b, ef, eh = p
        f = W @ h + b + ef
        h_next = act(f) + eh
        return h_next, (f, h_next)

    hK, (f, h) = jax.lax.scan(layer, h1, (net.W_hid, net.b_hid, eps_f[1:], eps_h[1:]))
    out = net.W_out @ hK + net.b_out
    return out, jnp.concatenate([f1[None], f]), jnp.concatenate([h1[None], h])
