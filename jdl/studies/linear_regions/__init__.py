"""linear_regions"""
