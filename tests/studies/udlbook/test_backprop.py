"""jdl.studies.udlbook.backprop: udlbook Gradients I and II by hand, against the notebooks' numbers, jax.grad and finite differences"""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.analysis import derivatives as FD
from jdl.nn import DeepMLP, init_deep_mlp
from jdl.studies.udlbook import backprop as G
from jdl.studies.udlbook import training_fixtures as U

# Gradients I's printed true values (3 decimals)
TRUE_F = [1.230, 1.623, 7.137, 2.372]  # f0..f3
TRUE_H = [0.942, 5.068, 0.657, 0.864]  # h1..h4
TRUE_DY_DH = {2: -0.632}  # dydh3 (dydh4 = omega4 is given)
TRUE_DY_DF = [-0.646, 4.830, 0.476]  # dydf0, dydf1, dydf2
TRUE_DY_DH_LOW = [-1.932, 0.953]  # dydh1, dydh2
TRUE_BETA = [-0.646, 4.830, 0.476, -0.211, 1.0]  # dydbeta0 .. dydbeta3 (True value), dydbeta4 = 1
TRUE_OMEGA = {1: 4.552, 2: 2.415, 3: -0.139, 4: 0.864}  # dydomega1..4; dydomega0 is checked by formula


def nb_fn(x, b, w):
    return b[4] + w[4] * np.log(b[3] + w[3] * np.cos(b[2] + w[2] * np.exp(b[1] + w[1] * np.sin(b[0] + w[0] * x))))


def composite():
    beta, omega, x = U.composite_params()
    return G.Composite(jnp.asarray(beta), jnp.asarray(omega)), x


def test_gradients_i_reproduces_every_true_value():
    with jax.enable_x64(True):
        p, x = composite()
        fwd, bwd = jax.jit(lambda p: (G.composite_forward(p, x), G.composite_backward(p, x)))(p)
        np.testing.assert_allclose(fwd.f, TRUE_F, atol=5e-4)
        np.testing.assert_allclose(fwd.h, TRUE_H, atol=5e-4)
        beta, omega, _ = U.composite_params()
        y_func = nb_fn(x, beta, omega)
        assert float(fwd.y) == pytest.approx(y_func, abs=1e-14)
        assert float(G.composite_fn(p, x)) == pytest.approx(y_func, abs=1e-14)
        assert f"{y_func:.3f}" == "-0.732"  # 'y=%3.3f'
        np.testing.assert_allclose(np.asarray(bwd.dy_dh)[:3], TRUE_DY_DH_LOW + [TRUE_DY_DH[2]], atol=5e-4)
        assert float(bwd.dy_dh[3]) == -0.5  # dydh4 = omega4
        np.testing.assert_allclose(bwd.dy_df[:3], TRUE_DY_DF, atol=5e-4)
        np.testing.assert_allclose(bwd.grads.beta, TRUE_BETA, atol=5e-4)
        np.testing.assert_allclose(bwd.grads.omega[1:], [TRUE_OMEGA[k] for k in (1, 2, 3, 4)], atol=5e-4)
        # dydomega0: the notebook's closed form ("Function value") and its forward difference
        closed = float(G.composite_omega0(p, x))
        fd_nb = (nb_fn(x, beta, omega + np.eye(5)[0] * 1e-4) - y_func) / 1e-4
        assert float(bwd.grads.omega[0]) == pytest.approx(closed, rel=1e-13)
        assert f"{closed:.3f}" == "-1.485" and abs(fd_nb - closed) < 1e-3  # its FD prints -1.484


def test_gradients_i_manual_equals_jax_grad_and_finite_differences(key):
    with jax.enable_x64(True):
        p, x = composite()
        # more points: parameters jittered so that f3 > 0 (the log's domain) holds
        jitter = 0.01 * jax.random.normal(key, (16, 2, 5), jnp.float64)
        ps = G.Composite(p.beta + jitter[:, 0], p.omega + jitter[:, 1])

        def three(q):
            return (G.composite_backward(q, x).grads, jax.grad(G.composite_fn)(q, x),
                    FD.finite_differences(lambda r: G.composite_fn(r, x), q, 1e-6))

        manual, auto, fd = jax.jit(jax.vmap(three))(ps)
        chex.assert_shape([manual.beta, manual.omega], [(16, 5), (16, 5)])
        chex.assert_trees_all_close(manual, auto, rtol=1e-12, atol=1e-14)
        assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(fd))
        chex.assert_trees_all_close(fd, auto, rtol=1e-7, atol=1e-9)


# --- Gradients II's code, its TODOs completed (eq. 7.5 forward, eq. 7.13 backward), lists and loops in NumPy
def nb_lists(net):
    W = [net.W_in, *net.W_hid, net.W_out]
    b = [net.b_in[:, None], *[v[:, None] for v in net.b_hid], net.b_out[:, None]]
    return [np.asarray(w, np.float64) for w in W], [np.asarray(v, np.float64) for v in b]


def nb_forward(net_input, all_weights, all_biases):
    K = len(all_weights) - 1
    all_f, all_h = [None] * (K + 1), [None] * (K + 1)
    all_h[0] = net_input
    for layer in range(K):
        all_f[layer] = all_biases[layer] + np.matmul(all_weights[layer], all_h[layer])
        all_h[layer + 1] = all_f[layer].clip(0.0)
    all_f[K] = all_biases[K] + np.matmul(all_weights[K], all_h[K])
    return all_f[K], all_f, all_h


def nb_backward(all_weights, all_f, all_h, y):
    K = len(all_weights) - 1
    dW, db, dl_df, dl_dh = [None] * (K + 1), [None] * (K + 1), [None] * (K + 1), [None] * (K + 1)
    dl_df[K] = 2 * (all_f[K] - y)
    for layer in range(K, -1, -1):
        db[layer] = np.array(dl_df[layer])
        dW[layer] = np.matmul(dl_df[layer], all_h[layer].T)
        dl_dh[layer] = np.matmul(all_weights[layer].T, dl_df[layer])
        if layer > 0:
            dl_df[layer - 1] = (all_f[layer - 1] >= 0).astype(np.float64) * dl_dh[layer]
    return dW, db, dl_df, dl_dh


def to_lists(grads: DeepMLP):
    W, b = nb_lists(grads)
    return W, [v for v in b]


def test_gradients_ii_output_and_backprop_equal_the_notebook_loops():
    net = U.gradients_ii_network()
    x, y = np.full((1, 1), U.GRADIENTS_II_INPUT), np.full((1, 1), U.GRADIENTS_II_TARGET)
    W, b = nb_lists(net)
    out, f, h = nb_forward(x, W, b)
    assert f"{out[0, 0]:.3f}" == "1.907"  # 'True output = 1.907'
    dW, db, dl_df, dl_dh = nb_backward(W, f, h, y)
    with jax.enable_x64(True):
        jnet = jax.tree.map(jnp.asarray, net)
        bw = jax.jit(G.relu_backward)(jnet, jnp.asarray(x[:, 0]), jnp.asarray(y[:, 0]))
        assert float(bw.loss) == pytest.approx(float(np.sum((out - y) ** 2)), rel=1e-14)
        assert float(bw.output[0]) == pytest.approx(float(out[0, 0]), rel=1e-14)
        got_W, got_b = to_lists(bw.grads)
        for k in range(len(W)):
            np.testing.assert_allclose(got_W[k], dW[k], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(got_b[k], db[k], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(bw.dl_df, np.stack([v[:, 0] for v in dl_df[:-1]]), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(bw.dl_dout, dl_df[-1][:, 0], rtol=1e-14)
        np.testing.assert_allclose(bw.dl_dh, np.stack([v[:, 0] for v in dl_dh[1:]]), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(bw.dl_dx, dl_dh[0][:, 0], rtol=1e-12)
        chex.assert_shape([bw.dl_df, bw.dl_dh, bw.grads.W_hid], [(5, 6), (5, 6), (4, 6, 6)])


def test_gradients_ii_backprop_equals_jax_grad_and_finite_differences():
    with jax.enable_x64(True):
        net = jax.tree.map(jnp.asarray, U.gradients_ii_network())
        x, y = jnp.asarray([U.GRADIENTS_II_INPUT]), jnp.asarray([U.GRADIENTS_II_TARGET])
        loss = lambda n: G.relu_loss(n, x, y)  # noqa: E731
        manual, auto, central, forward = jax.jit(lambda n: (
            G.relu_backward(n, x, y).grads, jax.grad(loss)(n), FD.finite_differences(loss, n, 1e-6),
            FD.finite_differences(loss, n, 1e-6, "forward")))(net)
        chex.assert_trees_all_close(manual, auto, rtol=1e-12, atol=1e-12)
        scale = max(float(jnp.max(jnp.abs(leaf))) for leaf in jax.tree.leaves(auto))
        chex.assert_trees_all_close(central, auto, atol=1e-7 * scale)
        # the notebook's check (forward differences, delta 1e-6): agree to its printed 3 digits
        chex.assert_trees_all_close(forward, auto, atol=1e-3 * scale)


def test_backprop_vmaps_over_inputs_and_networks_jit_equals_no_jit(key):
    nets = jax.jit(jax.vmap(lambda k: init_deep_mlp(k, 4, 5)._replace(b_in=0.3 * jnp.ones(5), b_hid=0.1 * jnp.ones(
        (3, 5)))))(jax.random.split(key, 3))
    x_n1 = np.random.default_rng(0).normal(size=(7, 1)).astype(np.float32)
    y_n1 = np.ones((7, 1), np.float32)
    per_net = lambda n: jax.vmap(lambda x, y: G.relu_backward(n, x, y).grads)(x_n1, y_n1)  # noqa: E731
    per_net_auto = lambda n: jax.vmap(jax.grad(G.relu_loss), in_axes=(None, 0, 0))(n, x_n1, y_n1)  # noqa: E731
    manual = jax.jit(jax.vmap(per_net))(nets)
    chex.assert_shape([manual.W_in, manual.W_hid, manual.W_out], [(3, 7, 5, 1), (3, 7, 3, 5, 5), (3, 7, 1, 5)])
    chex.assert_trees_all_close(manual, jax.jit(jax.vmap(per_net_auto))(nets), rtol=1e-4, atol=1e-5)
    one = jax.tree.map(lambda a: a[1], nets)
    eager = G.relu_backward(one, x_n1[2], y_n1[2])
    chex.assert_trees_all_close(jax.tree.map(lambda a: a[1, 2], manual), eager.grads, rtol=1e-5, atol=1e-6)
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(manual))


def test_one_hidden_layer_and_the_indicator_at_zero():
    with jax.enable_x64(True):
        net = jax.tree.map(lambda a: a.astype(jnp.float64), init_deep_mlp(jax.random.key(1), 1, 3))
        x, y = jnp.ones(1), jnp.zeros(1)
        both = jax.jit(lambda n: (G.relu_backward(n, x, y).grads, jax.grad(G.relu_loss)(n, x, y)))
        chex.assert_trees_all_close(*both(net), rtol=1e-12)
        # a pre-activation exactly at 0: the notebook's indicator passes the gradient, jax's relu does not
        manual, auto = both(net._replace(W_in=net.W_in.at[0, 0].set(0.0), b_in=net.b_in.at[0].set(0.0)))
        assert float(auto.b_in[0]) == 0.0 and float(manual.b_in[0]) != 0.0
        np.testing.assert_allclose(manual.b_in[1:], auto.b_in[1:], rtol=1e-12)


def test_finite_difference_orders_and_the_best_step():
    """Forward differences are first order, central second order, and round-off wins for tiny steps."""
    with jax.enable_x64(True):
        p, x = composite()
        f = lambda q: G.composite_fn(q, x)  # noqa: E731
        eps = jnp.logspace(-13, -3, 11)
        fwd, cen = (np.asarray(jax.jit(lambda e, s=s: FD.fd_error(f, p, e, s))(eps)) for s in ("forward", "central"))
        chex.assert_shape([fwd, cen], [(11,), (11,)])
        assert 8 < fwd[-1] / fwd[-2] < 12  # eps / 10: the error / 10 (first order) ...
        assert 80 < cen[-1] / cen[-2] < 120  # ... and / 100 (second order)
        # round-off ~ machine eps / eps wins for small steps: the best step is near sqrt(machine eps) for
        # forward and the cube root for central differences, and tiny steps are worse by orders of magnitude
        assert 1e-10 <= eps[np.argmin(fwd)] <= 1e-7 and 1e-7 <= eps[np.argmin(cen)] <= 1e-5
        assert fwd[0] > 1e3 * fwd.min() and cen[0] > 1e3 * cen.min() and cen.min() < 1e-2 * fwd.min()
        with pytest.raises(ValueError, match="scheme"):
            FD.finite_differences(f, p, 1e-3, "backward")
