"""Linear regions of ReLU networks: how many linear pieces a 1-D network has, and how depth multiplies them.

Telgarsky's sawtooth (``2^L`` pieces from ``L`` layers), its perturbations and random ReLU nets, their
pieces counted exactly by :mod:`jdl.analysis.pieces` (run by ``experiments.linear_regions``).

Modules:
  networks: the sawtooth, its perturbations, random ReLU nets and the regions bound, as padded
    ``(first, block, last)`` layers that stack and vmap into one counter call.
  runs: everything ``experiments.linear_regions`` computes (``run_all``): the exact counts and figure data.
  plots: the study's figures (arrays in, ``Figure`` out).
"""

__all__ = []
