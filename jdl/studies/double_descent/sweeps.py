"""Double descent with random Fourier features: closed-form sweeps and SGD sweeps over model size.

Per seed, one frequency matrix ``V`` of the largest size is drawn and every size ``N`` uses its
first ``N`` columns (nested models, as the prefix algebra in :mod:`jdl.studies.double_descent.random_features` needs). Closed-form
and SGD sweeps derive ``V`` from the same seed key (``fold_in(key, 0)``), so their curves compare
member by member; label noise flips the same labels in both (``fold_in(key, 2)``).

References:
  Belkin et al. (2019), PNAS 116(32). Nakkiran et al. (2020), Deep double descent: where bigger
  models and more data hurt, ICLR (label noise, epoch-wise double descent).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jdl import losses, stats, sweep
from jdl.data import Dataset, label_noise
from jdl.precision import precision
from jdl.studies.double_descent import random_features as F
from jdl.train import make_train

__all__ = ["member_features", "noisy_labels", "closed_form_sweep", "hessian_top", "make_sgd_member",
           "peak_ratio", "FITS"]

_V_TAG, _TRAIN_TAG, _NOISE_TAG = 0, 1, 2
FITS = ("assignment", "min_norm")  # ridge lambd past the threshold (as the assignment); lambd -> 0


def member_features(key: jax.Array, data: Dataset, n_max: int, dtype=jnp.float32):
    """Train and test features ``(n, 2 n_max)``, ``(m, 2 n_max)`` of one seed's frequencies."""
    V = F.rff_frequencies(jax.random.fold_in(key, _V_TAG), data.x_train.shape[1], n_max).astype(dtype)
    return F.rff(jnp.asarray(data.x_train, dtype), V), F.rff(jnp.asarray(data.x_test, dtype), V)


def noisy_labels(key: jax.Array, y_n: jax.Array, p) -> jax.Array:
    """The seed's training labels with a fraction ``p`` flipped (``p = 0``: unchanged)."""
    return label_noise(jax.random.fold_in(key, _NOISE_TAG), y_n, p)


def _check_sizes(sizes) -> np.ndarray:
    sizes = np.asarray(sizes, dtype=np.int64).reshape(-1)
    if sizes.size == 0 or sizes.min() < 1:
        raise ValueError(f"n_features: sizes must be >= 1, got {sizes.tolist()[:5]}...")
    if np.any(np.diff(sizes) <= 0):
        raise ValueError("n_features: sizes must be strictly increasing")
    return sizes


def closed_form_sweep(data: Dataset, seeds: Sequence[int], sizes: Sequence[int], *, lambd: float = 0.01,
                      noise: float = 0.0, fits: Sequence[str] = FITS, max_update: int | None = None,
                      chunk_size: int | None = None, checkpoint_dir=None, progress: bool = True) -> dict:
    """Closed-form fits of every requested size x seed, in float64.

    Two fits per size:

    * ``"assignment"``: normal equations (least squares) when ``2N <= n``, ridge ``lambd`` when
      ``2N > n``, as the assignment;
    * ``"min_norm"``: least squares when ``2N <= n``, the minimum-norm interpolant when ``2N > n``
      (the ``lambd -> 0`` limit).

    Each seed is one sweep member: its features are computed once, ``2N <= n`` is one QR
    (:func:`jdl.studies.double_descent.random_features.prefix_least_squares`), ``2N > n`` one pass of the dual path
    (:func:`jdl.studies.double_descent.random_features.dual_ridge_path`: the kernel grows along a scan, the ridge fits share
    Cholesky factors through Woodbury updates, the minimum-norm fit factorises per size).

    Args:
      data: the dataset (features are built from ``x`` per seed).
      seeds: integer seeds.
      sizes: strictly increasing frequency counts ``N``.
      lambd: ridge parameter of the assignment fit past the threshold (``>= 0``).
      noise: fraction of training labels flipped (label noise).
      fits: which of ``FITS`` to compute (past the threshold the minimum-norm fit costs one
        Cholesky per size, the ridge fit one per Woodbury block).
      max_update: most frequencies per Woodbury block of the ridge fit (default ``n // 8``; ``0``:
        one Cholesky per size).
      chunk_size, checkpoint_dir, progress: see :func:`jdl.sweep.map_members` (members are seeds).

    Returns:
      ``{"n_features": (K,), <fit>: {...} for each requested fit}`` where each fit holds
      ``train_mse``, ``test_mse``, ``coef_norm`` of shape ``(S, K)``.
    """
    sizes = _check_sizes(sizes)
    if lambd < 0:
        raise ValueError(f"lambd: must be >= 0, got {lambd}")
    fits = tuple(fits)
    if not fits or any(f not in FITS for f in fits) or len(set(fits)) != len(fits):
        raise ValueError(f"fits: expected distinct names from {FITS}, got {fits}")
    if max_update is not None and max_update < 0:
        raise ValueError(f"max_update: must be >= 0, got {max_update}")
    keys = sweep.seed_keys(seeds)
    n = data.n_train
    under, over = sizes[2 * sizes <= n], sizes[2 * sizes > n]
    lambdas = tuple({"assignment": float(lambd), "min_norm": 0.0}[f] for f in fits)
    fingerprint = f"closed_form/v3|{sizes.tolist()}|{lambd}|{noise}|{max_update}|{n}|{fits}"
    with precision(jnp.float64):
        ds = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), data)

        def fit_seed(key):
            phi, phi_t = member_features(key, ds, int(sizes[-1]), jnp.float64)
            y = noisy_labels(key, ds.y_train, noise)
            out = {}
            if under.size:
                p = int(2 * under[-1])
                out["under"] = F.prefix_least_squares(phi[:, :p], y, phi_t[:, :p], ds.y_test, ks=tuple(2 * under))
            if over.size:
                out["over"] = F.dual_ridge_path(phi, y, phi_t, ds.y_test, tuple(over), lambdas,
                                                max_update=max_update)
            return out

        res = sweep.map_members(fit_seed, keys, chunk_size=chunk_size, checkpoint_dir=checkpoint_dir,
                                fingerprint=fingerprint, progress=progress, desc="closed form (seeds)")
    out = {"n_features": sizes}
    for i, name in enumerate(fits):
        out[name] = {}
        for k in F.PathMetrics._fields:
            parts = ([getattr(res["under"], k)] if under.size else []) + (
                [getattr(res["over"], k)[..., i]] if over.size else [])
            out[name][k] = np.concatenate(parts, axis=1)
    return out


def peak_ratio(sizes, test_mse_sk, n: int) -> float:
    """``2N/n`` at the peak of the seed-mean test MSE (non-finite members left out, :func:`jdl.stats.peak_index`)."""
    return float(2 * np.asarray(sizes)[stats.peak_index(test_mse_sk)] / n)


def hessian_top(data: Dataset, seeds: Sequence[int], sizes: Sequence[int]) -> np.ndarray:
    """Top eigenvalue of the MSE Hessian ``(2/n) Phi_N^T Phi_N`` for each seed x size, ``(S, K)``.

    Plain gradient descent is stable for ``lr < 2 / lambda_max``; it grows about linearly in ``N``.
    """
    sizes = _check_sizes(sizes)
    n_max = int(sizes[-1])

    def one(key):
        phi, _ = member_features(key, data, n_max)

        def at(N):
            return F.hessian_top_eigenvalue(phi * (jnp.arange(phi.shape[1]) < 2 * N).astype(phi.dtype))

        return jax.lax.map(at, jnp.asarray(sizes))

    return np.asarray(sweep.map_members(one, sweep.seed_keys(seeds), progress=False))


def make_sgd_member(data: Dataset, n_max: int, *, epochs: int, batch_size: int = 32, a_std: float = 1e-3,
                    eval_every: int = 1):
    """``member(key, hparams) -> history`` for minibatch SGD on the random-feature readout.

    ``hparams``: ``n_features`` (true ``N``), ``lr`` and ``noise`` (label-flip probability); all may
    vary across the sweep. The features are built once per member (from the seed key, at
    ``n_max``), only ``a`` is trained, with ``optax.sgd`` on the per-example MSE, minibatches
    reshuffled every epoch (PyTorch ``DataLoader(shuffle=True)`` semantics).

    ``history`` has ``epoch``, ``train_loss``/``test_loss`` (MSE against the *clean* test labels;
    train against the labels trained on) and ``train_error``/``test_error`` (sign errors).
    """
    train = make_train(
        lambda hp: F.rff_readout(hp["n_features"], n_max, a_std),
        lambda out, y: losses.mse(pred=out, target=y),
        lambda hp: optax.sgd(hp["lr"]),
        epochs=epochs, batch_size=batch_size, eval_every=eval_every,
        metrics={"error": lambda out, y: losses.sign_error(pred=out, target=y)},
    )

    def member(key, hp: Mapping):
        phi, phi_t = member_features(key, data, n_max)
        y = noisy_labels(key, jnp.asarray(data.y_train, jnp.float32), hp["noise"])
        ds = Dataset(phi, y, phi_t, jnp.asarray(data.y_test, jnp.float32))
        return train(jax.random.fold_in(key, _TRAIN_TAG), ds, hp)[1]

    return member
