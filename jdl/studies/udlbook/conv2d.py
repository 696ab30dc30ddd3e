"""2-D convolution written out by hand (udlbook CM20315 Convolution I; Prince 2023, sec. 10.2).

The notebook's loops, for images ``(batch, channels_in, height, width)`` and weights
``(channels_out, channels_in, kernel_height, kernel_width)`` (PyTorch's NCHW / OIHW layout)::

    out[b, o, y, x] = sum_{c, i, j} padded[b, c, y * stride + i * dilation, x * stride + j * dilation] * w[o, c, i, j]

a cross-correlation (the kernel is not flipped), as in PyTorch's ``conv2d`` and every deep-learning
library. Here the loops over output positions and kernel offsets become one gather of the image
*patches* (``(C, kH, kW, H_out, W_out)`` per image, :func:`patches`) and the sums over channels
and offsets one ``einsum``; the batch axis is a ``vmap`` of the one-image function. The output
size is ``floor((H + 2 pad - dilation (kH - 1) - 1) / stride) + 1`` (:func:`output_size`, the
notebook's ``floor(1 + (H_padded - kH) / stride)`` when ``dilation = 1``).

:func:`conv2d_lax` is the same operation by ``jax.lax.conv_general_dilated``, the reference the
tests and ``experiments.udl_convolution`` check :func:`conv2d` against (the notebook checks its
loops against ``torch.nn.functional.conv2d``).

References:
  Prince, "Understanding Deep Learning" (2023), ch. 10; Dumoulin & Visin, "A guide to convolution
  arithmetic for deep learning" (arXiv:1603.07285).
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

Array = jax.Array

__all__ = ["Case", "UDL_CASES", "udlbook_case", "udlbook_cases", "output_size", "patches", "conv2d", "conv2d_lax",
           "demo_image", "FILTERS"]

_HIGHEST = lax.Precision.HIGHEST  # no reduced-precision (TF32 / bf16) passes on accelerators


def _pair(v, name: str, minimum: int) -> tuple[int, int]:
    h, w = (v, v) if np.ndim(v) == 0 else tuple(v)
    if int(h) != h or int(w) != w or min(h, w) < minimum:
        raise ValueError(f"{name}: need integers >= {minimum} (one, or a (height, width) pair), got {v!r}")
    return int(h), int(w)


def output_size(size: int, kernel: int, *, stride: int = 1, pad: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis.

    >>> output_size(12, 3, stride=2, pad=1), output_size(6, 3, pad=1), output_size(6, 3, dilation=2)
    (6, 6, 2)
    """
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def patches(image_chw: Array, kernel_hw: tuple[int, int], *, stride=1, dilation=1) -> Array:
    """The image patch under every kernel position of one (already padded) image.

    Args:
      image_chw: ``(C, H, W)`` one image.
      kernel_hw: ``(kH, kW)`` kernel size.
      stride, dilation: an int or a ``(height, width)`` pair.

    Returns:
      ``(C, kH, kW, H_out, W_out)``: entry ``[c, i, j, y, x]`` is the pixel that kernel tap
      ``(i, j)`` of channel ``c`` multiplies at output position ``(y, x)``.

    >>> patches(jnp.arange(9.0).reshape(1, 3, 3), (2, 2))[0, :, :, 1, 0].tolist()
    [[3.0, 4.0], [6.0, 7.0]]
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_hw, _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    _, h, w = image_chw.shape
    ho, wo = output_size(h, kh, stride=sh, dilation=dh), output_size(w, kw, stride=sw, dilation=dw)
    if ho < 1 or wo < 1:
        raise ValueError(f"kernel_hw: the (dilated) kernel {kernel_hw} does not fit the image {(h, w)}")
    rows_ky = jnp.arange(kh)[:, None] * dh + jnp.arange(ho)[None, :] * sh  # (kH, H_out) image rows
    cols_kx = jnp.arange(kw)[:, None] * dw + jnp.arange(wo)[None, :] * sw  # (kW, W_out) image columns
    return image_chw[:, rows_ky[:, None, :, None], cols_kx[None, :, None, :]]


@partial(jax.jit, static_argnames=("stride", "pad", "dilation"))
def conv2d(image_bchw: Array, weights_oihw: Array, *, stride=1, pad=0, dilation=1) -> Array:
    """Hand-written 2-D convolution (cross-correlation) with stride, zero padding, dilation, channels and batch.

    The notebook's ``conv_numpy_4`` without its seven loops: zero-pad, gather the patches
    (:func:`patches`), contract channels and kernel taps with the weights (``einsum``); written for
    one image and ``vmap``-ped over the batch.

    Args:
      image_bchw: ``(B, C_in, H, W)`` images.
      weights_oihw: ``(C_out, C_in, kH, kW)`` kernels.
      stride, pad, dilation: ints or ``(height, width)`` pairs (static); ``pad`` zeros on each side.

    Returns:
      ``(B, C_out, H_out, W_out)``, ``H_out = output_size(H, kH, stride=, pad=, dilation=)``.

    >>> image = jnp.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(image, jnp.ones((1, 1, 2, 2)), stride=2)[0, 0].tolist()  # sums of 2 x 2 blocks
    [[10.0, 18.0], [42.0, 50.0]]
    """
    if image_bchw.ndim != 4 or weights_oihw.ndim != 4 or image_bchw.shape[1] != weights_oihw.shape[1]:
        raise ValueError(f"image_bchw, weights_oihw: need (B, C, H, W) and (O, C, kH, kW), got "
                         f"{image_bchw.shape} and {weights_oihw.shape}")
    ph, pw = _pair(pad, "pad", 0)

    def one_image(image_chw):
        padded = jnp.pad(image_chw, ((0, 0), (ph, ph), (pw, pw)))
        p_cijyx = patches(padded, weights_oihw.shape[2:], stride=stride, dilation=dilation)
        return jnp.einsum("cijyx,ocij->oyx", p_cijyx, weights_oihw, precision=_HIGHEST)

    return jax.vmap(one_image)(image_bchw)


@partial(jax.jit, static_argnames=("stride", "pad", "dilation"))
def conv2d_lax(image_bchw: Array, weights_oihw: Array, *, stride=1, pad=0, dilation=1) -> Array:
    """:func:`conv2d` by ``jax.lax.conv_general_dilated`` (NCHW / OIHW / NCHW): the reference.

    >>> x, w = jnp.ones((2, 3, 5, 5)), jnp.ones((4, 3, 3, 3))
    >>> conv2d_lax(x, w, pad=1).shape, float(conv2d_lax(x, w, pad=1)[0, 0, 2, 2])
    ((2, 4, 5, 5), 27.0)
    """
    ph, pw = _pair(pad, "pad", 0)
    return lax.conv_general_dilated(image_bchw, weights_oihw, window_strides=_pair(stride, "stride", 1),
                                    padding=[(ph, ph), (pw, pw)], rhs_dilation=_pair(dilation, "dilation", 1),
                                    dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=_HIGHEST)


class Case(NamedTuple):
    """One of the notebook's test convolutions."""

    name: str
    image_bchw: np.ndarray
    weights_oihw: np.ndarray
    stride: int
    pad: int


#: the notebook's four cases: (batch, channels_in, height, width, channels_out, kernel, stride, pad)
UDL_CASES = {
    "1: one channel": (1, 1, 4, 6, 1, 3, 1, 1),
    "2: stride 2": (1, 1, 12, 10, 1, 3, 2, 1),
    "3: 5 channels in, 2 out": (1, 5, 4, 6, 2, 3, 1, 1),
    "4: batch of 2": (2, 5, 4, 6, 2, 3, 1, 1),
}


def udlbook_case(name: str, seed: int = 1) -> Case:
    """One notebook case as the notebook draws it: ``np.random.seed(1)``, then the image, then the weights.

    Float64 standard normals from NumPy's legacy MT19937 stream (``np.random.RandomState(seed)``,
    NumPy's global state untouched), reseeded for every case as the notebook does.

    >>> c = udlbook_case("2: stride 2")
    >>> c.image_bchw.shape, c.weights_oihw.shape, c.stride, c.pad
    ((1, 1, 12, 10), (1, 1, 3, 3), 2, 1)
    """
    if name not in UDL_CASES:
        raise ValueError(f"name: unknown case {name!r}; expected one of {list(UDL_CASES)}")
    b, c_in, h, w, c_out, k, stride, pad = UDL_CASES[name]
    rng = np.random.RandomState(seed)
    image = rng.normal(size=(b, c_in, h, w))
    weights = rng.normal(size=(c_out, c_in, k, k))
    return Case(name, image, weights, stride, pad)


def udlbook_cases(seed: int = 1) -> list[Case]:
    """The notebook's four cases in order (:func:`udlbook_case`).

    >>> [c.image_bchw.shape[:2] for c in udlbook_cases()]
    [(1, 1), (1, 1), (1, 5), (2, 5)]
    """
    return [udlbook_case(name, seed) for name in UDL_CASES]


def demo_image(size: int = 48) -> np.ndarray:
    """A ``(size, size)`` grey test image: a bright disc, a dark square and a diagonal ramp, in ``[0, 1]``.

    Edges in every direction and flat regions, for showing what kernels do.

    >>> demo_image(32).shape, float(demo_image(32).max()) <= 1.0
    ((32, 32), True)
    """
    y, x = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    image = 0.4 * (x + y) / 2
    image = np.where((x - 0.33) ** 2 + (y - 0.35) ** 2 < 0.2 ** 2, 1.0, image)
    image = np.where((np.abs(x - 0.7) < 0.14) & (np.abs(y - 0.68) < 0.14), 0.0, image)
    return image


#: classic 3 x 3 kernels for a filter-bank illustration (cross-correlation orientation)
FILTERS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "Sobel x (d/dx)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y (d/dy)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}
