"""Flax NNX modules as jdl models, through ``nnx.split`` / ``nnx.merge``.

An NNX module is a mutable object; jdl's sweeps need pure functions of pytrees. The bridge splits a
module into a static graph definition and three states:

* ``params``: the ``nnx.Param`` variables (what the optimiser trains);
* ``state``: every other variable except RNG streams (``nnx.BatchStat``: BatchNorm's running
  statistics, updated in training and returned by ``apply``);
* RNG streams (dropout): never stored; ``apply`` reseeds them from its ``key`` argument, so a
  member's randomness is a function of its key alone, as everywhere in jdl.

``apply`` merges them again with ``copy=True`` (flax >= 0.11.2 merges without copying by default,
which raises ``TraceContextError`` for BatchNorm statistics and dropout streams inside ``jax.grad``),
sets training or evaluation mode (``module.train()`` / ``module.eval()``: dropout on/off, batch
statistics vs running averages), calls the module on the batch and splits the new state off.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import jax
from flax import nnx

from jdl.nn._model import Model

__all__ = ["nnx_model"]


def nnx_model(make: Callable[[tuple[int, ...], nnx.Rngs], nnx.Module]) -> Model:
    """A Flax NNX module as a batched, stateful, stochastic :class:`Model`.

    Args:
      make: ``make(in_shape, rngs) -> module``: builds the module for one example's shape
        ``in_shape`` (e.g. ``(L, C)``), taking its initial parameters from ``rngs`` (streams
        ``params`` and ``dropout``). Called once per ``init``; the graph it builds is static.

    Returns:
      ``Model`` with ``init(key, in_shape) -> (params, state)`` and
      ``apply(params, x_b, *, state, key=None, train=False) -> (y_b, new_state)`` on a batch.

    >>> def make(in_shape, rngs):
    ...     return nnx.Sequential(nnx.Linear(in_shape[-1], 4, rngs=rngs), nnx.Dropout(0.5, rngs=rngs))
    >>> m = nnx_model(make)
    >>> params, state = m.init(jax.random.key(0), (3,))
    >>> y, _ = m.apply(params, jax.numpy.ones((2, 3)), state=state)  # evaluation: dropout off
    >>> y.shape
    (2, 4)
    """

    @lru_cache(maxsize=None)
    def template(in_shape: tuple[int, ...]):
        # the static graph and the RNG streams' structure, from one concrete build (values unused:
        # apply reseeds every stream); compile-time evaluation keeps it concrete when first met under jit
        with jax.ensure_compile_time_eval():
            module = make(in_shape, nnx.Rngs(params=0, dropout=1))
            graphdef, _, rng, _ = nnx.split(module, nnx.Param, nnx.RngState, ...)
        tags = sorted({s.key.tag for _, s in nnx.iter_graph(module) if isinstance(s, nnx.RngStream)})
        return graphdef, rng, tuple(tags)

    def init(key, in_shape):
        k_params, k_dropout = jax.random.split(key)
        module = make(tuple(in_shape), nnx.Rngs(params=k_params, dropout=k_dropout))
        _, params, _, state = nnx.split(module, nnx.Param, nnx.RngState, ...)
        return params, state

    def apply(params, x_b, *, state, key=None, train=False):
        graphdef, rng, tags = template(tuple(x_b.shape[1:]))
        module = nnx.merge(graphdef, params, rng, state, copy=True)
        if train:
            if tags:
                if key is None:
                    raise ValueError("key: this module draws random numbers in training (dropout); pass a key")
                nnx.reseed(module, **{t: jax.random.fold_in(key, i) for i, t in enumerate(tags)})
            module.train()
        else:
            module.eval()
        y = module(x_b)
        _, _, _, new_state = nnx.split(module, nnx.Param, nnx.RngState, ...)
        return y, new_state

    return Model(init, apply, batched=True, stateful=True, stochastic=True)
