"""The container every loader returns, and transformations of it."""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["Dataset", "label_noise"]


class Dataset(NamedTuple):
    """Train/test split (a pytree, so it can be vmapped or passed through ``jit``).

    Attributes:
      x_train: ``(n, d)`` inputs.
      y_train: ``(n,)`` or ``(n, k)`` targets.
      x_test: ``(m, d)``.
      y_test: ``(m,)`` or ``(m, k)``.
      w_train: optional ``(n,)`` 0/1 weights: which rows are real when a dataset-size sweep pads
        every member to the largest ``n``. ``None`` means all rows count.
    """

    x_train: Any
    y_train: Any
    x_test: Any
    y_test: Any
    w_train: Any = None

    @property
    def n_train(self) -> int:
        return self.x_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.x_test.shape[0]


def label_noise(key: jax.Array, y_n: jax.Array, p) -> jax.Array:
    """Flip the sign of each ``+-1`` label independently with probability ``p`` (may be traced).

    Nakkiran et al. (2020) use label noise to make the interpolation peak of SGD visible.
    """
    flip = jax.random.bernoulli(key, p, jnp.shape(y_n))
    return jnp.where(flip, -y_n, y_n)
