"""The udlbook CM20315 notebooks (Prince, *Understanding Deep Learning*, 2023) as tested JAX functions.

Each notebook family reproduced with its literal fixtures and printed answers (run by the
``experiments.udl_*`` scripts).

Modules:
  fixtures: the literal fixtures of Shallow, Deep, Deep2 and Loss I-III (NumPy float64).
  training_fixtures: the fixtures of Training I-III and Gradients I-II, with the notebooks' NumPy draws.
  networks: shallow and deep networks of one input in scalar and matrix ("book") form, composition and fits.
  likelihoods: the Loss notebooks' likelihoods, NLLs and vmapped parameter grid searches.
  curve_fitting: Training II-III's two-parameter linear and Gabor models, losses and hand-derived gradients.
  backprop: Gradients I-II's backpropagation by hand, against ``jax.grad`` and finite differences.
  conv2d: Convolution I's 2-D convolution written out as one patch gather and an ``einsum``.
  geometry: Coursework IV's high-dimensional geometry: distance concentration, ball volumes, outer shells.
  plots_networks: figures of Shallow, Deep, Deep2 and Loss I-III.
  plots_training: figures of Training I-III and Gradients I-II.
  plots_geometry: figures of Convolution I and Coursework IV.
  networks_runs, losses_runs, training_runs, gradients_runs, convolution_runs, geometry_runs: each
    ``experiments.udl_<name>`` run's numerics (``run_all``), so the experiments only save, plot and print.
"""

__all__ = []
