"""jdl: deep-learning science experiments as pure, vectorised JAX functions.

Core: ``nn`` (models), ``losses`` (per-example losses and likelihoods), ``train`` (one-``scan``
training), ``optim`` (line searches and optax descent loops), ``sweep`` (seeds x grids with vmap,
chunks, sharding, checkpoints), ``data``, ``plotting`` and ``io``.

Studies: ``features`` (random Fourier features and their solvers) and ``double_descent``;
``boolean``/``boolean_measures``/``boolean_stats`` (random networks as Boolean functions);
``splines`` (kernel vs adaptive regime), ``rank`` (effective rank), ``signal`` (signal
propagation), ``regions`` (exact linear pieces); ``linear_dynamics`` and ``linear_dynamics_theory``
(deep linear networks, Saxe et al.); the udlbook course maths: ``shallow`` (shallow and deep 1-D
ReLU nets), ``udl_models`` (linear and Gabor models), ``gradients`` (manual backpropagation, finite
differences), ``conv`` (hand-written 2-D convolution) and ``geometry`` (high-dimensional geometry).
"""
from jdl import (boolean, boolean_measures, boolean_stats, conv, data, double_descent, features, geometry, gradients,
                 io, linear_dynamics, linear_dynamics_theory, losses, nn, optim, rank, regions, shallow, signal,
                 splines, sweep, train, udl_models)
from jdl.nn import Model
from jdl.train import TrainState, make_step, make_train

__version__ = "0.1.0"

__all__ = ["boolean", "boolean_measures", "boolean_stats", "conv", "data", "double_descent", "features", "geometry",
           "gradients", "io", "linear_dynamics", "linear_dynamics_theory", "losses", "nn", "optim", "rank",
           "regions", "shallow", "signal", "splines", "sweep", "train", "udl_models", "Model", "TrainState",
           "make_step", "make_train", "__version__"]
