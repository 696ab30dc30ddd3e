"""Convolution I end to end: the hand-written 2-D convolution against ``lax.conv_general_dilated``.

The numerics of ``experiments.udl_convolution`` (udlbook CM20315 Convolution I; Prince 2023, ch. 10): the
notebook's four cases (``np.random.seed(seed)``), gradients through both convolutions, an agreement grid
of strides x paddings x dilations x kernel sizes on a random batch, a bank of classic 3x3 filters on a
test image, and a timing comparison. :func:`run_all` runs them all under ``precision(dtype)``.

Shapes: images ``(B, C, H, W)`` (``bchw``), kernels ``(O, I, k, k)`` (``oihw``).
"""
from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jdl.precision import precision
from jdl.studies.udlbook import conv2d as C
from jdl.timing import best_of

__all__ = [
    "GRID_BATCH",
    "agreement_grid",
    "filter_bank",
    "gradient_check",
    "grid_configs",
    "max_abs_diff",
    "notebook_cases",
    "run_all",
    "timing",
]

GRID_BATCH = (2, 3, 11, 9)  # the agreement grid's random batch (B, C, H, W), convolved with 4 kernels
GRID_KERNELS = 4  # output channels of the agreement grid
TIMING_SHAPE = (16, 32, 32)  # (C, H, W) of the timing batch, convolved with 32 3x3 kernels, pad 1
TIMING_KERNELS = 32


def grid_configs(kernel_sizes: Sequence[int], strides: Sequence[int], pads: Sequence[int],
                 dilations: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """The (kernel, stride, pad, dilation) configurations whose dilated kernel fits the padded grid batch.

    >>> grid_configs((3, 15), (2,), (1,), (1,))
    [(3, 2, 1, 1)]
    """
    return [(k, s, p, d) for k in kernel_sizes for s in strides for p in pads for d in dilations
            if min(C.output_size(n, k, stride=s, pad=p, dilation=d) for n in GRID_BATCH[2:]) >= 1]


def max_abs_diff(a, b) -> float:
    """``max |a - b|`` over every entry, as a Python float."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def notebook_cases(seed: int, dtype) -> list[dict]:
    """The notebook's four cases: hand-written vs lax outputs and their largest difference.

    Returns:
      Per case: ``name``, ``image_shape``, ``weights_shape``, ``stride``, ``pad``, ``output_shape``,
      ``max_abs_diff``, and the host arrays ``output`` (jdl) and ``reference`` (lax), (B, O, H', W').
    """
    rows = []
    for case in C.udlbook_cases(seed):
        x, w = jnp.asarray(case.image_bchw, dtype), jnp.asarray(case.weights_oihw, dtype)
        hand = C.conv2d(x, w, stride=case.stride, pad=case.pad)
        ref = C.conv2d_lax(x, w, stride=case.stride, pad=case.pad)
        rows.append({"name": case.name, "image_shape": case.image_bchw.shape, "weights_shape": case.weights_oihw.shape,
                     "stride": case.stride, "pad": case.pad, "output_shape": tuple(hand.shape),
                     "max_abs_diff": max_abs_diff(hand, ref), "output": np.asarray(hand), "reference": np.asarray(ref)})
    return rows


def gradient_check(seed: int, dtype) -> dict:
    """``jax.grad`` of ``sum(out^2) / 2`` with respect to image and weights, through both convolutions (case 4)."""
    case = C.udlbook_cases(seed)[-1]
    x, w = jnp.asarray(case.image_bchw, dtype), jnp.asarray(case.weights_oihw, dtype)

    def loss(f):
        return lambda x, w: 0.5 * jnp.sum(f(x, w, stride=case.stride, pad=case.pad) ** 2)

    g_hand = jax.grad(loss(C.conv2d), argnums=(0, 1))(x, w)
    g_ref = jax.grad(loss(C.conv2d_lax), argnums=(0, 1))(x, w)
    return {"case": case.name, "image_grad_max_abs_diff": max_abs_diff(g_hand[0], g_ref[0]),
            "weights_grad_max_abs_diff": max_abs_diff(g_hand[1], g_ref[1]),
            "weights_grad_max_abs": float(jnp.max(jnp.abs(g_ref[1])))}


def agreement_grid(seed: int, dtype, kernel_sizes: Sequence[int], strides: Sequence[int], pads: Sequence[int],
                   dilations: Sequence[int]) -> list[dict]:
    """Every fitting (stride, pad, dilation, kernel) on a random :data:`GRID_BATCH` batch with 4 kernels.

    The batch, then one (4, C, k, k) kernel per size (fitting or not: one random stream), come from
    ``np.random.default_rng(seed)``.

    Returns:
      Per fitting configuration: ``kernel``, ``stride``, ``pad``, ``dilation``, ``output_shape``,
      ``shapes_equal`` (jdl's against lax's) and ``max_abs_diff``.
    """
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(size=GRID_BATCH), dtype)
    fits = set(grid_configs(kernel_sizes, strides, pads, dilations))
    rows = []
    for k in kernel_sizes:
        w = jnp.asarray(rng.normal(size=(GRID_KERNELS, GRID_BATCH[1], k, k)), dtype)
        for s in strides:
            for p in pads:
                for d in dilations:
                    if (k, s, p, d) not in fits:
                        continue  # the dilated kernel does not fit
                    hand = C.conv2d(x, w, stride=s, pad=p, dilation=d)
                    ref = C.conv2d_lax(x, w, stride=s, pad=p, dilation=d)
                    rows.append({"kernel": k, "stride": s, "pad": p, "dilation": d, "output_shape": tuple(hand.shape),
                                 "shapes_equal": hand.shape == ref.shape, "max_abs_diff": max_abs_diff(hand, ref)})
    return rows


def filter_bank(demo_size: int, dtype) -> dict:
    """The :data:`~jdl.studies.udlbook.conv2d.FILTERS` bank on the ``demo_size`` test image, pad 1.

    Returns:
      ``image_hw`` (H, W), ``kernels_khw`` (K, 3, 3), ``bank_khw`` (K, H, W) host arrays, and ``max_abs_diff``
      of jdl's convolution against lax's.
    """
    image = jnp.asarray(C.demo_image(demo_size), dtype)[None, None]
    kernels = jnp.asarray(np.array(list(C.FILTERS.values()), np.float64)[:, None], dtype)
    bank = C.conv2d(image, kernels, pad=1)
    return {"image_hw": np.asarray(image[0, 0]), "kernels_khw": np.asarray(kernels[:, 0]), "bank_khw": np.asarray(bank[0]),
            "max_abs_diff": max_abs_diff(bank, C.conv2d_lax(image, kernels, pad=1))}


def timing(seed: int, batch: int, dtype) -> dict:
    """Seconds per call (compiled, best of 5) for a (batch, 16, 32, 32) batch with 32 3x3 kernels, pad 1."""
    rng = np.random.default_rng(seed + 1)
    x = jnp.asarray(rng.normal(size=(batch, *TIMING_SHAPE)), dtype)
    w = jnp.asarray(rng.normal(size=(TIMING_KERNELS, TIMING_SHAPE[0], 3, 3)), dtype)
    out = {}
    for name, f in (("hand_written", C.conv2d), ("lax", C.conv2d_lax)):
        out[f"{name}_s"] = best_of(lambda: f(x, w, pad=1), k=5)  # noqa: B023 (called at once)
    out["shape"] = tuple(x.shape)
    out["hand_over_lax"] = out["hand_written_s"] / out["lax_s"]
    return out


def run_all(*, seed: int, dtype, strides: Sequence[int], pads: Sequence[int], dilations: Sequence[int],
            kernel_sizes: Sequence[int], demo_size: int, timing_batch: int) -> dict:
    """Every part of Convolution I under ``precision(dtype)`` (float32 keeps a caller's x64 on).

    Args:
      seed: ``np.random.seed`` of the notebook's cases (the grid uses ``default_rng(seed)``, timing ``seed + 1``).
      dtype: the arrays' dtype (float64 or float32).
      strides, pads, dilations, kernel_sizes: the agreement grid.
      demo_size: side of the filter-bank test image.
      timing_batch: images in the timing comparison (0: none).

    Returns:
      ``{"metrics": the experiment's metrics, "cases": notebook_cases(...) (with references), "inputs":
      the notebook's cases as (image_bchw, weights_oihw), "filter_bank": filter_bank(...), "arrays":
      {"cases": every case's output and reference}}``.
    """
    with precision(dtype):
        cases = notebook_cases(seed, dtype)
        grads = gradient_check(seed, dtype)
        grid = agreement_grid(seed, dtype, kernel_sizes, strides, pads, dilations)
        bank = filter_bank(demo_size, dtype)
        times = timing(seed, timing_batch, dtype) if timing_batch else None
    grid_max = max(r["max_abs_diff"] for r in grid)
    summary = [{k: v for k, v in r.items() if k != "reference"} for r in cases]
    metrics = {"cases": summary, "max_abs_diff": max(r["max_abs_diff"] for r in cases), "gradients": grads,
               "grid": grid, "grid_max_abs_diff": grid_max, "grid_configs": len(grid),
               "filter_bank": {"names": list(C.FILTERS), "max_abs_diff": bank["max_abs_diff"], "image_size": demo_size},
               "timing": times}
    arrays = {f"case_{i}_{k}": r[k] for i, r in enumerate(cases, 1) for k in ("output", "reference")}
    inputs = [(case.image_bchw, case.weights_oihw) for case in C.udlbook_cases(seed)]
    return {"metrics": metrics, "cases": cases, "inputs": inputs, "filter_bank": bank, "arrays": {"cases": arrays}}
