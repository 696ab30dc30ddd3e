"""experiments.udl_convolution and experiments.udl_geometry: command line, validation, the quick runs end to end."""
import numpy as np
import pytest

from experiments import udl_convolution as uc
from experiments import udl_geometry as ug


@pytest.mark.parametrize("module,fields", [
    (uc, ("--seed=1", "--dtype=float64", "--strides=(1, 2, 3)", "(quick: (2,))", "--demo_size=64", "kernel_sizes")),
    (ug, ("--n_points=1000", "--max_dim=1000", "(quick: 200)", "--shell=0.01", "--diameter=1.0", "volume_max_dim")),
])
def test_help_lists_every_field_with_its_default(capsys, module, fields):
    assert module.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in (*fields, "--quick"):
        assert name in text, name


@pytest.mark.parametrize("module,args,field", [
    (uc, ["--dtype=float16"], "dtype"), (uc, ["--strides=0,1"], "strides"), (uc, ["--pads=-1"], "pads"),
    (uc, ["--dilations="], "dilations"), (uc, ["--kernel_sizes=0"], "kernel_sizes"),
    (uc, ["--demo_size=2"], "demo_size"), (uc, ["--timing_batch=-1"], "timing_batch"), (uc, ["--seed=x"], "seed"),
    (uc, ["--seed=-1"], "seed"), (uc, ["--kernel_sizes=15"], "kernel_sizes"),  # 15 > the grid image's 11 + 2 pad
    (ug, ["--n_points=1"], "n_points"), (ug, ["--max_dim=0"], "max_dim"),
    (ug, ["--volume_max_dim=0"], "volume_max_dim"),
    (ug, ["--seeds="], "seeds"), (ug, ["--diameter=0"], "diameter"), (ug, ["--shell=1"], "shell"),
    (ug, ["--dtype=int8"], "dtype"), (ug, ["--seeds_per_call=-1"], "seeds_per_call"),
    (ug, ["--rows_per_block=-2"], "rows_per_block"), (ug, ["--no_such_field=1"], "no_such_field"),
])
def test_bad_config_is_one_line_error_naming_the_field(module, args, field, config_error):
    config_error(module, args, field)  # before anything compiles


@pytest.mark.slow
def test_convolution_quick_run(tmp_path, run_quick):
    m = run_quick("udl_convolution", "--print_arrays=false")
    assert [c["output_shape"] for c in m["cases"]] == [[1, 1, 4, 6], [1, 1, 6, 5], [1, 2, 4, 6], [2, 2, 4, 6]]
    assert m["max_abs_diff"] < 1e-12 and m["grid_max_abs_diff"] < 1e-12 and m["filter_bank"]["max_abs_diff"] < 1e-12
    assert m["grid_configs"] == 2 and m["gradients"]["weights_grad_max_abs_diff"] < 1e-10
    out = np.load(tmp_path / "cases.npz")
    np.testing.assert_allclose(out["case_4_output"], out["case_4_reference"], atol=1e-12)
    for png in ("case_1.png", "case_2.png", "case_3.png", "case_4.png", "filter_bank.png"):
        assert (tmp_path / png).stat().st_size > 10_000, png


@pytest.mark.slow
def test_geometry_quick_run(tmp_path, run_quick):
    m = run_quick("udl_geometry")
    nb = m["notebook"]
    assert f"{nb['data_sum_1000D']:3.3f}" == "1036.321"
    assert [f"{nb['distance_ratio'][d]:3.3f}" for d in ("2", "100", "1000")] == ["2840.258", "2.038", "1.221"]
    assert f"{nb['volume']['10']:3.3f}" == "0.002" and f"{nb['outer_shell_fraction']['300']:3.3f}" == "0.951"
    s = m["sweep"]
    assert len(s["ratio_median"]) == s["max_dim"] == 200 and s["n_seeds"] == 4
    r = s["ratio_median_at"]
    assert r["2"] > r["10"] > r["100"] > r["200"] > 1
    assert -0.65 < s["log_ratio_exponent"] < -0.4
    assert m["volume"]["unit_radius_peak_dim"] == 5 and m["outer_shell"]["half_volume_dim"] == 69
    assert abs(m["volume"]["log10_volume_at"]["1000"] + 1186.54) < 0.01
    npz = np.load(tmp_path / "distances.npz")
    assert npz["min_d"].shape == npz["max_d"].shape == (4, 200)
    for png in ("distances.png", "volumes.png"):
        assert (tmp_path / png).stat().st_size > 10_000, png


def test_convolution_float32_inside_an_x64_block_keeps_x64_on(tmp_path, monkeypatch):
    import dataclasses

    import jax
    import jax.numpy as jnp

    seen = []

    class Stop(Exception):
        pass

    def first_step(seed, dtype):
        seen.append((bool(jax.config.jax_enable_x64), dtype))
        raise Stop

    from jdl.studies.udlbook import convolution_runs as CR

    monkeypatch.setattr(CR, "notebook_cases", first_step)  # the study's first step, under precision(dtype)
    c = dataclasses.replace(uc.get_config(True), dtype="float32")
    with jax.enable_x64(True):
        with pytest.raises(Stop):
            uc.run(c, tmp_path)
        assert jax.config.jax_enable_x64
    with pytest.raises(Stop):
        uc.run(c, tmp_path)
    assert seen == [(True, jnp.float32), (False, jnp.float32)]
