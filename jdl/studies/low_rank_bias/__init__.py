"""low_rank_bias"""
