"""Per-example, unreduced losses with keyword arguments; callers reduce.

Each loss takes the prediction for **one example** (or a batch: leading axes broadcast) and returns
one value per example, so that masked and weighted reductions (padded dataset sizes, the last
partial minibatch) stay the caller's choice; see :func:`weighted_mean`.

The last axis of a prediction is the example's output axis and is reduced (a scalar prediction is
its own output): a batch of scalar outputs is passed as ``(n, 1)`` (or vmapped), not as ``(n,)``.

Likelihoods (Prince, *Understanding Deep Learning*, ch. 5): :func:`gaussian_nll` (regression; with
a fixed ``sigma`` it is ``squared_error / (2 sigma^2)`` plus a constant, so least squares is maximum
likelihood), :func:`bernoulli_nll` (binary classification, from logits or probabilities) and
:func:`categorical_nll` (multiclass). ``exp(-nll)`` is the probability of the example.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

Array = jax.Array

__all__ = ["mse", "squared_error", "softmax_xent", "nll", "gaussian_nll", "bernoulli_nll", "categorical_nll",
           "sign_error", "weighted_mean"]

_HALF_LOG_2PI = 0.9189385332046727  # log(2 pi) / 2


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


def _reduce_output(v: Array) -> Array:
    return jnp.sum(v, axis=-1) if v.ndim else v


def gaussian_nll(*, pred: Array, target: Array, sigma) -> Array:
    """Negative log-likelihood of ``target`` under ``N(pred, sigma^2)``, summed over the output axis.

    ``-log N(y; mu, sigma^2) = (y - mu)^2 / (2 sigma^2) + log(sigma) + log(2 pi) / 2`` per output
    (Prince eq. 5.7-5.10).

    Args:
      pred: ``(..., k)`` or ``(...)`` predicted means.
      target: same shape as ``pred``.
      sigma: standard deviation, broadcastable to ``pred`` (a scalar: homoscedastic; per example
        ``(..., 1)`` or per output: heteroscedastic). May be traced.

    >>> round(float(jnp.exp(-gaussian_nll(pred=-1.0, target=1.0, sigma=2.3))), 4)  # N(1; -1, 2.3^2)
    0.1188
    """
    z = (jnp.asarray(target) - jnp.asarray(pred)) / sigma
    return _reduce_output(0.5 * z * z + jnp.log(jnp.asarray(sigma)) + _HALF_LOG_2PI)


def bernoulli_nll(*, labels: Array, logits: Array | None = None, probs: Array | None = None) -> Array:
    """Binary cross-entropy ``-[y log lambda + (1 - y) log(1 - lambda)]``, summed over the output axis.

    Give exactly one of ``logits`` (``lambda = sigmoid(logits)``; computed stably as
    ``softplus(logits) - y logits`` via ``optax.sigmoid_binary_cross_entropy``, finite for any
    logit) or ``probs`` (``lambda`` itself; ``0 log 0 = 0``, so ``lambda = 1`` with ``y = 1`` costs 0
    and with ``y = 0`` costs ``inf``). Prince eq. 5.17-5.20.

    Args:
      labels: ``{0, 1}`` (or soft targets in ``[0, 1]``), same shape as the logits/probabilities.
      logits: ``(..., k)`` or ``(...)``: ``k`` independent binary outputs per example.
      probs: ``(..., k)`` or ``(...)`` probabilities ``Pr(y = 1)``.

    >>> [round(float(jnp.exp(-bernoulli_nll(probs=0.2, labels=y))), 4) for y in (0, 1)]
    [0.8, 0.2]
    >>> float(bernoulli_nll(logits=jnp.array([200.0]), labels=jnp.array([0.0])))  # no overflow
    200.0
    """
    if (logits is None) == (probs is None):
        raise ValueError("bernoulli_nll: give exactly one of logits= or probs=")
    if logits is not None:
        logits = jnp.asarray(logits)
        y = jnp.asarray(labels).astype(logits.dtype)
        return _reduce_output(optax.sigmoid_binary_cross_entropy(logits, y))
    probs = jnp.asarray(probs)
    y = jnp.asarray(labels).astype(probs.dtype)
    xlogy = jax.scipy.special.xlogy
    return _reduce_output(-(xlogy(y, probs) + xlogy(1 - y, 1 - probs)))


def categorical_nll(*, labels: Array, logits: Array | None = None, probs: Array | None = None) -> Array:
    """Multiclass negative log-likelihood ``-log lambda_y`` over the class axis (Prince eq. 5.22-5.24).

    Give exactly one of ``logits`` (``lambda = softmax(logits)``: :func:`softmax_xent`, stable) or
    ``probs`` (``lambda`` itself, e.g. a softmax already applied: :func:`nll` of ``log(probs)``).

    Args:
      labels: ``(...)`` integer classes.
      logits: ``(..., c)`` unnormalised log-probabilities.
      probs: ``(..., c)`` class probabilities.

    >>> lam = jnp.array([0.2, 0.5, 0.3])
    >>> [round(float(jnp.exp(-categorical_nll(probs=lam, labels=k))), 4) for k in (0, 1, 2)]
    [0.2, 0.5, 0.3]
    """
    if (logits is None) == (probs is None):
        raise ValueError("categorical_nll: give exactly one of logits= or probs=")
    if logits is not None:
        return softmax_xent(logits=logits, labels=labels)
    return nll(log_probs=jnp.log(jnp.asarray(probs)), labels=labels)


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

