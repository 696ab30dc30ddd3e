"""jdl.studies.spline_regimes.runs: the data, the grid's learning rates and the choice of example cells."""
import numpy as np

from jdl.studies.spline_regimes import runs as SR
from jdl.studies.spline_regimes import splines as SP


def test_sweep_grid_is_target_major_with_one_stable_lr_per_member():
    x, ys = SR.make_data(("sin", "random"), 5)
    hp = SR.sweep_grid(x, ys, 16, (1.0, 3.0), (0.1, 1.0, 10.0), 0.5)
    assert hp["y"].shape == (12, 5) and hp["lr"].dtype == np.float32
    np.testing.assert_array_equal(hp["y"][6], ys["random"].astype(np.float32))
    assert hp["alpha"][3] == 3.0 and hp["lam"][3] == 0.1
    np.testing.assert_allclose(hp["lr"][7], SP.stable_lr(x, ys["random"], 16, 1.0, 1.0, 0.5), rtol=1e-6)


def test_select_panels_picks_the_largest_shift_among_allowed_cells():
    shift = np.zeros((2, 3, 3))
    shift[0, 0, 2], shift[0, 2, 2] = 0.5, 9.0  # alpha index 2 > i_show: lazy, not eligible
    shift[0, 1, 1] = 0.7
    excluded = np.zeros((2, 3, 3), bool)
    excluded[1, :, 1:] = True  # target 1: no eligible cell, falls back to (i_show, largest lambda)
    panels = SR.select_panels(shift, excluded, (0.1, 10.0, 100.0), 1)
    assert panels[0] == ("kernel", "kernel regime (smallest lambda)", 1, 0)
    assert panels[1][2:] == ([1, 1], [1, 2])
    assert panels[2][2:] == (2, 2)
    assert len(SR.select_panels(shift, excluded, (0.1, 10.0, 100.0), 2)) == 2  # alpha_show is the largest
