"""jdl.studies.signal_propagation.runs: the sigma^2 grid and the summaries, on hand-made variances."""
import numpy as np

from jdl.studies.signal_propagation import propagation as S
from jdl.studies.signal_propagation import runs as SP


def test_sigma_sq_grid_merges_the_line_values_and_line_indices_find_them():
    sig = SP.sigma_sq_grid(0.5, 8.0, 5, (2.0, 3.0), 10)
    np.testing.assert_allclose(sig * 10, [0.5, 1.0, 2.0, 3.0, 4.0, 8.0])
    assert SP.line_indices(sig, (2.0, 3.0), 10) == [2, 3]


def test_summarize_schemes_picks_the_flattest_scheme():
    k = np.arange(5.0)
    fwd = np.stack([2.0 ** k, np.ones(5), 0.5 ** k])  # growing, flat, shrinking forward signal
    bwd = np.ones((3, 5))
    rows = np.ones((3, 3))
    out = SP.summarize_schemes(("lecun", "glorot", "he"), rows, fwd, bwd)
    assert out["most_stable"] == "glorot"
    assert out["lecun"]["forward_rate"] > 0 > out["he"]["forward_rate"]
    assert SP.summarize_schemes((), np.zeros((0, 3)), np.zeros((0, 5)), np.zeros((0, 5))) == {}


def test_summarize_grid_finds_the_crossing_of_the_forward_rate():
    sig = np.array([0.5, 1.0, 2.0, 4.0])
    k = np.arange(6.0)
    var_sgk = np.stack([np.stack([g ** k for g in sig])] * 2)  # forward variance grows by sigma^2 per layer
    st = S.Stats(var_sgk, 1.0 / var_sgk, 1.0 / var_sgk, var_sgk[..., -1])
    out = SP.summarize_grid(sig, st, 1)
    np.testing.assert_allclose(out["critical_sigma_sq_D"]["forward"], 1.0, rtol=1e-6)
    np.testing.assert_allclose(out["forward_ratio_last_first"], sig ** 5)
