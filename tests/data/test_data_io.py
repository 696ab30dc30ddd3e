import json

import jax.numpy as jnp
import numpy as np

from jdl.data import label_noise, load_digits_binary
from jdl.io import save_json


def test_digits_exactly_as_the_assignment():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d["data"].astype(float)
    X /= X.std()
    X /= np.sqrt(64)
    y = ((d["target"] == 0) | (d["target"] == 3) | (d["target"] == 6) | (d["target"] == 8) | (d["target"] == 9)) * 2 - 1
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, shuffle=False)
    ds = load_digits_binary()
    assert (ds.n_train, ds.n_test) == (898, 899)
    for a, b in zip(ds, (Xtr, ytr, Xte, yte)):
        np.testing.assert_array_equal(a, b)


def test_label_noise_rate(key):
    y = jnp.ones(20000)
    flipped = float(jnp.mean(label_noise(key, y, 0.1) < 0))
    assert abs(flipped - 0.1) < 0.01
    np.testing.assert_array_equal(label_noise(key, y, 0.0), y)


def test_save_json_is_atomic_and_nan_safe(tmp_path):
    path = save_json(tmp_path / "m.json", {"a": np.array([1.0, np.nan]), "b": jnp.float32(2), "c": (1, 2)})
    assert json.loads(path.read_text()) == {"a": [1.0, None], "b": 2.0, "c": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temp file left behind
