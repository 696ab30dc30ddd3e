"""jdl.studies.udlbook.networks (Shallow, Deep, Deep2) and jdl.studies.udlbook.fixtures: the notebooks' code as the reference, exact pieces."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jdl.analysis import pieces as R
from jdl.studies.udlbook import fixtures as U
from jdl.studies.udlbook import likelihoods as LK
from jdl.studies.udlbook import networks as S


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# --- the notebooks' code, as written (numpy) ---------------------------------------------------------------------
def np_shallow_1_1_3(x, activation_fn, phi_0, phi_1, phi_2, phi_3, theta_10, theta_11, theta_20, theta_21,
                     theta_30, theta_31):
    pre_1, pre_2, pre_3 = theta_10 + theta_11 * x, theta_20 + theta_21 * x, theta_30 + theta_31 * x
    act_1, act_2, act_3 = activation_fn(pre_1), activation_fn(pre_2), activation_fn(pre_3)
    w_act_1, w_act_2, w_act_3 = phi_1 * act_1, phi_2 * act_2, phi_3 * act_3
    y = phi_0 + w_act_1 + w_act_2 + w_act_3
    return y, pre_1, pre_2, pre_3, act_1, act_2, act_3, w_act_1, w_act_2, w_act_3


def np_relu(z):
    return z.clip(0.0)


def np_sigmoid(z):
    return 1 / (1 + np.exp(-10 * z))


def names(net):
    (t10, t11), (t20, t21), (t30, t31) = net["theta"]
    return (*net["phi"], t10, t11, t20, t21, t30, t31)


# --- CM20315_Shallow -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("act,np_act,net", [("relu", np_relu, U.SHALLOW_NET), ("sigmoid10", np_sigmoid, U.SIGMOID_NET),
                                            ("linear", lambda z: z, U.SIGMOID_NET)])
def test_forward_1_1_3_matches_the_notebook_stage_by_stage(act, np_act, net, x64):
    x = U.input_grid("shallow")
    ref = np_shallow_1_1_3(x, np_act, *names(net))
    t = S.forward_1_1_3(x, **net, activation=act)
    chex.assert_shape((t.pre, t.act, t.w_act), (100, 3))
    chex.assert_shape(t.y, (100,))
    np.testing.assert_allclose(t.y, ref[0], rtol=1e-13, atol=1e-14)
    for k, stage in enumerate((t.pre, t.act, t.w_act)):
        np.testing.assert_allclose(stage, np.stack(ref[1 + 3 * k:4 + 3 * k], -1), rtol=1e-13, atol=1e-14)
    jitted = jax.jit(lambda x: S.forward_1_1_3(x, **net, activation=act))(x)
    np.testing.assert_allclose(jitted.y, t.y, rtol=1e-13, atol=1e-14)


def test_relu_net_equals_its_regions_layers_and_the_named_constructor():
    x = jnp.asarray(U.input_grid("deep"), jnp.float32)
    y = S.forward_1_1_3(x, **U.UDL_NET1).y
    np.testing.assert_array_equal(S.shallow_1_1_3(x, **U.UDL_NET1), y)
    # the same net as regions layers, run by regions' own evaluator
    np.testing.assert_allclose(jax.vmap(lambda t: R.evaluate(S.shallow_layers(**U.UDL_NET1), t)[0])(x), y, atol=1e-6)
    named = U.shallow_net(*names(U.SHALLOW_NET))
    np.testing.assert_array_equal(named["theta"], np.asarray(U.SHALLOW_NET["theta"]))
    np.testing.assert_array_equal(named["phi"], np.asarray(U.SHALLOW_NET["phi"]))


def test_shallow_notebook_loss_and_the_least_squares_output_layer(x64):
    book = S.matrix_form(**U.SHALLOW_NET)
    loss = LK.fit_stats(book, U.X_TRAIN, U.Y_SHALLOW, kind="gaussian", sigma=1.0)["sum_of_squares"]
    y_predict = np_shallow_1_1_3(U.X_TRAIN, np_relu, *names(U.SHALLOW_NET))[0]
    ref = np.sum((U.Y_SHALLOW - y_predict) ** 2)
    # 9.385 is a regression value: the notebook's cell prints "Loss = %3.3f" of a TODO (its loss is 0 until the
    # student fills it in); the value is the filled-in sum of squares, cross-checked by the NumPy loop above
    assert "%3.3f" % float(loss) == "%3.3f" % ref == "9.385"
    phi = S.fit_output_layer(U.X_TRAIN, U.Y_SHALLOW, U.SHALLOW_NET["theta"])
    theta = np.asarray(U.SHALLOW_NET["theta"])
    A = np.c_[np.ones(20), np_relu(theta[:, 0] + theta[:, 1] * U.X_TRAIN[:, None])]
    np.testing.assert_allclose(phi, np.linalg.lstsq(A, U.Y_SHALLOW, rcond=None)[0], rtol=1e-10)
    best = np.sum((A @ np.asarray(phi) - U.Y_SHALLOW) ** 2)
    assert best < 0.181  # the notebook's best by hand
    # a least-squares optimum: no single phi_i moves it down
    for i in range(4):
        for step in (-1e-3, 1e-3):
            p = np.asarray(phi).copy()
            p[i] += step
            assert np.sum((A @ p - U.Y_SHALLOW) ** 2) > best


def test_linear_activation_gives_an_affine_network(x64):
    x = U.input_grid("shallow")
    for act in ("linear", S.linear(0.5, -0.4)):
        y = np.asarray(S.forward_1_1_3(x, **U.SIGMOID_NET, activation=act).y)
        np.testing.assert_allclose(np.diff(y, 2), 0.0, atol=1e-13)
    assert float(S.sigmoid10(jnp.float64(0.1))) == pytest.approx(1 / (1 + np.exp(-1.0)), rel=1e-14)
    with pytest.raises(ValueError, match="activation"):
        S.forward_1_1_3(x, **U.SHALLOW_NET, activation="swish")


def test_forward_2_1_3_matches_the_notebook(x64):
    x1, x2 = np.meshgrid(np.arange(0.0, 10.0, 0.1), np.arange(0.0, 10.0, 0.1))
    t = S.forward_2_1_3(x1, x2, **U.NET_2_INPUTS)
    chex.assert_shape(t.act, (100, 100, 3))
    th, ph = np.asarray(U.NET_2_INPUTS["theta"]), np.asarray(U.NET_2_INPUTS["phi"])
    pre = th[:, 0] + th[:, 1] * x1[..., None] + th[:, 2] * x2[..., None]
    np.testing.assert_allclose(t.y, ph[0] + np_relu(pre) @ ph[1:], rtol=1e-13, atol=1e-13)
    assert float(t.y[0, 0]) == 6.0  # -1 * ReLU(4) + 2 * ReLU(5) + 0.6 * ReLU(-5)


def test_question_variants_pieces_joints_and_invariances(x64):
    variants = U.shallow_variants()
    x = U.input_grid("shallow")
    ys = {k: np.asarray(S.forward_1_1_3(x, **p).y) for k, p in variants.items()}
    layers = jax.tree.map(lambda *a: jnp.stack(a),
                          *[S.to_layers(S.matrix_form(**p)) for p in variants.values()])
    on01 = dict(zip(variants, R.count_pieces_many(layers, 0.0, 1.0, max_breakpoints=8).n_pieces.tolist()))
    line = dict(zip(variants, R.count_pieces_many(layers, -100.0, 100.0, max_breakpoints=8).n_pieces.tolist()))
    assert on01["original"] == 4 and line["original"] == 4  # joints at 0.3, 0.5, 0.769: all inside [0, 1]
    for k in ("5a: phi_1 = 0", "5b: theta_11 = 0", "5c: theta_30 = -0.325"):
        assert line[k] - 1 == 2, k  # question 5: only two joints on the real line
    np.testing.assert_allclose(ys["7: theta_2. x 0.5, phi_2 x 2"], ys["original"], atol=1e-14)  # ReLU homogeneity
    assert np.max(np.abs(ys["8: theta_2. x -0.5, phi_2 x -2"] - ys["original"])) > 0.5
    np.testing.assert_allclose(ys["1: phi_0 = 0"] - ys["original"], 0.3, atol=1e-14)
    # question 6: the original's second segment is flat; theta_10 = 0.6 leaves no flat segment
    for k, flat in (("original", True), ("6: theta_10 = 0.6", False)):
        slope = np.diff(ys[k]) / 0.01
        assert (np.min(np.abs(slope)) < 1e-9) == flat, k


# --- CM20315_Deep2: matrix form ----------------------------------------------------------------------------------
def test_matrix_form_equals_the_scalar_form_and_round_trips(x64):
    x = U.input_grid("deep")
    for net in (U.UDL_NET1, U.UDL_NET2):
        book = S.matrix_form(**net)
        chex.assert_shape([book[0].beta, book[0].Omega, book[1].beta, book[1].Omega], [(3, 1), (3, 1), (1, 1), (1, 3)])
        out = S.forward_columns(book, x[None])
        chex.assert_shape(out, (1, 200))
        np.testing.assert_allclose(out[0], np_shallow_1_1_3(x, np_relu, *names(net))[0], rtol=1e-13, atol=1e-14)
        per_example = jax.vmap(lambda v: S.apply(book, v))(x)
        np.testing.assert_allclose(per_example[:, 0], out[0], rtol=1e-13, atol=1e-14)
        back = S.from_layers(S.to_layers(book))
        chex.assert_trees_all_close(tuple(map(tuple, back)), tuple(map(tuple, book)))
        chex.assert_trees_all_close(S.to_layers(S.matrix_form(**net, dtype=jnp.float32)), S.shallow_layers(**net))
    # from_layers refuses what is not a plain {"W", "b"} layer (it used to drop it silently)
    for bad in ([{"W": jnp.ones((3, 1))}, ()], [{"b": jnp.ones(3)}], [{"W": jnp.ones((2, 3, 3))}]):
        with pytest.raises(ValueError, match="layers: entry"):
            S.from_layers(bad)
    # the entries the notebook fills in: beta_0[0,0] = n1_theta_10, Omega_0[0,0] = n1_theta_11
    b = S.matrix_form(**U.UDL_NET1)
    assert float(b[0].beta[0, 0]) == 0.0 and float(b[0].Omega[0, 0]) == -1.0 and float(b[1].beta[0, 0]) == 1.0


def test_composition_in_matrix_form_equals_feeding_one_net_into_the_other(x64):
    x = U.input_grid("deep_fine")
    n1, n2 = U.UDL_NET1, U.UDL_NET2
    deep = S.compose(S.matrix_form(**n1), S.matrix_form(**n2))
    chex.assert_shape([l.Omega for l in deep], [(3, 1), (3, 3), (1, 3)])
    # Deep2's hints: beta_1[0,0] = n2_theta_10 + n2_theta_11 * n1_phi_0, Omega_1[0,0] = n2_theta_11 * n1_phi_1
    assert float(deep[1].beta[0, 0]) == pytest.approx(-0.6 + -1.0 * 1.0)
    assert float(deep[1].Omega[0, 0]) == pytest.approx(-1.0 * -2.0)
    th2, ph1 = np.asarray(n2["theta"]), np.asarray(n1["phi"])
    np.testing.assert_allclose(deep[1].Omega, np.outer(th2[:, 1], ph1[1:]), rtol=1e-15)  # eq. 4.5
    np.testing.assert_allclose(deep[1].beta[:, 0], th2[:, 0] + th2[:, 1] * ph1[0], rtol=1e-15)
    scalar = np_shallow_1_1_3(np_shallow_1_1_3(x, np_relu, *names(n1))[0], np_relu, *names(n2))[0]
    np.testing.assert_allclose(S.forward_columns(deep, x[None])[0], scalar, rtol=1e-12, atol=1e-13)
    # exact linear pieces of the composition through jdl.analysis.pieces (Deep notebook: 3 x 4 = 12, then 36)
    three = S.compose(S.compose(S.matrix_form(**n1), S.matrix_form(**n1)), S.matrix_form(**n2))
    assert int(R.count_pieces(S.to_layers(deep), -1.0, 1.0, max_breakpoints=64).n_pieces) == 12
    assert int(R.count_pieces(S.to_layers(three), -1.0, 1.0, max_breakpoints=64).n_pieces) == 36


def test_deep2_random_network_replays_the_legacy_stream_and_runs(x64):
    x, net = U.deep2_random_network(3)
    np.random.seed(3)  # the notebook's draws, in its order, after np.random.seed(3)
    want_x = np.random.normal(size=(4, 10))
    want = [(np.random.normal(size=(o, 1)), np.random.normal(size=(o, i))) for i, o in ((4, 5), (5, 2), (2, 4), (4, 1))]
    np.testing.assert_array_equal(x, want_x)
    for (b, o), (wb, wo) in zip(net, want):
        np.testing.assert_array_equal(b, wb)
        np.testing.assert_array_equal(o, wo)
    y, hidden = S.forward_columns(net, x, hidden=True)
    chex.assert_shape(hidden, [(5, 10), (2, 10), (4, 10)])
    chex.assert_shape(y, (1, 10))
    h = x  # the notebook's forward pass, as written
    for beta, omega in net[:-1]:
        h = np_relu(np.matmul(beta, np.ones((1, 10))) + np.matmul(omega, h))
    ref = np.matmul(net[-1][0], np.ones((1, 10))) + np.matmul(net[-1][1], h)
    np.testing.assert_allclose(y, ref, rtol=1e-13, atol=1e-14)
    chex.assert_tree_all_finite(y)
    np.testing.assert_allclose(jax.jit(lambda n, v: S.forward_columns(n, v))(net, x), y, rtol=1e-13, atol=1e-14)
