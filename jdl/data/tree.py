"""Hierarchical items from a branching diffusion process on a tree, and its expected statistics.

The data set of Neuromatch Academy's "Deep linear neural networks" tutorial (W1D2 Tutorial 3,
``generate_hsd``), after Saxe, McClelland & Ganguli (2019): a tree of ``depth`` levels below the
root with ``branching`` children per node; its ``P = branching**depth`` leaves are the items. One
feature is one draw of the process: every node carries a sign that is ``-1`` with its flip
probability (the root ``root_flip = 0.5``, every other node ``flip``), and a leaf's feature value is
the product of the signs on its path to the root. ``n_features`` independent draws give the
``(P, n_features)`` target matrix of +-1 values; the inputs are the items one-hot (``eye(P)``).

Nodes are numbered level by level as the tutorial's ``build_tree`` does (root 0, the parent of node
``j`` is ``(j - 1) // branching``, the leaves are the last ``P`` nodes).

Expected statistics (closed form). A node's sign has mean ``q = 1 - 2 p``; the nodes shared by two
leaves' paths cancel (``s**2 = 1``), so ``E[y_i y_j]`` is the product of ``q`` over the nodes on one
path but not the other. With one flip probability ``eps`` below the root and the two leaves' last
common ancestor at level ``l``, that is ``(1 - 2 eps)**(2 (depth - l))``: an ultrametric matrix whose
eigenvectors are the tree's Haar-like contrasts (:func:`hierarchy_basis`), one eigenvalue per level
(:func:`level_eigenvalues`). The singular values of the ``(n_features, P)`` target matrix approach
``sqrt(n_features * lambda)``.

References:
  Saxe, McClelland & Ganguli, "A mathematical theory of semantic development in deep neural
  networks", PNAS 116 (2019), SI "hierarchically structured data".
  Neuromatch Academy, Deep Learning W1D2 Tutorial 3 ("Deep linear neural networks").
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["ITEM_NAMES", "FEATURE_NAMES", "check_tree", "tree_parents", "leaf_ancestors", "flip_probabilities",
           "sample_tree_features", "generate_hsd", "generate_hsd_numpy", "expected_correlation",
           "level_eigenvalues", "expected_singular_values", "hierarchy_basis", "add_feature"]

#: The tutorial's names of the 8 items of the depth-3, branching-2 tree (names only: the features are random).
ITEM_NAMES = ("Goldfish", "Tuna", "Robin", "Canary", "Rose", "Daisy", "Pine", "Oak")
#: The tutorial's named features (its ``plot_tree_data`` illustration; not used by the sampled data).
FEATURE_NAMES = ("can_grow", "is_mammal", "has_leaves", "can_move", "has_trunk", "can_fly", "can_swim", "has_stem",
                 "is_warmblooded", "can_flower")


def check_tree(depth: int, branching: int, flip: float | None = None, root_flip: float | None = None) -> None:
    """Raise a one-line ``ValueError`` for a tree that cannot be built (depth < 1, branching < 2, p outside [0, 1])."""
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth: the tree needs at least one level below the root, got {depth}")
    if int(branching) != branching or branching < 2:
        raise ValueError(f"branching: need at least 2 children per node, got {branching}")
    for name, p in (("flip", flip), ("root_flip", root_flip)):
        if p is not None and not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}: a probability must lie in [0, 1], got {p}")


def tree_parents(depth: int, branching: int) -> np.ndarray:
    """Parent of every node in level order, ``-1`` for the root: ``(n_nodes,)`` ints.

    >>> tree_parents(2, 2).tolist()
    [-1, 0, 0, 1, 1, 2, 2]
    """
    check_tree(depth, branching)
    n_nodes = (branching ** (depth + 1) - 1) // (branching - 1)
    return np.concatenate([[-1], (np.arange(1, n_nodes) - 1) // branching])


def leaf_ancestors(depth: int, branching: int) -> np.ndarray:
    """0/1 matrix ``(P, n_nodes)``: row ``i`` marks the nodes on leaf ``i``'s path (the leaf and the root included).

    >>> leaf_ancestors(1, 2).tolist()
    [[1, 1, 0], [1, 0, 1]]
    """
    parents = tree_parents(depth, branching)
    n_nodes, P = len(parents), branching ** depth
    anc = np.zeros((P, n_nodes), np.int64)
    for i, leaf in enumerate(range(n_nodes - P, n_nodes)):
        j = leaf
        while j >= 0:
            anc[i, j] = 1
            j = parents[j]
    return anc


def flip_probabilities(depth: int, branching: int, flip: float = 0.15, root_flip: float = 0.5) -> np.ndarray:
    """Per-node flip probability ``(n_nodes,)``: ``root_flip`` at the root, ``flip`` elsewhere (as ``generate_hsd``)."""
    check_tree(depth, branching, flip, root_flip)
    p = np.full(len(tree_parents(depth, branching)), float(flip))
    p[0] = root_flip
    return p


def sample_tree_features(key: jax.Array, n_features: int, *, depth: int = 3, branching: int = 2, flip: float = 0.15,
                         root_flip: float = 0.5, dtype=jnp.float32) -> jax.Array:
    """``n_features`` independent draws of the branching diffusion: ``(P, n_features)`` values in {-1, +1}.

    A leaf's value is ``(-1)**(number of flipped nodes on its path)``, computed for all features at
    once as one integer matrix product with :func:`leaf_ancestors`.

    Args:
      key: PRNG key.
      n_features: number of features (independent draws), static.
      depth, branching: the tree (static).
      flip: flip probability of every non-root node; root_flip: of the root.
      dtype: dtype of the result.

    Returns:
      ``y_pn`` of shape ``(branching**depth, n_features)``.

    >>> y = sample_tree_features(jax.random.key(0), 5)
    >>> y.shape, sorted(set(y.ravel().tolist())) == [-1.0, 1.0]
    ((8, 5), True)
    """
    if n_features < 1:
        raise ValueError(f"n_features: need at least one feature, got {n_features}")
    p = jnp.asarray(flip_probabilities(depth, branching, flip, root_flip), jnp.float32)
    anc = jnp.asarray(leaf_ancestors(depth, branching), jnp.int32)
    # float32 draws whether or not x64 is on: the same key gives the same data in either mode
    flips = (jax.random.uniform(key, (p.shape[0], n_features), jnp.float32) < p[:, None]).astype(jnp.int32)
    parity = (anc @ flips) % 2
    return (1 - 2 * parity).astype(dtype)


def generate_hsd(key: jax.Array, n_features: int = 10_000, *, depth: int = 3, branching: int = 2, flip: float = 0.15,
                 dtype=jnp.float32) -> tuple[jax.Array, jax.Array]:
    """The tutorial's data set: one-hot items ``x_pp = eye(P)`` and sampled features ``y_pn`` (root flip 1/2).

    >>> x, y = generate_hsd(jax.random.key(0), 100)
    >>> x.shape, y.shape
    ((8, 8), (8, 100))
    """
    y = sample_tree_features(key, n_features, depth=depth, branching=branching, flip=flip, root_flip=0.5, dtype=dtype)
    return jnp.eye(branching ** depth, dtype=dtype), y


def generate_hsd_numpy(seed: int, n_features: int = 10_000, *, depth: int = 3, branching: int = 2,
                       flip: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's ``generate_hsd`` after ``np.random.seed(seed)``, draw for draw (float64 NumPy).

    Same uniform draws (``rand(n_features, n_nodes) > p``: a node keeps its sign when the draw exceeds
    its flip probability), so a seed reproduces the tutorial's (and the PyTorch baseline's) targets.

    >>> x, y = generate_hsd_numpy(2021, 10)
    >>> x.shape, y.shape, float(abs(y).min())
    ((8, 8), (8, 10), 1.0)
    """
    p = flip_probabilities(depth, branching, flip, 0.5)
    u = np.random.RandomState(seed).rand(n_features, len(p))
    signs = np.where(u > p, 1.0, -1.0)  # (n_features, n_nodes)
    anc = leaf_ancestors(depth, branching).astype(bool)
    y = np.stack([np.prod(signs[:, a], axis=1) for a in anc])
    return np.eye(branching ** depth), y


def expected_correlation(depth: int, branching: int, flip: float = 0.15, root_flip: float = 0.5) -> np.ndarray:
    """``E[y_i y_j]`` over features, ``(P, P)``: the product of ``1 - 2 p`` over the nodes on exactly one path.

    Equals ``E[Y Y^T] / n_features`` of :func:`sample_tree_features`; the root never enters (it is on both paths).

    >>> np.round(expected_correlation(1, 2, 0.25), 4).tolist()
    [[1.0, 0.25], [0.25, 1.0]]
    """
    q = 1.0 - 2.0 * flip_probabilities(depth, branching, flip, root_flip)
    anc = leaf_ancestors(depth, branching).astype(bool)
    only_one = anc[:, None, :] ^ anc[None, :, :]  # (P, P, n_nodes)
    return np.prod(np.where(only_one, q, 1.0), axis=-1)


def level_eigenvalues(depth: int, branching: int, flip: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form eigenvalues of :func:`expected_correlation`, one per level, and their multiplicities.

    With ``a_l = (1 - 2 flip)**(2 (depth - l))`` the correlation of two items whose last common
    ancestor is at level ``l`` (``a_depth = 1``, ``a_{-1} = 0``), the level-``k`` contrasts have

        lambda_k = sum_{l=k}^{depth} (a_l - a_{l-1}) * branching**(depth - l),

    with multiplicity 1 for ``k = 0`` (the all-items mode) and ``branching**(k-1) (branching - 1)``
    below. The multiplicities add up to ``P`` and ``sum m_k lambda_k = P`` (unit diagonal).

    Returns:
      ``(lambda_k, m_k)``, each ``(depth + 1,)``, from the root level down (decreasing ``lambda``).

    >>> lam, m = level_eigenvalues(3, 2, 0.15)
    >>> np.round(lam, 4).tolist(), m.tolist()
    ([2.4408, 1.4996, 1.0098, 0.51], [1, 1, 2, 4])
    """
    check_tree(depth, branching, flip)
    q2 = (1.0 - 2.0 * flip) ** 2
    a = np.concatenate([[0.0], q2 ** (depth - np.arange(depth + 1.0))])  # a_{-1}, a_0 .. a_depth
    terms = np.diff(a) * float(branching) ** (depth - np.arange(depth + 1.0))
    lam = np.cumsum(terms[::-1])[::-1]
    mult = np.array([1] + [branching ** (k - 1) * (branching - 1) for k in range(1, depth + 1)])
    return lam, mult


def expected_singular_values(depth: int, branching: int, flip: float = 0.15, n_features: int = 10_000) -> np.ndarray:
    """``sqrt(n_features * lambda)`` for every mode (multiplicities expanded), decreasing: ``(P,)``.

    What the singular values of the sampled ``(n_features, P)`` target matrix approach (``E[Y Y^T] =
    n_features * C``); the deep linear network's ``W_tot`` converges to that matrix.

    >>> np.round(expected_singular_values(3, 2, 0.15, 10_000), 1).tolist()
    [156.2, 122.5, 100.5, 100.5, 71.4, 71.4, 71.4, 71.4]
    """
    lam, mult = level_eigenvalues(depth, branching, flip)
    return np.sqrt(n_features * np.repeat(lam, mult))


def hierarchy_basis(depth: int, branching: int) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal eigenvectors of every tree-structured correlation matrix: columns ``(P, P)`` and their levels.

    Level 0 is the constant vector; at level ``k >= 1``, for every node at level ``k - 1``, the
    ``branching - 1`` Helmert contrasts between its children's blocks of leaves (for a binary tree:
    one Haar wavelet per node). Columns are ordered as :func:`level_eigenvalues`.

    >>> V, level = hierarchy_basis(2, 2)
    >>> bool(np.allclose(V.T @ V, np.eye(4))), level.tolist()
    (True, [0, 1, 2, 2])
    """
    check_tree(depth, branching)
    P = branching ** depth
    cols, levels = [np.full(P, 1.0 / np.sqrt(P))], [0]
    for k in range(1, depth + 1):
        block = branching ** (depth - k)  # leaves under one node of level k
        for parent in range(branching ** (k - 1)):
            start = parent * branching * block
            for c in range(1, branching):  # Helmert: mean of the first c children minus child c
                v = np.zeros(P)
                v[start:start + c * block] = 1.0 / c
                v[start + c * block:start + (c + 1) * block] = -1.0
                cols.append(v / np.linalg.norm(v))
                levels.append(k)
    return np.stack(cols, axis=1), np.asarray(levels)


def add_feature(y_pn, values) -> np.ndarray:
    """Append one feature column (one value per item) to the targets, as the tutorial's ``add_feature``.

    >>> add_feature(np.ones((2, 3)), [1, -1])[:, -1].tolist()
    [1.0, -1.0]
    """
    y = np.asarray(y_pn)
    v = np.asarray(values, dtype=y.dtype if y.dtype.kind == "f" else np.float64)
    if v.shape != (y.shape[0],):
        raise ValueError(f"values: need one value per item ({y.shape[0]}), got shape {v.shape}")
    return np.concatenate([y, v[:, None]], axis=1)
