"""jdl.analysis.pieces: exact linear pieces, checked against exact rational arithmetic and a dense grid."""
from fractions import Fraction

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl import nn
from jdl.analysis import pieces as R
from jdl.studies.linear_regions import networks as LRN
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import networks as S


# --- references ---------------------------------------------------------------------------------
def flat_layers(params):
    """[(W, b)] as float64 NumPy, stacked blocks unrolled and inactive layers dropped."""
    out = []
    for layer in params:
        if not isinstance(layer, dict):
            continue
        W = np.asarray(layer["W"], np.float64)
        b = np.asarray(layer.get("b", np.zeros(W.shape[-2])), np.float64)
        if W.ndim == 2:
            out.append((W, b))
            continue
        active = np.asarray(layer.get("active", np.ones(W.shape[0])))
        out += [(W[i], b[i]) for i in range(W.shape[0]) if active[i] > 0]
    return out


def rational_pieces(params, a, b):
    """The same count in exact rational arithmetic: (pieces, regions). Slow; small nets only."""
    layers = [([[Fraction(float(w)) for w in row] for row in W], [Fraction(float(v)) for v in bb])
              for W, bb in flat_layers(params)]

    def pre(x, upto):
        h = [x]
        for i, (W, bb) in enumerate(layers[:upto + 1]):
            z = [sum((w * v for w, v in zip(row, h)), Fraction(0)) + c for row, c in zip(W, bb)]
            if i == upto:
                return z
            h = [max(v, Fraction(0)) for v in z]

    knots = [Fraction(a), Fraction(b)]
    for l in range(len(layers) - 1):
        zs = [pre(t, l) for t in knots]
        new = set(knots)
        for k in range(len(knots) - 1):
            for z0, z1 in zip(zs[k], zs[k + 1]):
                if z0 * z1 < 0:
                    new.add(knots[k] + (knots[k + 1] - knots[k]) * z0 / (z0 - z1))
        knots = sorted(new)
    y = [pre(t, len(layers) - 1)[0] for t in knots]
    slopes = [(y[k + 1] - y[k]) / (knots[k + 1] - knots[k]) for k in range(len(knots) - 1)]
    return 1 + sum(s1 != s0 for s0, s1 in zip(slopes, slopes[1:])), len(knots) - 1


def np_forward(params, x):
    h = np.asarray(x, np.float64)[None]
    layers = flat_layers(params)
    for W, b in layers[:-1]:
        h = np.maximum(W @ h + b[:, None], 0)
    W, b = layers[-1]
    return (W @ h + b[:, None])[0]


def grid_pieces(params, a, b, n=200_001):
    """What a notebook does: second differences on a dense grid; a run of nonzero ones is one kink."""
    y = np_forward(params, np.linspace(a, b, n))
    nz = np.abs(y[2:] - 2 * y[1:-1] + y[:-2]) > 1e-9 * max(1.0, np.abs(y).max())
    return 1 + int(nz[0]) + int(np.sum(nz[1:] & ~nz[:-1]))


count = R.count_pieces  # jitted, max_breakpoints static


def stack(nets):
    return jax.tree.map(lambda *x: jnp.stack(x), *nets)


def unstack(nets, i):
    return jax.tree.map(lambda x: x[i], nets)


# --- the sawtooth -------------------------------------------------------------------------------
def test_sawtooth_has_exactly_2_pow_L_pieces():
    nets = jax.vmap(lambda d: LRN.sawtooth(d, max_depth=12))(jnp.arange(1, 13))
    res = R.count_pieces_many(nets, -2.0, 2.0, max_breakpoints=4096)
    assert res.n_pieces.tolist() == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
    assert res.n_regions.tolist() == res.n_pieces.tolist() and not res.overflow.any()
    bp = R.breakpoints(LRN.sawtooth(5), -2.0, 2.0, max_breakpoints=64)  # kinks on the dyadic grid
    np.testing.assert_array_equal(bp.x[:int(bp.n_knots)], np.linspace(-2, 2, 33, dtype=np.float32))


def test_sawtooth_is_the_recursion():
    x = np.linspace(-2, 2, 1001)
    f = x.copy()
    for L in range(1, 7):
        f = 2 * np.abs(f) - 2
        y = jax.vmap(lambda t: R.evaluate(LRN.sawtooth(L), t))(jnp.asarray(x, jnp.float32))[:, 0]
        np.testing.assert_allclose(y, f, atol=1e-4)


# --- exactness ----------------------------------------------------------------------------------
def test_float64_counts_equal_exact_rational_arithmetic(key):
    k1, k2, k3, k4 = jax.random.split(key, 4)
    depths, widths = jnp.array([1, 2, 3, 2]), jnp.array([5, 4, 3, 6])
    inits = {"he": jax.vmap(lambda k, d, w: LRN.random_net(k, d, w, max_depth=3, max_width=6))(
        jax.random.split(k1, 4), depths, widths),
        "torch": jax.vmap(lambda k, d, w: LRN.random_net(k, d, w, max_depth=3, max_width=6, init="torch"))(
        jax.random.split(k2, 4), depths, widths),
        "saw": jax.vmap(lambda k, s: LRN.noisy_sawtooth(k, 6, s))(jax.random.split(k3, 4), jnp.array([0.01, 0.1, 0.3, 1.0])),
        "mlp": stack([nn.mlp([4, 4], 1, b_std=1.0).init(k, (1,)) for k in jax.random.split(k4, 2)])}
    for name, nets in inits.items():
        got = R.count_pieces_many(nets, -2.0, 2.0, max_breakpoints=256, dtype=jnp.float64)
        for i in range(len(got.n_pieces)):
            want = rational_pieces(unstack(nets, i), -2, 2)
            assert (int(got.n_pieces[i]), int(got.n_regions[i])) == want, (name, i)


def test_float32_merges_the_halves_of_perturbed_kinks_float64_resolves_them():
    p = LRN.noisy_sawtooth(jax.random.key(0), 6, 1e-4)  # pairs of kinks ~1e-6 apart
    exact = rational_pieces(p, -2, 2)[0]
    f32 = R.count_pieces_many(stack([p]), -2.0, 2.0, max_breakpoints=2048).n_pieces[0]
    f64 = R.count_pieces_many(stack([p]), -2.0, 2.0, max_breakpoints=2048, dtype=jnp.float64).n_pieces[0]
    assert int(f64) == exact and int(f32) < exact  # float32 undercounts, never overcounts here


def test_dense_grid_never_sees_more_and_sees_all_of_a_shallow_net(key):
    keys = jax.random.split(key, 6)
    shallow = jax.vmap(lambda k: LRN.random_net(k, 1, 6))(keys)
    deep = jax.vmap(lambda k: LRN.random_net(k, 4, 8))(keys)
    n_shallow = R.count_pieces_many(shallow, -3.0, 3.0, max_breakpoints=64).n_pieces
    n_deep = R.count_pieces_many(deep, -3.0, 3.0, max_breakpoints=512).n_pieces
    for i in range(len(keys)):
        W, b = flat_layers(unstack(shallow, i))[0]
        kinks = np.sort(-b / W[:, 0])
        kinks = kinks[(kinks > -3) & (kinks < 3)]
        assert int(n_shallow[i]) == 1 + len(kinks)
        if len(kinks) < 2 or np.diff(kinks).min() > 1e-3:  # resolvable on the grid
            assert grid_pieces(unstack(shallow, i), -3, 3) == int(n_shallow[i])
        assert grid_pieces(unstack(deep, i), -3, 3) <= int(n_deep[i])


def test_pieces_are_affine_and_every_kink_changes_the_slope(key):
    p = LRN.random_net(key, 3, 8)
    bp = R.breakpoints(p, -3.0, 3.0, max_breakpoints=256)
    x = np.asarray(bp.x, np.float64)[:int(bp.n_knots)]
    ends = np.concatenate([[x[0]], x[np.asarray(bp.kink)[:len(x)]], [x[-1]]])
    for lo, hi in zip(ends[:-1], ends[1:]):  # affine between consecutive kinks
        t = np.linspace(lo, hi, 7)
        y = np_forward(p, t)
        np.testing.assert_allclose(y, y[0] + (y[-1] - y[0]) * (t - lo) / (hi - lo), atol=1e-4)
    for k in ends[1:-1]:  # and not across them
        h = 1e-3 * np.diff(x).min()
        left, mid, right = np_forward(p, np.array([k - h, k, k + h]))
        assert abs((right - mid) - (mid - left)) > 1e-6 * h


# --- transformations and shapes -----------------------------------------------------------------
def test_jit_equals_no_jit(key):
    p = LRN.noisy_sawtooth(key, 5, 0.2)
    jitted = jax.jit(lambda p: R.breakpoints(p, -2.0, 2.0, max_breakpoints=64))(p)
    with jax.disable_jit():
        eager = R.breakpoints(p, -2.0, 2.0, max_breakpoints=64)
    # float32 breakpoints on [-2, 2]: fusion may round differently, by a few ulps (2.4e-7 at 2)
    chex.assert_trees_all_close(jitted, eager, rtol=1e-6, atol=1e-6)


def test_vmapped_equals_one_at_a_time(key):
    keys = jax.random.split(key, 4)
    depths, widths = jnp.array([1, 2, 3, 3]), jnp.array([2, 4, 8, 3])
    nets = jax.vmap(lambda k, d, w: LRN.random_net(k, d, w, max_depth=3, max_width=8))(keys, depths, widths)
    many = R.count_pieces_many(nets, -3.0, 3.0, max_breakpoints=128)
    alone = R.count_pieces_many(unstack(nets, slice(1, 2)), -3.0, 3.0, max_breakpoints=128)
    assert int(alone.n_pieces[0]) == int(many.n_pieces[1])  # a member does not see its batch
    for i in range(4):
        p = unstack(nets, i)
        one = count(p, -3.0, 3.0, max_breakpoints=128)
        assert int(one.n_pieces) == int(many.n_pieces[i]) and int(one.n_regions) == int(many.n_regions[i])
        # the padded member is the narrow, shallow net (same function, same exact count)
        d, w = int(depths[i]), int(widths[i])
        plain = [{"W": p[0]["W"][:w], "b": p[0]["b"][:w]}]
        plain += [{"W": p[1]["W"][j, :w, :w], "b": p[1]["b"][j, :w]} for j in range(d - 1)]
        plain += [{"W": p[2]["W"][:, :w], "b": p[2]["b"]}]
        x = np.linspace(-3, 3, 101)
        np.testing.assert_allclose(np_forward(plain, x), np_forward(p, x), rtol=1e-12)
        assert rational_pieces(plain, -3, 3) == (int(many.n_pieces[i]), int(many.n_regions[i]))


def test_shapes_and_dtypes():
    bp = jax.eval_shape(lambda p: R.breakpoints(p, -2.0, 2.0, max_breakpoints=16), LRN.sawtooth(3))
    chex.assert_shape([bp.x, bp.kink], (18,))
    chex.assert_shape(bp.slope, (17, 1))
    chex.assert_shape([bp.n_knots, bp.overflow], ())
    assert bp.n_knots.dtype == jnp.int32 and bp.kink.dtype == jnp.bool_
    res = R.count_pieces_many(stack([LRN.sawtooth(3)] * 4), -2.0, 2.0, max_breakpoints=16)
    chex.assert_shape([res.n_pieces, res.n_regions, res.overflow], (4,))


def test_overflow_is_flagged_never_a_silent_undercount():
    ok = count(LRN.sawtooth(6), -2.0, 2.0, max_breakpoints=63)  # 2^6 - 1 interior breakpoints
    assert int(ok.n_pieces) == 64 and not bool(ok.overflow)
    bad = count(LRN.sawtooth(6), -2.0, 2.0, max_breakpoints=62)
    assert bool(bad.overflow) and int(bad.n_pieces) == -1 and int(bad.n_regions) == -1
    assert int(count(LRN.sawtooth(8), -2.0, 2.0, max_breakpoints=62).n_pieces) == -1


def test_depth_and_noise_are_traced_one_compile():
    def pieces(k, d, s):
        return R.count_pieces(LRN.noisy_sawtooth(k, d, s, max_depth=6), -2.0, 2.0, max_breakpoints=256).n_pieces

    f = jax.jit(chex.assert_max_traces(pieces, n=1))
    assert int(f(jax.random.key(0), 4, 0.0)) == 16
    assert int(f(jax.random.key(0), 6, 0.0)) == 64
    assert int(f(jax.random.key(1), 6, 0.5)) > 0


# --- udlbook CM20315_Deep / CM20315_Deep2 (the networks live in jdl.studies.udlbook.networks; regions counts their pieces) -------
def test_udlbook_shallow_networks_and_their_matrix_form():
    x = np.arange(-1, 1, 0.01)  # the notebooks' grid
    for net in (U.UDL_NET1, U.UDL_NET2):
        y = S.shallow_1_1_3(x, **net)
        layers = S.shallow_layers(**net)
        np.testing.assert_allclose(jax.vmap(lambda t: R.evaluate(layers, t))(x.astype(np.float32))[:, 0], y, atol=1e-6)
    # hand values: net1(-1) = 1 - 2, net1(0) = 1, net1(0.67) = 1 - 3 * 0.67, net1(1) = 1 - 3 + 9.3 * 0.33
    np.testing.assert_allclose(S.shallow_1_1_3(np.array([-1, 0, 0.67, 1.0]), **U.UDL_NET1),
                               [-1.0, 1.0, -1.01, 1.069], atol=1e-5)
    # Deep2: the 1-3-3-1 matrix form (Omega_1 = theta2_1 phi1^T, beta_1 = theta2_0 + theta2_1 phi1_0)
    deep = R.compose(S.shallow_layers(**U.UDL_NET1), S.shallow_layers(**U.UDL_NET2))
    theta2, phi1 = np.array(U.UDL_NET2["theta"]), np.array(U.UDL_NET1["phi"])
    np.testing.assert_allclose(deep[1]["W"], np.outer(theta2[:, 1], phi1[1:]), rtol=1e-6)
    np.testing.assert_allclose(deep[1]["b"], theta2[:, 0] + theta2[:, 1] * phi1[0], rtol=1e-6)
    composed = S.shallow_1_1_3(S.shallow_1_1_3(x, **U.UDL_NET1), **U.UDL_NET2)
    np.testing.assert_allclose(jax.vmap(lambda t: R.evaluate(deep, t))(x.astype(np.float32))[:, 0], composed, atol=1e-5)


def test_udlbook_piece_counts():
    # net1 kinks at 0 and 0.67; net2 at -0.6, -0.2, 0.5; each of net1's 3 monotone pieces sweeps [-1, 1]
    want = {"net1": 3, "net2": 4, "net2(net1)": 12, "net2[phi_1*-1](net1)": 12, "net2(net1[phi_1*0.5])": 10,
            "net1(net1)": 9, "net2(net1(net1))": 36}
    got = {k: int(count(p, -1.0, 1.0, max_breakpoints=64).n_pieces) for k, p in S.udlbook_networks().items()}
    assert got == want
    for name, p in S.udlbook_networks().items():
        assert grid_pieces(p, -1, 1) == want[name], name
    net = S.shallow_layers(**U.UDL_NET1)  # N copies of net1, then net2: 4 * 3^N pieces
    for n in range(1, 6):
        deep = R.compose(net, S.shallow_layers(**U.UDL_NET2))
        assert int(count(deep, -1.0, 1.0, max_breakpoints=1024).n_pieces) == 4 * 3 ** n
        net = R.compose(net, S.shallow_layers(**U.UDL_NET1))


def test_regions_bound_and_bad_init():
    assert LRN.regions_bound([3, 3]) == 16
    with pytest.raises(ValueError, match="init"):
        LRN.random_net(jax.random.key(0), 2, 4, init="xavier")
