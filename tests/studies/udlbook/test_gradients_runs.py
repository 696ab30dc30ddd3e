"""jdl.studies.udlbook.gradients_runs: Gradients I-II end to end (what experiments.udl_gradients reports)."""
import jax
import jax.numpy as jnp
import numpy as np

from jdl.nn import DeepMLP
from jdl.studies.udlbook import gradients_runs as GR


def test_run_all_reproduces_the_notebooks_and_leaves_x64_as_it_was():
    was = bool(jax.config.jax_enable_x64)
    res = GR.run_all(n_eps=6, n_nets=2, n_inputs=3, K=2, D=3, seed=0)
    assert bool(jax.config.jax_enable_x64) == was
    m = res["metrics"]
    g1, g2 = m["gradients_i"], m["gradients_ii"]
    assert isinstance(m["eps"], np.ndarray) and m["eps"].dtype == np.float64 and m["eps"].shape == (6,)
    np.testing.assert_allclose(g1["forward"]["f"], [1.230, 1.623, 7.137, 2.372], atol=5e-4)
    np.testing.assert_allclose(g1["dy_dbeta"]["manual"], [-0.646, 4.830, 0.476, -0.211, 1.0], atol=5e-4)
    assert set(g1["dy_dbeta"]) == set(GR.METHODS) == set(g1["dy_domega"])  # jax.tree.map sorts dict keys
    assert g1["max_rel_error"]["jax_grad"] < 1e-14 and g2["max_rel_error"]["manual"] < 1e-14
    assert round(float(g2["output"]), 3) == 1.907 and g2["n_params"] == 187
    assert len(g2["max_abs_gradient_per_layer"]) == 6  # K = 5 hidden layers + the output layer
    assert g2["batch"]["n_nets"] == 2 and g2["batch"]["max_rel_error"] < 1e-12
    assert set(res["flat"]) == set(GR.METHODS) and all(v.shape == (187,) for v in res["flat"].values())
    for s in ("forward", "central"):
        assert g1["fd_error"][s].shape == g2["fd_error"][s].shape == (6,)


def test_gradient_table_marks_missing_notebook_values_nan():
    g1 = {"dy_dbeta": {k: np.arange(5.0) for k in GR.METHODS},
          "dy_domega": {k: np.arange(5.0, 10.0) for k in GR.METHODS}, "dy_domega0_closed_form": 7.5}
    names, vals = GR.gradient_table(g1)
    assert len(names) == 10 and names[5] == "$\\omega_0$"
    assert list(vals)[:4] == [k.replace("_", " ") for k in GR.METHODS]
    np.testing.assert_array_equal(vals["manual"], np.arange(10.0))
    closed = vals["notebook closed form"]
    assert closed[5] == 7.5 and np.isnan(np.delete(closed, 5)).all()
    true = vals["notebook true value"]
    assert np.isnan(true[5]) and np.isfinite(np.delete(true, 5)).all()


def test_best_steps_skips_nan_and_names_every_problem_and_scheme():
    eps = np.asarray([1e-3, 1e-2, 1e-1])
    err = {"forward": np.asarray([np.nan, 1e-9, 1e-5]), "central": np.asarray([1e-4, 1e-6, 1e-12])}
    m = {"eps": eps, "gradients_i": {"fd_error": err}, "gradients_ii": {"fd_error": err}}
    best = GR.best_steps(m)
    assert best == [("Gradients I", "forward", 1e-2, 1e-9), ("Gradients I", "central", 1e-1, 1e-12),
                    ("Gradients II", "forward", 1e-2, 1e-9), ("Gradients II", "central", 1e-1, 1e-12)]


def test_layer_pairs_orders_input_hidden_output():
    net = DeepMLP(jnp.zeros((3, 1)), jnp.zeros(3), jnp.ones((2, 3, 3)), jnp.ones((2, 3)), jnp.full((1, 3), 2.0),
                  jnp.full((1,), 2.0))
    pairs = GR.layer_pairs(net)
    assert [w.shape for w, _ in pairs] == [(3, 1), (3, 3), (3, 3), (1, 3)]
    assert float(pairs[0][0].sum()) == 0 and float(pairs[-1][1][0]) == 2.0
