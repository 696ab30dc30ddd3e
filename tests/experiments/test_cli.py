"""Every experiment's command line: --help, validation before compiling, and the quick run end to end."""
import json
import subprocess
import sys

import pytest

from experiments import _cli
from experiments import double_descent as dd


def test_help_lists_every_field_with_its_default(capsys):
    assert dd.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in ("seeds", "n_max", "lambd", "lr", "peak_epochs", "--quick"):
        assert name in text
    assert "--n_max=2000" in text and "(quick: 1000)" in text


@pytest.mark.parametrize("args,field", [
    (["--n_max=0"], "n_max"),
    (["--seeds="], "seeds"),
    (["--lambd=-0.1"], "lambd"),
    (["--lr=0"], "lr"),
    (["--lr=-1e-3"], "lr"),
    (["--fit_sizes=0,5"], "fit_sizes"),
    (["--no_such_field=1"], "no_such_field"),
    (["--n_max=abc"], "n_max"),
    (["--max_update=-1"], "max_update"),
])
def test_bad_config_is_one_line_error_naming_the_field(args, field):
    with pytest.raises(ValueError, match=field):
        cfg = _cli.override(dd.get_config(True), dict(a[2:].split("=", 1) for a in args))
        cfg.validate()
    with pytest.raises(SystemExit) as e:  # the command line: one line, before any compilation
        dd.main(["--quick", *args])
    msg = str(e.value)
    assert field in msg and "\n" not in msg


def test_overrides_are_parsed_by_type():
    cfg = _cli.override(dd.get_config(True), {"seeds": "3,4", "lr": "1e-3", "peak": "false", "n_max": "800"})
    assert cfg.seeds == (3, 4) and cfg.lr == 1e-3 and cfg.peak is False and cfg.n_max == 800


def test_experiments_use_a_persistent_compilation_cache_unless_one_is_configured(monkeypatch, tmp_path):
    import jax

    before = jax.config.jax_compilation_cache_dir
    try:
        monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/somewhere/else")
        _cli.use_compilation_cache()
        assert jax.config.jax_compilation_cache_dir == before  # the user's (here: the tests') choice stands
        monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        jax.config.update("jax_compilation_cache_dir", None)
        _cli.use_compilation_cache()
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "jdl" / "xla")
    finally:
        jax.config.update("jax_compilation_cache_dir", before)


@pytest.mark.slow
def test_quick_run_writes_metrics_and_figures(tmp_path):
    # through the real entry point, as a user runs it
    # the quick config, trimmed further (the notebook test runs the plain quick config)
    args = [sys.executable, "-m", "experiments.double_descent", "--quick", "--no-progress", f"--out={tmp_path}",
            "--seeds=0,1", "--n_step=24", "--fit_epochs=10", "--dd_epochs=10", "--peak_epochs=200",
            "--peak_eval_every=50", "--dd_sizes=5,50,200,449,1000"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=280)
    assert res.returncode == 0, res.stderr[-3000:]
    m = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("n_train", "n_features", "test_mse", "train_mse", "coef_norm", "peak_ratio", "config", "device",
                "jax_version", "wall_s", "test_mse_per_seed", "min_norm", "sgd_fits", "sgd_double_descent"):
        assert key in m, key
    assert m["n_train"] == 898 and m["peak_ratio"] == 1.0
    assert m["second_min_test_mse"] < m["first_min_test_mse"]
    assert m["max_train_mse_past_threshold_min_norm"] < 1e-10
    assert m["gradient_check"]["rel_err_finite_diff"] < 1e-8
    assert len(m["test_mse_per_seed"]) == len(m["config"]["seeds"])
    for png in ("closed_form.png", "coef_norm.png", "gradient_check.png", "sgd_fits.png", "sgd_double_descent.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    # a rerun resumes from the checkpoints and reproduces the numbers
    res2 = subprocess.run(args, capture_output=True, text=True, timeout=280)
    assert res2.returncode == 0, res2.stderr[-3000:]
    m2 = json.loads((tmp_path / "metrics.json").read_text())
    assert m2["test_mse"] == m["test_mse"]
    assert m2["sgd_fits"]["test_mse"] == m["sgd_fits"]["test_mse"]


@pytest.mark.slow
def test_readme_library_examples_run():
    """Every Python block of the README runs as printed (fewer epochs and seeds)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 2
    shapes = []
    for code in blocks:
        code = code.replace("epochs=20", "epochs=2").replace("epochs=10", "epochs=2").replace("range(5)", "range(2)")
        code = code.replace("range(4)", "range(2)")
        scope: dict = {}
        exec(compile(code, "README.md", "exec"), scope)
        shapes.append(scope["history"]["test_loss"].shape)
    assert (2, 3, 3) in shapes and (2, 8, 3) in shapes, shapes


# --- boolean_complexity ----------------------------------------------------------------------
from experiments import boolean_complexity as bc  # noqa: E402


def test_boolean_help_lists_fields(capsys):
    assert bc.main(["--help"]) is None
    text = capsys.readouterr().out
    assert "--n_networks=100000000" in text and "(quick: 100000)" in text and "sigma_b" in text


@pytest.mark.parametrize("args,field", [
    (["--n_inputs=13"], "n_inputs"), (["--n_inputs=0"], "n_inputs"), (["--hidden=40,0"], "hidden"),
    (["--sigma_w=0"], "sigma_w"), (["--sigma_b=-1"], "sigma_b"), (["--n_networks=0"], "n_networks"),
    (["--bias=huge"], "bias"), (["--precision=tf32"], "precision"), (["--chunk=0"], "chunk"),
])
def test_boolean_bad_config_is_one_line_error(args, field):
    with pytest.raises(SystemExit) as e:
        bc.main(["--quick", *args])
    assert field in str(e.value) and "\n" not in str(e.value)


@pytest.mark.slow
def test_boolean_quick_run(tmp_path):
    args = [sys.executable, "-m", "experiments.boolean_complexity", "--quick", "--no-progress", f"--out={tmp_path}",
            "--n_networks=40000", "--perceptron_networks=16384"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=280)
    assert res.returncode == 0, res.stderr[-3000:]
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["n_sampled"] >= 40000 and m["n_distinct"] > 100
    assert {f["description"] for f in m["top_functions"][:2]} == {"0", "1"}
    assert 0 < m["fraction_constant"] < 1 and m["top_functions"][0]["K_LZ"] == 7.0
    assert m["perceptron_uniformity"]["count_all_ones"] == 0
    for key in ("zipf", "simplicity_bound", "complexity_histogram", "networks_per_s", "flops_per_network"):
        assert key in m
    for png in ("rank_frequency.png", "p_vs_lz.png", "p_vs_ones.png", "perceptron_ones.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    res2 = subprocess.run(args, capture_output=True, text=True, timeout=280)  # resumes from the checkpoint
    assert res2.returncode == 0, res2.stderr[-3000:]
    m2 = json.loads((tmp_path / "metrics.json").read_text())
    assert m2["top_functions"] == m["top_functions"] and m2["n_distinct"] == m["n_distinct"]
