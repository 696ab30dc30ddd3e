"""Simplicity bias of the parameter-function map: random networks as Boolean functions (Valle-Pérez et al. 2019).

Sample many random networks on the ``2^n`` points of the hypercube, count how often each truth table
appears, and compare the probabilities with the functions' complexity (run by ``experiments.boolean_complexity``).

Modules:
  complexity: complexity measures of packed truth tables (LZ76 phrases and complexity, entropy of the
    ones, average sensitivity, critical sample ratio) and the bit packing.
  networks: random network specs, truth tables on the hypercube and on-device counting of the
    sampled functions.
  frequencies: statistics of the counts: rank-frequency (Zipf) fits, the simplicity bound, complexity
    histograms and named functions.
  runs: everything ``experiments.boolean_complexity`` computes (``run_all``): sampling, summaries, the
    perceptron check.
  plots: the study's figures (arrays in, ``Figure`` out).
"""

__all__ = []
