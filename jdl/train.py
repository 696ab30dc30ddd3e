"""Training as one pure function: ``train = make_train(...)``; ``jit(vmap(train))(keys, ...)``.

The whole run (epochs x minibatches, reshuffled by key every epoch) is a ``lax.scan``, so a sweep
over seeds and hyperparameters is ``vmap`` of it (see :mod:`jdl.sweep`). Minibatching follows
PyTorch's ``DataLoader(shuffle=True)``: a fresh permutation each epoch and a smaller last batch
(here: padded with zero-weight rows, so its loss is the mean over its true examples).

Padded datasets (a dataset-size sweep) carry 0/1 weights in ``Dataset.w_train``; the permutation
puts real rows first, losses divide by the true count, and a minibatch with no real rows leaves
the state untouched (so momentum or Adam do not move on padding).

Any :class:`jdl.nn.Model` trains the same way (see :mod:`jdl.nn` for the contract): ``init`` gets one
example's shape ``x.shape[1:]``; a stateful model's state (BatchNorm statistics) is carried in
``TrainState.model_state`` through the scan, updated by every training step and used in evaluation;
a stochastic model (dropout) gets a fresh key every step, ``fold_in(fold_in(key, 1), step)``, and is
evaluated deterministically (``train=False``). Batch statistics see the zero-weight padding rows of
a short last batch: pass ``drop_last=True`` (PyTorch's ``DataLoader(drop_last=True)``) for BatchNorm
models whose batch size does not divide the training set.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jdl.data import Dataset
from jdl.losses import weighted_mean
from jdl.nn import Model, apply_batch, init_variables

__all__ = ["TrainState", "make_step", "evaluate", "make_train", "epoch_batches"]

Params = Any
LossFn = Callable[[jax.Array, jax.Array], jax.Array]  # (output, target) -> per-example value


class TrainState(NamedTuple):
    """Parameters, optimiser state, the number of steps taken and the model's own state (or None)."""

    params: Params
    opt_state: optax.OptState
    step: jax.Array
    model_state: Any = None


def make_step(model: Model, loss: LossFn, tx: optax.GradientTransformation):
    """One optimiser step on a minibatch.

    Args:
      model: any :class:`jdl.nn.Model`.
      loss: ``loss(output, target)`` per example (e.g. ``lambda o, y: losses.mse(pred=o, target=y)``).
      tx: optax transformation.

    Returns:
      ``step(state, x_b, y_b, w_b=None, key=None) -> (state, batch_loss)``; ``w_b`` are per-example
      weights (the loss is their weighted mean; an all-zero batch leaves ``state`` unchanged); ``key``
      drives a stochastic model's randomness (dropout) in this step.
    """
    plain = not (model.batched or model.stateful or model.stochastic)

    def batch_loss(params, model_state, x_b, y_b, w_b, key):
        if plain:  # the v1 path, kept so that every existing result is bit-for-bit the same
            per_example = jax.vmap(lambda x, y: loss(model.apply(params, x), y))(x_b, y_b)
            return weighted_mean(per_example, w_b), model_state
        out_b, new_state = apply_batch(model, params, model_state, x_b, key=key, train=True)
        return weighted_mean(jax.vmap(loss)(out_b, y_b), w_b), new_state

    def step(state: TrainState, x_b, y_b, w_b=None, key=None):
        (value, model_state), grads = jax.value_and_grad(batch_loss, has_aux=True)(
            state.params, state.model_state, x_b, y_b, w_b, key)
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        new = TrainState(optax.apply_updates(state.params, updates), opt_state, state.step + 1, model_state)
        if w_b is not None:  # an all-padding batch must not move the optimiser (nor the statistics)
            keep = jnp.sum(w_b) > 0
            new = jax.tree.map(lambda a, b: jnp.where(keep, a, b), new, state)
        return new, value

    return step


def evaluate(model: Model, loss: LossFn, params: Params, x_n, y_n, w_n=None,
             metrics: Mapping[str, LossFn] | None = None, model_state: Any = None) -> dict[str, jax.Array]:
    """Mean loss (and extra per-example metrics) over a whole set, weighted by ``w_n`` if given.

    Evaluation mode: dropout off, BatchNorm with its running statistics (``model_state``).
    """
    out, _ = apply_batch(model, params, model_state, x_n, train=False)
    res = {"loss": weighted_mean(jax.vmap(loss)(out, y_n), w_n)}
    for name, fn in (metrics or {}).items():
        res[name] = weighted_mean(jax.vmap(fn)(out, y_n), w_n)
    return res


def epoch_batches(key: jax.Array, n: int, batch_size: int, w_n=None,
                  drop_last: bool = False) -> tuple[jax.Array, jax.Array]:
    """Shuffled minibatch indices ``(steps, batch_size)`` and weights for one epoch.

    ``steps = ceil(n / batch_size)``; the tail of the last batch is zero-weight padding. With
    ``w_n`` (0/1 validity of padded rows) the real rows come first in random order. With
    ``drop_last`` the incomplete last batch is dropped instead (``steps = n // batch_size``).
    """
    if drop_last:
        perm = jax.random.permutation(key, n)[: (n // batch_size) * batch_size]
        return perm.reshape(-1, batch_size), jnp.ones((n // batch_size, batch_size))
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
               metrics: Mapping[str, LossFn] | None = None, drop_last: bool = False):
    """Build ``train(key, data, hparams=None, params=None) -> (TrainState, history)``.

    Args:
      model: a ``Model``, or ``model(hparams) -> Model`` when the sweep varies it (widths, scales).
      loss: per-example ``loss(output, target)``.
      tx: an optax transformation, or ``tx(hparams)`` (e.g. ``lambda h: optax.sgd(h["lr"])``).
      epochs: passes over the training set (static).
      batch_size: minibatch size (static); ``batch_size >= n`` is full-batch gradient descent.
      eval_every: record metrics every this many epochs (``epochs`` must be a multiple).
      metrics: extra per-example functions ``(output, target) -> value`` averaged on train and test.
      drop_last: drop each epoch's incomplete last minibatch (BatchNorm; see the module docstring).
        Not for padded datasets (``w_train``).

    Returns:
      ``train``. The final ``TrainState`` carries ``model_state`` (BatchNorm statistics) for a stateful
      model. ``history`` holds ``epoch`` ``(E + 1,)`` (0 = before training) and
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
        """``params``: start from these instead of ``init`` (``(params, state)`` for a stateful model)."""
        m = model if isinstance(model, Model) else model(hparams)
        t = tx if isinstance(tx, optax.GradientTransformation) else tx(hparams)
        k_init, k_shuffle = jax.random.split(key)
        k_apply = jax.random.fold_in(key, 1)  # dropout keys: a stream of their own, shuffling unchanged
        data = jax.tree.map(jnp.asarray, data)  # NumPy inputs (float64 becomes the default float)
        x, y, w = data.x_train, data.y_train, data.w_train
        n = x.shape[0]
        bs = min(batch_size, n)
        if drop_last and w is not None:
            raise ValueError("drop_last: not with a padded dataset (w_train), whose padding sits at the end")
        if params is None:
            params, model_state = init_variables(m, k_init, x.shape[1:])
        else:
            params, model_state = params if m.stateful else (params, None)
        state = TrainState(params, t.init(params), jnp.zeros((), jnp.int32), model_state)
        step = make_step(m, loss, t)

        def record(state):
            tr = evaluate(m, loss, state.params, x, y, w, metrics, state.model_state)
            te = evaluate(m, loss, state.params, data.x_test, data.y_test, None, metrics, state.model_state)
            return {**{f"train_{k}": v for k, v in tr.items()}, **{f"test_{k}": v for k, v in te.items()}}

        def one_epoch(state, k):
            idx, wb = epoch_batches(k, n, bs, w, drop_last)

            def batch(state, b):
                i, wi = b
                k_step = jax.random.fold_in(k_apply, state.step) if m.stochastic else None
                return step(state, x[i], y[i], wi, k_step)[0], None

            return jax.lax.scan(batch, state, (idx, wb))[0], None

        def block(state, ks):
            state = jax.lax.scan(one_epoch, state, ks)[0]
            return state, record(state)

        keys = jax.random.split(k_shuffle, epochs).reshape(epochs // eval_every, eval_every)
        first = record(state)
        state, hist = jax.lax.scan(block, state, keys)
        history = {k: jnp.concatenate([first[k][None], v]) for k, v in hist.items()}
        history["epoch"] = jnp.arange(0, epochs + 1, eval_every)
        return state, history

    return train
