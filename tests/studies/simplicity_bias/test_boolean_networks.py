"""jdl.studies.simplicity_bias.networks and jdl.studies.simplicity_bias.frequencies: sampling, exact signs, on-device counting, resume, the science."""
import collections
import json
import os
import subprocess
import sys
import textwrap

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.studies.simplicity_bias import frequencies as S
from jdl.studies.simplicity_bias import networks as B
from jdl.studies.simplicity_bias.complexity import lz_complexity, unpack_bits

SMALL = B.NetSpec(n_inputs=4, hidden=(6, 5))


def test_hypercube_bit_order_and_coding():
    x = B.hypercube(3)
    chex.assert_shape(x, (8, 3))
    np.testing.assert_array_equal(x[6], [0, 1, 1])  # 6 = 0b110, least-significant bit first
    np.testing.assert_array_equal(B.hypercube(3, "pm1")[6], [-1, 1, 1])


@pytest.mark.parametrize("bad,field", [
    (dict(n_inputs=0), "n_inputs"), (dict(n_inputs=B.MAX_INPUTS + 1), "n_inputs"), (dict(hidden=(4, 0)), "hidden"),
    (dict(sigma_w=0.0), "sigma_w"), (dict(sigma_b=-1.0), "sigma_b"), (dict(bias="huge"), "bias"),
    (dict(distribution="cauchy"), "distribution"), (dict(inputs="012"), "inputs"), (dict(activation="nope"), "activation"),
])
def test_bad_spec_is_a_value_error_naming_the_field(bad, field):
    with pytest.raises(ValueError, match=field):
        B.NetSpec(**bad).validate()


def test_sample_params_shapes_and_scales(key):
    spec = B.NetSpec(n_inputs=5, hidden=(50,), sigma_w=2.0, sigma_b=0.5)
    params = B.sample_params(key, spec, 4000)
    (W1, b1), (W2, b2) = params
    chex.assert_shape([W1, b1, W2, b2], [(4000, 5, 50), (4000, 50), (4000, 50, 1), (4000, 1)])
    np.testing.assert_allclose(np.std(W1), 2.0 / np.sqrt(5), rtol=0.02)
    np.testing.assert_allclose(np.std(W2), 2.0 / np.sqrt(50), rtol=0.02)
    np.testing.assert_allclose(np.std(b1), 0.5, rtol=0.02)
    small = B.sample_params(key, dataclasses_replace(spec, bias="small"), 4000)
    np.testing.assert_allclose(np.std(small[1][1]), 0.5 / np.sqrt(50), rtol=0.05)
    uni = B.sample_params(key, dataclasses_replace(spec, distribution="uniform"), 4000)
    np.testing.assert_allclose(np.std(uni[0][0]), 2.0 / np.sqrt(5), rtol=0.02)
    assert np.abs(uni[0][0]).max() <= np.sqrt(3) * 2.0 / np.sqrt(5) + 1e-6
    assert all(b is None for _, b in B.sample_params(key, dataclasses_replace(spec, bias="none"), 3))


def dataclasses_replace(spec, **kw):
    import dataclasses

    return dataclasses.replace(spec, **kw)


def test_outputs_match_numpy_reference(key):
    params = B.sample_params(key, SMALL, 7)
    x = np.asarray(B.hypercube(4), np.float64)
    out = np.asarray(B.network_outputs(params, B.hypercube(4)))
    for m in range(7):  # one network at a time, float64, the textbook way
        h = x
        for layer, (W, b) in enumerate(params):
            h = h @ np.asarray(W[m], np.float64) + np.asarray(b[m], np.float64)
            if layer < len(params) - 1:
                h = np.maximum(h, 0)
        np.testing.assert_allclose(out[m], h[:, 0], rtol=1e-5, atol=1e-5)


def test_float32_signs_agree_with_float64(key):
    """The float32 path (explicit HIGHEST precision) gives the float64 truth table except where the
    float64 output is within float32 rounding of zero."""
    spec = B.NetSpec()
    params = B.sample_params(key, spec, 2000)
    out32 = np.asarray(B.network_outputs(params, B.hypercube(7)))
    with jax.enable_x64(True):
        p64 = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), params)
        out64 = np.asarray(B.network_outputs(p64, B.hypercube(7, dtype=jnp.float64)))
    assert out64.dtype == np.float64
    differ = (out32 > 0) != (out64 > 0)
    near_zero = np.abs(out64) < 1e-5 * (1 + np.abs(out64).max(axis=1, keepdims=True))
    assert not (differ & ~near_zero).any()
    assert differ.sum() <= 2, differ.sum()
    tables = B.truth_tables(key, spec, 2000)
    np.testing.assert_array_equal(tables, np.asarray(B.pack_bits(out64 > 0)))


def test_truth_tables_jit_equals_eager(key):
    eager = B.truth_tables(key, SMALL, 64)
    jitted = jax.jit(B.truth_tables, static_argnums=(1, 2))(key, SMALL, 64)
    chex.assert_shape(eager, (64, 1))
    assert eager.dtype == jnp.uint32
    np.testing.assert_array_equal(eager, jitted)


def test_count_unique_against_numpy():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 4, size=(500, 3)).astype(np.uint32)  # many duplicates
    keys[::7] = 0xFFFFFFFF  # all-ones rows must not be confused with padding
    counts = rng.integers(0, 3, size=500).astype(np.int32)  # 0 = padding, ignored
    got = jax.jit(B.count_unique)(jnp.asarray(keys), jnp.asarray(counts))
    ref = collections.Counter()
    for k, c in zip(map(tuple, keys), counts):
        if c:
            ref[k] += int(c)
    n = int(got.n_unique)
    assert n == len(ref)
    assert {tuple(k): int(c) for k, c in zip(np.asarray(got.keys[:n]), np.asarray(got.counts[:n]))} == ref
    assert not np.asarray(got.counts[n:]).any()


def test_merge_counts_host():
    a = (np.array([[1, 2], [3, 4]], np.uint32), np.array([5, 1]))
    b = (np.array([[3, 4], [0, 0]], np.uint32), np.array([2, 7]))
    keys, counts = B.merge_counts_host([a, b])
    assert dict(zip(map(tuple, keys), counts.tolist())) == {(1, 2): 5, (3, 4): 3, (0, 0): 7}
    assert counts.dtype == np.int64


def _sample(spec, n, **kw):
    kw = {"chunk": 64, "chunks_per_block": 2, "progress": False, **kw}
    return B.sample_functions(jax.random.key(3), spec, n, **kw)


def test_sample_functions_counts_everything_and_spills_exactly():
    big = _sample(SMALL, 2048, capacity=10_000)
    tiny = _sample(SMALL, 2048, capacity=256)  # forces many spills to the host
    assert big.n_sampled == 2048 and big.counts.sum() == 2048
    np.testing.assert_array_equal(big.keys, tiny.keys)
    np.testing.assert_array_equal(big.counts, tiny.counts)
    assert np.all(np.diff(big.counts) <= 0)  # most frequent first
    # the same networks as truth_tables of each chunk, counted by Python
    ref = collections.Counter()
    for c in range(2048 // 64):
        for row in np.asarray(B.truth_tables(jax.random.fold_in(jax.random.key(3), c), SMALL, 64)):
            ref[tuple(row)] += 1
    assert dict(zip(map(tuple, big.keys), big.counts.tolist())) == ref


def test_interrupted_run_resumes_to_identical_counts(tmp_path):
    whole = _sample(SMALL, 1024)
    _sample(SMALL, 512, checkpoint_dir=tmp_path, checkpoint_every=1)  # "interrupted" after half
    resumed = _sample(SMALL, 1024, checkpoint_dir=tmp_path, checkpoint_every=1)
    np.testing.assert_array_equal(whole.keys, resumed.keys)
    np.testing.assert_array_equal(whole.counts, resumed.counts)
    other = B.sample_functions(jax.random.key(4), SMALL, 1024, chunk=64, chunks_per_block=2, progress=False,
                               checkpoint_dir=tmp_path)  # another key: the checkpoint does not apply
    assert other.counts.sum() == 1024 and not np.array_equal(other.keys, whole.keys)


def test_bad_sampling_arguments():
    with pytest.raises(ValueError, match="n_networks"):
        _sample(SMALL, 0)
    with pytest.raises(ValueError, match="capacity"):
        _sample(SMALL, 256, capacity=100)


@pytest.mark.slow
def test_counts_identical_when_sharded_over_8_devices():
    code = textwrap.dedent("""
        import json, jax
        from jdl.studies.simplicity_bias import networks as B
        fc = B.sample_functions(jax.random.key(3), B.NetSpec(n_inputs=4, hidden=(6, 5)), 1024, chunk=64,
                                chunks_per_block=2, progress=False)
        assert jax.device_count() == 8
        print(json.dumps([fc.keys.tolist(), fc.counts.tolist()]))
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-2000:]
    keys, counts = json.loads(res.stdout.strip().splitlines()[-1])
    local = _sample(SMALL, 1024)
    np.testing.assert_array_equal(np.asarray(keys, np.uint32), local.keys)
    np.testing.assert_array_equal(counts, local.counts)


def _ones_chi2(spec, n_networks):
    fc = B.sample_functions(jax.random.key(0), spec, n_networks, chunk=4096, chunks_per_block=4, progress=False)
    ones = np.asarray(unpack_bits(jnp.asarray(fc.keys), spec.n_bits)).sum(1)
    hist = np.bincount(ones, weights=fc.counts, minlength=spec.n_bits + 1)
    expected = fc.n_sampled / spec.n_bits  # t = 0..2^n - 1 equally likely; t = 2^n impossible (f(0) = 0)
    return hist, float(((hist[:-1] - expected) ** 2 / expected).sum())


def test_bias_free_perceptron_gives_uniform_number_of_ones():
    """Mingard et al. 2019: a perceptron without bias on {0,1}^n, Gaussian weights, gives every number
    of ones t = 0..2^n - 1 probability 2^-n. chi2 with 31 degrees of freedom: P(chi2 > 70) ~ 1e-4."""
    spec = B.NetSpec(n_inputs=5, hidden=(), bias="none")
    hist, chi2 = _ones_chi2(spec, 65536)
    assert hist[-1] == 0
    assert chi2 < 70, chi2
    # a wrong sampler (a bias term) fails the same bound
    _, chi2_biased = _ones_chi2(dataclasses_replace(spec, bias="large"), 65536)
    assert chi2_biased > 200, chi2_biased


def test_simplicity_bias_frequent_functions_are_simple():
    """Valle-Pérez et al.: the most frequent functions are the simplest (constants first), and
    functions seen often have lower Lempel-Ziv complexity than those seen once."""
    fc = B.sample_functions(jax.random.key(0), B.NetSpec(), 32768, chunk=4096, chunks_per_block=4, progress=False)
    assert set(S.describe(fc.keys[:2], 7)) == {"0", "1"}
    K = np.asarray(lz_complexity(unpack_bits(jnp.asarray(fc.keys), 128)))
    frequent, once = K[fc.counts >= 5], K[fc.counts == 1]
    assert len(frequent) > 10 and len(once) > 100
    assert frequent.mean() < once.mean() - 10
    # P(f) spans orders of magnitude: the top function is >1000x a singleton
    assert fc.counts[0] > 1000 * fc.counts[-1]


def test_stats_helpers():
    c = np.round(5e5 / np.arange(1, 300) ** 1.5).astype(np.int64)
    assert abs(S.zipf_fit(c)["exponent"] - 1.5) < 0.01
    assert S.zipf_fit(np.array([5, 1]))["exponent"] is None
    names = S.describe(np.array([[0], [0xFFFF], [0xAAAA], [1 << 5], [0xFFFF ^ 1]], np.uint32), 4)
    assert names == ["0", "1", "x0", "x == 5", "OR(x)"]
    assert S.to_hex(np.array([[0xAAAA]], np.uint32)) == ["0x0000aaaa"]
    K = np.array([3.0, 3.0, 10.0, 20.0])
    h = S.complexity_histogram(K, np.array([50, 30, 15, 5]), 100, k_bins=4, p_bins=5)
    assert h["functions_per_bin"].sum() == 4
    np.testing.assert_allclose(h["probability_per_K_bin"].sum(), 1.0)
    m = S.measure_tables(np.array([[0], [0xFFFF], [0xAAAA]], np.uint32), 4, batch=2)
    np.testing.assert_array_equal(m["count_ones"], [0, 16, 8])
    np.testing.assert_array_equal(m["average_sensitivity"], [0, 0, 1])
