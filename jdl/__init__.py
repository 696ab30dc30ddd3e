"""jdl: deep-learning science experiments as pure, vectorised JAX functions.

Modules: ``nn`` (models), ``losses``, ``train`` (one-``scan`` training), ``sweep`` (seeds x grids
with vmap, chunks, sharding, checkpoints), ``data``, ``features`` (random Fourier features and
their solvers), ``double_descent``, ``plotting`` and ``io``.
"""
from jdl import data, double_descent, features, io, losses, nn, sweep, train
from jdl.nn import Model
from jdl.train import TrainState, make_step, make_train

__version__ = "0.1.0"

__all__ = ["data", "double_descent", "features", "io", "losses", "nn", "sweep", "train", "Model",
           "TrainState", "make_step", "make_train", "__version__"]
