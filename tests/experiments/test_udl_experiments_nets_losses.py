"""experiments.udl_networks and experiments.udl_losses: command line, validation, the quick runs end to end."""
import numpy as np
import pytest

from experiments import udl_losses, udl_networks


@pytest.mark.parametrize("mod,fields", [(udl_networks, ("--copies=6", "(quick: 3)", "--map_points", "--deep2_seed")),
                                        (udl_losses, ("--surface_points=201", "(quick: 41)", "--problems"))])
def test_help_lists_the_fields(mod, fields, capsys):
    assert mod.main(["--help"]) is None
    text = capsys.readouterr().out
    for f in (*fields, "--quick", "--dtype"):
        assert f in text


@pytest.mark.parametrize("mod,args,field", [
    (udl_networks, ["--copies=0"], "copies"), (udl_networks, ["--copies=12"], "copies"),
    (udl_networks, ["--map_points=1"], "map_points"), (udl_networks, ["--phi0_points=1"], "phi0_points"),
    (udl_networks, ["--line=0.5"], "line"), (udl_networks, ["--deep2_seed=-1"], "deep2_seed"),
    (udl_networks, ["--dtype=float16"], "dtype"), (udl_networks, ["--copies=x"], "copies"),
    (udl_losses, ["--problems=poisson"], "problems"), (udl_losses, ["--problems="], "problems"),
    (udl_losses, ["--surface_points=2"], "surface_points"), (udl_losses, ["--dtype=int8"], "dtype"),
    (udl_losses, ["--no_such=1"], "no_such"),
])
def test_bad_config_is_one_line_error_naming_the_field(mod, args, field, config_error):
    config_error(mod, args, field)  # before anything compiles


@pytest.mark.slow
def test_networks_quick_run(tmp_path, run_quick):
    m = run_quick("udl_networks")
    sh, dp = m["shallow"], m["deep"]
    assert round(sh["least_squares_loss"], 3) == 9.385  # the notebook's "Loss = %3.3f" with its TODO filled in
    assert sh["output_layer_least_squares"]["sum_of_squares"] < 0.181 < sh["phi_0_grid"]["best_sum_of_squares"]
    v = sh["variants"]
    assert v["original"]["pieces_on_0_1"] == 4 and v["7: theta_2. x 0.5, phi_2 x 2"]["max_abs_change"] < 1e-12
    assert v["6: theta_10 = 0.6"]["min_abs_slope_on_0_1"] > 0 == v["original"]["min_abs_slope_on_0_1"]
    assert all(v[k]["joints_on_line"] == 2 for k in v if k.startswith("5"))
    assert sh["pieces_map"]["grid_shape"] == [21, 21] and set(sh["pieces_map"]["counts"]) == {"2", "3", "4"}
    grids = np.load(tmp_path / "grids.npz")
    assert grids["pieces"].shape == (21, 21) and grids["variant_outputs"].shape == (len(v), 100)
    assert sorted(np.unique(grids["pieces"]).tolist()) == [2, 3, 4]
    assert dp["pieces"] == {"net1": 3, "net2": 4, "net2(net1)": 12, "net2[phi_1*-1](net1)": 12,
                            "net2(net1[phi_1*0.5])": 10, "net1(net1)": 9, "net2(net1(net1))": 36}
    assert dp["pieces_net2_of_net1_copies"] == [12, 36, 108] and dp["matches_4_times_3_pow_N"]
    assert dp["composition"]["max_abs_diff_vs_scalar"] < 1e-12
    assert dp["matrix_form_net1"]["max_abs_diff_vs_scalar"] < 1e-12
    assert dp["random_network"]["hidden_shapes"] == [[5, 10], [2, 10], [4, 10]]
    for png in ("shallow_trace.png", "shallow_activations.png", "shallow_variants.png", "shallow_maps.png",
                "deep_composition.png"):
        assert (tmp_path / png).stat().st_size > 10_000


@pytest.mark.slow
def test_losses_quick_run(tmp_path, run_quick):
    m = run_quick("udl_losses")
    for p, best in (("regression", 0.27), ("binary", 1.6), ("multiclass", 0.6)):
        r = m[p]
        assert r["all_checks_agree"], r["checks"]
        assert r["beta_1_scan"]["same_argmin"] and round(r["beta_1_scan"]["argmin_nll"], 3) == best
        assert r["surface"]["shape"] == [41, 41]
        assert r["surface"]["min_nll"] < r["beta_1_scan"]["min_nll"]  # a second free parameter fits better
    s = m["regression"]["sigma_scan"]
    assert round(s["argmin_nll"], 3) == 0.265 and s["same_argmin"]
    sf = m["regression"]["surface"]
    assert abs(sf["argmin"][1] - sf["closed_form_sigma_at_argmin"]) <= 0.01
    surfaces = np.load(tmp_path / "surfaces.npz")
    assert surfaces["binary_nll"].shape == (41, 41) and np.all(np.isfinite(surfaces["multiclass_nll"]))
    np.testing.assert_allclose(surfaces["regression_nll"].min(), sf["min_nll"])
    for png in ("regression.png", "binary.png", "multiclass.png", "nll_surfaces.png"):
        assert (tmp_path / png).stat().st_size > 10_000
