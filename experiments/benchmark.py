"""Time jdl against the reference scripts on this device: ``python -m experiments.benchmark <name> [--quick]``.

The runner and one timing module per study live in ``benchmarks/`` (``--help`` lists them and the flags).
"""
from benchmarks.runner import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
