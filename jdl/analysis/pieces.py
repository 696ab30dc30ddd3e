"""Exact linear pieces of 1-D-input ReLU networks, by tracking breakpoints through the layers.

A ReLU MLP with one input is piecewise linear in ``x``. On ``[a, b]`` the counter follows every
*breakpoint* (a point where some hidden unit's pre-activation changes sign) layer by layer, with
no grid of samples:

1. sorted knots ``t`` (``a`` first, ``b`` last, padded with copies of ``b``) cut ``[a, b]`` into
   segments on which every unit seen so far is affine; the post-activations at the knots and their
   slope on each segment are carried along (forward mode: slopes are never finite differences);
2. a layer's pre-activations are then affine on every segment, so a unit's zero crossing is found
   in closed form wherever its pre-activation changes sign strictly between two knots;
3. the crossings are merged into the knots (points closer than ``x_tol`` count once), the
   pre-activations are extended to the new knots with their exact slopes, and each new segment's
   ReLU pattern is read at its midpoint.

What is counted on ``[a, b]``:

* ``n_regions``: activation regions, the intervals between consecutive breakpoints (connected
  intervals of one ReLU pattern; a pattern that comes back later counts again);
* ``n_pieces``: pieces of the output, the maximal intervals on which the output is affine:
  1 + the breakpoints where the output slope changes (collinear neighbours merge, relative
  tolerance ``slope_rtol``). ``n_pieces <= n_regions``.

Shapes are static (``max_breakpoints`` interior breakpoints at most): the counter jits and vmaps
over stacked networks; one that needs more sets ``overflow`` and counts -1, never a silent undercount.

Parameters are a sequence of layers, ReLU after every layer but the last: ``{"W": (out, in),
"b": (out,)}`` (``b`` optional), or a *stacked block* ``{"W": (n, w, w), "b": (n, w), "active":
(n,)}`` of ``n`` square layers run with ``lax.scan``, where ``active = 0`` skips a layer (depth
sweeps by masking). Entries that are not dicts are ignored, so ``jdl.nn.mlp`` params (standard
parameterisation) work as they are. Units with zero weights and bias never cross zero, so widths
are swept by zero padding.

References:
  Montufar et al., "On the number of linear regions of deep neural networks" (NeurIPS 2014);
  Telgarsky, "Benefits of depth in neural networks" (COLT 2016); Hanin & Rolnick, "Complexity of
  linear regions in deep networks" (ICML 2019); Prince, "Understanding Deep Learning", ch. 4.
"""
from __future__ import annotations

import contextlib
from functools import partial
from typing import Any, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp

from jdl.precision import precision

Array = jax.Array
Params = Sequence[Any]

# (the sawtooth and random nets and regions_bound live in jdl.studies.linear_regions.networks)
__all__ = ["Breakpoints", "Pieces", "breakpoints", "count_pieces", "count_pieces_many", "evaluate",
           "pad_depth", "active_layers", "compose", "compose_chain"]


class Breakpoints(NamedTuple):
    """Breakpoints of one network on ``[a, b]`` (``C = max_breakpoints + 2`` knot slots).

    Attributes:
      x: ``(C,)`` sorted knots: ``a``, the interior breakpoints, ``b``, then copies of ``b``.
      n_knots: ``()`` int32, valid knots (interior breakpoints + 2).
      slope: ``(C - 1, out)`` output slope on each segment ``[x[k], x[k+1]]``.
      kink: ``(C,)`` bool, interior knots where the output slope changes.
      overflow: ``()`` bool, more than ``max_breakpoints`` were needed (then ``x`` is incomplete).
    """

    x: Array
    n_knots: Array
    slope: Array
    kink: Array
    overflow: Array


class Pieces(NamedTuple):
    """Counts on ``[a, b]`` (each ``()`` int32; both -1 when ``overflow``)."""

    n_pieces: Array
    n_regions: Array
    overflow: Array


def _layers(params: Params) -> list[Mapping]:  # skips jdl.nn.activation's empty params
    return [p for p in params if isinstance(p, Mapping) and "W" in p]


def _refine(state, W, bias, tol, a, b):
    """Merge one hidden layer's zero crossings into the knots; apply its ReLU."""
    t, h, g, n, over = state
    C = t.shape[0]
    z = h @ W.T + bias                      # (C, w') pre-activations at the knots
    gz = g @ W.T                            # (C-1, w') their slopes on each segment
    z0, z1 = z[:-1], z[1:]
    cross = z0 * z1 < 0                     # strict sign change: a zero inside the segment
    frac = z0 / jnp.where(cross, z0 - z1, 1)
    tc = t[:-1, None] + frac * (t[1:] - t[:-1])[:, None]
    cross &= (tc > a + tol) & (tc < b - tol)  # a and b stay knots
    # compact the crossings into C slots (segment-major); needing more is an overflow anyway
    flat = cross.ravel()
    slot = jnp.where(flat, jnp.cumsum(flat) - 1, C)
    new = jnp.full(C, jnp.inf, t.dtype).at[slot].set(tc.ravel(), mode="drop")
    cand = jnp.sort(jnp.concatenate([jnp.where(jnp.arange(C, dtype=jnp.int32) < n, t, jnp.inf), new]))
    # one knot per cluster closer than tol (sawtooth pairs cross at bit-identical points)
    keep = jnp.isfinite(cand) & jnp.concatenate([jnp.ones(1, bool), jnp.diff(cand) > tol])
    n_new = jnp.sum(keep)
    over = over | (jnp.sum(flat) > C) | (n_new > C)
    t_new = jnp.full(C, b, t.dtype).at[jnp.where(keep, jnp.cumsum(keep) - 1, C)].set(cand, mode="drop")
    # z is affine on every old segment: extend it to the new knots with the exact slope
    parent = jnp.clip(jnp.searchsorted(t, t_new, side="right") - 1, 0, C - 2)
    z_new = z[parent] + (t_new - t[parent])[:, None] * gz[parent]
    on = (z_new[:-1] + z_new[1:]) > 0       # pattern at each new segment's midpoint
    g_new = jnp.where(on, gz[parent[:-1]], 0)
    return t_new, jax.nn.relu(z_new), g_new, jnp.minimum(n_new, C).astype(jnp.int32), over


@partial(jax.jit, static_argnames=("max_breakpoints",))
def breakpoints(params: Params, a=-1.0, b=1.0, *, max_breakpoints: int = 1024, x_tol=None,
                slope_rtol=1e-6) -> Breakpoints:
    """Every breakpoint of a 1-input ReLU network on ``[a, b]`` and its output slopes.

    Args:
      params: layers (see module docstring); the first layer has ``in = 1``.
      a, b: the interval, ``a < b`` (may be traced).
      max_breakpoints: static capacity for interior breakpoints (a bound:
        ``jdl.studies.linear_regions.networks.regions_bound``); the function is jitted with it static.
      x_tol: breakpoints closer than this are one (default ``16 eps max(|a|, |b|, b - a)``).
      slope_rtol: neighbouring slopes differing by less than ``slope_rtol (|s1| + |s2|)`` are equal.

    Returns:
      :class:`Breakpoints` with ``C = max_breakpoints + 2`` knot slots.

    >>> tooth = {"W": jnp.array([[2.0, 2.0], [-2.0, -2.0]]), "b": jnp.array([-2.0, 2.0])}
    >>> saw2 = [{"W": jnp.array([[1.0], [-1.0]])}, tooth, {"W": jnp.array([[2.0, 2.0]]), "b": jnp.array([-2.0])}]
    >>> bp = breakpoints(saw2, -2.0, 2.0, max_breakpoints=8)
    >>> bp.x[:int(bp.n_knots)].tolist(), int(bp.kink.sum())
    ([-2.0, -1.0, 0.0, 1.0, 2.0], 3)
    """
    layers = _layers(params)
    dtype = jnp.asarray(layers[0]["W"]).dtype
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    C = max_breakpoints + 2
    if x_tol is None:
        x_tol = 16 * jnp.finfo(dtype).eps * jnp.maximum(jnp.maximum(jnp.abs(a), jnp.abs(b)), b - a)
    tol = jnp.asarray(x_tol, dtype)
    t = jnp.full(C, b, dtype).at[0].set(a)
    state = (t, t[:, None], jnp.ones((C - 1, 1), dtype), jnp.int32(2), jnp.zeros((), bool))
    # layers differ in shape, so this loop unrolls at trace time; repeated square layers come as a
    # stacked block and run in one lax.scan
    for layer in layers[:-1]:
        W = jnp.asarray(layer["W"], dtype)
        bias = jnp.asarray(layer.get("b", jnp.zeros(W.shape[-2], dtype)), dtype)
        if W.ndim == 2:
            state = _refine(state, W, bias, tol, a, b)
            continue
        active = jnp.asarray(layer.get("active", jnp.ones(W.shape[0])))

        def step(s, wba):
            new = _refine(s, wba[0], wba[1], tol, a, b)
            return jax.tree.map(lambda x, y: jnp.where(wba[2] > 0, x, y), new, s), None

        state, _ = jax.lax.scan(step, state, (W, bias, active))
    t, h, g, n, over = state
    slope = g @ jnp.asarray(layers[-1]["W"], dtype).T        # (C-1, out): the readout is linear
    s0, s1 = slope[:-1], slope[1:]
    change = jnp.any(jnp.abs(s1 - s0) > slope_rtol * (jnp.abs(s0) + jnp.abs(s1)), axis=-1)
    k = jnp.arange(1, C - 1, dtype=jnp.int32)
    kink = jnp.zeros(C, bool).at[1:-1].set(change & (k < n - 1))
    return Breakpoints(t, n, slope, kink, over)


@partial(jax.jit, static_argnames=("max_breakpoints",))
def count_pieces(params: Params, a=-1.0, b=1.0, *, max_breakpoints: int = 1024, x_tol=None,
                 slope_rtol=1e-6) -> Pieces:
    """Linear pieces of the output and activation regions on ``[a, b]`` (-1 and -1 on overflow).

    Arguments as :func:`breakpoints` (jitted, ``max_breakpoints`` static); vmap it over networks.

    >>> tooth = {"W": jnp.array([[2.0, 2.0], [-2.0, -2.0]]), "b": jnp.array([-2.0, 2.0])}
    >>> def sawtooth(L):  # Telgarsky's: 2^L pieces on [-2, 2]
    ...     return [{"W": jnp.array([[1.0], [-1.0]])}, *[tooth] * (L - 1),
    ...             {"W": jnp.array([[2.0, 2.0]]), "b": jnp.array([-2.0])}]
    >>> [int(count_pieces(sawtooth(L), -2.0, 2.0, max_breakpoints=64).n_pieces) for L in (1, 3, 5)]
    [2, 8, 32]
    """
    bp = breakpoints(params, a, b, max_breakpoints=max_breakpoints, x_tol=x_tol, slope_rtol=slope_rtol)
    bad = jnp.int32(-1)
    pieces = jnp.where(bp.overflow, bad, 1 + jnp.sum(bp.kink).astype(jnp.int32))
    return Pieces(pieces, jnp.where(bp.overflow, bad, bp.n_knots - 1), bp.overflow)


@partial(jax.jit, static_argnames=("max_breakpoints",))
def _count_many(params, a, b, max_breakpoints, x_tol, slope_rtol):
    return jax.vmap(lambda p: count_pieces(p, a, b, max_breakpoints=max_breakpoints, x_tol=x_tol,
                                           slope_rtol=slope_rtol))(params)


def count_pieces_many(params: Params, a=-1.0, b=1.0, *, max_breakpoints: int = 1024, dtype=None,
                      x_tol=None, slope_rtol=1e-6) -> Pieces:
    """:func:`count_pieces` jitted and vmapped over stacked networks (a leading axis on every leaf).

    ``dtype=jnp.float64`` casts the floating leaves and enables x64 for this computation only:
    float32 merges breakpoints closer than ~1e-6 of the interval (the two halves of a perturbed
    sawtooth kink, deep in the net), float64 resolves them.

    >>> k1, k2, k3 = jax.random.split(jax.random.key(0), 3)  # five random 1 -> 8 -> 1 nets, stacked
    >>> nets = [{"W": jax.random.normal(k1, (5, 8, 1)), "b": jax.random.normal(k2, (5, 8))},
    ...         {"W": jax.random.normal(k3, (5, 1, 8))}]
    >>> count_pieces_many(nets, -3.0, 3.0, max_breakpoints=128, dtype=jnp.float64).n_pieces.shape
    (5,)
    """
    with precision(dtype) if dtype is not None else contextlib.nullcontext():
        if dtype is not None:
            params = jax.tree.map(
                lambda x: jnp.asarray(x, dtype) if jnp.issubdtype(jnp.asarray(x).dtype, jnp.floating) else x, params)
        return jax.block_until_ready(_count_many(params, a, b, max_breakpoints, x_tol, slope_rtol))


def evaluate(params: Params, x) -> Array:
    """The network's output ``(out,)`` at one scalar ``x`` (vmap over points for a curve).

    >>> saw1 = [{"W": jnp.array([[1.0], [-1.0]])}, {"W": jnp.array([[2.0, 2.0]]), "b": jnp.array([-2.0])}]
    >>> evaluate(saw1, 0.5).tolist()
    [-1.0]
    """
    layers = _layers(params)
    h = jnp.reshape(jnp.asarray(x, layers[0]["W"].dtype), (1,))

    for layer in layers[:-1]:
        if jnp.ndim(layer["W"]) == 2:
            h = jax.nn.relu(layer["W"] @ h + layer.get("b", 0))
            continue
        body = lambda h, l: (jnp.where(l[2] > 0, jax.nn.relu(l[0] @ h + l[1]), h), None)  # noqa: E731
        h, _ = jax.lax.scan(body, h, (layer["W"], layer["b"], layer.get("active", jnp.ones(len(layer["W"])))))
    return layers[-1]["W"] @ h + layers[-1].get("b", 0)


def pad_depth(params: Params, max_depth: int) -> tuple:
    """Plain layers ``[first, square hidden..., last]`` as ``(first, stacked block, last)``, the block
    padded with inactive layers to ``max_depth - 1``: nets of different depths then stack and vmap.

    >>> mid = {"W": jnp.ones((3, 3)), "b": jnp.zeros(3)}
    >>> p = pad_depth([{"W": jnp.ones((3, 1))}, mid, {"W": jnp.ones((1, 3))}], 4)
    >>> p[1]["W"].shape, p[1]["active"].tolist()
    ((3, 3, 3), [1.0, 0.0, 0.0])
    """
    first, *mid, last = _layers(params)
    w, dtype = first["W"].shape[0], jnp.asarray(first["W"]).dtype
    pad = max_depth - 1 - len(mid)
    W = jnp.stack([jnp.asarray(m["W"], dtype) for m in mid] + [jnp.zeros((w, w), dtype)] * pad)
    b = jnp.stack([jnp.asarray(m.get("b", jnp.zeros(w)), dtype) for m in mid] + [jnp.zeros(w, dtype)] * pad)
    return first, {"W": W, "b": b, "active": active_layers(len(mid) + 1, max_depth, dtype)}, last


def active_layers(depth, L, dtype):  # 1 for the middle layers a depth-`depth` net uses, 0 for the padding
    return (jnp.arange(L - 1, dtype=jnp.int32) < jnp.asarray(depth).astype(jnp.int32) - 1).astype(dtype)


def compose(first: Params, second: Params) -> tuple:
    """``second(first(x))`` as one deeper network: first's linear readout folds into second's input layer
    (book eq. 4.5: ``Omega_1 = theta' phi^T``, ``beta_1 = theta'_0 + theta'_1 phi_0``; ``jdl.studies.udlbook.networks.compose``
    is this on the book's ``(beta, Omega)`` layers).

    >>> one = ({"W": jnp.ones((3, 1)), "b": jnp.zeros(3)}, {"W": jnp.ones((1, 3)), "b": jnp.ones(1)})
    >>> [l["W"].shape for l in compose(one, one)]
    [(3, 1), (3, 3), (1, 3)]
    """
    (*f, out), (inp, *s) = _layers(first), _layers(second)
    return (*f, {"W": inp["W"] @ out["W"], "b": inp["W"] @ out.get("b", 0) + inp.get("b", 0)}, *s)


def compose_chain(inner: Params, outer: Params, copies: int) -> list[tuple]:
    """``outer(inner(...inner(x)))`` with 1..``copies`` copies of ``inner``, each as one deeper network.

    >>> one = ({"W": jnp.ones((3, 1)), "b": jnp.zeros(3)}, {"W": jnp.ones((1, 3)), "b": jnp.ones(1)})
    >>> [len(net) for net in compose_chain(one, one, 3)]
    [3, 4, 5]
    """
    chain, net = [], inner
    for _ in range(copies):  # static depth: each member has one more layer, so no scan
        chain.append(compose(net, outer))
        net = compose(net, inner)
    return chain
