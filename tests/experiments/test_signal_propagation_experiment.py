"""experiments.signal_propagation: command line, validation, the quick run end to end, and its benchmark."""

import numpy as np
import pytest

from experiments import _cli
from experiments import signal_propagation as sp


def test_help_lists_every_field_with_its_default(capsys):
    assert sp.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in ("--K=50", "--D=80", "--n_data=1000", "(quick: 100)", "sigma_sq_min", "line_sigma_sq", "schemes",
                 "--quick"):
        assert name in text


@pytest.mark.parametrize("args,field", [
    (["--K=0"], "K"), (["--D=0"], "D"), (["--n_data=0"], "n_data"), (["--seeds="], "seeds"),
    (["--sigma_sq_min=0"], "sigma_sq_min"), (["--sigma_sq_max=-1"], "sigma_sq_max"),
    (["--sigma_sq_min=4", "--sigma_sq_max=2"], "sigma_sq_max"), (["--n_sigma_sq=1"], "n_sigma_sq"),
    (["--line_sigma_sq=1,0"], "line_sigma_sq"), (["--activations=swish"], "activations"),
    (["--schemes=xavier"], "schemes"), (["--dtype=float16"], "dtype"), (["--points_per_call=-1"], "points_per_call"),
    (["--K=abc"], "K"), (["--no_such_field=1"], "no_such_field"),
])
def test_bad_config_is_one_line_error_naming_the_field(args, field, config_error):
    config_error(sp, args, field)  # before anything compiles


def test_grid_holds_the_line_values_in_order():
    c = _cli.override(sp.get_config(True), {"line_sigma_sq": "0.3,2", "n_sigma_sq": "3"})
    c.validate()
    np.testing.assert_allclose(c.sigma_sq_grid() * c.D, [0.25, 0.3, np.sqrt(2), 2, 8])


@pytest.mark.slow
def test_quick_run_writes_metrics_and_figures(tmp_path, run_quick):
    m = run_quick("signal_propagation")
    for key in ("sigma_sq", "sigma_sq_D", "critical_sigma_sq_D", "lines", "per_activation", "schemes", "he_sigma_sq",
                "points_per_s", "config", "device", "wall_s"):
        assert key in m, key
    G, K = len(m["sigma_sq"]), m["K"]
    relu = m["per_activation"]["relu"]
    assert np.shape(relu["forward_var_mean"]) == (G, K) and np.shape(relu["grad_f_var_mean"]) == (G, K)
    assert abs(m["critical_sigma_sq_D"]["relu"]["forward"] / 2 - 1) < 0.2
    assert abs(m["critical_sigma_sq_D"]["tanh"]["backward"] - 1) < 0.2
    assert m["lines"]["relu"]["1/D"]["forward_ratio_last_first"] < 1e-10 < 1e10 < m["lines"]["relu"]["4/D"][
        "forward_ratio_last_first"]
    assert m["schemes"]["relu"]["most_stable"] == "he"
    for png in ("heatmap_relu.png", "heatmap_tanh.png", "variance_vs_layer.png", "growth_rate.png", "schemes.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    npz = np.load(tmp_path / "variances.npz")
    assert npz["relu_forward_var"].shape == (4, G + 3, K)


def test_benchmark_quick_runs():
    from benchmarks import signal_propagation as bench

    cases = bench.run(quick=True, baselines=False, progress=False)
    assert len(cases) == 1 and cases[0]["points"] == 8 and cases[0]["jdl_points_per_s"] > 0
    assert cases[0]["baselines"] == {}


def test_benchmark_numpy_loop_agrees_with_jdl():
    from benchmarks import signal_propagation as bench

    assert bench._agreement(K=6, D=8, n_data=10, sigma_sq=0.3, activation="tanh") < 1e-10
    fwd, grad_f, grad_h = bench.numpy_point(0, 2 / 8, K=6, D=8, n_data=10)
    assert fwd.shape == grad_f.shape == grad_h.shape == (6,)
