"""jdl.studies.udlbook.networks_runs: the Shallow / Deep / Deep2 numbers of experiments.udl_networks, small grids."""
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.studies.udlbook import networks_runs as NR


@pytest.fixture(scope="module")
def res():
    return NR.run_all(copies=2, map_points=5, phi0_points=11, line=100.0, deep2_seed=0, dtype="float64")


def test_shallow_reproduces_the_notebook(res):
    sh = res["shallow"]
    assert round(sh["least_squares_loss"], 3) == 9.385  # the notebook's "Loss = %3.3f" with its TODO filled in
    assert sh["output_layer_least_squares"]["sum_of_squares"] < 0.181  # the notebook's best by hand
    g = sh["phi_0_grid"]
    assert g["values"].shape == g["sum_of_squares"].shape == (11,)
    assert g["best_sum_of_squares"] == pytest.approx(g["sum_of_squares"].min())
    v = sh["variants"]
    assert v["original"]["pieces_on_0_1"] == 4 and v["7: theta_2. x 0.5, phi_2 x 2"]["max_abs_change"] < 1e-12
    assert sh["variant_outputs"].shape == (len(v), sh["x"].shape[0])
    assert sh["pieces_map"]["pieces"].shape == (5, 5)
    assert sum(sh["pieces_map"]["counts"].values()) == 25
    assert sh["linear_activation_affine"]["max_residual"] < 1e-12  # a linear activation gives an affine net


def test_deep_pieces_and_matrix_form(res):
    dp = res["deep"]
    assert dp["pieces_net2_of_net1_copies"] == [12, 36] and dp["matches_4_times_3_pow_N"]
    assert dp["pieces"]["net1"] == 3 and dp["pieces"]["net2"] == 4
    assert dp["composition"]["max_abs_diff_vs_scalar"] < 1e-12
    assert dp["random_network"]["hidden_shapes"] == [[5, 10], [2, 10], [4, 10]]
    assert set(dp["curves"]) == set(dp["pieces"])


def test_split_results_moves_the_grids_and_leaves_the_input(res):
    metrics, arrays = NR.split_results(res)
    assert set(arrays) == {"theta_10", "theta_20", "pieces", "phi_0", "phi_0_sum_of_squares", "shallow_x",
                           "variant_outputs"}
    sh = metrics["shallow"]
    assert sh["pieces_map"]["grid_shape"] == [5, 5] and "pieces" not in sh["pieces_map"]
    assert "values" not in sh["phi_0_grid"] and set(sh["two_inputs"]) == {"y_min", "y_max"}
    assert not {"trace", "activations", "x", "variant_outputs"} & set(sh)
    assert not {"curves", "x"} & set(metrics["deep"])
    assert "pieces" in res["shallow"]["pieces_map"] and "x" in res["deep"]  # the input is not mutated


def test_float32_runs():
    out = NR.shallow(map_points=2, phi0_points=2, line=10.0, dtype=jnp.float32)
    assert out["x"].dtype == np.float32 and round(out["least_squares_loss"], 2) == 9.38
