"""Learning dynamics of deep linear networks: SVD modes, their exact solutions, and fast exact training.

The network of Neuromatch Academy's "Deep linear neural networks" tutorial (W1D2 Tutorial 3):
``LNNet(D, H, N)``, ``y = W2 W1 x`` without biases, every weight ``N(0, (gamma / sqrt(n_in + n_out))^2)``,
trained by full-batch gradient descent on the mean-reduced squared error (``nn.MSELoss``: the mean
over all ``P x N`` entries) of ``P`` items ``x_pd`` and targets ``y_pn``. Per epoch it records the
loss, the singular values of ``W_tot = W2 W1`` (the tutorial's "modes"), the hidden representational
similarity matrix ``H H^T`` (``H = X W1^T``) and every item's prediction of one feature; and, for the theory,
the *mode strengths* ``u_a^T W_tot v_a`` on the singular vectors of the least-squares solution
``W* = Y^T X (X^T X)^{-1}`` that the network converges to (:func:`target_modes`).

Theory (Saxe, McClelland & Ganguli 2014). For orthonormal inputs (``X^T X = I``: one-hot items) the
gradient of the loss with respect to ``W_tot`` is ``(2 / (P N)) (W_tot - W*)``, so gradient descent
with learning rate ``lr`` is, per epoch, the Euler step of ``tau dW1/dt = W2^T (W* - W_tot)``,
``tau dW2/dt = (W* - W_tot) W1^T`` with ``tau = P N / (2 lr)`` epochs. From small random weights each
mode of strength ``s`` (a singular value of ``W*``) grows as

    u(t) = s e^{2 s t / tau} / (e^{2 s t / tau} - 1 + s / u0),    t_half = tau / (2 s) ln(s / u0 - 1),

so ``t_half * s`` is the same for every mode up to the logarithm: larger modes are learned first,
in stages. ``u0`` is the mode's effective initial strength ``|(W1 v + W2^T u) / 2|^2`` (the growing
combination of the two layers' projections; exact for the linearised dynamics even when the layers
start unbalanced, as here). With a step as large as the tutorial's (``s / tau`` up to 0.4) the
discrete map grows a mode by ``(1 + s / tau)^2`` per epoch rather than ``e^{2 s / tau}``; the
``discrete=True`` variants use that rate ``2 ln(1 + s / tau)`` and match gradient descent to a
fraction of an epoch, where the continuous-time curve is ~15 % early (:func:`mode_trajectory`).

Exact low-dimensional training (``method="reduced"``). Gradient descent changes ``W2`` (``N x H``,
the large layer) only within the span of its initial columns and of ``R = Y^T X``:
``W2_t = W2_0 M_t + R K_t`` with ``M`` ``(H, H)`` and ``K`` ``(D, H)``, because
``W2' = W2 (I - eta W1 S W1^T) + eta R W1^T`` (``S = X^T X``, ``eta = 2 lr / (P N)``). Everything
the loss, the gradients and the records need is then a function of ``W1, M, K`` and the fixed
statistics ``W2_0^T W2_0``, ``W2_0^T R`` and ``R^T R``: one step costs ``O(H^3)`` instead
of ``O(N H D)``, and only the setup touches the ``N``-sized arrays. It is the same trajectory as
``optax.sgd`` on the full network (``method="direct"``) up to rounding (tested to 1e-9 in float64);
``W2`` is rebuilt at the end.

Precision: the tutorial's ``gamma = 1e-12`` starts the modes near ``1e-25``, and the smallest
``gamma`` of its slider (1e-15) near ``1e-31``. Float32 represents those, but its rounding error on
the learned modes (``~1e-7 |W|``) seeds the still-unlearned ones far above their true size, so they
are learned too early and the plateau stops lengthening as ``gamma`` shrinks. Use float64 (the
default of :func:`train_grid`) for ``gamma`` below ~1e-12; a test pins the float32 error.

References:
  Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear dynamics of learning in deep linear
  neural networks", ICLR 2014 (arXiv:1312.6120).
  Saxe, McClelland & Ganguli, "A mathematical theory of semantic development in deep neural
  networks", PNAS 116 (2019).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jdl import losses, sweep
# the theory and the analysis of recorded runs live beside the training, re-exported here
from jdl.linear_dynamics_theory import (count_stages, half_time, measured_half_times, mode_trajectory,  # noqa: F401
                                        plateau_end, predictions_from_modes, time_constant)
from jdl.nn import Model
from jdl.train import TrainState, make_step

Array = jax.Array

__all__ = ["History", "Target", "METHODS", "init_params", "lnnet", "mse", "least_squares", "target_modes",
           "singular_values", "make_train", "run_keys", "train_members", "train_grid", "train_datasets",
           "time_constant", "mode_trajectory", "half_time", "measured_half_times", "count_stages", "plateau_end",
           "predictions_from_modes"]

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
      u0: ``(D,)`` effective initial strength of each mode (the ``u0`` of :func:`mode_trajectory`).
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


class Target(NamedTuple):
    """SVD of the least-squares solution ``W* = U diag(s) V^T``.

    Attributes:
      s: ``(D,)`` singular values, decreasing. U: ``(N, D)``. V: ``(D, D)``.
    """

    s: Array
    U: Array
    V: Array


def _unit_draws(key: Array, in_dim: int, hidden: int, out_dim: int, dtype) -> tuple[Array, Array]:
    k1, k2 = jax.random.split(key)
    return jax.random.normal(k1, (hidden, in_dim), dtype), jax.random.normal(k2, (out_dim, hidden), dtype)


def _layer_scales(gamma, in_dim: int, hidden: int, out_dim: int):
    # Python floats stay weakly typed: the scales take gamma's dtype (strict promotion)
    return gamma / float(np.sqrt(in_dim + hidden)), gamma / float(np.sqrt(hidden + out_dim))


def init_params(key: Array, in_dim: int, hidden: int, out_dim: int, gamma=1e-12, dtype=jnp.float32) -> dict:
    """The tutorial's ``initializer_``: ``W ~ N(0, sigma^2)``, ``sigma = gamma / sqrt(n_in + n_out)`` per layer.

    Args:
      key: PRNG key.
      in_dim, hidden, out_dim: layer widths (static).
      gamma: initialisation scale (may be traced).
      dtype: dtype of the weights.

    Returns:
      ``{"W1": (hidden, in_dim), "W2": (out_dim, hidden)}``.

    >>> p = init_params(jax.random.key(0), 8, 30, 100, gamma=1.0)
    >>> p["W1"].shape, p["W2"].shape
    ((30, 8), (100, 30))
    """
    z1, z2 = _unit_draws(key, in_dim, hidden, out_dim, dtype)
    s1, s2 = _layer_scales(jnp.asarray(gamma, dtype), in_dim, hidden, out_dim)
    return {"W1": s1 * z1, "W2": s2 * z2}


def lnnet(hidden: int, out_dim: int, gamma=1e-12, dtype=jnp.float32) -> Model:
    """The tutorial's ``LNNet(in_dim, hidden, out_dim)`` (no biases) as a ``Model`` on one example.

    >>> net = lnnet(30, 100, gamma=1.0)
    >>> p = net.init(jax.random.key(0), 8)
    >>> net.apply(p, jnp.ones(8)).shape
    (100,)
    """
    return Model(lambda key, in_dim: init_params(key, in_dim, hidden, out_dim, gamma, dtype),
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
    """The analytic least-squares map ``W* = Y^T X (X^T X)^{-1}``, ``(N, D)``: the tutorial's ``linear_regression``.

    For one-hot items (``X = I``) it is ``Y^T``: the deep network's ``W_tot`` converges to it.

    >>> least_squares(jnp.eye(2), jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).tolist()
    [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    """
    return jnp.linalg.solve(x_pd.T @ x_pd, x_pd.T @ y_pn).T


def target_modes(x_pd: Array, y_pn: Array) -> Target:
    """SVD of :func:`least_squares` from the eigendecomposition of its ``(D, D)`` Gram matrix.

    ``U = W* V / s`` fixes the signs so that every mode strength ``u^T W* v = s > 0``.

    >>> t = target_modes(jnp.eye(2), jnp.array([[3.0, 0.0], [0.0, -2.0]]))
    >>> t.s.tolist()
    [3.0, 2.0]
    """
    w = least_squares(x_pd, y_pn)
    lam, V = jnp.linalg.eigh(w.T @ w)
    lam, V = lam[::-1], V[:, ::-1]
    s = jnp.sqrt(jnp.clip(lam, 0.0))
    U = (w @ V) / jnp.where(s > 0, s, 1.0)
    return Target(s, U, V)


def singular_values(w1_hd: Array, a_hh: Array) -> Array:
    """Singular values of ``W2 W1`` from ``W1`` and ``A = W2^T W2``, decreasing: ``sqrt(eig(W1^T A W1))``.

    Both factors are scaled to O(1) first, so modes near 1e-25 do not underflow in float32 (their
    squares would). Accuracy is that of the Gram matrix: absolute ``~sqrt(eps) s_max``.

    >>> w1, w2 = jnp.array([[2.0, 0.0], [0.0, 1.0]]), jnp.eye(2)
    >>> singular_values(w1, w2.T @ w2).tolist()
    [2.0, 1.0]
    """
    n1 = jnp.max(jnp.abs(w1_hd))
    n1 = jnp.where(n1 > 0, n1, 1.0)
    na = jnp.max(jnp.abs(a_hh))
    na = jnp.where(na > 0, na, 1.0)
    w = w1_hd / n1
    lam = jnp.linalg.eigvalsh(w.T @ (a_hh / na) @ w)[::-1]
    return jnp.sqrt(jnp.clip(lam, 0.0)) * n1 * jnp.sqrt(na)


def _direct(z1, z2, x_pd, y_pn, lr, gamma, *, epochs, feature, record_rsm):
    """``optax.sgd`` on the full network via :func:`jdl.train.make_step`; records after every step."""
    P, D = x_pd.shape
    N, H = y_pn.shape[1], z1.shape[0]
    s1, s2 = _layer_scales(gamma, D, H, N)
    params = {"W1": s1 * z1, "W2": s2 * z2}
    model = lnnet(H, N)  # its apply (one example); the weights above are the same draws init would make
    tx = optax.sgd(lr)
    step = make_step(model, lambda out, y: losses.mse(pred=out, target=y), tx)
    target = target_modes(x_pd, y_pn)

    def record(p, loss):
        w1, w2 = p["W1"], p["W2"]
        wt = w2 @ w1  # (N, D)
        h = x_pd @ w1.T
        return {"loss": loss, "modes": _sv_tall(wt), "strengths": jnp.sum(target.U * (wt @ target.V), axis=0),
                "rsm": h @ h.T if record_rsm else None, "pred": h @ w2[feature]}

    def body(state, t):
        # records the state after t steps (the step's loss is the loss before it), then steps
        new, loss = step(state, x_pd, y_pn)
        rec = record(state.params, loss)
        return jax.tree_util.tree_map(lambda n, o: jnp.where(t < epochs, n, o), new, state), rec

    state = TrainState(params, tx.init(params), jnp.zeros((), jnp.int32))
    state, hist = jax.lax.scan(body, state, jnp.arange(epochs + 1))
    b0, c0 = params["W1"] @ target.V, params["W2"].T @ target.U
    u0 = jnp.sum(((b0 + c0) / 2) ** 2, axis=0)
    return state.params, History(s=target.s, u0=u0, ls_error=_ls_error(state.params, x_pd, y_pn), **hist)


def _ls_error(params: dict, x_pd: Array, y_pn: Array) -> Array:
    w_star = least_squares(x_pd, y_pn)
    return jnp.linalg.norm(params["W2"] @ params["W1"] - w_star) / jnp.linalg.norm(w_star)


def _sv_tall(wt_nd: Array) -> Array:
    """Singular values of a tall ``(N, D)`` matrix from its scaled ``(D, D)`` Gram matrix, decreasing."""
    n = jnp.max(jnp.abs(wt_nd))
    n = jnp.where(n > 0, n, 1.0)
    w = wt_nd / n
    return jnp.sqrt(jnp.clip(jnp.linalg.eigvalsh(w.T @ w)[::-1], 0.0)) * n


def _reduced(z1, z2, x_pd, y_pn, lr, gamma, *, epochs, feature, record_rsm):
    """The same gradient-descent trajectory in the low-dimensional coordinates ``(W1, M, K)`` (module docstring)."""
    P, D = x_pd.shape
    N, H = y_pn.shape[1], z1.shape[0]
    dt = y_pn.dtype
    s1, s2 = _layer_scales(gamma, D, H, N)
    eta = 2.0 * lr / (P * N)
    sig = x_pd.T @ x_pd  # (D, D)
    r_nd = y_pn.T @ x_pd  # (N, D)
    # the only N-sized work; from unit draws it does not depend on (lr, gamma): vmapped over (lr, gamma) with one
    # key and one data set, XLA computes it once
    a0u, f0u, c = z2.T @ z2, z2.T @ r_nd, r_nd.T @ r_nd
    w0, rj = z2[feature], r_nd[feature]
    sig_inv = jnp.linalg.inv(sig)
    target = target_modes(x_pd, y_pn)
    s_safe = jnp.where(target.s > 0, target.s, 1.0)
    a0, f0 = s2 * s2 * a0u, s2 * f0u
    eye = jnp.eye(H, dtype=dt)
    p1 = target.V.T @ sig_inv  # (D, D)
    w0s = s2 * w0
    # loss = (tr(Delta S Delta^T) + ||Y - X W*^T||^2) / (P N) with Delta = W2 W1 - W* = [W2_0, R] G: a quadratic
    # form in the small G, accurate near convergence (expanding ||X W^T - Y||^2 would cancel to ~eps ||Y||^2)
    zz = jnp.block([[a0, f0], [f0.T, c]])  # [W2_0, R]^T [W2_0, R]
    resid = jnp.sum((y_pn - x_pd @ sig_inv @ r_nd.T) ** 2)

    def body(carry, t):
        # records the state after t steps, then takes step t + 1 (discarded after the last record)
        w1, m, k = carry
        mf = m.T @ (f0 @ k)
        a = m.T @ (a0 @ m) + mf + mf.T + k.T @ (c @ k)  # W2^T W2
        b = m.T @ f0 + k.T @ c  # W2^T R
        w1s = w1 @ sig
        wsw = w1s @ w1.T
        h = x_pd @ w1.T
        g = jnp.concatenate([m @ w1, k @ w1 - sig_inv])  # (H + D, D)
        rec = {"loss": (jnp.sum((zz @ g) * (g @ sig)) + resid) / (P * N),
               "modes": singular_values(w1, a),
               "strengths": jnp.sum((p1 @ b.T @ w1) * target.V.T, axis=1) / s_safe,  # diag(U^T W2 W1 V)
               "rsm": h @ h.T if record_rsm else None,
               "pred": h @ (w0s @ m + rj @ k)}
        tt = eye - eta * wsw
        new = (w1 - eta * (a @ w1s - b), m @ tt, k @ tt + eta * w1.T)
        new = jax.tree_util.tree_map(lambda n, o: jnp.where(t < epochs, n, o), new, carry)
        return new, rec

    carry0 = (s1 * z1, eye, jnp.zeros((D, H), dt))
    (w1, m, k), hist = jax.lax.scan(body, carry0, jnp.arange(epochs + 1))
    b0 = s1 * z1 @ target.V
    c0 = s2 * (f0u @ sig_inv @ target.V) / s_safe  # W2_0^T U
    u0 = jnp.sum(((b0 + c0) / 2) ** 2, axis=0)
    params = {"W1": w1, "W2": s2 * z2 @ m + r_nd @ k}
    return params, History(s=target.s, u0=u0, ls_error=_ls_error(params, x_pd, y_pn), **hist)


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
      ``(P, N)`` targets, both of the run's dtype; ``lr`` and ``gamma`` scalars (may be traced, so
      one compiled program serves a grid). ``params`` are the trained ``{"W1", "W2"}``. Run it under
      ``jax.enable_x64(True)`` with float64 data for tiny ``gamma``.

    >>> train = make_train(4, 3)
    >>> x, y = jnp.eye(2), jnp.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
    >>> params, hist = train(jax.random.key(0), x, y, 0.5, 0.1)
    >>> hist.loss.shape, hist.modes.shape, hist.rsm.shape
    ((4,), (4, 2), (4, 2, 2))
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    if epochs < 1:
        raise ValueError(f"epochs: must be >= 1, got {epochs}")
    if hidden < 1:
        raise ValueError(f"hidden: must be >= 1, got {hidden}")
    impl = _reduced if method == "reduced" else _direct

    def train(key, x_pd, y_pn, lr, gamma):
        dt = y_pn.dtype
        x_pd = jnp.asarray(x_pd, dt)
        z1, z2 = _unit_draws(key, x_pd.shape[1], hidden, y_pn.shape[1], dt)
        return impl(z1, z2, x_pd, y_pn, jnp.asarray(lr, dt), jnp.asarray(gamma, dt), epochs=epochs, feature=feature,
                    record_rsm=record_rsm)

    return train


def run_keys(seed: int) -> tuple[Array, Array]:
    """The data key and the weight key of a seed in :func:`train_members`: ``split(jax.random.key(seed))``."""
    k_data, k_init = jax.random.split(jax.random.key(seed))
    return k_data, k_init


def train_members(seeds_m: Sequence[int], lr_m, gamma_m, sample: Callable[[Array], tuple[Array, Array]], *,
                  hidden: int = 30, epochs: int = 250, method: str = "reduced", dtype=jnp.float64, feature: int = -1,
                  record_rsm: bool = False, chunk_size: int | None = None, progress: bool = False,
                  desc: str = "deep linear") -> History:
    """Runs ``m = 0..M-1``, each with its own ``(seed, lr, gamma)``, in one compiled program (float64 by default).

    A seed's key is split into a data key (``sample(key) -> (x_pd, y_pn)``) and a weight key
    (:func:`run_keys`), so runs with the same seed see the same data and the same unit weight draws
    (scaled by their ``gamma``): common random numbers across a grid. The members are vmapped, in
    chunks of ``chunk_size`` with the same compiled program (:func:`jdl.sweep.map_members`).

    Args:
      seeds_m, lr_m, gamma_m: ``(M,)`` each; every ``lr`` and ``gamma`` > 0.
      sample: ``key -> (x_pd, y_pn)`` (e.g. ``lambda k: jdl.data.tree.generate_hsd(k, 10_000)``).
      hidden, epochs, method, feature, record_rsm: as :func:`make_train`.
      dtype: ``jnp.float64`` (x64 enabled for this computation only) or ``jnp.float32``.
      chunk_size, progress, desc: forwarded to :func:`jdl.sweep.map_members`.

    Returns:
      ``History`` of NumPy arrays with leading axis ``M``; its ``ls_error`` checks the trained map.

    >>> train_members([0], [100.0], [0.0], lambda k: (jnp.eye(2), jnp.ones((2, 3))))
    Traceback (most recent call last):
    ...
    ValueError: gamma: initialisation scales must be > 0, got [0.0]
    """
    lr, gamma = _check_grid(lr_m, gamma_m)
    seeds = np.atleast_1d(np.asarray(seeds_m))
    if seeds.shape != lr.shape:
        raise ValueError(f"seeds_m: need one seed per run ({lr.shape[0]}), got shape {seeds.shape}")
    train = make_train(hidden, epochs, method=method, feature=feature, record_rsm=record_rsm)

    def member(m):
        key, lr_, gamma_ = m
        k_data, k_init = jax.random.split(key)
        x_pd, y_pn = sample(k_data)
        return train(k_init, jnp.asarray(x_pd, dtype), jnp.asarray(y_pn, dtype), lr_, gamma_)[1]

    with jax.enable_x64(jnp.dtype(dtype) == jnp.float64):  # x64 only inside: the rest of jdl stays float32
        inputs = (sweep.seed_keys(seeds), jnp.asarray(lr, dtype), jnp.asarray(gamma, dtype))
        return sweep.map_members(member, inputs, chunk_size=chunk_size, progress=progress, desc=desc)


def train_grid(seeds: Sequence[int], lr, gamma, sample: Callable[[Array], tuple[Array, Array]], **kwargs) -> History:
    """Every ``seed x (lr, gamma)`` grid point with :func:`train_members`: ``History`` with leading ``(S, G)``.

    Args:
      seeds: ``S`` integer seeds.
      lr, gamma: equal-length 1-D grids of ``G`` points (use :func:`jdl.sweep.grid` for a product).
      sample, **kwargs: as :func:`train_members`.

    >>> from jdl.data.tree import generate_hsd
    >>> g = sweep.grid(lr=[10.0, 100.0], gamma=[1e-12, 1e-6, 1.0])
    >>> h = train_grid([0, 1], g["lr"], g["gamma"], lambda k: generate_hsd(k, 100))  # doctest: +SKIP
    >>> h.loss.shape, h.strengths.shape  # doctest: +SKIP
    ((2, 6, 251), (2, 6, 251, 8))
    """
    lr, gamma = _check_grid(lr, gamma)
    seeds = np.atleast_1d(np.asarray(seeds))
    S, G = len(seeds), len(lr)
    hist = train_members(np.repeat(seeds, G), np.tile(lr, S), np.tile(gamma, S), sample, **kwargs)
    return jax.tree_util.tree_map(lambda v: v.reshape((S, G) + v.shape[1:]), hist)


def train_datasets(seeds: int | Sequence[int], x_bpd, y_bpn, lr: float, gamma: float, *, hidden: int = 30,
                   epochs: int = 250, method: str = "reduced", dtype=jnp.float64, feature: int = -1,
                   record_rsm: bool = False, keep_params: bool = False):
    """One run per given data set ``b``, vmapped; the weights of run ``b`` come from the weight key of its seed.

    For data sets a sampler cannot make: the tutorial's targets with an added illusory feature, or
    the NumPy draws of the reference implementation.

    Args:
      seeds: one seed for all runs (the same initial weights) or one per data set (:func:`run_keys`).
      x_bpd, y_bpn: ``(B, P, D)`` inputs and ``(B, P, N)`` targets.
      lr, gamma: scalars > 0; the rest as :func:`train_members`.

    Returns:
      ``History`` of NumPy arrays with leading axis ``B`` (and the params when ``keep_params``).

    >>> train_datasets(0, jnp.eye(2)[None], jnp.ones((1, 2, 3)), lr=-1.0, gamma=1.0)
    Traceback (most recent call last):
    ...
    ValueError: lr: learning rates must be > 0, got [-1.0]
    """
    (lr,), (gamma,) = _check_grid(lr, gamma)
    B = np.shape(y_bpn)[0]
    seeds = np.broadcast_to(np.asarray(seeds), (B,))
    train = make_train(hidden, epochs, method=method, feature=feature, record_rsm=record_rsm)
    with jax.enable_x64(jnp.dtype(dtype) == jnp.float64):
        x, y = jnp.asarray(x_bpd, dtype), jnp.asarray(y_bpn, dtype)
        keys = jax.vmap(lambda k: jax.random.split(k)[1])(sweep.seed_keys(seeds))  # run_keys(seed)[1]
        out = jax.jit(jax.vmap(lambda k, xb, yb: train(k, xb, yb, lr, gamma)))(keys, x, y)
        params, hist = jax.tree_util.tree_map(np.asarray, out)
    return (hist, params) if keep_params else hist


def _check_grid(lr, gamma) -> tuple[np.ndarray, np.ndarray]:
    lr, gamma = np.atleast_1d(np.asarray(lr, np.float64)), np.atleast_1d(np.asarray(gamma, np.float64))
    if lr.shape != gamma.shape or lr.ndim != 1:
        raise ValueError(f"gamma: need one value per lr, got shapes {lr.shape} and {gamma.shape}")
    if not np.all(lr > 0):
        raise ValueError(f"lr: learning rates must be > 0, got {lr.tolist()}")
    if not np.all(gamma > 0):
        raise ValueError(f"gamma: initialisation scales must be > 0, got {gamma.tolist()}")
    return lr, gamma
