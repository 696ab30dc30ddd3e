"""jdl.analysis.spectra: effective rank and spectral entropy against NumPy, known values, NaN handling."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.analysis import spectra as SPEC


def numpy_entropy(a):
    s = np.linalg.svd(np.asarray(a, np.float64), compute_uv=False)
    p = s[s > 0] / s.sum()
    return -np.sum(p * np.log(p))


def test_matches_numpy_reference_batched(key):
    a = jax.random.normal(key, (5, 7, 4)) * jnp.arange(1.0, 5.0)  # columns of different scales
    s = SPEC.spectrum(a)
    chex.assert_shape(s, (5, 4))
    chex.assert_shape(SPEC.spectral_entropy(s), (5,))
    ref = np.array([numpy_entropy(m) for m in np.asarray(a)])
    np.testing.assert_allclose(SPEC.spectral_entropy(s), ref, rtol=1e-5)
    np.testing.assert_allclose(SPEC.effective_rank(s), np.exp(ref), rtol=1e-5)
    np.testing.assert_allclose(SPEC.effective_rank_of(a), np.exp(ref), rtol=1e-5)
    # Gram spectrum = squared singular values = eigenvalues of a a^T
    gram = np.einsum("bij,bkj->bik", np.asarray(a, np.float64), np.asarray(a, np.float64))
    eig = np.sort(np.linalg.eigvalsh(gram), -1)[:, ::-1][:, :4]
    np.testing.assert_allclose(SPEC.spectrum(a, gram=True), eig, rtol=1e-4)
    # vmap over the batch gives the same as the batched call
    np.testing.assert_allclose(jax.vmap(SPEC.effective_rank_of)(a), SPEC.effective_rank_of(a), rtol=1e-6)


def test_known_values():
    assert float(SPEC.effective_rank_of(jnp.eye(6))) == pytest.approx(6.0, rel=1e-6)
    assert float(SPEC.spectral_entropy(SPEC.spectrum(jnp.eye(6)))) == pytest.approx(np.log(6), rel=1e-6)
    rank1 = jnp.outer(jnp.arange(1.0, 5.0), jnp.array([1.0, -2.0, 0.5]))
    assert float(SPEC.effective_rank_of(rank1)) == pytest.approx(1.0, abs=1e-5)
    assert float(SPEC.spectral_entropy(SPEC.spectrum(rank1))) == pytest.approx(0.0, abs=1e-5)
    # zero singular values are ignored: padding a spectrum with zeros changes nothing
    s = jnp.array([3.0, 2.0, 1.0])
    padded = jnp.concatenate([s, jnp.zeros(5)])
    assert float(SPEC.effective_rank(padded)) == pytest.approx(float(SPEC.effective_rank(s)), rel=1e-6)
    assert float(SPEC.effective_rank(jnp.array([1.0, 1.0, 0.0, 0.0]))) == pytest.approx(2.0, rel=1e-6)
    # the zero matrix has rank 0; a diverged (NaN) matrix is flagged, not counted
    assert float(SPEC.effective_rank_of(jnp.zeros((3, 3)))) == 0.0
    assert np.isnan(float(SPEC.effective_rank(jnp.array([1.0, jnp.nan]))))
    assert np.isnan(float(SPEC.spectral_entropy(jnp.array([jnp.inf, 1.0]))))


def test_gradient_is_finite_with_zero_singular_values():
    g = jax.grad(SPEC.spectral_entropy)(jnp.array([2.0, 1.0, 0.0]))
    assert np.all(np.isfinite(g))
