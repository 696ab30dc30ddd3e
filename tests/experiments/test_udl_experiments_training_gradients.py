"""experiments.udl_training and experiments.udl_gradients: command line, validation, and the quick runs end to end."""
import numpy as np
import pytest

from experiments import udl_gradients as ug
from experiments import udl_training as ut


@pytest.mark.parametrize("module,names", [
    (ut, ("--surface_coarsen=1", "(quick: 4)", "--starts=41", "--n_lrs=41", "--sgd_seeds=64", "--decay_every=10",
          "--valley_loss=1.0", "--quick")),
    (ug, ("--n_eps=53", "(quick: 14)", "--n_nets=100", "--n_inputs=1000", "--K=5", "--D=6")),
])
def test_help_lists_every_field_with_its_default(capsys, module, names):
    assert module.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in names:
        assert name in text, name


@pytest.mark.parametrize("module,args,field", [
    (ut, ["--surface_coarsen=0"], "surface_coarsen"), (ut, ["--starts=1"], "starts"), (ut, ["--n_lrs=1"], "n_lrs"),
    (ut, ["--sgd_seeds=0"], "sgd_seeds"), (ut, ["--decay_every=0"], "decay_every"),
    (ut, ["--valley_loss=0"], "valley_loss"), (ut, ["--start_steps=abc"], "start_steps"), (ut, ["--seed=-1"], "seed"),
    (ug, ["--n_eps=1"], "n_eps"), (ug, ["--K=0"], "K"), (ug, ["--n_nets=0"], "n_nets"), (ug, ["--nope=1"], "nope"),
    (ug, ["--seed=-1"], "seed"),
])
def test_bad_config_is_one_line_error_naming_the_field(module, args, field, config_error):
    config_error(module, args, field)  # before anything compiles


@pytest.mark.slow
def test_training_quick_run_prints_the_notebooks_numbers(tmp_path, run_quick):
    """The notebooks' printed numbers (0.383, 0.329, 12.367, 16.419) and regression values of the completed
    TODOs, which the notebooks do not print (0.202, 0.783, 4.624, 2 / lambda_max = 0.040): those are cross-checked
    against the notebooks' own loops in NumPy by tests/test_optim.py."""
    m = run_quick("udl_training", "--starts=3", "--n_lrs=5", "--sgd_seeds=2",
                  "--start_steps=10", "--lr_steps=20", "--n_max_dist=3")
    t1, t2, t3 = m["training_i"], m["training_ii"], m["training_iii"]
    assert round(t1["solution"], 3) == 0.383 and round(t1["loss"], 3) == 0.329 and t1["n_iter"] == 10
    assert round(t2["check_loss"], 3) == 12.367 and round(t3["check_loss"], 3) == 16.419
    for t in (t2, t3):
        g = t["gradient"]
        np.testing.assert_allclose(g["manual"], g["jax_grad"], rtol=1e-10)
        np.testing.assert_allclose(g["notebook_forward_difference"], g["jax_grad"], rtol=1e-3, atol=2e-3)
    # regression values, not notebook prints (its GD and SGD cells are TODOs)
    assert round(t2["gd_line_search"]["loss"], 3) == 0.202 and round(t2["least_squares"]["loss"], 3) == 0.200
    assert t2["zoom_line_search"]["loss"] < t2["backtracking_line_search"]["loss"]
    assert abs(t2["critical_lr"] - 0.040) < 5e-4
    assert np.shape(t2["gd_line_search"]["path"]) == (11, 2) and np.shape(t3["gd_line_search"]["path"]) == (22, 2)
    assert round(t3["gd_line_search"]["loss"], 3) == 0.783 and round(t3["sgd_notebook_seed"]["loss"], 3) == 4.624
    assert 0.64 < t3["surface_minimum"]["loss"] < 0.7
    assert set(t3["multistart"]["fraction_in_valley"]) == {"gd_line_search", "gd_fixed_lr", "sgd", "sgd_step_decay"}
    for png in ("training_i_line_search.png", "training_surfaces.png", "training_fits.png", "training_multistart.png",
                "training_lr_sweep.png", "training_sgd.png"):
        assert (tmp_path / png).stat().st_size > 10_000, png
    assert np.load(tmp_path / "surfaces.npz")["gabor_loss"].shape == (50, 50)  # every 4th point of 200 x 200


@pytest.mark.slow
def test_gradients_quick_run_prints_the_notebooks_numbers(tmp_path, run_quick):
    m = run_quick("udl_gradients", "--n_nets=2", "--n_inputs=5")
    g1, g2 = m["gradients_i"], m["gradients_ii"]
    # the notebook's literal prints (3 decimals), not read back from jdl.data
    assert m["gradients_i"]["true_values"]["f"] == [1.230, 1.623, 7.137, 2.372] and g2["notebook_output"] == 1.907
    np.testing.assert_allclose(g1["forward"]["f"], [1.230, 1.623, 7.137, 2.372], atol=5e-4)
    np.testing.assert_allclose(g1["dy_dbeta"]["manual"], [-0.646, 4.830, 0.476, -0.211, 1.0], atol=5e-4)
    np.testing.assert_allclose(g1["dy_domega"]["manual"][1:], [4.552, 2.415, -0.139, 0.864], atol=5e-4)
    assert g1["max_rel_error"]["jax_grad"] < 1e-14 and g1["max_rel_error"]["central_difference"] < 1e-8
    assert round(g2["output"], 3) == 1.907 and g2["n_params"] == 187
    assert g2["max_rel_error"]["manual"] < 1e-14 and g2["max_rel_error"]["notebook_forward_difference"] < 1e-5
    assert g2["batch"]["max_rel_error"] < 1e-12
    eps = np.asarray(m["eps"])
    fwd = np.asarray(g1["fd_error"]["forward"], float)
    assert 1e-10 <= eps[np.nanargmin(fwd)] <= 1e-7
    for png in ("gradients_i.png", "gradients_fd_error.png", "gradients_ii_backprop.png"):
        assert (tmp_path / png).stat().st_size > 10_000, png
