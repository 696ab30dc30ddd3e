"""Signal propagation at initialisation: exploding and vanishing activations and gradients.

The network of udlbook's CM20315 Gradients III ("Initialization") notebook: a scalar input, ``K``
hidden layers of ``D`` units, a scalar output, every weight ``N(0, sigma^2)`` (the *raw*
variance, not ``sigma^2 / fan_in``), biases zero, least-squares loss ``sum((out - y)^2)`` with
``y = 0``. Per hidden layer ``k = 1..K`` it measures (``np.var`` over units and examples, as the
notebook's ``np.std``):

* ``forward_var[k-1]``: the activations ``h_k = act(f_k)``;
* ``grad_f_var[k-1]``: ``dL/df_k``, the pre-activation gradients (what the notebook aggregates
  as ``all_dl_df`` and prints as "std of dl_dh");
* ``grad_h_var[k-1]``: ``dL/dh_k``.

For ReLU each layer multiplies the forward second moment by ``sigma^2 D / 2`` (and the backward one
by the same factor on the way down), so He's ``sigma^2 = 2/D`` separates explosion from vanishing;
for tanh the small-signal gain is ``sigma^2 D`` and LeCun's ``1/D`` is the edge.

Weights are drawn once per key as ``N(0, 1)`` and scaled by ``sqrt(sigma^2)``, so every
``sigma^2`` of a sweep sees the same draw (common random numbers, as the notebook's
``np.random.seed(0)`` gives). A ``sigma^2`` may be one scalar or three (first, hidden, last layer)
for fan-dependent schemes (:func:`layer_sigma_sq`); either way it is a traced value, so one
compiled program serves the whole grid. Run in float64: at depth 50 the variances span more than
the float32 range (``(1/8)^50`` underflows, ``4^100`` overflows).

References:
  Prince, *Understanding Deep Learning* (2023), section 7.5 and notebook 7.3.
  He et al., "Delving deep into rectifiers", ICCV 2015. Glorot & Bengio, AISTATS 2010.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl import sweep
from jdl.nn import (
    ACTIVATIONS,
    DeepMLP,
    deep_mlp_forward,
    init_deep_mlp,
    init_W_std,
    scale_deep_mlp,
)
from jdl.precision import precision

Array = jax.Array

__all__ = ["Stats", "layer_sigma_sq", "signal_stats",
           "member_stats", "propagation_sweep", "growth_rate", "critical_sigma_sq", "relu_gain"]


class Stats(NamedTuple):
    """Per-layer variances, each ``(..., K)`` for hidden layers ``1..K`` (``output_var``: ``(...)``)."""

    forward_var: Array
    grad_f_var: Array
    grad_h_var: Array
    output_var: Array


def layer_sigma_sq(scheme: str, D: int, d_in: int = 1, d_out: int = 1) -> np.ndarray:
    """Weight variances ``W_std^2 / fan_in`` of an init scheme for the (first, hidden, last) layers.

    For the square ``D x D`` layers Glorot's ``2 / (fan_in + fan_out)`` equals LeCun's ``1/D``;
    the two differ only at the first and last layers.

    >>> (layer_sigma_sq("he", 80) * 80).round(3).tolist()
    [160.0, 2.0, 1.0]
    """
    fans = [(d_in, D), (D, D), (D, d_out)]
    # the readout is linear: He's factor 2 corrects for a ReLU that the last layer does not have
    last = "lecun" if scheme == "he" else scheme
    return np.asarray([float(init_W_std(s, i, o)) ** 2 / i for s, (i, o) in zip((scheme, scheme, last), fans)])


def signal_stats(net: DeepMLP, x_nd: Array, activation: str = "relu", y: float = 0.0) -> Stats:
    """Per-layer variances of activations and of the least-squares gradients over a batch.

    The backward pass is ``jax.grad`` of the summed loss ``sum_n sum((out_n - y)^2)`` with respect
    to zero perturbations of every pre-activation and activation: examples do not interact, so
    its gradient is each example's own ``dL/df`` and ``dL/dh`` (the notebook's per-example loop).

    Args:
      net: parameters.
      x_nd: ``(n, d_in)`` inputs.
      activation: nonlinearity name.
      y: regression target of every example (the notebook uses 0).

    Returns:
      :class:`Stats` with ``(K,)`` variances over ``(n, D)`` per layer.

    >>> net = scale_deep_mlp(init_deep_mlp(jax.random.key(0), K=50, D=80), 2 / 80)
    >>> s = signal_stats(net, jax.random.normal(jax.random.key(1), (100, 1)))
    >>> s.forward_var.shape, bool(1 / 3 < s.forward_var[-1] / s.forward_var[0] < 3)
    ((50,), True)
    """
    n, K, D = x_nd.shape[0], net.W_hid.shape[0] + 1, net.b_in.shape[0]
    batched = jax.vmap(deep_mlp_forward, in_axes=(None, 0, None, 0, 0))

    def total_loss(eps_f, eps_h):
        out, f, h = batched(net, x_nd, activation, eps_f, eps_h)
        return jnp.sum((out - y) ** 2), (out, h)

    zeros = jnp.zeros((n, K, D), x_nd.dtype)
    (g_f, g_h), (out, h) = jax.grad(total_loss, argnums=(0, 1), has_aux=True)(zeros, zeros)
    var = lambda a: jnp.var(a, axis=(0, 2))  # noqa: E731  over examples and units, per layer
    return Stats(var(h), var(g_f), var(g_h), jnp.var(out))


def member_stats(key: Array, sigma_sq, *, K: int, D: int, n_data: int, activation: str = "relu",
                 d_in: int = 1, dtype=jnp.float64) -> Stats:
    """One sweep member: draw unit weights and ``n_data`` inputs ``N(0, 1)`` from ``key``, scale, measure.

    Everything drawn depends on ``key`` only, so members of one seed share weights and data.

    >>> s = member_stats(jax.random.key(0), 2 / 8, K=3, D=8, n_data=5, dtype=jnp.float32)
    >>> s.forward_var.shape, s.grad_h_var.shape
    ((3,), (3,))
    """
    k_net, k_x = jax.random.split(key)
    net = scale_deep_mlp(init_deep_mlp(k_net, K, D, d_in, 1, dtype), sigma_sq)
    x_nd = jax.random.normal(k_x, (n_data, d_in), dtype)
    return signal_stats(net, x_nd, activation)


def propagation_sweep(seeds: Sequence[int], sigma_sq, *, K: int, D: int, n_data: int, activation: str = "relu",
                      d_in: int = 1, dtype=jnp.float64, points_per_call: int | None = None,
                      progress: bool = False) -> Stats:
    """Every seed x ``sigma^2`` in one compiled program (:func:`jdl.sweep.run`), as NumPy arrays.

    Args:
      seeds: integer seeds (each draws its own weights and its own input batch).
      sigma_sq: ``(G,)`` weight variances, or ``(G, 3)`` per (first, hidden, last) layer.
      K, D, n_data, activation, d_in: network and batch (static).
      dtype: ``jnp.float64`` (default; x64 is enabled for this computation only) or ``jnp.float32``.
      points_per_call: (seed, ``sigma^2``) points per compiled call; each holds about
        ``6 n K D`` floats (activations, masks, gradients). Default: what fits in ~2 GiB.
      progress: progress bar over calls.

    Returns:
      :class:`Stats` with leaves ``(S, G, K)`` (``output_var``: ``(S, G)``).

    >>> st = propagation_sweep([0, 1], np.asarray([1.0, 2.0, 4.0]) / 8, K=3, D=8, n_data=5)
    >>> st.forward_var.shape, str(st.forward_var.dtype)
    ((2, 3, 3), 'float64')
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: unknown {activation!r}; expected one of {sorted(ACTIVATIONS)}")
    s = np.asarray(sigma_sq, np.float64)
    if s.ndim not in (1, 2) or (s.ndim == 2 and s.shape[1] != 3) or s.size == 0 or not np.all(s > 0):
        raise ValueError(f"sigma_sq: need positive (G,) or (G, 3) values, got shape {s.shape}")
    G = s.shape[0]
    if points_per_call is None:
        points_per_call = max(1, (2 << 30) // (6 * n_data * K * D * jnp.dtype(dtype).itemsize))
    # a call evaluates chunk_size seeds x grid_block sigmas (one compile for every call)
    grid_block = min(G, max(1, points_per_call))
    chunk_size = max(1, points_per_call // grid_block)
    with precision(dtype):  # x64 only inside (float64): the rest of jdl stays float32
        def train(key, hp):
            return member_stats(key, hp["sigma_sq"], K=K, D=D, n_data=n_data, activation=activation, d_in=d_in,
                                dtype=dtype)

        out = sweep.run(train, seeds, {"sigma_sq": s}, grid_block=grid_block, chunk_size=chunk_size, progress=progress,
                        desc=f"signal {activation}")
    return Stats(*out)


def growth_rate(var_gk: np.ndarray, backward: bool = False) -> np.ndarray:
    """Least-squares slope of ``log10 var`` over layers, in decades per layer along the signal's path.

    Forward signals travel ``1 -> K``, gradients ``K -> 1`` (``backward=True`` flips the sign), so
    > 0 is explosion and < 0 vanishing either way.

    Args:
      var_gk: ``(..., K)`` variances per layer.
      backward: the variances are of gradients.

    Returns:
      ``(...)`` rates (NaN for ``K = 1``).

    >>> growth_rate(np.asarray([1.0, 10.0, 100.0])).item()
    1.0
    """
    log_v = np.log10(np.asarray(var_gk, np.float64))
    if log_v.shape[-1] < 2:  # one layer has no slope
        return np.full(log_v.shape[:-1], np.nan)
    k = np.arange(log_v.shape[-1], dtype=np.float64)
    k = k - k.mean()
    slope = (log_v * k).sum(-1) / (k * k).sum()
    return -slope if backward else slope


def critical_sigma_sq(sigma_sq_g: np.ndarray, rate_g: np.ndarray) -> float:
    """The ``sigma^2`` where the growth rate first crosses zero from below (log-linear interpolation).

    Args:
      sigma_sq_g: ``(G,)`` increasing weight variances.
      rate_g: ``(G,)`` growth rates (:func:`growth_rate`).

    Returns:
      The crossing, or NaN if the rate does not change sign on the grid.

    >>> critical_sigma_sq(np.asarray([1.0, 4.0]), np.asarray([-1.0, 1.0]))
    2.0
    """
    s, r = np.log(np.asarray(sigma_sq_g, np.float64)), np.asarray(rate_g, np.float64)
    if np.any(np.diff(s) <= 0):
        raise ValueError("sigma_sq_g: must be strictly increasing")
    idx = np.flatnonzero((r[:-1] < 0) & (r[1:] >= 0))
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    t = -r[i] / (r[i + 1] - r[i])
    return float(np.exp(s[i] + t * (s[i + 1] - s[i])))


def relu_gain(sigma_sq, D: int):
    """Mean-field factor ``sigma^2 D / 2`` by which a ReLU layer multiplies the signal's second moment.

    >>> relu_gain(2 / 80, 80)
    1.0
    """
    return sigma_sq * D / 2
