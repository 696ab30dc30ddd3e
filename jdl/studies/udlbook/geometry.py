"""High-dimensional geometry (udlbook CM20315 Coursework IV; Prince 2023, sec. 8.4 and problem 8.7).

Three facts that defeat low-dimensional intuition:

* **Distances concentrate.** For ``n`` Gaussian points in ``d`` dimensions every squared pairwise
  distance is ``2 chi^2_d``-like, with relative spread ``~ sqrt(2/d)``: the ratio of the largest to
  the smallest pairwise distance falls towards 1 as ``d`` grows (the notebook: 1000 points give
  about 2840 in 2-D, 2.04 in 100-D and 1.22 in 1000-D).
* **Balls vanish.** The ball of diameter 1 inside the unit cube has volume
  ``pi^(d/2) / Gamma(d/2 + 1) * (1/2)^d``: 0.785 in 2-D, 0.0025 in 10-D, ``10^-1187`` in 1000-D.
  :func:`log_ball_volume` works in log space (``gammaln``), so the curve reaches any ``d``.
* **Volume lives at the surface.** The fraction of a ball's volume in its outer shell of relative
  thickness ``eps`` is ``1 - (1 - eps)^d``: 1 % of the radius holds 95 % of the volume at ``d = 300``.

Distances are computed from coordinate differences, in blocks of rows (never ``|x|^2 + |y|^2 -
2 x.y``, whose cancellation loses the smallest 2-D distances in float32). For a whole dimension
curve they are accumulated coordinate by coordinate with a ``lax.scan``: the points in ``d``
dimensions are the first ``d`` coordinates of the points in ``D >= d`` dimensions, so one pass over
``D`` coordinates gives the smallest and largest distance for *every* ``d <= D``
(:func:`distance_extremes`), at the cost of the largest dimension alone, in ``rows_per_block x n``
memory per member whatever ``D``; seeds are vmapped in chunks (:func:`ratio_sweep`).

References:
  Prince, "Understanding Deep Learning" (2023), sec. 8.4 "Curse of dimensionality", problem 8.7;
  Beyer et al., "When is 'nearest neighbor' meaningful?" (ICDT 1999).
"""
from __future__ import annotations

import math
from functools import partial
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import gammaln

from jdl import sweep
from jdl.precision import precision

Array = jax.Array

__all__ = ["Extremes", "udlbook_points", "pairwise_sq_distances", "distance_extremes", "distance_ratio",
           "ratio_sweep", "concentration_exponent", "log_ball_volume", "ball_volume", "outer_shell_fraction"]

UDL_DIMS = (2, 100, 1000)


class Extremes(NamedTuple):
    """Smallest and largest distance between two different points, per prefix dimension ``d = 1..D``."""

    min_d: Array  #: ``(..., D)`` smallest pairwise distance using the first ``d`` coordinates
    max_d: Array  #: ``(..., D)`` largest pairwise distance

    @property
    def ratio(self) -> Array:
        """``max / min`` per dimension (the notebook's ``distance_ratio``; ``inf`` where two points coincide)."""
        with np.errstate(divide="ignore"):  # NumPy leaves (from ratio_sweep); jax arrays never warn
            return self.max_d / self.min_d


def udlbook_points(seed: int = 0, n: int = 1000, dims: Sequence[int] = UDL_DIMS) -> list[np.ndarray]:
    """The notebook's point sets: ``np.random.seed(seed)``, then ``normal(size=(d, n))`` for each ``d`` in turn.

    The notebook stores examples as columns, ``(d, n)``; these are returned transposed, ``(n, d)``
    float64 (rows are points, as everywhere in jdl). The same legacy MT19937 stream as the notebook
    (``np.random.RandomState``, without touching NumPy's global state).

    >>> x2, x100, x1000 = udlbook_points()
    >>> x1000.shape, round(float(x1000.sum()), 3)  # the notebook: "Should be 1036.321"
    ((1000, 1000), 1036.321)
    """
    rng = np.random.RandomState(seed)
    return [np.ascontiguousarray(rng.normal(size=(d, n)).T) for d in dims]


@partial(jax.jit, static_argnames="rows_per_block")
def pairwise_sq_distances(x_nd: Array, *, rows_per_block: int | None = None) -> Array:
    """Squared Euclidean distances ``(n, n)`` between the rows of ``x_nd``, from coordinate differences.

    Exact up to rounding for every pair, however close (no ``|x|^2 + |y|^2 - 2 x.y`` cancellation).
    Rows are taken ``rows_per_block`` at a time (``lax.map``; default: blocks of at most ``2^23``
    differences), so beyond the ``n x n`` result memory stays bounded whatever the dimension.

    >>> pairwise_sq_distances(jnp.array([[0.0, 0.0], [3.0, 4.0]])).tolist()
    [[0.0, 25.0], [25.0, 0.0]]
    """
    n, D = x_nd.shape
    b = max(1, min(n, (1 << 23) // max(1, n * D))) if rows_per_block is None else max(1, min(rows_per_block, n))
    n_blocks = -(-n // b)
    xp = jnp.pad(x_nd, ((0, n_blocks * b - n), (0, 0)))

    def block(i):
        rows_bd = lax.dynamic_slice_in_dim(xp, i * b, b)
        return jnp.sum((rows_bd[:, None, :] - x_nd[None, :, :]) ** 2, axis=-1)

    return lax.map(block, jnp.arange(n_blocks)).reshape(n_blocks * b, n)[:n]


@partial(jax.jit, static_argnames="rows_per_block")
def distance_extremes(x_nd: Array, *, rows_per_block: int | None = None) -> Extremes:
    """Smallest and largest distance between two different rows of ``x_nd``, for every prefix dimension.

    Entry ``d - 1`` uses only the first ``d`` coordinates (the points projected to ``d`` dimensions).
    Squared distances to all ``n`` points are accumulated one coordinate per ``lax.scan`` step, for
    ``rows_per_block`` rows at a time (``lax.map`` over row blocks), so memory is
    ``rows_per_block x n`` numbers whatever the dimension, and the cost is ``n^2 D`` like one Gram
    matrix. A point's distance to itself is left out; duplicate points give a smallest distance of 0.

    Args:
      x_nd: ``(n, D)`` points in rows, ``n >= 2``.
      rows_per_block: rows per block (default all ``n``: one ``n x n`` accumulator).

    Returns:
      :class:`Extremes` with ``(D,)`` entries.

    >>> e = distance_extremes(jnp.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    >>> e.min_d.tolist(), e.max_d.tolist()
    ([0.0, 1.0], [3.0, 5.0])
    """
    n, D = x_nd.shape
    if n < 2:
        raise ValueError(f"x_nd: need at least 2 points, got {n}")
    b = n if rows_per_block is None else max(1, min(int(rows_per_block), n))
    n_blocks = -(-n // b)
    xp = jnp.pad(x_nd, ((0, n_blocks * b - n), (0, 0)))  # padded rows are masked out below
    cols_dn = x_nd.T
    big = jnp.asarray(jnp.inf, x_nd.dtype)
    col = jnp.arange(n)

    def block(i):
        rows_db = lax.dynamic_slice_in_dim(xp, i * b, b).T
        idx = i * b + jnp.arange(b)
        other_bn = (idx[:, None] != col[None, :]) & (idx[:, None] < n)  # a real row, not the point itself

        def step(sq_bn, coords):  # add one coordinate to every squared distance, record the extremes
            r_b, c_n = coords
            sq_bn = sq_bn + (r_b[:, None] - c_n[None, :]) ** 2
            return sq_bn, (jnp.min(jnp.where(other_bn, sq_bn, big)), jnp.max(jnp.where(other_bn, sq_bn, -big)))

        _, lo_hi = lax.scan(step, jnp.zeros((b, n), x_nd.dtype), (rows_db, cols_dn))
        return lo_hi

    lo_kd, hi_kd = lax.map(block, jnp.arange(n_blocks))
    return Extremes(jnp.sqrt(jnp.min(lo_kd, 0)), jnp.sqrt(jnp.max(hi_kd, 0)))


@partial(jax.jit, static_argnames="rows_per_block")
def distance_ratio(x_nd: Array, dim=None, *, rows_per_block: int | None = None) -> Array:
    """Largest over smallest distance between two different rows of ``x_nd`` (the notebook's ``distance_ratio``).

    All ``n (n - 1) / 2`` pairs from :func:`pairwise_sq_distances`; a point's distance to itself is
    left out (the notebook: "DO NOT include the distance between the data point and itself").

    Args:
      x_nd: ``(n, D)`` points in rows (the notebook's ``x`` is ``(D, n)``: pass ``x.T``).
      dim: use only the first ``dim`` coordinates (a traced integer, so ``jax.vmap`` over ``dim``
        evaluates many dimensions in one program by masking); default all ``D``.
      rows_per_block: see :func:`pairwise_sq_distances`.

    >>> x = jnp.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    >>> float(distance_ratio(x)), float(distance_ratio(x, dim=1))
    (5.0, 3.0)
    """
    if dim is not None:
        x_nd = jnp.where(jnp.arange(x_nd.shape[1]) < dim, x_nd, jnp.zeros((), x_nd.dtype))
    sq_nn = pairwise_sq_distances(x_nd, rows_per_block=rows_per_block)
    off = ~jnp.eye(x_nd.shape[0], dtype=bool)
    return jnp.sqrt(jnp.max(sq_nn) / jnp.min(jnp.where(off, sq_nn, jnp.asarray(jnp.inf, sq_nn.dtype))))


def ratio_sweep(seeds: Sequence[int], n: int, max_dim: int, *, dtype=jnp.float32, seeds_per_call: int | None = None,
                rows_per_block: int | None = None, progress: bool = False) -> Extremes:
    """Smallest and largest pairwise distance of ``n`` Gaussian points, for every seed and every ``d <= max_dim``.

    Seed ``s`` draws ``x ~ N(0, I)`` of shape ``(n, max_dim)`` from ``jax.random.key(s)``; dimension
    ``d`` uses its first ``d`` coordinates (:func:`distance_extremes`, one pass over ``max_dim``).
    Seeds are vmapped, ``seeds_per_call`` per compiled call (:func:`jdl.sweep.map_members`).

    Args:
      seeds: integer seeds.
      n: points per seed.
      max_dim: largest dimension ``D``; every ``d = 1..D`` is returned.
      dtype: ``jnp.float32`` (default) or ``jnp.float64`` (x64 enabled for this computation only).
      seeds_per_call: seeds per compiled call; default what keeps ``~256 MiB`` of accumulators.
      rows_per_block: see :func:`distance_extremes`.
      progress: progress bar over calls.

    Returns:
      :class:`Extremes` of NumPy arrays ``(S, D)``.

    >>> e = ratio_sweep([0, 1], n=50, max_dim=20)
    >>> e.ratio.shape, bool((e.ratio[:, -1] < e.ratio[:, 0]).all())
    ((2, 20), True)
    """
    if n < 2 or max_dim < 1:
        raise ValueError(f"n, max_dim: need n >= 2 and max_dim >= 1, got {n}, {max_dim}")
    rows = n if rows_per_block is None else min(rows_per_block, n)
    if seeds_per_call is None:
        seeds_per_call = max(1, (256 << 20) // (4 * rows * n * jnp.dtype(dtype).itemsize))
    with precision(dtype):
        def member(key):
            x_nd = jax.random.normal(key, (n, max_dim), dtype)
            return distance_extremes(x_nd, rows_per_block=rows_per_block)

        out = sweep.map_members(member, sweep.seed_keys(seeds), chunk_size=seeds_per_call, progress=progress,
                                desc="distance ratio")
    return Extremes(*out)


def concentration_exponent(dims, ratio_d, d_min: int = 1) -> float:
    """Exponent ``p`` of ``log(max/min distance) ~ d^p``, a least-squares fit over ``d >= d_min``.

    For Gaussian points the relative spread of the distances is ``~ sqrt(2/d)``, so ``p -> -1/2``.

    >>> d = np.arange(1.0, 101.0)
    >>> round(concentration_exponent(d, np.exp(3.0 / np.sqrt(d)), d_min=10), 6)
    -0.5
    """
    d, r = np.asarray(dims, np.float64), np.asarray(ratio_d, np.float64)
    keep = (d >= d_min) & np.isfinite(r) & (r > 1)
    if keep.sum() < 2:
        raise ValueError(f"d_min: need two dimensions >= {d_min} with a finite ratio > 1")
    return float(np.polyfit(np.log(d[keep]), np.log(np.log(r[keep])), 1)[0])


@jax.jit
def log_ball_volume(d, diameter=1.0) -> Array:
    """Natural log of the volume of the ``d``-ball of the given diameter: ``log(pi^(d/2) r^d / Gamma(d/2 + 1))``.

    In log space through ``gammaln``, so it is finite for any ``d`` (the volume itself underflows
    float64 beyond ``d ~ 600`` for diameter 1). Vectorised over ``d`` and ``diameter``.

    >>> round(float(jnp.exp(log_ball_volume(2))), 4)  # a circle of radius 1/2: pi / 4
    0.7854
    >>> round(float(log_ball_volume(1000) / jnp.log(10.0)), 1)  # log10 of the volume in 1000-D
    -1186.5
    """
    d = jnp.asarray(d, jnp.result_type(float))
    r = jnp.asarray(diameter, d.dtype) / 2
    return 0.5 * d * jnp.log(jnp.asarray(math.pi, d.dtype)) + d * jnp.log(r) - gammaln(0.5 * d + 1)


@jax.jit
def ball_volume(d, diameter=1.0) -> Array:
    """Volume of the ``d``-ball of the given diameter (the notebook's ``volume_of_hypersphere(diameter, d)``).

    >>> [round(float(v), 3) for v in ball_volume(jnp.arange(1, 5))]
    [1.0, 0.785, 0.524, 0.308]
    """
    return jnp.exp(log_ball_volume(d, diameter))


@jax.jit
def outer_shell_fraction(d, shell=0.01) -> Array:
    """Fraction of a ``d``-ball's volume within ``shell`` (relative) of its surface: ``1 - V(r (1 - shell)) / V(r)``.

    As the notebook asks: the volume of the ball and of the ball with ``1 - shell`` of the radius,
    here as a difference of :func:`log_ball_volume` (``-expm1`` keeps small fractions exact). It
    equals ``1 - (1 - shell)^d`` whatever the diameter.

    >>> [round(float(p), 3) for p in outer_shell_fraction(jnp.array([1, 100, 300]))]
    [0.01, 0.634, 0.951]
    """
    d = jnp.asarray(d, jnp.result_type(float))
    inner = log_ball_volume(d, 1.0 - jnp.asarray(shell, d.dtype))
    return -jnp.expm1(inner - log_ball_volume(d, 1.0))
