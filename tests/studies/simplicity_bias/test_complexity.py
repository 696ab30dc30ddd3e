"""Boolean-function measures against slow, obviously correct pure-Python references."""
import functools
import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.studies.simplicity_bias import complexity as bm

# --- pure-Python references (lists of 0/1 ints) ------------------------------------------------


def ref_lz76(s):
    """Kaspar & Schuster (1987), the common Python transcription, literally."""
    n = len(s)
    i, k, l = 0, 1, 1
    c, k_max = 1, 1
    while True:
        if s[i + k - 1] == s[l + k - 1]:
            k += 1
            if l + k > n:
                c += 1
                break
        else:
            if k > k_max:
                k_max = k
            i += 1
            if i == l:
                c += 1
                l += k_max
                if l + 1 > n:
                    break
                i = 0
                k = 1
                k_max = 1
            else:
                k = 1
    return c


def ref_lz_complexity(s):
    n = len(s)
    if all(b == 0 for b in s) or all(b == 1 for b in s):
        return math.log2(n)
    return math.log2(n) * (ref_lz76(s) + ref_lz76(s[::-1])) / 2


def ref_entropy(s):
    p = sum(s) / len(s)
    if p == 0 or p == 1:
        return 0.0
    return -p * math.log2(p) - (1 - p) * math.log2(1 - p)


def ref_average_sensitivity(s, n):
    total = 0
    for x in range(2**n):
        for j in range(n):
            if s[x] != s[x ^ (1 << j)]:
                total += 1
    return total / 2**n


def ref_csr(s, n):
    critical = 0
    for x in range(2**n):
        for j in range(n):
            if s[x] != s[x ^ (1 << j)]:
                critical += 1
                break
    return critical / 2**n


# --- truth tables ------------------------------------------------------------------------------


def random_tables(seed, batch, n):
    return np.random.default_rng(seed).integers(0, 2, size=(batch, 2**n), dtype=np.uint8)


def structured_tables(n):
    """Named truth tables on ``n`` inputs (LSB-first inputs: x_j(i) = (i >> j) & 1)."""
    i = np.arange(2**n)
    popcount = np.array([bin(v).count("1") for v in i])
    tables = {
        "zeros": np.zeros(2**n, np.uint8),
        "ones": np.ones(2**n, np.uint8),
        "one_point_0": (i == 0).astype(np.uint8),
        "one_point_last": (i == 2**n - 1).astype(np.uint8),
        "parity": (popcount % 2).astype(np.uint8),
    }
    if n >= 3:
        tables["one_point_mid"] = (i == 2 ** (n - 1) + 1).astype(np.uint8)
    if n % 2:
        tables["majority"] = (popcount > n // 2).astype(np.uint8)
    for j in sorted({j for j in (0, 1, n // 2, n - 1) if j < n}):
        tables[f"x_{j}"] = ((i >> j) & 1).astype(np.uint8)
    return tables


def check_all_measures(tables_BL, n):
    """Every measure of every row equals its pure-Python reference."""
    out = bm.measures(jnp.asarray(tables_BL), n)
    rows = [list(map(int, row)) for row in np.asarray(tables_BL)]
    np.testing.assert_array_equal(out["lz76_phrases"], [ref_lz76(r) for r in rows])
    np.testing.assert_allclose(out["lz_complexity"], [ref_lz_complexity(r) for r in rows], rtol=1e-6)
    np.testing.assert_array_equal(out["count_ones"], [sum(r) for r in rows])
    np.testing.assert_allclose(out["ones_entropy"], [ref_entropy(r) for r in rows], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out["average_sensitivity"], [ref_average_sensitivity(r, n) for r in rows],
                               rtol=1e-6)
    np.testing.assert_allclose(out["critical_sample_ratio"], [ref_csr(r, n) for r in rows], rtol=1e-6)


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch,n", [(200, 7), (50, 3), (50, 4), (4, 10)])
def test_random_tables_match_reference(batch, n):
    check_all_measures(random_tables(seed=100 + n, batch=batch, n=n), n)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10])
def test_structured_tables_match_reference(n):
    check_all_measures(np.stack(list(structured_tables(n).values())), n)


def test_lz76_exhaustive_short_strings():
    for length in [2, 3, 5, 8]:
        strings = [[(v >> t) & 1 for t in range(length)] for v in range(2**length)]
        got = bm.lz76_phrases(jnp.asarray(strings, dtype=jnp.uint8))
        np.testing.assert_array_equal(got, [ref_lz76(s) for s in strings])


def test_lz76_kaspar_schuster_example():
    s = [int(b) for b in "0001101001000101"]  # parsed as 0 . 001 . 10 . 100 . 1000 . 101
    assert ref_lz76(s) == 6
    assert int(bm.lz76_phrases(jnp.asarray(s, dtype=jnp.uint8))) == 6


def test_lz76_length_one_terminates():
    # The literal loop reads s[1] before its first test, so it cannot handle one symbol; jdl says 1.
    with pytest.raises(IndexError):
        ref_lz76([0])
    np.testing.assert_array_equal(bm.lz76_phrases(jnp.array([[0], [1]], dtype=jnp.uint8)), [1, 1])
    np.testing.assert_array_equal(bm.lz_complexity(jnp.array([[0], [1]], dtype=jnp.uint8)), [0.0, 0.0])


@pytest.mark.parametrize("n", [1, 3, 7, 10])
def test_known_values(n):
    t = structured_tables(n)
    m = {name: bm.measures(jnp.asarray(table), n) for name, table in t.items()}
    for name in ["zeros", "ones"]:
        np.testing.assert_allclose(m[name]["lz_complexity"], n)  # log2(2**n)
        for key in ["average_sensitivity", "critical_sample_ratio", "ones_entropy"]:
            assert float(m[name][key]) == 0.0, (name, key)
    np.testing.assert_allclose(m["parity"]["average_sensitivity"], n)
    np.testing.assert_allclose(m["parity"]["critical_sample_ratio"], 1.0)
    for name in [k for k in t if k.startswith("x_")]:
        np.testing.assert_allclose(m[name]["average_sensitivity"], 1.0)
        np.testing.assert_allclose(m[name]["critical_sample_ratio"], 1.0)
        np.testing.assert_allclose(m[name]["ones_entropy"], 1.0)
    for name in [k for k in t if k.startswith("one_point")]:
        np.testing.assert_allclose(m[name]["average_sensitivity"], 2 * n / 2**n, rtol=1e-6)
        np.testing.assert_allclose(m[name]["critical_sample_ratio"], (n + 1) / 2**n, rtol=1e-6)
        assert int(m[name]["count_ones"]) == 1


def test_majority_sensitivity():
    # Majority of 7: x is sensitive to j iff the other 6 bits are split 3/3, i.e. when x has 3 or 4
    # ones it is sensitive to exactly those 4 (resp. 4 zeros) coordinates: 2 * C(7,3) * 4 / 128.
    maj = structured_tables(7)["majority"]
    m = bm.measures(jnp.asarray(maj), 7)
    np.testing.assert_allclose(m["average_sensitivity"], 2 * math.comb(7, 3) * 4 / 128, rtol=1e-6)
    np.testing.assert_allclose(m["critical_sample_ratio"], 2 * math.comb(7, 3) / 128, rtol=1e-6)
    np.testing.assert_allclose(m["ones_entropy"], 1.0)


@pytest.mark.parametrize("length", [1, 8, 32, 40, 128, 1024])
def test_pack_unpack_round_trip(length):
    bits_BL = np.random.default_rng(length).integers(0, 2, size=(3, length), dtype=np.uint8)
    words_BW = bm.pack_bits(jnp.asarray(bits_BL))
    chex.assert_shape(words_BW, (3, -(-length // 32)))
    assert words_BW.dtype == jnp.uint32
    # NumPy reference: little-endian bit order within bytes, little-endian bytes within words.
    n_bytes = 4 * words_BW.shape[-1]
    packed = np.packbits(bits_BL, axis=-1, bitorder="little")
    packed = np.pad(packed, [(0, 0), (0, n_bytes - packed.shape[-1])])
    np.testing.assert_array_equal(words_BW, packed.view("<u4"))
    back = bm.unpack_bits(words_BW, length)
    assert back.dtype == jnp.uint8
    np.testing.assert_array_equal(back, bits_BL)
    np.testing.assert_array_equal(bm.pack_bits(jnp.asarray(bits_BL, dtype=bool)), words_BW)


def test_pack_bit_positions():
    bits = np.zeros(64, np.uint8)
    bits[[0, 31, 33]] = 1
    np.testing.assert_array_equal(bm.pack_bits(jnp.asarray(bits)), np.array([1 | 2**31, 2], np.uint32))


def test_jit_equals_no_jit_and_single_compile():
    tables_BL = jnp.asarray(random_tables(seed=0, batch=16, n=7))
    eager = bm.measures(tables_BL, 7)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def from_packed(words_BW):
        return bm.measures(bm.unpack_bits(words_BW, 128), 7)

    jitted = from_packed(bm.pack_bits(tables_BL))
    for name in ["lz76_phrases", "count_ones"]:  # integer counts: exact
        np.testing.assert_array_equal(jitted[name], eager[name])
    chex.assert_trees_all_close(jitted, eager, rtol=1e-6)  # XLA fusion may move float32 by an ulp
    from_packed(bm.pack_bits(jnp.asarray(random_tables(seed=1, batch=16, n=7))))  # no retrace


def test_batch_and_vmap_shapes():
    tables_ABL = jnp.asarray(random_tables(seed=2, batch=6, n=4).reshape(2, 3, 16))
    batched = bm.measures(tables_ABL, 4)
    vmapped = jax.vmap(jax.vmap(functools.partial(bm.measures, n=4)))(tables_ABL)
    single = bm.measures(tables_ABL[1, 2], 4)
    for name, value in batched.items():
        chex.assert_shape(value, (2, 3))
        chex.assert_shape(single[name], ())
        np.testing.assert_array_equal(vmapped[name], value)
        np.testing.assert_array_equal(single[name], value[1, 2])
    for name in ["lz_complexity", "ones_entropy", "average_sensitivity", "critical_sample_ratio"]:
        assert batched[name].dtype == jnp.float32, name
    assert batched["lz76_phrases"].dtype == batched["count_ones"].dtype == jnp.int32


def test_number_of_inputs_inferred_or_checked():
    parity_L = jnp.asarray(structured_tables(5)["parity"])
    np.testing.assert_allclose(bm.average_sensitivity(parity_L), 5.0)  # n from the length
    with pytest.raises(ValueError):
        bm.average_sensitivity(jnp.zeros(8, jnp.uint8), 4)
    with pytest.raises(ValueError):
        bm.critical_sample_ratio(jnp.zeros(12, jnp.uint8))  # not a power of two


def test_structured_functions_are_lz_simpler_than_random():
    n = 7
    random_lz = bm.lz_complexity(jnp.asarray(random_tables(seed=3, batch=200, n=n)))
    t = structured_tables(n)
    simple = bm.lz_complexity(jnp.asarray(np.stack([t["zeros"], t["ones"], t["x_0"]])))
    assert float(jnp.max(simple)) < float(jnp.median(random_lz))
    np.testing.assert_allclose(simple, [n, n, 3 * n])  # x_0 = 0101...: 0 . 1 . 0101..., both ways
