import jax
import jax.numpy as jnp
import numpy as np

from jdl import losses


def test_mse_per_example_matches_numpy(key):
    pred, target = jax.random.normal(key, (6, 3)), jnp.zeros((6, 3))
    out = losses.mse(pred=pred, target=target)
    assert out.shape == (6,)
    np.testing.assert_allclose(out, np.mean(np.asarray(pred) ** 2, axis=1), rtol=1e-6)
    np.testing.assert_allclose(losses.mse(pred=jnp.float32(2.0), target=jnp.float32(0.5)), 2.25)


def test_softmax_xent_and_nll_match_numpy(key):
    logits = jax.random.normal(key, (5, 4))
    labels = jnp.array([0, 1, 2, 3, 1])
    z = np.asarray(logits, np.float64)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    ref = -logp[np.arange(5), np.asarray(labels)]
    np.testing.assert_allclose(losses.softmax_xent(logits=logits, labels=labels), ref, rtol=1e-5)
    np.testing.assert_allclose(losses.nll(log_probs=jax.nn.log_softmax(logits), labels=labels), ref, rtol=1e-5)


def test_weighted_mean_divides_by_true_count():
    v = jnp.array([1.0, 3.0, 100.0])
    np.testing.assert_allclose(losses.weighted_mean(v, jnp.array([1.0, 1.0, 0.0])), 2.0)
    assert float(losses.weighted_mean(v, jnp.zeros(3))) == 0.0  # all padding: no NaN


def test_sign_error():
    e = losses.sign_error(pred=jnp.array([[0.3], [-2.0]]), target=jnp.array([1.0, 1.0]))
    np.testing.assert_array_equal(e, [0.0, 1.0])
