"""Thin command-line experiments over the jdl library: ``python -m experiments.<name> --help``."""
