"""experiments.deep_linear: command line, validation, the quick run end to end, and its benchmark."""
import numpy as np
import pytest

from experiments import _cli
from experiments import deep_linear as dl
from jdl.studies.deep_linear import summaries as SM


def test_help_lists_every_field_with_its_default(capsys):
    assert dl.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in ("--depth=3", "--branching=2", "--flip=0.15", "--n_features=10000", "--hidden=30", "--epochs=250",
                 "--lr=100.0", "--gamma=1e-12", "sweep_gamma", "(quick: (0,))", "--method=reduced", "--quick"):
        assert name in text, name


@pytest.mark.parametrize("args,field", [
    (["--gamma=0"], "gamma"), (["--gamma=-1e-12"], "gamma"), (["--lr=0"], "lr"), (["--lr=-5"], "lr"),
    (["--depth=0"], "depth"), (["--branching=1"], "branching"), (["--flip=-0.1"], "flip"), (["--flip=1.2"], "flip"),
    (["--n_features=0"], "n_features"), (["--hidden=0"], "hidden"), (["--epochs=0"], "epochs"), (["--seeds="], "seeds"),
    (["--feature=10000"], "feature"), (["--method=adam"], "method"), (["--sweep_lr=1,0"], "sweep_lr"),
    (["--sweep_gamma=1e-12,0"], "sweep_gamma"), (["--rsm_epochs=300"], "rsm_epochs"), (["--dtype=float16"], "dtype"),
    (["--chunk_size=-1"], "chunk_size"), (["--gamma=abc"], "gamma"), (["--no_such_field=1"], "no_such_field"),
])
def test_bad_config_is_one_line_error_naming_the_field(args, field, config_error):
    config_error(dl, args, field)  # before anything compiles


def test_configs_validate_and_grid_can_be_switched_off():
    for quick in (False, True):
        dl.get_config(quick).validate()
    c = _cli.override(dl.get_config(True), {"sweep_seeds": "", "sweep_lr": "0"})
    c.validate()  # no grid: its values are not used


def test_stage_order_and_rsm_epochs():
    mult = np.array([1, 1, 2, 4])
    half = np.array([90.0, 115, 137, 138, 185, 186, 188, 189])
    assert SM.levels_in_order(half, mult)
    assert not SM.levels_in_order(half[[0, 2, 1, 3, 4, 5, 6, 7]], mult)
    assert SM.levels_in_order(np.where(np.arange(8) == 7, np.nan, half), mult)  # the last mode not yet learned
    assert not SM.levels_in_order(np.where(np.arange(8) == 1, np.nan, half), mult)
    c = dl.get_config(True)
    assert SM.rsm_epochs(half, mult, c.epochs, c.rsm_epochs) == [0, 102, 126, 162, 250]
    c = _cli.override(c, {"rsm_epochs": "5,1"})
    assert SM.rsm_epochs(half, mult, c.epochs, c.rsm_epochs) == [1, 5]


@pytest.mark.slow
def test_quick_run_writes_metrics_and_figures(tmp_path, run_quick):
    m = run_quick("deep_linear")
    for key in ("data", "dynamics", "regression", "illusions", "sweep", "final_loss", "n_stages", "config", "wall_s"):
        assert key in m, key
    assert np.max(np.abs(m["data"]["sampled_minus_expected_over_expected"])) < 0.04
    d = m["dynamics"]
    assert d["tau_epochs"] == 400.0 and d["modes_learned_in_order_of_s"]
    assert d["max_abs_half_time_error_epochs"]["discrete"] < 1.0 < 10.0 < d["max_abs_half_time_error_epochs"][
        "continuous"]
    assert d["t_half_times_log1p_s_over_tau_spread"][0] < 0.03 and d["t_half_times_s_spread"][0] < 0.12
    assert m["n_stages"] == [4] and max(m["regression"]["rel_error_w_tot_vs_least_squares"]) < 1e-9
    shark = m["illusions"]["Shark_has_bones"]
    assert shark["max_wrong_prediction"] > 0.4 and shark["final_prediction"] < -0.99
    assert m["illusions"]["Parrot_cannot_speak"]["max_wrong_prediction"] > 0.6
    sw = m["sweep"]
    stages = np.array(sw["n_stages"], dtype=float)  # rows: lr 20, 100, 200; columns: gamma 1e-12 .. 1
    assert stages[1, 0] == 4 and stages[1, -1] == 1 and np.isnan(stages[0, 0])  # lr 20: not done in 250 epochs
    rel = np.array(sw["half_time_theory_check"]["max_rel_error_per_gamma"], dtype=float)
    assert rel[0] < 0.02  # gamma = 1e-12: the exact solution holds at every lr of the grid (~1 %)
    for png in ("tree_data.png", "dynamics.png", "half_times.png", "rsm.png", "illusions.png", "sweep.png",
                "sweep_loss_curves.png"):
        assert (tmp_path / png).stat().st_size > 10_000, png
    h = np.load(tmp_path / "history.npz")
    assert h["rsm"].shape == (1, 251, 8, 8) and h["theory_discrete"].shape == (1, 251, 8)


@pytest.mark.slow
def test_benchmark_quick_runs_and_agrees():
    from benchmarks import deep_linear as bench

    cases = bench.run(quick=True, baselines=False, progress=False)
    assert [c["case"] for c in cases] == ["direct_float32_2_runs", "direct_float64_2_runs", "reduced_float64_2_runs",
                                          "grid_reduced_float64_12_runs"]
    assert all(c["jdl_s"] > 0 and c["baselines"] == {} for c in cases)
    assert cases[-1]["jdl"]["diverged"] == 0
    modes = np.array([[0, 0], [1, 0.5], [2, 0.9], [3, 2], [4, 2]], float)  # after 0..4 steps
    assert bench.half_learned_epoch(modes) == [1, 2]
