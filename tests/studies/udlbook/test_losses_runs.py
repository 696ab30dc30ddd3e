"""jdl.studies.udlbook.losses_runs: the Loss / Loss_II / Loss_III numbers of experiments.udl_losses, small surfaces."""
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.studies.udlbook import losses_runs as LR


@pytest.fixture(scope="module")
def res():
    return LR.run_all(surface_points=5, dtype="float64")


@pytest.mark.parametrize("problem,best", [("regression", 0.27), ("binary", 1.6), ("multiclass", 0.6)])
def test_each_notebook_reproduced(res, problem, best):
    r = res[problem]
    assert r["all_checks_agree"], r["checks"]
    assert r["beta_1_scan"]["same_argmin"] and round(r["beta_1_scan"]["argmin_nll"], 3) == best
    sf = r["surface"]
    assert sf["nll"].shape == (5, 5) and sf["axes"] == ["beta_1[0,0]", LR.SURFACES[problem][0]]
    np.testing.assert_allclose(sf["min_nll"], sf["nll"].min())


def test_regression_sigma_scan(res):
    s = res["regression"]["sigma_scan"]
    assert round(s["argmin_nll"], 3) == 0.265 and s["same_argmin"] and s["beta_1"] == 0.27


def test_scan_summary_flags_disagreeing_argmins():
    values = np.array([0.0, 1.0, 2.0])
    out = LR.scan_summary(values, {"likelihood": np.array([0.1, 0.3, 0.2]), "nll": np.array([2.0, 1.0, 1.5]),
                                   "sum_of_squares": np.array([0.5, 0.4, 0.3])})
    assert out["argmax_likelihood"] == out["argmin_nll"] == 1.0 and out["argmin_sum_of_squares"] == 2.0
    assert not out["same_argmin"]
    flat = LR.scan_summary(values, {"likelihood": np.array([0.1, 0.3, 0.2]), "nll": np.array([2.0, 1.0, 1.5]),
                                    "sum_of_squares": np.full(3, 0.4)})
    assert flat["same_argmin"]  # a constant sum of squares does not count against it


def test_split_results_moves_the_surfaces_and_leaves_the_input(res):
    metrics, arrays = LR.split_results(res)
    assert set(arrays) == {f"{p}_{k}" for p in LR.PROBLEMS for k in ("beta_1", "second", "nll")}
    for p in LR.PROBLEMS:
        assert "_plot" not in metrics[p] and metrics[p]["surface"]["shape"] == [5, 5]
        assert not {"first", "second", "nll"} & set(metrics[p]["surface"])
        assert "nll" in res[p]["surface"] and "_plot" in res[p]  # the input is not mutated


def test_float32_runs():
    r = LR.run_all(problems=("regression",), surface_points=3, dtype=jnp.float32)["regression"]
    assert r["surface"]["nll"].dtype == np.float32 and round(r["beta_1_scan"]["argmin_nll"], 2) == 0.27
