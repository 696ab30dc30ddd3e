"""Signal propagation at initialisation: exploding and vanishing activations and gradients (udlbook Gradients III).

Per hidden layer of a ``K x D`` network with ``N(0, sigma^2)`` weights, the variance of activations and
of their gradients, over seeds x ``sigma^2`` in one compiled program (run by ``experiments.signal_propagation``).

Modules:
  propagation: the per-layer statistics of one member, the seed x ``sigma^2`` sweep, layer variance
    schemes and growth rates per layer.
  runs: everything ``experiments.signal_propagation`` computes (``run_all``): the sweeps and their summaries.
  plots: the study's figures (arrays in, ``Figure`` out).
"""

__all__ = []
