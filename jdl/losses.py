"""Per-example, unreduced losses with keyword arguments; callers reduce.

Each loss takes the prediction for **one example** (or a batch: leading axes broadcast) and returns
one value per example, so that masked and weighted reductions (padded dataset sizes, the last
partial minibatch) stay the caller's choice; see :func:`weighted_mean`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

Array = jax.Array

__all__ = ["mse", "squared_error", "softmax_xent", "nll", "zero_one", "sign_error", "weighted_mean"]


def squared_error(*, pred: Array, target: Array) -> Array:
    """Sum of squared errors over the output axis: ``sum_k (pred_k - target_k)**2``.

    Args:
      pred: ``(..., k)`` or ``(...)`` predictions.
      target: same shape as ``pred``.

    >>> float(squared_error(pred=jnp.array([1.0, 2.0]), target=jnp.array([0.0, 0.0])))
    5.0
    """
    d = jnp.asarray(pred) - jnp.asarray(target)
    return jnp.sum(d * d, axis=-1) if d.ndim else d * d


def mse(*, pred: Array, target: Array) -> Array:
    """Mean squared error of one example, averaged over its output axis.

    For scalar outputs this is ``(pred - target)**2``; reduced by the mean over examples it is the
    assignment's ``mean((Phi a - y)**2)`` and PyTorch's ``MSELoss()``.

    >>> float(mse(pred=jnp.array([1.0, 3.0]), target=jnp.array([0.0, 0.0])))
    5.0
    """
    d = jnp.asarray(pred) - jnp.asarray(target)
    return jnp.mean(d * d, axis=-1) if d.ndim else d * d


def softmax_xent(*, logits: Array, labels: Array) -> Array:
    """Softmax cross-entropy with integer labels (``optax.softmax_cross_entropy_with_integer_labels``).

    Args:
      logits: ``(..., c)`` unnormalised log-probabilities.
      labels: ``(...)`` integer class labels.

    >>> round(float(softmax_xent(logits=jnp.zeros(4), labels=jnp.array(2))), 4)  # log 4
    1.3863
    """
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels)


def nll(*, log_probs: Array, labels: Array) -> Array:
    """Negative log-likelihood of integer labels under given log-probabilities ``(..., c)``.

    >>> round(float(nll(log_probs=jnp.log(jnp.array([0.5, 0.25, 0.25])), labels=jnp.array(0))), 4)
    0.6931
    """
    return -jnp.take_along_axis(log_probs, jnp.asarray(labels)[..., None], axis=-1)[..., 0]


def zero_one(*, logits: Array, labels: Array) -> Array:
    """Classification error (1 if the arg-max class is wrong)."""
    return (jnp.argmax(logits, axis=-1) != labels).astype(jnp.float32)


def sign_error(*, pred: Array, target: Array) -> Array:
    """Error of ``sign(pred)`` against ``+-1`` targets (binary classification by regression)."""
    p = jnp.squeeze(jnp.asarray(pred), -1) if jnp.ndim(pred) > jnp.ndim(target) else pred
    return (jnp.sign(p) != jnp.sign(target)).astype(jnp.float32)


def weighted_mean(values_n: Array, weights_n: Array | None = None) -> Array:
    """Mean of per-example values with 0/1 (or real) weights, divided by the true count.

    Zero total weight gives 0 rather than NaN (an all-padding minibatch).
    """
    if weights_n is None:
        return jnp.mean(values_n)
    total = jnp.sum(weights_n)
    return jnp.sum(values_n * weights_n) / jnp.where(total > 0, total, 1.0)

