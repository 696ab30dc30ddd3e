"""jdl.studies.deep_linear.summaries: theory vs measurement, stage order, illusions, the grid tables, diverged members."""
import warnings

import numpy as np
import pytest

from jdl import sweep
from jdl.studies.deep_linear import dynamics as L
from jdl.studies.deep_linear import summaries as SM

P, N, EPOCHS = 8, 100, 200


def _history(s, u0, tau, **extra):
    """A ``History`` whose strengths follow the exact GD-step curves (loss: the remaining error), any leading axes."""
    t = np.arange(EPOCHS + 1.0)
    u = L.mode_trajectory(t[:, None], s[..., None, :], u0[..., None, :], np.asarray(tau)[..., None, None],
                          discrete=True)
    loss = np.sum((s[..., None, :] - u) ** 2, -1) / np.sum(s ** 2, -1)[..., None]
    fields = {"loss": loss, "modes": u, "strengths": u, "rsm": None, "pred": u[..., 0], "s": s, "u0": u0,
              "ls_error": np.zeros(s.shape[:-1])}
    return L.History(**{**fields, **extra})


def test_spread_levels_and_rsm_epochs_by_hand():
    assert SM.spread([2.0, 3.0, 4.0]) == 1.0
    assert np.isnan(SM.spread([1.0, np.nan])) and np.isnan(SM.spread([1.0, 0.0])) and np.isnan(SM.spread([-1.0, 2]))
    mult = np.array([1, 2])
    assert SM.levels_in_order(np.array([[1.0, 2.0, 3.0], [1.5, 2.0, 2.5]]), mult)
    assert not SM.levels_in_order(np.array([[1.0, 2.0, 3.0], [2.5, 2.0, 3.0]]), mult)  # the second seed is not
    assert not SM.levels_in_order(np.array([np.nan, 2.0, 3.0]), mult)  # never learned: after the end
    # medians 10 and 31 -> one midpoint 20.5 -> 20 (round half to even); clipped to the last epoch
    assert SM.rsm_epochs(np.array([10.0, 30.0, 32.0]), mult, 100) == [0, 20, 100]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SM.rsm_epochs(np.array([10.0, np.nan, np.nan]), mult, 100) == [0, 100]  # level 2 never learned
    assert SM.rsm_epochs(np.array([10.0, 30.0, 32.0]), mult, 100, chosen=(7, 3, 7)) == [3, 7]


def test_theory_comparison_shapes_and_exact_curves():
    s = np.array([[5.0, 3.0, 1.0], [4.0, 2.0, 1.5]])  # (S, A): decreasing per seed
    u0 = np.full_like(s, 1e-6)
    lr = 50.0
    tau = float(L.time_constant(lr, P, N))
    hist = _history(s, u0, tau)
    th = SM.theory_comparison(hist, lr, P, N, np.array([1, 1, 1]), EPOCHS)
    assert th["tau"] == tau == 8.0
    for v in th["curves"].values():
        assert v.shape == (2, EPOCHS + 1, 3)
    for v in th["half"].values():
        assert v.shape == (2, 3)
    np.testing.assert_array_equal(th["curves"]["discrete"], hist.strengths)  # the curves the history follows
    d = th["summary"]
    # the measured half-time interpolates the exact curve between epochs: within one epoch of the theory
    assert d["max_abs_half_time_error_epochs"]["discrete"] < 1.0
    assert d["max_abs_half_time_error_epochs"]["continuous"] > 1.0  # continuous time is early at s / tau ~ 0.6
    assert d["max_trajectory_error_over_s"]["discrete"] == 0.0 and d["modes_learned_in_order_of_s"]
    measured = d["half_time_measured"]
    np.testing.assert_array_equal(d["t_half_times_s"], measured * s)
    ref = (measured * s).max(1) / (measured * s).min(1) - 1  # the NumPy reference of the spread
    np.testing.assert_allclose(d["t_half_times_s_spread"], ref, rtol=1e-15)
    assert d["max_step_s_over_tau"] == 5.0 / 8.0


def test_illusion_metrics_by_hand():
    measured = np.array([0.0, 0.3, 0.6, 0.2, -0.5, -1.0])  # truth -1: wrong (> 0.1 positive) at 1, 2, 3
    m = SM.illusion_metrics(measured, measured + 0.01, measured - 0.02, -1.0)
    assert m == {"true_value": -1.0, "max_wrong_prediction": 0.6, "epoch_of_max_wrong": 2,
                 "epochs_wrong_by_more_than_0.1": 3, "first_epoch_right_sign_after_peak": 4,
                 "final_prediction": -1.0, "max_error_theory_vs_measured": pytest.approx(0.01),
                 "max_error_from_measured_strengths": pytest.approx(0.02)}
    never = SM.illusion_metrics(np.array([0.0, 0.5, 0.4]), np.zeros(3), np.zeros(3), -1.0)
    assert never["first_epoch_right_sign_after_peak"] is None and never["final_prediction"] == 0.4


def _grid():
    sweep_lr, sweep_gamma, sweep_seeds = (10.0, 20.0), (1e-6, 1e-3), (11, 12)
    g = sweep.grid(lr=np.asarray(sweep_lr), gamma=np.asarray(sweep_gamma))
    tau = L.time_constant(g["lr"], P, N)  # (G,)
    s = np.broadcast_to(np.array([[[5.0, 3.0]], [[4.5, 2.5]]]), (2, 4, 2)).copy()  # (S, G, A): seeds differ
    u0 = np.broadcast_to(g["gamma"][None, :, None], s.shape).copy()
    hist = _history(s, u0, np.broadcast_to(tau, (2, 4)), ls_error=np.arange(8.0).reshape(2, 4))
    return hist, g, sweep_lr, sweep_gamma, sweep_seeds


def test_grid_summary_matches_a_numpy_reference():
    hist, g, *axes = _grid()
    out = SM.grid_summary(hist, g["lr"], g["gamma"], *axes, P, N)
    tb = out["tables"]
    assert out["runs"] == 8 and out["diverged_members"] == []
    for k in ("plateau_end_epoch", "n_stages", "log10_final_loss", "ls_error", "diverged_fraction",
              "half_time_top_mode", "half_time_last_mode"):
        assert tb[k].shape == (2, 2), k
    plateau = np.array([[L.plateau_end(hist.loss[s, j]) for j in range(4)] for s in range(2)])
    np.testing.assert_array_equal(tb["plateau_end_epoch"], np.median(plateau, 0).reshape(2, 2))
    np.testing.assert_array_equal(tb["ls_error"], np.array([[2.0, 3.0], [4.0, 5.0]]))  # seed medians of arange
    np.testing.assert_array_equal(tb["diverged_fraction"], np.zeros((2, 2)))
    chk = out["half_time_theory_check"]
    assert chk["modes_checked"].tolist() == [8, 8]  # 2 seeds x 2 lr x 2 modes per gamma
    assert np.all(chk["max_rel_error_per_gamma"] < 0.02)  # the exact GD-step curves, up to the interpolation


def test_grid_summary_reports_diverged_members_and_leaves_them_out():
    hist, g, *axes = _grid()
    loss = hist.loss.copy()
    loss[1, 2, 50] = np.nan  # seed 12 at (lr 20, gamma 1e-6) diverged
    loss[0, 3, -1] = 2 * loss[0, 3, 0]  # seed 11 at (lr 20, gamma 1e-3): the loss rose
    out = SM.grid_summary(hist._replace(loss=loss), g["lr"], g["gamma"], *axes, P, N)
    assert out["diverged_members"] == [{"seed": 11, "lr": 20.0, "gamma": 1e-3}, {"seed": 12, "lr": 20.0, "gamma": 1e-6}]
    tb = out["tables"]
    np.testing.assert_array_equal(tb["diverged_fraction"], np.array([[0.0, 0.0], [0.5, 0.5]]))
    # the diverged member's cell is the other seed's value (not a median with NaN, not averaged in)
    assert tb["ls_error"][1, 0] == 2.0 and tb["ls_error"][1, 1] == 7.0
    good = SM.grid_summary(hist, g["lr"], g["gamma"], *axes, P, N)["tables"]
    assert tb["half_time_top_mode"][1, 0] == _half_top(hist, 0, 2) != good["half_time_top_mode"][1, 0]
    assert good["half_time_top_mode"][1, 0] == (_half_top(hist, 0, 2) + _half_top(hist, 1, 2)) / 2
    assert np.all(np.isfinite(tb["plateau_end_epoch"]))  # every cell keeps a finite seed
    chk = out["half_time_theory_check"]
    assert chk["modes_checked"].tolist() == [6, 6]  # each gamma loses one member's 2 modes


def _half_top(hist, s, j):  # the measured half-time of member (s, j)'s top mode
    return L.measured_half_times(hist.strengths[s, j], hist.s[s, j])[0]


def test_grid_summary_cell_where_every_seed_diverged_is_nan_without_warning():
    hist, g, *axes = _grid()
    loss = hist.loss.copy()
    loss[:, 0, -1] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tb = SM.grid_summary(hist._replace(loss=loss), g["lr"], g["gamma"], *axes, P, N)["tables"]
    assert np.isnan(tb["plateau_end_epoch"][0, 0]) and np.isnan(tb["ls_error"][0, 0])
    assert tb["diverged_fraction"][0, 0] == 1.0 and np.isfinite(tb["plateau_end_epoch"][0, 1])


def test_max_rel_diffs():
    a = L.History(np.array([[1.0, 2.0]]), np.zeros((1, 2)), None, None, None, None, None, None)
    b = a._replace(loss=np.array([[1.0, 2.5]]))
    assert SM.max_rel_diffs(b, a, ("loss", "modes")) == {"loss": 0.25, "modes": 0.0}  # 0 / 0 guarded
