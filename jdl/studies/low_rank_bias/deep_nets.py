"""Effective rank and the low-rank simplicity bias of deep networks.

Effective rank of a matrix from its singular values ``sigma`` (Roy & Vetterli 2007): with
``p = sigma / sum(sigma)``, the spectral entropy ``H = -sum_i p_i log p_i`` (natural log; the
quantity Huh et al. call the effective rank) and ``exp(H)`` (Roy & Vetterli's effective rank,
between 1 and the rank: ``exp(H) = r`` for ``r`` equal nonzero singular values).

Depth as a vmapped axis: a network of depth ``D <= L`` is the first ``D`` layers of a stack of
``L`` square weight matrices, evaluated by one ``lax.scan`` over all ``L`` layers in which layers
``l >= D`` are the identity. ``D`` is then an array, so every depth (and seed, learning rate, ...)
runs in one compiled program. Layer ``l`` is drawn from ``fold_in(key, l)`` with
:func:`jdl.nn.dense`, so a depth-``D`` member has exactly the weights of a ``D``-layer
``nn.serial`` built from the same key, and layers beyond ``D`` get zero gradients (any optimiser
without weight decay leaves them untouched).

References:
  Roy & Vetterli (2007), The effective rank: a measure of effective dimensionality, EUSIPCO.
  Huh, Mobahi, Zhang, Cheung, Agrawal & Isola (2023), The low-rank simplicity bias in deep
  networks, TMLR (Fig. 1: trained deep linear nets on low/high-rank regression; Fig. 2: effective
  rank of embeddings at initialisation against depth).
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jdl import losses, nn
from jdl.analysis.spectra import effective_rank, spectral_entropy, spectrum
from jdl.data import Dataset
from jdl.train import make_train

Array = jax.Array

__all__ = ["init_stack",
           "masked_product", "masked_forward", "deep_linear", "init_ranks", "init_ranks_by_depth",
           "low_rank_target",
           "regression_data", "make_regression_member", "select_lr"]


def init_stack(key: Array, depth: int, width: int, W_std=1.0) -> Array:
    """``depth`` square layers ``(depth, width, width)``, layer ``l`` = ``nn.dense(width, W_std=W_std,
    bias=False).init(fold_in(key, l), (width,))["W"]`` (``W ~ N(0, W_std**2 / width)``).

    Layer ``l`` depends on ``key`` and ``l`` only, so the first ``D`` layers of a deeper stack are
    the stack of depth ``D`` (nested networks across depths: common random numbers).
    """
    layer = nn.dense(width, W_std=W_std, bias=False)
    return jax.vmap(lambda l: layer.init(jax.random.fold_in(key, l), (width,))["W"])(jnp.arange(depth))


def masked_product(w_lww: Array, depth) -> Array:
    """End-to-end map ``W_D ... W_2 W_1`` of the first ``depth`` layers of a stack.

    One ``lax.scan`` over all ``L`` layers; layers ``l >= depth`` are the identity, so ``depth``
    may be traced (vmapped). ``depth = 0`` gives the identity.

    Args:
      w_lww: ``(L, out, in)`` stacked square weights (``out == in``).
      depth: number of layers used, ``0 <= depth <= L`` (int or traced int).

    Returns:
      ``(width, width)``.

    >>> w = jnp.stack([2.0 * jnp.eye(2), 3.0 * jnp.eye(2)])
    >>> masked_product(w, 1)[0, 0].item(), masked_product(w, 2)[0, 0].item()
    (2.0, 6.0)
    """
    def layer(m, lw):
        l, w = lw
        return jnp.where(l < depth, w @ m, m), None

    eye = jnp.eye(w_lww.shape[-1], dtype=w_lww.dtype)
    return jax.lax.scan(layer, eye, (jnp.arange(w_lww.shape[0]), w_lww))[0]


def masked_forward(w_lww: Array, x_d: Array, depth, activation: str | Callable = "identity") -> Array:
    """Embedding ``phi(x) = act(W_D ... act(W_1 x))`` of one example ``x`` ``(width,)`` -> ``(width,)``.

    Layers ``l >= depth`` are skipped (identity, not ``act``), so ``depth`` may be traced.

    >>> w = jnp.stack([-jnp.eye(2), jnp.eye(2)])
    >>> masked_forward(w, jnp.ones(2), 1, "relu").tolist(), masked_forward(w, jnp.ones(2), 0, "relu").tolist()
    ([0.0, 0.0], [1.0, 1.0])
    """
    act = nn.activation(activation)

    def layer(h, lw):
        l, w = lw
        return jnp.where(l < depth, act.apply((), w @ h), h), None

    return jax.lax.scan(layer, x_d, (jnp.arange(w_lww.shape[0]), w_lww))[0]


def deep_linear(depth, max_depth: int, *, W_std=1.0) -> nn.Model:
    """Bias-free deep linear network ``x -> W_D ... W_1 x`` (square, width = input dim) as a ``Model``.

    Params ``{"W": (max_depth, d, d)}`` from :func:`init_stack`; ``depth`` may be traced.

    >>> m = deep_linear(2, 4)
    >>> p = m.init(jax.random.key(0), (3,))
    >>> p["W"].shape, m.apply(p, jnp.ones(3)).shape
    ((4, 3, 3), (3,))
    """
    return nn.Model(lambda key, in_shape: {"W": init_stack(key, max_depth, nn.feature_dim(in_shape), W_std)},
                    lambda params, x: masked_forward(params["W"], x, depth))


def _measures(prefix: str, sigma_k: Array) -> dict[str, Array]:
    return {f"{prefix}_erank": effective_rank(sigma_k), f"{prefix}_entropy": spectral_entropy(sigma_k),
            f"{prefix}_sigma": sigma_k}


def init_ranks(key: Array, depth, *, max_depth: int, width: int, n: int) -> dict[str, Array]:
    """Effective ranks at initialisation of one depth-``depth`` network (Huh et al. Fig. 2).

    Draws one Gaussian stack (:func:`init_stack`) and ``n`` inputs ``N(0, I_width)`` from ``key``;
    the linear net uses ``W_std = 1`` (LeCun) and the ReLU net the same draws times ``sqrt(2)``
    (He), so both keep activations at unit scale (effective ranks are scale-free anyway). Under a
    vmap over ``depth`` with one key, the draws are made once and every depth is a prefix of them.

    Returns:
      ``map_*`` (end-to-end product of the linear net), ``linear_*`` and ``relu_*`` (Gram matrix
      ``phi(X) phi(X)^T`` of the embeddings): ``*_erank`` ``exp(H)`` and ``*_entropy`` ``H``
      (scalars) and ``*_sigma`` (the spectrum, ``(width,)`` or ``(min(n, width),)``).

    >>> r = init_ranks(jax.random.key(0), 3, max_depth=4, width=8, n=16)
    >>> r["relu_sigma"].shape, bool(r["relu_erank"] < r["linear_erank"])
    ((8,), True)
    """
    w_lww = init_stack(jax.random.fold_in(key, 0), max_depth, width)
    x_nd = jax.random.normal(jax.random.fold_in(key, 1), (n, width))
    phi_lin = jax.vmap(lambda x: masked_forward(w_lww, x, depth))(x_nd)
    phi_relu = jax.vmap(lambda x: masked_forward(jnp.sqrt(2.0) * w_lww, x, depth, "relu"))(x_nd)
    return {**_measures("map", spectrum(masked_product(w_lww, depth))),
            **_measures("linear", spectrum(phi_lin, gram=True)),
            **_measures("relu", spectrum(phi_relu, gram=True))}


def init_ranks_by_depth(key: Array, *, max_depth: int, width: int, n: int) -> dict[str, Array]:
    """:func:`init_ranks` for every depth ``1..max_depth`` at once: one scan records each depth.

    The networks of all depths share one stack (depth ``D`` is the first ``D`` layers), so a single
    ``lax.scan`` over the layers carries the end-to-end product and both embeddings and measures
    them after every layer: ``max_depth`` layer applications instead of ``max_depth^2`` for a vmap
    of :func:`init_ranks` over depths (same draws, same numbers up to float rounding).

    Returns:
      The fields of :func:`init_ranks` with a leading depth axis (row ``D - 1`` is depth ``D``).

    >>> r = init_ranks_by_depth(jax.random.key(0), max_depth=4, width=8, n=16)
    >>> r["relu_erank"].shape, r["relu_sigma"].shape
    ((4,), (4, 8))
    """
    w_lww = init_stack(jax.random.fold_in(key, 0), max_depth, width)
    x_nd = jax.random.normal(jax.random.fold_in(key, 1), (n, width))
    relu = nn.activation("relu")

    def layer(carry, w):
        m, h_lin, h_relu = carry
        m, h_lin = w @ m, h_lin @ w.T  # rows of h are examples: (W h)^T = h^T W^T
        h_relu = relu.apply((), h_relu @ (jnp.sqrt(2.0) * w).T)
        return (m, h_lin, h_relu), (m, h_lin, h_relu)

    eye = jnp.eye(width, dtype=w_lww.dtype)
    m_l, lin_l, relu_l = jax.lax.scan(layer, (eye, x_nd, x_nd), w_lww)[1]
    # the spectra are batched over depths after the scan (one batched decomposition, not max_depth calls)
    return {**_measures("map", jax.vmap(spectrum)(m_l)),
            **_measures("linear", jax.vmap(lambda h: spectrum(h, gram=True))(lin_l)),
            **_measures("relu", jax.vmap(lambda h: spectrum(h, gram=True))(relu_l))}


def low_rank_target(key: Array, d: int, rank) -> Array:
    """A ``(d, d)`` map ``U diag(s) V^T`` of rank ``rank`` with equal singular values ``sqrt(d / rank)``.

    ``U, V`` are Haar-random orthogonal (QR of Gaussians, signs fixed), drawn from ``key`` alone, so
    the targets of one key are nested across ranks. ``||W||_F^2 = d``: for ``x ~ N(0, I)`` each output
    has unit variance whatever the rank, so losses compare across ranks (predicting 0 gives MSE 1).
    ``rank`` may be traced; ``exp(H)`` of the target is exactly ``rank``.
    """
    def haar(k):
        q, r = jnp.linalg.qr(jax.random.normal(k, (d, d)))
        return q * jnp.sign(jnp.diagonal(r))

    u, v = haar(jax.random.fold_in(key, 0)), haar(jax.random.fold_in(key, 1))
    s = jnp.where(jnp.arange(d) < rank, jnp.sqrt(d / rank), 0.0)
    return (u * s) @ v.T


def regression_data(key: Array, w_dd: Array, n_train: int, n_test: int, noise=0.0) -> Dataset:
    """Linear regression ``y = W x (+ noise)``, ``x ~ N(0, I_d)``: ``Dataset`` of ``(n, d)`` arrays.

    Training targets get ``N(0, noise**2)`` label noise (``noise`` may be traced); test targets are
    noise-free, so the test MSE is the error in the learned map: ``||W_hat - W||_F^2 / d``.
    """
    d = w_dd.shape[1]
    kx, kn = jax.random.split(key)
    x = jax.random.normal(kx, (n_train + n_test, d))
    y = x @ w_dd.T
    y_train = y[:n_train] + noise * jax.random.normal(kn, (n_train, w_dd.shape[0]))
    return Dataset(x[:n_train], y_train, x[n_train:], y[n_train:])


def make_regression_member(*, d: int, n_train: int, n_test: int, max_depth: int, steps: int,
                           momentum: float = 0.9, W_std=1.0, noise: float = 0.0,
                           eval_every: int | None = None):
    """Train one deep linear net on a rank-``r`` regression task (Huh et al. Fig. 1).

    Full-batch SGD with heavy-ball momentum (``optax.sgd(lr, momentum)``) on the MSE (mean over
    examples and outputs), from :func:`init_stack` weights (``W_std``; PyTorch's ``nn.Linear``
    default is ``1/sqrt(3)``). The target is :func:`low_rank_target` of ``fold_in(k, 0)`` and the
    data :func:`regression_data` of ``fold_in(k, 1)`` with ``k = fold_in(key, 0)``; the init is
    ``init_stack(fold_in(key, 1), max_depth, d, W_std)``. Members of one key share them across
    depths, ranks and learning rates (common random numbers; targets are nested across ranks).

    Returns:
      ``member(key, hp) -> dict``, ``hp`` with ``depth`` (int), ``rank`` (int) and ``lr`` (float).
      The dict holds ``train_loss``, ``test_loss`` (final), ``train_curve``, ``test_curve``
      ``(steps // eval_every + 1,)``, ``erank`` / ``entropy`` / ``sigma`` ``(d,)`` of the learned
      end-to-end map and ``target_erank``. Use ``jdl.sweep.run(member, seeds, grid)``.
    """
    eval_every = eval_every or steps
    tx = lambda h: optax.sgd(h["lr"], momentum=momentum)
    model = lambda h: deep_linear(h["depth"], max_depth, W_std=W_std)
    loss = lambda out, y: losses.mse(pred=out, target=y)
    train = make_train(model, loss, tx, epochs=steps, batch_size=n_train, eval_every=eval_every)

    def member(key, hp):
        k_data = jax.random.fold_in(key, 0)
        target = low_rank_target(jax.random.fold_in(k_data, 0), d, hp["rank"])
        data = regression_data(jax.random.fold_in(k_data, 1), target, n_train, n_test, noise)
        params = {"W": init_stack(jax.random.fold_in(key, 1), max_depth, d, W_std)}
        state, hist = train(jax.random.fold_in(key, 2), data, hp, params)
        sigma = spectrum(masked_product(state.params["W"], hp["depth"]))
        return {"train_loss": hist["train_loss"][-1], "test_loss": hist["test_loss"][-1],
                "train_curve": hist["train_loss"], "test_curve": hist["test_loss"],
                "erank": effective_rank(sigma), "entropy": spectral_entropy(sigma), "sigma": sigma,
                "target_erank": effective_rank(spectrum(target))}

    return member


def select_lr(final_loss_sgl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per grid point, the learning rate with the lowest seed-mean final loss.

    A learning rate at which any seed diverged (non-finite loss) is disqualified rather than
    averaged over the seeds that survived.

    Args:
      final_loss_sgl: ``(seeds, ..., n_lr)`` final training losses.

    Returns:
      ``(best_index, ok)``, both ``(...)``: the chosen lr index, and whether any lr had every seed
      finite (where not, ``best_index`` is 0 and meaningless).

    >>> select_lr(np.array([[[0.5, 0.1, np.nan]], [[0.4, 0.2, 0.0]]]))
    (array([1]), array([ True]))
    """
    loss = np.asarray(final_loss_sgl, dtype=np.float64)
    finite = np.isfinite(loss).all(0)
    score = np.where(finite, np.where(np.isfinite(loss), loss, 0.0).mean(0), np.inf)
    return np.argmin(score, -1), np.isfinite(score).any(-1)
