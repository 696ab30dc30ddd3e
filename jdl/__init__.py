"""jdl: deep-learning science experiments as pure, vectorised JAX functions.

Modules: ``nn`` (models), ``losses``, ``train`` (one-``scan`` training), ``sweep`` (seeds x grids
with vmap, chunks, sharding, checkpoints), ``data``, ``features`` (random Fourier features and
their solvers), ``double_descent``, ``boolean``/``boolean_measures``/``boolean_stats`` (random
networks as Boolean functions), ``splines`` (kernel vs adaptive regime), ``rank`` (effective
rank, depth-masked nets), ``signal`` (signal propagation), ``regions`` (exact linear pieces),
``plotting`` and ``io``.
"""
from jdl import (boolean, boolean_measures, boolean_stats, data, double_descent, features, io, losses, nn, rank,
                 regions, signal, splines, sweep, train)
from jdl.nn import Model
from jdl.train import TrainState, make_step, make_train

__version__ = "0.1.0"

__all__ = ["boolean", "boolean_measures", "boolean_stats", "data", "double_descent", "features", "io", "losses",
           "nn", "rank", "regions", "signal", "splines", "sweep", "train", "Model", "TrainState", "make_step",
           "make_train", "__version__"]
