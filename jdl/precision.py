"""One switch for a computation's floating precision: ``with precision(dtype): ...``.

jax computes in float32 unless x64 is enabled; jdl enables it only around the computations that ask
for float64, so the rest of the package (and of the caller's program) stays float32.

- ``precision(jnp.float64)`` enables x64 for the block (``jax.enable_x64(True)``) and restores the
  previous state on exit, exceptions included.
- ``precision(jnp.float32)`` changes nothing: the block's arrays are float32 because the computation
  asks for float32 ones (``jnp.asarray(x, dtype)``). It never turns x64 *off*, so a float32 run inside
  a caller's float64 block (``with precision(jnp.float64): ... run(dtype=jnp.float32)``) leaves the
  caller's float64 arrays and x64 state as they were.

The dtype may be given as a dtype object or scalar type (``jnp.float64``, ``np.dtype("float32")``) or
as a name (``"float64"``); any other dtype is a ``ValueError``.
"""
from __future__ import annotations

import contextlib
from typing import Any

import jax
import numpy as np

__all__ = ["precision"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _float_dtype(dtype: Any) -> np.dtype:
    dt = None
    if dtype is not None and not isinstance(dtype, bool):  # np.dtype(None) is float64
        try:
            dt = np.dtype(dtype)
        except (TypeError, ValueError):
            pass
    if dt is None or dt not in _FLOATS:
        raise ValueError(f"precision: expected float32 or float64 (a dtype or its name), got {dtype!r}")
    return dt


def precision(dtype: Any) -> contextlib.AbstractContextManager:
    """A context manager that computes the block in ``dtype``: float64 enables x64, float32 keeps the state.

    Args:
      dtype: ``jnp.float32`` / ``jnp.float64``, a NumPy dtype, or the names ``"float32"`` / ``"float64"``.

    Returns:
      ``jax.enable_x64(True)`` for float64; a no-op context for float32 (x64 stays as the caller set it).

    Raises:
      ValueError: ``dtype`` is not float32 or float64.

    >>> import jax.numpy as jnp
    >>> with precision(jnp.float64):
    ...     str(jnp.zeros(2).dtype)
    'float64'
    >>> with precision("float64"), precision("float32"):  # float32 inside: x64 stays on
    ...     str(jnp.zeros(2).dtype), str(jnp.zeros(2, jnp.float32).dtype)
    ('float64', 'float32')
    >>> precision("float16")
    Traceback (most recent call last):
    ...
    ValueError: precision: expected float32 or float64 (a dtype or its name), got 'float16'
    """
    if _float_dtype(dtype) == np.float64:
        return jax.enable_x64(True)
    return contextlib.nullcontext()
