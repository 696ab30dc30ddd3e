"""Fixtures of udlbook's Training I-III and Gradients I-II notebooks, exactly as the notebooks make them.

Literal data arrays, the notebooks' starting points, step sizes and printed answers, and the two
places where they draw random numbers with NumPy's legacy global stream (``np.random.seed``):
Gradients II's random ReLU network and Training III's minibatch permutations. Everything is NumPy
float64 (what the notebooks compute in), so callers choose the precision.

References:
  Prince, *Understanding Deep Learning* (2023), chapters 6 and 7; notebooks CM20315 Training_I,
  Training_II, Training_III, Gradients_I and Gradients_II.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["training_i_loss", "linear_data", "gabor_data", "LINEAR", "GABOR", "LinearRuns", "GaborRuns",
           "sgd_permutation_batches", "COMPOSITE", "composite_params", "GRADIENTS_I_TRUE", "gradients_ii_network",
           "GRADIENTS_II_INPUT", "GRADIENTS_II_TARGET", "GRADIENTS_II_OUTPUT"]


def training_i_loss(phi):
    """Training I's 1-D test function: two Gaussian dips, a narrow deep one at 0.35 and a wide one at 0.65.

    ``L(phi) = 1 - 0.5 exp(-(phi - 0.65)^2 / 0.1) - 0.45 exp(-(phi - 0.35)^2 / 0.02)``, on NumPy
    values (float64, as the notebook) or JAX arrays (traceable).

    >>> round(float(training_i_loss(0.35)), 3)
    0.347
    """
    xp = jnp if isinstance(phi, jax.Array) else np  # tracers are jax.Arrays too
    return 1 - 0.5 * xp.exp(-(phi - 0.65) * (phi - 0.65) / 0.1) - 0.45 * xp.exp(-(phi - 0.35) * (phi - 0.35) / 0.02)


def linear_data() -> tuple[np.ndarray, np.ndarray]:
    """Training II's 12 ``(x, y)`` pairs for the straight-line model: ``x (12,)``, ``y (12,)``.

    >>> x, y = linear_data()
    >>> x.shape, float(y[0])
    ((12,), 0.67)
    """
    data = np.array([[0.03, 0.19, 0.34, 0.46, 0.78, 0.81, 1.08, 1.18, 1.39, 1.60, 1.65, 1.90],
                     [0.67, 0.85, 1.05, 1.00, 1.40, 1.50, 1.30, 1.54, 1.55, 1.68, 1.73, 1.60]])
    return data[0], data[1]


def gabor_data() -> tuple[np.ndarray, np.ndarray]:
    """Training III's 30 ``(x, y)`` pairs for the Gabor model: ``x (30,)``, ``y (30,)``.

    >>> x, y = gabor_data()
    >>> x.shape, float(x[1])
    ((30,), -14.22)
    """
    data = np.array([[-1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
                      -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
                      -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
                      1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
                      -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00],
                     [-1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
                      9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
                      -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
                      6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
                      -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01]])
    return data[0], data[1]


class LinearRuns(NamedTuple):
    """Training II's settings (the loss check, the gradient check point, gradient descent)."""

    check_phi: tuple[float, float] = (0.6, -0.2)  # "Correct loss = 12.367"; also where the gradient is checked
    check_loss: float = 12.367
    start: tuple[float, float] = (1.6, -0.5)  # gradient descent with line search, 10 steps
    n_steps: int = 10
    # Training II's GD step is a TODO and its line_search defaults to max_dist=0.1; 2.0 is what Training III's
    # gradient_descent_step passes to the same line_search (line_search(..., max_dist = 2.0)), used here too
    max_dist: float = 2.0
    surface: tuple[tuple[float, float, float], tuple[float, float, float]] = ((0.0, 2.0, 0.02), (-1.0, 1.0, 0.002))


class GaborRuns(NamedTuple):
    """Training III's settings: the loss check, and its three descents (line search, fixed step, SGD)."""

    check_phi: tuple[float, float] = (0.6, -0.2)  # "Correct loss = 16.419"
    check_loss: float = 16.419
    gradient_phi: tuple[float, float] = (-5.0, 25.0)  # where the notebook checks its hand-derived gradient
    start: tuple[float, float] = (-1.5, 8.5)  # line search and fixed-step descents, 21 steps each
    n_steps: int = 21
    max_dist: float = 2.0  # gradient_descent_step: line_search(data, model, phi, gradient*-1, max_dist = 2.0)
    fixed_lr: float = 0.2
    sgd_start: tuple[float, float] = (3.5, 6.5)  # SGD: 41 steps, lr 0.8, batches of 5, np.random.seed(1)
    sgd_steps: int = 41
    sgd_lr: float = 0.8
    sgd_batch: int = 5
    sgd_seed: int = 1
    surface: tuple[tuple[float, float, float], tuple[float, float, float]] = ((-10.0, 10.0, 0.1), (2.5, 22.5, 0.1))


LINEAR = LinearRuns()
GABOR = GaborRuns()


def sgd_permutation_batches(n_steps: int = 41, n: int = 30, batch_size: int = 5, seed: int = 1) -> np.ndarray:
    """Training III's minibatches: ``np.random.seed(seed)``, then per step the first ``batch_size`` of
    ``np.random.permutation(n)`` (the notebook's instructions; no sampling with replacement).

    Returns:
      ``(n_steps, batch_size)`` int indices.

    >>> sgd_permutation_batches(2, n=30, batch_size=5).shape
    (2, 5)
    """
    state = np.random.get_state()  # the legacy stream is global: leave it as we found it
    try:
        np.random.seed(seed)
        return np.stack([np.random.permutation(n)[:batch_size] for _ in range(n_steps)])
    finally:
        np.random.set_state(state)


# Gradients I: y = beta4 + omega4 log(beta3 + omega3 cos(beta2 + omega2 exp(beta1 + omega1 sin(beta0 + omega0 x))))
COMPOSITE = {"beta": (1.0, 2.0, -3.0, 0.4, -0.3), "omega": (0.1, -0.4, 2.0, 3.0, -0.5), "x": 2.3}


def composite_params() -> tuple[np.ndarray, np.ndarray, float]:
    """Gradients I's ``beta_0..4``, ``omega_0..4`` (each ``(5,)``) and ``x = 2.3``.

    >>> beta, omega, x = composite_params()
    >>> beta.tolist(), x
    ([1.0, 2.0, -3.0, 0.4, -0.3], 2.3)
    """
    return np.asarray(COMPOSITE["beta"]), np.asarray(COMPOSITE["omega"]), COMPOSITE["x"]


# Gradients I's printed true values (3 decimals): the forward pass f_0..f_3, h_1..h_4, the backward pass dy/dh_1..4
# and dy/df_0..3 (None for dy/dh_4 and dy/df_3, which it does not print) and the ten parameter derivatives.
# dy/domega_0 is None: the notebook gives it only as a closed form to evaluate (jdl.studies.udlbook.backprop.composite_omega0)
GRADIENTS_I_TRUE = {"f": (1.230, 1.623, 7.137, 2.372), "h": (0.942, 5.068, 0.657, 0.864),
                    "dy_dh": (-1.932, 0.953, -0.632, None), "dy_df": (-0.646, 4.830, 0.476, None),
                    "beta": (-0.646, 4.830, 0.476, -0.211, 1.0), "omega": (None, 4.552, 2.415, -0.139, 0.864)}

GRADIENTS_II_INPUT = 1.2  # net_input = np.ones((1, 1)) * 1.2
GRADIENTS_II_TARGET = 20.0  # y = np.ones((1, 1)) * 20.0
GRADIENTS_II_OUTPUT = 1.907  # 'True output = 1.907'


def gradients_ii_network(K: int = 5, D: int = 6, D_i: int = 1, D_o: int = 1, seed: int = 0):
    """Gradients II's random ReLU network, drawn from ``np.random.seed(seed)`` in the notebook's order.

    The notebook draws ``all_weights[0] (D, D_i)``, ``all_weights[-1] (D_o, D)``, ``all_biases[0]
    (D, 1)``, ``all_biases[-1] (D_o, 1)``, then for each hidden layer ``1..K-1`` its weights
    ``(D, D)`` and biases ``(D, 1)``, all ``N(0, 1)``.

    Returns:
      :class:`jdl.nn.DeepMLP` of float64 NumPy arrays: ``W_in (D, D_i)``, ``b_in (D,)``,
      ``W_hid (K-1, D, D)``, ``b_hid (K-1, D)``, ``W_out (D_o, D)``, ``b_out (D_o,)``.

    >>> net = gradients_ii_network()
    >>> net.W_hid.shape, net.b_out.shape
    ((4, 6, 6), (1,))
    """
    from jdl.nn import DeepMLP

    state = np.random.get_state()
    try:
        np.random.seed(seed)
        W_in = np.random.normal(size=(D, D_i))
        W_out = np.random.normal(size=(D_o, D))
        b_in = np.random.normal(size=(D, 1))
        b_out = np.random.normal(size=(D_o, 1))
        hidden = [(np.random.normal(size=(D, D)), np.random.normal(size=(D, 1))) for _ in range(1, K)]
    finally:
        np.random.set_state(state)
    W_hid = np.stack([w for w, _ in hidden]) if hidden else np.zeros((0, D, D))
    b_hid = np.stack([b[:, 0] for _, b in hidden]) if hidden else np.zeros((0, D))
    return DeepMLP(W_in, b_in[:, 0], W_hid, b_hid, W_out, b_out[:, 0])
