import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jdl import losses, nn
from jdl.data import Dataset
from jdl.train import epoch_batches, make_step, make_train

MSE = lambda o, y: losses.mse(pred=o, target=y)  # noqa: E731


def linear_data(key, n=50, d=3):
    kx, kw = jax.random.split(key)
    x = jax.random.normal(kx, (n, d))
    w = jax.random.normal(kw, (d,))
    return Dataset(x, x @ w, x[:10], x[:10] @ w)


def test_epoch_batches_follow_dataloader_semantics(key):
    idx, w = epoch_batches(key, 898, 32)
    chex.assert_shape(idx, (29, 32))  # ceil(898 / 32) steps, the last with 2 real rows
    assert float(w.sum()) == 898 and float(w[-1].sum()) == 2
    assert sorted(np.asarray(idx).reshape(-1)[:898].tolist()) == list(range(898))


def test_epoch_batches_put_real_rows_first(key):
    valid = (jnp.arange(20) < 13).astype(jnp.float32)
    idx, w = epoch_batches(key, 20, 8, valid)
    real = np.asarray(idx).reshape(-1)[np.asarray(w).reshape(-1) > 0]
    assert sorted(real.tolist()) == list(range(13))


def test_step_reduces_loss_and_matches_optax_by_hand(key):
    ds = linear_data(key)
    model = nn.dense(1, bias=False)
    tx = optax.sgd(0.1)
    p = model.init(key, (3,))
    state = make_step(model, MSE, tx)
    from jdl.train import TrainState

    s0 = TrainState(p, tx.init(p), jnp.zeros((), jnp.int32))
    s1, l0 = state(s0, ds.x_train, ds.y_train[:, None])
    # plain GD by hand: W <- W - lr * grad of the batch mean
    g = jax.grad(lambda q: jnp.mean(jax.vmap(lambda x, y: MSE(model.apply(q, x), y))(ds.x_train, ds.y_train[:, None])))(p)
    np.testing.assert_allclose(s1.params["W"], p["W"] - 0.1 * g["W"], rtol=1e-5)
    _, l1 = state(s1, ds.x_train, ds.y_train[:, None])
    assert float(l1) < float(l0)


def test_all_padding_batch_leaves_state_unchanged(key):
    ds = linear_data(key)
    model = nn.dense(1)
    tx = optax.sgd(0.1, momentum=0.9)
    p = model.init(key, (3,))
    from jdl.train import TrainState

    s0 = TrainState(p, tx.init(p), jnp.zeros((), jnp.int32))
    s1, _ = make_step(model, MSE, tx)(s0, ds.x_train[:4], ds.y_train[:4, None], jnp.zeros(4))
    chex.assert_trees_all_equal(s0, s1)


def make_linear_train(epochs=20, eval_every=1):
    return make_train(nn.dense(1, bias=False), lambda o, y: losses.mse(pred=o[0], target=y),
                      lambda h: optax.sgd(h["lr"]), epochs=epochs, batch_size=8, eval_every=eval_every)


def test_make_train_history_shapes_and_convergence(key):
    ds = linear_data(key)
    state, hist = make_linear_train()(key, ds, {"lr": jnp.float32(0.05)})
    for k in ("train_loss", "test_loss"):
        chex.assert_shape(hist[k], (21,))
        assert np.all(np.isfinite(hist[k]))
    np.testing.assert_array_equal(hist["epoch"], np.arange(21))
    assert float(hist["train_loss"][-1]) < 1e-3 * float(hist["train_loss"][0])
    assert int(state.step) == 20 * 7


def test_make_train_jit_matches_no_jit(key):
    ds = linear_data(key)
    train = make_linear_train(epochs=3)
    hp = {"lr": jnp.float32(0.05)}
    chex.assert_trees_all_close(jax.jit(train)(key, ds, hp)[1], train(key, ds, hp)[1], rtol=1e-5)


def test_make_train_eval_every(key):
    _, hist = make_linear_train(epochs=20, eval_every=5)(key, linear_data(key), {"lr": jnp.float32(0.05)})
    np.testing.assert_array_equal(hist["epoch"], [0, 5, 10, 15, 20])


def test_padded_dataset_uses_true_count(key):
    ds = linear_data(key, n=40)
    padded = Dataset(jnp.concatenate([ds.x_train, 1e3 * jnp.ones((24, 3))]),
                     jnp.concatenate([ds.y_train, jnp.zeros(24)]), ds.x_test, ds.y_test,
                     jnp.concatenate([jnp.ones(40), jnp.zeros(24)]))
    _, hist = make_linear_train(epochs=30)(key, padded, {"lr": jnp.float32(0.05)})
    # the huge padding rows never enter a gradient or the reported train loss
    assert float(hist["train_loss"][-1]) < 1e-3 * float(hist["train_loss"][0])


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="epochs"):
        make_linear_train(epochs=0)
    with pytest.raises(ValueError, match="eval_every"):
        make_linear_train(epochs=10, eval_every=3)
