"""The networks of the linear-regions study: Telgarsky's sawtooth, its perturbations, random ReLU nets.

Every builder returns the ``(first, stacked block, last)`` layers of :mod:`jdl.analysis.pieces`, the block
padded to ``max_depth`` with inactive layers, so nets of every depth stack and vmap into one counter call.

References:
  Telgarsky, "Benefits of depth in neural networks" (COLT 2016); Montufar et al. (NeurIPS 2014);
  Hanin & Rolnick, "Complexity of linear regions in deep networks" (ICML 2019).
"""
from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl.analysis.pieces import active_layers
from jdl.nn import init_W_std

__all__ = ["regions_bound", "sawtooth", "noisy_sawtooth", "random_middle_sawtooth", "random_net"]


def regions_bound(widths: Sequence[int]) -> int:
    """Bound on activation regions on a line: a layer's ``w`` units cross zero at most once per segment.

    >>> regions_bound([2, 2, 2])
    27
    """
    return int(np.prod([w + 1 for w in widths]))


# --- networks -----------------------------------------------------------------------------------
_SAW_IN, _SAW_MID_W, _SAW_MID_B, _SAW_OUT_W, _SAW_OUT_B = [[1], [-1]], [[2, 2], [-2, -2]], [-2, 2], [[2, 2]], [-2]


def _saw_block(depth, max_depth, dtype, mid_W=None, mid_b=None):
    L = depth if max_depth is None else max_depth
    if mid_W is None:
        mid_W = jnp.broadcast_to(jnp.asarray(_SAW_MID_W, dtype), (L - 1, 2, 2))
        mid_b = jnp.broadcast_to(jnp.asarray(_SAW_MID_B, dtype), (L - 1, 2))
    return ({"W": jnp.asarray(_SAW_IN, dtype), "b": jnp.zeros(2, dtype)},
            {"W": mid_W, "b": mid_b, "active": active_layers(depth, L, dtype)},
            {"W": jnp.asarray(_SAW_OUT_W, dtype), "b": jnp.asarray(_SAW_OUT_B, dtype)})


def sawtooth(depth, *, max_depth: int | None = None, dtype=jnp.float32) -> tuple:
    """Sawtooth network with ``depth`` ReLU layers of 2 units: ``f_L = 2 |f_{L-1}| - 2``, ``f_0 = x``.

    Input layer ``W = [[1], [-1]]`` (no bias), middle layers ``W = [[2, 2], [-2, -2]]``,
    ``b = [-2, 2]``, output ``W = [[2, 2]]``, ``b = [-2]``: ``2^depth`` pieces on ``[-2, 2]``.
    ``depth`` may be traced when ``max_depth`` (static) is given; layers past it are inactive.
    Returns ``(first, middle, last)``, ``middle["W"]`` of shape ``(max_depth - 1, 2, 2)``.

    >>> from jdl.analysis.pieces import evaluate
    >>> [float(evaluate(sawtooth(2), x)[0]) for x in (-2.0, -1.0, 0.0, 0.5)]
    [2.0, -2.0, 2.0, 0.0]
    """
    return _saw_block(depth, max_depth, dtype)


def noisy_sawtooth(key, depth, noise_level, *, max_depth: int | None = None, dtype=jnp.float32) -> tuple:
    """Sawtooth whose middle weights and biases get ``noise_level * N(0, 1)`` added (input and output
    layers exact, as in the assignment's ``noisy_sawtooth_middle_layer``). ``noise_level`` may be traced.

    >>> p = noisy_sawtooth(jax.random.key(0), 3, 0.0)
    >>> bool(jnp.all(p[1]["W"] == sawtooth(3)[1]["W"]))
    True
    """
    first, mid, last = _saw_block(depth, max_depth, dtype)
    kw, kb = jax.random.split(key)
    noisy = {"W": mid["W"] + noise_level * jax.random.normal(kw, mid["W"].shape, dtype),
             "b": mid["b"] + noise_level * jax.random.normal(kb, mid["b"].shape, dtype)}
    return first, {**mid, **noisy}, last


def _draw(key, shape, fan_in, init: str, b_std, dtype):
    """``(W, b)``: ``init="torch"`` is PyTorch's ``nn.Linear`` default (W, b ~ U(+-1/sqrt(fan_in)));
    ``"he"`` is ``W ~ N(0, 2 / fan_in)`` (``jdl.nn.init_W_std``), ``b ~ N(0, b_std^2)``."""
    kw, kb, fan_in = *jax.random.split(key), jnp.asarray(fan_in, dtype)
    if init == "torch":
        bound = 1 / jnp.sqrt(fan_in)
        return (jax.random.uniform(kw, shape, dtype, -bound, bound),
                jax.random.uniform(kb, shape[:-1], dtype, -bound, bound))
    if init == "he":
        std = init_W_std("he", fan_in, None).astype(dtype) / jnp.sqrt(fan_in)
        return std * jax.random.normal(kw, shape, dtype), b_std * jax.random.normal(kb, shape[:-1], dtype)
    raise ValueError(f"init: expected 'torch' or 'he', got {init!r}")


def random_middle_sawtooth(key, depth, *, max_depth: int | None = None, init: str = "torch",
                           b_std=1.0, dtype=jnp.float32) -> tuple:
    """Sawtooth input/output layers around fully random 2x2 middle layers (``init`` as :func:`random_net`)."""
    W, bias = _draw(key, (((depth if max_depth is None else max_depth) - 1), 2, 2), 2, init, b_std, dtype)
    return _saw_block(depth, max_depth, dtype, W, bias)


def random_net(key, depth, width, *, max_depth: int | None = None, max_width: int | None = None,
               init: str = "he", b_std=1.0, dtype=jnp.float32) -> tuple:
    """A random ``1 -> width x depth -> 1`` ReLU net at standard init, padded to ``max_width`` and
    ``max_depth`` (zero units and inactive layers) so depth and width may be traced.

    Args:
      init: ``"he"`` (``W ~ N(0, 2 / fan_in)``, ``b ~ N(0, b_std^2)``; the readout too) or ``"torch"``
        (PyTorch default: ``W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``), with the true fan-in.

    Returns:
      ``(first (W, 1), middle (max_depth - 1, W, W), last (1, W))`` with ``W = max_width``.

    >>> p = random_net(jax.random.key(0), 2, 3, max_depth=4, max_width=8)
    >>> p[1]["W"].shape, p[1]["active"].tolist()
    ((3, 8, 8), [1.0, 0.0, 0.0])
    """
    L, H = (depth if max_depth is None else max_depth), (width if max_width is None else max_width)
    unit = (jnp.arange(H, dtype=jnp.int32) < jnp.asarray(width).astype(jnp.int32)).astype(dtype)
    k1, k2, k3 = jax.random.split(key, 3)
    (W1, b1), (Wm, bm), (Wo, bo) = (_draw(k1, (H, 1), 1, init, b_std, dtype),
                                    _draw(k2, (L - 1, H, H), width, init, b_std, dtype),
                                    _draw(k3, (1, H), width, init, b_std, dtype))
    return ({"W": W1 * unit[:, None], "b": b1 * unit},
            {"W": Wm * unit[:, None] * unit, "b": bm * unit, "active": active_layers(depth, L, dtype)},
            {"W": Wo * unit, "b": bo})
