"""The model contract: a :class:`Model` is a NamedTuple of two pure functions and three flags.

* ``init(key, in_shape)``: ``in_shape`` is the shape of **one example** (``(d,)`` features, ``(H, W, C)``
  images, ``(L,)`` tokens, ``(L, C)`` signals). Returns ``params`` (a pytree), or ``(params, state)`` when
  ``stateful``.
* ``apply(params, x, ...)``: the forward pass. The flags say how it is called:

  ============  =====================================================================================
  ``batched``    ``x`` is a batch ``(B, *in_shape)`` (BatchNorm needs the batch); else one example,
                 and jdl vmaps it over the batch.
  ``stateful``   ``apply(params, x, state=state, ...) -> (y, new_state)``: non-trained variables such
                 as BatchNorm's running statistics, updated in training and used in evaluation.
  ``stochastic`` ``apply(..., key=key, train=train)``: dropout, input noise. ``train=False`` (evaluation)
                 must be deterministic and may be called with ``key=None``.
  ============  =====================================================================================

  A stateful model is also called with ``train=`` (BatchNorm: batch statistics vs running averages).
  With all flags off (the default) ``apply(params, x) -> y`` on one example, as neural-tangents' stax.

:func:`apply_batch` calls any model the same way, so :func:`jdl.train.make_train` and :mod:`jdl.sweep`
treat every model alike; Flax NNX modules enter through :func:`jdl.nn.nnx_model`.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax

Array = jax.Array
Params = Any
State = Any

__all__ = ["Model", "feature_dim", "init_variables", "apply_batch"]


class Model(NamedTuple):
    """A model as two pure functions (see the module docstring for the call forms the flags select).

    Attributes:
      init: ``init(key, in_shape) -> params`` (``-> (params, state)`` if ``stateful``).
      apply: ``apply(params, x) -> y``, plus ``state=`` / ``key=`` / ``train=`` as the flags say.
      batched: ``apply`` takes a batch ``(B, *in_shape)`` instead of one example.
      stateful: the model carries non-trained ``state``.
      stochastic: ``apply`` takes ``key=`` and ``train=``.
    """

    init: Callable[..., Any]
    apply: Callable[..., Any]
    batched: bool = False
    stateful: bool = False
    stochastic: bool = False


def feature_dim(in_shape) -> int:
    """The ``d`` of a feature-vector input shape ``(d,)``; a clear error for any other shape.

    >>> feature_dim((3,))
    3
    """
    shape = tuple(in_shape) if isinstance(in_shape, (tuple, list)) else None
    if shape is None or len(shape) != 1:
        raise ValueError(f"in_shape: this layer takes feature vectors, shape (d,); got {in_shape!r}")
    return int(shape[0])


def init_variables(model: Model, key: Array, in_shape) -> tuple[Params, State]:
    """``(params, state)`` of any model (``state`` is ``None`` for a stateless one)."""
    out = model.init(key, tuple(in_shape))
    return out if model.stateful else (out, None)


def apply_batch(model: Model, params: Params, state: State, x_b: Array, *, key: Array | None = None,
                train: bool = False) -> tuple[Array, State]:
    """Outputs for a batch ``x_b (B, *in_shape)`` and the new state, whatever the model's flags.

    A per-example stochastic model gets one key per example (``split(key, B)``); evaluation
    (``train=False``) needs no key. Stateless models return the ``state`` they were given.

    >>> from jdl.nn import dense
    >>> m = dense(2)
    >>> y, s = apply_batch(m, m.init(jax.random.key(0), (3,)), None, jax.numpy.ones((5, 3)))
    >>> y.shape, s
    ((5, 2), None)
    """
    if model.stochastic and train and key is None:
        raise ValueError("key: a stochastic model needs a key in training")
    kwargs: dict[str, Any] = {}
    if model.stateful:
        kwargs["state"] = state
    if model.stateful or model.stochastic:
        kwargs["train"] = train
    if model.batched:
        if model.stochastic:
            kwargs["key"] = key
        out = model.apply(params, x_b, **kwargs)
        return out if model.stateful else (out, state)
    if model.stateful:
        raise ValueError("stateful: a stateful model must be batched (its state is shared by the batch)")
    if model.stochastic:
        keys = jax.random.split(key, x_b.shape[0]) if key is not None else None
        fn = lambda x, k: model.apply(params, x, key=k, **kwargs)  # noqa: E731
        return jax.vmap(fn)(x_b, keys), state
    return jax.vmap(lambda x: model.apply(params, x))(x_b), state
