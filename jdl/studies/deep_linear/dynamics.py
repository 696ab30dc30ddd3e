"""Learning dynamics of deep linear networks: SVD modes, their exact solutions, and fast exact training.

The network of Neuromatch Academy's "Deep linear neural networks" tutorial (W1D2 Tutorial 3):
``LNNet(D, H, N)``, ``y = W2 W1 x`` without biases, every weight ``N(0, (gamma / sqrt(n_in + n_out))^2)``,
trained by full-batch gradient descent on the mean-reduced squared error (``nn.MSELoss``: the mean
over all ``P x N`` entries) of ``P`` items ``x_pd`` and targets ``y_pn``. Per epoch it records the
loss, the singular values of ``W_tot = W2 W1`` (the tutorial's "modes"), the hidden representational
similarity matrix ``H H^T`` (``H = X W1^T``) and every item's prediction of one feature; and, for the theory,
the *mode strengths* ``u_a^T W_tot v_a`` on the singular vectors of the least-squares solution
``W* = Y^T X (X^T X)^+`` that the network converges to (:func:`target_modes`; the pseudo-inverse is the
minimum-norm solution when ``X^T X`` is singular, e.g. ``P < D``).

Theory (Saxe, McClelland & Ganguli 2014; :mod:`jdl.studies.deep_linear.theory`, re-exported here): for
one-hot items gradient descent is the Euler step of a gradient flow with ``tau = P N / (2 lr)`` epochs,
in which each mode of strength ``s`` (a singular value of ``W*``) grows from its effective initial
strength ``u0`` along a sigmoid, larger modes first: learning comes in stages.

Exact low-dimensional training (``method="reduced"``). Gradient descent changes ``W2`` (``N x H``)
only within the span of its initial columns and of ``R = Y^T X``: ``W2_t = Z T_t`` with
``Z = [W2_0, R]`` and ``T = [M; K]`` ``(H + D, H)``, because ``W2' = W2 (I - eta W1 S W1^T) + eta R W1^T``
(``S = X^T X``, ``eta = 2 lr / (P N)``). With ``Z = Q Rz`` (thin QR), everything the loss, the gradients
and the records need follows from ``W1``, ``T`` and ``Rz``: ``W2^T W2 = (Rz T)^T (Rz T)``,
``W_tot = Q (Rz T W1)`` (its singular values, the error ``W_tot - W*``), at ``O(H^3)`` per step instead of
``O(N H D)``. Only the setup touches the ``N``-sized arrays, and it does not depend on ``(lr, gamma)``
(``gamma`` only scales ``Rz``'s first ``H`` columns), so
:func:`jdl.studies.deep_linear.members.train_members` computes it once per seed for all of the seed's runs.
The same trajectory as ``optax.sgd`` on the full network (``method="direct"``) up to rounding (tested to
1e-9 in float64); ``W2`` is rebuilt at the end.

Precision: ``gamma = 1e-12`` (1e-15) starts the modes near ``1e-25`` (``1e-31``). Float32 represents
those, but its rounding error on the learned modes (``~1e-7 |W|``) seeds the unlearned ones far above
their true size, so they are learned too early and the plateau stops lengthening as ``gamma`` shrinks.
Use float64 (the default of :func:`jdl.studies.deep_linear.members.train_grid`) for ``gamma`` below ~1e-12;
a test pins the float32 error.

References:
  Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear dynamics of learning in deep linear
  neural networks", ICLR 2014 (arXiv:1312.6120).
  Saxe, McClelland & Ganguli, "A mathematical theory of semantic development in deep neural
  networks", PNAS 116 (2019).
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jdl import losses
from jdl.nn import Model, feature_dim

# the theory and the analysis of recorded runs live beside the training, re-exported here
from jdl.studies.deep_linear.theory import (
    Target,
    balanced_rsm,
    count_stages,
    half_time,
    least_squares_modes,
    measured_half_times,
    mode_trajectory,
    plateau_end,
    predictions_from_modes,
    time_constant,
)
from jdl.train import TrainState, make_step

Array = jax.Array

__all__ = ["History", "Target", "METHODS", "init_params", "lnnet", "mse", "least_squares", "target_modes",
           "make_train",
           "time_constant", "mode_trajectory", "half_time", "measured_half_times", "count_stages", "plateau_end",
           "predictions_from_modes", "least_squares_modes", "balanced_rsm"]

METHODS = ("reduced", "direct")


class History(NamedTuple):
    """What a run records; ``t = 0..epochs`` counts the gradient steps taken (``t = 0``: the initial weights).

    The tutorial's ``losses[i]`` is ``loss[i]`` here (the loss before step ``i + 1``) and its
    ``modes[i]`` is ``modes[i + 1]`` (it takes the SVD after the step).

    Attributes:
      loss: ``(E + 1,)`` mean-reduced squared error.
      modes: ``(E + 1, D)`` singular values of ``W_tot = W2 W1``, decreasing.
      strengths: ``(E + 1, D)`` ``u_a^T W_tot v_a`` on the singular vectors of the least-squares solution.
      rsm: ``(E + 1, P, P)`` hidden similarity ``H H^T``, ``H = X W1^T`` (``None`` when not recorded).
      pred: ``(E + 1, P)`` every item's prediction of the recorded ``feature`` (the tutorial's ``pred_ij`` is
        ``pred[:, i]`` with ``feature = -1``).
      s: ``(D,)`` singular values of the least-squares solution (what ``strengths`` converge to).
      u0: ``(D,)`` effective initial strength of each mode (the ``u0`` of :func:`mode_trajectory`; 0 where ``s = 0``).
      ls_error: ``()`` ``||W2 W1 - W*|| / ||W*||`` after the last step (Frobenius; ``W*`` the least-squares map).
    """

    loss: Array
    modes: Array
    strengths: Array
    rsm: Array | None
    pred: Array
    s: Array
    u0: Array
    ls_error: Array


def _unit_draws(key: Array, in_dim: int, hidden: int, out_dim: int, dtype) -> tuple[Array, Array]:
    k1, k2 = jax.random.split(key)
    return jax.random.normal(k1, (hidden, in_dim), dtype), jax.random.normal(k2, (out_dim, hidden), dtype)


def _layer_scales(gamma, in_dim: int, hidden: int, out_dim: int):
    # Python floats stay weakly typed: the scales take gamma's dtype (strict promotion)
    return gamma / float(np.sqrt(in_dim + hidden)), gamma / float(np.sqrt(hidden + out_dim))


def _check_positive(**values) -> None:
    """One-line ``ValueError`` for a concrete ``lr`` or ``gamma`` <= 0 (traced values cannot be checked here)."""
    for name, v in values.items():
        if isinstance(v, numbers.Real) and not v > 0:
            raise ValueError(f"{name}: must be > 0, got {v}")


def init_params(key: Array, in_dim: int, hidden: int, out_dim: int, gamma=1e-12, dtype=jnp.float32) -> dict:
    """The tutorial's ``initializer_``: ``W ~ N(0, sigma^2)``, ``sigma = gamma / sqrt(n_in + n_out)`` per layer.

    Args:
      key: PRNG key.
      in_dim, hidden, out_dim: layer widths (static).
      gamma: initialisation scale > 0 (may be traced).
      dtype: dtype of the weights.

    Returns:
      ``{"W1": (hidden, in_dim), "W2": (out_dim, hidden)}``.

    >>> p = init_params(jax.random.key(0), 8, 30, 100, gamma=1.0)
    >>> p["W1"].shape, p["W2"].shape
    ((30, 8), (100, 30))
    """
    _check_positive(gamma=gamma)
    z1, z2 = _unit_draws(key, in_dim, hidden, out_dim, dtype)
    s1, s2 = _layer_scales(jnp.asarray(gamma, dtype), in_dim, hidden, out_dim)
    return {"W1": s1 * z1, "W2": s2 * z2}


def lnnet(hidden: int, out_dim: int, gamma=1e-12, dtype=jnp.float32) -> Model:
    """The tutorial's ``LNNet(in_dim, hidden, out_dim)`` (no biases) as a ``Model`` on one example.

    >>> net = lnnet(30, 100, gamma=1.0)
    >>> p = net.init(jax.random.key(0), (8,))
    >>> net.apply(p, jnp.ones(8)).shape
    (100,)
    """
    _check_positive(gamma=gamma)
    return Model(lambda key, in_shape: init_params(key, feature_dim(in_shape), hidden, out_dim, gamma, dtype),
                 lambda params, x: params["W2"] @ (params["W1"] @ x))


def mse(params: dict, x_pd: Array, y_pn: Array) -> Array:
    """Mean-reduced squared error over all ``P x N`` entries (``nn.MSELoss()``), via :func:`jdl.losses.mse`.

    >>> p = {"W1": jnp.eye(2), "W2": jnp.eye(2)}
    >>> float(mse(p, jnp.eye(2), jnp.array([[1.0, 0.0], [0.0, 3.0]])))
    1.0
    """
    pred_pn = x_pd @ params["W1"].T @ params["W2"].T
    return jnp.mean(losses.mse(pred=pred_pn, target=y_pn))


def least_squares(x_pd: Array, y_pn: Array) -> Array:
    """The analytic least-squares map ``W* = Y^T X (X^T X)^+``, ``(N, D)``: the tutorial's ``linear_regression``.

    For one-hot items (``X = I``) it is ``Y^T``: the deep network's ``W_tot`` converges to it. For a
    singular ``X^T X`` (``P < D``, repeated inputs) the pseudo-inverse gives the minimum-norm solution.

    >>> least_squares(jnp.eye(2), jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).tolist()
    [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    """
    return (y_pn.T @ x_pd) @ jnp.linalg.pinv(x_pd.T @ x_pd, hermitian=True)


def target_modes(x_pd: Array, y_pn: Array) -> Target:
    """SVD of :func:`least_squares`, ``W* = U diag(s) V^T`` (:class:`Target` of JAX arrays).

    ``U = W* V / s`` fixes the signs so that every mode strength ``u^T W* v = s > 0``. Singular values
    below the rank tolerance ``max(N, D) eps s_max`` (``W*`` of rank < ``D``) are set to 0, with ``U``'s
    column 0: such a mode has no target, and both training methods record its strength as 0.

    >>> t = target_modes(jnp.eye(2), jnp.array([[3.0, 0.0], [0.0, -2.0]]))
    >>> t.s.tolist()
    [3.0, 2.0]
    """
    w = least_squares(x_pd, y_pn)
    (N, D), r = w.shape, jnp.linalg.qr(w, mode="r")  # W* = Q r: r's singular values and V are W*'s
    V, s, _ = jnp.linalg.svd(r.T, full_matrices=N < D)  # V: (D, D) also when N < D
    s = jnp.pad(s, (0, D - s.shape[0]))
    s = jnp.where(s > max(N, D) * jnp.finfo(w.dtype).eps * s[0], s, 0.0)
    return Target(s, jnp.where(s > 0, w @ V / jnp.where(s > 0, s, 1.0), 0.0), V)


def _svals(m_kd: Array) -> Array:
    s = jnp.linalg.svd(m_kd, compute_uv=False)
    return jnp.pad(s, (0, m_kd.shape[1] - s.shape[0]))  # D values also when K < D


# --- each method is a setup (from the data and the unit weight draws only: one per seed) and a run (lr, gamma)


def _direct_run(st, lr, gamma, *, n_out, epochs, feature, record_rsm):
    """``optax.sgd`` on the full network via :func:`jdl.train.make_step`; records after every step."""
    z1, z2, x_pd, y_pn = st
    s1, s2 = _layer_scales(gamma, x_pd.shape[1], z1.shape[0], n_out)
    params = {"W1": s1 * z1, "W2": s2 * z2}
    model = lnnet(z1.shape[0], n_out)  # its apply (one example); the weights above are the same draws init would make
    tx = optax.sgd(lr)
    step = make_step(model, lambda out, y: losses.mse(pred=out, target=y), tx)
    target = target_modes(x_pd, y_pn)

    def record(p, loss):
        w1, w2 = p["W1"], p["W2"]
        wt = w2 @ w1  # (N, D)
        h = x_pd @ w1.T
        return {"loss": loss, "modes": _svals(jnp.linalg.qr(wt, mode="r")),  # W_tot = Q r: r's singular values
                "strengths": jnp.sum(target.U * (wt @ target.V), axis=0),
                "rsm": h @ h.T if record_rsm else None, "pred": h @ w2[feature]}

    def body(state, t):
        # records the state after t steps (the step's loss is the loss before it), then steps
        new, loss = step(state, x_pd, y_pn)
        rec = record(state.params, loss)
        return jax.tree.map(lambda n, o: jnp.where(t < epochs, n, o), new, state), rec

    state = TrainState(params, tx.init(params), jnp.zeros((), jnp.int32))
    state, hist = jax.lax.scan(body, state, jnp.arange(epochs + 1))
    b0, c0 = params["W1"] @ target.V, params["W2"].T @ target.U
    u0 = jnp.where(target.s > 0, jnp.sum(((b0 + c0) / 2) ** 2, axis=0), 0.0)
    w_star = least_squares(x_pd, y_pn)
    ls_error = jnp.linalg.norm(state.params["W2"] @ state.params["W1"] - w_star) / jnp.linalg.norm(w_star)
    return state.params, History(s=target.s, u0=u0, ls_error=ls_error, **hist)


def _reduced_setup(z1, z2, x_pd, y_pn, feature):
    """All the reduced run needs of the ``N``-sized arrays (``Rz`` of ``Z = [W2_0, R]`` from the unit draws)."""
    sig, r_nd = x_pd.T @ x_pd, y_pn.T @ x_pd
    sig_pinv = jnp.linalg.pinv(sig, hermitian=True)
    z = jnp.concatenate([z2, r_nd], axis=1)
    target = target_modes(x_pd, y_pn)
    return {"z1": z1, "x": x_pd, "sig": sig, "sig_pinv": sig_pinv, "rz": jnp.linalg.qr(z, mode="r"),
            "z_feature": z[feature], "s": target.s, "V": target.V,
            "resid": jnp.sum((y_pn - x_pd @ sig_pinv @ r_nd.T) ** 2)}  # ||Y - X W*^T||^2


def _reduced_run(st, lr, gamma, *, n_out, epochs, feature, record_rsm):
    """The same gradient-descent trajectory in the coordinates ``(W1, T = [M; K])`` (module docstring)."""
    x_pd, sig, sig_pinv, s, V = st["x"], st["sig"], st["sig_pinv"], st["s"], st["V"]
    (P, D), H = x_pd.shape, st["z1"].shape[0]
    s1, s2 = _layer_scales(gamma, D, H, n_out)
    eta = 2.0 * lr / (P * n_out)
    scale = jnp.concatenate([jnp.full(H, s2), jnp.ones(D, s2.dtype)])
    rz, zf = st["rz"] * scale, st["z_feature"] * scale  # Z = Q rz, Z[feature]
    rzr = rz[:, H:]  # R = Q rzr
    s_safe = jnp.where(s > 0, s, 1.0)
    p1 = V.T @ sig_pinv  # (D, D): U^T Q = p1 rzr^T / s
    eye = jnp.eye(H, dtype=sig.dtype)
    ws = rzr @ sig_pinv  # W* = Q ws, so W2 W1 - W* = Q (rz T W1 - ws)

    def body(carry, t):
        # records the state after t steps, then takes step t + 1 (discarded after the last record)
        w1, tm = carry
        zt = rz @ tm  # W2 = Q zt
        a, b = zt.T @ zt, zt.T @ rzr  # W2^T W2, W2^T R
        zw = zt @ w1  # W_tot = Q zw
        w1s = w1 @ sig
        h = x_pd @ w1.T
        rec = {"loss": (jnp.sum(((zw - ws) @ x_pd.T) ** 2) + st["resid"]) / (P * n_out),
               "modes": _svals(zw),
               "strengths": jnp.where(s > 0, jnp.sum((p1 @ b.T @ w1) * V.T, axis=1) / s_safe, 0.0),
               "rsm": h @ h.T if record_rsm else None,
               "pred": h @ (zf @ tm)}
        # W1' = W1 - eta (W2^T W2 W1 S - W2^T R); T' = T (I - eta W1 S W1^T) + eta [0; W1^T]
        new = (w1 - eta * (a @ w1s - b), tm @ (eye - eta * w1s @ w1.T) + eta * jnp.pad(w1.T, ((H, 0), (0, 0))))
        return jax.tree.map(lambda n, o: jnp.where(t < epochs, n, o), new, carry), rec

    carry0 = (s1 * st["z1"], jnp.concatenate([eye, jnp.zeros((D, H), eye.dtype)]))
    (w1, tm), hist = jax.lax.scan(body, carry0, jnp.arange(epochs + 1))
    ls_error = jnp.linalg.norm(rz @ tm @ w1 - ws) / jnp.linalg.norm(s)
    b0 = s1 * st["z1"] @ V
    c0 = rz[:, :H].T @ ws @ V / s_safe  # W2_0^T U = W2_0^T W* V / s
    u0 = jnp.where(s > 0, jnp.sum(((b0 + c0) / 2) ** 2, axis=0), 0.0)
    return (w1, tm), History(s=s, u0=u0, ls_error=ls_error, **hist)


_IMPLS = {"reduced": (_reduced_setup, _reduced_run),
          "direct": (lambda z1, z2, x_pd, y_pn, feature: (z1, z2, x_pd, y_pn), _direct_run)}  # no setup: all N-sized


def make_train(hidden: int, epochs: int, *, method: str = "reduced", feature: int = -1, record_rsm: bool = True):
    """Build ``train(key, x_pd, y_pn, lr, gamma) -> (params, History)``: one full-batch GD run as a ``lax.scan``.

    Args:
      hidden: hidden width ``H`` (static; the tutorial's 30).
      epochs: gradient steps (static).
      method: ``"reduced"`` (exact low-dimensional form, ``O(H^3)`` per step) or ``"direct"``
        (``optax.sgd`` on the full network via :func:`jdl.train.make_step`). Same trajectory.
      feature: the output whose prediction ``History.pred`` records for every item (the tutorial's ``-1``).
      record_rsm: record ``H H^T`` every epoch (``History.rsm`` is ``None`` otherwise).

    Returns:
      ``train``: ``key`` draws the weights (:func:`init_params`); ``x_pd`` ``(P, D)`` items, ``y_pn``
      ``(P, N)`` targets, both of the run's dtype; ``lr`` and ``gamma`` scalars > 0 (may be traced, so
      one compiled program serves a grid). ``params`` are the trained ``{"W1", "W2"}``. Run it under
      ``jdl.precision.precision(jnp.float64)`` with float64 data for tiny ``gamma``.

    >>> train = make_train(4, 3)
    >>> x, y = jnp.eye(2), jnp.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
    >>> params, hist = train(jax.random.key(0), x, y, 0.5, 0.1)
    >>> hist.loss.shape, hist.modes.shape, hist.rsm.shape
    ((4,), (4, 2), (4, 2, 2))
    >>> train(jax.random.key(0), x, y, 0.5, -0.1)
    Traceback (most recent call last):
    ...
    ValueError: gamma: must be > 0, got -0.1
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    for name, v in (("epochs", epochs), ("hidden", hidden)):
        if v < 1:
            raise ValueError(f"{name}: must be >= 1, got {v}")
    setup, run = _IMPLS[method]

    def train(key, x_pd, y_pn, lr, gamma):
        _check_positive(lr=lr, gamma=gamma)
        dt = y_pn.dtype
        x_pd, lr, gamma = jnp.asarray(x_pd, dt), jnp.asarray(lr, dt), jnp.asarray(gamma, dt)
        # materialised once: XLA would otherwise fuse the random draws into (and recompute them in) each consumer
        z1, z2 = jax.lax.optimization_barrier(_unit_draws(key, x_pd.shape[1], hidden, y_pn.shape[1], dt))
        out, hist = run(setup(z1, z2, x_pd, y_pn, feature), lr, gamma, n_out=y_pn.shape[1], epochs=epochs,
                        feature=feature, record_rsm=record_rsm)
        if method == "reduced":  # W2 = [W2_0, R] T
            s2 = _layer_scales(gamma, x_pd.shape[1], hidden, y_pn.shape[1])[1]
            out = {"W1": out[0], "W2": jnp.concatenate([s2 * z2, y_pn.T @ x_pd], axis=1) @ out[1]}
        return out, hist

    return train
