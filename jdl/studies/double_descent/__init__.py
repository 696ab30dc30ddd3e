"""double_descent"""
