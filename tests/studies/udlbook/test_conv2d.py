"""jdl.studies.udlbook.conv2d: the notebook's loops (Convolution I) as a NumPy reference, lax.conv_general_dilated, jit, science."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.studies.udlbook import conv2d as C


# --- the notebook's conv_numpy_4 with its TODO filled in (the pixel and weight each loop multiplies), plus the
# dilation that the notebook leaves out; the notebook accumulates into a float32 array, kept as the default
def nb_conv(image, weights, stride=1, pad=1, dilation=1, out_dtype=np.float32):
    if pad != 0:
        image = np.pad(image, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    batchSize, channelsIn, imageHeightIn, imageWidthIn = image.shape
    channelsOut, channelsIn, kernelHeight, kernelWidth = weights.shape
    imageHeightOut = np.floor(1 + (imageHeightIn - dilation * (kernelHeight - 1) - 1) / stride).astype(int)
    imageWidthOut = np.floor(1 + (imageWidthIn - dilation * (kernelWidth - 1) - 1) / stride).astype(int)
    out = np.zeros((batchSize, channelsOut, imageHeightOut, imageWidthOut), dtype=out_dtype)
    for c_batch in range(batchSize):
        for c_y in range(imageHeightOut):
            for c_x in range(imageWidthOut):
                for c_channel_out in range(channelsOut):
                    for c_channel_in in range(channelsIn):
                        for c_kernel_y in range(kernelHeight):
                            for c_kernel_x in range(kernelWidth):
                                this_pixel_value = image[c_batch, c_channel_in, c_y * stride + c_kernel_y * dilation,
                                                         c_x * stride + c_kernel_x * dilation]
                                this_weight = weights[c_channel_out, c_channel_in, c_kernel_y, c_kernel_x]
                                out[c_batch, c_channel_out, c_y, c_x] += np.sum(this_pixel_value * this_weight)
    return out


NB_SIZES = [  # the notebook's four cells: n_batch, image_height, image_width, channels_in, kernel_size, channels_out
    (1, 4, 6, 1, 3, 1), (1, 12, 10, 1, 3, 1), (1, 4, 6, 5, 3, 2), (2, 4, 6, 5, 3, 2)]


def test_cases_are_the_notebooks_draws():
    # the notebook's own cells: np.random.seed(1), then the image, then the weights (global legacy stream)
    for case, (n_batch, h, w, c_in, k, c_out) in zip(C.udlbook_cases(), NB_SIZES):
        np.random.seed(1)
        input_image = np.random.normal(size=(n_batch, c_in, h, w))
        conv_weights = np.random.normal(size=(c_out, c_in, k, k))
        np.testing.assert_array_equal(case.image_bchw, input_image)
        np.testing.assert_array_equal(case.weights_oihw, conv_weights)
    assert [(c.stride, c.pad) for c in C.udlbook_cases()] == [(1, 1), (2, 1), (1, 1), (1, 1)]
    with pytest.raises(ValueError, match="name:"):
        C.udlbook_case("5: no such case")


@pytest.mark.parametrize("i", range(4))
def test_notebook_cases_match_the_loops_and_lax(i):
    case = C.udlbook_cases()[i]
    expect_shape = [(1, 1, 4, 6), (1, 1, 6, 5), (1, 2, 4, 6), (2, 2, 4, 6)][i]
    loops32 = nb_conv(case.image_bchw, case.weights_oihw, case.stride, case.pad)  # as the notebook prints it
    loops64 = nb_conv(case.image_bchw, case.weights_oihw, case.stride, case.pad, out_dtype=np.float64)
    with jax.enable_x64(True):
        x, w = jnp.asarray(case.image_bchw), jnp.asarray(case.weights_oihw)
        got = C.conv2d(x, w, stride=case.stride, pad=case.pad)
        ref = C.conv2d_lax(x, w, stride=case.stride, pad=case.pad)
        chex.assert_shape([got, ref], expect_shape)
        assert got.dtype == jnp.float64
        np.testing.assert_allclose(got, loops64, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got, loops32, rtol=0, atol=2e-5)  # the notebook's float32 accumulator
    # float32 (jdl's default precision): agrees to float32 rounding
    got32 = C.conv2d(jnp.asarray(case.image_bchw, jnp.float32), jnp.asarray(case.weights_oihw, jnp.float32),
                     stride=case.stride, pad=case.pad)
    assert got32.dtype == jnp.float32
    np.testing.assert_allclose(got32, loops64, rtol=0, atol=1e-4)


@pytest.mark.parametrize("k,stride,pad,dilation", [(1, 1, 0, 1), (3, 2, 0, 2), (5, 3, 2, 1), (2, 2, 1, 3)])
def test_stride_pad_dilation_grid_matches_loops_and_lax(k, stride, pad, dilation):
    rng = np.random.default_rng(k * 100 + stride * 10 + pad + dilation)
    x, w = rng.normal(size=(2, 3, 11, 9)), rng.normal(size=(4, 3, k, k))
    with jax.enable_x64(True):
        got = C.conv2d(jnp.asarray(x), jnp.asarray(w), stride=stride, pad=pad, dilation=dilation)
        ref = C.conv2d_lax(jnp.asarray(x), jnp.asarray(w), stride=stride, pad=pad, dilation=dilation)
    ho = C.output_size(11, k, stride=stride, pad=pad, dilation=dilation)
    wo = C.output_size(9, k, stride=stride, pad=pad, dilation=dilation)
    chex.assert_shape([got, ref], (2, 4, ho, wo))
    np.testing.assert_allclose(got, nb_conv(x, w, stride, pad, dilation, np.float64), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_rectangular_kernels_and_per_axis_settings():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(1, 2, 9, 12)).astype(np.float32), rng.normal(size=(3, 2, 2, 4)).astype(np.float32)
    got = C.conv2d(x, w, stride=(1, 2), pad=(0, 2), dilation=(2, 1))
    ref = C.conv2d_lax(x, w, stride=(1, 2), pad=(0, 2), dilation=(2, 1))
    chex.assert_shape([got, ref], (1, 3, 7, 7))  # height (9 - 2 - 1) / 1 + 1, width (12 + 4 - 3 - 1) / 2 + 1
    np.testing.assert_allclose(got, ref, atol=1e-5)
    assert np.all(np.isfinite(got))


def test_output_size_is_the_notebooks_formula():
    for h in range(3, 14):
        for k in (1, 3, 5):
            for s in (1, 2, 3):
                for p in (0, 1, 2):
                    if h + 2 * p >= k:  # the notebook: floor(1 + (padded height - kernel) / stride)
                        assert C.output_size(h, k, stride=s, pad=p) == int(np.floor(1 + (h + 2 * p - k) / s))


def test_patches_are_what_each_kernel_tap_sees():
    img = np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)
    p = C.patches(jnp.asarray(img), (2, 3), stride=(2, 1), dilation=(1, 2))
    chex.assert_shape(p, (2, 2, 3, 2, 2))
    p = np.asarray(p)
    for c, i, j, y, x in np.ndindex(p.shape):
        assert p[c, i, j, y, x] == img[c, 2 * y + i, x + 2 * j]
    with pytest.raises(ValueError, match="kernel_hw"):
        C.patches(img, (6, 3))


def test_jit_equals_no_jit_and_one_compile_per_shape():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 6, 6)).astype(np.float32), rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    jitted = C.conv2d(x, w, stride=2, pad=1)
    with jax.disable_jit():
        eager = C.conv2d(x, w, stride=2, pad=1)
    np.testing.assert_allclose(jitted, eager, atol=1e-5)
    f = jax.jit(chex.assert_max_traces(lambda x, w: C.conv2d(x, w, pad=1), n=1))
    f(x, w)
    f(2 * x, w - 1)  # new values, same program


def test_linear_translation_equivariant_and_batch_independent():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(2, 2, 3, 10, 10)).astype(np.float32)
    w = rng.normal(size=(2, 3, 3, 3)).astype(np.float32)
    conv = lambda x: np.asarray(C.conv2d(x, w, pad=0))  # noqa: E731
    np.testing.assert_allclose(conv(2 * x - 3 * y), 2 * conv(x) - 3 * conv(y), atol=1e-4)  # linear in the image
    # shifting the image by (1, 2) pixels shifts the (valid) output by (1, 2)
    shifted = np.roll(x, (1, 2), axis=(2, 3))
    np.testing.assert_allclose(conv(shifted)[:, :, 1:, 2:], conv(x)[:, :, :-1, :-2], atol=1e-5)
    # an image's output does not depend on the rest of the batch
    np.testing.assert_allclose(conv(x)[1:], conv(x[1:]), atol=1e-6)


def test_gradients_match_lax():
    case = C.udlbook_cases()[3]
    with jax.enable_x64(True):
        x, w = jnp.asarray(case.image_bchw), jnp.asarray(case.weights_oihw)

        def loss(f):
            return lambda x, w: 0.5 * jnp.sum(f(x, w, pad=1) ** 2)

        g = jax.grad(loss(C.conv2d), argnums=(0, 1))(x, w)
        g_ref = jax.grad(loss(C.conv2d_lax), argnums=(0, 1))(x, w)
    chex.assert_trees_all_close(g, g_ref, atol=1e-11)
    chex.assert_shape(g, [x.shape, w.shape])


def test_bad_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match="image_bchw, weights_oihw"):
        C.conv2d(jnp.ones((1, 2, 5, 5)), jnp.ones((1, 3, 3, 3)))
    with pytest.raises(ValueError, match="stride"):
        C.conv2d(jnp.ones((1, 2, 5, 5)), jnp.ones((1, 2, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="pad"):
        C.conv2d_lax(jnp.ones((1, 2, 5, 5)), jnp.ones((1, 2, 3, 3)), pad=-1)


def test_filters_do_what_their_names_say():
    img = jnp.asarray(C.demo_image(24), jnp.float32)[None, None]
    k = jnp.asarray(np.array(list(C.FILTERS.values()), np.float32)[:, None])
    out = np.asarray(C.conv2d(img, k, pad=1))[0]
    names = list(C.FILTERS)
    np.testing.assert_allclose(out[names.index("identity")], img[0, 0], atol=1e-6)
    ramp = jnp.tile(jnp.arange(8.0)[None, :], (8, 1))[None, None]  # brightness grows by 1 per column
    sobel = np.asarray(C.conv2d(ramp, k, pad=0))[0]
    np.testing.assert_allclose(sobel[names.index("Sobel x (d/dx)")], 8.0)  # (1 + 2 + 1) x 2 columns
    np.testing.assert_allclose(sobel[names.index("Sobel y (d/dy)")], 0.0)
    np.testing.assert_allclose(sobel[names.index("Laplacian")], 0.0, atol=1e-5)  # a linear ramp has no curvature
