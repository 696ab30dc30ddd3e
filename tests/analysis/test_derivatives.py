"""jdl.analysis.derivatives: finite differences against NumPy and jax.grad, on pytrees, and their error curve."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.analysis import derivatives as FD


def f(p):
    return jnp.sum(jnp.sin(p["a"]) * p["b"][0]) + jnp.sum(p["a"] ** 3)


def test_central_and_forward_differences_match_a_numpy_loop():
    with jax.enable_x64(True):
        p = {"a": jnp.array([0.3, -1.2, 2.0]), "b": jnp.array([1.5])}
        for scheme in ("central", "forward"):
            g = FD.finite_differences(f, p, 1e-5, scheme)
            chex.assert_trees_all_equal_shapes(g, p)
            ref = {}
            for k in p:  # the coordinate loop a notebook writes
                v = np.asarray(p[k], np.float64)
                out = np.zeros_like(v)
                for i in range(v.size):
                    up, dn = dict(p), dict(p)
                    e = np.zeros_like(v); e[i] = 1e-5
                    up[k], dn[k] = jnp.asarray(v + e), jnp.asarray(v - e)
                    out[i] = (f(up) - f(dn)) / 2e-5 if scheme == "central" else (f(up) - f(p)) / 1e-5
                ref[k] = out
            chex.assert_trees_all_close(g, ref, rtol=1e-9, atol=1e-9)
            chex.assert_trees_all_close(g, jax.grad(f)(p), rtol=1e-4 if scheme == "forward" else 1e-8)


def test_error_curve_truncation_then_round_off_and_jit():
    with jax.enable_x64(True):
        p = {"a": jnp.array([0.3, -1.2]), "b": jnp.array([2.0])}
        eps = jnp.logspace(-1, -13, 13)
        err = np.asarray(jax.jit(lambda e: FD.fd_error(f, p, e))(eps))
        # jit equals no-jit where truncation dominates (round-off digits may fuse differently)
        np.testing.assert_allclose(err[:4], np.asarray(FD.fd_error(f, p, eps))[:4], rtol=1e-6)
        best = int(np.argmin(err))
        assert 0 < best < len(eps) - 1  # falls (truncation) and then rises (round-off)
        assert err[best] < 1e-8 and err[0] > 1e-4 and err[-1] > err[best]
    with pytest.raises(ValueError, match="scheme"):
        FD.finite_differences(f, p, 1e-3, "backward")
