import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl import nn


def test_dense_shapes_and_numpy_reference(key):
    layer = nn.dense(5, W_std=2.0, b_std=0.5)
    p = layer.init(key, (3,))
    chex.assert_shape(p["W"], (5, 3))
    chex.assert_shape(p["b"], (5,))
    x = jnp.arange(3.0)
    np.testing.assert_allclose(layer.apply(p, x), np.asarray(p["W"]) @ np.arange(3.0) + np.asarray(p["b"]), rtol=1e-6)


@pytest.mark.parametrize("scheme,expected", [("he", 2.0), ("lecun", 1.0), ("glorot", 2 * 400 / (400 + 100))])
def test_init_scheme_variances(key, scheme, expected):
    p = nn.dense(100, init=scheme).init(key, (400,))
    # Var(W) = W_std^2 / fan_in; 40k draws: relative sampling error ~ 1 %
    np.testing.assert_allclose(float(jnp.var(p["W"])) * 400, expected, rtol=0.05)


def test_ntk_and_standard_agree_at_init(key):
    x = jax.random.normal(key, (7,))
    std = nn.mlp([32, 32], 3, W_std=1.5, b_std=0.1, parameterization="standard")
    ntk = nn.mlp([32, 32], 3, W_std=1.5, b_std=0.1, parameterization="ntk")
    # same draws, different placement of the scale: identical function at init
    np.testing.assert_allclose(std.apply(std.init(key, (7,)), x), ntk.apply(ntk.init(key, (7,)), x), rtol=1e-5, atol=1e-6)


def test_masked_mlp_equals_narrow_mlp(key):
    x = jax.random.normal(key, (4,))
    wide = nn.mlp([64, 32], 2, b_std=0.3, true_widths=[10, 7])
    narrow = nn.mlp([10, 7], 2, b_std=0.3)
    pw, pn = wide.init(key, (4,)), narrow.init(key, (4,))
    np.testing.assert_allclose(wide.apply(pw, x), narrow.apply(pn, x), rtol=1e-5, atol=1e-6)
    # padded units get no gradient, so any optimiser leaves them where they are
    g = jax.grad(lambda p: jnp.sum(wide.apply(p, x) ** 2))(pw)
    assert float(jnp.abs(g[0]["W"][10:]).max()) == 0.0
    assert float(jnp.abs(g[2]["W"][:, 10:]).max()) == 0.0


def test_masked_widths_can_be_traced(key):
    x = jnp.ones(3)

    def out(h):
        net = nn.mlp([16], 1, true_widths=[h])
        return net.apply(net.init(key, (3,)), x)

    chex.assert_shape(jax.vmap(out)(jnp.arange(1, 9)), (8, 1))


def test_jit_matches_no_jit(key):
    net = nn.mlp([8, 8], 2, activation_fn="tanh", init="glorot")
    p = net.init(key, (5,))
    x = jnp.linspace(-1, 1, 5)
    chex.assert_trees_all_close(jax.jit(net.apply)(p, x), net.apply(p, x), rtol=1e-6)


def test_relu_net_is_positively_homogeneous(key):
    # Science invariant: bias-free ReLU nets satisfy f(c x) = c f(x) for c > 0.
    net = nn.mlp([16, 16], 1, b_std=0.0)
    p = net.init(key, (3,))
    x = jax.random.normal(key, (3,))
    np.testing.assert_allclose(net.apply(p, 3.0 * x), 3.0 * net.apply(p, x), rtol=1e-5)


def test_bad_configs_raise():
    with pytest.raises(ValueError, match="init"):
        nn.mlp([4], 1, init="xavier")
    with pytest.raises(ValueError, match="parameterization"):
        nn.dense(3, parameterization="mup")
    with pytest.raises(ValueError, match="activation"):
        nn.activation("swishy")
    with pytest.raises(ValueError, match="hidden"):
        nn.mlp([0], 1)
