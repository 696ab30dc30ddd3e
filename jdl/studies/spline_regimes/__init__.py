"""Shallow univariate ReLU networks and the splines they fit: kernel vs adaptive regime (Williams et al. 2019).

The initial scale ``alpha`` and layer ratio ``lam`` decide whether training ends near the natural cubic
spline (kernel regime) or the linear interpolant with knots moved to the data (adaptive regime); run
by ``experiments.spline_regimes``.

Modules:
  splines: the network and its initialisation, the reference splines, the regime measures (spline
    index, knot mass and shift), stable learning rates and the jitted full-batch fit.
  runs: everything ``experiments.spline_regimes`` computes (``run_all``): the grid, the regime tables.
  plots: the study's figures (arrays in, ``Figure`` out).
"""

__all__ = []
