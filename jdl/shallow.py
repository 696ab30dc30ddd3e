"""udlbook's shallow and deep networks of one input, and their likelihoods (Prince, *Understanding Deep
Learning*, ch. 3-5; notebooks CM20315 Shallow, Deep, Deep2, Loss, Loss_II, Loss_III).

Two notations, as the notebooks use them:

* **Scalar form** of the 1-3-1 net, ``y = phi_0 + sum_i phi_i a[theta_i0 + theta_i1 x]``:
  :func:`forward_1_1_3` returns every intermediate of the book's Fig. 3.3 (pre-activations,
  activations, weighted activations) for any activation (:data:`ACTIVATIONS`: ReLU, the notebook's
  steep sigmoid ``1 / (1 + exp(-10 z))``, linear); :func:`forward_2_1_3` is the two-input net (Fig. 3.8).
* **Matrix ("book") form**, column-major: a network is a sequence of ``(beta_k, Omega_k)`` layers
  (:class:`BookLayer`), ``beta_k`` a ``(D_{k+1}, 1)`` column, and data sit in the columns of
  ``x (D_i, N)``: ``h_{k+1} = a[beta_k 1^T + Omega_k h_k]`` (eq. 4.15; :func:`forward_columns`).
  :func:`matrix_form` turns the scalar form into it; :func:`compose` feeds one network into another
  (eq. 4.5, folding the first's linear output into the second's input layer).

Layers convert to and from :mod:`jdl.regions`' ``{"W", "b"}`` layers (:func:`to_layers`,
:func:`from_layers`): composition (``regions.compose``) and the exact linear-piece counter
(``regions.count_pieces``) are shared with it, not duplicated. The Deep notebook's networks as such
layers (:func:`shallow_layers`, :func:`udlbook_networks`; ``jdl.regions`` re-exports them under their
old names) are built here from :func:`matrix_form`, so the 1-3-1 net has one implementation.

Likelihoods of the Loss notebooks: :func:`fit_stats` gives the likelihood (the product of the
per-example probabilities, eq. 5.3), the negative log-likelihood (from the per-example losses in
:mod:`jdl.losses`) and, for regression, the sum of squares. :func:`grid_search` evaluates them over
a grid of one or more parameters named as in the notebooks (``"beta_1[0,0]"``, ``"omega_1[0,2]"``,
``"sigma"``) with nested ``vmap``: the notebooks' coordinate loops, and 2-D surfaces, as one program.

References:
  S. J. D. Prince, "Understanding Deep Learning", MIT Press 2023, ch. 3 (shallow networks),
  4 (deep networks), 5 (loss functions).
"""
from __future__ import annotations

import re
from functools import partial
from typing import Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl import losses
from jdl.data.udlbook import UDL_NET1, UDL_NET2
from jdl.regions import compose as _compose_layers

Array = jax.Array

__all__ = ["ACTIVATIONS", "sigmoid10", "linear", "Trace", "forward_1_1_3", "shallow_1_1_3", "forward_2_1_3",
           "fit_output_layer", "BookLayer", "matrix_form", "to_layers", "from_layers", "shallow_layers", "compose",
           "udlbook_networks", "forward_columns", "apply", "KINDS", "predict", "fit_stats", "set_entry",
           "grid_search"]


# --- activations ------------------------------------------------------------------------------------------------
def sigmoid10(z: Array) -> Array:
    """The Shallow notebook's logistic sigmoid ``1 / (1 + exp(-10 z))`` (the factor 10 is not standard).

    >>> float(sigmoid10(jnp.float32(0.0)))
    0.5
    """
    return jax.nn.sigmoid(10 * z)


def linear(a=0.0, b=1.0) -> Callable[[Array], Array]:
    """The Shallow notebook's linear "activation" ``lin[z] = a + b z`` (the network stays affine).

    >>> round(float(linear(0.5, -0.4)(jnp.float32(1.0))), 6)
    0.1
    """
    return lambda z: a + b * z


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {"relu": jax.nn.relu, "sigmoid10": sigmoid10, "linear": linear()}


def _activation(fn) -> Callable[[Array], Array]:
    if callable(fn):
        return fn
    if fn not in ACTIVATIONS:
        raise ValueError(f"activation: expected a callable or one of {sorted(ACTIVATIONS)}, got {fn!r}")
    return ACTIVATIONS[fn]


def _float(x) -> Array:
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.asarray(0.0).dtype)


# --- scalar form (CM20315_Shallow, CM20315_Deep) ----------------------------------------------------------------
class Trace(NamedTuple):
    """Every stage of a shallow net (Fig. 3.3), for inputs of any shape ``s`` and ``H`` hidden units.

    Attributes:
      y: ``s`` output.
      pre: ``s + (H,)`` pre-activations ``theta_i0 + theta_i1 x`` (the notebook's ``pre_1..pre_3``).
      act: ``s + (H,)`` activations ``a[pre]``.
      w_act: ``s + (H,)`` weighted activations ``phi_i act_i``.
    """

    y: Array
    pre: Array
    act: Array
    w_act: Array


def _finish(pre, phi, activation) -> Trace:
    act = _activation(activation)(pre)
    w_act = phi[1:] * act
    return Trace(phi[0] + jnp.sum(w_act, -1), pre, act, w_act)


def forward_1_1_3(x, phi, theta, activation="relu") -> Trace:
    """The notebooks' ``shallow_1_1_3``: one input, ``H`` hidden units (three in the book), one output.

    Args:
      x: inputs of any shape (elementwise).
      phi: ``(H + 1,)`` ``(phi_0, phi_1, ..., phi_H)``.
      theta: ``(H, 2)`` rows ``(theta_i0, theta_i1)``.
      activation: a name in :data:`ACTIVATIONS` or a callable.

    Returns:
      :class:`Trace`; parameters are cast to ``x``'s float dtype.

    >>> from jdl.data.udlbook import SHALLOW_NET
    >>> t = forward_1_1_3(jnp.array([0.0, 0.4]), **SHALLOW_NET)
    >>> [round(float(v), 4) for v in t.y], t.pre.shape
    ([0.3, -0.3], (2, 3))
    """
    x = _float(x)
    phi, theta = jnp.asarray(phi, x.dtype), jnp.asarray(theta, x.dtype)
    return _finish(theta[:, 0] + theta[:, 1] * x[..., None], phi, activation)


def shallow_1_1_3(x, phi, theta) -> Array:
    """The ReLU net's output alone: ``phi_0 + sum_i phi_i ReLU(theta_i0 + theta_i1 x)``, elementwise in ``x``
    (:func:`forward_1_1_3`'s ``y``).

    >>> shallow_1_1_3(jnp.array([-1.0, 0.0]), **UDL_NET1).tolist()
    [-1.0, 1.0]
    """
    return forward_1_1_3(x, phi, theta).y


def forward_2_1_3(x1, x2, phi, theta, activation="relu") -> Trace:
    """The Shallow notebook's ``shallow_2_1_3``: two inputs (Fig. 3.8), ``theta`` rows ``(theta_i0, theta_i1,
    theta_i2)``.

    >>> from jdl.data.udlbook import NET_2_INPUTS
    >>> round(float(forward_2_1_3(jnp.float32(0.0), jnp.float32(0.0), **NET_2_INPUTS).y), 4)  # -4 + 2 * 5
    6.0
    """
    x1, x2 = _float(x1), _float(x2)
    phi, theta = jnp.asarray(phi, x1.dtype), jnp.asarray(theta, x1.dtype)
    return _finish(theta[:, 0] + theta[:, 1] * x1[..., None] + theta[:, 2] * x2[..., None], phi, activation)


def fit_output_layer(x_n, y_n, theta, activation="relu") -> Array:
    """Least-squares ``phi`` for fixed hidden units: the best the Shallow notebook's hand-tuning can reach
    by changing ``phi`` alone (the output is linear in ``phi``, so this is one linear solve).

    Args:
      x_n, y_n: ``(n,)`` training data.
      theta: ``(H, 2)`` fixed hidden-unit parameters.

    Returns:
      ``(H + 1,)`` ``phi`` minimising ``sum_i (y_i - f[x_i, phi, theta])^2``.

    >>> x = jnp.linspace(0.0, 1.0, 9)
    >>> theta = jnp.array([[0.0, 1.0], [-0.5, 1.0]])
    >>> phi = fit_output_layer(x, 1.0 + 2.0 * x, theta)  # a line: phi = (1, 2, 0)
    >>> [round(float(v), 3) for v in phi]
    [1.0, 2.0, 0.0]
    """
    x_n = _float(x_n)
    theta = jnp.asarray(theta, x_n.dtype)
    act = _activation(activation)(theta[:, 0] + theta[:, 1] * x_n[:, None])
    design = jnp.concatenate([jnp.ones_like(x_n)[:, None], act], axis=1)
    return jnp.linalg.lstsq(design, jnp.asarray(y_n, x_n.dtype))[0]


# --- matrix form (CM20315_Deep2, the Loss notebooks) ------------------------------------------------------------
class BookLayer(NamedTuple):
    """One layer in the book's notation: ``beta`` ``(D_out, 1)`` bias column, ``Omega`` ``(D_out, D_in)`` weights."""

    beta: Array
    Omega: Array


def matrix_form(phi, theta, dtype=None) -> tuple[BookLayer, BookLayer]:
    """The 1-H-1 net in matrix form (Deep2's first TODO): ``beta_0 = theta[:, :1]``, ``Omega_0 = theta[:, 1:]``,
    ``beta_1 = [[phi_0]]``, ``Omega_1 = phi[1:]`` as a row.

    >>> from jdl.data.udlbook import UDL_NET1
    >>> n = matrix_form(**UDL_NET1)
    >>> [l.Omega.shape for l in n], n[1].beta.tolist()
    ([(3, 1), (1, 3)], [[1.0]])
    """
    phi, theta = jnp.asarray(phi, dtype), jnp.asarray(theta, dtype)
    return BookLayer(theta[:, :1], theta[:, 1:]), BookLayer(phi[None, :1], phi[None, 1:])


def to_layers(net: Sequence) -> tuple[dict, ...]:
    """Book layers as :mod:`jdl.regions` layers ``{"W": Omega, "b": beta[:, 0]}`` (for ``regions.count_pieces``).

    >>> [(l["W"].shape, l["b"].shape) for l in to_layers(matrix_form(**UDL_NET1))]
    [((3, 1), (3,)), ((1, 3), (1,))]
    """
    return tuple({"W": jnp.asarray(omega), "b": jnp.asarray(beta)[:, 0]} for beta, omega in net)


def from_layers(layers: Sequence[Mapping]) -> tuple[BookLayer, ...]:
    """:mod:`jdl.regions` layers (plain ``{"W": (out, in), "b": (out,)}`` dicts, ``b`` optional) as
    :class:`BookLayer` s.

    Raises:
      ValueError: for an entry that is not a mapping (e.g. ``jdl.nn``'s empty activation params) or
        not a plain 2-D layer (a stacked block of ``regions.pad_depth``): the book form has no such layer.

    >>> [l.beta.shape for l in from_layers([{"W": jnp.ones((3, 1)), "b": jnp.zeros(3)}, {"W": jnp.ones((1, 3))}])]
    [(3, 1), (1, 1)]
    """
    out = []
    for k, layer in enumerate(layers):
        if not isinstance(layer, Mapping) or "W" not in layer or jnp.ndim(layer["W"]) != 2:
            raise ValueError(f"layers: entry {k} is not a {{'W': (out, in), 'b': (out,)}} layer, got "
                             f"{type(layer).__name__}")
        W = jnp.asarray(layer["W"])
        out.append(BookLayer(jnp.asarray(layer.get("b", jnp.zeros(W.shape[0], W.dtype)))[:, None], W))
    return tuple(out)


def shallow_layers(phi, theta, dtype=jnp.float32) -> tuple[dict, dict]:
    """A 1-H-1 ReLU net as :mod:`jdl.regions` layers, ``to_layers(matrix_form(phi, theta))``:
    ``{"W": theta[:, 1:], "b": theta[:, 0]}``, then ``{"W": phi[1:] (1, H), "b": phi[:1]}``.

    >>> [l["W"].shape for l in shallow_layers(**UDL_NET1)]
    [(3, 1), (1, 3)]
    """
    return to_layers(matrix_form(phi, theta, dtype))


def compose(first: Sequence, second: Sequence) -> tuple[BookLayer, ...]:
    """``second(first(x))`` as one deeper network (eq. 4.5; ``regions.compose`` on converted layers).

    For two 1-3-1 nets the middle layer is ``beta_1 = theta'_{.0} + theta'_{.1} phi_0`` and
    ``Omega_1 = theta'_{.1} phi_{1:}^T``, the entries Deep2 asks for.

    >>> from jdl.data.udlbook import UDL_NET1, UDL_NET2
    >>> deep = compose(matrix_form(**UDL_NET1), matrix_form(**UDL_NET2))
    >>> [l.Omega.shape for l in deep], round(float(deep[1].beta[0, 0]), 6), float(deep[1].Omega[0, 0])
    ([(3, 1), (3, 3), (1, 3)], -1.6, 2.0)
    """
    return from_layers(_compose_layers(to_layers(first), to_layers(second)))


def udlbook_networks() -> dict[str, tuple]:
    """CM20315_Deep's networks as :mod:`jdl.regions` layers (float32): net1 and net2, their compositions
    as the notebook varies them, and the three-layer ``net2(net1(net1(x)))``.

    >>> nets = udlbook_networks()
    >>> list(nets)[:3], [l["W"].shape for l in nets["net2(net1)"]]
    (['net1', 'net2', 'net2(net1)'], [(3, 1), (3, 3), (1, 3)])
    """
    n1, n2 = shallow_layers(**UDL_NET1), shallow_layers(**UDL_NET2)

    def scaled(net, i, c):
        phi = np.array(net["phi"], np.float32)
        phi[i] *= c
        return shallow_layers(phi, net["theta"])

    return {"net1": n1, "net2": n2, "net2(net1)": _compose_layers(n1, n2),
            "net2[phi_1*-1](net1)": _compose_layers(n1, scaled(UDL_NET2, 1, -1.0)),
            "net2(net1[phi_1*0.5])": _compose_layers(scaled(UDL_NET1, 1, 0.5), n2),
            "net1(net1)": _compose_layers(n1, n1), "net2(net1(net1))": _compose_layers(_compose_layers(n1, n1), n2)}


def forward_columns(net: Sequence, x_DN, activation="relu", *, hidden: bool = False):
    """Run a book-form network on data in columns, as the notebooks do: ``h = a[beta 1^T + Omega h]``.

    Args:
      net: ``(beta_k, Omega_k)`` pairs (:class:`BookLayer` or plain tuples); activation after every
        layer but the last.
      x_DN: ``(D_i, N)`` inputs, one example per column.
      activation: a name in :data:`ACTIVATIONS` or a callable.
      hidden: also return the hidden layers ``[h_1 (D_1, N), ...]``.

    Returns:
      ``(D_o, N)`` outputs (and the hidden layers).

    >>> from jdl.data.udlbook import UDL_NET1
    >>> forward_columns(matrix_form(**UDL_NET1), jnp.array([[-1.0, 0.0]])).tolist()
    [[-1.0, 1.0]]
    """
    act = _activation(activation)
    h, hs = _float(x_DN), []
    for k, (beta, omega) in enumerate(net):
        z = jnp.asarray(beta, h.dtype) + jnp.asarray(omega, h.dtype) @ h
        if k == len(net) - 1:
            return (z, hs) if hidden else z
        h = act(z)
        hs.append(h)
    raise ValueError("net: needs at least one layer")


def apply(net: Sequence, x, activation="relu") -> Array:
    """One example: ``x`` ``(D_i,)`` (or a scalar for one input) -> ``(D_o,)``; vmap over examples.

    >>> from jdl.data.udlbook import UDL_NET1
    >>> jax.vmap(lambda x: apply(matrix_form(**UDL_NET1), x))(jnp.array([-1.0, 0.0])).tolist()
    [[-1.0], [1.0]]
    """
    return forward_columns(net, jnp.reshape(_float(x), (-1, 1)), activation)[:, 0]


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

    >>> from jdl.data import udlbook as U
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

    >>> from jdl.data import udlbook as U
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


_ENTRY = re.compile(r"^\s*(beta|omega)_(\d+)\s*\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]\s*$", re.IGNORECASE)


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

    >>> from jdl.data import udlbook as U
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

    >>> from jdl.data import udlbook as U
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
