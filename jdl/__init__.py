"""jdl: deep-learning science experiments as pure, vectorised JAX functions.

Core (imported here): ``nn`` (the model contract and layers), ``losses`` (per-example losses and
likelihoods), ``optim`` (optax transformations jdl adds), ``train`` (one-``scan`` training), ``sweep``
(seeds x grids with vmap, chunks, sharding, checkpoints), ``stats`` (summaries over seed axes),
``timing``, ``io``, ``plotting`` and ``precision`` (``with precision(jnp.float64): ...``).

Shared measurement tools live in ``jdl.analysis``, datasets in ``jdl.data``, and each study in its own
package ``jdl.studies.<study>`` (imported explicitly: ``from jdl.studies.double_descent import sweeps``).
"""
from jdl import io, losses, nn, optim, plotting, precision, stats, sweep, timing, train
from jdl.nn import Model
from jdl.train import TrainState, make_step, make_train

__version__ = "0.1.0"

__all__ = ["io", "losses", "nn", "optim", "plotting", "precision", "stats", "sweep", "timing", "train", "Model",
           "TrainState", "make_step", "make_train", "__version__"]
