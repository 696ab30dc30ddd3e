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

Layers convert to and from :mod:`jdl.analysis.pieces`' ``{"W", "b"}`` layers (:func:`to_layers`,
:func:`from_layers`): composition (``regions.compose``) and the exact linear-piece counter
(``regions.count_pieces``) are shared with it, not duplicated. The Deep notebook's networks as such
layers (:func:`shallow_layers`, :func:`udlbook_networks`; ``jdl.analysis.pieces`` re-exports them under their
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
from typing import Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl.analysis.pieces import compose as _compose_layers
from jdl.studies.udlbook.fixtures import UDL_NET1, UDL_NET2

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

    >>> from jdl.studies.udlbook.fixtures import SHALLOW_NET
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

    >>> from jdl.studies.udlbook.fixtures import NET_2_INPUTS
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

    >>> from jdl.studies.udlbook.fixtures import UDL_NET1
    >>> n = matrix_form(**UDL_NET1)
    >>> [l.Omega.shape for l in n], n[1].beta.tolist()
    ([(3, 1), (1, 3)], [[1.0]])
    """
    phi, theta = jnp.asarray(phi, dtype), jnp.asarray(theta, dtype)
    return BookLayer(theta[:, :1], theta[:, 1:]), BookLayer(phi[None, :1], phi[None, 1:])


def to_layers(net: Sequence) -> tuple[dict, ...]:
    """Book layers as :mod:`jdl.analysis.pieces` layers ``{"W": Omega, "b": beta[:, 0]}`` (for ``regions.count_pieces``).

    >>> [(l["W"].shape, l["b"].shape) for l in to_layers(matrix_form(**UDL_NET1))]
    [((3, 1), (3,)), ((1, 3), (1,))]
    """
    return tuple({"W": jnp.asarray(omega), "b": jnp.asarray(beta)[:, 0]} for beta, omega in net)


def from_layers(layers: Sequence[Mapping]) -> tuple[BookLayer, ...]:
    """:mod:`jdl.analysis.pieces` layers (plain ``{"W": (out, in), "b": (out,)}`` dicts, ``b`` optional) as
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
    """A 1-H-1 ReLU net as :mod:`jdl.analysis.pieces` layers, ``to_layers(matrix_form(phi, theta))``:
    ``{"W": theta[:, 1:], "b": theta[:, 0]}``, then ``{"W": phi[1:] (1, H), "b": phi[:1]}``.

    >>> [l["W"].shape for l in shallow_layers(**UDL_NET1)]
    [(3, 1), (1, 3)]
    """
    return to_layers(matrix_form(phi, theta, dtype))


def compose(first: Sequence, second: Sequence) -> tuple[BookLayer, ...]:
    """``second(first(x))`` as one deeper network (eq. 4.5; ``regions.compose`` on converted layers).

    For two 1-3-1 nets the middle layer is ``beta_1 = theta'_{.0} + theta'_{.1} phi_0`` and
    ``Omega_1 = theta'_{.1} phi_{1:}^T``, the entries Deep2 asks for.

    >>> from jdl.studies.udlbook.fixtures import UDL_NET1, UDL_NET2
    >>> deep = compose(matrix_form(**UDL_NET1), matrix_form(**UDL_NET2))
    >>> [l.Omega.shape for l in deep], round(float(deep[1].beta[0, 0]), 6), float(deep[1].Omega[0, 0])
    ([(3, 1), (3, 3), (1, 3)], -1.6, 2.0)
    """
    return from_layers(_compose_layers(to_layers(first), to_layers(second)))


def udlbook_networks() -> dict[str, tuple]:
    """CM20315_Deep's networks as :mod:`jdl.analysis.pieces` layers (float32): net1 and net2, their compositions
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

    >>> from jdl.studies.udlbook.fixtures import UDL_NET1
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

    >>> from jdl.studies.udlbook.fixtures import UDL_NET1
    >>> jax.vmap(lambda x: apply(matrix_form(**UDL_NET1), x))(jnp.array([-1.0, 0.0])).tolist()
    [[-1.0], [1.0]]
    """
    return forward_columns(net, jnp.reshape(_float(x), (-1, 1)), activation)[:, 0]


_ENTRY = re.compile(r"^\s*(beta|omega)_(\d+)\s*\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]\s*$", re.IGNORECASE)


