"""Double descent with random Fourier features on the digits (the 2023 DNN assignment; Belkin et al. 2019).

Modules:
  random_features: the features and their solvers (prefix least squares, the dual ridge / minimum-norm path).
  sweeps: the closed-form sweep over sizes x seeds, the Hessian's top eigenvalue, the SGD member.
  runs: everything ``experiments.double_descent`` computes (``run_all``): sizes, the gradient check,
    the SGD sweeps and their summaries.
  plots: the study's figures (arrays in, ``Figure`` out).
"""

__all__ = []
