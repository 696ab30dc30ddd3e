"""Test set-up: CPU only, strict dtype promotion, a fresh key per test."""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import jax  # noqa: E402
import pytest  # noqa: E402

# Mixed float32/float64 arithmetic must be explicit in jdl (implicit promotion hides precision bugs).
jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def key(request):
    """A key derived from the test's name: fresh per test, reproducible across runs."""
    return jax.random.key(abs(hash(request.node.name)) % (2**31))
