"""scikit-learn's 8x8 digits as the double-descent assignment prepares them."""
from __future__ import annotations

import numpy as np

from jdl.data._dataset import Dataset

__all__ = ["load_digits_binary", "CURVY_DIGITS"]

CURVY_DIGITS = (0, 3, 6, 8, 9)  # +1 class ("curvy"), the rest are -1 ("angular")


def load_digits_binary() -> Dataset:
    """Curvy-vs-angular digits, exactly as the 2023 DNN assignment (Belkin et al. 2019 setup).

    ``X /= X.std(); X /= sqrt(64)`` (one global scale, so ``E||x||^2`` is about 1),
    ``y = +1`` for digits 0, 3, 6, 8, 9 and ``-1`` otherwise, first half train (``n = 898``),
    second half test (``n = 899``), no shuffling (``train_test_split(test_size=0.5, shuffle=False)``).

    Returns:
      ``Dataset`` of float64 NumPy arrays: x ``(898, 64)``, y ``(898,)``; x ``(899, 64)``, y ``(899,)``.

    >>> ds = load_digits_binary()
    >>> ds.x_train.shape, ds.x_test.shape
    ((898, 64), (899, 64))
    """
    from sklearn.datasets import load_digits  # heavy import, only when used

    digits = load_digits()
    x = digits["data"].astype(np.float64)
    x /= x.std()
    x /= np.sqrt(64)
    y = np.where(np.isin(digits["target"], CURVY_DIGITS), 1.0, -1.0)
    n_test = int(np.ceil(0.5 * len(y)))  # sklearn's rounding for test_size=0.5
    n_train = len(y) - n_test
    return Dataset(x[:n_train], y[:n_train], x[n_train:], y[n_train:])
