"""jdl.data.tree: the tutorial's generator draw for draw, exact expectations by enumeration, sampling error."""
import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.data import tree

# the PyTorch baseline's (deep_linear_svd.py) printed "target_singular_values" for np.random.seed(2021)
BASELINE_TARGET_SV_2021 = [157.702, 121.8, 100.469, 100.257, 71.412, 71.228, 70.677, 70.577]


# --- the tutorial's helper functions (Neuromatch W1D2 Tutorial 3), kept as written: dicts, lists, while loops
def nb_build_tree(n_levels, n_branches, probability):
    tree_ = {"level": [0]}
    for i in range(1, n_levels + 1):
        tree_["level"].extend([i] * (n_branches ** i))
    tree_["pflip"] = [probability] * len(tree_["level"])
    tree_["parent"] = [None]
    k = len(tree_["level"]) - 1
    for j in range(k // n_branches):
        tree_["parent"].extend([j] * n_branches)
    return {k: np.array(v) for k, v in tree_.items()}


def nb_sample_from_tree(tree_, n):
    items = [i for i, v in enumerate(tree_["level"]) if v == max(tree_["level"])]
    x = np.zeros(shape=(n, len(items)))
    rand_temp = np.random.rand(n, len(tree_["pflip"]))
    flip_temp = np.repeat(tree_["pflip"].reshape(1, -1), n, 0)
    samp = (rand_temp > flip_temp) * 2 - 1
    for i in range(len(items)):
        j = items[i]
        prop = samp[:, j]
        while tree_["parent"][j] is not None:
            j = tree_["parent"][j]
            prop = prop * samp[:, j]
        x[:, i] = prop.T
    return x


def nb_generate_hsd(n_samples, n_levels=3, n_branches=2, probability=0.15):
    tree_ = nb_build_tree(n_levels, n_branches, probability)
    tree_["pflip"][0] = 0.5
    return np.eye(n_branches ** n_levels), nb_sample_from_tree(tree_, n_samples).T


@pytest.mark.parametrize("depth,branching", [(3, 2), (2, 3), (1, 4)])
def test_tree_layout_is_the_tutorials(depth, branching):
    t = nb_build_tree(depth, branching, 0.15)
    parents = tree.tree_parents(depth, branching)
    assert parents[0] == -1 and parents[1:].tolist() == t["parent"][1:].tolist()
    anc = tree.leaf_ancestors(depth, branching)
    chex.assert_shape(anc, (branching ** depth, len(parents)))
    assert np.all(anc.sum(1) == depth + 1) and np.all(anc[:, 0] == 1)  # every path: the leaf .. the root


def test_numpy_generator_is_the_tutorials_draw_for_draw():
    np.random.seed(7)
    x_nb, y_nb = nb_generate_hsd(300, 3, 2, 0.15)
    x, y = tree.generate_hsd_numpy(7, 300)
    np.testing.assert_array_equal(x, x_nb)
    np.testing.assert_array_equal(y, y_nb)
    np.random.seed(3)
    np.testing.assert_array_equal(tree.generate_hsd_numpy(3, 50, depth=2, branching=3, flip=0.3)[1],
                                  nb_generate_hsd(50, 2, 3, 0.3)[1])


def test_reproduces_the_baselines_target_singular_values():
    _, y = tree.generate_hsd_numpy(2021, 10_000)
    np.testing.assert_allclose(np.linalg.svd(y, compute_uv=False), BASELINE_TARGET_SV_2021, atol=6e-4)


def brute_force_correlation(depth, branching, flip, root_flip):
    """E[y_i y_j] and E[y_i] by summing over every flip pattern of every node, weighted by its probability."""
    p = tree.flip_probabilities(depth, branching, flip, root_flip)
    anc = tree.leaf_ancestors(depth, branching)
    corr, mean = np.zeros((len(anc), len(anc))), np.zeros(len(anc))
    for pattern in itertools.product((0, 1), repeat=len(p)):
        f = np.asarray(pattern)
        prob = np.prod(np.where(f == 1, p, 1 - p))
        y = (-1.0) ** (anc @ f)
        corr += prob * np.outer(y, y)
        mean += prob * y
    return corr, mean


@pytest.mark.parametrize("depth,branching,flip,root_flip", [(2, 2, 0.15, 0.5), (1, 3, 0.3, 0.1), (2, 2, 0.8, 0.0)])
def test_expected_correlation_equals_enumeration(depth, branching, flip, root_flip):
    corr, mean = brute_force_correlation(depth, branching, flip, root_flip)
    np.testing.assert_allclose(tree.expected_correlation(depth, branching, flip, root_flip), corr, atol=1e-12)
    if root_flip == 0.5:
        np.testing.assert_allclose(mean, 0.0, atol=1e-12)  # the root's fair coin removes the mean


@pytest.mark.parametrize("depth,branching,flip", [(3, 2, 0.15), (2, 3, 0.3), (4, 2, 0.05), (1, 5, 0.2)])
def test_closed_form_eigenvalues_and_basis(depth, branching, flip):
    c = tree.expected_correlation(depth, branching, flip)
    lam, mult = tree.level_eigenvalues(depth, branching, flip)
    assert mult.sum() == branching ** depth and np.isclose(np.sum(mult * lam), branching ** depth)
    assert np.all(np.diff(lam) < 0)  # coarser levels are the stronger modes
    expanded = np.repeat(lam, mult)
    np.testing.assert_allclose(np.linalg.eigvalsh(c)[::-1], expanded, rtol=1e-12)
    V, level = tree.hierarchy_basis(depth, branching)
    np.testing.assert_allclose(V.T @ V, np.eye(len(V)), atol=1e-12)
    np.testing.assert_allclose(V.T @ c @ V, np.diag(expanded), atol=1e-12)
    assert level.tolist() == np.repeat(np.arange(depth + 1), mult).tolist()


def test_tutorial_tree_numbers():
    lam, mult = tree.level_eigenvalues(3, 2, 0.15)  # a_l = 0.49**(3 - l): 0.117649, 0.2401, 0.49, 1
    np.testing.assert_allclose(lam, [8 * 0.117649 + 4 * 0.122451 + 2 * 0.2499 + 0.51, 4 * 0.122451 + 2 * 0.2499 + 0.51,
                                     2 * 0.2499 + 0.51, 0.51], rtol=1e-12)
    assert mult.tolist() == [1, 1, 2, 4]


def test_jax_sampler_matches_its_expectation_within_sampling_error():
    N = 20_000
    y = jax.jit(lambda k: tree.sample_tree_features(k, N, dtype=jnp.float32))(jax.random.key(0))
    chex.assert_shape(y, (8, N))
    y = np.asarray(y, np.float64)
    assert set(np.unique(y)) == {-1.0, 1.0}
    c = tree.expected_correlation(3, 2, 0.15)
    sd = np.sqrt((1 - c ** 2) / N) + np.eye(8)  # each entry is a mean of N draws of y_i y_j (the diagonal is exact)
    assert np.max(np.abs(y @ y.T / N - c) / sd) < 4.5
    assert np.max(np.abs(y.mean(1))) < 4.5 / np.sqrt(N)
    # without the root's coin the items share a mean (1 - 2 eps)^depth (the root never flips)
    y0 = np.asarray(tree.sample_tree_features(jax.random.key(1), N, depth=2, branching=2, flip=0.1, root_flip=0.0))
    np.testing.assert_allclose(y0.mean(1), 0.8 ** 2, atol=4.5 / np.sqrt(N))


def test_sampled_singular_values_are_the_closed_form_within_sampling_error():
    N, seeds = 10_000, 16
    ys = jax.jit(jax.vmap(lambda k: tree.sample_tree_features(k, N)))(jax.random.split(jax.random.key(2), seeds))
    ys = np.asarray(ys, np.float64)
    c = tree.expected_correlation(3, 2, 0.15)
    lam = np.repeat(*tree.level_eigenvalues(3, 2, 0.15))
    V, _ = tree.hierarchy_basis(3, 2)
    proj = np.stack([np.diag(V.T @ (y @ y.T / N) @ V) for y in ys])  # unbiased estimates of lambda
    sem = proj.std(0, ddof=1) / np.sqrt(seeds)
    assert np.all(np.abs(proj.mean(0) - lam) < 4.5 * sem + 1e-12)
    s_exp = tree.expected_singular_values(3, 2, 0.15, N)
    enumerated = brute_force_correlation(3, 2, 0.15, 0.5)[0]  # all 2^15 flip patterns: independent of the closed form
    np.testing.assert_allclose(s_exp, np.sqrt(N * np.linalg.eigvalsh(enumerated)[::-1]), rtol=1e-12)
    bound = 4.5 * np.sqrt(np.sum(1 - c ** 2) / N)  # ~4.5 sd of ||C_hat - C||_F
    for y in ys:
        c_hat = y @ y.T / N
        assert np.linalg.norm(c_hat - c) < bound
        s = np.linalg.svd(y, compute_uv=False)
        # Weyl: every sorted eigenvalue moves by at most the perturbation's norm
        assert np.all(np.abs(s ** 2 / N - lam) <= np.linalg.norm(c_hat - c, 2) + 1e-9)
        assert np.max(np.abs(s / s_exp - 1)) < 0.04


def test_generate_hsd_shapes_and_add_feature():
    x, y = tree.generate_hsd(jax.random.key(0), 30, depth=2, branching=3)
    chex.assert_shape(x, (9, 9))
    chex.assert_shape(y, (9, 30))
    y2 = tree.add_feature(np.asarray(y), [1] * 9)
    chex.assert_shape(y2, (9, 31))
    assert np.all(y2[:, -1] == 1) and np.array_equal(y2[:, :30], np.asarray(y))
    with pytest.raises(ValueError, match="values"):
        tree.add_feature(np.asarray(y), [1, -1])


@pytest.mark.parametrize("kwargs,field", [
    ({"depth": 0}, "depth"), ({"branching": 1}, "branching"), ({"flip": -0.1}, "flip"), ({"flip": 1.5}, "flip"),
    ({"root_flip": 2.0}, "root_flip"),
])
def test_bad_trees_raise_one_line_errors(kwargs, field):
    args = {"depth": 3, "branching": 2, "flip": 0.15, "root_flip": 0.5, **kwargs}
    with pytest.raises(ValueError, match=f"^{field}:"):
        tree.flip_probabilities(**args)
    with pytest.raises(ValueError, match=f"^{field}:"):
        tree.sample_tree_features(jax.random.key(0), 4, **args)
    if field not in ("root_flip",):
        with pytest.raises(ValueError, match=f"^{field}:"):
            tree.level_eigenvalues(args["depth"], args["branching"], args["flip"])


def test_same_key_same_data_with_or_without_x64():
    y32 = tree.sample_tree_features(jax.random.key(4), 50)
    with jax.enable_x64(True):
        y64 = tree.sample_tree_features(jax.random.key(4), 50, dtype=jnp.float64)
    np.testing.assert_array_equal(np.asarray(y32), np.asarray(y64))
