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

import jax.numpy as jnp
import numpy as np

from experiments import _cli
from jdl import plotting
from jdl.io import save_npz
from jdl.studies.udlbook import convolution_runs as CR
from jdl.studies.udlbook import plots_geometry as P

NAME = "udl_convolution"
DTYPES = {"float32": jnp.float32, "float64": jnp.float64}
GRID_BATCH = CR.GRID_BATCH  # the agreement grid's random batch (B, C, H, W), convolved with 4 kernels


def _grid_configs(c: Config) -> list[tuple[int, int, int, int]]:
    """The (kernel, stride, pad, dilation) configurations of the grid whose dilated kernel fits the padded batch."""
    return CR.grid_configs(c.kernel_sizes, c.strides, c.pads, c.dilations)


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


def run(c: Config, out_dir, progress: bool = True) -> dict:
    del progress  # a few small compiled calls
    res = CR.run_all(seed=c.seed, dtype=DTYPES[c.dtype], strides=c.strides, pads=c.pads, dilations=c.dilations,
                     kernel_sizes=c.kernel_sizes, demo_size=c.demo_size, timing_batch=c.timing_batch)
    _print(res, c)
    _figures(res, out_dir)
    save_npz(out_dir / "cases.npz", **res["arrays"]["cases"])
    return res["metrics"]


def _print(res, c: Config) -> None:
    m = res["metrics"]
    grads, grid, times = m["gradients"], m["grid"], m["timing"]
    with np.printoptions(precision=3, floatmode="fixed"):
        for r in res["cases"]:
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
    print(f"Agreement grid: {len(grid)} (kernel, stride, pad, dilation) configurations, all shapes equal: "
          f"{all(r['shapes_equal'] for r in grid)}, max |jdl - lax| = {m['grid_max_abs_diff']:.3g}")
    print(f"Filter bank on a {c.demo_size}x{c.demo_size} image: {len(m['filter_bank']['names'])} kernels, "
          f"max |jdl - lax| = {m['filter_bank']['max_abs_diff']:.3g}")
    if times:
        print(f"Timing {times['shape']} x 32 kernels: hand-written {1e3 * times['hand_written_s']:.2f} ms, "
              f"lax {1e3 * times['lax_s']:.2f} ms ({times['hand_over_lax']:.1f}x)")


def _figures(res, out_dir) -> None:
    for i, (r, (image_bchw, weights_oihw)) in enumerate(zip(res["cases"], res["inputs"]), 1):
        plotting.save(P.conv_wiring(image_bchw[0], weights_oihw, r["output"][0],
                                    title=f"Convolution I, case {r['name']} (stride {r['stride']}, pad {r['pad']}; "
                                          f"image 0 of {r['image_shape'][0]})"), out_dir / f"case_{i}.png")
    fb = res["filter_bank"]
    plotting.save(P.filter_bank(fb["image_hw"], fb["kernels_khw"], fb["bank_khw"], res["metrics"]["filter_bank"]["names"],
                                title="jdl.studies.udlbook.conv2d.conv2d, pad 1: a bank of 3x3 kernels"),
                  out_dir / "filter_bank.png")


def main(argv=None):
    return _cli.main(NAME, __doc__, get_config, run, argv)


if __name__ == "__main__":
    main()
