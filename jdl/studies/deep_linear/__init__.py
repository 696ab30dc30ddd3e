"""Deep linear network learning dynamics (Neuromatch DL W1D2 Tutorial 3; Saxe, McClelland & Ganguli 2014, 2019).

Modules:
  dynamics: the network, one run of full or exact reduced gradient descent (re-exports ``theory``).
  members: many runs (seed, lr, gamma), grids and given data sets in one compiled program.
  theory: Saxe et al.'s exact mode curves, half-times, stage counting, least-squares references.
  summaries: theory vs measurement, the stage order, illusory correlations, the lr x gamma grid's tables.
  runs: everything ``experiments.deep_linear`` computes (``run_all``).
  plots: the study's figures (arrays in, ``Figure`` out).
"""

__all__ = []
