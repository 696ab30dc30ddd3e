"""Time jdl against the reference scripts of ../shared/baselines on this machine, in one run.

    python -m experiments.benchmark double_descent            # baseline sizes, prints JSON
    python -m experiments.benchmark double_descent --quick    # small sizes (seconds)
    python -m experiments.benchmark double_descent --skip-baselines

The baselines are PyTorch/numpy scripts run in a subprocess with their own interpreter (PyTorch's
CPU build may not exist for jdl's Python): ``JDL_BASELINE_PYTHON`` names it (default: this
interpreter), ``JDL_BASELINES`` the folder (default: ``../shared/baselines`` beside the checkout,
else ``.bench/baselines`` in it, where a GPU machine gets a copy). Baselines run on the device jax
uses (``--device cpu`` or ``cuda``). jdl times exclude compilation, which is reported separately;
the baselines' own ``wall_s`` excludes their warm-up in the same way.

Writes ``results/benchmark/<name>.json`` (atomically) and prints it.
"""
from benchmarks.runner import main

if __name__ == "__main__":
    main()
