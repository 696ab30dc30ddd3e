"""Model contract v2: inputs of any shape, randomness in apply, mutable state, Flax NNX modules."""
# (optax.adam fails under the strict dtype promotion these tests run with: its bias correction mixes int and float.)
import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from jdl import losses, nn, sweep
from jdl.data import Dataset
from jdl.train import make_train


def xent(logits, y):
    return losses.softmax_xent(logits=logits, labels=y)


def signal_data(key, n=24, length=12, channels=2, classes=3):
    """Signals (L, C) whose class shifts the mean of channel 0: learnable by a small CNN."""
    y = jnp.arange(n) % classes
    x = jax.random.normal(key, (n, length, channels)) + y[:, None, None].astype(jnp.float32) * jnp.array([1.0, 0.0])
    return Dataset(x, y, x[: n // 2], y[: n // 2])


def cnn(in_shape, rngs):
    """Conv + BatchNorm + ReLU + Dropout + global average pool + Linear, all Flax layers."""
    return nnx.Sequential(
        nnx.Conv(in_shape[-1], 6, kernel_size=(3,), rngs=rngs), nnx.BatchNorm(6, momentum=0.8, rngs=rngs),
        nnx.relu, nnx.Dropout(0.3, rngs=rngs), lambda h: h.mean(axis=-2), nnx.Linear(6, 3, rngs=rngs))


@pytest.fixture(scope="module")
def trained():
    data = signal_data(jax.random.key(7))
    train = make_train(nn.nnx_model(cnn), xent, optax.sgd(0.05, momentum=0.9), epochs=3, batch_size=8)
    keys = jax.random.split(jax.random.key(0), 4)
    together = jax.jit(jax.vmap(train, in_axes=(0, None)))(keys, data)
    one = jax.jit(train)
    alone = [one(k, data) for k in keys]
    return data, train, together, alone


def test_flax_cnn_vmapped_over_seeds_equals_separate_runs(trained):
    _, _, (state_v, hist_v), alone = trained
    for i, (state_i, hist_i) in enumerate(alone):
        chex.assert_trees_all_close(jax.tree.map(lambda a: a[i], hist_v), hist_i, rtol=1e-5, atol=1e-6)
        chex.assert_trees_all_close(jax.tree.map(lambda a: a[i], state_v.params), state_i.params, rtol=1e-5, atol=1e-6)
    chex.assert_shape(hist_v["test_loss"], (4, 4))
    assert np.all(np.isfinite(hist_v["train_loss"]))
    assert float(hist_v["train_loss"][:, -1].mean()) < float(hist_v["train_loss"][:, 0].mean())  # it learns
    assert not np.allclose(hist_v["train_loss"][0], hist_v["train_loss"][1])  # seeds differ


def test_batchnorm_statistics_move_in_training_and_are_used_in_evaluation(trained):
    data, train, _, alone = trained
    model = nn.nnx_model(cnn)
    params0, stats0 = model.init(jax.random.key(0), data.x_train.shape[1:])
    state = alone[0][0]
    moved = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))), state.model_state, stats0)
    assert max(jax.tree.leaves(moved)) > 1e-3, moved
    # evaluation reads the running statistics: other statistics give other outputs
    y_eval, s_eval = model.apply(state.params, data.x_test, state=state.model_state)
    y_other, _ = model.apply(state.params, data.x_test, state=stats0)
    assert not np.allclose(y_eval, y_other)
    chex.assert_trees_all_equal(s_eval, state.model_state)  # evaluation leaves the statistics alone


def test_evaluation_is_deterministic_and_training_is_random(trained):
    data, _, _, alone = trained
    model, st = nn.nnx_model(cnn), alone[0][0]
    a, _ = model.apply(st.params, data.x_test, state=st.model_state)
    b, _ = model.apply(st.params, data.x_test, state=st.model_state, key=jax.random.key(3))
    chex.assert_trees_all_equal(a, b)
    t1, _ = model.apply(st.params, data.x_test, state=st.model_state, key=jax.random.key(1), train=True)
    t2, _ = model.apply(st.params, data.x_test, state=st.model_state, key=jax.random.key(2), train=True)
    t1b, _ = model.apply(st.params, data.x_test, state=st.model_state, key=jax.random.key(1), train=True)
    assert not np.allclose(t1, t2)  # dropout masks follow the key
    chex.assert_trees_all_equal(t1, t1b)
    with pytest.raises(ValueError, match="key"):
        model.apply(st.params, data.x_test, state=st.model_state, train=True)


def test_two_dropout_layers_draw_different_masks():
    def make(in_shape, rngs):
        return nnx.Sequential(nnx.Dropout(0.5, rngs=rngs), nnx.Dropout(0.5, rngs=rngs))

    class Twice(nnx.Module):  # both masks on the same input: a shared key would give equal masks
        def __init__(self, in_shape, rngs):
            self.a, self.b = nnx.Dropout(0.5, rngs=rngs), nnx.Dropout(0.5, rngs=rngs)

        def __call__(self, x):
            return jnp.stack([self.a(x), self.b(x)])

    del make
    m = nn.nnx_model(Twice)
    p, s = m.init(jax.random.key(0), (64,))
    y, _ = m.apply(p, jnp.ones((1, 64)), state=s, key=jax.random.key(5), train=True)
    assert not np.array_equal(y[0], y[1])


def test_sweep_over_learning_rates_compiles_once():
    data = signal_data(jax.random.key(1))
    model = nn.nnx_model(cnn)

    @chex.assert_max_traces(n=1)
    def member(key, hp):
        train = make_train(model, xent, optax.inject_hyperparams(optax.sgd)(learning_rate=hp["lr"]),
                           epochs=2, batch_size=8)
        return train(key, data)[1]["test_loss"]

    out = sweep.run(member, [0, 1], {"lr": np.array([0.01, 0.1, 0.3], np.float32)}, progress=False)
    chex.assert_shape(out, (2, 3, 3))
    assert np.all(np.isfinite(out))
    # a member alone equals the member inside the sweep
    alone = jax.jit(lambda k: make_train(model, xent, optax.sgd(0.1), epochs=2, batch_size=8)(k, data)[1]["test_loss"])
    np.testing.assert_allclose(out[1, 1], alone(jax.random.key(1)), rtol=1e-5, atol=1e-6)


def test_tokens_embedding_and_gru_through_make_train():
    vocab, length = 7, 5

    class GRUClassifier(nnx.Module):
        def __init__(self, in_shape, rngs):
            self.embed = nnx.Embed(vocab, 8, rngs=rngs)
            self.rnn = nnx.RNN(nnx.GRUCell(8, 8, rngs=rngs))
            self.out = nnx.Linear(8, 2, rngs=rngs)

        def __call__(self, tokens_bq):
            return self.out(self.rnn(self.embed(tokens_bq))[:, -1])

    tokens = jax.random.randint(jax.random.key(0), (32, length), 0, vocab)
    y = (tokens[:, 0] > 3).astype(jnp.int32)  # the label is in the first token: the GRU must carry it
    data = Dataset(tokens, y, tokens, y)
    train = make_train(nn.nnx_model(GRUClassifier), xent, optax.sgd(0.3, momentum=0.9), epochs=30, batch_size=32)
    _, hist = jax.jit(jax.vmap(train, in_axes=(0, None)))(jax.random.split(jax.random.key(1), 2), data)
    chex.assert_shape(hist["train_loss"], (2, 31))
    assert float(hist["train_loss"][:, -1].max()) < 0.5 * float(hist["train_loss"][:, 0].min())


def test_attention_module_in_any_input_shape():
    class Attend(nnx.Module):
        def __init__(self, in_shape, rngs):
            self.attn = nnx.MultiHeadAttention(num_heads=2, in_features=in_shape[-1], qkv_features=8,
                                               decode=False, rngs=rngs)
            self.out = nnx.Linear(in_shape[-1], 1, rngs=rngs)

        def __call__(self, x_bqd):
            return self.out(self.attn(x_bqd).mean(axis=1))[:, 0]

    m = nn.nnx_model(Attend)
    p, s = m.init(jax.random.key(0), (6, 4))
    y, _ = nn.apply_batch(m, p, s, jnp.ones((3, 6, 4)))
    chex.assert_shape(y, (3,))


def test_per_example_stochastic_model_gets_a_key_per_example():
    """Input noise written for one example: keys are split over the batch; evaluation is noise-free."""
    base = nn.dense(1)

    def apply(params, x, *, key=None, train=False):
        if train:
            x = x + 0.5 * jax.random.normal(key, x.shape)
        return base.apply(params, x)

    model = nn.Model(base.init, apply, stochastic=True)
    p = model.init(jax.random.key(0), (3,))
    x = jnp.ones((4, 3))
    y_train, _ = nn.apply_batch(model, p, None, x, key=jax.random.key(1), train=True)
    y_eval, _ = nn.apply_batch(model, p, None, x)
    assert len(np.unique(np.asarray(y_train).round(6))) == 4  # a different noise draw per example
    np.testing.assert_allclose(y_eval, jnp.broadcast_to(base.apply(p, x[0]), (4, 1)), rtol=1e-6)
    train = make_train(model, lambda o, t: losses.mse(pred=o, target=t), optax.sgd(0.05), epochs=3, batch_size=2)
    xs = jax.random.normal(jax.random.key(2), (8, 3))
    _, hist = jax.jit(train)(jax.random.key(3), Dataset(xs, xs[:, :1], xs, xs[:, :1]))
    assert np.all(np.isfinite(hist["train_loss"]))


def test_in_shape_is_one_example_and_dense_layers_check_it():
    seen = {}

    def init(key, in_shape):
        seen["shape"] = in_shape
        return jnp.zeros(in_shape)

    model = nn.Model(init, lambda p, x: jnp.sum(p * x)[None])
    x = jnp.ones((10, 4, 5, 2))
    make_train(model, lambda o, t: losses.mse(pred=o, target=t), optax.sgd(0.1), epochs=1, batch_size=5)(
        jax.random.key(0), Dataset(x, jnp.ones((10, 1)), x, jnp.ones((10, 1))))
    assert seen["shape"] == (4, 5, 2)
    with pytest.raises(ValueError, match="in_shape"):
        nn.dense(3).init(jax.random.key(0), (4, 5, 2))
    with pytest.raises(ValueError, match="stateful"):
        nn.apply_batch(nn.Model(lambda k, s: ((), ()), lambda p, x, state, train: (x, state), stateful=True),
                       (), (), x)


def test_drop_last_keeps_padding_out_of_batch_statistics():
    data = signal_data(jax.random.key(2), n=20)
    train = make_train(nn.nnx_model(cnn), xent, optax.sgd(0.05, momentum=0.9), epochs=1, batch_size=8, drop_last=True)
    state, _ = jax.jit(train)(jax.random.key(0), data)
    assert int(state.step) == 2  # 20 // 8 full batches, the short one dropped
    with pytest.raises(ValueError, match="drop_last"):
        train(jax.random.key(0), data._replace(w_train=jnp.ones(20)))
