"""experiments.linear_regions: command line, validation, the quick run end to end, and its benchmark."""

import pytest

from experiments import _cli
from experiments import linear_regions as lr
from jdl.studies.linear_regions import networks as LRN


def test_help_lists_every_field_with_its_default(capsys):
    assert lr.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in ("sawtooth_depth", "noise_levels", "widths", "depths", "middle_init", "max_breakpoints", "--quick"):
        assert name in text
    assert "--sawtooth_depth=16" in text and "(quick: 10)" in text


@pytest.mark.parametrize("args,field", [
    (["--sawtooth_depth=0"], "sawtooth_depth"), (["--noisy_depth=0"], "noisy_depth"),
    (["--noisy_depth=40"], "noisy_depth"), (["--depths=0,2"], "depths"), (["--widths=4,0"], "widths"),
    (["--noise_levels=0.1,-0.1"], "noise_levels"), (["--seeds=0"], "seeds"), (["--net_seeds=0"], "net_seeds"),
    (["--plot_depths=12"], "plot_depths"), (["--init=xavier"], "init"), (["--middle_init=zeros"], "middle_init"),
    (["--dtype=float16"], "dtype"), (["--interval=0"], "interval"), (["--chunk=0"], "chunk"),
    (["--widths=a"], "widths"), (["--no_such_field=1"], "no_such_field"),
])
def test_bad_config_is_one_line_error_naming_the_field(args, field):
    with pytest.raises(SystemExit) as e:  # before anything compiles
        lr.main(["--quick", *args])
    assert field in str(e.value) and "\n" not in str(e.value)


def test_quick_config_is_valid_and_overrides_parse():
    cfg = _cli.override(lr.get_config(True), {"noise_levels": "0,0.5", "depths": "1,3", "dtype": "float32"})
    cfg.validate()
    assert cfg.noise_levels == (0.0, 0.5) and cfg.depths == (1, 3) and cfg.dtype == "float32"


@pytest.mark.slow
def test_quick_run_writes_metrics_and_figures(tmp_path, run_quick):
    m = run_quick("linear_regions")
    for key in ("sawtooth", "sawtooth_variants", "random_nets", "udlbook", "networks_per_s", "config", "wall_s"):
        assert key in m, key
    saw, var, rnd, udl = m["sawtooth"], m["sawtooth_variants"], m["random_nets"], m["udlbook"]
    assert saw["exactly_2_pow_L"] and saw["pieces"] == [2 ** L for L in range(1, 11)]
    assert var["n_overflow"] == 0 and len(var["median_pieces"]) == len(m["config"]["noise_levels"]) + 2
    growth = var["growth_per_layer"]
    assert growth["noise 0.01"] > 1.8  # small noise: still exponential
    assert growth["random middle (torch)"] < 1.2  # random middle layers: no growth
    assert rnd["n_overflow"] == 0 and 0.2 < rnd["pieces_per_neuron"] < 2
    assert udl["matches_4_times_3_pow_N"] and udl["pieces"]["net2(net1)"] == 12
    for png in ("sawtooth_outputs.png", "sawtooth_variants.png", "pieces_vs_depth.png", "random_nets.png",
                "udlbook_composition.png"):
        assert (tmp_path / png).stat().st_size > 10_000


def test_benchmark_quick_runs_without_baselines():
    from benchmarks import linear_regions as bench

    cases = bench.run(quick=True, baselines=False, progress=False)
    assert len(cases) == 2
    for case in cases:
        for d in ("float32", "float64"):
            assert case[f"jdl_{d}"]["nets_per_s"] > 0 and case[f"jdl_{d}"]["n_overflow"] == 0
    assert "numpy_grid_loop" not in cases[0]


def test_benchmark_numpy_baseline_counts_a_sawtooth():
    import numpy as np

    from benchmarks import linear_regions as bench

    y = bench.numpy_forward(LRN.sawtooth(4, max_depth=6), np.linspace(-2, 2, 10_001))
    assert bench.grid_pieces(y) == 16
