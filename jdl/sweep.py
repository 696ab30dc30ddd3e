"""Run one function over many sweep members: vmapped, chunked, sharded, checkpointed.

A *member* is one (seed, hyperparameter) combination. :func:`run` takes ``train(key, hparams)``,
seeds and a grid of hyperparameters and evaluates every member with ``jit(vmap(train))``:

* **one program:** hyperparameters are arrays, so the whole grid shares one compilation; widths
  that change shapes are padded to the largest and masked (``jdl.nn.mlp(true_widths=...)``);
* **chunks:** members run ``chunk_size`` at a time (the same compiled program for every chunk, the
  last one padded), with a tqdm bar per chunk;
* **sharding:** each chunk's member axis is laid out over ``jax.devices()`` with a one-axis
  ``Mesh`` and ``NamedSharding`` (chunk sizes are rounded up to a multiple of the device count);
* **checkpoints:** with ``checkpoint_dir``, every finished chunk is saved atomically and a rerun
  loads it instead of recomputing, so an interrupted sweep resumes to identical results.

A member's result does not depend on the other members of its chunk: vmapped members never
interact.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jdl.io import load_npz, save_json, save_npz

__all__ = ["grid", "seed_keys", "member_mesh", "map_members", "run", "nonfinite"]

PyTree = Any


def grid(**axes) -> dict[str, np.ndarray]:
    """Cartesian product of hyperparameter axes, flattened (the first axis varies slowest).

    >>> g = grid(lr=[0.1, 0.01], width=[4, 8, 16])
    >>> g["lr"].tolist(), g["width"].tolist()
    ([0.1, 0.1, 0.1, 0.01, 0.01, 0.01], [4, 8, 16, 4, 8, 16])
    """
    if not axes:
        return {}
    names = list(axes)
    values = [np.asarray(axes[k]) for k in names]
    for k, v in zip(names, values):
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"{k}: a grid axis must be a non-empty 1-D sequence, got shape {v.shape}")
    combos = list(itertools.product(*[range(len(v)) for v in values]))
    return {k: v[[c[i] for c in combos]] for i, (k, v) in enumerate(zip(names, values))}


def seed_keys(seeds) -> jax.Array:
    """Typed PRNG keys ``jax.random.key(s)`` for each integer seed, stacked ``(S,)``."""
    seeds = np.asarray(seeds, dtype=np.uint32).reshape(-1)
    if seeds.size == 0:
        raise ValueError("seeds: need at least one seed")
    return jax.vmap(jax.random.key)(jnp.asarray(seeds))


def member_mesh(devices=None) -> Mesh:
    """One-axis mesh named ``"member"`` over ``devices`` (default: all local devices)."""
    devices = jax.local_devices() if devices is None else list(devices)
    return Mesh(np.asarray(devices), ("member",))


def _num_members(inputs: PyTree) -> int:
    sizes = {x.shape[0] for x in jax.tree.leaves(inputs)}
    if len(sizes) != 1:
        raise ValueError(f"inputs: every leaf needs the same leading (member) axis, got sizes {sorted(sizes)}")
    return sizes.pop()


def _to_numpy(tree: PyTree) -> PyTree:
    return jax.tree.map(
        lambda x: np.asarray(jax.random.key_data(x)) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key)
        else np.asarray(x), tree)


def _fingerprint(inputs: PyTree, extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for leaf in jax.tree.leaves(_to_numpy(inputs)):
        h.update(str((leaf.shape, leaf.dtype)).encode())
        h.update(np.ascontiguousarray(leaf).tobytes())
    return h.hexdigest()[:16]


def map_members(fn: Callable[[PyTree], PyTree], inputs: PyTree, *, chunk_size: int | None = None,
                devices=None, checkpoint_dir: str | Path | None = None, fingerprint: str = "",
                progress: bool = True, desc: str = "sweep") -> PyTree:
    """Apply ``fn`` (written for one member) to every member of ``inputs`` (leading axis).

    Args:
      fn: ``fn(member_inputs) -> outputs`` for one member; must be jit-able.
      inputs: pytree whose leaves share a leading member axis of size ``M`` (typed keys allowed).
      chunk_size: members per compiled call (default: all). Rounded up to a multiple of the
        device count; the last chunk is padded by repeating member 0, and the padding is dropped.
      devices: devices to shard over (default: all local devices).
      checkpoint_dir: if given, each finished chunk is saved there and reused by a later call
        with the same inputs, ``chunk_size`` and ``fingerprint``.
      fingerprint: a string identifying everything else the results depend on (e.g. the config).
      progress: show a tqdm bar over chunks.
      desc: bar label.

    Returns:
      ``fn``'s outputs stacked over members, as NumPy arrays with leading axis ``M``.
    """
    from tqdm.auto import tqdm

    M = _num_members(inputs)
    mesh = member_mesh(devices)
    n_dev = mesh.devices.size
    chunk = M if chunk_size is None else max(1, min(int(chunk_size), M))
    chunk = math.ceil(chunk / n_dev) * n_dev
    n_chunks = math.ceil(M / chunk)
    pad = n_chunks * chunk - M
    padded = jax.tree.map(
        lambda x: jnp.concatenate([x, jnp.repeat(x[:1], pad, axis=0)]) if pad else x, inputs)
    sharding = NamedSharding(mesh, PartitionSpec("member"))
    vfn = jax.jit(jax.vmap(fn), in_shardings=(sharding,), out_shardings=sharding)
    first = jax.tree.map(lambda x: x[:chunk], padded)
    # abstract inputs with the sharding (and canonical dtype) of the real calls: this shape query and the
    # calls then share one trace
    def abstract(x):
        dtype = jax.dtypes.canonicalize_dtype(x.dtype, allow_extended_dtype=True)
        return jax.ShapeDtypeStruct(x.shape, dtype, sharding=sharding)

    out_struct = jax.eval_shape(vfn, jax.tree.map(abstract, first))
    treedef = jax.tree.structure(out_struct)

    ckpt = None
    if checkpoint_dir is not None:
        ckpt = Path(checkpoint_dir)
        meta = {"fingerprint": _fingerprint(inputs, f"{fingerprint}|{chunk}"), "chunk": chunk,
                "n_chunks": n_chunks, "members": M}
        meta_path = ckpt / "meta.json"
        if meta_path.exists() and json.loads(meta_path.read_text()) != meta:
            for old in ckpt.glob("chunk_*.npz"):  # a different sweep: its chunks do not apply
                old.unlink()
        save_json(meta_path, meta)

    results = []
    bar = tqdm(range(n_chunks), desc=desc, disable=not progress or n_chunks == 1, leave=False)
    for i in bar:
        path = None if ckpt is None else ckpt / f"chunk_{i:05d}.npz"
        if path is not None and path.exists():
            stored = load_npz(path)
            leaves = [stored[f"leaf_{j}"] for j in range(treedef.num_leaves)]
        else:
            part = jax.tree.map(lambda x: x[i * chunk:(i + 1) * chunk], padded)
            part = jax.device_put(part, sharding)
            leaves = [np.asarray(x) for x in jax.tree.leaves(vfn(part))]
            if path is not None:
                save_npz(path, **{f"leaf_{j}": v for j, v in enumerate(leaves)})
        results.append(leaves)
    stacked = [np.concatenate(parts)[:M] for parts in zip(*results)]
    return jax.tree.unflatten(treedef, stacked)


def run(train: Callable[[jax.Array, Mapping[str, jax.Array]], PyTree], seeds, hparams: Mapping | None = None,
        *, grid_block: int | None = None, devices=None, **map_kwargs) -> PyTree:
    """Evaluate ``train(key, hparams)`` for every seed x grid point in one compiled program.

    Members of one seed share its key (common random numbers across the grid), and they are
    vmapped *inside* a per-seed call, so whatever depends on the key alone (features, data
    shuffles, minibatch gathers) is computed once per seed rather than once per grid point: a
    grid of widths then trains as one batched matrix product per step.

    Args:
      train: ``train(key, hparams) -> outputs`` for one member, ``hparams`` a dict of scalars.
      seeds: integer seeds; member keys are ``jax.random.key(seed)``.
      hparams: dict of equal-length 1-D arrays (e.g. from :func:`grid`), or ``None``.
      grid_block: grid points per sweep member (default: enough blocks that seeds x blocks
        covers the devices). Each (seed, block) is one member of :func:`map_members`.
      devices: devices to shard members over (default: all local devices).
      **map_kwargs: forwarded to :func:`map_members` (``chunk_size``, ``checkpoint_dir``,
        ``fingerprint``, ``progress``, ``desc``).

    Returns:
      ``train``'s outputs with leading axes ``(n_seeds, n_grid)`` (``n_grid = 1`` without hparams).
    """
    keys = seed_keys(seeds)
    S = keys.shape[0]
    hp = {k: np.asarray(v) for k, v in (hparams or {}).items()}
    G = len(next(iter(hp.values()))) if hp else 1
    for k, v in hp.items():
        if v.shape[:1] != (G,):
            raise ValueError(f"{k}: every hyperparameter needs {G} values, got shape {v.shape}")
    if grid_block is None:
        n_dev = member_mesh(devices).devices.size
        grid_block = math.ceil(G / math.ceil(n_dev / S)) if n_dev > S else G
    grid_block = max(1, min(int(grid_block), G))
    n_blocks = math.ceil(G / grid_block)
    pad = n_blocks * grid_block - G  # repeat the last grid point; dropped below
    blocks = {k: np.concatenate([v, np.repeat(v[-1:], pad, 0)]).reshape((n_blocks, grid_block) + v.shape[1:])
              for k, v in hp.items()}
    member_keys = jnp.repeat(keys, n_blocks, axis=0)
    member_hp = {k: np.tile(v, (S,) + (1,) * (v.ndim - 1)) for k, v in blocks.items()}

    def member(m):
        key, hps = m
        return jax.vmap(lambda h: train(key, h))(hps) if hp else jax.tree.map(
            lambda x: x[None], train(key, {}))

    out = map_members(member, (member_keys, member_hp), devices=devices, **map_kwargs)
    return jax.tree.map(lambda x: x.reshape((S, n_blocks * grid_block) + x.shape[2:])[:, :G], out)


def nonfinite(tree: PyTree, batch_ndim: int) -> np.ndarray:
    """Per-member flag: does any value of the member (leading ``batch_ndim`` axes) fail ``isfinite``?

    Use it to report diverged members rather than averaging them away.
    """
    leaves = jax.tree.leaves(tree)
    flags = [~np.isfinite(np.asarray(x)).reshape(np.shape(x)[:batch_ndim] + (-1,)).all(-1) for x in leaves]
    return np.logical_or.reduce(flags)
