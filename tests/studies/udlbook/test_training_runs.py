"""jdl.studies.udlbook.training_runs: the Training I-III numbers of experiments.udl_training, small grids."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl import optim
from jdl.precision import precision
from jdl.studies.udlbook import curve_fitting as M
from jdl.studies.udlbook import training_fixtures as U
from jdl.studies.udlbook import training_runs as TR


def test_grid_takes_every_kth_point_of_the_notebook_grid():
    np.testing.assert_array_equal(TR.grid((0.0, 2.0, 0.5), 1), [0.0, 0.5, 1.0, 1.5])
    np.testing.assert_array_equal(TR.grid((0.0, 2.0, 0.5), 3), [0.0, 1.5])


def test_checks_gradients_agree():
    with precision(jnp.float64):
        x, y = map(jnp.asarray, U.linear_data())
        out = TR.checks(M.linear, M.linear_grad, x, y, U.LINEAR.check_phi, U.LINEAR.check_phi)
    assert round(float(out["check_loss"]), 3) == 12.367
    g = out["gradient"]
    np.testing.assert_allclose(g["manual"], g["jax_grad"], rtol=1e-10)
    np.testing.assert_allclose(g["central_difference"], g["jax_grad"], rtol=1e-6)


def test_path_summary_takes_the_last_step():
    traj = optim.Trajectory(params=jnp.arange(6.0).reshape(3, 2), loss=jnp.asarray([3.0, 2.0, 1.0]),
                            learning_rate=jnp.ones(2))
    s = TR.path_summary(traj)
    np.testing.assert_array_equal(s["phi"], [4.0, 5.0])
    assert float(s["loss"]) == 1.0 and s["path"].shape == (3, 2) and s["losses"].shape == (3,)


def test_training_i_line_search_answer():
    with precision(jnp.float64):
        t1 = TR.training_i(n_max_dist=3)
    assert round(float(t1["solution"]), 3) == 0.383 and round(float(t1["loss"]), 3) == 0.329 and t1["n_iter"] == 10
    assert t1["solution_vs_max_dist"].shape == (3,) and t1["iterations"].shape[0] == 10


@pytest.fixture(scope="module")
def res():
    # the experiment runs under JAX's standard promotion: Training III mixes NumPy's int64 minibatch indices with
    # jax.random's int32 ones, and optax's step counts with float schedules
    with jax.numpy_dtype_promotion("standard"):
        return TR.run_all(surface_coarsen=8, starts=2, start_steps=5, n_lrs=3, lr_steps=10, sgd_seeds=2, decay_every=10,
                          n_max_dist=2, valley_loss=1.0, seed=0)


def test_run_all_metrics_arrays_and_plot(res):
    m, arrays, plot = res["metrics"], res["arrays"], res["plot"]
    t2, t3 = m["training_ii"], m["training_iii"]
    assert isinstance(t2["critical_lr"], np.ndarray) and abs(float(t2["critical_lr"]) - 0.040) < 5e-4
    assert round(float(t2["gd_line_search"]["loss"]), 3) == 0.202 and round(float(t3["check_loss"]), 3) == 16.419
    assert round(float(t3["sgd_notebook_seed"]["loss"]), 3) == 4.624  # the notebook's np.random.seed(1) batches
    assert t2["lr_sweep"]["final_loss"].shape == (3,) and t3["sgd_seeds"]["n_seeds"] == 2
    assert set(t3["multistart"]["fraction_in_valley"]) == {"gd_line_search", "gd_fixed_lr", "sgd", "sgd_step_decay"}
    assert arrays["gabor_loss"].shape == (len(arrays["gabor_phi1"]), len(arrays["gabor_phi0"])) == (25, 25)
    assert arrays["multistart_sgd"].shape == (2, 2)
    np.testing.assert_array_equal(plot["gab_surface"][2], arrays["gabor_loss"])
    assert plot["sgd_seeds"]["constant"].shape == (2, U.GABOR.sgd_steps + 1)
    x, y, xp, curves = plot["fits"]["training_iii"]
    assert x.shape == y.shape and all(v.shape == xp.shape for v in curves.values())
