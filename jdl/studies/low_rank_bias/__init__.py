"""The low-rank simplicity bias of deep networks: effective rank against depth (Huh et al.).

Depth is a vmapped axis (the first ``D`` of ``L`` stacked layers, the rest identity), so every depth,
seed and learning rate runs in one compiled program (run by ``experiments.low_rank_bias``).

Modules:
  deep_nets: effective rank of the product at initialisation per depth, low-rank regression
    targets and data, and the training members of the depth x learning-rate sweep.
  runs: everything ``experiments.low_rank_bias`` computes (``run_all``): the init and trained sweeps, summarised.
  plots: the study's figures (arrays in, ``Figure`` out).
"""

__all__ = []
