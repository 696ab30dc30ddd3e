"""Training as one pure function: ``train = make_train(...)``; ``jit(vmap(train))(keys, ...)``.

The whole run (epochs x minibatches, reshuffled by key every epoch) is a ``lax.scan``, so a sweep
over seeds and hyperparameters is ``vmap`` of it (see :mod:`jdl.sweep`). Minibatching follows
PyTorch's ``DataLoader(shuffle=True)``: a fresh permutation each epoch and a smaller last batch
(here: padded with zero-weight rows, so its loss is the mean over its true examples).

Padded datasets (a dataset-size sweep) carry 0/1 weights in ``Dataset.w_train``; the permutation
puts real rows first, losses divide by the true count, and a minibatch with no real rows leaves
the state untouched (so momentum or Adam do not move on padding).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jdl.data import Dataset
from jdl.losses import weighted_mean
from jdl.nn import Model

__all__ = ["TrainState", "make_step", "evaluate", "make_train", "epoch_batches"]

Params = Any
LossFn = Callable[[jax.Array, jax.Array], jax.Array]  # (output, target) -> per-example value


class TrainState(NamedTuple):
    """Parameters, optimiser state and the number of steps taken."""

    params: Params
    opt_state: optax.OptState
    step: jax.Array


def make_step(model: Model, loss: LossFn, tx: optax.GradientTransformation):
    """One optimiser step on a minibatch.

    Args:
      model: ``Model``; ``model.apply`` works on one example.
      loss: ``loss(output, target)`` per example (e.g. ``lambda o, y: losses.mse(pred=o, target=y)``).
      tx: optax transformation.

    Returns:
      ``step(state, x_bd, y_b, w_b=None) -> (state, batch_loss)``; ``w_b`` are per-example weights
      (the loss is their weighted mean; an all-zero batch leaves ``state`` unchanged).
    """

    def batch_loss(params, x_bd, y_b, w_b):
        per_example = jax.vmap(lambda x, y: loss(model.apply(params, x), y))(x_bd, y_b)
        return weighted_mean(per_example, w_b)

    def step(state: TrainState, x_bd, y_b, w_b=None):
        value, grads = jax.value_and_grad(batch_loss)(state.params, x_bd, y_b, w_b)
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        new = TrainState(optax.apply_updates(state.params, updates), opt_state, state.step + 1)
        if w_b is not None:  # an all-padding batch must not move the optimiser
            keep = jnp.sum(w_b) > 0
            new = jax.tree_util.tree_map(lambda a, b: jnp.where(keep, a, b), new, state)
        return new, value

    return step


def evaluate(model: Model, loss: LossFn, params: Params, x_nd, y_n, w_n=None,
             metrics: Mapping[str, LossFn] | None = None) -> dict[str, jax.Array]:
    """Mean loss (and extra per-example metrics) over a whole set, weighted by ``w_n`` if given."""
    out = jax.vmap(lambda x: model.apply(params, x))(x_nd)
    res = {"loss": weighted_mean(jax.vmap(loss)(out, y_n), w_n)}
    for name, fn in (metrics or {}).items():
        res[name] = weighted_mean(jax.vmap(fn)(out, y_n), w_n)
    return res


def epoch_batches(key: jax.Array, n: int, batch_size: int, w_n=None) -> tuple[jax.Array, jax.Array]:
    """Shuffled minibatch indices ``(steps, batch_size)`` and weights for one epoch.

    ``steps = ceil(n / batch_size)``; the tail of the last batch is zero-weight padding. With
    ``w_n`` (0/1 validity of padded rows) the real rows come first in random order.
    """
    steps = -(-n // batch_size)
    if w_n is None:
        perm = jax.random.permutation(key, n)
        valid = jnp.ones(n)
    else:
        u = jax.random.uniform(key, (n,))
        perm = jnp.argsort(jnp.where(w_n > 0, u, 2.0 + u))
        valid = (w_n[perm] > 0).astype(jnp.float32)
    extra = steps * batch_size - n
    idx = jnp.concatenate([perm, jnp.zeros(extra, perm.dtype)])
    w = jnp.concatenate([valid, jnp.zeros(extra)])
    return idx.reshape(steps, batch_size), w.reshape(steps, batch_size)


def make_train(model: Model | Callable[[Mapping], Model], loss: LossFn,
               tx: optax.GradientTransformation | Callable[[Mapping], optax.GradientTransformation], *,
               epochs: int, batch_size: int, eval_every: int = 1,
               metrics: Mapping[str, LossFn] | None = None):
    """Build ``train(key, data, hparams=None, params=None) -> (TrainState, history)``.

    Args:
      model: a ``Model``, or ``model(hparams) -> Model`` when the sweep varies it (widths, scales).
      loss: per-example ``loss(output, target)``.
      tx: an optax transformation, or ``tx(hparams)`` (e.g. ``lambda h: optax.sgd(h["lr"])``).
      epochs: passes over the training set (static).
      batch_size: minibatch size (static); ``batch_size >= n`` is full-batch gradient descent.
      eval_every: record metrics every this many epochs (``epochs`` must be a multiple).
      metrics: extra per-example functions ``(output, target) -> value`` averaged on train and test.

    Returns:
      ``train``. ``history`` holds ``epoch`` ``(E + 1,)`` (0 = before training) and
      ``train_loss``, ``test_loss`` and ``train_<m>``, ``test_<m>`` for each metric, all ``(E + 1,)``
      with ``E = epochs // eval_every``.
    """
    if epochs < 1:
        raise ValueError(f"epochs: must be >= 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size: must be >= 1, got {batch_size}")
    if eval_every < 1 or epochs % eval_every:
        raise ValueError(f"eval_every: must divide epochs={epochs}, got {eval_every}")

    def train(key: jax.Array, data: Dataset, hparams: Mapping | None = None, params: Params | None = None):
        m = model if isinstance(model, Model) else model(hparams)
        t = tx if isinstance(tx, optax.GradientTransformation) else tx(hparams)
        k_init, k_shuffle = jax.random.split(key)
        data = jax.tree_util.tree_map(jnp.asarray, data)  # NumPy inputs (float64 becomes the default float)
        x, y, w = data.x_train, data.y_train, data.w_train
        n = x.shape[0]
        bs = min(batch_size, n)
        if params is None:
            params = m.init(k_init, x.shape[-1])
        state = TrainState(params, t.init(params), jnp.zeros((), jnp.int32))
        step = make_step(m, loss, t)

        def record(params):
            tr = evaluate(m, loss, params, x, y, w, metrics)
            te = evaluate(m, loss, params, data.x_test, data.y_test, None, metrics)
            return {**{f"train_{k}": v for k, v in tr.items()}, **{f"test_{k}": v for k, v in te.items()}}

        def one_epoch(state, k):
            idx, wb = epoch_batches(k, n, bs, w)

            def batch(state, b):
                i, wi = b
                return step(state, x[i], y[i], wi)[0], None

            return jax.lax.scan(batch, state, (idx, wb))[0], None

        def block(state, ks):
            state = jax.lax.scan(one_epoch, state, ks)[0]
            return state, record(state.params)

        keys = jax.random.split(k_shuffle, epochs).reshape(epochs // eval_every, eval_every)
        first = record(params)
        state, hist = jax.lax.scan(block, state, keys)
        history = {k: jnp.concatenate([first[k][None], v]) for k, v in hist.items()}
        history["epoch"] = jnp.arange(0, epochs + 1, eval_every)
        return state, history

    return train
