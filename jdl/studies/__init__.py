"""One package per study. A study imports jdl's core, ``jdl.analysis`` and ``jdl.data``, never another study."""

__all__ = []
