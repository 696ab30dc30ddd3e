"""The model contract and layers (private files re-exported, as equinox and optax do).

A :class:`Model` is ``init(key, in_shape)`` and ``apply(params, x, ...)``, pure functions; ``in_shape``
is the shape of one example. Flags say how ``apply`` is called (``batched``, ``stateful``,
``stochastic``); :func:`apply_batch` calls any model on a batch, and :func:`jdl.train.make_train`
trains any model the same way, so sweeps vmap dense nets and Flax CNNs alike:

>>> import jax, optax
>>> from flax import nnx
>>> from jdl import losses, nn
>>> from jdl.train import make_train
>>> def cnn(in_shape, rngs):                      # one example: a signal (L, C)
...     return nnx.Sequential(
...         nnx.Conv(in_shape[-1], 4, kernel_size=(3,), rngs=rngs), nnx.BatchNorm(4, rngs=rngs),
...         nnx.relu, nnx.Dropout(0.1, rngs=rngs), lambda h: h.mean(axis=-2), nnx.Linear(4, 3, rngs=rngs))
>>> model = nn.nnx_model(cnn)                    # init(key, (L, C)) -> (params, batch statistics)
>>> xent = lambda logits, y: losses.softmax_xent(logits=logits, labels=y)
>>> train = make_train(model, xent, optax.sgd(0.05, momentum=0.9), epochs=2, batch_size=8)
>>> from jdl.data import Dataset
>>> import jax.numpy as jnp
>>> x = jax.random.normal(jax.random.key(1), (16, 10, 2)); y = jnp.arange(16) % 3
>>> state, history = jax.jit(jax.vmap(train, in_axes=(0, None)))(jax.random.split(jax.random.key(0), 4),
...                                                                 Dataset(x, y, x, y))
>>> history["test_loss"].shape                    # 4 seeds, epochs 0..2, one compiled program
(4, 3)

Layers: :func:`dense`, :func:`activation`, :func:`serial`, :func:`mlp` (with width masks for width
sweeps), the scanned deep MLP (:class:`DeepMLP`), and the Flax NNX bridge (:func:`nnx_model`); conv,
attention, recurrent, normalisation, dropout and embedding layers come from Flax NNX through it.
"""
from jdl.nn._deep import DeepMLP, deep_mlp_forward, init_deep_mlp, scale_deep_mlp
from jdl.nn._dense import (
           ACTIVATIONS,
           activation,
           count_params,
           dense,
           init_W_std,
           mlp,
           serial,
           width_mask,
)
from jdl.nn._flax import nnx_model
from jdl.nn._model import Model, apply_batch, feature_dim, init_variables

__all__ = ["Model", "apply_batch", "init_variables", "feature_dim", "ACTIVATIONS", "activation", "dense", "serial",
           "mlp", "width_mask", "init_W_std", "count_params", "DeepMLP", "init_deep_mlp", "scale_deep_mlp",
           "deep_mlp_forward", "nnx_model"]
