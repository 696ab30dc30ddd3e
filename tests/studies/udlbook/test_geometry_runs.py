"""jdl.studies.udlbook.geometry_runs: Coursework IV end to end (what experiments.udl_geometry reports)."""
import numpy as np

from jdl.studies.udlbook import geometry as G
from jdl.studies.udlbook import geometry_runs as GR


def test_notebook_values_parts_b_and_c():
    nb = GR.notebook_values(notebook=False)
    assert "distance_ratio" not in nb
    assert list(nb["volume"]) == list(GR.VOLUME_DIMS) and list(nb["outer_shell_fraction"]) == list(GR.SHELL_DIMS)
    assert f"{nb['volume'][2]:.3f}" == "0.785" and f"{nb['volume'][10]:.3f}" == "0.002"
    assert f"{nb['outer_shell_fraction'][300]:.3f}" == "0.951"


def test_ratio_summary_of_known_extremes():
    dims = np.arange(1, 31, dtype=float)
    min_d = np.stack([np.sqrt(2 * dims) * (1 - 0.5 / np.sqrt(dims)), np.sqrt(2 * dims) * (1 - 1 / np.sqrt(dims + 3))])
    max_d = np.stack([np.sqrt(2 * dims) * (1 + 0.5 / np.sqrt(dims)), np.sqrt(2 * dims) * (1 + 1 / np.sqrt(dims + 3))])
    s = GR.ratio_summary(G.Extremes(min_d, max_d), n_points=5)
    np.testing.assert_array_equal(s["dims"], np.arange(1, 31))
    np.testing.assert_allclose(s["ratio_median"], np.median(max_d / min_d, axis=0))
    assert list(s["ratio_median_at"]) == [1, 2, 3, 10, 30] and s["pairs"] == 2 * 10
    np.testing.assert_allclose(s["max_over_sqrt_2d_median_at_max_dim"], np.median(max_d[:, -1]) / np.sqrt(60))
    assert s["log_ratio_exponent"] is not None and s["log_ratio_exponent"] < 0
    assert GR.ratio_summary(G.Extremes(min_d[:, :10], max_d[:, :10]), 5)["log_ratio_exponent"] is None  # D < 20


def test_volume_curves_match_the_closed_form():
    v = GR.volume_curves(12, diameter=1.0, shell=0.01)
    assert v["dims"].dtype == np.float64 and v["dims"].shape == (12,)
    main, unit = v["log10_volume"].values()
    np.testing.assert_allclose(10 ** main[:10], list(GR.notebook_values(False)["volume"].values()), rtol=1e-12)
    assert int(np.argmax(unit)) + 1 == 5  # the radius-1 ball is largest in 5 dimensions
    assert list(v["shell"]) == [f"outer {p:g} % of the radius" for p in (0.1, 1, 5)]


def test_run_all_small_sweep():
    nb = GR.notebook_values(notebook=False)
    res = GR.run_all(nb, n_points=6, max_dim=25, seeds=(0, 1), volume_max_dim=100, progress=False)
    m = res["metrics"]
    assert m["notebook"] is nb and m["sweep"]["n_seeds"] == 2 and len(m["sweep"]["ratio_median"]) == 25
    assert res["extremes"].min_d.shape == (2, 25) and m["sweep"]["pairs"] == 2 * 15
    assert m["volume"]["unit_radius_peak_dim"] == 5 and m["outer_shell"]["half_volume_dim"] == 69
    d = res["arrays"]["distances"]
    assert set(d) == {"dims", "min_d", "max_d", "seeds"} and list(d["seeds"]) == [0, 1]
