"""simplicity_bias"""
