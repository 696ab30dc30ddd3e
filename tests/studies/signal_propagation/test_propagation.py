"""jdl.studies.signal_propagation.propagation: the notebook's own numbers, a NumPy loop reference, shapes, jit, and the science."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl import nn
from jdl.studies.signal_propagation import propagation as S

K, D = 50, 80


# --- the notebook's code (udlbook CM20315 Gradients III), kept as written: lists of layers, one loop each
def nb_init_params(K, D, sigma_sq_omega):
    np.random.seed(0)
    all_weights, all_biases = [None] * (K + 1), [None] * (K + 1)
    all_weights[0] = np.random.normal(size=(D, 1)) * np.sqrt(sigma_sq_omega)
    all_weights[-1] = np.random.normal(size=(1, D)) * np.sqrt(sigma_sq_omega)
    all_biases[0], all_biases[-1] = np.zeros((D, 1)), np.zeros((1, 1))
    for layer in range(1, K):
        all_weights[layer] = np.random.normal(size=(D, D)) * np.sqrt(sigma_sq_omega)
        all_biases[layer] = np.zeros((D, 1))
    return all_weights, all_biases


NB_ACT = {"relu": (lambda f: f.clip(0.0), lambda f: (f >= 0).astype(f.dtype)),  # the notebook's indicator
          "tanh": (np.tanh, lambda f: 1 - np.tanh(f) ** 2)}


def nb_forward(net_input, all_weights, all_biases, act="relu"):
    K = len(all_weights) - 1
    all_f, all_h = [None] * (K + 1), [None] * (K + 1)
    all_h[0] = net_input
    for layer in range(K):
        all_f[layer] = all_biases[layer] + np.matmul(all_weights[layer], all_h[layer])
        all_h[layer + 1] = NB_ACT[act][0](all_f[layer])
    all_f[K] = all_biases[K] + np.matmul(all_weights[K], all_h[K])
    return all_f[K], all_f, all_h


def nb_backward(all_weights, all_f, y, act="relu"):
    K = len(all_weights) - 1
    all_dl_df, all_dl_dh = [None] * (K + 1), [None] * (K + 1)
    all_dl_df[K] = 2 * (all_f[K] - y)
    for layer in range(K, -1, -1):
        all_dl_dh[layer] = np.matmul(all_weights[layer].T, all_dl_df[layer])
        if layer > 0:
            all_dl_df[layer - 1] = NB_ACT[act][1](all_f[layer - 1]) * all_dl_dh[layer]
    return all_dl_dh, all_dl_df


def to_lists(net):
    W = [np.asarray(w, np.float64) for w in (net.W_in, *net.W_hid, net.W_out)]
    b = [np.zeros((w.shape[0], 1)) for w in W]
    return W, b


def numpy_reference(net, x_nd, act="relu"):
    """Per-layer variances by the notebook's loops; (D, n) columns are examples (its backward is per column)."""
    W, b = to_lists(net)
    Kn = len(W) - 1
    out, f, h = nb_forward(np.asarray(x_nd, np.float64).T, W, b, act)
    dh, df = nb_backward(W, f, 0.0, act)
    return (np.array([np.var(h[k]) for k in range(1, Kn + 1)]), np.array([np.var(df[k]) for k in range(Kn)]),
            np.array([np.var(dh[k]) for k in range(1, Kn + 1)]))


def notebook_net(K, D, sigma_sq):
    """The notebook's weights (np.random.seed(0)) as a jdl Net; call under x64."""
    W, _ = nb_init_params(K, D, sigma_sq)
    zeros = lambda *shape: jnp.zeros(shape, jnp.float64)  # noqa: E731
    return nn.DeepMLP(jnp.asarray(W[0]), zeros(D), jnp.asarray(np.stack(W[1:K])), zeros(K - 1, D),
                 jnp.asarray(W[K]), zeros(1))


def test_reproduces_the_notebooks_printed_stds():
    # numbers the notebook prints at its own settings (K=5, D=8, sigma^2=1, np.random.seed(0)), pinned
    fwd_std = [0.981483, 0.810841, 1.47226, 4.54692, 8.89609]  # "Layer l, std of hidden units", l = 0..4
    bwd_std = [446.654, 340.657, 109.132, 56.472]  # "Layer l, std of dl_dh" (its all_dl_df), l = 1..4
    with jax.enable_x64(True):
        net = notebook_net(5, 8, 1.0)
        x_forward = np.random.normal(size=(1, 1000))  # the stream continues after the weights, as in the notebook
        s = S.signal_stats(net, jnp.asarray(x_forward.T))
        got = [np.std(x_forward)] + np.sqrt(np.asarray(s.forward_var[:4])).tolist()
        np.testing.assert_allclose(got, fwd_std, rtol=1e-5)
        net = notebook_net(5, 8, 1.0)
        x_backward = np.stack([np.random.normal(size=(1, 1)) for _ in range(100)])[:, 0, 0]  # its per-example loop
        s = S.signal_stats(net, jnp.asarray(x_backward[:, None]))
        np.testing.assert_allclose(np.sqrt(np.asarray(s.grad_f_var[1:])), bwd_std, rtol=1e-5)


@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_sweep_equals_numpy_loop_one_sigma_at_a_time(act):
    seeds, sig = [3, 7], np.array([0.5, 2.0, 4.0]) / 16
    st = S.propagation_sweep(seeds, sig, K=12, D=16, n_data=30, activation=act, points_per_call=2)
    chex.assert_shape(st.forward_var, (2, 3, 12))
    chex.assert_shape(st.output_var, (2, 3))
    with jax.enable_x64(True):
        for i, seed in enumerate(seeds):
            k_net, k_x = jax.random.split(jax.random.key(seed))  # the member's own draws (member_stats)
            unit = nn.init_deep_mlp(k_net, 12, 16, dtype=jnp.float64)
            x = np.asarray(jax.random.normal(k_x, (30, 1), jnp.float64))
            for g, s in enumerate(sig):
                ref = numpy_reference(nn.scale_deep_mlp(unit, s), x, act)
                for got, want in zip((st.forward_var, st.grad_f_var, st.grad_h_var), ref):
                    np.testing.assert_allclose(got[i, g], want, rtol=1e-10)


def test_per_layer_sigma_and_member_independence():
    sig3 = np.stack([S.layer_sigma_sq(s, 16) for s in ("lecun", "glorot", "he")])
    both = S.propagation_sweep([0], sig3, K=6, D=16, n_data=20, activation="tanh")
    alone = S.propagation_sweep([0], sig3[2:], K=6, D=16, n_data=20, activation="tanh")
    np.testing.assert_allclose(both.grad_h_var[:, 2:], alone.grad_h_var, rtol=1e-12)
    # LeCun and Glorot share the hidden layers' 1/D: only the first and last layers differ
    np.testing.assert_allclose(sig3[:2, 1] * 16, [1.0, 1.0])
    np.testing.assert_allclose(sig3[:, 0], [1.0, 2 / 17, 2.0])


def test_jit_equals_no_jit_and_compiles_once(key):
    net = nn.scale_deep_mlp(nn.init_deep_mlp(key, 8, 10), 2 / 10)
    x = jax.random.normal(jax.random.fold_in(key, 1), (16, 1))
    eager = S.signal_stats(net, x, "tanh")
    f = jax.jit(chex.assert_max_traces(lambda n, x: S.signal_stats(n, x, "tanh"), n=1))
    jitted = f(net, x)
    f(nn.scale_deep_mlp(net, 3.0), x)  # another sigma^2: same program
    chex.assert_trees_all_close(eager, jitted, rtol=1e-5)
    for leaf in jitted[:3]:
        chex.assert_shape(leaf, (8,))
        assert np.all(np.isfinite(leaf)) and np.all(leaf > 0)
    out, f_kd, h_kd = nn.deep_mlp_forward(net, x[0])
    chex.assert_shape([out, f_kd, h_kd], [(1,), (8, 10), (8, 10)])


def test_float32_fails_where_float64_does_not():
    # depth 50 spans more decades than float32 holds: vanishing underflows to 0, exploding gradients overflow
    sig = np.array([0.25, 8.0]) / D
    f32 = S.propagation_sweep([0], sig, K=K, D=D, n_data=20, dtype=jnp.float32)
    f64 = S.propagation_sweep([0], sig, K=K, D=D, n_data=20, dtype=jnp.float64)
    assert f32.forward_var[0, 0, -1] == 0 and not np.isfinite(f32.grad_f_var[0, 1, 0])
    assert np.all(np.isfinite(np.log10(f64.forward_var))) and np.all(np.isfinite(np.log10(f64.grad_f_var)))


@pytest.fixture(scope="module")
def relu_sweep():
    sig = np.array([1.0, 2.0, 4.0]) / D
    return sig, S.propagation_sweep(range(32), sig, K=K, D=D, n_data=50)


def test_he_is_the_edge_between_vanishing_and_exploding(relu_sweep):
    _, st = relu_sweep
    mean = st.forward_var.mean(0)  # average over seeds, then compare layer K with layer 1
    ratio = mean[:, -1] / mean[:, 0]
    assert 1 / 3 < ratio[1] < 3  # He: the variance stays put
    assert ratio[0] < 1e-10 and ratio[2] > 1e10  # 1/D and 4/D: ~(1/2)^49 and ~2^49
    g = st.grad_f_var.mean(0)
    assert 1 / 3 < g[1, 0] / g[1, -1] < 3 and g[0, 0] / g[0, -1] < 1e-10 and g[2, 0] / g[2, -1] > 1e10
    # per layer the slope is the mean-field log10(sigma^2 D / 2) (finite width D shifts it by O(1/D))
    np.testing.assert_allclose(S.growth_rate(mean), np.log10(S.relu_gain(relu_sweep[0], D)), atol=0.03)


def test_typical_network_decays_at_finite_width(relu_sweep):
    # the mean is preserved but the median is not: E log(chi^2_D/D) < 0 costs ~2.5/D nats a layer
    _, st = relu_sweep
    r = st.forward_var[:, 1, -1] / st.forward_var[:, 1, 0]
    assert np.median(r) < 0.6


GRID = 2.0 ** np.arange(-1.5, 2.01, 0.25) / D


@pytest.fixture(scope="module")
def grid_and_schemes():
    """Per activation, one sweep: uniform sigma^2 rows, then LeCun and He rows (one compile each)."""
    rows = np.concatenate([np.repeat(GRID[:, None], 3, 1), [S.layer_sigma_sq(s, D) for s in ("lecun", "he")]])
    return {act: S.propagation_sweep(range(4), rows, K=K, D=D, n_data=20, activation=act) for act in ("relu", "tanh")}


def rates(st):
    return S.growth_rate(st.forward_var.mean(0)), S.growth_rate(st.grad_f_var.mean(0), backward=True)


@pytest.mark.parametrize("act,want", [("relu", 2 / D), ("tanh", 1 / D)])
def test_critical_sigma_sq_is_he_for_relu_and_lecun_for_tanh(grid_and_schemes, act, want):
    fwd, bwd = (S.critical_sigma_sq(GRID, r[: len(GRID)]) for r in rates(grid_and_schemes[act]))
    assert abs(fwd / want - 1) < 0.2 and abs(bwd / want - 1) < 0.2, (fwd * D, bwd * D)


def test_schemes_he_for_relu_lecun_for_tanh(grid_and_schemes):
    # decades per layer, forward or backward, whichever is worse; rows: LeCun, He
    worst = {act: np.abs(np.stack(rates(st)))[:, -2:].max(0) for act, st in grid_and_schemes.items()}
    assert worst["relu"][1] < 0.02 < 0.2 < worst["relu"][0]  # ReLU: He stable, LeCun vanishes
    assert worst["tanh"][0] < 0.03 < worst["tanh"][1]  # tanh: LeCun stable, He's gradients explode


def test_critical_sigma_sq_and_growth_rate_helpers():
    assert np.isnan(S.critical_sigma_sq(np.array([1.0, 2.0]), np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="sigma_sq_g"):
        S.critical_sigma_sq(np.array([2.0, 1.0]), np.array([-1.0, 1.0]))
    assert S.growth_rate(np.array([1.0, 0.1]), backward=True) == pytest.approx(1.0)
    assert np.isnan(S.growth_rate(np.ones((3, 1)))).all()
    with pytest.raises(ValueError, match="sigma_sq"):
        S.propagation_sweep([0], np.array([0.0, 1.0]), K=2, D=2, n_data=2)
    with pytest.raises(ValueError, match="activation"):
        S.propagation_sweep([0], np.array([1.0]), K=2, D=2, n_data=2, activation="swish")


def test_float32_sweep_inside_an_x64_block_keeps_x64_and_its_numbers():
    kw = {"K": 4, "D": 8, "n_data": 5, "dtype": jnp.float32}
    sig = np.array([0.5, 1.0]) / 4
    alone = S.propagation_sweep([0, 1], sig, **kw)
    with jax.enable_x64(True):
        inside = S.propagation_sweep([0, 1], sig, **kw)
        assert jax.config.jax_enable_x64  # a float32 run does not turn the caller's x64 off
    assert inside.forward_var.dtype == np.float32
    np.testing.assert_array_equal(inside.forward_var, alone.forward_var)
