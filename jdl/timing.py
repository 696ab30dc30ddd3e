"""One timer for benchmarks and experiments: run seconds with compilation excluded, or best of k.

jax reports the time it spends tracing, lowering and compiling through ``jax.monitoring`` events;
:func:`timed` subtracts them from the wall time, so a sweep that compiles once and then runs is timed
in one call. :func:`best_of` is the classic micro-benchmark: one warm-up call (compiles), then the
fastest of ``k`` calls.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import jax

__all__ = ["timed", "best_of"]

_COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration", "/jax/core/compile/jaxpr_to_mlir_module_duration",
                   "/jax/core/compile/backend_compile_duration")
_compile_s = [0.0]


def _on_event(event: str, seconds: float, **_):
    if event in _COMPILE_EVENTS:
        _compile_s[0] += seconds


jax.monitoring.register_event_duration_secs_listener(_on_event)


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its run seconds and its compile seconds (tracing, lowering, XLA compilation).

    The result is fetched with ``block_until_ready``, so asynchronous dispatch is inside the time.

    >>> import jax.numpy as jnp
    >>> out, run_s, compile_s = timed(lambda: jnp.ones(3) * 2)
    >>> out.tolist(), run_s >= 0, compile_s >= 0
    ([2.0, 2.0, 2.0], True, True)
    """
    c0, t0 = _compile_s[0], time.perf_counter()
    out = jax.block_until_ready(fn())
    wall, compile_s = time.perf_counter() - t0, _compile_s[0] - c0
    return out, round(max(wall - compile_s, 0.0), 4), round(compile_s, 4)


def best_of(fn: Callable[[], Any], k: int = 5) -> float:
    """Fastest wall time in seconds of ``k`` calls of ``fn`` after one warm-up call (which compiles).

    >>> import jax.numpy as jnp
    >>> best_of(lambda: jnp.ones(3) + 1, k=2) >= 0
    True
    """
    if k < 1:
        raise ValueError(f"k: must be >= 1, got {k}")
    jax.block_until_ready(fn())
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        best = min(best, time.perf_counter() - t0)
    return best
