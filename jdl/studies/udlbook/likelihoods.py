"""Likelihoods of udlbook's Loss notebooks for book-form networks of one input (Prince, ch. 5).

:func:`fit_stats` gives the likelihood (the product of the per-example probabilities, eq. 5.3), the
negative log-likelihood (from the per-example losses in :mod:`jdl.losses`) and, for regression, the sum of
squares. :func:`grid_search` evaluates them over a grid of one or more parameters named as in the
notebooks (``"beta_1[0,0]"``, ``"omega_1[0,2]"``, ``"sigma"``) with nested ``vmap``: the notebooks'
coordinate loops, and 2-D surfaces, as one program.

References:
  S. J. D. Prince, "Understanding Deep Learning", MIT Press 2023, ch. 5 (loss functions).
"""
from __future__ import annotations

from functools import partial
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp

from jdl import losses
from jdl.studies.udlbook.networks import _ENTRY, BookLayer, _float, forward_columns

Array = jax.Array

__all__ = ["KINDS", "predict", "fit_stats", "set_entry", "grid_search"]


# --- likelihoods of the Loss notebooks --------------------------------------------------------------------------
KINDS = ("gaussian", "bernoulli", "categorical")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")


def _outputs(net: Sequence, x_n) -> Array:
    return forward_columns(net, _float(x_n)[None, :]).T


def predict(net: Sequence, x_n, *, kind: str) -> tuple[Array, Array]:
    """A 1-input book-form network's outputs and its likelihood's parameters (what the Loss notebooks plot).

    Args:
      net: book-form layers; the output has ``K`` rows.
      x_n: ``(n,)`` inputs.
      kind: one of :data:`KINDS`.

    Returns:
      ``(out_nK, param_nK)``: the outputs ``(n, K)`` and the Gaussian mean (the output itself,
      ``"gaussian"``), ``Pr(y = 1) = sigmoid(out)`` (``"bernoulli"``, the notebook's ``lambda``) or the
      class probabilities ``softmax(out)`` over ``K`` (``"categorical"``).

    >>> from jdl.studies.udlbook import fixtures as U
    >>> out, probs = predict(U.loss_parameters("multiclass"), U.X_TRAIN, kind="categorical")
    >>> probs.shape, round(float(probs[0].sum()), 6)
    ((20, 3), 1.0)
    """
    _check_kind(kind)
    out_nK = _outputs(net, x_n)
    if kind == "gaussian":
        return out_nK, out_nK
    return out_nK, (jax.nn.sigmoid(out_nK) if kind == "bernoulli" else jax.nn.softmax(out_nK, axis=-1))


def fit_stats(net: Sequence, x_n, y_n, *, kind: str, sigma=None) -> dict[str, Array]:
    """The Loss notebooks' numbers for a 1-input book-form network on data ``(x_n, y_n)``.

    The network output is the Gaussian mean (``"gaussian"``, with standard deviation ``sigma``),
    the logit of ``Pr(y = 1)`` (``"bernoulli"``, through a sigmoid) or the class logits
    (``"categorical"``, through a softmax). Per-example negative log-likelihoods come from
    :func:`jdl.losses.gaussian_nll` / ``bernoulli_nll`` / ``categorical_nll`` (logit forms: stable).

    Args:
      net: book-form layers; the output has ``K`` rows (``K = 1`` except categorical).
      x_n: ``(n,)`` inputs.
      y_n: ``(n,)`` targets (real, ``{0, 1}`` or class indices).
      kind: one of :data:`KINDS`.
      sigma: the Gaussian's standard deviation (``"gaussian"`` only; may be traced).

    Returns:
      ``{"likelihood": prod_i Pr(y_i | x_i), "nll": sum_i -log Pr(y_i | x_i)}`` and, for ``"gaussian"``,
      ``"sum_of_squares"``: scalars. The likelihood is the notebooks' product (it underflows for large
      ``n``; that is the notebooks' point); the NLL is summed in log space.

    >>> from jdl.studies.udlbook import fixtures as U
    >>> s = fit_stats(U.loss_parameters("regression"), U.X_TRAIN, U.Y_REGRESSION, kind="gaussian", sigma=0.2)
    >>> round(float(s["nll"]), 3), round(float(s["sum_of_squares"]), 3)
    (11.452, 2.021)
    """
    _check_kind(kind)
    out_nK = _outputs(net, x_n)
    y_n = jnp.asarray(y_n)
    if kind == "gaussian":
        if sigma is None:
            raise ValueError("sigma: the Gaussian likelihood needs sigma")
        target = y_n.astype(out_nK.dtype)[:, None]
        nll_n = losses.gaussian_nll(pred=out_nK, target=target, sigma=sigma)
        extra = {"sum_of_squares": jnp.sum(losses.squared_error(pred=out_nK, target=target))}
    elif kind == "bernoulli":
        nll_n, extra = losses.bernoulli_nll(logits=out_nK, labels=y_n[:, None]), {}
    else:
        nll_n, extra = losses.categorical_nll(logits=out_nK, labels=y_n.astype(jnp.int32)), {}
    return {"likelihood": jnp.prod(jnp.exp(-nll_n)), "nll": jnp.sum(nll_n), **extra}


def _parse(name: str) -> tuple[str, int, tuple[int, int]]:
    m = _ENTRY.match(name)
    if not m:
        raise ValueError(f"name: expected 'sigma' or an entry such as 'beta_1[0,0]' / 'omega_0[2,0]', got {name!r}")
    which, layer, i, j = m.groups()
    return which.lower(), int(layer), (int(i), int(j or 0))


def set_entry(net: Sequence, name: str, value) -> tuple[BookLayer, ...]:
    """``net`` with one entry replaced, named as in the notebooks (``value`` may be traced).

    Args:
      name: ``"beta_k[i,j]"`` or ``"omega_k[i,j]"`` (also ``"Omega_k[i,j]"``; ``[i]`` means ``[i, 0]``).

    >>> from jdl.studies.udlbook import fixtures as U
    >>> round(float(set_entry(U.loss_parameters("regression"), "beta_1[0,0]", 0.27)[1].beta[0, 0]), 6)
    0.27
    """
    which, layer, index = _parse(name)
    out = [BookLayer(jnp.asarray(b), jnp.asarray(o)) for b, o in net]
    if not 0 <= layer < len(out):
        raise ValueError(f"name: {name!r} names layer {layer}; the network has layers 0..{len(out) - 1}")
    b, o = out[layer]
    arr = b if which == "beta" else o
    if not all(0 <= i < s for i, s in zip(index, arr.shape)):
        raise ValueError(f"name: {name!r} is outside {which}_{layer} of shape {arr.shape}")
    arr = arr.at[index].set(jnp.asarray(value, arr.dtype))
    out[layer] = BookLayer(arr, o) if which == "beta" else BookLayer(b, arr)
    return tuple(out)


@partial(jax.jit, static_argnames=("kind", "names"))
def _grid(net, x_n, y_n, sigma, values, *, kind, names):
    def at(*vals):
        n, s = net, sigma
        for name, v in zip(names, vals):
            if name == "sigma":
                s = v
            else:
                n = set_entry(n, name, v)
        return fit_stats(n, x_n, y_n, kind=kind, sigma=s)

    f = at
    for i in reversed(range(len(names))):  # the last axis innermost: results are (len(v_0), len(v_1), ...)
        f = jax.vmap(f, in_axes=tuple(0 if j == i else None for j in range(len(names))))
    return f(*values)


def grid_search(net: Sequence, x_n, y_n, axes: Mapping[str, Array], *, kind: str, sigma=None) -> dict[str, Array]:
    """:func:`fit_stats` over the Cartesian grid of ``axes``, in one jitted program (nested ``vmap``).

    The notebooks loop over one parameter with the others fixed (coordinate descent); here any
    number of axes is one evaluation, so the 2-D surface costs one call too.

    Args:
      net: book-form layers (the fixed values of every parameter not on an axis).
      axes: ``{name: (G_a,) values}`` in order; a name is ``"sigma"`` or an entry as in :func:`set_entry`.
      kind, sigma: as :func:`fit_stats` (``sigma`` is the fixed value when it is not an axis).

    Returns:
      ``fit_stats`` entries, each of shape ``(G_0, G_1, ...)``.

    >>> from jdl.studies.udlbook import fixtures as U
    >>> g = grid_search(U.loss_parameters("binary"), U.X_TRAIN, U.Y_BINARY,
    ...                 {"beta_1[0,0]": jnp.arange(-2.0, 6.0, 0.1)}, kind="bernoulli")
    >>> g["nll"].shape, round(float(jnp.arange(-2.0, 6.0, 0.1)[jnp.argmin(g["nll"])]), 1)
    ((80,), 1.6)
    """
    _check_kind(kind)
    if not axes:
        raise ValueError("axes: need at least one axis")
    names = tuple(axes)
    for name in names:
        if name != "sigma":
            _parse(name)
    if "sigma" in names and kind != "gaussian":
        raise ValueError(f"axes: 'sigma' is a parameter of the gaussian likelihood only, not {kind!r}")
    dtype = _float(net[0][0]).dtype
    net = tuple(BookLayer(jnp.asarray(b, dtype), jnp.asarray(o, dtype)) for b, o in net)
    values = tuple(jnp.asarray(axes[n], dtype) for n in names)
    sig = None if kind != "gaussian" else jnp.asarray(1.0 if sigma is None else sigma, dtype)
    if kind == "gaussian" and sigma is None and "sigma" not in names:
        raise ValueError("sigma: the Gaussian likelihood needs sigma (a value or an axis)")
    return _grid(net, jnp.asarray(x_n, dtype), jnp.asarray(y_n), sig, values, kind=kind, names=names)
