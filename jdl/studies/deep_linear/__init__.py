"""deep_linear"""
