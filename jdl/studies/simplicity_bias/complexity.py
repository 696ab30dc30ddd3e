"""Complexity measures of Boolean functions given as truth tables.

A function ``f: {0,1}^n -> {0,1}`` is its truth table ``bits_BL`` of length ``L = 2**n``: entry ``i``
is ``f(x_i)`` where ``x_i`` is the binary expansion of ``i``, least-significant bit first
(``x_i[j] = (i >> j) & 1``). Every measure takes 0/1 tables (bool or integer) with any leading
batch axes ``(..., L)`` and returns one value per table ``(...)``; all are pure, jit- and
vmap-compatible. Tables are usually stored packed, 32 entries to a ``uint32`` word
(:func:`pack_bits`, :func:`unpack_bits`).

Measures:

* :func:`lz76_phrases` — number of phrases of the Lempel–Ziv (1976) parsing, counted by the
  Kaspar–Schuster algorithm; :func:`lz_complexity` — the symmetrised, log-scaled version of Dingle
  et al. and Valle-Pérez et al.
* :func:`count_ones`, :func:`ones_entropy` — the class balance and its binary entropy.
* :func:`average_sensitivity` — mean number of input bits whose flip changes the output.
* :func:`critical_sample_ratio` — fraction of inputs with a Hamming neighbour of different output.

References:
  Lempel & Ziv (1976), On the complexity of finite sequences, IEEE Trans. Inf. Theory 22(1).
  Kaspar & Schuster (1987), Easily calculable measure for the complexity of spatiotemporal
  patterns, Phys. Rev. A 36, 842. Dingle, Camargo & Louis (2018), Input-output maps are strongly
  biased towards simple outputs, Nat. Commun. 9, 761. Valle-Pérez, Camargo & Louis (2019), Deep
  learning generalizes because the parameter-function map is biased towards simple functions,
  ICLR. Arpit et al. (2017), A closer look at memorization in deep networks, ICML.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

Array = jax.Array

__all__ = [
    "pack_bits", "unpack_bits", "lz76_phrases", "lz_complexity", "count_ones", "ones_entropy",
    "average_sensitivity", "critical_sample_ratio", "measures",
]

_WORD = 32


def pack_bits(bits_BL: Array) -> Array:
    """Pack 0/1 tables into ``uint32`` words, little-endian within a word.

    Entry ``i`` goes to bit ``i % 32`` of word ``i // 32``; a last partial word is zero-padded.

    Args:
      bits_BL: ``(..., L)`` 0/1 values (bool or integer).

    Returns:
      ``(..., W)`` ``uint32`` words, ``W = ceil(L / 32)``.

    >>> pack_bits(jnp.array([1, 0, 1, 1], dtype=jnp.uint8))  # 1 + 4 + 8
    Array([13], dtype=uint32)
    """
    bits_BL = jnp.asarray(bits_BL)
    length = bits_BL.shape[-1]
    n_words = -(-length // _WORD)
    pad = [(0, 0)] * (bits_BL.ndim - 1) + [(0, n_words * _WORD - length)]
    bits_BWk = jnp.pad(bits_BL.astype(jnp.uint32), pad).reshape(*bits_BL.shape[:-1], n_words, _WORD)
    # Distinct powers of two: the sum is the bitwise OR and cannot overflow uint32.
    return jnp.sum(bits_BWk << jnp.arange(_WORD, dtype=jnp.uint32), axis=-1, dtype=jnp.uint32)


def unpack_bits(words_BW: Array, n_bits: int) -> Array:
    """Inverse of :func:`pack_bits`: the first ``n_bits`` bits of ``(..., W)`` ``uint32`` words.

    Args:
      words_BW: ``(..., W)`` unsigned 32-bit words.
      n_bits: table length ``L <= 32 W`` (static).

    Returns:
      ``(..., n_bits)`` ``uint8`` 0/1 array.

    >>> unpack_bits(jnp.array([13], dtype=jnp.uint32), 4)
    Array([1, 0, 1, 1], dtype=uint8)
    """
    words_BW = jnp.asarray(words_BW, dtype=jnp.uint32)
    if n_bits > _WORD * words_BW.shape[-1]:
        raise ValueError(f"{n_bits} bits do not fit in {words_BW.shape[-1]} words")
    bits_BWk = (words_BW[..., None] >> jnp.arange(_WORD, dtype=jnp.uint32)) & jnp.uint32(1)
    return bits_BWk.reshape(*words_BW.shape[:-1], -1)[..., :n_bits].astype(jnp.uint8)


def _lz76_one(s_L: Array) -> Array:
    """Kaspar–Schuster phrase count of one string ``(L,)``; a literal transcription (0-based)."""
    n = s_L.shape[-1]
    if n <= 1:  # the textbook loop reads s[1] before its first test; one symbol is one phrase
        return jnp.int32(n)
    one = jnp.int32(1)

    def body(state):
        i, k, l, c, k_max, _ = state
        match = s_L[i + k - 1] == s_L[l + k - 1]
        # Match: extend the current copy; running off the end closes the last phrase.
        k_match = k + one
        end_match = l + k_match > n
        # Mismatch: try the next start i; when all starts < l are used, a new phrase begins at l.
        k_max_new = jnp.maximum(k_max, k)
        new_phrase = i + one == l
        l_new = l + k_max_new
        end_new = new_phrase & (l_new + one > n)
        return (
            jnp.where(match, i, jnp.where(new_phrase, 0, i + one)),
            jnp.where(match, k_match, one),
            jnp.where(match | ~new_phrase, l, l_new),
            c + jnp.where(match, end_match, new_phrase).astype(jnp.int32),
            jnp.where(match, k_max, jnp.where(new_phrase, one, k_max_new)),
            jnp.where(match, end_match, end_new),
        )

    init = (jnp.int32(0), one, one, one, one, jnp.bool_(False))
    return lax.while_loop(lambda state: ~state[-1], body, init)[3]


def lz76_phrases(bits_BL: Array) -> Array:
    """Number of phrases ``c(L)`` of the Lempel–Ziv 1976 parsing (Kaspar–Schuster algorithm).

    A ``lax.while_loop`` over the algorithm's state ``(i, k, l, c, k_max)``, vectorised over the
    batch; it takes ``O(L c)`` steps, so keep ``L`` to a few thousand. A string of length 1 has one
    phrase; a constant string of length ``L >= 2`` has two (the first symbol, then one copy).

    Args:
      bits_BL: ``(..., L)`` 0/1 strings.

    Returns:
      ``(...)`` ``int32`` phrase counts.

    References:
      Kaspar & Schuster (1987), Phys. Rev. A 36, 842.

    >>> s = jnp.array([int(b) for b in "0001101001000101"], dtype=jnp.uint8)  # 0.001.10.100.1000.101
    >>> lz76_phrases(s)
    Array(6, dtype=int32)
    """
    bits_BL = jnp.asarray(bits_BL).astype(jnp.uint8)
    return jnp.vectorize(_lz76_one, signature="(l)->()")(bits_BL)


def lz_complexity(bits_BL: Array) -> Array:
    """Lempel–Ziv complexity ``K_LZ`` of Dingle et al. (2018) and Valle-Pérez et al. (2019).

    ``K = log2(L)`` for the all-zeros and all-ones strings, otherwise
    ``log2(L) * (N_w(x) + N_w(reverse(x))) / 2`` with ``N_w`` = :func:`lz76_phrases`.

    Args:
      bits_BL: ``(..., L)`` 0/1 strings.

    Returns:
      ``(...)`` ``float32`` complexities.

    >>> lz_complexity(jnp.zeros(8, dtype=jnp.uint8))  # log2(8)
    Array(3., dtype=float32)
    >>> lz_complexity(jnp.array([0, 1] * 4, dtype=jnp.uint8))  # 3 phrases each way: 0.1.010101
    Array(9., dtype=float32)
    """
    bits_BL = jnp.asarray(bits_BL).astype(jnp.uint8)
    return _lz_complexity(bits_BL, lz76_phrases(bits_BL))


def _lz_complexity(bits_BL: Array, phrases: Array) -> Array:
    """:func:`lz_complexity` given the forward phrase counts (shared with :func:`measures`)."""
    length = bits_BL.shape[-1]
    log_len = jnp.float32(np.log2(length))
    both_ways = phrases + lz76_phrases(bits_BL[..., ::-1])
    ones = count_ones(bits_BL)
    constant = (ones == 0) | (ones == length)
    return jnp.where(constant, log_len, log_len * both_ways.astype(jnp.float32) / jnp.float32(2.0))


def count_ones(bits_BL: Array) -> Array:
    """Number of inputs mapped to 1, ``(...)`` ``int32``.

    >>> count_ones(jnp.array([[1, 0, 1, 1], [0, 0, 0, 0]], dtype=jnp.uint8))
    Array([3, 0], dtype=int32)
    """
    return jnp.sum(jnp.asarray(bits_BL).astype(jnp.int32), axis=-1, dtype=jnp.int32)


def ones_entropy(bits_BL: Array) -> Array:
    """Binary entropy (bits) of the fraction of ones ``p``: ``-p log2 p - (1-p) log2(1-p)``.

    Constant functions give 0; a balanced function gives 1.

    >>> ones_entropy(jnp.array([[1, 0, 1, 0], [1, 1, 1, 1]], dtype=jnp.uint8))
    Array([1., 0.], dtype=float32)
    """
    p = count_ones(bits_BL).astype(jnp.float32) / jnp.float32(jnp.shape(bits_BL)[-1])

    mixed = (p > 0) & (p < 1)
    q = jnp.where(mixed, p, jnp.float32(0.5))  # keeps log2 finite where the result is masked to 0
    h = -q * jnp.log2(q) - (1 - q) * jnp.log2(1 - q)
    return jnp.where(mixed, h, jnp.float32(0.0))  # 0, not -0.0, for constant functions


def _num_inputs(length: int, n: int | None) -> int:
    """Check ``length == 2**n`` (``n`` inferred when ``None``) and return ``n``."""
    n = int(length).bit_length() - 1 if n is None else n
    if length != 2**n:
        raise ValueError(f"a truth table on {n} inputs has length {2**n}, got {length}")
    return n


def _flips_BnL(bits_BL: Array, n: int | None) -> Array:
    """``(..., n, L)`` bool: does flipping input bit ``j`` of ``x_i`` change ``f``?"""
    bits_BL = jnp.asarray(bits_BL).astype(jnp.uint8)
    n = _num_inputs(bits_BL.shape[-1], n)
    idx_L = np.arange(2**n)
    neighbours_nL = idx_L[None, :] ^ (1 << np.arange(n))[:, None]  # static gather indices
    return bits_BL[..., None, :] != bits_BL[..., neighbours_nL]


def average_sensitivity(bits_BL: Array, n: int | None = None) -> Array:
    """Mean over inputs ``x`` of the number of bits ``j`` with ``f(x) != f(x XOR 2**j)``, in ``[0, n]``.

    Args:
      bits_BL: ``(..., 2**n)`` 0/1 truth tables.
      n: number of inputs (static); inferred from the table length when ``None``.

    Returns:
      ``(...)`` ``float32``.

    >>> x = jnp.arange(8)
    >>> parity = (jnp.bitwise_count(x) % 2).astype(jnp.uint8)
    >>> x0 = (x & 1).astype(jnp.uint8)
    >>> average_sensitivity(jnp.stack([parity, x0]), 3)
    Array([3., 1.], dtype=float32)
    """
    flips_BnL = _flips_BnL(bits_BL, n)
    return jnp.mean(jnp.sum(flips_BnL, axis=-2, dtype=jnp.int32).astype(jnp.float32), axis=-1)


def critical_sample_ratio(bits_BL: Array, n: int | None = None) -> Array:
    """Fraction of inputs with at least one Hamming neighbour of different output (Boolean CSR).

    Args:
      bits_BL: ``(..., 2**n)`` 0/1 truth tables.
      n: number of inputs (static); inferred from the table length when ``None``.

    Returns:
      ``(...)`` ``float32`` in ``[0, 1]``.

    References:
      Arpit et al. (2017), ICML; as used for Boolean functions by Valle-Pérez et al. (2019).

    >>> one_point = jnp.zeros(8, dtype=jnp.uint8).at[0].set(1)  # x = 000 and its 3 neighbours
    >>> critical_sample_ratio(one_point, 3)
    Array(0.5, dtype=float32)
    """
    return jnp.mean(jnp.any(_flips_BnL(bits_BL, n), axis=-2).astype(jnp.float32), axis=-1)


def measures(bits_BL: Array, n: int | None = None) -> dict[str, Array]:
    """All measures of ``(..., 2**n)`` truth tables, each ``(...)``, keyed by function name.

    >>> m = measures(jnp.zeros((2, 8), dtype=jnp.uint8), 3)
    >>> sorted(m)[:3], m["lz_complexity"]
    (['average_sensitivity', 'count_ones', 'critical_sample_ratio'], Array([3., 3.], dtype=float32))
    """
    bits_BL = jnp.asarray(bits_BL).astype(jnp.uint8)
    phrases = lz76_phrases(bits_BL)
    return {
        "lz76_phrases": phrases,
        "lz_complexity": _lz_complexity(bits_BL, phrases),
        "count_ones": count_ones(bits_BL),
        "ones_entropy": ones_entropy(bits_BL),
        "average_sensitivity": average_sensitivity(bits_BL, n),
        "critical_sample_ratio": critical_sample_ratio(bits_BL, n),
    }
