"""jdl.studies.linear_regions.runs: the experiment's counts, on small cases with known answers."""
import jax
import numpy as np

from jdl.studies.linear_regions import runs as LR
from jdl.studies.udlbook import networks as S


def test_growth_per_layer_fits_the_deeper_half_and_skips_missing_counts():
    assert abs(LR.growth_per_layer([1, 2, 3, 4], [2, 4, 8, 16]) - 2.0) < 1e-12
    assert abs(LR.growth_per_layer([1, 2, 3, 4, 5], [2, 4, 8, np.nan, 32]) - 2.0) < 1e-12
    assert LR.growth_per_layer([1, 2, 3, 4], [2, 4, 0, np.nan]) is None  # one usable point


def test_sawtooth_exact_has_2_pow_L_pieces():
    saw = LR.sawtooth_exact(5)
    assert saw["exactly_2_pow_L"] and saw["pieces"].tolist() == [2, 4, 8, 16, 32] and saw["depths"] == [1, 2, 3, 4, 5]


def test_variant_kind_0_without_noise_is_the_sawtooth(key):
    p = LR.variant(key, 0, 0.0, 3, 4, "torch")
    saw = LR.sawtooth_exact(3)["pieces"][-1]
    _, y = LR.curve(p, -2.0, 2.0, n=9)
    assert np.all(np.isfinite(y)) and saw == 8
    var, pieces = LR.sawtooth_variants(key, max_depth=3, noise_levels=(0.0,), seeds=2, dtype="float64", chunk=4)
    assert pieces.shape == (3, 3, 2) and pieces[0].tolist() == [[2, 2], [4, 4], [8, 8]]
    assert var["labels"] == LR.variant_labels((0.0,), "torch") and var["n_overflow"] == 0


def test_composed_copies_of_the_udlbook_nets_have_4_times_3_pow_N_pieces():
    udl = LR.composed_copies(S.udlbook_networks(), 2)
    assert udl["pieces_net2_of_net1_copies"] == [12, 36] and udl["matches_4_times_3_pow_N"]
    assert udl["pieces"]["net2(net1)"] == 12


def test_random_nets_shapes_and_slope(key):
    rnd = LR.random_nets(jax.random.fold_in(key, 1), depths=(1, 2), widths=(4, 8), net_seeds=3, chunk=16)
    assert rnd["median_pieces"].shape == (2, 2) and rnd["n_overflow"] == 0 and rnd["pieces_per_neuron"] > 0
