"""scipy.stats: log-densities, densities, mass functions and distribution functions of the common
distributions, differentiable in their float parameters.
"""
