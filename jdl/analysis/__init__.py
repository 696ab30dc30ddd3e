"""Measurement tools that two or more studies use: exact linear pieces (``pieces``), singular-value
spectra and effective rank (``spectra``), numerical differentiation (``derivatives``)."""

__all__ = []
