"""jdl.precision: float64 enables x64 for a block only, float32 never turns it off."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.precision import precision


def x64() -> bool:
    return bool(jax.config.jax_enable_x64)


@pytest.mark.parametrize("dtype", [jnp.float64, "float64", np.float64, np.dtype("float64")])
def test_float64_enables_x64_for_the_block_only(dtype):
    before = x64()
    with precision(dtype):
        assert x64()
        assert jnp.zeros(3).dtype == jnp.float64
        assert jnp.asarray(1.5, jnp.float64).dtype == jnp.float64
    assert x64() == before


@pytest.mark.parametrize("dtype", [jnp.float32, "float32", np.float32, np.dtype("float32")])
def test_float32_leaves_x64_as_it_was(dtype):
    before = x64()
    with precision(dtype):
        assert x64() == before
        assert jnp.asarray(np.ones(2), dtype).dtype == jnp.float32
    assert x64() == before


def test_float32_inside_an_x64_block_keeps_x64_on():
    with jax.enable_x64(True):
        outer = jnp.asarray(np.ones(2))
        with precision(jnp.float32):
            assert x64()
            inner = jnp.asarray(np.ones(2), jnp.float32)
            assert jnp.asarray(np.ones(2)).dtype == jnp.float64  # the caller's float64 arrays stay float64
        assert x64()
    assert outer.dtype == jnp.float64 and inner.dtype == jnp.float32


def test_nesting_restores_each_level():
    before = x64()
    with precision("float32"):
        with precision("float64"):
            assert x64()
            with precision("float32"):
                assert x64()
                with precision("float64"):
                    assert x64()
                assert x64()
            assert x64()
        assert x64() == before
    assert x64() == before


def test_exception_restores_the_state():
    before = x64()
    with pytest.raises(RuntimeError, match="boom"), precision(jnp.float64):
        assert x64()
        raise RuntimeError("boom")
    assert x64() == before
    with jax.enable_x64(True):
        with pytest.raises(RuntimeError), precision(jnp.float64):
            raise RuntimeError("boom")
        assert x64()
    assert x64() == before


def test_x64_off_outside_and_on_inside_a_jit():
    @jax.jit
    def f(x):
        return x * 2

    with precision(jnp.float64):
        y = f(jnp.asarray(np.ones(2)))
    assert y.dtype == jnp.float64
    assert f(jnp.asarray(np.ones(2), jnp.float32)).dtype == jnp.float32


@pytest.mark.parametrize("bad", ["float16", "int32", jnp.bfloat16, jnp.complex64, None, True, "floaty", 3])
def test_other_dtypes_are_a_clear_error(bad):
    with pytest.raises(ValueError, match="precision: expected float32 or float64"):
        precision(bad)
