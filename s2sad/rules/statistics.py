"""Statistics over an axis (with axis, keepdims, ddof, weights where numpy has them): var, std, average,
cumulative products, differences, sorting and order statistics, nan-aware sums, scipy.special.logsumexp.
"""
