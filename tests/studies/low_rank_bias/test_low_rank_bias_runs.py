"""jdl.studies.low_rank_bias.runs: the summaries of the init and trained sweeps on hand-made arrays."""
import numpy as np

from jdl.studies.low_rank_bias import runs as LRB


def test_summarize_init_medians_halving_depth_and_monotonicity():
    er = np.array([[8.0, 6.0, 4.0, 3.0], [8.0, 6.0, 4.0, 5.0], [8.0, 6.0, 2.0, 3.0]])  # (S, D)
    res = {f"{net}_{q}": er * (0.5 if net == "relu" else 1.0) for net in ("map", "linear", "relu")
           for q in ("erank", "entropy")}
    out = LRB.summarize_init(res, max_depth=4, width=8, n_inputs=16)
    lin = out["linear"]
    np.testing.assert_array_equal(lin["erank_median"], [8.0, 6.0, 4.0, 3.0])
    assert lin["erank_first"] == 8.0 and lin["halving_depth"] == 3 and lin["fraction_nonincreasing"] == 1.0
    assert out["relu"]["halving_depth"] == 3 and out["relu_below_linear_all_depths"] and lin["nonfinite"] == 0


def test_summarize_trained_picks_the_best_finite_lr_and_counts_steps_to_fit():
    S, D, R, L, E = 2, 1, 2, 3, 4
    train = np.array([0.5, 0.1, np.nan])[None, None, None].repeat(S, 0).repeat(R, 2)  # lr 2 diverged
    curve = np.broadcast_to(np.array([1.0, 0.5, 1e-4, 1e-5]), (S, D, R, L, E)).copy()
    res = {"train_loss": train, "test_loss": train + 1, "erank": train * 0 + 2, "entropy": train * 0 + 1,
           "train_curve": curve, "target_erank": np.ones((S, D, R, L))}
    out = LRB.summarize_trained(res, seeds=(0, 1), depths=(1,), ranks=(1, 4), lrs=(0.1, 1.0, 10.0), fit_tol=1e-3,
                                eval_every=10)
    np.testing.assert_array_equal(out["best_lr"], [[1.0, 1.0]])
    assert not out["best_lr_at_grid_edge"].any() and out["no_stable_lr"] == []
    np.testing.assert_array_equal(out["steps_to_fit"], np.full((S, D, R), 20))
    assert len(out["diverged"]) == S * R and out["diverged"][0] == {"seed": 0, "depth": 1, "rank": 1, "lr": 10.0}
    np.testing.assert_allclose(out["train_loss_median"], [[0.1, 0.1]])
