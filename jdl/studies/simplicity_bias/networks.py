"""Random networks as Boolean functions: hypercube inputs, truth tables, on-device counting.

A network ``f: R^n -> R`` evaluated on all ``2^n`` points of the hypercube defines the Boolean
function ``x_i -> [f(x_i) > 0]``; its truth table (bit ``i`` for input ``i``, the binary expansion of
``i`` least-significant bit first) is packed into ``ceil(2^n / 32)`` uint32 words. Sampling ``M``
networks and counting how often each function appears estimates the prior ``P(f)`` of the
parameter-function map.

References:
  Valle-Pérez, Camargo & Louis, "Deep learning generalizes because the parameter-function map is
  biased towards simple functions", ICLR 2019 (arXiv:1805.08522).
"""
from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jdl.nn import ACTIVATIONS
from jdl.studies.simplicity_bias.complexity import pack_bits

Array = jax.Array

__all__ = ["MAX_INPUTS", "BIAS_SCHEMES", "DISTRIBUTIONS", "CODINGS", "NetSpec", "hypercube", "sample_params",
           "network_outputs", "truth_tables", "Counts", "count_unique", "merge_counts_host", "make_block_step",
           "FunctionCounts", "sample_functions"]

MAX_INPUTS = 12  # 4096-bit tables; LZ76 costs ~L x phrases sequential steps per table
BIAS_SCHEMES = ("large", "small", "none")
DISTRIBUTIONS = ("gaussian", "uniform")
CODINGS = ("01", "pm1")


@dataclasses.dataclass(frozen=True)
class NetSpec:
    """A random fully connected network ``n -> hidden... -> 1`` (linear readout).

    Attributes:
      n_inputs: Boolean inputs ``n`` (``2^n`` table bits).
      hidden: hidden widths (depth = ``len(hidden)``).
      activation: hidden nonlinearity (a name of :data:`jdl.nn.ACTIVATIONS`).
      sigma_w: weights have variance ``sigma_w**2 / fan_in``.
      sigma_b: bias scale; see ``bias``.
      bias: ``"large"`` ``N(0, sigma_b**2)``, ``"small"`` ``N(0, sigma_b**2 / fan_in)``, ``"none"``.
      distribution: ``"gaussian"`` or ``"uniform"`` (same variance: ``U(-sqrt(3) s, sqrt(3) s)``).
      inputs: ``"01"`` for ``{0, 1}^n`` or ``"pm1"`` for ``{-1, +1}^n``.
    """

    n_inputs: int = 7
    hidden: tuple[int, ...] = (40, 40)
    activation: str = "relu"
    sigma_w: float = 1.0
    sigma_b: float = 1.0
    bias: str = "large"
    distribution: str = "gaussian"
    inputs: str = "01"

    def validate(self) -> "NetSpec":
        if not 1 <= self.n_inputs <= MAX_INPUTS:
            raise ValueError(f"n_inputs: must be in [1, {MAX_INPUTS}], got {self.n_inputs}")
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden: widths must be >= 1, got {self.hidden}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: unknown {self.activation!r}; expected one of {sorted(ACTIVATIONS)}")
        if not self.sigma_w > 0:
            raise ValueError(f"sigma_w: must be > 0, got {self.sigma_w}")
        if not self.sigma_b > 0 and self.bias != "none":
            raise ValueError(f"sigma_b: must be > 0 (or bias='none'), got {self.sigma_b}")
        for name, allowed in (("bias", BIAS_SCHEMES), ("distribution", DISTRIBUTIONS), ("inputs", CODINGS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: expected one of {allowed}, got {getattr(self, name)!r}")
        return self

    @property
    def n_bits(self) -> int:
        return 2 ** self.n_inputs

    @property
    def n_words(self) -> int:
        return max(1, math.ceil(self.n_bits / 32))

    @property
    def flops(self) -> int:
        """Multiply-adds x 2 of one network on all ``2^n`` inputs (the FMA ceiling's numerator)."""
        widths = (self.n_inputs, *self.hidden, 1)
        return 2 * self.n_bits * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def hypercube(n: int, coding: str = "01", dtype=jnp.float32) -> Array:
    """All ``2^n`` points, row ``i`` the binary expansion of ``i`` (least-significant bit first).

    >>> hypercube(2)
    Array([[0., 0.],
           [1., 0.],
           [0., 1.],
           [1., 1.]], dtype=float32)
    """
    bits = (jnp.arange(2 ** n)[:, None] >> jnp.arange(n)[None, :]) & 1
    x = bits.astype(dtype)
    return 2 * x - 1 if coding == "pm1" else x


def _draw(key: Array, shape, std, distribution: str) -> Array:
    if distribution == "uniform":  # same variance as N(0, std^2)
        return jax.random.uniform(key, shape, jnp.float32, -1.0, 1.0) * (math.sqrt(3.0) * std)
    return jax.random.normal(key, shape, jnp.float32) * std


def sample_params(key: Array, spec: NetSpec, batch: int) -> list[tuple[Array, Array | None]]:
    """``batch`` independent networks: per layer ``(W (batch, fan_in, fan_out), b (batch, fan_out) or None)``."""
    widths = (spec.n_inputs, *spec.hidden, 1)
    params = []
    for layer, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        kw, kb = jax.random.split(jax.random.fold_in(key, layer))
        W = _draw(kw, (batch, fan_in, fan_out), spec.sigma_w / math.sqrt(fan_in), spec.distribution)
        if spec.bias == "none":
            b = None
        else:
            b_std = spec.sigma_b / (math.sqrt(fan_in) if spec.bias == "small" else 1.0)
            b = _draw(kb, (batch, fan_out), b_std, spec.distribution)
        params.append((W, b))
    return params


def network_outputs(params, x_pn: Array, activation: str = "relu", precision=jax.lax.Precision.HIGHEST) -> Array:
    """Outputs ``(batch, 2^n)`` of a batch of networks on the points ``x_pn``.

    ``precision`` is explicit because GPUs run float32 matmuls in TF32 by default, which flips the
    sign of outputs near zero: HIGHEST keeps true float32 products.
    """
    act = ACTIVATIONS[activation]
    h = None
    for layer, (W, b) in enumerate(params):
        if layer == 0:  # the inputs are shared by every network
            h = jnp.einsum("pi,bio->bpo", x_pn.astype(W.dtype), W, precision=precision)
        else:
            h = jnp.einsum("bpi,bio->bpo", act(h), W, precision=precision)
        if b is not None:
            h = h + b[:, None, :]
    return h[..., 0]


def truth_tables(key: Array, spec: NetSpec, batch: int, precision=jax.lax.Precision.HIGHEST) -> Array:
    """Packed truth tables ``(batch, n_words)`` uint32 of ``batch`` freshly sampled networks."""
    out_bp = network_outputs(sample_params(key, spec, batch), hypercube(spec.n_inputs, spec.inputs),
                             spec.activation, precision)
    return pack_bits(out_bp > 0)


class Counts(NamedTuple):
    """Distinct rows and their counts; rows past ``n_unique`` are padding with count 0."""

    keys: Array  # (R, W) uint32
    counts: Array  # (R,)
    n_unique: Array  # () int32


def count_unique(keys_RW: Array, counts_R: Array) -> Counts:
    """Merge equal rows of ``keys_RW``, summing ``counts_R`` (rows with count 0 are ignored).

    One lexicographic ``lax.sort`` (padding rows last) and a segment sum; the output has the
    input's fixed shape, distinct rows first in sorted order. Works under ``jit`` on any device.

    >>> c = count_unique(jnp.array([[3], [1], [3], [0]], jnp.uint32), jnp.array([1, 1, 2, 0]))
    >>> c.keys[:2, 0].tolist(), c.counts[:2].tolist(), int(c.n_unique)
    ([1, 3], [1, 3], 2)
    """
    R, W = keys_RW.shape
    pad = (counts_R == 0).astype(jnp.uint32)
    ops = jax.lax.sort((pad, *(keys_RW[:, w] for w in range(W)), counts_R), num_keys=W + 1)
    pad_s, keys_s, c_s = ops[0], jnp.stack(ops[1:W + 1], axis=1), ops[-1]
    new = jnp.concatenate([jnp.ones((1,), bool), jnp.any(keys_s[1:] != keys_s[:-1], axis=1)]) & (pad_s == 0)
    seg = jnp.cumsum(new) - 1  # padding rows fall into the last segment with count 0
    counts = jax.ops.segment_sum(c_s, jnp.maximum(seg, 0), num_segments=R)
    keys = jnp.zeros_like(keys_RW).at[jnp.where(new, seg, R)].set(keys_s, mode="drop")
    return Counts(keys, counts, jnp.sum(new, dtype=jnp.int32))


def merge_counts_host(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Exact merge of ``(keys (R, W) uint32, counts (R,))`` runs on the host, int64 counts.

    Used to combine what no longer fits on the device (and checkpoints); rows are compared as
    raw bytes.
    """
    parts = [(k, c) for k, c in parts if len(c)]
    if not parts:
        return np.zeros((0, 1), np.uint32), np.zeros((0,), np.int64)
    keys = np.ascontiguousarray(np.concatenate([k for k, _ in parts]))
    counts = np.concatenate([np.asarray(c, np.int64) for _, c in parts])
    rows = keys.view(np.dtype((np.void, keys.dtype.itemsize * keys.shape[1]))).ravel()
    uniq, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return keys[first], np.bincount(inverse.ravel(), weights=counts, minlength=len(uniq)).astype(np.int64)


def _empty(T: int, W: int) -> Counts:
    return Counts(jnp.zeros((T, W), jnp.uint32), jnp.zeros((T,), jnp.int32), jnp.zeros((), jnp.int32))


def make_block_step(spec: NetSpec, chunk: int, chunks_per_block: int, capacity: int,
                    precision=jax.lax.Precision.HIGHEST, devices=None):
    """``step(table, key, block) -> table``: sample one block of networks and merge it into ``table``.

    A block is ``chunks_per_block`` chunks of ``chunk`` networks (``lax.map`` bounds the activation
    memory to one chunk); chunk ``c`` uses ``fold_in(key, c)``, so the counts do not depend on how
    the work is split, resumed or sharded. Each chunk's network axis is sharded over ``devices``.
    ``table`` has ``capacity`` rows and must hold at most ``capacity - rows_per_block`` distinct
    functions before the call (the caller spills to the host), so the merge never drops a row.
    """
    from jax.sharding import NamedSharding, PartitionSpec

    from jdl.sweep import member_mesh

    spec.validate()
    mesh = member_mesh(devices)
    n_dev = mesh.devices.size
    if chunk % n_dev:
        raise ValueError(f"chunk: must be a multiple of the device count {n_dev}, got {chunk}")
    rows = chunk * chunks_per_block
    if capacity < 2 * rows:
        raise ValueError(f"capacity: must be >= 2 x rows per block ({2 * rows}), got {capacity}")
    shard = NamedSharding(mesh, PartitionSpec("member"))

    def one_chunk(key, c):
        k = jax.random.fold_in(key, c)
        tables = truth_tables(k, spec, chunk, precision)
        return jax.lax.with_sharding_constraint(tables, shard)

    def step(table: Counts, key: Array, block: Array) -> Counts:
        first = block * chunks_per_block
        new = jax.lax.map(lambda i: one_chunk(key, first + i), jnp.arange(chunks_per_block))
        merged = count_unique(jnp.concatenate([table.keys, new.reshape(rows, -1)]),
                              jnp.concatenate([table.counts, jnp.ones((rows,), table.counts.dtype)]))
        return Counts(merged.keys[:capacity], merged.counts[:capacity], merged.n_unique)

    return jax.jit(step, donate_argnums=0)


class FunctionCounts(NamedTuple):
    """Distinct functions (packed truth tables) and how often each was sampled, most frequent first."""

    keys: np.ndarray  # (D, W) uint32
    counts: np.ndarray  # (D,) int64
    n_sampled: int


def sample_functions(key: Array, spec: NetSpec, n_networks: int, *, chunk: int = 8192, chunks_per_block: int = 8,
                     capacity: int | None = None, precision=jax.lax.Precision.HIGHEST, devices=None,
                     checkpoint_dir=None, checkpoint_every: int = 32, progress: bool = True) -> FunctionCounts:
    """Sample ``n_networks`` random networks and count the distinct functions they implement.

    Memory is bounded: activations by ``chunk``, the device table by ``capacity`` rows (when it
    fills, its rows move to the host, where runs are merged exactly). ``n_networks`` is rounded up
    to whole blocks of ``chunk * chunks_per_block`` networks (``n_sampled`` says how many).

    Args:
      key: PRNG key; block ``b``, chunk ``c`` use ``fold_in(key, b * chunks_per_block + c)``.
      spec: the network family.
      n_networks: how many networks to sample (``>= 1``).
      chunk: networks per compiled evaluation (a multiple of the device count).
      chunks_per_block: chunks sampled between merges into the device table.
      capacity: device table rows (default ``8 x`` rows per block).
      precision: matmul precision (HIGHEST: exact float32 products on GPUs).
      devices: devices to shard each chunk over (default: all).
      checkpoint_dir: if given, the merged counts are saved there every ``checkpoint_every``
        blocks and a later call with the same arguments resumes from them (same final counts).
      progress: tqdm bar over blocks.

    >>> fc = sample_functions(jax.random.key(0), NetSpec(n_inputs=3, hidden=(8,)), 512, chunk=64,
    ...                       chunks_per_block=2, progress=False)
    >>> int(fc.counts.sum()), fc.keys.shape[1]
    (512, 1)
    """
    from tqdm.auto import tqdm

    from jdl.io import load_npz, save_npz

    if n_networks < 1:
        raise ValueError(f"n_networks: must be >= 1, got {n_networks}")
    if chunk < 1 or chunks_per_block < 1:
        raise ValueError(f"chunk: chunk and chunks_per_block must be >= 1, got {chunk}, {chunks_per_block}")
    rows = chunk * chunks_per_block
    capacity = capacity or 8 * rows
    step = make_block_step(spec, chunk, chunks_per_block, capacity, precision, devices)
    n_blocks = math.ceil(n_networks / rows)
    runs: list[tuple[np.ndarray, np.ndarray]] = []
    start = 0
    ckpt = None
    if checkpoint_dir is not None:
        from pathlib import Path

        ckpt = Path(checkpoint_dir) / "counts.npz"
        tag = np.frombuffer(repr((spec, rows, capacity, str(jax.random.key_data(key)))).encode(), np.uint8)
        if ckpt.exists():
            state = load_npz(ckpt)
            if np.array_equal(state["tag"], tag):
                start = int(state["next_block"])
                runs.append((state["keys"], state["counts"]))
    table, in_table = _empty(capacity, spec.n_words), 0

    def spill():
        nonlocal table, in_table
        n = int(table.n_unique)
        if n:
            runs.append((np.asarray(table.keys[:n]), np.asarray(table.counts[:n], np.int64)))
        table, in_table = _empty(capacity, spec.n_words), 0
        if len(runs) >= 8:  # host memory ~ distinct functions + a few device tables
            runs[:] = [merge_counts_host(runs)]

    for b in tqdm(range(start, n_blocks), desc=f"sampling {n_blocks * rows:.2e} networks", disable=not progress,
                  initial=start, total=n_blocks):
        table = step(table, key, jnp.asarray(b, jnp.int32))
        in_table += rows
        # room for the next block's rows, and int32 counts that cannot overflow
        if int(table.n_unique) > capacity - rows or in_table + rows >= 2 ** 31:
            spill()
        if ckpt is not None and ((b + 1) % checkpoint_every == 0 or b + 1 == n_blocks):
            spill()
            runs[:] = [merge_counts_host(runs)]
            save_npz(ckpt, keys=runs[0][0], counts=runs[0][1], next_block=b + 1, tag=tag)
    spill()
    keys, counts = merge_counts_host(runs)
    if keys.shape[1] != spec.n_words:
        keys = keys.reshape(len(keys), spec.n_words)
    order = np.lexsort((*keys.T[::-1], -counts))  # most frequent first, ties by table
    return FunctionCounts(keys[order], counts[order], n_blocks * rows)
