"""spline_regimes"""
