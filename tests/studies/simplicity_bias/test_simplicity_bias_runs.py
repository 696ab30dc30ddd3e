"""jdl.studies.simplicity_bias.runs: the summary of counted functions and the perceptron check, small cases."""
import numpy as np

from jdl.studies.simplicity_bias import frequencies as S
from jdl.studies.simplicity_bias import networks as B
from jdl.studies.simplicity_bias import runs as SB


def test_summarize_functions_on_hand_made_counts():
    named = S.named_functions(3)
    keys = np.stack([named["0"], named["1"], named["x0"], named["x == 5"]])
    fc = B.FunctionCounts(keys, np.array([50, 30, 15, 5]), 100)
    out, figs = SB.summarize_functions(fc, 3, measure_limit=3, top=2, zipf_min_count=1)
    assert out["n_distinct"] == 4 and out["n_singletons"] == 0 and out["fraction_constant"] == 0.8
    assert out["measured_functions"] == 3 and abs(out["measured_probability_mass"] - 0.95) < 1e-12
    assert [f["description"] for f in out["top_functions"]] == ["0", "1"] and out["top_functions"][1]["ones"] == 8
    np.testing.assert_allclose(figs["P"], [0.5, 0.3, 0.15, 0.05])
    assert len(figs["measures"]["lz_complexity"]) == 3


def test_perceptron_uniformity_never_gives_all_ones(key):
    pu = SB.perceptron_uniformity(key, 3, 4096, chunk=1024)
    assert pu["n_sampled"] >= 4096 and pu["dof"] == 7 and pu["count_all_ones"] == 0
    assert pu["ones_histogram"].sum() == pu["n_sampled"] and pu["chi2_over_dof"] < 10


def test_run_all_reports_the_spec_and_counts():
    spec = B.NetSpec(3, (8,))
    res = SB.run_all(spec, seed=0, n_networks=2048, chunk=512, chunks_per_block=2, top=3, perceptron_networks=0)
    m = res["metrics"]
    assert m["n_sampled"] == res["counts"].n_sampled >= 2048 and m["spec"]["hidden"] == (8,)
    assert "perceptron_uniformity" not in m and len(m["top_functions"]) == 3
