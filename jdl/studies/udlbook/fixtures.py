"""The udlbook CM20315 notebooks' literal fixtures: Shallow, Deep, Deep2, Loss, Loss_II, Loss_III.

Everything here is copied from the notebooks (Prince, *Understanding Deep Learning*, github.com/udlbook/udlbook),
as NumPy float64 arrays; nothing is computed. Networks come in the notebooks' two notations:

* the 1-3-1 net of Shallow / Deep as ``{"phi": (phi_0, phi_1, phi_2, phi_3), "theta": ((theta_10,
  theta_11), (theta_20, theta_21), (theta_30, theta_31))}`` (rows are hidden units);
* the matrix ("book") form of Deep2 and the Loss notebooks as a tuple of ``(beta_k, Omega_k)`` layers,
  ``beta_k`` a ``(D_{k+1}, 1)`` column and ``Omega_k`` a ``(D_{k+1}, D_k)`` matrix, exactly the
  notebooks' ``get_parameters()`` (``beta_1[0, 0]`` here is ``beta_1[0,0]`` there).

The 20 training inputs are the same in the Shallow and the three Loss notebooks; the targets differ.
Where a notebook draws random numbers (Deep2's 4-5-2-4-1 network; the notebook sets no seed) the
generator replays NumPy's legacy ``np.random.seed`` / ``np.random.normal`` stream in the notebook's
order, so a seed reproduces what the notebook prints after ``np.random.seed(seed)``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["X_TRAIN", "Y_SHALLOW", "Y_REGRESSION", "Y_BINARY", "Y_MULTICLASS", "SHALLOW_NET", "SIGMOID_NET",
           "NET_2_INPUTS", "UDL_NET1", "UDL_NET2", "LOSS_NOTEBOOKS", "LOSS_CORRECT_ANSWERS", "shallow_net",
           "loss_parameters", "shallow_variants", "deep2_random_network", "input_grid"]

# --- the 20 training points (CM20315_Shallow "Least squares loss", CM20315_Loss, Loss_II, Loss_III) ------------
X_TRAIN = np.array([0.09291784, 0.46809093, 0.93089486, 0.67612654, 0.73441752, 0.86847339,
                    0.49873225, 0.51083168, 0.18343972, 0.99380898, 0.27840809, 0.38028817,
                    0.12055708, 0.56715537, 0.92005746, 0.77072270, 0.85278176, 0.05315950,
                    0.87168699, 0.58858043])
Y_SHALLOW = np.array([-0.15934537, 0.18195445, 0.451270150, 0.13921448, 0.09366691, 0.30567674,
                      0.372291170, 0.40716968, -0.08131792, 0.41187806, 0.36943738, 0.3994327,
                      0.019062570, 0.35820410, 0.452564960, -0.0183121, 0.02957665, -0.24354444,
                      0.148038840, 0.26824970])
Y_REGRESSION = np.array([-0.25934537, 0.18195445, 0.651270150, 0.13921448, 0.09366691, 0.30567674,
                         0.372291170, 0.20716968, -0.08131792, 0.51187806, 0.16943738, 0.3994327,
                         0.019062570, 0.55820410, 0.452564960, -0.1183121, 0.02957665, -1.24354444,
                         0.248038840, 0.26824970])
Y_BINARY = np.array([0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1])
Y_MULTICLASS = np.array([2, 0, 1, 2, 1, 0, 0, 2, 2, 0, 2, 0, 2, 0, 1, 2, 1, 2, 1, 0])

# --- CM20315_Shallow: the 1-3-1 network (ReLU), its sigmoid/linear-activation variant, the 2-input net ---------
SHALLOW_NET = {"phi": (-0.3, 2.0, -1.0, 7.0), "theta": ((0.3, -1.0), (-1.0, 2.0), (-0.5, 0.65))}
SIGMOID_NET = {"phi": (0.3, 0.5, -1.0, 0.9), "theta": ((0.3, -1.0), (-1.0, 2.0), (-0.5, 0.65))}
# shallow_2_1_3: theta rows (theta_i0, theta_i1, theta_i2), inputs x1, x2 on np.arange(0, 10, 0.1)^2
NET_2_INPUTS = {"phi": (0.0, -1.0, 2.0, 0.6), "theta": ((4.0, -0.9, 0.0), (5.0, -0.9, -0.5), (-5.0, 0.5, 0.9))}

# --- CM20315_Deep / Deep2: the two 1-3-1 networks that the notebooks compose --------------------------------------
UDL_NET1 = {"theta": ((0.0, -1.0), (0.0, 1.0), (-0.67, 1.0)), "phi": (1.0, -2.0, -3.0, 9.3)}
UDL_NET2 = {"theta": ((-0.6, -1.0), (0.2, 1.0), (-0.5, 1.0)), "phi": (0.5, -1.0, -1.5, 2.0)}


def shallow_net(phi_0, phi_1, phi_2, phi_3, theta_10, theta_11, theta_20, theta_21, theta_30, theta_31) -> dict:
    """The notebooks' ten named scalars as ``{"phi": (4,), "theta": (3, 2)}`` float64 arrays.

    >>> shallow_net(-0.3, 2.0, -1.0, 7.0, 0.3, -1.0, -1.0, 2.0, -0.5, 0.65)["theta"][2].tolist()
    [-0.5, 0.65]
    """
    return {"phi": np.array([phi_0, phi_1, phi_2, phi_3], np.float64),
            "theta": np.array([[theta_10, theta_11], [theta_20, theta_21], [theta_30, theta_31]], np.float64)}


def _as_arrays(net: dict) -> dict:
    return {k: np.array(v, np.float64) for k, v in net.items()}


def shallow_variants() -> dict[str, dict]:
    """CM20315_Shallow's "TODO" questions 1-8 as parameter sets, each a change of :data:`SHALLOW_NET`.

    Where a question asks for a change without giving it, one answer is chosen (named in the key):
    question 5 (only two joints on the real line) has three: a zero output weight, a flat unit, or
    two joints that coincide (moving unit 2's joint onto unit 1's, ``theta_20 = -0.6``, would not do:
    there the two slopes cancel and both joints vanish).

    Returns ``{name: {"phi": (4,), "theta": (3, 2)}}``, the original first.

    >>> v = shallow_variants()
    >>> len(v), list(v)[0], v["1: phi_0 = 0"]["phi"].tolist()
    (11, 'original', [0.0, 2.0, -1.0, 7.0])
    """
    base = _as_arrays(SHALLOW_NET)

    def change(phi=None, theta=None) -> dict:
        p, t = base["phi"].copy(), base["theta"].copy()
        for (i, v) in (phi or {}).items():
            p[i] = v(p[i]) if callable(v) else v
        for (i, v) in (theta or {}).items():
            t[i] = v(t[i]) if callable(v) else v
        return {"phi": p, "theta": t}

    return {
        "original": change(),
        "1: phi_0 = 0": change(phi={0: 0.0}),
        "2: phi_1..3 x 0.5": change(phi={1: lambda v: 0.5 * v, 2: lambda v: 0.5 * v, 3: lambda v: 0.5 * v}),
        "3: phi_1 x -1": change(phi={1: lambda v: -v}),
        "4: theta_20 = -1.2": change(theta={(1, 0): -1.2}),
        "5a: phi_1 = 0": change(phi={1: 0.0}),
        "5b: theta_11 = 0": change(theta={(0, 1): 0.0}),
        "5c: theta_30 = -0.325": change(theta={(2, 0): -0.325}),  # unit 3's joint onto unit 2's, x = 0.5
        "6: theta_10 = 0.6": change(theta={(0, 0): 0.6}),     # unit 1 on until x = 0.6: no flat piece
        "7: theta_2. x 0.5, phi_2 x 2": change(phi={2: lambda v: 2 * v}, theta={1: lambda v: 0.5 * v}),
        "8: theta_2. x -0.5, phi_2 x -2": change(phi={2: lambda v: -2 * v}, theta={1: lambda v: -0.5 * v}),
    }


def input_grid(notebook: str) -> np.ndarray:
    """The notebooks' plotting inputs: ``np.arange(0, 1, 0.01)`` (Shallow, Loss) or
    ``np.arange(-1, 1, 0.01)`` (Deep, Deep2; Deep's composition cells use step 0.001).

    >>> input_grid("shallow").shape, input_grid("deep_fine").shape
    ((100,), (2000,))
    """
    return {"shallow": np.arange(0, 1, 0.01), "loss": np.arange(0, 1, 0.01), "deep": np.arange(-1, 1, 0.01),
            "deep_fine": np.arange(-1, 1, 0.001)}[notebook]


# --- CM20315_Loss, Loss_II, Loss_III: get_parameters() and the grid searches ------------------------------------
_BETA_0 = [[0.3], [-1.0], [-0.5]]
_OMEGA_0 = [[-1.0], [1.8], [0.65]]
_OUTPUT = {
    "regression": ([[0.1]], [[-2.0, -1.0, 7.0]]),
    "binary": ([[2.6]], [[-24.0, -8.0, 50.0]]),
    "multiclass": ([[2.0], [-2.0], [0.0]], [[-24.0, -8.0, 50.0], [-2.0, 8.0, -30.0], [16.0, -8.0, -8.0]]),
}

LOSS_NOTEBOOKS = {
    # Loss: Gaussian likelihood with sigma = 0.2; beta_1 scanned on np.arange(0, 1, 0.01), then sigma on
    # np.arange(0.1, 0.5, 0.005) with beta_1 fixed at the notebook's 0.27
    "regression": {"notebook": "CM20315_Loss", "kind": "gaussian", "y": Y_REGRESSION, "sigma": 0.2,
                   "beta_1_values": np.arange(0, 1.0, 0.01), "sigma_values": np.arange(0.1, 0.5, 0.005),
                   "sigma_scan_beta_1": 0.27},
    "binary": {"notebook": "CM20315_Loss_II", "kind": "bernoulli", "y": Y_BINARY,
               "beta_1_values": np.arange(-2, 6.0, 0.1)},
    "multiclass": {"notebook": "CM20315_Loss_III", "kind": "categorical", "y": Y_MULTICLASS,
                   "beta_1_values": np.arange(-2, 6.0, 0.1)},
}


# the notebooks' "Correct answer = ..." prints, as printed (Loss: %3.3f and %9.9f formats)
LOSS_CORRECT_ANSWERS = {
    "regression": {"normal_distribution(1, -1, 2.3)": 0.119, "likelihood": 0.000010624, "nll": 11.452419564,
                   "sum_of_squares": 2.020992572},
    "binary": {"bernoulli_distribution(0, 0.2)": 0.8, "bernoulli_distribution(1, 0.2)": 0.2,
               "likelihood": 0.000070237, "nll": 9.563639387},
    "multiclass": {"categorical_distribution(0, [0.2, 0.5, 0.3])": 0.2,
                   "categorical_distribution(1, [0.2, 0.5, 0.3])": 0.5,
                   "categorical_distribution(2, [0.2, 0.5, 0.3])": 0.3, "likelihood": 0.000000041,
                   "nll": 17.015457867},
}


def loss_parameters(problem: str) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """A Loss notebook's ``get_parameters()``: ``((beta_0 (3, 1), omega_0 (3, 1)), (beta_1 (K, 1), omega_1 (K, 3)))``.

    Args:
      problem: ``"regression"`` (Loss, K = 1), ``"binary"`` (Loss_II, K = 1) or ``"multiclass"`` (Loss_III, K = 3).

    >>> [b.shape for b, _ in loss_parameters("multiclass")]
    [(3, 1), (3, 1)]
    """
    if problem not in _OUTPUT:
        raise ValueError(f"problem: expected one of {sorted(_OUTPUT)}, got {problem!r}")
    beta_1, omega_1 = _OUTPUT[problem]
    return ((np.array(_BETA_0), np.array(_OMEGA_0)), (np.array(beta_1), np.array(omega_1)))


# --- CM20315_Deep2: the random 4-5-2-4-1 network --------------------------------------------------------------
def deep2_random_network(seed: int | None = 0, sizes=(4, 5, 2, 4, 1), n_data: int = 10):
    """Deep2's last cell: ``x = np.random.normal(size=(D_i, n_data))``, then ``beta_0, Omega_0, beta_1, ...``
    drawn in that order with ``np.random.normal`` (the notebook's fix of its TODO: the correct sizes).

    ``np.random.RandomState(seed)`` is the legacy stream of ``np.random.seed(seed)``: the same numbers,
    without touching NumPy's global state. The notebook sets no seed; pass the one to replay.

    Returns:
      ``(x (D_i, n_data), ((beta_0 (D_1, 1), Omega_0 (D_1, D_i)), ..., (beta_3 (D_o, 1), Omega_3 (D_o, D_3))))``.

    >>> x, net = deep2_random_network(0)
    >>> x.shape, [o.shape for _, o in net]
    ((4, 10), [(5, 4), (2, 5), (4, 2), (1, 4)])
    """
    rs = np.random.RandomState(seed)
    x = rs.normal(size=(sizes[0], n_data))
    layers = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        beta = rs.normal(size=(d_out, 1))
        omega = rs.normal(size=(d_out, d_in))
        layers.append((beta, omega))
    return x, tuple(layers)
