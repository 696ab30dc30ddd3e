"""Atomic writes and JSON conversion for results and checkpoints (nothing half-written survives a crash)."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["to_jsonable", "save_json", "save_npz", "load_npz"]


def to_jsonable(obj: Any) -> Any:
    """Convert arrays, NumPy scalars, tuples and dataclass-like objects to plain JSON values.

    Non-finite floats become ``None`` (JSON has no NaN), so a diverged sweep member shows up as
    ``null`` next to its finite neighbours instead of poisoning a mean.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        if arr.ndim == 0:
            return to_jsonable(arr.item())
        return to_jsonable(arr.tolist())
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def _atomic_write(path: Path, write) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (temp file in the same folder, then ``os.replace``)."""
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"
    return _atomic_write(Path(path), lambda f: f.write(text.encode()))


def save_npz(path: str | Path, **arrays) -> Path:
    """Write arrays to a compressed ``.npz`` atomically."""
    return _atomic_write(Path(path), lambda f: np.savez_compressed(f, **{k: np.asarray(v) for k, v in arrays.items()}))


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` into memory."""
    with np.load(path) as z:
        return {k: z[k] for k in z.files}
