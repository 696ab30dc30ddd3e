import os
import subprocess
import sys
import textwrap

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jdl import losses, nn, sweep
from jdl.data import Dataset
from jdl.train import make_train


def test_grid_is_a_cartesian_product():
    g = sweep.grid(a=[1, 2], b=[10, 20, 30])
    assert g["a"].tolist() == [1, 1, 1, 2, 2, 2] and g["b"].tolist() == [10, 20, 30, 10, 20, 30]
    with pytest.raises(ValueError, match="b"):
        sweep.grid(a=[1], b=[])


def toy(key, hp):
    """A member whose output depends on its key and hyperparameters."""
    return {"v": hp["scale"] * jax.random.normal(key, (3,)), "s": hp["scale"] + jnp.float32(0)}


def test_run_shapes_and_common_random_numbers():
    out = sweep.run(toy, [0, 1, 2], {"scale": np.array([1.0, 2.0], np.float32)}, progress=False)
    chex.assert_shape(out["v"], (3, 2, 3))
    np.testing.assert_allclose(out["v"][:, 1], 2 * out["v"][:, 0], rtol=1e-6)  # same key across the grid
    assert not np.allclose(out["v"][0, 0], out["v"][1, 0])  # different seeds differ
    with pytest.raises(ValueError, match="seeds"):
        sweep.run(toy, [], {"scale": np.ones(2, np.float32)})


def test_member_independent_of_batch_and_chunking():
    hp = {"scale": np.linspace(0.5, 3, 7).astype(np.float32)}
    full = sweep.run(toy, [3, 4], hp, progress=False)
    blocks = sweep.run(toy, [3, 4], hp, grid_block=2, chunk_size=3, progress=False)
    alone = sweep.run(toy, [4], {"scale": hp["scale"][5:6]}, progress=False)
    chex.assert_trees_all_close(full, blocks, rtol=1e-6)
    np.testing.assert_allclose(alone["v"][0, 0], full["v"][1, 5], rtol=1e-6)


def test_one_compilation_for_all_chunks():
    traces = []

    def member(x):
        traces.append(1)  # runs once per trace, not per call
        return jnp.sin(x) * 2

    out = sweep.map_members(member, np.arange(20, dtype=np.float32), chunk_size=4, progress=False)
    np.testing.assert_allclose(out, 2 * np.sin(np.arange(20)), rtol=1e-6)
    assert len(traces) <= 2  # eval_shape + the one jit trace, for 5 chunks


def test_checkpoint_resume_gives_identical_results(tmp_path):
    calls = []

    def member(m):
        key, x = m
        calls.append(1)
        return x + jax.random.uniform(key)

    keys = sweep.seed_keys(range(10))
    x = np.arange(10, dtype=np.float32)
    first = sweep.map_members(member, (keys, x), chunk_size=2, checkpoint_dir=tmp_path, progress=False)
    assert len(list(tmp_path.glob("chunk_*.npz"))) == 5
    (tmp_path / "chunk_00003.npz").unlink()  # an interrupted run: one chunk missing
    (tmp_path / "chunk_00004.npz").unlink()
    resumed = sweep.map_members(member, (keys, x), chunk_size=2, checkpoint_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(first, resumed)
    # a different sweep in the same folder must not reuse the old chunks
    other = sweep.map_members(member, (keys, x + 1), chunk_size=2, checkpoint_dir=tmp_path, progress=False)
    np.testing.assert_allclose(other, first + 1, rtol=1e-6)


def test_sgd_sweep_flags_diverged_members(key):
    kx, kw = jax.random.split(key)
    x = jax.random.normal(kx, (64, 4))
    ds = Dataset(x, x @ jax.random.normal(kw, (4,)), x, x @ jax.random.normal(kw, (4,)))
    train = make_train(nn.dense(1), lambda o, y: losses.mse(pred=o[0], target=y), lambda h: optax.sgd(h["lr"]),
                       epochs=30, batch_size=64)
    out = sweep.run(lambda k, h: train(k, ds, h)[1], [0, 1], {"lr": np.array([0.01, 0.1, 50.0], np.float32)},
                    progress=False)
    flags = sweep.nonfinite(out["train_loss"], 2)
    np.testing.assert_array_equal(flags, [[False, False, True], [False, False, True]])
    assert np.isfinite(out["train_loss"][:, :2]).all()


def test_sharded_over_eight_devices_matches_one_device():
    code = textwrap.dedent("""
        import json, jax, numpy as np
        from jdl import sweep
        assert jax.device_count() == 8, jax.devices()
        def member(key, hp):
            return hp["scale"] * jax.random.normal(key, (4,))
        out = sweep.run(member, [0, 1, 2], {"scale": np.arange(1, 6, dtype=np.float32)}, progress=False)
        print(json.dumps(np.asarray(out).tolist()))
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-2000:]
    sharded = np.asarray(__import__("json").loads(res.stdout.strip().splitlines()[-1]))
    local = sweep.run(lambda k, hp: hp["scale"] * jax.random.normal(k, (4,)), [0, 1, 2],
                      {"scale": np.arange(1, 6, dtype=np.float32)}, progress=False)
    np.testing.assert_allclose(sharded, local, rtol=1e-6)
