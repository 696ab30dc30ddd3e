"""jdl benchmarks: one module per study timing jdl against a reference on the same device (``python -m experiments.benchmark <name>``)."""
