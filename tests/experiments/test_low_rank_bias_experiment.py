"""experiments.low_rank_bias: command line, validation, the quick run end to end, and its benchmark."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from benchmarks import low_rank_bias as bench
from experiments import _cli
from experiments import low_rank_bias as exp
from jdl.studies.low_rank_bias import deep_nets as R


def test_help_lists_every_field_with_its_default(capsys):
    assert exp.main(["--help"]) is None
    text = capsys.readouterr().out
    for name in ("--max_depth=64", "(quick: 16)", "train_depths", "ranks",
                 "lrs", "w_std", "--quick"):
        assert name in text, name


@pytest.mark.parametrize("args,field", [
    (["--max_depth=0"], "max_depth"),
    (["--train_depths=0,2"], "train_depths"),
    (["--width=0"], "width"),
    (["--lrs=0.1,0"], "lrs"),
    (["--lrs=-1"], "lrs"),
    (["--ranks=0,4"], "ranks"),
    (["--ranks=1,33"], "ranks"),  # quick d = 32
    (["--seeds="], "seeds"),
    (["--train_seeds="], "train_seeds"),
    (["--d=0"], "d"),
    (["--eval_every=7"], "eval_every"),
    (["--momentum=1"], "momentum"),
    (["--no_such_field=1"], "no_such_field"),
    (["--width=abc"], "width"),
])
def test_bad_config_is_one_line_error_naming_the_field(args, field):
    with pytest.raises(SystemExit) as e:  # before anything compiles
        exp.main(["--quick", *args])
    msg = str(e.value)
    assert field in msg and "\n" not in msg, msg


def test_overrides_are_parsed_by_type():
    cfg = _cli.override(exp.get_config(True), {"ranks": "1,2", "lrs": "0.5,1e-2", "checkpoint": "false"})
    assert cfg.ranks == (1, 2) and cfg.lrs == (0.5, 0.01) and cfg.checkpoint is False
    cfg.validate()
    exp.get_config(False).validate()


def test_numpy_loop_reproduces_the_jdl_member():
    # the benchmark's hand-written backprop + momentum, fed the member's own data and init
    d, n, steps, hp = 8, 6, 20, {"depth": 2, "rank": 2, "lr": 0.05}
    member = R.make_regression_member(d=d, n_train=n, n_test=16, max_depth=3, steps=steps, W_std=0.9)
    key = jax.random.key(3)
    out = jax.jit(member)(key, {k: jnp.asarray(v) for k, v in hp.items()})
    k_data = jax.random.fold_in(key, 0)
    target = R.low_rank_target(jax.random.fold_in(k_data, 0), d, hp["rank"])
    data = R.regression_data(jax.random.fold_in(k_data, 1), target, n, 16)
    w0 = R.init_stack(jax.random.fold_in(key, 1), 3, d, 0.9)
    loss, m = bench.numpy_train(data.x_train, data.y_train, np.asarray(w0), hp["depth"], hp["lr"], 0.9, steps)
    assert float(out["train_loss"]) == pytest.approx(loss, rel=2e-3)
    np.testing.assert_allclose(out["sigma"], np.linalg.svd(m, compute_uv=False), rtol=2e-3, atol=1e-5)


@pytest.mark.slow
def test_quick_run_writes_metrics_and_figures(tmp_path, run_quick):
    m = run_quick("low_rank_bias")
    for key in ("init", "trained", "config", "device", "jax_version", "wall_s", "figures"):
        assert key in m, key
    init, tr = m["init"], m["trained"]
    for net in ("map", "linear", "relu"):
        assert len(init[net]["erank"]) == 3 and len(init[net]["erank"][0]) == 16
        assert init[net]["erank_last"] < init[net]["erank_first"] / 2 and init[net]["nonfinite"] == 0
    assert init["relu"]["erank_last"] < init["linear"]["erank_last"] and init["relu_below_linear_all_depths"]
    for key in ("best_lr", "train_loss", "test_loss", "erank", "steps_to_fit", "diverged", "train_loss_grid",
                "best_lr_at_grid_edge", "target_erank"):
        assert key in tr, key
    er = np.asarray(tr["erank_median"])  # (depth, rank)
    assert er.shape == (4, 4) and er[-1, -1] < er[0, -1] and er[-1, 0] < er[0, 0]
    assert np.all(np.isfinite(np.asarray(tr["best_lr"], float)))
    for png in ("init_effective_rank.png", "init_spectra.png", "trained_vs_rank.png", "trained_spectra.png"):
        assert (tmp_path / png).stat().st_size > 10_000, png


@pytest.mark.slow
def test_benchmark_quick():
    cases = {c["case"].split("_")[0]: c for c in bench.run(quick=True, baselines=False, progress=False)}
    assert set(cases) == {"init", "trained"}
    for c in cases.values():
        assert c["jdl_s"] > 0 and c["jdl_compile_s"] >= 0 and c["members"] > 0
    assert cases["trained"]["jdl_diverged"] == 0
    relu = cases["init"]["jdl"]["relu"]
    assert relu[1] < relu[0]


def test_numpy_init_loop_agrees_with_jdl_in_distribution():
    # different random draws, same distribution: deep ReLU collapses, the linear map keeps more rank
    out = bench.numpy_init_member(0, 12, 32, 64)
    assert out["relu"] < out["linear"] < out["map"] and out["relu"] < 2.5
