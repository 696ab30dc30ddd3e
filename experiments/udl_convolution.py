"""Hand-written 2-D convolution against the library one (udlbook CM20315 Convolution I; Prince 2023, ch. 10).

    python -m experiments.udl_convolution --quick   # the notebook's four cases + 2 configurations: seconds
    python -m experiments.udl_convolution           # the four cases + 54 (stride, pad, dilation, kernel) configurations

The notebook hand-codes a convolution with seven nested loops (batch, output row and column, output
and input channel, kernel row and column) and checks it against ``torch.nn.functional.conv2d`` on four
cases drawn after ``np.random.seed(1)``: one 4x6 channel with a 3x3 kernel; a 12x10 image with stride
2; 5 input and 2 output channels; and a batch of two. ``jdl.studies.udlbook.conv2d.conv2d`` is those loops as one patch
gather and one ``einsum`` (``vmap`` over the batch); here the reference is
``jax.lax.conv_general_dilated``. For each case the run prints both outputs as the notebook does
(precision 3) and their largest difference, then checks gradients (``jax.grad`` through both), a grid
of strides x paddings x dilations x kernel sizes on a random batch, and a bank of classic filters
(blur, Sobel, Laplacian, sharpen) on a test image.

Expected: every difference at rounding level (~1e-15 in float64), output shapes 4x6, 6x5 (stride 2),
2 channels of 4x6, and a batch of two; the Sobel kernels light up vertical and horizontal edges, the
Laplacian the outlines, the blur smooths.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.precision import precision
from jdl.studies.udlbook import conv2d as C
from jdl.studies.udlbook import plots_geometry as P
from jdl.timing import best_of

NAME = "udl_convolution"
DTYPES = {"float32": jnp.float32, "float64": jnp.float64}
GRID_BATCH = (2, 3, 11, 9)  # the agreement grid's random batch (B, C, H, W), convolved with 4 kernels


def _grid_configs(c: Config) -> list[tuple[int, int, int, int]]:
    """The (kernel, stride, pad, dilation) configurations of the grid whose dilated kernel fits the padded batch."""
    return [(k, s, p, d) for k in c.kernel_sizes for s in c.strides for p in c.pads for d in c.dilations
            if min(C.output_size(n, k, stride=s, pad=p, dilation=d) for n in GRID_BATCH[2:]) >= 1]


@dataclass(frozen=True)
class Config:
    seed: int = field(default=1, metadata={"help": "np.random.seed of the notebook's cases (the notebook's 1)"})
    dtype: str = field(default="float64", metadata={"help": "float64 (the notebook's arrays) | float32"})
    strides: tuple[int, ...] = field(default=(1, 2, 3), metadata={"help": "strides of the agreement grid"})
    pads: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "zero paddings of the agreement grid"})
    dilations: tuple[int, ...] = field(default=(1, 2), metadata={"help": "kernel dilations of the agreement grid"})
    kernel_sizes: tuple[int, ...] = field(default=(1, 3, 5), metadata={"help": "kernel sizes of the agreement grid"})
    demo_size: int = field(default=64, metadata={"help": "side of the filter-bank test image"})
    timing_batch: int = field(default=32, metadata={"help": "images in the timing comparison (0: none)"})
    print_arrays: bool = field(default=True, metadata={"help": "print the four cases' outputs as the notebook does"})

    def validate(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected one of {sorted(DTYPES)}, got {self.dtype!r}")
        for name, lo in (("strides", 1), ("pads", 0), ("dilations", 1), ("kernel_sizes", 1)):
            values = getattr(self, name)
            if not values or min(values) < lo:
                raise ValueError(f"{name}: need a non-empty list of integers >= {lo}, got {values}")
        if self.demo_size < 3:
            raise ValueError(f"demo_size: need at least 3 pixels for a 3x3 kernel, got {self.demo_size}")
        if self.timing_batch < 0:
            raise ValueError(f"timing_batch: must be >= 0, got {self.timing_batch}")
        if self.seed < 0:
            raise ValueError(f"seed: must be >= 0 (np.random.seed), got {self.seed}")
        if not _grid_configs(self):
            raise ValueError(f"kernel_sizes: no (kernel, stride, pad, dilation) configuration fits the "
                             f"{GRID_BATCH[2]}x{GRID_BATCH[3]} grid image (kernels {self.kernel_sizes}, "
                             f"pads {self.pads}, dilations {self.dilations})")


def get_config(quick: bool = False) -> Config:
    if not quick:
        return Config()
    return Config(strides=(2,), pads=(1,), dilations=(1, 2), kernel_sizes=(3,), demo_size=32, timing_batch=0)


def _max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def notebook_cases(c: Config, dtype) -> list[dict]:
    """The notebook's four cases: hand-written vs lax outputs and their largest difference."""
    rows = []
    for case in C.udlbook_cases(c.seed):
        x, w = jnp.asarray(case.image_bchw, dtype), jnp.asarray(case.weights_oihw, dtype)
        hand = C.conv2d(x, w, stride=case.stride, pad=case.pad)
        ref = C.conv2d_lax(x, w, stride=case.stride, pad=case.pad)
        rows.append({"name": case.name, "image_shape": case.image_bchw.shape, "weights_shape": case.weights_oihw.shape,
                     "stride": case.stride, "pad": case.pad, "output_shape": tuple(hand.shape),
                     "max_abs_diff": _max_diff(hand, ref), "output": np.asarray(hand), "reference": np.asarray(ref)})
    return rows


def gradient_check(c: Config, dtype) -> dict:
    """``jax.grad`` of ``sum(out^2) / 2`` with respect to image and weights, through both convolutions (case 4)."""
    case = C.udlbook_cases(c.seed)[-1]
    x, w = jnp.asarray(case.image_bchw, dtype), jnp.asarray(case.weights_oihw, dtype)

    def loss(f):
        return lambda x, w: 0.5 * jnp.sum(f(x, w, stride=case.stride, pad=case.pad) ** 2)

    g_hand = jax.grad(loss(C.conv2d), argnums=(0, 1))(x, w)
    g_ref = jax.grad(loss(C.conv2d_lax), argnums=(0, 1))(x, w)
    return {"case": case.name, "image_grad_max_abs_diff": _max_diff(g_hand[0], g_ref[0]),
            "weights_grad_max_abs_diff": _max_diff(g_hand[1], g_ref[1]),
            "weights_grad_max_abs": float(jnp.max(jnp.abs(g_ref[1])))}


def agreement_grid(c: Config, dtype) -> list[dict]:
    """Every fitting (stride, pad, dilation, kernel) of the config on a random (2, 3, 11, 9) batch with 4 kernels."""
    rng = np.random.default_rng(c.seed)
    x = jnp.asarray(rng.normal(size=GRID_BATCH), dtype)
    fits = set(_grid_configs(c))
    rows = []
    for k in c.kernel_sizes:
        w = jnp.asarray(rng.normal(size=(4, GRID_BATCH[1], k, k)), dtype)  # for every k, fitting or not: one stream
        for s in c.strides:
            for p in c.pads:
                for d in c.dilations:
                    if (k, s, p, d) not in fits:
                        continue  # the dilated kernel does not fit
                    hand = C.conv2d(x, w, stride=s, pad=p, dilation=d)
                    ref = C.conv2d_lax(x, w, stride=s, pad=p, dilation=d)
                    rows.append({"kernel": k, "stride": s, "pad": p, "dilation": d, "output_shape": tuple(hand.shape),
                                 "shapes_equal": hand.shape == ref.shape, "max_abs_diff": _max_diff(hand, ref)})
    return rows


def timing(c: Config, dtype) -> dict:
    """Seconds per call (compiled, best of 5) for a (batch, 16, 32, 32) batch with 32 3x3 kernels, pad 1."""
    rng = np.random.default_rng(c.seed + 1)
    x = jnp.asarray(rng.normal(size=(c.timing_batch, 16, 32, 32)), dtype)
    w = jnp.asarray(rng.normal(size=(32, 16, 3, 3)), dtype)
    out = {}
    for name, f in (("hand_written", C.conv2d), ("lax", C.conv2d_lax)):
        out[f"{name}_s"] = best_of(lambda: f(x, w, pad=1), k=5)  # noqa: B023 (called at once)
    out["shape"] = tuple(x.shape)
    out["hand_over_lax"] = out["hand_written_s"] / out["lax_s"]
    return out


def run(c: Config, out_dir, progress: bool = True) -> dict:
    dtype = DTYPES[c.dtype]
    with precision(dtype):  # float32 keeps a caller's x64 on: the arrays are cast to dtype
        cases = notebook_cases(c, dtype)
        grads = gradient_check(c, dtype)
        grid = agreement_grid(c, dtype)
        image = jnp.asarray(C.demo_image(c.demo_size), dtype)[None, None]
        kernels = jnp.asarray(np.array(list(C.FILTERS.values()), np.float64)[:, None], dtype)
        bank = C.conv2d(image, kernels, pad=1)
        bank_diff = _max_diff(bank, C.conv2d_lax(image, kernels, pad=1))
        times = timing(c, dtype) if c.timing_batch else None

    with np.printoptions(precision=3, floatmode="fixed"):
        for r in cases:
            print(f"Case {r['name']}: image {r['image_shape']}, weights {r['weights_shape']}, stride {r['stride']}, "
                  f"pad {r['pad']} -> output {r['output_shape']}")
            if c.print_arrays:
                print("lax.conv_general_dilated results (the notebook's PyTorch results)")
                print(r["reference"])
                print("jdl.studies.udlbook.conv2d.conv2d results (the notebook's 'Your results')")
                print(r["output"])
            print(f"  max |jdl - lax| = {r['max_abs_diff']:.3g}")
    print(f"Gradients ({grads['case']}): max |d image| difference {grads['image_grad_max_abs_diff']:.3g}, "
          f"max |d weights| difference {grads['weights_grad_max_abs_diff']:.3g}")
    grid_max = max(r["max_abs_diff"] for r in grid)
    print(f"Agreement grid: {len(grid)} (kernel, stride, pad, dilation) configurations, all shapes equal: "
          f"{all(r['shapes_equal'] for r in grid)}, max |jdl - lax| = {grid_max:.3g}")
    print(f"Filter bank on a {c.demo_size}x{c.demo_size} image: {len(C.FILTERS)} kernels, max |jdl - lax| = "
          f"{bank_diff:.3g}")
    if times:
        print(f"Timing {times['shape']} x 32 kernels: hand-written {1e3 * times['hand_written_s']:.2f} ms, "
              f"lax {1e3 * times['lax_s']:.2f} ms ({times['hand_over_lax']:.1f}x)")

    for i, r in enumerate(cases, 1):
        x = C.udlbook_cases(c.seed)[i - 1]
        plotting.save(P.conv_wiring(x.image_bchw[0], x.weights_oihw, r["output"][0],
                                    title=f"Convolution I, case {r['name']} (stride {r['stride']}, pad {r['pad']}; "
                                          f"image 0 of {r['image_shape'][0]})"), out_dir / f"case_{i}.png")
    plotting.save(P.filter_bank(np.asarray(image[0, 0]), np.asarray(kernels[:, 0]), np.asarray(bank[0]),
                                list(C.FILTERS), title="jdl.studies.udlbook.conv2d.conv2d, pad 1: a bank of 3x3 kernels"),
                  out_dir / "filter_bank.png")
    save_npz(out_dir / "cases.npz", **{f"case_{i}_{k}": r[k] for i, r in enumerate(cases, 1)
                                       for k in ("output", "reference")})

    summary = [{k: v for k, v in r.items() if k != "reference"} for r in cases]
    return {"cases": summary, "max_abs_diff": max(r["max_abs_diff"] for r in cases), "gradients": grads,
            "grid": grid, "grid_max_abs_diff": grid_max, "grid_configs": len(grid),
            "filter_bank": {"names": list(C.FILTERS), "max_abs_diff": bank_diff, "image_size": c.demo_size},
            "timing": times}


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
