"""Many deep linear runs in one compiled program: members ``(seed, lr, gamma)``, grids, given data sets.

:func:`train_members` vmaps :func:`jdl.studies.deep_linear.dynamics.make_train` over runs, each with its
own seed, learning rate and init scale; ``method="reduced"`` computes a seed's ``N``-sized setup once for
all of its runs (it does not depend on ``(lr, gamma)``). :func:`train_grid` is a seed x grid product of it,
:func:`train_datasets` one run per given data set (data a sampler cannot make). All run in float64 by
default (x64 enabled for the computation only): ``gamma`` goes down to 1e-15.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl import sweep
from jdl.precision import precision

# the single-run pieces (a method's setup and run, the unit weight draws) live with the training
from jdl.studies.deep_linear.dynamics import _IMPLS, History, _unit_draws, make_train

Array = jax.Array

__all__ = ["run_keys", "train_members", "train_grid", "train_datasets"]


def run_keys(seed: int) -> tuple[Array, Array]:
    """The data key and the weight key of a seed in :func:`train_members`: ``split(jax.random.key(seed))``."""
    return tuple(jax.random.split(jax.random.key(seed)))


def train_members(seeds_m: Sequence[int], lr_m, gamma_m, sample: Callable[[Array], tuple[Array, Array]], *,
                  hidden: int = 30, epochs: int = 250, method: str = "reduced", dtype=jnp.float64, feature: int = -1,
                  record_rsm: bool = False, chunk_size: int | None = None, progress: bool = False,
                  desc: str = "deep linear") -> History:
    """Runs ``m = 0..M-1``, each with its own ``(seed, lr, gamma)``, in one compiled program (float64 by default).

    A seed's key is split into a data key (``sample(key) -> (x_pd, y_pn)``) and a weight key
    (:func:`run_keys`): runs with the same seed see the same data and unit weight draws (scaled by their
    ``gamma``), and ``method="reduced"`` computes their ``N``-sized setup once. The members are vmapped,
    in chunks of ``chunk_size`` with the same compiled program (:func:`jdl.sweep.map_members`).

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
    make_train(hidden, epochs, method=method)  # validates the static arguments
    setup, run = _IMPLS[method]

    def prepare(key):  # a seed's data and unit weight draws -> the method's setup
        k_data, k_init = jax.random.split(key)
        x_pd, y_pn = (jnp.asarray(v, dtype) for v in sample(k_data))
        return setup(*_unit_draws(k_init, x_pd.shape[1], hidden, y_pn.shape[1], dtype), x_pd, y_pn, feature)

    with precision(dtype):  # x64 only inside: the rest of jdl stays float32
        n_out = jax.eval_shape(sample, jax.random.key(0))[1].shape[1]
        kw = {"n_out": n_out, "epochs": epochs, "feature": feature, "record_rsm": record_rsm}
        lr, gamma = jnp.asarray(lr, dtype), jnp.asarray(gamma, dtype)
        if method == "reduced":  # one setup per distinct seed (small arrays), gathered for its members
            uniq, inv = np.unique(seeds, return_inverse=True)
            st = sweep.map_members(prepare, sweep.seed_keys(uniq), chunk_size=chunk_size, progress=False)
            inputs = (jax.tree.map(lambda v: v[inv], st), lr, gamma)
        else:  # the direct run is N-sized at every step anyway: each member makes its own setup
            inputs = (sweep.seed_keys(seeds), lr, gamma)

        def member(m):
            st_m, lr_m, gamma_m = m
            return run(st_m if method == "reduced" else prepare(st_m), lr_m, gamma_m, **kw)[1]

        return sweep.map_members(member, inputs, chunk_size=chunk_size, progress=progress, desc=desc)


def train_grid(seeds: Sequence[int], lr, gamma, sample: Callable[[Array], tuple[Array, Array]], **kwargs) -> History:
    """Every ``seed x (lr, gamma)`` grid point with :func:`train_members`: ``History`` with leading ``(S, G)``.

    Args:
      seeds: ``S`` integer seeds.
      lr, gamma: equal-length 1-D grids of ``G`` points (use :func:`jdl.sweep.grid` for a product).
      sample, **kwargs: as :func:`train_members`.

    >>> g = sweep.grid(lr=[10.0, 100.0], gamma=[1e-12, 1e-6, 1.0])
    >>> train_grid([0, 1], g["lr"], g["gamma"], lambda k: tree.generate_hsd(k, 100)).loss.shape  # doctest: +SKIP
    (2, 6, 251)
    """
    lr, gamma = _check_grid(lr, gamma)
    seeds = np.atleast_1d(np.asarray(seeds))
    S, G = len(seeds), len(lr)
    hist = train_members(np.repeat(seeds, G), np.tile(lr, S), np.tile(gamma, S), sample, **kwargs)
    return jax.tree.map(lambda v: v.reshape((S, G) + v.shape[1:]), hist)


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
    with precision(dtype):
        x, y = jnp.asarray(x_bpd, dtype), jnp.asarray(y_bpn, dtype)
        keys = jax.vmap(lambda k: jax.random.split(k)[1])(sweep.seed_keys(seeds))  # run_keys(seed)[1]
        out = jax.jit(jax.vmap(lambda k, xb, yb: train(k, xb, yb, lr, gamma)))(keys, x, y)
        params, hist = jax.tree.map(np.asarray, out)
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
