"""udlbook"""
