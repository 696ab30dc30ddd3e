"""Shallow univariate ReLU networks and the splines they fit: kernel vs adaptive regime.

The model (Williams et al. 2019) is ``f(x) = (1/m) sum_i c_i [a_i x + b_i]_+``: a piecewise-linear
function with a *knot* at ``e_i = -b_i / a_i`` where its slope changes by ``c_i a_i / m``.
Initial weights are ``a_i, b_i ~ N(0, sigma_ab^2)``, ``c_i ~ N(0, sigma_c^2)`` with two knobs::

    sigma_ab = alpha / sqrt(lam),   sigma_c = alpha * sqrt(lam)

``alpha`` scales every initial weight (``sqrt(sigma_ab sigma_c)``) and ``lam = sigma_c / sigma_ab`` is
the layer ratio. Units come in pairs with equal ``(a, b)`` and opposite ``c`` so ``f = 0`` at init.

Why the ratio sets the regime: gradient flow conserves ``c_i^2 - a_i^2 - b_i^2`` per unit, and
fitting data whose linear interpolant has path norm ``P`` (:func:`path_norm`) needs
``|c_i| |(a_i, b_i)| ~ P``. With a large first layer (``sigma_ab^2 >> P``, small ``lam``) only ``c``
moves: training is kernel regression on the fixed features ``[a_i x + b_i]_+``, whose minimum-norm
interpolant is a (knot-density weighted) natural cubic spline. With a large second layer (large
``lam``) ``c`` stays put and ``(a, b)`` learn: if ``alpha^2 >> P`` they barely move and the first
layer's tangent kernel (steps ``1[a x + b > 0] (x, 1)``) interpolates nearly linearly; if
``alpha^2 < P`` the knots travel and gather at a few points (the adaptive regime): at the data where
the linear interpolant is the sparsest fit (a square wave), partly between them otherwise (along convex
stretches of the data every knot placement has the same path norm).

Measures: :func:`natural_cubic_spline`, :func:`linear_interpolant`, :func:`spline_index` (the fit
projected on the segment linear spline (0) -> cubic spline (1)), :func:`knots`,
:func:`knot_mass_near_data` and :func:`knot_shift`.

References:
  Williams, Trager, Panozzo, Silva, Zorin, Bruna, "Gradient dynamics of shallow univariate ReLU
  networks", NeurIPS 2019. Savarese, Evron, Soudry, Srebro, "How do infinite width bounded norm
  networks look in function space?", COLT 2019 (the path norm of a univariate ReLU net).
"""
from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jdl import losses
from jdl.nn import Model
from jdl.train import TrainState, make_step

__all__ = [
    "init_scales", "from_standard", "relu_net", "predict", "spline_second_derivatives", "natural_cubic_spline",
    "linear_interpolant", "spline_index", "rms", "knots", "slope_mass", "knot_mass_near_data", "knot_shift",
    "uniform_near_fraction", "path_norm", "ntk_trace", "stable_lr", "analyse", "make_fit",
]

Array = jax.Array


def init_scales(alpha, lam) -> tuple[Array, Array]:
    """``(sigma_ab, sigma_c) = (alpha / sqrt(lam), alpha * sqrt(lam))`` (scalars, may be traced).

    >>> [round(float(s), 3) for s in init_scales(1.0, 4.0)]
    [0.5, 2.0]
    """
    sq = jnp.sqrt(lam)
    return alpha / sq, alpha * sq


def from_standard(alpha_std, m: int) -> tuple[np.ndarray, float, float]:
    """``(alpha, lam, lr_factor)`` that reproduce the *standard* parameterisation of the baseline.

    The baseline trains ``f = sum_i c_i relu(a_i x + b_i)`` from ``a, b ~ alpha_std N(0, 1)``,
    ``c ~ alpha_std N(0, 1) / sqrt(m)``. Writing its parameters as ``theta / sqrt(m)`` of ours turns
    it into this module's ``(1/m)``-model with ``sigma_ab = alpha_std sqrt(m)``,
    ``sigma_c = alpha_std``, and its gradient-descent steps into ours at ``lr = m * lr_std``
    (exactly, step by step). So it sits at ``lam = 1/sqrt(m)`` and ``alpha = alpha_std m^(1/4)``.

    >>> a, lam, k = from_standard(1.0, 100)
    >>> round(float(a), 4), lam, k
    (3.1623, 0.1, 100.0)
    """
    return np.asarray(alpha_std, np.float64) * m ** 0.25, m ** -0.5, float(m)


def relu_net(m: int, *, alpha=1.0, lam=1.0, symmetric: bool = True) -> Model:
    """``f(x) = (1/m) sum_i c_i relu(a_i x + b_i)`` as a :class:`jdl.nn.Model` on ``x`` of shape ``(1,)``.

    Args:
      m: hidden units (static).
      alpha, lam: overall scale and layer ratio (see :func:`init_scales`); may be traced.
      symmetric: draw ``m // 2`` units and repeat them with ``-c`` (an odd last unit gets ``c = 0``),
        so ``f = 0`` at init and no random initial function is left in the fit.

    Returns:
      ``Model``; params ``{"a": (m,), "b": (m,), "c": (m,)}``; ``apply(params, x) -> (1,)``.
      The same key gives the same base draws for every ``alpha, lam`` (common random numbers).

    >>> net = relu_net(4, alpha=2.0)
    >>> p = net.init(jax.random.key(0), (1,))
    >>> p["a"].shape, float(net.apply(p, jnp.ones(1))[0])
    ((4,), 0.0)
    """
    def init(key, in_shape=(1,)):
        if tuple(in_shape) != (1,):
            raise ValueError(f"in_shape: the model is univariate, shape (1,); got {in_shape!r}")
        s_ab, s_c = init_scales(alpha, lam)
        ka, kb, kc, kx = jax.random.split(key, 4)
        h = m // 2 if symmetric else m
        a, b, c = (jax.random.normal(k, (h,)) for k in (ka, kb, kc))
        if symmetric:
            extra_ab = jax.random.normal(kx, (2, m - 2 * h))  # an odd m's unpaired unit, with c = 0
            a = jnp.concatenate([a, a, extra_ab[0]])
            b = jnp.concatenate([b, b, extra_ab[1]])
            c = jnp.concatenate([c, -c, jnp.zeros(m - 2 * h)])
        return {"a": s_ab * a, "b": s_ab * b, "c": s_c * c}

    def apply(params, x):
        return jnp.mean(params["c"] * jax.nn.relu(params["a"] * x[0] + params["b"]))[None]

    return Model(init, apply)


def predict(params: Mapping[str, Array], xs_g: Array) -> Array:
    """The network on a grid: ``(G,)`` values at ``xs_g`` ``(G,)``."""
    pre_gm = xs_g[:, None] * params["a"] + params["b"]
    return jax.nn.relu(pre_gm) @ params["c"] / params["c"].shape[0]


def spline_second_derivatives(x_n: Array, y_n: Array) -> Array:
    """Second derivatives ``M`` ``(n,)`` of the natural cubic spline through ``(x_n, y_n)``.

    ``x_n`` strictly increasing, ``n >= 2``. ``M_0 = M_{n-1} = 0`` (natural ends); the interior solves
    the tridiagonal system ``h_{i-1} M_{i-1} + 2 (h_{i-1} + h_i) M_i + h_i M_{i+1} = 6 (s_i - s_{i-1})``
    with ``h`` the gaps and ``s`` the slopes.
    """
    x_n, y_n = jnp.asarray(x_n), jnp.asarray(y_n)
    n = x_n.shape[0]
    if n < 3:  # two points: the spline is the line
        return jnp.zeros_like(y_n)
    h = jnp.diff(x_n)
    s = jnp.diff(y_n) / h
    zero = jnp.zeros(1, h.dtype)
    lower = jnp.concatenate([zero, h[1:-1]])  # tridiagonal_solve wants lower[0] = upper[-1] = 0
    upper = jnp.concatenate([h[1:-1], zero])
    inner = jax.lax.linalg.tridiagonal_solve(lower, 2 * (h[:-1] + h[1:]), upper, (6 * jnp.diff(s))[:, None])[:, 0]
    return jnp.concatenate([zero, inner, zero]).astype(y_n.dtype)


def natural_cubic_spline(x_n: Array, y_n: Array, xs_g: Array) -> Array:
    """The natural cubic spline through ``(x_n, y_n)`` evaluated at ``xs_g`` ``(G,)``; linear outside.

    It is the interpolant of least curvature ``int f''^2`` (the kernel regime's limit).

    >>> x = jnp.linspace(-1.0, 1.0, 5)
    >>> bool(jnp.allclose(natural_cubic_spline(x, x**2, x), x**2, atol=1e-6))
    True
    """
    x_n, y_n, xs_g = jnp.asarray(x_n), jnp.asarray(y_n), jnp.asarray(xs_g)
    M = spline_second_derivatives(x_n, y_n)
    n = x_n.shape[0]
    k = jnp.clip(jnp.searchsorted(x_n, xs_g) - 1, 0, n - 2)
    h = x_n[k + 1] - x_n[k]
    t0, t1 = xs_g - x_n[k], x_n[k + 1] - xs_g
    inside = (M[k] * t1 ** 3 + M[k + 1] * t0 ** 3) / (6 * h) + (y_n[k] / h - M[k] * h / 6) * t1 \
        + (y_n[k + 1] / h - M[k + 1] * h / 6) * t0
    h0, h1 = x_n[1] - x_n[0], x_n[-1] - x_n[-2]
    slope_lo = (y_n[1] - y_n[0]) / h0 - h0 * M[1] / 6  # f'(x_0) with M_0 = 0
    slope_hi = (y_n[-1] - y_n[-2]) / h1 + h1 * M[-2] / 6
    out = jnp.where(xs_g < x_n[0], y_n[0] + slope_lo * (xs_g - x_n[0]), inside)
    return jnp.where(xs_g > x_n[-1], y_n[-1] + slope_hi * (xs_g - x_n[-1]), out)


def linear_interpolant(x_n: Array, y_n: Array, xs_g: Array) -> Array:
    """Piecewise-linear interpolant of the data at ``xs_g`` (constant outside, as ``np.interp``)."""
    return jnp.interp(xs_g, x_n, y_n)


def spline_index(f_g: Array, lin_g: Array, cub_g: Array) -> Array:
    """Position of ``f`` projected on the segment linear spline (0) -> cubic spline (1), on a grid.

    ``<f - L, S - L> / |S - L|^2`` (a uniform grid makes it the L2 projection); undefined (NaN) if
    the data are collinear (then ``S = L``). Values outside [0, 1] are possible.

    >>> L, S = jnp.zeros(3), jnp.ones(3)
    >>> float(spline_index(0.25 * S, L, S))
    0.25
    """
    d = cub_g - lin_g
    return jnp.vdot(f_g - lin_g, d) / jnp.vdot(d, d)


def rms(u: Array, v: Array) -> Array:
    """Root-mean-square distance of two functions on the same grid."""
    return jnp.sqrt(jnp.mean((u - v) ** 2))


def knots(params: Mapping[str, Array]) -> Array:
    """Knot positions ``e_i = -b_i / a_i`` ``(m,)`` (``+-inf``/NaN where ``a_i = 0``)."""
    return -params["b"] / params["a"]


def slope_mass(params: Mapping[str, Array]) -> Array:
    """Slope-change mass ``|c_i a_i|`` ``(m,)`` (the kink of unit ``i`` is ``c_i a_i / m``)."""
    return jnp.abs(params["c"] * params["a"])


def _inside(e: Array, lo, hi) -> Array:
    return jnp.isfinite(e) & (e >= lo) & (e <= hi)


def knot_mass_near_data(params: Mapping[str, Array], x_n: Array, delta: float = 0.02) -> Array:
    """Share of the slope-change mass of knots in ``[min x, max x]`` that lies within ``delta`` of data.

    Knots spread uniformly give :func:`uniform_near_fraction`; the adaptive regime approaches 1.
    NaN when no knot lies in the interval.
    """
    e = knots(params)
    inside = _inside(e, jnp.min(x_n), jnp.max(x_n))
    dist = jnp.min(jnp.abs(jnp.where(inside, e, 0.0)[:, None] - x_n[None, :]), axis=1)
    mass = slope_mass(params)
    tot = jnp.sum(jnp.where(inside, mass, 0.0))
    return jnp.sum(jnp.where(inside & (dist <= delta), mass, 0.0)) / tot


def knot_shift(params0: Mapping[str, Array], params: Mapping[str, Array], lo=-1.0, hi=1.0) -> Array:
    """Mean knot displacement ``|e_i(T) - e_i(0)|``, weighted by the final slope mass ``|c_i a_i|``.

    Units whose knot starts or ends in ``[lo, hi]`` count; a displacement is capped at ``hi - lo``
    (a knot that leaves to infinity moved "across the data", not infinitely far).
    """
    e0, e1 = knots(params0), knots(params)
    ok = jnp.isfinite(e0) & jnp.isfinite(e1) & (_inside(e0, lo, hi) | _inside(e1, lo, hi))
    shift = jnp.minimum(jnp.abs(jnp.where(ok, e1 - e0, 0.0)), hi - lo)
    w = jnp.where(ok, slope_mass(params), 0.0)
    return jnp.sum(w * shift) / jnp.sum(w)


def uniform_near_fraction(x_n, delta: float = 0.02) -> float:
    """Share of ``[min x, max x]`` within ``delta`` of a data point (knots spread uniformly; NumPy)."""
    x_n = np.asarray(x_n, np.float64)
    g = np.linspace(x_n.min(), x_n.max(), 200_001)
    return float(np.mean(np.min(np.abs(g[:, None] - x_n[None, :]), axis=1) <= delta))


def path_norm(x_n, y_n) -> float:
    """Slope variation of the linear interpolant, ``sum |s_k - s_{k-1}| + |s_0| + |s_last|`` (NumPy).

    The size ``(1/m) sum_i |c_i| |(a_i, b_i)|`` that any net fitting the data reaches (up to
    ``O(1)``; Savarese et al. 2019): it sets how large the weights, hence the tangent kernel, grow.
    """
    x_n, y_n = np.asarray(x_n, np.float64), np.asarray(y_n, np.float64)
    s = np.diff(y_n) / np.diff(x_n)
    return float(np.abs(np.diff(s)).sum() + abs(s[0]) + abs(s[-1]))


def ntk_trace(x_n, y_n, m: int, alpha, lam) -> np.ndarray:
    """Expected trace of the tangent kernel on the data, at init and after fitting (NumPy).

    At init ``E sum_n Theta(x_n, x_n) = (sigma_ab^2 + sigma_c^2) S / (2m)`` with
    ``S = sum_n (x_n^2 + 1)`` (``E relu(a x + b)^2 = sigma_ab^2 (x^2 + 1) / 2``). Fitting drives the
    balanced weights to ``|c| |(a, b)| ~ P`` (:func:`path_norm`), where ``|c|^2 + |(a,b)|^2 >= 2P``;
    so the estimate is ``(sigma_ab^2 + sigma_c^2 + 2P) S / (2m)``, which also covers the rich regime
    whose kernel starts tiny and grows.
    """
    s_ab, s_c = (np.asarray(v, np.float64) for v in init_scales(np.asarray(alpha, np.float64), np.asarray(lam)))
    S = float(np.sum(np.asarray(x_n, np.float64) ** 2 + 1))
    return (s_ab ** 2 + s_c ** 2 + 2 * path_norm(x_n, y_n)) * S / (2 * m)


def stable_lr(x_n, y_n, m: int, alpha, lam, lr_scale: float = 0.5) -> np.ndarray:
    """Per-member GD learning rate ``lr_scale * n / ntk_trace`` (NumPy, broadcasts over alpha, lam).

    Full-batch GD on the MSE moves the fit by ``-lr (2/n) Theta r``: it is stable while
    ``lr < n / lambda_max(Theta)``, and ``lambda_max <= trace``; ``lr_scale < 1`` keeps every member
    of an ``alpha x lam`` grid (kernels differing by orders of magnitude) stable and equally fast.
    """
    return lr_scale * len(np.asarray(x_n)) / ntk_trace(x_n, y_n, m, alpha, lam)


def analyse(params0: Mapping[str, Array], params: Mapping[str, Array], x_n: Array, y_n: Array, xs_g: Array,
            delta: float = 0.02) -> dict[str, Array]:
    """Measures of one trained net (jit-able): fit on the grid, distances, spline index, knots.

    Returns:
      ``fit`` ``(G,)``, and scalars ``train_mse``, ``d_lin``, ``d_cub`` (RMS distance to the linear
      interpolant / natural cubic spline), ``spline_index``, ``knot_mass_near_data`` (before:
      ``knot_mass_near_data_init``) and ``knot_shift``.
    """
    f_g = predict(params, xs_g)
    lin_g, cub_g = linear_interpolant(x_n, y_n, xs_g), natural_cubic_spline(x_n, y_n, xs_g)
    return {
        "fit": f_g, "train_mse": jnp.mean((predict(params, x_n) - y_n) ** 2),
        "d_lin": rms(f_g, lin_g), "d_cub": rms(f_g, cub_g), "spline_index": spline_index(f_g, lin_g, cub_g),
        "knot_mass_near_data": knot_mass_near_data(params, x_n, delta),
        "knot_mass_near_data_init": knot_mass_near_data(params0, x_n, delta),
        "knot_shift": knot_shift(params0, params, jnp.min(x_n), jnp.max(x_n)),
    }


def make_fit(x_n, m: int, steps: int, *, symmetric: bool = True, records: int = 50, grid_points: int = 1001,
             delta: float = 0.02, momentum: float = 0.0):
    """Build ``fit(key, hparams) -> dict``: one full-batch GD run of :func:`relu_net` as one ``lax.scan``.

    Args:
      x_n: ``(n,)`` inputs shared by every member (static).
      m: hidden units; steps: GD steps (a multiple of ``records``).
      symmetric: antisymmetric pairs (``f = 0`` at init).
      records: how many times the training MSE is recorded (before blocks of ``steps // records``).
      grid_points: dense grid on ``[min x, max x]`` for the fit and the spline distances.
      delta: "near a data point" radius of :func:`knot_mass_near_data`.
      momentum: heavy-ball momentum (static); 0 is plain gradient descent.

    Returns:
      ``fit(key, hparams)`` with ``hparams`` ``alpha``, ``lam``, ``lr`` (scalars) and ``y`` ``(n,)`` (all
      may be traced, so one compiled program serves a whole grid of them). It returns
      ``params0``/``params`` (``{"a","b","c"}`` each ``(m,)``), ``loss`` ``(records + 1,)`` (the last
      entry after the final step), ``nonfinite`` and the :func:`analyse` measures. Optimiser:
      ``optax.sgd(lr, momentum)`` on the per-example MSE averaged over the data (``momentum=0``: plain GD).

    References:
      Williams et al. 2019 (see the module docstring) train this model by gradient flow; heavy-ball
      momentum keeps the kernel regime's limit (the iterates stay in the span of the features).

    >>> fit = make_fit(jnp.linspace(-1.0, 1.0, 5), m=8, steps=10, records=2, grid_points=11)
    >>> out = fit(jax.random.key(0), {"alpha": 1.0, "lam": 1.0, "lr": 0.1, "y": jnp.zeros(5)})
    >>> out["loss"].shape, out["fit"].shape
    ((3,), (11,))
    """
    # Not jdl.train.make_train: that one shuffles the rows every epoch (a full batch in another order
    # sums in another order), splits the key for init, passes all-one weights and evaluates a test set,
    # so its numbers differ from these pinned ones; jdl.optim.descend keeps every step's parameters.
    # The steps are make_step's; only the full-batch blocks are written out here. make_train is not
    # called, so these checks (its epochs / eval_every ones) are make_fit's own: an uneven split would
    # silently train fewer steps.
    if steps < 1:
        raise ValueError(f"steps: must be >= 1, got {steps}")
    if records < 1 or steps % records:
        raise ValueError(f"records: must be >= 1 and divide steps={steps}, got {records}")
    x_n = jnp.asarray(x_n, jnp.float32)
    xs_g = jnp.linspace(jnp.min(x_n), jnp.max(x_n), grid_points)
    every = steps // records
    mse = lambda out, target: losses.mse(pred=out, target=target)  # noqa: E731

    def fit(key, hp):
        model = relu_net(m, alpha=hp["alpha"], lam=hp["lam"], symmetric=symmetric)
        tx = optax.sgd(hp["lr"], momentum=momentum or None)
        y_n = jnp.asarray(hp["y"], jnp.float32)
        params0 = model.init(key, (1,))
        step = make_step(model, mse, tx)
        x_n1, y_n1 = x_n[:, None], y_n[:, None]

        def block(state, _):
            state, loss_b = jax.lax.scan(lambda s, _: step(s, x_n1, y_n1), state, None, length=every)
            return state, loss_b[0]

        state = TrainState(params0, tx.init(params0), jnp.zeros((), jnp.int32))
        state, loss_r = jax.lax.scan(block, state, None, length=records)
        out = analyse(params0, state.params, x_n, y_n, xs_g, delta)
        out.update(params0=params0, params=state.params, loss=jnp.concatenate([loss_r, out["train_mse"][None]]))
        out["nonfinite"] = ~jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in state.params.values()]))
        return out

    return fit
