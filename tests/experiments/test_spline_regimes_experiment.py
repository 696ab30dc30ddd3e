"""experiments.spline_regimes: --help, validation before compiling, the quick run end to end, and its benchmark."""
import json
import subprocess
import sys

import numpy as np
import pytest

from experiments import spline_regimes as sr
from jdl.studies.spline_regimes import runs as SR


def test_help_lists_fields_with_defaults(capsys):
    assert sr.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in ("alphas", "lambdas", "seeds", "momentum", "lr_scale", "--quick"):
        assert name in text
    assert "--m=1000" in text and "(quick: 256)" in text and "--steps=20000" in text


@pytest.mark.parametrize("args,field", [
    (["--alphas=0,1"], "alphas"), (["--alphas=-1"], "alphas"), (["--lambdas=0"], "lambdas"),
    (["--lambdas=10,1"], "lambdas"),
    (["--lambdas=1,-2"], "lambdas"), (["--m=0"], "m"), (["--steps=0"], "steps"), (["--seeds="], "seeds"),
    (["--targets=cos"], "targets"), (["--momentum=1"], "momentum"), (["--records=7"], "records"),
    (["--lr_scale=0"], "lr_scale"), (["--delta=0"], "delta"), (["--no_such=1"], "no_such"), (["--m=x"], "m"),
])
def test_bad_config_is_one_line_error_naming_the_field(args, field):
    with pytest.raises(SystemExit) as e:
        sr.main(["--quick", *args])
    msg = str(e.value)
    assert msg.startswith(f"error: {field}") and "\n" not in msg


def test_random_target_matches_the_baseline_draw():
    c = sr.get_config(False)
    x, ys = SR.make_data(c.targets, c.n_points, c.data_seed)
    np.testing.assert_array_equal(ys["random"], np.random.default_rng(0).uniform(-1, 1, 10))
    np.testing.assert_array_equal(x, np.linspace(-1, 1, 10))


@pytest.mark.slow
def test_quick_run_writes_metrics_and_figures(tmp_path):
    args = [sys.executable, "-m", "experiments.spline_regimes", "--quick", "--no-progress", f"--out={tmp_path}"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=280)
    assert res.returncode == 0, res.stderr[-3000:]
    m = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("spline_index", "d_lin", "d_cub", "knot_shift", "knot_mass_near_data", "train_mse", "lr", "regimes",
                "diverged", "n_diverged", "per_seed", "path_norm", "uniform_near_fraction", "config", "wall_s",
                "device"):
        assert key in m, key
    assert m["n_diverged"] == 0 and np.isfinite(np.asarray(m["lr"], float)).all()
    assert np.shape(m["spline_index"]["sin"]) == (2, 3)  # alphas x lambdas
    for name in ("sin", "square"):
        g = m["regimes"][name]
        assert set(g) == {"kernel", "adaptive", "lazy_large_lambda"}
        assert g["kernel"]["knot_shift"] < 0.01 < 0.1 < g["adaptive"]["knot_shift"]
        # the adaptive example is a lambda > 1 cell at alpha <= alpha_show, converged where one is
        assert g["adaptive"]["lambda"] > 1 and g["adaptive"]["alpha"] <= g["kernel"]["alpha"]  # kernel: alpha_show
        assert isinstance(g["adaptive"]["converged"], bool)
    for png in ("fits.png", "spline_index.png", "knots.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    res2 = subprocess.run(args, capture_output=True, text=True, timeout=280)  # resumes from the checkpoint
    assert res2.returncode == 0, res2.stderr[-3000:]
    assert json.loads((tmp_path / "metrics.json").read_text())["spline_index"] == m["spline_index"]


@pytest.mark.slow
def test_benchmark_quick_runs_without_baselines():
    from benchmarks import spline_regimes as bench

    (case,) = bench.run(quick=True, baselines=False, progress=False)
    assert case["jdl_s"] > 0 and case["jdl_compile_s"] >= 0 and case["jdl_run_steps_per_s"] > 0
    assert case["run_steps"] == 3 * 2 * 1000 and case["baselines"] == {}
    assert [r["alpha"] for r in case["per_alpha"]] == case["alphas"]
    assert all(r["jdl_diverged"] == 0 and np.isfinite(r["jdl"]["spline_index"]) for r in case["per_alpha"])
