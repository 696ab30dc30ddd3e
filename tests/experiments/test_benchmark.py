"""benchmarks.runner: baseline parsing and a quick jdl-only run (speed itself is not asserted)."""
import json
import sys

import pytest

from benchmarks import runner as benchmark
from jdl.timing import timed


def _fake_baselines(tmp_path, monkeypatch, body):
    (tmp_path / "README.md").write_text("fake")
    (tmp_path / "fake.py").write_text(body)
    monkeypatch.setenv("JDL_BASELINES", str(tmp_path))
    monkeypatch.setenv("JDL_BASELINE_PYTHON", sys.executable)


def test_run_baseline_parses_the_json_line_after_a_banner(tmp_path, monkeypatch):
    _fake_baselines(tmp_path, monkeypatch,
                    "import json, sys\nprint('MAGMA banner {not json')\nprint(json.dumps({'wall_s': 1.5, 'argv': sys.argv[1:]}))\n")
    assert benchmark.run_baseline("fake.py", "--x", "1") == {"wall_s": 1.5, "argv": ["--x", "1"]}


def test_run_baseline_reports_failures(tmp_path, monkeypatch):
    _fake_baselines(tmp_path, monkeypatch, "raise SystemExit('boom')\n")
    assert "boom" in benchmark.run_baseline("fake.py")["error"]


def test_ratio_and_timed():
    assert benchmark.ratio(10.0, 2.0) == 5.0
    assert benchmark.ratio(None, 2.0) is None
    out, run_s, compile_s = timed(lambda: 3)
    assert out == 3 and run_s >= 0 and compile_s == 0


def test_unknown_benchmark_is_a_clear_error():
    with pytest.raises(SystemExit, match="unknown benchmark 'nope'"):
        benchmark.main(["nope"])
    with pytest.raises(SystemExit, match="unknown flag"):
        benchmark.main(["double_descent", "--fast"])


@pytest.mark.slow
def test_double_descent_benchmark_quick(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = benchmark.main(["double_descent", "--quick", "--skip-baselines", "--no-progress"])
    cases = {c["case"]: c for c in result["cases"]}
    assert set(cases) == {"closed_form_grid", "closed_form_every_N", "sgd_1_seed", "sgd_10_seeds"}
    assert all(c["jdl_s"] > 0 and c["jdl_compile_s"] >= 0 for c in cases.values())
    assert 0.9 <= cases["closed_form_every_N"]["jdl"]["peak_2N_over_n"] <= 1.1
    stored = json.loads((tmp_path / "results" / "benchmark" / "double_descent.json").read_text())
    assert stored["cases"][0]["case"] == "closed_form_grid"


@pytest.mark.slow
def test_boolean_benchmark_quick(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = benchmark.main(["boolean_complexity", "--quick", "--skip-baselines", "--no-progress"])
    (case,) = result["cases"]
    assert case["networks"] >= 50_000 and case["jdl_networks_per_s"] > 0
    assert case["flops_per_network"] == 2 * 128 * (7 * 40 + 40 * 40 + 40)
    assert 0 < case["jdl"]["freq_constant"] < 1
