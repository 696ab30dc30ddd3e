"""Datasets as plain arrays: pure ``key -> arrays`` generators and small loaders.

Every loader returns a :class:`Dataset` of NumPy arrays (float64 where the source is), so callers
choose the precision: ``jnp.asarray(ds.x_train, jnp.float32)``, or float64 inside
``with jdl.precision.precision(jnp.float64):``.
"""
from jdl.data._dataset import Dataset, label_noise
from jdl.data.digits import CURVY_DIGITS, load_digits_binary
from jdl.data.tree import generate_hsd, sample_tree_features

__all__ = ["Dataset", "label_noise", "load_digits_binary", "CURVY_DIGITS", "generate_hsd", "sample_tree_features"]
