"""Dense layers and MLPs as pure ``(init, apply)`` pairs, after neural-tangents' stax.

Each is a :class:`jdl.nn.Model` on **one example** ``x`` of shape ``in_shape = (d,)``: ``init(key, (d,))``,
``apply(params, x)``. Batch, seed and grid axes come from ``jax.vmap``. Layers compose with :func:`serial`.

Parameterisations (``W_std``/``b_std``, as neural-tangents):

* ``"standard"``: ``W ~ N(0, W_std**2 / fan_in)``, ``b ~ N(0, b_std**2)``, ``y = W x + b``.
* ``"ntk"``: ``W, b ~ N(0, 1)``, ``y = W_std / sqrt(fan_in) * W x + b_std * b``.

Both give the same function at initialisation; they differ in how gradient steps scale with
width. Init schemes name a ``W_std``: He ``sqrt(2)``, LeCun ``1``, Glorot
``sqrt(2 fan_in / (fan_in + fan_out))``.

Width sweeps by masking: every layer accepts the *true* ``fan_in`` (a traced value is fine) and
:func:`activation` with a ``mask`` zeroes the padded units, so a member built at the largest width with a mask computes
exactly what the narrow model computes (same key, same numbers: weights are drawn row by row with
``fold_in`` so a prefix of the padded draw is the narrow draw).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from jdl.nn._model import Model, feature_dim

Array = jax.Array
Params = Any

__all__ = [
    "ACTIVATIONS", "activation", "dense", "serial", "mlp", "width_mask",
    "init_W_std", "count_params",
]


def _leaky_relu(x: Array) -> Array:
    return jax.nn.leaky_relu(x, 0.01)


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "gelu": jax.nn.gelu,
    "softplus": jax.nn.softplus,
    "leaky_relu": _leaky_relu,
    "abs": jnp.abs,
    "erf": jax.scipy.special.erf,
    "identity": lambda x: x,
}

_SCHEMES = ("he", "lecun", "glorot")


def init_W_std(scheme: str, fan_in, fan_out) -> Array:
    """``W_std`` of a named init scheme (``W ~ N(0, W_std**2 / fan_in)``).

    >>> round(float(init_W_std("he", 10, 5)) ** 2, 4)
    2.0
    """
    if scheme == "he":
        return jnp.sqrt(2.0) * jnp.ones(())
    if scheme == "lecun":
        return jnp.ones(())
    if scheme == "glorot":
        return jnp.sqrt(2.0 * fan_in / (fan_in + fan_out))
    raise ValueError(f"init: unknown scheme {scheme!r}; expected one of {_SCHEMES}")


def _check_parameterization(parameterization: str) -> None:
    if parameterization not in ("standard", "ntk"):
        raise ValueError(f"parameterization: expected 'standard' or 'ntk', got {parameterization!r}")


def _normal_rows(key: Array, shape: tuple[int, int], dtype=jnp.float32) -> Array:
    """N(0, 1) draws of shape (rows, cols), one ``fold_in`` stream per row.

    Prefix-consistent in both axes: ``_normal_rows(k, (H, D))[:h, :d] == _normal_rows(k, (h, d))``,
    which is what makes a masked wide model equal to the narrow one.
    """
    rows = jnp.arange(shape[0])
    return jax.vmap(lambda r: jax.random.normal(jax.random.fold_in(key, r), (shape[1],), dtype))(rows)


def dense(out_dim: int, *, W_std=1.0, b_std=0.0, init: str | None = None,
          parameterization: str = "standard", fan_in=None, fan_out=None, bias: bool = True) -> Model:
    """Fully connected layer ``y = W x + b`` with explicit ``W_std``/``b_std``.

    Args:
      out_dim: output width (static).
      W_std: weight scale; the weight variance is ``W_std**2 / fan_in``. May be traced.
      b_std: bias standard deviation. May be traced.
      init: a scheme name (``"he"``, ``"lecun"``, ``"glorot"``) that sets ``W_std`` from the
        fan-in/fan-out instead of ``W_std``.
      parameterization: ``"standard"`` or ``"ntk"`` (see module docstring).
      fan_in: the true fan-in when the input is padded (masked width sweeps); defaults to
        ``in_dim``. May be traced.
      fan_out: the true fan-out (only Glorot uses it); defaults to ``out_dim``. May be traced.
      bias: whether the layer has a bias.

    Returns:
      ``Model``; params ``{"W": (out_dim, in_dim), "b": (out_dim,)}``.

    >>> m = dense(3, W_std=2.0)
    >>> p = m.init(jax.random.key(0), (4,))
    >>> m.apply(p, jnp.ones(4)).shape
    (3,)
    """
    _check_parameterization(parameterization)
    if init is not None and init not in _SCHEMES:
        raise ValueError(f"init: unknown scheme {init!r}; expected one of {_SCHEMES}")

    def scale(in_dim):
        n_in = in_dim if fan_in is None else fan_in
        n_out = out_dim if fan_out is None else fan_out
        s = W_std if init is None else init_W_std(init, n_in, n_out)
        return s / jnp.sqrt(jnp.asarray(n_in, jnp.float32))

    def init_fn(key, in_shape):
        in_dim = feature_dim(in_shape)
        kw, kb = jax.random.split(key)
        w = _normal_rows(kw, (out_dim, in_dim))
        b = jax.random.normal(kb, (out_dim,))
        if parameterization == "standard":
            w, b = w * scale(in_dim), b * b_std
        return {"W": w, "b": b} if bias else {"W": w}

    def apply(params, x):
        w = params["W"]
        if parameterization == "ntk":
            y = scale(w.shape[1]) * (w @ x)
            return y + b_std * params["b"] if bias else y
        y = w @ x
        return y + params["b"] if bias else y

    return Model(init_fn, apply)


def activation(fn: str | Callable[[Array], Array], mask: Array | None = None) -> Model:
    """Elementwise nonlinearity as a parameter-free layer (name from ``ACTIVATIONS`` or a callable).

    ``mask`` (0/1, optional) zeroes the padding units of a width sweep after the nonlinearity
    (``sigmoid(0) != 0``, so masking the pre-activation would not do).
    """
    if isinstance(fn, str):
        if fn not in ACTIVATIONS:
            raise ValueError(f"activation: unknown {fn!r}; expected one of {sorted(ACTIVATIONS)}")
        fn = ACTIVATIONS[fn]
    if mask is None:
        return Model(lambda key, in_shape: (), lambda params, x: fn(x))
    return Model(lambda key, in_shape: (), lambda params, x: fn(x) * mask)


def width_mask(width, max_width: int, dtype=jnp.float32) -> Array:
    """0/1 vector of length ``max_width`` whose first ``width`` entries are 1 (``width`` may be traced)."""
    return (jnp.arange(max_width) < width).astype(dtype)


def serial(*layers: Model) -> Model:
    """Compose layers left to right; each layer's input shape is inferred with ``eval_shape``.

    >>> net = serial(dense(8), activation("relu"), dense(1))
    >>> p = net.init(jax.random.key(0), (3,))
    >>> net.apply(p, jnp.ones(3)).shape
    (1,)
    """

    def init(key, in_shape):
        params, shape = [], tuple(in_shape)
        for layer, k in zip(layers, jax.random.split(key, len(layers))):
            p = layer.init(k, shape)
            params.append(p)
            shape = jax.eval_shape(layer.apply, p, jax.ShapeDtypeStruct(shape, jnp.float32)).shape
        return tuple(params)

    def apply(params, x):
        for layer, p in zip(layers, params):
            x = layer.apply(p, x)
        return x

    return Model(init, apply)


def mlp(hidden: Sequence[int], out_dim: int, *, activation_fn: str | Callable = "relu",
        init: str | None = "he", W_std=None, b_std=0.0, out_W_std=None,
        parameterization: str = "standard", true_widths: Sequence | Array | None = None) -> Model:
    """Multilayer perceptron ``in -> hidden[0] -> ... -> out_dim`` with a linear readout.

    Args:
      hidden: hidden widths (static; the padded widths in a width sweep).
      out_dim: output width.
      activation_fn: hidden nonlinearity (name or callable).
      init: ``"he"``, ``"lecun"`` or ``"glorot"``, setting each hidden layer's ``W_std`` from its
        fan-in/out; the readout uses LeCun (Glorot for ``"glorot"``). Ignored where ``W_std`` is given.
      W_std: explicit weight scale of the hidden layers (overrides ``init``); may be traced.
      b_std: bias standard deviation; may be traced.
      out_W_std: readout weight scale (defaults as described under ``init``, or ``W_std``).
      parameterization: ``"standard"`` or ``"ntk"``.
      true_widths: per hidden layer, the member's true width (``<= hidden[l]``; may be traced).
        Units beyond it are masked to zero and the next layer uses the true fan-in.

    >>> net = mlp([16, 16], 1, true_widths=[4, 16])
    >>> p = net.init(jax.random.key(0), (2,))
    >>> net.apply(p, jnp.ones(2)).shape
    (1,)
    """
    if W_std is None and init not in _SCHEMES:
        raise ValueError(f"init: unknown scheme {init!r}; expected one of {_SCHEMES} or W_std")
    if any(h < 1 for h in hidden) or out_dim < 1:
        raise ValueError(f"hidden: widths must be >= 1, got {list(hidden)} and out_dim={out_dim}")
    widths = list(hidden) if true_widths is None else [true_widths[i] for i in range(len(hidden))]
    hidden_scheme = None if W_std is not None else init
    out_scheme = None if (W_std is not None or out_W_std is not None) else (
        "glorot" if init == "glorot" else "lecun")
    out_std = out_W_std if out_W_std is not None else (W_std if W_std is not None else 1.0)
    common = dict(b_std=b_std, parameterization=parameterization)
    layers: list[Model] = []
    fan_in = None  # None: the input's own dimension
    for l, h in enumerate(hidden):
        layers.append(dense(h, W_std=W_std if W_std is not None else 1.0, init=hidden_scheme,
                            fan_in=fan_in, fan_out=widths[l], **common))
        # masked and unmasked nets have the same layers, hence the same keys per layer
        layers.append(activation(activation_fn, None if true_widths is None else width_mask(widths[l], h)))
        if true_widths is not None:
            fan_in = widths[l]
    layers.append(dense(out_dim, W_std=out_std, init=out_scheme, fan_in=fan_in, **common))
    return serial(*layers)


def count_params(params: Params) -> int:
    """Number of scalars in a parameter pytree."""
    return sum(int(x.size) for x in jax.tree.leaves(params))
