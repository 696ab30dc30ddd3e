"""jdl.studies.udlbook.convolution_runs: Convolution I end to end (what experiments.udl_convolution reports)."""
import jax
import jax.numpy as jnp
import numpy as np

from jdl.studies.udlbook import conv2d as C
from jdl.studies.udlbook import convolution_runs as CR


def test_grid_configs_drop_kernels_that_do_not_fit():
    assert CR.grid_configs((3, 15), (2,), (1,), (1,)) == [(3, 2, 1, 1)]  # 15 > 11 + 2 pad
    assert CR.grid_configs((5,), (1,), (0,), (1, 3)) == [(5, 1, 0, 1)]  # dilated 5 -> 13 > 9
    assert len(CR.grid_configs((1, 3), (1, 2), (0, 1), (1,))) == 8


def test_max_abs_diff():
    assert CR.max_abs_diff(np.ones((2, 2)), jnp.asarray([[1.0, 1.5], [0.0, 1.0]])) == 1.0


def test_run_all_quick_matches_lax_and_keeps_x64_as_it_was():
    was = bool(jax.config.jax_enable_x64)
    res = CR.run_all(seed=1, dtype=jnp.float32, strides=(2,), pads=(1,), dilations=(1, 2), kernel_sizes=(3,),
                     demo_size=16, timing_batch=0)
    assert bool(jax.config.jax_enable_x64) == was
    m = res["metrics"]
    assert [r["output_shape"] for r in m["cases"]] == [(1, 1, 4, 6), (1, 1, 6, 5), (1, 2, 4, 6), (2, 2, 4, 6)]
    assert all("reference" not in r for r in m["cases"]) and all("reference" in r for r in res["cases"])
    assert m["max_abs_diff"] < 1e-5 and m["grid_max_abs_diff"] < 1e-5 and m["grid_configs"] == 2
    assert m["gradients"]["weights_grad_max_abs_diff"] < 1e-3 and m["timing"] is None
    fb = res["filter_bank"]
    assert fb["image_hw"].shape == (16, 16) and fb["kernels_khw"].shape == (len(C.FILTERS), 3, 3)
    assert fb["bank_khw"].shape == (len(C.FILTERS), 16, 16) and m["filter_bank"]["names"] == list(C.FILTERS)
    assert sorted(res["arrays"]["cases"]) == sorted(f"case_{i}_{k}" for i in range(1, 5) for k in ("output", "reference"))
    assert [w.shape for _, w in res["inputs"]] == [r["weights_shape"] for r in m["cases"]]


def test_timing_reports_both_convolutions():
    t = CR.timing(0, 1, jnp.float32)
    assert t["shape"] == (1, 16, 32, 32) and t["hand_written_s"] > 0 and t["lax_s"] > 0
    np.testing.assert_allclose(t["hand_over_lax"], t["hand_written_s"] / t["lax_s"])
