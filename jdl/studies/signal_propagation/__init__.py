"""signal_propagation"""
